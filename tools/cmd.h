/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Subcommands of the xtap CLI. Exit codes: 0 ok, 1 error, 2 usage. */
#ifndef XTAP_TOOLS_CMD_H
#define XTAP_TOOLS_CMD_H

#include "user/opts.h"

/* A command: its options table (name, help, usage) and what runs it.
 * Commands not yet on tables give name, usage and help by hand. */
struct xtap_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;	/* one line of arguments */
	const char *help;	/* what it does */
	const struct xtap_cmd_spec *spec;
};

extern const struct xtap_cmd_spec xtap_spec_latency;
extern const struct xtap_cmd_spec xtap_spec_attach;
extern const struct xtap_cmd_spec xtap_spec_detach;
extern const struct xtap_cmd_spec xtap_spec_capture;
extern const struct xtap_cmd_spec xtap_spec_export;
extern const struct xtap_cmd_spec xtap_spec_serve;
extern const struct xtap_cmd_spec xtap_spec_status;
extern const struct xtap_cmd_spec xtap_spec_flows;
extern const struct xtap_cmd_spec xtap_spec_stats;
extern const struct xtap_cmd_spec xtap_spec_hops;
extern const struct xtap_cmd_spec xtap_spec_drops;
extern const struct xtap_cmd_spec xtap_spec_extcap;
extern const struct xtap_cmd_spec xtap_spec_replay;	/* user/replay.c */

int cmd_replay(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_flows(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_latency(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_hops(int argc, char **argv);
int cmd_drops(int argc, char **argv);
int cmd_extcap(int argc, char **argv);

extern const struct xtap_cmd xtap_cmds[];
int xtap_usage_of(const char *name);	/* prints the usage line; returns 2 */

#endif
