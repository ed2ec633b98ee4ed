// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The parser, one case per test, through the real programs: each test runs
 * its frames through xdp_tap, tc_tap_ingress and tc_tap_egress in turn and
 * checks the verdict, the untouched frame, every counter and the flow entry.
 */
#include "tests/prog/harness.h"

#include <netinet/in.h>

#define SPORT 40000
#define DPORT 80
#define ETH_P_8021Q_ 0x8100
#define ETH_P_8021AD_ 0x88a8

#define FOR_HOOKS(e, h)                                                                        \
	for (size_t h##_i = 0, h = hooks[0]; h##_i < NHOOKS && ((h = hooks[h##_i]), env_reset(e), 1); \
	     h##_i++)

static struct env *E(void **state)
{
	return *state;
}

/* IPv4 TCP from A:SPORT to B:DPORT (or back), no options. */
static void tcp4(struct pb *b, int from_a, __u8 flags, size_t payload)
{
	struct pb_ip4 ip;

	ip4_ab(&ip, from_a);
	pb_ipv4(b, &ip);
	pb_tcp(b, &(struct pb_tcp){ .sport = from_a ? SPORT : DPORT, .dport = from_a ? DPORT : SPORT,
				    .seq = 1000, .ack = flags & PB_ACK ? 2000 : 0, .flags = flags });
	pb_payload(b, NULL, payload);
	pb_finish(b);
}

static void udp4(struct pb *b, int from_a, size_t payload)
{
	struct pb_ip4 ip;

	ip4_ab(&ip, from_a);
	pb_ipv4(b, &ip);
	pb_udp(b, from_a ? SPORT : 53, from_a ? 53 : SPORT);
	pb_payload(b, NULL, payload);
	pb_finish(b);
}

/* Run b and expect one packet of class outcome and, for IP, the flow of a
 * single packet from A whose key is k. */
static void one_flow(struct env *e, int hook, const struct pb *b, int outcome,
		     const struct xtap_flow_key *k, __u8 tcp_flags, int syn_only, const char *what)
{
	struct xtap_flow want = flow1(hook, XTAP_DIR_AB, T0, b->len, tcp_flags, syn_only);

	run_pb(e, hook, b, T0);
	expect_one(e, hook, outcome, b->len, 1, what);
	expect_nflows(e, 1, what);
	expect_flow(e, k, &want, what);
}

static void no_flow(struct env *e, int hook, const struct pb *b, __u32 wire, int outcome,
		    const char *what)
{
	run_frame(e, hook, b->d, b->len, wire, T0);
	expect_one(e, hook, outcome, wire > b->len ? wire : b->len, 0, what);
	expect_nflows(e, 0, what);
}

/* ---- Ethernet and VLAN ---- */

static void test_ipv4_tcp_untagged(void **state)
{
	struct env *e = E(state);
	struct xtap_flow_key k = key4(IP_A, SPORT, IP_B, DPORT, IPPROTO_TCP, 0);
	struct pb b;

	pb_init(&b, PB_MAC_B, PB_MAC_A);
	tcp4(&b, 1, PB_SYN, 0);
	assert_int_equal(b.len, 54);
	FOR_HOOKS(e, h)
		one_flow(e, h, &b, XTAP_STAT_TCP, &k, PB_SYN, 1, "tcp syn");
}

static void test_vlan_single(void **state)
{
	struct env *e = E(state);
	struct xtap_flow_key k = key4(IP_A, SPORT, IP_B, DPORT, IPPROTO_TCP, 100);
	struct pb b;

	pb_init(&b, PB_MAC_B, PB_MAC_A);
	pb_vlan(&b, ETH_P_8021Q_, 0xe000 | 100);	/* PCP 7: not part of the ID */
	tcp4(&b, 1, PB_SYN, 0);
	FOR_HOOKS(e, h)
		one_flow(e, h, &b, XTAP_STAT_TCP, &k, PB_SYN, 1, "802.1Q");
}

static void test_vlan_double(void **state)
{
	static const __u16 tpid[][2] = {
		{ ETH_P_8021AD_, ETH_P_8021Q_ },
		{ ETH_P_8021Q_, ETH_P_8021Q_ },
		{ ETH_P_8021AD_, ETH_P_8021AD_ },
	};
	struct env *e = E(state);
	struct xtap_flow_key k = key4(IP_A, 53, IP_B, SPORT, IPPROTO_UDP, 200);
	struct pb b;

	k = key4(IP_A, SPORT, IP_B, 53, IPPROTO_UDP, 200);
	for (size_t i = 0; i < sizeof(tpid) / sizeof(tpid[0]); i++) {
		pb_init(&b, PB_MAC_B, PB_MAC_A);
		pb_vlan(&b, tpid[i][0], 0x1000 | 200);	/* DEI set */
		pb_vlan(&b, tpid[i][1], 300);
		udp4(&b, 1, 10);
		FOR_HOOKS(e, h)
			one_flow(e, h, &b, XTAP_STAT_UDP, &k, 0, 0, "QinQ: outer VLAN in the key");
	}
}

static void test_vlan_too_deep(void **state)
{
	struct env *e = E(state);
	struct pb b;

	pb_init(&b, PB_MAC_B, PB_MAC_A);
	pb_vlan(&b, ETH_P_8021AD_, 10);
	pb_vlan(&b, ETH_P_8021Q_, 20);
	pb_vlan(&b, ETH_P_8021Q_, 30);
	udp4(&b, 1, 10);
	FOR_HOOKS(e, h)
		no_flow(e, h, &b, 0, XTAP_STAT_VLAN_DEPTH, "three tags");
}

static void test_arp(void **state)
{
	struct env *e = E(state);
	struct pb b;

	pb_init(&b, (const uint8_t[6]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, PB_MAC_A);
	pb_arp(&b, 1, PB_MAC_A, IP_A, (const uint8_t[6]){ 0 }, IP_B);
	pb_finish(&b);
	pb_pad(&b, 60);
	FOR_HOOKS(e, h)
		no_flow(e, h, &b, 0, XTAP_STAT_ARP, "arp request");
}

static void test_lldp(void **state)
{
	struct env *e = E(state);
	struct pb b;

	pb_init(&b, (const uint8_t[6]){ 0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e }, PB_MAC_A);
	pb_lldp(&b, PB_MAC_A, "eth0", 120);
	pb_finish(&b);
	pb_pad(&b, 60);
	FOR_HOOKS(e, h)
		no_flow(e, h, &b, 0, XTAP_STAT_LLDP, "lldp");
}

static void test_eth_other(void **state)
{
	static const __u16 types[] = { 0x88b5, 0x8847 /* MPLS */, 0x0600, 0x05dc /* 802.3 length */ };
	struct env *e = E(state);
	struct pb b;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		pb_init(&b, PB_MAC_B, PB_MAC_A);
		pb_ethertype(&b, types[i], NULL, 46);
		pb_finish(&b);
		FOR_HOOKS(e, h)
			no_flow(e, h, &b, 0, XTAP_STAT_ETH_OTHER, "other EtherType");
	}
	/* behind a tag too */
	pb_init(&b, PB_MAC_B, PB_MAC_A);
	pb_vlan(&b, ETH_P_8021Q_, 5);
	pb_ethertype(&b, 0x88b5, NULL, 42);
	pb_finish(&b);
	FOR_HOOKS(e, h)
		no_flow(e, h, &b, 0, XTAP_STAT_ETH_OTHER, "tagged other EtherType");
}

/* ---- IPv4 ---- */

static void test_ipv4_ihl_5_to_15(void **state)
{
	struct env *e = E(state);
	struct xtap_flow_key k = key4(IP_A, SPORT, IP_B, 53, IPPROTO_UDP, 0);

	for (int ihl = 5; ihl <= 15; ihl++) {
		__u8 opts[40];
		struct pb_ip4 ip;
		struct pb b;
		char what[32];

		/* NOPs, then a router alert, ended by EOL when there is room */
		memset(opts, 1, sizeof(opts));
		if (ihl >= 6) {
			opts[0] = 148;
			opts[1] = 4;
			opts[2] = opts[3] = 0;
		}
		if (ihl >= 7)
			opts[(ihl - 5) * 4 - 1] = 0;
		ip4_ab(&ip, 1);
		ip.opts = opts;
		ip.opts_len = (size_t)(ihl - 5) * 4;
		pb_init(&b, PB_MAC_B, PB_MAC_A);
		pb_ipv4(&b, &ip);
		pb_udp(&b, SPORT, 53);
		pb_payload(&b, NULL, 12);
		pb_finish(&b);
		assert_int_equal(b.d[14] & 0x0f, ihl);
		snprintf(what, sizeof(what), "IHL %d", ihl);
		FOR_HOOKS(e, h)
			one_flow(e, h, &b, XTAP_STAT_UDP, &k, 0, 0, what);
	}
}

static void test_ipv4_ihl_below_5(void **state)
{
	struct env *e = E(state);

	for (int ihl = 0; ihl < 5; ihl++) {
		struct pb b;

		pb_init(&b, PB_MAC_B, PB_MAC_A);
		udp4(&b, 1, 20);
		pb_put8(&b, 14, (__u8)(0x40 | ihl));
		FOR_HOOKS(e, h)
			no_flow(e, h, &b, 0, XTAP_STAT_IPV4_IHL, "IHL < 5");
	}
}

static void test_ipv4_version(void **state)
{
	struct env *e = E(state);
	struct pb b;

	pb_init(&b, PB_MAC_B, PB_MAC_A);
	udp4(&b, 1, 20);
	pb_put8(&b, 14, 0x65);
	FOR_HOOKS(e, h)
		no_flow(e, h, &b, 0, XTAP_STAT_IPV4_VERSION, "version 6 in an IPv4 frame");
}

static void test_ipv4_totlen_short(void **state)
{
	struct env *e = E(state);
	struct pb_ip4 ip;
	struct pb b;
	__u8 opts[8] = { 1, 1, 1, 1, 1, 1, 1, 0 };

	for (__u16 tot = 0; tot < 20; tot++) {
		pb_init(&b, PB_MAC_B, PB_MAC_A);
		udp4(&b, 1, 20);
		pb_put16(&b, 16, tot);
		FOR_HOOKS(e, h)
			no_flow(e, h, &b, 0, XTAP_STAT_IPV4_LEN_SHORT, "total length < 20");
	}
	/* with options: shorter than 28 is shorter than the header */
	ip4_ab(&ip, 1);
	ip.opts = opts;
	ip.opts_len = sizeof(opts);
	pb_init(&b, PB_MAC_B, PB_MAC_A);
	pb_ipv4(&b, &ip);
	pb_udp(&b, SPORT, 53);
	pb_finish(&b);
	pb_put16(&b, 16, 27);
	FOR_HOOKS(e, h)
		no_flow(e, h, &b, 0, XTAP_STAT_IPV4_LEN_SHORT, "total length < IHL*4");
}

static void test_ipv4_totlen_long(void **state)
{
	struct env *e = E(state);
	struct xtap_flow_key k = key4(IP_A, SPORT, IP_B, 53, IPPROTO_UDP, 0);
	struct pb b;

	pb_init(&b, PB_MAC_B, PB_MAC_A);
	udp4(&b, 1, 20);
	pb_put16(&b, 16, pb_get16(&b, 16) + 1);
	FOR_HOOKS(e, h)
		no_flow(e, h, &b, 0, XTAP_STAT_IPV4_LEN_LONG, "total length one past the frame");
	pb_put16(&b, 16, 0xffff);
	FOR_HOOKS(e, h)
		no_flow(e, h, &b, 0, XTAP_STAT_IPV4_LEN_LONG, "total length 65535");

	/* the same frame cut by a snap length: the wire had it all */
	pb_init(&b, PB_MAC_B, PB_MAC_A);
	udp4(&b, 1, 100);
	FOR_HOOKS(e, h) {
		struct xtap_flow want = flow1(h, XTAP_DIR_AB, T0, b.len, 0, 0);

		run_frame(e, h, b.d, 60, (__u32)b.len, T0);
		expect_one(e, h, XTAP_STAT_UDP, b.len, 1, "snap-cut frame");
		expect_flow(e, &k, &want, "snap-cut frame");
	}
}

/* Ethernet pads short frames: the padding is not part of the datagram. */
static void test_ipv4_padding(void **state)
{
	struct env *e = E(state);
	struct xtap_flow_key k = key4(IP_A, SPORT, IP_B, 53, IPPROTO_UDP, 0);
	struct pb b;

	pb_init(&b, PB_MAC_B, PB_MAC_A);
	udp4(&b, 1, 2);
	pb_pad(&b, 60);
	assert_int_equal(b.len, 60);
	FOR_HOOKS(e, h)
		one_flow(e, h, &b, XTAP_STAT_UDP, &k, 0, 0, "padded UDP");
}

/* An L4 header that would lie in the padding after the datagram is cut. */
static void test_l4_header_in_padding(void **state)
{
	static const struct {
		__u8 proto;
		int outcome;
	} c[] = {
		{ IPPROTO_TCP, XTAP_STAT_TRUNC_TCP },
		{ IPPROTO_UDP, XTAP_STAT_TRUNC_UDP },
		{ IPPROTO_ICMP, XTAP_STAT_TRUNC_ICMP },
	};
	struct env *e = E(state);

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		for (size_t have = 0; have < (c[i].proto == IPPROTO_TCP ? 20u : 8u); have += 4) {
			struct pb_ip4 ip;
			struct pb b;

			ip4_ab(&ip, 1);
			pb_init(&b, PB_MAC_B, PB_MAC_A);
			pb_ipv4(&b, &ip);
			pb_ipproto(&b, c[i].proto);
			pb_payload(&b, NULL, have);
			pb_finish(&b);
			pb_pad(&b, 60);
			/* padding that looks like a header */
			memset(b.d + b.end, 0x55, b.len - b.end);
			FOR_HOOKS(e, h)
				no_flow(e, h, &b, 0, c[i].outcome, "L4 header past the IP length");
		}
	}
}

