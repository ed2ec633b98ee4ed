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
#else
	k->port_a = sp;
	k->port_b = dp;
	k->vlan = p->vlan;
	k->proto = p->l4proto;
	k->ip_version = p->ip_version;
#endif
	return swap ? XTAP_DIR_BA : XTAP_DIR_AB;
}

/* XTAP_TCP_FIN, _SYN, _RST, _ACK: latency.h */

static __always_inline void flow_first_packet(struct xtap_flow *f, const int d, const struct pkt *p,
					      __u8 fl, int tcp)
{
	f->pkts[d] = 1;
	f->bytes[d] = p->len;
	f->tcp_flags[d] = fl;
	f->syn[d] = !!(fl & XTAP_TCP_SYN);
	f->fin[d] = !!(fl & XTAP_TCP_FIN);
	f->rst[d] = !!(fl & XTAP_TCP_RST);
#if XTAP_FEATURE_LATENCY
	if (!tcp)
		return;
	/* the first segment sets the mark; its TSval waits for an echo */
	seq_track(&f->seq_next[d], &f->seq_seen, 1 << d, p->seq, p->payload_len, fl);
	if (p->has_ts) {
		f->ts_last[d] = p->tsval;
		f->ts_val[d] = p->tsval;
		f->ts_ns[d] = f->first_ns;
		f->ts_seen = 1 << d;
		f->ts_pending = 1 << d;
	}
#endif
}

/* The write-back entry takes the flow's high-water marks from the shared
 * entry (it counts against its own copy) and forgets the timestamps it saw. */
static __always_inline void fcache_take_tcp(struct xtap_fcache *c, const struct xtap_flow *f)
{
#if XTAP_FEATURE_LATENCY
	c->seq_next[0] = f->seq_next[0];
	c->seq_next[1] = f->seq_next[1];
	c->seq_seen = f->seq_seen;
	c->ts_seen = 0;
#endif
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
#if XTAP_FEATURE_LATENCY
		if (c->retrans[0])
			__sync_fetch_and_add(&f->retrans[0], c->retrans[0]);
		if (c->retrans[1])
			__sync_fetch_and_add(&f->retrans[1], c->retrans[1]);
		/* the larger high-water mark wins */
		if ((c->seq_seen & 1) && (!(f->seq_seen & 1) || seq_before(f->seq_next[0], c->seq_next[0])))
			f->seq_next[0] = c->seq_next[0];
		if ((c->seq_seen & 2) && (!(f->seq_seen & 2) || seq_before(f->seq_next[1], c->seq_next[1])))
			f->seq_next[1] = c->seq_next[1];
		f->seq_seen |= c->seq_seen;
#endif
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
	__u64 h = w[0] ^ w[1] ^ w[2] ^ w[3] ^ w[4];

	h ^= h >> 32;
	h ^= h >> 16;
	h ^= h >> 8;
	return (__u32)h & (XTAP_FCACHE_SLOTS - 1);
}

static __always_inline int fcache_holds(const struct xtap_fcache *c, const struct xtap_flow_key *k)
{
	const __u64 *a = (const __u64 *)&c->key, *b = (const __u64 *)k;

	return c->valid && a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] &&
	       a[4] == b[4];
}

/* Retransmissions and passive RTT of a TCP segment on the write-back path:
 * the high-water mark is the entry's own; a TSval or TSecr that differs from
 * the last one this entry saw in the direction takes the shared entry. */
static __always_inline void fcache_tcp(struct xtap_fcache *c, int dir, const struct pkt *p, __u8 fl)
{
#if XTAP_FEATURE_LATENCY
	__u8 bit = 1 << dir;

	if (seq_track(&c->seq_next[dir], &c->seq_seen, bit, p->seq, p->payload_len, fl))
		c->retrans[dir]++;
	if (p->has_ts && (!(c->ts_seen & bit) || c->tsval[dir] != p->tsval ||
			  c->tsecr[dir] != p->tsecr)) {
		struct xtap_flow *f;

		c->tsval[dir] = p->tsval;
		c->tsecr[dir] = p->tsecr;
		c->ts_seen |= bit;
		f = bpf_map_lookup_elem(&xtap_flows, &c->key);
		if (f)
			ts_track(f, &c->key, dir, p->tsval, p->tsecr);
	}
#endif
}

/* The hot path: one more packet of the flow this CPU's entry holds. */
static __always_inline void fcache_add(struct xtap_fcache *c, int dir, const struct pkt *p, int tcp,
				       __u8 fl)
{
	__u64 len = p->len;

	if (dir == XTAP_DIR_AB) {
		c->pkts[0]++;
		c->bytes[0] += len;
		c->tcp_flags[0] |= fl;
	} else {
		c->pkts[1]++;
		c->bytes[1] += len;
		c->tcp_flags[1] |= fl;
	}
	if (tcp)
		fcache_tcp(c, dir, p, fl);
	c->last_ns = xtap_now_coarse();
	if (++c->count >= XTAP_FCACHE_BATCH)
		fcache_flush(c);
}

