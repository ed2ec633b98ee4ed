// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/attach.h"
#include "user/latency.h"
#include "user/log.h"
#include "user/names.h"

#define BAR_WIDTH 52

void xtap_hist_merge(struct xtap_hist *into, const struct xtap_hist *add)
{
	into->count += add->count;
	into->sum_ns += add->sum_ns;
	if (add->max_ns > into->max_ns)
		into->max_ns = add->max_ns;
	for (int i = 0; i < XTAP_HIST_BUCKETS; i++)
		into->bucket[i] += add->bucket[i];
}

static int by_svc(const void *a, const void *b)
{
	const struct xtap_svc_key *x = &((const struct xtap_hist_entry *)a)->key;
	const struct xtap_svc_key *y = &((const struct xtap_hist_entry *)b)->key;
	int r = memcmp(x->addr, y->addr, sizeof(x->addr));

	if (r)
		return r;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	return x->kind < y->kind ? -1 : x->kind > y->kind;
}

void xtap_hist_sort(struct xtap_hist_entry *v, size_t n)
{
	if (n)
		qsort(v, n, sizeof(*v), by_svc);
}

__u64 xtap_hist_bucket_lo(unsigned i)
{
	return i == 0 ? 0 : 1ull << i;
}

__u64 xtap_hist_bucket_hi(unsigned i)
{
	return i + 1 >= XTAP_HIST_BUCKETS ? UINT64_MAX : 2ull << i;
}

__u64 xtap_hist_percentile(const struct xtap_hist *h, double p)
{
	__u64 total = 0, below = 0, rank;

	for (int i = 0; i < XTAP_HIST_BUCKETS; i++)
		total += h->bucket[i];
	if (!total || !(p > 0))
		return 0;
	if (p >= 100)
		return h->max_ns;
	{
		double x = p / 100.0 * (double)total;	/* rank = ceil(x) */

		rank = (__u64)x;
		if ((double)rank < x)
			rank++;
	}
	if (rank < 1)
		rank = 1;
	for (unsigned i = 0; i < XTAP_HIST_BUCKETS; i++) {
		__u64 in = h->bucket[i], lo, hi, est;

		if (below + in < rank) {
			below += in;
			continue;
		}
		lo = xtap_hist_bucket_lo(i);
		hi = xtap_hist_bucket_hi(i);
		if (hi == UINT64_MAX || hi > h->max_ns + 1)
			hi = h->max_ns + 1 > lo ? h->max_ns + 1 : lo + 1;
		/* the rank's position among the bucket's samples, 1..in */
		est = lo + (__u64)((double)(hi - lo) * (double)(rank - below) / (double)in);
		if (est >= hi)
			est = hi - 1;
		return est < h->max_ns ? est : h->max_ns;
	}
	return h->max_ns;
}

const char *const xtap_lat_kind_names[XTAP_LAT_KIND_MAX + 1] = {
	[XTAP_LAT_HANDSHAKE] = "handshake",
	[XTAP_LAT_HTTP] = "http",
	[XTAP_LAT_DNS] = "dns",
	[XTAP_LAT_RTT] = "rtt",
	[XTAP_LAT_TLS_HELLO] = "tls",
	[XTAP_LAT_TLS_DATA] = "tls-data",
};
#define kind_names xtap_lat_kind_names

const char *xtap_lat_kind_name(unsigned kind)
{
	return kind < XTAP_LAT_KIND_MAX ? kind_names[kind] : NULL;
}

int xtap_lat_kind_parse(const char *s)
{
	for (int i = 0; i < XTAP_LAT_KIND_MAX; i++)
		if (kind_names[i] && !strcmp(s, kind_names[i]))
			return i;
	return -1;
}

static int parse_port(const char *s, __u16 *port)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 65535)
		return -1;
	*port = (__u16)v;
	return 0;
}

