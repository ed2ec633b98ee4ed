// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Per-packet cost of the HTTP/DNS timing: the xtap XDP program against the
 * same core built with -DXTAP_FEATURE_LATENCY=0 (build/bench/xtap_nolat.bpf.o),
 * measured with BPF_PROG_TEST_RUN in the same run, rounds alternating.
 *
 * Frames: a data segment of an established flow that is not HTTP (the hot
 * path: a length test and one 4-byte compare), the same to port 80 (one more
 * hash lookup), a request line, and a DNS query. test-run repeats one frame,
 * so a repeated request line is parsed and then recognised as a
 * retransmission (same sequence), and a repeated query as a retransmitted id;
 * "request line, new" sends a new sequence number each run (one run per
 * call, so each figure carries the test-run's own timing overhead, the same
 * for both programs). Figures are printed, never enforced: a table, and one
 * ROW per frame for bench/run.sh (bench/lib.h).
 *
 * usage: bench_app [-r ROUNDS] [-n REPEAT] [-c CPU] [-o NOLAT_OBJECT]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <netinet/in.h>

#include "bench/lib.h"
#include "loader/loader.h"
#include "tests/fixtures/pkt.h"

#define MAX_ROUNDS 101
#define NEW_RUNS 20000

struct frame {
	const char *name;
	struct pb b;
	int new_seq;		/* rewrite the TCP sequence before every run */
};

static void tcp_frame(struct frame *f, const char *name, __u16 dport, const void *data, size_t len)
{
	pb_init(&f->b, PB_MAC_A, PB_MAC_B);
	pb_ipv4(&f->b, &(struct pb_ip4){ .saddr = PB_IP4(10, 0, 0, 1), .daddr = PB_IP4(10, 0, 0, 2) });
	pb_tcp(&f->b, &(struct pb_tcp){ .sport = 40000, .dport = dport, .seq = 1000, .ack = 1,
					 .flags = PB_ACK | PB_PSH });
	pb_payload(&f->b, data, len);
	pb_finish(&f->b);
	f->name = name;
}

static void dns_frame(struct frame *f)
{
	static const __u8 q[] = {
		0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
		0x00, 0x01, 0x00, 0x01,
	};

	pb_init(&f->b, PB_MAC_A, PB_MAC_B);
	pb_ipv4(&f->b, &(struct pb_ip4){ .saddr = PB_IP4(10, 0, 0, 1), .daddr = PB_IP4(10, 0, 0, 3) });
	pb_udp(&f->b, 40000, 53);
	pb_payload(&f->b, q, sizeof(q));
	pb_finish(&f->b);
	f->name = "dns query (same id)";
}

/* Average ns per run of prog_fd over the frame. */
static int run(int fd, struct frame *f, int repeat, double *ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = f->b.d, .data_size_in = (__u32)f->b.len,
		    .repeat = f->new_seq ? 1 : repeat);
	int calls = f->new_seq ? NEW_RUNS : 1;
	double sum = 0;

	for (int i = 0; i < calls; i++) {
		if (f->new_seq) {
			static __u32 seq = 2000;
			size_t at = f->b.l4 + 4;

			seq += 100;
			f->b.d[at] = seq >> 24;
			f->b.d[at + 1] = seq >> 16;
			f->b.d[at + 2] = seq >> 8;
			f->b.d[at + 3] = seq;
		}
		if (bpf_prog_test_run_opts(fd, &t)) {
			fprintf(stderr, "xtap: bench %s: test run: %s\n", f->name, strerror(errno));
			return -1;
		}
		if (t.retval != XDP_PASS) {
			fprintf(stderr, "xtap: bench %s: verdict %u\n", f->name, t.retval);
			return -1;
		}
		sum += t.duration;
	}
	*ns = sum / calls;
	return 0;
}


static int bench(int base_fd, int app_fd, struct frame *f, int rounds, int repeat, double *mb,
		 double *ma)
{
	double b[MAX_ROUNDS], a[MAX_ROUNDS], dummy;

	/* the first packet makes the flow (and the HTTP/DNS entry) */
	if (run(app_fd, f, 1, &dummy) || run(base_fd, f, 1, &dummy))
		return -1;
	for (int i = 0; i < rounds; i++) {
		if (i % 2 == 0) {
			if (run(base_fd, f, repeat, &b[i]) || run(app_fd, f, repeat, &a[i]))
				return -1;
		} else {
			if (run(app_fd, f, repeat, &a[i]) || run(base_fd, f, repeat, &b[i]))
				return -1;
		}
	}
	*mb = bench_median(b, rounds);
	*ma = bench_median(a, rounds);
	return 0;
}

