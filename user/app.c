// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "user/app.h"
#include "user/latency.h"

static int by_key(const void *a, const void *b)
{
	return memcmp(&((const struct xtap_app_entry *)a)->key,
		      &((const struct xtap_app_entry *)b)->key, sizeof(struct xtap_flow_key));
}

int xtap_app_dump(int fd, struct xtap_app_table *t)
{
	struct xtap_flow_key key, next;
	size_t cap = 0;
	void *prev = NULL;

	t->e = NULL;
	t->n = 0;
	for (;;) {
		if (bpf_map_get_next_key(fd, prev, &next)) {
			int err = -errno;

			if (err == -ENOENT)
				break;
			xtap_app_free(t);
			return err;
		}
		if (t->n == cap) {
			size_t c = cap ? cap * 2 : 256;
			struct xtap_app_entry *e = realloc(t->e, c * sizeof(*e));

			if (!e) {
				xtap_app_free(t);
				return -ENOMEM;
			}
			t->e = e;
			cap = c;
		}
		/* an entry evicted between the two calls is skipped */
		if (bpf_map_lookup_elem(fd, &next, &t->e[t->n].val) == 0) {
			t->e[t->n].key = next;
			t->n++;
		}
		key = next;
		prev = &key;
	}
	if (t->n)
		qsort(t->e, t->n, sizeof(*t->e), by_key);
	return 0;
}

void xtap_app_free(struct xtap_app_table *t)
{
	free(t->e);
	t->e = NULL;
	t->n = 0;
}

const struct xtap_app *xtap_app_find(const struct xtap_app_table *t, const struct xtap_flow_key *k)
{
	struct xtap_app_entry key, *e;

	if (!t || !t->n)
		return NULL;
	key.key = *k;
	e = bsearch(&key, t->e, t->n, sizeof(*t->e), by_key);
	if (!e || (e->val.kind != XTAP_APP_HTTP && e->val.kind != XTAP_APP_DNS &&
		   e->val.kind != XTAP_APP_TLS && e->val.kind != XTAP_APP_QUIC))
		return NULL;
	return &e->val;
}

char *xtap_dns_name_str(const char wire[XTAP_DNS_NAME_LEN], char *buf, size_t len)
{
	const unsigned char *w = (const unsigned char *)wire;
	size_t o = 0, i = 0;
	int cut = 1;

	if (!len)
		return buf;
	while (i < XTAP_DNS_NAME_LEN) {
		unsigned n = w[i++];

		if (n == 0) {
			cut = 0;
			break;
		}
		if (n > 63)
			break;	/* the kernel stores only valid labels: not one */
		if (o && o + 1 < len)
			buf[o++] = '.';
		for (unsigned k = 0; k < n && i < XTAP_DNS_NAME_LEN; k++, i++) {
			unsigned char c = w[i];

			if (o + 1 < len)
				buf[o++] = c > 0x20 && c < 0x7f ? (char)c : '?';
		}
	}
	if (!o && !cut && o + 1 < len)
		buf[o++] = '.';
	if (cut)
		for (int k = 0; k < 3 && o + 1 < len; k++)
			buf[o++] = '.';
	buf[o] = '\0';
	return buf;
}

const char *xtap_dns_rcode_name(__u8 rcode, char *buf, size_t len)
{
	static const char *const name[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					    "NOTIMP", "REFUSED" };

	if (rcode < sizeof(name) / sizeof(name[0]))
		snprintf(buf, len, "%s", name[rcode]);
	else
		snprintf(buf, len, "RCODE%u", rcode);
	return buf;
}

__u32 xtap_app_pending(const struct xtap_app *a)
{
	__u32 n = 0;

	if (a->kind == XTAP_APP_HTTP)
		return (__s32)(a->n_req - a->n_resp) > 0 ? a->n_req - a->n_resp : 0;
	for (int i = 0; i < XTAP_APP_PENDING; i++)
		n += !!(a->pend[i].flags & XTAP_PEND_USED);
	return n;
}

/* A NUL-padded field that may fill its array: as a string of at most size. */
static void field_str(char *out, size_t olen, const char *f, size_t size)
{
	size_t n = strnlen(f, size);

	if (n >= olen)
		n = olen - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)f[i];

		out[i] = c > 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[n] = '\0';
}

static void times_json(struct json *j, const struct xtap_app *a, __s64 off)
{
	json_u64(j, "timed", a->timed);
	json_u64(j, "response_sum_ns", a->sum_ns);
	if (a->timed) {
		json_u64(j, "response_max_ns", a->max_ns);
		json_u64(j, "response_mean_ns", a->sum_ns / a->timed);
		json_i64(j, "last_response_at_ns", (__s64)a->last_ns + off);
	} else {
		json_null(j, "response_max_ns");
		json_null(j, "response_mean_ns");
		json_null(j, "last_response_at_ns");
	}
}

