/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The settings that change while xtap is attached (struct xtap_live in
 * maps/xtap.h), mapped into this process: a store here is what the
 * programs read on their next packet. One field at a time; the bit masks
 * (captures, AF_XDP slots) with atomic operations, as other xtap processes
 * may change their own bits at the same time.
 */
#ifndef XTAP_LOADER_LIVE_H
#define XTAP_LOADER_LIVE_H

#include <linux/types.h>

#include "maps/xtap.h"

struct xtap_bpf;
struct xtap_state;

/* The live map behind map_fd, mapped (the fd may be closed after), or
 * NULL with errno set. */
struct xtap_live *xtap_live_map(int map_fd);
/* The pinned state's, mapped; NULL with errno set (ENOENT: attached by an
 * xtap without it). */
struct xtap_live *xtap_live_open(const struct xtap_state *st);
/* A copy of the pinned state's, for a reader. 0 or -errno. */
int xtap_live_read(const struct xtap_state *st, struct xtap_live *out);
/* Undoes xtap_live_map and xtap_live_open; NULL is fine. */
void xtap_live_unmap(struct xtap_live *l);
/* A loaded instance's own mapping (the skeleton's): not to unmap. */
struct xtap_live *xtap_live_of(struct xtap_bpf *skel);
/* fd of a loaded instance's live map. */
int xtap_live_fd(struct xtap_bpf *skel);

static inline __u32 xtap_live_get(const __u32 *field)
{
	return __atomic_load_n(field, __ATOMIC_RELAXED);
}

static inline void xtap_live_set(__u32 *field, __u32 v)
{
	__atomic_store_n(field, v, __ATOMIC_RELAXED);
}

/* Sets (on) or clears the bits of mask in *word; returns the word before. */
static inline __u32 xtap_live_bits32(__u32 *word, __u32 mask, int on)
{
	return on ? __atomic_fetch_or(word, mask, __ATOMIC_SEQ_CST)
		  : __atomic_fetch_and(word, ~mask, __ATOMIC_SEQ_CST);
}

static inline __u64 xtap_live_bits64(__u64 *word, __u64 mask, int on)
{
	return on ? __atomic_fetch_or(word, mask, __ATOMIC_SEQ_CST)
		  : __atomic_fetch_and(word, ~mask, __ATOMIC_SEQ_CST);
}

#endif
