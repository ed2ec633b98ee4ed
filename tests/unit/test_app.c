// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* user/app.c: DNS names as the kernel keeps them, the join to flows, JSON
 * and table cells of the HTTP/DNS state. */
#include <netinet/in.h>

#include "tests/unit/unit_util.h"
#include "user/app.h"
#include "user/report.h"

static char *name_of(const char *wire, size_t len, char *buf, size_t blen)
{
	char w[XTAP_DNS_NAME_LEN] = { 0 };

	memcpy(w, wire, len < sizeof(w) ? len : sizeof(w));
	return xtap_dns_name_str(w, buf, blen);
}

static void test_dns_names(void **state)
{
	char buf[300], w[XTAP_DNS_NAME_LEN];

	(void)state;
	assert_string_equal(name_of("\3www\7example\3com", 17, buf, sizeof(buf)), "www.example.com");
	assert_string_equal(name_of("", 1, buf, sizeof(buf)), ".");
	assert_string_equal(name_of("\2a\x01\1b", 5, buf, sizeof(buf)), "a?.b");
	/* a name the kernel cut at 64 bytes ends in "..." */
	memset(w, 0, sizeof(w));
	for (int i = 0; i + 4 <= XTAP_DNS_NAME_LEN; i += 4)
		memcpy(w + i, "\3abc", 4);
	assert_string_equal(xtap_dns_name_str(w, buf, sizeof(buf)),
			    "abc.abc.abc.abc.abc.abc.abc.abc.abc.abc.abc.abc.abc.abc.abc.abc...");
	/* a length past 63 is no label: stop there, marked cut */
	assert_string_equal(name_of("\1a\x70zz", 5, buf, sizeof(buf)), "a...");
	/* a small buffer: cut, terminated */
	assert_string_equal(name_of("\3www\7example\3com", 17, buf, 6), "www.e");
}

static void test_rcode_names(void **state)
{
	char b[16];

	(void)state;
	assert_string_equal(xtap_dns_rcode_name(0, b, sizeof(b)), "NOERROR");
	assert_string_equal(xtap_dns_rcode_name(3, b, sizeof(b)), "NXDOMAIN");
	assert_string_equal(xtap_dns_rcode_name(15, b, sizeof(b)), "RCODE15");
}

static struct xtap_app http_app(void)
{
	struct xtap_app a;

	memset(&a, 0, sizeof(a));
	a.kind = XTAP_APP_HTTP;
	a.req_dir = XTAP_DIR_BA;
	a.requests = 3;
	a.responses = 2;
	a.timed = 2;
	a.sum_ns = 3000000;
	a.max_ns = 2000000;
	a.last_ns = 500;
	a.n_req = 3;
	a.n_resp = 2;
	a.status_class[1] = 1;
	a.status_class[3] = 1;
	a.last_status = 404;
	memcpy(a.method, "GET", 3);
	memset(a.path, 'p', XTAP_HTTP_PATH_LEN);	/* full: no terminator */
	a.path[0] = '/';
	a.path[1] = '"';
	return a;
}

static void test_http_json_and_cells(void **state)
{
	struct xtap_app a = http_app();
	struct mem_out m;
	struct json j;
	char *s, st[16], rt[24];

	(void)state;
	json_init(&j, mem_open(&m));
	json_open(&j, NULL, '{');
	xtap_app_json(&j, &a, 1000);
	json_close(&j, '}');
	s = mem_done(&m);
	assert_contains(s, "\"http\":{\"server\":\"a\",\"requests\":3,\"responses\":2,");
	assert_contains(s, "\"status\":{\"1xx\":0,\"2xx\":1,\"3xx\":0,\"4xx\":1,\"5xx\":0}");
	assert_contains(s, "\"last_method\":\"GET\",\"last_path\":\"/\\\"pppp");
	assert_contains(s, "\"last_host\":null,\"last_status\":404,\"timed\":2,"
			   "\"response_sum_ns\":3000000,\"response_max_ns\":2000000,"
			   "\"response_mean_ns\":1500000,\"last_response_at_ns\":1500,"
			   "\"pending\":1");
	assert_not_contains(s, "dns");
	free(s);
	xtap_app_cells(&a, st, sizeof(st), rt, sizeof(rt));
	assert_string_equal(st, "404");
	assert_string_equal(rt, "1.500ms");
	xtap_app_cells(NULL, st, sizeof(st), rt, sizeof(rt));
	assert_string_equal(st, "");
	assert_string_equal(rt, "");
	a.timed = 0;
	a.last_status = 0;
	xtap_app_cells(&a, st, sizeof(st), rt, sizeof(rt));
	assert_string_equal(st, "-");
	assert_string_equal(rt, "-");
}

