// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xtap extcap: xtap as capture interfaces of Wireshark and tshark. Installed
 * in Wireshark's extcap folder as xtap-extcap (the same program: main runs
 * this command under that name). Wireshark asks, in this order:
 *
 *   --extcap-interfaces             "xtap" (every attached interface) and
 *                                   "xtap-IFACE" for each attached one here
 *   --extcap-dlts / --extcap-config the link type; the options dialog
 *   --extcap-capture-filter EXPR    (without --capture) whether EXPR can run:
 *                                   nothing on stdout, or why not in one line
 *   --capture --fifo FIFO           the capture (user/capture.h) into FIFO
 *
 * Wireshark shows whatever a capture writes to stderr as an error, so a
 * capture that ran says nothing; one that could not start says why in one
 * line and exits 1. The capture ends when Wireshark stops it (SIGTERM) or
 * closes the fifo (EPIPE), which is no error.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/state.h"
#include "tools/cmd.h"
#include "user/capture.h"
#include "user/log.h"

/* "xtap": every attached interface; "xtap-IFACE": one */
#define ALL "xtap"
#define PREFIX "xtap-"

static const char *const hook_names[] = { "auto", "xdp", "tc-ingress", "tc-egress", "all", NULL };

struct defaults_extcap {
	bool interfaces, dlts, config, capture, debug, metadata, postkill;
	const char *version, *iface, *cfilter, *fifo, *debug_file, *filter, *ctl_in, *ctl_out;
	__u32 snaplen, sample, sample_flows;
	int hook;		/* index in hook_names */
};

#define F(x) offsetof(struct defaults_extcap, x)
static const struct xtap_opt extcap_opts[] = {
	{ "extcap-interfaces", 0, XTAP_OPT_FLAG, F(interfaces), NULL,
	  .help = "list the interfaces" },
	{ "extcap-version", 0, XTAP_OPT_STR, F(version), "VERSION",
	  .help = "Wireshark's version (given with --extcap-interfaces)" },
	{ "extcap-interface", 0, XTAP_OPT_STR, F(iface), "IFACE",
	  .help = "the interface: " ALL " (every attached one) or " PREFIX "IFACE" },
	{ "extcap-dlts", 0, XTAP_OPT_FLAG, F(dlts), NULL, .help = "the interface's link type" },
	{ "extcap-config", 0, XTAP_OPT_FLAG, F(config), NULL,
	  .help = "the options of the capture dialog" },
	{ "extcap-capture-filter", 0, XTAP_OPT_STR, F(cfilter), "EXPR",
	  .help = "the capture filter; without --capture: check it" },
	{ "capture", 0, XTAP_OPT_FLAG, F(capture), NULL, .help = "capture into --fifo" },
	{ "fifo", 0, XTAP_OPT_STR, F(fifo), "FIFO", .help = "the fifo Wireshark reads" },
	{ "extcap-cleanup-postkill", 0, XTAP_OPT_FLAG, F(postkill), NULL,
	  .help = "after Wireshark killed a capture: nothing to do (the next capture takes its "
		  "id back)" },
	{ "extcap-control-in", 0, XTAP_OPT_STR, F(ctl_in), "PIPE", .help = "(not used: no toolbar)" },
	{ "extcap-control-out", 0, XTAP_OPT_STR, F(ctl_out), "PIPE",
	  .help = "(not used: no toolbar)" },
	{ "debug", 0, XTAP_OPT_FLAG, F(debug), NULL, .help = "libbpf's messages" },
	{ "debug-file", 0, XTAP_OPT_STR, F(debug_file), "FILE", .help = "(not used)" },
	/* the options dialog (config below) */
	{ "filter", 0, XTAP_OPT_STR, F(filter), "EXPR",
	  .help = "a filter joined to the capture filter with 'and'" },
	{ "snaplen", 0, XTAP_OPT_U32, F(snaplen), "SNAPLEN", .min = 1, .max = XTAP_SNAP_MAX,
	  .help = "cap each packet at SNAPLEN bytes", .bad = "not a length from 1 to 262144" },
	{ "sample", 0, XTAP_OPT_U32, F(sample), "N", .min = 1, .max = UINT32_MAX,
	  .help = "keep 1 packet in N at random", .bad = "not a positive count" },
	{ "sample-flows", 0, XTAP_OPT_U32, F(sample_flows), "K", .min = 1, .max = UINT32_MAX,
	  .help = "keep the first K packets of each flow and every TCP SYN, FIN and RST",
	  .bad = "not a positive count" },
	{ "hook", 0, XTAP_OPT_ENUM, F(hook), NULL, .names = hook_names,
	  .help = "take packets there; auto: each packet once per interface" },
	{ "metadata", 0, XTAP_OPT_FLAG, F(metadata), NULL,
	  .help = "pcapng: an interface per hook, a comment per packet; without: pcap" },
	{ NULL },
};
#undef F
_Static_assert(XTAP_SNAP_MAX == 262144, "the number in extcap's errors and dialog");

