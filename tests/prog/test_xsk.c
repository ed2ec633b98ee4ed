// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * AF_XDP capture switch (kern/lib/xsk.h): the XDP verdict stays XDP_PASS
 * and the frame comes back untouched while AF_XDP capture is off, and also
 * when it is on but no socket holds the frame's RX queue; the flow
 * accounting runs either way. (Frames taken by a socket: selftests.)
 */
#include "tests/prog/harness.h"

static void set_xsk(struct env *e, __u32 slot, const struct xtap_xsk_cfg *c)
{
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(e->skel->maps.xtap_xsk_cfg), &slot, c,
					     BPF_ANY), 0);
	xtap_live_bits64(&xtap_live_of(e->skel)->xsk_slots, 1ull << slot, c->enabled);
}

static void udp_frame(struct pb *b)
{
	struct pb_ip4 ip;

	pb_init(b, PB_MAC_B, PB_MAC_A);
	ip4_ab(&ip, 1);
	pb_ipv4(b, &ip);
	pb_udp(b, 40000, 53);
	pb_payload(b, NULL, 20);
	pb_finish(b);
}

static void expect_udp(struct env *e, __u64 n, __u64 bytes)
{
	struct xtap_stats want = { 0 };

	want.c[XTAP_STAT_UDP] = n;
	want.c[XTAP_STAT_BYTES] = bytes;
	want.c[XTAP_STAT_FLOW_NEW] = 1;
	expect_stats(e, XTAP_HOOK_XDP, &want, "udp frames at xdp");
}

/* Off: XDP_PASS, untouched (run_frame checks both), counted. */
static void test_xsk_off_passes(void **state)
{
	struct env *e = *state;
	struct pb b;

	env_reset(e);
	udp_frame(&b);
	for (int i = 0; i < 3; i++)
		run_pb(e, XTAP_HOOK_XDP, &b, T0 + i);
	expect_udp(e, 3, 3 * b.len);
}

/* On for this slot (every frame), but no socket on the queue: the frame
 * goes on as it came, metadata taken back, and is counted. */
static void test_xsk_on_no_socket_passes(void **state)
{
	struct env *e = *state;
	struct pb b;

	env_reset(e);
	set_xsk(e, 0, &(struct xtap_xsk_cfg){ .enabled = 1, .sample = 1 });
	udp_frame(&b);
	for (int i = 0; i < 3; i++)
		run_pb(e, XTAP_HOOK_XDP, &b, T0 + i);
	expect_udp(e, 3, 3 * b.len);
	set_xsk(e, 0, &(struct xtap_xsk_cfg){ 0 });
}

/* On for another slot only: this instance is not concerned. */
static void test_xsk_other_slot_passes(void **state)
{
	struct env *e = *state;
	struct pb b;

	env_reset(e);
	set_xsk(e, 1, &(struct xtap_xsk_cfg){ .enabled = 1 });
	udp_frame(&b);
	run_pb(e, XTAP_HOOK_XDP, &b, T0);
	expect_udp(e, 1, b.len);
	set_xsk(e, 1, &(struct xtap_xsk_cfg){ 0 });
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)
	const struct CMUnitTest tests[] = {
		T(test_xsk_off_passes),
		T(test_xsk_on_no_socket_passes),
		T(test_xsk_other_slot_passes),
	};

	return cmocka_run_group_tests_name("xsk", tests, NULL, NULL);
}
