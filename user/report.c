// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "user/latency.h"
#include "user/names.h"
#include "user/opts.h"
#include "user/query.h"
#include "user/report.h"
#include "user/cgroup.h"
#include "user/tunnel.h"

static int is_icmp(const struct xtap_flow_key *k)
{
	return k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6;
}

static int has_ports(const struct xtap_flow_key *k)
{
	return k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP || k->proto == IPPROTO_SCTP;
}

static void proto_str(__u8 proto, char *buf, size_t len)
{
	const char *n = xtap_proto_name(proto);

	if (n && strlen(n) < len)
		memcpy(buf, n, strlen(n) + 1);
	else
		snprintf(buf, len, "%u", proto);
}

/* v as 16 lower-case hex digits (%016llx without printf). */
static const char *hex64(uint64_t v, char out[17])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 15; i >= 0; i--, v >>= 4)
		out[i] = hex[v & 15];
	out[16] = '\0';
	return out;
}

static const char *outcome_str(__u8 o)
{
	static const char *const name[XTAP_OUTCOME_MAX] = {
		[XTAP_OUTCOME_NONE] = "none",
		[XTAP_OUTCOME_SYN_SENT] = "syn-sent",
		[XTAP_OUTCOME_UNANSWERED] = "unanswered",
		[XTAP_OUTCOME_SYNACK] = "syn-ack",
		[XTAP_OUTCOME_ESTABLISHED] = "established",
		[XTAP_OUTCOME_REFUSED] = "refused",
		[XTAP_OUTCOME_RESET] = "reset",
		[XTAP_OUTCOME_CLOSED] = "closed",
	};

	return o < XTAP_OUTCOME_MAX ? name[o] : "unknown";
}

/* The handshake: each time where the kernel measured it, else null. */
static void handshake_json(struct json *j, const struct xtap_flow *v, __s64 off)
{
	if (v->hs_seen & XTAP_HS_SEEN_SYN)
		json_i64(j, "syn_ns", (__s64)v->syn_ns + off);
	else
		json_null(j, "syn_ns");
	if (v->hs_seen & XTAP_HS_SEEN_SYNACK)
		json_u64(j, "handshake_syn_synack_ns", v->syn_synack_ns);
	else
		json_null(j, "handshake_syn_synack_ns");
	if (v->hs_seen & XTAP_HS_SEEN_ACK) {
		json_u64(j, "handshake_synack_ack_ns", v->synack_ack_ns);
		json_u64(j, "initial_rtt_ns", v->syn_synack_ns + v->synack_ack_ns);
	} else {
		json_null(j, "handshake_synack_ack_ns");
		json_null(j, "initial_rtt_ns");
	}
	json_str(j, "outcome", outcome_str(v->outcome));
	json_u64(j, "syn_retransmits", v->syn_retransmits);
}

/* Retransmissions and passive RTT per direction; an RTT with no sample is
 * null. Literal keys (json_*_k): a dump may hold millions of flows. */
#define TCP_DIR_JSON(j, v, d, sfx)							\
	do {										\
		__u32 n_ = (v)->rtt_samples[d];						\
											\
		json_u64(j, "rtt_samples_" sfx, n_);					\
		if (n_) {								\
			json_u64(j, "rtt_min_ns_" sfx, (v)->rtt_min_ns[d]);		\
			json_u64(j, "rtt_mean_ns_" sfx, (v)->rtt_sum_ns[d] / n_);	\
			json_u64(j, "rtt_max_ns_" sfx, (v)->rtt_max_ns[d]);		\
		} else {								\
			json_null(j, "rtt_min_ns_" sfx);				\
			json_null(j, "rtt_mean_ns_" sfx);				\
			json_null(j, "rtt_max_ns_" sfx);				\
		}									\
		json_u64(j, "rtt_sum_ns_" sfx, (v)->rtt_sum_ns[d]);			\
	} while (0)

static void tcp_latency_json(struct json *j, const struct xtap_flow *v)
{
	json_u64(j, "retransmits_ab", v->retrans[0]);
	json_u64(j, "retransmits_ba", v->retrans[1]);
	TCP_DIR_JSON(j, v, 0, "ab");
	TCP_DIR_JSON(j, v, 1, "ba");
}

/* The local workload (kern/lib/owner.h): its cgroup, the path null when
 * the cgroup is gone; both members null when no local socket was seen. */
