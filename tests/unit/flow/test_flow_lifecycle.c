/* SPDX-License-Identifier: BSD-3-Clause */
/* test_flow_lifecycle.c — FCB lifecycle with a driven clock (issue 4, Done-when 1). */
#include <check.h>

#include "fs_check.h"
#include <errno.h>
#include <stdlib.h>

#include "flow_test_util.h"
#include "fm_filter.h"

static struct fm_chain g_chain;
static struct fm_clock g_clk;
static struct t_rec g_rec;
static struct fm_flow_conf g_conf;

static void setup(void)
{
	t_chain(&g_chain);
	memset(&g_clk, 0, sizeof(g_clk));
	memset(&g_rec, 0, sizeof(g_rec));
	fm_clock_set(&g_clk, 1000);
	t_conf(&g_conf, &g_chain, &g_clk, &g_rec, 1024);
}

static struct fm_fcb *new_tcp(struct fm_flow *f, uint32_t sid)
{
	uint64_t v[FM_F_COUNT];
	t_sess(v, sid);
	struct fm_fcb *c = fm_flow_lookup(f, v, fm_flow_hash(&g_conf.tree.hash_seed, v));
	ck_assert_ptr_nonnull(c);
	return c;
}

static void idle_upkeep(struct fm_flow *f, int n)
{
	for (int i = 0; i < n; i++)
		fm_flow_upkeep(f, true);
}

START_TEST(test_flow_timeout_is_path_max)
{
	struct fm_flow *f = t_flow(&g_conf);
	struct fm_fcb *c = new_tcp(f, 1);
	ck_assert_uint_eq(c->nb_hops, 3);
	ck_assert_uint_eq(c->timeout_ms, T_TCP_TIMEOUT);
	uint64_t v[FM_F_COUNT];
	t_vals(v, 17, 1, 2, 3, 4);
	struct fm_fcb *u = fm_flow_lookup(f, v, fm_flow_hash(&g_conf.tree.hash_seed, v));
	ck_assert_ptr_nonnull(u);
	ck_assert_uint_eq(u->timeout_ms, 3000);
	ck_assert_uint_eq(fm_flow_path_timeout(f, c->path_id), T_TCP_TIMEOUT);
	fm_flow_destroy(f);
}
END_TEST

START_TEST(test_flow_release_exact_timeout)
{
	struct fm_flow *f = t_flow(&g_conf);
	struct fm_fcb *c = new_tcp(f, 7);
	t_mark(f, c, 7);
	ck_assert_uint_eq(c->usage, 1);
	fm_flow_put(f, c); /* usage 0 at t = 1000: deadline 4000 */
	ck_assert_uint_eq(t_stats(f).pending, 1);
	fm_clock_set(&g_clk, 1000 + T_TCP_TIMEOUT - 1);
	idle_upkeep(f, 10);
	ck_assert_uint_eq(t_stats(f).sessions, 1);
	ck_assert_uint_eq(g_rec.events[T_FW] + g_rec.events[T_NAT], 0);
	fm_clock_set(&g_clk, 1000 + T_TCP_TIMEOUT);
	ck_assert_uint_eq(fm_flow_upkeep(f, true), 1);
	struct fm_flow_stats st = t_stats(f);
	ck_assert_uint_eq(st.sessions, 0);
	ck_assert_uint_eq(st.pool_in_use, 0);
	ck_assert_uint_eq(st.pending, 0);
	ck_assert_uint_eq(st.cnt[FM_FLOW_CNT_expired], 1);
	ck_assert_uint_eq(g_rec.events[T_FW], 1);
	ck_assert_uint_eq(g_rec.events[T_NAT], 1);
	ck_assert_uint_eq(g_rec.double_release, 0);
	fm_flow_destroy(f);
}
END_TEST

