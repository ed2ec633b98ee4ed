// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * user/exporter.c and its sinks, without the pinned state: rounds on flow
 * tables built here, with a clock set here, to collectors on loopback
 * sockets (UDP, TCP that goes away and comes back) and to a JSON file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "tests/unit/unit_util.h"
#include "user/exporter.h"
#include "user/ipfix.h"

#define S 1000000000ull
/* the epoch at the clock's 0 s: export times are 1e9 + now */
#define OFF ((__s64)1000000000 * (__s64)S)

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)be16(p) << 16 | be16(p + 2);
}

/* What one IPFIX message holds. */
struct msg {
	uint32_t export_time, seq, domain;
	int templates;		/* template sets */
	int records[8];		/* data records by template id - 256 */
	int total;		/* data records */
};

static void decode(const uint8_t *b, size_t len, struct msg *m)
{
	size_t off = IPFIX_HDR_LEN;

	memset(m, 0, sizeof(*m));
	assert_true(len >= IPFIX_HDR_LEN);
	assert_int_equal(be16(b), IPFIX_VERSION);
	assert_int_equal(be16(b + 2), len);
	m->export_time = be32(b + 4);
	m->seq = be32(b + 8);
	m->domain = be32(b + 12);
	while (off < len) {
		uint16_t id = be16(b + off), sl = be16(b + off + 2);

		assert_true(sl >= IPFIX_SET_HDR_LEN && off + sl <= len);
		if (id == IPFIX_SET_TEMPLATE) {
			m->templates++;
		} else {
			size_t ro = off + IPFIX_SET_HDR_LEN, rl;

			assert_true(id - 256 < 8);
			/* records until the set's end: none runs past it */
			while (ro < off + sl) {
				rl = xtap_ipfix_record_size(id, b + ro, off + sl - ro);
				assert_true(rl > 0);
				ro += rl;
				m->records[id - 256]++;
				m->total++;
			}
		}
		off += sl;
	}
}

/* A TCP flow from 10.0.0.1:port to 10.0.0.2:80 that started at first s. */
static struct xtap_flow_entry flow(__u16 port, __u64 first, __u64 last, __u64 pkts_ab,
				   __u64 pkts_ba)
{
	struct xtap_flow_entry e = { 0 };
	static const uint8_t a[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 1 };
	static const uint8_t b[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 2 };

	memcpy(e.key.addr_a, a, 16);
	memcpy(e.key.addr_b, b, 16);
	e.key.port_a = port;
	e.key.port_b = 80;
	e.key.proto = IPPROTO_TCP;
	e.key.ip_version = 4;
	e.val.first_ns = first * S;
	e.val.last_ns = last * S;
	e.val.pkts[0] = pkts_ab;
	e.val.bytes[0] = pkts_ab * 100;
	e.val.pkts[1] = pkts_ba;
	e.val.bytes[1] = pkts_ba * 1000;
	return e;
}

static int round_at(struct xtap_exporter *x, const struct xtap_flow_entry *f, size_t n,
		    __u64 now_s, bool force)
{
	struct xtap_export_input in = { .flows = f, .nflows = n };

	return xtap_exporter_round(x, &in, now_s * S, OFF, force);
}

/* A socket bound to 127.0.0.1 on a free port; its address in o. */
static int collector(int type, struct xtap_exporter_opts *o)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 2 };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 4), 0);
	memcpy(&o->collector, &a, sizeof(a));
	o->collector_len = sizeof(a);
	return fd;
}

static const struct xtap_exporter_opts base_opts = {
	.interval_s = 1, .active_s = 60, .idle_s = 15, .tmpl_refresh_s = 30,
};

/* One datagram, decoded; false when none came. */
static bool udp_msg(int fd, struct msg *m)
{
	uint8_t b[2048];
	ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT);

	if (n < 0)
		return false;
	decode(b, (size_t)n, m);
	return true;
}

