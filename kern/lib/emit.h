/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Packet capture: copy a selected packet, up to the snap length, into the
 * rings of each capture that runs (maps/xtap.h tells the whole path). With
 * no capture running this costs one array lookup.
 *
 * The data-plane program calls capture_mask() where it has parsed the
 * packet and capture_dispatch() last, as a tail call does not return. The
 * copy, capture_step(), is its own program (xtap_cap_xdp, xtap_cap_tc) that
 * the loader puts at XTAP_CAPTURE_STEP of the program arrays.
 */
#ifndef XTAP_KERN_EMIT_H
#define XTAP_KERN_EMIT_H

#include "config.h"
#include "live.h"
#include "stats.h"
#include "pkt_ctx.h"
#include "parse.h"
#include "flow.h"
#include "owner.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XTAP_CAPTURES_MAX);
	__type(key, __u32);
	__type(value, struct xtap_capture_cfg);
} xtap_capture SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xtap_capture_pkt);
} xtap_capscratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XTAP_CAPTURES_MAX);
	__type(key, __u32);
	__type(value, struct xtap_capture_stats);
} xtap_capstats SEC(".maps");

/* Entries 0 .. XTAP_CAPTURES_MAX - 1: each capture's filter (user space
 * loads them); XTAP_CAPTURE_STEP: the copy. One array per program type. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, XTAP_CAPTURES_MAX + 1);
	__type(key, __u32);
	__type(value, __u32);
} xtap_capprog_xdp SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, XTAP_CAPTURES_MAX + 1);
	__type(key, __u32);
	__type(value, __u32);
} xtap_capprog_tc SEC(".maps");

/* The rings are made by whoever runs the capture: the size is theirs. */
struct xtap_ring_inner {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, XTAP_RING_SIZE_DEFAULT);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, XTAP_CAPTURES_MAX * XTAP_CAPTURE_RINGS);
	__type(key, __u32);
	__array(values, struct xtap_ring_inner);
} xtap_rings SEC(".maps");

/* A record is built here, then copied into the ring with bpf_ringbuf_output:
 * the ring then holds only the bytes kept, not a chunk per packet. A longer
 * frame goes through data a chunk at a time (capture_copy_big). */
struct xtap_capture_buf {
	struct xtap_capture_rec rec;
	__u8 data[XTAP_CAPTURE_CHUNK];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xtap_capture_buf);
} xtap_capbuf SEC(".maps");

/* Flow-aware sampling: each capture id counts in its own element. */
struct xtap_capflows_val {
	struct xtap_capflow c[XTAP_CAPTURES_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XTAP_CAPFLOWS_MAX);
	__type(key, struct xtap_flow_key);
	__type(value, struct xtap_capflows_val);
} xtap_capflows SEC(".maps");

/* Does a capture run? With none, this is all a packet pays: one lookup. The
 * answer is the running captures' mask. */
static __always_inline __u32 capture_mask(void)
{
	return xtap_live.capture_on & ((1u << XTAP_CAPTURES_MAX) - 1);
}

/* The copy's parse of the packet, once per packet whatever the number of
 * captures: the same parse as the data plane's (the same start, the same
 * stripped tag), on the same bytes, so the same flow. */
static __always_inline void capture_parse(void *ctx, int xdp, struct xtap_capture_pkt *s)
{
	void *data = ctx_data(ctx, xdp), *data_end = ctx_data_end(ctx, xdp);
	__u16 l3 = ctx_l3_proto(ctx, xdp, s->h.hook, data, data_end), vlan = ctx_vlan(ctx, xdp);
	struct pkt p = {};
	int outcome;

	outcome = parse_packet(ctx, xdp, data, data_end, s->wire_len, l3, &p);
	tun_uncount();	/* the core counted this packet's tunnel outcome */
	if (!p.vlan)
		p.vlan = vlan;
	s->wire_len = p.len;	/* with the Ethernet header a TC buffer lacked */
	s->h.has_flow = outcome >= 0 && outcome <= XTAP_STAT_IP_FRAGMENT;
	s->flow_dir = XTAP_CAPTURE_NO_FLOW;
	if (s->h.has_flow)
		s->flow_dir = flow_key_make(&p, &s->key);
	s->edge = p.l4proto == IPPROTO_TCP && p.frag != XTAP_FRAG_LATER &&
		  (p.tcp_flags & XTAP_TCP_EDGES);
}

