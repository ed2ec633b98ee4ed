/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * AF_XDP capture: hand sampled frames of this interface to the AF_XDP socket
 * of their RX queue. Only for a port that exists to be captured: a frame
 * redirected here is consumed. With AF_XDP capture off this costs a load and
 * a test of the slot's bit (xtap_live.xsk_slots), and the verdict stays
 * XDP_PASS.
 */
#ifndef XTAP_KERN_XSK_H
#define XTAP_KERN_XSK_H

#include "config.h"
#include "live.h"
#include "pkt_ctx.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XTAP_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct xtap_xsk_cfg);
} xtap_xsk_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, XTAP_MAX_SLOTS * XTAP_XSK_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xtap_xsk SEC(".maps");

/* The XDP verdict for a frame tap_core has seen. */
static __always_inline int xsk_verdict(struct xdp_md *ctx)
{
	struct xtap_xsk_cfg *cfg;
	struct xtap_xsk_meta *m;
	__u32 slot = xtap_slot, q;
	int meta, act;
	void *data;

	if (!(xtap_live.xsk_slots & (1ull << (slot % XTAP_MAX_SLOTS))))
		return XDP_PASS;
	cfg = bpf_map_lookup_elem(&xtap_xsk_cfg, &slot);
	if (!cfg || !cfg->enabled)
		return XDP_PASS;
	if (cfg->sample > 1 && bpf_get_prandom_u32() % cfg->sample)
		return XDP_PASS;
	q = ctx_rx_queue(ctx);
	if (q >= XTAP_XSK_QUEUES)
		return XDP_PASS;
	/* the receive time goes in front of the frame, where the socket's
	 * reader finds it; a driver without metadata room gets none */
	meta = !bpf_xdp_adjust_meta(ctx, -(int)sizeof(*m));
	if (meta) {
		m = ctx_data_meta(ctx, 1);
		data = ctx_data(ctx, 1);
		if ((void *)(m + 1) <= data) {
			m->ts_ns = xtap_now();
			m->magic = XTAP_XSK_META_MAGIC;
			m->reserved = 0;
		}
	}
	act = bpf_redirect_map(&xtap_xsk, XTAP_XSK_KEY(slot, q), XDP_PASS);
	/* no socket on this queue: the frame goes on to the stack as it came */
	if (act != XDP_REDIRECT && meta)
		bpf_xdp_adjust_meta(ctx, (int)sizeof(*m));
	return act;
}

#endif
