/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The local workload behind a flow: the cgroup v2 id and the cookie of a
 * local socket of the flow, kept in its shared entry (struct xtap_flow
 * cgroup_id, sock_cookie, owner).
 *
 * At TC egress the skb carries the sending socket: bpf_skb_cgroup_id and
 * bpf_get_socket_cookie read it (a SYN-ACK carries its listener's cgroup).
 * Ingress comes before the socket: for an inbound TCP SYN (the first packet
 * of a server flow) a lookup of its tuple finds the listener, whose cgroup
 * is read through its BTF type (bpf_sk_cgroup_id is not offered to XDP and
 * TC programs), so that the SYN is already its flow's. Other inbound
 * packets are named by the egress side of their flow.
 *
 * The SYN's lookup is made when its flow has no cgroup yet; any other
 * packet at ingress pays tests of its parsed protocol and flags. The look
 * at egress is done once per flow and CPU, on the flow's per-CPU
 * write-back entry (struct xtap_fcache): owner_tried says that egress
 * looked already while the entry held the flow, or that the flow has its
 * owner (set when the entry takes the flow, in kern/lib/flow.h's
 * fcache_remember). A packet whose flow has it costs one test of a byte in
 * the entry's first cache line. A flow kept out of the write-back entries
 * for its TCP handshake is looked at on each of those packets at egress
 * (they take the shared entry anyway).
 */
#ifndef XTAP_KERN_OWNER_H
#define XTAP_KERN_OWNER_H

#include <bpf/bpf_core_read.h>

#include "config.h"
#include "flow.h"

/* 1: flows carry their local cgroup and socket. -DXTAP_FEATURE_OWNER=0
 * compiles it out: bench_core's baseline for what it costs. */
#ifndef XTAP_FEATURE_OWNER
#define XTAP_FEATURE_OWNER 1
#endif

#if XTAP_FEATURE_OWNER

/* The kernel's types, as far as the cgroup of a socket goes; CO-RE finds
 * the offsets in the running kernel's BTF. */
struct kernfs_node___xtap {
	__u64 id;
} __attribute__((preserve_access_index));

struct cgroup___xtap {
	struct kernfs_node___xtap *kn;
} __attribute__((preserve_access_index));

struct sock_cgroup_data___xtap {
	struct cgroup___xtap *cgroup;
} __attribute__((preserve_access_index));

struct sock___xtap {
	struct sock_cgroup_data___xtap sk_cgrp_data;
} __attribute__((preserve_access_index));

/* The cgroup v2 id of a TCP socket sk, 0 when unknown (a kernel without
 * cgroup socket data, a request or time-wait socket). */
static __always_inline __u64 owner_sock_cgroup(struct bpf_sock *sk)
{
	struct sock___xtap *s = (struct sock___xtap *)bpf_skc_to_tcp_sock(sk);
	struct cgroup___xtap *cg = NULL;
	struct kernfs_node___xtap *kn = NULL;

	if (!s || !bpf_core_field_exists(s->sk_cgrp_data.cgroup) ||
	    !bpf_core_field_exists(cg->kn) || !bpf_core_field_exists(kn->id))
		return 0;
	cg = s->sk_cgrp_data.cgroup;
	if (!cg)
		return 0;
	kn = cg->kn;
	return kn ? kn->id : 0;
}

/* An inbound TCP SYN (not in a tunnel: the inner addresses are not this
 * host's) whose flow has no cgroup yet: the listener's, found by the
 * packet's tuple in the receiving interface's namespace. */
static __always_inline void owner_syn(void *ctx, __u32 hook, const struct pkt *p)
{
	struct bpf_sock_tuple t = {};
	struct xtap_flow_key k;
	struct bpf_sock *sk;
	struct xtap_flow *f;
	__u64 cgid;
	__u32 tl;

	if (hook == XTAP_HOOK_TC_EGRESS || p->l4proto != IPPROTO_TCP || p->tun_type ||
	    (p->tcp_flags & (XTAP_TCP_SYN | XTAP_TCP_ACK)) != XTAP_TCP_SYN)
		return;
	flow_key_make(p, &k);
	f = bpf_map_lookup_elem(&xtap_flows, &k);
	if (!f || f->cgroup_id)
		return;
	if (p->ip_version == 4) {
		t.ipv4.saddr = p->saddr[3];
		t.ipv4.daddr = p->daddr[3];
		t.ipv4.sport = bpf_htons(p->sport);
		t.ipv4.dport = bpf_htons(p->dport);
		tl = sizeof(t.ipv4);
	} else {
		__builtin_memcpy(t.ipv6.saddr, p->saddr, sizeof(t.ipv6.saddr));
		__builtin_memcpy(t.ipv6.daddr, p->daddr, sizeof(t.ipv6.daddr));
		t.ipv6.sport = bpf_htons(p->sport);
		t.ipv6.dport = bpf_htons(p->dport);
		tl = sizeof(t.ipv6);
	}
	sk = bpf_sk_lookup_tcp(ctx, &t, tl, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return;
	cgid = owner_sock_cgroup(sk);
	bpf_sk_release(sk);
	if (!cgid)
		return;
	f->cgroup_id = cgid;
	f->owner = XTAP_OWNER_LISTENER;
}

static __always_inline void owner_egress(struct __sk_buff *skb, const struct xtap_fcache *c)
{
	__u64 cgid = bpf_skb_cgroup_id(skb);	/* 0: no full socket */
	struct xtap_flow *f;

	if (!cgid)
		return;
	f = bpf_map_lookup_elem(&xtap_flows, &c->key);
	if (!f)
		return;
	f->cgroup_id = cgid;
	f->sock_cookie = bpf_get_socket_cookie(skb);
	f->owner = XTAP_OWNER_EGRESS;
}

/*
 * After the packet was accounted to its flow: c is the flow's write-back
 * entry (flow_account). Replay has no sockets: its frames are not this
 * host's traffic.
 */
static __always_inline void owner_account(void *ctx, __u32 hook, struct xtap_fcache *c,
					  const struct pkt *p)
{
	if (xtap_replay_mode)
		return;
	owner_syn(ctx, hook, p);
	if (hook != XTAP_HOOK_TC_EGRESS || !c || (c->valid && c->owner_tried))
		return;
	c->owner_tried = 1;
	owner_egress(ctx, c);
}

/* The local cgroup of the packet's flow as it stands now, 0 when it has none
 * (yet): what capture --cgroup selects on and each record carries. */
static __always_inline __u64 owner_flow_cgroup(int has_flow, const struct xtap_flow_key *k)
{
	struct xtap_flow *f;

	if (!has_flow)
		return 0;
	f = bpf_map_lookup_elem(&xtap_flows, k);
	return f ? f->cgroup_id : 0;
}

#else

static __always_inline __u64 owner_flow_cgroup(int has_flow, const struct xtap_flow_key *k)
{
	return 0;
}

static __always_inline void owner_account(void *ctx, __u32 hook, struct xtap_fcache *c,
					  const struct pkt *p)
{
}

#endif
#endif
