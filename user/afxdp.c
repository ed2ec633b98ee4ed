// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/if_xdp.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include <xdp/xsk.h>

#include "user/afxdp.h"

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

/*
 * Per socket: a UMEM of s->frames chunks of FRAME bytes, and RX and fill
 * rings as large as that, so that every chunk can wait in the RX ring while
 * the writer is not scheduled: 16384 frames (64 MiB) for one queue, down
 * to 2048 each when there are many.
 */
#define FRAME XSK_UMEM__DEFAULT_FRAME_SIZE
#define FRAMES_ALL 65536u
#define FRAMES_MIN 2048u
#define FRAMES_MAX 16384u
#define BATCH 256u

struct xtap_afxdp_sock {
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	struct xsk_ring_cons rx;
	void *area;
	__u32 frames;		/* chunks in the UMEM, a power of 2 */
	__u32 key;		/* in the XSKMAP; UINT32_MAX until entered */
	int iface;		/* the writer's interface id */
	int fd;
};

int xtap_afxdp_init(struct xtap_afxdp *a, struct xtap_pcapw *w, int xskmap_fd, __u32 snaplen,
		    const char *filter_expr, char *err, size_t len)
{
	memset(a, 0, sizeof(*a));
	a->w = w;
	a->xskmap_fd = xskmap_fd;
	a->snaplen = snaplen;
	if (filter_expr && *filter_expr &&
	    xtap_filter_classic(filter_expr, XTAP_SNAP_MAX, &a->filter, &a->filter_len, err, len))
		return -1;
	return 0;
}

int xtap_afxdp_rx_queues(const char *ifname)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), n = 1;

	if (fd < 0)
		return 1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ch;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0) {
		__u32 q = ch.rx_count > ch.combined_count ? ch.rx_count : ch.combined_count;

		if (q > 1)
			n = (int)q;
	}
	close(fd);
	return n;
}

static void sock_free(struct xtap_afxdp *a, struct xtap_afxdp_sock *s)
{
	if (!s)
		return;
	if (s->key != UINT32_MAX)
		bpf_map_delete_elem(a->xskmap_fd, &s->key);
	if (s->xsk)
		xsk_socket__delete(s->xsk);
	if (s->umem)
		xsk_umem__delete(s->umem);
	if (s->area)
		munmap(s->area, (size_t)s->frames * FRAME);
	free(s);
}

/* A UMEM on s->area and a socket on (ifname, queue) with bind_flags. */
static int sock_bind(struct xtap_afxdp_sock *s, const char *ifname, __u32 queue, __u16 bind_flags)
{
	struct xsk_umem_config uc = {
		.fill_size = s->frames, .comp_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.frame_size = FRAME, .frame_headroom = XSK_UMEM__DEFAULT_FRAME_HEADROOM,
	};
	struct xsk_socket_config sc = {
		.rx_size = s->frames,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,	/* xtap's program */
		.bind_flags = bind_flags,
	};
	__u32 idx = 0;
	int r;

	r = xsk_umem__create(&s->umem, s->area, (__u64)s->frames * FRAME, &s->fq, &s->cq, &uc);
	if (r) {
		s->umem = NULL;
		return r;
	}
	r = xsk_socket__create(&s->xsk, ifname, queue, s->umem, &s->rx, NULL, &sc);
	if (r) {
		s->xsk = NULL;
		xsk_umem__delete(s->umem);
		s->umem = NULL;
		return r;
	}
	/* every frame that is not in the RX ring waits in the fill ring */
	if (xsk_ring_prod__reserve(&s->fq, s->frames, &idx) != s->frames)
		return -ENOMEM;
	for (__u32 i = 0; i < s->frames; i++)
		*xsk_ring_prod__fill_addr(&s->fq, idx + i) = (__u64)i * FRAME;
	xsk_ring_prod__submit(&s->fq, s->frames);
	s->fd = xsk_socket__fd(s->xsk);
	return 0;
}

static bool is_zerocopy(int fd)
{
	struct xdp_options o = { 0 };
	socklen_t l = sizeof(o);

	return getsockopt(fd, SOL_XDP, XDP_OPTIONS, &o, &l) == 0 && (o.flags & XDP_OPTIONS_ZEROCOPY);
}

int xtap_afxdp_add_iface(struct xtap_afxdp *a, const char *ifname, __u32 slot, char *err,
			 size_t len)
{
	char name[XTAP_IFNAMSIZ + 8];
	int nq = xtap_afxdp_rx_queues(ifname), iface, r;
	__u32 frames = FRAMES_MAX;

	if (nq > XTAP_XSK_QUEUES) {
		snprintf(err, len, "%d RX queues; AF_XDP capture takes at most %d", nq,
			 XTAP_XSK_QUEUES);
		return -ERANGE;
	}
	if (a->n + nq > XTAP_AFXDP_MAX_SOCKS) {
		snprintf(err, len, "more than %d RX queues in all", XTAP_AFXDP_MAX_SOCKS);
		return -ERANGE;
	}
	while (frames > FRAMES_MIN && frames * (__u32)nq > FRAMES_ALL)
		frames /= 2;
	snprintf(name, sizeof(name), "%s@xdp", ifname);
	iface = xtap_pcapw_iface(a->w, name);
	if (iface < 0) {
		snprintf(err, len, "write the interface description");
		return -EIO;
	}
	for (int q = 0; q < nq; q++) {
		struct xtap_afxdp_sock *s = calloc(1, sizeof(*s));

		if (!s) {
			snprintf(err, len, "out of memory");
			return -ENOMEM;
		}
		s->key = UINT32_MAX;
		s->iface = iface;
		s->frames = frames;
		s->area = mmap(NULL, (size_t)frames * FRAME, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (s->area == MAP_FAILED) {
			s->area = NULL;
			r = -errno;
			free(s);
			snprintf(err, len, "UMEM: %s", strerror(-r));
			return r;
		}
		a->s[a->n++] = s;
		/* zero-copy where the driver has it, else copy mode */
		r = sock_bind(s, ifname, (__u32)q, XDP_ZEROCOPY | XDP_USE_NEED_WAKEUP);
		if (r && r != -ENOMEM)
			r = sock_bind(s, ifname, (__u32)q, XDP_COPY | XDP_USE_NEED_WAKEUP);
		if (r) {
			snprintf(err, len, "AF_XDP socket on queue %d: %s%s", q, strerror(-r),
				 r == -EBUSY ? " (another AF_XDP socket holds the queue)" : "");
			return r;
		}
		if (is_zerocopy(s->fd))
			a->n_zerocopy++;
		s->key = XTAP_XSK_KEY(slot, (__u32)q);
		if (bpf_map_update_elem(a->xskmap_fd, &s->key, &s->fd, BPF_ANY)) {
			r = -errno;
			s->key = UINT32_MAX;
			snprintf(err, len, "enter queue %d's socket in the XSKMAP: %s", q, strerror(-r));
			return r;
		}
	}
	return 0;
}

static __u64 real_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (__u64)t.tv_sec * 1000000000ull + (__u64)t.tv_nsec;
}

