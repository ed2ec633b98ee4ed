// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Retransmissions, passive RTT from TCP timestamps and the per-service
 * histograms, through the real programs on crafted segments: retransmitted
 * and partly overlapping data, sequence wraparound, SYN and FIN taking a
 * sequence number, keepalive probes, a new connection on the same ports;
 * TSval/TSecr echoes, skipped echoes; all of it through the per-CPU
 * write-back entries (more packets than a batch) and read while held.
 */
#include "tests/prog/harness.h"

#include <netinet/in.h>
#include <string.h>

#include "user/latency.h"

static const struct tcp_conv convs[] = {
	{ .client_a = 1 }, { .client_a = 0 },
	{ .client_a = 1, .v6 = 1 }, { .client_a = 0, .v6 = 1, .vlan = 7 },
};
#define NCONVS (sizeof(convs) / sizeof(convs[0]))

/* A segment without and with timestamps (NOP NOP TS). */
#define SEG(c, f, q, l, t) ((struct seg){ .from_client = (c), .flags = (f), .seq = (q), .len = (l), .at = (t) })
#define TSEG(c, f, q, l, t, v, e)                                                              \
	((struct seg){ .from_client = (c), .flags = (f), .seq = (q), .len = (l), .at = (t),      \
		       .ts = 1, .tsval = (v), .tsecr = (e) })

#define CISN 1000u
#define SISN 5000u

struct seg {
	int from_client;
	__u8 flags;
	__u32 seq;
	__u32 len;
	__u64 at;		/* ns after T0 */
	int ts;			/* carries NOP NOP TS */
	__u32 tsval, tsecr;
};

static void seg_build(struct pb *b, const struct tcp_conv *c, const struct seg *s)
{
	int from_a = c->client_a ? s->from_client : !s->from_client;
	__u8 opt[12];
	size_t olen = s->ts ? pb_opt_ts(opt, s->tsval, s->tsecr) : 0;

	pb_eth_ip(b, c->v6, c->vlan, s->from_client, from_a);
	pb_tcp(b, &(struct pb_tcp){ .sport = s->from_client ? CONV_CPORT : CONV_SPORT,
				    .dport = s->from_client ? CONV_SPORT : CONV_CPORT,
				    .seq = s->seq, .ack = 1, .flags = s->flags,
				    .opts = s->ts ? opt : NULL, .opts_len = olen });
	pb_payload(b, NULL, s->len);
	pb_finish(b);
}

/* Run the segments, return the flow (write-back deltas merged). */
static struct xtap_flow run_segs(struct env *e, int hook, const struct tcp_conv *c,
				 const struct seg *s, size_t n)
{
	struct xtap_flow_key k = conv_key(c);
	struct xtap_flow got;

	env_reset(e);
	for (size_t i = 0; i < n; i++) {
		struct pb b;

		seg_build(&b, c, &s[i]);
		run_pb(e, hook, &b, T0 + s[i].at);
	}
	expect_nflows(e, 1, "segments");
	assert_int_equal(xtap_flow_lookup(e->flows_fd, fcache_fd(e), &k, &got), 0);
	return got;
}

/* Retransmissions of the client's and the server's direction must be want_c
 * and want_s, for every conversation layout and hook. */
static void expect_retrans(struct env *e, const struct seg *s, size_t n, __u32 want_c,
			   __u32 want_s, const char *what)
{
	for (size_t ci = 0; ci < NCONVS; ci++)
		for (size_t hi = 0; hi < NHOOKS; hi++) {
			const struct tcp_conv *c = &convs[ci];
			struct xtap_flow f = run_segs(e, hooks[hi], c, s, n);
			int dc = c->client_a ? XTAP_DIR_AB : XTAP_DIR_BA;

			if (f.retrans[dc] != want_c || f.retrans[!dc] != want_s) {
				print_error("%s [%s, client %c%s]: retransmits client %u server %u, "
					    "want %u and %u\n", what, hook_str(hooks[hi]),
					    c->client_a ? 'a' : 'b', c->v6 ? ", v6" : "",
					    f.retrans[dc], f.retrans[!dc], want_c, want_s);
				fail();
			}
		}
}

/* The handshake, then n segments of the client's data of 100 bytes each. */
static size_t handshake(struct seg *s)
{
	s[0] = SEG(1, PB_SYN, CISN, 0, 0);
	s[1] = SEG(0, PB_SYN | PB_ACK, SISN, 0, 1000);
	s[2] = SEG(1, PB_ACK, CISN + 1, 0, 2000);
	return 3;
}

