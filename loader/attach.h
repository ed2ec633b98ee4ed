/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Attaching to live interfaces and detaching again. The pinned state every
 * attachment is recorded in is loader/state.h; its network namespaces,
 * loader/netns.h.
 */
#ifndef XTAP_LOADER_ATTACH_H
#define XTAP_LOADER_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

#include "maps/xtap.h"
#include "loader/netns.h"
#include "loader/state.h"

enum xtap_tc_choice { XTAP_TC_AUTO = 0 };	/* else enum xtap_tc_mech */
enum xtap_mode_choice { XTAP_MODE_AUTO = 0 };	/* else enum xtap_xdp_mode */

struct xtap_attach_opts {
	const char *ifname;	/* xtap_attach only */
	__u32 hooks;		/* bit per enum xtap_hook */
	int xdp_mode;		/* XTAP_MODE_AUTO or enum xtap_xdp_mode */
	int tc_mech;		/* XTAP_TC_AUTO or enum xtap_tc_mech */
	__u32 flows_max;	/* 0: the pinned table's size, else the default */
	__u32 sampling;		/* xtap_attach_all: 1 in N packets to flows; 0 keeps
				 * the state's (a new state: every packet) */
};

/* Returns 0 when attached, 1 when the interface already was (nothing done),
 * or -errno with the cause in err; a failure leaves nothing behind. */
int xtap_attach(struct xtap_state *st, const struct xtap_attach_opts *o, struct xtap_iface *out,
		char *err, size_t len);

/* Removes exactly what the slot's attach added, then the slot. When the last
 * slot goes, the maps and the pin root go too. */
int xtap_detach_slot(struct xtap_state *st, __u32 slot, char *err, size_t len);

/* What xtap_attach_all did, name by name. */
struct xtap_attach_report {
	struct xtap_iface iface;	/* the registry entry */
	bool already;			/* attached before: nothing was done */
};

struct xtap_attach_result {
	struct xtap_attach_report *each;	/* the caller's, one per name */
	int done;		/* names attached (or found attached), from the first */
	int rolled_back;	/* of those, detached again after a failure */
	char rollback_err[XTAP_ERRLEN];	/* the first rollback failure, or "" */
	char drops_err[XTAP_ERRLEN];	/* the drop tracepoint failed: "" when it did not */
};

/*
 * Attach every interface named, all or nothing: each name must exist before
 * anything is attached, and a failure detaches what this call attached.
 * Then the hop sampling setting, one for the whole state: hop_sample
 * (a power of 2) when not 0, else the default in a state nobody set; the
 * flow sampling (o->sampling) when not 0, for the whole state too. Then
 * the drop tracepoint, best effort. Returns 0, or -errno with one line in
 * err ("attach veth0: interface not found"); res->each[0 .. done-1] holds
 * the names handled before the failure, attached even when the hop setting
 * failed.
 */
int xtap_attach_all(struct xtap_state *st, char *const *ifnames, int n,
		    const struct xtap_attach_opts *o, __u32 hop_sample,
		    struct xtap_attach_result *res, char *err, size_t len);

#endif
