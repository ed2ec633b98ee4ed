/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * IPFIX (RFC 7011) encoding of flow and service-latency records: the
 * information elements xtap exports, its templates, and a message builder.
 * Pure byte work: no sockets here (user/export_ipfix.c sends).
 *
 * Each conversation is exported as two uniflow records, one per direction,
 * marked with biflowDirection (RFC 5103 section 6.3): 1 for the initiator's
 * direction, 2 for the responder's. Every collector decodes uniflows (nfdump
 * stores them as they are), where reverse elements under PEN 29305 are not
 * decoded by all. The initiator's record carries xtap's enterprise elements
 * (PEN 32473, the documentation number of RFC 5612), the responder's record
 * does not, so that a collector summing records counts each handshake once;
 * the tunnel's type and id, part of the flow's key, go on both.
 */
#ifndef XTAP_USER_IPFIX_H
#define XTAP_USER_IPFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maps/xtap.h"

#define IPFIX_VERSION 10
#define IPFIX_HDR_LEN 16
#define IPFIX_SET_HDR_LEN 4
#define IPFIX_SET_TEMPLATE 2
#define IPFIX_ENTERPRISE_BIT 0x8000

/* The private enterprise number of xtap's own elements. */
#define XTAP_IPFIX_PEN 32473u

/* flowEndReason (IANA IE 136) */
enum ipfix_end_reason {
	IPFIX_END_IDLE = 1,
	IPFIX_END_ACTIVE = 2,
	IPFIX_END_OF_FLOW = 3,	/* FIN both ways or RST */
	IPFIX_END_FORCED = 4,	/* the exporter stopped */
	IPFIX_END_LACK_OF_RESOURCES = 5,
};

/* biflowDirection (IANA IE 239) */
enum ipfix_biflow_dir {
	IPFIX_BIFLOW_INITIATOR = 1,
	IPFIX_BIFLOW_REVERSE_INITIATOR = 2,
};

/* The segment types of layer2SegmentId (IANA IE 351), its top byte. */
#define IPFIX_L2SEG_VXLAN 0x01

/*
 * Every element xtap can export, standard (pen 0) and its own (pen
 * XTAP_IPFIX_PEN). xtap's elements are numbered in this one table; the
 * README lists the same numbers. Unmeasured times are sent as all ones.
 */