static void test_ipv4_first_fragment(void **state)
{
	struct env *e = E(state);
	struct xtap_flow_key ku = key4(IP_A, SPORT, IP_B, 53, IPPROTO_UDP, 0);
	struct xtap_flow_key kt = key4(IP_A, SPORT, IP_B, DPORT, IPPROTO_TCP, 0);
	struct pb whole, frags[4], b;
	struct pb_ip4 ip;

	/* UDP: the length covers the datagram, not this fragment */
	pb_init(&whole, PB_MAC_B, PB_MAC_A);
	udp4(&whole, 1, 1000);
	assert_int_equal(pb_ipv4_fragment(&whole, 400, frags, 4), 3);
	assert_int_equal(pb_get16(&frags[0], 20), PB_IP_MF);
	FOR_HOOKS(e, h)
		one_flow(e, h, &frags[0], XTAP_STAT_UDP, &ku, 0, 0, "first UDP fragment");

	/* TCP */
	ip4_ab(&ip, 1);
	ip.frag = PB_IP_MF;
	pb_init(&b, PB_MAC_B, PB_MAC_A);
	pb_ipv4(&b, &ip);
	pb_tcp(&b, &(struct pb_tcp){ .sport = SPORT, .dport = DPORT, .flags = PB_ACK | PB_PSH });
	pb_payload(&b, NULL, 64);
	pb_finish(&b);
	FOR_HOOKS(e, h)
		one_flow(e, h, &b, XTAP_STAT_TCP, &kt, PB_ACK | PB_PSH, 0, "first TCP fragment");
}

