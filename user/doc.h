/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The manual page xtap(8) and the bash completion script, both written from
 * the commands' option tables (struct xtap_cmd_spec), so that neither can
 * say something the parser does not do. `xtap --man` and
 * `xtap --bash-completion` print them; the build installs what they print.
 */
#ifndef XTAP_USER_DOC_H
#define XTAP_USER_DOC_H

#include <stdio.h>

#include "user/opts.h"

/* The program's version (the Debian changelog's upstream version), set by
 * the build. */
#ifndef XTAP_VERSION
#define XTAP_VERSION "0"
#endif

/* "xtap VERSION (ABI N)": what `xtap --version` prints. */
void xtap_version_print(FILE *f);
/* The page in roff (man(7) macros): every command in specs (n of them)
 * with its synopsis, help, every option and the details. */
void xtap_man_write(FILE *f, const struct xtap_cmd_spec *const *specs, int n);
/* A bash script defining and registering the completion of xtap: commands,
 * each command's options, the values of enumerated options and hooks,
 * interfaces for attach, attached interfaces for detach and -i, files for
 * FILE arguments. */
void xtap_bash_completion_write(FILE *f, const struct xtap_cmd_spec *const *specs, int n);

#endif
