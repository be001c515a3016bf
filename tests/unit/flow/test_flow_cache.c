/* SPDX-License-Identifier: BSD-3-Clause */
/* test_flow_cache.c — RSS-hash cache: verified hits, collisions, stale generations. */
#include <check.h>

#include "fs_check.h"
#include <stdlib.h>

#include "flow_test_util.h"

static struct fm_chain g_chain;
static struct fm_clock g_clk;
static struct t_rec g_rec;
static struct fm_flow_conf g_conf;

static void setup(void)
{
	t_chain(&g_chain);
	memset(&g_clk, 0, sizeof(g_clk));
	memset(&g_rec, 0, sizeof(g_rec));
	t_conf(&g_conf, &g_chain, &g_clk, &g_rec, 256);
	g_conf.cache_size = 64;
}

START_TEST(test_flow_cache_hit_verified)
{
	struct fm_flow *f = t_flow(&g_conf);
	uint64_t v[FM_F_COUNT];
	t_sess(v, 1);
	uint32_t h = fm_flow_hash(&g_conf.tree.hash_seed, v);
	struct fm_fcb *a = fm_flow_lookup(f, v, h);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_miss), 1);
	ck_assert_ptr_eq(fm_flow_lookup(f, v, h), a);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_hit), 1);
	ck_assert_uint_eq(a->usage, 2);
	/* burst API */
	uint64_t vb[4][FM_F_COUNT];
	uint32_t hb[4];
	struct fm_fcb *out[4];
	for (int i = 0; i < 4; i++) {
		t_sess(vb[i], (uint32_t)i);
		hb[i] = fm_flow_hash(&g_conf.tree.hash_seed, vb[i]);
	}
	ck_assert_uint_eq(fm_flow_lookup_burst(f, (const uint64_t(*)[FM_F_COUNT])vb, hb, 4, out),
			  4);
	ck_assert_ptr_eq(out[1], a);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_hit), 2);
	for (int i = 0; i < 4; i++)
		ck_assert_ptr_eq(out[i], fm_tree_find(fm_flow_tree(f), vb[i]));
	fm_flow_destroy(f);
}
END_TEST

START_TEST(test_flow_cache_collision_detected)
{
	struct fm_flow *f = t_flow(&g_conf);
	uint64_t va[FM_F_COUNT], vb[FM_F_COUNT];
	t_sess(va, 1);
	t_sess(vb, 2);
	const uint32_t h = 0xabcdu; /* both flows claim the same RSS hash */
	struct fm_fcb *a = fm_flow_lookup(f, va, h);
	struct fm_fcb *b = fm_flow_lookup(f, vb, h);
	ck_assert_ptr_ne(a, b);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_verify_fail), 1);
	ck_assert_ptr_eq(b, fm_tree_find(fm_flow_tree(f), vb));
	ck_assert_ptr_eq(fm_flow_lookup(f, va, h), a); /* entry now holds b: verify fails again */
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_verify_fail), 2);
	ck_assert_ptr_eq(fm_flow_lookup(f, va, h), a);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_hit), 1);
	/* a different packet of another class with the same hash: verify rejects too */
	uint64_t vu[FM_F_COUNT];
	t_vals(vu, 17, va[FM_F_IP4_SRC], va[FM_F_IP4_DST], (uint16_t)va[FM_F_SPORT],
	       (uint16_t)va[FM_F_DPORT]);
	struct fm_fcb *u = fm_flow_lookup(f, vu, h);
	ck_assert_ptr_ne(u, a);
	ck_assert_uint_eq(u->nb_hops, 2);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_verify_fail), 3);
	fm_flow_destroy(f);
}
END_TEST

START_TEST(test_flow_cache_stale_generation)
{
	struct fm_flow *f = t_flow(&g_conf);
	uint64_t va[FM_F_COUNT], vc[FM_F_COUNT];
	t_sess(va, 1);
	t_sess(vc, 3);
	struct fm_fcb *a = fm_flow_lookup(f, va, 77);
	uint32_t idx = fm_flow_index(f, a), gen = a->generation;
	fm_flow_put(f, a);
	fm_clock_advance(&g_clk, T_TCP_TIMEOUT);
	ck_assert_uint_eq(fm_flow_upkeep(f, true), 1);
	/* the slot is reused by another session (LIFO) under a new generation */
	struct fm_fcb *c = fm_flow_lookup(f, vc, 78);
	ck_assert_uint_eq(fm_flow_index(f, c), idx);
	ck_assert_uint_ne(c->generation, gen);
	struct fm_fcb *a2 = fm_flow_lookup(f, va, 77);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_stale), 1);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_hit), 0);
	ck_assert_ptr_ne(a2, c);
	ck_assert_ptr_eq(a2, fm_tree_find(fm_flow_tree(f), va));
	/* a released slot that was not reused yet is stale as well */
	fm_flow_put(f, a2);
	fm_clock_advance(&g_clk, T_TCP_TIMEOUT);
	ck_assert_uint_eq(fm_flow_upkeep(f, true), 1);
	fm_flow_lookup(f, va, 77);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_stale), 2);
	fm_flow_destroy(f);
}
END_TEST

