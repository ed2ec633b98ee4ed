// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
/* libpcap's classic struct bpf_insn clashes with the kernel's */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>
#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>

#include "user/log.h"
#include "user/maps.h"
#include "user/replay.h"

/* Room after the frame for what test-run may hand back. */
#define OUT_SLACK 256
/* libpcap's largest snap length */
#define MAX_FRAME 262144u

static struct bpf_program *hook_prog(struct xtap_bpf *skel, int hook)
{
	switch (hook) {
	case XTAP_HOOK_TC_INGRESS: return skel->progs.tc_tap_ingress;
	case XTAP_HOOK_TC_EGRESS: return skel->progs.tc_tap_egress;
	default: return skel->progs.xdp_tap;
	}
}

static int run_frame(int prog_fd, int meta_fd, const struct pcap_pkthdr *h, const u_char *data,
		     void *out, __u64 *pkt_no, const char *path)
{
	struct xtap_replay_pkt meta = {
		.now_ns = (__u64)h->ts.tv_sec * 1000000000ull + (__u64)h->ts.tv_usec,
		.wire_len = h->len,
	};
	__u32 zero = 0;
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = data, .data_size_in = h->caplen, .data_out = out,
		    .data_size_out = h->caplen + OUT_SLACK, .repeat = 1);

	if (bpf_map_update_elem(meta_fd, &zero, &meta, BPF_ANY)) {
		xtap_err("replay %s: packet %llu: set time: %s", path, (unsigned long long)*pkt_no,
			 strerror(errno));
		return -1;
	}
	if (bpf_prog_test_run_opts(prog_fd, &t)) {
		xtap_err("replay %s: packet %llu: test run: %s", path, (unsigned long long)*pkt_no,
			 strerror(errno));
		return -1;
	}
	if (t.data_size_out != h->caplen || memcmp(out, data, h->caplen)) {
		xtap_err("replay %s: packet %llu: the program changed the frame", path,
			 (unsigned long long)*pkt_no);
		return -1;
	}
	return 0;
}

int xtap_replay_file(const struct xtap_replay_opts *o, struct xtap_replay *r)
{
	struct xtap_load_opts lo = { .flows_max = o->flows_max, .replay = true };
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct pcap_pkthdr *h;
	const u_char *data;
	__u64 short_frames = 0, short_bytes = 0;
	pcap_t *pc = NULL;
	void *out = NULL;
	int prog_fd, meta_fd, rc, ret = -1, err;

	memset(r, 0, sizeof(*r));
	pc = pcap_open_offline_with_tstamp_precision(o->path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!pc) {
		xtap_err("replay %s: %s", o->path, errbuf);
		return -1;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		xtap_err("replay %s: link type %s is not Ethernet", o->path,
			 pcap_datalink_val_to_name(pcap_datalink(pc)) ?: "unknown");
		goto cleanup;
	}
	err = xtap_load(&lo, &r->skel);
	if (err) {
		xtap_err("replay: load programs: %s%s", strerror(-err),
			 xtap_log_verbose() ? "" : " (-v shows libbpf's log)");
		goto cleanup;
	}
	prog_fd = bpf_program__fd(hook_prog(r->skel, o->hook));
	meta_fd = bpf_map__fd(r->skel->maps.xtap_replay);
	out = malloc(MAX_FRAME + OUT_SLACK);
	if (!out) {
		xtap_err("replay %s: out of memory", o->path);
		goto cleanup;
	}

	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		__u64 no = ++r->frames;

		if (h->caplen > MAX_FRAME) {
			xtap_err("replay %s: packet %llu: %u bytes is more than %u", o->path,
				 (unsigned long long)no, h->caplen, MAX_FRAME);
			goto cleanup;
		}
		/* test-run refuses frames shorter than an Ethernet header: they
		 * are what the programs would count as truncated_eth */
		if (h->caplen < ETH_HLEN) {
			short_frames++;
			short_bytes += h->len;
			continue;
		}
		if (run_frame(prog_fd, meta_fd, h, data, out, &no, o->path))
			goto cleanup;
	}
	if (rc == PCAP_ERROR) {
		xtap_err("replay %s: packet %llu: %s", o->path, (unsigned long long)r->frames + 1,
			 pcap_geterr(pc));
		goto cleanup;
	}
	err = xtap_stats_read(bpf_map__fd(r->skel->maps.xtap_stats), XTAP_POINT(0, o->hook), &r->stats);
	if (err) {
		xtap_err("replay: read counters: %s", strerror(-err));
		goto cleanup;
	}
	r->stats.c[XTAP_STAT_TRUNC_ETH] += short_frames;
	r->stats.c[XTAP_STAT_BYTES] += short_bytes;
	ret = 0;
cleanup:
	free(out);
	if (pc)
		pcap_close(pc);
	return ret;
}

void xtap_replay_free(struct xtap_replay *r)
{
	if (r->skel)
		xtap_unload(r->skel);
	r->skel = NULL;
}