static void test_ipv4_later_fragment(void **state)
{
	struct env *e = E(state);
	struct pb whole, frags[4];
	struct pb_ip4 ip;
	struct pb b;

	pb_init(&whole, PB_MAC_B, PB_MAC_A);
	udp4(&whole, 1, 1000);
	assert_int_equal(pb_ipv4_fragment(&whole, 400, frags, 4), 3);
	for (int i = 1; i < 3; i++) {
		struct xtap_flow_key k = key4(IP_A, 0, IP_B, 0, IPPROTO_UDP, 0);

		FOR_HOOKS(e, h)
			one_flow(e, h, &frags[i], XTAP_STAT_IP_FRAGMENT, &k, 0, 0, "later UDP fragment");
	}

	/* TCP bytes where the header would be: no flags, no ports */
	ip4_ab(&ip, 1);
	ip.frag = 10;		/* offset 80, last */
	pb_init(&b, PB_MAC_B, PB_MAC_A);
	pb_ipv4(&b, &ip);
	pb_ipproto(&b, IPPROTO_TCP);
	pb_payload(&b, (const __u8[20]){ 0x9c, 0x40, 0, 80, [12] = 0x50, [13] = PB_SYN }, 20);
	pb_finish(&b);
	FOR_HOOKS(e, h) {
		struct xtap_flow_key k = key4(IP_A, 0, IP_B, 0, IPPROTO_TCP, 0);

		one_flow(e, h, &b, XTAP_STAT_IP_FRAGMENT, &k, 0, 0, "later TCP fragment");
	}

	/* ICMP: a later piece of a large echo has no type, code or id */
	ip4_ab(&ip, 1);
	ip.frag = PB_IP_MF | 185;
	pb_init(&b, PB_MAC_B, PB_MAC_A);
	pb_ipv4(&b, &ip);
	pb_ipproto(&b, IPPROTO_ICMP);
	pb_payload(&b, NULL, 1480);
	pb_finish(&b);
	FOR_HOOKS(e, h) {
		struct xtap_flow_key k = key4(IP_A, 0, IP_B, 0, IPPROTO_ICMP, 0);

		one_flow(e, h, &b, XTAP_STAT_IP_FRAGMENT, &k, 0, 0, "later ICMP fragment");
	}
}

