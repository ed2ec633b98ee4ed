// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Per-hop matching through the real programs (kern/lib/hop.h), loaded live
 * (not replay: hops are off in replay) with private maps: a packet seen at
 * TC egress and then, as a router would forward it, at XDP makes one hop;
 * one that differs in a field forwarding keeps starts a path of its own.
 * XDP's metadata stamp is read back from the test run's output, which
 * carries the metadata area in front of the frame.
 */
#include "tests/prog/harness.h"

#include <netinet/in.h>
#include <string.h>

#define FROM_HOOK XTAP_HOOK_TC_EGRESS
#define TO_HOOK XTAP_HOOK_XDP

static int live_setup(void **state)
{
	struct xtap_load_opts lo = { .replay = false, .flows_max = 1024 };
	struct env *e = calloc(1, sizeof(*e));
	int err;

	if (!e)
		return -1;
	err = xtap_load(&lo, &e->skel);
	if (err) {
		fprintf(stderr, "xtap_load: %s (tests/prog need root)\n", strerror(-err));
		free(e);
		return -1;
	}
	e->flows_fd = bpf_map__fd(e->skel->maps.xtap_flows);
	e->stats_fd = bpf_map__fd(e->skel->maps.xtap_stats);
	e->replay_fd = bpf_map__fd(e->skel->maps.xtap_replay);
	e->ncpu = libbpf_num_possible_cpus();
	*state = e;
	return 0;
}

static int seen_fd(struct env *e) { return bpf_map__fd(e->skel->maps.xtap_hop_seen); }
static int hops_fd(struct env *e) { return bpf_map__fd(e->skel->maps.xtap_hops); }
static int index_fd(struct env *e) { return bpf_map__fd(e->skel->maps.xtap_hop_index); }

/* Zero every entry of an array map (per-CPU values: value_size each). */
static void clear_array(int fd, __u32 n, size_t value_size)
{
	void *zero = calloc(libbpf_num_possible_cpus(), value_size);

	assert_non_null(zero);
	for (__u32 k = 0; k < n; k++)
		assert_int_equal(bpf_map_update_elem(fd, &k, zero, BPF_ANY), 0);
	free(zero);
}

static void hop_reset(struct env *e)
{
	env_reset(e);
	clear_array(seen_fd(e), XTAP_HOP_SEEN_MAX, sizeof(struct xtap_hop_seen));
	clear_array(index_fd(e), XTAP_HOP_INDEX_NEXT + 1, sizeof(__u32));
	clear_array(hops_fd(e), XTAP_HOPS_MAX, sizeof(struct xtap_hist));
}

/* The sighting in fp's slot, 0 when the slot holds another fingerprint. */
static int seen_of(struct env *e, __u64 fp, struct xtap_hop_seen *s)
{
	__u32 k = (__u32)(fp & (XTAP_HOP_SEEN_MAX - 1));

	assert_int_equal(bpf_map_lookup_elem(seen_fd(e), &k, s), 0);
	return s->at && s->fp == fp;
}

/* Run the frame at hook, live clock; returns the bytes of metadata the
 * output carries in front of the frame (XDP's stamp, if written). */
static size_t run_live(struct env *e, int hook, const void *data, size_t len, const void *meta,
		       size_t meta_len)
{
	uint8_t in[PB_MAX + 64];
	struct xdp_md ctx = { .data = (__u32)meta_len, .data_end = (__u32)(meta_len + len) };
	int want = hook == XTAP_HOOK_XDP ? XDP_PASS : TC_UNSPEC;
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = in, .data_size_in = (__u32)(meta_len + len),
		    .data_out = e->out, .data_size_out = sizeof(e->out), .repeat = 1);

	assert_true(meta_len + len <= sizeof(in));
	if (meta_len)
		memcpy(in, meta, meta_len);
	memcpy(in + meta_len, data, len);
	if (hook == XTAP_HOOK_XDP && meta_len) {
		t.ctx_in = &ctx;
		t.ctx_size_in = sizeof(ctx);
	}
	if (bpf_prog_test_run_opts(bpf_program__fd(hook_prog(e, hook)), &t)) {
		print_error("%s: test run: %s\n", hook_str(hook), strerror(errno));
		fail();
	}
	assert_int_equal((int)t.retval, want);
	assert_true(t.data_size_out >= len);
	/* the frame itself is never changed */
	assert_memory_equal(e->out + (t.data_size_out - len), data, len);
	return t.data_size_out - len;
}

