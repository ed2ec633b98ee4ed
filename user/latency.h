/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Per-service latency histograms (xtap_hist): reading, percentiles, output. */
#ifndef XTAP_USER_LATENCY_H
#define XTAP_USER_LATENCY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "maps/xtap.h"
#include "user/export.h"	/* struct xtap_hist_entry, xtap_hist_dump */
#include "user/json.h"

/* What `xtap latency` shows: every service and kind, or one of each. */
struct xtap_hist_filter {
	bool by_service;
	__u8 addr[16];		/* IPv4-mapped for IPv4 */
	__u16 port;
	int kind;		/* enum xtap_lat_kind, or -1 for all */
};

/* Add one CPU's histogram into another: counts and sums add, max is the
 * largest. */
void xtap_hist_merge(struct xtap_hist *into, const struct xtap_hist *add);

/* Sort histograms for people: by address, port (as a number), protocol,
 * kind. (xtap_hist_dump sorts by the key's bytes.) */
void xtap_hist_sort(struct xtap_hist_entry *v, size_t n);

/* The range of bucket i in ns: [lo, hi). The last bucket has no end: hi is
 * UINT64_MAX. */
__u64 xtap_hist_bucket_lo(unsigned i);
__u64 xtap_hist_bucket_hi(unsigned i);

/*
 * The p-th percentile (0 < p <= 100) in ns, estimated from the log2
 * buckets: the bucket holding the sample of rank ceil(p/100 * count) is
 * found exactly, and the value inside it is interpolated linearly between
 * the bucket's bounds by the rank's position among the bucket's samples, so
 * the estimate is off by less than the bucket's width (a factor of 2). It
 * never exceeds the maximum, which the kernel keeps exactly; p = 100 is the
 * maximum. 0 for an empty histogram.
 */
__u64 xtap_hist_percentile(const struct xtap_hist *h, double p);

/* The kinds' names by enum, NULL-terminated. */
extern const char *const xtap_lat_kind_names[];
/* "handshake", "http", "dns", "rtt", "tls" (ClientHello to ServerHello),
 * "tls-data" (ClientHello to the client's first application data); NULL
 * for an unknown kind. */
const char *xtap_lat_kind_name(unsigned kind);
/* The kind named s, or -1. */
int xtap_lat_kind_parse(const char *s);
/* ADDR:PORT, [IPv6]:PORT or IPv6 with the port after the last colon when
 * unambiguous ([...] recommended). 0, or -1 when s is not an address and
 * port. */
int xtap_svc_parse(const char *s, struct xtap_hist_filter *f);
bool xtap_hist_selected(const struct xtap_hist_filter *f, const struct xtap_svc_key *k);

/* The service as ADDR:PORT/PROTO ([ADDR]:PORT/PROTO for IPv6). */
void xtap_svc_str(const struct xtap_svc_key *k, char *buf, size_t len);

/* A histogram as text, in the manner of bpftrace's hist: one line per
 * bucket from the first to the last non-empty one, [lo, hi) in human units,
 * the count and a bar; then count, p50, p90, p99 and max. */
void xtap_hist_text(FILE *out, const struct xtap_hist_entry *e);
/* The same as one JSON object. */
void xtap_hist_json(struct json *j, const struct xtap_hist_entry *e);

/* The selected histograms of v: as text, one after the other (a line when
 * none is selected), or as the JSON array under key. */
void xtap_hist_print(FILE *out, const struct xtap_hist_entry *v, size_t n,
		     const struct xtap_hist_filter *f);
void xtap_hist_print_json(struct json *j, const char *key, const struct xtap_hist_entry *v,
			  size_t n, const struct xtap_hist_filter *f);

struct xtap_state;
/* The histograms of the attached state st, sorted as xtap_hist_sort does;
 * *v is malloc'ed. 0, or -1 after a one-line error. */
int xtap_latency_query(const struct xtap_state *st, struct xtap_hist_entry **v, size_t *n);

/* A duration in ns in the unit that keeps it short: 850ns, 12.3us, 1.234ms, 2.500s. */
void xtap_duration_str(__u64 ns, char *buf, size_t len);

#endif
