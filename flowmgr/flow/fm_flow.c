/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_flow.c — per-lcore flow table: lifecycle, timeouts, cache, exhaustion (fm_flow.h). */
#include "fm_flow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "fm_flow_int.h"

const char *const fm_flow_cnt_names[FM_FLOW_CNT_COUNT] = {
#define FM_FLOW_CNT_NAME(n) #n,
    FM_FLOW_COUNTERS(FM_FLOW_CNT_NAME)
#undef FM_FLOW_CNT_NAME
};

/* ---- tree allocator hooks: the pool, plus "which FCB did this lookup create" --------------- */

static void *flow_alloc(void *opaque, size_t size)
{
	struct fm_flow *f = opaque;
	if (!f->pool || size > fm_fcb_pool_obj_size(f->pool))
		return NULL;
	void *o = fm_fcb_pool_get(f->pool);
	f->fresh = o;
	return o;
}

static void flow_free(void *opaque, void *ptr, size_t size)
{
	struct fm_flow *f = opaque;
	(void)size;
	/* a release whose events are acknowledged later keeps the slot out of the free list */
	if (fm_fcb_pool_slot_of(ptr)->aux)
		fm_fcb_pool_drain(f->pool, ptr);
	else
		fm_fcb_pool_put(f->pool, ptr);
}

/* ---- creation ------------------------------------------------------------------------------ */

static int conf_check(const struct fm_flow_conf *c, char *err, size_t errlen)
{
	if (!c->chain || !c->max_sessions) {
		snprintf(err, errlen, "flow conf: chain and max_sessions are required");
		return -EINVAL;
	}
	if (c->cache_size & (c->cache_size - 1)) {
		snprintf(err, errlen, "flow conf: cache_size %u is not a power of 2",
			 c->cache_size);
		return -EINVAL;
	}
	if (c->max_sessions >= FM_POOL_NONE) {
		snprintf(err, errlen, "flow conf: max_sessions too large");
		return -EINVAL;
	}
	return 0;
}

int fm_flow_region_size(const struct fm_flow_conf *conf, size_t *bytes, char *err, size_t errlen)
{
	int rc = conf_check(conf, err, errlen);
	if (rc)
		return rc;
	struct fm_tree_opts o = conf->tree;
	o.fcb_alloc = NULL;
	struct fm_tree *t;
	rc = fm_tree_build(conf->chain, &o, &t, err, errlen);
	if (rc)
		return rc;
	*bytes = fm_fcb_pool_region_size(fm_tree_fcb_size(t), conf->max_sessions);
	fm_tree_destroy(t);
	return 0;
}

/*
 * Largest declared timeout among the stateful VNFs (those with a session) of each path (the tree
 * keeps the minimum). A stateless VNF keeps nothing per session, so its timeout does not hold the
 * session's state alive.
 */
static int path_timeouts(struct fm_flow *f, const struct fm_chain *ch, uint32_t dflt)
{
	int n = fm_tree_nb_paths(f->tree);
	f->nb_paths = n > 0 ? (uint32_t)n : 0;
	f->path_timeout = calloc(f->nb_paths + 1, sizeof(*f->path_timeout));
	f->syn_timeout = calloc(f->nb_paths + 1, sizeof(*f->syn_timeout));
	f->plists = calloc(2 * (size_t)f->nb_paths + 1, sizeof(*f->plists));
	if (!f->path_timeout || !f->syn_timeout || !f->plists)
		return -ENOMEM;
	for (uint32_t l = 0; l < 2 * f->nb_paths + 1; l++)
		f->plists[l].head = f->plists[l].tail = FM_POOL_NONE;
	for (uint32_t p = 0; p < f->nb_paths; p++) {
		struct fm_path_info pi;
		uint32_t to = 0;
		if (fm_tree_path_info(f->tree, (int)p, &pi) == 0)
			for (int i = 0; i < pi.nb_hops; i++)
				if (pi.hops[i] >= 0 && pi.hops[i] < ch->nb_vnfs &&
				    ch->vnfs[pi.hops[i]].session[0] != '\0' &&
				    ch->vnfs[pi.hops[i]].timeout_ms > to)
					to = ch->vnfs[pi.hops[i]].timeout_ms;
		f->path_timeout[p] = to ? to : dflt;
		/* never longer than the path's own timeout (rule off: the path's timeout) */
		f->syn_timeout[p] = f->syn_timeout_ms && f->syn_timeout_ms < f->path_timeout[p]
					? f->syn_timeout_ms
					: f->path_timeout[p];
	}
	return 0;
}

