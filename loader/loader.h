/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Open and load the xtap programs. */
#ifndef XTAP_LOADER_H
#define XTAP_LOADER_H

#include <stdbool.h>
#include <linux/types.h>

#include "maps/xtap.h"
#include "xtap.skel.h"

/* The pin name of the programs' live settings (struct xtap_live, the data
 * section .data.live; loader/live.h). */
#define XTAP_LIVE_PIN "xtap_live"

struct xtap_load_opts {
	__u32 flows_max;	/* flow table entries; 0 for XTAP_FLOWS_DEFAULT */
	__u32 slot;		/* interface slot baked into this instance */
	bool replay;		/* programs take time and length from xtap_replay */
	bool with_xdp;		/* XDP is attached too: TC ingress does not count */
	const char *pin_dir;	/* reuse or pin maps there; NULL for private maps */
};

/* Settings of an opened, not yet loaded skeleton. Returns 0 or -errno. */
int xtap_prepare(struct xtap_bpf *skel, const struct xtap_load_opts *o);

/* Puts the loaded capture copy programs at XTAP_CAPTURE_STEP of the
 * capture program arrays (xtap_load does). 0 or -errno. */
int xtap_install_step(struct xtap_bpf *skel);

/* Returns 0 and the loaded skeleton, or -errno (the skeleton is not kept). */
int xtap_load(const struct xtap_load_opts *o, struct xtap_bpf **out);
void xtap_unload(struct xtap_bpf *skel);

#endif
