/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xtap ABI: every struct, enum and constant that the BPF programs and user
 * space share. Fixed-width types only, explicit padding, sizes asserted.
 * Change a layout here and bump XTAP_ABI_VERSION.
 */
#ifndef XTAP_MAPS_XTAP_H
#define XTAP_MAPS_XTAP_H

#include <linux/types.h>

/* Recorded in the pinned state when it is made (<pin root>/abi); an xtap
 * whose number differs refuses that state until `xtap detach --all`. */
#define XTAP_ABI_VERSION 13

/* An attach point is (interface slot, hook). The loader gives every attached
 * interface a slot; the programs of that interface carry it as rodata. */
#define XTAP_MAX_SLOTS 64
#define XTAP_MAX_POINTS (XTAP_MAX_SLOTS * XTAP_HOOK_MAX)
#define XTAP_POINT(slot, hook) ((slot) * XTAP_HOOK_MAX + (hook))

#define XTAP_FLOWS_DEFAULT 65536

enum xtap_hook {
	XTAP_HOOK_XDP = 0,
	XTAP_HOOK_TC_INGRESS = 1,
	XTAP_HOOK_TC_EGRESS = 2,
	XTAP_HOOK_MAX = 3,
};

/*
 * Per-point counters. Every packet increments exactly one outcome: a class
 * (XTAP_STAT_TCP .. XTAP_STAT_ETH_OTHER) when it was parsed, or one malformed
 * reason (XTAP_STAT_BAD_FIRST .. XTAP_STAT_BAD_LAST) when it was not. The
 * counters after XTAP_STAT_OUTCOME_END count events, not packets.
 */
enum xtap_stat {
	/* parsed classes */
	XTAP_STAT_TCP = 0,
	XTAP_STAT_UDP,
	XTAP_STAT_ICMP,
	XTAP_STAT_ICMPV6,
	XTAP_STAT_IP_OTHER,	/* IPv4/IPv6 with another L4 protocol */
	XTAP_STAT_IP_FRAGMENT,	/* a fragment after the first: no L4 header */
	XTAP_STAT_ARP,
	XTAP_STAT_LLDP,
	XTAP_STAT_ETH_OTHER,	/* any other EtherType */
	/* malformed: counted, never turned into a flow */
	XTAP_STAT_BAD_FIRST,
	XTAP_STAT_TRUNC_ETH = XTAP_STAT_BAD_FIRST,
	XTAP_STAT_TRUNC_VLAN,
	XTAP_STAT_VLAN_DEPTH,	/* more tags than VLAN_MAX_DEPTH */
	XTAP_STAT_TRUNC_IPV4,
	XTAP_STAT_IPV4_VERSION,	/* version field is not 4 */
	XTAP_STAT_IPV4_IHL,	/* IHL below 5 */
	XTAP_STAT_IPV4_LEN_SHORT,	/* total length shorter than the header */
	XTAP_STAT_IPV4_LEN_LONG,	/* total length past the end of the frame */
	XTAP_STAT_TRUNC_IPV6,
	XTAP_STAT_IPV6_VERSION,
	XTAP_STAT_IPV6_LEN_LONG,	/* payload length past the end of the frame */
	XTAP_STAT_TRUNC_IPV6_EXT,	/* an extension header cut by the end */
	XTAP_STAT_IPV6_EXT_DEPTH,	/* more extension headers than IPV6_EXT_MAX */
	XTAP_STAT_TRUNC_TCP,
	XTAP_STAT_TCP_DOFF_SHORT,	/* data offset below 5 */
	XTAP_STAT_TCP_DOFF_LONG,	/* data offset past the end of the segment */
	XTAP_STAT_TRUNC_UDP,
	XTAP_STAT_UDP_LEN,	/* UDP length below 8 or past the IP payload */
	XTAP_STAT_TRUNC_ICMP,
	XTAP_STAT_TRUNC_ICMPV6,
	XTAP_STAT_TRUNC_ARP,
	XTAP_STAT_BAD_LAST = XTAP_STAT_TRUNC_ARP,
	XTAP_STAT_OUTCOME_END,
	/* events */
	XTAP_STAT_BYTES = XTAP_STAT_OUTCOME_END,	/* frame bytes seen */
	XTAP_STAT_FLOW_NEW,	/* flow entries created */
	XTAP_STAT_FLOW_FAIL,	/* flow entries that could not be created */
	XTAP_STAT_CAPTURED,	/* records written to the capture ring */
	XTAP_STAT_CAPTURE_DROP,	/* packets to capture lost: the ring was full */
	/* per-hop latency (kern/lib/hop.h) */
	XTAP_STAT_HOP_FIRST,	/* fingerprint matched no sighting: a path starts here */
	XTAP_STAT_HOP_MATCHED,	/* matched a sighting at another point: one hop */
	XTAP_STAT_HOP_REPEAT,	/* matched a sighting at this same point: restarted */
	XTAP_STAT_HOP_META,	/* TC ingress found XDP's stamp in the metadata */
	XTAP_STAT_HOP_NO_ROOM,	/* XDP could not stamp: no room, or metadata in use */
	XTAP_STAT_HOP_OVERWRITE,	/* a sighting younger than the timeout lost its
					 * slot to another fingerprint: that packet's
					 * next point will start a path */
	XTAP_STAT_HOP_FULL,	/* a hop matched but all XTAP_HOPS_MAX histograms are
				 * taken: not recorded */
	/* HTTP/1.x and DNS timing (kern/lib/app.h): segments and datagrams
	 * that were not parsed or not matched, by reason; none of them is
	 * timed or attributed to a request */
	XTAP_STAT_HTTP_BAD,	/* a method token or "HTTP" that does not start a valid
				 * request or status line, or one going the wrong way */
	XTAP_STAT_HTTP_SPLIT,	/* a request or status line cut by the segment's end */
	XTAP_STAT_HTTP_NOT_HTTP,	/* data to port 80 on a flow with no HTTP request */
	XTAP_STAT_HTTP_NO_REQUEST,	/* a response with no outstanding request */
	XTAP_STAT_HTTP_PIPELINE_FULL,	/* a request past XTAP_APP_PENDING outstanding:
					 * its response is not timed */
	XTAP_STAT_DNS_SHORT,	/* port 53 payload shorter than a header and question */
	XTAP_STAT_DNS_NAME_LOOP,	/* a compression pointer in the question name: it
					 * can only point at itself or forward */
	XTAP_STAT_DNS_NAME_TRUNC,	/* the question name runs past the message */
	XTAP_STAT_DNS_NAME_BAD,	/* reserved label type, pointer into the header,
				 * or a name over 255 bytes */
	XTAP_STAT_DNS_NO_QUERY,	/* a response with no outstanding query of its id */
	XTAP_STAT_APP_FAIL,	/* HTTP/DNS/TLS entries that could not be created */
	/* TLS hellos (kern/lib/tls.h): none of these is misread; a cut one
	 * keeps only the fields that were whole in the segment */
	XTAP_STAT_TLS_SPLIT,	/* a ClientHello or ServerHello cut by the segment's
				 * end or spread over several records */
	XTAP_STAT_TLS_BAD,	/* a hello whose lengths disagree, or one going the
				 * wrong way */
	XTAP_STAT_TLS_EXT_MANY,	/* a hello with more than TLS_EXT_MAX extensions:
				 * the ones after are not read */
	XTAP_STAT_TLS_NO_HELLO,	/* a ServerHello on a flow with no ClientHello */
	/* tunnels (kern/lib/tunnel.h): a packet decapsulated, or one whose
	 * encapsulation was not followed, by reason; such a packet keeps its
	 * outer flow and outcome */
	XTAP_STAT_TUN_DECAP,	/* decapsulated: flow and outcome are the inner packet's */
	XTAP_STAT_TUN_TRUNC,	/* a tunnel header cut by the end of the frame */
	XTAP_STAT_TUN_VXLAN_BAD,	/* UDP to a VXLAN port without a VXLAN header
					 * (I flag clear or reserved flags set) */
	XTAP_STAT_TUN_GENEVE_BAD,	/* Geneve version not 0, or options past the end */
	XTAP_STAT_TUN_GRE_BAD,	/* GRE version not 0, or the routing bit set */
	XTAP_STAT_TUN_INNER_OTHER,	/* the inner packet is not IP (ARP, ...) */
	XTAP_STAT_TUN_INNER_BAD,	/* the inner headers are malformed or cut */
	XTAP_STAT_MAX,
};