static void conf_defaults(struct fm_flow *f, const struct fm_flow_conf *c)
{
	f->exhaust = c->exhaust;
	f->evict_min_idle_ms = c->evict_min_idle_ms;
	f->syn_timeout_ms = c->syn_timeout_ms;
	f->syn_headroom = c->max_sessions / 64 > 4 ? c->max_sessions / 64 : 4;
	f->threshold_min = c->pending_threshold ? c->pending_threshold : 1024;
	f->threshold_max = c->pending_threshold_max ? c->pending_threshold_max : 1u << 20;
	if (f->threshold_max < f->threshold_min)
		f->threshold_max = f->threshold_min;
	f->threshold = f->threshold_min;
	f->sweep_budget = c->sweep_budget ? c->sweep_budget : 64;
	f->full_sweep_ms = c->full_sweep_ms ? c->full_sweep_ms : 15000;
	f->full_sweep_step = c->full_sweep_step ? c->full_sweep_step : 256;
	f->on_release = c->on_release;
	f->release_opaque = c->release_opaque;
	f->usage_max = c->usage_max ? c->usage_max : UINT32_MAX / 2;
	f->on_usage_bad = c->on_usage_bad;
	if (c->clock) {
		f->clock = c->clock;
	} else {
		f->own_clock.now_ms = fm_clock_monotonic;
		f->clock = &f->own_clock;
	}
}

static int make_region(struct fm_flow *f, const struct fm_flow_conf *c, char *err, size_t errlen)
{
	size_t osz = fm_tree_fcb_size(f->tree);
	if (c->fcb_size) {
		if (osz > c->fcb_size) {
			snprintf(err, errlen, "flow: FCB of %zu bytes, the slots hold %zu", osz,
				 c->fcb_size);
			return -ENOSPC;
		}
		osz = c->fcb_size;
	}
	size_t need = fm_fcb_pool_region_size(osz, c->max_sessions);
	void *region = c->region;
	if (!region) {
		f->region_owned = aligned_alloc(64, need);
		if (!f->region_owned)
			return -ENOMEM;
		region = f->region_owned;
	} else if (c->region_len < need) {
		snprintf(err, errlen, "flow: region of %zu bytes, %zu needed", c->region_len, need);
		return -EINVAL;
	}
	int rc = fm_fcb_pool_create(region, need, osz, c->max_sessions, c->base_index, &f->pool);
	if (rc) {
		snprintf(err, errlen, "flow: FCB pool: %s", strerror(-rc));
		return rc;
	}
	f->region = region;
	f->stride = fm_fcb_pool_slot_stride(f->pool);
	f->region_bytes = need;
	return 0;
}

int fm_flow_create(const struct fm_flow_conf *c, struct fm_flow **out, char *err, size_t errlen)
{
	*out = NULL;
	int rc = conf_check(c, err, errlen);
	if (rc)
		return rc;
	struct fm_flow *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	conf_defaults(f, c);
	f->alloc = (struct fm_alloc){flow_alloc, flow_free, f};
	struct fm_tree_opts o = c->tree;
	o.fcb_alloc = &f->alloc;
	rc = fm_tree_build(c->chain, &o, &f->tree, err, errlen);
	if (rc)
		goto free_flow;
	rc = make_region(f, c, err, errlen);
	if (rc)
		goto destroy;
	rc = path_timeouts(f, c->chain, c->default_timeout_ms);
	if (rc)
		goto destroy;
	if (c->cache_size) {
		uint32_t nb = c->cache_size > FM_CACHE_WAYS ? c->cache_size / FM_CACHE_WAYS : 1;
		f->cache = aligned_alloc(64, (size_t)nb * sizeof(*f->cache));
		if (!f->cache) {
			rc = -ENOMEM;
			goto destroy;
		}
		memset(f->cache, 0, (size_t)nb * sizeof(*f->cache));
		for (uint32_t i = 0; i < nb; i++)
			for (int w = 0; w < FM_CACHE_WAYS; w++)
				f->cache[i].slot[w] = FM_POOL_NONE;
		f->cache_mask = nb - 1;
		f->cache_on = true;
	}
	f->now = fm_clock_now(f->clock);
	f->next_full = f->now + f->full_sweep_ms;
	*out = f;
	return 0;
destroy:
	fm_flow_destroy(f);
	return rc;
free_flow:
	free(f);
	return rc;
}

void fm_flow_destroy(struct fm_flow *f)
{
	if (!f)
		return;
	fm_tree_destroy(f->tree); /* session FCBs go back to the pool through flow_free */
	fm_fcb_pool_destroy(f->pool);
	free(f->region_owned);
	free(f->path_timeout);
	free(f->syn_timeout);
	free(f->plists);
	free(f->cache);
	free(f);
}

/* ---- pending-timeout lists (one per path: sorted by deadline) ------------------------------ */

/*
 * The lists live in the slot headers, in memory other processes can write (fm_flow.h "Garbage
 * counts"): a list id or a link is used only when in bounds (the list id is the slot's `list`,
 * bounded; a link must name a carved slot), so a written header can unhook entries from a list
 * (the full sweep still finds them) but never make the table write outside its region.
 */
static inline uint32_t plist_of(const struct fm_flow *f, const struct fm_pool_slot *s)
{
	return s->list <= 2 * f->nb_paths ? s->list : f->nb_paths; /* nb_paths: the spare list */
}

static inline bool link_ok(const struct fm_flow *f, uint32_t local)
{
	return local != FM_POOL_NONE && local < fm_fcb_pool_carved(f->pool);
}

