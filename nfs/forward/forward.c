/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * forward — the pass-through VNF: every packet goes on along its path untouched. It exists to
 * measure the platform's own cost and to test chains. Stateless: no session, no scratchpad.
 *
 *	forward [nfsdk options: --name NAME --socket PATH --file-prefix P --cpus LIST --poll]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "nfsdk/nf.h"

static struct nf_ctx *g_nf;

static void on_signal(int sig)
{
	(void)sig;
	if (g_nf != NULL)
		nf_stop(g_nf);
}

int main(int argc, char **argv)
{
	static const struct nf_decl decl = {
	    .name = "forward",
	    .traffic_class = "",
	    .session = "",
	    .timeout_ms = 0,
	};
	static const struct nf_ops ops = {0}; /* every verdict stays NF_FORWARD */
	int rc;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (nf_init(argc, argv, &decl, &g_nf, NULL, NULL) < 0)
		return 1;
	rc = nf_run(g_nf, &ops, NULL);
	fprintf(stderr, "forward[%s]: %s after %lu packets in, %lu out\n", nf_name(g_nf),
		rc == 0 ? "stopped" : "flowmgr went away", (unsigned long)nf_rx_pkts(g_nf),
		(unsigned long)nf_tx_pkts(g_nf));
	nf_close(g_nf);
	return rc == 0 ? 0 : 1;
}