START_TEST(test_flow_release_never_while_used)
{
	g_conf.full_sweep_ms = 500;
	g_conf.full_sweep_step = 4;
	struct fm_flow *f = t_flow(&g_conf);
	struct fm_fcb *c = new_tcp(f, 1);
	ck_assert_ptr_eq(new_tcp(f, 1), c);
	ck_assert_uint_eq(c->usage, 2);
	fm_flow_put(f, c);
	for (int i = 0; i < 100; i++) {
		fm_clock_advance(&g_clk, 1000);
		fm_flow_upkeep(f, i & 1);
	}
	ck_assert_uint_eq(fm_flow_flush(f), 0);
	ck_assert_uint_eq(t_stats(f).sessions, 1);
	ck_assert_uint_eq(g_rec.events[T_FW], 0);
	uint64_t t0 = fm_clock_now(&g_clk);
	fm_flow_put(f, c);
	fm_clock_set(&g_clk, t0 + T_TCP_TIMEOUT - 1);
	idle_upkeep(f, 5);
	ck_assert_uint_eq(t_stats(f).sessions, 1);
	fm_clock_set(&g_clk, t0 + T_TCP_TIMEOUT);
	idle_upkeep(f, 1);
	ck_assert_uint_eq(t_stats(f).sessions, 0);
	ck_assert_uint_eq(g_rec.events[T_FW], 1);
	ck_assert_uint_eq(g_rec.events[T_NAT], 1);
	fm_flow_destroy(f);
}
END_TEST

START_TEST(test_flow_revive_before_release)
{
	struct fm_flow *f = t_flow(&g_conf);
	struct fm_fcb *c = new_tcp(f, 3);
	t_mark(f, c, 3);
	uint32_t idx = fm_flow_index(f, c);
	uint32_t gen = t_gen(c);
	fm_flow_put(f, c);
	fm_clock_advance(&g_clk, T_TCP_TIMEOUT - 1);
	struct fm_fcb *d = new_tcp(f, 3); /* a packet just before the deadline */
	ck_assert_ptr_eq(d, c);
	ck_assert_uint_eq(fm_flow_index(f, d), idx);
	ck_assert_uint_eq(t_gen(d), gen);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_revived), 1);
	ck_assert_uint_eq(t_stats(f).pending, 0);
	uint64_t *a = fm_fcb_vnf_area(fm_flow_tree(f), d, T_FW);
	ck_assert_uint_eq(a[0], 4); /* state kept */
	fm_clock_advance(&g_clk, 10 * T_TCP_TIMEOUT);
	idle_upkeep(f, 3);
	ck_assert_uint_eq(t_stats(f).sessions, 1); /* usage 1 again */
	uint64_t t0 = fm_clock_now(&g_clk);
	fm_flow_put(f, d);
	fm_clock_set(&g_clk, t0 + T_TCP_TIMEOUT - 1);
	idle_upkeep(f, 3);
	ck_assert_uint_eq(g_rec.events[T_FW], 0);
	fm_clock_set(&g_clk, t0 + T_TCP_TIMEOUT);
	idle_upkeep(f, 1);
	ck_assert_uint_eq(g_rec.events[T_FW], 1);
	ck_assert_uint_eq(g_rec.events[T_NAT], 1);
	ck_assert_uint_eq(t_stats(f).pool_in_use, 0);
	fm_flow_destroy(f);
}
END_TEST

START_TEST(test_flow_lazy_renew)
{
	g_conf.cache_size = 0;
	struct fm_flow *f = t_flow(&g_conf);
	struct fm_fcb *c = new_tcp(f, 9);
	t_mark(f, c, 9);
	uint32_t gen = t_gen(c);
	fm_flow_put(f, c);
	fm_clock_advance(&g_clk, T_TCP_TIMEOUT); /* expired, no upkeep ran */
	struct fm_fcb *d = new_tcp(f, 9);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_lazy_renew), 1);
	ck_assert_uint_eq(g_rec.events[T_FW], 1);
	ck_assert_uint_eq(g_rec.events[T_NAT], 1);
	ck_assert_uint_eq(d->usage, 1);
	uint64_t *a = fm_fcb_vnf_area(fm_flow_tree(f), d, T_FW);
	ck_assert_uint_eq(a[0], 0); /* area reset */
	ck_assert(d != c || t_gen(d) != gen);
	ck_assert_uint_eq(t_stats(f).sessions, 1);
	ck_assert_uint_eq(t_stats(f).pool_in_use, 1);
	fm_flow_put(f, d);
	ck_assert_uint_eq(fm_flow_flush(f), 1);
	ck_assert_uint_eq(t_stats(f).pool_in_use, 0);
	fm_flow_destroy(f);
}
END_TEST

