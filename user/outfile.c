// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "user/outfile.h"

int xtap_outfile_open(const char *path, int flags, char *err, size_t len)
{
	struct stat s;
	int fd, e;

	/* not O_TRUNC yet: a file refused below keeps its content */
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (flags & ~O_TRUNC), 0600);
	if (fd < 0) {
		e = errno;
		if (e == ELOOP)
			snprintf(err, len, "is a symbolic link; xtap does not write through one");
		else
			snprintf(err, len, "%s", strerror(e));
		return -e;
	}
	if (fstat(fd, &s)) {
		e = errno;
		snprintf(err, len, "%s", strerror(e));
		goto fail;
	}
	if (S_ISREG(s.st_mode)) {
		if (s.st_nlink > 1) {
			e = EMLINK;
			snprintf(err, len, "has other hard links; xtap does not write through one");
			goto fail;
		}
		if ((s.st_mode & 07777) != 0600 && fchmod(fd, 0600)) {
			e = errno;
			snprintf(err, len, "cannot make it private (mode 0600): %s", strerror(e));
			goto fail;
		}
		if ((flags & O_TRUNC) && ftruncate(fd, 0)) {
			e = errno;
			snprintf(err, len, "%s", strerror(e));
			goto fail;
		}
	}
	return fd;
fail:
	close(fd);
	return -e;
}
