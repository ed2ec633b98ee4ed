// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/loader.h"

static int pin_maps_in(struct xtap_bpf *skel, const char *dir)
{
	struct bpf_map *map;
	char path[256];

	bpf_object__for_each_map(map, skel->obj) {
		const char *name = bpf_map__name(map);

		/* of the global data, .rodata belongs to one instance (its slot)
		 * and the live settings to all: every instance reuses the first
		 * one's */
		if (map == skel->maps.data_live)
			name = XTAP_LIVE_PIN;
		else if (bpf_map__is_internal(map))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
			return -ENAMETOOLONG;
		if (bpf_map__set_pin_path(map, path))
			return -errno ? -errno : -EINVAL;
	}
	return 0;
}

int xtap_prepare(struct xtap_bpf *skel, const struct xtap_load_opts *o)
{
	int err;

	if (o->slot >= XTAP_MAX_SLOTS)
		return -ERANGE;
	skel->rodata->xtap_slot = o->slot;
	skel->rodata->xtap_replay_mode = o->replay;
	skel->rodata->xtap_tc_ingress_counts = !o->with_xdp;
	err = bpf_map__set_max_entries(skel->maps.xtap_flows,
				       o->flows_max ? o->flows_max : XTAP_FLOWS_DEFAULT);
	if (!err && o->pin_dir)
		err = pin_maps_in(skel, o->pin_dir);
	return err;
}

int xtap_install_step(struct xtap_bpf *skel)
{
	__u32 step = XTAP_CAPTURE_STEP;
	int fd;

	fd = bpf_program__fd(skel->progs.xtap_cap_xdp);
	if (fd >= 0 && bpf_map_update_elem(bpf_map__fd(skel->maps.xtap_capprog_xdp), &step, &fd, BPF_ANY))
		return -errno;
	fd = bpf_program__fd(skel->progs.xtap_cap_tc);
	if (fd >= 0 && bpf_map_update_elem(bpf_map__fd(skel->maps.xtap_capprog_tc), &step, &fd, BPF_ANY))
		return -errno;
	return 0;
}

int xtap_load(const struct xtap_load_opts *o, struct xtap_bpf **out)
{
	struct xtap_bpf *skel;
	int err;

	*out = NULL;
	skel = xtap_bpf__open();
	if (!skel)
		return errno ? -errno : -EINVAL;
	err = xtap_prepare(skel, o);
	if (!err)
		err = xtap_bpf__load(skel);
	if (!err)
		err = xtap_install_step(skel);
	if (err) {
		xtap_bpf__destroy(skel);
		return err < 0 ? err : -err;
	}
	*out = skel;
	return 0;
}

void xtap_unload(struct xtap_bpf *skel)
{
	xtap_bpf__destroy(skel);
}