int xtap_svc_parse(const char *s, struct xtap_hist_filter *f)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *port;
	struct in_addr a4;
	char *colon;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close || close[1] != ':')
			return -1;
		*close = '\0';
		port = close + 2;
		if (inet_pton(AF_INET6, buf + 1, f->addr) != 1)
			return -1;
	} else {
		colon = strrchr(buf, ':');
		if (!colon)
			return -1;
		*colon = '\0';
		port = colon + 1;
		if (inet_pton(AF_INET, buf, &a4) == 1) {
			memset(f->addr, 0, 10);
			f->addr[10] = f->addr[11] = 0xff;
			memcpy(f->addr + 12, &a4, 4);
		} else if (inet_pton(AF_INET6, buf, f->addr) != 1) {
			return -1;
		}
	}
	if (parse_port(port, &f->port))
		return -1;
	f->by_service = true;
	return 0;
}

bool xtap_hist_selected(const struct xtap_hist_filter *f, const struct xtap_svc_key *k)
{
	/* "tls" shows both TLS times: the hello and the full handshake */
	if (f->kind >= 0 && k->kind != f->kind &&
	    !(f->kind == XTAP_LAT_TLS_HELLO && k->kind == XTAP_LAT_TLS_DATA))
		return false;
	if (f->by_service && (memcmp(f->addr, k->addr, 16) || f->port != k->port))
		return false;
	return true;
}

static int is_v4mapped(const __u8 a[16])
{
	static const __u8 prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a, prefix, sizeof(prefix));
}

void xtap_svc_str(const struct xtap_svc_key *k, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN], proto[16];
	const char *pn = xtap_proto_name(k->proto);
	int v4 = is_v4mapped(k->addr);

	if (pn)
		snprintf(proto, sizeof(proto), "%s", pn);
	else
		snprintf(proto, sizeof(proto), "%u", k->proto);
	xtap_addr_str(k->addr, v4 ? 4 : 6, addr, sizeof(addr));
	snprintf(buf, len, v4 ? "%s:%u/%s" : "[%s]:%u/%s", addr, k->port, proto);
}

void xtap_duration_str(__u64 ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 "ns", (uint64_t)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.3fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.3fs", (double)ns / 1e9);
}

/* A bucket bound, short: 512ns, 1.0us, 16us, 1.0ms, 537ms, 1.1s, 275s. */
static void bound_str(__u64 ns, char *buf, size_t len)
{
	static const struct { double div; const char *unit; } u[] = {
		{ 1e9, "s" }, { 1e6, "ms" }, { 1e3, "us" },
	};

	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		double v = (double)ns / u[i].div;

		if (v >= 1) {
			snprintf(buf, len, v < 10 ? "%.1f%s" : "%.0f%s", v, u[i].unit);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64 "ns", (uint64_t)ns);
}

/* First and last non-empty bucket; -1 when there is none. */
static int bucket_span(const struct xtap_hist *h, int *last)
{
	int first = -1;

	*last = -1;
	for (int i = 0; i < XTAP_HIST_BUCKETS; i++)
		if (h->bucket[i]) {
			if (first < 0)
				first = i;
			*last = i;
		}
	return first;
}

