/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * HTTP/1.x and DNS response times per flow (struct xtap_app in maps/xtap.h),
 * in their own LRU hash so that the flow entry stays small and flows without
 * HTTP or DNS have no entry here.
 *
 * The hot path is a TCP data segment that is neither: it costs a length
 * test, one 4-byte read of the payload and a compare against the method
 * tokens and "HTTP" (and a port test), and against the TLS record types
 * (tls.h, whose hellos are kept in the same entry, kind XTAP_APP_TLS). Only a segment that starts with one
 * of them, or a UDP/TCP message on port 53, reaches the slow path: up to
 * APP_LOAD payload bytes copied into a per-CPU scratch buffer, parsed there
 * with bounded loops, and the flow's entry updated.
 *
 * HTTP: a request line (METHOD SP target SP HTTP/1.x CRLF) queues the
 * segment's time; a status line (HTTP/1.x SP 3 digits) is the first byte of
 * the response to the oldest request not answered yet, so pipelined
 * requests are matched in order. An interim 1xx response is timed and the
 * request stays queued for its final response; 101 ends HTTP on the flow.
 * Only the first segment of each request and response is looked at: a line
 * split across segments is counted, queued untimed, and never guessed at.
 * A retransmitted request or response (same TCP sequence as the last one)
 * is ignored.
 *
 * DNS (UDP port 53, and TCP port 53 for a message at the start of a
 * segment): a query's id, time and first question; a response with the id of
 * an outstanding query from the server side is timed, its code kept.
 * Compression pointers are not followed in the question: there is no earlier
 * name a pointer there could lawfully point to.
 *
 * Entries are updated without a lock, as the handshake fields are: two CPUs
 * handling a request and its response of one flow in the same instant may
 * lose one update.
 */
#ifndef XTAP_KERN_APP_H
#define XTAP_KERN_APP_H

#include "config.h"
#include "stats.h"
#include "pkt_ctx.h"
#include "parse.h"
#include "flow.h"
#include "hist.h"

#define APP_BUF 2048		/* scratch bytes; indexes are masked to it */
#define APP_LOAD 320		/* payload bytes copied: a DNS header, a 255-byte name
				 * and the question's type and class fit */
#define TLS_LOAD 1536		/* TLS: a whole segment of a 1500-byte MTU */
#define HTTP_SCAN 256		/* bytes of a request looked at for its line and Host */
#define DNS_HLEN 12
#define DNS_NAME_MAX 255
#define HTTP_PORT 80
#define DNS_PORT 53

/*
 * Where a scan stopped depends on the bytes, and the verifier would follow
 * every possible stop separately through the code after the loop. Positions
 * found by a loop go through this per-CPU scratch instead (app_keep): read
 * back from memory they are one unknown value, bounded by the masks.
 */
enum app_at {
	AT_PATH,	/* HTTP: the request target */
	AT_PATH_END,
	AT_HOST,	/* the Host header's value */
	AT_HOST_END,
	AT_LINE,	/* the first header line */
	AT_POS,		/* where a scan stopped */
	AT_ROOM,	/* how far a scan may go */
	AT_LIM,		/* the end of what is looked at */
	AT_MLEN,	/* the method's length */
	AT_N,		/* bytes in the scratch buffer */
	AT_END,		/* DNS: the offset after the question name */
	AT_TLS,		/* TLS: where the extension walk is, and the */
	AT_TLS_EXT_END,	/* end of the extensions */
	AT_TLS_AVAIL,	/* the end of what may be read of the hello */
	AT_TLS_SNI,	/* extension bodies found by the walk (0: absent) */
	AT_TLS_SNI_END,
	AT_TLS_ALPN,
	AT_TLS_ALPN_END,
	AT_TLS_SV,
	AT_TLS_SV_END,
	AT_TLS_ALPN0,	/* the first two ALPN names */
	AT_TLS_ALPN1,
	AT_MAX,
};

struct app_scratch {
	__u8 buf[APP_BUF];	/* the payload's first bytes */
	struct xtap_app nw;	/* a new entry is built here, off the stack */
	char name[XTAP_DNS_NAME_LEN];	/* a DNS question name, parsed */
	struct xtap_tls tls;	/* a TLS hello, parsed */
	__u32 at[AT_MAX];
	/* the packet, as the parser needs it */
	struct xtap_flow_key key;
	__u32 n;		/* bytes in buf */
	__u32 len;		/* bytes in the segment (DNS over TCP: after the length) */
	__u32 seq;		/* TCP sequence */
	__u32 point;		/* XTAP_POINT of the counters */
	__s32 what;		/* http_token's result, or APP_DNS */
	__u32 dir;		/* enum xtap_dir */
};

