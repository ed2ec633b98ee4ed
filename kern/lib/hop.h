/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Per-hop latency and loss between attach points: the method, and the maps
 * xtap_hop_* it keeps (their types are in maps/xtap.h).
 *
 * A packet is recognised at every point of its path by a 64-bit fingerprint
 * of the fields that forwarding leaves alone:
 *   - source and destination address (IPv4-mapped for IPv4), protocol,
 *     IP version, the L4 payload length (from the IP length fields);
 *   - IPv4: the identification field; IPv6: the 20-bit flow label. Both are
 *     set by the sender per packet (or per flow) and copied by routers;
 *   - TCP: ports, sequence and acknowledgement numbers, flags;
 *     UDP: ports; ICMP and ICMPv6: type, code and the header's second word
 *     (echo identifier and sequence number).
 * Left out on purpose: TTL / hop limit (decremented per hop), the IPv4
 * header checksum (rewritten with the TTL), L4 checksums (offloads fill them
 * in at different points), MAC addresses and VLAN tags (rewritten per link),
 * the IPv4 TOS / IPv6 traffic class (DSCP re-marking, ECN CE marking).
 * NAT changes addresses and ports: a NATed packet starts a new path.
 * Multicast and broadcast packets, which go on to several next points, are
 * not followed.
 *
 * Collisions: two packets that agree in every field above share a
 * fingerprint (a retransmitted IPv6 TCP segment with the same flow label,
 * back-to-back unconnected IPv4 UDP datagrams of one length, which carry ID
 * 0). While both are in flight the second restarts the first one's path, so
 * at most one hop time is taken between the two instead of along each. Two
 * different packets share a fingerprint through the 64-bit hash with
 * probability about 2^-64 per pair: the slot keeps the whole fingerprint and
 * a packet matches only its own.
 *
 * The sightings: xtap_hop_seen, an array of XTAP_HOP_SEEN_MAX slots, the
 * slot of a fingerprint its low 16 bits (direct-mapped: one inlined array
 * lookup per packet, no hash table). A slot holds a fingerprint and its
 * last point and time, the two in one word (maps/xtap.h: xtap_hop_seen.at).
 * A later point that finds its fingerprint there within
 * XTAP_HOP_TIMEOUT_NS adds the difference to the hop's histogram and takes
 * the slot over, so each hop is between consecutive points. Nothing is
 * guessed: a slot that holds another fingerprint, or nothing, is no match,
 * and the packet starts a path there (XTAP_STAT_HOP_FIRST), taking the slot.
 *
 * Overwrites: a packet that takes a slot whose sighting is younger than the
 * timeout ends that sighting (XTAP_STAT_HOP_OVERWRITE); the packet it
 * belonged to, if still travelling, starts a new path at its next point,
 * so the hop it was on is missed (never mis-timed). With packets followed at
 * a rate of R per second and hops of latency L, a sighting is overwritten
 * before its next point with probability about R * L / XTAP_HOP_SEEN_MAX
 * (1 Mpps and 100 us: 0.15%); a sighting that waits for `xtap hops` to call
 * its packet lost survives the timeout with probability about
 * exp(-R * timeout / XTAP_HOP_SEEN_MAX), so at high rates loss is seen only
 * through sampling (--hop-sample) or a shorter read interval.
 *
 * Concurrent writers: slots are plain memory shared by all CPUs. A reader
 * reads fp, then at, then fp again; a writer that takes a slot over writes
 * at = 0, fp, then at (volatile stores, in that order). On a CPU that keeps
 * stores and loads in order (x86) a reader that sees a new at also sees the
 * new fp and drops the match, and one that sees the new fp sees at 0 or the
 * new at. What is left is two packets with different fingerprints taking
 * one slot over on two CPUs within the same few nanoseconds, which can pair
 * one's fingerprint with the other's time and point: one packet's next hop
 * mis-timed, with probability about (concurrent takeovers) / 65536. On
 * weakly ordered CPUs the same error has a wider window. Moving a sighting
 * on is one store of at, never torn.
 *
 * Histograms: a hop (from, to) finds its struct xtap_hist in the per-CPU
 * array xtap_hops through xtap_hop_index (two inlined array lookups), whose
 * entry from * XTAP_MAX_POINTS + to holds 1 + the histogram's index, 0
 * while the hop has none; its last entry, XTAP_HOP_INDEX_NEXT, is the
 * allocator (the next free index). The first time a hop is seen it takes
 * the next free index with an atomic add and publishes it with a
 * compare-and-swap (a CPU that loses the race uses the winner's and wastes
 * one index). Past XTAP_HOPS_MAX hops a new hop is counted
 * (XTAP_STAT_HOP_FULL), not recorded.
 *
 * Loss is finished in user space: `xtap hops` clears the sightings older
 * than its timeout that stopped at a point with a usual next point, and
 * counts them per hop into xtap_hop_lost, which only it writes.
 *
 * Within one interface, XDP also writes its time and the fingerprint into
 * the metadata area in front of the frame, only when the area is empty and
 * has room, marked with XTAP_HOP_META_MAGIC and the XDP point; TC ingress of
 * the same interface takes the driver-to-stack hop from there without
 * computing the fingerprint. Where the stamp does not arrive (generic XDP
 * on kernels that do not hand metadata to the skb, no headroom, metadata in
 * use by another program) TC ingress falls back to the fingerprint.
 *
 * Cost: on every IP packet the sample decision (xtap_live.hop, 1 in 16 by
 * default from xtap attach: trajectory sampling, the same packets at every
 * point), a hash of a few loads and one multiply; on a followed packet the
 * fingerprint, the global call, the clock (bpf_ktime_get_ns, the dearest
 * part), the slot and, on a match, the histogram: all array memory, no hash
 * lookup; at XDP also the metadata stamp.
 *
 * Not in replay (one point, capture times) and not when built with
 * -DXTAP_FEATURE_HOPS=0.
 */
