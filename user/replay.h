/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Run a capture file through the compiled programs with BPF_PROG_TEST_RUN. */
#ifndef XTAP_USER_REPLAY_H
#define XTAP_USER_REPLAY_H

#include <stdbool.h>
#include <stdio.h>

#include "loader/loader.h"
#include "user/app.h"
#include "user/filter.h"
#include "user/latency.h"
#include "user/maps.h"
#include "user/opts.h"

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
	/* XDP: frames longer than the test run takes (the linear part and
	 * MAX_SKB_FRAGS pages) ran as their first run_max bytes, with their
	 * length on the wire whole */
	__u64 cut;
	__u32 run_max;		/* 0 while no frame needed it */
	/* A record cut short (a capture stopped mid-write) or broken ends the
	 * reading: what came before it is in the results, and this says what
	 * stopped it ("replay FILE: packet N: libpcap's message"); "" when the
	 * file was read to its end. */
	char read_error[320];
};

/*
 * 0 on success, also when a record cut short ended the reading early
 * (r->read_error). A frame that test-run refuses (shorter than an Ethernet
 * header; with a TC hook, a network header that is not whole) is counted
 * under the reason the programs would count it; with o->out its verdict
 * comes from libpcap's interpreter and it is written as capture would, so
 * that the file holds what tcpdump -r with the same filter writes.
 * On failure prints one line naming the file (and the packet number) and
 * returns -1; r->skel may still need xtap_replay_free.
 */
int xtap_replay_file(const struct xtap_replay_opts *o, struct xtap_replay *r);
void xtap_replay_free(struct xtap_replay *r);

/*
 * `xtap replay` as a session: its command line (the options of
 * xtap_spec_replay, then the checks between them and the filter expression),
 * the run, and what it found, shown as text or JSON.
 */
extern const struct xtap_cmd_spec xtap_spec_replay;

struct xtap_replay_session {
	struct xtap_replay_opts o;
	bool json;
	char *expr;			/* the filter expression; NULL: none */
	struct sock_filter *filter;	/* o.filter, compiled from expr */
	/* after xtap_replay_run without o.out */
	struct xtap_replay r;
	struct xtap_flow_entry *flows;	/* oldest first */
	size_t n;
	struct xtap_hist_entry *hists;	/* as xtap_hist_sort orders them */
	size_t nh;
	struct xtap_app_table app;
};

/* Parses argv (argv[0] is "replay") into s. Returns -1 when the replay goes
 * on (s then holds what xtap_replay_end frees); else the exit code, after
 * the help, or an error and the usage. */
int xtap_replay_args(struct xtap_replay_session *s, int argc, char **argv);
/* Runs the file and reads what the programs left. 0, or -1 after a one-line
 * error. */
int xtap_replay_run(struct xtap_replay_session *s);
/* What the run found: the flows, counters and latency as a table or JSON;
 * with o.out, the frames read and packets written (to stderr when o.out is
 * stdout). Returns the exit status: XTAP_EXIT_OK, or XTAP_EXIT_ERR after
 * one line on stderr when a record cut short ended the file early. */
int xtap_replay_report(FILE *out, const struct xtap_replay_session *s);
void xtap_replay_end(struct xtap_replay_session *s);

#endif
