/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Why packets were lost: a tracepoint on skb:kfree_skb, which the kernel
 * fires with its enum skb_drop_reason for every skb it drops. The dropped
 * skb's IP and L4 headers are read from kernel memory, keyed to the flow
 * exactly as the data-plane programs key it (flow_key_make), and counted per
 * flow, interface, reason and (TCP) receiving socket state in xtap_drops.
 * Which of them are losses is user space's call (user/drops.c). Only flows
 * in xtap_flows are counted: the drops of the traffic xtap has seen, not the
 * whole host's.
 *
 * Kernel structs are read with CO-RE: the few fields used are declared here
 * with preserve_access_index and relocated against the running kernel's BTF
 * (/sys/kernel/btf/vmlinux) at load. A full vmlinux.h cannot be included
 * next to the uapi headers that parse.h and flow.h need.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "lib/flow.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XTAP_DROPS_MAX);
	__type(key, struct xtap_drop_key);
	__type(value, struct xtap_drop_val);
} xtap_drops SEC(".maps");

/* The kernel's types, as far as they are read here. */
enum skb_drop_reason___xtap { SKB_DROP_REASON_NOT_SPECIFIED___xtap = 2 };

struct trace_event_raw_kfree_skb___xtap {
	void *skbaddr;
	void *rx_sk;	/* the receiving socket, since Linux 6.11 */
	unsigned short protocol;
	enum skb_drop_reason___xtap reason;
} __attribute__((preserve_access_index));

/* A full socket and a TIME_WAIT socket both start with struct sock_common. */
struct sock_common___xtap {
	unsigned char skc_state;
} __attribute__((preserve_access_index));

struct sock___xtap {
	struct sock_common___xtap __sk_common;
} __attribute__((preserve_access_index));

struct ns_common___xtap {
	unsigned int inum;
} __attribute__((preserve_access_index));

struct net___xtap {
	struct ns_common___xtap ns;
} __attribute__((preserve_access_index));

struct possible_net_t___xtap {
	struct net___xtap *net;
} __attribute__((preserve_access_index));

struct net_device___xtap {
	int ifindex;
	struct possible_net_t___xtap nd_net;
} __attribute__((preserve_access_index));

struct sk_buff___xtap {
	unsigned char *head;
	__u16 network_header;
	__u16 vlan_tci;
	unsigned int len;
	struct net_device___xtap *dev;
} __attribute__((preserve_access_index));

/* The L4 header at off: ports, or ICMP type, code and echo id. */
static __always_inline int drop_l4(const unsigned char *l4, struct pkt *p)
{
	__u8 h[8];

	if (p->frag == XTAP_FRAG_LATER)
		return 0;
	if (bpf_probe_read_kernel(h, sizeof(h), l4))
		return -1;
	switch (p->l4proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		p->sport = (__u16)h[0] << 8 | h[1];
		p->dport = (__u16)h[2] << 8 | h[3];
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		p->icmp_type = h[0];
		p->icmp_code = h[1];
		if ((p->l4proto == IPPROTO_ICMP && (h[0] == ICMP_ECHO || h[0] == ICMP_ECHOREPLY)) ||
		    (p->l4proto == IPPROTO_ICMPV6 && (h[0] == 128 || h[0] == 129)))
			p->icmp_id = (__u16)h[4] << 8 | h[5];
		break;
	}
	return 0;
}

SEC("tracepoint/skb/kfree_skb")
int xtap_kfree_skb(struct trace_event_raw_kfree_skb___xtap *ctx)
{
	struct sk_buff___xtap *skb = ctx->skbaddr;
	__u16 proto = ctx->protocol;	/* the tracepoint stores it in host order */
	struct xtap_drop_key k __attribute__((aligned(8))) = {};
	struct net_device___xtap *dev;
	struct xtap_drop_val *v;
	struct pkt p = {};
	unsigned char *head;
	__u16 nh;

	if (proto != ETH_P_IP && proto != ETH_P_IPV6)
		return 0;
	head = BPF_CORE_READ(skb, head);
	nh = BPF_CORE_READ(skb, network_header);
	if (!head || nh == (__u16)~0u)
		return 0;
	if (proto == ETH_P_IP) {
		struct iphdr iph;
		__u16 frag;

		if (bpf_probe_read_kernel(&iph, sizeof(iph), head + nh) || iph.version != 4 ||
		    iph.ihl < 5)
			return 0;
		p.ip_version = 4;
		p.saddr64[1] = (__u64)iph.saddr << 32 | bpf_htonl(0xffff);
		p.daddr64[1] = (__u64)iph.daddr << 32 | bpf_htonl(0xffff);
		p.l4proto = iph.protocol;
		frag = bpf_ntohs(iph.frag_off);
		if (frag & XTAP_IP_OFFMASK)
			p.frag = XTAP_FRAG_LATER;
		if (drop_l4(head + nh + iph.ihl * 4, &p))
			return 0;
	} else {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh) || ip6.version != 6)
			return 0;
		p.ip_version = 6;
		__builtin_memcpy(p.saddr, &ip6.saddr, 16);
		__builtin_memcpy(p.daddr, &ip6.daddr, 16);
		p.l4proto = ip6.nexthdr;	/* extension headers: the key has no ports */
		if (drop_l4(head + nh + sizeof(ip6), &p))
			return 0;
	}
	p.vlan = BPF_CORE_READ(skb, vlan_tci) & 0x0fff;
	flow_key_make(&p, &k.flow);
	if (!bpf_map_lookup_elem(&xtap_flows, &k.flow))
		return 0;	/* not a flow xtap has seen */

	dev = BPF_CORE_READ(skb, dev);
	if (dev) {
		k.ifindex = BPF_CORE_READ(dev, ifindex);
		k.netns_ino = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	}
	k.reason = ctx->reason;
	/* the socket's state tells a TIME_WAIT socket's discard of the peer's
	 * last segments from a loss (user/drops.c classifies) */
	if (p.l4proto == IPPROTO_TCP && bpf_core_field_exists(ctx->rx_sk)) {
		struct sock___xtap *sk = ctx->rx_sk;

		if (sk)
			k.sk_state = BPF_CORE_READ(sk, __sk_common.skc_state);
	}
	v = bpf_map_lookup_elem(&xtap_drops, &k);
	if (!v) {
		struct xtap_drop_val nv = { .pkts = 1, .bytes = BPF_CORE_READ(skb, len),
					    .last_ns = bpf_ktime_get_ns() };

		if (!bpf_map_update_elem(&xtap_drops, &k, &nv, BPF_NOEXIST))
			return 0;
		v = bpf_map_lookup_elem(&xtap_drops, &k);
		if (!v)
			return 0;
	}
	__sync_fetch_and_add(&v->pkts, 1);
	__sync_fetch_and_add(&v->bytes, BPF_CORE_READ(skb, len));
	v->last_ns = bpf_ktime_get_ns();
	return 0;
}
