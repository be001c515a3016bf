/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_tree_int.h — internal structures of the classification tree (not for VNFs or other modules).
 *
 * Nodes: one `struct fm_node` per node whatever its kind; the kind-specific storage follows the
 * struct in the same allocation. Children are `struct fm_node *` or `struct fm_fcb *`, told apart
 * by hdr.is_fcb. Single-word levels keep the child's key in the node (no dereference on compare);
 * multi-word (session) levels keep the first word and a 32-bit hash in the node and compare the
 * rest in the child FCB.
 *
 * Growth chain: a dynamic node whose `growing` flag is set no longer takes insertions; its
 * default child `dflt` is its successor (same level, larger). The last node of a chain has
 * `dflt_tmpl` set: its default is the template (an FCB template or a template node) duplicated on
 * a miss.
 */
#ifndef FM_TREE_INT_H
#define FM_TREE_INT_H

#include "fm_layout.h"
#include "fm_tree.h"

enum fm_link { FM_LINK_KEY = 0, FM_LINK_DEFAULT, FM_LINK_GROUP, FM_LINK_ROOT };

struct fm_level {
	uint32_t id;
	uint8_t nf;	    /* fields in the key */
	uint8_t dynamic;    /* PFP */
	uint8_t table_bits; /* direct-table index bits (0 = no table possible) */
	uint8_t table_shift;
	uint8_t fields[FM_KEY_MAX];
	uint64_t masks[FM_KEY_MAX];
	struct fm_level *next;
};

struct fm_hent {
	uint32_t sig; /* hash; 0 never used as "empty": child == NULL is empty */
	uint32_t pad;
	uint64_t key0;
	void *child;
};

struct fm_node {
	struct fm_hdr hdr;
	uint64_t key; /* value at the parent level (link == KEY, single-word parent level) */
	const struct fm_level *level;
	void *dflt;
	uint32_t count; /* children (without default) */
	uint32_t cap;	/* slots */
	uint8_t kind;	/* enum fm_node_kind */
	uint8_t dynamic;
	uint8_t growing;
	uint8_t dflt_tmpl;
	uint32_t bytes;	 /* allocation size (accounting) */
	uint32_t cursor; /* growing node: next slot to migrate */
	union {
		struct {
			uint64_t key;
			void *child;
		} two;
		struct {
			uint64_t *keys;
			void **kids;
		} arr;
		void **table;
		struct fm_hent *hash;
	} u;
};

struct fm_path {
	uint8_t nb_hops;
	uint8_t early_drop;
	int8_t hops[FM_PATH_MAX];
	uint32_t session;    /* abstract union */
	uint32_t timeout_ms; /* min over stateful VNFs */
	uint32_t drop_by;    /* early-drop path: bit v = VNF v consented to the drop (else 0) */
};

struct fm_group {
	uint32_t id, path_id;
	uint8_t family;
	uint32_t key_fields; /* header fields of the PFP key */
	uint32_t
	    const_mask; /* build: header fields fully known with the same value in every leaf */
	uint64_t const_val[FM_F_COUNT];
	uint32_t nb_leaves;
	void *root;		/* session root node, or the static FCB */
	struct fm_fcb *tmpl;	/* FCB template (== root for static groups) */
	struct fm_node *tnodes; /* per-field template node chain (freed with the tree) */
	const struct fm_level *root_level;
	uint32_t root_init_cap;
	uint8_t root_init_kind;
	uint64_t sessions;
	struct fm_node **links; /* distinct static parents (NULL = tree root) */
	int nb_links, cap_links;
	/* Fast verify (fm_tree_verify_fields()): every field a static node tests is a key field
	 * of this group or one of its constants, so a packet whose key words equal an FCB's and
	 * whose fv_const fields equal const_val descends the static levels exactly as the packet
	 * that created the FCB did. Set by fm_tree_finalize(). */
	uint8_t fast_verify;
	uint32_t fv_const; /* constant fields to compare (tested statically, not in the key) */
	uint64_t fv_mask[FM_F_COUNT]; /* their full masks */
};

