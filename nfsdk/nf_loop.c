/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nf_loop.c — nf_run(): receive → handler → forward along the path.
 *
 * Each iteration dequeues up to one burst from the VNF's input rings (round robin), runs the
 * handler, resolves each forwarded packet's next hop (fm_hop.h) and stages it per destination;
 * the stages are flushed with one burst enqueue per ring. A full destination ring is back-pressure:
 * nothing new is dequeued until the stages drain, so nothing is dropped inside the chain.
 *
 * Liveness: self->progress bumps every iteration (flowmgr's stall detector reads it); every
 * NF_CHECK_MS the control socket is checked for hang-up, which means flowmgr is gone.
 * Idle: unless --poll, after NF_IDLE_SPINS empty polls the VNF sleeps on its doorbell (futex in
 * shared memory) until a producer wakes it, so idle VNFs cost no CPU on shared cores.
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
#include "fm_hop.h"
#include "fm_stage.h"
#include "nf_int.h"

#define NF_CHECK_MS	 100
#define NF_IDLE_SPINS	 256
#define NF_SLEEP_MS	 50
#define NF_STOP_FLUSH_MS 200
#define NF_STAGE_WAIT_MS 100

static void flush(struct nf_ctx *nf);

/*
 * A full stage (possible only when held packets are released: a burst alone never fills one)
 * is flushed until it has room; after NF_STAGE_WAIT_MS without room the packet is dropped.
 */
static bool stage_room(struct nf_ctx *nf, struct nf_stage *s)
{
	uint64_t end = 0;

	while (s->n >= NF_STAGE_CAP) {
		flush(nf);
		if (s->n < NF_STAGE_CAP)
			break;
		if (end == 0)
			end = rte_rdtsc() + rte_get_tsc_hz() / 1000 * NF_STAGE_WAIT_MS;
		else if (rte_rdtsc() > end || nf->stop)
			return false;
		rte_pause();
	}
	return true;
}

static inline void stage_put(struct nf_ctx *nf, uint32_t dest, struct rte_mbuf *m)
{
	struct nf_stage *s = &nf->stage[dest];

	if (unlikely(s->n >= NF_STAGE_CAP) && !stage_room(nf, s)) {
		nf->drop++;
		nf_fcb_put(nf, nf_meta(nf, m)->fcb);
		fm_mbuf_free(m, nf->meta_off);
		return;
	}
	s->pkts[s->n++] = m;
	nf->staged++;
}

static void forward(struct nf_ctx *nf, struct rte_mbuf *m)
{
	struct fm_mbuf_meta *meta = nf_meta(nf, m);
	uint32_t dest;

	meta->hop++;
	dest = fm_hop_resolve(nf->shm, meta);
	if (dest == FM_HOP_TO_DROP) {
		const struct fm_shm_path *p = &nf->shm->paths[meta->path];

		/* Counted by fm_hop_resolve in a VNF that is down, or here: the chain's drop edge
		 * after this VNF. */
		if (meta->hop >= p->nb_hops && (p->flags & FM_PATH_DROP_END))
			nf->drop++;
		nf_fcb_put(nf, meta->fcb);
		fm_mbuf_free(m, nf->meta_off);
		return;
	}
	if (nf->out[dest] == NULL) {
		nf->drop++;
		nf_fcb_put(nf, meta->fcb);
		fm_mbuf_free(m, nf->meta_off);
		return;
	}
	stage_put(nf, dest, m);
}

void nf_forward_pkt(struct nf_ctx *nf, struct rte_mbuf *m)
{
	forward(nf, m);
}

/* A stream request (nf_stream.c) to flowmgr's egress. */
void nf_stage_flowmgr(struct nf_ctx *nf, struct rte_mbuf *m)
{
	stage_put(nf, FM_NODE_FLOWMGR, m);
}

/* NF_TO_PORT verdict: straight to flowmgr's egress, out of `port`. */
static void to_port(struct nf_ctx *nf, struct rte_mbuf *m, uint16_t port)
{
	struct fm_mbuf_meta *meta = nf_meta(nf, m);

	if (port >= nf->shm->nb_ports || nf->out[FM_NODE_FLOWMGR] == NULL) {
		nf->drop++;
		nf_fcb_put(nf, meta->fcb);
		fm_mbuf_free(m, nf->meta_off);
		return;
	}
	meta->out_port = port;
	stage_put(nf, FM_NODE_FLOWMGR, m);
}

static void flush(struct nf_ctx *nf)
{
	for (uint32_t d = 0; d < FM_SHM_MAX_NODES && nf->staged > 0; d++) {
		struct nf_stage *s = &nf->stage[d];
		uint16_t before = s->n;
		unsigned int k, dropped;

		if (s->n == 0)
			continue;
		k = fm_stage_enqueue(nf->shm, nf->out[d], nf->meta_off, s->pkts, &s->n, d, nf->id,
				     nf->self, &dropped);
		nf->staged -= (uint32_t)(before - s->n);
		nf->tx += k;
		for (unsigned int i = 0; i < dropped;
		     i++) { /* its consumer is down: counted there */
			nf_fcb_put(nf, nf_meta(nf, s->pkts[i])->fcb);
			fm_mbuf_free(s->pkts[i], nf->meta_off);
		}
	}
}

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
	return n;
}

