/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The kernel side of one capture (maps/xtap.h): a capture id among
 * XTAP_CAPTURES_MAX, its config, its filter programs in the program arrays,
 * its rings, and the word that tells the data-plane programs which captures
 * run. A filter can be replaced while the capture runs; the data-plane
 * programs are never reloaded.
 */
#ifndef XTAP_USER_CAPSLOT_H
#define XTAP_USER_CAPSLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "maps/xtap.h"
#include "user/filter.h"

struct xtap_bpf;
struct xtap_state;

/* The capture maps. */
struct xtap_capmaps {
	int cfg;		/* xtap_capture */
	int live;		/* the live settings' map (struct xtap_live) */
	struct xtap_live *on;	/* it mapped: capture_on, the captures running */
	int scratch;		/* xtap_capscratch */
	int stats;		/* xtap_capstats */
	int rings;		/* xtap_rings */
	int prog[2];		/* xtap_capprog_xdp, xtap_capprog_tc */
	int replay;		/* xtap_replay of a replay-mode load, else -1 */
	bool owned;		/* opened from pins: xtap_capmaps_close closes them */
};

/* From a loaded skeleton (not owned). */
void xtap_capmaps_of(struct xtap_bpf *skel, struct xtap_capmaps *m);
/* From the pinned state. 0, or -errno (-ENOENT: attached by an xtap without
 * them); nothing to close on failure. */
int xtap_capmaps_open(const struct xtap_state *st, struct xtap_capmaps *m);
void xtap_capmaps_close(struct xtap_capmaps *m);

#define XTAP_CAPSLOT_RINGS_MAX XTAP_CAPTURE_RINGS

struct xtap_capslot {
	const struct xtap_capmaps *m;
	__u32 id;
	int filt[2];		/* the filter programs, -1: none */
	int ring[XTAP_CAPSLOT_RINGS_MAX];	/* the rings, -1: none */
	int nrings;
	bool running;
};

/* Claims a free capture id: one whose config is off, or whose owner (a
 * process) is gone; what such a capture left is cleared. 0, or -EBUSY when
 * XTAP_CAPTURES_MAX captures run. */
int xtap_capslot_claim(struct xtap_capslot *c, const struct xtap_capmaps *m);

/* Makes nrings rings of size bytes (a power of 2 pages); CPU n writes to
 * ring n % nrings. The fds stay in c->ring. 0 or -errno. */
int xtap_capslot_rings(struct xtap_capslot *c, int nrings, __u32 size);

/* Sets the filter, translated from libpcap's classic BPF for both hooks'
 * program types, or none (n == 0: every packet). Can be called while the
 * capture runs. 0, or -1 with a one-line message in err. */
int xtap_capslot_filter(struct xtap_capslot *c, const struct sock_filter *classic, size_t n,
			char *err, size_t errlen);

/* Turns the capture on with cfg (enabled is set here). 0 or -errno. */
int xtap_capslot_start(struct xtap_capslot *c, const struct xtap_capture_cfg *cfg);

/* Captured and ring-full counts of this capture id, summed over CPUs. */
int xtap_capslot_counts(const struct xtap_capslot *c, __u64 *captured, __u64 *dropped);

/* Turns the capture off: the programs write no more to its rings, which
 * can then be drained. */
void xtap_capslot_off(struct xtap_capslot *c);

/* Turns the capture off and releases its id, programs and rings. */
void xtap_capslot_stop(struct xtap_capslot *c);

#endif
