/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Files xtap writes what it saw into (packets, flow records): they are
 * private to the user who made them. A symbolic link is not followed (its
 * target could be any file), a file with other hard links is refused (the
 * same), a new file is created 0600 and an existing regular file is made
 * 0600 before anything is written to it. A FIFO or a device (/dev/null, a
 * pipe for Wireshark) is written as it is.
 */
#ifndef XTAP_USER_OUTFILE_H
#define XTAP_USER_OUTFILE_H

#include <stddef.h>

/* Opens path for writing with extra flags (O_TRUNC or O_APPEND). The fd, or
 * -errno with the cause in err (without the path). */
int xtap_outfile_open(const char *path, int flags, char *err, size_t len);

#endif
