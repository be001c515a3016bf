/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_stage.h — handing a staged burst to the next process, shared by the flowmgr worker and nfsdk.
 *
 * fm_stage_enqueue() stamps the packets' owner (fm_shm.h: consumer | QUEUED) right before the
 * burst enqueue and stamps the leftovers of a partial enqueue back to the producer, so at any time
 * an mbuf's stamp says whether it is in a ring or in some process's hands. When the consumer is
 * down (its ring is only filling because of the hold policy) a full ring must not back-pressure the
 * whole chain: the leftovers are then handed back to the caller as dropped (it frees them and
 * releases their FCB usage) and counted against the consumer — in its hold_drop_pkts under the
 * hold policy, else in its lost_pkts (they were on their way to it when it died).
 *
 * Concurrency: called by the ring's single producer only.
 */
#ifndef FM_STAGE_H
#define FM_STAGE_H

#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "fm_decl.h"
#include "fm_idle.h"
#include "fm_shm.h"

static inline struct fm_mbuf_meta *fm_mbuf_meta(struct rte_mbuf *m, int off)
{
	return RTE_MBUF_DYNFIELD(m, off, struct fm_mbuf_meta *);
}

/* Frees a packet, stamping it free first. */
static inline void fm_mbuf_free(struct rte_mbuf *m, int off)
{
	fm_mbuf_meta(m, off)->owner = FM_OWNER_FREE;
	rte_pktmbuf_free(m);
}

/*
 * Wakes consumer VNF `dest` if it sleeps (shared-core mode) after packets were published to it.
 * The fence orders the ring's tail store before the doorbell load; the sleeper orders its doorbell
 * store before its ring check the same way, so one of the two always sees the other. A syscall
 * happens only when the VNF actually sleeps.
 */
static inline void fm_doorbell_ring(struct fm_shm *shm, uint32_t dest)
{
	_Atomic uint32_t *bell = &shm->vnfs[dest].doorbell;

	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(bell, memory_order_relaxed) != 0 &&
	    atomic_exchange_explicit(bell, 0, memory_order_acq_rel) != 0)
		syscall(SYS_futex, (uint32_t *)bell, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Is consumer VNF `dest` asleep on its doorbell? Same fence as fm_doorbell_ring(). */
static inline bool fm_doorbell_asleep(struct fm_shm *shm, uint32_t dest)
{
	atomic_thread_fence(memory_order_seq_cst);
	return atomic_load_explicit(&shm->vnfs[dest].doorbell, memory_order_relaxed) != 0;
}

/*
 * After k > 0 packets were published to `dest`: wake it now (bell == NULL: no moderation), or
 * as doorbell moderation says (fm_idle.h): the producer rings a deferred wake later.
 */
static inline void fm_doorbell_publish(struct fm_shm *shm, uint32_t dest, unsigned int k,
				       struct fm_bell *bell, const struct fm_bell_conf *bc,
				       uint64_t now)
{
	if (bell == NULL) {
		fm_doorbell_ring(shm, dest);
		return;
	}
	if (fm_bell_publish(bell, bc, k, fm_doorbell_asleep(shm, dest), now) == FM_BELL_RING)
		fm_doorbell_ring(shm, dest);
}

/*
 * Enqueues up to *n staged packets to `r` (consumer node `dest`, producer node `self`). Returns
 * the number enqueued. The leftovers are moved to the front of pkts and *n updated; when `dest`
 * is down they are not kept but returned as dropped: *dropped says how many of the first *n the
 * caller must free now (fm_mbuf_free()), and *n is 0 afterwards for the stage.
 * A VNF passes its transit log (`log`, its own fm_shm_vnf), flowmgr passes NULL. `bell`, `bc`
 * and `now`: doorbell moderation of `dest` (fm_doorbell_publish(); bell NULL: wake at once).
 */
static_assert(FM_SHM_TRANSIT_MAX >= 64, "transit log holds a whole stage");

static inline unsigned int fm_stage_enqueue_mod(struct fm_shm *shm, struct rte_ring *r, int off,
						struct rte_mbuf **pkts, uint16_t *n, uint32_t dest,
						uint32_t self, struct fm_shm_vnf *log,
						unsigned int *dropped, struct fm_bell *bell,
						const struct fm_bell_conf *bc, uint64_t now)
{
	uint16_t cnt = *n;
	unsigned int k;

	if (log != NULL) {
		memcpy(log->transit_pkts, pkts, cnt * sizeof(pkts[0]));
		log->transit_to = dest;
		log->transit_head = r->prod.tail;
		atomic_store_explicit(&log->transit_n, cnt, memory_order_release);
	}
	for (uint16_t i = 0; i < cnt; i++)
		fm_mbuf_meta(pkts[i], off)->owner = (uint8_t)(dest | FM_OWNER_QUEUED);
	k = rte_ring_enqueue_burst(r, (void **)pkts, cnt, NULL);
	if (k > 0 && dest != FM_NODE_FLOWMGR)
		fm_doorbell_publish(shm, dest, k, bell, bc, now);
	*dropped = 0;
	if (k == cnt) {
		*n = 0;
		goto out;
	}
	memmove(pkts, pkts + k, (cnt - k) * sizeof(pkts[0]));
	if (dest != FM_NODE_FLOWMGR &&
	    atomic_load_explicit(&shm->vnfs[dest].state, memory_order_acquire) != FM_VNF_RUNNING) {
		struct fm_shm_vnf *v = &shm->vnfs[dest];

		for (uint16_t i = 0; i < cnt - k; i++) /* ours until the caller frees them */
			fm_mbuf_meta(pkts[i], off)->owner = (uint8_t)self;
		*dropped = cnt - k;
		if (atomic_load_explicit(&v->policy, memory_order_relaxed) == FM_FAIL_HOLD)
			atomic_fetch_add_explicit(&v->hold_drop_pkts, cnt - k,
						  memory_order_relaxed);
		else
			atomic_fetch_add_explicit(&v->lost_pkts, cnt - k, memory_order_relaxed);
		*n = 0;
		goto out;
	}
	for (uint16_t i = 0; i < cnt - k; i++)
		fm_mbuf_meta(pkts[i], off)->owner = (uint8_t)self;
	*n = (uint16_t)(cnt - k);
out:
	if (log != NULL)
		atomic_store_explicit(&log->transit_n, 0, memory_order_release);
	return k;
}

/* fm_stage_enqueue_mod() without doorbell moderation: a sleeping consumer is woken at once. */
static inline unsigned int fm_stage_enqueue(struct fm_shm *shm, struct rte_ring *r, int off,
					    struct rte_mbuf **pkts, uint16_t *n, uint32_t dest,
					    uint32_t self, struct fm_shm_vnf *log,
					    unsigned int *dropped)
{
	return fm_stage_enqueue_mod(shm, r, off, pkts, n, dest, self, log, dropped, NULL, NULL, 0);
}

#endif /* FM_STAGE_H */