static void pending_append(struct fm_flow *f, struct fm_fcb *fcb)
{
	struct fm_pool_slot *s = fm_fcb_pool_slot_of(fcb);
	uint32_t me = flow_local(f, fcb);
	/* an embryonic session has its own list per path: each list keeps one timeout, so it
	 * stays sorted by deadline (the flag changes only while usage > 0, off every list) */
	s->list = (uint16_t)(fcb->path_id >= f->nb_paths ? f->nb_paths
			     : (s->flags & FM_SF_EMBRYO) ? f->nb_paths + 1 + fcb->path_id
							 : fcb->path_id);
	struct fm_plist *l = &f->plists[plist_of(f, s)];
	s->prev = l->tail;
	s->next = FM_POOL_NONE;
	if (link_ok(f, l->tail))
		flow_slot(f, l->tail)->next = me;
	else
		l->head = me;
	l->tail = me;
	s->flags |= FM_SF_PENDING;
	f->pending++;
}

static void pending_unlink(struct fm_flow *f, struct fm_fcb *fcb)
{
	struct fm_pool_slot *s = fm_fcb_pool_slot_of(fcb);
	struct fm_plist *l = &f->plists[plist_of(f, s)];
	uint32_t prev = link_ok(f, s->prev) ? s->prev : FM_POOL_NONE;
	uint32_t next = link_ok(f, s->next) ? s->next : FM_POOL_NONE;
	if (prev != FM_POOL_NONE)
		flow_slot(f, prev)->next = next;
	else
		l->head = next;
	if (next != FM_POOL_NONE)
		flow_slot(f, next)->prev = prev;
	else
		l->tail = prev;
	s->prev = s->next = FM_POOL_NONE;
	s->flags &= (uint8_t)~FM_SF_PENDING;
	if (f->pending)
		f->pending--;
}

/* ---- cache (fm_flow.h "Cache") --------------------------------------------------------------- */

static inline struct fm_cache_bkt *cache_bkt(const struct fm_flow *f, uint32_t hash)
{
	return &f->cache[hash & f->cache_mask];
}

/* Never 0: an empty way has tag 0 (and slot FM_POOL_NONE). */
static inline uint16_t cache_tag(uint32_t hash)
{
	return (uint16_t)((hash >> 16) | 1u);
}

/* Bit w set: way w holds this tag (one SSE2 compare of the eight tags where available). */
static inline uint32_t cache_match(const struct fm_cache_bkt *b, uint16_t tag)
{
#if defined(__SSE2__)
	static_assert(FM_CACHE_WAYS == 8, "eight 16-bit tags in one SSE2 register");
	__m128i eq =
	    _mm_cmpeq_epi16(_mm_load_si128((const __m128i *)b->tag), _mm_set1_epi16((short)tag));
	return (uint32_t)_mm_movemask_epi8(_mm_packs_epi16(eq, _mm_setzero_si128()));
#else
	uint32_t m = 0;
	for (int w = 0; w < FM_CACHE_WAYS; w++)
		m |= (uint32_t)(b->tag[w] == tag) << w;
	return m;
#endif
}

static inline void cache_clear(struct fm_cache_bkt *b, int w)
{
	b->tag[w] = 0;
	b->slot[w] = FM_POOL_NONE;
}

/* Remember fcb under hash: an empty way, else the rotating victim. */
static void cache_insert(struct fm_flow *f, struct fm_cache_bkt *b, uint32_t hash,
			 struct fm_fcb *fcb)
{
	int w = 0;
	while (w < FM_CACHE_WAYS && b->slot[w] != FM_POOL_NONE)
		w++;
	if (w == FM_CACHE_WAYS) {
		w = (int)(f->cache_victim++ % FM_CACHE_WAYS);
		f->cnt[FM_FLOW_CNT_cache_evict]++;
	}
	struct fm_pool_slot *s = fm_fcb_pool_slot_of(fcb);
	b->tag[w] = cache_tag(hash);
	b->slot[w] = flow_local(f, fcb);
	b->gen[w] = (uint16_t)s->gen;
	s->chash = hash;
	s->flags |= FM_SF_CACHED;
}

/* A released slot leaves the bucket it was last put in (it may linger in another bucket if its
 * session was cached under two hashes: the generation check catches that one). */
static void cache_forget(struct fm_flow *f, struct fm_pool_slot *s, uint32_t local)
{
	if (!(s->flags & FM_SF_CACHED) || !f->cache)
		return;
	struct fm_cache_bkt *b = cache_bkt(f, s->chash);
	for (int w = 0; w < FM_CACHE_WAYS; w++)
		if (b->slot[w] == local)
			cache_clear(b, w);
	s->flags &= (uint8_t)~FM_SF_CACHED;
}

/* ---- release ------------------------------------------------------------------------------- */

/* Idle for its path's timeout (the table's own value: the FCB's copy is writable by others). */
static inline bool is_expired(const struct fm_flow *f, const struct fm_fcb *fcb, uint64_t now)
{
	uint32_t to = fcb->path_id >= f->nb_paths ? 0
		      : (fm_fcb_pool_slot_of((void *)fcb)->flags & FM_SF_EMBRYO)
			  ? f->syn_timeout[fcb->path_id]
			  : f->path_timeout[fcb->path_id];

	return now >= fcb->last_use && now - fcb->last_use >= to;
}

