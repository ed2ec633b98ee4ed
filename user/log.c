// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>

#include "user/log.h"

static bool verbose, verbose_all;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	if (!verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void xtap_log_verbose_all(void)
{
	verbose_all = true;
	xtap_log_init(true);
}

void xtap_log_init(bool v)
{
	verbose = v || verbose_all;
	libbpf_set_print(libbpf_print);
}

bool xtap_log_verbose(void)
{
	return verbose;
}

void xtap_err(const char *fmt, ...)
{
	va_list ap;

	fputs("xtap: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void xtap_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
