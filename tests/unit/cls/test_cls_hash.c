/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_cls_hash.c — the tree's hash nodes are keyed by a per-start seed (issue #17 finding 5).
 * Regression: the session level's open-addressing hash used fixed public constants, so a set of
 * sessions whose keys share a home slot could be computed offline and inserted to build one long
 * probe run. Here the same sessions land at other slots under another seed, and sessions chosen to
 * share one home slot under seed A (one probe run as long as the set) are scattered under seed B.
 * Also: the tree dump does not depend on the seed (hash nodes print in key order). White-box: it
 * reads the session root's slots (fm_tree_int.h). No EAL.
 */
#include <check.h>

#include "fs_check.h"
#include <stdio.h>
#include <stdlib.h>

#include "cls_test_util.h"
#include "fm_cls.h"
#include "fm_tree_int.h"

static const struct fm_hash_seed seed_a = {0x0123456789abcdefull, 0xfedcba9876543210ull};
static const struct fm_hash_seed seed_b = {0x9e3779b97f4a7c15ull, 0x5851f42d4c957f2dull};

#define NB_SET 12 /* below the root's 75 % of 64: no growth */

static void sess_pkt(uint32_t i, struct fm_pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->ethertype = FM_ETH_IPV4;
	p->l3 = FM_L3_IPV4;
	p->proto = FM_PROTO_UDP;
	p->has_l4 = 1;
	p->ip4_src = 0x0a000000u | (i >> 16);
	p->ip4_dst = 0x0a010101u;
	p->sport = 4000;
	p->dport = (uint16_t)(i & 0xffff);
}

static struct fm_tree *udp_tree(const struct fm_hash_seed *seed)
{
	struct fm_chain c;
	memset(&c, 0, sizeof(c));
	int v = chain_add_vnf(&c, "mon", "udp", "4tuple", 16);
	chain_add_edge(&c.input, "", v);
	struct fm_tree_opts o = {.hash_seed = *seed};
	struct fm_tree *t;
	char err[256];
	ck_assert_int_eq(fm_tree_build(&c, &o, &t, err, sizeof(err)), 0);
	return t;
}

/* The IPv4 session root (a hash node of 64 slots until it grows). */
static struct fm_node *session_root(struct fm_tree *t)
{
	for (uint32_t g = 0; g < t->nb_groups; g++)
		if (t->groups[g]->key_fields && t->groups[g]->family == FM_FAM_IPV4) {
			struct fm_node *n = t->groups[g]->root;
			ck_assert_int_eq(n->kind, FM_NODE_HASH);
			return n;
		}
	ck_abort_msg("no IPv4 session group");
	return NULL;
}

static long slot_of(struct fm_node *n, const struct fm_fcb *f)
{
	for (uint32_t i = 0; i < n->cap; i++)
		if (n->u.hash[i].child == f)
			return (long)i;
	return -1;
}