#define APP_DNS (-2)
#define APP_TLS (-3)

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct app_scratch);
} xtap_appbuf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XTAP_APP_MAX);
	__type(key, struct xtap_flow_key);
	__type(value, struct xtap_app);
} xtap_app SEC(".maps");

/* Four payload bytes as the 32-bit word a load from memory gives. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define APP_TOK(a, b, c, d) ((__u32)(a) | (__u32)(b) << 8 | (__u32)(c) << 16 | (__u32)(d) << 24)
#else
#define APP_TOK(a, b, c, d) ((__u32)(d) | (__u32)(c) << 8 | (__u32)(b) << 16 | (__u32)(a) << 24)
#endif
#define HTTP_TOK_RESPONSE APP_TOK('H', 'T', 'T', 'P')

/* Length of the method a request starting with w has (GET, HEAD, POST, PUT,
 * DELETE, OPTIONS, PATCH, CONNECT, TRACE), 0 when w starts none. */
static __always_inline int http_method_len(__u32 w)
{
	switch (w) {
	case APP_TOK('G', 'E', 'T', ' '): return 3;
	case APP_TOK('P', 'U', 'T', ' '): return 3;
	case APP_TOK('H', 'E', 'A', 'D'): return 4;
	case APP_TOK('P', 'O', 'S', 'T'): return 4;
	case APP_TOK('P', 'A', 'T', 'C'): return 5;
	case APP_TOK('T', 'R', 'A', 'C'): return 5;
	case APP_TOK('D', 'E', 'L', 'E'): return 6;
	case APP_TOK('O', 'P', 'T', 'I'): return 7;
	case APP_TOK('C', 'O', 'N', 'N'): return 7;
	}
	return 0;
}

/* The cheap test every TCP data segment takes: -1 not HTTP, 0 a status
 * line, else the method's length. Upper case first: most payloads (TLS
 * records, binary protocols, bodies) fail the first compare. */
static __always_inline int http_token(__u32 w)
{
	__u8 c0 = w & 0xff;	/* the first byte, on either byte order */

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	c0 = w >> 24;
#endif
	if ((__u8)(c0 - 'C') > 'T' - 'C')
		return -1;
	if (w == HTTP_TOK_RESPONSE)
		return 0;
	return http_method_len(w) ?: -1;
}

/* The whole method and its space, as the 8 bytes at the start of buf read
 * them, with the mask of the bytes that count. */
#define B8(s, i) ((__u64)(__u8)(s)[i] << (8 * (i)))
#define STR8(s) (B8(s, 0) | B8(s, 1) | B8(s, 2) | B8(s, 3) | B8(s, 4) | B8(s, 5) | B8(s, 6) | B8(s, 7))

static __always_inline int http_method_ok(const __u8 *buf, int mlen)
{
	__u64 v, want;

	__builtin_memcpy(&v, buf, 8);
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	switch (buf[0] << 8 | buf[1]) {
	case 'G' << 8 | 'E': want = STR8("GET \0\0\0\0"); break;
	case 'P' << 8 | 'U': want = STR8("PUT \0\0\0\0"); break;
	case 'H' << 8 | 'E': want = STR8("HEAD \0\0\0"); break;
	case 'P' << 8 | 'O': want = STR8("POST \0\0\0"); break;
	case 'P' << 8 | 'A': want = STR8("PATCH \0\0"); break;
	case 'T' << 8 | 'R': want = STR8("TRACE \0\0"); break;
	case 'D' << 8 | 'E': want = STR8("DELETE \0"); break;
	case 'O' << 8 | 'P': want = STR8("OPTIONS "); break;
	case 'C' << 8 | 'O': want = STR8("CONNECT "); break;
	default: return 0;
	}
	if (mlen < 7)
		v &= (1ull << (8 * (mlen + 1))) - 1;
	return v == want;
}

static __always_inline __u8 app_at(const __u8 *buf, __u32 i)
{
	return buf[i & (APP_BUF - 1)];
}

/* A kept position, read from memory: to the verifier, any value. */
static __always_inline __u32 app_get(struct app_scratch *s, int which)
{
	return *(volatile __u32 *)&s->at[which];
}

