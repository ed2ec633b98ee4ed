// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* user/latency.c: log2 bucket bounds, percentiles, merging per-CPU values,
 * service and kind parsing, the text and JSON histograms. */
#include <netinet/in.h>

#include "tests/unit/unit_util.h"
#include "user/latency.h"

/* Put n samples of ns into h, as the kernel's hist_add does. */
static void add(struct xtap_hist *h, __u64 ns, __u64 n)
{
	unsigned b = 0;

	for (__u64 v = ns; v > 1; v >>= 1)
		b++;
	if (b >= XTAP_HIST_BUCKETS)
		b = XTAP_HIST_BUCKETS - 1;
	h->bucket[b] += n;
	h->count += n;
	h->sum_ns += ns * n;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

static void test_bucket_bounds(void **state)
{
	(void)state;
	assert_int_equal(xtap_hist_bucket_lo(0), 0);
	assert_int_equal(xtap_hist_bucket_hi(0), 2);
	assert_int_equal(xtap_hist_bucket_lo(1), 2);
	assert_int_equal(xtap_hist_bucket_hi(1), 4);
	assert_int_equal(xtap_hist_bucket_lo(20), 1u << 20);
	assert_int_equal(xtap_hist_bucket_hi(20), 1u << 21);
	assert_true(xtap_hist_bucket_hi(XTAP_HIST_BUCKETS - 1) == UINT64_MAX);
	/* the bounds tile the line: every bucket starts where the last ended */
	for (unsigned i = 1; i < XTAP_HIST_BUCKETS; i++)
		assert_true(xtap_hist_bucket_lo(i) == xtap_hist_bucket_hi(i - 1));
}

static void test_percentile_empty(void **state)
{
	struct xtap_hist h = { 0 };

	(void)state;
	assert_int_equal(xtap_hist_percentile(&h, 50), 0);
	assert_int_equal(xtap_hist_percentile(&h, 100), 0);
}

/* One sample: every percentile is that sample (the exact max bounds it). */
static void test_percentile_one(void **state)
{
	struct xtap_hist h = { 0 };

	(void)state;
	add(&h, 287000, 1);
	assert_int_equal(xtap_hist_percentile(&h, 50), 287000);
	assert_int_equal(xtap_hist_percentile(&h, 99), 287000);
	assert_int_equal(xtap_hist_percentile(&h, 100), 287000);
}

/* 90 samples of 1 ms and 10 of 200 ms: p50 and p90 in the 1 ms bucket,
 * p99 in the 200 ms one, within a factor of 2 of the truth; max exact. */
static void test_percentile_two_modes(void **state)
{
	struct xtap_hist h = { 0 };
	__u64 p50, p90, p99;

	(void)state;
	add(&h, 1000000, 90);
	add(&h, 200000000, 10);
	p50 = xtap_hist_percentile(&h, 50);
	p90 = xtap_hist_percentile(&h, 90);
	p99 = xtap_hist_percentile(&h, 99);
	assert_true(p50 >= 524288 && p50 < 1048576 * 2);
	assert_true(p50 >= xtap_hist_bucket_lo(19) && p50 < xtap_hist_bucket_hi(19));
	assert_true(p90 >= xtap_hist_bucket_lo(19) && p90 < xtap_hist_bucket_hi(19));
	assert_true(p50 <= p90);
	/* rank 91 is the first of the 200 ms samples */
	assert_true(xtap_hist_percentile(&h, 91) >= xtap_hist_bucket_lo(27));
	assert_true(p99 >= xtap_hist_bucket_lo(27) && p99 <= 200000000);
	assert_int_equal(xtap_hist_percentile(&h, 100), 200000000);
	/* monotonic in p */
	for (int p = 1; p < 100; p++)
		assert_true(xtap_hist_percentile(&h, p) <= xtap_hist_percentile(&h, p + 1));
}

/* Samples spread evenly over a bucket: the interpolation finds the middle. */
static void test_percentile_interpolates(void **state)
{
	struct xtap_hist h = { 0 };
	__u64 p50;

	(void)state;
	for (__u64 v = 1024; v < 2048; v += 8)
		add(&h, v, 1);
	p50 = xtap_hist_percentile(&h, 50);
	assert_true(p50 >= 1500 && p50 <= 1560);
}

/* Per-CPU values merge: counts and sums add, the max is the largest. */
static void test_merge(void **state)
{
	struct xtap_hist a = { 0 }, b = { 0 };

	(void)state;
	add(&a, 100, 2);
	add(&b, 5000, 1);
	add(&b, 100, 1);
	xtap_hist_merge(&a, &b);
	assert_int_equal(a.count, 4);
	assert_int_equal(a.sum_ns, 5300);
	assert_int_equal(a.max_ns, 5000);
	assert_int_equal(a.bucket[6], 3);
	assert_int_equal(a.bucket[12], 1);
}

static void test_kind_names(void **state)
{
	(void)state;
	for (unsigned k = 0; k < XTAP_LAT_KIND_MAX; k++)
		assert_int_equal(xtap_lat_kind_parse(xtap_lat_kind_name(k)), (int)k);
	assert_int_equal(xtap_lat_kind_parse("handshake"), XTAP_LAT_HANDSHAKE);
	assert_int_equal(xtap_lat_kind_parse("rtt"), XTAP_LAT_RTT);
	assert_int_equal(xtap_lat_kind_parse("HTTP"), -1);
	assert_int_equal(xtap_lat_kind_parse(""), -1);
	assert_null(xtap_lat_kind_name(XTAP_LAT_KIND_MAX));
	assert_int_equal(xtap_lat_kind_parse("tls"), XTAP_LAT_TLS_HELLO);
	assert_int_equal(xtap_lat_kind_parse("tls-data"), XTAP_LAT_TLS_DATA);
}

/* --kind tls selects both TLS times, --kind tls-data only the full handshake */
static void test_kind_tls(void **state)
{
	struct xtap_hist_filter f = { .kind = XTAP_LAT_TLS_HELLO };
	struct xtap_svc_key k = { .kind = XTAP_LAT_TLS_DATA };

	(void)state;
	assert_true(xtap_hist_selected(&f, &k));
	k.kind = XTAP_LAT_TLS_HELLO;
	assert_true(xtap_hist_selected(&f, &k));
	k.kind = XTAP_LAT_HTTP;
	assert_false(xtap_hist_selected(&f, &k));
	f.kind = XTAP_LAT_TLS_DATA;
	k.kind = XTAP_LAT_TLS_HELLO;
	assert_false(xtap_hist_selected(&f, &k));
}

static void test_service_parse(void **state)
{
	struct xtap_hist_filter f = { .kind = -1 };
	struct xtap_svc_key k = { .port = 8080, .proto = IPPROTO_TCP };
	static const __u8 v4[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 77, 0, 2 };

	(void)state;
	assert_int_equal(xtap_svc_parse("10.77.0.2:8080", &f), 0);
	assert_memory_equal(f.addr, v4, 16);
	assert_int_equal(f.port, 8080);
	memcpy(k.addr, v4, 16);
	assert_true(xtap_hist_selected(&f, &k));
	k.port = 8081;
	assert_false(xtap_hist_selected(&f, &k));

	assert_int_equal(xtap_svc_parse("[fd00:77::2]:443", &f), 0);
	assert_int_equal(f.addr[0], 0xfd);
	assert_int_equal(f.addr[15], 2);
	assert_int_equal(f.port, 443);
	assert_int_equal(xtap_svc_parse("fd00:77::2:443", &f), 0);	/* last colon: the port */
	assert_int_equal(f.port, 443);

	assert_int_equal(xtap_svc_parse("10.77.0.2", &f), -1);
	assert_int_equal(xtap_svc_parse("10.77.0.2:", &f), -1);
	assert_int_equal(xtap_svc_parse("10.77.0.2:65536", &f), -1);
	assert_int_equal(xtap_svc_parse("10.77.0.2:-1", &f), -1);
	assert_int_equal(xtap_svc_parse("host:80", &f), -1);
	assert_int_equal(xtap_svc_parse("[fd00::1]443", &f), -1);
	assert_int_equal(xtap_svc_parse("[fd00::1:443", &f), -1);
}

static void test_filter_kind(void **state)
{
	struct xtap_hist_filter f = { .kind = XTAP_LAT_RTT };
	struct xtap_svc_key k = { .kind = XTAP_LAT_RTT };

	(void)state;
	assert_true(xtap_hist_selected(&f, &k));
	k.kind = XTAP_LAT_HANDSHAKE;
	assert_false(xtap_hist_selected(&f, &k));
	f.kind = -1;
	assert_true(xtap_hist_selected(&f, &k));
}

static struct xtap_hist_entry handshake_entry(void)
{
	struct xtap_hist_entry e = { .key = { .port = 8080, .proto = IPPROTO_TCP,
					      .kind = XTAP_LAT_HANDSHAKE } };

	e.key.addr[10] = e.key.addr[11] = 0xff;
	e.key.addr[12] = 10;
	e.key.addr[13] = 77;
	e.key.addr[15] = 2;
	add(&e.h, 40000, 3);	/* bucket 15: [32.8us, 65.5us) */
	add(&e.h, 200000, 1);	/* bucket 17: [131us, 262us) */
	return e;
}

/* bpftrace-like lines from the first to the last non-empty bucket, empty
 * ones in between included, bars scaled to the largest count. */
static void test_text(void **state)
{
	struct xtap_hist_entry e = handshake_entry();
	struct mem_out m;
	char *s;

	(void)state;
	xtap_hist_text(mem_open(&m), &e);
	s = mem_done(&m);
	assert_contains(s, "10.77.0.2:8080/tcp handshake\n");
	assert_contains(s, "[33us, 66us)              3 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n");
	assert_contains(s, "[66us, 131us)             0 |                                                    |\n");
	assert_contains(s, "[131us, 262us)            1 |@@@@@@@@@@@@@@@@@@                                  |\n");
	assert_contains(s, "count 4, p50 ");
	assert_contains(s, ", max 200.0us\n");
	assert_not_contains(s, "[16us");
	assert_not_contains(s, "[262us");
	free(s);
}

static void test_json(void **state)
{
	struct xtap_hist_entry e = handshake_entry();
	struct mem_out m;
	struct json j;
	char *s;

	(void)state;
	json_init(&j, mem_open(&m));
	xtap_hist_json(&j, &e);
	s = mem_done(&m);
	assert_contains(s, "\"service\":{\"addr\":\"10.77.0.2\",\"port\":8080,\"proto\":\"tcp\"},"
			   "\"kind\":\"handshake\",\"count\":4,\"sum_ns\":320000,");
	assert_contains(s, "\"max_ns\":200000,\"buckets\":[{\"lo_ns\":32768,\"hi_ns\":65536,"
			   "\"count\":3},{\"lo_ns\":131072,\"hi_ns\":262144,\"count\":1}]}");
	free(s);
}

/* Nothing selected says so, rather than printing nothing. */
static void test_print_none(void **state)
{
	struct xtap_hist_entry e = handshake_entry();
	struct xtap_hist_filter f = { .kind = XTAP_LAT_DNS };
	struct mem_out m;
	char *s;

	(void)state;
	xtap_hist_print(mem_open(&m), &e, 1, &f);
	s = mem_done(&m);
	assert_string_equal(s, "no latency samples for this service and kind\n");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_bounds),
		cmocka_unit_test(test_percentile_empty),
		cmocka_unit_test(test_percentile_one),
		cmocka_unit_test(test_percentile_two_modes),
		cmocka_unit_test(test_percentile_interpolates),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_kind_tls),
		cmocka_unit_test(test_service_parse),
		cmocka_unit_test(test_filter_kind),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_print_none),
	};

	return cmocka_run_group_tests_name("unit/latency", tests, NULL, NULL);
}
