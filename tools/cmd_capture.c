// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xtap capture: the packets the attached programs see, to a pcap or pcapng
 * file (user/capture.h runs the session). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cmd.h"
#include "user/capture.h"
#include "user/cgroup.h"
#include "user/filter.h"
#include "user/log.h"

struct defaults_capture {
	struct xtap_strlist ifaces;
	const char *snaplen, *file_size, *cgroup;
	bool verbose;
	struct xtap_capture_opts o;	/* what the table sets directly */
};

#define F(x) offsetof(struct defaults_capture, x)
#define O(x) offsetof(struct defaults_capture, o.x)
static const struct xtap_opt capture_opts[] = {
	{ "interface", 'i', XTAP_OPT_LIST, F(ifaces), "IFACE", .max = XTAP_MAX_SLOTS,
	  .help = "an interface (again for more); default: every one attached",
	  .bad = "more than 64 interfaces" },
	{ "write", 'w', XTAP_OPT_STR, O(file), "FILE", .help = "the file; '-' is stdout" },
	{ "count", 'c', XTAP_OPT_U32, O(count), "COUNT", .help = "stop after COUNT packets",
	  .min = 1, .max = UINT32_MAX, .bad = "not a positive count" },
	{ "snaplen", 's', XTAP_OPT_STR, F(snaplen), "SNAPLEN",
	  .help = "cap each packet at SNAPLEN bytes (0: whole, at most 262144)" },
	{ "buffer-size", 'B', XTAP_OPT_U32, O(ring_kib), "KiB",
	  .help = "each capture ring's size (a ring per CPU)", .min = XTAP_CAPTURE_RING_KIB_MIN,
	  .max = XTAP_CAPTURE_RING_KIB_MAX, .bad = "not a ring size in KiB (256 to 1048576)" },
	{ "file-size", 'C', XTAP_OPT_STR, F(file_size), "MB",
	  .help = "a new file (FILE1, FILE2...) once one is larger than MB millions of bytes" },
	{ "file-count", 'W', XTAP_OPT_U32, O(rotate_files), "FILES", .min = 1, .max = 1000000,
	  .help = "with -C: FILE0 .. FILE<FILES-1>, the oldest overwritten",
	  .bad = "not a number of files" },
	{ "pcapng", 0, XTAP_OPT_FLAG, O(pcapng), NULL,
	  .help = "pcapng: an interface per hook, a direction and a comment per packet" },
	{ "sample", 0, XTAP_OPT_U32, O(sample), "N", .help = "keep 1 packet in N at random",
	  .min = 1, .max = UINT32_MAX, .bad = "not a positive count" },
	{ "sample-flows", 0, XTAP_OPT_U32, O(sample_flows), "K", .min = 1, .max = UINT32_MAX,
	  .help = "keep the first K packets of each flow and every TCP SYN, FIN and RST",
	  .bad = "not a positive count" },
	{ "hook", 0, XTAP_OPT_HOOKS, O(hooks), "xdp|tc-ingress|tc-egress|all",
	  .help = "take packets there; default: each packet once per interface",
	  .bad = "not one of xdp, tc-ingress, tc-egress, all" },
	{ "cgroup", 0, XTAP_OPT_STR, F(cgroup), "PATH",
	  .help = "only the packets of flows of this local cgroup v2 (decided in the kernel)" },
	{ "afxdp", 0, XTAP_OPT_FLAG, O(afxdp), NULL,
	  .help = "through AF_XDP sockets: the frames DO NOT REACH THE STACK" },
	{ "verbose", 'v', XTAP_OPT_FLAG, F(verbose), NULL, .help = "libbpf's messages" },
	{ NULL },
};
#undef F
#undef O
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

