/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Sampled flow accounting (xtap attach --sampling N, xtap_live.flow).
 * With N > 1 a packet is accounted to its flow with probability 1/N and then
 * weighs N: its flow's packet and byte counts are estimates, flagged by the
 * N the flow records. TCP SYN, FIN and RST are always accounted, with weight
 * 1, so that handshakes and outcomes stay exact. What a packet left out of
 * the sample still gets: its class and bytes in the per-point counters, hop
 * tracking and captures, exactly as before.
 *
 * Which packets: each CPU counts down a skip (sFlow's method). The packets
 * the sample is drawn from (all but SYN, FIN, RST and a handshake's last
 * ACK) each take one from it; the one that finds it at 0 is in the sample
 * and draws the next skip, uniform in [0, 2N - 2], so that one packet in N
 * on average is taken, each with probability 1/N. A packet left out costs
 * a decrement, where a random draw per packet would cost the generator.
 *
 * The decision comes first, before the frame's length (a helper call at
 * XDP) and before the parser: sample_peek reads a plain IPv4 or IPv6 TCP or
 * UDP frame in place (no VLAN tag in the frame, no IP options or IPv6
 * extension headers, not a fragment), checks it as the parser would, and
 * when the packet is out of the sample and hop tracking has nothing to do
 * with it, the data plane only counts it. Any other frame is parsed as
 * always and the sample decided after (sample_weight), among them every
 * tunnel packet the parser opens (UDP to the VXLAN and Geneve ports, GRE,
 * IP in IP): the inner packet decides, so an inner SYN, FIN or RST is
 * always accounted, as a plain one is. A plain UDP datagram pays the
 * compare of its port for that; TCP pays nothing.
 *
 * The same path serves TC ingress behind XDP (xtap_tc_ingress_counts 0),
 * which accounts no flows, sampled or not: a plain frame there is counted
 * without the parser unless hop tracking follows it.
 */
#ifndef XTAP_KERN_SAMPLE_H
#define XTAP_KERN_SAMPLE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "config.h"
#include "live.h"
#include "stats.h"
#include "pkt_ctx.h"
#include "parse.h"
#include "hop.h"

/* 1 in how many packets is accounted to flows: 1 when sampling is off. */
static __always_inline __u32 sample_rate(void)
{
	__u32 n;

	if (xtap_replay_mode)
		return 1;
	n = xtap_live.flow.sampling;
	if (n <= 1 || n > XTAP_SAMPLING_MAX)
		return 1;
	return n;
}

/* Each CPU's sampling state: the skip and the rate it was drawn for (a new
 * rate starts over), the random state of the draws (xorshift64, seeded from
 * the kernel's generator on first use), and the packet's verdict, which the
 * core reads back after the parser. Kept in memory rather than in a
 * variable, the verdict is one unknown value for the verifier after the
 * parser, not one path per verdict. A per-CPU array lookup is inlined by
 * the verifier. */
struct sample_state {
	__u64 rng;
	__u32 skip;		/* packets still to leave out */
	__u32 rate;		/* the N of skip */
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
	SAMPLE_PARSE = 0,	/* not decided: parse, then decide unless SYN/FIN/RST */
	SAMPLE_IN = 1,		/* in the sample: parse, weight n */
	SAMPLE_OUT_HOPS = 2,	/* left out, but hop tracking follows it: parse */
	SAMPLE_OUT = 3,		/* left out: count the class, nothing more */
};

static __always_inline struct sample_state *sample_state(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&xtap_sample, &zero);
}

/* Uniform in [0, m): the top 32 bits of r * m, r a 32-bit random number. */
static __always_inline __u32 sample_rand(struct sample_state *ss, __u32 m)
{
	__u64 x = ss->rng;

	if (!x)
		x = (__u64)bpf_get_prandom_u32() << 32 | bpf_get_prandom_u32() | 1;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	ss->rng = x;
	return (((x * 0x2545f4914f6cdd1dull) >> 32) * m) >> 32;
}

