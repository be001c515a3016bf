/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_super.c — the supervisor; its contract and design are in fm_super.h.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "fm_super.h"

#include "flowmgr.h"
#include "fm_clock.h"
#include "fm_flow.h"
#include "fm_graph.h"
#include "fm_priv.h"
#include "fm_stage.h"

#define FM_RECLAIM_GRACE_MS 200

static_assert(FM_FAULT_MAX <= FM_VNF_FAULT_SLOTS, "room for every fault in fm_vnf_rt");

/* flowmgr's own copy first; the shared one is what producers read (fm_hop.h). */
static void set_state(struct flowmgr *fm, uint32_t id, uint32_t st)
{
	fm->vnf_rt[id].state = st;
	atomic_store_explicit(&fm->shm->vnfs[id].state, st, memory_order_release);
}

/* From the config, not the shared slot's copy: the VNF can write that one. */
static const char *vnf_name(const struct flowmgr *fm, uint32_t id)
{
	return fm->cfg->chain.vnfs[id - 1].name;
}

uint64_t fm_super_faults(const struct flowmgr *fm, uint32_t id, int f)
{
	uint64_t t = fm->vnf_rt[id].faults[f];

	for (unsigned int w = 0; w < fm->nb_workers; w++)
		t += atomic_load_explicit(&fm->wk[w].stats.vnf_faults[id][f], memory_order_relaxed);
	return t;
}

void fm_super_fault(struct flowmgr *fm, uint32_t id, int f)
{
	fm->vnf_rt[id].faults[f]++;
}

uint32_t fm_super_state(const struct flowmgr *fm, uint32_t id)
{
	return fm->vnf_rt[id].state;
}

static int pidfd_open(int pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

void fm_super_vnf_attached(struct flowmgr *fm, uint32_t id, int pid)
{
	struct fm_shm_vnf *v = &fm->shm->vnfs[id];
	struct fm_vnf_rt *rt = &fm->vnf_rt[id];

	if (rt->pidfd >= 0)
		close(rt->pidfd);
	rt->pidfd = pidfd_open(pid);
	rt->pid = pid;
	if (rt->pidfd < 0)
		RTE_LOG(WARNING, USER1, "flowmgr: pidfd_open(%d): %s (death seen by socket only)\n",
			pid, strerror(errno));
	rt->dead_since_ms = 0;
	rt->exited = false;
	rt->reclaimed = false;
	rt->last_progress = atomic_load(&v->progress);
	rt->progress_still_since_ms = 0;
	for (int f = 0; f < FM_FAULT_MAX; f++) /* quarantine counts what this process does */
		rt->fault_base[f] = fm_super_faults(fm, id, f);
	atomic_store_explicit(&fm->quarantined[id], false, memory_order_release);
	atomic_store_explicit(&v->pid, pid, memory_order_relaxed);
	set_state(fm, id, FM_VNF_RUNNING);
	RTE_LOG(NOTICE, USER1, "flowmgr: VNF %s attached (id %u, pid %d, generation %u)\n",
		vnf_name(fm, id), id, pid, atomic_load(&v->generation));
}

void fm_super_vnf_gone(struct flowmgr *fm, uint32_t id, const char *why)
{
	struct fm_vnf_rt *rt = &fm->vnf_rt[id];

	/* quarantined: stays so (the reason is what the operator needs), its grace already runs */
	if (rt->state == FM_VNF_DEAD || rt->state == FM_VNF_QUARANTINED)
		return;
	set_state(fm, id, FM_VNF_DEAD);
	rt->progress_still_since_ms = 0;
	rt->dead_since_ms = fm_clock_monotonic(NULL);
	RTE_LOG(WARNING, USER1, "flowmgr: VNF %s (pid %d) is dead: %s; policy %s\n",
		vnf_name(fm, id), rt->pid, why,
		fm_config_policy_name(fm->cfg->chain.vnfs[id - 1].policy));
}

static bool process_exited(struct fm_vnf_rt *rt)
{
	struct pollfd p = {.fd = rt->pidfd, .events = POLLIN};

	return rt->pidfd >= 0 && poll(&p, 1, 0) == 1;
}

static void lose(struct flowmgr *fm, uint32_t id, struct rte_mbuf **pkts, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint32_t idx = fm_meta(fm, pkts[i])->fcb;
		struct fm_flow *t = idx == FM_IDX_NONE ? NULL : fm_fcb_table(fm, idx, NULL);
		struct fm_fcb *fcb;

		/* A remote usage decrement: the worker's full sweep releases the FCB later. */
		if (t != NULL && (fcb = fm_flow_fcb(t, idx)))
			fm_fcb_usage_dec(fcb);
		fm_mbuf_free(pkts[i], fm->meta_off);
	}
	if (n > 0)
		atomic_fetch_add(&fm->shm->vnfs[id].lost_pkts, n);
}

