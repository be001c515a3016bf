/* SPDX-License-Identifier: BSD-3-Clause */
/* nf_int.h — nfsdk internals shared by its modules (attach, loop, output, sessions, streams). */
#ifndef NF_INT_H
#define NF_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "fm_idle.h"
#include "fm_shm.h"
#include "nf_registry.h"
#include "nfsdk/nf.h"

#define NF_BURST     32
#define NF_STAGE_CAP (NF_BURST * 2)

/*
 * Why nfsdk dropped a packet (datapath: counted in nf_ctx.drops, published with the counter
 * registry as "nfsdk_drop_<name>", their sum as fm_shm_vnf.drop_pkts).
 */
#define NF_DROP_REASONS(X)                                                                         \
	X(VERDICT, "verdict")		/* the handler's NF_DROP */                                \
	X(PATH_END, "path_end")		/* the chain's drop edge after this VNF */                 \
	X(NO_RING, "no_ring")		/* no ring to the next hop */                              \
	X(BAD_PORT, "bad_port")		/* NF_TO_PORT / nf_send to a port flowmgr does not have */ \
	X(STAGE_FULL, "stage_full")	/* its stage stayed full for NF_STAGE_WAIT_MS */           \
	X(STREAM_CLOSE, "stream_close") /* held by the stream layer, then nf_stream_close() */     \
	X(STOPPED, "stopped")		/* staged or held when the loop stopped */

enum nf_drop_reason {
#define NF_DROP_ENUM(e, s) NF_DROP_##e,
	NF_DROP_REASONS(NF_DROP_ENUM)
#undef NF_DROP_ENUM
	    NF_DROP_MAX
};

struct nf_stage {
	uint16_t n;
	struct rte_mbuf *pkts[NF_STAGE_CAP];
};

struct nf_ctx {
	char name[FM_SHM_NAME_MAX];
	char socket[108];
	/* live chain changes: where to splice this VNF in when it is not in the chain config */
	char after[32], before[32];
	bool splice;
	uint32_t edge_gen; /* fm_shm.edge_gen its rings were looked up at */
	char file_prefix[64];
	char cpus[128];
	bool poll;
	bool eal_up;
	struct ctl_client *ctl;
	uint32_t id;
	struct fm_shm *shm;
	struct fm_shm_vnf *self;
	struct rte_mempool *pool;
	/* nfctl capture (nf_capture.c): flowmgr's pool and ring for the copies, and the flags
	 * (FM_CAP_IN/OUT) as read at the start of this loop iteration */
	struct rte_mempool *cap_pool;
	struct rte_ring *cap_ring;
	uint32_t cap;
	int meta_off;
	unsigned int nb_in;
	struct rte_ring *in[FM_SHM_MAX_NODES + FM_SHM_MAX_WORKERS];
	struct rte_ring *out[FM_SHM_MAX_NODES]; /* by consumer node id; [0] = flowmgr */
	volatile sig_atomic_t stop;
	uint32_t staged;
	struct nf_stage stage[FM_SHM_MAX_NODES];
	uint64_t rx, tx;
	uint64_t drops[NF_DROP_MAX];
	uint64_t sleeps;
	uint64_t progress; /* published to self->progress (this process is its only writer) */
	/* Cheap hops (common/fm_idle.h): bursts' inter-arrival estimate, spin-then-sleep, and the
	 * deferred wakes of sleeping consumers, rung when this VNF's input batch ends */
	struct fm_gap gap;
	struct fm_spin_conf spin;
	struct fm_bell_conf bell_conf;
	struct fm_bell bell[FM_SHM_MAX_NODES];
	/* Sessions (nf_session.c). */
	uint8_t *fcb_region; /* FM_SHM_FCB_ZONE, NULL when flowmgr keeps no FCBs */
	uint64_t fcb_stride;
	uint32_t fcb_slots;
	uint32_t area_off; /* FM_IDX_NONE: this VNF has no area */
	uint32_t area_size;
	bool indirect;
	int pool_fd;		       /* received at registration, until mapped */
	struct fm_shm_pool_hdr *spool; /* indirect: the mapped memfd pool */
	uint64_t pool_len;
	unsigned int nb_workers;			 /* flowmgr's datapath workers */
	struct rte_ring *ev[FM_SHM_MAX_WORKERS];	 /* release events from worker w */
	struct rte_ring *ack[FM_SHM_MAX_WORKERS];	 /* acks to worker w */
	void *ack_pending[FM_SHM_MAX_WORKERS][NF_BURST]; /* FCB slot indices, as ring entries */
	unsigned int nb_ack_pending[FM_SHM_MAX_WORKERS];
	uint64_t releases, scratch_exhausted;
	struct fm_bidir *bidir;		  /* common data, NULL when no VNF asked for it */
	const _Atomic uint32_t *bidir_of; /* per FCB slot: its common record */
	/* isolation: independent (nf_indep.c): own flow tables */
	bool indep;
	uint32_t decl_scratchpad; /* the VNF's declared scratchpad size */
	uint32_t decl_flags;	  /* NF_FLAG_* it declared (holding needs NF_FLAG_MAY_STALL) */
	struct rte_hash *indep_sessions, *indep_common;
	uint8_t *indep_scratch, *indep_common_data;
	/* stream API (nf_stream.c): the hold store, allocated at the first stream call */
	struct nf_hold_store *hold;
	const struct nf_ops *run_ops; /* what nf_run() serves, for on_stream_end */
	void *run_arg;
	/* counter registry (nf_counters.c) */
	struct nf_registry reg;
	const char *report; /* --report FILE: the registry in "name value" lines, NULL: none */
};

