// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target: a capture file as replay reads it. The input is a pcap or
 * pcapng file, read by libpcap from memory; each frame goes through
 *   - the data plane's parser (kern/lib/parse.h, compiled here for user
 *     space) as XDP sees it (a linear part of at most a page, the rest read
 *     with a stand-in for bpf_xdp_load_bytes that keeps the kernel's checks)
 *     and as TC ingress sees a buffer that starts at its network header,
 *   - libpcap's interpreter as replay asks it for the frames the programs
 *     cannot take (xtap_filter_classic_match), with a filter that loops.
 * Under ASan and UBSan: a read outside the frame or undefined arithmetic in
 * the parser stops the run.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>

#include <linux/bpf.h>

#include "user/filter.h"

/* The parser reads past the linear part through these two helpers; at TC it
 * also reads the skb's own fields (GSO), so the context starts with one, as
 * test-run makes it: zeroed, not a GSO skb. */
struct fuzz_ctx {
	struct __sk_buff skb;
	const uint8_t *frame;
	uint32_t len;
};

static long fuzz_load_bytes(void *ctx, uint32_t off, void *to, uint32_t len)
{
	const struct fuzz_ctx *c = ctx;

	/* bpf_xdp_load_bytes: no offset or length past 0xffff, nothing past
	 * the end of the frame */
	if (off > 0xffff || len > 0xffff || (uint64_t)off + len > c->len)
		return -EFAULT;
	memcpy(to, c->frame + off, len);
	return 0;
}

#define bpf_xdp_load_bytes(ctx, off, to, len) fuzz_load_bytes(ctx, off, to, len)
#define bpf_skb_load_bytes(ctx, off, to, len) fuzz_load_bytes(ctx, off, to, len)
#include "kern/lib/parse.h"

/* The linear part of an XDP test run: a page less headroom and shared info. */
#define LINEAR_MAX 3520u
#define FILTER "ip6 protochain 17 or ip broadcast or less 64"

static struct sock_filter *filter;
static size_t filter_len;

static void parse_all(const uint8_t *d, uint32_t caplen, uint32_t wire)
{
	struct fuzz_ctx c = { .frame = d, .len = caplen };
	uint32_t linear = caplen < LINEAR_MAX ? caplen : LINEAR_MAX;
	struct pkt p;
	uint8_t *buf, *copy;

	/* a copy that ends where its allocation ends (ASan sees any byte read
	 * past it), 2 bytes in as the kernel puts a frame (NET_IP_ALIGN), so
	 * that the IP header is aligned as the parser may assume */
	buf = malloc(2 + (size_t)caplen);
	if (!buf)
		return;
	copy = buf + 2;
	memcpy(copy, d, caplen);
	c.frame = copy;
	memset(&p, 0, sizeof(p));
	parse_packet(&c, 1, copy, copy + linear, wire, 0, &p);
	if (caplen > ETH_HLEN) {
		/* TC ingress, a buffer that starts at the network header */
		c.frame = copy + ETH_HLEN;
		c.len = caplen - ETH_HLEN;
		linear = c.len < LINEAR_MAX ? c.len : LINEAR_MAX;
		memset(&p, 0, sizeof(p));
		parse_packet(&c, 0, copy + ETH_HLEN, copy + ETH_HLEN + linear, wire - ETH_HLEN,
			     (copy[12] & 1) ? ETH_P_IPV6 : ETH_P_IP, &p);
	}
	(void)xtap_filter_classic_match(filter, filter_len, copy, caplen, wire);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *pc;
	FILE *f;

	if (!filter && xtap_filter_classic(FILTER, 262144, &filter, &filter_len, errbuf,
					   sizeof(errbuf))) {
		fprintf(stderr, "fuzz_capfile: %s\n", errbuf);
		abort();
	}
	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "rb");
	if (!f)
		return 0;
	pc = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!pc) {
		fclose(f);
		return 0;
	}
	for (int i = 0; i < 10000 && pcap_next_ex(pc, &h, &d) == 1; i++)
		parse_all(d, h->caplen, h->len > h->caplen ? h->len : h->caplen);
	pcap_close(pc);	/* closes f */
	return 0;
}
