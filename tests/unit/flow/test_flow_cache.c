/* SPDX-License-Identifier: BSD-3-Clause */
/* test_flow_cache.c — RSS-hash cache (8-way buckets): verified hits, collisions, eviction,
 * stale generations, a model, the hit rate, verify against the tree. */
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
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_verify_fail), 1); /* a's way refused b */
	ck_assert_ptr_eq(b, fm_tree_find(fm_flow_tree(f), vb));
	/* both sit in the bucket now, in two ways with the same tag: each finds its own */
	ck_assert_ptr_eq(fm_flow_lookup(f, va, h), a);
	ck_assert_ptr_eq(fm_flow_lookup(f, vb, h), b);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_hit), 2);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_verify_fail), 1);
	/* a different packet of another class with the same hash: verify rejects both ways */
	uint64_t vu[FM_F_COUNT];
	t_vals(vu, 17, va[FM_F_IP4_SRC], va[FM_F_IP4_DST], (uint16_t)va[FM_F_SPORT],
	       (uint16_t)va[FM_F_DPORT]);
	struct fm_fcb *u = fm_flow_lookup(f, vu, h);
	ck_assert_ptr_ne(u, a);
	ck_assert_ptr_ne(u, b);
	ck_assert_uint_eq(u->nb_hops, 2);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_verify_fail), 2);
	ck_assert_ptr_eq(fm_flow_lookup(f, vu, h), u);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_hit), 3);
	fm_flow_destroy(f);
}
END_TEST

/* One bucket, more flows than ways: the ninth evicts one way, every answer stays the tree's. */
START_TEST(test_flow_cache_eviction)
{
	struct fm_flow *f = t_flow(&g_conf);
	enum { N = 12 };
	uint64_t v[N][FM_F_COUNT];
	struct fm_fcb *c[N];
	/* same bucket (low bits), different tags (high bits, odd: a tag is never 0) */
	for (uint32_t i = 0; i < N; i++) {
		t_sess(v[i], i);
		c[i] = fm_flow_lookup(f, v[i], 5u | (2 * i + 3) << 16);
	}
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_miss), N);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_evict), N - 8);
	uint64_t hits = 0;
	for (uint32_t i = 0; i < N; i++) {
		uint64_t h0 = t_cnt(f, FM_FLOW_CNT_cache_hit);
		ck_assert_ptr_eq(fm_flow_lookup(f, v[i], 5u | (2 * i + 3) << 16), c[i]);
		ck_assert_ptr_eq(c[i], fm_tree_find(fm_flow_tree(f), v[i]));
		hits += t_cnt(f, FM_FLOW_CNT_cache_hit) - h0;
	}
	ck_assert_uint_lt(hits, N); /* 12 flows cycled through 8 ways: some missed */
	struct fm_flow_stats st = t_stats(f);
	ck_assert_uint_eq(st.cache_entries, 64);
	ck_assert_uint_eq(st.cache_bytes, 8 * 64);
	/* eight flows fit: after they are cached, all eight hit */
	fm_flow_destroy(f);
	f = t_flow(&g_conf);
	for (int round = 0; round < 2; round++)
		for (uint32_t i = 0; i < 8; i++)
			ck_assert_ptr_eq(fm_flow_lookup(f, v[i], 5u | (2 * i + 3) << 16),
					 fm_tree_find(fm_flow_tree(f), v[i]));
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_hit), 8);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_evict), 0);
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
	uint32_t idx = fm_flow_index(f, a), gen = t_gen(a);
	fm_flow_put(f, a);
	fm_clock_advance(&g_clk, T_TCP_TIMEOUT);
	ck_assert_uint_eq(fm_flow_upkeep(f, true), 1);
	/* the release took the session out of its bucket: a plain miss, not a stale entry */
	struct fm_fcb *c = fm_flow_lookup(f, vc, 78);
	ck_assert_uint_eq(fm_flow_index(f, c), idx); /* the slot reused (LIFO) */
	ck_assert_uint_ne(t_gen(c), gen);
	struct fm_fcb *a2 = fm_flow_lookup(f, va, 77);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_stale), 0);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_miss), 3);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_hit), 0);
	ck_assert_ptr_ne(a2, c);
	ck_assert_ptr_eq(a2, fm_tree_find(fm_flow_tree(f), va));
	/* a session cached under two hashes (as if the NIC hashed its two directions apart) is
	 * forgotten under the last one only: the other entry is stale once the slot is released,
	 * and stays stale when the slot is reused (generation) */
	ck_assert_ptr_eq(fm_flow_lookup(f, va, 0x10009), a2);
	ck_assert_ptr_eq(fm_flow_lookup(f, va, 77), a2);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_hit), 1);
	for (int i = 0; i < 3; i++)
		fm_flow_put(f, a2);
	fm_flow_put(f, c);
	fm_clock_advance(&g_clk, T_TCP_TIMEOUT);
	ck_assert_uint_eq(fm_flow_upkeep(f, true), 2);
	struct fm_fcb *d = fm_flow_lookup(f, vc, 12345); /* takes a2's slot or c's */
	struct fm_fcb *a3 = fm_flow_lookup(f, va, 77);
	ck_assert_uint_eq(t_cnt(f, FM_FLOW_CNT_cache_stale), 1);
	ck_assert_ptr_eq(a3, fm_tree_find(fm_flow_tree(f), va));
	ck_assert_ptr_eq(d, fm_tree_find(fm_flow_tree(f), vc));
	ck_assert_ptr_ne(a3, d);
	fm_flow_destroy(f);
}
END_TEST