static void test_ipv4_other_proto(void **state)
{
	static const __u8 protos[] = { IPPROTO_PIM, IPPROTO_ESP, IPPROTO_SCTP, IPPROTO_ICMPV6, 253 };
	struct env *e = E(state);

	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		struct xtap_flow_key k = key4(IP_A, 0, IP_B, 0, protos[i], 0);
		struct pb_ip4 ip;
		struct pb b;

		ip4_ab(&ip, 1);
		pb_init(&b, PB_MAC_B, PB_MAC_A);
		pb_ipv4(&b, &ip);
		pb_ipproto(&b, protos[i]);
		pb_payload(&b, (const __u8[32]){ 129, 0, 0, 0, 0x12, 0x34, 0, 1 }, 32);
		pb_finish(&b);
		if (protos[i] == IPPROTO_ICMPV6) {
			/* an ICMPv6 echo reply inside IPv4: counted as another
			 * protocol, keyed like ICMPv6 (folded onto the request) */
			k = key4(IP_A, 0x1234, IP_B, 128 << 8, IPPROTO_ICMPV6, 0);
		}
		FOR_HOOKS(e, h)
			one_flow(e, h, &b, XTAP_STAT_IP_OTHER, &k, 0, 0, "other IP protocol");
	}
}

/* ---- IPv6 ---- */

static void ipv6_chain(struct pb *b, const __u8 *types, size_t n, int udp)
{
	struct pb_ip6 ip;

	ip6_ab(&ip, 1);
	pb_ipv6(b, &ip);
	for (size_t i = 0; i < n; i++) {
		if (types[i] == IPPROTO_FRAGMENT)
			pb_ipv6_frag(b, 0, 0, 0x11223344);
		else
			pb_ipv6_ext(b, types[i], types[i] == IPPROTO_AH ? 24 : 16);
	}
	if (udp) {
		pb_udp(b, SPORT, 53);
		pb_payload(b, NULL, 20);
	} else {
		pb_tcp(b, &(struct pb_tcp){ .sport = SPORT, .dport = DPORT, .flags = PB_SYN });
	}
	pb_finish(b);
}

static void test_ipv6_plain(void **state)
{
	struct env *e = E(state);
	__u8 a[16], z[16];
	struct xtap_flow_key k;
	struct pb b;

	pb_ip6_doc(a, 1);
	pb_ip6_doc(z, 2);
	k = key6(a, SPORT, z, DPORT, IPPROTO_TCP, 0);
	pb_init(&b, PB_MAC_B, PB_MAC_A);
	ipv6_chain(&b, NULL, 0, 0);
	FOR_HOOKS(e, h)
		one_flow(e, h, &b, XTAP_STAT_TCP, &k, PB_SYN, 1, "IPv6 TCP");
	k = key6(a, SPORT, z, 53, IPPROTO_UDP, 0);
	pb_init(&b, PB_MAC_B, PB_MAC_A);
	ipv6_chain(&b, NULL, 0, 1);
	FOR_HOOKS(e, h)
		one_flow(e, h, &b, XTAP_STAT_UDP, &k, 0, 0, "IPv6 UDP");
}

static void test_ipv6_each_ext(void **state)
{
	static const __u8 types[] = { IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_FRAGMENT,
				      IPPROTO_DSTOPTS, IPPROTO_AH };
	struct env *e = E(state);
	__u8 a[16], z[16];

	pb_ip6_doc(a, 1);
	pb_ip6_doc(z, 2);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		for (int udp = 0; udp < 2; udp++) {
			struct xtap_flow_key k = udp ? key6(a, SPORT, z, 53, IPPROTO_UDP, 0)
						     : key6(a, SPORT, z, DPORT, IPPROTO_TCP, 0);
			char what[48];
			struct pb b;

			pb_init(&b, PB_MAC_B, PB_MAC_A);
			ipv6_chain(&b, &types[i], 1, udp);
			snprintf(what, sizeof(what), "IPv6 ext %u then %s", types[i], udp ? "UDP" : "TCP");
			FOR_HOOKS(e, h)
				one_flow(e, h, &b, udp ? XTAP_STAT_UDP : XTAP_STAT_TCP, &k,
					 udp ? 0 : PB_SYN, !udp, what);
		}
	}
	/* all of them in one chain, and the largest options header there is */
	{
		struct xtap_flow_key k = key6(a, SPORT, z, 53, IPPROTO_UDP, 0);
		struct pb_ip6 ip;
		struct pb b;

		pb_init(&b, PB_MAC_B, PB_MAC_A);
		ipv6_chain(&b, types, 5, 1);
		FOR_HOOKS(e, h)
			one_flow(e, h, &b, XTAP_STAT_UDP, &k, 0, 0, "five extension headers");

		ip6_ab(&ip, 1);
		pb_init(&b, PB_MAC_B, PB_MAC_A);
		pb_ipv6(&b, &ip);
		pb_ipv6_ext(&b, IPPROTO_DSTOPTS, 256);
		pb_ipv6_ext(&b, IPPROTO_AH, 200);	/* AH counts in 4-byte units */
		pb_udp(&b, SPORT, 53);
		pb_finish(&b);
		assert_int_equal(b.l4, 14 + 40 + 456);	/* just inside IPV6_CHAIN_MAX */
		FOR_HOOKS(e, h)
			one_flow(e, h, &b, XTAP_STAT_UDP, &k, 0, 0, "long extension headers");
	}
}