static __u64 hop_count(struct env *e, int from_hook, int to_hook)
{
	__u32 k = XTAP_POINT(0, from_hook) * XTAP_MAX_POINTS + XTAP_POINT(0, to_hook), idx = 0;
	struct xtap_hist *pc = calloc(e->ncpu, sizeof(*pc));
	__u64 n = 0;

	assert_non_null(pc);
	assert_int_equal(bpf_map_lookup_elem(index_fd(e), &k, &idx), 0);
	if (idx) {
		idx--;
		assert_int_equal(bpf_map_lookup_elem(hops_fd(e), &idx, pc), 0);
		for (int c = 0; c < e->ncpu; c++)
			n += pc[c].count;
	}
	free(pc);
	return n;
}

/* What a frame is made of; each case changes one thing. */
struct frame {
	int v6;
	int proto;		/* IPPROTO_TCP, _UDP, _ICMP */
	const uint8_t *dst_mac, *src_mac;
	uint32_t saddr, daddr;	/* IPv4; IPv6 uses 2001:db8::(saddr & 0xffff) */
	uint16_t id;		/* IPv4 ID */
	uint32_t flow_label;
	uint8_t ttl, tos;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t icmp_seq;
	size_t payload;
	int corrupt_csum;	/* break the IPv4 header checksum */
};

static const struct frame base = {
	.proto = IPPROTO_TCP, .saddr = PB_IP4(10, 1, 0, 1), .daddr = PB_IP4(10, 2, 0, 1),
	.id = 4242, .flow_label = 0x12345, .ttl = 64, .sport = 40000, .dport = 80,
	.seq = 1000, .ack = 2000, .icmp_seq = 7, .payload = 100,
};

static void build(struct pb *b, const struct frame *f)
{
	pb_init(b, f->dst_mac ? f->dst_mac : PB_MAC_B, f->src_mac ? f->src_mac : PB_MAC_A);
	if (f->v6) {
		struct pb_ip6 o = { .hop_limit = f->ttl, .flow_label = f->flow_label };

		pb_ip6_doc(o.saddr, (uint16_t)f->saddr);
		pb_ip6_doc(o.daddr, (uint16_t)f->daddr);
		pb_ipv6(b, &o);
	} else {
		struct pb_ip4 o = { .saddr = f->saddr, .daddr = f->daddr, .id = f->id, .ttl = f->ttl,
				    .tos = f->tos, .frag = PB_IP_DF };

		pb_ipv4(b, &o);
	}
	if (f->proto == IPPROTO_TCP) {
		struct pb_tcp t = { .sport = f->sport, .dport = f->dport, .seq = f->seq, .ack = f->ack,
				    .flags = PB_ACK | PB_PSH };

		pb_tcp(b, &t);
	} else if (f->proto == IPPROTO_UDP) {
		pb_udp(b, f->sport, f->dport);
	} else if (f->v6) {
		pb_icmp6(b, 128, 0, 99, f->icmp_seq);
	} else {
		pb_icmp(b, 8, 0, 99, f->icmp_seq);
	}
	pb_payload(b, NULL, f->payload);
	pb_finish(b);
	if (f->corrupt_csum && !f->v6)
		pb_put16(b, b->l3 + 10, (uint16_t)(pb_get16(b, b->l3 + 10) ^ 0x5a5a));
}

