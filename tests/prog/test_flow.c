// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The bidirectional flow table through the real programs: both directions in
 * one entry, the initiator, per-direction counts and the replay clock.
 */
#include "tests/prog/harness.h"

#include <netinet/in.h>
#include <string.h>

struct step {
	int from_client;
	__u8 flags;
	size_t payload;
};

/* Run the steps at T0, T0+1us, ... and check the single entry they make.
 * initiator_client: who the entry must name; syn: whether by a SYN. */
static void conversation(struct env *e, int hook, const struct tcp_conv *c, const struct step *s,
			 size_t n, int initiator_client, int by_syn, const char *what)
{
	struct xtap_flow_key k = conv_key(c);
	struct xtap_flow want = { .first_ns = T0, .last_ns = T0 + (n - 1) * 1000,
				  .first_point = XTAP_POINT(0, hook), .initiator_syn = by_syn };
	struct xtap_stats st = { 0 };
	int dc = c->client_a ? XTAP_DIR_AB : XTAP_DIR_BA;

	want.initiator = initiator_client ? dc : !dc;
	for (size_t i = 0; i < n; i++) {
		int d = s[i].from_client ? dc : !dc;
		struct pb b;

		conv_seg(&b, c, s[i].from_client, s[i].flags, s[i].payload);
		run_pb(e, hook, &b, T0 + i * 1000);
		want.pkts[d]++;
		want.bytes[d] += b.len;
		want.tcp_flags[d] |= s[i].flags;
		want.syn[d] += !!(s[i].flags & PB_SYN);
		want.fin[d] += !!(s[i].flags & PB_FIN);
		want.rst[d] += !!(s[i].flags & PB_RST);
		st.c[XTAP_STAT_TCP]++;
		st.c[XTAP_STAT_BYTES] += b.len;
	}
	st.c[XTAP_STAT_FLOW_NEW] = 1;
	expect_stats(e, hook, &st, what);
	expect_nflows(e, 1, what);
	expect_flow(e, &k, &want, what);
}

static const struct tcp_conv convs[] = {
	{ .client_a = 1 }, { .client_a = 0 },
	{ .client_a = 1, .v6 = 1 }, { .client_a = 0, .v6 = 1, .vlan = 10 },
};

#define FOR_CONV_HOOK(e, ci, hi)                                                               \
	for (size_t ci = 0; ci < sizeof(convs) / sizeof(convs[0]); ci++)                      \
		for (size_t hi = 0; hi < NHOOKS && (env_reset(e), 1); hi++)

static void test_handshake(void **state)
{
	static const struct step s[] = {
		{ 1, PB_SYN, 0 }, { 0, PB_SYN | PB_ACK, 0 }, { 1, PB_ACK, 0 },
		{ 1, PB_ACK | PB_PSH, 100 }, { 0, PB_ACK | PB_PSH, 1000 },
		{ 1, PB_FIN | PB_ACK, 0 }, { 0, PB_FIN | PB_ACK, 0 }, { 1, PB_ACK, 0 },
	};

	FOR_CONV_HOOK(*state, ci, hi)
		conversation(*state, hooks[hi], &convs[ci], s, 8, 1, 1, "handshake and close");
}

static void test_synack_first(void **state)
{
	/* the capture starts at the SYN-ACK; the SYN (late) names the client */
	static const struct step s[] = {
		{ 0, PB_SYN | PB_ACK, 0 }, { 1, PB_SYN, 0 }, { 1, PB_ACK, 0 },
	};

	FOR_CONV_HOOK(*state, ci, hi)
		conversation(*state, hooks[hi], &convs[ci], s, 3, 1, 1, "SYN-ACK seen first");
}

static void test_midstream(void **state)
{
	/* no SYN at all: the first packet seen names the initiator */
	static const struct step s[] = {
		{ 0, PB_ACK | PB_PSH, 10 }, { 1, PB_ACK, 0 }, { 0, PB_SYN | PB_ACK, 0 },
		{ 1, PB_RST, 0 },
	};

	FOR_CONV_HOOK(*state, ci, hi)
		conversation(*state, hooks[hi], &convs[ci], s, 4, 0, 0, "mid-stream");
}

static void test_syn_retransmit(void **state)
{
	/* a second SYN from the client does not move the initiator, nor does a
	 * stray SYN from the server after the client's */
	static const struct step s[] = {
		{ 1, PB_SYN, 0 }, { 1, PB_SYN, 0 }, { 0, PB_SYN, 0 }, { 0, PB_SYN | PB_ACK, 0 },
		{ 1, PB_ACK, 0 },
	};

	FOR_CONV_HOOK(*state, ci, hi)
		conversation(*state, hooks[hi], &convs[ci], s, 5, 1, 1, "SYN retransmit");
}

