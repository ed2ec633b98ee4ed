// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Capture: crafted frames through the XDP and TC programs with capture on;
 * the ring records are checked field by field and byte by byte, with snap
 * lengths, sampling, capture off, hook and slot selection, and a full ring.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <unistd.h>
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>

#include "tests/prog/harness.h"
#include "user/capread.h"
#include "user/capsink.h"
#include "user/filter.h"

#define RING_SIZE 65536u	/* small, so that the ring-full test fills it */

struct got {
	size_t n, bad;
	struct {
		struct xtap_capture_rec h;
		__u8 data[2048];
	} r[64];
};

static int cap_setup(void **state)
{
	return env_setup_ring(state, RING_SIZE);
}

static int on_rec(void *ctx, void *data, size_t size)
{
	struct got *g = ctx;

	if (xtap_capread_rec_check(data, size)) {
		g->bad++;
		return 0;
	}
	if (g->n < sizeof(g->r) / sizeof(g->r[0])) {
		size_t keep = size < sizeof(g->r[0]) ? size : sizeof(g->r[0]);

		memcpy(&g->r[g->n], data, keep);
	}
	g->n++;
	return 0;
}

/* One record copied whole into the buffer of a struct cp (test_big_frames). */
static int copy_rec(void *ctx, void *data, size_t size)
{
	struct {
		__u8 *to;
		size_t n, size;
	} *cp = ctx;

	if (size <= sizeof(struct xtap_capture_rec) + 40000)
		memcpy(cp->to, data, size);
	cp->size = size;
	cp->n++;
	return 0;
}

/* Everything the ring holds now. */
static void drain(struct env *e, struct got *g)
{
	struct ring_buffer *rb = ring_buffer__new(e->ring_fd, on_rec, g, NULL);

	memset(g, 0, sizeof(*g));
	assert_non_null(rb);
	assert_true(ring_buffer__consume(rb) >= 0);
	ring_buffer__free(rb);
	assert_int_equal(g->bad, 0);
}

static void set_cfg(struct env *e, const struct xtap_capture_cfg *cfg)
{
	env_capture_cfg(e, 0, cfg);
}

static void reset(struct env *e)
{
	struct xtap_capture_stats *zero = calloc(e->ncpu, sizeof(*zero));
	__u32 id = 0;
	struct got g;

	assert_non_null(zero);
	set_cfg(e, &(struct xtap_capture_cfg){ 0 });
	drain(e, &g);
	env_reset(e);
	assert_int_equal(bpf_map_update_elem(e->capmaps.stats, &id, zero, BPF_ANY), 0);
	free(zero);
}

static void tcp_frame(struct pb *b, int from_a, size_t payload)
{
	struct pb_ip4 ip;

	pb_init(b, from_a ? PB_MAC_B : PB_MAC_A, from_a ? PB_MAC_A : PB_MAC_B);
	ip4_ab(&ip, from_a);
	pb_ipv4(b, &ip);
	pb_tcp(b, &(struct pb_tcp){ .sport = from_a ? 40000 : 80, .dport = from_a ? 80 : 40000,
				    .seq = 1, .flags = PB_ACK });
	pb_payload(b, NULL, payload);
	pb_finish(b);
}

static void expect_rec(const struct got *g, size_t i, int hook, int flow_dir, const struct pb *b,
		       __u32 cap, __u64 ts)
{
	const struct xtap_capture_rec *h = &g->r[i].h;

	assert_int_equal(h->version, XTAP_CAPTURE_VERSION);
	assert_int_equal(h->hook, hook);
	assert_int_equal(h->flow_dir, flow_dir);
	assert_int_equal(h->slot, 0);
	assert_int_equal(h->reserved0, 0);
	assert_int_equal(h->reserved1, 0);
	assert_int_equal(h->wire_len, b->len);
	assert_int_equal(h->cap_len, cap);
	assert_int_equal(h->ts_ns, ts);
	if (flow_dir == XTAP_CAPTURE_NO_FLOW)
		assert_int_equal(h->flow_id, 0);
	else
		assert_int_not_equal(h->flow_id, 0);
	assert_memory_equal(g->r[i].data, b->d, cap);
}

/* One record per frame at every hook: header and bytes exact, the flow
 * direction that of the flow table. */
static void test_record_each_hook(void **state)
{
	struct env *e = *state;
	struct pb ab, ba;
	struct got g;

	tcp_frame(&ab, 1, 100);
	tcp_frame(&ba, 0, 20);
	for (size_t i = 0; i < NHOOKS; i++) {
		int hook = hooks[i];
		struct xtap_stats want = { 0 };

		reset(e);
		set_cfg(e, &(struct xtap_capture_cfg){ .enabled = 1, .hooks = 1u << hook });
		run_pb(e, hook, &ab, T0 + 1);
		run_pb(e, hook, &ba, T0 + 2);
		drain(e, &g);
		assert_int_equal(g.n, 2);
		expect_rec(&g, 0, hook, XTAP_DIR_AB, &ab, ab.len, T0 + 1);
		expect_rec(&g, 1, hook, XTAP_DIR_BA, &ba, ba.len, T0 + 2);
		{
			/* both directions carry the flow's id, that of its key */
			struct xtap_flow_key k;

			assert_int_equal(bpf_map_get_next_key(e->flows_fd, NULL, &k), 0);
			assert_int_equal(g.r[0].h.flow_id, xtap_flow_id(&k));
			assert_int_equal(g.r[1].h.flow_id, xtap_flow_id(&k));
		}
		want.c[XTAP_STAT_TCP] = 2;
		want.c[XTAP_STAT_BYTES] = ab.len + ba.len;
		want.c[XTAP_STAT_FLOW_NEW] = 1;
		want.c[XTAP_STAT_CAPTURED] = 2;
		expect_stats(e, hook, &want, "two captured frames");
	}
}

