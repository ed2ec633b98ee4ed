// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/percpu.h"
#include "user/maps.h"

#define BATCH 4096
/* the largest table xtap_flows_read sizes its result for before reading */
#define MAX_PRESIZE (1u << 24)

static void add_deltas(struct xtap_flow *f, const struct xtap_fcache *c)
{
	for (int d = 0; d < 2; d++) {
		f->pkts[d] += c->pkts[d];
		f->bytes[d] += c->bytes[d];
		f->tcp_flags[d] |= c->tcp_flags[d];
		f->retrans[d] += c->retrans[d];
		/* the larger sequence high-water mark, as the flush keeps */
		if ((c->seq_seen & (1u << d)) &&
		    (!(f->seq_seen & (1u << d)) || (__s32)(f->seq_next[d] - c->seq_next[d]) < 0))
			f->seq_next[d] = c->seq_next[d];
	}
	f->seq_seen |= c->seq_seen;
	if (c->last_ns > f->last_ns)
		f->last_ns = c->last_ns;
}

_Static_assert(sizeof(struct xtap_fcache) % 8 == 0, "per-CPU values are read as an array");

/* Calls fn for every per-CPU write-back entry that holds deltas. */
static int each_delta(int fd, int (*fn)(const struct xtap_fcache *c, void *arg), void *arg)
{
	int err = 0;

	for (__u32 slot = 0; slot < XTAP_FCACHE_SLOTS && !err; slot++) {
		struct xtap_fcache *per;
		int ncpu = xtap_percpu_get(fd, &slot, sizeof(*per), (void **)&per);

		if (ncpu < 0)
			return ncpu;
		for (int c = 0; c < ncpu && !err; c++)
			if (per[c].valid && per[c].count)
				err = fn(&per[c], arg);
		free(per);
	}
	return err;
}

/* The write-back deltas of a dump, in a hash table on the flow key: a few
 * hundred entries at most (slots x CPUs), looked up once for every flow of
 * the table, so that the table itself needs no order for the merge. Deltas
 * of one flow held by several CPUs are chained. */
struct deltas {
	struct xtap_fcache *v;
	__u32 *head, *next;	/* bucket -> first delta, delta -> next; ~0u ends */
	size_t n, cap;
	__u32 mask;
};

#define NO_DELTA (~0u)

static __u32 key_hash(const struct xtap_flow_key *k)
{
	__u64 w[(sizeof(*k) + 7) / 8] = { 0 }, h = 0;

	memcpy(w, k, sizeof(*k));
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15ull;
	return (__u32)(h >> 32);
}

static int keep_delta(const struct xtap_fcache *c, void *arg)
{
	struct deltas *d = arg;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct xtap_fcache *v = realloc(d->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n++] = *c;
	return 0;
}

static int deltas_index(struct deltas *d)
{
	size_t buckets = 16;

	while (buckets < 2 * d->n)
		buckets *= 2;
	d->head = malloc(buckets * sizeof(*d->head));
	d->next = malloc((d->n + 1) * sizeof(*d->next));
	if (!d->head || !d->next)
		return -ENOMEM;
	memset(d->head, 0xff, buckets * sizeof(*d->head));
	d->mask = (__u32)buckets - 1;
	for (size_t i = 0; i < d->n; i++) {
		__u32 b = key_hash(&d->v[i].key) & d->mask;

		d->next[i] = d->head[b];
		d->head[b] = (__u32)i;
	}
	return 0;
}

/* Adds to every flow of v the deltas held for its key. */
static void merge_deltas(struct xtap_flow_entry *v, size_t n, const struct deltas *d)
{
	for (size_t i = 0; i < n; i++)
		for (__u32 j = d->head[key_hash(&v[i].key) & d->mask]; j != NO_DELTA;
		     j = d->next[j])
			if (!memcmp(&d->v[j].key, &v[i].key, sizeof(v[i].key)))
				add_deltas(&v[i].val, &d->v[j]);
	/* a delta whose flow the table evicted goes with it */
}

/*
 * The reader: batch lookups of XTAP_BATCH flows (get_next_key and a lookup
 * per flow where the kernel has no batch operations), the write-back deltas
 * merged into each batch as it is read.
 */
