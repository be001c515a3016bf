/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_filter_int.h — private to the filter library: the step from the parsed expression tree to
 * the normal form, shared by the parser (fm_filter.c) and the DNF module (fm_filter_dnf.c).
 */
#ifndef FM_FILTER_INT_H
#define FM_FILTER_INT_H

#include "fm_filter.h"

/**
 * Fill f->lits, f->conj (and their counts) with the DNF of ast[root]. On failure the caller
 * destroys f (fm_filter_destroy() frees what was set).
 * @return 0, -E2BIG (more than FM_FILTER_MAX_CONJ conjunctions or FM_FILTER_MAX_LITS literals in
 *         one), -ENOMEM.
 */
int fm_filter_dnf_build(struct fm_filter *f, const struct fm_ast *ast, int root);

#endif /* FM_FILTER_INT_H */
