// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The flow table at a million flows, and capture cost against snap length,
 * on the real compiled xtap object with its flow table sized by the loader
 * (XTAP_SCALE_ENTRIES entries). Sections (-s, comma-separated, default all):
 *
 *   mem      kernel memory of the maps, from each map's memlock (the kernel's
 *            own count of what the map uses, as bpftool map show prints it),
 *            per flow-table entry; the per-CPU write-back array apart.
 *   flows    per-packet cost at 1, 1,024, 65,536 and 1,000,000 concurrent
 *            flows: bench/scale.bpf.c rewrites one frame's source address to
 *            the next of N addresses on every run of a BPF_PROG_TEST_RUN and
 *            tail-calls xdp_tap (or an empty program: the baseline), so the
 *            flows are taken in turn, every lookup after the first pass hits,
 *            and the 256-slot per-CPU write-back cache only helps at 1 flow.
 *            The table is filled with one pass first. 1,000,000 rather than
 *            1,048,576: the LRU keeps some of its entries on per-CPU free
 *            lists, and cycling more flows than it holds would evict on
 *            every packet. The packets that still created a flow are noted.
 *   dump     the table filled to its size, read with batch lookups, with
 *            get_next_key + lookup one by one, with xtap_flows_read sorted
 *            by key (batch read, write-back deltas, sort) and in the order
 *            read (what `xtap flows` calls), then the sort
 *            by bytes (the table's default; -j sorts only when asked) and the
 *            JSON text of `xtap flows -j`.
 *   cmd      the whole `xtap flows -j` command on a million flows: xtap
 *            attached to lo in a private network namespace with its own pin
 *            root and --flows XTAP_SCALE_ENTRIES, the pinned table filled
 *            through the same programs, the command's output read from a pipe.
 *   capture  xdp_tap on a 1514-byte TCP frame of an existing flow with capture
 *            on (snap 64, 256, 1514) against capture off, the ring drained
 *            between rounds (not timed) so that no record is dropped.
 *
 * Prints ROW and NOTE lines for bench/run.sh (bench/lib.h) and nothing is
 * enforced: the exit code is 0 unless something failed to run.
 *
 * usage: bench_scale [-r ROUNDS] [-c CPU] [-s SECTIONS] [-v]
 *        XTAP=path/to/xtap (default: the xtap next to this build's bench/)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "loader/attach.h"
#include "loader/live.h"
#include "loader/loader.h"
#include "user/log.h"
#include "user/maps.h"
#include "user/report.h"
#include "tests/fixtures/pkt.h"
#include "bench/scale.skel.h"
#include "bench/counter.skel.h"
#include "bench/lib.h"
#include "user/capslot.h"

#define XTAP_SCALE_ENTRIES (1u << 20)
#define RING_BYTES (64u << 20)
#define CAP_REPEAT 20000u	/* records per round: 31 MB at 1514 bytes, within the ring */
#define MAX_ROUNDS 51
#define BATCH 4096
#define SCALE_TARGET 1.5	/* xdp_tap / bare counter at 1M flows */
#define TIMES 1		/* timings per run of the dump steps: run.sh repeats the runs */

struct bench {
	struct xtap_bpf *x;
	struct scale_bpf *s;
	struct counter_bpf *k;	/* the bare counter, its table as big as xtap's */
	int cycle_fd, pass_fd, tap_fd, next_fd, counter_fd;
	int rounds, verbose;
	struct pb frame;	/* 64-byte IPv4 TCP ACK */
	struct pb big;		/* 1514-byte IPv4 TCP ACK */
	char xtap[PATH_MAX];
	char root[128];
	bool attached;
};

/* CPU time of this thread, user and system: the dump phases are timed with
 * it, as it is less disturbed than wall time by other work on the machine. */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Average ns per run of fd on the frame, repeat runs. */
static int run(int fd, const struct pb *b, __u32 repeat, double *ns)
{
	static unsigned char out[PB_MAX + 512];
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = b->d, .data_size_in = (__u32)b->len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = repeat);

	if (bench_stop)
		return -EINTR;
	if (bpf_prog_test_run_opts(fd, &t))
		return -errno;
	if (t.retval != XDP_PASS)
		return -EPROTO;
	*ns = t.duration;
	return 0;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "xtap: bench scale: %s: %s\n", what,
		err == -EPROTO ? "verdict not XDP_PASS" : strerror(-err));
	return -1;
}

