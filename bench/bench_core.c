// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Per-packet cost of the xtap XDP program against an empty XDP_PASS program,
 * measured with BPF_PROG_TEST_RUN: the kernel runs the program `repeat` times
 * on one frame and reports the average duration in ns. Rounds alternate
 * empty and xtap so that drift hits both. The target is printed, never
 * enforced: the exit code is 0 unless something failed to run. Besides the
 * table it prints one ROW per frame for bench/run.sh (bench/lib.h); the
 * target (issue: the core on a TCP ACK of an existing flow) is on that row.
 *
 * In the same rounds, the same program built with -DXTAP_FEATURE_LATENCY=0
 * (no retransmissions, passive RTT, histograms, HTTP or DNS): the cost the
 * latency features add, per frame, against that core ("+lat"). Target: at
 * most +10% on a data segment of an established flow.
 *
 * TLS (kern/lib/tls.h): a ClientHello row, and in paired rounds the same
 * program against one built with -DXTAP_FEATURE_TLS=0 on segments that are
 * not TLS, beside an A/A pairing of the program with itself: what TLS adds
 * to them should stay inside that spread.
 *
 * The local cgroup of flows (kern/lib/owner.h): the same pairing at TC
 * egress against a program built with -DXTAP_FEATURE_OWNER=0, on packets of
 * a flow already looked at.
 *
 * usage: bench_core [-r ROUNDS] [-n REPEAT] [-c CPU] [-v]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <netinet/in.h>

#include "loader/live.h"
#include "loader/loader.h"
#include "user/log.h"
#include "user/maps.h"
#include "empty.skel.h"
#include "bench/counter.skel.h"
#include "bench/lib.h"
#include "bench/xtap_nolat.skel.h"
#include "bench/xtap_notls.skel.h"
#include "bench/xtap_noowner.skel.h"

#define TARGET_RATIO 2.0
#define LAT_TARGET 1.10	/* xtap / core without the latency features */
#define SAMPLED_OUT_TARGET 1.3	/* a packet left out of the flow sample / empty */
#define NFRAMES 9
#define MAX_ROUNDS 101

struct frame {
	const char *name;
	unsigned char buf[640];
	__u32 len;
	int has_flow;		/* 1: the packet belongs to a flow entry */
	int lat_target;		/* 1: a data segment of an established flow */
};

struct result {
	double med, min, max;
};

