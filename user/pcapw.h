/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Capture file writers: pcap (nanosecond timestamps) and pcapng (one
 * interface block per (interface, hook), a direction flag and a comment per
 * packet). Packets are queued and written by xtap_pcapw_flush (or sooner,
 * when the queue is full) with writev: headers are copied, and the data of
 * a packet given with keep is written from where it lies, not copied. When
 * a write fails the file is cut back to the end of the last flushed packet,
 * so it stays valid.
 *
 * Both formats are written here rather than pcap through libpcap's
 * pcap_dump: that goes through stdio, which copies every packet once more
 * before the kernel copies it into the file; here the data of a kept
 * packet goes from where it lies straight to writev. libpcap reads every
 * file back in the tests (and tshark in the selftests).
 */
#ifndef XTAP_USER_PCAPW_H
#define XTAP_USER_PCAPW_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

enum xtap_pcapw_fmt { XTAP_PCAP = 0, XTAP_PCAPNG = 1 };

enum xtap_pcapw_dir { XTAP_PCAPW_DIR_UNKNOWN = 0, XTAP_PCAPW_IN = 1, XTAP_PCAPW_OUT = 2 };

struct xtap_pcapw_pkt {
	__u64 ts_ns;		/* ns since the epoch */
	__u32 wire_len;
	__u32 cap_len;
	const void *data;
	__u32 iface;		/* pcapng: the id xtap_pcapw_iface returned */
	int dir;		/* enum xtap_pcapw_dir */
	const char *comment;	/* pcapng: NULL for none */
	bool keep;		/* data stays as it is until the next flush or
				 * close returns: written from there, not copied */
};

struct xtap_pcapw;

/* path "-" writes to stdout. New files are created mode 0600. NULL on
 * failure with the cause in err. */
struct xtap_pcapw *xtap_pcapw_open(const char *path, enum xtap_pcapw_fmt fmt, __u32 snaplen,
				   char *err, size_t errlen);
/* pcapng: the id of the interface called name ("veth0@xdp"), adding its
 * description block on first use. pcap: always 0. -1 on a write error. */
int xtap_pcapw_iface(struct xtap_pcapw *w, const char *name);
/* 0, or -errno of the failed write (nothing more can be written). */
int xtap_pcapw_write(struct xtap_pcapw *w, const struct xtap_pcapw_pkt *p);
/* Write out what is buffered: 0 or -errno. On failure the file ends with the
 * last packet of the previous successful flush. */
int xtap_pcapw_flush(struct xtap_pcapw *w);
/* Bytes of the file so far, buffered ones included. */
__u64 xtap_pcapw_size(const struct xtap_pcapw *w);
/* Packets written by successful flushes; packets given since are pending. */
__u64 xtap_pcapw_written(const struct xtap_pcapw *w);
__u64 xtap_pcapw_pending(const struct xtap_pcapw *w);
/* The file is a pipe or fifo whose reader has gone: the next write would
 * fail with EPIPE. Does not wait. */
bool xtap_pcapw_reader_gone(const struct xtap_pcapw *w);
/* Flushes and closes: 0 or -errno of the flush. */
int xtap_pcapw_close(struct xtap_pcapw *w);

#endif