struct reader {
	int fd;
	const struct deltas *d;
	struct xtap_flow_key *keys;
	struct xtap_flow *vals;
	__u32 in_tok, out_tok;
	bool started, one_by_one, end;
	struct xtap_flow_key last;	/* one by one: the key read last */
};

/* The next flows, at most BATCH, into v: their number (0 at the end), or
 * -errno. */
static int next_batch(struct reader *r, struct xtap_flow_entry *v)
{
	__u32 count = 0;

	if (r->end)
		return 0;
	if (!r->one_by_one) {
		int e = 0;

		count = BATCH;
		if (bpf_map_lookup_batch(r->fd, r->started ? &r->in_tok : NULL, &r->out_tok, r->keys,
					 r->vals, &count, NULL))
			e = errno;
		/* a kernel without batch operations fails the first one */
		if (!r->started && (e == EINVAL || e == ENOTSUP || e == EOPNOTSUPP)) {
			r->one_by_one = true;
			return next_batch(r, v);
		}
		if (e && e != ENOENT)
			return -e;
		r->end = e == ENOENT;
		r->in_tok = r->out_tok;
		for (__u32 i = 0; i < count; i++) {
			v[i].key = r->keys[i];
			v[i].val = r->vals[i];
		}
	} else {
		while (count < BATCH) {
			if (bpf_map_get_next_key(r->fd, r->started ? &r->last : NULL, &v[count].key)) {
				r->end = true;
				break;
			}
			r->last = v[count].key;
			r->started = true;
			/* an entry removed between the two calls is skipped */
			if (!bpf_map_lookup_elem(r->fd, &v[count].key, &v[count].val))
				count++;
		}
	}
	r->started = true;
	if (r->d)
		merge_deltas(v, count, r->d);
	return (int)count;
}

/*
 * xtap_flows_each: a thread runs the reader into NSLOTS batch slots while the
 * caller hands the filled ones to fn, in the order read.
 */
#define NSLOTS 4

struct stream {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct xtap_flow_entry *slot[NSLOTS];
	size_t count[NSLOTS];
	unsigned long filled, used;	/* batches read, batches handed out */
	bool done, stop;
	int err;
	struct reader r;
};

static void *stream_read(void *arg)
{
	struct stream *s = arg;
	int n = 0;

	do {
		bool stop;

		pthread_mutex_lock(&s->mu);
		while (s->filled - s->used == NSLOTS && !s->stop)
			pthread_cond_wait(&s->cv, &s->mu);
		stop = s->stop;
		pthread_mutex_unlock(&s->mu);
		if (stop)
			break;
		n = next_batch(&s->r, s->slot[s->filled % NSLOTS]);
		if (n <= 0)
			break;
		pthread_mutex_lock(&s->mu);
		s->count[s->filled % NSLOTS] = (size_t)n;
		s->filled++;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
	} while (!s->r.end);
	pthread_mutex_lock(&s->mu);
	s->err = n < 0 ? n : 0;
	s->done = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Hands the batches to fn as the thread fills them; fn's non-zero return
 * stops the thread. */
static int stream_consume(struct stream *s, xtap_flows_fn fn, void *arg)
{
	int ret = 0;

	for (;;) {
		unsigned long at;

		pthread_mutex_lock(&s->mu);
		while (s->used == s->filled && !s->done)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->used == s->filled) {	/* done, all handed out */
			pthread_mutex_unlock(&s->mu);
			return ret;
		}
		at = s->used % NSLOTS;
		pthread_mutex_unlock(&s->mu);
		ret = fn(s->slot[at], s->count[at], arg);
		pthread_mutex_lock(&s->mu);
		s->used++;
		if (ret)
			s->stop = true;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		if (ret)
			return ret;
	}
}

