/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Entry points: adapt the context, call the core, let the packet go on. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "tap_core.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp.frags")
int xdp_tap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	tap_core(ctx, data, data_end, bpf_xdp_get_buff_len(ctx), XTAP_HOOK_XDP);
	return XDP_PASS;
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
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	tap_core(skb, data, data_end, skb->len, hook);
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
