/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Shared by the tests/prog binaries: load the real xtap programs in replay
 * mode with private maps, run one frame through BPF_PROG_TEST_RUN, and check
 * the counters and flow entries it left behind.
 */
#ifndef XTAP_TESTS_PROG_HARNESS_H
#define XTAP_TESTS_PROG_HARNESS_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "loader/live.h"
#include "loader/loader.h"
#include "maps/xtap.h"
#include "user/capslot.h"
#include "user/maps.h"
#include "user/names.h"
#include "tests/fixtures/pkt.h"

#define TC_UNSPEC (-1)		/* TC_ACT_UNSPEC */
#define T0 1700000000000000000ull	/* a replay clock start, ns */

static const int hooks[] = { XTAP_HOOK_XDP, XTAP_HOOK_TC_INGRESS, XTAP_HOOK_TC_EGRESS };
#define NHOOKS (sizeof(hooks) / sizeof(hooks[0]))

struct env {
	struct xtap_bpf *skel;
	/* capture id 0 and its ring (env_setup_ring) */
	struct xtap_capmaps capmaps;
	struct xtap_capslot cap;
	int ring_fd;
	int flows_fd, stats_fd, replay_fd;
	int ncpu;
	uint8_t out[PB_MAX + 512];
};

/* Load the programs for replay with private maps; with a ring size, claim
 * capture id 0 with one ring of that size (its config is the test's). */
static inline int env_setup_sized(void **state, __u32 ring_size, __u32 flows_max)
{
	struct xtap_load_opts lo = { .replay = true, .flows_max = flows_max };
	struct env *e = calloc(1, sizeof(*e));
	int err;

	if (!e)
		return -1;
	e->ring_fd = -1;
	err = xtap_load(&lo, &e->skel);
	if (err) {
		fprintf(stderr, "xtap_load: %s (tests/prog need root)\n", strerror(-err));
		free(e);
		return -1;
	}
	xtap_capmaps_of(e->skel, &e->capmaps);
	if (ring_size) {
		err = xtap_capslot_claim(&e->cap, &e->capmaps);
		if (!err)
			err = xtap_capslot_rings(&e->cap, 1, ring_size);
		if (err || e->cap.id != 0) {
			fprintf(stderr, "capture ring: %s\n", strerror(-err));
			xtap_unload(e->skel);
			free(e);
			return -1;
		}
		e->ring_fd = e->cap.ring[0];
	}
	e->flows_fd = bpf_map__fd(e->skel->maps.xtap_flows);
	e->stats_fd = bpf_map__fd(e->skel->maps.xtap_stats);
	e->replay_fd = bpf_map__fd(e->skel->maps.xtap_replay);
	e->ncpu = libbpf_num_possible_cpus();
	*state = e;
	return 0;
}

static inline int env_setup_ring(void **state, __u32 ring_size)
{
	return env_setup_sized(state, ring_size, 1024);
}

static inline int env_setup(void **state)
{
	return env_setup_ring(state, 0);
}

/* Capture id's config, and the word that says which captures run. */
static inline void env_capture_cfg(struct env *e, __u32 id, const struct xtap_capture_cfg *cfg)
{
	__u32 on = 0;
	struct xtap_capture_cfg c;

	assert_int_equal(bpf_map_update_elem(e->capmaps.cfg, &id, cfg, BPF_ANY), 0);
	for (__u32 i = 0; i < XTAP_CAPTURES_MAX; i++) {
		assert_int_equal(bpf_map_lookup_elem(e->capmaps.cfg, &i, &c), 0);
		if (c.enabled)
			on |= 1u << i;
	}
	xtap_live_set(&e->capmaps.on->capture_on, on);
}

static inline int env_teardown(void **state)
{
	struct env *e = *state;

	if (e) {
		xtap_capslot_stop(&e->cap);
		xtap_unload(e->skel);
		free(e);
	}
	*state = NULL;
	return 0;
}

/* The per-CPU write-back entries in front of the flow table: every read
 * of flows adds what they still hold. */
static inline int fcache_fd(struct env *e)
{
	return bpf_map__fd(e->skel->maps.xtap_fcache);
}

static inline int app_fd(struct env *e)
{
	return bpf_map__fd(e->skel->maps.xtap_app);
}

static inline int hist_fd(struct env *e)
{
	return bpf_map__fd(e->skel->maps.xtap_hist);
}

/* Delete every entry of a hash map whose keys are at most 64 bytes. */
static inline void map_clear(int fd)
{
	__u8 k[64];

	while (bpf_map_get_next_key(fd, NULL, k) == 0)
		assert_int_equal(bpf_map_delete_elem(fd, k), 0);
}
_Static_assert(sizeof(struct xtap_flow_key) <= 64 && sizeof(struct xtap_svc_key) <= 64,
	       "map_clear's key buffer holds the app and histogram keys");

