/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What an exporter sends and when (xtap export): delta records of the live
 * flow table, and the per-service latency histograms.
 *
 * The exporter marks, it does not remove: it remembers per flow the counts
 * it has exported (the marks, which user/exporter.c keeps in the pinned
 * state for the next exporter) and sends the difference, so counts that
 * arrive while a record is being built go out with the next one, and
 * nothing is counted twice. Entries stay in the kernel's table until its LRU reuses them, which
 * keeps `xtap status`'s evictions (created less in table) exact and never
 * races a packet: a deleted entry would lose the deltas a CPU still holds
 * for it (user/maps.c). A flow is exported
 *   - when it has ended (FIN both ways, or RST) and been quiet for
 *     end_quiet_ns, so that the last ACK is in the record;
 *   - when it has been idle for idle_ns;
 *   - every active_ns while it has new counts;
 *   - on a forced round (the exporter stops), whatever it has not sent.
 * An entry the table evicted before its last counts went out loses them;
 * the evictions are counted in `xtap status` and /metrics.
 */
#ifndef XTAP_USER_EXPORT_H
#define XTAP_USER_EXPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "user/maps.h"

struct xtap_export_cfg {
	__u64 active_ns;
	__u64 idle_ns;
	__u64 end_quiet_ns;
};

/* One record to send: what is new in one flow since its last record. */
struct xtap_export_rec {
	__u64 pkts[2], bytes[2];	/* deltas, by enum xtap_dir */
	__u32 retrans[2];		/* TCP retransmissions: deltas too */
	__u64 start_ns, end_ns;		/* CLOCK_MONOTONIC: the span of the deltas */
	__u8 reason;			/* enum ipfix_end_reason */
};

/* What a flow's records carried so far: the marks (kept in the pinned
 * state between exporters, maps/xtap.h) and whether any went. */
struct xtap_export_seen {
	struct xtap_flow_key key;
	struct xtap_export_mark m;
	bool any;		/* a record went out */
};

struct xtap_export_state {
	struct xtap_export_seen *v;	/* sorted by key */
	size_t n;
};

struct xtap_export_cb {
	/* One record to send; next is what the flow's marks become once it
	 * has gone. 0 to go on, or a negative errno that ends the round (the
	 * record stays due). */
	int (*emit)(const struct xtap_flow_entry *e, const struct xtap_export_rec *r,
		    const struct xtap_export_seen *next, void *arg);
	/* Optional: the marks of a flow the table no longer holds, as they
	 * fall out. (An entry made anew under the same key keeps its key's
	 * marks until its first record replaces them.) */
	void (*gone)(const struct xtap_export_seen *s, void *arg);
	void *arg;
};

/* One pass over a dump sorted by key (xtap_flows_read's XTAP_SORT_KEY). now_ns is
 * CLOCK_MONOTONIC. force: every unexported count goes, reason forced end.
 * Returns the records emitted, or -errno. */
long xtap_export_round(struct xtap_export_state *st, const struct xtap_export_cfg *cfg,
		       const struct xtap_flow_entry *f, size_t n, __u64 now_ns, bool force,
		       const struct xtap_export_cb *cb);
/* Takes v (n marks of exported flows, malloc'ed, any order) as the state:
 * what an exporter before this one sent. */
void xtap_export_state_load(struct xtap_export_state *st, struct xtap_export_seen *v, size_t n);
void xtap_export_state_free(struct xtap_export_state *st);

/* The per-service histograms of xtap_hist, per-CPU values added (max: the
 * largest), sorted by key. *out is malloc'ed. 0 or -errno. */
struct xtap_hist_entry {
	struct xtap_svc_key key;
	struct xtap_hist h;
};
int xtap_hist_dump(int fd, struct xtap_hist_entry **out, size_t *n);
/* Reason names for JSON lines: "idle", "active", "end", "forced". */
const char *xtap_export_reason_name(__u8 reason);

#endif