START_TEST(test_flow_full_sweep_remote_dec)
{
	g_conf.full_sweep_ms = 5000;
	g_conf.full_sweep_step = 2;
	struct fm_flow *f = t_flow(&g_conf); /* first full sweep due at t = 6000 */
	struct fm_fcb *c[3];
	for (int i = 0; i < 3; i++)
		c[i] = new_tcp(f, (uint32_t)i);
	ck_assert_uint_eq(fm_fcb_usage_dec(c[0]), 0); /* a VNF dropped the packet */
	ck_assert_uint_eq(t_stats(f).pending, 0);
	fm_clock_set(&g_clk, 5999);
	for (int i = 0; i < 10; i++)
		fm_flow_upkeep(f, false);
	ck_assert_uint_eq(t_stats(f).sessions, 3);
	fm_clock_set(&g_clk, 6000);
	unsigned n = 0;
	for (int i = 0; i < 2; i++) /* 3 slots, 2 per step */
		n += fm_flow_upkeep(f, false);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_swept), 1);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_full_sweeps), 1);
	ck_assert_uint_eq(t_stats(f).sessions, 2);
	/* an idle FCB that is not expired yet goes onto its list, released by the sweep later */
	ck_assert_uint_eq(fm_fcb_usage_dec(c[1]), 0);
	fm_clock_set(&g_clk, 11000);
	c[1]->last_use = 10000; /* as if the last packet was at 10000 */
	for (int i = 0; i < 2; i++)
		fm_flow_upkeep(f, false);
	ck_assert_uint_eq(t_stats(f).pending, 1);
	fm_clock_set(&g_clk, 12999);
	idle_upkeep(f, 2);
	ck_assert_uint_eq(t_stats(f).sessions, 2);
	fm_clock_set(&g_clk, 13000);
	idle_upkeep(f, 1);
	ck_assert_uint_eq(t_stats(f).sessions, 1);
	ck_assert_uint_eq(g_rec.events[T_FW], 2);
	fm_flow_destroy(f);
}
END_TEST

START_TEST(test_flow_release_deferred_ack)
{
	struct fm_flow *f = t_flow(&g_conf);
	g_rec.defer_vnf = T_NAT;
	struct fm_fcb *c = new_tcp(f, 1);
	uint32_t idx = fm_flow_index(f, c);
	fm_flow_put(f, c);
	ck_assert_uint_eq(fm_flow_flush(f), 1);
	struct fm_flow_stats st = t_stats(f);
	ck_assert_uint_eq(st.sessions, 0);
	ck_assert_uint_eq(st.pool_in_use, 1);
	ck_assert_uint_eq(st.pool_draining, 1);
	ck_assert_uint_eq(g_rec.nb_deferred, 1);
	ck_assert_uint_eq(g_rec.deferred[0], idx);
	ck_assert_ptr_null(fm_flow_fcb(f, idx));
	struct fm_fcb *d = new_tcp(f, 2); /* the draining slot is not reused */
	ck_assert_uint_ne(fm_flow_index(f, d), idx);
	ck_assert_int_eq(fm_flow_release_ack(f, idx), 0);
	ck_assert_int_eq(fm_flow_release_ack(f, idx), -EINVAL);
	st = t_stats(f);
	ck_assert_uint_eq(st.pool_in_use, 1);
	ck_assert_uint_eq(st.pool_draining, 0);
	fm_flow_destroy(f);
}
END_TEST

