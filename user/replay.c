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

#include "user/capslot.h"
#include "user/capread.h"
#include "user/capsink.h"
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

/*
 * The skb test-run takes at most about a page of data (3712 bytes here), and
 * a capture of a veth or a NIC with offloads holds frames up to 64 KiB. The
 * headers are at the front, and the programs take the length from the wire
 * length the replay map carries, so a TC replay hands over the first
 * TC_RUN_MAX bytes.
 */
#define TC_RUN_MAX 2048u

/* The skb test-run also refuses a frame whose network header is not whole;
 * the programs would count it under the truncation reason this returns. */
static int tc_refused_reason(const u_char *data, __u32 caplen)
{
	__u16 proto = (__u16)(data[12] << 8 | data[13]);

	if (proto == ETH_P_IP && caplen < ETH_HLEN + 20)
		return XTAP_STAT_TRUNC_IPV4;
	if (proto == ETH_P_IPV6 && caplen < ETH_HLEN + 40)
		return XTAP_STAT_TRUNC_IPV6;
	return -1;
}

static int run_frame(int prog_fd, int meta_fd, int hook, const struct pcap_pkthdr *h,
		     const u_char *data, void *out, __u64 *pkt_no, const char *path,
		     struct xtap_stats *extra)
{
	struct xtap_replay_pkt meta = {
		.now_ns = (__u64)h->ts.tv_sec * 1000000000ull + (__u64)h->ts.tv_usec,
		.wire_len = h->len,
	};
	__u32 zero = 0, len = h->caplen;
	int refused;

	if (hook != XTAP_HOOK_XDP) {
		refused = tc_refused_reason(data, len);
		if (refused >= 0) {
			extra->c[refused]++;
			extra->c[XTAP_STAT_BYTES] += h->len;
			return 0;
		}
		if (len > TC_RUN_MAX)
			len = TC_RUN_MAX;
	}
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = data, .data_size_in = len, .data_out = out,
		    .data_size_out = len + OUT_SLACK, .repeat = 1);

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
	if (t.data_size_out != len || memcmp(out, data, len)) {
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
	struct xtap_stats extra = { 0 };	/* frames test-run refuses */
	pcap_t *pc = NULL;
	void *out = NULL;
	struct xtap_capsink *sink = NULL;
	struct xtap_capread *rd = NULL;
	struct xtap_capsink_counts sc;
	struct xtap_capmaps maps;
	struct xtap_capslot slot;
	bool have_slot = false;
	int prog_fd, meta_fd, rc, ret = -1, err;

	memset(r, 0, sizeof(*r));
	pc = pcap_open_offline_with_tstamp_precision(o->path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!pc) {
		size_t plen = strlen(o->path);
		const char *why = errbuf;

		/* libpcap's message may already start with the path */
		if (!strncmp(why, o->path, plen) && !strncmp(why + plen, ": ", 2))
			why += plen + 2;
		xtap_err("replay %s: %s", o->path, why);
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
	if (o->out) {
		struct xtap_capture_cfg cfg = {
			.enabled = 1, .snaplen = o->snaplen ? o->snaplen : XTAP_SNAP_MAX,
			.sample = o->sample, .hooks = 1u << o->hook, .sample_flows = o->sample_flows,
			.gen = 1,
		};

		/* the records' times are the file's: on the epoch's clock */
		sink = xtap_capsink_open(&(struct xtap_capsink_opts){
			.path = o->out, .fmt = o->pcapng ? XTAP_PCAPNG : XTAP_PCAP,
			.snaplen = cfg.snaplen }, errbuf, sizeof(errbuf));
		if (!sink) {
			xtap_err("replay: %s", errbuf);
			goto cleanup;
		}
		xtap_capmaps_of(r->skel, &maps);
		err = xtap_capslot_claim(&slot, &maps);
		have_slot = !err;
		if (!err)
			err = xtap_capslot_rings(&slot, 1, XTAP_RING_SIZE_DEFAULT);
		if (err) {
			xtap_err("replay: capture ring: %s", strerror(-err));
			goto cleanup;
		}
		if (xtap_capslot_filter(&slot, o->filter, o->filter_len, errbuf, sizeof(errbuf))) {
			xtap_err("replay: %s", errbuf);
			goto cleanup;
		}
		err = xtap_capread_new(&rd, slot.ring, 1, sink);
		if (err) {
			xtap_err("replay: capture ring: %s", strerror(-err));
			goto cleanup;
		}
		xtap_capsink_name(sink, 0, "replay");
		err = xtap_capslot_start(&slot, &cfg);
		if (err) {
			xtap_err("replay: turn capture on: %s", strerror(-err));
			goto cleanup;
		}
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
		if (run_frame(prog_fd, meta_fd, o->hook, h, data, out, &no, o->path, &extra))
			goto cleanup;
		if (rd && (err = xtap_capread_drain(rd)) < 0) {
			xtap_err("replay: %s: %s", o->out, strerror(-err));
			goto cleanup;
		}
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
	for (int i = 0; i < XTAP_STAT_MAX; i++)
		r->stats.c[i] += extra.c[i];
	r->stats.c[XTAP_STAT_TRUNC_ETH] += short_frames;
	r->stats.c[XTAP_STAT_BYTES] += short_bytes;
	if (sink) {
		xtap_capsink_counts(sink, &sc);
		r->written = sc.written;
		err = xtap_capsink_close(sink);
		sink = NULL;
		if (err) {
			xtap_err("replay: %s: %s", o->out, strerror(-err));
			goto cleanup;
		}
	}
	ret = 0;
cleanup:
	xtap_capread_free(rd);
	if (have_slot)
		xtap_capslot_stop(&slot);
	xtap_capsink_close(sink);
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
