// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * GSO at the TC hooks: a GSO (or GRO) skb is gso_segs packets on the wire.
 * Its IPv4 total length is 0 when it is longer than 64 KB (IPv4 BIG TCP), its
 * IPv6 payload length 0 with a hop-by-hop jumbo option (IPv6 BIG TCP). The
 * skbs here carry gso_size and gso_segs through BPF_PROG_TEST_RUN's context.
 */
#include "tests/prog/harness.h"

#include <netinet/in.h>
#include <string.h>

#define PAYLOAD 1200
#define MSS 100
#define SEGS (PAYLOAD / MSS)
#define JUMBO_OPT 0xc2	/* IPv6 hop-by-hop jumbo payload option (RFC 2675) */

/* Run b through the hook's program as an skb with gso_size and gso_segs. */
static void run_gso(struct env *e, int hook, const struct pb *b, __u32 gso_size, __u32 gso_segs)
{
	struct xtap_replay_pkt meta = { .now_ns = T0 };
	struct __sk_buff ctx = { .gso_size = gso_size, .gso_segs = gso_segs };
	__u32 zero = 0;
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = b->d, .data_size_in = (__u32)b->len,
		    .data_out = e->out, .data_size_out = sizeof(e->out), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	assert_int_equal(bpf_map_update_elem(e->replay_fd, &zero, &meta, BPF_ANY), 0);
	if (bpf_prog_test_run_opts(bpf_program__fd(hook_prog(e, hook)), &t)) {
		print_error("%s: test run: %s\n", hook_str(hook), strerror(errno));
		fail();
	}
	assert_int_equal((int)t.retval, TC_UNSPEC);
	assert_int_equal(t.data_size_out, b->len);
	assert_memory_equal(e->out, b->d, b->len);
}

/* The flow's packets and bytes from a to b. */
static void expect_ab(struct env *e, const struct xtap_flow_key *k, __u64 pkts, __u64 bytes,
		      const char *what)
{
	struct xtap_flow f;

	if (xtap_flow_lookup(e->flows_fd, fcache_fd(e), k, &f)) {
		print_error("%s: no flow\n", what);
		fail();
	}
	if (f.pkts[XTAP_DIR_AB] != pkts || f.bytes[XTAP_DIR_AB] != bytes) {
		print_error("%s: %llu packets, %llu bytes; want %llu, %llu\n", what,
			    (unsigned long long)f.pkts[XTAP_DIR_AB],
			    (unsigned long long)f.bytes[XTAP_DIR_AB], (unsigned long long)pkts,
			    (unsigned long long)bytes);
		fail();
	}
}

/* A data segment from a to b with timestamps (a 32-byte TCP header). */
static void data_seg(struct pb *b, int v6)
{
	uint8_t opt[12];
	size_t n = pb_opt_ts(opt, 1, 2);

	pb_eth_ip(b, v6, 0, 1, 1);
	pb_tcp(b, &(struct pb_tcp){ .sport = CONV_CPORT, .dport = CONV_SPORT, .seq = 1000,
				    .ack = 1, .flags = PB_ACK, .opts = opt, .opts_len = n });
	pb_payload(b, NULL, PAYLOAD);
	pb_finish(b);
}

static struct xtap_flow_key key_ab(int v6)
{
	return conv_key(&(struct tcp_conv){ .client_a = 1, .v6 = v6 });
}

static const int tc_hooks[] = { XTAP_HOOK_TC_INGRESS, XTAP_HOOK_TC_EGRESS };

/* IPv4 total length 0 on a GSO skb: the length is the skb's, and the skb is
 * gso_segs packets of headers (14 + 20 + 32 bytes) and MSS bytes each. */
static void test_ipv4_big_tcp(void **state)
{
	struct env *e = *state;
	struct xtap_flow_key k = key_ab(0);
	struct pb b;

	data_seg(&b, 0);
	pb_put16(&b, b.l3 + 2, 0);
	for (size_t h = 0; h < 2; h++) {
		struct xtap_stats want = { 0 };

		env_reset(e);
		run_gso(e, tc_hooks[h], &b, MSS, SEGS);
		want.c[XTAP_STAT_TCP] = 1;
		want.c[XTAP_STAT_BYTES] = b.len;
		want.c[XTAP_STAT_FLOW_NEW] = 1;
		expect_stats(e, tc_hooks[h], &want, "IPv4 BIG TCP");
		expect_ab(e, &k, SEGS, b.len + (SEGS - 1) * (14 + 20 + 32), "IPv4 BIG TCP");
	}
}