/* One frame at data (len bytes): filter, then write. */
static void take(struct xtap_afxdp *a, struct xtap_afxdp_sock *s, __u8 *data, __u32 len,
		 __u64 now)
{
	struct xtap_xsk_meta *m = (struct xtap_xsk_meta *)(data - sizeof(*m));
	struct xtap_pcapw_pkt p = {
		.wire_len = len, .cap_len = len < a->snaplen ? len : a->snaplen, .data = data,
		.iface = (__u32)s->iface, .dir = XTAP_PCAPW_IN,
	};
	int r;

	/* the XDP program's receive time, when it could write one */
	p.ts_ns = now;
	if (m->magic == XTAP_XSK_META_MAGIC) {
		p.ts_ns = (__u64)((__s64)m->ts_ns + a->ts_offset);
		m->magic = 0;	/* the chunk is reused: no stale time */
	}
	a->received++;
	if (a->filter_len && !xtap_filter_classic_run(a->filter, a->filter_len, data, len)) {
		a->filtered++;
		return;
	}
	if (a->limit && a->written + xtap_pcapw_pending(a->w) >= a->limit) {
		a->over_limit++;
		return;
	}
	if (a->err) {
		a->unwritten++;
		return;
	}
	r = xtap_pcapw_write(a->w, &p);
	if (r) {
		a->err = r;
		a->unwritten++;
	}
}

/* Everything the RX ring of s holds now; the chunks go back to the fill ring. */
static int sock_read(struct xtap_afxdp *a, struct xtap_afxdp_sock *s, __u64 now)
{
	__u32 idx = 0, fidx = 0, n, total = 0;

	while ((n = xsk_ring_cons__peek(&s->rx, BATCH, &idx)) > 0) {
		for (__u32 i = 0; i < n; i++) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(&s->rx, idx + i);

			take(a, s, xsk_umem__get_data(s->area, d->addr), d->len, now);
		}
		/* the fill ring has room for every chunk: they all started there */
		while (xsk_ring_prod__reserve(&s->fq, n, &fidx) != n)
			;
		for (__u32 i = 0; i < n; i++) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(&s->rx, idx + i);

			*xsk_ring_prod__fill_addr(&s->fq, fidx + i) = d->addr & ~(__u64)(FRAME - 1);
		}
		xsk_ring_prod__submit(&s->fq, n);
		xsk_ring_cons__release(&s->rx, n);
		total += n;
	}
	if (xsk_ring_prod__needs_wakeup(&s->fq))
		recvfrom(s->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
	return (int)total;
}

int xtap_afxdp_poll(struct xtap_afxdp *a, int timeout_ms)
{
	struct pollfd pfd[XTAP_AFXDP_MAX_SOCKS];
	__u64 now;
	int n = 0, r;

	for (int i = 0; i < a->n; i++)
		pfd[i] = (struct pollfd){ .fd = a->s[i]->fd, .events = POLLIN };
	r = poll(pfd, (nfds_t)a->n, timeout_ms);
	if (r < 0)
		return -errno;
	now = real_now_ns();
	for (int i = 0; i < a->n; i++)
		n += sock_read(a, a->s[i], now);
	if (n && !a->err) {
		__u64 pending = xtap_pcapw_pending(a->w);

		r = xtap_pcapw_flush(a->w);
		if (r) {
			a->err = r;
			a->unwritten += pending;
		} else {
			a->written += pending;
		}
	}
	return a->err ? a->err : n;
}

bool xtap_afxdp_done(const struct xtap_afxdp *a)
{
	return a->limit && a->written >= a->limit;
}

__u64 xtap_afxdp_dropped(const struct xtap_afxdp *a)
{
	__u64 n = 0;

	for (int i = 0; i < a->n; i++) {
		struct xdp_statistics st = { 0 };
		socklen_t l = sizeof(st);

		if (a->s[i]->xsk && getsockopt(a->s[i]->fd, SOL_XDP, XDP_STATISTICS, &st, &l) == 0)
			n += st.rx_dropped + st.rx_ring_full;
	}
	return n;
}

void xtap_afxdp_free(struct xtap_afxdp *a)
{
	for (int i = 0; i < a->n; i++)
		sock_free(a, a->s[i]);
	a->n = 0;
	free(a->filter);
	a->filter = NULL;
	a->filter_len = 0;
}
