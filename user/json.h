/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A small streaming JSON writer: commas and escaping handled here. */
#ifndef XTAP_USER_JSON_H
#define XTAP_USER_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define JSON_MAX_DEPTH 16

/* Output is gathered in buf and goes to f when buf fills, when a top-level
 * value ends (each is a line), and at json_flush: a writer that also prints
 * to f directly calls json_flush first. */
#define JSON_BUF 65536

struct json {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH];
	size_t len;
	char buf[JSON_BUF];
};

void json_init(struct json *j, FILE *f);
/* key is NULL inside arrays and at the top level. */
void json_open(struct json *j, const char *key, char bracket);	/* '{' or '[' */
void json_close(struct json *j, char bracket);			/* '}' or ']' */
void json_str(struct json *j, const char *key, const char *v);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/*
 * The same with a key that is a string literal: its quoted form ("key":) is
 * made by the compiler, so a member costs a copy and the value. For the
 * writers of big outputs (a flow dump writes some sixty members per flow).
 */
#define JSON_QKEY(key) ("\"" key "\":"), (sizeof(key) + 2)
#define json_str_k(j, key, v) json_str_q(j, JSON_QKEY(key), v)
#define json_u64_k(j, key, v) json_u64_q(j, JSON_QKEY(key), v)
#define json_i64_k(j, key, v) json_i64_q(j, JSON_QKEY(key), v)
#define json_null_k(j, key) json_null_q(j, JSON_QKEY(key))
void json_str_q(struct json *j, const char *qkey, size_t qlen, const char *v);
/* Hands what buf holds to f (no fflush). */
void json_flush(struct json *j);

/* Inline, so that the copy of a literal key is a few moves: the comma,
 * the quoted key, and room for vmax more bytes, in one check. */
static inline char *json_member_q(struct json *j, const char *qkey, size_t qlen, size_t vmax)
{
	char *o;

	if (j->len + qlen + 1 + vmax > sizeof(j->buf))
		json_flush(j);
	o = j->buf + j->len;
	if (!j->first[j->depth])
		*o++ = ',';
	j->first[j->depth] = false;
	memcpy(o, qkey, qlen);
	return o + qlen;
}

/* v in decimal at o; returns the end. */
static inline char *json_digits(char *o, uint64_t v)
{
	size_t n = 1;

	for (uint64_t t = v; t >= 10; t /= 10)
		n++;
	for (size_t i = n; i > 0; i--, v /= 10)
		o[i - 1] = (char)('0' + v % 10);
	return o + n;
}

static inline void json_u64_q(struct json *j, const char *qkey, size_t qlen, uint64_t v)
{
	char *o = json_member_q(j, qkey, qlen, 20);

	j->len = (size_t)(json_digits(o, v) - j->buf);
}

static inline void json_i64_q(struct json *j, const char *qkey, size_t qlen, int64_t v)
{
	char *o = json_member_q(j, qkey, qlen, 21);

	if (v < 0)
		*o++ = '-';
	j->len = (size_t)(json_digits(o, v < 0 ? -(uint64_t)v : (uint64_t)v) - j->buf);
}

static inline void json_null_q(struct json *j, const char *qkey, size_t qlen)
{
	char *o = json_member_q(j, qkey, qlen, 4);

	memcpy(o, "null", 4);
	j->len = (size_t)(o + 4 - j->buf);
}

#endif
