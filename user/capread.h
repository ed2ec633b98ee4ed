/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The reader of a capture's rings: checks each record the programs wrote
 * and hands the records of all its rings, merged in time order, to a file
 * sink (user/capsink.h).
 *
 * It reads nrings rings (one per CPU: CPU n writes to ring n % nrings) in
 * the caller's thread, each record where it lies in its ring: written to
 * the file from there, its room given back to the kernel after the flush,
 * so the rings are the reorder buffer. A record is written once every
 * ring's watermark is past its time (a pass found that ring empty after the
 * clock read that time, or took a later record from it; less
 * XTAP_CAPTURE_SLACK_NS, the most a record is stamped before it is
 * committed), and in any case once the monotonic clock is
 * XTAP_CAPTURE_REORDER_NS past its time; when the records held take more
 * than half a ring (at most XTAP_CAPTURE_HOLD_BYTES) the oldest are written
 * at once. xtap_capread_poll makes a pass every XTAP_CAPTURE_WRITE_MS while
 * records are held (at once when the last pass took longer than that, or
 * stopped at XTAP_CAPTURE_PASS_BYTES, at most a quarter of what may be
 * held: a ring's room comes back at the end of a pass), else once a ring
 * has data (the kernel wakes it); xtap_capread_drain writes everything.
 */
#ifndef XTAP_USER_CAPREAD_H
#define XTAP_USER_CAPREAD_H

#include <stddef.h>
#include <linux/types.h>

#include "maps/xtap.h"

#define XTAP_CAPTURE_REORDER_NS (200ull * 1000 * 1000)
#define XTAP_CAPTURE_SLACK_NS (1ull * 1000 * 1000)
#define XTAP_CAPTURE_WRITE_MS 2
#define XTAP_CAPTURE_HOLD_BYTES (64u << 20)
#define XTAP_CAPTURE_PASS_BYTES (4u << 20)

struct xtap_capsink;
struct xtap_capread;

struct xtap_capread_counts {
	__u64 received;		/* valid records read from the rings */
	__u64 invalid;		/* records that failed the checks, not written */
	__u64 unheld;		/* valid records with no memory to hold them, not written */
};

/* 0 when data (size bytes) is a record of this version whose lengths agree
 * with its size; else -EINVAL. */
int xtap_capread_rec_check(const void *data, size_t size);

/* Maps the rings ring_fds[0 .. nrings-1] (BPF_MAP_TYPE_RINGBUF) to be read
 * into sink. 0 or -errno. */
int xtap_capread_new(struct xtap_capread **out, const int *ring_fds, int nrings,
		     struct xtap_capsink *sink);
/* Waits up to timeout_ms for records, writes those that may go and flushes
 * the file. Returns the records written, or -errno (-EINTR: a signal came
 * first; a write error: the sink's). */
int xtap_capread_poll(struct xtap_capread *r, int timeout_ms);
/* Writes every record the rings hold now, without waiting; as
 * xtap_capread_poll. */
int xtap_capread_drain(struct xtap_capread *r);
void xtap_capread_counts(const struct xtap_capread *r, struct xtap_capread_counts *c);
void xtap_capread_free(struct xtap_capread *r);

#endif
