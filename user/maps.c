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
/* the largest table read_table sizes its result for before reading */
#define MAX_PRESIZE (1u << 24)

static int grow(struct xtap_flow_entry **v, size_t *cap, size_t need)
{
	struct xtap_flow_entry *n;
	size_t c = *cap ? *cap : BATCH;

	while (c < need)
		c *= 2;
	if (c == *cap)
		return 0;
	n = realloc(*v, c * sizeof(*n));
	if (!n)
		return -ENOMEM;
	*v = n;
	*cap = c;
	return 0;
}

static int read_table(int fd, struct xtap_flow_entry **out, size_t *n)
{
	struct xtap_flow_key *keys = NULL;
	struct xtap_flow *vals = NULL;
	struct xtap_flow_entry *v = NULL;
	size_t cap = 0, len = 0;
	__u32 in_tok = 0, out_tok = 0;
	void *in = NULL;
	int err = 0;

	keys = calloc(BATCH, sizeof(*keys));
	vals = calloc(BATCH, sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* room for a full table at once: growing by copies costs more than
	 * reading (a million flows are some 300 MB), and the pages a smaller
	 * table leaves untouched cost nothing */
	{
		struct bpf_map_info info = { 0 };
		__u32 ilen = sizeof(info);

		if (!bpf_obj_get_info_by_fd(fd, &info, &ilen) && info.max_entries &&
		    info.max_entries <= MAX_PRESIZE) {
			err = grow(&v, &cap, info.max_entries + BATCH);
			if (err)
				goto cleanup;
		}
	}
	for (;;) {
		__u32 count = BATCH;
		int r = bpf_map_lookup_batch(fd, in, &out_tok, keys, vals, &count, NULL);
		int e = r ? errno : 0;

		if (r && e != ENOENT) {
			if (e == EINVAL || e == ENOTSUP || e == EOPNOTSUPP) {
				free(keys);
				free(vals);
				return xtap_flows_dump_slow(fd, out, n);
			}
			err = -e;
			goto cleanup;
		}
		err = grow(&v, &cap, len + count);
		if (err)
			goto cleanup;
		for (__u32 i = 0; i < count; i++) {
			v[len].key = keys[i];
			v[len].val = vals[i];
			len++;
		}
		if (e == ENOENT)
			break;
		in_tok = out_tok;
		in = &in_tok;
	}
	*out = v;
	*n = len;
	v = NULL;
cleanup:
	free(v);
	free(keys);
	free(vals);
	return err;
}

int xtap_flows_dump_slow(int fd, struct xtap_flow_entry **out, size_t *n)
{
	struct xtap_flow_entry *v = NULL;
	struct xtap_flow_key key, next;
	size_t cap = 0, len = 0;
	void *prev = NULL;
	int err = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		err = grow(&v, &cap, len + 1);
		if (err)
			goto cleanup;
		if (bpf_map_lookup_elem(fd, &next, &v[len].val) == 0) {
			v[len].key = next;
			len++;
		}
		key = next;
		prev = &key;
	}
	*out = v;
	*n = len;
	return 0;
cleanup:
	free(v);
	return err;
}

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

