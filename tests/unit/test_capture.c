// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The capture session's API as its front ends (`xtap capture`, `xtap
 * extcap`) use it, without root: xtap_capture_check's answers (options that
 * do not go together, filters libpcap refuses or xtap cannot run in the
 * kernel), a run refused before it opens anything, the stop flag, and a
 * sink whose fifo's reader has gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include "tests/unit/unit_util.h"
#include "user/capsink.h"
#include "user/capture.h"

static const char *check(const struct xtap_capture_opts *o)
{
	static char err[XTAP_FILTER_ERRLEN];

	err[0] = '\0';
	return xtap_capture_check(o, err, sizeof(err)) ? err : NULL;
}

static void test_check_options(void **state)
{
	const char *eth0 = "eth0";
	(void)state;

	assert_null(check(&(struct xtap_capture_opts){ .file = "x.pcap" }));
	assert_null(check(&(struct xtap_capture_opts){ .file = "-", .sample = 1,
						       .sample_flows = 5 }));
	assert_string_equal(check(&(struct xtap_capture_opts){ .file = "x.pcap", .sample = 2,
							       .sample_flows = 5 }),
			    "--sample and --sample-flows do not go together");
	assert_string_equal(check(&(struct xtap_capture_opts){ 0 }), "no file to write to");
	assert_string_equal(check(&(struct xtap_capture_opts){ .file = "x", .rotate_files = 3 }),
			    "-W goes with -C");
	assert_string_equal(check(&(struct xtap_capture_opts){ .file = "-", .rotate_bytes = 9 }),
			    "-C: stdout cannot be rotated");
	assert_string_equal(check(&(struct xtap_capture_opts){ .file = "x", .afxdp = true }),
			    "--afxdp needs -i IFACE (a port that exists to be captured)");
	assert_null(check(&(struct xtap_capture_opts){ .file = "x", .afxdp = true,
						       .ifaces = &eth0, .nifaces = 1 }));
}

static void test_check_filters(void **state)
{
	struct xtap_capture_opts o = { .file = "x.pcap" };
	const char *err;
	(void)state;

	o.expr = "";
	assert_null(check(&o));
	o.expr = "icmp or (ip6 and tcp port 8080)";
	assert_null(check(&o));
	o.expr = "tcp port";
	assert_string_equal(check(&o),
			    "filter 'tcp port': can't parse filter expression: syntax error");
	/* libpcap compiles it (a load of the packet type, Linux ancillary
	 * data) but there is no such load in the kernel's capture path */
	o.expr = "inbound";
	err = check(&o);
	assert_non_null(err);
	assert_non_null(strstr(err, "filter 'inbound': filter instruction 0: load of Linux "
				    "ancillary data"));
	assert_non_null(strstr(err, "cannot be translated"));
}

/* A refused run opens nothing: no file, no state. */
static void test_run_refused_first(void **state)
{
	char dir[] = "/tmp/xtap-test-capture.XXXXXX", path[64], err[XTAP_FILTER_ERRLEN] = "";
	volatile sig_atomic_t stop = 0;
	struct xtap_capture_result r;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.pcap", dir);
	assert_int_equal(xtap_capture_run(&(struct xtap_capture_opts){ .file = path,
								       .expr = "inbound" },
					  &r, &stop, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot be translated"));
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(rmdir(dir), 0);
}

static void test_stop_on_signals(void **state)
{
	const volatile sig_atomic_t *stop = xtap_capture_stop_on_signals();
	int p[2];
	(void)state;

	assert_int_equal(*stop, 0);
	raise(SIGTERM);
	assert_int_equal(*stop, 1);
	/* SIGPIPE ignored: the write fails instead of ending the process */
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	assert_int_equal(write(p[1], "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	close(p[1]);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
}

/* A fifo whose reader goes away fails the sink with -EPIPE before anything
 * is written to it; a regular file never does. */
static void test_sink_reader_gone(void **state)
{
	char dir[] = "/tmp/xtap-test-capture.XXXXXX", fifo[64], file[64], err[256] = "";
	struct xtap_capsink_opts so = { .fmt = XTAP_PCAPNG, .snaplen = 65535 };
	struct xtap_capsink *s, *f;
	char hdr[16];
	int rd;
	(void)state;

	signal(SIGPIPE, SIG_IGN);
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(file, sizeof(file), "%s/file.pcapng", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	rd = open(fifo, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	so.path = fifo;
	s = xtap_capsink_open(&so, err, sizeof(err));
	assert_non_null(s);
	so.path = file;
	f = xtap_capsink_open(&so, err, sizeof(err));
	assert_non_null(f);

	assert_int_equal(read(rd, hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	assert_int_equal(xtap_capsink_check(s), 0);
	assert_int_equal(xtap_capsink_check(f), 0);
	close(rd);
	assert_int_equal(xtap_capsink_check(s), -EPIPE);
	assert_int_equal(xtap_capsink_err(s), -EPIPE);
	assert_int_equal(xtap_capsink_check(f), 0);
	assert_int_equal(xtap_capsink_close(s), -EPIPE);
	assert_int_equal(xtap_capsink_close(f), 0);
	signal(SIGPIPE, SIG_DFL);
	unlink(fifo);
	unlink(file);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_options),
		cmocka_unit_test(test_check_filters),
		cmocka_unit_test(test_run_refused_first),
		cmocka_unit_test(test_stop_on_signals),
		cmocka_unit_test(test_sink_reader_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