/* v, as the verifier will see it from now on (see enum app_at) */
static __always_inline __u32 app_keep(struct app_scratch *s, int which, __u32 v)
{
	s->at[which] = v;
	return app_get(s, which);
}

static __always_inline int is_digit(__u8 c)
{
	return (__u8)(c - '0') <= 9;
}

/* The server's address and port: the receiving side of requests. */
static __always_inline void app_hist(const struct xtap_flow_key *k, const struct xtap_app *a,
				     __u8 kind, __u64 ns)
{
	if (a->req_dir == XTAP_DIR_AB)
		hist_add(k->addr_b, k->port_b, k->proto, kind, ns);
	else
		hist_add(k->addr_a, k->port_a, k->proto, kind, ns);
}

static __always_inline void app_timed(struct xtap_app *a, __u64 ns, __u64 now)
{
	a->timed++;
	a->sum_ns += ns;
	if (ns > a->max_ns)
		a->max_ns = ns;
	a->last_ns = now;
}

/* The flow's entry, created as kind with requests going in req_dir when
 * create is set. NULL when there is none, when it belongs to another
 * interface or is of another kind. */
static __always_inline struct xtap_app *app_entry(struct app_scratch *s,
						  const struct xtap_flow_key *k, __u8 kind,
						  __u8 req_dir, int create, struct xtap_stats *st)
{
	struct xtap_app *a = bpf_map_lookup_elem(&xtap_app, k);

	if (!a && create) {
		__builtin_memset(&s->nw, 0, sizeof(s->nw));
		s->nw.kind = kind;
		s->nw.req_dir = req_dir;
		s->nw.owner_slot = xtap_slot;
		bpf_map_update_elem(&xtap_app, k, &s->nw, BPF_NOEXIST);
		a = bpf_map_lookup_elem(&xtap_app, k);
		if (!a) {
			if (st)
				st->c[XTAP_STAT_APP_FAIL]++;
			return NULL;
		}
	}
	if (!a || a->owner_slot != xtap_slot || a->kind != kind)
		return NULL;
	return a;
}

static __always_inline void app_stat(struct xtap_stats *st, int reason)
{
	if (st)
		st->c[reason]++;
}

/* A status line in buf (n bytes): the status, 0 for a line cut by the end,
 * -1 for one that is not HTTP/1.x. */
static __always_inline int http_status(const __u8 *buf, __u32 n)
{
	static const char want[] = "HTTP/1.";
	int status;

#pragma unroll
	for (int i = 4; i < 7; i++) {
		if ((__u32)i >= n)
			return 0;
		if (buf[i] != (__u8)want[i])
			return -1;
	}
	if (n > 7 && !is_digit(buf[7]))
		return -1;
	if (n > 8 && buf[8] != ' ')
		return -1;
#pragma unroll
	for (int i = 9; i < 12; i++)
		if ((__u32)i < n && !is_digit(buf[i]))
			return -1;
	if (n < 12)
		return 0;
	if (n > 12 && buf[12] != ' ' && buf[12] != '\r')
		return -1;
	status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	return status >= 100 && status <= 599 ? status : -1;
}

