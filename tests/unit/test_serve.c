// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * user/serve.c: the HTTP handling of xtap serve, with the metrics text
 * replaced by one made here. Clients are socketpairs handed to the server,
 * and once a real listening socket on loopback.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>

#include "tests/unit/unit_util.h"
#include "user/serve.h"

struct body {
	size_t len;		/* of the text; 0: fail (500) */
	int calls;
};

static char *make_body(void *arg, size_t *len)
{
	struct body *b = arg;
	char *t;

	b->calls++;
	if (!b->len)
		return NULL;
	t = malloc(b->len);
	assert_non_null(t);
	for (size_t i = 0; i < b->len; i++)
		t[i] = (char)('a' + i % 26);
	*len = b->len;
	return t;
}

/* A client connection handed to s; the client's end returned. */
static int client(struct xtap_http_server *s)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(xtap_http_server_add(s, sv[0]), 0);
	return sv[1];
}

/* Steps the server until the client has the whole response (the server
 * ended it); returns it, NUL-terminated. */
static char *response(struct xtap_http_server *s, int c, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *r = malloc(cap + 1);

	assert_non_null(r);
	for (int i = 0; i < 1000; i++) {
		ssize_t k;

		assert_int_equal(xtap_http_server_step(s, 10), 0);
		while ((k = recv(c, r + n, cap - n, MSG_DONTWAIT)) > 0) {
			n += (size_t)k;
			if (n == cap) {
				cap *= 2;
				r = realloc(r, cap + 1);
				assert_non_null(r);
			}
		}
		/* a server closing with the request unread resets the socket;
		 * what it wrote before is still read */
		if (k == 0 || (k < 0 && errno == ECONNRESET)) {
			r[n] = '\0';
			*len = n;
			return r;
		}
		assert_int_equal(errno, EAGAIN);
	}
	fail_msg("no complete response");
	return NULL;
}

static char *ask(struct xtap_http_server *s, const char *req, size_t *len)
{
	int c = client(s);
	char *r;

	assert_int_equal(send(c, req, strlen(req), 0), (ssize_t)strlen(req));
	r = response(s, c, len);
	close(c);
	return r;
}

