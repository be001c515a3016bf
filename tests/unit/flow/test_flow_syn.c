/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_flow_syn.c — embryonic TCP sessions (fm_flow.h "Embryonic", issue 13): a session begun by a
 * SYN expires at syn_timeout_ms, a packet without SYN makes it established (the path's timeout),
 * a full pool evicts idle embryonic sessions before any established one whatever the policy, and
 * every release still delivers its events once.
 */
#include <check.h>

#include "fs_check.h"
#include <stdlib.h>

#include "flow_test_util.h"

#define MAX	 64
#define SYN_MS	 500u
#define F_SYN	 0x02
#define F_ACK	 0x10
#define F_RST	 0x04
#define F_SYNACK (F_SYN | F_ACK)

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
	g_conf.syn_timeout_ms = SYN_MS;
}

/* One packet of session sid with TCP flags `tcp` (FM_FLOW_NOT_TCP: not TCP): lookup, the worker's
 * flags call, and the put unless `hold` (the packet stays in flight). */
static struct fm_fcb *pkt(struct fm_flow *f, uint32_t sid, uint16_t tcp, bool hold)
{
	uint64_t v[FM_F_COUNT];
	t_sess(v, sid);
	struct fm_fcb *c = fm_flow_lookup(f, v, fm_flow_hash(&g_conf.tree.hash_seed, v));
	if (!c)
		return NULL;
	fm_flow_seen_burst(f, &c, &tcp, 1);
	if (!hold)
		fm_flow_put(f, c);
	return c;
}

static bool alive(struct fm_flow *f, uint32_t sid)
{
	uint64_t v[FM_F_COUNT];
	t_sess(v, sid);
	return fm_tree_find(fm_flow_tree(f), v) != NULL;
}

START_TEST(test_flow_syn_embryonic_expires_short)
{
	struct fm_flow *f = t_flow(&g_conf);
	ck_assert_uint_eq(fm_flow_syn_timeout(f, pkt(f, 1, F_SYN, false)->path_id), SYN_MS);
	t_mark(f, pkt(f, 1, F_SYN, false), 1); /* a retransmitted SYN: still embryonic */
	t_mark(f, pkt(f, 2, F_ACK, false), 2); /* begun without SYN: established */
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_embryonic), 1);
	fm_clock_advance(&g_clk, SYN_MS - 1);
	fm_flow_upkeep(f, true);
	ck_assert(alive(f, 1));
	fm_clock_advance(&g_clk, 1);
	fm_flow_upkeep(f, true);
	ck_assert(!alive(f, 1)); /* SYN_MS idle: reclaimed, with its events */
	ck_assert(alive(f, 2));
	ck_assert_uint_eq(g_rec.events[T_FW], 1);
	ck_assert_uint_eq(g_rec.events[T_NAT], 1);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_syn_reclaimed), 1);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_expired), 1);
	fm_clock_advance(&g_clk, T_TCP_TIMEOUT - SYN_MS);
	fm_flow_upkeep(f, true);
	ck_assert(!alive(f, 2)); /* the established one at the path's timeout */
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_syn_reclaimed), 1);
	ck_assert_uint_eq(g_rec.double_release, 0);
	ck_assert_uint_eq(t_stats(f).pool_in_use, 0);
	fm_flow_destroy(f);
}
END_TEST

START_TEST(test_flow_syn_reply_makes_established)
{
	struct fm_flow *f = t_flow(&g_conf);
	t_mark(f, pkt(f, 1, F_SYN, false), 1);
	fm_clock_advance(&g_clk, SYN_MS - 1);
	pkt(f, 1, F_ACK, false); /* the handshake's ACK: established for good */
	pkt(f, 1, F_SYN, false); /* a later SYN does not make it embryonic again */
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_syn_established), 1);
	fm_clock_advance(&g_clk, T_TCP_TIMEOUT - 1);
	fm_flow_upkeep(f, true);
	ck_assert(alive(f, 1));
	fm_clock_advance(&g_clk, 1);
	fm_flow_upkeep(f, true);
	ck_assert(!alive(f, 1));
	ck_assert_uint_eq(g_rec.events[T_FW], 1);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_syn_reclaimed), 0);
	fm_flow_destroy(f);
}
END_TEST

START_TEST(test_flow_syn_which_sessions)
{
	struct fm_flow *f = t_flow(&g_conf);
	ck_assert(fm_flow_embryonic(f, pkt(f, 1, F_SYN, false)));
	ck_assert(fm_flow_embryonic(f, pkt(f, 2, F_SYNACK, false))); /* a reply direction */
	ck_assert(fm_flow_embryonic(f, pkt(f, 3, F_RST, false)));    /* a server's refusal */
	ck_assert(!fm_flow_embryonic(f, pkt(f, 4, F_ACK, false)));
	ck_assert(!fm_flow_embryonic(f, pkt(f, 5, FM_FLOW_NOT_TCP, false)));
	ck_assert(!fm_flow_embryonic(f, pkt(f, 5, F_SYN, false))); /* not its first packet */
	ck_assert(fm_flow_embryonic(f, pkt(f, 3, F_RST, false)));  /* RST keeps it embryonic */
	ck_assert(!fm_flow_embryonic(f, pkt(f, 2, F_ACK, false)));
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_embryonic), 3);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_syn_established), 1);
	fm_flow_destroy(f);
}
END_TEST

