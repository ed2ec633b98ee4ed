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
 * bench/run.sh (bench/row.h): the rate against the baseline, and the time
 * xtap adds per received packet (1/rate - 1/baseline rate); the 90% target
 * is on the rate row when all three hooks are attached.
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
#include "bench/row.h"

#define TARGET_RATIO 0.90
#define MAX_ROUNDS 51
#define FRAME_LEN 64
#define REPEAT_MIN 100000u
#define REPEAT_MAX 200000000u
#define DRAIN_US 20000		/* frames still in B's ring when the run returns */

static const char mac_a[] = "02:78:74:00:00:01";
static const char mac_b[] = "02:78:74:00:00:02";
#define IP_A 0x0a630001u	/* 10.99.0.1, veth A (B has 10.99.0.2) */
#define IP_DST 0x0a630063u	/* 10.99.0.99: on B's link, owned by nobody */

static volatile sig_atomic_t stop;

struct bench {
	char ns_a[32], ns_b[32], if_a[IFNAMSIZ], if_b[IFNAMSIZ];
	char path_a[64], path_b[64];
	char xtap[PATH_MAX];
	bool made_a, made_b;
	int xtap_on;			/* 0 off, 1 attach tried, 2 attached */
	int host_fd, a_fd, b_fd;	/* namespace fds */
	int nl_b;			/* rtnetlink socket in B */
	int idx_a, idx_b;
	struct empty_bpf *empty;
	struct gen_bpf *gen;
	int base_link;			/* baseline XDP link on B, -1 when off */
	unsigned char frame[FRAME_LEN];
	int batch, verbose;
	const char *hooks;
	bool xtap_xdp;		/* hooks include xdp */
	int ifaces;		/* interfaces xtap is attached to: B and ifaces - 1 idle ones */
	int extra_made, extra_on;	/* idle veths created, and attached */
};

struct sample {
	double mpps;		/* frames B received per second of test run */
	double delivered;	/* fraction of the generated frames B received */
	double gen_mpps;	/* frames generated per second of test run */
};

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs argv, optionally inside the namespace at nspath (via nsenter), with
 * its output shown only with -v. Returns the exit status, or -1. */
static int run(const struct bench *b, const char *nspath, const char *const argv[])
{
	char nsarg[96];
	const char *full[16];
	int n = 0, st;
	pid_t pid;

	if (nspath) {
		snprintf(nsarg, sizeof(nsarg), "--net=%s", nspath);
		full[n++] = "nsenter";
		full[n++] = nsarg;
	}
	for (int i = 0; argv[i] && n < 15; i++)
		full[n++] = argv[i];
	full[n] = NULL;
	if (b->verbose) {
		fprintf(stderr, "+");
		for (int i = 0; full[i]; i++)
			fprintf(stderr, " %s", full[i]);
		fprintf(stderr, "\n");
	}
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (!b->verbose) {
			int fd = open("/dev/null", O_WRONLY);

			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
		}
		execvp(full[0], (char *const *)full);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define RUN(b, ns, ...) run(b, ns, (const char *const[]){ __VA_ARGS__, NULL })

static int enter(int fd, const char *what)
{
	if (setns(fd, CLONE_NEWNET)) {
		fprintf(stderr, "xtap: bench veth: enter namespace %s: %s\n", what, strerror(errno));
		return -1;
	}
	return 0;
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

/* rx_packets of ifindex from the rtnetlink socket fd (whose namespace is the
 * interface's). Returns 0 or -1. */
static int rx_packets(int fd, int ifindex, __u64 *out)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK,
			.nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = 1 },
		.ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex },
	};
	static char buf[16384] __attribute__((aligned(4)));
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	ssize_t n;

	if (send(fd, &req, sizeof(req), 0) != sizeof(req))
		return -1;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0 || !NLMSG_OK(nh, (size_t)n) || nh->nlmsg_type != RTM_NEWLINK)
		return -1;
	struct ifinfomsg *ifi = NLMSG_DATA(nh);
	int len = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));

	for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_STATS64 &&
		    RTA_PAYLOAD(a) >= sizeof(struct rtnl_link_stats64)) {
			struct rtnl_link_stats64 s;

			memcpy(&s, RTA_DATA(a), sizeof(s));
			*out = s.rx_packets;
			return 0;
		}
	}
	return -1;
}

