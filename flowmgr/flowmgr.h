/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flowmgr.h — the flowmgr process: state shared by its modules (not by other processes: that is
 * common/fm_shm.h).
 *
 * Threads: the main lcore runs the control plane (control socket, supervisor, stats); one worker
 * lcore runs the datapath (fm_worker.c): port RX → classify → dispatch on the ring graph, and the
 * egress (VNF → flowmgr rings → port TX).
 *
 * Concurrency: struct flowmgr is written by the main lcore during set-up, before the worker is
 * launched, and read-only afterwards, except the fields marked otherwise. Worker counters have one
 * writer (the worker) and are read by the main lcore with relaxed atomics.
 */
#ifndef FLOWMGR_H
#define FLOWMGR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "fm_config.h"
#include "fm_field.h"
#include "fm_shm.h"

#define FM_CLS_FIELDS FM_F_COUNT

struct fm_fcb;
struct fm_flow;
struct fm_bidir;
struct fm_tcp;

#define FM_BURST	    32
#define FM_ALIAS_SAME	    (UINT32_MAX - 1) /* alias_of: egress tuple = ingress tuple */
#define FM_LAT_BUCKETS	    32
#define FM_FLOW_CNT_MAX_PUB 32

/* Drop reasons counted by the worker (X-macro: enum + names). */
#define FM_DROP_REASONS(X)                                                                         \
	X(MALFORMED, "malformed") /* headers truncated or inconsistent */                          \
	X(NO_FCB, "no_fcb")	  /* session FCB could not be allocated */                         \
	X(EARLY, "early_drop")	  /* no path accepts the packet's class */                         \
	X(POLICY, "vnf_down")	  /* next VNF down with the drop policy */                         \
	X(NO_RING, "no_ring")	  /* path needs an edge the ring graph lacks */                    \
	X(TX_FULL, "tx_full")	  /* port kept refusing the packet */                              \
	X(LOST, "vnf_lost")	  /* queued to a VNF that died */                                  \
	X(TCP, "tcp")		  /* TCP context: duplicate, queue full, back-pressure (tcp_*) */

enum fm_drop_reason {
#define FM_X_ENUM(e, s) FM_DROP_##e,
	FM_DROP_REASONS(FM_X_ENUM)
#undef FM_X_ENUM
	    FM_DROP_MAX
};

extern const char *const fm_drop_names[FM_DROP_MAX];

struct fm_worker_stats {
	alignas(64) _Atomic uint64_t rx_pkts;
	_Atomic uint64_t tx_pkts;
	_Atomic uint64_t to_vnf_pkts;
	_Atomic uint64_t from_vnf_pkts;
	_Atomic uint64_t drops[FM_DROP_MAX];
	_Atomic uint64_t release_ev_full;   /* release events a VNF's event ring could not take */
	_Atomic uint64_t bidir_created;	    /* common-data records created (first direction) */
	_Atomic uint64_t bidir_linked;	    /* second directions linked to an existing record */
	_Atomic uint64_t bidir_full;	    /* no record free */
	_Atomic uint64_t bidir_aliases;	    /* rewritten sessions linked by their egress tuple */
	_Atomic uint64_t bidir_alias_clash; /* egress tuple already a live session's: not linked */
	/* Flow table counters (fm_flow.h), published by the worker every FM_FLOW_PUBLISH polls. */
	_Atomic uint64_t flow_cnt[FM_FLOW_CNT_MAX_PUB];
	_Atomic uint64_t sessions, pool_in_use, pool_draining, pending;
	/* Port RX to port TX latency, log2 buckets: [2^i, 2^(i+1)) ns. */
	_Atomic uint64_t lat_hist[FM_LAT_BUCKETS];
};

/*
 * One datapath worker lcore: its own flow table (tree, FCB pool slice, cache: the paper's
 * per-thread dynamic subtrees), its rings towards the VNFs and its release-event rings. Worker w
 * polls the ports with index % nb_workers == w and transmits on TX queue w; worker 0 also serves
 * the egress rings (VNF → flowmgr).
 */
struct fm_wctx {
	struct flowmgr *fm;
	unsigned int idx;
	unsigned int lcore;
	struct fm_flow *flow;
	struct rte_ring *to_vnf[FM_SHM_MAX_NODES]; /* this worker → VNF i */
	struct rte_ring *ev[FM_SHM_MAX_NODES];	   /* release events to VNF i */
	struct rte_ring *ack[FM_SHM_MAX_NODES];	   /* their acknowledgements */
	struct fm_worker_stats stats;
	_Atomic int dump_req; /* FM_DUMP_*: introspection done between bursts */
	char *dump_buf;
};

struct fm_port {
	uint16_t port_id;
	bool reverse; /* packets received here walk their path backwards (config `reverse`) */
	char name[FM_NAME_MAX];
};

struct fm_vnf_rt {
	int pidfd;		/* -1 when not attached */
	void *conn;		/* control connection, NULL when not attached */
	uint64_t dead_since_ms; /* 0 while alive */
	bool exited;		/* its process is known to have exited */
	bool reclaimed;		/* what it held went back to the pool */
	/* Launcher (fm_launch.c). */
	int child; /* pid of the process flowmgr launched, 0 if none */
	uint64_t started_ms;
	uint64_t restart_at_ms;
	uint32_t backoff_ms;
	/* Isolated scratchpad pool (fm_pool.c). */
	int pool_fd;
	struct fm_shm_pool_hdr *pool;
	uint64_t pool_len;
	/* Stall detection (fm_super.c). */
	uint64_t last_progress;
	uint64_t progress_still_since_ms; /* 0 while progress moves or nothing is queued */
};

