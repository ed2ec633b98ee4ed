// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xtap attach IFACE... and xtap detach IFACE...|--all */
#include <stddef.h>
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
	const char *mode;	/* auto, native, generic */
	const char *tc;		/* auto, tcx, clsact */
	__u32 flows;		/* 0: the pinned table's size, else XTAP_FLOWS_DEFAULT */
	__u32 hop_sample;	/* 0: the state's setting, or the default in a new state */
	__u32 sampling;		/* 0: the state's setting, or every packet in a new state */
	bool verbose;
};

static const struct defaults_attach defaults_attach = {
	.hooks = (1u << XTAP_HOOK_MAX) - 1,
};

#define F(x) offsetof(struct defaults_attach, x)
static const struct xtap_opt attach_opts[] = {
	{ "mode", 0, XTAP_OPT_STR, F(mode), "auto|native|generic",
	  .help = "XDP mode; auto: native, else generic" },
	{ "hooks", 0, XTAP_OPT_HOOKS, F(hooks), "xdp,tc-ingress,tc-egress",
	  .help = "where to attach (default: all three)" },
	{ "tc", 0, XTAP_OPT_STR, F(tc), "auto|tcx|clsact",
	  .help = "TC mechanism; auto: tcx where the kernel has it, else clsact" },
	{ "flows", 0, XTAP_OPT_U32, F(flows), "N", .min = 1, .max = XTAP_FLOWS_MAX,
	  .help = "flow table entries (a new state only)" },
	{ "hop-sample", 0, XTAP_OPT_POW2, F(hop_sample), "N", .min = 1,
	  .max = 1u << XTAP_HOP_SAMPLE_SHIFT_MAX, .help = "follow 1 packet in N between hops" },
	{ "sampling", 0, XTAP_OPT_U32, F(sampling), "N", .min = 1, .max = XTAP_SAMPLING_MAX,
	  .help = "account 1 packet in N to flows, as estimates (default 1: every packet)" },
	{ "verbose", 'v', XTAP_OPT_FLAG, F(verbose), NULL, .help = "libbpf's messages" },
	{ NULL },
};

#undef F

struct defaults_detach {
	bool all;
	bool verbose;
};

#define F(x) offsetof(struct defaults_detach, x)
static const struct xtap_opt detach_opts[] = {
	{ "all", 'a', XTAP_OPT_FLAG, F(all), NULL, .help = "every attached interface" },
	{ "verbose", 'v', XTAP_OPT_FLAG, F(verbose), NULL, .help = "libbpf's messages" },
	{ NULL },
};
#undef F

const struct xtap_cmd_spec xtap_spec_attach = {
	.name = "attach",
	.help = "attach to interfaces; all of them share one pinned flow table",
	.opts = attach_opts,
	.args = "IFACE...",
	.max_args = -1,
};

const struct xtap_cmd_spec xtap_spec_detach = {
	.name = "detach",
	.help = "remove exactly what attach added",
	.opts = detach_opts,
	.args = "IFACE...|--all",
	.max_args = -1,
};

int cmd_attach(int argc, char **argv)
{
	struct defaults_attach d = defaults_attach;
	char err[XTAP_ERRLEN] = "";
	struct xtap_attach_result res = { 0 };
	struct xtap_attach_opts o;
	struct xtap_parsed p;
	struct xtap_state st;
	int ret = xtap_opts_parse(&xtap_spec_attach, &d, argc, argv, &p), mode = 0, tc = 0;

	if (ret >= 0)
		return ret;
	ret = XTAP_EXIT_OK;
	if (d.mode && (mode = xtap_xdp_mode_parse(d.mode)) < 0) {
		xtap_err("attach: --mode %s: not one of auto, native, generic", d.mode);
		return XTAP_EXIT_USAGE;
	}
	if (d.tc && (tc = xtap_tc_mech_parse(d.tc)) < 0) {
		xtap_err("attach: --tc %s: not one of auto, tcx, clsact", d.tc);
		return XTAP_EXIT_USAGE;
	}
	if (!p.nargs) {
		xtap_err("attach: name at least one interface");
		return xtap_usage_of("attach");
	}
	o = (struct xtap_attach_opts){ .hooks = d.hooks, .xdp_mode = mode, .tc_mech = tc,
				       .flows_max = d.flows, .sampling = d.sampling };
	xtap_log_init(d.verbose);
	if (xtap_check_privileges("attach"))
		return XTAP_EXIT_ERR;
	if (xtap_state_open(&st, NULL, XTAP_STATE_CREATE, err, sizeof(err))) {
		xtap_err("attach: %s", err);
		return XTAP_EXIT_ERR;
	}
	res.each = calloc((size_t)(argc - p.first), sizeof(*res.each));
	if (!res.each) {
		xtap_err("attach: %s", strerror(ENOMEM));
		ret = XTAP_EXIT_ERR;
		goto cleanup;
	}
	if (xtap_attach_all(&st, argv + p.first, argc - p.first, &o, d.hop_sample, &res, err,
			    sizeof(err)))
		ret = XTAP_EXIT_ERR;
	for (int i = 0; i < res.done; i++) {
		const struct xtap_iface *e = &res.each[i].iface;
		char hooks[64];

		xtap_hooks_str(e->hooks, hooks, sizeof(hooks));
		if (res.each[i].already)
			printf("%s: already attached (%s); nothing changed\n", argv[p.first + i], hooks);
		else
			printf("%s: attached %s%s%s%s%s\n", argv[p.first + i], hooks,
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
	char err[XTAP_ERRLEN] = "";
	struct xtap_parsed p;
	struct xtap_state st;
	struct defaults_detach d = { 0 };
	int ret = xtap_opts_parse(&xtap_spec_detach, &d, argc, argv, &p);
	bool all = d.all;

	if (ret >= 0)
		return ret;
	ret = XTAP_EXIT_OK;
	if (all == (p.first < argc)) {
		xtap_err("detach: name interfaces or give --all, not both");
		return xtap_usage_of("detach");
	}
	xtap_log_init(d.verbose);
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
			xtap_err("detach %s: not attached", argv[p.first]);
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
	for (int i = p.first; i < argc; i++) {
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
