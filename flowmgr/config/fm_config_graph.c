/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_config_graph.c — the chain's semantics in the config (fm_config.h, "Graph"): the `graph`
 * mapping's edges resolved against the VNFs, or the default linear chain, then the checks that
 * need the whole graph (cycles, edges no packet can reach). Walks the document with the schema
 * helpers of fm_config_int.h.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fm_config_int.h"

static struct fm_chain_node *graph_node(struct fm_chain *ch, int g)
{
	return g == GNODE_INPUT ? &ch->input : &ch->nodes[g - 1];
}

static const char *gnode_name(const struct fm_chain *ch, int g)
{
	return g == GNODE_INPUT ? "input" : ch->vnfs[g - 1].name;
}

const char *cfg_target_name(const struct fm_chain *ch, int to)
{
	if (to == FM_HOP_OUTPUT)
		return "output";
	if (to == FM_HOP_DROP)
		return "drop";
	return ch->vnfs[to].name;
}

static int resolve_target(struct parse_ctx *c, const yaml_node_t *n, int *to)
{
	char name[FM_NAME_MAX];
	int ret = cfg_get_str(c, n, name, sizeof(name), "edge target");

	if (ret < 0)
		return ret;
	if (strcmp(name, "output") == 0) {
		*to = FM_HOP_OUTPUT;
		return 0;
	}
	if (strcmp(name, "drop") == 0) {
		*to = FM_HOP_DROP;
		return 0;
	}
	if (strcmp(name, "input") == 0)
		return cfg_fail_at(c, n->start_mark, "edge target: 'input' cannot be a target");
	*to = fm_config_vnf_index(c->cfg, name);
	if (*to < 0)
		return cfg_fail_at(
		    c, n->start_mark,
		    "edge target: unknown VNF '%s' (not declared in vnfs; or use output, "
		    "drop)",
		    name);
	return 0;
}

static int parse_edge(struct parse_ctx *c, const yaml_node_t *n, struct fm_edge *e)
{
	static const char *const keys[] = {"match", "to", NULL};
	yaml_node_t *v[2];
	int ret;

	if (n->type == YAML_SCALAR_NODE) /* bare target */
		return resolve_target(c, n, &e->to);
	if (n->type != YAML_MAPPING_NODE)
		return cfg_fail_at(
		    c, n->start_mark,
		    "edge: expected a target name or {match: FILTER, to: TARGET}, got %s",
		    cfg_kind_of(n));
	ret = cfg_get_fields(c, n, keys, v, "edge");
	if (ret < 0)
		return ret;
	if (v[1] == NULL)
		return cfg_fail_at(c, n->start_mark, "edge: missing key 'to'");
	if (v[0] != NULL) {
		ret = cfg_get_str(c, v[0], e->match, sizeof(e->match), "edge match");
		if (ret < 0)
			return ret;
	}
	return resolve_target(c, v[1], &e->to);
}

static int parse_edges(struct parse_ctx *c, const yaml_node_t *seq, int g)
{
	struct fm_chain_node *node = graph_node(&c->cfg->chain, g);
	const char *name = gnode_name(&c->cfg->chain, g);
	int ret;

	if (seq->type != YAML_SEQUENCE_NODE)
		return cfg_fail_at(c, seq->start_mark,
				   "graph '%s': expected a list of edges, got %s", name,
				   cfg_kind_of(seq));
	if (seq->data.sequence.items.top == seq->data.sequence.items.start)
		return cfg_fail_at(c, seq->start_mark,
				   "graph '%s': empty edge list (write [output] or [drop])", name);
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		yaml_node_t *n = cfg_node_at(c, *it);

		if (node->nb_edges == FM_MAX_EDGES)
			return cfg_fail_at(c, n->start_mark,
					   "graph '%s': too many edges (at most %d)", name,
					   FM_MAX_EDGES);
		ret = parse_edge(c, n, &node->edges[node->nb_edges]);
		if (ret < 0)
			return ret;
		c->edge_mark[g][node->nb_edges++] = n->start_mark;
	}
	return 0;
}

/* True if every packet that reaches edge `e` takes it (no match, target accepts everything). */
static bool edge_takes_all(const struct fm_chain *ch, const struct fm_edge *e)
{
	if (e->match[0] != '\0')
		return false;
	return e->to < 0 || ch->vnfs[e->to].traffic_class[0] == '\0';
}

