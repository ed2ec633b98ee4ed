// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `xtap replay` option parsing, called as a function: the subcommand's source
 * is compiled in here, with the usage printer that tools/xtap.c would give it
 * replaced by one that records its argument. Only paths that end before any
 * program is loaded are exercised, so no root is needed.
 */
#include "tests/unit/unit_util.h"
#include "tools/cmd_replay.c"

static char usage_of[32];

int xtap_usage_of(const char *name)
{
	snprintf(usage_of, sizeof(usage_of), "%s", name);
	fprintf(stderr, "usage: xtap %s ...\n", name);
	return XTAP_EXIT_USAGE;
}

/* Runs `xtap replay` with argv (NULL-terminated), capturing stdout and stderr. */
struct run {
	int rc;
	char *out;
	char *err;
};

static struct run replay(const char *arg0, ...)
{
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

	usage_of[0] = '\0';
	r.rc = cmd_replay(argc, argv);

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
	assert_string_equal(usage_of, "replay");
	run_free(&r);
}

static void test_replay_needs_file(void **state)
{
	struct run r = replay("-j", NULL);

	(void)state;
	assert_int_equal(r.rc, XTAP_EXIT_USAGE);
	assert_string_equal(r.err, "xtap: replay: -r FILE is required\nusage: xtap replay ...\n");
	run_free(&r);
}

static void test_replay_extra_argument(void **state)
{
	struct run r = replay("-r", "a.pcap", "b.pcap", NULL);

	(void)state;
	assert_int_equal(r.rc, XTAP_EXIT_USAGE);
	assert_string_equal(r.err, "xtap: replay: a filter expression goes with -w OUT\n"
				   "usage: xtap replay ...\n");
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

static void test_replay_unknown_option(void **state)
{
	struct run r = replay("-r", "x.pcap", "--bogus", NULL);

	(void)state;
	assert_int_equal(r.rc, XTAP_EXIT_USAGE);
	assert_string_equal(usage_of, "replay");
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
		cmocka_unit_test(test_replay_unknown_option),
		cmocka_unit_test(test_replay_good_options_reach_the_file),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