/* The program the cycler tail-calls. */
static int set_next(struct bench *b, int fd)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(b->next_fd, &zero, &fd, BPF_ANY))
		return fail("program array", -errno);
	return 0;
}

static void tcp_frame(struct pb *b, size_t payload)
{
	pb_init(b, PB_MAC_B, PB_MAC_A);
	pb_ipv4(b, &(struct pb_ip4){ .saddr = PB_IP4(10, 0, 0, 1),
				     .daddr = PB_IP4(192, 168, 255, 1), .id = 1 });
	pb_tcp(b, &(struct pb_tcp){ .sport = 40000, .dport = 443, .seq = 1, .ack = 1,
				    .flags = PB_ACK });
	pb_payload(b, NULL, payload);
	pb_finish(b);
}

static __u64 stat_sum(struct bench *b, int which)
{
	struct xtap_stats st;

	if (xtap_stats_read(bpf_map__fd(b->x->maps.xtap_stats), XTAP_POINT(0, XTAP_HOOK_XDP), &st))
		return 0;
	return st.c[which];
}

/* The kernel's memlock count of a map (fdinfo), or -1. */
static long long memlock_of(int fd)
{
	char path[64], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int section_mem(struct bench *b)
{
	struct bpf_map *m;
	long long flows = memlock_of(bpf_map__fd(b->x->maps.xtap_flows));
	long long fc = memlock_of(bpf_map__fd(b->x->maps.xtap_fcache));
	long long all = 0, ring = 0;
	int ncpu = libbpf_num_possible_cpus();

	if (flows <= 0 || fc <= 0) {
		fprintf(stderr, "xtap: bench scale: no memlock in fdinfo\n");
		return -1;
	}
	bpf_object__for_each_map(m, b->x->obj) {
		long long v = memlock_of(bpf_map__fd(m));

		if (v > 0)
			all += v;
		if (m == b->x->maps.xtap_rings)
			ring = v;
	}
	bench_row("scale", "flow table, kernel bytes per entry", (double)flows / XTAP_SCALE_ENTRIES,
		  "B/flow", NULL, 0, NULL);
	bench_row("scale", "flow table at 1,048,576 entries", flows / 1048576.0, "MiB", NULL, 0,
		  NULL);
	bench_row("scale", "per-CPU write-back array, all CPUs", fc / 1024.0, "KiB", NULL, 0, NULL);
	bench_row("scale", "all xtap maps but the ring, 1M-entry table", (all - ring) / 1048576.0,
		  "MiB", NULL, 0, NULL);
	bench_note("scale", "memory: memlock of each map (fdinfo, as bpftool map show); a flow "
		   "entry holds a %zu-byte key and a %zu-byte value; the table is an LRU hash, "
		   "preallocated; the write-back array is %d slots x %zu bytes x %d CPUs; the "
		   "capture ring (%lld MiB here) is left out", sizeof(struct xtap_flow_key),
		   sizeof(struct xtap_flow), XTAP_FCACHE_SLOTS, sizeof(struct xtap_fcache), ncpu,
		   ring >> 20);
	return 0;
}

/* Cycle through n flows, repeat runs of the cycler into fd. */
static int cycle(struct bench *b, int fd, __u32 n, __u32 repeat, double *ns)
{
	int err;

	if (set_next(b, fd))
		return -1;
	b->s->bss->nflows = n;
	err = run(b->cycle_fd, &b->frame, repeat, ns);
	return err ? fail("cycler test run", err) : 0;
}

static int fill(struct bench *b, __u32 n)
{
	double ns;

	b->s->bss->counter = 0;
	return cycle(b, b->tap_fd, n, n, &ns);
}

/* The programs of the flows section, rotated each round. */
enum { F_EMPTY, F_COUNTER, F_XTAP, F_NPROGS };

static int section_flows(struct bench *b)
{
	static const __u32 counts[] = { 1, 1024, 65536, 1000000 };
	double v[F_NPROGS][MAX_ROUNDS], rk[MAX_ROUNDS], rx[MAX_ROUNDS], ns;
	int fds[F_NPROGS] = { b->pass_fd, b->counter_fd, b->tap_fd };
	char name[96], target[32];

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		__u32 n = counts[i], repeat = n > 500000 ? 2 * n : 1000000;
		__u64 new0, new1;
		double m[F_NPROGS];

		/* one pass of each table first: every measured lookup hits */
		if (fill(b, n))
			return -1;
		b->s->bss->counter = 0;
		if (cycle(b, b->counter_fd, n, n, &ns))
			return -1;
		new0 = stat_sum(b, XTAP_STAT_FLOW_NEW);
		for (int r = 0; r < b->rounds; r++) {
			for (int k = 0; k < F_NPROGS; k++) {
				int p = (r + k) % F_NPROGS;

				if (cycle(b, fds[p], n, repeat, &v[p][r]))
					return -1;
			}
			rk[r] = v[F_EMPTY][r] > 0 ? v[F_COUNTER][r] / v[F_EMPTY][r] : 0;
			rx[r] = v[F_COUNTER][r] > 0 ? v[F_XTAP][r] / v[F_COUNTER][r] : 0;
		}
		new1 = stat_sum(b, XTAP_STAT_FLOW_NEW);
		for (int p = 0; p < F_NPROGS; p++)
			m[p] = bench_median(v[p], b->rounds);
		snprintf(name, sizeof(name), "xdp_tap, %u flow%s cycled", n, n > 1 ? "s" : "");
		snprintf(target, sizeof(target), "ratio<=%.1f", SCALE_TARGET);
		bench_row_ratio("scale", name, m[F_XTAP], "ns/pkt", "bare counter, same flows",
				m[F_COUNTER], bench_median(rx, b->rounds),
				n == 1000000 ? target : NULL);
		snprintf(name, sizeof(name), "bare counter, %u flow%s cycled", n, n > 1 ? "s" : "");
		bench_row_ratio("scale", name, m[F_COUNTER], "ns/pkt", "cycler+empty XDP",
				m[F_EMPTY], bench_median(rk, b->rounds), NULL);
		if (b->verbose)
			fprintf(stderr, "%u flows: xtap %.1f ns, counter %.1f ns, base %.1f ns, "
				"%llu created\n", n, m[F_XTAP], m[F_COUNTER], m[F_EMPTY],
				(unsigned long long)(new1 - new0));
		if (new1 - new0 > 0)
			bench_note("scale", "%u flows: %llu of %llu measured packets created a flow "
				   "(evicted meanwhile)", n, (unsigned long long)(new1 - new0),
				   (unsigned long long)b->rounds * repeat);
	}
	bench_note("scale", "flows: BPF_PROG_TEST_RUN of the cycler, medians of %d rounds of "
		   "max(1,000,000, 2N) runs, cycler+xdp_tap, cycler+bare counter and cycler+empty "
		   "in rotated order; ratios are medians of per-round ratios; 64-byte TCP ACK; "
		   "both flow tables of %u entries", b->rounds, XTAP_SCALE_ENTRIES);
	return 0;
}

