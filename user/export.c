// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/percpu.h"
#include "user/export.h"
#include "user/ipfix.h"

const char *xtap_export_reason_name(__u8 reason)
{
	switch (reason) {
	case IPFIX_END_IDLE: return "idle";
	case IPFIX_END_ACTIVE: return "active";
	case IPFIX_END_OF_FLOW: return "end";
	case IPFIX_END_FORCED: return "forced";
	default: return "unknown";
	}
}

static bool flow_ended(const struct xtap_flow *v)
{
	return v->rst[0] || v->rst[1] || (v->fin[0] && v->fin[1]);
}

/* The reason to send a record of f now, or 0. */
static __u8 due(const struct xtap_export_cfg *cfg, const struct xtap_flow *v,
		const struct xtap_export_seen *s, __u64 now, bool force)
{
	__u64 quiet = now > v->last_ns ? now - v->last_ns : 0;

	if (force)
		return IPFIX_END_FORCED;
	if (flow_ended(v) && quiet >= cfg->end_quiet_ns)
		return IPFIX_END_OF_FLOW;
	if (quiet >= cfg->idle_ns)
		return IPFIX_END_IDLE;
	if (now - (s->any ? s->m.export_ns : v->first_ns) >= cfg->active_ns)
		return IPFIX_END_ACTIVE;
	return 0;
}

long xtap_export_round(struct xtap_export_state *st, const struct xtap_export_cfg *cfg,
		       const struct xtap_flow_entry *f, size_t n, __u64 now, bool force,
		       const struct xtap_export_cb *cb)
{
	struct xtap_export_seen *nv = calloc(n + 1, sizeof(*nv));
	size_t j = 0, matched = SIZE_MAX;
	long sent = 0;
	int err = 0;

	if (!nv)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct xtap_flow *v = &f[i].val;
		struct xtap_export_seen *s = &nv[i], next;
		struct xtap_export_rec r = { 0 };
		bool fresh = false, back = false;
		int cmp = 1;

		/* both sorted by key: walk the old list alongside; entries
		 * the table no longer holds fall out here */
		while (j < st->n && (cmp = memcmp(&st->v[j].key, &f[i].key, sizeof(f[i].key))) < 0) {
			if (cb->gone && st->v[j].any && j != matched)
				cb->gone(&st->v[j], cb->arg);
			j++;
		}
		if (j < st->n && cmp == 0 && st->v[j].m.first_ns == v->first_ns) {
			*s = st->v[j];
		} else {
			s->key = f[i].key;
			s->m.first_ns = v->first_ns;
		}
		if (j < st->n && cmp == 0)
			matched = j;
		for (int d = 0; d < 2; d++) {
			if (v->pkts[d] < s->m.pkts[d] || v->bytes[d] < s->m.bytes[d])
				back = true;
			if (v->pkts[d] > s->m.pkts[d])
				fresh = true;
		}
		/* a read racing a flush of the per-CPU deltas may have shown
		 * one batch twice: wait until the counts are past what went */
		if (back || !fresh || err)
			continue;
		r.reason = due(cfg, v, s, now, force);
		if (!r.reason)
			continue;
		next = *s;
		for (int d = 0; d < 2; d++) {
			r.pkts[d] = v->pkts[d] - s->m.pkts[d];
			r.bytes[d] = v->bytes[d] - s->m.bytes[d];
			/* a read behind the last one: none new (not negative) */
			r.retrans[d] = v->retrans[d] > s->m.retrans[d] ?
				v->retrans[d] - s->m.retrans[d] : 0;
			next.m.pkts[d] = v->pkts[d];
			next.m.bytes[d] = v->bytes[d];
			next.m.retrans[d] += r.retrans[d];
		}
		r.start_ns = s->any ? s->m.end_ns : v->first_ns;
		r.end_ns = v->last_ns;
		next.m.export_ns = now;
		next.m.end_ns = v->last_ns;
		next.any = true;
		err = cb->emit(&f[i], &r, &next, cb->arg);
		if (err)
			continue;	/* keep the old marks: it goes next time */
		*s = next;
		sent++;
	}
	for (; j < st->n; j++)
		if (cb->gone && st->v[j].any && j != matched)
			cb->gone(&st->v[j], cb->arg);
	free(st->v);
	st->v = nv;
	st->n = n;
	return err ? err : sent;
}

static int by_key(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct xtap_flow_key));
}

void xtap_export_state_load(struct xtap_export_state *st, struct xtap_export_seen *v, size_t n)
{
	free(st->v);
	if (n)
		qsort(v, n, sizeof(*v), by_key);
	st->v = v;
	st->n = n;
}

void xtap_export_state_free(struct xtap_export_state *st)
{
	free(st->v);
	st->v = NULL;
	st->n = 0;
}

static int by_svc(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct xtap_svc_key));
}

int xtap_hist_dump(int fd, struct xtap_hist_entry **out, size_t *n)
{
	struct xtap_hist_entry *v = NULL, *nv;
	struct xtap_svc_key key, next;
	size_t len = 0, cap = 0;
	void *prev = NULL;
	int err = 0;

	*out = NULL;
	*n = 0;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (len == cap) {
			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				err = -ENOMEM;
				goto cleanup;
			}
			v = nv;
		}
		v[len].key = key;
		if (xtap_percpu_hist(fd, &key, &v[len].h))
			continue;	/* evicted meanwhile */
		len++;
	}
	if (len)
		qsort(v, len, sizeof(*v), by_svc);
	*out = v;
	*n = len;
	v = NULL;
cleanup:
	free(v);
	return err;
}
