// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Sampled flow accounting (xtap attach --sampling N) on the real programs,
 * live (not replay: replay accounts every packet): a flow's packet and byte
 * counts are estimates within their statistical bounds, every packet is in
 * the per-point counters, and a TCP connection's SYN, FIN and RST, its
 * handshake times and its outcome are exact.
 */
#include "tests/prog/harness.h"

#include <netinet/in.h>

#define RATE 8

struct live {
	struct xtap_bpf *skel;
	int flows_fd, fcache_fd, stats_fd;
};

static int live_setup(void **state)
{
	struct xtap_load_opts lo = { .replay = false };
	struct live *l = calloc(1, sizeof(*l));

	if (!l || xtap_load(&lo, &l->skel)) {
		free(l);
		return -1;
	}
	l->flows_fd = bpf_map__fd(l->skel->maps.xtap_flows);
	l->fcache_fd = bpf_map__fd(l->skel->maps.xtap_fcache);
	l->stats_fd = bpf_map__fd(l->skel->maps.xtap_stats);
	*state = l;
	return 0;
}

static int live_teardown(void **state)
{
	struct live *l = *state;

	xtap_unload(l->skel);
	free(l);
	return 0;
}

static void set_cfg(struct live *l, __u32 sampling, __u32 hop_shift)
{
	struct xtap_live *live = xtap_live_of(l->skel);

	xtap_live_set(&live->flow.sampling, sampling);
	xtap_live_set(&live->hop.sample_shift, hop_shift);
	xtap_live_set(&live->hop.configured, 1);
}

static void run(struct live *l, int hook, const struct pb *b, __u32 repeat)
{
	struct bpf_program *p = hook == XTAP_HOOK_XDP ? l->skel->progs.xdp_tap :
				hook == XTAP_HOOK_TC_INGRESS ? l->skel->progs.tc_tap_ingress :
				l->skel->progs.tc_tap_egress;
	static uint8_t out[PB_MAX + 512];
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = b->d, .data_size_in = (__u32)b->len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = repeat);

	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(p), &t), 0);
}

/* The one flow of the table. */
static struct xtap_flow the_flow(struct live *l)
{
	struct xtap_flow_entry *f = NULL;
	struct xtap_flow v;
	size_t n = 0;

	assert_int_equal(xtap_flows_read(l->flows_fd, l->fcache_fd, XTAP_SORT_KEY, &f, &n), 0);
	assert_int_equal(n, 1);
	v = f[0].val;
	free(f);
	return v;
}

/* n packets sampled 1 in RATE: the estimate is RATE times a binomial count
 * of variance n/RATE (1 - 1/RATE), so its own variance is n (RATE - 1); it
 * must fall within 5 standard deviations of n (1 in 1.7 million to fail)
 * and be a multiple of RATE. */
static void expect_estimate(__u64 got, __u64 n, const char *what)
{
	double d = (double)got - (double)n;

	if (d * d > 25.0 * n * (RATE - 1) || got % RATE)
		fail_msg("%s: estimate %llu for %llu packets (bound: 5 sd, %d (n (N-1))^0.5)",
			 what, (unsigned long long)got, (unsigned long long)n, 5);
}

static void udp_frame(struct pb *b, __u16 sport)
{
	pb_init(b, PB_MAC_B, PB_MAC_A);
	pb_ipv4(b, &(struct pb_ip4){ .saddr = IP_A, .daddr = IP_B, .id = 7 });
	pb_udp(b, sport, 9);
	pb_payload(b, NULL, 100);
	pb_finish(b);
}

/* A UDP flow at each hook, with hop tracking following 1 in 16 packets (the
 * default) and every packet (the packets left out of the flow sample are
 * parsed for hop tracking then): estimates in bounds, flagged with the rate,
 * bytes the packets times the frame length, every packet in the counters. */
