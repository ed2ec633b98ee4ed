// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>

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
 * Several rings, one reader thread per ring or group of rings. A reader
 * copies each record it takes from a ring into its current chunk, a large
 * block filled in order, and hands the records over in batches, per ring.
 * One CPU writes each ring, so a ring's records come in time order: the
 * caller's thread (xtap_capture_poll) keeps one queue per ring sorted by time
 * (a late record is put in its place from the tail), merges the queue heads
 * through a small heap of rings and writes the records the reorder window
 * lets go. A chunk goes back to its reader once its records are written and
 * the reader has moved on to another.
 */
#define CHUNK_BYTES (4u << 20)
/* A reader hands its records over after this many, and after each pass over
 * its rings; an idle reader still looks at its rings this often, so that
 * their watermarks keep up with the clock. */
#define READER_HAND_OVER 1024u
#define READER_WAIT_MS 5
/* Chunks a reader fills at most: then it stops reading until the writer
 * gives one back, and its ring holds what comes meanwhile (the kernel counts
 * what does not fit). The records held stay few enough to be in cache. */
#define READER_CHUNKS 8u

static __u64 mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u64)t.tv_sec * 1000000000ull + (__u64)t.tv_nsec;
}


struct reader;

struct chunk {
	struct chunk *next;	/* in the reader's list of free chunks */
	struct reader *owner;
	size_t size;
	__u32 refs;		/* records not yet written, +1 while filled */
	__u32 reserved;
};

struct held {
	__u64 ts;
	__u64 seq;		/* per reader: ties keep ring order */
	__u32 reader;
	__u32 size;
	struct chunk *chunk;
	/* the record */
};

struct vec {
	struct held **v;
	size_t n, cap;
};

/* One ring's records on their way. */
struct ringq {
	struct reader *r;
	struct vec loc;		/* the reader's: taken, not yet handed over */
	struct vec pend;	/* under mu: handed over, not yet queued */
	struct vec tmp;		/* the caller's: pend taken out of the lock */
	struct vec q;		/* the caller's: sorted by (ts, reader, seq) */
	size_t qh;		/* first one of q still held */
	__u64 last;		/* the reader's: latest time taken from the ring */
	__u64 wm;		/* under mu: every record of the ring older than
				 * this has been handed over */
};

struct reader {
	struct xtap_capture_readers *all;
	struct ring_buffer *rb;
	pthread_t th;
	bool started;
	__u32 idx;
	__u64 seq;
	__u64 received, invalid, nomem;
	__u32 loose;		/* records taken since the last hand-over */
	__u32 nchunks;		/* CHUNK_BYTES chunks allocated */
	bool full;		/* all of them in use: stop reading */
	struct chunk *cur;	/* being filled */
	size_t used;		/* bytes of cur taken */
	struct chunk *mine;	/* free chunks this reader took back */
	struct chunk *spare;	/* free chunks given back by the writer */
};

struct xtap_capture_readers {
	pthread_mutex_t mu;
	volatile int stop;
	size_t held_bytes;
	int n, nq;
	struct ringq *mh[XTAP_CAPTURE_RINGS];	/* min-heap of queues by head */
	int nmh;
	/* the caller's: chunks of the records written, kept until the flush,
	 * as runs of records in the same chunk */
	struct run {
		struct chunk *k;
		__u32 n;
	} *done;
	size_t ndone, capdone;
	struct reader r[XTAP_CAPTURE_RINGS];
	struct ringq q[XTAP_CAPTURE_RINGS];
};

static int push(struct vec *v, struct held *h)
{
	if (v->n == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 1024;
		struct held **p = realloc(v->v, nc * sizeof(*p));

		if (!p)
			return -ENOMEM;
		v->v = p;
		v->cap = nc;
	}
	v->v[v->n++] = h;
	return 0;
}

