// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xtap capture: the packets the attached programs see, to a pcap or pcapng
 * file (user/capture.h runs the session). */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cmd.h"
#include "user/capture.h"
#include "user/filter.h"
#include "user/log.h"

struct defaults_capture {
	struct xtap_strlist ifaces;
	const char *file, *snaplen, *file_size;
	__u32 count, rotate_files, ring_kib, sample, sample_flows, hooks;
	bool pcapng, afxdp, verbose;
	char *expr;		/* the filter expression's words joined */
	struct sock_filter *classic;	/* expr compiled by libpcap */
};

#define F(x) offsetof(struct defaults_capture, x)
static const struct xtap_opt capture_opts[] = {
	{ "interface", 'i', XTAP_OPT_LIST, F(ifaces), "IFACE", .max = XTAP_MAX_SLOTS,
	  .help = "an interface (again for more); default: every one attached",
	  .bad = "more than 64 interfaces" },
	{ "write", 'w', XTAP_OPT_STR, F(file), "FILE", .help = "the file; '-' is stdout" },
	{ "count", 'c', XTAP_OPT_U32, F(count), "COUNT", .help = "stop after COUNT packets",
	  .min = 1, .max = UINT32_MAX, .bad = "not a positive count" },
	{ "snaplen", 's', XTAP_OPT_STR, F(snaplen), "SNAPLEN",
	  .help = "cap each packet at SNAPLEN bytes (0: whole, at most 262144)" },
	{ "buffer-size", 'B', XTAP_OPT_U32, F(ring_kib), "KiB",
	  .help = "each capture ring's size (a ring per CPU)", .min = XTAP_CAPTURE_RING_KIB_MIN,
	  .max = XTAP_CAPTURE_RING_KIB_MAX, .bad = "not a ring size in KiB (256 to 1048576)" },
	{ "file-size", 'C', XTAP_OPT_STR, F(file_size), "MB",
	  .help = "a new file (FILE1, FILE2...) once one is larger than MB millions of bytes" },
	{ "file-count", 'W', XTAP_OPT_U32, F(rotate_files), "FILES", .min = 1, .max = 1000000,
	  .help = "with -C: FILE0 .. FILE<FILES-1>, the oldest overwritten",
	  .bad = "not a number of files" },
	{ "pcapng", 0, XTAP_OPT_FLAG, F(pcapng), NULL,
	  .help = "pcapng: an interface per hook, a direction and a comment per packet" },
	{ "sample", 0, XTAP_OPT_U32, F(sample), "N", .help = "keep 1 packet in N at random",
	  .min = 1, .max = UINT32_MAX, .bad = "not a positive count" },
	{ "sample-flows", 0, XTAP_OPT_U32, F(sample_flows), "K", .min = 1, .max = UINT32_MAX,
	  .help = "keep the first K packets of each flow and every TCP SYN, FIN and RST",
	  .bad = "not a positive count" },
	{ "hook", 0, XTAP_OPT_HOOKS, F(hooks), "xdp|tc-ingress|tc-egress|all",
	  .help = "take packets there; default: each packet once per interface",
	  .bad = "not one of xdp, tc-ingress, tc-egress, all" },
	{ "afxdp", 0, XTAP_OPT_FLAG, F(afxdp), NULL,
	  .help = "through AF_XDP sockets: the frames DO NOT REACH THE STACK" },
	{ "verbose", 'v', XTAP_OPT_FLAG, F(verbose), NULL, .help = "libbpf's messages" },
	{ NULL },
};
#undef F
_Static_assert(XTAP_MAX_SLOTS == 64 && XTAP_SNAP_MAX == 262144 &&
	       XTAP_CAPTURE_RING_KIB_MIN == 256 && XTAP_CAPTURE_RING_KIB_MAX == 1048576,
	       "the numbers in capture's help and errors");

const struct xtap_cmd_spec xtap_spec_capture = {
	.name = "capture",
	.help = "write the packets the attached programs see to a pcap or pcapng file",
	.opts = capture_opts, .args = "[EXPR]", .max_args = -1,
	.details =
	"Without --hook each packet is taken once per interface: inbound at the first\n"
	"ingress hook, outbound at tc-egress. EXPR, in tcpdump's pcap-filter(7) language,\n"
	"runs in the kernel before the copy; up to 4 captures, each with its own filter,\n"
	"run at once. Packets are read from a ring per CPU (default 128 MiB each up to\n"
	"two CPUs, 256 MiB shared out above) and reach FILE in time order, about 0.2 s\n"
	"after they were seen. Stops after -c COUNT packets or on SIGINT/SIGTERM, then\n"
	"prints what was captured and lost.\n"
	"--afxdp -i IFACE: for a port that exists to be captured (a tap or SPAN port):\n"
	"the XDP program hands the sampled frames to AF_XDP sockets; they are written to\n"
	"FILE and do not reach the stack. IFACE must be attached with XDP; an EXPR is\n"
	"applied in user space.\n",
};
_Static_assert(XTAP_CAPTURES_MAX == 4, "the number in capture's help");

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void started(const struct xtap_capture_result *r, void *arg)
{
	const struct xtap_capture_opts *o = arg;
	char h[64];

	if (r->nsocks)
		fprintf(stderr, "xtap: listening on %s (AF_XDP, %d socket%s, %s), snapshot length "
			"%u bytes; frames taken do not reach the stack\n", r->names, r->nsocks,
			r->nsocks == 1 ? "" : "s", r->nzerocopy == r->nsocks ? "zero-copy" :
			r->nzerocopy ? "zero-copy on some queues" : "copy mode", o->snaplen);
	else
		fprintf(stderr, "xtap: listening on %s (%s), snapshot length %u bytes\n", r->names,
			o->hooks ? xtap_hooks_str(o->hooks, h, sizeof(h)) : "each packet once",
			o->snaplen);
}