struct xtap_stats {
	__u64 c[XTAP_STAT_MAX];
};

/* Flow key: both directions of a conversation share one key. The endpoint
 * (addr, port) pairs are ordered so that side a is the smaller one; IPv4
 * addresses are stored IPv4-mapped (::ffff:a.b.c.d). For ICMP and ICMPv6,
 * ports are not endpoint properties: port_a is the echo identifier (0 for
 * non-echo messages) and port_b is type << 8 | code, with replies folded onto
 * their request type, and only the addresses are ordered. */
struct xtap_flow_key {
	__u8 addr_a[16];
	__u8 addr_b[16];
	__u16 port_a;		/* host byte order */
	__u16 port_b;
	__u16 vlan;		/* outer VLAN ID, 0 when untagged */
	__u8 proto;		/* IPPROTO_* */
	__u8 ip_version;	/* 4 or 6 */
	/* a flow inside a tunnel (kern/lib/tunnel.h) is keyed on the inner
	 * headers and on these, since tenants may reuse inner addresses;
	 * 0 and 0 for a flow outside any tunnel */
	__u32 tun_id;		/* VXLAN/Geneve VNI, GRE key, ERSPAN session id */
	__u8 tun_type;		/* enum xtap_tun_type */
	__u8 reserved[3];
};

/* The encapsulations followed, one level deep (kern/lib/tunnel.h). */
enum xtap_tun_type {
	XTAP_TUN_NONE = 0,
	XTAP_TUN_VXLAN = 1,	/* UDP 4789 and 8472 (xtap_live.tun) */
	XTAP_TUN_GENEVE = 2,	/* UDP 6081 */
	XTAP_TUN_GRE = 3,	/* IP protocol 47: Ethernet, IPv4 or IPv6 inside */
	XTAP_TUN_IPIP = 4,	/* IP protocol 4 (IPv4) or 41 (IPv6) in IPv4 or IPv6 */
	XTAP_TUN_ERSPAN = 5,	/* ERSPAN type I, II or III over GRE */
	XTAP_TUN_MAX,
};

/*
 * Tunnels (struct xtap_live.tun): which UDP ports carry VXLAN and Geneve,
 * and whether to decapsulate at all (xtap attach --tunnel-ports,
 * --no-decap). A map never configured (flags 0) means the standard ports,
 * decapsulation on. A port 0 is an unused slot.
 */
#define XTAP_TUN_PORTS 4
#define XTAP_TUN_CFG_SET 0x1	/* the ports below are the ones to use */
#define XTAP_TUN_CFG_OFF 0x2	/* decapsulate nothing */
#define XTAP_VXLAN_PORT 4789
#define XTAP_VXLAN_LINUX_PORT 8472
#define XTAP_GENEVE_PORT 6081

struct xtap_tun_cfg {
	__u16 vxlan[XTAP_TUN_PORTS];	/* host byte order */
	__u16 geneve[XTAP_TUN_PORTS];
	__u32 flags;		/* XTAP_TUN_CFG_* */
	__u32 reserved;
};

/*
 * xtap_tunnels, an LRU hash keyed by the flow key of a tunnel flow: where
 * its packets travel outside the tunnel. Written by tunnel packets alone,
 * when the entry is missing or the outer endpoints changed. outer_a is the
 * outer source of the packets going from side a to side b of the key (the
 * tunnel end at side a), outer_b the other end.
 */
#define XTAP_TUNNELS_MAX 65536

struct xtap_tunnel {
	__u8 outer_a[16];	/* IPv4-mapped for IPv4 */
	__u8 outer_b[16];
	__u16 udp_sport[2];	/* outer UDP source port per enum xtap_dir; 0: unseen */
	__u16 udp_dport;	/* the tunnel's UDP port (VXLAN, Geneve), else 0 */
	__u8 type;		/* enum xtap_tun_type */
	__u8 outer_ip_version;	/* 4 or 6 */
	__u32 id;		/* as in the key */
	__u32 reserved;
	__u64 updated_ns;	/* when the outer endpoints were last written */
};

/* A flow's id: a 64-bit mix of its key, the same wherever it is computed
 * (the capture programs put it in each record, `xtap flows -j` shows it).
 * Never 0 (0 means "no flow"). */
