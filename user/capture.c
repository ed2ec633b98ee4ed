// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "user/capture.h"
#include "user/names.h"

/* A batch holds one poll's records; when it fills, it is written early. */
#define BATCH_BYTES (8u << 20)
#define BATCH_RECS 8192u

/* Each batch entry: the sequence number, then the record. */
struct entry {
	__u64 seq;
	__u32 size;
	__u32 reserved;
};

int xtap_capture_rec_check(const void *data, size_t size)
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

static const struct xtap_capture *sort_ctx;

static int by_time(const void *a, const void *b)
{
	const struct xtap_capture *c = sort_ctx;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	const struct entry *ea = (const void *)(c->buf + ia), *eb = (const void *)(c->buf + ib);
	const struct xtap_capture_rec *ra = (const void *)(ea + 1), *rb = (const void *)(eb + 1);

	if (ra->ts_ns != rb->ts_ns)
		return ra->ts_ns < rb->ts_ns ? -1 : 1;
	return ea->seq < eb->seq ? -1 : ea->seq > eb->seq;
}

static int iface_of(struct xtap_capture *c, const struct xtap_capture_rec *r)
{
	__u32 point = XTAP_POINT(r->slot, r->hook);
	char name[XTAP_IFNAMSIZ + 32];
	int id;

	if (c->iface_id[point] >= 0)
		return c->iface_id[point];
	if (c->names[r->slot][0])
		snprintf(name, sizeof(name), "%s@%s", c->names[r->slot], xtap_hook_name(r->hook));
	else
		snprintf(name, sizeof(name), "slot%u@%s", r->slot, xtap_hook_name(r->hook));
	id = xtap_pcapw_iface(c->w, name);
	if (id >= 0)
		c->iface_id[point] = id;
	return id;
}

void xtap_capture_file_name(const char *base, __u32 n, __u32 files, char *buf, size_t len)
{
	int width = 1;

	if (!files) {
		if (n)
			snprintf(buf, len, "%s%u", base, n);
		else
			snprintf(buf, len, "%s", base);
		return;
	}
	for (__u32 v = files - 1; v >= 10; v /= 10)
		width++;
	snprintf(buf, len, "%s%0*u", base, width, n % files);
}

/* Close the current file and open the next one. */
static int rotate(struct xtap_capture *c)
{
	char name[4096], err[256] = "";
	int e;

	e = xtap_pcapw_flush(c->w);
	if (e) {
		c->unwritten += xtap_pcapw_pending(c->w);
		return e;
	}
	c->written_before += xtap_pcapw_written(c->w);
	e = xtap_pcapw_close(c->w);
	c->w = NULL;
	if (e)
		return e;
	xtap_capture_file_name(c->base, ++c->file_no, c->rotate_files, name, sizeof(name));
	c->w = xtap_pcapw_open(name, c->fmt, c->snaplen, err, sizeof(err));
	if (!c->w)
		return -errno ? -errno : -EIO;
	for (size_t i = 0; i < XTAP_MAX_POINTS; i++)
		c->iface_id[i] = -1;	/* a new file describes its interfaces again */
	return 0;
}

static __u64 written_now(const struct xtap_capture *c)
{
	return c->written_before + (c->w ? xtap_pcapw_written(c->w) : 0);
}

static void write_one(struct xtap_capture *c, const struct xtap_capture_rec *r)
{
	static const char *const dirs[] = { "ab", "ba" };
	char comment[64];
	struct xtap_pcapw_pkt p = {
		.ts_ns = r->ts_ns + (__u64)c->ts_offset,
		.wire_len = r->wire_len,
		.cap_len = r->cap_len,
		.data = r + 1,
		.dir = r->hook == XTAP_HOOK_TC_EGRESS ? XTAP_PCAPW_OUT : XTAP_PCAPW_IN,
		.comment = comment,
		.keep = true,	/* the caller keeps the record until it flushes */
	};
	int id;

	if (c->err) {
		c->unwritten++;
		return;
	}
	if (c->limit && written_now(c) + xtap_pcapw_pending(c->w) >= c->limit) {
		c->over_limit++;
		return;
	}
	if (c->rotate_bytes && xtap_pcapw_size(c->w) > c->rotate_bytes) {
		c->err = rotate(c);
		if (c->err) {
			c->unwritten++;
			return;
		}
	}
	if (c->base && c->fmt == XTAP_PCAP)
		p.comment = NULL;	/* a pcap file has no place for it */
	else if (r->flow_id && r->flow_dir <= XTAP_DIR_BA)
		snprintf(comment, sizeof(comment), "hook %s, flow %016llx, direction %s",
			 xtap_hook_name(r->hook), (unsigned long long)r->flow_id, dirs[r->flow_dir]);
	else
		snprintf(comment, sizeof(comment), "hook %s, no flow", xtap_hook_name(r->hook));
	id = iface_of(c, r);
	if (id < 0) {
		c->err = -EIO;
	} else {
		p.iface = (__u32)id;
		c->err = xtap_pcapw_write(c->w, &p);
		if (!c->err)
			return;
	}
	/* this one and those given since the last flush are lost */
	c->unwritten += 1 + xtap_pcapw_pending(c->w);
}