static void test_answers(void **state)
{
	struct body b = { .len = 100 };
	struct xtap_http_server *s = xtap_http_server_new(-1, make_body, &b);
	size_t len;
	char *r;

	(void)state;
	assert_non_null(s);
	r = ask(s, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &len);
	assert_non_null(strstr(r, "HTTP/1.1 200 OK\r\n"
				  "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
				  "Content-Length: 100\r\nConnection: close\r\n\r\nabcdefghij"));
	assert_int_equal(len, strstr(r, "\r\n\r\n") + 4 - r + 100);
	free(r);
	/* a query string is the same page; a bare LF ends the head too */
	r = ask(s, "GET /metrics?x=1 HTTP/1.0\n\n", &len);
	assert_non_null(strstr(r, "HTTP/1.1 200 OK\r\n"));
	free(r);
	/* HEAD: the head alone */
	r = ask(s, "HEAD /metrics HTTP/1.1\r\n\r\n", &len);
	assert_non_null(strstr(r, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(r, "Content-Length: 0\r\n"));
	assert_string_equal(strstr(r, "\r\n\r\n"), "\r\n\r\n");
	free(r);
	assert_int_equal(b.calls, 3);
	r = ask(s, "GET / HTTP/1.1\r\n\r\n", &len);
	assert_non_null(strstr(r, "HTTP/1.1 404 Not Found\r\n"));
	assert_non_null(strstr(r, "\r\n\r\nnot found: xtap serves /metrics\n"));
	free(r);
	r = ask(s, "POST /metrics HTTP/1.1\r\n\r\n", &len);
	assert_non_null(strstr(r, "HTTP/1.1 405 Method Not Allowed\r\n"));
	free(r);
	r = ask(s, "\r\n\r\n", &len);
	assert_non_null(strstr(r, "HTTP/1.1 400 Bad Request\r\n"));
	free(r);
	assert_int_equal(b.calls, 3);
	/* the metrics could not be made */
	b.len = 0;
	r = ask(s, "GET /metrics HTTP/1.1\r\n\r\n", &len);
	assert_non_null(strstr(r, "HTTP/1.1 500 Internal Server Error\r\n"));
	assert_non_null(strstr(r, "Content-Length: 0\r\n"));
	free(r);
	assert_int_equal(xtap_http_server_conns(s), 0);
	xtap_http_server_free(s);
}

/* A head that comes in pieces is answered once complete; a client that
 * leaves before asking, or never finishes, is closed. */
static void test_pieces_and_leavers(void **state)
{
	struct body b = { .len = 10 };
	struct xtap_http_server *s = xtap_http_server_new(-1, make_body, &b);
	char buf[64];
	size_t len;
	int c, d;
	char *r;

	(void)state;
	c = client(s);
	assert_int_equal(send(c, "GET /metrics HTTP/1.1\r\n", 23, 0), 23);
	assert_int_equal(xtap_http_server_step(s, 10), 0);
	assert_int_equal(recv(c, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(b.calls, 0);
	assert_int_equal(send(c, "Host: x\r\n\r\n", 11, 0), 11);
	r = response(s, c, &len);
	assert_non_null(strstr(r, "200 OK"));
	free(r);
	close(c);

	c = client(s);
	close(c);
	assert_int_equal(xtap_http_server_step(s, 10), 0);
	assert_int_equal(xtap_http_server_conns(s), 0);

	xtap_http_server_timeout(s, 50);
	c = client(s);
	d = client(s);
	assert_int_equal(send(d, "GET /met", 8, 0), 8);
	assert_int_equal(xtap_http_server_step(s, 10), 0);
	assert_int_equal(xtap_http_server_conns(s), 2);
	usleep(80000);
	assert_int_equal(xtap_http_server_step(s, 0), 0);
	assert_int_equal(xtap_http_server_conns(s), 0);
	assert_int_equal(recv(c, buf, sizeof(buf), 0), 0);
	assert_int_equal(recv(d, buf, sizeof(buf), 0), 0);
	close(c);
	close(d);
	xtap_http_server_free(s);
}

/* XTAP_HTTP_MAX_CONNS at once, no more. */
static void test_limit(void **state)
{
	struct body b = { .len = 10 };
	struct xtap_http_server *s = xtap_http_server_new(-1, make_body, &b);
	int c[XTAP_HTTP_MAX_CONNS], sv[2];

	(void)state;
	for (int i = 0; i < XTAP_HTTP_MAX_CONNS; i++)
		c[i] = client(s);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(xtap_http_server_add(s, sv[0]), -ENOSPC);
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(xtap_http_server_conns(s), XTAP_HTTP_MAX_CONNS);
	xtap_http_server_free(s);
	for (int i = 0; i < XTAP_HTTP_MAX_CONNS; i++)
		close(c[i]);
}

/* On a real listening socket: accepted, and a body larger than the socket
 * takes at once goes out over several rounds, whole. */
static void test_listen_and_large_body(void **state)
{
	struct body b = { .len = 4 << 20 };
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;
	struct xtap_http_server *s;
	socklen_t al = sizeof(*a);
	const char *req = "GET /metrics HTTP/1.1\r\n\r\n";
	size_t len;
	char *r, *p;
	int lfd, c;

	(void)state;
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = xtap_serve_listen(&ss, sizeof(*a));
	assert_true(lfd >= 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)a, &al), 0);
	s = xtap_http_server_new(lfd, make_body, &b);
	assert_non_null(s);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c >= 0);
	assert_int_equal(connect(c, (struct sockaddr *)a, sizeof(*a)), 0);
	assert_int_equal(send(c, req, strlen(req), 0), (ssize_t)strlen(req));
	r = response(s, c, &len);
	p = strstr(r, "\r\n\r\n");
	assert_non_null(p);
	assert_int_equal(len - (size_t)(p + 4 - r), b.len);
	assert_int_equal(p[4 + 26 * 1000], 'a');
	free(r);
	close(c);
	xtap_http_server_free(s);	/* closes lfd */
}

/* A head larger than XTAP_HTTP_REQ_MAX is refused with 431, not answered
 * from its first bytes. */
static void test_oversized(void **state)
{
	struct body b = { .len = 10 };
	struct xtap_http_server *s = xtap_http_server_new(-1, make_body, &b);
	const char *start = "GET /metrics HTTP/1.1\r\nX-Pad: ";
	size_t n = 2 * XTAP_HTTP_REQ_MAX, len;
	char *big = malloc(n), *r;
	int c;

	(void)state;
	assert_non_null(s);
	assert_non_null(big);
	memset(big, 'a', n);
	memcpy(big, start, strlen(start));
	c = client(s);
	assert_int_equal(send(c, big, n, 0), (ssize_t)n);
	r = response(s, c, &len);
	assert_non_null(strstr(r, "HTTP/1.1 431 Request Header Fields Too Large\r\n"));
	assert_non_null(strstr(r, "\r\n\r\nrequest too large\n"));
	assert_int_equal(b.calls, 0);
	free(r);
	close(c);
	/* a head just under the limit is still answered */
	memcpy(big + XTAP_HTTP_REQ_MAX - 5, "\r\n\r\n", 4);
	big[XTAP_HTTP_REQ_MAX - 1] = '\0';
	r = ask(s, big, &len);
	assert_non_null(strstr(r, "HTTP/1.1 200 OK\r\n"));
	free(r);
	free(big);
	xtap_http_server_free(s);
}