/* Empty the flow table and zero the counters of slot 0. */
static inline void env_reset(struct env *e)
{
	struct xtap_flow_key k;
	struct xtap_stats *zero = calloc(e->ncpu, sizeof(*zero));

	assert_non_null(zero);
	while (bpf_map_get_next_key(e->flows_fd, NULL, &k) == 0)
		assert_int_equal(bpf_map_delete_elem(e->flows_fd, &k), 0);
	/* and the per-CPU write-back entries in front of it */
	{
		struct xtap_fcache *none = calloc(e->ncpu, sizeof(*none));

		assert_non_null(none);
		for (__u32 slot = 0; slot < XTAP_FCACHE_SLOTS; slot++)
			assert_int_equal(bpf_map_update_elem(fcache_fd(e), &slot, none, BPF_ANY), 0);
		free(none);
	}
	for (__u32 h = 0; h < XTAP_HOOK_MAX; h++) {
		__u32 point = XTAP_POINT(0, h);

		assert_int_equal(bpf_map_update_elem(e->stats_fd, &point, zero, BPF_ANY), 0);
	}
	free(zero);
}

/* Counter `stat` of slot 0 at hook, summed over the CPUs. */
static inline __u64 stat_of(struct env *e, int hook, int stat)
{
	struct xtap_stats s;

	assert_int_equal(xtap_stats_read(e->stats_fd, XTAP_POINT(0, hook), &s), 0);
	return s.c[stat];
}

/* env_reset, and the app entries and histograms emptied: a cmocka setup. */
static inline int env_reset_app(void **state)
{
	struct env *e = *state;

	env_reset(e);
	map_clear(app_fd(e));
	map_clear(hist_fd(e));
	return 0;
}

static inline const char *hook_str(int hook)
{
	return xtap_hook_name(hook);
}

static inline struct bpf_program *hook_prog(struct env *e, int hook)
{
	switch (hook) {
	case XTAP_HOOK_TC_INGRESS: return e->skel->progs.tc_tap_ingress;
	case XTAP_HOOK_TC_EGRESS: return e->skel->progs.tc_tap_egress;
	default: return e->skel->progs.xdp_tap;
	}
}

/* Run len bytes through the hook's program with the replay clock at now and
 * the wire length wire (0: the frame's own). Asserts the verdict and that the
 * frame came back unchanged. */
static inline void run_frame(struct env *e, int hook, const void *data, size_t len, __u32 wire,
			     __u64 now)
{
	struct xtap_replay_pkt meta = { .now_ns = now, .wire_len = wire };
	__u32 zero = 0;
	int want = hook == XTAP_HOOK_XDP ? XDP_PASS : TC_UNSPEC;
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = data, .data_size_in = (__u32)len,
		    .data_out = e->out, .data_size_out = sizeof(e->out), .repeat = 1);

	assert_int_equal(bpf_map_update_elem(e->replay_fd, &zero, &meta, BPF_ANY), 0);
	if (bpf_prog_test_run_opts(bpf_program__fd(hook_prog(e, hook)), &t)) {
		print_error("%s: test run of %zu bytes: %s\n", hook_str(hook), len, strerror(errno));
		fail();
	}
	if ((int)t.retval != want) {
		print_error("%s: verdict %d, want %d (frame of %zu bytes)\n", hook_str(hook),
			    (int)t.retval, want, len);
		fail();
	}
	assert_int_equal(t.data_size_out, len);
	assert_memory_equal(e->out, data, len);
}

static inline void run_pb(struct env *e, int hook, const struct pb *b, __u64 now)
{
	run_frame(e, hook, b->d, b->len, 0, now);
}

/* Counters of the HTTP/DNS/TLS parsers, which test_app checks: other tests send
 * pattern payloads to ports 53 and 80 that it rightly counts as not DNS or
 * not HTTP. */
static inline int stat_is_app(int i)
{
	return i >= XTAP_STAT_HTTP_BAD && i <= XTAP_STAT_TLS_NO_HELLO;
}

/* The counters of the hook's point must equal want exactly (the HTTP/DNS
 * ones when want has them). */
static inline void expect_stats(struct env *e, int hook, const struct xtap_stats *want,
				const char *what)
{
	struct xtap_stats got;
	int bad = 0, app = 0;

	assert_int_equal(xtap_stats_read(e->stats_fd, XTAP_POINT(0, hook), &got), 0);
	for (int i = 0; i < XTAP_STAT_MAX; i++)
		app |= stat_is_app(i) && want->c[i];
	for (int i = 0; i < XTAP_STAT_MAX; i++) {
		if (got.c[i] == want->c[i] || (stat_is_app(i) && !app))
			continue;
		print_error("%s [%s]: counter %s = %llu, want %llu\n", what, hook_str(hook),
			    xtap_stat_name(i), (unsigned long long)got.c[i],
			    (unsigned long long)want->c[i]);
		bad = 1;
	}
	if (bad)
		fail();
}