/* The lowest capture id set in mask, or XTAP_CAPTURES_MAX. */
static __always_inline __u32 capture_first(__u32 mask)
{
#pragma unroll
	for (__u32 i = 0; i < XTAP_CAPTURES_MAX; i++)
		if (mask & (1u << i))
			return i;
	return XTAP_CAPTURES_MAX;
}

/* A tail call with a constant index: the JIT patches it into a direct
 * jump. With an index in a register it is an indirect jump, which
 * retpolines make slow. In asm, as clang would otherwise merge the calls of
 * different indexes into one with the index in a register. */
#define CAPTURE_TAIL_CONST(ctx, map, k)                                               \
	asm volatile("r1 = %[c]\n\tr2 = %[m] ll\n\tr3 = %[i]\n\tcall 12"                     \
		     : : [c] "r"(ctx), [m] "i"(map), [i] "i"(k)                            \
		     : "r0", "r1", "r2", "r3", "r4", "r5", "memory")

#define CAPTURE_TAIL_IN(ctx, map, id, s)                                              \
	do {                                                                          \
		switch (id) {                                                         \
		case 0: CAPTURE_TAIL_CONST(ctx, map, 0); break;                      \
		case 1: CAPTURE_TAIL_CONST(ctx, map, 1); break;                      \
		case 2: CAPTURE_TAIL_CONST(ctx, map, 2); break;                      \
		case 3: CAPTURE_TAIL_CONST(ctx, map, 3); break;                      \
		}                                                                     \
		/* no filter there: the copy takes every packet */                    \
		(s)->cur = (id);                                                      \
		(s)->verdict = ~0u;                                                   \
		CAPTURE_TAIL_CONST(ctx, map, XTAP_CAPTURE_STEP);                      \
	} while (0)

_Static_assert(XTAP_CAPTURES_MAX == 4, "CAPTURE_TAIL_IN has a case per capture id");

/* Runs capture id's filter, else the copy with no filter; returns only when
 * neither is there (a capture stopping meanwhile). The filter writes its
 * verdict and id (capture_pkt.verdict, .cur) when it hands one on. */
static __always_inline void capture_tail(void *ctx, int xdp, struct xtap_capture_pkt *s, __u32 id)
{
	if (xdp)
		CAPTURE_TAIL_IN(ctx, &xtap_capprog_xdp, id, s);
	else
		CAPTURE_TAIL_IN(ctx, &xtap_capprog_tc, id, s);
}

/*
 * The data-plane program's last act when capture_mask has a capture: one
 * store to the per-CPU scratch (the captures that run, the interface, the
 * hook; union xtap_capture_head is one word so that it is one store) and a
 * tail call to the first capture's filter. Everything else, the frame's
 * length, the flow key, the direction, the TCP edge, where the parse
 * starts, is the copy's to work out (capture_parse), for the packets a
 * filter accepts: a packet every filter rejects pays no more. Nothing of
 * the data plane's own parse is kept for this: values kept alive until the
 * tail call multiply the states the verifier follows through the core.
 */
static __always_inline void capture_dispatch(void *ctx, int xdp, __u32 hook, __u32 mask)
{
	union xtap_capture_head h = { .mask = mask, .slot = xtap_slot, .hook = hook,
				      .has_flow = XTAP_CAPTURE_UNPARSED };
	struct xtap_capture_pkt *s;
	__u32 zero = 0, id;

	s = bpf_map_lookup_elem(&xtap_capscratch, &zero);
	if (!s)
		return;
	s->h.word = h.word;
	id = capture_first(mask);
	if (id < XTAP_CAPTURES_MAX)
		capture_tail(ctx, xdp, s, id);
}

