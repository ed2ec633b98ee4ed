// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The pinned state: pin root, lock, ABI record, registry. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "loader/internal.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif
#define NEEDS_ROOT " (xtap needs root, or CAP_BPF and CAP_NET_ADMIN)"

int xtap_fail(char *err, size_t len, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return e < 0 ? e : -e;
}

void xtap_state_path(const struct xtap_state *st, const char *what, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", st->root, what);
}

static void link_path(const struct xtap_state *st, __u32 slot, enum xtap_hook h, char *buf,
		      size_t len)
{
	snprintf(buf, len, "%s/links/%u-%s", st->root, slot, xtap_hooks[h].name);
}

int xtap_link_pin(const struct xtap_state *st, __u32 slot, enum xtap_hook h, int link_fd)
{
	char p[256];
	int r;

	link_path(st, slot, h, p, sizeof(p));
	r = bpf_obj_pin(link_fd, p) ? -errno : 0;
	close(link_fd);
	return r;
}

int xtap_link_get(const struct xtap_state *st, __u32 slot, enum xtap_hook h)
{
	char p[256];
	int fd;

	link_path(st, slot, h, p, sizeof(p));
	fd = bpf_obj_get(p);
	return fd < 0 ? -errno : fd;
}

void xtap_link_unpin(const struct xtap_state *st, __u32 slot, enum xtap_hook h)
{
	char p[256];

	link_path(st, slot, h, p, sizeof(p));
	unlink(p);	/* the last reference: the link detaches */
}

static int ensure_bpffs(char *err, size_t len)
{
	struct statfs fs;

	if (statfs(XTAP_BPFFS, &fs) == 0 && fs.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", XTAP_BPFFS, "bpf", 0, "mode=0700"))
		return xtap_fail(err, len, errno,
				 "bpffs is not mounted at %s and mounting it failed: %s", XTAP_BPFFS,
				 strerror(errno));
	return 0;
}

static int mkdir_private(const char *p, char *err, size_t len)
{
	if (mkdir(p, 0700) && errno != EEXIST)
		return xtap_fail(err, len, errno, "mkdir %s: %s", p, strerror(errno));
	return 0;
}

/*
 * The ABI record: a one-entry array map pinned at <root>/abi holding the
 * XTAP_ABI_VERSION of the xtap that made the state. A state made before
 * there was a record has version 0.
 */
static __u32 abi_recorded(const struct xtap_state *st)
{
	struct bpf_map_info info = {};
	__u32 ilen = sizeof(info), key = 0, v = 0;
	char p[256];
	int fd;

	xtap_state_path(st, "abi", p, sizeof(p));
	fd = bpf_obj_get(p);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen) || info.type != BPF_MAP_TYPE_ARRAY ||
	    info.key_size != sizeof(key) || info.value_size != sizeof(v) ||
	    bpf_map_lookup_elem(fd, &key, &v))
		v = 0;
	close(fd);
	return v;
}

static int abi_record(const struct xtap_state *st, char *err, size_t len)
{
	__u32 key = 0, v = XTAP_ABI_VERSION;
	char p[256];
	int fd, e = 0;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xtap_abi", sizeof(key), sizeof(v), 1, NULL);
	if (fd < 0)
		return xtap_fail(err, len, errno, "create the ABI record: %s%s", strerror(errno),
				 errno == EPERM ? NEEDS_ROOT : "");
	xtap_state_path(st, "abi", p, sizeof(p));
	unlink(p);	/* left by a creation that failed later */
	if (bpf_map_update_elem(fd, &key, &v, BPF_ANY))
		e = xtap_fail(err, len, errno, "write the ABI record: %s", strerror(errno));
	else if (bpf_obj_pin(fd, p))
		e = xtap_fail(err, len, errno, "pin %s: %s", p, strerror(errno));
	close(fd);
	return e;
}

/* Are the registry's entries struct xtap_iface? */
static bool registry_readable(int fd)
{
	struct bpf_map_info info = {};
	__u32 ilen = sizeof(info);

	return !bpf_obj_get_info_by_fd(fd, &info, &ilen) && info.key_size == sizeof(__u32) &&
	       info.value_size == sizeof(struct xtap_iface) && info.max_entries >= XTAP_MAX_SLOTS;
}