/* One packet, counted under outcome, bytes on the wire, flows created. */
static inline void expect_one(struct env *e, int hook, int outcome, __u64 bytes, int flows_new,
			      const char *what)
{
	struct xtap_stats want = { 0 };

	want.c[outcome] = 1;
	want.c[XTAP_STAT_BYTES] = bytes;
	want.c[XTAP_STAT_FLOW_NEW] = flows_new;
	expect_stats(e, hook, &want, what);
}

static inline size_t flows_get(struct env *e, struct xtap_flow_entry **f)
{
	size_t n = 0;

	*f = NULL;
	assert_int_equal(xtap_flows_read(e->flows_fd, fcache_fd(e), XTAP_SORT_KEY, f, &n), 0);
	return n;
}

static inline void expect_nflows(struct env *e, size_t want, const char *what)
{
	struct xtap_flow_entry *f;
	size_t n = flows_get(e, &f);

	free(f);
	if (n != want) {
		print_error("%s: %zu flow entries, want %zu\n", what, n, want);
		fail();
	}
}

static inline void print_key(const char *tag, const struct xtap_flow_key *k)
{
	char a[64], b[64];

	print_error("%s: %s port %u <-> %s port %u proto %u v%u vlan %u\n", tag,
		    xtap_addr_str(k->addr_a, k->ip_version, a, sizeof(a)), k->port_a,
		    xtap_addr_str(k->addr_b, k->ip_version, b, sizeof(b)), k->port_b, k->proto,
		    k->ip_version, k->vlan);
}

#define FLOW_FIELD(f)                                                                          \
	do {                                                                                   \
		if (got->f != want->f) {                                                      \
			print_error("%s: flow field " #f " = %llu, want %llu\n", what,         \
				    (unsigned long long)got->f, (unsigned long long)want->f);   \
			bad = 1;                                                              \
		}                                                                             \
	} while (0)

/* The entry under key must exist and equal want in every field. */
static inline void expect_flow(struct env *e, const struct xtap_flow_key *key,
			       const struct xtap_flow *want, const char *what)
{
	struct xtap_flow v, *got = &v;
	int bad = 0;

	if (xtap_flow_lookup(e->flows_fd, fcache_fd(e), key, &v)) {
		struct xtap_flow_entry *f;
		size_t n = flows_get(e, &f);

		print_error("%s: no flow entry for the expected key (%zu entries)\n", what, n);
		print_key("  want", key);
		for (size_t i = 0; i < n; i++)
			print_key("  have", &f[i].key);
		free(f);
		fail();
	}
	FLOW_FIELD(first_ns);
	FLOW_FIELD(last_ns);
	for (int d = 0; d < 2; d++) {
		FLOW_FIELD(pkts[d]);
		FLOW_FIELD(bytes[d]);
		FLOW_FIELD(tcp_flags[d]);
		FLOW_FIELD(syn[d]);
		FLOW_FIELD(fin[d]);
		FLOW_FIELD(rst[d]);
	}
	FLOW_FIELD(initiator);
	FLOW_FIELD(initiator_syn);
	FLOW_FIELD(first_point);
	FLOW_FIELD(sampling);
	if (bad)
		fail();
}

/* Keys are written in canonical order by the tests themselves: side a is
 * the one that sorts first. */
static inline struct xtap_flow_key key4(__u32 a, __u16 pa, __u32 b, __u16 pb_, __u8 proto, __u16 vlan)
{
	struct xtap_flow_key k = { .port_a = pa, .port_b = pb_, .vlan = vlan, .proto = proto,
				   .ip_version = 4 };
	__u32 na = htonl(a), nb = htonl(b);

	k.addr_a[10] = k.addr_a[11] = 0xff;
	k.addr_b[10] = k.addr_b[11] = 0xff;
	memcpy(k.addr_a + 12, &na, 4);
	memcpy(k.addr_b + 12, &nb, 4);
	return k;
}

static inline struct xtap_flow_key key6(const __u8 a[16], __u16 pa, const __u8 b[16], __u16 pb_,
					__u8 proto, __u16 vlan)
{
	struct xtap_flow_key k = { .port_a = pa, .port_b = pb_, .vlan = vlan, .proto = proto,
				   .ip_version = 6 };

	memcpy(k.addr_a, a, 16);
	memcpy(k.addr_b, b, 16);
	return k;
}

