// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Builds of the data plane side by side: where the time of a packet goes.
 * Loads each object file given (kern/xtap.bpf.c built with or without a
 * part, or from another commit), plus the bare counter and the empty
 * program, and runs them on the same frames at one hook with
 * BPF_PROG_TEST_RUN in rounds whose order rotates. Prints each build's
 * median, the median of its per-round ratios to the first build and to the
 * bare counter, and those ratios' quartiles. Hops at 1 in 16, as attached.
 *
 * With -F N (XDP only), bench/scale.bpf.c cycles N flows into each program
 * (as bench_scale does), each table sized to at least N, filled first.
 *
 * usage: bench_variants [-r ROUNDS] [-n REPEAT] [-c CPU] [-H xdp|tc-ingress|tc-egress]
 *                       [-S SAMPLING] [-F NFLOWS] OBJ...
 * Not part of `make bench`: a tool for measuring a change.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/pkt_cls.h>

#include "loader/live.h"
#include "maps/xtap.h"
#include "tests/fixtures/pkt.h"
#include "empty.skel.h"
#include "bench/counter.skel.h"
#include "bench/scale.skel.h"
#include "bench/lib.h"

#define MAX_OBJS 8
#define MAX_ROUNDS 201
#define NFR 4

static const char *hook_prog[3] = { "xdp_tap", "tc_tap_ingress", "tc_tap_egress" };

static struct scale_bpf *cycler;

static int run(int fd, __u32 pass, const struct pb *f, int repeat, double *ns)
{
	if (cycler) {
		__u32 zero = 0;

		if (bpf_map_update_elem(bpf_map__fd(cycler->maps.scale_next), &zero, &fd, 0))
			return -errno;
		fd = bpf_program__fd(cycler->progs.xdp_cycle);
	}
	{
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = f->d, .data_size_in = (__u32)f->len,
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &t))
		return -errno;
	if (t.retval != pass)
		return -EPROTO;
	*ns = t.duration;
	return 0;
	}
}

static void frames(struct pb *f, const char **names)
{
	static const uint8_t ts[] = { 1, 1, 8, 10, 0, 1, 0xe2, 0x40, 0, 9, 0xfb, 0xf1 };

	pb_init(&f[0], PB_MAC_B, PB_MAC_A);
	pb_ipv4(&f[0], &(struct pb_ip4){ .saddr = PB_IP4(10, 0, 0, 1), .daddr = PB_IP4(10, 0, 0, 2) });
	pb_tcp(&f[0], &(struct pb_tcp){ .sport = 40000, .dport = 443, .seq = 1000, .ack = 2000,
					.flags = PB_ACK });
	pb_payload(&f[0], NULL, 10);
	pb_finish(&f[0]);
	names[0] = "ipv4 tcp ack 64B";

	pb_init(&f[1], PB_MAC_B, PB_MAC_A);
	pb_ipv4(&f[1], &(struct pb_ip4){ .saddr = PB_IP4(10, 0, 0, 1), .daddr = PB_IP4(10, 0, 0, 2) });
	pb_tcp(&f[1], &(struct pb_tcp){ .sport = 40002, .dport = 443, .seq = 1000, .ack = 2000,
					.flags = PB_ACK | PB_PSH, .opts = ts, .opts_len = sizeof(ts) });
	pb_payload(&f[1], NULL, 32);
	pb_finish(&f[1]);
	names[1] = "ipv4 tcp data+ts 98B";

	pb_init(&f[2], PB_MAC_B, PB_MAC_A);
	pb_ipv4(&f[2], &(struct pb_ip4){ .saddr = PB_IP4(10, 0, 0, 1), .daddr = PB_IP4(10, 0, 0, 2) });
	pb_udp(&f[2], 40000, 9);
	pb_payload(&f[2], NULL, 22);
	pb_finish(&f[2]);
	names[2] = "ipv4 udp 64B";

	pb_init(&f[3], PB_MAC_B, PB_MAC_A);
	pb_ipv4(&f[3], &(struct pb_ip4){ .saddr = PB_IP4(10, 0, 0, 1), .daddr = PB_IP4(10, 0, 0, 2) });
	pb_tcp(&f[3], &(struct pb_tcp){ .sport = 40003, .dport = 443, .seq = 1000, .ack = 2000,
					.flags = PB_SYN });
	pb_finish(&f[3]);
	names[3] = "ipv4 tcp syn 54B";
}