enum xtap_ie {
	XIE_SRC_V4, XIE_DST_V4, XIE_SRC_V6, XIE_DST_V6,
	XIE_SRC_PORT, XIE_DST_PORT, XIE_PROTO, XIE_VLAN,
	XIE_OCTETS, XIE_PACKETS, XIE_START_MS, XIE_END_MS,
	XIE_TCP_FLAGS, XIE_END_REASON, XIE_BIFLOW_DIR,
	XIE_ICMP_V4, XIE_ICMP_V6,
	/* sampled flows (xtap attach --sampling N): 1 and N - 1, on average one
	 * packet accounted in every N; 1 and 0 for a flow counted in full */
	XIE_SAMPLING_INTERVAL, XIE_SAMPLING_SPACE,
	/* a flow inside a tunnel: layer2SegmentId (RFC 7133), the segment
	 * type in the top byte (0x01 VxLAN) and the VNI in the low three
	 * bytes; 0 for the encapsulations the registry has no type for
	 * (Geneve, GRE, ERSPAN, IP in IP) and outside any tunnel */
	XIE_L2_SEGMENT_ID,
	/* PEN 32473: per flow, on the initiator's record */
	XIE_HS_SYN_SYNACK_NS,	/* 1: SYN to SYN-ACK, ns */
	XIE_HS_SYNACK_ACK_NS,	/* 2: SYN-ACK to ACK, ns */
	XIE_OUTCOME,		/* 3: enum xtap_outcome */
	XIE_SYN_RETRANS,	/* 4: SYNs after the first */
	XIE_RETRANS_INIT,	/* 5: TCP retransmissions, initiator to responder,
				 * since the flow's last record (a delta) */
	XIE_RETRANS_RESP,	/* 6: the same, responder to initiator */
	XIE_PASSIVE_RTT_NS,	/* 7: passive RTT (TCP timestamps), ns: the mean
				 * of the initiator's samples so far */
	XIE_HTTP_RESP_NS,	/* 8: HTTP request to response, ns: the mean of
				 * the flow's timed responses so far */
	XIE_HTTP_STATUS,	/* 9: the last HTTP status code */
	XIE_DNS_RESP_NS,	/* 10: DNS query to response, ns: the mean of the
				 * flow's timed responses so far */
	XIE_DNS_RCODE,		/* 11: the last DNS response code */
	/* PEN 32473: TLS, on the initiator's record of a flow with a TLS
	 * handshake (templates 262 and 263) */
	XIE_TLS_SNI,		/* 12: server_name, NUL padded to 64 bytes */
	XIE_TLS_ALPN,		/* 13: the first ALPN protocol offered, NUL padded to 16 */
	XIE_TLS_VERSION,	/* 14: the chosen version (0x0304: TLS 1.3) */
	XIE_TLS_CIPHER,		/* 15: the chosen cipher suite */
	XIE_TLS_HELLO_NS,	/* 16: ClientHello to the first ServerHello, ns */
	XIE_TLS_HANDSHAKE_NS,	/* 17: ClientHello to the client's first
				 * application data, ns */
	XIE_TLS_HRR,		/* 18: 1 after a HelloRetryRequest, else 0 */
	/* PEN 32473: service latency records (the xtap_hist map) */
	XIE_LAT_KIND,		/* 20: enum xtap_lat_kind */
	XIE_LAT_COUNT,		/* 21: samples since the last record */
	XIE_LAT_SUM_NS,		/* 22: their sum, ns */
	XIE_LAT_MAX_NS,		/* 23: the largest sample so far, ns */
	XIE_LAT_BUCKETS,	/* 24: XTAP_HIST_BUCKETS unsigned64 counts
				 * since the last record, big endian */
	/* the local workload (kern/lib/owner.h), the initiator's records */
	XIE_CGROUP_ID,		/* 25: the cgroup v2 id of a local socket, 0: none */
	XIE_CGROUP_PATH,	/* 26: its path below the cgroup2 mount point,
				 * variable length; empty when unknown */
	/* PEN 32473: the tunnel a flow travels in (kern/lib/tunnel.h); 0
	 * outside any. Type and id on every flow record, the outer endpoints
	 * on the initiator's */
	XIE_TUN_TYPE,		/* 27: enum xtap_tun_type */
	XIE_TUN_ID,		/* 28: VXLAN/Geneve VNI, GRE key, ERSPAN session id */
	XIE_TUN_OUTER_SRC,	/* 29: the outer source of the record's direction,
				 * ipv6Address, IPv4-mapped for IPv4; :: unknown */
	XIE_TUN_OUTER_DST,	/* 30: its outer destination, likewise */
	XIE_MAX,
};

/* The length of a variable-length element in a template (RFC 7011 section
 * 7): in a record, a length byte (255: two more bytes hold it) and the
 * bytes. */
#define IPFIX_VARLEN 65535
/* Bytes of a string element at most: longer paths are cut. */
#define XTAP_IPFIX_STR_MAX 1024

struct ipfix_ie {
	uint16_t id;
	uint16_t len;		/* IPFIX_VARLEN: variable */
	uint32_t pen;		/* 0: IANA */
	const char *name;
};

extern const struct ipfix_ie xtap_ipfix_ies[XIE_MAX];

/* Template IDs. */
enum {
	XTAP_TMPL_V4_INIT = 256,	/* IPv4, initiator's direction */
	XTAP_TMPL_V4_RESP = 257,	/* IPv4, responder's direction */
	XTAP_TMPL_V6_INIT = 258,
	XTAP_TMPL_V6_RESP = 259,
	XTAP_TMPL_SVC_V4 = 260,	/* service latency, IPv4 server */
	XTAP_TMPL_SVC_V6 = 261,
	XTAP_TMPL_V4_TLS = 262,	/* IPv4, initiator's direction, with TLS */
	XTAP_TMPL_V6_TLS = 263,
	XTAP_TMPL_FIRST = XTAP_TMPL_V4_INIT,
	XTAP_TMPL_LAST = XTAP_TMPL_V6_TLS,
};

