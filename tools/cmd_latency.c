// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xtap latency: the per-service latency histograms of the live state. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader/attach.h"
#include "tools/cmd.h"
#include "user/latency.h"
#include "user/log.h"
#include "user/opts.h"

struct defaults_latency {
	bool json;
	struct xtap_hist_filter filter;
};

static const struct defaults_latency defaults_latency = {
	.filter = { .kind = -1 },
};

/* Parses the options into d; returns -1 to go on, else the exit code. */
static int latency_opts(int argc, char **argv, struct defaults_latency *d)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "service", required_argument, NULL, 's' },
		{ "kind", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': d->json = true; break;
		case 's':
			if (xtap_svc_parse(optarg, &d->filter)) {
				xtap_err("latency: --service %s: not ADDR:PORT ([ADDR]:PORT for IPv6)",
					 optarg);
				return XTAP_EXIT_USAGE;
			}
			break;
		case 'k':
			d->filter.kind = xtap_lat_kind_parse(optarg);
			if (d->filter.kind < 0) {
				xtap_err("latency: --kind %s: not one of handshake, http, dns, rtt", optarg);
				return XTAP_EXIT_USAGE;
			}
			break;
		case 'h': xtap_usage_of("latency"); return XTAP_EXIT_OK;
		default: return xtap_usage_of("latency");
		}
	}
	if (optind != argc)
		return xtap_usage_of("latency");
	return -1;
}

int cmd_latency(int argc, char **argv)
{
	struct defaults_latency d = defaults_latency;
	struct xtap_hist_entry *v = NULL;
	char err[XTAP_ERRLEN] = "";
	struct xtap_state st;
	size_t n = 0;
	int rc = latency_opts(argc, argv, &d), fd, e;

	if (rc >= 0)
		return rc;
	if (xtap_check_privileges("latency"))
		return XTAP_EXIT_ERR;
	if (xtap_state_open(&st, NULL, false, err, sizeof(err))) {
		xtap_err("latency: %s", err);
		return XTAP_EXIT_ERR;
	}
	rc = XTAP_EXIT_ERR;
	if (st.reg_fd < 0) {
		xtap_err("latency: xtap is not attached to any interface");
		goto cleanup;
	}
	fd = xtap_map_open(&st, "xtap_hist");
	if (fd < 0) {
		xtap_err("latency: histograms: %s", strerror(-fd));
		goto cleanup;
	}
	e = xtap_hist_dump(fd, &v, &n);
	close(fd);
	if (e) {
		xtap_err("latency: read histograms: %s", strerror(-e));
		goto cleanup;
	}
	xtap_hist_sort(v, n);
	if (d.json) {
		struct json j;

		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		xtap_hist_print_json(&j, "latency", v, n, &d.filter);
		json_close(&j, '}');
	} else {
		xtap_hist_print(stdout, v, n, &d.filter);
	}
	rc = XTAP_EXIT_OK;
cleanup:
	free(v);
	xtap_state_close(&st);
	return rc;
}
