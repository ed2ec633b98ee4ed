/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the files of loader/ share among themselves; nothing outside loader/
 * includes this. state.c: the pin root, lock, ABI record and registry;
 * netns.c: network namespaces; xdp.c and tc.c: the attach mechanisms;
 * attach.c: the table of hooks and attach/detach over it.
 */
#ifndef XTAP_LOADER_INTERNAL_H
#define XTAP_LOADER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <bpf/libbpf.h>

#include "loader/attach.h"
#include "loader/loader.h"

/* Writes the cause into err and returns -e (e may be given either sign). */
int xtap_fail(char *err, size_t len, int e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* state.c */
void xtap_state_path(const struct xtap_state *st, const char *what, char *buf, size_t len);
/* Pins link_fd at links/<slot>-<hook name> and closes it: the pin keeps the
 * link, unlinking it detaches. 0 or -errno. */
int xtap_link_pin(const struct xtap_state *st, __u32 slot, enum xtap_hook h, int link_fd);
void xtap_link_unpin(const struct xtap_state *st, __u32 slot, enum xtap_hook h);
/* fd of the pinned link of the slot's hook, or -errno. */
int xtap_link_get(const struct xtap_state *st, __u32 slot, enum xtap_hook h);
int xtap_iface_put(const struct xtap_state *st, __u32 slot, const struct xtap_iface *e);
bool xtap_registry_empty(const struct xtap_state *st);
/* Every pin under the pin root, then the directories: the state is gone. */
void xtap_state_remove(struct xtap_state *st);

/* netns.c */
int xtap_netns_id(__u64 *dev, __u64 *ino);
__u64 xtap_netns_cookie(void);	/* 0 when the kernel has none */
bool xtap_in_netns_of(const struct xtap_iface *e);	/* is this e's namespace? */
/* Enter e's namespace; *saved gets this one back (-1 when no switch was
 * needed). 0, or -ENOENT when it cannot be found. */
int xtap_netns_enter(const struct xtap_iface *e, int *saved);
void xtap_netns_leave(int saved);

/* One attach under way: what the hooks' attach functions share. */
struct xtap_attach_job {
	struct xtap_state *st;
	const struct xtap_attach_opts *o;
	__u32 slot;
	__u32 flows_max;	/* the flow table size the programs were loaded with */
	struct xtap_bpf *skel;
	struct xtap_iface *e;	/* filled in as the hooks attach */
	const char *maps_dir;
	char *err;
	size_t len;
};

/* The hooks, one row each, indexed by enum xtap_hook (attach.c). */
struct xtap_hook_def {
	const char *name;	/* the link's pin links/<slot>-<name>, and messages */
	struct bpf_program *(*prog)(const struct xtap_bpf *skel);
	/* 0, or -errno with the cause in j->err */
	int (*attach)(struct xtap_attach_job *j, enum xtap_hook h);
	/* in e's namespace: undo what unpinning the link does not */
	void (*detach)(const struct xtap_iface *e, enum xtap_hook h);
	int tcx_type;				/* TC hooks: tcx attach type */
	enum bpf_tc_attach_point tc_point;	/* TC hooks: clsact direction */
	int tc_index;				/* TC hooks: in tc_handle, tc_prio */
};
extern const struct xtap_hook_def xtap_hooks[XTAP_HOOK_MAX];

/* The id of a loaded program, 0 when the kernel does not say. */
__u32 xtap_prog_id(int prog_fd);

/* xdp.c: libxdp's dispatcher when it works here, else a pinned bpf_link */
int xtap_xdp_attach(struct xtap_attach_job *j, enum xtap_hook h);
void xtap_xdp_detach(const struct xtap_iface *e, enum xtap_hook h);

/* tc.c: tcx links, else filters on a clsact qdisc */
int xtap_tc_attach(struct xtap_attach_job *j, enum xtap_hook h);
void xtap_tc_detach(const struct xtap_iface *e, enum xtap_hook h);
/* after both directions' detach: the clsact qdisc, when xtap made it */
void xtap_tc_release(const struct xtap_iface *e);

#endif
