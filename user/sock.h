/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Network addresses given on the command line (export, serve). */
#ifndef XTAP_USER_SOCK_H
#define XTAP_USER_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* "HOST:PORT", "[IPV6]:PORT" into an address for socktype (SOCK_DGRAM or
 * SOCK_STREAM). passive: an address to listen on. Returns 0; -1 when s is
 * not such an address (the port is 1 to 65535; HOST a literal address or a
 * name); -2 when HOST does not resolve, which is no fault of the syntax. The
 * cause is in err. */
int xtap_parse_hostport(const char *s, int socktype, bool passive, struct sockaddr_storage *out,
			socklen_t *len, char *err, size_t errlen);
/* The address as "HOST:PORT" / "[IPV6]:PORT". */
void xtap_sockaddr_str(const struct sockaddr_storage *a, char *buf, size_t len);

#endif