static void test_ipv6_ext_max(void **state)
{
	struct env *e = E(state);
	__u8 a[16], z[16], types[10];
	struct pb b;

	pb_ip6_doc(a, 1);
	pb_ip6_doc(z, 2);
	memset(types, IPPROTO_DSTOPTS, sizeof(types));
	types[0] = IPPROTO_HOPOPTS;

	/* IPV6_EXT_MAX (8) headers are followed */
	pb_init(&b, PB_MAC_B, PB_MAC_A);
	ipv6_chain(&b, types, 8, 1);
	{
		struct xtap_flow_key k = key6(a, SPORT, z, 53, IPPROTO_UDP, 0);

		FOR_HOOKS(e, h)
			one_flow(e, h, &b, XTAP_STAT_UDP, &k, 0, 0, "8 extension headers");
	}
	/* one more is too deep */
	for (size_t n = 9; n <= 10; n++) {
		pb_init(&b, PB_MAC_B, PB_MAC_A);
		ipv6_chain(&b, types, n, 1);
		FOR_HOOKS(e, h)
			no_flow(e, h, &b, 0, XTAP_STAT_IPV6_EXT_DEPTH, "9+ extension headers");
	}
}

static void test_ipv6_chain_too_long(void **state)
{
	struct env *e = E(state);
	struct pb_ip6 ip;
	struct pb b;

	/* within the header count but past IPV6_CHAIN_MAX (512) bytes */
	ip6_ab(&ip, 1);
	pb_init(&b, PB_MAC_B, PB_MAC_A);
	pb_ipv6(&b, &ip);
	pb_ipv6_ext(&b, IPPROTO_HOPOPTS, 512);
	pb_udp(&b, SPORT, 53);
	pb_finish(&b);
	FOR_HOOKS(e, h)
		no_flow(e, h, &b, 0, XTAP_STAT_IPV6_EXT_DEPTH, "chain past 512 bytes");
}

static void test_ipv6_fragments(void **state)
{
	struct env *e = E(state);
	__u8 a[16], z[16];
	struct pb_ip6 ip;
	struct pb b;

	pb_ip6_doc(a, 1);
	pb_ip6_doc(z, 2);
	/* first: offset 0, M set, parsed to UDP whose length is the datagram's */
	ip6_ab(&ip, 1);
	pb_init(&b, PB_MAC_B, PB_MAC_A);
	pb_ipv6(&b, &ip);
	pb_ipv6_frag(&b, 0, 1, 7);
	pb_udp(&b, SPORT, 53);
	pb_payload(&b, NULL, 96);
	pb_finish(&b);
	pb_put16(&b, b.l4 + 4, 3000);
	{
		struct xtap_flow_key k = key6(a, SPORT, z, 53, IPPROTO_UDP, 0);

		FOR_HOOKS(e, h)
			one_flow(e, h, &b, XTAP_STAT_UDP, &k, 0, 0, "first IPv6 fragment");
	}
	/* later, behind other headers: ports 0, protocol from the fragment header */
	for (int more = 0; more < 2; more++) {
		struct xtap_flow_key k = key6(a, 0, z, 0, IPPROTO_UDP, 0);

		pb_init(&b, PB_MAC_B, PB_MAC_A);
		pb_ipv6(&b, &ip);
		pb_ipv6_ext(&b, IPPROTO_HOPOPTS, 8);
		pb_ipv6_frag(&b, 1448, more, 7);
		pb_ipproto(&b, IPPROTO_UDP);
		pb_payload(&b, NULL, 96);
		pb_finish(&b);
		FOR_HOOKS(e, h)
			one_flow(e, h, &b, XTAP_STAT_IP_FRAGMENT, &k, 0, 0, "later IPv6 fragment");
	}
	/* a later ICMPv6 fragment */
	{
		struct xtap_flow_key k = key6(a, 0, z, 0, IPPROTO_ICMPV6, 0);

		pb_init(&b, PB_MAC_B, PB_MAC_A);
		pb_ipv6(&b, &ip);
		pb_ipv6_frag(&b, 1232, 0, 9);
		pb_ipproto(&b, IPPROTO_ICMPV6);
		pb_payload(&b, (const __u8[8]){ 129, 0, 0, 0, 0x12, 0x34, 0, 1 }, 8);
		pb_finish(&b);
		FOR_HOOKS(e, h)
			one_flow(e, h, &b, XTAP_STAT_IP_FRAGMENT, &k, 0, 0, "later ICMPv6 fragment");
	}
}

