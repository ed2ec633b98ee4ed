// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "maps/xtap.h"
#include "user/doc.h"
#include "user/names.h"

void xtap_version_print(FILE *f)
{
	fprintf(f, "xtap %s (ABI %u)\n", XTAP_VERSION, (unsigned)XTAP_ABI_VERSION);
}

/* --- the manual page --------------------------------------------------- */

/* Text for roff: backslashes doubled as \e, a dash as \- where a reader
 * copies it (dash true), a line starting with . or ' kept as text. */
static void roff(FILE *f, const char *s, bool dash)
{
	bool bol = true;

	for (; *s; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", f);
		bol = *s == '\n';
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-' && dash)
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

/* The argument as the usage shows it: an enumeration lists its words. */
static void opt_arg(FILE *f, const struct xtap_opt *o)
{
	if (o->kind == XTAP_OPT_ENUM && !o->arg) {
		for (int i = 0; o->names[i]; i++) {
			fputs(i ? "|" : "", f);
			roff(f, o->names[i], true);
		}
	} else if (o->arg) {
		roff(f, o->arg, true);
	}
}

static bool has_arg(const struct xtap_opt *o)
{
	return o->kind != XTAP_OPT_FLAG;
}

/* Paragraphs of text: a blank line starts a new one. */
static void paragraphs(FILE *f, const char *text)
{
	const char *p = text;

	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char line[512];

		if (n == 0) {
			fputs(".PP\n", f);
		} else {
			snprintf(line, sizeof(line), "%.*s", (int)n, p);
			roff(f, line, false);
			fputc('\n', f);
		}
		p += n + (e ? 1 : 0);
	}
}

static void man_cmd(FILE *f, const struct xtap_cmd_spec *c)
{
	char syn[1024];

	fputs(".SS \"", f);
	roff(f, c->name, true);
	fputs("\"\n.B xtap ", f);
	roff(f, c->name, true);
	fputs("\n", f);
	xtap_opts_synopsis(c, syn, sizeof(syn));
	if (*syn) {
		roff(f, syn, true);
		fputc('\n', f);
	}
	fputs(".br\n", f);
	if (c->help) {
		roff(f, c->help, false);
		fputs(".\n", f);
	}
	for (int i = 0; c->opts && c->opts[i].name; i++) {
		const struct xtap_opt *o = &c->opts[i];

		fputs(".TP\n", f);
		if (o->short_name)
			fprintf(f, "\\fB\\-%c\\fR, ", o->short_name);
		fputs("\\fB\\-\\-", f);
		roff(f, o->name, true);
		fputs("\\fR", f);
		if (has_arg(o)) {
			fputs(" \\fI", f);
			opt_arg(f, o);
			fputs("\\fR", f);
		}
		fputc('\n', f);
		if (o->help)
			roff(f, o->help, false);
		if (o->required)
			fputs(" (required)", f);
		if (o->kind == XTAP_OPT_LIST)
			fputs(" (may be given more than once)", f);
		fputc('\n', f);
	}
	if (c->details) {
		fputs(".PP\n", f);
		paragraphs(f, c->details);
	}
}

void xtap_man_write(FILE *f, const struct xtap_cmd_spec *const *specs, int n)
{
	fputs(".\\\" The manual page of xtap, written by `xtap --man` from its option tables.\n", f);
	fprintf(f, ".TH XTAP 8 \"\" \"xtap %s\" \"System Administration\"\n", XTAP_VERSION);
	fputs(".SH NAME\n"
	      "xtap \\- kernel\\-side packet tracing with XDP and TC eBPF programs\n"
	      ".SH SYNOPSIS\n"
	      ".B xtap\n.I COMMAND\n[\\fIOPTIONS\\fR] [\\fIARGS\\fR]\n.br\n"
	      ".B xtap \\-\\-version\n.br\n"
	      ".B xtap \\-\\-help\n.br\n"
	      ".B xtap\n.I COMMAND\n.B \\-\\-help\n"
	      ".SH DESCRIPTION\n"
	      "xtap attaches eBPF programs to network interfaces at XDP and at TC ingress and\n"
	      "egress. They parse every packet, keep a bidirectional flow table in BPF maps,\n"
	      "time TCP handshakes, retransmissions, HTTP requests and DNS queries, follow\n"
	      "packets from one attach point to the next, and copy the packets a\n"
	      ".BR pcap\\-filter (7)\n"
	      "expression selects into pcap or pcapng files. They never change or drop a\n"
	      "packet (except on a port given to \\fBcapture \\-\\-afxdp\\fR).\n"
	      "The programs and maps stay pinned under \\fI/sys/fs/bpf/xtap\\fR after\n"
	      "\\fBxtap attach\\fR returns; the other commands read them.\n"
	      ".SH COMMANDS\n", f);
	for (int i = 0; i < n; i++)
		man_cmd(f, specs[i]);
	fputs(".SH GENERAL OPTIONS\n"
	      ".TP\n.B \\-\\-version\n"
	      "Print the version and the ABI version of the pinned maps, then exit.\n"
	      ".TP\n.BR \\-h \", \" \\-\\-help\n"
	      "Before a command: list the commands. After one: that command's options.\n"
	      ".TP\n.B \\-\\-man\n"
	      "Print this page in roff.\n"
	      ".TP\n.B \\-\\-bash\\-completion\n"
	      "Print the bash completion script.\n"
	      ".SH EXIT STATUS\n"
	      "0: success. 1: an error, printed as one line starting with \\(lqxtap:\\(rq.\n"
	      "2: a usage error (unknown option, bad value, missing argument).\n"
	      ".SH ENVIRONMENT\n"
	      ".TP\n.B XTAP_PIN_ROOT\n"
	      "The state directory, a directory under \\fI/sys/fs/bpf\\fR, instead of\n"
	      "\\fI/sys/fs/bpf/xtap\\fR: separate states side by side.\n"
	      ".SH FILES\n"
	      ".TP\n.I /sys/fs/bpf/xtap\n"
	      "The pinned maps, programs and the registry of attached interfaces.\n"
	      ".TP\n.I /etc/default/xtap\n"
	      "Settings of the systemd units \\fBxtap\\-attach@.service\\fR,\n"
	      "\\fBxtap\\-export.service\\fR and \\fBxtap\\-serve.service\\fR.\n"
	      ".SH PRIVILEGES\n"
	      "xtap does not need all of root. Measured on Linux 6.18, as user id 0 (which\n"
	      "owns the pinned state) with no capability but these:\n"
	      ".TP\n.BR attach \", \" replay\n"
	      "CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON: loading the programs needs CAP_BPF and\n"
	      "CAP_PERFMON, XDP and TC programs CAP_NET_ADMIN too; without any one of them\n"
	      "attach fails.\n"
	      ".TP\n.B capture\n"
	      "CAP_BPF (its rings are new maps).\n"
	      ".TP\n.BR detach \", \" status \", \" flows \", \" stats \", \" latency \", \" hops \", \" drops \", \" export \", \" serve\n"
	      "None beyond access to the state directory; CAP_BPF where\n"
	      ".I kernel.unprivileged_bpf_disabled\n"
	      "refuses every bpf(2) call to a process without it (older kernels).\n"
	      ".PP\n"
	      "Another user id needs the same capabilities and write access to the state\n"
	      "directory and its lock in \\fI/run\\fR.\n"
	      "The systemd units run xtap as user id 0 with these sets as their\n"
	      "CapabilityBoundingSet=: attach@ with CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON;\n"
	      "export and serve with CAP_BPF; with NoNewPrivileges= and ProtectSystem=strict.\n"
	      ".SH EXAMPLES\n"
	      ".nf\n"
	      "xtap attach eth0\n"
	      "xtap flows \\-\\-sort rate \\-\\-watch 2\n"
	      "xtap capture \\-i eth0 \\-w web.pcap tcp port 80\n"
	      "xtap serve \\-\\-listen 0.0.0.0:9477\n"
	      "xtap detach \\-\\-all\n"
	      ".fi\n"
	      ".SH SEE ALSO\n"
	      ".BR tcpdump (8),\n"
	      ".BR pcap\\-filter (7),\n"
	      ".BR bpftool (8),\n"
	      ".BR systemd.exec (5)\n", f);
}

/* --- bash completion --------------------------------------------------- */

/* What an option's argument completes to. */
enum arg_kind { ARG_NONE, ARG_WORDS, ARG_LIST, ARG_IFACE, ARG_FILE };

/* The words of an argument written as "a|b|c" in lower case; 0 when the
 * argument is not such a list. */
static int arg_words(const char *arg, char *buf, size_t len)
{
	size_t n = 0;

	if (!arg || !strchr(arg, '|'))
		return 0;
	for (const char *p = arg; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || *p == '-' || *p == '|'))
			return 0;
		if (n + 1 < len)
			buf[n++] = *p == '|' ? ' ' : *p;
	}
	buf[n] = '\0';
	return 1;
}

