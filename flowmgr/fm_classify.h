/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_classify.h — flowmgr's side of classification: the flow tables, the shared path table, the
 * common data of both directions, and introspection of the worker's tree.
 *
 * What: fm_classify_init() compiles the chain into one flow table per worker (flowmgr/flow,
 * fm_flow_create(): each on its slice of the shared FCB zone FM_SHM_FCB_ZONE, on the TSC clock),
 * publishes the tree's paths in the shared path table (fm_shm.paths; a port with `reverse` adds
 * each path backwards) and each VNF's FCB area, and creates the common-data table (fm_bidir.h)
 * when a VNF declared `bidir`, `in_order` or `resize` (with an alias record per session when one
 * declared `rewrite`). From then on:
 *   - fm_classify_new_sessions()  the worker's new session FCBs are attached to the common-data
 *                                 record of their 5-tuple (both directions meet there, even
 *                                 when different workers classify them);
 *   - release events              queued to the VNFs on the FCB's path (their event rings), the
 *                                 slot reused only once each has acknowledged (fm_flow.h);
 *   - fm_classify_dump()          `nfctl tree`, `nfctl tree --layout`, `nfctl flows`: the text is
 *                                 made BY the worker (only it may walk its dynamic nodes), on
 *                                 request, between two bursts (fm_classify_dump_poll());
 *                                 `nfctl top`'s busiest sessions come the same way, as a
 *                                 struct fm_top_list (FM_DUMP_TOP).
 *
 * Concurrency: init and uninit run on the main lcore, before the workers are launched and after
 * they stopped. fm_classify_new_sessions() and fm_classify_dump_poll() run on the lcore of the
 * worker `wk` only. fm_classify_dump() runs on the main lcore only (the control thread): it posts
 * one request in wk->dump_req (compare-and-swap, so a request still pending is never overwritten)
 * and waits at most 1 s for the worker's answer; the worker publishes the text in wk->dump_buf
 * before it clears the request (release/acquire).
 */
#ifndef FM_CLASSIFY_H
#define FM_CLASSIFY_H

#include <stdint.h>

#include "fm_field.h"

#define FM_CLS_FIELDS FM_F_COUNT /* field values per packet (fm_pkt_fields()) */

struct flowmgr;
struct fm_wctx;
struct fm_fcb;
struct fm_flow;
struct fm_tree;
struct fm_chain;

/* Introspection requests (struct fm_wctx.dump_req). */
enum { FM_DUMP_NONE = 0, FM_DUMP_TREE = 1, FM_DUMP_LAYOUT = 2, FM_DUMP_FLOWS = 3, FM_DUMP_TOP = 4 };

#define FM_TOP_MAX 64 /* sessions per worker in an FM_DUMP_TOP answer */

/* `nfctl top`: one of a worker's busiest sessions, with its counters since it started. */
struct fm_top_flow {
	uint32_t index, generation, path_id, usage;
	uint64_t pkts, bytes, age_ms, idle_ms;
	char desc[232]; /* fm_flow_info_format_key(), cut */
};

/* FM_DUMP_TOP's answer (in place of a text): the fm->dump_max (<= FM_TOP_MAX) sessions with the
 * most packets among those used in the last fm->dump_active_ms (0: all), most packets first. */
struct fm_top_list {
	uint32_t n;
	struct fm_top_flow e[];
};

/**
 * Flow tables, path table, FCB areas and common data (see above). @return 0, or -errno with the
 * reason logged (chain errors, too many paths, no memory for the FCB or common-data zones).
 */
int fm_classify_init(struct flowmgr *fm);
/**
 * The shared path table's entries of `tree` from path id `base` (live chain changes put each FCB
 * bank's paths in its own half), with flowmgr's per-path arrays. @return 0, -E2BIG, -EINVAL.
 */
int fm_classify_fill_paths(struct flowmgr *fm, const struct fm_tree *tree,
			   const struct fm_chain *ch, uint32_t base);
/**
 * Worker w's flow table for `chain` on FCB bank `bank` (fm_live.h), the tree's layout given by
 * keep_off/keep_size (fm_tree_opts) when not NULL. @return 0 or -errno with the reason in err.
 */
int fm_classify_table(struct flowmgr *fm, const struct fm_chain *chain, unsigned int bank,
		      unsigned int w, const uint32_t *keep_off, const uint32_t *keep_size,
		      struct fm_flow **out, char *err, size_t errlen);
/** Frees the flow tables and the shared zones fm_classify_init() reserved (idempotent). */
void fm_classify_uninit(struct flowmgr *fm);

/**
 * Worker `wk`'s n new session FCBs (vals[i]: the field values fcbs[i] was classified from) meet
 * their common-data record when their path needs one; counted in wk->stats.bidir_*.
 */
void fm_classify_new_sessions(struct fm_wctx *wk, struct fm_flow *table, uint32_t path_base,
			      struct fm_fcb **fcbs, const uint64_t (*vals)[FM_CLS_FIELDS],
			      unsigned int n);

/** Worker side, called between bursts: serves a pending dump request, if any. */
void fm_classify_dump_poll(struct fm_wctx *wk);
/**
 * Control side: asks worker `worker` for a dump (`what`: FM_DUMP_TREE, _LAYOUT or _FLOWS; the
 * flows filter is fm->dump_vnf, dump_filter, dump_max). @return a malloc'ed text the caller
 * frees, or NULL (a request already pending, no answer within 1 s, or no memory). For
 * FM_DUMP_TOP (fm->dump_max, dump_active_ms) the buffer is a struct fm_top_list.
 */
char *fm_classify_dump(struct flowmgr *fm, unsigned int worker, int what);

#endif /* FM_CLASSIFY_H */