static unsigned char *eth(unsigned char *b, __u16 proto)
{
	static const unsigned char dst[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const unsigned char src[6] = { 0x02, 0, 0, 0, 0, 0x01 };

	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	bench_put16(b + 12, proto);
	return b + ETH_HLEN;
}

static unsigned char *ipv4(unsigned char *b, __u8 proto, __u16 tot_len)
{
	b[0] = 0x45;
	bench_put16(b + 2, tot_len);
	bench_put16(b + 6, 0x4000);	/* DF */
	b[8] = 64;
	b[9] = proto;
	bench_put32(b + 12, 0x0a000001);	/* 10.0.0.1 */
	bench_put32(b + 16, 0x0a000002);	/* 10.0.0.2 */
	return b + 20;
}

static unsigned char *tcp_port(unsigned char *b, __u16 sport, __u8 doff, __u8 flags)
{
	bench_put16(b, sport);
	bench_put16(b + 2, 443);
	bench_put32(b + 4, 1000);
	bench_put32(b + 8, 2000);
	b[12] = doff << 4;
	b[13] = flags;
	bench_put16(b + 14, 65535);
	return b + 20;
}

static unsigned char *tcp(unsigned char *b, __u8 doff, __u8 flags)
{
	return tcp_port(b, 40000, doff, flags);
}

/* 64 bytes: Ethernet, IPv4, TCP ACK, 10 bytes of payload. */
static void frame_ipv4_tcp(struct frame *f)
{
	unsigned char *p = eth(f->buf, ETH_P_IP);

	p = ipv4(p, IPPROTO_TCP, 20 + 20 + 10);
	tcp(p, 5, 0x10);
	f->name = "ipv4 tcp ack 64B";
	f->len = 64;
	f->has_flow = 1;
	f->lat_target = 1;
}

/* 98 bytes: IPv4 TCP PSH|ACK with NOP NOP TS and 32 bytes of data, as Linux
 * sends on an established connection; its own flow. */
static void frame_ipv4_tcp_data_ts(struct frame *f)
{
	unsigned char *p = eth(f->buf, ETH_P_IP), *o;

	p = ipv4(p, IPPROTO_TCP, 20 + 32 + 32);
	o = tcp_port(p, 40002, 8, 0x18);
	o[0] = 1;
	o[1] = 1;
	o[2] = 8;
	o[3] = 10;
	bench_put32(o + 4, 123456);
	bench_put32(o + 8, 654321);
	f->name = "ipv4 tcp data+ts 98B";
	f->len = ETH_HLEN + 20 + 32 + 32;
	f->has_flow = 1;
	f->lat_target = 1;
}

/* 74 bytes: IPv4 TCP SYN with Linux's options (MSS, SACK permitted, TS,
 * NOP, window scale); its own flow, so every run after the first is a
 * retransmitted SYN on the slow path. */
static void frame_ipv4_syn(struct frame *f)
{
	unsigned char *p = eth(f->buf, ETH_P_IP), *o;

	p = ipv4(p, IPPROTO_TCP, 20 + 40);
	o = tcp_port(p, 40001, 10, 0x02);
	o[0] = 2;		/* MSS 1460 */
	o[1] = 4;
	bench_put16(o + 2, 1460);
	o[4] = 4;		/* SACK permitted */
	o[5] = 2;
	o[6] = 8;		/* TS */
	o[7] = 10;
	bench_put32(o + 8, 123456);
	bench_put32(o + 12, 0);
	o[16] = 1;		/* NOP, window scale 7 */
	o[17] = 3;
	o[18] = 3;
	o[19] = 7;
	f->name = "ipv4 tcp syn 74B";
	f->len = ETH_HLEN + 20 + 40;
	f->has_flow = 1;
}

/* 64 bytes: Ethernet, IPv4, UDP to the discard port, 22 bytes of payload. */
static void frame_ipv4_udp(struct frame *f)
{
	unsigned char *p = eth(f->buf, ETH_P_IP);

	p = ipv4(p, IPPROTO_UDP, 20 + 8 + 22);
	bench_put16(p, 40000);
	bench_put16(p + 2, 9);
	bench_put16(p + 4, 8 + 22);
	f->name = "ipv4 udp 64B";
	f->len = 64;
	f->has_flow = 1;
}

/* 114 bytes: the TCP ACK of frame_ipv4_tcp inside VXLAN (VNI 42) between
 * two tunnel ends: a flow of its own, keyed on the inner headers. */
static void frame_ipv4_vxlan_tcp(struct frame *f)
{
	unsigned char *p = eth(f->buf, ETH_P_IP);
	struct frame in = { 0 };

	frame_ipv4_tcp(&in);
	p = ipv4(p, IPPROTO_UDP, 20 + 8 + 8 + in.len);
	bench_put32(p - 8, 0xc0a80101);	/* 192.168.1.1 */
	bench_put32(p - 4, 0xc0a80102);	/* 192.168.1.2 */
	bench_put16(p, 50000);
	bench_put16(p + 2, 4789);
	bench_put16(p + 4, 8 + 8 + in.len);
	p += 8;
	p[0] = 0x08;	/* VNI valid */
	bench_put32(p + 4, 42 << 8);
	memcpy(p + 8, in.buf, in.len);
	f->name = "ipv4 vxlan tcp ack 114B";
	f->len = ETH_HLEN + 20 + 8 + 8 + in.len;
	f->has_flow = 1;
}

/* 64 bytes: the same datagram to port 53, a DNS query header (id 0x1234,
 * no question) and 10 bytes: every run after the first is a retransmitted
 * query, timed by the DNS code (bench_app measures that part). */
static void frame_ipv4_dns(struct frame *f)
{
	unsigned char *p = eth(f->buf, ETH_P_IP);

	p = ipv4(p, IPPROTO_UDP, 20 + 8 + 22);
	bench_put16(p, 5353);
	bench_put16(p + 2, 53);
	bench_put16(p + 4, 8 + 22);
	bench_put16(p + 8, 0x1234);
	f->name = "ipv4 udp dns query 64B";
	f->len = 64;
	f->has_flow = 1;
}

/* 86 bytes: Ethernet, IPv6, TCP ACK with NOP NOP TS (doff 8). */
static void frame_ipv6_tcp_ts(struct frame *f)
{
	unsigned char *p = eth(f->buf, ETH_P_IPV6);
	unsigned char *o;

	p[0] = 0x60;
	bench_put16(p + 4, 32);
	p[6] = IPPROTO_TCP;
	p[7] = 64;
	p[8] = 0x20;		/* 2001:db8::1 -> 2001:db8::2 */
	p[9] = 0x01;
	p[10] = 0x0d;
	p[11] = 0xb8;
	p[23] = 1;
	memcpy(p + 24, p + 8, 16);
	p[39] = 2;
	o = tcp(p + 40, 8, 0x10);
	o[0] = 1;
	o[1] = 1;
	o[2] = 8;
	o[3] = 10;
	bench_put32(o + 4, 123456);
	bench_put32(o + 8, 654321);
	f->name = "ipv6 tcp ack+ts 86B";
	f->len = ETH_HLEN + 40 + 32;
	f->has_flow = 1;
	f->lat_target = 1;
}

static unsigned char *put_be(unsigned char *b, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--)
		*b++ = v >> (8 * i);
	return b;
}

