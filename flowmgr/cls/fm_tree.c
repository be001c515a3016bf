/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_tree.c — synthesis of the chain into one tree (see fm_tree.h for the design): chain
 * validation, the recursive split of the packet space into static levels, and the leaves (session
 * groups). Layout, templates and session roots are in fm_tree_group.c; descent, verify and release
 * in fm_tree_dyn.c; printing in fm_tree_print.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fm_tree_int.h"

#define MAX_STATIC_NODES (1u << 18)

enum { F3 = 0, T3 = 1, U3 = 2 };

struct region_f {
	uint64_t km, kv;
	uint64_t em; /* exclusion mask (0: none) */
	const uint64_t *ev;
	uint32_t nev;
};

struct region {
	struct region_f f[FM_F_COUNT];
};

#define MAX_FILTERS (FM_MAX_EDGES + FM_MAX_VNFS * (FM_MAX_EDGES + 1))

struct build {
	struct fm_tree *t;
	const struct fm_chain *ch;
	struct fm_filter *filt[MAX_FILTERS];
	int nfilt;
	int cls[FM_MAX_VNFS];
	int match[FM_MAX_VNFS + 1][FM_MAX_EDGES]; /* [0] = input, [v+1] = vnf v */
	uint8_t used[FM_MAX_VNFS + 1][FM_MAX_EDGES];
	void **arena;
	int narena, caparena;
	char *err;
	size_t errlen;
	int rc;
};

static void berr(struct build *b, int rc, const char *fmt, ...)
{
	if (b->rc)
		return;
	b->rc = rc;
	if (!b->err || !b->errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b->err, b->errlen, fmt, ap);
	va_end(ap);
}

static void *arena_alloc(struct build *b, size_t sz)
{
	if (b->narena == b->caparena) {
		int cap = b->caparena ? b->caparena * 2 : 64;
		void **n = realloc(b->arena, (size_t)cap * sizeof(*n));
		if (!n)
			return NULL;
		b->arena = n;
		b->caparena = cap;
	}
	void *p = malloc(sz ? sz : 1);
	if (p)
		b->arena[b->narena++] = p;
	return p;
}

static void fm_tree_warn(struct fm_tree *t, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	size_t need = t->warn_len + strlen(line) + 2;
	if (need > t->warn_cap) {
		size_t cap = need * 2;
		char *w = realloc(t->warn, cap);
		if (!w)
			return;
		t->warn = w;
		t->warn_cap = cap;
	}
	memcpy(t->warn + t->warn_len, line, strlen(line));
	t->warn_len += strlen(line);
	t->warn[t->warn_len++] = '\n';
	t->warn[t->warn_len] = 0;
}

/* ---- three-valued evaluation over a region ---------------------------------------------- */

static int lit3(const struct fm_lit *l, const struct region *r)
{
	const struct region_f *f = &r->f[l->field];
	int res;
	if ((l->mask & ~f->km) == 0) {
		res = (f->kv & l->mask) == l->value ? T3 : F3;
	} else if ((l->value & f->km) != f->kv) {
		res = F3;
	} else {
		res = U3;
		if (f->nev && (f->em & ~l->mask) == 0) {
			uint64_t x = l->value & f->em;
			for (uint32_t i = 0; i < f->nev; i++)
				if (f->ev[i] == x) {
					res = F3;
					break;
				}
		}
	}
	if (l->neg && res != U3)
		res = res == T3 ? F3 : T3;
	return res;
}

static int filter3(const struct fm_filter *fl, const struct region *r)
{
	int res = F3;
	for (uint32_t c = 0; c < fl->nb_conj; c++) {
		int cr = T3;
		for (uint32_t i = 0; i < fl->conj[c].n && cr != F3; i++) {
			int lr = lit3(&fl->lits[fl->conj[c].first + i], r);
			if (lr == F3)
				cr = F3;
			else if (lr == U3)
				cr = U3;
		}
		if (cr == T3)
			return T3;
		if (cr == U3)
			res = U3;
	}
	return res;
}

