// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Attach and detach over the table of hooks; several interfaces at once. */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/drops.h"
#include "loader/internal.h"
#include "loader/live.h"
#include "loader/percpu.h"

/* tcx attach types (Linux 6.6); the 6.1 uapi headers lack them */
#define XTAP_BPF_TCX_INGRESS 46
#define XTAP_BPF_TCX_EGRESS 47

static struct bpf_program *prog_xdp(const struct xtap_bpf *s) { return s->progs.xdp_tap; }
static struct bpf_program *prog_tc_in(const struct xtap_bpf *s) { return s->progs.tc_tap_ingress; }
static struct bpf_program *prog_tc_out(const struct xtap_bpf *s) { return s->progs.tc_tap_egress; }

const struct xtap_hook_def xtap_hooks[XTAP_HOOK_MAX] = {
	[XTAP_HOOK_XDP] = {
		.name = "xdp", .prog = prog_xdp,
		.attach = xtap_xdp_attach, .detach = xtap_xdp_detach,
	},
	[XTAP_HOOK_TC_INGRESS] = {
		.name = "tc-ingress", .prog = prog_tc_in,
		.attach = xtap_tc_attach, .detach = xtap_tc_detach,
		.tcx_type = XTAP_BPF_TCX_INGRESS, .tc_point = BPF_TC_INGRESS, .tc_index = 0,
	},
	[XTAP_HOOK_TC_EGRESS] = {
		.name = "tc-egress", .prog = prog_tc_out,
		.attach = xtap_tc_attach, .detach = xtap_tc_detach,
		.tcx_type = XTAP_BPF_TCX_EGRESS, .tc_point = BPF_TC_EGRESS, .tc_index = 1,
	},
};

__u32 xtap_prog_id(int prog_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(prog_fd, &info, &len) ? 0 : info.id;
}

/* Undo what e records: links, filters, libxdp program. Needs e's netns for
 * the parts that are not links. */
static void undo(struct xtap_state *st, __u32 slot, const struct xtap_iface *e)
{
	int saved = -1;

	if (xtap_netns_enter(e, &saved) == 0) {
		for (int h = 0; h < XTAP_HOOK_MAX; h++)
			if (e->hooks & (1u << h))
				xtap_hooks[h].detach(e, h);
		xtap_tc_release(e);
		xtap_netns_leave(saved);
	}
	for (int h = 0; h < XTAP_HOOK_MAX; h++)
		xtap_link_unpin(st, slot, h);
}

/* The pinned table's size, or 0 when there is none. */
static __u32 pinned_flows_max(const struct xtap_state *st)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = xtap_map_open(st, "xtap_flows");

	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.max_entries = 0;
	close(fd);
	return info.max_entries;
}

/* The exporter's cursor (maps/xtap.h): made with the flow table, when the
 * state has none. The marks hold twice the table's entries: the marks of
 * flows the table evicted go only at the exporter's next round. Written by
 * user space only, so entries are allocated as they are used. 0 or -errno
 * with the cause in err. */
static int export_cursor_pin(const char *maps_dir, __u32 flows_max, char *err, size_t len)
{
	static const struct {
		const char *name;
		enum bpf_map_type type;
		__u32 key, val, max;
		bool lazy;
	} m[] = {
		{ XTAP_EXP_MARKS, BPF_MAP_TYPE_HASH, sizeof(struct xtap_flow_key),
		  sizeof(struct xtap_export_mark), 0, true },
		{ XTAP_EXP_SVC, BPF_MAP_TYPE_HASH, sizeof(struct xtap_svc_key), sizeof(struct xtap_hist),
		  XTAP_HIST_MAX, true },
		{ XTAP_EXP_INFO, BPF_MAP_TYPE_ARRAY, sizeof(__u32), sizeof(struct xtap_export_info), 1,
		  false },
	};
	char p[320];

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = m[i].lazy ? BPF_F_NO_PREALLOC : 0);
		int fd;

		snprintf(p, sizeof(p), "%s/%s", maps_dir, m[i].name);
		fd = bpf_obj_get(p);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		fd = bpf_map_create(m[i].type, m[i].name, m[i].key, m[i].val,
				    m[i].max ? m[i].max : 2 * flows_max, &mo);
		if (fd < 0)
			return xtap_fail(err, len, errno, "create %s: %s", m[i].name, strerror(errno));
		if (bpf_obj_pin(fd, p)) {
			int e = errno;

			close(fd);
			return xtap_fail(err, len, e, "pin %s: %s", p, strerror(e));
		}
		close(fd);
	}
	return 0;
}