static __u16 csum16(const unsigned char *p, int len)
{
	__u32 sum = 0;

	for (int i = 0; i + 1 < len; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static void put16(unsigned char *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(unsigned char *p, __u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* 64-byte Ethernet + IPv4 + UDP frame from A to a non-local address on B's
 * link, UDP checksum 0 (none). */
static void craft(unsigned char *f)
{
	unsigned char *ip = f + 14, *udp = ip + 20;
	unsigned int mb[6], ma[6];

	memset(f, 0, FRAME_LEN);
	sscanf(mac_b, "%x:%x:%x:%x:%x:%x", &mb[0], &mb[1], &mb[2], &mb[3], &mb[4], &mb[5]);
	sscanf(mac_a, "%x:%x:%x:%x:%x:%x", &ma[0], &ma[1], &ma[2], &ma[3], &ma[4], &ma[5]);
	for (int i = 0; i < 6; i++) {
		f[i] = mb[i];
		f[6 + i] = ma[i];
	}
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, FRAME_LEN - 14);
	put16(ip + 6, 0x4000);	/* DF */
	ip[8] = 64;
	ip[9] = 17;		/* UDP */
	put32(ip + 12, IP_A);
	put32(ip + 16, IP_DST);
	put16(ip + 10, csum16(ip, 20));
	put16(udp, 40000);
	put16(udp + 2, 9);	/* discard */
	put16(udp + 4, FRAME_LEN - 14 - 20);
}

static int setup(struct bench *b)
{
	if (RUN(b, NULL, "ip", "netns", "add", b->ns_a)) {
		fprintf(stderr, "xtap: bench veth: ip netns add %s failed\n", b->ns_a);
		return -1;
	}
	b->made_a = true;
	if (RUN(b, NULL, "ip", "netns", "add", b->ns_b)) {
		fprintf(stderr, "xtap: bench veth: ip netns add %s failed\n", b->ns_b);
		return -1;
	}
	b->made_b = true;
	b->a_fd = open(b->path_a, O_RDONLY | O_CLOEXEC);
	b->b_fd = open(b->path_b, O_RDONLY | O_CLOEXEC);
	if (b->a_fd < 0 || b->b_fd < 0) {
		fprintf(stderr, "xtap: bench veth: open %s: %s\n",
			b->a_fd < 0 ? b->path_a : b->path_b, strerror(errno));
		return -1;
	}
	/* IPv6 off and no forwarding in both before the link exists: no
	 * neighbour discovery chatter, and B drops what it receives. */
	for (int i = 0; i < 2; i++) {
		if (enter(i ? b->b_fd : b->a_fd, i ? b->ns_b : b->ns_a) ||
		    write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1") ||
		    write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1") ||
		    write_file("/proc/sys/net/ipv4/ip_forward", "0")) {
			fprintf(stderr, "xtap: bench veth: sysctl in %s: %s\n",
				i ? b->ns_b : b->ns_a, strerror(errno));
			return -1;
		}
	}
	if (enter(b->host_fd, "host"))
		return -1;
	if (RUN(b, NULL, "ip", "link", "add", b->if_a, "netns", b->ns_a, "address", mac_a,
		"type", "veth", "peer", "name", b->if_b, "netns", b->ns_b, "address", mac_b) ||
	    RUN(b, b->path_a, "ip", "addr", "add", "10.99.0.1/24", "dev", b->if_a) ||
	    RUN(b, b->path_a, "ip", "link", "set", b->if_a, "up") ||
	    RUN(b, b->path_b, "ip", "addr", "add", "10.99.0.2/24", "dev", b->if_b) ||
	    RUN(b, b->path_b, "ip", "link", "set", b->if_b, "up")) {
		fprintf(stderr, "xtap: bench veth: create veth pair %s/%s failed\n", b->if_a,
			b->if_b);
		return -1;
	}

	if (enter(b->b_fd, b->ns_b))
		return -1;
	b->idx_b = if_nametoindex(b->if_b);
	b->nl_b = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (enter(b->a_fd, b->ns_a))
		return -1;
	b->idx_a = if_nametoindex(b->if_a);
	if (!b->idx_a || !b->idx_b || b->nl_b < 0) {
		fprintf(stderr, "xtap: bench veth: %s/%s: interface or netlink socket missing\n",
			b->if_a, b->if_b);
		return -1;
	}
	/* The process now stays in A: test runs resolve the redirect there. */

	b->gen = gen_bpf__open();
	if (!b->gen) {
		fprintf(stderr, "xtap: bench veth: open generator: %s\n", strerror(errno));
		return -1;
	}
	b->gen->rodata->out_ifindex = b->idx_a;
	if (gen_bpf__load(b->gen)) {
		fprintf(stderr, "xtap: bench veth: load generator: %s\n", strerror(errno));
		return -1;
	}
	b->empty = empty_bpf__open_and_load();
	if (!b->empty) {
		fprintf(stderr, "xtap: bench veth: load xdp_pass: %s\n", strerror(errno));
		return -1;
	}
	craft(b->frame);
	return 0;
}

/* XDP attach mode on B (XDP_ATTACHED_*), or -1. */
static int xdp_mode_b(struct bench *b, __u32 *prog_id)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err;

	if (enter(b->b_fd, b->ns_b))
		return -1;
	err = bpf_xdp_query(b->idx_b, 0, &q);
	if (enter(b->a_fd, b->ns_a) || err)
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
			what, b->if_b, mode);
		return -1;
	}
	return 0;
}

