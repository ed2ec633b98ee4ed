// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `xtap replay`'s command line, through the library session the command
 * calls (user/replay.c): the option table's errors, the checks between the
 * options, and options that parse reaching the file. Only paths that end
 * before any program is loaded are exercised, so no root is needed.
 */
#include "tests/unit/unit_util.h"
#include "user/replay.h"

/* What `xtap replay` printed and returned. */
struct run {
	int rc;
	char *out;
	char *err;
};

/* Runs the session as the command does: the arguments, then the replay and
 * its report when they parse. argv is NULL-terminated; stdout and stderr are
 * captured. */
static struct run replay(const char *arg0, ...)
{
	struct xtap_replay_session s;
	char *argv[16];
	struct err_cap ecap, ocap;
	struct run r;
	va_list ap;
	int argc = 0;

	argv[argc++] = "replay";
	va_start(ap, arg0);
	for (const char *a = arg0; a && argc < 15; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;

	/* stdout through the same fd trick: fd 1 into a temporary file */
	fflush(stdout);
	ocap.tmp = tmpfile();
	assert_non_null(ocap.tmp);
	ocap.saved = dup(STDOUT_FILENO);
	assert_true(dup2(fileno(ocap.tmp), STDOUT_FILENO) >= 0);
	stderr_begin(&ecap);

	r.rc = xtap_replay_args(&s, argc, argv);
	if (r.rc < 0) {
		r.rc = xtap_replay_run(&s) ? XTAP_EXIT_ERR : XTAP_EXIT_OK;
		if (r.rc == XTAP_EXIT_OK)
			r.rc = xtap_replay_report(stdout, &s);
		xtap_replay_end(&s);
	}

	r.err = stderr_end(&ecap);
	fflush(stdout);
	assert_true(dup2(ocap.saved, STDOUT_FILENO) >= 0);
	close(ocap.saved);
	{
		long n = ftell(ocap.tmp);

		r.out = calloc(1, (size_t)n + 1);
		assert_non_null(r.out);
		rewind(ocap.tmp);
		assert_int_equal(fread(r.out, 1, (size_t)n, ocap.tmp), (size_t)n);
		fclose(ocap.tmp);
	}
	return r;
}

/* The usage line the table gives `xtap replay`. */
static const char *usage_line(void)
{
	static char line[1200];
	char buf[1024];

	snprintf(line, sizeof(line), "usage: xtap replay %s\n",
		 xtap_opts_synopsis(&xtap_spec_replay, buf, sizeof(buf)));
	return line;
}

/* err is msg (one error line), then the usage line. */
static void expect_usage_error(const char *err, const char *msg)
{
	char want[1400];

	snprintf(want, sizeof(want), "%s%s", msg, usage_line());
	assert_string_equal(err, want);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static void test_replay_help(void **state)
{
	struct run r = replay("--help", NULL);

	(void)state;
	assert_int_equal(r.rc, XTAP_EXIT_OK);
	assert_int_equal(strncmp(r.out, usage_line(), strlen(usage_line())), 0);
	assert_contains(r.out, "  -r, --read FILE");
	assert_contains(r.out, "      --hook xdp|tc-ingress|tc-egress");
	assert_string_equal(r.err, "");
	run_free(&r);
}

static void test_replay_needs_file(void **state)
{
	struct run r = replay("-j", NULL);

	(void)state;
	assert_int_equal(r.rc, XTAP_EXIT_USAGE);
	expect_usage_error(r.err, "xtap: replay: -r FILE is required\n");
	run_free(&r);
}

static void test_replay_extra_argument(void **state)
{
	struct run r = replay("-r", "a.pcap", "b.pcap", NULL);

	(void)state;
	assert_int_equal(r.rc, XTAP_EXIT_USAGE);
	expect_usage_error(r.err, "xtap: replay: a filter expression goes with -w OUT\n");
	run_free(&r);
}

/* An expression libpcap refuses: its own message, exit 2, before the input
 * is opened. */
static void test_replay_bad_filter(void **state)
{
	struct run r = replay("-r", "a.pcap", "-w", "out.pcap", "tcp", "port", NULL);

	(void)state;
	assert_int_equal(r.rc, XTAP_EXIT_USAGE);
	assert_string_equal(r.err, "xtap: replay: filter 'tcp port': can't parse filter "
				   "expression: syntax error\n");
	run_free(&r);
}

static void test_replay_bad_hook(void **state)
{
	struct run r = replay("--hook", "tc", "-r", "x.pcap", NULL);

	(void)state;
	assert_int_equal(r.rc, XTAP_EXIT_USAGE);
	assert_string_equal(r.err, "xtap: replay: --hook tc: not one of xdp, tc-ingress, tc-egress\n");
	run_free(&r);
}

static void test_replay_bad_flows(void **state)
{
	static const char *const bad[] = { "0", "-1", "", "12k", "4294967296", "many", "67108865" };

	(void)state;
	for (int i = 0; i < 7; i++) {
		struct run r = replay("-r", "x.pcap", "--flows", bad[i], NULL);
		char want[128];

		snprintf(want, sizeof(want), "xtap: replay: --flows %s: not a count from 1 to %u\n", bad[i],
			 XTAP_FLOWS_MAX);
		assert_int_equal(r.rc, XTAP_EXIT_USAGE);
		assert_string_equal(r.err, want);
		run_free(&r);
	}
}

/* The capture options: their own checks, and that they go with -w. */
static void test_replay_write_options(void **state)
{
	static const struct {
		const char *opt, *arg, *want;
	} bad[] = {
		{ "-s", "abc", "xtap: replay: -s abc: not a length in bytes\n" },
		{ "-s", "-1", "xtap: replay: -s -1: not a length in bytes\n" },
		{ "--sample", "0", "xtap: replay: --sample 0: not a positive count\n" },
		{ "--sample-flows", "many", "xtap: replay: --sample-flows many: not a positive count\n" },
	};
	static const char *const alone[][2] = {
		{ "--pcapng", NULL }, { "-s", "0" }, { "-s", "96" }, { "--sample", "4" },
		{ "--sample-flows", "3" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run r = replay("-r", "x.pcap", "-w", "o.pcap", bad[i].opt, bad[i].arg, NULL);

		assert_int_equal(r.rc, XTAP_EXIT_USAGE);
		assert_string_equal(r.err, bad[i].want);
		run_free(&r);
	}
	for (size_t i = 0; i < sizeof(alone) / sizeof(alone[0]); i++) {
		struct run r = replay("-r", "x.pcap", alone[i][0], alone[i][1], NULL);

		assert_int_equal(r.rc, XTAP_EXIT_USAGE);
		expect_usage_error(r.err, "xtap: replay: --pcapng, -s, --sample and --sample-flows "
					  "go with -w OUT\n");
		run_free(&r);
	}
}

static void test_replay_unknown_option(void **state)
{
	struct run r = replay("-r", "x.pcap", "--bogus", NULL);

	(void)state;
	assert_int_equal(r.rc, XTAP_EXIT_USAGE);
	assert_contains(r.err, usage_line());
	run_free(&r);
}

/* Options that parse reach the replay, which fails on the missing file
 * before loading anything: exit 1 and the file named. */
static void test_replay_good_options_reach_the_file(void **state)
{
	static const char *const path = "/nonexistent/xtap-unit.pcap";
	struct run r;

	(void)state;
	r = replay("-r", path, NULL);
	assert_int_equal(r.rc, XTAP_EXIT_ERR);
	assert_one_error_line(r.err);
	assert_contains(r.err, "xtap: replay /nonexistent/xtap-unit.pcap: ");
	assert_string_equal(r.out, "");
	run_free(&r);

	r = replay("--hook", "tc-egress", "--flows", "0x100", "-j", "-v", "--read", path, NULL);
	assert_int_equal(r.rc, XTAP_EXIT_ERR);
	assert_contains(r.err, "xtap: replay /nonexistent/xtap-unit.pcap: ");
	run_free(&r);

	/* --name=value and grouped short flags ending in -r FILE */
	r = replay("--flows=4096", "-jr", path, NULL);
	assert_int_equal(r.rc, XTAP_EXIT_ERR);
	assert_contains(r.err, "xtap: replay /nonexistent/xtap-unit.pcap: ");
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_help),
		cmocka_unit_test(test_replay_needs_file),
		cmocka_unit_test(test_replay_extra_argument),
		cmocka_unit_test(test_replay_bad_filter),
		cmocka_unit_test(test_replay_bad_hook),
		cmocka_unit_test(test_replay_bad_flows),
		cmocka_unit_test(test_replay_write_options),
		cmocka_unit_test(test_replay_unknown_option),
		cmocka_unit_test(test_replay_good_options_reach_the_file),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
