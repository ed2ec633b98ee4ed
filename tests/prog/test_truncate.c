// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Truncation at every header boundary: each frame is cut at every length
 * from 14 bytes (the least test-run accepts) to its full length and run
 * through every hook, twice:
 *   snap:  the wire had the whole frame (a capture cut at a snap length),
 *          so the reason is the header that the cut falls into;
 *   short: the frame really is that short, so once the IP header is whole
 *          its length field points past the end.
 * Malformed cuts must never make a flow; whole headers must make exactly one.
 */
#include "tests/prog/harness.h"

#include <netinet/in.h>

#define MAX_SEG 12
#define ETH_HLEN_ 14

struct tcase {
	const char *name;
	struct pb b;
	int nseg;
	struct {
		size_t end;	/* header ends here: a cut before it is ... */
		int reason;	/* ... counted under this */
	} seg[MAX_SEG];
	size_t ip_end;		/* end of the fixed IP header, 0 when not IP */
	int len_long;		/* reason for a short frame past ip_end */
	int outcome;		/* class once every header is whole */
	int flow;		/* whether that class makes a flow */
};

static void seg(struct tcase *t, size_t len, int reason)
{
	size_t start = t->nseg ? t->seg[t->nseg - 1].end : 14;

	assert_true(t->nseg < MAX_SEG);
	t->seg[t->nseg].end = start + len;
	t->seg[t->nseg].reason = reason;
	t->nseg++;
}

static int expected(const struct tcase *t, size_t cut, int snap)
{
	if (!snap && t->ip_end && cut >= t->ip_end && cut < t->b.len)
		return t->len_long;
	for (int i = 0; i < t->nseg; i++)
		if (cut < t->seg[i].end)
			return t->seg[i].reason;
	return t->outcome;
}

/* The kernel's skb test-run wants a whole IP header after an untagged IPv4 or
 * IPv6 EtherType; XDP takes any frame from 14 bytes. Those cuts run on XDP. */
static int tc_refuses(const __u8 *d, size_t cut)
{
	__u16 type = (__u16)(d[12] << 8 | d[13]);

	return (type == 0x0800 && cut < 14 + 20) || (type == 0x86dd && cut < 14 + 40);
}

static void run_cuts(struct env *e, const struct tcase *t)
{
	size_t full = t->b.len;

	assert_int_equal(t->seg[t->nseg - 1].end <= full, 1);
	for (int snap = 0; snap < 2; snap++) {
		for (size_t cut = ETH_HLEN_; cut <= full; cut++) {
			int want = expected(t, cut, snap);
			int bad = want >= XTAP_STAT_BAD_FIRST && want <= XTAP_STAT_BAD_LAST;
			__u32 wire = snap ? (__u32)full : 0;
			__u64 bytes = snap ? full : cut;
			char what[96];

			snprintf(what, sizeof(what), "%s cut at %zu of %zu (%s)", t->name, cut, full,
				 snap ? "snap" : "short");
			for (size_t hi = 0; hi < NHOOKS; hi++) {
				int h = hooks[hi];
				int flow = !bad && t->flow;

				if (h != XTAP_HOOK_XDP && tc_refuses(t->b.d, cut))
					continue;

				env_reset(e);
				run_frame(e, h, t->b.d, cut, wire, T0 + cut);
				expect_one(e, h, want, bytes, flow, what);
				if (flow) {
					struct xtap_flow_entry *f;
					size_t n = flows_get(e, &f);

					assert_int_equal(n, 1);
					assert_int_equal(f[0].val.pkts[0] + f[0].val.pkts[1], 1);
					assert_int_equal(f[0].val.bytes[0] + f[0].val.bytes[1], bytes);
					assert_int_equal(f[0].val.first_ns, T0 + cut);
					assert_int_equal(f[0].val.first_point, XTAP_POINT(0, h));
					free(f);
				} else {
					expect_nflows(e, 0, what);
				}
			}
		}
	}
}


static void test_tcp4_vlan_options(void **state)
{
	__u8 ipopt[4] = { 148, 4, 0, 0 }, topt[12];
	struct tcase t = { .name = "802.1Q IPv4(IHL 6) TCP(TS)", .outcome = XTAP_STAT_TCP,
			   .flow = 1, .len_long = XTAP_STAT_IPV4_LEN_LONG };
	struct pb_ip4 ip;

	ip4_ab(&ip, 1);
	ip.opts = ipopt;
	ip.opts_len = 4;
	pb_init(&t.b, PB_MAC_B, PB_MAC_A);
	pb_vlan(&t.b, 0x8100, 42);
	pb_ipv4(&t.b, &ip);
	pb_tcp(&t.b, &(struct pb_tcp){ .sport = 1, .dport = 2, .flags = PB_ACK,
				       .opts = topt, .opts_len = pb_opt_ts(topt, 5, 6) });
	pb_payload(&t.b, NULL, 10);
	pb_finish(&t.b);
	seg(&t, 4, XTAP_STAT_TRUNC_VLAN);
	seg(&t, 24, XTAP_STAT_TRUNC_IPV4);
	seg(&t, 32, XTAP_STAT_TRUNC_TCP);
	t.ip_end = 18 + 24;
	run_cuts(*state, &t);
}

