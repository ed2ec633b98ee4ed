// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>

#include "loader/attach.h"
#include "user/capread.h"
#include "user/capslot.h"
#include "user/capsink.h"
#include "user/capture.h"
#include "user/opts.h"

/* Bytes per ring: half of RING_BYTES_ALL each for up to 2 rings, else
 * RING_BYTES_ALL shared out, at least 4 MiB each (some 2,700 records of
 * 1514-byte frames). The rings are the capture's only buffer (records wait
 * there to be merged in time order), so they have the room a buffer in
 * user space would have; where one CPU takes all the traffic its ring is
 * the whole buffer, and must hold what comes while the writing stalls on
 * the file's page cache. */
#define RING_BYTES_ALL (256u << 20)
static __u32 ring_bytes(int nrings)
{
	__u32 size = RING_BYTES_ALL / 2;

	if (nrings > 2) {
		size = RING_BYTES_ALL / (__u32)nrings;
		size = 1u << (31 - __builtin_clz(size));	/* a power of 2 */
		if (size < (4u << 20))
			size = 4u << 20;
	}
	return size;
}

/* -B KiB, rounded up to a power of 2 pages */
static __u32 ring_bytes_of(__u32 kib)
{
	__u32 size = 1u << 18;

	while (size < kib * 1024u)
		size <<= 1;
	return size;
}

/* Turns the capture off, under the lock that serialises xtap commands (the
 * word of running captures is shared by them). */
static void capture_off(struct xtap_capslot *slot)
{
	struct xtap_state st = { .reg_fd = -1, .lock_fd = -1 };
	char err[XTAP_ERRLEN];
	bool locked = !xtap_state_open(&st, NULL, false, err, sizeof(err));

	xtap_capslot_off(slot);
	if (locked)
		xtap_state_close(&st);
}

/* The slots to capture (none named: every one attached) into *slots, their
 * names into r->names and each slot's name into names[]; -1 with the
 * message in err. */
static int pick_slots(struct xtap_state *st, const struct xtap_capture_opts *o,
		      struct xtap_capture_result *r, struct xtap_iface *e, __u64 *present,
		      __u64 *slots, char *err, size_t errlen)
{
	__u32 hooks_there = 0;
	size_t nl = 0;

	*present = *slots = 0;
	for (__u32 s = 0; s < XTAP_MAX_SLOTS; s++)
		if (!xtap_iface_get(st, s, &e[s]))
			*present |= 1ull << s;
	for (int i = 0; i < o->nifaces; i++) {
		int s = xtap_find_slot(st, o->ifaces[i]);

		if (s < 0 || !(*present & (1ull << s))) {
			xtap_not_attached(st, o->ifaces[i], err, errlen);
			return -1;
		}
		*slots |= 1ull << s;
	}
	if (!*present) {
		snprintf(err, errlen, "nothing is attached (run 'xtap attach IFACE' first)");
		return -1;
	}
	for (__u32 s = 0; s < XTAP_MAX_SLOTS; s++) {
		if (!((*slots ? *slots : *present) & (1ull << s)))
			continue;
		hooks_there |= e[s].hooks;
		nl += snprintf(r->names + nl, nl < sizeof(r->names) ? sizeof(r->names) - nl : 0,
			       "%s%s", nl ? ", " : "", e[s].name);
	}
	if (o->hooks && !(o->hooks & hooks_there)) {
		char h[64];

		snprintf(err, errlen, "--hook %s: not attached on %s",
			 xtap_hooks_str(o->hooks, h, sizeof(h)), r->names);
		return -1;
	}
	return 0;
}

/* The capture id, its rings and filter (classic, n: libpcap's program). */
static int claim(struct xtap_state *st, const struct xtap_capture_opts *o,
		 const struct sock_filter *classic, size_t n, struct xtap_capmaps *maps,
		 struct xtap_capslot *slot, bool *have_slot, char *err, size_t errlen)
{
	int nrings = libbpf_num_possible_cpus(), r;

