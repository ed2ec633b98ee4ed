// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loader/attach.h"
#include "user/export_sink.h"
#include "user/exporter.h"
#include "user/log.h"
#include "user/opts.h"
#include "user/outfile.h"
#include "user/query.h"
#include "user/sock.h"

#define NS 1000000000ull

struct xtap_exporter {
	struct xtap_exporter_opts o;
	struct xtap_export_cfg cfg;
	struct xtap_export_state flows;	/* what each flow's records carried */
	struct xtap_export_sink *sink;
	const struct xtap_app_table *app;	/* this round's HTTP/DNS state */
	/* the service histograms as they last went, sorted by key */
	struct xtap_hist_entry *svc;
	size_t nsvc;
	__u64 svc_ns;		/* when they last went */
	char name[80];
};

static __u64 mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u64)t.tv_sec * NS + (__u64)t.tv_nsec;
}

int xtap_exporter_new(const struct xtap_exporter_opts *o, struct xtap_exporter **out)
{
	struct xtap_exporter *x = calloc(1, sizeof(*x));
	FILE *f = NULL;
	int e;

	*out = NULL;
	if (!x) {
		xtap_err("export: out of memory");
		return -ENOMEM;
	}
	x->o = *o;
	x->cfg.active_ns = (__u64)o->active_s * NS;
	x->cfg.idle_ns = (__u64)o->idle_s * NS;
	x->cfg.end_quiet_ns = x->cfg.idle_ns < XTAP_EXPORT_END_QUIET_NS ? x->cfg.idle_ns :
		XTAP_EXPORT_END_QUIET_NS;
	if (o->json && !strcmp(o->json, "-")) {
		x->sink = xtap_export_sink_json(stdout, false);
	} else if (o->json) {
		char why[XTAP_ERRLEN];
		int fd = xtap_outfile_open(o->json, O_APPEND, why, sizeof(why));

		if (fd < 0)
			errno = -fd;
		f = fd < 0 ? NULL : fdopen(fd, "a");
		if (!f) {
			e = errno;
			xtap_err("export: %s: %s", o->json, fd < 0 ? why : strerror(e));
			if (fd >= 0)
				close(fd);
			free(x);
			return -e;
		}
		x->sink = xtap_export_sink_json(f, true);
	} else {
		x->sink = xtap_export_sink_ipfix(&o->collector, o->collector_len, o->tcp,
						 o->tmpl_refresh_s);
		xtap_sockaddr_str(&o->collector, x->name, sizeof(x->name));
	}
	if (!x->sink) {
		xtap_err("export: out of memory");
		if (f)
			fclose(f);
		free(x);
		return -ENOMEM;
	}
	*out = x;
	return 0;
}

const char *xtap_exporter_name(const struct xtap_exporter *x)
{
	return x->o.json ? x->o.json : x->name;
}

void xtap_exporter_stats(const struct xtap_exporter *x, struct xtap_export_stats *st)
{
	*st = x->sink->st;
}

void xtap_exporter_free(struct xtap_exporter *x)
{
	if (!x)
		return;
	x->sink->ops->free(x->sink);
	xtap_export_state_free(&x->flows);
	free(x->svc);
	free(x);
}

static int emit_flow(const struct xtap_flow_entry *e, const struct xtap_export_rec *r, void *arg)
{
	struct xtap_exporter *x = arg;

	return x->sink->ops->flow(x->sink, e, r, xtap_app_find(x->app, &e->key));
}

static bool svc_due(const struct xtap_exporter *x, __u64 now_ns, bool force)
{
	return force || now_ns - x->svc_ns >= x->cfg.active_ns;
}

/* Sends what each service's histogram gained since the last time; a
 * histogram that shrank (its entry was made anew) counts from zero. */
static void svc_round(struct xtap_exporter *x, const struct xtap_hist_entry *cur, size_t n)
{
	static const struct xtap_hist zero;
	struct xtap_hist_entry *keep = NULL;
	size_t j = 0;

	if (n) {
		keep = malloc(n * sizeof(*keep));
		if (!keep)
			return;		/* they go next time */
		memcpy(keep, cur, n * sizeof(*keep));
	}
	for (size_t i = 0; i < n; i++) {
		const struct xtap_hist *old = &zero;
		struct xtap_ipfix_svc sv = { .key = cur[i].key };
		int cmp = 1;

		while (j < x->nsvc &&
		       (cmp = memcmp(&x->svc[j].key, &cur[i].key, sizeof(cur[i].key))) < 0)
			j++;
		if (j < x->nsvc && cmp == 0 && x->svc[j].h.count <= cur[i].h.count)
			old = &x->svc[j].h;
		if (cur[i].h.count <= old->count)
			continue;
		sv.count = cur[i].h.count - old->count;
		sv.sum_ns = cur[i].h.sum_ns - old->sum_ns;
		sv.max_ns = cur[i].h.max_ns;
		for (int b = 0; b < XTAP_HIST_BUCKETS; b++)
			sv.bucket[b] = cur[i].h.bucket[b] >= old->bucket[b] ?
				cur[i].h.bucket[b] - old->bucket[b] : 0;
		x->sink->ops->svc(x->sink, &sv, x->svc_ns);
	}
	free(x->svc);
	x->svc = keep;
	x->nsvc = n;
	x->svc_ns = x->sink->now_ns;
}