/* In-order data both ways: none. The second copy of one segment of each
 * side: one each, on the write-back path. */
static void test_retransmit(void **state)
{
	struct seg s[16];
	size_t n = handshake(s);

	for (int i = 0; i < 4; i++) {
		s[n++] = SEG(1, PB_ACK | PB_PSH, CISN + 1 + 100 * i, 100, 10000 + i * 10);
		s[n++] = SEG(0, PB_ACK | PB_PSH, SISN + 1 + 50 * i, 50, 10005 + i * 10);
	}
	expect_retrans(*state, s, n, 0, 0, "in order");
	s[n++] = SEG(1, PB_ACK, CISN + 1 + 100, 100, 20000);
	s[n++] = SEG(0, PB_ACK, SISN + 1, 50, 20001);
	expect_retrans(*state, s, n, 1, 1, "one copy each");
	/* new data after them is not */
	s[n++] = SEG(1, PB_ACK, CISN + 401, 100, 20002);
	expect_retrans(*state, s, n, 1, 1, "new data after");
}

/* A segment that starts below the mark and ends past it counts (as in
 * Wireshark) and moves the mark: what follows it is new. */
static void test_partial_overlap(void **state)
{
	struct seg s[8];
	size_t n = handshake(s);

	s[n++] = SEG(1, PB_ACK, CISN + 1, 100, 10000);
	s[n++] = SEG(1, PB_ACK, CISN + 51, 100, 10001);	/* 51..151 */
	s[n++] = SEG(1, PB_ACK, CISN + 151, 10, 10002);
	s[n++] = SEG(1, PB_ACK, CISN + 140, 30, 10003);	/* 140..170 */
	expect_retrans(*state, s, n, 2, 0, "partial overlap");
}

/* Sequence numbers that wrap past 2^32. */
static void test_wraparound(void **state)
{
	const __u32 isn = 0xffffff00u;
	struct seg s[8] = {
		SEG(1, PB_SYN, isn, 0, 0),
		SEG(0, PB_SYN | PB_ACK, SISN, 0, 1000),
		SEG(1, PB_ACK, isn + 1, 0, 2000),
		SEG(1, PB_ACK, isn + 1, 0x200, 3000),		/* ends at 0x101 */
		SEG(1, PB_ACK, 0x101, 100, 4000),		/* new, past the wrap */
		SEG(1, PB_ACK, isn + 0x81, 100, 5000),		/* old, before it */
		SEG(1, PB_ACK, 0x101, 100, 6000),		/* old, after it */
		SEG(1, PB_ACK, 0x165, 100, 7000),		/* new */
	};

	expect_retrans(*state, s, 8, 2, 0, "wraparound");
}

/* SYN and FIN each take a sequence number: a retransmitted SYN, SYN-ACK and
 * FIN count; the data right after the SYN, the ACK after the FIN do not. */
static void test_syn_fin(void **state)
{
	struct seg s[] = {
		SEG(1, PB_SYN, CISN, 0, 0),
		SEG(1, PB_SYN, CISN, 0, 1000000),		/* retransmitted SYN */
		SEG(0, PB_SYN | PB_ACK, SISN, 0, 1001000),
		SEG(0, PB_SYN | PB_ACK, SISN, 0, 1002000),	/* and SYN-ACK */
		SEG(1, PB_ACK, CISN + 1, 0, 1003000),
		SEG(1, PB_ACK | PB_PSH, CISN + 1, 10, 1004000),	/* first byte: CISN + 1 */
		SEG(1, PB_FIN | PB_ACK, CISN + 11, 0, 1005000),
		SEG(1, PB_FIN | PB_ACK, CISN + 11, 0, 1006000),	/* retransmitted FIN */
		SEG(0, PB_FIN | PB_ACK, SISN + 1, 0, 1007000),
		SEG(1, PB_ACK, CISN + 12, 0, 1008000),		/* the last ACK */
	};

	expect_retrans(*state, s, sizeof(s) / sizeof(s[0]), 2, 1, "SYN and FIN");
}

/* Keepalive probes (0 or 1 byte at the mark less one) are not
 * retransmissions; 2 bytes there are. */
static void test_keepalive(void **state)
{
	struct seg s[8];
	size_t n = handshake(s);

	s[n++] = SEG(1, PB_ACK, CISN + 1, 100, 10000);
	s[n++] = SEG(1, PB_ACK, CISN + 100, 0, 20000);
	s[n++] = SEG(1, PB_ACK, CISN + 100, 1, 30000);
	expect_retrans(*state, s, n, 0, 0, "keepalive");
	s[n++] = SEG(1, PB_ACK, CISN + 99, 2, 40000);
	expect_retrans(*state, s, n, 1, 0, "two bytes below the mark");
}

