/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_live.h — live chain changes: chain generations (docs/architecture.md, Chain generations).
 *
 * What: with `live_area: N` in the chain config, the FCB zone has two banks and every FCB N spare
 * area bytes. A change (a VNF that is not in the config registering with a position, nfctl
 * chain remove, nfctl reload of a changed traffic class) builds the next generation beside the
 * running one: one flow table per worker on the other bank (its tree from the new chain, its FCB
 * layout from fm_layout_extend(): no area of a live session moves), its paths in that bank's
 * half of the shared path table, the rings of a new VNF; then publishes the generation number
 * (release). Each worker adopts it between two bursts (fm_worker.c gen_poll(), reported in
 * fm_wctx.gen): sessions of the previous generation keep their table, path and layout until
 * they are released; new sessions start in the new table. A worker lets go of the previous
 * table once it has no session left (fm_wctx.old_gone). A removed VNF keeps its id, slot and
 * rings (it drains: on no new path).
 *
 * Limits: one generation may drain at a time (a change while the generation before the running
 * one still has sessions is refused with -EBUSY: retry); not with stream VNFs (the TCP context
 * indexes slots per bank 0) nor for VNFs that are `indirect` or declare bidir/in_order/resize/
 * rewrite when spliced in live.
 *
 * Concurrency: control thread (main lcore) only.
 */
#ifndef FM_LIVE_H
#define FM_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct flowmgr;
struct fm_chain;
struct fm_decl;

/** Build generation gen + 1 from `next` and publish it. @return 0 or -errno, reason in why. */
int fm_live_switch(struct flowmgr *fm, const struct fm_chain *next, char *why, size_t len);

/** -EBUSY (reason in why) while a change cannot be made now; -EPERM when live changes are off. */
int fm_live_ready(struct flowmgr *fm, char *why, size_t len);

/**
 * A VNF not in the chain registers: appended (new id, shared slot, rings, its declaration in the
 * running chain) on no path yet. @return its id (> 0) or -errno with the reason in why.
 */
int fm_live_add_vnf(struct flowmgr *fm, const struct fm_decl *d, char *why, size_t len);

/**
 * Splice VNF `id` in after VNF `pos` (its edges out become the new VNF's; "" or NULL: after the
 * ports) or before it (every edge into `pos` leads to the new VNF, which leads to `pos`), as a
 * new generation. Once the VNF is attached, so that no packet meets it unattached.
 */
int fm_live_splice(struct flowmgr *fm, uint32_t id, const char *pos, bool before, char *why,
		   size_t len);

/** Take VNF `name` off every path of a new generation (it drains). @return 0 or -errno. */
int fm_live_remove_vnf(struct flowmgr *fm, const char *name, char *why, size_t len);

#endif /* FM_LIVE_H */