/* Batch lookups of the whole table into one array, as xtap_flows_read does. */
static int read_batch(int fd, size_t *n)
{
	struct xtap_flow_entry *v = NULL;
	struct xtap_flow_key *keys = calloc(BATCH, sizeof(*keys));
	struct xtap_flow *vals = calloc(BATCH, sizeof(*vals));
	size_t cap = XTAP_SCALE_ENTRIES, len = 0;
	__u32 tok = 0;
	void *in = NULL;
	int err = 0;

	v = malloc(cap * sizeof(*v));
	if (!keys || !vals || !v) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		__u32 count = BATCH;
		int r = bpf_map_lookup_batch(fd, in, &tok, keys, vals, &count, NULL);
		int e = r ? errno : 0;

		if (r && e != ENOENT) {
			err = -e;
			goto out;
		}
		for (__u32 i = 0; i < count && len < cap; i++, len++) {
			v[len].key = keys[i];
			v[len].val = vals[i];
		}
		if (e == ENOENT)
			break;
		in = &tok;
	}
	*n = len;
out:
	free(v);
	free(keys);
	free(vals);
	return err;
}

/* get_next_key and a lookup per entry: what a kernel without batch
 * operations leaves. */
static int read_one_by_one(int fd, size_t *n)
{
	struct xtap_flow_entry *v = malloc(XTAP_SCALE_ENTRIES * sizeof(*v));
	struct xtap_flow_key key;
	size_t len = 0;
	void *prev = NULL;

	if (!v)
		return -ENOMEM;
	while (len < XTAP_SCALE_ENTRIES && !bpf_map_get_next_key(fd, prev, &v[len].key)) {
		key = v[len].key;
		prev = &key;
		if (!bpf_map_lookup_elem(fd, &key, &v[len].val))
			len++;
	}
	*n = len;
	free(v);
	return 0;
}

