// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "user/names.h"

static const char *const stat_names[XTAP_STAT_MAX] = {
	[XTAP_STAT_TCP] = "tcp",
	[XTAP_STAT_UDP] = "udp",
	[XTAP_STAT_ICMP] = "icmp",
	[XTAP_STAT_ICMPV6] = "icmpv6",
	[XTAP_STAT_IP_OTHER] = "ip_other",
	[XTAP_STAT_IP_FRAGMENT] = "ip_fragment",
	[XTAP_STAT_ARP] = "arp",
	[XTAP_STAT_LLDP] = "lldp",
	[XTAP_STAT_ETH_OTHER] = "eth_other",
	[XTAP_STAT_TRUNC_ETH] = "truncated_eth",
	[XTAP_STAT_TRUNC_VLAN] = "truncated_vlan",
	[XTAP_STAT_VLAN_DEPTH] = "vlan_too_deep",
	[XTAP_STAT_TRUNC_IPV4] = "truncated_ipv4",
	[XTAP_STAT_IPV4_VERSION] = "ipv4_bad_version",
	[XTAP_STAT_IPV4_IHL] = "ipv4_bad_ihl",
	[XTAP_STAT_IPV4_LEN_SHORT] = "ipv4_len_short",
	[XTAP_STAT_IPV4_LEN_LONG] = "ipv4_len_long",
	[XTAP_STAT_TRUNC_IPV6] = "truncated_ipv6",
	[XTAP_STAT_IPV6_VERSION] = "ipv6_bad_version",
	[XTAP_STAT_IPV6_LEN_LONG] = "ipv6_len_long",
	[XTAP_STAT_TRUNC_IPV6_EXT] = "truncated_ipv6_ext",
	[XTAP_STAT_IPV6_EXT_DEPTH] = "ipv6_ext_too_deep",
	[XTAP_STAT_TRUNC_TCP] = "truncated_tcp",
	[XTAP_STAT_TCP_DOFF_SHORT] = "tcp_doff_short",
	[XTAP_STAT_TCP_DOFF_LONG] = "tcp_doff_long",
	[XTAP_STAT_TRUNC_UDP] = "truncated_udp",
	[XTAP_STAT_UDP_LEN] = "udp_bad_len",
	[XTAP_STAT_TRUNC_ICMP] = "truncated_icmp",
	[XTAP_STAT_TRUNC_ICMPV6] = "truncated_icmpv6",
	[XTAP_STAT_TRUNC_ARP] = "truncated_arp",
	[XTAP_STAT_BYTES] = "bytes",
	[XTAP_STAT_FLOW_NEW] = "flows_created",
	[XTAP_STAT_FLOW_FAIL] = "flows_failed",
	[XTAP_STAT_CAPTURED] = "captured",
	[XTAP_STAT_CAPTURE_DROP] = "capture_ring_full",
	[XTAP_STAT_HTTP_BAD] = "http_bad_line",
	[XTAP_STAT_HTTP_SPLIT] = "http_split_line",
	[XTAP_STAT_HTTP_NOT_HTTP] = "http_port80_not_http",
	[XTAP_STAT_HTTP_NO_REQUEST] = "http_response_unmatched",
	[XTAP_STAT_HTTP_PIPELINE_FULL] = "http_pipeline_full",
	[XTAP_STAT_DNS_SHORT] = "dns_short",
	[XTAP_STAT_DNS_NAME_LOOP] = "dns_name_loop",
	[XTAP_STAT_DNS_NAME_TRUNC] = "dns_name_truncated",
	[XTAP_STAT_DNS_NAME_BAD] = "dns_name_bad",
	[XTAP_STAT_DNS_NO_QUERY] = "dns_response_unmatched",
	[XTAP_STAT_APP_FAIL] = "app_flows_failed",
	[XTAP_STAT_TLS_SPLIT] = "tls_hello_split",
	[XTAP_STAT_TLS_BAD] = "tls_hello_bad",
	[XTAP_STAT_TLS_EXT_MANY] = "tls_hello_extensions_many",
	[XTAP_STAT_TLS_NO_HELLO] = "tls_server_hello_unmatched",
	[XTAP_STAT_TUN_DECAP] = "tunnel_decapsulated",
	[XTAP_STAT_TUN_TRUNC] = "tunnel_header_truncated",
	[XTAP_STAT_TUN_VXLAN_BAD] = "tunnel_vxlan_bad",
	[XTAP_STAT_TUN_GENEVE_BAD] = "tunnel_geneve_bad",
	[XTAP_STAT_TUN_GRE_BAD] = "tunnel_gre_bad",
	[XTAP_STAT_TUN_INNER_OTHER] = "tunnel_inner_not_ip",
	[XTAP_STAT_TUN_INNER_BAD] = "tunnel_inner_bad",
	[XTAP_STAT_HOP_FIRST] = "hop_first_sighting",
	[XTAP_STAT_HOP_MATCHED] = "hop_matched",
	[XTAP_STAT_HOP_REPEAT] = "hop_repeat",
	[XTAP_STAT_HOP_META] = "hop_meta_stamp",
	[XTAP_STAT_HOP_NO_ROOM] = "hop_meta_no_room",
	[XTAP_STAT_HOP_OVERWRITE] = "hop_overwrite",
	[XTAP_STAT_HOP_FULL] = "hop_full",
};

