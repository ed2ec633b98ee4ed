/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* xtap capture --afxdp: the capture's options, as parsed by cmd_capture. */
#ifndef XTAP_TOOLS_CMD_AFXDP_H
#define XTAP_TOOLS_CMD_AFXDP_H

#include <stdbool.h>
#include <linux/types.h>

struct xtap_afxdp_args {
	const char *const *ifaces;
	int nifaces;
	const char *file;
	__u32 count;
	__u32 snaplen;
	bool pcapng;
	__u32 sample;
	__u32 sample_flows;	/* refused: not in AF_XDP mode */
	__u32 hooks;		/* refused: AF_XDP is XDP only */
	__u64 rotate_bytes;	/* refused */
	int nexpr;		/* filter expression words */
	char **expr;
};

/* Runs the capture; returns the exit code. */
int xtap_capture_afxdp(const struct xtap_afxdp_args *a);

#endif