/* Frames that make no flow are captured too: ARP, and a truncated IPv4. */
static void test_record_not_ip(void **state)
{
	struct env *e = *state;
	struct pb arp, cut;
	struct got g;

	pb_init(&arp, PB_MAC_B, PB_MAC_A);
	pb_arp(&arp, 1, PB_MAC_A, IP_A, PB_MAC_B, IP_B);
	pb_finish(&arp);
	tcp_frame(&cut, 1, 0);
	cut.len = 14 + 10;	/* inside the IPv4 header */
	reset(e);
	set_cfg(e, &(struct xtap_capture_cfg){ .enabled = 1, .hooks = 1u << XTAP_HOOK_XDP });
	run_pb(e, XTAP_HOOK_XDP, &arp, T0 + 5);
	run_pb(e, XTAP_HOOK_XDP, &cut, T0 + 6);
	drain(e, &g);
	assert_int_equal(g.n, 2);
	expect_rec(&g, 0, XTAP_HOOK_XDP, XTAP_CAPTURE_NO_FLOW, &arp, arp.len, T0 + 5);
	expect_rec(&g, 1, XTAP_HOOK_XDP, XTAP_CAPTURE_NO_FLOW, &cut, cut.len, T0 + 6);
}

/* The snap length cuts the bytes and keeps the wire length; a replayed frame
 * that a capture had already cut keeps its wire length too. */
static void test_snaplen(void **state)
{
	struct env *e = *state;
	struct pb b;
	struct got g;

	tcp_frame(&b, 1, 1000);
	for (size_t i = 0; i < NHOOKS; i++) {
		reset(e);
		set_cfg(e, &(struct xtap_capture_cfg){ .enabled = 1, .snaplen = 60,
						       .hooks = 1u << hooks[i] });
		run_pb(e, hooks[i], &b, T0);
		drain(e, &g);
		assert_int_equal(g.n, 1);
		expect_rec(&g, 0, hooks[i], XTAP_DIR_AB, &b, 60, T0);
	}
	/* 200 bytes of a 1500-byte frame, snap larger than what is there */
	reset(e);
	set_cfg(e, &(struct xtap_capture_cfg){ .enabled = 1, .snaplen = 1000,
					       .hooks = 1u << XTAP_HOOK_XDP });
	run_frame(e, XTAP_HOOK_XDP, b.d, 200, 1500, T0);
	drain(e, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.r[0].h.cap_len, 200);
	assert_int_equal(g.r[0].h.wire_len, 1500);
	assert_memory_equal(g.r[0].data, b.d, 200);
}

/* Capture off, another hook, another slot: no record, nothing counted. */
static void test_not_selected(void **state)
{
	struct env *e = *state;
	struct xtap_stats want = { 0 };
	struct pb b;
	struct got g;

	tcp_frame(&b, 1, 10);
	reset(e);
	run_pb(e, XTAP_HOOK_XDP, &b, T0);
	set_cfg(e, &(struct xtap_capture_cfg){ .enabled = 0, .hooks = 7 });
	run_pb(e, XTAP_HOOK_XDP, &b, T0);
	set_cfg(e, &(struct xtap_capture_cfg){ .enabled = 1, .hooks = 1u << XTAP_HOOK_TC_EGRESS });
	run_pb(e, XTAP_HOOK_XDP, &b, T0);
	set_cfg(e, &(struct xtap_capture_cfg){ .enabled = 1, .slots = 1ull << 5 });
	run_pb(e, XTAP_HOOK_XDP, &b, T0);
	drain(e, &g);
	assert_int_equal(g.n, 0);
	want.c[XTAP_STAT_TCP] = 4;
	want.c[XTAP_STAT_BYTES] = 4 * b.len;
	want.c[XTAP_STAT_FLOW_NEW] = 1;
	expect_stats(e, XTAP_HOOK_XDP, &want, "nothing captured");
	/* slot 0 selected by its bit; hooks 0: the hooks that count flows */
	set_cfg(e, &(struct xtap_capture_cfg){ .enabled = 1, .slots = 1 });
	run_pb(e, XTAP_HOOK_TC_EGRESS, &b, T0);
	drain(e, &g);
	assert_int_equal(g.n, 1);
}

/* A TCP segment from side a's port sport to port 80. */
static void tcp_frame_port(struct pb *b, __u16 sport)
{
	struct pb_ip4 ip;

	pb_init(b, PB_MAC_A, PB_MAC_B);
	ip4_ab(&ip, 1);
	pb_ipv4(b, &ip);
	pb_tcp(b, &(struct pb_tcp){ .sport = sport, .dport = 80, .seq = 1, .flags = PB_ACK });
	pb_payload(b, NULL, 10);
	pb_finish(b);
}

