// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* user/outfile.c and its users: capture files (user/pcapw.c), rotated capture
 * files (user/capsink.c) and the JSON lines of export (user/exporter.c) are
 * private (0600), never written through a symbolic or hard link. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "tests/unit/unit_util.h"
#include "user/capsink.h"
#include "user/exporter.h"
#include "user/outfile.h"
#include "user/pcapw.h"

struct dir {
	char path[64];
};

static void dir_make(struct dir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/xtap-outfile-XXXXXX");
	assert_non_null(mkdtemp(d->path));
}

static void dir_clean(struct dir *d)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", d->path);
	assert_int_equal(system(cmd), 0);
}

static void in_dir(const struct dir *d, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", d->path, name);
}

/* A file with text, mode mode (whatever the umask). */
static void put_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static mode_t mode_of(const char *path)
{
	struct stat s;

	assert_int_equal(lstat(path, &s), 0);
	return s.st_mode & 07777;
}

/* The whole content of a small file. */
static const char *content(const char *path)
{
	static char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

static void test_new_file_is_private(void **state)
{
	char p[128], err[256];
	mode_t old = umask(0);
	int fd;
	struct dir d;

	(void)state;
	dir_make(&d);
	in_dir(&d, "new.pcap", p, sizeof(p));
	fd = xtap_outfile_open(p, O_TRUNC, err, sizeof(err));
	umask(old);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(mode_of(p), 0600);
	dir_clean(&d);
}

/* An existing 0644 file: 0600 before the packets go in, its old content gone. */
static void test_existing_file_made_private(void **state)
{
	char p[128], err[256] = "";
	struct xtap_pcapw *w;
	struct dir d;

	(void)state;
	dir_make(&d);
	in_dir(&d, "old.pcap", p, sizeof(p));
	put_file(p, "something else entirely", 0644);
	w = xtap_pcapw_open(p, XTAP_PCAP, 100, err, sizeof(err));
	if (!w)
		fail_msg("open %s: %s", p, err);
	assert_int_equal(mode_of(p), 0600);
	assert_int_equal(xtap_pcapw_close(w), 0);
	assert_int_equal(mode_of(p), 0600);
	assert_null(strstr(content(p), "something"));
	dir_clean(&d);
}

/* -w LINK: refused; the link's target keeps its content and mode. */
static void test_symlink_refused(void **state)
{
	char target[128], lnk[128], err[256] = "";
	struct dir d;

	(void)state;
	dir_make(&d);
	in_dir(&d, "target", target, sizeof(target));
	in_dir(&d, "link.pcap", lnk, sizeof(lnk));
	put_file(target, "precious", 0644);
	assert_int_equal(symlink(target, lnk), 0);
	assert_null(xtap_pcapw_open(lnk, XTAP_PCAPNG, 100, err, sizeof(err)));
	assert_string_equal(err, "is a symbolic link; xtap does not write through one");
	assert_string_equal(content(target), "precious");
	assert_int_equal(mode_of(target), 0644);
	/* a dangling link: no file made at its target */
	assert_int_equal(unlink(target), 0);
	assert_null(xtap_pcapw_open(lnk, XTAP_PCAP, 100, err, sizeof(err)));
	assert_int_equal(access(target, F_OK), -1);
	dir_clean(&d);
}

static void test_hard_link_refused(void **state)
{
	char target[128], lnk[128], err[256] = "";
	struct dir d;

	(void)state;
	dir_make(&d);
	in_dir(&d, "target", target, sizeof(target));
	in_dir(&d, "link.pcap", lnk, sizeof(lnk));
	put_file(target, "precious", 0644);
	assert_int_equal(link(target, lnk), 0);
	assert_null(xtap_pcapw_open(lnk, XTAP_PCAP, 100, err, sizeof(err)));
	assert_string_equal(err, "has other hard links; xtap does not write through one");
	assert_string_equal(content(target), "precious");
	assert_int_equal(mode_of(target), 0644);
	dir_clean(&d);
}

/* A device is written as it is: /dev/null keeps its mode. */
static void test_device_kept(void **state)
{
	char err[256] = "";
	mode_t before = mode_of("/dev/null");
	int fd = xtap_outfile_open("/dev/null", O_TRUNC, err, sizeof(err));

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(mode_of("/dev/null"), before);
}

/* Rotation (-C -W) opens each file the same way: old 0644 files become
 * 0600, and a symbolic link among the names stops the capture with an
 * error, its target untouched. */
static void test_rotated_files(void **state)
{
	struct {
		struct xtap_capture_rec h;
		__u8 data[1000];
	} r;
	char base[128], name[160], target[128], err[256] = "";
	struct xtap_capsink_counts c;
	struct xtap_capsink *s;
	struct dir d;

	(void)state;
	dir_make(&d);
	in_dir(&d, "cap", base, sizeof(base));
	in_dir(&d, "target", target, sizeof(target));
	put_file(target, "precious", 0644);
	for (int f = 0; f < 2; f++) {
		snprintf(name, sizeof(name), "%s%d", base, f);
		put_file(name, "old", 0644);
	}
	snprintf(name, sizeof(name), "%s2", base);
	assert_int_equal(symlink(target, name), 0);
	s = xtap_capsink_open(&(struct xtap_capsink_opts){
		.path = base, .fmt = XTAP_PCAP, .snaplen = 2000, .rotate_bytes = 1500,
		.rotate_files = 3 }, err, sizeof(err));
	if (!s)
		fail_msg("%s", err);
	for (__u32 i = 0; i < 6; i++) {
		memset(&r, 0, sizeof(r));
		r.h = (struct xtap_capture_rec){ .version = XTAP_CAPTURE_VERSION,
						 .hook = XTAP_HOOK_XDP, .slot = 1,
						 .wire_len = 1000, .cap_len = 1000,
						 .ts_ns = 1000 + i, .flow_dir = XTAP_CAPTURE_NO_FLOW };
		xtap_capsink_put(s, &r.h);
		xtap_capsink_flush(s);
	}
	xtap_capsink_counts(s, &c);
	assert_int_equal(c.written, 4);		/* two in cap0, two in cap1 */
	assert_int_not_equal(xtap_capsink_close(s), 0);
	for (int f = 0; f < 2; f++) {
		snprintf(name, sizeof(name), "%s%d", base, f);
		assert_int_equal(mode_of(name), 0600);
	}
	assert_string_equal(content(target), "precious");
	assert_int_equal(mode_of(target), 0644);
	dir_clean(&d);
}

/* export --json FILE: an existing file is appended to and made 0600; a
 * symbolic link is refused with one line. */
static void test_export_json(void **state)
{
	struct xtap_exporter_opts o = { .interval_s = 1, .active_s = 60, .idle_s = 15,
					.tmpl_refresh_s = 30 };
	char p[128], lnk[128];
	struct xtap_exporter *x;
	struct err_cap ec;
	char *e, want[320];
	struct dir d;

	(void)state;
	dir_make(&d);
	in_dir(&d, "flows.jsonl", p, sizeof(p));
	in_dir(&d, "link.jsonl", lnk, sizeof(lnk));
	put_file(p, "{\"earlier\":1}\n", 0644);
	o.json = p;
	assert_int_equal(xtap_exporter_new(&o, &x), 0);
	assert_int_equal(mode_of(p), 0600);
	xtap_exporter_free(x);
	assert_string_equal(content(p), "{\"earlier\":1}\n");

	assert_int_equal(symlink(p, lnk), 0);
	o.json = lnk;
	stderr_begin(&ec);
	assert_int_equal(xtap_exporter_new(&o, &x), -ELOOP);
	e = stderr_end(&ec);
	snprintf(want, sizeof(want),
		 "xtap: export: %s: is a symbolic link; xtap does not write through one\n", lnk);
	assert_string_equal(e, want);
	free(e);
	dir_clean(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_file_is_private),
		cmocka_unit_test(test_existing_file_made_private),
		cmocka_unit_test(test_symlink_refused),
		cmocka_unit_test(test_hard_link_refused),
		cmocka_unit_test(test_device_kept),
		cmocka_unit_test(test_rotated_files),
		cmocka_unit_test(test_export_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
