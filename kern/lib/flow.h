/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The bidirectional flow table. */
#ifndef XTAP_KERN_FLOW_H
#define XTAP_KERN_FLOW_H

#include "config.h"
#include "stats.h"
#include "parse.h"
#include "latency.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XTAP_FLOWS_DEFAULT);	/* the loader sets the size */
	__type(key, struct xtap_flow_key);
	__type(value, struct xtap_flow);
} xtap_flows SEC(".maps");

/* A new flow entry is built here: it is too big for the stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xtap_flow);
} xtap_newflow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XTAP_FCACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct xtap_fcache);
} xtap_fcache SEC(".maps");

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
	*(__u64 *)&k->tun_id = (__u64)p->tun_id | (__u64)p->tun_type << 32;
#else
	k->port_a = sp;
	k->port_b = dp;
	k->vlan = p->vlan;
	k->proto = p->l4proto;
	k->ip_version = p->ip_version;
	k->tun_id = p->tun_id;
	k->tun_type = p->tun_type;
	k->reserved[0] = k->reserved[1] = k->reserved[2] = 0;
#endif
	return swap ? XTAP_DIR_BA : XTAP_DIR_AB;
}

/* A new entry's first packet, direction d (a constant: the arrays are
 * indexed at fixed offsets). */
static __always_inline void flow_first_packet(struct xtap_flow *f, const int d, const struct pkt *p,
					      __u8 fl, int tcp, __u32 w)
{
	f->pkts[d] = p->segs * w;
	f->bytes[d] = p->len * w;
	f->tcp_flags[d] = fl;
	f->syn[d] = !!(fl & XTAP_TCP_SYN);
	f->fin[d] = !!(fl & XTAP_TCP_FIN);
	f->rst[d] = !!(fl & XTAP_TCP_RST);
	if (tcp)
		lat_flow_first(f, d, p, fl);
}

/* Move an entry's deltas into the shared table. A flow the table has
 * evicted meanwhile takes its deltas with it. */
static __always_inline void fcache_flush(struct xtap_fcache *c)
{
	struct xtap_flow *f;

	if (!c->count)
		return;
	f = bpf_map_lookup_elem(&xtap_flows, &c->key);
	if (f) {
		__sync_fetch_and_add(&f->pkts[0], c->pkts[0]);
		__sync_fetch_and_add(&f->pkts[1], c->pkts[1]);
		__sync_fetch_and_add(&f->bytes[0], c->bytes[0]);
		__sync_fetch_and_add(&f->bytes[1], c->bytes[1]);
		if ((f->tcp_flags[0] | c->tcp_flags[0]) != f->tcp_flags[0])
			__sync_fetch_and_or(&f->tcp_flags[0], c->tcp_flags[0]);
		if ((f->tcp_flags[1] | c->tcp_flags[1]) != f->tcp_flags[1])
			__sync_fetch_and_or(&f->tcp_flags[1], c->tcp_flags[1]);
		if (c->last_ns > f->last_ns)
			f->last_ns = c->last_ns;
		lat_fcache_flush(f, c);
	}
	c->retrans[0] = c->retrans[1] = 0;
	c->pkts[0] = c->pkts[1] = 0;
	c->bytes[0] = c->bytes[1] = 0;
	c->tcp_flags[0] = c->tcp_flags[1] = 0;
	c->count = 0;
}

static __always_inline __u32 fcache_slot(const struct xtap_flow_key *k)
{
	const __u64 *w = (const __u64 *)k;
	__u64 h = w[0] ^ w[1] ^ w[2] ^ w[3] ^ w[4] ^ w[5];

	h ^= h >> 32;
	h ^= h >> 16;
	h ^= h >> 8;
	return (__u32)h & (XTAP_FCACHE_SLOTS - 1);
}

static __always_inline int fcache_holds(const struct xtap_fcache *c, const struct xtap_flow_key *k)
{
	const __u64 *a = (const __u64 *)&c->key, *b = (const __u64 *)k;

	return c->valid && a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] &&
	       a[4] == b[4] && a[5] == b[5];
}

/* Retransmissions and passive RTT of a TCP segment on the write-back path:
 * the entry counts against its own high-water mark; a TSval or TSecr that
 * differs from the last one this entry saw in the direction takes the
 * shared entry. */
