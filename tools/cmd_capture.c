// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xtap capture: the attached programs copy packets into the capture ring;
 * this writes them to a pcap or pcapng file. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/attach.h"
#include "loader/loader.h"
#include "tools/cmd.h"
#include "tools/cmd_afxdp.h"
#include "user/capture.h"
#include "user/log.h"
#include "user/maps.h"
#include "user/names.h"
#include "user/opts.h"
#include "user/pcapw.h"

#define MAX_IFACES XTAP_MAX_SLOTS

struct defaults_capture {
	const char *ifaces[MAX_IFACES];
	int nifaces;
	const char *file;
	__u32 count;		/* 0: until interrupted */
	__u32 snaplen;
	bool pcapng;
	__u32 sample;
	__u32 sample_flows;	/* first K packets of each flow */
	__u32 hooks;		/* 0: each packet once per interface */
	__u64 rotate_bytes;	/* -C, in bytes */
	__u32 rotate_files;	/* -W */
	bool verbose;
	bool afxdp;		/* --afxdp: tools/cmd_afxdp.c */
};

static const struct defaults_capture defaults_capture = {
	.snaplen = XTAP_SNAP_MAX,
	.sample = 1,
};

static const struct option capture_opts[] = {
	{ "interface", required_argument, NULL, 'i' },
	{ "write", required_argument, NULL, 'w' },
	{ "count", required_argument, NULL, 'c' },
	{ "file-size", required_argument, NULL, 'C' },
	{ "file-count", required_argument, NULL, 'W' },
	{ "snaplen", required_argument, NULL, 's' },
	{ "pcapng", no_argument, NULL, 'P' },
	{ "sample", required_argument, NULL, 'S' },
	{ "sample-flows", required_argument, NULL, 'K' },
	{ "hook", required_argument, NULL, 'H' },
	{ "afxdp", no_argument, NULL, 'X' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int discard(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	return 0;
}

/* Records a capture that ended abruptly left in the ring. */
static void ring_discard(int ring_fd)
{
	struct ring_buffer *rb = ring_buffer__new(ring_fd, discard, NULL, NULL);

	if (rb) {
		ring_buffer__consume(rb);
		ring_buffer__free(rb);
	}
}

/* Ring-full drops at the points of the selected slots, summed. */
static __u64 ring_drops(int stats_fd, __u64 slots)
{
	struct xtap_stats s;
	__u64 n = 0;

	for (__u32 slot = 0; slot < XTAP_MAX_SLOTS; slot++) {
		if (!(slots & (1ull << slot)))
			continue;
		for (__u32 h = 0; h < XTAP_HOOK_MAX; h++)
			if (!xtap_stats_read(stats_fd, XTAP_POINT(slot, h), &s))
				n += s.c[XTAP_STAT_CAPTURE_DROP];
	}
	return n;
}

static int parse_args(int argc, char **argv, struct defaults_capture *d)
{
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:w:c:s:C:W:vh", capture_opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (d->nifaces == MAX_IFACES) {
				xtap_err("capture: -i: more than %d interfaces", MAX_IFACES);
				return XTAP_EXIT_USAGE;
			}
			d->ifaces[d->nifaces++] = optarg;
			break;
		case 'w': d->file = optarg; break;
		case 'c':
			if (!xtap_parse_u32(optarg, UINT32_MAX, &d->count)) {
				xtap_err("capture: -c %s: not a positive count", optarg);
				return XTAP_EXIT_USAGE;
			}
			break;
		case 's':
			/* tcpdump's -s 0: the whole frame */
			if (!strcmp(optarg, "0")) {
				d->snaplen = XTAP_SNAP_MAX;
			} else if (!xtap_parse_u32(optarg, UINT32_MAX, &d->snaplen)) {
				xtap_err("capture: -s %s: not a length in bytes", optarg);
				return XTAP_EXIT_USAGE;
			}
			if (d->snaplen > XTAP_SNAP_MAX)
				d->snaplen = XTAP_SNAP_MAX;
			break;
		case 'C': {
			char *end;
			double mb;

			errno = 0;
			mb = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(mb > 0) || mb > 1e9) {
				xtap_err("capture: -C %s: not a file size in millions of bytes", optarg);
				return XTAP_EXIT_USAGE;
			}
			d->rotate_bytes = (__u64)(mb * 1e6);
			if (!d->rotate_bytes)
				d->rotate_bytes = 1;
			break;
		}
		case 'W':
			if (!xtap_parse_u32(optarg, 1000000, &d->rotate_files)) {
				xtap_err("capture: -W %s: not a number of files", optarg);
				return XTAP_EXIT_USAGE;
			}
			break;
		case 'P': d->pcapng = true; break;
		case 'S':
			if (!xtap_parse_u32(optarg, UINT32_MAX, &d->sample)) {
				xtap_err("capture: --sample %s: not a positive count", optarg);
				return XTAP_EXIT_USAGE;
			}
			break;
		case 'K':
			if (!xtap_parse_u32(optarg, UINT32_MAX, &d->sample_flows)) {
				xtap_err("capture: --sample-flows %s: not a positive count", optarg);
				return XTAP_EXIT_USAGE;
			}
			break;
		case 'H':
			if (!xtap_parse_hooks(optarg, &d->hooks)) {
				xtap_err("capture: --hook %s: not one of xdp, tc-ingress, tc-egress, all",
					 optarg);
				return XTAP_EXIT_USAGE;
			}
			break;
		case 'v': d->verbose = true; break;
		case 'X': d->afxdp = true; break;
		case 'h':
			xtap_usage_of("capture");
			fprintf(stderr,
				"\nWrites the packets the attached programs see to FILE (pcap, or pcapng\n"
				"with --pcapng; '-' is stdout). -s caps each packet at SNAPLEN bytes\n"
				"(at most %u); --sample N keeps 1 packet in N at random;\n"
				"--sample-flows K keeps the first K packets of each flow and every\n"
				"TCP SYN, FIN and RST. Without --hook each packet is taken once per\n"
				"interface: inbound at the first ingress hook, outbound at tc-egress.\n"
				"-C MB starts a new file (FILE1, FILE2, ...) once one is larger than\n"
				"MB millions of bytes; -W N keeps N files (FILE0 .. FILE<N-1>) and\n"
				"overwrites the oldest. Stops after -c COUNT packets or on\n"
				"SIGINT/SIGTERM, then prints what was captured and lost.\n"
				"--afxdp -i IFACE: for a port that exists to be captured (a tap or\n"
				"SPAN port): the XDP program hands the sampled frames to AF_XDP\n"
				"sockets; they are written to FILE and DO NOT REACH THE STACK. IFACE\n"
				"must be attached with XDP; an EXPR is applied in user space.\n",
				XTAP_SNAP_MAX);
			return -1;
		default:
			return xtap_usage_of("capture");
		}
	}
	if (optind < argc && !d->afxdp) {
		xtap_err("capture: filter expression '%s': filters are not supported yet", argv[optind]);
		return XTAP_EXIT_USAGE;
	}
	if (d->sample_flows && d->sample > 1) {
		xtap_err("capture: --sample and --sample-flows do not go together");
		return XTAP_EXIT_USAGE;
	}
	if (!d->file) {
		xtap_err("capture: -w FILE is required ('-w -' writes to stdout)");
		return xtap_usage_of("capture");
	}
	if (d->rotate_files && !d->rotate_bytes) {
		xtap_err("capture: -W goes with -C");
		return XTAP_EXIT_USAGE;
	}
	if (d->rotate_bytes && !strcmp(d->file, "-")) {
		xtap_err("capture: -C: stdout cannot be rotated");
		return XTAP_EXIT_USAGE;
	}
	return 0;
}