static inline __u64 xtap_flow_id(const struct xtap_flow_key *k)
{
	__u64 h = 0x9e3779b97f4a7c15ull, w;

	_Static_assert(sizeof(*k) % 8 == 0, "the key is whole words");
	for (unsigned int i = 0; i < sizeof(*k) / 8; i++) {
		__builtin_memcpy(&w, (const __u8 *)k + 8 * i, 8);
		h ^= w;
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 33;
	}
	return h ? h : 1;
}

enum xtap_dir {
	XTAP_DIR_AB = 0,	/* from side a to side b */
	XTAP_DIR_BA = 1,
};

struct xtap_flow {
	/* 0: what a packet of an established flow reads or writes, on the
	 * shared entry (kern/lib/flow.h, its write-back flush and the
	 * latency marks): one cache line, so that a packet of a flow the
	 * per-CPU entry does not hold touches few lines of the table */
	__u64 last_ns;		/* last packet; live, exact on SYN/FIN/RST and at one
				 * kernel tick's resolution (CLOCK_MONOTONIC_COARSE)
				 * for the packets in between */
	__u64 pkts[2];		/* indexed by enum xtap_dir */
	__u64 bytes[2];		/* frame bytes, Ethernet header included */
	__u32 tcp_flags[2];	/* union of TCP flags seen, low 8 bits */
	__u32 seq_next[2];	/* the high-water mark per direction: highest seq +
				 * length seen (kern/lib/latency.h) */
	__u16 first_point;	/* XTAP_POINT that created the entry */
	__u8 hs_state;		/* enum xtap_hs_state */
	__u8 owner;		/* enum xtap_owner: where cgroup_id came from */
	__u8 seq_seen;		/* bit 1 << d: seq_next[d] is set */
	__u8 ts_seen;		/* bit 1 << d: ts_last[d] is set */
	__u8 ts_pending;	/* bit 1 << d: ts_val[d] waits for its echo */
	__u8 initiator;		/* enum xtap_dir of the side that started */
	/* 64: what a new TCP timestamp moves (passive RTT, per direction,
	 * indexed by enum xtap_dir), retransmissions, and the flow's few
	 * other small fields */
	__u32 sampling;		/* 1 in N packets accounted (xtap_live.flow) when
				 * the entry was made: N > 1, pkts and bytes are
				 * estimates; 0, every packet (exact) */
	__u8 initiator_syn;	/* 1: initiator is the SYN sender; 0: first seen */
	__u8 outcome;		/* enum xtap_outcome */
	__u8 syn_dir;		/* enum xtap_dir of the first SYN */
	__u8 hs_seen;		/* XTAP_HS_SEEN_* bits: which times are set */
	__u32 retrans[2];	/* segments (data, SYN or FIN) that start below the
				 * direction's sequence high-water mark */
	__u32 ts_last[2];	/* the last TSval seen */
	__u32 ts_val[2];	/* the one TSval waiting for its echo in TSecr */
	__u64 ts_ns[2];		/* when ts_val was first seen */
	__u32 rtt_samples[2];	/* [d]: TSvals sent in direction d whose echo came
				 * back: observation point to the receiver and back */
	__u32 syn[2];
	/* 128: the round-trip times, the TCP edges, and the handshake, kept
	 * on the SYN/FIN/RST path only (kern/lib/latency.h), with the fine
	 * clock */
	__u64 rtt_min_ns[2];	/* valid when rtt_samples[d] > 0 */
	__u64 rtt_max_ns[2];
	__u64 rtt_sum_ns[2];
	__u32 fin[2];
	__u32 rst[2];
	__u64 first_ns;		/* first packet, CLOCK_MONOTONIC ns (replay: capture time) */
	__u64 syn_ns;		/* first SYN (without ACK) */
	__u64 hs_mark_ns;	/* the latest SYN, then the SYN-ACK: what the
				 * next handshake step is timed from */
	__u64 syn_synack_ns;	/* latest SYN to the first SYN-ACK */
	__u64 synack_ack_ns;	/* SYN-ACK to the SYN sender's first ACK; their
				 * sum is Wireshark's tcp.analysis.initial_rtt.
				 * Each of the three times is valid when its
				 * hs_seen bit is set (0 ns is a real value) */
	__u32 syn_retransmits;	/* SYNs after the first from the SYN's side */
	__u32 reserved;
	/* 240: the local workload behind the flow (kern/lib/owner.h) */
	__u64 cgroup_id;	/* cgroup v2 id (the inode of its directory) of a
				 * local socket of the flow; 0: none found */
	__u64 sock_cookie;	/* that socket's cookie (SO_COOKIE) */
};

/* Where a flow's cgroup_id came from. */
enum xtap_owner {
	XTAP_OWNER_NONE = 0,
	XTAP_OWNER_EGRESS = 1,	/* the socket of an outbound skb at TC egress */
	XTAP_OWNER_LISTENER = 2,	/* the listener an inbound SYN is for, looked up
				 * at ingress (no socket cookie) */
};

#define XTAP_HS_SEEN_SYN 0x01		/* syn_ns */
#define XTAP_HS_SEEN_SYNACK 0x02	/* syn_synack_ns */
#define XTAP_HS_SEEN_ACK 0x04		/* synack_ack_ns */

/* Where a flow's handshake is. While it is SYN_SENT or SYNACK, the flow is
 * kept out of the per-CPU write-back entries, so that the ACK completing it
 * (no SYN/FIN/RST) still reaches the shared entry. */
enum xtap_hs_state {
	XTAP_HS_NONE = 0,	/* no SYN seen */
	XTAP_HS_SYN_SENT = 1,	/* SYN seen, no SYN-ACK */
	XTAP_HS_SYNACK = 2,	/* SYN-ACK seen, waiting for the ACK */
	XTAP_HS_DONE = 3,	/* handshake complete, or ended by RST */
};

/* How a TCP connection went: the first of these that applies sticks, except
 * that an established connection later becomes reset or closed (whichever
 * of RST or FIN comes first). */
enum xtap_outcome {
	XTAP_OUTCOME_NONE = 0,		/* not TCP, or no SYN nor end seen */
	XTAP_OUTCOME_SYN_SENT = 1,	/* one SYN, no answer yet */
	XTAP_OUTCOME_UNANSWERED = 2,	/* SYN retransmitted, no SYN-ACK */
	XTAP_OUTCOME_SYNACK = 3,	/* SYN-ACK seen, no ACK yet */
	XTAP_OUTCOME_ESTABLISHED = 4,	/* SYN, SYN-ACK, ACK */
	XTAP_OUTCOME_REFUSED = 5,	/* SYN answered by RST */
	XTAP_OUTCOME_RESET = 6,		/* RST after establishment (or mid-stream) */
	XTAP_OUTCOME_CLOSED = 7,	/* FIN after establishment (or mid-stream) */
	XTAP_OUTCOME_MAX,
};

