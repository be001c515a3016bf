/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_flow_int.h — internals of the flow table shared by fm_flow.c and fm_flow_info.c. */
#ifndef FM_FLOW_INT_H
#define FM_FLOW_INT_H

#include "fm_flow.h"

#define FM_SF_PENDING 0x01 /* slot flag: on its path's pending-timeout list */

struct fm_plist {
	uint32_t head, tail; /* local slot indices, FM_POOL_NONE */
};

struct fm_cache_ent {
	uint32_t hash;
	uint32_t slot; /* local index, FM_POOL_NONE */
	uint32_t gen;
	uint32_t pad;
};

struct fm_flow {
	/* hot: datapath */
	struct fm_tree *tree;
	struct fm_fcb_pool *pool;
	uint8_t *region;
	size_t stride;
	struct fm_cache_ent *cache;
	uint32_t cache_mask;
	bool cache_on;
	uint64_t now;
	struct fm_fcb *fresh; /* FCB handed out by the allocator during the last lookup */
	struct fm_clock *clock;
	uint64_t cnt[FM_FLOW_CNT_COUNT];

	/* lifecycle */
	uint32_t nb_paths;
	uint32_t *path_timeout;
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
