/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Attaching to live interfaces. All state lives under the pin root:
 *   maps/       the shared maps (one flow table for the host)
 *   ifaces      the registry of attached interfaces (struct xtap_iface by slot)
 *   links/      pinned XDP and tcx links, <slot>-<hook>
 */
#ifndef XTAP_LOADER_ATTACH_H
#define XTAP_LOADER_ATTACH_H

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
};

enum xtap_tc_choice { XTAP_TC_AUTO = 0 };	/* else enum xtap_tc_mech */
enum xtap_mode_choice { XTAP_MODE_AUTO = 0 };	/* else enum xtap_xdp_mode */

struct xtap_attach_opts {
	const char *ifname;
	__u32 hooks;		/* bit per enum xtap_hook */
	int xdp_mode;		/* XTAP_MODE_AUTO or enum xtap_xdp_mode */
	int tc_mech;		/* XTAP_TC_AUTO or enum xtap_tc_mech */
	__u32 flows_max;	/* 0: the pinned table's size, else the default */
};

/*
 * Open the state under root (XTAP_PIN_ROOT when NULL), taking the lock that
 * serialises xtap commands. create: make bpffs, the directories and the
 * registry if absent. Returns 0, or -errno with a cause in err.
 */
int xtap_state_open(struct xtap_state *st, const char *root, bool create, char *err, size_t len);
void xtap_state_close(struct xtap_state *st);

/* The lock file of the state under root (a path under XTAP_BPFFS): what
 * xtap_state_open locks. A program that made a state of its own for a while
 * (a benchmark) removes it when done. */
void xtap_lock_path(const char *root, char *buf, size_t len);

/* Returns 0 when attached, 1 when the interface already was (nothing done),
 * or -errno with the cause in err; a failure leaves nothing behind. */
int xtap_attach(struct xtap_state *st, const struct xtap_attach_opts *o, struct xtap_iface *out,
		char *err, size_t len);

/* Removes exactly what the slot's attach added, then the slot. When the last
 * slot goes, the maps and the pin root go too. */
int xtap_detach_slot(struct xtap_state *st, __u32 slot, char *err, size_t len);

/* Slot of the attachment called ifname: in this network namespace, or one
 * whose interface has vanished. -ENOENT when there is none. */
int xtap_find_slot(struct xtap_state *st, const char *ifname);

/* Reads slot i of the registry; 0 when it holds an attachment. */
int xtap_iface_get(const struct xtap_state *st, __u32 slot, struct xtap_iface *out);

/* 1 when the interface of the entry is still there, 0 when it is gone, -1
 * when its namespace cannot be reached from here. */
int xtap_iface_present(const struct xtap_iface *e);

/* Name of the entry's namespace: "" for this one, the /run/netns name, or
 * "netns:<inode>". */
void xtap_netns_name(const struct xtap_iface *e, char *buf, size_t len);

/* fd of a pinned shared map (xtap_flows, xtap_stats), or -errno. */
int xtap_map_open(const struct xtap_state *st, const char *name);

#endif
