/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The local workload behind a flow: the cgroup v2 id and the cookie of a
 * local socket of the flow, kept in its shared entry (struct xtap_flow
 * cgroup_id, sock_cookie, owner).
 *
 * At TC egress the skb carries the sending socket: bpf_skb_cgroup_id and
 * bpf_get_socket_cookie read it (a SYN-ACK carries its listener's cgroup).
 * TC ingress comes before the socket: a lookup of the packet's tuple would
 * find the receiving socket, but bpf_sk_cgroup_id, which would read its
 * cgroup, is not offered to TC programs, so the egress side of the flow
 * names it. XDP has no socket: nothing.
 *
 * It is done once per flow and CPU, on the flow's per-CPU write-back entry
 * (struct xtap_fcache): owner_tried says that egress looked already while
 * the entry held the flow, or that the flow has its owner (set when the
 * entry takes the flow, in kern/lib/flow.h's fcache_remember). A packet
 * whose flow has it costs one test of a byte in the entry's first cache
 * line. A flow kept out of the write-back entries for its TCP handshake is
 * looked at on each of those packets at egress (they take the shared entry
 * anyway).
 */
#ifndef XTAP_KERN_OWNER_H
#define XTAP_KERN_OWNER_H

#include "config.h"
#include "flow.h"

/* 1: flows carry their local cgroup and socket. -DXTAP_FEATURE_OWNER=0
 * compiles it out: bench_core's baseline for what it costs. */
#ifndef XTAP_FEATURE_OWNER
#define XTAP_FEATURE_OWNER 1
#endif

#if XTAP_FEATURE_OWNER

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
static __always_inline void owner_account(void *ctx, __u32 hook, struct xtap_fcache *c)
{
	if (hook != XTAP_HOOK_TC_EGRESS || !c || (c->valid && c->owner_tried) || xtap_replay_mode)
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

static __always_inline void owner_account(void *ctx, __u32 hook, struct xtap_fcache *c)
{
}

#endif
#endif
