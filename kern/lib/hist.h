/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Per-service log2 latency histograms (struct xtap_hist in maps/xtap.h), so
 * that percentiles need no per-packet export. Per-CPU values: no atomics.
 */
#ifndef XTAP_KERN_HIST_H
#define XTAP_KERN_HIST_H

#include "config.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, XTAP_HIST_MAX);
	__type(key, struct xtap_svc_key);
	__type(value, struct xtap_hist);
} xtap_hist SEC(".maps");

/* A new histogram starts from this, not from the stack: a struct xtap_hist
 * is most of a program's 512 bytes of stack. */
static const struct xtap_hist hist_zero;

/* floor(log2(v)), 0 for v <= 1, without a loop */
static __always_inline __u32 hist_log2(__u64 v)
{
	__u32 r = 0, s;

	s = (v > 0xffffffffull) << 5; v >>= s; r |= s;
	s = (v > 0xffff) << 4; v >>= s; r |= s;
	s = (v > 0xff) << 3; v >>= s; r |= s;
	s = (v > 0xf) << 2; v >>= s; r |= s;
	s = (v > 0x3) << 1; v >>= s; r |= s;
	r |= (v >> 1);
	return r;
}

/* Add ns to the histogram h (a per-CPU value: plain increments). */
static __always_inline void hist_put(struct xtap_hist *h, __u64 ns)
{
	__u32 b = hist_log2(ns);

	if (b >= XTAP_HIST_BUCKETS)
		b = XTAP_HIST_BUCKETS - 1;
	h->bucket[b]++;
	h->count++;
	h->sum_ns += ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

/* Add ns to the histogram at key in map (any hash of struct xtap_hist),
 * making it on first use; its zeros come from .rodata, as 344 bytes do not
 * fit the stack the packet path has left. */
static __always_inline void hist_record(void *map, const void *key, __u64 ns)
{
	struct xtap_hist *h;

	h = bpf_map_lookup_elem(map, key);
	if (!h) {
		bpf_map_update_elem(map, key, &hist_zero, BPF_NOEXIST);
		h = bpf_map_lookup_elem(map, key);
		if (!h)
			return;
	}
	hist_put(h, ns);
}

/* Add one latency of ns to the histogram of kind for the service at addr
 * (16 bytes, IPv4-mapped), port (host order) and proto. */
static __always_inline void hist_add(const __u8 *addr, __u16 port, __u8 proto, __u8 kind, __u64 ns)
{
	struct xtap_svc_key k = { .port = port, .proto = proto, .kind = kind };

	__builtin_memcpy(k.addr, addr, 16);
	hist_record(&xtap_hist, &k, ns);
}

#endif