static int state_create(struct xtap_state *st, char *err, size_t len)
{
	char p[256];
	int e;

	if ((e = mkdir_private(st->root, err, len)))
		return e;
	xtap_state_path(st, "maps", p, sizeof(p));
	if ((e = mkdir_private(p, err, len)))
		return e;
	xtap_state_path(st, "links", p, sizeof(p));
	if ((e = mkdir_private(p, err, len)))
		return e;
	/* the record first: a registry is what says that a state exists */
	if ((e = abi_record(st, err, len)))
		return e;

	LIBBPF_OPTS(bpf_map_create_opts, mo);
	st->reg_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xtap_ifaces", sizeof(__u32),
				    sizeof(struct xtap_iface), XTAP_MAX_SLOTS, &mo);
	if (st->reg_fd < 0)
		return xtap_fail(err, len, errno, "create registry: %s%s", strerror(errno),
				 errno == EPERM ? NEEDS_ROOT : "");
	xtap_state_path(st, "ifaces", p, sizeof(p));
	if (bpf_obj_pin(st->reg_fd, p))
		return xtap_fail(err, len, errno, "pin %s: %s", p, strerror(errno));
	st->reg_readable = true;
	return 0;
}

/* The state as it is in the registry's absence: nothing attached. */
static int state_open_registry(struct xtap_state *st, unsigned int flags, char *err, size_t len)
{
	char p[256];
	__u32 abi;

	xtap_state_path(st, "ifaces", p, sizeof(p));
	st->reg_fd = bpf_obj_get(p);
	if (st->reg_fd < 0 && !(flags & XTAP_STATE_CREATE))
		return 0;
	if (st->reg_fd < 0) {
		if (errno == EPERM || errno == EACCES)
			return xtap_fail(err, len, errno, "%s: permission denied" NEEDS_ROOT, p);
		return state_create(st, err, len);
	}
	abi = abi_recorded(st);
	if (abi != XTAP_ABI_VERSION && !(flags & XTAP_STATE_ANY_ABI))
		return xtap_fail(err, len, EPROTO,
				 "pinned state at %s has ABI %u, this xtap has ABI %u: run 'xtap detach --all', then attach again",
				 st->root, abi, XTAP_ABI_VERSION);
	/* another ABI's registry may not be laid out as this one's: its
	 * entries read as empty, and detach --all removes the state */
	st->reg_readable = registry_readable(st->reg_fd);
	if (!st->reg_readable && !(flags & XTAP_STATE_ANY_ABI))
		return xtap_fail(err, len, EPROTO,
				 "pinned state at %s: the registry is not laid out as this xtap's: run 'xtap detach --all', then attach again",
				 st->root);
	return 0;
}

/* Is p on a bpf filesystem? */
static bool on_bpffs(const char *p)
{
	struct statfs fs;

	return statfs(p, &fs) == 0 && fs.f_type == BPF_FS_MAGIC;
}

/*
 * The canonical spelling of the pin root into out: symlinks, "." and ".."
 * resolved and repeated or trailing slashes gone, so that every spelling of
 * one directory names (and locks) one state. The directory itself need not
 * exist yet, its parent must. 0, or -errno with the cause in err.
 */
int xtap_pin_root_canon(const char *root, char *out, size_t outlen, char *err, size_t len)
{
	char buf[PATH_MAX], dir[PATH_MAX], path[2 * PATH_MAX], *slash, *last;
	size_t n;

	if (root[0] != '/' || strlen(root) >= sizeof(buf))
		return xtap_fail(err, len, EINVAL, "XTAP_PIN_ROOT %s: not an absolute path", root);
	snprintf(buf, sizeof(buf), "%s", root);
	/* trailing "/" and "/." name the directory before them */
	for (n = strlen(buf); n > 1;) {
		if (buf[n - 1] == '/')
			buf[--n] = '\0';
		else if (n > 2 && buf[n - 1] == '.' && buf[n - 2] == '/')
			buf[n -= 2] = '\0';
		else
			break;
	}
	if (!buf[0])
		snprintf(buf, sizeof(buf), "/");
	if (realpath(buf, dir)) {
		snprintf(path, sizeof(path), "%s", dir);
	} else if (errno == ENOENT) {
		slash = strrchr(buf, '/');
		last = slash + 1;
		if (!strcmp(last, ".."))
			return xtap_fail(err, len, ENOENT, "XTAP_PIN_ROOT %s: %s", root,
					 strerror(ENOENT));
		*slash = '\0';
		if (!realpath(slash == buf ? "/" : buf, dir))
			return xtap_fail(err, len, errno, "XTAP_PIN_ROOT %s: its parent directory: %s",
					 root, strerror(errno));
		snprintf(path, sizeof(path), "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", last);
	} else {
		return xtap_fail(err, len, errno, "XTAP_PIN_ROOT %s: %s", root, strerror(errno));
	}
	if (strlen(path) >= outlen)
		return xtap_fail(err, len, ENAMETOOLONG, "XTAP_PIN_ROOT %s: longer than %zu bytes",
				 root, outlen - 1);
	snprintf(out, outlen, "%s", path);
	return 0;
}

/*
 * The pin root must be a directory inside a bpf filesystem (its parent is on
 * one), not the filesystem's root. The default parent, XTAP_BPFFS, may not be
 * mounted yet: *unmounted says so (attach mounts it; there is no state yet).
 */