static __always_inline void http_response(struct app_scratch *s, struct xtap_stats *st)
{
	const struct xtap_flow_key *k = &s->key;
	int dir = s->dir & 1, status = http_status(s->buf, s->n);
	struct xtap_app_pend *slot;
	struct xtap_app *a;
	__u32 j, c;
	__u64 now;

	if (status < 0) {
		app_stat(st, XTAP_STAT_HTTP_BAD);
		return;
	}
	if (!status)
		app_stat(st, XTAP_STAT_HTTP_SPLIT);
	a = app_entry(s, k, XTAP_APP_HTTP, !dir, status > 0, st);
	if (!a || (a->flags & XTAP_APP_F_UPGRADED))
		return;
	if (dir == a->req_dir) {
		app_stat(st, XTAP_STAT_HTTP_BAD);	/* a status line sent to the server */
		return;
	}
	if ((a->flags & XTAP_APP_F_RESP_SEQ) && a->resp_seq == s->seq)
		return;		/* a retransmission */
	a->resp_seq = s->seq;
	a->flags |= XTAP_APP_F_RESP_SEQ;
	j = a->n_resp;
	if ((__s32)(a->n_req - j) <= 0) {
		/* nothing outstanding: a response to a request not seen */
		if (status) {
			app_stat(st, XTAP_STAT_HTTP_NO_REQUEST);
			a->responses++;
			a->last_status = status;
			c = status / 100 - 1;
			if (c < 5)
				a->status_class[c]++;
		}
		return;
	}
	slot = &a->pend[j & (XTAP_APP_PENDING - 1)];
	if (!status) {
		/* the response's first segment is too short to tell its status:
		 * it still answers the oldest request, untimed */
		a->n_resp = j + 1;
		return;
	}
	a->responses++;
	a->last_status = status;
	c = status / 100 - 1;
	if (c < 5)
		a->status_class[c]++;
	if (slot->idx == j && !(slot->flags & (XTAP_PEND_UNTIMED | XTAP_PEND_ANSWERED))) {
		__u64 t;

		now = xtap_now();
		t = now > slot->ns ? now - slot->ns : 0;
		app_timed(a, t, now);
		app_hist(k, a, XTAP_LAT_HTTP, t);
	}
	if (status < 200 && status != 101) {
		if (slot->idx == j)
			slot->flags |= XTAP_PEND_ANSWERED;	/* the final response follows */
	} else {
		a->n_resp = j + 1;
	}
	if (status == 101)
		a->flags |= XTAP_APP_F_UPGRADED;
}

/*
 * Loops scan from a position kept in the scratch (from) for at most room
 * bytes: inside, only the loop counter is compared with room, so the
 * verifier learns nothing about from and prunes one iteration's paths
 * together.
 */
static __always_inline __u32 app_room(struct app_scratch *s, __u32 from, __u32 end)
{
	return app_keep(s, AT_ROOM, end > from ? end - from : 0);
}

/*
 * A request line in s->buf (n bytes, of a segment of len), method mlen bytes
 * long: the target and the Host header's value go to s->at (AT_HOST ==
 * AT_HOST_END: no Host). Returns 1 for a whole line, 2 for a line longer
 * than what was looked at (its target is kept cut), 0 for a line cut by the
 * segment's end, -1 for one that is not HTTP/1.x.
 */
static __always_inline int http_request_line(struct app_scratch *s, __u32 n, __u32 len, __u32 mlen)
{
	const __u8 *buf = s->buf;
	__u32 i, k, from, room, end = n < HTTP_SCAN ? n : HTTP_SCAN;
	int found = 0;

	s->at[AT_HOST] = s->at[AT_HOST_END] = 0;
	end = app_keep(s, AT_LIM, end);
	if (n < 8)
		return 0;
	if (!http_method_ok(buf, mlen))
		return -1;
	/* the target: visible characters up to a space */
	from = app_keep(s, AT_PATH, mlen + 1);
	room = app_room(s, from, end);
	for (k = 0; k < HTTP_SCAN; k++) {
		__u8 c;

		if (k >= room)
			break;
		c = app_at(buf, from + k);
		if (c == ' ') {
			found = 1;
			break;
		}
		if (c < 0x21 || c > 0x7e)
			return -1;
	}
	k = app_keep(s, AT_POS, k);
	end = app_get(s, AT_LIM);
	i = app_keep(s, AT_PATH_END, app_get(s, AT_PATH) + k);
	if (!found)
		return end < len ? 2 : 0;
	if (!k)
		return -1;	/* an empty target */
	/* HTTP/1.d then CRLF (or a bare LF) */
	i++;
	if (i + 8 > end)
		return end < len ? 2 : 0;
	if (app_at(buf, i) != 'H' || app_at(buf, i + 1) != 'T' || app_at(buf, i + 2) != 'T' ||
	    app_at(buf, i + 3) != 'P' || app_at(buf, i + 4) != '/' || app_at(buf, i + 5) != '1' ||
	    app_at(buf, i + 6) != '.' || !is_digit(app_at(buf, i + 7)))
		return -1;
	i += 8;
	if (i >= end)
		return end < len ? 2 : 0;
	if (app_at(buf, i) == '\r') {
		if (i + 1 >= end)
			return end < len ? 2 : 0;
		i++;
	}
	if (app_at(buf, i) != '\n')
		return -1;
	/* Host: at the start of a header line, before the empty line */
	found = 0;
	from = app_keep(s, AT_LINE, i + 1);
	room = app_room(s, from, end);
	for (k = 0; k < HTTP_SCAN; k++) {
		__u32 at = from + k;

		if (k + 6 > room)
			break;
		if (app_at(buf, at - 1) != '\n')
			continue;
		if (app_at(buf, at) == '\r' || app_at(buf, at) == '\n')
			break;	/* the end of the headers */
		if ((app_at(buf, at) | 0x20) == 'h' && (app_at(buf, at + 1) | 0x20) == 'o' &&
		    (app_at(buf, at + 2) | 0x20) == 's' && (app_at(buf, at + 3) | 0x20) == 't' &&
		    app_at(buf, at + 4) == ':') {
			found = 1;
			break;
		}
	}
	if (!found)
		return 1;
	k = app_keep(s, AT_POS, k);
	end = app_get(s, AT_LIM);
	from = app_keep(s, AT_HOST, app_get(s, AT_LINE) + k + 5);	/* after "Host:" */
	room = app_room(s, from, end);
	for (k = 0; k < 8; k++) {	/* optional white space */
		__u8 c;

		if (k >= room)
			break;
		c = app_at(buf, from + k);
		if (c != ' ' && c != '\t')
			break;
	}
	k = app_keep(s, AT_POS, k);
	end = app_get(s, AT_LIM);
	from = app_keep(s, AT_HOST, app_get(s, AT_HOST) + k);
	room = app_room(s, from, end);
	for (k = 0; k < XTAP_HTTP_HOST_LEN; k++) {
		__u8 c;

		if (k >= room)
			break;
		c = app_at(buf, from + k);
		if (c < 0x21 || c > 0x7e)
			break;
	}
	k = app_keep(s, AT_POS, k);
	app_keep(s, AT_HOST_END, app_get(s, AT_HOST) + k);
	return 1;
}

