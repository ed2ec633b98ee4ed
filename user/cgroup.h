/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* cgroup v2 ids (struct xtap_flow cgroup_id) and their paths. */
#ifndef XTAP_USER_CGROUP_H
#define XTAP_USER_CGROUP_H

#include <stddef.h>
#include <linux/types.h>

/* The cgroup v2 mount point: the first cgroup2 line of
 * /proc/self/mountinfo (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a
 * hybrid hierarchy), or the root set by xtap_cgroup_set_root. NULL when
 * there is none. */
const char *xtap_cgroup_root(void);
/* Use root instead of the mount point, and forget what was cached (tests). */
void xtap_cgroup_set_root(const char *root);

/* The path of cgroup id below the mount point ("/" for the root cgroup,
 * "/system.slice/ssh.service"), NULL when no cgroup has that id (removed,
 * or 0). The tree is walked once and cached; an id it does not hold walks
 * it again, at most once a second. The string lives until the next walk. */
const char *xtap_cgroup_path(__u64 id);

/* The id of a cgroup named by its path below the mount point ("/a/b" or
 * "a/b") or its full path (the mount point's included): the inode of its
 * directory. 0, or -errno (-ENOENT: no such cgroup, -ENOTDIR: not one). */
int xtap_cgroup_id(const char *path, __u64 *id);

/* --cgroup PATH of command cmd: its id, or a one-line error and -1. */
int xtap_cgroup_opt(const char *cmd, const char *path, __u64 *id);

/* path cut to fit a buffer of width bytes, for a table cell: the end is
 * kept (the unit or container names the workload), from a '/' when one is
 * in what fits, the cut start shown as "...". "-" for NULL. */
void xtap_cgroup_short(const char *path, char *buf, size_t width);

#endif
