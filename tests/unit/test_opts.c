// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Options as tables: parsing into a settings struct, the errors, the usage. */
#include "tests/unit/unit_util.h"
#include "maps/xtap.h"
#include "user/opts.h"

struct cfg {
	bool json;
	__u32 count;
	__u32 sample;
	int sort;
	const char *file;
	struct xtap_strlist ifaces;
	__u32 hooks;
	__u32 secs;
};

static const char *const sorts[] = { "bytes", "packets", "age", NULL };

#define F(x) offsetof(struct cfg, x)
static const struct xtap_opt opts[] = {
	{ "json", 'j', XTAP_OPT_FLAG, F(json), NULL, .help = "JSON" },
	{ "count", 'c', XTAP_OPT_U32, F(count), "N", .help = "stop after N", .min = 1, .max = 1000 },
	{ "sample", 0, XTAP_OPT_POW2, F(sample), "N", .help = "1 in N", .min = 1, .max = 64 },
	{ "sort", 0, XTAP_OPT_ENUM, F(sort), NULL, .help = "order", .names = sorts },
	{ "write", 'w', XTAP_OPT_STR, F(file), "FILE", .help = "where", .required = true },
	{ "interface", 'i', XTAP_OPT_LIST, F(ifaces), "IFACE", .help = "repeat", .max = 2 },
	{ "hooks", 0, XTAP_OPT_HOOKS, F(hooks), "LIST", .help = "hooks" },
	{ "every", 0, XTAP_OPT_U32, F(secs), "S", .help = "seconds", .min = 1, .max = 60,
	  .bad = "seconds from 1 to 60" },
	{ NULL },
};
#undef F

static const struct xtap_cmd_spec spec = {
	.name = "demo", .help = "a command", .opts = opts, .args = "[EXPR]", .max_args = -1,
};

/* Parses argv (NULL-terminated, argv[0] the command); returns the code and
 * the captured stderr in *err (freed by the caller). */
static int parse(struct cfg *c, struct xtap_parsed *p, char **err, const char *a0, ...)
{
	char *argv[32];
	struct err_cap ec;
	va_list ap;
	int argc = 0, rc;

	argv[argc++] = "demo";
	va_start(ap, a0);
	for (const char *a = a0; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	memset(c, 0, sizeof(*c));
	c->sort = -1;
	stderr_begin(&ec);
	rc = xtap_opts_parse(&spec, c, argc, argv, p);
	*err = stderr_end(&ec);
	return rc;
}

static void test_parse_all_kinds(void **state)
{
	struct xtap_parsed p;
	struct cfg c;
	char *err;

	(void)state;
	assert_int_equal(parse(&c, &p, &err, "-j", "-c", "7", "--sample", "8", "--sort", "age",
			       "-w", "f.pcap", "-i", "a", "--interface", "b",
			       "--hooks", "xdp,tc-egress", "tcp", "port", "80", NULL), -1);
	assert_string_equal(err, "");
	assert_true(c.json);
	assert_int_equal(c.count, 7);
	assert_int_equal(c.sample, 8);
	assert_int_equal(c.sort, 2);
	assert_string_equal(c.file, "f.pcap");
	assert_int_equal(c.ifaces.n, 2);
	assert_string_equal(c.ifaces.v[1], "b");
	assert_int_equal(c.hooks, (1u << XTAP_HOOK_XDP) | (1u << XTAP_HOOK_TC_EGRESS));
	assert_int_equal(p.nargs, 3);
	assert_true(xtap_opt_given(&spec, &p, "sort"));
	assert_true(xtap_opt_given(&spec, &p, "hooks"));
	free(err);

	/* options may follow the arguments; an unset option keeps its default */
	assert_int_equal(parse(&c, &p, &err, "x", "-w", "-", NULL), -1);
	assert_int_equal(c.sort, -1);
	assert_false(xtap_opt_given(&spec, &p, "sort"));
	assert_int_equal(p.nargs, 1);
	assert_string_equal(c.file, "-");
	free(err);
}

static void test_errors(void **state)
{
	static const struct {
		const char *a, *b, *want;
	} cases[] = {
		{ "-c", "0", "xtap: demo: -c 0: not a count from 1 to 1000\n" },
		{ "-c", "1001", "xtap: demo: -c 1001: not a count from 1 to 1000\n" },
		{ "-c", "-3", "xtap: demo: -c -3: not a count from 1 to 1000\n" },
		{ "--sample", "3", "xtap: demo: --sample 3: a power of 2 from 1 to 64\n" },
		{ "--sort", "rate", "xtap: demo: --sort rate: not one of bytes, packets, age\n" },
		{ "--hooks", "tc", "xtap: demo: --hooks tc: a list of xdp, tc-ingress, tc-egress\n" },
		{ "--every", "61", "xtap: demo: --every 61: seconds from 1 to 60\n" },
	};
	struct xtap_parsed p;
	struct cfg c;
	char *err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(&c, &p, &err, "-w", "f", cases[i].a, cases[i].b, NULL),
				 XTAP_EXIT_USAGE);
		assert_string_equal(err, cases[i].want);
		free(err);
	}
	assert_int_equal(parse(&c, &p, &err, "-j", NULL), XTAP_EXIT_USAGE);
	assert_non_null(strstr(err, "xtap: demo: -w FILE is required\nusage: xtap demo "));
	free(err);
	assert_int_equal(parse(&c, &p, &err, "-w", "f", "-i", "a", "-i", "b", "-i", "c", NULL),
			 XTAP_EXIT_USAGE);
	assert_string_equal(err, "xtap: demo: -i c: more than 2\n");
	free(err);
	assert_int_equal(parse(&c, &p, &err, "-w", "f", "--bogus", NULL), XTAP_EXIT_USAGE);
	assert_non_null(strstr(err, "usage: xtap demo "));
	free(err);
}