static void test_udp_templates_and_records(void **state)
{
	struct xtap_exporter_opts o = base_opts;
	struct xtap_export_stats st;
	struct xtap_exporter *x;
	struct xtap_flow_entry f[2];
	struct msg m;
	int col;

	(void)state;
	col = collector(SOCK_DGRAM, &o);
	assert_int_equal(xtap_exporter_new(&o, &x), 0);

	/* the first round: nothing due, the templates go alone */
	f[0] = flow(40000, 100, 101, 10, 8);
	assert_int_equal(round_at(x, f, 1, 102, false), 0);
	assert_true(udp_msg(col, &m));
	assert_int_equal(m.templates, 1);
	assert_int_equal(m.total, 0);
	assert_int_equal(m.seq, 0);
	assert_int_equal(m.domain, XTAP_IPFIX_DOMAIN);
	assert_int_equal(m.export_time, 1000000102);
	assert_false(udp_msg(col, &m));

	/* before the refresh and with nothing due: nothing at all */
	assert_int_equal(round_at(x, f, 1, 110, false), 0);
	assert_false(udp_msg(col, &m));

	/* idle: both directions go, after the refreshed templates (most of
	 * a UDP message: an initiator's record goes in the next) */
	f[1] = flow(40001, 120, 131, 3, 0);
	assert_int_equal(round_at(x, f, 2, 132, false), 0);
	assert_true(udp_msg(col, &m));
	assert_int_equal(m.templates, 1);
	assert_int_equal(m.total, 0);
	assert_true(udp_msg(col, &m));
	assert_int_equal(m.templates, 0);
	assert_int_equal(m.records[XTAP_TMPL_V4_INIT - 256], 1);
	assert_int_equal(m.records[XTAP_TMPL_V4_RESP - 256], 1);
	assert_int_equal(m.seq, 0);
	assert_false(udp_msg(col, &m));

	/* the forced round: what is left, the sequence counting on */
	f[1].val.pkts[0] = 5;
	assert_int_equal(round_at(x, f, 2, 140, true), 0);
	assert_true(udp_msg(col, &m));
	assert_int_equal(m.templates, 0);
	assert_int_equal(m.records[XTAP_TMPL_V4_INIT - 256], 1);
	assert_int_equal(m.seq, 2);

	xtap_exporter_stats(x, &st);
	assert_int_equal(st.sent, 3);
	assert_int_equal(st.unsent, 0);
	assert_int_equal(st.last_errno, 0);
	xtap_exporter_free(x);
	close(col);
}

/* Records that do not fit one message go in several, each under the MTU. */
static void test_udp_split(void **state)
{
	struct xtap_exporter_opts o = base_opts;
	struct xtap_flow_entry f[40];
	struct xtap_export_stats st;
	struct xtap_exporter *x;
	int col, msgs = 0, recs = 0;
	uint8_t b[2048];
	ssize_t n;

	(void)state;
	col = collector(SOCK_DGRAM, &o);
	assert_int_equal(xtap_exporter_new(&o, &x), 0);
	for (int i = 0; i < 40; i++)
		f[i] = flow((__u16)(1 + i), 10, 11, 2, 2);	/* in key order */
	assert_int_equal(round_at(x, f, 40, 30, false), 0);
	while ((n = recv(col, b, sizeof(b), MSG_DONTWAIT)) > 0) {
		struct msg m;

		assert_true(n <= XTAP_EXPORT_MSG_UDP);
		decode(b, (size_t)n, &m);
		assert_int_equal(m.seq, recs);
		recs += m.total;
		msgs++;
	}
	assert_int_equal(recs, 80);
	assert_true(msgs > 1);
	xtap_exporter_stats(x, &st);
	assert_int_equal(st.sent, 80);
	xtap_exporter_free(x);
	close(col);
}

/* A UDP collector that starts after the exporter: the port-unreachable of
 * each message makes the next one carry the templates, so the first message
 * the collector gets can be read; what went while it was away counts as
 * possibly lost, not as not sent (it left), and the exporter goes on. */
