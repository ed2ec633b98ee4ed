// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target: the classic BPF to eBPF translator. The input is a
 * classic program, 8 bytes an instruction (struct sock_filter), after a
 * prologue that sets scratch words 0-13 to 0 (libpcap's interpreter leaves
 * them as the stack had them); a program that touches words 14 and 15 (the
 * loop budget's, when it loops) is not compared. It is translated standalone and in capture
 * mode (both hooks, with stand-in map descriptors); a translation must come
 * with no error and a program, or with an error and none. As root the
 * standalone program is also loaded (a refusal is counted, not a failure:
 * the translator promises only what the verifier takes) and, once loaded,
 * run on a few frames: its verdict must be libpcap's (the interpreter with
 * the same loop budget, xtap_filter_classic_match), or the run aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/filter.h>

#include "user/filter.h"
#include "tests/fixtures/pkt.h"

#define MAX_INSNS 256
#define ZEROED 14	/* scratch words the prologue zeroes */
#define PROLOGUE (1 + ZEROED + 1)

static struct { uint8_t d[PB_MAX]; size_t len; } frames[6];
static size_t nframes;
static int load = -1;	/* root: load and run */

static void add(const struct pb *b)
{
	memcpy(frames[nframes].d, b->d, b->len);
	frames[nframes++].len = b->len;
}

static void setup(void)
{
	struct pb_ip6 o6 = { 0 };
	struct pb b;

	load = geteuid() == 0 && !getenv("XTAP_FUZZ_NO_LOAD");
	pb_init(&b, PB_MAC_B, PB_MAC_A);
	pb_ipv4(&b, &(struct pb_ip4){ .saddr = PB_IP4(10, 0, 0, 1), .daddr = PB_IP4(10, 0, 0, 2) });
	pb_tcp(&b, &(struct pb_tcp){ .sport = 1000, .dport = 80, .flags = PB_SYN });
	pb_payload(&b, "GET / HTTP/1.1\r\n", 16);
	pb_finish(&b);
	add(&b);
	pb_init(&b, PB_MAC_A, PB_MAC_B);
	pb_ip6_doc(o6.saddr, 1);
	pb_ip6_doc(o6.daddr, 2);
	pb_ipv6(&b, &o6);
	pb_ipv6_ext(&b, 0, 8);
	pb_ipv6_ext(&b, 51, 16);
	pb_udp(&b, 53, 1000);
	pb_payload(&b, NULL, 20);
	pb_finish(&b);
	add(&b);
	pb_init(&b, PB_MAC_A, PB_MAC_B);
	pb_vlan(&b, 0x8100, 10);
	pb_ipv4(&b, &(struct pb_ip4){ .saddr = PB_IP4(192, 168, 0, 1), .daddr = 0xffffffffu });
	pb_udp(&b, 68, 67);
	pb_payload(&b, NULL, 300);
	pb_finish(&b);
	add(&b);
	pb_init(&b, PB_MAC_A, PB_MAC_B);
	pb_finish(&b);
	add(&b);	/* 14 bytes: the shortest the test run takes */
	memset(&b, 0, sizeof(b));
	b.len = 64;
	add(&b);
}

static uint32_t run(int fd, const uint8_t *d, size_t len)
{
	static uint8_t out[PB_MAX + 512];
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = d, .data_size_in = (uint32_t)len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

	if (bpf_prog_test_run_opts(fd, &t)) {
		perror("fuzz_filter: test run");
		abort();
	}
	return t.retval;
}

/* Not compared: a K shift by 32 or more (undefined in libpcap's interpreter,
 * C's <<), and scratch words 14 and 15. */
static int compare_ok(const struct sock_filter *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint16_t code = c[i].code;

		if (BPF_CLASS(code) == BPF_ALU && BPF_SRC(code) == BPF_K &&
		    (BPF_OP(code) == BPF_LSH || BPF_OP(code) == BPF_RSH) && c[i].k >= 32)
			return 0;
		if ((code == BPF_ST || code == BPF_STX || code == (BPF_LD | BPF_MEM) ||
		     code == (BPF_LDX | BPF_MEM)) && c[i].k >= ZEROED)
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct xtap_filter_capture caps[2] = {
		{ .tc = 0, .scratch_fd = 100, .progs_fd = 101, .live_fd = 102, .replay_fd = 103, .id = 1 },
		{ .tc = 1, .scratch_fd = 100, .progs_fd = 104, .live_fd = 102, .replay_fd = -1, .id = 3 },
	};
	struct sock_filter prog[PROLOGUE + MAX_INSNS];
	size_t n = size / sizeof(struct sock_filter);
	char err[XTAP_FILTER_ERRLEN];
	struct xtap_filter f;
	int fd, rc;

	if (load < 0)
		setup();
	if (n == 0 || n > MAX_INSNS)
		return 0;
	prog[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, 0);
	for (int k = 0; k < ZEROED; k++)
		prog[1 + k] = (struct sock_filter)BPF_STMT(BPF_ST, k);
	prog[1 + ZEROED] = (struct sock_filter)BPF_STMT(BPF_LDX | BPF_IMM, 0);
	memcpy(prog + PROLOGUE, data, n * sizeof(*prog));
	n += PROLOGUE;

	for (int i = 0; i < 2; i++) {
		rc = xtap_filter_translate_capture(prog, n, &caps[i], &f, err, sizeof(err));
		if ((rc == 0) != (f.insns != NULL) || (rc && !err[0]))
			abort();
		xtap_filter_free(&f);
	}
	rc = xtap_filter_translate(prog, n, &f, err, sizeof(err));
	if ((rc == 0) != (f.insns != NULL) || (rc && !err[0]))
		abort();
	if (rc || !load) {
		xtap_filter_free(&f);
		return 0;
	}
	fd = xtap_filter_load(&f, "xtap_fuzz", err, sizeof(err));
	xtap_filter_free(&f);
	if (fd < 0)
		return 0;
	for (size_t i = 0; i < nframes && compare_ok(prog, n); i++) {
		uint32_t want = xtap_filter_classic_match(prog, n, frames[i].d, frames[i].len,
							  frames[i].len);
		uint32_t got = run(fd, frames[i].d, frames[i].len);

		if (got != want) {
			fprintf(stderr, "fuzz_filter: frame %zu: eBPF %u, libpcap %u\n", i, got, want);
			abort();
		}
	}
	close(fd);
	return 0;
}
