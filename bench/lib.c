// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* What the benchmarks share: see bench/lib.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
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

#include "empty.skel.h"
#include "bench/gen.skel.h"
#include "bench/lib.h"

const char *bench_name = "?";
volatile sig_atomic_t bench_stop;

void bench_row_ratio(const char *group, const char *name, double value, const char *unit,
		     const char *base_name, double base, double ratio, const char *target)
{
	printf("ROW\t%s\t%s\t%.6g\t%s\t%s\t%.6g\t%.6g\t%s\n", group, name, value, unit,
	       base_name, base, ratio, target ? target : "-");
	fflush(stdout);
}

void bench_row(const char *group, const char *name, double value, const char *unit,
	       const char *base_name, double base, const char *target)
{
	if (base_name)
		bench_row_ratio(group, name, value, unit, base_name, base,
				base != 0 ? value / base : 0, target);
	else
		printf("ROW\t%s\t%s\t%.6g\t%s\t-\t-\t-\t%s\n", group, name, value, unit,
		       target ? target : "-");
	fflush(stdout);
}

void bench_note(const char *group, const char *fmt, ...)
{
	va_list ap;

	printf("NOTE\t%s\t", group);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void on_signal(int sig)
{
	(void)sig;
	bench_stop = 1;
}

static void set_signals(void (*handler)(int))
{
	struct sigaction sa = { .sa_handler = handler };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

void bench_catch_signals(void)
{
	set_signals(on_signal);
}

void bench_ignore_signals(void)
{
	set_signals(SIG_IGN);
}

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int bench_find_xtap(char *out, size_t len)
{
	const char *env = getenv("XTAP");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(out, len, "%s", env);
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0)
			return -1;
		self[n] = 0;
		/* BUILD/bench/bench_X -> BUILD/xtap */
		snprintf(out, len, "%s/xtap", dirname(dirname(self)));
	}
	if (access(out, X_OK)) {
		fprintf(stderr, "xtap: bench %s: %s: %s (set XTAP)\n", bench_name, out,
			strerror(errno));
		return -1;
	}
	return 0;
}

int bench_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