#ifndef XTAP_KERN_HOP_H
#define XTAP_KERN_HOP_H

#include "config.h"
#include "live.h"
#include "stats.h"
#include "pkt_ctx.h"
#include "parse.h"
#include "hist.h"

#define XTAP_HOP_TIMEOUT_NS (XTAP_HOP_TIMEOUT_MS * 1000000ull)

/* Direct-mapped sightings: slot fp & (XTAP_HOP_SEEN_MAX - 1). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XTAP_HOP_SEEN_MAX);
	__type(key, __u32);
	__type(value, struct xtap_hop_seen);
} xtap_hop_seen SEC(".maps");

/* (from, to) -> 1 + its histogram's index in xtap_hops; the last entry
 * allocates (maps/xtap.h) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XTAP_HOP_INDEX_NEXT + 1);
	__type(key, __u32);
	__type(value, __u32);
} xtap_hop_index SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XTAP_HOPS_MAX);
	__type(key, __u32);
	__type(value, struct xtap_hist);
} xtap_hops SEC(".maps");

/* XDP's stamp waits here for the entry point: it goes on only once the
 * frame's verdict is known to be "to the stack" (see hop_xdp_stamp). */
struct hop_pending {
	__u64 fp;
	__u64 ns;
	__u32 point;
	__u32 valid;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hop_pending);
} xtap_hop_pending SEC(".maps");

/* Packets lost per hop: written by `xtap hops` only (see Loss above). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XTAP_HOPS_MAX);
	__type(key, struct xtap_hop_key);
	__type(value, __u64);
} xtap_hop_lost SEC(".maps");

/*
 * The fingerprint of an IP packet (see the top of this file). Branch-free:
 * the parser leaves a field zero where the packet has none (no ports in a
 * later fragment, no sequence numbers outside TCP, no ICMP words outside
 * ICMP), so each word below holds just the fields of the packet's kind.
 */