static int section_dump(struct bench *b)
{
	int fd = bpf_map__fd(b->x->maps.xtap_flows), cfd = bpf_map__fd(b->x->maps.xtap_fcache);
	double t[TIMES], tb, ts, td, tr, tsort, tjson;
	struct xtap_flow_entry *f = NULL;
	static struct json j;
	FILE *devnull;
	size_t n = 0, ns = 0, nd = 0, nr = 0;
	int err;

	/* every entry of the table: one pass over as many flows as it holds */
	if (fill(b, XTAP_SCALE_ENTRIES))
		return -1;
	for (int i = 0; i < TIMES; i++) {
		t[i] = cpu_now();
		err = read_batch(fd, &n);
		t[i] = cpu_now() - t[i];
		if (err)
			return fail("batch lookup", err);
	}
	tb = bench_median(t, TIMES);
	for (int i = 0; i < TIMES; i++) {
		t[i] = cpu_now();
		err = xtap_flows_read(fd, cfd, XTAP_SORT_KEY, &f, &nd);
		t[i] = cpu_now() - t[i];
		free(f);
		f = NULL;
		if (err)
			return fail("xtap_flows_read by key", err);
	}
	td = bench_median(t, TIMES);
	for (int i = 0; i < TIMES; i++) {
		t[i] = cpu_now();
		err = xtap_flows_read(fd, cfd, XTAP_SORT_NONE, &f, &nr);
		t[i] = cpu_now() - t[i];
		free(f);
		f = NULL;
		if (err)
			return fail("xtap_flows_read", err);
	}
	tr = bench_median(t, TIMES);
	/* the steps after the read: the table's default order (bytes; -j sorts
	 * only with --sort or -n), and the JSON text, written to /dev/null */
	err = xtap_flows_read(fd, cfd, XTAP_SORT_NONE, &f, &nr);
	if (err)
		return fail("xtap_flows_read", err);
	tsort = cpu_now();
	xtap_flows_sort(f, nr, XTAP_SORT_BYTES, NULL);
	tsort = cpu_now() - tsort;
	devnull = fopen("/dev/null", "w");
	if (!devnull) {
		free(f);
		return fail("/dev/null", -errno);
	}
	tjson = cpu_now();
	json_init(&j, devnull);
	json_open(&j, NULL, '{');
	json_open(&j, "flows", '[');
	for (size_t i = 0; i < nr; i++)
		xtap_flow_json(&j, &f[i], 0);
	json_close(&j, ']');
	json_close(&j, '}');
	fflush(devnull);
	tjson = cpu_now() - tjson;
	fclose(devnull);
	free(f);
	f = NULL;

	ts = cpu_now();
	err = read_one_by_one(fd, &ns);
	ts = cpu_now() - ts;
	if (err)
		return fail("get_next_key + lookup", err);
	if (n != ns || n != nd || n != nr) {
		fprintf(stderr, "xtap: bench scale: dumps disagree: %zu batch, %zu one by one, "
				"%zu xtap_flows_read by key, %zu xtap_flows_read\n", n, ns, nd, nr);
		return -1;
	}
	bench_row("scale", "1M flows: map read, batch lookups", tb, "s CPU", "one-by-one lookups",
		  ts, NULL);
	bench_row("scale", "1M flows: map read, one-by-one lookups", ts, "s CPU", NULL, 0, NULL);
	bench_row("scale", "1M flows: xtap_flows_read sorted by key (read+merge+xtap_flows_sort)", td, "s CPU", NULL, 0,
		  NULL);
	bench_row("scale", "1M flows: xtap_flows_read (read+merge, no sort: xtap flows)", tr,
		  "s CPU", "batch lookups alone", tb, NULL);
	bench_row("scale", "1M flows: sort by bytes (table's default, -j --sort bytes)", tsort,
		  "s CPU", NULL, 0, NULL);
	bench_row("scale", "1M flows: JSON text of every flow", tjson, "s CPU", NULL, 0, NULL);
	bench_note("scale", "dump: %zu flows in a %u-entry table; batch of %d; thread CPU "
		   "time, each step %d time(s) a run", n, XTAP_SCALE_ENTRIES, BATCH, TIMES);
	return 0;
}

