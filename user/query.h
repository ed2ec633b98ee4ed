/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Queries of the live state: what status, stats and flows read and show. */
#ifndef XTAP_USER_QUERY_H
#define XTAP_USER_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "loader/attach.h"
#include "user/maps.h"

/* Opens the pinned state read-only for the query command cmd; prints the
 * error. 0, 1 when nothing is attached (st open all the same), -1 on error
 * (st not open). */
int xtap_query_open(const char *cmd, struct xtap_state *st);

/*
 * What a long-running command calls every round (it looks at most once a
 * second; see xtap_state_watch): 0 to go on, -1 after the one line that
 * says its state is gone or replaced. With follow, that is said once and it
 * goes on: while there is no state (the command has nothing to read) and on
 * the new state once an attach makes one.
 */
int xtap_query_watch(const char *cmd, struct xtap_state_watch *w, bool follow);
/* Opens the state as xtap_query_open does (a state of another ABI is
 * refused with one line), starts watching it and lets it go. 0 or -1. */
int xtap_query_watch_start(const char *cmd, struct xtap_state_watch *w);

/* fd of the pinned map name, or -1 after "CMD: WHAT: cause". */
int xtap_query_map(const char *cmd, const struct xtap_state *st, const char *name,
		   const char *what);

/* An attached interface and the counters of its hooks. */
struct xtap_query_iface {
	__u32 slot;
	struct xtap_iface e;
	char netns[64];			/* xtap_netns_name */
	int present;			/* xtap_slot_alive */
	__u32 counted;			/* bit per hook whose counters are in stats */
	struct xtap_stats stats[XTAP_HOOK_MAX];
};

struct xtap_query_status {
	struct xtap_query_iface *ifaces;	/* in slot order */
	size_t n;
	struct xtap_stats total;	/* every counted point summed */
	int counters_err;		/* the counters map could not be opened: -errno */
	/* with status: the flow table */
	__u32 flows_max;
	size_t flows_used;
};

/* The attached interfaces with their counters; with status, also whether
 * each interface is still there (else present is 1) and the flow table's
 * use. 0, or -1 after a one-line error naming cmd. */
int xtap_query_status(const char *cmd, const struct xtap_state *st, bool status,
		      struct xtap_query_status *out);
void xtap_query_status_free(struct xtap_query_status *s);

/* What `xtap flows` shows. */
struct xtap_flows_query {
	FILE *out;
	bool json;
	enum xtap_sort sort;	/* XTAP_SORT_NONE with json: printed as read */
	__u32 limit;		/* 0: every flow */
	__u32 watch;		/* seconds between tables until a signal; 0: once */
	__u64 cgroup_id;	/* non-zero: only the flows of this local cgroup */
	bool tunnel_only;	/* only flows inside a tunnel of id tunnel_id */
	__u32 tunnel_id;
};

/* The flow table of the attached state, shown once or every q->watch
 * seconds until SIGINT or SIGTERM. 0, or -1 after a one-line error. */
int xtap_flows_show(const struct xtap_state *st, const struct xtap_flows_query *q);

/* xtap status (status true) and xtap stats on the pinned state, printed to
 * out (user/report.h). 0, or -1 after a one-line error; stats with nothing
 * attached is one. */
int xtap_query_show(FILE *out, bool status, bool json);
/* xtap flows on the pinned state: xtap_flows_show, after a one-line error
 * when nothing is attached. 0 or -1. */
int xtap_query_flows(const struct xtap_flows_query *q);

#endif
