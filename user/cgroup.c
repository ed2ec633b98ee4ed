// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cgroup v2 ids and paths: the id of a cgroup is the inode number of its
 * directory in the cgroup2 file system. */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "user/cgroup.h"
#include "user/log.h"

struct cg_entry {
	__u64 id;
	char *path;
};

static struct {
	char root[4096];
	int root_state;		/* 0: not looked for, 1: found, -1: none */
	struct cg_entry *e;
	size_t n, cap;
	int walked;
	struct timespec walk_t;
} cg;

/* The fields of a mountinfo line are separated by blanks; the file system
 * type follows " - ". Octal escapes (\040) in the mount point are decoded. */
static int find_mount(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192];
	int found = -1;

	if (!f)
		return -1;
	while (found && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - "), *mp, *p;
		size_t o = 0;

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		/* id parent major:minor root mount-point */
		mp = line;
		for (int i = 0; i < 4 && mp; i++) {
			mp = strchr(mp, ' ');
			if (mp)
				mp++;
		}
		if (!mp)
			continue;
		for (p = mp; *p && *p != ' ' && o + 1 < len; p++) {
			if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] && p[3]) {
				out[o++] = (char)((p[1] - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0'));
				p += 3;
			} else {
				out[o++] = *p;
			}
		}
		out[o] = '\0';
		found = 0;
	}
	fclose(f);
	return found;
}

const char *xtap_cgroup_root(void)
{
	if (!cg.root_state)
		cg.root_state = find_mount(cg.root, sizeof(cg.root)) ? -1 : 1;
	return cg.root_state > 0 ? cg.root : NULL;
}

static void forget(void)
{
	for (size_t i = 0; i < cg.n; i++)
		free(cg.e[i].path);
	free(cg.e);
	cg.e = NULL;
	cg.n = cg.cap = 0;
	cg.walked = 0;
}

void xtap_cgroup_set_root(const char *root)
{
	forget();
	cg.root_state = 0;
	if (root) {
		snprintf(cg.root, sizeof(cg.root), "%s", root);
		cg.root_state = 1;
	}
}

static int walk_one(const char *fpath, const struct stat *sb, int type, struct FTW *ftw)
{
	size_t rl = strlen(cg.root);
	const char *rel;

	(void)ftw;
	if (type != FTW_D)
		return 0;
	if (cg.n == cg.cap) {
		size_t cap = cg.cap ? 2 * cg.cap : 64;
		struct cg_entry *e = realloc(cg.e, cap * sizeof(*e));

		if (!e)
			return -1;
		cg.e = e;
		cg.cap = cap;
	}
	rel = fpath + rl;
	cg.e[cg.n].id = sb->st_ino;
	cg.e[cg.n].path = strdup(*rel ? rel : "/");
	if (!cg.e[cg.n].path)
		return -1;
	cg.n++;
	return 0;
}

static int by_id(const void *a, const void *b)
{
	const struct cg_entry *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void walk(void)
{
	char root[sizeof(cg.root)];
	size_t rl;

	forget();
	clock_gettime(CLOCK_MONOTONIC, &cg.walk_t);
	cg.walked = 1;
	if (!xtap_cgroup_root())
		return;
	/* the paths below the root start with its '/' */
	snprintf(root, sizeof(root), "%s", cg.root);
	rl = strlen(root);
	while (rl > 1 && root[rl - 1] == '/')
		root[--rl] = '\0';
	snprintf(cg.root, sizeof(cg.root), "%s", root);
	if (nftw(root, walk_one, 32, FTW_PHYS | FTW_MOUNT) && !cg.n)
		return;
	qsort(cg.e, cg.n, sizeof(*cg.e), by_id);
}

static const char *find(__u64 id)
{
	struct cg_entry k = { .id = id }, *e;

	if (!cg.n)
		return NULL;
	e = bsearch(&k, cg.e, cg.n, sizeof(*cg.e), by_id);
	return e ? e->path : NULL;
}

const char *xtap_cgroup_path(__u64 id)
{
	const char *p;
	struct timespec now;

	if (!id)
		return NULL;
	if (!cg.walked)
		walk();
	p = find(id);
	if (p)
		return p;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - cg.walk_t.tv_sec < 1 ||
	    (now.tv_sec - cg.walk_t.tv_sec == 1 && now.tv_nsec < cg.walk_t.tv_nsec))
		return NULL;
	walk();
	return find(id);
}

int xtap_cgroup_id(const char *path, __u64 *id)
{
	const char *root = xtap_cgroup_root();
	char full[8192];
	struct stat sb;
	size_t rl;

	if (!root)
		return -ENOENT;
	rl = strlen(root);
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (!strncmp(path, root, rl) && (path[rl] == '/' || !path[rl]))
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%.*s/%s", (int)rl, root, path[0] == '/' ? path + 1 : path);
	if (stat(full, &sb))
		return -errno;
	if (!S_ISDIR(sb.st_mode))
		return -ENOTDIR;
	*id = sb.st_ino;
	return 0;
}

void xtap_cgroup_short(const char *path, char *buf, size_t width)
{
	size_t n;

	if (!width)
		return;
	if (!path)
		path = "-";
	n = strlen(path);
	if (n <= width - 1 || width < 5) {
		snprintf(buf, width, "%s", path);
	} else {
		/* from a '/' in what fits, when there is one: whole names */
		const char *tail = path + n - (width - 4), *slash = strchr(tail, '/');

		snprintf(buf, width, "...%s", slash ? slash : tail);
	}
}

int xtap_cgroup_opt(const char *cmd, const char *path, __u64 *id)
{
	int err;

	if (!xtap_cgroup_root()) {
		xtap_err("%s: --cgroup %s: no cgroup v2 file system is mounted", cmd, path);
		return -1;
	}
	err = xtap_cgroup_id(path, id);
	if (err == -ENOENT)
		xtap_err("%s: --cgroup %s: no such cgroup under %s", cmd, path, xtap_cgroup_root());
	else if (err)
		xtap_err("%s: --cgroup %s: %s", cmd, path, strerror(-err));
	return err ? -1 : 0;
}
