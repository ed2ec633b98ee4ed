// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "loader/attach.h"
#include "user/export_sink.h"
#include "user/exporter.h"
#include "user/log.h"
#include "user/opts.h"
#include "user/outfile.h"
#include "user/query.h"
#include "user/sock.h"
#include "user/tunnel.h"

#define NS 1000000000ull

/* Flow marks on their way to the pinned cursor. */
struct marks_q {
	struct xtap_flow_key *keys;
	struct xtap_export_mark *marks;
	size_t n, cap;
};

struct xtap_exporter {
	struct xtap_exporter_opts o;
	struct xtap_export_cfg cfg;
	struct xtap_export_state flows;	/* what each flow's records carried */
	struct xtap_export_sink *sink;
	const struct xtap_app_table *app;	/* this round's HTTP/DNS state */
	const struct xtap_export_input *in;	/* this round's input */
	/* the service histograms as they last went, sorted by key */
	struct xtap_hist_entry *svc;
	size_t nsvc;
	__u64 svc_ns;		/* when they last went */
	/* the histograms as they went before this round's, while the round's
	 * records are on their way: the cursor is written when they left */
	struct xtap_hist_entry *svc_old;
	size_t nsvc_old;
	bool svc_moved;
	char name[80];
	/* The cursor in the pinned state (live sessions; see exporter.h). */
	int lock_fd;		/* <pin root>/maps, flock'ed while this exporter owns it */
	__u32 marks_id;		/* id of the marks map the memory mirrors; 0: none */
	int marks_fd, svcm_fd;	/* during a live round, else -1 */
	struct marks_q out;	/* marks of records handed to the sink */
	bool cursor_warned;
	struct xtap_export_info base;	/* the state's counters at take-over */
	struct xtap_export_stats st0;	/* this session's then */
};

static int tunnel_of(const struct xtap_flow_key *k, struct xtap_tunnel *t, void *arg)
{
	return xtap_tunnel_lookup(*(const int *)arg, k, t);
}

static __u64 mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u64)t.tv_sec * NS + (__u64)t.tv_nsec;
}

static int q_push(struct marks_q *q, const struct xtap_flow_key *k, const struct xtap_export_mark *m)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 256;
		struct xtap_flow_key *nk = realloc(q->keys, cap * sizeof(*nk));
		struct xtap_export_mark *nm;

		if (!nk)
			return -ENOMEM;
		q->keys = nk;
		nm = realloc(q->marks, cap * sizeof(*nm));
		if (!nm)
			return -ENOMEM;
		q->marks = nm;
		q->cap = cap;
	}
	q->keys[q->n] = *k;
	q->marks[q->n] = *m;
	q->n++;
	return 0;
}

static void cursor_warn(struct xtap_exporter *x, int e)
{
	if (!x->cursor_warned)
		xtap_info("export: the cursor in the pinned state cannot be written (%s): a new exporter would send some counts again",
			  strerror(e));
	x->cursor_warned = true;
}

/* The sink says the records it took have left: their marks go to the
 * pinned cursor, in one batch (one by one where the kernel has none). */
