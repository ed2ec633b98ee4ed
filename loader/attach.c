// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <net/if_arp.h>
#include <stdlib.h>
#include <linux/rtnetlink.h>
#include <linux/pkt_sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "loader/attach.h"
#include "loader/loader.h"
#include "empty.skel.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif
/* tcx attach types (Linux 6.6); the 6.1 uapi headers lack them */
#define XTAP_BPF_TCX_INGRESS 46
#define XTAP_BPF_TCX_EGRESS 47
#define XTAP_LOCK "/run/xtap.lock"

static const char *const hook_pin[XTAP_HOOK_MAX] = { "xdp", "tc-ingress", "tc-egress" };

static int fail(char *err, size_t len, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return e < 0 ? e : -e;
}

static void path_of(const struct xtap_state *st, char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "%s/%s", st->root, what);
}

static void link_path(const struct xtap_state *st, __u32 slot, int hook, char *buf, size_t len)
{
	snprintf(buf, len, "%s/links/%u-%s", st->root, slot, hook_pin[hook]);
}

static int netns_id(__u64 *dev, __u64 *ino)
{
	struct stat s;

	if (stat("/proc/self/ns/net", &s))
		return -errno;
	*dev = s.st_dev;
	*ino = s.st_ino;
	return 0;
}

/* The current network namespace's cookie (0 when the kernel has none). */
static __u64 netns_cookie(void)
{
	__u64 cookie = 0;
	socklen_t len = sizeof(cookie);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
		cookie = 0;
	close(fd);
	return cookie;
}

/* Is the current namespace the one e was attached in? */
static bool in_netns_of(const struct xtap_iface *e)
{
	__u64 dev = 0, ino = 0, c = netns_cookie();

	if (c && e->netns_cookie)
		return c == e->netns_cookie;
	return netns_id(&dev, &ino) == 0 && dev == e->netns_dev && ino == e->netns_ino;
}

