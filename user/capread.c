// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "user/capread.h"
#include "user/capsink.h"

int xtap_capread_rec_check(const void *data, size_t size)
{
	const struct xtap_capture_rec *r = data;

	if (size < sizeof(*r) || r->version != XTAP_CAPTURE_VERSION)
		return -EINVAL;
	if (r->hook >= XTAP_HOOK_MAX || r->slot >= XTAP_MAX_SLOTS)
		return -EINVAL;
	if (r->cap_len == 0 || r->cap_len > XTAP_SNAP_MAX || r->cap_len > r->wire_len)
		return -EINVAL;
	if (size < sizeof(*r) + r->cap_len)
		return -EINVAL;
	if (r->flow_dir > XTAP_DIR_BA && r->flow_dir != XTAP_CAPTURE_NO_FLOW)
		return -EINVAL;
	return 0;
}

/*
 * Several rings, read in place by the caller's thread. Each pass looks at
 * what the programs committed since the last one and queues each record
 * where it lies in its ring's memory; one CPU writes each ring, so a ring's
 * records come in time order (a late one is put in its place from the
 * tail). The queue heads are merged through a small heap of rings, and the
 * records that may go are written with writev straight from the ring (no
 * copy in user space). Once the file is flushed, each ring's consumer
 * position moves past its records written, and the kernel may reuse that
 * room: the ring itself is the reorder buffer. libbpf's ring_buffer hands
 * each record to a callback and gives its room back when the callback
 * returns, so a record could not stay in the ring until it is written: the
 * rings are mapped here the way libbpf maps them (the kernel's layout: the
 * consumer page, the producer page, the data mapped twice). When a record
 * may go: capread.h.
 */
struct rent {
	__u64 ts;
	__u64 seq;		/* ring order: ties keep it */
	__u64 pos;		/* of its header in the ring */
	const struct xtap_capture_rec *rec;
	__u32 size;
	__u32 ring;
};

struct rring {
	__u32 idx;
	void *cons_map, *prod_map;
	size_t prod_len;
	unsigned long *cons_pos;	/* the kernel's layout: one page each */
	const unsigned long *prod_pos;
	const __u8 *data;		/* mapped twice: a record is contiguous */
	__u64 mask;
	__u64 seen;		/* position of the next record to look at */
	__u64 seq;
	__u64 last;		/* latest time taken */
	__u64 wm;		/* nothing older still to come from this ring */
	struct rent *q;		/* sorted by (ts, seq), from qh */
	size_t qh, n, cap;
};

struct xtap_capread {
	struct xtap_capsink *sink;
	struct xtap_capread_counts n;
	int nq;
	int epfd;		/* the rings, to wait for data when none is held */
	__u64 held_bytes, hold_max;
	__u64 pass_max;		/* bytes a pass writes at most */
	bool behind;		/* the last pass stopped there, or took longer than a wait */
	struct rring *mh[XTAP_CAPTURE_RINGS];	/* min-heap of rings by queue head */
	int nmh;
	struct rring q[XTAP_CAPTURE_RINGS];
};

static __u64 mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u64)t.tv_sec * 1000000000ull + (__u64)t.tv_nsec;
}

static bool rent_before(const struct rent *a, const struct rent *b)
{
	if (a->ts != b->ts)
		return a->ts < b->ts;
	if (a->ring != b->ring)
		return a->ring < b->ring;
	return a->seq < b->seq;
}

/* Into the ring's queue, in its place (nearly always the end). */
static int enqueue(struct rring *r, const struct rent *e)
{
	size_t j;

	if (r->n == r->cap && r->qh) {
		memmove(r->q, r->q + r->qh, (r->n - r->qh) * sizeof(r->q[0]));
		r->n -= r->qh;
		r->qh = 0;
	}
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 4096;
		struct rent *p = realloc(r->q, nc * sizeof(*p));

		if (!p)
			return -ENOMEM;
		r->q = p;
		r->cap = nc;
	}
	for (j = r->n; j > r->qh && rent_before(e, &r->q[j - 1]); j--)
		r->q[j] = r->q[j - 1];
	r->q[j] = *e;
	r->n++;
	return 0;
}

