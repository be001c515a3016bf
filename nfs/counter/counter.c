/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * counter — a per-session packet and byte counter (the smallest stateful VNF).
 *
 * Its scratchpad holds the session's counters; on release it adds them to its totals. SIGUSR1
 * writes a report (live sessions' counters in its pool, and the released totals) to the file
 * given with --report, which tests and operators read. Declares `ip` / 5tuple / 24 bytes; the
 * chain config may override the class, session, timeout and isolation.
 *
 *	counter [nfsdk options] -- [--report FILE]
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>

#include "nfsdk/nf.h"

struct cnt_session {
	uint64_t pkts;
	uint64_t bytes;
	uint64_t first_seen_pkt; /* this VNF's rx count when the session began (0 = new) */
};

struct cnt_state {
	uint64_t released_sessions, released_pkts, released_bytes;
	const char *report;
};

static struct nf_ctx *g_nf;
static volatile sig_atomic_t g_report;

static void write_report(struct cnt_state *st);

static void on_session(struct nf_ctx *nf, void *arg, void *scratch, struct rte_mbuf **pkts,
		       uint16_t n, uint8_t *verdicts)
{
	struct cnt_session *s = scratch;

	(void)verdicts;
	if (g_report) {
		g_report = 0;
		write_report(arg);
	}
	if (s == NULL)
		return; /* no session on this path */
	if (s->pkts == 0)
		s->first_seen_pkt = nf_rx_pkts(nf);
	for (uint16_t i = 0; i < n; i++) {
		s->pkts++;
		s->bytes += rte_pktmbuf_pkt_len(pkts[i]);
	}
}

static void on_release(struct nf_ctx *nf, void *arg, void *scratch)
{
	struct cnt_state *st = arg;
	const struct cnt_session *s = scratch;

	(void)nf;
	st->released_sessions++;
	st->released_pkts += s->pkts;
	st->released_bytes += s->bytes;
}

static void write_report(struct cnt_state *st)
{
	FILE *f = fopen(st->report, "w");

	if (f == NULL)
		return;
	fprintf(f, "released_sessions %lu\nreleased_pkts %lu\nreleased_bytes %lu\nrx %lu\n",
		(unsigned long)st->released_sessions, (unsigned long)st->released_pkts,
		(unsigned long)st->released_bytes, (unsigned long)nf_rx_pkts(g_nf));
	fclose(f);
}

static void on_idle(struct nf_ctx *nf, void *arg)
{
	(void)nf;
	if (g_report) {
		g_report = 0;
		write_report(arg);
	}
}

static void on_signal(int sig)
{
	if (sig == SIGUSR1) {
		g_report = 1;
		return;
	}
	if (g_nf != NULL)
		nf_stop(g_nf);
}

int main(int argc, char **argv)
{
	static const struct nf_decl decl = {
	    .name = "counter",
	    .traffic_class = "ip",
	    .session = "5tuple",
	    .scratchpad = sizeof(struct cnt_session),
	    .timeout_ms = 30000,
	};
	static const struct nf_ops ops = {
	    .on_session = on_session,
	    .on_release = on_release,
	    .on_idle = on_idle,
	};
	struct cnt_state st = {.report = "/dev/null"};
	char **args;
	int nargs, rc;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);
	if (nf_init(argc, argv, &decl, &g_nf, &nargs, &args) < 0)
		return 1;
	for (int i = 0; i < nargs; i++)
		if (strcmp(args[i], "--report") == 0 && i + 1 < nargs)
			st.report = args[++i];
	rc = nf_run(g_nf, &ops, &st);
	write_report(&st);
	nf_close(g_nf);
	return rc == 0 ? 0 : 1;
}
