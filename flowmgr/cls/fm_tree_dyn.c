/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_tree_dyn.c — the per-packet side of the tree: descent with PFP duplication, growth,
 * bottom-up verify, release with pruning/splicing/shrinking, destruction and accessors.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fm_tree_int.h"

/* A full chain-end node gets a larger successor that takes all new sessions. */
static struct fm_node *grow(struct fm_tree *t, struct fm_node *n)
{
	int kind;
	uint32_t cap;
	fm_node_grow_params(t, n, &kind, &cap);
	struct fm_node *s = fm_node_new(t, n->level, kind, cap, 1);
	if (!s)
		return NULL;
	s->dflt = n->dflt;
	s->dflt_tmpl = 1;
	s->hdr.parent = n;
	s->hdr.link = FM_LINK_DEFAULT;
	s->hdr.group = n->hdr.group;
	n->dflt = s;
	n->dflt_tmpl = 0;
	n->growing = 1;
	t->st.grows++;
	return s;
}

static struct fm_node *splice(struct fm_tree *t, struct fm_node *n);

/*
 * Incremental drain (Redis dict.c style): each insertion into the end of a growth chain moves at
 * most MIGRATE_STEP children out of the oldest growing node, scanning at most MIGRATE_SCAN slots.
 * The old node empties long before the new one fills (it grows x4), then it is spliced out, so
 * lookups of new sessions never walk a long chain and no step ever rehashes a whole table.
 */
#define MIGRATE_STEP 4
#define MIGRATE_SCAN 64

static void migrate(struct fm_tree *t, struct fm_node *end)
{
	struct fm_node *head = end;
	while (head->hdr.link == FM_LINK_DEFAULT && head->hdr.parent->growing)
		head = head->hdr.parent;
	if (head == end)
		return;
	int nf = head->level->nf;
	/* From the last slot down: the slots above the cursor are empty already, so erasing one
	 * shifts nothing back (linear probing) but a cluster that wraps around the end; a slot
	 * refilled by such a shift is looked at again. */
	for (int moved = 0, scan = 0;
	     moved < MIGRATE_STEP && scan < MIGRATE_SCAN && head->count && !fm_node_full(t, end);
	     scan++) {
		uint32_t nb = fm_node_nb_slots(head);
		if (head->cursor >= nb)
			head->cursor = 0;
		uint32_t i = nb - 1 - head->cursor;
		void **s = fm_node_slot(head, i);
		if (!*s) {
			head->cursor++;
			continue;
		}
		void *c = *s;
		if (fm_node_move_hash(head, i, end)) {
			/* the stored hash and key word move with it: the FCB's key is not read (a
			 * cold line per migrated session) */
			((struct fm_hdr *)c)->parent = end;
			moved++;
			continue;
		}
		uint64_t key[FM_KEY_MAX];
		if (nf == 1)
			key[0] = fm_node_slot_key(head, i);
		else
			memcpy(key, ((struct fm_fcb *)c)->key, (size_t)nf * sizeof(uint64_t));
		uint32_t h = fm_hash_key(t, key, nf);
		fm_node_erase(head, key, h);
		fm_node_insert(end, key, h, c);
		((struct fm_hdr *)c)->parent = end;
		moved++;
	}
	if (!head->count)
		splice(t, head);
}

/* PFP miss at the end of a chain: duplicate the default child with the packet's key. */
static void *spawn(struct fm_tree *t, struct fm_node *n, const uint64_t *key, uint32_t h)
{
	if (fm_node_full(t, n)) {
		n = grow(t, n);
		if (!n)
			return NULL;
	}
	void *tp = n->dflt;
	void *child;
	int nf = n->level->nf;
	if (FM_IS_FCB(tp)) {
		struct fm_fcb *f = t->alloc.alloc(t->alloc.opaque, t->fcb_size);
		if (!f)
			return NULL;
		memcpy(f, tp, t->fcb_size);
		f->flags = (uint8_t)((f->flags & ~FM_FCB_TEMPLATE) | FM_FCB_DYNAMIC);
		fm_fcb_hdr(f)->parent = n;
		fm_fcb_hdr(f)->link = FM_LINK_KEY;
		fm_fcb_hdr(f)->nkey = (uint8_t)nf;
		memcpy(f->key, key, (size_t)nf * sizeof(uint64_t));
		t->st.sessions++;
		t->groups[fm_fcb_hdr(f)->group]->sessions++;
		child = f;
	} else {
		const struct fm_node *tn = tp;
		struct fm_node *c = fm_node_new(t, tn->level, FM_NODE_TWO, 1, 1);
		if (!c)
			return NULL;
		c->dflt = tn->dflt;
		c->dflt_tmpl = 1;
		c->hdr.parent = n;
		c->hdr.link = FM_LINK_KEY;
		c->hdr.group = n->hdr.group;
		c->key = key[0];
		child = c;
	}
	fm_node_insert(n, key, h, child);
	if (n->hdr.link == FM_LINK_DEFAULT)
		migrate(t, n);
	return child;
}