/* Queues what ring r holds past what was seen; t: the clock before. */
static void ring_scan(struct xtap_capread *a, struct rring *r, __u64 t)
{
	__u64 prod = __atomic_load_n(r->prod_pos, __ATOMIC_ACQUIRE);
	bool drained = true;

	while (r->seen < prod) {
		const __u32 *hdr = (const void *)(r->data + (r->seen & r->mask));
		__u32 len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		struct rent e;

		if (len & BPF_RINGBUF_BUSY_BIT) {
			drained = false;	/* being written: next pass */
			break;
		}
		e.pos = r->seen;
		r->seen += (BPF_RINGBUF_HDR_SZ + (len & ~BPF_RINGBUF_DISCARD_BIT) + 7) & ~7ull;
		if (len & BPF_RINGBUF_DISCARD_BIT)
			continue;
		e.rec = (const void *)((const __u8 *)hdr + BPF_RINGBUF_HDR_SZ);
		if (xtap_capread_rec_check(e.rec, len)) {
			a->n.invalid++;
			continue;
		}
		e.ts = e.rec->ts_ns;
		e.seq = r->seq++;
		e.size = len;
		e.ring = r->idx;
		if (enqueue(r, &e)) {
			a->n.unheld++;	/* no memory to hold it: released unwritten */
			continue;
		}
		a->n.received++;
		a->held_bytes += len;
		if (e.ts > r->last)
			r->last = e.ts;
	}
	if (drained && t > r->last)
		r->last = t;
	if (r->last > XTAP_CAPTURE_SLACK_NS && r->last - XTAP_CAPTURE_SLACK_NS > r->wm)
		r->wm = r->last - XTAP_CAPTURE_SLACK_NS;
}

/* Gives the kernel back the room of ring r's records written: up to the
 * first one still queued (in ring order). */
static void ring_release(struct rring *r)
{
	__u64 pos = r->seen;

	for (size_t j = r->qh; j < r->n; j++)
		if (r->q[j].pos < pos)
			pos = r->q[j].pos;
	if (r->qh == r->n)
		r->qh = r->n = 0;
	__atomic_store_n(r->cons_pos, (unsigned long)pos, __ATOMIC_RELEASE);
}

static bool q_before(const struct rring *x, const struct rring *y)
{
	return rent_before(&x->q[x->qh], &y->q[y->qh]);
}

static void mh_down(struct xtap_capread *a, int i)
{
	struct rring *t = a->mh[i];

	for (;;) {
		int l = 2 * i + 1, m = l;

		if (l >= a->nmh)
			break;
		if (l + 1 < a->nmh && q_before(a->mh[l + 1], a->mh[l]))
			m = l + 1;
		if (!q_before(a->mh[m], t))
			break;
		a->mh[i] = a->mh[m];
		i = m;
	}
	a->mh[i] = t;
}

/* One pass: takes what the rings hold, writes the records that may go (all:
 * every one) in time order, flushes, gives the room back. Returns the
 * records written, or -errno. */
static int write_held(struct xtap_capread *a, bool all)
{
	__u64 now = mono_ns();
	__u64 horizon = now > XTAP_CAPTURE_REORDER_NS ? now - XTAP_CAPTURE_REORDER_NS : 0;
	__u64 wm = ~0ull, bytes = 0;
	int n = 0, err;

	a->nmh = 0;
	for (int i = 0; i < a->nq; i++) {
		struct rring *r = &a->q[i];

		ring_scan(a, r, now);
		if (r->wm < wm)
			wm = r->wm;
		if (r->qh < r->n)
			a->mh[a->nmh++] = r;
	}
	/* nothing older than every ring's watermark is still to come */
	if (wm > horizon)
		horizon = wm;
	for (int i = a->nmh / 2 - 1; i >= 0; i--)
		mh_down(a, i);
	while (a->nmh) {
		struct rring *r = a->mh[0];
		/* the first ring's records go until the next ring's head */
		const struct rent *rival = NULL;
		bool stop = false;

		for (int i = 1; i <= 2 && i < a->nmh; i++) {
			const struct rent *o = &a->mh[i]->q[a->mh[i]->qh];

			if (!rival || rent_before(o, rival))
				rival = o;
		}
		while (r->qh < r->n) {
			const struct rent *e = &r->q[r->qh];

			if (!all && e->ts > horizon && a->held_bytes <= a->hold_max) {
				stop = true;
				break;
			}
			if (rival && !rent_before(e, rival))
				break;
			if (bytes >= a->pass_max) {
				/* the room of what is written goes back at
				 * the end of a pass: a long one would keep a
				 * ring full while more comes */
				stop = true;
				break;
			}
			bytes += e->size;
			r->qh++;
			a->held_bytes -= e->size;
			/* written from the ring: its room is given back after
			 * the flush */
			xtap_capsink_put(a->sink, e->rec);
			n++;
		}
		if (stop)
			break;
		if (r->qh == r->n)
			a->mh[0] = a->mh[--a->nmh];
		if (a->nmh)
			mh_down(a, 0);
	}
	err = xtap_capsink_flush(a->sink);
	for (int i = 0; i < a->nq; i++)
		ring_release(&a->q[i]);
	a->behind = bytes >= a->pass_max || mono_ns() - now >= XTAP_CAPTURE_WRITE_MS * 1000000ull;
	return err ? err : n;
}

