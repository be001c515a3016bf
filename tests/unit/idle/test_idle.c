/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_idle.c — the idle and wake decisions of flowmgr's worker and nfsdk (common/fm_idle.h,
 * issue 16 item 2): the inter-arrival estimate, spin-then-sleep sized from it, flowmgr's nap
 * within its latency budget, and doorbell moderation (wake after N packets or T, never later).
 * Times are plain numbers ("µs" below); no clock is read, so nothing here is timed.
 */
#include <check.h>

#include "fs_check.h"
#include <stdint.h>

#include "fm_idle.h"

static const struct fm_spin_conf spin = {.spin_min = 2, .spin_max = 20};

START_TEST(test_gap_ewma_and_cap)
{
	struct fm_gap g = {0};

	fm_gap_note(&g, 1000, 160);
	ck_assert_uint_eq(g.avg, 0); /* one burst: no gap yet */
	fm_gap_note(&g, 1008, 160);
	ck_assert_uint_eq(g.avg, 8); /* the first gap is taken whole */
	for (uint64_t t = 1016; t < 1016 + 8 * 64; t += 8)
		fm_gap_note(&g, t, 160);
	ck_assert_uint_eq(g.avg, 8);		/* steady 8 µs */
	fm_gap_note(&g, g.last + 1000000, 160); /* a second of silence counts as the cap */
	ck_assert_uint_eq(g.avg, 8 - 1 + 20);
	ck_assert_uint_eq(fm_gap_since(&g, g.last + 5), 5);
	ck_assert_uint_eq(fm_gap_since(&(struct fm_gap){0}, 5), UINT64_MAX);
}
END_TEST

/* Dense traffic (a burst every 3 µs): spin up to twice the gap, so the next burst is caught
 * without a sleep; sparse traffic (every 100 µs): sleep after spin_min, no spinning in vain. */
START_TEST(test_spin_then_sleep)
{
	struct fm_gap dense = {0}, sparse = {0}, mid = {0};
	uint64_t t;

	for (t = 100; t < 100 + 3 * 20; t += 3)
		fm_gap_note(&dense, t, 160);
	ck_assert_uint_eq(fm_idle_spin_for(&dense, &spin), 6);
	ck_assert(!fm_idle_should_sleep(&dense, &spin, dense.last + 5));
	ck_assert(fm_idle_should_sleep(&dense, &spin, dense.last + 6));

	for (t = 100; t < 100 + 100 * 20; t += 100)
		fm_gap_note(&sparse, t, 160);
	ck_assert_uint_eq(fm_idle_spin_for(&sparse, &spin), spin.spin_min);
	ck_assert(!fm_idle_should_sleep(&sparse, &spin, sparse.last + 1));
	ck_assert(fm_idle_should_sleep(&sparse, &spin, sparse.last + 2));

	for (t = 100; t < 100 + 15 * 20; t += 15) /* 2 x 15 > spin_max: capped */
		fm_gap_note(&mid, t, 160);
	ck_assert_uint_eq(fm_idle_spin_for(&mid, &spin), spin.spin_max);

	/* no burst yet: sleep at once; very dense: at least spin_min */
	ck_assert(fm_idle_should_sleep(&(struct fm_gap){0}, &spin, 12345));
	ck_assert_uint_eq(fm_idle_spin_for(&(struct fm_gap){.last = 1, .avg = 0}, &spin), 2);
	ck_assert_uint_eq(fm_idle_spin_for(&(struct fm_gap){.last = 1, .avg = 1}, &spin), 2);
}
END_TEST

/* The nap follows the traffic within [nap_min, nap_max]; once idle it is nap_idle. */
START_TEST(test_nap_within_budget)
{
	const struct fm_nap_conf c = {
	    .nap_min = 10, .nap_max = 45, .nap_idle = 195, .idle_after = 100000};
	struct fm_gap g = {.last = 1000, .avg = 40};

	ck_assert_uint_eq(fm_idle_nap_for(&g, &c, 1010), 40); /* the expected gap */
	g.avg = 8;
	ck_assert_uint_eq(fm_idle_nap_for(&g, &c, 1010), 10); /* nap_min */
	g.avg = 160;
	ck_assert_uint_eq(fm_idle_nap_for(&g, &c, 1010), 45); /* nap_max: the budget's share */
	ck_assert_uint_eq(fm_idle_nap_for(&g, &c, 1000 + 99999), 45);
	ck_assert_uint_eq(fm_idle_nap_for(&g, &c, 1000 + 100000), 195); /* idle */
	ck_assert_uint_eq(fm_idle_nap_for(&(struct fm_gap){0}, &c, 5), 195);
}
END_TEST

/* A sleeping consumer: no wake for the first packets, a wake at the N-th. */
START_TEST(test_bell_after_n_packets)
{
	const struct fm_bell_conf c = {.n = 32, .t = 100};
	struct fm_bell b = {0};

	ck_assert_int_eq(fm_bell_publish(&b, &c, 10, true, 1000), FM_BELL_DEFER);
	ck_assert_int_eq(fm_bell_publish(&b, &c, 21, true, 1001), FM_BELL_DEFER);
	ck_assert_uint_eq(b.pending, 31);
	ck_assert_int_eq(fm_bell_publish(&b, &c, 1, true, 1002), FM_BELL_RING);
	ck_assert_uint_eq(b.pending, 0);
	ck_assert(!fm_bell_due(&b, &c, 5000)); /* nothing pending after a ring */
	ck_assert_int_eq(fm_bell_publish(&b, &c, 40, true, 2000), FM_BELL_RING); /* one burst */
}
END_TEST