static int ensure_bpffs(char *err, size_t len)
{
	struct statfs fs;

	if (statfs(XTAP_BPFFS, &fs) == 0 && fs.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", XTAP_BPFFS, "bpf", 0, "mode=0700"))
		return fail(err, len, errno, "bpffs is not mounted at %s and mounting it failed: %s",
			    XTAP_BPFFS, strerror(errno));
	return 0;
}

static int mkdir_private(const char *p)
{
	if (mkdir(p, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

void xtap_lock_path(const char *root, char *buf, size_t len)
{
	/* one lock per state directory: /run/xtap.lock for the default one */
	if (!strcmp(root, XTAP_PIN_ROOT))
		snprintf(buf, len, "%s", XTAP_LOCK);
	else
		snprintf(buf, len, "/run/xtap.%s.lock", strrchr(root, '/') + 1);
}

int xtap_state_open(struct xtap_state *st, const char *root, bool create, char *err, size_t len)
{
	char p[256], lock[192];
	int e;

	memset(st, 0, sizeof(*st));
	st->reg_fd = -1;
	if (!root)
		root = getenv("XTAP_PIN_ROOT");
	if (!root || !*root)
		root = XTAP_PIN_ROOT;
	if (strncmp(root, XTAP_BPFFS "/", sizeof(XTAP_BPFFS)) || strstr(root, "..") ||
	    strlen(root) >= sizeof(st->root) - 32)
		return fail(err, len, EINVAL, "XTAP_PIN_ROOT %s: must be a directory under %s", root,
			    XTAP_BPFFS);
	snprintf(st->root, sizeof(st->root), "%s", root);

	xtap_lock_path(st->root, lock, sizeof(lock));
	st->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (st->lock_fd < 0 || flock(st->lock_fd, LOCK_EX)) {
		e = errno;
		if (st->lock_fd >= 0)
			close(st->lock_fd);
		st->lock_fd = -1;
		return fail(err, len, e, "lock %s: %s", lock, strerror(e));
	}

	path_of(st, p, sizeof(p), "ifaces");
	st->reg_fd = bpf_obj_get(p);
	if (st->reg_fd >= 0 || !create)
		return 0;
	if (errno == EPERM || errno == EACCES)
		return fail(err, len, errno, "%s: permission denied (xtap needs root, or CAP_BPF and CAP_NET_ADMIN)", p);

	e = ensure_bpffs(err, len);
	if (e)
		return e;
	if ((e = mkdir_private(st->root)))
		return fail(err, len, e, "mkdir %s: %s", st->root, strerror(-e));
	path_of(st, p, sizeof(p), "maps");
	if ((e = mkdir_private(p)))
		return fail(err, len, e, "mkdir %s: %s", p, strerror(-e));
	path_of(st, p, sizeof(p), "links");
	if ((e = mkdir_private(p)))
		return fail(err, len, e, "mkdir %s: %s", p, strerror(-e));

	LIBBPF_OPTS(bpf_map_create_opts, mo);
	st->reg_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xtap_ifaces", sizeof(__u32),
				    sizeof(struct xtap_iface), XTAP_MAX_SLOTS, &mo);
	if (st->reg_fd < 0) {
		e = errno;
		return fail(err, len, e, "create registry: %s%s", strerror(e),
			    e == EPERM ? " (xtap needs root, or CAP_BPF and CAP_NET_ADMIN)" : "");
	}
	path_of(st, p, sizeof(p), "ifaces");
	if (bpf_obj_pin(st->reg_fd, p)) {
		e = errno;
		close(st->reg_fd);
		st->reg_fd = -1;
		return fail(err, len, e, "pin %s: %s", p, strerror(e));
	}
	return 0;
}

static bool registry_empty(const struct xtap_state *st);
static void remove_all_pins(struct xtap_state *st);

void xtap_state_close(struct xtap_state *st)
{
	/* a registry with no attachment left (an attach that failed on a
	 * clean host) is removed with everything under the pin root */
	if (st->reg_fd >= 0 && registry_empty(st)) {
		close(st->reg_fd);
		st->reg_fd = -1;
		remove_all_pins(st);
	}
	if (st->reg_fd >= 0)
		close(st->reg_fd);
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	st->reg_fd = st->lock_fd = -1;
}

int xtap_iface_get(const struct xtap_state *st, __u32 slot, struct xtap_iface *out)
{
	if (st->reg_fd < 0)
		return -ENOENT;
	if (bpf_map_lookup_elem(st->reg_fd, &slot, out))
		return -errno;
	return out->used ? 0 : -ENOENT;
}

static int iface_put(const struct xtap_state *st, __u32 slot, const struct xtap_iface *e)
{
	return bpf_map_update_elem(st->reg_fd, &slot, e, BPF_ANY) ? -errno : 0;
}

int xtap_map_open(const struct xtap_state *st, const char *name)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/maps/%s", st->root, name);
	fd = bpf_obj_get(p);
	return fd < 0 ? -errno : fd;
}

/* Enter the network namespace of e; *saved gets this one back (or -1 when
 * no switch was needed). Returns 0, or -ENOENT when it cannot be found. */
static int enter_netns(const struct xtap_iface *e, int *saved)
{
	DIR *d;
	struct dirent *de;
	int rc = -ENOENT;

	*saved = -1;
	if (in_netns_of(e))
		return 0;
	d = opendir("/run/netns");
	if (!d)
		return -ENOENT;
	while ((de = readdir(d))) {
		char p[512];
		struct stat s;
		int fd;

		snprintf(p, sizeof(p), "/run/netns/%s", de->d_name);
		if (de->d_name[0] == '.' || stat(p, &s) || s.st_dev != e->netns_dev ||
		    s.st_ino != e->netns_ino)
			continue;
		*saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (*saved >= 0 && fd >= 0 && setns(fd, CLONE_NEWNET) == 0) {
			rc = 0;
			/* an inode can be reused by a newer namespace */
			if (!in_netns_of(e)) {
				if (setns(*saved, CLONE_NEWNET))
					fprintf(stderr, "xtap: could not return to the original network namespace: %s\n",
						strerror(errno));
				rc = -ENOENT;
			}
		}
		if (fd >= 0)
			close(fd);
		if (rc && *saved >= 0) {
			close(*saved);
			*saved = -1;
		}
		break;
	}
	closedir(d);
	return rc;
}

static void leave_netns(int saved)
{
	if (saved < 0)
		return;
	if (setns(saved, CLONE_NEWNET))
		fprintf(stderr, "xtap: could not return to the original network namespace: %s\n",
			strerror(errno));
	close(saved);
}

void xtap_netns_name(const struct xtap_iface *e, char *buf, size_t len)
{
	DIR *d;
	struct dirent *de;

	if (in_netns_of(e)) {
		snprintf(buf, len, "%s", "");
		return;
	}
	snprintf(buf, len, "netns:%llu", (unsigned long long)e->netns_ino);
	d = opendir("/run/netns");
	if (!d)
		return;
	while ((de = readdir(d))) {
		char p[512];
		struct stat s;

		snprintf(p, sizeof(p), "/run/netns/%s", de->d_name);
		if (de->d_name[0] != '.' && stat(p, &s) == 0 && s.st_dev == e->netns_dev &&
		    s.st_ino == e->netns_ino) {
			snprintf(buf, len, "%s", de->d_name);
			break;
		}
	}
	closedir(d);
}

int xtap_iface_present(const struct xtap_iface *e)
{
	char name[IF_NAMESIZE];
	int saved, present;

	if (enter_netns(e, &saved))
		return -1;
	present = if_indextoname(e->ifindex, name) && !strcmp(name, e->name);
	leave_netns(saved);
	return present;
}

int xtap_find_slot(struct xtap_state *st, const char *ifname)
{
	__u64 dev = 0, ino = 0;
	int gone = -ENOENT;

	if (netns_id(&dev, &ino))
		return -ENOENT;
	for (__u32 s = 0; s < XTAP_MAX_SLOTS; s++) {
		struct xtap_iface e;

		if (xtap_iface_get(st, s, &e) || strncmp(e.name, ifname, sizeof(e.name)))
			continue;
		if (in_netns_of(&e))
			return (int)s;
		if (gone < 0 && xtap_iface_present(&e) != 1)
			gone = (int)s;
	}
	return gone;
}

static __u32 prog_id_of(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* Name the XDP program that holds ifindex, for the error message. */
static void xdp_holder(int ifindex, char *buf, size_t len)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info);
	__u32 id;
	int fd;

	snprintf(buf, len, "another XDP program");
	if (bpf_xdp_query(ifindex, 0, &q))
		return;
	id = q.prog_id ? q.prog_id : q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
	if (!id)
		return;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &ilen) == 0)
		snprintf(buf, len, "XDP program id %u (%s)", id, info.name);
	else
		snprintf(buf, len, "XDP program id %u", id);
	if (fd >= 0)
		close(fd);
}

