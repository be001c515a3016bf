/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_decl.h — the values a VNF's declaration carries across processes.
 *
 * What: the declaration flags, the isolation modes and the failure policies, with the numbers
 * every process uses for them: the VNF declares them (nfsdk's NF_FLAG_* and enum nf_isolation
 * have the same values, nfsdk checks it at compile time), the control channel carries them,
 * flowmgr stores them in the chain (flowmgr/cls/fm_chain.h) and publishes the isolation and the
 * policy in the VNF's shared slot (fm_shm.h: fm_shm_vnf.isolation, fm_shm_vnf.policy), where
 * flowmgr's worker and every VNF's nfsdk read them (fm_hop.h, fm_stage.h).
 *
 * Versioning: these values are part of the shared ABI; fm_shm.h pins them next to
 * FM_SHM_ABI_VERSION. Adding a flag is compatible, renumbering one is not.
 *
 * Concurrency: constants only.
 */
#ifndef FM_DECL_H
#define FM_DECL_H

/* Declaration flags (a VNF's `flags`). */
#define FM_DECL_EARLY_DROP (1u << 0) /* may drop early: its drops may be done by flowmgr */
#define FM_DECL_IN_ORDER   (1u << 1) /* needs in-order TCP stream */
#define FM_DECL_MAY_STALL  (1u << 2) /* may hold data (pro-active ACK) */
#define FM_DECL_RESIZE	   (1u << 3) /* may change the stream size */
#define FM_DECL_BIDIR	   (1u << 4) /* sees both directions of a session */
#define FM_DECL_REWRITE	   (1u << 5) /* rewrites addresses/ports: replies link by egress tuple */

/*
 * Where a VNF's per-session state lives: direct — its area in the FCB is the scratchpad;
 * indirect (isolated) — the area holds a slot index into the VNF's own pool (fm_shm.h,
 * struct fm_shm_pool_hdr); independent — the VNF classifies on its own (nfsdk's own flow table,
 * the benchmark baseline) and has no area.
 */
enum fm_isolation { FM_ISO_DIRECT = 0, FM_ISO_INDIRECT = 1, FM_ISO_INDEPENDENT = 2 };

/*
 * What happens to packets for a VNF that is down: bypass — skipped (the path goes on); drop —
 * dropped; hold — still queued to its ring (the ring is the bound), for it to handle on restart.
 */
enum fm_fail_policy { FM_FAIL_BYPASS = 0, FM_FAIL_DROP = 1, FM_FAIL_HOLD = 2 };

#endif /* FM_DECL_H */
