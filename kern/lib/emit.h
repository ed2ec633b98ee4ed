/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Packet capture: copy a selected packet, up to the snap length, into the
 * capture ring. With capture off this costs one array lookup.
 */
#ifndef XTAP_KERN_EMIT_H
#define XTAP_KERN_EMIT_H

#include "ctx.h"
#include "parse.h"
#include "flow.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xtap_capture_cfg);
} xtap_capture SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, XTAP_RING_SIZE_DEFAULT);	/* the loader may change it */
} xtap_ring SEC(".maps");

/* A record is built here, then copied into the ring with bpf_ringbuf_output:
 * the ring then holds only the bytes kept, not XTAP_SNAP_MAX per packet. */
struct xtap_capture_buf {
	struct xtap_capture_rec rec;
	__u8 data[XTAP_SNAP_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xtap_capture_buf);
} xtap_capbuf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XTAP_CAPFLOWS_MAX);
	__type(key, struct xtap_flow_key);
	__type(value, struct xtap_capflow);
} xtap_capflows SEC(".maps");

#define XTAP_TCP_EDGES (XTAP_TCP_SYN | XTAP_TCP_FIN | XTAP_TCP_RST)

/* Flow-aware sampling: the first K packets of each flow, and every TCP SYN,
 * FIN and RST after those; packets that belong to no flow are all kept. */
static __always_inline int capture_flow_sampled(const struct xtap_capture_cfg *cfg,
						const struct pkt *p, int has_flow,
						const struct xtap_flow_key *k)
{
	struct xtap_capflow *f, nf = { .gen = cfg->gen, .pkts = 1 };

	if (!has_flow)
		return 1;
	f = bpf_map_lookup_elem(&xtap_capflows, k);
	if (!f || f->gen != cfg->gen) {
		bpf_map_update_elem(&xtap_capflows, k, &nf, BPF_ANY);
		return 1;
	}
	if (f->pkts < cfg->sample_flows) {
		__sync_fetch_and_add(&f->pkts, 1);
		return 1;
	}
	return p->l4proto == IPPROTO_TCP && p->frag != XTAP_FRAG_LATER &&
	       (p->tcp_flags & XTAP_TCP_EDGES);
}

/* Is this attach point selected by the config? */
static __always_inline int capture_point_selected(const struct xtap_capture_cfg *cfg, __u32 hook)
{
	if (cfg->hooks ? !(cfg->hooks & (1u << hook)) : !xtap_hook_counts(hook))
		return 0;
	if (cfg->slots && !(cfg->slots & (1ull << (xtap_slot & (XTAP_MAX_SLOTS - 1)))))
		return 0;
	return 1;
}

static __always_inline void capture_emit(void *ctx, const struct pkt *p, int outcome, __u32 hook,
					 struct xtap_stats *st)
{
	struct xtap_capture_cfg *cfg;
	struct xtap_capture_buf *b;
	struct xtap_flow_key k = {};
	__u32 zero = 0, snap;
	__u64 avail, n;
	int has_flow = outcome >= 0 && outcome <= XTAP_STAT_IP_FRAGMENT;
	__u8 dir = XTAP_CAPTURE_NO_FLOW;

	cfg = bpf_map_lookup_elem(&xtap_capture, &zero);
	if (!cfg || !cfg->enabled)
		return;
	if (!capture_point_selected(cfg, hook))
		return;
	/* 1 in N at random: before any other work on the packet */
	if (!cfg->sample_flows && cfg->sample > 1 && bpf_get_prandom_u32() % cfg->sample)
		return;
	if (has_flow)
		dir = flow_key_make(p, &k);
	if (cfg->sample_flows && !capture_flow_sampled(cfg, p, has_flow, &k))
		return;
	b = bpf_map_lookup_elem(&xtap_capbuf, &zero);
	if (!b)
		return;

	/* bytes the context holds: linear and paged parts */
	if (hook == XTAP_HOOK_XDP)
		avail = bpf_xdp_get_buff_len(ctx);
	else
		avail = ((struct __sk_buff *)ctx)->len;
	snap = cfg->snaplen;
	if (!snap || snap > XTAP_SNAP_MAX)
		snap = XTAP_SNAP_MAX;
	n = avail < snap ? avail : snap;
	/* clang 14: the bound must be on the 64-bit value the helper gets */
	if (n > XTAP_SNAP_MAX)
		n = XTAP_SNAP_MAX;
	if (n < 1)
		return;
	if (hook == XTAP_HOOK_XDP) {
		if (bpf_xdp_load_bytes(ctx, 0, b->data, n))
			return;
	} else {
		if (bpf_skb_load_bytes(ctx, 0, b->data, n))
			return;
	}

	b->rec.version = XTAP_CAPTURE_VERSION;
	b->rec.hook = hook;
	b->rec.flow_dir = dir;
	b->rec.slot = xtap_slot;
	b->rec.reserved0 = 0;
	b->rec.ifindex = hook == XTAP_HOOK_XDP ? ((struct xdp_md *)ctx)->ingress_ifindex
					       : ((struct __sk_buff *)ctx)->ifindex;
	b->rec.wire_len = p->len > avail ? p->len : avail;
	b->rec.cap_len = n;
	b->rec.reserved1 = 0;
	b->rec.ts_ns = xtap_now();
	if (bpf_ringbuf_output(&xtap_ring, b, sizeof(b->rec) + n, 0)) {
		if (st)
			st->c[XTAP_STAT_CAPTURE_DROP]++;
		return;
	}
	if (st)
		st->c[XTAP_STAT_CAPTURED]++;
}

#endif
