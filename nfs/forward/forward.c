/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * forward — the pass-through VNF: every packet goes on along its path untouched. It exists to
 * measure the platform's own cost and to test chains. Stateless: no session, no scratchpad.
 *
 *	forward [nfsdk options: --name NAME --socket PATH --file-prefix P --cpus LIST --poll]
 *
 * With `-- --reflect` it sends every packet back out of the port it came in (NF_TO_PORT), the
 * smallest use of that verdict.
 *
 * Supervision drills: SIGUSR1 freezes the VNF inside its handler (it stops dequeuing, as a hung
 * VNF would), SIGUSR2 thaws it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nfsdk/nf.h"

static struct nf_ctx *g_nf;
static volatile sig_atomic_t g_frozen;
static bool g_reflect;

static void on_freeze(int sig)
{
	g_frozen = sig == SIGUSR1;
}

static void on_burst(struct nf_ctx *nf, void *arg, struct rte_mbuf **pkts, uint16_t n,
		     uint8_t *verdicts)
{
	struct timespec ms = {.tv_sec = 0, .tv_nsec = 1000000};

	(void)arg;
	while (g_frozen)
		nanosleep(&ms, NULL);
	for (uint16_t i = 0; g_reflect && i < n; i++)
		verdicts[i] = NF_TO_PORT(nf_in_port(nf, pkts[i]));
}

static void on_signal(int sig)
{
	(void)sig;
	g_frozen = 0;
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
	static const struct nf_ops ops = {.on_burst = on_burst};
	int rc;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_freeze);
	signal(SIGUSR2, on_freeze);
	char **args;
	int nargs;

	if (nf_init(argc, argv, &decl, &g_nf, &nargs, &args) < 0)
		return 1;
	for (int i = 0; i < nargs; i++)
		g_reflect |= strcmp(args[i], "--reflect") == 0;
	rc = nf_run(g_nf, &ops, NULL);
	fprintf(stderr, "forward[%s]: %s after %lu packets in, %lu out\n", nf_name(g_nf),
		rc == 0 ? "stopped" : "flowmgr went away", (unsigned long)nf_rx_pkts(g_nf),
		(unsigned long)nf_tx_pkts(g_nf));
	nf_close(g_nf);
	return rc == 0 ? 0 : 1;
}
