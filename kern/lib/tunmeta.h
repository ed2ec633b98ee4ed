/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The outer side of tunnel flows (struct xtap_tunnel in maps/xtap.h): where
 * a flow's packets travel outside the tunnel, kept apart from the flow
 * entry and written by decapsulated packets alone, so that other packets
 * pay nothing for it. kern/lib/tunnel.h leaves the outer packet's parse in
 * this CPU's struct tun_outer.
 */
#ifndef XTAP_KERN_TUNMETA_H
#define XTAP_KERN_TUNMETA_H

#include "config.h"
#include "parse.h"
#include "flow.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XTAP_TUNNELS_MAX);
	__type(key, struct xtap_flow_key);
	__type(value, struct xtap_tunnel);
} xtap_tunnels SEC(".maps");

/* Count the packet's tunnel outcome, when it met a tunnel: decapsulated,
 * or the reason it kept its outer parse. A TCP segment never did. */
static __always_inline void tun_count(const struct pkt *p, struct xtap_stats *st)
{
	struct tun_outer *o;
	__u32 s;

	if (!st)
		return;
	if (p->tun_type) {
		st->c[XTAP_STAT_TUN_DECAP]++;
		return;
	}
	if (p->l4proto != IPPROTO_UDP && p->l4proto != IPPROTO_GRE &&
	    p->l4proto != IPPROTO_IPIP && p->l4proto != IPPROTO_IPV6)
		return;
	o = tun_outer();
	if (!o || !o->stat)
		return;
	s = o->stat;
	o->stat = 0;
	if (s < XTAP_STAT_MAX)
		st->c[s]++;
}

/* A decapsulated packet: its flow's outer endpoints, written when the flow
 * has none yet or they changed (another tunnel end, another UDP source
 * port in this direction). */
static __always_inline void tun_record(const struct pkt *p)
{
	struct xtap_flow_key *k;
	struct xtap_tunnel *t, *n;
	const struct pkt *o;
	struct tun_outer *to;
	const __u64 *a, *b;
	__u64 *ta, *tb;
	__u16 sport, *ts;
	int dir;

	if (!p->tun_type)
		return;
	to = tun_outer();
	if (!to)
		return;
	o = &to->outer;
	k = &to->key;
	dir = flow_key_make(p, k);
	/* outer_a is the tunnel end that sends side a's packets */
	a = dir == XTAP_DIR_AB ? o->saddr64 : o->daddr64;
	b = dir == XTAP_DIR_AB ? o->daddr64 : o->saddr64;
	sport = o->l4proto == IPPROTO_UDP ? o->sport : 0;
	t = bpf_map_lookup_elem(&xtap_tunnels, k);
	if (t) {
		ta = (__u64 *)t->outer_a;
		tb = (__u64 *)t->outer_b;
		ts = dir == XTAP_DIR_AB ? &t->udp_sport[0] : &t->udp_sport[1];
		if (ta[0] == a[0] && ta[1] == a[1] && tb[0] == b[0] && tb[1] == b[1] &&
		    *ts == sport)
			return;
		n = t;
	} else {
		/* built in per-CPU memory, off the stack */
		n = &to->tunnel;
		__builtin_memset(n, 0, sizeof(*n));
		n->udp_dport = o->l4proto == IPPROTO_UDP ? o->dport : 0;
		n->type = p->tun_type;
		n->outer_ip_version = o->ip_version;
		n->id = p->tun_id;
	}
	ta = (__u64 *)n->outer_a;
	tb = (__u64 *)n->outer_b;
	ta[0] = a[0];
	ta[1] = a[1];
	tb[0] = b[0];
	tb[1] = b[1];
	if (dir == XTAP_DIR_AB)
		n->udp_sport[0] = sport;
	else
		n->udp_sport[1] = sport;
	n->updated_ns = xtap_now();
	if (!t)
		bpf_map_update_elem(&xtap_tunnels, k, n, BPF_ANY);
}

#endif
