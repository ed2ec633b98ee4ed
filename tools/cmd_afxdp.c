// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xtap capture --afxdp: for a port that exists to be captured (a tap or a
 * SPAN port). The attached XDP program redirects the sampled frames of each
 * -i interface to AF_XDP sockets, one per RX queue; they are written to the
 * file and do not reach the stack. Frames not sampled go on as usual.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "loader/attach.h"
#include "tools/cmd.h"
#include "tools/cmd_afxdp.h"
#include "user/afxdp.h"
#include "user/log.h"
#include "user/opts.h"
#include "user/pcapw.h"

static volatile sig_atomic_t afxdp_stop;

static void on_stop(int sig)
{
	(void)sig;
	afxdp_stop = 1;
}

static int refused(const struct xtap_afxdp_args *a)
{
	if (!a->nifaces) {
		xtap_err("capture: --afxdp needs -i IFACE (a port that exists to be captured)");
		return XTAP_EXIT_USAGE;
	}
	if (a->sample_flows) {
		xtap_err("capture: --sample-flows does not go with --afxdp (use --sample N)");
		return XTAP_EXIT_USAGE;
	}
	if (a->hooks) {
		xtap_err("capture: --hook does not go with --afxdp (AF_XDP takes frames at XDP)");
		return XTAP_EXIT_USAGE;
	}
	if (a->rotate_bytes) {
		xtap_err("capture: -C does not go with --afxdp");
		return XTAP_EXIT_USAGE;
	}
	return 0;
}

/* The words of the filter expression joined by spaces, as tcpdump does. */
static char *join_expr(const struct xtap_afxdp_args *a)
{
	size_t n = 1;
	char *s;

	if (!a->nexpr)
		return NULL;
	for (int i = 0; i < a->nexpr; i++)
		n += strlen(a->expr[i]) + 1;
	s = calloc(1, n);
	if (!s)
		return NULL;
	for (int i = 0; i < a->nexpr; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, a->expr[i]);
	}
	return s;
}

static void xsk_off(int cfg_fd, const __u32 *slots, int n)
{
	struct xtap_xsk_cfg off = { 0 };

	for (int i = 0; i < n; i++)
		bpf_map_update_elem(cfg_fd, &slots[i], &off, BPF_ANY);
}

