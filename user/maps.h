/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Reading the shared maps. */
#ifndef XTAP_USER_MAPS_H
#define XTAP_USER_MAPS_H

#include <stddef.h>
#include "maps/xtap.h"

struct xtap_flow_entry {
	struct xtap_flow_key key;
	struct xtap_flow val;
};

/* All flows, read with batch operations (one by one where the kernel has no
 * batch support), with the deltas the per-CPU write-back entries still hold
 * (fcache_fd, or -1 to read the table alone) added in. *out is malloc'ed and
 * sorted by key; returns 0 or -errno. */
int xtap_flows_dump(int map_fd, int fcache_fd, struct xtap_flow_entry **out, size_t *n);
/* Same, in the order the kernel hands the entries out (no sort: callers that
 * sort by an order of their own, or need none, save the sort by key). */
int xtap_flows_read(int map_fd, int fcache_fd, struct xtap_flow_entry **out, size_t *n);
/* Same, in batches handed to fn as they are read (deltas merged), while a
 * second thread reads the next ones: a dump that prints every flow takes
 * about as long to read as to print, and overlaps the two. The entries are
 * fn's only during the call. fn returning non-zero stops the walk and is
 * returned; else 0 or -errno (fn may have seen part of the table). */
typedef int (*xtap_flows_fn)(const struct xtap_flow_entry *v, size_t n, void *arg);
int xtap_flows_each(int map_fd, int fcache_fd, xtap_flows_fn fn, void *arg);
/* One flow, deltas included. 0, -ENOENT, or -errno. */
int xtap_flow_lookup(int map_fd, int fcache_fd, const struct xtap_flow_key *key,
		     struct xtap_flow *out);
/* Same, one lookup per key: the slow path, kept for kernels without batch. */
int xtap_flows_dump_slow(int map_fd, struct xtap_flow_entry **out, size_t *n);

/* Counters of one point summed over CPUs. Returns 0 or -errno. */
int xtap_stats_read(int map_fd, __u32 point, struct xtap_stats *out);

/* Entries the LRU table pushed out to make room. The kernel does not report
 * LRU evictions, but nothing else removes entries, so they are what was
 * created (the flows_created counters, summed over points) less what is in
 * the table now. */
__u64 xtap_flows_evicted(const struct xtap_stats *sum, size_t in_table);

/* Orders for xtap_flows_sort. */
enum xtap_sort { XTAP_SORT_BYTES, XTAP_SORT_PACKETS, XTAP_SORT_AGE, XTAP_SORT_KEY };
void xtap_flows_sort(struct xtap_flow_entry *f, size_t n, enum xtap_sort by);

#endif