/* A trickle: the wake comes T after the first pending packet, never later, and the producer's
 * nap is bounded by it. */
START_TEST(test_bell_after_t)
{
	const struct fm_bell_conf c = {.n = 32, .t = 100};
	struct fm_bell b = {0};

	ck_assert_uint_eq(fm_bell_wait(&b, &c, 0), UINT64_MAX);
	ck_assert_int_eq(fm_bell_publish(&b, &c, 1, true, 1000), FM_BELL_DEFER);
	ck_assert_uint_eq(fm_bell_wait(&b, &c, 1000), 100);
	ck_assert_int_eq(fm_bell_publish(&b, &c, 1, true, 1060), FM_BELL_DEFER);
	ck_assert_uint_eq(fm_bell_wait(&b, &c, 1060), 40); /* from the first, not the last */
	ck_assert(!fm_bell_due(&b, &c, 1099));
	ck_assert(fm_bell_due(&b, &c, 1100));
	ck_assert_uint_eq(b.pending, 0);
	ck_assert(!fm_bell_due(&b, &c, 1200)); /* taken once */
	/* a packet published after T already passed since the first pending: wake at once */
	ck_assert_int_eq(fm_bell_publish(&b, &c, 1, true, 2000), FM_BELL_DEFER);
	ck_assert_int_eq(fm_bell_publish(&b, &c, 1, true, 2150), FM_BELL_RING);
	/* overdue: wait 0 */
	ck_assert_int_eq(fm_bell_publish(&b, &c, 1, true, 3000), FM_BELL_DEFER);
	ck_assert_uint_eq(fm_bell_wait(&b, &c, 3500), 0);
}
END_TEST

/* An awake consumer finds its packets itself: no wake, and nothing stays pending; the end of a
 * producer's batch (fm_bell_flush) takes a deferred wake exactly once. */
START_TEST(test_bell_awake_and_flush)
{
	const struct fm_bell_conf c = {.n = 32, .t = UINT64_MAX}; /* nfsdk: no timer */
	struct fm_bell b = {0};

	ck_assert_int_eq(fm_bell_publish(&b, &c, 5, false, 10), FM_BELL_NONE);
	ck_assert(!fm_bell_flush(&b));
	ck_assert_int_eq(fm_bell_publish(&b, &c, 5, true, 20), FM_BELL_DEFER);
	ck_assert(!fm_bell_due(&b, &c, UINT64_MAX - 1));		       /* no timer */
	ck_assert_int_eq(fm_bell_publish(&b, &c, 5, false, 30), FM_BELL_NONE); /* woke meanwhile */
	ck_assert(!fm_bell_flush(&b));
	ck_assert_int_eq(fm_bell_publish(&b, &c, 5, true, 40), FM_BELL_DEFER);
	ck_assert(fm_bell_flush(&b));
	ck_assert(!fm_bell_flush(&b));
	/* no moderation (n = 1): every publish to a sleeper rings */
	ck_assert_int_eq(fm_bell_publish(&b, &(struct fm_bell_conf){.n = 1, .t = 0}, 1, true, 50),
			 FM_BELL_RING);
}
END_TEST

/* Whatever the arrivals, a deferred wake is rung by the producer's loop no later than T after
 * the first pending packet, and every burst of N packets rings: checked over a pseudo-random
 * trickle, the producer's loop running every 7 units. */
START_TEST(test_bell_never_late)
{
	const struct fm_bell_conf c = {.n = 32, .t = 100};
	struct fm_bell b = {0};
	uint64_t first = 0, x = 12345, rings = 0;
	uint32_t pend = 0;

	for (uint64_t now = 1; now < 200000; now += 7) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		if ((x >> 60) < 3) { /* a burst of 1..40 packets, sometimes */
			uint32_t k = 1 + (uint32_t)((x >> 20) % 40);

			if (pend == 0)
				first = now;
			pend += k;
			if (fm_bell_publish(&b, &c, k, true, now) == FM_BELL_RING) {
				ck_assert(pend >= c.n || now - first >= c.t);
				pend = 0;
				rings++;
				continue;
			}
			ck_assert_uint_lt(pend, c.n);
		}
		if (fm_bell_due(&b, &c, now)) {
			ck_assert_uint_ge(now - first, c.t);
			pend = 0;
			rings++;
		}
		ck_assert(pend == 0 || now - first < c.t + 7);
		ck_assert_uint_eq(b.pending, pend);
	}
	ck_assert_uint_gt(rings, 100);
}
END_TEST

static Suite *idle_suite(void)
{
	Suite *s = suite_create("idle");
	TCase *tc = tcase_create("idle");

	tcase_add_test(tc, test_gap_ewma_and_cap);
	tcase_add_test(tc, test_spin_then_sleep);
	tcase_add_test(tc, test_nap_within_budget);
	tcase_add_test(tc, test_bell_after_n_packets);
	tcase_add_test(tc, test_bell_after_t);
	tcase_add_test(tc, test_bell_awake_and_flush);
	tcase_add_test(tc, test_bell_never_late);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(idle_suite());
}
