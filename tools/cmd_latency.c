// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xtap latency: the per-service latency histograms of the live state. */
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "loader/attach.h"
#include "tools/cmd.h"
#include "user/latency.h"
#include "user/log.h"
#include "user/opts.h"
#include "user/query.h"

struct defaults_latency {
	bool json;
	const char *service;
	int kind;		/* enum xtap_lat_kind; -1: every kind */
};

static const struct defaults_latency defaults_latency = {
	.kind = -1,
};

#define F(x) offsetof(struct defaults_latency, x)
static const struct xtap_opt latency_opts[] = {
	{ "json", 'j', XTAP_OPT_FLAG, F(json), NULL, .help = "JSON: {\"latency\": [...]}" },
	{ "service", 0, XTAP_OPT_STR, F(service), "ADDR:PORT", .help = "one service ([ADDR]:PORT for IPv6)" },
	{ "kind", 0, XTAP_OPT_ENUM, F(kind), NULL, .help = "one kind of latency (tls: both TLS times)",
	  .names = xtap_lat_kind_names },
	{ NULL },
};
#undef F

const struct xtap_cmd_spec xtap_spec_latency = {
	.name = "latency",
	.help = "per-service latency histograms with count, p50, p90, p99 and max",
	.opts = latency_opts,
};

int cmd_latency(int argc, char **argv)
{
	struct defaults_latency d = defaults_latency;
	struct xtap_hist_filter filter = { .kind = -1 };
	struct xtap_hist_entry *v = NULL;
	struct xtap_parsed p;
	struct xtap_state st;
	size_t n = 0;
	int rc = xtap_opts_parse(&xtap_spec_latency, &d, argc, argv, &p), none;

	if (rc >= 0)
		return rc;
	if (d.service && xtap_svc_parse(d.service, &filter)) {
		xtap_err("latency: --service %s: not ADDR:PORT ([ADDR]:PORT for IPv6)", d.service);
		return XTAP_EXIT_USAGE;
	}
	filter.kind = d.kind;
	none = xtap_query_open("latency", &st);
	if (none < 0)
		return XTAP_EXIT_ERR;
	rc = XTAP_EXIT_ERR;
	if (none) {
		xtap_err("latency: xtap is not attached to any interface");
		goto cleanup;
	}
	if (xtap_latency_query(&st, &v, &n))
		goto cleanup;
	if (d.json) {
		struct json j;

		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		xtap_hist_print_json(&j, "latency", v, n, &filter);
		json_close(&j, '}');
	} else {
		xtap_hist_print(stdout, v, n, &filter);
	}
	rc = XTAP_EXIT_OK;
cleanup:
	free(v);
	xtap_state_close(&st);
	return rc;
}
