// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xtap export: flow records to an IPFIX collector (UDP or TCP) or as JSON
 * lines; what goes when is user/export.h's business, the bytes ipfix.c's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "loader/attach.h"
#include "tools/cmd.h"
#include "user/app.h"
#include "user/export.h"
#include "user/ipfix.h"
#include "user/json.h"
#include "user/log.h"
#include "user/maps.h"
#include "user/names.h"
#include "user/opts.h"
#include "user/report.h"
#include "user/sock.h"

#define NS 1000000000ull
/* Records are packed into messages that fit a 1500-byte MTU over UDP. */
#define MSG_UDP 1400
#define MSG_TCP 16384
/* An ended flow waits this long without packets, for its last ACK. */
#define END_QUIET_NS (NS)
/* The observation domain of every message. */
#define XTAP_IPFIX_DOMAIN 1
#define RECONNECT_MAX_S 30

struct defaults_export {
	const char *ipfix;
	const char *json;
	bool tcp;
	__u32 interval;		/* s between reads of the table */
	__u32 active;		/* s */
	__u32 idle;		/* s */
	__u32 tmpl_refresh;	/* s between templates over UDP */
	bool once;
	bool verbose;
};

static const struct defaults_export defaults_export = {
	.interval = 1,
	.active = 60,
	.idle = 15,
	.tmpl_refresh = 30,
};

struct sink {
	/* IPFIX */
	struct sockaddr_storage addr;
	socklen_t alen;
	char name[80];
	bool tcp;
	int fd;
	__u64 next_connect_ns;
	__u32 backoff_s;
	__u64 tmpl_ns;		/* when templates last went (UDP) */
	bool tmpl_due;
	__u32 tmpl_refresh_s;
	__u32 seq;
	uint8_t buf[MSG_TCP];
	struct xtap_ipfix_msg msg;
	/* JSON */
	FILE *json;
	/* both */
	const struct xtap_app_table *app;	/* this round's HTTP/DNS state */
	__s64 off_ns;		/* monotonic to epoch */
	__u64 now_ns;
	__u64 sent, unsent;	/* data records */
	__u64 errors;
	int last_errno;
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static __u64 mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u64)t.tv_sec * NS + (__u64)t.tv_nsec;
}

