// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "user/app.h"
#include "user/drops.h"
#include "user/json.h"
#include "user/log.h"
#include "user/opts.h"
#include "user/query.h"
#include "user/report.h"
#include "user/tunnel.h"

int xtap_query_open(const char *cmd, struct xtap_state *st)
{
	char err[XTAP_ERRLEN] = "";

	if (xtap_check_privileges(cmd))
		return -1;
	if (xtap_state_open(st, NULL, false, err, sizeof(err))) {
		xtap_err("%s: %s", cmd, err);
		return -1;
	}
	return st->reg_fd < 0;
}

int xtap_query_watch(const char *cmd, struct xtap_state_watch *w, bool follow)
{
	char msg[XTAP_ERRLEN];

	switch (xtap_state_watch(w, msg, sizeof(msg))) {
	case XTAP_WATCH_SAME:
		return 0;
	case XTAP_WATCH_GONE:
		if (!follow) {
			xtap_err("%s: %s; --follow waits for a new attach", cmd, msg);
			return -1;
		}
		if (!w->waiting)
			xtap_info("xtap: %s: %s; waiting for a new attach", cmd, msg);
		w->waiting = true;
		return 0;
	case XTAP_WATCH_NEW:
		if (!follow) {
			xtap_err("%s: %s; --follow goes on with it", cmd, msg);
			return -1;
		}
		xtap_info("xtap: %s: going on with the pinned state at %s", cmd, w->root);
		w->waiting = false;
		return 0;
	}
	return 0;
}

int xtap_query_watch_start(const char *cmd, struct xtap_state_watch *w)
{
	struct xtap_state st;

	if (xtap_query_open(cmd, &st) < 0)
		return -1;
	xtap_state_watch_start(w, &st);
	xtap_state_close(&st);
	return 0;
}

int xtap_query_map(const char *cmd, const struct xtap_state *st, const char *name,
		   const char *what)
{
	int fd = xtap_map_open(st, name);

	if (fd < 0) {
		xtap_err("%s: %s: %s", cmd, what, strerror(-fd));
		return -1;
	}
	return fd;
}

/* The fds of the flow table and its write-back entries (-1 when absent);
 * -1 after the error. */
static int open_flows(const char *cmd, const struct xtap_state *st, int *cfd)
{
	int fd = xtap_query_map(cmd, st, "xtap_flows", "flow table");

	*cfd = fd < 0 ? -1 : xtap_map_open(st, "xtap_fcache");
	return fd;
}

static void close_fds(int fd, int cfd)
{
	if (fd >= 0)
		close(fd);
	if (cfd >= 0)
		close(cfd);
}

static int count_batch(const struct xtap_flow_entry *v, size_t n, void *arg)
{
	(void)v;
	*(size_t *)arg += n;
	return 0;
}

/* The flow table's size and the flows in it. */
static int table_use(const char *cmd, const struct xtap_state *st, struct xtap_query_status *s)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int cfd, fd = open_flows(cmd, st, &cfd), err;

	if (fd < 0)
		return -1;
	s->flows_max = bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.max_entries;
	err = xtap_flows_each(fd, cfd, count_batch, &s->flows_used);
	close_fds(fd, cfd);
	if (err) {
		xtap_err("%s: read flows: %s", cmd, strerror(-err));
		return -1;
	}
	return 0;
}

int xtap_query_status(const char *cmd, const struct xtap_state *st, bool status,
		      struct xtap_query_status *out)
{
	size_t cap = 0;
	int fd;