	/* a ring per CPU */
	if (nrings < 1 || nrings > XTAP_CAPTURE_RINGS)
		nrings = nrings < 1 ? 1 : XTAP_CAPTURE_RINGS;
	r = xtap_capmaps_open(st, maps);
	if (r) {
		if (r == -ENOENT)
			snprintf(err, errlen, "the attached programs have no capture maps (attached "
				 "by an older xtap: detach and attach again)");
		else
			snprintf(err, errlen, "open the capture maps: %s", strerror(-r));
		return -1;
	}
	r = xtap_capslot_claim(slot, maps);
	if (r) {
		if (r == -EBUSY)
			snprintf(err, errlen, "%d captures are running already", XTAP_CAPTURES_MAX);
		else
			snprintf(err, errlen, "capture config: %s", strerror(-r));
		return -1;
	}
	*have_slot = true;
	r = xtap_capslot_rings(slot, nrings,
			       o->ring_kib ? ring_bytes_of(o->ring_kib) : ring_bytes(nrings));
	if (r) {
		snprintf(err, errlen, "capture ring: %s", strerror(-r));
		return -1;
	}
	return xtap_capslot_filter(slot, classic, n, err, errlen);
}

static bool has_expr(const struct xtap_capture_opts *o)
{
	return o->expr && *o->expr;
}

/* The filter as libpcap compiles it for a live capture: with the netmask of
 * the first interface named, so that `ip broadcast` takes that subnet's
 * broadcast address too (pcap-filter(7)); 0 without one. */
static int capture_classic(const struct xtap_capture_opts *o, struct sock_filter **classic,
			   size_t *n, char *why, size_t whylen)
{
	return xtap_filter_classic_mask(o->expr, XTAP_FILTER_SNAP,
					xtap_filter_netmask(o->nifaces ? o->ifaces[0] : NULL),
					classic, n, why, whylen);
}

int xtap_capture_check(const struct xtap_capture_opts *o, char *err, size_t errlen)
{
	char why[XTAP_FILTER_ERRLEN] = "";
	struct sock_filter *classic = NULL;
	struct xtap_filter f = { 0 };
	const char *refused;
	size_t n;
	int r = 0;

	if (o->afxdp && (refused = xtap_capture_afxdp_refused(o)))
		snprintf(err, errlen, "%s", refused);
	else if (o->sample_flows && o->sample > 1)
		snprintf(err, errlen, "--sample and --sample-flows do not go together");
	else if (!o->file || !*o->file)
		snprintf(err, errlen, "no file to write to");
	else if (o->rotate_files && !o->rotate_bytes)
		snprintf(err, errlen, "-W goes with -C");
	else if (o->rotate_bytes && !strcmp(o->file, "-"))
		snprintf(err, errlen, "-C: stdout cannot be rotated");
	else if (!has_expr(o))
		return 0;
	/* AF_XDP runs libpcap's program in user space; the rings run its
	 * translation in the kernel, which must exist */
	else if (capture_classic(o, &classic, &n, why, sizeof(why)) ||
		 (!o->afxdp && xtap_filter_translate(classic, n, &f, why, sizeof(why))))
		snprintf(err, errlen, "filter '%s': %s", o->expr, why);
	else
		r = 1;
	free(classic);
	xtap_filter_free(&f);
	return r ? 0 : -1;
}

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

const volatile sig_atomic_t *xtap_capture_stop_on_signals(void)
{
	/* no SA_RESTART: a blocking open (a fifo waiting for its reader) or
	 * write returns EINTR */
	struct sigaction sa = { .sa_handler = on_stop };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return &stop_requested;
}

static struct xtap_capsink *open_sink(const struct xtap_capture_opts *o, char *err,
				      size_t errlen)
{
	/* the offset between the programs' clock and the epoch, taken now */
	return xtap_capsink_open(&(struct xtap_capsink_opts){
		.path = o->file, .fmt = o->pcapng ? XTAP_PCAPNG : XTAP_PCAP, .snaplen = o->snaplen,
		.ts_offset = xtap_mono_to_real_ns(), .limit = o->count,
		.rotate_bytes = o->rotate_bytes, .rotate_files = o->rotate_files,
		.cgroup = o->cgroup_id ? o->cgroup_path : NULL }, err, errlen);
}

/* An existing fifo: its open waits until a reader opens it. */
static bool is_fifo(const char *path)
{
	struct stat sb;

	return strcmp(path, "-") && !stat(path, &sb) && S_ISFIFO(sb.st_mode);
}