/* Wall and CPU time (user + system) of `xtap flows -j`, its stdout read
 * from a pipe; bytes read. */
static int time_flows_cmd(struct bench *b, double *secs, double *cpu, size_t *bytes)
{
	struct rusage ru;
	static char buf[1 << 16];
	int p[2], st;
	double t0 = bench_now();
	pid_t pid;
	ssize_t r;

	*bytes = 0;
	if (pipe(p))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execl(b->xtap, b->xtap, "flows", "-j", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while ((r = read(p[0], buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		*bytes += r;
	}
	close(p[0]);
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR)
			return -errno;
	*secs = bench_now() - t0;
	*cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -ECHILD;
}

static int section_cmd(struct bench *b)
{
	struct xtap_load_opts lo = { .flows_max = XTAP_SCALE_ENTRIES };
	struct xtap_bpf *px = NULL, *keep = b->x;
	char maps[160], flows_arg[16];
	double t[TIMES], c[TIMES];
	size_t bytes = 0;
	int err, ret = -1, tap_fd = b->tap_fd;

	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "xtap: bench scale: private network namespace: %s\n",
			strerror(errno));
		return -1;
	}
	snprintf(flows_arg, sizeof(flows_arg), "%u", XTAP_SCALE_ENTRIES);
	b->attached = true;
	if (BENCH_RUN(b->verbose, NULL, b->xtap, "attach", "lo", "--hooks", "xdp", "--flows",
		      flows_arg)) {
		fprintf(stderr, "xtap: bench scale: %s attach lo --flows %s failed (-v shows why)\n",
			b->xtap, flows_arg);
		return -1;
	}
	/* an instance of the programs on the pinned maps, to fill them */
	snprintf(maps, sizeof(maps), "%s/maps", b->root);
	lo.pin_dir = maps;
	err = xtap_load(&lo, &px);
	if (err)
		return fail("load xtap on the pinned maps", err);
	b->x = px;
	b->tap_fd = bpf_program__fd(px->progs.xdp_tap);
	if (fill(b, XTAP_SCALE_ENTRIES))
		goto out;
	for (int i = 0; i < TIMES; i++) {
		err = time_flows_cmd(b, &t[i], &c[i], &bytes);
		if (err) {
			fail("xtap flows -j", err);
			goto out;
		}
	}
	bench_row("scale", "1M flows: xtap flows -j (whole command)", bench_median(t, TIMES), "s",
		  NULL, 0, "value<=2");
	bench_row("scale", "1M flows: xtap flows -j, CPU", bench_median(c, TIMES), "s CPU", NULL, 0,
		  NULL);
	bench_note("scale", "xtap flows -j: xtap attached to lo (XDP) in a private namespace with "
		   "--flows %u, table filled by the programs; %d time(s) a run, %.0f MB of JSON "
		   "read from a pipe", XTAP_SCALE_ENTRIES, TIMES, bytes / 1e6);
	ret = 0;
out:
	b->x = keep;
	b->tap_fd = tap_fd;
	xtap_unload(px);
	return ret;
}