START_TEST(test_flow_pending_threshold_backoff)
{
	g_conf.pending_threshold = 4;
	g_conf.sweep_budget = 2;
	struct fm_flow *f = t_flow(&g_conf);
	for (uint32_t i = 0; i < 40; i++)
		fm_flow_put(f, new_tcp(f, i));
	ck_assert_uint_eq(t_stats(f).pending, 40);
	fm_flow_upkeep(f, false); /* above threshold, nothing expired: back off */
	ck_assert_uint_eq(t_stats(f).pending_threshold, 8);
	fm_flow_upkeep(f, false);
	fm_flow_upkeep(f, false);
	ck_assert_uint_eq(t_stats(f).pending_threshold, 32);
	fm_flow_upkeep(f, false);
	ck_assert_uint_eq(t_stats(f).pending_threshold, 64);
	uint64_t runs = t_cnt(f, FM_FLOW_CNT_sweep_runs);
	fm_flow_upkeep(f, false); /* 40 < 64: no sweep when busy */
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_sweep_runs), runs);
	fm_clock_advance(&g_clk, T_TCP_TIMEOUT);
	for (int i = 0; i < 40; i++)
		fm_flow_upkeep(f, true); /* budget 2 per call */
	struct fm_flow_stats st = t_stats(f);
	ck_assert_uint_eq(st.pending, 0);
	ck_assert_uint_eq(st.sessions, 0);
	ck_assert_uint_eq(st.pending_threshold, 4); /* halved back */
	fm_flow_destroy(f);
}
END_TEST

/* 1 M sessions churned in waves: every pool, node and gauge back at its start value. */
START_TEST(test_flow_churn_1m_no_leak)
{
	const uint32_t total = 1u << 20, wave = 1u << 16;
	g_conf.max_sessions = wave;
	g_conf.cache_size = 1u << 16;
	g_conf.sweep_budget = 4096;
	g_rec.per_sid = calloc(total, sizeof(uint32_t));
	g_rec.nb_sid = total;
	struct fm_flow *f = t_flow(&g_conf);
	struct fm_tree_stats t0, t1;
	fm_tree_get_stats(fm_flow_tree(f), &t0);
	struct fm_fcb **live = malloc(wave * sizeof(*live));
	uint64_t v[FM_F_COUNT];
	for (uint32_t base = 0; base < total; base += wave) {
		for (uint32_t i = 0; i < wave; i++) {
			t_sess(v, base + i);
			live[i] = fm_flow_lookup(f, v, fm_flow_hash(&g_conf.tree.hash_seed, v));
			ck_assert_ptr_nonnull(live[i]);
			t_mark(f, live[i], base + i);
			ck_assert_ptr_eq(
			    fm_flow_lookup(f, v, fm_flow_hash(&g_conf.tree.hash_seed, v)), live[i]);
		}
		fm_flow_put_burst(f, live, wave);
		fm_flow_put_burst(f, live, wave);
		fm_clock_advance(&g_clk, T_TCP_TIMEOUT - 1);
		fm_flow_upkeep(f, true);
		ck_assert_uint_eq(t_stats(f).sessions, wave); /* never earlier */
		fm_clock_advance(&g_clk, 1);
		while (t_stats(f).pending)
			fm_flow_upkeep(f, true);
	}
	for (int i = 0; i < 64; i++)
		fm_flow_upkeep(f, true);
	struct fm_flow_stats st = t_stats(f);
	fm_tree_get_stats(fm_flow_tree(f), &t1);
	ck_assert_uint_eq(st.sessions, 0);
	ck_assert_uint_eq(st.pool_in_use, 0);
	ck_assert_uint_eq(st.pool_draining, 0);
	ck_assert_uint_eq(st.pending, 0);
	ck_assert_uint_eq(st.pending_threshold, 1024);
	ck_assert_uint_eq(st.cnt[FM_FLOW_CNT_new_session], total);
	ck_assert_uint_eq(st.cnt[FM_FLOW_CNT_released], total);
	ck_assert_uint_eq(st.cnt[FM_FLOW_CNT_cache_hit], total);
	ck_assert_uint_eq(t1.sessions, t0.sessions);
	ck_assert_uint_eq(t1.dyn_nodes, t0.dyn_nodes);
	ck_assert_uint_eq(t1.dyn_node_bytes, t0.dyn_node_bytes);
	ck_assert_uint_eq(fm_fcb_pool_carved(fm_flow_pool(f)), wave);
	ck_assert_uint_eq(g_rec.events[T_FW], total);
	ck_assert_uint_eq(g_rec.events[T_NAT], total);
	ck_assert_uint_eq(g_rec.double_release, 0);
	for (uint32_t i = 0; i < total; i++)
		ck_assert_uint_eq(g_rec.per_sid[i], 1);
	free(live);
	free(g_rec.per_sid);
	fm_flow_destroy(f);
}
END_TEST

