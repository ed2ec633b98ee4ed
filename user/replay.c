// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stddef.h>
/* libpcap's classic struct bpf_insn clashes with the kernel's */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>
#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>

#include "loader/live.h"
#include "user/capslot.h"
#include "user/capread.h"
#include "user/capsink.h"
#include "user/log.h"
#include "user/maps.h"
#include "user/names.h"
#include "user/replay.h"
#include "user/report.h"

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

/*
 * A frame's time in ns since the epoch. Classic pcap stores unsigned 32-bit
 * seconds (to 2106), which libpcap hands over sign-extended from 32 bits:
 * they are taken back as unsigned. pcapng's are 64-bit and come whole.
 */
static __u64 frame_ns(const struct pcap_pkthdr *h, bool classic)
{
	__u64 sec = classic ? (__u64)(__u32)h->ts.tv_sec : (__u64)h->ts.tv_sec;

	return sec * 1000000000ull + (__u64)(__u32)h->ts.tv_usec;
}

/*
 * The longest frame the XDP test run takes: the linear part (a page less
 * the headroom and the shared info) and as many page fragments as the kernel
 * allows a frags-capable program (MAX_SKB_FRAGS). Found once, by test runs
 * of a program that only returns XDP_PASS, so that no run of the data plane
 * is spent on it. 0 when it cannot be found.
 */
static __u32 xdp_run_limit(void)
{
	struct bpf_insn pass[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, lo, .expected_attach_type = BPF_XDP,
		    .prog_flags = BPF_F_XDP_HAS_FRAGS);
	__u32 lo_ok = 0, hi_bad = MAX_FRAME + 1;
	void *buf = calloc(1, MAX_FRAME + OUT_SLACK);
	int fd = -1;

	if (!buf)
		return 0;
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xtap_run_max", "Dual BSD/GPL", pass, 2, &lo);
	if (fd < 0)
		goto out;
	/* lo_ok is taken (or 0), hi_bad is refused */
	lo_ok = ETH_HLEN;
	while (hi_bad - lo_ok > 1) {
		__u32 mid = lo_ok + (hi_bad - lo_ok) / 2;
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = buf, .data_size_in = mid,
			    .data_out = buf, .data_size_out = MAX_FRAME + OUT_SLACK, .repeat = 1);

		if (bpf_prog_test_run_opts(fd, &t))
			hi_bad = mid;
		else
			lo_ok = mid;
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return fd >= 0 ? lo_ok : 0;
}

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

/* What became of a frame. */
enum frame_run {
	RUN_WHOLE,	/* the programs ran it */
	RUN_CUT,	/* they ran its first r->run_max bytes (the wire length whole) */
	RUN_REFUSED,	/* test-run refuses it: counted under its reason in extra */
};

static int run_frame(int prog_fd, int meta_fd, int hook, const struct pcap_pkthdr *h,
		     const u_char *data, __u64 now_ns, void *out, __u64 *pkt_no, const char *path,
		     struct xtap_replay *r, struct xtap_stats *extra)
{
	struct xtap_replay_pkt meta = { .now_ns = now_ns, .wire_len = h->len };
	__u32 zero = 0, len = h->caplen;
	int refused, ret = RUN_WHOLE;

	if (hook != XTAP_HOOK_XDP) {
		refused = tc_refused_reason(data, len);
		if (refused >= 0) {
			extra->c[refused]++;
			extra->c[XTAP_STAT_BYTES] += h->len;
			return RUN_REFUSED;
		}
		if (len > TC_RUN_MAX)
			len = TC_RUN_MAX;
	} else if (r->run_max && len > r->run_max) {
		len = r->run_max;
		ret = RUN_CUT;
	}
	if (bpf_map_update_elem(meta_fd, &zero, &meta, BPF_ANY)) {
		xtap_err("replay %s: packet %llu: set time: %s", path, (unsigned long long)*pkt_no,
			 strerror(errno));
		return -1;
	}
	for (;;) {
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = data, .data_size_in = len,
			    .data_out = out, .data_size_out = len + OUT_SLACK, .repeat = 1);

