/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The capture ring's consumer: reads the records the programs wrote, checks
 * each one, orders a poll's worth by time and hands them to a pcap or pcapng
 * writer.
 */
#ifndef XTAP_USER_CAPTURE_H
#define XTAP_USER_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "maps/xtap.h"
#include "user/pcapw.h"

struct ring_buffer;
struct xtap_capture_rings;

struct xtap_capture {
	struct ring_buffer *rb;
	struct xtap_pcapw *w;
	__s64 ts_offset;	/* added to each record's time: ns since the epoch */
	__u64 limit;		/* stop after this many packets; 0: no limit */
	/* rotation (-C/-W): a new file once this one is larger than
	 * rotate_bytes, named by xtap_capture_file_name */
	__u64 rotate_bytes;	/* 0: one file */
	__u32 rotate_files;	/* 0: no limit; else reuse names after this many */
	__u32 file_no;		/* files opened before the current one */
	const char *base;	/* -w FILE */
	enum xtap_pcapw_fmt fmt;
	__u32 snaplen;
	__u64 written_before;	/* packets in the files closed by rotation */
	/* names of the slots for the pcapng interfaces ("" : "slotN") */
	char names[XTAP_MAX_SLOTS][XTAP_IFNAMSIZ];
	int iface_id[XTAP_MAX_POINTS];
	/* counts */
	__u64 received;		/* valid records read from the ring */
	__u64 invalid;		/* records that failed the checks, not written */
	__u64 unwritten;	/* valid records lost to a write error */
	__u64 over_limit;	/* read after the limit was reached, not written */
	__u64 written;		/* packets in the file */
	int err;		/* first write error, -errno; 0 while none */
	/* several rings read in place (xtap_capture_init_rings); NULL: one
	 * ring, read through libbpf */
	struct xtap_capture_rings *rd;
	/* the batch of one poll */
	__u8 *buf;
	size_t used, cap;
	size_t *offs;
	size_t n, ncap;
	__u64 seq;
};

/* 0 when data (size bytes) is a record of this version whose lengths agree
 * with its size; else -EINVAL. */
int xtap_capture_rec_check(const void *data, size_t size);

/* Name of file number n (0 for the first) of a capture to base: base, then
 * base1, base2...; with files > 0 (a ring of files) base0 .. base<files-1>,
 * zero-padded to the same width, n taken modulo files. */
void xtap_capture_file_name(const char *base, __u32 n, __u32 files, char *buf, size_t len);

/* Starts reading the ring map ring_fd into w. 0 or -errno. */
int xtap_capture_init(struct xtap_capture *c, int ring_fd, struct xtap_pcapw *w);
/*
 * Reads nrings rings (one per CPU: CPU n writes to ring n % nrings) in the
 * caller's thread, each record where it lies in its ring: written to the
 * file with writev from there, its room given back to the kernel after the
 * flush, so the rings are the reorder buffer. Records from different rings
 * are merged in time order: a record is written once every ring's
 * watermark is past its time (a pass found that ring empty after the clock
 * read that time, or took a later record from it; less
 * XTAP_CAPTURE_SLACK_NS, the most a record is stamped before it is
 * committed), and in any case once the monotonic clock is
 * XTAP_CAPTURE_REORDER_NS past its time; when the records held take more
 * than half a ring (at most XTAP_CAPTURE_HOLD_BYTES) the oldest are written
 * at once. xtap_capture_poll makes a pass every XTAP_CAPTURE_WRITE_MS while
 * records are held (at once when the last pass took longer than that, or
 * stopped at XTAP_CAPTURE_PASS_BYTES, at most a quarter of what may be held:
 * a ring's room comes back at the end of a pass), else once a ring has data
 * (the kernel wakes it); and
 * xtap_capture_drain writes everything. 0 or -errno.
 */
#define XTAP_CAPTURE_REORDER_NS (200ull * 1000 * 1000)
#define XTAP_CAPTURE_SLACK_NS (1ull * 1000 * 1000)
#define XTAP_CAPTURE_WRITE_MS 2
#define XTAP_CAPTURE_HOLD_BYTES (64u << 20)
#define XTAP_CAPTURE_PASS_BYTES (4u << 20)
int xtap_capture_init_rings(struct xtap_capture *c, const int *ring_fds, int nrings,
			    struct xtap_pcapw *w);
/* Waits up to timeout_ms for records, writes what came and flushes the file.
 * Returns the records read, or -errno (-EINTR: a signal came first; a write
 * error: c->err). */
int xtap_capture_poll(struct xtap_capture *c, int timeout_ms);
/* Reads whatever the ring holds now, without waiting; as xtap_capture_poll. */
int xtap_capture_drain(struct xtap_capture *c);
/* The limit is reached: the caller stops. */
bool xtap_capture_done(const struct xtap_capture *c);
void xtap_capture_free(struct xtap_capture *c);

#endif
