/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The AF_XDP consumer of xtap capture --afxdp: one AF_XDP socket (libxdp's
 * xsk API, each with its own UMEM) per RX queue of each captured interface,
 * entered in the programs' XSKMAP at XTAP_XSK_KEY(slot, queue). Frames the
 * XDP program redirects there are read, optionally matched against a
 * libpcap filter in user space, and handed to a pcap or pcapng writer.
 */
#ifndef XTAP_USER_AFXDP_H
#define XTAP_USER_AFXDP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "maps/xtap.h"
#include "user/filter.h"
#include "user/pcapw.h"

#define XTAP_AFXDP_MAX_SOCKS 256

struct xtap_afxdp_sock;

struct xtap_afxdp {
	struct xtap_pcapw *w;
	int xskmap_fd;		/* the programs' xtap_xsk */
	__s64 ts_offset;	/* added to the programs' clock: ns since the epoch */
	__u64 limit;		/* stop after this many packets; 0: no limit */
	__u32 snaplen;
	/* user-space filter (classic BPF from libpcap); n == 0: none */
	struct sock_filter *filter;
	size_t filter_len;
	struct xtap_afxdp_sock *s[XTAP_AFXDP_MAX_SOCKS];
	int n;
	int n_zerocopy;		/* sockets bound in zero-copy mode */
	/* counts */
	__u64 received;		/* frames read from the sockets */
	__u64 filtered;		/* rejected by the filter */
	__u64 unwritten;	/* lost to a write error */
	__u64 over_limit;	/* read after the limit was reached */
	__u64 written;		/* packets in the file */
	int err;		/* first write error, -errno */
};

/* Starts with no socket. filter_expr may be NULL. 0, or -1 with the cause
 * in err. */
int xtap_afxdp_init(struct xtap_afxdp *a, struct xtap_pcapw *w, int xskmap_fd, __u32 snaplen,
		    const char *filter_expr, char *err, size_t len);

/* Number of RX queues of ifname in this network namespace (at least 1). */
int xtap_afxdp_rx_queues(const char *ifname);

/* Binds a socket to every RX queue of ifname (zero-copy where the driver
 * takes it, else copy mode) and enters each in the XSKMAP for slot. pcapng
 * interface name: ifname@xdp. 0, or -errno with the cause in err. */
int xtap_afxdp_add_iface(struct xtap_afxdp *a, const char *ifname, __u32 slot, char *err,
			 size_t len);

/* Waits up to timeout_ms, then writes what the sockets hold and flushes the
 * file. Returns the frames read, or -errno (-EINTR: a signal came first; a
 * write error: a->err). */
int xtap_afxdp_poll(struct xtap_afxdp *a, int timeout_ms);

/* The limit is reached. */
bool xtap_afxdp_done(const struct xtap_afxdp *a);

/* Frames the kernel could not put in a socket: rx_dropped + rx_ring_full of
 * XDP_STATISTICS, summed over the sockets. */
__u64 xtap_afxdp_dropped(const struct xtap_afxdp *a);

/* Takes the sockets out of the XSKMAP and closes them (not the writer). */
void xtap_afxdp_free(struct xtap_afxdp *a);

#endif