/* 571 bytes: IPv4 TCP PSH|ACK carrying a 517-byte TLS 1.3 ClientHello record
 * as curl sends one (SNI, ALPN h2 and http/1.1, supported_versions, an
 * X25519 key share, padding); its own flow, so every run after the first
 * parses it and finds the hello already taken. */
static void frame_ipv4_client_hello(struct frame *f)
{
	static const char sni[] = "www.example.com", alpn[] = "\x02h2\x08http/1.1";
	unsigned char *p = eth(f->buf, ETH_P_IP), *h, *x, *ext;
	size_t sl = sizeof(sni) - 1, al = sizeof(alpn) - 1;

	p = ipv4(p, IPPROTO_TCP, 20 + 20 + 517);
	h = tcp_port(p, 40003, 5, 0x18);
	x = put_be(h, 0x160301, 3);
	x = put_be(x, 512, 2);
	x = put_be(x, 0x01000000 | 508, 4);
	x = put_be(x, 0x0303, 2);
	memset(x, 0x42, 32 + 1 + 32);	/* random, session id */
	x[32] = 32;
	x += 65;
	x = put_be(x, 6, 2);
	x = put_be(x, 0x13021303, 4);
	x = put_be(x, 0x1301, 2);
	x = put_be(x, 0x0100, 2);
	ext = x;
	x += 2;
	x = put_be(x, 0, 2);		/* server_name */
	x = put_be(x, sl + 5, 2);
	x = put_be(x, sl + 3, 2);
	x = put_be(x, 0, 1);
	x = put_be(x, sl, 2);
	memcpy(x, sni, sl);
	x += sl;
	x = put_be(x, 16, 2);		/* ALPN */
	x = put_be(x, al + 2, 2);
	x = put_be(x, al, 2);
	memcpy(x, alpn, al);
	x += al;
	x = put_be(x, 43, 2);		/* supported_versions */
	x = put_be(x, 5, 2);
	x = put_be(x, 4, 1);
	x = put_be(x, 0x03040303, 4);
	x = put_be(x, 51, 2);		/* key_share: x25519 */
	x = put_be(x, 38, 2);
	x = put_be(x, 36, 2);
	x = put_be(x, 29, 2);
	x = put_be(x, 32, 2);
	memset(x, 0x17, 32);
	x += 32;
	x = put_be(x, 21, 2);		/* padding up to the record's end */
	x = put_be(x, h + 517 - x - 2, 2);
	memset(x, 0, h + 517 - x);
	put_be(ext, h + 517 - ext - 2, 2);
	f->name = "ipv4 tls clienthello";
	f->len = ETH_HLEN + 20 + 20 + 517;
	f->has_flow = 1;
}

/* 60 bytes: Ethernet, ARP request, padding. No flow. */
static void frame_arp(struct frame *f)
{
	unsigned char *p = eth(f->buf, ETH_P_ARP);

	bench_put16(p, 1);		/* Ethernet */
	bench_put16(p + 2, ETH_P_IP);
	p[4] = 6;
	p[5] = 4;
	bench_put16(p + 6, 1);	/* request */
	memcpy(p + 8, f->buf + 6, 6);
	bench_put32(p + 14, 0x0a000001);
	bench_put32(p + 24, 0x0a000002);
	f->name = "arp 60B";
	f->len = 60;
	f->has_flow = 0;
}

/* The hooks, each with its own build of every program. */
struct hook {
	const char *name;	/* in rows: "xdp_tap", "tc ingress", "tc egress" */
	__u32 point;		/* XTAP_POINT(0, hook): its counters */
	__u32 pass;		/* the verdict that lets the packet go on */
	int fd[4];		/* empty, counter, xtap, xtap without latency */
};

