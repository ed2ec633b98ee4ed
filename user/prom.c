// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "loader/attach.h"
#include "loader/live.h"
#include "user/cgroup.h"
#include "user/maps.h"
#include "user/names.h"
#include "user/prom.h"

/* A label value with \, " and newline escaped. */
static void put_label(FILE *f, const char *name, const char *v, int first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (; v && *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputc('"', f);
}

static void point_labels(FILE *f, const struct xtap_prom_point *p)
{
	put_label(f, "interface", p->iface, 1);
	put_label(f, "netns", p->netns, 0);
	put_label(f, "hook", p->hook, 0);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample per point for each counter from..to of one family. */
static void per_point(FILE *f, const struct xtap_prom_input *in, const char *name,
		      const char *label, int from, int to)
{
	for (size_t i = 0; i < in->npoints; i++) {
		const struct xtap_prom_point *p = &in->points[i];

		for (int s = from; s <= to; s++) {
			fprintf(f, "%s{", name);
			point_labels(f, p);
			if (label)
				put_label(f, label, xtap_stat_name(s), 0);
			fprintf(f, "} %" PRIu64 "\n", (uint64_t)p->st.c[s]);
		}
	}
}

double xtap_prom_bucket_le(int b)
{
	return (double)(1ull << (b + 1)) / 1e9;
}

static const char *kind_name(__u8 k)
{
	static const char *const n[XTAP_LAT_KIND_MAX] = {
		[XTAP_LAT_HANDSHAKE] = "handshake",
		[XTAP_LAT_HTTP] = "http",
		[XTAP_LAT_DNS] = "dns",
		[XTAP_LAT_RTT] = "rtt",
		[XTAP_LAT_TLS_HELLO] = "tls",
		[XTAP_LAT_TLS_DATA] = "tls-data",
	};

	return k < XTAP_LAT_KIND_MAX && n[k] ? n[k] : "other";
}

static void svc_labels(FILE *f, const struct xtap_svc_key *k)
{
	int v4 = !memcmp(k->addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
	char addr[64], port[8], proto[8];
	const char *pn = xtap_proto_name(k->proto);

	xtap_addr_str(k->addr, v4 ? 4 : 6, addr, sizeof(addr));
	snprintf(port, sizeof(port), "%u", k->port);
	snprintf(proto, sizeof(proto), "%u", k->proto);
	put_label(f, "kind", kind_name(k->kind), 1);
	put_label(f, "server", addr, 0);
	put_label(f, "port", port, 0);
	put_label(f, "proto", pn ? pn : proto, 0);
}

/* The cgroup label's value: the path, "other" for one folded (or removed
 * since), "" for none. */
static const char *cgroup_label(__u64 id)
{
	const char *p;

	if (!id)
		return "";
	if (id == XTAP_PROM_CGROUP_OTHER)
		return "other";
	p = xtap_cgroup_path(id);
	return p ? p : "other";
}

static void histogram(FILE *f, const struct xtap_hist_entry *e, const __u64 *cg)
{
	const char *cgl = cg ? cgroup_label(*cg) : NULL;
	uint64_t cum = 0;

#define SVC_LABELS()						\
	do {							\
		svc_labels(f, &e->key);				\
		if (cgl)					\
			put_label(f, "cgroup", cgl, 0);		\
	} while (0)
	for (int b = 0; b < XTAP_HIST_BUCKETS; b++) {
		cum += e->h.bucket[b];
		fputs("xtap_latency_seconds_bucket{", f);
		SVC_LABELS();
		if (b < XTAP_HIST_BUCKETS - 1)
			fprintf(f, ",le=\"%.12g\"} %" PRIu64 "\n", xtap_prom_bucket_le(b), cum);
		else
			fprintf(f, ",le=\"+Inf\"} %" PRIu64 "\n", cum);
	}
	fputs("xtap_latency_seconds_sum{", f);
	SVC_LABELS();
	fprintf(f, "} %.9f\n", (double)e->h.sum_ns / 1e9);
	/* the buckets' total, not the count field: per-CPU values read one
	 * after the other could disagree by a sample */
	fputs("xtap_latency_seconds_count{", f);
	SVC_LABELS();
	fprintf(f, "} %" PRIu64 "\n", cum);
#undef SVC_LABELS
}

struct svc_cg {
	__u8 addr[16];
	__u16 port;
	__u8 proto;
	__u64 cgid;
};

static int svc_cg_key_cmp(const struct svc_cg *a, const __u8 *addr, __u16 port, __u8 proto)
{
	int c = memcmp(a->addr, addr, 16);

	if (c)
		return c;
	if (a->port != port)
		return a->port < port ? -1 : 1;
	return a->proto < proto ? -1 : a->proto > proto;
}

static int svc_cg_cmp(const void *x, const void *y)
{
	const struct svc_cg *a = x, *b = y;
	int c = svc_cg_key_cmp(a, b->addr, b->port, b->proto);

	return c ? c : a->cgid < b->cgid ? -1 : a->cgid > b->cgid;
}

struct cg_count {
	__u64 id;
	size_t n;
};

static int cg_count_cmp(const void *x, const void *y)
{
	const struct cg_count *a = x, *b = y;

	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static int u64_cmp(const void *x, const void *y)
{
	__u64 a = *(const __u64 *)x, b = *(const __u64 *)y;

	return a < b ? -1 : a > b;
}

int xtap_prom_svc_cgroups(const struct xtap_flow_entry *f, size_t nf,
			  const struct xtap_hist_entry *h, size_t nh, size_t top, __u64 *out)
{
	struct svc_cg *s = NULL;
	struct cg_count *cnt = NULL;
	__u64 *ids = NULL;
	size_t ns = 0, nc = 0;
	int ret = -ENOMEM;

	memset(out, 0, nh * sizeof(*out));
	for (size_t i = 0; i < nf; i++)
		ns += f[i].val.cgroup_id != 0;
	if (!ns || !nh)
		return 0;
	s = malloc(ns * sizeof(*s));
	ids = malloc(nh * sizeof(*ids));
	cnt = malloc(nh * sizeof(*cnt));
	if (!s || !ids || !cnt)
		goto out;
	ns = 0;
	for (size_t i = 0; i < nf; i++) {
		const struct xtap_flow_key *k = &f[i].key;
		int srv = f[i].val.initiator == XTAP_DIR_AB;	/* the server's side: b */

		if (!f[i].val.cgroup_id)
			continue;
		memcpy(s[ns].addr, srv ? k->addr_b : k->addr_a, 16);
		s[ns].port = srv ? k->port_b : k->port_a;
		s[ns].proto = k->proto;
		s[ns].cgid = f[i].val.cgroup_id;
		ns++;
	}
	qsort(s, ns, sizeof(*s), svc_cg_cmp);
	/* each service: the cgroup of the longest run among its flows */
	for (size_t i = 0; i < nh; i++) {
		const struct xtap_svc_key *k = &h[i].key;
		size_t lo = 0, hi = ns, best = 0;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (svc_cg_key_cmp(&s[mid], k->addr, k->port, k->proto) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t j = lo; j < ns && !svc_cg_key_cmp(&s[j], k->addr, k->port, k->proto);) {
			size_t run = j;

			while (run < ns && s[run].cgid == s[j].cgid &&
			       !svc_cg_key_cmp(&s[run], k->addr, k->port, k->proto))
				run++;
			if (run - j > best) {
				best = run - j;
				out[i] = s[j].cgid;
			}
			j = run;
		}
	}
	/* the top cgroups keep their values, the others fold into one */
	memcpy(ids, out, nh * sizeof(*ids));
	qsort(ids, nh, sizeof(*ids), u64_cmp);
	for (size_t i = 0; i < nh; i++) {
		if (!ids[i])
			continue;
		if (nc && cnt[nc - 1].id == ids[i])
			cnt[nc - 1].n++;
		else
			cnt[nc++] = (struct cg_count){ ids[i], 1 };
	}
	if (nc > top) {
		qsort(cnt, nc, sizeof(*cnt), cg_count_cmp);
		for (size_t i = 0; i < nh; i++) {
			size_t j;

			if (!out[i])
				continue;
			for (j = 0; j < top && cnt[j].id != out[i]; j++)
				;
			if (j == top)
				out[i] = XTAP_PROM_CGROUP_OTHER;
		}
	}
	ret = 0;
out:
	if (ret)
		memset(out, 0, nh * sizeof(*out));
	free(s);
	free(ids);
	free(cnt);
	return ret;
}

void xtap_prom_write(FILE *f, const struct xtap_prom_input *in)
{
	family(f, "xtap_interfaces_attached", "gauge", "Interfaces xtap is attached to.");
	fprintf(f, "xtap_interfaces_attached %u\n", in->ifaces);
	if (in->npoints) {
		family(f, "xtap_packets_total", "counter",
		       "Packets parsed, by interface, hook and class.");
		per_point(f, in, "xtap_packets_total", "class", XTAP_STAT_TCP, XTAP_STAT_BAD_FIRST - 1);
		family(f, "xtap_malformed_packets_total", "counter",
		       "Packets not parsed, by interface, hook and reason.");
		per_point(f, in, "xtap_malformed_packets_total", "reason", XTAP_STAT_BAD_FIRST,
			  XTAP_STAT_BAD_LAST);
		family(f, "xtap_bytes_total", "counter", "Frame bytes seen, by interface and hook.");
		per_point(f, in, "xtap_bytes_total", NULL, XTAP_STAT_BYTES, XTAP_STAT_BYTES);
		family(f, "xtap_events_total", "counter",
		       "Flow and capture events, by interface, hook and event.");
		per_point(f, in, "xtap_events_total", "event", XTAP_STAT_BYTES + 1, XTAP_STAT_MAX - 1);
	}
	family(f, "xtap_flow_table_entries", "gauge", "Flows in the shared flow table.");
	fprintf(f, "xtap_flow_table_entries %" PRIu64 "\n", (uint64_t)in->flows_used);
	family(f, "xtap_flow_table_size", "gauge", "Entries the flow table holds at most.");
	fprintf(f, "xtap_flow_table_size %" PRIu64 "\n", (uint64_t)in->flows_max);
	family(f, "xtap_flow_table_evictions_total", "counter",
	       "Flows the table pushed out to make room (created less in table).");
	fprintf(f, "xtap_flow_table_evictions_total %" PRIu64 "\n", (uint64_t)in->flows_evicted);
	if (in->exp) {
		static const struct {
			const char *name, *help;
			size_t off;
		} c[] = {
			{ "xtap_export_records_sent_total",
			  "Data records xtap export handed to its collector or file.",
			  offsetof(struct xtap_export_info, sent) },
			{ "xtap_export_records_unsent_total",
			  "Data records that never left: no connection to the collector, a failed send.",
			  offsetof(struct xtap_export_info, unsent) },
			{ "xtap_export_records_possibly_lost_total",
			  "Data records sent while the collector refused messages: away, or without the templates.",
			  offsetof(struct xtap_export_info, possibly_lost) },
			{ "xtap_export_errors_total",
			  "Failed connects and sends, and refusals, of xtap export.",
			  offsetof(struct xtap_export_info, errors) },
		};

		for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
			__u64 v;

			memcpy(&v, (const char *)in->exp + c[i].off, sizeof(v));
			family(f, c[i].name, "counter", c[i].help);
			fprintf(f, "%s %" PRIu64 "\n", c[i].name, (uint64_t)v);
		}
	}
	family(f, "xtap_flow_sampling", "gauge",
	       "1 in N packets accounted to flows (xtap attach --sampling); above 1, flow packet "
	       "and byte counts and the rtt, http and dns latencies are estimates.");
	fprintf(f, "xtap_flow_sampling %u\n", in->sampling > 1 ? in->sampling : 1);
	family(f, "xtap_flows_sampled", "gauge",
	       "Flows in the table whose packet and byte counts are estimates.");
	fprintf(f, "xtap_flows_sampled %" PRIu64 "\n", (uint64_t)in->flows_sampled);
	if (in->nhist) {
		family(f, "xtap_latency_seconds", "histogram",
		       "Per-service latency (handshake, http, dns, rtt), log2 buckets.");
		for (size_t i = 0; i < in->nhist; i++)
			histogram(f, &in->hist[i], in->hist_cgroup ? &in->hist_cgroup[i] : NULL);
	}
}

char *xtap_prom_scrape(size_t *len)
{
	struct xtap_state st = { .reg_fd = -1, .lock_fd = -1 };
	struct xtap_prom_point pts[XTAP_MAX_SLOTS * XTAP_HOOK_MAX];
	struct xtap_iface ifs[XTAP_MAX_SLOTS];
	char ns[XTAP_MAX_SLOTS][64], err[XTAP_ERRLEN];
	struct xtap_prom_input in = { .points = pts };
	struct xtap_stats total = { 0 };
	struct xtap_flow_entry *f = NULL;
	struct xtap_hist_entry *h = NULL;
	__u64 *hcg = NULL;
	struct bpf_map_info info = {};
	struct xtap_export_info ei;
	__u32 ilen = sizeof(info), zero = 0;
	int sfd = -1, ffd = -1, cfd = -1, hfd = -1, efd = -1;
	char *buf = NULL;
	size_t n = 0;
	FILE *out;

	if (!xtap_state_open(&st, NULL, false, err, sizeof(err)) && st.reg_fd >= 0) {
		sfd = xtap_map_open(&st, "xtap_stats");
		ffd = xtap_map_open(&st, "xtap_flows");
		cfd = xtap_map_open(&st, "xtap_fcache");
		hfd = xtap_map_open(&st, "xtap_hist");
		efd = xtap_map_open(&st, XTAP_EXP_INFO);
		{
			struct xtap_live live;

			if (!xtap_live_read(&st, &live))
				in.sampling = live.flow.sampling;
		}
		for (__u32 s = 0; s < XTAP_MAX_SLOTS; s++) {
			if (xtap_iface_get(&st, s, &ifs[s]))
				continue;
			in.ifaces++;
			xtap_netns_name(&ifs[s], ns[s], sizeof(ns[s]));
			for (int k = 0; k < XTAP_HOOK_MAX && sfd >= 0; k++) {
				struct xtap_prom_point *p = &pts[in.npoints];

				if (!(ifs[s].hooks & (1u << k)) ||
				    xtap_stats_read(sfd, XTAP_POINT(s, k), &p->st))
					continue;
				p->iface = ifs[s].name;
				p->netns = ns[s];
				p->hook = xtap_hook_name(k);
				for (int i = 0; i < XTAP_STAT_MAX; i++)
					total.c[i] += p->st.c[i];
				in.npoints++;
			}
		}
	}
	xtap_state_close(&st);	/* the lock: attach and detach go on meanwhile */
	if (ffd >= 0) {
		if (!bpf_obj_get_info_by_fd(ffd, &info, &ilen))
			in.flows_max = info.max_entries;
		if (!xtap_flows_read(ffd, cfd, XTAP_SORT_NONE, &f, &n)) {	/* counted only */
			in.flows_used = n;
			for (size_t i = 0; i < n; i++)
				in.flows_sampled += f[i].val.sampling > 1;
			in.flows_evicted = xtap_flows_evicted(&total, n);
		}
	}
	if (hfd >= 0 && !xtap_hist_dump(hfd, &h, &in.nhist))
		in.hist = h;
	if (in.hist && f && (hcg = calloc(in.nhist + 1, sizeof(*hcg))) &&
	    !xtap_prom_svc_cgroups(f, n, in.hist, in.nhist, XTAP_PROM_CGROUPS_TOP, hcg))
		in.hist_cgroup = hcg;
	if (efd >= 0 && !bpf_map_lookup_elem(efd, &zero, &ei))
		in.exp = &ei;
	out = open_memstream(&buf, len);
	if (out) {
		xtap_prom_write(out, &in);
		if (fclose(out)) {
			free(buf);
			buf = NULL;
		}
	}
	free(f);
	free(h);
	free(hcg);
	for (int *fd = (int[]){ sfd, ffd, cfd, hfd, efd }, i = 0; i < 5; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	return buf;
}
