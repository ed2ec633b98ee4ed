/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Helpers shared by the unit tests: output captured into a string (a memory
 * stream, or fd 2 redirected to a temporary file) and a small JSON checker.
 * Header-only; every test file includes it once.
 */
#ifndef XTAP_TESTS_UNIT_UTIL_H
#define XTAP_TESTS_UNIT_UTIL_H

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

/* A FILE that writes into memory; mem_done closes it and returns the text. */
struct mem_out {
	FILE *f;
	char *buf;
	size_t len;
};

static inline FILE *mem_open(struct mem_out *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	assert_non_null(m->f);
	return m->f;
}

/* Closes the stream; the caller frees the returned text. */
static inline char *mem_done(struct mem_out *m)
{
	assert_int_equal(fclose(m->f), 0);
	m->f = NULL;
	assert_non_null(m->buf);
	return m->buf;
}

/* Redirect fd 2 (and stderr) into a temporary file until stderr_end. */
struct err_cap {
	int saved;
	FILE *tmp;
};

static inline void stderr_begin(struct err_cap *c)
{
	fflush(stderr);
	c->tmp = tmpfile();
	assert_non_null(c->tmp);
	c->saved = dup(STDERR_FILENO);
	assert_true(c->saved >= 0);
	assert_true(dup2(fileno(c->tmp), STDERR_FILENO) >= 0);
}

/* Restores stderr and returns what was written to it (caller frees). */
static inline char *stderr_end(struct err_cap *c)
{
	long n;
	char *s;

	fflush(stderr);
	assert_true(dup2(c->saved, STDERR_FILENO) >= 0);
	close(c->saved);
	n = ftell(c->tmp);
	assert_true(n >= 0);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	rewind(c->tmp);
	assert_int_equal(fread(s, 1, (size_t)n, c->tmp), (size_t)n);
	fclose(c->tmp);
	return s;
}

static inline int count_char(const char *s, char ch)
{
	int n = 0;

	for (; *s; s++)
		n += *s == ch;
	return n;
}

/* Asserts that s has the form "xtap: ...\n": exactly one line. */
static inline void assert_one_error_line(const char *s)
{
	assert_true(strncmp(s, "xtap: ", 6) == 0);
	assert_int_equal(count_char(s, '\n'), 1);
	assert_int_equal(s[strlen(s) - 1], '\n');
}

/* A strict RFC 8259 syntax check, enough to tell that writer output parses.
 * Returns the position after one value, or NULL. */
static inline const char *json_skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static inline const char *json_check_value(const char *p, int depth);

static inline const char *json_check_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20)
			return NULL;	/* control characters must be escaped */
		if (c == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)p[i]))
						return NULL;
				p += 4;
			} else if (!strchr("\"\\/bfnrt", *p) || !*p) {
				return NULL;
			}
		}
		p++;
	}
	return p + 1;
}

static inline const char *json_check_number(const char *p)
{
	const char *s = p;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (isdigit((unsigned char)*p))
			p++;
	else
		return NULL;
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return NULL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return p > s ? p : NULL;
}

static inline const char *json_check_value(const char *p, int depth)
{
	if (depth > 64)
		return NULL;
	p = json_skip_ws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		int obj = *p == '{';

		p = json_skip_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				p = json_check_string(json_skip_ws(p));
				if (!p)
					return NULL;
				p = json_skip_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			p = json_check_value(p, depth + 1);
			if (!p)
				return NULL;
			p = json_skip_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '"')
		return json_check_string(p);
	if (!strncmp(p, "true", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (!strncmp(p, "null", 4))
		return p + 4;
	return json_check_number(p);
}

/* 1 when s is exactly one JSON value, surrounded by whitespace at most. */
static inline int json_valid(const char *s)
{
	const char *p = json_check_value(s, 0);

	return p && *json_skip_ws(p) == '\0';
}

/* Asserts that haystack contains needle, printing both when it does not. */
#define assert_contains(haystack, needle)                                                   \
	do {                                                                                \
		const char *h_ = (haystack), *n_ = (needle);                                \
		if (!strstr(h_, n_))                                                        \
			fail_msg("expected \"%s\" in:\n%s", n_, h_);                        \
	} while (0)

#define assert_not_contains(haystack, needle)                                               \
	do {                                                                                \
		const char *h_ = (haystack), *n_ = (needle);                                \
		if (strstr(h_, n_))                                                         \
			fail_msg("unexpected \"%s\" in:\n%s", n_, h_);                      \
	} while (0)

#endif
