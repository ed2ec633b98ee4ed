/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Capture sessions: what `xtap capture` runs, from the pinned state to the
 * closed file.
 *
 * xtap_capture_run: claims a capture id (user/capslot.h), sets its filter
 * and a ring per CPU, turns it on for the chosen interfaces and hooks, and
 * reads the rings (user/capread.h) into the file (user/capsink.h) until
 * *stop is set, the count is reached or a write fails; then turns it off,
 * writes what the rings still hold and counts. The state gone or replaced
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
	const char *file;	/* -w FILE; "-": stdout */
	__u64 count;		/* stop after this many packets; 0: until *stop */
	__u32 snaplen;
	bool pcapng;
	__u32 sample;		/* keep 1 in N */
	/* rings only */
	__u32 sample_flows;	/* the first K packets of each flow */
	__u32 hooks;		/* a bit per enum xtap_hook; 0: each packet once */
	__u64 rotate_bytes;	/* -C: a new file once one is larger; 0: one file */
	__u32 rotate_files;	/* -W */
	__u32 ring_kib;		/* -B: each ring's size in KiB; 0: by the CPUs */
	const struct sock_filter *filter;	/* libpcap's, run in the kernel */
	size_t filter_len;
	/* AF_XDP only: a filter expression run in user space; NULL: none */
	const char *expr;
	/* called once the capture is on, before the first read */
	void (*started)(const struct xtap_capture_result *r, void *arg);
	void *arg;
};

struct xtap_capture_result {
	char names[512];	/* the interfaces captured, comma separated */
	int nsocks;		/* AF_XDP sockets, and those in zero-copy mode */
	int nzerocopy;
	/* counts */
	__u64 written;		/* packets in the files */
	__u64 dropped;		/* the kernel's: the ring or the socket was full */
	__u64 unwritten;	/* not written: a write error, a record that failed its checks */
	__u64 filtered;		/* AF_XDP: rejected by the filter */
	int err;		/* the first write error, -errno; 0: none */
	char file[4096];	/* the file it hit ("stdout" for -) */
	char gone[XTAP_ERRLEN];	/* the capture ended as its state went: why; "" */
};

/* -B: from a jumbo frame's record to 1 GiB (the rings are locked kernel
 * memory) */
#define XTAP_CAPTURE_RING_KIB_MIN 256u
#define XTAP_CAPTURE_RING_KIB_MAX (1u << 20)

/*
 * Runs a capture: 0 once it ran (r->err tells whether the file is whole), or
 * -1 when it could not start, with a one-line message in err (the AF_XDP
 * capture then leaves no file). It stops once *stop is set (by the caller's
 * signal handler).
 */
int xtap_capture_run(const struct xtap_capture_opts *o, struct xtap_capture_result *r,
		     const volatile sig_atomic_t *stop, char *err, size_t errlen);
/* The options the AF_XDP capture does not take: the reason, or NULL. */
const char *xtap_capture_afxdp_refused(const struct xtap_capture_opts *o);
int xtap_capture_afxdp_run(const struct xtap_capture_opts *o, struct xtap_capture_result *r,
			   const volatile sig_atomic_t *stop, char *err, size_t errlen);

#endif