/* Run a at TC egress, then b at XDP: 1 when b matched a's sighting. */
static int pair_matches(struct env *e, const struct frame *a, const struct frame *b)
{
	struct pb fa, fb;

	hop_reset(e);
	build(&fa, a);
	build(&fb, b);
	run_live(e, FROM_HOOK, fa.d, fa.len, NULL, 0);
	assert_int_equal(stat_of(e, FROM_HOOK, XTAP_STAT_HOP_FIRST), 1);
	run_live(e, TO_HOOK, fb.d, fb.len, NULL, 0);
	if (hop_count(e, FROM_HOOK, TO_HOOK) == 1) {
		assert_int_equal(stat_of(e, TO_HOOK, XTAP_STAT_HOP_MATCHED), 1);
		assert_int_equal(stat_of(e, TO_HOOK, XTAP_STAT_HOP_FIRST), 0);
		return 1;
	}
	/* a fingerprint that matches nothing is counted, never guessed */
	assert_int_equal(hop_count(e, FROM_HOOK, TO_HOOK), 0);
	assert_int_equal(stat_of(e, TO_HOOK, XTAP_STAT_HOP_FIRST), 1);
	assert_int_equal(stat_of(e, TO_HOOK, XTAP_STAT_HOP_MATCHED), 0);
	return 0;
}

/* f inside VXLAN (VNI 42) between two tunnel ends, the outer IPv4 TTL ttl. */
static void build_vxlan(struct pb *w, const struct frame *f, uint8_t ttl)
{
	static const uint8_t vx[8] = { 0x08, 0, 0, 0, 0, 0, 42, 0 };
	struct pb in;

	build(&in, f);
	pb_init(w, PB_MAC_B, PB_MAC_A);
	pb_ipv4(w, &(struct pb_ip4){ .saddr = PB_IP4(192, 168, 1, 1),
				     .daddr = PB_IP4(192, 168, 1, 2), .id = 9, .ttl = ttl });
	pb_udp(w, 50000, 4789);
	pb_payload(w, vx, sizeof(vx));
	pb_payload(w, in.d, in.len);
	pb_finish(w);
}

/* A tunnel packet is matched on its inner packet: across two points that
 * both see it encapsulated (the outer TTL changed between them), and
 * across the tunnel's end, seen encapsulated at one point and as the
 * inner packet alone at the other. */
static void test_tunnel_packet(void **state)
{
	struct env *e = *state;
	struct pb a, b;

	for (int step = 0; step < 2; step++) {
		hop_reset(e);
		build_vxlan(&a, &base, 64);
		if (step == 0)
			build_vxlan(&b, &base, 63);
		else
			build(&b, &base);
		run_live(e, FROM_HOOK, a.d, a.len, NULL, 0);
		assert_int_equal(stat_of(e, FROM_HOOK, XTAP_STAT_HOP_FIRST), 1);
		run_live(e, TO_HOOK, b.d, b.len, NULL, 0);
		if (hop_count(e, FROM_HOOK, TO_HOOK) != 1) {
			print_error("%s: no hop\n", step ? "across the tunnel end" : "encapsulated");
			fail();
		}
		assert_int_equal(stat_of(e, TO_HOOK, XTAP_STAT_HOP_MATCHED), 1);
	}
}

static const uint8_t MAC_C[6] = { 0x02, 0xcc, 0, 0, 0, 1 };
static const uint8_t MAC_D[6] = { 0x02, 0xdd, 0, 0, 0, 2 };

/* What a router changes: TTL / hop limit, the IPv4 checksum with it, the
 * MAC addresses, the TOS / traffic class. The packet still matches. */
static void test_stable_across_forwarding(void **state)
{
	struct env *e = *state;
	static const int protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP };

	for (int v6 = 0; v6 <= 1; v6++) {
		for (size_t p = 0; p < sizeof(protos) / sizeof(protos[0]); p++) {
			struct frame a = base, b;

			a.v6 = v6;
			a.proto = protos[p];
			b = a;
			b.ttl = 63;
			b.dst_mac = MAC_C;
			b.src_mac = MAC_D;
			if (!pair_matches(e, &a, &b)) {
				print_error("v6=%d proto %d: TTL and MACs changed, no match\n", v6, a.proto);
				fail();
			}
			b.ttl = 1;
			b.tos = 0x2e << 2 | 3;	/* DSCP re-marked, ECN CE (IPv4) */
			b.corrupt_csum = 1;
			if (!pair_matches(e, &a, &b)) {
				print_error("v6=%d proto %d: TTL, TOS and checksum changed, no match\n", v6,
					    a.proto);
				fail();
			}
		}
	}
}

