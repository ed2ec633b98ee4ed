/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The pinned state: everything xtap leaves behind between commands lives under
 * the pin root (XTAP_PIN_ROOT, or $XTAP_PIN_ROOT), mode 0700:
 *   abi         the XTAP_ABI_VERSION of the xtap that made the state
 *   ifaces      the registry of attached interfaces (struct xtap_iface by slot)
 *   maps/       the shared maps (one flow table for the host)
 *   links/      pinned XDP and tcx links, <slot>-<hook>
 * The pin root is named by its canonical path (any spelling of one directory
 * is one state) and must be a directory inside a bpf filesystem. A lock on
 * the pin root directory itself serialises the xtap commands that use it.
 */
#ifndef XTAP_LOADER_STATE_H
#define XTAP_LOADER_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "maps/xtap.h"

#define XTAP_BPFFS "/sys/fs/bpf"
#define XTAP_PIN_ROOT XTAP_BPFFS "/xtap"
#define XTAP_ERRLEN 256

struct xtap_state {
	char root[128];
	int reg_fd;		/* registry map; -1 when nothing is attached */
	int lock_fd;
	bool reg_readable;	/* the registry's entries have this xtap's layout */
};

/* Flags of xtap_state_open (0: open an existing state of this ABI). */
enum xtap_state_flags {
	XTAP_STATE_CREATE = 1u << 0,	/* make bpffs, the directories, the record and the registry */
	XTAP_STATE_ANY_ABI = 1u << 1,	/* accept a state made by another ABI (detach --all) */
};

/*
 * Open the state under root ($XTAP_PIN_ROOT, else XTAP_PIN_ROOT, when NULL),
 * taking the lock that serialises xtap commands. A root that is not a
 * directory inside a bpf filesystem (the filesystem's root itself included)
 * is refused. Without XTAP_STATE_CREATE a missing state opens with
 * reg_fd -1 and holds no lock. A state whose recorded ABI is not
 * XTAP_ABI_VERSION (or that has no record) is refused unless
 * XTAP_STATE_ANY_ABI; then only the entries of a registry with this xtap's
 * layout can be read. Returns 0, or -errno with a cause in err (and holds
 * nothing).
 */
int xtap_state_open(struct xtap_state *st, const char *root, unsigned int flags, char *err,
		    size_t len);
void xtap_state_close(struct xtap_state *st);

/* The canonical path of the pin root root into out: symlinks, ".", ".."
 * and extra slashes resolved; the directory need not exist, its parent must.
 * 0, or -errno with the cause in err. */
int xtap_pin_root_canon(const char *root, char *out, size_t outlen, char *err, size_t len);

/* Reads slot i of the registry; 0 when it holds an attachment. */
int xtap_iface_get(const struct xtap_state *st, __u32 slot, struct xtap_iface *out);

/* Slot of the attachment called ifname: in this network namespace, or one
 * whose interface has vanished. -ENOENT when there is none. */
int xtap_find_slot(struct xtap_state *st, const char *ifname);

/* Why ifname has no slot in this network namespace, one line for "CMD: "
 * to precede: "IF: not attached (run 'xtap attach IF' first)", or the
 * namespace it is attached in. */
void xtap_not_attached(struct xtap_state *st, const char *ifname, char *buf, size_t len);

/* fd of a pinned shared map (xtap_flows, xtap_stats), or -errno. */
int xtap_map_open(const struct xtap_state *st, const char *name);

/*
 * A long-running command (capture, export, serve) watches the state it
 * started on: the last detach removes it, and a new attach makes another
 * with new maps. A state is known by the ids of its registry and flow table.
 */
struct xtap_state_watch {
	char root[128];
	__u32 reg_id, flows_id;	/* 0: there was no state */
	__u64 next_ns;		/* CLOCK_MONOTONIC of the next look */
	bool waiting;		/* following: the wait for a new state was said */
};

enum xtap_watch_event {
	XTAP_WATCH_SAME,	/* the state it started on, or none yet */
	XTAP_WATCH_GONE,	/* it is gone; nothing has replaced it yet */
	XTAP_WATCH_NEW,		/* another state replaced it: w now watches that one */
};

/* Starts watching the state st opened (or its absence). */
void xtap_state_watch_start(struct xtap_state_watch *w, const struct xtap_state *st);
/* Looks at the pin root at most once a second (XTAP_WATCH_SAME in between),
 * without the lock: a few bpf syscalls. A state that appears where there
 * was none at the start is taken as the one watched. On GONE or NEW, msg
 * gets the line that says so ("the pinned state at ROOT is gone"). */
enum xtap_watch_event xtap_state_watch(struct xtap_state_watch *w, char *msg, size_t len);

#endif