static void test_udp_collector_late(void **state)
{
	struct xtap_exporter_opts o = base_opts;
	struct xtap_export_stats st;
	struct xtap_exporter *x;
	struct xtap_flow_entry f, many[40];
	struct sockaddr_in a;
	struct err_cap ec;
	struct msg m;
	int col;
	char *err;

	(void)state;
	col = collector(SOCK_DGRAM, &o);
	memcpy(&a, &o.collector, sizeof(a));
	close(col);
	assert_int_equal(xtap_exporter_new(&o, &x), 0);
	f = flow(40000, 10, 11, 1, 0);
	stderr_begin(&ec);
	for (__u64 t = 30; t < 34; t++) {
		f.val.pkts[0]++;
		assert_int_equal(round_at(x, &f, 1, t, false), 0);
		usleep(20000);	/* for the ICMP error */
	}
	/* no records: the templates alone, refused as well */
	assert_int_equal(round_at(x, &f, 1, 34, false), 0);
	usleep(20000);
	err = stderr_end(&ec);
	assert_non_null(strstr(err, "Connection refused (the next message carries the templates)"));
	free(err);
	xtap_exporter_stats(x, &st);
	assert_int_equal(st.sent, 4);
	assert_int_equal(st.unsent, 0);
	assert_int_equal(st.possibly_lost, 4);
	assert_int_equal(st.last_errno, ECONNREFUSED);

	/* the collector comes up: the next message has the templates, long
	 * before the refresh (30 s) */
	col = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(col >= 0);
	assert_int_equal(bind(col, (struct sockaddr *)&a, sizeof(a)), 0);
	f.val.pkts[0]++;
	assert_int_equal(round_at(x, &f, 1, 35, false), 0);
	assert_true(udp_msg(col, &m));
	assert_int_equal(m.templates, 1);
	assert_int_equal(m.total, 0);
	assert_true(udp_msg(col, &m));
	assert_int_equal(m.templates, 0);
	assert_int_equal(m.total, 1);
	assert_false(udp_msg(col, &m));
	f.val.pkts[0]++;
	assert_int_equal(round_at(x, &f, 1, 36, false), 0);
	assert_true(udp_msg(col, &m));
	assert_int_equal(m.templates, 0);
	assert_int_equal(m.total, 1);
	xtap_exporter_stats(x, &st);
	assert_int_equal(st.sent, 6);
	assert_int_equal(st.possibly_lost, 4);

	/* it goes away during a round of several messages: all of them,
	 * whether refused or sent without the templates after a refusal,
	 * are possibly lost */
	close(col);
	for (int i = 0; i < 40; i++)
		many[i] = flow((__u16)(1 + i), 10, 11, 2, 2);
	assert_int_equal(round_at(x, many, 40, 37, false), 0);
	usleep(20000);
	assert_int_equal(round_at(x, many, 40, 38, false), 0);	/* nothing new */
	xtap_exporter_stats(x, &st);
	assert_int_equal(st.sent, 6 + 80);
	assert_int_equal(st.unsent, 0);
	assert_int_equal(st.possibly_lost, 4 + 80);
	xtap_exporter_free(x);
}

/* One message from a TCP stream. */
static void tcp_msg(int fd, struct msg *m)
{
	uint8_t b[XTAP_EXPORT_MSG_TCP];
	size_t len;

	assert_int_equal(recv(fd, b, IPFIX_HDR_LEN, MSG_WAITALL), IPFIX_HDR_LEN);
	len = be16(b + 2);
	assert_true(len >= IPFIX_HDR_LEN && len <= sizeof(b));
	assert_int_equal(recv(fd, b + IPFIX_HDR_LEN, len - IPFIX_HDR_LEN, MSG_WAITALL),
			 (ssize_t)(len - IPFIX_HDR_LEN));
	decode(b, len, m);
}