/*
 * Symmetric RSS (fm_port.h) gives both directions of a connection the same NIC hash: as the cache
 * hash they would evict each other from one entry on every packet. fm_flow_rss_hash() tells the
 * directions apart, so alternating directions hit after the first packet of each.
 */
START_TEST(test_flow_cache_symmetric_rss_directions)
{
	struct fm_flow *f = t_flow(&g_conf);
	uint64_t fwd[FM_F_COUNT], rev[FM_F_COUNT];
	const uint32_t rss = 0x1234u; /* what the NIC gives both directions */

	t_vals(fwd, 6, 0x0a000001u, 0x0a800001u, 40000, 80);
	t_vals(rev, 6, 0x0a800001u, 0x0a000001u, 80, 40000);
	ck_assert_uint_ne(fm_flow_rss_hash(rss, fwd), fm_flow_rss_hash(rss, rev));
	ck_assert_uint_eq(fm_flow_rss_hash(rss, fwd) & 63,
			  (fm_flow_rss_hash(rss, rev) & 63) ^ 0x39);
	for (int k = 0; k < 8; k++) {
		struct fm_fcb *a = fm_flow_lookup(f, fwd, fm_flow_rss_hash(rss, fwd));
		struct fm_fcb *b = fm_flow_lookup(f, rev, fm_flow_rss_hash(rss, rev));

		ck_assert_ptr_nonnull(a);
		ck_assert_ptr_nonnull(b);
		ck_assert_ptr_ne(a, b);
	}
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_hit), 14);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_verify_fail), 0);
	fm_flow_destroy(f);
}
END_TEST

START_TEST(test_flow_cache_off)
{
	g_conf.cache_size = 0;
	struct fm_flow *f = t_flow(&g_conf);
	uint64_t v[FM_F_COUNT];
	t_sess(v, 1);
	struct fm_fcb *a = fm_flow_lookup(f, v, 5);
	ck_assert_ptr_eq(fm_flow_lookup(f, v, 5), a);
	struct fm_flow_stats st = t_stats(f);
	ck_assert_uint_eq(st.cnt[FM_FLOW_CNT_cache_hit] + st.cnt[FM_FLOW_CNT_cache_miss], 0);
	ck_assert_uint_eq(st.cache_bytes, 0);
	fm_flow_destroy(f);
	g_conf.cache_size = 64;
	f = t_flow(&g_conf);
	fm_flow_cache_enable(f, false);
	fm_flow_lookup(f, v, 5);
	fm_flow_lookup(f, v, 5);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_hit), 0);
	fm_flow_cache_enable(f, true);
	fm_flow_lookup(f, v, 5);
	fm_flow_lookup(f, v, 5);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_hit), 1);
	fm_flow_destroy(f);
}
END_TEST

START_TEST(test_flow_hash_spreads)
{
	enum { N = 1 << 16 };
	uint8_t *seen = calloc(N, 1);
	uint64_t v[FM_F_COUNT];
	uint32_t coll = 0;
	for (uint32_t i = 0; i < N / 4; i++) {
		t_sess(v, i);
		uint32_t h = fm_flow_hash(&g_conf.tree.hash_seed, v) & (N - 1);
		coll += seen[h];
		seen[h] = 1;
	}
	/* N/4 keys in N buckets: ~ N/4 * (1 - e^-0.25) / ... about 1/8 of the keys collide */
	ck_assert_uint_lt(coll, N / 4 / 6);
	free(seen);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flow_cache");
	TCase *tc = tcase_create("cache");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_flow_cache_hit_verified);
	tcase_add_test(tc, test_flow_cache_collision_detected);
	tcase_add_test(tc, test_flow_cache_stale_generation);
	tcase_add_test(tc, test_flow_cache_off);
	tcase_add_test(tc, test_flow_cache_symmetric_rss_directions);
	tcase_add_test(tc, test_flow_hash_spreads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(suite());
}
