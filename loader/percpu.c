// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/percpu.h"

#define STRIDE(v) (((v) + 7) & ~(size_t)7)

int xtap_ncpus(void)
{
	static int n;

	if (!n)
		n = libbpf_num_possible_cpus();
	return n;
}

int xtap_percpu_get(int fd, const void *key, size_t vsize, void **out)
{
	int ncpu = xtap_ncpus();
	void *v;

	*out = NULL;
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	v = calloc((size_t)ncpu, STRIDE(vsize));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, key, v)) {
		int err = -errno;

		free(v);
		return err;
	}
	*out = v;
	return ncpu;
}

int xtap_percpu_sum(int fd, const void *key, __u64 *out, size_t nwords)
{
	__u64 *v;
	int n = xtap_percpu_get(fd, key, nwords * sizeof(__u64), (void **)&v);

	memset(out, 0, nwords * sizeof(__u64));
	if (n < 0)
		return n;
	for (int c = 0; c < n; c++)
		for (size_t i = 0; i < nwords; i++)
			out[i] += v[(size_t)c * nwords + i];
	free(v);
	return 0;
}

int xtap_percpu_hist(int fd, const void *key, struct xtap_hist *out)
{
	struct xtap_hist *v;
	int n = xtap_percpu_get(fd, key, sizeof(*v), (void **)&v);

	_Static_assert(sizeof(*v) % 8 == 0, "per-CPU stride");
	memset(out, 0, sizeof(*out));
	if (n < 0)
		return n;
	for (int c = 0; c < n; c++) {
		out->count += v[c].count;
		out->sum_ns += v[c].sum_ns;
		if (v[c].max_ns > out->max_ns)
			out->max_ns = v[c].max_ns;
		for (int b = 0; b < XTAP_HIST_BUCKETS; b++)
			out->bucket[b] += v[c].bucket[b];
	}
	free(v);
	return 0;
}

int xtap_percpu_zero(int fd, const void *key, size_t vsize)
{
	int ncpu = xtap_ncpus(), err = 0;
	void *zero;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	zero = calloc((size_t)ncpu, STRIDE(vsize));
	if (!zero)
		return -ENOMEM;
	if (bpf_map_update_elem(fd, key, zero, BPF_ANY))
		err = -errno;
	free(zero);
	return err;
}