static void publish(struct nf_ctx *nf)
{
	struct fm_shm_vnf *v = nf->self;

	atomic_store_explicit(&v->rx_pkts, nf->rx, memory_order_relaxed);
	atomic_store_explicit(&v->tx_pkts, nf->tx, memory_order_relaxed);
	atomic_store_explicit(&v->drop_pkts, nf->drop, memory_order_relaxed);
	atomic_fetch_add_explicit(&v->progress, 1, memory_order_relaxed);
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

	atomic_store_explicit(bell, 1, memory_order_seq_cst);
	if (!input_pending(nf) && !nf->stop)
		syscall(SYS_futex, (uint32_t *)bell, FUTEX_WAIT, 1, &ts, NULL, 0);
	atomic_store_explicit(bell, 0, memory_order_relaxed);
	nf->sleeps++;
}

/* An operator command in the mailbox (fm_shm_vnf.cmd): run the handler, post the reply. */
static void serve_command(struct nf_ctx *nf, const struct nf_ops *ops, void *arg)
{
	struct fm_shm_vnf *v = nf->self;
	uint32_t seq = atomic_load_explicit(&v->cmd_seq, memory_order_acquire);
	char cmd[FM_SHM_CMD_MAX];

	if (seq == atomic_load_explicit(&v->cmd_ack, memory_order_relaxed))
		return;
	memcpy(cmd, v->cmd, sizeof(cmd));
	cmd[sizeof(cmd) - 1] = '\0';
	v->cmd_reply[0] = '\0';
	if (ops->on_command == NULL) {
		snprintf(v->cmd_reply, sizeof(v->cmd_reply), "%s takes no commands", nf->name);
		v->cmd_rc = -ENOTSUP;
	} else {
		v->cmd_rc = ops->on_command(nf, arg, cmd, v->cmd_reply, sizeof(v->cmd_reply));
		v->cmd_reply[sizeof(v->cmd_reply) - 1] = '\0';
	}
	atomic_store_explicit(&v->cmd_ack, seq, memory_order_release);
}

/* On stop: give staged packets a short while to drain, then free them as drops. */
static void finish(struct nf_ctx *nf)
{
	uint64_t end = rte_rdtsc() + rte_get_tsc_hz() / 1000 * NF_STOP_FLUSH_MS;

	nf_stream_drop_all(nf);
	while (nf->staged > 0 && rte_rdtsc() < end)
		flush(nf);
	for (uint32_t d = 0; d < FM_SHM_MAX_NODES; d++) {
		nf->drop += nf->stage[d].n;
		for (uint16_t i = 0; i < nf->stage[d].n; i++)
			fm_mbuf_free(nf->stage[d].pkts[i], nf->meta_off);
		nf->stage[d].n = 0;
	}
	nf->staged = 0;
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

/* SIGTERM/SIGINT stop the loop (unless the VNF handles them itself); SIGUSR1 asks for a report. */
static void install_signals(const struct nf_ops *ops)
{
	static const int stops[] = {SIGTERM, SIGINT};

	for (unsigned int i = 0; i < 2; i++) {
		struct sigaction cur;

		if (sigaction(stops[i], NULL, &cur) == 0 && cur.sa_handler == SIG_DFL)
			signal(stops[i], on_stop_signal);
	}
	if (ops->on_report != NULL)
		signal(SIGUSR1, on_report_signal);
}

int nf_run(struct nf_ctx *nf, const struct nf_ops *ops, void *arg)
{
	uint64_t check_every = rte_get_tsc_hz() / 1000 * NF_CHECK_MS;
	uint64_t next_check = rte_rdtsc() + check_every;
	struct rte_mbuf *pkts[NF_BURST];
	uint8_t verdicts[NF_BURST];
	unsigned int rr = 0, idle = 0;
	int rc = 0;

	g_running = nf;
	nf->run_ops = ops;
	nf->run_arg = arg;
	install_signals(ops);
	while (!nf->stop) {
		if (g_report && ops->on_report != NULL) {
			g_report = 0;
			ops->on_report(nf, arg);
		}
		uint16_t n = 0;

		serve_command(nf, ops, arg);
		nf_events_poll(nf, ops, arg);
		nf_stream_upkeep(nf);
		if (nf->staged > 0)
			flush(nf);
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
				if (NF_IS_TO_PORT(verdicts[i])) {
					to_port(nf, pkts[i], verdicts[i] & 0x7f);
				} else if (verdicts[i] == NF_DROP) {
					nf->drop++;
					nf_fcb_put(nf, nf_meta(nf, pkts[i])->fcb);
					fm_mbuf_free(pkts[i], nf->meta_off);
				} else {
					forward(nf, pkts[i]);
				}
			}
			nf_stream_burst_done(nf);
			flush(nf);
			idle = 0;
		} else if (nf->staged == 0) {
			if (ops->on_idle != NULL)
				ops->on_idle(nf, arg);
			if (++idle > NF_IDLE_SPINS && !nf->poll)
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
	g_running = NULL;
	return rc;
}

struct rte_mbuf *nf_pkt_alloc(struct nf_ctx *nf)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(nf->pool);
	struct fm_mbuf_meta *meta;

	if (m == NULL)
		return NULL;
	meta = nf_meta(nf, m);
	memset(meta, 0, sizeof(*meta));
	meta->fcb = FM_IDX_NONE;
	meta->owner = (uint8_t)nf->id;
	meta->rx_tsc = (uint32_t)rte_rdtsc();
	return m;
}

void nf_pkt_free(struct nf_ctx *nf, struct rte_mbuf *m)
{
	fm_mbuf_free(m, nf->meta_off);
}

int nf_send(struct nf_ctx *nf, struct rte_mbuf *m, uint16_t port)
{
	if (nf->stage[FM_NODE_FLOWMGR].n >= NF_STAGE_CAP) {
		fm_mbuf_free(m, nf->meta_off);
		return -ENOBUFS;
	}
	to_port(nf, m, port);
	return 0;
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