/*
 * Can libxdp's dispatcher work here? It needs freplace (BPF_PROG_TYPE_EXT).
 * Probe without touching any interface: load the empty program, then load it
 * again as an extension of itself.
 */
static bool freplace_works(void)
{
	static int cached = -1;
	struct empty_bpf *target = NULL, *ext = NULL;

	if (cached >= 0)
		return cached;
	cached = 0;
	target = empty_bpf__open_and_load();
	if (!target)
		goto out;
	ext = empty_bpf__open();
	if (!ext)
		goto out;
	bpf_program__set_type(ext->progs.xdp_pass, BPF_PROG_TYPE_EXT);
	if (bpf_program__set_attach_target(ext->progs.xdp_pass,
					   bpf_program__fd(target->progs.xdp_pass), "xdp_pass"))
		goto out;
	cached = empty_bpf__load(ext) == 0;
out:
	empty_bpf__destroy(ext);
	empty_bpf__destroy(target);
	return cached;
}

static enum xdp_attach_mode libxdp_mode(int m)
{
	return m == XTAP_XDP_GENERIC ? XDP_MODE_SKB : XDP_MODE_NATIVE;
}

/* Attach through libxdp's dispatcher. Returns 0 with the program id, or
 * -EOPNOTSUPP when libxdp could only attach it alone (then nothing is left). */