/* getopt's own complaints come as xtap's lines: the prefix, the command and
 * the option, then the usage line; nothing of getopt's on stderr. */
static void test_getopt_errors(void **state)
{
	static const struct {
		const char *a, *want;
	} cases[] = {
		{ "--bogus", "xtap: demo: unknown option --bogus\n" },
		{ "--bogus=1", "xtap: demo: unknown option --bogus\n" },
		{ "-z", "xtap: demo: unknown option -z\n" },
		{ "-jz", "xtap: demo: unknown option -z\n" },
		{ "--json=yes", "xtap: demo: option --json takes no argument\n" },
		{ "-c", "xtap: demo: option -c needs an argument\n" },
		{ "--count", "xtap: demo: option --count needs an argument\n" },
	};
	struct xtap_parsed p;
	struct cfg c;
	char *err, *nl;
	int lines;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(&c, &p, &err, "-w", "f", cases[i].a, NULL), XTAP_EXIT_USAGE);
		nl = strchr(err, '\n');
		assert_non_null(nl);
		assert_memory_equal(err, cases[i].want, strlen(cases[i].want));
		assert_true(!strncmp(nl + 1, "usage: xtap demo ", 17));
		lines = 0;
		for (const char *q = err; *q; q++)
			lines += *q == '\n';
		assert_int_equal(lines, 2);	/* the error and the usage line */
		free(err);
	}
}

static void test_usage_and_help(void **state)
{
	struct mem_out m;
	char buf[512], *text;

	(void)state;
	assert_string_equal(xtap_opts_synopsis(&spec, buf, sizeof(buf)),
			    "[-j] [-c N] [--sample N] [--sort bytes|packets|age] -w FILE "
			    "[-i IFACE]... [--hooks LIST] [--every S] [EXPR]");
	xtap_opts_help(mem_open(&m), &spec);
	text = mem_done(&m);
	assert_non_null(strstr(text, "usage: xtap demo [-j]"));
	assert_non_null(strstr(text, "  -c, --count N"));
	assert_non_null(strstr(text, "      --sort bytes|packets|age"));
	free(text);
}

/* An option's own error message (.bad) stands for the generated one, and
 * --help ends with the spec's details. */
static void test_own_messages(void **state)
{
	static const struct xtap_opt own[] = {
		{ "count", 'c', XTAP_OPT_U32, offsetof(struct cfg, count), "N", .min = 1, .max = 9,
		  .bad = "not a positive count" },
		{ "interface", 'i', XTAP_OPT_LIST, offsetof(struct cfg, ifaces), "IFACE", .max = 1,
		  .bad = "more than 1 interface" },
		{ NULL },
	};
	static const struct xtap_cmd_spec own_spec = {
		.name = "own", .opts = own, .details = "More words.\n",
	};
	char *argv[] = { "own", "-c", "10", NULL }, *argv2[] = { "own", "-i", "a", "-i", "b", NULL };
	struct xtap_parsed p;
	struct err_cap ec;
	struct mem_out m;
	struct cfg c = { 0 };
	char *err, *text;

	(void)state;
	stderr_begin(&ec);
	assert_int_equal(xtap_opts_parse(&own_spec, &c, 3, argv, &p), XTAP_EXIT_USAGE);
	err = stderr_end(&ec);
	assert_string_equal(err, "xtap: own: -c 10: not a positive count\n");
	free(err);
	stderr_begin(&ec);
	assert_int_equal(xtap_opts_parse(&own_spec, &c, 5, argv2, &p), XTAP_EXIT_USAGE);
	err = stderr_end(&ec);
	assert_string_equal(err, "xtap: own: -i b: more than 1 interface\n");
	free(err);
	xtap_opts_help(mem_open(&m), &own_spec);
	text = mem_done(&m);
	assert_non_null(strstr(text, "  -c, --count N"));
	assert_int_equal(strcmp(text + strlen(text) - strlen("\nMore words.\n"), "\nMore words.\n"), 0);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_all_kinds),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_getopt_errors),
		cmocka_unit_test(test_usage_and_help),
		cmocka_unit_test(test_own_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