int nf_session_attach(struct nf_ctx *nf, int pool_fd);
/* nf_capture.c: copies pkts[0..n) for a running capture of this VNF (dir FM_CAP_IN or _OUT). */
void nf_capture(struct nf_ctx *nf, struct rte_mbuf *const *pkts, unsigned int n, uint32_t dir);
void nf_session_detach(struct nf_ctx *nf);
void *nf_scratch_of(struct nf_ctx *nf, uint32_t fcb, bool create);
void nf_fcb_put(struct nf_ctx *nf, uint32_t fcb);
int nf_indep_init(struct nf_ctx *nf);
void nf_indep_uninit(struct nf_ctx *nf);
void nf_indep_classify(struct nf_ctx *nf, struct rte_mbuf **pkts, uint16_t n, uint32_t *slot);
void *nf_indep_scratch(struct nf_ctx *nf, uint32_t slot);
void *nf_indep_common(struct nf_ctx *nf, struct rte_mbuf *m);
void nf_events_poll(struct nf_ctx *nf, const struct nf_ops *ops, void *arg);
void nf_dispatch_sessions(struct nf_ctx *nf, const struct nf_ops *ops, void *arg,
			  struct rte_mbuf **pkts, uint16_t n, uint8_t *verdicts);

/* nf_counters.c: the registry in this VNF's shared slot, and the --report file. */
void nf_counters_attach(struct nf_ctx *nf);
int nf_counters_take_report(struct nf_ctx *nf, int argc, char **argv);
void nf_counters_publish(struct nf_ctx *nf);
void nf_counters_write_report(struct nf_ctx *nf);
/* nf_stream.c: the verdict loop's side of holding. */
bool nf_stream_is_held(struct nf_ctx *nf, struct rte_mbuf *m);
void nf_stream_before(struct nf_ctx *nf, struct rte_mbuf *m);
void nf_stream_burst_done(struct nf_ctx *nf);
void nf_stream_upkeep(struct nf_ctx *nf);
void nf_stream_drop_all(struct nf_ctx *nf);
void nf_stream_free_store(struct nf_ctx *nf);

static inline struct fm_mbuf_meta *nf_meta(const struct nf_ctx *nf, struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, nf->meta_off, struct fm_mbuf_meta *);
}

/* Live chain changes: look up the rings flowmgr added since nf->edge_gen (fm_shm.edge_gen). */
void nf_rings_rescan(struct nf_ctx *nf);

#endif /* NF_INT_H */
