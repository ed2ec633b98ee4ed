// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libpcap's part of the capture filters: compiling an expression to classic
 * BPF, and libpcap's interpreter, the reference the translation is tested
 * against. The only file that includes libpcap's <pcap/bpf.h>, whose
 * struct bpf_insn is the kernel's struct sock_filter under another name (and
 * clashes with linux/bpf.h's): the programs cross over as struct sock_filter,
 * the same eight bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>

#include "user/filter.h"

_Static_assert(sizeof(struct bpf_insn) == 8 && offsetof(struct bpf_insn, jt) == 2 &&
	       offsetof(struct bpf_insn, jf) == 3 && offsetof(struct bpf_insn, k) == 4,
	       "libpcap's instruction has struct sock_filter's layout");

static void say(char *err, size_t errlen, const char *what, const char *why)
{
	if (err && errlen)
		snprintf(err, errlen, "%s%s", what, why);
}

uint32_t xtap_filter_netmask(const char *ifname)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	bpf_u_int32 net, mask;

	if (!ifname || pcap_lookupnet(ifname, &net, &mask, errbuf))
		return 0;
	return mask;
}

int xtap_filter_classic(const char *expr, int snaplen, struct sock_filter **out, size_t *n,
			char *err, size_t errlen)
{
	return xtap_filter_classic_mask(expr, snaplen, 0, out, n, err, errlen);
}

int xtap_filter_classic_mask(const char *expr, int snaplen, uint32_t netmask,
			     struct sock_filter **out, size_t *n, char *err, size_t errlen)
{
	struct bpf_program bp = { 0 };
	pcap_t *p;
	int ret = -1;

	*out = NULL;
	*n = 0;
	p = pcap_open_dead(DLT_EN10MB, snaplen);
	if (!p) {
		say(err, errlen, "pcap_open_dead failed", "");
		return -1;
	}
	if (pcap_compile(p, &bp, expr ? expr : "", 1, netmask) != 0) {
		say(err, errlen, pcap_geterr(p), "");
		goto cleanup;
	}
	*out = malloc(bp.bf_len * sizeof(struct bpf_insn) + 1);
	if (!*out) {
		say(err, errlen, "compiling the filter: ", strerror(ENOMEM));
		goto cleanup;
	}
	memcpy(*out, bp.bf_insns, bp.bf_len * sizeof(struct bpf_insn));
	*n = bp.bf_len;
	ret = 0;
cleanup:
	pcap_freecode(&bp);
	pcap_close(p);
	return ret;
}

unsigned int xtap_filter_classic_run(const struct sock_filter *classic, size_t n,
				     const uint8_t *pkt, size_t len)
{
	(void)n;
	return bpf_filter((const struct bpf_insn *)classic, pkt, (u_int)len, (u_int)len);
}

unsigned int xtap_filter_classic_match(const struct sock_filter *classic, size_t n,
				       const uint8_t *pkt, size_t caplen, size_t wirelen)
{
	(void)n;
	return bpf_filter((const struct bpf_insn *)classic, pkt, (u_int)wirelen, (u_int)caplen);
}