/* The replay clock: last_ns follows the newest packet, never goes back. */
static void test_clock(void **state)
{
	struct env *e = *state;
	struct tcp_conv c = { .client_a = 1 };
	struct xtap_flow_key k = conv_key(&c);

	for (size_t hi = 0; hi < NHOOKS; hi++) {
		int h = hooks[hi];
		struct xtap_flow want;
		struct pb b1, b2;

		env_reset(e);
		conv_seg(&b1, &c, 1, PB_SYN, 0);
		conv_seg(&b2, &c, 0, PB_SYN | PB_ACK, 0);
		run_pb(e, h, &b1, T0 + 5000);
		run_pb(e, h, &b2, T0 + 9000);
		run_pb(e, h, &b2, T0 + 7000);	/* reordered */
		want = flow1(h, XTAP_DIR_AB, T0 + 5000, b1.len, PB_SYN, 1);
		want.last_ns = T0 + 9000;
		want.pkts[1] = 2;
		want.bytes[1] = 2 * b2.len;
		want.tcp_flags[1] = PB_SYN | PB_ACK;
		want.syn[1] = 2;
		expect_flow(e, &k, &want, "reordered clock");
	}
}

/* Bytes are wire bytes: a frame cut by a snap length counts in full. */
static void test_wire_len(void **state)
{
	struct env *e = *state;
	struct tcp_conv c = { .client_a = 0 };
	struct xtap_flow_key k = conv_key(&c);

	for (size_t hi = 0; hi < NHOOKS; hi++) {
		int h = hooks[hi];
		struct xtap_flow want;
		struct pb b;

		env_reset(e);
		conv_seg(&b, &c, 0, PB_ACK | PB_PSH, 1400);
		run_frame(e, h, b.d, 96, 1514, T0);
		want = flow1(h, XTAP_DIR_AB, T0, 1514, PB_ACK | PB_PSH, 0);
		expect_one(e, h, XTAP_STAT_TCP, 1514, 1, "snap 96 of 1514");
		expect_flow(e, &k, &want, "snap 96 of 1514");
	}
}

/* What separates flows: VLAN, IP version, protocol, ports. */
static void test_keys_apart(void **state)
{
	struct env *e = *state;

	for (size_t hi = 0; hi < NHOOKS; hi++) {
		int h = hooks[hi];
		struct tcp_conv c1 = { .client_a = 1 }, c2 = { .client_a = 1, .vlan = 20 },
			    c3 = { .client_a = 1, .vlan = 30 }, c4 = { .client_a = 1, .v6 = 1 };
		const struct tcp_conv *cs[] = { &c1, &c2, &c3, &c4 };
		struct xtap_stats st = { 0 };
		struct pb b;

		env_reset(e);
		for (size_t i = 0; i < 4; i++) {
			conv_seg(&b, cs[i], 1, PB_SYN, 0);
			run_pb(e, h, &b, T0 + i);
			st.c[XTAP_STAT_TCP]++;
			st.c[XTAP_STAT_BYTES] += b.len;
		}
		st.c[XTAP_STAT_FLOW_NEW] = 4;
		expect_stats(e, h, &st, "four keys");
		expect_nflows(e, 4, "four keys");
		for (size_t i = 0; i < 4; i++) {
			struct xtap_flow_key k = conv_key(cs[i]);
			struct xtap_flow want;

			conv_seg(&b, cs[i], 1, PB_SYN, 0);
			want = flow1(h, XTAP_DIR_AB, T0 + i, b.len, PB_SYN, 1);
			expect_flow(e, &k, &want, "four keys");
		}
	}
}

/* Same address on both sides (loopback): the ports order the sides. */
static void test_same_address(void **state)
{
	struct env *e = *state;
	struct xtap_flow_key k = key4(PB_IP4(127, 0, 0, 1), 8080, PB_IP4(127, 0, 0, 1), 9090,
				      IPPROTO_UDP, 0);

	for (size_t hi = 0; hi < NHOOKS; hi++) {
		int h = hooks[hi];
		struct pb_ip4 ip = { .saddr = PB_IP4(127, 0, 0, 1), .daddr = PB_IP4(127, 0, 0, 1) };
		struct xtap_flow want;
		struct pb q, r;

		env_reset(e);
		pb_init(&q, PB_MAC_A, PB_MAC_A);
		pb_ipv4(&q, &ip);
		pb_udp(&q, 9090, 8080);
		pb_payload(&q, NULL, 5);
		pb_finish(&q);
		pb_init(&r, PB_MAC_A, PB_MAC_A);
		pb_ipv4(&r, &ip);
		pb_udp(&r, 8080, 9090);
		pb_payload(&r, NULL, 50);
		pb_finish(&r);
		run_pb(e, h, &q, T0);
		run_pb(e, h, &r, T0 + 1);
		want = flow1(h, XTAP_DIR_BA, T0, q.len, 0, 0);
		want.pkts[0] = 1;
		want.bytes[0] = r.len;
		want.last_ns = T0 + 1;
		expect_nflows(e, 1, "loopback");
		expect_flow(e, &k, &want, "loopback");
	}
}

