// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xtap replay -r FILE: the programs run over a capture, with its clock. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "tools/cmd.h"
#include "user/filter.h"
#include "user/latency.h"
#include "user/log.h"
#include "user/names.h"
#include "user/opts.h"
#include "user/replay.h"
#include "user/report.h"

struct defaults_replay {
	const char *file;
	bool json;
	int hook;
	__u32 flows;
	bool verbose;
	const char *out;	/* -w: write what capture would */
	bool pcapng;
	__u32 snaplen;
	__u32 sample;
	__u32 sample_flows;
};

static const struct defaults_replay defaults_replay = {
	.hook = XTAP_HOOK_XDP,
	.flows = XTAP_FLOWS_DEFAULT,
};

static const struct option replay_opts[] = {
	{ "read", required_argument, NULL, 'r' },
	{ "json", no_argument, NULL, 'j' },
	{ "hook", required_argument, NULL, 'H' },
	{ "flows", required_argument, NULL, 'F' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "write", required_argument, NULL, 'w' },
	{ "pcapng", no_argument, NULL, 'P' },
	{ "snaplen", required_argument, NULL, 's' },
	{ "sample", required_argument, NULL, 'S' },
	{ "sample-flows", required_argument, NULL, 'K' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void print_json(const struct defaults_replay *d, const struct xtap_replay *r,
		       struct xtap_flow_entry *f, size_t n, const struct xtap_hist_entry *h,
		       size_t nh, const struct xtap_app_table *app)
{
	static const struct xtap_hist_filter all = { .kind = -1 };

	struct json j;

	json_init(&j, stdout);
	json_open(&j, NULL, '{');
	json_str(&j, "file", d->file);
	json_str(&j, "hook", xtap_hook_name(d->hook));
	json_u64(&j, "frames", r->frames);
	json_open(&j, "flows", '[');
	for (size_t i = 0; i < n; i++)
		xtap_flow_json_app(&j, &f[i], 0, xtap_app_find(app, &f[i].key));
	json_close(&j, ']');
	json_open(&j, "table", '{');
	json_u64(&j, "max", d->flows);
	json_u64(&j, "used", n);
	json_u64(&j, "evicted", xtap_flows_evicted(&r->stats, n));
	json_close(&j, '}');
	xtap_hist_print_json(&j, "latency", h, nh, &all);
	xtap_stats_json(&j, "stats", &r->stats);
	json_close(&j, '}');
}

int cmd_replay(int argc, char **argv)
{
	struct defaults_replay d = defaults_replay;
	struct xtap_replay r = { 0 };
	struct xtap_flow_entry *flows = NULL;
	struct sock_filter *classic = NULL;
	struct xtap_hist_entry *hists = NULL;
	struct xtap_app_table app = { 0 };
	size_t n = 0, nh = 0, nclassic = 0;
	char *expr = NULL;
	int c, err, ret = XTAP_EXIT_ERR;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:jvhw:s:", replay_opts, NULL)) != -1) {
		switch (c) {
		case 'r': d.file = optarg; break;
		case 'j': d.json = true; break;
		case 'v': d.verbose = true; break;
		case 'w': d.out = optarg; break;
		case 'P': d.pcapng = true; break;
		case 's':
			if (!strcmp(optarg, "0"))
				d.snaplen = XTAP_SNAP_MAX;
			else if (!xtap_parse_u32(optarg, UINT_MAX, &d.snaplen)) {
				xtap_err("replay: -s %s: not a length in bytes", optarg);
				return XTAP_EXIT_USAGE;
			}
			if (d.snaplen > XTAP_SNAP_MAX)
				d.snaplen = XTAP_SNAP_MAX;
			break;
		case 'S':
			if (!xtap_parse_u32(optarg, UINT_MAX, &d.sample)) {
				xtap_err("replay: --sample %s: not a positive count", optarg);
				return XTAP_EXIT_USAGE;
			}
			break;
		case 'K':
			if (!xtap_parse_u32(optarg, UINT_MAX, &d.sample_flows)) {
				xtap_err("replay: --sample-flows %s: not a positive count", optarg);
				return XTAP_EXIT_USAGE;
			}
			break;
		case 'H':
			d.hook = xtap_hook_parse(optarg);
			if (d.hook < 0) {
				xtap_err("replay: --hook %s: not one of xdp, tc-ingress, tc-egress", optarg);
				return XTAP_EXIT_USAGE;
			}
			break;
		case 'F':
			if (!xtap_parse_u32(optarg, XTAP_FLOWS_MAX, &d.flows)) {
				xtap_err("replay: --flows %s: not a count from 1 to %u", optarg, XTAP_FLOWS_MAX);
				return XTAP_EXIT_USAGE;
			}
			break;
		case 'h':
			xtap_usage_of("replay");
			return XTAP_EXIT_OK;
		default:
			return xtap_usage_of("replay");
		}
	}
	if (!d.file) {
		xtap_err("replay: -r FILE is required");
		return xtap_usage_of("replay");
	}
	if (optind < argc && !d.out) {
		xtap_err("replay: a filter expression goes with -w OUT");
		return xtap_usage_of("replay");
	}
	if (optind < argc) {
		char why[XTAP_FILTER_ERRLEN];

		expr = xtap_filter_join(argc - optind, argv + optind);
		if (!expr) {
			xtap_err("replay: out of memory");
			return XTAP_EXIT_ERR;
		}
		if (xtap_filter_classic(expr, XTAP_FILTER_SNAP, &classic, &nclassic, why,
					sizeof(why))) {
			xtap_err("replay: filter '%s': %s", expr, why);
			free(expr);
			return XTAP_EXIT_USAGE;
		}
	}
	xtap_log_init(d.verbose);

	if (!d.out && (d.pcapng || d.snaplen || d.sample || d.sample_flows)) {
		xtap_err("replay: --pcapng, -s, --sample and --sample-flows go with -w OUT");
		return xtap_usage_of("replay");
	}

	struct xtap_replay_opts o = { .path = d.file, .hook = d.hook, .flows_max = d.flows,
				      .out = d.out, .pcapng = d.pcapng, .snaplen = d.snaplen,
				      .sample = d.sample,
				      .sample_flows = d.sample_flows, .filter = classic,
				      .filter_len = nclassic };

	if (xtap_replay_file(&o, &r))
		goto cleanup;
	if (d.out) {
		/* the file is the output: the report goes to stderr, as capture's */
		if (strcmp(d.out, "-"))
			printf("%llu frames read, %llu packets written to %s\n",
			       (unsigned long long)r.frames, (unsigned long long)r.written, d.out);
		else
			fprintf(stderr, "%llu frames read, %llu packets written\n",
				(unsigned long long)r.frames, (unsigned long long)r.written);
		ret = XTAP_EXIT_OK;
		goto cleanup;
	}
	err = xtap_flows_read(bpf_map__fd(r.skel->maps.xtap_flows),
			      bpf_map__fd(r.skel->maps.xtap_fcache), &flows, &n);
	if (err) {
		xtap_err("replay: read flows: %s", strerror(-err));
		goto cleanup;
	}
	err = xtap_app_dump(bpf_map__fd(r.skel->maps.xtap_app), &app);
	if (err) {
		xtap_err("replay: read HTTP/DNS state: %s", strerror(-err));
		goto cleanup;
	}
	xtap_flows_sort(flows, n, XTAP_SORT_AGE);
	err = xtap_hist_dump(bpf_map__fd(r.skel->maps.xtap_hist), &hists, &nh);
	if (err) {
		xtap_err("replay: read latency histograms: %s", strerror(-err));
		goto cleanup;
	}
	xtap_hist_sort(hists, nh);
	if (d.json) {
		print_json(&d, &r, flows, n, hists, nh, &app);
	} else {
		struct xtap_report rep = { .out = stdout, .app = &app };
		char title[64];

		xtap_flows_table(&rep, flows, n);
		snprintf(title, sizeof(title), "\n%s", xtap_hook_name(d.hook));
		printf("\n%llu frames, %zu flows in the table (of %u), %llu evicted\n",
		       (unsigned long long)r.frames, n, d.flows,
		       (unsigned long long)xtap_flows_evicted(&r.stats, n));
		xtap_stats_table(stdout, title + 1, &r.stats);
		if (nh) {
			static const struct xtap_hist_filter all = { .kind = -1 };

			printf("\nlatency per service:\n");
			xtap_hist_print(stdout, hists, nh, &all);
		}
	}
	ret = XTAP_EXIT_OK;
cleanup:
	free(hists);
	free(classic);
	free(expr);
	free(flows);
	xtap_app_free(&app);
	xtap_replay_free(&r);
	return ret;
}
