// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <netinet/in.h>
#include <string.h>

#include "user/ipfix.h"

#define PEN XTAP_IPFIX_PEN

const struct ipfix_ie xtap_ipfix_ies[XIE_MAX] = {
	[XIE_SRC_V4] = { 8, 4, 0, "sourceIPv4Address" },
	[XIE_DST_V4] = { 12, 4, 0, "destinationIPv4Address" },
	[XIE_SRC_V6] = { 27, 16, 0, "sourceIPv6Address" },
	[XIE_DST_V6] = { 28, 16, 0, "destinationIPv6Address" },
	[XIE_SRC_PORT] = { 7, 2, 0, "sourceTransportPort" },
	[XIE_DST_PORT] = { 11, 2, 0, "destinationTransportPort" },
	[XIE_PROTO] = { 4, 1, 0, "protocolIdentifier" },
	[XIE_VLAN] = { 58, 2, 0, "vlanId" },
	[XIE_OCTETS] = { 1, 8, 0, "octetDeltaCount" },
	[XIE_PACKETS] = { 2, 8, 0, "packetDeltaCount" },
	[XIE_START_MS] = { 152, 8, 0, "flowStartMilliseconds" },
	[XIE_END_MS] = { 153, 8, 0, "flowEndMilliseconds" },
	[XIE_TCP_FLAGS] = { 6, 2, 0, "tcpControlBits" },
	[XIE_END_REASON] = { 136, 1, 0, "flowEndReason" },
	[XIE_BIFLOW_DIR] = { 239, 1, 0, "biflowDirection" },
	[XIE_ICMP_V4] = { 32, 2, 0, "icmpTypeCodeIPv4" },
	[XIE_ICMP_V6] = { 139, 2, 0, "icmpTypeCodeIPv6" },
	[XIE_SAMPLING_INTERVAL] = { 305, 4, 0, "samplingPacketInterval" },
	[XIE_SAMPLING_SPACE] = { 306, 4, 0, "samplingPacketSpace" },
	[XIE_L2_SEGMENT_ID] = { 351, 8, 0, "layer2SegmentId" },
	[XIE_HS_SYN_SYNACK_NS] = { 1, 8, PEN, "xtapTcpSynToSynAckNanoseconds" },
	[XIE_HS_SYNACK_ACK_NS] = { 2, 8, PEN, "xtapTcpSynAckToAckNanoseconds" },
	[XIE_OUTCOME] = { 3, 1, PEN, "xtapTcpConnectionOutcome" },
	[XIE_SYN_RETRANS] = { 4, 4, PEN, "xtapTcpSynRetransmissions" },
	[XIE_RETRANS_INIT] = { 5, 4, PEN, "xtapTcpRetransmissionsInitiator" },
	[XIE_RETRANS_RESP] = { 6, 4, PEN, "xtapTcpRetransmissionsResponder" },
	[XIE_PASSIVE_RTT_NS] = { 7, 8, PEN, "xtapPassiveRttNanoseconds" },
	[XIE_HTTP_RESP_NS] = { 8, 8, PEN, "xtapHttpResponseNanoseconds" },
	[XIE_HTTP_STATUS] = { 9, 2, PEN, "xtapHttpStatusCode" },
	[XIE_DNS_RESP_NS] = { 10, 8, PEN, "xtapDnsResponseNanoseconds" },
	[XIE_DNS_RCODE] = { 11, 1, PEN, "xtapDnsResponseCode" },
	[XIE_TLS_SNI] = { 12, XTAP_TLS_SNI_LEN, PEN, "xtapTlsServerName" },
	[XIE_TLS_ALPN] = { 13, XTAP_TLS_ALPN_LEN, PEN, "xtapTlsAlpnProtocol" },
	[XIE_TLS_VERSION] = { 14, 2, PEN, "xtapTlsVersion" },
	[XIE_TLS_CIPHER] = { 15, 2, PEN, "xtapTlsCipherSuite" },
	[XIE_TLS_HELLO_NS] = { 16, 8, PEN, "xtapTlsHelloNanoseconds" },
	[XIE_TLS_HANDSHAKE_NS] = { 17, 8, PEN, "xtapTlsHandshakeNanoseconds" },
	[XIE_TLS_HRR] = { 18, 1, PEN, "xtapTlsHelloRetryRequest" },
	[XIE_LAT_KIND] = { 20, 1, PEN, "xtapLatencyKind" },
	[XIE_LAT_COUNT] = { 21, 8, PEN, "xtapLatencyCount" },
	[XIE_LAT_SUM_NS] = { 22, 8, PEN, "xtapLatencySumNanoseconds" },
	[XIE_LAT_MAX_NS] = { 23, 8, PEN, "xtapLatencyMaxNanoseconds" },
	[XIE_LAT_BUCKETS] = { 24, 8 * XTAP_HIST_BUCKETS, PEN, "xtapLatencyLog2Buckets" },
	[XIE_CGROUP_ID] = { 25, 8, PEN, "xtapCgroupId" },
	[XIE_CGROUP_PATH] = { 26, IPFIX_VARLEN, PEN, "xtapCgroupPath" },
	[XIE_TUN_TYPE] = { 27, 1, PEN, "xtapTunnelType" },
	[XIE_TUN_ID] = { 28, 4, PEN, "xtapTunnelId" },
	[XIE_TUN_OUTER_SRC] = { 29, 16, PEN, "xtapTunnelOuterSource" },
	[XIE_TUN_OUTER_DST] = { 30, 16, PEN, "xtapTunnelOuterDestination" },
};

