/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_xdp_table.c — offload rules -> the XDP program's rule table (contract in fm_xdp_table.h).
 */
#include <stdlib.h>
#include <string.h>

#include "fm_xdp_table.h"

#include "fm_chain.h"

static const char *const act_names[] = {"user", "drop", "redirect"};

/* Does the rule's path visit no VNF (hops: output only)? */
static bool path_no_vnf(const struct fm_tree *t, uint32_t path)
{
	struct fm_path_info pi;

	if (fm_tree_path_info(t, (int)path, &pi) < 0)
		return false;
	return !pi.early_drop && pi.nb_hops == 1 && pi.hops[0] == FM_HOP_OUTPUT;
}

static void entry(struct fm_xdp_rule *e, const struct fm_ofl_rule *r, uint8_t act)
{
	const struct fm_ofl_pattern *p = &r->pat;

	memset(e, 0, sizeof(*e));
	e->act = act;
	e->has_vlan = p->has_vlan;
	e->l3 = p->l3;
	e->l4 = p->l4;
	e->has_proto = p->has_proto;
	e->proto = p->proto;
	e->eth_type = p->eth_type;
	e->inner_type = p->inner_type;
	e->vid = p->vid;
	e->vid_mask = p->vid_mask;
	e->sport = p->sport;
	e->sport_mask = p->sport_mask;
	e->dport = p->dport;
	e->dport_mask = p->dport_mask;
	e->group = r->group;
	e->rule = r->id;
	memcpy(e->src, p->src, 16);
	memcpy(e->src_mask, p->src_mask, 16);
	memcpy(e->dst, p->dst, 16);
	memcpy(e->dst_mask, p->dst_mask, 16);
}

static int by_prio(const void *a, const void *b)
{
	const struct fm_ofl_rule *x = *(const struct fm_ofl_rule *const *)a,
				 *y = *(const struct fm_ofl_rule *const *)b;

	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return x->id < y->id ? -1 : (x->id > y->id);
}

int fm_xdp_table_build(const struct fm_ofl_set *s, const struct fm_tree *t, bool redirect,
		       struct fm_xdp_table *out)
{
	const struct fm_ofl_rule **in = calloc(s->nb_rules ? s->nb_rules : 1, sizeof(*in));
	uint8_t *ok = calloc(s->nb_rules ? s->nb_rules : 1, 1);
	uint32_t n = 0;

	memset(out, 0, sizeof(*out));
	if (in == NULL || ok == NULL) {
		free(in);
		free(ok);
		out->left_out = s->nb_rules;
		return 0;
	}
	for (uint32_t i = 0; i < s->nb_rules; i++) { /* dependencies have lower ids */
		const struct fm_ofl_rule *r = &s->rules[i];

		ok[i] = r->expressible;
		for (uint32_t d = 0; ok[i] && d < r->nb_deps; d++)
			ok[i] = ok[s->deps[r->dep_first + d]];
		if (ok[i])
			in[n++] = r;
	}
	qsort(in, n, sizeof(*in), by_prio);
	if (n > FM_XDP_MAX_RULES) { /* cut at a priority boundary */
		uint32_t cut = FM_XDP_MAX_RULES;

		while (cut > 0 && in[cut - 1]->priority == in[cut]->priority)
			cut--;
		n = cut;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint8_t act = in[i]->action == FM_OFL_DROP		   ? FM_XDP_ACT_DROP
			      : redirect && path_no_vnf(t, in[i]->path_id) ? FM_XDP_ACT_REDIRECT
									   : FM_XDP_ACT_USER;

		entry(&out->r[i], in[i], act);
		out->nb_drop += act == FM_XDP_ACT_DROP;
		out->nb_redirect += act == FM_XDP_ACT_REDIRECT;
		out->nb_user += act == FM_XDP_ACT_USER;
	}
	out->nb = n;
	out->left_out = s->nb_rules - n;
	free(in);
	free(ok);
	return 0;
}

int fm_xdp_classify(const struct fm_xdp_table *x, const uint8_t *b, uint32_t len)
{
	struct fm_xdp_pkt p;

	fm_xdp_parse(b, b + len, &p);
	for (uint32_t i = 0; i < x->nb; i++)
		if (fm_xdp_match(&x->r[i], &p))
			return (int)i;
	return -1;
}

void fm_xdp_table_print(const struct fm_xdp_table *x, FILE *out)
{
	fprintf(out,
		"xdp: %u entries (drop %u, redirect %u, user %u), %u rules left to software; "
		"first match wins\n",
		x->nb, x->nb_drop, x->nb_redirect, x->nb_user, x->left_out);
	for (uint32_t i = 0; i < x->nb; i++)
		fprintf(out, "  entry %u: rule %u, group %u, %s\n", i, x->r[i].rule, x->r[i].group,
			act_names[x->r[i].act]);
}