		if (!bpf_prog_test_run_opts(prog_fd, &t)) {
			if (t.data_size_out != len || memcmp(out, data, len)) {
				xtap_err("replay %s: packet %llu: the program changed the frame",
					 path, (unsigned long long)*pkt_no);
				return -1;
			}
			return ret;
		}
		/* XDP: more fragments than the kernel gives a frame (ENOMEM).
		 * The run stops before the program, which then runs the
		 * frame's first run_max bytes. */
		if (hook == XTAP_HOOK_XDP && errno == ENOMEM && !r->run_max) {
			r->run_max = xdp_run_limit();
			if (r->run_max && len > r->run_max) {
				len = r->run_max;
				ret = RUN_CUT;
				continue;
			}
		}
		xtap_err("replay %s: packet %llu: test run: %s", path, (unsigned long long)*pkt_no,
			 strerror(errno));
		return -1;
	}
}

/*
 * The copy program reads an XDP frame with bpf_xdp_load_bytes, which takes
 * no offset past 0xffff: it copies frames of up to 64 KiB (its chunks start
 * at multiples of XTAP_CAPTURE_CHUNK).
 */
#define XDP_COPY_MAX 65536u

/* The running captures' mask (xtap_live.capture_on): the old one into *old
 * when old is not NULL, then set to mask. */
static void capture_mask(struct xtap_live *l, __u32 *old, __u32 mask)
{
	if (old)
		*old = xtap_live_get(&l->capture_on);
	xtap_live_set(&l->capture_on, mask);
}

/*
 * With -w: a frame the programs did not take (shorter than an Ethernet
 * header, or refused by the skb test run), or took but cannot copy whole
 * (XDP: longer than XDP_COPY_MAX; TC: longer than the TC_RUN_MAX bytes the
 * test run got), gets its verdict from libpcap's own interpreter on all its
 * bytes, as tcpdump -r would, and is written as the copy program writes a
 * record: no flow, at most snaplen bytes.
 */
