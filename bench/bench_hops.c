// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Per-packet cost of the hop tracking (kern/lib/hop.h) against the same core
 * built without it (-DXTAP_FEATURE_HOPS=0), in the same run:
 *
 *   every packet (--hop-sample 1): BPF_PROG_TEST_RUN repeats one frame at
 *     one hook. At XDP every run finds its own sighting (lookup, rewrite)
 *     and stamps the metadata; at TC ingress every run looks the
 *     fingerprint up (no stamp reaches an skb test run, so this is the
 *     fallback path).
 *   a matched hop: the frame alternates between TC egress and XDP, one run
 *     at a time, so that every run matches the other point's sighting and
 *     adds a hop to a histogram. Timed with the kernel's run-time
 *     statistics (BPF_ENABLE_STATS), which leave the syscall out; they are
 *     on only for these runs.
 *   outside the sample: 1 in 16 followed, a frame the sample leaves out.
 *   1 in 16 (default, what xtap attach sets): 15 of 16 packets at the cost
 *     outside the sample, 1 at the cost of a followed one.
 *
 * Rounds alternate the two builds so that drift hits both, and each ratio
 * is the median of the rounds' own ratios (the builds of a round run back
 * to back). The target is printed, never enforced; ROW and NOTE lines
 * (bench/lib.h) go to bench/run.sh.
 *
 * usage: bench_hops [-r ROUNDS] [-n REPEAT] [-c CPU]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include "loader/live.h"
#include "loader/loader.h"
#include "user/maps.h"
#include "tests/fixtures/pkt.h"
#include "bench/xtap_nohops.skel.h"
#include "bench/lib.h"

#define TARGET_RATIO 1.15
#define MAX_ROUNDS 101

struct variant {
	const char *name;
	int xdp, tc_in, tc_eg;	/* program fds */
};

static int run(int fd, const struct pb *f, int repeat, int xdp, double *ns)
{
	unsigned char out[PB_MAX + 64];
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = f->d, .data_size_in = (__u32)f->len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &t)) {
		fprintf(stderr, "xtap: bench_hops: test run: %s\n", strerror(errno));
		return -1;
	}
	if ((int)t.retval != (xdp ? XDP_PASS : TC_ACT_UNSPEC)) {
		fprintf(stderr, "xtap: bench_hops: verdict %d\n", (int)t.retval);
		return -1;
	}
	if (ns)
		*ns = t.duration;
	return 0;
}

/* Sorts a copy: the rounds stay in order for the paired ratios. */
static double median(const double *v, int n)
{
	double c[MAX_ROUNDS];

	memcpy(c, v, (size_t)n * sizeof(*c));
	return bench_median(c, n);
}

static int prog_stats(int fd, __u64 *ns, __u64 *cnt)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*ns = info.run_time_ns;
	*cnt = info.run_cnt;
	return 0;
}

/* Alternate TC egress and XDP n times; ns per run of each, from the
 * kernel's run-time statistics. */
static int hop_path(const struct variant *v, const struct pb *f, int n, double *xdp_ns,
		    double *tc_ns)
{
	__u64 x0 = 0, xc0 = 0, t0 = 0, tc0 = 0, x1 = 0, xc1 = 0, t1 = 0, tc1 = 0;

	if (prog_stats(v->xdp, &x0, &xc0) || prog_stats(v->tc_eg, &t0, &tc0))
		return -1;
	for (int i = 0; i < n; i++)
		if (run(v->tc_eg, f, 1, 0, NULL) || run(v->xdp, f, 1, 1, NULL))
			return -1;
	if (prog_stats(v->xdp, &x1, &xc1) || prog_stats(v->tc_eg, &t1, &tc1))
		return -1;
	if (xc1 == xc0 || tc1 == tc0)
		return -1;
	*xdp_ns = (double)(x1 - x0) / (double)(xc1 - xc0);
	*tc_ns = (double)(t1 - t0) / (double)(tc1 - tc0);
	return 0;
}

/* The median over rounds of hops / no hops, each round's two builds run
 * back to back: the VM's drift between rounds cancels out. */
static double paired(const double *base, const double *hops, int n)
{
	double r[MAX_ROUNDS];

	for (int i = 0; i < n; i++)
		r[i] = base[i] > 0 ? hops[i] / base[i] : 0;
	return median(r, n);
}

/* The ROW line of a case for bench/run.sh (bench/lib.h). */
static void row(const char *what, double base, double hops, double ratio)
{
	char name[96], target[32];

	snprintf(name, sizeof(name), "ipv4 tcp 64B, %s", what);
	snprintf(target, sizeof(target), "ratio<=%.2f", TARGET_RATIO);
	bench_row_ratio("hops", name, hops, "ns/pkt", "core without hops", base, ratio, target);
}