static int attach_xdp_libxdp(const struct xtap_attach_opts *o, __u32 slot, int ifindex, int mode,
			     const char *maps_dir, __u32 *prog_id)
{
	struct xtap_load_opts lo = { .slot = slot, .flows_max = o->flows_max, .pin_dir = maps_dir,
				     .with_xdp = true };
	struct xdp_multiprog *mp = NULL;
	struct xdp_program *p = NULL;
	struct xtap_bpf *skel;
	bool legacy;
	int err;

	skel = xtap_bpf__open();
	if (!skel)
		return -errno;
	bpf_program__set_autoload(skel->progs.tc_tap_ingress, false);
	bpf_program__set_autoload(skel->progs.tc_tap_egress, false);
	err = xtap_prepare(skel, &lo);
	if (err)
		goto out;
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xo, .obj = skel->obj, .prog_name = "xdp_tap");
	p = xdp_program__create(&xo);
	err = libxdp_get_error(p);
	if (err) {
		p = NULL;
		goto out;
	}
	err = xdp_program__attach(p, ifindex, libxdp_mode(mode), 0);
	if (err)
		goto out;
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	legacy = libxdp_get_error(mp) || xdp_multiprog__is_legacy(mp);
	if (legacy) {
		xdp_program__detach(p, ifindex, libxdp_mode(mode), 0);
		err = -EOPNOTSUPP;
		goto out;
	}
	*prog_id = xdp_program__id(p);
out:
	if (mp && !libxdp_get_error(mp))
		xdp_multiprog__close(mp);
	xdp_program__close(p);
	xtap_bpf__destroy(skel);
	return err;
}

static int detach_xdp_libxdp(const struct xtap_iface *e)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(e->ifindex);
	struct xdp_program *p = NULL;
	int err = -ENOENT;

	if (libxdp_get_error(mp))
		return -ENOENT;
	while ((p = xdp_multiprog__next_prog(p, mp)))
		if (xdp_program__id(p) == e->prog_id[XTAP_HOOK_XDP]) {
			err = xdp_program__detach(p, e->ifindex, libxdp_mode(e->xdp_mode), 0);
			break;
		}
	xdp_multiprog__close(mp);
	return err;
}

static int pin_link(int link_fd, const char *path)
{
	return bpf_obj_pin(link_fd, path) ? -errno : 0;
}

static int attach_xdp_link(struct xtap_state *st, __u32 slot, int prog_fd, int ifindex, int mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo,
		    .flags = mode == XTAP_XDP_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
	char p[256];
	int fd, err;

	fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &lo);
	if (fd < 0)
		return -errno;
	link_path(st, slot, XTAP_HOOK_XDP, p, sizeof(p));
	err = pin_link(fd, p);
	close(fd);
	return err;
}

static int attach_tcx(struct xtap_state *st, __u32 slot, int prog_fd, int ifindex, int hook)
{
	int type = hook == XTAP_HOOK_TC_INGRESS ? XTAP_BPF_TCX_INGRESS : XTAP_BPF_TCX_EGRESS;
	char p[256];
	int fd, err;

	fd = bpf_link_create(prog_fd, ifindex, type, NULL);
	if (fd < 0)
		return -errno;
	link_path(st, slot, hook, p, sizeof(p));
	err = pin_link(fd, p);
	close(fd);
	return err;
}

/*
 * Kind of the qdisc at the ingress/clsact handle (ffff:) of ifindex, into
 * kind: "clsact", "ingress", or "" when there is none. An old "ingress"
 * qdisc sits where clsact would and makes libbpf's hook_create say EEXIST,
 * but it has no egress hook: a filter meant for egress would land on ingress.
 */
static int qdisc_kind_at_ingress(int ifindex, char *kind, size_t len)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETQDISC,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.tc = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex },
	};
	char buf[16384];
	int fd, done = 0, err = 0;

	kind[0] = '\0';
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, sizeof(req), 0) < 0) {
		err = -errno;
		goto out;
	}
	while (!done) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nh;

		if (n < 0) {
			err = -errno;
			break;
		}
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
			struct tcmsg *tc = NLMSG_DATA(nh);
			struct rtattr *a;
			int alen;

			if (nh->nlmsg_type == NLMSG_DONE || nh->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			if (nh->nlmsg_type != RTM_NEWQDISC || tc->tcm_ifindex != ifindex ||
			    tc->tcm_parent != TC_H_INGRESS)
				continue;
			alen = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*tc));
			for (a = (struct rtattr *)((char *)tc + NLMSG_ALIGN(sizeof(*tc))); RTA_OK(a, alen);
			     a = RTA_NEXT(a, alen))
				if (a->rta_type == TCA_KIND)
					snprintf(kind, len, "%s", (char *)RTA_DATA(a));
		}
	}
