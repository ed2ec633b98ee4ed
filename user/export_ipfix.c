// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The exporter's IPFIX sink: records packed into messages (user/ipfix.c)
 * and sent to a collector over UDP, or over TCP with reconnects.
 *
 * Over UDP the templates go at the start, again every tmpl_refresh_s, and
 * in the next message after the kernel reported a message refused (an ICMP
 * port unreachable: nobody listened), so that a collector started late
 * reads the first message it gets. The socket's pending error is looked at
 * after every send and before every message. A refusal makes the records
 * sent since the last look that found none at the start of a round (an
 * interval after they went, time for the ICMP error to come back) or since
 * the templates last went, whichever is later, count as possibly lost: the
 * collector was away for one of those messages and, if it came back, lacked
 * the templates to read the others. So does a message without templates
 * sent after a refusal. (A refusal the network does not report, a filtered
 * ICMP error, goes unseen.) Over TCP the templates go once per
 * connection, first. A TCP collector that is away is tried again after 1 s,
 * then after twice as long each time, up to XTAP_EXPORT_RECONNECT_MAX_S;
 * records that find no connection are counted as not sent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "user/cgroup.h"
#include "user/export_sink.h"
#include "user/log.h"
#include "user/sock.h"

#define NS 1000000000ull

struct ipfix_sink {
	struct xtap_export_sink base;
	struct sockaddr_storage addr;
	socklen_t alen;
	char name[80];
	bool tcp;
	int fd;
	__u64 next_connect_ns;
	__u32 backoff_s;
	__u64 tmpl_ns;		/* when the templates last went */
	bool tmpl_due;
	bool msg_tmpl;		/* the message under construction has them */
	bool tmpl_hold;		/* the next message goes without them */
	__u64 unsure;		/* UDP: records sent since the last round began with
				 * no refusal reported, or since the templates went */
	__u32 tmpl_refresh_s;
	__u32 seq;		/* IPFIX sequence number: data records so far */
	uint8_t buf[XTAP_EXPORT_MSG_TCP];
	struct xtap_ipfix_msg msg;	/* the message under construction */
};

static struct ipfix_sink *ipfix_of(struct xtap_export_sink *b)
{
	return (struct ipfix_sink *)b;
}

static size_t msg_cap(const struct ipfix_sink *s)
{
	return s->tcp ? XTAP_EXPORT_MSG_TCP : XTAP_EXPORT_MSG_UDP;
}

/* The header's export time: seconds since the epoch. */
static uint32_t export_time(const struct ipfix_sink *s)
{
	return (uint32_t)((__s64)s->base.now_ns / (__s64)NS + s->base.off_ns / (__s64)NS);
}

static void drop_conn(struct ipfix_sink *s, int err)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->base.st.last_errno = err;
	s->base.st.errors++;
	s->backoff_s = s->backoff_s ? s->backoff_s * 2 : 1;
	if (s->backoff_s > XTAP_EXPORT_RECONNECT_MAX_S)
		s->backoff_s = XTAP_EXPORT_RECONNECT_MAX_S;
	s->next_connect_ns = s->base.now_ns + (__u64)s->backoff_s * NS;
}

/* Connects a TCP socket within a second. The socket, or -errno. */
static int tcp_connect(const struct ipfix_sink *s)
{
	struct pollfd p;
	struct timeval tv = { .tv_sec = 2 };
	int fd, r, e = 0;
	socklen_t el = sizeof(e);

	fd = socket(s->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)&s->addr, s->alen);
	if (r && errno != EINPROGRESS) {
		e = errno;
		close(fd);
		return -e;
	}
	if (r) {
		p = (struct pollfd){ .fd = fd, .events = POLLOUT };
		r = poll(&p, 1, 1000);
		if (r <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) || e) {
			e = r == 0 ? ETIMEDOUT : e ? e : errno;
			close(fd);
			return -e;
		}
	}
	/* blocking from here, with a time limit: a collector that stops
	 * reading costs at most that per message */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Connects unless connected or waiting out the backoff. 0 or -errno. */
