// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "user/outfile.h"
#include "user/pcapw.h"

#define PCAPW_MAX_IFACES 256
/* Bytes copied here (headers, small packets) and pieces written by one
 * writev: a packet kept by reference is written from where it lies. */
#define PCAPW_BUFSIZE (1u << 20)
#define PCAPW_IOV 1024
#define PCAPW_REF_MIN 256	/* shorter data is copied: cheaper than a piece */

#define LT_EN10MB 1
#define PCAP_NSEC_MAGIC 0xa1b23c4du

/* pcapng block types and options */
#define NG_SHB 0x0A0D0D0Au
#define NG_IDB 0x00000001u
#define NG_EPB 0x00000006u
#define NG_BOM 0x1A2B3C4Du
#define NG_OPT_END 0
#define NG_OPT_COMMENT 1
#define NG_SHB_USERAPPL 4
#define NG_IF_NAME 2
#define NG_IF_TSRESOL 9
#define NG_EPB_FLAGS 2

struct xtap_pcapw {
	enum xtap_pcapw_fmt fmt;
	int fd;
	bool is_stdout;
	bool failed;
	int err;
	__u32 snaplen;
	__u8 *buf;		/* copied bytes, pieces of iov */
	size_t bused;
	struct iovec iov[PCAPW_IOV];	/* what is queued, in file order */
	int niov;
	__u64 queued;		/* bytes in iov */
	__u64 off;		/* bytes written to the file */
	__u64 good;		/* file length after the last successful flush */
	__u64 written, pending;
	char *ifnames[PCAPW_MAX_IFACES];
	int nifaces;
};

static int fail_errno(struct xtap_pcapw *w, int e)
{
	if (!w->failed) {
		w->failed = true;
		w->err = e ? e : EIO;
	}
	return -w->err;
}

/* Writes what is queued, all of it (a pipe may take it in parts). */
static int out(struct xtap_pcapw *w)
{
	struct iovec *v = w->iov;
	int n = w->niov;

	while (n && !w->failed) {
		ssize_t r = writev(w->fd, v, n);	/* n <= PCAPW_IOV, IOV_MAX on Linux */

		if (r < 0) {
			if (errno == EINTR)
				continue;
			fail_errno(w, errno);
			break;
		}
		if (r == 0) {
			fail_errno(w, EIO);
			break;
		}
		w->off += (__u64)r;
		while (n && (size_t)r >= v->iov_len) {
			r -= (ssize_t)v->iov_len;
			v++;
			n--;
		}
		if (n) {
			v->iov_base = (__u8 *)v->iov_base + r;
			v->iov_len -= (size_t)r;
		}
	}
	w->niov = 0;
	w->bused = 0;
	w->queued = 0;
	return w->failed ? -w->err : 0;
}

/* Queues bytes, copied; the error shows at the latest on flush. */
static int put(struct xtap_pcapw *w, const void *p, size_t n)
{
	struct iovec *last;

	if (w->failed)
		return -w->err;
	if (!n)
		return 0;
	if (w->bused + n > PCAPW_BUFSIZE || w->niov == PCAPW_IOV) {
		if (out(w))
			return -w->err;
		if (n > PCAPW_BUFSIZE) {
			w->iov[0] = (struct iovec){ .iov_base = (void *)p, .iov_len = n };
			w->niov = 1;
			w->queued = n;
			return out(w);
		}
	}
	memcpy(w->buf + w->bused, p, n);
	last = w->niov ? &w->iov[w->niov - 1] : NULL;
	if (last && (__u8 *)last->iov_base + last->iov_len == w->buf + w->bused)
		last->iov_len += n;	/* follows on in buf: one piece */
	else
		w->iov[w->niov++] = (struct iovec){ .iov_base = w->buf + w->bused, .iov_len = n };
	w->bused += n;
	w->queued += n;
	return 0;
}

/* Queues bytes by reference: they must stay as they are until the next
 * flush (or close) returns. */
