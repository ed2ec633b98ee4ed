// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/attach.h"
#include "loader/live.h"
#include "loader/loader.h"
#include "loader/percpu.h"
#include "user/capslot.h"

void xtap_capmaps_of(struct xtap_bpf *skel, struct xtap_capmaps *m)
{
	m->cfg = bpf_map__fd(skel->maps.xtap_capture);
	m->live = xtap_live_fd(skel);
	m->on = xtap_live_of(skel);
	m->scratch = bpf_map__fd(skel->maps.xtap_capscratch);
	m->stats = bpf_map__fd(skel->maps.xtap_capstats);
	m->rings = bpf_map__fd(skel->maps.xtap_rings);
	m->prog[0] = bpf_map__fd(skel->maps.xtap_capprog_xdp);
	m->prog[1] = bpf_map__fd(skel->maps.xtap_capprog_tc);
	/* a filter's BPF_LEN, like the data plane, takes the wire length there */
	m->replay = skel->rodata->xtap_replay_mode ? bpf_map__fd(skel->maps.xtap_replay) : -1;
	m->owned = false;
}

int xtap_capmaps_open(const struct xtap_state *st, struct xtap_capmaps *m)
{
	static const char *const names[] = { "xtap_capture", XTAP_LIVE_PIN, "xtap_capscratch",
					     "xtap_capstats", "xtap_rings", "xtap_capprog_xdp",
					     "xtap_capprog_tc" };
	int *fds[] = { &m->cfg, &m->live, &m->scratch, &m->stats, &m->rings, &m->prog[0],
		       &m->prog[1] };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		*fds[i] = xtap_map_open(st, names[i]);
		if (*fds[i] < 0) {
			int err = *fds[i];

			while (i--)
				close(*fds[i]);
			return err;
		}
	}
	m->on = xtap_live_map(m->live);
	if (!m->on) {
		int err = -errno;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			close(*fds[i]);
		return err;
	}
	m->replay = -1;	/* a live attach */
	m->owned = true;
	return 0;
}

void xtap_capmaps_close(struct xtap_capmaps *m)
{
	int fds[] = { m->cfg, m->live, m->scratch, m->stats, m->rings, m->prog[0], m->prog[1] };

	if (!m->owned)
		return;
	xtap_live_unmap(m->on);
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	m->owned = false;
}

/* A config that a process still running owns (owner 0: this process's
 * own maps, as replay's). */
static bool cfg_live(const struct xtap_capture_cfg *cfg)
{
	if (!cfg->enabled)
		return false;
	if (!cfg->owner_pid || (pid_t)cfg->owner_pid == getpid())
		return true;
	return kill((pid_t)cfg->owner_pid, 0) == 0 || errno != ESRCH;
}

/* The ring entries the programs use: one per possible CPU. (Each update
 * of an array of maps waits for an RCU grace period: touch no more.) */
static __u32 ring_entries(void)
{
	int n = libbpf_num_possible_cpus();

	return n < 1 || n > XTAP_CAPTURE_RINGS ? XTAP_CAPTURE_RINGS : (__u32)n;
}

/* Empties what capture id holds in the program arrays and the rings. */
static void clear_id(const struct xtap_capmaps *m, __u32 id)
{
	__u32 n = ring_entries();

	for (int t = 0; t < 2; t++)
		bpf_map_delete_elem(m->prog[t], &id);
	for (__u32 i = 0; i < n; i++) {
		__u32 k = id * XTAP_CAPTURE_RINGS + i;
		__u32 inner;

		/* an empty entry needs no delete (nor its grace period) */
		if (bpf_map_lookup_elem(m->rings, &k, &inner) == 0)
			bpf_map_delete_elem(m->rings, &k);
	}
}

/* xtap_live.capture_on from the configs that are live. */
static int update_on(const struct xtap_capmaps *m)
{
	struct xtap_capture_cfg cfg;
	__u32 on = 0;

	for (__u32 id = 0; id < XTAP_CAPTURES_MAX; id++)
		if (!bpf_map_lookup_elem(m->cfg, &id, &cfg) && cfg_live(&cfg))
			on |= 1u << id;
	xtap_live_set(&m->on->capture_on, on);
	return 0;
}

int xtap_capslot_claim(struct xtap_capslot *c, const struct xtap_capmaps *m)
{
	struct xtap_capture_cfg cfg, off = { 0 };

	memset(c, 0, sizeof(*c));
	c->m = m;
	c->filt[0] = c->filt[1] = -1;
	for (int i = 0; i < XTAP_CAPSLOT_RINGS_MAX; i++)
		c->ring[i] = -1;
	for (__u32 id = 0; id < XTAP_CAPTURES_MAX; id++) {
		if (bpf_map_lookup_elem(m->cfg, &id, &cfg))
			return -errno;
		if (cfg_live(&cfg))
			continue;
		if (cfg.enabled) {
			/* a capture that ended without turning itself off */
			bpf_map_update_elem(m->cfg, &id, &off, BPF_ANY);
			update_on(m);
		}
		clear_id(m, id);
		c->id = id;
		return 0;
	}
	return -EBUSY;
}

