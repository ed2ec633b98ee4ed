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
/* Hands what buf holds to f (no fflush). */
void json_flush(struct json *j);

#endif
