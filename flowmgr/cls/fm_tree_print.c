/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_tree_print.c — introspection: the tree (levels, kinds, children, growth) and the layout. */
#include <stdlib.h>
#include <string.h>

#include "fm_tree_int.h"

void fm_tree_format_path(const struct fm_tree *t, const int8_t *hops, int nb_hops, char *buf,
			 size_t len)
{
	size_t pos = 0;
	buf[0] = 0;
	for (int i = 0; i < nb_hops; i++) {
		const char *n = hops[i] == FM_HOP_OUTPUT ? "output"
				: hops[i] == FM_HOP_DROP ? (i == 0 ? "DROP(early)" : "drop")
							 : t->names[hops[i]];
		int w = snprintf(buf + pos, len - pos, "%s%s", i ? " -> " : "", n);
		if (w < 0 || (size_t)w >= len - pos)
			return;
		pos += (size_t)w;
	}
}

static const char *fam_name(int f)
{
	static const char *const n[] = {"any", "IPv4", "IPv6", "non-IP"};
	return f >= 0 && f <= FM_FAM_OTHER ? n[f] : "?";
}

static void fields_format(uint32_t fields, char *buf, size_t len)
{
	size_t pos = 0;
	buf[0] = 0;
	for (int f = 0; f < FM_F_COUNT; f++) {
		if (!(fields & (1u << f)))
			continue;
		int w = snprintf(buf + pos, len - pos, "%s%s", pos ? "," : "", fm_field_name(f));
		if (w < 0 || (size_t)w >= len - pos)
			return;
		pos += (size_t)w;
	}
}

static void level_format(const struct fm_level *lv, char *buf, size_t len)
{
	size_t pos = 0;
	buf[0] = 0;
	for (int i = 0; i < lv->nf; i++) {
		unsigned plen = (unsigned)__builtin_popcountll(lv->masks[i]);
		int w = plen == fm_field_width(lv->fields[i])
			    ? snprintf(buf + pos, len - pos, "%s%s", i ? "," : "",
				       fm_field_name(lv->fields[i]))
			    : snprintf(buf + pos, len - pos, "%s%s/%u", i ? "," : "",
				       fm_field_name(lv->fields[i]), plen);
		if (w < 0 || (size_t)w >= len - pos)
			return;
		pos += (size_t)w;
	}
}

static void indent(FILE *out, int d)
{
	for (int i = 0; i < d; i++)
		fputs("  ", out);
}

/* " early-drop", then the VNFs whose drop it is (FM_DECL_EARLY_DROP); "" for other paths */
static void early_format(const struct fm_tree *t, const struct fm_path *path, char *buf, size_t len)
{
	buf[0] = 0;
	if (!path->early_drop)
		return;
	size_t pos = (size_t)snprintf(buf, len, " early-drop");
	const char *sep = " (by ";
	for (int v = 0; v < t->nb_vnfs && pos < len; v++) {
		if (!(path->drop_by & (1u << v)))
			continue;
		int w = snprintf(buf + pos, len - pos, "%s%s", sep, t->names[v]);
		if (w < 0)
			return;
		pos += (size_t)w;
		sep = ", ";
	}
	if (path->drop_by && pos < len)
		snprintf(buf + pos, len - pos, ")");
}

static void print_group(const struct fm_tree *t, const struct fm_group *g, FILE *out, int d)
{
	char p[512], k[256];
	const struct fm_path *path = &t->paths[g->path_id];
	fm_tree_format_path(t, path->hops, path->nb_hops, p, sizeof(p));
	if (!g->key_fields) {
		early_format(t, path, k, sizeof(k));
		fprintf(out, "FCB group %u (static) path %u [%s]%s\n", g->id, g->path_id, p, k);
		return;
	}
	fields_format(g->key_fields, k, sizeof(k));
	fprintf(out, "PFP group %u path %u [%s] %s key {%s}: %llu sessions\n", g->id, g->path_id, p,
		fam_name(g->family), k, (unsigned long long)g->sessions);
	const struct fm_node *n = g->root;
	indent(out, d + 1);
	char lv[128];
	level_format(n->level, lv, sizeof(lv));
	fprintf(out, "session level {%s}%s:", lv, t->opts.pfp_per_field ? " (per-field)" : "");
	for (int i = 0; n; i++) {
		fprintf(out, "%s %s cap %u, %u children%s", i ? " ->" : "",
			fm_node_kind_name(n->kind), n->cap, n->count,
			n->growing ? " (growing, draining)" : "");
		n = n->dflt_tmpl ? NULL : n->dflt;
	}
	fputc('\n', out);
}

struct slot_key {
	uint64_t key;
	uint32_t slot;
};

