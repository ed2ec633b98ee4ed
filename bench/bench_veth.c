// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Live receive rate of a veth with xtap attached (native XDP + TC ingress +
 * TC egress) against the same veth with an empty XDP_PASS program.
 *
 * Two private namespaces, A and B, joined by a veth pair. The generator
 * (gen.bpf.c) runs in A with BPF_PROG_TEST_RUN and BPF_F_TEST_XDP_LIVE_FRAMES:
 * the kernel turns one crafted 64-byte UDP/IPv4 frame into `repeat` real
 * frames that the program redirects out of veth A, so they arrive on veth B,
 * where the program under test runs. They are addressed to B's MAC and to an
 * address B does not own; B does not forward, so the stack drops them after
 * XDP and TC ingress have seen them. Nothing leaves the two namespaces.
 *
 * Rate = B's rx_packets (kernel counters, IFLA_STATS64) over the time the
 * test run took. A veth only takes redirected frames when it runs NAPI, which
 * a native XDP program gives it: a first run with nothing on B checks that B
 * then receives nothing (and times the generator alone), and every attach is
 * checked to be native. B's NAPI runs on the generator's CPU, so the rates
 * include the generator's cost per frame, the same in both. Rounds alternate baseline and xtap so that drift hits both.
 * The target is printed, never enforced: the exit code is 0 unless something
 * failed to run. Everything created (namespaces, veths, attachments) is
 * removed on every exit path, including SIGINT and SIGTERM. Two ROWs go to
 * bench/run.sh (bench/lib.h): the rate against the baseline, and the time
 * xtap adds per received packet (1/rate - 1/baseline rate); the 90% target
 * is on the rate row when all three hooks are attached.
 *
 * With all three hooks on one interface, each round also attaches the bare
 * counter (bench/counter.bpf.c) the same way (native XDP, tcx ingress and
 * egress) and a row gives xtap's rate against it (target 80%).
 *
 * usage: bench_veth [-r ROUNDS] [-t SECONDS] [-b BATCH] [-c CPU] [-H HOOKS] [-I N] [-v]
 *        -H: the xtap hooks to attach (default xdp,tc-ingress,tc-egress); without
 *        xdp the baseline program stays on B under xtap, so that B keeps NAPI
 *        -I: xtap attached to N interfaces (1..8): B and N - 1 idle veths in B's
 *        namespace, attached once before the rounds (the baseline runs with them)
 *        XTAP=path/to/xtap (default: the xtap next to this build's bench/)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "loader/attach.h"
#include "user/maps.h"
#include "empty.skel.h"
#include "bench/gen.skel.h"
#include "bench/counter.skel.h"
#include "bench/lib.h"

#define TARGET_RATIO 0.90
#define MAX_ROUNDS 51
#define FRAME_LEN 64
#define REPEAT_MIN 100000u
#define REPEAT_MAX 200000000u
#define DRAIN_US 20000		/* frames still in B's ring when the run returns */

#define NET 0x0a630000u	/* 10.99.0.0/24: veth A .1, B .2; frames go to .99, nobody's */

struct bench {
	struct bench_pair p;		/* namespaces A and B, the veth pair, the programs */
	char xtap[PATH_MAX];
	int xtap_on;			/* 0 off, 1 attach tried, 2 attached */
	unsigned char frame[FRAME_LEN];
	int batch, verbose;
	const char *hooks;
	bool xtap_xdp;		/* hooks include xdp */
	int ifaces;		/* interfaces xtap is attached to: B and ifaces - 1 idle ones */
	int extra_made, extra_on;	/* idle veths created, and attached */
	struct counter_bpf *counter;	/* the bare counter, on B's three hooks like xtap */
	int counter_links[3];
};

#define COUNTER_TARGET 0.80	/* xtap's rate / the bare counter's */
#define TCX_INGRESS 46		/* BPF_TCX_INGRESS, BPF_TCX_EGRESS: not in older uapi */
#define TCX_EGRESS 47

struct sample {
	double mpps;		/* frames B received per second of test run */
	double delivered;	/* fraction of the generated frames B received */
	double gen_mpps;	/* frames generated per second of test run */
};

#define RUN(b, ns, ...) BENCH_RUN((b)->verbose, ns, __VA_ARGS__)

/* XDP attach mode on B (XDP_ATTACHED_*), or -1. */
static int xdp_mode_b(struct bench *b, __u32 *prog_id)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err;

	if (bench_enter(b->p.b_fd, b->p.ns_b))
		return -1;
	err = bpf_xdp_query(b->p.idx_b, 0, &q);
	if (bench_enter(b->p.a_fd, b->p.ns_a) || err)
		return -1;
	*prog_id = q.attach_mode == XDP_ATTACHED_MULTI ? q.drv_prog_id : q.prog_id;
	return q.attach_mode;
}