/* A usage count out of bounds (fm_flow.h "Garbage counts"): counted, reported, set to `to`. */
static void usage_reset(struct fm_flow *f, struct fm_fcb *fcb, uint32_t to, uint64_t now)
{
	f->cnt[FM_FLOW_CNT_usage_bad]++;
	if (f->on_usage_bad)
		f->on_usage_bad(f->release_opaque, fcb);
	fm_fcb_usage_own_set(fcb, to);
	fcb->last_use = now;
}

/* Release events (each VNF of the path once), then out of the tree, back to the pool. */
static void flow_release(struct fm_flow *f, struct fm_fcb *fcb, enum fm_flow_cnt why)
{
	struct fm_pool_slot *s = fm_fcb_pool_slot_of(fcb);
	bool embryo = s->flags & FM_SF_EMBRYO;
	if (s->flags & FM_SF_PENDING)
		pending_unlink(f, fcb);
	cache_forget(f, s, flow_local(f, fcb));
	uint32_t acks = 0;
	if (f->on_release) {
		uint32_t idx = fm_fcb_pool_index(f->pool, fcb);
		for (int i = 0; i < fcb->nb_hops; i++) {
			int v = fcb->hops[i];
			if (v < 0)
				continue;
			void *area = fm_fcb_vnf_area(f->tree, fcb, v);
			if (f->on_release(f->release_opaque, v, idx, fcb, area) > 0)
				acks++;
		}
	}
	s->aux = acks;
	f->cnt[FM_FLOW_CNT_release_deferred] += acks;
	int rc = fm_tree_release(f->tree, fcb);
	assert(rc == 0);
	(void)rc;
	if (embryo && (why == FM_FLOW_CNT_expired || why == FM_FLOW_CNT_swept ||
		       why == FM_FLOW_CNT_lazy_renew))
		f->cnt[FM_FLOW_CNT_syn_reclaimed]++;
	f->cnt[why]++;
	f->cnt[FM_FLOW_CNT_released]++;
}

int fm_flow_release_ack(struct fm_flow *f, uint32_t index)
{
	void *o = fm_fcb_pool_ptr(f->pool, index);
	if (!o)
		return -EINVAL;
	struct fm_pool_slot *s = fm_fcb_pool_slot_of(o);
	if (s->state != FM_SLOT_DRAINING || !s->aux)
		return -EINVAL;
	if (--s->aux == 0)
		fm_fcb_pool_put(f->pool, o);
	return 0;
}

/* ---- exhaustion ---------------------------------------------------------------------------- */

/*
 * The oldest idle session of lists [first, first + n): the oldest head among them (each sorted).
 * Established lists: idle at least evict_min_idle_ms; embryonic lists: any idle one. O(paths).
 */
static bool evict_one(struct fm_flow *f, uint64_t now, uint32_t first, uint32_t min_idle,
		      enum fm_flow_cnt why)
{
	struct fm_fcb *best = NULL;
	for (uint32_t p = first; p < first + f->nb_paths; p++) {
		if (!link_ok(f, f->plists[p].head))
			continue;
		struct fm_fcb *c = flow_obj(f, f->plists[p].head);
		if (fm_fcb_usage_read(c) || now < c->last_use || now - c->last_use < min_idle)
			continue;
		if (!best || c->last_use < best->last_use)
			best = c;
	}
	if (!best)
		return false;
	flow_release(f, best, why);
	return true;
}

/* Room for one more session? Idle embryonic sessions go first, whatever the policy; then
 * (policy evict) the oldest idle established ones. At most 4 tries, because an evicted slot
 * whose release events are deferred is not free yet. */
static bool make_room(struct fm_flow *f, uint64_t now)
{
	int i = 0;
	if (f->syn_timeout_ms)
		for (; i < 4 && fm_fcb_pool_is_full(f->pool); i++)
			if (!evict_one(f, now, f->nb_paths + 1, 0, FM_FLOW_CNT_syn_evicted))
				break;
	if (!fm_fcb_pool_is_full(f->pool))
		return true;
	if (f->exhaust != FM_FLOW_EXHAUST_EVICT) {
		f->cnt[FM_FLOW_CNT_exhausted_drop]++;
		return false;
	}
	for (; i < 4 && fm_fcb_pool_is_full(f->pool); i++)
		if (!evict_one(f, now, 0, f->evict_min_idle_ms, FM_FLOW_CNT_evicted))
			break;
	if (fm_fcb_pool_is_full(f->pool)) {
		f->cnt[FM_FLOW_CNT_evict_none]++;
		return false;
	}
	return true;
}

/* ---- lookup -------------------------------------------------------------------------------- */

static void session_init(struct fm_flow *f, struct fm_fcb *fcb, uint64_t now)
{
	struct fm_pool_slot *s = fm_fcb_pool_slot_of(fcb);
	fcb->timeout_ms = fcb->path_id < f->nb_paths ? f->path_timeout[fcb->path_id] : 0;
	fm_fcb_usage_own_set(fcb, 0);
	fcb->last_use = now;
	fcb->pkts = 0;
	fcb->bytes = 0;
	s->created = now;
	s->flags = (uint8_t)((s->flags & ~FM_SF_EMBRYO) | FM_SF_FRESH);
	f->cnt[FM_FLOW_CNT_new_session]++;
}

/* Tree descent; when the pool is full, a read-only descent first so that existing sessions are
 * still found and only a new session meets the exhaustion policy. */
