// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Per-packet cost of a translated capture filter on a frame it rejects,
 * against the empty XDP_PASS program, with BPF_PROG_TEST_RUN: the kernel
 * runs each program `repeat` times on one frame and reports the average
 * duration in ns. Rounds alternate the programs so that drift hits all of
 * them; the medians are printed with the difference to the empty program.
 * The target (tcp port 80 costs at most 10 ns more than nothing) is
 * printed, never enforced. One ROW per filter goes to bench/run.sh
 * (bench/row.h).
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

#include "user/filter.h"
#include "tests/fixtures/pkt.h"
#include "empty.skel.h"
#include "bench/row.h"

#define TARGET_NS 10.0
#define MAX_ROUNDS 101

static const char *const ten_clause =
	"host 10.0.0.1 and host 10.0.0.2 and tcp and not port 22 and ip[8] > 1 and len > 40 "
	"and not net 192.168.0.0/16 and ip[6] & 0x20 = 0 and tcp[13] & 2 != 0 and dst port 80";

struct prog {
	const char *name;
	int fd;
	double ns[MAX_ROUNDS];
	double med;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int run(int fd, const struct pb *b, unsigned repeat, double *ns, unsigned *retval)
{
	static unsigned char out[PB_MAX + 512];
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = b->d, .data_size_in = (unsigned)b->len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &t))
		return -errno;
	*ns = t.duration;
	*retval = t.retval;
	return 0;
}

static int load_filter(const char *expr, int *fd)
{
	struct xtap_filter f;
	char err[512];

	if (xtap_filter_compile(expr, 262144, &f, err, sizeof(err))) {
		fprintf(stderr, "bench_filter: '%s': %s\n", expr, err);
		return -1;
	}
	*fd = xtap_filter_load(&f, NULL, err, sizeof(err));
	if (*fd < 0)
		fprintf(stderr, "bench_filter: '%s': %s\n", expr, err);
	else
		printf("  '%s': %zu eBPF instructions\n", expr, f.len);
	xtap_filter_free(&f);
	return *fd < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct empty_bpf *skel = NULL;
	struct prog progs[3] = { { .name = "empty XDP program" }, { .name = "tcp port 80" },
				 { .name = "ten-clause expression" } };
	unsigned rounds = 21, repeat = 1000000;
	int cpu = -1, opt, ret = 1;
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

	skel = empty_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "bench_filter: load the empty program: %s (needs root)\n",
			strerror(errno));
		goto cleanup;
	}
	progs[0].fd = bpf_program__fd(skel->progs.xdp_pass);
	progs[1].fd = progs[2].fd = -1;
	printf("bench_filter: %u rounds of %u runs on a %zu-byte TCP frame to port 443\n", rounds,
	       repeat, b.len);
	if (load_filter("tcp port 80", &progs[1].fd) || load_filter(ten_clause, &progs[2].fd))
		goto cleanup;

	for (unsigned r = 0; r < rounds; r++) {
		for (int p = 0; p < 3; p++) {
			unsigned rv = 0;
			int err = run(progs[p].fd, &b, repeat, &progs[p].ns[r], &rv);

			if (err) {
				fprintf(stderr, "bench_filter: test run of %s: %s\n", progs[p].name,
					strerror(-err));
				goto cleanup;
			}
			if (p > 0 && rv != 0) {
				fprintf(stderr, "bench_filter: %s accepted the frame (%u)\n",
					progs[p].name, rv);
				goto cleanup;
			}
		}
	}
	for (int p = 0; p < 3; p++) {
		qsort(progs[p].ns, rounds, sizeof(double), cmp_double);
		progs[p].med = progs[p].ns[rounds / 2];
	}
	/* The VM here switches between a fast and a slow state that scales
	 * every program alike: the minimums are compared as well. */
	printf("%-24s %9s %9s %9s %10s %10s\n", "program", "median", "min", "max", "vs empty",
	       "(by min)");
	for (int p = 0; p < 3; p++)
		printf("%-24s %6.2f ns %6.2f ns %6.2f ns %+7.2f ns %+7.2f ns\n", progs[p].name,
		       progs[p].med, progs[p].ns[0], progs[p].ns[rounds - 1],
		       progs[p].med - progs[0].med, progs[p].ns[0] - progs[0].ns[0]);
	printf("target: tcp port 80 on a rejected packet at most %+.0f ns over empty: %s "
	       "(medians %+.2f ns, minimums %+.2f ns)\n", TARGET_NS,
	       progs[1].med - progs[0].med <= TARGET_NS ? "met" : "NOT met",
	       progs[1].med - progs[0].med, progs[1].ns[0] - progs[0].ns[0]);
	bench_row("filter", "tcp port 80, rejected", progs[1].med, "ns/pkt", "empty XDP",
		  progs[0].med, "diff<=10");
	bench_row("filter", "ten-clause expression, rejected", progs[2].med, "ns/pkt", "empty XDP",
		  progs[0].med, "-");
	bench_note("filter", "BPF_PROG_TEST_RUN of the translated filter alone, median of %u "
		   "rounds x %u runs, programs alternating; %zu-byte TCP frame to port 443", rounds,
		   repeat, b.len);
	ret = 0;
cleanup:
	for (int p = 1; p < 3; p++)
		if (progs[p].fd >= 0)
			close(progs[p].fd);
	empty_bpf__destroy(skel);
	return ret;
}