/*
 * Per-CPU write-back entries in front of the flow table (xtap_fcache, a
 * per-CPU array of XTAP_FCACHE_SLOTS, indexed by a hash of the key). A packet
 * of a flow its CPU already holds adds to the entry here instead of to the
 * shared table: no hash lookup, no atomics. The deltas go to the shared
 * table when the entry has taken XTAP_FCACHE_BATCH packets, when another flow
 * needs the slot, and before any SYN, FIN or RST of the flow, so flag counts
 * and the order of events stay exact. Readers add the deltas still held here
 * (user/maps.c does); a read racing a flush may see one batch twice or not at
 * all, and the next read is exact again.
 */
#define XTAP_FCACHE_SLOTS 256
#define XTAP_FCACHE_BATCH 64

struct xtap_fcache {
	struct xtap_flow_key key;
	__u64 pkts[2];		/* deltas not yet in the shared table */
	__u64 bytes[2];
	__u64 last_ns;
	__u32 tcp_flags[2];
	__u32 count;		/* packets in the deltas */
	__u16 owner_slot;	/* slot that owns the flow's counts */
	__u8 valid;		/* key holds a flow */
	__u8 owner_tried;	/* 1: TC egress looked for the flow's socket while
				 * this entry held it, or the flow has its owner */
	/* 104: retransmissions and passive RTT (kern/lib/latency.h) */
	__u32 seq_next[2];	/* this CPU's sequence high-water marks, taken from
				 * the shared entry with the slot; the larger one
				 * goes back when flushed */
	__u32 retrans[2];	/* deltas */
	__u32 tsval[2];		/* the last TSval and TSecr this entry saw per
				 * direction: a change takes the shared entry */
	__u32 tsecr[2];
	__u8 seq_seen;		/* bit 1 << d: seq_next[d] is set */
	__u8 ts_seen;		/* bit 1 << d: tsval[d] and tsecr[d] are set */
	__u8 reserved1[6];
};

/* Live, the programs take time from bpf_ktime_get_ns() and the frame length
 * from their context. In replay they read both from this one-entry map,
 * which xtap replay fills before each frame: the capture's time (ns since
 * the epoch) and the length the frame had on the wire (a capture may have
 * kept fewer bytes). */
struct xtap_replay_pkt {
	__u64 now_ns;
	__u32 wire_len;
	__u32 reserved;
};

/*
 * The registry of attached interfaces: a user-space-only array map pinned at
 * /sys/fs/bpf/xtap/ifaces, indexed by slot. It is what `xtap detach` and
 * `xtap status` read, so that nothing about an attachment lives only in the
 * memory of the command that made it.
 */
enum xtap_xdp_mode {
	XTAP_XDP_NONE = 0,
	XTAP_XDP_NATIVE = 1,
	XTAP_XDP_GENERIC = 2,
};

enum xtap_xdp_mech {
	XTAP_XDP_LINK = 0,	/* a plain bpf_link, pinned */
	XTAP_XDP_LIBXDP = 1,	/* a program in libxdp's multi-program dispatcher */
};

enum xtap_tc_mech {
	XTAP_TC_NONE = 0,
	XTAP_TC_TCX = 1,	/* tcx links, pinned */
	XTAP_TC_CLSACT = 2,	/* bpf filters on a clsact qdisc */
};

#define XTAP_IFNAMSIZ 16

struct xtap_iface {
	__u32 used;		/* 1 when the slot holds an attachment */
	__u32 ifindex;
	__u64 netns_dev;	/* st_dev and st_ino of the network namespace */
	__u64 netns_ino;
	char name[XTAP_IFNAMSIZ];
	__u32 hooks;		/* bit per enum xtap_hook */
	__u8 xdp_mode;		/* enum xtap_xdp_mode */
	__u8 xdp_mech;		/* enum xtap_xdp_mech */
	__u8 tc_mech;		/* enum xtap_tc_mech */
	__u8 clsact_created;	/* 1: xtap made the clsact qdisc and removes it */
	__u32 prog_id[XTAP_HOOK_MAX];
	__u32 tc_handle[2];	/* clsact filters: [0] ingress, [1] egress */
	__u32 tc_prio[2];
	__u32 reserved;
	__u64 attached_ns;	/* CLOCK_REALTIME */
	__u64 netns_cookie;	/* SO_NETNS_COOKIE: unlike the inode, never reused */
};

/*
 * Packet capture (xtap capture, xtap replay -w). The programs copy each
 * selected packet, up to the snap length, into the capture's BPF ring
 * buffers, shared by every attached interface: a struct xtap_capture_rec,
 * then the bytes. What is selected lives in the config map (one entry per
 * capture), read per packet, so that a capture can start and stop while the
 * programs stay attached.
 */
#define XTAP_CAPTURE_VERSION 3
/* Largest snap length, tcpdump's: frames longer than this are cut, and the
 * record keeps their wire length. The programs copy a frame of up to
 * XTAP_CAPTURE_CHUNK bytes in one piece, a longer one (a jumbo frame, an XDP
 * multi-buffer frame, a GSO packet at TC) in pieces of that size. */
#define XTAP_SNAP_MAX 262144u
#define XTAP_CAPTURE_CHUNK 16384u
#define XTAP_RING_SIZE_DEFAULT (16u << 20)

struct xtap_capture_cfg {
	__u32 enabled;		/* 0: the programs capture nothing */
	__u32 snaplen;		/* bytes per packet; 0 or above XTAP_SNAP_MAX: XTAP_SNAP_MAX */
	__u32 sample;		/* keep 1 in N at random; 0 and 1 keep every packet */
	__u32 hooks;		/* bit per enum xtap_hook; 0: the hooks that count the
				 * packet into flows (each packet once per interface) */
	__u64 slots;		/* bit per interface slot; 0: every slot */
	__u32 owner_pid;	/* the xtap capture that set this up */
	__u32 sample_flows;	/* K > 0: keep the first K packets of each flow, and
				 * every TCP SYN, FIN and RST (then sample is ignored) */
	__u32 gen;		/* a new number for each capture: older flow counts
				 * in xtap_capflows do not apply */
	__u32 reserved;
	__u64 cgroup_id;	/* non-zero: only packets whose flow has this local
				 * cgroup (struct xtap_flow cgroup_id) */
};