static struct fm_fcb *tree_get(struct fm_flow *f, const uint64_t *vals, uint32_t group,
			       uint64_t now)
{
	if (group != FM_FLOW_NO_GROUP)
		f->cnt[FM_FLOW_CNT_group_start]++;
	if (fm_fcb_pool_is_full(f->pool)) {
		const struct fm_fcb *c = group == FM_FLOW_NO_GROUP
					     ? fm_tree_find(f->tree, vals)
					     : fm_tree_find_group(f->tree, group, vals);
		if (c)
			return (struct fm_fcb *)c;
		if (!make_room(f, now))
			return NULL;
	}
	f->fresh = NULL;
	struct fm_fcb *fcb = group == FM_FLOW_NO_GROUP ? fm_tree_lookup_fields(f->tree, vals)
						       : fm_tree_lookup_group(f->tree, group, vals);
	if (!fcb) {
		f->cnt[FM_FLOW_CNT_alloc_fail]++;
		return NULL;
	}
	if (fcb == f->fresh) {
		session_init(f, fcb, now);
		/* headroom: a slot evicted now whose release events are acknowledged later is free
		 * again before the pool is full, so a new connection during a flood rarely meets a
		 * pool of draining slots (the new FCB is on no list: not a candidate) */
		if (f->syn_timeout_ms &&
		    fm_fcb_pool_capacity(f->pool) - fm_fcb_pool_in_use(f->pool) < f->syn_headroom)
			evict_one(f, now, f->nb_paths + 1, 0, FM_FLOW_CNT_syn_evicted);
	}
	return fcb;
}

/* usage++ / last_use; lazy renewal of an expired FCB; revival of an idle one. */
static struct fm_fcb *acquire(struct fm_flow *f, struct fm_fcb *fcb, const uint64_t *vals,
			      uint32_t group, uint64_t now)
{
	if (!(fcb->flags & FM_FCB_DYNAMIC))
		return fcb;
	if (fm_fcb_usage_read(fcb) == 0) {
		if (is_expired(f, fcb, now)) {
			flow_release(f, fcb, FM_FLOW_CNT_lazy_renew);
			fcb = tree_get(f, vals, group, now);
			if (!fcb || !(fcb->flags & FM_FCB_DYNAMIC))
				return fcb;
		} else if (fm_fcb_pool_slot_of(fcb)->flags & FM_SF_PENDING) {
			pending_unlink(f, fcb);
			f->cnt[FM_FLOW_CNT_revived]++;
		}
	}
	if (fm_fcb_usage_own_add(fcb, 1) - 1 >= f->usage_max)
		usage_reset(f, fcb, 1, now);
	fcb->last_use = now;
	return fcb;
}

/*
 * Cache probe: the FCB of a way with this tag whose slot still holds the same incarnation and
 * that verifies against the packet. One counter per probe: hit, else verify_fail if a live entry
 * failed the verify, else stale if an entry's slot was released or reused (the way is emptied),
 * else miss.
 */
static struct fm_fcb *cache_probe(struct fm_flow *f, struct fm_cache_bkt *b, const uint64_t *vals,
				  uint32_t hash)
{
	enum fm_flow_cnt why = FM_FLOW_CNT_cache_miss;
	for (uint32_t m = cache_match(b, cache_tag(hash)); m; m &= m - 1) {
		int w = __builtin_ctz(m);
		uint32_t local = b->slot[w];
		struct fm_pool_slot *s = flow_slot(f, local);
		if (s->state != FM_SLOT_IN_USE || (uint16_t)s->gen != b->gen[w]) {
			cache_clear(b, w);
			if (why == FM_FLOW_CNT_cache_miss)
				why = FM_FLOW_CNT_cache_stale;
			continue;
		}
		struct fm_fcb *c = flow_obj(f, local);
		if (fm_tree_verify_fields(f->tree, c, vals)) {
			f->cnt[FM_FLOW_CNT_cache_hit]++;
			return c;
		}
		why = FM_FLOW_CNT_cache_verify_fail;
	}
	f->cnt[why]++;
	return NULL;
}

static struct fm_fcb *lookup_one(struct fm_flow *f, const uint64_t *vals, uint32_t hash,
				 uint32_t group, uint64_t now)
{
	struct fm_cache_bkt *b = NULL;
	struct fm_fcb *fcb = NULL;
	f->cnt[FM_FLOW_CNT_lookup]++;
	if (f->cache_on) {
		b = cache_bkt(f, hash);
		fcb = cache_probe(f, b, vals, hash);
	}
	struct fm_fcb *hit = fcb; /* the cache entry is already right for a hit */
	if (!fcb) {
		fcb = tree_get(f, vals, group, now);
		if (!fcb)
			return NULL;
	}
	fcb = acquire(f, fcb, vals, group, now);
	if (b && fcb && fcb != hit && (fcb->flags & FM_FCB_DYNAMIC))
		cache_insert(f, b, hash, fcb);
	return fcb;
}

struct fm_fcb *fm_flow_lookup(struct fm_flow *f, const uint64_t *vals, uint32_t hash)
{
	f->now = fm_clock_now(f->clock);
	return lookup_one(f, vals, hash, FM_FLOW_NO_GROUP, f->now);
}

