// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* libpcap's classic struct bpf_insn clashes with the kernel's */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>
#include <pcap/dlt.h>

#include "user/pcapw.h"

#define PCAPW_MAX_IFACES 256
#define PCAPW_BUFSIZE (1u << 20)

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
	FILE *f;
	int fd;
	bool is_stdout;
	bool failed;
	int err;
	__u32 snaplen;
	char *buf;		/* stdio buffer */
	pcap_t *dead;		/* pcap: libpcap's writer */
	pcap_dumper_t *dump;
	off_t good;		/* file length after the last successful flush */
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

/* Writes bytes into the stdio buffer; the error shows at the latest on flush. */
static int put(struct xtap_pcapw *w, const void *p, size_t n)
{
	if (w->failed)
		return -w->err;
	if (n && fwrite(p, 1, n, w->f) != n)
		return fail_errno(w, errno);
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
	__u16 lt[2] = { DLT_EN10MB, 0 };
	__u8 tsresol = 9;

	if (put32(w, NG_IDB) || put32(w, len) || put(w, lt, 4) || put32(w, w->snaplen) ||
	    put_opt(w, NG_IF_NAME, name, nl) || put_opt(w, NG_IF_TSRESOL, &tsresol, 1) ||
	    put32(w, NG_OPT_END) || put32(w, len))
		return -w->err;
	return 0;
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
	    put32(w, p->wire_len) || put(w, p->data, p->cap_len) || put_pad(w, p->cap_len) ||
	    put_opt(w, NG_EPB_FLAGS, &flags, 4) || (cl && put_opt(w, NG_OPT_COMMENT, p->comment, cl)) ||
	    put32(w, NG_OPT_END) || put32(w, len))
		return -w->err;
	return 0;
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
	if (w->is_stdout) {
		w->fd = dup(STDOUT_FILENO);
	} else {
		w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	}
	if (w->fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto fail;
	}
	w->f = fdopen(w->fd, "wb");
	if (!w->f) {
		snprintf(err, errlen, "%s", strerror(errno));
		close(w->fd);
		goto fail;
	}
	w->buf = malloc(PCAPW_BUFSIZE);
	if (w->buf)
		setvbuf(w->f, w->buf, _IOFBF, PCAPW_BUFSIZE);
	if (fmt == XTAP_PCAP) {
		w->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, (int)snaplen,
							       PCAP_TSTAMP_PRECISION_NANO);
		if (!w->dead) {
			snprintf(err, errlen, "pcap_open_dead failed");
			goto fail;
		}
		w->dump = pcap_dump_fopen(w->dead, w->f);
		if (!w->dump) {
			snprintf(err, errlen, "%s", pcap_geterr(w->dead));
			goto fail;
		}
	} else if (ng_shb(w)) {
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
		struct pcap_pkthdr h = {
			.ts.tv_sec = (time_t)(p->ts_ns / 1000000000ull),
			/* nanoseconds: the dumper was opened with nano precision */
			.ts.tv_usec = (suseconds_t)(p->ts_ns % 1000000000ull),
			.caplen = p->cap_len,
			.len = p->wire_len,
		};

		pcap_dump((u_char *)w->dump, &h, p->data);
		if (ferror(w->f))
			return fail_errno(w, errno);
	} else if (ng_epb(w, p)) {
		return -w->err;
	}
	w->pending++;
	return 0;
}

int xtap_pcapw_flush(struct xtap_pcapw *w)
{
	if (!w->failed && fflush(w->f) == 0 && !ferror(w->f)) {
		w->written += w->pending;
		w->pending = 0;
		if (!w->is_stdout)
			w->good = lseek(w->fd, 0, SEEK_CUR);
		return 0;
	}
	fail_errno(w, errno);
	/* cut a partly written packet: the file ends with the last whole one */
	if (!w->is_stdout && w->good > 0 && ftruncate(w->fd, w->good))
		return -w->err;
	return -w->err;
}

__u64 xtap_pcapw_size(const struct xtap_pcapw *w)
{
	off_t o = ftello(w->f);

	return o < 0 ? 0 : (__u64)o;
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
	if (w->f) {
		ret = xtap_pcapw_flush(w);
		if (w->failed) {
			/* stdio would try the buffered bytes again on fclose */
			__fpurge(w->f);
		}
		if (w->dump)
			pcap_dump_close(w->dump);	/* closes w->f */
		else
			fclose(w->f);
	} else if (w->fd >= 0) {
		close(w->fd);
	}
	if (w->dead)
		pcap_close(w->dead);
	for (int i = 0; i < w->nifaces; i++)
		free(w->ifnames[i]);
	free(w->buf);
	free(w);
	return ret;
}