/* A client sending a byte at a time holds up no other, and is closed when
 * its time is up although it keeps sending. */
static void test_slow_client(void **state)
{
	struct body b = { .len = 10 };
	struct xtap_http_server *s = xtap_http_server_new(-1, make_body, &b);
	const char *req = "GET /metrics HTTP/1.1\r\n\r\n";
	struct timespec t0, t1;
	char buf[64], *r;
	size_t len;
	int slow, i;

	(void)state;
	assert_non_null(s);
	xtap_http_server_timeout(s, 300);
	slow = client(s);
	for (i = 0; i < 5; i++) {
		assert_int_equal(send(slow, "G", 1, 0), 1);
		assert_int_equal(xtap_http_server_step(s, 10), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = ask(s, req, &len);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_non_null(strstr(r, "HTTP/1.1 200 OK\r\n"));
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 100);
	free(r);
	/* a byte every 20 ms until the server hangs up */
	for (i = 0; i < 100; i++) {
		if (send(slow, "E", 1, MSG_NOSIGNAL) != 1)
			break;
		usleep(20000);
		assert_int_equal(xtap_http_server_step(s, 0), 0);
		if (!xtap_http_server_conns(s))
			break;
	}
	assert_true(i < 30);
	assert_int_equal(xtap_http_server_conns(s), 0);
	assert_true(recv(slow, buf, sizeof(buf), 0) == 0 || errno == ECONNRESET);
	close(slow);
	xtap_http_server_free(s);
}

/* 200 idle connections on the listening socket, more than the server
 * holds: a scrape coming after them is answered at once. */
static void test_idle_crowd(void **state)
{
	struct body b = { .len = 100 };
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;
	const char *req = "GET /metrics HTTP/1.1\r\n\r\n";
	struct xtap_http_server *s;
	socklen_t al = sizeof(*a);
	int idle[200], lfd, c, rounds;
	bool sent = false;
	size_t n = 0;
	char r[512];
	ssize_t k;

	(void)state;
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = xtap_serve_listen(&ss, sizeof(*a));
	assert_true(lfd >= 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)a, &al), 0);
	s = xtap_http_server_new(lfd, make_body, &b);
	assert_non_null(s);
	for (int i = 0; i < 200; i++) {
		idle[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		assert_true(idle[i] >= 0);
		assert_true(connect(idle[i], (struct sockaddr *)a, sizeof(*a)) == 0 ||
			    errno == EINPROGRESS);
		if (i % 50 == 49)
			assert_int_equal(xtap_http_server_step(s, 10), 0);
	}
	assert_int_equal(xtap_http_server_step(s, 10), 0);
	assert_int_equal(xtap_http_server_conns(s), XTAP_HTTP_MAX_CONNS);
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(c >= 0);
	assert_true(connect(c, (struct sockaddr *)a, sizeof(*a)) == 0 || errno == EINPROGRESS);
	/* connected, asked and answered within a few rounds, long before any
	 * idle one times out */
	for (rounds = 0; rounds < 20; rounds++) {
		struct pollfd pc = { .fd = c, .events = POLLOUT };

		assert_int_equal(xtap_http_server_step(s, 10), 0);
		if (!sent && poll(&pc, 1, 0) == 1 && (pc.revents & POLLOUT)) {
			assert_int_equal(send(c, req, strlen(req), 0), (ssize_t)strlen(req));
			sent = true;
		}
		while ((k = recv(c, r + n, sizeof(r) - 1 - n, MSG_DONTWAIT)) > 0)
			n += (size_t)k;
		if (k == 0)
			break;
	}
	r[n] = '\0';
	assert_true(rounds < 20);
	assert_non_null(strstr(r, "HTTP/1.1 200 OK\r\n"));
	assert_true(xtap_http_server_conns(s) <= XTAP_HTTP_MAX_CONNS);
	close(c);
	for (int i = 0; i < 200; i++)
		close(idle[i]);
	xtap_http_server_free(s);
}

/* A port in use is the one-line error serve prints. */
static void test_listen_in_use(void **state)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;
	socklen_t al = sizeof(*a);
	struct err_cap ec;
	char want[128], *err;
	int lfd;

	(void)state;
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = xtap_serve_listen(&ss, sizeof(*a));
	assert_true(lfd >= 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)a, &al), 0);
	stderr_begin(&ec);
	assert_int_equal(xtap_serve_listen(&ss, sizeof(*a)), -1);
	err = stderr_end(&ec);
	snprintf(want, sizeof(want), "xtap: serve: 127.0.0.1:%u: Address already in use\n",
		 ntohs(a->sin_port));
	assert_string_equal(err, want);
	free(err);
	close(lfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_pieces_and_leavers),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_listen_and_large_body),
		cmocka_unit_test(test_listen_in_use),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_slow_client),
		cmocka_unit_test(test_idle_crowd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
