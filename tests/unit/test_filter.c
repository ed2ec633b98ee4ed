// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The filter translator without a kernel: libpcap's error text for a bad
 * expression, a clear error for classic BPF that cannot be translated, and
 * the shape of the output (every packet load behind a bounds check against
 * data_end, jumps forward and inside the program, an exit at the end). The
 * behaviour itself is tested differentially in tests/prog/test_filter.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include <linux/filter.h>

#include "user/filter.h"
#include "tests/fixtures/pkt.h"

/* libpcap's own message, as xtap_filter_classic (the libpcap side) has it,
 * comes back from the whole compilation unchanged. */
static void expect_pcap_error(const char *expr, const char *needle)
{
	struct xtap_filter f = { (void *)1, 1 };
	struct sock_filter *c = (void *)1;
	size_t n = 1;
	char err[512] = "", want[512] = "";

	assert_int_equal(xtap_filter_classic(expr, 65535, &c, &n, want, sizeof(want)), -1);
	assert_null(c);
	assert_int_equal(n, 0);
	if (!strstr(want, needle)) {
		print_error("'%s': libpcap says '%s', not '%s'\n", expr, want, needle);
		fail();
	}
	assert_int_equal(xtap_filter_compile(expr, 65535, &f, err, sizeof(err)), -1);
	assert_null(f.insns);
	assert_int_equal(f.len, 0);
	assert_string_equal(err, want);
}

static void test_invalid_expression(void **state)
{
	(void)state;
	expect_pcap_error("tcp port", "syntax error");
	expect_pcap_error("host 10.0.0.300", "10.0.0.300");
	expect_pcap_error("tcp[1:3] = 0", "size must be 1, 2, or 4");
	expect_pcap_error("bogus and more", "syntax error");
	expect_pcap_error("ip[2] / 0 = 1", "division by zero");
}

#define S(c, k) { (uint16_t)(c), 0, 0, (uint32_t)(k) }
#define J(c, t, f, k) { (uint16_t)(c), (uint8_t)(t), (uint8_t)(f), (uint32_t)(k) }

static void expect_refused(const struct sock_filter *c, size_t n, const char *needle)
{
	struct xtap_filter f = { (void *)1, 1 };
	char err[256] = "";

	assert_int_equal(xtap_filter_translate(c, n, &f, err, sizeof(err)), -1);
	assert_null(f.insns);
	assert_int_equal(f.len, 0);
	if (!strstr(err, needle)) {
		print_error("error '%s' does not say '%s'\n", err, needle);
		fail();
	}
}