int bench_run(int verbose, const char *nspath, const char *const argv[])
{
	char nsarg[96];
	const char *full[32];
	int n = 0, st;
	pid_t pid;

	if (nspath) {
		snprintf(nsarg, sizeof(nsarg), "--net=%s", nspath);
		full[n++] = "nsenter";
		full[n++] = nsarg;
	}
	for (int i = 0; argv[i] && n < 31; i++)
		full[n++] = argv[i];
	full[n] = NULL;
	if (verbose) {
		fprintf(stderr, "+");
		for (int i = 0; full[i]; i++)
			fprintf(stderr, " %s", full[i]);
		fprintf(stderr, "\n");
	}
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (!verbose) {
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

int bench_enter(int fd, const char *what)
{
	if (setns(fd, CLONE_NEWNET)) {
		fprintf(stderr, "xtap: bench %s: enter namespace %s: %s\n", bench_name, what,
			strerror(errno));
		return -1;
	}
	return 0;
}

int bench_rx_packets(int fd, int ifindex, __u64 *out)
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
	struct ifinfomsg *ifi;
	ssize_t n;
	int len;

	if (send(fd, &req, sizeof(req), 0) != sizeof(req))
		return -1;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0 || !NLMSG_OK(nh, (size_t)n) || nh->nlmsg_type != RTM_NEWLINK)
		return -1;
	ifi = NLMSG_DATA(nh);
	len = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
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

void bench_put16(unsigned char *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

void bench_put32(unsigned char *p, __u32 v)
{
	bench_put16(p, v >> 16);
	bench_put16(p + 2, v & 0xffff);
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

static void parse_mac(const char *s, unsigned char *out)
{
	unsigned int m[6];

	sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]);
	for (int i = 0; i < 6; i++)
		out[i] = m[i];
}

void bench_udp_frame(unsigned char *f, size_t len, const char *mac_src, const char *mac_dst,
		     __u32 ip_src, __u32 ip_dst)
{
	unsigned char *ip = f + 14, *udp = ip + 20;

	memset(f, 0, len);
	parse_mac(mac_dst, f);
	parse_mac(mac_src, f + 6);
	bench_put16(f + 12, 0x0800);
	ip[0] = 0x45;
	bench_put16(ip + 2, len - 14);
	bench_put16(ip + 6, 0x4000);	/* DF */
	ip[8] = 64;
	ip[9] = 17;			/* UDP */
	bench_put32(ip + 12, ip_src);
	bench_put32(ip + 16, ip_dst);
	bench_put16(ip + 10, csum16(ip, 20));
	bench_put16(udp, 40000);
	bench_put16(udp + 2, 9);	/* discard */
	bench_put16(udp + 4, len - 14 - 20);
}

int bench_pair_init(struct bench_pair *p, char tag, __u32 net, const char *mac_a,
		    const char *mac_b)
{
	int pid = (int)getpid();

	*p = (struct bench_pair){ .host_fd = -1, .a_fd = -1, .b_fd = -1, .nl_b = -1,
				  .base_link = -1, .net = net };
	snprintf(p->ns_a, sizeof(p->ns_a), "xtap%cA%d", tag, pid);
	snprintf(p->ns_b, sizeof(p->ns_b), "xtap%cB%d", tag, pid);
	snprintf(p->if_a, sizeof(p->if_a), "x%cA%d", tag, pid);
	snprintf(p->if_b, sizeof(p->if_b), "x%cB%d", tag, pid);
	snprintf(p->path_a, sizeof(p->path_a), "/run/netns/%s", p->ns_a);
	snprintf(p->path_b, sizeof(p->path_b), "/run/netns/%s", p->ns_b);
	snprintf(p->mac_a, sizeof(p->mac_a), "%s", mac_a);
	snprintf(p->mac_b, sizeof(p->mac_b), "%s", mac_b);
	p->host_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (p->host_fd < 0) {
		fprintf(stderr, "xtap: bench %s: open own namespace: %s\n", bench_name,
			strerror(errno));
		return -1;
	}
	return 0;
}

int bench_pair_setup(struct bench_pair *p)
{
	char addr_a[24], addr_b[24];

	snprintf(addr_a, sizeof(addr_a), "%u.%u.%u.1/24", p->net >> 24, (p->net >> 16) & 0xff,
		 (p->net >> 8) & 0xff);
	snprintf(addr_b, sizeof(addr_b), "%u.%u.%u.2/24", p->net >> 24, (p->net >> 16) & 0xff,
		 (p->net >> 8) & 0xff);
	if (BENCH_RUN(p->verbose, NULL, "ip", "netns", "add", p->ns_a)) {
		fprintf(stderr, "xtap: bench %s: ip netns add %s failed\n", bench_name, p->ns_a);
		return -1;
	}
	p->made_a = true;
	if (BENCH_RUN(p->verbose, NULL, "ip", "netns", "add", p->ns_b)) {
		fprintf(stderr, "xtap: bench %s: ip netns add %s failed\n", bench_name, p->ns_b);
		return -1;
	}
	p->made_b = true;
	p->a_fd = open(p->path_a, O_RDONLY | O_CLOEXEC);
	p->b_fd = open(p->path_b, O_RDONLY | O_CLOEXEC);
	if (p->a_fd < 0 || p->b_fd < 0) {
		fprintf(stderr, "xtap: bench %s: open %s: %s\n", bench_name,
			p->a_fd < 0 ? p->path_a : p->path_b, strerror(errno));
		return -1;
	}
	/* IPv6 off and no forwarding in both before the link exists: no
	 * neighbour discovery chatter, and B drops what it receives. */
	for (int i = 0; i < 2; i++) {
		if (bench_enter(i ? p->b_fd : p->a_fd, i ? p->ns_b : p->ns_a) ||
		    bench_write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1") ||
		    bench_write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1") ||
		    bench_write_file("/proc/sys/net/ipv4/ip_forward", "0")) {
			fprintf(stderr, "xtap: bench %s: sysctl in %s: %s\n", bench_name,
				i ? p->ns_b : p->ns_a, strerror(errno));
			return -1;
		}
	}
	if (bench_enter(p->host_fd, "host"))
		return -1;
	if (BENCH_RUN(p->verbose, NULL, "ip", "link", "add", p->if_a, "netns", p->ns_a, "address",
		      p->mac_a, "mtu", "1500", "type", "veth", "peer", "name", p->if_b, "netns",
		      p->ns_b, "address", p->mac_b) ||
	    BENCH_RUN(p->verbose, p->path_a, "ip", "addr", "add", addr_a, "dev", p->if_a) ||
	    BENCH_RUN(p->verbose, p->path_a, "ip", "link", "set", p->if_a, "up") ||
	    BENCH_RUN(p->verbose, p->path_b, "ip", "addr", "add", addr_b, "dev", p->if_b) ||
	    BENCH_RUN(p->verbose, p->path_b, "ip", "link", "set", p->if_b, "up")) {
		fprintf(stderr, "xtap: bench %s: create veth pair %s/%s failed\n", bench_name,
			p->if_a, p->if_b);
		return -1;
	}

	if (bench_enter(p->b_fd, p->ns_b))
		return -1;
	p->idx_b = if_nametoindex(p->if_b);
	p->nl_b = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (bench_enter(p->a_fd, p->ns_a))
		return -1;
	p->idx_a = if_nametoindex(p->if_a);
	if (!p->idx_a || !p->idx_b || p->nl_b < 0) {
		fprintf(stderr, "xtap: bench %s: %s/%s: interface or netlink socket missing\n",
			bench_name, p->if_a, p->if_b);
		return -1;
	}
	/* The process now stays in A: test runs resolve the redirect there. */

	p->gen = gen_bpf__open();
	if (!p->gen) {
		fprintf(stderr, "xtap: bench %s: open generator: %s\n", bench_name,
			strerror(errno));
		return -1;
	}
	p->gen->rodata->out_ifindex = p->idx_a;
	if (gen_bpf__load(p->gen)) {
		fprintf(stderr, "xtap: bench %s: load generator: %s\n", bench_name,
			strerror(errno));
		return -1;
	}
	p->empty = empty_bpf__open_and_load();
	if (!p->empty) {
		fprintf(stderr, "xtap: bench %s: load xdp_pass: %s\n", bench_name, strerror(errno));
		return -1;
	}
	return 0;
}

int bench_pair_baseline_on(struct bench_pair *p)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = XDP_FLAGS_DRV_MODE);
	int err;

	if (bench_enter(p->b_fd, p->ns_b))
		return -1;
	p->base_link = bpf_link_create(bpf_program__fd(p->empty->progs.xdp_pass), p->idx_b,
				       BPF_XDP, &lo);
	err = errno;
	if (bench_enter(p->a_fd, p->ns_a))
		return -1;
	if (p->base_link < 0) {
		fprintf(stderr, "xtap: bench %s: attach xdp_pass to %s (native): %s\n", bench_name,
			p->if_b, strerror(err));
		return -1;
	}
	return 0;
}