/* A TLS entry: its JSON member, its cells, and what a cut or absent field
 * shows (null, not a guess). */
static void test_tls_json_and_cells(void **state)
{
	struct xtap_app a;
	struct mem_out m;
	struct json j;
	char *s, st[16], rt[24], tc[96], v[16];

	(void)state;
	memset(&a, 0, sizeof(a));
	a.kind = XTAP_APP_TLS;
	a.req_dir = XTAP_DIR_AB;
	a.requests = 2;
	a.responses = 2;
	a.timed = 1;
	a.sum_ns = a.max_ns = 250000;
	a.tls.flags = XTAP_TLS_F_CH | XTAP_TLS_F_HRR | XTAP_TLS_F_CH2 | XTAP_TLS_F_SH |
		      XTAP_TLS_F_HELLO;
	a.tls.ch_ns = 5000;
	a.tls.hello_ns = 250000;
	a.tls.ch_version = 0x0303;
	a.tls.offered = 1 << 3 | 1 << 4;
	a.tls.offered_max = 0x0304;
	a.tls.version = 0x0304;
	a.tls.cipher = 0x1301;
	memcpy(a.tls.sni, "a\"b.example", 11);
	a.tls.sni_len = 11;
	a.tls.alpn_n = 3;
	memcpy(a.tls.alpn[0], "h2", 2);
	a.tls.alpn_len[0] = 2;
	memcpy(a.tls.alpn[1], "http/1.1", 8);
	a.tls.alpn_len[1] = 8;
	json_init(&j, mem_open(&m));
	json_open(&j, NULL, '{');
	xtap_app_json(&j, &a, 1000);
	json_close(&j, '}');
	s = mem_done(&m);
	assert_contains(s, "\"tls\":{\"server\":\"b\",\"client_hellos\":2,\"server_hellos\":2,"
			   "\"sni\":\"a\\\"b.example\",\"alpn\":[\"h2\",\"http/1.1\"],"
			   "\"alpn_offered\":3,\"client_version\":\"TLS1.2\","
			   "\"supported_versions\":[\"TLS1.3\",\"TLS1.2\"],"
			   "\"supported_versions_max\":\"TLS1.3\",\"version\":\"TLS1.3\","
			   "\"cipher\":4865,\"hello_retry\":true,\"client_hello_cut\":false,"
			   "\"server_hello_cut\":false,\"client_hello_at_ns\":6000,"
			   "\"hello_ns\":250000,\"handshake_ns\":null}");
	assert_not_contains(s, "http\":");
	free(s);
	xtap_app_cells(&a, st, sizeof(st), rt, sizeof(rt));
	assert_string_equal(st, "TLS1.3");
	assert_string_equal(rt, "250.0us");
	xtap_app_tls_cell(&a, tc, sizeof(tc));
	assert_string_equal(tc, "a\"b.example h2");
	/* a ClientHello cut before its extensions, no answer */
	memset(&a.tls, 0, sizeof(a.tls));
	a.tls.flags = XTAP_TLS_F_CH | XTAP_TLS_F_CH_CUT;
	a.timed = 0;
	json_init(&j, mem_open(&m));
	json_open(&j, NULL, '{');
	xtap_app_json(&j, &a, 0);
	json_close(&j, '}');
	s = mem_done(&m);
	assert_contains(s, "\"sni\":null,\"alpn\":[],\"alpn_offered\":0,");
	assert_contains(s, "\"supported_versions\":[],\"supported_versions_max\":null,"
			   "\"version\":null,\"cipher\":null,\"hello_retry\":false,"
			   "\"client_hello_cut\":true,");
	free(s);
	xtap_app_cells(&a, st, sizeof(st), rt, sizeof(rt));
	assert_string_equal(st, "-");
	assert_string_equal(rt, "-");
	xtap_app_tls_cell(&a, tc, sizeof(tc));
	assert_string_equal(tc, "- -");
	a.kind = XTAP_APP_HTTP;
	xtap_app_tls_cell(&a, tc, sizeof(tc));
	assert_string_equal(tc, "");
	assert_string_equal(xtap_tls_version_str(0x0300, v, sizeof(v)), "SSL3.0");
	assert_string_equal(xtap_tls_version_str(0x7f1c, v, sizeof(v)), "0x7f1c");

	/* QUIC */
	memset(&a, 0, sizeof(a));
	a.kind = XTAP_APP_QUIC;
	a.req_dir = XTAP_DIR_BA;
	a.requests = 2;
	a.responses = 1;
	a.tls.quic_version = 0x6b3343cf;
	json_init(&j, mem_open(&m));
	json_open(&j, NULL, '{');
	xtap_app_json(&j, &a, 0);
	json_close(&j, '}');
	s = mem_done(&m);
	assert_contains(s, "\"quic\":{\"server\":\"a\",\"version\":1798521807,"
			   "\"version_name\":\"QUICv2\",\"client_initials\":2,\"server_initials\":1}");
	free(s);
	xtap_app_cells(&a, st, sizeof(st), rt, sizeof(rt));
	assert_string_equal(st, "QUICv2");
	assert_string_equal(rt, "-");
	assert_string_equal(xtap_quic_version_str(1, v, sizeof(v)), "QUICv1");
	assert_string_equal(xtap_quic_version_str(0xff00001d, v, sizeof(v)), "QUIC-d29");
	assert_string_equal(xtap_quic_version_str(0x1a2a3a4a, v, sizeof(v)), "QUIC-1a2a3a4a");
}