static int sink_open(struct ipfix_sink *s)
{
	if (s->fd >= 0)
		return 0;
	if (s->base.now_ns < s->next_connect_ns)
		return -EAGAIN;
	if (s->tcp) {
		int fd = tcp_connect(s);

		if (fd < 0) {
			if (xtap_log_verbose() || !s->base.st.errors)
				xtap_info("export: %s: connect: %s (retrying)", s->name, strerror(-fd));
			drop_conn(s, -fd);
			return fd;
		}
		s->fd = fd;
		xtap_info("export: connected to %s", s->name);
	} else {
		s->fd = socket(s->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s->fd < 0 || connect(s->fd, (const struct sockaddr *)&s->addr, s->alen)) {
			int e = errno;

			drop_conn(s, e);
			return -e;
		}
	}
	s->backoff_s = 0;
	s->tmpl_due = true;	/* a new connection starts with the templates */
	return 0;
}

static int send_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EPIPE;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* false when the collector closed the connection: the first send after
 * that would succeed and its records vanish. */
static bool tcp_alive(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
	char c;

	if (poll(&p, 1, 0) <= 0)
		return true;
	if (p.revents & (POLLERR | POLLHUP | POLLRDHUP))
		return false;
	return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) != 0;
}

/* A message with the templates alone, at the start of a TCP connection. */
static void send_templates(struct ipfix_sink *s)
{
	uint8_t buf[2048];
	struct xtap_ipfix_msg m;
	size_t len;

	xtap_ipfix_msg_init(&m, buf, sizeof(buf));
	xtap_ipfix_put_templates(&m);
	len = xtap_ipfix_msg_finish(&m, export_time(s), s->seq, XTAP_IPFIX_DOMAIN);
	if (send_all(s->fd, buf, len))
		drop_conn(s, EPIPE);
	s->tmpl_due = false;
	s->tmpl_ns = s->base.now_ns;
}

/* The templates at the head of the message under construction, when a
 * new connection, the refresh or a refusal asks for them; they are due
 * until a message with them has gone. */
static void put_templates_if_due(struct ipfix_sink *s)
{
	if (s->tmpl_due && s->fd >= 0 && !s->msg_tmpl)
		s->msg_tmpl = xtap_ipfix_put_templates(&s->msg);
}

/* UDP: a refusal the kernel reported (err, from the socket or a send): the
 * collector was away for a message since the templates last went. Those
 * records are possibly lost, and the next message carries the templates. */
static void udp_refused(struct ipfix_sink *s, int err)
{
	struct xtap_export_stats *st = &s->base.st;

	if (xtap_log_verbose() || !st->errors)
		xtap_info("export: %s: %s (the next message carries the templates)", s->name,
			  strerror(err));
	st->possibly_lost += s->unsure;
	s->unsure = 0;
	st->errors++;
	st->last_errno = err;
	s->tmpl_due = true;
}

/* UDP: the error an ICMP answer to an earlier datagram left on the socket.
 * true when there was one. */
static bool udp_check(struct ipfix_sink *s)
{
	int pending = 0;
	socklen_t pl = sizeof(pending);

	if (s->tcp || s->fd < 0)
		return false;
	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &pending, &pl) || !pending)
		return false;
	udp_refused(s, pending);
	return true;
}

/* Starts the next message: the templates first when they are due. */
static void msg_start(struct ipfix_sink *s)
{
	xtap_ipfix_msg_init(&s->msg, s->buf, msg_cap(s));
	s->msg_tmpl = false;
	udp_check(s);
	if (!s->tmpl_hold)
		put_templates_if_due(s);
}

/* UDP: sends one datagram. A refusal reported by the send itself (the
 * kernel hands a pending error to the next send, which then does not go)
 * is told, and the datagram tried once more. 0 or -errno. */