/* Copy buf[from, to) into dst (size bytes), cut and zero padded. */
static __always_inline void app_copy(struct app_scratch *s, char *dst, int size, __u32 from, __u32 to)
{
	__u32 cnt = app_keep(s, AT_ROOM, to > from ? to - from : 0);

	__builtin_memset(dst, 0, size);
	for (int k = 0; k < size; k++) {
		if (k >= cnt)
			break;
		dst[k] = app_at(s->buf, from + k);
	}
}

static __always_inline void http_request(struct app_scratch *s, struct xtap_stats *st)
{
	const struct xtap_flow_key *k = &s->key;
	int dir = s->dir & 1, line;
	struct xtap_app_pend *slot;
	struct xtap_app *a;
	__u32 idx, mlen;

	mlen = app_keep(s, AT_MLEN, s->what) & 7;
	line = http_request_line(s, s->n, s->len, mlen);

	if (line < 0) {
		app_stat(st, XTAP_STAT_HTTP_BAD);
		return;
	}
	a = app_entry(s, k, XTAP_APP_HTTP, dir, 1, st);
	if (!a || (a->flags & XTAP_APP_F_UPGRADED))
		return;
	if (dir != a->req_dir) {
		app_stat(st, XTAP_STAT_HTTP_BAD);	/* a request line sent by the server */
		return;
	}
	if ((a->flags & XTAP_APP_F_REQ_SEQ) && a->req_seq == s->seq)
		return;		/* a retransmission */
	a->req_seq = s->seq;
	a->flags |= XTAP_APP_F_REQ_SEQ;
	if (!line)
		app_stat(st, XTAP_STAT_HTTP_SPLIT);
	idx = a->n_req;
	if (idx - a->n_resp >= XTAP_APP_PENDING) {
		/* the oldest outstanding request gives up its slot */
		a->unanswered++;
		app_stat(st, XTAP_STAT_HTTP_PIPELINE_FULL);
	}
	slot = &a->pend[idx & (XTAP_APP_PENDING - 1)];
	slot->ns = xtap_now();
	slot->idx = idx;
	slot->id = 0;
	slot->flags = line ? 0 : XTAP_PEND_UNTIMED;
	a->n_req = idx + 1;
	a->requests++;
	if (line) {
		app_copy(s, a->method, XTAP_HTTP_METHOD_LEN, 0, app_get(s, AT_MLEN));
		app_copy(s, a->path, XTAP_HTTP_PATH_LEN, app_get(s, AT_PATH), app_get(s, AT_PATH_END));
		app_copy(s, a->host, XTAP_HTTP_HOST_LEN, app_get(s, AT_HOST), app_get(s, AT_HOST_END));
	}
}

