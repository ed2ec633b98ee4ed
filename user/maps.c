// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "user/maps.h"

#define BATCH 4096

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

static int by_key(const void *a, const void *b);

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

struct merge {
	struct xtap_flow_entry *v;
	size_t n;
};

static int merge_one(const struct xtap_fcache *c, void *arg)
{
	struct merge *m = arg;
	struct xtap_flow_entry key = { .key = c->key }, *e;

	e = bsearch(&key, m->v, m->n, sizeof(*m->v), by_key);
	if (e)		/* else the table evicted the flow: its deltas go too */
		add_deltas(&e->val, c);
	return 0;
}

int xtap_flows_dump(int fd, int fcache_fd, struct xtap_flow_entry **out, size_t *n)
{
	struct merge m;
	int err = read_table(fd, out, n);

	if (err)
		return err;
	xtap_flows_sort(*out, *n, XTAP_SORT_KEY);
	if (fcache_fd < 0)
		return 0;
	m.v = *out;
	m.n = *n;
	err = each_delta(fcache_fd, merge_one, &m);
	if (err) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
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
	int ncpu = libbpf_num_possible_cpus();
	struct xtap_stats *per;

	if (ncpu < 0)
		return ncpu;
	per = calloc(ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(fd, &point, per)) {
		int e = -errno;

		free(per);
		return e;
	}
	for (int c = 0; c < ncpu; c++)
		for (int i = 0; i < XTAP_STAT_MAX; i++)
			out->c[i] += per[c].c[i];
	free(per);
	return 0;
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

void xtap_flows_sort(struct xtap_flow_entry *f, size_t n, enum xtap_sort by)
{
	int (*cmp)(const void *, const void *) = by_key;

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
