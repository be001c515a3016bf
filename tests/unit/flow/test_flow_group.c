/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_flow_group.c — lookups that start at the session group the NIC named (rte_flow MARK,
 * fm_flow_lookup_burst_group()) give the same sessions as full descents.
 *
 * Two tables on the same chain: one classifies every packet from the root, the other is told
 * each packet's group (as the worker is by a MARK id). Every packet must get the same slot index
 * and path in both, sessions are created once, and the group counter counts every such descent.
 */
#include <check.h>

#include "fs_check.h"
#include <stdlib.h>

#include "flow_test_util.h"

START_TEST(test_flow_group_start_same_sessions)
{
	struct fm_chain chain;
	struct fm_clock clk;
	struct t_rec rec;
	struct fm_flow_conf conf;
	enum { N = 32, ROUNDS = 40 };

	t_chain(&chain);
	memset(&clk, 0, sizeof(clk));
	memset(&rec, 0, sizeof(rec));
	t_conf(&conf, &chain, &clk, &rec, 4096);
	conf.cache_size = 0; /* every lookup descends */
	struct fm_flow *root = t_flow(&conf), *marked = t_flow(&conf);
	uint64_t v[N][FM_F_COUNT];
	uint32_t h[N], g[N];
	struct fm_fcb *a[N], *b[N];
	uint64_t n = 0;

	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < N; i++) {
			uint32_t k = (uint32_t)(r * 7 + i) % 300;
			/* TCP (fw -> nat), UDP (nat), ICMP (output, a static FCB) */
			t_vals(v[i],
			       k % 3 == 0   ? 6
			       : k % 3 == 1 ? 17
					    : 1,
			       0x0a000000u + k, 0x0a800001u, (uint16_t)(1024 + k), 80);
			h[i] = fm_flow_hash(&conf.tree.hash_seed, v[i]);
			const struct fm_fcb *f = fm_tree_find(fm_flow_tree(root), v[i]);
			/* the group of the packet: from the static part (a template's group when
			 * the session does not exist yet) */
			g[i] = f ? fm_fcb_chdr(f)->group : UINT32_MAX;
		}
		fm_flow_lookup_burst(root, (const uint64_t(*)[FM_F_COUNT])v, h, N, a);
		for (int i = 0; i < N; i++)
			if (g[i] == UINT32_MAX) /* new session: its group from the one just made */
				g[i] = fm_fcb_chdr(a[i])->group;
		ck_assert_uint_eq(fm_flow_lookup_burst_group(
				      marked, (const uint64_t(*)[FM_F_COUNT])v, h, g, N, b),
				  N);
		for (int i = 0; i < N; i++) {
			ck_assert_uint_eq(fm_flow_index(marked, b[i]), fm_flow_index(root, a[i]));
			ck_assert_uint_eq(b[i]->path_id, a[i]->path_id);
			ck_assert(fm_tree_verify_fields(fm_flow_tree(marked), b[i], v[i]));
		}
		fm_flow_put_burst(root, a, N);
		fm_flow_put_burst(marked, b, N);
		n += N;
	}
	ck_assert_uint_eq(t_cnt(marked, FM_FLOW_CNT_group_start), n);
	ck_assert_uint_eq(t_cnt(root, FM_FLOW_CNT_group_start), 0);
	ck_assert_uint_eq(t_cnt(marked, FM_FLOW_CNT_new_session),
			  t_cnt(root, FM_FLOW_CNT_new_session));
	fm_flow_destroy(root);
	fm_flow_destroy(marked);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flow_group");
	TCase *tc = tcase_create("flow_group");

	tcase_add_test(tc, test_flow_group_start_same_sessions);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(suite());
}