static int baseline_on(struct bench *b)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = XDP_FLAGS_DRV_MODE);
	int err;

	if (enter(b->b_fd, b->ns_b))
		return -1;
	b->base_link = bpf_link_create(bpf_program__fd(b->empty->progs.xdp_pass), b->idx_b,
				       BPF_XDP, &lo);
	err = errno;
	if (enter(b->a_fd, b->ns_a))
		return -1;
	if (b->base_link < 0) {
		fprintf(stderr, "xtap: bench veth: attach xdp_pass to %s (native): %s\n", b->if_b,
			strerror(err));
		return -1;
	}
	return check_native(b, "xdp_pass");
}

static void baseline_off(struct bench *b)
{
	if (b->base_link >= 0)
		close(b->base_link);
	b->base_link = -1;
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
		if (RUN(b, b->path_b, "ip", "link", "add", name, "type", "veth", "peer", "name",
			peer)) {
			fprintf(stderr, "xtap: bench veth: create veth %s failed\n", name);
			return -1;
		}
		b->extra_made = i;
		if (RUN(b, b->path_b, "ip", "link", "set", name, "up") ||
		    RUN(b, b->path_b, "ip", "link", "set", peer, "up") ||
		    RUN(b, b->path_b, b->xtap, "attach", name, "--hooks", b->hooks)) {
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
		if (i <= b->extra_on && RUN(b, b->path_b, b->xtap, "detach", name))
			fprintf(stderr, "xtap: bench veth: %s detach %s failed\n", b->xtap, name);
	}
	b->extra_on = b->extra_made = 0;
}

