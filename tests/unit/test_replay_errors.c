// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xtap_replay_file's errors that come before any program is loaded: the file
 * cannot be opened, is not a capture, is cut inside its header, or holds
 * another link type. Each returns -1 with one line naming the file.
 *
 * A file whose header is whole but whose packet records are cut short is only
 * read after the programs are loaded, which needs privileges: that case is
 * left to the root tiers (tests/prog, selftests).
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "tests/unit/unit_util.h"
/* libpcap's classic struct bpf_insn clashes with the kernel's */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>
#include <pcap/dlt.h>

#include "user/replay.h"

struct dir {
	char path[64];
};

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	strcpy(d->path, "/tmp/xtap-unit-XXXXXX");
	if (!mkdtemp(d->path)) {
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", d->path);
	free(d);
	return 0;
}

static void file_in(void **state, const char *name, char *out, size_t len)
{
	struct dir *d = *state;

	snprintf(out, len, "%s/%s", d->path, name);
}

/* A valid capture of one frame with the given link type. */
static void write_pcap(const char *path, int dlt, int nframes)
{
	static const u_char frame[20] = { 0x45, 0, 0, 20, 0, 0, 0x40, 0, 64, 17, 0, 0,
					  10, 0, 0, 1, 10, 0, 0, 2 };
	struct pcap_pkthdr h = { .caplen = sizeof(frame), .len = sizeof(frame) };
	pcap_t *p = pcap_open_dead(dlt, 65535);
	pcap_dumper_t *w;

	assert_non_null(p);
	w = pcap_dump_open(p, path);
	assert_non_null(w);
	for (int i = 0; i < nframes; i++) {
		h.ts.tv_sec = 1700000000 + i;
		pcap_dump((u_char *)w, &h, frame);
	}
	pcap_dump_close(w);
	pcap_close(p);
}

static void write_bytes(const char *path, const void *b, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, n), (ssize_t)n);
	close(fd);
}

static void read_bytes(const char *path, void *b, size_t n)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(read(fd, b, n), (ssize_t)n);
	close(fd);
}

/* Runs replay on path; asserts -1, no skeleton, and one error line that
 * names the file. Returns the line (caller frees). */
static char *replay_fails(const char *path, int hook)
{
	struct xtap_replay_opts o = { .path = path, .hook = hook };
	struct xtap_replay r;
	struct err_cap cap;
	char *err, prefix[160];
	int ret;

	memset(&r, 0xa5, sizeof(r));
	stderr_begin(&cap);
	ret = xtap_replay_file(&o, &r);
	err = stderr_end(&cap);
	assert_int_equal(ret, -1);
	assert_null(r.skel);
	assert_int_equal(r.frames, 0);
	assert_one_error_line(err);
	snprintf(prefix, sizeof(prefix), "xtap: replay %s: ", path);
	if (strncmp(err, prefix, strlen(prefix)))
		fail_msg("expected \"%s...\", got \"%s\"", prefix, err);
	xtap_replay_free(&r);
	return err;
}

static void test_missing_file(void **state)
{
	char path[128], *err;

	file_in(state, "does-not-exist.pcap", path, sizeof(path));
	err = replay_fails(path, XTAP_HOOK_XDP);
	assert_contains(err, "No such file or directory");
	free(err);
}

static void test_directory(void **state)
{
	struct dir *d = *state;
	char *err = replay_fails(d->path, XTAP_HOOK_TC_INGRESS);

	free(err);
}

static void test_raw_link_type(void **state)
{
	char path[128], *err;

	file_in(state, "raw.pcap", path, sizeof(path));
	write_pcap(path, DLT_RAW, 3);
	err = replay_fails(path, XTAP_HOOK_XDP);
	assert_contains(err, ": link type RAW is not Ethernet\n");
	free(err);
}

static void test_linux_sll_link_type(void **state)
{
	char path[128], *err;

	file_in(state, "sll.pcap", path, sizeof(path));
	write_pcap(path, DLT_LINUX_SLL, 1);
	err = replay_fails(path, XTAP_HOOK_TC_EGRESS);
	assert_contains(err, ": link type LINUX_SLL is not Ethernet\n");
	free(err);
}

static void test_empty_file(void **state)
{
	char path[128], *err;

	file_in(state, "empty.pcap", path, sizeof(path));
	write_bytes(path, "", 0);
	err = replay_fails(path, XTAP_HOOK_XDP);
	free(err);
}

/* An Ethernet capture cut at every length inside its 24-byte header. */
static void test_truncated_header(void **state)
{
	char good[128], path[128];
	unsigned char hdr[24];

	file_in(state, "eth.pcap", good, sizeof(good));
	write_pcap(good, DLT_EN10MB, 1);
	read_bytes(good, hdr, sizeof(hdr));
	file_in(state, "cut.pcap", path, sizeof(path));
	for (size_t n = 1; n < sizeof(hdr); n++) {
		char *err;

		write_bytes(path, hdr, n);
		err = replay_fails(path, XTAP_HOOK_XDP);
		free(err);
	}
}

static void test_not_a_capture(void **state)
{
	static const char text[] = "this is a text file, not a capture at all\n";
	char path[128], *err;

	file_in(state, "notes.txt", path, sizeof(path));
	write_bytes(path, text, sizeof(text) - 1);
	err = replay_fails(path, XTAP_HOOK_XDP);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raw_link_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linux_sll_link_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_capture, setup, teardown),
	};

	return cmocka_run_group_tests_name("replay_errors", tests, NULL, NULL);
}
