// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "user/capsink.h"
#include "user/cgroup.h"
#include "user/names.h"

#define NAME_MAX_LEN 4096

struct xtap_capsink {
	struct xtap_pcapw *w;	/* NULL after a rotation failed */
	char *base;		/* the name files are numbered from */
	char path[NAME_MAX_LEN];	/* the current file */
	enum xtap_pcapw_fmt fmt;
	__u32 snaplen;
	__s64 ts_offset;
	__u64 limit;
	__u64 rotate_bytes;
	__u32 rotate_files;
	__u32 file_no;		/* files opened before the current one */
	__u64 written_before;	/* packets in the files closed by rotation */
	struct xtap_capsink_counts n;
	int err;
	/* names of the slots for the pcapng interfaces ("": "slotN") */
	char names[XTAP_MAX_SLOTS][XTAP_IFNAMSIZ];
	int iface_id[XTAP_MAX_POINTS];	/* in the current file, -1: not yet */
	char *cgroup;		/* for the comments; NULL */
};

void xtap_capsink_file_name(const char *base, __u32 n, __u32 files, char *buf, size_t len)
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

/* Opens file number s->file_no; a new file describes its interfaces again. */
static int open_file(struct xtap_capsink *s, char *err, size_t errlen)
{
	char why[256] = "";

	xtap_capsink_file_name(s->base, s->file_no, s->rotate_bytes ? s->rotate_files : 0, s->path,
			       sizeof(s->path));
	s->w = xtap_pcapw_open(s->path, s->fmt, s->snaplen, why, sizeof(why));
	if (!s->w) {
		int e = errno ? -errno : -EIO;

		snprintf(err, errlen, "%s: %s", s->path, why);
		return e;
	}
	for (size_t i = 0; i < XTAP_MAX_POINTS; i++)
		s->iface_id[i] = -1;
	return 0;
}

struct xtap_capsink *xtap_capsink_open(const struct xtap_capsink_opts *o, char *err,
				       size_t errlen)
{
	struct xtap_capsink *s = calloc(1, sizeof(*s));

	if (!s || !(s->base = strdup(o->path))) {
		snprintf(err, errlen, "%s: out of memory", o->path);
		free(s);
		return NULL;
	}
	s->fmt = o->fmt;
	s->snaplen = o->snaplen;
	s->ts_offset = o->ts_offset;
	s->limit = o->limit;
	s->rotate_bytes = o->rotate_bytes;
	s->rotate_files = o->rotate_files;
	if (o->cgroup && !(s->cgroup = strdup(o->cgroup))) {
		snprintf(err, errlen, "%s: out of memory", o->path);
		free(s->base);
		free(s);
		return NULL;
	}
	if (open_file(s, err, errlen)) {
		free(s->cgroup);
		free(s->base);
		free(s);
		return NULL;
	}
	return s;
}

void xtap_capsink_name(struct xtap_capsink *s, __u32 slot, const char *name)
{
	if (slot < XTAP_MAX_SLOTS)
		snprintf(s->names[slot], sizeof(s->names[slot]), "%s", name);
}

static __u64 written_now(const struct xtap_capsink *s)
{
	return s->written_before + (s->w ? xtap_pcapw_written(s->w) : 0);
}

/* Closes the current file and opens the next one. */
static int rotate(struct xtap_capsink *s)
{
	char err[NAME_MAX_LEN + 256];
	int e;

	e = xtap_pcapw_flush(s->w);
	if (e) {
		s->n.unwritten += xtap_pcapw_pending(s->w);
		return e;
	}
	s->written_before += xtap_pcapw_written(s->w);
	e = xtap_pcapw_close(s->w);
	s->w = NULL;
	if (e)
		return e;
	s->file_no++;
	return open_file(s, err, sizeof(err));
}