static int check_native(struct bench *b, const char *what)
{
	__u32 id = 0;
	int mode = xdp_mode_b(b, &id);

	if ((mode != XDP_ATTACHED_DRV && mode != XDP_ATTACHED_MULTI) || !id) {
		fprintf(stderr, "xtap: bench veth: %s on %s: not a native XDP program (mode %d)\n",
			what, b->p.if_b, mode);
		return -1;
	}
	return 0;
}

static int baseline_on(struct bench *b)
{
	if (bench_pair_baseline_on(&b->p))
		return -1;
	return check_native(b, "xdp_pass");
}

static void baseline_off(struct bench *b)
{
	bench_pair_baseline_off(&b->p);
}

static void extra_name(int i, int peer, char *buf, size_t len)
{
	snprintf(buf, len, "x%c%u.%u", peer ? 'F' : 'E', (unsigned)getpid() % 1000000u,
		 (unsigned)i % 10u);
}

/* The idle interfaces: made and attached once, detached at the end. */
static int extra_on(struct bench *b)
{
	char name[IFNAMSIZ], peer[IFNAMSIZ];

	for (int i = 1; i < b->ifaces; i++) {
		extra_name(i, 0, name, sizeof(name));
		extra_name(i, 1, peer, sizeof(peer));
		if (RUN(b, b->p.path_b, "ip", "link", "add", name, "type", "veth", "peer", "name",
			peer)) {
			fprintf(stderr, "xtap: bench veth: create veth %s failed\n", name);
			return -1;
		}
		b->extra_made = i;
		if (RUN(b, b->p.path_b, "ip", "link", "set", name, "up") ||
		    RUN(b, b->p.path_b, "ip", "link", "set", peer, "up") ||
		    RUN(b, b->p.path_b, b->xtap, "attach", name, "--hooks", b->hooks)) {
			fprintf(stderr, "xtap: bench veth: attach xtap to %s failed\n", name);
			return -1;
		}
		b->extra_on = i;
	}
	return 0;
}

static void extra_off(struct bench *b)
{
	char name[IFNAMSIZ];

	for (int i = 1; i <= b->extra_made; i++) {
		extra_name(i, 0, name, sizeof(name));
		if (i <= b->extra_on && RUN(b, b->p.path_b, b->xtap, "detach", name))
			fprintf(stderr, "xtap: bench veth: %s detach %s failed\n", b->xtap, name);
	}
	b->extra_on = b->extra_made = 0;
}

static void counter_off(struct bench *b)
{
	for (int i = 0; i < 3; i++) {
		if (b->counter_links[i] >= 0)
			close(b->counter_links[i]);
		b->counter_links[i] = -1;
	}
}

/* The bare counter on B: native XDP, tcx ingress and egress. */
static int counter_on(struct bench *b)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = XDP_FLAGS_DRV_MODE);
	int xfd = bpf_program__fd(b->counter->progs.counter_xdp);
	int tfd = bpf_program__fd(b->counter->progs.counter_tc), err;

	if (bench_enter(b->p.b_fd, b->p.ns_b))
		return -1;
	b->counter_links[0] = bpf_link_create(xfd, b->p.idx_b, BPF_XDP, &lo);
	b->counter_links[1] = bpf_link_create(tfd, b->p.idx_b, TCX_INGRESS, NULL);
	b->counter_links[2] = bpf_link_create(tfd, b->p.idx_b, TCX_EGRESS, NULL);
	err = errno;
	if (bench_enter(b->p.a_fd, b->p.ns_a))
		return -1;
	for (int i = 0; i < 3; i++)
		if (b->counter_links[i] < 0) {
			fprintf(stderr, "xtap: bench veth: attach the bare counter to %s: %s\n",
				b->p.if_b, strerror(err));
			counter_off(b);
			return -1;
		}
	return check_native(b, "the bare counter");
}