/* A SYN with another initial sequence number is a new connection on the
 * same ports: it starts the direction over. */
static void test_new_isn(void **state)
{
	struct seg s[] = {
		SEG(1, PB_SYN, CISN, 0, 0),
		SEG(1, PB_ACK, CISN + 1, 500, 1000),
		SEG(1, PB_SYN, 10, 0, 2000),			/* below the mark, new ISN */
		SEG(1, PB_ACK, 11, 100, 3000),
		SEG(1, PB_ACK, 11, 100, 4000),			/* a copy */
	};

	expect_retrans(*state, s, sizeof(s) / sizeof(s[0]), 1, 0, "new ISN");
}

/* A long conversation, several write-back batches, a copy in each: read
 * while the last ones are still held in the entry, and after the close. */
static void test_write_back(void **state)
{
	enum { DATA = 3 * XTAP_FCACHE_BATCH + 7 };
	static struct seg s[3 + DATA + 2];
	size_t n = handshake(s);
	__u32 copies = 0, next = CISN + 1;

	for (int i = 0; i < DATA; i++) {
		if (i % 40 == 39) {
			s[n++] = SEG(1, PB_ACK, next - 100, 100, 10000 + i);
			copies++;
		} else {
			s[n++] = SEG(1, PB_ACK, next, 100, 10000 + i);
			next += 100;
		}
	}
	expect_retrans(*state, s, n, copies, 0, "held");
	s[n++] = SEG(1, PB_FIN | PB_ACK, next, 0, 900000);
	s[n++] = SEG(1, PB_FIN | PB_ACK, next, 0, 900001);
	expect_retrans(*state, s, n, copies + 1, 0, "closed");
}

/* The service's histogram of kind, summed over CPUs; 0 count if absent. */
static struct xtap_hist hist_of(struct env *e, const struct tcp_conv *c, int kind)
{
	struct xtap_hist_entry *v;
	struct xtap_hist h = { 0 };
	struct xtap_flow_key k = conv_key(c);
	size_t n;

	assert_int_equal(xtap_hist_dump(bpf_map__fd(e->skel->maps.xtap_hist), &v, &n), 0);
	for (size_t i = 0; i < n; i++) {
		const __u8 *addr = c->client_a ? k.addr_b : k.addr_a;

		if (!memcmp(v[i].key.addr, addr, 16) && v[i].key.port == CONV_SPORT &&
		    v[i].key.proto == IPPROTO_TCP && v[i].key.kind == kind)
			xtap_hist_merge(&h, &v[i].h);
	}
	free(v);
	return h;
}

static void hist_clear(struct env *e)
{
	int fd = bpf_map__fd(e->skel->maps.xtap_hist);
	struct xtap_svc_key k;

	while (bpf_map_get_next_key(fd, NULL, &k) == 0)
		assert_int_equal(bpf_map_delete_elem(fd, &k), 0);
}

/*
 * Timestamps: the client's TSval 100 is echoed 300 us later, the server's
 * 7000 50 us after it was seen. Then the client's 101 is pending while 102
 * goes out; the server echoes 102 first: 101's echo was skipped, no sample;
 * 103 is then timed (400 us). Many segments with unchanged timestamps in
 * between ride the write-back path.
 */
