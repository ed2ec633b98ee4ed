/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Per TCP flow: the handshake's timing and how the connection went. Runs on
 * the flow's shared entry only, for SYN/FIN/RST packets and for the one ACK
 * that completes a handshake: flow_account keeps a flow whose handshake is
 * under way out of the per-CPU write-back entries, so that ACK reaches here.
 * The data packets of an established flow never do.
 *
 * Times follow Wireshark: SYN to SYN-ACK is taken from the latest SYN before
 * the SYN-ACK (a retransmitted SYN restarts it), SYN-ACK to ACK from the
 * first SYN-ACK; the sum is tcp.analysis.initial_rtt.
 *
 * Entries are updated without a lock: two CPUs handling two SYN/FIN/RST of
 * one flow in the same instant may lose one transition. The counts in
 * struct xtap_flow stay exact. A completed handshake adds its initial RTT to
 * the XTAP_LAT_HANDSHAKE histogram of the SYN's receiver (hist.h).
 *
 * Retransmissions (seq_track), on every TCP segment, also on the per-CPU
 * write-back path. Per direction, a high-water mark: the highest seq + length
 * seen, where the length counts the payload and one for SYN and for FIN (each
 * takes a sequence number). A segment with a length that starts below the
 * mark (serial-number arithmetic, so wraparound is handled) is counted as a
 * retransmission, also when it carries new bytes past the mark (a partial
 * overlap), as Wireshark's tcp.analysis.retransmission does. Not counted:
 * segments of length 0 (pure ACKs, RST), and keepalive probes (0 or 1 byte
 * of payload at mark - 1, no SYN/FIN), also as Wireshark; the same rule
 * leaves out repeated 1-byte zero-window probes (the first one moves the mark,
 * the next ones sit at mark - 1), which Wireshark does not count either. A SYN whose seq + 1
 * is the mark is a retransmitted SYN (or SYN-ACK); any other SYN starts the
 * direction over (a new connection on the same ports). Limits: the method
 * keeps one number per direction, not the ranges seen, so a segment that
 * arrives out of order (reordered, or after a hole the capture point did not
 * see) counts as a retransmission, where Wireshark tells reordering apart by
 * timing; a segment lost before the observation point and retransmitted is
 * seen once and not counted. The write-back entry takes the mark from the
 * shared entry with the slot, counts against its own copy, and the larger
 * mark goes back when it flushes: exact when a flow's segments of one
 * direction are seen on one CPU (replay; RSS/RPS keep a flow on one CPU),
 * while two CPUs holding one flow at once may miss a retransmission of a
 * segment the other CPU saw.
 *
 * Passive RTT from TCP timestamps (ts_track), the pping method: a TSval seen
 * for the first time in direction d is remembered with the time; the first
 * segment of the other direction whose TSecr echoes it gives one sample, the
 * time from the observation point to d's receiver and back (including the
 * receiver's ACK delay). One TSval per direction is outstanding: newer TSvals
 * are not timed until it is echoed, or until a TSecr past it shows its echo
 * was skipped. The write-back entry remembers the last TSval and TSecr it saw
 * per direction; only a change takes the shared entry, where the state and
 * the samples (count, min, max, sum per direction) are kept: with Linux's
 * 1 ms timestamp clock, at most about two lookups per direction per ms,
 * whatever the packet rate. Samples of the client's TSvals (observation
 * point to the server and back) also go to the service's XTAP_LAT_RTT
 * histogram. Updates of the shared entry are not atomic: two CPUs timing one
 * flow in the same instant may lose a sample.
 */
#ifndef XTAP_KERN_LATENCY_H
#define XTAP_KERN_LATENCY_H

#include "config.h"
#include "parse.h"
#include "hist.h"

