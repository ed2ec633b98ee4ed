/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Per-CPU map values: one reader and one writer for every per-CPU map. */
#ifndef XTAP_LOADER_PERCPU_H
#define XTAP_LOADER_PERCPU_H

#include <stddef.h>
#include <linux/types.h>

#include "maps/xtap.h"

/* Possible CPUs: the number of values a per-CPU lookup returns, or -errno. */
int xtap_ncpus(void);

/* key's value on every possible CPU, each vsize bytes (the kernel lays them
 * out 8-byte aligned; vsize is rounded up to that stride). *out is malloc'ed
 * and the caller frees it. Returns the number of values, or -errno. */
int xtap_percpu_get(int fd, const void *key, size_t vsize, void **out);

/* A value made of nwords __u64 counters, summed over CPUs into out.
 * 0 or -errno. */
int xtap_percpu_sum(int fd, const void *key, __u64 *out, size_t nwords);

/* A histogram summed over CPUs: counts and sums added, the largest max kept.
 * 0 or -errno. */
int xtap_percpu_hist(int fd, const void *key, struct xtap_hist *out);

/* Sets key's value to zero on every CPU. 0 or -errno. */
int xtap_percpu_zero(int fd, const void *key, size_t vsize);

#endif
