// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Per-packet cost of a capture filter in the real capture path, on a frame
 * it rejects, with BPF_PROG_TEST_RUN: the xtap data-plane program (XDP and
 * TC egress) with no capture running, against the same program with one
 * capture running whose filter is `tcp port 80`, then a ten-clause
 * expression (one tail call to the filter, which rejects and returns).
 * The kernel runs each program `repeat` times on one frame and reports the
 * average duration in ns.
 *
 * The VM this runs on swings between a fast and a slow state (2x) that
 * scales every program alike, within seconds. So every figure is a pair of
 * runs taken back to back: no capture and the capture, in alternating order
 * (ABBA over the rounds), and the figure is the median over the rounds of
 * the pair's difference, with its quartiles as the spread. The target (tcp
 * port 80 costs at most 10 ns more than no capture) is printed, never
 * enforced.
 *
 * usage: bench_filter [-r ROUNDS] [-n REPEAT] [-c CPU]
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
#include <linux/if_ether.h>
#include <netinet/in.h>

#include "loader/loader.h"
#include "user/capslot.h"
#include "user/filter.h"
#include "tests/fixtures/pkt.h"
#include "bench/lib.h"

#define TARGET_NS 10.0
#define MAX_ROUNDS 1001

static const char *const ten_clause =
	"host 10.0.0.1 and host 10.0.0.2 and tcp and not port 22 and ip[8] > 1 and len > 40 "
	"and not net 192.168.0.0/16 and ip[6] & 0x20 = 0 and tcp[13] & 2 != 0 and dst port 80";

#define NSETUPS 3
#define NHOOKS 2

static const char *const setups[NSETUPS] = { "no capture", "tcp port 80", "ten-clause expression" };

/* Per hook and capture setup (1..NSETUPS-1), per round: the pair's runs. */
struct cell {
	double none[MAX_ROUNDS], with[MAX_ROUNDS], diff[MAX_ROUNDS];
};

/* The q-quantile of v[0..n) (sorted), interpolated. */
static double quantile(const double *v, unsigned n, double q)
{
	double x = q * (n - 1);
	unsigned i = (unsigned)x;

	return i + 1 < n ? v[i] + (x - i) * (v[i + 1] - v[i]) : v[n - 1];
}

static int run(int fd, const struct pb *b, unsigned repeat, double *ns)
{
	static unsigned char out[PB_MAX + 512];
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = b->d, .data_size_in = (unsigned)b->len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &t))
		return -errno;
	*ns = t.duration;
	return 0;
}

/* Puts setup s's filter (1, 2) in capture id's program array entries. */
static int set_filter(struct xtap_capslot *c, int s)
{
	const char *expr = s == 1 ? "tcp port 80" : ten_clause;
	struct sock_filter *classic = NULL;
	char err[XTAP_FILTER_ERRLEN];
	size_t n = 0;
	int r;

	if (xtap_filter_classic(expr, XTAP_FILTER_SNAP, &classic, &n, err, sizeof(err))) {
		fprintf(stderr, "bench_filter: '%s': %s\n", expr, err);
		return -1;
	}
	r = xtap_capslot_filter(c, classic, n, err, sizeof(err));
	free(classic);
	if (r)
		fprintf(stderr, "bench_filter: '%s': %s\n", expr, err);
	return r ? -1 : 0;
}

