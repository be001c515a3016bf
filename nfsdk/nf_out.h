/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nf_out.h — nfsdk's output module (private): where a packet goes once nfsdk is done with it.
 *
 * What: per-destination stages (one per consumer node), their flush to the rings, the next hop
 * along the packet's path, NF_TO_PORT, the VNF's own packets (alloc/free/send) and the drops, each
 * counted by reason. Both the verdict loop (nf_loop.c) and the stream layer (nf_stream.c) hand
 * packets here, so neither calls into the other for output.
 *
 * Contract: the VNF's datapath thread only; no allocation, no log. Every function that does not
 * stage a packet frees it (with its FCB usage) and counts the drop under its reason.
 */
#ifndef NF_OUT_H
#define NF_OUT_H

#include "nf_int.h"

/* Stages `m` towards the next hop of its path (drops it under the path's drop edge or policy). */
void nf_out_forward(struct nf_ctx *nf, struct rte_mbuf *m);
/* Stages `m` straight to flowmgr's egress, out of `port` (the NF_TO_PORT verdict). */
void nf_out_to_port(struct nf_ctx *nf, struct rte_mbuf *m, uint16_t port);
/* Stages a stream request (nf_stream.c) to flowmgr. */
void nf_out_to_flowmgr(struct nf_ctx *nf, struct rte_mbuf *m);
/* Frees `m` and its FCB usage, counted as a drop for `why`. */
void nf_out_drop(struct nf_ctx *nf, struct rte_mbuf *m, enum nf_drop_reason why);
/* One burst enqueue per destination with staged packets. */
void nf_out_flush(struct nf_ctx *nf);
/* Wakes the sleeping consumers whose wake nf_out_flush() deferred (the input batch ended). */
void nf_out_wake(struct nf_ctx *nf);
/* On stop: gives the stages up to `ms` to drain, then drops what is left (NF_DROP_STOPPED). */
void nf_out_finish(struct nf_ctx *nf, unsigned int ms);

#endif /* NF_OUT_H */