#define END (-1)

/* The element lists of the templates, in record order. Every flow template
 * starts with the same elements, the tunnel's type and id among them; the
 * initiator's adds the enterprise ones and the tunnel's outer endpoints,
 * and the TLS templates (262/263) are the initiator's followed by TLS's.
 * Every initiator's template ends with the local cgroup's. The tunnel's
 * elements are in every flow template rather than in templates of their
 * own: with four more (tunnel, tunnel and TLS, for IPv4 and IPv6) the
 * template set would outgrow one UDP message, and it goes in one. */
#define FLOW_HEAD(SRC, DST, ICMP)                                                          \
	SRC, DST, XIE_SRC_PORT, XIE_DST_PORT, XIE_PROTO, XIE_VLAN, ICMP, XIE_OCTETS,        \
	XIE_PACKETS, XIE_START_MS, XIE_END_MS, XIE_TCP_FLAGS, XIE_END_REASON, XIE_BIFLOW_DIR, \
	XIE_SAMPLING_INTERVAL, XIE_SAMPLING_SPACE, TUNNEL_KEY
#define TUNNEL_KEY XIE_L2_SEGMENT_ID, XIE_TUN_TYPE, XIE_TUN_ID
#define TUNNEL_OUTER XIE_TUN_OUTER_SRC, XIE_TUN_OUTER_DST
#define FLOW_V4 FLOW_HEAD(XIE_SRC_V4, XIE_DST_V4, XIE_ICMP_V4)
#define FLOW_V6 FLOW_HEAD(XIE_SRC_V6, XIE_DST_V6, XIE_ICMP_V6)
#define FLOW_INIT                                                                          \
	XIE_HS_SYN_SYNACK_NS, XIE_HS_SYNACK_ACK_NS, XIE_OUTCOME, XIE_SYN_RETRANS,           \
	XIE_RETRANS_INIT, XIE_RETRANS_RESP, XIE_PASSIVE_RTT_NS, XIE_HTTP_RESP_NS,           \
	XIE_HTTP_STATUS, XIE_DNS_RESP_NS, XIE_DNS_RCODE
#define TLS_IES XIE_TLS_SNI, XIE_TLS_ALPN, XIE_TLS_VERSION, XIE_TLS_CIPHER, XIE_TLS_HELLO_NS, \
	XIE_TLS_HANDSHAKE_NS, XIE_TLS_HRR
#define OWNER_IES TUNNEL_OUTER, XIE_CGROUP_ID, XIE_CGROUP_PATH
#define SVC(DST)                                                                           \
	DST, XIE_DST_PORT, XIE_PROTO, XIE_START_MS, XIE_END_MS, XIE_LAT_KIND, XIE_LAT_COUNT, \
	XIE_LAT_SUM_NS, XIE_LAT_MAX_NS, XIE_LAT_BUCKETS

static const int flow_v4_init[] = { FLOW_V4, FLOW_INIT, OWNER_IES, END };
static const int flow_v4_resp[] = { FLOW_V4, END };
static const int flow_v6_init[] = { FLOW_V6, FLOW_INIT, OWNER_IES, END };
static const int flow_v6_resp[] = { FLOW_V6, END };
static const int svc_v4[] = { SVC(XIE_DST_V4), END };
static const int svc_v6[] = { SVC(XIE_DST_V6), END };
static const int flow_v4_tls[] = { FLOW_V4, FLOW_INIT, TLS_IES, OWNER_IES, END };
static const int flow_v6_tls[] = { FLOW_V6, FLOW_INIT, TLS_IES, OWNER_IES, END };

