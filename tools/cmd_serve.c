// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xtap serve: GET /metrics in Prometheus's text format. One thread, poll()
 * over non-blocking sockets: a scrape is read, answered from a fresh read of
 * the maps and written as the client takes it, so a slow or vanished client
 * holds up nobody. Each connection answers one request and closes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <bpf/bpf.h>

#include "loader/attach.h"
#include "tools/cmd.h"
#include "user/export.h"
#include "user/log.h"
#include "user/maps.h"
#include "user/names.h"
#include "user/opts.h"
#include "user/prom.h"
#include "user/sock.h"

#define SERVE_DEFAULT "127.0.0.1:9477"
#define MAX_CONNS 64
#define REQ_MAX 8192
#define CONN_TIMEOUT_MS 10000

struct defaults_serve {
	const char *listen;
	bool verbose;
};

static const struct defaults_serve defaults_serve = { .listen = SERVE_DEFAULT };

struct conn {
	int fd;
	char req[REQ_MAX];
	size_t rlen;
	char *out;		/* response, once the request is complete */
	size_t olen, off;
	struct timespec since;
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/* The metrics text, read from the maps now. */
static char *metrics(size_t *len)
{
	struct xtap_state st = { .reg_fd = -1, .lock_fd = -1 };
	struct xtap_prom_point pts[XTAP_MAX_SLOTS * XTAP_HOOK_MAX];
	struct xtap_iface ifs[XTAP_MAX_SLOTS];
	char ns[XTAP_MAX_SLOTS][64], err[XTAP_ERRLEN];
	struct xtap_prom_input in = { .points = pts };
	struct xtap_stats total = { 0 };
	struct xtap_flow_entry *f = NULL;
	struct xtap_hist_entry *h = NULL;
	struct bpf_map_info info = {};
	__u32 ilen = sizeof(info);
	int sfd = -1, ffd = -1, cfd = -1, hfd = -1;
	char *buf = NULL;
	size_t n = 0;
	FILE *out;

	if (!xtap_state_open(&st, NULL, false, err, sizeof(err)) && st.reg_fd >= 0) {
		sfd = xtap_map_open(&st, "xtap_stats");
		ffd = xtap_map_open(&st, "xtap_flows");
		cfd = xtap_map_open(&st, "xtap_fcache");
		hfd = xtap_map_open(&st, "xtap_hist");
		for (__u32 s = 0; s < XTAP_MAX_SLOTS; s++) {
			if (xtap_iface_get(&st, s, &ifs[s]))
				continue;
			in.ifaces++;
			xtap_netns_name(&ifs[s], ns[s], sizeof(ns[s]));
			for (int k = 0; k < XTAP_HOOK_MAX && sfd >= 0; k++) {
				struct xtap_prom_point *p = &pts[in.npoints];

				if (!(ifs[s].hooks & (1u << k)) ||
				    xtap_stats_read(sfd, XTAP_POINT(s, k), &p->st))
					continue;
				p->iface = ifs[s].name;
				p->netns = ns[s];
				p->hook = xtap_hook_name(k);
				for (int i = 0; i < XTAP_STAT_MAX; i++)
					total.c[i] += p->st.c[i];
				in.npoints++;
			}
		}
	}
	xtap_state_close(&st);	/* the lock: attach and detach go on meanwhile */
	if (ffd >= 0) {
		if (!bpf_obj_get_info_by_fd(ffd, &info, &ilen))
			in.flows_max = info.max_entries;
		if (!xtap_flows_read(ffd, cfd, XTAP_SORT_NONE, &f, &n)) {	/* counted only */
			in.flows_used = n;
			in.flows_evicted = xtap_flows_evicted(&total, n);
		}
	}
	if (hfd >= 0 && !xtap_hist_dump(hfd, &h, &in.nhist))
		in.hist = h;
	out = open_memstream(&buf, len);
	if (out) {
		xtap_prom_write(out, &in);
		if (fclose(out)) {
			free(buf);
			buf = NULL;
		}
	}
	free(f);
	free(h);
	for (int *fd = (int[]){ sfd, ffd, cfd, hfd }, i = 0; i < 4; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	return buf;
}

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
static void answer(struct conn *c)
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
	body = metrics(&blen);
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

/* Reads what the client sent; answers once the head is complete. false:
 * the connection is done. */
static bool conn_read(struct conn *c)
{
	ssize_t r = recv(c->fd, c->req + c->rlen, sizeof(c->req) - 1 - c->rlen, 0);

	if (r < 0)
		return errno == EAGAIN || errno == EINTR;
	if (r == 0)
		return false;	/* gone before asking */
	c->rlen += (size_t)r;
	c->req[c->rlen] = '\0';
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n") || c->rlen == sizeof(c->req) - 1) {
		answer(c);
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

static int parse_args(int argc, char **argv, struct defaults_serve *d)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "l:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'l': d->listen = optarg; break;
		case 'v': d->verbose = true; break;
		case 'h': xtap_usage_of("serve"); return -1;
		default: return xtap_usage_of("serve");
		}
	}
	return optind != argc ? xtap_usage_of("serve") : 0;
}

