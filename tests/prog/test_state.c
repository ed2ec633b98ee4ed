// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* loader/state.c on a real bpf filesystem (root): the pin root by its
 * canonical path, and the watch that tells a long-running command that its
 * state went or was replaced. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <bpf/bpf.h>

#include "loader/state.h"

static char root[96];

/* A state as attach leaves one: the registry with an entry, a flow table. */
static void make_state(void)
{
	struct xtap_iface e = { .used = 1, .ifindex = 1 };
	struct xtap_state st;
	char err[XTAP_ERRLEN], p[160];
	__u32 slot = 0;
	int fd;

	if (xtap_state_open(&st, root, XTAP_STATE_CREATE, err, sizeof(err)))
		fail_msg("%s", err);
	snprintf(e.name, sizeof(e.name), "lo");
	assert_int_equal(bpf_map_update_elem(st.reg_fd, &slot, &e, BPF_ANY), 0);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xtap_flows", 4, 4, 1, NULL);
	assert_true(fd >= 0);
	snprintf(p, sizeof(p), "%s/maps/xtap_flows", root);
	assert_int_equal(bpf_obj_pin(fd, p), 0);
	close(fd);
	xtap_state_close(&st);
}

static void remove_state(void)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* The watch looks again now, not a second later. */
static enum xtap_watch_event look(struct xtap_state_watch *w, char *msg, size_t len)
{
	w->next_ns = 0;
	return xtap_state_watch(w, msg, len);
}

static void test_watch(void **state)
{
	struct xtap_state_watch w;
	struct xtap_state st;
	char err[XTAP_ERRLEN], msg[XTAP_ERRLEN], want[XTAP_ERRLEN];

	(void)state;
	make_state();
	if (xtap_state_open(&st, root, 0, err, sizeof(err)))
		fail_msg("%s", err);
	xtap_state_watch_start(&w, &st);
	xtap_state_close(&st);
	assert_int_equal(xtap_state_watch(&w, msg, sizeof(msg)), XTAP_WATCH_SAME); /* too soon */
	assert_int_equal(look(&w, msg, sizeof(msg)), XTAP_WATCH_SAME);

	remove_state();
	assert_int_equal(look(&w, msg, sizeof(msg)), XTAP_WATCH_GONE);
	snprintf(want, sizeof(want),
		 "the pinned state at %s is gone (the last interface was detached)", root);
	assert_string_equal(msg, want);
	assert_int_equal(look(&w, msg, sizeof(msg)), XTAP_WATCH_GONE);	/* still */

	make_state();
	assert_int_equal(look(&w, msg, sizeof(msg)), XTAP_WATCH_NEW);
	snprintf(want, sizeof(want),
		 "the pinned state at %s was replaced by a new attach, with new maps", root);
	assert_string_equal(msg, want);
	assert_int_equal(look(&w, msg, sizeof(msg)), XTAP_WATCH_SAME);	/* the new one */

	/* replaced between two looks: NEW at once */
	remove_state();
	make_state();
	assert_int_equal(look(&w, msg, sizeof(msg)), XTAP_WATCH_NEW);
	remove_state();
}

/* Started with no state: the first one that comes is the one watched. */
static void test_watch_from_nothing(void **state)
{
	struct xtap_state_watch w;
	struct xtap_state st;
	char err[XTAP_ERRLEN], msg[XTAP_ERRLEN];

	(void)state;
	if (xtap_state_open(&st, root, 0, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(st.reg_fd, -1);
	xtap_state_watch_start(&w, &st);
	xtap_state_close(&st);
	assert_int_equal(look(&w, msg, sizeof(msg)), XTAP_WATCH_SAME);
	make_state();
	assert_int_equal(look(&w, msg, sizeof(msg)), XTAP_WATCH_SAME);
	remove_state();
	assert_int_equal(look(&w, msg, sizeof(msg)), XTAP_WATCH_GONE);
}

/* Spellings of one root are one state; the bpffs root is refused. */
static void test_spellings(void **state)
{
	char sp[4][256], out[128], err[XTAP_ERRLEN];
	struct xtap_state st;

	(void)state;
	snprintf(sp[0], sizeof(sp[0]), "%s/.", root);
	snprintf(sp[1], sizeof(sp[1]), "%s//", root);
	snprintf(sp[2], sizeof(sp[2]), "/sys/fs/bpf//%s", root + strlen("/sys/fs/bpf/"));
	snprintf(sp[3], sizeof(sp[3]), "%s/../%s", root, root + strlen("/sys/fs/bpf/"));
	make_state();
	for (int i = 0; i < 4; i++) {
		assert_int_equal(xtap_pin_root_canon(sp[i], out, sizeof(out), err, sizeof(err)), 0);
		assert_string_equal(out, root);
		if (xtap_state_open(&st, sp[i], 0, err, sizeof(err)))
			fail_msg("%s: %s", sp[i], err);
		assert_string_equal(st.root, root);
		assert_true(st.reg_fd >= 0);
		xtap_state_close(&st);
	}
	remove_state();
	/* the directory need not exist yet */
	assert_int_equal(xtap_pin_root_canon(sp[1], out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, root);
	assert_int_equal(xtap_state_open(&st, "/sys/fs/bpf/.", 0, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "XTAP_PIN_ROOT /sys/fs/bpf/.: is the root of a bpf filesystem; "
				 "name a directory in it, such as /sys/fs/bpf/xtap");
	assert_int_equal(xtap_state_open(&st, "/tmp/xtap", 0, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watch),
		cmocka_unit_test(test_watch_from_nothing),
		cmocka_unit_test(test_spellings),
	};
	int rc;

	snprintf(root, sizeof(root), "/sys/fs/bpf/xtap-test-state-%d", (int)getpid());
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	remove_state();
	return rc;
}
