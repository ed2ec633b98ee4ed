// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Queries of the live state: xtap status, xtap flows, xtap stats. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "loader/attach.h"
#include "tools/cmd.h"
#include "user/drops.h"
#include "user/log.h"
#include "user/maps.h"
#include "user/names.h"
#include "user/opts.h"
#include "user/report.h"

static const char *const xdp_mode_names[] = { "-", "native", "generic" };
static const char *const tc_mech_names[] = { "-", "tcx", "clsact" };

int xtap_cmd_open_state(const char *cmd, struct xtap_state *st)
{
	char err[XTAP_ERRLEN] = "";

	if (xtap_check_privileges(cmd))
		return -1;
	if (xtap_state_open(st, NULL, false, err, sizeof(err))) {
		xtap_err("%s: %s", cmd, err);
		return -1;
	}
	return st->reg_fd < 0;
}

/* The flow table with the write-back deltas merged, in no order. */
static int read_flows(const char *cmd, struct xtap_state *st, struct xtap_flow_entry **f,
		      size_t *n, __u32 *max)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = xtap_map_open(st, "xtap_flows"), cfd, err;

	*f = NULL;
	*n = 0;
	if (fd < 0) {
		xtap_err("%s: flow table: %s", cmd, strerror(-fd));
		return -1;
	}
	if (max)
		*max = bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.max_entries;
	cfd = xtap_map_open(st, "xtap_fcache");
	err = xtap_flows_read(fd, cfd, f, n);	/* in no order */
	close(fd);
	if (cfd >= 0)
		close(cfd);
	if (err) {
		xtap_err("%s: read flows: %s", cmd, strerror(-err));
		return -1;
	}
	return 0;
}

/* The HTTP/DNS state to join to the flows; a state pinned before it
 * existed has none, and the flows are shown without it. */
static void read_app(const struct xtap_state *st, struct xtap_app_table *app)
{
	int fd = xtap_map_open(st, "xtap_app");

	app->e = NULL;
	app->n = 0;
	if (fd < 0)
		return;
	if (xtap_app_dump(fd, app))
		xtap_info("flows: HTTP/DNS state unreadable; shown without it");
	close(fd);
}

static bool want_json(int argc, char **argv, const char *cmd, int *rc)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	int c;

	*rc = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (c == 'j') {
			json = true;
		} else {
			*rc = c == 'h' ? (xtap_usage_of(cmd), XTAP_EXIT_OK) : xtap_usage_of(cmd);
			return false;
		}
	}
	if (optind != argc)
		*rc = xtap_usage_of(cmd);
	return json;
}

/* Counters of every point of every attached interface, summed. */
static void sum_stats(const struct xtap_state *st, struct xtap_stats *total)
{
	int fd = xtap_map_open(st, "xtap_stats");

	if (fd < 0)
		return;
	for (__u32 s = 0; s < XTAP_MAX_SLOTS; s++) {
		struct xtap_iface e;

		if (xtap_iface_get(st, s, &e))
			continue;
		for (int h = 0; h < XTAP_HOOK_MAX; h++) {
			struct xtap_stats v;

			if (!(e.hooks & (1u << h)) || xtap_stats_read(fd, XTAP_POINT(s, h), &v))
				continue;
			for (int i = 0; i < XTAP_STAT_MAX; i++)
				total->c[i] += v.c[i];
		}
	}
	close(fd);
}

