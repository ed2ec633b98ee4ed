// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * TLS handshakes through the real programs, on the replay clock: the
 * ClientHello's offer and the ServerHello's choice kept per flow, the hello
 * and full-handshake times exact per flow and in the per-service
 * histograms, a HelloRetryRequest, hellos cut at every byte (never misread)
 * and malformed ones counted by reason and never kept; QUIC Initial
 * packets counted with their version.
 */
#include "tests/prog/harness.h"

#include <netinet/in.h>
#include <string.h>

#define CPORT 51000
#define HTTPS 443
#define ALT 8443
#define US 1000ull

struct hb {
	__u8 d[2048];
	size_t n;
};

static void put8(struct hb *b, unsigned v)
{
	b->d[b->n++] = v;
}

static void put16(struct hb *b, unsigned v)
{
	put8(b, v >> 8);
	put8(b, v & 0xff);
}

static void puts_(struct hb *b, const void *s, size_t n)
{
	memcpy(b->d + b->n, s, n);
	b->n += n;
}

static void set16(struct hb *b, size_t at, unsigned v)
{
	b->d[at] = v >> 8;
	b->d[at + 1] = v & 0xff;
}

/* The record and handshake headers; their lengths are set by hs_end. */
static void hs_start(struct hb *b, int type, unsigned rec_version)
{
	b->n = 0;
	put8(b, 22);
	put16(b, rec_version);
	put16(b, 0);
	put8(b, type);
	put8(b, 0);
	put16(b, 0);
}

static void hs_end(struct hb *b)
{
	set16(b, 3, b->n - 5);
	b->d[6] = (b->n - 9) >> 16;
	set16(b, 7, b->n - 9);
}

struct ch_opts {
	const char *sni;
	const char *alpn[3];
	const unsigned *versions;	/* 0-terminated; NULL: no extension */
	size_t pad;			/* a padding extension of this many bytes */
	int pad_before;			/* the padding goes before the ALPN */
	size_t many;			/* empty extensions added first */
};

static const unsigned V13[] = { 0x2a2a, 0x0304, 0x0303, 0 };

static void ext_alpn(struct hb *b, const struct ch_opts *o)
{
	size_t at;

	if (!o->alpn[0])
		return;
	put16(b, 16);
	at = b->n;
	put16(b, 0);
	put16(b, 0);
	for (int i = 0; i < 3 && o->alpn[i]; i++) {
		put8(b, strlen(o->alpn[i]));
		puts_(b, o->alpn[i], strlen(o->alpn[i]));
	}
	set16(b, at, b->n - at - 2);
	set16(b, at + 2, b->n - at - 4);
}

static void ext_pad(struct hb *b, const struct ch_opts *o)
{
	if (!o->pad)
		return;
	put16(b, 21);
	put16(b, o->pad);
	for (size_t i = 0; i < o->pad; i++)
		put8(b, 0);
}

static void client_hello(struct hb *b, const struct ch_opts *o)
{
	size_t ext;

	hs_start(b, 1, 0x0301);
	put16(b, 0x0303);
	for (int i = 0; i < 32; i++)
		put8(b, 0x40 + i);
	put8(b, 32);
	for (int i = 0; i < 32; i++)
		put8(b, 0x80 + i);
	put16(b, 6);
	put16(b, 0x1301);
	put16(b, 0x1302);
	put16(b, 0xc02f);
	put8(b, 1);
	put8(b, 0);
	ext = b->n;
	put16(b, 0);
	for (size_t i = 0; i < o->many; i++) {
		put16(b, 0x7000 + i);
		put16(b, 0);
	}
	put16(b, 0x0a0a);	/* GREASE */
	put16(b, 0);
	if (o->sni) {
		size_t l = strlen(o->sni);

		put16(b, 0);
		put16(b, l + 5);
		put16(b, l + 3);
		put8(b, 0);
		put16(b, l);
		puts_(b, o->sni, l);
	}
	if (o->pad_before)
		ext_pad(b, o);
	ext_alpn(b, o);
	if (o->versions) {
		size_t at;

		put16(b, 43);
		at = b->n;
		put16(b, 0);
		put8(b, 0);
		for (const unsigned *v = o->versions; *v; v++)
			put16(b, *v);
		set16(b, at, b->n - at - 2);
		b->d[at + 2] = b->n - at - 3;
	}
	if (!o->pad_before)
		ext_pad(b, o);
	set16(b, ext, b->n - ext - 2);
	hs_end(b);
}

