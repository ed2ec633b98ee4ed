/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What one loaded instance is built and set up with: the features compiled
 * in, the settings the loader writes into .rodata, and what follows from
 * them for every packet: the clock (live, or the capture's in replay), the
 * frame's length in replay, and whether this hook counts packets to flows.
 */
#ifndef XTAP_KERN_CONFIG_H
#define XTAP_KERN_CONFIG_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "../../maps/xtap.h"

/* 1: the latency features of the flow table (retransmissions, passive RTT,
 * per-service histograms, HTTP and DNS timing). -DXTAP_FEATURE_LATENCY=0
 * compiles them out (kern/lib/latency.h, kern/lib/app.h): the benchmark's
 * baseline. */
#ifndef XTAP_FEATURE_LATENCY
#define XTAP_FEATURE_LATENCY 1
#endif

/* 1: TLS handshakes (kern/lib/tls.h). -DXTAP_FEATURE_TLS=0 compiles them
 * out: bench_core's baseline for what TLS costs other segments. */
#ifndef XTAP_FEATURE_TLS
#define XTAP_FEATURE_TLS 1
#endif

/* 1: per-hop latency (kern/lib/hop.h). -DXTAP_FEATURE_HOPS=0 compiles it
 * out: bench_hops' baseline. */
#ifndef XTAP_FEATURE_HOPS
#define XTAP_FEATURE_HOPS 1
#endif

/* Set by the loader between open and load. */
const volatile __u32 xtap_slot = 0;	/* interface slot of this instance */
const volatile __u8 xtap_replay_mode = 0;	/* 1: time and length from xtap_replay */
/* 1 when TC ingress is this interface's first ingress hook (no XDP on it):
 * then TC ingress counts inbound packets into flows, else XDP does. */
const volatile __u8 xtap_tc_ingress_counts = 1;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xtap_replay_pkt);
} xtap_replay SEC(".maps");

/* Replay: the capture's wire length when it is longer than what the file
 * kept (a snap length). Live frames are whole. */
static __always_inline __u64 xtap_wire_len(__u64 frame_len)
{
	if (xtap_replay_mode) {
		__u32 zero = 0;
		struct xtap_replay_pkt *r = bpf_map_lookup_elem(&xtap_replay, &zero);

		if (r && r->wire_len > frame_len)
			return r->wire_len;
	}
	return frame_len;
}

/* The packet's time: read only where a packet needs one (a flow update). */
static __always_inline __u64 xtap_now(void)
{
	if (xtap_replay_mode) {
		__u32 zero = 0;
		struct xtap_replay_pkt *r = bpf_map_lookup_elem(&xtap_replay, &zero);

		return r ? r->now_ns : 0;
	}
	return bpf_ktime_get_ns();
}

/* The per-packet clock: CLOCK_MONOTONIC at the last tick, a load where
 * bpf_ktime_get_ns reads the clock source. Packets that only refresh a
 * flow's last-seen time take this one, which has the same base. */
static __always_inline __u64 xtap_now_coarse(void)
{
	if (xtap_replay_mode)
		return xtap_now();
	return bpf_ktime_get_coarse_ns();
}

/* Does this hook account packets to flows? Per interface, each packet is
 * counted once: outbound at TC egress, inbound at the first ingress hook. */
static __always_inline int xtap_hook_counts(__u32 hook)
{
	return hook != XTAP_HOOK_TC_INGRESS || xtap_tc_ingress_counts;
}

#endif