int cmd_status(int argc, char **argv)
{
	struct xtap_flow_entry *f = NULL;
	struct xtap_state st;
	struct xtap_stats total = { 0 };
	size_t n = 0;
	__u32 max = 0;
	int rc, json = want_json(argc, argv, "status", &rc), none;
	struct json j;

	if (rc >= 0)
		return rc;
	none = xtap_cmd_open_state("status", &st);
	if (none < 0)
		return XTAP_EXIT_ERR;
	if (!none && read_flows("status", &st, &f, &n, &max)) {
		xtap_state_close(&st);
		return XTAP_EXIT_ERR;
	}
	if (!none)
		sum_stats(&st, &total);
	if (json) {
		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_open(&j, "interfaces", '[');
	} else if (none) {
		printf("xtap is not attached to any interface\n");
	} else {
		printf("%-16s %7s %-12s %-26s %-8s %-7s %s\n", "INTERFACE", "IFINDEX", "NETNS", "HOOKS",
		       "XDP", "TC", "PROG IDS (xdp/tc-in/tc-eg)");
	}
	for (__u32 s = 0; !none && s < XTAP_MAX_SLOTS; s++) {
		struct xtap_iface e;
		char ns[64], hooks[64];
		int present;

		if (xtap_iface_get(&st, s, &e))
			continue;
		xtap_netns_name(&e, ns, sizeof(ns));
		xtap_hooks_str(e.hooks, hooks, sizeof(hooks));
		present = xtap_iface_present(&e);
		if (json) {
			json_open(&j, NULL, '{');
			json_u64(&j, "slot", s);
			json_str(&j, "name", e.name);
			json_u64(&j, "ifindex", e.ifindex);
			json_str(&j, "netns", ns);
			json_str(&j, "hooks", hooks);
			json_str(&j, "xdp_mode", xdp_mode_names[e.xdp_mode % 3]);
			json_str(&j, "xdp_attach", e.xdp_mode ? (e.xdp_mech ? "libxdp" : "link") : "-");
			json_str(&j, "tc", tc_mech_names[e.tc_mech % 3]);
			json_open(&j, "prog_ids", '{');
			for (int h = 0; h < XTAP_HOOK_MAX; h++)
				if (e.hooks & (1u << h))
					json_u64(&j, xtap_hook_name(h), e.prog_id[h]);
			json_close(&j, '}');
			if (present < 0)
				json_null(&j, "present");
			else
				json_bool(&j, "present", present);
			json_close(&j, '}');
		} else {
			printf("%-16s %7u %-12s %-26s %-8s %-7s %u/%u/%u%s\n", e.name, e.ifindex,
			       ns[0] ? ns : "-", hooks,
			       e.xdp_mode ? xdp_mode_names[e.xdp_mode % 3] : "-",
			       tc_mech_names[e.tc_mech % 3], e.prog_id[0], e.prog_id[1], e.prog_id[2],
			       present == 0 ? "  (interface gone)" : "");
		}
	}
	if (json) {
		json_close(&j, ']');
		json_open(&j, "flows", '{');
		json_u64(&j, "max", max);
		json_u64(&j, "used", n);
		json_u64(&j, "created", total.c[XTAP_STAT_FLOW_NEW]);
		json_u64(&j, "evicted", xtap_flows_evicted(&total, n));
		json_u64(&j, "failed", total.c[XTAP_STAT_FLOW_FAIL]);
		json_close(&j, '}');
		json_close(&j, '}');
	} else if (!none) {
		printf("\nflow table: %zu of %u entries in use (%.1f%%); %llu created, %llu evicted, %llu failed\n",
		       n, max, max ? 100.0 * (double)n / max : 0.0,
		       (unsigned long long)total.c[XTAP_STAT_FLOW_NEW],
		       (unsigned long long)xtap_flows_evicted(&total, n),
		       (unsigned long long)total.c[XTAP_STAT_FLOW_FAIL]);
	}
	free(f);
	xtap_state_close(&st);
	return XTAP_EXIT_OK;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* bytes/s of each flow of cur against prev (both sorted by key), or over the
 * flow's life when there is no earlier sample. */
static void flow_rates(const struct xtap_flow_entry *cur, size_t n, const struct xtap_flow_entry *prev,
		       size_t pn, double secs, double *rate)
{
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		__u64 b = cur[i].val.bytes[0] + cur[i].val.bytes[1];
		int cmp = 1;

		while (prev && j < pn &&
		       (cmp = memcmp(&prev[j].key, &cur[i].key, sizeof(cur[i].key))) < 0)
			j++;
		if (prev && j < pn && cmp == 0 && secs > 0) {
			__u64 pb = prev[j].val.bytes[0] + prev[j].val.bytes[1];

			rate[i] = b >= pb ? (double)(b - pb) / secs : 0;
		} else {
			__u64 life = cur[i].val.last_ns - cur[i].val.first_ns;

			rate[i] = life ? (double)b * 1e9 / (double)life : 0;
		}
	}
}

struct ranked {
	struct xtap_flow_entry e;
	double rate;
};

static int by_rate(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->rate != y->rate)
		return x->rate < y->rate ? 1 : -1;
	/* equal rates in key order, as the other orders: the read has none */
	return memcmp(&x->e.key, &y->e.key, sizeof(x->e.key));
}

/* show_flows' orders besides enum xtap_sort: rates, highest first; none */
#define FLOWS_BY_RATE (-1)
#define FLOWS_UNSORTED (-2)

/* xtap_drops of the state xtap flows shows, or -1: no DROPS column */
static int flows_drops_fd = -1;

