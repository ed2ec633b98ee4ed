/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The bidirectional flow table. */
#ifndef XTAP_KERN_FLOW_H
#define XTAP_KERN_FLOW_H

#include "ctx.h"
#include "parse.h"

#ifndef ICMP_ECHO
#define ICMP_ECHOREPLY 0
#define ICMP_ECHO 8
#endif

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XTAP_FLOWS_DEFAULT);	/* the loader sets the size */
	__type(key, struct xtap_flow_key);
	__type(value, struct xtap_flow);
} xtap_flows SEC(".maps");

/* Replies share their request's flow: fold them onto the request type. The
 * protocol, not the IP version, says which ICMP the type belongs to. */
static __always_inline __u8 icmp_request_type(__u8 proto, __u8 type)
{
	if (proto == IPPROTO_ICMP) {
		switch (type) {
		case 0: return 8;	/* echo reply -> echo */
		case 14: return 13;	/* timestamp reply */
		case 16: return 15;	/* information reply */
		case 18: return 17;	/* address mask reply */
		}
	} else if (type == 129) {
		return 128;		/* ICMPv6 echo reply -> request */
	}
	return type;
}

/* Fill the canonical key; returns the packet's direction. Only consistency
 * matters for the order of the two endpoints, so addresses compare as raw
 * 64-bit words: two compares for IPv6, one for IPv4-mapped. */
static __always_inline int flow_key_make(const struct pkt *p, struct xtap_flow_key *k)
{
	/* a later fragment has no ICMP header: its key has ports 0 like any other */
	int icmp = (p->l4proto == IPPROTO_ICMP || p->l4proto == IPPROTO_ICMPV6) &&
		   p->frag != XTAP_FRAG_LATER;
	__u16 sp = p->sport, dp = p->dport;
	__u64 *a = (__u64 *)k->addr_a, *b = (__u64 *)k->addr_b;
	int swap;

	if (icmp) {
		sp = p->icmp_id;
		dp = (__u16)icmp_request_type(p->l4proto, p->icmp_type) << 8 | p->icmp_code;
	}
	if (p->saddr64[0] != p->daddr64[0])
		swap = p->saddr64[0] > p->daddr64[0];
	else if (p->saddr64[1] != p->daddr64[1])
		swap = p->saddr64[1] > p->daddr64[1];
	else
		swap = !icmp && sp > dp;

	if (swap) {
		a[0] = p->daddr64[0];
		a[1] = p->daddr64[1];
		b[0] = p->saddr64[0];
		b[1] = p->saddr64[1];
	} else {
		a[0] = p->saddr64[0];
		a[1] = p->saddr64[1];
		b[0] = p->daddr64[0];
		b[1] = p->daddr64[1];
	}
	/* ICMP's "ports" are not endpoint properties: they never swap */
	if (swap && !icmp) {
		__u16 t = sp;

		sp = dp;
		dp = t;
	}
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* the last 8 bytes in one store: the map's hash reads the key in
	 * words, and a word spanning several small stores defeats the CPU's
	 * store-to-load forwarding on every packet */
	*(__u64 *)&k->port_a = (__u64)sp | (__u64)dp << 16 | (__u64)p->vlan << 32 |
			       (__u64)p->l4proto << 48 | (__u64)p->ip_version << 56;
#else
	k->port_a = sp;
	k->port_b = dp;
	k->vlan = p->vlan;
	k->proto = p->l4proto;
	k->ip_version = p->ip_version;
#endif
	return swap ? XTAP_DIR_BA : XTAP_DIR_AB;
}

#define XTAP_TCP_FIN 0x01
#define XTAP_TCP_SYN 0x02
#define XTAP_TCP_RST 0x04
#define XTAP_TCP_ACK 0x10

static __always_inline void flow_first_packet(struct xtap_flow *f, const int d, __u64 len, __u8 fl)
{
	f->pkts[d] = 1;
	f->bytes[d] = len;
	f->tcp_flags[d] = fl;
	f->syn[d] = !!(fl & XTAP_TCP_SYN);
	f->fin[d] = !!(fl & XTAP_TCP_FIN);
	f->rst[d] = !!(fl & XTAP_TCP_RST);
}

/* Account one packet to its flow, creating the entry on first sight. The
 * common case is one lookup and a few atomic adds on the entry. */
static __always_inline void flow_account(const struct pkt *p, __u32 point, struct xtap_stats *st)
{
	struct xtap_flow_key k __attribute__((aligned(8)));
	struct xtap_flow *f;
	__u64 now;
	__u8 fl = p->tcp_flags;
	int dir, tcp = p->l4proto == IPPROTO_TCP && p->frag != XTAP_FRAG_LATER;
	int syn_only = tcp && (fl & (XTAP_TCP_SYN | XTAP_TCP_ACK)) == XTAP_TCP_SYN;

	dir = flow_key_make(p, &k);
	f = bpf_map_lookup_elem(&xtap_flows, &k);
	if (!f) {
		struct xtap_flow nf = {};
		__u64 now = xtap_now();
		long err;

		nf.first_ns = now;
		nf.last_ns = now;
		nf.initiator = dir;
		nf.initiator_syn = syn_only;
		nf.first_point = point;
		/* constant indexes: the verifier refuses variable stack offsets */
		if (dir == XTAP_DIR_AB)
			flow_first_packet(&nf, 0, p->len, tcp ? fl : 0);
		else
			flow_first_packet(&nf, 1, p->len, tcp ? fl : 0);
		err = bpf_map_update_elem(&xtap_flows, &k, &nf, BPF_NOEXIST);
		if (!err) {
			if (st)
				st->c[XTAP_STAT_FLOW_NEW]++;
			return;
		}
		/* another CPU created it meanwhile: account on that entry */
		f = bpf_map_lookup_elem(&xtap_flows, &k);
		if (!f) {
			if (st)
				st->c[XTAP_STAT_FLOW_FAIL]++;
			return;
		}
	}

	/* the interface that saw the conversation first owns its counts, so
	 * a packet crossing several attached interfaces is counted once */
	if (f->first_point / XTAP_HOOK_MAX != xtap_slot)
		return;
	__sync_fetch_and_add(&f->pkts[dir], 1);
	__sync_fetch_and_add(&f->bytes[dir], p->len);
	now = fl & (XTAP_TCP_SYN | XTAP_TCP_FIN | XTAP_TCP_RST) ? xtap_now() : xtap_now_coarse();
	if (now > f->last_ns)
		f->last_ns = now;
	if (!tcp)
		return;
	if ((f->tcp_flags[dir] | fl) != f->tcp_flags[dir])
		__sync_fetch_and_or(&f->tcp_flags[dir], fl);
	if (fl & (XTAP_TCP_SYN | XTAP_TCP_FIN | XTAP_TCP_RST)) {
		if (fl & XTAP_TCP_SYN)
			__sync_fetch_and_add(&f->syn[dir], 1);
		if (fl & XTAP_TCP_FIN)
			__sync_fetch_and_add(&f->fin[dir], 1);
		if (fl & XTAP_TCP_RST)
			__sync_fetch_and_add(&f->rst[dir], 1);
		if (syn_only && !f->initiator_syn) {
			f->initiator = dir;
			f->initiator_syn = 1;
		}
	}
}

#endif
