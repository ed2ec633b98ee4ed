// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* user/ipfix.c: template and data set bytes against hand-checked ones;
 * user/export.c: which deltas go out when. */
#include <errno.h>
#include <netinet/in.h>

#include "tests/unit/unit_util.h"
#include "user/export.h"
#include "user/ipfix.h"

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)be16(p) << 16 | be16(p + 2);
}

static void test_record_lengths(void **state)
{
	(void)state;
	/* 4+4+2+2+1+2+2 (keys, icmp) + 8+8+8+8 (counts, times) + 2+1+1
	 * (flags, reason, direction) + 4+4 (sampling) + 8+1+4 (segment id,
	 * tunnel type and id) = 74; + 8+8+1+4 (handshake) + 4+4+8
	 * (retransmissions, passive RTT) + 8+2+8+1 (HTTP, DNS) + 16+16 (the
	 * tunnel's outer endpoints) + 8+1 (cgroup id, an empty path) = 171 */
	assert_int_equal(xtap_ipfix_record_len(XTAP_TMPL_V4_INIT), 171);
	assert_int_equal(xtap_ipfix_record_len(XTAP_TMPL_V4_RESP), 74);
	assert_int_equal(xtap_ipfix_record_len(XTAP_TMPL_V6_INIT), 195);
	assert_int_equal(xtap_ipfix_record_len(XTAP_TMPL_V6_RESP), 98);
	/* 4+2+1+8+8 + 1+8+8+8+320 */
	assert_int_equal(xtap_ipfix_record_len(XTAP_TMPL_SVC_V4), 368);
	assert_int_equal(xtap_ipfix_record_len(XTAP_TMPL_SVC_V6), 380);
	/* with TLS: + 64 + 16 + 2 + 2 + 8 + 8 + 1 */
	assert_int_equal(xtap_ipfix_record_len(XTAP_TMPL_V4_TLS), 171 + 101);
	assert_int_equal(xtap_ipfix_record_len(XTAP_TMPL_V6_TLS), 195 + 101);
	assert_int_equal(xtap_ipfix_record_len(255), 0);
}

