/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The bare flow counter: the least a flow monitor can do per packet, and the
 * limit xtap is measured against. Parse Ethernet, IPv4 or IPv6 and the
 * ports, then one LRU hash lookup on the 5-tuple and an in-place add of
 * packets and bytes (a new tuple: one update). No direction folding, no
 * flags, no clock, no per-point counters. The table has xtap's default size;
 * bench_scale sets it to xtap's before load, like the loader does for xtap.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "maps/xtap.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct counter_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct counter_val {
	__u64 pkts;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XTAP_FLOWS_DEFAULT);
	__type(key, struct counter_key);
	__type(value, struct counter_val);
} counter_flows SEC(".maps");

static __always_inline void count(void *data, void *data_end, __u64 len)
{
	struct ethhdr *eth = data;
	struct counter_key k = {};
	struct counter_val *v, nv;
	__u8 *l4;

	if ((void *)(eth + 1) > data_end)
		return;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			return;
		__builtin_memcpy(k.saddr + 12, &ip->saddr, 4);
		__builtin_memcpy(k.daddr + 12, &ip->daddr, 4);
		k.proto = ip->protocol;
		l4 = (__u8 *)ip + ip->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return;
		__builtin_memcpy(k.saddr, &ip6->saddr, 16);
		__builtin_memcpy(k.daddr, &ip6->daddr, 16);
		k.proto = ip6->nexthdr;
		l4 = (__u8 *)(ip6 + 1);
	} else {
		return;
	}
	if ((k.proto == IPPROTO_TCP || k.proto == IPPROTO_UDP) && (void *)(l4 + 4) <= data_end) {
		k.sport = *(__u16 *)l4;
		k.dport = *(__u16 *)(l4 + 2);
	}
	v = bpf_map_lookup_elem(&counter_flows, &k);
	if (v) {
		__sync_fetch_and_add(&v->pkts, 1);
		__sync_fetch_and_add(&v->bytes, len);
		return;
	}
	nv.pkts = 1;
	nv.bytes = len;
	bpf_map_update_elem(&counter_flows, &k, &nv, BPF_NOEXIST);
}

/* xdp.frags: bench_scale tail-calls it from a program array of xdp.frags programs */
SEC("xdp.frags")
int counter_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	count(data, data_end, data_end - data);
	return XDP_PASS;
}

SEC("tc")
int counter_tc(struct __sk_buff *skb)
{
	count((void *)(long)skb->data, (void *)(long)skb->data_end, skb->len);
	return TC_ACT_UNSPEC;
}
