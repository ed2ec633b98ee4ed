// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Queries of the live state: xtap status, xtap flows, xtap stats. */
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tools/cmd.h"
#include "user/json.h"
#include "user/log.h"
#include "user/names.h"
#include "user/opts.h"
#include "user/query.h"
#include "user/report.h"


/* status and stats take -j alone */
struct defaults_json {
	bool json;
};

static const struct xtap_opt json_opts[] = {
	{ "json", 'j', XTAP_OPT_FLAG, offsetof(struct defaults_json, json), NULL, .help = "JSON" },
	{ NULL },
};

const struct xtap_cmd_spec xtap_spec_status = {
	.name = "status",
	.help = "attached interfaces, hooks, modes, program ids, flow table use",
	.opts = json_opts,
};

const struct xtap_cmd_spec xtap_spec_stats = {
	.name = "stats",
	.help = "counters per reason, per interface and hook",
	.opts = json_opts,
};

static void status_json(const struct xtap_query_status *s)
{
	struct json j;

	json_init(&j, stdout);
	json_open(&j, NULL, '{');
	json_open(&j, "interfaces", '[');
	for (size_t i = 0; i < s->n; i++) {
		const struct xtap_iface *e = &s->ifaces[i].e;
		char hooks[64];

		json_open(&j, NULL, '{');
		json_u64(&j, "slot", s->ifaces[i].slot);
		json_str(&j, "name", e->name);
		json_u64(&j, "ifindex", e->ifindex);
		json_str(&j, "netns", s->ifaces[i].netns);
		json_str(&j, "hooks", xtap_hooks_str(e->hooks, hooks, sizeof(hooks)));
		json_str(&j, "xdp_mode", xtap_xdp_mode_name(e->xdp_mode));
		json_str(&j, "xdp_attach", e->xdp_mode ? (e->xdp_mech ? "libxdp" : "link") : "-");
		json_str(&j, "tc", xtap_tc_mech_name(e->tc_mech));
		json_open(&j, "prog_ids", '{');
		for (int h = 0; h < XTAP_HOOK_MAX; h++)
			if (e->hooks & (1u << h))
				json_u64(&j, xtap_hook_name(h), e->prog_id[h]);
		json_close(&j, '}');
		if (s->ifaces[i].present < 0)
			json_null(&j, "present");
		else
			json_bool(&j, "present", s->ifaces[i].present);
		json_close(&j, '}');
	}
	json_close(&j, ']');
	json_open(&j, "flows", '{');
	json_u64(&j, "max", s->flows_max);
	json_u64(&j, "used", s->flows_used);
	json_u64(&j, "created", s->total.c[XTAP_STAT_FLOW_NEW]);
	json_u64(&j, "evicted", xtap_flows_evicted(&s->total, s->flows_used));
	json_u64(&j, "failed", s->total.c[XTAP_STAT_FLOW_FAIL]);
	json_close(&j, '}');
	json_close(&j, '}');
}

static void status_table(const struct xtap_query_status *s)
{
	printf("%-16s %7s %-12s %-26s %-8s %-7s %s\n", "INTERFACE", "IFINDEX", "NETNS", "HOOKS",
	       "XDP", "TC", "PROG IDS (xdp/tc-in/tc-eg)");
	for (size_t i = 0; i < s->n; i++) {
		const struct xtap_iface *e = &s->ifaces[i].e;
		char hooks[64];

		printf("%-16s %7u %-12s %-26s %-8s %-7s %u/%u/%u%s\n", e->name, e->ifindex,
		       s->ifaces[i].netns[0] ? s->ifaces[i].netns : "-",
		       xtap_hooks_str(e->hooks, hooks, sizeof(hooks)),
		       e->xdp_mode ? xtap_xdp_mode_name(e->xdp_mode) : "-",
		       xtap_tc_mech_name(e->tc_mech), e->prog_id[0], e->prog_id[1], e->prog_id[2],
		       s->ifaces[i].present == 0 ? "  (interface gone)" : "");
	}
	printf("\nflow table: %zu of %u entries in use (%.1f%%); %llu created, %llu evicted, %llu failed\n",
	       s->flows_used, s->flows_max,
	       s->flows_max ? 100.0 * (double)s->flows_used / s->flows_max : 0.0,
	       (unsigned long long)s->total.c[XTAP_STAT_FLOW_NEW],
	       (unsigned long long)xtap_flows_evicted(&s->total, s->flows_used),
	       (unsigned long long)s->total.c[XTAP_STAT_FLOW_FAIL]);
}

int cmd_status(int argc, char **argv)
{
	struct defaults_json d = { 0 };
	struct xtap_query_status s = { 0 };
	struct xtap_parsed p;
	struct xtap_state st;
	int rc = xtap_opts_parse(&xtap_spec_status, &d, argc, argv, &p), none;

	if (rc >= 0)
		return rc;
	none = xtap_query_open("status", &st);
	if (none < 0)
		return XTAP_EXIT_ERR;
	rc = XTAP_EXIT_OK;
	if (!none && xtap_query_status("status", &st, true, &s))
		rc = XTAP_EXIT_ERR;
	else if (d.json)
		status_json(&s);
	else if (none)
		printf("xtap is not attached to any interface\n");
	else
		status_table(&s);
	xtap_query_status_free(&s);
	xtap_state_close(&st);
	return rc;
}