enum { P_EMPTY, P_COUNTER, P_XTAP, P_NOLAT, NPROGS };

/* Average ns per run of prog_fd over the frame, repeat times. */
static int run(int prog_fd, __u32 pass, const struct frame *f, int repeat, double *ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = f->buf, .data_size_in = f->len,
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &t)) {
		fprintf(stderr, "xtap: bench %s: test run: %s\n", f->name, strerror(errno));
		return -1;
	}
	if (t.retval != pass) {
		fprintf(stderr, "xtap: bench %s: verdict %u, not %u\n", f->name, t.retval, pass);
		return -1;
	}
	*ns = t.duration;
	return 0;
}

static struct result summarize(double *v, int n)
{
	struct result r;

	qsort(v, n, sizeof(*v), bench_cmp_double);
	r.min = v[0];
	r.max = v[n - 1];
	r.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return r;
}

/* Rounds of the four programs on one frame at one hook, the order rotated
 * each round; r[p] the programs' figures, q[p] the medians of the per-round
 * ratios to the counter (q[P_COUNTER]: the counter's to the empty program). */
static int bench_frame(const struct hook *h, const struct frame *f, int rounds, int repeat,
		       struct result *r, double *q)
{
	double v[NPROGS][MAX_ROUNDS], ratio[NPROGS][MAX_ROUNDS], dummy;

	/* the first packet creates the flow; every measured one finds it */
	for (int p = 0; p < NPROGS; p++)
		if (run(h->fd[p], h->pass, f, p == P_EMPTY ? repeat / 10 + 1 : 1, &dummy))
			return -1;
	for (int i = 0; i < rounds; i++) {
		for (int j = 0; j < NPROGS; j++) {
			int p = (i + j) % NPROGS;

			if (run(h->fd[p], h->pass, f, repeat, &v[p][i]))
				return -1;
		}
		for (int p = 0; p < NPROGS; p++) {
			double base = p == P_COUNTER ? v[P_EMPTY][i] : v[P_COUNTER][i];

			ratio[p][i] = base > 0 ? v[p][i] / base : 0;
		}
	}
	for (int p = 0; p < NPROGS; p++) {
		q[p] = bench_median(ratio[p], rounds);
		r[p] = summarize(v[p], rounds);
	}
	return 0;
}

/* A feature against the same program built without it, in paired rounds:
 * what the feature adds to packets it should leave alone. */
struct paired {
	const char *name;	/* the bench/run.sh ROW group: "tls", "owner" */
	const char *hook;	/* "xdp_tap", "tc egress" */
	const char *base;	/* the baseline's column, "-tls" */
	const char *what;	/* its description for the ROW */
	__u32 pass;		/* the verdict */
};

/*
 * The established-flow data frames: xtap against xtap without the feature,
 * and xtap against itself, in paired rounds with the order alternating. Per
 * round the ratio of the pair; the medians of both are printed with the
 * spread of the A/A ratios, which is what this machine can tell apart.
 */
static int bench_paired(const struct paired *pd, int xtap_fd, int base_fd, const struct frame *frames,
			int rounds, int repeat)
{
	printf("%-22s %8s %8s %8s %10s %17s  %s\n", "frame", "xtap", pd->base, "ratio", "A/A",
	       "A/A min..max", "verdict");
	for (int i = 0; i < NFRAMES; i++) {
		double x[MAX_ROUNDS], n[MAX_ROUNDS], r[MAX_ROUNDS], aa[MAX_ROUNDS], a1, a2, dummy;
		struct result rx, rn, rr, ra;
		char rowname[64];
		__u32 v = pd->pass;
		int within;

		if (!frames[i].lat_target)
			continue;
		if (run(base_fd, v, &frames[i], 1, &dummy) || run(xtap_fd, v, &frames[i], 1, &dummy))
			return -1;
		for (int k = 0; k < rounds; k++) {
			int first = k & 1;

			if (run(first ? base_fd : xtap_fd, v, &frames[i], repeat, first ? &n[k] : &x[k]) ||
			    run(first ? xtap_fd : base_fd, v, &frames[i], repeat, first ? &x[k] : &n[k]) ||
			    run(xtap_fd, v, &frames[i], repeat, &a1) || run(xtap_fd, v, &frames[i], repeat, &a2))
				return -1;
			r[k] = n[k] > 0 ? x[k] / n[k] : 0;
			aa[k] = a2 > 0 ? (first ? a2 / a1 : a1 / a2) : 0;
		}
		rx = summarize(x, rounds);
		rn = summarize(n, rounds);
		rr = summarize(r, rounds);
		ra = summarize(aa, rounds);
		within = rr.med >= ra.min && rr.med <= ra.max;
		printf("%-22s %8.1f %8.1f %7.3fx %9.3fx %8.3f..%-8.3f  %s\n", frames[i].name, rx.med,
		       rn.med, rr.med, ra.med, ra.min, ra.max,
		       within ? "within the A/A spread" : "OUTSIDE the A/A spread");
		snprintf(rowname, sizeof(rowname), "%s %s", pd->hook, frames[i].name);
		bench_row(pd->name, rowname, rx.med, "ns/pkt", pd->what, rn.med, "-");
	}
	return 0;
}

