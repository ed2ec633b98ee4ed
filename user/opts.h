/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Option values shared by the subcommands. */
#ifndef XTAP_USER_OPTS_H
#define XTAP_USER_OPTS_H

#include <stdbool.h>
#include <linux/types.h>

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