/* Drains the ring; returns the records read. */
static int count_rec(void *ctx, void *data, size_t size)
{
	(void)data;
	(void)size;
	++*(size_t *)ctx;
	return 0;
}

static int section_capture(struct bench *b)
{
	static const __u32 snaps[] = { 64, 256, 1514 };
	struct ring_buffer *rb = NULL;
	struct xtap_capmaps maps;
	struct xtap_capslot cap = { 0 };
	double off[MAX_ROUNDS], on[MAX_ROUNDS], dummy;
	size_t got = 0;
	char name[64];
	int ret = -1, err;

	/* one capture, no filter, one ring that every CPU writes to */
	xtap_capmaps_of(b->x, &maps);
	err = xtap_capslot_claim(&cap, &maps);
	if (!err)
		err = xtap_capslot_rings(&cap, 1, RING_BYTES);
	if (err)
		return fail("capture slot", err);
	rb = ring_buffer__new(cap.ring[0], count_rec, &got, NULL);
	if (!rb) {
		fail("capture ring", -errno);
		goto out;
	}
	/* the frame's flow exists before anything is measured */
	err = run(b->tap_fd, &b->big, 1, &dummy);
	if (err) {
		fail("capture test run", err);
		goto out;
	}
	for (size_t i = 0; i < sizeof(snaps) / sizeof(snaps[0]); i++) {
		struct xtap_capture_cfg cfg = { .snaplen = snaps[i], .hooks = 1u << XTAP_HOOK_XDP,
						.owner_pid = (__u32)getpid() };
		__u64 cap0, drop0, cap1, drop1;

		xtap_capslot_counts(&cap, &cap0, &drop0);
		for (int r = 0; r < b->rounds; r++) {
			got = 0;
			xtap_capslot_off(&cap);
			if ((err = run(b->tap_fd, &b->big, CAP_REPEAT, &off[r])) ||
			    (err = xtap_capslot_start(&cap, &cfg)) ||
			    (err = run(b->tap_fd, &b->big, CAP_REPEAT, &on[r]))) {
				fail("capture test run", err);
				goto out;
			}
			if (ring_buffer__consume(rb) < 0 || got != CAP_REPEAT) {
				fprintf(stderr, "xtap: bench scale: snap %u: %zu records of %u\n",
					snaps[i], got, CAP_REPEAT);
				goto out;
			}
		}
		xtap_capslot_counts(&cap, &cap1, &drop1);
		(void)cap1;
		(void)cap0;
		if (drop1 != drop0) {
			fprintf(stderr, "xtap: bench scale: snap %u: %llu records dropped\n",
				snaps[i], (unsigned long long)(drop1 - drop0));
			goto out;
		}
		snprintf(name, sizeof(name), "capture snap %u, 1514B frame", snaps[i]);
		bench_row("capture", name, bench_median(on, b->rounds), "ns/pkt", "capture off",
			  bench_median(off, b->rounds), NULL);
	}
	bench_note("capture", "snap length: BPF_PROG_TEST_RUN of xdp_tap on a 1514-byte TCP ACK "
		   "of an existing flow, capture on (XDP hook) vs off, medians of %d rounds of %u "
		   "runs; the %u MiB ring is drained between rounds (not timed) and nothing is "
		   "dropped; consumer cost not included", b->rounds, CAP_REPEAT, RING_BYTES >> 20);
	ret = 0;
out:
	xtap_capslot_stop(&cap);
	ring_buffer__free(rb);
	return ret;
}

