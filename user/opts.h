/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Option values shared by the subcommands. */
#ifndef XTAP_USER_OPTS_H
#define XTAP_USER_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

/* Exit codes of every command. */
#define XTAP_EXIT_OK 0
#define XTAP_EXIT_ERR 1
#define XTAP_EXIT_USAGE 2

/*
 * Options as tables. A command describes its options in an array of struct
 * xtap_opt, each naming the field of the command's settings struct (its
 * defaults_<cmd>) that it sets; xtap_opts_parse fills that struct from argv
 * and xtap_opts_usage prints the usage and help from the same table.
 */
enum xtap_opt_kind {
	XTAP_OPT_FLAG,		/* bool, set to true */
	XTAP_OPT_U32,		/* __u32 from min to max */
	XTAP_OPT_POW2,		/* __u32, a power of 2 from min to max */
	XTAP_OPT_STR,		/* const char * */
	XTAP_OPT_LIST,		/* struct xtap_strlist: given once or more */
	XTAP_OPT_ENUM,		/* int: the index of the argument in names */
	XTAP_OPT_HOOKS,		/* __u32: a bit per enum xtap_hook, "all" for all */
};

#define XTAP_STRLIST_MAX 64
struct xtap_strlist {
	const char *v[XTAP_STRLIST_MAX];
	int n;
};

struct xtap_opt {
	const char *name;	/* long name; NULL ends the table */
	char short_name;	/* 0: none */
	enum xtap_opt_kind kind;
	size_t off;		/* offsetof the field it sets */
	const char *arg;	/* the argument's name in usage; NULL for flags */
	const char *help;
	__u32 min, max;		/* U32, POW2; LIST: max entries (0: XTAP_STRLIST_MAX) */
	const char *const *names;	/* ENUM: the accepted words, NULL-terminated */
	bool required;		/* the command does not run without it */
	const char *bad;	/* the error for a value not taken; NULL: generated */
};

struct xtap_cmd_spec {
	const char *name;
	const char *help;	/* what it does, one line */
	const struct xtap_opt *opts;
	const char *args;	/* positional arguments in usage; NULL: none */
	int min_args;		/* positional arguments at least */
	int max_args;		/* at most; -1: any number */
	const char *usage;	/* a usage line written by hand; NULL: from opts */
	const char *details;	/* --help: paragraphs after the options; NULL: none */
};

/* What xtap_opts_parse found besides the settings. */
struct xtap_parsed {
	int first;		/* argv index of the first positional argument */
	int nargs;		/* positional arguments */
	__u64 given;		/* bit i: opts[i] was on the command line */
};

/*
 * Parses argv (argv[0] is the command's name) into cfg, which holds the
 * defaults. Returns -1 when the command goes on; else the exit code to
 * return at once: XTAP_EXIT_OK after --help printed the help,
 * XTAP_EXIT_USAGE after a one-line error and the usage line.
 */
int xtap_opts_parse(const struct xtap_cmd_spec *c, void *cfg, int argc, char **argv,
		    struct xtap_parsed *p);
/* true when the option called name was given. */
bool xtap_opt_given(const struct xtap_cmd_spec *c, const struct xtap_parsed *p, const char *name);
/* "usage: xtap NAME OPTIONS ARGS", one line. */
void xtap_opts_usage(FILE *f, const struct xtap_cmd_spec *c);
/* The usage line's options and arguments alone, into buf. */
char *xtap_opts_synopsis(const struct xtap_cmd_spec *c, char *buf, size_t len);
/* The usage line, then a line per option with its help, then the details. */
void xtap_opts_help(FILE *f, const struct xtap_cmd_spec *c);

/* Largest flow table a command accepts (--flows). */
#define XTAP_FLOWS_MAX (1u << 26)

/* A positive whole number up to max; false when s is not one. */
bool xtap_parse_u32(const char *s, __u32 max, __u32 *out);
/* "xdp,tc-ingress,tc-egress" (or "all") into a bit per enum xtap_hook. */
bool xtap_parse_hooks(const char *s, __u32 *out);
/* Names of the hooks in mask, comma separated, into buf. */
char *xtap_hooks_str(__u32 mask, char *buf, unsigned long len);
/* 0 when this process may load and attach BPF programs; else prints the
 * one-line error for cmd and returns -1. */
int xtap_check_privileges(const char *cmd);
/* ns to add to the programs' clock (CLOCK_MONOTONIC) to get the epoch. */
__s64 xtap_mono_to_real_ns(void);

#endif
