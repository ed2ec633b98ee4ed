/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The file end of a capture: capture records (maps/xtap.h) written to a
 * pcap or pcapng file (user/pcapw.h) with their time on the epoch's clock,
 * a direction, and in pcapng an interface per (interface, hook) and a
 * comment naming the hook and the flow. With rotation (-C/-W) a new file
 * starts once the current one is larger than a size; a limit stops the
 * writing after a count of packets.
 */
#ifndef XTAP_USER_CAPSINK_H
#define XTAP_USER_CAPSINK_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "maps/xtap.h"
#include "user/pcapw.h"

struct xtap_capsink_opts {
	const char *path;	/* the first file; "-": stdout */
	enum xtap_pcapw_fmt fmt;
	__u32 snaplen;
	__s64 ts_offset;	/* added to each record's time: ns since the epoch */
	__u64 limit;		/* packets at most; 0: no limit */
	__u64 rotate_bytes;	/* a new file once one is larger; 0: one file */
	__u32 rotate_files;	/* with rotate_bytes: reuse names after this many; 0: no limit */
	const char *cgroup;	/* the local cgroup every packet's flow has (capture
				 * --cgroup): named in the pcapng comments; NULL */
};

struct xtap_capsink_counts {
	__u64 written;		/* packets in the files, flushed */
	__u64 unwritten;	/* lost to a write error */
	__u64 over_limit;	/* given after the limit was reached */
};

struct xtap_capsink;

/* Name of file number n (0 for the first) of a capture to base: base, then
 * base1, base2...; with files > 0 (a ring of files) base0 .. base<files-1>,
 * zero-padded to the same width, n taken modulo files. */
void xtap_capsink_file_name(const char *base, __u32 n, __u32 files, char *buf, size_t len);

/* Creates the first file (its name from xtap_capsink_file_name). NULL with
 * "FILE: cause" in err. */
struct xtap_capsink *xtap_capsink_open(const struct xtap_capsink_opts *o, char *err,
				       size_t errlen);
/* The name slot's interfaces go by in pcapng ("veth0" makes veth0@xdp...);
 * without one, slotN. */
void xtap_capsink_name(struct xtap_capsink *s, __u32 slot, const char *name);
/* Writes the record r (checked by xtap_capread_rec_check). Its bytes are
 * written from where they lie: they stay as they are until the next
 * xtap_capsink_flush returns. Errors are counted and kept for the flush. */
void xtap_capsink_put(struct xtap_capsink *s, const struct xtap_capture_rec *r);
/* Writes out what was put: 0, or -errno of the first write error (the same
 * from then on). */
int xtap_capsink_flush(struct xtap_capsink *s);
/* The limit is reached. */
bool xtap_capsink_done(const struct xtap_capsink *s);
/* Fails the sink with -EPIPE, as the next write would, when the file is a
 * pipe or fifo whose reader has gone; so an idle capture stops too. Returns
 * the sink's error (xtap_capsink_err). */
int xtap_capsink_check(struct xtap_capsink *s);
/* The first write error, -errno; 0 while none. */
int xtap_capsink_err(const struct xtap_capsink *s);
void xtap_capsink_counts(const struct xtap_capsink *s, struct xtap_capsink_counts *c);
/* The file being written ("-" for stdout). */
const char *xtap_capsink_path(const struct xtap_capsink *s);
/* Flushes and closes the file and frees s: 0, or the first write error. */
int xtap_capsink_close(struct xtap_capsink *s);

#endif