/* The flow of the last frame run gets cgroup id cgid, as TC egress writes
 * it when the skb has a socket (test-run skbs have none). */
static void set_flow_cgroup(struct env *e, __u16 sport, __u64 cgid)
{
	struct xtap_flow_key k, next, *prev = NULL;
	struct xtap_flow f;
	int found = 0;

	while (!bpf_map_get_next_key(e->flows_fd, prev, &next)) {
		k = next;
		prev = &k;
		if (k.port_a != sport && k.port_b != sport)
			continue;
		assert_int_equal(bpf_map_lookup_elem(e->flows_fd, &k, &f), 0);
		f.cgroup_id = cgid;
		f.owner = XTAP_OWNER_EGRESS;
		assert_int_equal(bpf_map_update_elem(e->flows_fd, &k, &f, BPF_EXIST), 0);
		found = 1;
	}
	assert_true(found);
}

/* capture --cgroup: only the packets of flows with that cgroup id, decided
 * in the kernel; a flow with another cgroup, one with none and a frame with
 * no flow are left out. */
static void test_cgroup_selects(void **state)
{
	struct env *e = *state;
	struct pb mine, other, none, arp;
	struct got g;

	tcp_frame_port(&mine, 40001);
	tcp_frame_port(&other, 40002);
	tcp_frame_port(&none, 40003);
	pb_init(&arp, PB_MAC_B, PB_MAC_A);
	pb_arp(&arp, 1, PB_MAC_A, IP_A, PB_MAC_B, IP_B);
	pb_finish(&arp);
	for (size_t i = 0; i < NHOOKS; i++) {
		int hook = hooks[i];

		reset(e);
		run_pb(e, hook, &mine, T0);
		run_pb(e, hook, &other, T0);
		run_pb(e, hook, &none, T0);
		set_flow_cgroup(e, 40001, 4242);
		set_flow_cgroup(e, 40002, 4243);
		set_cfg(e, &(struct xtap_capture_cfg){ .enabled = 1, .hooks = 1u << hook,
						       .cgroup_id = 4242 });
		run_pb(e, hook, &none, T0 + 1);
		run_pb(e, hook, &other, T0 + 2);
		run_pb(e, hook, &mine, T0 + 3);
		run_pb(e, hook, &arp, T0 + 4);
		run_pb(e, hook, &mine, T0 + 5);
		drain(e, &g);
		assert_int_equal(g.n, 2);
		expect_rec(&g, 0, hook, XTAP_DIR_AB, &mine, mine.len, T0 + 3);
		expect_rec(&g, 1, hook, XTAP_DIR_AB, &mine, mine.len, T0 + 5);
		assert_int_equal(g.r[0].h.cgroup_id, 4242);
		assert_int_equal(g.r[1].h.cgroup_id, 4242);
		/* without the cgroup: all four, each record with its flow's
		 * cgroup as it stood when the packet was copied */
		set_cfg(e, &(struct xtap_capture_cfg){ .enabled = 1, .hooks = 1u << hook });
		run_pb(e, hook, &none, T0 + 6);
		run_pb(e, hook, &other, T0 + 7);
		run_pb(e, hook, &mine, T0 + 8);
		run_pb(e, hook, &arp, T0 + 9);
		set_flow_cgroup(e, 40003, 4244);
		run_pb(e, hook, &none, T0 + 10);
		drain(e, &g);
		assert_int_equal(g.n, 5);
		assert_int_equal(g.r[0].h.cgroup_id, 0);
		assert_int_equal(g.r[1].h.cgroup_id, 4243);
		assert_int_equal(g.r[2].h.cgroup_id, 4242);
		assert_int_equal(g.r[3].h.cgroup_id, 0);	/* no flow */
		assert_int_equal(g.r[3].h.flow_id, 0);
		assert_int_equal(g.r[4].h.cgroup_id, 4244);
	}
}

static size_t captured_of(struct env *e, int hook, int runs, __u32 sample)
{
	struct pb b;
	struct got g;
	size_t n = 0;

	tcp_frame(&b, 1, 10);
	reset(e);
	set_cfg(e, &(struct xtap_capture_cfg){ .enabled = 1, .sample = sample,
					       .hooks = 1u << hook });
	for (int i = 0; i < runs; i++) {
		run_pb(e, hook, &b, T0 + i);
		if (i % 200 == 199) {
			drain(e, &g);
			n += g.n;
		}
	}
	drain(e, &g);
	return n + g.n;
}

/* 1 in 1 keeps every frame; 1 in 4 keeps about a quarter (the bounds are
 * more than 6 standard deviations wide); 1 in a million keeps almost none. */
static void test_sampling(void **state)
{
	struct env *e = *state;
	size_t n;

	assert_int_equal(captured_of(e, XTAP_HOOK_XDP, 300, 1), 300);
	assert_int_equal(captured_of(e, XTAP_HOOK_TC_EGRESS, 300, 0), 300);
	n = captured_of(e, XTAP_HOOK_XDP, 1600, 4);
	if (n < 300 || n > 500)
		fail_msg("1 in 4 of 1600 frames kept %zu", n);
	n = captured_of(e, XTAP_HOOK_TC_INGRESS, 1000, 1000000);
	if (n > 5)
		fail_msg("1 in 1000000 of 1000 frames kept %zu", n);
}

