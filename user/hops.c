// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "user/hops.h"

int xtap_hops_read(int hops_fd, int lost_fd, struct xtap_hop_row **out, size_t *n)
{
	int ncpu = libbpf_num_possible_cpus();
	struct xtap_hop_row *rows = NULL, *grown;
	struct xtap_hist *pc = NULL;
	struct xtap_hop_key k, last, *prev = NULL;
	size_t cap = 0, cnt = 0;
	int err = 0;

	*out = NULL;
	*n = 0;
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	pc = calloc(ncpu, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	while (bpf_map_get_next_key(hops_fd, prev, &k) == 0) {
		struct xtap_hop_row *r;

		last = k;
		prev = &last;
		if (bpf_map_lookup_elem(hops_fd, &k, pc)) {
			if (errno == ENOENT)
				continue;	/* removed meanwhile */
			err = -errno;
			goto out;
		}
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
		r->key = k;
		for (int c = 0; c < ncpu; c++) {
			r->h.count += pc[c].count;
			r->h.sum_ns += pc[c].sum_ns;
			if (pc[c].max_ns > r->h.max_ns)
				r->h.max_ns = pc[c].max_ns;
			for (int b = 0; b < XTAP_HIST_BUCKETS; b++)
				r->h.bucket[b] += pc[c].bucket[b];
		}
		if (lost_fd >= 0 && bpf_map_lookup_elem(lost_fd, &k, &r->lost))
			r->lost = 0;
	}
	*out = rows;
	*n = cnt;
	rows = NULL;
out:
	free(rows);
	free(pc);
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
	__u64 k, next;
	long lost = 0;
	bool more;

	more = bpf_map_get_next_key(seen_fd, NULL, &k) == 0;
	while (more) {
		struct xtap_hop_seen s;
		int to;

		/* the next key first: this one may go */
		more = bpf_map_get_next_key(seen_fd, &k, &next) == 0;
		if (bpf_map_lookup_elem(seen_fd, &k, &s) || s.ns > now_ns ||
		    now_ns - s.ns <= timeout_ns)
			goto step;
		to = usual_next(rows, n, s.point);
		if (bpf_map_delete_elem(seen_fd, &k))
			goto step;	/* taken over meanwhile */
		if (to >= 0) {
			struct xtap_hop_key hk = { .from = s.point, .to = (__u16)to };
			__u64 v = 0;

			bpf_map_lookup_elem(lost_fd, &hk, &v);
			v++;
			if (bpf_map_update_elem(lost_fd, &hk, &v, BPF_ANY))
				return -errno;
			for (size_t i = 0; i < n; i++)
				if (rows[i].key.from == hk.from && rows[i].key.to == hk.to)
					rows[i].lost++;
			lost++;
		}
step:
		k = next;
	}
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