START_TEST(test_flow_iter_lists_sessions)
{
	struct fm_flow *f = t_flow(&g_conf);
	uint64_t v[FM_F_COUNT];
	t_vals(v, 6, 0x0a000001, 0x0a000002, 1234, 80);
	struct fm_fcb *a = fm_flow_lookup(f, v, 1);
	t_vals(v, 17, 0x0a000001, 0x0a000003, 53, 53);
	struct fm_fcb *b = fm_flow_lookup(f, v, 2);
	fm_flow_put(f, b);
	fm_clock_advance(&g_clk, 250);
	struct fm_flow_info in;
	uint32_t cur = 0;
	int n = 0, tcp = 0, with_fw = 0, dst2 = 0;
	struct fm_filter *flt;
	char err[128], line[512];
	ck_assert_int_eq(fm_filter_parse("dst host 10.0.0.2", &flt, err, sizeof(err)), 0);
	while (fm_flow_iter(f, &cur, 0, &in) == 1) {
		n++;
		ck_assert_uint_eq(in.age_ms, 250);
		ck_assert_int_gt(fm_flow_info_format(f, &in, line, sizeof(line)), 0);
		if (in.fcb == a) {
			tcp++;
			ck_assert_uint_eq(in.usage, 1);
			ck_assert_uint_eq(in.vals[FM_F_DPORT], 80);
			ck_assert_ptr_nonnull(strstr(line, "fw -> nat"));
		} else {
			ck_assert_ptr_eq(in.fcb, b);
			ck_assert(in.pending);
		}
		with_fw += fm_flow_info_has_vnf(&in, T_FW);
		dst2 += fm_flow_info_match(&in, flt);
	}
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(tcp, 1);
	ck_assert_int_eq(with_fw, 1);
	ck_assert_int_eq(dst2, 1);
	cur = 0;
	ck_assert_int_eq(fm_flow_iter(f, &cur, 1, &in), 1);
	fm_filter_destroy(flt);
	fm_flow_destroy(f);
}
END_TEST

/* Per-session counters (nfctl top): added by the owner, listed by the iterator, and a renewed
 * session (same key, expired FCB met by a lookup) starts again from 0 with a new generation. */
