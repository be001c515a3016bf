/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_flow_hash.c — the keyed hash (common/fm_hash.h) and the flow layer's hashed tables under a
 * per-start seed (issue #17 finding 5). Regression: the software flow hash (RSS cache index) and
 * the common-data table's bucket hash used fixed public constants, so colliding flows could be
 * computed offline. Here: the same flows land elsewhere under another seed, and flows chosen to
 * collide under seed A do not collide under seed B, for fm_hash_words() itself, fm_flow_hash()
 * and fm_bidir_hash(). A zero seed stays deterministic (tests and benchmarks). No EAL.
 */
#include <check.h>

#include "fs_check.h"
#include <stdlib.h>
#include <string.h>

#include "fm_bidir.h"
#include "fm_flow.h"
#include "fm_hash.h"

static const struct fm_hash_seed seed_a = {0x0123456789abcdefull, 0xfedcba9876543210ull};
static const struct fm_hash_seed seed_b = {0x9e3779b97f4a7c15ull, 0x5851f42d4c957f2dull};

#define BUCKETS 4096u /* a 4096-entry cache or bucket array */
#define NB_COL	16    /* flows chosen to share one bucket under seed A */

static void flow_vals(uint32_t i, uint64_t *v)
{
	memset(v, 0, sizeof(uint64_t) * FM_F_COUNT);
	v[FM_F_IP_PROTO] = 6;
	v[FM_F_IP4_SRC] = 0xc6120000u | (i >> 16); /* 198.18.x.y */
	v[FM_F_IP4_DST] = 0xc6130001u;
	v[FM_F_SPORT] = i & 0xffff;
	v[FM_F_DPORT] = 80;
}

/* Largest number of keys sharing one bucket. */
static uint32_t max_load(const uint32_t *h, uint32_t n)
{
	static uint16_t cnt[BUCKETS];
	uint32_t m = 0;
	memset(cnt, 0, sizeof(cnt));
	for (uint32_t i = 0; i < n; i++)
		if (++cnt[h[i] & (BUCKETS - 1)] > m)
			m = cnt[h[i] & (BUCKETS - 1)];
	return m;
}

START_TEST(test_flow_hash_words_seed_zero_is_deterministic)
{
	const struct fm_hash_seed z = {0, 0};
	uint64_t w[3] = {1, 2, 3};
	ck_assert_uint_eq(fm_hash_words(&z, w, 3), fm_hash_words(&z, w, 3));
	ck_assert_uint_ne(fm_hash_words(&z, w, 3), fm_hash_words(&z, w, 2));
	ck_assert_uint_ne(fm_hash_words(&seed_a, w, 3), fm_hash_words(&seed_b, w, 3));
	ck_assert_uint_ne(fm_hash_seed_id(&seed_a), fm_hash_seed_id(&seed_b));
}
END_TEST

START_TEST(test_flow_hash_words_collisions_do_not_carry_to_other_seed)
{
	/* three-word keys (a session key) that all share bucket 0 under seed A */
	uint64_t keys[NB_COL][3];
	uint32_t n = 0, ha[NB_COL], hb[NB_COL];
	for (uint64_t i = 0; n < NB_COL && i < (1u << 26); i++) {
		uint64_t w[3] = {0xc612000000000000ull | i, 0xc6130001, 80};
		if ((fm_hash_words(&seed_a, w, 3) & (BUCKETS - 1)) == 0)
			memcpy(keys[n++], w, sizeof(w));
	}
	ck_assert_uint_eq(n, NB_COL);
	for (uint32_t i = 0; i < NB_COL; i++) {
		ha[i] = fm_hash_words(&seed_a, keys[i], 3);
		hb[i] = fm_hash_words(&seed_b, keys[i], 3);
	}
	ck_assert_uint_eq(max_load(ha, NB_COL), NB_COL);
	ck_assert_uint_le(max_load(hb, NB_COL), 2); /* 16 keys in 4096 buckets */
}
END_TEST

START_TEST(test_flow_hash_cache_index_depends_on_seed)
{
	enum { N = 1000 };
	uint64_t v[FM_F_COUNT];
	uint32_t moved = 0, col[NB_COL], hb[NB_COL], nc = 0;
	for (uint32_t i = 0; i < N; i++) {
		flow_vals(i, v);
		moved += (fm_flow_hash(&seed_a, v) & (BUCKETS - 1)) !=
			 (fm_flow_hash(&seed_b, v) & (BUCKETS - 1));
	}
	ck_assert_uint_ge(moved, N * 9 / 10);
	/* flows aimed at cache entry 0 under seed A spread out under seed B */
	for (uint32_t i = 0; nc < NB_COL && i < (1u << 26); i++) {
		flow_vals(i, v);
		if ((fm_flow_hash(&seed_a, v) & (BUCKETS - 1)) == 0)
			col[nc++] = i;
	}
	ck_assert_uint_eq(nc, NB_COL);
	for (uint32_t k = 0; k < NB_COL; k++) {
		flow_vals(col[k], v);
		hb[k] = fm_flow_hash(&seed_b, v);
	}
	ck_assert_uint_le(max_load(hb, NB_COL), 2);
}
END_TEST

static struct fm_bidir *bidir(const struct fm_hash_seed *seed, void **region)
{
	size_t len = fm_bidir_region_size(BUCKETS, 64);
	struct fm_bidir *b;
	ck_assert_int_eq(posix_memalign(region, 64, len), 0);
	ck_assert_int_eq(fm_bidir_init(*region, len, BUCKETS, 64, seed, &b), 0);
	return b;
}

START_TEST(test_flow_hash_bidir_buckets_depend_on_table_seed)
{
	void *ra, *rb;
	struct fm_bidir *a = bidir(&seed_a, &ra), *b = bidir(&seed_b, &rb);
	uint64_t v[FM_F_COUNT];
	struct fm_bidir_key k;
	uint32_t nb = a->nb_buckets, hb[NB_COL], n = 0;
	ck_assert_uint_eq(nb, b->nb_buckets);
	ck_assert_uint_le(nb, BUCKETS);
	/* keys that chain in one bucket of table A ... */
	for (uint32_t i = 0; n < NB_COL && i < (1u << 26); i++) {
		flow_vals(i, v);
		fm_bidir_key_from_fields(v, &k, NULL);
		if ((fm_bidir_hash(a, &k) & (nb - 1)) == 0)
			hb[n++] = fm_bidir_hash(b, &k);
	}
	ck_assert_uint_eq(n, NB_COL);
	/* ... do not in table B (and both directions still meet in one record) */
	ck_assert_uint_le(max_load(hb, NB_COL), 2);
	uint32_t r1, r2;
	bool created;
	flow_vals(7, v);
	fm_bidir_key_from_fields(v, &k, NULL);
	ck_assert_int_eq(fm_bidir_attach(b, &k, fm_bidir_hash(b, &k), &r1, &created), 0);
	ck_assert(created);
	uint64_t w[FM_F_COUNT];
	memcpy(w, v, sizeof(w));
	w[FM_F_IP4_SRC] = v[FM_F_IP4_DST], w[FM_F_IP4_DST] = v[FM_F_IP4_SRC];
	w[FM_F_SPORT] = v[FM_F_DPORT], w[FM_F_DPORT] = v[FM_F_SPORT];
	fm_bidir_key_from_fields(w, &k, NULL);
	ck_assert_int_eq(fm_bidir_attach(b, &k, fm_bidir_hash(b, &k), &r2, &created), 0);
	ck_assert(!created);
	ck_assert_uint_eq(r1, r2);
	free(ra);
	free(rb);
}
END_TEST

static Suite *flow_hash_suite(void)
{
	Suite *s = suite_create("flow_hash");
	TCase *tc = tcase_create("seed");
	tcase_add_test(tc, test_flow_hash_words_seed_zero_is_deterministic);
	tcase_add_test(tc, test_flow_hash_words_collisions_do_not_carry_to_other_seed);
	tcase_add_test(tc, test_flow_hash_cache_index_depends_on_seed);
	tcase_add_test(tc, test_flow_hash_bidir_buckets_depend_on_table_seed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(flow_hash_suite());
}