static void owner_json(struct json *j, const struct xtap_flow *v)
{
	const char *path;

	if (!v->cgroup_id) {
		json_null(j, "cgroup");
		json_null(j, "socket_cookie");
		return;
	}
	json_open(j, "cgroup", '{');
	path = xtap_cgroup_path(v->cgroup_id);
	json_u64(j, "id", v->cgroup_id);
	if (path)
		json_str(j, "path", path);
	else
		json_null(j, "path");
	json_close(j, '}');
	json_u64(j, "socket_cookie", v->sock_cookie);
}

/* The CGROUP column shows when a flow of the table has a cgroup. */
#define CGROUP_W 28

static bool any_cgroup(const struct xtap_flow_entry *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].val.cgroup_id)
			return true;
	return false;
}

static void cgroup_cell(const struct xtap_flow *v, char *buf, size_t len)
{
	char cut[CGROUP_W + 1];
	const char *path = v->cgroup_id ? xtap_cgroup_path(v->cgroup_id) : NULL;

	if (v->cgroup_id && !path) {	/* gone since: its id */
		snprintf(buf, len, "#%llu", (unsigned long long)v->cgroup_id);
		return;
	}
	xtap_cgroup_short(path, cut, sizeof(cut));
	snprintf(buf, len, "%s", cut);
}

static void endpoint_json(struct json *j, const char *key, const struct xtap_flow_key *k, int side)
{
	char addr[INET6_ADDRSTRLEN];

	json_open(j, key, '{');
	json_str(j, "addr", xtap_addr_str(side ? k->addr_b : k->addr_a, k->ip_version, addr, sizeof(addr)));
	if (has_ports(k))
		json_u64(j, "port", side ? k->port_b : k->port_a);
	json_close(j, '}');
}

void xtap_flow_json(struct json *j, const struct xtap_flow_entry *e, __s64 off)
{
	xtap_flow_json_app(j, e, off, NULL);
}

void xtap_flow_json_app(struct json *j, const struct xtap_flow_entry *e, __s64 off,
			const struct xtap_app *app)
{
	json_open(j, NULL, '{');
	xtap_flow_json_fields(j, e, off);
	if (app)
		xtap_app_json(j, app, off);
	json_close(j, '}');
}

void xtap_flow_json_fields(struct json *j, const struct xtap_flow_entry *e, __s64 off)
{
	const struct xtap_flow_key *k = &e->key;
	const struct xtap_flow *v = &e->val;
	char name[32], flags[16], id[24];

	proto_str(k->proto, name, sizeof(name));
	json_str(j, "proto", name);
	json_u64(j, "ip_version", k->ip_version);
	json_u64(j, "vlan", k->vlan);
	endpoint_json(j, "a", k, 0);
	endpoint_json(j, "b", k, 1);
	if (is_icmp(k)) {
		json_u64(j, "icmp_id", k->port_a);
		json_u64(j, "icmp_type", k->port_b >> 8);
		json_u64(j, "icmp_code", k->port_b & 0xff);
	}
	json_str(j, "flow_id", hex64(xtap_flow_id(k), id));	/* as in captures' pcapng comments */
	json_str(j, "initiator", v->initiator == XTAP_DIR_AB ? "a" : "b");
	json_str(j, "initiator_by", v->initiator_syn ? "syn" : "first-seen");
	/* constant keys: no formatting per flow (a dump may hold millions) */
	/* sampled: packets and bytes are estimates (kern/lib/sample.h) */
	json_u64(j, "sampling", v->sampling > 1 ? v->sampling : 1);
	json_bool(j, "estimated", v->sampling > 1);
	json_u64(j, "packets_ab", v->pkts[0]);
	json_u64(j, "bytes_ab", v->bytes[0]);
	json_u64(j, "packets_ba", v->pkts[1]);
	json_u64(j, "bytes_ba", v->bytes[1]);
	json_i64(j, "first_ns", (__s64)v->first_ns + off);
	json_i64(j, "last_ns", (__s64)v->last_ns + off);
	if (k->proto == IPPROTO_TCP) {
		json_str(j, "tcp_flags_ab", xtap_tcp_flags_str(v->tcp_flags[0], flags, sizeof(flags)));
		json_u64(j, "syn_ab", v->syn[0]);
		json_u64(j, "fin_ab", v->fin[0]);
		json_u64(j, "rst_ab", v->rst[0]);
		json_str(j, "tcp_flags_ba", xtap_tcp_flags_str(v->tcp_flags[1], flags, sizeof(flags)));
		json_u64(j, "syn_ba", v->syn[1]);
		json_u64(j, "fin_ba", v->fin[1]);
		json_u64(j, "rst_ba", v->rst[1]);
		handshake_json(j, v, off);
		tcp_latency_json(j, v);
	}
	json_u64(j, "first_point", v->first_point);
	owner_json(j, v);
}