/* Drops n references to a chunk: the last one gives it back to its reader. */
static void chunk_put_n(struct chunk *k, __u32 n)
{
	struct reader *r = k->owner;

	if (__atomic_sub_fetch(&k->refs, n, __ATOMIC_ACQ_REL))
		return;
	if (k->size != CHUNK_BYTES) {
		free(k);
		return;
	}
	k->next = __atomic_load_n(&r->spare, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&r->spare, &k->next, k, true, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED))
		;
}

static void chunk_put(struct chunk *k)
{
	chunk_put_n(k, 1);
}

static void chunks_free(struct chunk *k)
{
	while (k) {
		struct chunk *next = k->next;

		free(k);
		k = next;
	}
}

/* Room for a held record of size bytes in the reader's current chunk. */
static struct held *take(struct reader *r, size_t size)
{
	size_t need = (sizeof(struct held) + size + 7) & ~(size_t)7;
	struct held *h;

	if (!r->cur || r->used + need > r->cur->size) {
		size_t sz = sizeof(struct chunk) + need;
		struct chunk *k = NULL;

		if (sz <= CHUNK_BYTES) {
			sz = CHUNK_BYTES;
			if (!r->mine)
				r->mine = __atomic_exchange_n(&r->spare, NULL, __ATOMIC_ACQUIRE);
			k = r->mine;
			if (k)
				r->mine = k->next;
			if (!k && r->nchunks >= READER_CHUNKS) {
				/* this record in a chunk of its own, the last
				 * one before the reader waits */
				sz = sizeof(struct chunk) + need;
				r->full = true;
			}
		}
		if (!k) {
			k = malloc(sz);
			if (!k)
				return NULL;
			if (sz == CHUNK_BYTES)
				r->nchunks++;
		}
		k->owner = r;
		k->size = sz;
		k->refs = 1;
		if (r->cur)
			chunk_put(r->cur);
		r->cur = k;
		r->used = sizeof(*k);
	}
	h = (void *)((__u8 *)r->cur + r->used);
	r->used += need;
	__atomic_add_fetch(&r->cur->refs, 1, __ATOMIC_RELAXED);
	h->chunk = r->cur;
	return h;
}

static void hand_over(struct reader *r, __u64 drained);

static int on_held(void *ctx, void *data, size_t size)
{
	struct ringq *q = ctx;
	struct reader *r = q->r;
	struct held *h;

	if (xtap_capture_rec_check(data, size)) {
		r->invalid++;
		return 0;
	}
	h = take(r, size);
	if (!h) {
		r->nomem++;
		return 0;
	}
	h->ts = ((const struct xtap_capture_rec *)data)->ts_ns;
	h->seq = r->seq++;
	h->reader = r->idx;
	h->size = (__u32)size;
	memcpy(h + 1, data, size);
	if (h->ts > q->last)
		q->last = h->ts;
	if (push(&q->loc, h)) {
		chunk_put(h->chunk);
		r->nomem++;
		return 0;
	}
	r->received++;
	if (r->full)
		return -EBUSY;	/* stops the pass: the record is taken */
	/* a ring that never runs dry still hands over in good time */
	if (++r->loose == READER_HAND_OVER)
		hand_over(r, 0);
	return 0;
}

/* The reader stopped, its chunks full: waits until the writer gives one
 * back (or the capture stops). */
static void wait_room(struct reader *r)
{
	struct timespec t = { .tv_nsec = 1000000L };

	while (!__atomic_load_n(&r->spare, __ATOMIC_ACQUIRE) && !r->mine && !r->all->stop)
		nanosleep(&t, NULL);
	r->full = false;
}

/* The reader's records to the shared lists, with each ring's watermark: the
 * time before which the ring holds nothing more. A ring's records come in
 * time order (one CPU writes it, its programs do not nest); drained, when
 * the reader found it empty after reading the clock at drained (0: not
 * known). Either less the slack: a record is stamped a little before it is
 * committed. */