struct collected {
	struct xtap_flow_entry *v;
	size_t n, cap, calls, stop_after;
};

/* xtap_flows_each's batches gathered into one array. */
static int collect(const struct xtap_flow_entry *v, size_t n, void *arg)
{
	struct collected *c = arg;

	if (c->n + n > c->cap) {
		c->cap = (c->n + n) * 2;
		c->v = realloc(c->v, c->cap * sizeof(*c->v));
		assert_non_null(c->v);
	}
	memcpy(c->v + c->n, v, n * sizeof(*v));
	c->n += n;
	return ++c->calls == c->stop_after ? -EINTR : 0;
}

/* Every flow of xtap_flows_read (in the table's order, and sorted by key)
 * and xtap_flows_each (batches, read by a second thread) carries the
 * write-back deltas xtap_flow_lookup adds. */
static void expect_dumps_merged(struct env *e, size_t want, const char *what)
{
	static const char *const how[3] = { "xtap_flows_read", "xtap_flows_read by key",
						    "xtap_flows_each" };

	for (int m = 0; m < 3; m++) {
		struct xtap_flow_entry *f = NULL;
		struct collected c = { 0 };
		size_t n = 0;

		if (m == 2) {
			assert_int_equal(xtap_flows_each(e->flows_fd, fcache_fd(e), collect, &c), 0);
			f = c.v;
			n = c.n;
		} else {
			assert_int_equal(xtap_flows_read(e->flows_fd, fcache_fd(e),
							 m ? XTAP_SORT_KEY : XTAP_SORT_NONE, &f, &n), 0);
		}
		assert_int_equal(n, want);
		for (size_t i = 0; i < n; i++) {
			struct xtap_flow v;

			assert_int_equal(xtap_flow_lookup(e->flows_fd, fcache_fd(e), &f[i].key, &v), 0);
			if (memcmp(&v, &f[i].val, sizeof(v))) {
				print_error("%s: %s: flow %zu differs from its lookup\n", what, how[m], i);
				free(f);
				fail();
			}
			if (m == 1 && i)
				assert_true(memcmp(&f[i - 1].key, &f[i].key, sizeof(f[i].key)) < 0);
		}
		free(f);
	}
}

static int by_key(const void *a, const void *b)
{
	return memcmp(&((const struct xtap_flow_entry *)a)->key,
		      &((const struct xtap_flow_entry *)b)->key, sizeof(struct xtap_flow_key));
}

/*
 * A table of many batches (xtap_flows_each reads 4096 flows a batch into 4
 * slots it reuses): the flows streamed are exactly the flows read whole,
 * write-back deltas included; a callback that fails stops the walk and its
 * error comes back.
 */
static int env_setup_big(void **state)
{
	return env_setup_sized(state, 0, 32768);
}

static void test_streamed_dump(void **state)
{
	struct env *e = *state;
	enum { FLOWS = 5 * 4096 + 123 };
	struct collected c = { 0 }, stop = { .stop_after = 2 };
	struct xtap_flow_entry *f = NULL;
	size_t n = 0;

	for (int i = 0; i < FLOWS; i++) {
		struct pb_ip4 ip;
		struct pb b;

		ip4_ab(&ip, 1);
		pb_init(&b, PB_MAC_B, PB_MAC_A);
		pb_ipv4(&b, &ip);
		pb_udp(&b, (__u16)(1024 + i % 60000), (__u16)(53 + i / 60000));
		pb_payload(&b, NULL, (size_t)i % 50);
		pb_finish(&b);
		run_pb(e, XTAP_HOOK_XDP, &b, T0 + (__u64)i);
		if (i % 7 == 0)		/* a second packet, held in a write-back entry */
			run_pb(e, XTAP_HOOK_XDP, &b, T0 + (__u64)i + 1);
	}
	assert_int_equal(xtap_flows_read(e->flows_fd, fcache_fd(e), XTAP_SORT_NONE, &f, &n), 0);
	assert_int_equal(n, FLOWS);
	assert_int_equal(xtap_flows_each(e->flows_fd, fcache_fd(e), collect, &c), 0);
	assert_int_equal(c.n, FLOWS);
	assert_true(c.calls >= FLOWS / 4096);
	qsort(f, n, sizeof(*f), by_key);
	qsort(c.v, c.n, sizeof(*c.v), by_key);
	for (size_t i = 0; i < n; i++)
		if (memcmp(&f[i], &c.v[i], sizeof(f[i])))
			fail_msg("streamed flow %zu differs from the whole read", i);
	assert_int_equal(xtap_flows_each(e->flows_fd, fcache_fd(e), collect, &stop), -EINTR);
	assert_int_equal(stop.calls, 2);
	free(stop.v);
	free(c.v);
	free(f);
}

