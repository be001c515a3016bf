/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_tree_walk.c — the static part of the tree as a list of rules (fm_tree_walk_static(), see
 * fm_tree.h): what the offload (flowmgr/offload) turns into rte_flow rules. Read-only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fm_tree_int.h"

struct walk {
	const struct fm_tree *t;
	int (*cb)(void *arg, const struct fm_static_leaf *leaf);
	void *arg;
	uint32_t index;
	uint32_t nb_pos, nb_neg;
	struct fm_tree_cons pos[FM_TREE_WALK_DEPTH];
	struct fm_tree_excl neg[FM_TREE_WALK_DEPTH];
};

struct kid {
	uint64_t key;
	void *child;
};

static int kid_cmp(const void *a, const void *b)
{
	const struct kid *x = a, *y = b;
	return x->key < y->key ? -1 : x->key > y->key;
}

static int walk_child(struct walk *w, const void *c);

/* Explicit children in key order (each with its key as a pos constraint), then the default
 * (with every key as an exclusion). */
static int walk_node(struct walk *w, const struct fm_node *n)
{
	uint32_t ns = fm_node_nb_slots(n), nk = 0;
	struct kid *kids;
	uint64_t *vals;
	int rc = 0;

	if (n->level->nf != 1)
		return -EINVAL; /* static levels test one field */
	if (w->nb_pos >= FM_TREE_WALK_DEPTH || w->nb_neg >= FM_TREE_WALK_DEPTH)
		return -E2BIG;
	kids = malloc((n->count ? n->count : 1) * sizeof(*kids));
	vals = malloc((n->count ? n->count : 1) * sizeof(*vals));
	if (kids == NULL || vals == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < ns && nk < n->count; i++) {
		void **s = fm_node_slot((struct fm_node *)n, i);
		if (*s)
			kids[nk++] = (struct kid){fm_node_slot_key(n, i), *s};
	}
	qsort(kids, nk, sizeof(*kids), kid_cmp);
	for (uint32_t k = 0; k < nk && rc == 0; k++) {
		w->pos[w->nb_pos++] =
		    (struct fm_tree_cons){n->level->fields[0], n->level->masks[0], kids[k].key};
		rc = walk_child(w, kids[k].child);
		w->nb_pos--;
		vals[k] = kids[k].key;
	}
	if (rc == 0) {
		w->neg[w->nb_neg++] =
		    (struct fm_tree_excl){n->level->fields[0], n->level->masks[0], nk, vals};
		rc = walk_child(w, n->dflt);
		w->nb_neg--;
	}
out:
	free(kids);
	free(vals);
	return rc;
}

static int walk_child(struct walk *w, const void *c)
{
	const struct fm_hdr *h = c;

	/* a group root: a static FCB or a session root (also when it is the tree's root) */
	if (h->is_fcb || ((const struct fm_node *)c)->dynamic) {
		struct fm_static_leaf leaf = {
		    .index = w->index++,
		    .group = h->group,
		    .nb_pos = w->nb_pos,
		    .nb_neg = w->nb_neg,
		    .pos = w->pos,
		    .neg = w->neg,
		};
		return w->cb(w->arg, &leaf);
	}
	return walk_node(w, c);
}

int fm_tree_walk_static(const struct fm_tree *t,
			int (*cb)(void *arg, const struct fm_static_leaf *leaf), void *arg)
{
	struct walk *w = calloc(1, sizeof(*w));
	int rc;

	if (w == NULL)
		return -ENOMEM;
	w->t = t;
	w->cb = cb;
	w->arg = arg;
	rc = walk_child(w, t->root);
	free(w);
	return rc;
}