/* Account one packet to its flow, creating the entry on first sight. The
 * common case touches only this CPU's write-back entry; the shared table is
 * looked up when a flow starts, changes, carries SYN/FIN/RST, or every
 * XTAP_FCACHE_BATCH packets. */
static __always_inline void flow_account(const struct pkt *p, __u32 point, struct xtap_stats *st)
{
	struct xtap_flow_key k __attribute__((aligned(8)));
	struct xtap_fcache *c;
	struct xtap_flow *f;
	__u32 slot;
	__u64 now;
	int hold, pending;
	__u8 fl = p->tcp_flags;
	int dir, tcp = p->l4proto == IPPROTO_TCP && p->frag != XTAP_FRAG_LATER;
	int syn_only = tcp && (fl & (XTAP_TCP_SYN | XTAP_TCP_ACK)) == XTAP_TCP_SYN;
	int event = tcp && (fl & (XTAP_TCP_SYN | XTAP_TCP_FIN | XTAP_TCP_RST));

	if (!tcp)
		fl = 0;
	dir = flow_key_make(p, &k);
	slot = fcache_slot(&k);
	c = bpf_map_lookup_elem(&xtap_fcache, &slot);
	if (c && fcache_holds(c, &k)) {
		/* the interface that saw the conversation first owns its
		 * counts, so a packet crossing several attached interfaces is
		 * counted once */
		if (c->owner_slot != xtap_slot)
			return;
		if (!event) {
			fcache_add(c, dir, p, tcp, fl);
			return;
		}
		fcache_flush(c);	/* deltas first, then the event */
	} else if (c) {
		fcache_flush(c);	/* the slot goes to this flow */
		c->valid = 0;
	}

	f = bpf_map_lookup_elem(&xtap_flows, &k);
	if (!f) {
		__u32 zero = 0;
		struct xtap_flow *nfp = bpf_map_lookup_elem(&xtap_newflow, &zero);
		long err;

		if (!nfp)
			return;
#define nf (*nfp)
		__builtin_memset(nfp, 0, sizeof(*nfp));
		now = xtap_now();
		nf.first_ns = now;
		nf.last_ns = now;
		nf.initiator = dir;
		nf.initiator_syn = syn_only;
		nf.first_point = point;
		if (tcp)
			hs_first(&nf, dir, fl, now);
		hold = !hs_pending(&nf);
		if (dir == XTAP_DIR_AB)
			flow_first_packet(&nf, 0, p, fl, tcp);
		else
			flow_first_packet(&nf, 1, p, fl, tcp);
		err = bpf_map_update_elem(&xtap_flows, &k, &nf, BPF_NOEXIST);
		if (!err) {
			if (st)
				st->c[XTAP_STAT_FLOW_NEW]++;
			if (c && hold)
				fcache_take_tcp(c, &nf);
#undef nf
			goto remember;
		}
		/* another CPU created it meanwhile: account on that entry */
		f = bpf_map_lookup_elem(&xtap_flows, &k);
		if (!f) {
			if (st)
				st->c[XTAP_STAT_FLOW_FAIL]++;
			return;
		}
	}

	if (f->first_point / XTAP_HOOK_MAX == xtap_slot) {
		pending = tcp && hs_pending(f);
		__sync_fetch_and_add(&f->pkts[dir], 1);
		__sync_fetch_and_add(&f->bytes[dir], p->len);
		now = event || pending ? xtap_now() : xtap_now_coarse();
		if (now > f->last_ns)
			f->last_ns = now;
		if (tcp && (f->tcp_flags[dir] | fl) != f->tcp_flags[dir])
			__sync_fetch_and_or(&f->tcp_flags[dir], fl);
		if (event) {
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
		if (event || pending)
			hs_update(f, &k, dir, fl, now);
#if XTAP_FEATURE_LATENCY
		if (tcp) {
			if (seq_track(&f->seq_next[dir], &f->seq_seen, 1 << dir, p->seq,
				      p->payload_len, fl))
				__sync_fetch_and_add(&f->retrans[dir], 1);
			if (p->has_ts)
				ts_track(f, &k, dir, p->tsval, p->tsecr);
		}
#endif
	}
	point = f->first_point;
	hold = !hs_pending(f);
	/* the marks this packet may have moved, for the short path */
	if (c && hold)
		fcache_take_tcp(c, f);
remember:
	/* A flow whose handshake is under way stays out of the write-back
	 * entry (its deltas were flushed above), so that the ACK completing
	 * the handshake takes this path too. */
	if (c && !hold)
		c->valid = 0;
	/* the next packets of this flow on this CPU take the short path */
	else if (c && !c->valid) {
		__builtin_memcpy(&c->key, &k, sizeof(k));
		c->owner_slot = point / XTAP_HOOK_MAX;
		c->valid = 1;
	}
}

#endif
