// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The exporter's JSON lines sink: one object per record, flushed at the end
 * of every round. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "user/export_sink.h"
#include "user/json.h"
#include "user/names.h"
#include "user/report.h"
#include "user/tunnel.h"

struct json_sink {
	struct xtap_export_sink base;
	FILE *f;
	bool own;
};

static struct json_sink *json_of(struct xtap_export_sink *b)
{
	return (struct json_sink *)b;
}

static void json_begin(struct xtap_export_sink *b)
{
	(void)b;
}

static int json_flow(struct xtap_export_sink *b, const struct xtap_flow_entry *e,
		     const struct xtap_export_rec *r, const struct xtap_app *a,
		     const struct xtap_tunnel *t)
{
	struct json_sink *s = json_of(b);
	struct json j;

	json_init(&j, s->f);
	json_open(&j, NULL, '{');
	json_str(&j, "type", "flow");
	json_str(&j, "reason", xtap_export_reason_name(r->reason));
	json_i64(&j, "start_ns", (__s64)r->start_ns + b->off_ns);
	json_i64(&j, "end_ns", (__s64)r->end_ns + b->off_ns);
	json_u64(&j, "delta_packets_ab", r->pkts[0]);
	json_u64(&j, "delta_bytes_ab", r->bytes[0]);
	json_u64(&j, "delta_packets_ba", r->pkts[1]);
	json_u64(&j, "delta_bytes_ba", r->bytes[1]);
	json_u64(&j, "delta_retrans_ab", r->retrans[0]);
	json_u64(&j, "delta_retrans_ba", r->retrans[1]);
	xtap_flow_json_fields(&j, e, b->off_ns);
	xtap_tunnel_json(&j, &e->key, t);
	if (a)
		xtap_app_json(&j, a, b->off_ns);
	json_close(&j, '}');
	if (ferror(s->f))
		return -EIO;
	b->st.sent++;
	return 0;
}

static void json_svc(struct xtap_export_sink *b, struct xtap_ipfix_svc *sv, __u64 since_ns)
{
	struct json_sink *s = json_of(b);
	int v4 = !memcmp(sv->key.addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
	char addr[64];
	struct json j;

	json_init(&j, s->f);
	json_open(&j, NULL, '{');
	json_str(&j, "type", "latency");
	json_i64(&j, "start_ns", (__s64)since_ns + b->off_ns);
	json_i64(&j, "end_ns", (__s64)b->now_ns + b->off_ns);
	json_str(&j, "server", xtap_addr_str(sv->key.addr, v4 ? 4 : 6, addr, sizeof(addr)));
	json_u64(&j, "port", sv->key.port);
	json_u64(&j, "proto", sv->key.proto);
	json_u64(&j, "kind", sv->key.kind);
	json_u64(&j, "count", sv->count);
	json_u64(&j, "sum_ns", sv->sum_ns);
	json_u64(&j, "max_ns", sv->max_ns);
	json_open(&j, "log2_buckets", '[');
	for (int i = 0; i < XTAP_HIST_BUCKETS; i++)
		json_u64(&j, NULL, sv->bucket[i]);
	json_close(&j, ']');
	json_close(&j, '}');
	b->st.sent++;
}

static void json_end(struct xtap_export_sink *b)
{
	fflush(json_of(b)->f);
	xtap_export_sink_out(b);
}

static void json_free(struct xtap_export_sink *b)
{
	struct json_sink *s = json_of(b);

	if (s->own)
		fclose(s->f);
	else
		fflush(s->f);
	free(s);
}

static const struct xtap_export_sink_ops json_ops = {
	.begin = json_begin,
	.flow = json_flow,
	.svc = json_svc,
	.end = json_end,
	.free = json_free,
};

struct xtap_export_sink *xtap_export_sink_json(FILE *f, bool own)
{
	struct json_sink *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base.ops = &json_ops;
	s->f = f;
	s->own = own;
	return &s->base;
}