/* A ring nobody reads fills up: every later frame is counted as a drop, and
 * what is in the ring is whole. */
static void test_ring_full(void **state)
{
	struct env *e = *state;
	struct xtap_stats st;
	struct pb b;
	struct got g;
	const int runs = 200;

	tcp_frame(&b, 1, 1400);
	reset(e);
	set_cfg(e, &(struct xtap_capture_cfg){ .enabled = 1, .hooks = 1u << XTAP_HOOK_XDP });
	for (int i = 0; i < runs; i++)
		run_pb(e, XTAP_HOOK_XDP, &b, T0 + i);
	assert_int_equal(xtap_stats_read(e->stats_fd, XTAP_POINT(0, XTAP_HOOK_XDP), &st), 0);
	drain(e, &g);
	assert_true(st.c[XTAP_STAT_CAPTURE_DROP] > 0);
	assert_int_equal(st.c[XTAP_STAT_CAPTURED] + st.c[XTAP_STAT_CAPTURE_DROP], runs);
	assert_int_equal(g.n, st.c[XTAP_STAT_CAPTURED]);
	/* about RING_SIZE / record size records fit */
	assert_true(g.n >= RING_SIZE / (b.len + 64) && g.n <= RING_SIZE / b.len);
	for (size_t i = 0; i < g.n && i < 64; i++)
		expect_rec(&g, i, XTAP_HOOK_XDP, XTAP_DIR_AB, &b, b.len, T0 + i);
	/* once read, the ring takes records again */
	run_pb(e, XTAP_HOOK_XDP, &b, T0);
	drain(e, &g);
	assert_int_equal(g.n, 1);
}

static void tcp_flags_frame(struct pb *b, int from_a, __u8 flags, size_t payload)
{
	struct pb_ip4 ip;

	pb_init(b, from_a ? PB_MAC_B : PB_MAC_A, from_a ? PB_MAC_A : PB_MAC_B);
	ip4_ab(&ip, from_a);
	pb_ipv4(b, &ip);
	pb_tcp(b, &(struct pb_tcp){ .sport = from_a ? 40000 : 80, .dport = from_a ? 80 : 40000,
				    .seq = 1, .flags = flags });
	pb_payload(b, NULL, payload);
	pb_finish(b);
}

/* --sample-flows 2: the first two packets of each flow (either direction),
 * then only SYN, FIN and RST; frames without a flow all; a new capture
 * (another gen) counts again. */
static void test_sample_flows(void **state)
{
	static const struct {
		int from_a;
		__u8 flags;
		int kept;
	} conv[] = {
		{ 1, PB_SYN, 1 }, { 0, PB_SYN | PB_ACK, 1 }, { 1, PB_ACK, 0 }, { 1, PB_ACK | PB_PSH, 0 },
		{ 0, PB_ACK, 0 }, { 1, PB_FIN | PB_ACK, 1 }, { 0, PB_ACK, 0 }, { 0, PB_RST, 1 },
	};
	struct env *e = *state;
	struct pb b, arp, udp;
	struct pb_ip4 ip;
	struct got g;

	pb_init(&arp, PB_MAC_B, PB_MAC_A);
	pb_arp(&arp, 1, PB_MAC_A, IP_A, PB_MAC_B, IP_B);
	pb_finish(&arp);
	pb_init(&udp, PB_MAC_B, PB_MAC_A);
	ip4_ab(&ip, 1);
	pb_ipv4(&udp, &ip);
	pb_udp(&udp, 5353, 53);
	pb_payload(&udp, NULL, 30);
	pb_finish(&udp);

	for (int hook_i = 0; hook_i < 2; hook_i++) {
		int hook = hook_i ? XTAP_HOOK_TC_EGRESS : XTAP_HOOK_XDP;

		reset(e);
		set_cfg(e, &(struct xtap_capture_cfg){ .enabled = 1, .hooks = 1u << hook,
						       .sample_flows = 2, .gen = 7 });
		for (size_t i = 0; i < sizeof(conv) / sizeof(conv[0]); i++) {
			tcp_flags_frame(&b, conv[i].from_a, conv[i].flags, 10);
			run_pb(e, hook, &b, T0 + i);
			drain(e, &g);
			if ((int)g.n != conv[i].kept)
				fail_msg("%s: packet %zu of the TCP flow: %zu records, want %d",
					 hook_str(hook), i, g.n, conv[i].kept);
			if (g.n)
				expect_rec(&g, 0, hook, conv[i].from_a ? XTAP_DIR_AB : XTAP_DIR_BA, &b,
					   b.len, T0 + i);
		}
		for (int i = 0; i < 5; i++) {
			run_pb(e, hook, &udp, T0);
			run_pb(e, hook, &arp, T0);
		}
		drain(e, &g);
		assert_int_equal(g.n, 2 + 5);	/* two of the UDP flow, every ARP */
		/* a new capture: its own first packets */
		set_cfg(e, &(struct xtap_capture_cfg){ .enabled = 1, .hooks = 1u << hook,
						       .sample_flows = 2, .gen = 8 });
		for (int i = 0; i < 5; i++)
			run_pb(e, hook, &udp, T0);
		drain(e, &g);
		assert_int_equal(g.n, 2);
	}
}

