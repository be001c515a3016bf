/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flowmgr.h — the flowmgr process: the state its modules share (not what other processes share:
 * that is common/fm_shm.h).
 *
 * Threads: the main lcore runs the control plane (control socket, supervisor, launcher, stats);
 * one or more worker lcores run the datapath (fm_worker.h): port RX → classify → dispatch on the
 * ring graph, and the egress (VNF → flowmgr rings → port TX).
 *
 * Modules, each with its own contract: fm_main.c (start-up, main loop) · fm_port.h · fm_graph.h
 * (rings) · fm_classify.h (flow tables, path table, common data) · fm_worker.h (datapath) ·
 * fm_tcp.h (TCP context) · fm_ctl.h (control channel) · vnf/ (fm_vnf.h: supervision, launch,
 * scratchpad pools). fm_main.c calls the others; none calls back into it. This header holds only
 * struct flowmgr and struct fm_wctx, which every module reads, and the helpers on them.
 *
 * Concurrency: struct flowmgr is written by the main lcore during set-up, before the workers are
 * launched, and read-only afterwards, except the fields marked otherwise. Worker counters have one
 * writer (their worker) and are read by the main lcore with relaxed atomics (fm_worker.h).
 */
#ifndef FLOWMGR_H
#define FLOWMGR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "fm_chain.h"
#include "fm_config.h"
#include "fm_mbuf_check.h"
#include "fm_shm.h"
#include "fm_worker.h"
#include "vnf/fm_vnf.h"

struct fm_fcb;
struct fm_flow;
struct fm_bidir;
struct fm_tcp;
struct fm_capture;
struct fm_reasm;
struct fm_ofl_set;

#define FM_BURST      32
#define FM_ALIAS_SAME (UINT32_MAX - 1) /* alias_of: egress tuple = ingress tuple */

/* One RX queue a worker polls (fm_port.h: fm_port_queue_worker()). */
struct fm_rxq {
	uint16_t port; /* index in flowmgr.ports */
	uint16_t queue;
};

/*
 * One datapath worker lcore: its own flow table (tree, FCB pool slice, cache: the paper's
 * per-thread dynamic subtrees), its rings towards the VNFs and its release-event rings. Worker w
 * polls the RX queues fm_port_queue_worker() gives it (queue w of every port with one queue per
 * worker) and transmits on TX queue w of every port; worker 0 also serves the egress rings
 * (VNF → flowmgr).
 */
struct fm_wctx {
	struct flowmgr *fm;
	unsigned int idx;
	unsigned int lcore;
	struct fm_flow *flow; /* the table of the generation it runs (its own lcore writes it) */
	/* Live chain changes (fm_live.h): its table on each FCB bank, published by the control
	 * thread (release) before the generation that uses it; old_flow: the previous
	 * generation's table while it still has sessions (worker only); gen: the generation it
	 * runs, old_gone: the last one whose table it let go of (worker writes, release). */
	struct fm_flow *_Atomic bank[2];
	struct fm_flow *old_flow;
	uint16_t path_base, old_path_base; /* first path id of flow's and old_flow's bank */
	_Atomic uint32_t gen, old_gone;
	struct rte_ring *to_vnf[FM_SHM_MAX_NODES]; /* this worker → VNF i */
	struct rte_ring *ev[FM_SHM_MAX_NODES];	   /* release events to VNF i */
	struct rte_ring *ack[FM_SHM_MAX_NODES];	   /* their acknowledgements */
	struct fm_reasm
	    *reasm;	 /* fm_reasm.h: `fragments: reassemble` on a stream chain, else NULL */
	uint16_t nb_rxq; /* the RX queues it polls (fm_ports_init()), in port order */
	struct fm_rxq rxq[FM_SHM_MAX_PORTS * FM_MAX_QUEUES];
	struct fm_worker_stats stats;
	/* Its TCP context (fm_tcp.h; NULL without a stream path): the connections of its FCB slots,
	 * touched by this lcore only. tcp_out: worker 0 (which serves the VNF → flowmgr rings)
	 * hands it the packets of those connections leaving the chain, and their stream requests
	 * (SP/SC, flowmgr's private memory; NULL on worker 0 and without a stream path). */
	struct fm_tcp *tcp;
	struct rte_ring *tcp_out;
	_Atomic int dump_req; /* FM_DUMP_* (fm_classify.h): introspection between bursts */
	char *dump_buf;
};

