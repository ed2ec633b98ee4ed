/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Reading the drop counts of kern/drops.bpf.c (xtap_drops). */
#ifndef XTAP_USER_DROPS_H
#define XTAP_USER_DROPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "maps/xtap.h"

struct xtap_drop_entry {
	struct xtap_drop_key key;
	struct xtap_drop_val val;
};

struct xtap_drops {
	struct xtap_drop_entry *d;
	size_t n;
};

/* Every entry of the map; d is malloc'ed. Returns 0 or -errno. */
int xtap_drops_read(int fd, struct xtap_drops *out);
void xtap_drops_free(struct xtap_drops *d);
/* Packets of the flow dropped, over every interface and reason. arg: a
 * struct xtap_drops (the shape struct xtap_report's drops_of wants). */
__u64 xtap_drops_of_flow(const struct xtap_flow_key *k, void *arg);

struct xtap_state;

/* The drops of the attached state st, most packets first. 0, or -1 after a
 * one-line error. */
int xtap_drops_query(const struct xtap_state *st, struct xtap_drops *out);
/* As a table or as JSON; interfaces named from st's registry. */
void xtap_drops_print(FILE *out, const struct xtap_state *st, const struct xtap_drops *d, bool json);

#endif