/* Records in ring_fd now. */
static void drain_fd(int ring_fd, struct got *g)
{
	struct ring_buffer *rb = ring_buffer__new(ring_fd, on_rec, g, NULL);

	memset(g, 0, sizeof(*g));
	assert_non_null(rb);
	assert_true(ring_buffer__consume(rb) >= 0);
	ring_buffer__free(rb);
	assert_int_equal(g->bad, 0);
}

static void set_filter(struct xtap_capslot *c, const char *expr)
{
	struct sock_filter *classic = NULL;
	char err[XTAP_FILTER_ERRLEN];
	size_t n = 0;

	if (expr && xtap_filter_classic(expr, XTAP_FILTER_SNAP, &classic, &n, err, sizeof(err)))
		fail_msg("'%s': %s", expr, err);
	if (xtap_capslot_filter(c, classic, n, err, sizeof(err)))
		fail_msg("'%s': %s", expr ? expr : "(none)", err);
	free(classic);
}

static void udp_frame(struct pb *b, __u16 dport)
{
	struct pb_ip4 ip;

	pb_init(b, PB_MAC_B, PB_MAC_A);
	ip4_ab(&ip, 1);
	pb_ipv4(b, &ip);
	pb_udp(b, 5353, dport);
	pb_payload(b, NULL, 30);
	pb_finish(b);
}

/* A filter in the capture path, at every hook: what it rejects is not
 * copied and not counted, what it accepts is copied whole; a new filter
 * takes over while the capture runs; `greater` sees the wire length. */
static void test_filter_in_path(void **state)
{
	struct env *e = *state;
	struct pb tcp80, udp53, tcp443;
	__u64 captured, dropped;
	struct got g;

	tcp_frame(&tcp80, 1, 100);
	udp_frame(&udp53, 53);
	tcp_flags_frame(&tcp443, 1, PB_ACK, 10);
	tcp443.d[14 + 20 + 2] = 443 >> 8;	/* destination port 443 */
	tcp443.d[14 + 20 + 3] = 443 & 0xff;
	for (size_t i = 0; i < NHOOKS; i++) {
		struct xtap_stats want = { 0 };

		reset(e);
		set_filter(&e->cap, "tcp port 80");
		set_cfg(e, &(struct xtap_capture_cfg){ .enabled = 1, .hooks = 1u << hooks[i] });
		run_pb(e, hooks[i], &udp53, T0);
		run_pb(e, hooks[i], &tcp443, T0 + 1);
		run_pb(e, hooks[i], &tcp80, T0 + 2);
		drain(e, &g);
		if (g.n != 1)
			fail_msg("%s: 'tcp port 80': %zu records of 3 frames, want 1", hook_str(hooks[i]),
				 g.n);
		expect_rec(&g, 0, hooks[i], XTAP_DIR_AB, &tcp80, tcp80.len, T0 + 2);
		want.c[XTAP_STAT_TCP] = 2;
		want.c[XTAP_STAT_UDP] = 1;
		want.c[XTAP_STAT_BYTES] = udp53.len + tcp443.len + tcp80.len;
		want.c[XTAP_STAT_FLOW_NEW] = 3;
		want.c[XTAP_STAT_CAPTURED] = 1;
		expect_stats(e, hooks[i], &want, "one of three frames captured");
		assert_int_equal(xtap_capslot_counts(&e->cap, &captured, &dropped), 0);
		assert_int_equal(captured, 1);
		assert_int_equal(dropped, 0);

		/* a new filter, the capture still running */
		set_filter(&e->cap, "udp");
		run_pb(e, hooks[i], &tcp80, T0 + 3);
		run_pb(e, hooks[i], &udp53, T0 + 4);
		drain(e, &g);
		assert_int_equal(g.n, 1);
		expect_rec(&g, 0, hooks[i], XTAP_DIR_AB, &udp53, udp53.len, T0 + 4);

		/* len is the wire length: 100 bytes kept of a 1500-byte frame */
		set_filter(&e->cap, "greater 1000");
		run_frame(e, hooks[i], tcp80.d, 100, 100, T0 + 5);
		run_frame(e, hooks[i], tcp80.d, 100, 1500, T0 + 6);
		drain(e, &g);
		assert_int_equal(g.n, 1);
		assert_int_equal(g.r[0].h.wire_len, 1500);
		assert_int_equal(g.r[0].h.ts_ns, T0 + 6);

		/* no filter again: everything */
		set_filter(&e->cap, NULL);
		run_pb(e, hooks[i], &tcp443, T0 + 7);
		drain(e, &g);
		assert_int_equal(g.n, 1);
	}
	set_filter(&e->cap, NULL);
}

/* Three captures at once: 'tcp', 'udp' and no filter, each in its own
 * ring; one stopping leaves the others running. */
