// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* user/doc.c: the man page and the bash completion written from option
 * tables, on a table made here. */
#include "tests/unit/unit_util.h"
#include "maps/xtap.h"
#include "user/doc.h"

struct cfg {
	bool json;
	int sort;
	const char *file, *mode;
	struct xtap_strlist ifaces;
	__u32 hooks, hook, n;
};

static const char *const sorts[] = { "bytes", "packets", NULL };

#define F(x) offsetof(struct cfg, x)
static const struct xtap_opt opts[] = {
	{ "json", 'j', XTAP_OPT_FLAG, F(json), NULL, .help = "JSON \\o/" },
	{ "sort", 0, XTAP_OPT_ENUM, F(sort), NULL, .help = "the order", .names = sorts },
	{ "write", 'w', XTAP_OPT_STR, F(file), "FILE|-", .help = "where", .required = true },
	{ "interface", 'i', XTAP_OPT_LIST, F(ifaces), "IFACE", .help = "an interface" },
	{ "hooks", 0, XTAP_OPT_HOOKS, F(hooks), "xdp,tc-ingress", .help = "a list of hooks" },
	{ "hook", 0, XTAP_OPT_HOOKS, F(hook), "xdp|all", .help = "one hook" },
	{ "mode", 0, XTAP_OPT_STR, F(mode), "fast|slow", .help = "how" },
	{ "count", 'n', XTAP_OPT_U32, F(n), "N", .help = "how many", .min = 1, .max = 9 },
	{ NULL },
};
#undef F

static const struct xtap_cmd_spec demo = {
	.name = "demo", .help = "a command", .opts = opts, .args = "IFACE...", .max_args = -1,
	.details = "First line.\n.dot at the start\n\nSecond paragraph.\n",
};
static const struct xtap_cmd_spec gone = {
	.name = "gone", .help = "another", .opts = NULL, .args = "IFACE...|--all", .max_args = -1,
};

static void test_version(void **state)
{
	struct mem_out m;
	char want[64], *t;

	(void)state;
	xtap_version_print(mem_open(&m));
	t = mem_done(&m);
	snprintf(want, sizeof(want), "xtap %s (ABI %u)\n", XTAP_VERSION, XTAP_ABI_VERSION);
	assert_string_equal(t, want);
	free(t);
}

static void test_man(void **state)
{
	const struct xtap_cmd_spec *specs[] = { &demo, &gone };
	struct mem_out m;
	char *t;

	(void)state;
	xtap_man_write(mem_open(&m), specs, 2);
	t = mem_done(&m);
	assert_non_null(strstr(t, ".TH XTAP 8 "));
	assert_non_null(strstr(t, ".SS \"demo\"\n.B xtap demo\n"));
	/* the synopsis from the table, dashes escaped */
	assert_non_null(strstr(t, "[\\-j] [\\-\\-sort bytes|packets] \\-w FILE|\\- [\\-i IFACE]..."));
	/* each option: spellings, argument, help; required and repeatable said */
	assert_non_null(strstr(t, ".TP\n\\fB\\-j\\fR, \\fB\\-\\-json\\fR\nJSON \\eo/\n"));
	assert_non_null(strstr(t, ".TP\n\\fB\\-\\-sort\\fR \\fIbytes|packets\\fR\nthe order\n"));
	assert_non_null(strstr(t, "\\fB\\-\\-write\\fR \\fIFILE|\\-\\fR\nwhere (required)\n"));
	assert_non_null(strstr(t, "\\fIIFACE\\fR\nan interface (may be given more than once)\n"));
	/* details: a line starting with a dot stays text; a blank line is a paragraph */
	assert_non_null(strstr(t, "First line.\n\\&.dot at the start\n.PP\nSecond paragraph.\n"));
	assert_non_null(strstr(t, ".SS \"gone\"\n"));
	free(t);
}

static void test_bash_completion(void **state)
{
	const struct xtap_cmd_spec *specs[] = { &demo, &gone };
	struct mem_out m;
	char *t;

	(void)state;
	xtap_bash_completion_write(mem_open(&m), specs, 2);
	t = mem_done(&m);
	assert_non_null(strstr(t, "compgen -W \"demo gone --help --version\""));
	assert_non_null(strstr(t, "\t\"demo --sort\")\n\t\tCOMPREPLY=($(compgen -W \"bytes packets\""));
	assert_non_null(strstr(t, "\t\"demo --write\"|\"demo -w\")\n\t\tCOMPREPLY=($(compgen -f"));
	assert_non_null(strstr(t, "\t\"demo --interface\"|\"demo -i\")\n"
				  "\t\tCOMPREPLY=($(compgen -W \"$(_xtap_attached)\""));
	assert_non_null(strstr(t, "\t\"demo --hooks\")\n\t\t_xtap_list \"xdp tc-ingress tc-egress all\""));
	assert_non_null(strstr(t, "\t\"demo --hook\")\n\t\tCOMPREPLY=($(compgen -W \"xdp tc-ingress tc-egress all\""));
	assert_non_null(strstr(t, "\t\"demo --mode\")\n\t\tCOMPREPLY=($(compgen -W \"fast slow\""));
	/* a number: no words, and not the command's options either */
	assert_non_null(strstr(t, "\t\"demo --count\"|\"demo -n\")\n\t\treturn ;;\n"));
	assert_null(strstr(t, "\"demo --json\""));
	assert_non_null(strstr(t, "demo) COMPREPLY=($(compgen -W \"-j --json --sort -w --write -i "
				  "--interface --hooks --hook --mode -n --count --help\""));
	/* positional interfaces: any for demo, the attached ones for gone */
	assert_non_null(strstr(t, "\tdemo) COMPREPLY=($(compgen -W \"$(_xtap_ifaces)\""));
	assert_non_null(strstr(t, "\tgone) COMPREPLY=($(compgen -W \"$(_xtap_attached)\""));
	assert_non_null(strstr(t, "complete -F _xtap xtap\n"));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_man),
		cmocka_unit_test(test_bash_completion),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