/* The pcapng interface of the record's (slot, hook), described on first use. */
static int iface_of(struct xtap_capsink *s, const struct xtap_capture_rec *r)
{
	__u32 point = XTAP_POINT(r->slot, r->hook);
	char name[XTAP_IFNAMSIZ + 32];
	int id;

	if (s->iface_id[point] >= 0)
		return s->iface_id[point];
	if (s->names[r->slot][0])
		snprintf(name, sizeof(name), "%s@%s", s->names[r->slot], xtap_hook_name(r->hook));
	else
		snprintf(name, sizeof(name), "slot%u@%s", r->slot, xtap_hook_name(r->hook));
	id = xtap_pcapw_iface(s->w, name);
	if (id >= 0)
		s->iface_id[point] = id;
	return id;
}

void xtap_capsink_put(struct xtap_capsink *s, const struct xtap_capture_rec *r)
{
	static const char *const dirs[] = { "ab", "ba" };
	char comment[4200];
	const char *cg;
	struct xtap_pcapw_pkt p = {
		.ts_ns = r->ts_ns + (__u64)s->ts_offset,
		.wire_len = r->wire_len,
		.cap_len = r->cap_len,
		.data = r + 1,
		.dir = r->hook == XTAP_HOOK_TC_EGRESS ? XTAP_PCAPW_OUT : XTAP_PCAPW_IN,
		.keep = true,	/* the caller keeps the record until it flushes */
	};
	int id;

	if (s->err) {
		s->n.unwritten++;
		return;
	}
	if (s->limit && written_now(s) + xtap_pcapw_pending(s->w) >= s->limit) {
		s->n.over_limit++;
		return;
	}
	if (s->rotate_bytes && xtap_pcapw_size(s->w) > s->rotate_bytes) {
		s->err = rotate(s);
		if (s->err) {
			s->n.unwritten++;
			return;
		}
	}
	if (s->fmt == XTAP_PCAPNG) {
		/* a pcap file has no place for it */
		if (r->flow_id && r->flow_dir <= XTAP_DIR_BA)
			snprintf(comment, sizeof(comment), "hook %s, flow %016llx, direction %s",
				 xtap_hook_name(r->hook), (unsigned long long)r->flow_id,
				 dirs[r->flow_dir]);
		else
			snprintf(comment, sizeof(comment), "hook %s, no flow", xtap_hook_name(r->hook));
		cg = s->cgroup;
		if (!cg && r->cgroup_id)
			cg = xtap_cgroup_path(r->cgroup_id);
		if (cg)
			snprintf(comment + strlen(comment), sizeof(comment) - strlen(comment),
				 ", cgroup %s", cg);
		p.comment = comment;
	}
	id = iface_of(s, r);
	if (id < 0) {
		s->err = -EIO;
	} else {
		p.iface = (__u32)id;
		s->err = xtap_pcapw_write(s->w, &p);
		if (!s->err)
			return;
	}
	/* this one and those given since the last flush are lost */
	s->n.unwritten += 1 + xtap_pcapw_pending(s->w);
}

int xtap_capsink_flush(struct xtap_capsink *s)
{
	int err;

	if (s->err)
		return s->err;	/* counted when the error came */
	err = xtap_pcapw_flush(s->w);
	if (err) {
		/* what was given to the writer since the last flush is lost */
		s->n.unwritten += xtap_pcapw_pending(s->w);
		s->err = err;
	}
	s->n.written = written_now(s);
	return s->err;
}

bool xtap_capsink_done(const struct xtap_capsink *s)
{
	return s->limit && s->n.written >= s->limit;
}

int xtap_capsink_check(struct xtap_capsink *s)
{
	if (!s->err && s->w && xtap_pcapw_reader_gone(s->w)) {
		s->n.unwritten += xtap_pcapw_pending(s->w);
		s->err = -EPIPE;
	}
	return s->err;
}

int xtap_capsink_err(const struct xtap_capsink *s)
{
	return s->err;
}

void xtap_capsink_counts(const struct xtap_capsink *s, struct xtap_capsink_counts *c)
{
	*c = s->n;
}

const char *xtap_capsink_path(const struct xtap_capsink *s)
{
	return s->path;
}

int xtap_capsink_close(struct xtap_capsink *s)
{
	int err;

	if (!s)
		return 0;
	err = xtap_pcapw_close(s->w);
	if (!s->err)
		s->err = err;
	err = s->err;
	free(s->cgroup);
	free(s->base);
	free(s);
	return err;
}