void bench_pair_baseline_off(struct bench_pair *p)
{
	if (p->base_link >= 0)
		close(p->base_link);
	p->base_link = -1;
}

void bench_pair_cleanup(struct bench_pair *p)
{
	bench_pair_baseline_off(p);
	gen_bpf__destroy(p->gen);
	p->gen = NULL;
	empty_bpf__destroy(p->empty);
	p->empty = NULL;
	if (p->nl_b >= 0)
		close(p->nl_b);
	p->nl_b = -1;
	if (p->host_fd >= 0)
		bench_enter(p->host_fd, "host");
	if (p->a_fd >= 0)
		close(p->a_fd);
	if (p->b_fd >= 0)
		close(p->b_fd);
	p->a_fd = p->b_fd = -1;
	if (p->made_b && BENCH_RUN(p->verbose, NULL, "ip", "netns", "del", p->ns_b))
		fprintf(stderr, "xtap: bench %s: ip netns del %s failed\n", bench_name, p->ns_b);
	if (p->made_a && BENCH_RUN(p->verbose, NULL, "ip", "netns", "del", p->ns_a))
		fprintf(stderr, "xtap: bench %s: ip netns del %s failed\n", bench_name, p->ns_a);
	p->made_a = p->made_b = false;
	if (p->host_fd >= 0)
		close(p->host_fd);
	p->host_fd = -1;
}