/* The list neighbours of a slot on a pending list (a lookup's revival unlinks it: writes both). */
static inline void pending_prefetch(const struct fm_flow *f, const struct fm_pool_slot *s)
{
	if (!(s->flags & FM_SF_PENDING))
		return;
	if (link_ok(f, s->prev))
		__builtin_prefetch(flow_slot(f, s->prev), 1);
	if (link_ok(f, s->next))
		__builtin_prefetch(flow_slot(f, s->next), 1);
}

/* Sessions from which the tree's entries and FCBs (some 400 bytes a session) outgrow a core's L2
 * cache: below, a tree descent finds them in cache and prefetching them is work for nothing. */
#define FM_FLOW_PREFETCH_MIN 8192u

/* Up to 64 packets: prefetch in passes, then look them up in order. */
static unsigned lookup_chunk(struct fm_flow *f, const uint64_t (*vals)[FM_F_COUNT],
			     const uint32_t *hash, const uint32_t *group, unsigned n,
			     struct fm_fcb **out, uint64_t now)
{
	unsigned ok = 0;
	uint64_t tree = 0; /* bit i: packet i will descend the tree (no way with its tag) */
	if (!f->cache_on) {
		tree = n == 64 ? ~0ull : (1ull << n) - 1;
	} else {
		/* pass 1: the buckets; pass 2: the slots their matching ways name (slot header and
		 * FCB head, usage and last_use, key words: the lines a verified hit reads) */
		for (unsigned i = 0; i < n; i++)
			__builtin_prefetch(cache_bkt(f, hash[i]));
		for (unsigned i = 0; i < n; i++) {
			const struct fm_cache_bkt *b = cache_bkt(f, hash[i]);
			uint32_t m = cache_match(b, cache_tag(hash[i]));
			if (!m)
				tree |= 1ull << i;
			for (; m; m &= m - 1) {
				const uint8_t *p =
				    (const uint8_t *)flow_slot(f, b->slot[__builtin_ctz(m)]);
				__builtin_prefetch(p);
				__builtin_prefetch(p + 64);
				__builtin_prefetch(p + 128);
			}
		}
	}
	/* the tree's session entries, then the FCBs they name, for the packets that will miss;
	 * only where the table is large enough for them to be out of the CPU caches */
	if (fm_fcb_pool_in_use(f->pool) < FM_FLOW_PREFETCH_MIN)
		tree = 0;
	struct fm_tree_hint hint[64];
	for (int stage = 0; stage < 2 && tree; stage++)
		for (uint64_t m = tree; m; m &= m - 1) {
			int i = __builtin_ctzll(m);
			fm_tree_prefetch(f->tree, vals[i], &hint[i], stage);
		}
	/* last pass: an idle session's list neighbours, which its revival unlinks */
	if (fm_fcb_pool_in_use(f->pool) >= FM_FLOW_PREFETCH_MIN) {
		for (uint64_t m = tree; m; m &= m - 1) {
			const struct fm_fcb *c = hint[__builtin_ctzll(m)].fcb;
			if (c && (c->flags & FM_FCB_DYNAMIC))
				pending_prefetch(f, fm_fcb_pool_slot_of((void *)c));
		}
		if (f->cache_on)
			for (unsigned i = 0; i < n; i++) {
				const struct fm_cache_bkt *b = cache_bkt(f, hash[i]);
				for (uint32_t w = cache_match(b, cache_tag(hash[i])); w; w &= w - 1)
					pending_prefetch(f,
							 flow_slot(f, b->slot[__builtin_ctz(w)]));
			}
	}
	for (unsigned i = 0; i < n; i++) {
		out[i] = lookup_one(f, vals[i], hash[i], group ? group[i] : FM_FLOW_NO_GROUP, now);
		ok += out[i] != NULL;
	}
	return ok;
}

unsigned fm_flow_lookup_burst(struct fm_flow *f, const uint64_t (*vals)[FM_F_COUNT],
			      const uint32_t *hash, unsigned n, struct fm_fcb **out)
{
	return fm_flow_lookup_burst_group(f, vals, hash, NULL, n, out);
}

unsigned fm_flow_lookup_burst_group(struct fm_flow *f, const uint64_t (*vals)[FM_F_COUNT],
				    const uint32_t *hash, const uint32_t *group, unsigned n,
				    struct fm_fcb **out)
{
	uint64_t now = f->now = fm_clock_now(f->clock);
	unsigned ok = 0;
	for (unsigned i = 0; i < n; i += 64)
		ok += lookup_chunk(f, vals + i, hash + i, group ? group + i : NULL,
				   n - i < 64 ? n - i : 64, out + i, now);
	return ok;
}

/* ---- put ------------------------------------------------------------------------------------ */

static inline void put_one(struct fm_flow *f, struct fm_fcb *fcb, uint64_t now)
{
	uint32_t left;

	if (!(fcb->flags & FM_FCB_DYNAMIC))
		return;
	left = fm_fcb_usage_own_add(fcb, -1);
	if (left > f->usage_max) /* below zero, or garbage */
		usage_reset(f, fcb, 0, now);
	else if (left != 0)
		return;
	fcb->last_use = now;
	if (!(fm_fcb_pool_slot_of(fcb)->flags & FM_SF_PENDING))
		pending_append(f, fcb);
}

