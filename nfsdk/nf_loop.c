/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nf_loop.c — nf_run(): receive → handler → forward along the path.
 *
 * Each iteration dequeues up to one burst from the VNF's input rings (round robin), runs the
 * handler and hands each packet to the output module (nf_out.h) by its verdict: next hop, port or
 * drop; the stages are flushed with one burst enqueue per ring. A full destination ring is
 * back-pressure: nothing new is dequeued until the stages drain, so nothing is dropped inside the
 * chain. Every iteration ends by publishing the counters (fm_shm_vnf, the registry).
 *
 * Liveness: self->progress bumps every iteration (flowmgr's stall detector reads it); every
 * NF_CHECK_MS the control socket is checked for hang-up, which means flowmgr is gone.
 * Idle: unless --poll, the VNF spins after its last burst only while the next one is expected
 * soon (common/fm_idle.h: twice the measured inter-arrival time when that is at most
 * NF_SPIN_MAX_US, else NF_SPIN_MIN_US), then sleeps on its doorbell (futex in shared memory)
 * until a producer wakes it, so idle VNFs cost no CPU on shared cores.
 * Hops: when its input batch ends (a receive got less than a burst), it wakes the sleeping
 * consumers it handed packets to (nf_out_wake()): one wake-up per batch, not per burst.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_ring_peek.h>

#include "ctl_client.h"
#include "fm_mbox.h"
#include "nf_out.h"

#define NF_CHECK_MS	 100
#define NF_SPIN_MIN_US	 2  /* the tail of a batch still in flight */
#define NF_SPIN_MAX_US	 20 /* about what a futex sleep and wake-up cost in CPU */
#define NF_SLEEP_MS	 50
#define NF_STOP_FLUSH_MS 200

static uint16_t receive(struct nf_ctx *nf, struct rte_mbuf **pkts, unsigned int *rr)
{
	uint16_t n = 0;

	/* Two-phase dequeue: the packets are stamped ours before the ring releases them, so a
	 * death at any point leaves each one either in the ring's reserved range or stamped ours.
	 */
	for (unsigned int k = 0; k < nf->nb_in && n < NF_BURST; k++) {
		struct rte_ring *r = nf->in[(*rr + k) % nf->nb_in];
		unsigned int got;

		got = rte_ring_dequeue_burst_start(r, (void **)pkts + n, NF_BURST - n, NULL);
		for (unsigned int i = 0; i < got; i++)
			nf_meta(nf, pkts[n + i])->owner = (uint8_t)nf->id;
		rte_ring_dequeue_finish(r, got);
		n = (uint16_t)(n + got);
	}
	if (nf->nb_in > 0)
		*rr = (*rr + 1) % nf->nb_in;
	nf->cap = atomic_load_explicit(&nf->self->cap_flags, memory_order_relaxed);
	if (unlikely(nf->cap & FM_CAP_IN) && n > 0)
		nf_capture(nf, pkts, n, FM_CAP_IN);
	return n;
}

static void publish(struct nf_ctx *nf)
{
	struct fm_shm_vnf *v = nf->self;

	uint64_t drop = 0;

	for (unsigned int i = 0; i < NF_DROP_MAX; i++)
		drop += nf->drops[i];
	atomic_store_explicit(&v->rx_pkts, nf->rx, memory_order_relaxed);
	atomic_store_explicit(&v->tx_pkts, nf->tx, memory_order_relaxed);
	atomic_store_explicit(&v->drop_pkts, drop, memory_order_relaxed);
	nf_counters_publish(nf);
	/* one writer: a store, not a locked add on a line flowmgr reads */
	atomic_store_explicit(&v->progress, ++nf->progress, memory_order_relaxed);
}

static bool input_pending(const struct nf_ctx *nf)
{
	if (atomic_load_explicit(&nf->self->cmd_seq, memory_order_acquire) !=
	    atomic_load_explicit(&nf->self->cmd_ack, memory_order_relaxed))
		return true;
	for (unsigned int w = 0; w < nf->nb_workers && w < FM_SHM_MAX_WORKERS; w++)
		if (nf->ev[w] != NULL && !rte_ring_empty(nf->ev[w]))
			return true;
	for (unsigned int k = 0; k < nf->nb_in; k++)
		if (!rte_ring_empty(nf->in[k]))
			return true;
	return false;
}

/*
 * Shared-core sleep: ring the doorbell "asleep", check the inputs once more (a producer that
 * published before seeing the doorbell would not wake us), then sleep on it until a producer
 * clears it or NF_SLEEP_MS passes (the periodic checks still run).
 */
static void sleep_until_work(struct nf_ctx *nf)
{
	_Atomic uint32_t *bell = &nf->self->doorbell;
	struct timespec ts = {.tv_sec = 0, .tv_nsec = NF_SLEEP_MS * 1000000L};

	nf_out_wake(nf); /* the consumers of what we handed on must not wait for us */
	atomic_store_explicit(bell, 1, memory_order_seq_cst);
	if (!input_pending(nf) && !nf->stop)
		syscall(SYS_futex, (uint32_t *)bell, FUTEX_WAIT, 1, &ts, NULL, 0);
	atomic_store_explicit(bell, 0, memory_order_relaxed);
	nf->sleeps++;
}

/* An operator command in the mailbox (fm_mbox.h): run the handler on a copy, post the reply. */
static void serve_command(struct nf_ctx *nf, const struct nf_ops *ops, void *arg)
{
	char cmd[FM_SHM_CMD_MAX], reply[FM_SHM_REPLY_MAX];
	uint32_t seq;
	int rc;

	if (!fm_mbox_take(nf->self, cmd, &seq))
		return;
	reply[0] = '\0';
	if (ops->on_command == NULL) {
		snprintf(reply, sizeof(reply), "%s takes no commands", nf->name);
		rc = -ENOTSUP;
	} else {
		rc = ops->on_command(nf, arg, cmd, reply, sizeof(reply));
		reply[sizeof(reply) - 1] = '\0';
	}
	fm_mbox_answer(nf->self, seq, rc, reply);
}

/* On stop: what the stream layer holds is dropped, the stages get a short while to drain. */
static void finish(struct nf_ctx *nf)
{
	nf_stream_drop_all(nf);
	nf_out_finish(nf, NF_STOP_FLUSH_MS);
	publish(nf);
}

static struct nf_ctx *g_running; /* the context nf_run() serves, for signal handlers */
static volatile sig_atomic_t g_report;

static void on_stop_signal(int sig)
{
	(void)sig;
	if (g_running != NULL)
		nf_stop(g_running);
}

static void on_report_signal(int sig)
{
	(void)sig;
	g_report = 1;
}

/*
 * SIGTERM/SIGINT stop the loop (unless the VNF handles them itself); SIGUSR1 asks for a report
 * when there is one to write (on_report, or --report unless the VNF took SIGUSR1 for itself).
 */
static void install_signals(const struct nf_ctx *nf, const struct nf_ops *ops)
{
	static const int stops[] = {SIGTERM, SIGINT};
	struct sigaction cur;

	for (unsigned int i = 0; i < 2; i++) {
		if (sigaction(stops[i], NULL, &cur) == 0 && cur.sa_handler == SIG_DFL)
			signal(stops[i], on_stop_signal);
	}
	if (ops->on_report != NULL || (nf->report != NULL && sigaction(SIGUSR1, NULL, &cur) == 0 &&
				       cur.sa_handler == SIG_DFL))
		signal(SIGUSR1, on_report_signal);
}

/* Between two bursts, after SIGUSR1: the registry to --report, then the VNF's own report. */
static void serve_report(struct nf_ctx *nf, const struct nf_ops *ops, void *arg)
{
	if (!g_report)
		return;
	g_report = 0;
	nf_counters_write_report(nf);
	if (ops->on_report != NULL)
		ops->on_report(nf, arg);
}

int nf_run(struct nf_ctx *nf, const struct nf_ops *ops, void *arg)
{
	uint64_t check_every = rte_get_tsc_hz() / 1000 * NF_CHECK_MS;
	uint64_t next_check = rte_rdtsc() + check_every;
	struct rte_mbuf *pkts[NF_BURST];
	uint8_t verdicts[NF_BURST];
	uint64_t us = rte_get_tsc_hz() / 1000000;
	unsigned int rr = 0;
	int rc = 0;

	nf->spin.spin_min = NF_SPIN_MIN_US * us;
	nf->spin.spin_max = NF_SPIN_MAX_US * us;
	nf->bell_conf.n = NF_BURST;
	nf->bell_conf.t = UINT64_MAX; /* no timer: the end of the input batch wakes (nf_out_wake) */
	nf->progress =
	    atomic_load_explicit(&nf->self->progress, memory_order_relaxed); /* restart */
	g_running = nf;
	nf->run_ops = ops;
	nf->run_arg = arg;
	install_signals(nf, ops);
	while (!nf->stop) {
		uint16_t n = 0;

		serve_report(nf, ops, arg);
		serve_command(nf, ops, arg);
		if (atomic_load_explicit(&nf->shm->edge_gen, memory_order_relaxed) != nf->edge_gen)
			nf_rings_rescan(nf); /* a VNF was spliced in (live chain change) */
		nf_events_poll(nf, ops, arg);
		nf_stream_upkeep(nf);
		if (nf->staged > 0)
			nf_out_flush(nf);
		if (nf->staged == 0)
			n = receive(nf, pkts, &rr);
		if (n > 0) {
			for (uint16_t i = 0; i < n; i++)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
			nf->rx += n;
			memset(verdicts, NF_FORWARD, n);
			if (ops->on_session != NULL)
				nf_dispatch_sessions(nf, ops, arg, pkts, n, verdicts);
			else if (ops->on_burst != NULL)
				ops->on_burst(nf, arg, pkts, n, verdicts);
			for (uint16_t i = 0; i < n; i++) {
				if (nf->hold != NULL) { /* stream API: released before, or held */
					nf_stream_before(nf, pkts[i]);
					if (nf_stream_is_held(nf, pkts[i]))
						continue;
				}
				if (NF_IS_TO_PORT(verdicts[i]))
					nf_out_to_port(nf, pkts[i], verdicts[i] & 0x7f);
				else if (verdicts[i] == NF_DROP)
					nf_out_drop(nf, pkts[i], NF_DROP_VERDICT);
				else
					nf_out_forward(nf, pkts[i]);
			}
			nf_stream_burst_done(nf);
			nf_out_flush(nf);
			fm_gap_note(&nf->gap, rte_rdtsc(), nf->spin.spin_max * 8);
			if (n < NF_BURST) /* the input batch ended: wake its consumers once */
				nf_out_wake(nf);
		} else if (nf->staged == 0) {
			nf_out_wake(nf);
			if (ops->on_idle != NULL)
				ops->on_idle(nf, arg);
			if (!nf->poll && fm_idle_should_sleep(&nf->gap, &nf->spin, rte_rdtsc()))
				sleep_until_work(nf);
			else
				rte_pause();
		}
		publish(nf);
		if (rte_rdtsc() > next_check) {
			next_check = rte_rdtsc() + check_every;
			if (ctl_peer_closed(ctl_client_fd(nf->ctl))) {
				rc = -ENOTCONN;
				break;
			}
		}
	}
	finish(nf);
	nf_counters_write_report(nf);
	g_running = NULL;
	return rc;
}

uint16_t nf_in_port(const struct nf_ctx *nf, struct rte_mbuf *m)
{
	return nf_meta(nf, m)->in_port;
}

uint16_t nf_out_port(const struct nf_ctx *nf, struct rte_mbuf *m)
{
	return nf_meta(nf, m)->out_port;
}

void nf_stop(struct nf_ctx *nf)
{
	nf->stop = 1;
}
