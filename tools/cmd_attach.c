// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xtap attach IFACE... and xtap detach IFACE...|--all */
#include <getopt.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "loader/attach.h"
#include "loader/drops.h"
#include "tools/cmd.h"
#include "user/log.h"
#include "user/opts.h"

struct defaults_attach {
	__u32 hooks;
	int mode;
	int tc;
	__u32 flows;
	__u32 hop_sample;	/* 0: the state's setting, or the default in a new state */
	bool verbose;
};

static const struct defaults_attach defaults_attach = {
	.hooks = (1u << XTAP_HOOK_MAX) - 1,
	.mode = XTAP_MODE_AUTO,
	.tc = XTAP_TC_AUTO,
	.flows = 0,	/* the pinned table's size, else XTAP_FLOWS_DEFAULT */
};

static const struct option attach_opts[] = {
	{ "mode", required_argument, NULL, 'm' },
	{ "hooks", required_argument, NULL, 'k' },
	{ "tc", required_argument, NULL, 't' },
	{ "flows", required_argument, NULL, 'F' },
	{ "hop-sample", required_argument, NULL, 'S' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char *const mode_names[] = { "auto", "native", "generic" };
static const char *const tc_names[] = { "auto", "tcx", "clsact" };

static int pick(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

int cmd_attach(int argc, char **argv)
{
	struct defaults_attach d = defaults_attach;
	char err[XTAP_ERRLEN] = "";
	__u32 made[XTAP_MAX_SLOTS];
	struct xtap_state st;
	int c, nmade = 0, ret = XTAP_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", attach_opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			d.mode = pick(optarg, mode_names, 3);
			if (d.mode < 0) {
				xtap_err("attach: --mode %s: not one of auto, native, generic", optarg);
				return XTAP_EXIT_USAGE;
			}
			break;
		case 't':
			d.tc = pick(optarg, tc_names, 3);
			if (d.tc < 0) {
				xtap_err("attach: --tc %s: not one of auto, tcx, clsact", optarg);
				return XTAP_EXIT_USAGE;
			}
			break;
		case 'k':
			if (!xtap_parse_hooks(optarg, &d.hooks)) {
				xtap_err("attach: --hooks %s: a list of xdp, tc-ingress, tc-egress", optarg);
				return XTAP_EXIT_USAGE;
			}
			break;
		case 'F':
			if (!xtap_parse_u32(optarg, XTAP_FLOWS_MAX, &d.flows)) {
				xtap_err("attach: --flows %s: not a count from 1 to %u", optarg, XTAP_FLOWS_MAX);
				return XTAP_EXIT_USAGE;
			}
			break;
		case 'S':
			if (!xtap_parse_u32(optarg, 1u << XTAP_HOP_SAMPLE_SHIFT_MAX, &d.hop_sample) ||
			    (d.hop_sample & (d.hop_sample - 1))) {
				xtap_err("attach: --hop-sample %s: a power of 2 from 1 to %u", optarg,
					 1u << XTAP_HOP_SAMPLE_SHIFT_MAX);
				return XTAP_EXIT_USAGE;
			}
			break;
		case 'v': d.verbose = true; break;
		case 'h': xtap_usage_of("attach"); return XTAP_EXIT_OK;
		default: return xtap_usage_of("attach");
		}
	}
	if (optind >= argc) {
		xtap_err("attach: name at least one interface");
		return xtap_usage_of("attach");
	}
	xtap_log_init(d.verbose);
	if (xtap_check_privileges("attach"))
		return XTAP_EXIT_ERR;
	if (xtap_state_open(&st, NULL, true, err, sizeof(err))) {
		xtap_err("attach: %s", err);
		return XTAP_EXIT_ERR;
	}
	/* all or nothing: every name must exist before anything is attached,
	 * and a failure later detaches what this command attached */
	for (int i = optind; i < argc; i++)
		if (!if_nametoindex(argv[i])) {
			xtap_err("attach %s: interface not found", argv[i]);
			ret = XTAP_EXIT_ERR;
			goto cleanup;
		}
	for (int i = optind; i < argc; i++) {
		struct xtap_attach_opts o = {
			.ifname = argv[i], .hooks = d.hooks, .xdp_mode = d.mode, .tc_mech = d.tc,
			.flows_max = d.flows,
		};
		struct xtap_iface e;
		char hooks[64];
		int r = xtap_attach(&st, &o, &e, err, sizeof(err));

		if (r < 0) {
			xtap_err("attach %s: %s", argv[i], err);
			ret = XTAP_EXIT_ERR;
			for (int k = 0; k < nmade; k++) {
				char e2[XTAP_ERRLEN];

				if (xtap_detach_slot(&st, made[k], e2, sizeof(e2)))
					xtap_err("attach: rolling back: %s", e2);
			}
			if (nmade)
				fprintf(stderr, "xtap: attach: detached the %d interface%s this command had attached\n",
					nmade, nmade == 1 ? "" : "s");
			goto cleanup;
		}
		if (r == 0) {
			int slot = xtap_find_slot(&st, argv[i]);

			if (slot >= 0 && nmade < XTAP_MAX_SLOTS)
				made[nmade++] = (__u32)slot;
		}
		xtap_hooks_str(e.hooks, hooks, sizeof(hooks));
		if (r == 1)
			printf("%s: already attached (%s); nothing changed\n", argv[i], hooks);
		else
			printf("%s: attached %s%s%s%s%s\n", argv[i], hooks,
			       e.hooks & 1 ? ", xdp " : "",
			       e.hooks & 1 ? (e.xdp_mode == XTAP_XDP_GENERIC ? "generic" : "native") : "",
			       e.tc_mech ? ", tc " : "",
			       e.tc_mech == XTAP_TC_TCX ? "tcx" : e.tc_mech == XTAP_TC_CLSACT ? "clsact" : "");
	}
	/* hop sampling: one setting for every interface of the state; a
	 * state nobody configured gets the default, one that was keeps its
	 * setting unless --hop-sample names another */
	{
		struct xtap_hop_cfg cfg = { 0 };
		int fd = xtap_map_open(&st, "xtap_hop_cfg");
		__u32 zero = 0;

		if (fd < 0 || bpf_map_lookup_elem(fd, &zero, &cfg)) {
			xtap_err("attach: hop sampling: %s", strerror(fd < 0 ? -fd : errno));
			ret = XTAP_EXIT_ERR;
		} else if (d.hop_sample || !cfg.configured) {
			cfg.sample_shift = d.hop_sample ? (__u32)__builtin_ctz(d.hop_sample)
							: XTAP_HOP_SAMPLE_SHIFT_DEFAULT;
			cfg.configured = 1;
			if (bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY)) {
				xtap_err("attach: hop sampling: %s", strerror(errno));
				ret = XTAP_EXIT_ERR;
			}
		}
		if (fd >= 0)
			close(fd);
	}
	/* drop reasons: one tracepoint for the whole state, best effort */
	if (xtap_drops_attach(&st, err, sizeof(err)) < 0)
		fprintf(stderr, "xtap: attach: %s; xtap drops will stay empty\n", err);
cleanup:
	xtap_state_close(&st);
	return ret;
}