static const __u8 HRR_RANDOM[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* A ServerHello; version 0: no supported_versions (TLS 1.2). */
static void server_hello(struct hb *b, int hrr, unsigned cipher, unsigned version)
{
	size_t ext;

	hs_start(b, 2, 0x0303);
	put16(b, 0x0303);
	if (hrr)
		puts_(b, HRR_RANDOM, 32);
	else
		for (int i = 0; i < 32; i++)
			put8(b, 0x10 + i);
	put8(b, 32);
	for (int i = 0; i < 32; i++)
		put8(b, 0x80 + i);
	put16(b, cipher);
	put8(b, 0);
	ext = b->n;
	put16(b, 0);
	put16(b, 0xff01);	/* renegotiation_info */
	put16(b, 1);
	put8(b, 0);
	if (version) {
		put16(b, 43);
		put16(b, 2);
		put16(b, version);
	}
	set16(b, ext, b->n - ext - 2);
	hs_end(b);
}

/* Another record after what b holds. */
static void record(struct hb *b, int type, size_t len)
{
	put8(b, type);
	put16(b, 0x0303);
	put16(b, len);
	for (size_t i = 0; i < len; i++)
		put8(b, 0x5a);
}

static void seg(struct env *e, int hook, int v6, int from_client, __u16 sport, __u32 seq,
		const void *data, size_t len, __u64 at)
{
	struct pb b;

	pb_eth_ip(&b, v6, 0, from_client, from_client);
	pb_tcp(&b, &(struct pb_tcp){ .sport = from_client ? CPORT : sport,
				     .dport = from_client ? sport : CPORT, .seq = seq, .ack = 1,
				     .flags = PB_ACK | PB_PSH });
	if (len)
		pb_payload(&b, data, len);
	pb_finish(&b);
	run_pb(e, hook, &b, T0 + at);
}

static struct xtap_flow_key tkey(int v6, __u16 sport)
{
	if (v6) {
		__u8 a[16], z[16];

		pb_ip6_doc(a, 1);
		pb_ip6_doc(z, 2);
		return key6(a, CPORT, z, sport, IPPROTO_TCP, 0);
	}
	return key4(IP_A, CPORT, IP_B, sport, IPPROTO_TCP, 0);
}

static size_t app_count(struct env *e)
{
	__u8 k[64], next[64];
	size_t n = 0;
	void *prev = NULL;

	while (bpf_map_get_next_key(app_fd(e), prev, next) == 0) {
		memcpy(k, next, sizeof(k));
		prev = k;
		n++;
	}
	return n;
}

static int app_get(struct env *e, const struct xtap_flow_key *k, struct xtap_app *a)
{
	return bpf_map_lookup_elem(app_fd(e), k, a);
}

#define EQ(what, got, want)                                                                    \
	do {                                                                                   \
		if ((__u64)(got) != (__u64)(want)) {                                           \
			print_error("%s: %s = %llu (0x%llx), want %llu (0x%llx)\n", what, #got, \
				    (unsigned long long)(got), (unsigned long long)(got),       \
				    (unsigned long long)(want), (unsigned long long)(want));    \
			fail();                                                                \
		}                                                                              \
	} while (0)

/* A fixed-size field holds exactly want (len bytes, zero padded). */
#define FIELD(what, field, flen, want)                                                         \
	do {                                                                                   \
		char w_[sizeof(field)] = { 0 };                                                \
		memcpy(w_, want, strlen(want));                                                \
		EQ(what, flen, strlen(want));                                                  \
		if (memcmp(field, w_, sizeof(field))) {                                        \
			print_error("%s: %s = \"%.*s\", want \"%s\"\n", what, #field,           \
				    (int)sizeof(field), field, want);                           \
			fail();                                                                \
		}                                                                              \
	} while (0)

static void tls_stats_zero(struct env *e, int hook, const char *what)
{
	for (int s = XTAP_STAT_HTTP_BAD; s <= XTAP_STAT_TLS_NO_HELLO; s++)
		EQ(what, stat_of(e, hook, s), 0);
}

static const struct ch_opts CH13 = {
	.sni = "example.com", .alpn = { "h2", "http/1.1" }, .versions = V13,
};

/* TLS 1.3 on every hook, both IP versions, on 443 and another port: the
 * offer, the choice, ClientHello to ServerHello and to the client's first
 * application-data record (behind a change_cipher_spec in its segment). */
static void test_tls13(void **state)
{
	struct env *e = *state;
	struct hb ch, sh, fin;

	client_hello(&ch, &CH13);
	server_hello(&sh, 0, 0x1302, 0x0304);
	record(&sh, 20, 1);
	record(&sh, 23, 40);
	fin.n = 0;
	record(&fin, 20, 1);
	record(&fin, 23, 53);
	for (int v6 = 0; v6 < 2; v6++) {
		for (size_t hi = 0; hi < NHOOKS; hi++) {
			for (int pi = 0; pi < 2; pi++) {
				int hook = hooks[hi];
				__u16 port = pi ? ALT : HTTPS;
				struct xtap_flow_key k = tkey(v6, port);
				struct xtap_app a;
				struct xtap_hist h;

				env_reset_app(state);
				seg(e, hook, v6, 1, port, 1000, ch.d, ch.n, 0);
				seg(e, hook, v6, 0, port, 5000, sh.d, sh.n, 312 * US);
				seg(e, hook, v6, 1, port, 1000 + ch.n, fin.d, fin.n, 845 * US);
				assert_int_equal(app_get(e, &k, &a), 0);
				EQ("1.3", a.kind, XTAP_APP_TLS);
				EQ("1.3", a.req_dir, XTAP_DIR_AB);
				EQ("1.3", a.requests, 1);
				EQ("1.3", a.responses, 1);
				EQ("1.3", a.tls.flags, XTAP_TLS_F_CH | XTAP_TLS_F_SH | XTAP_TLS_F_HELLO |
							       XTAP_TLS_F_DATA);
				EQ("1.3", a.tls.ch_ns, T0);
				EQ("1.3", a.tls.hello_ns, 312 * US);
				EQ("1.3", a.tls.data_ns, 845 * US);
				EQ("1.3", a.tls.ch_version, 0x0303);
				EQ("1.3", a.tls.offered, 1 << 3 | 1 << 4);
				EQ("1.3", a.tls.offered_max, 0x0304);
				EQ("1.3", a.tls.sh_version, 0x0303);
				EQ("1.3", a.tls.version, 0x0304);
				EQ("1.3", a.tls.cipher, 0x1302);
				EQ("1.3", a.tls.alpn_n, 2);
				FIELD("1.3", a.tls.sni, a.tls.sni_len, "example.com");
				FIELD("1.3", a.tls.alpn[0], a.tls.alpn_len[0], "h2");
				FIELD("1.3", a.tls.alpn[1], a.tls.alpn_len[1], "http/1.1");
				h = svc_hist(e, v6, port, IPPROTO_TCP, XTAP_LAT_TLS_HELLO);
				EQ("1.3: hello histogram", h.count, 1);
				EQ("1.3: hello histogram", h.sum_ns, 312 * US);
				h = svc_hist(e, v6, port, IPPROTO_TCP, XTAP_LAT_TLS_DATA);
				EQ("1.3: data histogram", h.count, 1);
				EQ("1.3: data histogram", h.sum_ns, 845 * US);
				tls_stats_zero(e, hook, "1.3");
			}
		}
	}
}

/* TLS 1.2: no supported_versions anywhere; the client's key exchange,
 * change_cipher_spec and Finished (a handshake record) do not end the
 * handshake's timing, its first application data does; later data and a
 * retransmitted ServerHello change nothing. */
static void test_tls12(void **state)
{
	struct env *e = *state;
	struct ch_opts o = { .sni = "a.example", .alpn = { "http/1.1" } };
	struct hb ch, sh, cke, data;
	struct xtap_flow_key k = tkey(0, HTTPS);
	struct xtap_app a;

	client_hello(&ch, &o);
	server_hello(&sh, 0, 0xc02f, 0);
	cke.n = 0;
	record(&cke, 22, 37);
	record(&cke, 20, 1);
	record(&cke, 22, 40);
	data.n = 0;
	record(&data, 23, 100);
	seg(e, XTAP_HOOK_XDP, 0, 1, HTTPS, 1, ch.d, ch.n, 0);
	seg(e, XTAP_HOOK_XDP, 0, 0, HTTPS, 1, sh.d, sh.n, 100 * US);
	seg(e, XTAP_HOOK_XDP, 0, 1, HTTPS, 500, cke.d, cke.n, 300 * US);
	seg(e, XTAP_HOOK_XDP, 0, 0, HTTPS, 1, sh.d, sh.n, 350 * US);
	seg(e, XTAP_HOOK_XDP, 0, 0, HTTPS, 900, data.d, data.n, 380 * US);
	seg(e, XTAP_HOOK_XDP, 0, 1, HTTPS, 700, data.d, data.n, 400 * US);
	seg(e, XTAP_HOOK_XDP, 0, 1, HTTPS, 900, data.d, data.n, 900 * US);
	assert_int_equal(app_get(e, &k, &a), 0);
	EQ("1.2", a.tls.flags, XTAP_TLS_F_CH | XTAP_TLS_F_SH | XTAP_TLS_F_HELLO | XTAP_TLS_F_DATA);
	EQ("1.2", a.tls.hello_ns, 100 * US);
	EQ("1.2", a.tls.data_ns, 400 * US);
	EQ("1.2", a.tls.version, 0x0303);
	EQ("1.2", a.tls.sh_version, 0x0303);
	EQ("1.2", a.tls.cipher, 0xc02f);
	EQ("1.2", a.tls.offered, 0);
	EQ("1.2", a.tls.offered_max, 0);
	EQ("1.2", a.tls.alpn_n, 1);
	EQ("1.2", a.responses, 1);
	FIELD("1.2", a.tls.sni, a.tls.sni_len, "a.example");
	FIELD("1.2", a.tls.alpn[0], a.tls.alpn_len[0], "http/1.1");
	FIELD("1.2", a.tls.alpn[1], a.tls.alpn_len[1], "");
	EQ("1.2", svc_hist(e, 0, HTTPS, IPPROTO_TCP, XTAP_LAT_TLS_DATA).count, 1);
	tls_stats_zero(e, XTAP_HOOK_XDP, "1.2");
}

/* A HelloRetryRequest: timed as the server's first answer; the second
 * ClientHello counts, the ServerHello after it gives the choice. */
static void test_tls_hrr(void **state)
{
	struct env *e = *state;
	struct hb ch, hrr, ch2, sh;
	struct xtap_flow_key k = tkey(0, HTTPS);
	struct xtap_app a;

	client_hello(&ch, &CH13);
	server_hello(&hrr, 1, 0x1301, 0x0304);
	client_hello(&ch2, &(struct ch_opts){ .sni = "other.example", .versions = V13 });
	server_hello(&sh, 0, 0x1301, 0x0304);
	seg(e, XTAP_HOOK_XDP, 0, 1, HTTPS, 1, ch.d, ch.n, 0);
	seg(e, XTAP_HOOK_XDP, 0, 0, HTTPS, 1, hrr.d, hrr.n, 100 * US);
	assert_int_equal(app_get(e, &k, &a), 0);
	EQ("hrr", a.tls.flags, XTAP_TLS_F_CH | XTAP_TLS_F_HRR | XTAP_TLS_F_HELLO);
	seg(e, XTAP_HOOK_XDP, 0, 0, HTTPS, 1, hrr.d, hrr.n, 150 * US);	/* again */
	seg(e, XTAP_HOOK_XDP, 0, 1, HTTPS, 1000, ch2.d, ch2.n, 200 * US);
	seg(e, XTAP_HOOK_XDP, 0, 0, HTTPS, 1000, sh.d, sh.n, 400 * US);
	assert_int_equal(app_get(e, &k, &a), 0);
	EQ("hrr", a.tls.flags, XTAP_TLS_F_CH | XTAP_TLS_F_HRR | XTAP_TLS_F_CH2 | XTAP_TLS_F_SH |
				       XTAP_TLS_F_HELLO);
	EQ("hrr", a.requests, 2);
	EQ("hrr", a.responses, 2);
	EQ("hrr", a.tls.hello_ns, 100 * US);
	EQ("hrr", a.tls.version, 0x0304);
	FIELD("hrr", a.tls.sni, a.tls.sni_len, "example.com");
	EQ("hrr: histogram", svc_hist(e, 0, HTTPS, IPPROTO_TCP, XTAP_LAT_TLS_HELLO).count, 1);
	tls_stats_zero(e, XTAP_HOOK_XDP, "hrr");
}

/*
 * A ClientHello whose padding puts the ALPN and supported_versions past the
 * segment: cut at every byte, what is kept is either absent or exactly
 * right, the cut is counted and flagged. The rest of the hello in the next
 * segment, even one that looks like a ClientHello, changes nothing.
 */
static void test_tls_split(void **state)
{
	struct env *e = *state;
	struct ch_opts o = CH13;
	struct hb ch, fake;
	struct xtap_flow_key k = tkey(0, HTTPS);
	struct xtap_app a;

	size_t seen_sni = 0, seen_alpn = 0;

	o.pad = 300;
	o.pad_before = 1;
	client_hello(&ch, &o);
	for (size_t cut = 4; cut < ch.n; cut++) {
		env_reset_app(state);
		seg(e, XTAP_HOOK_TC_INGRESS, 0, 1, HTTPS, 1, ch.d, cut, 0);
		if (cut < 6) {	/* not yet known to be a ClientHello */
			EQ("cut", app_count(e), 0);
			continue;
		}
		assert_int_equal(app_get(e, &k, &a), 0);
		EQ("cut", stat_of(e, XTAP_HOOK_TC_INGRESS, XTAP_STAT_TLS_SPLIT), 1);
		EQ("cut", stat_of(e, XTAP_HOOK_TC_INGRESS, XTAP_STAT_TLS_BAD), 0);
		EQ("cut", a.tls.flags, XTAP_TLS_F_CH | XTAP_TLS_F_CH_CUT);
		EQ("cut", a.tls.ch_version, cut >= 11 ? 0x0303 : 0);
		if (a.tls.sni_len)
			FIELD("cut", a.tls.sni, a.tls.sni_len, "example.com");
		if (a.tls.sni_len)
			seen_sni++;
		if (a.tls.alpn_n) {
			seen_alpn++;
			EQ("cut", a.tls.alpn_n, 2);
			FIELD("cut", a.tls.alpn[0], a.tls.alpn_len[0], "h2");
			FIELD("cut", a.tls.alpn[1], a.tls.alpn_len[1], "http/1.1");
		}
		EQ("cut: supported_versions is last", a.tls.offered, 0);
		EQ("cut: supported_versions is last", a.tls.offered_max, 0);
	}
	/* each extension counts from the first cut that keeps it whole */
	EQ("cut", seen_sni, ch.n - (92 + 4 + 16));
	EQ("cut", seen_alpn, ch.n - (92 + 4 + 16 + 4 + 300 + 18));
	/* the whole SNI extension in the first segment */
	env_reset_app(state);
	seg(e, XTAP_HOOK_XDP, 0, 1, HTTPS, 1, ch.d, 160, 0);
	client_hello(&fake, &(struct ch_opts){ .sni = "evil.example", .versions = V13 });
	memcpy(ch.d + 160, fake.d, fake.n);
	seg(e, XTAP_HOOK_XDP, 0, 1, HTTPS, 161, ch.d + 160, ch.n - 160, 10 * US);
	assert_int_equal(app_get(e, &k, &a), 0);
	FIELD("split", a.tls.sni, a.tls.sni_len, "example.com");
	EQ("split", a.tls.alpn_n, 0);
	EQ("split", a.requests, 1);
	EQ("split", a.tls.ch_ns, T0);
	EQ("split", a.tls.flags, XTAP_TLS_F_CH | XTAP_TLS_F_CH_CUT);
	EQ("split", stat_of(e, XTAP_HOOK_XDP, XTAP_STAT_TLS_SPLIT), 1);
}

/* Malformed hellos: each counted by its reason, none kept. */
static void test_tls_bad(void **state)
{
	struct env *e = *state;
	struct hb ch, sh;
	struct xtap_flow_key k = tkey(0, HTTPS);
	struct xtap_app a;
	size_t base;

	static const struct {
		const char *what;
		int reason;
	} cases[] = {
		{ "session id over 32", XTAP_STAT_TLS_BAD },
		{ "extensions' length", XTAP_STAT_TLS_BAD },
		{ "extension past the end", XTAP_STAT_TLS_BAD },
		{ "server_name list", XTAP_STAT_TLS_BAD },
		{ "empty ALPN name", XTAP_STAT_TLS_BAD },
		{ "odd supported_versions", XTAP_STAT_TLS_BAD },
		{ "record length 3", XTAP_STAT_TLS_BAD },
	};

	client_hello(&ch, &CH13);
	base = 9 + 2 + 32 + 1 + 32 + 2 + 6 + 2;	/* the extensions' length */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hb b = ch;
		size_t sni = base + 2 + 4;	/* after the GREASE extension */
		size_t alpn = sni + 4 + 5 + strlen(CH13.sni);
		size_t sv = alpn + 4 + 2 + 3 + 9;

		env_reset_app(state);
		switch (i) {
		case 0: b.d[43] = 33; break;
		case 1: set16(&b, base, ((b.d[base] << 8) | b.d[base + 1]) - 1); break;
		case 2: set16(&b, sv + 2, 40); break;
		case 3: set16(&b, sni + 4, 99); break;
		case 4: b.d[alpn + 6] = 0; break;
		case 5: b.d[sv + 4] = 5; break;
		case 6: set16(&b, 3, 3); break;
		}
		seg(e, XTAP_HOOK_XDP, 0, 1, HTTPS, 1, b.d, b.n, 0);
		if (stat_of(e, XTAP_HOOK_XDP, cases[i].reason) != 1) {
			print_error("%s: not counted\n", cases[i].what);
			fail();
		}
		EQ(cases[i].what, stat_of(e, XTAP_HOOK_XDP, XTAP_STAT_TLS_SPLIT), 0);
		EQ(cases[i].what, app_count(e), 0);
	}
	/* the unmodified hello is kept: the offsets above were right */
	env_reset_app(state);
	seg(e, XTAP_HOOK_XDP, 0, 1, HTTPS, 1, ch.d, ch.n, 0);
	assert_int_equal(app_get(e, &k, &a), 0);
	tls_stats_zero(e, XTAP_HOOK_XDP, "good");

	/* a ServerHello with no ClientHello, and one sent by the client */
	env_reset_app(state);
	server_hello(&sh, 0, 0x1301, 0x0304);
	seg(e, XTAP_HOOK_XDP, 0, 0, HTTPS, 1, sh.d, sh.n, 0);
	EQ("no hello", stat_of(e, XTAP_HOOK_XDP, XTAP_STAT_TLS_NO_HELLO), 1);
	EQ("no hello", app_count(e), 0);
	seg(e, XTAP_HOOK_XDP, 0, 1, HTTPS, 1, ch.d, ch.n, 0);
	seg(e, XTAP_HOOK_XDP, 0, 1, HTTPS, 1, sh.d, sh.n, 10 * US);
	EQ("wrong way", stat_of(e, XTAP_HOOK_XDP, XTAP_STAT_TLS_BAD), 1);
	assert_int_equal(app_get(e, &k, &a), 0);
	EQ("wrong way", a.tls.flags, XTAP_TLS_F_CH);

	/* more extensions than are walked */
	env_reset_app(state);
	client_hello(&ch, &(struct ch_opts){ .sni = "x", .many = 40 });
	seg(e, XTAP_HOOK_XDP, 0, 1, HTTPS, 1, ch.d, ch.n, 0);
	EQ("many", stat_of(e, XTAP_HOOK_XDP, XTAP_STAT_TLS_EXT_MANY), 1);
	EQ("many", app_count(e), 0);
}

