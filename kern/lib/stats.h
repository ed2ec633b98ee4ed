/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The per-point counters (enum xtap_stat in maps/xtap.h), one per-CPU
 * struct xtap_stats per attach point. */
#ifndef XTAP_KERN_STATS_H
#define XTAP_KERN_STATS_H

#include "config.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XTAP_MAX_POINTS);
	__type(key, __u32);
	__type(value, struct xtap_stats);
} xtap_stats SEC(".maps");

/* The counters of this instance's point at hook. */
static __always_inline struct xtap_stats *xtap_stats_of(__u32 hook)
{
	__u32 point = XTAP_POINT(xtap_slot, hook);

	return bpf_map_lookup_elem(&xtap_stats, &point);
}

#endif