static int xtap_on(struct bench *b)
{
	b->xtap_on = 1;
	if (!b->xtap_xdp && baseline_on(b))
		return -1;
	if (RUN(b, b->p.path_b, b->xtap, "attach", b->p.if_b, "--mode", "native", "--hooks",
		b->hooks)) {
		fprintf(stderr, "xtap: bench veth: %s attach %s failed (-v shows why)\n", b->xtap,
			b->p.if_b);
		return -1;
	}
	b->xtap_on = 2;
	return check_native(b, "xtap");
}

static int xtap_off(struct bench *b)
{
	int rc;

	if (!b->xtap_on)
		return 0;
	/* also after a failed attach: whatever it may have left goes */
	rc = RUN(b, b->p.path_b, b->xtap, "detach", b->p.if_b);
	if (b->xtap_on == 1)
		rc = 0;
	b->xtap_on = 0;
	baseline_off(b);
	if (rc)
		fprintf(stderr, "xtap: bench veth: %s detach %s failed\n", b->xtap, b->p.if_b);
	return rc ? -1 : 0;
}

/* Packets xtap counted on B at each hook (slot's outcomes), or -1. */
static int xtap_counts(struct bench *b, __u64 out[XTAP_HOOK_MAX])
{
	char err[XTAP_ERRLEN] = "";
	struct xtap_state st;
	int slot, fd, rc = -1;

	if (bench_enter(b->p.b_fd, b->p.ns_b))
		return -1;
	if (xtap_state_open(&st, NULL, false, err, sizeof(err)))
		goto out;
	slot = st.reg_fd < 0 ? -ENOENT : xtap_find_slot(&st, b->p.if_b);
	fd = slot < 0 ? -1 : xtap_map_open(&st, "xtap_stats");
	if (fd >= 0) {
		rc = 0;
		for (int h = 0; h < XTAP_HOOK_MAX; h++) {
			struct xtap_stats v;

			out[h] = 0;
			if (xtap_stats_read(fd, XTAP_POINT(slot, h), &v)) {
				rc = -1;
				continue;
			}
			for (int i = 0; i < XTAP_STAT_OUTCOME_END; i++)
				out[h] += v.c[i];
		}
		close(fd);
	}
	xtap_state_close(&st);
out:
	if (rc)
		fprintf(stderr, "xtap: bench veth: read xtap's counters of %s: %s\n", b->p.if_b,
			err[0] ? err : "no slot, map or entry");
	if (bench_enter(b->p.a_fd, b->p.ns_a))
		return -1;
	return rc;
}

/* One measured run: repeat frames from A, rate at which B received them.
 * want_rx: B must receive something (it has NAPI). */
static int measure(struct bench *b, __u32 repeat, struct sample *s, bool want_rx)
{
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = b->frame, .data_size_in = FRAME_LEN,
		    .repeat = repeat, .batch_size = b->batch,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
	__u64 rx0, rx1;
	double t0, t1;
	int err;

	if (bench_rx_packets(b->p.nl_b, b->p.idx_b, &rx0)) {
		fprintf(stderr, "xtap: bench veth: read %s rx counters: %s\n", b->p.if_b,
			strerror(errno));
		return -1;
	}
	/* a live-frames run stops early with EINTR on any pending signal:
	 * run it again unless the signal is ours to stop */
	for (int tries = 0;; tries++) {
		t0 = bench_now();
		err = bpf_prog_test_run_opts(bpf_program__fd(b->p.gen->progs.xdp_gen), &t);
		t1 = bench_now();
		if (!err || errno != EINTR || bench_stop || tries == 3)
			break;
		if (bench_rx_packets(b->p.nl_b, b->p.idx_b, &rx0))
			break;
	}
	if (err) {
		if (!bench_stop)
			fprintf(stderr, "xtap: bench veth: generator test run: %s\n",
				strerror(errno));
		return -1;
	}
	usleep(DRAIN_US);
	if (bench_rx_packets(b->p.nl_b, b->p.idx_b, &rx1)) {
		fprintf(stderr, "xtap: bench veth: read %s rx counters: %s\n", b->p.if_b,
			strerror(errno));
		return -1;
	}
	s->mpps = (rx1 - rx0) / (t1 - t0) / 1e6;
	s->delivered = (double)(rx1 - rx0) / repeat;
	s->gen_mpps = repeat / (t1 - t0) / 1e6;
	if (want_rx && rx1 == rx0) {
		fprintf(stderr, "xtap: bench veth: %s received nothing (no NAPI on it?)\n",
			b->p.if_b);
		return -1;
	}
	return 0;
}