/* TLS on segments that are not TLS, at XDP. */
static int bench_tls(int xtap_fd, int notls_fd, const struct frame *frames, int rounds, int repeat)
{
	static const struct paired pd = { "tls", "xdp_tap", "-tls", "xdp_tap without TLS", XDP_PASS };

	printf("\ntls: xtap vs xtap without TLS (-tls) on segments that are not TLS, paired rounds;\n"
	       "     A/A: xtap against itself, the spread this machine can tell apart\n");
	if (bench_paired(&pd, xtap_fd, notls_fd, frames, rounds, repeat))
		return -1;
	bench_note("tls", "paired rounds against xtap built with -DXTAP_FEATURE_TLS=0; the A/A "
		   "spread is xtap against itself in the same rounds");
	return 0;
}

/* The local socket's cgroup (kern/lib/owner.h) at TC egress, on packets of
 * a flow that was looked at already: test-run skbs have no socket, so the
 * first packet of the flow looks and finds none, and the rest take the
 * path of a flow that has its owner. */
static int bench_owner(int xtap_fd, int noowner_fd, const struct frame *frames, int rounds, int repeat)
{
	static const struct paired pd = { "owner", "tc egress", "-owner",
					  "tc egress without the cgroup", (__u32)TC_ACT_UNSPEC };

	printf("\nowner: xtap vs xtap without the local cgroup (-owner) at TC egress, on packets\n"
	       "       of a flow already looked at, paired rounds; A/A: xtap against itself\n");
	if (bench_paired(&pd, xtap_fd, noowner_fd, frames, rounds, repeat))
		return -1;
	bench_note("owner", "paired rounds at tc egress against xtap built with "
		   "-DXTAP_FEATURE_OWNER=0; the A/A spread is xtap against itself in the same rounds");
	return 0;
}

static int flow_count(int map_fd, size_t *n)
{
	struct xtap_flow_entry *f = NULL;
	int err = xtap_flows_read(map_fd, -1, XTAP_SORT_KEY, &f, n);

	free(f);
	return err;
}