/* ARPHRD_* link type of ifname in this namespace, or -errno. */
static int link_type(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	r = ioctl(fd, SIOCGIFHWADDR, &ifr) ? -errno : ifr.ifr_hwaddr.sa_family;
	close(fd);
	return r;
}

/* A slot starts counting from zero: it may have served another interface. */
static int zero_counters(struct xtap_bpf *skel, __u32 slot)
{
	int r = 0;

	for (int h = 0; h < XTAP_HOOK_MAX && !r; h++) {
		__u32 point = XTAP_POINT(slot, h);

		r = xtap_percpu_zero(bpf_map__fd(skel->maps.xtap_stats), &point,
				     sizeof(struct xtap_stats));
	}
	return r;
}

/* The entry for o->ifname in this namespace, before anything is attached:
 * 0, or -errno with the cause in err. */
static int iface_entry(const struct xtap_attach_opts *o, struct xtap_iface *e, char *err,
		       size_t len)
{
	int r;

	e->ifindex = if_nametoindex(o->ifname);
	if (!e->ifindex)
		return xtap_fail(err, len, ENODEV, "interface not found");
	if (strlen(o->ifname) >= sizeof(e->name))
		return xtap_fail(err, len, EINVAL, "interface name too long");
	/* the parser starts at an Ethernet header (loopback has one too); an
	 * L3 device such as tun or wireguard would be misread */
	r = link_type(o->ifname);
	if (r >= 0 && r != ARPHRD_ETHER && r != ARPHRD_LOOPBACK)
		return xtap_fail(err, len, EOPNOTSUPP,
				 "link type %d is not Ethernet; xtap parses Ethernet frames", r);
	e->netns_cookie = xtap_netns_cookie();
	r = xtap_netns_id(&e->netns_dev, &e->netns_ino);
	if (r)
		return xtap_fail(err, len, r, "network namespace: %s", strerror(-r));
	snprintf(e->name, sizeof(e->name), "%s", o->ifname);
	return 0;
}

/* xtap_attach, and the slot it used (or found) in *slot_out. */
static int attach_one(struct xtap_state *st, const struct xtap_attach_opts *o,
		      struct xtap_iface *out, __u32 *slot_out, char *err, size_t len)
{
	struct xtap_load_opts lo = { 0 };
	struct xtap_iface e = { 0 };
	struct xtap_attach_job j = { .st = st, .o = o, .e = &e, .err = err, .len = len };
	char maps_dir[256];
	__u32 pinned, slot = XTAP_MAX_SLOTS;
	struct timespec now;
	int r;

	r = iface_entry(o, &e, err, len);
	if (r)
		return r;
	for (__u32 s = 0; s < XTAP_MAX_SLOTS; s++) {
		struct xtap_iface x;
		bool found = xtap_iface_get(st, s, &x) == 0;

		if (found && x.ifindex == e.ifindex && xtap_in_netns_of(&x)) {
			*out = x;
			*slot_out = s;
			return 1;
		}
		if (!found && slot == XTAP_MAX_SLOTS)
			slot = s;
	}
	if (slot == XTAP_MAX_SLOTS)
		return xtap_fail(err, len, ENOSPC, "all %d interface slots are in use", XTAP_MAX_SLOTS);

