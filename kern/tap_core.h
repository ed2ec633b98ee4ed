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
#include "lib/owner.h"
#include "lib/tunmeta.h"

static __always_inline __u32 tap_core(void *ctx, __u32 hook, int *hop_stamp)
{
	int xdp = hook == XTAP_HOOK_XDP, outcome;
	struct xtap_stats *st = xtap_stats_of(hook);
	__u32 n, weight = 1;
	__u64 frame_len;
	__u16 l3_proto;

	/* first: a packet left out of the flow sample, or one whose flow this
	 * hook does not account, reads no more than it needs */
	if (sample_skip(ctx, hook, st))
		return capture_mask();

	/* the frame's pointers read here, not kept from the entry point: over
	 * sample_skip's lookups they would live on the stack */
	void *data = ctx_data(ctx, xdp), *data_end = ctx_data_end(ctx, xdp);
	struct pkt p = {};

	frame_len = xtap_wire_len(ctx_len(ctx, xdp));
	l3_proto = ctx_l3_proto(ctx, xdp, hook, data, data_end);
	outcome = parse_packet(ctx, xdp, data, data_end, frame_len, l3_proto, &p);
	/* p stays one object on the stack, whatever the features compiled in.
	 * Where nothing takes its address (as in a build without app_account's
	 * call), clang promotes its fields to registers piecemeal and moves
	 * them between registers and stack slots, which costs every packet
	 * more than the work it saves (BENCHMARKS.md). */
	asm volatile("" : : "r"(&p) : "memory");
	/* the frame's bounds afresh: the ones the parser checked differ with
	 * every header layout, and would make the verifier go through all
	 * that follows once per layout (a tunnel's inner headers multiply
	 * them) */
	data = ctx_data(ctx, xdp);
	data_end = ctx_data_end(ctx, xdp);
	if (!p.vlan)
		p.vlan = ctx_vlan(ctx, xdp);
	if (st) {
		if (outcome >= 0 && outcome < XTAP_STAT_OUTCOME_END)
			st->c[outcome]++;
		st->c[XTAP_STAT_BYTES] += p.len;
		tun_count(&p, st);
	}
	if (outcome <= XTAP_STAT_IP_FRAGMENT) {	/* else not IP, or malformed: no flow */
		int counts = xtap_hook_counts(hook);	/* else XDP already counted it here */

		n = sample_rate();	/* read again: nothing lives across the parser */
		if (n > 1 && counts)
			weight = sample_weight(&p, n);
		if (counts && weight) {
			pkt_wire_segs(ctx, xdp, l3_proto, &p);
			struct xtap_fcache *c = flow_account(&p, XTAP_POINT(xtap_slot, hook), st,
							     weight, n);

			owner_account(ctx, hook, c, &p);
			tun_record(&p);
			app_account(ctx, data, data_end, &p, hook);
		}
		*hop_stamp = hop_observe(ctx, &p, hook, st);
	}
	return capture_mask();
}

#endif
