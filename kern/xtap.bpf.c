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
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	int act;

	tap_core(ctx, data, data_end, bpf_xdp_get_buff_len(ctx), 0, 0, XTAP_HOOK_XDP);
	act = xsk_verdict(ctx);	/* XDP_PASS unless AF_XDP capture is on */
	hop_xdp_stamp(ctx, act == XDP_PASS);	/* last: it moves the packet pointers */
	return act;
}

/*
 * TC verdict: TC_ACT_UNSPEC, not TC_ACT_OK. Both let the packet go on, but
 * TC_ACT_OK ends the chain: a tcx program returning it (TCX_PASS) skips the
 * programs attached after it, and in a clsact filter list it stops the walk.
 * TC_ACT_UNSPEC (TCX_NEXT) hands the packet to the next program and, at the
 * end of the chain, is the default "pass".
 */
/*
 * At TC ingress the buffer normally starts at the Ethernet header, but an skb
 * that lost its mac_len (seen after generic XDP copied it) starts at the
 * network header instead. Tell the two apart by comparing the bytes at the
 * MAC header with the bytes at data. Returns 0 for "starts at Ethernet", else
 * the EtherType of the network header that data points to.
 */
static __always_inline __u16 tc_l3_start(struct __sk_buff *skb, void *data, void *data_end)
{
	__u8 mac[ETH_HLEN];
	__u8 *d = data;

	if (d + ETH_HLEN > (__u8 *)data_end)
		return 0;
	if (bpf_skb_load_bytes_relative(skb, 0, mac, ETH_HLEN, BPF_HDR_START_MAC))
		return 0;
#pragma unroll
	for (int i = 0; i < ETH_HLEN; i++)
		if (mac[i] != d[i])
			return bpf_ntohs(skb->protocol);
	return 0;
}

static __always_inline int tc_tap(struct __sk_buff *skb, __u32 hook)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u16 l3 = hook == XTAP_HOOK_TC_INGRESS ? tc_l3_start(skb, data, data_end) : 0;
	/* a tag the driver stripped lives in the skb, not in the frame */
	__u16 vlan = skb->vlan_present ? skb->vlan_tci & 0x0fff : 0;

	tap_core(skb, data, data_end, skb->len, l3, vlan, hook);
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
