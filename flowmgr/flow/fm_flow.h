/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_flow.h — the per-lcore flow table: FCB lifecycle, timeouts, RSS-hash cache, exhaustion.
 *
 * What: one struct fm_flow per worker lcore wraps one classification tree (fm_tree.h, built here
 * from the chain with this lcore's FCB pool as its allocator) and gives the worker:
 *   - fm_flow_lookup[_burst]()  packet -> FCB (cache hit verified bottom-up, else tree descent),
 *                               usage++ and last_use = now;
 *   - fm_flow_put[_burst]()     the packet left the platform (sent, dropped, freed): usage--;
 *   - fm_flow_upkeep()          bounded ageing work, called every poll (idle or not);
 *   - release events            one callback per VNF on the FCB's path, exactly once, before the
 *                               slot can be reused (optionally acknowledged asynchronously);
 *   - counters per reason, and an iterator over live sessions (`nfctl flows`).
 *
 * Lifecycle (paper §II-G). A session FCB is created by a PFP miss (usage 0 -> 1 by the lookup).
 * It is RELEASED when usage == 0 AND now >= last_use + timeout_ms, never earlier, where
 *   - timeout_ms is the LARGEST idle timeout among the VNFs on the FCB's path (computed here per
 *     path from the chain and written into every new FCB: the tree's own value is the minimum
 *     over stateful VNFs, see docs/flowtable.md), or conf.default_timeout_ms if that is 0;
 *   - last_use is the time of the last lookup or of the fm_flow_put() that brought usage to 0.
 * Paths to release:
 *   1. lazy deletion: a lookup that meets an expired FCB (usage 0, deadline passed) renews it:
 *      release events run, the FCB is released and a fresh one is created for the packet
 *      (counter lazy_renew);
 *   2. pending-timeout lists: fm_flow_put() that brings usage to 0 appends the FCB to its path's
 *      list (one list per path, so each list is sorted by deadline). fm_flow_upkeep() sweeps them
 *      when the lcore is idle or when their total length passes a threshold; the threshold
 *      doubles (up to pending_threshold_max) when a sweep leaves the lists above it, and halves
 *      back towards pending_threshold when the lists shrink below a quarter of it (exponential
 *      back-off, paper §II-G). A sweep releases at most sweep_budget FCBs and looks at most at
 *      sweep_budget + nb_paths list heads;
 *   3. full sweep: every full_sweep_ms (default 15000) a cursor walks all carved slots,
 *      full_sweep_step slots per fm_flow_upkeep() call; it releases expired FCBs that are on no
 *      list (their usage was decremented by another process, see Concurrency) and puts the
 *      unexpired idle ones on their list. Bound: an idle FCB is released at the latest
 *      full_sweep_ms + ceil(max_sessions / full_sweep_step) upkeep calls after its deadline.
 * A packet that arrives before the release takes the FCB off its list (counter revived).
 * Release events run for every VNF index on the path in order, each exactly once; a callback that
 * returns 1 defers the slot's reuse until fm_flow_release_ack() was called once per such VNF (the
 * slot is then DRAINING: out of the tree, not reusable, counted in the pool bound). The tree
 * prunes empty dynamic nodes on release (fm_tree_release()).
 *
 * Cache (paper §II-F). Per lcore, `cache_size` entries (power of 2; fewer than 8 make one bucket)
 * in buckets of FM_CACHE_WAYS = 8 ways, one cache line each: {16-bit tag, slot, 16-bit
 * generation}. The hash's low bits pick the bucket, its high bits the tag. A hit requires a way
 * with the tag whose slot is still IN_USE with the same generation (else cache_stale, the way is
 * emptied) and fm_tree_verify_fields() (else cache_verify_fail: a colliding flow). A miss falls
 * back to the tree and takes an empty way, else a rotating victim (cache_evict). A released
 * session leaves its bucket. `cache_size = 0` turns it off. Without a NIC hash use
 * fm_flow_hash(), keyed by the per-start seed (a NIC's RSS hash uses the NIC's key: with the
 * well-known symmetric key an attacker can aim flows at one bucket, which costs them a tree
 * descent each, never a chain).
 *
 * Exhaustion. The pool holds at most max_sessions FCBs (no growth, ever). When it is full and a
 * packet needs a new session (checked with a read-only tree descent, so existing sessions keep
 * being found): FM_FLOW_EXHAUST_DROP refuses it (NULL, counter exhausted_drop);
 * FM_FLOW_EXHAUST_EVICT releases the oldest idle session (usage 0, on a pending list, idle for at
 * least evict_min_idle_ms; counter evicted) and creates the new one, or drops (evict_none) when no
 * session is idle. Sessions with packets in flight are never evicted.
 *
 * Embryonic sessions (conf.syn_timeout_ms != 0; issue 13: spoofed SYNs must not fill the table).
 * The worker tells the table the TCP flags of each classified packet (fm_flow_seen_burst(), after
 * the lookup, while the packet holds the session: it is on no pending list). A session whose FIRST
 * packet has SYN or RST set is EMBRYONIC (a slot-header flag; counter embryonic); its first packet
 * with neither SYN nor RST (the handshake's ACK, data, FIN) makes it ESTABLISHED for good
 * (syn_established); a session begun otherwise, or by a non-TCP packet, is never embryonic. Each
 * direction is its own session: a SYN-ACK-only reply direction is embryonic too, so a flood
 * answered by the server does not fill the table with reply sessions either. An embryonic session
 *	- expires after min(syn_timeout_ms, its path's timeout) idle instead of the path's timeout
 *	  (it sits on its own pending list per path, so every list stays sorted by deadline; a
 *	  release at the short timeout also counts syn_reclaimed);
 *	- is evicted first when the pool is full, whatever the exhaustion policy: the oldest idle
 *	  embryonic session (usage 0, no minimum idle time) is released with its events
 *	  (syn_evicted) before the policy is consulted; only when none is idle does drop refuse or
 *	  evict pick the oldest idle established session. So a SYN flood never evicts an established
 *	  session while an embryonic one is idle, and never refuses a new connection while it can
 *	  reclaim one of its own. Headroom: once fewer than max(4, max_sessions / 64) slots are
 *free, each new session also evicts the oldest idle embryonic one, so that slots whose release
 *	  events are acknowledged later (DRAINING) are free again before the pool is full.
 * Usage counts, release events, DRAINING and "never free a session in use" are unchanged.
 *
 * Concurrency: one struct fm_flow per worker lcore, used by that lcore only (no locks): lookup,
 * put, upkeep, ack, flush and the iterator MUST NOT run concurrently on the same fm_flow. The
 * fields another process may write are an FCB's usage counts: the packets in flight are
 * usage - released; the worker alone changes `usage` (+1 per lookup, -1 per put, relaxed load and
 * store), a VNF that drops or frees a packet adds 1 to `released` with fm_fcb_usage_dec() (C11
 * atomic, release order), and the worker reads the difference with acquire before releasing.
 * Such a remote decrement to 0 does not put the FCB on a pending list; the full sweep finds it.
 * FCB memory (pool region) may be read by other processes through slot indices (fm_flow_index(),
 * fm_fcb_pool.h).
 *
 * Garbage counts. A process that can decrement a usage count can also write any value there. The
 * table never trusts it beyond its bounds: a count above conf.usage_max seen by a lookup, a put
 * (a count that wrapped below zero) or the full sweep is counted
 * (usage_bad), reported (conf.on_usage_bad) and reset — to 1 by a lookup (its own packet), else to
 * 0 with last_use = now. So a garbage count never keeps a slot from the pool for longer than one
 * full sweep period plus the session's timeout, and never frees a session early: release still
 * needs the idle timeout since the last packet, taken from this table's own per-path timeouts,
 * not from the FCB's timeout_ms field (also writable by other processes). What a garbage count
 * can still do is make the count of a session with packets in flight low, so that it is released
 * once idle for its timeout while a packet is held longer than that: that packet's later put then
 * meets a released or reused slot, which every index translation here checks (fm_flow_fcb()).
 */
#ifndef FM_FLOW_H
#define FM_FLOW_H

#include <assert.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fm_chain.h"
#include "fm_clock.h"
#include "fm_fcb.h"
#include "fm_fcb_pool.h"
#include "fm_filter.h"
#include "fm_tree.h"

/* ---- counters ----------------------------------------------------------------------------- */

#define FM_FLOW_COUNTERS(X)                                                                        \
	X(lookup)	     /* packets classified (lookup calls) */                               \
	X(new_session)	     /* session FCBs created */                                            \
	X(alloc_fail)	     /* tree could not create a session (node memory) */                   \
	X(exhausted_drop)    /* pool full, new session refused (policy drop) */                    \
	X(evict_none)	     /* pool full, policy evict, but no idle session: refused */           \
	X(evicted)	     /* idle sessions released to make room */                             \
	X(expired)	     /* released by the pending-list sweep */                              \
	X(swept)	     /* released by the periodic full sweep */                             \
	X(lazy_renew)	     /* expired FCB met by a lookup: released and renewed */               \
	X(flushed)	     /* released by fm_flow_flush() */                                     \
	X(released)	     /* all releases (sum of the above reasons) */                         \
	X(release_deferred)  /* release events answered "ack later" */                             \
	X(revived)	     /* idle FCB taken off its pending list by a packet */                 \
	X(cache_hit)	     /* verified cache hits */                                             \
	X(cache_miss)	     /* no entry for the hash */                                           \
	X(cache_stale)	     /* entry's slot released or reused (generation) */                    \
	X(cache_verify_fail) /* entry's FCB is another flow (hash collision) */                    \
	X(sweep_runs)	     /* pending sweeps */                                                  \
	X(full_sweeps)	     /* completed full sweeps */                                           \
	X(usage_bad)	     /* usage count out of bounds (written by another process): reset */   \
	X(group_start)	     /* descents started at a group the NIC named (rte_flow MARK) */       \
	X(cache_evict)	     /* a full cache bucket gave up a live way for a new entry */          \
	X(embryonic)	     /* sessions begun by a SYN or RST (syn_timeout_ms rule) */            \
	X(syn_established)   /* embryonic sessions that saw a packet without SYN/RST */            \
	X(syn_reclaimed)     /* embryonic sessions released at the short timeout (also counted     \
				as expired, swept or lazy_renew) */                                \
	X(syn_evicted)	     /* idle embryonic sessions released to make room (any policy) */

enum fm_flow_cnt {
#define FM_FLOW_CNT_ENUM(n) FM_FLOW_CNT_##n,
	FM_FLOW_COUNTERS(FM_FLOW_CNT_ENUM)
#undef FM_FLOW_CNT_ENUM
	    FM_FLOW_CNT_COUNT
};
extern const char *const fm_flow_cnt_names[FM_FLOW_CNT_COUNT];

/* ---- configuration ------------------------------------------------------------------------ */

enum fm_flow_exhaust { FM_FLOW_EXHAUST_DROP = 0, FM_FLOW_EXHAUST_EVICT = 1 };

struct fm_flow_conf {
	const struct fm_chain *chain; /* required: timeouts per VNF, the tree */
	struct fm_tree_opts tree;     /* tree options (fcb_alloc is ignored: the pool is used) */
	void *region;		      /* FCB slots (64-byte aligned); NULL: allocated here */
	size_t region_len;
	uint32_t max_sessions;		/* pool bound (required) */
	uint32_t base_index;		/* global index of this lcore's first slot */
	enum fm_flow_exhaust exhaust;	/* drop (default) or evict */
	uint32_t evict_min_idle_ms;	/* evict only sessions idle at least this long */
	uint32_t syn_timeout_ms;	/* embryonic TCP sessions (Embryonic below); 0 = rule off */
	uint32_t default_timeout_ms;	/* for paths whose VNFs all declare 0 */
	uint32_t cache_size;		/* RSS cache entries (power of 2), 0 = off */
	uint32_t pending_threshold;	/* initial sweep threshold, 0 = 1024 */
	uint32_t pending_threshold_max; /* 0 = 1 << 20 */
	uint32_t sweep_budget;		/* max releases per pending sweep, 0 = 64 */
	uint32_t full_sweep_ms;		/* full sweep period, 0 = 15000 */
	uint32_t full_sweep_step;	/* slots per upkeep call during a full sweep, 0 = 256 */
	struct fm_clock *clock;		/* NULL: CLOCK_MONOTONIC */
	/*
	 * Release event for VNF `vnf` (index in the chain) of `fcb` (global slot index `index`);
	 * `area` is the VNF's area in the FCB or NULL. Runs on the owning lcore, before the slot
	 * can be reused. Returns 0 when done, 1 when the VNF acknowledges later
	 * (fm_flow_release_ack()). NULL: no events.
	 */
	int (*on_release)(void *opaque, int vnf, uint32_t index, struct fm_fcb *fcb, void *area);
	void *release_opaque;
	/*
	 * Usage counts are writable by other processes (Concurrency below): a count above usage_max
	 * (0: UINT32_MAX / 2) cannot be real — more packets in flight than exist, or a decrement
	 * below zero that wrapped. NULL or a callback told about each such FCB (release_opaque).
	 */
	uint32_t usage_max;
	void (*on_usage_bad)(void *opaque, const struct fm_fcb *fcb);
	/* FCB object size of the pool; 0: the tree's. A live chain (flowmgr `live_changes`) fixes
	 * it at start so that every generation's tables have the same slot stride: a tree whose
	 * FCB is larger is refused (-ENOSPC). */
	size_t fcb_size;
};

struct fm_flow;

/** Bytes of FCB region this conf needs (builds a throw-away tree to learn the FCB size). */
int fm_flow_region_size(const struct fm_flow_conf *conf, size_t *bytes, char *err, size_t errlen);

/**
 * Build the tree and the pool. @return 0, -EINVAL (bad conf, chain errors in err), -E2BIG,
 * -ENOMEM.
 */
int fm_flow_create(const struct fm_flow_conf *conf, struct fm_flow **out, char *err, size_t errlen);
/** Free everything (no release events: call fm_flow_flush() first to run them). */
void fm_flow_destroy(struct fm_flow *f);

/* ---- datapath ------------------------------------------------------------------------------ */

/**
 * Software 5-tuple hash of field values (fm_pkt_fields()), for ports that give no RSS hash: the
 * keyed hash (fm_hash.h) under the seed `s` (flowmgr's per-start seed, conf.tree.hash_seed), so
 * that nobody can aim flows at one cache entry without it. IPv4 hashes two words, IPv6 six.
 */
static inline uint32_t fm_flow_hash(const struct fm_hash_seed *s, const uint64_t *vals)
{
	uint64_t w[6] = {vals[FM_F_IP_PROTO] << 32 | vals[FM_F_SPORT] << 16 | vals[FM_F_DPORT],
			 vals[FM_F_IP4_SRC] << 32 | vals[FM_F_IP4_DST],
			 vals[FM_F_IP6_SRC_HI],
			 vals[FM_F_IP6_SRC_LO],
			 vals[FM_F_IP6_DST_HI],
			 vals[FM_F_IP6_DST_LO]};

	return fm_hash_words(s, w, (w[2] | w[3] | w[4] | w[5]) ? 6 : 2);
}

/**
 * The cache hash of a packet that came with the NIC's RSS hash (RTE_MBUF_F_RX_RSS_HASH). flowmgr
 * programs the symmetric key (fm_port.h), so both directions of a connection carry the same RSS
 * hash and would evict each other from one direct-mapped entry: the direction (which end of the
 * tuple is the larger) flips the hash for one of them. Public inputs only: with or without it an
 * attacker can aim flows at one entry (a tree descent each, see Cache above), never at a chain.
 */
static inline uint32_t fm_flow_rss_hash(uint32_t rss, const uint64_t *vals)
{
	uint64_t a = vals[FM_F_IP4_SRC] << 16 ^ vals[FM_F_SPORT] ^ vals[FM_F_IP6_SRC_HI] ^
		     vals[FM_F_IP6_SRC_LO];
	uint64_t b = vals[FM_F_IP4_DST] << 16 ^ vals[FM_F_DPORT] ^ vals[FM_F_IP6_DST_HI] ^
		     vals[FM_F_IP6_DST_LO];

	return a > b ? rss ^ 0x9e3779b9u : rss;
}

/**
 * Classify one packet (field values from fm_pkt_fields(), hash from the NIC or fm_flow_hash()).
 * @return the FCB with usage incremented (the caller owes one fm_flow_put()), or NULL when no
 * session could be created (counted by reason). Static FCBs (paths without a session) are
 * returned without usage counting.
 */
struct fm_fcb *fm_flow_lookup(struct fm_flow *f, const uint64_t *vals, uint32_t hash);
/**
 * Burst of n (<= 64) packets: one clock read, cache entries prefetched in a first pass.
 * out[i] is NULL for a refused packet. @return the number of non-NULL FCBs.
 */
unsigned fm_flow_lookup_burst(struct fm_flow *f, const uint64_t (*vals)[FM_F_COUNT],
			      const uint32_t *hash, unsigned n, struct fm_fcb **out);

/**
 * Same, where the NIC already classified some packets' static levels (an rte_flow MARK,
 * flowmgr/offload): group[i] is the session group of packet i (fm_tree_lookup_group()), or
 * FM_FLOW_NO_GROUP to descend from the root. group == NULL: all from the root. The caller
 * vouches that group[i] is the group the tree gives packet i (a cache hit is still verified
 * from the FCB to the root).
 */
#define FM_FLOW_NO_GROUP UINT32_MAX
unsigned fm_flow_lookup_burst_group(struct fm_flow *f, const uint64_t (*vals)[FM_F_COUNT],
				    const uint32_t *hash, const uint32_t *group, unsigned n,
				    struct fm_fcb **out);

/**
 * Per-session counters (nfctl top): one packet of `bytes` bytes was classified to `fcb`. Plain
 * adds by the owning lcore (the one that looked it up), read by its own iterator between bursts;
 * the line is the one usage and last_use were just written on. A new session starts at 0.
 */
static inline void fm_flow_count(struct fm_fcb *fcb, uint32_t bytes)
{
	fcb->pkts++;
	fcb->bytes += bytes;
}

/* fm_flow_seen_burst(): tcp[i] for a packet that is not TCP (its session never becomes embryonic)
 */
#define FM_FLOW_NOT_TCP 0x100
/**
 * The TCP flags byte of each packet just classified (fcbs[i] from the lookup, NULL skipped; tcp[i]
 * = the flags, or FM_FLOW_NOT_TCP), in packet order, before any fm_flow_put() of them: marks the
 * session embryonic or established (Embryonic above). A slot-header flag test per packet, no
 * atomics. No effect when conf.syn_timeout_ms is 0.
 */
/**
 * A live session of this table for these field values, without touching it (no usage, no
 * counter, no creation): NULL when none, when the descent ends on a stateless path's static FCB,
 * or when the session is expired. Live chains: a worker looks up its previous generation's table
 * with it first (docs/architecture.md, Chain generations).
 */
struct fm_fcb *fm_flow_find(struct fm_flow *f, const uint64_t *vals);
/** Slots in use or draining: 0 once every session was released and acknowledged. */
uint32_t fm_flow_in_use(const struct fm_flow *f);

void fm_flow_seen_burst(struct fm_flow *f, struct fm_fcb *const *fcbs, const uint16_t *tcp,
			unsigned n);
/** Is the session embryonic (Embryonic above)? */
bool fm_flow_embryonic(const struct fm_flow *f, const struct fm_fcb *fcb);

/** The packet classified to fcb left the platform: usage--, onto the pending list at 0. */
void fm_flow_put(struct fm_flow *f, struct fm_fcb *fcb);
void fm_flow_put_burst(struct fm_flow *f, struct fm_fcb *const *fcbs, unsigned n);

/* An FCB's usage from other processes: fm_fcb_usage_dec(), fm_fcb_usage_read() (fm_fcb.h). */

/**
 * Bounded upkeep, once per poll: pending sweep (when `idle` or above the threshold), then one
 * full-sweep step when one is due. @return the number of FCBs released.
 */
unsigned fm_flow_upkeep(struct fm_flow *f, bool idle);

/** A VNF finished the release of slot `index` (deferred event). @return 0, -EINVAL. */
int fm_flow_release_ack(struct fm_flow *f, uint32_t index);

/** Release every idle session (usage 0) now, with events. @return the number released. */
unsigned fm_flow_flush(struct fm_flow *f);

/* ---- accessors ------------------------------------------------------------------------------ */

struct fm_tree *fm_flow_tree(struct fm_flow *f);
struct fm_fcb_pool *fm_flow_pool(struct fm_flow *f);
/** Global slot index of a session FCB (FM_POOL_NONE == FM_IDX_NONE for a static FCB). */
uint32_t fm_flow_index(const struct fm_flow *f, const struct fm_fcb *fcb);
/** Session FCB of a global slot index if it is live (IN_USE), else NULL. */
struct fm_fcb *fm_flow_fcb(const struct fm_flow *f, uint32_t index);
/** The timeout (ms) of an embryonic session of a path: min(syn_timeout_ms, path timeout). */
uint32_t fm_flow_syn_timeout(const struct fm_flow *f, uint32_t path_id);
/** The timeout (ms) new FCBs of a path get: max over the VNFs of the path. */
uint32_t fm_flow_path_timeout(const struct fm_flow *f, uint32_t path_id);
/** Turn the cache on/off at run time (entries are kept but unused when off). */
void fm_flow_cache_enable(struct fm_flow *f, bool on);

struct fm_flow_stats {
	uint64_t cnt[FM_FLOW_CNT_COUNT];
	uint64_t sessions;	    /* live session FCBs in the tree */
	uint32_t pool_in_use;	    /* slots IN_USE + DRAINING */
	uint32_t pool_draining;	    /* slots waiting for release acks */
	uint32_t pool_capacity;	    /* max_sessions */
	uint32_t pending;	    /* FCBs on pending lists */
	uint32_t pending_threshold; /* current threshold */
	size_t region_bytes;	    /* FCB region (bounded) */
	size_t cache_bytes;
	uint32_t cache_entries; /* buckets x FM_CACHE_WAYS (fm_flow.h "Cache") */
};
void fm_flow_get_stats(const struct fm_flow *f, struct fm_flow_stats *st);

/* ---- introspection (nfctl flows) ----------------------------------------------------------- */

struct fm_flow_info {
	uint32_t index;	     /* global slot index */
	uint32_t generation; /* the slot's incarnation: (index, generation) names one session */
	uint32_t path_id;
	uint32_t usage;
	uint32_t timeout_ms;
	uint64_t age_ms;  /* since creation */
	uint64_t idle_ms; /* since last use */
	uint64_t pkts;	  /* classified to it so far (fm_flow_count()) */
	uint64_t bytes;
	bool pending; /* on a pending-timeout list */
	uint8_t nb_hops;
	int8_t hops[FM_PATH_MAX];
	uint32_t key_fields;	   /* bit i: vals[i] is a session key field */
	uint64_t vals[FM_F_COUNT]; /* key fields, and ethertype from the family; others 0 */
	const struct fm_fcb *fcb;
};

/**
 * Iterate live sessions: start with *cursor = 0; each call fills `out` and returns 1, or returns
 * 0 at the end. At most `max_steps` slots are visited per call (0 = unbounded) so the owning
 * lcore can serve a request in bounded steps; a call that visited max_steps slots without a
 * session returns -EAGAIN (call again with the same cursor).
 */
int fm_flow_iter(const struct fm_flow *f, uint32_t *cursor, uint32_t max_steps,
		 struct fm_flow_info *out);
/** Is VNF `vnf` on the session's path? */
bool fm_flow_info_has_vnf(const struct fm_flow_info *i, int vnf);
/** Does the filter match the session (evaluated on its key fields; others read as 0)? */
bool fm_flow_info_match(const struct fm_flow_info *i, const struct fm_filter *flt);
/** One line: "idx path usage age idle timeout pkts bytes key". @return snprintf's result. */
int fm_flow_info_format(const struct fm_flow *f, const struct fm_flow_info *i, char *buf,
			size_t len);
/** The session in short: "[vnf -> vnf] field=value ...". @return snprintf's result. */
int fm_flow_info_format_key(const struct fm_flow *f, const struct fm_flow_info *i, char *buf,
			    size_t len);

#endif /* FM_FLOW_H */
