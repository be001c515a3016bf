/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_cls.c — offline chain check: build + print (see fm_cls.h). */
#include "fm_cls.h"

static const char *hop_name(const struct fm_chain *ch, int to)
{
	return to == FM_HOP_OUTPUT ? "output" : to == FM_HOP_DROP ? "drop" : ch->vnfs[to].name;
}

static void print_edges(const struct fm_chain *ch, const char *from, const struct fm_chain_node *n,
			FILE *out)
{
	fprintf(out, "  %s:", from);
	if (!n->nb_edges)
		fprintf(out, " (no edges: %s)", from[0] == 'i' && !ch->nb_vnfs ? "drop" : "output");
	for (int e = 0; e < n->nb_edges; e++) {
		if (n->edges[e].match[0])
			fprintf(out, " [%d] {match: %s, to: %s}", e + 1, n->edges[e].match,
				hop_name(ch, n->edges[e].to));
		else
			fprintf(out, " [%d] %s", e + 1, hop_name(ch, n->edges[e].to));
	}
	fputc('\n', out);
}

int fm_cls_check_chain(const struct fm_chain *chain, FILE *out, char *err, size_t errlen)
{
	struct fm_tree *t;
	int rc = fm_tree_build(chain, NULL, &t, err, errlen);
	if (rc)
		return rc;
	fprintf(out, "chain '%s': %d VNFs\n", chain->name, chain->nb_vnfs);
	for (int v = 0; v < chain->nb_vnfs; v++) {
		const struct fm_decl *d = &chain->vnfs[v];
		fprintf(out, "  vnf %-12s class \"%s\" session \"%s\" scratchpad %u %s\n", d->name,
			d->traffic_class, d->session, d->scratchpad,
			d->isolation == FM_ISO_INDIRECT ? "indirect" : "direct");
	}
	fprintf(out, "graph:\n");
	print_edges(chain, "input", &chain->input, out);
	for (int v = 0; v < chain->nb_vnfs; v++)
		print_edges(chain, chain->vnfs[v].name, &chain->nodes[v], out);
	const char *w = fm_tree_warnings(t);
	if (w[0])
		fprintf(out, "warnings:\n%s", w);
	fm_tree_print(t, out);
	fm_layout_print(t, out);
	fm_tree_destroy(t);
	return 0;
}