static __always_inline void fcache_tcp(struct xtap_fcache *c, int dir, const struct pkt *p, __u8 fl)
{
	struct xtap_flow *f;

	if (!lat_fcache_segment(c, dir, p, fl))
		return;
	f = bpf_map_lookup_elem(&xtap_flows, &c->key);
	if (f)
		ts_track(f, &c->key, dir, p->tsval, p->tsecr);
}

/* The hot path: one more packet of the flow this CPU's entry holds, of
 * weight w (the sampling rate, or 1). */
static __always_inline void fcache_add(struct xtap_fcache *c, int dir, const struct pkt *p, int tcp,
				       __u8 fl, __u32 w)
{
	__u64 len = p->len * w;

	if (dir == XTAP_DIR_AB) {
		c->pkts[0] += p->segs * w;
		c->bytes[0] += len;
		c->tcp_flags[0] |= fl;
	} else {
		c->pkts[1] += p->segs * w;
		c->bytes[1] += len;
		c->tcp_flags[1] |= fl;
	}
	if (tcp)
		fcache_tcp(c, dir, p, fl);
	c->last_ns = xtap_now_coarse();
	if (++c->count >= XTAP_FCACHE_BATCH)
		fcache_flush(c);
}

/*
 * The short path, on this CPU's write-back entry c for the flow k. Returns
 * 1 when the packet is done with: added to the entry, or left to the
 * interface that owns the flow (the one that saw the conversation first
 * owns its counts, so a packet crossing several attached interfaces is
 * counted once). Returns 0 when the packet goes on to the shared entry: a
 * SYN, FIN or RST (the entry's deltas are flushed first), or a flow the
 * entry does not hold (the entry is flushed and freed for it).
 */
static __always_inline int fcache_account(struct xtap_fcache *c, const struct xtap_flow_key *k,
					  int dir, const struct pkt *p, int tcp, __u8 fl, int event,
					  __u32 w)
{
	if (!c)
		return 0;
	if (fcache_holds(c, k)) {
		if (c->owner_slot != xtap_slot)
			return 1;
		if (!event) {
			fcache_add(c, dir, p, tcp, fl, w);
			return 1;
		}
		fcache_flush(c);
		return 0;
	}
	fcache_flush(c);
	c->valid = 0;
	return 0;
}

/* A TCP SYN, FIN or RST on the shared entry: counted per direction; the
 * first SYN without ACK names the initiator. */