enum kept {
	K_SADDR, K_DADDR, K_ID, K_FLOW_LABEL, K_FLOW_LABEL_TOP, K_SPORT, K_DPORT, K_SEQ, K_ACK,
	K_PAYLOAD_MORE, K_PAYLOAD_LESS, K_ICMP_SEQ, K_PROTO,
};

static void change(struct frame *f, enum kept k)
{
	switch (k) {
	case K_SADDR: f->saddr++; break;
	case K_DADDR: f->daddr++; break;
	case K_ID: f->id++; break;
	case K_FLOW_LABEL: f->flow_label++; break;
	case K_FLOW_LABEL_TOP: f->flow_label ^= 0x80000; break;
	case K_SPORT: f->sport++; break;
	case K_DPORT: f->dport++; break;
	case K_SEQ: f->seq++; break;
	case K_ACK: f->ack++; break;
	case K_PAYLOAD_MORE: f->payload++; break;
	case K_PAYLOAD_LESS: f->payload--; break;
	case K_ICMP_SEQ: f->icmp_seq++; break;
	case K_PROTO: f->proto = IPPROTO_UDP; break;
	}
}

/* What forwarding keeps: any change is another packet. */
static void test_differs_in_kept_fields(void **state)
{
	struct env *e = *state;
	static const struct {
		const char *what;
		int v6, proto;
		enum kept k;
	} cases[] = {
		{ "IPv4 source", 0, IPPROTO_TCP, K_SADDR },
		{ "IPv4 destination", 0, IPPROTO_TCP, K_DADDR },
		{ "IPv4 ID", 0, IPPROTO_TCP, K_ID },
		{ "IPv4 ID (UDP)", 0, IPPROTO_UDP, K_ID },
		{ "IPv6 source", 1, IPPROTO_TCP, K_SADDR },
		{ "IPv6 destination", 1, IPPROTO_UDP, K_DADDR },
		{ "IPv6 flow label", 1, IPPROTO_TCP, K_FLOW_LABEL },
		{ "IPv6 flow label (UDP)", 1, IPPROTO_UDP, K_FLOW_LABEL_TOP },
		{ "TCP source port", 0, IPPROTO_TCP, K_SPORT },
		{ "TCP destination port", 1, IPPROTO_TCP, K_DPORT },
		{ "TCP sequence", 0, IPPROTO_TCP, K_SEQ },
		{ "TCP acknowledgement", 1, IPPROTO_TCP, K_ACK },
		{ "TCP payload length", 0, IPPROTO_TCP, K_PAYLOAD_MORE },
		{ "UDP port", 0, IPPROTO_UDP, K_DPORT },
		{ "UDP payload length", 1, IPPROTO_UDP, K_PAYLOAD_LESS },
		{ "ICMP echo sequence", 0, IPPROTO_ICMP, K_ICMP_SEQ },
		{ "ICMPv6 echo sequence", 1, IPPROTO_ICMP, K_ICMP_SEQ },
		{ "protocol", 0, IPPROTO_TCP, K_PROTO },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct frame a = base, b;

		a.v6 = cases[i].v6;
		a.proto = cases[i].proto;
		b = a;
		b.ttl = 63;	/* forwarded, and: */
		change(&b, cases[i].k);
		if (pair_matches(e, &a, &b)) {
			print_error("%s changed, yet the packets matched\n", cases[i].what);
			fail();
		}
	}
}

/* A packet seen twice at one point (a duplicate, a retransmission with the
 * same fields) restarts its path there: no hop from a point to itself. */
static void test_repeat_at_one_point(void **state)
{
	struct env *e = *state;
	struct pb f;

	hop_reset(e);
	build(&f, &base);
	run_live(e, FROM_HOOK, f.d, f.len, NULL, 0);
	run_live(e, FROM_HOOK, f.d, f.len, NULL, 0);
	assert_int_equal(stat_of(e, FROM_HOOK, XTAP_STAT_HOP_FIRST), 1);
	assert_int_equal(stat_of(e, FROM_HOOK, XTAP_STAT_HOP_REPEAT), 1);
	assert_int_equal(hop_count(e, FROM_HOOK, FROM_HOOK), 0);
	/* then forwarded: one hop */
	run_live(e, TO_HOOK, f.d, f.len, NULL, 0);
	assert_int_equal(hop_count(e, FROM_HOOK, TO_HOOK), 1);
}

