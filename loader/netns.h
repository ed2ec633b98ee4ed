/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The network namespaces of registry entries: xtap can detach and report an
 * interface from any namespace whose /run/netns name it can find. */
#ifndef XTAP_LOADER_NETNS_H
#define XTAP_LOADER_NETNS_H

#include <stddef.h>

#include "maps/xtap.h"

/* 1 when the interface of the entry is still there, 0 when it is gone, -1
 * when its namespace cannot be reached from here. */
int xtap_iface_present(const struct xtap_iface *e);

/* Name of the entry's namespace: "" for this one, the /run/netns name, or
 * "netns:<inode>". */
void xtap_netns_name(const struct xtap_iface *e, char *buf, size_t len);

#endif