/* The capture running (on) or not. */
static int set_running(struct xtap_capslot *c, int on)
{
	struct xtap_capture_cfg cfg = { .hooks = 7, .gen = 1 };
	int r;

	if (!on) {
		xtap_capslot_off(c);
		return 0;
	}
	r = xtap_capslot_start(c, &cfg);
	if (r)
		fprintf(stderr, "bench_filter: capture on: %s\n", strerror(-r));
	return r ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct xtap_load_opts lo = { .replay = true, .flows_max = 1024 };
	static const char *const hook_name[NHOOKS] = { "xdp", "tc-egress" };
	static struct cell cells[NHOOKS][NSETUPS];
	double med[NHOOKS][NSETUPS][2];	/* no capture; the paired difference */
	struct xtap_bpf *skel = NULL;
	struct xtap_capmaps maps;
	struct xtap_capslot cap = { 0 };
	unsigned rounds = 61, repeat = 200000;
	int cpu = -1, opt, ret = 1, fds[NHOOKS], err;
	__u64 captured, dropped;
	struct pb b;

	while ((opt = getopt(argc, argv, "r:n:c:")) != -1) {
		switch (opt) {
		case 'r': rounds = (unsigned)atoi(optarg); break;
		case 'n': repeat = (unsigned)atoi(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: bench_filter [-r ROUNDS] [-n REPEAT] [-c CPU]\n");
			return 2;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || repeat < 1) {
		fprintf(stderr, "bench_filter: rounds 1..%d, repeat >= 1\n", MAX_ROUNDS);
		return 2;
	}
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			fprintf(stderr, "bench_filter: cpu %d: %s\n", cpu, strerror(errno));
	}

	/* TCP 10.0.0.1:1000 -> 10.0.0.2:443, ACK: rejected by both filters,
	 * the ten-clause one only at its last clauses */
	pb_init(&b, PB_MAC_B, PB_MAC_A);
	pb_ipv4(&b, &(struct pb_ip4){ .saddr = PB_IP4(10, 0, 0, 1), .daddr = PB_IP4(10, 0, 0, 2),
				      .id = 1 });
	pb_tcp(&b, &(struct pb_tcp){ .sport = 1000, .dport = 443, .flags = PB_ACK });
	pb_payload(&b, NULL, 64);
	pb_finish(&b);

	err = xtap_load(&lo, &skel);
	if (err) {
		fprintf(stderr, "bench_filter: load the programs: %s (needs root)\n", strerror(-err));
		goto cleanup;
	}
	fds[0] = bpf_program__fd(skel->progs.xdp_tap);
	fds[1] = bpf_program__fd(skel->progs.tc_tap_egress);
	xtap_capmaps_of(skel, &maps);
	err = xtap_capslot_claim(&cap, &maps);
	if (!err)
		err = xtap_capslot_rings(&cap, 1, 1u << 20);
	if (err) {
		fprintf(stderr, "bench_filter: capture ring: %s\n", strerror(-err));
		goto cleanup;
	}
	printf("bench_filter: %u rounds of %u runs of the xtap programs on a %zu-byte TCP frame "
	       "to port 443\n", rounds, repeat, b.len);

	for (unsigned r = 0; r < rounds; r++) {
		for (int s = 1; s < NSETUPS; s++) {
			if (set_filter(&cap, s))
				goto cleanup;
			/* ABBA: no capture first in even rounds, last in odd ones */
			for (int k = 0; k < 2; k++) {
				int on = (int)((r + k) & 1);

				if (set_running(&cap, on))
					goto cleanup;
				for (int h = 0; h < NHOOKS; h++) {
					struct cell *c = &cells[h][s];

					err = run(fds[h], &b, repeat, on ? &c->with[r] : &c->none[r]);
					if (err) {
						fprintf(stderr, "bench_filter: test run at %s: %s\n",
							hook_name[h], strerror(-err));
						goto cleanup;
					}
				}
			}
			for (int h = 0; h < NHOOKS; h++)
				cells[h][s].diff[r] = cells[h][s].with[r] - cells[h][s].none[r];
		}
	}
	set_running(&cap, 0);
	/* the filters rejected every frame: nothing reached the ring */
	xtap_capslot_counts(&cap, &captured, &dropped);
	if (captured || dropped) {
		fprintf(stderr, "bench_filter: the filters let %llu frames through\n",
			(unsigned long long)(captured + dropped));
		goto cleanup;
	}
	printf("%-10s %-22s %9s %9s %9s   %s\n", "hook", "capture", "none", "with", "added",
	       "added: quartiles, min-max; with/none");
	for (int h = 0; h < NHOOKS; h++) {
		for (int s = 1; s < NSETUPS; s++) {
			struct cell *c = &cells[h][s];
			double *d = c->diff, ratio[MAX_ROUNDS];

			for (unsigned r = 0; r < rounds; r++)
				ratio[r] = c->none[r] > 0 ? c->with[r] / c->none[r] : 0;
			qsort(c->none, rounds, sizeof(double), bench_cmp_double);
			qsort(c->with, rounds, sizeof(double), bench_cmp_double);
			qsort(d, rounds, sizeof(double), bench_cmp_double);
			qsort(ratio, rounds, sizeof(double), bench_cmp_double);
			med[h][s][0] = quantile(c->none, rounds, 0.5);
			med[h][s][1] = quantile(d, rounds, 0.5);
			printf("%-10s %-22s %6.1f ns %6.1f ns %+6.1f ns   %+.1f..%+.1f, %+.1f..%+.1f; "
			       "%.3f\n", hook_name[h], setups[s], med[h][s][0],
			       quantile(c->with, rounds, 0.5), med[h][s][1], quantile(d, rounds, 0.25),
			       quantile(d, rounds, 0.75), d[0], d[rounds - 1],
			       quantile(ratio, rounds, 0.5));
		}
	}
	for (int h = 0; h < NHOOKS; h++)
		printf("target at %s: tcp port 80 on a rejected packet at most %+.0f ns over no "
		       "capture: %s (median of the paired differences %+.1f ns)\n", hook_name[h],
		       TARGET_NS, med[h][1][1] <= TARGET_NS ? "met" : "NOT met", med[h][1][1]);
	/* value: the no-capture median plus the median paired difference, so
	 * that run.sh's diff (value - baseline) is the paired figure */
	for (int h = 0; h < NHOOKS; h++) {
		char name[64];

		snprintf(name, sizeof(name), "%s: tcp port 80, rejected", hook_name[h]);
		bench_row("filter", name, med[h][1][0] + med[h][1][1], "ns/pkt", "no capture",
			  med[h][1][0], "diff<=10");
		snprintf(name, sizeof(name), "%s: ten-clause expression, rejected", hook_name[h]);
		bench_row("filter", name, med[h][2][0] + med[h][2][1], "ns/pkt", "no capture",
			  med[h][2][0], "-");
	}
	bench_note("filter", "BPF_PROG_TEST_RUN of the xtap program with one capture running "
		   "whose filter rejects the frame, against no capture, in back-to-back pairs "
		   "(ABBA); the figure is the no-capture median plus the median of the %u pairs' "
		   "differences (%u runs each)", rounds, repeat);
	ret = 0;
cleanup:
	xtap_capslot_stop(&cap);
	if (skel)
		xtap_unload(skel);
	return ret;
}
