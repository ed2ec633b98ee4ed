/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Capture sessions: what `xtap capture` runs, from the pinned state to the
 * closed file.
 *
 * Both front ends, `xtap capture` and the Wireshark extcap program
 * (`xtap extcap`), fill a struct xtap_capture_opts, check it with
 * xtap_capture_check and run it with xtap_capture_run; they only parse
 * options and print.
 *
 * xtap_capture_run: compiles the filter, claims a capture id
 * (user/capslot.h), sets its filter and a ring per CPU, opens the file (a
 * fifo may wait there for its reader, the state's lock not held), turns the
 * capture on for the chosen interfaces and hooks, and reads the rings
 * (user/capread.h) into the file (user/capsink.h) until *stop is set, the
 * count is reached, a write fails or the reader of a pipe has gone; then
 * turns it off, writes what the rings still hold and counts. The state gone or replaced
 * (the last detach, a new attach) ends it too, with r->gone saying so.
 *
 * xtap_capture_afxdp_run: for a port that exists to be captured (a tap or
 * SPAN port): the attached XDP program of each interface hands the sampled
 * frames to AF_XDP sockets (user/afxdp.h); they are written to the file
 * and do not reach the stack. Frames not sampled go on as usual.
 */
#ifndef XTAP_USER_CAPTURE_H
#define XTAP_USER_CAPTURE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "maps/xtap.h"
#include "loader/state.h"
#include "user/filter.h"

struct xtap_capture_result;

struct xtap_capture_opts {
	const char *const *ifaces;	/* names; none: every attached interface (rings) */
	int nifaces;
	const char *file;	/* the file, or a fifo; "-": stdout */
	__u64 count;		/* stop after this many packets; 0: until *stop */
	__u32 snaplen;		/* 0, or more than XTAP_SNAP_MAX: the whole frame */
	bool pcapng;		/* pcapng: an interface per hook, a comment per packet */
	__u32 sample;		/* keep 1 in N; 0 or 1: every packet */
	const char *expr;	/* a pcap-filter(7) expression; NULL or "": every packet */
	bool afxdp;		/* through AF_XDP sockets (-i IFACE... only) */
	/* rings only */
	__u32 sample_flows;	/* the first K packets of each flow */
	__u32 hooks;		/* a bit per enum xtap_hook; 0: each packet once */
	__u64 rotate_bytes;	/* -C: a new file once one is larger; 0: one file */
	__u32 rotate_files;	/* -W */
	__u32 ring_kib;		/* -B: each ring's size in KiB; 0: by the CPUs */
	__u64 cgroup_id;	/* only the packets of flows of this local cgroup
				 * (the kernel decides); 0: every flow */
	const char *cgroup_path;	/* its path, for the pcapng comments */
	/* called once the capture is on, before the first read */
	void (*started)(const struct xtap_capture_result *r, void *arg);
	void *arg;
};

struct xtap_capture_result {
	char names[512];	/* the interfaces captured, comma separated */
	__u32 snaplen;		/* the snapshot length in effect */
	int nsocks;		/* AF_XDP sockets, and those in zero-copy mode */
	int nzerocopy;
	/* counts */
	__u64 written;		/* packets in the files */
	__u64 dropped;		/* the kernel's: the ring or the socket was full */
	__u64 unwritten;	/* not written: a write error, a record that failed its checks */
	__u64 filtered;		/* AF_XDP: rejected by the filter */
	int err;		/* the first write error, -errno; 0: none (-EPIPE: the
				 * reader of a pipe or fifo went away) */
	char file[4096];	/* the file it hit ("stdout" for -) */
	char gone[XTAP_ERRLEN];	/* the capture ended as its state went: why; "" */
};

/* -B: from a jumbo frame's record to 1 GiB (the rings are locked kernel
 * memory) */
#define XTAP_CAPTURE_RING_KIB_MIN 256u
#define XTAP_CAPTURE_RING_KIB_MAX (1u << 20)

/*
 * The checks a capture's options must pass before anything is opened:
 * options that do not go together, and a filter expression that libpcap
 * does not compile or that xtap cannot run in the kernel. Needs no
 * privileges (a front end validates a filter with it). 0, or -1 with a
 * one-line message in err ("filter 'EXPR': why").
 */
int xtap_capture_check(const struct xtap_capture_opts *o, char *err, size_t errlen);

/*
 * Runs a capture (xtap_capture_check first): 0 once it ran (r->err tells
 * whether the file is whole), or -1 when it could not start, with a
 * one-line message in err (a capture refused for its options, the pinned
 * state or its interfaces creates no file). It stops once *stop is
 * set, the count is reached, a write fails or the reader of a pipe or fifo
 * has gone.
 */
int xtap_capture_run(const struct xtap_capture_opts *o, struct xtap_capture_result *r,
		     const volatile sig_atomic_t *stop, char *err, size_t errlen);

/*
 * The stop flag of a capture run by a command: set by SIGINT and SIGTERM,
 * which interrupt a blocking open or write instead of restarting it. A
 * write to a pipe whose reader has gone fails with EPIPE (SIGPIPE is
 * ignored).
 */
const volatile sig_atomic_t *xtap_capture_stop_on_signals(void);

/* The AF_XDP session, which xtap_capture_run calls for o->afxdp
 * (user/capture_afxdp.c); and the options it does not take: the reason, or
 * NULL. */
int xtap_capture_afxdp_run(const struct xtap_capture_opts *o, struct xtap_capture_result *r,
			   const volatile sig_atomic_t *stop, char *err, size_t errlen);
const char *xtap_capture_afxdp_refused(const struct xtap_capture_opts *o);

#endif
