/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_xdp_table.h — the offload rules (fm_offload.h) as the XDP program's rule table, EAL-free.
 *
 * What: fm_xdp_table_build() takes the rules an rte_flow port would get if it accepted every
 * expressible rule (a rule is in the table iff it is expressible and every rule it must not
 * overtake is in the table: the same closure as fm_ofl_place()), in (priority, id) order, as
 * struct fm_xdp_rule entries (fm_xdp_prog.h): DROP rules drop in the kernel, MARK rules of a path
 * without VNF (hops = output only) are redirected to the egress port when `redirect` is set (the
 * port has a kernel egress: two af_xdp ports), the others go to user space with their group.
 * Beyond FM_XDP_MAX_RULES the table is cut at a priority boundary (a cut suffix never holds a
 * dependency of a kept rule: dependencies have lower priority values).
 * fm_xdp_classify() is the program's verdict on a frame (the same code, fm_xdp_prog.h), for the
 * tests and tests/tools/xdp_expect.
 * Concurrency: control path (build before the ports start carrying traffic).
 */
#ifndef FM_XDP_TABLE_H
#define FM_XDP_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fm_offload.h"
#include "fm_xdp_prog.h"

struct fm_xdp_table {
	uint32_t nb;				/* entries used */
	uint32_t nb_drop, nb_redirect, nb_user; /* by action */
	uint32_t left_out; /* rules not in the table (inexpressible, depends, cut) */
	struct fm_xdp_rule r[FM_XDP_MAX_RULES];
};

/** Fill `out` from the rule set of tree t. @return 0 (never fails; see left_out). */
int fm_xdp_table_build(const struct fm_ofl_set *s, const struct fm_tree *t, bool redirect,
		       struct fm_xdp_table *out);

/** The verdict on a frame: the entry that matches (index), or -1 (to user space, no class). */
int fm_xdp_classify(const struct fm_xdp_table *x, const uint8_t *b, uint32_t len);

/** The table as text (`nfctl offload`'s XDP part). */
void fm_xdp_table_print(const struct fm_xdp_table *x, FILE *out);

#endif /* FM_XDP_TABLE_H */
