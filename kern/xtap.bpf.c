/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Entry points: adapt the context, call the core, let the packet go on. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "tap_core.h"
#include "lib/xsk.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp.frags")
int xdp_tap(struct xdp_md *ctx)
{
	int act, hop_stamp = 0;
	__u32 capture;

	capture = tap_core(ctx, XTAP_HOOK_XDP, &hop_stamp);
	act = xsk_verdict(ctx);	/* XDP_PASS unless AF_XDP capture is on */
	if (hop_stamp)
		hop_xdp_stamp(ctx, act == XDP_PASS);	/* it moves the metadata pointer */
	if (capture && act == XDP_PASS)
		capture_dispatch(ctx, 1, XTAP_HOOK_XDP, capture);	/* a tail call: last */
	return act;
}

/*
 * TC verdict: TC_ACT_UNSPEC, not TC_ACT_OK. Both let the packet go on, but
 * TC_ACT_OK ends the chain: a tcx program returning it (TCX_PASS) skips the
 * programs attached after it, and in a clsact filter list it stops the walk.
 * TC_ACT_UNSPEC (TCX_NEXT) hands the packet to the next program and, at the
 * end of the chain, is the default "pass".
 */
static __always_inline int tc_tap(struct __sk_buff *skb, __u32 hook)
{
	int hop_stamp = 0;	/* XDP's alone */
	__u32 capture = tap_core(skb, hook, &hop_stamp);

	if (capture)
		capture_dispatch(skb, 0, hook, capture);	/* a tail call: last */
	return TC_ACT_UNSPEC;
}

SEC("tc")
int tc_tap_ingress(struct __sk_buff *skb)
{
	return tc_tap(skb, XTAP_HOOK_TC_INGRESS);
}

SEC("tc")
int tc_tap_egress(struct __sk_buff *skb)
{
	return tc_tap(skb, XTAP_HOOK_TC_EGRESS);
}

/* The capture copy, tail-called after a capture's filter (kern/lib/emit.h). */
SEC("xdp.frags")
int xtap_cap_xdp(struct xdp_md *ctx)
{
	capture_step(ctx, 1);
	return XDP_PASS;
}

SEC("tc")
int xtap_cap_tc(struct __sk_buff *skb)
{
	capture_step(skb, 0);
	return TC_ACT_UNSPEC;
}
