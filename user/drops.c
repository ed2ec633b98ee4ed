// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "user/drops.h"

int xtap_drops_read(int fd, struct xtap_drops *out)
{
	struct xtap_drop_key k, last, *prev = NULL;
	struct xtap_drop_entry *grown;
	size_t cap = 0;

	out->d = NULL;
	out->n = 0;
	while (bpf_map_get_next_key(fd, prev, &k) == 0) {
		last = k;
		prev = &last;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 64;
			grown = realloc(out->d, cap * sizeof(*out->d));
			if (!grown) {
				xtap_drops_free(out);
				return -ENOMEM;
			}
			out->d = grown;
		}
		if (bpf_map_lookup_elem(fd, &k, &out->d[out->n].val))
			continue;	/* removed meanwhile */
		out->d[out->n++].key = k;
	}
	return 0;
}

void xtap_drops_free(struct xtap_drops *d)
{
	free(d->d);
	d->d = NULL;
	d->n = 0;
}

__u64 xtap_drops_of_flow(const struct xtap_flow_key *k, void *arg)
{
	const struct xtap_drops *d = arg;
	__u64 sum = 0;

	for (size_t i = 0; i < d->n; i++)
		if (!memcmp(&d->d[i].key.flow, k, sizeof(*k)))
			sum += d->d[i].val.pkts;
	return sum;
}