static void test_concurrent_captures(void **state)
{
	struct env *e = *state;
	struct xtap_capslot c1, c2;
	struct pb tcp, udp;
	struct got g;

	tcp_frame(&tcp, 1, 50);
	udp_frame(&udp, 53);
	reset(e);
	set_filter(&e->cap, "tcp");
	set_cfg(e, &(struct xtap_capture_cfg){ .enabled = 1, .hooks = 7 });
	assert_int_equal(xtap_capslot_claim(&c1, &e->capmaps), 0);
	assert_int_equal(c1.id, 1);
	assert_int_equal(xtap_capslot_rings(&c1, 1, RING_SIZE), 0);
	set_filter(&c1, "udp");
	assert_int_equal(xtap_capslot_start(&c1, &(struct xtap_capture_cfg){ .hooks = 7 }), 0);
	assert_int_equal(xtap_capslot_claim(&c2, &e->capmaps), 0);
	assert_int_equal(c2.id, 2);
	assert_int_equal(xtap_capslot_rings(&c2, 2, RING_SIZE), 0);
	assert_int_equal(xtap_capslot_start(&c2, &(struct xtap_capture_cfg){ .hooks = 7 }), 0);

	for (size_t i = 0; i < NHOOKS; i++) {
		run_pb(e, hooks[i], &tcp, T0 + 2 * i);
		run_pb(e, hooks[i], &udp, T0 + 2 * i + 1);
	}
	drain(e, &g);
	assert_int_equal(g.n, NHOOKS);
	for (size_t i = 0; i < NHOOKS; i++)
		expect_rec(&g, i, hooks[i], XTAP_DIR_AB, &tcp, tcp.len, T0 + 2 * i);
	drain_fd(c1.ring[0], &g);
	assert_int_equal(g.n, NHOOKS);
	for (size_t i = 0; i < NHOOKS; i++)
		expect_rec(&g, i, hooks[i], XTAP_DIR_AB, &udp, udp.len, T0 + 2 * i + 1);
	{
		struct got g1;
		size_t n = 0;

		/* two rings: this CPU writes to one of them */
		drain_fd(c2.ring[0], &g);
		drain_fd(c2.ring[1], &g1);
		n = g.n + g1.n;
		assert_int_equal(n, 2 * NHOOKS);
	}

	/* capture 1 stops: 0 and 2 go on */
	xtap_capslot_stop(&c1);
	run_pb(e, XTAP_HOOK_XDP, &udp, T0);
	run_pb(e, XTAP_HOOK_XDP, &tcp, T0);
	drain(e, &g);
	assert_int_equal(g.n, 1);
	{
		struct got g1;

		drain_fd(c2.ring[0], &g);
		drain_fd(c2.ring[1], &g1);
		assert_int_equal(g.n + g1.n, 2);
	}
	xtap_capslot_stop(&c2);
	set_filter(&e->cap, NULL);
}

static void on_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
}

/* A capture reading two rings of RING_SIZE into a new file at path (a
 * mkstemp template), started on the XDP hook; and its end: the capture
 * stopped and the file opened with libpcap. */
struct rings {
	struct xtap_capslot slot;
	struct xtap_capsink *sink;
	struct xtap_capread *rd;
};

static void rings_open(struct env *e, struct rings *c, char *path, enum xtap_pcapw_fmt fmt)
{
	char err[256];
	int fd;

	assert_int_equal(xtap_capslot_claim(&c->slot, &e->capmaps), 0);
	assert_int_equal(xtap_capslot_rings(&c->slot, 2, RING_SIZE), 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	c->sink = xtap_capsink_open(&(struct xtap_capsink_opts){ .path = path, .fmt = fmt,
								  .snaplen = XTAP_SNAP_MAX },
				    err, sizeof(err));
	assert_non_null(c->sink);
	assert_int_equal(xtap_capread_new(&c->rd, c->slot.ring, 2, c->sink), 0);
	assert_int_equal(xtap_capslot_start(&c->slot, &(struct xtap_capture_cfg){ .hooks = 1 }), 0);
}

/* Packets in the file, flushed. */
static __u64 rings_written(const struct rings *c)
{
	struct xtap_capsink_counts n;

	xtap_capsink_counts(c->sink, &n);
	return n.written;
}

static pcap_t *rings_close(struct rings *c, const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc;

	xtap_capslot_stop(&c->slot);
	xtap_capread_free(c->rd);
	assert_int_equal(xtap_capsink_close(c->sink), 0);
	pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	assert_non_null(pc);
	return pc;
}

/* Reads the file to its end: every packet b, at times rising; the count. */
static size_t rings_read_in_order(pcap_t *pc, const struct pb *b)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	__u64 prev = 0;
	size_t n = 0;

	while (pcap_next_ex(pc, &h, &data) == 1) {
		__u64 t = (__u64)h->ts.tv_sec * 1000000000ull + (__u64)h->ts.tv_usec;

		assert_true(t > prev);
		prev = t;
		assert_int_equal(h->caplen, b->len);
		assert_memory_equal(data, b->d, b->len);
		n++;
	}
	pcap_close(pc);
	return n;
}

/* A ring per CPU, read in place: records that reach the rings
 * out of time order (their times are the replay's) are written in time
 * order, every one of them. */
