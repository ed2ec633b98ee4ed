// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Classic BPF (as libpcap emits it for DLT_EN10MB) to eBPF for XDP.
 *
 * Register use in the output:
 *   r0  A (always a zero-extended 32-bit value)    r9  X (same)
 *   r6  data    r7  data_end    r2..r4  scratch
 *   r10 frame pointer: M[k] at fp - 64 + 4k
 * Every ALU on A/X is 32-bit (BPF_ALU) and every conditional jump is
 * BPF_JMP32, so classic unsigned 32-bit semantics hold. Loads check
 * [off, off + size) against data_end first and jump to a shared "return 0"
 * tail when it does not fit. Multi-byte loads are converted to host order
 * with BPF_END (to big endian), as classic loads are network order.
 *
 * Opcodes, registers, helper ids and context offsets are the kernel's own
 * (linux/filter.h for classic BPF, linux/bpf.h for eBPF); libpcap stays in
 * user/filter_pcap.c, as its <pcap/bpf.h> has a struct bpf_insn of its own.
 *
 * Jumps: a first pass marks the reachable classic instructions (the kernel
 * refuses unreachable eBPF code), emission records where each classic
 * instruction starts, and a last pass patches every jump from that map.
 *
 * Loops: libpcap writes `protochain` as a loop over the IPv6 extension
 * headers, closed by a `ja` with a negative offset. libpcap's loop follows
 * lengths read from the packet and need not end: on an AH header that
 * points at itself its own interpreter spins forever. A backward jump is
 * translated as may_goto (Linux 6.9+: the verifier takes the loop as bounded
 * by the kernel's run-time count, and prunes its states there instead of
 * walking each iteration), then one step of a budget of
 * XTAP_FILTER_LOOP_MAX back edges per packet on the stack (LOOP_OFF), which
 * keeps a packet's cost small; either one spent rejects the packet. The
 * budget starts as N - ((data_end - data) >> 32), which is N at run time
 * but a value the verifier cannot know: were it known, the verifier would
 * track each count apart and walk every iteration. The first pass's facts
 * (checked prefix, X's bound, defined registers) are computed to a fixed
 * point over the back edges.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/pkt_cls.h>

#include "maps/xtap.h"
#include "user/filter.h"

#define RA BPF_REG_0
#define RX BPF_REG_9
#define RDATA BPF_REG_6
#define REND BPF_REG_7

#define MEM_BASE (-64)	/* M[k] at fp + MEM_BASE + 4k */
#define MAX_PKT_OFF 0xffff	/* the verifier's limit on packet offsets */

/* Jump targets beyond the classic program. */
#define TGT_REJECT (-1)
#define TGT_EPILOGUE (-2)	/* capture: hand the verdict on */
#define TGT_PASS (-3)		/* capture: end with the hook's "go on" */

/* Capture mode: BPF_LEN and the lookup key on the stack, and where a load
 * past the linear part puts its bytes (and A meanwhile). */
#define LEN_OFF (-72)
#define KEY_OFF (-76)
#define SAVE_A_OFF (-80)
#define BUF_OFF (-88)
#define LOOP_OFF (-96)	/* back edges left (loops only), 64-bit */

/* may_goto (linux/bpf.h of 6.9+): jumps once the kernel's loop count is
 * spent, else goes on */
#ifndef BPF_JCOND
#define BPF_JCOND 0xe0
#endif
#define MAY_GOTO 0	/* BPF_MAY_GOTO: its src_reg */
#define TGT_ABS_BASE (-1000000)	/* -(eBPF index) + this: an eBPF index */

/* Capture mode: a load whose bytes are past the linear part goes to a stub
 * that reads them with bpf_skb_load_bytes / bpf_xdp_load_bytes (paged skb
 * data, XDP fragments), then comes back. */
struct stub {
	size_t fix;		/* the fixup of the jump to it */
	size_t back;		/* eBPF index to come back to */
	int dst, size, ind;
	uint32_t k;
};

struct fixup {
	size_t at;		/* eBPF index of the jump */
	long target;		/* classic index, or TGT_REJECT */
};

struct tx {
	const struct xtap_filter_capture *fc;	/* NULL: a standalone XDP program */
	struct bpf_insn *out;
	size_t len, cap;
	struct fixup *fix;
	size_t nfix, capfix;
	struct stub *stubs;
	size_t nstubs, capstubs;
	int reads_len;		/* capture: the filter reads the length (prologue's) */
	int nomem;
};

static void fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static size_t emit(struct tx *t, uint8_t code, int dst, int src, int16_t off, int32_t imm)
{
	struct bpf_insn in = { .code = code, .dst_reg = dst, .src_reg = src, .off = off,
			       .imm = imm };

	if (t->len == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct bpf_insn *p = realloc(t->out, cap * sizeof(*p));

		if (!p) {
			t->nomem = 1;
			return t->len;
		}
		t->out = p;
		t->cap = cap;
	}
	t->out[t->len] = in;
	return t->len++;
}

/* A jump whose offset is patched once every target's position is known. */
static size_t emit_jump(struct tx *t, uint8_t code, int dst, int src, int32_t imm, long target)
{
	size_t at = emit(t, code, dst, src, 0, imm);

	if (t->nomem)
		return 0;
	if (t->nfix == t->capfix) {
		size_t cap = t->capfix ? t->capfix * 2 : 64;
		struct fixup *p = realloc(t->fix, cap * sizeof(*p));

		if (!p) {
			t->nomem = 1;
			return 0;
		}
		t->fix = p;
		t->capfix = cap;
	}
	t->fix[t->nfix].at = at;
	t->fix[t->nfix].target = target;
	return t->nfix++;
}

/* The jump at fixup fi goes to a stub that reads the bytes with a helper,
 * and comes back to where the translation is now. */
static void add_stub(struct tx *t, size_t fi, int dst, int size, int ind, uint32_t k)
{
	if (t->nomem)
		return;
	if (t->nstubs == t->capstubs) {
		size_t cap = t->capstubs ? t->capstubs * 2 : 16;
		struct stub *p = realloc(t->stubs, cap * sizeof(*p));

		if (!p) {
			t->nomem = 1;
			return;
		}
		t->stubs = p;
		t->capstubs = cap;
	}
	t->stubs[t->nstubs++] = (struct stub){ .fix = fi, .back = t->len, .dst = dst,
					       .size = size, .ind = ind, .k = k };
}

static int size_bytes(uint16_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_W: return 4;
	case BPF_H: return 2;
	case BPF_B: return 1;
	default: return 0;
	}
}