static int check_shadowed(struct parse_ctx *c, int g)
{
	const struct fm_chain *ch = &c->cfg->chain;
	const struct fm_chain_node *node = graph_node(&c->cfg->chain, g);

	for (int i = 0; i + 1 < node->nb_edges; i++)
		if (edge_takes_all(ch, &node->edges[i]))
			return cfg_fail_at(
			    c, c->edge_mark[g][i + 1],
			    "graph '%s': edge %d is never taken: edge %d to '%s' takes "
			    "every packet",
			    gnode_name(ch, g), i + 2, i + 1,
			    cfg_target_name(ch, node->edges[i].to));
	return 0;
}

/* Depth-first search over VNF nodes; state 0 = new, 1 = on stack, 2 = done. */
static int check_cycles_from(struct parse_ctx *c, int vnf, uint8_t *state)
{
	const struct fm_chain_node *node = &c->cfg->chain.nodes[vnf];

	state[vnf] = 1;
	for (int i = 0; i < node->nb_edges; i++) {
		int to = node->edges[i].to;

		if (to < 0 || state[to] == 2)
			continue;
		if (state[to] == 1)
			return cfg_fail_at(c, c->edge_mark[GNODE_VNF(vnf)][i],
					   "graph '%s': edge to '%s' closes a cycle",
					   c->cfg->chain.vnfs[vnf].name,
					   c->cfg->chain.vnfs[to].name);
		int ret = check_cycles_from(c, to, state);
		if (ret < 0)
			return ret;
	}
	state[vnf] = 2;
	return 0;
}

static int check_graph(struct parse_ctx *c)
{
	uint8_t state[FM_MAX_VNFS] = {0};
	int ret;

	for (int g = 0; g < GNODE_VNF(c->cfg->chain.nb_vnfs); g++) {
		ret = check_shadowed(c, g);
		if (ret < 0)
			return ret;
	}
	for (int i = 0; i < c->cfg->chain.nb_vnfs; i++) {
		if (state[i] != 0)
			continue;
		ret = check_cycles_from(c, i, state);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int cfg_parse_graph(struct parse_ctx *c, const yaml_node_t *map)
{
	bool seen[GNODE_MAX] = {false};
	int ret = cfg_expect_type(c, map, YAML_MAPPING_NODE, "graph");

	if (ret < 0)
		return ret;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = cfg_node_at(c, p->key);
		int g;

		if (k->type != YAML_SCALAR_NODE)
			return cfg_fail_at(c, k->start_mark,
					   "graph: a key must be a string, got %s", cfg_kind_of(k));
		if (strcmp(cfg_scalar(k), "input") == 0)
			g = GNODE_INPUT;
		else if ((g = fm_config_vnf_index(c->cfg, cfg_scalar(k))) >= 0)
			g = GNODE_VNF(g);
		else
			return cfg_fail_at(
			    c, k->start_mark,
			    "graph: unknown node '%.64s' (expected input or a VNF name)",
			    cfg_scalar(k));
		if (seen[g])
			return cfg_fail_at(c, k->start_mark, "graph: duplicate key '%s'",
					   cfg_scalar(k));
		seen[g] = true;
		ret = parse_edges(c, cfg_node_at(c, p->value), g);
		if (ret < 0)
			return ret;
	}
	if (!seen[GNODE_INPUT])
		return cfg_fail_at(c, map->start_mark,
				   "graph: missing 'input' (edges out of the ports)");
	return check_graph(c);
}

/* Linear chain with context-link skipping (fm_config.h, "Graph"). */
int cfg_default_graph(struct parse_ctx *c, yaml_mark_t where)
{
	struct fm_chain *ch = &c->cfg->chain;

	for (int g = 0; g <= ch->nb_vnfs; g++) {
		struct fm_chain_node *node = graph_node(ch, g);
		int next = g; /* VNF index after graph node g */

		for (; next < ch->nb_vnfs; next++) {
			if (node->nb_edges == FM_MAX_EDGES)
				return cfg_fail_at(
				    c, where,
				    "vnfs: the default linear graph needs more than %d "
				    "edges out of '%s' (too many VNFs with a class in a "
				    "row): write a graph",
				    FM_MAX_EDGES, gnode_name(ch, g));
			node->edges[node->nb_edges++].to = next;
			if (ch->vnfs[next].traffic_class[0] == '\0')
				break;
		}
		if (next == ch->nb_vnfs) {
			if (node->nb_edges == FM_MAX_EDGES)
				return cfg_fail_at(
				    c, where,
				    "vnfs: the default linear graph needs more than %d "
				    "edges out of '%s': write a graph",
				    FM_MAX_EDGES, gnode_name(ch, g));
			node->edges[node->nb_edges++].to = FM_HOP_OUTPUT;
		}
	}
	return 0;
}