static int run_rings(const struct xtap_capture_opts *o, struct xtap_capture_result *r,
		     const volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	char why[XTAP_FILTER_ERRLEN];
	struct sock_filter *classic = NULL;
	size_t nclassic = 0;
	struct xtap_state st = { .reg_fd = -1, .lock_fd = -1 };
	struct xtap_capmaps maps = { .owned = false };
	struct xtap_state_watch w;
	struct xtap_capslot slot = { 0 };
	struct xtap_capsink *sink = NULL;
	struct xtap_capread *rd = NULL;
	struct xtap_iface e[XTAP_MAX_SLOTS];
	struct xtap_capsink_counts sc;
	struct xtap_capread_counts rc;
	struct xtap_capture_cfg cfg;
	__u64 present, slots, captured = 0;
	bool have_slot = false;
	int ret = -1, n;

	if (has_expr(o) && capture_classic(o, &classic, &nclassic, why, sizeof(why))) {
		snprintf(err, errlen, "filter '%s': %s", o->expr, why);
		goto cleanup;
	}
	/* a fifo is opened before the lock is taken: the other xtap commands
	 * go on while it waits for its reader */
	if (is_fifo(o->file) && !(sink = open_sink(o, err, errlen)))
		goto cleanup;
	if (xtap_state_open(&st, NULL, false, err, errlen))
		goto cleanup;
	if (st.reg_fd < 0) {
		snprintf(err, errlen, "nothing is attached (run 'xtap attach IFACE' first)");
		goto cleanup;
	}
	if (pick_slots(&st, o, r, e, &present, &slots, err, errlen) ||
	    claim(&st, o, classic, nclassic, &maps, &slot, &have_slot, err, errlen))
		goto cleanup;
	if (!sink && !(sink = open_sink(o, err, errlen)))
		goto cleanup;
	n = xtap_capread_new(&rd, slot.ring, slot.nrings, sink);
	if (n) {
		snprintf(err, errlen, "capture ring: %s", strerror(-n));
		goto cleanup;
	}
	for (__u32 s = 0; s < XTAP_MAX_SLOTS; s++)
		if (present & (1ull << s))
			xtap_capsink_name(sink, s, e[s].name);

	cfg = (struct xtap_capture_cfg){
		.enabled = 1, .snaplen = o->snaplen, .sample = o->sample, .hooks = o->hooks,
		.slots = slots, .owner_pid = (__u32)getpid(), .sample_flows = o->sample_flows,
		.cgroup_id = o->cgroup_id,
		.gen = (__u32)getpid() ^ (__u32)time(NULL) ^ (slot.id << 28),
	};
	n = xtap_capslot_start(&slot, &cfg);
	if (n) {
		snprintf(err, errlen, "turn capture on: %s", strerror(-n));
		goto cleanup;
	}
	/* the lock serialises xtap commands: attach and status go on meanwhile */
	xtap_state_watch_start(&w, &st);
	xtap_state_close(&st);
	if (o->started)
		o->started(r, o->arg);

	while (!*stop && !xtap_capsink_done(sink) && !xtap_capsink_check(sink)) {
		n = xtap_capread_poll(rd, 100);
		if (n < 0 && n != -EINTR)
			break;
		if (xtap_state_watch(&w, r->gone, sizeof(r->gone)) != XTAP_WATCH_SAME)
			break;
	}
	capture_off(&slot);
	/* what the programs wrote before capture went off */
	if (!xtap_capsink_err(sink))
		xtap_capread_drain(rd);
	xtap_capslot_counts(&slot, &captured, &r->dropped);
	xtap_capsink_counts(sink, &sc);
	xtap_capread_counts(rd, &rc);
	snprintf(r->file, sizeof(r->file), "%s",
		 strcmp(o->file, "-") ? xtap_capsink_path(sink) : "stdout");
	r->err = xtap_capsink_close(sink);
	sink = NULL;
	r->written = sc.written;
	r->unwritten = sc.unwritten + rc.unheld + rc.invalid;
	ret = 0;
cleanup:
	if (have_slot && slot.running)
		capture_off(&slot);
	xtap_capread_free(rd);
	xtap_capsink_close(sink);
	if (have_slot)
		xtap_capslot_stop(&slot);
	xtap_capmaps_close(&maps);
	xtap_state_close(&st);
	free(classic);
	return ret;
}

int xtap_capture_run(const struct xtap_capture_opts *o, struct xtap_capture_result *r,
		     const volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	struct xtap_capture_opts n = *o;

	memset(r, 0, sizeof(*r));
	if (xtap_capture_check(o, err, errlen))
		return -1;
	if (!n.snaplen || n.snaplen > XTAP_SNAP_MAX)
		n.snaplen = XTAP_SNAP_MAX;	/* tcpdump's -s 0: the whole frame */
	if (!n.sample)
		n.sample = 1;
	r->snaplen = n.snaplen;
	return (n.afxdp ? xtap_capture_afxdp_run : run_rings)(&n, r, stop, err, errlen);
}