static void marks_out(void *arg)
{
	struct xtap_exporter *x = arg;
	struct marks_q *q = &x->out;
	__u32 cnt = (__u32)q->n;

	if (x->marks_fd >= 0 && q->n &&
	    bpf_map_update_batch(x->marks_fd, q->keys, q->marks, &cnt, NULL)) {
		for (size_t i = cnt; i < q->n; i++)
			if (bpf_map_update_elem(x->marks_fd, &q->keys[i], &q->marks[i], BPF_ANY)) {
				cursor_warn(x, errno);
				break;
			}
	}
	q->n = 0;
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
	x->lock_fd = x->marks_fd = x->svcm_fd = -1;
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
	if (x->sink) {
		x->sink->gone_out = marks_out;
		x->sink->gone_out_arg = x;
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
	free(x->svc_old);
	free(x->out.keys);
	free(x->out.marks);
	if (x->lock_fd >= 0)
		close(x->lock_fd);
	free(x);
}

static int emit_flow(const struct xtap_flow_entry *e, const struct xtap_export_rec *r,
		     const struct xtap_export_seen *next, void *arg)
{
	struct xtap_exporter *x = arg;
	const struct xtap_export_input *in = x->in;
	struct xtap_tunnel t;
	bool tun = e->key.tun_type && in->tunnel_of && !in->tunnel_of(&e->key, &t, in->tunnel_arg);
	int err = x->sink->ops->flow(x->sink, e, r, xtap_app_find(x->app, &e->key),
				     tun ? &t : NULL);

	/* its marks go to the cursor when the sink has sent it */
	if (!err && q_push(&x->out, &next->key, &next->m))
		cursor_warn(x, ENOMEM);
	return err;
}

/* A flow the table no longer holds: its marks go, before new ones come. */
static void flow_gone(const struct xtap_export_seen *s, void *arg)
{
	struct xtap_exporter *x = arg;

	if (x->marks_fd >= 0)
		bpf_map_delete_elem(x->marks_fd, &s->key);
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
	free(x->svc_old);
	x->svc_old = x->svc;
	x->nsvc_old = x->nsvc;
	x->svc_moved = true;
	x->svc = keep;
	x->nsvc = n;
	x->svc_ns = x->sink->now_ns;
}

static int by_svc_key(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct xtap_svc_key));
}

/* After the round's records left: the histograms as they went to the
 * cursor, and those that are no more out of it. */
static void svc_out(struct xtap_exporter *x)
{
	size_t j = 0;

	if (!x->svc_moved || x->svcm_fd < 0)
		return;
	x->svc_moved = false;
	for (size_t i = 0; i < x->nsvc_old; i++) {
		while (j < x->nsvc && by_svc_key(&x->svc[j].key, &x->svc_old[i].key) < 0)
			j++;
		if (j >= x->nsvc || by_svc_key(&x->svc[j].key, &x->svc_old[i].key))
			bpf_map_delete_elem(x->svcm_fd, &x->svc_old[i].key);
	}
	for (size_t i = 0; i < x->nsvc; i++)
		if (bpf_map_update_elem(x->svcm_fd, &x->svc[i].key, &x->svc[i].h, BPF_ANY)) {
			cursor_warn(x, errno);
			break;
		}
}

int xtap_exporter_round(struct xtap_exporter *x, const struct xtap_export_input *in,
			__u64 now_ns, __s64 off_ns, bool force)
{
	static const struct xtap_app_table none;
	const struct xtap_export_cb cb = { .emit = emit_flow, .gone = flow_gone, .arg = x };
	long r;

	x->sink->now_ns = now_ns;
	x->sink->off_ns = off_ns;
	x->app = in->app ? in->app : &none;
	x->in = in;
	x->sink->ops->begin(x->sink);
	r = xtap_export_round(&x->flows, &x->cfg, in->flows, in->nflows, now_ns, force, &cb);
	if (in->has_hist && svc_due(x, now_ns, force))
		svc_round(x, in->hist, in->nhist);
	x->sink->ops->end(x->sink);
	x->app = NULL;
	/* the sink sent everything: what is still queued has left as well */
	marks_out(x);
	svc_out(x);
	if (r < 0) {
		xtap_err("export: %s", strerror((int)-r));
		return (int)r;
	}
	return 0;
}

struct maps {
	int flows, fcache, hist, app, tun;
	int marks, svcm, info;	/* the exporter's cursor */
	char dir[160];		/* <pin root>/maps */
};

#define NMAPS 8

/* Opens the maps under the state lock, then lets the lock go. 1: nothing
 * is attached. */
static int maps_open(struct maps *m)
{
	struct xtap_state st = { .reg_fd = -1, .lock_fd = -1 };
	char err[XTAP_ERRLEN] = "";
	int r;

	m->flows = m->fcache = m->hist = m->app = m->tun = m->marks = m->svcm = m->info = -1;
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
		m->tun = xtap_map_open(&st, "xtap_tunnels");
		m->marks = xtap_map_open(&st, XTAP_EXP_MARKS);
		m->svcm = xtap_map_open(&st, XTAP_EXP_SVC);
		m->info = xtap_map_open(&st, XTAP_EXP_INFO);
		snprintf(m->dir, sizeof(m->dir), "%s/maps", st.root);
		r = m->flows < 0;
	}
	xtap_state_close(&st);
	return r;
}

