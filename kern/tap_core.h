/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one data-plane core, called by every entry point. It observes: it never
 * changes the packet and its verdict is always "go on". It returns the mask
 * of the captures that run, when any does: the entry point then calls
 * capture_dispatch() as its very last act (a tail call does not
 * return), after its own verdict work (AF_XDP, the hop stamp).
 */
#ifndef XTAP_KERN_TAP_CORE_H
#define XTAP_KERN_TAP_CORE_H

#include "lib/config.h"
#include "lib/stats.h"
#include "lib/parse.h"
#include "lib/flow.h"
#include "lib/emit.h"
#include "lib/hop.h"
#include "lib/app.h"
#include "lib/sample.h"
#include "lib/tunmeta.h"

static __always_inline __u32 tap_core(void *ctx, void *data, void *data_end, __u64 frame_len,
				    __u16 l3_proto, __u16 vlan, __u32 hook, int *hop_stamp)
{
	struct xtap_stats *st = xtap_stats_of(hook);
	struct pkt p = {};
	__u32 n, weight = 1;
	int outcome;

	frame_len = xtap_wire_len(frame_len);
	if (sample_skip(ctx, hook, data, data_end, frame_len, l3_proto, st))
		return capture_mask();
	outcome = parse_packet(ctx, hook == XTAP_HOOK_XDP, data, data_end, frame_len, l3_proto, &p);
	/* the frame's bounds afresh: the ones the parser checked differ with
	 * every header layout, and would make the verifier go through all
	 * that follows once per layout (a tunnel's inner headers multiply
	 * them) */
	asm volatile("" ::: "memory");
	data = ctx_data(ctx, hook == XTAP_HOOK_XDP);
	data_end = ctx_data_end(ctx, hook == XTAP_HOOK_XDP);
	if (!p.vlan)
		p.vlan = vlan;
	if (st) {
		if (outcome >= 0 && outcome < XTAP_STAT_OUTCOME_END)
			st->c[outcome]++;
		st->c[XTAP_STAT_BYTES] += p.len;
		tun_count(&p, st);
	}
	if (outcome <= XTAP_STAT_IP_FRAGMENT) {	/* else not IP, or malformed: no flow */
		int counts = xtap_hook_counts(hook);	/* else XDP already counted it here */

		n = sample_rate();	/* read again: nothing lives across the parser */
		if (n > 1)
			weight = sample_weight(&p, n);
		if (counts && weight) {
			pkt_wire_segs(ctx, hook == XTAP_HOOK_XDP, l3_proto, &p);
			flow_account(&p, XTAP_POINT(xtap_slot, hook), st, weight, n);
			tun_record(&p);
			app_account(ctx, data, data_end, &p, hook);
		}
		*hop_stamp = hop_observe(ctx, &p, hook, st);
	}
	return capture_mask();
}

#endif
