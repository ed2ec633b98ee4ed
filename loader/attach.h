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
	const struct xtap_tun_cfg *tunnels;	/* xtap_attach_all: the tunnel ports and
						 * --no-decap; NULL keeps the state's (a
						 * new state: the standard ports) */
};

/* Returns 0 when attached, 1 when the interface already was (nothing done),
 * or -errno with the cause in err; a failure leaves nothing behind. */
int xtap_attach(struct xtap_state *st, const struct xtap_attach_opts *o, struct xtap_iface *out,
		char *err, size_t len);

/* Removes exactly what the slot's attach added, then the slot. When the last
 * slot goes, the maps and the pin root go too. */
int xtap_detach_slot(struct xtap_state *st, __u32 slot, char *err, size_t len);

/* 1 when the slot's interface is still there, 0 when it is gone (the
 * interface or its namespace was deleted: its pinned links are detached),
 * -1 when that cannot be told from here. */
int xtap_slot_alive(const struct xtap_state *st, __u32 slot, const struct xtap_iface *e);

enum xtap_detach_what {
	XTAP_DETACH_NAMES,	/* the interfaces named (in this namespace, or gone) */
	XTAP_DETACH_ALL,	/* every attachment */
	XTAP_DETACH_STALE,	/* those whose interface or namespace is gone */
};

/* What xtap_detach_set did to one interface. */
struct xtap_detach_report {
	char name[16];
	bool stale;		/* its interface or namespace was gone */
	int err;		/* 0: detached; -ENOENT: not attached here; else -errno */
	char why[XTAP_ERRLEN];	/* the cause when err: a whole line with -ENOENT */
};

/*
 * Detaches the interfaces named, every one or the stale ones. When the names
 * took the last live interface, the stale ones go too (and with the last
 * slot the whole state). out has room for n + XTAP_MAX_SLOTS reports: one
 * per name, in order, then one per other interface removed. Returns the
 * number of reports.
 */
int xtap_detach_set(struct xtap_state *st, enum xtap_detach_what what, char *const *names,
		    int n, struct xtap_detach_report *out);

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

/* xtap_attach_all on the state under $XTAP_PIN_ROOT, made when there is
 * none, opened (its lock held) for the call; a state that cannot be opened
 * is an error in err too ("attach: ..."). */
int xtap_attach_names(char *const *ifnames, int n, const struct xtap_attach_opts *o,
		      __u32 hop_sample, struct xtap_attach_result *res, char *err, size_t len);

/* xtap_detach_set on the state under $XTAP_PIN_ROOT, opened for the call
 * (XTAP_DETACH_ALL takes a state of another ABI: the way out of it). The
 * number of reports, or -errno with the cause in err. */
int xtap_detach_names(enum xtap_detach_what what, char *const *names, int n,
		      struct xtap_detach_report *out, char *err, size_t len);

#endif