const char *xtap_tls_version_str(__u16 v, char *buf, size_t len)
{
	if (v == 0x0300)
		snprintf(buf, len, "SSL3.0");
	else if (v >= 0x0301 && v <= 0x0304)
		snprintf(buf, len, "TLS1.%u", v - 0x0301);
	else
		snprintf(buf, len, "0x%04x", v);
	return buf;
}

const char *xtap_quic_version_str(__u32 v, char *buf, size_t len)
{
	if (v == 1)
		snprintf(buf, len, "QUICv1");
	else if (v == 0x6b3343cf)
		snprintf(buf, len, "QUICv2");
	else if ((v & 0xffffff00u) == 0xff000000u)
		snprintf(buf, len, "QUIC-d%u", v & 0xff);
	else
		snprintf(buf, len, "QUIC-%08x", v);
	return buf;
}

static void tls_json(struct json *j, const struct xtap_app *a, __s64 off)
{
	const struct xtap_tls *t = &a->tls;
	char s[XTAP_TLS_SNI_LEN * 4 + 8], v[16];

	json_open(j, "tls", '{');
	json_str(j, "server", a->req_dir == XTAP_DIR_AB ? "b" : "a");
	json_u64(j, "client_hellos", a->requests);
	json_u64(j, "server_hellos", a->responses);
	if (t->sni_len) {
		field_str(s, sizeof(s), t->sni, t->sni_len);
		json_str(j, "sni", s);
	} else {
		json_null(j, "sni");
	}
	json_open(j, "alpn", '[');
	for (int i = 0; i < XTAP_TLS_ALPN_KEPT && i < t->alpn_n; i++) {
		field_str(s, sizeof(s), t->alpn[i], t->alpn_len[i]);
		json_str(j, NULL, s);
	}
	json_close(j, ']');
	json_u64(j, "alpn_offered", t->alpn_n);
	json_str(j, "client_version", xtap_tls_version_str(t->ch_version, v, sizeof(v)));
	json_open(j, "supported_versions", '[');
	for (int b = 4; b >= 0; b--)
		if (t->offered & (1u << b))
			json_str(j, NULL, xtap_tls_version_str(0x0300 + b, v, sizeof(v)));
	json_close(j, ']');
	if (t->offered_max)
		json_str(j, "supported_versions_max", xtap_tls_version_str(t->offered_max, v, sizeof(v)));
	else
		json_null(j, "supported_versions_max");
	if (t->flags & (XTAP_TLS_F_SH | XTAP_TLS_F_HRR)) {
		json_str(j, "version", xtap_tls_version_str(t->version, v, sizeof(v)));
		json_u64(j, "cipher", t->cipher);
	} else {
		json_null(j, "version");
		json_null(j, "cipher");
	}
	json_bool(j, "hello_retry", t->flags & XTAP_TLS_F_HRR);
	json_bool(j, "client_hello_cut", t->flags & XTAP_TLS_F_CH_CUT);
	json_bool(j, "server_hello_cut", t->flags & XTAP_TLS_F_SH_CUT);
	json_i64(j, "client_hello_at_ns", (__s64)t->ch_ns + off);
	if (t->flags & XTAP_TLS_F_HELLO)
		json_u64(j, "hello_ns", t->hello_ns);
	else
		json_null(j, "hello_ns");
	if (t->flags & XTAP_TLS_F_DATA)
		json_u64(j, "handshake_ns", t->data_ns);
	else
		json_null(j, "handshake_ns");
	json_close(j, '}');
}

