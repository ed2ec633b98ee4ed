/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* One-line errors: "xtap: <object>: <cause>". libbpf speaks only with -v. */
#ifndef XTAP_USER_LOG_H
#define XTAP_USER_LOG_H

#include <stdbool.h>

void xtap_log_init(bool verbose);
/* xtap -v COMMAND: verbose whatever the command's own options say. */
void xtap_log_verbose_all(void);
bool xtap_log_verbose(void);
void xtap_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void xtap_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