static int and3(int a, int b)
{
	if (a == F3 || b == F3)
		return F3;
	if (a == U3 || b == U3)
		return U3;
	return T3;
}

static const struct fm_chain_node *chain_node(const struct build *b, int idx)
{
	return idx < 0 ? &b->ch->input : &b->ch->nodes[idx];
}

/*
 * Early drop (FM_DECL_EARLY_DROP, paper §II-D): a path that ends in a drop after its VNFs becomes
 * an early-drop path when every VNF on it declared that flowmgr may do its drops; the packets of
 * that class are then dropped at classification (no VNF sees them, no session is kept) and the
 * VNFs are remembered in drop_by. One VNF without the flag keeps the whole path: it sees those
 * packets (e.g. to count them), and so must every VNF before it, whose output it receives.
 */
static void early_drop_consented(const struct build *b, struct fm_path *p)
{
	uint32_t by = 0;
	if (p->nb_hops < 2 || p->hops[p->nb_hops - 1] != FM_HOP_DROP)
		return;
	for (int i = 0; i + 1 < p->nb_hops; i++) {
		if (!(b->ch->vnfs[p->hops[i]].flags & FM_DECL_EARLY_DROP))
			return;
		by |= 1u << p->hops[i];
	}
	p->drop_by = by;
	p->hops[0] = FM_HOP_DROP;
	memset(p->hops + 1, 0, sizeof(p->hops) - 1);
	p->nb_hops = 1;
}

/* Follow the chain in a region. @return 1 (path known, in *p; edges in e[]), 0 (undecided). */
static int simulate(struct build *b, const uint8_t *ev, struct fm_path *p, int *enode, int *eidx,
		    int *ne)
{
	int node = -1;
	memset(p, 0, sizeof(*p));
	*ne = 0;
	for (;;) {
		const struct fm_chain_node *cn = chain_node(b, node);
		int taken = -1;
		for (int e = 0; e < cn->nb_edges; e++) {
			int to = cn->edges[e].to;
			int r = ev[b->match[node + 1][e]];
			if (to >= 0)
				r = and3(r, ev[b->cls[to]]);
			if (r == F3)
				continue;
			if (r == U3)
				return 0;
			taken = e;
			break;
		}
		if (taken < 0) {
			p->hops[p->nb_hops++] =
			    (node >= 0 && cn->nb_edges == 0) ? FM_HOP_OUTPUT : FM_HOP_DROP;
			break;
		}
		enode[*ne] = node;
		eidx[(*ne)++] = taken;
		int to = cn->edges[taken].to;
		p->hops[p->nb_hops++] = (int8_t)to;
		if (to < 0)
			break;
		node = to;
	}
	early_drop_consented(b, p);
	p->early_drop = p->hops[0] == FM_HOP_DROP;
	for (int i = 0; i + 1 < p->nb_hops; i++) {
		int v = p->hops[i];
		uint32_t s = b->t->vnf_sess[v];
		p->session |= s;
		uint32_t to = b->ch->vnfs[v].timeout_ms;
		if (s && (!p->timeout_ms || to < p->timeout_ms))
			p->timeout_ms = to;
	}
	return 1;
}

/* Mark the filters that are undecided on some reachable edge (three-valued exploration). */
static void explore(struct build *b, const uint8_t *ev, int node, uint8_t *frontier, int *budget)
{
	const struct fm_chain_node *cn = chain_node(b, node);
	for (int e = 0; e < cn->nb_edges; e++) {
		if (--*budget < 0)
			return;
		int to = cn->edges[e].to;
		int mi = b->match[node + 1][e];
		int rm = ev[mi], rc = to >= 0 ? ev[b->cls[to]] : T3;
		int r = and3(rm, rc);
		if (r == F3)
			continue;
		if (r == U3) {
			if (rm == U3)
				frontier[mi] = 1;
			if (rc == U3)
				frontier[b->cls[to]] = 1;
		}
		if (to >= 0)
			explore(b, ev, to, frontier, budget);
		if (r == T3)
			return;
	}
}