/* never longer than the path's own timeout */
START_TEST(test_flow_syn_timeout_capped_by_path)
{
	g_conf.syn_timeout_ms = 10 * T_TCP_TIMEOUT;
	struct fm_flow *f = t_flow(&g_conf);
	struct fm_fcb *c = pkt(f, 1, F_SYN, false);
	ck_assert_uint_eq(fm_flow_syn_timeout(f, c->path_id), T_TCP_TIMEOUT);
	fm_clock_advance(&g_clk, T_TCP_TIMEOUT);
	fm_flow_upkeep(f, true);
	ck_assert(!alive(f, 1));
	fm_flow_destroy(f);
}
END_TEST

/* Remote decrements (a VNF freed the packet): the full sweep and a lookup use the short timeout. */
START_TEST(test_flow_syn_full_sweep_and_lazy)
{
	g_conf.full_sweep_ms = 100;
	struct fm_flow *f = t_flow(&g_conf);
	struct fm_fcb *c = pkt(f, 1, F_SYN, true);
	t_mark(f, c, 1);
	fm_fcb_usage_dec(c); /* usage 0 in another process: on no pending list */
	t_mark(f, pkt(f, 2, F_SYN, false), 2);
	fm_clock_advance(&g_clk, SYN_MS);
	pkt(f, 2, F_SYN, false); /* lazy renewal of the expired embryonic session */
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_lazy_renew), 1);
	for (int i = 0; i < 4; i++)
		fm_flow_upkeep(f, false);
	ck_assert(!alive(f, 1));
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_swept), 1);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_syn_reclaimed), 2);
	ck_assert_uint_eq(g_rec.events[T_FW], 2);
	ck_assert_uint_eq(g_rec.double_release, 0);
	fm_flow_destroy(f);
}
END_TEST

/* A SYN flood into a full pool (policy drop): each new SYN takes the slot of the oldest idle
 * embryonic session; established sessions, older and idle, are never evicted. */
static void flood(enum fm_flow_exhaust policy)
{
	g_conf.exhaust = policy;
	struct fm_flow *f = t_flow(&g_conf);
	for (uint32_t i = 0; i < MAX / 2; i++) { /* established, idle, the oldest */
		struct fm_fcb *c = pkt(f, i, F_SYN, true);
		t_mark(f, c, i);
		fm_flow_put(f, c);
		pkt(f, i, F_ACK, false);
	}
	for (uint32_t i = 0; i < MAX / 2; i++) { /* half-open, idle, newer */
		fm_clock_advance(&g_clk, 1);
		t_mark(f, pkt(f, 100 + i, F_SYN, false), 100 + i);
	}
	/* the pool filled up to its headroom (4 free): the oldest embryonic sessions made room */
	ck_assert_uint_eq(t_stats(f).pool_in_use, MAX - 4);
	ck_assert(!alive(f, 100) && !alive(f, 103) && alive(f, 104));
	for (uint32_t i = 0; i < 4 * MAX; i++) {
		fm_clock_advance(&g_clk, 1);
		struct fm_fcb *c = pkt(f, 1000 + i, F_SYN, false);
		ck_assert_ptr_nonnull(c); /* never refused: an embryonic one made room */
		t_mark(f, c, 1000 + i);
		if (i < MAX / 2 - 4)
			ck_assert(!alive(f, 104 + i)); /* the oldest embryonic went first */
	}
	/* a legitimate connection during the flood completes: SYN, ACK */
	ck_assert_ptr_nonnull(pkt(f, 9000, F_SYN, false));
	ck_assert_ptr_nonnull(pkt(f, 9000, F_ACK, false));
	ck_assert(!fm_flow_embryonic(f, pkt(f, 9000, F_ACK, false)));
	for (uint32_t i = 0; i < MAX / 2; i++)
		ck_assert(alive(f, i));
	struct fm_flow_stats st = t_stats(f);
	ck_assert_uint_eq(st.cnt[FM_FLOW_CNT_syn_evicted], 4 + 4 * MAX + 1);
	ck_assert_uint_eq(st.cnt[FM_FLOW_CNT_evicted], 0);
	ck_assert_uint_eq(st.cnt[FM_FLOW_CNT_exhausted_drop], 0);
	ck_assert_uint_eq(g_rec.events[T_FW], 4 + 4 * MAX + 1); /* one event each, to each VNF */
	ck_assert_uint_eq(g_rec.events[T_NAT], 4 + 4 * MAX + 1);
	ck_assert_uint_eq(g_rec.double_release, 0);
	ck_assert_uint_eq(st.pool_in_use, MAX - 4);
	fm_flow_destroy(f);
}

START_TEST(test_flow_syn_flood_drop_policy)
{
	flood(FM_FLOW_EXHAUST_DROP);
}
END_TEST