static void test_ipv6_bad(void **state)
{
	struct env *e = E(state);
	struct pb b;

	pb_init(&b, PB_MAC_B, PB_MAC_A);
	ipv6_chain(&b, NULL, 0, 1);
	pb_put8(&b, 14, 0x45);
	FOR_HOOKS(e, h)
		no_flow(e, h, &b, 0, XTAP_STAT_IPV6_VERSION, "version 4 in an IPv6 frame");

	pb_init(&b, PB_MAC_B, PB_MAC_A);
	ipv6_chain(&b, NULL, 0, 1);
	pb_put16(&b, 18, pb_get16(&b, 18) + 1);
	FOR_HOOKS(e, h)
		no_flow(e, h, &b, 0, XTAP_STAT_IPV6_LEN_LONG, "payload length past the frame");

	/* the chain claims more than the payload length holds */
	pb_init(&b, PB_MAC_B, PB_MAC_A);
	{
		static const __u8 t[] = { IPPROTO_HOPOPTS };

		ipv6_chain(&b, t, 1, 1);
	}
	pb_put16(&b, 18, 8);
	FOR_HOOKS(e, h)
		no_flow(e, h, &b, 0, XTAP_STAT_TRUNC_IPV6_EXT, "chain longer than the payload");
}

static void test_ipv6_other_proto(void **state)
{
	struct env *e = E(state);
	__u8 a[16], z[16];
	struct pb_ip6 ip;
	struct pb b;

	pb_ip6_doc(a, 1);
	pb_ip6_doc(z, 2);
	/* no next header after a destination options header */
	ip6_ab(&ip, 1);
	pb_init(&b, PB_MAC_B, PB_MAC_A);
	pb_ipv6(&b, &ip);
	pb_ipv6_ext(&b, IPPROTO_DSTOPTS, 8);
	pb_finish(&b);
	{
		struct xtap_flow_key k = key6(a, 0, z, 0, 59, 0);

		FOR_HOOKS(e, h)
			one_flow(e, h, &b, XTAP_STAT_IP_OTHER, &k, 0, 0, "IPv6 no next header");
	}
	/* an ICMP (v4) echo reply inside IPv6: keyed like ICMP */
	pb_init(&b, PB_MAC_B, PB_MAC_A);
	pb_ipv6(&b, &ip);
	pb_icmp(&b, 0, 0, 0x1234, 1);
	pb_finish(&b);
	{
		struct xtap_flow_key k = key6(a, 0x1234, z, 8 << 8, IPPROTO_ICMP, 0);

		FOR_HOOKS(e, h)
			one_flow(e, h, &b, XTAP_STAT_IP_OTHER, &k, 0, 0, "ICMP in IPv6");
	}
	/* ESP is not an extension header the parser walks */
	pb_init(&b, PB_MAC_B, PB_MAC_A);
	pb_ipv6(&b, &ip);
	pb_ipproto(&b, IPPROTO_ESP);
	pb_payload(&b, NULL, 40);
	pb_finish(&b);
	{
		struct xtap_flow_key k = key6(a, 0, z, 0, IPPROTO_ESP, 0);

		FOR_HOOKS(e, h)
			one_flow(e, h, &b, XTAP_STAT_IP_OTHER, &k, 0, 0, "IPv6 ESP");
	}
}

/* ---- TCP ---- */

static void test_tcp_flags(void **state)
{
	static const __u8 seq[] = { PB_SYN, PB_ACK, PB_ACK | PB_PSH, PB_ACK | PB_URG, PB_FIN | PB_ACK,
				    PB_RST, PB_RST | PB_ACK, 0x40 /* ECE */, 0x80 /* CWR */ };
	struct env *e = E(state);
	struct xtap_flow_key k = key4(IP_A, SPORT, IP_B, DPORT, IPPROTO_TCP, 0);

	FOR_HOOKS(e, h) {
		struct xtap_flow want = flow1(h, XTAP_DIR_AB, T0, 0, 0, 1);
		struct xtap_stats st = { 0 };
		struct pb b;

		want.pkts[0] = 0;
		for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
			pb_init(&b, PB_MAC_B, PB_MAC_A);
			tcp4(&b, 1, seq[i], i);
			pb_put16(&b, 38, 0xfff0);	/* sequence numbers near the wrap */
			run_pb(e, h, &b, T0 + i * 1000);
			want.pkts[0]++;
			want.bytes[0] += b.len;
			want.tcp_flags[0] |= seq[i];
			want.syn[0] += !!(seq[i] & PB_SYN);
			want.fin[0] += !!(seq[i] & PB_FIN);
			want.rst[0] += !!(seq[i] & PB_RST);
			want.last_ns = T0 + i * 1000;
			st.c[XTAP_STAT_TCP]++;
			st.c[XTAP_STAT_BYTES] += b.len;
		}
		st.c[XTAP_STAT_FLOW_NEW] = 1;
		expect_stats(e, h, &st, "flag sequence");
		expect_flow(e, &k, &want, "flag sequence");
	}
}

static void test_tcp_doff_short(void **state)
{
	struct env *e = E(state);

	for (int doff = 0; doff < 5; doff++) {
		struct pb b;

		pb_init(&b, PB_MAC_B, PB_MAC_A);
		tcp4(&b, 1, PB_SYN, 20);
		pb_put8(&b, 46, (__u8)(doff << 4));
		FOR_HOOKS(e, h)
			no_flow(e, h, &b, 0, XTAP_STAT_TCP_DOFF_SHORT, "data offset < 5");
	}
}