static int xtap_on(struct bench *b)
{
	b->xtap_on = 1;
	if (!b->xtap_xdp && baseline_on(b))
		return -1;
	if (RUN(b, b->path_b, b->xtap, "attach", b->if_b, "--mode", "native", "--hooks",
		b->hooks)) {
		fprintf(stderr, "xtap: bench veth: %s attach %s failed (-v shows why)\n", b->xtap,
			b->if_b);
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
	rc = RUN(b, b->path_b, b->xtap, "detach", b->if_b);
	if (b->xtap_on == 1)
		rc = 0;
	b->xtap_on = 0;
	baseline_off(b);
	if (rc)
		fprintf(stderr, "xtap: bench veth: %s detach %s failed\n", b->xtap, b->if_b);
	return rc ? -1 : 0;
}

/* Packets xtap counted on B at each hook (slot's outcomes), or -1. */
static int xtap_counts(struct bench *b, __u64 out[XTAP_HOOK_MAX])
{
	char err[XTAP_ERRLEN] = "";
	struct xtap_state st;
	int slot, fd, rc = -1;

	if (enter(b->b_fd, b->ns_b))
		return -1;
	if (xtap_state_open(&st, NULL, false, err, sizeof(err)))
		goto out;
	slot = st.reg_fd < 0 ? -ENOENT : xtap_find_slot(&st, b->if_b);
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
		fprintf(stderr, "xtap: bench veth: read xtap's counters of %s: %s\n", b->if_b,
			err[0] ? err : "no slot, map or entry");
	if (enter(b->a_fd, b->ns_a))
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

	if (rx_packets(b->nl_b, b->idx_b, &rx0)) {
		fprintf(stderr, "xtap: bench veth: read %s rx counters: %s\n", b->if_b,
			strerror(errno));
		return -1;
	}
	/* a live-frames run stops early with EINTR on any pending signal:
	 * run it again unless the signal is ours to stop */
	for (int tries = 0;; tries++) {
		t0 = now();
		err = bpf_prog_test_run_opts(bpf_program__fd(b->gen->progs.xdp_gen), &t);
		t1 = now();
		if (!err || errno != EINTR || stop || tries == 3)
			break;
		if (rx_packets(b->nl_b, b->idx_b, &rx0))
			break;
	}
	if (err) {
		if (!stop)
			fprintf(stderr, "xtap: bench veth: generator test run: %s\n",
				strerror(errno));
		return -1;
	}
	usleep(DRAIN_US);
	if (rx_packets(b->nl_b, b->idx_b, &rx1)) {
		fprintf(stderr, "xtap: bench veth: read %s rx counters: %s\n", b->if_b,
			strerror(errno));
		return -1;
	}
	s->mpps = (rx1 - rx0) / (t1 - t0) / 1e6;
	s->delivered = (double)(rx1 - rx0) / repeat;
	s->gen_mpps = repeat / (t1 - t0) / 1e6;
	if (want_rx && rx1 == rx0) {
		fprintf(stderr, "xtap: bench veth: %s received nothing (no NAPI on it?)\n",
			b->if_b);
		return -1;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void summarize(const struct sample *s, int n, double *med, double *min, double *max,
		      double *deliv)
{
	double v[MAX_ROUNDS], d[MAX_ROUNDS];

	for (int i = 0; i < n; i++) {
		v[i] = s[i].mpps;
		d[i] = s[i].delivered;
	}
	qsort(v, n, sizeof(v[0]), cmp_double);
	qsort(d, n, sizeof(d[0]), cmp_double);
	*med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	*deliv = n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
	*min = v[0];
	*max = v[n - 1];
}

static void cleanup(struct bench *b)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };

	/* Finish the cleanup even on a second ^C; the commands run here
	 * inherit the ignored signals. */
	sigaction(SIGINT, &ign, NULL);
	sigaction(SIGTERM, &ign, NULL);
	sigaction(SIGHUP, &ign, NULL);
	xtap_off(b);
	baseline_off(b);
	extra_off(b);
	gen_bpf__destroy(b->gen);
	empty_bpf__destroy(b->empty);
	if (b->nl_b >= 0)
		close(b->nl_b);
	if (b->host_fd >= 0)
		enter(b->host_fd, "host");
	if (b->a_fd >= 0)
		close(b->a_fd);
	if (b->b_fd >= 0)
		close(b->b_fd);
	if (b->made_b && RUN(b, NULL, "ip", "netns", "del", b->ns_b))
		fprintf(stderr, "xtap: bench veth: ip netns del %s failed\n", b->ns_b);
	if (b->made_a && RUN(b, NULL, "ip", "netns", "del", b->ns_a))
		fprintf(stderr, "xtap: bench veth: ip netns del %s failed\n", b->ns_a);
	if (b->host_fd >= 0)
		close(b->host_fd);
}

static int find_xtap(struct bench *b)
{
	const char *env = getenv("XTAP");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(b->xtap, sizeof(b->xtap), "%s", env);
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0)
			return -1;
		self[n] = 0;
		/* BUILD/bench/bench_veth -> BUILD/xtap */
		snprintf(b->xtap, sizeof(b->xtap), "%s/xtap", dirname(dirname(self)));
	}
	if (access(b->xtap, X_OK)) {
		fprintf(stderr, "xtap: bench veth: %s: %s (set XTAP)\n", b->xtap, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct bench b = { .host_fd = -1, .a_fd = -1, .b_fd = -1, .nl_b = -1,
				  .base_link = -1, .batch = 64,
				  .hooks = "xdp,tc-ingress,tc-egress", .ifaces = 1 };
	struct sample base[MAX_ROUNDS], tap[MAX_ROUNDS], pair[MAX_ROUNDS], s, gen;
	struct sigaction sa = { .sa_handler = on_signal };
	int rounds = 7, cpu = 0, c, rc = 1;
	double secs = 0.5, bmed, bmin, bmax, bdel, xmed, xmin, xmax, xdel, ratio;
	double pmed, pmin, pmax, pdel;
	__u64 seen0[XTAP_HOOK_MAX], seen1[XTAP_HOOK_MAX];
	__u32 repeat;
	cpu_set_t set;

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
	if (geteuid()) {
		fprintf(stderr, "xtap: bench veth: needs root (namespaces, XDP)\n");
		return 1;
	}
	if (find_xtap(&b))
		return 1;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "xtap: bench veth: pin to cpu %d: %s (running unpinned)\n", cpu,
			strerror(errno));

	snprintf(b.ns_a, sizeof(b.ns_a), "xtapvA%d", (int)getpid());
	snprintf(b.ns_b, sizeof(b.ns_b), "xtapvB%d", (int)getpid());
	snprintf(b.if_a, sizeof(b.if_a), "xvA%d", (int)getpid());
	snprintf(b.if_b, sizeof(b.if_b), "xvB%d", (int)getpid());
	snprintf(b.path_a, sizeof(b.path_a), "/run/netns/%s", b.ns_a);
	snprintf(b.path_b, sizeof(b.path_b), "/run/netns/%s", b.ns_b);
	b.host_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (b.host_fd < 0) {
		fprintf(stderr, "xtap: bench veth: open own namespace: %s\n", strerror(errno));
		return 1;
	}
	if (setup(&b) || extra_on(&b))
		goto cleanup;

	/* B without an XDP program has no NAPI: A's redirects to it fail and
	 * B must receive nothing. This also times the generator alone. */
	if (stop || measure(&b, 1000000, &gen, false))
		goto cleanup;
	if (gen.delivered > 0.001) {
		fprintf(stderr, "xtap: bench veth: %s received %.1f%% of the frames without an XDP "
				"program\n", b.if_b, gen.delivered * 100);
		goto cleanup;
	}
	/* Warm up and size the runs: each measured run lasts about secs. */
	if (stop || baseline_on(&b) || measure(&b, 1000000, &s, true))
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
		if (stop || baseline_on(&b) || measure(&b, repeat, &base[r], true))
			goto cleanup;
		baseline_off(&b);
		if (stop || xtap_on(&b) || xtap_counts(&b, seen0) ||
		    measure(&b, repeat, &tap[r], true) || xtap_counts(&b, seen1))
			goto cleanup;
		if (xtap_off(&b))
			goto cleanup;
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
				h == XTAP_HOOK_XDP ? "xdp" : "tc-ingress", b.if_b,
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
		bench_note("veth", "veth B's rx_packets / test-run time of a live-frames generator "
			   "redirecting 64-byte UDP out of veth A (same cpu), medians of %d rounds of "
			   "%u frames, baseline and xtap alternating", rounds, repeat);
	}
	rc = 0;
cleanup:
	if (stop)
		fprintf(stderr, "xtap: bench veth: interrupted, cleaning up\n");
	cleanup(&b);
	return stop ? 1 : rc;
}