void xtap_app_json(struct json *j, const struct xtap_app *a, __s64 off)
{
	char s[XTAP_DNS_NAME_LEN * 4 + 8];

	if (a->kind == XTAP_APP_HTTP) {
		static const char *const cls[5] = { "1xx", "2xx", "3xx", "4xx", "5xx" };

		json_open(j, "http", '{');
		json_str(j, "server", a->req_dir == XTAP_DIR_AB ? "b" : "a");
		json_u64(j, "requests", a->requests);
		json_u64(j, "responses", a->responses);
		json_open(j, "status", '{');
		for (int i = 0; i < 5; i++)
			json_u64(j, cls[i], a->status_class[i]);
		json_close(j, '}');
		if (a->requests && a->method[0]) {
			field_str(s, sizeof(s), a->method, XTAP_HTTP_METHOD_LEN);
			json_str(j, "last_method", s);
			field_str(s, sizeof(s), a->path, XTAP_HTTP_PATH_LEN);
			json_str(j, "last_path", s);
		} else {
			json_null(j, "last_method");
			json_null(j, "last_path");
		}
		if (a->host[0]) {
			field_str(s, sizeof(s), a->host, XTAP_HTTP_HOST_LEN);
			json_str(j, "last_host", s);
		} else {
			json_null(j, "last_host");
		}
		if (a->last_status)
			json_u64(j, "last_status", a->last_status);
		else
			json_null(j, "last_status");
		times_json(j, a, off);
		json_u64(j, "pending", xtap_app_pending(a));
		json_u64(j, "untimed_pipeline_full", a->unanswered);
		json_bool(j, "upgraded", a->flags & XTAP_APP_F_UPGRADED);
		json_close(j, '}');
	} else if (a->kind == XTAP_APP_DNS) {
		char rc[16];

		json_open(j, "dns", '{');
		json_str(j, "server", a->req_dir == XTAP_DIR_AB ? "b" : "a");
		json_u64(j, "queries", a->requests);
		json_u64(j, "responses", a->responses);
		json_u64(j, "last_id", a->dns_id);
		json_str(j, "last_name", xtap_dns_name_str(a->dns_name, s, sizeof(s)));
		json_u64(j, "last_qtype", a->dns_qtype);
		if (a->responses) {
			json_u64(j, "last_rcode", a->dns_rcode);
			json_str(j, "last_rcode_name", xtap_dns_rcode_name(a->dns_rcode, rc, sizeof(rc)));
		} else {
			json_null(j, "last_rcode");
			json_null(j, "last_rcode_name");
		}
		json_u64(j, "errors", a->dns_errors);
		times_json(j, a, off);
		json_u64(j, "pending", xtap_app_pending(a));
		json_u64(j, "unanswered", a->unanswered + xtap_app_pending(a));
		json_u64(j, "retransmits", a->dns_retransmits);
		json_close(j, '}');
	} else if (a->kind == XTAP_APP_TLS) {
		tls_json(j, a, off);
	} else if (a->kind == XTAP_APP_QUIC) {
		json_open(j, "quic", '{');
		json_str(j, "server", a->req_dir == XTAP_DIR_AB ? "b" : "a");
		json_u64(j, "version", a->tls.quic_version);
		json_str(j, "version_name", xtap_quic_version_str(a->tls.quic_version, s, sizeof(s)));
		json_u64(j, "client_initials", a->requests);
		json_u64(j, "server_initials", a->responses);
		json_close(j, '}');
	}
}

void xtap_app_cells(const struct xtap_app *a, char *status, size_t slen, char *resp, size_t rlen)
{
	status[0] = resp[0] = '\0';
	if (!a)
		return;
	if (a->kind == XTAP_APP_QUIC) {
		xtap_quic_version_str(a->tls.quic_version, status, slen);
	} else if (a->kind == XTAP_APP_TLS) {
		if (a->tls.flags & (XTAP_TLS_F_SH | XTAP_TLS_F_HRR))
			xtap_tls_version_str(a->tls.version, status, slen);
		else
			snprintf(status, slen, "-");
	} else if (a->kind == XTAP_APP_HTTP) {
		if (a->last_status)
			snprintf(status, slen, "%u", a->last_status);
		else
			snprintf(status, slen, "-");
	} else if (a->responses) {
		xtap_dns_rcode_name(a->dns_rcode, status, slen);
	} else {
		snprintf(status, slen, "-");
	}
	if (a->timed)
		xtap_duration_str(a->sum_ns / a->timed, resp, rlen);
	else
		snprintf(resp, rlen, "-");
}

void xtap_app_tls_cell(const struct xtap_app *a, char *buf, size_t len)
{
	char sni[XTAP_TLS_SNI_LEN + 1], alpn[XTAP_TLS_ALPN_LEN + 1];

	buf[0] = '\0';
	if (!a || a->kind != XTAP_APP_TLS)
		return;
	if (a->tls.sni_len)
		field_str(sni, sizeof(sni), a->tls.sni, a->tls.sni_len);
	else
		snprintf(sni, sizeof(sni), "-");
	if (a->tls.alpn_n)
		field_str(alpn, sizeof(alpn), a->tls.alpn[0], a->tls.alpn_len[0]);
	else
		snprintf(alpn, sizeof(alpn), "-");
	snprintf(buf, len, "%s %s", sni, alpn);
}