/* Flow-aware sampling: the first K packets of each flow, and every TCP SYN,
 * FIN and RST after those; packets that belong to no flow are all kept. */
static __always_inline int capture_flow_sampled(const struct xtap_capture_cfg *cfg,
						const struct xtap_capture_pkt *s, __u32 id)
{
	struct xtap_capflows_val *f, nf = {};
	struct xtap_capflow *c;

	if (!s->h.has_flow)
		return 1;
	if (id >= XTAP_CAPTURES_MAX)
		return 0;
	f = bpf_map_lookup_elem(&xtap_capflows, &s->key);
	if (!f) {
		nf.c[id].gen = cfg->gen;
		nf.c[id].pkts = 1;
		bpf_map_update_elem(&xtap_capflows, &s->key, &nf, BPF_ANY);
		return 1;
	}
	c = &f->c[id];
	if (c->gen != cfg->gen) {
		c->gen = cfg->gen;
		c->pkts = 1;
		return 1;
	}
	if (c->pkts < cfg->sample_flows) {
		__sync_fetch_and_add(&c->pkts, 1);
		return 1;
	}
	return s->edge;
}

/* Is this attach point selected by the config? */
static __always_inline int capture_point_selected(const struct xtap_capture_cfg *cfg, __u32 hook,
						  __u32 slot)
{
	if (cfg->hooks ? !(cfg->hooks & (1u << hook)) : !xtap_hook_counts(hook))
		return 0;
	if (cfg->slots && !(cfg->slots & (1ull << (slot & (XTAP_MAX_SLOTS - 1)))))
		return 0;
	return 1;
}

/* dropped: 1 the ring was full, 0 the record is in, else nothing happened */
static __always_inline void capture_count(const struct xtap_capture_pkt *s, __u32 id, int dropped)
{
	__u32 point = XTAP_POINT(s->h.slot & (XTAP_MAX_SLOTS - 1), s->h.hook % XTAP_HOOK_MAX);
	struct xtap_capture_stats *cs;
	struct xtap_stats *st;

	if (dropped < 0)
		return;
	cs = bpf_map_lookup_elem(&xtap_capstats, &id);
	st = bpf_map_lookup_elem(&xtap_stats, &point);
	if (cs) {
		if (dropped)
			cs->dropped++;
		else
			cs->captured++;
	}
	if (st)
		st->c[dropped ? XTAP_STAT_CAPTURE_DROP : XTAP_STAT_CAPTURED]++;
}

/* A frame longer than a chunk: the record is reserved in the ring whole and
 * filled a chunk at a time through the per-CPU buffer. Returns 1 when the
 * ring had no room (a drop), -1 when the frame could not be read, else 0. */
static __always_inline int capture_copy_big(void *ctx, int xdp, void *rb, struct xtap_capture_buf *b,
				       __u64 n)
{
	struct bpf_dynptr dp;
	__u32 i;

	if (n > XTAP_SNAP_MAX)
		n = XTAP_SNAP_MAX;
	if (bpf_ringbuf_reserve_dynptr(rb, sizeof(b->rec) + n, 0, &dp)) {
		bpf_ringbuf_discard_dynptr(&dp, 0);
		return 1;
	}
	if (bpf_dynptr_write(&dp, 0, &b->rec, sizeof(b->rec), 0))
		goto bad;
	for (i = 0; i < XTAP_SNAP_MAX / XTAP_CAPTURE_CHUNK; i++) {
		__u64 off = (__u64)i * XTAP_CAPTURE_CHUNK, len;

		if (off >= n)
			break;
		len = n - off;
		if (len > XTAP_CAPTURE_CHUNK)
			len = XTAP_CAPTURE_CHUNK;
		if (len < 1)
			break;
		if (ctx_load_bytes(ctx, xdp, off, b->data, len))
			goto bad;
		if (bpf_dynptr_write(&dp, sizeof(b->rec) + off, b->data, len, 0))
			goto bad;
	}
	bpf_ringbuf_submit_dynptr(&dp, 0);
	return 0;
bad:
	bpf_ringbuf_discard_dynptr(&dp, 0);
	return -1;
}