/* Data that is not TLS, and application data on a flow with no hello:
 * nothing kept, nothing counted. */
static void test_tls_not_tls(void **state)
{
	struct env *e = *state;
	struct hb d;
	static const char text[] = "\x16\x04 not a record";

	d.n = 0;
	record(&d, 23, 64);
	seg(e, XTAP_HOOK_XDP, 0, 1, HTTPS, 1, d.d, d.n, 0);
	seg(e, XTAP_HOOK_XDP, 0, 1, HTTPS, 100, text, sizeof(text) - 1, 0);
	seg(e, XTAP_HOOK_XDP, 0, 1, HTTPS, 200, "\x16\x03\x01\x00\x05\x0b\x00\x00\x01\x00", 10, 0);
	EQ("not tls", app_count(e), 0);
	tls_stats_zero(e, XTAP_HOOK_XDP, "not tls");
}

static void udp(struct env *e, int from_client, __u16 cport, __u16 sport, const __u8 *d, size_t n)
{
	struct pb b;

	pb_eth_ip(&b, 0, 0, from_client, from_client);
	pb_udp(&b, from_client ? cport : sport, from_client ? sport : cport);
	pb_payload(&b, d, n);
	pb_finish(&b);
	run_pb(e, XTAP_HOOK_XDP, &b, T0);
}