/* Longest run of occupied slots (cyclic): the worst probe sequence of a lookup. */
static uint32_t longest_run(const struct fm_node *n)
{
	uint32_t best = 0, run = 0;
	for (uint32_t k = 0; k < 2 * n->cap; k++) {
		run = n->u.hash[k % n->cap].child ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best > n->cap ? n->cap : best;
}

START_TEST(test_cls_hash_same_sessions_other_slots_under_other_seed)
{
	struct fm_tree *ta = udp_tree(&seed_a), *tb = udp_tree(&seed_b);
	struct fm_node *na = session_root(ta), *nb = session_root(tb);
	uint32_t moved = 0;
	for (uint32_t i = 0; i < NB_SET; i++) {
		struct fm_pkt p;
		sess_pkt(i, &p);
		long sa = slot_of(na, fm_tree_lookup(ta, &p));
		long sb = slot_of(nb, fm_tree_lookup(tb, &p));
		ck_assert(sa >= 0 && sb >= 0);
		moved += sa != sb;
	}
	/* 64 slots: a session keeps its slot by chance 1 time in 64 */
	ck_assert_msg(moved >= NB_SET / 2, "only %u of %u sessions moved", moved, NB_SET);
	fm_tree_destroy(ta);
	fm_tree_destroy(tb);
}
END_TEST

START_TEST(test_cls_hash_colliding_sessions_scatter_under_other_seed)
{
	/* the attacker's offline step, with seed A known: sessions whose key shares home slot 0 */
	struct fm_tree *probe = udp_tree(&seed_a);
	uint32_t set[NB_SET], ns = 0;
	for (uint32_t i = 0; ns < NB_SET && i < (1u << 20); i++) {
		struct fm_pkt p;
		sess_pkt(i, &p);
		struct fm_fcb *f = fm_tree_lookup(probe, &p);
		ck_assert_ptr_nonnull(f);
		if ((fm_hash_key(probe, f->key, fm_fcb_hdr(f)->nkey) & 63) == 0)
			set[ns++] = i;
		ck_assert_int_eq(fm_tree_release(probe, f), 0);
	}
	ck_assert_uint_eq(ns, NB_SET);
	fm_tree_destroy(probe);

	struct fm_tree *ta = udp_tree(&seed_a), *tb = udp_tree(&seed_b);
	for (uint32_t k = 0; k < NB_SET; k++) {
		struct fm_pkt p;
		sess_pkt(set[k], &p);
		ck_assert_ptr_nonnull(fm_tree_lookup(ta, &p));
		ck_assert_ptr_nonnull(fm_tree_lookup(tb, &p));
	}
	uint32_t ra = longest_run(session_root(ta)), rb = longest_run(session_root(tb));
	ck_assert_uint_eq(ra, NB_SET); /* seed A: one probe run through all of them */
	ck_assert_msg(rb <= NB_SET / 2, "seed B still chains them: run %u", rb);
	fm_tree_destroy(ta);
	fm_tree_destroy(tb);
}
END_TEST

/* Static hash nodes (forced: 12 exact ports) print in key order, whatever the seed. */
static char *dump(const struct fm_hash_seed *seed)
{
	struct fm_chain c;
	memset(&c, 0, sizeof(c));
	int v = chain_add_vnf(&c, "web", "udp", "", 0);
	int w = chain_add_vnf(&c, "other", "tcp", "", 0);
	char f[FM_FILTER_MAX];
	size_t o = (size_t)snprintf(f, sizeof(f), "dst port 37");
	for (int p = 2; p <= 12; p++)
		o += (size_t)snprintf(f + o, sizeof(f) - o, " or dst port %d", p * 37);
	ck_assert_uint_lt(o, sizeof(f));
	chain_add_edge(&c.input, f, v);
	chain_add_edge(&c.input, "tcp", w);
	struct fm_tree_opts opts = {
	    .hash_seed = *seed, .allow_impossible = true, .static_kind = FM_NODE_HASH};
	struct fm_tree *t;
	char err[256];
	ck_assert_int_eq(fm_tree_build(&c, &opts, &t, err, sizeof(err)), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(m);
	fm_tree_print(t, m);
	fclose(m);
	fm_tree_destroy(t);
	return buf;
}

START_TEST(test_cls_hash_tree_print_does_not_depend_on_seed)
{
	char *a = dump(&seed_a), *b = dump(&seed_b);
	ck_assert_ptr_nonnull(strstr(a, "hash node"));
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
}
END_TEST

static Suite *cls_hash_suite(void)
{
	Suite *s = suite_create("cls_hash");
	TCase *tc = tcase_create("seed");
	tcase_add_test(tc, test_cls_hash_same_sessions_other_slots_under_other_seed);
	tcase_add_test(tc, test_cls_hash_colliding_sessions_scatter_under_other_seed);
	tcase_add_test(tc, test_cls_hash_tree_print_does_not_depend_on_seed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(cls_hash_suite());
}