static void test_untranslatable(void **state)
{
	/* Linux ancillary data: the protocol (SKF_AD_OFF + SKF_AD_PROTOCOL) */
	static const struct sock_filter anc[] = {
		S(BPF_LD | BPF_H | BPF_ABS, 0xfffff000u), S(BPF_RET | BPF_A, 0) };
	/* the VLAN tag as Linux cooked captures read it */
	static const struct sock_filter vlan[] = {
		S(BPF_LD | BPF_B | BPF_ABS, 0xfffff000u + 48), S(BPF_RET | BPF_A, 0) };
	static const struct sock_filter unknown_op[] = { S(BPF_ALU | 0xf0, 0), S(BPF_RET | BPF_A, 0) };
	static const struct sock_filter unknown_class[] = { S(0x07 | 0x40, 0), S(BPF_RET | BPF_A, 0) };
	static const struct sock_filter ldx_abs[] = { S(BPF_LDX | BPF_W | BPF_ABS, 0),
							 S(BPF_RET | BPF_A, 0) };
	static const struct sock_filter ld_h_imm[] = { S(BPF_LD | BPF_H | BPF_IMM, 0),
							  S(BPF_RET | BPF_A, 0) };
	static const struct sock_filter ld_dw[] = { S(BPF_LD | 0x18 | BPF_ABS, 0),
						       S(BPF_RET | BPF_A, 0) };
	static const struct sock_filter mem16[] = { S(BPF_ST, 16), S(BPF_RET | BPF_A, 0) };
	static const struct sock_filter ldmem16[] = { S(BPF_LD | BPF_MEM, 16), S(BPF_RET | BPF_A, 0) };
	static const struct sock_filter jump_out[] = { J(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0),
							  S(BPF_RET | BPF_A, 0) };
	static const struct sock_filter ja_out[] = { S(BPF_JMP | BPF_JA, 1), S(BPF_RET | BPF_A, 0) };
	static const struct sock_filter ja_before[] = { S(BPF_LD | BPF_IMM, 1),
							  S(BPF_JMP | BPF_JA, (uint32_t)-3),
							  S(BPF_RET | BPF_A, 0) };
	static const struct sock_filter off_end[] = { S(BPF_LD | BPF_IMM, 1) };
	static const struct sock_filter div0[] = { S(BPF_ALU | BPF_DIV | BPF_K, 0),
						      S(BPF_RET | BPF_A, 0) };
	static const struct sock_filter mod0[] = { S(BPF_ALU | BPF_MOD | BPF_K, 0),
						      S(BPF_RET | BPF_A, 0) };
	static const struct sock_filter ret_x[] = { S(BPF_RET | BPF_X, 0) };
	static const struct sock_filter big_code[] = { S(0x100 | BPF_RET | BPF_K, 0) };

	(void)state;
	expect_refused(anc, 2, "Linux ancillary data");
	expect_refused(vlan, 2, "Linux ancillary data");
	expect_refused(unknown_op, 2, "cannot be translated");
	expect_refused(unknown_class, 2, "cannot be translated");
	expect_refused(ldx_abs, 2, "cannot be translated");
	expect_refused(ld_h_imm, 2, "cannot be translated");
	expect_refused(ld_dw, 2, "cannot be translated");
	expect_refused(mem16, 2, "scratch memory index 16");
	expect_refused(ldmem16, 2, "scratch memory index 16");
	expect_refused(jump_out, 2, "jump past the end");
	expect_refused(ja_out, 2, "jump past the end");
	expect_refused(ja_before, 3, "jump before the start");
	expect_refused(off_end, 1, "runs off its end");
	expect_refused(div0, 2, "division by the constant 0");
	expect_refused(mod0, 2, "division by the constant 0");
	expect_refused(ret_x, 1, "cannot be translated");
	expect_refused(big_code, 1, "cannot be translated");
	expect_refused(anc, 0, "empty");
	expect_refused(NULL, 3, "empty");
}

/* eBPF encodings the checks below look for */
#define E_LDX_MEM(sz) (BPF_LDX | BPF_MEM | (sz))
#define E_JGT_X (BPF_JMP | BPF_JGT | BPF_X)
#define E_EXIT (BPF_JMP | BPF_EXIT)
#define IS_JMP(c) (BPF_CLASS(c) == BPF_JMP || BPF_CLASS(c) == BPF_JMP32)

/* The shape every translation must have. Packet loads come in three forms:
 *   r2 = data + k + size; if r2 > data_end goto reject; dst = *(r2 - size)
 *   r3 = X + data + k + size; if r3 > data_end goto reject; dst = *(r3 - size)
 *   dst = *(data + k), when an earlier check covered k + size on every path
 *	(here checked only against the largest earlier constant check; the
 *	verifier and the differential test prove the rest). */