	memset(out, 0, sizeof(*out));
	if (status && table_use(cmd, st, out))
		return -1;
	fd = xtap_map_open(st, "xtap_stats");
	out->counters_err = fd < 0 ? fd : 0;
	for (__u32 s = 0; s < XTAP_MAX_SLOTS; s++) {
		struct xtap_query_iface *q;
		struct xtap_iface e;

		if (xtap_iface_get(st, s, &e))
			continue;
		if (out->n == cap) {
			struct xtap_query_iface *g;

			cap = cap ? cap * 2 : 8;
			g = realloc(out->ifaces, cap * sizeof(*g));
			if (!g) {
				xtap_err("%s: out of memory", cmd);
				xtap_query_status_free(out);
				if (fd >= 0)
					close(fd);
				return -1;
			}
			out->ifaces = g;
		}
		q = &out->ifaces[out->n++];
		memset(q, 0, sizeof(*q));
		q->slot = s;
		q->e = e;
		xtap_netns_name(&e, q->netns, sizeof(q->netns));
		q->present = status ? xtap_slot_alive(st, s, &e) : 1;
		for (int h = 0; h < XTAP_HOOK_MAX && fd >= 0; h++) {
			if (!(e.hooks & (1u << h)) || xtap_stats_read(fd, XTAP_POINT(s, h), &q->stats[h]))
				continue;
			q->counted |= 1u << h;
			for (int i = 0; i < XTAP_STAT_MAX; i++)
				out->total.c[i] += q->stats[h].c[i];
		}
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

void xtap_query_status_free(struct xtap_query_status *s)
{
	free(s->ifaces);
	s->ifaces = NULL;
	s->n = 0;
}

/* --- xtap flows ---------------------------------------------------------- */

/* The HTTP/DNS state to join to the flows; a state pinned before it
 * existed has none, and the flows are shown without it. */
static void read_app(const struct xtap_state *st, struct xtap_app_table *app)
{
	int fd = xtap_map_open(st, "xtap_app");

	app->e = NULL;
	app->n = 0;
	if (fd < 0)
		return;
	if (xtap_app_dump(fd, app))
		xtap_info("flows: HTTP/DNS state unreadable; shown without it");
	close(fd);
}

/* --tunnel ID and --cgroup PATH: whether the flow is inside a tunnel of
 * that id, and whether its local cgroup is that one. */
static int flow_shown(const struct xtap_flows_query *q, const struct xtap_flow_entry *e)
{
	return (!q->tunnel_only || (e->key.tun_type && e->key.tun_id == q->tunnel_id)) &&
	       (!q->cgroup_id || e->val.cgroup_id == q->cgroup_id);
}

/* Keep the flows --tunnel and --cgroup select, in their order; the new count. */
static size_t flows_select(const struct xtap_flows_query *q, struct xtap_flow_entry *f, size_t n)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (flow_shown(q, &f[i]))
			f[m++] = f[i];
	return m;
}

struct flows_json {
	const struct xtap_flows_query *q;
	struct json j;
	const struct xtap_app_table *app;
	__s64 off;
	size_t n;
	int tun_fd;		/* xtap_tunnels, or -1 */
};

/* One flow's JSON object: its fields, its HTTP/DNS/TLS state, and for a
 * flow inside a tunnel, the tunnel and its outer endpoints. */
static void flow_json(struct json *j, const struct xtap_flow_entry *e, __s64 off,
		      const struct xtap_app *app, int tun_fd)
{
	struct xtap_tunnel t;

	json_open(j, NULL, '{');
	xtap_flow_json_fields(j, e, off);
	if (app)
		xtap_app_json(j, app, off);
	if (e->key.tun_type)
		xtap_tunnel_json(j, &e->key, xtap_tunnel_lookup(tun_fd, &e->key, &t) ? NULL : &t);
	json_close(j, '}');
}

static int tunnel_of(const struct xtap_flow_key *k, struct xtap_tunnel *t, void *arg)
{
	return xtap_tunnel_lookup(*(const int *)arg, k, t);
}

static int flows_json_batch(const struct xtap_flow_entry *v, size_t n, void *arg)
{
	struct flows_json *o = arg;

	for (size_t i = 0; i < n; i++) {
		if (!flow_shown(o->q, &v[i]))
			continue;
		flow_json(&o->j, &v[i], o->off, xtap_app_find(o->app, &v[i].key), o->tun_fd);
		o->n++;
	}
	return ferror(o->j.f) ? -EIO : 0;
}

/* JSON in the order read: each batch printed while the next is read. */
static int stream_json(const struct xtap_state *st, const struct xtap_flows_query *q)
{
	FILE *out = q->out;
	static struct flows_json o;
	struct xtap_app_table app = { 0 };
	int cfd, fd = open_flows("flows", st, &cfd), err;

	if (fd < 0)
		return -1;
	read_app(st, &app);
	o.q = q;
	o.app = &app;
	o.off = xtap_mono_to_real_ns();
	o.n = 0;
	o.tun_fd = xtap_map_open(st, "xtap_tunnels");
	json_init(&o.j, out);
	json_open(&o.j, NULL, '{');
	json_open(&o.j, "flows", '[');
	err = xtap_flows_each(fd, cfd, flows_json_batch, &o);
	if (!err) {
		json_close(&o.j, ']');
		json_u64(&o.j, "total", o.n);
		json_close(&o.j, '}');
	} else {
		json_flush(&o.j);	/* what was read; the exit status says it is not all */
		xtap_err("flows: read flows: %s", strerror(-err));
	}
	xtap_app_free(&app);
	close_fds(fd, cfd);
	if (o.tun_fd >= 0)
		close(o.tun_fd);
	return err ? -1 : 0;
}

/* bytes/s of each flow of cur against prev (both sorted by key), or over the
 * flow's life when there is no earlier sample. */
static void flow_rates(const struct xtap_flow_entry *cur, size_t n, const struct xtap_flow_entry *prev,
		       size_t pn, double secs, double *rate)
{
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		__u64 b = cur[i].val.bytes[0] + cur[i].val.bytes[1];
		int cmp = 1;

		while (prev && j < pn &&
		       (cmp = memcmp(&prev[j].key, &cur[i].key, sizeof(cur[i].key))) < 0)
			j++;
		if (prev && j < pn && cmp == 0 && secs > 0) {
			__u64 pb = prev[j].val.bytes[0] + prev[j].val.bytes[1];

			rate[i] = b >= pb ? (double)(b - pb) / secs : 0;
		} else {
			__u64 life = cur[i].val.last_ns - cur[i].val.first_ns;

			rate[i] = life ? (double)b * 1e9 / (double)life : 0;
		}
	}
}

