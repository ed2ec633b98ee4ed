// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/attach.h"
#include "loader/live.h"
#include "loader/percpu.h"
#include "user/hops.h"
#include "user/json.h"
#include "user/latency.h"
#include "user/log.h"
#include "user/names.h"

/* All n values of an array map into vals (n * vsize bytes): in batches,
 * else one at a time. */
static int read_array(int fd, __u32 n, size_t vsize, void *vals)
{
	__u32 *keys = calloc(n, sizeof(*keys)), in = 0, out = 0, got = 0, cnt;
	char *buf = malloc((size_t)n * vsize);
	int err = 0;

	if (!keys || !buf) {
		err = -ENOMEM;
		goto out;
	}
	while (got < n) {
		cnt = n - got;
		err = bpf_map_lookup_batch(fd, got ? &in : NULL, &out, keys, buf, &cnt, NULL);
		if (err && errno != ENOENT)
			break;
		for (__u32 i = 0; i < cnt; i++)
			if (keys[i] < n)
				memcpy((char *)vals + (size_t)keys[i] * vsize, buf + (size_t)i * vsize,
				       vsize);
		got += cnt;
		in = out;
		if (err || !cnt) {
			err = 0;
			break;
		}
	}
	if (err) {	/* no batch operations: one by one */
		err = 0;
		for (__u32 k = 0; k < n; k++)
			if (bpf_map_lookup_elem(fd, &k, (char *)vals + (size_t)k * vsize)) {
				err = -errno;
				break;
			}
	}
out:
	free(keys);
	free(buf);
	return err;
}

int xtap_hops_read(int index_fd, int hops_fd, int lost_fd, struct xtap_hop_row **out, size_t *n)
{
	struct xtap_hop_row *rows = NULL, *grown;
	struct xtap_hist h;
	__u32 *index = NULL;
	size_t cap = 0, cnt = 0;
	int err = 0;

	*out = NULL;
	*n = 0;
	index = calloc(XTAP_HOP_INDEX_NEXT, sizeof(*index));
	if (!index) {
		err = -ENOMEM;
		goto out;
	}
	err = read_array(index_fd, XTAP_HOP_INDEX_NEXT, sizeof(*index), index);
	if (err)
		goto out;
	for (__u32 k = 0; k < XTAP_HOP_INDEX_NEXT; k++) {
		struct xtap_hop_row *r;
		__u32 i = index[k] - 1;

		if (!index[k] || i >= XTAP_HOPS_MAX)
			continue;
		err = xtap_percpu_hist(hops_fd, &i, &h);
		if (err)
			goto out;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			grown = realloc(rows, cap * sizeof(*rows));
			if (!grown) {
				err = -ENOMEM;
				goto out;
			}
			rows = grown;
		}
		r = &rows[cnt++];
		memset(r, 0, sizeof(*r));
		r->key.from = (__u16)(k / XTAP_MAX_POINTS);
		r->key.to = (__u16)(k % XTAP_MAX_POINTS);
		r->h = h;
		if (lost_fd >= 0 && bpf_map_lookup_elem(lost_fd, &r->key, &r->lost))
			r->lost = 0;
	}
	*out = rows;
	*n = cnt;
	rows = NULL;
out:
	free(rows);
	free(index);
	return err;
}

/* The successor of point with the most packets, or -1. */
static int usual_next(const struct xtap_hop_row *rows, size_t n, __u16 point)
{
	__u64 best = 0;
	int to = -1;

	for (size_t i = 0; i < n; i++)
		if (rows[i].key.from == point && rows[i].h.count > best) {
			best = rows[i].h.count;
			to = rows[i].key.to;
		}
	return to;
}