static int check_root(const char *given, const char *canon, bool *unmounted, char *err,
		      size_t len)
{
	char parent[PATH_MAX], *slash;

	*unmounted = false;
	snprintf(parent, sizeof(parent), "%s", canon);
	slash = strrchr(parent, '/');
	if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (on_bpffs(parent))
		return 0;
	if (on_bpffs(canon))
		return xtap_fail(err, len, EINVAL,
				 "XTAP_PIN_ROOT %s: is the root of a bpf filesystem; name a directory in it, such as %s",
				 given, XTAP_PIN_ROOT);
	if (!strcmp(parent, XTAP_BPFFS)) {
		*unmounted = true;
		return 0;
	}
	return xtap_fail(err, len, EINVAL,
			 "XTAP_PIN_ROOT %s: not on a bpf filesystem; name a directory under %s",
			 given, XTAP_BPFFS);
}

/*
 * The lock is the pin root directory itself (flock on it): every spelling of
 * the root reaches the same inode, and nothing lives outside the state. A
 * directory removed (the last detach) while this waited for it is not the
 * state any more: look again. No directory and no creation: *none.
 */
static int lock_root(struct xtap_state *st, unsigned int flags, bool *none, char *err,
		     size_t len)
{
	struct stat held, now;

	*none = false;
	for (int tries = 0; tries < 1000; tries++) {
		if ((flags & XTAP_STATE_CREATE) && mkdir(st->root, 0700) && errno != EEXIST)
			return xtap_fail(err, len, errno, "mkdir %s: %s%s", st->root, strerror(errno),
					 errno == EPERM || errno == EACCES ? NEEDS_ROOT : "");
		st->lock_fd = open(st->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (st->lock_fd < 0 && errno == ENOENT && !(flags & XTAP_STATE_CREATE)) {
			*none = true;
			return 0;
		}
		if (st->lock_fd < 0 && errno == ENOENT)
			continue;
		if (st->lock_fd < 0)
			return xtap_fail(err, len, errno, "%s: %s%s", st->root, strerror(errno),
					 errno == EPERM || errno == EACCES ? NEEDS_ROOT : "");
		if (flock(st->lock_fd, LOCK_EX) || fstat(st->lock_fd, &held))
			return xtap_fail(err, len, errno, "lock %s: %s", st->root, strerror(errno));
		if (stat(st->root, &now) == 0 && now.st_ino == held.st_ino &&
		    now.st_dev == held.st_dev)
			return 0;
		close(st->lock_fd);
		st->lock_fd = -1;
	}
	return xtap_fail(err, len, EAGAIN, "lock %s: it keeps being removed and made again",
			 st->root);
}

int xtap_state_open(struct xtap_state *st, const char *root, unsigned int flags, char *err,
		    size_t len)
{
	bool unmounted, none;
	int e;

	memset(st, 0, sizeof(*st));
	st->reg_fd = st->lock_fd = -1;
	if (!root)
		root = getenv("XTAP_PIN_ROOT");
	if (!root || !*root)
		root = XTAP_PIN_ROOT;
	if ((e = xtap_pin_root_canon(root, st->root, sizeof(st->root) - 32, err, len)) ||
	    (e = check_root(root, st->root, &unmounted, err, len)))
		return e;
	if (unmounted) {
		if (!(flags & XTAP_STATE_CREATE))
			return 0;	/* no bpffs: nothing is attached */
		if ((e = ensure_bpffs(err, len)))
			return e;
	}
	e = lock_root(st, flags, &none, err, len);
	if (e)
		goto fail;
	if (none)
		return 0;
	e = state_open_registry(st, flags, err, len);
	if (!e)
		return 0;
fail:
	/* hold nothing: a caller that goes on may open the state again */
	if (st->reg_fd >= 0)
		close(st->reg_fd);
	if (st->lock_fd >= 0 && (flags & XTAP_STATE_CREATE))
		rmdir(st->root);	/* only when this left it empty */
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	st->reg_fd = st->lock_fd = -1;
	return e;
}

void xtap_state_close(struct xtap_state *st)
{
	/* a registry with no attachment left (an attach that failed on a
	 * clean host) is removed with everything under the pin root */
	if (st->reg_fd >= 0 && xtap_registry_empty(st)) {
		close(st->reg_fd);
		st->reg_fd = -1;
		xtap_state_remove(st);
	}
	if (st->reg_fd >= 0)
		close(st->reg_fd);
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	st->reg_fd = st->lock_fd = -1;
}

int xtap_iface_get(const struct xtap_state *st, __u32 slot, struct xtap_iface *out)
{
	if (st->reg_fd < 0 || !st->reg_readable)
		return -ENOENT;
	if (bpf_map_lookup_elem(st->reg_fd, &slot, out))
		return -errno;
	return out->used ? 0 : -ENOENT;
}

int xtap_iface_put(const struct xtap_state *st, __u32 slot, const struct xtap_iface *e)
{
	return bpf_map_update_elem(st->reg_fd, &slot, e, BPF_ANY) ? -errno : 0;
}

bool xtap_registry_empty(const struct xtap_state *st)
{
	struct xtap_iface e;

	for (__u32 s = 0; s < XTAP_MAX_SLOTS; s++)
		if (xtap_iface_get(st, s, &e) == 0)
			return false;
	return true;
}

int xtap_find_slot(struct xtap_state *st, const char *ifname)
{
	__u64 dev = 0, ino = 0;
	int gone = -ENOENT;

	if (xtap_netns_id(&dev, &ino))
		return -ENOENT;
	for (__u32 s = 0; s < XTAP_MAX_SLOTS; s++) {
		struct xtap_iface e;

		if (xtap_iface_get(st, s, &e) || strncmp(e.name, ifname, sizeof(e.name)))
			continue;
		if (xtap_in_netns_of(&e))
			return (int)s;
		if (gone < 0 && xtap_iface_present(&e) != 1)
			gone = (int)s;
	}
	return gone;
}

void xtap_not_attached(struct xtap_state *st, const char *ifname, char *buf, size_t len)
{
	char ns[64];

	snprintf(buf, len, "%s: not attached (run 'xtap attach %s' first)", ifname, ifname);
	for (__u32 s = 0; s < XTAP_MAX_SLOTS; s++) {
		struct xtap_iface e;

		if (xtap_iface_get(st, s, &e) || strncmp(e.name, ifname, sizeof(e.name)) ||
		    xtap_in_netns_of(&e) || xtap_slot_alive(st, s, &e) == 0)
			continue;
		xtap_netns_name(&e, ns, sizeof(ns));
		if (!strncmp(ns, "netns:", 6))
			snprintf(buf, len, "%s: attached in network namespace %s, not in this one",
				 ifname, ns);
		else
			snprintf(buf, len,
				 "%s: attached in network namespace %s, not in this one (run xtap there: nsenter --net=/run/netns/%s xtap ...)",
				 ifname, ns, ns);
		return;
	}
}

int xtap_map_open(const struct xtap_state *st, const char *name)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/maps/%s", st->root, name);
	fd = bpf_obj_get(p);
	return fd < 0 ? -errno : fd;
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

void xtap_state_remove(struct xtap_state *st)
{
	char p[256];

	xtap_state_path(st, "maps", p, sizeof(p));
	remove_dir_pins(p);
	xtap_state_path(st, "ifaces", p, sizeof(p));
	unlink(p);
	xtap_state_path(st, "abi", p, sizeof(p));
	unlink(p);
	xtap_state_path(st, "links", p, sizeof(p));
	remove_dir_pins(p);
	rmdir(st->root);
}

/* The id of the map pinned at root/what, 0 when there is none. */
static __u32 pinned_id(const char *root, const char *what)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, what);
	fd = bpf_obj_get(p);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.id = 0;
	close(fd);
	return info.id;
}