static void test_udp6_qinq_ext(void **state)
{
	struct tcase t = { .name = "QinQ IPv6 HBH RH DST AH FRAG UDP", .outcome = XTAP_STAT_UDP,
			   .flow = 1, .len_long = XTAP_STAT_IPV6_LEN_LONG };
	struct pb_ip6 ip;

	ip6_ab(&ip, 1);
	pb_init(&t.b, PB_MAC_B, PB_MAC_A);
	pb_vlan(&t.b, 0x88a8, 7);
	pb_vlan(&t.b, 0x8100, 8);
	pb_ipv6(&t.b, &ip);
	pb_ipv6_ext(&t.b, IPPROTO_HOPOPTS, 8);
	pb_ipv6_ext(&t.b, IPPROTO_ROUTING, 24);
	pb_ipv6_ext(&t.b, IPPROTO_DSTOPTS, 16);
	pb_ipv6_ext(&t.b, IPPROTO_AH, 24);
	pb_ipv6_frag(&t.b, 0, 0, 99);	/* atomic fragment */
	pb_udp(&t.b, 5353, 5353);
	pb_payload(&t.b, NULL, 30);
	pb_finish(&t.b);
	seg(&t, 4, XTAP_STAT_TRUNC_VLAN);
	seg(&t, 4, XTAP_STAT_TRUNC_VLAN);
	seg(&t, 40, XTAP_STAT_TRUNC_IPV6);
	seg(&t, 8, XTAP_STAT_TRUNC_IPV6_EXT);
	seg(&t, 24, XTAP_STAT_TRUNC_IPV6_EXT);
	seg(&t, 16, XTAP_STAT_TRUNC_IPV6_EXT);
	seg(&t, 24, XTAP_STAT_TRUNC_IPV6_EXT);
	seg(&t, 8, XTAP_STAT_TRUNC_IPV6_EXT);
	seg(&t, 8, XTAP_STAT_TRUNC_UDP);
	t.ip_end = 22 + 40;
	run_cuts(*state, &t);
}

static void test_tcp6_options(void **state)
{
	__u8 topt[20];
	size_t ol;
	struct tcase t = { .name = "IPv6 TCP(MSS SACK TS)", .outcome = XTAP_STAT_TCP, .flow = 1,
			   .len_long = XTAP_STAT_IPV6_LEN_LONG };
	struct pb_ip6 ip;

	ol = pb_opt_mss(topt, 1440);
	ol += pb_opt_sackok(topt + ol);
	ol += pb_opt_ts(topt + ol, 1, 0);
	ip6_ab(&ip, 0);
	pb_init(&t.b, PB_MAC_B, PB_MAC_A);
	pb_ipv6(&t.b, &ip);
	pb_tcp(&t.b, &(struct pb_tcp){ .sport = 443, .dport = 50000, .flags = PB_SYN | PB_ACK,
				       .opts = topt, .opts_len = ol });
	pb_finish(&t.b);
	seg(&t, 40, XTAP_STAT_TRUNC_IPV6);
	seg(&t, 40, XTAP_STAT_TRUNC_TCP);
	t.ip_end = 54;
	run_cuts(*state, &t);
}

static void test_udp4(void **state)
{
	struct tcase t = { .name = "IPv4 UDP", .outcome = XTAP_STAT_UDP, .flow = 1,
			   .len_long = XTAP_STAT_IPV4_LEN_LONG };
	struct pb_ip4 ip;

	ip4_ab(&ip, 1);
	pb_init(&t.b, PB_MAC_B, PB_MAC_A);
	pb_ipv4(&t.b, &ip);
	pb_udp(&t.b, 1000, 2000);
	pb_payload(&t.b, NULL, 24);
	pb_finish(&t.b);
	seg(&t, 20, XTAP_STAT_TRUNC_IPV4);
	seg(&t, 8, XTAP_STAT_TRUNC_UDP);
	t.ip_end = 34;
	run_cuts(*state, &t);
}

static void test_icmp4(void **state)
{
	struct tcase t = { .name = "802.1ad IPv4 ICMP echo", .outcome = XTAP_STAT_ICMP, .flow = 1,
			   .len_long = XTAP_STAT_IPV4_LEN_LONG };
	struct pb_ip4 ip;

	ip4_ab(&ip, 1);
	pb_init(&t.b, PB_MAC_B, PB_MAC_A);
	pb_vlan(&t.b, 0x88a8, 3);
	pb_ipv4(&t.b, &ip);
	pb_icmp(&t.b, 8, 0, 1, 1);
	pb_payload(&t.b, NULL, 16);
	pb_finish(&t.b);
	seg(&t, 4, XTAP_STAT_TRUNC_VLAN);
	seg(&t, 20, XTAP_STAT_TRUNC_IPV4);
	seg(&t, 8, XTAP_STAT_TRUNC_ICMP);
	t.ip_end = 38;
	run_cuts(*state, &t);
}

