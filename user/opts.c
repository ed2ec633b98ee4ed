// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <getopt.h>
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

/* --- options as tables ------------------------------------------------- */

static void *field(void *cfg, const struct xtap_opt *o)
{
	return (char *)cfg + o->off;
}

static void join_names(const char *const *names, const char *sep, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; names[i]; i++)
		n += snprintf(buf + n, n < len ? len - n : 0, "%s%s", i ? sep : "", names[i]);
}

/* "-n" or "--sort": how the option is spelled in messages and usage. */
static void spelling(const struct xtap_opt *o, char *buf, size_t len)
{
	if (o->short_name)
		snprintf(buf, len, "-%c", o->short_name);
	else
		snprintf(buf, len, "--%s", o->name);
}

/* The argument as usage shows it: ENUM lists its words. */
static const char *arg_of(const struct xtap_opt *o, char *buf, size_t len)
{
	if (o->kind == XTAP_OPT_ENUM && !o->arg) {
		join_names(o->names, "|", buf, len);
		return buf;
	}
	return o->arg ? o->arg : "";
}

/* Sets o's field from arg; false with the reason in why. */
static bool set_one(const struct xtap_opt *o, void *cfg, const char *arg, char *why, size_t len)
{
	void *f = field(cfg, o);
	char names[256];
	__u32 v;

	switch (o->kind) {
	case XTAP_OPT_FLAG:
		*(bool *)f = true;
		return true;
	case XTAP_OPT_STR:
		*(const char **)f = arg;
		return true;
	case XTAP_OPT_LIST: {
		struct xtap_strlist *l = f;
		int max = o->max ? (int)o->max : XTAP_STRLIST_MAX;

		if (max > XTAP_STRLIST_MAX)
			max = XTAP_STRLIST_MAX;
		if (l->n >= max) {
			snprintf(why, len, "more than %d", max);
			return false;
		}
		l->v[l->n++] = arg;
		return true;
	}
	case XTAP_OPT_U32:
		if (!xtap_parse_u32(arg, o->max, &v) || v < o->min) {
			snprintf(why, len, "not a count from %u to %u",
				 o->min, o->max);
			return false;
		}
		*(__u32 *)f = v;
		return true;
	case XTAP_OPT_POW2:
		if (!xtap_parse_u32(arg, o->max, &v) || v < o->min || (v & (v - 1))) {
			snprintf(why, len, "a power of 2 from %u to %u", o->min, o->max);
			return false;
		}
		*(__u32 *)f = v;
		return true;
	case XTAP_OPT_ENUM:
		for (int i = 0; o->names[i]; i++)
			if (!strcmp(arg, o->names[i])) {
				*(int *)f = i;
				return true;
			}
		join_names(o->names, ", ", names, sizeof(names));
		snprintf(why, len, "not one of %s", names);
		return false;
	case XTAP_OPT_HOOKS:
		if (!xtap_parse_hooks(arg, (__u32 *)f)) {
			snprintf(why, len, "a list of xdp, tc-ingress, tc-egress");
			return false;
		}
		return true;
	}
	return false;
}

/* getopt's complaint as one xtap line: ch is '?' (unknown, or an argument
 * to a flag) or ':' (a missing argument); optopt names the option. */
static void bad_option(const struct xtap_cmd_spec *c, int ch, int argc, char **argv)
{
	const char *word = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
	int len = (int)strcspn(word, "=");
	char sp[64];

	if (optopt >= 256)
		snprintf(sp, sizeof(sp), "--%s", c->opts[optopt - 256].name);
	else if (optopt)
		snprintf(sp, sizeof(sp), "-%c", optopt);
	else
		snprintf(sp, sizeof(sp), "%.*s", len, word);
	if (ch == ':')
		xtap_err("%s: option %s needs an argument", c->name, sp);
	else if (optopt >= 256)
		xtap_err("%s: option %s takes no argument", c->name, sp);
	else
		xtap_err("%s: unknown option %s", c->name, sp);
}

static int nopts(const struct xtap_cmd_spec *c)
{
	int n = 0;

	while (c->opts && c->opts[n].name)
		n++;
	return n;
}

int xtap_opts_parse(const struct xtap_cmd_spec *c, void *cfg, int argc, char **argv,
		    struct xtap_parsed *p)
{
	int n = nopts(c), ch, ret = -1;
	struct option *longs;
	char shorts[3 * 64 + 3], *s = shorts;