static void maps_close(struct maps *m)
{
	for (int *fd = (int[]){ m->flows, m->fcache, m->hist, m->app, m->tun, m->marks, m->svcm,
				m->info },
		 i = 0; i < NMAPS; i++)
		if (fd[i] >= 0)
			close(fd[i]);
}

/* Room for n entries of ks and vs bytes in *k and *v. */
static int grow(__u8 **k, __u8 **v, size_t ks, size_t vs, size_t *cap, size_t n)
{
	__u8 *nk, *nv;
	size_t c = *cap;

	while (c < n)
		c = c ? c * 2 : 4096;
	if (c == *cap)
		return 0;
	nk = realloc(*k, c * ks);
	if (!nk)
		return -ENOMEM;
	*k = nk;
	nv = realloc(*v, c * vs);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = c;
	return 0;
}

#define DUMP_BATCH 4096u

/* Every entry of a hash map: keys and values malloc'ed, ks and vs bytes
 * each; batch lookups, or one by one where the kernel has none. 0 or
 * -errno. */
static int dump_hash(int fd, size_t ks, size_t vs, void **keys, void **vals, size_t *n)
{
	size_t len = 0, cap = 0;
	__u8 *k = NULL, *v = NULL;
	__u8 prev[64], next[64], tok[64];
	bool first = true, batch = true;
	int err = 0;

	*keys = *vals = NULL;
	*n = 0;
	while (batch) {
		__u32 cnt = DUMP_BATCH;

		err = grow(&k, &v, ks, vs, &cap, len + DUMP_BATCH);
		if (err)
			goto fail;
		if (!bpf_map_lookup_batch(fd, first ? NULL : tok, tok, k + len * ks, v + len * vs,
					  &cnt, NULL)) {
			len += cnt;
			first = false;
			continue;
		}
		err = errno;
		if (err == ENOENT) {	/* the end, with the last few */
			len += cnt;
			break;
		}
		if (!first || (err != EINVAL && err != ENOTSUP && err != EOPNOTSUPP)) {
			err = -err;
			goto fail;
		}
		batch = false;
	}
	if (!batch) {
		for (first = true; bpf_map_get_next_key(fd, first ? NULL : prev, next) == 0;) {
			first = false;
			memcpy(prev, next, ks);
			err = grow(&k, &v, ks, vs, &cap, len + 1);
			if (err)
				goto fail;
			memcpy(k + len * ks, next, ks);
			if (!bpf_map_lookup_elem(fd, next, v + len * vs))
				len++;	/* else deleted meanwhile */
		}
	}
	*keys = k;
	*vals = v;
	*n = len;
	return 0;
fail:
	free(k);
	free(v);
	return err;
}