int main(int argc, char **argv)
{
	struct frame frames[NFRAMES] = { 0 };
	struct xtap_load_opts lo = { .replay = false };
	struct xtap_bpf *xskel = NULL;
	struct empty_bpf *eskel = NULL;
	struct counter_bpf *kskel = NULL;
	struct xtap_nolat_bpf *cskel = NULL;
	struct xtap_notls_bpf *nskel = NULL;
	struct xtap_noowner_bpf *oskel = NULL;
	int rounds = 7, repeat = 1000000, cpu = 0, c, ret = 1, err, misses = 0, ntarget = 0;
	int lat_misses = 0, nlat = 0, nflow = 0;
	size_t nflows = 0;
	cpu_set_t set;

	while ((c = getopt(argc, argv, "r:n:c:vh")) != -1) {
		switch (c) {
		case 'r': rounds = atoi(optarg); break;
		case 'n': repeat = atoi(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		case 'v': xtap_log_init(true); break;
		default:
			fprintf(stderr, "usage: bench_core [-r ROUNDS] [-n REPEAT] [-c CPU] [-v]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || repeat < 1) {
		fprintf(stderr, "xtap: bench: rounds must be 1..%d and repeat positive\n", MAX_ROUNDS);
		return 2;
	}
	/* one CPU: the per-CPU counters checked below and less scheduler noise */
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "xtap: bench: pin to cpu %d: %s (running unpinned)\n", cpu,
			strerror(errno));

	err = xtap_load(&lo, &xskel);
	if (err) {
		fprintf(stderr, "xtap: bench: load xtap: %s\n", strerror(-err));
		goto cleanup;
	}
	eskel = empty_bpf__open_and_load();
	if (!eskel) {
		fprintf(stderr, "xtap: bench: load empty: %s\n", strerror(errno));
		goto cleanup;
	}
	kskel = counter_bpf__open_and_load();
	if (!kskel) {
		fprintf(stderr, "xtap: bench: load the bare counter: %s\n", strerror(errno));
		goto cleanup;
	}
	cskel = xtap_nolat_bpf__open_and_load();
	if (!cskel) {
		fprintf(stderr, "xtap: bench: load xtap without latency: %s\n", strerror(errno));
		goto cleanup;
	}
	nskel = xtap_notls_bpf__open_and_load();
	if (!nskel) {
		fprintf(stderr, "xtap: bench: load xtap without TLS: %s\n", strerror(errno));
		goto cleanup;
	}
	oskel = xtap_noowner_bpf__open_and_load();
	if (!oskel) {
		fprintf(stderr, "xtap: bench: load xtap without the cgroup: %s\n", strerror(errno));
		goto cleanup;
	}

	/* the default configuration, as xtap attach writes it: hops 1 in 16 */
	struct xtap_hop_cfg hcfg = { .sample_shift = XTAP_HOP_SAMPLE_SHIFT_DEFAULT, .configured = 1 };

	xtap_live_of(xskel)->hop = hcfg;
	cskel->data_live->xtap_live.hop = hcfg;
	nskel->data_live->xtap_live.hop = hcfg;
	oskel->data_live->xtap_live.hop = hcfg;

	frame_ipv4_tcp(&frames[0]);
	frame_ipv4_udp(&frames[1]);
	frame_ipv6_tcp_ts(&frames[2]);
	frame_arp(&frames[3]);
	frame_ipv4_tcp_data_ts(&frames[4]);
	frame_ipv4_syn(&frames[5]);
	frame_ipv4_dns(&frames[6]);
	frame_ipv4_client_hello(&frames[7]);
	frame_ipv4_vxlan_tcp(&frames[8]);
	for (int i = 0; i < NFRAMES; i++)
		nflow += frames[i].has_flow;

	struct hook hooks[3] = {
		{ "xdp_tap", XTAP_POINT(0, XTAP_HOOK_XDP), XDP_PASS,
		  { bpf_program__fd(eskel->progs.xdp_pass), bpf_program__fd(kskel->progs.counter_xdp),
		    bpf_program__fd(xskel->progs.xdp_tap), bpf_program__fd(cskel->progs.xdp_tap) } },
		{ "tc ingress", XTAP_POINT(0, XTAP_HOOK_TC_INGRESS), (__u32)TC_ACT_UNSPEC,
		  { bpf_program__fd(eskel->progs.tc_pass), bpf_program__fd(kskel->progs.counter_tc),
		    bpf_program__fd(xskel->progs.tc_tap_ingress),
		    bpf_program__fd(cskel->progs.tc_tap_ingress) } },
		{ "tc egress", XTAP_POINT(0, XTAP_HOOK_TC_EGRESS), (__u32)TC_ACT_UNSPEC,
		  { bpf_program__fd(eskel->progs.tc_pass), bpf_program__fd(kskel->progs.counter_tc),
		    bpf_program__fd(xskel->progs.tc_tap_egress),
		    bpf_program__fd(cskel->progs.tc_tap_egress) } },
	};

	printf("core: xtap against the bare counter (bench/counter.bpf.c) and the empty program,\n"
	       "      ns/packet from BPF_PROG_TEST_RUN, %d rounds x %d runs, cpu %d, the order\n"
	       "      rotated each round; ratios are medians of per-round ratios.\n"
	       "      target xtap/counter <= %.1fx on TCP ACK, ACK+ts, data and UDP at every hook;\n"
	       "      -lat: xtap built without the latency features, target xtap/-lat <= %.2fx\n"
	       "      at XDP on data segments of an established flow (*)\n\n",
	       rounds, repeat, cpu, TARGET_RATIO, LAT_TARGET);
	printf("%-10s %-22s %-8s %8s %8s %8s %8s  %s\n", "hook", "frame", "prog", "median", "min",
	       "max", "ratio", "");
	for (int hi = 0; hi < 3; hi++) {
		const struct hook *h = &hooks[hi];
		struct xtap_stats st;
		__u64 expect = 0, seen = 0;

		for (int i = 0; i < NFRAMES; i++) {
			const struct frame *f = &frames[i];
			struct result r[NPROGS];
			double q[NPROGS];
			char rowname[96], target[32], lat_target[32];
			int ctarget = f->lat_target || i == 1, ltarget = f->lat_target && hi == 0;

			snprintf(target, sizeof(target), "ratio<=%.1f", TARGET_RATIO);
			snprintf(lat_target, sizeof(lat_target), "ratio<=%.2f", LAT_TARGET);
			if (bench_frame(h, f, rounds, repeat, r, q))
				goto cleanup;
			expect += 1 + (__u64)rounds * repeat;
			double lat = r[P_NOLAT].med > 0 ? q[P_XTAP] / q[P_NOLAT] : 0;

			if (ctarget) {
				ntarget++;
				misses += !(q[P_XTAP] > 0 && q[P_XTAP] <= TARGET_RATIO);
			}
			if (ltarget) {
				nlat++;
				lat_misses += !(lat > 0 && lat <= LAT_TARGET);
			}
			printf("%-10s %-22s %-8s %8.1f %8.1f %8.1f\n", h->name, f->name, "empty",
			       r[P_EMPTY].med, r[P_EMPTY].min, r[P_EMPTY].max);
			printf("%-10s %-22s %-8s %8.1f %8.1f %8.1f %7.2fx  of empty\n", "", "",
			       "counter", r[P_COUNTER].med, r[P_COUNTER].min, r[P_COUNTER].max,
			       q[P_COUNTER]);
			printf("%-10s %-22s %-8s %8.1f %8.1f %8.1f %7.2fx  of counter\n", "",
			       ltarget ? "  (*)" : "", "-lat", r[P_NOLAT].med, r[P_NOLAT].min,
			       r[P_NOLAT].max, q[P_NOLAT]);
			printf("%-10s %-22s %-8s %8.1f %8.1f %8.1f %7.2fx  of counter%s; %+.1f%% over "
			       "-lat%s\n", "", "", "xtap", r[P_XTAP].med, r[P_XTAP].min, r[P_XTAP].max,
			       q[P_XTAP], !ctarget ? "" : q[P_XTAP] <= TARGET_RATIO ? " PASS" : " MISS",
			       (lat - 1) * 100, !ltarget ? "" : lat <= LAT_TARGET ? " PASS" : " MISS");
			snprintf(rowname, sizeof(rowname), "%s %s", h->name, f->name);
			bench_row_ratio("core", rowname, r[P_XTAP].med, "ns/pkt", "bare counter",
					r[P_COUNTER].med, q[P_XTAP], ctarget ? target : "-");
			snprintf(rowname, sizeof(rowname), "%s %s, bare counter", h->name, f->name);
			bench_row_ratio("core", rowname, r[P_COUNTER].med, "ns/pkt", "empty program",
					r[P_EMPTY].med, q[P_COUNTER], "-");
			snprintf(rowname, sizeof(rowname), "%s %s", h->name, f->name);
			bench_row_ratio("latency", rowname, r[P_XTAP].med, "ns/pkt",
					"xtap without latency", r[P_NOLAT].med, lat,
					ltarget ? lat_target : "-");
		}
		/* the numbers mean something only if xtap did its work on every run */
		err = xtap_stats_read(bpf_map__fd(xskel->maps.xtap_stats), h->point, &st);
		if (err) {
			fprintf(stderr, "xtap: bench: read maps: %s\n", strerror(-err));
			goto cleanup;
		}
		for (int i = 0; i < XTAP_STAT_OUTCOME_END; i++)
			seen += st.c[i];
		printf("check %s: %llu packets counted (expected %llu)\n\n", h->name,
		       (unsigned long long)seen, (unsigned long long)expect);
		if (seen != expect) {
			fprintf(stderr, "xtap: bench: counters of %s do not match the runs\n", h->name);
			goto cleanup;
		}
		/* like with like: the build without latency opens the same tunnels */
		struct xtap_stats cst;

		err = xtap_stats_read(bpf_map__fd(cskel->maps.xtap_stats), h->point, &cst);
		if (err) {
			fprintf(stderr, "xtap: bench: read maps: %s\n", strerror(-err));
			goto cleanup;
		}
		if (!st.c[XTAP_STAT_TUN_DECAP] ||
		    cst.c[XTAP_STAT_TUN_DECAP] != st.c[XTAP_STAT_TUN_DECAP]) {
			fprintf(stderr, "xtap: bench: %s: %llu tunnel frames decapsulated without "
				"latency, %llu with it\n", h->name,
				(unsigned long long)cst.c[XTAP_STAT_TUN_DECAP],
				(unsigned long long)st.c[XTAP_STAT_TUN_DECAP]);
			goto cleanup;
		}
		if (hi == 0 && st.c[XTAP_STAT_FLOW_NEW] != (__u64)nflow) {
			fprintf(stderr, "xtap: bench: %llu flows created, expected %d\n",
				(unsigned long long)st.c[XTAP_STAT_FLOW_NEW], nflow);
			goto cleanup;
		}
	}
	/* TLS recognition on segments that are not TLS, at XDP */
	if (bench_tls(hooks[0].fd[P_XTAP], bpf_program__fd(nskel->progs.xdp_tap), frames, rounds,
		      repeat))
		goto cleanup;
	if (bench_owner(hooks[2].fd[P_XTAP], bpf_program__fd(oskel->progs.tc_tap_egress), frames,
			rounds, repeat))
		goto cleanup;

	/* a packet the flow sample leaves out (xtap attach --sampling): 1 in
	 * XTAP_SAMPLING_MAX, so that nearly every run is one, against the empty
	 * program in the same rounds */
	{
		char target[32];

		snprintf(target, sizeof(target), "ratio<=%.1f", SAMPLED_OUT_TARGET);
		xtap_live_set(&xtap_live_of(xskel)->flow.sampling, XTAP_SAMPLING_MAX);
		for (int hi = 0; hi < 3; hi++) {
			const struct hook *h = &hooks[hi];
			struct result r[NPROGS];
			double q[NPROGS], v[2][MAX_ROUNDS], ratio[MAX_ROUNDS];
			char rowname[96];

			for (int i = 0; i < rounds; i++) {
				for (int j = 0; j < 2; j++) {
					int p = (i + j) % 2;

					if (run(h->fd[p ? P_XTAP : P_EMPTY], h->pass, &frames[0], repeat,
						&v[p][i]))
						goto cleanup;
				}
				ratio[i] = v[0][i] > 0 ? v[1][i] / v[0][i] : 0;
			}
			q[0] = bench_median(ratio, rounds);
			r[0] = summarize(v[0], rounds);
			r[1] = summarize(v[1], rounds);
			printf("%-10s %-22s %-8s %8.1f %8.1f %8.1f %7.2fx  of empty, left out of the "
			       "sample %s\n", h->name, frames[0].name, "xtap", r[1].med, r[1].min,
			       r[1].max, q[0], q[0] <= SAMPLED_OUT_TARGET ? "PASS" : "MISS");
			snprintf(rowname, sizeof(rowname), "%s %s, left out of the flow sample",
				 h->name, frames[0].name);
			bench_row_ratio("sampling", rowname, r[1].med, "ns/pkt", "empty program",
					r[0].med, q[0], target);
		}
		xtap_live_set(&xtap_live_of(xskel)->flow.sampling, 1);
	}
	err = flow_count(bpf_map__fd(xskel->maps.xtap_flows), &nflows);
	if (err || nflows != (size_t)nflow) {
		fprintf(stderr, "xtap: bench: %zu flows in the table, expected %d\n", nflows, nflow);
		goto cleanup;
	}
	printf("core: %d of %d frames within %.1fx the bare counter\n", ntarget - misses, ntarget,
	       TARGET_RATIO);
	printf("latency features: %d of %d established-flow data frames within +%.0f%%\n",
	       nlat - lat_misses, nlat, (LAT_TARGET - 1) * 100);
	bench_note("core", "BPF_PROG_TEST_RUN, median of %d rounds x %d runs per frame and hook, "
		   "empty, bare counter, xtap and xtap without latency in rotated order, cpu %d; "
		   "the frame's flow exists; ratios are medians of per-round ratios", rounds, repeat,
		   cpu);
	bench_note("sampling", "xtap with --sampling %u (nearly every packet left out of the "
		   "flow sample) against the empty program, the 64-byte ACK, %d paired rounds in "
		   "alternating order", XTAP_SAMPLING_MAX, rounds);
	bench_note("latency", "the same rounds, against xtap built with -DXTAP_FEATURE_LATENCY=0; "
		   "code layout alone moves a build by +-20%% on this CPU (README)");
	ret = 0;
cleanup:
	empty_bpf__destroy(eskel);
	counter_bpf__destroy(kskel);
	xtap_nolat_bpf__destroy(cskel);
	xtap_notls_bpf__destroy(nskel);
	xtap_noowner_bpf__destroy(oskel);
	if (xskel)
		xtap_unload(xskel);
	return ret;
}
