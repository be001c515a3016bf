/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_config_int.h — private to the config parser: the walk's context and the schema helpers the
 * schema (fm_config.c) and the graph (fm_config_graph.c) share.
 *
 * Every helper that fails writes "SRC:LINE:COL: message" for the node's position into the
 * context's err buffer and returns -EINVAL: the first error stops the walk.
 */
#ifndef FM_CONFIG_INT_H
#define FM_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "fm_config.h"

/* Graph node index used while checking: 0 = input, 1 + i = VNF i. */
#define GNODE_INPUT  0
#define GNODE_VNF(i) ((i) + 1)
#define GNODE_MAX    (FM_MAX_VNFS + 1)

struct parse_ctx {
	yaml_document_t doc;
	const char *src;  /* file name for messages */
	const char *text; /* the YAML text and its length */
	size_t len;
	char *err;
	size_t errlen;
	struct fm_config *cfg;
	/* Edge positions for checks that run after the walk (cycles, shadowed edges). */
	yaml_mark_t edge_mark[GNODE_MAX][FM_MAX_EDGES];
};

/* ---- schema helpers (fm_config.c) ---------------------------------------------------------- */

/* Formats "SRC:LINE:COL: message" for the position `m` and returns -EINVAL. */
int cfg_fail_at(struct parse_ctx *c, yaml_mark_t m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
yaml_node_t *cfg_node_at(struct parse_ctx *c, int index);
/* "a list", "a quoted string", ... for messages. */
const char *cfg_kind_of(const yaml_node_t *n);
/* A scalar node's text. */
const char *cfg_scalar(const yaml_node_t *n);
int cfg_expect_type(struct parse_ctx *c, const yaml_node_t *n, yaml_node_type_t type,
		    const char *what);
/* A scalar without NUL bytes that fits buf (size bytes, NUL included). */
int cfg_get_str(struct parse_ctx *c, const yaml_node_t *n, char *buf, size_t size,
		const char *what);
/*
 * Checks that `map` is a mapping with scalar keys, no duplicates, and only keys from `keys`
 * (a NULL-terminated list); stores the value node of key k in vals[k] (NULL when absent).
 */
int cfg_get_fields(struct parse_ctx *c, const yaml_node_t *map, const char *const *keys,
		   yaml_node_t **vals, const char *what);

/* ---- graph (fm_config_graph.c) ------------------------------------------------------------- */

/* The `graph` mapping (VNFs known): edges of the input and of each VNF, then the checks. */
int cfg_parse_graph(struct parse_ctx *c, const yaml_node_t *map);
/* No `graph`: the linear chain with context-link skipping; `where` positions its errors. */
int cfg_default_graph(struct parse_ctx *c, yaml_mark_t where);
/* "output", "drop" or the VNF's name of an edge target. */
const char *cfg_target_name(const struct fm_chain *ch, int to);

#endif /* FM_CONFIG_INT_H */
