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
 * struct xtap_flow stay exact.
 */
#ifndef XTAP_KERN_LATENCY_H
#define XTAP_KERN_LATENCY_H

#include "ctx.h"
#include "hist.h"

/* TCP flag bits, also used by flow.h */
#ifndef XTAP_TCP_FIN
#define XTAP_TCP_FIN 0x01
#define XTAP_TCP_SYN 0x02
#define XTAP_TCP_RST 0x04
#define XTAP_TCP_ACK 0x10
#endif

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
static __always_inline void hs_update(struct xtap_flow *f, int dir, __u8 fl, __u64 now)
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
	}
	if ((fl & XTAP_TCP_FIN) &&
	    (f->outcome == XTAP_OUTCOME_ESTABLISHED || f->outcome == XTAP_OUTCOME_NONE))
		f->outcome = XTAP_OUTCOME_CLOSED;
}

#endif