struct defaults_flows {
	bool json;
	__u32 limit;
	int sort;		/* enum xtap_sort */
	__u32 watch;
};

#define F(x) offsetof(struct defaults_flows, x)
static const struct xtap_opt flows_opts[] = {
	{ "json", 'j', XTAP_OPT_FLAG, F(json), NULL,
	  .help = "JSON: {\"flows\": [...], \"total\": N}; in no order unless --sort or -n" },
	{ "limit", 'n', XTAP_OPT_U32, F(limit), "N", .help = "the first N flows of the order",
	  .min = 1, .max = 1u << 30, .bad = "not a positive count" },
	{ "sort", 0, XTAP_OPT_ENUM, F(sort), NULL, .help = "the order; default bytes",
	  .names = xtap_sort_names },
	{ "watch", 0, XTAP_OPT_U32, F(watch), "SECONDS", .help = "a new table every SECONDS",
	  .min = 1, .max = 3600, .bad = "seconds from 1 to 3600" },
	{ NULL },
};
#undef F

const struct xtap_cmd_spec xtap_spec_flows = {
	.name = "flows",
	.help = "the live flow table",
	.opts = flows_opts,
};

int cmd_flows(int argc, char **argv)
{
	struct defaults_flows d = { .sort = XTAP_SORT_BYTES };
	struct xtap_parsed p;
	struct xtap_state st;
	int rc = xtap_opts_parse(&xtap_spec_flows, &d, argc, argv, &p), none;
	struct xtap_flows_query q;

	if (rc >= 0)
		return rc;
	/* the table shows the biggest flows first; -j is sorted only when asked
	 * (--sort), or when -n keeps the biggest: a million flows take a while */
	if (!xtap_opt_given(&xtap_spec_flows, &p, "sort") && d.json && !d.limit)
		d.sort = XTAP_SORT_NONE;
	q = (struct xtap_flows_query){ .out = stdout, .json = d.json, .sort = d.sort,
				       .limit = d.limit, .watch = d.watch };
	none = xtap_query_open("flows", &st);
	if (none < 0)
		return XTAP_EXIT_ERR;
	if (none)
		xtap_err("flows: xtap is not attached to any interface");
	rc = none || xtap_flows_show(&st, &q) ? XTAP_EXIT_ERR : XTAP_EXIT_OK;
	xtap_state_close(&st);
	return rc;
}

int cmd_stats(int argc, char **argv)
{
	struct defaults_json d = { 0 };
	struct xtap_query_status s;
	struct xtap_parsed p;
	struct xtap_state st;
	int rc = xtap_opts_parse(&xtap_spec_stats, &d, argc, argv, &p), none;
	struct json j;

	if (rc >= 0)
		return rc;
	none = xtap_query_open("stats", &st);
	if (none < 0)
		return XTAP_EXIT_ERR;
	if (none || xtap_query_status("stats", &st, false, &s)) {
		if (none)
			xtap_err("stats: xtap is not attached to any interface");
		xtap_state_close(&st);
		return XTAP_EXIT_ERR;
	}
	rc = XTAP_EXIT_OK;
	if (s.counters_err) {
		xtap_err("stats: counters: %s", strerror(-s.counters_err));
		rc = XTAP_EXIT_ERR;
		goto cleanup;
	}
	if (d.json) {
		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_open(&j, "interfaces", '[');
	}
	for (size_t i = 0; i < s.n; i++) {
		const struct xtap_query_iface *q = &s.ifaces[i];

		if (d.json) {
			json_open(&j, NULL, '{');
			json_str(&j, "name", q->e.name);
			json_str(&j, "netns", q->netns);
			json_open(&j, "hooks", '{');
		}
		for (int h = 0; h < XTAP_HOOK_MAX; h++) {
			char title[96];

			if (!(q->counted & (1u << h)))
				continue;
			if (d.json) {
				xtap_stats_json(&j, xtap_hook_name(h), &q->stats[h]);
			} else {
				snprintf(title, sizeof(title), "%s%s%s %s", q->e.name,
					 q->netns[0] ? "@" : "", q->netns, xtap_hook_name(h));
				xtap_stats_table(stdout, title, &q->stats[h]);
			}
		}
		if (d.json) {
			json_close(&j, '}');
			json_close(&j, '}');
		}
	}
	if (d.json) {
		json_close(&j, ']');
		xtap_stats_json(&j, "total", &s.total);
		json_close(&j, '}');
	} else {
		xtap_stats_table(stdout, "total", &s.total);
	}
cleanup:
	xtap_query_status_free(&s);
	xtap_state_close(&st);
	return rc;
}
