// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Network namespaces: which one an entry was attached in, and getting there. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader/internal.h"

#define NETNS_DIR "/run/netns"

int xtap_netns_id(__u64 *dev, __u64 *ino)
{
	struct stat s;

	if (stat("/proc/self/ns/net", &s))
		return -errno;
	*dev = s.st_dev;
	*ino = s.st_ino;
	return 0;
}

__u64 xtap_netns_cookie(void)
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

bool xtap_in_netns_of(const struct xtap_iface *e)
{
	__u64 dev = 0, ino = 0, c = xtap_netns_cookie();

	if (c && e->netns_cookie)
		return c == e->netns_cookie;
	return xtap_netns_id(&dev, &ino) == 0 && dev == e->netns_dev && ino == e->netns_ino;
}

/* The /run/netns name of e's namespace into name: 0, or -ENOENT. */
static int netns_lookup(const struct xtap_iface *e, char *name, size_t len)
{
	struct dirent *de;
	DIR *d = opendir(NETNS_DIR);
	int rc = -ENOENT;

	if (!d)
		return -ENOENT;
	while ((de = readdir(d))) {
		char p[sizeof(NETNS_DIR "/") + NAME_MAX];
		struct stat s;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), NETNS_DIR "/%s", de->d_name);
		if (stat(p, &s) || s.st_dev != e->netns_dev || s.st_ino != e->netns_ino)
			continue;
		snprintf(name, len, "%s", de->d_name);
		rc = 0;
		break;
	}
	closedir(d);
	return rc;
}

int xtap_netns_enter(const struct xtap_iface *e, int *saved)
{
	char name[NAME_MAX + 1], p[sizeof(NETNS_DIR "/") + NAME_MAX];
	int fd, rc = -ENOENT;

	*saved = -1;
	if (xtap_in_netns_of(e))
		return 0;
	if (netns_lookup(e, name, sizeof(name)))
		return -ENOENT;
	snprintf(p, sizeof(p), NETNS_DIR "/%s", name);
	*saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (*saved >= 0 && fd >= 0 && setns(fd, CLONE_NEWNET) == 0) {
		rc = 0;
		/* an inode can be reused by a newer namespace */
		if (!xtap_in_netns_of(e)) {
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
	return rc;
}

void xtap_netns_leave(int saved)
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
	if (xtap_in_netns_of(e))
		snprintf(buf, len, "%s", "");
	else if (netns_lookup(e, buf, len))
		snprintf(buf, len, "netns:%llu", (unsigned long long)e->netns_ino);
}

int xtap_iface_present(const struct xtap_iface *e)
{
	char name[IF_NAMESIZE];
	int saved, present;

	if (xtap_netns_enter(e, &saved))
		return -1;
	present = if_indextoname(e->ifindex, name) && !strcmp(name, e->name);
	xtap_netns_leave(saved);
	return present;
}
