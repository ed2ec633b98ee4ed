/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Reading the drop counts of kern/drops.bpf.c (xtap_drops). */
#ifndef XTAP_USER_DROPS_H
#define XTAP_USER_DROPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "maps/xtap.h"

/*
 * What a drop means. The kernel frees some packets with a drop reason as
 * part of normal delivery or teardown; only XTAP_DROP_LOSS is a packet that
 * did not get where it was going. The classification is by reason name (the
 * values differ between kernels) and context: protocol, destination,
 * socket state (README, "Drop classes").
 */
enum xtap_drop_class {
	XTAP_DROP_LOSS = 0,	/* lost: filtered, no route, no listener, full, broken */
	XTAP_DROP_DELIVERED,	/* freed after delivery: ICMP that raw sockets got */
	XTAP_DROP_TEARDOWN,	/* freed with a closing socket or its queues */
	XTAP_DROP_DUPLICATE,	/* a copy of what the receiver already had */
	XTAP_DROP_NOT_OURS,	/* for another host, or a group not joined */
	XTAP_DROP_CLASS_MAX,
};

/* "loss", "delivered", "teardown", "duplicate", "not-ours". */
const char *xtap_drop_class_name(enum xtap_drop_class c);
/* The class of a drop with this reason name (without SKB_DROP_REASON_) and
 * key (protocol, addresses, socket state). */
enum xtap_drop_class xtap_drop_classify(const char *reason, const struct xtap_drop_key *k);

struct xtap_drop_entry {
	struct xtap_drop_key key;
	struct xtap_drop_val val;
	enum xtap_drop_class cls;	/* set by xtap_drops_read */
};

struct xtap_drops {
	struct xtap_drop_entry *d;
	size_t n;
};

/* Every entry of the map, each classified (reasons named from the running
 * kernel's BTF); d is malloc'ed. Returns 0 or -errno. */
int xtap_drops_read(int fd, struct xtap_drops *out);
void xtap_drops_free(struct xtap_drops *d);
/* Packets of the flow lost (XTAP_DROP_LOSS), over every interface and
 * reason. arg: a struct xtap_drops (the shape struct xtap_report's drops_of
 * wants). */
__u64 xtap_drops_of_flow(const struct xtap_flow_key *k, void *arg);

struct xtap_state;

/* The drops of the attached state st, most packets first. 0, or -1 after a
 * one-line error. */
int xtap_drops_query(const struct xtap_state *st, struct xtap_drops *out);
/* As a table or as JSON; interfaces named from st's registry. The losses
 * alone, or with all every drop and its class. */
void xtap_drops_print(FILE *out, const struct xtap_state *st, const struct xtap_drops *d, bool json,
		      bool all);

#endif