static void test_tcp_doff_long(void **state)
{
	struct env *e = E(state);

	/* 8 bytes of payload: a data offset of 8 words is past the segment */
	for (int doff = 8; doff <= 15; doff++) {
		struct pb b;

		pb_init(&b, PB_MAC_B, PB_MAC_A);
		tcp4(&b, 1, PB_SYN, 8);
		pb_put8(&b, 46, (__u8)(doff << 4));
		FOR_HOOKS(e, h)
			no_flow(e, h, &b, 0, XTAP_STAT_TCP_DOFF_LONG, "data offset past the segment");
	}
	/* exactly to the end of the segment is fine */
	{
		struct xtap_flow_key k = key4(IP_A, SPORT, IP_B, DPORT, IPPROTO_TCP, 0);
		struct pb b;

		pb_init(&b, PB_MAC_B, PB_MAC_A);
		tcp4(&b, 1, PB_SYN, 8);
		pb_put8(&b, 46, 7 << 4);
		FOR_HOOKS(e, h)
			one_flow(e, h, &b, XTAP_STAT_TCP, &k, PB_SYN, 1, "data offset to the end");
	}
}

static void test_tcp_options(void **state)
{
	struct env *e = E(state);
	struct xtap_flow_key k = key4(IP_A, SPORT, IP_B, DPORT, IPPROTO_TCP, 0);
	__u8 o[6][40];
	size_t ol[6] = { 0 };

	/* Linux SYN: MSS SACK_PERM TS NOP WS */
	ol[0] += pb_opt_mss(o[0], 1460);
	ol[0] += pb_opt_sackok(o[0] + ol[0]);
	ol[0] += pb_opt_ts(o[0] + ol[0], 0x11223344, 0);
	ol[0] += pb_opt_wscale(o[0] + ol[0], 7);
	/* data segment: NOP NOP TS */
	ol[1] = pb_opt_ts(o[1], 0xfffffff0, 0x01020304);
	/* timestamps in the last 10 of 40 option bytes */
	memset(o[2], 1, 30);
	ol[2] = 30 + pb_opt_ts(o[2] + 28, 1, 2) - 2;
	/* EOL first, then garbage */
	memset(o[3], 0xee, 12);
	o[3][0] = 0;
	ol[3] = 12;
	/* an option with length 0 and one with length 1 */
	o[4][0] = 30;
	o[4][1] = 0;
	o[4][2] = 30;
	o[4][3] = 1;
	ol[4] = 4;
	/* a timestamp cut by the header end */
	memset(o[5], 1, 8);
	o[5][6] = 8;
	o[5][7] = 10;
	ol[5] = 8;
	for (int i = 0; i < 6; i++) {
		struct pb_ip4 ip;
		struct pb b;

		ip4_ab(&ip, 1);
		pb_init(&b, PB_MAC_B, PB_MAC_A);
		pb_ipv4(&b, &ip);
		pb_tcp(&b, &(struct pb_tcp){ .sport = SPORT, .dport = DPORT, .flags = PB_SYN,
					     .seq = 0xdeadbeef, .opts = o[i], .opts_len = ol[i] });
		pb_payload(&b, NULL, (size_t)i * 3);
		pb_finish(&b);
		FOR_HOOKS(e, h)
			one_flow(e, h, &b, XTAP_STAT_TCP, &k, PB_SYN, 1, "TCP options");
	}
}

/* ---- UDP ---- */

static void test_udp(void **state)
{
	struct env *e = E(state);
	struct xtap_flow_key k = key4(IP_A, SPORT, IP_B, 53, IPPROTO_UDP, 0);
	struct pb b;

	pb_init(&b, PB_MAC_B, PB_MAC_A);
	udp4(&b, 1, 0);
	pb_pad(&b, 60);
	FOR_HOOKS(e, h)
		one_flow(e, h, &b, XTAP_STAT_UDP, &k, 0, 0, "empty UDP");
	/* a UDP length shorter than the IP payload is allowed */
	pb_init(&b, PB_MAC_B, PB_MAC_A);
	udp4(&b, 1, 40);
	pb_put16(&b, 38, 20);
	FOR_HOOKS(e, h)
		one_flow(e, h, &b, XTAP_STAT_UDP, &k, 0, 0, "UDP shorter than IP");
}

static void test_udp_bad_len(void **state)
{
	struct env *e = E(state);

	for (__u16 ulen = 0; ulen < 8; ulen++) {
		struct pb b;

		pb_init(&b, PB_MAC_B, PB_MAC_A);
		udp4(&b, 1, 20);
		pb_put16(&b, 38, ulen);
		FOR_HOOKS(e, h)
			no_flow(e, h, &b, 0, XTAP_STAT_UDP_LEN, "UDP length < 8");
	}
	{
		struct pb b;

		pb_init(&b, PB_MAC_B, PB_MAC_A);
		udp4(&b, 1, 20);
		pb_put16(&b, 38, 29);
		pb_pad(&b, 80);	/* the frame would hold it, the datagram does not */
		FOR_HOOKS(e, h)
			no_flow(e, h, &b, 0, XTAP_STAT_UDP_LEN, "UDP length past the IP payload");
	}
}

/* ---- ICMP ---- */