int xtap_capslot_rings(struct xtap_capslot *c, int nrings, __u32 size)
{
	if (nrings < 1 || nrings > XTAP_CAPSLOT_RINGS_MAX)
		return -EINVAL;
	for (int i = 0; i < nrings; i++) {
		c->ring[i] = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "xtap_ring", 0, 0, size, NULL);
		if (c->ring[i] < 0) {
			int err = -errno;

			c->ring[i] = -1;
			return err;
		}
		c->nrings = i + 1;
	}
	for (__u32 i = 0, n = ring_entries(); i < n; i++) {
		__u32 k = c->id * XTAP_CAPTURE_RINGS + i;

		if (bpf_map_update_elem(c->m->rings, &k, &c->ring[i % nrings], BPF_ANY))
			return -errno;
	}
	return 0;
}

int xtap_capslot_filter(struct xtap_capslot *c, const struct sock_filter *classic, size_t n,
			char *err, size_t errlen)
{
	int fd[2] = { -1, -1 };
	static const char *const hook[2] = { "XDP", "TC" };

	for (int t = 0; t < 2 && n; t++) {
		struct xtap_filter_capture fc = { .tc = t, .scratch_fd = c->m->scratch,
						  .progs_fd = c->m->prog[t], .live_fd = c->m->live,
						  .replay_fd = c->m->replay, .id = c->id };
		struct xtap_filter f = { 0 };
		char why[XTAP_ERRLEN] = "";

		if (xtap_filter_translate_capture(classic, n, &fc, &f, why, sizeof(why))) {
			snprintf(err, errlen, "filter: %s", why);
			goto fail;
		}
		fd[t] = xtap_filter_load_capture(&f, t, why, sizeof(why));
		xtap_filter_free(&f);
		if (fd[t] < 0) {
			snprintf(err, errlen, "%s filter: %s", hook[t], why);
			goto fail;
		}
	}
	/* one update per array: a packet sees the old filter or the new one */
	for (int t = 0; t < 2; t++) {
		int r = n ? bpf_map_update_elem(c->m->prog[t], &c->id, &fd[t], BPF_ANY)
			  : bpf_map_delete_elem(c->m->prog[t], &c->id);

		if (r && (n || errno != ENOENT)) {
			snprintf(err, errlen, "install the %s filter: %s", hook[t], strerror(errno));
			goto fail;
		}
	}
	for (int t = 0; t < 2; t++) {
		if (c->filt[t] >= 0)
			close(c->filt[t]);
		c->filt[t] = fd[t];
	}
	return 0;
fail:
	for (int t = 0; t < 2; t++)
		if (fd[t] >= 0)
			close(fd[t]);
	return -1;
}

int xtap_capslot_start(struct xtap_capslot *c, const struct xtap_capture_cfg *cfg)
{
	struct xtap_capture_cfg on = *cfg;
	int err = xtap_percpu_zero(c->m->stats, &c->id, sizeof(struct xtap_capture_stats));

	if (err)
		return err;
	on.enabled = 1;
	if (bpf_map_update_elem(c->m->cfg, &c->id, &on, BPF_ANY))
		return -errno;
	c->running = true;
	return update_on(c->m);
}

int xtap_capslot_counts(const struct xtap_capslot *c, __u64 *captured, __u64 *dropped)
{
	__u64 v[2];
	int err;

	_Static_assert(sizeof(struct xtap_capture_stats) == sizeof(v), "captured, dropped");
	err = xtap_percpu_sum(c->m->stats, &c->id, v, 2);
	*captured = v[0];
	*dropped = v[1];
	return err;
}

void xtap_capslot_off(struct xtap_capslot *c)
{
	struct xtap_capture_cfg off = { 0 };

	if (!c->m || !c->running)
		return;
	bpf_map_update_elem(c->m->cfg, &c->id, &off, BPF_ANY);
	update_on(c->m);
	c->running = false;
}

void xtap_capslot_stop(struct xtap_capslot *c)
{
	if (!c->m)
		return;
	xtap_capslot_off(c);
	clear_id(c->m, c->id);
	for (int t = 0; t < 2; t++) {
		if (c->filt[t] >= 0)
			close(c->filt[t]);
		c->filt[t] = -1;
	}
	for (int i = 0; i < c->nrings; i++) {
		if (c->ring[i] >= 0)
			close(c->ring[i]);
		c->ring[i] = -1;
	}
	c->nrings = 0;
	c->m = NULL;
}
