/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Flows and counters as aligned tables or JSON. */
#ifndef XTAP_USER_REPORT_H
#define XTAP_USER_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "user/app.h"
#include "user/json.h"
#include "user/maps.h"

/* Times in the flow table are ns on the programs' clock; time_offset_ns
 * turns them into ns since the epoch (0 for replay, whose clock already is). */
struct xtap_report {
	FILE *out;
	__s64 time_offset_ns;
	size_t limit;		/* 0: every flow */
	/* the STATUS and RESP columns: HTTP/DNS state to join; NULL: no columns */
	const struct xtap_app_table *app;
	/* the DROPS column: packets of the flow the kernel dropped (xtap
	 * drops); NULL: no column */
	__u64 (*drops_of)(const struct xtap_flow_key *k, void *arg);
	void *drops_arg;
	/* the TUNNEL column, shown when a flow is in a tunnel: its outer
	 * endpoints (0, else none known); NULL: the tunnel's type and id */
	int (*tunnel_of)(const struct xtap_flow_key *k, struct xtap_tunnel *t, void *arg);
	void *tunnel_arg;
};

void xtap_flow_json(struct json *j, const struct xtap_flow_entry *e, __s64 time_offset_ns);
/* The same, with the flow's HTTP or DNS state (app NULL: none). */
void xtap_flow_json_app(struct json *j, const struct xtap_flow_entry *e, __s64 time_offset_ns,
			const struct xtap_app *app);
/* The same members, without the braces around them. */
void xtap_flow_json_fields(struct json *j, const struct xtap_flow_entry *e, __s64 time_offset_ns);
void xtap_flows_table(const struct xtap_report *r, const struct xtap_flow_entry *f, size_t n);
/* Counters with a non-zero value, as one JSON object under key. */
void xtap_stats_json(struct json *j, const char *key, const struct xtap_stats *s);
void xtap_stats_table(FILE *out, const char *title, const struct xtap_stats *s);

struct xtap_query_status;	/* user/query.h */
/* xtap status: the attached interfaces (an interface gone is marked) and
 * the flow table's use, as a table or as JSON. */
void xtap_status_print(FILE *out, const struct xtap_query_status *s, bool json);
/* xtap stats: each interface's counters by hook, then the total. */
void xtap_stats_print(FILE *out, const struct xtap_query_status *s, bool json);

#endif
