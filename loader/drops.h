/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The drop-reason tracepoint (kern/drops.bpf.c). `xtap attach` loads it once
 * per state directory and pins its link at links/drops and its map at
 * maps/xtap_drops; the last detach removes both with the rest of the state.
 */
#ifndef XTAP_LOADER_DROPS_H
#define XTAP_LOADER_DROPS_H

#include <stddef.h>

#include "loader/attach.h"

/* 0 when attached now, 1 when it already was, -errno with the cause in err. */
int xtap_drops_attach(const struct xtap_state *st, char *err, size_t len);

/* Name of an enum skb_drop_reason value from the kernel's BTF, without the
 * SKB_DROP_REASON_ prefix ("NETFILTER_DROP"); "reason N" when the kernel
 * does not know it. */
const char *xtap_drop_reason_name(unsigned int reason, char *buf, size_t len);

#endif