/* The marks and histograms the cursor holds into memory. */
static int cursor_load(struct xtap_exporter *x, const struct maps *m)
{
	struct xtap_flow_key *fk;
	struct xtap_export_mark *fm;
	struct xtap_svc_key *sk;
	struct xtap_hist *sh;
	struct xtap_export_seen *seen;
	size_t n, ns;
	int err;

	err = dump_hash(m->marks, sizeof(*fk), sizeof(*fm), (void **)&fk, (void **)&fm, &n);
	if (err)
		return err;
	seen = calloc(n + 1, sizeof(*seen));
	if (!seen) {
		free(fk);
		free(fm);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		seen[i] = (struct xtap_export_seen){ .key = fk[i], .m = fm[i], .any = true };
	free(fk);
	free(fm);
	xtap_export_state_load(&x->flows, seen, n);

	err = dump_hash(m->svcm, sizeof(*sk), sizeof(*sh), (void **)&sk, (void **)&sh, &ns);
	if (err)
		return err;
	free(x->svc);
	x->svc = calloc(ns + 1, sizeof(*x->svc));
	x->nsvc = 0;
	if (!x->svc) {
		free(sk);
		free(sh);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ns; i++)
		x->svc[i] = (struct xtap_hist_entry){ .key = sk[i], .h = sh[i] };
	x->nsvc = ns;
	if (ns)
		qsort(x->svc, ns, sizeof(*x->svc), by_svc_key);
	free(sk);
	free(sh);
	return 0;
}

static void cursor_save(struct xtap_exporter *x, const struct maps *m, bool last);

/*
 * Takes the cursor of the state the maps are of, unless this exporter has
 * it already: one exporter at a time (a flock on <pin root>/maps, which the
 * kernel lets go when the process ends however it ends). 0, or -1 after
 * printing why not.
 */
static int cursor_take(struct xtap_exporter *x, const struct maps *m, __u64 now)
{
	struct bpf_map_info info = {};
	struct xtap_export_info ei = { 0 };
	__u32 il = sizeof(info), zero = 0;
	int fd, err;

	if (m->marks < 0 || m->svcm < 0 || m->info < 0) {
		xtap_err("export: %s has no exporter cursor (%s)", m->dir, XTAP_EXP_MARKS);
		return -1;
	}
	if (bpf_obj_get_info_by_fd(m->marks, &info, &il)) {
		xtap_err("export: %s/%s: %s", m->dir, XTAP_EXP_MARKS, strerror(errno));
		return -1;
	}
	if (info.id == x->marks_id)
		return 0;
	fd = open(m->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB)) {
		err = errno;
		if (fd >= 0)
			close(fd);
		if (err != EWOULDBLOCK) {
			xtap_err("export: lock %s: %s", m->dir, strerror(err));
			return -1;
		}
		bpf_map_lookup_elem(m->info, &zero, &ei);
		xtap_err("export: another xtap export (pid %u) sends the flows of this state; one exporter at a time",
			 ei.owner_pid);
		return -1;
	}
	if (x->lock_fd >= 0)
		close(x->lock_fd);	/* the state it had was replaced */
	x->lock_fd = fd;
	err = cursor_load(x, m);
	if (err) {
		xtap_err("export: read the cursor in %s: %s", m->dir, strerror(-err));
		return -1;
	}
	if (bpf_map_lookup_elem(m->info, &zero, &ei))
		memset(&ei, 0, sizeof(ei));
	/* the histograms' gains count from when they last went */
	x->svc_ns = x->nsvc && ei.svc_ns && ei.svc_ns <= now ? ei.svc_ns : now;
	x->base = ei;
	x->st0 = x->sink->st;
	x->marks_id = info.id;
	cursor_save(x, m, false);	/* the owner, for a second one's error */
	return 0;
}

/* The counters of every exporter of the state so far, and who runs now. */
static void cursor_save(struct xtap_exporter *x, const struct maps *m, bool last)
{
	const struct xtap_export_stats *st = &x->sink->st;
	struct xtap_export_info ei = x->base;
	__u32 zero = 0;

	ei.owner_pid = last ? 0 : (__u32)getpid();
	ei.svc_ns = x->svc_ns;
	ei.sent += st->sent - x->st0.sent;
	ei.unsent += st->unsent - x->st0.unsent;
	ei.possibly_lost += st->possibly_lost - x->st0.possibly_lost;
	ei.errors += st->errors - x->st0.errors;
	if (bpf_map_update_elem(m->info, &zero, &ei, BPF_ANY))
		cursor_warn(x, errno);
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
	if (cursor_take(x, &m, now)) {
		maps_close(&m);
		return -1;
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
	in.tunnel_of = tunnel_of;
	in.tunnel_arg = &m.tun;
	/* the histograms are read only when they are due */
	if (m.hist >= 0 && svc_due(x, now, force) && !xtap_hist_dump(m.hist, &h, &in.nhist)) {
		in.hist = h;
		in.has_hist = true;
	}
	x->marks_fd = m.marks;
	x->svcm_fd = m.svcm;
	err = xtap_exporter_round(x, &in, now, off, force);
	cursor_save(x, &m, force);
	x->marks_fd = x->svcm_fd = -1;
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
	x->svc_ns = mono_ns();	/* unless the cursor says when they last went */
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