/* Entries of a ring VNFs may have produced into: what is not an mbuf of the pool queued to `id`
 * is left alone (counted nowhere: the producer is unknown once the ring is drained). */
static void lose_checked(struct flowmgr *fm, uint32_t id, struct rte_mbuf **pkts, unsigned int n)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < n; i++)
		if (fm_mbuf_check_entry(&fm->mcheck, pkts[i], id))
			pkts[k++] = pkts[i];
	lose(fm, id, pkts, k);
}

/* Frees what is queued to dead VNF `id` (its process has exited: we are the only consumer). */
static void drain_dead(struct flowmgr *fm, uint32_t id)
{
	struct rte_mbuf *pkts[FM_BURST];

	if (atomic_load(&fm->shm->vnfs[id].policy) == FM_FAIL_HOLD)
		return;
	struct rte_ring *in[FM_SHM_MAX_NODES + FM_SHM_MAX_WORKERS];
	unsigned int nb_in = fm_graph_vnf_inputs(fm, id, in);

	for (unsigned int k = 0; k < nb_in; k++) {
		unsigned int n;

		while ((n = rte_ring_dequeue_burst(in[k], (void **)pkts, FM_BURST, NULL)) > 0)
			lose_checked(fm, id, pkts, n);
	}
}

/*
 * Repairs the rings a process died in the middle of using (all are single-producer/single-
 * consumer, and the process is gone, so nobody else touches its side). As consumer: entries it
 * reserved (cons.head) but never released (cons.tail) are freed unless already stamped as in its
 * hands (the pool walk frees those), and released. As producer: slots it reserved (prod.head) but
 * never published (prod.tail) are given back, so the next producer does not publish stale slots;
 * the packets of that enqueue are found through the VNF's transit log (recover_transit()).
 */
static void repair_rings(struct flowmgr *fm, uint32_t id)
{
	struct rte_ring *ins[FM_SHM_MAX_NODES + FM_SHM_MAX_WORKERS];
	unsigned int nb_in = fm_graph_vnf_inputs(fm, id, ins);

	for (uint32_t p = 0; p < FM_SHM_MAX_NODES + FM_SHM_MAX_WORKERS; p++) {
		struct rte_ring *in = p < nb_in ? ins[p] : NULL;
		struct rte_ring *out = p < FM_SHM_MAX_NODES ? fm->rings[id][p] : NULL;

		if (in != NULL && in->cons.head != in->cons.tail) {
			void **slots = (void **)&in[1];
			uint32_t n = in->cons.head - in->cons.tail;

			for (uint32_t i = 0; i < n; i++) {
				struct rte_mbuf *m = slots[(in->cons.tail + i) & in->mask];

				/* producers may be VNFs: entries are checked (fm_mbuf_check.h) */
				if (fm_mbuf_check_entry(&fm->mcheck, m, id))
					lose(fm, id, &m, 1);
			}
			__atomic_store_n(&in->cons.tail, in->cons.head, __ATOMIC_RELEASE);
		}
		if (out != NULL && out->prod.head != out->prod.tail)
			out->prod.head = out->prod.tail;
	}
}

/*
 * The enqueue a VNF died in (its transit log): packets past what the ring published and still
 * stamped for the consumer were never handed over; they are freed. Runs after repair_rings().
 */