static void test_templates(void **state)
{
	uint8_t buf[2048];
	struct xtap_ipfix_msg m;
	size_t len, off;
	/* template 257, IPv4 responder's direction, as RFC 7011 lays it out */
	static const uint8_t t257[] = {
		0x01, 0x01, 0x00, 0x13,		/* id 257, 19 fields */
		0x00, 0x08, 0x00, 0x04,		/* sourceIPv4Address */
		0x00, 0x0c, 0x00, 0x04,		/* destinationIPv4Address */
		0x00, 0x07, 0x00, 0x02,		/* sourceTransportPort */
		0x00, 0x0b, 0x00, 0x02,		/* destinationTransportPort */
		0x00, 0x04, 0x00, 0x01,		/* protocolIdentifier */
		0x00, 0x3a, 0x00, 0x02,		/* vlanId */
		0x00, 0x20, 0x00, 0x02,		/* icmpTypeCodeIPv4 */
		0x00, 0x01, 0x00, 0x08,		/* octetDeltaCount */
		0x00, 0x02, 0x00, 0x08,		/* packetDeltaCount */
		0x00, 0x98, 0x00, 0x08,		/* flowStartMilliseconds */
		0x00, 0x99, 0x00, 0x08,		/* flowEndMilliseconds */
		0x00, 0x06, 0x00, 0x02,		/* tcpControlBits */
		0x00, 0x88, 0x00, 0x01,		/* flowEndReason */
		0x00, 0xef, 0x00, 0x01,		/* biflowDirection */
		0x01, 0x31, 0x00, 0x04,		/* samplingPacketInterval */
		0x01, 0x32, 0x00, 0x04,		/* samplingPacketSpace */
		0x01, 0x5f, 0x00, 0x08,		/* layer2SegmentId */
		0x80, 0x1b, 0x00, 0x01, 0x00, 0x00, 0x7e, 0xd9,	/* xtapTunnelType */
		0x80, 0x1c, 0x00, 0x04, 0x00, 0x00, 0x7e, 0xd9,	/* xtapTunnelId */
	};
	/* the enterprise tail of template 256: bit 15, id, length, PEN 32473 */
	static const uint8_t t256_tail[] = {
		0x80, 0x01, 0x00, 0x08, 0x00, 0x00, 0x7e, 0xd9,
		0x80, 0x02, 0x00, 0x08, 0x00, 0x00, 0x7e, 0xd9,
		0x80, 0x03, 0x00, 0x01, 0x00, 0x00, 0x7e, 0xd9,
		0x80, 0x04, 0x00, 0x04, 0x00, 0x00, 0x7e, 0xd9,
		0x80, 0x05, 0x00, 0x04, 0x00, 0x00, 0x7e, 0xd9,
		0x80, 0x06, 0x00, 0x04, 0x00, 0x00, 0x7e, 0xd9,
		0x80, 0x07, 0x00, 0x08, 0x00, 0x00, 0x7e, 0xd9,
		0x80, 0x08, 0x00, 0x08, 0x00, 0x00, 0x7e, 0xd9,
		0x80, 0x09, 0x00, 0x02, 0x00, 0x00, 0x7e, 0xd9,
		0x80, 0x0a, 0x00, 0x08, 0x00, 0x00, 0x7e, 0xd9,
		0x80, 0x0b, 0x00, 0x01, 0x00, 0x00, 0x7e, 0xd9,
	};

	(void)state;
	xtap_ipfix_msg_init(&m, buf, sizeof(buf));
	assert_true(xtap_ipfix_put_templates(&m));
	len = xtap_ipfix_msg_finish(&m, 0x01020304, 7, 1);
	/* templates: 257 and 259 have 19 fields (17 IANA, the tunnel's type
	 * and id): 4 + 68 + 16 = 88; 256 and 258 have 34 (those, 11
	 * enterprise, the tunnel's 2 outer endpoints, the 2 of the cgroup):
	 * 88 + 88 + 16 + 16 = 208; 260 and 261: 10 fields (5 and 5): 4 + 20 +
	 * 40 = 64; 262 and 263, 256 and 258 with 7 TLS elements before the
	 * outer endpoints: 208 + 56 = 264. Set header 4, message 16: 1268
	 * bytes, within one UDP message (XTAP_EXPORT_MSG_UDP). */
	assert_int_equal(len, 16 + 4 + 208 + 88 + 208 + 88 + 64 + 64 + 264 + 264);
	assert_true(len <= 1400);
	assert_int_equal(be16(buf), 10);
	assert_int_equal(be16(buf + 2), len);
	assert_int_equal(be32(buf + 4), 0x01020304);
	assert_int_equal(be32(buf + 8), 7);
	assert_int_equal(be32(buf + 12), 1);
	assert_int_equal(be16(buf + 16), 2);		/* template set */
	assert_int_equal(be16(buf + 18), len - 16);
	off = 20;
	assert_int_equal(be16(buf + off), 256);
	assert_int_equal(be16(buf + off + 2), 34);
	assert_memory_equal(buf + off + 4, t257 + 4, sizeof(t257) - 4);
	assert_memory_equal(buf + off + 176 - sizeof(t256_tail), t256_tail, sizeof(t256_tail));
	/* the outer endpoints: 29 and 30, 16 bytes each */
	assert_memory_equal(buf + off + 176, "\x80\x1d\x00\x10\x00\x00\x7e\xd9"
					     "\x80\x1e\x00\x10\x00\x00\x7e\xd9", 16);
	off += 208;
	assert_memory_equal(buf + off, t257, sizeof(t257));
	off += 88;
	assert_int_equal(be16(buf + off), 258);
	assert_int_equal(be16(buf + off + 4), 27);	/* sourceIPv6Address */
	assert_int_equal(be16(buf + off + 6), 16);
	assert_int_equal(be16(buf + off + 2), 34);
	assert_memory_equal(buf + off + 176 - sizeof(t256_tail), t256_tail, sizeof(t256_tail));
	off += 208 + 88;
	assert_int_equal(be16(buf + off), 260);
	assert_int_equal(be16(buf + off + 2), 10);
	/* its last field: xtapLatencyLog2Buckets, 320 bytes */
	assert_int_equal(be16(buf + off + 64 - 8), 0x8000 | 24);
	assert_int_equal(be16(buf + off + 64 - 6), 320);
	assert_int_equal(be32(buf + off + 64 - 4), 32473);
	off += 64 + 64;
	for (int v6 = 0; v6 < 2; v6++, off += 264) {
		/* 256/258 then the TLS elements 12-18 */
		static const uint16_t tls[7][2] = { { 12, 64 }, { 13, 16 }, { 14, 2 }, { 15, 2 },
						    { 16, 8 }, { 17, 8 }, { 18, 1 } };

		assert_int_equal(be16(buf + off), 262 + v6);
		assert_int_equal(be16(buf + off + 2), 41);
		assert_memory_equal(buf + off + 176 - sizeof(t256_tail), t256_tail,
				    sizeof(t256_tail));
		for (int i = 0; i < 7; i++) {
			assert_int_equal(be16(buf + off + 176 + 8 * i), 0x8000 | tls[i][0]);
			assert_int_equal(be16(buf + off + 176 + 8 * i + 2), tls[i][1]);
			assert_int_equal(be32(buf + off + 176 + 8 * i + 4), 32473);
		}
		assert_int_equal(be16(buf + off + 176 + 56), 0x8000 | 29);
	}
	assert_int_equal(off, len);
}

static struct xtap_ipfix_flow tcp_flow(void)
{
	struct xtap_ipfix_flow f = { 0 };
	static const uint8_t a[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 1 };
	static const uint8_t b[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 2 };

