/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nf_session.c — sessions on the VNF side: scratchpads, per-session batches, release events.
 *
 * Scratchpad of packet m: its FCB is slot meta->fcb of the shared FCB zone (layout of
 * common/fm_fcb.h: a 32-byte slot header, then struct fm_fcb); this VNF's area is at
 * fcb->area_off + shm area_off. In direct mode the area is the scratchpad. In indirect (isolated)
 * mode the area holds a slot index into this VNF's own pool — a memfd flowmgr passed at
 * registration and that no other VNF maps — allocated here on first use and freed on release.
 *
 * Release events arrive on the ring flowmgr → this VNF (FCB slot indices); the handler runs, the
 * indirect slot is freed, and the index is acknowledged on the ring back; flowmgr reuses the FCB
 * only after every VNF of its path acknowledged.
 *
 * Concurrency: the VNF's datapath thread only. The FCB usage count is decremented with a C11
 * atomic (fm_fcb_usage_dec(), common/fm_fcb.h) when this VNF drops a packet.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_memzone.h>
#include <rte_ring.h>

#include "fm_bidir_layout.h"
#include "fm_decl.h"
#include "fm_fcb.h"
#include "nf_int.h"

int nf_session_attach(struct nf_ctx *nf, int pool_fd)
{
	const struct fm_shm_vnf *v = nf->self;
	const struct rte_memzone *mz = rte_memzone_lookup(FM_SHM_FCB_ZONE);
	char name[RTE_RING_NAMESIZE];

	nf->area_off = v->area_off;
	nf->area_size = v->area_size;
	nf->indirect = v->isolation == FM_ISO_INDIRECT;
	nf->indep = v->isolation == FM_ISO_INDEPENDENT;
	if (nf->indep && nf_indep_init(nf) < 0)
		return -ENOMEM;
	if (mz != NULL && nf->shm->fcb_stride > 0) {
		nf->fcb_region = mz->addr;
		nf->fcb_stride = nf->shm->fcb_stride;
		nf->fcb_slots = nf->shm->fcb_slots;
	}
	mz = rte_memzone_lookup(FM_SHM_BIDIR_ZONE);
	if (mz != NULL && v->common_off != FM_IDX_NONE &&
	    fm_bidir_lookup_region(mz->addr, &nf->bidir) == 0)
		nf->bidir_of =
		    (const _Atomic uint32_t *)((uint8_t *)mz->addr + nf->shm->bidir_of_off);
	nf->nb_workers = nf->shm->nb_workers ? nf->shm->nb_workers : 1;
	for (unsigned int w = 0; w < nf->nb_workers && w < FM_SHM_MAX_WORKERS; w++) {
		if (w == 0)
			snprintf(name, sizeof(name), FM_SHM_EVENT_FMT, nf->id);
		else
			snprintf(name, sizeof(name), FM_SHM_WEVENT_FMT, nf->id, w);
		nf->ev[w] = rte_ring_lookup(name);
		if (w == 0)
			snprintf(name, sizeof(name), FM_SHM_ACK_FMT, nf->id);
		else
			snprintf(name, sizeof(name), FM_SHM_WACK_FMT, nf->id, w);
		nf->ack[w] = rte_ring_lookup(name);
	}
	if (!nf->indirect || nf->area_off == FM_IDX_NONE)
		return 0;
	if (pool_fd < 0) {
		fprintf(stderr, "nfsdk[%s]: isolated VNF but flowmgr passed no scratchpad pool\n",
			nf->name);
		return -EPROTO;
	}
	{
		struct fm_shm_pool_hdr h;

		if (pread(pool_fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
		    h.magic != FM_POOL_MAGIC)
			return -EPROTO;
		nf->pool_len = fm_shm_pool_size(h.slot_size, h.nb_slots, NULL);
	}
	nf->spool = mmap(NULL, nf->pool_len, PROT_READ | PROT_WRITE, MAP_SHARED, pool_fd, 0);
	if (nf->spool == MAP_FAILED) {
		nf->spool = NULL;
		return -errno;
	}
	return 0;
}

void nf_session_detach(struct nf_ctx *nf)
{
	if (nf->spool != NULL)
		munmap(nf->spool, nf->pool_len);
	nf->spool = NULL;
	if (nf->indep)
		nf_indep_uninit(nf);
}

static struct fm_fcb *fcb_at(const struct nf_ctx *nf, uint32_t idx)
{
	if (nf->fcb_region == NULL || idx >= nf->fcb_slots)
		return NULL;
	return fm_fcb_pool_obj_at(nf->fcb_region, nf->fcb_stride, idx);
}

static void *pool_slot(struct nf_ctx *nf, uint32_t slot)
{
	return (uint8_t *)nf->spool + nf->spool->slots_off + (uint64_t)slot * nf->spool->slot_size;
}

static uint32_t *pool_links(struct nf_ctx *nf)
{
	return (uint32_t *)((uint8_t *)nf->spool + 64);
}

static uint32_t pool_alloc(struct nf_ctx *nf)
{
	struct fm_shm_pool_hdr *p = nf->spool;
	uint32_t s;

	if (p->free_head != FM_IDX_NONE) {
		s = p->free_head;
		p->free_head = pool_links(nf)[s];
	} else if (p->carved < p->nb_slots) {
		s = p->carved++;
	} else {
		return FM_IDX_NONE;
	}
	p->in_use++;
	memset(pool_slot(nf, s), 0, p->slot_size);
	return s;
}

static void pool_free(struct nf_ctx *nf, uint32_t s)
{
	struct fm_shm_pool_hdr *p = nf->spool;

	if (s >= p->carved)
		return;
	pool_links(nf)[s] = p->free_head;
	p->free_head = s;
	p->in_use--;
}

void *nf_scratch_of(struct nf_ctx *nf, uint32_t idx, bool create)
{
	struct fm_fcb *fcb;
	uint8_t *area;
	uint32_t *slot;

	if (idx == FM_IDX_NONE || nf->area_off == FM_IDX_NONE || (fcb = fcb_at(nf, idx)) == NULL)
		return NULL;
	area = fm_fcb_area(fcb, nf->area_off);
	if (!nf->indirect)
		return area;
	slot = (uint32_t *)area;
	if (*slot == FM_IDX_NONE) {
		if (!create)
			return NULL;
		*slot = pool_alloc(nf);
		if (*slot == FM_IDX_NONE) {
			nf->scratch_exhausted++;
			return NULL;
		}
	}
	return *slot < nf->spool->nb_slots ? pool_slot(nf, *slot) : NULL;
}

uint32_t nf_scratchpad_size(const struct nf_ctx *nf)
{
	if (nf->indep)
		return nf->decl_scratchpad;
	if (nf->area_off == FM_IDX_NONE)
		return 0;
	if (nf->indirect) /* the FCB holds a slot index; the pool's slots are the scratchpads */
		return nf->spool != NULL ? nf->spool->slot_size : 0;
	return nf->area_size;
}

void *nf_scratchpad(struct nf_ctx *nf, struct rte_mbuf *m)
{
	return nf_scratch_of(nf, nf_meta(nf, m)->fcb, true);
}

void *nf_common(struct nf_ctx *nf, struct rte_mbuf *m)
{
	uint32_t idx = nf_meta(nf, m)->fcb, rec;

	if (nf->indep)
		return nf_indep_common(nf, m);
	if (nf->bidir_of == NULL || idx == FM_IDX_NONE || idx >= nf->fcb_slots)
		return NULL;
	rec = atomic_load_explicit(&nf->bidir_of[idx], memory_order_acquire);
	return rec == FM_IDX_NONE ? NULL
				  : (uint8_t *)fm_bidir_data(nf->bidir, rec) + nf->self->common_off;
}

void nf_fcb_put(struct nf_ctx *nf, uint32_t idx)
{
	struct fm_fcb *fcb = idx == FM_IDX_NONE ? NULL : fcb_at(nf, idx);

	if (fcb != NULL)
		fm_fcb_usage_dec(fcb);
}

static void flush_acks(struct nf_ctx *nf, unsigned int w)
{
	unsigned int k, n = nf->nb_ack_pending[w];

	if (n == 0)
		return;
	k = rte_ring_enqueue_burst(nf->ack[w], nf->ack_pending[w], n, NULL);
	memmove(nf->ack_pending[w], nf->ack_pending[w] + k, (n - k) * sizeof(void *));
	nf->nb_ack_pending[w] = n - k;
}

/* Release events of worker w: run the handler, free an isolated slot, acknowledge to w. */
static void events_of(struct nf_ctx *nf, unsigned int w, const struct nf_ops *ops, void *arg)
{
	void *ev[NF_BURST];
	unsigned int n;

	if (nf->ev[w] == NULL || nf->ack[w] == NULL)
		return;
	flush_acks(nf, w);
	if (nf->nb_ack_pending[w] > 0)
		return; /* flowmgr is not draining acks: keep events queued */
	n = rte_ring_dequeue_burst(nf->ev[w], ev, NF_BURST, NULL);
	for (unsigned int i = 0; i < n; i++) {
		uint32_t idx = (uint32_t)(uintptr_t)ev[i];
		void *scratch = nf_scratch_of(nf, idx, false);
		struct fm_fcb *fcb;

		if (ops->on_release != NULL && scratch != NULL)
			ops->on_release(nf, arg, scratch);
		if (nf->indirect && scratch != NULL && (fcb = fcb_at(nf, idx)) != NULL) {
			uint32_t *slot = fm_fcb_area(fcb, nf->area_off);

			pool_free(nf, *slot);
			*slot = FM_IDX_NONE;
		}
		nf->releases++;
		nf->ack_pending[w][nf->nb_ack_pending[w]++] = ev[i];
	}
	flush_acks(nf, w);
}

void nf_events_poll(struct nf_ctx *nf, const struct nf_ops *ops, void *arg)
{
	for (unsigned int w = 0; w < nf->nb_workers && w < FM_SHM_MAX_WORKERS; w++)
		events_of(nf, w, ops, arg);
}

/*
 * Calls on_session once per session of the burst, each with its packets in arrival order. A
 * burst has at most 32 packets, so grouping is a simple scan; verdicts are mapped back.
 */
void nf_dispatch_sessions(struct nf_ctx *nf, const struct nf_ops *ops, void *arg,
			  struct rte_mbuf **pkts, uint16_t n, uint8_t *verdicts)
{
	struct rte_mbuf *group[NF_BURST];
	uint8_t gverd[NF_BURST], idx[NF_BURST];
	uint32_t fcb[NF_BURST];
	uint32_t done = 0; /* bitmap of handled packets */

	if (nf->indep)
		nf_indep_classify(nf, pkts, n, fcb);
	else
		for (uint16_t i = 0; i < n; i++)
			fcb[i] = nf_meta(nf, pkts[i])->fcb;
	for (uint16_t i = 0; i < n; i++) {
		uint16_t g = 0;

		if (done & (1u << i))
			continue;
		for (uint16_t j = i; j < n; j++) {
			if ((done & (1u << j)) || fcb[j] != fcb[i])
				continue;
			done |= 1u << j;
			idx[g] = (uint8_t)j;
			group[g] = pkts[j];
			gverd[g++] = NF_FORWARD;
		}
		ops->on_session(nf, arg,
				nf->indep ? nf_indep_scratch(nf, fcb[i])
					  : nf_scratch_of(nf, fcb[i], true),
				group, g, gverd);
		for (uint16_t k = 0; k < g; k++)
			verdicts[idx[k]] = gverd[k];
	}
}
