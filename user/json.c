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

/* Whether none of the 8 bytes of w needs an escape (< 0x20, '"', '\\',
 * 0x7f): a zero byte of w ^ c, or a byte below 0x20, sets its high bit in
 * the classic has-zero/has-less tests; a false alarm only sends the word to
 * the byte-by-byte path. */
static bool word_plain(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, high = ones * 0x80;
	uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\'), d = w ^ (ones * 0x7f);

	return !((((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b) |
		  ((d - ones) & ~d)) & high);
}

static void put_escaped(struct json *j, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(s), i = 0, run = 0;

	putch(j, '"');
	while (i < n) {
		unsigned char c;

		if (i + 8 <= n) {
			uint64_t w;

			memcpy(&w, s + i, 8);
			if (word_plain(w)) {
				i += 8;
				continue;
			}
		}
		c = (unsigned char)s[i++];
		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		put(j, s + run, i - 1 - run);
		run = i;
		if (c == '"' || c == '\\') {
			putch(j, '\\');
			putch(j, c);
		} else if (c == '\n') {
			put(j, "\\n", 2);
		} else if (c == '\t') {
			put(j, "\\t", 2);
		} else {
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			put(j, u, sizeof(u));
		}
	}
	put(j, s + run, n - run);
	putch(j, '"');
}

static void put_u64(struct json *j, uint64_t v, bool neg)
{
	char buf[24], *p = buf + sizeof(buf);

	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	if (neg)
		*--p = '-';
	put(j, p, buf + sizeof(buf) - p);
}

static void member(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		putch(j, ',');
	j->first[j->depth] = false;
	if (key) {
		put_escaped(j, key);
		putch(j, ':');
	}
}

void json_open(struct json *j, const char *key, char bracket)
{
	member(j, key);
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

void json_str(struct json *j, const char *key, const char *v)
{
	member(j, key);
	put_escaped(j, v ? v : "");
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	member(j, key);
	put_u64(j, v, false);
}

void json_i64(struct json *j, const char *key, int64_t v)
{
	member(j, key);
	put_u64(j, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0);
}

void json_bool(struct json *j, const char *key, bool v)
{
	member(j, key);
	if (v)
		put(j, "true", 4);
	else
		put(j, "false", 5);
}

void json_null(struct json *j, const char *key)
{
	member(j, key);
	put(j, "null", 4);
}
