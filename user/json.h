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
/* Hands what buf holds to f (no fflush). */
void json_flush(struct json *j);

/*
 * Members. A key is NULL inside arrays and at the top level. The writers
 * are inline so that a key that is a string literal (nearly every key: a
 * flow dump writes some sixty members per flow) is copied with a length
 * the compiler knows, the comma, the key and room for the value in one
 * check. A literal key is written as it is (xtap's keys are identifiers);
 * any other key goes through json_member, which escapes it.
 */
void json_member(struct json *j, const char *key);
void json_put_str(struct json *j, const char *v);

static inline char *json_key(struct json *j, const char *key, size_t vmax)
{
	size_t n;
	char *o;

	if (!key || !__builtin_constant_p(strlen(key))) {
		json_member(j, key);
		if (j->len + vmax > sizeof(j->buf))
			json_flush(j);
		return j->buf + j->len;
	}
	n = strlen(key);
	if (j->len + n + 4 + vmax > sizeof(j->buf))
		json_flush(j);
	o = j->buf + j->len;
	if (!j->first[j->depth])
		*o++ = ',';
	j->first[j->depth] = false;
	*o++ = '"';
	memcpy(o, key, n);
	o += n;
	*o++ = '"';
	*o++ = ':';
	return o;
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

static inline void json_u64(struct json *j, const char *key, uint64_t v)
{
	char *o = json_key(j, key, 20);

	j->len = (size_t)(json_digits(o, v) - j->buf);
}

static inline void json_i64(struct json *j, const char *key, int64_t v)
{
	char *o = json_key(j, key, 21);

	if (v < 0)
		*o++ = '-';
	j->len = (size_t)(json_digits(o, v < 0 ? -(uint64_t)v : (uint64_t)v) - j->buf);
}

static inline void json_bool(struct json *j, const char *key, bool v)
{
	char *o = json_key(j, key, 5);

	memcpy(o, v ? "true" : "false", v ? 4 : 5);
	j->len = (size_t)(o + (v ? 4 : 5) - j->buf);
}

static inline void json_null(struct json *j, const char *key)
{
	char *o = json_key(j, key, 4);

	memcpy(o, "null", 4);
	j->len = (size_t)(o + 4 - j->buf);
}

/* v escaped; NULL is written as "". */
static inline void json_str(struct json *j, const char *key, const char *v)
{
	j->len = (size_t)(json_key(j, key, 0) - j->buf);
	json_put_str(j, v);
}

#endif