static __u64 mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u64)t.tv_sec * 1000000000ull + (__u64)t.tv_nsec;
}

void xtap_state_watch_start(struct xtap_state_watch *w, const struct xtap_state *st)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->root, sizeof(w->root), "%s", st->root);
	if (st->reg_fd >= 0) {
		w->reg_id = pinned_id(w->root, "ifaces");
		w->flows_id = pinned_id(w->root, "maps/xtap_flows");
	}
	w->next_ns = mono_ns() + 1000000000ull;
}

enum xtap_watch_event xtap_state_watch(struct xtap_state_watch *w, char *msg, size_t len)
{
	__u64 now = mono_ns();
	__u32 reg, flows;
	bool had = w->reg_id;

	if (now < w->next_ns)
		return XTAP_WATCH_SAME;
	w->next_ns = now + 1000000000ull;
	reg = pinned_id(w->root, "ifaces");
	flows = reg ? pinned_id(w->root, "maps/xtap_flows") : 0;
	if (reg == w->reg_id && flows == w->flows_id)
		return XTAP_WATCH_SAME;
	if (!reg || !flows) {	/* none, or one still being made */
		if (!had)
			return XTAP_WATCH_SAME;
		snprintf(msg, len, "the pinned state at %s is gone (the last interface was detached)",
			 w->root);
		return XTAP_WATCH_GONE;
	}
	w->reg_id = reg;
	w->flows_id = flows;
	if (!had)
		return XTAP_WATCH_SAME;
	snprintf(msg, len, "the pinned state at %s was replaced by a new attach, with new maps",
		 w->root);
	return XTAP_WATCH_NEW;
}