	memcpy(f.key.addr_a, a, 16);
	memcpy(f.key.addr_b, b, 16);
	f.key.port_a = 40000;
	f.key.port_b = 80;
	f.key.vlan = 5;
	f.key.proto = IPPROTO_TCP;
	f.key.ip_version = 4;
	f.src_side = 0;
	f.octets = 0x1122;
	f.packets = 9;
	f.start_ms = 0x0102030405ull;
	f.end_ms = 0x0102030406ull;
	f.tcp_flags = 0x1b;
	f.end_reason = IPFIX_END_OF_FLOW;
	f.syn_synack_ns = 25000;
	f.synack_ack_ns = UINT64_MAX;
	f.outcome = XTAP_OUTCOME_CLOSED;
	f.syn_retransmits = 2;
	f.retrans_init = 3;
	f.retrans_resp = 0x0104;
	f.passive_rtt_ns = 40000;
	f.http_resp_ns = 0x0102030405ull;
	f.http_status = 404;
	f.dns_resp_ns = UINT64_MAX;
	f.dns_rcode = UINT8_MAX;
	f.sampling = 16;
	return f;
}

static void test_flow_record(void **state)
{
	uint8_t buf[256];
	struct xtap_ipfix_msg m;
	struct xtap_ipfix_flow f = tcp_flow();
	static const uint8_t want[] = {
		0x01, 0x00, 0x00, 0xaf,			/* set 256, 4 + 171 */
		10, 0, 0, 1, 10, 0, 0, 2,		/* addresses */
		0x9c, 0x40, 0x00, 0x50,			/* 40000 -> 80 */
		0x06, 0x00, 0x05, 0x00, 0x00,		/* tcp, vlan 5, no icmp */
		0, 0, 0, 0, 0, 0, 0x11, 0x22,		/* octets */
		0, 0, 0, 0, 0, 0, 0, 9,			/* packets */
		0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05,	/* start ms */
		0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x06,	/* end ms */
		0x00, 0x1b, 0x03, 0x01,			/* flags, end of flow, initiator */
		0, 0, 0, 1, 0, 0, 0, 15,		/* sampled 1 in 16 */
		0, 0, 0, 0, 0, 0, 0, 0,			/* no segment id */
		0, 0, 0, 0, 0,				/* no tunnel: type, id */
		0, 0, 0, 0, 0, 0, 0x61, 0xa8,		/* SYN to SYN-ACK: 25000 ns */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,	/* not measured */
		0x07,					/* closed */
		0, 0, 0, 2,				/* SYN retransmits */
		0, 0, 0, 3, 0, 0, 0x01, 0x04,		/* retransmissions, both ways */
		0, 0, 0, 0, 0, 0, 0x9c, 0x40,		/* passive RTT: 40000 ns */
		0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05,	/* HTTP response time */
		0x01, 0x94,				/* HTTP status 404 */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,	/* no DNS time */
		0xff,					/* no DNS code */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* no outer */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* endpoints */
		0, 0, 0, 0, 0, 0, 0, 0,			/* no local cgroup */
		0x00,					/* its path: empty */
	};
	static const uint8_t resp[] = {
		0x01, 0x01, 0x00, 0x4e,			/* set 257, 4 + 74 */
		10, 0, 0, 2, 10, 0, 0, 1,
		0x00, 0x50, 0x9c, 0x40,
	};

	(void)state;
	xtap_ipfix_msg_init(&m, buf, sizeof(buf));
	assert_true(xtap_ipfix_put_flow(&m, &f));
	assert_int_equal(xtap_ipfix_msg_finish(&m, 1, 2, 3), 16 + sizeof(want));
	assert_memory_equal(buf + 16, want, sizeof(want));
	assert_int_equal(m.records, 1);

	f.reverse = true;
	f.src_side = 1;
	f.sampling = 0;
	xtap_ipfix_msg_init(&m, buf, sizeof(buf));
	assert_true(xtap_ipfix_put_flow(&m, &f));
	assert_int_equal(xtap_ipfix_msg_finish(&m, 1, 2, 3), 16 + 4 + 74);
	assert_memory_equal(buf + 16, resp, sizeof(resp));
	assert_int_equal(buf[16 + 4 + 52], IPFIX_BIFLOW_REVERSE_INITIATOR);
	/* a flow counted in full: interval 1, space 0 */
	assert_memory_equal(buf + 16 + 4 + 53, "\0\0\0\1\0\0\0\0", 8);
}

/* A flow with TLS: the initiator's record goes with 262 and ends in the
 * TLS elements; the responder's is the plain 257. */