static void test_sample_udp_estimate(void **state)
{
	struct live *l = *state;
	const __u32 n = 40000;

	for (size_t h = 0; h < NHOOKS; h++) {
		for (__u32 shift = 0; shift <= XTAP_HOP_SAMPLE_SHIFT_DEFAULT;
		     shift += XTAP_HOP_SAMPLE_SHIFT_DEFAULT) {
			struct xtap_stats before, after;
			struct xtap_flow v;
			struct pb b;
			udp_frame(&b, (__u16)(41000 + h * 10 + shift));
			set_cfg(l, RATE, shift);
			assert_int_equal(xtap_stats_read(l->stats_fd, XTAP_POINT(0, hooks[h]), &before), 0);
			run(l, hooks[h], &b, n);
			assert_int_equal(xtap_stats_read(l->stats_fd, XTAP_POINT(0, hooks[h]), &after), 0);
			assert_int_equal(after.c[XTAP_STAT_UDP] - before.c[XTAP_STAT_UDP], n);
			assert_int_equal(after.c[XTAP_STAT_BYTES] - before.c[XTAP_STAT_BYTES],
					 (__u64)n * b.len);

			struct xtap_flow_entry *f = NULL;
			size_t nf = 0, found = 0;

			assert_int_equal(xtap_flows_read(l->flows_fd, l->fcache_fd, XTAP_SORT_KEY, &f,
							 &nf), 0);
			for (size_t i = 0; i < nf; i++) {
				if (f[i].key.port_a != 41000 + h * 10 + shift &&
				    f[i].key.port_b != 41000 + h * 10 + shift)
					continue;
				found++;
				v = f[i].val;
				assert_int_equal(v.sampling, RATE);
				expect_estimate(v.pkts[0] + v.pkts[1], n, hook_str(hooks[h]));
				assert_int_equal(v.bytes[0] + v.bytes[1],
						 (v.pkts[0] + v.pkts[1]) * b.len);
			}
			free(f);
			assert_int_equal(found, 1);
		}
	}
}

static void tcp_seg(struct pb *b, int from_client, __u8 flags, __u32 seq, __u32 ack, size_t len)
{
	pb_init(b, PB_MAC_B, PB_MAC_A);
	pb_ipv4(b, &(struct pb_ip4){ .saddr = from_client ? IP_A : IP_B,
				     .daddr = from_client ? IP_B : IP_A, .id = 9 });
	pb_tcp(b, &(struct pb_tcp){ .sport = from_client ? 52000 : 443,
				    .dport = from_client ? 443 : 52000, .seq = seq, .ack = ack,
				    .flags = flags });
	pb_payload(b, NULL, len);
	pb_finish(b);
}

/* A connection at TC egress, sampled 1 in 8: the handshake (its three
 * times and the SYN-ACK's ACK among them), the data, the FINs. Every SYN,
 * FIN and RST counts once, the outcome is exact, the data an estimate. */
