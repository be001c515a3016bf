/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_clock.h — flowmgr's one notion of "now", in milliseconds.
 *
 * What: every timeout decision of the flow layer (idle timeouts, the pending-timeout list, the
 * periodic full sweep, eviction of the oldest idle session) reads time through a struct fm_clock,
 * so that tests can drive time by hand and flowmgr can feed the TSC. flowmgr's control plane
 * (supervision deadlines, launch back-off, uptime) reads fm_clock_monotonic() directly: there is
 * no second copy of it in flowmgr.
 *
 * Design: a clock is either a function (now_ms(opaque), e.g. a TSC conversion in flowmgr) or,
 * when now_ms is NULL, a driven value (`value`) that the owner sets with fm_clock_set() /
 * fm_clock_advance(). fm_clock_monotonic() is a ready-made function clock on CLOCK_MONOTONIC
 * (vDSO, no system call). The flow layer reads the clock once per burst / upkeep call, never per
 * packet in the burst API.
 *
 * Concurrency: a driven clock is a plain atomic value: one thread sets it, any thread reads it
 * (relaxed). Time must never go backwards; the flow layer tolerates it (a session whose last use
 * lies in the future is simply not expired).
 */
#ifndef FM_CLOCK_H
#define FM_CLOCK_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

struct fm_clock {
	uint64_t (*now_ms)(void *opaque); /* NULL: driven clock, read `value` */
	void *opaque;
	_Atomic uint64_t value; /* driven clock: current time in ms */
};

static inline uint64_t fm_clock_now(const struct fm_clock *c)
{
	if (c->now_ms)
		return c->now_ms(c->opaque);
	return atomic_load_explicit(&((struct fm_clock *)c)->value, memory_order_relaxed);
}

/** Driven clock: set / advance the current time. */
static inline void fm_clock_set(struct fm_clock *c, uint64_t ms)
{
	atomic_store_explicit(&c->value, ms, memory_order_relaxed);
}
static inline void fm_clock_advance(struct fm_clock *c, uint64_t ms)
{
	atomic_fetch_add_explicit(&c->value, ms, memory_order_relaxed);
}

/** Function clock on CLOCK_MONOTONIC (opaque unused). */
static inline uint64_t fm_clock_monotonic(void *opaque)
{
	(void)opaque;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#endif /* FM_CLOCK_H */