static void recover_transit(struct flowmgr *fm, uint32_t id)
{
	struct fm_shm_vnf *v = &fm->shm->vnfs[id];
	uint32_t n = atomic_load_explicit(&v->transit_n, memory_order_acquire);
	uint32_t to = v->transit_to, published;
	struct rte_ring *r;

	if (n == 0 || n > FM_SHM_TRANSIT_MAX || to >= FM_SHM_MAX_NODES ||
	    (r = fm->rings[id][to]) == NULL)
		return;
	published = r->prod.tail - v->transit_head;
	for (uint32_t i = published < n ? published : n; i < n; i++) {
		struct rte_mbuf *m = (struct rte_mbuf *)(uintptr_t)v->transit_pkts[i];

		/* the log is the VNF's to write: only mbufs of the pool are looked at */
		if (fm_mbuf_check_entry(&fm->mcheck, m, to))
			lose(fm, id, &m, 1);
	}
	atomic_store(&v->transit_n, 0);
}

struct reclaim_arg {
	struct flowmgr *fm;
	uint8_t in_hand; /* the dead VNF's node id */
	uint64_t n;
};

static void reclaim_one(struct rte_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	struct reclaim_arg *a = arg;
	struct rte_mbuf *m = obj;
	uint8_t o = fm_meta(a->fm, m)->owner;

	(void)mp;
	(void)idx;
	if (o == a->in_hand) {
		uint32_t fidx = fm_meta(a->fm, m)->fcb;
		struct fm_flow *t = fidx == FM_IDX_NONE ? NULL : fm_fcb_table(a->fm, fidx, NULL);
		struct fm_fcb *fcb;

		if (t != NULL && (fcb = fm_flow_fcb(t, fidx)) != NULL)
			fm_fcb_usage_dec(fcb);
		fm_mbuf_free(m, a->fm->meta_off);
		a->n++;
	}
}

/*
 * Everything a dead VNF held goes back to the pool: half-done ring operations are repaired, its
 * input rings drained (unless hold), every mbuf still stamped as in its hands freed (a walk of
 * the whole pool), and its lcore's mempool cache flushed. Runs once per death, on the main lcore,
 * FM_RECLAIM_GRACE_MS after the death was seen, so that no producer is still inside a burst it
 * resolved before the state turned DEAD.
 */
static void reclaim(struct flowmgr *fm, uint32_t id)
{
	struct fm_shm_vnf *v = &fm->shm->vnfs[id];
	struct reclaim_arg a = {.fm = fm, .in_hand = (uint8_t)id};
	struct rte_mempool_cache *cache;

	repair_rings(fm, id); /* first: a dequeue would skip a half-done one */
	recover_transit(fm, id);
	drain_dead(fm, id);
	rte_mempool_obj_iter(fm->pool, reclaim_one, &a);
	if (a.n > 0)
		atomic_fetch_add(&v->lost_pkts, a.n);
	cache = rte_mempool_default_cache(fm->pool, FM_VNF_LCORE_BASE + id);
	if (cache != NULL)
		rte_mempool_cache_flush(cache, fm->pool);
	fm->vnf_rt[id].reclaimed = true;
	RTE_LOG(NOTICE, USER1,
		"flowmgr: VNF %s: reclaimed %lu mbufs it held; %lu packets lost to it in all\n",
		vnf_name(fm, id), (unsigned long)a.n, (unsigned long)atomic_load(&v->lost_pkts));
}

/* Called before a VNF re-attaches: its previous life must be cleaned up first. */
void fm_super_vnf_before_attach(struct flowmgr *fm, uint32_t id)
{
	struct fm_vnf_rt *rt = &fm->vnf_rt[id];

	if (atomic_load(&fm->shm->vnfs[id].generation) == 0 || rt->reclaimed)
		return;
	reclaim(fm, id);
}

/* True when VNF id's previous process is known to be gone (never attached counts as gone). */
bool fm_super_vnf_exited(struct flowmgr *fm, uint32_t id)
{
	struct fm_vnf_rt *rt = &fm->vnf_rt[id];

	if (atomic_load(&fm->shm->vnfs[id].generation) == 0 || rt->exited)
		return true;
	if (process_exited(rt)) {
		close(rt->pidfd);
		rt->pidfd = -1;
		rt->exited = true;
		return true;
	}
	return false;
}

