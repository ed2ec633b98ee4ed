// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* user/tunnel.c: tunnel names, the port lists of xtap attach, the TUNNEL
 * cell and the "tunnel" JSON object. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/unit_util.h"
#include "user/tunnel.h"

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(xtap_tun_type_name(XTAP_TUN_VXLAN), "vxlan");
	assert_string_equal(xtap_tun_type_name(XTAP_TUN_GENEVE), "geneve");
	assert_string_equal(xtap_tun_type_name(XTAP_TUN_GRE), "gre");
	assert_string_equal(xtap_tun_type_name(XTAP_TUN_IPIP), "ipip");
	assert_string_equal(xtap_tun_type_name(XTAP_TUN_ERSPAN), "erspan");
	assert_null(xtap_tun_type_name(XTAP_TUN_NONE));
	assert_null(xtap_tun_type_name(XTAP_TUN_MAX));
}

static void test_ports(void **state)
{
	static const char *const bad[] = { "", "0", "65536", "4789,", ",4789", "1,2,3,4,5",
					   "47a9", "-1", "4789,,8472", " 4789" };
	__u16 p[XTAP_TUN_PORTS];

	(void)state;
	assert_int_equal(xtap_tun_ports_parse("4789,8472", p), 0);
	assert_int_equal(p[0], 4789);
	assert_int_equal(p[1], 8472);
	assert_int_equal(p[2], 0);
	assert_int_equal(xtap_tun_ports_parse("1,2,3,65535", p), 0);
	assert_int_equal(p[3], 65535);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (xtap_tun_ports_parse(bad[i], p) != -EINVAL)
			fail_msg("\"%s\" was taken", bad[i]);
}

static void test_cell_and_json(void **state)
{
	struct xtap_flow_key k = { .tun_type = XTAP_TUN_VXLAN, .tun_id = 42, .ip_version = 4 };
	struct xtap_tunnel t = { .udp_dport = 4789, .udp_sport = { 50000, 50001 },
				 .outer_ip_version = 4 };
	char buf[128], *out = NULL;
	size_t len = 0;
	struct json j;
	FILE *f;

	(void)state;
	t.outer_a[10] = t.outer_a[11] = t.outer_b[10] = t.outer_b[11] = 0xff;
	memcpy(t.outer_a + 12, (const __u8[]){ 192, 168, 1, 1 }, 4);
	memcpy(t.outer_b + 12, (const __u8[]){ 192, 168, 1, 2 }, 4);
	xtap_tunnel_cell(&k, &t, 0, buf, sizeof(buf));
	assert_string_equal(buf, "vxlan:42 192.168.1.1>192.168.1.2");
	xtap_tunnel_cell(&k, &t, 1, buf, sizeof(buf));
	assert_string_equal(buf, "vxlan:42 192.168.1.2>192.168.1.1");
	xtap_tunnel_cell(&k, NULL, 0, buf, sizeof(buf));
	assert_string_equal(buf, "vxlan:42");
	k.tun_type = 0;
	xtap_tunnel_cell(&k, &t, 0, buf, sizeof(buf));
	assert_string_equal(buf, "-");
	k.tun_type = XTAP_TUN_VXLAN;
	f = open_memstream(&out, &len);
	assert_non_null(f);
	json_init(&j, f);
	json_open(&j, NULL, '{');
	xtap_tunnel_json(&j, &k, &t);
	json_close(&j, '}');
	json_flush(&j);
	fclose(f);
	assert_non_null(strstr(out, "\"tunnel\":{\"type\":\"vxlan\",\"id\":42,"
				    "\"outer_src\":\"192.168.1.1\",\"outer_dst\":\"192.168.1.2\","
				    "\"udp_dport\":4789,\"udp_sport_ab\":50000,\"udp_sport_ba\":50001}"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_cell_and_json),
	};

	return cmocka_run_group_tests_name("tunnel", tests, NULL, NULL);
}