static void started(const struct xtap_capture_result *r, void *arg)
{
	const struct xtap_capture_opts *o = arg;
	char h[64];

	if (r->nsocks)
		fprintf(stderr, "xtap: listening on %s (AF_XDP, %d socket%s, %s), snapshot length "
			"%u bytes; frames taken do not reach the stack\n", r->names, r->nsocks,
			r->nsocks == 1 ? "" : "s", r->nzerocopy == r->nsocks ? "zero-copy" :
			r->nzerocopy ? "zero-copy on some queues" : "copy mode", r->snaplen);
	else
		fprintf(stderr, "xtap: listening on %s (%s), snapshot length %u bytes\n", r->names,
			o->hooks ? xtap_hooks_str(o->hooks, h, sizeof(h)) : "each packet once",
			r->snaplen);
}

/* The arguments the table cannot parse (-s, -C, the expression) into d->o;
 * -1 to go on, else the exit code. */
static int parse_rest(struct defaults_capture *d, const struct xtap_parsed *p, char **argv,
		      char **expr)
{
	struct xtap_capture_opts *o = &d->o;
	char err[XTAP_FILTER_ERRLEN], *end;
	double mb;

	if (d->snaplen && strcmp(d->snaplen, "0") &&
	    !xtap_parse_u32(d->snaplen, UINT32_MAX, &o->snaplen))
		return xtap_err("capture: -s %s: not a length in bytes", d->snaplen), XTAP_EXIT_USAGE;
	if (d->file_size) {
		errno = 0;
		mb = strtod(d->file_size, &end);
		if (errno || *end || end == d->file_size || !(mb > 0) || mb > 1e9) {
			xtap_err("capture: -C %s: not a file size in millions of bytes", d->file_size);
			return XTAP_EXIT_USAGE;
		}
		o->rotate_bytes = (__u64)(mb * 1e6) ? (__u64)(mb * 1e6) : 1;
	}
	if (p->nargs && !(*expr = xtap_filter_join(p->nargs, argv + p->first)))
		return xtap_err("capture: out of memory"), XTAP_EXIT_ERR;
	o->expr = *expr;
	o->ifaces = d->ifaces.v, o->nifaces = d->ifaces.n;
	if (d->cgroup) {
		if (xtap_cgroup_opt("capture", d->cgroup, &o->cgroup_id))
			return XTAP_EXIT_ERR;
		o->cgroup_path = xtap_cgroup_path(o->cgroup_id) ?: d->cgroup;
	}
	if (!o->file)
		return xtap_err("capture: -w FILE is required ('-w -' writes to stdout)"),
		       xtap_usage_of("capture");
	if (xtap_capture_check(o, err, sizeof(err)))
		return xtap_err("capture: %s", err), XTAP_EXIT_USAGE;
	return -1;
}

int cmd_capture(int argc, char **argv)
{
	struct defaults_capture d = { .o = { .sample = 1, .started = started, .arg = &d.o } };
	char err[XTAP_FILTER_ERRLEN] = "", *expr = NULL;
	struct xtap_capture_result r;
	struct xtap_parsed p;
	int rc = xtap_opts_parse(&xtap_spec_capture, &d, argc, argv, &p);

	if (rc >= 0 || (rc = parse_rest(&d, &p, argv, &expr)) >= 0)
		goto out;
	xtap_log_init(d.verbose);
	rc = XTAP_EXIT_ERR;
	if (xtap_check_privileges("capture"))
		goto out;
	if (xtap_capture_run(&d.o, &r, xtap_capture_stop_on_signals(), err, sizeof(err))) {
		xtap_err("capture: %s", err);
		goto out;
	}
	if (r.err)
		xtap_err("capture: %s: %s", r.file, strerror(-r.err));
	fprintf(stderr, "%llu packets captured\n%llu packets dropped by kernel (%s)\n"
		"%llu packets not written\n", (unsigned long long)r.written,
		(unsigned long long)r.dropped, d.o.afxdp ? "AF_XDP socket full" : "capture ring full",
		(unsigned long long)r.unwritten);
	if (d.o.afxdp && expr)
		fprintf(stderr, "%llu packets rejected by the filter\n",
			(unsigned long long)r.filtered);
	if (r.gone[0])
		xtap_err("capture: %s", r.gone);
	rc = r.err || r.gone[0] ? XTAP_EXIT_ERR : XTAP_EXIT_OK;
out:
	free(expr);
	return rc;
}
