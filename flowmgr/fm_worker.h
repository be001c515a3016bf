/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_worker.h — the datapath lcores: their entry point and the counters they publish.
 *
 * What: fm_worker_main() is the loop of one datapath worker (struct fm_wctx, flowmgr.h): port RX →
 * classify (fm_classify.h, flowmgr/flow) → first hop → one burst enqueue per VNF ring, and, on
 * worker 0, the egress (VNF → flowmgr rings → port TX); each worker its TCP context (fm_tcp.h),
 * its stream packets leaving the chain handed to it by worker 0 (fm_wctx.tcp_out). Its rules
 * (back-pressure instead of loss, no locks, no allocation, no syscalls per packet) are stated at
 * the top of fm_worker.c.
 *
 * Counters: each worker counts in locals and publishes them once per iteration into its struct
 * fm_worker_stats (the flow table's copy and the gauges every ~10 ms); the control plane
 * (fm_ctl.c) sums them over the workers. Drops are counted per reason (FM_DROP_REASONS: the enum
 * and the names `nfctl stats` shows come from the same list).
 *
 * Concurrency: fm_worker_main() runs on one worker lcore per struct fm_wctx (rte_eal_remote_launch
 * from fm_main.c, after every module is set up) until flowmgr->stop is set; it MUST NOT run twice
 * on the same fm_wctx. A struct fm_worker_stats is written on its worker's lcore only (the loop's
 * relaxed stores, and the release-event and bidir counters that fm_classify.c's callbacks add to
 * there); any lcore may read it with relaxed loads (a counter may be one iteration old).
 *
 * This header includes nothing of flowmgr's own (common/fm_shm.h only, for the node count):
 * flowmgr.h includes it for the stats block that struct fm_wctx embeds.
 */
#ifndef FM_WORKER_H
#define FM_WORKER_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>

#include "fm_shm.h"

#define FM_LAT_BUCKETS	    32
#define FM_FLOW_CNT_MAX_PUB 32 /* room for the flow table's counters (fm_flow.h) */

/* Drop reasons counted by the worker (X-macro: enum + names). */
#define FM_DROP_REASONS(X)                                                                         \
	X(MALFORMED, "malformed") /* headers truncated or inconsistent */                          \
	X(NO_FCB, "no_fcb")	  /* session FCB could not be allocated */                         \
	X(EARLY, "early_drop")	  /* no path accepts the packet's class */                         \
	X(POLICY, "vnf_down")	  /* next VNF down with the drop policy */                         \
	X(NO_RING, "no_ring")	  /* path needs an edge the ring graph lacks */                    \
	X(TX_FULL, "tx_full")	  /* port kept refusing the packet */                              \
	X(LOST, "vnf_lost")	  /* queued to a VNF that died */                                  \
	X(TCP, "tcp")		  /* TCP context: duplicate, queue full, back-pressure (tcp_*) */  \
	X(BAD_META, "vnf_bad_meta")   /* a VNF handed back a packet with out-of-range metadata */  \
	X(BAD_ENTRY, "vnf_bad_entry") /* a VNF's ring entry is no valid mbuf (never freed) */      \
	X(QUARANTINED, "vnf_quarantined") /* handed back by a quarantined VNF */                   \
	X(FRAG, "frag") /* IP fragment on a stream chain, `fragments: drop` (fm_frag.h) */         \
	X(L4_HIDDEN, "l4_hidden")     /* transport out of sight on a stream chain (fm_frag.h) */   \
	X(FRAG_FAILED, "frag_failed") /* reassembly gave up: timeout, overlap, > 8, table full */  \
	X(FRAG_TOO_BIG, "frag_too_big") /* reassembled datagram over one mbuf, or IPv6 layout */   \
	X(REFRAG, "refrag_failed")	/* reassembled, over the egress MTU, could not be cut */

enum fm_drop_reason {
#define FM_X_ENUM(e, s) FM_DROP_##e,
	FM_DROP_REASONS(FM_X_ENUM)
#undef FM_X_ENUM
	    FM_DROP_MAX
};

extern const char *const fm_drop_names[FM_DROP_MAX];

/* Fragment handling on stream chains (fm_frag.h, fm_reasm.h), besides its drops. */
#define FM_FRAG_COUNTERS(X)                                                                        \
	X(HELD, "frag_held")		     /* fragments handed to the reassembly table */        \
	X(REASSEMBLED, "frag_reassembled")   /* whole datagrams it returned, then classified */    \
	X(REFRAGMENTED, "frag_refragmented") /* reassembled packets cut again at egress (MTU) */   \
	X(FRAGS_OUT, "frag_out")	     /* fragments those became */                          \
	X(PASSED, "frag_passed") /* exposed frames classified anyway (`fragments: pass`) */

enum fm_frag_cnt {
#define FM_X_ENUM(e, s) FM_FRAG_CNT_##e,
	FM_FRAG_COUNTERS(FM_X_ENUM)
#undef FM_X_ENUM
	    FM_FRAG_CNT_MAX
};

extern const char *const fm_frag_cnt_names[FM_FRAG_CNT_MAX];

