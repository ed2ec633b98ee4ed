// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "user/sock.h"

int xtap_parse_hostport(const char *s, int socktype, bool passive, struct sockaddr_storage *out,
			socklen_t *len, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = socktype }, *res = NULL;
	char host[256], *end;
	const char *colon, *port;
	unsigned long p;
	size_t hl;
	int r;

	if (!s || !*s) {
		snprintf(err, errlen, "empty address");
		return -1;
	}
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':') {
			snprintf(err, errlen, "not [IPV6]:PORT");
			return -1;
		}
		hl = (size_t)(close - s - 1);
		memcpy(host, s + 1, hl < sizeof(host) ? hl : 0);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon) {
			snprintf(err, errlen, "not HOST:PORT (IPv6 in brackets: [::1]:PORT)");
			return -1;
		}
		hl = (size_t)(colon - s);
		memcpy(host, s, hl < sizeof(host) ? hl : 0);
	}
	if (hl == 0 || hl >= sizeof(host)) {
		snprintf(err, errlen, "no host");
		return -1;
	}
	host[hl] = '\0';
	port = colon + 1;
	p = strtoul(port, &end, 10);
	if (!*port || *end || *port == '-' || *port == '+' || p == 0 || p > 65535) {
		snprintf(err, errlen, "port '%s' is not 1 to 65535", port);
		return -1;
	}
	hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
	r = getaddrinfo(host, port, &hints, &res);
	if (r || !res) {
		snprintf(err, errlen, "%s: %s", host, r ? gai_strerror(r) : "no address");
		return -2;
	}
	memcpy(out, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

void xtap_sockaddr_str(const struct sockaddr_storage *a, char *buf, size_t len)
{
	char h[INET6_ADDRSTRLEN] = "?";

	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)a;

		inet_ntop(AF_INET6, &s6->sin6_addr, h, sizeof(h));
		snprintf(buf, len, "[%s]:%u", h, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)a;

		inet_ntop(AF_INET, &s4->sin_addr, h, sizeof(h));
		snprintf(buf, len, "%s:%u", h, ntohs(s4->sin_port));
	}
}
