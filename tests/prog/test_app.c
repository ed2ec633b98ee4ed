// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * HTTP/1.x and DNS response times through the real programs, on the replay
 * clock: exact nanoseconds per flow and in the per-service histogram,
 * pipelined requests, several DNS queries outstanding, and every kind of bad
 * input counted by its reason and never timed.
 */
#include "tests/prog/harness.h"

#include <netinet/in.h>
#include <string.h>

#include "user/app.h"
#include "user/json.h"
#include "user/report.h"

#define CPORT 51000
#define HTTP 80
#define ALT 8080
#define US 1000ull

/* One TCP segment between IP_A (the client) and IP_B, or their IPv6 twins;
 * the server listens on sport. */
static void tseg(struct pb *b, int v6, int from_client, __u16 sport, __u32 seq, __u8 flags,
		 const void *data, size_t len)
{
	pb_eth_ip(b, v6, 0, from_client, from_client);
	pb_tcp(b, &(struct pb_tcp){ .sport = from_client ? CPORT : sport,
				    .dport = from_client ? sport : CPORT, .seq = seq, .ack = 1,
				    .flags = flags });
	if (len)
		pb_payload(b, data, len);
	pb_finish(b);
}

static void udp_msg(struct pb *b, int v6, int from_client, const void *data, size_t len)
{
	pb_eth_ip(b, v6, 0, from_client, from_client);
	pb_udp(b, from_client ? 40000 : 53, from_client ? 53 : 40000);
	pb_payload(b, data, len);
	pb_finish(b);
}

static struct xtap_flow_key tkey(int v6, __u16 sport, __u8 proto, __u16 cport)
{
	if (v6) {
		__u8 a[16], z[16];

		pb_ip6_doc(a, 1);
		pb_ip6_doc(z, 2);
		return key6(a, cport, z, sport, proto, 0);
	}
	return key4(IP_A, cport, IP_B, sport, proto, 0);
}

/* The app entry of key; fails the test when there is none. */
static struct xtap_app app_of(struct env *e, const struct xtap_flow_key *k, const char *what)
{
	struct xtap_app a;

	if (bpf_map_lookup_elem(app_fd(e), k, &a)) {
		print_error("%s: no HTTP/DNS entry for the flow\n", what);
		fail();
	}
	return a;
}

static size_t app_count(struct env *e)
{
	struct xtap_app_table t;
	size_t n;

	assert_int_equal(xtap_app_dump(app_fd(e), &t), 0);
	n = t.n;
	xtap_app_free(&t);
	return n;
}

#define EQ(what, got, want)                                                                    \
	do {                                                                                   \
		if ((__u64)(got) != (__u64)(want)) {                                           \
			print_error("%s: %s = %llu, want %llu\n", what, #got,                   \
				    (unsigned long long)(got), (unsigned long long)(want));     \
			fail();                                                                \
		}                                                                              \
	} while (0)