static uint8_t ebpf_size(int bytes)
{
	return bytes == 4 ? BPF_W : bytes == 2 ? BPF_H : BPF_B;
}

/* dst = the big-endian value of size bytes at data + k (constant k).
 * known: every path here has already checked that data + known <= data_end
 * (and the verifier knows it of r6), so a load inside it needs no check. */
static void load_abs(struct tx *t, int dst, uint32_t k, int size, uint32_t known)
{
	size_t fi = 0;

	/* capture: no load skips its check, as a stub's path proves nothing */
	if (!t->fc && (uint64_t)k + size <= known && k <= INT16_MAX) {
		emit(t, BPF_LDX | BPF_MEM | ebpf_size(size), dst, RDATA, (int16_t)k, 0);
	} else {
		emit(t, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, RDATA, 0, 0);
		emit(t, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, (int32_t)(k + size));
		fi = emit_jump(t, BPF_JMP | BPF_JGT | BPF_X, BPF_REG_2, REND, 0, TGT_REJECT);
		emit(t, BPF_LDX | BPF_MEM | ebpf_size(size), dst, BPF_REG_2, (int16_t)-size, 0);
	}
	if (size > 1)
		emit(t, BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, size * 8);
	if (t->fc)
		add_stub(t, fi, dst, size, 0, k);
}

/* dst = the big-endian value of size bytes at data + X + k, with
 * k + size <= MAX_PKT_OFF. xmax: the largest value X can hold here; when
 * X + k + size cannot pass MAX_PKT_OFF the range check is left out (the
 * verifier knows X's bounds as well). */
static void load_ind(struct tx *t, int dst, uint32_t k, int size, uint64_t xmax)
{
	size_t fi;

	if (xmax + k + size > MAX_PKT_OFF)
		/* also rejects X + k past 64 KiB, which no frame has */
		emit_jump(t, BPF_JMP | BPF_JGT | BPF_K, RX, 0, MAX_PKT_OFF - (int32_t)k - size,
			  TGT_REJECT);
	/* r3 = data + X, then the constant: the verifier's range is relative
	 * to the variable part, so the check covers [X + k, X + k + size) */
	emit(t, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, RX, 0, 0);
	emit(t, BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_3, RDATA, 0, 0);
	emit(t, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, (int32_t)(k + size));
	fi = emit_jump(t, BPF_JMP | BPF_JGT | BPF_X, BPF_REG_3, REND, 0, TGT_REJECT);
	emit(t, BPF_LDX | BPF_MEM | ebpf_size(size), dst, BPF_REG_3, (int16_t)-size, 0);
	if (size > 1)
		emit(t, BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, size * 8);
	if (t->fc)
		add_stub(t, fi, dst, size, 1, k);
}

/* Capture mode: the stubs, after the program. */
static void emit_stubs(struct tx *t)
{
	for (size_t i = 0; i < t->nstubs && !t->nomem; i++) {
		const struct stub *st = &t->stubs[i];

		t->fix[st->fix].target = TGT_ABS_BASE - (long)t->len;
		if (st->dst == RX)
			emit(t, BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, RA, SAVE_A_OFF, 0);
		emit(t, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_8, 0, 0);
		if (st->ind) {
			emit(t, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_2, RX, 0, 0);
			emit(t, BPF_ALU | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, (int32_t)st->k);
		} else {
			emit(t, BPF_ALU | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, (int32_t)st->k);
		}
		emit(t, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0);
		emit(t, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, BUF_OFF);
		emit(t, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, st->size);
		emit(t, BPF_JMP | BPF_CALL, 0, 0, 0,
		     t->fc->tc ? BPF_FUNC_skb_load_bytes : BPF_FUNC_xdp_load_bytes);
		/* past the end of the whole frame: rejected, as by libpcap */
		emit_jump(t, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 0, TGT_REJECT);
		emit(t, BPF_LDX | BPF_MEM | ebpf_size(st->size), st->dst, BPF_REG_10, BUF_OFF, 0);
		if (st->dst == RX)
			emit(t, BPF_LDX | BPF_MEM | BPF_W, RA, BPF_REG_10, SAVE_A_OFF, 0);
		if (st->size > 1)
			emit(t, BPF_ALU | BPF_END | BPF_TO_BE, st->dst, 0, 0, st->size * 8);
		emit_jump(t, BPF_JMP | BPF_JA, 0, 0, 0, TGT_ABS_BASE - (long)st->back);
	}
}

