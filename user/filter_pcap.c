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
#include <arpa/inet.h>
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
	/* pcap_lookupnet gives the address's bytes; pcap_compile compares
	 * the mask with the header's words loaded in host order */
	return ntohl(mask);
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

/*
 * libpcap's interpreter follows a loop (protochain's) as long as the packet
 * leads it, and on an AH header that points at itself forever. The program
 * it runs here gets the translation's budget instead (user/filter.c): a
 * prologue sets M[budget] = XTAP_FILTER_LOOP_MAX, and each backward ja goes
 * to a trampoline after the program that saves A, takes one from the budget
 * (or returns 0 once it is spent), restores A and jumps back. Only the first
 * two instructions are new in front, and no conditional jump crosses them,
 * so every offset stays. NULL when the program uses all 16 scratch words
 * or memory runs out.
 */
static struct bpf_insn *bounded_loops(const struct bpf_insn *c, size_t n, size_t *nout)
{
	unsigned used = 0, nback = 0;
	int slot_a = -1, slot_n = -1;
	struct bpf_insn *o;
	size_t at;

	for (size_t i = 0; i < n; i++) {
		/* the scratch word forms the interpreter has */
		if ((c[i].code == (BPF_LD | BPF_W | BPF_MEM) || c[i].code == (BPF_LDX | BPF_W | BPF_MEM) ||
		     c[i].code == BPF_ST || c[i].code == BPF_STX) && c[i].k < BPF_MEMWORDS)
			used |= 1u << c[i].k;
		if (c[i].code == (BPF_JMP | BPF_JA) && (int32_t)c[i].k < 0)
			nback++;
	}
	for (int k = BPF_MEMWORDS - 1; k >= 0; k--)
		if (!(used & (1u << k)))
			slot_a < 0 ? (slot_a = k) : slot_n < 0 ? (slot_n = k) : 0;
	if (slot_n < 0)
		return NULL;
	*nout = 3 + n + 8 * (size_t)nback;
	o = calloc(*nout, sizeof(*o));
	if (!o)
		return NULL;
	o[0] = (struct bpf_insn)BPF_STMT(BPF_LD | BPF_IMM, XTAP_FILTER_LOOP_MAX);
	o[1] = (struct bpf_insn)BPF_STMT(BPF_ST, (bpf_u_int32)slot_n);
	o[2] = (struct bpf_insn)BPF_STMT(BPF_LD | BPF_IMM, 0);	/* A starts at 0 */
	memcpy(o + 3, c, n * sizeof(*c));
	at = 3 + n;
	for (size_t i = 0; i < n; i++) {
		size_t j = 3 + i;
		long back;

		if (c[i].code != (BPF_JMP | BPF_JA) || (int32_t)c[i].k >= 0)
			continue;
		back = (long)j + 1 + (int32_t)c[i].k;	/* the loop's head */
		o[j].k = (bpf_u_int32)(at - j - 1);
		o[at++] = (struct bpf_insn)BPF_STMT(BPF_ST, (bpf_u_int32)slot_a);
		o[at++] = (struct bpf_insn)BPF_STMT(BPF_LD | BPF_MEM, (bpf_u_int32)slot_n);
		o[at++] = (struct bpf_insn)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 4, 0);
		o[at++] = (struct bpf_insn)BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, 1);
		o[at++] = (struct bpf_insn)BPF_STMT(BPF_ST, (bpf_u_int32)slot_n);
		o[at++] = (struct bpf_insn)BPF_STMT(BPF_LD | BPF_MEM, (bpf_u_int32)slot_a);
		o[at] = (struct bpf_insn)BPF_STMT(BPF_JMP | BPF_JA, (bpf_u_int32)(back - (long)at - 1));
		at++;
		o[at++] = (struct bpf_insn)BPF_STMT(BPF_RET | BPF_K, 0);
	}
	return o;
}

unsigned int xtap_filter_classic_match(const struct sock_filter *classic, size_t n,
				       const uint8_t *pkt, size_t caplen, size_t wirelen)
{
	const struct bpf_insn *c = (const struct bpf_insn *)classic;
	struct bpf_insn *b = NULL;
	size_t nb = 0;
	unsigned int ret;

	for (size_t i = 0; i < n; i++)
		if (c[i].code == (BPF_JMP | BPF_JA) && (int32_t)c[i].k < 0) {
			b = bounded_loops(c, n, &nb);
			if (!b)
				return 0;	/* a loop that cannot be bounded: rejected */
			break;
		}
	ret = bpf_filter(b ? b : c, pkt, (u_int)wirelen, (u_int)caplen);
	free(b);
	return ret;
}