/* One port of the chain config, set up by fm_ports_init() (fm_port.h). */
struct fm_port {
	uint16_t port_id;
	bool reverse; /* packets received here walk their path backwards (config `reverse`) */
	bool pci;     /* a PCI device (allow-listed with -a), else a vdev */
	bool rss;     /* RSS over its RX queues with the symmetric key (fm_port.h) */
	bool sym_rxq; /* both directions of a connection reach the same RX queue index (RSS with the
		       * symmetric key, af_packet's fanout hash): fm_tcp_init() */
	uint16_t mtu; /* L3 bytes a frame sent here may carry (reassembled packets are cut to it) */
	uint16_t nb_rxq, nb_txq;	   /* queues configured; worker w transmits on TX queue w */
	uint64_t rx_offloads, tx_offloads; /* RTE_ETH_{RX,TX}_OFFLOAD_* enabled (checksums, hash) */
	bool xdp; /* flowmgr's XDP program runs on it: frames carry its metadata (fm_xdp.h) */
	char name[FM_NAME_MAX];
};

struct flowmgr {
	struct fm_config *cfg;
	struct fm_shm *shm;
	struct rte_mempool *pool;
	/* nfctl capture (fm_ctl.c): the copies' pool and ring, the one capture running */
	struct rte_mempool *cap_pool;
	struct rte_ring *cap_ring;
	struct fm_capture *cap;
	int meta_off;		     /* mbuf dynfield offset of struct fm_mbuf_meta */
	struct fm_mbuf_check mcheck; /* the pool's layout: ring entries from VNFs are checked */
	/* Set by the supervisor when it quarantines VNF i (fm_super.h), cleared when it registers
	 * again: the workers stop taking its output and stop delivering to it. flowmgr's private
	 * memory, so the VNF cannot clear it (its shared state it can). */
	_Atomic bool quarantined[FM_SHM_MAX_NODES];
	uint8_t
	    path_sole_vnf[FM_SHM_MAX_PATHS]; /* the path's only VNF node id, 0: none or several */
	uint32_t usage_max; /* an FCB usage above this is garbage: more than the mbufs that exist */
	uint16_t nb_ports;
	/* flowmgr's own copies of what it publishes in fm_shm (which VNFs can write): every loop
	 * bound and index check uses these */
	uint32_t nb_vnfs, fcb_slots, fcb_per_worker;
	struct fm_port ports[FM_SHM_MAX_PORTS];
	struct rte_ring *rings[FM_SHM_MAX_NODES][FM_SHM_MAX_NODES];
	unsigned int nb_workers;
	struct fm_wctx wk[FM_SHM_MAX_WORKERS];
	bool adaptive_idle; /* sleep a little when idle (shared cores) */
	bool wait_vnfs;	    /* ports still closed until every VNF is attached */
	bool launch;	    /* flowmgr starts and restarts the VNFs that name an exec */
	uint32_t stall_ms;  /* a VNF with queued input and no progress for this long is stalled */
	char file_prefix[64];
	uid_t vnf_uid; /* the service user (fm_priv.h): the control socket admits it and root */
	_Atomic bool stop;
	_Atomic bool ports_open;		   /* worker polls ports only once this is set */
	struct fm_vnf_rt vnf_rt[FM_SHM_MAX_NODES]; /* vnf/ wing, main lcore only */
	uint64_t start_ms;
	struct ctl_server *ctl;
	struct fm_tree *tree;	    /* worker 0's tree: paths, layout (static parts) */
	struct fm_bidir *bidir;	    /* common data of both directions (shared memzone) */
	_Atomic uint32_t *bidir_of; /* per FCB slot: its common-data record, FM_IDX_NONE */
	uint8_t path_bidir[FM_SHM_MAX_PATHS]; /* a VNF on the path wants both directions linked */
	/* a VNF on the path rewrites the tuple: at its first packet's egress the session's common
	 * record gets an alias under the egress tuple (fm_bidir_alias()) */
	uint8_t path_alias[FM_SHM_MAX_PATHS];
	_Atomic uint32_t *alias_of; /* per FCB slot: its alias record, FM_IDX_NONE, FM_ALIAS_SAME */
	uint16_t path_rev[FM_SHM_MAX_PATHS]; /* path id walked backwards (ports with `reverse`) */
	uint32_t
	    nb_paths; /* path ids 0..nb_paths-1 exist (fm_shm.nb_paths, kept out of VNFs' reach) */
	uint8_t path_tcp[FM_SHM_MAX_PATHS]; /* a VNF on the path is in_order/resize: TCP context */
	uint8_t path_ack_direct[FM_SHM_MAX_PATHS]; /* every one is: pure ACKs skip them */
	bool stream; /* such a path exists: every worker has its TCP context (fm_wctx.tcp) */
	/* fragments and hidden transports (fm_frag.h): the chain's policy applies (a stream chain:
	 * fm->stream set); reasm_flag marks reassembled mbufs (fm_reasm.h), 0 when nothing
	 * reassembles
	 */
	bool frag_guard;
	uint64_t reasm_flag;
	int dump_vnf;		       /* flows: only through this VNF index (-1: all) */
	struct fm_filter *dump_filter; /* flows: only sessions matching (NULL: all) */
	uint32_t dump_max;	       /* flows: at most this many lines */
	uint32_t dump_active_ms;       /* top: only sessions used this recently (0: all) */
	/* rte_flow offload (fm_offload_flow.h): the rules and their state per port; the workers
	 * read its mark table only. NULL before init. */
	struct fm_ofl_set *ofl;
	bool offload_off;    /* flowmgr --no-offload */
	bool xdp_verify;     /* flowmgr --xdp-verify: classify in full, compare with the metadata */
	uint32_t xdp_groups; /* session groups: a metadata group below this is taken (fm_xdp.h) */
	/* Live chain changes (fm_live.h; cfg->live_area != 0): FCB slots per bank (bank 1 follows
	 * bank 0 in the zone; 0: one bank), the FCB object size every generation shares, the
	 * generation the control thread published (release; workers adopt it between bursts) */
	uint32_t bank_slots;
	size_t fcb_obj_size;
	uint32_t live_area0; /* area bytes of the chain flowmgr started with */
	_Atomic uint32_t gen;
	struct fm_chain *bank_chain[2]; /* the chain each bank's tables were built from */
};