/*
 * Against a model: random lookups, puts, releases and slot reuse over sessions whose hashes
 * collide on purpose (16 hash values for 200 sessions, so buckets overflow and tags repeat).
 * Every lookup must return the FCB the tree holds for the packet; every cached lookup is counted
 * exactly once; a hit is never a session the model says is gone.
 */
START_TEST(test_flow_cache_model)
{
	g_conf.max_sessions = 256;
	struct fm_flow *f = t_flow(&g_conf);
	enum { S = 200, OPS = 20000 };
	uint32_t held[S] = {0};
	uint64_t x = 0x9e3779b97f4a7c15ull;
	uint64_t v[FM_F_COUNT];
	for (int op = 0; op < OPS; op++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint32_t i = (uint32_t)(x % S), r = (uint32_t)(x >> 32) % 100;
		t_sess(v, i);
		uint32_t h = (uint32_t)(i % 16) * 0x01010101u; /* 16 hash values */
		if (r < 70) {
			struct fm_flow_stats b = t_stats(f);
			struct fm_fcb *c = fm_flow_lookup(f, v, h);
			struct fm_flow_stats a = t_stats(f);
			ck_assert_ptr_nonnull(c);
			ck_assert_ptr_eq(c, fm_tree_find(fm_flow_tree(f), v));
			ck_assert(fm_tree_verify_fields(fm_flow_tree(f), c, v));
			uint64_t n = 0;
			for (int k = FM_FLOW_CNT_cache_hit; k <= FM_FLOW_CNT_cache_verify_fail; k++)
				n += a.cnt[k] - b.cnt[k];
			ck_assert_uint_eq(n, 1);
			held[i]++;
		} else if (r < 95) {
			if (held[i]) {
				struct fm_fcb *c =
				    (struct fm_fcb *)fm_tree_find(fm_flow_tree(f), v);
				ck_assert_ptr_nonnull(c);
				fm_flow_put(f, c);
				held[i]--;
			}
		} else {
			fm_clock_advance(&g_clk, T_TCP_TIMEOUT / 2);
			fm_flow_upkeep(f, true);
		}
	}
	struct fm_flow_stats st = t_stats(f);
	ck_assert_uint_gt(st.cnt[FM_FLOW_CNT_cache_hit], 0);
	ck_assert_uint_gt(st.cnt[FM_FLOW_CNT_cache_verify_fail], 0);
	ck_assert_uint_gt(st.cnt[FM_FLOW_CNT_cache_evict], 0);
	ck_assert_uint_gt(st.cnt[FM_FLOW_CNT_released], 0);
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

/* The hit rate the design promises (docs/flowtable.md): 1000 live sessions, a cache of 2048
 * entries, packets in random order: at least 95 % verified hits (deterministic: zero seed). */
START_TEST(test_flow_cache_hit_rate)
{
	g_conf.max_sessions = 1000;
	g_conf.cache_size = 2048;
	struct fm_flow *f = t_flow(&g_conf);
	enum { S = 1000, P = 50000 };
	static uint64_t v[S][FM_F_COUNT];
	uint32_t h[S];
	for (uint32_t i = 0; i < S; i++) {
		t_sess(v[i], i * 7919);
		h[i] = fm_flow_hash(&g_conf.tree.hash_seed, v[i]);
		fm_flow_put(f, fm_flow_lookup(f, v[i], h[i]));
	}
	uint64_t h0 = t_cnt(f, FM_FLOW_CNT_cache_hit), x = 88172645463325252ull;
	for (int p = 0; p < P; p++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint32_t i = (uint32_t)(x % S);
		struct fm_fcb *c = fm_flow_lookup(f, v[i], h[i]);
		ck_assert_ptr_eq(c, fm_tree_find(fm_flow_tree(f), v[i]));
		fm_flow_put(f, c);
	}
	double rate = (double)(t_cnt(f, FM_FLOW_CNT_cache_hit) - h0) / P;
	ck_assert_msg(rate >= 0.95, "hit rate %.3f", rate);
	fm_flow_destroy(f);
}
END_TEST

/*
 * Verify against the tree: fm_tree_verify_fields(fcb, p) holds exactly when a lookup of p finds
 * fcb, for packets that differ from the FCB's in one field at a time. Two chains: one whose
 * groups verify by key compare (static nodes test ethertype and protocol, constants of each
 * group), one that must climb (a static node tests the destination port, not in the "src"
 * session key and not constant).
 */
static void verify_model(const struct fm_chain *ch)
{
	struct fm_flow_conf c = g_conf;
	c.chain = ch;
	struct fm_flow *f = t_flow(&c);
	struct fm_tree *t = fm_flow_tree(f);
	uint64_t x = 12345, v[FM_F_COUNT], p[FM_F_COUNT];
	const int fields[] = {FM_F_ETHERTYPE, FM_F_IP_PROTO, FM_F_IP4_SRC,
			      FM_F_IP4_DST,   FM_F_SPORT,    FM_F_DPORT};
	const uint64_t alt[][4] = {{0x0800, 0x86dd, 0x0806, 0}, {6, 17, 1, 0},
				   {1, 2, 0x0a000001, 0},	{0x0a800001, 3, 4, 0},
				   {1024, 1025, 80, 443},	{80, 443, 1024, 8080}};
	int checked = 0;
	for (uint32_t i = 0; i < 64; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		t_vals(v, i & 1 ? 17 : 6, 1 + (i & 1), 0x0a800001u, (uint16_t)(1024 + (i & 1)),
		       (uint16_t)(i & 2 ? 443 : 80));
		struct fm_fcb *fcb = fm_flow_lookup(f, v, (uint32_t)x);
		ck_assert_ptr_nonnull(fcb);
		ck_assert(fm_tree_verify_fields(t, fcb, v));
		for (int k = 0; k < 6; k++)
			for (int a = 0; a < 4; a++) {
				memcpy(p, v, sizeof(p));
				p[fields[k]] = alt[k][a];
				ck_assert_int_eq(fm_tree_verify_fields(t, fcb, p),
						 fm_tree_find(t, p) == fcb);
				checked++;
			}
		fm_flow_put(f, fcb);
	}
	ck_assert_int_eq(checked, 64 * 24);
	fm_flow_destroy(f);
}

START_TEST(test_flow_cache_verify_model)
{
	verify_model(&g_chain);
	struct fm_chain ch;
	memset(&ch, 0, sizeof(ch));
	snprintf(ch.name, sizeof(ch.name), "ports");
	int web = t_add_vnf(&ch, "web", "tcp dst port 80 or tcp dst port 443", "src", 16, 1000);
	t_add_edge(&ch.input, "", web);
	t_add_edge(&ch.input, "", FM_HOP_OUTPUT);
	verify_model(&ch);
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
	tcase_add_test(tc, test_flow_cache_eviction);
	tcase_add_test(tc, test_flow_cache_stale_generation);
	tcase_add_test(tc, test_flow_cache_model);
	tcase_add_test(tc, test_flow_cache_hit_rate);
	tcase_add_test(tc, test_flow_cache_verify_model);
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