long xtap_hops_settle(int seen_fd, int lost_fd, struct xtap_hop_row *rows, size_t n,
		      __u64 now_ns, __u64 timeout_ns)
{
	struct xtap_hop_seen *seen = calloc(XTAP_HOP_SEEN_MAX, sizeof(*seen));
	long lost = 0;
	int err;

	if (!seen)
		return -ENOMEM;
	err = read_array(seen_fd, XTAP_HOP_SEEN_MAX, sizeof(*seen), seen);
	if (err) {
		free(seen);
		return err;
	}
	for (__u32 k = 0; k < XTAP_HOP_SEEN_MAX; k++) {
		static const struct xtap_hop_seen empty;
		struct xtap_hop_seen s = seen[k], again;
		__u64 age = XTAP_HOP_AT_AGE(s.at, now_ns);
		int to;

		/* empty, young, or (modulo 2^56) from after now */
		if (!s.at || age <= timeout_ns || age >= 1ull << 55)
			continue;
		/* clear it unless taken over since the batch read; what a
		 * takeover between this read and the clear loses is one new
		 * sighting (its next point starts a path) */
		if (bpf_map_lookup_elem(seen_fd, &k, &again) || again.fp != s.fp || again.at != s.at ||
		    bpf_map_update_elem(seen_fd, &k, &empty, BPF_ANY))
			continue;
		to = usual_next(rows, n, XTAP_HOP_AT_POINT(s.at));
		if (to >= 0) {
			struct xtap_hop_key hk = { .from = XTAP_HOP_AT_POINT(s.at), .to = (__u16)to };
			__u64 v = 0;

			bpf_map_lookup_elem(lost_fd, &hk, &v);
			v++;
			if (bpf_map_update_elem(lost_fd, &hk, &v, BPF_ANY)) {
				lost = -errno;
				break;
			}
			for (size_t i = 0; i < n; i++)
				if (rows[i].key.from == hk.from && rows[i].key.to == hk.to)
					rows[i].lost++;
			lost++;
		}
	}
	free(seen);
	return lost;
}

static int row_cmp_count(const void *a, const void *b)
{
	const struct xtap_hop_row *x = a, *y = b;

	if (x->h.count != y->h.count)
		return x->h.count > y->h.count ? -1 : 1;
	if (x->key.from != y->key.from)
		return x->key.from < y->key.from ? -1 : 1;
	return x->key.to < y->key.to ? -1 : x->key.to > y->key.to;
}

/* Append, depth first from point, the hops not yet placed. */
static void walk(const struct xtap_hop_row *by_count, size_t n, bool *placed, __u16 point,
		 struct xtap_hop_row *out, size_t *m, int depth)
{
	if (depth > (int)n)
		return;
	for (size_t i = 0; i < n; i++) {
		if (placed[i] || by_count[i].key.from != point)
			continue;
		placed[i] = true;
		out[(*m)++] = by_count[i];
		walk(by_count, n, placed, by_count[i].key.to, out, m, depth + 1);
	}
}

void xtap_hops_order(struct xtap_hop_row *rows, size_t n)
{
	struct xtap_hop_row *by_count, *out;
	bool *placed;
	size_t m = 0;

	if (n < 2)
		return;
	by_count = malloc(n * sizeof(*rows));
	out = malloc(n * sizeof(*rows));
	placed = calloc(n, sizeof(*placed));
	if (!by_count || !out || !placed)
		goto out;	/* left in the order read */
	memcpy(by_count, rows, n * sizeof(*rows));
	qsort(by_count, n, sizeof(*rows), row_cmp_count);
	/* starts of paths: points no hop leads to, busiest first */
	for (size_t i = 0; i < n; i++) {
		bool entered = false;

		for (size_t j = 0; j < n && !entered; j++)
			entered = by_count[j].key.to == by_count[i].key.from;
		if (!entered && !placed[i])
			walk(by_count, n, placed, by_count[i].key.from, out, &m, 0);
	}
	for (size_t i = 0; i < n; i++)
		if (!placed[i])
			walk(by_count, n, placed, by_count[i].key.from, out, &m, 0);
	memcpy(rows, out, m * sizeof(*rows));
out:
	free(by_count);
	free(out);
	free(placed);
}