/* Three points in a row: each hop is between consecutive points. */
static void test_consecutive_points(void **state)
{
	struct env *e = *state;
	struct pb f;

	hop_reset(e);
	build(&f, &base);
	run_live(e, XTAP_HOOK_TC_EGRESS, f.d, f.len, NULL, 0);
	run_live(e, XTAP_HOOK_XDP, f.d, f.len, NULL, 0);
	run_live(e, XTAP_HOOK_TC_INGRESS, f.d, f.len, NULL, 0);	/* no stamp in an skb test run */
	assert_int_equal(hop_count(e, XTAP_HOOK_TC_EGRESS, XTAP_HOOK_XDP), 1);
	assert_int_equal(hop_count(e, XTAP_HOOK_XDP, XTAP_HOOK_TC_INGRESS), 1);
	assert_int_equal(hop_count(e, XTAP_HOOK_TC_EGRESS, XTAP_HOOK_TC_INGRESS), 0);
	assert_int_equal(stat_of(e, XTAP_HOOK_TC_INGRESS, XTAP_STAT_HOP_MATCHED), 1);
}

/* XDP stamps an empty metadata area: magic, its point, the fingerprint the
 * sighting is filed under, a time. */
static void test_xdp_stamp(void **state)
{
	struct env *e = *state;
	struct xtap_hop_meta m;
	struct xtap_hop_seen s;
	struct pb f;
	size_t meta;

	hop_reset(e);
	build(&f, &base);
	meta = run_live(e, XTAP_HOOK_XDP, f.d, f.len, NULL, 0);
	assert_int_equal(meta, sizeof(m));
	memcpy(&m, e->out, sizeof(m));
	assert_int_equal(m.magic, XTAP_HOP_META_MAGIC);
	assert_int_equal(m.point, XTAP_POINT(0, XTAP_HOOK_XDP));
	assert_true(m.ns > 0);
	assert_true(seen_of(e, m.fp, &s));
	assert_int_equal(XTAP_HOP_AT_POINT(s.at), XTAP_POINT(0, XTAP_HOOK_XDP));
	assert_true(s.at == XTAP_HOP_AT(m.ns, XTAP_POINT(0, XTAP_HOOK_XDP)));
	assert_int_equal(stat_of(e, XTAP_HOOK_XDP, XTAP_STAT_HOP_NO_ROOM), 0);
}

/* A frame that is not followed (not IP) after one that was gets no stamp:
 * nothing is left over from the packet before. */
static void test_xdp_stamp_not_carried_over(void **state)
{
	struct env *e = *state;
	static const uint8_t tha[6] = { 0 };
	struct pb f, arp;

	hop_reset(e);
	build(&f, &base);
	assert_int_equal(run_live(e, XTAP_HOOK_XDP, f.d, f.len, NULL, 0), sizeof(struct xtap_hop_meta));
	pb_init(&arp, PB_MAC_B, PB_MAC_A);
	pb_arp(&arp, 1, PB_MAC_A, PB_IP4(10, 1, 0, 1), tha, PB_IP4(10, 1, 0, 2));
	pb_finish(&arp);
	assert_int_equal(run_live(e, XTAP_HOOK_XDP, arp.d, arp.len, NULL, 0), 0);
}