struct fm_tree {
	struct fm_tree_opts opts;
	struct fm_alloc alloc;
	void *root;
	int nb_vnfs;
	char names[FM_MAX_VNFS][FM_NAME_MAX];
	uint32_t vnf_sess[FM_MAX_VNFS];
	uint32_t vnf_off[FM_MAX_VNFS], vnf_size[FM_MAX_VNFS];
	uint8_t vnf_indirect[FM_MAX_VNFS];
	struct fm_layout_req layout_req;
	uint32_t area_size;
	uint32_t area_off; /* offset of the areas in an FCB */
	size_t fcb_size;
	uint32_t key_max;
	uint32_t static_fields; /* fields tested by some static node (bit i = enum fm_field i) */
	struct fm_level *levels;
	uint32_t nb_levels;
	struct fm_path *paths;
	uint32_t nb_paths, cap_paths;
	struct fm_group **groups;
	uint32_t nb_groups, cap_groups;
	struct fm_node **snodes; /* static nodes */
	uint32_t nb_snodes, cap_snodes;
	struct fm_tree_stats st;
	char *warn;
	size_t warn_len, warn_cap;
};

#define FM_IS_FCB(c) (((const struct fm_hdr *)(c))->is_fcb)

/* During synthesis, a leaf is its session group tagged with this bit (fm_tree_finalize() replaces
 * it by the group's root). */
#define FM_TAG_GROUP ((uintptr_t)1)

/* fm_tree.c: the level of these fields and masks, shared by every node that tests them. */
struct fm_level *fm_level_get(struct fm_tree *t, int nf, const uint8_t *fields,
			      const uint64_t *masks, int dynamic);
/* fm_tree_group.c: layout, group keys, templates and roots, then the group tags patched.
 * @return 0 or -errno (layout or allocation failure). */
int fm_tree_finalize(struct fm_tree *t, const struct fm_chain *ch);

/* fm_node.c */
/* The keyed hash of n key words under the tree's seed (fm_hash.h; opts.hash_seed). */
static inline uint32_t fm_hash_key(const struct fm_tree *t, const uint64_t *k, int n)
{
	return fm_hash_words(&t->opts.hash_seed, k, n);
}

struct fm_node *fm_node_new(struct fm_tree *t, const struct fm_level *lv, int kind, uint32_t cap,
			    int dynamic);
void fm_node_free(struct fm_tree *t, struct fm_node *n);
void *fm_node_find(const struct fm_node *n, const uint64_t *key, uint32_t h);
/* Slot holding the child of this key, or NULL. */
void **fm_node_find_slot(struct fm_node *n, const uint64_t *key, uint32_t h);
/* Insert (key must be absent, node not full). */
void fm_node_insert(struct fm_node *n, const uint64_t *key, uint32_t h, void *child);
/* Move the entry of slot i of hash node `from` to hash node `to` (same level, `to` not full)
 * with its stored hash and first key word: the child (an FCB) is not read. @return false if
 * either node is not a hash node or the slot is empty. */
bool fm_node_move_hash(struct fm_node *from, uint32_t i, struct fm_node *to);
/* Remove the child with this key. @return 0 or -ENOENT */
int fm_node_erase(struct fm_node *n, const uint64_t *key, uint32_t h);
bool fm_node_full(const struct fm_tree *t, const struct fm_node *n);
/* Number of slots and the child pointer slot i (NULL entries possible). */
uint32_t fm_node_nb_slots(const struct fm_node *n);
void **fm_node_slot(struct fm_node *n, uint32_t i);
/* Key of slot i (single-word levels), for printing. */
uint64_t fm_node_slot_key(const struct fm_node *n, uint32_t i);
const char *fm_node_kind_name(int kind);
/* Next kind/capacity when a dynamic node grows, and the initial ones. */
void fm_node_grow_params(const struct fm_tree *t, const struct fm_node *n, int *kind,
			 uint32_t *cap);

/* key extraction */
static inline void fm_level_key(const struct fm_level *lv, const uint64_t *vals, uint64_t *key)
{
	for (int i = 0; i < lv->nf; i++)
		key[i] = vals[lv->fields[i]] & lv->masks[i];
}

static inline const uint64_t *fm_child_key(const void *c)
{
	return FM_IS_FCB(c) ? ((const struct fm_fcb *)c)->key : &((const struct fm_node *)c)->key;
}

#endif /* FM_TREE_INT_H */
