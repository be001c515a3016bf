/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_layout.h — FCB layout: where each VNF's scratchpad lives inside the FCB (paper §II-C).
 *
 * What: given the VNF area sizes and every feasible path of the chain (ordered VNF lists), give
 * each VNF ONE offset, valid in every FCB it can see, such that areas that can be live in the same
 * FCB never overlap.
 *
 * Modes:
 *  - MAXIMAL (default): offset(v) = max over VNFs u before v on any path of offset(u)+size(u)
 *    ("the greediest path that leads to it"), aligned. Parallel paths share space: with the paper's
 *    Figure 3 sizes (1, NetFlow 24, HTTP 36) the load balancer lands at 37.
 *  - PARALLEL: for packets of one session that may take several paths (both directions, copies):
 *    starting at the maximal offset, first fit in a bitvector of the bytes already used by every
 *    VNF reachable from v or from which v is reachable in the chain graph.
 *  - COMPACT: most frequent VNFs (by number of paths) first, each at the lowest offset that does
 * not overlap a VNF sharing a path with it (fills holes; access order not monotonic). A VNF with
 * size 0 gets FM_OFF_NONE.
 *
 * Concurrency: pure functions.
 */
#ifndef FM_LAYOUT_H
#define FM_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fm_chain.h"
#include "fm_tree.h"

struct fm_layout_req {
	int nb_vnfs;
	uint32_t size[FM_MAX_VNFS];  /* area bytes per VNF (0 = none) */
	uint32_t reach[FM_MAX_VNFS]; /* PARALLEL: bit j set if VNF j is reachable from VNF i */
	int nb_paths;
	const int8_t *const *path; /* path[p][0..len[p]) VNF indices (terminal hop excluded) */
	const uint8_t *len;
	enum fm_layout_mode mode;
	uint32_t align; /* power of two, >= 1 */
};

/** Compute offsets. @return 0, or -EINVAL (bad request). total = bytes of areas (8-aligned). */
int fm_layout_compute(const struct fm_layout_req *r, uint32_t *offset, uint32_t *total);

/**
 * Check the invariant: areas that can be live together (same path; PARALLEL: also graph-reachable)
 * do not overlap, and every area lies inside [0, total). @return true if it holds; else err says
 * why.
 */
bool fm_layout_check(const struct fm_layout_req *r, const uint32_t *offset, uint32_t total,
		     char *err, size_t errlen);

/**
 * Layout of the next generation of a live chain (nfctl chain add/remove/replace, reload): the
 * sessions of earlier generations stay where they are, so no area they use may move.
 *   keep[v]   the offset VNF v's area has in a live generation (fm_shm_vnf.area_off is one offset
 *             per VNF, the same in every FCB it sees), FM_OFF_NONE when v has none yet;
 *             keep_size[v] its size there (both arrays have FM_MAX_VNFS entries);
 *   capacity  bytes the FCB slot stride leaves for areas (fixed while flowmgr runs).
 * A VNF of `r` with a kept offset keeps it (its size may not grow: a larger area would run into
 * its neighbours in live FCBs); every other VNF with an area gets the lowest aligned offset that
 * overlaps no kept area (of any VNF, in `r` or not: a draining VNF's area stays reserved) and no
 * new area it can be live with (same path; PARALLEL: graph-reachable). Kept areas that the new
 * graph puts on one path must not overlap. @return 0 with offset[] (FM_OFF_NONE for VNFs without
 * an area) and total (8-aligned end of the areas); -EINVAL for a bad request; -EBUSY when two kept
 * areas now share a path and overlap, or a kept area would grow; -ENOSPC when the areas do not fit
 * `capacity` — each with a one-line reason in err.
 */
int fm_layout_extend(const struct fm_layout_req *r, const uint32_t *keep, const uint32_t *keep_size,
		     uint32_t capacity, uint32_t *offset, uint32_t *total, char *err,
		     size_t errlen);
#endif /* FM_LAYOUT_H */