/*
 * The first question's name at offset 12 of a DNS message in s->buf (n
 * bytes): returns the offset after it, or -reason. Its first
 * XTAP_DNS_NAME_LEN bytes, as they are on the wire, go to s->name (user
 * space turns the lengths into dots).
 */
static __always_inline int dns_name(struct app_scratch *s, __u32 n)
{
	const __u8 *buf = s->buf;
	__u32 pos = DNS_HLEN, end = 0, cnt;

	for (int i = 0; i < DNS_NAME_MAX / 2 + 1; i++) {
		__u8 c;

		if (pos >= n)
			return -XTAP_STAT_DNS_NAME_TRUNC;
		c = app_at(buf, pos);
		if (c == 0) {
			end = pos + 1;
			break;
		}
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= n)
				return -XTAP_STAT_DNS_NAME_TRUNC;
			/* the target: this very name (or past it) is a loop */
			if ((((__u32)c & 0x3f) << 8 | app_at(buf, pos + 1)) >= DNS_HLEN)
				return -XTAP_STAT_DNS_NAME_LOOP;
			return -XTAP_STAT_DNS_NAME_BAD;
		}
		if (c & 0xc0)
			return -XTAP_STAT_DNS_NAME_BAD;
		pos += c + 1;
		if (pos - DNS_HLEN >= DNS_NAME_MAX)
			return -XTAP_STAT_DNS_NAME_BAD;
	}
	if (!end)
		return -XTAP_STAT_DNS_NAME_BAD;
	end = app_keep(s, AT_END, end);
	cnt = app_keep(s, AT_ROOM, end - DNS_HLEN);
	__builtin_memset(s->name, 0, XTAP_DNS_NAME_LEN);
	for (int k = 0; k < XTAP_DNS_NAME_LEN; k++) {
		if (k >= cnt)
			break;
		s->name[k] = app_at(buf, DNS_HLEN + k);
	}
	return app_get(s, AT_END) & (APP_BUF - 1);
}

/* A DNS message in s->buf (s->n bytes of a message of s->len). */
static __always_inline void dns_message(struct app_scratch *s, struct xtap_stats *st)
{
	const struct xtap_flow_key *k = &s->key;
	int dir = s->dir & 1;
	__u32 n = s->n, len = s->len;
	struct xtap_app *a;
	__u16 id, flags, qd, qtype = 0;
	int end = DNS_HLEN, free_slot = -1, old_slot = 0, hit = -1;
	__u64 now, oldest = ~0ull;

	if (len < DNS_HLEN || n < DNS_HLEN) {
		app_stat(st, XTAP_STAT_DNS_SHORT);
		return;
	}
	id = (__u16)s->buf[0] << 8 | s->buf[1];
	flags = (__u16)s->buf[2] << 8 | s->buf[3];
	qd = (__u16)s->buf[4] << 8 | s->buf[5];
	if (qd) {
		n = app_keep(s, AT_N, n);
		end = dns_name(s, n);
		if (end < 0) {
			app_stat(st, -end);
			return;
		}
		n = app_get(s, AT_N);
		if ((__u32)end + 4 > n) {
			app_stat(st, XTAP_STAT_DNS_SHORT);
			return;
		}
		qtype = (__u16)app_at(s->buf, end) << 8 | app_at(s->buf, end + 1);
	}

	if (!(flags & 0x8000)) {
		/* a query */
		a = app_entry(s, k, XTAP_APP_DNS, dir, 1, st);
		if (!a || dir != a->req_dir)
			return;
		a->requests++;
		a->dns_id = id;
		a->dns_qtype = qtype;
		if (qd)
			__builtin_memcpy(a->dns_name, s->name, XTAP_DNS_NAME_LEN);
		else
			__builtin_memset(a->dns_name, 0, XTAP_DNS_NAME_LEN);
#pragma unroll
		for (int i = 0; i < XTAP_APP_PENDING; i++) {
			struct xtap_app_pend *q = &a->pend[i];

			if (!(q->flags & XTAP_PEND_USED)) {
				if (free_slot < 0)
					free_slot = i;
			} else if (q->id == id) {
				hit = i;
			} else if (q->ns < oldest) {
				oldest = q->ns;
				old_slot = i;
			}
		}
		if (hit >= 0) {
			a->dns_retransmits++;	/* the time runs from the first */
			return;
		}
		if (free_slot < 0)
			free_slot = old_slot;
		free_slot &= XTAP_APP_PENDING - 1;
		if (a->pend[free_slot].flags & XTAP_PEND_USED)
			a->unanswered++;	/* the oldest query gives up its slot */
		a->pend[free_slot].ns = xtap_now();
		a->pend[free_slot].id = id;
		a->pend[free_slot].idx = 0;
		a->pend[free_slot].flags = XTAP_PEND_USED;
		return;
	}

	a = app_entry(s, k, XTAP_APP_DNS, dir, 0, st);
	if (a && dir != a->req_dir) {
#pragma unroll
		for (int i = 0; i < XTAP_APP_PENDING; i++)
			if ((a->pend[i].flags & XTAP_PEND_USED) && a->pend[i].id == id)
				hit = i;
	}
	if (!a || hit < 0) {
		app_stat(st, XTAP_STAT_DNS_NO_QUERY);
		return;
	}
	hit &= XTAP_APP_PENDING - 1;
	now = xtap_now();
	{
		__u64 t = now > a->pend[hit].ns ? now - a->pend[hit].ns : 0;

		a->pend[hit].flags = 0;
		a->responses++;
		a->dns_rcode = flags & 0xf;
		if (flags & 0xf)
			a->dns_errors++;
		app_timed(a, t, now);
		app_hist(k, a, XTAP_LAT_DNS, t);
	}
}

