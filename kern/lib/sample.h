/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Sampled flow accounting (xtap attach --sampling N, struct xtap_flow_cfg).
 * With N > 1 a packet is accounted to its flow with probability 1/N and then
 * weighs N: its flow's packet and byte counts are estimates, flagged by the
 * N the flow records. TCP SYN, FIN and RST are always accounted, with weight
 * 1, so that handshakes and outcomes stay exact. What a packet left out of
 * the sample still gets: its class and bytes in the per-point counters, hop
 * tracking and captures, exactly as before.
 *
 * The decision comes first, before the parser: sample_peek reads a plain
 * IPv4 TCP or UDP frame in place (no VLAN tag in the frame, no IP options,
 * not a fragment), checks it as the parser would, and when the packet is
 * out of the sample and hop tracking has nothing to do with it, the data
 * plane only counts it. Any other frame is parsed as always and the sample
 * decided after (sample_draw).
 */
#ifndef XTAP_KERN_SAMPLE_H
#define XTAP_KERN_SAMPLE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "config.h"
#include "stats.h"
#include "parse.h"
#include "hop.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xtap_flow_cfg);
} xtap_flow_cfg SEC(".maps");

/* 1 in how many packets is accounted to flows: 1 when sampling is off. */
static __always_inline __u32 sample_rate(void)
{
	struct xtap_flow_cfg *cfg;
	__u32 zero = 0;

	if (xtap_replay_mode)
		return 1;
	cfg = bpf_map_lookup_elem(&xtap_flow_cfg, &zero);
	if (!cfg || cfg->sampling <= 1 || cfg->sampling > XTAP_SAMPLING_MAX)
		return 1;
	return cfg->sampling;
}

/* Each CPU's sampling state: the random state of the draw (xorshift64,
 * seeded from the kernel's generator on first use: a per-CPU array lookup
 * is inlined by the verifier, where a helper costs a call and a return on
 * every packet), and the packet's verdict, which the core reads back after
 * the parser. Kept in memory rather than in a variable, it is one unknown
 * value for the verifier after the parser, not one path per verdict. */
struct sample_state {
	__u64 rng;
	__u32 verdict;		/* enum sample_verdict */
	__u32 reserved;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sample_state);
} xtap_sample SEC(".maps");

enum sample_verdict {
	SAMPLE_PARSE = 0,	/* not decided: parse, then draw unless SYN/FIN/RST */
	SAMPLE_IN = 1,		/* drawn into the sample: parse, weight n */
	SAMPLE_OUT_HOPS = 2,	/* drawn out, but hop tracking follows it: parse */
	SAMPLE_OUT = 3,		/* drawn out: count the class, nothing more */
};

static __always_inline struct sample_state *sample_state(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&xtap_sample, &zero);
}

/* In the sample with probability 1/n: the top 32 bits of r * n are 0 for
 * ceil(2^32 / n) of the 2^32 values of r. */
static __always_inline int sample_draw(struct sample_state *ss, __u32 n)
{
	__u64 x = ss->rng;

	if (!x)
		x = (__u64)bpf_get_prandom_u32() << 32 | bpf_get_prandom_u32() | 1;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	ss->rng = x;
	return ((((x * 0x2545f4914f6cdd1dull) >> 32) * n) >> 32) == 0;
}

/*
 * The ACK that completes a handshake carries no SYN, FIN or RST, yet the
 * handshake's times need it: a SYN-ACK marks its connection's slot here
 * (a hash of the addresses and ports, the same both ways), and the next
 * packet of a marked slot that is no SYN, FIN or RST is accounted with
 * weight 1 and clears the mark. A packet of another connection that shares
 * the slot is accounted with weight 1 too: certain inclusion at weight 1
 * keeps every estimate unbiased.
 */
#define SAMPLE_HS_SLOTS 4096

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SAMPLE_HS_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} xtap_sample_hs SEC(".maps");

static __always_inline __u32 *sample_hs_slot(__u32 saddr, __u32 daddr, __u16 sport, __u16 dport)
{
	__u32 h = (saddr ^ daddr) * 0x9e3779b1u ^ (__u32)(sport ^ dport) * 0x85ebca6bu, k;

	k = (h >> 20) & (SAMPLE_HS_SLOTS - 1);
	return bpf_map_lookup_elem(&xtap_sample_hs, &k);
}

/* Always accounted, with weight 1: a TCP segment with SYN, FIN or RST. */
static __always_inline int sample_edge(const struct pkt *p)
{
	return p->l4proto == IPPROTO_TCP && p->frag != XTAP_FRAG_LATER &&
	       (p->tcp_flags & XTAP_TCP_EDGES);
}

