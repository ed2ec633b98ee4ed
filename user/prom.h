/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Prometheus text exposition (format 0.0.4) of xtap's counters, flow table
 * and per-service latency histograms: xtap_prom_write formats what it is
 * given, xtap_prom_scrape reads it from the pinned state first.
 */
#ifndef XTAP_USER_PROM_H
#define XTAP_USER_PROM_H

#include <stdint.h>
#include <stdio.h>

#include "user/export.h"
#include "maps/xtap.h"

/* The counters of one attach point (interface, hook), summed over CPUs. */
struct xtap_prom_point {
	const char *iface;
	const char *netns;	/* "" for the namespace xtap serves from */
	const char *hook;
	struct xtap_stats st;
};

struct xtap_prom_input {
	const struct xtap_prom_point *points;
	size_t npoints;
	unsigned ifaces;	/* attached interfaces */
	__u64 flows_used, flows_max, flows_evicted;
	__u32 sampling;		/* xtap attach --sampling: 1 in N packets to flows */
	__u64 flows_sampled;	/* flows whose counts are estimates */
	const struct xtap_hist_entry *hist;	/* per-service latency */
	size_t nhist;
	/* the counters of the state's exporters (xtap export); NULL: none */
	const struct xtap_export_info *exp;
	/* the cgroup label of hist[i] (xtap_prom_svc_cgroups); NULL: no label */
	const __u64 *hist_cgroup;
};

/*
 * The local cgroup of each service histogram, for its cgroup label: the
 * one most of the service's flows in f carry (the server's when it runs
 * here, else the local client's), 0 when none does. The label's values are
 * bounded: the top cgroups (by the number of histograms that name them)
 * keep their own, the others become XTAP_PROM_CGROUP_OTHER. out has nh
 * entries. 0, or -ENOMEM (out all 0).
 */
#define XTAP_PROM_CGROUP_OTHER UINT64_MAX
#define XTAP_PROM_CGROUPS_TOP 10
struct xtap_flow_entry;
int xtap_prom_svc_cgroups(const struct xtap_flow_entry *f, size_t nf,
			  const struct xtap_hist_entry *h, size_t nh, size_t top, __u64 *out);

/* Writes every metric family of in to f. */
void xtap_prom_write(FILE *f, const struct xtap_prom_input *in);
/* The metrics of the pinned state as it is now, malloc'ed, its length in
 * *len; with nothing attached, the families that say so. NULL when out of
 * memory. */
char *xtap_prom_scrape(size_t *len);
/* The upper bound, in seconds, of log2 bucket b (b < XTAP_HIST_BUCKETS - 1;
 * the last bucket has none: it is +Inf). */
double xtap_prom_bucket_le(int b);

#endif