static void show_flows(struct xtap_flow_entry *f, size_t n, double *rate, int sort, bool json,
		       size_t limit, const struct xtap_app_table *app)
{
	__s64 off = xtap_mono_to_real_ns();

	if (sort == FLOWS_UNSORTED) {
		/* -j without --sort or -n: the order of the read */
	} else if (sort == FLOWS_BY_RATE) {
		struct ranked *r = malloc(n * sizeof(*r) + 1);

		if (r) {
			for (size_t i = 0; i < n; i++)
				r[i] = (struct ranked){ f[i], rate[i] };
			qsort(r, n, sizeof(*r), by_rate);
			for (size_t i = 0; i < n; i++) {
				f[i] = r[i].e;
				rate[i] = r[i].rate;
			}
			free(r);
		}
	} else {
		xtap_flows_sort(f, n, sort);
	}
	if (json) {
		struct json j;
		size_t show = limit && limit < n ? limit : n;

		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_open(&j, "flows", '[');
		for (size_t i = 0; i < show; i++)
			xtap_flow_json_app(&j, &f[i], off, xtap_app_find(app, &f[i].key));
		json_close(&j, ']');
		json_u64(&j, "total", n);
		json_close(&j, '}');
	} else {
		struct xtap_report rep = { .out = stdout, .time_offset_ns = off, .limit = limit,
					   .app = app };
		struct xtap_drops drops = { 0 };

		if (flows_drops_fd >= 0 && !xtap_drops_read(flows_drops_fd, &drops)) {
			rep.drops_of = xtap_drops_of_flow;
			rep.drops_arg = &drops;
		}
		xtap_flows_table(&rep, f, n);
		xtap_drops_free(&drops);
	}
}

struct flows_json {
	struct json j;
	const struct xtap_app_table *app;
	__s64 off;
	size_t n;
};

static int flows_json_batch(const struct xtap_flow_entry *v, size_t n, void *arg)
{
	struct flows_json *o = arg;

	for (size_t i = 0; i < n; i++)
		xtap_flow_json_app(&o->j, &v[i], o->off, xtap_app_find(o->app, &v[i].key));
	o->n += n;
	return ferror(stdout) ? -EIO : 0;
}

/* -j in no order: each batch printed while the next is read. */
static int stream_flows_json(struct xtap_state *st)
{
	static struct flows_json o;
	struct xtap_app_table app = { 0 };
	int fd = xtap_map_open(st, "xtap_flows"), cfd, err;

	if (fd < 0) {
		xtap_err("flows: flow table: %s", strerror(-fd));
		return -1;
	}
	cfd = xtap_map_open(st, "xtap_fcache");
	read_app(st, &app);
	o.app = &app;
	o.off = xtap_mono_to_real_ns();
	o.n = 0;
	json_init(&o.j, stdout);
	json_open(&o.j, NULL, '{');
	json_open(&o.j, "flows", '[');
	err = xtap_flows_each(fd, cfd, flows_json_batch, &o);
	if (!err) {
		json_close(&o.j, ']');
		json_u64(&o.j, "total", o.n);
		json_close(&o.j, '}');
	} else {
		json_flush(&o.j);	/* what was read; the exit status says it is not all */
		xtap_err("flows: read flows: %s", strerror(-err));
	}
	xtap_app_free(&app);
	close(fd);
	if (cfd >= 0)
		close(cfd);
	return err ? -1 : 0;
}