/* One table (or JSON object) of the flows f, in q's order. */
static void show(const struct xtap_flows_query *q, const struct xtap_flow_entry *f, size_t n,
		 const struct xtap_app_table *app, int drops_fd, int tun_fd)
{
	__s64 off = xtap_mono_to_real_ns();

	if (q->json) {
		struct json j;
		size_t shown = q->limit && q->limit < n ? q->limit : n;

		json_init(&j, q->out);
		json_open(&j, NULL, '{');
		json_open(&j, "flows", '[');
		for (size_t i = 0; i < shown; i++)
			flow_json(&j, &f[i], off, xtap_app_find(app, &f[i].key), tun_fd);
		json_close(&j, ']');
		json_u64(&j, "total", n);
		json_close(&j, '}');
	} else {
		struct xtap_report rep = { .out = q->out, .time_offset_ns = off, .limit = q->limit,
					   .app = app, .tunnel_of = tunnel_of, .tunnel_arg = &tun_fd };
		struct xtap_drops drops = { 0 };

		if (drops_fd >= 0 && !xtap_drops_read(drops_fd, &drops)) {
			rep.drops_of = xtap_drops_of_flow;
			rep.drops_arg = &drops;
		}
		xtap_flows_table(&rep, f, n);
		xtap_drops_free(&drops);
	}
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double secs_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* The tables: once, or every q->watch seconds until a signal. A rate is
 * over the interval for a flow the last table had, else over its life. */
static int show_tables(const struct xtap_state *st, const struct xtap_flows_query *q)
{
	struct xtap_flow_entry *f = NULL, *prev = NULL;
	struct xtap_app_table app = { 0 };
	struct timespec t0 = { 0 }, t1;
	int drops_fd = xtap_map_open(st, "xtap_drops"), ret = -1;
	int tun_fd = xtap_map_open(st, "xtap_tunnels");
	double *rate = NULL;
	size_t n = 0, pn = 0;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	do {
		int cfd, fd = open_flows("flows", st, &cfd), err;

		if (fd < 0)
			goto cleanup;
		/* the rates pair samples by key: only --watch has an earlier one */
		err = xtap_flows_read(fd, cfd, q->watch ? XTAP_SORT_KEY : XTAP_SORT_NONE, &f, &n);
		close_fds(fd, cfd);
		if (err) {
			xtap_err("flows: read flows: %s", strerror(-err));
			goto cleanup;
		}
		n = flows_select(q, f, n);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (q->sort == XTAP_SORT_RATE) {
			rate = calloc(n + 1, sizeof(*rate));
			if (!rate)
				goto nomem;
			flow_rates(f, n, prev, pn, prev ? secs_between(&t0, &t1) : 0, rate);
		}
		read_app(st, &app);
		free(prev);
		prev = NULL;
		if (q->watch) {
			prev = malloc(n * sizeof(*f) + 1);
			if (!prev)
				goto nomem;
			memcpy(prev, f, n * sizeof(*f));
		}
		pn = n;
		t0 = t1;
		if (q->watch && !q->json)
			fprintf(q->out, "\033[H\033[2J%zu flows, every %us (Ctrl-C to stop)\n", n, q->watch);
		if (xtap_flows_sort(f, n, q->sort, rate))
			goto nomem;
		show(q, f, n, &app, drops_fd, tun_fd);
		xtap_app_free(&app);
		fflush(q->out);
		free(rate);
		rate = NULL;
		free(f);
		f = NULL;
		for (__u32 i = 0; q->watch && i < q->watch * 10 && !stop; i++)
			usleep(100000);
	} while (q->watch && !stop);
	ret = 0;
	goto cleanup;
nomem:
	xtap_err("flows: out of memory");
cleanup:
	free(rate);
	free(f);
	free(prev);
	xtap_app_free(&app);
	if (drops_fd >= 0)
		close(drops_fd);
	if (tun_fd >= 0)
		close(tun_fd);
	return ret;
}

int xtap_flows_show(const struct xtap_state *st, const struct xtap_flows_query *q)
{
	if (q->json && q->sort == XTAP_SORT_NONE && !q->watch)
		return stream_json(st, q);
	return show_tables(st, q);
}

int xtap_query_show(FILE *out, bool status, bool json)
{
	const char *cmd = status ? "status" : "stats";
	struct xtap_query_status s = { 0 };
	struct xtap_state st;
	int none = xtap_query_open(cmd, &st), rc = -1;

	if (none < 0)
		return -1;
	if (none && !status)
		xtap_err("stats: xtap is not attached to any interface");
	else if (!none && xtap_query_status(cmd, &st, status, &s))
		;
	else if (!status && s.counters_err)
		xtap_err("stats: counters: %s", strerror(-s.counters_err));
	else if (status)
		xtap_status_print(out, &s, json), rc = 0;
	else
		xtap_stats_print(out, &s, json), rc = 0;
	xtap_query_status_free(&s);
	xtap_state_close(&st);
	return rc;
}

int xtap_query_flows(const struct xtap_flows_query *q)
{
	struct xtap_state st;
	int none = xtap_query_open("flows", &st), rc;

	if (none < 0)
		return -1;
	if (none)
		xtap_err("flows: xtap is not attached to any interface");
	rc = none || xtap_flows_show(&st, q) ? -1 : 0;
	xtap_state_close(&st);
	return rc;
}