static void test_sample_tcp_handshake_exact(void **state)
{
	struct live *l = *state;
	const int hook = XTAP_HOOK_TC_EGRESS;
	const __u32 n = 40000;
	struct xtap_flow_entry *f = NULL;
	struct pb b;
	size_t nf = 0;
	int c;

	/* a table of its own: the UDP test's flows gone */
	assert_int_equal(xtap_flows_read(l->flows_fd, l->fcache_fd, XTAP_SORT_KEY, &f, &nf), 0);
	for (size_t i = 0; i < nf; i++)
		bpf_map_delete_elem(l->flows_fd, &f[i].key);
	free(f);
	set_cfg(l, RATE, XTAP_HOP_SAMPLE_SHIFT_DEFAULT);
	for (int round = 0; round < 20; round++) {
		/* the handshake's last ACK is never left out: 20 connections */
		tcp_seg(&b, 1, PB_SYN, 1000, 0, 0);
		run(l, hook, &b, 1);
		tcp_seg(&b, 0, PB_SYN | PB_ACK, 5000, 1001, 0);
		run(l, hook, &b, 1);
		tcp_seg(&b, 1, PB_ACK, 1001, 5001, 0);
		run(l, hook, &b, 1);
		struct xtap_flow v = the_flow(l);

		assert_int_equal(v.hs_state, XTAP_HS_DONE);
		assert_int_equal(v.outcome, XTAP_OUTCOME_ESTABLISHED);
		assert_int_equal(v.hs_seen, XTAP_HS_SEEN_SYN | XTAP_HS_SEEN_SYNACK | XTAP_HS_SEEN_ACK);
		assert_int_equal(v.pkts[0] + v.pkts[1], 3);
		assert_int_equal(xtap_flows_read(l->flows_fd, l->fcache_fd, XTAP_SORT_KEY, &f, &nf), 0);
		for (size_t i = 0; i < nf; i++)
			bpf_map_delete_elem(l->flows_fd, &f[i].key);
		free(f);
	}
	tcp_seg(&b, 1, PB_SYN, 1000, 0, 0);
	run(l, hook, &b, 1);
	tcp_seg(&b, 0, PB_SYN | PB_ACK, 5000, 1001, 0);
	run(l, hook, &b, 1);
	tcp_seg(&b, 1, PB_ACK, 1001, 5001, 0);
	run(l, hook, &b, 1);
	tcp_seg(&b, 1, PB_ACK | PB_PSH, 1001, 5001, 100);
	run(l, hook, &b, n);
	tcp_seg(&b, 1, PB_FIN | PB_ACK, 1101, 5001, 0);
	run(l, hook, &b, 1);
	tcp_seg(&b, 0, PB_FIN | PB_ACK, 5001, 1102, 0);
	run(l, hook, &b, 1);
	struct xtap_flow v = the_flow(l);

	c = v.initiator;
	assert_int_equal(v.sampling, RATE);
	assert_int_equal(v.syn[c], 1);
	assert_int_equal(v.syn[!c], 1);
	assert_int_equal(v.fin[c], 1);
	assert_int_equal(v.fin[!c], 1);
	assert_int_equal(v.rst[0] + v.rst[1], 0);
	assert_int_equal(v.hs_seen, XTAP_HS_SEEN_SYN | XTAP_HS_SEEN_SYNACK | XTAP_HS_SEEN_ACK);
	assert_int_equal(v.outcome, XTAP_OUTCOME_CLOSED);
	/* SYN, ACK, FIN from the client exactly, the data estimated; SYN-ACK and
	 * FIN from the server */
	expect_estimate(v.pkts[c] - 3, n, "tcp data");
	assert_int_equal(v.pkts[!c], 2);
}

/* seg inside a tunnel to UDP port dport (VXLAN VNI 42, or Geneve), or,
 * with proto set, inside that IP protocol (GRE with no options, IP in IP):
 * the outer headers between two other hosts. */
static void tunnel_seg(struct pb *b, const struct pb *seg, __u16 dport, __u8 proto)
{
	static const __u8 vxlan[8] = { 0x08, 0, 0, 0, 0, 0, 42, 0 };
	static const __u8 geneve[8] = { 0, 0, 0x65, 0x58, 0, 0, 42, 0 };
	static const __u8 gre[4] = { 0, 0, 0x08, 0 };

	pb_init(b, PB_MAC_B, PB_MAC_A);
	pb_ipv4(b, &(struct pb_ip4){ .saddr = PB_IP4(192, 168, 1, 1),
				     .daddr = PB_IP4(192, 168, 1, 2), .id = 3 });
	if (proto == IPPROTO_GRE) {
		pb_ipproto(b, proto);
		pb_payload(b, gre, sizeof(gre));
		pb_payload(b, seg->d + 14, seg->len - 14);
	} else if (proto) {
		pb_ipproto(b, proto);
		pb_payload(b, seg->d + 14, seg->len - 14);
	} else {
		pb_udp(b, 51515, dport);
		pb_payload(b, dport == 6081 ? geneve : vxlan, 8);
		pb_payload(b, seg->d, seg->len);
	}
	pb_finish(b);
}

/* Inside a tunnel, sampled 1 in 65535 with hop tracking at 1 in 65536:
 * the inner connection's SYN, SYN-ACK, the handshake's last ACK and the
 * FINs are all accounted with weight 1 at every hook, for VXLAN, Geneve,
 * GRE and IP in IP, so the inner flow has its handshake timed and its
 * outcome, as a plain connection would. */