struct flowmgr {
	struct fm_config *cfg;
	struct fm_shm *shm;
	struct rte_mempool *pool;
	int meta_off; /* mbuf dynfield offset of struct fm_mbuf_meta */
	uint16_t nb_ports;
	struct fm_port ports[FM_SHM_MAX_PORTS];
	struct rte_ring *rings[FM_SHM_MAX_NODES][FM_SHM_MAX_NODES];
	struct rte_ring *ev[FM_SHM_MAX_NODES];	/* release events to VNF i */
	struct rte_ring *ack[FM_SHM_MAX_NODES]; /* their acknowledgements */
	unsigned int nb_workers;
	struct fm_wctx wk[FM_SHM_MAX_WORKERS];
	bool adaptive_idle; /* sleep a little when idle (shared cores) */
	bool wait_vnfs;	    /* ports still closed until every VNF is attached */
	bool launch;	    /* flowmgr starts and restarts the VNFs that name an exec */
	uint32_t stall_ms;  /* a VNF with queued input and no progress for this long is stalled */
	char file_prefix[64];
	_Atomic bool stop;
	_Atomic bool ports_open; /* worker polls ports only once this is set */
	struct fm_vnf_rt vnf_rt[FM_SHM_MAX_NODES];
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
	uint8_t path_tcp[FM_SHM_MAX_PATHS];  /* a VNF on the path is in_order/resize: TCP context */
	struct fm_tcp *tcp;		     /* fm_tcp.h, NULL without such a path */
	int dump_vnf;			     /* flows: only through this VNF index (-1: all) */
	struct fm_filter *dump_filter;	     /* flows: only sessions matching (NULL: all) */
	uint32_t dump_max;		     /* flows: at most this many lines */
};

enum { FM_DUMP_NONE = 0, FM_DUMP_TREE = 1, FM_DUMP_LAYOUT = 2, FM_DUMP_FLOWS = 3 };

static inline struct fm_mbuf_meta *fm_meta(const struct flowmgr *fm, struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, fm->meta_off, struct fm_mbuf_meta *);
}

/* fm_classify.c — the combined classification tree and the path table. */
int fm_classify_init(struct flowmgr *fm);
void fm_classify_uninit(struct flowmgr *fm);
void fm_classify_dump_poll(struct fm_wctx *wk);
char *fm_classify_dump(struct flowmgr *fm, unsigned int worker, int what);
void fm_classify_new_sessions(struct fm_wctx *wk, struct fm_fcb **fcbs,
			      const uint64_t (*vals)[FM_CLS_FIELDS], unsigned int n);

/* fm_graph.c — rings of the ring graph. */
int fm_graph_create(struct flowmgr *fm);
void fm_graph_destroy(struct flowmgr *fm);

/* fm_port.c — ports from vdev devargs. */
int fm_ports_init(struct flowmgr *fm);
void fm_ports_close(struct flowmgr *fm);

/* fm_worker.c — the datapath lcores. */
int fm_worker_main(void *arg); /* arg: struct fm_wctx */

/* The worker owning FCB slot `idx`. */
static inline struct fm_wctx *fm_fcb_owner(struct flowmgr *fm, uint32_t idx)
{
	uint32_t w = fm->shm->fcb_per_worker ? idx / fm->shm->fcb_per_worker : 0;

	return w < fm->nb_workers ? &fm->wk[w] : NULL;
}

/* fm_graph.c: every ring that feeds VNF `id` (from flowmgr's workers and from other VNFs). */
unsigned int fm_vnf_inputs(struct flowmgr *fm, uint32_t id, struct rte_ring **out);

/* fm_ctl.c — control-channel handlers. */
int fm_ctl_init(struct flowmgr *fm);
void fm_ctl_poll(struct flowmgr *fm, int timeout_ms);
void fm_ctl_uninit(struct flowmgr *fm);

/* fm_pool.c — scratchpad pools of isolated VNFs. */
int fm_pools_create(struct flowmgr *fm);
void fm_pools_destroy(struct flowmgr *fm);

/* fm_launch.c — flowmgr as the launcher of its VNFs. */
int fm_launch_start_all(struct flowmgr *fm);
void fm_launch_tick(struct flowmgr *fm);
int fm_launch_restart(struct flowmgr *fm, uint32_t id);
bool fm_launch_is_launched(const struct flowmgr *fm, uint32_t id);
void fm_launch_stop_all(struct flowmgr *fm);

/* fm_super.c — VNF liveness. */
void fm_super_vnf_attached(struct flowmgr *fm, uint32_t id, int pid);
void fm_super_vnf_gone(struct flowmgr *fm, uint32_t id, const char *why);
void fm_super_tick(struct flowmgr *fm);
bool fm_super_vnf_exited(struct flowmgr *fm, uint32_t id);
void fm_super_vnf_before_attach(struct flowmgr *fm, uint32_t id);

#endif /* FLOWMGR_H */