static void test_dns_json(void **state)
{
	struct xtap_app a;
	struct mem_out m;
	struct json j;
	char *s;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.kind = XTAP_APP_DNS;
	a.requests = 2;
	a.dns_id = 0xbeef;
	a.dns_qtype = 28;
	memcpy(a.dns_name, "\4xtap\4test", 10);
	a.unanswered = 1;
	a.pend[2].flags = XTAP_PEND_USED;
	json_init(&j, mem_open(&m));
	json_open(&j, NULL, '{');
	xtap_app_json(&j, &a, 0);
	json_close(&j, '}');
	s = mem_done(&m);
	assert_contains(s, "\"dns\":{\"server\":\"b\",\"queries\":2,\"responses\":0,\"last_id\":48879,"
			   "\"last_name\":\"xtap.test\",\"last_qtype\":28,\"last_rcode\":null,");
	assert_contains(s, "\"timed\":0,\"response_sum_ns\":0,\"response_max_ns\":null");
	assert_contains(s, "\"pending\":1,\"unanswered\":2,\"retransmits\":0}");
	free(s);
}

/* Flows find their state by key; unknown kinds are ignored. */
static void test_find(void **state)
{
	struct xtap_app_entry e[2];
	struct xtap_app_table t = { e, 2 };
	struct xtap_flow_key k;

	(void)state;
	memset(e, 0, sizeof(e));
	e[0].key.port_a = 1;
	e[0].val.kind = XTAP_APP_HTTP;
	e[1].key.port_a = 2;
	e[1].val.kind = 9;
	memset(&k, 0, sizeof(k));
	k.port_a = 1;
	assert_ptr_equal(xtap_app_find(&t, &k), &e[0].val);
	k.port_a = 2;
	assert_null(xtap_app_find(&t, &k));
	k.port_a = 3;
	assert_null(xtap_app_find(&t, &k));
	assert_null(xtap_app_find(NULL, &k));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_names),
		cmocka_unit_test(test_rcode_names),
		cmocka_unit_test(test_http_json_and_cells),
		cmocka_unit_test(test_tls_json_and_cells),
		cmocka_unit_test(test_dns_json),
		cmocka_unit_test(test_find),
	};

	return cmocka_run_group_tests_name("unit/app", tests, NULL, NULL);
}