static enum arg_kind arg_kind(const struct xtap_opt *o, char *words, size_t len)
{
	words[0] = '\0';
	switch (o->kind) {
	case XTAP_OPT_FLAG:
		return ARG_NONE;
	case XTAP_OPT_ENUM: {
		size_t n = 0;

		for (int i = 0; o->names[i]; i++)
			n += snprintf(words + n, n < len ? len - n : 0, "%s%s", i ? " " : "",
				      o->names[i]);
		return ARG_WORDS;
	}
	case XTAP_OPT_HOOKS: {
		size_t n = 0;

		for (int h = 0; h < XTAP_HOOK_MAX; h++)
			n += snprintf(words + n, n < len ? len - n : 0, "%s ", xtap_hook_name(h));
		snprintf(words + n, n < len ? len - n : 0, "all");
		return o->arg && strchr(o->arg, ',') ? ARG_LIST : ARG_WORDS;
	}
	default:
		break;
	}
	if (arg_words(o->arg, words, len))
		return ARG_WORDS;
	if (o->arg && !strcmp(o->arg, "IFACE"))
		return ARG_IFACE;
	if (o->arg && (strstr(o->arg, "FILE") || !strcmp(o->arg, "OUT")))
		return ARG_FILE;
	return ARG_NONE;
}

