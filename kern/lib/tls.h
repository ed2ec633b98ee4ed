/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * TLS handshakes on TCP, any port (struct xtap_tls in the flow's xtap_app
 * entry, kind XTAP_APP_TLS). Included by app.h, whose scratch, loader and
 * entry helpers it uses.
 *
 * The hot-path test is the first two payload bytes: a record of type
 * change_cipher_spec (20), handshake (22) or application_data (23) with
 * major version 3. A segment starting with application data only looks the
 * flow up (is the client's first one still awaited?); a handshake or
 * change_cipher_spec segment is copied to the scratch (up to TLS_LOAD
 * bytes) and parsed there:
 *
 *  - a ClientHello or ServerHello in the segment's first record: the
 *    ClientHello's legacy_version, server_name (cut at 64 bytes), the first
 *    two ALPN names and supported_versions; the ServerHello's
 *    legacy_version, cipher suite, selected version and whether its random
 *    is the HelloRetryRequest one. Lengths are checked against each other
 *    (record, handshake message, session id, cipher suites, compression,
 *    extensions, each extension and each list inside one); a hello whose
 *    lengths disagree is counted and not kept. A hello cut by the segment's
 *    end (or spread over records) keeps the fields that were whole in the
 *    segment and is flagged; the rest of it, in later segments, is never
 *    looked at: those segments do not start a record.
 *  - the records that follow in the segment, walked by their lengths: the
 *    client's first application-data record ends the handshake's timing
 *    (in TLS 1.3 it carries the client's Finished; in 1.2 the first data).
 *
 * Only the first ClientHello of a flow (and the one answering a
 * HelloRetryRequest) and the first ServerHello that is not a
 * HelloRetryRequest are taken: a retransmission changes nothing.
 *
 * QUIC (UDP port 443): a datagram that starts with a long-header Initial
 * packet of a version whose Initial type is known (1, 2, drafts) is counted
 * per flow with its version (kind XTAP_APP_QUIC). Nothing is decrypted.
 */
#ifndef XTAP_KERN_TLS_H
#define XTAP_KERN_TLS_H

#define TLS_CCS 20
#define TLS_HANDSHAKE 22
#define TLS_APPDATA 23
#define TLS_CLIENT_HELLO 1
#define TLS_SERVER_HELLO 2
#define TLS_EXT_MAX 32		/* extensions walked per hello */
#define TLS_LIST_MAX 16		/* supported_versions entries looked at */
#define TLS_ALPN_MAX 8		/* ALPN names counted */
#define TLS_REC_MAX 8		/* records walked per segment */
#define TLS_REC_LEN_MAX (16384 + 2048)	/* the largest record TLS allows */

#define TLS_EXT_SNI 0
#define TLS_EXT_ALPN 16
#define TLS_EXT_SV 43

/* tls_hello's results besides -reason */
#define TLS_WHOLE 0
#define TLS_CUT 1
#define TLS_NOT_HELLO 2

/* The first byte of the payload's first word (loaded from memory). */
static __always_inline __u8 tls_first(__u32 w)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return w & 0xff;
#else
	return w >> 24;
#endif
}

/* 1 when the payload's first word starts a TLS record of a type we follow */
static __always_inline int tls_token(__u32 w)
{
	__u8 c0 = tls_first(w);

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	__u8 c1 = w >> 8;
#else
	__u8 c1 = w >> 16;
#endif

	if (!XTAP_FEATURE_TLS)
		return 0;
	return c1 == 3 && (c0 == TLS_HANDSHAKE || c0 == TLS_APPDATA || c0 == TLS_CCS);
}

static __always_inline __u32 tls_u16(const __u8 *buf, __u32 i)
{
	return (__u32)app_at(buf, i) << 8 | app_at(buf, i + 1);
}

/* The TLS entry of the flow that is still waiting for the client's first
 * application data and dir is the client's: else NULL. */
static __always_inline struct xtap_app *tls_waiting(const struct xtap_flow_key *k, int dir)
{
	struct xtap_app *a = bpf_map_lookup_elem(&xtap_app, k);

	if (!a || a->kind != XTAP_APP_TLS || a->owner_slot != xtap_slot || a->req_dir != dir)
		return NULL;
	if ((a->tls.flags & (XTAP_TLS_F_CH | XTAP_TLS_F_DATA)) != XTAP_TLS_F_CH)
		return NULL;
	return a;
}

static __always_inline void tls_data_seen(const struct xtap_flow_key *k, struct xtap_app *a)
{
	__u64 now = xtap_now(), t = now > a->tls.ch_ns ? now - a->tls.ch_ns : 0;

	a->tls.data_ns = t;
	a->tls.flags |= XTAP_TLS_F_DATA;
	app_hist(k, a, XTAP_LAT_TLS_DATA, t);
}

/* A segment that starts with an application-data record. Returns 0: the
 * parser has nothing to do. */
static __always_inline int tls_appdata(const struct pkt *p, __u32 hook)
{
	struct xtap_flow_key k __attribute__((aligned(8)));
	struct xtap_app *a;
	int dir = flow_key_make(p, &k);

	a = tls_waiting(&k, dir);
	if (a)
		tls_data_seen(&k, a);
	return 0;
}

/* The hello's fixed part: legacy version, random, session id, cipher
 * suites, compression, up to the extensions. Returns the offset of the
 * extensions' length, or a tls_hello result / -reason through *res. */
static __always_inline int tls_hello_head(struct app_scratch *s, int ch, __u32 avail, __u32 hend,
					  int *res)
{
	static const __u8 hrr[32] = {
		0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
		0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
		0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
	};
	const __u8 *buf = s->buf;
	struct xtap_tls *t = &s->tls;
	__u32 pos, len;
	int same = 1;

#define NEED(end)                                                                        \
	do {                                                                             \
		if ((end) > avail) {                                                     \
			*res = avail < hend ? TLS_CUT : -XTAP_STAT_TLS_BAD;              \
			return -1;                                                       \
		}                                                                        \
	} while (0)
	NEED(11);
	if (ch)
		t->ch_version = tls_u16(buf, 9);
	else
		t->sh_version = t->version = tls_u16(buf, 9);
	NEED(44);
	if (!ch) {
#pragma unroll
		for (int i = 0; i < 32; i++)
			if (buf[11 + i] != hrr[i])
				same = 0;
		if (same)
			t->flags |= XTAP_TLS_F_HRR;
	}
	len = buf[43];
	if (len > 32) {
		*res = -XTAP_STAT_TLS_BAD;
		return -1;
	}
	pos = 44 + len;
	if (ch) {
		NEED(pos + 2);
		len = tls_u16(buf, pos);
		if (!len || (len & 1)) {
			*res = -XTAP_STAT_TLS_BAD;
			return -1;
		}
		pos += 2 + len;
		NEED(pos + 1);
		pos += 1 + app_at(buf, pos);
	} else {
		NEED(pos + 3);
		t->cipher = tls_u16(buf, pos);
		pos += 3;
	}
	if (pos == hend) {
		*res = TLS_WHOLE;	/* no extensions (TLS 1.2 and older may) */
		return -1;
	}
	NEED(pos + 2);
	*res = TLS_WHOLE;
	return pos;
#undef NEED
}

/* Walk the extensions from AT_TLS to AT_TLS_EXT_END, noting where the ones
 * we read are. */
static __always_inline int tls_ext_walk(struct app_scratch *s)
{
	const __u8 *buf = s->buf;
	int i;

	s->at[AT_TLS_SNI] = s->at[AT_TLS_ALPN] = s->at[AT_TLS_SV] = 0;
	for (i = 0; i < TLS_EXT_MAX; i++) {
		__u32 pos = app_get(s, AT_TLS), end = app_get(s, AT_TLS_EXT_END);
		__u32 avail = app_get(s, AT_TLS_AVAIL), type, len;

		if (pos >= end)
			return TLS_WHOLE;
		if (pos + 4 > end)
			return -XTAP_STAT_TLS_BAD;
		if (pos + 4 > avail)
			return TLS_CUT;
		type = tls_u16(buf, pos);
		len = tls_u16(buf, pos + 2);
		if (pos + 4 + len > end)
			return -XTAP_STAT_TLS_BAD;
		if (pos + 4 + len > avail)
			return TLS_CUT;
		if (type == TLS_EXT_SNI) {
			s->at[AT_TLS_SNI] = pos + 4;
			s->at[AT_TLS_SNI_END] = pos + 4 + len;
		} else if (type == TLS_EXT_ALPN) {
			s->at[AT_TLS_ALPN] = pos + 4;
			s->at[AT_TLS_ALPN_END] = pos + 4 + len;
		} else if (type == TLS_EXT_SV) {
			s->at[AT_TLS_SV] = pos + 4;
			s->at[AT_TLS_SV_END] = pos + 4 + len;
		}
		app_keep(s, AT_TLS, pos + 4 + len);
	}
	return -XTAP_STAT_TLS_EXT_MANY;
}

/* server_name: one host_name entry; its first XTAP_TLS_SNI_LEN bytes. */
static __always_inline int tls_sni(struct app_scratch *s)
{
	const __u8 *buf = s->buf;
	__u32 p = app_get(s, AT_TLS_SNI), end = app_get(s, AT_TLS_SNI_END), len, cnt;

	if (!p)
		return 0;
	if (p + 5 > end || tls_u16(buf, p) != end - p - 2 || app_at(buf, p + 2) != 0)
		return -XTAP_STAT_TLS_BAD;
	len = tls_u16(buf, p + 3);
	if (p + 5 + len > end || !len)
		return -XTAP_STAT_TLS_BAD;
	cnt = app_keep(s, AT_ROOM, len < XTAP_TLS_SNI_LEN ? len : XTAP_TLS_SNI_LEN);
	p = app_keep(s, AT_POS, p + 5);
	for (int k = 0; k < XTAP_TLS_SNI_LEN; k++) {
		if (k >= cnt)
			break;
		s->tls.sni[k] = app_at(buf, p + k);
	}
	s->tls.sni_len = cnt;
	return 0;
}

/* application_layer_protocol_negotiation: count the names, note the first
 * two. */
static __always_inline int tls_alpn(struct app_scratch *s)
{
	const __u8 *buf = s->buf;
	__u32 p = app_get(s, AT_TLS_ALPN), end = app_get(s, AT_TLS_ALPN_END);
	int n = 0;

	if (!p)
		return 0;
	if (p + 2 > end || tls_u16(buf, p) != end - p - 2)
		return -XTAP_STAT_TLS_BAD;
	app_keep(s, AT_POS, p + 2);
	for (int i = 0; i < TLS_ALPN_MAX; i++) {
		__u32 q = app_get(s, AT_POS), e = app_get(s, AT_TLS_ALPN_END), len;

		if (q >= e)
			break;
		len = app_at(buf, q);
		if (!len || q + 1 + len > e)
			return -XTAP_STAT_TLS_BAD;
		if (i < XTAP_TLS_ALPN_KEPT)
			s->at[AT_TLS_ALPN0 + i] = q;
		n++;
		app_keep(s, AT_POS, q + 1 + len);
	}
	s->tls.alpn_n = n;
	for (int i = 0; i < XTAP_TLS_ALPN_KEPT; i++) {
		__u32 q, cnt;

		if (i >= n)
			break;
		q = app_get(s, AT_TLS_ALPN0 + i);
		cnt = app_at(buf, q);
		cnt = app_keep(s, AT_ROOM, cnt < XTAP_TLS_ALPN_LEN ? cnt : XTAP_TLS_ALPN_LEN);
		for (int k = 0; k < XTAP_TLS_ALPN_LEN; k++) {
			if (k >= cnt)
				break;
			s->tls.alpn[i][k] = app_at(buf, q + 1 + k);
		}
		s->tls.alpn_len[i] = cnt;
	}
	return 0;
}

static __always_inline int tls_grease(__u32 v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* supported_versions: the ClientHello's list, or the one the ServerHello
 * selected. */
static __always_inline int tls_versions(struct app_scratch *s, int ch)
{
	const __u8 *buf = s->buf;
	__u32 p = app_get(s, AT_TLS_SV), end = app_get(s, AT_TLS_SV_END), v;

	if (!p)
		return 0;
	if (!ch) {
		if (end - p != 2)
			return -XTAP_STAT_TLS_BAD;
		s->tls.version = tls_u16(buf, p);
		return 0;
	}
	v = app_at(buf, p);
	if (!v || (v & 1) || p + 1 + v != end)
		return -XTAP_STAT_TLS_BAD;
	app_keep(s, AT_POS, p + 1);
	for (int i = 0; i < TLS_LIST_MAX; i++) {
		__u32 q = app_get(s, AT_POS), e = app_get(s, AT_TLS_SV_END);

		if (q + 2 > e)
			break;
		v = tls_u16(buf, q);
		if (!tls_grease(v)) {
			if (v >= 0x0300 && v <= 0x0304)
				s->tls.offered |= 1 << (v & 7);
			if (v > s->tls.offered_max)
				s->tls.offered_max = v;
		}
		app_keep(s, AT_POS, q + 2);
	}
	return 0;
}

/*
 * The hello in the first record of s->buf (s->n bytes): parsed into
 * s->tls. TLS_WHOLE, TLS_CUT (the fields that were whole are set),
 * TLS_NOT_HELLO, or -reason. *type: the handshake type.
 */
static __always_inline int tls_hello(struct app_scratch *s, __u32 n, int *type)
{
	const __u8 *buf = s->buf;
	__u32 rec, hs, hend, avail, pos;
	int ch, res, r;

	*type = 0;
	if (buf[0] != TLS_HANDSHAKE)
		return TLS_NOT_HELLO;
	if (n < 6)
		return TLS_CUT;
	*type = buf[5];
	if (*type != TLS_CLIENT_HELLO && *type != TLS_SERVER_HELLO)
		return TLS_NOT_HELLO;
	ch = *type == TLS_CLIENT_HELLO;
	rec = tls_u16(buf, 3);
	if (rec < 4 || rec > TLS_REC_LEN_MAX)
		return -XTAP_STAT_TLS_BAD;
	if (n < 9)
		return TLS_CUT;
	hs = (__u32)buf[6] << 16 | (__u32)buf[7] << 8 | buf[8];
	if (hs < 38 || hs > 0xffff)
		return -XTAP_STAT_TLS_BAD;
	hend = 9 + hs;
	/* what may be read: the segment, the record, the hello */
	avail = hend;
	if (5 + rec < avail)
		avail = 5 + rec;
	if (n < avail)
		avail = n;
	__builtin_memset(&s->tls, 0, sizeof(s->tls));
	pos = tls_hello_head(s, ch, avail, hend, &res);
	if ((int)pos < 0)
		return res;
	pos &= 0xffff;
	app_keep(s, AT_TLS_EXT_END, pos + 2 + tls_u16(buf, pos));
	if (app_get(s, AT_TLS_EXT_END) != hend)
		return -XTAP_STAT_TLS_BAD;
	app_keep(s, AT_TLS, pos + 2);
	app_keep(s, AT_TLS_AVAIL, avail);
	res = tls_ext_walk(s);
	if (res < 0)
		return res;
	if (ch) {
		r = tls_sni(s);
		if (r < 0)
			return r;
		r = tls_alpn(s);
		if (r < 0)
			return r;
	}
	r = tls_versions(s, ch);
	if (r < 0)
		return r;
	if (res == TLS_WHOLE && avail < hend)
		res = TLS_CUT;
	return res;
}

/* Whether the records of the segment in s->buf include application data. */
static __always_inline int tls_has_appdata(struct app_scratch *s)
{
	app_keep(s, AT_POS, 0);
	for (int i = 0; i < TLS_REC_MAX; i++) {
		__u32 q = app_get(s, AT_POS), n = s->n;

		if (q + 5 > n || app_at(s->buf, q + 1) != 3)
			return 0;
		if (app_at(s->buf, q) == TLS_APPDATA)
			return 1;
		app_keep(s, AT_POS, q + 5 + tls_u16(s->buf, q + 3));
	}
	return 0;
}

static __always_inline void tls_client_hello(struct app_scratch *s, int res, struct xtap_stats *st)
{
	const struct xtap_flow_key *k = &s->key;
	int dir = s->dir & 1;
	struct xtap_app *a = app_entry(s, k, XTAP_APP_TLS, dir, 1, st);
	__u16 flags;

	if (!a)
		return;
	if (dir != a->req_dir) {
		app_stat(st, XTAP_STAT_TLS_BAD);	/* a ClientHello from the server */
		return;
	}
	flags = a->tls.flags;
	if (!(flags & XTAP_TLS_F_CH)) {
		__builtin_memcpy(&a->tls, &s->tls, sizeof(a->tls));
		a->tls.ch_ns = xtap_now();
		a->tls.flags = XTAP_TLS_F_CH | (res == TLS_CUT ? XTAP_TLS_F_CH_CUT : 0);
		a->requests++;
	} else if ((flags & XTAP_TLS_F_HRR) && !(flags & XTAP_TLS_F_CH2)) {
		a->tls.flags = flags | XTAP_TLS_F_CH2;
		a->requests++;
	}
}

static __always_inline void tls_server_hello(struct app_scratch *s, int res, struct xtap_stats *st)
{
	const struct xtap_flow_key *k = &s->key;
	int dir = s->dir & 1;
	struct xtap_app *a = bpf_map_lookup_elem(&xtap_app, k);
	struct xtap_tls *t = &s->tls;
	__u16 flags;
	__u64 now, d;

	if (a && a->owner_slot != xtap_slot)
		return;		/* another interface follows the flow */
	if (!a || a->kind != XTAP_APP_TLS || !(a->tls.flags & XTAP_TLS_F_CH)) {
		app_stat(st, XTAP_STAT_TLS_NO_HELLO);
		return;
	}
	if (dir == a->req_dir) {
		app_stat(st, XTAP_STAT_TLS_BAD);	/* a ServerHello from the client */
		return;
	}
	flags = a->tls.flags;
	if (flags & XTAP_TLS_F_SH)
		return;
	if ((t->flags & XTAP_TLS_F_HRR) && (flags & XTAP_TLS_F_HRR))
		return;		/* the HelloRetryRequest again */
	a->tls.sh_version = t->sh_version;
	a->tls.version = t->version;
	a->tls.cipher = t->cipher;
	flags &= ~XTAP_TLS_F_SH_CUT;
	flags |= (t->flags & XTAP_TLS_F_HRR) ? XTAP_TLS_F_HRR : XTAP_TLS_F_SH;
	if (res == TLS_CUT)
		flags |= XTAP_TLS_F_SH_CUT;
	a->responses++;
	if (!(flags & XTAP_TLS_F_HELLO)) {
		now = xtap_now();
		d = now > a->tls.ch_ns ? now - a->tls.ch_ns : 0;
		a->tls.hello_ns = d;
		flags |= XTAP_TLS_F_HELLO;
		app_timed(a, d, now);
		app_hist(k, a, XTAP_LAT_TLS_HELLO, d);
	}
	a->tls.flags = flags;
}

/* A segment starting with a handshake or change_cipher_spec record, in
 * s->buf. */
static __always_inline void tls_message(struct app_scratch *s, struct xtap_stats *st)
{
	struct xtap_app *a;
	int type, res = tls_hello(s, s->n, &type);

	if (res < 0) {
		app_stat(st, -res);
		return;
	}
	if (type == TLS_CLIENT_HELLO || type == TLS_SERVER_HELLO) {
		if (res == TLS_CUT)
			app_stat(st, XTAP_STAT_TLS_SPLIT);
		if (type == TLS_CLIENT_HELLO)
			tls_client_hello(s, res, st);
		else
			tls_server_hello(s, res, st);
	}
	a = tls_waiting(&s->key, s->dir & 1);
	if (a && tls_has_appdata(s))
		tls_data_seen(&s->key, a);
}

#define QUIC_PORT 443
#define QUIC_V1 0x00000001u
#define QUIC_V2 0x6b3343cfu

/* 1 when the first byte b0 and the version v start an Initial packet */
static __always_inline int quic_initial(__u8 b0, __u32 v)
{
	__u8 type = (b0 >> 4) & 3;

	if ((b0 & 0xc0) != 0xc0)
		return 0;	/* not a long header with the fixed bit */
	if (v == QUIC_V2)
		return type == 1;
	if (v == QUIC_V1 || (v & 0xffffff00u) == 0xff000000u)
		return type == 0;
	return 0;		/* version negotiation, or a version we cannot read */
}

/* A UDP datagram to or from port 443. Returns 0: the parser has nothing to
 * do. */
static __always_inline int quic_packet(void *ctx, int xdp, const struct pkt *p, __u32 hook)
{
	struct app_scratch *s;
	struct xtap_app *a;
	__u32 zero = 0, v;
	__u8 h[5];
	int dir;

	if (p->payload_len < 5 || ctx_load_bytes(ctx, xdp, p->payload_off, h, 5))
		return 0;
	v = (__u32)h[1] << 24 | (__u32)h[2] << 16 | (__u32)h[3] << 8 | h[4];
	if (!quic_initial(h[0], v))
		return 0;
	s = bpf_map_lookup_elem(&xtap_appbuf, &zero);
	if (!s)
		return 0;
	dir = flow_key_make(p, &s->key);
	a = app_entry(s, &s->key, XTAP_APP_QUIC, p->dport == QUIC_PORT ? dir : !dir, 1,
		      xtap_stats_of(hook));
	if (!a)
		return 0;
	if (dir == a->req_dir)
		a->requests++;
	else
		a->responses++;
	a->tls.quic_version = v;
	return 0;
}

#endif
