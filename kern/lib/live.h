/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What changes while xtap is attached (struct xtap_live in maps/xtap.h):
 * the flow sample's rate and handshake marks, the hop sample, the running
 * captures, AF_XDP per slot, the tunnel ports. A global in a data section
 * of its own, which the loader pins as xtap_live and every later instance
 * reuses (loader/loader.c): the programs of all interfaces share it, and
 * read it by address, a load, where a configuration map costs a lookup
 * per packet.
 */
#ifndef XTAP_KERN_LIVE_H
#define XTAP_KERN_LIVE_H

#include "../../maps/xtap.h"

#ifdef __bpf__
struct xtap_live xtap_live SEC(".data.live");
#else
static struct xtap_live xtap_live;	/* a user-space build of the parser: the defaults */
#endif

#endif