/* Calls fn for every per-CPU write-back entry that holds deltas. */
static int each_delta(int fd, int (*fn)(const struct xtap_fcache *c, void *arg), void *arg)
{
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	struct xtap_fcache *per;

	if (ncpu < 0)
		return ncpu;
	per = calloc(ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	for (__u32 slot = 0; slot < XTAP_FCACHE_SLOTS && !err; slot++) {
		if (bpf_map_lookup_elem(fd, &slot, per)) {
			err = -errno;
			break;
		}
		for (int c = 0; c < ncpu && !err; c++)
			if (per[c].valid && per[c].count)
				err = fn(&per[c], arg);
	}
	free(per);
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

int xtap_flows_read(int fd, int fcache_fd, struct xtap_flow_entry **out, size_t *n)
{
	struct deltas d = { 0 };
	int err = read_table(fd, out, n);

	if (err || fcache_fd < 0)
		return err;
	err = each_delta(fcache_fd, keep_delta, &d);
	if (!err && d.n) {
		err = deltas_index(&d);
		if (!err)
			merge_deltas(*out, *n, &d);
	}
	free(d.v);
	free(d.head);
	free(d.next);
	if (err) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return err;
}

/*
 * xtap_flows_each: a reader thread fills NSLOTS batch slots while the caller
 * hands the filled ones to fn, in the order read.
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
	int fd;
	const struct deltas *d;
};

static void *stream_read(void *arg)
{
	struct stream *s = arg;
	struct xtap_flow_key *keys = calloc(BATCH, sizeof(*keys));
	struct xtap_flow *vals = calloc(BATCH, sizeof(*vals));
	__u32 in_tok = 0, out_tok = 0;
	void *in = NULL;
	int err = keys && vals ? 0 : -ENOMEM;

	while (!err) {
		__u32 count = BATCH;
		struct xtap_flow_entry *v;
		bool stop;
		int r, e;

		pthread_mutex_lock(&s->mu);
		while (s->filled - s->used == NSLOTS && !s->stop)
			pthread_cond_wait(&s->cv, &s->mu);
		stop = s->stop;
		pthread_mutex_unlock(&s->mu);
		if (stop)
			break;
		r = bpf_map_lookup_batch(s->fd, in, &out_tok, keys, vals, &count, NULL);
		e = r ? errno : 0;
		if (r && e != ENOENT) {
			err = -e;
			break;
		}
		v = s->slot[s->filled % NSLOTS];
		for (__u32 i = 0; i < count; i++) {
			v[i].key = keys[i];
			v[i].val = vals[i];
		}
		if (s->d)
			merge_deltas(v, count, s->d);
		pthread_mutex_lock(&s->mu);
		s->count[s->filled % NSLOTS] = count;
		s->filled++;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		if (e == ENOENT)
			break;
		in_tok = out_tok;
		in = &in_tok;
	}
	free(keys);
	free(vals);
	pthread_mutex_lock(&s->mu);
	s->err = err;
	s->done = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Where the kernel has no batch operations: the whole table, then fn once. */
static int each_whole(int fd, int fcache_fd, xtap_flows_fn fn, void *arg)
{
	struct xtap_flow_entry *v = NULL;
	size_t n = 0;
	int err = xtap_flows_read(fd, fcache_fd, &v, &n);

	if (!err && n)
		err = fn(v, n, arg);
	free(v);
	return err;
}

int xtap_flows_each(int fd, int fcache_fd, xtap_flows_fn fn, void *arg)
{
	struct deltas d = { 0 };
	struct stream s = { .fd = fd };
	pthread_t th;
	int err = 0, ret = 0;

	/* the deltas first, indexed, so that each batch is merged as it is read */
	if (fcache_fd >= 0) {
		err = each_delta(fcache_fd, keep_delta, &d);
		if (!err && d.n && !(err = deltas_index(&d)))
			s.d = &d;
	}
	for (int i = 0; i < NSLOTS && !err; i++)
		if (!(s.slot[i] = malloc(BATCH * sizeof(*s.slot[i]))))
			err = -ENOMEM;
	if (!err) {
		pthread_mutex_init(&s.mu, NULL);
		pthread_cond_init(&s.cv, NULL);
		err = -pthread_create(&th, NULL, stream_read, &s);
	}
	if (!err) {
		for (;;) {
			unsigned long at;

			pthread_mutex_lock(&s.mu);
			while (s.used == s.filled && !s.done)
				pthread_cond_wait(&s.cv, &s.mu);
			if (s.used == s.filled) {	/* done, all handed out */
				pthread_mutex_unlock(&s.mu);
				break;
			}
			at = s.used % NSLOTS;
			pthread_mutex_unlock(&s.mu);
			if (s.count[at])
				ret = fn(s.slot[at], s.count[at], arg);
			pthread_mutex_lock(&s.mu);
			s.used++;
			if (ret)
				s.stop = true;
			pthread_cond_broadcast(&s.cv);
			pthread_mutex_unlock(&s.mu);
			if (ret)
				break;
		}
		pthread_join(th, NULL);
		err = s.err;
		/* a kernel without batch operations fails the first one */
		if (!ret && !s.filled && (err == -EINVAL || err == -ENOTSUP || err == -EOPNOTSUPP))
			err = each_whole(fd, fcache_fd, fn, arg);
		pthread_mutex_destroy(&s.mu);
		pthread_cond_destroy(&s.cv);
	}
	for (int i = 0; i < NSLOTS; i++)
		free(s.slot[i]);
	free(d.v);
	free(d.head);
	free(d.next);
	return ret ? ret : err;
}

int xtap_flows_dump(int fd, int fcache_fd, struct xtap_flow_entry **out, size_t *n)
{
	int err = xtap_flows_read(fd, fcache_fd, out, n);

	if (!err)
		xtap_flows_sort(*out, *n, XTAP_SORT_KEY);
	return err;
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

static __u64 flow_bytes(const struct xtap_flow_entry *e)
{
	return e->val.bytes[0] + e->val.bytes[1];
}

static __u64 flow_pkts(const struct xtap_flow_entry *e)
{
	return e->val.pkts[0] + e->val.pkts[1];
}

static int cmp_u64_desc(__u64 a, __u64 b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

static int by_key(const void *a, const void *b)
{
	return memcmp(&((const struct xtap_flow_entry *)a)->key,
		      &((const struct xtap_flow_entry *)b)->key, sizeof(struct xtap_flow_key));
}

static int by_bytes(const void *a, const void *b)
{
	int r = cmp_u64_desc(flow_bytes(a), flow_bytes(b));

	return r ? r : by_key(a, b);
}

static int by_packets(const void *a, const void *b)
{
	int r = cmp_u64_desc(flow_pkts(a), flow_pkts(b));

	return r ? r : by_key(a, b);
}

static int by_age(const void *a, const void *b)
{
	const struct xtap_flow_entry *x = a, *y = b;
	int r = x->val.first_ns < y->val.first_ns ? -1 : x->val.first_ns > y->val.first_ns;

	return r ? r : by_key(a, b);
}

/* A flow's place in an order: the order's own field, then the key read as
 * big-endian words (word by word, it compares as memcmp does), and where the
 * flow was. A million of them sort in a few passes over compact memory,
 * where qsort on the entries (168 bytes, through pointers) misses the cache
 * on every comparison. */
struct rank {
	__u64 w[1 + sizeof(struct xtap_flow_key) / 8];
	size_t at;
};

_Static_assert(sizeof(struct xtap_flow_key) % 8 == 0, "the key is read as 64-bit words");

static void rank_of(struct rank *r, const struct xtap_flow_entry *e, enum xtap_sort by, size_t at)
{
	__u64 w;

	r->w[0] = by == XTAP_SORT_BYTES	  ? ~flow_bytes(e)	/* largest first */
		  : by == XTAP_SORT_PACKETS ? ~flow_pkts(e)
		  : by == XTAP_SORT_AGE	  ? e->val.first_ns	/* oldest first */
					    : 0;
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

void xtap_flows_sort(struct xtap_flow_entry *f, size_t n, enum xtap_sort by)
{
	int (*cmp)(const void *, const void *) = by_key;
	struct rank *r = n ? malloc(2 * n * sizeof(*r)) : NULL, *s;

	if (r) {
		for (size_t i = 0; i < n; i++)
			rank_of(&r[i], &f[i], by, i);
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
		return;
	}
	/* no memory for the ranks: in place */
	if (by == XTAP_SORT_BYTES)
		cmp = by_bytes;
	else if (by == XTAP_SORT_PACKETS)
		cmp = by_packets;
	else if (by == XTAP_SORT_AGE)
		cmp = by_age;
	if (n)
		qsort(f, n, sizeof(*f), cmp);
}

__u64 xtap_flows_evicted(const struct xtap_stats *sum, size_t in_table)
{
	__u64 created = sum->c[XTAP_STAT_FLOW_NEW];

	return created > in_table ? created - in_table : 0;
}