/* a before b in sequence space (RFC 1982 serial arithmetic) */
static __always_inline int seq_before(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

/* One latency sample for the service on side b (side_b) or side a of k.
 * Compiled out, the histograms get none; the flow entry's handshake times
 * are kept all the same. */
#if XTAP_FEATURE_LATENCY
static __always_inline void hist_side(const struct xtap_flow_key *k, int side_b, __u8 kind, __u64 ns)
{
	if (side_b)
		hist_add(k->addr_b, k->port_b, k->proto, kind, ns);
	else
		hist_add(k->addr_a, k->port_a, k->proto, kind, ns);
}
#else
static __always_inline void hist_side(const struct xtap_flow_key *k, int side_b, __u8 kind, __u64 ns)
{
}
#endif

/* One segment against a direction's high-water mark (*next, valid when bit
 * is set in *seen). Returns 1 for a retransmission. */
static __always_inline int seq_track(__u32 *next, __u8 *seen, __u8 bit, __u32 seq, __u32 payload,
				     __u8 fl)
{
	__u32 len = payload + !!(fl & XTAP_TCP_SYN) + !!(fl & XTAP_TCP_FIN);
	__u32 end = seq + len, mark = *next;
	int re = 0;

	if (!len)
		return 0;
	if (!(*seen & bit)) {
		*next = end;
		*seen |= bit;
		return 0;
	}
	if (fl & XTAP_TCP_SYN) {
		if (end == mark)
			return 1;
		*next = end;	/* a new initial sequence number */
		return 0;
	}
	if (seq_before(seq, mark) &&
	    !(payload <= 1 && !(fl & XTAP_TCP_FIN) && seq == mark - 1))	/* keepalive */
		re = 1;
	if (seq_before(mark, end))
		*next = end;
	return re;
}

/* Passive RTT on the shared entry: the segment of direction dir with TSval
 * tsval and TSecr tsecr. k names the flow's service for the histogram. */
static __always_inline void ts_track(struct xtap_flow *f, const struct xtap_flow_key *k, int dir,
				     __u32 tsval, __u32 tsecr)
{
	int o = !dir;
	__u8 bit = 1 << dir, obit = 1 << o;

	if ((f->ts_pending & obit) && tsecr) {
		__u32 want = f->ts_val[o];

		if (tsecr == want) {
			__u64 now = xtap_now(), ns = now > f->ts_ns[o] ? now - f->ts_ns[o] : 0;

			f->ts_pending &= ~obit;
			if (!f->rtt_samples[o] || ns < f->rtt_min_ns[o])
				f->rtt_min_ns[o] = ns;
			if (ns > f->rtt_max_ns[o])
				f->rtt_max_ns[o] = ns;
			f->rtt_sum_ns[o] += ns;
			f->rtt_samples[o]++;
			if (o == f->initiator)
				hist_side(k, o == XTAP_DIR_AB, XTAP_LAT_RTT, ns);
		} else if (seq_before(want, tsecr)) {
			f->ts_pending &= ~obit;	/* its echo was skipped */
		}
	}
	if ((f->ts_seen & bit) && f->ts_last[dir] == tsval)
		return;
	f->ts_last[dir] = tsval;
	f->ts_seen |= bit;
	if (!(f->ts_pending & bit)) {
		f->ts_val[dir] = tsval;
		f->ts_ns[dir] = xtap_now();
		f->ts_pending |= bit;
	}
}

/* Does this flow wait for a handshake packet the short path would hide? */
static __always_inline int hs_pending(const struct xtap_flow *f)
{
	return f->hs_state == XTAP_HS_SYN_SENT || f->hs_state == XTAP_HS_SYNACK;
}

/* A new entry: its first packet, at now (fine clock). */
static __always_inline void hs_first(struct xtap_flow *f, int dir, __u8 fl, __u64 now)
{
	if ((fl & (XTAP_TCP_SYN | XTAP_TCP_ACK | XTAP_TCP_RST)) == XTAP_TCP_SYN) {
		f->syn_ns = now;
		f->hs_mark_ns = now;
		f->syn_dir = dir;
		f->hs_seen = XTAP_HS_SEEN_SYN;
		f->hs_state = XTAP_HS_SYN_SENT;
		f->outcome = XTAP_OUTCOME_SYN_SENT;
	} else if (fl & XTAP_TCP_RST) {
		f->outcome = XTAP_OUTCOME_RESET;
		f->hs_state = XTAP_HS_DONE;
	} else if (fl & XTAP_TCP_FIN) {
		f->outcome = XTAP_OUTCOME_CLOSED;
	}
}

/* One more TCP packet of an existing entry, on the slow path: a SYN, FIN or
 * RST, or any packet while the handshake is pending. now is the fine clock
 * when the packet carries SYN/FIN/RST or the handshake is pending. */
static __always_inline void hs_update(struct xtap_flow *f, const struct xtap_flow_key *k, int dir,
				      __u8 fl, __u64 now)
{
	__u8 st = f->hs_state, out = f->outcome;

	if (fl & XTAP_TCP_RST) {
		if (st == XTAP_HS_SYN_SENT && dir != f->syn_dir)
			f->outcome = XTAP_OUTCOME_REFUSED;
		else if (out != XTAP_OUTCOME_REFUSED && out != XTAP_OUTCOME_CLOSED &&
			 out != XTAP_OUTCOME_RESET)
			f->outcome = XTAP_OUTCOME_RESET;
		f->hs_state = XTAP_HS_DONE;
		return;
	}
	if (fl & XTAP_TCP_SYN) {
		if (!(fl & XTAP_TCP_ACK)) {
			if (st == XTAP_HS_NONE) {
				/* the first SYN (maybe after a stray packet) */
				f->syn_ns = now;
				f->hs_mark_ns = now;
				f->syn_dir = dir;
				f->hs_seen |= XTAP_HS_SEEN_SYN;
				f->hs_state = XTAP_HS_SYN_SENT;
				if (out == XTAP_OUTCOME_NONE)
					f->outcome = XTAP_OUTCOME_SYN_SENT;
			} else if (dir == f->syn_dir) {
				f->syn_retransmits++;
				if (st == XTAP_HS_SYN_SENT) {
					f->hs_mark_ns = now;
					if (out == XTAP_OUTCOME_SYN_SENT)
						f->outcome = XTAP_OUTCOME_UNANSWERED;
				}
			}
		} else if (st == XTAP_HS_SYN_SENT && dir != f->syn_dir) {
			/* the first SYN-ACK answering the SYN */
			f->syn_synack_ns = now - f->hs_mark_ns;
			f->hs_mark_ns = now;
			f->hs_seen |= XTAP_HS_SEEN_SYNACK;
			f->hs_state = XTAP_HS_SYNACK;
			f->outcome = XTAP_OUTCOME_SYNACK;
		}
		return;
	}
	if (st == XTAP_HS_SYNACK && dir == f->syn_dir && (fl & XTAP_TCP_ACK)) {
		f->synack_ack_ns = now - f->hs_mark_ns;
		f->hs_seen |= XTAP_HS_SEEN_ACK;
		f->hs_state = XTAP_HS_DONE;
		f->outcome = XTAP_OUTCOME_ESTABLISHED;
		/* the SYN's receiver is the service */
		hist_side(k, f->syn_dir == XTAP_DIR_AB, XTAP_LAT_HANDSHAKE,
			  f->syn_synack_ns + f->synack_ack_ns);
	}
	if ((fl & XTAP_TCP_FIN) &&
	    (f->outcome == XTAP_OUTCOME_ESTABLISHED || f->outcome == XTAP_OUTCOME_NONE))
		f->outcome = XTAP_OUTCOME_CLOSED;
}

/*
 * The steps of flow accounting (flow.h) that keep a TCP flow's
 * retransmissions and passive RTT, on the shared entry f and on the per-CPU
 * write-back entry c. Compiled out, each is an empty stub.
 */
#if XTAP_FEATURE_LATENCY
/* A new entry's first segment, direction d: it sets the mark; its TSval
 * waits for an echo. */
static __always_inline void lat_flow_first(struct xtap_flow *f, const int d, const struct pkt *p,
					   __u8 fl)
{
	seq_track(&f->seq_next[d], &f->seq_seen, 1 << d, p->seq, p->payload_len, fl);
	if (p->has_ts) {
		f->ts_last[d] = p->tsval;
		f->ts_val[d] = p->tsval;
		f->ts_ns[d] = f->first_ns;
		f->ts_seen = 1 << d;
		f->ts_pending = 1 << d;
	}
}

/* One more segment of an existing entry, on the shared entry. */
static __always_inline void lat_flow_segment(struct xtap_flow *f, const struct xtap_flow_key *k,
					     int dir, const struct pkt *p, __u8 fl)
{
	if (seq_track(&f->seq_next[dir], &f->seq_seen, 1 << dir, p->seq, p->payload_len, fl))
		__sync_fetch_and_add(&f->retrans[dir], 1);
	if (p->has_ts)
		ts_track(f, k, dir, p->tsval, p->tsecr);
}

/* The write-back entry takes the flow's high-water marks from the shared
 * entry (it counts against its own copy) and forgets the timestamps it saw. */
static __always_inline void lat_fcache_take(struct xtap_fcache *c, const struct xtap_flow *f)
{
	c->seq_next[0] = f->seq_next[0];
	c->seq_next[1] = f->seq_next[1];
	c->seq_seen = f->seq_seen;
	c->ts_seen = 0;
}

/* The write-back entry's retransmissions go to the shared entry; the larger
 * high-water mark wins. */
static __always_inline void lat_fcache_flush(struct xtap_flow *f, const struct xtap_fcache *c)
{
	if (c->retrans[0])
		__sync_fetch_and_add(&f->retrans[0], c->retrans[0]);
	if (c->retrans[1])
		__sync_fetch_and_add(&f->retrans[1], c->retrans[1]);
	if ((c->seq_seen & 1) && (!(f->seq_seen & 1) || seq_before(f->seq_next[0], c->seq_next[0])))
		f->seq_next[0] = c->seq_next[0];
	if ((c->seq_seen & 2) && (!(f->seq_seen & 2) || seq_before(f->seq_next[1], c->seq_next[1])))
		f->seq_next[1] = c->seq_next[1];
	f->seq_seen |= c->seq_seen;
}

/* A segment on the write-back path: the high-water mark is the entry's own.
 * Returns 1 when its TSval or TSecr differs from the last one this entry
 * saw in the direction: then the shared entry times it (ts_track). */
static __always_inline int lat_fcache_segment(struct xtap_fcache *c, int dir, const struct pkt *p,
					      __u8 fl)
{
	__u8 bit = 1 << dir;

	if (seq_track(&c->seq_next[dir], &c->seq_seen, bit, p->seq, p->payload_len, fl))
		c->retrans[dir]++;
	if (p->has_ts && (!(c->ts_seen & bit) || c->tsval[dir] != p->tsval ||
			  c->tsecr[dir] != p->tsecr)) {
		c->tsval[dir] = p->tsval;
		c->tsecr[dir] = p->tsecr;
		c->ts_seen |= bit;
		return 1;
	}
	return 0;
}
#else
static __always_inline void lat_flow_first(struct xtap_flow *f, const int d, const struct pkt *p,
					   __u8 fl)
{
}

static __always_inline void lat_flow_segment(struct xtap_flow *f, const struct xtap_flow_key *k,
					     int dir, const struct pkt *p, __u8 fl)
{
}

static __always_inline void lat_fcache_take(struct xtap_fcache *c, const struct xtap_flow *f)
{
}

static __always_inline void lat_fcache_flush(struct xtap_flow *f, const struct xtap_fcache *c)
{
}

static __always_inline int lat_fcache_segment(struct xtap_fcache *c, int dir, const struct pkt *p,
					      __u8 fl)
{
	return 0;
}
#endif

#endif