static void test_passive_rtt(void **state)
{
	struct env *e = *state;
	static struct seg s[3 + 2 * XTAP_FCACHE_BATCH + 16];
	size_t n = 0;

	s[n++] = TSEG(1, PB_SYN, CISN, 0, 0, 90, 0);
	s[n++] = TSEG(0, PB_SYN | PB_ACK, SISN, 0, 100000, 6990, 90);
	s[n++] = TSEG(1, PB_ACK, CISN + 1, 0, 130000, 90, 6990);
	/* sample 1 of each side's handshake TSvals: client 90 (100 us),
	 * server 6990 (30 us) */
	s[n++] = TSEG(1, PB_ACK, CISN + 1, 10, 1000000, 100, 6990);
	for (int i = 0; i < XTAP_FCACHE_BATCH; i++)	/* unchanged: no lookups */
		s[n++] = TSEG(1, PB_ACK, CISN + 11, 0, 1000100 + i, 100, 6990);
	s[n++] = TSEG(0, PB_ACK, SISN + 1, 10, 1300000, 7000, 100);
	s[n++] = TSEG(1, PB_ACK, CISN + 11, 0, 1350000, 100, 7000);
	s[n++] = TSEG(1, PB_ACK, CISN + 11, 10, 2000000, 101, 7000);
	s[n++] = TSEG(1, PB_ACK, CISN + 21, 10, 2100000, 102, 7000);
	s[n++] = TSEG(0, PB_ACK, SISN + 11, 0, 2300000, 7000, 102);
	s[n++] = TSEG(1, PB_ACK, CISN + 31, 10, 3000000, 103, 7000);
	for (int i = 0; i < XTAP_FCACHE_BATCH; i++)
		s[n++] = TSEG(0, PB_ACK, SISN + 11, 0, 3000100 + i, 7000, 102);
	s[n++] = TSEG(0, PB_ACK, SISN + 11, 0, 3400000, 7000, 103);

	for (size_t ci = 0; ci < NCONVS; ci++)
		for (size_t hi = 0; hi < NHOOKS; hi++) {
			const struct tcp_conv *c = &convs[ci];
			int dc = c->client_a ? XTAP_DIR_AB : XTAP_DIR_BA, ds = !dc;
			struct xtap_flow f;
			struct xtap_hist h;

			hist_clear(e);
			f = run_segs(e, hooks[hi], c, s, n);
			/* client: 100 us, 300 us, 400 us; server: 30 us, 50 us */
			assert_int_equal(f.rtt_samples[dc], 3);
			assert_int_equal(f.rtt_min_ns[dc], 100000);
			assert_int_equal(f.rtt_max_ns[dc], 400000);
			assert_int_equal(f.rtt_sum_ns[dc], 800000);
			assert_int_equal(f.rtt_samples[ds], 2);
			assert_int_equal(f.rtt_min_ns[ds], 30000);
			assert_int_equal(f.rtt_max_ns[ds], 50000);
			assert_int_equal(f.rtt_sum_ns[ds], 80000);
			/* the client's samples only, in the server's histogram */
			h = hist_of(e, c, XTAP_LAT_RTT);
			assert_int_equal(h.count, 3);
			assert_int_equal(h.max_ns, 400000);
			assert_int_equal(h.sum_ns, 800000);
			assert_int_equal(h.bucket[16], 1);	/* 100 us: [65.5, 131) us */
			assert_int_equal(h.bucket[18], 2);	/* 300, 400 us: [262, 524) us */
			/* and the handshake: 100 us + 30 us */
			h = hist_of(e, c, XTAP_LAT_HANDSHAKE);
			assert_int_equal(h.count, 1);
			assert_int_equal(h.max_ns, 130000);
			assert_int_equal(h.bucket[16], 1);
		}
}

/* No timestamps: no samples; an unanswered SYN: no handshake histogram. */
static void test_no_samples(void **state)
{
	struct env *e = *state;
	struct seg s[] = {
		SEG(1, PB_SYN, CISN, 0, 0), SEG(1, PB_SYN, CISN, 0, 1000000000),
	};
	struct seg d[8];
	size_t n = handshake(d);
	struct xtap_flow f;

	d[n++] = SEG(1, PB_ACK, CISN + 1, 10, 10000);
	d[n++] = SEG(0, PB_ACK, SISN + 1, 10, 20000);
	hist_clear(e);
	f = run_segs(e, XTAP_HOOK_XDP, &convs[0], d, n);
	assert_int_equal(f.rtt_samples[0] + f.rtt_samples[1], 0);
	assert_int_equal(hist_of(e, &convs[0], XTAP_LAT_RTT).count, 0);
	assert_int_equal(hist_of(e, &convs[0], XTAP_LAT_HANDSHAKE).count, 1);
	hist_clear(e);
	f = run_segs(e, XTAP_HOOK_XDP, &convs[0], s, 2);
	assert_int_equal(f.retrans[0], 1);
	assert_int_equal(f.syn_retransmits, 1);
	assert_int_equal(hist_of(e, &convs[0], XTAP_LAT_HANDSHAKE).count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)
		T(test_retransmit),
		T(test_partial_overlap),
		T(test_wraparound),
		T(test_syn_fin),
		T(test_keepalive),
		T(test_new_isn),
		T(test_write_back),
		T(test_passive_rtt),
		T(test_no_samples),
#undef T
	};

	return cmocka_run_group_tests_name("prog/retrans", tests, NULL, NULL);
}