/* The key's hash where a node uses it: hash nodes, and dynamic nodes (an insertion may go to a
 * hash successor). A static two-case, array or table node needs none. */
static inline uint32_t node_hash(const struct fm_tree *t, const struct fm_node *n,
				 const uint64_t *key)
{
	if (n->kind != FM_NODE_HASH && !n->dynamic)
		return 0;
	return fm_hash_key(t, key, n->level->nf);
}

/* Descent from node (or FCB) c, duplicating on PFP misses. */
static struct fm_fcb *descend(struct fm_tree *t, void *c, const uint64_t *vals)
{
	uint64_t key[FM_KEY_MAX];
	while (!FM_IS_FCB(c)) {
		struct fm_node *n = c;
		fm_level_key(n->level, vals, key);
		uint32_t h = node_hash(t, n, key);
		void *child = fm_node_find(n, key, h);
		while (!child) {
			if (!n->dynamic) {
				child = n->dflt;
			} else if (!n->dflt_tmpl) { /* growing: the successor has the same level */
				n = n->dflt;
				child = fm_node_find(n, key, h);
			} else {
				child = spawn(t, n, key, h);
				if (!child) {
					t->st.alloc_fail++;
					return NULL;
				}
			}
		}
		c = child;
	}
	return c;
}

struct fm_fcb *fm_tree_lookup_fields(struct fm_tree *t, const uint64_t *vals)
{
	return descend(t, t->root, vals);
}

struct fm_fcb *fm_tree_lookup_group(struct fm_tree *t, uint32_t group, const uint64_t *vals)
{
	if (group >= t->nb_groups)
		return NULL;
	return descend(t, t->groups[group]->root, vals);
}

struct fm_fcb *fm_tree_lookup(struct fm_tree *t, const struct fm_pkt *pkt)
{
	uint64_t v[FM_F_COUNT];
	fm_pkt_fields(pkt, v);
	return fm_tree_lookup_fields(t, v);
}

static const struct fm_fcb *find_from(const struct fm_tree *t, const void *c, const uint64_t *vals)
{
	uint64_t key[FM_KEY_MAX];
	while (!FM_IS_FCB(c)) {
		const struct fm_node *n = c;
		fm_level_key(n->level, vals, key);
		uint32_t h = node_hash(t, n, key);
		const void *child = fm_node_find(n, key, h);
		while (!child) {
			if (!n->dynamic)
				child = n->dflt;
			else if (!n->dflt_tmpl)
				n = n->dflt, child = fm_node_find(n, key, h);
			else
				return NULL;
		}
		c = child;
	}
	return c;
}

/*
 * Prefetch for a later lookup of vals (fm_tree.h). Stage 0 descends the static levels (read-only,
 * hot) and touches, at the session level, the entry the key hashes to in each node of the growth
 * chain; it leaves the node and hash in *hint. Stage 1, before any change to the tree, reads
 * those entries (in cache by then) and prefetches the FCB an entry with the same hash names.
 */
void fm_tree_prefetch(const struct fm_tree *t, const uint64_t *vals, struct fm_tree_hint *hint,
		      int stage)
{
	const struct fm_node *n;
	uint32_t h;
	if (stage == 0) {
		const void *c = t->root;
		uint64_t key[FM_KEY_MAX];
		hint->node = NULL;
		hint->fcb = NULL;
		for (;;) {
			if (!c || FM_IS_FCB(c))
				return;
			n = c;
			fm_level_key(n->level, vals, key);
			h = node_hash(t, n, key);
			if (n->dynamic)
				break;
			const void *child = fm_node_find(n, key, h);
			c = child ? child : n->dflt;
		}
		hint->node = n;
		hint->h = h;
	} else {
		n = hint->node;
		h = hint->h;
		if (!n)
			return;
	}
	for (int k = 0; k < 4; k++) {
		if (n->kind == FM_NODE_HASH) {
			const struct fm_hent *e = &n->u.hash[h & (n->cap - 1)];
			if (stage == 0) {
				__builtin_prefetch(e);
			} else if (e->child && e->sig == h) {
				const char *f = e->child;
				hint->fcb = e->child;
				__builtin_prefetch(f);
				__builtin_prefetch(f + 64);
				__builtin_prefetch(f + 96);
			}
		}
		if (n->dflt_tmpl || !n->dflt)
			break;
		n = n->dflt;
	}
}

