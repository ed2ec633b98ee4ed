// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xtap hops: per-hop latency and loss; xtap drops: what the kernel dropped, and why. */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "loader/attach.h"
#include "loader/drops.h"
#include "tools/cmd.h"
#include "user/drops.h"
#include "user/hops.h"
#include "user/json.h"
#include "user/latency.h"
#include "user/log.h"
#include "user/names.h"
#include "user/opts.h"

struct defaults_hops {
	bool json;
	bool verbose;
	__u32 timeout_ms;
};

static const struct defaults_hops defaults_hops = {
	.timeout_ms = XTAP_HOP_TIMEOUT_MS,
};

static const struct option hops_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "timeout", required_argument, NULL, 't' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

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

static void bars(const struct xtap_hist *h)
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
		printf("    %9s .. %-9s %10" PRIu64 " %s\n", lo, hi, (uint64_t)h->bucket[b], bar);
	}
}

int cmd_hops(int argc, char **argv)
{
	struct defaults_hops d = defaults_hops;
	struct xtap_hop_row *rows = NULL;
	struct xtap_state st;
	struct timespec now;
	size_t n = 0;
	int c, none, hops_fd = -1, lost_fd = -1, seen_fd = -1, index_fd = -1, ret = XTAP_EXIT_ERR, r;
	long lost;
	__u32 sample = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jvt:h", hops_opts, NULL)) != -1) {
		switch (c) {
		case 'j': d.json = true; break;
		case 'v': d.verbose = true; break;
		case 't':
			if (!xtap_parse_u32(optarg, 3600 * 1000, &d.timeout_ms)) {
				xtap_err("hops: --timeout %s: want milliseconds, 1 to 3600000", optarg);
				return XTAP_EXIT_USAGE;
			}
			break;
		case 'h': xtap_usage_of("hops"); return XTAP_EXIT_OK;
		default: return xtap_usage_of("hops");
		}
	}
	if (optind != argc)
		return xtap_usage_of("hops");
	if (d.timeout_ms < XTAP_HOP_TIMEOUT_MS) {
		xtap_err("hops: --timeout %u: the programs keep sightings for %u ms; use at least that",
			 d.timeout_ms, XTAP_HOP_TIMEOUT_MS);
		return XTAP_EXIT_USAGE;
	}
	none = xtap_cmd_open_state("hops", &st);
	if (none < 0)
		return XTAP_EXIT_ERR;
	if (none) {
		if (d.json)
			printf("{\"hops\":[]}\n");
		else
			printf("xtap is not attached to any interface\n");
		xtap_state_close(&st);
		return XTAP_EXIT_OK;
	}
	hops_fd = xtap_map_open(&st, "xtap_hops");
	lost_fd = xtap_map_open(&st, "xtap_hop_lost");
	seen_fd = xtap_map_open(&st, "xtap_hop_seen");
	index_fd = xtap_map_open(&st, "xtap_hop_index");
	if (hops_fd < 0 || lost_fd < 0 || seen_fd < 0 || index_fd < 0) {
		xtap_err("hops: hop maps: %s (attached by an xtap without hops?)",
			 strerror(-(hops_fd < 0 ? hops_fd : lost_fd < 0 ? lost_fd :
				    seen_fd < 0 ? seen_fd : index_fd)));
		goto cleanup;
	}
	r = xtap_hops_read(index_fd, hops_fd, lost_fd, &rows, &n);
	if (r) {
		xtap_err("hops: read: %s", strerror(-r));
		goto cleanup;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	lost = xtap_hops_settle(seen_fd, lost_fd, rows, n,
				(__u64)now.tv_sec * 1000000000ull + (__u64)now.tv_nsec,
				(__u64)d.timeout_ms * 1000000ull);
	if (lost < 0) {
		xtap_err("hops: loss accounting: %s", strerror((int)-lost));
		goto cleanup;
	}
	xtap_hops_order(rows, n);
	{
		struct xtap_hop_cfg cfg = { 0 };
		int cfd = xtap_map_open(&st, "xtap_hop_cfg");
		__u32 zero = 0;

		if (cfd >= 0) {
			if (bpf_map_lookup_elem(cfd, &zero, &cfg))
				cfg.sample_shift = 0;
			close(cfd);
		}
		sample = cfg.sample_shift <= XTAP_HOP_SAMPLE_SHIFT_MAX ? 1u << cfg.sample_shift : 1;
	}

	if (d.json) {
		struct json j;

		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_u64(&j, "timeout_ms", d.timeout_ms);
		json_u64(&j, "sample", sample);
		json_open(&j, "hops", '[');
		for (size_t i = 0; i < n; i++) {
			const struct xtap_hist *h = &rows[i].h;

			json_open(&j, NULL, '{');
			point_json(&j, &st, "from", rows[i].key.from);
			point_json(&j, &st, "to", rows[i].key.to);
			json_u64(&j, "count", h->count);
			json_u64(&j, "p50_ns", xtap_hop_quantile(h, 0.50));
			json_u64(&j, "p90_ns", xtap_hop_quantile(h, 0.90));
			json_u64(&j, "p99_ns", xtap_hop_quantile(h, 0.99));
			json_u64(&j, "max_ns", h->max_ns);
			json_u64(&j, "sum_ns", h->sum_ns);
			json_u64(&j, "lost", rows[i].lost);
			if (d.verbose) {
				json_open(&j, "buckets", '[');
				for (int b = 0; b < XTAP_HIST_BUCKETS; b++)
					json_u64(&j, NULL, h->bucket[b]);
				json_close(&j, ']');
			}
			json_close(&j, '}');
		}
		json_close(&j, ']');
		json_close(&j, '}');
		printf("\n");
	} else {
		if (sample > 1)
			printf("following 1 in %u packets, the same ones at every point: counts are "
			       "of those (xtap attach --hop-sample 1 follows all)\n", sample);
		printf("%-28s %-28s %9s %9s %9s %9s %9s %7s\n", "FROM", "TO", "COUNT", "P50", "P90",
		       "P99", "MAX", "LOST");
		for (size_t i = 0; i < n; i++) {
			const struct xtap_hist *h = &rows[i].h;
			char from[48], to[48], p50[16], p90[16], p99[16], mx[16];

			point_str(&st, rows[i].key.from, from, sizeof(from));
			point_str(&st, rows[i].key.to, to, sizeof(to));
			xtap_duration_str(xtap_hop_quantile(h, 0.50), p50, sizeof(p50));
			xtap_duration_str(xtap_hop_quantile(h, 0.90), p90, sizeof(p90));
			xtap_duration_str(xtap_hop_quantile(h, 0.99), p99, sizeof(p99));
			xtap_duration_str(h->max_ns, mx, sizeof(mx));
			printf("%-28s %-28s %9" PRIu64 " %9s %9s %9s %9s %7" PRIu64 "\n", from, to,
			       (uint64_t)h->count, p50, p90, p99, mx, (uint64_t)rows[i].lost);
			if (d.verbose)
				bars(h);
		}
		if (!n)
			printf("no hops yet: a packet must be seen at two attach points\n");
	}
	ret = XTAP_EXIT_OK;
cleanup:
	free(rows);
	if (hops_fd >= 0)
		close(hops_fd);
	if (lost_fd >= 0)
		close(lost_fd);
	if (seen_fd >= 0)
		close(seen_fd);
	if (index_fd >= 0)
		close(index_fd);
	xtap_state_close(&st);
	return ret;
}