static void check_shape(const struct xtap_filter *f, const char *what)
{
	const struct bpf_insn *p = f->insns;
	size_t loads = 0;
	long checked = 0;

	assert_true(f->len >= 3);
	/* prologue: data and data_end from struct xdp_md */
	assert_int_equal(p[0].code, E_LDX_MEM(0));
	assert_int_equal(p[0].src_reg, 1);
	assert_int_equal(p[0].off, offsetof(struct xdp_md, data));
	assert_int_equal(p[1].code, E_LDX_MEM(0));
	assert_int_equal(p[1].off, offsetof(struct xdp_md, data_end));
	assert_int_equal(p[f->len - 1].code, E_EXIT);
	for (size_t i = 0; i < f->len; i++) {
		uint8_t c = p[i].code;

		if (IS_JMP(c) && c != E_EXIT) {
			long to = (long)i + 1 + p[i].off;

			if (p[i].off < 0 || to >= (long)f->len) {
				print_error("%s: jump at %zu to %ld (of %zu)\n", what, i, to, f->len);
				fail();
			}
		}
		/* a load from the packet: neither ctx (r1) nor the stack (r10) */
		if (BPF_CLASS(c) == BPF_LDX && BPF_MODE(c) == BPF_MEM && i > 1 && p[i].src_reg != 10) {
			int size = BPF_SIZE(c) == BPF_B ? 1 : BPF_SIZE(c) == BPF_H ? 2 : 4;
			int ok = 0;

			loads++;
			if (p[i].src_reg == 6) {
				ok = p[i].off >= 0 && p[i].off + size <= checked;
			} else if (p[i - 1].code == E_JGT_X && p[i - 1].src_reg == 7) {
				const struct bpf_insn *rej = &p[i + p[i - 1].off];

				/* the reject tail: w0 = 0; exit */
				ok = rej[0].code == (BPF_ALU | BPF_MOV | BPF_K) && rej[0].dst_reg == 0 && rej[0].imm == 0 &&
				     rej[1].code == E_EXIT;
				ok = ok && p[i - 1].dst_reg == p[i].src_reg && p[i].off == -size &&
				     p[i - 2].code == (BPF_ALU64 | BPF_ADD | BPF_K) && p[i - 2].dst_reg == p[i].src_reg &&
				     p[i - 3].src_reg == 6 && p[i - 3].dst_reg == p[i].src_reg;
				/* constant offset: mov rB, data (else add rB, data) */
				if (ok && p[i - 3].code == (BPF_ALU64 | BPF_MOV | BPF_X) && p[i - 2].imm > checked)
					checked = p[i - 2].imm;
			}
			if (!ok) {
				print_error("%s: packet load at %zu without its bounds check\n", what,
					    i);
				fail();
			}
		}
	}
	assert_true(loads > 0);
}

static void test_shape(void **state)
{
	static const char *const exprs[] = {
		"tcp port 80", "host 10.0.0.1", "vlan 10 and udp", "ip[2:2] - ((ip[0]&0xf)<<2) > 40",
		"ip6 and tcp port 443", "icmp6 and ip6[40] == 128", "ether broadcast",
		"tcp and (tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420)", "greater 100 and arp",
	};
	char err[256];

	(void)state;
	for (size_t e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
		struct xtap_filter f;

		if (xtap_filter_compile(exprs[e], 262144, &f, err, sizeof(err))) {
			print_error("%s: %s\n", exprs[e], err);
			fail();
		}
		check_shape(&f, exprs[e]);
		xtap_filter_free(&f);
		assert_null(f.insns);
	}
}

/*
 * protochain's loop: libpcap closes it with a ja of negative offset. Each
 * backward eBPF jump comes right after a step of the loop budget: may_goto
 * to the reject tail, then the count on the stack is tested, decremented
 * and stored; the prologue sets the count.
 */