static void test_tls_record(void **state)
{
	uint8_t buf[512];
	struct xtap_ipfix_msg m;
	struct xtap_ipfix_flow f = tcp_flow();
	const uint8_t *t;

	(void)state;
	f.tls = true;
	memcpy(f.tls_sni, "example.com", 11);
	memcpy(f.tls_alpn, "h2", 2);
	f.tls_version = 0x0304;
	f.tls_cipher = 0x1302;
	f.tls_hello_ns = 0x0102;
	f.tls_handshake_ns = UINT64_MAX;
	f.tls_hrr = 1;
	xtap_ipfix_msg_init(&m, buf, sizeof(buf));
	assert_true(xtap_ipfix_put_flow(&m, &f));
	assert_int_equal(xtap_ipfix_msg_finish(&m, 1, 2, 3), 16 + 4 + 272);
	assert_int_equal(be16(buf + 16), XTAP_TMPL_V4_TLS);
	t = buf + 16 + 4 + 130;
	assert_memory_equal(t, "example.com\0\0\0\0\0", 16);
	for (int i = 11; i < 64; i++)
		assert_int_equal(t[i], 0);
	assert_memory_equal(t + 64, "h2\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	assert_int_equal(be16(t + 80), 0x0304);
	assert_int_equal(be16(t + 82), 0x1302);
	assert_int_equal(be32(t + 84), 0);
	assert_int_equal(be32(t + 88), 0x0102);
	assert_int_equal(be32(t + 92), 0xffffffff);
	assert_int_equal(be32(t + 96), 0xffffffff);
	assert_int_equal(t[100], 1);
	f.reverse = true;
	f.src_side = 1;
	xtap_ipfix_msg_init(&m, buf, sizeof(buf));
	assert_true(xtap_ipfix_put_flow(&m, &f));
	assert_int_equal(xtap_ipfix_msg_finish(&m, 1, 2, 3), 16 + 4 + 74);
	assert_int_equal(be16(buf + 16), XTAP_TMPL_V4_RESP);
}

/* The local cgroup ends every initiator's record: its id, then its path as
 * a variable-length string (a length byte, or 255 and two bytes past 254);
 * records of different lengths share a set, and xtap_ipfix_record_size
 * walks them. The template announces the path's length as 65535. */
static void test_cgroup_elements(void **state)
{
	static uint8_t buf[4096];
	char long_path[300];
	struct xtap_ipfix_msg m;
	struct xtap_ipfix_flow f = tcp_flow();
	const char *path = "/system.slice/web.service";
	size_t pl = strlen(path), len, r1, r2;
	const uint8_t *t, *rec;

	(void)state;
	f.cgroup_id = 0x0102030405060708ull;
	f.cgroup_path = path;
	xtap_ipfix_msg_init(&m, buf, sizeof(buf));
	assert_true(xtap_ipfix_put_flow(&m, &f));
	memset(long_path, 'x', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	f.cgroup_path = long_path;
	assert_true(xtap_ipfix_put_flow(&m, &f));
	len = xtap_ipfix_msg_finish(&m, 0, 0, 0);
	r1 = 162 + 8 + 1 + pl;
	r2 = 162 + 8 + 3 + 299;
	assert_int_equal(len, 16 + 4 + r1 + r2);
	assert_int_equal(be16(buf + 16), XTAP_TMPL_V4_INIT);
	assert_int_equal(be16(buf + 18), 4 + r1 + r2);
	t = buf + 16 + 4 + 162;
	assert_int_equal(be32(t), 0x01020304);
	assert_int_equal(be32(t + 4), 0x05060708);
	assert_int_equal(t[8], pl);
	assert_memory_equal(t + 9, path, pl);
	rec = buf + 16 + 4;
	assert_int_equal(xtap_ipfix_record_size(XTAP_TMPL_V4_INIT, rec, r1 + r2), r1);
	t = rec + r1 + 162 + 8;
	assert_int_equal(t[0], 255);
	assert_int_equal(be16(t + 1), 299);
	assert_memory_equal(t + 3, long_path, 299);
	assert_int_equal(xtap_ipfix_record_size(XTAP_TMPL_V4_INIT, rec + r1, r2), r2);
	assert_int_equal(xtap_ipfix_record_size(XTAP_TMPL_V4_INIT, rec + r1, r2 - 1), 0);
	assert_int_equal(xtap_ipfix_record_size(255, rec, r1), 0);

	/* the template: the last two elements of 256 */
	xtap_ipfix_msg_init(&m, buf, sizeof(buf));
	assert_true(xtap_ipfix_put_templates(&m));
	xtap_ipfix_msg_finish(&m, 0, 0, 0);
	t = buf + 16 + 4;
	assert_int_equal(be16(t), XTAP_TMPL_V4_INIT);
	{
		uint16_t n = be16(t + 2);
		const uint8_t *e = t + 4;

		for (uint16_t i = 0; i + 2 < n; i++)
			e += (be16(e) & IPFIX_ENTERPRISE_BIT) ? 8 : 4;
		assert_int_equal(be16(e), 25 | IPFIX_ENTERPRISE_BIT);
		assert_int_equal(be16(e + 2), 8);
		assert_int_equal(be32(e + 4), XTAP_IPFIX_PEN);
		assert_int_equal(be16(e + 8), 26 | IPFIX_ENTERPRISE_BIT);
		assert_int_equal(be16(e + 10), IPFIX_VARLEN);
		assert_int_equal(be32(e + 12), XTAP_IPFIX_PEN);
	}
}

/* A flow in a tunnel: layer2SegmentId with the VxLAN segment type and the
 * VNI, xtap's type and id on both directions' records, the outer endpoints
 * of the record's direction on the initiator's (after TLS's when any).
 * Geneve has no segment type: layer2SegmentId 0, the type says Geneve. */
static void test_tunnel_elements(void **state)
{
	static const uint8_t oa[16] = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 1 };
	static const uint8_t ob[16] = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 2 };
	uint8_t buf[512];
	struct xtap_ipfix_msg m;
	struct xtap_ipfix_flow f = tcp_flow();
	const uint8_t *r = buf + 16 + 4;

	(void)state;
	f.key.tun_type = XTAP_TUN_VXLAN;
	f.key.tun_id = 42;
	memcpy(f.tun_outer[0], oa, 16);
	memcpy(f.tun_outer[1], ob, 16);
	f.src_side = 1;		/* side b opened it: its tunnel end is the source */
	xtap_ipfix_msg_init(&m, buf, sizeof(buf));
	assert_true(xtap_ipfix_put_flow(&m, &f));
	assert_int_equal(xtap_ipfix_msg_finish(&m, 0, 0, 0), 16 + 4 + 171);
	assert_int_equal(be16(buf + 16), XTAP_TMPL_V4_INIT);
	assert_memory_equal(r + 61, "\x01\0\0\0\0\0\0\x2a", 8);
	assert_int_equal(r[69], XTAP_TUN_VXLAN);
	assert_int_equal(be32(r + 70), 42);
	assert_memory_equal(r + 130, ob, 16);
	assert_memory_equal(r + 146, oa, 16);

	f.reverse = true;
	f.src_side = 0;
	xtap_ipfix_msg_init(&m, buf, sizeof(buf));
	assert_true(xtap_ipfix_put_flow(&m, &f));
	assert_int_equal(xtap_ipfix_msg_finish(&m, 0, 0, 0), 16 + 4 + 74);
	assert_int_equal(be16(buf + 16), XTAP_TMPL_V4_RESP);
	assert_memory_equal(r + 61, "\x01\0\0\0\0\0\0\x2a", 8);
	assert_int_equal(r[69], XTAP_TUN_VXLAN);
	assert_int_equal(be32(r + 70), 42);

	/* Geneve, with TLS: the outer endpoints follow the TLS elements */
	f.reverse = false;
	f.key.tun_type = XTAP_TUN_GENEVE;
	f.key.tun_id = 0xabcdef;
	f.tls = true;
	xtap_ipfix_msg_init(&m, buf, sizeof(buf));
	assert_true(xtap_ipfix_put_flow(&m, &f));
	assert_int_equal(xtap_ipfix_msg_finish(&m, 0, 0, 0), 16 + 4 + 272);
	assert_int_equal(be16(buf + 16), XTAP_TMPL_V4_TLS);
	assert_memory_equal(r + 61, "\0\0\0\0\0\0\0\0", 8);
	assert_int_equal(r[69], XTAP_TUN_GENEVE);
	assert_int_equal(be32(r + 70), 0xabcdef);
	assert_memory_equal(r + 231, oa, 16);
	assert_memory_equal(r + 247, ob, 16);
	assert_int_equal(xtap_ipfix_record_size(XTAP_TMPL_V4_TLS, r, 272), 272);
}