int cmd_detach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[XTAP_ERRLEN] = "";
	struct xtap_state st;
	bool all = false, verbose = false;
	int c, ret = XTAP_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "avh", opts, NULL)) != -1) {
		switch (c) {
		case 'a': all = true; break;
		case 'v': verbose = true; break;
		case 'h': xtap_usage_of("detach"); return XTAP_EXIT_OK;
		default: return xtap_usage_of("detach");
		}
	}
	if (all == (optind < argc)) {
		xtap_err("detach: name interfaces or give --all, not both");
		return xtap_usage_of("detach");
	}
	xtap_log_init(verbose);
	if (xtap_check_privileges("detach"))
		return XTAP_EXIT_ERR;
	if (xtap_state_open(&st, NULL, false, err, sizeof(err))) {
		xtap_err("detach: %s", err);
		return XTAP_EXIT_ERR;
	}
	if (st.reg_fd < 0) {
		if (!all) {
			xtap_err("detach %s: not attached", argv[optind]);
			ret = XTAP_EXIT_ERR;
		}
		goto cleanup;
	}
	if (all) {
		for (__u32 s = 0; s < XTAP_MAX_SLOTS && st.reg_fd >= 0; s++) {
			struct xtap_iface e;

			if (xtap_iface_get(&st, s, &e))
				continue;
			if (xtap_detach_slot(&st, s, err, sizeof(err))) {
				xtap_err("detach %s: %s", e.name, err);
				ret = XTAP_EXIT_ERR;
			} else {
				printf("%s: detached\n", e.name);
			}
		}
		goto cleanup;
	}
	for (int i = optind; i < argc; i++) {
		int slot = st.reg_fd >= 0 ? xtap_find_slot(&st, argv[i]) : -1;

		if (slot < 0) {
			xtap_err("detach %s: not attached", argv[i]);
			ret = XTAP_EXIT_ERR;
			continue;
		}
		if (xtap_detach_slot(&st, (__u32)slot, err, sizeof(err))) {
			xtap_err("detach %s: %s", argv[i], err);
			ret = XTAP_EXIT_ERR;
		} else {
			printf("%s: detached\n", argv[i]);
		}
	}
cleanup:
	xtap_state_close(&st);
	return ret;
}