int xtap_flows_each(int fd, int fcache_fd, xtap_flows_fn fn, void *arg)
{
	struct deltas d = { 0 };
	struct stream s = { .r.fd = fd };
	pthread_t th;
	int err = 0, ret = 0;

	/* the deltas first, indexed, so that each batch is merged as it is read */
	if (fcache_fd >= 0) {
		err = each_delta(fcache_fd, keep_delta, &d);
		if (!err && d.n && !(err = deltas_index(&d)))
			s.r.d = &d;
	}
	s.r.keys = calloc(BATCH, sizeof(*s.r.keys));
	s.r.vals = calloc(BATCH, sizeof(*s.r.vals));
	if (!err && (!s.r.keys || !s.r.vals))
		err = -ENOMEM;
	for (int i = 0; i < NSLOTS && !err; i++)
		if (!(s.slot[i] = malloc(BATCH * sizeof(*s.slot[i]))))
			err = -ENOMEM;
	if (!err) {
		pthread_mutex_init(&s.mu, NULL);
		pthread_cond_init(&s.cv, NULL);
		err = -pthread_create(&th, NULL, stream_read, &s);
		if (!err) {
			ret = stream_consume(&s, fn, arg);
			pthread_join(th, NULL);
			err = s.err;
		}
		pthread_mutex_destroy(&s.mu);
		pthread_cond_destroy(&s.cv);
	}
	for (int i = 0; i < NSLOTS; i++)
		free(s.slot[i]);
	free(s.r.keys);
	free(s.r.vals);
	free(d.v);
	free(d.head);
	free(d.next);
	return ret ? ret : err;
}

struct collect {
	struct xtap_flow_entry *v;
	size_t n, cap;
};

static int collect_batch(const struct xtap_flow_entry *v, size_t n, void *arg)
{
	struct collect *c = arg;

	if (c->n + n > c->cap) {
		size_t cap = c->cap ? c->cap : BATCH;
		struct xtap_flow_entry *g;

		while (cap < c->n + n)
			cap *= 2;
		g = realloc(c->v, cap * sizeof(*g));
		if (!g)
			return -ENOMEM;
		c->v = g;
		c->cap = cap;
	}
	memcpy(c->v + c->n, v, n * sizeof(*v));
	c->n += n;
	return 0;
}

int xtap_flows_read(int fd, int fcache_fd, enum xtap_sort by, struct xtap_flow_entry **out,
		    size_t *n)
{
	struct bpf_map_info info = { 0 };
	__u32 ilen = sizeof(info);
	struct collect c = { 0 };
	int err = 0;

	*out = NULL;
	*n = 0;
	/* room for a full table at once: growing by copies costs more than
	 * reading (a million flows are some 170 MB), and the pages a smaller
	 * table leaves untouched cost nothing */
	if (!bpf_obj_get_info_by_fd(fd, &info, &ilen) && info.max_entries &&
	    info.max_entries <= MAX_PRESIZE) {
		c.v = malloc((size_t)info.max_entries * sizeof(*c.v));
		c.cap = c.v ? info.max_entries : 0;
	}
	err = xtap_flows_each(fd, fcache_fd, collect_batch, &c);
	if (!err)
		err = xtap_flows_sort(c.v, c.n, by, NULL);
	if (err) {
		free(c.v);
		return err;
	}
	*out = c.v;
	*n = c.n;
	return 0;
}

struct one {
	const struct xtap_flow_key *key;
	struct xtap_flow *f;
};

static int lookup_one(const struct xtap_fcache *c, void *arg)
{
	struct one *o = arg;

	if (!memcmp(&c->key, o->key, sizeof(*o->key)))
		add_deltas(o->f, c);
	return 0;
}

int xtap_flow_lookup(int fd, int fcache_fd, const struct xtap_flow_key *key, struct xtap_flow *out)
{
	struct one o = { key, out };

	if (bpf_map_lookup_elem(fd, key, out))
		return -errno;
	return fcache_fd < 0 ? 0 : each_delta(fcache_fd, lookup_one, &o);
}

int xtap_stats_read(int fd, __u32 point, struct xtap_stats *out)
{
	return xtap_percpu_sum(fd, &point, out->c, XTAP_STAT_MAX);
}

const char *const xtap_sort_names[] = { "bytes", "packets", "age", "rate", NULL };

static __u64 flow_bytes(const struct xtap_flow_entry *e)
{
	return e->val.bytes[0] + e->val.bytes[1];
}

/* Bytes per second over the flow's life. */
static double life_rate(const struct xtap_flow_entry *e)
{
	__u64 life = e->val.last_ns - e->val.first_ns;

	return life ? (double)flow_bytes(e) * 1e9 / (double)life : 0;
}

