// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Loading a translated filter (user/filter.c): the program types a filter
 * runs as, and the verifier's complaint when the kernel refuses one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "user/filter.h"

#define LOG_SIZE (1u << 20)

/* The verifier's complaint: the last line of its log that is not part of
 * the closing summary (the log ends "<error>\nprocessed N insns ..."). */
static void verifier_complaint(const char *log, char *out, size_t outlen)
{
	static const char *const summary[] = { "processed ", "verification time", "stack depth",
					       "peak_states", "mark_precise", "func#" };
	const char *best = NULL, *line = log;
	size_t best_len = 0;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		int skip = len == 0;

		for (size_t i = 0; !skip && i < sizeof(summary) / sizeof(summary[0]); i++)
			skip = strncmp(line, summary[i], strlen(summary[i])) == 0;
		if (!skip) {
			best = line;
			best_len = len;
		}
		line = nl ? nl + 1 : NULL;
	}
	if (!best) {
		snprintf(out, outlen, "(no verifier log)");
		return;
	}
	snprintf(out, outlen, "%.*s", (int)best_len, best);
}

/* A loop (protochain's) is translated with may_goto (user/filter.c). */
static int has_loop(const struct xtap_filter *f)
{
	for (size_t i = 0; i < f->len; i++)
		if (f->insns[i].code == (BPF_JMP | 0xe0))
			return 1;
	return 0;
}

static int load_as(const struct xtap_filter *f, enum bpf_prog_type type, enum bpf_attach_type at,
		   __u32 flags, const char *name, char *err, size_t errlen)
{
	char *log = NULL;
	int fd, saved;
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = at, .prog_flags = flags);

	if (!f || !f->insns || !f->len) {
		snprintf(err, errlen, "load filter: empty program");
		return -1;
	}
	fd = bpf_prog_load(type, name ? name : "xtap_filter", "Dual BSD/GPL", f->insns, f->len, &o);
	if (fd >= 0)
		return fd;
	saved = errno;
	/* again with the log, to say why */
	log = calloc(1, LOG_SIZE);
	if (log) {
		LIBBPF_OPTS(bpf_prog_load_opts, lo, .log_buf = log, .log_size = LOG_SIZE,
			    .log_level = 1, .expected_attach_type = at, .prog_flags = flags);
		char why[256];

		fd = bpf_prog_load(type, name ? name : "xtap_filter", "Dual BSD/GPL", f->insns,
				   f->len, &lo);
		if (fd >= 0) {
			free(log);
			return fd;
		}
		verifier_complaint(log, why, sizeof(why));
		if (has_loop(f))
			snprintf(err, errlen,
				 "load filter: the filter loops (protochain), which the verifier "
				 "takes only with may_goto (Linux 6.9 or later): %s: verifier: %s",
				 strerror(saved), why);
		else
			snprintf(err, errlen, "load filter: %s: verifier: %s", strerror(saved),
				 why);
	} else {
		snprintf(err, errlen, "load filter: %s", strerror(saved));
	}
	free(log);
	errno = saved;
	return -1;
}

int xtap_filter_load(const struct xtap_filter *f, const char *name, char *err, size_t errlen)
{
	return load_as(f, BPF_PROG_TYPE_XDP, 0, 0, name, err, errlen);
}

int xtap_filter_load_capture(const struct xtap_filter *f, int tc, char *err, size_t errlen)
{
	/* a program array takes programs of the type, attach type and frags
	 * setting of its first one, the data-plane program's */
	if (tc)
		return load_as(f, BPF_PROG_TYPE_SCHED_CLS, 0, 0, "xtap_filt_tc", err, errlen);
	return load_as(f, BPF_PROG_TYPE_XDP, BPF_XDP, BPF_F_XDP_HAS_FRAGS, "xtap_filt_xdp", err,
		       errlen);
}