static void summarize(const struct sample *s, int n, double *med, double *min, double *max,
		      double *deliv)
{
	double v[MAX_ROUNDS], d[MAX_ROUNDS];

	for (int i = 0; i < n; i++) {
		v[i] = s[i].mpps;
		d[i] = s[i].delivered;
	}
	qsort(v, n, sizeof(v[0]), bench_cmp_double);
	qsort(d, n, sizeof(d[0]), bench_cmp_double);
	*med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	*deliv = n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
	*min = v[0];
	*max = v[n - 1];
}

static void cleanup(struct bench *b)
{
	counter_off(b);
	counter_bpf__destroy(b->counter);
	b->counter = NULL;
	bench_ignore_signals();
	xtap_off(b);
	baseline_off(b);
	extra_off(b);
	bench_pair_cleanup(&b->p);
}

int main(int argc, char **argv)
{
	static struct bench b = { .batch = 64, .hooks = "xdp,tc-ingress,tc-egress", .ifaces = 1 };
	struct sample base[MAX_ROUNDS], tap[MAX_ROUNDS], pair[MAX_ROUNDS], s, gen;
	struct sample cnt[MAX_ROUNDS], cpair[MAX_ROUNDS];
	bool with_counter;
	int rounds = 7, cpu = 0, c, rc = 1;
	double secs = 0.5, bmed, bmin, bmax, bdel, xmed, xmin, xmax, xdel, ratio;
	double pmed, pmin, pmax, pdel;
	__u64 seen0[XTAP_HOOK_MAX], seen1[XTAP_HOOK_MAX];
	__u32 repeat;
	cpu_set_t set;

	bench_name = "veth";
	while ((c = getopt(argc, argv, "r:t:b:c:H:I:v")) != -1) {
		switch (c) {
		case 'r': rounds = atoi(optarg); break;
		case 't': secs = atof(optarg); break;
		case 'b': b.batch = atoi(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		case 'H': b.hooks = optarg; break;
		case 'I': b.ifaces = atoi(optarg); break;
		case 'v': b.verbose = 1; break;
		default:
			fprintf(stderr, "usage: bench_veth [-r ROUNDS] [-t SECONDS] [-b BATCH] "
					"[-c CPU] [-H HOOKS] [-I N] [-v]\n");
			return 2;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || secs <= 0 || secs > 10 || b.batch < 1 ||
	    b.batch > 256 || b.ifaces < 1 || b.ifaces > 8) {
		fprintf(stderr, "xtap: bench veth: rounds must be 1..%d, seconds 0..10, batch "
				"1..256, interfaces 1..8\n", MAX_ROUNDS);
		return 2;
	}
	b.xtap_xdp = strstr(b.hooks, "xdp") != NULL;
	/* the bare counter attached the same way, when xtap is on all three hooks */
	with_counter = !strcmp(b.hooks, "xdp,tc-ingress,tc-egress") && b.ifaces == 1;
	for (int i = 0; i < 3; i++)
		b.counter_links[i] = -1;
	if (geteuid()) {
		fprintf(stderr, "xtap: bench veth: needs root (namespaces, XDP)\n");
		return 1;
	}
	if (bench_find_xtap(b.xtap, sizeof(b.xtap)))
		return 1;

	bench_catch_signals();
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "xtap: bench veth: pin to cpu %d: %s (running unpinned)\n", cpu,
			strerror(errno));

	if (bench_pair_init(&b.p, 'v', NET, "02:78:74:00:00:01", "02:78:74:00:00:02"))
		return 1;
	b.p.verbose = b.verbose;
	if (bench_pair_setup(&b.p))
		goto cleanup;
	if (with_counter && !(b.counter = counter_bpf__open_and_load())) {
		fprintf(stderr, "xtap: bench veth: load the bare counter: %s\n", strerror(errno));
		goto cleanup;
	}
	bench_udp_frame(b.frame, FRAME_LEN, b.p.mac_a, b.p.mac_b, NET | 1, bench_pair_nobody(&b.p));
	if (extra_on(&b))
		goto cleanup;

	/* B without an XDP program has no NAPI: A's redirects to it fail and
	 * B must receive nothing. This also times the generator alone. */
	if (bench_stop || measure(&b, 1000000, &gen, false))
		goto cleanup;
	if (gen.delivered > 0.001) {
		fprintf(stderr, "xtap: bench veth: %s received %.1f%% of the frames without an XDP "
				"program\n", b.p.if_b, gen.delivered * 100);
		goto cleanup;
	}
	/* Warm up and size the runs: each measured run lasts about secs. */
	if (bench_stop || baseline_on(&b) || measure(&b, 1000000, &s, true))
		goto cleanup;
	baseline_off(&b);
	repeat = s.mpps * 1e6 / s.delivered * secs;
	repeat = repeat < REPEAT_MIN ? REPEAT_MIN : repeat > REPEAT_MAX ? REPEAT_MAX : repeat;

	printf("veth: receive rate of veth B, xtap (hooks %s, native XDP, no capture)\n"
	       "      against an empty XDP_PASS program; Mpps = B's rx_packets / test-run time\n",
	       b.hooks);
	printf("      generator: test-run live frames redirected out of veth A, 64-byte "
	       "UDP/IPv4,\n      batch %d, cpu %d (B's NAPI runs on the same cpu); %d rounds x "
	       "%u frames,\n      baseline and xtap alternating\n", b.batch, cpu, rounds, repeat);
	printf("      check: B without XDP (no NAPI) received %.0f of 1000000; generator alone "
	       "%.3f Mpps\n", gen.delivered * 1000000, gen.gen_mpps);
	printf("      target: xtap >= %.0f%% of baseline (medians)\n\n", TARGET_RATIO * 100);

	for (int r = 0; r < rounds; r++) {
		if (bench_stop || baseline_on(&b) || measure(&b, repeat, &base[r], true))
			goto cleanup;
		baseline_off(&b);
		if (bench_stop || xtap_on(&b) || xtap_counts(&b, seen0) ||
		    measure(&b, repeat, &tap[r], true) || xtap_counts(&b, seen1))
			goto cleanup;
		if (xtap_off(&b))
			goto cleanup;
		if (with_counter) {
			if (bench_stop || counter_on(&b) || measure(&b, repeat, &cnt[r], true))
				goto cleanup;
			counter_off(&b);
		}
		if (b.verbose || rounds == 1)
			printf("round %d: baseline %.3f Mpps (%.1f%% delivered), xtap %.3f Mpps "
			       "(%.1f%%); xtap saw xdp %llu, tc-ingress %llu\n", r + 1,
			       base[r].mpps, base[r].delivered * 100, tap[r].mpps,
			       tap[r].delivered * 100,
			       (unsigned long long)(seen1[XTAP_HOOK_XDP] - seen0[XTAP_HOOK_XDP]),
			       (unsigned long long)(seen1[XTAP_HOOK_TC_INGRESS] -
						    seen0[XTAP_HOOK_TC_INGRESS]));
		/* xtap must have counted what B received at each receive hook */
		__u64 got = tap[r].delivered * repeat + 0.5;
		const int rxhooks[] = { XTAP_HOOK_XDP, XTAP_HOOK_TC_INGRESS };

		for (int i = 0; i < 2; i++) {
			int h = rxhooks[i];

			if (!strstr(b.hooks, h == XTAP_HOOK_XDP ? "xdp" : "tc-ingress") ||
			    seen1[h] - seen0[h] >= got * 99 / 100)
				continue;
			fprintf(stderr, "xtap: bench veth: round %d: xtap counted %llu at %s, "
					"%s received %llu\n", r + 1,
				(unsigned long long)(seen1[h] - seen0[h]),
				h == XTAP_HOOK_XDP ? "xdp" : "tc-ingress", b.p.if_b,
				(unsigned long long)got);
			goto cleanup;
		}
	}

	summarize(base, rounds, &bmed, &bmin, &bmax, &bdel);
	summarize(tap, rounds, &xmed, &xmin, &xmax, &xdel);
	for (int r = 0; r < rounds; r++) {
		pair[r].mpps = tap[r].mpps / base[r].mpps;	/* same round: drift cancels */
		pair[r].delivered = 0;
	}
	summarize(pair, rounds, &pmed, &pmin, &pmax, &pdel);
	ratio = xmed / bmed;
	printf("%-9s %8s %8s %8s  %s\n", "Mpps", "median", "min", "max", "delivered");
	printf("%-9s %8.3f %8.3f %8.3f  %5.1f%%\n", "baseline", bmed, bmin, bmax, bdel * 100);
	printf("%-9s %8.3f %8.3f %8.3f  %5.1f%%\n", "xtap", xmed, xmin, xmax, xdel * 100);
	printf("%-9s %7.1f%% %7.1f%% %7.1f%%  (xtap/baseline within each round)\n\n", "paired",
	       pmed * 100, pmin * 100, pmax * 100);
	printf("veth: xtap/baseline %.1f%% (%.0f vs %.0f pps)  %s (target >= %.0f%%)\n",
	       ratio * 100, xmed * 1e6, bmed * 1e6, ratio >= TARGET_RATIO ? "PASS" : "MISS",
	       TARGET_RATIO * 100);
	{
		char name[128], target[32], ifs[48] = "";

		if (b.ifaces > 1)
			snprintf(ifs, sizeof(ifs), ", %d interfaces attached", b.ifaces);
		if (!strcmp(b.hooks, "xdp,tc-ingress,tc-egress") && b.ifaces == 1)
			snprintf(target, sizeof(target), "ratio>=%.2f", TARGET_RATIO);
		else
			snprintf(target, sizeof(target), "-");
		snprintf(name, sizeof(name), "rx rate, xtap on %s%s", b.hooks, ifs);
		bench_row("veth", name, xmed, "Mpps", "empty XDP", bmed, target);
		snprintf(name, sizeof(name), "added per packet, xtap on %s%s", b.hooks, ifs);
		bench_row("veth", name, 1e3 / xmed - 1e3 / bmed, "ns/pkt", NULL, 0, NULL);
		if (with_counter) {
			double cmed, cmin, cmax, cdel, qmed, qmin, qmax, qdel;

			summarize(cnt, rounds, &cmed, &cmin, &cmax, &cdel);
			for (int r = 0; r < rounds; r++) {
				cpair[r].mpps = tap[r].mpps / cnt[r].mpps;
				cpair[r].delivered = 0;
			}
			summarize(cpair, rounds, &qmed, &qmin, &qmax, &qdel);
			printf("veth: xtap/bare counter %.1f%% (paired %.1f%% .. %.1f%%), bare counter "
			       "%.3f Mpps, %.1f%% of the baseline  %s (target >= %.0f%%)\n",
			       qmed * 100, qmin * 100, qmax * 100, cmed, cmed / bmed * 100,
			       qmed >= COUNTER_TARGET ? "PASS" : "MISS", COUNTER_TARGET * 100);
			snprintf(target, sizeof(target), "ratio>=%.2f", COUNTER_TARGET);
			snprintf(name, sizeof(name), "rx rate, xtap on %s, against the bare counter",
				 b.hooks);
			bench_row_ratio("veth", name, xmed, "Mpps", "bare counter, same hooks", cmed,
					qmed, target);
			snprintf(name, sizeof(name), "rx rate, bare counter on %s", b.hooks);
			bench_row("veth", name, cmed, "Mpps", "empty XDP", bmed, NULL);
		}
		bench_note("veth", "veth B's rx_packets / test-run time of a live-frames generator "
			   "redirecting 64-byte UDP out of veth A (same cpu), medians of %d rounds of "
			   "%u frames, baseline and xtap alternating", rounds, repeat);
	}
	rc = 0;
cleanup:
	if (bench_stop)
		fprintf(stderr, "xtap: bench veth: interrupted, cleaning up\n");
	cleanup(&b);
	return bench_stop ? 1 : rc;
}
