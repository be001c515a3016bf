/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_idle.h — cheap hops: when a process spins, sleeps or naps, and when a producer wakes a
 * sleeping consumer (issue 16 item 2). Pure C11, no DPDK: the decisions are unit-tested on their
 * own (tests/unit/idle). Times are in TSC cycles (any monotonic unit works), chosen by the caller.
 *
 * Inter-arrival estimate (struct fm_gap): each process notes the time of every burst it received;
 * the estimate is an EWMA (1/8) of the gaps between bursts, each gap capped (one long silence must
 * not hide that traffic is back after one burst).
 *
 * Spin, then sleep (fm_idle_spin_for()): sleeping on a doorbell and being woken costs about
 * `spin_max` of CPU (two syscalls, two context switches). After its last burst a consumer spins
 * while the next one is expected soon — up to twice the estimated gap when that gap is at most
 * spin_max — and otherwise only `spin_min` (the tail of a batch still in flight) before it sleeps.
 *
 * flowmgr's nap (fm_idle_nap_for()): the worker polls the ports (no doorbell), so it naps. While
 * traffic flows the nap is the estimated gap, within [nap_min, nap_max] (nap_max is the
 * worker's share of the chain's latency budget); once nothing came for `idle_after`, it naps
 * `nap_idle` at a time, so an idle flowmgr no longer burns a share of a core.
 *
 * Doorbell moderation (struct fm_bell, like a NIC's interrupt moderation): a producer that
 * publishes packets to a consumer sleeping on its doorbell does not wake it at once: it wakes it
 * when `n` packets are pending or the first of them has waited `t`, whichever comes first
 * (fm_bell_publish()); between bursts, fm_bell_due() rings a deferred wake whose time came, and
 * fm_bell_wait() tells whether one falls due during the producer's own nap (flowmgr then rings it
 * before the nap rather than waking up for it). nfsdk uses the end of its input batch in
 * place of the timer (fm_bell_flush()): the batch a consumer is woken for is handed on whole.
 * A deferred wake is only ever late by the producer's loop; the consumer's own sleep timeout
 * (NF_SLEEP_MS) bounds the worst case.
 *
 * Concurrency: every structure here is private to one thread of one process.
 */
#ifndef FM_IDLE_H
#define FM_IDLE_H

#include <stdbool.h>
#include <stdint.h>

/* ---- inter-arrival estimate --------------------------------------------------------------- */

struct fm_gap {
	uint64_t last; /* time of the last burst, 0 = none yet */
	uint64_t avg;  /* EWMA of the gaps between bursts (0 = not known yet) */
};

/** A burst arrived at `now`; gaps above `cap` count as `cap`. */
static inline void fm_gap_note(struct fm_gap *g, uint64_t now, uint64_t cap)
{
	if (g->last != 0 && now >= g->last) {
		uint64_t d = now - g->last;

		if (d > cap)
			d = cap;
		g->avg = g->avg == 0 ? d : g->avg - (g->avg >> 3) + (d >> 3);
	}
	g->last = now;
}

/** Time since the last burst (everything when there was none). */
static inline uint64_t fm_gap_since(const struct fm_gap *g, uint64_t now)
{
	return g->last == 0 || now < g->last ? UINT64_MAX : now - g->last;
}

/* ---- spin, then sleep ----------------------------------------------------------------------- */

struct fm_spin_conf {
	uint64_t spin_min; /* always spin this long after a burst */
	uint64_t spin_max; /* about what a sleep and a wake-up cost; never spin longer */
};

/** How long to spin after the last burst before sleeping. */
static inline uint64_t fm_idle_spin_for(const struct fm_gap *g, const struct fm_spin_conf *c)
{
	uint64_t s;

	if (g->avg == 0 || g->avg > c->spin_max)
		return c->spin_min; /* the next burst is not expected soon: sleeping is cheaper */
	s = 2 * g->avg;
	if (s < c->spin_min)
		s = c->spin_min;
	return s > c->spin_max ? c->spin_max : s;
}

/** After an empty poll at `now`: sleep (true) or spin on (false)? */
static inline bool fm_idle_should_sleep(const struct fm_gap *g, const struct fm_spin_conf *c,
					uint64_t now)
{
	return fm_gap_since(g, now) >= fm_idle_spin_for(g, c);
}

/* ---- flowmgr's nap -------------------------------------------------------------------------- */

struct fm_nap_conf {
	uint64_t nap_min;    /* shortest nap (below it the sleep costs more than it saves) */
	uint64_t nap_max;    /* longest nap while traffic flows: a share of the latency budget */
	uint64_t nap_idle;   /* the nap once idle */
	uint64_t idle_after; /* idle: nothing for this long */
};

/** How long to nap at `now`. */
static inline uint64_t fm_idle_nap_for(const struct fm_gap *g, const struct fm_nap_conf *c,
				       uint64_t now)
{
	uint64_t n;

	if (fm_gap_since(g, now) >= c->idle_after)
		return c->nap_idle;
	n = g->avg;
	if (n < c->nap_min)
		n = c->nap_min;
	return n > c->nap_max ? c->nap_max : n;
}

/* ---- doorbell moderation -------------------------------------------------------------------- */

struct fm_bell_conf {
	uint32_t n; /* wake after this many pending packets (1 = no moderation) */
	uint64_t t; /* or once the first of them waited this long (0 = no moderation) */
};

/* One producer's pending wake of one consumer. */
struct fm_bell {
	uint32_t pending; /* packets published to the sleeping consumer since its last wake */
	uint64_t first;	  /* when the first of them was published */
};

enum fm_bell_do {
	FM_BELL_NONE,  /* the consumer is awake: it finds the packets itself */
	FM_BELL_DEFER, /* asleep: wake it later (fm_bell_due(), fm_bell_flush()) */
	FM_BELL_RING,  /* asleep: wake it now */
};

/** `k` packets were just published to a consumer that is `asleep` (its doorbell is set). */
static inline enum fm_bell_do fm_bell_publish(struct fm_bell *b, const struct fm_bell_conf *c,
					      uint32_t k, bool asleep, uint64_t now)
{
	if (!asleep) {
		b->pending = 0;
		return FM_BELL_NONE;
	}
	if (b->pending == 0)
		b->first = now;
	b->pending += k;
	if (b->pending >= c->n || now - b->first >= c->t) {
		b->pending = 0;
		return FM_BELL_RING;
	}
	return FM_BELL_DEFER;
}

/** Between bursts: is a deferred wake due at `now`? (It is then taken: ring the doorbell.) */
static inline bool fm_bell_due(struct fm_bell *b, const struct fm_bell_conf *c, uint64_t now)
{
	if (b->pending == 0 || now - b->first < c->t)
		return false;
	b->pending = 0;
	return true;
}

/** Is a wake deferred? (It is then taken: ring the doorbell; the producer's batch ended.) */
static inline bool fm_bell_flush(struct fm_bell *b)
{
	bool p = b->pending != 0;

	b->pending = 0;
	return p;
}

/** How long until the deferred wake is due (UINT64_MAX when none, 0 when overdue). */
static inline uint64_t fm_bell_wait(const struct fm_bell *b, const struct fm_bell_conf *c,
				    uint64_t now)
{
	uint64_t waited;

	if (b->pending == 0)
		return UINT64_MAX;
	waited = now - b->first;
	return waited >= c->t ? 0 : c->t - waited;
}

#endif /* FM_IDLE_H */