static void hand_over(struct reader *r, __u64 drained)
{
	struct xtap_capture_readers *a = r->all;

	r->loose = 0;
	pthread_mutex_lock(&a->mu);
	for (int i = 0; i < a->nq; i++) {
		struct ringq *q = &a->q[i];
		__u64 wm = q->last > drained ? q->last : drained;

		if (q->r != r)
			continue;
		wm = wm > XTAP_CAPTURE_SLACK_NS ? wm - XTAP_CAPTURE_SLACK_NS : 0;
		if (wm > q->wm)
			q->wm = wm;
		if (!q->loc.n)
			continue;
		if (!q->pend.n) {
			struct vec t = q->pend;

			q->pend = q->loc;
			q->loc = t;
			continue;
		}
		for (size_t j = 0; j < q->loc.n; j++)
			if (push(&q->pend, q->loc.v[j])) {
				chunk_put(q->loc.v[j]->chunk);
				r->nomem++;
			}
		q->loc.n = 0;
	}
	pthread_mutex_unlock(&a->mu);
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	while (!r->all->stop) {
		__u64 t;
		int err;

		err = ring_buffer__poll(r->rb, READER_WAIT_MS);
		if (err != -EBUSY) {
			/* consume returns once it finds every ring empty (or
			 * a record still being written, in the slack): empty
			 * as of t, unless it stopped for want of room */
			t = mono_ns();
			err = ring_buffer__consume(r->rb);
			hand_over(r, err < 0 ? 0 : t);
		} else {
			hand_over(r, 0);
		}
		if (err == -EBUSY)
			wait_room(r);
	}
	return NULL;
}

static bool held_before(const struct held *a, const struct held *b)
{
	if (a->ts != b->ts)
		return a->ts < b->ts;
	if (a->reader != b->reader)
		return a->reader < b->reader;
	return a->seq < b->seq;
}

/* Into the ring's queue, in its place (nearly always the end). */
static void enqueue(struct xtap_capture_readers *a, struct ringq *q, struct held *h)
{
	size_t j;

	if (q->q.n == q->q.cap && q->qh) {
		memmove(q->q.v, q->q.v + q->qh, (q->q.n - q->qh) * sizeof(q->q.v[0]));
		q->q.n -= q->qh;
		q->qh = 0;
	}
	if (push(&q->q, h)) {
		chunk_put(h->chunk);
		return;
	}
	for (j = q->q.n - 1; j > q->qh && held_before(h, q->q.v[j - 1]); j--)
		q->q.v[j] = q->q.v[j - 1];
	q->q.v[j] = h;
	a->held_bytes += h->size;
}

static bool q_before(const struct ringq *x, const struct ringq *y)
{
	return held_before(x->q.v[x->qh], y->q.v[y->qh]);
}

