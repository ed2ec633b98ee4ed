// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* user/names.c: counter, hook, XDP mode, TC mechanism and protocol names, TCP
 * flags, addresses. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "tests/unit/unit_util.h"
#include "user/names.h"

static void test_every_stat_has_a_unique_name(void **state)
{
	(void)state;
	for (int i = 0; i < XTAP_STAT_MAX; i++) {
		const char *n = xtap_stat_name(i);

		assert_non_null(n);
		if (!*n || !strcmp(n, "unknown"))
			fail_msg("enum xtap_stat %d has no name", i);
		for (const char *c = n; *c; c++)
			if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '_')
				fail_msg("stat name \"%s\" is not a lower_case identifier", n);
		for (int k = 0; k < i; k++)
			if (!strcmp(n, xtap_stat_name(k)))
				fail_msg("stats %d and %d are both \"%s\"", k, i, n);
	}
}

static void test_stat_names_fixed(void **state)
{
	(void)state;
	/* names that scripts and the README rely on */
	assert_string_equal(xtap_stat_name(XTAP_STAT_TCP), "tcp");
	assert_string_equal(xtap_stat_name(XTAP_STAT_TRUNC_ETH), "truncated_eth");
	assert_string_equal(xtap_stat_name(XTAP_STAT_TRUNC_ARP), "truncated_arp");
	assert_string_equal(xtap_stat_name(XTAP_STAT_BYTES), "bytes");
	assert_string_equal(xtap_stat_name(XTAP_STAT_FLOW_FAIL), "flows_failed");
	assert_string_equal(xtap_stat_name(XTAP_STAT_MAX), "unknown");
	assert_string_equal(xtap_stat_name((enum xtap_stat)-1), "unknown");
}

static void test_hook_round_trip(void **state)
{
	(void)state;
	for (int h = 0; h < XTAP_HOOK_MAX; h++) {
		const char *n = xtap_hook_name(h);

		assert_string_not_equal(n, "unknown");
		assert_int_equal(xtap_hook_parse(n), h);
	}
	assert_string_equal(xtap_hook_name(XTAP_HOOK_XDP), "xdp");
	assert_string_equal(xtap_hook_name(XTAP_HOOK_TC_INGRESS), "tc-ingress");
	assert_string_equal(xtap_hook_name(XTAP_HOOK_TC_EGRESS), "tc-egress");
	assert_string_equal(xtap_hook_name(XTAP_HOOK_MAX), "unknown");
	assert_int_equal(xtap_hook_parse("unknown"), -1);
	assert_int_equal(xtap_hook_parse(""), -1);
	assert_int_equal(xtap_hook_parse("XDP"), -1);
	assert_int_equal(xtap_hook_parse("tc"), -1);
	assert_int_equal(xtap_hook_parse("xdp "), -1);
}

static void test_mode_and_mech_names(void **state)
{
	(void)state;
	assert_string_equal(xtap_xdp_mode_name(XTAP_XDP_NONE), "-");
	assert_string_equal(xtap_xdp_mode_name(XTAP_XDP_NATIVE), "native");
	assert_string_equal(xtap_xdp_mode_name(XTAP_XDP_GENERIC), "generic");
	assert_string_equal(xtap_xdp_mode_name(3), "unknown");
	assert_string_equal(xtap_tc_mech_name(XTAP_TC_NONE), "-");
	assert_string_equal(xtap_tc_mech_name(XTAP_TC_TCX), "tcx");
	assert_string_equal(xtap_tc_mech_name(XTAP_TC_CLSACT), "clsact");
	assert_string_equal(xtap_tc_mech_name(-1), "unknown");
	/* options: "auto" is 0, "-" is no option value */
	assert_int_equal(xtap_xdp_mode_parse("auto"), 0);
	assert_int_equal(xtap_xdp_mode_parse("native"), XTAP_XDP_NATIVE);
	assert_int_equal(xtap_xdp_mode_parse("generic"), XTAP_XDP_GENERIC);
	assert_int_equal(xtap_xdp_mode_parse("-"), -1);
	assert_int_equal(xtap_xdp_mode_parse("tcx"), -1);
	assert_int_equal(xtap_tc_mech_parse("auto"), 0);
	assert_int_equal(xtap_tc_mech_parse("tcx"), XTAP_TC_TCX);
	assert_int_equal(xtap_tc_mech_parse("clsact"), XTAP_TC_CLSACT);
	assert_int_equal(xtap_tc_mech_parse("-"), -1);
	assert_int_equal(xtap_tc_mech_parse("native"), -1);
}