int xtap_capture_afxdp(const struct xtap_afxdp_args *a)
{
	struct xtap_state st = { .reg_fd = -1, .lock_fd = -1 };
	struct xtap_afxdp x = { 0 };
	struct xtap_pcapw *w = NULL;
	struct sigaction sa = { .sa_handler = on_stop };
	__u32 slots[XTAP_MAX_SLOTS];
	char err[XTAP_ERRLEN] = "", names[512] = "", *expr = NULL;
	int cfg_fd = -1, xsk_fd = -1, ret = XTAP_EXIT_ERR, r, nslots = 0;
	bool have_x = false, enabled = false, made = false;
	__u64 dropped;
	size_t nl = 0;

	r = refused(a);
	if (r)
		return r;
	if (a->nexpr && !(expr = join_expr(a))) {
		xtap_err("capture: out of memory");
		return XTAP_EXIT_ERR;
	}
	if (xtap_state_open(&st, NULL, false, err, sizeof(err))) {
		xtap_err("capture: %s", err);
		goto cleanup;
	}
	if (st.reg_fd < 0) {
		xtap_err("capture: %s: not attached (run 'xtap attach %s' first)", a->ifaces[0],
			 a->ifaces[0]);
		goto cleanup;
	}
	for (int i = 0; i < a->nifaces; i++) {
		struct xtap_iface e;
		int s = xtap_find_slot(&st, a->ifaces[i]);

		if (s < 0 || xtap_iface_get(&st, (__u32)s, &e)) {
			xtap_err("capture: %s: not attached (run 'xtap attach %s' first)", a->ifaces[i],
				 a->ifaces[i]);
			goto cleanup;
		}
		if (if_nametoindex(a->ifaces[i]) != e.ifindex) {
			xtap_err("capture: %s: not in this network namespace", a->ifaces[i]);
			goto cleanup;
		}
		if (!(e.hooks & (1u << XTAP_HOOK_XDP))) {
			xtap_err("capture: %s: --afxdp needs the XDP hook (attached with --hooks without xdp)",
				 a->ifaces[i]);
			goto cleanup;
		}
		for (int j = 0; j < nslots; j++)
			if (slots[j] == (__u32)s) {
				xtap_err("capture: %s: named twice", a->ifaces[i]);
				goto cleanup;
			}
		slots[nslots++] = (__u32)s;
		nl += snprintf(names + nl, nl < sizeof(names) ? sizeof(names) - nl : 0, "%s%s",
			       nl ? ", " : "", e.name);
	}
	cfg_fd = xtap_map_open(&st, "xtap_xsk_cfg");
	xsk_fd = xtap_map_open(&st, "xtap_xsk");
	if (cfg_fd < 0 || xsk_fd < 0) {
		int e2 = cfg_fd < 0 ? cfg_fd : xsk_fd;

		if (e2 == -ENOENT)
			xtap_err("capture: the attached programs have no AF_XDP map (attached by an "
				 "older xtap: detach and attach again)");
		else
			xtap_err("capture: open the AF_XDP maps: %s", strerror(-e2));
		goto cleanup;
	}
	for (int i = 0; i < nslots; i++) {
		struct xtap_xsk_cfg c;

		if (!bpf_map_lookup_elem(cfg_fd, &slots[i], &c) && c.enabled && c.owner_pid &&
		    (pid_t)c.owner_pid != getpid() && kill((pid_t)c.owner_pid, 0) == 0) {
			xtap_err("capture: %s: another xtap capture --afxdp (pid %u) is running",
				 a->ifaces[i], c.owner_pid);
			goto cleanup;
		}
	}
	/* the lock serialises xtap commands: attach and status go on meanwhile */
	xtap_state_close(&st);

	if (xtap_afxdp_init(&x, NULL, xsk_fd, a->snaplen, expr, err, sizeof(err))) {
		xtap_err("capture: filter '%s': %s", expr, err);
		goto cleanup;
	}
	have_x = true;
	w = xtap_pcapw_open(a->file, a->pcapng ? XTAP_PCAPNG : XTAP_PCAP, a->snaplen, err,
			    sizeof(err));
	if (!w) {
		xtap_err("capture: %s: %s", a->file, err);
		goto cleanup;
	}
	x.w = w;
	made = strcmp(a->file, "-") != 0;
	x.limit = a->count;
	x.ts_offset = xtap_mono_to_real_ns();
	for (int i = 0; i < a->nifaces; i++) {
		r = xtap_afxdp_add_iface(&x, a->ifaces[i], slots[i], err, sizeof(err));
		if (r) {
			xtap_err("capture: %s: %s", a->ifaces[i], err);
			goto cleanup;
		}
	}

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (int i = 0; i < nslots; i++) {
		struct xtap_xsk_cfg c = { .enabled = 1, .sample = a->sample,
					  .owner_pid = (__u32)getpid() };

		if (bpf_map_update_elem(cfg_fd, &slots[i], &c, BPF_ANY)) {
			xtap_err("capture: %s: turn AF_XDP capture on: %s", a->ifaces[i],
				 strerror(errno));
			goto cleanup;
		}
		enabled = true;
	}
	made = false;	/* from here the file is the capture's, even when empty */
	fprintf(stderr, "xtap: listening on %s (AF_XDP, %d socket%s, %s), snapshot length %u bytes; "
		"frames taken do not reach the stack\n", names, x.n, x.n == 1 ? "" : "s",
		x.n_zerocopy == x.n ? "zero-copy" : x.n_zerocopy ? "zero-copy on some queues" :
		"copy mode", a->snaplen);

	while (!afxdp_stop && !xtap_afxdp_done(&x)) {
		r = xtap_afxdp_poll(&x, 100);
		if (r < 0 && r != -EINTR)
			break;
	}
	xsk_off(cfg_fd, slots, nslots);
	enabled = false;
	/* what was redirected before the switch went off */
	while (!x.err && !xtap_afxdp_done(&x) && xtap_afxdp_poll(&x, 0) > 0)
		;
	dropped = xtap_afxdp_dropped(&x);
	xtap_afxdp_free(&x);
	have_x = false;
	r = xtap_pcapw_close(w);
	w = NULL;
	if (r && !x.err)
		x.err = r;
	if (x.err)
		xtap_err("capture: %s: %s", strcmp(a->file, "-") ? a->file : "stdout",
			 strerror(-x.err));
	fprintf(stderr, "%llu packets captured\n%llu packets dropped by kernel (AF_XDP socket full)\n"
		"%llu packets not written\n",
		(unsigned long long)x.written, (unsigned long long)dropped,
		(unsigned long long)x.unwritten);
	if (expr)
		fprintf(stderr, "%llu packets rejected by the filter\n",
			(unsigned long long)x.filtered);
	ret = x.err ? XTAP_EXIT_ERR : XTAP_EXIT_OK;
cleanup:
	if (enabled)
		xsk_off(cfg_fd, slots, nslots);
	if (have_x)
		xtap_afxdp_free(&x);
	xtap_pcapw_close(w);
	if (made)
		unlink(a->file);	/* a capture that never started leaves no file */
	if (cfg_fd >= 0)
		close(cfg_fd);
	if (xsk_fd >= 0)
		close(xsk_fd);
	xtap_state_close(&st);
	free(expr);
	return ret;
}
