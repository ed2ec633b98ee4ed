// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Tunnels through the real programs: VXLAN, Geneve, GRE (key; checksum, key
 * and sequence; Ethernet inside), ERSPAN, IPv4 and IPv6 in IPv4 and IPv6.
 * Each decapsulated packet makes the inner flow, keyed with the tunnel's
 * type and id, and the outer endpoints in xtap_tunnels; each cut or
 * malformed encapsulation keeps the outer flow and counts its reason.
 */
#include "tests/prog/harness.h"

#include <netinet/in.h>

#define OUT_A PB_IP4(192, 168, 1, 1)
#define OUT_B PB_IP4(192, 168, 1, 2)
#define CPORT 40000
#define SPORT_ 80
#define VX_SPORT 51515

#define FOR_HOOKS(e, h)                                                                        \
	for (size_t h##_i = 0, h = hooks[0]; h##_i < NHOOKS && ((h = hooks[h##_i]), reset(e), 1); \
	     h##_i++)

static int tunnels_fd(struct env *e)
{
	return bpf_map__fd(e->skel->maps.xtap_tunnels);
}

static void reset(struct env *e)
{
	env_reset(e);
	map_clear(tunnels_fd(e));
	map_clear(app_fd(e));
}

static void set_cfg(struct env *e, const struct xtap_tun_cfg *c)
{
	xtap_live_of(e->skel)->tun = *c;
}

/* The inner packet: Ethernet (when eth), IPv4 or IPv6 between IP_A and
 * IP_B, TCP CPORT -> SPORT_ with flags, or a UDP datagram when udp. */
static void inner_pkt(struct pb *b, int eth, int v6, int from_a, int udp, __u8 flags)
{
	pb_init(b, PB_MAC_A, PB_MAC_B);
	if (v6) {
		struct pb_ip6 ip;

		ip6_ab(&ip, from_a);
		pb_ipv6(b, &ip);
	} else {
		struct pb_ip4 ip;

		ip4_ab(&ip, from_a);
		pb_ipv4(b, &ip);
	}
	if (udp)
		pb_udp(b, from_a ? CPORT : 53, from_a ? 53 : CPORT);
	else
		pb_tcp(b, &(struct pb_tcp){ .sport = from_a ? CPORT : SPORT_,
					    .dport = from_a ? SPORT_ : CPORT, .seq = 1000,
					    .ack = flags & PB_ACK ? 2000 : 0, .flags = flags });
	pb_payload(b, NULL, 10);
	pb_finish(b);
	if (!eth) {
		memmove(b->d, b->d + 14, b->len - 14);
		b->len -= 14;
	}
}

/* The outer Ethernet and IP header (OUT_A -> OUT_B, or back). */
static void outer_ip(struct pb *b, int v6, int from_a)
{
	pb_init(b, PB_MAC_B, PB_MAC_A);
	if (v6) {
		struct pb_ip6 ip = { 0 };

		pb_ip6_doc(ip.saddr, from_a ? 0x11 : 0x12);
		pb_ip6_doc(ip.daddr, from_a ? 0x12 : 0x11);
		pb_ipv6(b, &ip);
	} else {
		pb_ipv4(b, &(struct pb_ip4){ .saddr = from_a ? OUT_A : OUT_B,
					     .daddr = from_a ? OUT_B : OUT_A, .id = 7 });
	}
}

/* A UDP tunnel packet: hdr (hlen bytes) then the inner frame. */
static void udp_tunnel(struct pb *b, int v6, int from_a, __u16 sport, __u16 dport, const void *hdr,
		       size_t hlen, const struct pb *in, size_t in_len)
{
	outer_ip(b, v6, from_a);
	pb_udp(b, sport, dport);
	pb_payload(b, hdr, hlen);
	pb_payload(b, in->d, in_len);
	pb_finish(b);
}

static void vxlan(struct pb *b, int from_a, __u16 port, __u32 vni, const struct pb *in)
{
	const __u8 h[8] = { 0x08, 0, 0, 0, vni >> 16, vni >> 8, vni, 0 };

	udp_tunnel(b, 0, from_a, VX_SPORT + !from_a, port, h, 8, in, in->len);
}

/* An IP-protocol tunnel (GRE, IP in IP): hdr then the inner bytes. */
static void ip_tunnel(struct pb *b, int v6, __u8 proto, const void *hdr, size_t hlen,
		      const struct pb *in, size_t in_len)
{
	outer_ip(b, v6, 1);
	pb_ipproto(b, proto);
	pb_payload(b, hdr, hlen);
	pb_payload(b, in->d, in_len);
	pb_finish(b);
}

static struct xtap_flow_key inner_key(int v6, int udp, int type, __u32 id)
{
	struct xtap_flow_key k;

	if (v6) {
		__u8 a[16], bb[16];

		pb_ip6_doc(a, 1);
		pb_ip6_doc(bb, 2);
		k = udp ? key6(a, CPORT, bb, 53, IPPROTO_UDP, 0)
			: key6(a, CPORT, bb, SPORT_, IPPROTO_TCP, 0);
	} else {
		k = udp ? key4(IP_A, CPORT, IP_B, 53, IPPROTO_UDP, 0)
			: key4(IP_A, CPORT, IP_B, SPORT_, IPPROTO_TCP, 0);
	}
	k.tun_type = type;
	k.tun_id = id;
	return k;
}

/* b decapsulates: one inner flow under k with the packet from side a, the
 * class outcome and the decapsulation counted. */
static void expect_decap(struct env *e, int h, const struct pb *b, int outcome,
			 const struct xtap_flow_key *k, __u8 flags, const char *what)
{
	struct xtap_flow want = flow1(h, XTAP_DIR_AB, T0, b->len, flags,
				      (flags & (PB_SYN | PB_ACK)) == PB_SYN);
	struct xtap_stats st = { 0 };

	run_pb(e, h, b, T0);
	st.c[outcome] = 1;
	st.c[XTAP_STAT_BYTES] = b->len;
	st.c[XTAP_STAT_FLOW_NEW] = 1;
	st.c[XTAP_STAT_TUN_DECAP] = 1;
	expect_stats(e, h, &st, what);
	expect_nflows(e, 1, what);
	expect_flow(e, k, &want, what);
}

/* The outer endpoints recorded for k. */
static void expect_tunnel(struct env *e, const struct xtap_flow_key *k, __u32 out_a, __u32 out_b,
			  __u16 sport_ab, __u16 sport_ba, __u16 dport, const char *what)
{
	struct xtap_flow_key ka = key4(out_a, 0, out_b, 0, 0, 0);
	struct xtap_tunnel t;

	if (bpf_map_lookup_elem(tunnels_fd(e), k, &t)) {
		print_error("%s: no tunnel entry\n", what);
		fail();
	}
	assert_memory_equal(t.outer_a, ka.addr_a, 16);
	assert_memory_equal(t.outer_b, ka.addr_b, 16);
	assert_int_equal(t.udp_sport[0], sport_ab);
	assert_int_equal(t.udp_sport[1], sport_ba);
	assert_int_equal(t.udp_dport, dport);
	assert_int_equal(t.type, k->tun_type);
	assert_int_equal(t.id, k->tun_id);
	assert_int_equal(t.outer_ip_version, 4);
}

/* b does not decapsulate: the outer flow under k, reason counted. */
static void expect_outer(struct env *e, int h, const struct pb *b, int outcome,
			 const struct xtap_flow_key *k, int reason, const char *what)
{
	struct xtap_flow want = flow1(h, XTAP_DIR_AB, T0, b->len, 0, 0);
	struct xtap_stats st = { 0 };

	run_pb(e, h, b, T0);
	st.c[outcome] = 1;
	st.c[XTAP_STAT_BYTES] = b->len;
	st.c[XTAP_STAT_FLOW_NEW] = 1;
	if (reason)
		st.c[reason] = 1;
	expect_stats(e, h, &st, what);
	expect_nflows(e, 1, what);
	expect_flow(e, k, &want, what);
	assert_int_equal(bpf_map_get_next_key(tunnels_fd(e), NULL, &(struct xtap_flow_key){ 0 }),
			 -ENOENT);
}

static void test_vxlan(void **state)
{
	struct env *e = *state;
	static const __u16 ports[] = { 4789, 8472 };

	for (size_t i = 0; i < 2; i++) {
		struct xtap_flow_key k = inner_key(0, 0, XTAP_TUN_VXLAN, 42);
		struct pb in, b;

		inner_pkt(&in, 1, 0, 1, 0, PB_SYN);
		vxlan(&b, 1, ports[i], 42, &in);
		FOR_HOOKS(e, h) {
			expect_decap(e, h, &b, XTAP_STAT_TCP, &k, PB_SYN, "vxlan");
			expect_tunnel(e, &k, OUT_A, OUT_B, VX_SPORT, 0, ports[i], "vxlan");
		}
	}
}

/* The inner flow's TCP handshake is timed, the reply from the other tunnel
 * end lands on the same flow, and a second tenant with the same inner
 * addresses (another VNI) gets a flow of its own. */
static void test_vxlan_conversation(void **state)
{
	struct env *e = *state;
	struct xtap_flow_key k = inner_key(0, 0, XTAP_TUN_VXLAN, 42);
	struct xtap_flow_key k7 = inner_key(0, 0, XTAP_TUN_VXLAN, 7);
	static const struct { int from_a; __u8 fl; } s[] = {
		{ 1, PB_SYN }, { 0, PB_SYN | PB_ACK }, { 1, PB_ACK },
	};

	FOR_HOOKS(e, h) {
		struct xtap_flow f;
		struct pb in, b;

		for (size_t i = 0; i < 3; i++) {
			inner_pkt(&in, 1, 0, s[i].from_a, 0, s[i].fl);
			vxlan(&b, s[i].from_a, 4789, 42, &in);
			run_pb(e, h, &b, T0 + i * 1000);
		}
		inner_pkt(&in, 1, 0, 1, 0, PB_SYN);
		vxlan(&b, 1, 4789, 7, &in);
		run_pb(e, h, &b, T0 + 5000);
		expect_nflows(e, 2, "two tenants");
		assert_int_equal(xtap_flow_lookup(e->flows_fd, fcache_fd(e), &k, &f), 0);
		assert_int_equal(f.pkts[0], 2);
		assert_int_equal(f.pkts[1], 1);
		assert_int_equal(f.outcome, XTAP_OUTCOME_ESTABLISHED);
		assert_int_equal(f.syn_synack_ns, 1000);
		assert_int_equal(f.synack_ack_ns, 1000);
		assert_int_equal(xtap_flow_lookup(e->flows_fd, fcache_fd(e), &k7, &f), 0);
		assert_int_equal(f.pkts[0], 1);
		expect_tunnel(e, &k, OUT_A, OUT_B, VX_SPORT, VX_SPORT + 1, 4789, "both ways");
	}
}

/* DNS inside a tunnel is timed on the inner flow. */
static void test_vxlan_dns(void **state)
{
	struct env *e = *state;
	struct xtap_flow_key k = inner_key(0, 1, XTAP_TUN_VXLAN, 42);
	/* id 0x1234, one question: a.b IN A */
	static const __u8 q[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
				  1, 'a', 1, 'b', 0, 0, 1, 0, 1 };
	static const __u8 r[] = { 0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0,
				  1, 'a', 1, 'b', 0, 0, 1, 0, 1 };

	FOR_HOOKS(e, h) {
		struct xtap_app a;
		struct pb in, b;

		for (int i = 0; i < 2; i++) {
			struct pb_ip4 ip;

			pb_init(&in, PB_MAC_A, PB_MAC_B);
			ip4_ab(&ip, !i);
			pb_ipv4(&in, &ip);
			pb_udp(&in, i ? 53 : CPORT, i ? CPORT : 53);
			pb_payload(&in, i ? r : q, sizeof(q));
			pb_finish(&in);
			vxlan(&b, !i, 4789, 42, &in);
			run_pb(e, h, &b, T0 + i * 5000);
		}
		assert_int_equal(bpf_map_lookup_elem(app_fd(e), &k, &a), 0);
		assert_int_equal(a.kind, XTAP_APP_DNS);
		assert_int_equal(a.timed, 1);
		assert_int_equal(a.sum_ns, 5000);
	}
}

static void test_geneve(void **state)
{
	struct env *e = *state;
	/* version 0, two option words, Ethernet, VNI 0x123456 */
	const __u8 h[16] = { 0x02, 0, 0x65, 0x58, 0x12, 0x34, 0x56, 0, 1, 2, 3, 4, 5, 6, 7, 8 };

	for (int v6 = 0; v6 < 2; v6++) {
		struct xtap_flow_key k = inner_key(v6, 1, XTAP_TUN_GENEVE, 0x123456);
		struct pb in, b;

		inner_pkt(&in, 1, v6, 1, 1, 0);
		udp_tunnel(&b, !v6, 1, 3333, 6081, h, sizeof(h), &in, in.len);
		FOR_HOOKS(e, hk)
			expect_decap(e, hk, &b, XTAP_STAT_UDP, &k, 0, "geneve");
	}
}

static void test_gre(void **state)
{
	struct env *e = *state;
	/* key 1000, IPv4 */
	const __u8 key[8] = { 0x20, 0, 0x08, 0, 0, 0, 0x03, 0xe8 };
	/* checksum, key 77, sequence 5, IPv6 */
	const __u8 ckseq[16] = { 0xb0, 0, 0x86, 0xdd, 0xab, 0xcd, 0, 0, 0, 0, 0, 77, 0, 0, 0, 5 };
	/* no options, Ethernet inside */
	const __u8 teb[4] = { 0, 0, 0x65, 0x58 };
	struct pb in, b;

	{
		struct xtap_flow_key k = inner_key(0, 0, XTAP_TUN_GRE, 1000);

		inner_pkt(&in, 0, 0, 1, 0, PB_SYN);
		ip_tunnel(&b, 0, IPPROTO_GRE, key, sizeof(key), &in, in.len);
		FOR_HOOKS(e, h) {
			expect_decap(e, h, &b, XTAP_STAT_TCP, &k, PB_SYN, "gre key");
			expect_tunnel(e, &k, OUT_A, OUT_B, 0, 0, 0, "gre key");
		}
	}
	{
		struct xtap_flow_key k = inner_key(1, 0, XTAP_TUN_GRE, 77);

		inner_pkt(&in, 0, 1, 1, 0, PB_SYN);
		ip_tunnel(&b, 0, IPPROTO_GRE, ckseq, sizeof(ckseq), &in, in.len);
		FOR_HOOKS(e, h)
			expect_decap(e, h, &b, XTAP_STAT_TCP, &k, PB_SYN, "gre csum key seq");
	}
	{
		struct xtap_flow_key k = inner_key(0, 1, XTAP_TUN_GRE, 0);

		inner_pkt(&in, 1, 0, 1, 1, 0);
		ip_tunnel(&b, 1, IPPROTO_GRE, teb, sizeof(teb), &in, in.len);
		FOR_HOOKS(e, h)
			expect_decap(e, h, &b, XTAP_STAT_UDP, &k, 0, "gre ethernet over ipv6");
	}
}

static void test_erspan(void **state)
{
	struct env *e = *state;
	/* GRE with sequence, ERSPAN II, session 0x2a5 */
	const __u8 e2[16] = { 0x10, 0, 0x88, 0xbe, 0, 0, 0, 1, 0x10, 0x01, 0x0a, 0xa5, 0, 0, 0, 0 };
	/* GRE, ERSPAN III with the platform subheader (O bit), session 9 */
	const __u8 e3[24] = { 0, 0, 0x22, 0xeb, 0x20, 0x01, 0x00, 0x09, 0, 0, 0, 0,
			      0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct pb in, b;

	{
		struct xtap_flow_key k = inner_key(0, 0, XTAP_TUN_ERSPAN, 0x2a5);

		inner_pkt(&in, 1, 0, 1, 0, PB_SYN);
		ip_tunnel(&b, 0, IPPROTO_GRE, e2, sizeof(e2), &in, in.len);
		FOR_HOOKS(e, h)
			expect_decap(e, h, &b, XTAP_STAT_TCP, &k, PB_SYN, "erspan II");
	}
	{
		struct xtap_flow_key k = inner_key(0, 0, XTAP_TUN_ERSPAN, 9);

		ip_tunnel(&b, 0, IPPROTO_GRE, e3, sizeof(e3), &in, in.len);
		FOR_HOOKS(e, h)
			expect_decap(e, h, &b, XTAP_STAT_TCP, &k, PB_SYN, "erspan III");
	}
}

static void test_ip_in_ip(void **state)
{
	struct env *e = *state;
	static const struct { int outer6, inner6; __u8 proto; const char *what; } c[] = {
		{ 0, 0, IPPROTO_IPIP, "ipip" },
		{ 0, 1, IPPROTO_IPV6, "6in4" },
		{ 1, 1, IPPROTO_IPV6, "ip6ip6" },
		{ 1, 0, IPPROTO_IPIP, "4in6" },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct xtap_flow_key k = inner_key(c[i].inner6, 0, XTAP_TUN_IPIP, 0);
		struct pb in, b;

		inner_pkt(&in, 0, c[i].inner6, 1, 0, PB_SYN);
		ip_tunnel(&b, c[i].outer6, c[i].proto, NULL, 0, &in, in.len);
		FOR_HOOKS(e, h)
			expect_decap(e, h, &b, XTAP_STAT_TCP, &k, PB_SYN, c[i].what);
	}
}

/* Cut and malformed encapsulations, and UDP noise on a VXLAN port: the
 * outer flow, the reason counted. */
static void test_malformed(void **state)
{
	struct env *e = *state;
	struct xtap_flow_key ku = key4(OUT_A, VX_SPORT, OUT_B, 4789, IPPROTO_UDP, 0);
	struct xtap_flow_key kg = key4(OUT_A, 0, OUT_B, 0, IPPROTO_GRE, 0);
	struct xtap_flow_key kgen = key4(OUT_A, 3333, OUT_B, 6081, IPPROTO_UDP, 0);
	const __u8 vx[8] = { 0x08, 0, 0, 0, 0, 0, 42, 0 };
	const __u8 noise[8] = { 0x47, 0x45, 0x54, 0x20, 0x2f, 0x20, 0x48, 0x54 };
	const __u8 gre_v1[4] = { 0x00, 0x01, 0x08, 0x00 };
	const __u8 gre_key_cut[6] = { 0x20, 0, 0x08, 0, 0, 0 };
	const __u8 gen_v1[8] = { 0x40, 0, 0x65, 0x58, 0, 0, 1, 0 };
	const __u8 gen_opts[8] = { 0x3f, 0, 0x65, 0x58, 0, 0, 1, 0 };
	const __u8 gre_arp[4] = { 0, 0, 0x08, 0x06 };
	struct pb in, in6, b;

	inner_pkt(&in, 1, 0, 1, 0, PB_SYN);
	inner_pkt(&in6, 0, 0, 1, 0, PB_SYN);
	/* the VXLAN header cut at every byte */
	for (size_t cut = 0; cut < 8; cut++) {
		udp_tunnel(&b, 0, 1, VX_SPORT, 4789, vx, cut, &in, 0);
		FOR_HOOKS(e, h)
			expect_outer(e, h, &b, XTAP_STAT_UDP, &ku, XTAP_STAT_TUN_TRUNC, "vxlan cut");
	}
	/* the inner frame cut at every header boundary and inside each */
	for (size_t cut = 0; cut < 14 + 20 + 20; cut += 3) {
		udp_tunnel(&b, 0, 1, VX_SPORT, 4789, vx, 8, &in, cut);
		FOR_HOOKS(e, h)
			expect_outer(e, h, &b, XTAP_STAT_UDP, &ku, XTAP_STAT_TUN_INNER_BAD,
				     "inner cut");
	}
	udp_tunnel(&b, 0, 1, VX_SPORT, 4789, noise, 8, &in, in.len);
	FOR_HOOKS(e, h)
		expect_outer(e, h, &b, XTAP_STAT_UDP, &ku, XTAP_STAT_TUN_VXLAN_BAD, "udp noise");
	udp_tunnel(&b, 0, 1, 3333, 6081, gen_v1, 8, &in, in.len);
	FOR_HOOKS(e, h)
		expect_outer(e, h, &b, XTAP_STAT_UDP, &kgen, XTAP_STAT_TUN_GENEVE_BAD,
			     "geneve version");
	udp_tunnel(&b, 0, 1, 3333, 6081, gen_opts, 8, &in, 40);
	FOR_HOOKS(e, h)
		expect_outer(e, h, &b, XTAP_STAT_UDP, &kgen, XTAP_STAT_TUN_GENEVE_BAD,
			     "geneve options past the end");
	ip_tunnel(&b, 0, IPPROTO_GRE, gre_v1, 4, &in6, in6.len);
	FOR_HOOKS(e, h)
		expect_outer(e, h, &b, XTAP_STAT_IP_OTHER, &kg, XTAP_STAT_TUN_GRE_BAD, "gre v1");
	ip_tunnel(&b, 0, IPPROTO_GRE, gre_key_cut, 6, &in6, 0);
	FOR_HOOKS(e, h)
		expect_outer(e, h, &b, XTAP_STAT_IP_OTHER, &kg, XTAP_STAT_TUN_TRUNC, "gre key cut");
	ip_tunnel(&b, 0, IPPROTO_GRE, gre_arp, 4, &in6, 28);
	FOR_HOOKS(e, h)
		expect_outer(e, h, &b, XTAP_STAT_IP_OTHER, &kg, XTAP_STAT_TUN_INNER_OTHER,
			     "gre arp");
}

/* The ports are the configuration's; --no-decap turns it all off. */
static void test_config(void **state)
{
	struct env *e = *state;
	struct xtap_tun_cfg only9999 = { .vxlan = { 9999 }, .flags = XTAP_TUN_CFG_SET };
	struct xtap_tun_cfg off = { .flags = XTAP_TUN_CFG_OFF };
	struct xtap_flow_key k = inner_key(0, 0, XTAP_TUN_VXLAN, 42);
	struct xtap_flow_key ku = key4(OUT_A, VX_SPORT, OUT_B, 4789, IPPROTO_UDP, 0);
	const __u8 key[8] = { 0x20, 0, 0x08, 0, 0, 0, 0x03, 0xe8 };
	struct xtap_flow_key kg = key4(OUT_A, 0, OUT_B, 0, IPPROTO_GRE, 0);
	struct pb in, in3, b;

	inner_pkt(&in, 1, 0, 1, 0, PB_SYN);
	inner_pkt(&in3, 0, 0, 1, 0, PB_SYN);
	set_cfg(e, &only9999);
	vxlan(&b, 1, 9999, 42, &in);
	FOR_HOOKS(e, h)
		expect_decap(e, h, &b, XTAP_STAT_TCP, &k, PB_SYN, "vxlan on 9999");
	vxlan(&b, 1, 4789, 42, &in);
	FOR_HOOKS(e, h)
		expect_outer(e, h, &b, XTAP_STAT_UDP, &ku, 0, "4789 not configured");
	set_cfg(e, &off);
	FOR_HOOKS(e, h)
		expect_outer(e, h, &b, XTAP_STAT_UDP, &ku, 0, "decap off");
	ip_tunnel(&b, 0, IPPROTO_GRE, key, sizeof(key), &in3, in3.len);
	FOR_HOOKS(e, h)
		expect_outer(e, h, &b, XTAP_STAT_IP_OTHER, &kg, 0, "gre, decap off");
	set_cfg(e, &(struct xtap_tun_cfg){ 0 });
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test(f)
		T(test_vxlan),
		T(test_vxlan_conversation),
		T(test_vxlan_dns),
		T(test_geneve),
		T(test_gre),
		T(test_erspan),
		T(test_ip_in_ip),
		T(test_malformed),
		T(test_config),
#undef T
	};

	return cmocka_run_group_tests_name("prog/tunnel", tests, env_setup, env_teardown);
}