/* Records of one template share a set; another template opens another. */
static void test_sets_and_full_message(void **state)
{
	uint8_t buf[1400];
	struct xtap_ipfix_msg m;
	struct xtap_ipfix_flow f = tcp_flow();
	int n = 0;

	(void)state;
	xtap_ipfix_msg_init(&m, buf, sizeof(buf));
	while (xtap_ipfix_put_flow(&m, &f))
		n++;
	/* (1400 - 16 - 4) / 171 */
	assert_int_equal(n, 8);
	assert_int_equal(xtap_ipfix_msg_finish(&m, 0, 0, 0), 16 + 4 + 8 * 171);
	assert_int_equal(be16(buf + 18), 4 + 8 * 171);

	xtap_ipfix_msg_init(&m, buf, sizeof(buf));
	assert_true(xtap_ipfix_put_flow(&m, &f));
	f.reverse = true;
	assert_true(xtap_ipfix_put_flow(&m, &f));
	assert_true(xtap_ipfix_put_flow(&m, &f));
	assert_int_equal(xtap_ipfix_msg_finish(&m, 0, 0, 0), 16 + 175 + 4 + 2 * 74);
	assert_int_equal(be16(buf + 16 + 175), 257);
	assert_int_equal(be16(buf + 16 + 175 + 2), 4 + 2 * 74);
}

/* ICMP: ports 0, type and code in their element; the responder's record of
 * an echo gets the reply type. IPv6 takes the 16-byte addresses. */
