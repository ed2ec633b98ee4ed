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
#include "user/capslot.h"
#include "user/capture.h"
#include "user/filter.h"
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
	__u32 ring_kib;		/* -B: each ring's size, 0: ring_bytes() */
	bool verbose;
	bool afxdp;		/* --afxdp: tools/cmd_afxdp.c */
	char *expr;		/* the filter expression, NULL: none */
	struct sock_filter *classic;	/* expr compiled by libpcap */
	size_t nclassic;
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
	{ "buffer-size", required_argument, NULL, 'B' },
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

/* Bytes per ring: 128 MiB each for up to 2 rings, then 256 MiB shared out,
 * at least 4 MiB each (some 2,700 records of 1514-byte frames). The rings
 * are the capture's only buffer (records wait there to be merged in time
 * order), so they have the room a buffer in user space would have. Where
 * one CPU takes all the traffic its ring is the whole buffer: at 350 kpps
 * of 1514-byte frames (525 MB/s) 128 MiB is a quarter of a second of
 * writing stalled (the file's page cache), 32 MiB was not enough. -B sets
 * it. */
#define RING_BYTES_ALL (256u << 20)
static __u32 ring_bytes(int nrings)
{
	__u32 size = RING_BYTES_ALL / 2;

	if (nrings > 2) {
		size = RING_BYTES_ALL / (__u32)nrings;
		size = 1u << (31 - __builtin_clz(size));	/* a power of 2 */
		if (size < (4u << 20))
			size = 4u << 20;
	}
	return size;
}

/* -B: at least a jumbo frame's record, at most 1 GiB (the kernel's limit
 * for a ring is 64 GiB; the rings are locked kernel memory) */
#define RING_KIB_MIN 256u
#define RING_KIB_MAX (1u << 20)
static __u32 ring_bytes_of(__u32 kib)
{
	__u32 size = 1u << 18;

	while (size < kib * 1024u)
		size <<= 1;
	return size;
}

/* Turns capture id off, under the lock that serialises xtap commands (the
 * word of running captures is shared by them). */
static void capture_off(struct xtap_capslot *slot)
{
	struct xtap_state st = { .reg_fd = -1, .lock_fd = -1 };
	char err[XTAP_ERRLEN];
	bool locked = !xtap_state_open(&st, NULL, false, err, sizeof(err));

	xtap_capslot_off(slot);
	if (locked)
		xtap_state_close(&st);
}