static void endpoint_str(const struct xtap_flow_key *k, int side, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	xtap_addr_str(side ? k->addr_b : k->addr_a, k->ip_version, addr, sizeof(addr));
	if (!has_ports(k))
		snprintf(buf, len, "%s", addr);
	else if (k->ip_version == 6)
		snprintf(buf, len, "[%s]:%u", addr, side ? k->port_b : k->port_a);
	else
		snprintf(buf, len, "%s:%u", addr, side ? k->port_b : k->port_a);
}

static void human_bytes(__u64 v, char *buf, size_t len)
{
	static const char *const unit[] = { "", "K", "M", "G", "T" };
	double d = (double)v;
	int u = 0;

	while (d >= 10000 && u < 4) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64, (uint64_t)v);
	else
		snprintf(buf, len, "%.1f%s", d, unit[u]);
}

/* The RTT and OUTCOME cells: empty where there is nothing to say (not TCP,
 * or a TCP flow seen without SYN, FIN or RST), "-" for an RTT not measured. */
static void handshake_cells(const struct xtap_flow_key *k, const struct xtap_flow *v, char *rtt,
			    size_t rlen, char *out, size_t olen)
{
	rtt[0] = out[0] = '\0';
	if (k->proto != IPPROTO_TCP || (v->outcome == XTAP_OUTCOME_NONE && !v->hs_seen))
		return;
	if (v->hs_seen & XTAP_HS_SEEN_ACK)
		xtap_duration_str(v->syn_synack_ns + v->synack_ack_ns, rtt, rlen);
	else
		snprintf(rtt, rlen, "-");
	snprintf(out, olen, "%s", outcome_str(v->outcome));
	if (v->syn_retransmits)
		snprintf(out + strlen(out), olen - strlen(out), "(%u)", v->syn_retransmits);
}

static void clock_str(__s64 ns, char *buf, size_t len)
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;

	if (!localtime_r(&s, &tm) || !strftime(buf, len, "%H:%M:%S", &tm))
		snprintf(buf, len, "-");
	else
		snprintf(buf + strlen(buf), len - strlen(buf), ".%06" PRId64, (int64_t)((ns % 1000000000) / 1000));
}

/* The RETX and TS-RTT cells: retransmissions client/server, and the mean
 * passive RTT of the client's timestamps (observation point to the server
 * and back); "-" where there is none or the flow is not TCP. */
static void tcp_cells(const struct xtap_flow_key *k, const struct xtap_flow *v, char *retx,
		      size_t xlen, char *rtt, size_t rlen)
{
	int c = v->initiator, s = !c;

	snprintf(retx, xlen, "-");
	snprintf(rtt, rlen, "-");
	if (k->proto != IPPROTO_TCP)
		return;
	snprintf(retx, xlen, "%u/%u", v->retrans[c], v->retrans[s]);
	if (v->rtt_samples[c])
		xtap_duration_str(v->rtt_sum_ns[c] / v->rtt_samples[c], rtt, rlen);
}

/* The endpoint columns are as wide as the widest endpoint shown. */
static void endpoint_widths(const struct xtap_flow_entry *f, size_t show, int *wc, int *ws)
{
	*wc = *ws = 6;
	for (size_t i = 0; i < show; i++) {
		const struct xtap_flow_key *k = &f[i].key;
		int c = f[i].val.initiator;
		char ep[64];
		int len;

		endpoint_str(k, c, ep, sizeof(ep));
		len = (int)strlen(ep);
		if (len > *wc)
			*wc = len;
		endpoint_str(k, !c, ep, sizeof(ep));
		if (is_icmp(k))
			snprintf(ep + strlen(ep), sizeof(ep) - strlen(ep), " t%u id%u", k->port_b >> 8,
				 k->port_a);
		len = (int)strlen(ep);
		if (len > *ws)
			*ws = len;
	}
}