/* Another program's metadata is left alone: no stamp, counted. */
static void test_xdp_stamp_leaves_other_metadata(void **state)
{
	struct env *e = *state;
	static const uint8_t other[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct pb f;

	hop_reset(e);
	build(&f, &base);
	assert_int_equal(run_live(e, XTAP_HOOK_XDP, f.d, f.len, other, sizeof(other)), sizeof(other));
	assert_memory_equal(e->out, other, sizeof(other));
	assert_int_equal(stat_of(e, XTAP_HOOK_XDP, XTAP_STAT_HOP_NO_ROOM), 1);
	/* the sighting is filed all the same */
	assert_int_equal(stat_of(e, XTAP_HOOK_XDP, XTAP_STAT_HOP_FIRST), 1);
}

/* Multicast and broadcast fan out: not followed. */
static void test_fan_out_not_followed(void **state)
{
	struct env *e = *state;
	struct frame a = base;
	struct pb f;

	hop_reset(e);
	a.proto = IPPROTO_UDP;
	a.daddr = PB_IP4(239, 1, 2, 3);
	build(&f, &a);
	run_live(e, FROM_HOOK, f.d, f.len, NULL, 0);
	a.daddr = PB_IP4(255, 255, 255, 255);
	build(&f, &a);
	run_live(e, FROM_HOOK, f.d, f.len, NULL, 0);
	assert_int_equal(stat_of(e, FROM_HOOK, XTAP_STAT_HOP_FIRST), 0);
	assert_int_equal(stat_of(e, FROM_HOOK, XTAP_STAT_UDP), 2);
}

/* Trajectory sampling: every point follows the same packets, whatever a
 * router rewrote on the way (TTL or hop limit, checksum, MAC addresses),
 * for TCP, UDP and ICMP over IPv4 and IPv6 alike. */
static void test_sampling_consistent(void **state)
{
	static const int protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP };
	struct env *e = *state;
	__u32 *shift = &xtap_live_of(e->skel)->hop.sample_shift;
	__u64 first;
	struct pb f;

	hop_reset(e);
	xtap_live_set(shift, 1);	/* 1 in 2 */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < 96; i++) {
			struct frame a = base;

			a.v6 = i % 2;
			a.proto = protos[i / 2 % 3];
			a.seq += (uint32_t)i * 1000;
			a.id += (uint16_t)i;
			a.flow_label += (uint32_t)i;
			a.icmp_seq += (uint16_t)i;
			a.sport += (uint16_t)(i % 7);
			if (pass) {	/* forwarded */
				a.ttl--;
				a.dst_mac = PB_MAC_A;
				a.src_mac = PB_MAC_B;
			}
			build(&f, &a);
			run_live(e, pass ? TO_HOOK : FROM_HOOK, f.d, f.len, NULL, 0);
		}
	first = stat_of(e, FROM_HOOK, XTAP_STAT_HOP_FIRST);
	/* 0 or 96 of 96 at 1 in 2: a chance of 2^-95; outside 24..72, about
	 * 1e-6 for a fair coin */
	print_message("sampling: %llu of 96 followed at 1 in 2\n", (unsigned long long)first);
	assert_true(first >= 24 && first <= 72);
	assert_int_equal(stat_of(e, TO_HOOK, XTAP_STAT_HOP_MATCHED), first);
	assert_int_equal(stat_of(e, TO_HOOK, XTAP_STAT_HOP_FIRST), 0);
	assert_int_equal(hop_count(e, FROM_HOOK, TO_HOOK), first);
	xtap_live_set(shift, 0);
}

/* Two packets whose fingerprints share a slot of the direct-mapped table:
 * the second takes the slot over (counted), and the first, seen next at
 * another point, matches nothing: counted as a new path, never guessed. */