static int accept_one(int lfd)
{
	struct timeval tv = { .tv_sec = 2 };
	int fd = accept(lfd, NULL, NULL);

	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

static void test_tcp_reconnects(void **state)
{
	struct xtap_exporter_opts o = base_opts;
	struct xtap_export_stats st;
	struct xtap_exporter *x;
	struct xtap_flow_entry f;
	struct err_cap ec;
	struct msg m;
	int lfd, c;
	__u64 errors;
	char *err;

	(void)state;
	o.tcp = true;
	lfd = collector(SOCK_STREAM, &o);
	assert_int_equal(xtap_exporter_new(&o, &x), 0);

	/* a new connection starts with the templates */
	f = flow(40000, 10, 11, 1, 1);
	stderr_begin(&ec);
	assert_int_equal(round_at(x, &f, 1, 12, false), 0);
	err = stderr_end(&ec);
	assert_non_null(strstr(err, "export: connected to 127.0.0.1:"));
	free(err);
	c = accept_one(lfd);
	tcp_msg(c, &m);
	assert_int_equal(m.templates, 1);
	assert_int_equal(m.total, 0);
	assert_int_equal(round_at(x, &f, 1, 30, false), 0);
	tcp_msg(c, &m);
	assert_int_equal(m.templates, 0);
	assert_int_equal(m.total, 2);
	assert_int_equal(m.seq, 0);

	/* the collector restarts: the exporter sees the closed connection
	 * before it sends, connects again, templates first */
	close(c);
	f.val.pkts[0]++;
	stderr_begin(&ec);
	assert_int_equal(round_at(x, &f, 1, 50, false), 0);
	err = stderr_end(&ec);
	assert_non_null(strstr(err, "export: connected to"));
	free(err);
	c = accept_one(lfd);
	tcp_msg(c, &m);
	assert_int_equal(m.templates, 1);
	assert_int_equal(m.total, 0);
	tcp_msg(c, &m);
	assert_int_equal(m.total, 1);
	assert_int_equal(m.seq, 2);

	/* the collector is gone for good: records count as not sent; without
	 * -v only the first failure of all is told */
	close(c);
	close(lfd);
	f.val.pkts[0]++;
	stderr_begin(&ec);
	assert_int_equal(round_at(x, &f, 1, 70, false), 0);
	f.val.pkts[0]++;
	assert_int_equal(round_at(x, &f, 1, 90, false), 0);
	err = stderr_end(&ec);
	assert_string_equal(err, "");
	free(err);
	xtap_exporter_stats(x, &st);
	assert_int_equal(st.sent, 3);
	assert_int_equal(st.unsent, 2);
	assert_int_equal(st.last_errno, ECONNREFUSED);
	/* 90 s failed again: the next try waits 4 s */
	errors = st.errors;
	f.val.pkts[0]++;
	assert_int_equal(round_at(x, &f, 1, 93, false), 0);
	xtap_exporter_stats(x, &st);
	assert_int_equal(st.errors, errors);
	assert_int_equal(st.unsent, 3);
	f.val.pkts[0]++;
	assert_int_equal(round_at(x, &f, 1, 94, false), 0);
	xtap_exporter_stats(x, &st);
	assert_true(st.errors > errors);
	xtap_exporter_free(x);
}

/* A TCP collector that is not there yet: the first failure is told, the
 * records wait for none, and the connection comes once it is up. */
static void test_tcp_not_yet(void **state)
{
	struct xtap_exporter_opts o = base_opts;
	struct xtap_export_stats st;
	struct xtap_exporter *x;
	struct xtap_flow_entry f;
	struct sockaddr_in a;
	struct err_cap ec;
	struct msg m;
	int lfd, c, one = 1;
	char *err;

	(void)state;
	o.tcp = true;
	lfd = collector(SOCK_STREAM, &o);
	close(lfd);
	assert_int_equal(xtap_exporter_new(&o, &x), 0);
	f = flow(40000, 10, 11, 1, 0);
	stderr_begin(&ec);
	assert_int_equal(round_at(x, &f, 1, 30, false), 0);
	err = stderr_end(&ec);
	assert_non_null(strstr(err, ": connect: Connection refused (retrying)\n"));
	free(err);
	xtap_exporter_stats(x, &st);
	assert_int_equal(st.unsent, 1);

	/* the collector comes up on the same port */
	memcpy(&a, &o.collector, sizeof(a));
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	f.val.pkts[0]++;
	stderr_begin(&ec);
	assert_int_equal(round_at(x, &f, 1, 40, false), 0);
	free(stderr_end(&ec));
	c = accept_one(lfd);
	tcp_msg(c, &m);
	assert_int_equal(m.templates, 1);
	assert_int_equal(m.total, 1);
	/* over TCP the sequence counts what the collector got */
	assert_int_equal(m.seq, 0);
	xtap_exporter_stats(x, &st);
	assert_int_equal(st.sent, 1);
	xtap_exporter_free(x);
	close(c);
	close(lfd);
}

/* JSON lines: one object per record and per service histogram's gain; the
 * histograms go once active_s has passed, or on the forced round. */
static void test_json_lines(void **state)
{
	struct xtap_exporter_opts o = base_opts;
	char path[] = "/tmp/xtap-test-exporter-XXXXXX", line[4096];
	struct xtap_hist_entry h = { 0 };
	struct xtap_export_input in = { .hist = &h, .nhist = 1, .has_hist = true };
	struct xtap_export_stats st;
	struct xtap_exporter *x;
	struct xtap_flow_entry f;
	int fd, flows = 0, lat = 0;
	FILE *r;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	o.json = path;
	assert_int_equal(xtap_exporter_new(&o, &x), 0);
	f = flow(40000, 10, 11, 4, 3);
	f.val.fin[0] = f.val.fin[1] = 1;
	in.flows = &f;
	in.nflows = 1;
	h.key.addr[10] = h.key.addr[11] = 0xff;
	h.key.addr[12] = 10;
	h.key.addr[15] = 2;
	h.key.port = 80;
	h.key.proto = IPPROTO_TCP;
	h.h.count = 3;
	h.h.sum_ns = 3000;
	h.h.bucket[10] = 3;
	/* 13 s: the flow ended; the histograms are not due (since 0 s) */
	assert_int_equal(xtap_exporter_round(x, &in, 13 * S, OFF, false), 0);
	/* 61 s: they are, the gain since the start */
	assert_int_equal(xtap_exporter_round(x, &in, 61 * S, OFF, false), 0);
	/* forced: no gain, no record */
	assert_int_equal(xtap_exporter_round(x, &in, 62 * S, OFF, true), 0);
	xtap_exporter_stats(x, &st);
	assert_int_equal(st.sent, 2);
	xtap_exporter_free(x);

	r = fopen(path, "r");
	assert_non_null(r);
	while (fgets(line, sizeof(line), r)) {
		if (strstr(line, "\"type\":\"flow\"")) {
			flows++;
			assert_non_null(strstr(line, "\"reason\":\"end\""));
			assert_non_null(strstr(line, "\"delta_packets_ab\":4"));
			assert_non_null(strstr(line, "\"delta_bytes_ba\":3000"));
		} else {
			lat++;
			assert_non_null(strstr(line, "\"type\":\"latency\""));
			assert_non_null(strstr(line, "\"server\":\"10.0.0.2\""));
			assert_non_null(strstr(line, "\"count\":3"));
			assert_non_null(strstr(line, "\"end_ns\":1000000061000000000"));
		}
	}
	fclose(r);
	unlink(path);
	assert_int_equal(flows, 1);
	assert_int_equal(lat, 1);
}

static int tunnel_of(const struct xtap_flow_key *k, struct xtap_tunnel *t, void *arg)
{
	static const uint8_t oa[16] = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 1 };
	static const uint8_t ob[16] = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 2 };

	(*(int *)arg)++;
	if (k->tun_id != 42)
		return -ENOENT;
	memset(t, 0, sizeof(*t));
	memcpy(t->outer_a, oa, 16);
	memcpy(t->outer_b, ob, 16);
	t->outer_ip_version = 4;
	t->type = k->tun_type;
	t->id = k->tun_id;
	t->udp_dport = 4789;
	return 0;
}