	pinned = pinned_flows_max(st);
	if (pinned && o->flows_max && o->flows_max != pinned)
		return xtap_fail(err, len, EEXIST,
				 "the shared flow table has %u entries, not %u (detach --all to resize it)",
				 pinned, o->flows_max);
	xtap_state_path(st, "maps", maps_dir, sizeof(maps_dir));
	lo.slot = slot;
	lo.flows_max = pinned ? pinned : o->flows_max;
	lo.pin_dir = maps_dir;
	lo.with_xdp = o->hooks & (1u << XTAP_HOOK_XDP);
	r = xtap_load(&lo, &j.skel);
	if (r) {
		xtap_fail(err, len, r, "load programs: %s%s", strerror(-r),
			  r == -EPERM ? " (xtap needs root, or CAP_BPF and CAP_NET_ADMIN)" : "");
		goto rollback;
	}
	r = export_cursor_pin(maps_dir, lo.flows_max ? lo.flows_max : XTAP_FLOWS_DEFAULT, err, len);
	if (r)
		goto rollback;
	r = zero_counters(j.skel, slot);
	if (r) {
		xtap_fail(err, len, r, "reset counters: %s", strerror(-r));
		goto rollback;
	}
	j.slot = slot;
	j.flows_max = lo.flows_max;
	j.maps_dir = maps_dir;
	e.used = 1;
	e.hooks = o->hooks;
	for (int h = 0; h < XTAP_HOOK_MAX; h++) {
		if (!(o->hooks & (1u << h)))
			continue;
		r = xtap_hooks[h].attach(&j, h);
		if (r)
			goto rollback;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	e.attached_ns = (__u64)now.tv_sec * 1000000000ull + (__u64)now.tv_nsec;
	r = xtap_iface_put(st, slot, &e);
	if (r) {
		xtap_fail(err, len, r, "registry update: %s", strerror(-r));
		goto rollback;
	}
	xtap_unload(j.skel);
	*out = e;
	*slot_out = slot;
	return 0;

rollback:
	undo(st, slot, &e);
	if (j.skel)
		xtap_unload(j.skel);
	if (xtap_registry_empty(st))
		xtap_state_remove(st);
	return r;
}

int xtap_attach(struct xtap_state *st, const struct xtap_attach_opts *o, struct xtap_iface *out,
		char *err, size_t len)
{
	__u32 slot;

	return attach_one(st, o, out, &slot, err, len);
}

int xtap_detach_slot(struct xtap_state *st, __u32 slot, char *err, size_t len)
{
	struct xtap_iface e, empty = { 0 };
	int r = xtap_iface_get(st, slot, &e);

	if (r)
		return xtap_fail(err, len, r, "slot %u is not attached", slot);
	undo(st, slot, &e);
	r = xtap_iface_put(st, slot, &empty);
	if (r)
		return xtap_fail(err, len, r, "registry update: %s", strerror(-r));
	if (xtap_registry_empty(st)) {
		close(st->reg_fd);
		st->reg_fd = -1;
		xtap_state_remove(st);
	}
	return 0;
}

/* tcx links (Linux 6.6); their info has the ifindex where an XDP link's is */
#define XTAP_BPF_LINK_TYPE_TCX 11

int xtap_slot_alive(const struct xtap_state *st, __u32 slot, const struct xtap_iface *e)
{
	int links = 0, dead = 0;

	/* a pinned XDP or tcx link outlives its interface: the kernel detaches
	 * it (ifindex 0) when the interface or its namespace goes */
	for (int h = 0; h < XTAP_HOOK_MAX; h++) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);
		int fd;

		if (!(e->hooks & (1u << h)) || (fd = xtap_link_get(st, slot, h)) < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    (info.type == BPF_LINK_TYPE_XDP || info.type == XTAP_BPF_LINK_TYPE_TCX)) {
			links++;
			dead += info.xdp.ifindex == 0;
		}
		close(fd);
	}
	if (links)
		return dead < links;
	return xtap_iface_present(e);
}

/* One report of xtap_detach_set; err 0 when the slot went. */
static void detach_report(struct xtap_state *st, __u32 slot, const struct xtap_iface *e,
			  bool stale, struct xtap_detach_report *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", e->name);
	r->stale = stale;
	r->err = xtap_detach_slot(st, slot, r->why, sizeof(r->why));
}

int xtap_detach_set(struct xtap_state *st, enum xtap_detach_what what, char *const *names,
		    int n, struct xtap_detach_report *out)
{
	struct xtap_iface e[XTAP_MAX_SLOTS];
	int alive[XTAP_MAX_SLOTS], nr = 0, live_left = 0;
	bool live_gone = false;

	for (__u32 s = 0; s < XTAP_MAX_SLOTS; s++)
		alive[s] = xtap_iface_get(st, s, &e[s]) ? -2 : xtap_slot_alive(st, s, &e[s]);
	if (what == XTAP_DETACH_NAMES) {
		for (int i = 0; i < n; i++) {
			int s = st->reg_fd >= 0 ? xtap_find_slot(st, names[i]) : -ENOENT;
			struct xtap_detach_report *r = &out[nr++];

			if (s < 0) {
				memset(r, 0, sizeof(*r));
				snprintf(r->name, sizeof(r->name), "%s", names[i]);
				r->err = -ENOENT;
				if (st->reg_fd >= 0)
					xtap_not_attached(st, names[i], r->why, sizeof(r->why));
				else
					snprintf(r->why, sizeof(r->why), "%s: not attached", names[i]);
				continue;
			}
			detach_report(st, (__u32)s, &e[s], alive[s] == 0, r);
			if (!r->err) {
				snprintf(r->name, sizeof(r->name), "%s", names[i]);
				live_gone |= alive[s] != 0;
				alive[s] = -2;
			}
		}
		for (__u32 s = 0; s < XTAP_MAX_SLOTS; s++)
			live_left += alive[s] == 1 || alive[s] == -1;
		/* the last live interface went: the stale ones go with it */
		if (!live_gone || live_left)
			return nr;
	}
	for (__u32 s = 0; s < XTAP_MAX_SLOTS && st->reg_fd >= 0; s++) {
		if (alive[s] == -2 || (what != XTAP_DETACH_ALL && alive[s] != 0))
			continue;
		detach_report(st, s, &e[s], alive[s] == 0, &out[nr++]);
	}
	return nr;
}