static void test_loop(void **state)
{
	static const char *const exprs[] = { "ip6 protochain 17", "protochain 6 and host 10.0.0.1" };
	char err[256];

	(void)state;
	for (size_t e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
		struct xtap_filter f;
		const struct bpf_insn *p;
		size_t back = 0, budget_set = 0;

		if (xtap_filter_compile(exprs[e], 262144, &f, err, sizeof(err))) {
			print_error("%s: %s\n", exprs[e], err);
			fail();
		}
		p = f.insns;
		for (size_t i = 0; i < f.len; i++) {
			if (p[i].code == (BPF_STX | BPF_MEM | BPF_DW) && p[i].dst_reg == 10 &&
			    i > 0 && p[i - 1].code == (BPF_ALU64 | BPF_SUB | BPF_X))
				budget_set++;
			if (!IS_JMP(p[i].code) || p[i].code == E_EXIT || p[i].off >= 0)
				continue;
			back++;
			assert_true(i >= 5);
			assert_int_equal(p[i].code, BPF_JMP | BPF_JA);
			assert_int_equal(p[i - 5].code, BPF_JMP | 0xe0);	/* may_goto */
			assert_int_equal(p[i - 4].code, BPF_LDX | BPF_MEM | BPF_DW);
			assert_int_equal(p[i - 4].src_reg, 10);
			assert_int_equal(p[i - 3].code, BPF_JMP | BPF_JEQ | BPF_K);
			assert_int_equal(p[i - 3].imm, 0);
			assert_int_equal(p[i - 2].code, BPF_ALU64 | BPF_SUB | BPF_K);
			assert_int_equal(p[i - 2].imm, 1);
			assert_int_equal(p[i - 1].code, BPF_STX | BPF_MEM | BPF_DW);
			assert_int_equal(p[i - 1].off, p[i - 4].off);
		}
		assert_true(back > 0);
		assert_int_equal(budget_set, 1);
		xtap_filter_free(&f);
	}
}

/* Scratch memory that is read is zeroed first; A and X start at 0. */
static void test_scratch_zeroed(void **state)
{
	static const struct sock_filter c[] = { S(BPF_LD | BPF_MEM, 5), S(BPF_LDX | BPF_MEM, 15),
						   S(BPF_ALU | BPF_ADD | BPF_X, 0),
						   S(BPF_RET | BPF_A, 0) };
	struct xtap_filter f;
	char err[256];
	int z5 = 0, z15 = 0;

	(void)state;
	assert_int_equal(xtap_filter_translate(c, 4, &f, err, sizeof(err)), 0);
	for (size_t i = 0; i < f.len; i++) {
		if (f.insns[i].code != (BPF_ST | BPF_MEM) || f.insns[i].dst_reg != 10)
			continue;
		z5 |= f.insns[i].off == -64 + 4 * 5;
		z15 |= f.insns[i].off == -64 + 4 * 15;
	}
	assert_true(z5 && z15);
	xtap_filter_free(&f);
}

/* libpcap's interpreter as the tests use it. */
static void test_classic_run(void **state)
{
	static const uint8_t arp[42] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1,
					 0x08, 0x06 };
	struct sock_filter *c;
	size_t n;
	char err[256];

	(void)state;
	assert_int_equal(xtap_filter_classic("arp", 200, &c, &n, err, sizeof(err)), 0);
	assert_true(n > 0);
	assert_int_equal(xtap_filter_classic_run(c, n, arp, sizeof(arp)), 200);
	assert_int_equal(xtap_filter_classic_run(c, n, arp, 13), 0);
	free(c);
}

/*
 * libpcap's own interpreter never returns from protochain's loop on an AH
 * header at offset 40 of the IPv6 header whose length byte is 8: it leads
 * back to itself. xtap_filter_classic_match runs it with the translation's
 * budget: rejected. Chains it can follow (a hundred destination options
 * headers, then UDP) keep libpcap's verdict, as do loop-free filters and
 * frames shorter than an Ethernet header.
 */