/* Per-flow packet count of a flow-sampled capture (xtap_capflows, an LRU
 * hash keyed by struct xtap_flow_key; one per capture id). */
struct xtap_capflow {
	__u32 gen;		/* xtap_capture_cfg.gen when counted */
	__u32 pkts;
};

#define XTAP_CAPFLOWS_MAX 16384

/*
 * Several captures at once, each with its own config (xtap_capture[id]),
 * filter, ring and counters. xtap_live.capture_on is one word: bit id set
 * while capture id runs, so that with no capture the programs pay one load.
 * When it is not 0 the program writes the head of the per-CPU struct
 * xtap_capture_pkt (one store) and tail-calls entry id of its hook's program
 * array (xtap_capprog_xdp, xtap_capprog_tc) for the lowest capture id that
 * runs: the capture's translated filter, which on a verdict to hand on
 * writes it there with its id and tail-calls entry XTAP_CAPTURE_STEP, the
 * copy. An empty entry means no filter (the program goes to
 * XTAP_CAPTURE_STEP with verdict ~0). The copy then goes on to the next
 * capture id the same way: tail calls do not return.
 * Each capture writes to its rings: xtap_rings[id * XTAP_CAPTURE_RINGS +
 * cpu % XTAP_CAPTURE_RINGS], which may all be one ring or one per CPU.
 */
#define XTAP_CAPTURES_MAX 4
#define XTAP_CAPTURE_STEP XTAP_CAPTURES_MAX	/* program array index of the copy */
#define XTAP_CAPTURE_RINGS 64			/* ring entries per capture */

/* What the data-plane program tells the filters and the copy: one 64-bit
 * store, the whole cost of the scratch to a packet every filter rejects. */
union xtap_capture_head {
	struct {
		__u32 mask;	/* xtap_live.capture_on when the packet came */
		__u16 slot;	/* interface slot */
		__u8 hook;	/* enum xtap_hook */
		__u8 has_flow;	/* XTAP_CAPTURE_UNPARSED until the copy parsed it */
	};
	__u64 word;
};

struct xtap_capture_pkt {
	__u32 verdict;		/* the filter's: bytes to keep, 0 to skip; first */
	__u32 cur;		/* the capture the verdict is of */
	union xtap_capture_head h;
	/* the rest is filled by the copy, which parses the packet again */
	__u32 wire_len;		/* the frame's length */
	__u8 flow_dir;		/* enum xtap_dir, or XTAP_CAPTURE_NO_FLOW */
	__u8 edge;		/* a TCP SYN, FIN or RST (not a later fragment) */
	__u16 reserved0;
	struct xtap_flow_key key;
};

#define XTAP_CAPTURE_UNPARSED 0xff	/* xtap_capture_pkt.has_flow */

/* Per capture id, per CPU (xtap_capstats). */
struct xtap_capture_stats {
	__u64 captured;		/* records written to the ring */
	__u64 dropped;		/* packets lost: the ring was full */
};

#define XTAP_CAPTURE_NO_FLOW 0xff	/* xtap_capture_rec.flow_dir: not IP */

struct xtap_capture_rec {
	__u16 version;		/* XTAP_CAPTURE_VERSION: always first */
	__u8 hook;		/* enum xtap_hook */
	__u8 flow_dir;		/* enum xtap_dir, or XTAP_CAPTURE_NO_FLOW */
	__u16 slot;		/* interface slot */
	__u16 reserved0;
	__u32 ifindex;		/* live: the interface; replay: what test-run gave */
	__u32 wire_len;		/* the frame's length */
	__u32 cap_len;		/* bytes that follow this header */
	__u32 reserved1;
	__u64 ts_ns;		/* live: CLOCK_MONOTONIC; replay: the capture's time */
	__u64 flow_id;		/* xtap_flow_id() of the packet's flow; 0: no flow */
	__u64 cgroup_id;	/* the flow's local cgroup when the packet was
				 * copied (struct xtap_flow cgroup_id); 0: none yet */
	/* __u8 data[cap_len] */
};

/*
 * AF_XDP capture (xtap capture --afxdp). Per interface slot, a bit of
 * xtap_live.xsk_slots says whether the XDP program hands sampled frames to
 * AF_XDP sockets, and a config entry (xtap_xsk_cfg, an array indexed by
 * slot) how and for whom; the sockets sit in one XSKMAP
 * (xtap_xsk) at XTAP_XSK_KEY(slot, rx queue). A frame so redirected is
 * consumed: it does not reach the stack. Frames not selected go on.
 */
#define XTAP_XSK_QUEUES 64	/* RX queues per interface that can be captured */
#define XTAP_XSK_KEY(slot, queue) ((slot) * XTAP_XSK_QUEUES + (queue))
#define XTAP_XSK_META_MAGIC 0x78736b31	/* "xsk1" */

struct xtap_xsk_cfg {
	__u32 enabled;		/* 0: no frame is redirected */
	__u32 sample;		/* redirect 1 in N at random; 0 and 1: every frame */
	__u32 owner_pid;	/* the xtap capture that set this up */
	__u32 reserved;
};

/* Written by the XDP program in front of each redirected frame (data_meta):
 * the kernel's receive time. User space checks magic before using it. */
struct xtap_xsk_meta {
	__u64 ts_ns;		/* CLOCK_MONOTONIC */
	__u32 magic;		/* XTAP_XSK_META_MAGIC */
	__u32 reserved;
};

_Static_assert(sizeof(struct xtap_xsk_cfg) == 16, "xtap_xsk_cfg layout");
_Static_assert(sizeof(struct xtap_xsk_meta) == 16, "xtap_xsk_meta layout");

/*
 * Per-service latency histograms (xtap_hist, a per-CPU hash). A service is
 * the server side of a conversation: address, port and protocol. Each kind
 * of latency has its own log2 histogram in nanoseconds: bucket 0 holds 0 and
 * 1 ns, bucket i (i > 0) holds [2^i, 2^(i+1)) ns, the last bucket everything
 * from 2^(XTAP_HIST_BUCKETS-1) ns (about 9 minutes) up. Readers add the
 * per-CPU values (max: the largest).
 */