const struct fm_fcb *fm_tree_find(const struct fm_tree *t, const uint64_t *vals)
{
	return find_from(t, t->root, vals);
}

const struct fm_fcb *fm_tree_find_group(const struct fm_tree *t, uint32_t group,
					const uint64_t *vals)
{
	if (group >= t->nb_groups)
		return NULL;
	return find_from(t, t->groups[group]->root, vals);
}

/* ---- verify (paper Fig. 5) -------------------------------------------------------------- */

static bool climb(const struct fm_tree *t, const void *c, const uint64_t *vals);

/* Does the descent step at static node s (or the tree root if NULL) lead to `root`? */
static bool link_ok(const struct fm_tree *t, const struct fm_node *s, const void *root,
		    const uint64_t *vals)
{
	if (!s)
		return t->root == root;
	uint64_t key[FM_KEY_MAX];
	fm_level_key(s->level, vals, key);
	const void *child = fm_node_find(s, key, node_hash(t, s, key));
	if (!child)
		child = s->dflt;
	return child == root && climb(t, s, vals);
}

static bool climb(const struct fm_tree *t, const void *c, const uint64_t *vals)
{
	uint64_t key[FM_KEY_MAX];
	for (;;) {
		const struct fm_hdr *h = c;
		const struct fm_node *n = h->parent;
		switch (h->link) {
		case FM_LINK_ROOT:
			return c == t->root;
		case FM_LINK_KEY: {
			fm_level_key(n->level, vals, key);
			const uint64_t *ck = fm_child_key(c);
			for (int i = 0; i < n->level->nf; i++)
				if (ck[i] != key[i])
					return false;
			break;
		}
		case FM_LINK_DEFAULT:
			/* growth successor: same level, key checked below; static: no explicit
			 * child */
			if (!n->dynamic) {
				fm_level_key(n->level, vals, key);
				if (fm_node_find(n, key, node_hash(t, n, key)))
					return false;
			}
			break;
		default: { /* FM_LINK_GROUP */
			const struct fm_group *g = t->groups[h->group];
			for (int i = 0; i < g->nb_links; i++)
				if (link_ok(t, g->links[i], c, vals))
					return true;
			return false;
		}
		}
		c = n;
	}
}

/* The key compare of a group with fast_verify (fm_tree_int.h): the FCB's key words against the
 * packet's at the session level, then the group's constants that static nodes test. */
static bool fast_verify(const struct fm_group *g, const struct fm_fcb *fcb, const uint64_t *vals)
{
	const struct fm_level *lv = g->root_level;
	for (int i = 0; i < lv->nf; i++)
		if ((vals[lv->fields[i]] & lv->masks[i]) != fcb->key[i])
			return false;
	for (uint32_t m = g->fv_const; m; m &= m - 1) {
		int f = __builtin_ctz(m);
		if ((vals[f] & g->fv_mask[f]) != g->const_val[f])
			return false;
	}
	return true;
}

bool fm_tree_verify_fields(const struct fm_tree *t, const struct fm_fcb *fcb, const uint64_t *vals)
{
	if (!fcb || (fcb->flags & FM_FCB_TEMPLATE))
		return false;
	const struct fm_hdr *h = fm_fcb_chdr(fcb);
	if ((fcb->flags & FM_FCB_DYNAMIC) && h->link == FM_LINK_KEY && h->group < t->nb_groups) {
		const struct fm_group *g = t->groups[h->group];
		if (g->fast_verify && h->parent && h->parent->level == g->root_level)
			return fast_verify(g, fcb, vals);
	}
	return climb(t, fcb, vals);
}