/* A flow in a tunnel carries its "tunnel" object, the outer endpoints when
 * they are known; a flow outside any has none, and nobody looks it up. */
static void test_json_tunnel(void **state)
{
	struct xtap_exporter_opts o = base_opts;
	char path[] = "/tmp/xtap-test-exporter-XXXXXX", line[4096];
	struct xtap_export_input in = { .tunnel_of = tunnel_of };
	struct xtap_exporter *x;
	struct xtap_flow_entry f[3];
	int fd, lookups = 0, n = 0;
	FILE *r;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	o.json = path;
	assert_int_equal(xtap_exporter_new(&o, &x), 0);
	f[0] = flow(40000, 10, 11, 4, 3);
	f[1] = flow(40001, 10, 11, 4, 3);
	f[1].key.tun_type = XTAP_TUN_VXLAN;
	f[1].key.tun_id = 42;
	f[2] = flow(40002, 10, 11, 4, 3);
	f[2].key.tun_type = XTAP_TUN_GENEVE;
	f[2].key.tun_id = 7;
	in.flows = f;
	in.nflows = 3;
	in.tunnel_arg = &lookups;
	assert_int_equal(xtap_exporter_round(x, &in, 13 * S, OFF, true), 0);
	xtap_exporter_free(x);
	assert_int_equal(lookups, 2);

	r = fopen(path, "r");
	assert_non_null(r);
	while (fgets(line, sizeof(line), r)) {
		const char *t = strstr(line, "\"tunnel\":");

		if (strstr(line, "\"port\":40000"))
			assert_null(t);
		else if (strstr(line, "\"port\":40001"))
			assert_non_null(strstr(line, "\"tunnel\":{\"type\":\"vxlan\",\"id\":42,"
						     "\"outer_src\":\"192.0.2.1\","
						     "\"outer_dst\":\"192.0.2.2\",\"udp_dport\":4789"));
		else
			assert_non_null(strstr(line, "\"tunnel\":{\"type\":\"geneve\",\"id\":7}"));
		n++;
	}
	fclose(r);
	unlink(path);
	assert_int_equal(n, 3);
}

static void test_json_unwritable(void **state)
{
	struct xtap_exporter_opts o = base_opts;
	struct xtap_exporter *x = (void *)1;
	struct err_cap ec;
	char *err;

	(void)state;
	o.json = "/nonexistent/xtap/flows.jsonl";
	stderr_begin(&ec);
	assert_int_equal(xtap_exporter_new(&o, &x), -ENOENT);
	err = stderr_end(&ec);
	assert_null(x);
	assert_string_equal(err, "xtap: export: /nonexistent/xtap/flows.jsonl: No such file or directory\n");
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_templates_and_records),
		cmocka_unit_test(test_udp_split),
		cmocka_unit_test(test_udp_collector_late),
		cmocka_unit_test(test_tcp_reconnects),
		cmocka_unit_test(test_tcp_not_yet),
		cmocka_unit_test(test_json_lines),
		cmocka_unit_test(test_json_tunnel),
		cmocka_unit_test(test_json_unwritable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
