// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* user/hops.c: quantiles of a log2 histogram and the path order of hops. */
#include "tests/unit/unit_util.h"
#include "user/hops.h"

static void test_quantile(void **state)
{
	struct xtap_hist h;

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(xtap_hop_quantile(&h, 0.5), 0);
	/* 90 samples in [1024, 2048) ns, 9 in [8192, 16384), 1 at 100000 */
	h.bucket[10] = 90;
	h.bucket[13] = 9;
	h.bucket[16] = 1;
	h.count = 100;
	h.max_ns = 100000;
	assert_int_equal(xtap_hop_quantile(&h, 0.50), 2047);
	assert_int_equal(xtap_hop_quantile(&h, 0.90), 2047);
	assert_int_equal(xtap_hop_quantile(&h, 0.91), 16383);
	assert_int_equal(xtap_hop_quantile(&h, 0.99), 16383);
	/* never above the largest value seen */
	assert_int_equal(xtap_hop_quantile(&h, 1.0), 100000);
	memset(&h, 0, sizeof(h));
	h.bucket[0] = 1;
	h.count = 1;
	assert_int_equal(xtap_hop_quantile(&h, 0.5), 0);
	h.max_ns = 1;
	assert_int_equal(xtap_hop_quantile(&h, 0.5), 1);
}

static struct xtap_hop_row row(__u16 from, __u16 to, __u64 count)
{
	struct xtap_hop_row r;

	memset(&r, 0, sizeof(r));
	r.key.from = from;
	r.key.to = to;
	r.h.count = count;
	return r;
}

/* Two paths (request 2->3->4->8, reply 11->9->5->6) given shuffled: each
 * comes out from its start along its hops; the busier path first. */
static void test_order(void **state)
{
	struct xtap_hop_row r[] = {
		row(4, 8, 10), row(9, 5, 7), row(2, 3, 10), row(5, 6, 7), row(3, 4, 10), row(11, 9, 7),
	};
	static const __u16 want[][2] = { { 2, 3 }, { 3, 4 }, { 4, 8 }, { 11, 9 }, { 9, 5 }, { 5, 6 } };
	size_t n = sizeof(r) / sizeof(r[0]);

	(void)state;
	xtap_hops_order(r, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(r[i].key.from, want[i][0]);
		assert_int_equal(r[i].key.to, want[i][1]);
	}
}

/* A branch takes its busier way first; a cycle with no start still comes
 * out, every hop once. */
static void test_order_branch_and_cycle(void **state)
{
	struct xtap_hop_row r[] = {
		row(1, 2, 5), row(1, 3, 50), row(3, 4, 50), row(20, 21, 3), row(21, 20, 2),
	};
	static const __u16 want[][2] = { { 1, 3 }, { 3, 4 }, { 1, 2 }, { 20, 21 }, { 21, 20 } };
	size_t n = sizeof(r) / sizeof(r[0]);

	(void)state;
	xtap_hops_order(r, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(r[i].key.from, want[i][0]);
		assert_int_equal(r[i].key.to, want[i][1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantile),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_order_branch_and_cycle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