/*
 * The per-CPU write-back entries (XTAP_FCACHE_BATCH packets per flush): a
 * conversation far longer than a batch, read while packets are still held
 * per CPU and again after its close, comes out exact; so do two flows that
 * share one entry slot and push each other out on every packet.
 */
static void test_write_back_long(void **state)
{
	enum { N = 3 + 2 * XTAP_FCACHE_BATCH + 37 + 3 };
	static struct step s[N];
	size_t i = 0;

	s[i++] = (struct step){ 1, PB_SYN, 0 };
	s[i++] = (struct step){ 0, PB_SYN | PB_ACK, 0 };
	s[i++] = (struct step){ 1, PB_ACK, 0 };
	while (i < N - 3)
		s[i++] = (struct step){ (int)(i & 1), PB_ACK | PB_PSH, 10 + i };
	s[i++] = (struct step){ 1, PB_FIN | PB_ACK, 0 };
	s[i++] = (struct step){ 0, PB_FIN | PB_ACK, 0 };
	s[i++] = (struct step){ 1, PB_ACK, 0 };

	FOR_CONV_HOOK(*state, ci, hi) {
		/* before the FIN: the last 37 + data packets are held per CPU */
		conversation(*state, hooks[hi], &convs[ci], s, N - 3, 1, 1, "long, held");
		expect_dumps_merged(*state, 1, "long, held");
		env_reset(*state);
		conversation(*state, hooks[hi], &convs[ci], s, N, 1, 1, "long, closed");
	}
}

/* The slot a key takes in the write-back array, as flow.h computes it. */
static __u32 fcache_slot_of(const struct xtap_flow_key *k)
{
	__u64 w[5], h;

	memcpy(w, k, sizeof(w));
	h = w[0] ^ w[1] ^ w[2] ^ w[3] ^ w[4];
	h ^= h >> 32;
	h ^= h >> 16;
	h ^= h >> 8;
	return (__u32)h & (XTAP_FCACHE_SLOTS - 1);
}

static void test_write_back_collision(void **state)
{
	struct env *e = *state;
	struct xtap_flow_key k1 = key4(IP_A, 40000, IP_B, 53, IPPROTO_UDP, 0), k2;
	__u16 p2 = 40001;
	enum { N = 150 };

	for (; p2 < 65535; p2++) {
		k2 = key4(IP_A, p2, IP_B, 53, IPPROTO_UDP, 0);
		if (fcache_slot_of(&k2) == fcache_slot_of(&k1))
			break;
	}
	assert_true(p2 < 65535);
	for (size_t hi = 0; hi < NHOOKS; hi++) {
		struct xtap_flow w1 = { 0 }, w2 = { 0 };
		struct pb b;

		env_reset(e);
		for (int i = 0; i < 2 * N; i++) {
			struct pb_ip4 ip;
			__u64 now = T0 + (__u64)i * 1000;
			struct xtap_flow *w = i & 1 ? &w2 : &w1;

			ip4_ab(&ip, 1);
			pb_init(&b, PB_MAC_B, PB_MAC_A);
			pb_ipv4(&b, &ip);
			pb_udp(&b, i & 1 ? p2 : 40000, 53);
			pb_payload(&b, NULL, (size_t)i % 50);
			pb_finish(&b);
			run_pb(e, hooks[hi], &b, now);
			if (!w->pkts[0]) {
				*w = flow1(hooks[hi], XTAP_DIR_AB, now, b.len, 0, 0);
				continue;
			}
			w->pkts[0]++;
			w->bytes[0] += b.len;
			w->last_ns = now;
		}
		expect_nflows(e, 2, "two flows in one write-back slot");
		expect_flow(e, &k1, &w1, "first of two flows in one slot");
		expect_flow(e, &k2, &w2, "second of two flows in one slot");
		expect_dumps_merged(e, 2, "two flows in one slot");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)
		T(test_handshake),
		T(test_synack_first),
		T(test_midstream),
		T(test_syn_retransmit),
		T(test_clock),
		T(test_wire_len),
		T(test_keys_apart),
		T(test_same_address),
		T(test_write_back_long),
		T(test_write_back_collision),
		cmocka_unit_test_setup_teardown(test_streamed_dump, env_setup_big, env_teardown),
#undef T
	};

	return cmocka_run_group_tests_name("prog/flow", tests, NULL, NULL);
}
