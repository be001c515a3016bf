/* SPDX-License-Identifier: BSD-3-Clause */
/* nf_int.h — nfsdk internals shared by nf_attach.c and nf_loop.c. */
#ifndef NF_INT_H
#define NF_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "fm_shm.h"
#include "nfsdk/nf.h"

#define NF_BURST     32
#define NF_STAGE_CAP (NF_BURST * 2)

struct nf_stage {
	uint16_t n;
	struct rte_mbuf *pkts[NF_STAGE_CAP];
};

struct nf_ctx {
	char name[FM_SHM_NAME_MAX];
	char socket[108];
	char file_prefix[64];
	char cpus[128];
	bool poll;
	bool eal_up;
	struct ctl_client *ctl;
	uint32_t id;
	struct fm_shm *shm;
	struct fm_shm_vnf *self;
	struct rte_mempool *pool;
	int meta_off;
	unsigned int nb_in;
	struct rte_ring *in[FM_SHM_MAX_NODES];
	struct rte_ring *out[FM_SHM_MAX_NODES]; /* by consumer node id; [0] = flowmgr */
	volatile sig_atomic_t stop;
	uint32_t staged;
	struct nf_stage stage[FM_SHM_MAX_NODES];
	uint64_t rx, tx, drop;
	uint64_t sleeps;
};

static inline struct fm_mbuf_meta *nf_meta(const struct nf_ctx *nf, struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, nf->meta_off, struct fm_mbuf_meta *);
}

#endif /* NF_INT_H */
