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

/* 1 when (a, pa) sorts after (b, pb): the endpoints must be swapped. */
static __always_inline int endpoint_after(const __u32 *a, __u16 pa, const __u32 *b, __u16 pb)
{
#pragma unroll
	for (int i = 0; i < 4; i++) {
		__u32 x = bpf_ntohl(a[i]), y = bpf_ntohl(b[i]);

		if (x != y)
			return x > y;
	}
	return pa > pb;
}

/* Fill the canonical key; returns the packet's direction. */
static __always_inline int flow_key_make(const struct pkt *p, struct xtap_flow_key *k)
{
	/* a later fragment has no ICMP header: its key has ports 0 like any other */
	int icmp = (p->l4proto == IPPROTO_ICMP || p->l4proto == IPPROTO_ICMPV6) &&
		   p->frag != XTAP_FRAG_LATER;
	__u16 sp = p->sport, dp = p->dport;
	int swap;

	if (icmp) {
		sp = p->icmp_id;
		dp = (__u16)icmp_request_type(p->l4proto, p->icmp_type) << 8 | p->icmp_code;
		swap = endpoint_after(p->saddr, 0, p->daddr, 0);
	} else {
		swap = endpoint_after(p->saddr, sp, p->daddr, dp);
	}
	k->proto = p->l4proto;
	k->ip_version = p->ip_version;
	k->vlan = p->vlan;
	if (swap) {
		__builtin_memcpy(k->addr_a, p->daddr, 16);
		__builtin_memcpy(k->addr_b, p->saddr, 16);
	} else {
		__builtin_memcpy(k->addr_a, p->saddr, 16);
		__builtin_memcpy(k->addr_b, p->daddr, 16);
	}
	if (swap && !icmp) {
		k->port_a = dp;
		k->port_b = sp;
	} else {
		k->port_a = sp;
		k->port_b = dp;
	}
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
static __always_inline void flow_account(const struct pkt *p, __u64 now, __u32 point,
					 struct xtap_stats *st)
{
	struct xtap_flow_key k = {};
	struct xtap_flow *f;
	__u8 fl = p->tcp_flags;
	int dir, tcp = p->l4proto == IPPROTO_TCP && p->frag != XTAP_FRAG_LATER;
	int syn_only = tcp && (fl & (XTAP_TCP_SYN | XTAP_TCP_ACK)) == XTAP_TCP_SYN;

	dir = flow_key_make(p, &k);
	f = bpf_map_lookup_elem(&xtap_flows, &k);
	if (!f) {
		struct xtap_flow nf = {};
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
