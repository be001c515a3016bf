/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_pool.h — the scratchpad pools of isolated (indirect) VNFs.
 *
 * What: for every VNF declared `isolation: indirect` with a scratchpad, flowmgr creates one memfd
 * ("flowsplice-pool-NAME") sized for `sessions` scratchpads (layout: struct fm_shm_pool_hdr,
 * common/fm_shm.h), maps it itself (to read its counters) and passes its descriptor to that
 * VNF, and only that VNF, at registration (fm_ctl.c, SCM_RIGHTS). flowmgr keeps the descriptor
 * for its whole life, so a restarted VNF gets the same pool back and its per-session state
 * survives the crash. The record is vnf_rt[id].pool_fd / pool / pool_len (fm_vnf.h).
 *
 * Concurrency: main lcore only: create before the control socket opens (no VNF can register
 * earlier), destroy after it closed. Once handed over, the pool's slots are the VNF's to write;
 * flowmgr only reads the header's counters.
 */
#ifndef FM_POOL_H
#define FM_POOL_H

struct flowmgr;

/** One pool per isolated VNF with a scratchpad. @return 0 or -errno (logged with the VNF). */
int fm_pools_create(struct flowmgr *fm);
/** Unmaps and closes every pool (the VNFs keep their own mappings until they exit). */
void fm_pools_destroy(struct flowmgr *fm);

#endif /* FM_POOL_H */