static bool want(const char *list, const char *s)
{
	size_t n = strlen(s);

	for (const char *p = list; (p = strstr(p, s)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	static struct bench b = { .rounds = 5 };
	struct xtap_load_opts lo = { .flows_max = XTAP_SCALE_ENTRIES };
	const char *sections = "mem,flows,dump,capture,cmd";
	int c, cpu = 0, err, ret = 1;
	cpu_set_t set;

	bench_name = "scale";
	while ((c = getopt(argc, argv, "r:c:s:vh")) != -1) {
		switch (c) {
		case 'r': b.rounds = atoi(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		case 's': sections = optarg; break;
		case 'v': b.verbose = 1; break;
		default:
			fprintf(stderr, "usage: bench_scale [-r ROUNDS] [-c CPU] [-s "
					"mem,flows,dump,capture,cmd] [-v]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (b.rounds < 1 || b.rounds > MAX_ROUNDS) {
		fprintf(stderr, "xtap: bench scale: rounds must be 1..%d\n", MAX_ROUNDS);
		return 2;
	}
	if (geteuid()) {
		fprintf(stderr, "xtap: bench scale: needs root\n");
		return 1;
	}
	if (want(sections, "cmd")) {
		const char *r = getenv("XTAP_PIN_ROOT");

		if (bench_find_xtap(b.xtap, sizeof(b.xtap)))
			return 1;
		/* a state of its own: nothing else attached shares this table */
		snprintf(b.root, sizeof(b.root), "%s-scale%d", r && *r ? r : XTAP_PIN_ROOT,
			 (int)getpid());
		setenv("XTAP_PIN_ROOT", b.root, 1);
	}
	bench_catch_signals();
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "xtap: bench scale: pin to cpu %d: %s (running unpinned)\n", cpu,
			strerror(errno));

	err = xtap_load(&lo, &b.x);
	if (err) {
		fprintf(stderr, "xtap: bench scale: load xtap with %u flows: %s\n",
			XTAP_SCALE_ENTRIES, strerror(-err));
		goto cleanup;
	}
	b.s = scale_bpf__open_and_load();
	if (!b.s) {
		fprintf(stderr, "xtap: bench scale: load the cycler: %s\n", strerror(errno));
		goto cleanup;
	}
	b.k = counter_bpf__open();
	if (!b.k || bpf_map__set_max_entries(b.k->maps.counter_flows, XTAP_SCALE_ENTRIES) ||
	    counter_bpf__load(b.k)) {
		fprintf(stderr, "xtap: bench scale: load the bare counter: %s\n", strerror(errno));
		goto cleanup;
	}
	/* the default configuration, as xtap attach writes it: hops 1 in 16 */
	{
		struct xtap_hop_cfg hcfg = { .sample_shift = XTAP_HOP_SAMPLE_SHIFT_DEFAULT,
					     .configured = 1 };

		xtap_live_of(b.x)->hop = hcfg;
	}
	b.counter_fd = bpf_program__fd(b.k->progs.counter_xdp);
	b.cycle_fd = bpf_program__fd(b.s->progs.xdp_cycle);
	b.pass_fd = bpf_program__fd(b.s->progs.xdp_pass);
	b.next_fd = bpf_map__fd(b.s->maps.scale_next);
	b.tap_fd = bpf_program__fd(b.x->progs.xdp_tap);
	tcp_frame(&b.frame, 10);
	tcp_frame(&b.big, 1514 - 54);

	if ((want(sections, "mem") && section_mem(&b)) ||
	    (want(sections, "flows") && section_flows(&b)) ||
	    (want(sections, "dump") && section_dump(&b)) ||
	    (want(sections, "capture") && section_capture(&b)))
		goto cleanup;
	/* the private maps go before the second table is made */
	xtap_unload(b.x);
	b.x = NULL;
	if (want(sections, "cmd") && section_cmd(&b))
		goto cleanup;
	ret = 0;
cleanup:
	if (bench_stop)
		fprintf(stderr, "xtap: bench scale: interrupted, cleaning up\n");
	if (b.attached) {
		bench_ignore_signals();
		if (BENCH_RUN(b.verbose, NULL, b.xtap, "detach", "lo"))
			fprintf(stderr, "xtap: bench scale: %s detach lo failed\n", b.xtap);
	}
	scale_bpf__destroy(b.s);
	counter_bpf__destroy(b.k);
	if (b.x)
		xtap_unload(b.x);
	return ret;
}
