/* SPDX-License-Identifier: BSD-3-Clause */
/* test_flow_bidir.c — both directions of every session reach the same common data, from two
 * threads (two lcores), with set-ups racing in the same buckets. */
#include <check.h>

#include "fs_check.h"
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "flow_test_util.h"
#include "fm_bidir.h"

#define NSESS  100000u
#define ROUNDS 2

struct side {
	struct fm_bidir *b;
	pthread_barrier_t *bar;
	int reverse;
	uint32_t *rec;
	uint32_t created;
	uint32_t fails;
};

static void sess_vals(uint64_t *v, uint32_t s, int reverse)
{
	uint32_t cli = 0x0a000000u | (s >> 6), srv = 0xc0a80001u + (s & 63);
	uint16_t cp = (uint16_t)(1024 + (s % 50000)), sp = 443;
	if (reverse)
		t_vals(v, 6, srv, cli, sp, cp);
	else
		t_vals(v, 6, cli, srv, cp, sp);
}

static void *run_side(void *arg)
{
	struct side *sd = arg;
	uint64_t v[FM_F_COUNT];
	struct fm_bidir_key k;
	pthread_barrier_wait(sd->bar);
	for (uint32_t s = 0; s < NSESS; s++) {
		sess_vals(v, s, sd->reverse);
		fm_bidir_key_from_fields(v, &k, NULL);
		bool created;
		if (fm_bidir_attach(sd->b, &k, fm_bidir_hash(sd->b, &k), &sd->rec[s], &created)) {
			sd->fails++;
			continue;
		}
		_Atomic uint32_t *d = fm_bidir_data(sd->b, sd->rec[s]);
		atomic_fetch_add_explicit(&d[sd->reverse], s + 1, memory_order_relaxed);
		sd->created += created;
	}
	pthread_barrier_wait(sd->bar); /* both sides attached: now release */
	for (uint32_t s = 0; s < NSESS; s++)
		if (sd->rec[s] != FM_BIDIR_NONE)
			fm_bidir_detach(sd->b, sd->rec[s]);
	return NULL;
}

START_TEST(test_flow_bidir_two_threads_same_record)
{
	size_t len = fm_bidir_region_size(NSESS, 16);
	void *region = aligned_alloc(64, (len + 63) & ~(size_t)63);
	struct fm_bidir *b;
	ck_assert_int_eq(fm_bidir_init(region, len, NSESS, 16, NULL, &b), 0);
	uint32_t *rec[2] = {malloc(NSESS * sizeof(uint32_t)), malloc(NSESS * sizeof(uint32_t))};
	for (int round = 0; round < ROUNDS; round++) {
		pthread_barrier_t bar;
		pthread_barrier_init(&bar, NULL, 2);
		struct side sd[2];
		pthread_t th[2];
		for (int i = 0; i < 2; i++) {
			sd[i] = (struct side){b, &bar, i, rec[i], 0, 0};
			ck_assert_int_eq(pthread_create(&th[i], NULL, run_side, &sd[i]), 0);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&bar);
		ck_assert_uint_eq(sd[0].fails + sd[1].fails, 0);
		ck_assert_uint_eq(sd[0].created + sd[1].created, NSESS);
		for (uint32_t s = 0; s < NSESS; s++)
			ck_assert_msg(rec[0][s] == rec[1][s], "session %u: records %u != %u", s,
				      rec[0][s], rec[1][s]);
		ck_assert_uint_eq(fm_bidir_in_use(b), 0);
	}
	free(rec[0]);
	free(rec[1]);
	free(region);
}
END_TEST

START_TEST(test_flow_bidir_data_shared_and_freed)
{
	size_t len = fm_bidir_region_size(4, 32);
	void *region = aligned_alloc(64, (len + 63) & ~(size_t)63);
	struct fm_bidir *b, *b2;
	ck_assert_int_eq(fm_bidir_init(region, len, 4, 32, NULL, &b), 0);
	ck_assert_int_eq(fm_bidir_lookup_region(region, &b2), 0);
	uint64_t v[FM_F_COUNT], w[FM_F_COUNT];
	struct fm_bidir_key k1, k2;
	bool fwd1, fwd2, created;
	sess_vals(v, 7, 0);
	sess_vals(w, 7, 1);
	fm_bidir_key_from_fields(v, &k1, &fwd1);
	fm_bidir_key_from_fields(w, &k2, &fwd2);
	ck_assert_mem_eq(&k1, &k2, sizeof(k1));
	ck_assert(fwd1 != fwd2);
	uint32_t r1, r2;
	ck_assert_int_eq(fm_bidir_attach(b, &k1, fm_bidir_hash(b, &k1), &r1, &created), 0);
	ck_assert(created);
	strcpy(fm_bidir_data(b, r1), "common");
	ck_assert_int_eq(fm_bidir_attach(b2, &k2, fm_bidir_hash(b2, &k2), &r2, &created), 0);
	ck_assert(!created);
	ck_assert_uint_eq(r1, r2);
	ck_assert_str_eq(fm_bidir_data(b2, r2), "common");
	ck_assert_uint_eq(fm_bidir_refs(b, r1), 2);
	ck_assert_int_eq(fm_bidir_detach(b, r1), 0);
	ck_assert_uint_eq(fm_bidir_in_use(b), 1);
	ck_assert_int_eq(fm_bidir_detach(b2, r2), 1);
	ck_assert_uint_eq(fm_bidir_in_use(b), 0);
	ck_assert_int_eq(fm_bidir_detach(b, r1), -EINVAL);
	/* capacity: 4 records, the 5th session is refused */
	for (uint32_t s = 0; s < 5; s++) {
		sess_vals(v, 100 + s, 0);
		fm_bidir_key_from_fields(v, &k1, NULL);
		ck_assert_int_eq(fm_bidir_attach(b, &k1, fm_bidir_hash(b, &k1), &r1, NULL),
				 s < 4 ? 0 : -ENOSPC);
	}
	free(region);
}
END_TEST