static void test_icmp_echo(void **state)
{
	struct env *e = E(state);
	/* request A->B then reply B->A; then the same with B asking */
	for (int asker_a = 1; asker_a >= 0; asker_a--) {
		struct xtap_flow_key k = key4(IP_A, 0x4242, IP_B, 8 << 8, IPPROTO_ICMP, 0);
		struct pb q, r;
		struct pb_ip4 ip;

		ip4_ab(&ip, asker_a);
		pb_init(&q, PB_MAC_B, PB_MAC_A);
		pb_ipv4(&q, &ip);
		pb_icmp(&q, 8, 0, 0x4242, 1);
		pb_payload(&q, NULL, 56);
		pb_finish(&q);
		ip4_ab(&ip, !asker_a);
		pb_init(&r, PB_MAC_A, PB_MAC_B);
		pb_ipv4(&r, &ip);
		pb_icmp(&r, 0, 0, 0x4242, 1);
		pb_payload(&r, NULL, 56);
		pb_finish(&r);
		FOR_HOOKS(e, h) {
			int dq = asker_a ? XTAP_DIR_AB : XTAP_DIR_BA;
			struct xtap_flow want = flow1(h, dq, T0, q.len, 0, 0);
			struct xtap_stats st = { 0 };

			run_pb(e, h, &q, T0);
			run_pb(e, h, &r, T0 + 500);
			want.pkts[!dq] = 1;
			want.bytes[!dq] = r.len;
			want.last_ns = T0 + 500;
			st.c[XTAP_STAT_ICMP] = 2;
			st.c[XTAP_STAT_BYTES] = q.len + r.len;
			st.c[XTAP_STAT_FLOW_NEW] = 1;
			expect_stats(e, h, &st, "echo request and reply");
			expect_nflows(e, 1, "echo request and reply");
			expect_flow(e, &k, &want, "echo request and reply");
		}
	}
}

static void test_icmp_other(void **state)
{
	struct env *e = E(state);
	struct xtap_flow_key k = key4(IP_A, 0, IP_B, 3 << 8 | 3, IPPROTO_ICMP, 0);
	struct pb_ip4 ip;
	struct pb b;

	/* port unreachable from B: the identifier bytes are not an id */
	ip4_ab(&ip, 0);
	pb_init(&b, PB_MAC_B, PB_MAC_A);
	pb_ipv4(&b, &ip);
	pb_icmp(&b, 3, 3, 0x1111, 0x2222);
	pb_payload(&b, NULL, 28);
	pb_finish(&b);
	FOR_HOOKS(e, h) {
		struct xtap_flow want = flow1(h, XTAP_DIR_BA, T0, b.len, 0, 0);

		run_pb(e, h, &b, T0);
		expect_one(e, h, XTAP_STAT_ICMP, b.len, 1, "port unreachable");
		expect_flow(e, &k, &want, "port unreachable");
	}
}

static void test_icmpv6_echo(void **state)
{
	struct env *e = E(state);
	__u8 a[16], z[16];
	struct xtap_flow_key k;
	struct pb q, r;
	struct pb_ip6 ip;

	pb_ip6_doc(a, 1);
	pb_ip6_doc(z, 2);
	k = key6(a, 0x77, z, 128 << 8, IPPROTO_ICMPV6, 0);
	/* B asks, A answers */
	ip6_ab(&ip, 0);
	pb_init(&q, PB_MAC_B, PB_MAC_A);
	pb_ipv6(&q, &ip);
	pb_icmp6(&q, 128, 0, 0x77, 9);
	pb_payload(&q, NULL, 16);
	pb_finish(&q);
	ip6_ab(&ip, 1);
	pb_init(&r, PB_MAC_A, PB_MAC_B);
	pb_ipv6(&r, &ip);
	pb_icmp6(&r, 129, 0, 0x77, 9);
	pb_payload(&r, NULL, 16);
	pb_finish(&r);
	FOR_HOOKS(e, h) {
		struct xtap_flow want = flow1(h, XTAP_DIR_BA, T0, q.len, 0, 0);
		struct xtap_stats st = { 0 };

		run_pb(e, h, &q, T0);
		run_pb(e, h, &r, T0 + 7);
		want.pkts[XTAP_DIR_AB] = 1;
		want.bytes[XTAP_DIR_AB] = r.len;
		want.last_ns = T0 + 7;
		st.c[XTAP_STAT_ICMPV6] = 2;
		st.c[XTAP_STAT_BYTES] = q.len + r.len;
		st.c[XTAP_STAT_FLOW_NEW] = 1;
		expect_stats(e, h, &st, "ICMPv6 echo");
		expect_nflows(e, 1, "ICMPv6 echo");
		expect_flow(e, &k, &want, "ICMPv6 echo");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)
		T(test_ipv4_tcp_untagged),
		T(test_vlan_single),
		T(test_vlan_double),
		T(test_vlan_too_deep),
		T(test_arp),
		T(test_lldp),
		T(test_eth_other),
		T(test_ipv4_ihl_5_to_15),
		T(test_ipv4_ihl_below_5),
		T(test_ipv4_version),
		T(test_ipv4_totlen_short),
		T(test_ipv4_totlen_long),
		T(test_ipv4_padding),
		T(test_l4_header_in_padding),
		T(test_ipv4_first_fragment),
		T(test_ipv4_later_fragment),
		T(test_ipv4_other_proto),
		T(test_ipv6_plain),
		T(test_ipv6_each_ext),
		T(test_ipv6_ext_max),
		T(test_ipv6_chain_too_long),
		T(test_ipv6_fragments),
		T(test_ipv6_bad),
		T(test_ipv6_other_proto),
		T(test_tcp_flags),
		T(test_tcp_doff_short),
		T(test_tcp_doff_long),
		T(test_tcp_options),
		T(test_udp),
		T(test_udp_bad_len),
		T(test_icmp_echo),
		T(test_icmp_other),
		T(test_icmpv6_echo),
#undef T
	};

	return cmocka_run_group_tests_name("prog/parse", tests, NULL, NULL);
}