/* One packet of the population the sample is drawn from: 1 when it is in
 * the sample. On a new rate the countdown starts at a random point of a
 * gap, uniform in [0, n). */
static __always_inline int sample_take(struct sample_state *ss, __u32 n)
{
	__u32 s = ss->skip;

	if (ss->rate != n) {
		ss->rate = n;
		s = sample_rand(ss, n);
	}
	if (s) {
		ss->skip = s - 1;
		return 0;
	}
	ss->skip = sample_rand(ss, 2 * n - 1);
	return 1;
}

/*
 * The ACK that completes a handshake carries no SYN, FIN or RST, yet the
 * handshake's times need it: a SYN-ACK marks its connection's bit here
 * (a hash of the addresses and ports, the same both ways), and the next
 * packet of a marked bit that is no SYN, FIN or RST is accounted with
 * weight 1 and clears the mark. A packet of another connection that shares
 * the bit is accounted with weight 1 too: certain inclusion at weight 1
 * keeps every estimate unbiased. XTAP_HS_SLOTS bits (xtap_live.hs): 512
 * bytes that stay in cache, shared by every interface, so that the ACK
 * may complete the handshake anywhere.
 */

/* The connection's bit: its word in *w, the bit the return value. saddr
 * and daddr are the addresses' last 32 bits, raw; ports in host order. */
static __always_inline __u64 sample_hs_bit(__u32 saddr, __u32 daddr, __u16 sport, __u16 dport,
					   __u64 **w)
{
	__u32 h = (saddr ^ daddr) * 0x9e3779b1u ^ (__u32)(sport ^ dport) * 0x85ebca6bu, k;

	k = (h >> 20) & (XTAP_HS_SLOTS - 1);
	*w = &xtap_live.hs[k / 64];
	return 1ull << (k % 64);
}

/* Always accounted, with weight 1: a TCP segment with SYN, FIN or RST. */
static __always_inline int sample_edge(const struct pkt *p)
{
	return p->l4proto == IPPROTO_TCP && p->frag != XTAP_FRAG_LATER &&
	       (p->tcp_flags & XTAP_TCP_EDGES);
}

/* What sample_peek reads of a frame for the decision and hop tracking. */
struct sample_peeked {
	__u32 saddr, daddr;	/* raw: IPv4's, or IPv6's last 32 bits */
	__u32 ident;		/* raw: the IPv4 ID or the IPv6 flow label */
	__u32 seq, ack;		/* host order, TCP's alone */
	__u32 ports;		/* source << 16 | destination, host order */
	__u32 tot;		/* the IP packet's length from its header */
	int cls;		/* XTAP_STAT_TCP or XTAP_STAT_UDP */
};

/* 1 when a UDP datagram to port (host order) is decapsulated by the parser
 * (kern/lib/tunnel.h): VXLAN or Geneve, decapsulation on. */
static __always_inline int sample_tunnel_port(__u16 port)
{
	struct xtap_tun_cfg *cfg = tun_cfg();

	return !(cfg->flags & XTAP_TUN_CFG_OFF) && tun_udp_type(cfg, port) != XTAP_TUN_NONE;
}

/* The L4 header at l4 of an IP packet whose payload is plen bytes, checked
 * as parse_l4 does. 0, or 1 when the sample can be decided here. */
static __always_inline int sample_peek_l4(__u8 *l4, void *data_end, __u8 proto, __u32 plen,
					  struct sample_peeked *k)
{
	if (l4 + 8 > (__u8 *)data_end)
		return 0;
	k->ports = (__u32)bpf_ntohs(*(__u16 *)l4) << 16 | bpf_ntohs(*(__u16 *)(l4 + 2));
	if (proto == IPPROTO_TCP) {
		__u32 hlen;

		if (l4 + 20 > (__u8 *)data_end || plen < 20)
			return 0;
		hlen = (l4[12] >> 4) * 4;
		if (hlen < 20 || hlen > plen || l4 + hlen > (__u8 *)data_end)
			return 0;
		if (l4[13] & XTAP_TCP_EDGES)
			return 0;	/* always accounted */
		k->seq = bpf_ntohl(*(__u32 *)(l4 + 4));
		k->ack = bpf_ntohl(*(__u32 *)(l4 + 8));
		k->cls = XTAP_STAT_TCP;
		return 1;
	}
	if (proto == IPPROTO_UDP) {
		__u32 ulen = bpf_ntohs(*(__u16 *)(l4 + 4));

		if (plen < 8 || ulen < 8 || ulen > plen)
			return 0;
		if (sample_tunnel_port(k->ports & 0xffff))
			return 0;	/* the inner packet decides */
		k->seq = k->ack = 0;
		k->cls = XTAP_STAT_UDP;
		return 1;
	}
	return 0;
}