int cmd_capture(int argc, char **argv)
{
	struct defaults_capture d = defaults_capture;
	struct xtap_state st = { .reg_fd = -1, .lock_fd = -1 };
	struct xtap_capture c = { 0 };
	struct xtap_capture_cfg cfg = { 0 }, off = { 0 };
	struct xtap_pcapw *w = NULL;
	struct sigaction sa = { .sa_handler = on_stop };
	char err[XTAP_ERRLEN] = "", names[512] = "", first[4096];
	__u64 slots = 0, present = 0, drops0, drops = 0;
	__u32 hooks_there = 0, zero = 0;
	int cfg_fd = -1, ring_fd = -1, stats_fd = -1, ret = XTAP_EXIT_ERR, r, n;
	bool enabled = false, have_c = false;
	size_t nl = 0;

	r = parse_args(argc, argv, &d);
	if (r)
		return r < 0 ? XTAP_EXIT_OK : r;
	xtap_log_init(d.verbose);
	if (xtap_check_privileges("capture"))
		return XTAP_EXIT_ERR;
	if (d.afxdp)
		return xtap_capture_afxdp(&(struct xtap_afxdp_args){
			.ifaces = d.ifaces, .nifaces = d.nifaces, .file = d.file, .count = d.count,
			.snaplen = d.snaplen, .pcapng = d.pcapng, .sample = d.sample,
			.sample_flows = d.sample_flows, .hooks = d.hooks,
			.rotate_bytes = d.rotate_bytes, .nexpr = argc - optind, .expr = argv + optind });
	if (xtap_state_open(&st, NULL, false, err, sizeof(err))) {
		xtap_err("capture: %s", err);
		return XTAP_EXIT_ERR;
	}
	if (st.reg_fd < 0) {
		xtap_err("capture: nothing is attached (run 'xtap attach IFACE' first)");
		goto cleanup;
	}

	struct xtap_iface e[XTAP_MAX_SLOTS];

	for (__u32 s = 0; s < XTAP_MAX_SLOTS; s++)
		if (!xtap_iface_get(&st, s, &e[s]))
			present |= 1ull << s;
	for (int i = 0; i < d.nifaces; i++) {
		int s = xtap_find_slot(&st, d.ifaces[i]);

		if (s < 0 || !(present & (1ull << s))) {
			xtap_err("capture: %s: not attached (run 'xtap attach %s' first)", d.ifaces[i],
				 d.ifaces[i]);
			goto cleanup;
		}
		slots |= 1ull << s;
	}
	if (!present) {
		xtap_err("capture: nothing is attached (run 'xtap attach IFACE' first)");
		goto cleanup;
	}
	for (__u32 s = 0; s < XTAP_MAX_SLOTS; s++) {
		if (!((slots ? slots : present) & (1ull << s)))
			continue;
		hooks_there |= e[s].hooks;
		nl += snprintf(names + nl, nl < sizeof(names) ? sizeof(names) - nl : 0, "%s%s",
			       nl ? ", " : "", e[s].name);
	}
	if (d.hooks && !(d.hooks & hooks_there)) {
		char h[64];

		xtap_err("capture: --hook %s: not attached on %s", xtap_hooks_str(d.hooks, h, sizeof(h)),
			 names);
		goto cleanup;
	}

	cfg_fd = xtap_map_open(&st, "xtap_capture");
	ring_fd = xtap_map_open(&st, "xtap_ring");
	stats_fd = xtap_map_open(&st, "xtap_stats");
	if (cfg_fd < 0 || ring_fd < 0 || stats_fd < 0) {
		int e2 = cfg_fd < 0 ? cfg_fd : ring_fd < 0 ? ring_fd : stats_fd;

		if (e2 == -ENOENT)
			xtap_err("capture: the attached programs have no capture ring (attached by an "
				 "older xtap: detach and attach again)");
		else
			xtap_err("capture: open the capture maps: %s", strerror(-e2));
		goto cleanup;
	}
	if (!bpf_map_lookup_elem(cfg_fd, &zero, &cfg) && cfg.enabled && cfg.owner_pid &&
	    (pid_t)cfg.owner_pid != getpid() && kill((pid_t)cfg.owner_pid, 0) == 0) {
		xtap_err("capture: another xtap capture (pid %u) is running", cfg.owner_pid);
		goto cleanup;
	}

	/* the lock serialises xtap commands: attach and status go on meanwhile */
	xtap_state_close(&st);

	xtap_capture_file_name(d.file, 0, d.rotate_bytes ? d.rotate_files : 0, first, sizeof(first));
	w = xtap_pcapw_open(first, d.pcapng ? XTAP_PCAPNG : XTAP_PCAP, d.snaplen, err, sizeof(err));
	if (!w) {
		xtap_err("capture: %s: %s", first, err);
		goto cleanup;
	}
	/* a capture that ended without turning capture off may have left records */
	ring_discard(ring_fd);
	r = xtap_capture_init(&c, ring_fd, w);
	if (r) {
		xtap_err("capture: capture ring: %s", strerror(-r));
		goto cleanup;
	}
	have_c = true;
	w = NULL;	/* c.w from here: rotation replaces it */
	c.base = d.file;
	c.fmt = d.pcapng ? XTAP_PCAPNG : XTAP_PCAP;
	c.snaplen = d.snaplen;
	c.rotate_bytes = d.rotate_bytes;
	c.rotate_files = d.rotate_files;
	for (__u32 s = 0; s < XTAP_MAX_SLOTS; s++)
		if (present & (1ull << s))
			snprintf(c.names[s], sizeof(c.names[s]), "%s", e[s].name);
	c.limit = d.count;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	drops0 = ring_drops(stats_fd, slots ? slots : present);
	cfg = (struct xtap_capture_cfg){
		.enabled = 1, .snaplen = d.snaplen, .sample = d.sample, .hooks = d.hooks,
		.slots = slots, .owner_pid = (__u32)getpid(), .sample_flows = d.sample_flows,
		.gen = (__u32)getpid() ^ (__u32)time(NULL) ^ cfg.gen,
	};
	/* the offset between the programs' clock and the epoch, taken now */
	c.ts_offset = xtap_mono_to_real_ns();
	if (bpf_map_update_elem(cfg_fd, &zero, &cfg, BPF_ANY)) {
		xtap_err("capture: turn capture on: %s", strerror(errno));
		goto cleanup;
	}
	enabled = true;
	{
		char h[64];

		fprintf(stderr, "xtap: listening on %s (%s), snapshot length %u bytes\n", names,
			d.hooks ? xtap_hooks_str(d.hooks, h, sizeof(h)) : "each packet once",
			d.snaplen);
	}

	while (!stop_requested && !xtap_capture_done(&c)) {
		n = xtap_capture_poll(&c, 100);
		if (n < 0 && n != -EINTR)
			break;
	}
	bpf_map_update_elem(cfg_fd, &zero, &off, BPF_ANY);
	enabled = false;
	/* what the programs wrote before capture went off */
	if (!c.err)
		xtap_capture_drain(&c);
	drops = ring_drops(stats_fd, slots ? slots : present) - drops0;

	if (c.w) {
		char cur[4096];

		xtap_capture_file_name(d.file, c.file_no, c.rotate_bytes ? c.rotate_files : 0, cur,
				       sizeof(cur));
		r = xtap_pcapw_close(c.w);
		c.w = NULL;
		if (r && !c.err)
			c.err = r;
		snprintf(first, sizeof(first), "%s", cur);
	} else {
		xtap_capture_file_name(d.file, c.file_no, c.rotate_bytes ? c.rotate_files : 0, first,
				       sizeof(first));
	}
	if (c.err)
		xtap_err("capture: %s: %s", strcmp(d.file, "-") ? first : "stdout", strerror(-c.err));
	fprintf(stderr, "%llu packets captured\n%llu packets dropped by kernel (capture ring full)\n"
		"%llu packets not written\n",
		(unsigned long long)c.written, (unsigned long long)drops,
		(unsigned long long)(c.unwritten + c.invalid));
	ret = c.err ? XTAP_EXIT_ERR : XTAP_EXIT_OK;
cleanup:
	if (enabled)
		bpf_map_update_elem(cfg_fd, &zero, &off, BPF_ANY);
	if (have_c) {
		xtap_pcapw_close(c.w);
		xtap_capture_free(&c);
	}
	xtap_pcapw_close(w);
	if (cfg_fd >= 0)
		close(cfg_fd);
	if (ring_fd >= 0)
		close(ring_fd);
	if (stats_fd >= 0)
		close(stats_fd);
	xtap_state_close(&st);
	return ret;
}