/*
 * What a VNF process did wrong through shared memory, counted per VNF (X-macro: enum, the name
 * `nfctl vnfs` shows as the quarantine reason, and how many such events quarantine the VNF,
 * counted since its registration; fm_super.h). The worker counts the first three (in its stats,
 * per VNF node id), the supervisor the last two.
 *   RING  an entry of its ring to flowmgr that is not an mbuf of the pool, has an implausible
 *         header, or is not stamped as queued to flowmgr (fm_mbuf_check.h); a release
 *         acknowledgement for a slot that awaits none
 *   META  a packet handed back with metadata out of range (path id, port)
 *   FCB   an FCB usage count of one of its sessions out of bounds: below zero, or above the
 *         number of mbufs that exist (fm_flow.h); blamed only on the sole VNF of the FCB's path
 *   SLOT  a field of its shared slot that flowmgr alone writes changed (pid, state, name, policy)
 *   MBOX  its command mailbox acknowledged a command flowmgr never posted
 */
#define FM_VNF_FAULTS(X)                                                                           \
	X(RING, "bad_ring_entry", 1)                                                               \
	X(META, "bad_meta", 32)                                                                    \
	X(FCB, "bad_fcb_usage", 4)                                                                 \
	X(SLOT, "slot_tampered", 1)                                                                \
	X(MBOX, "bad_mailbox", 1)

enum fm_vnf_fault {
#define FM_X_ENUM(e, s, t) FM_FAULT_##e,
	FM_VNF_FAULTS(FM_X_ENUM)
#undef FM_X_ENUM
	    FM_FAULT_MAX
};

extern const char *const fm_fault_names[FM_FAULT_MAX];
extern const uint32_t fm_fault_threshold[FM_FAULT_MAX];

/* Worker counters of the XDP offload (fm_xdp.h), X(name, help): `nfctl stats` name xdp_<name>. */
#define FM_WK_XDP_COUNTERS(X)                                                                      \
	X(meta_class, "frames whose metadata named a class: descent from its group")               \
	X(meta_none, "frames the program matched no rule for: full descent")                       \
	X(meta_missing, "frames of an XDP port without our metadata: full descent")                \
	X(verify_checked, "--xdp-verify: classified frames checked against the full descent")      \
	X(verify_mismatch, "--xdp-verify: the metadata's group is not the full descent's")

enum fm_wk_xdp_cnt {
#define FM_WK_XDP_ENUM(n, h) FM_WK_XDP_##n,
	FM_WK_XDP_COUNTERS(FM_WK_XDP_ENUM)
#undef FM_WK_XDP_ENUM
	    FM_WK_XDP_MAX
};
extern const char *const fm_wk_xdp_names[FM_WK_XDP_MAX];

/* What one worker publishes (one writer: that worker; see Concurrency above). */
struct fm_worker_stats {
	alignas(64) _Atomic uint64_t rx_pkts;
	_Atomic uint64_t tx_pkts;
	_Atomic uint64_t to_vnf_pkts;
	_Atomic uint64_t from_vnf_pkts;
	_Atomic uint64_t drops[FM_DROP_MAX];
	_Atomic uint64_t frag[FM_FRAG_CNT_MAX]; /* FM_FRAG_COUNTERS */
	_Atomic uint64_t release_ev_full;   /* release events a VNF's event ring could not take */
	_Atomic uint64_t bidir_created;	    /* common-data records created (first direction) */
	_Atomic uint64_t bidir_linked;	    /* second directions linked to an existing record */
	_Atomic uint64_t bidir_full;	    /* no record free */
	_Atomic uint64_t bidir_aliases;	    /* rewritten sessions linked by their egress tuple */
	_Atomic uint64_t bidir_alias_clash; /* egress tuple already a live session's: not linked */
	/* Flow table counters (fm_flow.h) and gauges, published by the worker every ~10 ms. */
	_Atomic uint64_t flow_cnt[FM_FLOW_CNT_MAX_PUB];
	_Atomic uint64_t sessions, pool_in_use, pool_draining, pending;
	/* Faults per VNF node id (FM_VNF_FAULTS: RING, META, FCB); the supervisor reads them. */
	_Atomic uint64_t vnf_faults[FM_SHM_MAX_NODES][FM_FAULT_MAX];
	/* Port RX to port TX latency, log2 buckets: [2^i, 2^(i+1)) ns. */
	_Atomic uint64_t lat_hist[FM_LAT_BUCKETS];
	_Atomic uint64_t lat_sum_ns; /* their sum (the Prometheus histogram's _sum) */
	/* Packets leaving port p that asked TX checksums (fm_cksum.h): left to the device, or
	 * summed in software because the port lacks the offload (nfctl ports). */
	_Atomic uint64_t tx_cksum_dev[FM_SHM_MAX_PORTS];
	_Atomic uint64_t tx_cksum_sw[FM_SHM_MAX_PORTS];
	/* Frames of `xdp: offload` ports by their metadata (FM_WK_XDP_COUNTERS). */
	_Atomic uint64_t xdp[FM_WK_XDP_MAX];
};

/**
 * The loop of one datapath worker; `arg` is its struct fm_wctx (fm, idx, lcore and the rings are
 * set). Returns 0 once flowmgr->stop is set, after freeing what it still had staged (counted).
 */
int fm_worker_main(void *arg);

#endif /* FM_WORKER_H */