/*
 * The settings of the whole state (struct xtap_live), written once the
 * interfaces are attached:
 * - hop sampling: a state nobody configured gets the default, one that was
 *   keeps its setting unless hop_sample names another;
 * - flow sampling: o->sampling when not 0, else what the state has;
 * - tunnel decapsulation: o->tunnels when given, else what the state has;
 *   the ports before the flags, so that a packet in between sees the old
 *   flags with the new ports, never flags without their ports.
 */
static int set_live(const struct xtap_state *st, const struct xtap_attach_opts *o,
		    __u32 hop_sample, char *err, size_t len)
{
	struct xtap_live *l = xtap_live_open(st);

	if (!l)
		return xtap_fail(err, len, errno, "attach: settings: %s", strerror(errno));
	if (hop_sample || !xtap_live_get(&l->hop.configured)) {
		xtap_live_set(&l->hop.sample_shift, hop_sample ? (__u32)__builtin_ctz(hop_sample)
							       : XTAP_HOP_SAMPLE_SHIFT_DEFAULT);
		xtap_live_set(&l->hop.configured, 1);
	}
	if (o->sampling)
		xtap_live_set(&l->flow.sampling, o->sampling);
	if (o->tunnels) {
		memcpy(l->tun.vxlan, o->tunnels->vxlan, sizeof(l->tun.vxlan));
		memcpy(l->tun.geneve, o->tunnels->geneve, sizeof(l->tun.geneve));
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		xtap_live_set(&l->tun.flags, o->tunnels->flags);
	}
	xtap_live_unmap(l);
	return 0;
}

int xtap_attach_all(struct xtap_state *st, char *const *ifnames, int n,
		    const struct xtap_attach_opts *o, __u32 hop_sample,
		    struct xtap_attach_result *res, char *err, size_t len)
{
	__u32 made[XTAP_MAX_SLOTS];
	int nmade = 0, r;

	res->done = res->rolled_back = 0;
	res->rollback_err[0] = res->drops_err[0] = '\0';
	for (int i = 0; i < n; i++)
		if (!if_nametoindex(ifnames[i]))
			return xtap_fail(err, len, ENODEV, "attach %s: interface not found", ifnames[i]);
	for (int i = 0; i < n; i++) {
		struct xtap_attach_opts one = *o;
		char cause[XTAP_ERRLEN];
		__u32 slot;

		one.ifname = ifnames[i];
		r = attach_one(st, &one, &res->each[i].iface, &slot, cause, sizeof(cause));
		if (r < 0) {
			xtap_fail(err, len, r, "attach %s: %s", ifnames[i], cause);
			for (int k = 0; k < nmade; k++)
				if (xtap_detach_slot(st, made[k], cause, sizeof(cause)) &&
				    !res->rollback_err[0])
					snprintf(res->rollback_err, sizeof(res->rollback_err), "%s", cause);
			res->rolled_back = nmade;
			return r;
		}
		res->each[i].already = r == 1;
		if (r == 0 && nmade < XTAP_MAX_SLOTS)
			made[nmade++] = slot;
		res->done++;
	}
	r = set_live(st, o, hop_sample, err, len);
	/* drop reasons: one tracepoint for the whole state, best effort */
	if (xtap_drops_attach(st, res->drops_err, sizeof(res->drops_err)) >= 0)
		res->drops_err[0] = '\0';
	return r;
}

int xtap_attach_names(char *const *ifnames, int n, const struct xtap_attach_opts *o,
		      __u32 hop_sample, struct xtap_attach_result *res, char *err, size_t len)
{
	struct xtap_state st;
	char cause[XTAP_ERRLEN];
	int r = xtap_state_open(&st, NULL, XTAP_STATE_CREATE, cause, sizeof(cause));

	res->done = res->rolled_back = 0;
	res->rollback_err[0] = res->drops_err[0] = '\0';
	if (r)
		return xtap_fail(err, len, r, "attach: %s", cause);
	r = xtap_attach_all(&st, ifnames, n, o, hop_sample, res, err, len);
	xtap_state_close(&st);
	return r;
}

int xtap_detach_names(enum xtap_detach_what what, char *const *names, int n,
		      struct xtap_detach_report *out, char *err, size_t len)
{
	struct xtap_state st;
	int r = xtap_state_open(&st, NULL, what == XTAP_DETACH_ALL ? XTAP_STATE_ANY_ABI : 0, err,
				len);

	if (r)
		return r;
	r = xtap_detach_set(&st, what, names, n, out);
	xtap_state_close(&st);
	return r;
}