const struct xtap_cmd_spec xtap_spec_extcap = {
	.name = "extcap",
	.help = "xtap as capture interfaces of Wireshark and tshark (installed as xtap-extcap)",
	.opts = extcap_opts,
	.details =
	"Wireshark runs this program from its extcap folder ('make install-extcap' puts it\n"
	"there as xtap-extcap). Interface " ALL " captures on every attached interface,\n"
	PREFIX "IFACE on one; the capture filter runs in the kernel as with xtap capture.\n",
};

/* The options dialog: one sentence per option, then the values of the
 * selector. Wireshark passes an option whose value is set, and a boolflag
 * that is on. */
static void config(void)
{
	printf("arg {number=0}{call=--filter}{display=Kernel filter}{type=string}"
	       "{tooltip=A pcap-filter(7) expression run in the kernel, joined to the capture "
	       "filter with 'and'}{group=Capture}\n"
	       "arg {number=1}{call=--snaplen}{display=Snapshot length}{type=unsigned}"
	       "{default=%u}{range=1,%u}{tooltip=Bytes kept of each packet}{group=Capture}\n"
	       "arg {number=2}{call=--sample}{display=Sample 1 in N}{type=unsigned}{default=1}"
	       "{range=1,%u}{tooltip=Keep 1 packet in N at random}{group=Sampling}\n"
	       "arg {number=3}{call=--sample-flows}{display=First K packets per flow}"
	       "{type=unsigned}{range=1,%u}{tooltip=Keep the first K packets of each flow and "
	       "every TCP SYN, FIN and RST; empty: every packet. Not with Sample 1 in N}"
	       "{group=Sampling}\n"
	       "arg {number=4}{call=--hook}{display=Hook}{type=selector}"
	       "{tooltip=Where packets are taken}{group=Capture}\n"
	       "arg {number=5}{call=--metadata}{display=pcapng metadata}{type=boolflag}"
	       "{default=true}{tooltip=An interface per hook (IFACE@xdp...), a direction and a "
	       "comment naming the hook and the flow per packet; off: plain pcap}"
	       "{group=Capture}\n",
	       XTAP_SNAP_MAX, XTAP_SNAP_MAX, UINT32_MAX, UINT32_MAX);
	printf("value {arg=4}{value=auto}{display=each packet once: inbound at the first "
	       "ingress hook, outbound at tc-egress}{default=true}\n"
	       "value {arg=4}{value=xdp}{display=xdp}{default=false}\n"
	       "value {arg=4}{value=tc-ingress}{display=tc-ingress}{default=false}\n"
	       "value {arg=4}{value=tc-egress}{display=tc-egress}{default=false}\n"
	       "value {arg=4}{value=all}{display=every hook}{default=false}\n");
}

/* The version Wireshark shows for the program: xtap's, with its ABI. */
static void version(void)
{
	printf("extcap {version=%s (ABI %u)}\n", XTAP_VERSION, XTAP_ABI_VERSION);
}

/* A name Wireshark's sentences carry as they are. */
static bool plain(const char *s)
{
	return !strpbrk(s, "{}\\");
}

/* The interfaces: "xtap" always (a capture explains what is missing), and
 * one per attachment this network namespace can name. */
static void interfaces(void)
{
	struct xtap_state st = { .reg_fd = -1, .lock_fd = -1 };
	char err[XTAP_ERRLEN];
	struct xtap_iface e;

	version();
	printf("interface {value=" ALL "}{display=xtap: every attached interface}\n");
	if (xtap_state_open(&st, NULL, 0, err, sizeof(err)))
		return;
	for (__u32 s = 0; st.reg_fd >= 0 && s < XTAP_MAX_SLOTS; s++)
		if (!xtap_iface_get(&st, s, &e) && plain(e.name) &&
		    xtap_find_slot(&st, e.name) == (int)s)
			printf("interface {value=" PREFIX "%s}{display=xtap: %s}\n", e.name, e.name);
	xtap_state_close(&st);
}

/* The filter: the capture filter and the dialog's, joined. malloc'd. */
static char *joined_filter(const struct defaults_extcap *d)
{
	const char *a = d->cfilter && *d->cfilter ? d->cfilter : NULL;
	const char *b = d->filter && *d->filter ? d->filter : NULL;
	size_t len;
	char *s;

	if (!a || !b)
		return strdup(a ? a : b ? b : "");
	len = strlen(a) + strlen(b) + sizeof("() and ()");
	s = malloc(len);
	if (s)
		snprintf(s, len, "(%s) and (%s)", a, b);
	return s;
}

