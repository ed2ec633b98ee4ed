// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "loader/attach.h"
#include "loader/drops.h"
#include "user/drops.h"
#include "user/json.h"
#include "user/log.h"
#include "user/names.h"

static const char *const class_names[XTAP_DROP_CLASS_MAX] = {
	[XTAP_DROP_LOSS] = "loss",
	[XTAP_DROP_DELIVERED] = "delivered",
	[XTAP_DROP_TEARDOWN] = "teardown",
	[XTAP_DROP_DUPLICATE] = "duplicate",
	[XTAP_DROP_NOT_OURS] = "not-ours",
};

const char *xtap_drop_class_name(enum xtap_drop_class c)
{
	return (unsigned int)c < XTAP_DROP_CLASS_MAX ? class_names[c] : "?";
}

/* The reasons that are never a loss, whatever the packet (the kernel's
 * include/net/dropreason-core.h says what each means). */
static const struct {
	const char *reason;
	enum xtap_drop_class cls;
} reason_class[] = {
	/* a socket's queues freed in bulk as it closes (the peer's FIN
	 * that ended it, data the application never read) */
	{ "QUEUE_PURGE", XTAP_DROP_TEARDOWN },
	{ "SOCKET_CLOSE", XTAP_DROP_TEARDOWN },
	/* a segment for a socket already in CLOSE */
	{ "TCP_CLOSE", XTAP_DROP_TEARDOWN },
	/* data or an acknowledgement the receiver already had: the copy of a
	 * retransmission, a reordered ACK */
	{ "TCP_OLD_DATA", XTAP_DROP_DUPLICATE },
	{ "TCP_OFOMERGE", XTAP_DROP_DUPLICATE },
	{ "TCP_OFO_DROP", XTAP_DROP_DUPLICATE },
	{ "TCP_OLD_SEQUENCE", XTAP_DROP_DUPLICATE },
	{ "TCP_OLD_ACK", XTAP_DROP_DUPLICATE },
	{ "DUP_FRAG", XTAP_DROP_DUPLICATE },
	/* for another host: seen in promiscuous mode, or a neighbour
	 * solicitation for an address not ours */
	{ "OTHERHOST", XTAP_DROP_NOT_OURS },
	{ "IPV6_NDISC_NS_OTHERHOST", XTAP_DROP_NOT_OURS },
};

#define XTAP_TCP_TIME_WAIT 6	/* the kernel's TCP_TIME_WAIT */

static bool drop_multicast(const struct xtap_flow_key *k)
{
	/* a source is never multicast: either end being one is the destination */
	if (k->ip_version == 4)
		return (k->addr_a[12] & 0xf0) == 0xe0 || (k->addr_b[12] & 0xf0) == 0xe0 ||
		       !memcmp(k->addr_a + 12, "\xff\xff\xff\xff", 4) ||
		       !memcmp(k->addr_b + 12, "\xff\xff\xff\xff", 4);
	return k->addr_a[0] == 0xff || k->addr_b[0] == 0xff;
}

enum xtap_drop_class xtap_drop_classify(const char *reason, const struct xtap_drop_key *k)
{
	__u8 proto = k->flow.proto;

	for (size_t i = 0; i < sizeof(reason_class) / sizeof(reason_class[0]); i++)
		if (!strcmp(reason, reason_class[i].reason))
			return reason_class[i].cls;
	/* ICMP hands echo replies and errors to the raw sockets first (ping's
	 * among them), then frees its own copy with NO_SOCKET when no ping
	 * socket wants it. A UDP or TCP packet with no socket is a loss: the
	 * port is closed. */
	if (!strcmp(reason, "NO_SOCKET") && (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6))
		return XTAP_DROP_DELIVERED;
	if (!strcmp(reason, "NOT_SPECIFIED")) {
		/* a TIME_WAIT socket answers the peer's last FIN or ACK and
		 * frees it without a reason */
		if (proto == IPPROTO_TCP && k->sk_state == XTAP_TCP_TIME_WAIT)
			return XTAP_DROP_TEARDOWN;
		/* a multicast group or broadcast this host has not joined */
		if (drop_multicast(&k->flow))
			return XTAP_DROP_NOT_OURS;
	}
	return XTAP_DROP_LOSS;
}

int xtap_drops_read(int fd, struct xtap_drops *out)
{
	struct xtap_drop_key k, last, *prev = NULL;
	struct xtap_drop_entry *grown;
	char reason[64];
	size_t cap = 0;

	out->d = NULL;
	out->n = 0;
	while (bpf_map_get_next_key(fd, prev, &k) == 0) {
		last = k;
		prev = &last;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 64;
			grown = realloc(out->d, cap * sizeof(*out->d));
			if (!grown) {
				xtap_drops_free(out);
				return -ENOMEM;
			}
			out->d = grown;
		}
		if (bpf_map_lookup_elem(fd, &k, &out->d[out->n].val))
			continue;	/* removed meanwhile */
		out->d[out->n].key = k;
		out->d[out->n].cls =
			xtap_drop_classify(xtap_drop_reason_name(k.reason, reason, sizeof(reason)), &k);
		out->n++;
	}
	return 0;
}