/* ---- leaves and groups ------------------------------------------------------------------ */

static int path_intern(struct fm_tree *t, const struct fm_path *p)
{
	for (uint32_t i = 0; i < t->nb_paths; i++)
		if (t->paths[i].nb_hops == p->nb_hops && t->paths[i].drop_by == p->drop_by &&
		    !memcmp(t->paths[i].hops, p->hops, p->nb_hops))
			return (int)i;
	if (t->nb_paths == t->cap_paths) {
		uint32_t cap = t->cap_paths ? t->cap_paths * 2 : 16;
		struct fm_path *n = realloc(t->paths, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		t->paths = n;
		t->cap_paths = cap;
	}
	t->paths[t->nb_paths] = *p;
	return (int)t->nb_paths++;
}

static struct fm_group *group_get(struct fm_tree *t, uint32_t pid, int fam)
{
	for (uint32_t i = 0; i < t->nb_groups; i++)
		if (t->groups[i]->path_id == pid && t->groups[i]->family == fam)
			return t->groups[i];
	if (t->nb_groups == t->cap_groups) {
		uint32_t cap = t->cap_groups ? t->cap_groups * 2 : 16;
		struct fm_group **n = realloc(t->groups, cap * sizeof(*n));
		if (!n)
			return NULL;
		t->groups = n;
		t->cap_groups = cap;
	}
	struct fm_group *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->id = t->nb_groups;
	g->path_id = pid;
	g->family = (uint8_t)fam;
	t->groups[t->nb_groups++] = g;
	return g;
}

static int region_family(const struct region *r)
{
	const struct region_f *f = &r->f[FM_F_ETHERTYPE];
	if (f->km == 0xffff)
		return f->kv == FM_ETH_IPV4   ? FM_FAM_IPV4
		       : f->kv == FM_ETH_IPV6 ? FM_FAM_IPV6
					      : FM_FAM_OTHER;
	int ex4 = 0, ex6 = 0;
	for (uint32_t i = 0; i < f->nev; i++) {
		ex4 |= f->ev[i] == FM_ETH_IPV4;
		ex6 |= f->ev[i] == FM_ETH_IPV6;
	}
	return ex4 && ex6 ? FM_FAM_OTHER : -1;
}

static void *leaf(struct build *b, const struct region *r, const struct fm_path *p, int fam)
{
	struct fm_tree *t = b->t;
	int pid = path_intern(t, p);
	struct fm_group *g = pid < 0 ? NULL : group_get(t, (uint32_t)pid, fam);
	if (!g) {
		berr(b, -ENOMEM, "out of memory");
		return NULL;
	}
	uint32_t full = 0;
	for (int f = 0; f < FM_F_COUNT; f++)
		if (r->f[f].km == fm_field_full_mask(f))
			full |= 1u << f;
	if (!g->nb_leaves) {
		g->const_mask = full;
		for (int f = 0; f < FM_F_COUNT; f++)
			g->const_val[f] = r->f[f].kv;
	} else {
		for (int f = 0; f < FM_F_COUNT; f++)
			if (!(full & (1u << f)) || g->const_val[f] != r->f[f].kv)
				g->const_mask &= ~(1u << f);
	}
	g->nb_leaves++;
	return (void *)((uintptr_t)g | FM_TAG_GROUP);
}

/* ---- static nodes ------------------------------------------------------------------------ */

struct fm_level *fm_level_get(struct fm_tree *t, int nf, const uint8_t *fields,
			      const uint64_t *masks, int dynamic)
{
	for (struct fm_level *l = t->levels; l; l = l->next)
		if (l->nf == nf && l->dynamic == dynamic &&
		    !memcmp(l->fields, fields, (size_t)nf) &&
		    !memcmp(l->masks, masks, (size_t)nf * sizeof(uint64_t)))
			return l;
	struct fm_level *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->id = t->nb_levels++;
	l->nf = (uint8_t)nf;
	l->dynamic = (uint8_t)dynamic;
	memcpy(l->fields, fields, (size_t)nf);
	memcpy(l->masks, masks, (size_t)nf * sizeof(uint64_t));
	if (nf == 1 && masks[0]) {
		unsigned bits = (unsigned)__builtin_popcountll(masks[0]);
		if (bits <= 16) {
			l->table_bits = (uint8_t)bits;
			l->table_shift = (uint8_t)__builtin_ctzll(masks[0]);
		}
	}
	l->next = t->levels;
	t->levels = l;
	return l;
}

static int choose_kind(const struct fm_tree *t, const struct fm_level *lv, uint32_t n)
{
	int k = t->opts.static_kind;
	if (k == FM_NODE_TWO && n != 1)
		k = FM_NODE_ARRAY;
	if (k == FM_NODE_TABLE && !lv->table_bits)
		k = FM_NODE_HASH;
	if (k != FM_NODE_AUTO)
		return k;
	if (n == 1)
		return FM_NODE_TWO;
	if (n <= 8)
		return FM_NODE_ARRAY;
	if (lv->table_bits && (lv->table_bits <= 8 || (uint64_t)n * 64 >= (1ull << lv->table_bits)))
		return FM_NODE_TABLE;
	return FM_NODE_HASH;
}

static int snode_track(struct fm_tree *t, struct fm_node *n)
{
	if (t->nb_snodes == t->cap_snodes) {
		uint32_t cap = t->cap_snodes ? t->cap_snodes * 2 : 64;
		struct fm_node **a = realloc(t->snodes, cap * sizeof(*a));
		if (!a)
			return -ENOMEM;
		t->snodes = a;
		t->cap_snodes = cap;
	}
	t->snodes[t->nb_snodes++] = n;
	return 0;
}

static void link_child(struct fm_node *n, void *c, int link, uint64_t key)
{
	if ((uintptr_t)c & FM_TAG_GROUP)
		return;
	struct fm_hdr *h = c;
	h->parent = n;
	h->link = (uint8_t)link;
	if (!h->is_fcb)
		((struct fm_node *)c)->key = key;
}

static void *materialize(struct build *b, int field, uint64_t mask, const uint64_t *vals,
			 void **kids, uint32_t nv, void *dflt)
{
	struct fm_tree *t = b->t;
	uint8_t f8 = (uint8_t)field;
	const struct fm_level *lv = fm_level_get(t, 1, &f8, &mask, 0);
	if (!lv)
		goto nomem;
	int kind = choose_kind(t, lv, nv);
	uint32_t cap = nv;
	if (kind == FM_NODE_HASH)
		for (cap = 4; cap < nv * 2; cap *= 2)
			;
	struct fm_node *n = fm_node_new(t, lv, kind, cap, 0);
	if (!n || snode_track(t, n)) {
		free(n);
		goto nomem;
	}
	for (uint32_t i = 0; i < nv; i++) {
		fm_node_insert(n, &vals[i], fm_hash_key(t, &vals[i], 1), kids[i]);
		link_child(n, kids[i], FM_LINK_KEY, vals[i]);
	}
	n->dflt = dflt;
	if (dflt) {
		bool keyed = false;
		for (uint32_t i = 0; i < nv; i++)
			keyed |= kids[i] == dflt;
		if (!keyed)
			link_child(n, dflt, FM_LINK_DEFAULT, 0);
	}
	if (t->nb_snodes > MAX_STATIC_NODES)
		berr(b, -E2BIG, "classification tree too large (more than %u static nodes)",
		     MAX_STATIC_NODES);
	return n;
nomem:
	berr(b, -ENOMEM, "out of memory");
	return NULL;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void *build_region(struct build *b, const struct region *r, int depth);

static void *split(struct build *b, const struct region *r, int field, uint64_t mask,
		   uint64_t *vals, uint32_t nv, int depth, int dflt_empty)
{
	void *kids_stack[16];
	void **kids = nv <= 16 ? kids_stack : arena_alloc(b, nv * sizeof(void *));
	uint64_t *ev = arena_alloc(b, (nv + r->f[field].nev) * sizeof(uint64_t));
	if (!kids || !ev) {
		berr(b, -ENOMEM, "out of memory");
		return NULL;
	}
	struct region c = *r;
	for (uint32_t i = 0; i < nv && !b->rc; i++) {
		c.f[field].km = mask;
		c.f[field].kv = vals[i];
		kids[i] = build_region(b, &c, depth + 1);
	}
	if (b->rc)
		return NULL;
	/* the default region: values of this node excluded */
	const struct region_f *of = &r->f[field];
	memcpy(ev, vals, nv * sizeof(uint64_t));
	uint32_t nev = nv;
	if (of->nev && of->em == mask) {
		memcpy(ev + nv, of->ev, of->nev * sizeof(uint64_t));
		nev += of->nev;
	}
	c = *r;
	c.f[field].em = mask;
	c.f[field].ev = ev;
	c.f[field].nev = nev;
	unsigned freebits = (unsigned)(__builtin_popcountll(mask) - __builtin_popcountll(of->km));
	void *dflt;
	if (dflt_empty || (!of->nev && freebits < 32 && nv == (1u << freebits)))
		dflt = kids[nv - 1]; /* every possible value has a child: default unreachable */
	else
		dflt = build_region(b, &c, depth + 1);
	if (b->rc)
		return NULL;
	return materialize(b, field, mask, vals, kids, nv, dflt);
}

/*
 * Choose the split of an undecided region: the first field (level order) that an undecided literal
 * of a frontier filter tests, at the shortest mask among those literals. One pass is enough: every
 * literal mask is a prefix of its field (fm_field.h), so the masks on one field nest and the
 * shortest is found in any order; the children then know the field at that mask and split again
 * on the next longer one. A candidate always exists: an undecided filter has a conjunction with
 * no false literal and at least one undecided one, and explore() marks the filter that stopped
 * simulate() (or, past its budget, every undecided filter is a candidate).
 */
static void *split_undecided(struct build *b, const struct region *r, const uint8_t *ev, int depth)
{
	uint8_t frontier[MAX_FILTERS] = {0};
	int budget = 1 << 14;
	explore(b, ev, -1, frontier, &budget);
	if (budget < 0) /* exploration too large: every undecided filter is a candidate */
		for (int i = 0; i < b->nfilt; i++)
			frontier[i] = ev[i] == U3;
	int field = FM_F_COUNT;
	uint64_t mmin = 0;
	for (int i = 0; i < b->nfilt; i++) {
		const struct fm_filter *fl = b->filt[i];
		if (!frontier[i] || ev[i] != U3)
			continue;
		for (uint32_t c = 0; c < fl->nb_conj; c++) {
			const struct fm_lit *ls = &fl->lits[fl->conj[c].first];
			uint32_t n = fl->conj[c].n, k;
			for (k = 0; k < n && lit3(&ls[k], r) != F3; k++)
				;
			if (k < n) /* dead conjunction */
				continue;
			for (k = 0; k < n; k++) {
				if (lit3(&ls[k], r) != U3)
					continue;
				if (ls[k].field < field) {
					field = ls[k].field;
					mmin = ls[k].mask;
				} else if (ls[k].field == field && (ls[k].mask & ~mmin) == 0) {
					mmin = ls[k].mask;
				}
			}
		}
	}
	if (field == FM_F_COUNT) {
		berr(b, -EINVAL, "internal error: undecided region without candidates");
		return NULL;
	}
	/* values of interest at mask mmin */
	uint32_t cap = 64, nv = 0;
	uint64_t *vals = malloc(cap * sizeof(uint64_t));
	if (!vals) {
		berr(b, -ENOMEM, "out of memory");
		return NULL;
	}
	for (int i = 0; i < b->nfilt; i++) {
		const struct fm_filter *fl = b->filt[i];
		if (!frontier[i] || ev[i] != U3)
			continue;
		for (uint32_t c = 0; c < fl->nb_conj; c++) {
			const struct fm_lit *ls = &fl->lits[fl->conj[c].first];
			uint32_t n = fl->conj[c].n, k;
			for (k = 0; k < n && lit3(&ls[k], r) != F3; k++)
				;
			if (k < n)
				continue;
			for (k = 0; k < n; k++) {
				if (ls[k].field != field || lit3(&ls[k], r) != U3)
					continue;
				if (nv == cap) {
					uint64_t *nvv = realloc(vals, cap * 2 * sizeof(uint64_t));
					if (!nvv) {
						free(vals);
						berr(b, -ENOMEM, "out of memory");
						return NULL;
					}
					vals = nvv;
					cap *= 2;
				}
				vals[nv++] = ls[k].value & mmin;
			}
		}
	}
	qsort(vals, nv, sizeof(uint64_t), u64_cmp);
	uint32_t u = 0;
	for (uint32_t i = 0; i < nv; i++)
		if (!u || vals[i] != vals[u - 1])
			vals[u++] = vals[i];
	void *n = split(b, r, field, mmin, vals, u, depth, 0);
	free(vals);
	return n;
}

static void *build_region(struct build *b, const struct region *r, int depth)
{
	uint8_t ev[MAX_FILTERS];
	struct fm_path p;
	int enode[FM_PATH_MAX], eidx[FM_PATH_MAX], ne;
	if (b->rc)
		return NULL;
	if (depth > 4096) {
		berr(b, -E2BIG, "classification tree too deep");
		return NULL;
	}
	for (int i = 0; i < b->nfilt; i++)
		ev[i] = (uint8_t)filter3(b->filt[i], r);
	if (!simulate(b, ev, &p, enode, eidx, &ne))
		return split_undecided(b, r, ev, depth);
	int fam = FM_FAM_ANY;
	if (p.session & FM_S_ADDRS) {
		fam = region_family(r);
		if (fam < 0) { /* sessions on addresses: split IPv4 / IPv6 / other */
			uint64_t v[2];
			uint32_t nv = 0;
			const struct region_f *f = &r->f[FM_F_ETHERTYPE];
			static const uint64_t fams[2] = {FM_ETH_IPV4, FM_ETH_IPV6};
			for (int k = 0; k < 2; k++) {
				int ex = 0;
				for (uint32_t i = 0; i < f->nev; i++)
					ex |= f->ev[i] == fams[k];
				if (!ex)
					v[nv++] = fams[k];
			}
			/* a known IP protocol implies IPv4 or IPv6: no non-IP branch */
			const struct region_f *pf = &r->f[FM_F_IP_PROTO];
			int ip = pf->km == 0xff && pf->kv != 0;
			return split(b, r, FM_F_ETHERTYPE, 0xffff, v, nv, depth, ip);
		}
	}
	for (int i = 0; i < ne; i++)
		b->used[enode[i] + 1][eidx[i]] = 1;
	return leaf(b, r, &p, fam);
}

/* ---- chain validation -------------------------------------------------------------------- */

static int add_filter(struct build *b, const char *text, const char *what, const char *name,
		      int edge)
{
	char perr[256];
	struct fm_filter *f;
	int rc = fm_filter_parse(text, &f, perr, sizeof(perr));
	if (rc) {
		if (edge < 0)
			berr(b, rc, "vnf '%s' %s: %s", name, what, perr);
		else
			berr(b, rc, "edge %d of '%s' %s: %s", edge + 1, name, what, perr);
		return -1;
	}
	b->filt[b->nfilt] = f;
	return b->nfilt++;
}

static const char *node_name(const struct fm_chain *ch, int idx)
{
	return idx < 0 ? "input" : ch->vnfs[idx].name;
}

static int check_cycles(struct build *b, int v, uint8_t *state)
{
	state[v] = 1;
	const struct fm_chain_node *cn = &b->ch->nodes[v];
	for (int e = 0; e < cn->nb_edges; e++) {
		int to = cn->edges[e].to;
		if (to < 0)
			continue;
		if (state[to] == 1) {
			berr(b, -EINVAL, "chain graph has a cycle: '%s' -> '%s'",
			     b->ch->vnfs[v].name, b->ch->vnfs[to].name);
			return -1;
		}
		if (!state[to] && check_cycles(b, to, state))
			return -1;
	}
	state[v] = 2;
	return 0;
}

static int validate_chain(struct build *b)
{
	const struct fm_chain *ch = b->ch;
	char e2[128];
	if (ch->nb_vnfs < 0 || ch->nb_vnfs > FM_MAX_VNFS) {
		berr(b, -EINVAL, "chain has %d VNFs (max %d)", ch->nb_vnfs, FM_MAX_VNFS);
		return -1;
	}
	for (int n = -1; n < ch->nb_vnfs; n++) {
		const struct fm_chain_node *cn = chain_node(b, n);
		if (cn->nb_edges < 0 || cn->nb_edges > FM_MAX_EDGES) {
			berr(b, -EINVAL, "'%s' has %d edges (max %d)", node_name(ch, n),
			     cn->nb_edges, FM_MAX_EDGES);
			return -1;
		}
		for (int e = 0; e < cn->nb_edges; e++) {
			int to = cn->edges[e].to;
			if (to < FM_HOP_DROP || to >= ch->nb_vnfs) {
				berr(b, -EINVAL, "edge %d of '%s' leads to unknown VNF index %d",
				     e + 1, node_name(ch, n), to);
				return -1;
			}
		}
	}
	for (int v = 0; v < ch->nb_vnfs; v++) {
		struct fm_session s;
		if (fm_session_parse(ch->vnfs[v].session, &s, e2, sizeof(e2))) {
			berr(b, -EINVAL, "vnf '%s' session: %s", ch->vnfs[v].name, e2);
			return -1;
		}
		b->t->vnf_sess[v] = s.fields;
		b->cls[v] =
		    add_filter(b, ch->vnfs[v].traffic_class, "traffic class", ch->vnfs[v].name, -1);
		if (b->cls[v] < 0)
			return -1;
	}
	for (int n = -1; n < ch->nb_vnfs; n++) {
		const struct fm_chain_node *cn = chain_node(b, n);
		for (int e = 0; e < cn->nb_edges; e++) {
			b->match[n + 1][e] =
			    add_filter(b, cn->edges[e].match, "match", node_name(ch, n), e);
			if (b->match[n + 1][e] < 0)
				return -1;
		}
	}
	uint8_t state[FM_MAX_VNFS] = {0};
	for (int v = 0; v < ch->nb_vnfs; v++)
		if (!state[v] && check_cycles(b, v, state))
			return -1;
	return 0;
}

/* Impossible paths: an edge into a VNF that no packet takes. */
static int check_paths(struct build *b)
{
	const struct fm_chain *ch = b->ch;
	struct fm_tree *t = b->t;
	uint32_t seen = 0, dropped = 0; /* VNFs on some path; VNFs whose drop is done early */
	for (uint32_t p = 0; p < t->nb_paths; p++) {
		for (int i = 0; i + 1 < t->paths[p].nb_hops; i++)
			seen |= 1u << t->paths[p].hops[i];
		dropped |= t->paths[p].drop_by;
	}
	char msg[1024];
	size_t len = 0;
	msg[0] = 0;
	int impossible = 0;
	for (int n = -1; n < ch->nb_vnfs; n++) {
		if (n >= 0 && !((seen | dropped) & (1u << n)))
			continue; /* the source itself is unreachable: reported by its in-edges */
		const struct fm_chain_node *cn = chain_node(b, n);
		for (int e = 0; e < cn->nb_edges; e++) {
			int to = cn->edges[e].to;
			if (b->used[n + 1][e])
				continue;
			if (to < 0) {
				fm_tree_warn(t, "edge %d of '%s' (to %s) is never taken", e + 1,
					     node_name(ch, n),
					     to == FM_HOP_OUTPUT ? "output" : "drop");
				continue;
			}
			impossible++;
			int w =
			    snprintf(msg + len, sizeof(msg) - len,
				     "%simpossible path: '%s' -> '%s' (edge %d): no packet leaving "
				     "'%s' matches the edge and the traffic class of '%s'",
				     len ? "; " : "", node_name(ch, n), ch->vnfs[to].name, e + 1,
				     node_name(ch, n), ch->vnfs[to].name);
			if (w > 0 && (size_t)w < sizeof(msg) - len)
				len += (size_t)w;
		}
	}
	for (int v = 0; v < ch->nb_vnfs; v++)
		if (!(seen & (1u << v)))
			fm_tree_warn(t, "vnf '%s' sees no packet%s", ch->vnfs[v].name,
				     dropped & (1u << v) ? " (its class is dropped early)" : "");
	if (impossible && !t->opts.allow_impossible) {
		berr(b, -EINVAL, "%s", msg);
		return -1;
	}
	if (impossible)
		fm_tree_warn(t, "%s", msg);
	return 0;
}

static void *fcb_malloc(void *opaque, size_t size)
{
	(void)opaque;
	return malloc(size);
}

static void fcb_free(void *opaque, void *p, size_t size)
{
	(void)opaque;
	(void)size;
	free(p);
}

static const struct fm_alloc default_alloc = {fcb_malloc, fcb_free, NULL};

int fm_tree_build(const struct fm_chain *chain, const struct fm_tree_opts *opts,
		  struct fm_tree **out, char *err, size_t errlen)
{
	struct build *b = calloc(1, sizeof(*b));
	struct fm_tree *t = calloc(1, sizeof(*t));
	int rc = -ENOMEM;
	if (err && errlen)
		err[0] = 0;
	if (!b || !t)
		goto out;
	if (opts)
		t->opts = *opts;
	if (!t->opts.area_align)
		t->opts.area_align = 8;
	if (!t->opts.hash_init)
		t->opts.hash_init = 64;
	if (!t->opts.max_load_pct || t->opts.max_load_pct > 95)
		t->opts.max_load_pct = 75;
	if ((t->opts.hash_init & (t->opts.hash_init - 1)) || t->opts.hash_init < 4 ||
	    (t->opts.area_align & (t->opts.area_align - 1)) || t->opts.area_align > 64) {
		rc = -EINVAL;
		if (err && errlen)
			snprintf(err, errlen,
				 "bad options: hash_init and area_align must be powers "
				 "of two (hash_init >= 4, area_align <= 64)");
		goto out;
	}
	t->alloc = t->opts.fcb_alloc ? *t->opts.fcb_alloc : default_alloc;
	b->t = t;
	b->ch = chain;
	b->err = err;
	b->errlen = errlen;
	t->nb_vnfs = chain->nb_vnfs;
	if (validate_chain(b))
		goto fail;
	for (int v = 0; v < t->nb_vnfs; v++)
		snprintf(t->names[v], FM_NAME_MAX, "%s", chain->vnfs[v].name);
	struct region r;
	memset(&r, 0, sizeof(r));
	t->root = build_region(b, &r, 0);
	if (b->rc)
		goto fail;
	if (check_paths(b))
		goto fail;
	rc = fm_tree_finalize(t, chain);
	if (rc) {
		berr(b, rc, rc == -ENOMEM ? "out of memory" : "FCB layout failed");
		goto fail;
	}
	rc = 0;
	*out = t;
	t = NULL;
	goto out;
fail:
	rc = b->rc ? b->rc : -EINVAL;
out:
	if (b) {
		for (int i = 0; i < b->nfilt; i++)
			fm_filter_destroy(b->filt[i]);
		for (int i = 0; i < b->narena; i++)
			free(b->arena[i]);
		free(b->arena);
	}
	free(b);
	if (t)
		fm_tree_destroy(t);
	if (rc == -ENOMEM && err && errlen && !err[0])
		snprintf(err, errlen, "out of memory");
	return rc;
}
