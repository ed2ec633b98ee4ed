// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "user/log.h"
#include "user/prom.h"
#include "user/query.h"
#include "user/serve.h"
#include "user/sock.h"

struct conn {
	int fd;
	char req[XTAP_HTTP_REQ_MAX];
	size_t rlen;
	char *out;		/* the response, once the request's head is in */
	size_t olen, off;
	struct timespec since;
};

struct xtap_http_server {
	int lfd;
	xtap_http_body_fn body;
	void *arg;
	long timeout_ms;
	struct conn conns[XTAP_HTTP_MAX_CONNS];
	struct pollfd pfd[XTAP_HTTP_MAX_CONNS + 1];
};

static char *response(const char *status, const char *type, const char *body, size_t blen,
		      size_t *len)
{
	char *r = NULL;
	FILE *f = open_memstream(&r, len);

	if (!f)
		return NULL;
	fprintf(f, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
		status, type, blen);
	fwrite(body, 1, blen, f);
	if (fclose(f)) {
		free(r);
		return NULL;
	}
	return r;
}

/* Builds the answer once the request's head is in. */
static void answer(struct xtap_http_server *s, struct conn *c)
{
	static const char nf[] = "not found: xtap serves /metrics\n";
	static const char bad[] = "bad request\n";
	char method[16] = "", path[256] = "";
	char *body = NULL;
	size_t blen = 0;

	if (sscanf(c->req, "%15s %255s", method, path) != 2) {
		c->out = response("400 Bad Request", "text/plain", bad, sizeof(bad) - 1, &c->olen);
		return;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		c->out = response("405 Method Not Allowed", "text/plain", bad, sizeof(bad) - 1, &c->olen);
		return;
	}
	if (strcmp(path, "/metrics") && strncmp(path, "/metrics?", 9)) {
		c->out = response("404 Not Found", "text/plain", nf, sizeof(nf) - 1, &c->olen);
		return;
	}
	body = s->body(s->arg, &blen);
	if (!body) {
		c->out = response("500 Internal Server Error", "text/plain", bad, 0, &c->olen);
		return;
	}
	c->out = response("200 OK", "text/plain; version=0.0.4; charset=utf-8", body,
			  strcmp(method, "HEAD") ? blen : 0, &c->olen);
	free(body);
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static long ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* Reads what the client sent; answers once the head is complete, or
 * refuses a head larger than XTAP_HTTP_REQ_MAX. false: the connection is
 * done. */
static bool conn_read(struct xtap_http_server *s, struct conn *c)
{
	static const char big[] = "request too large\n";
	ssize_t r = recv(c->fd, c->req + c->rlen, sizeof(c->req) - 1 - c->rlen, 0);

	if (r < 0)
		return errno == EAGAIN || errno == EINTR;
	if (r == 0)
		return false;	/* gone before asking */
	c->rlen += (size_t)r;
	c->req[c->rlen] = '\0';
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n")) {
		answer(s, c);
		return c->out != NULL;
	}
	if (c->rlen == sizeof(c->req) - 1) {
		c->out = response("431 Request Header Fields Too Large", "text/plain", big,
				  sizeof(big) - 1, &c->olen);
		return c->out != NULL;
	}
	return true;
}

/* Writes what the socket takes. false: done (all sent, or the client left). */
static bool conn_write(struct conn *c)
{
	while (c->off < c->olen) {
		ssize_t w = send(c->fd, c->out + c->off, c->olen - c->off, MSG_NOSIGNAL);

		if (w < 0)
			return errno == EAGAIN || errno == EINTR;
		c->off += (size_t)w;
	}
	shutdown(c->fd, SHUT_WR);
	return false;
}

struct xtap_http_server *xtap_http_server_new(int lfd, xtap_http_body_fn body, void *arg)
{
	struct xtap_http_server *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->lfd = lfd;
	s->body = body;
	s->arg = arg;
	s->timeout_ms = XTAP_HTTP_TIMEOUT_MS;
	for (int i = 0; i < XTAP_HTTP_MAX_CONNS; i++)
		s->conns[i].fd = -1;
	return s;
}

void xtap_http_server_timeout(struct xtap_http_server *s, long ms)
{
	s->timeout_ms = ms;
}

int xtap_http_server_add(struct xtap_http_server *s, int fd)
{
	for (int i = 0; i < XTAP_HTTP_MAX_CONNS; i++) {
		if (s->conns[i].fd >= 0)
			continue;
		s->conns[i].fd = fd;
		clock_gettime(CLOCK_MONOTONIC, &s->conns[i].since);
		return 0;
	}
	return -ENOSPC;
}

int xtap_http_server_conns(const struct xtap_http_server *s)
{
	int n = 0;

	for (int i = 0; i < XTAP_HTTP_MAX_CONNS; i++)
		n += s->conns[i].fd >= 0;
	return n;
}

/* Moves a connection on: reads its request or writes its answer; closes it
 * when done. */
static void serve_conn(struct xtap_http_server *s, struct conn *c)
{
	bool keep = c->out ? conn_write(c) : conn_read(s, c);

	if (keep && c->out && c->off == 0)
		keep = conn_write(c);	/* most answers go at once */
	if (!keep)
		conn_close(c);
}