void xtap_hist_text(FILE *out, const struct xtap_hist_entry *e)
{
	const struct xtap_hist *h = &e->h;
	char svc[80], p50[24], p90[24], p99[24], max[24];
	const char *kind = xtap_lat_kind_name(e->key.kind);
	__u64 top = 0;
	int first, last;

	xtap_svc_str(&e->key, svc, sizeof(svc));
	xtap_duration_str(xtap_hist_percentile(h, 50), p50, sizeof(p50));
	xtap_duration_str(xtap_hist_percentile(h, 90), p90, sizeof(p90));
	xtap_duration_str(xtap_hist_percentile(h, 99), p99, sizeof(p99));
	xtap_duration_str(h->max_ns, max, sizeof(max));
	if (kind)
		fprintf(out, "%s %s\n", svc, kind);
	else
		fprintf(out, "%s kind %u\n", svc, e->key.kind);
	first = bucket_span(h, &last);
	for (int i = first; first >= 0 && i <= last; i++)
		if (h->bucket[i] > top)
			top = h->bucket[i];
	for (int i = first; first >= 0 && i <= last; i++) {
		char lo[16], hi[16], range[40];
		int bar = top ? (int)((h->bucket[i] * BAR_WIDTH + top - 1) / top) : 0;

		bound_str(xtap_hist_bucket_lo(i), lo, sizeof(lo));
		if (i + 1 >= XTAP_HIST_BUCKETS)
			snprintf(range, sizeof(range), "[%s, ...)", lo);
		else {
			bound_str(xtap_hist_bucket_hi(i), hi, sizeof(hi));
			snprintf(range, sizeof(range), "[%s, %s)", lo, hi);
		}
		fprintf(out, "%-18s %8" PRIu64 " |%-*.*s|\n", range, (uint64_t)h->bucket[i], BAR_WIDTH,
			bar, "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
	}
	fprintf(out, "count %" PRIu64 ", p50 %s, p90 %s, p99 %s, max %s\n", (uint64_t)h->count, p50,
		p90, p99, max);
}

void xtap_hist_json(struct json *j, const struct xtap_hist_entry *e)
{
	const struct xtap_hist *h = &e->h;
	const char *kind = xtap_lat_kind_name(e->key.kind);
	const char *pn = xtap_proto_name(e->key.proto);
	char addr[INET6_ADDRSTRLEN];
	int first, last;

	json_open(j, NULL, '{');
	json_open(j, "service", '{');
	json_str(j, "addr", xtap_addr_str(e->key.addr, is_v4mapped(e->key.addr) ? 4 : 6, addr,
					   sizeof(addr)));
	json_u64(j, "port", e->key.port);
	if (pn)
		json_str(j, "proto", pn);
	else
		json_u64(j, "proto", e->key.proto);
	json_close(j, '}');
	if (kind)
		json_str(j, "kind", kind);
	else
		json_u64(j, "kind", e->key.kind);
	json_u64(j, "count", h->count);
	json_u64(j, "sum_ns", h->sum_ns);
	json_u64(j, "p50_ns", xtap_hist_percentile(h, 50));
	json_u64(j, "p90_ns", xtap_hist_percentile(h, 90));
	json_u64(j, "p99_ns", xtap_hist_percentile(h, 99));
	json_u64(j, "max_ns", h->max_ns);
	json_open(j, "buckets", '[');
	first = bucket_span(h, &last);
	for (int i = first; first >= 0 && i <= last; i++) {
		if (!h->bucket[i])
			continue;
		json_open(j, NULL, '{');
		json_u64(j, "lo_ns", xtap_hist_bucket_lo(i));
		if (i + 1 >= XTAP_HIST_BUCKETS)
			json_null(j, "hi_ns");
		else
			json_u64(j, "hi_ns", xtap_hist_bucket_hi(i));
		json_u64(j, "count", h->bucket[i]);
		json_close(j, '}');
	}
	json_close(j, ']');
	json_close(j, '}');
}

void xtap_hist_print(FILE *out, const struct xtap_hist_entry *v, size_t n,
		     const struct xtap_hist_filter *f)
{
	size_t shown = 0;

	for (size_t i = 0; i < n; i++) {
		if (!xtap_hist_selected(f, &v[i].key))
			continue;
		if (shown++)
			fputc('\n', out);
		xtap_hist_text(out, &v[i]);
	}
	if (!shown)
		fprintf(out, "no latency samples%s\n",
			f->by_service || f->kind >= 0 ? " for this service and kind" : "");
}

void xtap_hist_print_json(struct json *j, const char *key, const struct xtap_hist_entry *v,
			  size_t n, const struct xtap_hist_filter *f)
{
	json_open(j, key, '[');
	for (size_t i = 0; i < n; i++)
		if (xtap_hist_selected(f, &v[i].key))
			xtap_hist_json(j, &v[i]);
	json_close(j, ']');
}

int xtap_latency_query(const struct xtap_state *st, struct xtap_hist_entry **v, size_t *n)
{
	int fd = xtap_map_open(st, "xtap_hist"), err;

	*v = NULL;
	*n = 0;
	if (fd < 0) {
		xtap_err("latency: histograms: %s", strerror(-fd));
		return -1;
	}
	err = xtap_hist_dump(fd, v, n);
	close(fd);
	if (err) {
		xtap_err("latency: read histograms: %s", strerror(-err));
		return -1;
	}
	xtap_hist_sort(*v, *n);
	return 0;
}