static void test_icmp_and_v6(void **state)
{
	uint8_t buf[256];
	struct xtap_ipfix_msg m;
	struct xtap_ipfix_flow f = tcp_flow();

	(void)state;
	f.key.proto = IPPROTO_ICMP;
	f.key.port_a = 77;		/* echo id */
	f.key.port_b = 8 << 8;		/* echo request */
	xtap_ipfix_msg_init(&m, buf, sizeof(buf));
	assert_true(xtap_ipfix_put_flow(&m, &f));
	assert_int_equal(be32(buf + 20 + 8), 0);	/* ports */
	assert_int_equal(be16(buf + 20 + 15), 0x0800);
	f.reverse = true;
	xtap_ipfix_msg_init(&m, buf, sizeof(buf));
	assert_true(xtap_ipfix_put_flow(&m, &f));
	assert_int_equal(be16(buf + 20 + 15), 0x0000);

	f = tcp_flow();
	f.key.ip_version = 6;
	f.key.addr_a[0] = 0xfd;
	xtap_ipfix_msg_init(&m, buf, sizeof(buf));
	assert_true(xtap_ipfix_put_flow(&m, &f));
	assert_int_equal(xtap_ipfix_msg_finish(&m, 0, 0, 0), 16 + 4 + 195);
	assert_int_equal(be16(buf + 16), XTAP_TMPL_V6_INIT);
	assert_memory_equal(buf + 20, f.key.addr_a, 16);
	assert_memory_equal(buf + 36, f.key.addr_b, 16);
}

static void test_svc_record(void **state)
{
	uint8_t buf[512];
	struct xtap_ipfix_msg m;
	struct xtap_ipfix_svc s = { 0 };
	static const uint8_t head[] = {
		0x01, 0x04, 0x01, 0x74,		/* set 260, 4 + 368 */
		192, 0, 2, 1, 0x01, 0xbb, 0x06,	/* server, 443, tcp */
	};

	(void)state;
	s.key.addr[10] = s.key.addr[11] = 0xff;
	s.key.addr[12] = 192;
	s.key.addr[14] = 2;
	s.key.addr[15] = 1;
	s.key.port = 443;
	s.key.proto = IPPROTO_TCP;
	s.key.kind = XTAP_LAT_HANDSHAKE;
	s.count = 3;
	s.bucket[0] = 1;
	s.bucket[XTAP_HIST_BUCKETS - 1] = 0x0102;
	xtap_ipfix_msg_init(&m, buf, sizeof(buf));
	assert_true(xtap_ipfix_put_svc(&m, &s));
	assert_int_equal(xtap_ipfix_msg_finish(&m, 0, 0, 0), 16 + 4 + 368);
	assert_memory_equal(buf + 16, head, sizeof(head));
	assert_int_equal(buf[16 + 4 + 7 + 16], XTAP_LAT_HANDSHAKE);
	assert_int_equal(be32(buf + 16 + 4 + 7 + 17 + 4), 3);	/* count */
	assert_int_equal(be32(buf + 16 + 4 + 48 + 4), 1);	/* bucket 0 */
	assert_int_equal(be16(buf + 16 + 4 + 368 - 2), 0x0102);	/* last bucket */
}

/* --- export bookkeeping ---------------------------------------------------- */

struct got {
	struct xtap_export_rec r[8];
	int n;
	int fail;
};

static int collect(const struct xtap_flow_entry *e, const struct xtap_export_rec *r,
		   const struct xtap_export_seen *next, void *arg)
{
	struct got *g = arg;

	(void)e;
	(void)next;
	if (g->fail)
		return -EIO;
	assert_true(g->n < 8);
	g->r[g->n++] = *r;
	return 0;
}

#define S 1000000000ull

static const struct xtap_export_cfg cfg = { .active_ns = 60 * S, .idle_ns = 15 * S,
					    .end_quiet_ns = S };

static long round_at(struct xtap_export_state *st, struct xtap_flow_entry *e, __u64 now,
		     bool force, struct got *g)
{
	const struct xtap_export_cb cb = { .emit = collect, .arg = g };

	g->n = 0;
	return xtap_export_round(st, &cfg, e, 1, now, force, &cb);
}