static void mh_down(struct xtap_capture_readers *a, int i)
{
	struct ringq *t = a->mh[i];

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

/* Flushes the file, then gives back the chunks of the records written. */
static int flush_done(struct xtap_capture *c)
{
	struct xtap_capture_readers *a = c->rd;
	int err = flush(c);

	for (size_t j = 0; j < a->ndone; j++)
		chunk_put_n(a->done[j].k, a->done[j].n);
	a->ndone = 0;
	return err;
}

/* Notes that a record of chunk k was given to the writer. */
static void done_add(struct xtap_capture *c, struct chunk *k)
{
	struct xtap_capture_readers *a = c->rd;

	if (a->ndone && a->done[a->ndone - 1].k == k) {
		a->done[a->ndone - 1].n++;
		return;
	}
	if (a->ndone == a->capdone) {
		size_t nc = a->capdone ? a->capdone * 2 : 256;
		struct run *p = realloc(a->done, nc * sizeof(*p));

		if (!p) {
			/* no room to note it: flushed now */
			flush_done(c);
			chunk_put(k);
			return;
		}
		a->done = p;
		a->capdone = nc;
	}
	a->done[a->ndone++] = (struct run){ .k = k, .n = 1 };
}

/* Writes the held records older than horizon (all: every one), in time
 * order, then flushes. Returns the records written, or -errno. */
static int write_held(struct xtap_capture *c, bool all)
{
	struct xtap_capture_readers *a = c->rd;
	__u64 now = mono_ns();
	__u64 horizon = now > XTAP_CAPTURE_REORDER_NS ? now - XTAP_CAPTURE_REORDER_NS : 0;
	__u64 wm = ~0ull;
	int n = 0, err;

	pthread_mutex_lock(&a->mu);
	for (int i = 0; i < a->nq; i++) {
		struct ringq *q = &a->q[i];
		struct vec t = q->tmp;

		q->tmp = q->pend;
		q->pend = t;
		if (q->wm < wm)
			wm = q->wm;
	}
	pthread_mutex_unlock(&a->mu);
	/* nothing older than every ring's watermark is still to come */
	if (wm > horizon)
		horizon = wm;
	a->nmh = 0;
	for (int i = 0; i < a->nq; i++) {
		struct ringq *q = &a->q[i];

		for (size_t j = 0; j < q->tmp.n; j++)
			enqueue(a, q, q->tmp.v[j]);
		q->tmp.n = 0;
		if (q->qh < q->q.n)
			a->mh[a->nmh++] = q;
	}
	for (int i = a->nmh / 2 - 1; i >= 0; i--)
		mh_down(a, i);
	while (a->nmh) {
		struct ringq *q = a->mh[0];
		/* the first queue's records go until the next queue's head */
		const struct held *rival = NULL;
		bool stop = false;

		for (int i = 1; i <= 2 && i < a->nmh; i++) {
			const struct held *o = a->mh[i]->q.v[a->mh[i]->qh];

			if (!rival || held_before(o, rival))
				rival = o;
		}
		while (q->qh < q->q.n) {
			struct held *h = q->q.v[q->qh];

			if (!all && h->ts > horizon && a->held_bytes <= XTAP_CAPTURE_HOLD_BYTES) {
				stop = true;
				break;
			}
			if (rival && !held_before(h, rival))
				break;
			q->qh++;
			a->held_bytes -= h->size;
			/* the writer takes the packet from the chunk: kept
			 * until the flush */
			write_one(c, (const void *)(h + 1));
			done_add(c, h->chunk);
			n++;
		}
		if (stop)
			break;
		if (q->qh == q->q.n) {
			q->qh = q->q.n = 0;
			a->mh[0] = a->mh[--a->nmh];
		}
		if (a->nmh)
			mh_down(a, 0);
	}
	err = flush_done(c);
	return err ? err : n;
}

static void readers_stop(struct xtap_capture *c)
{
	struct xtap_capture_readers *a = c->rd;

	a->stop = 1;
	for (int i = 0; i < a->n; i++) {
		if (a->r[i].started)
			pthread_join(a->r[i].th, NULL);
		a->r[i].started = false;
	}
}

/* Stops the readers, takes what the rings still hold, writes all. */
static int readers_finish(struct xtap_capture *c)
{
	struct xtap_capture_readers *a = c->rd;
	int n = 0, m = 0;

	readers_stop(c);
	for (int i = 0; i < a->n; i++) {
		struct reader *r = &a->r[i];

		/* a reader without room: write what it holds, then go on */
		while (ring_buffer__consume(r->rb) == -EBUSY) {
			hand_over(r, 0);
			m = write_held(c, true);
			if (m < 0)
				break;
			n += m;
			r->full = false;
		}
		hand_over(r, 0);
		if (m < 0)
			break;
	}
	m = write_held(c, true);
	c->received = c->invalid = 0;
	for (int i = 0; i < a->n; i++) {
		c->received += a->r[i].received;
		c->invalid += a->r[i].invalid;
		c->unwritten += a->r[i].nomem;	/* taken, no memory to hold it */
		a->r[i].nomem = 0;
	}
	return m < 0 ? m : n + m;
}

static void vec_free(struct vec *v, size_t from)
{
	for (size_t j = from; j < v->n; j++)
		chunk_put(v->v[j]->chunk);
	free(v->v);
}

static void readers_free(struct xtap_capture_readers *a)
{
	if (!a)
		return;
	for (int i = 0; i < a->nq; i++) {
		vec_free(&a->q[i].loc, 0);
		vec_free(&a->q[i].pend, 0);
		vec_free(&a->q[i].tmp, 0);
		vec_free(&a->q[i].q, a->q[i].qh);
	}
	for (size_t j = 0; j < a->ndone; j++)
		chunk_put_n(a->done[j].k, a->done[j].n);
	free(a->done);
	for (int i = 0; i < a->n; i++) {
		struct reader *r = &a->r[i];

		ring_buffer__free(r->rb);
		if (r->cur)
			chunk_put(r->cur);
		chunks_free(r->mine);
		chunks_free(r->spare);
	}
	pthread_mutex_destroy(&a->mu);
	free(a);
}

int xtap_capture_init_rings(struct xtap_capture *c, const int *ring_fds, int nrings, int nthreads,
			    struct xtap_pcapw *w)
{
	struct xtap_capture_readers *a;
	sigset_t all, old;
	int err = 0;

	if (nrings < 1 || nrings > XTAP_CAPTURE_RINGS || nthreads < 1)
		return -EINVAL;
	if (nthreads > nrings)
		nthreads = nrings;
	memset(c, 0, sizeof(*c));
	c->w = w;
	for (size_t i = 0; i < XTAP_MAX_POINTS; i++)
		c->iface_id[i] = -1;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	pthread_mutex_init(&a->mu, NULL);
	a->n = nthreads;
	a->nq = nrings;
	c->rd = a;
	for (int i = 0; i < nrings; i++) {
		struct reader *r = &a->r[i % nthreads];

		r->all = a;
		r->idx = (__u32)(i % nthreads);
		a->q[i].r = r;
		if (!r->rb)
			r->rb = ring_buffer__new(ring_fds[i], on_held, &a->q[i], NULL);
		else if (ring_buffer__add(r->rb, ring_fds[i], on_held, &a->q[i]))
			err = errno ? -errno : -EINVAL;
		if (!r->rb && !err)
			err = errno ? -errno : -EINVAL;
		if (err)
			goto fail;
	}
	/* signals are for the caller's thread */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (int i = 0; i < nthreads && !err; i++) {
		err = -pthread_create(&a->r[i].th, NULL, reader_main, &a->r[i]);
		a->r[i].started = !err;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!err)
		return 0;
fail:
	readers_stop(c);
	readers_free(a);
	c->rd = NULL;
	return err;
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
		/* the readers wait for the rings; this waits for the window */
		struct timespec t = { .tv_nsec = (timeout_ms < XTAP_CAPTURE_WRITE_MS ?
						  timeout_ms : XTAP_CAPTURE_WRITE_MS) * 1000000L };

		if (nanosleep(&t, NULL))
			return -errno;
		return write_held(c, false);
	}
	return finish(c, ring_buffer__poll(c->rb, timeout_ms));
}

int xtap_capture_drain(struct xtap_capture *c)
{
	if (c->rd)
		return readers_finish(c);
	return finish(c, ring_buffer__consume(c->rb));
}

bool xtap_capture_done(const struct xtap_capture *c)
{
	return c->limit && c->written >= c->limit;
}

void xtap_capture_free(struct xtap_capture *c)
{
	if (c->rd) {
		readers_stop(c);
		readers_free(c->rd);
		c->rd = NULL;
	}
	ring_buffer__free(c->rb);
	c->rb = NULL;
	free(c->buf);
	free(c->offs);
	c->buf = NULL;
	c->offs = NULL;
}
