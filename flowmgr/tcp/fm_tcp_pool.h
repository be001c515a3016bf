/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_tcp_pool.h — the TCP context's bounded memory: fixed-size block pools and the mbuf budget.
 * Pure C, no DPDK (unit-tested without an EAL: tests/unit/tcp/test_tcp_pool.c).
 *
 * What: a connection direction's idle state is small and lives with its session; what a busy
 * direction needs more of (held out-of-order segments, replays waiting, copies of what went out,
 * a modification list) comes from pools of fixed-size blocks, taken when first needed and given
 * back as soon as empty (docs/streams.md, "Connection state and budgets"):
 *  - fm_tcp_pool: `nb` blocks of `size` bytes in memory the caller provides, a free list of
 *    indices (O(1) get and put, no allocation). A pool never grows: get() returns
 *    FM_TCP_POOL_NONE when all are in use, and the caller refuses (counted) what needed one;
 *  - fm_tcp_budget: how many mbufs the context may keep out of the shared mbuf pool, a fixed
 *    share of it: `held` (out-of-order segments and waiting replays: what a spoofing sender can
 *    fill) is bounded by a quarter of the share, `copies` plus `inflight` (copies of what went
 *    out, segments in the chain that will become copies) by the rest, and one direction's copies
 *    by a per-connection cap and by what is still free (fm_tcp_budget_data_ok()). Spoofed
 * out-of-order segments can only fill their quarter: established connections' in-order data never
 * needs it.
 *
 * Concurrency: one of each per worker, touched by that worker's lcore only (no lock, no atomic);
 * a control thread reads the counters only through the context's counters.
 */
#ifndef FM_TCP_POOL_H
#define FM_TCP_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FM_TCP_POOL_NONE UINT32_MAX

struct fm_tcp_pool {
	uint8_t *mem;	/* nb * size bytes */
	uint32_t *next; /* nb: free-list links */
	size_t size;
	uint32_t nb, used, peak, free_head;
};

/* A pool of `nb` blocks of `size` bytes (mem: nb * size bytes; next: nb entries). */
void fm_tcp_pool_init(struct fm_tcp_pool *p, void *mem, uint32_t *next, size_t size, uint32_t nb);
/* A block's index, or FM_TCP_POOL_NONE when every block is in use. The block is not cleared. */
uint32_t fm_tcp_pool_get(struct fm_tcp_pool *p);
/* Gives block `i` back (i < nb, in use). */
void fm_tcp_pool_put(struct fm_tcp_pool *p, uint32_t i);

static inline void *fm_tcp_pool_obj(const struct fm_tcp_pool *p, uint32_t i)
{
	return p->mem + (size_t)i * p->size;
}

/* The mbuf budget (in mbufs). */
#define FM_TCP_SHARE_DEFAULT 50 /* % of the mbuf pool, config key stream_mbufs */
#define FM_TCP_SHARE_MIN     5
#define FM_TCP_SHARE_MAX     80
#define FM_TCP_BUDGET_SLACK  8 /* room kept for what one segment may add (a split, a replay) */

struct fm_tcp_budget {
	uint32_t total;	     /* share of the mbuf pool */
	uint32_t held_max;   /* out-of-order segments + waiting replays: total / 4 */
	uint32_t copies_max; /* copies + segments in the chain: the rest */
	uint32_t conn_cap;   /* copies + segments in the chain of one direction */
	uint32_t held, copies, inflight;
	uint32_t held_peak, copies_peak;
};

/*
 * The budget of one worker: `share_pct` % of a pool of `pool_mbufs`, split evenly between
 * `nb_workers`; one direction may keep at most min(hist_cap, copies_max / 2) (and never less
 * than 64) copies. share_pct outside FM_TCP_SHARE_MIN..MAX is clamped.
 */
void fm_tcp_budget_init(struct fm_tcp_budget *b, uint32_t pool_mbufs, uint32_t share_pct,
			uint32_t nb_workers, uint32_t hist_cap);

/* Notes what is in use now (call after raising held, copies or inflight). */
static inline void fm_tcp_budget_peak(struct fm_tcp_budget *b)
{
	if (b->held > b->held_peak)
		b->held_peak = b->held;
	if (b->copies + b->inflight > b->copies_peak)
		b->copies_peak = b->copies + b->inflight;
}

/* May one more out-of-order segment (or waiting replay) be kept? */
static inline bool fm_tcp_budget_hold_ok(const struct fm_tcp_budget *b)
{
	return b->held < b->held_max;
}

/*
 * May a data segment enter the chain, for a direction with `dir_used` copies + in the chain?
 * Within the per-connection cap, and while the direction holds less than what is still free: k
 * receivers that withhold their ACKs take at most k / (k + 1) of the copies' share, the rest
 * stays for connections that keep little (their transfers go on, with a smaller window).
 */
static inline bool fm_tcp_budget_data_ok(const struct fm_tcp_budget *b, uint32_t dir_used)
{
	uint32_t used = b->copies + b->inflight;
	uint32_t free = used < b->copies_max ? b->copies_max - used : 0;

	return free > FM_TCP_BUDGET_SLACK && dir_used + FM_TCP_BUDGET_SLACK < b->conn_cap &&
	       dir_used < free;
}

#endif /* FM_TCP_POOL_H */