/* The connection accepted first of those that have not sent a whole
 * request yet; NULL when every one has. */
static struct conn *oldest_silent(struct xtap_http_server *s)
{
	struct conn *o = NULL;

	for (int i = 0; i < XTAP_HTTP_MAX_CONNS; i++) {
		struct conn *c = &s->conns[i];

		if (c->fd < 0 || c->out)
			continue;
		if (!o || c->since.tv_sec < o->since.tv_sec ||
		    (c->since.tv_sec == o->since.tv_sec && c->since.tv_nsec < o->since.tv_nsec))
			o = c;
	}
	return o;
}

/* A free slot, else the slot of the oldest silent connection, closed;
 * NULL when there is neither. */
static struct conn *take_slot(struct xtap_http_server *s)
{
	struct conn *c;

	for (int i = 0; i < XTAP_HTTP_MAX_CONNS; i++)
		if (s->conns[i].fd < 0)
			return &s->conns[i];
	c = oldest_silent(s);
	if (c)
		conn_close(c);
	return c;
}

/*
 * Accepts every waiting client. A client's request is usually in its socket
 * by the time it is accepted: it is read, answered and written at once, so
 * that a crowd of idle connections, which take each other's slots, cannot
 * push out a scrape before it is heard.
 */
static void accept_all(struct xtap_http_server *s)
{
	for (;;) {
		struct conn *c;
		int fd;

		if (xtap_http_server_conns(s) == XTAP_HTTP_MAX_CONNS && !oldest_silent(s))
			return;
		fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		c = take_slot(s);
		c->fd = fd;
		clock_gettime(CLOCK_MONOTONIC, &c->since);
		serve_conn(s, c);
	}
}

int xtap_http_server_step(struct xtap_http_server *s, int timeout_ms)
{
	struct pollfd *pfd = s->pfd;
	int n = 0, free_slots = 0, r;

	for (int i = 0; i < XTAP_HTTP_MAX_CONNS; i++) {
		struct conn *c = &s->conns[i];

		if (c->fd < 0) {
			free_slots++;
			continue;
		}
		if (ms_since(&c->since) > s->timeout_ms) {
			conn_close(c);
			free_slots++;
			continue;
		}
		pfd[n++] = (struct pollfd){ .fd = c->fd, .events = c->out ? POLLOUT : POLLIN };
	}
	/* at the limit, a new client takes the slot of one still silent */
	pfd[n] = (struct pollfd){ .fd = free_slots || oldest_silent(s) ? s->lfd : -1,
				  .events = POLLIN };
	r = poll(pfd, (nfds_t)n + 1, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0, k = 0; i < XTAP_HTTP_MAX_CONNS && k < n; i++) {
		struct conn *c = &s->conns[i];
		if (c->fd < 0 || pfd[k].fd != c->fd)
			continue;
		if (!pfd[k++].revents)
			continue;
		serve_conn(s, c);
	}
	if (pfd[n].revents & POLLIN)
		accept_all(s);
	return 0;
}

void xtap_http_server_free(struct xtap_http_server *s)
{
	if (!s)
		return;
	for (int i = 0; i < XTAP_HTTP_MAX_CONNS; i++)
		if (s->conns[i].fd >= 0)
			conn_close(&s->conns[i]);
	if (s->lfd >= 0)
		close(s->lfd);
	free(s);
}

int xtap_serve_listen(const struct sockaddr_storage *addr, socklen_t alen)
{
	char name[80];
	int fd, one = 1;

	fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)addr, alen) || listen(fd, XTAP_HTTP_BACKLOG)) {
		int e = errno;

		xtap_sockaddr_str(addr, name, sizeof(name));
		xtap_err("serve: %s: %s", name, strerror(e));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static char *scrape(void *arg, size_t *len)
{
	(void)arg;
	return xtap_prom_scrape(len);
}

int xtap_serve(int lfd, const volatile sig_atomic_t *stop, bool follow)
{
	struct xtap_state_watch w;
	struct xtap_http_server *s;
	struct sockaddr_storage a;
	socklen_t alen = sizeof(a);
	char name[80] = "?";
	int r = 0;

	/* a state this xtap cannot read is refused before serving anything */
	if (xtap_query_watch_start("serve", &w)) {
		close(lfd);
		return -1;
	}
	s = xtap_http_server_new(lfd, scrape, NULL);
	if (!s) {
		xtap_err("serve: out of memory");
		close(lfd);
		return -1;
	}
	if (!getsockname(lfd, (struct sockaddr *)&a, &alen))
		xtap_sockaddr_str(&a, name, sizeof(name));
	xtap_info("serve: http://%s/metrics", name);
	while (!*stop && !r) {
		r = xtap_http_server_step(s, 500);
		if (!r && xtap_query_watch("serve", &w, follow))
			r = 1;
	}
	if (r < 0)
		xtap_err("serve: poll: %s", strerror(-r));
	xtap_http_server_free(s);
	return r ? -1 : 0;
}
