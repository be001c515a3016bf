/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_fcb.h — the FCB zone: slot layout and the Flow Control Block as every process sees it.
 *
 * What: FM_SHM_FCB_ZONE (fm_shm.h) holds the FCB slots of every flowmgr worker. flowmgr's flow
 * layer hands the slots out (flowmgr/flow/fm_fcb_pool.h) and its classification tree fills them
 * (flowmgr/cls/fm_tree.h); a VNF's nfsdk reaches the FCB of a packet through the slot index in
 * the mbuf (fm_mbuf_meta.fcb), finds its own area there, and gives back the packet's hold on the
 * FCB (fm_fcb_usage_dec()) when it drops or frees the packet.
 *
 * Layout of the zone (indices and offsets only, so every process can map it anywhere):
 *
 *     slot i at  zone + i * stride        stride = fm_fcb_slot_stride(FCB size) = fm_shm.fcb_stride
 *       [0, 32)  struct fm_pool_slot      generation, state, the flow layer's links (flowmgr only)
 *       [32, ..) struct fm_fcb            the FCB, its session key words, then the VNF areas
 *
 *     VNF v's area in an FCB:  (uint8_t *)fcb + fcb->area_off + fm_shm.vnfs[v].area_off
 *     (direct isolation: the scratchpad itself; indirect: a uint32_t slot index into the VNF's
 *     own pool, FM_POOL_NONE until the VNF first needs one; fm_decl.h)
 *
 * The first FM_FCB_PRIV_SIZE bytes of an FCB (`priv`) belong to the classification tree of the
 * worker that owns the slot: its parent link, a pointer valid in flowmgr only. No other process
 * reads them, and this header gives them no type, so that no pointer is part of the shared ABI.
 *
 * Versioning: this layout is part of the ABI that FM_SHM_ABI_VERSION names; fm_shm.h pins the
 * sizes and offsets next to the version.
 *
 * Concurrency (one writer per field):
 *   - the slot header and every FCB field but `usage`: the owning flowmgr worker only; path_id,
 *     hops and area_off are written before the slot index is first published in an mbuf (the
 *     ring enqueue orders them), and never change while the slot is in use;
 *   - pkts, bytes: plain per-session counters (`nfctl top`), added by the owning worker for each
 *     packet it classifies to the FCB and read by that same worker when it serves a dump between
 *     bursts: no atomics; they sit on the cache line of usage and last_use, which the worker
 *     writes for every packet anyway. Reset when the slot starts a new session;
 *   - usage, released: the packets in flight are usage - released (mod 2^32). `usage` is the
 *     owning worker's alone: +1 per classified packet, -1 per packet it puts back itself
 *     (fm_fcb_usage_own_add(): a relaxed load and store, no locked instruction on the
 *     per-packet path). `released` is everyone else's: a process that drops or frees a packet
 *     adds 1 with fm_fcb_usage_dec() (atomic add, release order). The worker reads the
 *     difference with fm_fcb_usage_read() (acquire on `released`) before it releases the FCB.
 *     Splitting the count this way takes the two atomic read-modify-writes per packet off the
 *     worker (issue 16); a hostile write to either field is a garbage count (fm_flow.h).
 */
#ifndef FM_FCB_H
#define FM_FCB_H

#include <assert.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define FM_POOL_SLOT_HDR 32u	    /* bytes of slot header before each FCB */
#define FM_POOL_NONE	 UINT32_MAX /* no slot (== FM_IDX_NONE) */
#define FM_FCB_PRIV_SIZE 16u	    /* bytes at the start of an FCB private to its tree */
#define FM_FCB_MAX_HOPS	 (32 + 1)   /* VNF hops (FM_SHM_MAX_VNFS) + the terminal hop */

/* Slot states. */
#define FM_SLOT_FREE	 0 /* on the free list, or never carved */
#define FM_SLOT_IN_USE	 1 /* handed out (a live session FCB) */
#define FM_SLOT_DRAINING 2 /* released from the tree, waiting for VNF release acks */

/* Slot header. `prev`/`next`/`aux`/`created` belong to the owner of the object while IN_USE
 * (the flow layer keeps its pending-timeout links there); the pool uses `next` when FREE. */
struct fm_pool_slot {
	uint32_t gen;	/* bumped on every free */
	uint8_t state;	/* FM_SLOT_* */
	uint8_t flags;	/* owner's flags */
	uint16_t list;	/* owner's list id */
	uint32_t prev;	/* owner's links (local indices, FM_POOL_NONE) */
	uint32_t next;	/* owner's link; the free list's link when FREE */
	uint32_t aux;	/* owner's counter (pending release acks) */
	uint32_t chash; /* owner's word (the flow layer: the hash its cache holds the slot under) */
	uint64_t created; /* owner's timestamp */
};

