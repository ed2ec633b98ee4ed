/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Flow cycler for bench_scale: run with BPF_PROG_TEST_RUN and a repeat
 * count, the kernel runs it again and again on the same buffer. Each run
 * rewrites the frame's IPv4 source address to the next of nflows addresses
 * (10.0.0.0 + i), then tail-calls the program under test in scale_next[0]:
 * xtap's xdp_tap, or xdp_pass below for the baseline. One IPv4 frame thus
 * becomes nflows flows, taken in turn.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} scale_next SEC(".maps");

__u32 nflows;		/* flows to cycle through, 1 to 1 << 24 */
__u32 counter;		/* runs so far; user space resets it */

/* xdp.frags: a program array takes programs of one kind, and xdp_tap is one */
SEC("xdp.frags")
int xdp_cycle(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *ip = data + ETH_HLEN;
	__u32 n = nflows, i;

	if (ip + 20 > (__u8 *)data_end || !n)
		return XDP_ABORTED;
	i = counter++ % n;
	*(__u32 *)(ip + 12) = bpf_htonl(0x0a000000u | (i & 0xffffff));
	bpf_tail_call(ctx, &scale_next, 0);
	return XDP_ABORTED;	/* no program in the slot */
}

SEC("xdp.frags")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}