static void test_rings_merged(void **state)
{
	static const struct {
		int cpu;
		__u64 ts;
	} runs[] = { { 0, T0 + 20 }, { 1, T0 + 10 }, { 1, T0 + 30 }, { 0, T0 + 25 },
		     { 0, T0 + 40 }, { 1, T0 + 5 } };
	struct env *e = *state;
	char path[] = "/tmp/xtap-test-rings-XXXXXX";
	struct rings c;
	struct pcap_pkthdr *h;
	const u_char *data;
	cpu_set_t saved;
	pcap_t *pc;
	__u64 prev = 0;
	size_t n = 0;
	struct pb b;

	if (e->ncpu < 2)
		skip();
	assert_int_equal(sched_getaffinity(0, sizeof(saved), &saved), 0);
	reset(e);
	tcp_frame(&b, 1, 40);
	rings_open(e, &c, path, XTAP_PCAP);
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		on_cpu(runs[i].cpu);
		run_pb(e, XTAP_HOOK_XDP, &b, runs[i].ts);
	}
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
	/* the times are the replay's, far from the clock: all held back */
	assert_int_equal(xtap_capread_poll(c.rd, 10), 0);
	assert_int_equal(xtap_capread_drain(c.rd), 6);
	assert_int_equal(rings_written(&c), 6);
	{
		struct xtap_capread_counts n;

		xtap_capread_counts(c.rd, &n);
		assert_int_equal(n.received, 6);
	}
	pc = rings_close(&c, path);
	while (pcap_next_ex(pc, &h, &data) == 1) {
		__u64 ts = (__u64)h->ts.tv_sec * 1000000000ull + (__u64)h->ts.tv_usec;

		if (ts < prev)
			fail_msg("packet %zu at %llu after %llu", n + 1, (unsigned long long)ts,
				 (unsigned long long)prev);
		prev = ts;
		assert_int_equal(h->caplen, b.len);
		assert_memory_equal(data, b.d, b.len);
		n++;
	}
	pcap_close(pc);
	unlink(path);
	assert_int_equal(n, 6);
	assert_int_equal(prev, T0 + 40);
}

/* The rings are read in place: once written, a record's room goes back to
 * the kernel, so rounds of many times a ring's worth all get through. */
static void test_rings_room_given_back(void **state)
{
	struct env *e = *state;
	char path[] = "/tmp/xtap-test-room-XXXXXX";
	struct rings c;
	cpu_set_t saved;
	__u64 captured = 0, dropped = 0, ts = T0;
	size_t n = 0, per_round = RING_SIZE / 1200 - 4, rounds = 6;
	pcap_t *pc;
	struct pb b;

	if (e->ncpu < 2)
		skip();
	assert_int_equal(sched_getaffinity(0, sizeof(saved), &saved), 0);
	reset(e);
	tcp_frame(&b, 1, 1000);
	rings_open(e, &c, path, XTAP_PCAPNG);
	for (size_t r = 0; r < rounds; r++) {
		for (size_t i = 0; i < per_round; i++) {
			on_cpu((int)(i & 1));
			run_pb(e, XTAP_HOOK_XDP, &b, ++ts);
		}
		assert_int_equal(xtap_capread_drain(c.rd), (int)per_round);
	}
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
	assert_int_equal(xtap_capslot_counts(&c.slot, &captured, &dropped), 0);
	assert_int_equal(dropped, 0);
	assert_int_equal(rings_written(&c), per_round * rounds);
	pc = rings_close(&c, path);
	n = rings_read_in_order(pc, &b);
	unlink(path);
	assert_int_equal(n, per_round * rounds);
}

/* A pass writes at most a quarter of what may be held (here an eighth of
 * the ring) and gives that room back before the next: a reader that is
 * behind does not keep a whole backlog's room until it has written it all.
 * The passes that follow go without waiting, and the file has every record
 * in order. */
static void test_rings_pass_bounded(void **state)
{
	struct env *e = *state;
	char path[] = "/tmp/xtap-test-pass-XXXXXX";
	struct rings c;
	cpu_set_t saved;
	__u64 captured = 0, dropped = 0, ts = T0;
	size_t n = 0, total = RING_SIZE / 1200 - 4, first_max = RING_SIZE / 8 / 1000 + 1;
	int m, polls = 0;
	pcap_t *pc;
	struct pb b;

	if (e->ncpu < 2)
		skip();
	assert_int_equal(sched_getaffinity(0, sizeof(saved), &saved), 0);
	reset(e);
	tcp_frame(&b, 1, 1000);
	rings_open(e, &c, path, XTAP_PCAP);
	on_cpu(0);
	for (size_t i = 0; i < total; i++)
		run_pb(e, XTAP_HOOK_XDP, &b, ++ts);
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
	/* the replay's times are far ahead of the clock: what goes is what is
	 * over half the ring, a pass at a time */
	m = xtap_capread_poll(c.rd, 0);
	if (m <= 0 || (size_t)m > first_max)
		fail_msg("first pass wrote %d records of %zu held, at most %zu expected", m, total,
			 first_max);
	while ((m = xtap_capread_poll(c.rd, 0)) > 0 && polls < 100)
		polls++;
	assert_int_equal(m, 0);
	if (polls < 1)
		fail_msg("one pass wrote all that was over half the ring");
	assert_true(rings_written(&c) < total);	/* half a ring still held, in time order */
	assert_true(xtap_capread_drain(c.rd) > 0);
	assert_int_equal(rings_written(&c), total);
	assert_int_equal(xtap_capslot_counts(&c.slot, &captured, &dropped), 0);
	assert_int_equal(dropped, 0);
	pc = rings_close(&c, path);
	n = rings_read_in_order(pc, &b);
	unlink(path);
	assert_int_equal(n, total);
}

/* Frames longer than a page (XDP multi-buffer in test-run) and longer than
 * a copy chunk: the record holds every byte, or exactly the snap length. */
