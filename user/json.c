// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <string.h>

#include "user/json.h"

void json_init(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->first[0] = true;
	j->len = 0;
}

void json_flush(struct json *j)
{
	if (j->len)
		fwrite(j->buf, 1, j->len, j->f);
	j->len = 0;
}

/* Large outputs (xtap flows -j on a million flows is half a gigabyte) are
 * made here, in buf, without printf: formatting dominates such a dump. */
static void put(struct json *j, const char *p, size_t n)
{
	if (j->len + n > sizeof(j->buf)) {
		json_flush(j);
		if (n > sizeof(j->buf)) {
			fwrite(p, 1, n, j->f);
			return;
		}
	}
	memcpy(j->buf + j->len, p, n);
	j->len += n;
}

static void putch(struct json *j, char c)
{
	if (j->len == sizeof(j->buf))
		json_flush(j);
	j->buf[j->len++] = c;
}

/* Bytes a JSON string must escape: control characters, '"', '\\', DEL. */
static bool needs_escape(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\' || c == 0x7f;
}

/* Whether none of the 8 bytes of w needs an escape: a zero byte of w ^ c,
 * or a byte below 0x20, sets its high bit in the classic has-zero and
 * has-less-than tests; a false alarm only sends the string to the byte
 * path. */
static inline bool word_plain(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, high = ones * 0x80;
	uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\'), d = w ^ (ones * 0x7f);

	return !((((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b) |
		  ((d - ones) & ~d)) & high);
}

/* Whether the n bytes at s need no escape, 8 at a time (the last word
 * overlaps the one before it rather than reading past the end). */
static bool plain(const char *s, size_t n)
{
	uint64_t w;

	if (n < 8) {
		for (size_t i = 0; i < n; i++)
			if (needs_escape((unsigned char)s[i]))
				return false;
		return true;
	}
	for (size_t i = 0; i + 8 < n; i += 8) {
		memcpy(&w, s + i, 8);
		if (!word_plain(w))
			return false;
	}
	memcpy(&w, s + n - 8, 8);
	return word_plain(w);
}

/* n plain bytes between quotes, then tail (0 to 2 bytes), one room check. */
static void put_quoted(struct json *j, bool comma, const char *s, size_t n, const char *tail,
		       size_t tn)
{
	char *o;

	if (j->len + n + tn + 3 > sizeof(j->buf)) {
		json_flush(j);
		if (n + tn + 3 > sizeof(j->buf)) {
			if (comma)
				putch(j, ',');
			putch(j, '"');
			put(j, s, n);
			putch(j, '"');
			put(j, tail, tn);
			return;
		}
	}
	o = j->buf + j->len;
	if (comma)
		*o++ = ',';
	*o++ = '"';
	memcpy(o, s, n);
	o += n;
	*o++ = '"';
	memcpy(o, tail, tn);
	j->len = (size_t)(o + tn - j->buf);
}

/* A string as a JSON string, in one pass straight into buf: the bytes that
 * need no escape (the keys and nearly every value) are copied as they are
 * checked. Room for the worst case of a byte (\u00XX) is made before each. */
static void put_escaped(struct json *j, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	char *o, *end;

	if (plain(s, n)) {
		put_quoted(j, false, s, n, "", 0);
		return;
	}
	putch(j, '"');
	o = j->buf + j->len;
	end = j->buf + sizeof(j->buf) - 7;
	for (unsigned char c; (c = *p) != '\0'; p++) {
		if (o > end) {
			j->len = (size_t)(o - j->buf);
			json_flush(j);
			o = j->buf;
		}
		if (!needs_escape(c)) {
			*o++ = (char)c;
		} else if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (c == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else if (c == '\t') {
			*o++ = '\\';
			*o++ = 't';
		} else {
			memcpy(o, "\\u00", 4);
			o[4] = hex[c >> 4];
			o[5] = hex[c & 15];
			o += 6;
		}
	}
	j->len = (size_t)(o - j->buf);
	putch(j, '"');
}

/* The comma before a member, and its key, escaped. */
void json_member(struct json *j, const char *key)
{
	bool comma = !j->first[j->depth];
	size_t n;

	j->first[j->depth] = false;
	if (key && plain(key, n = strlen(key))) {
		put_quoted(j, comma, key, n, ":", 1);
		return;
	}
	if (comma)
		putch(j, ',');
	if (key) {
		put_escaped(j, key);
		putch(j, ':');
	}
}

void json_open(struct json *j, const char *key, char bracket)
{
	json_member(j, key);
	putch(j, bracket);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

void json_close(struct json *j, char bracket)
{
	putch(j, bracket);
	if (j->depth > 0)
		j->depth--;
	if (j->depth == 0) {
		putch(j, '\n');
		json_flush(j);
	}
}

void json_put_str(struct json *j, const char *v)
{
	put_escaped(j, v ? v : "");
}
