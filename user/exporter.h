/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The export session (xtap export): every interval it reads the live flow
 * table, the HTTP/DNS state and the service histograms, decides with
 * user/export.h what is due, and hands the records to one sink: IPFIX
 * messages to a collector over UDP or TCP, or JSON lines to a file or
 * stdout. When it stops, a last round sends whatever has not gone yet,
 * marked forced.
 *
 * What went is kept in the pinned state (maps/xtap.h: the exporter's
 * cursor), so that a restarted exporter goes on where the last one stopped:
 * when a session takes a state it loads the marks of every flow exported so
 * far and the service histograms as they last went; a record's marks are
 * written when the sink says the record has left (an IPFIX message sent, or
 * lost for good; JSON lines flushed), so a kill repeats at most the one
 * message between the two. Marks of flows the table no longer holds are
 * deleted. One session per state: a flock on <pin root>/maps, which the
 * kernel drops whenever the process ends; a second session is refused with
 * one line. The counters of all sessions add up in xtap_exp_info, which
 * /metrics shows.
 *
 * xtap_exporter_run is the whole session on the pinned state;
 * xtap_exporter_round is one round on tables the caller read, with the
 * caller's clock, for tests (it keeps its marks in memory only).
 */
#ifndef XTAP_USER_EXPORTER_H
#define XTAP_USER_EXPORTER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <linux/types.h>

#include "user/app.h"
#include "user/export.h"
#include "user/maps.h"

/* IPFIX messages fit a 1500-byte MTU over UDP; over TCP they are larger. */
#define XTAP_EXPORT_MSG_UDP 1400
#define XTAP_EXPORT_MSG_TCP 16384
/* The observation domain of every message. */
#define XTAP_IPFIX_DOMAIN 1
/* Reconnects to a TCP collector back off from 1 s, doubling up to this. */
#define XTAP_EXPORT_RECONNECT_MAX_S 30
/* An ended flow waits this long without packets, for its last ACK (or the
 * idle timeout, when that is shorter). */
#define XTAP_EXPORT_END_QUIET_NS 1000000000ull

struct xtap_exporter_opts {
	const char *json;	/* FILE, "-" for stdout; NULL: IPFIX to collector */
	struct sockaddr_storage collector;
	socklen_t collector_len;
	bool tcp;		/* IPFIX over TCP, else UDP */
	__u32 interval_s;	/* between reads of the table */
	__u32 active_s;		/* a record of a live flow at least this often */
	__u32 idle_s;		/* a flow this long without packets ends */
	__u32 tmpl_refresh_s;	/* templates again over UDP */
	bool once;		/* one forced round, then stop */
	bool follow;		/* the state gone or replaced: wait for it, go on */
};

struct xtap_export_stats {
	__u64 sent;		/* data records the sink took */
	__u64 unsent;		/* data records that never left: no connection, a
				 * failed send */
	__u64 possibly_lost;	/* of the sent, those that went while the collector
				 * refused messages (UDP): it was away, or came
				 * back without the templates to read them */
	__u64 errors;		/* failed connects and sends, refusals */
	int last_errno;		/* the cause of the last of them; 0: none */
};

/* What one round exports: tables read at the round's start. */
struct xtap_export_input {
	const struct xtap_flow_entry *flows;	/* sorted by key */
	size_t nflows;
	const struct xtap_app_table *app;	/* NULL: records go without */
	/* the outer endpoints of a tunnel flow (xtap_tunnels): 0, else none
	 * known; NULL: records carry the tunnel's type and id alone */
	int (*tunnel_of)(const struct xtap_flow_key *k, struct xtap_tunnel *t, void *arg);
	void *tunnel_arg;
	/* the service histograms, sorted by key, when has_hist */
	const struct xtap_hist_entry *hist;
	size_t nhist;
	bool has_hist;
};

struct xtap_exporter;

/* Opens the sink: the JSON file (created 0600, appended to) or the
 * collector's socket (connected at the first round). Prints the error.
 * 0 or -errno. */
int xtap_exporter_new(const struct xtap_exporter_opts *o, struct xtap_exporter **out);
/* Rounds every interval_s until *stop (or one forced round when once),
 * then the forced round. The state gone or replaced ends it (user/query.h
 * xtap_query_watch) unless follow. 0, or -1 after printing the error that
 * ended it. */
int xtap_exporter_run(struct xtap_exporter *x, const volatile sig_atomic_t *stop);
/* One round at now_ns (CLOCK_MONOTONIC; off_ns turns it into the epoch).
 * The service histograms go when force or active_s has passed since they
 * last went. 0, or -errno after printing it. */
int xtap_exporter_round(struct xtap_exporter *x, const struct xtap_export_input *in,
			__u64 now_ns, __s64 off_ns, bool force);
void xtap_exporter_stats(const struct xtap_exporter *x, struct xtap_export_stats *st);
/* "HOST:PORT" of the collector, or the JSON file's name. */
const char *xtap_exporter_name(const struct xtap_exporter *x);
/* Closes the sink (stdout is flushed, not closed) and frees x. */
void xtap_exporter_free(struct xtap_exporter *x);

#endif
