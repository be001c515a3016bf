/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_flow_garbage.c — FCB fields another process wrote (issue #17, a hostile VNF): usage counts
 * out of bounds, a timeout, a path id and list links in the slot header. The flow table must not
 * leak the slot forever, release a session before its idle timeout, or write outside its region
 * (ASan), and it counts what it found (usage_bad) and names the FCB to its owner (on_usage_bad).
 */
#include <check.h>

#include "fs_check.h"
#include <stdlib.h>

#include "flow_test_util.h"

static struct fm_chain g_chain;
static struct fm_clock g_clk;
static struct t_rec g_rec;
static struct fm_flow_conf g_conf;
static unsigned int g_bad;

static void on_bad(void *opaque, const struct fm_fcb *fcb)
{
	(void)opaque;
	(void)fcb;
	g_bad++;
}

static void setup(void)
{
	t_chain(&g_chain);
	memset(&g_clk, 0, sizeof(g_clk));
	memset(&g_rec, 0, sizeof(g_rec));
	fm_clock_set(&g_clk, 1000);
	t_conf(&g_conf, &g_chain, &g_clk, &g_rec, 64);
	g_conf.usage_max = 1000;
	g_conf.on_usage_bad = on_bad;
	g_bad = 0;
}

static struct fm_fcb *lookup(struct fm_flow *f, uint32_t sid)
{
	uint64_t v[FM_F_COUNT];
	t_sess(v, sid);
	struct fm_fcb *c = fm_flow_lookup(f, v, fm_flow_hash(&g_conf.tree.hash_seed, v));
	ck_assert_ptr_nonnull(c);
	return c;
}

static void set_usage(struct fm_fcb *c, uint32_t u)
{
	atomic_store((_Atomic uint32_t *)&c->usage, u);
}

/* A count written far above what can be in flight: the next packet's lookup resets it to its own
 * hold, and the session is released once idle for its timeout (old code: never, the slot leaked).
 */
START_TEST(test_flow_garbage_usage_high_reset_by_lookup)
{
	struct fm_flow *f = t_flow(&g_conf);
	struct fm_fcb *c = lookup(f, 1);

	set_usage(c, 0xfffffff0u);
	ck_assert_ptr_eq(lookup(f, 1), c);
	ck_assert_uint_eq(fm_fcb_usage_read(c), 1);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_usage_bad), 1);
	ck_assert_uint_eq(g_bad, 1);
	fm_flow_put(f, c);
	ck_assert_uint_eq(fm_fcb_usage_read(c), 0);
	fm_clock_advance(&g_clk, T_TCP_TIMEOUT);
	fm_flow_upkeep(f, true);
	ck_assert_uint_eq(t_stats(f).sessions, 0);
	ck_assert_uint_eq(t_stats(f).pool_in_use, 0);
	fm_flow_destroy(f);
}
END_TEST

/* An idle session whose count is then written high, with no packet after: the full sweep finds
 * it, resets it and the session goes after its timeout — the pool does not leak the slot. */
START_TEST(test_flow_garbage_usage_high_found_by_full_sweep)
{
	g_conf.full_sweep_ms = 5000;
	struct fm_flow *f = t_flow(&g_conf);
	struct fm_fcb *c = lookup(f, 1);

	fm_flow_put(f, c);
	set_usage(c, 0x7fffffffu);
	for (int i = 0; i < 4; i++) {
		fm_clock_advance(&g_clk, 5000);
		fm_flow_upkeep(f, true);
		fm_flow_upkeep(f, true);
	}
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_usage_bad), 1);
	ck_assert_uint_eq(g_bad, 1);
	ck_assert_uint_eq(t_stats(f).sessions, 0);
	ck_assert_uint_eq(t_stats(f).pool_in_use, 0);
	fm_flow_destroy(f);
}
END_TEST

/* The count zeroed under a packet in flight: flowmgr's put wraps below zero; the count is reset
 * and the session still waits its whole idle timeout from that put (not released at once). */
START_TEST(test_flow_garbage_usage_underflow)
{
	struct fm_flow *f = t_flow(&g_conf);
	struct fm_fcb *c = lookup(f, 1);

	set_usage(c, 0);
	fm_clock_advance(&g_clk, 10);
	fm_flow_put(f, c);
	ck_assert_uint_eq(fm_fcb_usage_read(c), 0);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_usage_bad), 1);
	fm_clock_advance(&g_clk, T_TCP_TIMEOUT - 1);
	fm_flow_upkeep(f, true);
	ck_assert_uint_eq(t_stats(f).sessions, 1);
	fm_clock_advance(&g_clk, 1);
	fm_flow_upkeep(f, true);
	ck_assert_uint_eq(t_stats(f).sessions, 0);
	fm_flow_destroy(f);
}
END_TEST

/* A timeout of 0 written into the FCB does not release a session that was just used: the table's
 * own per-path timeout counts (old code: released by the next upkeep). */
START_TEST(test_flow_garbage_timeout_ignored)
{
	struct fm_flow *f = t_flow(&g_conf);
	struct fm_fcb *c = lookup(f, 1);

	c->timeout_ms = 0;
	fm_flow_put(f, c);
	fm_flow_upkeep(f, true);
	fm_flow_upkeep(f, false);
	ck_assert_uint_eq(t_stats(f).sessions, 1);
	fm_clock_advance(&g_clk, T_TCP_TIMEOUT);
	fm_flow_upkeep(f, true);
	ck_assert_uint_eq(t_stats(f).sessions, 0);
	fm_flow_destroy(f);
}
END_TEST

/* A path id and list links written into idle sessions on the pending lists: reviving and
 * releasing them stays inside the table (old code: plists[0xffff] and slot 0x7fffffff were
 * written, which ASan reports), and every session is released in the end. */
START_TEST(test_flow_garbage_path_and_links)
{
	g_conf.full_sweep_ms = 5000;
	struct fm_flow *f = t_flow(&g_conf);
	struct fm_fcb *c[4];

	for (uint32_t i = 0; i < 4; i++) {
		c[i] = lookup(f, i);
		fm_flow_put(f, c[i]);
	}
	c[1]->path_id = 0xffff;
	fm_fcb_pool_slot_of(c[2])->prev = 0x7fffffffu;
	fm_fcb_pool_slot_of(c[2])->next = 0x7ffffffeu;
	fm_fcb_pool_slot_of(c[3])->list = 0xfffe;
	ck_assert_ptr_eq(lookup(f, 1), c[1]); /* revived: off its list */
	ck_assert_ptr_eq(lookup(f, 2), c[2]);
	fm_flow_put(f, c[1]);
	fm_flow_put(f, c[2]);
	for (int i = 0; i < 6; i++) {
		fm_clock_advance(&g_clk, 5000);
		for (int k = 0; k < 4; k++)
			fm_flow_upkeep(f, true);
	}
	ck_assert_uint_eq(t_stats(f).sessions, 0);
	ck_assert_uint_eq(t_stats(f).pool_in_use, 0);
	fm_flow_destroy(f);
}
END_TEST

static Suite *garbage_suite(void)
{
	Suite *s = suite_create("flow_garbage");
	TCase *tc = tcase_create("garbage");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_flow_garbage_usage_high_reset_by_lookup);
	tcase_add_test(tc, test_flow_garbage_usage_high_found_by_full_sweep);
	tcase_add_test(tc, test_flow_garbage_usage_underflow);
	tcase_add_test(tc, test_flow_garbage_timeout_ignored);
	tcase_add_test(tc, test_flow_garbage_path_and_links);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(garbage_suite());
}