/* ---- embryonic sessions (fm_flow.h "Embryonic") -------------------------------------------- */

#define FM_TCP_SYN 0x02
#define FM_TCP_RST 0x04

void fm_flow_seen_burst(struct fm_flow *f, struct fm_fcb *const *fcbs, const uint16_t *tcp,
			unsigned n)
{
	if (!f->syn_timeout_ms)
		return;
	for (unsigned i = 0; i < n; i++) {
		if (!fcbs[i] || !(fcbs[i]->flags & FM_FCB_DYNAMIC))
			continue;
		struct fm_pool_slot *s = fm_fcb_pool_slot_of(fcbs[i]);
		if (!(s->flags & (FM_SF_FRESH | FM_SF_EMBRYO)))
			continue; /* established, or not begun by a SYN: the common case */
		bool syn = tcp[i] < FM_FLOW_NOT_TCP && (tcp[i] & (FM_TCP_SYN | FM_TCP_RST));
		if (s->flags & FM_SF_FRESH) {
			s->flags &= (uint8_t)~FM_SF_FRESH;
			if (syn) {
				s->flags |= FM_SF_EMBRYO;
				f->cnt[FM_FLOW_CNT_embryonic]++;
			}
		} else if (!syn) {
			s->flags &= (uint8_t)~FM_SF_EMBRYO;
			f->cnt[FM_FLOW_CNT_syn_established]++;
		}
	}
}

bool fm_flow_embryonic(const struct fm_flow *f, const struct fm_fcb *fcb)
{
	(void)f;
	return (fcb->flags & FM_FCB_DYNAMIC) &&
	       (fm_fcb_pool_slot_of((void *)fcb)->flags & FM_SF_EMBRYO);
}

void fm_flow_put(struct fm_flow *f, struct fm_fcb *fcb)
{
	f->now = fm_clock_now(f->clock);
	put_one(f, fcb, f->now);
}

void fm_flow_put_burst(struct fm_flow *f, struct fm_fcb *const *fcbs, unsigned n)
{
	uint64_t now = f->now = fm_clock_now(f->clock);
	for (unsigned i = 0; i < n; i++)
		if (fcbs[i])
			put_one(f, fcbs[i], now);
}

/* ---- upkeep --------------------------------------------------------------------------------- */

/*
 * The sweep walks a list whose entries are scattered over the region: while `c` is released, the
 * next entry's tree entry is fetched (its slot was fetched one step earlier) and the slot after
 * it, so that each step finds its lines in cache.
 */
static inline void sweep_prefetch(const struct fm_flow *f, const struct fm_fcb *c)
{
	uint32_t n1 = fm_fcb_pool_slot_of((void *)c)->next;
	if (!link_ok(f, n1))
		return;
	const struct fm_pool_slot *s1 = flow_slot(f, n1);
	fm_tree_prefetch_release(f->tree, flow_obj(f, n1));
	if (link_ok(f, s1->next)) {
		const uint8_t *q = (const uint8_t *)flow_slot(f, s1->next);
		__builtin_prefetch(q);
		__builtin_prefetch(q + 64);
		__builtin_prefetch(q + 128);
	}
}

/* Release expired list heads, round-robin over the paths: at most `budget` releases, and at
 * most budget + nb_paths heads looked at. */
static unsigned sweep_pending(struct fm_flow *f, uint64_t now, unsigned budget)
{
	unsigned done = 0, looked = 0;
	uint32_t nl = f->syn_timeout_ms ? 2 * f->nb_paths + 1 : f->nb_paths;
	for (uint32_t k = 0; k < nl && done < budget; k++) {
		uint32_t p = (f->sweep_path + k) % nl;
		if (p == f->nb_paths) /* the spare list (the full sweep takes its entries) */
			continue;
		struct fm_plist *l = &f->plists[p];
		/* looked: a list whose links another process rewrote into a cycle still ends */
		while (link_ok(f, l->head) && done < budget && looked++ < 4 * budget + nl) {
			struct fm_fcb *c = flow_obj(f, l->head);
			sweep_prefetch(f, c);
			if (fm_fcb_usage_read(c)) { /* defensive: revived without lookup */
				pending_unlink(f, c);
				continue;
			}
			if (!is_expired(f, c, now))
				break;
			flow_release(f, c, FM_FLOW_CNT_expired);
			done++;
		}
		if (done >= budget)
			f->sweep_path = p; /* resume on this path next time */
	}
	f->cnt[FM_FLOW_CNT_sweep_runs]++;
	return done;
}