out:
	close(fd);
	return err;
}

static int attach_clsact(struct xtap_iface *e, int prog_fd, int hook)
{
	int i = hook == XTAP_HOOK_TC_INGRESS ? 0 : 1;
	LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = (int)e->ifindex,
		    .attach_point = i ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, to, .prog_fd = prog_fd);
	int err;

	err = bpf_tc_hook_create(&h);
	if (err == 0) {
		e->clsact_created = 1;
	} else if (err == -EEXIST) {
		char kind[32];

		if (!qdisc_kind_at_ingress((int)e->ifindex, kind, sizeof(kind)) &&
		    strcmp(kind, "clsact"))
			return -EBUSY;	/* reported as "an ingress qdisc is in the way" */
	} else {
		return err;
	}
	err = bpf_tc_attach(&h, &to);
	if (err)
		return err;
	e->tc_handle[i] = to.handle;
	e->tc_prio[i] = to.priority;
	return 0;
}

static void detach_clsact(const struct xtap_iface *e)
{
	for (int i = 0; i < 2; i++) {
		LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = (int)e->ifindex,
			    .attach_point = i ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, to, .handle = e->tc_handle[i], .priority = e->tc_prio[i]);

		if (e->tc_handle[i])
			bpf_tc_detach(&h, &to);
	}
	if (e->clsact_created) {
		LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = (int)e->ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

		bpf_tc_hook_destroy(&h);
	}
}

/* Undo what e records: links, filters, libxdp program. Needs e's netns for
 * the parts that are not links. */
static void undo(struct xtap_state *st, __u32 slot, const struct xtap_iface *e)
{
	char p[256];
	int saved = -1, in_ns;

	in_ns = enter_netns(e, &saved) == 0;
	if (in_ns && (e->hooks & (1u << XTAP_HOOK_XDP)) && e->xdp_mech == XTAP_XDP_LIBXDP)
		detach_xdp_libxdp(e);
	if (in_ns && e->tc_mech == XTAP_TC_CLSACT)
		detach_clsact(e);
	leave_netns(saved);
	for (int h = 0; h < XTAP_HOOK_MAX; h++) {
		link_path(st, slot, h, p, sizeof(p));
		unlink(p);	/* the last reference: the link detaches */
	}
}

/* Every pin in dir (maps xtap pinned there), then dir itself. */
static void remove_dir_pins(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	char p[512];

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			unlink(p);
		}
	closedir(d);
	rmdir(dir);
}

static void remove_all_pins(struct xtap_state *st)
{
	char p[256];

	path_of(st, p, sizeof(p), "maps");
	remove_dir_pins(p);
	path_of(st, p, sizeof(p), "ifaces");
	unlink(p);
	path_of(st, p, sizeof(p), "links");
	remove_dir_pins(p);
	rmdir(st->root);
}

static bool registry_empty(const struct xtap_state *st)
{
	struct xtap_iface e;

	for (__u32 s = 0; s < XTAP_MAX_SLOTS; s++)
		if (xtap_iface_get(st, s, &e) == 0)
			return false;
	return true;
}

/* The pinned table's size, or 0 when there is none. */
static __u32 pinned_flows_max(const struct xtap_state *st)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = xtap_map_open(st, "xtap_flows");

	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.max_entries = 0;
	close(fd);
	return info.max_entries;
}

static const char *mode_name(int m)
{
	return m == XTAP_XDP_GENERIC ? "generic" : "native";
}