static int put_by_libpcap(struct xtap_capsink *sink, const struct xtap_replay_opts *o,
			  const struct pcap_pkthdr *h, const u_char *data, __u64 now_ns,
			  __u32 snaplen, void *buf)
{
	struct xtap_capture_rec *rec = buf;
	unsigned int keep = o->filter ? xtap_filter_classic_match(o->filter, o->filter_len, data,
								   h->caplen, h->len)
				      : UINT_MAX;
	__u32 cap = h->caplen;

	if (cap > keep)
		cap = keep;
	if (cap > snaplen)
		cap = snaplen;
	if (!cap)
		return 0;
	*rec = (struct xtap_capture_rec){ .version = XTAP_CAPTURE_VERSION, .hook = (__u8)o->hook,
					  .flow_dir = XTAP_CAPTURE_NO_FLOW,
					  .wire_len = h->len > cap ? h->len : cap, .cap_len = cap,
					  .ts_ns = now_ns };
	memcpy(rec + 1, data, cap);
	xtap_capsink_put(sink, rec);
	return xtap_capsink_flush(sink);
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
	__u32 on_mask = 0;
	__u32 snaplen = o->snaplen ? o->snaplen : XTAP_SNAP_MAX;
	bool classic;
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
	/* pcapng files carry version 1, classic pcap files version 2 */
	classic = pcap_major_version(pc) != 1;
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
	/* the test run's output, or a record written from here */
	out = malloc(MAX_FRAME + OUT_SLACK + sizeof(struct xtap_capture_rec));
	if (!out) {
		xtap_err("replay %s: out of memory", o->path);
		goto cleanup;
	}
	if (o->out) {
		struct xtap_capture_cfg cfg = {
			.enabled = 1, .snaplen = snaplen,
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
		__u64 no = ++r->frames, now_ns = frame_ns(h, classic);
		bool by_pcap;
		int how;

		if (h->caplen > MAX_FRAME) {
			xtap_err("replay %s: packet %llu: %u bytes is more than %u", o->path,
				 (unsigned long long)no, h->caplen, MAX_FRAME);
			goto cleanup;
		}
		/* with -w, a frame the copy cannot take whole is written from
		 * here: the copy stays off while it runs */
		by_pcap = sink && (o->hook == XTAP_HOOK_XDP ? h->caplen > XDP_COPY_MAX
							  : h->caplen > TC_RUN_MAX);
		/* test-run refuses frames shorter than an Ethernet header: they
		 * are what the programs would count as truncated_eth */
		if (h->caplen < ETH_HLEN) {
			short_frames++;
			short_bytes += h->len;
			how = RUN_REFUSED;
		} else {
			if (by_pcap)
				capture_mask(maps.on, &on_mask, 0);
			how = run_frame(prog_fd, meta_fd, o->hook, h, data, now_ns, out, &no, o->path,
					r, &extra);
			if (by_pcap)
				capture_mask(maps.on, NULL, on_mask);
			if (how < 0)
				goto cleanup;
		}
		if (how == RUN_CUT)
			r->cut++;
		if (rd && (err = xtap_capread_drain(rd)) < 0) {
			xtap_err("replay: %s: %s", o->out, strerror(-err));
			goto cleanup;
		}
		if (sink && (how == RUN_REFUSED || by_pcap) &&
		    (err = put_by_libpcap(sink, o, h, data, now_ns, snaplen, out)) < 0) {
			xtap_err("replay: %s: %s", o->out, strerror(-err));
			goto cleanup;
		}
	}
	/* a record cut short or broken ends the file: what came before it
	 * stands, and the caller says what stopped the reading */
	if (rc == PCAP_ERROR) {
		const char *why = pcap_geterr(pc);

		snprintf(r->read_error, sizeof(r->read_error), "replay %s: packet %llu: %s", o->path,
			 (unsigned long long)r->frames + 1, why);
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

/* --- the session ----------------------------------------------------------- */

struct defaults_replay {
	const char *file;
	bool json;
	int hook;		/* enum xtap_hook */
	__u32 flows;
	bool verbose;
	const char *out;	/* -w: write what capture would */
	bool pcapng;
	const char *snaplen;	/* checked after the parse: 0 is every byte */
	__u32 sample;
	__u32 sample_flows;
};

static const struct defaults_replay defaults_replay = {
	.hook = XTAP_HOOK_XDP,
	.flows = XTAP_FLOWS_DEFAULT,
};

#define F(x) offsetof(struct defaults_replay, x)
static const struct xtap_opt replay_opts[] = {
	{ "read", 'r', XTAP_OPT_STR, F(file), "FILE", .help = "the capture to run (pcap or pcapng)",
	  .required = true },
	{ "json", 'j', XTAP_OPT_FLAG, F(json), NULL, .help = "JSON: the flows, table, latency and counters" },
	{ "hook", 0, XTAP_OPT_ENUM, F(hook), NULL, .help = "the program the frames go through; default xdp",
	  .names = xtap_hook_names },
	{ "flows", 0, XTAP_OPT_U32, F(flows), "N", .help = "flow table entries",
	  .min = 1, .max = XTAP_FLOWS_MAX },
	{ "verbose", 'v', XTAP_OPT_FLAG, F(verbose), NULL, .help = "libbpf's messages too" },
	{ "write", 'w', XTAP_OPT_STR, F(out), "OUT", .help = "write what capture would to OUT (- for stdout)" },
	{ "pcapng", 0, XTAP_OPT_FLAG, F(pcapng), NULL, .help = "with -w: pcapng, not pcap" },
	{ "snaplen", 's', XTAP_OPT_STR, F(snaplen), "SNAPLEN",
	  .help = "with -w: bytes kept of each packet; 0: all" },
	{ "sample", 0, XTAP_OPT_U32, F(sample), "N", .help = "with -w: keep 1 packet in N",
	  .min = 1, .max = UINT_MAX, .bad = "not a positive count" },
	{ "sample-flows", 0, XTAP_OPT_U32, F(sample_flows), "K",
	  .help = "with -w: keep the first K packets of each flow",
	  .min = 1, .max = UINT_MAX, .bad = "not a positive count" },
	{ NULL },
};
#undef F

const struct xtap_cmd_spec xtap_spec_replay = {
	.name = "replay",
	.help = "run a pcap/pcapng through the programs; print flows and counters, or write what "
		"capture would",
	.opts = replay_opts,
	.args = "[EXPR]",
	.max_args = -1,
};

static int usage_error(void)
{
	xtap_opts_usage(stderr, &xtap_spec_replay);
	return XTAP_EXIT_USAGE;
}

int xtap_replay_args(struct xtap_replay_session *s, int argc, char **argv)
{
	struct defaults_replay d = defaults_replay;
	__u32 snaplen = 0;
	size_t nfilter = 0;
	struct xtap_parsed p;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = xtap_opts_parse(&xtap_spec_replay, &d, argc, argv, &p);
	if (rc >= 0)
		return rc;
	if (d.snaplen) {
		if (!strcmp(d.snaplen, "0")) {
			snaplen = XTAP_SNAP_MAX;
		} else if (!xtap_parse_u32(d.snaplen, UINT_MAX, &snaplen)) {
			xtap_err("replay: -s %s: not a length in bytes", d.snaplen);
			return XTAP_EXIT_USAGE;
		}
		if (snaplen > XTAP_SNAP_MAX)
			snaplen = XTAP_SNAP_MAX;
	}
	if (p.nargs && !d.out) {
		xtap_err("replay: a filter expression goes with -w OUT");
		return usage_error();
	}
	if (p.nargs) {
		char why[XTAP_FILTER_ERRLEN];

		s->expr = xtap_filter_join(p.nargs, argv + p.first);
		if (!s->expr) {
			xtap_err("replay: out of memory");
			return XTAP_EXIT_ERR;
		}
		if (xtap_filter_classic(s->expr, XTAP_FILTER_SNAP, &s->filter, &nfilter, why,
					sizeof(why))) {
			xtap_err("replay: filter '%s': %s", s->expr, why);
			xtap_replay_end(s);
			return XTAP_EXIT_USAGE;
		}
	}
	xtap_log_init(d.verbose);
	if (!d.out && (d.pcapng || snaplen || d.sample || d.sample_flows)) {
		xtap_err("replay: --pcapng, -s, --sample and --sample-flows go with -w OUT");
		return usage_error();
	}
	s->json = d.json;
	s->o = (struct xtap_replay_opts){ .path = d.file, .hook = d.hook, .flows_max = d.flows,
					  .out = d.out, .pcapng = d.pcapng, .snaplen = snaplen,
					  .sample = d.sample, .sample_flows = d.sample_flows,
					  .filter = s->filter, .filter_len = nfilter };
	return -1;
}

int xtap_replay_run(struct xtap_replay_session *s)
{
	int err;

	if (xtap_replay_file(&s->o, &s->r))
		return -1;
	if (s->o.out)
		return 0;
	err = xtap_flows_read(bpf_map__fd(s->r.skel->maps.xtap_flows),
			      bpf_map__fd(s->r.skel->maps.xtap_fcache), XTAP_SORT_AGE, &s->flows, &s->n);
	if (err) {
		xtap_err("replay: read flows: %s", strerror(-err));
		return -1;
	}
	err = xtap_app_dump(bpf_map__fd(s->r.skel->maps.xtap_app), &s->app);
	if (err) {
		xtap_err("replay: read HTTP/DNS state: %s", strerror(-err));
		return -1;
	}
	err = xtap_hist_dump(bpf_map__fd(s->r.skel->maps.xtap_hist), &s->hists, &s->nh);
	if (err) {
		xtap_err("replay: read latency histograms: %s", strerror(-err));
		return -1;
	}
	xtap_hist_sort(s->hists, s->nh);
	return 0;
}

static void report_json(FILE *out, const struct xtap_replay_session *s)
{
	static const struct xtap_hist_filter all = { .kind = -1 };
	struct json j;

	json_init(&j, out);
	json_open(&j, NULL, '{');
	json_str(&j, "file", s->o.path);
	json_str(&j, "hook", xtap_hook_name(s->o.hook));
	json_u64(&j, "frames", s->r.frames);
	json_u64(&j, "frames_cut", s->r.cut);
	if (s->r.cut)
		json_u64(&j, "frames_cut_to", s->r.run_max);
	json_open(&j, "flows", '[');
	for (size_t i = 0; i < s->n; i++)
		xtap_flow_json_app(&j, &s->flows[i], 0, xtap_app_find(&s->app, &s->flows[i].key));
	json_close(&j, ']');
	json_open(&j, "table", '{');
	json_u64(&j, "max", s->o.flows_max);
	json_u64(&j, "used", s->n);
	json_u64(&j, "evicted", xtap_flows_evicted(&s->r.stats, s->n));
	json_close(&j, '}');
	xtap_hist_print_json(&j, "latency", s->hists, s->nh, &all);
	xtap_stats_json(&j, "stats", &s->r.stats);
	json_close(&j, '}');
}

static void report_text(FILE *out, const struct xtap_replay_session *s)
{
	static const struct xtap_hist_filter all = { .kind = -1 };
	struct xtap_report rep = { .out = out, .app = &s->app };

	xtap_flows_table(&rep, s->flows, s->n);
	fprintf(out, "\n%llu frames, %zu flows in the table (of %u), %llu evicted\n",
		(unsigned long long)s->r.frames, s->n, s->o.flows_max,
		(unsigned long long)xtap_flows_evicted(&s->r.stats, s->n));
	if (s->r.cut)
		fprintf(out, "%llu frames longer than the XDP test run takes: run as their first %u "
			"bytes\n", (unsigned long long)s->r.cut, s->r.run_max);
	xtap_stats_table(out, xtap_hook_name(s->o.hook), &s->r.stats);
	if (s->nh) {
		fprintf(out, "\nlatency per service:\n");
		xtap_hist_print(out, s->hists, s->nh, &all);
	}
}

int xtap_replay_report(FILE *out, const struct xtap_replay_session *s)
{
	if (s->o.out) {
		/* the file is the output: the report goes to stderr, as capture's */
		if (strcmp(s->o.out, "-"))
			fprintf(out, "%llu frames read, %llu packets written to %s\n",
				(unsigned long long)s->r.frames, (unsigned long long)s->r.written,
				s->o.out);
		else
			fprintf(stderr, "%llu frames read, %llu packets written\n",
				(unsigned long long)s->r.frames, (unsigned long long)s->r.written);
	} else if (s->json) {
		report_json(out, s);
	} else {
		report_text(out, s);
	}
	/* as tcpdump -r: what the whole records gave, then why the reading
	 * stopped early, and exit status 1 */
	if (s->r.read_error[0]) {
		fflush(out);
		xtap_err("%s", s->r.read_error);
		return XTAP_EXIT_ERR;
	}
	return XTAP_EXIT_OK;
}

void xtap_replay_end(struct xtap_replay_session *s)
{
	free(s->hists);
	free(s->filter);
	free(s->expr);
	free(s->flows);
	xtap_app_free(&s->app);
	xtap_replay_free(&s->r);
	memset(s, 0, sizeof(*s));
}