static void test_big_frames(void **state)
{
	static const size_t sizes[] = { 9014, XTAP_CAPTURE_CHUNK, XTAP_CAPTURE_CHUNK + 1, 40000 };
	static __u8 frame[40000], rec[sizeof(struct xtap_capture_rec) + 40000];
	struct env *e = *state;
	struct got g;

	/* a local experimental EtherType: no flow, captured all the same */
	memcpy(frame, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x88\xb5", 14);
	for (size_t i = 14; i < sizeof(frame); i++)
		frame[i] = (__u8)(i * 7 + i / 251);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (int snapped = 0; snapped < 2; snapped++) {
			const struct xtap_capture_rec *h = (const void *)rec;
			__u32 want = snapped ? 9000 : (__u32)sizes[i];
			struct ring_buffer *rb;
			struct cp {
				__u8 *to;
				size_t n, size;
			} cp = { rec, 0, 0 };

			reset(e);
			set_cfg(e, &(struct xtap_capture_cfg){ .enabled = 1, .hooks = 1,
							       .snaplen = snapped ? 9000 : 0 });
			{
				static __u8 out[sizeof(frame) + 512];
				struct xtap_replay_pkt meta = { .now_ns = T0 + i };
				__u32 zero = 0;
				LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frame,
					    .data_size_in = (__u32)sizes[i], .data_out = out,
					    .data_size_out = sizeof(out), .repeat = 1);

				assert_int_equal(bpf_map_update_elem(e->replay_fd, &zero, &meta,
								     BPF_ANY), 0);
				assert_int_equal(bpf_prog_test_run_opts(
					bpf_program__fd(e->skel->progs.xdp_tap), &t), 0);
				assert_int_equal(t.retval, XDP_PASS);
				assert_int_equal(t.data_size_out, sizes[i]);
			}
			/* the records are larger than struct got keeps: copy here */
			rb = ring_buffer__new(e->ring_fd, copy_rec, &cp, NULL);
			assert_non_null(rb);
			assert_true(ring_buffer__consume(rb) >= 0);
			ring_buffer__free(rb);
			if (cp.n != 1)
				fail_msg("%zu-byte frame: %zu records", sizes[i], cp.n);
			assert_int_equal(xtap_capread_rec_check(rec, cp.size), 0);
			assert_int_equal(h->wire_len, sizes[i]);
			assert_int_equal(h->cap_len, want);
			assert_int_equal(h->flow_dir, XTAP_CAPTURE_NO_FLOW);
			assert_int_equal(h->ts_ns, T0 + i);
			assert_memory_equal(rec + sizeof(*h), frame, want);
		}
	}
	drain(e, &g);
	assert_int_equal(g.n, 0);
}

/* A filter that reads past the first buffer of an XDP multi-buffer frame
 * takes the bytes from the fragments; past the end of the frame it rejects. */
static void test_filter_big_frame(void **state)
{
	static __u8 frame[9014], out[sizeof(frame) + 512];
	struct env *e = *state;
	struct {
		const char *expr;
		int kept;
	} cases[] = {
		{ NULL, 1 }, { NULL, 0 }, { NULL, 0 }, { "ether[9013:1] = 0", 1 },
		{ "ether[9014:1] != 0x55", 0 }, { "len = 9014", 1 },
	};
	char expr[3][64];
	struct got g;

	memcpy(frame, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x88\xb5", 14);
	for (size_t i = 14; i < sizeof(frame); i++)
		frame[i] = (__u8)(i * 7 + i / 251);
	snprintf(expr[0], sizeof(expr[0]), "ether[6000:2] = 0x%02x%02x", frame[6000], frame[6001]);
	snprintf(expr[1], sizeof(expr[1]), "ether[6000:2] = 0x%02x%02x", frame[6000],
		 (__u8)(frame[6001] + 1));
	snprintf(expr[2], sizeof(expr[2]), "ether[9012:4] = 0");	/* 2 bytes past the end */
	for (int i = 0; i < 3; i++)
		cases[i].expr = expr[i];
	frame[9013] = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct xtap_replay_pkt meta = { .now_ns = T0 + i };
		__u32 zero = 0;
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frame, .data_size_in = sizeof(frame),
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

		reset(e);
		set_filter(&e->cap, cases[i].expr);
		set_cfg(e, &(struct xtap_capture_cfg){ .enabled = 1, .hooks = 1, .snaplen = 100 });
		assert_int_equal(bpf_map_update_elem(e->replay_fd, &zero, &meta, BPF_ANY), 0);
		assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(e->skel->progs.xdp_tap), &t),
				 0);
		drain(e, &g);
		if ((int)g.n != cases[i].kept)
			fail_msg("'%s' on a 9014-byte multi-buffer frame: %zu records", cases[i].expr,
				 g.n);
	}
	set_filter(&e->cap, NULL);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, cap_setup, env_teardown)
	const struct CMUnitTest tests[] = {
		T(test_record_each_hook), T(test_record_not_ip), T(test_snaplen),
		T(test_not_selected), T(test_sampling), T(test_sample_flows), T(test_ring_full),
		T(test_filter_in_path), T(test_concurrent_captures), T(test_rings_merged), T(test_rings_room_given_back),
		T(test_rings_pass_bounded),
		T(test_big_frames), T(test_filter_big_frame), T(test_cgroup_selects),
	};

	return cmocka_run_group_tests_name("capture", tests, NULL, NULL);
}