enum xtap_lat_kind {
	XTAP_LAT_HANDSHAKE = 0,	/* TCP SYN to the ACK of the SYN-ACK (initial RTT) */
	XTAP_LAT_HTTP = 1,	/* HTTP request to the first byte of its response */
	XTAP_LAT_DNS = 2,	/* DNS query to its response */
	XTAP_LAT_RTT = 3,	/* passive RTT samples from TCP timestamps */
	XTAP_LAT_TLS_HELLO = 4,	/* TLS ClientHello to the first ServerHello */
	XTAP_LAT_TLS_DATA = 5,	/* TLS ClientHello to the client's first
				 * application-data record */
	XTAP_LAT_KIND_MAX,
};

#define XTAP_HIST_BUCKETS 40
#define XTAP_HIST_MAX 4096	/* services x kinds */

struct xtap_svc_key {
	__u8 addr[16];		/* server address, IPv4-mapped for IPv4 */
	__u16 port;		/* server port, host byte order */
	__u8 proto;		/* IPPROTO_* */
	__u8 kind;		/* enum xtap_lat_kind */
	__u32 reserved;
};

struct xtap_hist {
	__u64 count;
	__u64 sum_ns;
	__u64 max_ns;
	__u64 bucket[XTAP_HIST_BUCKETS];
};

/*
 * Per-flow HTTP/1.x and DNS state (xtap_app, an LRU hash keyed by struct
 * xtap_flow_key), kept by kern/lib/app.h. An entry exists only for flows that
 * carried an HTTP request line or status line, or a DNS message on port 53.
 * The server is the side requests and queries go to: req_dir is the
 * direction they travel in. Each response is timed from the first segment
 * of its request (HTTP: requests matched in order, pipelining included;
 * DNS: by query id) to the first segment of the response.
 */
#define XTAP_APP_MAX 16384
#define XTAP_APP_PENDING 4	/* outstanding requests/queries kept per flow */
#define XTAP_HTTP_METHOD_LEN 8
#define XTAP_HTTP_PATH_LEN 64
#define XTAP_HTTP_HOST_LEN 64
#define XTAP_DNS_NAME_LEN 64

enum xtap_app_kind {
	XTAP_APP_NONE = 0,
	XTAP_APP_HTTP = 1,
	XTAP_APP_DNS = 2,
	XTAP_APP_TLS = 3,
	XTAP_APP_QUIC = 4,	/* QUIC Initial packets on UDP port 443: requests
				 * counts the client's, responses the server's,
				 * tls.quic_version the version of the last one */
};

/*
 * A TLS handshake seen on a TCP flow (any port), kern/lib/tls.h: what the
 * ClientHello offered and the ServerHello chose, and the handshake's times.
 * req_dir of the entry is the client's direction; requests counts
 * ClientHellos (2 after a HelloRetryRequest), responses ServerHellos.
 */
#define XTAP_TLS_SNI_LEN 64
#define XTAP_TLS_ALPN_LEN 16
#define XTAP_TLS_ALPN_KEPT 2

#define XTAP_TLS_F_CH 0x0001		/* a ClientHello: ch_ns and the offer are set */
#define XTAP_TLS_F_SH 0x0002		/* a ServerHello that is not a HelloRetryRequest */
#define XTAP_TLS_F_HRR 0x0004		/* a HelloRetryRequest */
#define XTAP_TLS_F_CH2 0x0008		/* the ClientHello answering the HelloRetryRequest */
#define XTAP_TLS_F_HELLO 0x0010		/* hello_ns is set */
#define XTAP_TLS_F_DATA 0x0020		/* data_ns is set */
#define XTAP_TLS_F_CH_CUT 0x0040	/* the ClientHello was cut: what followed the
					 * cut is unknown, not absent */
#define XTAP_TLS_F_SH_CUT 0x0080	/* the same for the ServerHello */

struct xtap_tls {
	__u64 ch_ns;		/* the first ClientHello */
	__u64 hello_ns;		/* the first ClientHello to the first ServerHello
				 * (the HelloRetryRequest when there is one) */
	__u64 data_ns;		/* the first ClientHello to the client's first
				 * application-data record (type 23) */
	__u16 ch_version;	/* the ClientHello's legacy_version */
	__u16 offered_max;	/* the highest supported_versions entry (GREASE
				 * skipped); 0: no such extension */
	__u16 sh_version;	/* the ServerHello's legacy_version */
	__u16 version;		/* chosen: the ServerHello's supported_versions,
				 * else its legacy_version */
	__u16 cipher;		/* chosen cipher suite */
	__u16 flags;		/* XTAP_TLS_F_* */
	__u8 offered;		/* bit v & 7 for each v 0x0300..0x0304 in
				 * supported_versions */
	__u8 sni_len;		/* bytes in sni (the name, cut at 64) */
	__u8 alpn_n;		/* ALPN protocols offered (counted up to 8) */
	__u8 alpn_len[XTAP_TLS_ALPN_KEPT];	/* bytes in alpn[i], cut at 16 */
	__u8 reserved[3];
	__u32 quic_version;	/* kind XTAP_APP_QUIC: the last Initial's version */
	char sni[XTAP_TLS_SNI_LEN];		/* server_name, not terminated */
	char alpn[XTAP_TLS_ALPN_KEPT][XTAP_TLS_ALPN_LEN];	/* the first two */
};

#define XTAP_APP_F_UPGRADED 0x01	/* HTTP 101: what follows is not HTTP */
#define XTAP_APP_F_REQ_SEQ 0x02		/* req_seq holds a request's TCP sequence */
#define XTAP_APP_F_RESP_SEQ 0x04	/* resp_seq holds a response's */

#define XTAP_PEND_USED 0x01	/* DNS: the slot holds a query */
#define XTAP_PEND_UNTIMED 0x02	/* HTTP: the request's time is unknown (split line) */
#define XTAP_PEND_ANSWERED 0x04	/* HTTP: an interim 1xx response was timed already */

/* One outstanding request or query. HTTP: request number idx in slot
 * idx % XTAP_APP_PENDING; DNS: any free slot, found by id. */
struct xtap_app_pend {
	__u64 ns;		/* when it was seen */
	__u32 idx;		/* HTTP: the request's number on the flow (from 0) */
	__u16 id;		/* DNS: query id */
	__u8 flags;		/* XTAP_PEND_* */
	__u8 reserved;
};

