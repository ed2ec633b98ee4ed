// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	snprintf(comment, sizeof(comment), "hook %s, flow direction %s", xtap_hook_name(r->hook),
		 r->flow_dir <= XTAP_DIR_BA ? dirs[r->flow_dir] : "none");
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

/* Writes the batch in time order and flushes the file. */
static int batch_write(struct xtap_capture *c)
{
	int err;

	sort_ctx = c;
	qsort(c->offs, c->n, sizeof(c->offs[0]), by_time);
	for (size_t i = 0; i < c->n; i++)
		write_one(c, (const void *)(c->buf + c->offs[i] + sizeof(struct entry)));
	c->n = 0;
	c->used = 0;
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

static int finish(struct xtap_capture *c, int n)
{
	int err = batch_write(c);

	if (n < 0)
		return n;
	return err ? err : n;
}

int xtap_capture_poll(struct xtap_capture *c, int timeout_ms)
{
	return finish(c, ring_buffer__poll(c->rb, timeout_ms));
}

int xtap_capture_drain(struct xtap_capture *c)
{
	return finish(c, ring_buffer__consume(c->rb));
}

bool xtap_capture_done(const struct xtap_capture *c)
{
	return c->limit && c->written >= c->limit;
}

void xtap_capture_free(struct xtap_capture *c)
{
	ring_buffer__free(c->rb);
	c->rb = NULL;
	free(c->buf);
	free(c->offs);
	c->buf = NULL;
	c->offs = NULL;
}