/* Flushes what was written to the file. */
static int flush(struct xtap_capture *c)
{
	int err;

	if (c->err)
		return c->err;	/* counted when the error came */
	err = xtap_pcapw_flush(c->w);
	if (err) {
		/* what was given to the writer since the last flush is lost */
		c->unwritten += xtap_pcapw_pending(c->w);
		c->err = err;
	}
	c->written = written_now(c);
	return c->err;
}

/* Writes the batch in time order and flushes the file. */
static int batch_write(struct xtap_capture *c)
{
	sort_ctx = c;
	qsort(c->offs, c->n, sizeof(c->offs[0]), by_time);
	for (size_t i = 0; i < c->n; i++)
		write_one(c, (const void *)(c->buf + c->offs[i] + sizeof(struct entry)));
	c->n = 0;
	c->used = 0;
	return flush(c);
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct xtap_capture *c = ctx;
	size_t need = sizeof(struct entry) + size;
	struct entry *e;

	if (xtap_capture_rec_check(data, size)) {
		c->invalid++;
		return 0;
	}
	c->received++;
	if (c->n == c->ncap || c->used + need > c->cap)
		batch_write(c);
	if (need > c->cap) {
		c->unwritten++;
		return 0;
	}
	e = (void *)(c->buf + c->used);
	e->seq = c->seq++;
	e->size = (__u32)size;
	e->reserved = 0;
	memcpy(e + 1, data, size);
	c->offs[c->n++] = c->used;
	c->used += (need + 7) & ~(size_t)7;
	return 0;
}

int xtap_capture_init(struct xtap_capture *c, int ring_fd, struct xtap_pcapw *w)
{
	memset(c, 0, sizeof(*c));
	c->w = w;
	for (size_t i = 0; i < XTAP_MAX_POINTS; i++)
		c->iface_id[i] = -1;
	c->cap = BATCH_BYTES;
	c->ncap = BATCH_RECS;
	c->buf = malloc(c->cap);
	c->offs = calloc(c->ncap, sizeof(c->offs[0]));
	if (!c->buf || !c->offs) {
		xtap_capture_free(c);
		return -ENOMEM;
	}
	c->rb = ring_buffer__new(ring_fd, on_record, c, NULL);
	if (!c->rb) {
		int err = errno ? -errno : -EINVAL;

		xtap_capture_free(c);
		return err;
	}
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
 * consumer page, the producer page, the data mapped twice).
 *
 * A record may go once every ring's watermark is past its time: the clock
 * read before a pass that found the ring empty, or the latest time taken from
 * it, less XTAP_CAPTURE_SLACK_NS (a record is stamped a little before it is
 * committed); and in any case once the clock is XTAP_CAPTURE_REORDER_NS past
 * it. When the records held take more than half a ring (or
 * XTAP_CAPTURE_HOLD_BYTES), the oldest go at once.
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