static int parse_args(int argc, char **argv, struct defaults_capture *d)
{
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:w:c:s:C:W:B:vh", capture_opts, NULL)) != -1) {
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
		case 'B':
			/* tcpdump's -B: KiB; a ring is a power of 2 pages */
			if (!xtap_parse_u32(optarg, RING_KIB_MAX, &d->ring_kib) ||
			    d->ring_kib < RING_KIB_MIN) {
				xtap_err("capture: -B %s: not a ring size in KiB (%u to %u)", optarg,
					 RING_KIB_MIN, RING_KIB_MAX);
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
				"-B KiB sets each capture ring's size (one ring per CPU; default\n"
				"128 MiB each up to two CPUs, 256 MiB shared out above).\n"
				"-C MB starts a new file (FILE1, FILE2, ...) once one is larger than\n"
				"MB millions of bytes; -W N keeps N files (FILE0 .. FILE<N-1>) and\n"
				"overwrites the oldest. Stops after -c COUNT packets or on\n"
				"SIGINT/SIGTERM, then prints what was captured and lost.\n"
				"EXPR, in tcpdump's pcap-filter(7) language, runs in the kernel before\n"
				"the copy. Up to %d captures, each with its own filter, run at once.\n"
				"Packets are read from a ring per CPU and reach FILE in time order,\n"
				"about 0.2 s after they were seen.\n"
				"--afxdp -i IFACE: for a port that exists to be captured (a tap or\n"
				"SPAN port): the XDP program hands the sampled frames to AF_XDP\n"
				"sockets; they are written to FILE and DO NOT REACH THE STACK. IFACE\n"
				"must be attached with XDP; an EXPR is applied in user space.\n",
				XTAP_SNAP_MAX, XTAP_CAPTURES_MAX);
			return -1;
		default:
			return xtap_usage_of("capture");
		}
	}
	if (optind < argc && !d->afxdp) {
		char why[XTAP_FILTER_ERRLEN];

		d->expr = xtap_filter_join(argc - optind, argv + optind);
		if (!d->expr) {
			xtap_err("capture: out of memory");
			return XTAP_EXIT_ERR;
		}
		if (xtap_filter_classic(d->expr, XTAP_FILTER_SNAP, &d->classic, &d->nclassic, why,
					sizeof(why))) {
			xtap_err("capture: filter '%s': %s", d->expr, why);
			return XTAP_EXIT_USAGE;
		}
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
	struct xtap_capture_cfg cfg = { 0 };
	struct xtap_capmaps maps = { .owned = false };
	struct xtap_capslot slot = { 0 };
	struct xtap_pcapw *w = NULL;
	struct sigaction sa = { .sa_handler = on_stop };
	char err[XTAP_ERRLEN] = "", names[512] = "", first[4096];
	__u64 slots = 0, present = 0, captured = 0, drops = 0;
	__u32 hooks_there = 0;
	int ret = XTAP_EXIT_ERR, r, n, nrings;
	bool have_slot = false, have_c = false;
	size_t nl = 0;

	r = parse_args(argc, argv, &d);
	if (r) {
		ret = r < 0 ? XTAP_EXIT_OK : r;
		goto cleanup;
	}
	xtap_log_init(d.verbose);
	if (xtap_check_privileges("capture"))
		goto cleanup;
	if (d.afxdp) {
		ret = xtap_capture_afxdp(&(struct xtap_afxdp_args){
			.ifaces = d.ifaces, .nifaces = d.nifaces, .file = d.file, .count = d.count,
			.snaplen = d.snaplen, .pcapng = d.pcapng, .sample = d.sample,
			.sample_flows = d.sample_flows, .hooks = d.hooks,
			.rotate_bytes = d.rotate_bytes, .nexpr = argc - optind, .expr = argv + optind });
		goto cleanup;
	}
	if (xtap_state_open(&st, NULL, false, err, sizeof(err))) {
		xtap_err("capture: %s", err);
		goto cleanup;
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

	/* a ring per CPU */
	nrings = libbpf_num_possible_cpus();
	if (nrings < 1 || nrings > XTAP_CAPTURE_RINGS)
		nrings = nrings < 1 ? 1 : XTAP_CAPTURE_RINGS;
	r = xtap_capmaps_open(&st, &maps);
	if (r) {
		if (r == -ENOENT)
			xtap_err("capture: the attached programs have no capture maps (attached by an "
				 "older xtap: detach and attach again)");
		else
			xtap_err("capture: open the capture maps: %s", strerror(-r));
		goto cleanup;
	}
	r = xtap_capslot_claim(&slot, &maps);
	if (r) {
		if (r == -EBUSY)
			xtap_err("capture: %d captures are running already", XTAP_CAPTURES_MAX);
		else
			xtap_err("capture: capture config: %s", strerror(-r));
		goto cleanup;
	}
	have_slot = true;
	r = xtap_capslot_rings(&slot, nrings, d.ring_kib ? ring_bytes_of(d.ring_kib) : ring_bytes(nrings));
	if (r) {
		xtap_err("capture: capture ring: %s", strerror(-r));
		goto cleanup;
	}
	if (xtap_capslot_filter(&slot, d.classic, d.nclassic, err, sizeof(err))) {
		xtap_err("capture: %s", err);
		goto cleanup;
	}

	xtap_capture_file_name(d.file, 0, d.rotate_bytes ? d.rotate_files : 0, first, sizeof(first));
	w = xtap_pcapw_open(first, d.pcapng ? XTAP_PCAPNG : XTAP_PCAP, d.snaplen, err, sizeof(err));
	if (!w) {
		xtap_err("capture: %s: %s", first, err);
		goto cleanup;
	}
	r = xtap_capture_init_rings(&c, slot.ring, slot.nrings, w);
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

	cfg = (struct xtap_capture_cfg){
		.enabled = 1, .snaplen = d.snaplen, .sample = d.sample, .hooks = d.hooks,
		.slots = slots, .owner_pid = (__u32)getpid(), .sample_flows = d.sample_flows,
		.gen = (__u32)getpid() ^ (__u32)time(NULL) ^ (slot.id << 28),
	};
	/* the offset between the programs' clock and the epoch, taken now */
	c.ts_offset = xtap_mono_to_real_ns();
	r = xtap_capslot_start(&slot, &cfg);
	if (r) {
		xtap_err("capture: turn capture on: %s", strerror(-r));
		goto cleanup;
	}
	/* the lock serialises xtap commands: attach and status go on meanwhile */
	xtap_state_close(&st);
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
	capture_off(&slot);
	/* what the programs wrote before capture went off */
	if (!c.err)
		xtap_capture_drain(&c);
	xtap_capslot_counts(&slot, &captured, &drops);

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
	if (have_slot && slot.running)
		capture_off(&slot);
	if (have_c) {
		xtap_pcapw_close(c.w);
		xtap_capture_free(&c);
	}
	xtap_pcapw_close(w);
	if (have_slot)
		xtap_capslot_stop(&slot);
	xtap_capmaps_close(&maps);
	xtap_state_close(&st);
	free(d.classic);
	free(d.expr);
	return ret;
}