static int parse_args(int argc, char **argv, struct defaults_export *d)
{
	static const struct option opts[] = {
		{ "ipfix", required_argument, NULL, 'x' },
		{ "json", required_argument, NULL, 'J' },
		{ "udp", no_argument, NULL, 'u' },
		{ "tcp", no_argument, NULL, 't' },
		{ "interval", required_argument, NULL, 'i' },
		{ "active-timeout", required_argument, NULL, 'a' },
		{ "idle-timeout", required_argument, NULL, 'I' },
		{ "template-refresh", required_argument, NULL, 'T' },
		{ "once", no_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool udp = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		__u32 *secs = NULL;
		const char *name = NULL;

		switch (c) {
		case 'x': d->ipfix = optarg; break;
		case 'J': d->json = optarg; break;
		case 'u': udp = true; break;
		case 't': d->tcp = true; break;
		case 'i': secs = &d->interval; name = "--interval"; break;
		case 'a': secs = &d->active; name = "--active-timeout"; break;
		case 'I': secs = &d->idle; name = "--idle-timeout"; break;
		case 'T': secs = &d->tmpl_refresh; name = "--template-refresh"; break;
		case 'o': d->once = true; break;
		case 'v': d->verbose = true; break;
		case 'h': xtap_usage_of("export"); return -1;
		default: return xtap_usage_of("export");
		}
		if (secs && !xtap_parse_u32(optarg, 86400, secs)) {
			xtap_err("export: %s %s: seconds from 1 to 86400", name, optarg);
			return XTAP_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return xtap_usage_of("export");
	if (!d->ipfix == !d->json) {
		xtap_err("export: give one of --ipfix HOST:PORT or --json FILE|-");
		return XTAP_EXIT_USAGE;
	}
	if (udp && d->tcp) {
		xtap_err("export: --udp and --tcp exclude each other");
		return XTAP_EXIT_USAGE;
	}
	if ((udp || d->tcp) && !d->ipfix) {
		xtap_err("export: --udp and --tcp are for --ipfix");
		return XTAP_EXIT_USAGE;
	}
	return 0;
}

/* --- IPFIX transport ---------------------------------------------------------- */

static void sink_drop_conn(struct sink *s, int err)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->last_errno = err;
	s->errors++;
	s->backoff_s = s->backoff_s ? s->backoff_s * 2 : 1;
	if (s->backoff_s > RECONNECT_MAX_S)
		s->backoff_s = RECONNECT_MAX_S;
	s->next_connect_ns = s->now_ns + (__u64)s->backoff_s * NS;
}

/* Connects a TCP socket within a second. 0 or -errno. */
static int tcp_connect(struct sink *s)
{
	struct pollfd p;
	struct timeval tv = { .tv_sec = 2 };
	int fd, r, e = 0;
	socklen_t el = sizeof(e);

	fd = socket(s->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (struct sockaddr *)&s->addr, s->alen);
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

static int sink_open(struct sink *s)
{
	if (s->fd >= 0)
		return 0;
	if (s->now_ns < s->next_connect_ns)
		return -EAGAIN;
	if (s->tcp) {
		int fd = tcp_connect(s);

		if (fd < 0) {
			if (xtap_log_verbose() || !s->errors)
				xtap_info("export: %s: connect: %s (retrying)", s->name, strerror(-fd));
			sink_drop_conn(s, -fd);
			return fd;
		}
		s->fd = fd;
		xtap_info("export: connected to %s", s->name);
	} else {
		s->fd = socket(s->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s->fd < 0 || connect(s->fd, (struct sockaddr *)&s->addr, s->alen)) {
			int e = errno;

			sink_drop_conn(s, e);
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
static void sink_send_templates(struct sink *s)
{
	uint8_t buf[2048];
	struct xtap_ipfix_msg m;
	size_t len;

	xtap_ipfix_msg_init(&m, buf, sizeof(buf));
	xtap_ipfix_put_templates(&m);
	len = xtap_ipfix_msg_finish(&m, (uint32_t)((__s64)s->now_ns / (__s64)NS + s->off_ns / (__s64)NS),
				    s->seq, XTAP_IPFIX_DOMAIN);
	if (send_all(s->fd, buf, len))
		sink_drop_conn(s, EPIPE);
	s->tmpl_due = false;
	s->tmpl_ns = s->now_ns;
}

/* Sends the message under construction, if it holds anything. */
static void sink_flush(struct sink *s)
{
	struct xtap_ipfix_msg *m = &s->msg;
	uint32_t recs = m->records;
	size_t len;
	int r;

	if (m->len <= IPFIX_HDR_LEN)
		return;
	len = xtap_ipfix_msg_finish(m, (uint32_t)((__s64)s->now_ns / (__s64)NS + s->off_ns / (__s64)NS),
				    s->seq, XTAP_IPFIX_DOMAIN);
	if (s->tcp && s->fd >= 0 && !tcp_alive(s->fd)) {
		sink_drop_conn(s, EPIPE);
		s->next_connect_ns = 0;		/* at once: it may be back */
		sink_open(s);
		if (s->fd >= 0) {
			/* a new connection: templates first */
			sink_send_templates(s);
		}
	}
	r = s->fd >= 0 ? 0 : -ENOTCONN;
	if (!r && s->tcp) {
		r = send_all(s->fd, m->buf, len);
	} else if (!r) {
		int pending = 0;
		socklen_t pl = sizeof(pending);

		/* the ICMP error of an earlier message (port unreachable): the
		 * collector was not there a moment ago. This message still
		 * goes, as a probe, but counts as not sent. */
		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &pending, &pl);
		r = send(s->fd, m->buf, len, 0) < 0 ? -errno : 0;
		if (!r && pending)
			r = -pending;
	}
	if (r) {
		s->unsent += recs;
		if (s->tcp) {
			if (s->fd >= 0) {
				xtap_info("export: %s: %s (reconnecting)", s->name, strerror(-r));
				sink_drop_conn(s, -r);
			}
		} else {
			/* UDP: an ICMP error of an earlier message, say: go on */
			s->errors++;
			s->last_errno = -r;
		}
	} else {
		s->sent += recs;
		/* over TCP the sequence counts what the collector got; over
		 * UDP what was sent, so that it sees losses as gaps */
	}
	if (!r || !s->tcp)
		s->seq += recs;
	xtap_ipfix_msg_init(m, s->buf, s->tcp ? MSG_TCP : MSG_UDP);
}

/* Starts a round: templates first when a new connection or UDP's refresh
 * asks for them. */
static void sink_begin(struct sink *s)
{
	sink_open(s);
	xtap_ipfix_msg_init(&s->msg, s->buf, s->tcp ? MSG_TCP : MSG_UDP);
	if (!s->tcp && s->now_ns - s->tmpl_ns >= (__u64)s->tmpl_refresh_s * NS)
		s->tmpl_due = true;
	if (s->tmpl_due && s->fd >= 0) {
		xtap_ipfix_put_templates(&s->msg);
		s->tmpl_due = false;
		s->tmpl_ns = s->now_ns;
	}
}

static __u64 to_ms(const struct sink *s, __u64 mono_ns)
{
	__s64 ns = (__s64)mono_ns + s->off_ns;

	return ns > 0 ? (__u64)ns / 1000000 : 0;
}

static void put_flow(struct sink *s, const struct xtap_ipfix_flow *f)
{
	if (xtap_ipfix_put_flow(&s->msg, f))
		return;
	sink_flush(s);
	if (s->tmpl_due && s->fd >= 0) {	/* reconnected meanwhile */
		xtap_ipfix_put_templates(&s->msg);
		s->tmpl_due = false;
		s->tmpl_ns = s->now_ns;
	}
	xtap_ipfix_put_flow(&s->msg, f);
}

/* The mean of n samples summing to sum, or all ones for none. */
static uint64_t mean_or_none(__u64 sum, __u64 n)
{
	return n ? sum / n : UINT64_MAX;
}

static int emit_ipfix(const struct xtap_flow_entry *e, const struct xtap_export_rec *r, void *arg)
{
	struct sink *s = arg;
	const struct xtap_flow *v = &e->val;
	const struct xtap_app *a = xtap_app_find(s->app, &e->key);
	int in = v->initiator & 1, re = !in;
	bool tcp = e->key.proto == IPPROTO_TCP;
	struct xtap_ipfix_flow f = {
		.key = e->key,
		.start_ms = to_ms(s, r->start_ns),
		.end_ms = to_ms(s, r->end_ns),
		.end_reason = r->reason,
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
	};

	if (a && a->kind == XTAP_APP_HTTP) {
		f.http_resp_ns = mean_or_none(a->sum_ns, a->timed);
		if (a->last_status)
			f.http_status = a->last_status;
	} else if (a && a->kind == XTAP_APP_DNS) {
		f.dns_resp_ns = mean_or_none(a->sum_ns, a->timed);
		if (a->responses)
			f.dns_rcode = a->dns_rcode;
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

/* --- JSON lines ----------------------------------------------------------------- */

static int emit_json(const struct xtap_flow_entry *e, const struct xtap_export_rec *r, void *arg)
{
	struct sink *s = arg;
	const struct xtap_app *a = xtap_app_find(s->app, &e->key);
	struct json j;

	json_init(&j, s->json);
	json_open(&j, NULL, '{');
	json_str(&j, "type", "flow");
	json_str(&j, "reason", xtap_export_reason_name(r->reason));
	json_i64(&j, "start_ns", (__s64)r->start_ns + s->off_ns);
	json_i64(&j, "end_ns", (__s64)r->end_ns + s->off_ns);
	json_u64(&j, "delta_packets_ab", r->pkts[0]);
	json_u64(&j, "delta_bytes_ab", r->bytes[0]);
	json_u64(&j, "delta_packets_ba", r->pkts[1]);
	json_u64(&j, "delta_bytes_ba", r->bytes[1]);
	json_u64(&j, "delta_retrans_ab", r->retrans[0]);
	json_u64(&j, "delta_retrans_ba", r->retrans[1]);
	xtap_flow_json_fields(&j, e, s->off_ns);
	if (a)
		xtap_app_json(&j, a, s->off_ns);
	json_close(&j, '}');
	if (ferror(s->json))
		return -EIO;
	s->sent++;
	return 0;
}

/* --- service latency -------------------------------------------------------------- */

struct svc_seen {
	struct xtap_hist_entry *v;
	size_t n;
	__u64 export_ns;
};

static void emit_svc(struct sink *s, const struct xtap_hist_entry *cur, const struct xtap_hist *old,
		     __u64 since_ns)
{
	struct xtap_ipfix_svc sv = { .key = cur->key };

	sv.count = cur->h.count - old->count;
	sv.sum_ns = cur->h.sum_ns - old->sum_ns;
	sv.max_ns = cur->h.max_ns;
	for (int b = 0; b < XTAP_HIST_BUCKETS; b++)
		sv.bucket[b] = cur->h.bucket[b] >= old->bucket[b] ? cur->h.bucket[b] - old->bucket[b] : 0;
	if (s->json) {
		struct json j;
		char addr[64];
		int v4 = !memcmp(sv.key.addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);

		json_init(&j, s->json);
		json_open(&j, NULL, '{');
		json_str(&j, "type", "latency");
		json_i64(&j, "start_ns", (__s64)since_ns + s->off_ns);
		json_i64(&j, "end_ns", (__s64)s->now_ns + s->off_ns);
		json_str(&j, "server", xtap_addr_str(sv.key.addr, v4 ? 4 : 6, addr, sizeof(addr)));
		json_u64(&j, "port", sv.key.port);
		json_u64(&j, "proto", sv.key.proto);
		json_u64(&j, "kind", sv.key.kind);
		json_u64(&j, "count", sv.count);
		json_u64(&j, "sum_ns", sv.sum_ns);
		json_u64(&j, "max_ns", sv.max_ns);
		json_open(&j, "log2_buckets", '[');
		for (int b = 0; b < XTAP_HIST_BUCKETS; b++)
			json_u64(&j, NULL, sv.bucket[b]);
		json_close(&j, ']');
		json_close(&j, '}');
		s->sent++;
		return;
	}
	sv.start_ms = to_ms(s, since_ns);
	sv.end_ms = to_ms(s, s->now_ns);
	if (!xtap_ipfix_put_svc(&s->msg, &sv)) {
		sink_flush(s);
		xtap_ipfix_put_svc(&s->msg, &sv);
	}
}

/* Sends what each service's histogram gained since the last time. */
static void svc_round(struct sink *s, struct svc_seen *seen, int fd)
{
	struct xtap_hist_entry *cur = NULL;
	size_t n = 0, j = 0;
	static const struct xtap_hist zero;

	if (xtap_hist_dump(fd, &cur, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		const struct xtap_hist *old = &zero;
		int cmp = 1;

		while (j < seen->n &&
		       (cmp = memcmp(&seen->v[j].key, &cur[i].key, sizeof(cur[i].key))) < 0)
			j++;
		if (j < seen->n && cmp == 0 && seen->v[j].h.count <= cur[i].h.count)
			old = &seen->v[j].h;
		if (cur[i].h.count > old->count)
			emit_svc(s, &cur[i], old, seen->export_ns);
	}
	free(seen->v);
	seen->v = cur;
	seen->n = n;
	seen->export_ns = s->now_ns;
}

/* --- the loop ----------------------------------------------------------------------- */

struct maps {
	int flows, fcache, hist, app;
};

/* Opens the maps under the state lock, then lets the lock go. 1: nothing
 * is attached. */
static int maps_open(struct maps *m)
{
	struct xtap_state st = { .reg_fd = -1, .lock_fd = -1 };
	char err[XTAP_ERRLEN] = "";
	int r;

	m->flows = m->fcache = m->hist = m->app = -1;
	if (xtap_state_open(&st, NULL, false, err, sizeof(err))) {
		xtap_err("export: %s", err);
		return -1;
	}
	r = st.reg_fd < 0;
	if (!r) {
		m->flows = xtap_map_open(&st, "xtap_flows");
		m->fcache = xtap_map_open(&st, "xtap_fcache");
		m->hist = xtap_map_open(&st, "xtap_hist");
		/* a state pinned before it existed has none: records go without */
		m->app = xtap_map_open(&st, "xtap_app");
		r = m->flows < 0;
	}
	xtap_state_close(&st);
	return r;
}

static void maps_close(struct maps *m)
{
	if (m->flows >= 0)
		close(m->flows);
	if (m->fcache >= 0)
		close(m->fcache);
	if (m->hist >= 0)
		close(m->hist);
	if (m->app >= 0)
		close(m->app);
}

static int one_round(struct sink *s, struct xtap_export_state *es, struct svc_seen *seen,
		     const struct xtap_export_cfg *cfg, bool force)
{
	struct xtap_flow_entry *f = NULL;
	struct xtap_app_table app = { 0 };
	struct maps m;
	size_t n = 0;
	long r;
	int err;

	s->now_ns = mono_ns();
	s->off_ns = xtap_mono_to_real_ns();
	err = maps_open(&m);
	if (err) {
		maps_close(&m);
		return err < 0 ? -1 : 0;
	}
	err = xtap_flows_read(m.flows, m.fcache, XTAP_SORT_KEY, &f, &n);
	if (err) {
		xtap_err("export: read flows: %s", strerror(-err));
		maps_close(&m);
		return -1;
	}
	if (m.app >= 0 && xtap_app_dump(m.app, &app))
		xtap_info("export: HTTP/DNS state unreadable; records go without it");
	s->app = &app;
	if (!s->json)
		sink_begin(s);
	r = xtap_export_round(es, cfg, f, n, s->now_ns, force, s->json ? emit_json : emit_ipfix, s);
	if (m.hist >= 0 && (force || s->now_ns - seen->export_ns >= cfg->active_ns))
		svc_round(s, seen, m.hist);
	if (s->json)
		fflush(s->json);
	else
		sink_flush(s);
	s->app = NULL;
	xtap_app_free(&app);
	free(f);
	maps_close(&m);
	if (r < 0) {
		xtap_err("export: %s", strerror((int)-r));
		return -1;
	}
	return 0;
}

int cmd_export(int argc, char **argv)
{
	struct defaults_export d = defaults_export;
	struct xtap_export_state es = { 0 };
	struct svc_seen seen = { 0 };
	struct sigaction sa = { .sa_handler = on_stop };
	struct xtap_export_cfg cfg;
	struct sink *s;
	char err[256];
	int r, ret = XTAP_EXIT_ERR;

	r = parse_args(argc, argv, &d);
	if (r)
		return r < 0 ? XTAP_EXIT_OK : r;
	xtap_log_init(d.verbose);
	s = calloc(1, sizeof(*s));
	if (!s) {
		xtap_err("export: out of memory");
		return XTAP_EXIT_ERR;
	}
	s->fd = -1;
	s->tcp = d.tcp;
	s->tmpl_refresh_s = d.tmpl_refresh;
	if (d.ipfix &&
	    xtap_parse_hostport(d.ipfix, d.tcp ? SOCK_STREAM : SOCK_DGRAM, false, &s->addr, &s->alen,
				err, sizeof(err))) {
		xtap_err("export: --ipfix %s: %s", d.ipfix, err);
		free(s);
		return XTAP_EXIT_USAGE;
	}
	if (xtap_check_privileges("export"))
		goto cleanup;
	if (d.json) {
		if (!strcmp(d.json, "-")) {
			s->json = stdout;
		} else {
			int fd = open(d.json, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

			s->json = fd < 0 ? NULL : fdopen(fd, "a");
			if (!s->json) {
				xtap_err("export: %s: %s", d.json, strerror(errno));
				if (fd >= 0)
					close(fd);
				goto cleanup;
			}
		}
	} else {
		xtap_sockaddr_str(&s->addr, s->name, sizeof(s->name));
	}
	cfg.active_ns = (__u64)d.active * NS;
	cfg.idle_ns = (__u64)d.idle * NS;
	cfg.end_quiet_ns = cfg.idle_ns < END_QUIET_NS ? cfg.idle_ns : END_QUIET_NS;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	seen.export_ns = mono_ns();
	if (!d.once)
		xtap_info("export: %s every %us (active %us, idle %us)", d.json ? d.json : s->name,
			  d.interval, d.active, d.idle);
	while (!stop && !d.once) {
		if (one_round(s, &es, &seen, &cfg, false))
			goto cleanup;
		for (__u32 i = 0; i < d.interval * 10 && !stop; i++)
			usleep(100000);
	}
	/* what has not gone yet goes now, marked forced */
	if (one_round(s, &es, &seen, &cfg, true))
		goto cleanup;
	ret = XTAP_EXIT_OK;
cleanup:
	if (d.ipfix)
		xtap_info("export: %" PRIu64 " records sent, %" PRIu64 " not sent%s%s", (uint64_t)s->sent,
			  (uint64_t)s->unsent, s->last_errno ? "; last error: " : "",
			  s->last_errno ? strerror(s->last_errno) : "");
	if (s->json && s->json != stdout)
		fclose(s->json);
	else if (s->json)
		fflush(stdout);
	if (s->fd >= 0)
		close(s->fd);
	free(seen.v);
	xtap_export_state_free(&es);
	free(s);
	return ret;
}
