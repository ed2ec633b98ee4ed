// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* user/json.c: escaping, commas between members, nesting. */
#include "tests/unit/unit_util.h"
#include "user/json.h"

/* One string written as a top-level array member: ["<escaped>"] */
static char *write_str(const char *v)
{
	struct mem_out m;
	struct json j;

	json_init(&j, mem_open(&m));
	json_open(&j, NULL, '[');
	json_str(&j, NULL, v);
	json_close(&j, ']');
	return mem_done(&m);
}

static void expect_str(const char *in, const char *out)
{
	char *s = write_str(in);

	assert_string_equal(s, out);
	assert_true(json_valid(s));
	free(s);
}

static void test_plain(void **state)
{
	(void)state;
	expect_str("hello", "[\"hello\"]\n");
	expect_str("", "[\"\"]\n");
	/* '/' needs no escape; UTF-8 bytes pass through unchanged */
	expect_str("a/b \xc3\xa9", "[\"a/b \xc3\xa9\"]\n");
}

static void test_quotes_and_backslashes(void **state)
{
	(void)state;
	expect_str("say \"hi\"", "[\"say \\\"hi\\\"\"]\n");
	expect_str("C:\\dir\\", "[\"C:\\\\dir\\\\\"]\n");
	expect_str("\\\"", "[\"\\\\\\\"\"]\n");
}

static void test_control_chars(void **state)
{
	(void)state;
	expect_str("a\nb\tc", "[\"a\\nb\\tc\"]\n");
	expect_str("\x01", "[\"\\u0001\"]\n");
	expect_str("\x1f", "[\"\\u001f\"]\n");
	expect_str("\r", "[\"\\u000d\"]\n");
	expect_str("\x7f", "[\"\\u007f\"]\n");
	expect_str("\x1b[0m", "[\"\\u001b[0m\"]\n");
}

static void test_every_byte_is_valid_json(void **state)
{
	char in[2] = { 0, 0 };

	(void)state;
	for (int c = 1; c < 256; c++) {
		char *s;

		in[0] = (char)c;
		s = write_str(in);
		if (!json_valid(s))
			fail_msg("byte 0x%02x gives invalid JSON: %s", c, s);
		free(s);
	}
}

/* Every byte at every position of a longer string (the writer scans 8 bytes
 * at a time) escapes as it does alone. */
static void test_every_byte_everywhere(void **state)
{
	(void)state;
	for (int c = 1; c < 256; c++) {
		char in[2] = { (char)c, 0 }, *one = write_str(in);
		size_t el = strlen(one) - 5;	/* [" "]\n around the escape */

		for (size_t at = 0; at < 20; at++) {
			char str[21], want[64], *got;

			memset(str, 'x', 20);
			str[20] = 0;
			str[at] = (char)c;
			snprintf(want, sizeof(want), "[\"%.*s%.*s%s\"]\n", (int)at, str, (int)el,
				 one + 2, str + at + 1);
			got = write_str(str);
			if (strcmp(got, want))
				fail_msg("byte 0x%02x at %zu: %s, want %s", c, at, got, want);
			free(got);
		}
		free(one);
	}
}

static void test_null_string_is_empty(void **state)
{
	(void)state;
	expect_str(NULL, "[\"\"]\n");
}

static void test_keys_are_escaped(void **state)
{
	struct mem_out m;
	struct json j;
	char key[] = "k\"\n", *s;	/* a key made at run time */

	(void)state;
	json_init(&j, mem_open(&m));
	json_open(&j, NULL, '{');
	json_u64(&j, key, 1);
	json_close(&j, '}');
	s = mem_done(&m);
	assert_string_equal(s, "{\"k\\\"\\n\":1}\n");
	assert_true(json_valid(s));
	free(s);
}

static void test_commas_and_nesting(void **state)
{
	struct mem_out m;
	struct json j;
	char *s;

	(void)state;
	json_init(&j, mem_open(&m));
	json_open(&j, NULL, '{');
	json_u64(&j, "a", 1);
	json_open(&j, "list", '[');
	json_u64(&j, NULL, 18446744073709551615ull);
	json_i64(&j, NULL, -9223372036854775807ll - 1);
	json_u64(&j, NULL, 0);
	json_i64(&j, NULL, 0);
	json_i64(&j, NULL, -1);
	json_i64(&j, NULL, 10);
	json_open(&j, NULL, '{');
	json_null(&j, "n");
	json_close(&j, '}');
	json_open(&j, NULL, '[');
	json_close(&j, ']');
	json_open(&j, NULL, '{');
	json_close(&j, '}');
	json_close(&j, ']');
	json_bool(&j, "t", true);
	json_bool(&j, "f", false);
	json_open(&j, "o", '{');
	json_str(&j, "s", "x");
	json_close(&j, '}');
	json_close(&j, '}');
	s = mem_done(&m);
	assert_string_equal(s, "{\"a\":1,\"list\":[18446744073709551615,-9223372036854775808,0,0,-1,10,"
			       "{\"n\":null},[],{}],\"t\":true,\"f\":false,\"o\":{\"s\":\"x\"}}\n");
	assert_true(json_valid(s));
	free(s);
}