int xtap_exporter_round(struct xtap_exporter *x, const struct xtap_export_input *in,
			__u64 now_ns, __s64 off_ns, bool force)
{
	static const struct xtap_app_table none;
	long r;

	x->sink->now_ns = now_ns;
	x->sink->off_ns = off_ns;
	x->app = in->app ? in->app : &none;
	x->sink->ops->begin(x->sink);
	r = xtap_export_round(&x->flows, &x->cfg, in->flows, in->nflows, now_ns, force, emit_flow, x);
	if (in->has_hist && svc_due(x, now_ns, force))
		svc_round(x, in->hist, in->nhist);
	x->sink->ops->end(x->sink);
	x->app = NULL;
	if (r < 0) {
		xtap_err("export: %s", strerror((int)-r));
		return (int)r;
	}
	return 0;
}

struct maps {
	int flows, fcache, hist, app;
};

/* Opens the maps under the state lock, then lets the lock go. 1: nothing
 * is attached. */
static int maps_open(struct maps *m)
{
	struct xtap_state st = { .reg_fd = -1, .lock_fd = -1 };
	char err[XTAP_ERRLEN] = "";
	int r;

	m->flows = m->fcache = m->hist = m->app = -1;
	if (xtap_state_open(&st, NULL, false, err, sizeof(err))) {
		xtap_err("export: %s", err);
		return -1;
	}
	r = st.reg_fd < 0;
	if (!r) {
		m->flows = xtap_map_open(&st, "xtap_flows");
		m->fcache = xtap_map_open(&st, "xtap_fcache");
		m->hist = xtap_map_open(&st, "xtap_hist");
		/* a state pinned before it existed has none: records go without */
		m->app = xtap_map_open(&st, "xtap_app");
		r = m->flows < 0;
	}
	xtap_state_close(&st);
	return r;
}

static void maps_close(struct maps *m)
{
	for (int *fd = (int[]){ m->flows, m->fcache, m->hist, m->app }, i = 0; i < 4; i++)
		if (fd[i] >= 0)
			close(fd[i]);
}

/* A round on the pinned state as it is now. Nothing attached: nothing to
 * do (not an error). */
static int live_round(struct xtap_exporter *x, bool force)
{
	struct xtap_export_input in = { 0 };
	struct xtap_flow_entry *f = NULL;
	struct xtap_hist_entry *h = NULL;
	struct xtap_app_table app = { 0 };
	__u64 now = mono_ns();
	__s64 off = xtap_mono_to_real_ns();
	struct maps m;
	int err;

	err = maps_open(&m);
	if (err) {
		maps_close(&m);
		return err < 0 ? -1 : 0;
	}
	err = xtap_flows_read(m.flows, m.fcache, XTAP_SORT_KEY, &f, &in.nflows);
	if (err) {
		xtap_err("export: read flows: %s", strerror(-err));
		maps_close(&m);
		return -1;
	}
	in.flows = f;
	if (m.app >= 0 && xtap_app_dump(m.app, &app))
		xtap_info("export: HTTP/DNS state unreadable; records go without it");
	in.app = &app;
	/* the histograms are read only when they are due */
	if (m.hist >= 0 && svc_due(x, now, force) && !xtap_hist_dump(m.hist, &h, &in.nhist)) {
		in.hist = h;
		in.has_hist = true;
	}
	err = xtap_exporter_round(x, &in, now, off, force);
	xtap_app_free(&app);
	free(h);
	free(f);
	maps_close(&m);
	return err ? -1 : 0;
}

int xtap_exporter_run(struct xtap_exporter *x, const volatile sig_atomic_t *stop)
{
	struct xtap_state_watch w;

	if (xtap_query_watch_start("export", &w))
		return -1;
	x->svc_ns = mono_ns();
	if (!x->o.once)
		xtap_info("export: %s every %us (active %us, idle %us)", xtap_exporter_name(x),
			  x->o.interval_s, x->o.active_s, x->o.idle_s);
	while (!*stop && !x->o.once) {
		if (xtap_query_watch("export", &w, x->o.follow) || live_round(x, false))
			return -1;
		for (__u32 i = 0; i < x->o.interval_s * 10 && !*stop; i++)
			usleep(100000);
	}
	/* what has not gone yet goes now, marked forced */
	return live_round(x, true);
}
