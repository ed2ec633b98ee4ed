// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xtap serve: GET /metrics in Prometheus's text format; the server is
 * user/serve.h's, the text user/prom.h's. */
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "tools/cmd.h"
#include "user/log.h"
#include "user/opts.h"
#include "user/serve.h"
#include "user/sock.h"

struct defaults_serve {
	const char *listen;
	bool follow;
	bool verbose;
};

static const struct defaults_serve defaults_serve = { .listen = "127.0.0.1:9477" };

#define F(x) offsetof(struct defaults_serve, x)
static const struct xtap_opt serve_opts[] = {
	{ "listen", 'l', XTAP_OPT_STR, F(listen), "ADDR:PORT",
	  .help = "where to listen ([ADDR]:PORT for IPv6; 127.0.0.1:9477)" },
	{ "follow", 0, XTAP_OPT_FLAG, F(follow), NULL,
	  .help = "when the state goes (detach), wait for a new attach and go on" },
	{ "verbose", 'v', XTAP_OPT_FLAG, F(verbose), NULL, .help = "say more" },
	{ NULL },
};
#undef F

const struct xtap_cmd_spec xtap_spec_serve = {
	.name = "serve",
	.help = "Prometheus metrics on http://ADDR:PORT/metrics (default 127.0.0.1:9477)",
	.opts = serve_opts,
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

int cmd_serve(int argc, char **argv)
{
	struct defaults_serve d = defaults_serve;
	struct sigaction sa = { .sa_handler = on_stop };
	struct sockaddr_storage addr;
	struct xtap_parsed p;
	socklen_t alen;
	char err[256];
	int rc = xtap_opts_parse(&xtap_spec_serve, &d, argc, argv, &p), lfd;

	if (rc >= 0)
		return rc;
	xtap_log_init(d.verbose);
	if (xtap_parse_hostport(d.listen, SOCK_STREAM, true, &addr, &alen, err, sizeof(err))) {
		xtap_err("serve: --listen %s: %s", d.listen, err);
		return XTAP_EXIT_USAGE;
	}
	if (xtap_check_privileges("serve"))
		return XTAP_EXIT_ERR;
	lfd = xtap_serve_listen(&addr, alen);
	if (lfd < 0)
		return XTAP_EXIT_ERR;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return xtap_serve(lfd, &stop, d.follow) ? XTAP_EXIT_ERR : XTAP_EXIT_OK;
}
