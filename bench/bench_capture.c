// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Capture benchmark: full-size frames (1514 bytes) at full snap length, one
 * generator and one rate for every capturer, in one run:
 *   tcpdump -w, xdpdump --load-xdp-program -w, xtap capture (ring mirror)
 *   and xtap capture --afxdp.
 * Each reports packets captured (records in its file, read back with
 * libpcap) over packets sent, and the capturer's CPU seconds (utime + stime
 * from /proc/PID/stat, from "listening" until the last frame is drained) per
 * captured packet, with ratios against tcpdump. Kernel work done in softirq
 * on the receiving CPU (XDP, AF_PACKET, perf and ring-buffer output) is not
 * in any capturer's figure.
 *
 * Two private namespaces, A and B, joined by a veth pair. The generator is
 * gen.bpf.c run with BPF_PROG_TEST_RUN and BPF_F_TEST_XDP_LIVE_FRAMES in A,
 * paced in chunks to a fixed rate; frames are addressed to B's MAC and to an
 * address nobody owns, so B's stack drops what XDP passes. The generator
 * (and B's NAPI) run on cpu 0, each capturer on cpu 1. B needs an XDP
 * program for NAPI: tcpdump gets an empty XDP_PASS one, the others bring
 * their own. The rate is the one B carries with the empty program and the
 * generator flat out (measured first), or -p PPS.
 *
 * usage: bench_capture [-p PPS] [-t SECONDS] [-d DIR] [-o TOOLS] [-v]
 *        TOOLS: comma separated tcpdump,xdpdump,xtap,afxdp (default all)
 *        DIR: where the capture files go (default /dev/shm; each is removed
 *        once counted). XTAP=path/to/xtap (default: next to this build's bench/)
 * Before the capturers, each rate measures the file write floor: the same
 * records written to a new file in DIR from a buffer in cache, no capture.
 * Prints a table per rate, and ROW and NOTE lines for bench/run.sh
 * (bench/lib.h), the targets at the first rate: xtap's ring loses nothing
 * and costs less CPU per captured packet than tcpdump.
 * A tool that is missing or fails is reported as such; the exit code is 0
 * unless the benchmark itself could not run. Everything created is removed on
 * every exit path, including SIGINT and SIGTERM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
/* libpcap's classic struct bpf_insn clashes with the kernel's */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>

#include "empty.skel.h"
#include "bench/gen.skel.h"
#include "bench/lib.h"
#include "loader/attach.h"

#define FRAME_LEN 1514
#define GEN_CPU 0
#define CAP_CPU 1
#define NTOOLS 4
#define MAX_RATES 4

#define NET 0x0a620000u	/* 10.98.0.0/24: veth A .1, B .2; frames go to .99, nobody's */

enum tool { T_TCPDUMP, T_XDPDUMP, T_XTAP, T_AFXDP };
static const char *const tool_name[NTOOLS] = { "tcpdump", "xdpdump", "xtap", "afxdp" };
static const char *const tool_label[NTOOLS] = {
	"tcpdump -w", "xdpdump --load-xdp-program -w", "xtap capture (ring)", "xtap capture --afxdp",
};

struct result {
	bool ran;
	char why[160];		/* when it did not run */
	__u64 sent, rx, captured;
	double cpu_s;
	char note[96];		/* the tool's own summary, shortened */
};

struct bench {
	struct bench_pair p;	/* namespaces A and B, the veth pair, the programs */
	char pin_root[64];
	char xtap[PATH_MAX], dir[PATH_MAX];
	bool xtap_on;
	pid_t child;
	unsigned char frame[FRAME_LEN];
	int verbose;
};

/* Starts argv in namespace fd ns_fd on cpu, output to log (or /dev/null). */
static pid_t spawn(const struct bench *b, int ns_fd, int cpu, const char *log,
		   const char *const argv[])
{
	pid_t pid;

	if (b->verbose) {
		fprintf(stderr, "+");
		for (int i = 0; argv[i]; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, "\n");
	}
	pid = fork();
	if (pid != 0)
		return pid;
	{
		int fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		cpu_set_t set;

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (ns_fd >= 0 && setns(ns_fd, CLONE_NEWNET))
			_exit(126);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
}

static int wait_exit(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int run_in(const struct bench *b, int ns_fd, const char *const argv[])
{
	pid_t pid = spawn(b, ns_fd, CAP_CPU, NULL, argv);

	return pid < 0 ? -1 : wait_exit(pid);
}

#define RUN(b, fd, ...) run_in(b, fd, (const char *const[]){ __VA_ARGS__, NULL })

static int baseline_on(struct bench *b)
{
	return bench_pair_baseline_on(&b->p);
}

static void baseline_off(struct bench *b)
{
	bench_pair_baseline_off(&b->p);
}

static void xtap_off(struct bench *b)
{
	if (b->xtap_on)
		RUN(b, b->p.b_fd, b->xtap, "detach", b->p.if_b);
	b->xtap_on = false;
}

/*
 * A test run with live frames costs some 30 ms on top of its frames here
 * (setting up and tearing down its page pool), whatever their number: one
 * thread cannot pace small chunks. GEN_THREADS threads on the generator's cpu
 * each send GEN_CHUNK frames per run whenever the total is behind the rate;
 * their fixed costs overlap, and the frames go out in bursts of GEN_CHUNK.
 */
#define GEN_THREADS 16
#define GEN_CHUNK 1024u

struct gen_ctl {
	struct bench *b;
	double t0, end, pps;
	__u64 sent;		/* atomically */
	int err;
};

static void *gen_thread(void *arg)
{
	struct gen_ctl *g = arg;
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = g->b->frame, .data_size_in = FRAME_LEN,
		    .batch_size = 64, .repeat = GEN_CHUNK, .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

	while (!bench_stop && !g->err) {
		double tn = bench_now();

		if (tn >= g->end)
			break;
		/* claim a chunk only while the total is behind the rate */
		if (g->pps > 0) {
			__u64 cur = __atomic_load_n(&g->sent, __ATOMIC_RELAXED);

			if (cur + GEN_CHUNK > (tn - g->t0) * g->pps) {
				usleep(200);
				continue;
			}
			if (!__atomic_compare_exchange_n(&g->sent, &cur, cur + GEN_CHUNK, false,
							 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
				continue;
		} else {
			__atomic_add_fetch(&g->sent, GEN_CHUNK, __ATOMIC_RELAXED);
		}
		if (bpf_prog_test_run_opts(bpf_program__fd(g->b->p.gen->progs.xdp_gen), &t)) {
			if (errno != EINTR)
				g->err = errno;
			__atomic_sub_fetch(&g->sent, GEN_CHUNK, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

/* Generates frames at pps (0: flat out) for *secs. Returns the frames sent,
 * B's rx_packets delta in *rx and the time taken in *secs. */
static __u64 generate(struct bench *b, double pps, double *secs, __u64 *rx)
{
	struct gen_ctl g = { .b = b, .pps = pps };
	pthread_t th[GEN_THREADS];
	__u64 rx0 = 0, rx1 = 0;
	int n = 0;

	bench_rx_packets(b->p.nl_b, b->p.idx_b, &rx0);
	g.t0 = bench_now();
	g.end = g.t0 + *secs;
	for (; n < GEN_THREADS; n++)
		if (pthread_create(&th[n], NULL, gen_thread, &g))
			break;
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	*secs = bench_now() - g.t0;
	if (g.err)
		fprintf(stderr, "xtap: bench capture: generator: %s\n", strerror(g.err));
	usleep(20000);
	bench_rx_packets(b->p.nl_b, b->p.idx_b, &rx1);
	*rx = rx1 - rx0;
	return g.sent;
}

/* utime + stime of pid, in seconds; -1 when unreadable. */
static double cpu_of(pid_t pid)
{
	char p[64], buf[1024], *s;
	unsigned long ut, st;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	f = fopen(p, "r");
	if (!f)
		return -1;
	s = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!s || !(s = strrchr(buf, ')')))
		return -1;
	/* after ")": state(3) ... utime(14) stime(15) */
	if (sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / sysconf(_SC_CLK_TCK);
}

/* Waits until log has a line starting with what, while pid lives. */
static int wait_ready(pid_t pid, const char *log, const char *what)
{
	char line[512];

	for (int i = 0; i < 150 && !bench_stop; i++) {
		FILE *f = fopen(log, "r");
		int st;

		if (f) {
			while (fgets(line, sizeof(line), f))
				if (strstr(line, what)) {
					fclose(f);
					return 0;
				}
			fclose(f);
		}
		if (waitpid(pid, &st, WNOHANG) == pid)
			return -1;
		usleep(100000);
	}
	return -1;
}

static long long count_records(const char *file)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	long long n = 0;
	pcap_t *p = pcap_open_offline(file, err);
	int r;

	if (!p)
		return -1;
	while ((r = pcap_next_ex(p, &h, &d)) == 1)
		n++;
	pcap_close(p);
	return n;
}

/* The tool's last summary line mentioning "captured", shortened, into out. */
static void summary_of(const char *log, char *out, size_t len)
{
	char line[512];
	FILE *f = fopen(log, "r");
	size_t n = 0;

	out[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (strstr(line, "captured") || strstr(line, "dropped"))
			n += snprintf(out + n, n < len ? len - n : 0, "%s%s", n ? "; " : "", line);
	}
	fclose(f);
}

static bool have(const char *cmd)
{
	char p[PATH_MAX];
	const char *path = getenv("PATH");
	char *dup, *tok, *save;
	bool ok = false;

	if (strchr(cmd, '/'))
		return access(cmd, X_OK) == 0;
	dup = strdup(path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
	for (tok = strtok_r(dup, ":", &save); tok && !ok; tok = strtok_r(NULL, ":", &save)) {
		snprintf(p, sizeof(p), "%s/%s", tok, cmd);
		ok = access(p, X_OK) == 0;
	}
	free(dup);
	return ok;
}

static void run_tool(struct bench *b, enum tool t, double pps, double secs, struct result *r)
{
	char file[PATH_MAX + 32], log[PATH_MAX + 32], snap[16];
	const char *ready = "listening on";
	double c0, c1, dur = secs;
	long long n;
	pid_t pid = -1;

	memset(r, 0, sizeof(*r));
	snprintf(file, sizeof(file), "%s/xtap-bench-%d-%s.pcap", b->dir, (int)getpid(), tool_name[t]);
	snprintf(log, sizeof(log), "%s/xtap-bench-%d-%s.log", b->dir, (int)getpid(), tool_name[t]);
	snprintf(snap, sizeof(snap), "%d", 262144);
	if ((t == T_TCPDUMP && !have("tcpdump")) || (t == T_XDPDUMP && !have("xdpdump"))) {
		snprintf(r->why, sizeof(r->why), "not installed");
		return;
	}
	if (t == T_TCPDUMP && baseline_on(b)) {
		snprintf(r->why, sizeof(r->why), "empty XDP program for NAPI did not attach");
		return;
	}
	if (t == T_XTAP || t == T_AFXDP) {
		b->xtap_on = true;
		if (RUN(b, b->p.b_fd, b->xtap, "attach", b->p.if_b, "--mode", "native")) {
			snprintf(r->why, sizeof(r->why), "xtap attach failed");
			goto out;
		}
	}
	switch (t) {
	case T_TCPDUMP:
		pid = spawn(b, b->p.b_fd, CAP_CPU, log, (const char *const[]){
			"tcpdump", "-i", b->p.if_b, "-n", "-s", "0", "-w", file, NULL });
		break;
	case T_XDPDUMP:
		pid = spawn(b, b->p.b_fd, CAP_CPU, log, (const char *const[]){
			"xdpdump", "-i", b->p.if_b, "--load-xdp-program", "-s", snap, "-w", file, NULL });
		break;
	case T_XTAP:
		ready = "xtap: listening on";
		pid = spawn(b, b->p.b_fd, CAP_CPU, log, (const char *const[]){
			b->xtap, "capture", "-i", b->p.if_b, "-s", "0", "-w", file, NULL });
		break;
	case T_AFXDP:
		ready = "xtap: listening on";
		pid = spawn(b, b->p.b_fd, CAP_CPU, log, (const char *const[]){
			b->xtap, "capture", "--afxdp", "-i", b->p.if_b, "-s", "0", "-w", file, NULL });
		break;
	}
	if (pid < 0) {
		snprintf(r->why, sizeof(r->why), "fork: %s", strerror(errno));
		goto out;
	}
	b->child = pid;
	if (wait_ready(pid, log, ready)) {
		snprintf(r->why, sizeof(r->why), "did not start (-v keeps its log)");
		kill(pid, SIGKILL);
		wait_exit(pid);
		b->child = 0;
		goto out;
	}
	usleep(200000);
	c0 = cpu_of(pid);
	r->sent = generate(b, pps, &dur, &r->rx);
	usleep(500000);		/* the capturer drains what it holds */
	c1 = cpu_of(pid);
	kill(pid, SIGINT);
	wait_exit(pid);
	b->child = 0;
	r->cpu_s = c0 >= 0 && c1 >= 0 ? c1 - c0 : -1;
	n = count_records(file);
	r->captured = n > 0 ? (__u64)n : 0;
	summary_of(log, r->note, sizeof(r->note));
	r->ran = true;
	if (b->verbose)
		fprintf(stderr, "%s: sent %llu in %.2fs, B received %llu, file %lld; %s\n",
			tool_name[t], (unsigned long long)r->sent, dur, (unsigned long long)r->rx, n,
			r->note);
out:
	unlink(file);
	if (!b->verbose)
		unlink(log);
	else
		fprintf(stderr, "%s: log %s\n", tool_name[t], log);
	baseline_off(b);
	xtap_off(b);
}

/*
 * The floor under every capturer that writes a file: the same records (a
 * 16-byte header and the frame) written to a new file in DIR with writev, 512
 * to a call, from one buffer that stays in cache, by a thread on the
 * capturers' cpu; no capture, no packets. Returns the thread's CPU seconds
 * per record, or -1. A file's new page-cache pages are most of it where
 * memory is costly to take (a VM whose balloon reports free pages to the
 * host takes a host fault for each page again).
 */
struct floor_arg {
	const char *dir;
	__u64 records;
	double cpu_s;
};

static void *floor_thread(void *arg)
{
	struct floor_arg *f = arg;
	static __u8 buf[512 * (16 + FRAME_LEN)];
	struct iovec iov[512];
	struct timespec c0, c1;
	char file[PATH_MAX];
	cpu_set_t set;
	__u64 done = 0;
	int fd;

	f->cpu_s = -1;
	CPU_ZERO(&set);
	CPU_SET(CAP_CPU, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		return NULL;
	snprintf(file, sizeof(file), "%s/xtap-bench-%d-floor.pcap", f->dir, (int)getpid());
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	memset(buf, 0x5a, sizeof(buf));
	for (int i = 0; i < 512; i++)
		iov[i] = (struct iovec){ .iov_base = buf + i * (16 + FRAME_LEN),
					 .iov_len = 16 + FRAME_LEN };
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	while (done < f->records && !bench_stop) {
		int n = f->records - done < 512 ? (int)(f->records - done) : 512;

		if (writev(fd, iov, n) != (ssize_t)n * (16 + FRAME_LEN))
			break;
		done += (__u64)n;
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	close(fd);
	unlink(file);
	if (done == f->records && done)
		f->cpu_s = ((double)(c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) / 1e9) /
			   (double)done;
	return NULL;
}

static double write_floor(const struct bench *b, __u64 records)
{
	struct floor_arg f = { .dir = b->dir, .records = records, .cpu_s = -1 };
	pthread_t th;

	if (pthread_create(&th, NULL, floor_thread, &f))
		return -1;
	pthread_join(th, NULL);
	return f.cpu_s;
}

/* The kernel's free page reporting (virtio-balloon): a page freed and taken
 * again costs a host fault. "" where there is none. */
static bool page_reporting_param(const char *name, char *buf, size_t len)
{
	char path[128];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/sys/module/page_reporting/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

static void page_reporting(char *buf, size_t len)
{
	char order[32], ms[32];

	buf[0] = '\0';
	if (!page_reporting_param("page_reporting_order", order, sizeof(order)))
		return;
	if (page_reporting_param("min_free_ms", ms, sizeof(ms)))
		snprintf(buf, len, "free page reporting on (order %s, min_free_ms %s)", order, ms);
	else
		snprintf(buf, len, "free page reporting on (order %s)", order);
}

/* ROW lines for bench/run.sh: per capturer, the packets lost (sent, not in
 * its file) and the CPU per captured packet against tcpdump's. with_targets:
 * the rate the targets are set at (the ring loses none, and costs less CPU
 * per packet than tcpdump). */
static void print_rows(const struct result *res, double pps, bool with_targets)
{
	const struct result *ref = &res[T_TCPDUMP];
	bool have_ref = ref->ran && ref->captured && ref->cpu_s > 0 && ref->sent;
	double ref_lost = have_ref ? 100.0 * (double)(ref->sent - ref->captured) / ref->sent : 0;
	double ref_cpp = have_ref ? ref->cpu_s * 1e6 / ref->captured : 0;

	for (int t = 0; t < NTOOLS; t++) {
		const struct result *r = &res[t];
		bool xtap = t == T_XTAP && with_targets;
		char name[128];
		double lost, cpp;

		if (!r->ran) {
			bench_note("capture", "%s at %.0f kpps: %s", tool_label[t], pps / 1000, r->why);
			continue;
		}
		if (!r->sent)
			continue;
		lost = 100.0 * (double)(r->sent - (r->captured < r->sent ? r->captured : r->sent)) /
		       r->sent;
		snprintf(name, sizeof(name), "%s at %.0f kpps 1514B: lost", tool_label[t],
			 pps / 1000);
		if (t == T_TCPDUMP || !have_ref)
			bench_row("capture", name, lost, "% sent", NULL, 0, xtap ? "value<=0" : NULL);
		else
			bench_row("capture", name, lost, "% sent", "tcpdump -w", ref_lost,
				  xtap ? "value<=0" : NULL);
		if (!r->captured || r->cpu_s < 0)
			continue;
		cpp = r->cpu_s * 1e6 / r->captured;
		snprintf(name, sizeof(name), "%s at %.0f kpps 1514B: CPU per captured packet",
			 tool_label[t], pps / 1000);
		if (t == T_TCPDUMP || !have_ref)
			bench_row("capture", name, cpp, "us/pkt", NULL, 0, NULL);
		else
			bench_row("capture", name, cpp, "us/pkt", "tcpdump -w", ref_cpp,
				  xtap ? "ratio<=1.0" : NULL);
	}
}

static void print_table(const struct result *res)
{
	double ref_cpp = 0, ref_capt = 0;

	if (res[T_TCPDUMP].ran && res[T_TCPDUMP].captured && res[T_TCPDUMP].cpu_s > 0) {
		ref_cpp = res[T_TCPDUMP].cpu_s / res[T_TCPDUMP].captured;
		ref_capt = (double)res[T_TCPDUMP].captured / res[T_TCPDUMP].sent;
	}
	printf("%-30s %8s %8s %9s %6s %9s %6s %11s\n", "capturer", "sent", "captured",
	       "capt/sent", "CPU s", "us/packet", "", "vs tcpdump");
	printf("%-30s %8s %8s %9s %6s %9s %6s %5s %5s\n", "", "", "", "", "", "", "", "capt",
	       "CPU");
	for (int t = 0; t < NTOOLS; t++) {
		const struct result *r = &res[t];
		double cpp, capt;

		if (!r->ran) {
			printf("%-30s %s\n", tool_label[t], r->why);
			continue;
		}
		cpp = r->captured ? r->cpu_s / r->captured : 0;
		capt = (double)r->captured / (r->sent ? r->sent : 1);
		printf("%-30s %8llu %8llu %8.1f%% %6.2f %9.3f %6s", tool_label[t],
		       (unsigned long long)r->sent, (unsigned long long)r->captured, 100 * capt,
		       r->cpu_s, cpp * 1e6, "");
		if (ref_cpp > 0 && cpp > 0)
			printf(" %4.2fx %4.2fx", capt / ref_capt, cpp / ref_cpp);
		printf("\n");
	}
	printf("(vs tcpdump: captured/sent over tcpdump's, above 1 is better; CPU per captured\n"
	       " packet over tcpdump's, below 1 is cheaper)\n");
	for (int t = 0; t < NTOOLS; t++)
		if (res[t].ran && res[t].note[0])
			printf("  %s: %s\n", tool_name[t], res[t].note);
	printf("\n");
}

static void cleanup(struct bench *b)
{
	bench_ignore_signals();
	if (b->child > 0) {
		kill(b->child, SIGKILL);
		wait_exit(b->child);
	}
	xtap_off(b);
	baseline_off(b);
	bench_pair_cleanup(&b->p);
	rmdir(b->pin_root);	/* only when xtap left it empty */
}

int main(int argc, char **argv)
{
	static struct bench b;
	struct result res[NTOOLS];
	const char *tools = "tcpdump,xdpdump,xtap,afxdp";
	double rates[MAX_RATES] = { 350000, 100000 }, secs = 2.5, carried, flat = 1.0;
	char reporting[128];
	int nrates = 2;
	__u64 fsent, frx;
	int c, rc = 1;
	cpu_set_t set;

	bench_name = "capture";
	snprintf(b.dir, sizeof(b.dir), "/dev/shm");
	while ((c = getopt(argc, argv, "p:t:d:o:v")) != -1) {
		switch (c) {
		case 'p': {
			char *save, *tok, *dup = strdup(optarg);

			nrates = 0;
			for (tok = strtok_r(dup, ",", &save); tok && nrates < MAX_RATES;
			     tok = strtok_r(NULL, ",", &save)) {
				rates[nrates] = atof(tok);
				if (rates[nrates] < 0 || rates[nrates] > 1e8)
					nrates = -100;
				nrates++;
			}
			free(dup);
			break;
		}
		case 't': secs = atof(optarg); break;
		case 'd': snprintf(b.dir, sizeof(b.dir), "%s", optarg); break;
		case 'o': tools = optarg; break;
		case 'v': b.verbose = 1; break;
		default:
			fprintf(stderr, "usage: bench_capture [-p PPS[,PPS...]] [-t SECONDS] [-d DIR] "
					"[-o tcpdump,xdpdump,xtap,afxdp] [-v]\n");
			return 2;
		}
	}
	if (secs <= 0 || secs > 30 || nrates < 1) {
		fprintf(stderr, "xtap: bench capture: seconds must be 0..30, rates 0..1e8 (0: the "
				"rate B carries flat out), at most %d\n", MAX_RATES);
		return 2;
	}
	if (geteuid()) {
		fprintf(stderr, "xtap: bench capture: needs root (namespaces, XDP)\n");
		return 1;
	}
	if (bench_find_xtap(b.xtap, sizeof(b.xtap)))
		return 1;
	/* a state directory of its own: a capture elsewhere is not disturbed */
	snprintf(b.pin_root, sizeof(b.pin_root), "/sys/fs/bpf/xtap-bench%d", (int)getpid());
	setenv("XTAP_PIN_ROOT", b.pin_root, 1);

	bench_catch_signals();
	CPU_ZERO(&set);
	CPU_SET(GEN_CPU, &set);
	sched_setaffinity(0, sizeof(set), &set);

	if (bench_pair_init(&b.p, 'c', NET, "02:78:74:00:01:01", "02:78:74:00:01:02"))
		goto cleanup;
	b.p.verbose = b.verbose;
	if (bench_pair_setup(&b.p))
		goto cleanup;
	/* 1514 bytes, the payload a counting pattern */
	bench_udp_frame(b.frame, FRAME_LEN, b.p.mac_a, b.p.mac_b, NET | 1, bench_pair_nobody(&b.p));
	for (int i = 42; i < FRAME_LEN; i++)
		b.frame[i] = (unsigned char)i;

	/* one capture file at a time, of up to the fastest rate's frames */
	{
		double need = 0;
		struct statvfs fs;

		for (int i = 0; i < nrates; i++)
			if ((rates[i] > 0 ? rates[i] : 3e6) * secs * (FRAME_LEN + 32) > need)
				need = (rates[i] > 0 ? rates[i] : 3e6) * secs * (FRAME_LEN + 32);
		if (statvfs(b.dir, &fs) || (double)fs.f_bavail * fs.f_bsize < need * 1.2) {
			fprintf(stderr, "xtap: bench capture: %s: needs %.0f MB free for a capture file "
					"(-d DIR elsewhere, or a lower -p or -t)\n", b.dir, need * 1.2 / 1e6);
			goto cleanup;
		}
	}

	/* the rate B carries: empty XDP program, generator flat out */
	if (baseline_on(&b))
		goto cleanup;
	fsent = generate(&b, 0, &flat, &frx);
	baseline_off(&b);
	if (bench_stop || !frx) {
		fprintf(stderr, "xtap: bench capture: %s received nothing\n", b.p.if_b);
		goto cleanup;
	}
	carried = frx / flat;
	printf("capture: %d-byte frames, full snap length; per rate, one generator at that rate\n"
	       "      for every capturer. Generator: test-run live frames out of veth A into veth B\n"
	       "      (gen.bpf.c) on cpu %d, %d threads, bursts of %u frames; each capturer on cpu %d,\n"
	       "      writing to %s. Flat out, B carried %.0f pps with an empty XDP program\n"
	       "      (%.1f%% of %llu frames generated).\n"
	       "      captured = records in the capturer's file (libpcap); CPU = the capturer's\n"
	       "      utime+stime (/proc/PID/stat) while frames come; softirq work is in no figure\n\n",
	       FRAME_LEN, GEN_CPU, GEN_THREADS, GEN_CHUNK, CAP_CPU, b.dir, carried,
	       100.0 * frx / fsent, (unsigned long long)fsent);

	for (int i = 0; i < nrates && !bench_stop; i++) {
		double pps = rates[i] > 0 ? rates[i] : (double)((long)(carried / 10000)) * 10000;
		double floor;

		printf("== %.0f pps%s, %.1f s per capturer\n", pps,
		       rates[i] > 0 ? "" : " (the rate B carried flat out)", secs);
		floor = write_floor(&b, (__u64)(pps * secs));
		if (floor > 0)
			printf("writing the same records to a new file in %s, from one buffer in cache, "
			       "no capture: %.3f us CPU per packet\n", b.dir, floor * 1e6);
		for (int t = 0; t < NTOOLS; t++) {
			res[t].ran = false;
			snprintf(res[t].why, sizeof(res[t].why), "not selected");
			if (!strstr(tools, tool_name[t]) || bench_stop)
				continue;
			run_tool(&b, (enum tool)t, pps, secs, &res[t]);
		}
		if (bench_stop)
			goto cleanup;
		print_table(res);
		print_rows(res, pps, i == 0);
		if (floor > 0) {
			char name[128];

			snprintf(name, sizeof(name), "file write floor at %.0f kpps 1514B: CPU per packet",
				 pps / 1000);
			bench_row("capture", name, floor * 1e6, "us/pkt", NULL, 0, NULL);
		}
	}
	page_reporting(reporting, sizeof(reporting));
	if (reporting[0])
		bench_note("capture", "this machine's balloon has %s: a page a file takes that was "
			   "freed is faulted in from the host again, which every capturer pays for "
			   "each page of its file (see the file write floor row)", reporting);
	bench_note("capture", "bench_capture: 1514-byte frames, full snap, veth pair between two "
		   "namespaces, generator on cpu %d at a fixed rate, capturer on cpu %d, %.1f s "
		   "each; lost = sent but not in the capturer's file; CPU = the capturer's "
		   "utime+stime, softirq work in no figure; B carried %.0f pps flat out",
		   GEN_CPU, CAP_CPU, secs, carried);
	rc = 0;
cleanup:
	if (bench_stop)
		fprintf(stderr, "xtap: bench capture: interrupted, cleaning up\n");
	cleanup(&b);
	return bench_stop ? 1 : rc;
}