START_TEST(test_flow_count_per_session)
{
	g_conf.cache_size = 0;
	struct fm_flow *f = t_flow(&g_conf);
	struct fm_fcb *c = new_tcp(f, 3);
	fm_flow_count(c, 100);
	fm_flow_count(c, 1400);
	fm_flow_count(new_tcp(f, 3), 60);   /* the same session again */
	ck_assert_ptr_ne(new_tcp(f, 4), c); /* another session: not counted here */
	struct fm_flow_info in;
	uint32_t cur = 0, gen = t_gen(c);
	int seen = 0;
	char line[512];
	while (fm_flow_iter(f, &cur, 0, &in) == 1) {
		if (in.fcb != c) {
			ck_assert_uint_eq(in.pkts, 0);
			continue;
		}
		seen++;
		ck_assert_uint_eq(in.pkts, 3);
		ck_assert_uint_eq(in.bytes, 1560);
		ck_assert_uint_eq(in.generation, gen);
		ck_assert_int_gt(fm_flow_info_format(f, &in, line, sizeof(line)), 0);
		ck_assert_ptr_nonnull(strstr(line, "pkts=3 bytes=1560"));
		ck_assert_int_gt(fm_flow_info_format_key(f, &in, line, sizeof(line)), 0);
		ck_assert_ptr_nonnull(strstr(line, "[fw -> nat -> output] "));
		ck_assert_ptr_nonnull(strstr(line, "dport=80"));
	}
	ck_assert_int_eq(seen, 1);
	fm_flow_put(f, c); /* both lookups of session 3 */
	fm_flow_put(f, c);
	fm_clock_advance(&g_clk, T_TCP_TIMEOUT); /* expired: the next lookup renews it */
	struct fm_fcb *d = new_tcp(f, 3);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_lazy_renew), 1);
	ck_assert_uint_eq(d->pkts, 0);
	ck_assert_uint_eq(d->bytes, 0);
	ck_assert(d != c || t_gen(d) != gen);
	fm_flow_destroy(f);
}
END_TEST

START_TEST(test_flow_pool_index_ptr)
{
	size_t osz = 200;
	uint32_t max = 100;
	void *region = aligned_alloc(64, fm_fcb_pool_region_size(osz, max));
	struct fm_fcb_pool *p;
	ck_assert_int_eq(fm_fcb_pool_create(region, 10, osz, max, 0, &p), -EINVAL);
	ck_assert_int_eq(
	    fm_fcb_pool_create(region, fm_fcb_pool_region_size(osz, max), osz, max, 5000, &p), 0);
	void *o[100];
	for (uint32_t i = 0; i < max; i++) {
		o[i] = fm_fcb_pool_get(p);
		ck_assert_ptr_nonnull(o[i]);
		ck_assert_uint_eq(fm_fcb_pool_index(p, o[i]), 5000 + i);
		ck_assert_ptr_eq(fm_fcb_pool_ptr(p, 5000 + i), o[i]);
		ck_assert_ptr_eq(fm_fcb_pool_obj_at(region, fm_fcb_pool_slot_stride(p), i), o[i]);
		ck_assert(fm_fcb_pool_owns(p, o[i]));
	}
	ck_assert_ptr_null(fm_fcb_pool_get(p));
	ck_assert(fm_fcb_pool_is_full(p));
	ck_assert_ptr_null(fm_fcb_pool_ptr(p, 4999));
	ck_assert_ptr_null(fm_fcb_pool_ptr(p, 5100));
	uint32_t g = fm_fcb_pool_slot_of(o[7])->gen;
	fm_fcb_pool_put(p, o[7]);
	ck_assert_uint_eq(fm_fcb_pool_slot_of(o[7])->gen, g + 1);
	ck_assert_ptr_eq(fm_fcb_pool_get(p), o[7]); /* LIFO */
	for (uint32_t i = 0; i < max; i++)
		fm_fcb_pool_put(p, o[i]);
	ck_assert_uint_eq(fm_fcb_pool_in_use(p), 0);
	fm_fcb_pool_destroy(p);
	free(region);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flow_lifecycle");
	TCase *tc = tcase_create("lifecycle");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_flow_timeout_is_path_max);
	tcase_add_test(tc, test_flow_release_exact_timeout);
	tcase_add_test(tc, test_flow_release_never_while_used);
	tcase_add_test(tc, test_flow_revive_before_release);
	tcase_add_test(tc, test_flow_lazy_renew);
	tcase_add_test(tc, test_flow_full_sweep_remote_dec);
	tcase_add_test(tc, test_flow_release_deferred_ack);
	tcase_add_test(tc, test_flow_pending_threshold_backoff);
	tcase_add_test(tc, test_flow_churn_1m_no_leak);
	tcase_add_test(tc, test_flow_iter_lists_sessions);
	tcase_add_test(tc, test_flow_count_per_session);
	tcase_add_test(tc, test_flow_pool_index_ptr);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(suite());
}