static void test_sample_tunnel_edges(void **state)
{
	static const struct { __u16 port; __u8 proto; __u8 type; const char *name; } tun[] = {
		{ 4789, 0, XTAP_TUN_VXLAN, "vxlan" },
		{ 6081, 0, XTAP_TUN_GENEVE, "geneve" },
		{ 0, IPPROTO_GRE, XTAP_TUN_GRE, "gre" },
		{ 0, IPPROTO_IPIP, XTAP_TUN_IPIP, "ipip" },
	};
	static const struct { int from_client; __u8 flags; __u32 seq, ack; } segs[] = {
		{ 1, PB_SYN, 1000, 0 }, { 0, PB_SYN | PB_ACK, 5000, 1001 }, { 1, PB_ACK, 1001, 5001 },
		{ 1, PB_FIN | PB_ACK, 1001, 5001 }, { 0, PB_FIN | PB_ACK, 5001, 1002 },
	};
	struct live *l = *state;

	set_cfg(l, XTAP_SAMPLING_MAX, 16);
	for (size_t t = 0; t < sizeof(tun) / sizeof(tun[0]); t++) {
		for (size_t h = 0; h < NHOOKS; h++) {
			struct xtap_flow_entry *f = NULL;
			struct pb seg, b;
			size_t nf = 0;
			int c;

			assert_int_equal(xtap_flows_read(l->flows_fd, l->fcache_fd, XTAP_SORT_KEY,
							 &f, &nf), 0);
			for (size_t i = 0; i < nf; i++)
				bpf_map_delete_elem(l->flows_fd, &f[i].key);
			free(f);
			for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
				tcp_seg(&seg, segs[i].from_client, segs[i].flags, segs[i].seq,
					segs[i].ack, 0);
				tunnel_seg(&b, &seg, tun[t].port, tun[t].proto);
				run(l, hooks[h], &b, 1);
			}
			assert_int_equal(xtap_flows_read(l->flows_fd, l->fcache_fd, XTAP_SORT_KEY,
							 &f, &nf), 0);
			if (nf != 1 || f[0].key.tun_type != tun[t].type || f[0].key.proto != IPPROTO_TCP)
				fail_msg("%s at %s: %zu flows, the first of tunnel type %d proto %d; "
					 "expected the inner TCP flow alone", tun[t].name,
					 hook_str(hooks[h]), nf, nf ? f[0].key.tun_type : -1,
					 nf ? f[0].key.proto : -1);
			struct xtap_flow v = f[0].val;

			free(f);
			c = v.initiator;
			assert_int_equal(v.syn[c], 1);
			assert_int_equal(v.syn[!c], 1);
			assert_int_equal(v.fin[c], 1);
			assert_int_equal(v.fin[!c], 1);
			assert_int_equal(v.pkts[c], 3);
			assert_int_equal(v.pkts[!c], 2);
			assert_int_equal(v.hs_seen,
					 XTAP_HS_SEEN_SYN | XTAP_HS_SEEN_SYNACK | XTAP_HS_SEEN_ACK);
			assert_int_equal(v.hs_state, XTAP_HS_DONE);
			assert_true(v.syn_synack_ns > 0 && v.synack_ack_ns > 0);
			assert_int_equal(v.outcome, XTAP_OUTCOME_CLOSED);
		}
	}
}

/* The frames of test_sample_left_out_counted. */
enum lo_frame { LO_V4_UDP, LO_V6_UDP, LO_V6_TCP, LO_PADDED, LO_TRAILER, LO_VLAN, LO_NO_MAC,
		LO_MULTIBUF, LO_MULTIBUF_TRAILER, LO_N };

static const char *const lo_names[LO_N] = { "ipv4 udp", "ipv6 udp", "ipv6 tcp", "padded 60",
					    "trailer", "vlan", "mac 45:", "multi-buffer",
					    "multi-buffer, trailer" };

