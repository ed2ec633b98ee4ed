/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the benchmarks share (bench/lib.c, linked into each): the rows they
 * print for bench/run.sh, medians, signals and the clock, running commands,
 * finding the xtap binary, and the veth pair between two namespaces that the
 * live-traffic benchmarks send through.
 *
 * The rows, one per figure:
 *
 *   ROW<TAB>group<TAB>name<TAB>value<TAB>unit<TAB>baseline-name<TAB>baseline-value<TAB>ratio<TAB>target
 *   NOTE<TAB>group<TAB>text
 *
 * The ratio is value / baseline-value of the same run, or the median of
 * per-round ratios where a benchmark pairs its rounds; target is "-" or
 * KIND OP NUMBER (ratio<=2.0, ratio>=0.90, diff<=10, value<=2), checked by
 * run.sh on the medians over runs. Benchmarks never enforce targets.
 */
#ifndef XTAP_BENCH_LIB_H
#define XTAP_BENCH_LIB_H

#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* The benchmark's name in its messages ("xtap: bench NAME: ..."); main sets it. */
extern const char *bench_name;

/* A figure with a baseline and the ratio between them, when the benchmark
 * pairs its rounds: the median of the per-round ratios, which drift between
 * rounds leaves alone, is not the ratio of the two medians. */
void bench_row_ratio(const char *group, const char *name, double value, const char *unit,
		     const char *base_name, double base, double ratio, const char *target);

/* A figure with a baseline (base_name NULL: none). */
void bench_row(const char *group, const char *name, double value, const char *unit,
	       const char *base_name, double base, const char *target);

void __attribute__((format(printf, 2, 3))) bench_note(const char *group, const char *fmt, ...);

int bench_cmp_double(const void *a, const void *b);

/* Median of v[0..n) (n > 0); sorts v. */
double bench_median(double *v, int n);

/* Set by SIGINT, SIGTERM and SIGHUP once bench_catch_signals has run. */
extern volatile sig_atomic_t bench_stop;
void bench_catch_signals(void);
/* For the cleanup: it finishes even on a second ^C, and the commands it
 * runs inherit the ignored signals. */
void bench_ignore_signals(void);

/* CLOCK_MONOTONIC in seconds. */
double bench_now(void);

/* The xtap to run: $XTAP, else BUILD/xtap beside BUILD/bench/ this program
 * runs from. Returns 0, or -1 with a message when it is not executable. */
int bench_find_xtap(char *out, size_t len);

/* Writes val to path (a sysctl). Returns 0 or -1. */
int bench_write_file(const char *path, const char *val);

/* Runs argv, inside the network namespace at nspath (via nsenter) unless it
 * is NULL; with verbose, shows the command and its output, else neither.
 * Returns the exit status, or -1. */
int bench_run(int verbose, const char *nspath, const char *const argv[]);
#define BENCH_RUN(verbose, nspath, ...) \
	bench_run(verbose, nspath, (const char *const[]){ __VA_ARGS__, NULL })

/* setns into the network namespace fd (what names it in the message). */
int bench_enter(int fd, const char *what);

/* rx_packets of ifindex from the rtnetlink socket fd (whose namespace is the
 * interface's). Returns 0 or -1. */
int bench_rx_packets(int fd, int ifindex, __u64 *out);

void bench_put16(unsigned char *p, __u16 v);
void bench_put32(unsigned char *p, __u32 v);

/* An Ethernet + IPv4 + UDP frame of len bytes (headers only, the payload
 * zero) from mac_src/ip_src to mac_dst/ip_dst, port 40000 to 9 (discard),
 * DF set, UDP checksum 0 (none). */
void bench_udp_frame(unsigned char *f, size_t len, const char *mac_src, const char *mac_dst,
		     __u32 ip_src, __u32 ip_dst);

/*
 * Two private namespaces, A and B, joined by a veth pair, IPv6 off and no
 * forwarding in both: B drops what it receives, after XDP and TC ingress have
 * seen it. The generator (bench/gen.bpf.c, redirecting out of veth A) and
 * an empty XDP_PASS program (B needs an XDP program for NAPI) are loaded.
 * After setup the process stays in A, where test runs resolve the redirect.
 */
struct empty_bpf;
struct gen_bpf;

struct bench_pair {
	char ns_a[32], ns_b[32], if_a[IFNAMSIZ], if_b[IFNAMSIZ];
	char path_a[64], path_b[64];
	char mac_a[18], mac_b[18];
	__u32 net;			/* the /24 of the link: A is .1, B .2 */
	bool made_a, made_b;
	int host_fd, a_fd, b_fd;	/* namespace fds */
	int nl_b;			/* rtnetlink socket in B */
	int idx_a, idx_b;
	struct empty_bpf *empty;
	struct gen_bpf *gen;
	int base_link;			/* the empty program's XDP link on B, -1 when off */
	int verbose;
};

/* Names (xtap<tag>A<pid>, x<tag>A<pid>, ...) and addresses; opens this
 * process's own namespace. Returns 0 or -1. */
int bench_pair_init(struct bench_pair *p, char tag, __u32 net, const char *mac_a,
		    const char *mac_b);
/* An address on B's link that nobody owns (.99). */
static inline __u32 bench_pair_nobody(const struct bench_pair *p)
{
	return p->net | 99;
}
int bench_pair_setup(struct bench_pair *p);
/* The empty XDP_PASS program on B, native, through a link. */
int bench_pair_baseline_on(struct bench_pair *p);
void bench_pair_baseline_off(struct bench_pair *p);
/* Everything bench_pair_setup made goes, whatever the state. */
void bench_pair_cleanup(struct bench_pair *p);

#endif