/* Bytes of one data record of template id with its variable-length
 * elements empty (0 for an unknown id): the fixed size of a template
 * without any. */
size_t xtap_ipfix_record_len(uint16_t tmpl);
/* Bytes of the record of template tmpl at rec, its variable-length
 * elements read; 0 when it does not fit in avail bytes or tmpl is unknown. */
size_t xtap_ipfix_record_size(uint16_t tmpl, const uint8_t *rec, size_t avail);

/* One direction of one flow, ready to encode. */
struct xtap_ipfix_flow {
	struct xtap_flow_key key;
	bool reverse;		/* responder to initiator */
	uint8_t src_side;	/* 0: key side a is the source, 1: side b */
	uint64_t octets, packets;	/* deltas */
	uint64_t start_ms, end_ms;	/* since the epoch */
	uint16_t tcp_flags;
	uint8_t end_reason;	/* enum ipfix_end_reason */
	uint32_t sampling;	/* 1 in N packets counted: octets and packets are
				 * estimates when N > 1; 0 and 1, exact */
	/* initiator's record only */
	uint64_t syn_synack_ns, synack_ack_ns;	/* UINT64_MAX: not measured */
	uint8_t outcome;
	uint32_t syn_retransmits;
	uint32_t retrans_init, retrans_resp;	/* deltas; 0 when not TCP */
	uint64_t passive_rtt_ns;		/* UINT64_MAX: not measured */
	uint64_t http_resp_ns, dns_resp_ns;	/* UINT64_MAX: not measured */
	uint16_t http_status;			/* UINT16_MAX: none */
	uint8_t dns_rcode;			/* UINT8_MAX: none */
	/* TLS: the initiator's record goes with template 262/263 */
	bool tls;
	char tls_sni[XTAP_TLS_SNI_LEN];		/* NUL padded */
	char tls_alpn[XTAP_TLS_ALPN_LEN];
	uint16_t tls_version, tls_cipher;	/* UINT16_MAX: no ServerHello */
	uint64_t tls_hello_ns, tls_handshake_ns;	/* UINT64_MAX: not measured */
	uint8_t tls_hrr;
	/* the local cgroup: id 0 when none, path NULL when unknown */
	uint64_t cgroup_id;
	const char *cgroup_path;
	/* a tunnel flow's outer endpoints (the key holds its type and id):
	 * tun_outer[0] the tunnel end on the key's side a, [1] on side b;
	 * IPv4-mapped for IPv4, all zeros when unknown */
	uint8_t tun_outer[2][16];
};

struct xtap_ipfix_svc {
	struct xtap_svc_key key;
	uint64_t start_ms, end_ms;	/* the interval the counts cover */
	uint64_t count, sum_ns, max_ns;
	uint64_t bucket[XTAP_HIST_BUCKETS];
};

/*
 * A message under construction in a caller's buffer: header, then sets.
 * Records of one template share a set; adding a record of another template
 * closes the set. Functions return false when the record does not fit (the
 * caller sends the message and starts another).
 */
struct xtap_ipfix_msg {
	uint8_t *buf;
	size_t cap, len;
	size_t set_off;		/* offset of the open set's header, 0: none */
	uint16_t set_id;
	uint32_t records;	/* data records in this message */
};

void xtap_ipfix_msg_init(struct xtap_ipfix_msg *m, uint8_t *buf, size_t cap);
/* Adds one template set with every template. */
bool xtap_ipfix_put_templates(struct xtap_ipfix_msg *m);
bool xtap_ipfix_put_flow(struct xtap_ipfix_msg *m, const struct xtap_ipfix_flow *f);
bool xtap_ipfix_put_svc(struct xtap_ipfix_msg *m, const struct xtap_ipfix_svc *s);
/* Closes the open set and writes the header; returns the message length. */
size_t xtap_ipfix_msg_finish(struct xtap_ipfix_msg *m, uint32_t export_time, uint32_t seq,
			     uint32_t domain);

#endif