bool fm_tree_verify(const struct fm_tree *t, const struct fm_fcb *fcb, const struct fm_pkt *pkt)
{
	uint64_t v[FM_F_COUNT];
	fm_pkt_fields(pkt, v);
	return fm_tree_verify_fields(t, fcb, v);
}

/* ---- release ------------------------------------------------------------------------------ */

/* Point every static parent of group g (and the tree root) at `to` instead of `from`. */
static void relink_group(struct fm_tree *t, struct fm_group *g, void *from, void *to)
{
	g->root = to;
	for (int i = 0; i < g->nb_links; i++) {
		struct fm_node *s = g->links[i];
		if (!s) {
			t->root = to;
			continue;
		}
		for (uint32_t k = 0; k < fm_node_nb_slots(s); k++) {
			void **slot = fm_node_slot(s, k);
			if (*slot == from)
				*slot = to;
		}
		if (s->dflt == from)
			s->dflt = to;
	}
}

/* Replace node n by its successor s in n's parent (n is growing and empty). */
static struct fm_node *splice(struct fm_tree *t, struct fm_node *n)
{
	struct fm_node *s = n->dflt;
	struct fm_node *p = n->hdr.parent;
	s->hdr = n->hdr;
	s->key = n->key;
	switch (n->hdr.link) {
	case FM_LINK_KEY: { /* per-field duplicate: its parent is a single-word level */
		uint64_t k = n->key;
		void **slot = fm_node_find_slot(p, &k, fm_hash_key(t, &k, 1));
		if (slot)
			*slot = s;
		break;
	}
	case FM_LINK_DEFAULT:
		p->dflt = s;
		break;
	default:
		relink_group(t, t->groups[n->hdr.group], n, s);
		break;
	}
	fm_node_free(t, n);
	t->st.splices++;
	return s;
}

static void after_erase(struct fm_tree *t, struct fm_node *n)
{
	while (n && n->count == 0) {
		if (n->growing) {
			n = splice(t, n);
			continue;
		}
		if (n->hdr.link == FM_LINK_KEY) { /* duplicated per-field node: prune */
			struct fm_node *p = n->hdr.parent;
			uint64_t k = n->key;
			fm_node_erase(p, &k, fm_hash_key(t, &k, 1));
			fm_node_free(t, n);
			n = p;
			continue;
		}
		if (n->hdr.link == FM_LINK_GROUP) {
			struct fm_group *g = t->groups[n->hdr.group];
			if (n->kind == g->root_init_kind && n->cap == g->root_init_cap)
				return;
			struct fm_node *r =
			    fm_node_new(t, n->level, g->root_init_kind, g->root_init_cap, 1);
			if (!r)
				return; /* keep the larger node: still correct */
			r->hdr = n->hdr;
			r->dflt = n->dflt;
			r->dflt_tmpl = n->dflt_tmpl;
			relink_group(t, g, n, r);
			fm_node_free(t, n);
			t->st.shrinks++;
		}
		return;
	}
}

void fm_tree_prefetch_release(const struct fm_tree *t, const struct fm_fcb *fcb)
{
	const struct fm_hdr *h = fm_fcb_chdr(fcb);
	const struct fm_node *n = h->parent;
	if (!(fcb->flags & FM_FCB_DYNAMIC) || !n || n->kind != FM_NODE_HASH || h->nkey > FM_KEY_MAX)
		return;
	__builtin_prefetch(&n->u.hash[fm_hash_key(t, fcb->key, h->nkey) & (n->cap - 1)], 1);
}

int fm_tree_release(struct fm_tree *t, struct fm_fcb *fcb)
{
	if (!fcb || !(fcb->flags & FM_FCB_DYNAMIC))
		return -EINVAL;
	struct fm_node *n = fm_fcb_hdr(fcb)->parent;
	if (fm_node_erase(n, fcb->key, fm_hash_key(t, fcb->key, fm_fcb_hdr(fcb)->nkey)))
		return -EINVAL;
	t->st.sessions--;
	t->groups[fm_fcb_hdr(fcb)->group]->sessions--;
	t->alloc.free(t->alloc.opaque, fcb, t->fcb_size);
	after_erase(t, n);
	return 0;
}

/* ---- destruction ---------------------------------------------------------------------------- */