/* A flow holding exactly one packet in direction d. */
static inline struct xtap_flow flow1(int hook, int d, __u64 now, __u64 bytes, __u8 tcp_flags,
				     int syn_only)
{
	struct xtap_flow f = { .first_ns = now, .last_ns = now, .initiator = d,
			       .initiator_syn = syn_only, .first_point = XTAP_POINT(0, hook) };

	f.pkts[d] = 1;
	f.bytes[d] = bytes;
	f.tcp_flags[d] = tcp_flags;
	f.syn[d] = !!(tcp_flags & PB_SYN);
	f.fin[d] = !!(tcp_flags & PB_FIN);
	f.rst[d] = !!(tcp_flags & PB_RST);
	return f;
}

/* Addresses used throughout: A sorts before B. */
#define IP_A PB_IP4(10, 0, 0, 1)
#define IP_B PB_IP4(10, 0, 0, 2)

/* The histogram of kind for the server at IP_B (or its IPv6 twin):port,
 * summed over CPUs; count 0 when there is none. */
static inline struct xtap_hist svc_hist(struct env *e, int v6, __u16 port, __u8 proto, __u8 kind)
{
	struct xtap_svc_key k = { .port = port, .proto = proto, .kind = kind };
	struct xtap_hist *per = calloc(e->ncpu, sizeof(*per)), sum = { 0 };

	assert_non_null(per);
	if (v6) {
		pb_ip6_doc(k.addr, 2);
	} else {
		__u32 b = htonl(IP_B);

		k.addr[10] = k.addr[11] = 0xff;
		memcpy(k.addr + 12, &b, 4);
	}
	if (bpf_map_lookup_elem(hist_fd(e), &k, per) == 0) {
		for (int c = 0; c < e->ncpu; c++) {
			sum.count += per[c].count;
			sum.sum_ns += per[c].sum_ns;
			if (per[c].max_ns > sum.max_ns)
				sum.max_ns = per[c].max_ns;
			for (int i = 0; i < XTAP_HIST_BUCKETS; i++)
				sum.bucket[i] += per[c].bucket[i];
		}
	}
	free(per);
	return sum;
}

static inline void ip4_ab(struct pb_ip4 *o, int from_a)
{
	memset(o, 0, sizeof(*o));
	o->saddr = from_a ? IP_A : IP_B;
	o->daddr = from_a ? IP_B : IP_A;
	o->id = 0x1234;
}

static inline void ip6_ab(struct pb_ip6 *o, int from_a)
{
	memset(o, 0, sizeof(*o));
	pb_ip6_doc(o->saddr, from_a ? 1 : 2);
	pb_ip6_doc(o->daddr, from_a ? 2 : 1);
}

/* TCP conversations between IP_A/IP_B (or their IPv6 twins), client port
 * CONV_CPORT to server port CONV_SPORT, optionally VLAN-tagged. */
#define CONV_CPORT 51000
#define CONV_SPORT 443

/* Ethernet (with an 802.1Q tag when vlan is set) and the IPv4 or IPv6
 * header of a packet from side a (from_a) or b; the MAC addresses go the
 * way from_client says. */
static inline void pb_eth_ip(struct pb *b, int v6, __u16 vlan, int from_client, int from_a)
{
	pb_init(b, from_client ? PB_MAC_B : PB_MAC_A, from_client ? PB_MAC_A : PB_MAC_B);
	if (vlan)
		pb_vlan(b, 0x8100, vlan);
	if (v6) {
		struct pb_ip6 ip;

		ip6_ab(&ip, from_a);
		pb_ipv6(b, &ip);
	} else {
		struct pb_ip4 ip;

		ip4_ab(&ip, from_a);
		pb_ipv4(b, &ip);
	}
}

struct tcp_conv {
	int client_a;		/* the client is side a of the key */
	int v6;
	__u16 vlan;
};

/* One TCP segment of the conversation; from_client picks the direction. */
static inline void conv_seg(struct pb *b, const struct tcp_conv *c, int from_client, __u8 flags, size_t payload)
{
	int from_a = c->client_a ? from_client : !from_client;

	pb_eth_ip(b, c->v6, c->vlan, from_client, from_a);
	pb_tcp(b, &(struct pb_tcp){ .sport = from_client ? CONV_CPORT : CONV_SPORT,
				    .dport = from_client ? CONV_SPORT : CONV_CPORT,
				    .seq = from_client ? 100 : 900, .ack = 1, .flags = flags });
	pb_payload(b, NULL, payload);
	pb_finish(b);
}

static inline struct xtap_flow_key conv_key(const struct tcp_conv *c)
{
	__u16 pa = c->client_a ? CONV_CPORT : CONV_SPORT, pb_ = c->client_a ? CONV_SPORT : CONV_CPORT;

	if (c->v6) {
		__u8 a[16], z[16];

		pb_ip6_doc(a, 1);
		pb_ip6_doc(z, 2);
		return key6(a, pa, z, pb_, IPPROTO_TCP, c->vlan);
	}
	return key4(IP_A, pa, IP_B, pb_, IPPROTO_TCP, c->vlan);
}


#endif
