/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Names of the ABI's enums and fields, for tables and JSON. */
#ifndef XTAP_USER_NAMES_H
#define XTAP_USER_NAMES_H

#include <stddef.h>
#include "maps/xtap.h"

const char *xtap_stat_name(enum xtap_stat s);
/* The hooks' names by enum xtap_hook, NULL-terminated. */
extern const char *const xtap_hook_names[];
const char *xtap_hook_name(enum xtap_hook h);
int xtap_hook_parse(const char *s);	/* enum xtap_hook or -1 */
/* An entry's XDP mode and TC mechanism: "native", "generic"; "tcx",
 * "clsact"; "-" for none (0). */
const char *xtap_xdp_mode_name(int mode);	/* enum xtap_xdp_mode */
const char *xtap_tc_mech_name(int mech);	/* enum xtap_tc_mech */
/* An option's value: "auto" gives 0 (XTAP_MODE_AUTO, XTAP_TC_AUTO), a name
 * its enum value; -1 for anything else. */
int xtap_xdp_mode_parse(const char *s);
int xtap_tc_mech_parse(const char *s);
const char *xtap_proto_name(__u8 proto);	/* "tcp", "udp", ..., NULL if unnamed */
/* TCP flags as tcpdump letters (FSRPAUEW) into buf; returns buf. */
char *xtap_tcp_flags_str(__u32 flags, char *buf, size_t len);
/* Address of a key side as text: IPv4 dotted for ip_version 4. */
char *xtap_addr_str(const __u8 addr[16], __u8 ip_version, char *buf, size_t len);

#endif
