// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The AF_XDP capture session (capture.h): one AF_XDP socket per RX queue of
 * each interface, switched on per slot: its settings in the programs'
 * xtap_xsk_cfg, then its bit in xtap_live.xsk_slots. */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "loader/attach.h"
#include "loader/live.h"
#include "user/afxdp.h"
#include "user/capture.h"
#include "user/opts.h"
#include "user/pcapw.h"

static void xsk_off(struct xtap_live *live, int cfg_fd, const __u32 *slots, int n)
{
	struct xtap_xsk_cfg off = { 0 };

	for (int i = 0; i < n; i++) {
		xtap_live_bits64(&live->xsk_slots, 1ull << slots[i], 0);
		bpf_map_update_elem(cfg_fd, &slots[i], &off, BPF_ANY);
	}
}

/* The slot of each interface, attached here with XDP, into slots[]; their
 * names into r->names. -1 with the message in err. */
static int pick_slots(struct xtap_state *st, const struct xtap_capture_opts *o,
		      struct xtap_capture_result *r, __u32 *slots, char *err, size_t errlen)
{
	size_t nl = 0;

	for (int i = 0; i < o->nifaces; i++) {
		struct xtap_iface e;
		int s = xtap_find_slot(st, o->ifaces[i]);

		if (s < 0 || xtap_iface_get(st, (__u32)s, &e)) {
			xtap_not_attached(st, o->ifaces[i], err, errlen);
			return -1;
		}
		if (if_nametoindex(o->ifaces[i]) != e.ifindex) {
			snprintf(err, errlen, "%s: not in this network namespace", o->ifaces[i]);
			return -1;
		}
		if (!(e.hooks & (1u << XTAP_HOOK_XDP))) {
			snprintf(err, errlen, "%s: --afxdp needs the XDP hook (attached with --hooks "
				 "without xdp)", o->ifaces[i]);
			return -1;
		}
		for (int j = 0; j < i; j++)
			if (slots[j] == (__u32)s) {
				snprintf(err, errlen, "%s: named twice", o->ifaces[i]);
				return -1;
			}
		slots[i] = (__u32)s;
		nl += snprintf(r->names + nl, nl < sizeof(r->names) ? sizeof(r->names) - nl : 0,
			       "%s%s", nl ? ", " : "", e.name);
	}
	return 0;
}

/* The AF_XDP maps, and no other capture --afxdp on these slots. */
static int open_maps(struct xtap_state *st, const struct xtap_capture_opts *o,
		     const __u32 *slots, struct xtap_live **live, int *cfg_fd, int *xsk_fd,
		     char *err, size_t errlen)
{
	*cfg_fd = xtap_map_open(st, "xtap_xsk_cfg");
	*xsk_fd = xtap_map_open(st, "xtap_xsk");
	*live = xtap_live_open(st);
	if (*cfg_fd < 0 || *xsk_fd < 0 || !*live) {
		int e = *cfg_fd < 0 ? *cfg_fd : *xsk_fd < 0 ? *xsk_fd : -errno;

		if (e == -ENOENT)
			snprintf(err, errlen, "the attached programs have no AF_XDP map (attached by "
				 "an older xtap: detach and attach again)");
		else
			snprintf(err, errlen, "open the AF_XDP maps: %s", strerror(-e));
		return -1;
	}
	for (int i = 0; i < o->nifaces; i++) {
		struct xtap_xsk_cfg c;

		if (!bpf_map_lookup_elem(*cfg_fd, &slots[i], &c) && c.enabled && c.owner_pid &&
		    (pid_t)c.owner_pid != getpid() && kill((pid_t)c.owner_pid, 0) == 0) {
			snprintf(err, errlen, "%s: another xtap capture --afxdp (pid %u) is running",
				 o->ifaces[i], c.owner_pid);
			return -1;
		}
	}
	return 0;
}

const char *xtap_capture_afxdp_refused(const struct xtap_capture_opts *o)
{
	if (!o->nifaces)
		return "--afxdp needs -i IFACE (a port that exists to be captured)";
	if (o->sample_flows)
		return "--sample-flows does not go with --afxdp (use --sample N)";
	if (o->hooks)
		return "--hook does not go with --afxdp (AF_XDP takes frames at XDP)";
	if (o->rotate_bytes)
		return "-C does not go with --afxdp";
	if (o->cgroup_id)
		return "--cgroup does not go with --afxdp (a tap port's frames have no local socket)";
	return NULL;
}