struct xtap_capture_rings {
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
static void ring_scan(struct xtap_capture *c, struct rring *r, __u64 t)
{
	struct xtap_capture_rings *a = c->rd;
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
		if (xtap_capture_rec_check(e.rec, len)) {
			c->invalid++;
			continue;
		}
		e.ts = e.rec->ts_ns;
		e.seq = r->seq++;
		e.size = len;
		e.ring = r->idx;
		if (enqueue(r, &e)) {
			c->unwritten++;	/* no memory to hold it: released unwritten */
			continue;
		}
		c->received++;
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

static void mh_down(struct xtap_capture_rings *a, int i)
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
static int write_held(struct xtap_capture *c, bool all)
{
	struct xtap_capture_rings *a = c->rd;
	__u64 now = mono_ns();
	__u64 horizon = now > XTAP_CAPTURE_REORDER_NS ? now - XTAP_CAPTURE_REORDER_NS : 0;
	__u64 wm = ~0ull, bytes = 0;
	int n = 0, err;

	a->nmh = 0;
	for (int i = 0; i < a->nq; i++) {
		struct rring *r = &a->q[i];

		ring_scan(c, r, now);
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
			write_one(c, e->rec);
			n++;
		}
		if (stop)
			break;
		if (r->qh == r->n)
			a->mh[0] = a->mh[--a->nmh];
		if (a->nmh)
			mh_down(a, 0);
	}
	err = flush(c);
	for (int i = 0; i < a->nq; i++)
		ring_release(&a->q[i]);
	a->behind = bytes >= a->pass_max || mono_ns() - now >= XTAP_CAPTURE_WRITE_MS * 1000000ull;
	return err ? err : n;
}

/* Every ring given back to where the kernel has written: none has data. */
static bool rings_empty(const struct xtap_capture_rings *a)
{
	for (int i = 0; i < a->nq; i++)
		if (__atomic_load_n(a->q[i].prod_pos, __ATOMIC_ACQUIRE) != a->q[i].seen)
			return false;
	return true;
}

static void rings_free(struct xtap_capture_rings *a)
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

int xtap_capture_init_rings(struct xtap_capture *c, const int *ring_fds, int nrings,
			    struct xtap_pcapw *w)
{
	struct xtap_capture_rings *a;
	int err = 0;

	if (nrings < 1 || nrings > XTAP_CAPTURE_RINGS)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->w = w;
	for (size_t i = 0; i < XTAP_MAX_POINTS; i++)
		c->iface_id[i] = -1;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->epfd = -1;
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
		rings_free(a);
		return err;
	}
	a->pass_max = a->hold_max / 4 < XTAP_CAPTURE_PASS_BYTES ? a->hold_max / 4
							       : XTAP_CAPTURE_PASS_BYTES;
	c->rd = a;
	return 0;
}

static int finish(struct xtap_capture *c, int n)
{
	int err = batch_write(c);

	if (n < 0)
		return n;
	return err ? err : n;
}

int xtap_capture_poll(struct xtap_capture *c, int timeout_ms)
{
	if (c->rd) {
		struct xtap_capture_rings *a = c->rd;
		int ms = timeout_ms < XTAP_CAPTURE_WRITE_MS ? timeout_ms : XTAP_CAPTURE_WRITE_MS;

		if (a->behind) {
			/* the last pass left records or took longer than a
			 * wait: no wait, or the backlog grows with each pass */
		} else if (a->held_bytes || !rings_empty(a)) {
			/* the rings hold what comes meanwhile */
			struct timespec t = { .tv_nsec = ms * 1000000L };

			if (nanosleep(&t, NULL))
				return -errno;
		} else {
			/* nothing held, every ring given back and empty: the
			 * next record's commit finds the consumer caught up
			 * and wakes this */
			struct epoll_event ev[XTAP_CAPTURE_RINGS];

			if (epoll_wait(a->epfd, ev, XTAP_CAPTURE_RINGS, timeout_ms) < 0)
				return -errno;
		}
		return write_held(c, false);
	}
	return finish(c, ring_buffer__poll(c->rb, timeout_ms));
}

int xtap_capture_drain(struct xtap_capture *c)
{
	if (c->rd) {
		int n = 0, m;

		/* until a pass finds nothing more */
		do {
			m = write_held(c, true);
			n += m > 0 ? m : 0;
		} while (m > 0);
		return m < 0 ? m : n;
	}
	return finish(c, ring_buffer__consume(c->rb));
}

bool xtap_capture_done(const struct xtap_capture *c)
{
	return c->limit && c->written >= c->limit;
}

void xtap_capture_free(struct xtap_capture *c)
{
	rings_free(c->rd);
	c->rd = NULL;
	ring_buffer__free(c->rb);
	c->rb = NULL;
	free(c->buf);
	free(c->offs);
	c->buf = NULL;
	c->offs = NULL;
}
