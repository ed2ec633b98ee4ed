// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xtap hops: per-hop latency and loss between attach points, in path order. */
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>

#include "loader/attach.h"
#include "tools/cmd.h"
#include "user/hops.h"
#include "user/log.h"
#include "user/opts.h"
#include "user/query.h"

struct defaults_hops {
	bool json;
	bool verbose;
	const char *timeout;	/* ms; checked after the parse, with its own messages */
};

#define F(x) offsetof(struct defaults_hops, x)
static const struct xtap_opt hops_opts[] = {
	{ "json", 'j', XTAP_OPT_FLAG, F(json), NULL, .help = "JSON: {\"hops\": [...]}" },
	{ "verbose", 'v', XTAP_OPT_FLAG, F(verbose), NULL, .help = "each hop's histogram too" },
	{ "timeout", 't', XTAP_OPT_STR, F(timeout), "MS",
	  .help = "a packet not seen at the next point within MS is lost" },
	{ NULL },
};
#undef F

const struct xtap_cmd_spec xtap_spec_hops = {
	.name = "hops",
	.help = "per-hop latency and loss between attach points, in path order",
	.opts = hops_opts,
};

int cmd_hops(int argc, char **argv)
{
	struct defaults_hops d = { 0 };
	struct xtap_hops_report r;
	struct xtap_parsed p;
	struct xtap_state st;
	__u32 timeout_ms = XTAP_HOP_TIMEOUT_MS;
	int rc = xtap_opts_parse(&xtap_spec_hops, &d, argc, argv, &p), none;

	if (rc >= 0)
		return rc;
	if (d.timeout && !xtap_parse_u32(d.timeout, 3600 * 1000, &timeout_ms)) {
		xtap_err("hops: --timeout %s: want milliseconds, 1 to 3600000", d.timeout);
		return XTAP_EXIT_USAGE;
	}
	if (timeout_ms < XTAP_HOP_TIMEOUT_MS) {
		xtap_err("hops: --timeout %u: the programs keep sightings for %u ms; use at least that",
			 timeout_ms, XTAP_HOP_TIMEOUT_MS);
		return XTAP_EXIT_USAGE;
	}
	none = xtap_query_open("hops", &st);
	if (none < 0)
		return XTAP_EXIT_ERR;
	if (none) {
		printf(d.json ? "{\"hops\":[]}\n" : "xtap is not attached to any interface\n");
		rc = XTAP_EXIT_OK;
	} else if (xtap_hops_query(&st, timeout_ms, &r)) {
		rc = XTAP_EXIT_ERR;
	} else {
		xtap_hops_print(stdout, &st, &r, d.json, d.verbose);
		xtap_hops_report_free(&r);
		rc = XTAP_EXIT_OK;
	}
	xtap_state_close(&st);
	return rc;
}