static void case_label(FILE *f, const char *cmd, const struct xtap_opt *o)
{
	fprintf(f, "\t\"%s --%s\"", cmd, o->name);
	if (o->short_name)
		fprintf(f, "|\"%s -%c\"", cmd, o->short_name);
	fputs(")\n", f);
}

void xtap_bash_completion_write(FILE *f, const struct xtap_cmd_spec *const *specs, int n)
{
	fputs("# bash completion for xtap(8), written by `xtap --bash-completion` from its\n"
	      "# option tables.\n"
	      "\n"
	      "# Interfaces of this network namespace.\n"
	      "_xtap_ifaces()\n{\n"
	      "\tls /sys/class/net 2>/dev/null\n}\n"
	      "\n"
	      "# Interfaces xtap is attached to (xtap status -j, which needs the\n"
	      "# privileges of xtap); every interface when it cannot tell.\n"
	      "_xtap_attached()\n{\n"
	      "\tlocal l\n"
	      "\tl=$(\"${COMP_WORDS[0]:-xtap}\" status -j 2>/dev/null |\n"
	      "\t\tgrep -o '\"name\": *\"[^\"]*\"' | sed 's/.*\"\\([^\"]*\\)\"$/\\1/')\n"
	      "\tif [ -n \"$l\" ]; then printf '%s\\n' \"$l\"; else _xtap_ifaces; fi\n}\n"
	      "\n"
	      "# _xtap_list WORDS: a comma-separated list, completing its last element.\n"
	      "_xtap_list()\n{\n"
	      "\tlocal pre=\"\" w\n"
	      "\t[[ $cur == *,* ]] && pre=${cur%,*},\n"
	      "\tCOMPREPLY=()\n"
	      "\tfor w in $(compgen -W \"$1\" -- \"${cur##*,}\"); do COMPREPLY+=(\"$pre$w\"); done\n"
	      "\tcompopt -o nospace 2>/dev/null\n}\n"
	      "\n"
	      "_xtap()\n{\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd\n"
	      "\tCOMPREPLY=()\n"
	      "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"", f);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s ", specs[i]->name);
	fputs("--help --version\" -- \"$cur\"))\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tcmd=${COMP_WORDS[1]}\n"
	      "\tcase \"$cmd $prev\" in\n", f);
	for (int i = 0; i < n; i++) {
		const struct xtap_cmd_spec *c = specs[i];

		for (int k = 0; c->opts && c->opts[k].name; k++) {
			const struct xtap_opt *o = &c->opts[k];
			char words[512];

			switch (arg_kind(o, words, sizeof(words))) {
			case ARG_NONE:
				if (o->kind == XTAP_OPT_FLAG)
					continue;
				case_label(f, c->name, o);
				fputs("\t\treturn ;;\n", f);
				break;
			case ARG_WORDS:
				case_label(f, c->name, o);
				fprintf(f, "\t\tCOMPREPLY=($(compgen -W \"%s\" -- \"$cur\"))\n"
					"\t\treturn ;;\n", words);
				break;
			case ARG_LIST:
				case_label(f, c->name, o);
				fprintf(f, "\t\t_xtap_list \"%s\"\n\t\treturn ;;\n", words);
				break;
			case ARG_IFACE:
				case_label(f, c->name, o);
				fputs("\t\tCOMPREPLY=($(compgen -W \"$(_xtap_attached)\" -- \"$cur\"))\n"
				      "\t\treturn ;;\n", f);
				break;
			case ARG_FILE:
				case_label(f, c->name, o);
				fputs("\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
				      "\t\tcompopt -o filenames 2>/dev/null\n"
				      "\t\treturn ;;\n", f);
				break;
			}
		}
	}
	fputs("\tesac\n"
	      "\tif [[ $cur == -* ]]; then\n"
	      "\t\tcase $cmd in\n", f);
	for (int i = 0; i < n; i++) {
		const struct xtap_cmd_spec *c = specs[i];

		fprintf(f, "\t\t%s) COMPREPLY=($(compgen -W \"", c->name);
		for (int k = 0; c->opts && c->opts[k].name; k++) {
			if (c->opts[k].short_name)
				fprintf(f, "-%c ", c->opts[k].short_name);
			fprintf(f, "--%s ", c->opts[k].name);
		}
		fputs("--help\" -- \"$cur\")) ;;\n", f);
	}
	fputs("\t\tesac\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tcase $cmd in\n", f);
	/* positional arguments: interfaces to attach, attached ones to detach */
	for (int i = 0; i < n; i++) {
		const struct xtap_cmd_spec *c = specs[i];

		if (!c->args || strncmp(c->args, "IFACE", 5))
			continue;
		fprintf(f, "\t%s) COMPREPLY=($(compgen -W \"$(%s)\" -- \"$cur\")) ;;\n", c->name,
			strchr(c->args, '|') ? "_xtap_attached" : "_xtap_ifaces");
	}
	fputs("\tesac\n"
	      "}\n"
	      "complete -F _xtap xtap\n", f);
}
