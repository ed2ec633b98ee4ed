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

/* Orders of a list of flows. --sort names the first four (xtap_sort_names);
 * the key's order and the order of the read follow them. Ties go in the
 * key's order. */
enum xtap_sort {
	XTAP_SORT_BYTES,	/* bytes both ways, most first */
	XTAP_SORT_PACKETS,	/* packets both ways, most first */
	XTAP_SORT_AGE,		/* first seen, oldest first */
	XTAP_SORT_RATE,		/* bytes per second, highest first */
	XTAP_SORT_KEY,		/* the key's bytes, as memcmp */
	XTAP_SORT_NONE,		/* as read: no sort */
};
/* "bytes", "packets", "age", "rate", NULL */
extern const char *const xtap_sort_names[];

/*
 * The flow-table reader: every flow, with the deltas the per-CPU write-back
 * entries still hold (fcache_fd, or -1 to read the table alone) merged in,
 * read with batch operations (one by one where the kernel has none) by a
 * second thread and handed to fn in batches as they come, in the order the
 * kernel gives them: printing a batch overlaps reading the next. The entries
 * are fn's only during the call. fn returning non-zero stops the walk and is
 * returned; else 0 or -errno (fn may have seen part of the table).
 */
typedef int (*xtap_flows_fn)(const struct xtap_flow_entry *v, size_t n, void *arg);
int xtap_flows_each(int map_fd, int fcache_fd, xtap_flows_fn fn, void *arg);
/* The same flows in one malloc'ed array *out, sorted by (XTAP_SORT_RATE: over
 * each flow's life). Returns 0 or -errno. */
int xtap_flows_read(int map_fd, int fcache_fd, enum xtap_sort by, struct xtap_flow_entry **out,
		    size_t *n);
/* One flow, deltas included. 0, -ENOENT, or -errno. */
int xtap_flow_lookup(int map_fd, int fcache_fd, const struct xtap_flow_key *key,
		     struct xtap_flow *out);

/* Sorts f by an order. rate: for XTAP_SORT_RATE, the rate of each flow of f
 * in bytes per second; NULL: each flow's bytes over its life. 0, or -ENOMEM
 * (f as it was). */
int xtap_flows_sort(struct xtap_flow_entry *f, size_t n, enum xtap_sort by, const double *rate);

/* Counters of one point summed over CPUs. Returns 0 or -errno. */
int xtap_stats_read(int map_fd, __u32 point, struct xtap_stats *out);

/* Entries the LRU table pushed out to make room. The kernel does not report
 * LRU evictions, but nothing else removes entries, so they are what was
 * created (the flows_created counters, summed over points) less what is in
 * the table now. */
__u64 xtap_flows_evicted(const struct xtap_stats *sum, size_t in_table);

#endif
