/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Load generator for bench_veth: run with BPF_PROG_TEST_RUN and
 * BPF_F_TEST_XDP_LIVE_FRAMES, every frame it is given leaves through the
 * interface out_ifindex (set between open and load).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 out_ifindex;

SEC("xdp")
int xdp_gen(struct xdp_md *ctx)
{
	return bpf_redirect(out_ifindex, 0);
}