int cmd_serve(int argc, char **argv)
{
	struct defaults_serve d = defaults_serve;
	struct sigaction sa = { .sa_handler = on_stop };
	struct sockaddr_storage addr;
	struct conn *conns = NULL;
	struct pollfd pfd[MAX_CONNS + 1];
	socklen_t alen;
	char err[256], name[80];
	int lfd = -1, one = 1, r, ret = XTAP_EXIT_ERR;

	r = parse_args(argc, argv, &d);
	if (r)
		return r < 0 ? XTAP_EXIT_OK : r;
	xtap_log_init(d.verbose);
	if (xtap_parse_hostport(d.listen, SOCK_STREAM, true, &addr, &alen, err, sizeof(err))) {
		xtap_err("serve: --listen %s: %s", d.listen, err);
		return XTAP_EXIT_USAGE;
	}
	if (xtap_check_privileges("serve"))
		return XTAP_EXIT_ERR;
	xtap_sockaddr_str(&addr, name, sizeof(name));
	lfd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&addr, alen) || listen(lfd, 64)) {
		xtap_err("serve: %s: %s", name, strerror(errno));
		goto cleanup;
	}
	conns = calloc(MAX_CONNS, sizeof(*conns));
	if (!conns) {
		xtap_err("serve: out of memory");
		goto cleanup;
	}
	for (int i = 0; i < MAX_CONNS; i++)
		conns[i].fd = -1;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	xtap_info("serve: http://%s/metrics", name);
	while (!stop) {
		int n = 0, free_slots = 0;

		for (int i = 0; i < MAX_CONNS; i++) {
			struct conn *c = &conns[i];

			if (c->fd < 0) {
				free_slots++;
				continue;
			}
			if (ms_since(&c->since) > CONN_TIMEOUT_MS) {
				conn_close(c);
				free_slots++;
				continue;
			}
			pfd[n++] = (struct pollfd){ .fd = c->fd, .events = c->out ? POLLOUT : POLLIN };
		}
		/* at the connection limit, new clients wait in the backlog */
		pfd[n] = (struct pollfd){ .fd = free_slots ? lfd : -1, .events = POLLIN };
		r = poll(pfd, (nfds_t)n + 1, 500);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			xtap_err("serve: poll: %s", strerror(errno));
			goto cleanup;
		}
		for (int i = 0, k = 0; i < MAX_CONNS && k < n; i++) {
			struct conn *c = &conns[i];
			bool keep;

			if (c->fd < 0 || pfd[k].fd != c->fd)
				continue;
			if (!pfd[k++].revents)
				continue;
			keep = c->out ? conn_write(c) : conn_read(c);
			if (keep && c->out && c->off == 0)
				keep = conn_write(c);	/* most answers go at once */
			if (!keep)
				conn_close(c);
		}
		if (pfd[n].revents & POLLIN) {
			for (int i = 0; i < MAX_CONNS; i++) {
				int fd;

				if (conns[i].fd >= 0)
					continue;
				fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
				if (fd < 0)
					break;
				conns[i].fd = fd;
				clock_gettime(CLOCK_MONOTONIC, &conns[i].since);
			}
		}
	}
	ret = XTAP_EXIT_OK;
cleanup:
	for (int i = 0; conns && i < MAX_CONNS; i++)
		if (conns[i].fd >= 0)
			conn_close(&conns[i]);
	free(conns);
	if (lfd >= 0)
		close(lfd);
	return ret;
}