int main(int argc, char **argv)
{
	static const char req[] = "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n"
				  "User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";
	static const __u8 tls[] = { 0x17, 0x03, 0x03, 0x00, 0x20, 0xde, 0xad, 0xbe, 0xef, 0x01 };
	struct xtap_load_opts lo = { .replay = false };
	struct xtap_bpf *skel = NULL;
	struct bpf_object *base = NULL;
	struct bpf_program *bp;
	struct frame fr[5];
	char path[PATH_MAX], self[PATH_MAX];
	const char *obj = NULL;
	int rounds = 7, repeat = 1000000, cpu = 0, c, ret = 1, err;
	ssize_t sl;
	cpu_set_t set;

	while ((c = getopt(argc, argv, "r:n:c:o:h")) != -1) {
		switch (c) {
		case 'r': rounds = atoi(optarg); break;
		case 'n': repeat = atoi(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		case 'o': obj = optarg; break;
		default:
			fprintf(stderr, "usage: bench_app [-r ROUNDS] [-n REPEAT] [-c CPU] [-o NOLAT_OBJECT]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || repeat < 1) {
		fprintf(stderr, "xtap: bench: rounds must be 1..%d and repeat positive\n", MAX_ROUNDS);
		return 2;
	}
	if (!obj) {
		sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (sl < 0) {
			fprintf(stderr, "xtap: bench: /proc/self/exe: %s\n", strerror(errno));
			return 1;
		}
		self[sl] = '\0';
		snprintf(path, sizeof(path), "%s/xtap_nolat.bpf.o", dirname(self));
		obj = path;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "xtap: bench: pin to cpu %d: %s (running unpinned)\n", cpu,
			strerror(errno));

	err = xtap_load(&lo, &skel);
	if (err) {
		fprintf(stderr, "xtap: bench: load xtap: %s\n", strerror(-err));
		goto cleanup;
	}
	base = bpf_object__open_file(obj, NULL);
	if (!base || bpf_object__load(base)) {
		fprintf(stderr, "xtap: bench: load %s: %s\n", obj, strerror(errno));
		goto cleanup;
	}
	bp = bpf_object__find_program_by_name(base, "xdp_tap");
	if (!bp) {
		fprintf(stderr, "xtap: bench: %s: no xdp_tap\n", obj);
		goto cleanup;
	}

	memset(fr, 0, sizeof(fr));
	tcp_frame(&fr[0], "tcp data, not HTTP", 443, tls, sizeof(tls));
	tcp_frame(&fr[1], "tcp data to port 80", 80, tls, sizeof(tls));
	tcp_frame(&fr[2], "request line (retx)", 8080, req, sizeof(req) - 1);
	tcp_frame(&fr[3], "request line, new", 8081, req, sizeof(req) - 1);
	fr[3].new_seq = 1;
	dns_frame(&fr[4]);

	printf("app: xtap xdp_tap vs the same core without HTTP/DNS timing (%s)\n", obj);
	printf("     ns/packet from BPF_PROG_TEST_RUN, median of %d rounds x %d runs, cpu %d\n\n",
	       rounds, repeat, cpu);
	printf("%-22s %10s %10s %9s %8s\n", "frame", "without", "with", "added", "ratio");
	for (int i = 0; i < 5; i++) {
		double mb, ma;

		if (bench(bpf_program__fd(bp), bpf_program__fd(skel->progs.xdp_tap), &fr[i], rounds,
			  repeat, &mb, &ma))
			goto cleanup;
		printf("%-22s %10.1f %10.1f %9.1f %7.2fx\n", fr[i].name, mb, ma, ma - mb,
		       mb > 0 ? ma / mb : 0);
		/* the budget: a data segment at most 10% over the core */
		bench_row("app", fr[i].name, ma, "ns", "without HTTP/DNS timing", mb,
			  i == 0 ? "ratio<=1.10" : "-");
	}
	printf("\n(\"request line, new\": %d calls of one run each per round)\n", NEW_RUNS);
	ret = 0;
cleanup:
	bpf_object__close(base);
	if (skel)
		xtap_unload(skel);
	return ret;
}
