// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xtap drops: packets of seen flows the kernel lost, and why; --all adds the
 * frees of normal delivery and teardown, each with its class. */
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>

#include "loader/attach.h"
#include "tools/cmd.h"
#include "user/drops.h"
#include "user/opts.h"
#include "user/query.h"

struct defaults_drops {
	bool json;
	bool all;
};

static const struct xtap_opt drops_opts[] = {
	{ "json", 'j', XTAP_OPT_FLAG, offsetof(struct defaults_drops, json), NULL,
	  .help = "JSON: {\"drops\": [...]}" },
	{ "all", 'a', XTAP_OPT_FLAG, offsetof(struct defaults_drops, all), NULL,
	  .help = "every drop with its class (delivered, teardown, duplicate, not-ours, loss), "
		  "not only the losses" },
	{ NULL },
};

const struct xtap_cmd_spec xtap_spec_drops = {
	.name = "drops",
	.help = "packets of seen flows the kernel lost, per interface and drop reason",
	.opts = drops_opts,
};

int cmd_drops(int argc, char **argv)
{
	struct defaults_drops d = { 0 };
	struct xtap_drops drops = { 0 };
	struct xtap_parsed p;
	struct xtap_state st;
	int rc = xtap_opts_parse(&xtap_spec_drops, &d, argc, argv, &p), none;

	if (rc >= 0)
		return rc;
	none = xtap_query_open("drops", &st);
	if (none < 0)
		return XTAP_EXIT_ERR;
	/* nothing attached: an empty table */
	rc = !none && xtap_drops_query(&st, &drops) ? XTAP_EXIT_ERR : XTAP_EXIT_OK;
	if (rc == XTAP_EXIT_OK)
		xtap_drops_print(stdout, &st, &drops, d.json, d.all);
	xtap_drops_free(&drops);
	xtap_state_close(&st);
	return rc;
}