static int capture(const struct defaults_extcap *d)
{
	struct xtap_capture_opts o = {
		.file = d->fifo, .snaplen = d->snaplen, .pcapng = d->metadata, .sample = d->sample,
		.sample_flows = d->sample_flows,
		.hooks = d->hook == 0 ? 0 : d->hook == 4 ? (1u << XTAP_HOOK_MAX) - 1 :
			 1u << (d->hook - 1),
	};
	char err[XTAP_FILTER_ERRLEN], *expr = NULL;
	const char *name = d->iface;
	const volatile sig_atomic_t *stop;
	struct xtap_capture_result r;
	int rc = XTAP_EXIT_USAGE;

	_Static_assert(XTAP_HOOK_XDP == 0 && XTAP_HOOK_TC_INGRESS == 1 &&
		       XTAP_HOOK_TC_EGRESS == 2 && XTAP_HOOK_MAX == 3, "hook_names");
	if (!d->fifo || !d->iface) {
		xtap_err("extcap: --capture needs --fifo FIFO and --extcap-interface IFACE");
		return rc;
	}
	if (!strncmp(name, PREFIX, strlen(PREFIX)) && name[strlen(PREFIX)]) {
		name += strlen(PREFIX);
		o.ifaces = &name;
		o.nifaces = 1;
	} else if (strcmp(name, ALL)) {
		xtap_err("extcap: %s: not an xtap interface (" ALL " or " PREFIX "IFACE)", name);
		return rc;
	}
	if (!(expr = joined_filter(d))) {
		xtap_err("extcap: out of memory");
		return XTAP_EXIT_ERR;
	}
	o.expr = expr;
	if (xtap_capture_check(&o, err, sizeof(err))) {
		xtap_err("extcap: %s", err);
		goto out;
	}
	rc = XTAP_EXIT_ERR;
	if (xtap_check_privileges("extcap"))
		goto out;
	stop = xtap_capture_stop_on_signals();
	if (xtap_capture_run(&o, &r, stop, err, sizeof(err))) {
		/* stopped while it waited for the fifo's reader: no error */
		if (*stop)
			rc = XTAP_EXIT_OK;
		else
			xtap_err("extcap: %s", err);
		goto out;
	}
	/* Wireshark closing the fifo is how a capture may end */
	if (r.err && r.err != -EPIPE)
		xtap_err("extcap: %s: %s", r.file, strerror(-r.err));
	rc = r.err && r.err != -EPIPE ? XTAP_EXIT_ERR : XTAP_EXIT_OK;
out:
	free(expr);
	return rc;
}

/* Wireshark's question "can this capture filter run?": the answer is on
 * stdout, nothing when it can, else why not in one line; the exit code is
 * 0 either way (Wireshark ignores the output of a failed run). */
static int check_filter(const struct defaults_extcap *d)
{
	struct xtap_capture_opts o = { .file = "-", .expr = d->cfilter };
	char err[XTAP_FILTER_ERRLEN];

	if (xtap_capture_check(&o, err, sizeof(err)))
		printf("%s\n", err);
	return XTAP_EXIT_OK;
}

int cmd_extcap(int argc, char **argv)
{
	struct defaults_extcap d = { .snaplen = XTAP_SNAP_MAX, .sample = 1 };
	char *args[argc + 1];
	struct xtap_parsed p;
	int rc;

	/* --extcap-version may come without its value */
	for (int i = 0; i < argc; i++)
		args[i] = strcmp(argv[i], "--extcap-version") ? argv[i] : "--extcap-version=";
	args[argc] = NULL;
	rc = xtap_opts_parse(&xtap_spec_extcap, &d, argc, args, &p);
	if (rc >= 0)
		return rc;
	xtap_log_init(d.debug);
	if (d.interfaces) {
		interfaces();
	} else if (d.dlts) {
		printf("dlt {number=1}{name=EN10MB}{display=Ethernet}\n");
	} else if (d.config) {
		config();
	} else if (d.capture) {
		return capture(&d);
	} else if (d.cfilter) {
		return check_filter(&d);
	} else if (d.version) {
		version();
	} else if (!d.postkill) {
		xtap_err("extcap: one of --extcap-interfaces, --extcap-dlts, --extcap-config, "
			 "--capture or --extcap-capture-filter is expected");
		return xtap_usage_of("extcap");
	}
	return XTAP_EXIT_OK;
}
