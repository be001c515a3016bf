/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the TCP context's block pools and mbuf budget (flowmgr/tcp/fm_tcp_pool.h): no EAL.
 * The budget is the bound issue 13 asks for: whatever spoofed out-of-order segments or receivers
 * withholding their ACKs do, the context keeps at most its share of the mbuf pool, and spoofed
 * segments never take what established connections' data needs.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fm_tcp_pool.h"

START_TEST(test_tcp_pool_get_put)
{
	enum { NB = 100 };
	static uint64_t mem[NB][4];
	static uint32_t next[NB];
	struct fm_tcp_pool p;
	uint8_t seen[NB] = {0};
	uint32_t i, got[NB];

	fm_tcp_pool_init(&p, mem, next, sizeof(mem[0]), NB);
	for (i = 0; i < NB; i++) {
		got[i] = fm_tcp_pool_get(&p);
		ck_assert_uint_lt(got[i], NB);
		ck_assert_uint_eq(seen[got[i]], 0); /* never handed out twice */
		seen[got[i]] = 1;
		ck_assert_ptr_eq(fm_tcp_pool_obj(&p, got[i]), mem[got[i]]);
	}
	ck_assert_uint_eq(p.used, NB);
	ck_assert_uint_eq(fm_tcp_pool_get(&p), FM_TCP_POOL_NONE); /* empty: refused, not grown */
	ck_assert_uint_eq(p.used, NB);
	fm_tcp_pool_put(&p, got[37]);
	ck_assert_uint_eq(fm_tcp_pool_get(&p), got[37]);
	for (i = 0; i < NB; i++)
		fm_tcp_pool_put(&p, got[i]);
	ck_assert_uint_eq(p.used, 0);
	ck_assert_uint_eq(p.peak, NB);
	for (i = 0; i < NB; i++) /* every block comes back */
		ck_assert_uint_ne(fm_tcp_pool_get(&p), FM_TCP_POOL_NONE);

	fm_tcp_pool_init(&p, mem, next, sizeof(mem[0]), 0);
	ck_assert_uint_eq(fm_tcp_pool_get(&p), FM_TCP_POOL_NONE);
}
END_TEST

START_TEST(test_tcp_budget_shares)
{
	struct fm_tcp_budget b;

	fm_tcp_budget_init(&b, 16383, FM_TCP_SHARE_DEFAULT, 1, 4096);
	ck_assert_uint_eq(b.total, 8191);
	ck_assert_uint_eq(b.held_max, 2047);
	ck_assert_uint_eq(b.copies_max, 6144);
	ck_assert_uint_eq(b.conn_cap, 3072);
	ck_assert_uint_eq(b.held + b.copies + b.inflight, 0);

	fm_tcp_budget_init(&b, 16383, 100, 1, 4096); /* clamped: never all of the pool */
	ck_assert_uint_eq(b.total, 16383 * FM_TCP_SHARE_MAX / 100);
	fm_tcp_budget_init(&b, 16383, 0, 1, 4096);
	ck_assert_uint_eq(b.total, 16383 * FM_TCP_SHARE_MIN / 100);
	fm_tcp_budget_init(&b, 16383, 50, 4, 4096); /* per worker */
	ck_assert_uint_eq(b.total, 8191 / 4);
	fm_tcp_budget_init(&b, 1000000, 50, 1, 4096); /* the per-connection cap */
	ck_assert_uint_eq(b.conn_cap, 4096);
	fm_tcp_budget_init(&b, 1000, 50, 1, 4096);
	ck_assert_uint_eq(b.conn_cap, 375 / 2);
	fm_tcp_budget_init(&b, 100, 50, 1, 4096); /* ... at least 64 */
	ck_assert_uint_eq(b.conn_cap, 64);
}
END_TEST

/* A model of a worker under both attacks at once: spoofed out-of-order segments across many
 * tuples fill the held quarter (each accepted one is one mbuf), receivers that never ACK fill
 * their connections' caps; meanwhile established connections keep passing data whose copies are
 * freed by their ACKs. The mbufs the context keeps never exceed its share; the spoofed segments
 * are refused (counted) once their quarter is full; the withholding receivers are refused before
 * they take all of the copies' share; established data always gets through. */
START_TEST(test_tcp_budget_flood_model)
{
	enum { POOL = 16383, WITHHOLD = 40, EST = 20 };
	struct fm_tcp_budget b;
	uint32_t withheld[WITHHOLD] = {0}, est_used[EST] = {0};
	uint64_t refused_ooo = 0, refused_data = 0, est_passed = 0, rounds = 0;
	unsigned int seed = 13;

	fm_tcp_budget_init(&b, POOL, FM_TCP_SHARE_DEFAULT, 1, 4096);
	for (rounds = 0; rounds < 200000; rounds++) {
		unsigned int r = (unsigned int)rand_r(&seed);

		switch (r % 4) {
		case 0: /* a spoofed out-of-order segment: held (never completed) */
			if (fm_tcp_budget_hold_ok(&b))
				b.held++;
			else
				refused_ooo++;
			break;
		case 1: { /* a download whose receiver withholds its ACKs */
			uint32_t *u = &withheld[(r >> 4) % WITHHOLD];

			if (fm_tcp_budget_data_ok(&b, *u)) {
				(*u)++;
				b.copies++;
			} else {
				refused_data++;
			}
			break;
		}
		default: { /* an established transfer: a segment in, then its ACK frees it */
			uint32_t *u = &est_used[(r >> 4) % EST];

			ck_assert_msg(fm_tcp_budget_data_ok(&b, *u),
				      "an established connection refused (%u copies held, %u "
				      "withheld by the others)",
				      *u, b.copies);
			if (fm_tcp_budget_data_ok(&b, *u)) {
				b.inflight++;
				b.inflight--; /* left the chain: a copy */
				b.copies++;
				(*u)++;
				est_passed++;
			}
			if (*u > 4) { /* its receiver ACKs */
				b.copies -= *u;
				*u = 0;
			}
			break;
		}
		}
		fm_tcp_budget_peak(&b);
		ck_assert_uint_le(b.held, b.held_max);
		ck_assert_uint_le(b.copies + b.inflight, b.copies_max);
		ck_assert_uint_le(b.held + b.copies + b.inflight, b.total);
	}
	ck_assert_uint_gt(refused_ooo, 0); /* the flood did fill its quarter */
	ck_assert_uint_eq(b.held_peak, b.held_max);
	ck_assert_uint_gt(refused_data, 0); /* the withholding receivers hit their caps */
	for (int i = 0; i < WITHHOLD; i++)
		ck_assert_uint_lt(withheld[i], b.conn_cap);
	ck_assert_uint_gt(b.copies_max - b.copies, b.copies_max / (2 * (WITHHOLD + 1))); /* room */
	ck_assert_uint_gt(est_passed, 90000); /* established data kept flowing */
	ck_assert_uint_le(b.held_peak + b.copies_peak, b.total);
	ck_assert_uint_ge(POOL - b.total, POOL / 2); /* the rest of the pool stays for RX */
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("tcp_pool");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_tcp_pool_get_put);
	tcase_add_test(tc, test_tcp_budget_shares);
	tcase_add_test(tc, test_tcp_budget_flood_model);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