static void test_icmp6(void **state)
{
	struct tcase t = { .name = "IPv6 HBH ICMPv6 echo", .outcome = XTAP_STAT_ICMPV6, .flow = 1,
			   .len_long = XTAP_STAT_IPV6_LEN_LONG };
	struct pb_ip6 ip;

	ip6_ab(&ip, 1);
	pb_init(&t.b, PB_MAC_B, PB_MAC_A);
	pb_ipv6(&t.b, &ip);
	pb_ipv6_ext(&t.b, IPPROTO_HOPOPTS, 8);
	pb_icmp6(&t.b, 128, 0, 1, 1);
	pb_payload(&t.b, NULL, 8);
	pb_finish(&t.b);
	seg(&t, 40, XTAP_STAT_TRUNC_IPV6);
	seg(&t, 8, XTAP_STAT_TRUNC_IPV6_EXT);
	seg(&t, 8, XTAP_STAT_TRUNC_ICMPV6);
	t.ip_end = 54;
	run_cuts(*state, &t);
}

static void test_fragments(void **state)
{
	struct tcase t4 = { .name = "IPv4 later fragment", .outcome = XTAP_STAT_IP_FRAGMENT,
			    .flow = 1, .len_long = XTAP_STAT_IPV4_LEN_LONG };
	struct tcase t6 = { .name = "IPv6 later fragment", .outcome = XTAP_STAT_IP_FRAGMENT,
			    .flow = 1, .len_long = XTAP_STAT_IPV6_LEN_LONG };
	struct pb_ip4 ip;
	struct pb_ip6 ip6;

	ip4_ab(&ip, 1);
	ip.frag = 100;
	pb_init(&t4.b, PB_MAC_B, PB_MAC_A);
	pb_ipv4(&t4.b, &ip);
	pb_ipproto(&t4.b, IPPROTO_UDP);
	pb_payload(&t4.b, NULL, 24);
	pb_finish(&t4.b);
	seg(&t4, 20, XTAP_STAT_TRUNC_IPV4);
	t4.ip_end = 34;
	run_cuts(*state, &t4);

	ip6_ab(&ip6, 1);
	pb_init(&t6.b, PB_MAC_B, PB_MAC_A);
	pb_ipv6(&t6.b, &ip6);
	pb_ipv6_frag(&t6.b, 800, 1, 5);
	pb_ipproto(&t6.b, IPPROTO_TCP);
	pb_payload(&t6.b, NULL, 24);
	pb_finish(&t6.b);
	seg(&t6, 40, XTAP_STAT_TRUNC_IPV6);
	seg(&t6, 8, XTAP_STAT_TRUNC_IPV6_EXT);
	t6.ip_end = 54;
	run_cuts(*state, &t6);
}

static void test_not_ip(void **state)
{
	struct tcase arp = { .name = "ARP", .outcome = XTAP_STAT_ARP };
	struct tcase lldp = { .name = "LLDP", .outcome = XTAP_STAT_LLDP };
	struct tcase other = { .name = "802.1Q other", .outcome = XTAP_STAT_ETH_OTHER };

	pb_init(&arp.b, PB_MAC_B, PB_MAC_A);
	pb_arp(&arp.b, 2, PB_MAC_A, IP_A, PB_MAC_B, IP_B);
	pb_finish(&arp.b);
	seg(&arp, 8, XTAP_STAT_TRUNC_ARP);
	run_cuts(*state, &arp);

	pb_init(&lldp.b, PB_MAC_B, PB_MAC_A);
	pb_lldp(&lldp.b, PB_MAC_A, "port1", 30);
	pb_finish(&lldp.b);
	seg(&lldp, 0, XTAP_STAT_LLDP);	/* nothing after the EtherType is read */
	run_cuts(*state, &lldp);

	pb_init(&other.b, PB_MAC_B, PB_MAC_A);
	pb_vlan(&other.b, 0x8100, 1);
	pb_ethertype(&other.b, 0x88b5, NULL, 10);
	pb_finish(&other.b);
	seg(&other, 4, XTAP_STAT_TRUNC_VLAN);
	run_cuts(*state, &other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)
		T(test_tcp4_vlan_options),
		T(test_udp6_qinq_ext),
		T(test_tcp6_options),
		T(test_udp4),
		T(test_icmp4),
		T(test_icmp6),
		T(test_fragments),
		T(test_not_ip),
#undef T
	};

	return cmocka_run_group_tests_name("prog/truncate", tests, NULL, NULL);
}
