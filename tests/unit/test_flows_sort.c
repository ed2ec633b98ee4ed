// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* user/maps.c xtap_flows_sort: each order and its tie-break on the key. */
#include "tests/unit/unit_util.h"
#include "user/maps.h"

/* An IPv4 TCP flow 10.0.0.<a> -> 10.0.0.2:<port>, tagged by id in port_a. */
static struct xtap_flow_entry flow(__u16 id, __u8 a, __u16 port, __u64 pkts, __u64 bytes,
				   __u64 first)
{
	struct xtap_flow_entry e;

	memset(&e, 0, sizeof(e));
	e.key.addr_a[10] = e.key.addr_a[11] = 0xff;
	e.key.addr_a[12] = 10;
	e.key.addr_a[15] = a;
	e.key.addr_b[10] = e.key.addr_b[11] = 0xff;
	e.key.addr_b[12] = 10;
	e.key.addr_b[15] = 2;
	e.key.port_a = id;
	e.key.port_b = port;
	e.key.proto = 6;
	e.key.ip_version = 4;
	/* odd ids send mostly one way, even ids the other: the sum is what counts */
	e.val.pkts[id & 1] = pkts / 4;
	e.val.pkts[!(id & 1)] = pkts - pkts / 4;
	e.val.bytes[id & 1] = bytes - bytes / 8;
	e.val.bytes[!(id & 1)] = bytes / 8;
	e.val.first_ns = first;
	e.val.last_ns = first + 1000;
	return e;
}

#define N 6

/*
 * id  addr  port  pkts  bytes  first
 *  1    1     80    10    500    300
 *  2    1     81    10    900    100
 *  3    3     80     5    900    100
 *  4    1     79    30    100    200
 *  5    2     80    10    500    400
 *  6    1     80     1    900    300
 * Keys compare addr_a first, then addr_b, then port_a (the id), port_b.
 */
static void fill(struct xtap_flow_entry *f)
{
	f[0] = flow(4, 1, 79, 30, 100, 200);
	f[1] = flow(5, 2, 80, 10, 500, 400);
	f[2] = flow(1, 1, 80, 10, 500, 300);
	f[3] = flow(6, 1, 80, 1, 900, 300);
	f[4] = flow(3, 3, 80, 5, 900, 100);
	f[5] = flow(2, 1, 81, 10, 900, 100);
}

static void expect_order(const struct xtap_flow_entry *f, const __u16 *ids)
{
	for (int i = 0; i < N; i++)
		if (f[i].key.port_a != ids[i])
			fail_msg("position %d: flow %u, expected %u", i, f[i].key.port_a, ids[i]);
}

static void test_by_bytes(void **state)
{
	struct xtap_flow_entry f[N];
	/* 900: 2, 6 (addr 1; port_a 2 < 6), then 3 (addr 3); 500: 1 (addr 1), 5 (addr 2); 100: 4 */
	static const __u16 want[N] = { 2, 6, 3, 1, 5, 4 };

	(void)state;
	fill(f);
	xtap_flows_sort(f, N, XTAP_SORT_BYTES, NULL);
	expect_order(f, want);
}

static void test_by_packets(void **state)
{
	struct xtap_flow_entry f[N];
	/* 30: 4; 10: 1, 2 (addr 1; port_a 1 < 2), 5 (addr 2); 5: 3; 1: 6 */
	static const __u16 want[N] = { 4, 1, 2, 5, 3, 6 };

	(void)state;
	fill(f);
	xtap_flows_sort(f, N, XTAP_SORT_PACKETS, NULL);
	expect_order(f, want);
}

static void test_by_age(void **state)
{
	struct xtap_flow_entry f[N];
	/* oldest first: 100: 2 (addr 1), 3 (addr 3); 200: 4; 300: 1, 6; 400: 5 */
	static const __u16 want[N] = { 2, 3, 4, 1, 6, 5 };

	(void)state;
	fill(f);
	xtap_flows_sort(f, N, XTAP_SORT_AGE, NULL);
	expect_order(f, want);
}

/* Rates given per flow (a --watch interval's), highest first; without them,
 * each flow's bytes over its life; ties in the key's order. */
static void test_by_rate(void **state)
{
	struct xtap_flow_entry f[N];
	static const double rate[N] = { 5, 1.5, 1.5, 0, 100, 2.25 };
	static const __u16 want[N] = { 3, 4, 2, 1, 5, 6 };
	/* every flow lives 1000 ns: the order of the bytes */
	static const __u16 by_life[N] = { 2, 6, 3, 1, 5, 4 };

	(void)state;
	fill(f);
	assert_int_equal(xtap_flows_sort(f, N, XTAP_SORT_RATE, rate), 0);
	expect_order(f, want);
	fill(f);
	assert_int_equal(xtap_flows_sort(f, N, XTAP_SORT_RATE, NULL), 0);
	expect_order(f, by_life);
}

/* The order read: nothing moves. */
static void test_none(void **state)
{
	struct xtap_flow_entry f[N];
	static const __u16 want[N] = { 4, 5, 1, 6, 3, 2 };

	(void)state;
	fill(f);
	assert_int_equal(xtap_flows_sort(f, N, XTAP_SORT_NONE, NULL), 0);
	expect_order(f, want);
}

static void test_by_key(void **state)
{
	struct xtap_flow_entry f[N];
	/* addr 1: port_a 1, 2, 4, 6; addr 2: 5; addr 3: 3 */
	static const __u16 want[N] = { 1, 2, 4, 6, 5, 3 };

	(void)state;
	fill(f);
	xtap_flows_sort(f, N, XTAP_SORT_KEY, NULL);
	expect_order(f, want);
}

