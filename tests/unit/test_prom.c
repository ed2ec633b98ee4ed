// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* user/prom.c: the text exposition of counters, the flow table and the
 * log2 latency histograms as cumulative Prometheus histograms. */
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/unit_util.h"
#include "user/cgroup.h"
#include "user/maps.h"
#include "user/prom.h"

static char *render(const struct xtap_prom_input *in)
{
	struct mem_out m;

	xtap_prom_write(mem_open(&m), in);
	return mem_done(&m);
}

static void expect_line(const char *text, const char *line)
{
	const char *p = text;
	size_t n = strlen(line);

	for (; (p = strstr(p, line)); p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	fail_msg("no line '%s' in:\n%s", line, text);
}

static void test_bucket_bounds(void **state)
{
	(void)state;
	/* bucket 0: 0 and 1 ns; bucket i: [2^i, 2^(i+1)) ns */
	assert_true(xtap_prom_bucket_le(0) == 2e-9);
	assert_true(xtap_prom_bucket_le(9) == 1.024e-6);
	assert_true(xtap_prom_bucket_le(38) == 549.755813888);
}

static void test_counters(void **state)
{
	struct xtap_prom_point p[2] = {
		{ .iface = "veth\"0\\", .netns = "ns1", .hook = "xdp" },
		{ .iface = "eth1", .netns = "", .hook = "tc-egress" },
	};
	const struct xtap_export_info ei = { .sent = 40, .unsent = 2, .possibly_lost = 6,
					     .errors = 5 };
	struct xtap_prom_input in = { .points = p, .npoints = 2, .ifaces = 2, .flows_used = 7,
				      .flows_max = 1024, .flows_evicted = 3, .exp = &ei };
	char *t;

	(void)state;
	p[0].st.c[XTAP_STAT_TCP] = 12;
	p[0].st.c[XTAP_STAT_TRUNC_IPV4] = 2;
	p[0].st.c[XTAP_STAT_BYTES] = 9000;
	p[1].st.c[XTAP_STAT_FLOW_NEW] = 5;
	t = render(&in);
	expect_line(t, "# TYPE xtap_packets_total counter");
	expect_line(t, "xtap_interfaces_attached 2");
	/* label values escaped */
	expect_line(t, "xtap_packets_total{interface=\"veth\\\"0\\\\\",netns=\"ns1\",hook=\"xdp\","
		       "class=\"tcp\"} 12");
	expect_line(t, "xtap_packets_total{interface=\"eth1\",netns=\"\",hook=\"tc-egress\","
		       "class=\"udp\"} 0");
	expect_line(t, "xtap_malformed_packets_total{interface=\"veth\\\"0\\\\\",netns=\"ns1\","
		       "hook=\"xdp\",reason=\"truncated_ipv4\"} 2");
	expect_line(t, "xtap_bytes_total{interface=\"veth\\\"0\\\\\",netns=\"ns1\",hook=\"xdp\"} 9000");
	expect_line(t, "xtap_events_total{interface=\"eth1\",netns=\"\",hook=\"tc-egress\","
		       "event=\"flows_created\"} 5");
	expect_line(t, "xtap_flow_table_entries 7");
	expect_line(t, "xtap_flow_table_size 1024");
	expect_line(t, "xtap_flow_table_evictions_total 3");
	/* the exporters' counters, kept in the state */
	expect_line(t, "# TYPE xtap_export_records_possibly_lost_total counter");
	expect_line(t, "xtap_export_records_sent_total 40");
	expect_line(t, "xtap_export_records_unsent_total 2");
	expect_line(t, "xtap_export_records_possibly_lost_total 6");
	expect_line(t, "xtap_export_errors_total 5");
	/* no histogram family without services */
	assert_null(strstr(t, "xtap_latency_seconds"));
	/* every sample's family was declared before it */
	for (char *l = t; *l; l = strchr(l, '\n') + 1) {
		char name[64];

		if (*l != '#' && sscanf(l, "%63[a-z_]", name) == 1) {
			char decl[96];
			char *d;

			snprintf(decl, sizeof(decl), "# TYPE %s ", name);
			d = strstr(t, decl);
			assert_non_null(d);
			assert_true(d < l);
		}
	}
	free(t);
}

static void test_histogram(void **state)
{
	struct xtap_hist_entry h = { 0 };
	struct xtap_prom_input in = { .hist = &h, .nhist = 1 };
	const char *lbl = "kind=\"dns\",server=\"fd00::53\",port=\"53\",proto=\"udp\"";
	char line[256], *t;

	(void)state;
	h.key.addr[0] = 0xfd;
	h.key.addr[14] = 0x00;
	h.key.addr[15] = 0x53;
	h.key.port = 53;
	h.key.proto = IPPROTO_UDP;
	h.key.kind = XTAP_LAT_DNS;
	h.h.bucket[0] = 1;		/* 1 ns */
	h.h.bucket[10] = 4;		/* [1024, 2048) ns */
	h.h.bucket[XTAP_HIST_BUCKETS - 1] = 2;	/* beyond 2^39 ns */
	h.h.count = 7;
	h.h.sum_ns = 1500000000;
	t = render(&in);
	expect_line(t, "# TYPE xtap_latency_seconds histogram");
	snprintf(line, sizeof(line), "xtap_latency_seconds_bucket{%s,le=\"2e-09\"} 1", lbl);
	expect_line(t, line);
	snprintf(line, sizeof(line), "xtap_latency_seconds_bucket{%s,le=\"1.024e-06\"} 1", lbl);
	expect_line(t, line);
	snprintf(line, sizeof(line), "xtap_latency_seconds_bucket{%s,le=\"2.048e-06\"} 5", lbl);
	expect_line(t, line);
	snprintf(line, sizeof(line), "xtap_latency_seconds_bucket{%s,le=\"549.755813888\"} 5", lbl);
	expect_line(t, line);
	snprintf(line, sizeof(line), "xtap_latency_seconds_bucket{%s,le=\"+Inf\"} 7", lbl);
	expect_line(t, line);
	snprintf(line, sizeof(line), "xtap_latency_seconds_sum{%s} 1.500000000", lbl);
	expect_line(t, line);
	snprintf(line, sizeof(line), "xtap_latency_seconds_count{%s} 7", lbl);
	expect_line(t, line);
	/* 39 finite bounds and +Inf */
	{
		int n = 0;

		for (char *p = t; (p = strstr(p, "xtap_latency_seconds_bucket{")); p++)
			n++;
		assert_int_equal(n, XTAP_HIST_BUCKETS);
	}
	free(t);
}

/* The TLS kinds are labelled as xtap latency names them. */
static void test_histogram_tls_kinds(void **state)
{
	struct xtap_hist_entry h[2] = { 0 };
	struct xtap_prom_input in = { .hist = h, .nhist = 2 };
	char *t;

	(void)state;
	for (int i = 0; i < 2; i++) {
		h[i].key.addr[10] = h[i].key.addr[11] = 0xff;
		h[i].key.addr[12] = 10;
		h[i].key.addr[15] = 2;
		h[i].key.port = 443;
		h[i].key.proto = IPPROTO_TCP;
		h[i].h.count = 1;
		h[i].h.bucket[20] = 1;
	}
	h[0].key.kind = XTAP_LAT_TLS_HELLO;
	h[1].key.kind = XTAP_LAT_TLS_DATA;
	t = render(&in);
	expect_line(t, "xtap_latency_seconds_count{kind=\"tls\",server=\"10.0.0.2\",port=\"443\",proto=\"tcp\"} 1");
	expect_line(t, "xtap_latency_seconds_count{kind=\"tls-data\",server=\"10.0.0.2\",port=\"443\",proto=\"tcp\"} 1");
	free(t);
}

/* A service at 10.0.0.x:port/tcp, or its flow from a client with cgroup cg. */
static void svc_at(struct xtap_svc_key *k, __u8 host, __u16 port)
{
	memset(k, 0, sizeof(*k));
	k->addr[10] = k->addr[11] = 0xff;
	k->addr[12] = 10;
	k->addr[15] = host;
	k->port = port;
	k->proto = IPPROTO_TCP;
	k->kind = XTAP_LAT_HANDSHAKE;
}

static struct xtap_flow_entry flow_to(__u8 host, __u16 port, __u16 cport, __u64 cg)
{
	struct xtap_flow_entry e = { 0 };

	/* side a the client (it initiated), side b the server */
	e.key.addr_a[10] = e.key.addr_a[11] = 0xff;
	e.key.addr_a[12] = 10;
	e.key.addr_a[15] = 1;
	e.key.addr_b[10] = e.key.addr_b[11] = 0xff;
	e.key.addr_b[12] = 10;
	e.key.addr_b[15] = host;
	e.key.port_a = cport;
	e.key.port_b = port;
	e.key.proto = IPPROTO_TCP;
	e.key.ip_version = 4;
	e.val.initiator = XTAP_DIR_AB;
	e.val.cgroup_id = cg;
	return e;
}

/* Each service takes the cgroup most of its flows carry; beyond the top
 * cgroups, the rest fold into "other"; a service with no such flow has
 * none. */
static void test_svc_cgroups(void **state)
{
	struct xtap_hist_entry h[14] = { 0 };
	struct xtap_flow_entry f[16];
	__u64 out[14];
	size_t nf = 0;

	(void)state;
	svc_at(&h[0].key, 2, 80);
	svc_at(&h[1].key, 3, 80);	/* no flow with a cgroup */
	f[nf++] = flow_to(2, 80, 40000, 5);
	f[nf++] = flow_to(2, 80, 40001, 6);
	f[nf++] = flow_to(2, 80, 40002, 5);
	f[nf++] = flow_to(3, 80, 40003, 0);
	f[nf++] = flow_to(2, 81, 40004, 7);	/* another port: no service here */
	assert_int_equal(xtap_prom_svc_cgroups(f, nf, h, 2, 10, out), 0);
	assert_int_equal(out[0], 5);
	assert_int_equal(out[1], 0);
	/* twelve services of twelve cgroups, top 10: the two of the largest
	 * ids (ties go by id) become other */
	nf = 0;
	for (int i = 0; i < 12; i++) {
		svc_at(&h[i].key, (__u8)(10 + i), 443);
		f[nf++] = flow_to((__u8)(10 + i), 443, (__u16)(50000 + i), 100 + (__u64)i);
	}
	assert_int_equal(xtap_prom_svc_cgroups(f, nf, h, 12, 10, out), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(out[i], 100 + (__u64)i);
	assert_true(out[10] == XTAP_PROM_CGROUP_OTHER && out[11] == XTAP_PROM_CGROUP_OTHER);
}

/* The label: the path of the cgroup, "other", or empty. */
static void test_histogram_cgroup_label(void **state)
{
	char root[] = "/tmp/xtap-prom-cg-XXXXXX", dir[64], *t;
	struct xtap_hist_entry h[3] = { 0 };
	__u64 cg[3];
	struct xtap_prom_input in = { .hist = h, .nhist = 3, .hist_cgroup = cg };
	struct stat sb;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/web.service", root);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(stat(dir, &sb), 0);
	xtap_cgroup_set_root(root);
	for (int i = 0; i < 3; i++) {
		svc_at(&h[i].key, (__u8)(2 + i), 80);
		h[i].h.bucket[20] = 1;
	}
	cg[0] = sb.st_ino;
	cg[1] = XTAP_PROM_CGROUP_OTHER;
	cg[2] = 0;
	t = render(&in);
	expect_line(t, "xtap_latency_seconds_count{kind=\"handshake\",server=\"10.0.0.2\",port=\"80\","
		       "proto=\"tcp\",cgroup=\"/web.service\"} 1");
	expect_line(t, "xtap_latency_seconds_count{kind=\"handshake\",server=\"10.0.0.3\",port=\"80\","
		       "proto=\"tcp\",cgroup=\"other\"} 1");
	expect_line(t, "xtap_latency_seconds_count{kind=\"handshake\",server=\"10.0.0.4\",port=\"80\","
		       "proto=\"tcp\",cgroup=\"\"} 1");
	free(t);
	rmdir(dir);
	rmdir(root);
	xtap_cgroup_set_root(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_bounds),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_histogram_tls_kinds),
		cmocka_unit_test(test_svc_cgroups),
		cmocka_unit_test(test_histogram_cgroup_label),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