/* Every ring given back to where the kernel has written: none has data. */
static bool rings_empty(const struct xtap_capread *a)
{
	for (int i = 0; i < a->nq; i++)
		if (__atomic_load_n(a->q[i].prod_pos, __ATOMIC_ACQUIRE) != a->q[i].seen)
			return false;
	return true;
}

static int ring_map(struct rring *r, int fd)
{
	size_t page = (size_t)getpagesize();
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return errno ? -errno : -EINVAL;
	if (info.type != BPF_MAP_TYPE_RINGBUF || !info.max_entries ||
	    (info.max_entries & (info.max_entries - 1)))
		return -EINVAL;
	r->mask = info.max_entries - 1;
	r->cons_map = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r->cons_map == MAP_FAILED) {
		r->cons_map = NULL;
		return -errno;
	}
	r->prod_len = page + 2 * (size_t)info.max_entries;
	r->prod_map = mmap(NULL, r->prod_len, PROT_READ, MAP_SHARED, fd, (off_t)page);
	if (r->prod_map == MAP_FAILED) {
		r->prod_map = NULL;
		return -errno;
	}
	r->cons_pos = r->cons_map;
	r->prod_pos = r->prod_map;
	r->data = (const __u8 *)r->prod_map + page;
	r->seen = __atomic_load_n(r->cons_pos, __ATOMIC_ACQUIRE);
	return 0;
}

int xtap_capread_new(struct xtap_capread **out, const int *ring_fds, int nrings,
		     struct xtap_capsink *sink)
{
	struct xtap_capread *a;
	int err = 0;

	*out = NULL;
	if (nrings < 1 || nrings > XTAP_CAPTURE_RINGS)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->sink = sink;
	a->nq = nrings;
	a->hold_max = XTAP_CAPTURE_HOLD_BYTES;
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->epfd < 0)
		err = -errno;
	for (int i = 0; i < nrings && !err; i++) {
		struct epoll_event ev = { .events = EPOLLIN };

		a->q[i].idx = (__u32)i;
		err = ring_map(&a->q[i], ring_fds[i]);
		if (!err && (a->q[i].mask + 1) / 2 < a->hold_max)
			a->hold_max = (a->q[i].mask + 1) / 2;
		if (!err && epoll_ctl(a->epfd, EPOLL_CTL_ADD, ring_fds[i], &ev))
			err = -errno;
	}
	if (err) {
		xtap_capread_free(a);
		return err;
	}
	a->pass_max = a->hold_max / 4 < XTAP_CAPTURE_PASS_BYTES ? a->hold_max / 4
							       : XTAP_CAPTURE_PASS_BYTES;
	*out = a;
	return 0;
}

int xtap_capread_poll(struct xtap_capread *a, int timeout_ms)
{
	int ms = timeout_ms < XTAP_CAPTURE_WRITE_MS ? timeout_ms : XTAP_CAPTURE_WRITE_MS;

	if (a->behind) {
		/* the last pass left records or took longer than a wait: no
		 * wait, or the backlog grows with each pass */
	} else if (a->held_bytes || !rings_empty(a)) {
		/* the rings hold what comes meanwhile */
		struct timespec t = { .tv_nsec = ms * 1000000L };

		if (nanosleep(&t, NULL))
			return -errno;
	} else {
		/* nothing held, every ring given back and empty: the next
		 * record's commit finds the consumer caught up and wakes this */
		struct epoll_event ev[XTAP_CAPTURE_RINGS];

		if (epoll_wait(a->epfd, ev, XTAP_CAPTURE_RINGS, timeout_ms) < 0)
			return -errno;
	}
	return write_held(a, false);
}

int xtap_capread_drain(struct xtap_capread *a)
{
	int n = 0, m;

	/* until a pass finds nothing more */
	do {
		m = write_held(a, true);
		n += m > 0 ? m : 0;
	} while (m > 0);
	return m < 0 ? m : n;
}

void xtap_capread_counts(const struct xtap_capread *a, struct xtap_capread_counts *c)
{
	*c = a->n;
}

void xtap_capread_free(struct xtap_capread *a)
{
	if (!a)
		return;
	if (a->epfd >= 0)
		close(a->epfd);
	for (int i = 0; i < a->nq; i++) {
		struct rring *r = &a->q[i];

		if (r->cons_map)
			munmap(r->cons_map, (size_t)getpagesize());
		if (r->prod_map)
			munmap(r->prod_map, r->prod_len);
		free(r->q);
	}
	free(a);
}