static int udp_send(struct ipfix_sink *s, const uint8_t *p, size_t len)
{
	for (int tries = 0;; tries++) {
		if (send(s->fd, p, len, 0) >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (tries || (errno != ECONNREFUSED && errno != EHOSTUNREACH &&
			      errno != ENETUNREACH && errno != EHOSTDOWN))
			return -errno;
		/* an earlier datagram's error: this one has not gone yet */
		udp_refused(s, errno);
	}
}

/* Sends the message under construction, if it holds anything, and starts
 * the next. */
static void flush(struct ipfix_sink *s)
{
	struct xtap_export_stats *st = &s->base.st;
	struct xtap_ipfix_msg *m = &s->msg;
	uint32_t recs = m->records;
	size_t len;
	int r;

	if (m->len <= IPFIX_HDR_LEN)
		return;
	len = xtap_ipfix_msg_finish(m, export_time(s), s->seq, XTAP_IPFIX_DOMAIN);
	if (s->tcp && s->fd >= 0 && !tcp_alive(s->fd)) {
		drop_conn(s, EPIPE);
		s->next_connect_ns = 0;		/* at once: it may be back */
		sink_open(s);
		if (s->fd >= 0)
			send_templates(s);	/* a new connection: templates first */
	}
	r = s->fd >= 0 ? 0 : -ENOTCONN;
	if (!r && s->tcp) {
		r = send_all(s->fd, m->buf, len);
	} else if (!r) {
		/* a refusal that came while this message was built: if it
		 * lacks the templates, its records join the possibly lost */
		udp_check(s);
		r = udp_send(s, m->buf, len);
		if (!r && s->msg_tmpl)
			s->unsure = recs;
		else if (!r && s->tmpl_due)
			st->possibly_lost += recs;
		else if (!r)
			s->unsure += recs;
	}
	if (!r && s->msg_tmpl) {
		s->tmpl_due = false;
		s->tmpl_ns = s->base.now_ns;
	}
	if (r) {
		st->unsent += recs;
		if (s->tcp) {
			if (s->fd >= 0) {
				xtap_info("export: %s: %s (reconnecting)", s->name, strerror(-r));
				drop_conn(s, -r);
			}
		} else {
			/* UDP: the message did not go; go on, the templates
			 * with the next one */
			st->errors++;
			st->last_errno = -r;
			s->tmpl_due = true;
		}
	} else {
		st->sent += recs;
	}
	/* over TCP the sequence counts what the collector got; over UDP what
	 * was sent, so that it sees losses as gaps */
	if (!r || !s->tcp)
		s->seq += recs;
	/* the refusal of this very message, when the collector is near */
	if (!r)
		udp_check(s);
	xtap_export_sink_out(&s->base);
	msg_start(s);
}

static void ipfix_begin(struct xtap_export_sink *b)
{
	struct ipfix_sink *s = ipfix_of(b);

	sink_open(s);
	if (!s->tcp && b->now_ns - s->tmpl_ns >= (__u64)s->tmpl_refresh_s * NS)
		s->tmpl_due = true;
	/* an interval after the last round's messages and no refusal of
	 * them: the collector took them */
	if (!udp_check(s))
		s->unsure = 0;
	msg_start(s);
}

static __u64 to_ms(const struct xtap_export_sink *b, __u64 mono_ns)
{
	__s64 ns = (__s64)mono_ns + b->off_ns;

	return ns > 0 ? (__u64)ns / 1000000 : 0;
}

static void put_flow(struct ipfix_sink *s, const struct xtap_ipfix_flow *f)
{
	if (xtap_ipfix_put_flow(&s->msg, f))
		return;
	flush(s);	/* and the next message, with the templates when due */
	if (xtap_ipfix_put_flow(&s->msg, f))
		return;
	/* the templates (over UDP most of a message) and this record do not
	 * fit in one: the templates go alone, the record in the next */
	s->tmpl_hold = true;
	flush(s);
	s->tmpl_hold = false;
	xtap_ipfix_put_flow(&s->msg, f);
}

/* The mean of n samples summing to sum, or all ones for none. */
static uint64_t mean_or_none(__u64 sum, __u64 n)
{
	return n ? sum / n : UINT64_MAX;
}

/* Two uniflow records, the initiator's and (when it sent anything) the
 * responder's: see user/ipfix.h. */
static int ipfix_flow(struct xtap_export_sink *b, const struct xtap_flow_entry *e,
		      const struct xtap_export_rec *r, const struct xtap_app *a,
		      const struct xtap_tunnel *tun)
{
	struct ipfix_sink *s = ipfix_of(b);
	const struct xtap_flow *v = &e->val;
	int in = v->initiator & 1, re = !in;
	bool tcp = e->key.proto == IPPROTO_TCP;
	struct xtap_ipfix_flow f = {
		.key = e->key,
		.start_ms = to_ms(b, r->start_ns),
		.end_ms = to_ms(b, r->end_ns),
		.end_reason = r->reason,
		.sampling = v->sampling,
		.syn_synack_ns = v->hs_seen & XTAP_HS_SEEN_SYNACK ? v->syn_synack_ns : UINT64_MAX,
		.synack_ack_ns = v->hs_seen & XTAP_HS_SEEN_ACK ? v->synack_ack_ns : UINT64_MAX,
		.outcome = v->outcome,
		.syn_retransmits = v->syn_retransmits,
		.retrans_init = tcp ? r->retrans[in] : 0,
		.retrans_resp = tcp ? r->retrans[re] : 0,
		/* as TS-RTT: the initiator's timestamps, echoed by the responder */
		.passive_rtt_ns = tcp ? mean_or_none(v->rtt_sum_ns[in], v->rtt_samples[in]) : UINT64_MAX,
		.http_resp_ns = UINT64_MAX,
		.http_status = UINT16_MAX,
		.dns_resp_ns = UINT64_MAX,
		.dns_rcode = UINT8_MAX,
		.cgroup_id = v->cgroup_id,
		.cgroup_path = v->cgroup_id ? xtap_cgroup_path(v->cgroup_id) : NULL,
	};

	if (a && a->kind == XTAP_APP_HTTP) {
		f.http_resp_ns = mean_or_none(a->sum_ns, a->timed);
		if (a->last_status)
			f.http_status = a->last_status;
	} else if (a && a->kind == XTAP_APP_DNS) {
		f.dns_resp_ns = mean_or_none(a->sum_ns, a->timed);
		if (a->responses)
			f.dns_rcode = a->dns_rcode;
	} else if (a && a->kind == XTAP_APP_TLS) {
		const struct xtap_tls *t = &a->tls;
		bool sh = t->flags & (XTAP_TLS_F_SH | XTAP_TLS_F_HRR);

		f.tls = true;
		memcpy(f.tls_sni, t->sni, t->sni_len < XTAP_TLS_SNI_LEN ? t->sni_len : XTAP_TLS_SNI_LEN);
		if (t->alpn_n)
			memcpy(f.tls_alpn, t->alpn[0],
			       t->alpn_len[0] < XTAP_TLS_ALPN_LEN ? t->alpn_len[0] : XTAP_TLS_ALPN_LEN);
		f.tls_version = sh ? t->version : UINT16_MAX;
		f.tls_cipher = sh ? t->cipher : UINT16_MAX;
		f.tls_hello_ns = t->flags & XTAP_TLS_F_HELLO ? t->hello_ns : UINT64_MAX;
		f.tls_handshake_ns = t->flags & XTAP_TLS_F_DATA ? t->data_ns : UINT64_MAX;
		f.tls_hrr = !!(t->flags & XTAP_TLS_F_HRR);
	}

	if (tun) {
		memcpy(f.tun_outer[0], tun->outer_a, 16);
		memcpy(f.tun_outer[1], tun->outer_b, 16);
	}
	f.src_side = (uint8_t)in;
	f.packets = r->pkts[in];
	f.octets = r->bytes[in];
	f.tcp_flags = (uint16_t)v->tcp_flags[in];
	put_flow(s, &f);
	if (r->pkts[re]) {
		f.reverse = true;
		f.src_side = (uint8_t)re;
		f.packets = r->pkts[re];
		f.octets = r->bytes[re];
		f.tcp_flags = (uint16_t)v->tcp_flags[re];
		put_flow(s, &f);
	}
	return 0;
}

static void ipfix_svc(struct xtap_export_sink *b, struct xtap_ipfix_svc *sv, __u64 since_ns)
{
	struct ipfix_sink *s = ipfix_of(b);

	sv->start_ms = to_ms(b, since_ns);
	sv->end_ms = to_ms(b, b->now_ns);
	if (xtap_ipfix_put_svc(&s->msg, sv))
		return;
	flush(s);
	if (xtap_ipfix_put_svc(&s->msg, sv))
		return;
	s->tmpl_hold = true;	/* as in put_flow */
	flush(s);
	s->tmpl_hold = false;
	xtap_ipfix_put_svc(&s->msg, sv);
}

static void ipfix_end(struct xtap_export_sink *b)
{
	flush(ipfix_of(b));
}

static void ipfix_free(struct xtap_export_sink *b)
{
	struct ipfix_sink *s = ipfix_of(b);

	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

static const struct xtap_export_sink_ops ipfix_ops = {
	.begin = ipfix_begin,
	.flow = ipfix_flow,
	.svc = ipfix_svc,
	.end = ipfix_end,
	.free = ipfix_free,
};

struct xtap_export_sink *xtap_export_sink_ipfix(const struct sockaddr_storage *addr,
						socklen_t alen, bool tcp, __u32 tmpl_refresh_s)
{
	struct ipfix_sink *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base.ops = &ipfix_ops;
	s->addr = *addr;
	s->alen = alen;
	s->tcp = tcp;
	s->fd = -1;
	s->tmpl_refresh_s = tmpl_refresh_s;
	xtap_sockaddr_str(&s->addr, s->name, sizeof(s->name));
	return &s->base;
}