static void check_ports_open(struct flowmgr *fm)
{
	if (!fm->wait_vnfs || fm->nb_vnfs == 0)
		return;
	for (uint32_t id = 1; id <= fm->nb_vnfs; id++)
		if (fm->vnf_rt[id].state != FM_VNF_RUNNING)
			return;
	RTE_LOG(NOTICE, USER1, "flowmgr: all %u VNFs attached, opening the ports\n", fm->nb_vnfs);
	atomic_store_explicit(&fm->ports_open, true, memory_order_release);
	fm->wait_vnfs = false; /* once: afterwards the operator opens and closes them */
}

static uint64_t queued_to(struct flowmgr *fm, uint32_t id)
{
	struct rte_ring *in[FM_SHM_MAX_NODES + FM_SHM_MAX_WORKERS];
	unsigned int n = fm_graph_vnf_inputs(fm, id, in);
	uint64_t q = 0;

	for (unsigned int k = 0; k < n; k++)
		q += rte_ring_count(in[k]);
	return q;
}

/*
 * A VNF is stalled when its input is not empty and its progress counter has not moved for
 * stall_ms; it is running again as soon as the counter moves (or its input empties).
 */
static void check_stall(struct flowmgr *fm, uint32_t id)
{
	struct fm_shm_vnf *v = &fm->shm->vnfs[id];
	struct fm_vnf_rt *rt = &fm->vnf_rt[id];
	uint32_t st = rt->state;
	uint64_t p = atomic_load_explicit(&v->progress, memory_order_relaxed);
	uint64_t now = fm_clock_monotonic(NULL);

	if (st != FM_VNF_RUNNING && st != FM_VNF_STALLED)
		return;
	if (p != rt->last_progress || queued_to(fm, id) == 0) {
		rt->last_progress = p;
		rt->progress_still_since_ms = 0;
		if (st == FM_VNF_STALLED) {
			set_state(fm, id, FM_VNF_RUNNING);
			RTE_LOG(NOTICE, USER1, "flowmgr: VNF %s resumed\n", vnf_name(fm, id));
		}
		return;
	}
	if (rt->progress_still_since_ms == 0) {
		rt->progress_still_since_ms = now;
	} else if (st == FM_VNF_RUNNING && now - rt->progress_still_since_ms >= fm->stall_ms) {
		set_state(fm, id, FM_VNF_STALLED);
		atomic_fetch_add(&v->stalls, 1);
		RTE_LOG(
		    WARNING, USER1,
		    "flowmgr: VNF %s (pid %d) stalled: %lu packets queued, no progress for %lu ms; "
		    "policy %s\n",
		    vnf_name(fm, id), fm->vnf_rt[id].pid, (unsigned long)queued_to(fm, id),
		    (unsigned long)(now - rt->progress_still_since_ms),
		    fm_config_policy_name(fm->cfg->chain.vnfs[id - 1].policy));
	}
}

/*
 * Quarantine: VNF `id` is stopped for `why`. Producers apply its policy from their next burst
 * (its state, and flowmgr's own flag that the VNF cannot clear), flowmgr drops what it still hands
 * back, and its process is killed through the pidfd of the process that registered (never a pid
 * read from its slot). Death, reclaim and restart then follow as for any death (FM_RECLAIM_GRACE_MS
 * from now); the state stays QUARANTINED, with the reason, until a process registers again.
 */
