/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_flow_int.h — internals of the flow table shared by fm_flow.c and fm_flow_info.c. */
#ifndef FM_FLOW_INT_H
#define FM_FLOW_INT_H

#include "fm_flow.h"

#define FM_SF_PENDING 0x01 /* slot flag: on its path's pending-timeout list */

struct fm_plist {
	uint32_t head, tail; /* local slot indices, FM_POOL_NONE */
};

/*
 * Cache bucket: one cache line of FM_CACHE_WAYS entries (fm_flow.h "Cache"). An entry is the
 * tag (the high 16 bits of the hash; the low bits pick the bucket), the local slot index
 * (FM_POOL_NONE: empty) and the low 16 bits of the slot's generation. A tag or a generation may
 * match by chance: a hit still needs the slot IN_USE with that generation and the verify.
 */
#define FM_CACHE_WAYS 8
struct fm_cache_bkt {
	uint16_t tag[FM_CACHE_WAYS];
	uint32_t slot[FM_CACHE_WAYS];
	uint16_t gen[FM_CACHE_WAYS];
};
static_assert(sizeof(struct fm_cache_bkt) == 64, "a cache bucket is one cache line");

#define FM_SF_CACHED 0x02 /* slot flag: slot->chash names the cache bucket holding it */
#define FM_SF_FRESH  0x04 /* slot flag: new session, fm_flow_seen_burst() not yet called for it */
#define FM_SF_EMBRYO 0x08 /* slot flag: embryonic TCP session (fm_flow.h "Embryonic") */

struct fm_flow {
	/* hot: datapath */
	struct fm_tree *tree;
	struct fm_fcb_pool *pool;
	uint8_t *region;
	size_t stride;
	struct fm_cache_bkt *cache;
	uint32_t cache_mask;   /* buckets - 1 */
	uint32_t cache_victim; /* rotates: the way a full bucket gives up */
	bool cache_on;
	uint64_t now;
	struct fm_fcb *fresh; /* FCB handed out by the allocator during the last lookup */
	struct fm_clock *clock;
	uint64_t cnt[FM_FLOW_CNT_COUNT];

	/* lifecycle */
	uint32_t nb_paths;
	uint32_t *path_timeout;
	uint32_t *syn_timeout; /* per path: min(syn_timeout_ms, path_timeout) */
	uint32_t syn_timeout_ms;
	uint32_t syn_headroom; /* free slots below which a new session evicts an embryonic one */
	/* pending lists: [0, nb_paths) established sessions per path, nb_paths the spare list,
	 * [nb_paths + 1, 2 nb_paths + 1) embryonic sessions per path */
	struct fm_plist *plists;
	uint32_t pending;
	uint32_t threshold, threshold_min, threshold_max;
	uint32_t sweep_budget;
	uint32_t sweep_path;
	uint32_t full_sweep_ms, full_sweep_step;
	uint32_t full_cursor;
	bool full_active;
	uint64_t next_full;
	enum fm_flow_exhaust exhaust;
	uint32_t evict_min_idle_ms;
	int (*on_release)(void *opaque, int vnf, uint32_t index, struct fm_fcb *fcb, void *area);
	void *release_opaque;
	uint32_t usage_max;
	void (*on_usage_bad)(void *opaque, const struct fm_fcb *fcb);

	/* cold */
	struct fm_alloc alloc;
	struct fm_clock own_clock;
	void *region_owned;
	size_t region_bytes;
};

static inline struct fm_pool_slot *flow_slot(const struct fm_flow *f, uint32_t local)
{
	return (struct fm_pool_slot *)(f->region + (size_t)local * f->stride);
}

static inline struct fm_fcb *flow_obj(const struct fm_flow *f, uint32_t local)
{
	return (struct fm_fcb *)(f->region + (size_t)local * f->stride + FM_POOL_SLOT_HDR);
}

static inline uint32_t flow_local(const struct fm_flow *f, const struct fm_fcb *fcb)
{
	return (uint32_t)(((const uint8_t *)fcb - FM_POOL_SLOT_HDR - f->region) / f->stride);
}

#endif /* FM_FLOW_INT_H */