static void quart(double *v, int n, double *q1, double *q2, double *q3)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	*q1 = v[n / 4];
	*q2 = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	*q3 = v[(3 * n) / 4];
}

int main(int argc, char **argv)
{
	static double v[MAX_OBJS + 2][MAX_ROUNDS], ra[MAX_OBJS + 2][MAX_ROUNDS],
		rc[MAX_OBJS + 2][MAX_ROUNDS];
	struct bpf_object *obj[MAX_OBJS] = { 0 };
	struct empty_bpf *e = NULL;
	struct counter_bpf *k = NULL;
	int rounds = 21, repeat = 200000, cpu = 0, hook = 0, c, nobj, np, ret = 1;
	__u32 sampling = 1, nflows = 0, tsize = XTAP_FLOWS_DEFAULT;
	struct scale_bpf *sc = NULL;
	int fd[MAX_OBJS + 2];
	const char *label[MAX_OBJS + 2], *fname[NFR];
	struct pb f[NFR];
	cpu_set_t set;

	while ((c = getopt(argc, argv, "r:n:c:H:S:F:h")) != -1) {
		switch (c) {
		case 'r': rounds = atoi(optarg); break;
		case 'n': repeat = atoi(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		case 'S': sampling = atoi(optarg); break;
		case 'F': nflows = atoi(optarg); break;
		case 'H':
			hook = !strcmp(optarg, "xdp") ? 0 : !strcmp(optarg, "tc-ingress") ? 1 :
			       !strcmp(optarg, "tc-egress") ? 2 : -1;
			break;
		default:
			hook = -1;
		}
	}
	nobj = argc - optind;
	if (hook < 0 || nobj < 1 || nobj > MAX_OBJS || rounds < 1 || rounds > MAX_ROUNDS ||
	    repeat < 1) {
		fprintf(stderr, "usage: bench_variants [-r ROUNDS] [-n REPEAT] [-c CPU] "
				"[-H xdp|tc-ingress|tc-egress] [-S SAMPLING] OBJ... (1 to %d)\n",
			MAX_OBJS);
		return 2;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	if (nflows) {
		if (hook || nflows > (1u << 24)) {
			fprintf(stderr, "xtap: bench variants: -F: XDP only, 1 to 2^24 flows\n");
			return 2;
		}
		while (tsize < nflows + nflows / 16)
			tsize *= 2;
		sc = scale_bpf__open_and_load();
		if (!sc) {
			fprintf(stderr, "xtap: bench variants: load the cycler: %s\n", strerror(errno));
			goto cleanup;
		}
		sc->bss->nflows = nflows;
	}
	e = empty_bpf__open_and_load();
	k = counter_bpf__open();
	if (k && (bpf_map__set_max_entries(k->maps.counter_flows, tsize) || counter_bpf__load(k))) {
		counter_bpf__destroy(k);
		k = NULL;
	}
	if (!e || !k) {
		fprintf(stderr, "xtap: bench variants: load the baselines: %s\n", strerror(errno));
		goto cleanup;
	}
	fd[0] = bpf_program__fd(hook ? e->progs.tc_pass : sc ? sc->progs.xdp_pass : e->progs.xdp_pass);
	fd[1] = bpf_program__fd(hook ? k->progs.counter_tc : k->progs.counter_xdp);
	label[0] = "empty";
	label[1] = "counter";
	for (int i = 0; i < nobj; i++) {
		const char *path = argv[optind + i];
		struct xtap_hop_cfg hcfg = { .sample_shift = XTAP_HOP_SAMPLE_SHIFT_DEFAULT,
					     .configured = 1 };
		struct bpf_map *m;
		struct bpf_program *p;
		__u32 zero = 0;

		obj[i] = bpf_object__open_file(path, NULL);
		m = obj[i] ? bpf_object__find_map_by_name(obj[i], "xtap_flows") : NULL;
		if (m)
			bpf_map__set_max_entries(m, tsize);
		if (!obj[i] || bpf_object__load(obj[i])) {
			fprintf(stderr, "xtap: bench variants: load %s: %s\n", path, strerror(errno));
			goto cleanup;
		}
		/* the settings: in the live section, or in the maps of a build
		 * from before it */
		m = bpf_object__find_map_by_name(obj[i], ".data.live");
		if (m) {
			struct xtap_live *l = xtap_live_map(bpf_map__fd(m));

			if (!l) {
				fprintf(stderr, "xtap: bench variants: %s: map the settings: %s\n",
					path, strerror(errno));
				goto cleanup;
			}
			l->hop = hcfg;
			l->flow.sampling = sampling;
			xtap_live_unmap(l);
		}
		m = bpf_object__find_map_by_name(obj[i], "xtap_hop_cfg");
		if (m)
			bpf_map_update_elem(bpf_map__fd(m), &zero, &hcfg, 0);
		m = bpf_object__find_map_by_name(obj[i], "xtap_flow_cfg");
		if (m) {
			struct xtap_flow_cfg fc = { .sampling = sampling };

			bpf_map_update_elem(bpf_map__fd(m), &zero, &fc, 0);
		}
		p = bpf_object__find_program_by_name(obj[i], hook_prog[hook]);
		if (!p) {
			fprintf(stderr, "xtap: bench variants: %s: no %s\n", path, hook_prog[hook]);
			goto cleanup;
		}
		fd[2 + i] = bpf_program__fd(p);
		label[2 + i] = path;
	}
	np = nobj + 2;
	frames(f, fname);
	cycler = sc;
	if (nflows)
		printf("%u flows cycled, tables of %u entries\n", nflows, tsize);
	printf("variants at %s: %d rounds x %d runs, cpu %d, order rotated; ratios are medians "
	       "(quartiles) of per-round ratios\n", hook_prog[hook], rounds, repeat, cpu);
	for (int fr = 0; fr < NFR; fr++) {
		__u32 pass = hook ? (__u32)TC_ACT_UNSPEC : XDP_PASS;
		double dummy;

		for (int p = 0; p < np; p++)
			if (run(fd[p], pass, &f[fr], nflows ? (int)nflows : 1, &dummy)) {
				fprintf(stderr, "xtap: bench variants: %s: test run failed\n", label[p]);
				goto cleanup;
			}
		for (int r = 0; r < rounds; r++) {
			for (int j = 0; j < np; j++) {
				int p = (r + j) % np;

				if (run(fd[p], pass, &f[fr], repeat, &v[p][r])) {
					fprintf(stderr, "xtap: bench variants: %s: test run failed\n",
						label[p]);
					goto cleanup;
				}
			}
			for (int p = 0; p < np; p++) {
				ra[p][r] = v[2][r] > 0 ? v[p][r] / v[2][r] : 0;
				rc[p][r] = v[1][r] > 0 ? v[p][r] / v[1][r] : 0;
			}
		}
		printf("\n%s\n%-44s %8s %22s %22s\n", fname[fr], "program", "ns", "/first (q1-q3)",
		       "/counter (q1-q3)");
		for (int p = 0; p < np; p++) {
			double a1, a2, a3, c1, c2, c3, m = bench_median(v[p], rounds);

			quart(ra[p], rounds, &a1, &a2, &a3);
			quart(rc[p], rounds, &c1, &c2, &c3);
			printf("%-44s %8.1f %7.3f (%.3f-%.3f) %7.3f (%.3f-%.3f)\n", label[p], m, a2, a1,
			       a3, c2, c1, c3);
		}
	}
	ret = 0;
cleanup:
	for (int i = 0; i < nobj; i++)
		bpf_object__close(obj[i]);
	empty_bpf__destroy(e);
	counter_bpf__destroy(k);
	scale_bpf__destroy(sc);
	return ret;
}
