/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fs_filter_gen.h — random filter expressions for the classifier oracles (test_cls_oracle,
 * test_offload): `not`, `and`, `or` over the caller's primitives, to a given depth.
 *
 * The caller supplies its random source and its primitives; with `spellings`, `and`/`or` are
 * also written `&&`/`||` (one more draw per operator) and `and` is drawn twice as often.
 */
#ifndef FS_FILTER_GEN_H
#define FS_FILTER_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct fs_filter_gen {
	uint32_t (*rnd)(void);		/* uniform 32-bit draws */
	int (*prim)(char *b, size_t n); /* one primitive, snprintf-like */
	bool spellings;			/* also `&&` / `||` */
};

/* out-of-line so that the compiler does not reason about truncation (intended, never hit) */
__attribute__((noinline, unused)) static int
fs_filter_join(char *b, size_t n, const char *fmt, const char *x, const char *op, const char *y)
{
	return snprintf(b, n, fmt, x, op, y);
}

/* Writes a random expression of at most `depth` operator levels into b; snprintf's result. */
__attribute__((unused)) static int fs_filter_expr(const struct fs_filter_gen *g, char *b, size_t n,
						  int depth)
{
	unsigned int kinds = g->spellings ? 6 : 5;
	unsigned int r = depth > 0 ? g->rnd() % kinds : 0;
	char x[512], y[512];

	if (r <= 1)
		return g->prim(b, n);
	fs_filter_expr(g, x, sizeof(x), depth - 1);
	if (r == 2)
		return fs_filter_join(b, n, "%s(%s)%s", "not ", x, "");
	fs_filter_expr(g, y, sizeof(y), depth - 1);
	if (r == 3 || (g->spellings && r == 4))
		return fs_filter_join(b, n, "(%s) %s (%s)", x,
				      g->spellings && g->rnd() % 2 == 0 ? "&&" : "and", y);
	return fs_filter_join(b, n, "(%s) %s (%s)", x,
			      g->spellings && g->rnd() % 2 == 0 ? "||" : "or", y);
}

#endif /* FS_FILTER_GEN_H */