static int attach_xdp(struct xtap_state *st, const struct xtap_attach_opts *o, __u32 slot,
		      struct xtap_bpf *skel, struct xtap_iface *e, const char *maps_dir, char *err,
		      size_t len)
{
	int modes[2], n = 0, r = -EINVAL;

	if (o->xdp_mode == XTAP_MODE_AUTO || o->xdp_mode == XTAP_XDP_NATIVE)
		modes[n++] = XTAP_XDP_NATIVE;
	if (o->xdp_mode == XTAP_MODE_AUTO || o->xdp_mode == XTAP_XDP_GENERIC)
		modes[n++] = XTAP_XDP_GENERIC;

	for (int i = 0; i < n; i++) {
		if (freplace_works()) {
			r = attach_xdp_libxdp(o, slot, (int)e->ifindex, modes[i], maps_dir,
					      &e->prog_id[XTAP_HOOK_XDP]);
			if (r == 0) {
				e->xdp_mech = XTAP_XDP_LIBXDP;
				e->xdp_mode = modes[i];
				return 0;
			}
		}
		r = attach_xdp_link(st, slot, bpf_program__fd(skel->progs.xdp_tap), (int)e->ifindex,
				    modes[i]);
		if (r == 0) {
			e->xdp_mech = XTAP_XDP_LINK;
			e->xdp_mode = modes[i];
			e->prog_id[XTAP_HOOK_XDP] = prog_id_of(bpf_program__fd(skel->progs.xdp_tap));
			return 0;
		}
		if (r == -EBUSY || r == -EEXIST) {
			char who[128];

			xdp_holder((int)e->ifindex, who, sizeof(who));
			return fail(err, len, r, "%s holds XDP here; xtap does not replace another tool's program", who);
		}
	}
	return fail(err, len, r, "XDP %s attach failed: %s", n == 1 ? mode_name(modes[0]) : "native or generic",
		    strerror(-r));
}

static int attach_tc(struct xtap_state *st, const struct xtap_attach_opts *o, __u32 slot,
		     struct xtap_bpf *skel, struct xtap_iface *e, char *err, size_t len)
{
	for (int h = XTAP_HOOK_TC_INGRESS; h <= XTAP_HOOK_TC_EGRESS; h++) {
		struct bpf_program *prog = h == XTAP_HOOK_TC_INGRESS ? skel->progs.tc_tap_ingress :
								       skel->progs.tc_tap_egress;
		int fd = bpf_program__fd(prog), r = -EINVAL;

		if (!(o->hooks & (1u << h)))
			continue;
		if (e->tc_mech != XTAP_TC_CLSACT && o->tc_mech != XTAP_TC_CLSACT) {
			r = attach_tcx(st, slot, fd, (int)e->ifindex, h);
			if (r == 0)
				e->tc_mech = XTAP_TC_TCX;
			else if (o->tc_mech == XTAP_TC_TCX || e->tc_mech == XTAP_TC_TCX)
				return fail(err, len, r, "tcx %s attach failed: %s", hook_pin[h], strerror(-r));
		}
		if (r) {
			r = attach_clsact(e, fd, h);
			if (r == -EBUSY)
				return fail(err, len, r, "a qdisc other than clsact (an \"ingress\" qdisc?) holds the ingress handle; xtap needs clsact or tcx");
			if (r)
				return fail(err, len, r, "clsact %s filter: %s", hook_pin[h], strerror(-r));
			e->tc_mech = XTAP_TC_CLSACT;
		}
		e->prog_id[h] = prog_id_of(fd);
	}
	return 0;
}

/* ARPHRD_* link type of ifname in this namespace, or -errno. */
static int link_type(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	r = ioctl(fd, SIOCGIFHWADDR, &ifr) ? -errno : ifr.ifr_hwaddr.sa_family;
	close(fd);
	return r;
}