/* Copy up to APP_LOAD bytes of the payload, from skip bytes into it, to the
 * scratch buffer. Returns the bytes copied, 0 when none could be. */
static __always_inline __u32 app_load(void *ctx, int xdp, const struct pkt *p, __u32 skip,
				      __u64 max, struct app_scratch *s)
{
	__u64 avail, n, off = (__u64)p->payload_off + skip;

	avail = ctx_len(ctx, xdp);
	if (avail <= off || p->payload_len <= skip)
		return 0;
	n = avail - off;
	if (n > p->payload_len - skip)
		n = p->payload_len - skip;
	/* clang 14: the bound must be on the 64-bit value the helper gets */
	if (n > max)
		n = max;
	if (n < 1)
		return 0;
	if (ctx_load_bytes(ctx, xdp, off, s->buf, n))
		return 0;
	return n;
}

#include "tls.h"

/*
 * The slow path: parse what app_slow put in the scratch and update the
 * flow's entry. A global function, so that the verifier checks it once, on
 * its own, rather than once for every way the packet path can reach it.
 */
__attribute__((noinline)) int xtap_app_parse(struct app_scratch *s)
{
	struct xtap_stats *st;

	if (!s)
		return 0;
	st = bpf_map_lookup_elem(&xtap_stats, &s->point);
	if (s->what == APP_DNS)
		dns_message(s, st);
	else if (s->what == APP_TLS)
		tls_message(s, st);
	else if (s->what == 0)
		http_response(s, st);
	else if (s->what > 0)
		http_request(s, st);
	return 0;
}

/* A segment or datagram that looks like HTTP or DNS: its first bytes and
 * what the parser needs go to the scratch. what is the http_token result, or
 * APP_DNS (skip: 2 over TCP, 0 over UDP). Returns 1 when the parser has
 * something to do. */
static __always_inline int app_slow(void *ctx, int xdp, const struct pkt *p, int what,
				    __u32 skip, __u32 hook)
{
	struct app_scratch *s;
	__u32 zero = 0, n;

	s = bpf_map_lookup_elem(&xtap_appbuf, &zero);
	if (!s)
		return 0;
	n = app_load(ctx, xdp, p, skip, what == APP_TLS ? TLS_LOAD : APP_LOAD, s);
	if (!n)
		return 0;
	s->n = n;
	s->len = p->payload_len - skip;
	s->seq = p->seq;
	s->point = XTAP_POINT(xtap_slot, hook);
	s->what = what;
	s->dir = flow_key_make(p, &s->key);
	return 1;
}

/* Data to port 80 that starts no request: counted unless the flow carries
 * HTTP (then it is a body or the rest of a request). */
static __always_inline void http_port80_other(const struct pkt *p, __u32 hook)
{
	struct xtap_flow_key k __attribute__((aligned(8)));
	struct xtap_app *a;

	flow_key_make(p, &k);
	a = bpf_map_lookup_elem(&xtap_app, &k);
	if (!a || a->kind != XTAP_APP_HTTP)
		app_stat(xtap_stats_of(hook), XTAP_STAT_HTTP_NOT_HTTP);
}