static void test_slot_taken_over(void **state)
{
	struct env *e = *state;
	static __u64 fps[1024];
	struct xtap_hop_meta m;
	struct xtap_hop_seen s;
	struct frame a = base, b = base;
	struct pb f;
	int x = -1, y = -1;

	/* XDP's stamp tells each frame's fingerprint: look for two in one slot */
	hop_reset(e);
	for (int i = 0; i < 1024 && x < 0; i++) {
		a.seq = base.seq + (uint32_t)i;
		build(&f, &a);
		assert_int_equal(run_live(e, XTAP_HOOK_XDP, f.d, f.len, NULL, 0), sizeof(m));
		memcpy(&m, e->out, sizeof(m));
		fps[i] = m.fp;
		for (int j = 0; j < i; j++)
			if (((fps[j] ^ m.fp) & (XTAP_HOP_SEEN_MAX - 1)) == 0 && fps[j] != m.fp) {
				x = j;
				y = i;
				break;
			}
	}
	assert_true(x >= 0);	/* 1024 frames in 65536 slots: 1 - e^-8 */
	a.seq = base.seq + (uint32_t)x;
	b.seq = base.seq + (uint32_t)y;

	hop_reset(e);
	build(&f, &a);
	run_live(e, FROM_HOOK, f.d, f.len, NULL, 0);
	build(&f, &b);
	run_live(e, FROM_HOOK, f.d, f.len, NULL, 0);
	assert_int_equal(stat_of(e, FROM_HOOK, XTAP_STAT_HOP_FIRST), 2);
	assert_int_equal(stat_of(e, FROM_HOOK, XTAP_STAT_HOP_OVERWRITE), 1);
	assert_true(seen_of(e, fps[y], &s));
	assert_false(seen_of(e, fps[x], &s));
	build(&f, &a);
	run_live(e, TO_HOOK, f.d, f.len, NULL, 0);
	assert_int_equal(stat_of(e, TO_HOOK, XTAP_STAT_HOP_MATCHED), 0);
	assert_int_equal(stat_of(e, TO_HOOK, XTAP_STAT_HOP_FIRST), 1);
	assert_int_equal(hop_count(e, FROM_HOOK, TO_HOOK), 0);
	/* b's sighting went with it: a's took the slot back */
	build(&f, &b);
	run_live(e, TO_HOOK, f.d, f.len, NULL, 0);
	assert_int_equal(stat_of(e, TO_HOOK, XTAP_STAT_HOP_MATCHED), 0);
	assert_int_equal(stat_of(e, TO_HOOK, XTAP_STAT_HOP_OVERWRITE), 2);
}

/* All histograms taken: a new hop is counted, not recorded; hops that
 * already have one go on. */
static void test_hops_full(void **state)
{
	struct env *e = *state;
	__u32 next = XTAP_HOP_INDEX_NEXT, n;
	struct pb f;

	hop_reset(e);
	build(&f, &base);
	run_live(e, XTAP_HOOK_TC_EGRESS, f.d, f.len, NULL, 0);
	run_live(e, XTAP_HOOK_XDP, f.d, f.len, NULL, 0);
	assert_int_equal(hop_count(e, XTAP_HOOK_TC_EGRESS, XTAP_HOOK_XDP), 1);
	assert_int_equal(bpf_map_lookup_elem(index_fd(e), &next, &n), 0);
	assert_int_equal(n, 1);
	n = XTAP_HOPS_MAX;
	assert_int_equal(bpf_map_update_elem(index_fd(e), &next, &n, BPF_ANY), 0);
	run_live(e, XTAP_HOOK_TC_INGRESS, f.d, f.len, NULL, 0);
	assert_int_equal(stat_of(e, XTAP_HOOK_TC_INGRESS, XTAP_STAT_HOP_MATCHED), 1);
	assert_int_equal(stat_of(e, XTAP_HOOK_TC_INGRESS, XTAP_STAT_HOP_FULL), 1);
	assert_int_equal(hop_count(e, XTAP_HOOK_XDP, XTAP_HOOK_TC_INGRESS), 0);
	assert_int_equal(bpf_map_lookup_elem(index_fd(e), &next, &n), 0);
	assert_int_equal(n, XTAP_HOPS_MAX);	/* no wrap */
	/* the next packet along the known hop still gets its histogram */
	build(&f, &(struct frame){ .proto = IPPROTO_UDP, .saddr = base.saddr, .daddr = base.daddr,
				   .id = 7, .sport = 1, .dport = 2, .payload = 10 });
	run_live(e, XTAP_HOOK_TC_EGRESS, f.d, f.len, NULL, 0);
	run_live(e, XTAP_HOOK_XDP, f.d, f.len, NULL, 0);
	assert_int_equal(hop_count(e, XTAP_HOOK_TC_EGRESS, XTAP_HOOK_XDP), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, live_setup, env_teardown)
		T(test_stable_across_forwarding),
		T(test_tunnel_packet),
		T(test_differs_in_kept_fields),
		T(test_repeat_at_one_point),
		T(test_consecutive_points),
		T(test_xdp_stamp),
		T(test_xdp_stamp_not_carried_over),
		T(test_xdp_stamp_leaves_other_metadata),
		T(test_fan_out_not_followed),
		T(test_sampling_consistent),
		T(test_slot_taken_over),
		T(test_hops_full),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