static const int *const templates[XTAP_TMPL_LAST - XTAP_TMPL_FIRST + 1] = {
	flow_v4_init, flow_v4_resp, flow_v6_init, flow_v6_resp, svc_v4, svc_v6,
	flow_v4_tls, flow_v6_tls,
};

static const int *tmpl_ies(uint16_t id)
{
	if (id < XTAP_TMPL_FIRST || id > XTAP_TMPL_LAST)
		return NULL;
	return templates[id - XTAP_TMPL_FIRST];
}

size_t xtap_ipfix_record_len(uint16_t id)
{
	const int *ie = tmpl_ies(id);
	size_t n = 0;

	for (; ie && *ie != END; ie++)
		n += xtap_ipfix_ies[*ie].len == IPFIX_VARLEN ? 1 : xtap_ipfix_ies[*ie].len;
	return n;
}

size_t xtap_ipfix_record_size(uint16_t id, const uint8_t *rec, size_t avail)
{
	const int *ie = tmpl_ies(id);
	size_t n = 0;

	if (!ie)
		return 0;
	for (; *ie != END; ie++) {
		size_t len = xtap_ipfix_ies[*ie].len;

		if (len == IPFIX_VARLEN) {
			if (n + 1 > avail)
				return 0;
			len = rec[n++];
			if (len == 255) {
				if (n + 2 > avail)
					return 0;
				len = (size_t)rec[n] << 8 | rec[n + 1];
				n += 2;
			}
		}
		if (n + len > avail)
			return 0;
		n += len;
	}
	return n;
}

/* The bytes a string takes as a variable-length element. */
static size_t varlen_size(const char *s)
{
	size_t n = s ? strnlen(s, XTAP_IPFIX_STR_MAX) : 0;

	return n + (n < 255 ? 1 : 3);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, v);
}

void xtap_ipfix_msg_init(struct xtap_ipfix_msg *m, uint8_t *buf, size_t cap)
{
	m->buf = buf;
	m->cap = cap;
	m->len = IPFIX_HDR_LEN;
	m->set_off = 0;
	m->set_id = 0;
	m->records = 0;
}

static void close_set(struct xtap_ipfix_msg *m)
{
	if (!m->set_off)
		return;
	put16(m->buf + m->set_off, m->set_id);
	put16(m->buf + m->set_off + 2, (uint16_t)(m->len - m->set_off));
	m->set_off = 0;
	m->set_id = 0;
}

/* Room for len more bytes in a set of id (opening one when needed), or NULL. */
static uint8_t *reserve(struct xtap_ipfix_msg *m, uint16_t id, size_t len)
{
	size_t need = len + (m->set_id == id && m->set_off ? 0 : IPFIX_SET_HDR_LEN);
	uint8_t *p;

	if (m->len + need > m->cap || m->len + need > 65535)
		return NULL;
	if (m->set_id != id || !m->set_off) {
		close_set(m);
		m->set_off = m->len;
		m->set_id = id;
		m->len += IPFIX_SET_HDR_LEN;
	}
	p = m->buf + m->len;
	m->len += len;
	return p;
}

bool xtap_ipfix_put_templates(struct xtap_ipfix_msg *m)
{
	size_t len = 0;
	uint8_t *p;

	for (uint16_t id = XTAP_TMPL_FIRST; id <= XTAP_TMPL_LAST; id++) {
		len += 4;
		for (const int *ie = tmpl_ies(id); *ie != END; ie++)
			len += xtap_ipfix_ies[*ie].pen ? 8 : 4;
	}
	close_set(m);	/* templates get a set of their own */
	p = reserve(m, IPFIX_SET_TEMPLATE, len);
	if (!p)
		return false;
	for (uint16_t id = XTAP_TMPL_FIRST; id <= XTAP_TMPL_LAST; id++) {
		const int *ies = tmpl_ies(id);
		uint16_t n = 0;

		for (const int *ie = ies; *ie != END; ie++)
			n++;
		put16(p, id);
		put16(p + 2, n);
		p += 4;
		for (const int *ie = ies; *ie != END; ie++) {
			const struct ipfix_ie *e = &xtap_ipfix_ies[*ie];

			put16(p, e->id | (e->pen ? IPFIX_ENTERPRISE_BIT : 0));
			put16(p + 2, e->len);
			p += 4;
			if (e->pen) {
				put32(p, e->pen);
				p += 4;
			}
		}
	}
	close_set(m);
	return true;
}

