// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The live settings (struct xtap_live, loader/live.h) of a pinned state: two
 * instances loaded for two interfaces share one map, and a setting written
 * through the pinned state's mapping is what both instances' programs read on
 * their next packet: the flow sample's rate, recorded by the flow a SYN
 * makes, and the capture mask, which the capture head carries.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/live.h"
#include "loader/loader.h"
#include "loader/state.h"
#include "user/maps.h"
#include "tests/fixtures/pkt.h"

struct two {
	char root[96], maps[128];
	struct xtap_state st;
	struct xtap_bpf *a, *b;	/* slots 0 and 1 */
};

static int setup(void **state)
{
	struct two *t = calloc(1, sizeof(*t));
	struct xtap_load_opts o = { .flows_max = 1024 };
	char err[XTAP_ERRLEN];

	if (!t)
		return -1;
	snprintf(t->root, sizeof(t->root), "/sys/fs/bpf/xtap-test-live-%d", (int)getpid());
	if (xtap_state_open(&t->st, t->root, XTAP_STATE_CREATE, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	snprintf(t->maps, sizeof(t->maps), "%s/maps", t->root);
	o.pin_dir = t->maps;
	o.slot = 0;
	if (xtap_load(&o, &t->a))
		return -1;
	o.slot = 1;
	if (xtap_load(&o, &t->b))
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct two *t = *state;
	char cmd[160];

	if (!t)
		return 0;
	if (t->a)
		xtap_unload(t->a);
	if (t->b)
		xtap_unload(t->b);
	xtap_state_close(&t->st);
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", t->root);
	if (system(cmd))
		return -1;
	free(t);
	return 0;
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.id;
}

static void test_one_map(void **state)
{
	struct two *t = *state;
	char p[192];
	int fd;

	assert_int_equal(map_id(xtap_live_fd(t->a)), map_id(xtap_live_fd(t->b)));
	snprintf(p, sizeof(p), "%s/%s", t->maps, XTAP_LIVE_PIN);
	fd = bpf_obj_get(p);
	assert_true(fd >= 0);
	assert_int_equal(map_id(fd), map_id(xtap_live_fd(t->a)));
	close(fd);
	/* the instance's own rodata stays its own */
	assert_int_not_equal(t->a->rodata->xtap_slot, t->b->rodata->xtap_slot);
}

static void syn(struct pb *b, __u16 sport)
{
	pb_init(b, PB_MAC_A, PB_MAC_B);
	pb_ipv4(b, &(struct pb_ip4){ .saddr = PB_IP4(10, 0, 0, 1), .daddr = PB_IP4(10, 0, 0, 2),
				     .id = 1, .frag = PB_IP_DF });
	pb_tcp(b, &(struct pb_tcp){ .sport = sport, .dport = 443, .seq = 1, .flags = PB_SYN });
	pb_finish(b);
}

static void run_xdp(struct xtap_bpf *s, const struct pb *b)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = b->d, .data_size_in = (__u32)b->len);

	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(s->progs.xdp_tap), &o), 0);
	assert_int_equal(o.retval, XDP_PASS);
}

/* The N the flow of the SYN from sport was made under. */
static __u32 flow_sampling(struct two *t, __u16 sport)
{
	struct xtap_flow_entry *f = NULL;
	size_t n = 0;
	__u32 v = 0;
	int found = 0;

	assert_int_equal(xtap_flows_read(bpf_map__fd(t->a->maps.xtap_flows),
					 bpf_map__fd(t->a->maps.xtap_fcache), XTAP_SORT_KEY, &f, &n),
			 0);
	for (size_t i = 0; i < n; i++)
		if (f[i].key.port_a == sport || f[i].key.port_b == sport) {
			v = f[i].val.sampling;
			found++;
		}
	free(f);
	assert_int_equal(found, 1);
	return v;
}

static void test_written_through_the_pin(void **state)
{
	struct two *t = *state;
	struct xtap_live *l = xtap_live_open(&t->st), copy;
	struct pb b;

	assert_non_null(l);
	xtap_live_set(&l->flow.sampling, 7);
	assert_int_equal(xtap_live_of(t->a)->flow.sampling, 7);
	assert_int_equal(xtap_live_of(t->b)->flow.sampling, 7);
	assert_int_equal(xtap_live_read(&t->st, &copy), 0);
	assert_int_equal(copy.flow.sampling, 7);

	/* each interface's programs read it on their next packet */
	syn(&b, 41001);
	run_xdp(t->a, &b);
	syn(&b, 41002);
	run_xdp(t->b, &b);
	assert_int_equal(flow_sampling(t, 41001), 7);
	assert_int_equal(flow_sampling(t, 41002), 7);

	xtap_live_set(&l->flow.sampling, 1);
	syn(&b, 41003);
	run_xdp(t->b, &b);
	assert_int_equal(flow_sampling(t, 41003), 0);	/* every packet: exact */

	/* the bit masks: one writer's bits leave the others' alone */
	assert_int_equal(xtap_live_bits64(&l->xsk_slots, 1ull << 1, 1), 0);
	assert_int_equal(xtap_live_bits64(&l->xsk_slots, 1ull << 5, 1), 1ull << 1);
	assert_int_equal(xtap_live_bits64(&l->xsk_slots, 1ull << 1, 0), (1ull << 1) | (1ull << 5));
	assert_int_equal(xtap_live_of(t->b)->xsk_slots, 1ull << 5);
	xtap_live_bits64(&l->xsk_slots, 1ull << 5, 0);
	xtap_live_unmap(l);
}

/* A map that is not the live settings is refused, not mapped. */
static void test_not_live(void **state)
{
	struct two *t = *state;

	errno = 0;
	assert_null(xtap_live_map(bpf_map__fd(t->a->maps.xtap_stats)));
	assert_int_equal(errno, EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_map),
		cmocka_unit_test(test_written_through_the_pin),
		cmocka_unit_test(test_not_live),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