/* One bounded step of the full sweep: full_sweep_step slots. */
static unsigned full_sweep_step(struct fm_flow *f, uint64_t now)
{
	uint32_t carved = fm_fcb_pool_carved(f->pool);
	uint32_t end = f->full_cursor + f->full_sweep_step;
	unsigned done = 0;
	if (end > carved)
		end = carved;
	for (uint32_t i = f->full_cursor; i < end; i++) {
		if (flow_slot(f, i)->state != FM_SLOT_IN_USE)
			continue;
		struct fm_fcb *c = flow_obj(f, i);
		uint32_t u = fm_fcb_usage_read(c);
		if (u > f->usage_max) {
			usage_reset(f, c, 0, now);
			u = 0;
		}
		if (u)
			continue;
		if (is_expired(f, c, now)) {
			flow_release(f, c, FM_FLOW_CNT_swept);
			done++;
		} else if (!(flow_slot(f, i)->flags & FM_SF_PENDING)) {
			pending_append(f, c); /* usage reached 0 in another process */
		}
	}
	f->full_cursor = end;
	if (end >= carved) {
		f->full_active = false;
		f->next_full = now + f->full_sweep_ms;
		f->cnt[FM_FLOW_CNT_full_sweeps]++;
	}
	return done;
}

unsigned fm_flow_upkeep(struct fm_flow *f, bool idle)
{
	uint64_t now = f->now = fm_clock_now(f->clock);
	unsigned done = 0;
	if (idle || f->pending > f->threshold) {
		bool over = f->pending > f->threshold;
		done += sweep_pending(f, now, f->sweep_budget);
		if (over && f->pending > f->threshold && f->threshold < f->threshold_max)
			f->threshold = f->threshold * 2 < f->threshold_max ? f->threshold * 2
									   : f->threshold_max;
		else if (f->pending < f->threshold / 4 && f->threshold > f->threshold_min)
			f->threshold = f->threshold / 2 > f->threshold_min ? f->threshold / 2
									   : f->threshold_min;
	}
	if (!f->full_active && now >= f->next_full) {
		f->full_active = true;
		f->full_cursor = 0;
	}
	if (f->full_active)
		done += full_sweep_step(f, now);
	return done;
}

unsigned fm_flow_flush(struct fm_flow *f)
{
	uint32_t carved = fm_fcb_pool_carved(f->pool);
	unsigned done = 0;
	for (uint32_t i = 0; i < carved; i++) {
		if (flow_slot(f, i)->state != FM_SLOT_IN_USE)
			continue;
		struct fm_fcb *c = flow_obj(f, i);
		if (fm_fcb_usage_read(c))
			continue;
		flow_release(f, c, FM_FLOW_CNT_flushed);
		done++;
	}
	return done;
}

/* ---- accessors ----------------------------------------------------------------------------- */

struct fm_fcb *fm_flow_find(struct fm_flow *f, const uint64_t *vals)
{
	struct fm_fcb *fcb = (struct fm_fcb *)fm_tree_find(f->tree, vals);

	if (!fcb || !(fcb->flags & FM_FCB_DYNAMIC) ||
	    fm_fcb_pool_slot_of(fcb)->state != FM_SLOT_IN_USE)
		return NULL;
	if (fm_fcb_usage_read(fcb) == 0 && is_expired(f, fcb, fm_clock_now(f->clock)))
		return NULL;
	return fcb;
}

uint32_t fm_flow_in_use(const struct fm_flow *f)
{
	return fm_fcb_pool_in_use(f->pool);
}

struct fm_tree *fm_flow_tree(struct fm_flow *f)
{
	return f->tree;
}

struct fm_fcb_pool *fm_flow_pool(struct fm_flow *f)
{
	return f->pool;
}

uint32_t fm_flow_index(const struct fm_flow *f, const struct fm_fcb *fcb)
{
	if (!(fcb->flags & FM_FCB_DYNAMIC))
		return FM_POOL_NONE;
	return fm_fcb_pool_index(f->pool, fcb);
}

struct fm_fcb *fm_flow_fcb(const struct fm_flow *f, uint32_t index)
{
	void *o = fm_fcb_pool_ptr(f->pool, index);
	if (!o || fm_fcb_pool_slot_of(o)->state != FM_SLOT_IN_USE)
		return NULL;
	return o;
}

uint32_t fm_flow_syn_timeout(const struct fm_flow *f, uint32_t path_id)
{
	return path_id < f->nb_paths ? f->syn_timeout[path_id] : 0;
}

uint32_t fm_flow_path_timeout(const struct fm_flow *f, uint32_t path_id)
{
	return path_id < f->nb_paths ? f->path_timeout[path_id] : 0;
}

void fm_flow_cache_enable(struct fm_flow *f, bool on)
{
	f->cache_on = on && f->cache;
}

void fm_flow_get_stats(const struct fm_flow *f, struct fm_flow_stats *st)
{
	struct fm_tree_stats ts;
	memset(st, 0, sizeof(*st));
	memcpy(st->cnt, f->cnt, sizeof(st->cnt));
	fm_tree_get_stats(f->tree, &ts);
	st->sessions = ts.sessions;
	st->pool_in_use = fm_fcb_pool_in_use(f->pool);
	st->pool_draining = fm_fcb_pool_draining(f->pool);
	st->pool_capacity = fm_fcb_pool_capacity(f->pool);
	st->pending = f->pending;
	st->pending_threshold = f->threshold;
	st->region_bytes = f->region_bytes;
	st->cache_bytes = f->cache ? (size_t)(f->cache_mask + 1) * sizeof(*f->cache) : 0;
	st->cache_entries = f->cache ? (f->cache_mask + 1) * FM_CACHE_WAYS : 0;
}
