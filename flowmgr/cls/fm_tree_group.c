/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_tree_group.c — the second half of synthesis (see fm_tree.h for the design): once the static
 * levels are built and every leaf names its session group, compute the FCB layout, each group's
 * session key, its FCB template and session root, and replace the leaves' group tags by the roots.
 * fm_tree.c splits the packet space; descent, verify and release live in fm_tree_dyn.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fm_tree_int.h"

/* One offset per VNF (fm_layout.h) over the paths the synthesis found. */
static int compute_layout(struct fm_tree *t, const struct fm_chain *ch)
{
	struct fm_layout_req *r = &t->layout_req;
	memset(r, 0, sizeof(*r));
	r->nb_vnfs = t->nb_vnfs;
	r->mode = t->opts.layout;
	r->align = t->opts.area_align;
	for (int v = 0; v < t->nb_vnfs; v++) {
		const struct fm_decl *d = &ch->vnfs[v];
		t->vnf_indirect[v] = d->isolation == FM_ISO_INDIRECT;
		r->size[v] = d->scratchpad ? (t->vnf_indirect[v] ? 4 : d->scratchpad) : 0;
		t->vnf_size[v] = r->size[v];
	}
	/* reachability closure of the graph */
	for (int v = 0; v < t->nb_vnfs; v++)
		for (int e = 0; e < ch->nodes[v].nb_edges; e++)
			if (ch->nodes[v].edges[e].to >= 0)
				r->reach[v] |= 1u << ch->nodes[v].edges[e].to;
	for (int k = 0; k < t->nb_vnfs; k++)
		for (int v = 0; v < t->nb_vnfs; v++)
			if (r->reach[v] & (1u << k))
				r->reach[v] |= r->reach[k];
	uint8_t *len = calloc(t->nb_paths ? t->nb_paths : 1, 1);
	const int8_t **paths = calloc(t->nb_paths ? t->nb_paths : 1, sizeof(*paths));
	if (!len || !paths) {
		free(len);
		free(paths);
		return -ENOMEM;
	}
	for (uint32_t p = 0; p < t->nb_paths; p++) {
		paths[p] = t->paths[p].hops;
		len[p] = (uint8_t)(t->paths[p].nb_hops - 1);
	}
	r->nb_paths = (int)t->nb_paths;
	r->path = paths;
	r->len = len;
	char why[256];
	int rc = t->opts.keep_off == NULL ? fm_layout_compute(r, t->vnf_off, &t->area_size)
					  : fm_layout_extend(r, t->opts.keep_off, t->opts.keep_size,
							     t->opts.area_capacity, t->vnf_off,
							     &t->area_size, why, sizeof(why));
	r->path = NULL;
	r->len = NULL;
	free(len);
	free(paths);
	return rc;
}

static void group_finalize_key(struct fm_tree *t, struct fm_group *g)
{
	const struct fm_path *p = &t->paths[g->path_id];
	g->key_fields =
	    fm_session_header_fields(p->session, (enum fm_family)g->family) & ~g->const_mask;
	uint32_t nk = (uint32_t)__builtin_popcount(g->key_fields);
	if (t->opts.pfp_per_field && nk)
		nk = 1;
	if (nk > t->key_max)
		t->key_max = nk;
}

static struct fm_fcb *make_template(struct fm_tree *t, struct fm_group *g)
{
	const struct fm_path *p = &t->paths[g->path_id];
	struct fm_fcb *f = calloc(1, t->fcb_size);
	if (!f)
		return NULL;
	fm_fcb_hdr(f)->is_fcb = 1;
	fm_fcb_hdr(f)->group = g->id;
	f->path_id = g->path_id;
	f->area_off = (uint16_t)t->area_off;
	f->nb_hops = p->nb_hops;
	memcpy(f->hops, p->hops, p->nb_hops);
	f->timeout_ms = p->timeout_ms;
	f->flags = p->early_drop ? FM_FCB_EARLY_DROP : 0;
	for (int i = 0; i + 1 < p->nb_hops; i++) {
		int v = p->hops[i];
		if (t->vnf_indirect[v] && t->vnf_size[v])
			memset((uint8_t *)f + t->area_off + t->vnf_off[v], 0xff, 4);
	}
	return f;
}