static int put_ref(struct xtap_pcapw *w, const void *p, size_t n)
{
	if (n < PCAPW_REF_MIN)
		return put(w, p, n);
	if (w->failed)
		return -w->err;
	if (w->niov == PCAPW_IOV && out(w))
		return -w->err;
	w->iov[w->niov++] = (struct iovec){ .iov_base = (void *)p, .iov_len = n };
	w->queued += n;
	return 0;
}

static int put32(struct xtap_pcapw *w, __u32 v)
{
	return put(w, &v, 4);
}

static int put_pad(struct xtap_pcapw *w, size_t n)
{
	static const __u8 zero[4];

	return put(w, zero, (4 - n % 4) % 4);
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static size_t opt_len(size_t n)
{
	return 4 + pad4(n);
}

static int put_opt(struct xtap_pcapw *w, __u16 code, const void *v, size_t n)
{
	__u16 h[2] = { code, (__u16)n };

	if (put(w, h, 4) || put(w, v, n) || put_pad(w, n))
		return -w->err;
	return 0;
}

static int ng_shb(struct xtap_pcapw *w)
{
	static const char appl[] = "xtap";
	__u32 len = 28 + opt_len(sizeof(appl) - 1) + 4;
	__u16 ver[2] = { 1, 0 };
	__s64 section = -1;

	if (put32(w, NG_SHB) || put32(w, len) || put32(w, NG_BOM) || put(w, ver, 4) ||
	    put(w, &section, 8) || put_opt(w, NG_SHB_USERAPPL, appl, sizeof(appl) - 1) ||
	    put32(w, NG_OPT_END) || put32(w, len))
		return -w->err;
	return 0;
}

static int ng_idb(struct xtap_pcapw *w, const char *name)
{
	size_t nl = strlen(name);
	__u32 len = 20 + opt_len(nl) + opt_len(1) + 4;
	__u16 lt[2] = { LT_EN10MB, 0 };
	__u8 tsresol = 9;

	if (put32(w, NG_IDB) || put32(w, len) || put(w, lt, 4) || put32(w, w->snaplen) ||
	    put_opt(w, NG_IF_NAME, name, nl) || put_opt(w, NG_IF_TSRESOL, &tsresol, 1) ||
	    put32(w, NG_OPT_END) || put32(w, len))
		return -w->err;
	return 0;
}

static int put_data(struct xtap_pcapw *w, const struct xtap_pcapw_pkt *p)
{
	return p->keep ? put_ref(w, p->data, p->cap_len) : put(w, p->data, p->cap_len);
}

static int ng_epb(struct xtap_pcapw *w, const struct xtap_pcapw_pkt *p)
{
	size_t cl = p->comment ? strlen(p->comment) : 0;
	__u32 len = 32 + pad4(p->cap_len) + opt_len(4) + (cl ? opt_len(cl) : 0) + 4;
	__u32 flags = (__u32)p->dir & 3;

	if (cl > 0xffff)
		cl = 0xffff;
	if (put32(w, NG_EPB) || put32(w, len) || put32(w, p->iface) ||
	    put32(w, (__u32)(p->ts_ns >> 32)) || put32(w, (__u32)p->ts_ns) || put32(w, p->cap_len) ||
	    put32(w, p->wire_len) || put_data(w, p) || put_pad(w, p->cap_len) ||
	    put_opt(w, NG_EPB_FLAGS, &flags, 4) || (cl && put_opt(w, NG_OPT_COMMENT, p->comment, cl)) ||
	    put32(w, NG_OPT_END) || put32(w, len))
		return -w->err;
	return 0;
}

static int pcap_hdr(struct xtap_pcapw *w)
{
	struct {
		__u32 magic;
		__u16 major, minor;
		__s32 thiszone;
		__u32 sigfigs, snaplen, linktype;
	} h = { PCAP_NSEC_MAGIC, 2, 4, 0, 0, w->snaplen, LT_EN10MB };

	return put(w, &h, sizeof(h));
}

struct xtap_pcapw *xtap_pcapw_open(const char *path, enum xtap_pcapw_fmt fmt, __u32 snaplen,
				   char *err, size_t errlen)
{
	struct xtap_pcapw *w = calloc(1, sizeof(*w));
	int e;

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->fmt = fmt;
	w->snaplen = snaplen;
	w->fd = -1;
	w->is_stdout = !strcmp(path, "-");
	w->buf = malloc(PCAPW_BUFSIZE);
	if (!w->buf) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (w->is_stdout) {
		w->fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0);
		if (w->fd < 0) {
			snprintf(err, errlen, "%s", strerror(errno));
			goto fail;
		}
	} else {
		w->fd = xtap_outfile_open(path, O_TRUNC, err, errlen);
		if (w->fd < 0) {
			errno = -w->fd;
			w->fd = -1;
			goto fail;
		}
	}
	if (fmt == XTAP_PCAP ? pcap_hdr(w) : ng_shb(w)) {
		snprintf(err, errlen, "%s", strerror(w->err));
		goto fail;
	}
	e = xtap_pcapw_flush(w);
	if (e) {
		snprintf(err, errlen, "%s", strerror(-e));
		goto fail;
	}
	return w;
fail:
	xtap_pcapw_close(w);
	return NULL;
}