static void test_classic_match_loops(void **state)
{
	struct pb_ip6 o = { 0 };
	struct sock_filter *c;
	struct pb b;
	size_t n;
	char err[256];

	(void)state;
	assert_int_equal(xtap_filter_classic("ip6 protochain 17", 262144, &c, &n, err,
					     sizeof(err)), 0);
	pb_init(&b, PB_MAC_B, PB_MAC_A);
	pb_ip6_doc(o.saddr, 1);
	pb_ip6_doc(o.daddr, 2);
	pb_ipv6(&b, &o);
	pb_ipv6_ext(&b, 51, 40);	/* AH */
	pb_put8(&b, 14 + 40, 51);	/* its next header: AH again */
	pb_put8(&b, 14 + 41, 8);	/* (8 + 2) * 4 = 40: itself */
	pb_payload(&b, NULL, 8);
	assert_int_equal(xtap_filter_classic_match(c, n, b.d, b.len, b.len), 0);

	pb_init(&b, PB_MAC_B, PB_MAC_A);
	pb_ipv6(&b, &o);
	for (int i = 0; i < 100; i++)
		pb_ipv6_ext(&b, 60, 8);
	pb_udp(&b, 1000, 53);
	pb_finish(&b);
	assert_int_equal(xtap_filter_classic_run(c, n, b.d, b.len), 262144);
	assert_int_equal(xtap_filter_classic_match(c, n, b.d, b.len, b.len), 262144);
	/* cut after the third header: both reject */
	assert_int_equal(xtap_filter_classic_match(c, n, b.d, 14 + 40 + 24, b.len), 0);

	/* the budget takes two scratch words the program leaves free: here
	 * words 0-13 are written first, and an unreachable instruction that is
	 * no scratch word form (found by fuzz_filter) names word 15; 14 and 15
	 * are still free */
	{
		struct sock_filter *w = calloc(n + 16, sizeof(*w));

		assert_non_null(w);
		w[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, 0);
		for (int k = 0; k < 14; k++)
			w[1 + k] = (struct sock_filter)BPF_STMT(BPF_ST, k);
		memcpy(w + 15, c, n * sizeof(*c));
		w[15 + n] = (struct sock_filter){ .code = 0x6860, .k = 15 };
		assert_int_equal(xtap_filter_classic_match(w, n + 16, b.d, b.len, b.len), 262144);
		free(w);
	}
	free(c);

	/* loop-free: libpcap's interpreter as it is; the wire length is len's */
	assert_int_equal(xtap_filter_classic("less 100", 262144, &c, &n, err, sizeof(err)), 0);
	assert_int_equal(xtap_filter_classic_match(c, n, b.d, 10, 10), 262144);
	assert_int_equal(xtap_filter_classic_match(c, n, b.d, 10, 1000), 0);
	free(c);
}

/*
 * 'ip broadcast' as tcpdump compiles it: with netmask 0 for a file (the
 * limited broadcast and 0.0.0.0 only), with the interface's netmask live
 * (lo: 255.0.0.0, so a net-directed broadcast of a /8 too). libpcap refuses
 * the expression when the netmask is unknown.
 */
static void test_broadcast_netmask(void **state)
{
	static const uint32_t dsts[] = { 0xffffffffu, 0, 0x0affffffu, 0x0a010203u };
	static const unsigned file_ok[] = { 1, 1, 0, 0 }, lo_ok[] = { 1, 1, 1, 0 };
	uint32_t lo = xtap_filter_netmask("lo");
	struct sock_filter *file, *live;
	size_t nf, nl;
	char err[256];

	(void)state;
	assert_int_equal(lo, 0xff000000u);	/* 127.0.0.1/8, in host order */
	assert_int_equal(xtap_filter_netmask("xtap-no-such0"), 0);
	assert_int_equal(xtap_filter_netmask(NULL), 0);
	assert_int_equal(xtap_filter_classic("ip broadcast", 262144, &file, &nf, err, sizeof(err)), 0);
	assert_int_equal(xtap_filter_classic_mask("ip broadcast", 262144, lo, &live, &nl, err,
						  sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(dsts) / sizeof(dsts[0]); i++) {
		struct pb b;

		pb_init(&b, PB_MAC_B, PB_MAC_A);
		pb_ipv4(&b, &(struct pb_ip4){ .saddr = PB_IP4(10, 0, 0, 1), .daddr = dsts[i] });
		pb_udp(&b, 68, 67);
		pb_finish(&b);
		assert_int_equal(!!xtap_filter_classic_run(file, nf, b.d, b.len), file_ok[i]);
		assert_int_equal(!!xtap_filter_classic_run(live, nl, b.d, b.len), lo_ok[i]);
	}
	free(file);
	free(live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invalid_expression),
		cmocka_unit_test(test_untranslatable),
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_loop),
		cmocka_unit_test(test_scratch_zeroed),
		cmocka_unit_test(test_classic_run),
		cmocka_unit_test(test_classic_match_loops),
		cmocka_unit_test(test_broadcast_netmask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