/* QUIC Initial packets on UDP 443: counted per flow and direction with
 * their version (1, 2, a draft); other long-header types of each version,
 * short headers, version negotiation and other ports are not. */
static void test_quic(void **state)
{
	struct env *e = *state;
	__u8 d[1200] = { 0 };
	struct xtap_app a;
	struct xtap_flow_key k;

	struct {
		__u16 cport, sport;
		__u8 b0;
		__u32 v;
		int initial;
	} cases[] = {
		{ 50001, 443, 0xc3, 1, 1 },		/* v1 Initial */
		{ 50002, 443, 0xd3, 1, 0 },		/* v1 0-RTT */
		{ 50003, 443, 0xd3, 0x6b3343cf, 1 },	/* v2 Initial (type 1) */
		{ 50004, 443, 0xc3, 0x6b3343cf, 0 },	/* v2 type 0: 0-RTT */
		{ 50005, 443, 0xc0, 0xff00001d, 1 },	/* draft 29 Initial */
		{ 50006, 443, 0xc3, 0, 0 },		/* version negotiation */
		{ 50007, 443, 0x43, 1, 0 },		/* short header */
		{ 50008, 443, 0xc3, 0x1a2a3a4a, 0 },	/* an unknown version */
		{ 50009, 4443, 0xc3, 1, 0 },		/* another port */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		d[0] = cases[i].b0;
		d[1] = cases[i].v >> 24;
		d[2] = cases[i].v >> 16;
		d[3] = cases[i].v >> 8;
		d[4] = cases[i].v;
		udp(e, 1, cases[i].cport, cases[i].sport, d, sizeof(d));
		udp(e, 1, cases[i].cport, cases[i].sport, d, sizeof(d));
		udp(e, 0, cases[i].cport, cases[i].sport, d, 300);
		k = key4(IP_A, cases[i].cport, IP_B, cases[i].sport, IPPROTO_UDP, 0);
		if (!cases[i].initial) {
			if (app_get(e, &k, &a) == 0) {
				print_error("case %zu: an entry for what is no Initial\n", i);
				fail();
			}
			continue;
		}
		assert_int_equal(app_get(e, &k, &a), 0);
		EQ("quic", a.kind, XTAP_APP_QUIC);
		EQ("quic", a.req_dir, XTAP_DIR_AB);
		EQ("quic", a.requests, 2);
		EQ("quic", a.responses, 1);
		EQ("quic", a.tls.quic_version, cases[i].v);
	}
	EQ("quic", app_count(e), 3);
	tls_stats_zero(e, XTAP_HOOK_XDP, "quic");
}

static int group_setup(void **state)
{
	return env_setup(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup(f, env_reset_app)
		T(test_tls13),
		T(test_tls12),
		T(test_tls_hrr),
		T(test_tls_split),
		T(test_tls_bad),
		T(test_tls_not_tls),
		T(test_quic),
#undef T
	};

	return cmocka_run_group_tests_name("prog/tls", tests, group_setup, env_teardown);
}
