/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_cls_growth.c — one PFP level fed 2 million distinct sessions grows through several node
 * sizes with no lookup failing; releasing every session returns the node to its initial size and
 * all dynamic memory (counters here, leaks under ASan). Also exercises the FCB allocator hook.
 */
#include <check.h>

#include "fs_check.h"
#include <stdlib.h>

#include "cls_test_util.h"
#include "fm_cls.h"

#define NB_SESS (2u * 1000 * 1000)

struct counting_alloc {
	uint64_t live, total;
};

static void *c_alloc(void *o, size_t sz)
{
	struct counting_alloc *a = o;
	a->live++;
	a->total++;
	return malloc(sz);
}

static void c_free(void *o, void *p, size_t sz)
{
	struct counting_alloc *a = o;
	(void)sz;
	a->live--;
	free(p);
}

static void sess_pkt(uint32_t i, struct fm_pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->ethertype = FM_ETH_IPV4;
	p->l3 = FM_L3_IPV4;
	p->proto = FM_PROTO_UDP;
	p->has_l4 = 1;
	p->ip4_src = 0x0a000000u | (i >> 21);
	p->ip4_dst = 0x0a010101u;
	p->sport = (uint16_t)(1024 + ((i >> 16) & 0x1f));
	p->dport = (uint16_t)(i & 0xffff);
}

static void run_growth(bool per_field)
{
	struct fm_chain c;
	memset(&c, 0, sizeof(c));
	int v = chain_add_vnf(&c, "mon", "udp", "4tuple", 16);
	chain_add_edge(&c.input, "", v);
	struct counting_alloc ca = {0};
	struct fm_alloc al = {c_alloc, c_free, &ca};
	struct fm_tree_opts o = {.fcb_alloc = &al, .pfp_per_field = per_field};
	struct fm_tree *t;
	char err[256];
	ck_assert_int_eq(fm_tree_build(&c, &o, &t, err, sizeof(err)), 0);
	int g = -1;
	for (int k = 0; k < fm_tree_nb_groups(t); k++) {
		struct fm_group_info gi;
		fm_tree_group_info(t, k, &gi);
		if (gi.key_fields && gi.family == FM_FAM_IPV4)
			g = k;
	}
	ck_assert_int_ge(g, 0);
	struct fm_group_info gi0, gi;
	struct fm_tree_stats st0, st;
	fm_tree_group_info(t, g, &gi0);
	fm_tree_get_stats(t, &st0);
	ck_assert_uint_eq(gi0.root_cap, 64);
	uint32_t caps_seen = 1, last_cap = gi0.root_cap, max_chain = 1;
	struct fm_fcb **f = malloc(NB_SESS * sizeof(*f));
	ck_assert_ptr_nonnull(f);
	uint32_t fails = 0;
	for (uint32_t i = 0; i < NB_SESS; i++) {
		struct fm_pkt p;
		sess_pkt(i, &p);
		f[i] = fm_tree_lookup(t, &p);
		if (!f[i] || (i % 4099 == 0 && fm_tree_lookup(t, &p) != f[i]))
			fails++;
		if (i < 70000 || (i & 0xfff) == 0 || i == NB_SESS - 1) {
			fm_tree_group_info(t, g, &gi);
			if (gi.root_cap != last_cap)
				caps_seen++, last_cap = gi.root_cap;
			if (gi.chain_len > max_chain)
				max_chain = gi.chain_len;
		}
	}
	ck_assert_uint_eq(fails, 0);
	fm_tree_get_stats(t, &st);
	ck_assert_uint_eq(st.sessions, NB_SESS);
	ck_assert_uint_eq(ca.live, NB_SESS);
	ck_assert_uint_ge(caps_seen, 4); /* grew through several sizes */
	ck_assert_uint_gt(st.grows, 0);
	ck_assert_uint_gt(max_chain, 1);
	/* every session is still found (also in drained, growing nodes) and verifies */
	for (uint32_t i = 0; i < NB_SESS; i += 7) {
		struct fm_pkt p;
		uint64_t vals[FM_F_COUNT];
		sess_pkt(i, &p);
		fm_pkt_fields(&p, vals);
		if (fm_tree_find(t, vals) != f[i] || !fm_tree_verify(t, f[i], &p))
			fails++;
	}
	ck_assert_uint_eq(fails, 0);
	/* release everything in a scattered order */
	for (uint32_t k = 0; k < NB_SESS; k++) {
		uint32_t i = (uint32_t)(((uint64_t)k * 1000003u) % NB_SESS);
		if (fm_tree_release(t, f[i]))
			fails++;
	}
	ck_assert_uint_eq(fails, 0);
	fm_tree_group_info(t, g, &gi);
	fm_tree_get_stats(t, &st);
	ck_assert_uint_eq(gi.sessions, 0);
	ck_assert_uint_eq(gi.chain_len, 1);
	ck_assert_uint_eq(gi.root_cap, gi0.root_cap);
	ck_assert_int_eq(gi.root_kind, gi0.root_kind);
	ck_assert_uint_eq(st.sessions, 0);
	ck_assert_uint_eq(st.dyn_nodes, st0.dyn_nodes);
	ck_assert_uint_eq(st.dyn_node_bytes, st0.dyn_node_bytes);
	ck_assert_uint_eq(ca.live, 0);
	ck_assert_uint_eq(ca.total, NB_SESS);
	if (getenv("FS_CLS_PRINT"))
		printf("growth(per_field=%d): %u sizes, max chain %u, %llu grows, %llu splices\n",
		       per_field, caps_seen, max_chain, (unsigned long long)st.grows,
		       (unsigned long long)st.splices);
	free(f);
	fm_tree_destroy(t);
}

START_TEST(test_tree_lookup_grows_session_level_and_shrinks_back)
{
	run_growth(false);
}
END_TEST

START_TEST(test_tree_lookup_grows_per_field_levels_and_prunes)
{
	run_growth(true);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cls_growth");
	TCase *tc = tcase_create("growth");
	tcase_set_timeout(tc, 0);
	tcase_add_test(tc, test_tree_lookup_grows_session_level_and_shrinks_back);
	tcase_add_test(tc, test_tree_lookup_grows_per_field_levels_and_prunes);
	suite_add_tcase(s, tc);
	return fs_check_run(s);
}
