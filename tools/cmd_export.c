// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xtap export: flow records to an IPFIX collector (UDP or TCP) or as JSON
 * lines; the session is user/exporter.h's. */
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "tools/cmd.h"
#include "user/exporter.h"
#include "user/log.h"
#include "user/opts.h"
#include "user/sock.h"

struct defaults_export {
	struct xtap_exporter_opts o;	/* the session's; the collector from ipfix */
	const char *ipfix;
	bool udp;
	bool verbose;
};

static const struct defaults_export defaults_export = {
	.o = { .interval_s = 1, .active_s = 60, .idle_s = 15, .tmpl_refresh_s = 30 },
};

#define F(x) offsetof(struct defaults_export, x)
#define SECONDS .min = 1, .max = 86400, .bad = "seconds from 1 to 86400"
static const struct xtap_opt export_opts[] = {
	{ "ipfix", 0, XTAP_OPT_STR, F(ipfix), "HOST:PORT", .help = "send IPFIX to this collector" },
	{ "json", 0, XTAP_OPT_STR, F(o.json), "FILE|-", .help = "write JSON lines instead (- for stdout)" },
	{ "udp", 0, XTAP_OPT_FLAG, F(udp), NULL, .help = "IPFIX over UDP (the default)" },
	{ "tcp", 0, XTAP_OPT_FLAG, F(o.tcp), NULL, .help = "IPFIX over TCP, reconnecting" },
	{ "interval", 0, XTAP_OPT_U32, F(o.interval_s), "S", .help = "read the table every S s (1)",
	  SECONDS },
	{ "active-timeout", 0, XTAP_OPT_U32, F(o.active_s), "S",
	  .help = "a record of a live flow every S s (60)", SECONDS },
	{ "idle-timeout", 0, XTAP_OPT_U32, F(o.idle_s), "S",
	  .help = "a flow S s without packets has ended (15)", SECONDS },
	{ "template-refresh", 0, XTAP_OPT_U32, F(o.tmpl_refresh_s), "S",
	  .help = "templates again every S s over UDP (30)", SECONDS },
	{ "once", 0, XTAP_OPT_FLAG, F(o.once), NULL, .help = "send everything once, then stop" },
	{ "follow", 0, XTAP_OPT_FLAG, F(o.follow), NULL,
	  .help = "when the state goes (detach), wait for a new attach and go on" },
	{ "verbose", 'v', XTAP_OPT_FLAG, F(verbose), NULL, .help = "say more" },
	{ NULL },
};
#undef SECONDS
#undef F

const struct xtap_cmd_spec xtap_spec_export = {
	.name = "export",
	.help = "send flow records to an IPFIX collector, or write them as JSON lines",
	.opts = export_opts,
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

int cmd_export(int argc, char **argv)
{
	struct defaults_export d = defaults_export;
	struct sigaction sa = { .sa_handler = on_stop };
	struct xtap_export_stats st = { 0 };
	struct xtap_exporter *x = NULL;
	struct xtap_parsed p;
	char err[256];
	int bad = 0;
	int rc = xtap_opts_parse(&xtap_spec_export, &d, argc, argv, &p);

	if (rc >= 0)
		return rc;
	if (!d.ipfix == !d.o.json) {
		xtap_err("export: give one of --ipfix HOST:PORT or --json FILE|-");
		return XTAP_EXIT_USAGE;
	}
	if (d.udp && d.o.tcp) {
		xtap_err("export: --udp and --tcp exclude each other");
		return XTAP_EXIT_USAGE;
	}
	if ((d.udp || d.o.tcp) && !d.ipfix) {
		xtap_err("export: --udp and --tcp are for --ipfix");
		return XTAP_EXIT_USAGE;
	}
	xtap_log_init(d.verbose);
	if (d.ipfix)
		bad = xtap_parse_hostport(d.ipfix, d.o.tcp ? SOCK_STREAM : SOCK_DGRAM, false,
					  &d.o.collector, &d.o.collector_len, err, sizeof(err));
	if (bad) {
		/* a name that does not resolve is the world's answer, not a
		 * malformed command line */
		xtap_err("export: --ipfix %s: %s", d.ipfix, err);
		return bad == -2 ? XTAP_EXIT_ERR : XTAP_EXIT_USAGE;
	}
	rc = XTAP_EXIT_ERR;
	if (xtap_check_privileges("export"))
		goto summary;
	if (xtap_exporter_new(&d.o, &x))
		return XTAP_EXIT_ERR;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!xtap_exporter_run(x, &stop))
		rc = XTAP_EXIT_OK;
	xtap_exporter_stats(x, &st);
	xtap_exporter_free(x);
summary:
	if (d.ipfix)
		xtap_info("export: %" PRIu64 " records sent, %" PRIu64 " not sent, %" PRIu64
			  " possibly lost%s%s",
			  (uint64_t)st.sent, (uint64_t)st.unsent, (uint64_t)st.possibly_lost,
			  st.last_errno ? "; last error: " : "",
			  st.last_errno ? strerror(st.last_errno) : "");
	return rc;
}
