/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The HTTP server of xtap serve: GET /metrics answered with a body made
 * fresh for each request. One thread polls every socket, all non-blocking:
 * a request is read, answered and written as the client takes it, so a
 * slow or vanished client holds up nobody. Each connection answers one
 * request and closes. The limits:
 * - a request's head larger than XTAP_HTTP_REQ_MAX gets 431 and is closed;
 * - a connection not done within XTAP_HTTP_TIMEOUT_MS of its accept is
 *   closed, however slowly it keeps sending;
 * - XTAP_HTTP_MAX_CONNS connections at once: at the limit a new client takes
 *   the slot of the oldest one that has not sent its whole request yet, and
 *   a client's request is read the moment it is accepted, so idle
 *   connections, however many, cannot keep a scrape out.
 */
#ifndef XTAP_USER_SERVE_H
#define XTAP_USER_SERVE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define XTAP_HTTP_MAX_CONNS 64
#define XTAP_HTTP_REQ_MAX 8192		/* bytes of a request's head */
#define XTAP_HTTP_TIMEOUT_MS 10000
#define XTAP_HTTP_BACKLOG 1024		/* clients waiting to be accepted */

/* The body of GET /metrics, malloc'ed, its length in *len; NULL: the
 * request gets 500. */
typedef char *(*xtap_http_body_fn)(void *arg, size_t *len);

struct xtap_http_server;

/* A server on the listening socket lfd (-1: none, connections come from
 * xtap_http_server_add). NULL when out of memory. */
struct xtap_http_server *xtap_http_server_new(int lfd, xtap_http_body_fn body, void *arg);
/* Takes a connected socket as a client connection. 0, or -ENOSPC at the
 * connection limit (fd stays the caller's; only accepted clients take
 * another's slot). */
int xtap_http_server_add(struct xtap_http_server *s, int fd);
/* Connections time out after ms instead of XTAP_HTTP_TIMEOUT_MS. */
void xtap_http_server_timeout(struct xtap_http_server *s, long ms);
/* One round: waits up to timeout_ms for a socket to be ready, then reads,
 * answers, writes and accepts what it can. 0, or -errno of poll. */
int xtap_http_server_step(struct xtap_http_server *s, int timeout_ms);
/* Open client connections. */
int xtap_http_server_conns(const struct xtap_http_server *s);
/* Closes every connection and the listening socket. */
void xtap_http_server_free(struct xtap_http_server *s);

/* A listening TCP socket on addr (serve's --listen), or -1 after printing
 * "serve: ADDR: cause". */
int xtap_serve_listen(const struct sockaddr_storage *addr, socklen_t alen);
/* Serves xtap's metrics (xtap_prom_scrape) on lfd until *stop, closing it
 * at the end. 0, or -1 after printing the error that ended it. */
/* follow: see user/query.h xtap_query_watch; the state is checked at the start */
int xtap_serve(int lfd, const volatile sig_atomic_t *stop, bool follow);

#endif
