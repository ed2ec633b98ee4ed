/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A small streaming JSON writer: commas and escaping handled here. */
#ifndef XTAP_USER_JSON_H
#define XTAP_USER_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

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
void json_u64_q(struct json *j, const char *qkey, size_t qlen, uint64_t v);
void json_i64_q(struct json *j, const char *qkey, size_t qlen, int64_t v);
void json_null_q(struct json *j, const char *qkey, size_t qlen);
/* Hands what buf holds to f (no fflush). */
void json_flush(struct json *j);

#endif