static void free_dyn(struct fm_tree *t, void *c)
{
	if (!c)
		return;
	if (FM_IS_FCB(c)) {
		struct fm_fcb *f = c;
		if (f->flags & FM_FCB_DYNAMIC)
			t->alloc.free(t->alloc.opaque, f, t->fcb_size);
		return; /* templates / static FCBs: freed with their group */
	}
	struct fm_node *n = c;
	for (uint32_t i = 0; i < fm_node_nb_slots(n); i++) {
		void **s = fm_node_slot(n, i);
		if (*s)
			free_dyn(t, *s);
	}
	if (!n->dflt_tmpl)
		free_dyn(t, n->dflt);
	fm_node_free(t, n);
}

void fm_tree_destroy(struct fm_tree *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->nb_groups; i++) {
		struct fm_group *g = t->groups[i];
		if (g->root && g->root != g->tmpl)
			free_dyn(t, g->root);
		for (struct fm_node *tn = g->tnodes, *next; tn; tn = next) {
			next = tn->hdr.parent;
			free(tn);
		}
		free(g->tmpl);
		free(g->links);
		free(g);
	}
	for (uint32_t i = 0; i < t->nb_snodes; i++)
		free(t->snodes[i]);
	for (struct fm_level *l = t->levels, *next; l; l = next) {
		next = l->next;
		free(l);
	}
	free(t->groups);
	free(t->snodes);
	free(t->paths);
	free(t->warn);
	free(t);
}

/* ---- accessors ------------------------------------------------------------------------------ */

void *fm_fcb_vnf_area(const struct fm_tree *t, struct fm_fcb *fcb, int vnf)
{
	if (vnf < 0 || vnf >= t->nb_vnfs || t->vnf_off[vnf] == FM_OFF_NONE)
		return NULL;
	return (uint8_t *)fcb + fcb->area_off + t->vnf_off[vnf];
}

uint32_t fm_tree_vnf_offset(const struct fm_tree *t, int vnf)
{
	return vnf >= 0 && vnf < t->nb_vnfs ? t->vnf_off[vnf] : FM_OFF_NONE;
}

uint32_t fm_tree_vnf_size(const struct fm_tree *t, int vnf)
{
	return vnf >= 0 && vnf < t->nb_vnfs ? t->vnf_size[vnf] : 0;
}

uint32_t fm_tree_area_size(const struct fm_tree *t)
{
	return t->area_size;
}

size_t fm_tree_fcb_size(const struct fm_tree *t)
{
	return t->fcb_size;
}

void fm_tree_get_stats(const struct fm_tree *t, struct fm_tree_stats *st)
{
	*st = t->st;
	st->nb_paths = t->nb_paths;
	st->nb_groups = t->nb_groups;
	st->nb_static_fcbs = 0;
	for (uint32_t i = 0; i < t->nb_groups; i++)
		st->nb_static_fcbs += !t->groups[i]->key_fields;
}

int fm_tree_nb_paths(const struct fm_tree *t)
{
	return (int)t->nb_paths;
}

int fm_tree_path_info(const struct fm_tree *t, int path, struct fm_path_info *out)
{
	if (path < 0 || (uint32_t)path >= t->nb_paths)
		return -EINVAL;
	const struct fm_path *p = &t->paths[path];
	out->id = (uint32_t)path;
	out->nb_hops = p->nb_hops;
	out->hops = p->hops;
	out->early_drop = p->early_drop;
	out->drop_by = p->drop_by;
	out->session = p->session;
	return 0;
}

int fm_tree_nb_groups(const struct fm_tree *t)
{
	return (int)t->nb_groups;
}

int fm_tree_group_info(const struct fm_tree *t, int group, struct fm_group_info *out)
{
	if (group < 0 || (uint32_t)group >= t->nb_groups)
		return -EINVAL;
	const struct fm_group *g = t->groups[group];
	memset(out, 0, sizeof(*out));
	out->path_id = g->path_id;
	out->family = (enum fm_family)g->family;
	out->key_fields = g->key_fields;
	out->nb_leaves = g->nb_leaves;
	out->sessions = g->sessions;
	if (g->key_fields) {
		const struct fm_node *n = g->root;
		out->chain_len = 1;
		while (!n->dflt_tmpl) {
			n = n->dflt;
			out->chain_len++;
		}
		out->root_kind = (enum fm_node_kind)n->kind;
		out->root_cap = n->cap;
	}
	return 0;
}

const char *fm_tree_warnings(const struct fm_tree *t)
{
	return t->warn ? t->warn : "";
}
