// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Queries of the live state: xtap status, xtap flows, xtap stats. */
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>

#include "tools/cmd.h"
#include "user/opts.h"
#include "user/cgroup.h"
#include "user/query.h"

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

int cmd_status(int argc, char **argv)
{
	struct defaults_json d = { 0 };
	struct xtap_parsed p;
	int rc = xtap_opts_parse(&xtap_spec_status, &d, argc, argv, &p);

	if (rc >= 0)
		return rc;
	return xtap_query_show(stdout, true, d.json) ? XTAP_EXIT_ERR : XTAP_EXIT_OK;
}

int cmd_stats(int argc, char **argv)
{
	struct defaults_json d = { 0 };
	struct xtap_parsed p;
	int rc = xtap_opts_parse(&xtap_spec_stats, &d, argc, argv, &p);

	if (rc >= 0)
		return rc;
	return xtap_query_show(stdout, false, d.json) ? XTAP_EXIT_ERR : XTAP_EXIT_OK;
}

struct defaults_flows {
	bool json;
	__u32 limit;
	int sort;		/* enum xtap_sort */
	__u32 watch;
	const char *cgroup;
	__u32 tunnel;
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
	{ "cgroup", 0, XTAP_OPT_STR, F(cgroup), "PATH",
	  .help = "only the flows of this local cgroup v2 (below its mount point, or in full)" },
	{ "tunnel", 0, XTAP_OPT_U32, F(tunnel), "ID",
	  .help = "only the flows inside a tunnel of this id (VNI, GRE key)", .max = 0xffffffffu },
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
	__u64 cgid = 0;
	int rc = xtap_opts_parse(&xtap_spec_flows, &d, argc, argv, &p);

	if (rc >= 0)
		return rc;
	/* the table shows the biggest flows first; -j is sorted only when asked
	 * (--sort), or when -n keeps the biggest: a million flows take a while */
	if (!xtap_opt_given(&xtap_spec_flows, &p, "sort") && d.json && !d.limit)
		d.sort = XTAP_SORT_NONE;
	if (d.cgroup && xtap_cgroup_opt("flows", d.cgroup, &cgid))
		return XTAP_EXIT_ERR;
	return xtap_query_flows(&(struct xtap_flows_query){
		.out = stdout, .json = d.json, .sort = d.sort, .limit = d.limit,
		.watch = d.watch, .cgroup_id = cgid,
		.tunnel_only = xtap_opt_given(&xtap_spec_flows, &p, "tunnel"),
		.tunnel_id = d.tunnel }) ? XTAP_EXIT_ERR : XTAP_EXIT_OK;
}