static void test_proto_names(void **state)
{
	(void)state;
	assert_string_equal(xtap_proto_name(IPPROTO_TCP), "tcp");
	assert_string_equal(xtap_proto_name(IPPROTO_UDP), "udp");
	assert_string_equal(xtap_proto_name(IPPROTO_ICMP), "icmp");
	assert_string_equal(xtap_proto_name(IPPROTO_ICMPV6), "icmpv6");
	assert_string_equal(xtap_proto_name(IPPROTO_SCTP), "sctp");
	assert_null(xtap_proto_name(253));
	assert_null(xtap_proto_name(0));
}

static const char *flags(__u32 f, size_t len)
{
	static char buf[32];

	memset(buf, 'x', sizeof(buf));
	return xtap_tcp_flags_str(f, buf, len);
}

static void test_tcp_flags(void **state)
{
	(void)state;
	assert_string_equal(flags(0, 16), "");
	assert_string_equal(flags(0x01, 16), "F");
	assert_string_equal(flags(0x02, 16), "S");
	assert_string_equal(flags(0x04, 16), "R");
	assert_string_equal(flags(0x08, 16), "P");
	assert_string_equal(flags(0x10, 16), "A");
	assert_string_equal(flags(0x20, 16), "U");
	assert_string_equal(flags(0x40, 16), "E");
	assert_string_equal(flags(0x80, 16), "W");
	assert_string_equal(flags(0x12, 16), "SA");
	assert_string_equal(flags(0x18, 16), "PA");
	assert_string_equal(flags(0x11, 16), "FA");
	assert_string_equal(flags(0xff, 16), "FSRPAUEW");
	/* only the low 8 bits are flags */
	assert_string_equal(flags(0x112, 16), "SA");
	assert_string_equal(flags(0xffffff00u, 16), "");
}

static void test_tcp_flags_short_buffer(void **state)
{
	char buf[4] = "zzz";

	(void)state;
	assert_string_equal(flags(0xff, 3), "FS");
	assert_string_equal(flags(0xff, 1), "");
	/* len 0: nothing is written */
	assert_ptr_equal(xtap_tcp_flags_str(0xff, buf, 0), buf);
	assert_memory_equal(buf, "zzz", 4);
}

static void test_addr_ipv4(void **state)
{
	__u8 a[16] = { [10] = 0xff, [11] = 0xff, [12] = 10, [13] = 1, [14] = 2, [15] = 254 };
	char buf[64];

	(void)state;
	assert_string_equal(xtap_addr_str(a, 4, buf, sizeof(buf)), "10.1.2.254");
	/* the same bytes as an IPv6 flow: the mapped form */
	assert_string_equal(xtap_addr_str(a, 6, buf, sizeof(buf)), "::ffff:10.1.2.254");
	/* every octet value against inet_ntop, in each position */
	for (unsigned v = 0; v < 256; v++) {
		__u8 b[16] = { [12] = v, [13] = 255 - v, [14] = v / 7, [15] = (v * 13) & 0xff };
		char want[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, b + 12, want, sizeof(want));
		assert_string_equal(xtap_addr_str(b, 4, buf, sizeof(buf)), want);
	}
	assert_string_equal(xtap_addr_str((__u8[16]){ [12] = 255, 255, 255, 255 }, 4, buf,
					  sizeof(buf)), "255.255.255.255");
	/* a buffer too small for any address: inet_ntop's refusal, no overrun */
	buf[0] = 'z';
	xtap_addr_str(a, 4, buf, 8);
	assert_int_equal(buf[0], 'z');
}

static void test_addr_ipv6(void **state)
{
	__u8 a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	__u8 ll[16] = { 0xfe, 0x80, [8] = 0x02, [9] = 0x11, [10] = 0x22, [11] = 0xff,
			[12] = 0xfe, [13] = 0x33, [14] = 0x44, [15] = 0x55 };
	__u8 zero[16] = { 0 };
	char buf[64];

	(void)state;
	assert_string_equal(xtap_addr_str(a, 6, buf, sizeof(buf)), "2001:db8::1");
	assert_string_equal(xtap_addr_str(ll, 6, buf, sizeof(buf)), "fe80::211:22ff:fe33:4455");
	assert_string_equal(xtap_addr_str(zero, 6, buf, sizeof(buf)), "::");
	assert_string_equal(xtap_addr_str(zero, 4, buf, sizeof(buf)), "0.0.0.0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_stat_has_a_unique_name),
		cmocka_unit_test(test_stat_names_fixed),
		cmocka_unit_test(test_hook_round_trip),
		cmocka_unit_test(test_mode_and_mech_names),
		cmocka_unit_test(test_proto_names),
		cmocka_unit_test(test_tcp_flags),
		cmocka_unit_test(test_tcp_flags_short_buffer),
		cmocka_unit_test(test_addr_ipv4),
		cmocka_unit_test(test_addr_ipv6),
	};

	return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