static __always_inline void flow_tcp_edge(struct xtap_flow *f, int dir, __u8 fl, int syn_only)
{
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

/* One more packet of an existing flow, on its shared entry. The fine clock
 * is read for what the handshake times, the coarse one for the rest. */
static __always_inline void flow_update(struct xtap_flow *f, const struct xtap_flow_key *k, int dir,
					const struct pkt *p, int tcp, __u8 fl, int event,
					int syn_only, __u32 w)
{
	int pending = tcp && hs_pending(f);
	__u64 now;

	__sync_fetch_and_add(&f->pkts[dir], p->segs * w);
	__sync_fetch_and_add(&f->bytes[dir], p->len * w);
	now = event || pending ? xtap_now() : xtap_now_coarse();
	if (now > f->last_ns)
		f->last_ns = now;
	if (tcp && (f->tcp_flags[dir] | fl) != f->tcp_flags[dir])
		__sync_fetch_and_or(&f->tcp_flags[dir], fl);
	if (event)
		flow_tcp_edge(f, dir, fl, syn_only);
	if (event || pending)
		hs_update(f, k, dir, fl, now);
	if (tcp)
		lat_flow_segment(f, k, dir, p, fl);
}

/*
 * After the shared entry f (the flow's, or the new one): the next packets
 * of the flow on this CPU take the short path. hold is 0 while the flow's
 * handshake is under way: such a flow stays out of the write-back entry
 * (its deltas were flushed), so that the ACK completing the handshake
 * reaches the shared entry too. The entry takes the marks this packet may
 * have moved. point is where the flow was first seen: its owner.
 */
static __always_inline void fcache_remember(struct xtap_fcache *c, const struct xtap_flow_key *k,
					    const struct xtap_flow *f, __u32 point, int hold)
{
	if (!c)
		return;
	if (!hold) {
		c->valid = 0;
		/* not held, but named: kern/lib/owner.h looks at its socket */
		__builtin_memcpy(&c->key, k, sizeof(*k));
		return;
	}
	lat_fcache_take(c, f);
	if (!c->valid) {
		__builtin_memcpy(&c->key, k, sizeof(*k));
		c->owner_slot = point / XTAP_HOOK_MAX;
		c->owner_tried = f->owner != XTAP_OWNER_NONE;	/* kern/lib/owner.h */
		c->valid = 1;
	}
}

/* A flow seen for the first time, at point: its entry, built in the
 * per-CPU scratch (it is too big for the stack). NULL when there is none. */
static __always_inline struct xtap_flow *flow_new(int dir, const struct pkt *p, __u32 point,
						  int tcp, __u8 fl, int syn_only, __u32 w,
						  __u32 sampling)
{
	struct xtap_flow *nf;
	__u32 zero = 0;
	__u64 now;

	nf = bpf_map_lookup_elem(&xtap_newflow, &zero);
	if (!nf)
		return NULL;
	__builtin_memset(nf, 0, sizeof(*nf));
	now = xtap_now();
	nf->first_ns = now;
	nf->last_ns = now;
	nf->initiator = dir;
	nf->initiator_syn = syn_only;
	nf->first_point = point;
	nf->sampling = sampling > 1 ? sampling : 0;	/* 0: exact */
	if (tcp)
		hs_first(nf, dir, fl, now);
	if (dir == XTAP_DIR_AB)
		flow_first_packet(nf, 0, p, fl, tcp, w);
	else
		flow_first_packet(nf, 1, p, fl, tcp, w);
	return nf;
}

/*
 * Account one packet to its flow, creating the entry on first sight. Returns
 * the flow's write-back entry, its key the flow's: valid when it holds the
 * flow, else the flow stays out for its handshake. NULL: no entry. The
 * common case touches only this CPU's write-back entry; the shared table is
 * looked up when a flow starts, changes, carries SYN/FIN/RST, or every
 * XTAP_FCACHE_BATCH packets. point is where the packet is seen: a new flow
 * belongs to it, and only the interface a flow belongs to counts it. The
 * packet weighs w (kern/lib/sample.h); a new flow records the sampling
 * rate it is made under.
 */
static __always_inline struct xtap_fcache *flow_account(const struct pkt *p, __u32 point,
							 struct xtap_stats *st, __u32 w,
							 __u32 sampling)
{
	struct xtap_flow_key k __attribute__((aligned(8)));
	__u8 fl = p->tcp_flags;
	/* a later fragment has no TCP header: its flags are no TCP's */
	int dir, tcp = p->l4proto == IPPROTO_TCP && p->frag != XTAP_FRAG_LATER;
	int syn_only = tcp && (fl & (XTAP_TCP_SYN | XTAP_TCP_ACK)) == XTAP_TCP_SYN;
	int event = tcp && (fl & XTAP_TCP_EDGES);
	struct xtap_fcache *c;
	struct xtap_flow *f;
	__u32 slot;

	if (!tcp)
		fl = 0;
	dir = flow_key_make(p, &k);
	slot = fcache_slot(&k);
	c = bpf_map_lookup_elem(&xtap_fcache, &slot);
	if (fcache_account(c, &k, dir, p, tcp, fl, event, w))
		return c;

	f = bpf_map_lookup_elem(&xtap_flows, &k);
	if (!f) {
		struct xtap_flow *nf = flow_new(dir, p, point, tcp, fl, syn_only, w, sampling);
		int hold;

		if (!nf)
			return NULL;
		hold = !hs_pending(nf);
		if (!bpf_map_update_elem(&xtap_flows, &k, nf, BPF_NOEXIST)) {
			if (st)
				st->c[XTAP_STAT_FLOW_NEW]++;
			fcache_remember(c, &k, nf, point, hold);
			return c;
		}
		/* another CPU created it meanwhile: account on that entry */
		f = bpf_map_lookup_elem(&xtap_flows, &k);
		if (!f) {
			if (st)
				st->c[XTAP_STAT_FLOW_FAIL]++;
			return NULL;
		}
	}
	if (f->first_point / XTAP_HOOK_MAX == xtap_slot)
		flow_update(f, &k, dir, p, tcp, fl, event, syn_only, w);
	fcache_remember(c, &k, f, f->first_point, !hs_pending(f));
	return c;
}

#endif