static int drop_cmp(const void *a, const void *b)
{
	const struct xtap_drop_entry *x = a, *y = b;

	if (x->val.pkts != y->val.pkts)
		return x->val.pkts > y->val.pkts ? -1 : 1;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

/* The attached interface with this ifindex in this namespace, or "ifindex N". */
static void drop_iface(const struct xtap_state *st, const struct xtap_drop_key *k, char *buf,
		       size_t len)
{
	for (__u32 s = 0; s < XTAP_MAX_SLOTS; s++) {
		struct xtap_iface e;

		if (xtap_iface_get(st, s, &e) == 0 && e.ifindex == k->ifindex &&
		    (__u32)e.netns_ino == k->netns_ino) {
			snprintf(buf, len, "%s", e.name);
			return;
		}
	}
	if (k->ifindex)
		snprintf(buf, len, "ifindex %u", k->ifindex);
	else
		snprintf(buf, len, "-");
}

static void drop_endpoint(const struct xtap_flow_key *k, int side, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	int ports = k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP || k->proto == IPPROTO_SCTP;

	xtap_addr_str(side ? k->addr_b : k->addr_a, k->ip_version, a, sizeof(a));
	if (!ports)
		snprintf(buf, len, "%s", a);
	else if (k->ip_version == 6)
		snprintf(buf, len, "[%s]:%u", a, side ? k->port_b : k->port_a);
	else
		snprintf(buf, len, "%s:%u", a, side ? k->port_b : k->port_a);
}

int cmd_drops(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct xtap_drops drops = { 0 };
	struct xtap_state st;
	bool json = false;
	struct json j;
	int c, none, fd = -1, ret = XTAP_EXIT_ERR;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'h')
			return xtap_usage_of("drops"), XTAP_EXIT_OK;
		else
			return xtap_usage_of("drops");
	}
	if (optind != argc)
		return xtap_usage_of("drops");
	none = xtap_cmd_open_state("drops", &st);
	if (none < 0)
		return XTAP_EXIT_ERR;
	if (!none) {
		fd = xtap_map_open(&st, "xtap_drops");
		if (fd < 0) {
			xtap_err("drops: the drop tracepoint is not loaded (%s)", strerror(-fd));
			goto cleanup;
		}
		c = xtap_drops_read(fd, &drops);
		if (c) {
			xtap_err("drops: read: %s", strerror(-c));
			goto cleanup;
		}
		if (drops.n)
			qsort(drops.d, drops.n, sizeof(*drops.d), drop_cmp);
	}
	if (json) {
		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_open(&j, "drops", '[');
	} else {
		printf("%-6s %-44s %-44s %-16s %-24s %9s %9s\n", "PROTO", "A", "B", "IFACE", "REASON",
		       "PKTS", "BYTES");
	}
	for (size_t i = 0; i < drops.n; i++) {
		const struct xtap_drop_entry *e = &drops.d[i];
		const struct xtap_flow_key *f = &e->key.flow;
		char a[64], b[64], ifn[32], reason[64], proto[16];
		const char *pn = xtap_proto_name(f->proto);

		if (pn)
			snprintf(proto, sizeof(proto), "%s", pn);
		else
			snprintf(proto, sizeof(proto), "%u", f->proto);
		drop_endpoint(f, 0, a, sizeof(a));
		drop_endpoint(f, 1, b, sizeof(b));
		drop_iface(&st, &e->key, ifn, sizeof(ifn));
		xtap_drop_reason_name(e->key.reason, reason, sizeof(reason));
		if (json) {
			json_open(&j, NULL, '{');
			json_str(&j, "proto", proto);
			json_u64(&j, "ip_version", f->ip_version);
			json_str(&j, "a", a);
			json_str(&j, "b", b);
			json_str(&j, "iface", ifn);
			json_u64(&j, "ifindex", e->key.ifindex);
			json_u64(&j, "netns_ino", e->key.netns_ino);
			json_str(&j, "reason", reason);
			json_u64(&j, "reason_code", e->key.reason);
			json_u64(&j, "packets", e->val.pkts);
			json_u64(&j, "bytes", e->val.bytes);
			json_close(&j, '}');
		} else {
			printf("%-6s %-44s %-44s %-16s %-24s %9" PRIu64 " %9" PRIu64 "\n", proto, a, b,
			       ifn, reason, (uint64_t)e->val.pkts, (uint64_t)e->val.bytes);
		}
	}
	if (json) {
		json_close(&j, ']');
		json_close(&j, '}');
		printf("\n");
	}
	ret = XTAP_EXIT_OK;
cleanup:
	xtap_drops_free(&drops);
	if (fd >= 0)
		close(fd);
	xtap_state_close(&st);
	return ret;
}