	memset(p, 0, sizeof(*p));
	if (n > 63) {
		xtap_err("%s: too many options in its table", c->name);
		return XTAP_EXIT_ERR;
	}
	longs = calloc((size_t)n + 2, sizeof(*longs));
	*s++ = ':';	/* a missing argument returns ':' */
	if (!longs) {
		xtap_err("%s: out of memory", c->name);
		return XTAP_EXIT_ERR;
	}
	for (int i = 0; i < n; i++) {
		const struct xtap_opt *o = &c->opts[i];

		longs[i].name = o->name;
		longs[i].has_arg = o->kind == XTAP_OPT_FLAG ? no_argument : required_argument;
		longs[i].val = 256 + i;
		if (o->short_name) {
			*s++ = o->short_name;
			if (o->kind != XTAP_OPT_FLAG)
				*s++ = ':';
		}
	}
	longs[n].name = "help";
	longs[n].val = 'h';
	*s++ = 'h';
	*s = '\0';

	optind = 1;
	opterr = 0;	/* the errors below say them, with xtap's prefix */
	while (ret < 0 && (ch = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		const struct xtap_opt *o = NULL;
		char why[320], sp[64];
		int i;

		if (ch == 'h') {
			xtap_opts_help(stdout, c);
			ret = XTAP_EXIT_OK;
			break;
		}
		if (ch >= 256) {
			i = ch - 256;
		} else {
			for (i = 0; i < n && c->opts[i].short_name != ch; i++)
				;
		}
		if (ch == '?' || ch == ':' || i >= n) {
			bad_option(c, ch, argc, argv);
			xtap_opts_usage(stderr, c);
			ret = XTAP_EXIT_USAGE;
			break;
		}
		o = &c->opts[i];
		if (!set_one(o, cfg, optarg, why, sizeof(why))) {
			spelling(o, sp, sizeof(sp));
			xtap_err("%s: %s %s: %s", c->name, sp, optarg, o->bad ? o->bad : why);
			ret = XTAP_EXIT_USAGE;
			break;
		}
		p->given |= 1ull << i;
	}
	free(longs);
	if (ret >= 0)
		return ret;
	for (int i = 0; i < n; i++)
		if (c->opts[i].required && !(p->given & (1ull << i))) {
			char sp[64];

			spelling(&c->opts[i], sp, sizeof(sp));
			xtap_err("%s: %s %s is required", c->name, sp, c->opts[i].arg ? c->opts[i].arg : "");
			xtap_opts_usage(stderr, c);
			return XTAP_EXIT_USAGE;
		}
	p->first = optind;
	p->nargs = argc - optind;
	if (p->nargs < c->min_args || (c->max_args >= 0 && p->nargs > c->max_args)) {
		if (p->nargs < c->min_args)
			xtap_err("%s: expects %s", c->name, c->args ? c->args : "no arguments");
		else
			xtap_err("%s: unexpected argument '%s'", c->name, argv[optind + c->max_args]);
		xtap_opts_usage(stderr, c);
		return XTAP_EXIT_USAGE;
	}
	return -1;
}

bool xtap_opt_given(const struct xtap_cmd_spec *c, const struct xtap_parsed *p, const char *name)
{
	for (int i = 0; c->opts && c->opts[i].name; i++)
		if (!strcmp(c->opts[i].name, name))
			return p->given & (1ull << i);
	return false;
}

char *xtap_opts_synopsis(const struct xtap_cmd_spec *c, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	if (c->usage) {
		snprintf(buf, len, "%s", c->usage);
		return buf;
	}
	for (int i = 0; c->opts && c->opts[i].name; i++) {
		const struct xtap_opt *o = &c->opts[i];
		char sp[64], a[256];
		const char *arg = arg_of(o, a, sizeof(a));

		spelling(o, sp, sizeof(sp));
		n += snprintf(buf + n, n < len ? len - n : 0, "%s%s%s%s%s%s", n ? " " : "",
			      o->required ? "" : "[", sp, *arg ? " " : "", arg,
			      o->required ? "" : (o->kind == XTAP_OPT_LIST ? "]..." : "]"));
	}
	if (c->args)
		snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? " " : "", c->args);
	return buf;
}

void xtap_opts_usage(FILE *f, const struct xtap_cmd_spec *c)
{
	char buf[1024];

	fprintf(f, "usage: xtap %s %s\n", c->name, xtap_opts_synopsis(c, buf, sizeof(buf)));
}

void xtap_opts_help(FILE *f, const struct xtap_cmd_spec *c)
{
	xtap_opts_usage(f, c);
	if (c->help)
		fprintf(f, "%s\n", c->help);
	if (nopts(c))
		fprintf(f, "\noptions:\n");
	for (int i = 0; c->opts && c->opts[i].name; i++) {
		const struct xtap_opt *o = &c->opts[i];
		char left[400], a[256];
		const char *arg = arg_of(o, a, sizeof(a));

		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->name,
				 *arg ? " " : "", arg);
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, *arg ? " " : "", arg);
		fprintf(f, "  %-34s %s\n", left, o->help ? o->help : "");
	}
	if (c->details)
		fprintf(f, "\n%s", c->details);
}