/* VNF ids 1..n exist (n grows when a VNF is spliced in live; its rings exist before). */
static inline uint32_t fm_nb_vnfs(const struct flowmgr *fm)
{
	return __atomic_load_n(&fm->nb_vnfs, __ATOMIC_ACQUIRE);
}

/* Bank of a generation: generation g's tables are on bank (g - 1) & 1. */
#define FM_LIVE_BANK(g)	  (((g)-1u) & 1u)
#define FM_LIVE_PATH_HALF (FM_SHM_MAX_PATHS / 2) /* bank b's paths start at b * this */

static inline struct fm_mbuf_meta *fm_meta(const struct flowmgr *fm, struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, fm->meta_off, struct fm_mbuf_meta *);
}

/* The worker owning FCB slot `idx`. */
static inline struct fm_wctx *fm_fcb_owner(struct flowmgr *fm, uint32_t idx)
{
	uint32_t w;

	if (fm->bank_slots != 0 && idx >= fm->bank_slots)
		idx -= fm->bank_slots; /* bank 1 (live chain changes) */
	w = fm->fcb_per_worker ? idx / fm->fcb_per_worker : 0;
	return w < fm->nb_workers ? &fm->wk[w] : NULL;
}

/* The flow table holding FCB slot `idx` (its owner's table on the slot's bank), or NULL. */
static inline struct fm_flow *fm_fcb_table(struct flowmgr *fm, uint32_t idx, struct fm_wctx **owner)
{
	unsigned int b = fm->bank_slots != 0 && idx >= fm->bank_slots;
	struct fm_wctx *o = idx < fm->fcb_slots ? fm_fcb_owner(fm, idx) : NULL;

	if (owner != NULL)
		*owner = o;
	return o == NULL ? NULL : atomic_load_explicit(&o->bank[b], memory_order_acquire);
}

#endif /* FLOWMGR_H */
