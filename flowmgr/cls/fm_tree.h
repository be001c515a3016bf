/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_tree.h — combined classification: one tree for the whole chain, FCBs as leaves.
 *
 * What: fm_tree_build() compiles a chain (fm_chain.h: VNF traffic classes, sessions, scratchpad
 * sizes and the ordered edges of the graph) into ONE decision tree. A descent (fm_tree_lookup())
 * returns the packet's Flow Control Block: the path of the packet through the chain (next hops),
 * and one scratchpad area per VNF of that path, shared by all packets of the same session. The
 * result is identical to running each VNF's classifier in sequence (first-match edges, "context
 * link" semantics, early drop where nothing accepts, and where a drop follows VNFs that all
 * declared FM_DECL_EARLY_DROP) — tests/unit/cls checks it against a linear evaluation on random
 * chains and packets.
 *
 * Design (paper §II-A..F, docs/classification.md):
 *  - Synthesis splits the packet space recursively. A region is a set of per-field constraints
 *    (a known prefix, plus the values excluded on a default branch). In each region, every filter
 *    of the chain evaluates to true/false/unknown (three-valued, over its DNF); when the chain's
 *    path is still unknown, the region is split on the first field (enum fm_field order) that an
 *    undecided filter on a reachable edge tests, with one child per value of interest plus a
 *    default child. Static levels therefore come first. When the path is known, the region is a
 *    static leaf.
 *  - Session groups: all static leaves with the same path (and IP family, when sessions use
 *    addresses) share one session subtree, so a VNF's scratchpad is per (path, session) even when
 *    several rules lead to the same path. The session key is the union of the sessions of the
 *    VNFs on the path, minus fields that are constant in every leaf of the group (Table I: the HTTP
 *    path keys on 3 fields, NetFlow's on 2). A group without key fields is one static FCB.
 *  - PFP levels: by default one "session level" keyed on all PFP fields at once (one hash probe);
 *    opts.pfp_per_field gives the paper's one-level-per-field shape. On a miss the default child
 *    (the FCB template, or a template node) is duplicated with the packet's values.
 *  - Node kinds are chosen per node: two-case, sorted array, direct table (fields or prefixes of at
 *    most 16 bits), open-addressing hash (linear probing; keyed by opts.hash_seed, so nobody
 *    can build colliding keys without the seed: fm_hash.h). A dynamic node that is full GROWS:
 *    a larger node becomes its default child and receives all new sessions, the old one only
 *    serves its existing children and is spliced out when it becomes empty (no rehash stall).
 *    An empty session root shrinks back to its initial size.
 *  - Verify (fm_tree_verify(), paper Fig. 5) climbs from the FCB to the root comparing the packet's
 *    value at each level; a default branch checks that the packet's value has no explicit child; a
 *    group root with several static parents checks each parent's branch.
 *  - FCB layout (fm_layout.h): one offset per VNF, valid in every FCB it can see. The FCB itself
 *    (struct fm_fcb, its flags and usage count) is shared with the VNFs: common/fm_fcb.h.
 *
 * Memory: FCBs come from an allocator (struct fm_alloc, default malloc) so that a later layer can
 * hand out per-lcore hugepage pools. Nodes use malloc. No fixed cap on sessions other than memory;
 * on allocation failure fm_tree_lookup() returns NULL and counts it.
 *
 * Concurrency: one tree per writer. fm_tree_lookup() and fm_tree_release() modify dynamic nodes and
 * MUST NOT run concurrently on the same tree (flowmgr gives each worker lcore its own dynamic
 * subtrees, DESIGN.md "thread level"). fm_tree_verify() and the print functions only read.
 */
#ifndef FM_TREE_H
#define FM_TREE_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fm_chain.h"
#include "fm_fcb.h"
#include "fm_field.h"
#include "fm_filter.h"
#include "fm_hash.h"
#include "fm_pkt.h"

#define FM_PATH_MAX FM_FCB_MAX_HOPS /* VNF hops + the terminal hop */
#define FM_KEY_MAX  FM_F_COUNT	    /* fields in one level key */
#define FM_OFF_NONE UINT32_MAX	    /* VNF has no area (not on any path, or 0 bytes) */

/** FCB allocator: a later issue backs this with per-lcore hugepage pools. */
struct fm_alloc {
	void *(*alloc)(void *opaque, size_t size); /* NULL on failure */
	void (*free)(void *opaque, void *ptr, size_t size);
	void *opaque;
};

enum fm_node_kind { FM_NODE_AUTO = 0, FM_NODE_TWO, FM_NODE_ARRAY, FM_NODE_TABLE, FM_NODE_HASH };

enum fm_layout_mode {
	FM_LAYOUT_MAXIMAL = 0, /* ordered maximal offset (paper §II-C), default */
	FM_LAYOUT_PARALLEL, /* + bitvector over reachable components: no sharing along the graph */
	FM_LAYOUT_COMPACT,  /* most frequent first, lowest free offset */
};

struct fm_tree_opts {
	enum fm_layout_mode layout;
	uint32_t area_align;	       /* alignment of each VNF area; 0 = 8 */
	bool pfp_per_field;	       /* one dynamic level per PFP field (paper Fig. 4) */
	bool allow_impossible;	       /* impossible paths are warnings instead of errors */
	enum fm_node_kind static_kind; /* force a kind for static nodes (tests); AUTO = choose */
	uint32_t hash_init;	       /* initial capacity of session roots (power of 2); 0 = 64 */
	uint32_t max_load_pct;	       /* hash nodes grow above this load; 0 = 75 */
	const struct fm_alloc *fcb_alloc; /* NULL = malloc */
	/* Key of the hash nodes' hash (fm_hash.h): flowmgr's random per-start seed; all zero
	 * (tests, benchmarks) is valid and deterministic. */
	struct fm_hash_seed hash_seed;
	/* A live chain's next generation (docs/architecture.md, Chain generations): when keep_off
	 * is set, the layout is fm_layout_extend(keep_off, keep_size, area_capacity) instead of
	 * fm_layout_compute(): no area a live session uses moves. Arrays of FM_MAX_VNFS. */
	const uint32_t *keep_off;
	const uint32_t *keep_size;
	uint32_t area_capacity;
};

/*
 * The tree's header of nodes and FCBs: the parent link used by verify and release. A node starts
 * with it; an FCB (struct fm_fcb, common/fm_fcb.h: the layout other processes share) keeps it in
 * its first FM_FCB_PRIV_SIZE bytes, which no other process reads (the pointer is valid in flowmgr
 * only). fm_fcb_hdr() reaches it.
 */
struct fm_hdr {
	struct fm_node *parent;
	uint8_t is_fcb;
	uint8_t link; /* how the parent reaches us: key, default, group root, tree root */
	uint8_t nkey; /* FCB: number of key words */
	uint8_t pad;
	uint32_t group;
};
static_assert(sizeof(struct fm_hdr) == FM_FCB_PRIV_SIZE, "the tree's header fills fm_fcb.priv");
static_assert(offsetof(struct fm_fcb, priv) == 0, "an FCB starts with the tree's header");
static_assert(FM_PATH_MAX == FM_MAX_VNFS + 1, "an FCB's hops: every VNF and the terminal hop");

static inline struct fm_hdr *fm_fcb_hdr(struct fm_fcb *fcb)
{
	return (struct fm_hdr *)fcb->priv;
}
static inline const struct fm_hdr *fm_fcb_chdr(const struct fm_fcb *fcb)
{
	return (const struct fm_hdr *)fcb->priv;
}

struct fm_tree;
struct fm_node;

/**
 * Build the tree of a chain. Errors (filter syntax with the VNF/edge named, cycles, impossible
 * paths naming the VNFs, too large) go to err. @return 0, -EINVAL, -E2BIG or -ENOMEM.
 */
int fm_tree_build(const struct fm_chain *chain, const struct fm_tree_opts *opts,
		  struct fm_tree **out, char *err, size_t errlen);
/** Free the tree, every node and every FCB (session FCBs through the allocator). */
void fm_tree_destroy(struct fm_tree *t);

/**
 * Classify: descend the tree; on a PFP miss duplicate the default child with the packet's values.
 * @return the FCB (static or session), or NULL if a session FCB could not be allocated.
 * Not thread-safe (writer).
 */
struct fm_fcb *fm_tree_lookup(struct fm_tree *t, const struct fm_pkt *pkt);
/** Same, on field values already extracted with fm_pkt_fields(). */
struct fm_fcb *fm_tree_lookup_fields(struct fm_tree *t, const uint64_t *vals);
/** Read-only descent: the FCB if it exists (no duplication), else NULL for a session miss. */
const struct fm_fcb *fm_tree_find(const struct fm_tree *t, const uint64_t *vals);

/**
 * Descent from session group `group`'s root (fm_group_info; the group ids are the same in every
 * tree built from the same chain and options): the static levels are skipped, e.g. because the
 * NIC already classified the packet to this group (an rte_flow MARK, flowmgr/offload). The result
 * equals fm_tree_lookup_fields() for every packet that belongs to the group; for another packet
 * it is a wrong FCB, so the caller must know the group is right. NULL: no such group or no memory.
 * Not thread-safe (writer), like fm_tree_lookup().
 */
struct fm_fcb *fm_tree_lookup_group(struct fm_tree *t, uint32_t group, const uint64_t *vals);
/** Read-only variant (fm_tree_find() from the group's root). */
const struct fm_fcb *fm_tree_find_group(const struct fm_tree *t, uint32_t group,
					const uint64_t *vals);

/**
 * Prefetch what a lookup of vals will read at the session level (a burst's packets prefetched
 * in turn hide each other's cache misses): stage 0 the hash entries of the growth chain (and it
 * fills *hint), stage 1, after stage 0 of the other packets and with no change to the tree in
 * between, the FCB such an entry names (left in hint->fcb: only a hint, the lookup decides).
 * Read-only, no effect but on the CPU caches.
 */
struct fm_tree_hint {
	const struct fm_node *node; /* first dynamic node of the descent (NULL: none) */
	uint32_t h;		    /* the key's hash there */
	const struct fm_fcb *fcb;   /* stage 1: the FCB prefetched (a likely match), or NULL */
};
void fm_tree_prefetch(const struct fm_tree *t, const uint64_t *vals, struct fm_tree_hint *hint,
		      int stage);

/** Bottom-up check that `fcb` is the FCB a lookup of `pkt` returns (paper Fig. 5). Read-only. */
bool fm_tree_verify(const struct fm_tree *t, const struct fm_fcb *fcb, const struct fm_pkt *pkt);
bool fm_tree_verify_fields(const struct fm_tree *t, const struct fm_fcb *fcb, const uint64_t *vals);

/**
 * Release a session FCB: remove it from its node, free it, prune empty duplicated nodes, splice
 * drained growing nodes, shrink an empty session root. Static FCBs are not released.
 * @return 0, or -EINVAL for a static/template FCB.
 */
int fm_tree_release(struct fm_tree *t, struct fm_fcb *fcb);

/** Prefetch (for writing) the entry fm_tree_release() of this session FCB will erase. */
void fm_tree_prefetch_release(const struct fm_tree *t, const struct fm_fcb *fcb);

/** Pointer to a VNF's area in an FCB, or NULL if the VNF has no area. */
void *fm_fcb_vnf_area(const struct fm_tree *t, struct fm_fcb *fcb, int vnf);
/** A VNF's offset inside the FCB areas (FM_OFF_NONE if none) and size. */
uint32_t fm_tree_vnf_offset(const struct fm_tree *t, int vnf);
uint32_t fm_tree_vnf_size(const struct fm_tree *t, int vnf);
/** Bytes of VNF areas per FCB, and the full FCB size. */
uint32_t fm_tree_area_size(const struct fm_tree *t);
size_t fm_tree_fcb_size(const struct fm_tree *t);

/* ---- introspection ---------------------------------------------------------------------- */

struct fm_tree_stats {
	uint64_t sessions;   /* live session FCBs */
	uint64_t alloc_fail; /* lookups that could not allocate */
	uint64_t static_nodes;
	uint64_t dyn_nodes;	 /* live dynamic nodes (session roots included) */
	uint64_t dyn_node_bytes; /* bytes of those */
	uint64_t grows;		 /* growth events */
	uint64_t splices;	 /* drained growing nodes removed */
	uint64_t shrinks;	 /* empty session roots reset to initial size */
	uint32_t nb_paths, nb_groups, nb_static_fcbs;
};
void fm_tree_get_stats(const struct fm_tree *t, struct fm_tree_stats *st);

/** One path (class of Table I). */
struct fm_path_info {
	uint32_t id;
	uint8_t nb_hops;
	const int8_t *hops;
	bool early_drop;  /* hops are {FM_HOP_DROP}: dropped at classification */
	uint32_t drop_by; /* bit v: the drop is VNF v's (FM_DECL_EARLY_DROP); 0: no path accepts */
	uint32_t session; /* union of the abstract session fields of the VNFs on the path */
};
int fm_tree_nb_paths(const struct fm_tree *t);
int fm_tree_path_info(const struct fm_tree *t, int path, struct fm_path_info *out);

/** One session group: a path in one IP family, with its PFP key. */
struct fm_group_info {
	uint32_t path_id;
	enum fm_family family;
	uint32_t key_fields; /* bit i = enum fm_field i; 0 = static FCB */
	uint32_t nb_leaves;  /* static leaves (rules) leading to it */
	uint64_t sessions;
	enum fm_node_kind root_kind;
	uint32_t root_cap;  /* capacity of the newest node of the root chain */
	uint32_t chain_len; /* nodes in the root's growth chain (1 = not growing) */
};
int fm_tree_nb_groups(const struct fm_tree *t);
int fm_tree_group_info(const struct fm_tree *t, int group, struct fm_group_info *out);

/*
 * The static part of the tree as rules (for the offload, flowmgr/offload/fm_offload.h). Every
 * way from the root through static nodes to a session group root (or static FCB) is one *static
 * leaf*: the conjunction of the keyed branches it takes (pos: (value & mask) == value) and of the
 * default branches (neg: (value & mask) is none of vals). A packet reaches the group through this
 * leaf iff it satisfies all of it. Leaves are visited depth first, the explicit children of a node
 * in ascending key order before its default child: so when two leaves can both hold for a packet
 * on their pos parts alone, the tree takes the one visited first (it took a key where the later one
 * took the default).
 */
struct fm_tree_cons {
	uint8_t field; /* enum fm_field */
	uint64_t mask, value;
};
struct fm_tree_excl {
	uint8_t field;
	uint64_t mask;
	uint32_t nb;
	const uint64_t *vals; /* sorted ascending */
};
struct fm_static_leaf {
	uint32_t index; /* 0, 1, ... in visit order */
	uint32_t group; /* session group reached (fm_tree_group_info()) */
	uint32_t nb_pos, nb_neg;
	const struct fm_tree_cons *pos; /* in descent order; a field may repeat (longer masks) */
	const struct fm_tree_excl *neg;
};
/**
 * Call cb for every static leaf (the pointers are valid during the call only). A non-zero return
 * of cb stops the walk and is returned. @return 0, cb's value, -ENOMEM, or -E2BIG (deeper than
 * FM_TREE_WALK_DEPTH static levels).
 */
#define FM_TREE_WALK_DEPTH 256
int fm_tree_walk_static(const struct fm_tree *t,
			int (*cb)(void *arg, const struct fm_static_leaf *leaf), void *arg);

/** Warnings of the build (unused edges, ...), "" if none. */
const char *fm_tree_warnings(const struct fm_tree *t);

/** Print levels, node kinds, child counts, growth state. */
void fm_tree_print(const struct fm_tree *t, FILE *out);
/** Print the FCB layout: offset/size per VNF, and per path. */
void fm_layout_print(const struct fm_tree *t, FILE *out);
/** Format a path "netflow -> lb -> output". */
void fm_tree_format_path(const struct fm_tree *t, const int8_t *hops, int nb_hops, char *buf,
			 size_t len);

#endif /* FM_TREE_H */
