/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The baseline every benchmark is measured against: XDP_PASS and nothing else. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int tc_pass(struct __sk_buff *skb)
{
	return -1;	/* TC_ACT_UNSPEC */
}