static void prefix_tilde(char *buf, size_t len)
{
	size_t n = strlen(buf);

	if (n + 2 > len)
		return;
	memmove(buf + 1, buf, n + 1);
	buf[0] = '~';
}

/* The TUNNEL cell of a flow, from its client's side. */
static void tunnel_cell(const struct xtap_report *r, const struct xtap_flow_entry *e, char *buf,
			size_t len)
{
	struct xtap_tunnel t;
	int known = r->tunnel_of && !r->tunnel_of(&e->key, &t, r->tunnel_arg);

	xtap_tunnel_cell(&e->key, known ? &t : NULL, e->val.initiator, buf, len);
}

void xtap_flows_table(const struct xtap_report *r, const struct xtap_flow_entry *f, size_t n)
{
	size_t show = r->limit && r->limit < n ? r->limit : n;
	bool cg = any_cgroup(f, show), more = r->drops_of || r->app;
	__u32 sampled = 0;
	int wc, ws, tunnels = 0;

	endpoint_widths(f, show, &wc, &ws);
	for (size_t i = 0; i < show && !tunnels; i++)
		tunnels = f[i].key.tun_type != 0;
	fprintf(r->out, "%-6s %-*s %-*s %7s %7s %7s %7s %-9s %7s %8s %-15s %10s %9s %s%s%s%s%s\n",
		"PROTO", wc, "CLIENT", ws, "SERVER", "PKTS>", "BYTES>", "PKTS<", "BYTES<", "FLAGS",
		"RETX", "TS-RTT", "FIRST", "DURATION", "RTT",
		more || cg || tunnels ? "OUTCOME         " : "OUTCOME",
		cg ? (more || tunnels ? " CGROUP                      " : " CGROUP") : "",
		r->drops_of ? " DROPS" : "", r->app ? " STATUS   RESP      TLS" : "",
		tunnels ? (r->app ? "  TUNNEL" : " TUNNEL") : "");
	for (size_t i = 0; i < show; i++) {
		const struct xtap_flow_key *k = &f[i].key;
		const struct xtap_flow *v = &f[i].val;
		int c = v->initiator, s = !c;
		char proto[32], cli[64], srv[64], b1[16], b2[16], fl[32], t[32], rtt[24], out[32];
		char retx[24], tsrtt[24], p1[24], p2[24];
		char line[640], status[16], resp[24], tls[XTAP_TLS_SNI_LEN + XTAP_TLS_ALPN_LEN + 4];
		size_t end;

		proto_str(k->proto, proto, sizeof(proto));
		endpoint_str(k, c, cli, sizeof(cli));
		endpoint_str(k, s, srv, sizeof(srv));
		if (is_icmp(k))
			snprintf(srv + strlen(srv), sizeof(srv) - strlen(srv), " t%u id%u", k->port_b >> 8,
				 k->port_a);
		human_bytes(v->bytes[c], b1, sizeof(b1));
		human_bytes(v->bytes[s], b2, sizeof(b2));
		/* estimates of a sampled flow: "~" before packets and bytes */
		snprintf(p1, sizeof(p1), "%s%" PRIu64, v->sampling > 1 ? "~" : "",
			 (uint64_t)v->pkts[c]);
		snprintf(p2, sizeof(p2), "%s%" PRIu64, v->sampling > 1 ? "~" : "",
			 (uint64_t)v->pkts[s]);
		if (v->sampling > 1) {
			sampled = v->sampling;
			prefix_tilde(b1, sizeof(b1));
			prefix_tilde(b2, sizeof(b2));
		}
		if (k->proto == IPPROTO_TCP) {
			char x[16], y[16];

			snprintf(fl, sizeof(fl), "%s/%s", xtap_tcp_flags_str(v->tcp_flags[c], x, sizeof(x)),
				 xtap_tcp_flags_str(v->tcp_flags[s], y, sizeof(y)));
		} else {
			snprintf(fl, sizeof(fl), "-");
		}
		clock_str((__s64)v->first_ns + r->time_offset_ns, t, sizeof(t));
		handshake_cells(k, v, rtt, sizeof(rtt), out, sizeof(out));
		tcp_cells(k, v, retx, sizeof(retx), tsrtt, sizeof(tsrtt));
		snprintf(line, sizeof(line),
			 "%-6s %-*s %-*s %7s %7s %7s %7s %-9s %7s %8s %-15s %9.3fs %9s %s",
			 proto, wc, cli, ws, srv, p1, b1, p2, b2, fl,
			 retx, tsrtt, t, (double)(v->last_ns - v->first_ns) / 1e9, rtt, out);
		if (more || cg || tunnels)	/* a fixed-width OUTCOME before them */
			snprintf(line + strlen(line), sizeof(line) - strlen(line), "%*s",
				 (int)(16 - (strlen(out) < 16 ? strlen(out) : 16)), "");
		if (cg) {
			char cell[CGROUP_W + 24];

			cgroup_cell(v, cell, sizeof(cell));
			snprintf(line + strlen(line), sizeof(line) - strlen(line), " %-*s", CGROUP_W,
				 cell);
		}
		if (r->drops_of)	/* after a fixed-width OUTCOME */
			snprintf(line + strlen(line), sizeof(line) - strlen(line), " %5" PRIu64,
				 (uint64_t)r->drops_of(k, r->drops_arg));
		/* HTTP or DNS: the last status or code, the mean response time;
		 * TLS: the chosen version, the mean hello time, SNI and ALPN */
		if (r->app) {
			const struct xtap_app *a = xtap_app_find(r->app, k);

			xtap_app_cells(a, status, sizeof(status), resp, sizeof(resp));
			xtap_app_tls_cell(a, tls, sizeof(tls));
			snprintf(line + strlen(line), sizeof(line) - strlen(line), " %-8s %-9s %-*s",
				 status, resp, tunnels ? 5 : 0, tls);
		}
		if (tunnels) {	/* last: the outer addresses are long */
			char tun[96];

			tunnel_cell(r, &f[i], tun, sizeof(tun));
			snprintf(line + strlen(line), sizeof(line) - strlen(line), " %s", tun);
		}
		end = strlen(line);
		while (end && line[end - 1] == ' ')
			end--;	/* no trailing blanks where the cells are empty */
		fprintf(r->out, "%.*s\n", (int)end, line);
	}
	if (show < n)
		fprintf(r->out, "... %zu more flows\n", n - show);
	if (sampled)
		fprintf(r->out, "~ estimates: 1 packet in %u accounted to flows (xtap attach "
			"--sampling); SYN, FIN and RST counted exactly\n", sampled);
}

