/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* HTTP/1.x, DNS and TLS per-flow state (the xtap_app map), joined to flows. */
#ifndef XTAP_USER_APP_H
#define XTAP_USER_APP_H

#include <stddef.h>
#include <linux/types.h>

#include "maps/xtap.h"
#include "user/json.h"

struct xtap_app_entry {
	struct xtap_flow_key key;
	struct xtap_app val;
};

/* The map's entries, sorted by key. */
struct xtap_app_table {
	struct xtap_app_entry *e;
	size_t n;
};

/* Read every entry of the xtap_app map fd. 0 or -errno. */
int xtap_app_dump(int fd, struct xtap_app_table *t);
void xtap_app_free(struct xtap_app_table *t);
/* The entry of a flow, or NULL (also for a NULL or empty table and for an
 * entry whose kind is unknown). */
const struct xtap_app *xtap_app_find(const struct xtap_app_table *t, const struct xtap_flow_key *k);

/* A question name as the kernel keeps it (length-prefixed labels, cut at
 * XTAP_DNS_NAME_LEN bytes) as dotted text: "." for the root, "..." appended
 * when it was cut, bytes outside printable ASCII as '?'. Returns buf. */
char *xtap_dns_name_str(const char wire[XTAP_DNS_NAME_LEN], char *buf, size_t len);
/* "NOERROR", "NXDOMAIN", ... or the number. */
const char *xtap_dns_rcode_name(__u8 rcode, char *buf, size_t len);

/* HTTP requests or DNS queries still waiting for their response. */
__u32 xtap_app_pending(const struct xtap_app *a);

/* The "http", "dns", "tls" or "quic" member of a flow's JSON object; times on the programs'
 * clock plus time_offset_ns. */
void xtap_app_json(struct json *j, const struct xtap_app *a, __s64 time_offset_ns);
/* The table's STATUS and RESP cells: the last HTTP status or DNS code, and
 * the mean response time ("-" when none was timed). Empty for NULL. */
void xtap_app_cells(const struct xtap_app *a, char *status, size_t slen, char *resp, size_t rlen);
/* QUIC: "QUICv1", "QUICv2", "QUIC-d29" (draft 29), else "QUIC-%08x". */
const char *xtap_quic_version_str(__u32 v, char *buf, size_t len);
/* TLS: "TLS1.2" for 0x0303 ("0x%04x" for a version it does not name). */
const char *xtap_tls_version_str(__u16 v, char *buf, size_t len);
/* The table's TLS cell of a TLS flow: "SNI ALPN" ("-" for either one that
 * was not offered); empty for anything else. (STATUS is the chosen version,
 * RESP the mean ClientHello to ServerHello time.) */
void xtap_app_tls_cell(const struct xtap_app *a, char *buf, size_t len);

#endif