/* Without GSO a total length of 0 stays malformed, at TC and XDP. */
static void test_ipv4_len_0_without_gso(void **state)
{
	struct env *e = *state;
	struct pb b;

	data_seg(&b, 0);
	pb_put16(&b, b.l3 + 2, 0);
	env_reset(e);
	run_gso(e, XTAP_HOOK_TC_EGRESS, &b, 0, 0);
	expect_one(e, XTAP_HOOK_TC_EGRESS, XTAP_STAT_IPV4_LEN_SHORT, b.len, 0, "TC, no GSO");
	run_pb(e, XTAP_HOOK_XDP, &b, T0);
	expect_one(e, XTAP_HOOK_XDP, XTAP_STAT_IPV4_LEN_SHORT, b.len, 0, "XDP");
	expect_nflows(e, 0, "total length 0 without GSO");
}

/* An ordinary GSO skb (its lengths set) and a GRO one at ingress: gso_segs
 * packets; gso_segs 0 or 1: one. */
static void test_gso_segments_counted(void **state)
{
	struct env *e = *state;
	struct pb b;

	for (int v6 = 0; v6 < 2; v6++) {
		struct xtap_flow_key k = key_ab(v6);
		__u32 hdr = 14 + (v6 ? 40 : 20) + 32;

		data_seg(&b, v6);
		for (size_t h = 0; h < 2; h++) {
			env_reset(e);
			run_gso(e, tc_hooks[h], &b, MSS, SEGS);
			run_gso(e, tc_hooks[h], &b, MSS, SEGS);
			expect_ab(e, &k, 2 * SEGS, 2 * (b.len + (SEGS - 1) * hdr), "GSO");
			env_reset(e);
			run_gso(e, tc_hooks[h], &b, 0, 0);
			run_gso(e, tc_hooks[h], &b, 0, 1);
			expect_ab(e, &k, 2, 2 * b.len, "not GSO");
		}
	}
}

/* IPv6 BIG TCP: payload length 0 and a hop-by-hop header holding only the
 * jumbo payload option. The length is the option's; the segments on the
 * wire go without the hop-by-hop header. */
static void test_ipv6_big_tcp_jumbo(void **state)
{
	struct env *e = *state;
	struct xtap_flow_key k = key_ab(1);
	uint8_t opt[12];
	size_t n = pb_opt_ts(opt, 1, 2), hbh;
	__u32 jumbo;
	struct pb b;

	pb_eth_ip(&b, 1, 0, 1, 1);
	pb_ipv6_ext(&b, IPPROTO_HOPOPTS, 8);
	pb_tcp(&b, &(struct pb_tcp){ .sport = CONV_CPORT, .dport = CONV_SPORT, .seq = 1000,
				     .ack = 1, .flags = PB_ACK, .opts = opt, .opts_len = n });
	pb_payload(&b, NULL, PAYLOAD);
	pb_finish(&b);
	hbh = b.l3 + 40;
	jumbo = (__u32)(b.len - hbh);
	pb_put16(&b, b.l3 + 4, 0);
	pb_put8(&b, hbh + 1, 0);
	pb_put8(&b, hbh + 2, JUMBO_OPT);
	pb_put8(&b, hbh + 3, 4);
	pb_put16(&b, hbh + 4, jumbo >> 16);
	pb_put16(&b, hbh + 6, jumbo & 0xffff);
	for (size_t h = 0; h < 2; h++) {
		struct xtap_stats want = { 0 };

		env_reset(e);
		run_gso(e, tc_hooks[h], &b, MSS, SEGS);
		want.c[XTAP_STAT_TCP] = 1;
		want.c[XTAP_STAT_BYTES] = b.len;
		want.c[XTAP_STAT_FLOW_NEW] = 1;
		expect_stats(e, tc_hooks[h], &want, "IPv6 BIG TCP");
		expect_ab(e, &k, SEGS, b.len - 8 + (SEGS - 1) * (14 + 40 + 32), "IPv6 BIG TCP");
	}
	/* a jumbo length past the frame is malformed */
	pb_put16(&b, hbh + 4, (jumbo + 1) >> 16);
	pb_put16(&b, hbh + 6, (jumbo + 1) & 0xffff);
	env_reset(e);
	run_gso(e, XTAP_HOOK_TC_EGRESS, &b, MSS, SEGS);
	expect_one(e, XTAP_HOOK_TC_EGRESS, XTAP_STAT_IPV6_LEN_LONG, b.len, 0, "jumbo too long");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_big_tcp),
		cmocka_unit_test(test_ipv4_len_0_without_gso),
		cmocka_unit_test(test_gso_segments_counted),
		cmocka_unit_test(test_ipv6_big_tcp_jumbo),
	};

	return cmocka_run_group_tests(tests, env_setup, env_teardown);
}
