/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Run a capture file through the compiled programs with BPF_PROG_TEST_RUN. */
#ifndef XTAP_USER_REPLAY_H
#define XTAP_USER_REPLAY_H

#include <stdbool.h>

#include "loader/loader.h"
#include "user/filter.h"

struct xtap_replay_opts {
	const char *path;
	int hook;		/* enum xtap_hook */
	__u32 flows_max;	/* 0 for the default */
	/* capture: write what xtap capture would have written to out */
	const char *out;	/* NULL: no capture */
	bool pcapng;
	__u32 snaplen;		/* 0: XTAP_SNAP_MAX */
	__u32 sample;		/* keep 1 in N; 0 and 1 keep every frame */
	__u32 sample_flows;	/* keep the first K packets of each flow */
	/* a filter: libpcap's classic BPF (xtap_filter_classic); NULL: none */
	const struct sock_filter *filter;
	size_t filter_len;
};

struct xtap_replay {
	struct xtap_bpf *skel;	/* loaded with private maps; the caller unloads */
	__u64 frames;		/* frames read from the file */
	struct xtap_stats stats;	/* the point's counters after the run */
	__u64 written;		/* capture: packets in out */
};

/* 0 on success. On failure prints one line naming the file (and the packet
 * number) and returns -1; r->skel may still need xtap_replay_free. */
int xtap_replay_file(const struct xtap_replay_opts *o, struct xtap_replay *r);
void xtap_replay_free(struct xtap_replay *r);

#endif
