// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xtap replay -r FILE: the programs run over a capture, with its clock. */
#include <stdio.h>

#include "tools/cmd.h"
#include "user/opts.h"
#include "user/replay.h"

int cmd_replay(int argc, char **argv)
{
	struct xtap_replay_session s;
	int rc = xtap_replay_args(&s, argc, argv);

	if (rc >= 0)
		return rc;
	rc = xtap_replay_run(&s) ? XTAP_EXIT_ERR : XTAP_EXIT_OK;
	if (rc == XTAP_EXIT_OK)
		rc = xtap_replay_report(stdout, &s);
	xtap_replay_end(&s);
	return rc;
}