static const uint8_t *side_addr(const struct xtap_flow_key *k, int side)
{
	return side ? k->addr_b : k->addr_a;
}

static int is_icmp(const struct xtap_flow_key *k)
{
	return k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6;
}

/* ICMP type and code of a direction: the key folds echo replies onto their
 * request's type, so the responder's direction gets the reply's back. */
static uint16_t icmp_type_code(const struct xtap_flow_key *k, bool reverse)
{
	uint16_t tc = k->port_b;

	if (!is_icmp(k))
		return 0;
	if (reverse && k->proto == IPPROTO_ICMP && (tc >> 8) == 8)
		tc = (uint16_t)(tc & 0xff);		/* echo reply: type 0 */
	else if (reverse && k->proto == IPPROTO_ICMPV6 && (tc >> 8) == 128)
		tc = (uint16_t)(129 << 8 | (tc & 0xff));	/* echo reply */
	return tc;
}

bool xtap_ipfix_put_flow(struct xtap_ipfix_msg *m, const struct xtap_ipfix_flow *f)
{
	const struct xtap_flow_key *k = &f->key;
	int v6 = k->ip_version == 6, s = f->src_side & 1, d = !s;
	uint16_t id = v6 ? (f->reverse ? XTAP_TMPL_V6_RESP : f->tls ? XTAP_TMPL_V6_TLS : XTAP_TMPL_V6_INIT)
			 : (f->reverse ? XTAP_TMPL_V4_RESP : f->tls ? XTAP_TMPL_V4_TLS : XTAP_TMPL_V4_INIT);
	const int *ies = tmpl_ies(id);
	size_t len = xtap_ipfix_record_len(id);
	uint8_t *p;

	for (const int *ie = ies; *ie != END; ie++)
		if (*ie == XIE_CGROUP_PATH)
			len += varlen_size(f->cgroup_path) - 1;
	p = reserve(m, id, len);
	if (!p)
		return false;
	for (const int *ie = ies; *ie != END; ie++) {
		if (*ie == XIE_CGROUP_PATH) {
			size_t n = f->cgroup_path ? strnlen(f->cgroup_path, XTAP_IPFIX_STR_MAX) : 0;

			if (n < 255) {
				*p++ = (uint8_t)n;
			} else {
				*p++ = 255;
				put16(p, (uint16_t)n);
				p += 2;
			}
			memcpy(p, f->cgroup_path ? f->cgroup_path : "", n);
			p += n;
			continue;
		}
		switch (*ie) {
		case XIE_SRC_V4: memcpy(p, side_addr(k, s) + 12, 4); break;
		case XIE_DST_V4: memcpy(p, side_addr(k, d) + 12, 4); break;
		case XIE_SRC_V6: memcpy(p, side_addr(k, s), 16); break;
		case XIE_DST_V6: memcpy(p, side_addr(k, d), 16); break;
		/* ICMP: the key's ports are the echo id and type/code, not
		 * endpoint properties: ports 0, type/code in its own element */
		case XIE_SRC_PORT: put16(p, is_icmp(k) ? 0 : s ? k->port_b : k->port_a); break;
		case XIE_DST_PORT: put16(p, is_icmp(k) ? 0 : d ? k->port_b : k->port_a); break;
		case XIE_PROTO: *p = k->proto; break;
		case XIE_VLAN: put16(p, k->vlan); break;
		case XIE_ICMP_V4:
		case XIE_ICMP_V6: put16(p, icmp_type_code(k, f->reverse)); break;
		case XIE_OCTETS: put64(p, f->octets); break;
		case XIE_PACKETS: put64(p, f->packets); break;
		case XIE_START_MS: put64(p, f->start_ms); break;
		case XIE_END_MS: put64(p, f->end_ms); break;
		case XIE_TCP_FLAGS: put16(p, f->tcp_flags); break;
		case XIE_END_REASON: *p = f->end_reason; break;
		case XIE_BIFLOW_DIR:
			*p = f->reverse ? IPFIX_BIFLOW_REVERSE_INITIATOR : IPFIX_BIFLOW_INITIATOR;
			break;
		case XIE_SAMPLING_INTERVAL: put32(p, 1); break;
		case XIE_SAMPLING_SPACE: put32(p, f->sampling > 1 ? f->sampling - 1 : 0); break;
		case XIE_HS_SYN_SYNACK_NS: put64(p, f->syn_synack_ns); break;
		case XIE_HS_SYNACK_ACK_NS: put64(p, f->synack_ack_ns); break;
		case XIE_OUTCOME: *p = f->outcome; break;
		case XIE_SYN_RETRANS: put32(p, f->syn_retransmits); break;
		case XIE_RETRANS_INIT: put32(p, f->retrans_init); break;
		case XIE_RETRANS_RESP: put32(p, f->retrans_resp); break;
		case XIE_PASSIVE_RTT_NS: put64(p, f->passive_rtt_ns); break;
		case XIE_HTTP_RESP_NS: put64(p, f->http_resp_ns); break;
		case XIE_HTTP_STATUS: put16(p, f->http_status); break;
		case XIE_DNS_RESP_NS: put64(p, f->dns_resp_ns); break;
		case XIE_DNS_RCODE: *p = f->dns_rcode; break;
		case XIE_TLS_SNI: memcpy(p, f->tls_sni, XTAP_TLS_SNI_LEN); break;
		case XIE_TLS_ALPN: memcpy(p, f->tls_alpn, XTAP_TLS_ALPN_LEN); break;
		case XIE_TLS_VERSION: put16(p, f->tls_version); break;
		case XIE_TLS_CIPHER: put16(p, f->tls_cipher); break;
		case XIE_TLS_HELLO_NS: put64(p, f->tls_hello_ns); break;
		case XIE_TLS_HANDSHAKE_NS: put64(p, f->tls_handshake_ns); break;
		case XIE_TLS_HRR: *p = f->tls_hrr; break;
		case XIE_CGROUP_ID: put64(p, f->cgroup_id); break;
		case XIE_L2_SEGMENT_ID:
			put64(p, k->tun_type == XTAP_TUN_VXLAN
					 ? (uint64_t)IPFIX_L2SEG_VXLAN << 56 | (k->tun_id & 0xffffff)
					 : 0);
			break;
		case XIE_TUN_TYPE: *p = k->tun_type; break;
		case XIE_TUN_ID: put32(p, k->tun_id); break;
		case XIE_TUN_OUTER_SRC: memcpy(p, f->tun_outer[s], 16); break;
		case XIE_TUN_OUTER_DST: memcpy(p, f->tun_outer[d], 16); break;
		default: memset(p, 0, xtap_ipfix_ies[*ie].len); break;
		}
		p += xtap_ipfix_ies[*ie].len;
	}
	m->records++;
	return true;
}