int xtap_capture_afxdp_run(const struct xtap_capture_opts *o, struct xtap_capture_result *r,
			   const volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	struct xtap_state st = { .reg_fd = -1, .lock_fd = -1 };
	struct xtap_state_watch sw;
	struct xtap_afxdp x = { 0 };
	struct xtap_pcapw *w = NULL;
	__u32 slots[XTAP_MAX_SLOTS];
	char why[XTAP_FILTER_ERRLEN];
	struct xtap_live *live = NULL;
	int cfg_fd = -1, xsk_fd = -1, ret = -1, n;
	bool have_x = false, enabled = false, made = false;

	if (xtap_capture_afxdp_refused(o) || o->nifaces > XTAP_MAX_SLOTS) {
		snprintf(err, errlen, "%s", xtap_capture_afxdp_refused(o) ?: "too many interfaces");
		return -1;
	}
	if (xtap_state_open(&st, NULL, false, err, errlen))
		goto cleanup;
	if (st.reg_fd < 0) {
		snprintf(err, errlen, "%s: not attached (run 'xtap attach %s' first)", o->ifaces[0],
			 o->ifaces[0]);
		goto cleanup;
	}
	if (pick_slots(&st, o, r, slots, err, errlen) ||
	    open_maps(&st, o, slots, &live, &cfg_fd, &xsk_fd, err, errlen))
		goto cleanup;
	/* the lock serialises xtap commands: attach and status go on meanwhile */
	xtap_state_watch_start(&sw, &st);
	xtap_state_close(&st);

	if (xtap_afxdp_init(&x, NULL, xsk_fd, o->snaplen, o->expr, why, sizeof(why))) {
		snprintf(err, errlen, "filter '%s': %s", o->expr, why);
		goto cleanup;
	}
	have_x = true;
	w = xtap_pcapw_open(o->file, o->pcapng ? XTAP_PCAPNG : XTAP_PCAP, o->snaplen, why,
			    sizeof(why));
	if (!w) {
		snprintf(err, errlen, "%s: %s", o->file, why);
		goto cleanup;
	}
	x.w = w;
	made = strcmp(o->file, "-") != 0;
	x.limit = o->count;
	x.ts_offset = xtap_mono_to_real_ns();
	for (int i = 0; i < o->nifaces; i++)
		if (xtap_afxdp_add_iface(&x, o->ifaces[i], slots[i], why, sizeof(why))) {
			snprintf(err, errlen, "%s: %s", o->ifaces[i], why);
			goto cleanup;
		}
	for (int i = 0; i < o->nifaces; i++) {
		struct xtap_xsk_cfg c = { .enabled = 1, .sample = o->sample,
					  .owner_pid = (__u32)getpid() };

		if (bpf_map_update_elem(cfg_fd, &slots[i], &c, BPF_ANY)) {
			snprintf(err, errlen, "%s: turn AF_XDP capture on: %s", o->ifaces[i],
				 strerror(errno));
			goto cleanup;
		}
		enabled = true;
		xtap_live_bits64(&live->xsk_slots, 1ull << slots[i], 1);
	}
	made = false;	/* from here the file is the capture's, even when empty */
	r->nsocks = x.n;
	r->nzerocopy = x.n_zerocopy;
	if (o->started)
		o->started(r, o->arg);

	while (!*stop && !xtap_afxdp_done(&x)) {
		n = xtap_afxdp_poll(&x, 100);
		if (n < 0 && n != -EINTR)
			break;
		if (xtap_state_watch(&sw, r->gone, sizeof(r->gone)) != XTAP_WATCH_SAME)
			break;
	}
	xsk_off(live, cfg_fd, slots, o->nifaces);
	enabled = false;
	/* what was redirected before the switch went off */
	while (!x.err && !xtap_afxdp_done(&x) && xtap_afxdp_poll(&x, 0) > 0)
		;
	r->dropped = xtap_afxdp_dropped(&x);
	xtap_afxdp_free(&x);
	have_x = false;
	n = xtap_pcapw_close(w);
	w = NULL;
	if (n && !x.err)
		x.err = n;
	r->err = x.err;
	snprintf(r->file, sizeof(r->file), "%s", strcmp(o->file, "-") ? o->file : "stdout");
	r->written = x.written;
	r->unwritten = x.unwritten;
	r->filtered = x.filtered;
	ret = 0;
cleanup:
	if (enabled)
		xsk_off(live, cfg_fd, slots, o->nifaces);
	if (have_x)
		xtap_afxdp_free(&x);
	xtap_pcapw_close(w);
	if (made)
		unlink(o->file);	/* a capture that never started leaves no file */
	if (cfg_fd >= 0)
		close(cfg_fd);
	if (xsk_fd >= 0)
		close(xsk_fd);
	xtap_live_unmap(live);
	xtap_state_close(&st);
	return ret;
}