static int slot_key_cmp(const void *a, const void *b)
{
	const struct slot_key *x = a, *y = b;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* The occupied slots of a hash node in key order (its slot order depends on the per-start hash
 * seed: printed as is, two starts would print one tree differently). Other kinds keep their own
 * order: returns NULL and *nk = their slot count (also when out of memory: then unsorted). */
static uint32_t *sorted_slots(const struct fm_node *n, uint32_t *nk)
{
	uint32_t ns = fm_node_nb_slots(n), m = 0;
	*nk = ns;
	if (n->kind != FM_NODE_HASH || n->count == 0)
		return NULL;
	struct slot_key *sk = malloc(n->count * sizeof(*sk));
	uint32_t *order = malloc(n->count * sizeof(*order));
	if (!sk || !order) {
		free(sk);
		free(order);
		return NULL;
	}
	for (uint32_t i = 0; i < ns && m < n->count; i++)
		if (*fm_node_slot((struct fm_node *)n, i))
			sk[m++] = (struct slot_key){fm_node_slot_key(n, i), i};
	qsort(sk, m, sizeof(*sk), slot_key_cmp);
	for (uint32_t i = 0; i < m; i++)
		order[i] = sk[i].slot;
	free(sk);
	*nk = m;
	return order;
}

static void print_child(const struct fm_tree *t, const void *c, FILE *out, int d, uint8_t *seen)
{
	const struct fm_hdr *h = c;
	if (h->link == FM_LINK_GROUP) {
		if (seen[h->group]) {
			fprintf(out, "=> group %u (shared, see above)\n", h->group);
			return;
		}
		seen[h->group] = 1;
		print_group(t, t->groups[h->group], out, d);
		return;
	}
	const struct fm_node *n = c;
	char lv[128], v[80];
	level_format(n->level, lv, sizeof(lv));
	fprintf(out, "level %s: %s node, %u children + default\n", lv, fm_node_kind_name(n->kind),
		n->count);
	const int field = n->level->fields[0];
	uint32_t nk = 0, *order = sorted_slots(n, &nk);
	for (uint32_t k = 0; k < nk; k++) {
		uint32_t i = order ? order[k] : k;
		void *const *s = fm_node_slot((struct fm_node *)n, i);
		if (!*s)
			continue;
		fm_field_format(field, fm_node_slot_key(n, i), n->level->masks[0], v, sizeof(v));
		indent(out, d + 1);
		fprintf(out, "%s = %s: ", fm_field_name(field), v);
		print_child(t, *s, out, d + 1, seen);
	}
	free(order);
	indent(out, d + 1);
	fprintf(out, "default: ");
	print_child(t, n->dflt, out, d + 1, seen);
}

void fm_tree_print(const struct fm_tree *t, FILE *out)
{
	struct fm_tree_stats st;
	fm_tree_get_stats(t, &st);
	fprintf(out,
		"classification tree: %llu static nodes, %u paths, %u groups (%u static FCBs), "
		"%llu sessions, FCB %zu bytes\n",
		(unsigned long long)st.static_nodes, st.nb_paths, st.nb_groups, st.nb_static_fcbs,
		(unsigned long long)st.sessions, t->fcb_size);
	uint8_t *seen = calloc(t->nb_groups ? t->nb_groups : 1, 1);
	if (!seen)
		return;
	fprintf(out, "root: ");
	print_child(t, t->root, out, 0, seen);
	free(seen);
	fprintf(out,
		"growth: %llu grows, %llu splices, %llu shrinks; %llu dynamic nodes (%llu bytes)\n",
		(unsigned long long)st.grows, (unsigned long long)st.splices,
		(unsigned long long)st.shrinks, (unsigned long long)st.dyn_nodes,
		(unsigned long long)st.dyn_node_bytes);
}

void fm_layout_print(const struct fm_tree *t, FILE *out)
{
	static const char *const modes[] = {"maximal offset", "parallel (bitvector)", "compact"};
	fprintf(
	    out,
	    "FCB layout (%s, align %u): %u bytes of VNF areas at FCB offset %u, FCB %zu bytes\n",
	    modes[t->opts.layout], t->opts.area_align, t->area_size, t->area_off, t->fcb_size);
	for (int v = 0; v < t->nb_vnfs; v++) {
		if (t->vnf_off[v] == FM_OFF_NONE)
			fprintf(out, "  %-16s no area\n", t->names[v]);
		else
			fprintf(out, "  %-16s offset %4u size %4u%s\n", t->names[v], t->vnf_off[v],
				t->vnf_size[v],
				t->vnf_indirect[v] ? " (indirect: slot index)" : "");
	}
	for (uint32_t p = 0; p < t->nb_paths; p++) {
		const struct fm_path *pa = &t->paths[p];
		char b[512];
		fm_tree_format_path(t, pa->hops, pa->nb_hops, b, sizeof(b));
		fprintf(out, "  path %u [%s]:", p, b);
		uint32_t end = 0;
		int any = 0;
		for (int i = 0; i + 1 < pa->nb_hops; i++) {
			int v = pa->hops[i];
			if (t->vnf_off[v] == FM_OFF_NONE)
				continue;
			fprintf(out, " %s@%u+%u", t->names[v], t->vnf_off[v], t->vnf_size[v]);
			if (t->vnf_off[v] + t->vnf_size[v] > end)
				end = t->vnf_off[v] + t->vnf_size[v];
			any = 1;
		}
		fprintf(out, any ? " (uses %u of %u bytes)\n" : " no areas\n", end, t->area_size);
	}
}