/* A slot starts counting from zero: it may have served another interface. */
static int zero_counters(struct xtap_bpf *skel, __u32 slot)
{
	int ncpu = libbpf_num_possible_cpus(), r = 0;
	struct xtap_stats *zero;

	if (ncpu < 0)
		return ncpu;
	zero = calloc(ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	for (int h = 0; h < XTAP_HOOK_MAX && !r; h++) {
		__u32 point = XTAP_POINT(slot, h);

		if (bpf_map_update_elem(bpf_map__fd(skel->maps.xtap_stats), &point, zero, BPF_ANY))
			r = -errno;
	}
	free(zero);
	return r;
}

int xtap_attach(struct xtap_state *st, const struct xtap_attach_opts *o, struct xtap_iface *out,
		char *err, size_t len)
{
	struct xtap_load_opts lo = { 0 };
	struct xtap_bpf *skel = NULL;
	struct xtap_iface e = { 0 };
	char maps_dir[256];
	__u32 pinned, slot = XTAP_MAX_SLOTS;
	struct timespec now;
	int r, found;

	e.ifindex = if_nametoindex(o->ifname);
	if (!e.ifindex)
		return fail(err, len, ENODEV, "interface not found");
	if (strlen(o->ifname) >= sizeof(e.name))
		return fail(err, len, EINVAL, "interface name too long");
	/* the parser starts at an Ethernet header (loopback has one too); an
	 * L3 device such as tun or wireguard would be misread */
	r = link_type(o->ifname);
	if (r >= 0 && r != ARPHRD_ETHER && r != ARPHRD_LOOPBACK)
		return fail(err, len, EOPNOTSUPP,
			    "link type %d is not Ethernet; xtap parses Ethernet frames", r);
	e.netns_cookie = netns_cookie();
	r = netns_id(&e.netns_dev, &e.netns_ino);
	if (r)
		return fail(err, len, r, "network namespace: %s", strerror(-r));
	snprintf(e.name, sizeof(e.name), "%s", o->ifname);

	for (__u32 s = 0; s < XTAP_MAX_SLOTS; s++) {
		struct xtap_iface x;

		found = xtap_iface_get(st, s, &x) == 0;
		if (found && x.ifindex == e.ifindex && in_netns_of(&x)) {
			*out = x;
			return 1;
		}
		if (!found && slot == XTAP_MAX_SLOTS)
			slot = s;
	}
	if (slot == XTAP_MAX_SLOTS)
		return fail(err, len, ENOSPC, "all %d interface slots are in use", XTAP_MAX_SLOTS);

	pinned = pinned_flows_max(st);
	if (pinned && o->flows_max && o->flows_max != pinned)
		return fail(err, len, EEXIST,
			    "the shared flow table has %u entries, not %u (detach --all to resize it)",
			    pinned, o->flows_max);
	path_of(st, maps_dir, sizeof(maps_dir), "maps");
	lo.slot = slot;
	lo.flows_max = pinned ? pinned : o->flows_max;
	lo.pin_dir = maps_dir;
	lo.with_xdp = o->hooks & (1u << XTAP_HOOK_XDP);
	r = xtap_load(&lo, &skel);
	if (r) {
		fail(err, len, r, "load programs: %s%s", strerror(-r),
		     r == -EPERM ? " (xtap needs root, or CAP_BPF and CAP_NET_ADMIN)" : "");
		goto rollback;
	}

	r = zero_counters(skel, slot);
	if (r) {
		fail(err, len, r, "reset counters: %s", strerror(-r));
		goto rollback;
	}
	e.used = 1;
	e.hooks = o->hooks;
	if (o->hooks & (1u << XTAP_HOOK_XDP)) {
		struct xtap_attach_opts xo = *o;

		xo.flows_max = lo.flows_max;
		r = attach_xdp(st, &xo, slot, skel, &e, maps_dir, err, len);
		if (r)
			goto rollback;
	}
	r = attach_tc(st, o, slot, skel, &e, err, len);
	if (r)
		goto rollback;
	clock_gettime(CLOCK_REALTIME, &now);
	e.attached_ns = (__u64)now.tv_sec * 1000000000ull + (__u64)now.tv_nsec;
	r = iface_put(st, slot, &e);
	if (r) {
		fail(err, len, r, "registry update: %s", strerror(-r));
		goto rollback;
	}
	xtap_unload(skel);
	*out = e;
	return 0;

rollback:
	undo(st, slot, &e);
	if (skel)
		xtap_unload(skel);
	if (registry_empty(st))
		remove_all_pins(st);
	return r;
}

int xtap_detach_slot(struct xtap_state *st, __u32 slot, char *err, size_t len)
{
	struct xtap_iface e, empty = { 0 };
	int r = xtap_iface_get(st, slot, &e);

	if (r)
		return fail(err, len, r, "slot %u is not attached", slot);
	undo(st, slot, &e);
	r = iface_put(st, slot, &empty);
	if (r)
		return fail(err, len, r, "registry update: %s", strerror(-r));
	if (registry_empty(st)) {
		close(st->reg_fd);
		st->reg_fd = -1;
		remove_all_pins(st);
	}
	return 0;
}