static __always_inline __u64 hop_fingerprint(const struct pkt *p)
{
	__u64 h, l4a, l4b;

	l4a = (__u64)p->sport << 16 | p->dport | (__u64)p->tcp_flags << 32 |
	      (__u64)p->icmp_type << 40 | (__u64)p->icmp_code << 48;
	l4b = ((__u64)p->seq << 32 | p->ack) ^ p->icmp_rest;
	/* multilinear: independent multiplies (they pipeline), each by an odd
	 * constant, so a change in any one word always changes the sum; then
	 * a bijective finalizer spreads it over all 64 bits */
	h = p->saddr64[0] * 0x9e3779b97f4a7c15ull + p->saddr64[1] * 0xc2b2ae3d27d4eb4full +
	    p->daddr64[0] * 0x165667b19e3779f9ull + p->daddr64[1] * 0xd6e8feb86659fd93ull +
	    ((__u64)p->payload_len << 32 | (__u64)p->l4proto << 8 | p->ip_version) *
		    0xff51afd7ed558ccdull +
	    ((__u64)p->ip_ident << 32 | p->frag) * 0xc4ceb9fe1a85ec53ull +
	    l4a * 0x27d4eb2f165667c5ull + l4b * 0x94d049bb133111ebull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

/*
 * Trajectory sampling: a packet is followed when the top sample_shift bits
 * of this hash are zero, at every point alike, since it takes only fields
 * the fingerprint takes (so two packets with one fingerprint share the
 * decision too). Cheaper than the fingerprint, which only the followed
 * packets pay for: the per-packet fields (IPv4 ID or flow label, TCP
 * sequence and acknowledgement, the ICMP echo sequence) and the low words
 * of the addresses and the ports, folded, then one multiply whose top bits
 * depend on every bit folded in.
 */
static __always_inline __u64 hop_sample_hash(const struct pkt *p)
{
	__u64 x = (__u64)(p->saddr[3] ^ p->daddr[3] ^ p->ip_ident) << 32 |
		  (p->seq ^ p->ack ^ p->icmp_rest ^ ((__u32)p->sport << 16 | p->dport));

	return x * 0x9e3779b97f4a7c15ull;
}

/* Multicast and broadcast: one packet, several next points. */
static __always_inline int hop_fans_out(const struct pkt *p)
{
	const __u8 *d = (const __u8 *)p->daddr;

	if (p->ip_version == 6)
		return d[0] == 0xff;
	return (d[12] & 0xf0) == 0xe0 || p->daddr[3] == 0xffffffff;
}

#define HOP_READ(x) (*(volatile __u64 *)&(x))
#define HOP_WRITE(x, v) (*(volatile __u64 *)&(x) = (v))

/* The histogram of the hop (from, to): two array lookups (inlined by the
 * verifier). A hop's first time takes the next free histogram; two CPUs
 * that race for one hop agree through the compare-and-swap, the loser's
 * index stays unused. */
static __always_inline struct xtap_hist *hop_hist(__u32 from, __u32 to, struct xtap_stats *st)
{
	__u32 k = from * XTAP_MAX_POINTS + to, next = XTAP_HOP_INDEX_NEXT, idx, *slot, *alloc;

	if (from >= XTAP_MAX_POINTS || to >= XTAP_MAX_POINTS)
		return NULL;
	slot = bpf_map_lookup_elem(&xtap_hop_index, &k);
	if (!slot)
		return NULL;
	idx = *slot;
	if (!idx) {
		alloc = bpf_map_lookup_elem(&xtap_hop_index, &next);
		if (!alloc)
			return NULL;
		idx = *alloc < XTAP_HOPS_MAX ? __sync_fetch_and_add(alloc, 1) : XTAP_HOPS_MAX;
		if (idx >= XTAP_HOPS_MAX) {
			if (st)
				st->c[XTAP_STAT_HOP_FULL]++;
			return NULL;
		}
		idx++;
		k = __sync_val_compare_and_swap(slot, 0, idx);
		if (k)
			idx = k;	/* another CPU was first */
	}
	idx--;
	return bpf_map_lookup_elem(&xtap_hops, &idx);
}

static __always_inline void hop_add(__u32 from, __u32 to, __u64 ns, struct xtap_stats *st)
{
	struct xtap_hist *h = hop_hist(from, to, st);

	if (h)
		hist_put(h, ns);
}

/* What the data plane calls, hop_observe, hop_xdp_stamp and hop_may_skip,
 * are stubs when XTAP_FEATURE_HOPS is 0. */
#if XTAP_FEATURE_HOPS
/* For a packet the data plane would rather not parse (kern/lib/sample.h):
 * 1 when hop tracking has nothing to do with it here, from the fields
 * hop_sample_hash reads (saddr and daddr the raw IPv4 words, ident raw,
 * seq, ack and ports in host order). A TC ingress packet that carries
 * XDP's stamp is hop tracking's, whatever its hash. */
static __always_inline int hop_may_skip(void *ctx, __u32 hook, __u32 saddr, __u32 daddr,
					__u32 ident, __u32 seq, __u32 ack, __u32 ports)
{
	__u32 shift = xtap_live.hop.sample_shift;
	__u64 x;

	if (xtap_replay_mode)
		return 1;
	if (hook == XTAP_HOOK_TC_INGRESS &&
	    ((struct __sk_buff *)ctx)->data_meta != ((struct __sk_buff *)ctx)->data)
		return 0;
	if (!shift || shift > XTAP_HOP_SAMPLE_SHIFT_MAX)
		return 0;
	x = ((__u64)(saddr ^ daddr ^ ident) << 32 | (seq ^ ack ^ ports)) * 0x9e3779b97f4a7c15ull;
	return (x >> (64 - shift)) != 0;
}

/* TC ingress: XDP's stamp, if this packet carries one from this interface
 * and nothing else in its metadata area. */
static __always_inline int hop_from_meta(struct __sk_buff *skb, __u32 point,
					 struct xtap_stats *st)
{
	void *data = ctx_data(skb, 0);
	struct xtap_hop_meta *m = ctx_data_meta(skb, 0);
	__u32 xdp_point = XTAP_POINT(xtap_slot, XTAP_HOOK_XDP);
	struct xtap_hop_seen *s;
	__u64 now, fp;
	__u32 k;

	/* the stamp alone: had another XDP program put its metadata in front
	 * of it, its offset would be variable; the fingerprint path takes
	 * such packets */
	if ((void *)(m + 1) > data)
		return 0;
	if (data - (void *)m != sizeof(*m))
		return 0;
	if (m->magic != XTAP_HOP_META_MAGIC || m->point != xdp_point)
		return 0;
	now = bpf_ktime_get_ns();
	if (now < m->ns || now - m->ns >= XTAP_HOP_TIMEOUT_NS)
		return 0;
	hop_add(xdp_point, point, now - m->ns, st);
	fp = m->fp;
	k = fp & (XTAP_HOP_SEEN_MAX - 1);
	s = bpf_map_lookup_elem(&xtap_hop_seen, &k);
	if (s) {
		__u64 at = HOP_READ(s->at);

		/* moved on only if still XDP's: not taken over meanwhile */
		if (HOP_READ(s->fp) == fp && at && XTAP_HOP_AT_POINT(at) == xdp_point &&
		    HOP_READ(s->fp) == fp)
			HOP_WRITE(s->at, XTAP_HOP_AT(now, point));
	}
	if (st) {
		st->c[XTAP_STAT_HOP_META]++;
		st->c[XTAP_STAT_HOP_MATCHED]++;
	}
	return 1;
}

/*
 * XDP entry point, after the core, for a packet hop_observe followed: stamp
 * its time and fingerprint in front of the frame, for TC ingress. Call with
 * to_stack 0 when the frame does not go on to the stack (redirected to an
 * AF_XDP socket, whose reader expects only its own metadata): the pending
 * stamp is dropped. Only into an empty metadata area: another program's
 * metadata stays as it is. Moves the packet pointers.
 */
static __always_inline void hop_xdp_stamp(struct xdp_md *x, int to_stack)
{
	struct hop_pending *pd;
	struct xtap_hop_meta *m;
	struct xtap_stats *st;
	__u32 zero = 0;

	pd = bpf_map_lookup_elem(&xtap_hop_pending, &zero);
	if (!pd || !pd->valid)
		return;
	pd->valid = 0;
	if (!to_stack)
		return;
	if (ctx_data_meta(x, 1) != ctx_data(x, 1) ||
	    bpf_xdp_adjust_meta(x, -(int)sizeof(struct xtap_hop_meta)))
		goto no_room;
	m = ctx_data_meta(x, 1);
	if ((void *)(m + 1) > ctx_data(x, 1))
		goto no_room;
	m->ns = pd->ns;
	m->fp = pd->fp;
	m->point = pd->point;
	m->magic = XTAP_HOP_META_MAGIC;
	return;
no_room:
	st = xtap_stats_of(XTAP_HOOK_XDP);
	if (st)
		st->c[XTAP_STAT_HOP_NO_ROOM]++;
}

/*
 * The sighting of a followed packet, fingerprint fp, at (xtap_slot, hook).
 * In XDP its stamp is left pending for hop_xdp_stamp. A global function,
 * so the verifier checks it once on its own instead of once per path
 * through the rest of the program (the whole program would otherwise pass
 * the verifier's instruction limit); it takes the fingerprint, not the
 * packet, so the caller's struct pkt need not live in memory for it.
 */
__attribute__((noinline)) int xtap_hop_see(__u64 fp, __u32 hook)
{
	__u32 point = XTAP_POINT(xtap_slot, hook), zero = 0, k;
	struct xtap_stats *st;
	struct xtap_hop_seen *s;
	__u64 now, at, age;

	st = xtap_stats_of(hook);
	now = bpf_ktime_get_ns();
	k = fp & (XTAP_HOP_SEEN_MAX - 1);
	s = bpf_map_lookup_elem(&xtap_hop_seen, &k);
	if (!s)
		return 0;
	/* fp, at, fp again: a takeover on another CPU between the reads shows
	 * as a changed fp (see the top of this file) */
	at = HOP_READ(s->fp) == fp ? HOP_READ(s->at) : 0;
	age = XTAP_HOP_AT_AGE(at, now);
	if (at && HOP_READ(s->fp) == fp) {
		__u32 from = XTAP_HOP_AT_POINT(at);

		HOP_WRITE(s->at, XTAP_HOP_AT(now, point));
		if (from != point && age < XTAP_HOP_TIMEOUT_NS) {
			hop_add(from, point, age, st);
			if (st)
				st->c[XTAP_STAT_HOP_MATCHED]++;
		} else if (st) {
			/* the same packet again here, or an old sighting: a new path */
			st->c[XTAP_STAT_HOP_REPEAT]++;
		}
	} else {
		at = HOP_READ(s->at);
		if (st && at && XTAP_HOP_AT_AGE(at, now) < XTAP_HOP_TIMEOUT_NS)
			st->c[XTAP_STAT_HOP_OVERWRITE]++;
		/* empty first, so that no reader pairs fp with the old time */
		HOP_WRITE(s->at, 0);
		HOP_WRITE(s->fp, fp);
		HOP_WRITE(s->at, XTAP_HOP_AT(now, point));
		if (st)
			st->c[XTAP_STAT_HOP_FIRST]++;
	}
	if (hook == XTAP_HOOK_XDP) {
		struct hop_pending *pd = bpf_map_lookup_elem(&xtap_hop_pending, &zero);

		if (pd) {
			pd->fp = fp;
			pd->ns = now;
			pd->point = point;
			pd->valid = 1;
		}
	}
	return 0;
}

/* One IP packet at (xtap_slot, hook): the fingerprint and the sample
 * decision here, inline; the sighting of a followed packet in xtap_hop_see.
 * Returns 1 when the packet was followed at XDP: its stamp is pending for
 * hop_xdp_stamp. */
static __always_inline int hop_observe(void *ctx, const struct pkt *p, __u32 hook,
				       struct xtap_stats *st)
{
	__u32 shift;
	__u64 fp;

	if (xtap_replay_mode)
		return 0;
	if (hook == XTAP_HOOK_TC_INGRESS &&
	    hop_from_meta(ctx, XTAP_POINT(xtap_slot, hook), st))
		return 0;
	/* the sample first: the packets outside it pay for nothing more */
	shift = xtap_live.hop.sample_shift;
	if (shift && shift <= XTAP_HOP_SAMPLE_SHIFT_MAX && (hop_sample_hash(p) >> (64 - shift)))
		return 0;		/* not in the sample, here or anywhere */
	if (hop_fans_out(p))
		return 0;
	fp = hop_fingerprint(p);
	xtap_hop_see(fp, hook);
	return hook == XTAP_HOOK_XDP;
}
#else
static __always_inline void hop_xdp_stamp(struct xdp_md *x, int to_stack)
{
}

static __always_inline int hop_may_skip(void *ctx, __u32 hook, __u32 saddr, __u32 daddr,
					__u32 ident, __u32 seq, __u32 ack, __u32 ports)
{
	return 1;
}

static __always_inline int hop_observe(void *ctx, const struct pkt *p, __u32 hook,
				       struct xtap_stats *st)
{
	return 0;
}
#endif

#endif