struct xtap_app {
	__u8 kind;		/* enum xtap_app_kind */
	__u8 req_dir;		/* enum xtap_dir requests travel in */
	__u16 owner_slot;	/* interface slot that tracks the flow: the first
				 * to see it, so a packet crossing several attached
				 * interfaces is counted once */
	__u32 flags;		/* XTAP_APP_F_* */
	__u64 requests;		/* HTTP requests / DNS queries */
	__u64 responses;	/* responses, timed or not */
	__u64 timed;		/* responses timed against their request */
	__u64 sum_ns;		/* of the timed responses */
	__u64 max_ns;
	__u64 last_ns;		/* the last timed response's time */
	__u64 unanswered;	/* DNS: queries pushed out of the table with no
				 * response (readers add the ones still pending);
				 * HTTP: requests whose response was not timed
				 * because more were outstanding */
	__u32 n_req;		/* HTTP: requests queued so far (split ones too) */
	__u32 n_resp;		/* HTTP: final responses matched so far */
	__u32 req_seq;		/* TCP sequence of the last request segment and of */
	__u32 resp_seq;		/* the last response: a retransmission repeats it */
	struct xtap_app_pend pend[XTAP_APP_PENDING];
	/* 144: HTTP */
	__u32 status_class[5];	/* responses 1xx .. 5xx */
	__u16 last_status;	/* 0: no response yet */
	__u16 reserved0;
	char method[XTAP_HTTP_METHOD_LEN];	/* the last request's; NUL padded */
	char path[XTAP_HTTP_PATH_LEN];		/* cut at 64 bytes, not terminated then */
	char host[XTAP_HTTP_HOST_LEN];		/* Host header, when in the same segment */
	/* 304: DNS */
	__u16 dns_id;		/* the last query's id */
	__u16 dns_qtype;	/* and its first question's type */
	__u8 dns_rcode;		/* the last response's code */
	__u8 reserved1;
	__u16 dns_errors;	/* responses with a non-zero code */
	__u32 dns_retransmits;	/* queries repeating an outstanding id */
	__u32 reserved2;
	char dns_name[XTAP_DNS_NAME_LEN];	/* the last query's first question
						 * name as on the wire (length-prefixed
						 * labels), cut at 64 bytes */
	/* 384: TLS */
	struct xtap_tls tls;
};

_Static_assert(sizeof(struct xtap_app_pend) == 16, "xtap_app_pend layout");
_Static_assert(sizeof(struct xtap_tls) == 144, "xtap_tls layout");
_Static_assert(sizeof(struct xtap_app) == 528, "xtap_app layout");

/* Per-hop latency and loss: the method and the maps are described in
 * kern/lib/hop.h. */
#define XTAP_HOP_SEEN_MAX 65536	/* a power of two */
#define XTAP_HOPS_MAX 1024
#define XTAP_HOP_INDEX_NEXT (XTAP_MAX_POINTS * XTAP_MAX_POINTS)
#define XTAP_HOP_TIMEOUT_MS 1000	/* a sighting older than this matches nothing */
#define XTAP_HOP_META_MAGIC 0x78746870u	/* "xthp" */

/* Trajectory sampling (struct xtap_live.hop): a packet is followed
 * when the top sample_shift bits of a hash of its invariant fields are zero
 * (kern/lib/hop.h: hop_sample_hash), 1 in 2^sample_shift; every point
 * decides alike, so a followed packet is followed along its whole path.
 * 0: every packet (what a state fresh from the loader holds). xtap attach
 * writes XTAP_HOP_SAMPLE_SHIFT_DEFAULT into a state it finds unconfigured,
 * and --hop-sample's shift into any. */
#define XTAP_HOP_SAMPLE_SHIFT_MAX 16
#define XTAP_HOP_SAMPLE_SHIFT_DEFAULT 4	/* 1 in 16 */

struct xtap_hop_cfg {
	__u32 sample_shift;
	__u32 configured;	/* 1 once xtap attach has written it */
};

/* Sampled flow accounting (struct xtap_live.flow; xtap attach --sampling
 * N). With sampling N > 1 a packet is accounted to its flow with
 * probability 1/N and adds N packets and N times its length; TCP SYN, FIN
 * and RST are always accounted, once. 0 and 1: every packet. The flow
 * records the N it was created under (struct xtap_flow.sampling). */
#define XTAP_SAMPLING_MAX 65535

struct xtap_flow_cfg {
	__u32 sampling;
	__u32 reserved;
};

/*
 * xtap_live: what changes while xtap is attached, read by the programs on
 * every packet. One per pinned state, shared by every loaded instance: the
 * programs' global data section ".data.live", which the loader pins as
 * xtap_live and the next instance reuses, so the programs read it by
 * address with no map lookup. User space maps it (BPF_F_MMAPABLE) and
 * writes one field at a time (loader/live.h); the bit masks with atomic
 * operations, as several captures may run at once. The handshake marks of
 * the flow sample (kern/lib/sample.h), written by the programs, start on
 * a cache line of their own.
 */
#define XTAP_HS_SLOTS 4096	/* bits in xtap_live.hs */

struct xtap_live {
	struct xtap_flow_cfg flow;
	struct xtap_hop_cfg hop;
	__u32 capture_on;	/* bit id set while capture id runs */
	__u32 reserved0;
	__u64 xsk_slots;	/* bit slot set while AF_XDP capture is on
				 * there (its settings: xtap_xsk_cfg) */
	struct xtap_tun_cfg tun;
	__u64 reserved1;
	__u64 hs[XTAP_HS_SLOTS / 64];
};

struct xtap_hop_key {
	__u16 from;		/* XTAP_POINT */
	__u16 to;
};

/* A slot of xtap_hop_seen. at packs the time and the point into one word,
 * so that a reader never sees the time of one sighting with the point of
 * another: (CLOCK_MONOTONIC ns << 8) | XTAP_POINT, the time modulo 2^56 ns
 * (2.28 years; ages are taken modulo the same). at 0: an empty slot. */
struct xtap_hop_seen {
	__u64 fp;		/* the fingerprint */
	__u64 at;
};

#define XTAP_HOP_AT(ns, point) ((__u64)(ns) << 8 | (__u8)(point))
#define XTAP_HOP_AT_POINT(at) ((__u16)((at) & 0xff))
/* the age of a sighting at now, modulo 2^56 ns: a time ahead of now reads
 * as very old */
#define XTAP_HOP_AT_AGE(at, now) ((((__u64)(now) << 8) - ((at) & ~0xffull)) >> 8)

/* XDP's stamp in the metadata area, right before the frame: TC ingress of
 * the same interface finds it by the magic and the point. */