/* The decision before parsing, for a frame that starts at its Ethernet
 * header (l3_proto 0). Returns 1 when the packet is out of the sample and
 * needs nothing more than its class *cls counted; else 0, with the verdict
 * in ss for sample_weight. */
static __always_inline int sample_peek(struct sample_state *ss, void *ctx, __u32 hook, void *data,
				       void *data_end, __u64 frame_len, __u16 l3_proto, __u32 n,
				       int *cls)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u8 *l4 = (__u8 *)(ip + 1);
	__u32 tot, seq = 0, ack = 0, *hs;

	ss->verdict = SAMPLE_PARSE;
	if (l3_proto || l4 + 8 > (__u8 *)data_end)
		return 0;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || *(__u8 *)ip != 0x45 ||
	    (ip->frag_off & bpf_htons(XTAP_IP_MF | XTAP_IP_OFFMASK)))
		return 0;
	tot = bpf_ntohs(ip->tot_len);
	if (tot > frame_len - ETH_HLEN)
		return 0;
	if (ip->protocol == IPPROTO_TCP) {
		__u32 hlen;

		if (l4 + 20 > (__u8 *)data_end || tot < 40)
			return 0;
		hlen = (l4[12] >> 4) * 4;
		if (hlen < 20 || hlen > tot - 20 || l4 + hlen > (__u8 *)data_end)
			return 0;
		if (l4[13] & XTAP_TCP_EDGES)
			return 0;	/* always accounted */
		hs = sample_hs_slot(ip->saddr, ip->daddr, bpf_ntohs(*(__u16 *)l4),
				    bpf_ntohs(*(__u16 *)(l4 + 2)));
		if (hs && *hs)
			return 0;	/* perhaps a handshake's last ACK */
		seq = bpf_ntohl(*(__u32 *)(l4 + 4));
		ack = bpf_ntohl(*(__u32 *)(l4 + 8));
		*cls = XTAP_STAT_TCP;
	} else if (ip->protocol == IPPROTO_UDP) {
		__u32 ulen = bpf_ntohs(*(__u16 *)(l4 + 4));

		if (tot < 28 || ulen < 8 || ulen > tot - 20)
			return 0;
		*cls = XTAP_STAT_UDP;
	} else {
		return 0;
	}
	if (sample_draw(ss, n)) {
		ss->verdict = SAMPLE_IN;
		return 0;
	}
	if (!hop_may_skip(ctx, hook, ip->saddr, ip->daddr, ip->id, seq, ack,
			  bpf_ntohs(*(__u16 *)l4) << 16 | bpf_ntohs(*(__u16 *)(l4 + 2)))) {
		ss->verdict = SAMPLE_OUT_HOPS;
		return 0;
	}
	return 1;
}

/* Before the parser: 1 when the packet is out of the sample and needs no
 * more than its class and bytes counted (done here). The rate and the state
 * are read here and again after the parser, so that nothing of this decision
 * stays live across the parser: the verifier walks the parser once, not once
 * per way the decision went. */
static __always_inline int sample_skip(void *ctx, __u32 hook, void *data, void *data_end,
				       __u64 frame_len, __u16 l3_proto, struct xtap_stats *st)
{
	struct sample_state *ss;
	__u32 n = sample_rate();
	int cls = 0;

	if (n <= 1)
		return 0;
	ss = sample_state();
	if (!ss || !sample_peek(ss, ctx, hook, data, data_end, frame_len, l3_proto, n, &cls))
		return 0;
	if (st) {
		st->c[cls == XTAP_STAT_UDP ? XTAP_STAT_UDP : XTAP_STAT_TCP]++;
		st->c[XTAP_STAT_BYTES] += frame_len;
	}
	return 1;
}

/* After the parser: what the packet weighs in its flow, 0 when it is left
 * out of the sample. */
static __always_inline __u32 sample_weight(const struct pkt *p, __u32 n)
{
	struct sample_state *ss = sample_state();
	__u32 v, *hs = NULL;

	if (!ss)
		return 1;
	v = *(volatile __u32 *)&ss->verdict;
	if (p->l4proto == IPPROTO_TCP && p->frag != XTAP_FRAG_LATER)
		hs = sample_hs_slot(p->saddr[3], p->daddr[3], p->sport, p->dport);
	if (sample_edge(p)) {
		if (hs)
			*hs = (p->tcp_flags & (XTAP_TCP_SYN | XTAP_TCP_ACK)) ==
			      (XTAP_TCP_SYN | XTAP_TCP_ACK);
		return 1;
	}
	if (hs && *hs) {
		*hs = 0;
		return 1;
	}
	if (v == SAMPLE_PARSE)
		v = sample_draw(ss, n) ? SAMPLE_IN : SAMPLE_OUT;
	return v == SAMPLE_IN ? n : 0;
}

#endif