START_TEST(test_flow_syn_flood_evict_policy)
{
	g_conf.evict_min_idle_ms = 0;
	flood(FM_FLOW_EXHAUST_EVICT);
}
END_TEST

/* An embryonic session with a packet in flight is never evicted; with none idle, the policy. */
START_TEST(test_flow_syn_in_use_never_evicted)
{
	struct fm_flow *f = t_flow(&g_conf);
	struct fm_fcb *held[MAX];
	for (uint32_t i = 0; i < MAX; i++)
		held[i] = pkt(f, i, F_SYN, true);
	ck_assert_ptr_null(pkt(f, 500, F_SYN, false));
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_exhausted_drop), 1);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_syn_evicted), 0);
	fm_flow_put(f, held[7]);
	ck_assert_ptr_nonnull(pkt(f, 500, F_SYN, false));
	ck_assert(!alive(f, 7));
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_syn_evicted), 1);
	for (uint32_t i = 0; i < MAX; i++)
		if (i != 7)
			ck_assert_uint_eq(fm_fcb_usage_read(held[i]), 1);
	fm_flow_destroy(f);
}
END_TEST

/* Deferred release events: the evicted embryonic slot drains until acknowledged. */
START_TEST(test_flow_syn_evict_deferred)
{
	g_rec.defer_vnf = T_NAT;
	struct fm_flow *f = t_flow(&g_conf);
	struct fm_fcb *held[MAX];
	for (uint32_t i = 0; i < MAX; i++) /* in flight while the pool fills: none evicted */
		held[i] = pkt(f, i, F_SYN, true);
	for (uint32_t i = 0; i < MAX; i++)
		fm_flow_put(f, held[i]);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_syn_evicted), 0);
	/* four evictions per try, each draining: the new SYN is refused until an ack */
	ck_assert_ptr_null(pkt(f, 500, F_SYN, false));
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_syn_evicted), 4);
	ck_assert_uint_eq(t_stats(f).pool_draining, 4);
	ck_assert_int_eq(fm_flow_release_ack(f, g_rec.deferred[0]), 0);
	ck_assert_ptr_nonnull(pkt(f, 500, F_SYN, false));
	/* below the headroom: the new session evicted one more, to drain ahead of need */
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_syn_evicted), 5);
	ck_assert_uint_eq(t_stats(f).pool_draining, 4);
	ck_assert_uint_eq(g_rec.double_release, 0);
	fm_flow_destroy(f);
}
END_TEST

/* Headroom: below max(4, MAX / 64) free slots a new session evicts the oldest idle embryonic one;
 * established sessions are never evicted for it. */
START_TEST(test_flow_syn_headroom)
{
	struct fm_flow *f = t_flow(&g_conf);
	for (uint32_t i = 0; i < MAX - 4; i++) {
		fm_clock_advance(&g_clk, 1);
		pkt(f, i, i < 8 ? F_SYN : F_ACK, false);
	}
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_syn_evicted), 0);
	for (uint32_t i = 0; i < 8; i++) {
		fm_clock_advance(&g_clk, 1);
		ck_assert_ptr_nonnull(pkt(f, 100 + i, F_ACK, false));
		ck_assert(!alive(f, i)); /* the oldest embryonic, in order */
		ck_assert_uint_eq(t_stats(f).pool_in_use, MAX - 4);
	}
	ck_assert_ptr_nonnull(pkt(f, 200, F_ACK, false)); /* no embryonic left: the pool fills */
	ck_assert_uint_eq(t_stats(f).pool_in_use, MAX - 3);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_syn_evicted), 8);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_evicted), 0);
	ck_assert_uint_eq(g_rec.events[T_FW], 8);
	fm_flow_destroy(f);
}
END_TEST

/* syn_timeout_ms 0: the rule is off (the path's timeout, no preference). */
START_TEST(test_flow_syn_off)
{
	g_conf.syn_timeout_ms = 0;
	struct fm_flow *f = t_flow(&g_conf);
	ck_assert(!fm_flow_embryonic(f, pkt(f, 1, F_SYN, false)));
	fm_clock_advance(&g_clk, SYN_MS);
	fm_flow_upkeep(f, true);
	ck_assert(alive(f, 1));
	fm_flow_destroy(f);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flow_syn");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_flow_syn_embryonic_expires_short);
	tcase_add_test(tc, test_flow_syn_reply_makes_established);
	tcase_add_test(tc, test_flow_syn_which_sessions);
	tcase_add_test(tc, test_flow_syn_timeout_capped_by_path);
	tcase_add_test(tc, test_flow_syn_full_sweep_and_lazy);
	tcase_add_test(tc, test_flow_syn_flood_drop_policy);
	tcase_add_test(tc, test_flow_syn_flood_evict_policy);
	tcase_add_test(tc, test_flow_syn_in_use_never_evicted);
	tcase_add_test(tc, test_flow_syn_evict_deferred);
	tcase_add_test(tc, test_flow_syn_headroom);
	tcase_add_test(tc, test_flow_syn_off);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(suite());
}
