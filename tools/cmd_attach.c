// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xtap attach IFACE... and xtap detach IFACE...|--all */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "loader/attach.h"
#include "tools/cmd.h"
#include "user/log.h"
#include "user/names.h"
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

int cmd_attach(int argc, char **argv)
{
	struct defaults_attach d = defaults_attach;
	char err[XTAP_ERRLEN] = "";
	struct xtap_attach_result res = { 0 };
	struct xtap_attach_opts o;
	struct xtap_state st;
	int c, ret = XTAP_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", attach_opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			d.mode = xtap_xdp_mode_parse(optarg);
			if (d.mode < 0) {
				xtap_err("attach: --mode %s: not one of auto, native, generic", optarg);
				return XTAP_EXIT_USAGE;
			}
			break;
		case 't':
			d.tc = xtap_tc_mech_parse(optarg);
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
	o = (struct xtap_attach_opts){ .hooks = d.hooks, .xdp_mode = d.mode, .tc_mech = d.tc,
				       .flows_max = d.flows };
	xtap_log_init(d.verbose);
	if (xtap_check_privileges("attach"))
		return XTAP_EXIT_ERR;
	if (xtap_state_open(&st, NULL, XTAP_STATE_CREATE, err, sizeof(err))) {
		xtap_err("attach: %s", err);
		return XTAP_EXIT_ERR;
	}
	res.each = calloc((size_t)(argc - optind), sizeof(*res.each));
	if (!res.each) {
		xtap_err("attach: %s", strerror(ENOMEM));
		ret = XTAP_EXIT_ERR;
		goto cleanup;
	}
	if (xtap_attach_all(&st, argv + optind, argc - optind, &o, d.hop_sample, &res, err,
			    sizeof(err)))
		ret = XTAP_EXIT_ERR;
	for (int i = 0; i < res.done; i++) {
		const struct xtap_iface *e = &res.each[i].iface;
		char hooks[64];

		xtap_hooks_str(e->hooks, hooks, sizeof(hooks));
		if (res.each[i].already)
			printf("%s: already attached (%s); nothing changed\n", argv[optind + i], hooks);
		else
			printf("%s: attached %s%s%s%s%s\n", argv[optind + i], hooks,
			       e->hooks & (1u << XTAP_HOOK_XDP) ? ", xdp " : "",
			       e->hooks & (1u << XTAP_HOOK_XDP) ? xtap_xdp_mode_name(e->xdp_mode) : "",
			       e->tc_mech ? ", tc " : "", e->tc_mech ? xtap_tc_mech_name(e->tc_mech) : "");
	}
	if (ret != XTAP_EXIT_OK)
		xtap_err("%s", err);
	if (res.rollback_err[0])
		xtap_err("attach: rolling back: %s", res.rollback_err);
	if (res.rolled_back)
		fprintf(stderr, "xtap: attach: detached the %d interface%s this command had attached\n",
			res.rolled_back, res.rolled_back == 1 ? "" : "s");
	if (res.drops_err[0])
		fprintf(stderr, "xtap: attach: %s; xtap drops will stay empty\n", res.drops_err);
cleanup:
	free(res.each);
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
	/* --all is the way out of a state another xtap made: it does not
	 * ask for this xtap's ABI */
	if (xtap_state_open(&st, NULL, all ? XTAP_STATE_ANY_ABI : 0, err, sizeof(err))) {
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