void xtap_stats_json(struct json *j, const char *key, const struct xtap_stats *s)
{
	__u64 pkts = 0;

	json_open(j, key, '{');
	for (int i = 0; i < XTAP_STAT_OUTCOME_END; i++)
		pkts += s->c[i];
	json_u64(j, "packets", pkts);
	for (int i = 0; i < XTAP_STAT_MAX; i++)
		if (s->c[i])
			json_u64(j, xtap_stat_name(i), s->c[i]);
	json_close(j, '}');
}

void xtap_stats_table(FILE *out, const char *title, const struct xtap_stats *s)
{
	__u64 pkts = 0, bad = 0;

	for (int i = 0; i < XTAP_STAT_OUTCOME_END; i++)
		pkts += s->c[i];
	for (int i = XTAP_STAT_BAD_FIRST; i <= XTAP_STAT_BAD_LAST; i++)
		bad += s->c[i];
	fprintf(out, "%s: %" PRIu64 " packets, %" PRIu64 " malformed\n", title, (uint64_t)pkts,
		(uint64_t)bad);
	for (int i = 0; i < XTAP_STAT_MAX; i++)
		if (s->c[i])
			fprintf(out, "  %-20s %12" PRIu64 "%s\n", xtap_stat_name(i), (uint64_t)s->c[i],
				i >= XTAP_STAT_BAD_FIRST && i <= XTAP_STAT_BAD_LAST ? "  (malformed)" : "");
}