/* FCB flags */
#define FM_FCB_DYNAMIC	  0x01 /* a session FCB (duplicated on a PFP miss); release it */
#define FM_FCB_TEMPLATE	  0x02 /* a template (never returned by lookup) */
#define FM_FCB_EARLY_DROP 0x04 /* drop in flowmgr: no VNF sees the packet */

/**
 * Flow Control Block. Hot fields first. The VNF areas start at `area_off` bytes from the FCB; a
 * VNF's area is at area_off + its offset (fm_shm_vnf.area_off).
 */
struct fm_fcb {
	uint64_t priv[FM_FCB_PRIV_SIZE / 8]; /* the owning tree's links (fm_tree.h struct fm_hdr) */
	uint32_t path_id;		     /* index in fm_shm.paths */
	uint16_t area_off;
	uint8_t flags; /* FM_FCB_* */
	uint8_t nb_hops;
	int8_t hops[FM_FCB_MAX_HOPS]; /* chain VNF indices, then FM_HOP_OUTPUT or FM_HOP_DROP */
	uint32_t usage;		      /* owner's count (fm_fcb_usage_own_add) */
	uint32_t released;	      /* others' releases (atomic: fm_fcb_usage_dec) */
	uint32_t timeout_ms;	      /* idle timeout of the session (flow layer) */
	uint64_t last_use;	      /* flow layer */
	uint64_t pkts;	/* packets classified to it (owning worker, fm_flow_count()) */
	uint64_t bytes; /* their bytes (pkt_len), same writer */
	uint64_t key[]; /* session key words (the tree's), then the areas at area_off */
};

/** Bytes between two slots for FCBs of obj_size bytes (header included, whole cache lines). */
static inline size_t fm_fcb_slot_stride(size_t obj_size)
{
	return (FM_POOL_SLOT_HDR + obj_size + 63u) & ~(size_t)63u;
}

/** The object (FCB) of slot `local` of a region of slots `stride` bytes apart. */
static inline void *fm_fcb_pool_obj_at(void *region, size_t stride, uint32_t local)
{
	return (uint8_t *)region + (size_t)local * stride + FM_POOL_SLOT_HDR;
}

/** The slot header of an object. */
static inline struct fm_pool_slot *fm_fcb_pool_slot_of(void *obj)
{
	return (struct fm_pool_slot *)((uint8_t *)obj - FM_POOL_SLOT_HDR);
}

/** A VNF's area in an FCB, at the VNF's offset `vnf_off` (fm_shm_vnf.area_off). */
static inline void *fm_fcb_area(struct fm_fcb *fcb, uint32_t vnf_off)
{
	return (uint8_t *)fcb + fcb->area_off + vnf_off;
}

/** Remote decrement (any process but the owning worker): a packet of this FCB left the
 *  platform. @return the usage left (a snapshot: the owner may be changing it). */
static inline uint32_t fm_fcb_usage_dec(struct fm_fcb *fcb)
{
	static_assert(sizeof(_Atomic uint32_t) == sizeof(uint32_t), "atomic usage fits the FCB");
	_Atomic uint32_t *r = (_Atomic uint32_t *)&fcb->released;
	uint32_t rel = atomic_fetch_add_explicit(r, 1, memory_order_release) + 1;
	return atomic_load_explicit((_Atomic uint32_t *)&fcb->usage, memory_order_relaxed) - rel;
}

/** Packets in flight (acquire: pairs with the decrements of other processes). */
static inline uint32_t fm_fcb_usage_read(const struct fm_fcb *fcb)
{
	uint32_t rel =
	    atomic_load_explicit((_Atomic uint32_t *)&fcb->released, memory_order_acquire);
	return atomic_load_explicit((_Atomic uint32_t *)&fcb->usage, memory_order_relaxed) - rel;
}

/** Owning worker only: usage += d (d = 1 per classified packet, -1 per packet it puts back).
 *  A plain load and store: no other process writes `usage`. @return the packets in flight. */
static inline uint32_t fm_fcb_usage_own_add(struct fm_fcb *fcb, int32_t d)
{
	_Atomic uint32_t *u = (_Atomic uint32_t *)&fcb->usage;
	uint32_t v = atomic_load_explicit(u, memory_order_relaxed) + (uint32_t)d;
	atomic_store_explicit(u, v, memory_order_relaxed);
	return v - atomic_load_explicit((_Atomic uint32_t *)&fcb->released, memory_order_acquire);
}

/** Owning worker only: set the packets in flight to `to` (new session, garbage reset). */
static inline void fm_fcb_usage_own_set(struct fm_fcb *fcb, uint32_t to)
{
	uint32_t rel =
	    atomic_load_explicit((_Atomic uint32_t *)&fcb->released, memory_order_relaxed);
	atomic_store_explicit((_Atomic uint32_t *)&fcb->usage, rel + to, memory_order_relaxed);
}

#endif /* FM_FCB_H */