struct xtap_hop_meta {
	__u64 ns;
	__u64 fp;		/* the fingerprint: TC need not compute it again */
	__u32 point;		/* XTAP_POINT of the XDP hook that stamped */
	__u32 magic;		/* XTAP_HOP_META_MAGIC, last: adjacent to the frame */
};

/*
 * Drops (kern/drops.bpf.c, a tracepoint on skb:kfree_skb): IP packets the
 * kernel freed with a drop reason, per flow, interface and reason. reason is
 * the kernel's enum skb_drop_reason; user space names it from the kernel BTF.
 */
#define XTAP_DROPS_MAX 16384

struct xtap_drop_key {
	struct xtap_flow_key flow;	/* same normalisation as xtap_flows */
	__u32 ifindex;		/* skb->dev, 0 when none */
	__u32 netns_ino;	/* the device's network namespace */
	__u32 reason;		/* enum skb_drop_reason */
	__u8 sk_state;		/* TCP: the receiving socket's state (the kernel's
				 * TCP_ESTABLISHED=1 ... TCP_TIME_WAIT=6), 0 when none */
	__u8 reserved[3];
};

struct xtap_drop_val {
	__u64 pkts;
	__u64 bytes;
	__u64 last_ns;
};

/*
 * The exporter's cursor (xtap export): what was exported lives with the flow
 * table, so that a new exporter continues the deltas where the last one
 * stopped. User space only; the first attach makes these maps next to the
 * flow table and `xtap detach --all` removes them with it.
 *   xtap_exp_marks  hash, struct xtap_flow_key -> struct xtap_export_mark:
 *                   what the records of each flow entry carried so far
 *   xtap_exp_svc    hash, struct xtap_svc_key -> struct xtap_hist: each
 *                   service histogram as it last went
 *   xtap_exp_info   one-entry array of struct xtap_export_info: the running
 *                   exporter and the counters of all exporters so far
 * One exporter at a time owns them (user/exporter.h).
 */
#define XTAP_EXP_MARKS "xtap_exp_marks"
#define XTAP_EXP_SVC "xtap_exp_svc"
#define XTAP_EXP_INFO "xtap_exp_info"

struct xtap_export_mark {
	__u64 first_ns;		/* the flow entry's: another value is another entry */
	__u64 pkts[2];		/* exported so far, by enum xtap_dir */
	__u64 bytes[2];
	__u32 retrans[2];
	__u64 export_ns;	/* when its last record went, CLOCK_MONOTONIC */
	__u64 end_ns;		/* the flow's last_ns in that record */
};

struct xtap_export_info {
	__u32 owner_pid;	/* the exporter that runs now; 0: none */
	__u32 reserved;
	__u64 svc_ns;		/* when the service histograms last went, CLOCK_MONOTONIC */
	__u64 sent;		/* data records handed to the collector or the file */
	__u64 unsent;		/* records that never left: no connection, a failed send */
	__u64 possibly_lost;	/* sent, but while the collector refused messages: it may
				 * have been away, or without the templates to read them */
	__u64 errors;		/* failed connects and sends, refusals */
	__u64 reserved1[2];
};

_Static_assert(sizeof(struct xtap_export_mark) == 64, "xtap_export_mark layout");
_Static_assert(sizeof(struct xtap_export_info) == 64, "xtap_export_info layout");

_Static_assert(sizeof(struct xtap_hop_key) == 4, "xtap_hop_key layout");
_Static_assert(sizeof(struct xtap_hop_cfg) == 8, "xtap_hop_cfg layout");
_Static_assert(sizeof(struct xtap_flow_cfg) == 8, "xtap_flow_cfg layout");
_Static_assert(sizeof(struct xtap_hop_seen) == 16, "xtap_hop_seen layout");
_Static_assert(XTAP_MAX_POINTS <= 256, "a point fits the 8 low bits of xtap_hop_seen.at");
_Static_assert((XTAP_HOP_SEEN_MAX & (XTAP_HOP_SEEN_MAX - 1)) == 0, "XTAP_HOP_SEEN_MAX: a power of two");
_Static_assert(sizeof(struct xtap_hop_meta) == 24, "xtap_hop_meta layout");
_Static_assert(sizeof(struct xtap_drop_key) == 64, "xtap_drop_key layout");
_Static_assert(sizeof(struct xtap_drop_val) == 24, "xtap_drop_val layout");

_Static_assert(sizeof(struct xtap_svc_key) == 24, "xtap_svc_key layout");
_Static_assert(sizeof(struct xtap_hist) == 8 * (3 + XTAP_HIST_BUCKETS), "xtap_hist layout");

_Static_assert(sizeof(struct xtap_capture_cfg) == 48, "xtap_capture_cfg layout");
_Static_assert(sizeof(struct xtap_capflow) == 8, "xtap_capflow layout");
_Static_assert(sizeof(struct xtap_capture_rec) == 48, "xtap_capture_rec layout");
_Static_assert(sizeof(struct xtap_capture_pkt) == 72, "xtap_capture_pkt layout");
_Static_assert(sizeof(union xtap_capture_head) == 8, "xtap_capture_head layout");
_Static_assert(sizeof(struct xtap_capture_stats) == 16, "xtap_capture_stats layout");

_Static_assert(sizeof(struct xtap_iface) == 96, "xtap_iface layout");

_Static_assert(sizeof(struct xtap_flow_key) == 48, "xtap_flow_key layout");
_Static_assert(sizeof(struct xtap_tun_cfg) == 24, "xtap_tun_cfg layout");
_Static_assert(sizeof(struct xtap_live) == 64 + XTAP_HS_SLOTS / 8, "xtap_live layout");
_Static_assert(__builtin_offsetof(struct xtap_live, hs) == 64, "xtap_live: the marks on their own line");
_Static_assert(sizeof(struct xtap_tunnel) == 56, "xtap_tunnel layout");
_Static_assert(sizeof(struct xtap_flow) == 256, "xtap_flow layout");
_Static_assert(__builtin_offsetof(struct xtap_flow, sampling) == 64 &&
	       __builtin_offsetof(struct xtap_flow, rtt_min_ns) == 128 &&
	       __builtin_offsetof(struct xtap_flow, cgroup_id) == 240,
	       "xtap_flow: the per-packet fields on the first cache line");
_Static_assert(sizeof(struct xtap_stats) == 8 * XTAP_STAT_MAX, "xtap_stats layout");
_Static_assert(sizeof(struct xtap_fcache) == 144, "xtap_fcache layout");

#endif
