// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "maps/xtap.h"
#include "user/log.h"
#include "user/names.h"
#include "user/opts.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

bool xtap_parse_u32(const char *s, __u32 max, __u32 *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v == 0 || v > max)
		return false;
	*out = (__u32)v;
	return true;
}

bool xtap_parse_hooks(const char *s, __u32 *out)
{
	char buf[128], *save = NULL, *tok;
	__u32 m = 0;

	if (!strcmp(s, "all")) {
		*out = (1u << XTAP_HOOK_MAX) - 1;
		return true;
	}
	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return false;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int h = xtap_hook_parse(tok);

		if (h < 0)
			return false;
		m |= 1u << h;
	}
	if (!m)
		return false;
	*out = m;
	return true;
}

char *xtap_hooks_str(__u32 mask, char *buf, unsigned long len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int h = 0; h < XTAP_HOOK_MAX; h++)
		if (mask & (1u << h))
			n += snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "," : "",
				      xtap_hook_name(h));
	return buf;
}

int xtap_check_privileges(const char *cmd)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };
	bool bpf, net;

	if (geteuid() == 0)
		return 0;
	if (syscall(SYS_capget, &h, d) == 0) {
		bpf = d[CAP_BPF / 32].effective & (1u << (CAP_BPF % 32));
		net = d[CAP_NET_ADMIN / 32].effective & (1u << (CAP_NET_ADMIN % 32));
		if (bpf && net)
			return 0;
	}
	xtap_err("%s: permission denied: needs root, or CAP_BPF and CAP_NET_ADMIN", cmd);
	return -1;
}

__s64 xtap_mono_to_real_ns(void)
{
	struct timespec m, r;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	return ((__s64)r.tv_sec - m.tv_sec) * 1000000000ll + ((__s64)r.tv_nsec - m.tv_nsec);
}