void xtap_drops_free(struct xtap_drops *d)
{
	free(d->d);
	d->d = NULL;
	d->n = 0;
}

__u64 xtap_drops_of_flow(const struct xtap_flow_key *k, void *arg)
{
	const struct xtap_drops *d = arg;
	__u64 sum = 0;

	for (size_t i = 0; i < d->n; i++)
		if (d->d[i].cls == XTAP_DROP_LOSS && !memcmp(&d->d[i].key.flow, k, sizeof(*k)))
			sum += d->d[i].val.pkts;
	return sum;
}

static int drop_cmp(const void *a, const void *b)
{
	const struct xtap_drop_entry *x = a, *y = b;

	if (x->val.pkts != y->val.pkts)
		return x->val.pkts > y->val.pkts ? -1 : 1;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

int xtap_drops_query(const struct xtap_state *st, struct xtap_drops *out)
{
	int fd = xtap_map_open(st, "xtap_drops"), err;

	out->d = NULL;
	out->n = 0;
	if (fd < 0) {
		xtap_err("drops: the drop tracepoint is not loaded (%s)", strerror(-fd));
		return -1;
	}
	err = xtap_drops_read(fd, out);
	close(fd);
	if (err) {
		xtap_err("drops: read: %s", strerror(-err));
		return -1;
	}
	if (out->n)
		qsort(out->d, out->n, sizeof(*out->d), drop_cmp);
	return 0;
}

/* The attached interface with this ifindex in this namespace, or "ifindex N". */
static void drop_iface(const struct xtap_state *st, const struct xtap_drop_key *k, char *buf,
		       size_t len)
{
	for (__u32 s = 0; s < XTAP_MAX_SLOTS; s++) {
		struct xtap_iface e;

		if (xtap_iface_get(st, s, &e) == 0 && e.ifindex == k->ifindex &&
		    (__u32)e.netns_ino == k->netns_ino) {
			snprintf(buf, len, "%s", e.name);
			return;
		}
	}
	if (k->ifindex)
		snprintf(buf, len, "ifindex %u", k->ifindex);
	else
		snprintf(buf, len, "-");
}

static void drop_endpoint(const struct xtap_flow_key *k, int side, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	int ports = k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP || k->proto == IPPROTO_SCTP;

	xtap_addr_str(side ? k->addr_b : k->addr_a, k->ip_version, a, sizeof(a));
	if (!ports)
		snprintf(buf, len, "%s", a);
	else if (k->ip_version == 6)
		snprintf(buf, len, "[%s]:%u", a, side ? k->port_b : k->port_a);
	else
		snprintf(buf, len, "%s:%u", a, side ? k->port_b : k->port_a);
}

void xtap_drops_print(FILE *out, const struct xtap_state *st, const struct xtap_drops *d, bool json,
		      bool all)
{
	struct json j;

	if (json) {
		json_init(&j, out);
		json_open(&j, NULL, '{');
		json_open(&j, "drops", '[');
	} else {
		fprintf(out, "%-6s %-44s %-44s %-16s %-24s %s%9s %9s\n", "PROTO", "A", "B", "IFACE",
			"REASON", all ? "CLASS      " : "", "PKTS", "BYTES");
	}
	for (size_t i = 0; i < d->n; i++) {
		const struct xtap_drop_entry *e = &d->d[i];
		const struct xtap_flow_key *f = &e->key.flow;
		char a[64], b[64], ifn[32], reason[64], proto[16];
		const char *pn = xtap_proto_name(f->proto), *cls = xtap_drop_class_name(e->cls);

		if (!all && e->cls != XTAP_DROP_LOSS)
			continue;
		if (pn)
			snprintf(proto, sizeof(proto), "%s", pn);
		else
			snprintf(proto, sizeof(proto), "%u", f->proto);
		drop_endpoint(f, 0, a, sizeof(a));
		drop_endpoint(f, 1, b, sizeof(b));
		drop_iface(st, &e->key, ifn, sizeof(ifn));
		xtap_drop_reason_name(e->key.reason, reason, sizeof(reason));
		if (json) {
			json_open(&j, NULL, '{');
			json_str(&j, "proto", proto);
			json_u64(&j, "ip_version", f->ip_version);
			json_str(&j, "a", a);
			json_str(&j, "b", b);
			json_str(&j, "iface", ifn);
			json_u64(&j, "ifindex", e->key.ifindex);
			json_u64(&j, "netns_ino", e->key.netns_ino);
			json_str(&j, "reason", reason);
			json_u64(&j, "reason_code", e->key.reason);
			json_str(&j, "class", cls);
			json_u64(&j, "packets", e->val.pkts);
			json_u64(&j, "bytes", e->val.bytes);
			json_close(&j, '}');
		} else {
			fprintf(out, "%-6s %-44s %-44s %-16s %-24s %-*s%9" PRIu64 " %9" PRIu64 "\n",
				proto, a, b, ifn, reason, all ? 11 : 0, all ? cls : "",
				(uint64_t)e->val.pkts, (uint64_t)e->val.bytes);
		}
	}
	if (json) {
		json_close(&j, ']');
		json_close(&j, '}');
		fputc('\n', out);
	}
}
