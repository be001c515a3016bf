/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nf_out.c — the output module (nf_out.h): stages per destination, their flush, the next hop,
 * NF_TO_PORT, the VNF's own packets, and drops counted per reason (NF_DROP_REASONS).
 *
 * A stage holds up to NF_STAGE_CAP packets for one consumer node; nf_out_flush() empties each with
 * one burst enqueue (fm_stage_enqueue: ownership stamps, transit record, doorbell). A burst alone
 * never fills a stage; packets released by the stream layer can, and then the stage is flushed
 * until it has room, for at most NF_STAGE_WAIT_MS (back-pressure), after which the packet is
 * dropped (NF_DROP_STAGE_FULL).
 *
 * Doorbell moderation (common/fm_idle.h): a flush to a consumer asleep on its doorbell wakes it
 * once NF_BURST packets are pending for it; below that the wake waits for nf_out_wake(), which
 * nf_run() calls when its input batch ends, so the consumer is woken once for the whole batch.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "fm_hop.h"
#include "fm_stage.h"
#include "nf_out.h"

#define NF_STAGE_WAIT_MS 100

static void free_pkt(struct nf_ctx *nf, struct rte_mbuf *m)
{
	nf_fcb_put(nf, nf_meta(nf, m)->fcb);
	fm_mbuf_free(m, nf->meta_off);
}

void nf_out_drop(struct nf_ctx *nf, struct rte_mbuf *m, enum nf_drop_reason why)
{
	nf->drops[why]++;
	free_pkt(nf, m);
}

/* Flushes a full stage until it has room; false after NF_STAGE_WAIT_MS (or on stop). */
static bool stage_room(struct nf_ctx *nf, struct nf_stage *s)
{
	uint64_t end = 0;

	while (s->n >= NF_STAGE_CAP) {
		nf_out_flush(nf);
		nf_out_wake(nf); /* the consumer may sleep on fewer than NF_BURST pending */
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
		nf_out_drop(nf, m, NF_DROP_STAGE_FULL);
		return;
	}
	if (unlikely(nf->cap & FM_CAP_OUT))
		nf_capture(nf, &m, 1, FM_CAP_OUT);
	s->pkts[s->n++] = m;
	nf->staged++;
}

void nf_out_forward(struct nf_ctx *nf, struct rte_mbuf *m)
{
	struct fm_mbuf_meta *meta = nf_meta(nf, m);
	uint32_t dest;

	meta->hop++;
	dest = fm_hop_resolve(nf->shm, meta);
	if (dest == FM_HOP_TO_DROP) {
		const struct fm_shm_path *p =
		    meta->path < FM_SHM_MAX_PATHS ? &nf->shm->paths[meta->path] : NULL;

		/* Counted by fm_hop_resolve in a VNF that is down, or here: the chain's drop edge
		 * after this VNF (a path id out of range, written by a VNF before: just freed). */
		if (p != NULL && meta->hop >= p->nb_hops && (p->flags & FM_PATH_DROP_END))
			nf_out_drop(nf, m, NF_DROP_PATH_END);
		else
			free_pkt(nf, m);
		return;
	}
	if (nf->out[dest] == NULL) {
		nf_out_drop(nf, m, NF_DROP_NO_RING);
		return;
	}
	stage_put(nf, dest, m);
}

void nf_out_to_flowmgr(struct nf_ctx *nf, struct rte_mbuf *m)
{
	stage_put(nf, FM_NODE_FLOWMGR, m);
}

void nf_out_to_port(struct nf_ctx *nf, struct rte_mbuf *m, uint16_t port)
{
	if (port >= nf->shm->nb_ports || nf->out[FM_NODE_FLOWMGR] == NULL) {
		nf_out_drop(nf, m, NF_DROP_BAD_PORT);
		return;
	}
	nf_meta(nf, m)->out_port = port;
	stage_put(nf, FM_NODE_FLOWMGR, m);
}

void nf_out_flush(struct nf_ctx *nf)
{
	uint64_t now = nf->staged > 0 ? rte_rdtsc() : 0;

	for (uint32_t d = 0; d < FM_SHM_MAX_NODES && nf->staged > 0; d++) {
		struct nf_stage *s = &nf->stage[d];
		uint16_t before = s->n;
		unsigned int k, dropped;

		if (s->n == 0)
			continue;
		k = fm_stage_enqueue_mod(nf->shm, nf->out[d], nf->meta_off, s->pkts, &s->n, d,
					 nf->id, nf->self, &dropped, &nf->bell[d], &nf->bell_conf,
					 now);
		nf->staged -= (uint32_t)(before - s->n);
		nf->tx += k;
		for (unsigned int i = 0; i < dropped; i++) /* its consumer is down: counted there */
			free_pkt(nf, s->pkts[i]);
	}
}

void nf_out_wake(struct nf_ctx *nf)
{
	for (uint32_t d = 1; d < FM_SHM_MAX_NODES; d++)
		if (fm_bell_flush(&nf->bell[d]))
			fm_doorbell_ring(nf->shm, d);
}

void nf_out_finish(struct nf_ctx *nf, unsigned int ms)
{
	uint64_t end = rte_rdtsc() + rte_get_tsc_hz() / 1000 * ms;

	while (nf->staged > 0 && rte_rdtsc() < end) {
		nf_out_flush(nf);
		nf_out_wake(nf);
	}
	nf_out_wake(nf);
	for (uint32_t d = 0; d < FM_SHM_MAX_NODES; d++) {
		nf->drops[NF_DROP_STOPPED] += nf->stage[d].n;
		for (uint16_t i = 0; i < nf->stage[d].n; i++)
			fm_mbuf_free(nf->stage[d].pkts[i], nf->meta_off);
		nf->stage[d].n = 0;
	}
	nf->staged = 0;
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
	nf_out_to_port(nf, m, port);
	return 0;
}