bool xtap_ipfix_put_svc(struct xtap_ipfix_msg *m, const struct xtap_ipfix_svc *sv)
{
	int v6 = !(memcmp(sv->key.addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0);
	uint16_t id = v6 ? XTAP_TMPL_SVC_V6 : XTAP_TMPL_SVC_V4;
	uint8_t *p = reserve(m, id, xtap_ipfix_record_len(id));

	if (!p)
		return false;
	for (const int *ie = tmpl_ies(id); *ie != END; ie++) {
		switch (*ie) {
		case XIE_DST_V4: memcpy(p, sv->key.addr + 12, 4); break;
		case XIE_DST_V6: memcpy(p, sv->key.addr, 16); break;
		case XIE_DST_PORT: put16(p, sv->key.port); break;
		case XIE_PROTO: *p = sv->key.proto; break;
		case XIE_START_MS: put64(p, sv->start_ms); break;
		case XIE_END_MS: put64(p, sv->end_ms); break;
		case XIE_LAT_KIND: *p = sv->key.kind; break;
		case XIE_LAT_COUNT: put64(p, sv->count); break;
		case XIE_LAT_SUM_NS: put64(p, sv->sum_ns); break;
		case XIE_LAT_MAX_NS: put64(p, sv->max_ns); break;
		case XIE_LAT_BUCKETS:
			for (int i = 0; i < XTAP_HIST_BUCKETS; i++)
				put64(p + 8 * i, sv->bucket[i]);
			break;
		default: memset(p, 0, xtap_ipfix_ies[*ie].len); break;
		}
		p += xtap_ipfix_ies[*ie].len;
	}
	m->records++;
	return true;
}

size_t xtap_ipfix_msg_finish(struct xtap_ipfix_msg *m, uint32_t export_time, uint32_t seq,
			     uint32_t domain)
{
	close_set(m);
	put16(m->buf, IPFIX_VERSION);
	put16(m->buf + 2, (uint16_t)m->len);
	put32(m->buf + 4, export_time);
	put32(m->buf + 8, seq);
	put32(m->buf + 12, domain);
	return m->len;
}