/* Top-level values end with a newline each: a stream of JSON lines. */
static void test_top_level_lines(void **state)
{
	struct mem_out m;
	struct json j;
	char *s;

	(void)state;
	json_init(&j, mem_open(&m));
	for (int i = 0; i < 3; i++) {
		json_init(&j, m.f);
		json_open(&j, NULL, '{');
		json_u64(&j, "i", i);
		json_close(&j, '}');
	}
	s = mem_done(&m);
	assert_string_equal(s, "{\"i\":0}\n{\"i\":1}\n{\"i\":2}\n");
	free(s);
}

/* The deepest nesting the writer tracks (JSON_MAX_DEPTH - 1 levels inside
 * the top one) keeps its commas right. */
static void test_deepest_nesting(void **state)
{
	struct mem_out m;
	struct json j;
	char *s;
	int levels = JSON_MAX_DEPTH - 1;

	(void)state;
	json_init(&j, mem_open(&m));
	for (int i = 0; i < levels; i++) {
		json_open(&j, NULL, '[');
		json_u64(&j, NULL, i);
	}
	for (int i = 0; i < levels; i++) {
		json_u64(&j, NULL, 100 + i);
		json_close(&j, ']');
	}
	s = mem_done(&m);
	assert_true(json_valid(s));
	assert_int_equal(count_char(s, '\n'), 1);
	assert_contains(s, "[0,[1,[2,");
	assert_contains(s, ",100],101]");
	free(s);
}

/* A key with an escape at any position of any length up to 20 (keys are
 * checked 8 bytes at a time, the last word overlapping) escapes as a value. */
static void test_keys_every_length(void **state)
{
	(void)state;
	for (size_t n = 1; n <= 20; n++) {
		for (size_t at = 0; at <= n; at++) {
			char key[21], want[128], *got;
			struct mem_out m;
			struct json j;

			memset(key, 'k', n);
			key[n] = 0;
			if (at < n)
				key[at] = '"';
			snprintf(want, sizeof(want), "{\"%.*s%s%s\":7}\n", (int)(at < n ? at : n), key,
				 at < n ? "\\\"" : "", at < n ? key + at + 1 : "");
			json_init(&j, mem_open(&m));
			json_open(&j, NULL, '{');
			json_u64(&j, key, 7);
			json_close(&j, '}');
			got = mem_done(&m);
			if (strcmp(got, want))
				fail_msg("key of %zu with '\"' at %zu: %s, want %s", n, at, got, want);
			free(got);
		}
	}
}

/* The literal-key writers (json_*_k) write what the others write, across
 * many fills of the buffer, next to strings longer than the buffer. */
static void test_literal_keys_same_output(void **state)
{
	static char big[JSON_BUF + 1000], bigesc[JSON_BUF + 1000];
	struct mem_out m1, m2;
	struct json *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	char *s1, *s2;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	memset(big, 'x', sizeof(big) - 1);
	memset(bigesc, '\n', sizeof(bigesc) - 1);
	json_init(a, mem_open(&m1));
	json_init(b, mem_open(&m2));
	json_open(a, NULL, '[');
	json_open(b, NULL, '[');
	for (int i = 0; i < 20000; i++) {
		json_open(a, NULL, '{');
		json_open(b, NULL, '{');
		json_u64(a, "packets_ab", (uint64_t)i * 977);
		json_u64(b, "packets_ab", (uint64_t)i * 977);
		json_i64(a, "first_ns", -(int64_t)i);
		json_i64(b, "first_ns", -(int64_t)i);
		json_null(a, "rtt_min_ns_ab");
		json_null(b, "rtt_min_ns_ab");
		json_str(a, "outcome", i % 3 ? "established" : "a\"b");
		json_str(b, "outcome", i % 3 ? "established" : "a\"b");
		if (i % 5000 == 0) {
			json_str(a, "big", i % 10000 ? big : bigesc);
			json_str(b, "big", i % 10000 ? big : bigesc);
		}
		json_close(a, '}');
		json_close(b, '}');
	}
	json_close(a, ']');
	json_close(b, ']');
	s1 = mem_done(&m1);
	s2 = mem_done(&m2);
	assert_true(strlen(s1) > 4 * JSON_BUF);
	assert_string_equal(s1, s2);
	assert_true(json_valid(s2));
	assert_contains(s2, "{\"packets_ab\":977,\"first_ns\":-1,\"rtt_min_ns_ab\":null,"
			    "\"outcome\":\"established\"}");
	free(s1);
	free(s2);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_quotes_and_backslashes),
		cmocka_unit_test(test_control_chars),
		cmocka_unit_test(test_every_byte_is_valid_json),
		cmocka_unit_test(test_null_string_is_empty),
		cmocka_unit_test(test_keys_are_escaped),
		cmocka_unit_test(test_every_byte_everywhere),
		cmocka_unit_test(test_commas_and_nesting),
		cmocka_unit_test(test_top_level_lines),
		cmocka_unit_test(test_deepest_nesting),
		cmocka_unit_test(test_keys_every_length),
		cmocka_unit_test(test_literal_keys_same_output),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
