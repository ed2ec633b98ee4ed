/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Where the exporter's records go, behind one interface: IPFIX messages to
 * a collector over UDP or TCP (user/export_ipfix.c), or JSON lines
 * (user/export_json.c). A round is begin, the flow and service records,
 * then end, which sends or flushes what the round produced.
 */
#ifndef XTAP_USER_EXPORT_SINK_H
#define XTAP_USER_EXPORT_SINK_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>

#include "user/exporter.h"
#include "user/ipfix.h"

struct xtap_export_sink;

struct xtap_export_sink_ops {
	void (*begin)(struct xtap_export_sink *s);
	/* One record of e; a is its HTTP/DNS state or NULL, t the outer
	 * endpoints of a tunnel flow or NULL. 0 or -errno: the record did
	 * not go and stays due. */
	int (*flow)(struct xtap_export_sink *s, const struct xtap_flow_entry *e,
		    const struct xtap_export_rec *r, const struct xtap_app *a,
		    const struct xtap_tunnel *t);
	/* What one service's histogram gained from since_ns to now_ns (the
	 * times in sv are the sink's to fill). */
	void (*svc)(struct xtap_export_sink *s, struct xtap_ipfix_svc *sv, __u64 since_ns);
	void (*end)(struct xtap_export_sink *s);
	void (*free)(struct xtap_export_sink *s);
};

/* Every sink starts with this. */
struct xtap_export_sink {
	const struct xtap_export_sink_ops *ops;
	__u64 now_ns;		/* the round's time, CLOCK_MONOTONIC */
	__s64 off_ns;		/* CLOCK_MONOTONIC to the epoch */
	struct xtap_export_stats st;
	/* Called by the sink when the records it took so far have left
	 * xtap (a message was sent, or failed for good; the lines were
	 * flushed): the exporter's marks of them may go to the pinned state.
	 * NULL: nobody asks. */
	void (*gone_out)(void *arg);
	void *gone_out_arg;
};

static inline void xtap_export_sink_out(struct xtap_export_sink *s)
{
	if (s->gone_out)
		s->gone_out(s->gone_out_arg);
}

/* IPFIX to the collector at addr. NULL when out of memory. */
struct xtap_export_sink *xtap_export_sink_ipfix(const struct sockaddr_storage *addr,
						socklen_t alen, bool tcp, __u32 tmpl_refresh_s);
/* JSON lines to f; own: fclose it at the end, else only flush. */
struct xtap_export_sink *xtap_export_sink_json(FILE *f, bool own);

#endif