/* A plain IPv4 or IPv6 TCP or UDP frame at data, starting at its Ethernet
 * header: 1 with *k filled, else 0 (parse it). The IP lengths are checked
 * against the frame's length later (sample_fits), once the packet is known
 * to be left out. */
static __always_inline int sample_peek(void *data, void *data_end, struct sample_peeked *k)
{
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return 0;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || *(__u8 *)ip != 0x45 ||
		    (ip->frag_off & bpf_htons(XTAP_IP_MF | XTAP_IP_OFFMASK)))
			return 0;
		k->tot = bpf_ntohs(ip->tot_len);
		if (k->tot < 20)
			return 0;
		k->saddr = ip->saddr;
		k->daddr = ip->daddr;
		k->ident = ip->id;
		return sample_peek_l4((__u8 *)(ip + 1), data_end, ip->protocol, k->tot - 20, k);
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		__u32 plen;

		if ((void *)(ip6 + 1) > data_end || ip6->version != 6)
			return 0;
		plen = bpf_ntohs(ip6->payload_len);
		if (!plen)
			return 0;	/* a jumbogram or a BIG TCP skb */
		k->tot = plen + sizeof(*ip6);
		k->saddr = ip6->saddr.in6_u.u6_addr32[3];
		k->daddr = ip6->daddr.in6_u.u6_addr32[3];
		k->ident = *(__u32 *)ip6 & bpf_htonl(0x000fffff);
		return sample_peek_l4((__u8 *)(ip6 + 1), data_end, ip6->nexthdr, plen, k);
	}
	return 0;
}

/*
 * TC ingress: 1 when data surely starts at the Ethernet header, without the
 * helper skb_l3_start calls. A buffer that starts at the network header
 * (pkt_ctx.h) starts with the IP header of the skb's protocol, version 4
 * or 6; a frame whose destination MAC starts with that nibble, or whose
 * EtherType is not the skb's protocol, is left to skb_l3_start.
 */
static __always_inline int sample_starts_l2(void *ctx, __u32 hook, void *data)
{
	struct __sk_buff *skb = ctx;
	__u8 v = *(__u8 *)data >> 4;
	__u16 proto;

	if (hook != XTAP_HOOK_TC_INGRESS)
		return 1;
	proto = ((struct ethhdr *)data)->h_proto;	/* sample_peek checked the bounds */
	if (proto != (__u16)skb->protocol)
		return 0;
	return proto == bpf_htons(ETH_P_IP) ? v != 4 : v != 6;
}

/*
 * The frame's length, for a frame whose IP packet (tot bytes from its
 * header) sample_peek read. At TC the skb's. At XDP the length of the linear
 * part, without the helper (a call and a return on every packet), when the
 * IP packet ends where it does and the frame needs no padding (60 bytes or
 * more), or when it is a padded 60-byte frame: the parts of a multi-buffer
 * frame past the linear one hold the bytes past the linear part's end, and
 * a NIC fills the linear part before them, or splits at the end of the
 * headers (header split), where the first check sends a short padded frame
 * to the helper. Any other frame takes the helper. The one frame this would
 * count short: one whose further parts hold only a trailer past its IP
 * packet (not padding), split by the NIC exactly where the packet ends.
 */
