/* SPDX-License-Identifier: BSD-3-Clause */
/* test_flow_exhaust.c — pool exhaustion: drop or evict by policy, established sessions intact. */
#include <check.h>

#include "fs_check.h"
#include <stdlib.h>

#include "flow_test_util.h"

#define MAX 64

static struct fm_chain g_chain;
static struct fm_clock g_clk;
static struct t_rec g_rec;
static struct fm_flow_conf g_conf;

static void setup(void)
{
	t_chain(&g_chain);
	memset(&g_clk, 0, sizeof(g_clk));
	memset(&g_rec, 0, sizeof(g_rec));
	fm_clock_set(&g_clk, 1);
	t_conf(&g_conf, &g_chain, &g_clk, &g_rec, MAX);
}

static struct fm_fcb *lk(struct fm_flow *f, uint32_t sid)
{
	uint64_t v[FM_F_COUNT];
	t_sess(v, sid);
	return fm_flow_lookup(f, v, fm_flow_hash(&g_conf.tree.hash_seed, v));
}

START_TEST(test_flow_exhaust_drop_counts_and_keeps_established)
{
	struct fm_flow *f = t_flow(&g_conf);
	size_t bytes = t_stats(f).region_bytes;
	struct fm_fcb *est[MAX];
	for (uint32_t i = 0; i < MAX; i++) {
		est[i] = lk(f, i);
		ck_assert_ptr_nonnull(est[i]);
		t_mark(f, est[i], i);
	}
	for (uint32_t i = 0; i < 1000; i++) {
		ck_assert_ptr_null(lk(f, 1000 + i)); /* SYN flood */
		uint32_t e = i % MAX;		     /* established traffic keeps flowing */
		ck_assert_ptr_eq(lk(f, e), est[e]);
		fm_flow_put(f, est[e]);
	}
	struct fm_flow_stats st = t_stats(f);
	ck_assert_uint_eq(st.cnt[FM_FLOW_CNT_exhausted_drop], 1000);
	ck_assert_uint_eq(st.cnt[FM_FLOW_CNT_alloc_fail], 0);
	ck_assert_uint_eq(st.cnt[FM_FLOW_CNT_evicted], 0);
	ck_assert_uint_eq(st.pool_in_use, MAX);
	ck_assert_uint_eq(st.sessions, MAX);
	ck_assert_uint_eq(st.region_bytes, bytes);
	ck_assert_uint_eq(fm_fcb_pool_carved(fm_flow_pool(f)), MAX);
	ck_assert_uint_eq(g_rec.events[T_FW], 0);
	for (uint32_t i = 0; i < MAX; i++)
		ck_assert_uint_eq(est[i]->usage, 1);
	fm_flow_destroy(f);
}
END_TEST

START_TEST(test_flow_exhaust_evict_oldest_idle_only)
{
	g_conf.exhaust = FM_FLOW_EXHAUST_EVICT;
	struct fm_flow *f = t_flow(&g_conf);
	struct fm_fcb *act[MAX / 2];
	for (uint32_t i = 0; i < MAX / 2; i++) /* active: packets in flight */
		act[i] = lk(f, i);
	for (uint32_t i = 0; i < MAX / 2; i++) { /* idle, oldest first */
		fm_clock_advance(&g_clk, 1);
		struct fm_fcb *c = lk(f, 100 + i);
		t_mark(f, c, 100 + i);
		fm_flow_put(f, c);
	}
	for (uint32_t i = 0; i < MAX / 2; i++) {
		fm_clock_advance(&g_clk, 1);
		struct fm_fcb *n = lk(f, 1000 + i); /* evicts idle session 100 + i */
		ck_assert_ptr_nonnull(n);
		ck_assert_uint_eq(g_rec.events[T_FW], i + 1);
		uint64_t v[FM_F_COUNT];
		t_sess(v, 100 + i);
		ck_assert_ptr_null(fm_tree_find(fm_flow_tree(f), v));
	}
	ck_assert_ptr_null(lk(f, 5000)); /* nothing idle left */
	struct fm_flow_stats st = t_stats(f);
	ck_assert_uint_eq(st.cnt[FM_FLOW_CNT_evicted], MAX / 2);
	ck_assert_uint_eq(st.cnt[FM_FLOW_CNT_evict_none], 1);
	ck_assert_uint_eq(st.pool_in_use, MAX);
	ck_assert_uint_eq(g_rec.double_release, 0);
	for (uint32_t i = 0; i < MAX / 2; i++) {
		ck_assert_ptr_eq(lk(f, i), act[i]);
		ck_assert_uint_eq(act[i]->usage, 2);
	}
	fm_flow_destroy(f);
}
END_TEST

START_TEST(test_flow_exhaust_evict_min_idle)
{
	g_conf.exhaust = FM_FLOW_EXHAUST_EVICT;
	g_conf.evict_min_idle_ms = 100;
	struct fm_flow *f = t_flow(&g_conf);
	for (uint32_t i = 0; i < MAX; i++)
		fm_flow_put(f, lk(f, i));
	ck_assert_ptr_null(lk(f, 500)); /* all idle for 0 ms */
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_evict_none), 1);
	fm_clock_advance(&g_clk, 100);
	ck_assert_ptr_nonnull(lk(f, 500));
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_evicted), 1);
	fm_flow_destroy(f);
}
END_TEST

START_TEST(test_flow_exhaust_deferred_release_holds_slot)
{
	g_conf.exhaust = FM_FLOW_EXHAUST_EVICT;
	struct fm_flow *f = t_flow(&g_conf);
	g_rec.defer_vnf = T_NAT;
	for (uint32_t i = 0; i < MAX; i++)
		fm_flow_put(f, lk(f, i));
	/* each eviction leaves a DRAINING slot: up to 4 evictions, then refused */
	ck_assert_ptr_null(lk(f, 500));
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_evicted), 4);
	ck_assert_uint_eq(t_stats(f).pool_draining, 4);
	ck_assert_uint_eq(t_stats(f).pool_in_use, MAX);
	ck_assert_int_eq(fm_flow_release_ack(f, g_rec.deferred[0]), 0);
	ck_assert_ptr_nonnull(lk(f, 500));
	ck_assert_uint_eq(t_stats(f).pool_in_use, MAX);
	fm_flow_destroy(f);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flow_exhaust");
	TCase *tc = tcase_create("exhaust");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_flow_exhaust_drop_counts_and_keeps_established);
	tcase_add_test(tc, test_flow_exhaust_evict_oldest_idle_only);
	tcase_add_test(tc, test_flow_exhaust_evict_min_idle);
	tcase_add_test(tc, test_flow_exhaust_deferred_release_holds_slot);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(suite());
}