static void test_export_deltas(void **state)
{
	struct xtap_export_state st = { 0 };
	struct xtap_flow_entry e = { 0 };
	struct got g = { 0 };

	(void)state;
	e.key.proto = IPPROTO_TCP;
	e.val.first_ns = 100 * S;
	e.val.last_ns = 101 * S;
	e.val.pkts[0] = 10;
	e.val.bytes[0] = 1000;
	e.val.retrans[1] = 2;
	/* active, quiet for less than the idle timeout: nothing yet */
	assert_int_equal(round_at(&st, &e, 102 * S, false, &g), 0);
	/* the active timeout: the first record spans first to last packet */
	e.val.last_ns = 159 * S;
	assert_int_equal(round_at(&st, &e, 160 * S, false, &g), 1);
	assert_int_equal(g.r[0].reason, IPFIX_END_ACTIVE);
	assert_int_equal(g.r[0].pkts[0], 10);
	assert_int_equal(g.r[0].retrans[0], 0);
	assert_int_equal(g.r[0].retrans[1], 2);
	assert_int_equal(g.r[0].start_ns, 100 * S);
	assert_int_equal(g.r[0].end_ns, 159 * S);
	/* counts that came meanwhile go with the next record, only them */
	e.val.pkts[0] = 15;
	e.val.bytes[0] = 1500;
	e.val.pkts[1] = 4;
	e.val.retrans[0] = 1;
	e.val.retrans[1] = 5;
	e.val.last_ns = 219 * S;
	assert_int_equal(round_at(&st, &e, 200 * S, false, &g), 0);
	assert_int_equal(round_at(&st, &e, 220 * S, false, &g), 1);
	assert_int_equal(g.r[0].pkts[0], 5);
	assert_int_equal(g.r[0].bytes[0], 500);
	assert_int_equal(g.r[0].pkts[1], 4);
	/* retransmissions are deltas as packets are */
	assert_int_equal(g.r[0].retrans[0], 1);
	assert_int_equal(g.r[0].retrans[1], 3);
	assert_int_equal(g.r[0].start_ns, 159 * S);
	/* FIN both ways: ends once quiet for a second, with the last ACK */
	e.val.fin[0] = e.val.fin[1] = 1;
	e.val.pkts[0] = 17;
	e.val.last_ns = 230 * S;
	assert_int_equal(round_at(&st, &e, 230 * S + S / 2, false, &g), 0);
	e.val.pkts[0] = 18;
	assert_int_equal(round_at(&st, &e, 231 * S, false, &g), 1);
	assert_int_equal(g.r[0].reason, IPFIX_END_OF_FLOW);
	assert_int_equal(g.r[0].pkts[0], 3);
	assert_int_equal(g.r[0].retrans[1], 0);
	/* nothing new: nothing more */
	assert_int_equal(round_at(&st, &e, 300 * S, true, &g), 0);
	xtap_export_state_free(&st);
}

static void test_export_races(void **state)
{
	struct xtap_export_state st = { 0 };
	struct xtap_flow_entry e = { 0 };
	struct got g = { 0 };

	(void)state;
	e.val.first_ns = 10 * S;
	e.val.last_ns = 10 * S;
	e.val.pkts[0] = 100;
	assert_int_equal(round_at(&st, &e, 30 * S, false, &g), 1);
	assert_int_equal(g.r[0].reason, IPFIX_END_IDLE);
	/* a read that missed a batch of per-CPU deltas shows fewer packets
	 * than went: nothing goes (no negative delta), and nothing is lost */
	e.val.pkts[0] = 90;
	e.val.last_ns = 40 * S;
	assert_int_equal(round_at(&st, &e, 60 * S, false, &g), 0);
	e.val.pkts[0] = 130;
	e.val.retrans[0] = 4;
	assert_int_equal(round_at(&st, &e, 60 * S, false, &g), 1);
	assert_int_equal(g.r[0].pkts[0], 30);
	assert_int_equal(g.r[0].retrans[0], 4);
	/* retransmissions read behind the last record: none, not negative,
	 * and the ones that went are not sent again */
	e.val.pkts[0] = 135;
	e.val.retrans[0] = 3;
	assert_int_equal(round_at(&st, &e, 80 * S, false, &g), 1);
	assert_int_equal(g.r[0].retrans[0], 0);
	e.val.pkts[0] = 138;
	e.val.retrans[0] = 6;
	assert_int_equal(round_at(&st, &e, 100 * S, false, &g), 1);
	assert_int_equal(g.r[0].retrans[0], 2);
	/* a failed emit keeps the marks: the delta goes next time */
	e.val.pkts[0] = 140;
	g.fail = 1;
	assert_true(round_at(&st, &e, 80 * S, false, &g) < 0);
	g.fail = 0;
	assert_int_equal(round_at(&st, &e, 80 * S, false, &g), 1);
	assert_int_equal(g.r[0].pkts[0], 2);
	/* the LRU reused the key for a new entry (another first_ns): its
	 * counts start from zero */
	e.val.first_ns = 90 * S;
	e.val.last_ns = 90 * S;
	e.val.pkts[0] = 3;
	assert_int_equal(round_at(&st, &e, 91 * S, true, &g), 1);
	assert_int_equal(g.r[0].reason, IPFIX_END_FORCED);
	assert_int_equal(g.r[0].pkts[0], 3);
	assert_int_equal(g.r[0].start_ns, 90 * S);
	/* a flow gone from the table is forgotten */
	assert_int_equal(xtap_export_round(&st, &cfg, &e, 0, 100 * S, true,
					   &(struct xtap_export_cb){ .emit = collect, .arg = &g }), 0);
	assert_int_equal(st.n, 0);
	xtap_export_state_free(&st);
}

/* The marks a record's emit is told are what a new exporter loads: it
 * continues the deltas, sends nothing for flows that did not move, and is
 * told which marks fall out when their flows leave the table. */
struct marks {
	struct xtap_export_seen v[4];
	int n;
	struct xtap_flow_key gone[4];
	int ngone;
};

static int keep_marks(const struct xtap_flow_entry *e, const struct xtap_export_rec *r,
		      const struct xtap_export_seen *next, void *arg)
{
	struct marks *m = arg;

	(void)r;
	assert_memory_equal(&next->key, &e->key, sizeof(e->key));
	for (int i = 0; i < m->n; i++)
		if (!memcmp(&m->v[i].key, &next->key, sizeof(next->key))) {
			m->v[i] = *next;
			return 0;
		}
	assert_true(m->n < 4);
	m->v[m->n++] = *next;
	return 0;
}