#define STREQ(what, got, want)                                                                 \
	do {                                                                                   \
		char g_[256];                                                                  \
		size_t n_ = strnlen(got, sizeof(got));                                         \
		memcpy(g_, got, n_);                                                           \
		g_[n_] = 0;                                                                    \
		if (strcmp(g_, want)) {                                                        \
			print_error("%s: %s = \"%s\", want \"%s\"\n", what, #got, g_, want);    \
			fail();                                                                \
		}                                                                              \
	} while (0)

static const char REQ[] = "GET /index.html HTTP/1.1\r\nHost: example.com\r\n"
			  "User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";
static const char RESP200[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

static void tsend(struct env *e, int hook, int v6, int from_client, __u16 port, __u32 seq,
		  const char *data, size_t len, __u64 at)
{
	struct pb b;

	tseg(&b, v6, from_client, port, seq, PB_ACK | PB_PSH, data, len);
	run_pb(e, hook, &b, T0 + at);
}

#define SEND(e, hook, v6, fc, port, seq, str, at) \
	tsend(e, hook, v6, fc, port, seq, str, sizeof(str) - 1, at)

/* One request, its response 250 us later: the flow and the histogram hold
 * exactly that, with the method, path and Host; on every hook, both IP
 * versions, with the server as side b. */
static void test_http_one(void **state)
{
	struct env *e = *state;

	for (int v6 = 0; v6 < 2; v6++) {
		for (size_t hi = 0; hi < NHOOKS; hi++) {
			int hook = hooks[hi];
			struct xtap_flow_key k = tkey(v6, HTTP, IPPROTO_TCP, CPORT);
			struct xtap_app a;
			struct xtap_hist h;

			env_reset_app(state);
			SEND(e, hook, v6, 1, HTTP, 1000, REQ, 0);
			SEND(e, hook, v6, 0, HTTP, 5000, RESP200, 250 * US);
			a = app_of(e, &k, "one request");
			EQ("one", a.kind, XTAP_APP_HTTP);
			EQ("one", a.req_dir, XTAP_DIR_AB);
			EQ("one", a.requests, 1);
			EQ("one", a.responses, 1);
			EQ("one", a.timed, 1);
			EQ("one", a.sum_ns, 250 * US);
			EQ("one", a.max_ns, 250 * US);
			EQ("one", a.last_ns, T0 + 250 * US);
			EQ("one", a.status_class[1], 1);
			EQ("one", a.last_status, 200);
			EQ("one", xtap_app_pending(&a), 0);
			STREQ("one", a.method, "GET");
			STREQ("one", a.path, "/index.html");
			STREQ("one", a.host, "example.com");
			h = svc_hist(e, v6, HTTP, IPPROTO_TCP, XTAP_LAT_HTTP);
			EQ("one: histogram", h.count, 1);
			EQ("one: histogram", h.sum_ns, 250 * US);
			EQ("one: histogram", h.bucket[17], 1);	/* 2^17 <= 250000 < 2^18 */
			EQ("one: no DNS histogram", svc_hist(e, v6, HTTP, IPPROTO_TCP, XTAP_LAT_DNS).count, 0);
			for (int s = XTAP_STAT_HTTP_BAD; s <= XTAP_STAT_APP_FAIL; s++)
				EQ(xtap_stat_name(s), stat_of(e, hook, s), 0);
		}
	}
}

/* Three requests sent before any response (pipelining): matched in order. A
 * fourth request on another server port is another flow. */
static void test_http_pipelined(void **state)
{
	struct env *e = *state;
	struct xtap_flow_key k = tkey(0, ALT, IPPROTO_TCP, CPORT);
	struct xtap_app a;
	struct xtap_hist h;

	SEND(e, XTAP_HOOK_XDP, 0, 1, ALT, 1000, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n", 0);
	SEND(e, XTAP_HOOK_XDP, 0, 1, ALT, 1100, "HEAD /b HTTP/1.1\r\n\r\n", 10 * US);
	SEND(e, XTAP_HOOK_XDP, 0, 1, ALT, 1200, "DELETE /c HTTP/1.0\r\nhOsT:\tother\r\n\r\n", 20 * US);
	SEND(e, XTAP_HOOK_XDP, 0, 0, ALT, 5000, "HTTP/1.1 200 OK\r\n\r\n", 100 * US);
	SEND(e, XTAP_HOOK_XDP, 0, 0, ALT, 5100, "HTTP/1.1 404 Not Found\r\n\r\n", 300 * US);
	SEND(e, XTAP_HOOK_XDP, 0, 0, ALT, 5200, "HTTP/1.1 503 Busy\r\n\r\n", 600 * US);
	a = app_of(e, &k, "pipelined");
	EQ("pipelined", a.requests, 3);
	EQ("pipelined", a.responses, 3);
	EQ("pipelined", a.timed, 3);
	EQ("pipelined", a.sum_ns, (100 + 290 + 580) * US);
	EQ("pipelined", a.max_ns, 580 * US);
	EQ("pipelined", a.status_class[1], 1);
	EQ("pipelined", a.status_class[3], 1);
	EQ("pipelined", a.status_class[4], 1);
	EQ("pipelined", a.last_status, 503);
	STREQ("pipelined", a.method, "DELETE");
	STREQ("pipelined", a.path, "/c");
	STREQ("pipelined", a.host, "other");
	h = svc_hist(e, 0, ALT, IPPROTO_TCP, XTAP_LAT_HTTP);
	EQ("pipelined: histogram", h.count, 3);
	EQ("pipelined: histogram", h.max_ns, 580 * US);
}

/* More requests outstanding than the flow keeps: the oldest one's response
 * is counted but not timed, the rest stay matched. */
static void test_http_pipeline_full(void **state)
{
	struct env *e = *state;
	struct xtap_flow_key k = tkey(0, HTTP, IPPROTO_TCP, CPORT);
	struct xtap_app a;
	int n = XTAP_APP_PENDING + 1;

	for (int i = 0; i < n; i++)
		SEND(e, XTAP_HOOK_XDP, 0, 1, HTTP, 1000 + i * 100, "GET / HTTP/1.1\r\n\r\n", i * US);
	for (int i = 0; i < n; i++)
		SEND(e, XTAP_HOOK_XDP, 0, 0, HTTP, 5000 + i * 100, "HTTP/1.1 204 No Content\r\n\r\n",
		     (100 + i) * US);
	a = app_of(e, &k, "pipeline full");
	EQ("pipeline full", a.requests, n);
	EQ("pipeline full", a.responses, n);
	EQ("pipeline full", a.timed, n - 1);
	EQ("pipeline full", a.sum_ns, (n - 1) * 100 * US);
	EQ("pipeline full", a.unanswered, 1);
	EQ("pipeline full", stat_of(e, XTAP_HOOK_XDP, XTAP_STAT_HTTP_PIPELINE_FULL), 1);
	EQ("pipeline full", xtap_app_pending(&a), 0);
}

/* A retransmitted request (same sequence) is not a second request; an
 * interim 100 is timed and the final response is not timed again. */
static void test_http_retransmit_interim(void **state)
{
	struct env *e = *state;
	struct xtap_flow_key k = tkey(0, HTTP, IPPROTO_TCP, CPORT);
	struct xtap_app a;

	SEND(e, XTAP_HOOK_XDP, 0, 1, HTTP, 1000, "POST /up HTTP/1.1\r\nExpect: 100-continue\r\n\r\n", 0);
	SEND(e, XTAP_HOOK_XDP, 0, 1, HTTP, 1000, "POST /up HTTP/1.1\r\nExpect: 100-continue\r\n\r\n", 200 * US);
	SEND(e, XTAP_HOOK_XDP, 0, 0, HTTP, 5000, "HTTP/1.1 100 Continue\r\n\r\n", 300 * US);
	SEND(e, XTAP_HOOK_XDP, 0, 1, HTTP, 1050, "body that starts no request", 310 * US);
	SEND(e, XTAP_HOOK_XDP, 0, 0, HTTP, 5030, "HTTP/1.1 201 Created\r\n\r\n", 900 * US);
	SEND(e, XTAP_HOOK_XDP, 0, 0, HTTP, 5030, "HTTP/1.1 201 Created\r\n\r\n", 950 * US);
	a = app_of(e, &k, "interim");
	EQ("interim", a.requests, 1);
	EQ("interim", a.responses, 2);
	EQ("interim", a.timed, 1);
	EQ("interim", a.sum_ns, 300 * US);
	EQ("interim", a.status_class[0], 1);
	EQ("interim", a.status_class[1], 1);
	EQ("interim", xtap_app_pending(&a), 0);
	STREQ("interim", a.method, "POST");
	EQ("interim: a body on an HTTP flow is not 'not HTTP'",
	   stat_of(e, XTAP_HOOK_XDP, XTAP_STAT_HTTP_NOT_HTTP), 0);
}

/* A request line cut by its segment's end: counted, queued untimed, so the
 * response after it is not timed and the next request is matched right. */
static void test_http_split(void **state)
{
	struct env *e = *state;
	struct xtap_flow_key k = tkey(0, HTTP, IPPROTO_TCP, CPORT);
	struct xtap_app a;

	SEND(e, XTAP_HOOK_XDP, 0, 1, HTTP, 1000, "GET /a-very-long-pa", 0);
	SEND(e, XTAP_HOOK_XDP, 0, 1, HTTP, 1019, "th HTTP/1.1\r\n\r\n", 5 * US);
	SEND(e, XTAP_HOOK_XDP, 0, 0, HTTP, 5000, "HTTP/1.1 200 OK\r\n\r\n", 100 * US);
	SEND(e, XTAP_HOOK_XDP, 0, 1, HTTP, 1035, "GET /next HTTP/1.1\r\n\r\n", 200 * US);
	SEND(e, XTAP_HOOK_XDP, 0, 0, HTTP, 5020, "HTTP/1.1 302 Found\r\n\r\n", 270 * US);
	a = app_of(e, &k, "split");
	EQ("split", stat_of(e, XTAP_HOOK_XDP, XTAP_STAT_HTTP_SPLIT), 1);
	EQ("split", stat_of(e, XTAP_HOOK_XDP, XTAP_STAT_HTTP_NOT_HTTP), 0);
	EQ("split", a.requests, 2);
	EQ("split", a.responses, 2);
	EQ("split", a.timed, 1);
	EQ("split", a.sum_ns, 70 * US);
	STREQ("split", a.path, "/next");

	/* a status line cut before its code answers the oldest request, untimed */
	env_reset_app(state);
	SEND(e, XTAP_HOOK_XDP, 0, 1, HTTP, 1000, REQ, 0);
	SEND(e, XTAP_HOOK_XDP, 0, 0, HTTP, 5000, "HTTP/1.1 2", 100 * US);
	a = app_of(e, &k, "split status");
	EQ("split status", stat_of(e, XTAP_HOOK_XDP, XTAP_STAT_HTTP_SPLIT), 1);
	EQ("split status", a.timed, 0);
	EQ("split status", xtap_app_pending(&a), 0);
}

/* HTTP-looking garbage: counted as a bad line, no entry, nothing timed. */
static void test_http_garbage(void **state)
{
	static const char *const bad[] = {
		"GET\x01/ HTTP/1.1\r\n\r\n",		/* no space after GET: no token */
		"GETS / HTTP/1.1\r\n\r\n",		/* not a method: no token at all */
		"GET / HTTP/2.0\r\n\r\n",		/* not HTTP/1.x */
		"GET /a\x7f HTTP/1.1\r\n\r\n",		/* a control byte in the target */
		"GET  HTTP/1.1\r\n\r\n",		/* an empty target */
		"GET / HTTP/1.1 junk\r\n\r\n",		/* more after the version */
		"POSTMAN / HTTP/1.1\r\n\r\n",
		"HTTP/1.1 999 Nine\r\n\r\n",		/* no such status */
		"HTTP/1.1 20x OK\r\n\r\n",
		"HTTP/1.12 200 OK\r\n\r\n",
		"HTTPS://x",
	};
	static const int token[] = { 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	struct env *e = *state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		env_reset_app(state);
		/* to 8080: not port 80, so only the bad line counts */
		tsend(e, XTAP_HOOK_XDP, 0, 1, ALT, 1000, bad[i], strlen(bad[i]), 0);
		if (app_count(e) != 0 ||
		    stat_of(e, XTAP_HOOK_XDP, XTAP_STAT_HTTP_BAD) != (__u64)token[i]) {
			print_error("garbage %zu \"%s\": %zu entries, %llu bad lines\n", i, bad[i],
				    app_count(e),
				    (unsigned long long)stat_of(e, XTAP_HOOK_XDP, XTAP_STAT_HTTP_BAD));
			fail();
		}
	}
	/* a request line sent by the server is not a request */
	env_reset_app(state);
	SEND(e, XTAP_HOOK_XDP, 0, 1, ALT, 1000, REQ, 0);
	SEND(e, XTAP_HOOK_XDP, 0, 0, ALT, 5000, REQ, 10 * US);
	EQ("request from the server", stat_of(e, XTAP_HOOK_XDP, XTAP_STAT_HTTP_BAD), 1);
	{
		struct xtap_flow_key k = tkey(0, ALT, IPPROTO_TCP, CPORT);

		EQ("request from the server", app_of(e, &k, "from the server").requests, 1);
	}
}

/* A response with no request: counted by reason, its status kept, not
 * timed; data to port 80 that is not HTTP: counted, no entry. */
static void test_http_unmatched(void **state)
{
	struct env *e = *state;
	struct xtap_flow_key k = tkey(0, HTTP, IPPROTO_TCP, CPORT);
	struct xtap_app a;
	static const __u8 bin[] = { 0x00, 0x03, 0x01, 0x00, 0x50, 0x01, 0x00, 0x00, 0x4c };

	SEND(e, XTAP_HOOK_XDP, 0, 0, HTTP, 5000, RESP200, 0);
	a = app_of(e, &k, "no request");
	EQ("no request", stat_of(e, XTAP_HOOK_XDP, XTAP_STAT_HTTP_NO_REQUEST), 1);
	EQ("no request", a.requests, 0);
	EQ("no request", a.responses, 1);
	EQ("no request", a.timed, 0);
	EQ("no request", a.last_status, 200);
	EQ("no request", svc_hist(e, 0, HTTP, IPPROTO_TCP, XTAP_LAT_HTTP).count, 0);

	env_reset_app(state);
	tsend(e, XTAP_HOOK_XDP, 0, 1, HTTP, 1000, (const char *)bin, sizeof(bin), 0);
	tsend(e, XTAP_HOOK_XDP, 0, 1, HTTP, 1009, "hello there", 11, 1 * US);
	tsend(e, XTAP_HOOK_XDP, 0, 0, HTTP, 5000, "hi", 2, 2 * US);		/* too short */
	tsend(e, XTAP_HOOK_XDP, 0, 0, HTTP, 5002, "from the server", 15, 3 * US);
	EQ("not HTTP", stat_of(e, XTAP_HOOK_XDP, XTAP_STAT_HTTP_NOT_HTTP), 2);
	EQ("not HTTP", app_count(e), 0);
	/* the same bytes to another port are not counted */
	env_reset_app(state);
	tsend(e, XTAP_HOOK_XDP, 0, 1, ALT, 1000, (const char *)bin, sizeof(bin), 0);
	EQ("not HTTP, port 8080", stat_of(e, XTAP_HOOK_XDP, XTAP_STAT_HTTP_NOT_HTTP), 0);
}

/* DNS over UDP: a query, the response 5 ms later; two queries outstanding
 * at once answered in the other order. */
static const __u8 Q_WWW[] = {
	0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
	0x00, 0x01, 0x00, 0x01,
};

static void dns_with(__u8 *m, size_t len, __u16 id, int response, __u8 rcode)
{
	(void)len;
	m[0] = id >> 8;
	m[1] = id & 0xff;
	m[2] = response ? 0x81 : 0x01;
	m[3] = response ? (0x80 | rcode) : 0x00;
}

static void dns_send(struct env *e, int hook, int v6, int from_client, const __u8 *m, size_t len,
		     __u64 at)
{
	struct pb b;

	udp_msg(&b, v6, from_client, m, len);
	run_pb(e, hook, &b, T0 + at);
}

static void test_dns(void **state)
{
	struct env *e = *state;

	for (int v6 = 0; v6 < 2; v6++) {
		for (size_t hi = 0; hi < NHOOKS; hi++) {
			int hook = hooks[hi];
			struct xtap_flow_key k = tkey(v6, 53, IPPROTO_UDP, 40000);
			__u8 m[sizeof(Q_WWW)];
			struct xtap_app a;
			struct xtap_hist h;
			char name[128];

			env_reset_app(state);
			memcpy(m, Q_WWW, sizeof(m));
			dns_send(e, hook, v6, 1, m, sizeof(m), 0);
			dns_with(m, sizeof(m), 0x1234, 1, 3);
			dns_send(e, hook, v6, 0, m, sizeof(m), 5000 * US);
			a = app_of(e, &k, "dns");
			EQ("dns", a.kind, XTAP_APP_DNS);
			EQ("dns", a.requests, 1);
			EQ("dns", a.responses, 1);
			EQ("dns", a.timed, 1);
			EQ("dns", a.sum_ns, 5000 * US);
			EQ("dns", a.dns_id, 0x1234);
			EQ("dns", a.dns_qtype, 1);
			EQ("dns", a.dns_rcode, 3);
			EQ("dns", a.dns_errors, 1);
			EQ("dns", xtap_app_pending(&a), 0);
			xtap_dns_name_str(a.dns_name, name, sizeof(name));
			assert_string_equal(name, "www.example.com");
			h = svc_hist(e, v6, 53, IPPROTO_UDP, XTAP_LAT_DNS);
			EQ("dns: histogram", h.count, 1);
			EQ("dns: histogram", h.sum_ns, 5000 * US);
		}
	}
}

static void test_dns_outstanding(void **state)
{
	struct env *e = *state;
	struct xtap_flow_key k = tkey(0, 53, IPPROTO_UDP, 40000);
	__u8 m[sizeof(Q_WWW)];
	struct xtap_app a;

	memcpy(m, Q_WWW, sizeof(m));
	dns_with(m, sizeof(m), 1, 0, 0);
	dns_send(e, XTAP_HOOK_XDP, 0, 1, m, sizeof(m), 0);
	dns_with(m, sizeof(m), 2, 0, 0);
	m[sizeof(m) - 3] = 28;	/* AAAA */
	dns_send(e, XTAP_HOOK_XDP, 0, 1, m, sizeof(m), 10 * US);
	dns_with(m, sizeof(m), 2, 1, 0);
	dns_send(e, XTAP_HOOK_XDP, 0, 0, m, sizeof(m), 110 * US);
	dns_with(m, sizeof(m), 1, 1, 0);
	dns_send(e, XTAP_HOOK_XDP, 0, 0, m, sizeof(m), 400 * US);
	/* a response nobody asked for */
	dns_with(m, sizeof(m), 7, 1, 0);
	dns_send(e, XTAP_HOOK_XDP, 0, 0, m, sizeof(m), 500 * US);
	/* a "response" sent by the client is not one */
	dns_with(m, sizeof(m), 1, 0, 0);
	dns_send(e, XTAP_HOOK_XDP, 0, 1, m, sizeof(m), 600 * US);
	dns_with(m, sizeof(m), 1, 1, 0);
	dns_send(e, XTAP_HOOK_XDP, 0, 1, m, sizeof(m), 700 * US);
	a = app_of(e, &k, "outstanding");
	EQ("outstanding", a.requests, 3);
	EQ("outstanding", a.responses, 2);
	EQ("outstanding", a.timed, 2);
	EQ("outstanding", a.sum_ns, 100 * US + 400 * US);
	EQ("outstanding", a.max_ns, 400 * US);
	EQ("outstanding", stat_of(e, XTAP_HOOK_XDP, XTAP_STAT_DNS_NO_QUERY), 2);
	EQ("outstanding", xtap_app_pending(&a), 1);
}

/* Queries with no response: one more than the table keeps pushes the
 * oldest out; all of them count as unanswered. A repeated id is a
 * retransmission, timed from the first. */
static void test_dns_unanswered(void **state)
{
	struct env *e = *state;
	struct xtap_flow_key k = tkey(0, 53, IPPROTO_UDP, 40000);
	__u8 m[sizeof(Q_WWW)];
	struct xtap_app a;
	struct mem_buf { char *p; size_t n; } out = { 0 };
	FILE *f;
	struct json j;

	memcpy(m, Q_WWW, sizeof(m));
	for (int i = 0; i <= XTAP_APP_PENDING; i++) {
		dns_with(m, sizeof(m), 100 + i, 0, 0);
		dns_send(e, XTAP_HOOK_XDP, 0, 1, m, sizeof(m), i * US);
	}
	dns_with(m, sizeof(m), 104, 0, 0);
	dns_send(e, XTAP_HOOK_XDP, 0, 1, m, sizeof(m), 1000 * US);	/* again */
	dns_with(m, sizeof(m), 104, 1, 2);
	dns_send(e, XTAP_HOOK_XDP, 0, 0, m, sizeof(m), 2000 * US);
	a = app_of(e, &k, "unanswered");
	EQ("unanswered", a.requests, XTAP_APP_PENDING + 2);
	EQ("unanswered", a.dns_retransmits, 1);
	EQ("unanswered", a.unanswered, 1);
	EQ("unanswered", a.timed, 1);
	EQ("unanswered", a.sum_ns, (2000 - 4) * US);
	EQ("unanswered", xtap_app_pending(&a), XTAP_APP_PENDING - 1);

	f = open_memstream(&out.p, &out.n);
	assert_non_null(f);
	json_init(&j, f);
	json_open(&j, NULL, '{');
	xtap_app_json(&j, &a, 0);
	json_close(&j, '}');
	fclose(f);
	if (!strstr(out.p, "\"unanswered\":4") || !strstr(out.p, "\"last_rcode_name\":\"SERVFAIL\"") ||
	    !strstr(out.p, "\"last_name\":\"www.example.com\"")) {
		print_error("dns json: %s\n", out.p);
		fail();
	}
	free(out.p);
}

/* Bad names: a compression pointer to itself, a label running past the
 * end, a pointer into the header, a reserved label type, a message shorter
 * than a header. Each counted by its reason, no entry. */
static void test_dns_bad(void **state)
{
	static const __u8 loop[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1 };
	static const __u8 loop2[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0,
				      1, 'a', 0xc0, 12, 0, 1, 0, 1 };
	static const __u8 trunc[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9, 'a', 'b', 'c' };
	static const __u8 nozero[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 1, 'b' };
	static const __u8 header[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 2, 0, 1, 0, 1 };
	static const __u8 reserved[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 'a', 0, 0, 1, 0, 1 };
	static const __u8 shorthdr[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0 };
	static const __u8 noqtype[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0 };
	static const struct {
		const __u8 *m;
		size_t len;
		int reason;
	} cases[] = {
		{ loop, sizeof(loop), XTAP_STAT_DNS_NAME_LOOP },
		{ loop2, sizeof(loop2), XTAP_STAT_DNS_NAME_LOOP },
		{ trunc, sizeof(trunc), XTAP_STAT_DNS_NAME_TRUNC },
		{ nozero, sizeof(nozero), XTAP_STAT_DNS_NAME_TRUNC },
		{ header, sizeof(header), XTAP_STAT_DNS_NAME_BAD },
		{ reserved, sizeof(reserved), XTAP_STAT_DNS_NAME_BAD },
		{ shorthdr, sizeof(shorthdr), XTAP_STAT_DNS_SHORT },
		{ noqtype, sizeof(noqtype), XTAP_STAT_DNS_SHORT },
	};
	struct env *e = *state;
	__u8 big[12 + 300];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int resp = 0; resp < 2; resp++) {
			__u8 m[64];

			env_reset_app(state);
			memcpy(m, cases[i].m, cases[i].len);
			if (resp && cases[i].len > 3)
				m[2] |= 0x80;
			dns_send(e, XTAP_HOOK_XDP, 0, !resp, m, cases[i].len, 0);
			for (int s = XTAP_STAT_DNS_SHORT; s <= XTAP_STAT_DNS_NO_QUERY; s++) {
				if (stat_of(e, XTAP_HOOK_XDP, s) != (s == cases[i].reason)) {
					print_error("dns case %zu (%s): %s = %llu\n", i,
						    resp ? "response" : "query", xtap_stat_name(s),
						    (unsigned long long)stat_of(e, XTAP_HOOK_XDP, s));
					fail();
				}
			}
			EQ("bad dns: no entry", app_count(e), 0);
		}
	}
	/* a name of 128 one-byte labels is longer than 255 bytes */
	env_reset_app(state);
	memset(big, 0, sizeof(big));
	memcpy(big, Q_WWW, 12);
	for (int i = 0; i < 140; i++) {
		big[12 + 2 * i] = 1;
		big[13 + 2 * i] = 'x';
	}
	dns_send(e, XTAP_HOOK_XDP, 0, 1, big, sizeof(big), 0);
	EQ("long name", stat_of(e, XTAP_HOOK_XDP, XTAP_STAT_DNS_NAME_BAD), 1);
	EQ("long name", app_count(e), 0);
}

/* DNS over TCP port 53: the two-byte length, then the message. */
static void test_dns_tcp(void **state)
{
	struct env *e = *state;
	struct xtap_flow_key k = tkey(0, 53, IPPROTO_TCP, CPORT);
	__u8 m[2 + sizeof(Q_WWW)];
	struct xtap_app a;

	m[0] = 0;
	m[1] = sizeof(Q_WWW);
	memcpy(m + 2, Q_WWW, sizeof(Q_WWW));
	tsend(e, XTAP_HOOK_TC_EGRESS, 0, 1, 53, 1000, (const char *)m, sizeof(m), 0);
	dns_with(m + 2, sizeof(Q_WWW), 0x1234, 1, 0);
	tsend(e, XTAP_HOOK_TC_EGRESS, 0, 0, 53, 5000, (const char *)m, sizeof(m), 777 * US);
	a = app_of(e, &k, "dns over tcp");
	EQ("dns over tcp", a.kind, XTAP_APP_DNS);
	EQ("dns over tcp", a.timed, 1);
	EQ("dns over tcp", a.sum_ns, 777 * US);
	EQ("dns over tcp", svc_hist(e, 0, 53, IPPROTO_TCP, XTAP_LAT_DNS).count, 1);
}

/* The same request seen on two attached interfaces is counted once: the
 * first interface to see the flow keeps it. */
static void test_one_owner(void **state)
{
	struct env *e = *state;
	struct xtap_flow_key k = tkey(0, HTTP, IPPROTO_TCP, CPORT);
	struct xtap_app a;

	SEND(e, XTAP_HOOK_XDP, 0, 1, HTTP, 1000, REQ, 0);
	a = app_of(e, &k, "owner");
	a.owner_slot = 5;	/* as if another interface had seen it first */
	assert_int_equal(bpf_map_update_elem(app_fd(e), &k, &a, BPF_EXIST), 0);
	SEND(e, XTAP_HOOK_XDP, 0, 0, HTTP, 5000, RESP200, 10 * US);
	a = app_of(e, &k, "owner");
	EQ("owner", a.responses, 0);
	EQ("owner", a.timed, 0);
}

/* The table joins the state: the STATUS and RESP cells. */
static void test_report(void **state)
{
	struct env *e = *state;
	struct xtap_flow_entry *f;
	struct xtap_app_table t;
	struct xtap_report r = { .app = &t };
	char *s = NULL;
	size_t len = 0, n;

	SEND(e, XTAP_HOOK_XDP, 0, 1, HTTP, 1000, REQ, 0);
	SEND(e, XTAP_HOOK_XDP, 0, 0, HTTP, 5000, RESP200, 1500 * US);
	n = flows_get(e, &f);
	assert_int_equal(n, 1);
	assert_int_equal(xtap_app_dump(app_fd(e), &t), 0);
	r.out = open_memstream(&s, &len);
	assert_non_null(r.out);
	xtap_flows_table(&r, f, n);
	fclose(r.out);
	if (!strstr(s, "STATUS") || !strstr(s, " 200      1.500ms\n")) {
		print_error("table:\n%s", s);
		fail();
	}
	free(s);
	xtap_app_free(&t);
	free(f);
}

static int group_setup(void **state)
{
	return env_setup(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup(f, env_reset_app)
		T(test_http_one),
		T(test_http_pipelined),
		T(test_http_pipeline_full),
		T(test_http_retransmit_interim),
		T(test_http_split),
		T(test_http_garbage),
		T(test_http_unmatched),
		T(test_dns),
		T(test_dns_outstanding),
		T(test_dns_unanswered),
		T(test_dns_bad),
		T(test_dns_tcp),
		T(test_one_owner),
		T(test_report),
#undef T
	};

	return cmocka_run_group_tests_name("prog/app", tests, group_setup, env_teardown);
}