/* Frame i of a flow of its own (sport); *cls the class it counts as. */
static void lo_frame(struct pb *b, int i, __u16 sport, int *cls)
{
	static const uint8_t mac_ip[6] = { 0x45, 0, 0, 0, 0, 2 };
	struct pb_ip6 o6;

	pb_init(b, i == LO_NO_MAC ? mac_ip : PB_MAC_B, PB_MAC_A);
	if (i == LO_VLAN)
		pb_vlan(b, 0x8100, 42);
	*cls = XTAP_STAT_UDP;
	if (i == LO_V6_UDP || i == LO_V6_TCP) {
		ip6_ab(&o6, 1);
		o6.flow_label = 0x12345;
		pb_ipv6(b, &o6);
	} else {
		pb_ipv4(b, &(struct pb_ip4){ .saddr = IP_A, .daddr = IP_B, .id = 7 });
	}
	if (i == LO_V6_TCP) {
		pb_tcp(b, &(struct pb_tcp){ .sport = sport, .dport = 443, .seq = 1, .ack = 1,
					    .flags = PB_ACK });
		*cls = XTAP_STAT_TCP;
	} else {
		pb_udp(b, sport, 9);
	}
	pb_payload(b, NULL, i == LO_PADDED ? 4 : i == LO_MULTIBUF ? 3900 : 100);
	pb_finish(b);
	if (i == LO_PADDED)
		pb_pad(b, 60);
	if (i == LO_TRAILER)
		pb_pad(b, b->len + 8);
	if (i == LO_MULTIBUF_TRAILER)
		pb_pad(b, 3942);	/* past the linear part of an XDP test run */
}

/* Packets left out of the flow sample still count, each with its class
 * and the frame's whole length, in the per-point counters, whatever the
 * frame: the plain IPv4 and IPv6 ones decided in place (at XDP their
 * length from the linear part), a padded 60-byte frame, one with a trailer
 * past its IP packet, a tagged one and one whose first byte could start an
 * IP header (both parsed), and at XDP multi-buffer frames (their length
 * from the helper, not the linear part), one whose IP packet ends in the
 * linear part. Hop tracking follows 1 in 65536, and
 * the flows are estimates flagged with the rate. */
static void test_sample_left_out_counted(void **state)
{
	struct live *l = *state;
	const __u32 n = 4000;

	set_cfg(l, RATE, 16);
	for (size_t h = 0; h < NHOOKS; h++) {
		for (int i = 0; i < LO_N; i++) {
			__u16 sport = (__u16)(43000 + h * 100 + i);
			struct xtap_stats before, after;
			struct xtap_flow_entry *f = NULL;
			size_t nf = 0, found = 0;
			struct pb b;
			int cls;

			if ((i == LO_MULTIBUF || i == LO_MULTIBUF_TRAILER) &&
			    hooks[h] != XTAP_HOOK_XDP)
				continue;	/* a TC test run takes a linear skb */
			lo_frame(&b, i, sport, &cls);
			assert_int_equal(xtap_stats_read(l->stats_fd, XTAP_POINT(0, hooks[h]), &before), 0);
			run(l, hooks[h], &b, n);
			assert_int_equal(xtap_stats_read(l->stats_fd, XTAP_POINT(0, hooks[h]), &after), 0);
			if (after.c[cls] - before.c[cls] != n ||
			    after.c[XTAP_STAT_BYTES] - before.c[XTAP_STAT_BYTES] != (__u64)n * b.len)
				fail_msg("%s, %s: %llu packets, %llu bytes counted; expected %u, %llu",
					 hook_str(hooks[h]), lo_names[i],
					 (unsigned long long)(after.c[cls] - before.c[cls]),
					 (unsigned long long)(after.c[XTAP_STAT_BYTES] -
							      before.c[XTAP_STAT_BYTES]),
					 n, (unsigned long long)n * b.len);
			assert_int_equal(xtap_flows_read(l->flows_fd, l->fcache_fd, XTAP_SORT_KEY, &f,
							 &nf), 0);
			for (size_t k = 0; k < nf; k++) {
				if (f[k].key.port_a != sport && f[k].key.port_b != sport)
					continue;
				found++;
				assert_int_equal(f[k].val.sampling, RATE);
				expect_estimate(f[k].val.pkts[0] + f[k].val.pkts[1], n, lo_names[i]);
				assert_int_equal(f[k].val.bytes[0] + f[k].val.bytes[1],
						 (f[k].val.pkts[0] + f[k].val.pkts[1]) * b.len);
			}
			free(f);
			/* a flow of n / RATE expected packets: none sampled is
			 * possible only with a chance below 1e-200 */
			assert_int_equal(found, 1);
		}
	}
}