static void status_json(FILE *out, const struct xtap_query_status *s)
{
	struct json j;

	json_init(&j, out);
	json_open(&j, NULL, '{');
	json_open(&j, "interfaces", '[');
	for (size_t i = 0; i < s->n; i++) {
		const struct xtap_iface *e = &s->ifaces[i].e;
		char hooks[64];

		json_open(&j, NULL, '{');
		json_u64(&j, "slot", s->ifaces[i].slot);
		json_str(&j, "name", e->name);
		json_u64(&j, "ifindex", e->ifindex);
		json_str(&j, "netns", s->ifaces[i].netns);
		json_str(&j, "hooks", xtap_hooks_str(e->hooks, hooks, sizeof(hooks)));
		json_str(&j, "xdp_mode", xtap_xdp_mode_name(e->xdp_mode));
		json_str(&j, "xdp_attach", e->xdp_mode ? (e->xdp_mech ? "libxdp" : "link") : "-");
		json_str(&j, "tc", xtap_tc_mech_name(e->tc_mech));
		json_open(&j, "prog_ids", '{');
		for (int h = 0; h < XTAP_HOOK_MAX; h++)
			if (e->hooks & (1u << h))
				json_u64(&j, xtap_hook_name(h), e->prog_id[h]);
		json_close(&j, '}');
		if (s->ifaces[i].present < 0)
			json_null(&j, "present");
		else
			json_bool(&j, "present", s->ifaces[i].present);
		json_close(&j, '}');
	}
	json_close(&j, ']');
	json_open(&j, "flows", '{');
	json_u64(&j, "max", s->flows_max);
	json_u64(&j, "used", s->flows_used);
	json_u64(&j, "created", s->total.c[XTAP_STAT_FLOW_NEW]);
	json_u64(&j, "evicted", xtap_flows_evicted(&s->total, s->flows_used));
	json_u64(&j, "failed", s->total.c[XTAP_STAT_FLOW_FAIL]);
	json_close(&j, '}');
	json_close(&j, '}');
}

static void status_table(FILE *out, const struct xtap_query_status *s)
{
	fprintf(out, "%-16s %7s %-12s %-26s %-8s %-7s %s\n", "INTERFACE", "IFINDEX", "NETNS",
		"HOOKS", "XDP", "TC", "PROG IDS (xdp/tc-in/tc-eg)");
	for (size_t i = 0; i < s->n; i++) {
		const struct xtap_iface *e = &s->ifaces[i].e;
		char hooks[64];

		fprintf(out, "%-16s %7u %-12s %-26s %-8s %-7s %u/%u/%u%s\n", e->name, e->ifindex,
			s->ifaces[i].netns[0] ? s->ifaces[i].netns : "-",
			xtap_hooks_str(e->hooks, hooks, sizeof(hooks)),
			e->xdp_mode ? xtap_xdp_mode_name(e->xdp_mode) : "-",
			xtap_tc_mech_name(e->tc_mech), e->prog_id[0], e->prog_id[1], e->prog_id[2],
			s->ifaces[i].present == 0 ? "  (interface gone)" : "");
	}
	fprintf(out, "\nflow table: %zu of %u entries in use (%.1f%%); %llu created, %llu evicted, %llu failed\n",
		s->flows_used, s->flows_max,
		s->flows_max ? 100.0 * (double)s->flows_used / s->flows_max : 0.0,
		(unsigned long long)s->total.c[XTAP_STAT_FLOW_NEW],
		(unsigned long long)xtap_flows_evicted(&s->total, s->flows_used),
		(unsigned long long)s->total.c[XTAP_STAT_FLOW_FAIL]);
}

void xtap_status_print(FILE *out, const struct xtap_query_status *s, bool json)
{
	if (json)
		status_json(out, s);
	else if (!s->n)
		fprintf(out, "xtap is not attached to any interface\n");
	else
		status_table(out, s);
}

void xtap_stats_print(FILE *out, const struct xtap_query_status *s, bool json)
{
	struct json j;

	if (json) {
		json_init(&j, out);
		json_open(&j, NULL, '{');
		json_open(&j, "interfaces", '[');
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct xtap_query_iface *q = &s->ifaces[i];

		if (json) {
			json_open(&j, NULL, '{');
			json_str(&j, "name", q->e.name);
			json_str(&j, "netns", q->netns);
			json_open(&j, "hooks", '{');
		}
		for (int h = 0; h < XTAP_HOOK_MAX; h++) {
			char title[96];

			if (!(q->counted & (1u << h)))
				continue;
			if (json) {
				xtap_stats_json(&j, xtap_hook_name(h), &q->stats[h]);
			} else {
				snprintf(title, sizeof(title), "%s%s%s %s", q->e.name,
					 q->netns[0] ? "@" : "", q->netns, xtap_hook_name(h));
				xtap_stats_table(out, title, &q->stats[h]);
			}
		}
		if (json) {
			json_close(&j, '}');
			json_close(&j, '}');
		}
	}
	if (json) {
		json_close(&j, ']');
		xtap_stats_json(&j, "total", &s->total);
		json_close(&j, '}');
	} else {
		xtap_stats_table(out, "total", &s->total);
	}
}
