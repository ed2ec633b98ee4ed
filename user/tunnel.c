// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "user/names.h"
#include "user/tunnel.h"

static const char *const tun_names[XTAP_TUN_MAX] = {
	[XTAP_TUN_VXLAN] = "vxlan",
	[XTAP_TUN_GENEVE] = "geneve",
	[XTAP_TUN_GRE] = "gre",
	[XTAP_TUN_IPIP] = "ipip",
	[XTAP_TUN_ERSPAN] = "erspan",
};

const char *xtap_tun_type_name(unsigned int type)
{
	return type < XTAP_TUN_MAX ? tun_names[type] : NULL;
}

int xtap_tun_ports_parse(const char *s, __u16 out[XTAP_TUN_PORTS])
{
	int n = 0;

	memset(out, 0, XTAP_TUN_PORTS * sizeof(*out));
	if (!s || !*s)
		return -EINVAL;
	while (*s) {
		char *end;
		unsigned long v;

		if (*s < '0' || *s > '9' || n == XTAP_TUN_PORTS)
			return -EINVAL;
		v = strtoul(s, &end, 10);
		if (v < 1 || v > 65535 || (*end && *end != ','))
			return -EINVAL;
		out[n++] = (__u16)v;
		s = *end ? end + 1 : end;
		if (end[0] == ',' && !*s)
			return -EINVAL;
	}
	return 0;
}

int xtap_tunnel_lookup(int fd, const struct xtap_flow_key *k, struct xtap_tunnel *t)
{
	if (fd < 0 || !k->tun_type)
		return -ENOENT;
	return bpf_map_lookup_elem(fd, k, t) ? -errno : 0;
}

static void tun_name_id(const struct xtap_flow_key *k, char *buf, size_t len)
{
	const char *name = xtap_tun_type_name(k->tun_type);

	if (name)
		snprintf(buf, len, "%s:%u", name, k->tun_id);
	else
		snprintf(buf, len, "tunnel%u:%u", k->tun_type, k->tun_id);
}

void xtap_tunnel_cell(const struct xtap_flow_key *k, const struct xtap_tunnel *t, int from,
		      char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	size_t n;

	if (!k->tun_type) {
		snprintf(buf, len, "-");
		return;
	}
	tun_name_id(k, buf, len);
	if (!t)
		return;
	xtap_addr_str(from ? t->outer_b : t->outer_a, t->outer_ip_version, a, sizeof(a));
	xtap_addr_str(from ? t->outer_a : t->outer_b, t->outer_ip_version, b, sizeof(b));
	n = strlen(buf);
	snprintf(buf + n, len - n, " %s>%s", a, b);
}

void xtap_tunnel_json(struct json *j, const struct xtap_flow_key *k, const struct xtap_tunnel *t)
{
	char a[INET6_ADDRSTRLEN], name[32];

	if (!k->tun_type)
		return;
	json_open(j, "tunnel", '{');
	if (xtap_tun_type_name(k->tun_type))
		json_str(j, "type", xtap_tun_type_name(k->tun_type));
	else
		json_str(j, "type", (snprintf(name, sizeof(name), "%u", k->tun_type), name));
	json_u64(j, "id", k->tun_id);
	if (t) {
		json_str(j, "outer_src", xtap_addr_str(t->outer_a, t->outer_ip_version, a, sizeof(a)));
		json_str(j, "outer_dst", xtap_addr_str(t->outer_b, t->outer_ip_version, a, sizeof(a)));
		if (t->udp_dport) {
			json_u64(j, "udp_dport", t->udp_dport);
			json_u64(j, "udp_sport_ab", t->udp_sport[0]);
			json_u64(j, "udp_sport_ba", t->udp_sport[1]);
		}
	}
	json_close(j, '}');
}