static __always_inline __u64 sample_frame_len(void *ctx, int xdp, void *data, void *data_end,
					      __u32 tot)
{
	__u64 linear = data_end - data;

	if (!xdp)
		return ctx_len(ctx, 0);
	if (linear == ETH_HLEN + tot ? linear >= 60 : linear == 60 && ETH_HLEN + tot < 60)
		return linear;
	return ctx_len(ctx, 1);
}

/*
 * Before the parser: 1 when the packet needs no more than its class and
 * bytes counted (done here): it is left out of the flow sample, or this
 * hook accounts no flows (TC ingress behind XDP, which accounts them), and
 * hop tracking has nothing to do with it. Else 0, with the verdict in the
 * state for sample_weight when the hook accounts flows. The rate and the
 * state are read here and again after the parser, so that nothing of this
 * decision stays live across the parser: the verifier walks the parser
 * once, not once per way the decision went.
 */
static __always_inline int sample_skip(void *ctx, __u32 hook, struct xtap_stats *st)
{
	int xdp = hook == XTAP_HOOK_XDP, counts = xtap_hook_counts(hook);
	struct sample_state *ss = NULL;
	struct sample_peeked k;
	void *data, *data_end;
	__u64 *w, bit, len;
	__u32 n = 1;

	if (xtap_replay_mode)
		return 0;	/* the length is the capture's (xtap_wire_len) */
	if (counts) {
		n = sample_rate();
		if (n <= 1)
			return 0;
		ss = sample_state();
		if (!ss)
			return 0;
		ss->verdict = SAMPLE_PARSE;
	}
	data = ctx_data(ctx, xdp);
	data_end = ctx_data_end(ctx, xdp);
	if (!sample_peek(data, data_end, &k) || !sample_starts_l2(ctx, hook, data))
		return 0;
	if (ss) {
		if (k.cls == XTAP_STAT_TCP) {
			bit = sample_hs_bit(k.saddr, k.daddr, k.ports >> 16, k.ports & 0xffff, &w);
			if (*w & bit)
				return 0;	/* perhaps a handshake's last ACK */
		}
		if (sample_take(ss, n)) {
			ss->verdict = SAMPLE_IN;
			return 0;
		}
		ss->verdict = SAMPLE_OUT_HOPS;
	}
	len = sample_frame_len(ctx, xdp, data, data_end, k.tot);
	if (k.tot > len - ETH_HLEN)
		return 0;	/* malformed: the parser counts why */
	if (!hop_may_skip(ctx, hook, k.saddr, k.daddr, k.ident, k.seq, k.ack, k.ports))
		return 0;
	if (st) {
		st->c[k.cls == XTAP_STAT_UDP ? XTAP_STAT_UDP : XTAP_STAT_TCP]++;
		st->c[XTAP_STAT_BYTES] += len;
	}
	return 1;
}

/* After the parser: what the packet weighs in its flow, 0 when it is left
 * out of the sample. */
static __always_inline __u32 sample_weight(const struct pkt *p, __u32 n)
{
	struct sample_state *ss = sample_state();
	__u64 *w = NULL, bit = 0;
	__u32 v;

	if (!ss)
		return 1;
	v = *(volatile __u32 *)&ss->verdict;
	if (p->l4proto == IPPROTO_TCP && p->frag != XTAP_FRAG_LATER)
		bit = sample_hs_bit(p->saddr[3], p->daddr[3], p->sport, p->dport, &w);
	if (sample_edge(p)) {
		if (w) {
			if ((p->tcp_flags & (XTAP_TCP_SYN | XTAP_TCP_ACK)) ==
			    (XTAP_TCP_SYN | XTAP_TCP_ACK))
				__sync_fetch_and_or(w, bit);
			else if (*w & bit)
				__sync_fetch_and_and(w, ~bit);
		}
		return 1;
	}
	if (w && (*w & bit)) {
		__sync_fetch_and_and(w, ~bit);
		return 1;
	}
	if (v == SAMPLE_PARSE)
		v = sample_take(ss, n) ? SAMPLE_IN : SAMPLE_OUT;
	return v == SAMPLE_IN ? n : 0;
}

#endif
