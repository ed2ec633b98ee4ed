// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "loader/drops.h"
#include "drops.skel.h"

static int dfail(char *err, size_t len, int e, const char *what)
{
	snprintf(err, len, "drop tracepoint: %s: %s", what, strerror(e));
	return -e;
}

/* libbpf finds tracepoints through tracefs: mount it where it is missing */
static int ensure_tracefs(void)
{
	if (!access("/sys/kernel/tracing/events", F_OK) ||
	    !access("/sys/kernel/debug/tracing/events", F_OK))
		return 0;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL))
		return -errno;
	return 0;
}

int xtap_drops_attach(const struct xtap_state *st, char *err, size_t len)
{
	struct drops_bpf *skel = NULL;
	struct bpf_link *link = NULL;
	struct bpf_map *map;
	char p[256];
	int fd, r = 0, flows_fd = -1;

	snprintf(p, sizeof(p), "%s/links/drops", st->root);
	fd = bpf_obj_get(p);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	r = ensure_tracefs();
	if (r)
		return dfail(err, len, -r, "mount tracefs on /sys/kernel/tracing");
	flows_fd = xtap_map_open(st, "xtap_flows");
	if (flows_fd < 0)
		return dfail(err, len, -flows_fd, "flow table");
	skel = drops_bpf__open();
	if (!skel) {
		r = dfail(err, len, errno ? errno : EINVAL, "open");
		goto out;
	}
	/* flow.h brings the data plane's maps along: share the flow table,
	 * pin the drop counts, create nothing else */
	bpf_object__for_each_map(map, skel->obj) {
		if (bpf_map__is_internal(map))
			continue;
		if (map == skel->maps.xtap_flows)
			r = bpf_map__reuse_fd(map, flows_fd);
		else if (map == skel->maps.xtap_drops) {
			char mp[256];

			snprintf(mp, sizeof(mp), "%s/maps/xtap_drops", st->root);
			r = bpf_map__set_pin_path(map, mp);
		} else
			r = bpf_map__set_autocreate(map, false);
		if (r) {
			r = dfail(err, len, -r, bpf_map__name(map));
			goto out;
		}
	}
	r = drops_bpf__load(skel);
	if (r) {
		r = dfail(err, len, -r, "load");
		goto out;
	}
	link = bpf_program__attach_tracepoint(skel->progs.xtap_kfree_skb, "skb", "kfree_skb");
	if (!link) {
		r = dfail(err, len, errno ? errno : EINVAL, "attach skb:kfree_skb");
		goto out;
	}
	r = bpf_link__pin(link, p);
	if (r)
		r = dfail(err, len, -r, "pin link");
out:
	if (link)
		bpf_link__destroy(link);	/* the pin keeps it attached */
	drops_bpf__destroy(skel);
	if (flows_fd >= 0)
		close(flows_fd);
	return r;
}

const char *xtap_drop_reason_name(unsigned int reason, char *buf, size_t len)
{
	static struct btf *vmlinux;
	static const char prefix[] = "SKB_DROP_REASON_";
	const struct btf_type *t;
	__s32 id;

	if (!vmlinux)
		vmlinux = btf__load_vmlinux_btf();
	id = vmlinux ? btf__find_by_name_kind(vmlinux, "skb_drop_reason", BTF_KIND_ENUM) : -1;
	if (id > 0 && (t = btf__type_by_id(vmlinux, id))) {
		const struct btf_enum *e = btf_enum(t);

		for (int i = 0; i < btf_vlen(t); i++, e++) {
			const char *n = btf__name_by_offset(vmlinux, e->name_off);

			if ((unsigned int)e->val != reason || !n)
				continue;
			if (!strncmp(n, prefix, sizeof(prefix) - 1))
				n += sizeof(prefix) - 1;
			snprintf(buf, len, "%s", n);
			return buf;
		}
	}
	snprintf(buf, len, "reason %u", reason);
	return buf;
}