/* The checks the table cannot make, and the filter; the session's options
 * into o. -1 to go on, else the exit code. */
static int check(struct defaults_capture *d, const struct xtap_parsed *p, char **argv,
		 struct xtap_capture_opts *o)
{
	char err[XTAP_FILTER_ERRLEN], *end;
	double mb = 0;

	o->snaplen = XTAP_SNAP_MAX;	/* tcpdump's -s 0: the whole frame */
	if (d->snaplen && strcmp(d->snaplen, "0") &&
	    !xtap_parse_u32(d->snaplen, UINT32_MAX, &o->snaplen))
		return xtap_err("capture: -s %s: not a length in bytes", d->snaplen), XTAP_EXIT_USAGE;
	if (o->snaplen > XTAP_SNAP_MAX)
		o->snaplen = XTAP_SNAP_MAX;
	if (d->file_size) {
		errno = 0;
		mb = strtod(d->file_size, &end);
		if (errno || *end || end == d->file_size || !(mb > 0) || mb > 1e9) {
			xtap_err("capture: -C %s: not a file size in millions of bytes", d->file_size);
			return XTAP_EXIT_USAGE;
		}
		o->rotate_bytes = (__u64)(mb * 1e6) ? (__u64)(mb * 1e6) : 1;
	}
	if (p->nargs && !(d->expr = xtap_filter_join(p->nargs, argv + p->first)))
		return xtap_err("capture: out of memory"), XTAP_EXIT_ERR;
	if (d->expr && !d->afxdp &&
	    xtap_filter_classic_mask(d->expr, XTAP_FILTER_SNAP,
				     xtap_filter_netmask(d->ifaces.n ? d->ifaces.v[0] : NULL),
				     &d->classic, &o->filter_len, err, sizeof(err)))
		return xtap_err("capture: filter '%s': %s", d->expr, err), XTAP_EXIT_USAGE;
	if (d->sample_flows && d->sample > 1)
		xtap_err("capture: --sample and --sample-flows do not go together");
	else if (!d->file)
		return xtap_err("capture: -w FILE is required ('-w -' writes to stdout)"),
		       xtap_usage_of("capture");
	else if (d->rotate_files && !o->rotate_bytes)
		xtap_err("capture: -W goes with -C");
	else if (o->rotate_bytes && !strcmp(d->file, "-"))
		xtap_err("capture: -C: stdout cannot be rotated");
	else
		return -1;
	return XTAP_EXIT_USAGE;
}

int cmd_capture(int argc, char **argv)
{
	struct defaults_capture d = { .sample = 1 };
	struct xtap_capture_opts o = { .started = started, .arg = &o };
	struct sigaction sa = { .sa_handler = on_stop };
	char err[XTAP_FILTER_ERRLEN] = "";
	struct xtap_capture_result r;
	struct xtap_parsed p;
	const char *why;
	int rc = xtap_opts_parse(&xtap_spec_capture, &d, argc, argv, &p);

	if (rc >= 0 || (rc = check(&d, &p, argv, &o)) >= 0)
		goto out;
	xtap_log_init(d.verbose);
	rc = XTAP_EXIT_ERR;
	if (xtap_check_privileges("capture"))
		goto out;
	o.ifaces = d.ifaces.v, o.nifaces = d.ifaces.n, o.file = d.file, o.count = d.count;
	o.pcapng = d.pcapng, o.sample = d.sample, o.sample_flows = d.sample_flows;
	o.hooks = d.hooks, o.rotate_files = d.rotate_files, o.ring_kib = d.ring_kib;
	o.filter = d.classic, o.expr = d.afxdp ? d.expr : NULL;
	if (d.afxdp && (why = xtap_capture_afxdp_refused(&o))) {
		xtap_err("capture: %s", why);
		rc = XTAP_EXIT_USAGE;
		goto out;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((d.afxdp ? xtap_capture_afxdp_run : xtap_capture_run)(&o, &r, &stop_requested, err,
								   sizeof(err))) {
		xtap_err("capture: %s", err);
		goto out;
	}
	if (r.err)
		xtap_err("capture: %s: %s", r.file, strerror(-r.err));
	fprintf(stderr, "%llu packets captured\n%llu packets dropped by kernel (%s)\n"
		"%llu packets not written\n", (unsigned long long)r.written,
		(unsigned long long)r.dropped, d.afxdp ? "AF_XDP socket full" : "capture ring full",
		(unsigned long long)r.unwritten);
	if (o.expr)
		fprintf(stderr, "%llu packets rejected by the filter\n",
			(unsigned long long)r.filtered);
	rc = r.err ? XTAP_EXIT_ERR : XTAP_EXIT_OK;
out:
	free(d.classic);
	free(d.expr);
	return rc;
}
