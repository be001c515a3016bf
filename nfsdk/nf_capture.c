/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nf_capture.c — nfctl capture, the VNF's side (flowmgr/fm_capture.h): while flowmgr sets this
 * VNF's cap_flags, each packet it receives (nf_loop.c) or emits (nf_out.c) is copied into the
 * capture pool, stamped, and put on the capture ring for flowmgr. Copies are at most one segment
 * (the pool's data room); what the pool or ring cannot take is counted in cap_dropped. Runs only
 * while a capture of this VNF runs: the datapath's only cost otherwise is the flag, read once per
 * loop iteration (receive()).
 */
#include <time.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "nf_int.h"

void nf_capture(struct nf_ctx *nf, struct rte_mbuf *const *pkts, unsigned int n, uint32_t dir)
{
	struct rte_mbuf *copies[NF_BURST];
	struct timespec ts;
	unsigned int k = 0, done, lost = 0;
	uint32_t room;
	uint64_t ns;

	if (unlikely(nf->cap_pool == NULL || nf->cap_ring == NULL))
		return;
	room = (uint32_t)rte_pktmbuf_data_room_size(nf->cap_pool) - RTE_PKTMBUF_HEADROOM;
	clock_gettime(CLOCK_REALTIME, &ts); /* vDSO: no system call */
	ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	for (unsigned int i = 0; i < n && k < NF_BURST; i++) {
		uint32_t len = rte_pktmbuf_pkt_len(pkts[i]);
		struct rte_mbuf *c =
		    rte_pktmbuf_copy(pkts[i], nf->cap_pool, 0, len < room ? len : room);
		struct fm_cap_hdr *h;

		if (c == NULL) {
			lost++;
			continue;
		}
		h = rte_mbuf_to_priv(c);
		h->ts_ns = ns;
		h->dir = dir;
		h->vnf = nf->id;
		h->orig_len = len;
		h->pad = 0;
		copies[k++] = c;
	}
	done = k > 0 ? rte_ring_enqueue_burst(nf->cap_ring, (void **)copies, k, NULL) : 0;
	for (unsigned int i = done; i < k; i++)
		rte_pktmbuf_free(copies[i]);
	lost += k - done;
	if (lost > 0)
		atomic_fetch_add_explicit(&nf->self->cap_dropped, lost, memory_order_relaxed);
}