/* A rate as a word that orders as the rate does (highest first). The bits of
 * a double that is not negative order as its value. */
static __u64 rate_word(double rate)
{
	__u64 w;

	if (!(rate > 0))
		rate = 0;
	memcpy(&w, &rate, sizeof(w));
	return ~w;
}

/* A flow's place in an order: the order's own field, then the key read as
 * big-endian words (word by word, it compares as memcmp does), and where the
 * flow was. A million of them sort in a few passes over compact memory,
 * where a sort of the entries themselves (168 bytes, through pointers) misses
 * the cache on every comparison. */
struct rank {
	__u64 w[1 + sizeof(struct xtap_flow_key) / 8];
	size_t at;
};

_Static_assert(sizeof(struct xtap_flow_key) % 8 == 0, "the key is read as 64-bit words");

static void rank_of(struct rank *r, const struct xtap_flow_entry *e, enum xtap_sort by,
		    const double *rate, size_t at)
{
	__u64 w;

	switch (by) {
	case XTAP_SORT_BYTES: r->w[0] = ~flow_bytes(e); break;	/* largest first */
	case XTAP_SORT_PACKETS: r->w[0] = ~(e->val.pkts[0] + e->val.pkts[1]); break;
	case XTAP_SORT_AGE: r->w[0] = e->val.first_ns; break;	/* oldest first */
	case XTAP_SORT_RATE: r->w[0] = rate_word(rate ? rate[at] : life_rate(e)); break;
	default: r->w[0] = 0; break;
	}
	for (size_t i = 0; i < sizeof(e->key) / 8; i++) {
		memcpy(&w, (const __u8 *)&e->key + 8 * i, 8);
		r->w[1 + i] = be64toh(w);
	}
	r->at = at;
}

static inline bool rank_before(const struct rank *a, const struct rank *b)
{
	for (size_t i = 0; i < sizeof(a->w) / sizeof(a->w[0]); i++)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i];
	return false;
}

/* Sorts a[0..n): insertion sort of runs of 16, then merges of runs, bottom
 * up, between a and tmp. Returns the array that holds the result. */
static struct rank *rank_sort(struct rank *a, struct rank *tmp, size_t n)
{
	enum { RUN = 16 };

	for (size_t lo = 0; lo < n; lo += RUN) {
		size_t hi = lo + RUN < n ? lo + RUN : n;

		for (size_t i = lo + 1; i < hi; i++) {
			struct rank x = a[i];
			size_t j = i;

			for (; j > lo && rank_before(&x, &a[j - 1]); j--)
				a[j] = a[j - 1];
			a[j] = x;
		}
	}
	for (size_t w = RUN; w < n; w *= 2) {
		struct rank *t;

		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t i = lo, j = mid, k = lo;

			while (i < mid && j < hi)
				tmp[k++] = rank_before(&a[j], &a[i]) ? a[j++] : a[i++];
			while (i < mid)
				tmp[k++] = a[i++];
			while (j < hi)
				tmp[k++] = a[j++];
		}
		t = a;
		a = tmp;
		tmp = t;
	}
	return a;
}

int xtap_flows_sort(struct xtap_flow_entry *f, size_t n, enum xtap_sort by, const double *rate)
{
	struct rank *r, *s;

	if (by == XTAP_SORT_NONE || n < 2)
		return 0;
	r = malloc(2 * n * sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		rank_of(&r[i], &f[i], by, rate, i);
	s = rank_sort(r, r + n, n);
	/* f[i] = old f[s[i].at], one cycle of the permutation at a time */
	for (size_t i = 0; i < n; i++) {
		struct xtap_flow_entry keep;
		size_t j = i, k;

		if (s[i].at == i)
			continue;
		keep = f[i];
		for (;;) {
			k = s[j].at;
			s[j].at = j;
			if (k == i) {
				f[j] = keep;
				break;
			}
			f[j] = f[k];
			j = k;
		}
	}
	free(r);
	return 0;
}

__u64 xtap_flows_evicted(const struct xtap_stats *sum, size_t in_table)
{
	__u64 created = sum->c[XTAP_STAT_FLOW_NEW];

	return created > in_table ? created - in_table : 0;
}