/* A NAT/LB rewrote the tuple: the reply arrives with the rewritten tuple and must find the
 * session's record through the alias flowmgr adds at egress; everything is freed afterwards. */
START_TEST(test_flow_bidir_alias_links_rewritten_reply)
{
	size_t len = fm_bidir_region_size(8, 32);
	void *region = aligned_alloc(64, (len + 63) & ~(size_t)63);
	struct fm_bidir *b;
	uint64_t fwd_in[FM_F_COUNT], fwd_out[FM_F_COUNT], reply[FM_F_COUNT];
	struct fm_bidir_key kin, kout, krep, kof;
	uint32_t rec, alias, rrec, other;
	bool created;

	ck_assert_int_eq(fm_bidir_init(region, len, 8, 32, NULL, &b), 0);
	/* client 198.18.0.33:40000 -> VIP 198.18.0.200:80; leaves as 198.18.0.100:20000 ->
	 * backend 198.18.0.11:8080; the backend answers 198.18.0.11:8080 -> 198.18.0.100:20000 */
	t_vals(fwd_in, 6, 0xc6120021u, 0xc61200c8u, 40000, 80);
	t_vals(fwd_out, 6, 0xc6120064u, 0xc612000bu, 20000, 8080);
	t_vals(reply, 6, 0xc612000bu, 0xc6120064u, 8080, 20000);
	fm_bidir_key_from_fields(fwd_in, &kin, NULL);
	fm_bidir_key_from_fields(fwd_out, &kout, NULL);
	fm_bidir_key_from_fields(reply, &krep, NULL);
	ck_assert(!fm_bidir_key_equal(&kin, &kout));
	ck_assert(fm_bidir_key_equal(&kout, &krep));
	ck_assert_int_eq(fm_bidir_attach(b, &kin, fm_bidir_hash(b, &kin), &rec, &created), 0);
	ck_assert(created);
	ck_assert_int_eq(fm_bidir_key_of(b, rec, &kof), 0);
	ck_assert(fm_bidir_key_equal(&kof, &kin));
	strcpy(fm_bidir_data(b, rec), "nat state");
	ck_assert_int_eq(fm_bidir_alias(b, &kout, fm_bidir_hash(b, &kout), rec, &alias), 0);
	ck_assert_uint_ne(alias, rec);
	ck_assert_uint_eq(fm_bidir_refs(b, rec), 2);
	/* a second alias under the same key is refused and leaves the counts alone */
	ck_assert_int_eq(fm_bidir_alias(b, &kout, fm_bidir_hash(b, &kout), rec, &other), -EEXIST);
	ck_assert_uint_eq(fm_bidir_refs(b, rec), 2);
	/* no alias of an alias */
	ck_assert_int_eq(fm_bidir_alias(b, &kin, fm_bidir_hash(b, &kin), alias, &other), -EINVAL);
	/* the reply finds the session's record, not a new one */
	ck_assert_int_eq(fm_bidir_attach(b, &krep, fm_bidir_hash(b, &krep), &rrec, &created), 0);
	ck_assert(!created);
	ck_assert_uint_eq(rrec, rec);
	ck_assert_str_eq(fm_bidir_data(b, rrec), "nat state");
	ck_assert_uint_eq(fm_bidir_refs(b, rec), 3);
	ck_assert_uint_eq(fm_bidir_in_use(b), 2);
	/* forward FCB released: its alias, then its own reference */
	ck_assert_int_eq(fm_bidir_detach(b, alias), 1);
	ck_assert_int_eq(fm_bidir_detach(b, rec), 0);
	ck_assert_uint_eq(fm_bidir_in_use(b), 1);
	/* the rewritten key is free again: a new session gets a new record */
	ck_assert_int_eq(fm_bidir_attach(b, &kout, fm_bidir_hash(b, &kout), &other, &created), 0);
	ck_assert(created);
	ck_assert_int_eq(fm_bidir_detach(b, other), 1);
	ck_assert_int_eq(fm_bidir_detach(b, rrec), 1);
	ck_assert_uint_eq(fm_bidir_in_use(b), 0);
	free(region);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flow_bidir");
	TCase *tc = tcase_create("bidir");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_flow_bidir_two_threads_same_record);
	tcase_add_test(tc, test_flow_bidir_data_shared_and_freed);
	tcase_add_test(tc, test_flow_bidir_alias_links_rewritten_reply);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(suite());
}