const char *xtap_stat_name(enum xtap_stat s)
{
	if ((unsigned)s >= XTAP_STAT_MAX || !stat_names[s])
		return "unknown";
	return stat_names[s];
}

const char *const xtap_hook_names[XTAP_HOOK_MAX + 1] = {
	[XTAP_HOOK_XDP] = "xdp",
	[XTAP_HOOK_TC_INGRESS] = "tc-ingress",
	[XTAP_HOOK_TC_EGRESS] = "tc-egress",
	[XTAP_HOOK_MAX] = NULL,
};

const char *xtap_hook_name(enum xtap_hook h)
{
	return (unsigned)h < XTAP_HOOK_MAX ? xtap_hook_names[h] : "unknown";
}

int xtap_hook_parse(const char *s)
{
	for (int h = 0; h < XTAP_HOOK_MAX; h++)
		if (!strcmp(s, xtap_hook_names[h]))
			return h;
	return -1;
}

static const char *const xdp_mode_names[] = {
	[XTAP_XDP_NONE] = "-",
	[XTAP_XDP_NATIVE] = "native",
	[XTAP_XDP_GENERIC] = "generic",
};

static const char *const tc_mech_names[] = {
	[XTAP_TC_NONE] = "-",
	[XTAP_TC_TCX] = "tcx",
	[XTAP_TC_CLSACT] = "clsact",
};

#define NNAMES(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *name_of(const char *const *names, int n, int v)
{
	return v >= 0 && v < n ? names[v] : "unknown";
}

/* "auto" is 0, where the table has "-" (an entry with none) */
static int parse_choice(const char *s, const char *const *names, int n)
{
	if (!strcmp(s, "auto"))
		return 0;
	for (int i = 1; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

const char *xtap_xdp_mode_name(int mode)
{
	return name_of(xdp_mode_names, NNAMES(xdp_mode_names), mode);
}

const char *xtap_tc_mech_name(int mech)
{
	return name_of(tc_mech_names, NNAMES(tc_mech_names), mech);
}

int xtap_xdp_mode_parse(const char *s)
{
	return parse_choice(s, xdp_mode_names, NNAMES(xdp_mode_names));
}

int xtap_tc_mech_parse(const char *s)
{
	return parse_choice(s, tc_mech_names, NNAMES(tc_mech_names));
}

const char *xtap_proto_name(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	case IPPROTO_SCTP: return "sctp";
	case IPPROTO_GRE: return "gre";
	case IPPROTO_ESP: return "esp";
	case IPPROTO_AH: return "ah";
	default: return NULL;
	}
}

char *xtap_tcp_flags_str(__u32 flags, char *buf, size_t len)
{
	static const char letters[] = "FSRPAUEW";
	size_t n = 0;

	for (int i = 0; i < 8 && n + 1 < len; i++)
		if (flags & (1u << i))
			buf[n++] = letters[i];
	if (len)
		buf[n < len ? n : len - 1] = '\0';
	return buf;
}

char *xtap_addr_str(const __u8 addr[16], __u8 ip_version, char *buf, size_t len)
{
	if (ip_version == 4 && len >= INET_ADDRSTRLEN) {
		/* by hand: inet_ntop formats with sprintf, slow on a big dump */
		char *p = buf;

		for (int i = 12; i < 16; i++) {
			unsigned v = addr[i];

			if (v >= 100)
				*p++ = '0' + v / 100;
			if (v >= 10)
				*p++ = '0' + v / 10 % 10;
			*p++ = '0' + v % 10;
			*p++ = i < 15 ? '.' : '\0';
		}
	} else if (ip_version == 4) {
		inet_ntop(AF_INET, addr + 12, buf, len);
	} else {
		inet_ntop(AF_INET6, addr, buf, len);
	}
	return buf;
}
