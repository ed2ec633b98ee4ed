// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/live.h"
#include "loader/loader.h"
#include "loader/state.h"

static size_t live_size(void)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t pg = page > 0 ? (size_t)page : 4096;

	return (sizeof(struct xtap_live) + pg - 1) / pg * pg;
}

struct xtap_live *xtap_live_map(int map_fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	void *p;

	if (bpf_obj_get_info_by_fd(map_fd, &info, &len))
		return NULL;
	if (info.type != BPF_MAP_TYPE_ARRAY || info.value_size != sizeof(struct xtap_live) ||
	    info.max_entries != 1 || !(info.map_flags & BPF_F_MMAPABLE)) {
		errno = EPROTO;
		return NULL;
	}
	p = mmap(NULL, live_size(), PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

struct xtap_live *xtap_live_open(const struct xtap_state *st)
{
	int fd = xtap_map_open(st, XTAP_LIVE_PIN), e;
	struct xtap_live *l;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	l = xtap_live_map(fd);
	e = errno;
	close(fd);
	errno = e;
	return l;
}

int xtap_live_read(const struct xtap_state *st, struct xtap_live *out)
{
	int fd = xtap_map_open(st, XTAP_LIVE_PIN), r = 0;
	__u32 zero = 0;

	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &zero, out))
		r = -errno;
	close(fd);
	return r;
}

void xtap_live_unmap(struct xtap_live *l)
{
	if (l)
		munmap(l, live_size());
}

struct xtap_live *xtap_live_of(struct xtap_bpf *skel)
{
	return &skel->data_live->xtap_live;
}

int xtap_live_fd(struct xtap_bpf *skel)
{
	return bpf_map__fd(skel->maps.data_live);
}
