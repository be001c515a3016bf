/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_mbuf_check.h — is a pointer a VNF handed flowmgr one of the platform's mbufs?
 *
 * What: every ring flowmgr dequeues from a VNF (VNF → flowmgr egress, and what the supervisor
 * drains or recovers after a death) holds whatever pointer values that process enqueued, and a
 * VNF process can enqueue anything. Before flowmgr dereferences an entry it asks
 * fm_mbuf_check_entry(): the address must be an element of the packet mempool and the mbuf header
 * must be plausible. An entry that fails is never dereferenced further and never freed (it is not
 * an mbuf, or it is one flowmgr cannot prove is free to take): the caller counts it against the
 * producing VNF (fm_worker.h FM_VNF_FAULTS) and the supervisor quarantines that VNF.
 *
 * Design: the mempool's objects are laid out at a fixed stride inside memory chunks, in runs that
 * end where an object would cross a page (one run per hugepage: ~40 for 32 K mbufs on 2 MB pages).
 * At start-up fm_mbuf_check_init() walks the pool (rte_mempool_obj_iter) and records each run of
 * objects `stride` apart as a range [first, last], sorted by address; the check is then a binary
 * search over the ranges and arithmetic on the address (a multiple of the stride from the run's
 * first object) — no syscall, ~log2(runs) compares per entry, so it runs on every entry of every
 * burst. Only then
 * is the header read: m->pool, the buffer address and length the pool gave it, one segment,
 * data offset and length inside the buffer, and the ownership stamp (fm_shm.h) that the producer
 * must have set to "queued to flowmgr". The caller stamps an accepted mbuf as flowmgr's right
 * away, so the same mbuf enqueued twice in one burst (or again while flowmgr still holds it) fails
 * the stamp check the second time.
 *
 * What this cannot check: an mbuf the VNF was never given, or one another process still holds,
 * whose stamp the VNF rewrote to "queued to flowmgr" — the stamp and the whole pool live in shared
 * hugepages every VNF can write. flowmgr then transmits a packet another process also holds; the
 * pool can be corrupted (a double free). Stopping that needs per-VNF mbuf pools or a per-process
 * ownership table flowmgr alone writes (docs/security.md, "Hostile VNFs").
 *
 * Concurrency: init on the main lcore before the workers start; the check reads only the
 * immutable struct and the entry itself, from any lcore.
 */
#ifndef FM_MBUF_CHECK_H
#define FM_MBUF_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "fm_shm.h"

struct fm_mbuf_range {
	uintptr_t first, last; /* addresses of the first and last object of a run */
};

struct fm_mbuf_check {
	const struct rte_mempool *mp;
	uintptr_t stride;	 /* bytes between two objects of one run */
	uintptr_t buf_off;	 /* buf_addr - mbuf address (header + private area) */
	uint16_t buf_len;	 /* the pool's data room */
	int meta_off;		 /* fm_mbuf_meta dynfield */
	unsigned int nb;	 /* runs */
	struct fm_mbuf_range *r; /* nb runs, sorted by address (malloc'ed) */
};

/**
 * Records the layout of packet pool `mp` (mbufs with fm_mbuf_meta at `meta_off`).
 * @return 0, -ENOMEM, -EINVAL.
 */
int fm_mbuf_check_init(struct fm_mbuf_check *c, const struct rte_mempool *mp, int meta_off);
/** Frees what init allocated. */
void fm_mbuf_check_uninit(struct fm_mbuf_check *c);

/** Is `p` the address of an object of the pool (no dereference)? */
static inline bool fm_mbuf_check_is_obj(const struct fm_mbuf_check *c, const void *p)
{
	uintptr_t a = (uintptr_t)p;
	unsigned int lo = 0, hi = c->nb;

	while (lo < hi) { /* the last run whose first object is at or below a */
		unsigned int mid = lo + (hi - lo) / 2;

		if (c->r[mid].first <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && a <= c->r[lo - 1].last && (a - c->r[lo - 1].first) % c->stride == 0;
}

/** Is the header of pool object `m` one the pool made, of a one-segment packet? */
static inline bool fm_mbuf_check_header(const struct fm_mbuf_check *c, const struct rte_mbuf *m)
{
	return m->pool == c->mp && (uintptr_t)m->buf_addr == (uintptr_t)m + c->buf_off &&
	       m->buf_len == c->buf_len && m->nb_segs == 1 && m->next == NULL &&
	       (uint32_t)m->data_off + m->data_len <= m->buf_len && m->pkt_len == m->data_len;
}

/**
 * A ring entry from a VNF, for flowmgr to take: an object of the pool with a plausible header
 * whose stamp says "queued to node `to`" (fm_shm.h). The caller stamps an accepted one as its own.
 */
static inline bool fm_mbuf_check_entry(const struct fm_mbuf_check *c, const void *p, uint32_t to)
{
	const struct rte_mbuf *m = p;

	return fm_mbuf_check_is_obj(c, p) && fm_mbuf_check_header(c, m) &&
	       RTE_MBUF_DYNFIELD(m, c->meta_off, const struct fm_mbuf_meta *)->owner ==
		   (uint8_t)(to | FM_OWNER_QUEUED);
}

#endif /* FM_MBUF_CHECK_H */