__u64 xtap_hop_quantile(const struct xtap_hist *h, double q)
{
	__u64 want, seen = 0;

	if (!h->count)
		return 0;
	want = (__u64)(q * (double)h->count + 0.999999);
	if (want < 1)
		want = 1;
	for (int b = 0; b < XTAP_HIST_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen >= want) {
			__u64 hi = b == 0 ? 1 : (b >= 63 ? ~0ull : (2ull << b) - 1);

			return hi < h->max_ns ? hi : h->max_ns;
		}
	}
	return h->max_ns;
}

/* 1 << the hop sample shift (xtap_live.hop): the programs follow 1 packet
 * in that many; 1 when the state has no settings. */
static __u32 hop_sample(const struct xtap_state *st)
{
	struct xtap_live live;

	if (xtap_live_read(st, &live))
		live.hop.sample_shift = 0;
	return live.hop.sample_shift <= XTAP_HOP_SAMPLE_SHIFT_MAX ? 1u << live.hop.sample_shift
								  : 1;
}

int xtap_hops_query(const struct xtap_state *st, __u32 timeout_ms, struct xtap_hops_report *r)
{
	static const char *const maps[] = { "xtap_hops", "xtap_hop_lost", "xtap_hop_seen",
					    "xtap_hop_index" };
	enum { HOPS, LOST, SEEN, INDEX, NMAPS };
	int fd[NMAPS], err = 0, ret = -1;
	struct timespec now;
	long lost;

	memset(r, 0, sizeof(*r));
	r->timeout_ms = timeout_ms;
	for (int i = 0; i < NMAPS; i++) {
		fd[i] = xtap_map_open(st, maps[i]);
		if (fd[i] < 0 && !err)
			err = fd[i];
	}
	if (err) {
		xtap_err("hops: hop maps: %s (attached by an xtap without hops?)", strerror(-err));
		goto cleanup;
	}
	err = xtap_hops_read(fd[INDEX], fd[HOPS], fd[LOST], &r->rows, &r->n);
	if (err) {
		xtap_err("hops: read: %s", strerror(-err));
		goto cleanup;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	lost = xtap_hops_settle(fd[SEEN], fd[LOST], r->rows, r->n,
				(__u64)now.tv_sec * 1000000000ull + (__u64)now.tv_nsec,
				(__u64)timeout_ms * 1000000ull);
	if (lost < 0) {
		xtap_err("hops: loss accounting: %s", strerror((int)-lost));
		goto cleanup;
	}
	xtap_hops_order(r->rows, r->n);
	r->sample = hop_sample(st);
	ret = 0;
cleanup:
	if (ret)
		xtap_hops_report_free(r);
	for (int i = 0; i < NMAPS; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	return ret;
}

void xtap_hops_report_free(struct xtap_hops_report *r)
{
	free(r->rows);
	r->rows = NULL;
	r->n = 0;
}

/* "veth0/xdp", or "slot3/xdp" for a slot no longer attached. */
static void point_str(const struct xtap_state *st, __u32 point, char *buf, size_t len)
{
	struct xtap_iface e;
	__u32 slot = point / XTAP_HOOK_MAX;
	const char *hook = xtap_hook_name(point % XTAP_HOOK_MAX);

	if (xtap_iface_get(st, slot, &e) == 0)
		snprintf(buf, len, "%s/%s", e.name, hook);
	else
		snprintf(buf, len, "slot%u/%s", slot, hook);
}

static void point_json(struct json *j, const struct xtap_state *st, const char *key, __u32 point)
{
	struct xtap_iface e;
	char ns[64];

	json_open(j, key, '{');
	json_u64(j, "point", point);
	if (xtap_iface_get(st, point / XTAP_HOOK_MAX, &e) == 0) {
		json_str(j, "iface", e.name);
		xtap_netns_name(&e, ns, sizeof(ns));
		json_str(j, "netns", ns);
	} else {
		json_null(j, "iface");
	}
	json_str(j, "hook", xtap_hook_name(point % XTAP_HOOK_MAX));
	json_close(j, '}');
}

/* The histogram's non-empty buckets, a bar each, scaled to the largest. */
static void bars(FILE *out, const struct xtap_hist *h)
{
	__u64 top = 0;

	for (int b = 0; b < XTAP_HIST_BUCKETS; b++)
		if (h->bucket[b] > top)
			top = h->bucket[b];
	for (int b = 0; b < XTAP_HIST_BUCKETS; b++) {
		char lo[16], hi[16], bar[41];
		int w;

		if (!h->bucket[b])
			continue;
		xtap_duration_str(b ? 1ull << b : 0, lo, sizeof(lo));
		xtap_duration_str(2ull << b, hi, sizeof(hi));
		w = (int)((h->bucket[b] * 40 + top - 1) / top);
		memset(bar, '#', (size_t)w);
		bar[w] = '\0';
		fprintf(out, "    %9s .. %-9s %10" PRIu64 " %s\n", lo, hi, (uint64_t)h->bucket[b], bar);
	}
}

static void hops_json(FILE *out, const struct xtap_state *st, const struct xtap_hops_report *r,
		      bool verbose)
{
	struct json j;

	json_init(&j, out);
	json_open(&j, NULL, '{');
	json_u64(&j, "timeout_ms", r->timeout_ms);
	json_u64(&j, "sample", r->sample);
	json_open(&j, "hops", '[');
	for (size_t i = 0; i < r->n; i++) {
		const struct xtap_hist *h = &r->rows[i].h;

		json_open(&j, NULL, '{');
		point_json(&j, st, "from", r->rows[i].key.from);
		point_json(&j, st, "to", r->rows[i].key.to);
		json_u64(&j, "count", h->count);
		json_u64(&j, "p50_ns", xtap_hop_quantile(h, 0.50));
		json_u64(&j, "p90_ns", xtap_hop_quantile(h, 0.90));
		json_u64(&j, "p99_ns", xtap_hop_quantile(h, 0.99));
		json_u64(&j, "max_ns", h->max_ns);
		json_u64(&j, "sum_ns", h->sum_ns);
		json_u64(&j, "lost", r->rows[i].lost);
		if (verbose) {
			json_open(&j, "buckets", '[');
			for (int b = 0; b < XTAP_HIST_BUCKETS; b++)
				json_u64(&j, NULL, h->bucket[b]);
			json_close(&j, ']');
		}
		json_close(&j, '}');
	}
	json_close(&j, ']');
	json_close(&j, '}');
	fputc('\n', out);
}

void xtap_hops_print(FILE *out, const struct xtap_state *st, const struct xtap_hops_report *r,
		     bool json, bool verbose)
{
	if (json) {
		hops_json(out, st, r, verbose);
		return;
	}
	if (r->sample > 1)
		fprintf(out, "following 1 in %u packets, the same ones at every point: counts are "
			"of those (xtap attach --hop-sample 1 follows all)\n", r->sample);
	fprintf(out, "%-28s %-28s %9s %9s %9s %9s %9s %7s\n", "FROM", "TO", "COUNT", "P50", "P90",
		"P99", "MAX", "LOST");
	for (size_t i = 0; i < r->n; i++) {
		const struct xtap_hist *h = &r->rows[i].h;
		char from[48], to[48], p50[16], p90[16], p99[16], mx[16];

		point_str(st, r->rows[i].key.from, from, sizeof(from));
		point_str(st, r->rows[i].key.to, to, sizeof(to));
		xtap_duration_str(xtap_hop_quantile(h, 0.50), p50, sizeof(p50));
		xtap_duration_str(xtap_hop_quantile(h, 0.90), p90, sizeof(p90));
		xtap_duration_str(xtap_hop_quantile(h, 0.99), p99, sizeof(p99));
		xtap_duration_str(h->max_ns, mx, sizeof(mx));
		fprintf(out, "%-28s %-28s %9" PRIu64 " %9s %9s %9s %9s %7" PRIu64 "\n", from, to,
			(uint64_t)h->count, p50, p90, p99, mx, (uint64_t)r->rows[i].lost);
		if (verbose)
			bars(out, h);
	}
	if (!r->n)
		fprintf(out, "no hops yet: a packet must be seen at two attach points\n");
}
