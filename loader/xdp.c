// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* XDP attach: through libxdp's dispatcher where it works, else a pinned
 * bpf_link; native mode first, then generic, as the options allow. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "loader/internal.h"
#include "empty.skel.h"

/* Name the XDP program that holds ifindex, for the error message. */
static void xdp_holder(int ifindex, char *buf, size_t len)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info);
	__u32 id;
	int fd;

	snprintf(buf, len, "another XDP program");
	if (bpf_xdp_query(ifindex, 0, &q))
		return;
	id = q.prog_id ? q.prog_id : q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
	if (!id)
		return;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &ilen) == 0)
		snprintf(buf, len, "XDP program id %u (%s)", id, info.name);
	else
		snprintf(buf, len, "XDP program id %u", id);
	if (fd >= 0)
		close(fd);
}

/*
 * Can libxdp's dispatcher work here? It needs freplace (BPF_PROG_TYPE_EXT).
 * Probe without touching any interface: load the empty program, then load it
 * again as an extension of itself.
 */
static bool freplace_works(void)
{
	static int cached = -1;
	struct empty_bpf *target = NULL, *ext = NULL;

	if (cached >= 0)
		return cached;
	cached = 0;
	target = empty_bpf__open_and_load();
	if (!target)
		goto out;
	ext = empty_bpf__open();
	if (!ext)
		goto out;
	bpf_program__set_type(ext->progs.xdp_pass, BPF_PROG_TYPE_EXT);
	if (bpf_program__set_attach_target(ext->progs.xdp_pass,
					   bpf_program__fd(target->progs.xdp_pass), "xdp_pass"))
		goto out;
	cached = empty_bpf__load(ext) == 0;
out:
	empty_bpf__destroy(ext);
	empty_bpf__destroy(target);
	return cached;
}

static enum xdp_attach_mode libxdp_mode(int m)
{
	return m == XTAP_XDP_GENERIC ? XDP_MODE_SKB : XDP_MODE_NATIVE;
}

/* Attach through libxdp's dispatcher: a copy of the programs of its own,
 * sharing the pinned maps. Returns 0 with the program id, or -EOPNOTSUPP
 * when libxdp could only attach it alone (then nothing is left). */
static int attach_libxdp(const struct xtap_attach_job *j, int mode, __u32 *prog_id)
{
	struct xtap_load_opts lo = { .slot = j->slot, .flows_max = j->flows_max,
				     .pin_dir = j->maps_dir, .with_xdp = true };
	int ifindex = (int)j->e->ifindex;
	struct xdp_multiprog *mp = NULL;
	struct xdp_program *p = NULL;
	struct xtap_bpf *skel;
	bool legacy;
	int err;

	skel = xtap_bpf__open();
	if (!skel)
		return -errno;
	for (int h = 0; h < XTAP_HOOK_MAX; h++)
		if (h != XTAP_HOOK_XDP)
			bpf_program__set_autoload(xtap_hooks[h].prog(skel), false);
	err = xtap_prepare(skel, &lo);
	if (err)
		goto out;
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xo, .obj = skel->obj, .prog_name = "xdp_tap");
	p = xdp_program__create(&xo);
	err = libxdp_get_error(p);
	if (err) {
		p = NULL;
		goto out;
	}
	err = xdp_program__attach(p, ifindex, libxdp_mode(mode), 0);
	if (err)
		goto out;
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	legacy = libxdp_get_error(mp) || xdp_multiprog__is_legacy(mp);
	if (legacy) {
		xdp_program__detach(p, ifindex, libxdp_mode(mode), 0);
		err = -EOPNOTSUPP;
		goto out;
	}
	*prog_id = xdp_program__id(p);
out:
	if (mp && !libxdp_get_error(mp))
		xdp_multiprog__close(mp);
	xdp_program__close(p);
	xtap_bpf__destroy(skel);
	return err;
}

static int attach_link(const struct xtap_attach_job *j, int prog_fd, int mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo,
		    .flags = mode == XTAP_XDP_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
	int fd = bpf_link_create(prog_fd, (int)j->e->ifindex, BPF_XDP, &lo);

	if (fd < 0)
		return -errno;
	return xtap_link_pin(j->st, j->slot, XTAP_HOOK_XDP, fd);
}

int xtap_xdp_attach(struct xtap_attach_job *j, enum xtap_hook h)
{
	struct xtap_iface *e = j->e;
	int prog_fd = bpf_program__fd(xtap_hooks[h].prog(j->skel));
	int modes[2], n = 0, r = -EINVAL;

	if (j->o->xdp_mode == XTAP_MODE_AUTO || j->o->xdp_mode == XTAP_XDP_NATIVE)
		modes[n++] = XTAP_XDP_NATIVE;
	if (j->o->xdp_mode == XTAP_MODE_AUTO || j->o->xdp_mode == XTAP_XDP_GENERIC)
		modes[n++] = XTAP_XDP_GENERIC;

	for (int i = 0; i < n; i++) {
		if (freplace_works()) {
			r = attach_libxdp(j, modes[i], &e->prog_id[h]);
			if (r == 0) {
				e->xdp_mech = XTAP_XDP_LIBXDP;
				e->xdp_mode = modes[i];
				return 0;
			}
		}
		r = attach_link(j, prog_fd, modes[i]);
		if (r == 0) {
			e->xdp_mech = XTAP_XDP_LINK;
			e->xdp_mode = modes[i];
			e->prog_id[h] = xtap_prog_id(prog_fd);
			return 0;
		}
		if (r == -EBUSY || r == -EEXIST) {
			char who[128];

			xdp_holder((int)e->ifindex, who, sizeof(who));
			return xtap_fail(j->err, j->len, r,
					 "%s holds XDP here; xtap does not replace another tool's program", who);
		}
	}
	/* the loader's one use of the mode words, in the message that names
	 * the modes tried: the requested one, or both for auto */
	return xtap_fail(j->err, j->len, r, "XDP %s attach failed: %s",
			 n == 1 ? (modes[0] == XTAP_XDP_GENERIC ? "generic" : "native") : "native or generic",
			 strerror(-r));
}

void xtap_xdp_detach(const struct xtap_iface *e, enum xtap_hook h)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p = NULL;

	if (e->xdp_mech != XTAP_XDP_LIBXDP)
		return;		/* a link: its pin goes, and with it the program */
	mp = xdp_multiprog__get_from_ifindex(e->ifindex);
	if (libxdp_get_error(mp))
		return;
	while ((p = xdp_multiprog__next_prog(p, mp)))
		if (xdp_program__id(p) == e->prog_id[h]) {
			xdp_program__detach(p, e->ifindex, libxdp_mode(e->xdp_mode), 0);
			break;
		}
	xdp_multiprog__close(mp);
}