int cmd_flows(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "sort", required_argument, NULL, 's' },
		{ "watch", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct xtap_flow_entry *f = NULL, *prev = NULL;
	struct xtap_app_table app = { 0 };
	size_t n = 0, pn = 0;
	struct xtap_state st;
	bool json = false;
	__u32 limit = 0, watch = 0;
	int c, sort = -3, none, ret = XTAP_EXIT_ERR;	/* -3: no --sort given */
	struct timespec t0 = { 0 }, t1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jn:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'n':
			if (!xtap_parse_u32(optarg, 1u << 30, &limit)) {
				xtap_err("flows: -n %s: not a positive count", optarg);
				return XTAP_EXIT_USAGE;
			}
			break;
		case 'w':
			if (!xtap_parse_u32(optarg, 3600, &watch)) {
				xtap_err("flows: --watch %s: seconds from 1 to 3600", optarg);
				return XTAP_EXIT_USAGE;
			}
			break;
		case 's':
			if (!strcmp(optarg, "bytes"))
				sort = XTAP_SORT_BYTES;
			else if (!strcmp(optarg, "packets"))
				sort = XTAP_SORT_PACKETS;
			else if (!strcmp(optarg, "age"))
				sort = XTAP_SORT_AGE;
			else if (!strcmp(optarg, "rate"))
				sort = FLOWS_BY_RATE;
			else {
				xtap_err("flows: --sort %s: not one of bytes, packets, age, rate", optarg);
				return XTAP_EXIT_USAGE;
			}
			break;
		case 'h': xtap_usage_of("flows"); return XTAP_EXIT_OK;
		default: return xtap_usage_of("flows");
		}
	}
	if (optind != argc)
		return xtap_usage_of("flows");
	/* the table shows the biggest flows first; -j is sorted only when asked
	 * (--sort), or when -n keeps the biggest: a million flows take a while */
	if (sort == -3)
		sort = json && !limit ? FLOWS_UNSORTED : XTAP_SORT_BYTES;
	none = xtap_cmd_open_state("flows", &st);
	if (none < 0)
		return XTAP_EXIT_ERR;
	if (none) {
		xtap_err("flows: xtap is not attached to any interface");
		goto cleanup;
	}
	flows_drops_fd = xtap_map_open(&st, "xtap_drops");
	if (json && sort == FLOWS_UNSORTED && !watch) {
		ret = stream_flows_json(&st) ? XTAP_EXIT_ERR : XTAP_EXIT_OK;
		goto cleanup;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	do {
		double *rate;
		double secs;

		if (read_flows("flows", &st, &f, &n, NULL))
			goto cleanup;
		/* flow_rates pairs samples by key: only --watch has an earlier one */
		if (watch)
			xtap_flows_sort(f, n, XTAP_SORT_KEY);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		secs = prev ? (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9 : 0;
		rate = calloc(n + 1, sizeof(*rate));
		if (!rate) {
			xtap_err("flows: out of memory");
			goto cleanup;
		}
		flow_rates(f, n, prev, pn, secs, rate);
		read_app(&st, &app);
		free(prev);
		prev = watch ? malloc(n * sizeof(*f) + 1) : NULL;
		if (prev)
			memcpy(prev, f, n * sizeof(*f));
		pn = n;
		t0 = t1;
		if (watch && !json)
			printf("\033[H\033[2J%zu flows, every %us (Ctrl-C to stop)\n", n, watch);
		show_flows(f, n, rate, sort, json, limit, &app);
		xtap_app_free(&app);
		fflush(stdout);
		free(rate);
		free(f);
		f = NULL;
		for (__u32 i = 0; watch && i < watch * 10 && !stop; i++)
			usleep(100000);
	} while (watch && !stop);
	ret = XTAP_EXIT_OK;
cleanup:
	free(f);
	free(prev);
	xtap_app_free(&app);
	if (flows_drops_fd >= 0)
		close(flows_drops_fd);
	flows_drops_fd = -1;
	xtap_state_close(&st);
	return ret;
}

int cmd_stats(int argc, char **argv)
{
	struct xtap_stats total = { 0 };
	struct xtap_state st;
	int rc, json = want_json(argc, argv, "stats", &rc), none, fd;
	struct json j;

	if (rc >= 0)
		return rc;
	none = xtap_cmd_open_state("stats", &st);
	if (none < 0)
		return XTAP_EXIT_ERR;
	if (none) {
		xtap_err("stats: xtap is not attached to any interface");
		xtap_state_close(&st);
		return XTAP_EXIT_ERR;
	}
	fd = xtap_map_open(&st, "xtap_stats");
	if (fd < 0) {
		xtap_err("stats: counters: %s", strerror(-fd));
		xtap_state_close(&st);
		return XTAP_EXIT_ERR;
	}
	if (json) {
		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_open(&j, "interfaces", '[');
	}
	for (__u32 s = 0; s < XTAP_MAX_SLOTS; s++) {
		struct xtap_iface e;
		char ns[64];

		if (xtap_iface_get(&st, s, &e))
			continue;
		xtap_netns_name(&e, ns, sizeof(ns));
		if (json) {
			json_open(&j, NULL, '{');
			json_str(&j, "name", e.name);
			json_str(&j, "netns", ns);
			json_open(&j, "hooks", '{');
		}
		for (int h = 0; h < XTAP_HOOK_MAX; h++) {
			struct xtap_stats v;
			char title[96];

			if (!(e.hooks & (1u << h)) || xtap_stats_read(fd, XTAP_POINT(s, h), &v))
				continue;
			for (int i = 0; i < XTAP_STAT_MAX; i++)
				total.c[i] += v.c[i];
			if (json) {
				xtap_stats_json(&j, xtap_hook_name(h), &v);
			} else {
				snprintf(title, sizeof(title), "%s%s%s %s", e.name, ns[0] ? "@" : "", ns,
					 xtap_hook_name(h));
				xtap_stats_table(stdout, title, &v);
			}
		}
		if (json) {
			json_close(&j, '}');
			json_close(&j, '}');
		}
	}
	if (json) {
		json_close(&j, ']');
		xtap_stats_json(&j, "total", &total);
		json_close(&j, '}');
	} else {
		xtap_stats_table(stdout, "total", &total);
	}
	close(fd);
	xtap_state_close(&st);
	return XTAP_EXIT_OK;
}
