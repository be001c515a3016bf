/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_cls.h — the classifier library (fs_cls) in one include, and the offline check used by
 * `flowmgr --check-config FILE`.
 *
 * What: fm_cls_check_chain() validates a chain (filters, sessions, graph), builds its tree with
 * the default options and prints the VNF declarations, the build warnings, the tree
 * (fm_tree_print()) and the FCB layout (fm_layout_print()). No EAL, no allocation kept.
 *
 * Concurrency: control path only.
 */
#ifndef FM_CLS_H
#define FM_CLS_H

#include <stddef.h>
#include <stdio.h>

#include "fm_chain.h"
#include "fm_filter.h"
#include "fm_layout.h"
#include "fm_tree.h"

/** @return 0 if the chain is valid (report printed to out), else -errno with err set. */
int fm_cls_check_chain(const struct fm_chain *chain, FILE *out, char *err, size_t errlen);

#endif /* FM_CLS_H */