static int group_make_root(struct fm_tree *t, struct fm_group *g)
{
	g->tmpl = make_template(t, g);
	if (!g->tmpl)
		return -ENOMEM;
	if (!g->key_fields) {
		g->root = g->tmpl;
		fm_fcb_hdr(g->tmpl)->link = FM_LINK_GROUP;
		return 0;
	}
	g->tmpl->flags |= FM_FCB_TEMPLATE;
	uint8_t fields[FM_KEY_MAX];
	uint64_t masks[FM_KEY_MAX];
	int nf = 0;
	for (int f = 0; f < FM_F_COUNT; f++) {
		if (g->key_fields & (1u << f)) {
			fields[nf] = (uint8_t)f;
			masks[nf++] = fm_field_full_mask(f);
		}
	}
	void *next = g->tmpl;
	int nroot = t->opts.pfp_per_field ? 1 : nf;
	if (t->opts.pfp_per_field) { /* template nodes for levels 2..nf, built bottom-up */
		for (int i = nf - 1; i >= 1; i--) {
			const struct fm_level *lv = fm_level_get(t, 1, &fields[i], &masks[i], 1);
			struct fm_node *tn = lv ? fm_node_new(t, lv, FM_NODE_TWO, 1, 2) : NULL;
			if (!tn)
				return -ENOMEM;
			tn->dynamic = 1;
			tn->dflt = next;
			tn->dflt_tmpl = 1;
			tn->hdr.group = g->id;
			tn->hdr.parent = g->tnodes; /* template chain, for freeing */
			g->tnodes = tn;
			next = tn;
		}
	}
	const struct fm_level *lv = fm_level_get(t, nroot, fields, masks, 1);
	if (!lv)
		return -ENOMEM;
	g->root_level = lv;
	g->root_init_kind = FM_NODE_HASH;
	g->root_init_cap = t->opts.hash_init;
	struct fm_node *r = fm_node_new(t, lv, FM_NODE_HASH, t->opts.hash_init, 1);
	if (!r)
		return -ENOMEM;
	r->dflt = next;
	r->dflt_tmpl = 1;
	r->hdr.link = FM_LINK_GROUP;
	r->hdr.group = g->id;
	g->root = r;
	return 0;
}

/*
 * Which groups verify with a key compare (struct fm_group.fast_verify). A static node's choice is
 * a function of the fields its level tests; if each of those fields is a key field of the group
 * (the FCB holds its full value) or a constant of every leaf of the group (const_val), two
 * packets that agree on them descend the static levels alike. Only one session level: with
 * per-field PFP nodes (pfp_per_field) the upper levels' keys are not in the FCB.
 */
static void fast_verify_plan(struct fm_tree *t)
{
	t->static_fields = 0;
	for (uint32_t i = 0; i < t->nb_snodes; i++) {
		const struct fm_level *lv = t->snodes[i]->level;
		for (int k = 0; lv && k < lv->nf; k++)
			t->static_fields |= 1u << lv->fields[k];
	}
	for (uint32_t i = 0; i < t->nb_groups; i++) {
		struct fm_group *g = t->groups[i];
		uint32_t rest = t->static_fields & ~g->key_fields;
		g->fast_verify =
		    g->key_fields && g->root_level &&
		    (uint32_t)g->root_level->nf == (uint32_t)__builtin_popcount(g->key_fields) &&
		    (rest & ~g->const_mask) == 0;
		g->fv_const = rest & g->const_mask;
		for (int f = 0; f < FM_F_COUNT; f++)
			g->fv_mask[f] = fm_field_full_mask(f);
	}
}

static int group_add_link(struct fm_group *g, struct fm_node *s)
{
	for (int i = 0; i < g->nb_links; i++)
		if (g->links[i] == s)
			return 0;
	if (g->nb_links == g->cap_links) {
		int cap = g->cap_links ? g->cap_links * 2 : 4;
		struct fm_node **n = realloc(g->links, (size_t)cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		g->links = n;
		g->cap_links = cap;
	}
	g->links[g->nb_links++] = s;
	return 0;
}

/* Replace tagged group references by the group roots and record the static parents. */
static int patch_groups(struct fm_tree *t)
{
	for (uint32_t i = 0; i < t->nb_snodes; i++) {
		struct fm_node *s = t->snodes[i];
		for (uint32_t k = 0; k < fm_node_nb_slots(s); k++) {
			void **slot = fm_node_slot(s, k);
			if (*slot && ((uintptr_t)*slot & FM_TAG_GROUP)) {
				struct fm_group *g = (void *)((uintptr_t)*slot & ~FM_TAG_GROUP);
				*slot = g->root;
				if (group_add_link(g, s))
					return -ENOMEM;
			}
		}
		if ((uintptr_t)s->dflt & FM_TAG_GROUP) {
			struct fm_group *g = (void *)((uintptr_t)s->dflt & ~FM_TAG_GROUP);
			s->dflt = g->root;
			if (group_add_link(g, s))
				return -ENOMEM;
		}
	}
	if ((uintptr_t)t->root & FM_TAG_GROUP) {
		struct fm_group *g = (void *)((uintptr_t)t->root & ~FM_TAG_GROUP);
		t->root = g->root;
		if (group_add_link(g, NULL))
			return -ENOMEM;
	} else {
		((struct fm_hdr *)t->root)->link = FM_LINK_ROOT;
	}
	return 0;
}

int fm_tree_finalize(struct fm_tree *t, const struct fm_chain *ch)
{
	int rc = compute_layout(t, ch);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < t->nb_groups; i++)
		group_finalize_key(t, t->groups[i]);
	uint32_t al = t->opts.area_align < 8 ? 8 : t->opts.area_align;
	t->area_off = (uint32_t)((sizeof(struct fm_fcb) + 8 * t->key_max + al - 1) & ~(al - 1));
	t->fcb_size = t->area_off + t->area_size;
	for (uint32_t i = 0; i < t->nb_groups; i++)
		if (group_make_root(t, t->groups[i]))
			return -ENOMEM;
	fast_verify_plan(t);
	return patch_groups(t);
}