/* dst = data_end - data, the frame's length; in a capture, the whole
 * frame's (the prologue's). */
static void load_len(struct tx *t, int dst)
{
	if (t->fc) {
		emit(t, BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_10, LEN_OFF, 0);
		return;
	}
	emit(t, BPF_ALU64 | BPF_MOV | BPF_X, dst, REND, 0, 0);
	emit(t, BPF_ALU64 | BPF_SUB | BPF_X, dst, RDATA, 0, 0);
	emit(t, BPF_ALU | BPF_MOV | BPF_X, dst, dst, 0, 0);
}

static int16_t mem_off(uint32_t k)
{
	return (int16_t)(MEM_BASE + 4 * (int)k);
}

/* A load whose every execution is out of bounds ends the program like a
 * RET 0: the classic program would reject the packet there. */
static int always_out_of_bounds(const struct sock_filter *c)
{
	int size = size_bytes(c->code);

	if (BPF_CLASS(c->code) == BPF_LD && BPF_MODE(c->code) == BPF_ABS)
		return (uint64_t)c->k + size > MAX_PKT_OFF;
	if (BPF_CLASS(c->code) == BPF_LD && BPF_MODE(c->code) == BPF_IND)
		return (uint64_t)c->k + size > MAX_PKT_OFF;
	if (c->code == (BPF_LDX | BPF_MSH | BPF_B))
		return (uint64_t)c->k + 1 > MAX_PKT_OFF;
	return 0;
}

/* A classic ALU operation's eBPF operation (classic and eBPF share the
 * codes), or -1 for one eBPF has but classic BPF does not. */
static int alu_op(uint16_t code)
{
	switch (BPF_OP(code)) {
	case BPF_ADD:
	case BPF_SUB:
	case BPF_MUL:
	case BPF_DIV:
	case BPF_MOD:
	case BPF_AND:
	case BPF_OR:
	case BPF_XOR:
	case BPF_LSH:
	case BPF_RSH:
	case BPF_NEG:
		return BPF_OP(code);
	default:
		return -1;
	}
}

/* Checks one instruction and says where control may go next: the
 * successors are written to succ (up to 2), their count returned; -1 when
 * the instruction cannot be translated (err says why). */
static int check_insn(const struct sock_filter *prog, size_t n, size_t i, long succ[2],
		      char *err, size_t errlen)
{
	const struct sock_filter *c = &prog[i];
	uint16_t code = c->code;
	int ns = 0;

	if (code > 0xff)
		goto bad;
	switch (BPF_CLASS(code)) {
	case BPF_LD:
		switch (BPF_MODE(code)) {
		case BPF_ABS:
		case BPF_IND:
			if (!size_bytes(code))
				goto bad;
			if (BPF_MODE(code) == BPF_ABS && c->k >= 0xfffff000u) {
				fail(err, errlen,
				     "filter instruction %zu: load of Linux ancillary data (offset %#x) "
				     "cannot be translated", i, c->k);
				return -1;
			}
			break;
		case BPF_IMM:
		case BPF_MEM:
		case BPF_LEN:
			if (BPF_SIZE(code) != BPF_W)
				goto bad;
			if (BPF_MODE(code) == BPF_MEM && c->k >= BPF_MEMWORDS)
				goto badmem;
			break;
		default:
			goto bad;
		}
		break;
	case BPF_LDX:
		if (code == (BPF_LDX | BPF_MSH | BPF_B))
			break;
		if (BPF_SIZE(code) != BPF_W)
			goto bad;
		if (BPF_MODE(code) == BPF_MEM && c->k >= BPF_MEMWORDS)
			goto badmem;
		if (BPF_MODE(code) != BPF_IMM && BPF_MODE(code) != BPF_MEM &&
		    BPF_MODE(code) != BPF_LEN)
			goto bad;
		break;
	case BPF_ST:
	case BPF_STX:
		if (code != BPF_ST && code != BPF_STX)
			goto bad;
		if (c->k >= BPF_MEMWORDS)
			goto badmem;
		break;
	case BPF_ALU:
		if (alu_op(code) < 0)
			goto bad;
		if (BPF_OP(code) == BPF_NEG) {
			if (code != (BPF_ALU | BPF_NEG))
				goto bad;
		} else if (BPF_SRC(code) == BPF_K &&
			   (BPF_OP(code) == BPF_DIV || BPF_OP(code) == BPF_MOD) && c->k == 0) {
			fail(err, errlen, "filter instruction %zu: division by the constant 0", i);
			return -1;
		}
		if (BPF_OP(code) != BPF_NEG && code != (BPF_ALU | BPF_OP(code) | BPF_SRC(code)))
			goto bad;
		break;
	case BPF_JMP:
		if (BPF_OP(code) == BPF_JA) {
			if (code != (BPF_JMP | BPF_JA))
				goto bad;
			/* libpcap's interpreter takes k as signed: protochain
			 * jumps back */
			if ((long)i + 1 + (int32_t)c->k < 0) {
				fail(err, errlen,
				     "filter instruction %zu: jump before the start of the program", i);
				return -1;
			}
			if ((long)i + 1 + (int32_t)c->k >= (long)n)
				goto badjump;
			succ[ns++] = (long)i + 1 + (int32_t)c->k;
			return ns;
		}
		if ((BPF_OP(code) != BPF_JEQ && BPF_OP(code) != BPF_JGT && BPF_OP(code) != BPF_JGE &&
		     BPF_OP(code) != BPF_JSET) ||
		    code != (BPF_JMP | BPF_OP(code) | BPF_SRC(code)))
			goto bad;
		if (i + 1 + c->jt >= n || i + 1 + c->jf >= n)
			goto badjump;
		succ[ns++] = (long)(i + 1 + c->jt);
		if (c->jf != c->jt)
			succ[ns++] = (long)(i + 1 + c->jf);
		return ns;
	case BPF_RET:
		if (BPF_RVAL(code) != BPF_K && BPF_RVAL(code) != BPF_A)
			goto bad;
		if (code & ~(BPF_RET | BPF_RVAL(code)))
			goto bad;
		return 0;
	case BPF_MISC:
		if (code != (BPF_MISC | BPF_TAX) && code != (BPF_MISC | BPF_TXA))
			goto bad;
		break;
	default:
		goto bad;
	}
	if (always_out_of_bounds(c))
		return 0;
	if (i + 1 >= n) {
		fail(err, errlen, "filter instruction %zu: the program runs off its end", i);
		return -1;
	}
	succ[ns++] = (long)(i + 1);
	return ns;
bad:
	fail(err, errlen, "filter instruction %zu: opcode %#06x cannot be translated", i, code);
	return -1;
badmem:
	fail(err, errlen, "filter instruction %zu: scratch memory index %u out of range", i, c->k);
	return -1;
badjump:
	fail(err, errlen, "filter instruction %zu: jump past the end of the program", i);
	return -1;
}

