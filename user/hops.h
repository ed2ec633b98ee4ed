/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Per-hop latency and loss (kern/lib/hop.h): reading, ordering, loss. */
#ifndef XTAP_USER_HOPS_H
#define XTAP_USER_HOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "maps/xtap.h"

struct xtap_hop_row {
	struct xtap_hop_key key;
	struct xtap_hist h;	/* summed over CPUs (max: the largest) */
	__u64 lost;
};

/* Every hop that has a histogram (xtap_hop_index, xtap_hops) with its loss
 * from xtap_hop_lost (lost_fd may be -1). *out is malloc'ed; returns 0 or
 * -errno. */
int xtap_hops_read(int index_fd, int hops_fd, int lost_fd, struct xtap_hop_row **out, size_t *n);

/* Finish the loss accounting: every sighting in xtap_hop_seen older than
 * timeout_ns at now_ns (CLOCK_MONOTONIC) is cleared, and counted as lost on
 * the hop from its point to that point's usual next point (the successor
 * with the most packets in rows) when the point has one. Adds to
 * xtap_hop_lost and to rows[].lost. Returns the packets counted lost, or
 * -errno. */
long xtap_hops_settle(int seen_fd, int lost_fd, struct xtap_hop_row *rows, size_t n,
		      __u64 now_ns, __u64 timeout_ns);

/* Sort rows in path order: from each point no hop leads to, along the
 * busiest hops first; hops of cycles last. */
void xtap_hops_order(struct xtap_hop_row *rows, size_t n);

/* The q-quantile (0 < q <= 1) of a log2 histogram: the upper bound of the
 * bucket that holds it, never above the largest value seen. 0 when empty. */
__u64 xtap_hop_quantile(const struct xtap_hist *h, double q);

struct xtap_state;

/* What `xtap hops` shows: the hops in path order with their loss settled. */
struct xtap_hops_report {
	struct xtap_hop_row *rows;
	size_t n;
	__u32 sample;		/* the programs follow 1 packet in sample */
	__u32 timeout_ms;	/* sightings older than this were counted lost */
};

/* The hops of the attached state st: read, the loss of sightings older than
 * timeout_ms settled, in path order. 0, or -1 after a one-line error. */
int xtap_hops_query(const struct xtap_state *st, __u32 timeout_ms, struct xtap_hops_report *r);
void xtap_hops_report_free(struct xtap_hops_report *r);
/* The report as a table (verbose: each histogram's buckets as bars) or as
 * JSON (verbose: the buckets' counts); points named from st's registry. */
void xtap_hops_print(FILE *out, const struct xtap_state *st, const struct xtap_hops_report *r,
		     bool json, bool verbose);

#endif