/* Copy the packet into capture id's ring, if its config selects it. */
static __always_inline void capture_copy(void *ctx, int xdp, struct xtap_capture_pkt *s, __u32 id)
{
	struct xtap_capture_cfg *cfg;
	struct xtap_capture_buf *b;
	__u32 zero = 0, snap, ring;
	__u64 avail, n, cgid;
	void *rb;

	cfg = bpf_map_lookup_elem(&xtap_capture, &id);
	if (!cfg || !cfg->enabled)
		return;
	if (!capture_point_selected(cfg, s->h.hook, s->h.slot))
		return;
	if (!cfg->sample_flows && cfg->sample > 1 && bpf_get_prandom_u32() % cfg->sample)
		return;
	cgid = owner_flow_cgroup(s->h.has_flow, &s->key);
	if (cfg->cgroup_id && cgid != cfg->cgroup_id)
		return;
	if (cfg->sample_flows && !capture_flow_sampled(cfg, s, id))
		return;
	ring = id * XTAP_CAPTURE_RINGS + bpf_get_smp_processor_id() % XTAP_CAPTURE_RINGS;
	rb = bpf_map_lookup_elem(&xtap_rings, &ring);
	if (!rb)
		return;
	b = bpf_map_lookup_elem(&xtap_capbuf, &zero);
	if (!b)
		return;

	avail = ctx_len(ctx, xdp);
	snap = cfg->snaplen;
	if (!snap || snap > XTAP_SNAP_MAX)
		snap = XTAP_SNAP_MAX;
	if (s->verdict < snap)
		snap = s->verdict;	/* the filter's snap length */
	n = avail < snap ? avail : snap;
	if (n < 1)
		return;

	b->rec.version = XTAP_CAPTURE_VERSION;
	b->rec.hook = s->h.hook;
	b->rec.flow_dir = s->flow_dir;
	b->rec.slot = s->h.slot;
	b->rec.reserved0 = 0;
	b->rec.ifindex = ctx_ifindex(ctx, xdp);
	b->rec.wire_len = s->wire_len > avail ? s->wire_len : avail;
	b->rec.cap_len = n;
	b->rec.reserved1 = 0;
	/* the clock costs as much as a filter: read for copied packets only */
	b->rec.ts_ns = xtap_now();
	b->rec.flow_id = s->h.has_flow ? xtap_flow_id(&s->key) : 0;
	b->rec.cgroup_id = cgid;

	if (n > XTAP_CAPTURE_CHUNK) {
		capture_count(s, id, capture_copy_big(ctx, xdp, rb, b, n));
		return;
	}
	/* clang 14: the bound must be on the 64-bit value the helper gets */
	if (n > XTAP_CAPTURE_CHUNK)
		n = XTAP_CAPTURE_CHUNK;
	if (ctx_load_bytes(ctx, xdp, 0, b->data, n))
		return;
	capture_count(s, id, bpf_ringbuf_output(rb, b, sizeof(b->rec) + n, 0) != 0);
}

/* The copy program: capture s->cur with the verdict its filter gave, then on
 * to the next capture that runs. */
static __always_inline void capture_step(void *ctx, int xdp)
{
	struct xtap_capture_pkt *s;
	__u32 zero = 0, id, rest;

	s = bpf_map_lookup_elem(&xtap_capscratch, &zero);
	if (!s)
		return;
	id = s->cur;
	if (id >= XTAP_CAPTURES_MAX)
		return;
	if (s->verdict) {
		if (s->h.has_flow == XTAP_CAPTURE_UNPARSED) {
			s->wire_len = xtap_wire_len(ctx_len(ctx, xdp));
			capture_parse(ctx, xdp, s);
		}
		capture_copy(ctx, xdp, s, id);
	}
	rest = s->h.mask & ~((2u << id) - 1);
	id = capture_first(rest);
	if (id < XTAP_CAPTURES_MAX)
		capture_tail(ctx, xdp, s, id);
}

#endif