/* A new rate starts over at once: after 1 in 65535, 1 in RATE samples a
 * new flow within its bounds (a skip drawn for the old rate, up to 131070
 * packets, must not outlive it), and after that every packet counts. */
static void test_sample_rate_change(void **state)
{
	struct live *l = *state;
	struct xtap_flow_entry *f = NULL;
	const __u32 n = 4000;
	struct xtap_flow v;
	size_t nf = 0;
	struct pb b;

	set_cfg(l, XTAP_SAMPLING_MAX, 16);
	udp_frame(&b, 44000);
	run(l, XTAP_HOOK_XDP, &b, 100);
	for (int step = 0; step < 2; step++) {
		__u32 rate = step ? 1 : RATE;

		assert_int_equal(xtap_flows_read(l->flows_fd, l->fcache_fd, XTAP_SORT_KEY, &f, &nf),
				 0);
		for (size_t i = 0; i < nf; i++)
			bpf_map_delete_elem(l->flows_fd, &f[i].key);
		free(f);
		set_cfg(l, rate, 16);
		udp_frame(&b, (__u16)(44001 + rate));
		run(l, XTAP_HOOK_XDP, &b, n);
		v = the_flow(l);
		if (rate == 1) {
			assert_int_equal(v.sampling, 0);
			assert_int_equal(v.pkts[0] + v.pkts[1], n);
		} else {
			assert_int_equal(v.sampling, RATE);
			expect_estimate(v.pkts[0] + v.pkts[1], n, "after a new rate");
		}
	}
}

/* TC ingress behind XDP (xtap attach with both) accounts no flows, sampled
 * or not: its plain frames are counted without the parser, and every frame
 * still counts with its class and whole length, and makes no flow. */
static void test_tc_ingress_behind_xdp(void **state)
{
	struct xtap_load_opts lo = { .replay = false, .with_xdp = true };
	struct xtap_bpf *skel = NULL;
	struct live l2 = { 0 };

	(void)state;
	assert_int_equal(xtap_load(&lo, &skel), 0);
	l2.skel = skel;
	l2.flows_fd = bpf_map__fd(skel->maps.xtap_flows);
	l2.fcache_fd = bpf_map__fd(skel->maps.xtap_fcache);
	l2.stats_fd = bpf_map__fd(skel->maps.xtap_stats);
	for (__u32 rate = 1; rate <= RATE; rate += RATE - 1) {
		set_cfg(&l2, rate, 16);
		for (int i = 0; i < LO_N; i++) {
			struct xtap_stats before, after;
			struct xtap_flow_entry *f = NULL;
			size_t nf = 0;
			struct pb b;
			int cls;

			if (i == LO_MULTIBUF || i == LO_MULTIBUF_TRAILER)
				continue;
			lo_frame(&b, i, (__u16)(45000 + i), &cls);
			assert_int_equal(xtap_stats_read(l2.stats_fd,
							 XTAP_POINT(0, XTAP_HOOK_TC_INGRESS), &before), 0);
			run(&l2, XTAP_HOOK_TC_INGRESS, &b, 1000);
			assert_int_equal(xtap_stats_read(l2.stats_fd,
							 XTAP_POINT(0, XTAP_HOOK_TC_INGRESS), &after), 0);
			assert_int_equal(after.c[cls] - before.c[cls], 1000);
			assert_int_equal(after.c[XTAP_STAT_BYTES] - before.c[XTAP_STAT_BYTES],
					 1000 * (__u64)b.len);
			assert_int_equal(xtap_flows_read(l2.flows_fd, l2.fcache_fd, XTAP_SORT_KEY, &f,
							 &nf), 0);
			free(f);
			assert_int_equal(nf, 0);
		}
	}
	xtap_unload(skel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_udp_estimate),
		cmocka_unit_test(test_sample_tcp_handshake_exact),
		cmocka_unit_test(test_sample_left_out_counted),
		cmocka_unit_test(test_sample_rate_change),
		cmocka_unit_test(test_sample_tunnel_edges),
		cmocka_unit_test(test_tc_ingress_behind_xdp),
	};

	return cmocka_run_group_tests(tests, live_setup, live_teardown);
}
