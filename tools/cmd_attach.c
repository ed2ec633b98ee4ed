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
#include "user/tunnel.h"

struct defaults_attach {
	__u32 hooks;
	const char *mode;	/* auto, native, generic */
	const char *tc;		/* auto, tcx, clsact */
	__u32 flows;		/* 0: the pinned table's size, else XTAP_FLOWS_DEFAULT */
	__u32 hop_sample;	/* 0: the state's setting, or the default in a new state */
	__u32 sampling;		/* 0: the state's setting, or every packet in a new state */
	const char *vxlan_ports;	/* NULL: with geneve_ports and no_decap, the state's */
	const char *geneve_ports;
	bool no_decap;
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
	{ "vxlan-ports", 0, XTAP_OPT_STR, F(vxlan_ports), "PORT,...",
	  .help = "UDP ports of VXLAN, up to 4 (default 4789,8472); 0: none" },
	{ "geneve-ports", 0, XTAP_OPT_STR, F(geneve_ports), "PORT,...",
	  .help = "UDP ports of Geneve, up to 4 (default 6081); 0: none" },
	{ "no-decap", 0, XTAP_OPT_FLAG, F(no_decap), NULL,
	  .help = "count tunnel packets as their outer flow: VXLAN, Geneve, GRE, IP in IP" },
	{ "verbose", 'v', XTAP_OPT_FLAG, F(verbose), NULL, .help = "libbpf's messages" },
	{ NULL },
};

#undef F

/* --vxlan-ports, --geneve-ports and --no-decap into tun; 0 when none was
 * given (the state keeps its setting), 1 when tun holds one, -1 after a
 * one-line error. A list given alone keeps the other's standard ports. */
static int tunnel_opts(const struct defaults_attach *d, struct xtap_tun_cfg *tun)
{
	static const struct { const char *opt; size_t at; __u16 def[2]; } lists[] = {
		{ "vxlan-ports", offsetof(struct defaults_attach, vxlan_ports),
		  { XTAP_VXLAN_PORT, XTAP_VXLAN_LINUX_PORT } },
		{ "geneve-ports", offsetof(struct defaults_attach, geneve_ports),
		  { XTAP_GENEVE_PORT, 0 } },
	};

	if (!d->vxlan_ports && !d->geneve_ports && !d->no_decap)
		return 0;
	*tun = (struct xtap_tun_cfg){ .flags = XTAP_TUN_CFG_SET };
	if (d->no_decap)
		tun->flags |= XTAP_TUN_CFG_OFF;
	for (size_t i = 0; i < 2; i++) {
		const char *s = *(const char *const *)((const char *)d + lists[i].at);
		__u16 *out = i ? tun->geneve : tun->vxlan;

		if (!s) {
			out[0] = lists[i].def[0];
			out[1] = lists[i].def[1];
		} else if (strcmp(s, "0") && xtap_tun_ports_parse(s, out)) {
			xtap_err("attach: --%s %s: not a list of up to %d UDP ports", lists[i].opt, s,
				 XTAP_TUN_PORTS);
			return -1;
		}
	}
	return 1;
}

struct defaults_detach {
	bool all;
	bool stale;
	bool verbose;
};

#define F(x) offsetof(struct defaults_detach, x)
static const struct xtap_opt detach_opts[] = {
	{ "all", 'a', XTAP_OPT_FLAG, F(all), NULL, .help = "every attached interface" },
	{ "stale", 0, XTAP_OPT_FLAG, F(stale), NULL,
	  .help = "the interfaces whose interface or namespace was deleted" },
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
	.args = "IFACE...|--all|--stale",
	.max_args = -1,
};

int cmd_attach(int argc, char **argv)
{
	struct defaults_attach d = defaults_attach;
	char err[XTAP_ERRLEN] = "";
	struct xtap_attach_result res = { 0 };
	struct xtap_attach_opts o;
	struct xtap_tun_cfg tun;
	struct xtap_parsed p;
	int tun_given;
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
	tun_given = tunnel_opts(&d, &tun);
	if (tun_given < 0)
		return XTAP_EXIT_USAGE;
	o = (struct xtap_attach_opts){ .hooks = d.hooks, .xdp_mode = mode, .tc_mech = tc,
				       .flows_max = d.flows, .sampling = d.sampling,
				       .tunnels = tun_given ? &tun : NULL };
	xtap_log_init(d.verbose);
	if (xtap_check_privileges("attach"))
		return XTAP_EXIT_ERR;
	res.each = calloc((size_t)p.nargs, sizeof(*res.each));
	if (!res.each) {
		xtap_err("attach: out of memory");
		return XTAP_EXIT_ERR;
	}
	if (xtap_attach_names(argv + p.first, p.nargs, &o, d.hop_sample, &res, err, sizeof(err)))
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
	free(res.each);
	return ret;
}

int cmd_detach(int argc, char **argv)
{
	char err[XTAP_ERRLEN] = "";
	struct xtap_detach_report *r;
	struct xtap_parsed p;
	struct defaults_detach d = { 0 };
	int ret = xtap_opts_parse(&xtap_spec_detach, &d, argc, argv, &p), n;

	if (ret >= 0)
		return ret;
	if (d.all + d.stale + !!p.nargs != 1) {
		xtap_err(p.nargs || d.all + d.stale > 1 ?
			 "detach: name interfaces, or give --all or --stale: one of the three" :
			 "detach: name the interfaces to detach, or give --all or --stale");
		return xtap_usage_of("detach");
	}
	xtap_log_init(d.verbose);
	if (xtap_check_privileges("detach"))
		return XTAP_EXIT_ERR;
	r = calloc((size_t)p.nargs + XTAP_MAX_SLOTS, sizeof(*r));
	if (!r) {
		xtap_err("detach: out of memory");
		return XTAP_EXIT_ERR;
	}
	n = xtap_detach_names(d.all ? XTAP_DETACH_ALL : d.stale ? XTAP_DETACH_STALE :
			      XTAP_DETACH_NAMES, argv + p.first, p.nargs, r, err, sizeof(err));
	if (n < 0)
		xtap_err("detach: %s", err);
	ret = XTAP_EXIT_OK;
	for (int i = 0; i < n; i++) {
		if (r[i].err == -ENOENT)
			xtap_err("detach %s", r[i].why);
		else if (r[i].err)
			xtap_err("detach %s: %s", r[i].name, r[i].why);
		else
			printf("%s: detached%s\n", r[i].name,
			       !d.all && i >= p.nargs && r[i].stale ? " (its interface was gone)" : "");
		if (r[i].err)
			ret = XTAP_EXIT_ERR;
	}
	free(r);
	return n < 0 ? XTAP_EXIT_ERR : ret;
}