static void quarantine(struct flowmgr *fm, uint32_t id, int why)
{
	struct fm_vnf_rt *rt = &fm->vnf_rt[id];
	int rc = -1;

	rt->quarantine_reason = why;
	rt->quarantines++;
	atomic_store_explicit(&fm->quarantined[id], true, memory_order_release);
	set_state(fm, id, FM_VNF_QUARANTINED);
	rt->progress_still_since_ms = 0;
	rt->dead_since_ms = fm_clock_monotonic(NULL);
	/* fm_priv_signal: flowmgr may run as the service user with CAP_KILL raised only for this
	 * (a VNF an operator started as root); without a pidfd only while still connected (the pid
	 * is still that process) */
	if (rt->pidfd >= 0 || (rt->conn != NULL && rt->pid > 0))
		rc = fm_priv_signal(rt->pidfd, rt->pid, SIGKILL);
	RTE_LOG(WARNING, USER1,
		"flowmgr: VNF %s (pid %d) quarantined: %s (%lu since it registered)%s; policy %s\n",
		vnf_name(fm, id), rt->pid, fm_fault_names[why],
		(unsigned long)(fm_super_faults(fm, id, why) - rt->fault_base[why]),
		rc == 0 ? ", killed" : "",
		fm_config_policy_name(fm->cfg->chain.vnfs[id - 1].policy));
}

/*
 * The fields of a VNF's slot that flowmgr alone writes (state, pid, name, policy) are compared
 * with flowmgr's own copies and written back; a change while the VNF is attached counts against
 * it (any VNF can write any slot, so this blames the slot's owner: docs/security.md).
 */
static void check_slot(struct flowmgr *fm, uint32_t id)
{
	struct fm_shm_vnf *v = &fm->shm->vnfs[id];
	struct fm_vnf_rt *rt = &fm->vnf_rt[id];
	const struct fm_decl *d = &fm->cfg->chain.vnfs[id - 1];
	bool bad = false;

	if (atomic_load_explicit(&v->state, memory_order_relaxed) != rt->state) {
		atomic_store_explicit(&v->state, rt->state, memory_order_release);
		bad = true;
	}
	if (atomic_load_explicit(&v->pid, memory_order_relaxed) != rt->pid) {
		atomic_store_explicit(&v->pid, rt->pid, memory_order_relaxed);
		bad = true;
	}
	if (atomic_load_explicit(&v->policy, memory_order_relaxed) != (uint32_t)d->policy) {
		atomic_store_explicit(&v->policy, (uint32_t)d->policy, memory_order_release);
		bad = true;
	}
	if (strncmp(v->name, d->name, sizeof(v->name)) != 0) {
		snprintf(v->name, sizeof(v->name), "%s", d->name);
		bad = true;
	}
	if (bad && rt->conn != NULL)
		fm_super_fault(fm, id, FM_FAULT_SLOT);
}

/* Faults since the VNF registered against the thresholds (fm_worker.h FM_VNF_FAULTS). */
static void check_faults(struct flowmgr *fm, uint32_t id)
{
	struct fm_vnf_rt *rt = &fm->vnf_rt[id];

	if (rt->state != FM_VNF_RUNNING && rt->state != FM_VNF_STALLED)
		return;
	for (int f = 0; f < FM_FAULT_MAX; f++)
		if (fm_super_faults(fm, id, f) - rt->fault_base[f] >= fm_fault_threshold[f]) {
			quarantine(fm, id, f);
			return;
		}
}

void fm_super_tick(struct flowmgr *fm)
{
	for (uint32_t id = 1; id <= fm->nb_vnfs; id++) {
		check_slot(fm, id);
		check_faults(fm, id);
		check_stall(fm, id);
	}
	for (uint32_t id = 1; id <= fm->nb_vnfs; id++) {
		struct fm_vnf_rt *rt = &fm->vnf_rt[id];

		if (!process_exited(rt))
			continue;
		fm_super_vnf_gone(fm, id, "process exited");
		close(rt->pidfd);
		rt->pidfd = -1;
		rt->exited = true;
	}
	for (uint32_t id = 1; id <= fm->nb_vnfs; id++) {
		struct fm_vnf_rt *rt = &fm->vnf_rt[id];

		if (!rt->exited || (rt->state != FM_VNF_DEAD && rt->state != FM_VNF_QUARANTINED))
			continue;
		if (!rt->reclaimed &&
		    fm_clock_monotonic(NULL) - rt->dead_since_ms >= FM_RECLAIM_GRACE_MS)
			reclaim(fm, id);
		else if (rt->reclaimed)
			drain_dead(fm, id); /* what producers queued since (bypass races, drop) */
	}
	check_ports_open(fm);
}
