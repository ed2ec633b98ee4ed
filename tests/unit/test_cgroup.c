// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* user/cgroup.c over a directory tree standing in for the cgroup2 mount:
 * ids are the directories' inodes, paths are below the root. */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/unit_util.h"
#include "user/cgroup.h"

struct tree {
	char root[32];
	char dir[4][128];
	__u64 id[4];
};

static void mk(struct tree *t, int i, const char *rel)
{
	char root[sizeof(t->root)];
	struct stat sb;

	memcpy(root, t->root, sizeof(root));
	snprintf(t->dir[i], sizeof(t->dir[i]), "%s%s", root, rel);
	assert_int_equal(mkdir(t->dir[i], 0700), 0);
	assert_int_equal(stat(t->dir[i], &sb), 0);
	t->id[i] = sb.st_ino;
}

static void test_ids_and_paths(void **state)
{
	struct tree t = { .root = "/tmp/xtap-cgu-XXXXXX" };
	char file[160];
	__u64 id = 0;
	struct stat sb;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(t.root));
	mk(&t, 0, "/system.slice");
	mk(&t, 1, "/system.slice/web.service");
	xtap_cgroup_set_root(t.root);
	assert_string_equal(xtap_cgroup_root(), t.root);
	/* below the root with or without its '/', or in full */
	assert_int_equal(xtap_cgroup_id("/system.slice/web.service", &id), 0);
	assert_int_equal(id, t.id[1]);
	id = 0;
	assert_int_equal(xtap_cgroup_id("system.slice/web.service", &id), 0);
	assert_int_equal(id, t.id[1]);
	id = 0;
	assert_int_equal(xtap_cgroup_id(t.dir[0], &id), 0);
	assert_int_equal(id, t.id[0]);
	assert_int_equal(xtap_cgroup_id("/", &id), 0);
	assert_int_equal(stat(t.root, &sb), 0);
	assert_int_equal(id, sb.st_ino);
	assert_int_equal(xtap_cgroup_id("/nothing", &id), -ENOENT);
	snprintf(file, sizeof(file), "%s/cgroup.procs", t.dir[1]);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(xtap_cgroup_id("/system.slice/web.service/cgroup.procs", &id), -ENOTDIR);
	assert_int_equal(xtap_cgroup_opt("flows", "/nothing", &id), -1);

	/* id to path; the root is "/"; 0 and unknown ids have none */
	assert_string_equal(xtap_cgroup_path(t.id[1]), "/system.slice/web.service");
	assert_string_equal(xtap_cgroup_path(t.id[0]), "/system.slice");
	assert_string_equal(xtap_cgroup_path(sb.st_ino), "/");
	assert_null(xtap_cgroup_path(0));
	/* a cgroup made after the walk: found once a second has passed */
	mk(&t, 2, "/late.scope");
	assert_null(xtap_cgroup_path(t.id[2]));
	usleep(1100000);
	assert_string_equal(xtap_cgroup_path(t.id[2]), "/late.scope");

	unlink(file);
	rmdir(t.dir[2]);
	rmdir(t.dir[1]);
	rmdir(t.dir[0]);
	rmdir(t.root);
	xtap_cgroup_set_root(NULL);
}

static void test_short(void **state)
{
	char b[29];

	(void)state;
	xtap_cgroup_short(NULL, b, sizeof(b));
	assert_string_equal(b, "-");
	xtap_cgroup_short("/system.slice/ssh.service", b, sizeof(b));
	assert_string_equal(b, "/system.slice/ssh.service");
	xtap_cgroup_short("/kubepods.slice/kubepods-burstable.slice/pod1/cri-abc.scope", b, sizeof(b));
	assert_string_equal(b, ".../pod1/cri-abc.scope");
	xtap_cgroup_short("/a/0123456789012345678901234567890123", b, sizeof(b));
	assert_string_equal(b, "...9012345678901234567890123");
	assert_int_equal(strlen(b), 28);
}

/* The real mount point, when this machine has one: a cgroup2 line of
 * /proc/self/mountinfo, a directory whose cgroup.controllers exists. */
static void test_mountinfo(void **state)
{
	char p[4200];
	const char *root;

	(void)state;
	xtap_cgroup_set_root(NULL);
	root = xtap_cgroup_root();
	if (!root)
		skip();
	snprintf(p, sizeof(p), "%s/cgroup.controllers", root);
	assert_int_equal(access(p, F_OK), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_and_paths),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_mountinfo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