/* The condition that is true exactly when op is false (none for JSET). */
static int jmp_negate(uint8_t op)
{
	switch (op) {
	case BPF_JEQ: return BPF_JNE;
	case BPF_JGT: return BPF_JLE;
	case BPF_JGE: return BPF_JLT;
	default: return -1;
	}
}

static void translate_one(struct tx *t, const struct sock_filter *c, size_t i, uint32_t known,
			  uint64_t xmax)
{
	uint16_t code = c->code;
	int size = size_bytes(code);

	switch (BPF_CLASS(code)) {
	case BPF_LD:
		switch (BPF_MODE(code)) {
		case BPF_ABS:
			if (always_out_of_bounds(c))
				emit_jump(t, BPF_JMP | BPF_JA, 0, 0, 0, TGT_REJECT);
			else
				load_abs(t, RA, c->k, size, known);
			break;
		case BPF_IND:
			if (always_out_of_bounds(c))
				emit_jump(t, BPF_JMP | BPF_JA, 0, 0, 0, TGT_REJECT);
			else
				load_ind(t, RA, c->k, size, xmax);
			break;
		case BPF_IMM:
			emit(t, BPF_ALU | BPF_MOV | BPF_K, RA, 0, 0, (int32_t)c->k);
			break;
		case BPF_MEM:
			emit(t, BPF_LDX | BPF_MEM | BPF_W, RA, BPF_REG_10, mem_off(c->k), 0);
			break;
		case BPF_LEN:
			load_len(t, RA);
			break;
		}
		break;
	case BPF_LDX:
		if (code == (BPF_LDX | BPF_MSH | BPF_B)) {
			if (always_out_of_bounds(c)) {
				emit_jump(t, BPF_JMP | BPF_JA, 0, 0, 0, TGT_REJECT);
				break;
			}
			load_abs(t, RX, c->k, 1, known);
			emit(t, BPF_ALU | BPF_AND | BPF_K, RX, 0, 0, 0xf);
			emit(t, BPF_ALU | BPF_LSH | BPF_K, RX, 0, 0, 2);
		} else if (BPF_MODE(code) == BPF_IMM) {
			emit(t, BPF_ALU | BPF_MOV | BPF_K, RX, 0, 0, (int32_t)c->k);
		} else if (BPF_MODE(code) == BPF_MEM) {
			emit(t, BPF_LDX | BPF_MEM | BPF_W, RX, BPF_REG_10, mem_off(c->k), 0);
		} else {
			load_len(t, RX);
		}
		break;
	case BPF_ST:
		emit(t, BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, RA, mem_off(c->k), 0);
		break;
	case BPF_STX:
		emit(t, BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, RX, mem_off(c->k), 0);
		break;
	case BPF_ALU: {
		int op = alu_op(code);

		if (op == BPF_NEG) {
			emit(t, BPF_ALU | BPF_NEG, RA, 0, 0, 0);
		} else if (BPF_SRC(code) == BPF_K) {
			if ((op == BPF_LSH || op == BPF_RSH) && c->k >= 32)
				emit(t, BPF_ALU | BPF_MOV | BPF_K, RA, 0, 0, 0);
			else
				emit(t, BPF_ALU | op | BPF_K, RA, 0, 0, (int32_t)c->k);
		} else if (op == BPF_DIV || op == BPF_MOD) {
			/* libpcap returns 0 on division by a zero X */
			emit_jump(t, BPF_JMP32 | BPF_JEQ | BPF_K, RX, 0, 0, TGT_REJECT);
			emit(t, BPF_ALU | op | BPF_X, RA, RX, 0, 0);
		} else if (op == BPF_LSH || op == BPF_RSH) {
			/* libpcap: a shift by 32 or more gives 0 */
			emit(t, BPF_JMP32 | BPF_JLT | BPF_K, RX, 0, 2, 32);
			emit(t, BPF_ALU | BPF_MOV | BPF_K, RA, 0, 0, 0);
			emit(t, BPF_JMP | BPF_JA, 0, 0, 1, 0);
			emit(t, BPF_ALU | op | BPF_X, RA, RX, 0, 0);
		} else {
			emit(t, BPF_ALU | op | BPF_X, RA, RX, 0, 0);
		}
		break;
	}
	case BPF_JMP: {
		long tt = (long)(i + 1 + c->jt), tf = (long)(i + 1 + c->jf);
		uint8_t op, cls = BPF_JMP32;
		int src = 0, neg;
		int32_t imm = 0;

		if (BPF_OP(code) == BPF_JA) {
			long to = (long)i + 1 + (int32_t)c->k;

			if (to <= (long)i) {	/* a loop: one back edge of the budget */
				/* X += (data_end - data) >> 32, which is 0: X is
				 * the same at run time, and to the verifier any
				 * 32-bit value, so that its states at may_goto
				 * match from the second pass on instead of
				 * growing X's range one iteration at a time */
				emit(t, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, REND, 0, 0);
				emit(t, BPF_ALU64 | BPF_SUB | BPF_X, BPF_REG_3, RDATA, 0, 0);
				emit(t, BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 32);
				emit(t, BPF_ALU64 | BPF_ADD | BPF_X, RX, BPF_REG_3, 0, 0);
				emit(t, BPF_ALU | BPF_MOV | BPF_X, RX, RX, 0, 0);
				/* the scratch and helper registers are dead here:
				 * the same at every pass, they let the states
				 * match too (a stub's helper call leaves them
				 * otherwise than a direct load) */
				for (int r = BPF_REG_1; r <= BPF_REG_5; r++)
					emit(t, BPF_ALU64 | BPF_MOV | BPF_K, r, 0, 0, 0);
				emit_jump(t, BPF_JMP | BPF_JCOND | BPF_K, 0, MAY_GOTO, 0, TGT_REJECT);
				emit(t, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_2, BPF_REG_10, LOOP_OFF, 0);
				emit_jump(t, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_2, 0, 0, TGT_REJECT);
				emit(t, BPF_ALU64 | BPF_SUB | BPF_K, BPF_REG_2, 0, 0, 1);
				emit(t, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_2, LOOP_OFF, 0);
				emit_jump(t, BPF_JMP | BPF_JA, 0, 0, 0, to);
				break;
			}
			if (c->k)
				emit_jump(t, BPF_JMP | BPF_JA, 0, 0, 0, to);
			break;
		}
		if (tt == tf) {
			if (c->jt)
				emit_jump(t, BPF_JMP | BPF_JA, 0, 0, 0, tt);
			break;
		}
		op = BPF_OP(code);	/* JEQ, JGT, JGE or JSET: the same codes in eBPF */
		if (BPF_SRC(code) == BPF_X)
			src = RX, op |= BPF_X;
		else
			imm = (int32_t)c->k;
		neg = jmp_negate(BPF_OP(op));
		if (c->jf == 0) {
			emit_jump(t, cls | op, RA, src, imm, tt);
		} else if (c->jt == 0 && neg >= 0) {
			emit_jump(t, cls | neg | (op & BPF_X), RA, src, imm, tf);
		} else {
			emit_jump(t, cls | op, RA, src, imm, tt);
			emit_jump(t, BPF_JMP | BPF_JA, 0, 0, 0, tf);
		}
		break;
	}
	case BPF_RET:
		if (BPF_RVAL(code) == BPF_K)
			emit(t, BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, (int32_t)c->k);
		/* RET A: A is r0 already */
		if (t->fc)
			emit_jump(t, BPF_JMP | BPF_JA, 0, 0, 0, TGT_EPILOGUE);
		else
			emit(t, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
		break;
	case BPF_MISC:
		if (BPF_MISCOP(code) == BPF_TAX)
			emit(t, BPF_ALU | BPF_MOV | BPF_X, RX, RA, 0, 0);
		else
			emit(t, BPF_ALU | BPF_MOV | BPF_X, RA, RX, 0, 0);
		break;
	}
}

/* The checked packet prefix after c: a constant-offset load that goes on
 * has proven data + k + size <= data_end. (Indirect loads prove it of
 * another pointer, which the verifier does not carry over to data.) */
static uint32_t known_after(const struct sock_filter *c, uint32_t known)
{
	uint64_t end = (uint64_t)c->k + size_bytes(c->code);

	if (always_out_of_bounds(c))
		return known;
	if ((BPF_CLASS(c->code) == BPF_LD && BPF_MODE(c->code) == BPF_ABS) ||
	    c->code == (BPF_LDX | BPF_MSH | BPF_B))
		return end > known ? (uint32_t)end : known;
	return known;
}

#define DEF_A 1
#define DEF_X 2

/* Which of A and X c reads, and which it leaves defined. */
static unsigned reads(const struct sock_filter *c)
{
	uint16_t code = c->code;
	unsigned r = 0;

	switch (BPF_CLASS(code)) {
	case BPF_LD:
		return BPF_MODE(code) == BPF_IND ? DEF_X : 0;
	case BPF_LDX:
		return 0;
	case BPF_ST:
		return DEF_A;
	case BPF_STX:
		return DEF_X;
	case BPF_ALU:
		return DEF_A | (BPF_OP(code) != BPF_NEG && BPF_SRC(code) == BPF_X ? DEF_X : 0);
	case BPF_JMP:
		if (BPF_OP(code) == BPF_JA)
			return 0;
		return DEF_A | (BPF_SRC(code) == BPF_X ? DEF_X : 0);
	case BPF_RET:
		return BPF_RVAL(code) == BPF_A ? DEF_A : 0;
	case BPF_MISC:
		return BPF_MISCOP(code) == BPF_TAX ? DEF_A : DEF_X;
	}
	return r;
}

static unsigned defined_after(const struct sock_filter *c, unsigned def)
{
	switch (BPF_CLASS(c->code)) {
	case BPF_LD: return def | DEF_A;
	case BPF_LDX: return def | DEF_X;
	case BPF_MISC: return def | (BPF_MISCOP(c->code) == BPF_TAX ? DEF_X : DEF_A);
	default: return def;
	}
}

/* The bound on X after c. */
static uint64_t xmax_after(const struct sock_filter *c, uint64_t xmax)
{
	if (c->code == (BPF_LDX | BPF_MSH | BPF_B))
		return 60;
	if (c->code == (BPF_LDX | BPF_W | BPF_IMM))
		return c->k;
	if (BPF_CLASS(c->code) == BPF_LDX || c->code == (BPF_MISC | BPF_TAX))
		return UINT32_MAX;
	return xmax;
}

/* dst = a map (BPF_PSEUDO_MAP_FD) or the address off in its value
 * (BPF_PSEUDO_MAP_VALUE, a one-entry array's direct access). */
static void emit_map_ld(struct tx *t, int dst, int pseudo, int fd, int32_t off)
{
	emit(t, BPF_LD | BPF_DW | BPF_IMM, dst, pseudo, 0, fd);
	emit(t, 0, 0, 0, 0, off);
}

/* dst = the per-CPU scratch, or a jump to TGT_PASS when there is none. */
static void scratch_lookup(struct tx *t)
{
	emit(t, BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, KEY_OFF, 0);
	emit_map_ld(t, BPF_REG_1, BPF_PSEUDO_MAP_FD, t->fc->scratch_fd, 0);
	emit(t, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	emit(t, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, KEY_OFF);
	emit(t, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
	emit_jump(t, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, TGT_PASS);
}

/*
 * Capture prologue: r8 = ctx; when the filter reads the length, the frame's
 * whole length (linear and paged parts; in replay, the wire length
 * xtap_replay holds when it is more, as the data plane takes it) at LEN_OFF.
 * Before data and data_end are loaded: r9 and the helpers' registers are
 * free here.
 */
static void capture_prologue(struct tx *t)
{
	emit(t, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_8, BPF_REG_1, 0, 0);
	if (!t->reads_len)
		return;
	if (t->fc->tc) {
		emit(t, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_9, BPF_REG_1,
		     offsetof(struct __sk_buff, len), 0);
	} else {
		emit(t, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_xdp_get_buff_len);
		emit(t, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_9, BPF_REG_0, 0, 0);
	}
	if (t->fc->replay_fd >= 0) {
		emit(t, BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, KEY_OFF, 0);
		emit_map_ld(t, BPF_REG_1, BPF_PSEUDO_MAP_FD, t->fc->replay_fd, 0);
		emit(t, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
		emit(t, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, KEY_OFF);
		emit(t, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
		emit(t, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 3, 0);
		emit(t, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_1, BPF_REG_0,
		     (int16_t)offsetof(struct xtap_replay_pkt, wire_len), 0);
		emit(t, BPF_JMP32 | BPF_JLE | BPF_X, BPF_REG_1, BPF_REG_9, 1, 0);
		emit(t, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_9, BPF_REG_1, 0, 0);
	}
	emit(t, BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_9, LEN_OFF, 0);
}

/*
 * Capture epilogue: a packet this filter rejects, with no capture after
 * this one running (xtap_live.capture_on, read in place: no lookup), ends here;
 * otherwise the verdict (r0) goes to the scratch and the copy takes over
 * (which runs the next capture's filter on a reject). Returns where
 * TGT_PASS is.
 */
static size_t capture_epilogue(struct tx *t)
{
	uint32_t later = ((1u << XTAP_CAPTURES_MAX) - 1) & ~((2u << t->fc->id) - 1);
	size_t pass;

	if (!later) {	/* the last id: no capture can come after it */
		emit_jump(t, BPF_JMP32 | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, TGT_PASS);
	} else {
		emit(t, BPF_JMP32 | BPF_JNE | BPF_K, BPF_REG_0, 0, 5, 0);	/* accepted: on */
		emit_map_ld(t, BPF_REG_2, BPF_PSEUDO_MAP_VALUE, t->fc->live_fd,
			    (int32_t)offsetof(struct xtap_live, capture_on));
		emit(t, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_2, 0, 0);
		emit(t, BPF_ALU | BPF_AND | BPF_K, BPF_REG_3, 0, 0, (int32_t)later);
		emit_jump(t, BPF_JMP32 | BPF_JEQ | BPF_K, BPF_REG_3, 0, 0, TGT_PASS);
	}
	emit(t, BPF_ALU64 | BPF_MOV | BPF_X, RX, BPF_REG_0, 0, 0);	/* X is dead here */
	scratch_lookup(t);
	emit(t, BPF_STX | BPF_MEM | BPF_W, BPF_REG_0, RX,
	     (int16_t)offsetof(struct xtap_capture_pkt, verdict), 0);
	emit(t, BPF_ST | BPF_MEM | BPF_W, BPF_REG_0, 0, (int16_t)offsetof(struct xtap_capture_pkt, cur),
	     (int32_t)t->fc->id);
	emit(t, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_8, 0, 0);
	emit_map_ld(t, BPF_REG_2, BPF_PSEUDO_MAP_FD, t->fc->progs_fd, 0);
	emit(t, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, XTAP_CAPTURE_STEP);
	emit(t, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_tail_call);
	pass = t->len;
	emit(t, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, t->fc->tc ? TC_ACT_UNSPEC : XDP_PASS);
	emit(t, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return pass;
}

static int translate(const struct sock_filter *classic, size_t n,
		     const struct xtap_filter_capture *cap, struct xtap_filter *out, char *err,
		     size_t errlen)
{
	struct tx t = { .fc = cap };
	unsigned char *reach = NULL;
	long *start = NULL;
	uint32_t *known = NULL;	/* bytes every path has bounds-checked */
	uint64_t *xmax = NULL;	/* the largest value X may hold */
	unsigned char *def = NULL;	/* A and X written on every path */
	unsigned need_init = 0;
	uint16_t mem_read = 0;
	int loops = 0;
	size_t reject_at = 0, epilogue_at = 0, pass_at = 0, stubs_at = SIZE_MAX;
	int need_reject = 0, ret = -1;

	out->insns = NULL;
	out->len = 0;
	if (!classic || n == 0) {
		fail(err, errlen, "empty filter program");
		return -1;
	}
	if (n > BPF_MAXINSNS) {
		fail(err, errlen, "filter program of %zu instructions (at most %d)", n, BPF_MAXINSNS);
		return -1;
	}
	reach = calloc(n, 1);
	start = calloc(n, sizeof(*start));
	known = calloc(n, sizeof(*known));
	xmax = calloc(n, sizeof(*xmax));
	def = calloc(n, sizeof(*def));
	if (!reach || !start || !known || !xmax || !def)
		goto nomem;
	for (size_t i = 1; i < n; i++) {
		known[i] = UINT32_MAX;	/* min over the predecessors, none yet */
		def[i] = DEF_A | DEF_X;	/* and over the predecessors */
	}

	/* Pass 1: validate and mark what is reachable, and what holds at each
	 * instruction on every path to it; again while a back edge changes it. */
	reach[0] = 1;
	for (int changed = 1; changed;) {
		changed = 0;
		for (size_t i = 0; i < n; i++) {
			long succ[2];
			int ns;

			if (!reach[i])
				continue;
			ns = check_insn(classic, n, i, succ, err, errlen);
			if (ns < 0)
				goto cleanup;
			for (int s = 0; s < ns; s++) {
				size_t to = (size_t)succ[s];
				uint32_t kn = known_after(&classic[i], known[i]);
				/* a back edge widens X for the verifier */
				uint64_t xm = to <= i ? UINT32_MAX : xmax_after(&classic[i], xmax[i]);
				unsigned df = def[to] & defined_after(&classic[i], def[i]);

				if (to <= i && (!reach[to] || df != def[to] || kn < known[to] ||
						xm > xmax[to]))
					changed = 1;
				reach[to] = 1;
				def[to] = (unsigned char)df;
				if (kn < known[to])
					known[to] = kn;
				if (xm > xmax[to])
					xmax[to] = xm;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!reach[i])
			continue;
		need_init |= reads(&classic[i]) & ~def[i];
		if ((BPF_CLASS(classic[i].code) == BPF_LD || BPF_CLASS(classic[i].code) == BPF_LDX) &&
		    BPF_MODE(classic[i].code) == BPF_MEM)
			mem_read |= 1u << classic[i].k;
		if (classic[i].code == (BPF_JMP | BPF_JA) && (int32_t)classic[i].k < 0)
			loops = 1;
	}

	/* Pass 2: emit. Prologue: data, data_end, A = X = 0 (if read before written),
	 * scratch words that are read = 0. */
	if (cap) {
		for (size_t i = 0; i < n; i++)
			if (reach[i] && (BPF_CLASS(classic[i].code) == BPF_LD ||
					 BPF_CLASS(classic[i].code) == BPF_LDX) &&
			    BPF_MODE(classic[i].code) == BPF_LEN)
				t.reads_len = 1;
		capture_prologue(&t);
	}
	/* r1 or, in a capture, r8: the context */
	if (cap && cap->tc) {
		emit(&t, BPF_LDX | BPF_MEM | BPF_W, RDATA, BPF_REG_8,
		     offsetof(struct __sk_buff, data), 0);
		emit(&t, BPF_LDX | BPF_MEM | BPF_W, REND, BPF_REG_8,
		     offsetof(struct __sk_buff, data_end), 0);
	} else {
		int c = cap ? BPF_REG_8 : BPF_REG_1;

		emit(&t, BPF_LDX | BPF_MEM | BPF_W, RDATA, c, offsetof(struct xdp_md, data), 0);
		emit(&t, BPF_LDX | BPF_MEM | BPF_W, REND, c, offsetof(struct xdp_md, data_end), 0);
	}
	if (need_init & DEF_A)
		emit(&t, BPF_ALU | BPF_MOV | BPF_K, RA, 0, 0, 0);
	if (need_init & DEF_X)
		emit(&t, BPF_ALU | BPF_MOV | BPF_K, RX, 0, 0, 0);
	for (uint32_t k = 0; k < BPF_MEMWORDS; k++)
		if (mem_read & (1u << k))
			emit(&t, BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, mem_off(k), 0);
	if (loops) {
		emit(&t, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, REND, 0, 0);
		emit(&t, BPF_ALU64 | BPF_SUB | BPF_X, BPF_REG_3, RDATA, 0, 0);
		emit(&t, BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 32);
		emit(&t, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, XTAP_FILTER_LOOP_MAX);
		emit(&t, BPF_ALU64 | BPF_SUB | BPF_X, BPF_REG_2, BPF_REG_3, 0, 0);
		emit(&t, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_2, LOOP_OFF, 0);
	}
	for (size_t i = 0; i < n; i++) {
		start[i] = -1;
		if (!reach[i])
			continue;
		start[i] = (long)t.len;
		translate_one(&t, &classic[i], i, known[i], xmax[i]);
	}
	for (size_t f = 0; f < t.nfix; f++)
		if (t.fix[f].target == TGT_REJECT)
			need_reject = 1;
	if (t.nstubs)
		need_reject = 1;	/* a stub's helper may fail */
	if (need_reject) {
		reject_at = t.len;
		emit(&t, BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
		if (!cap)
			emit(&t, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
	if (cap) {
		epilogue_at = t.len;	/* the reject block falls into it */
		pass_at = capture_epilogue(&t);
		stubs_at = t.len;
		emit_stubs(&t);
	}
	if (t.nomem)
		goto nomem;

	/* Pass 3: jump offsets from the classic -> eBPF index map. */
	for (size_t f = 0; f < t.nfix; f++) {
		long tg = t.fix[f].target;
		long to = tg == TGT_REJECT ? (long)reject_at : tg == TGT_EPILOGUE ? (long)epilogue_at :
			  tg == TGT_PASS ? (long)pass_at : tg <= TGT_ABS_BASE ? TGT_ABS_BASE - tg :
			  start[tg];
		long off = to - (long)t.fix[f].at - 1;

		/* only the stubs, after everything, and loops jump backwards */
		if (to < 0 || (off < 0 && t.fix[f].at < stubs_at && tg < 0)) {
			fail(err, errlen, "internal error: jump to an unplaced instruction");
			goto cleanup;
		}
		if (off > INT16_MAX || off < INT16_MIN) {
			fail(err, errlen, "filter too large: a jump spans %ld eBPF instructions", off);
			goto cleanup;
		}
		t.out[t.fix[f].at].off = (int16_t)off;
	}
	out->insns = t.out;
	out->len = t.len;
	t.out = NULL;
	ret = 0;
	goto cleanup;
nomem:
	fail(err, errlen, "translating the filter: %s", strerror(ENOMEM));
cleanup:
	free(t.out);
	free(t.fix);
	free(t.stubs);
	free(reach);
	free(start);
	free(known);
	free(xmax);
	free(def);
	return ret;
}

int xtap_filter_translate(const struct sock_filter *classic, size_t n, struct xtap_filter *out,
			  char *err, size_t errlen)
{
	return translate(classic, n, NULL, out, err, errlen);
}

int xtap_filter_translate_capture(const struct sock_filter *classic, size_t n,
				  const struct xtap_filter_capture *cap, struct xtap_filter *out,
				  char *err, size_t errlen)
{
	if (!cap) {
		fail(err, errlen, "internal error: no capture maps");
		return -1;
	}
	return translate(classic, n, cap, out, err, errlen);
}

int xtap_filter_compile(const char *expr, int snaplen, struct xtap_filter *out, char *err,
			size_t errlen)
{
	struct sock_filter *c;
	size_t n;
	int ret;

	out->insns = NULL;
	out->len = 0;
	if (xtap_filter_classic(expr, snaplen, &c, &n, err, errlen))
		return -1;
	ret = xtap_filter_translate(c, n, out, err, errlen);
	free(c);
	return ret;
}

void xtap_filter_free(struct xtap_filter *f)
{
	if (!f)
		return;
	free(f->insns);
	f->insns = NULL;
	f->len = 0;
}

char *xtap_filter_join(int argc, char **argv)
{
	size_t len = 1;
	char *s;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	s[0] = 0;
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}
