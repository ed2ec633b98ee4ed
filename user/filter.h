/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Capture filters: a pcap-filter(7) expression compiled by libpcap to
 * classic BPF for DLT_EN10MB, then translated to an eBPF program of type
 * XDP (context struct xdp_md) that returns what the classic program returns:
 * 0 to reject, else the number of bytes to keep.
 *
 * The eBPF program reads the frame through data/data_end only, with a bounds
 * check before every load; a load past the end returns 0, as libpcap's
 * bpf_filter() does. BPF_LEN reads data_end - data (the frame's linear
 * length). Scratch memory M[0..15] lives on the stack, zeroed on entry.
 *
 * Programs are the kernel's types: struct sock_filter (linux/filter.h) for
 * classic BPF, struct bpf_insn (linux/bpf.h) for eBPF. This header only
 * declares them, so that it can be included beside libpcap's <pcap/bpf.h>,
 * whose struct bpf_insn is a classic instruction: a file that includes that
 * header must leave xtap_filter.insns alone.
 */
#ifndef XTAP_USER_FILTER_H
#define XTAP_USER_FILTER_H

#include <stddef.h>
#include <stdint.h>

struct sock_filter;
struct bpf_insn;

struct xtap_filter {
	struct bpf_insn *insns;	/* malloc'd; xtap_filter_free */
	size_t len;
};

/* libpcap's snap length, and what a compiled filter returns to accept. */
#define XTAP_FILTER_SNAP 262144
#define XTAP_FILTER_ERRLEN 512
/* Back edges a filter's loops (protochain's) may take per packet; the
 * packet is rejected once they are spent. */
#ifndef XTAP_FILTER_LOOP_MAX
#define XTAP_FILTER_LOOP_MAX 1024
#endif

/* The words of a filter expression given as arguments, joined by spaces
 * (as tcpdump does). malloc'd; NULL when out of memory. */
char *xtap_filter_join(int argc, char **argv);

/* Compile expr with libpcap (optimised) for DLT_EN10MB and snaplen
 * (user/filter_pcap.c), with netmask 0 as tcpdump -r compiles a filter for a
 * file (`ip broadcast` is then 0.0.0.0 and 255.255.255.255). Returns 0 and
 * *n instructions in *out (free()), or -1 with libpcap's own message in
 * err. */
int xtap_filter_classic(const char *expr, int snaplen, struct sock_filter **out, size_t *n,
			char *err, size_t errlen);
/* The same with a netmask in host byte order (255.255.255.0 is 0xffffff00),
 * as pcap_compile takes it. */
int xtap_filter_classic_mask(const char *expr, int snaplen, uint32_t netmask,
			     struct sock_filter **out, size_t *n, char *err, size_t errlen);
/* The IPv4 netmask of ifname in this network namespace (pcap_lookupnet), in
 * the host byte order pcap_compile takes, for `ip broadcast` as
 * pcap-filter(7) describes it live; 0 when it has none (or ifname is NULL):
 * only 0.0.0.0 and 255.255.255.255 are broadcasts then. */
uint32_t xtap_filter_netmask(const char *ifname);

/* Translate n classic instructions. Returns 0, or -1 with a one-line
 * message in err (never a program that accepts what it cannot evaluate). */
int xtap_filter_translate(const struct sock_filter *classic, size_t n, struct xtap_filter *out,
			  char *err, size_t errlen);

/*
 * Capture mode: the program runs inside the capture path (maps/xtap.h), as
 * entry id of the hook's program array. It reads the frame of an xdp_md or,
 * with tc, of a __sk_buff: the linear part directly, bytes past it (XDP
 * fragments, paged skb data) with bpf_xdp_load_bytes / bpf_skb_load_bytes,
 * a load past the end of the frame rejecting the packet. BPF_LEN is the
 * frame's whole length (bpf_xdp_get_buff_len, skb->len), or in replay the
 * wire length xtap_replay holds when it is more. A packet it rejects, with
 * no capture after this one running (xtap_live.capture_on, read in place), ends
 * there; otherwise it writes its verdict and id to xtap_capture_pkt.verdict
 * and .cur and tail-calls XTAP_CAPTURE_STEP of progs_fd.
 */
struct xtap_filter_capture {
	int tc;			/* 0: XDP; 1: TC (BPF_PROG_TYPE_SCHED_CLS) */
	int scratch_fd;		/* xtap_capscratch */
	int progs_fd;		/* xtap_capprog_xdp or xtap_capprog_tc */
	int live_fd;		/* the live settings (struct xtap_live): capture_on */
	int replay_fd;		/* xtap_replay in replay mode, else -1 */
	uint32_t id;		/* the capture's id: its filter's index in progs_fd */
};

int xtap_filter_translate_capture(const struct sock_filter *classic, size_t n,
				  const struct xtap_filter_capture *cap, struct xtap_filter *out,
				  char *err, size_t errlen);

/* Loads a capture-mode program: XDP (with frags, as the data-plane program
 * is) or SCHED_CLS. Returns the fd, or -1 with a one-line error in err. */
int xtap_filter_load_capture(const struct xtap_filter *f, int tc, char *err, size_t errlen);

/* xtap_filter_classic + xtap_filter_translate. */
int xtap_filter_compile(const char *expr, int snaplen, struct xtap_filter *out, char *err,
			size_t errlen);

void xtap_filter_free(struct xtap_filter *f);

/* libpcap's own interpreter on one frame (wirelen = buflen = len): the
 * reference the translation is tested against (user/filter_pcap.c). */
unsigned int xtap_filter_classic_run(const struct sock_filter *classic, size_t n,
				     const uint8_t *pkt, size_t len);

/* libpcap's interpreter on a frame of which caplen bytes are at pkt and
 * wirelen were on the wire, as pcap_offline_filter runs it: 0 to reject,
 * else the bytes to keep. A program with loops (protochain) runs with the
 * translation's budget of XTAP_FILTER_LOOP_MAX back edges, added in classic
 * BPF: libpcap's own loop may never end. */
unsigned int xtap_filter_classic_match(const struct sock_filter *classic, size_t n,
				       const uint8_t *pkt, size_t caplen, size_t wirelen);

/* Load the translated program as BPF_PROG_TYPE_XDP (user/filter_load.c).
 * Returns the program fd, or -1 with a one-line error in err that quotes the
 * verifier's first complaint. name may be NULL ("xtap_filter"). */
int xtap_filter_load(const struct xtap_filter *f, const char *name, char *err, size_t errlen);

#endif