/* What every IP packet that was accounted to a flow goes through: 1 when
 * the parser has to look at it. */
static __always_inline int app_packet(void *ctx, int xdp, const struct pkt *p, __u32 hook)
{
	void *data = ctx_data(ctx, xdp), *data_end = ctx_data_end(ctx, xdp);
	__u32 off = p->payload_off, w = 0;
	int what;

	if (p->frag == XTAP_FRAG_LATER || p->payload_len < 4)
		return 0;
	if (p->l4proto == IPPROTO_UDP) {
		if (p->dport == DNS_PORT || p->sport == DNS_PORT)
			return app_slow(ctx, xdp, p, APP_DNS, 0, hook);
		if (XTAP_FEATURE_TLS && (p->dport == QUIC_PORT || p->sport == QUIC_PORT))
			return quic_packet(ctx, xdp, p, hook);
		return 0;
	}
	if (p->l4proto != IPPROTO_TCP)
		return 0;
	if (p->dport == DNS_PORT || p->sport == DNS_PORT) {
		/* DNS over TCP: a two-byte length, then the message */
		return app_slow(ctx, xdp, p, APP_DNS, 2, hook);
	}
	/* the first four payload bytes, in place when the linear part has them */
	if (off < 1024 && data + off + 4 <= data_end)
		w = *(__u32 *)(data + off);
	else if (ctx_load_bytes(ctx, xdp, off, &w, 4))
		return 0;
	what = http_token(w);
	if (what >= 0)
		return app_slow(ctx, xdp, p, what, 0, hook);
	if (tls_token(w))
		return tls_first(w) == TLS_APPDATA ? tls_appdata(p, hook)
						   : app_slow(ctx, xdp, p, APP_TLS, 0, hook);
	if (p->dport == HTTP_PORT)
		http_port80_other(p, hook);
	return 0;
}

/*
 * One global function per context type: the verifier checks each once, on
 * its own, instead of once for every way the packet path reaches it (p's
 * offsets differ with every header layout parse_packet followed). The
 * parser is called from the core, not from these: the three frames would
 * not fit the stack.
 */
__attribute__((noinline)) int xtap_app_xdp(struct xdp_md *ctx, const struct pkt *p, __u32 hook)
{
	if (!p)
		return 0;
	return app_packet(ctx, 1, p, hook);
}

__attribute__((noinline)) int xtap_app_skb(struct __sk_buff *ctx, const struct pkt *p, __u32 hook)
{
	if (!p)
		return 0;
	return app_packet(ctx, 0, p, hook);
}

/* Called by the core for every IP packet that was accounted to a flow; an
 * empty stub when XTAP_FEATURE_LATENCY is 0. */
#if XTAP_FEATURE_LATENCY
static __always_inline void app_account(void *ctx, void *data, void *data_end, const struct pkt *p,
					__u32 hook)
{
	struct app_scratch *s;
	__u32 zero = 0, off = p->payload_off;
	int slow;

	/* What app_packet turns away at once is turned away here, without the
	 * call: pure ACKs, the datagrams of every other UDP service, and the
	 * TCP segments of other services whose first bytes start no HTTP
	 * request or response (most of a data transfer). */
	if (p->frag == XTAP_FRAG_LATER || p->payload_len < 4)
		return;
	if (p->l4proto == IPPROTO_TCP) {
		if (p->dport != DNS_PORT && p->sport != DNS_PORT && p->dport != HTTP_PORT &&
		    off < 1024 && data + off + 4 <= data_end && http_token(*(__u32 *)(data + off)) < 0 &&
		    !tls_token(*(__u32 *)(data + off)))
			return;
	} else if (p->l4proto != IPPROTO_UDP ||
		   (p->dport != DNS_PORT && p->sport != DNS_PORT &&
		    !(XTAP_FEATURE_TLS && (p->dport == QUIC_PORT || p->sport == QUIC_PORT)))) {
		return;
	}
	if (hook == XTAP_HOOK_XDP)
		slow = xtap_app_xdp(ctx, p, hook);
	else
		slow = xtap_app_skb(ctx, p, hook);
	if (!slow)
		return;
	s = bpf_map_lookup_elem(&xtap_appbuf, &zero);
	if (s)
		xtap_app_parse(s);
}
#else
static __always_inline void app_account(void *ctx, void *data, void *data_end, const struct pkt *p,
					__u32 hook)
{
}
#endif

#endif