static void show(const char *what, double base, double hops, double r)
{
	printf("%-42s %9.1f %9.1f %7.2fx  %s\n", what, base, hops, r,
	       r > 0 && r <= TARGET_RATIO ? "PASS" : "MISS");
	row(what, base, hops, r);
}

static void line(const char *what, const double *base, const double *hops, int n)
{
	double r = paired(base, hops, n);

	show(what, median(base, n), median(hops, n), r);
}

int main(int argc, char **argv)
{
	struct xtap_load_opts lo = { .replay = false, .flows_max = 1024 };
	struct xtap_bpf *hskel = NULL;
	struct xtap_nohops_bpf *nskel = NULL;
	struct variant v[2];
	double s[2][2][MAX_ROUNDS], u[2][2][MAX_ROUNDS], hx[2][MAX_ROUNDS], ht[2][MAX_ROUNDS];
	int rounds = 31, repeat = 20000, cpu = 0, c, ret = 1, stats_fd = -1;
	struct pb f;
	cpu_set_t set;

	while ((c = getopt(argc, argv, "r:n:c:h")) != -1) {
		switch (c) {
		case 'r': rounds = atoi(optarg); break;
		case 'n': repeat = atoi(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: bench_hops [-r ROUNDS] [-n REPEAT] [-c CPU]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || repeat < 10) {
		fprintf(stderr, "xtap: bench_hops: rounds must be 1..%d and repeat at least 10\n",
			MAX_ROUNDS);
		return 2;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "xtap: bench_hops: pin to cpu %d: %s (running unpinned)\n", cpu,
			strerror(errno));
	if (xtap_load(&lo, &hskel)) {
		fprintf(stderr, "xtap: bench_hops: load xtap: %s\n", strerror(errno));
		goto cleanup;
	}
	/* the same settings as xtap_load gives the other build */
	nskel = xtap_nohops_bpf__open();
	if (nskel && (bpf_map__set_max_entries(nskel->maps.xtap_flows, lo.flows_max) ||
		      xtap_nohops_bpf__load(nskel))) {
		xtap_nohops_bpf__destroy(nskel);
		nskel = NULL;
	}
	if (!nskel) {
		fprintf(stderr, "xtap: bench_hops: load the build without hops: %s\n", strerror(errno));
		goto cleanup;
	}
	/* on only around the hop path: while on, every run also pays the
	 * kernel's two clock reads, which would dilute the steady rows */
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0)
		fprintf(stderr, "xtap: bench_hops: run-time statistics: %s (hop path skipped)\n",
			strerror(errno));
	else
		close(stats_fd);
	v[0] = (struct variant){ "no hops", bpf_program__fd(nskel->progs.xdp_tap),
				 bpf_program__fd(nskel->progs.tc_tap_ingress),
				 bpf_program__fd(nskel->progs.tc_tap_egress) };
	v[1] = (struct variant){ "hops", bpf_program__fd(hskel->progs.xdp_tap),
				 bpf_program__fd(hskel->progs.tc_tap_ingress),
				 bpf_program__fd(hskel->progs.tc_tap_egress) };

	/* 64 bytes: IPv4 TCP ACK with 10 bytes of payload */
	{
		struct pb_ip4 ip = { .saddr = PB_IP4(10, 0, 0, 1), .daddr = PB_IP4(10, 0, 0, 2),
				     .id = 1, .frag = PB_IP_DF };
		struct pb_tcp t = { .sport = 40000, .dport = 443, .seq = 1000, .ack = 2000,
				    .flags = PB_ACK };

		pb_init(&f, PB_MAC_B, PB_MAC_A);
		pb_ipv4(&f, &ip);
		pb_tcp(&f, &t);
		pb_payload(&f, NULL, 10);
		pb_finish(&f);
	}
	/* warm up: flows, sightings and histograms exist */
	for (int k = 0; k < 2; k++)
		if (run(v[k].xdp, &f, 1, 1, NULL) || run(v[k].tc_in, &f, 1, 0, NULL) ||
		    run(v[k].tc_eg, &f, 1, 0, NULL))
			goto cleanup;

	for (int i = 0; i < rounds; i++) {
		for (int j = 0; j < 2; j++) {
			int k = (i + j) % 2;	/* alternate which build goes first */

			if (run(v[k].xdp, &f, repeat, 1, &s[k][0][i]) ||
			    run(v[k].tc_in, &f, repeat, 0, &s[k][1][i]))
				goto cleanup;
			if (stats_fd >= 0) {
				int sfd = bpf_enable_stats(BPF_STATS_RUN_TIME);
				int bad = sfd < 0 ||
					  hop_path(&v[k], &f, repeat / 100, &hx[k][i], &ht[k][i]);

				if (sfd >= 0)
					close(sfd);
				if (bad)
					goto cleanup;
			}
		}
	}
	/* sampled out: 1 in 16 followed (what xtap attach sets by default); a frame
	 * whose fingerprint is not in the sample */
	{
		int sfd = bpf_map__fd(hskel->maps.xtap_stats);
		struct pb g;
		int found = 0;

		xtap_live_set(&xtap_live_of(hskel)->hop.sample_shift, 4);
		for (__u32 seq = 5000; seq < 5000 + 64 && !found; seq++) {
			struct pb_ip4 ip = { .saddr = PB_IP4(10, 0, 0, 1), .daddr = PB_IP4(10, 0, 0, 2),
					     .id = 1, .frag = PB_IP_DF };
			struct pb_tcp t = { .sport = 40000, .dport = 443, .seq = seq, .ack = 2000,
					    .flags = PB_ACK };
			struct xtap_stats a, b;

			pb_init(&g, PB_MAC_B, PB_MAC_A);
			pb_ipv4(&g, &ip);
			pb_tcp(&g, &t);
			pb_payload(&g, NULL, 10);
			pb_finish(&g);
			if (xtap_stats_read(sfd, XTAP_POINT(0, XTAP_HOOK_XDP), &a) ||
			    run(v[1].xdp, &g, 1, 1, NULL) ||
			    xtap_stats_read(sfd, XTAP_POINT(0, XTAP_HOOK_XDP), &b))
				goto cleanup;
			found = a.c[XTAP_STAT_HOP_FIRST] == b.c[XTAP_STAT_HOP_FIRST] &&
				a.c[XTAP_STAT_HOP_REPEAT] == b.c[XTAP_STAT_HOP_REPEAT] &&
				a.c[XTAP_STAT_HOP_MATCHED] == b.c[XTAP_STAT_HOP_MATCHED];
		}
		if (!found) {
			fprintf(stderr, "xtap: bench_hops: no frame outside the 1-in-16 sample\n");
			goto cleanup;
		}
		for (int i = 0; i < rounds; i++)
			for (int j = 0; j < 2; j++) {
				int k = (i + j) % 2;

				if (run(v[k].xdp, &g, repeat, 1, &u[k][0][i]) ||
				    run(v[k].tc_in, &g, repeat, 0, &u[k][1][i]))
					goto cleanup;
			}
	}

	printf("hops: the core with hop tracking vs without (-DXTAP_FEATURE_HOPS=0), ns/packet\n");
	printf("      %d rounds; steady: %d test-run repeats; hop: %d alternating runs, kernel "
	       "run-time stats\n", rounds, repeat, repeat / 100);
	printf("      target hops/no-hops <= %.2fx (median); indicative on a shared machine\n\n",
	       TARGET_RATIO);
	printf("%-42s %9s %9s %8s\n", "case (ipv4 tcp 64B)", "no hops", "hops", "ratio");
	line("xdp, every packet (--hop-sample 1)", s[0][0], s[1][0], rounds);
	line("tc ingress, every packet (--hop-sample 1)", s[0][1], s[1][1], rounds);
	if (stats_fd >= 0) {
		line("xdp, a matched hop, every packet", hx[0], hx[1], rounds);
		line("tc egress, a matched hop, every packet", ht[0], ht[1], rounds);
	}
	line("xdp, a packet outside the sample", u[0][0], u[1][0], rounds);
	line("tc ingress, a packet outside the sample", u[0][1], u[1][1], rounds);
	/* 1 in 16 followed: 15 packets at the sampled-out cost, 1 at the
	 * followed one, each round's own pairs */
	for (int h = 0; h < 2; h++) {
		double r[MAX_ROUNDS];

		for (int i = 0; i < rounds; i++)
			r[i] = 1 + (u[1][h][i] / u[0][h][i] - 1) * 15 / 16 +
			       (s[1][h][i] / s[0][h][i] - 1) / 16;
		show(h ? "tc ingress, 1 in 16 (default)" : "xdp, 1 in 16 (default)",
		     median(s[0][h], rounds), median(s[0][h], rounds) * median(r, rounds),
		     median(r, rounds));
	}
	bench_note("hops", "bench_hops: xtap.bpf.o against the same core built with "
		   "-DXTAP_FEATURE_HOPS=0, BPF_PROG_TEST_RUN, %d rounds alternating; every "
		   "packet: %d repeats of one frame at one hook; a matched hop: %d runs "
		   "alternating TC egress and XDP, kernel run-time stats (on only then); 1 in 16: "
		   "15/16 of the cost outside the sample plus 1/16 of every packet's; ratio: the "
		   "median of the rounds' paired ratios", rounds, repeat, repeat / 100);
	ret = 0;
cleanup:
	xtap_nohops_bpf__destroy(nskel);
	if (hskel)
		xtap_unload(hskel);
	return ret;
}