static void note_gone(const struct xtap_export_seen *s, void *arg)
{
	struct marks *m = arg;

	assert_true(m->ngone < 4);
	m->gone[m->ngone++] = s->key;
}

static void test_export_continue(void **state)
{
	struct xtap_export_state st = { 0 }, st2 = { 0 };
	struct xtap_flow_entry e[3] = { 0 };
	struct marks mk = { 0 };
	const struct xtap_export_cb keep = { .emit = keep_marks, .gone = note_gone, .arg = &mk };
	struct got g = { 0 };
	const struct xtap_export_cb cb = { .emit = collect, .arg = &g };
	const struct xtap_export_cb gone = { .emit = keep_marks, .gone = note_gone, .arg = &mk };
	struct xtap_export_seen *loaded;

	(void)state;
	for (int i = 0; i < 3; i++) {
		e[i].key.port_a = (__u16)(1 + i);	/* in key order */
		e[i].key.proto = IPPROTO_UDP;
		e[i].val.first_ns = 10 * S;
		e[i].val.last_ns = 11 * S;
		e[i].val.pkts[0] = 5;
		e[i].val.bytes[0] = 500;
		e[i].val.retrans[0] = 1;
	}
	/* the first exporter sends flows 1 and 2 and is killed */
	assert_int_equal(xtap_export_round(&st, &cfg, e, 2, 30 * S, false, &keep), 2);
	assert_int_equal(mk.n, 2);
	assert_int_equal(mk.v[0].m.pkts[0], 5);
	assert_int_equal(mk.v[0].m.bytes[0], 500);
	assert_int_equal(mk.v[0].m.retrans[0], 1);
	assert_int_equal(mk.v[0].m.first_ns, 10 * S);
	assert_int_equal(mk.v[0].m.export_ns, 30 * S);
	assert_int_equal(mk.v[0].m.end_ns, 11 * S);
	assert_true(mk.v[0].any);
	xtap_export_state_free(&st);

	/* the next one loads the marks (in any order): flow 1 did not move,
	 * flow 2 has 2 packets more, flow 3 is new */
	loaded = calloc(2, sizeof(*loaded));
	assert_non_null(loaded);
	loaded[0] = mk.v[1];
	loaded[1] = mk.v[0];
	xtap_export_state_load(&st2, loaded, 2);
	e[1].val.pkts[0] = 7;
	e[1].val.bytes[0] = 700;
	e[1].val.last_ns = 40 * S;
	g.n = 0;
	assert_int_equal(xtap_export_round(&st2, &cfg, e, 3, 60 * S, true, &cb), 2);
	assert_int_equal(g.r[0].pkts[0], 2);
	assert_int_equal(g.r[0].bytes[0], 200);
	assert_int_equal(g.r[0].retrans[0], 0);
	assert_int_equal(g.r[0].start_ns, 11 * S);	/* where the last record ended */
	assert_int_equal(g.r[1].pkts[0], 5);
	assert_int_equal(mk.ngone, 0);

	/* flow 1 leaves the table: its marks fall out, once; then flows 2
	 * and 3 (the last ones of the list) */
	assert_int_equal(xtap_export_round(&st2, &cfg, e + 1, 2, 70 * S, true, &gone), 0);
	assert_int_equal(mk.ngone, 1);
	assert_int_equal(mk.gone[0].port_a, 1);
	assert_int_equal(xtap_export_round(&st2, &cfg, e + 1, 2, 71 * S, true, &gone), 0);
	assert_int_equal(mk.ngone, 1);
	assert_int_equal(xtap_export_round(&st2, &cfg, e, 0, 72 * S, true, &gone), 0);
	assert_int_equal(mk.ngone, 3);
	assert_int_equal(mk.gone[1].port_a, 2);
	assert_int_equal(mk.gone[2].port_a, 3);
	/* a flow never exported has no marks to drop */
	e[0].val.pkts[0] = 0;
	assert_int_equal(xtap_export_round(&st2, &cfg, e, 1, 73 * S, false, &gone), 0);
	assert_int_equal(xtap_export_round(&st2, &cfg, e, 0, 74 * S, false, &gone), 0);
	assert_int_equal(mk.ngone, 3);
	xtap_export_state_free(&st2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_lengths),
		cmocka_unit_test(test_templates),
		cmocka_unit_test(test_tls_record),
		cmocka_unit_test(test_cgroup_elements),
		cmocka_unit_test(test_flow_record),
		cmocka_unit_test(test_tunnel_elements),
		cmocka_unit_test(test_sets_and_full_message),
		cmocka_unit_test(test_icmp_and_v6),
		cmocka_unit_test(test_svc_record),
		cmocka_unit_test(test_export_deltas),
		cmocka_unit_test(test_export_races),
		cmocka_unit_test(test_export_continue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
