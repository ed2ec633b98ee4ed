// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xtap: argument dispatch. Each subcommand lives in its own cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include "tools/cmd.h"
#include "user/doc.h"
#include "user/log.h"

const struct xtap_cmd xtap_cmds[] = {
	{ "attach", cmd_attach, .spec = &xtap_spec_attach },
	{ "detach", cmd_detach, .spec = &xtap_spec_detach },
	{ "status", cmd_status, .spec = &xtap_spec_status },
	{ "flows", cmd_flows, .spec = &xtap_spec_flows },
	{ "stats", cmd_stats, .spec = &xtap_spec_stats },
	{ "latency", cmd_latency, .spec = &xtap_spec_latency },
	{ "replay", cmd_replay, .spec = &xtap_spec_replay },
	{ "capture", cmd_capture, .spec = &xtap_spec_capture },
	{ "export", cmd_export, .spec = &xtap_spec_export },
	{ "serve", cmd_serve, .spec = &xtap_spec_serve },
	{ "hops", cmd_hops, .spec = &xtap_spec_hops },
	{ "drops", cmd_drops, .spec = &xtap_spec_drops },
	{ "extcap", cmd_extcap, .spec = &xtap_spec_extcap },
	{ NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: xtap [-v] COMMAND [OPTIONS]\n\n-v before the command: libbpf's messages, for any command\n\ncommands:\n");
	for (const struct xtap_cmd *c = xtap_cmds; c->name; c++) {
		char buf[1024];

		if (c->spec)
			fprintf(f, "  %-8s %s\n           %s\n", c->name, c->spec->help,
				xtap_opts_synopsis(c->spec, buf, sizeof(buf)));
		else
			fprintf(f, "  %-8s %s\n           %s\n", c->name, c->help, c->usage);
	}
	fprintf(f, "\n'xtap COMMAND --help' shows a command's options; 'xtap --version' the version.\n");
}

/* --man, --bash-completion: the page and the script from the option tables. */
static int doc(const char *what)
{
	const struct xtap_cmd_spec *specs[64];
	int n = 0;

	for (const struct xtap_cmd *c = xtap_cmds; c->name && n < 64; c++)
		if (c->spec)
			specs[n++] = c->spec;
	if (!strcmp(what, "--man"))
		xtap_man_write(stdout, specs, n);
	else
		xtap_bash_completion_write(stdout, specs, n);
	return fflush(stdout) ? XTAP_EXIT_ERR : XTAP_EXIT_OK;
}

int xtap_usage_of(const char *name)
{
	for (const struct xtap_cmd *c = xtap_cmds; c->name; c++)
		if (!strcmp(c->name, name)) {
			if (c->spec)
				xtap_opts_usage(stderr, c->spec);
			else
				fprintf(stderr, "usage: xtap %s %s\n", c->name, c->usage);
			break;
		}
	return XTAP_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');

	/* in Wireshark's extcap folder, xtap is xtap-extcap */
	if (!strcmp(base ? base + 1 : argv[0], "xtap-extcap"))
		return cmd_extcap(argc, argv);
	/* global options, before the command: -v (libbpf's messages), -h */
	while (argc > 1 && argv[1][0] == '-' &&
	       (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--verbose"))) {
		xtap_log_verbose_all();
		argv++;
		argc--;
	}
	if (argc < 2) {
		usage(stderr);
		return XTAP_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return XTAP_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		xtap_version_print(stdout);
		return XTAP_EXIT_OK;
	}
	if (!strcmp(argv[1], "--man") || !strcmp(argv[1], "--bash-completion"))
		return doc(argv[1]);
	if (argv[1][0] == '-') {
		fprintf(stderr, "xtap: unknown option '%s' before the command (only -v, -h and --version go there)\n",
			argv[1]);
		fprintf(stderr, "usage: xtap [-v] COMMAND [OPTIONS]\n");
		return XTAP_EXIT_USAGE;
	}
	for (const struct xtap_cmd *c = xtap_cmds; c->name; c++)
		if (!strcmp(c->name, argv[1]))
			return c->run(argc - 1, argv + 1);
	fprintf(stderr, "xtap: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return XTAP_EXIT_USAGE;
}