/* Totals beyond 32 bits must not wrap in the comparison. */
static void test_large_counts(void **state)
{
	struct xtap_flow_entry f[3];

	(void)state;
	f[0] = flow(1, 1, 80, 1, 1, 0);
	f[1] = flow(2, 1, 80, 1ull << 33, 1ull << 40, 0);
	f[2] = flow(3, 1, 80, (1ull << 32) + 1, (1ull << 32) + 1, 0);
	xtap_flows_sort(f, 3, XTAP_SORT_BYTES, NULL);
	assert_int_equal(f[0].key.port_a, 2);
	assert_int_equal(f[1].key.port_a, 3);
	assert_int_equal(f[2].key.port_a, 1);
	xtap_flows_sort(f, 3, XTAP_SORT_PACKETS, NULL);
	assert_int_equal(f[0].key.port_a, 2);
	assert_int_equal(f[1].key.port_a, 3);
	assert_int_equal(f[2].key.port_a, 1);
	f[0].val.first_ns = 1ull << 62;
	f[1].val.first_ns = 1;
	f[2].val.first_ns = 1ull << 40;
	xtap_flows_sort(f, 3, XTAP_SORT_AGE, NULL);
	assert_int_equal(f[0].key.port_a, 3);
	assert_int_equal(f[1].key.port_a, 1);
	assert_int_equal(f[2].key.port_a, 2);
}

static void test_empty_and_single(void **state)
{
	struct xtap_flow_entry one = flow(7, 1, 80, 1, 1, 1), copy = one;

	(void)state;
	assert_int_equal(xtap_flows_sort(NULL, 0, XTAP_SORT_BYTES, NULL), 0);
	xtap_flows_sort(&one, 1, XTAP_SORT_AGE, NULL);
	assert_memory_equal(&one, &copy, sizeof(one));
}

static __u64 sum_of(const __u64 *v)
{
	return v[0] + v[1];
}

/* Bytes per second over the flow's life; 0 for a flow of no duration. */
static double life_rate(const struct xtap_flow_entry *e)
{
	__u64 life = e->val.last_ns - e->val.first_ns;

	return life ? (double)sum_of(e->val.bytes) * 1e9 / (double)life : 0;
}

/* The orders spelt out with memcmp on the key, for test_many. */
static int want_cmp(const struct xtap_flow_entry *a, const struct xtap_flow_entry *b,
		    enum xtap_sort by)
{
	__u64 x = 0, y = 0;

	if (by == XTAP_SORT_BYTES)
		x = sum_of(b->val.bytes), y = sum_of(a->val.bytes);
	else if (by == XTAP_SORT_PACKETS)
		x = sum_of(b->val.pkts), y = sum_of(a->val.pkts);
	else if (by == XTAP_SORT_AGE)
		x = a->val.first_ns, y = b->val.first_ns;
	else if (by == XTAP_SORT_RATE) {
		double ra = life_rate(a), rb = life_rate(b);

		if (ra != rb)
			return ra > rb ? -1 : 1;
	}
	if (x != y)
		return x < y ? -1 : 1;
	return memcmp(&a->key, &b->key, sizeof(a->key));
}

/* Thousands of flows, many ties, keys that differ in any byte and in IPv6:
 * every order holds pair by pair and every flow is still there, whole. */
static void test_many(void **state)
{
	enum { M = 5003 };
	struct xtap_flow_entry *f = calloc(M, sizeof(*f));
	__u64 *seen = calloc(M, sizeof(*seen));
	unsigned int seed = 7;

	(void)state;
	assert_non_null(f);
	assert_non_null(seen);
	for (int by = XTAP_SORT_BYTES; by <= XTAP_SORT_KEY; by++) {
		for (size_t i = 0; i < M; i++) {
			f[i] = flow((__u16)(rand_r(&seed) % 7), (__u8)(rand_r(&seed) % 5),
				    (__u16)(rand_r(&seed) % 3), (__u64)(rand_r(&seed) % 20),
				    (__u64)(rand_r(&seed) % 30) << (i % 40), (__u64)(rand_r(&seed) % 50));
			if (i % 3 == 0) {
				f[i].key.ip_version = 6;
				f[i].key.addr_a[rand_r(&seed) % 16] = (__u8)rand_r(&seed);
			}
			f[i].key.addr_b[0] = (__u8)(i >> 8);	/* keys all differ */
			f[i].key.addr_b[1] = (__u8)i;
			f[i].val.last_ns = i;			/* which flow it was */
		}
		xtap_flows_sort(f, M, (enum xtap_sort)by, NULL);
		memset(seen, 0, M * sizeof(*seen));
		for (size_t i = 0; i < M; i++) {
			assert_true(f[i].val.last_ns < M);
			seen[f[i].val.last_ns]++;
			assert_int_equal((f[i].key.addr_b[0] << 8 | f[i].key.addr_b[1]),
					 f[i].val.last_ns & 0xffff);
			if (i && want_cmp(&f[i - 1], &f[i], (enum xtap_sort)by) >= 0)
				fail_msg("order %d: positions %zu and %zu out of order", by, i - 1, i);
		}
		for (size_t i = 0; i < M; i++)
			assert_int_equal(seen[i], 1);
	}
	free(f);
	free(seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_by_bytes),
		cmocka_unit_test(test_by_packets),
		cmocka_unit_test(test_by_age),
		cmocka_unit_test(test_by_rate),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_by_key),
		cmocka_unit_test(test_large_counts),
		cmocka_unit_test(test_empty_and_single),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests_name("flows_sort", tests, NULL, NULL);
}