int xtap_pcapw_iface(struct xtap_pcapw *w, const char *name)
{
	if (w->fmt == XTAP_PCAP)
		return 0;
	for (int i = 0; i < w->nifaces; i++)
		if (!strcmp(w->ifnames[i], name))
			return i;
	if (w->nifaces == PCAPW_MAX_IFACES)
		return w->nifaces - 1;	/* never reached: slots times hooks is less */
	if (w->failed || ng_idb(w, name))
		return -1;
	w->ifnames[w->nifaces] = strdup(name);
	if (!w->ifnames[w->nifaces]) {
		fail_errno(w, ENOMEM);
		return -1;
	}
	return w->nifaces++;
}

int xtap_pcapw_write(struct xtap_pcapw *w, const struct xtap_pcapw_pkt *p)
{
	if (w->failed)
		return -w->err;
	if (w->fmt == XTAP_PCAP) {
		__u32 h[4] = {
			(__u32)(p->ts_ns / 1000000000ull),
			(__u32)(p->ts_ns % 1000000000ull),	/* nanosecond magic */
			p->cap_len,
			p->wire_len,
		};

		if (put(w, h, sizeof(h)) || put_data(w, p))
			return -w->err;
	} else if (ng_epb(w, p)) {
		return -w->err;
	}
	w->pending++;
	return 0;
}

int xtap_pcapw_flush(struct xtap_pcapw *w)
{
	if (!w->failed && !out(w)) {
		w->written += w->pending;
		w->pending = 0;
		w->good = w->off;
		return 0;
	}
	/* cut a partly written packet: the file ends with the last whole one */
	if (!w->is_stdout && w->good > 0 && w->off > w->good &&
	    ftruncate(w->fd, (off_t)w->good))
		return -w->err;
	return -w->err;
}

bool xtap_pcapw_reader_gone(const struct xtap_pcapw *w)
{
	/* no events asked: a pipe's write end reports POLLERR once it has no
	 * reader; a regular file reports nothing */
	struct pollfd p = { .fd = w->fd };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

__u64 xtap_pcapw_size(const struct xtap_pcapw *w)
{
	return w->off + w->queued;
}

__u64 xtap_pcapw_written(const struct xtap_pcapw *w)
{
	return w->written;
}

__u64 xtap_pcapw_pending(const struct xtap_pcapw *w)
{
	return w->pending;
}

int xtap_pcapw_close(struct xtap_pcapw *w)
{
	int ret = 0;

	if (!w)
		return 0;
	if (w->fd >= 0) {
		ret = xtap_pcapw_flush(w);
		close(w->fd);
	}
	for (int i = 0; i < w->nifaces; i++)
		free(w->ifnames[i]);
	free(w->buf);
	free(w);
	return ret;
}
