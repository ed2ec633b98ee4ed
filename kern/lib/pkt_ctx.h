/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The packet's context, read the same way at every hook: XDP's struct xdp_md
 * and TC's struct __sk_buff. Every accessor takes the context as void * and
 * xdp, 1 for struct xdp_md and 0 for struct __sk_buff. All of them are
 * inlined into the entry points, which pass a constant: the compiler keeps
 * the one branch of the hook at hand and the other costs nothing. The rest
 * of kern/ reads the context through these alone.
 */
#ifndef XTAP_KERN_PKT_CTX_H
#define XTAP_KERN_PKT_CTX_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "../../maps/xtap.h"

/* The linear part of the frame, which may be read directly: [data, data_end). */
static __always_inline void *ctx_data(void *ctx, int xdp)
{
	if (xdp)
		return (void *)(long)((struct xdp_md *)ctx)->data;
	return (void *)(long)((struct __sk_buff *)ctx)->data;
}

static __always_inline void *ctx_data_end(void *ctx, int xdp)
{
	if (xdp)
		return (void *)(long)((struct xdp_md *)ctx)->data_end;
	return (void *)(long)((struct __sk_buff *)ctx)->data_end;
}

/* The metadata area in front of the frame: [data_meta, data). */
static __always_inline void *ctx_data_meta(void *ctx, int xdp)
{
	if (xdp)
		return (void *)(long)((struct xdp_md *)ctx)->data_meta;
	return (void *)(long)((struct __sk_buff *)ctx)->data_meta;
}

/* The bytes the frame holds: the linear and the paged parts. */
static __always_inline __u64 ctx_len(void *ctx, int xdp)
{
	if (xdp)
		return bpf_xdp_get_buff_len(ctx);
	return ((struct __sk_buff *)ctx)->len;
}

/* Copy len bytes at off (from the start of the frame, paged parts too).
 * The helpers take a scalar offset, so loops that use them keep the
 * verifier's states small. 0 on success. */
static __always_inline long ctx_load_bytes(void *ctx, int xdp, __u32 off, void *to, __u32 len)
{
	if (xdp)
		return bpf_xdp_load_bytes(ctx, off, to, len);
	return bpf_skb_load_bytes(ctx, off, to, len);
}

/* GSO at TC: an skb going out to be segmented, or one GRO merged coming in,
 * stands for gso_segs packets on the wire. 0 or 1 for a single packet; an
 * XDP frame is always one. */
static __always_inline __u32 ctx_gso_segs(void *ctx, int xdp)
{
	if (xdp)
		return 1;
	return ((struct __sk_buff *)ctx)->gso_segs;
}

/* A GSO skb, whose length its headers need not hold (BIG TCP). */
static __always_inline int ctx_is_gso(void *ctx, int xdp)
{
	if (xdp)
		return 0;
	return ((struct __sk_buff *)ctx)->gso_size != 0;
}

/* The interface the packet is on. */
static __always_inline __u32 ctx_ifindex(void *ctx, int xdp)
{
	if (xdp)
		return ((struct xdp_md *)ctx)->ingress_ifindex;
	return ((struct __sk_buff *)ctx)->ifindex;
}

/* The receive queue: XDP's alone (AF_XDP sockets are per queue). */
static __always_inline __u32 ctx_rx_queue(struct xdp_md *ctx)
{
	return ctx->rx_queue_index;
}

/*
 * At TC ingress the buffer normally starts at the Ethernet header, but an skb
 * that lost its mac_len (seen after generic XDP copied it) starts at the
 * network header instead. Tell the two apart by comparing the bytes at the
 * MAC header with the bytes at data. Returns 0 for "starts at Ethernet", else
 * the EtherType of the network header that data points to.
 */
static __always_inline __u16 skb_l3_start(struct __sk_buff *skb, void *data, void *data_end)
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

/* Where the frame at data (ctx_data) starts: 0 at the Ethernet header, else
 * the EtherType of the network header it starts at. Only a TC ingress
 * buffer can start past the Ethernet header (see skb_l3_start). */
static __always_inline __u16 ctx_l3_proto(void *ctx, int xdp, __u32 hook, void *data,
					  void *data_end)
{
	if (xdp || hook != XTAP_HOOK_TC_INGRESS)
		return 0;
	return skb_l3_start(ctx, data, data_end);
}

/* The VLAN ID a driver stripped into the skb, which the frame no longer
 * has; 0 when none. An XDP frame keeps its tags. */
static __always_inline __u16 ctx_vlan(void *ctx, int xdp)
{
	struct __sk_buff *skb = ctx;

	if (xdp)
		return 0;
	return skb->vlan_present ? skb->vlan_tci & 0x0fff : 0;
}

#endif
