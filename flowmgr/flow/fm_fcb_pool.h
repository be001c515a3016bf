/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_fcb_pool.h — fixed-size FCB slots carved from one caller-provided memory region.
 *
 * What: the per-lcore FCB allocator of the flow layer (paper §II-D "FCBs are managed in
 * per-thread pools"). flowmgr hands each worker lcore one part of a hugepage memzone; the pool
 * carves it into `max` slots of equal size and plugs into the classification tree as its
 * struct fm_alloc (fm_fcb_pool_alloc()). A slot is addressed by a uint32_t index, valid in every
 * process that maps the region: that index is what travels in the mbuf (fm_mbuf_meta.fcb).
 *
 * Layout of the region: common/fm_fcb.h (slot header, then the FCB and its VNF areas; no
 * pointers inside, so any process can map it anywhere). global index = base_index + local index;
 * object = fm_fcb_pool_obj_at(region, stride, local).
 *
 * Design: the free list is intrusive (slot.next), LIFO so that a released slot is reused while
 * still warm in cache. Slots are carved lazily behind a high-water mark, so creating a pool for
 * millions of sessions touches no memory. The pool never grows: `max` is the bound from the
 * config and get() returns NULL once every slot is in use (the flow layer then drops or evicts,
 * fm_flow.h). A slot's generation is bumped when it is freed, so that a stale (index, generation)
 * pair held by a cache or by another process is recognised.
 *
 * Concurrency: one pool per worker lcore; get/put/the alloc hook are NOT thread-safe (no locks,
 * by design). Other processes only translate indices to addresses (pure arithmetic) and read or
 * atomically update fields inside objects (the FCB usage count, fm_fcb.h).
 */
#ifndef FM_FCB_POOL_H
#define FM_FCB_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fm_fcb.h"
#include "fm_tree.h"

struct fm_fcb_pool;

/** Bytes between two slots for objects of obj_size bytes. */
size_t fm_fcb_pool_stride(size_t obj_size);
/** Bytes of region needed for max objects of obj_size bytes. */
size_t fm_fcb_pool_region_size(size_t obj_size, uint32_t max);

/**
 * Create a pool over [region, region + len). The region must be 64-byte aligned and at least
 * fm_fcb_pool_region_size(obj_size, max) bytes; it is not touched until slots are handed out and
 * is not freed by fm_fcb_pool_destroy(). Indices reported to others are base_index + local index.
 * @return 0, -EINVAL (bad size/alignment/zero max), -ENOMEM.
 */
int fm_fcb_pool_create(void *region, size_t len, size_t obj_size, uint32_t max, uint32_t base_index,
		       struct fm_fcb_pool **out);
void fm_fcb_pool_destroy(struct fm_fcb_pool *p);

/** An object (zeroed header, content undefined), or NULL if all `max` slots are in use. */
void *fm_fcb_pool_get(struct fm_fcb_pool *p);
/** Return an object: back on the free list, generation bumped. */
void fm_fcb_pool_put(struct fm_fcb_pool *p, void *obj);
/** Mark an IN_USE object DRAINING (not reusable until fm_fcb_pool_put()). */
void fm_fcb_pool_drain(struct fm_fcb_pool *p, void *obj);

/** The tree allocator backed by this pool (alloc fails if size > obj_size or the pool is full). */
struct fm_alloc fm_fcb_pool_alloc(struct fm_fcb_pool *p);

/* ---- index <-> pointer (fm_fcb_pool_obj_at(), fm_fcb_pool_slot_of(): fm_fcb.h) ---------- */

/** Global index of an object of this pool. */
uint32_t fm_fcb_pool_index(const struct fm_fcb_pool *p, const void *obj);
/** Local index (0..max-1) of an object of this pool. */
uint32_t fm_fcb_pool_local(const struct fm_fcb_pool *p, const void *obj);
/** Object of a global index, or NULL if the index is not in this pool's carved range. */
void *fm_fcb_pool_ptr(const struct fm_fcb_pool *p, uint32_t index);
/** Object of a local index (no range check beyond max). */
void *fm_fcb_pool_local_ptr(const struct fm_fcb_pool *p, uint32_t local);
/** Does obj point into this pool's slots? */
bool fm_fcb_pool_owns(const struct fm_fcb_pool *p, const void *obj);

/* ---- state -------------------------------------------------------------------------------- */

uint32_t fm_fcb_pool_in_use(const struct fm_fcb_pool *p);   /* IN_USE + DRAINING */
uint32_t fm_fcb_pool_draining(const struct fm_fcb_pool *p); /* DRAINING */
uint32_t fm_fcb_pool_capacity(const struct fm_fcb_pool *p); /* max */
uint32_t fm_fcb_pool_carved(const struct fm_fcb_pool *p);   /* high-water mark */
bool fm_fcb_pool_is_full(const struct fm_fcb_pool *p);
size_t fm_fcb_pool_obj_size(const struct fm_fcb_pool *p);
size_t fm_fcb_pool_slot_stride(const struct fm_fcb_pool *p);
void *fm_fcb_pool_region(const struct fm_fcb_pool *p);

#endif /* FM_FCB_POOL_H */
