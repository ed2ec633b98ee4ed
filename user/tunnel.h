/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Tunnel flows (kern/lib/tunnel.h): names, the port configuration of
 * xtap attach, and the outer endpoints (xtap_tunnels) in tables and JSON. */
#ifndef XTAP_USER_TUNNEL_H
#define XTAP_USER_TUNNEL_H

#include <stddef.h>

#include "maps/xtap.h"
#include "user/json.h"

/* "vxlan", "geneve", "gre", "ipip", "erspan"; NULL for none or unknown. */
const char *xtap_tun_type_name(unsigned int type);

/* A comma-separated list of up to XTAP_TUN_PORTS UDP ports ("4789,8472")
 * into out (the rest 0). 0, or -EINVAL. */
int xtap_tun_ports_parse(const char *s, __u16 out[XTAP_TUN_PORTS]);

/* The outer endpoints of the tunnel flow k from the xtap_tunnels map fd.
 * 0, or -errno (-ENOENT: none recorded). */
int xtap_tunnel_lookup(int fd, const struct xtap_flow_key *k, struct xtap_tunnel *t);

/* The TUNNEL cell of a flow seen from its side `from` (0: a, 1: b):
 * "vxlan:42 192.168.1.1>192.168.1.2", the outer address of that side's
 * tunnel end first; t NULL: the type and id alone. "-" outside a tunnel. */
void xtap_tunnel_cell(const struct xtap_flow_key *k, const struct xtap_tunnel *t, int from,
		      char *buf, size_t len);

/* "tunnel": {"type", "id", "outer_src", "outer_dst", "udp_dport"} of a tunnel
 * flow (outer_src the tunnel end of side a); nothing outside a tunnel. */
void xtap_tunnel_json(struct json *j, const struct xtap_flow_key *k, const struct xtap_tunnel *t);

#endif
