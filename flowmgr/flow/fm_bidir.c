/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_bidir.c — shared table linking both directions of a session (fm_bidir.h). */
#include "fm_bidir.h"

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <string.h>

#include "fm_field.h"

static uint32_t nb_buckets_for(uint32_t nb_records)
{
	uint32_t n = 16;
	while (n < nb_records && n < (1u << 31))
		n <<= 1;
	return n;
}

static uint64_t rec_stride(uint32_t data_size)
{
	return (FM_BIDIR_REC_HDR + (uint64_t)data_size + 63u) & ~(uint64_t)63u;
}

size_t fm_bidir_region_size(uint32_t nb_records, uint32_t data_size)
{
	size_t bk = ((size_t)nb_buckets_for(nb_records) * sizeof(struct fm_bidir_bucket) + 63u) &
		    ~(size_t)63u;
	return sizeof(struct fm_bidir) + bk + (size_t)nb_records * rec_stride(data_size);
}

static inline struct fm_bidir_bucket *bucket(struct fm_bidir *b, uint32_t hash)
{
	struct fm_bidir_bucket *bk = (void *)((uint8_t *)b + b->buckets_off);
	return &bk[hash & (b->nb_buckets - 1)];
}

/* ---- lock-free free stack (ABA tag in the upper 32 bits) ----------------------------------- */

static void free_push(struct fm_bidir *b, uint32_t i)
{
	uint64_t top = atomic_load_explicit(&b->free_top, memory_order_relaxed);
	uint64_t nw;
	do {
		atomic_store_explicit(&fm_bidir_rec_at(b, i)->free_next, (uint32_t)top,
				      memory_order_relaxed);
		nw = ((top >> 32) + 1) << 32 | i;
	} while (!atomic_compare_exchange_weak_explicit(
	    &b->free_top, &top, nw, memory_order_release, memory_order_relaxed));
}

static uint32_t free_pop(struct fm_bidir *b)
{
	uint64_t top = atomic_load_explicit(&b->free_top, memory_order_acquire);
	uint64_t nw;
	do {
		uint32_t i = (uint32_t)top;
		if (i == FM_BIDIR_NONE)
			return FM_BIDIR_NONE;
		uint32_t next =
		    atomic_load_explicit(&fm_bidir_rec_at(b, i)->free_next, memory_order_relaxed);
		nw = ((top >> 32) + 1) << 32 | next;
	} while (!atomic_compare_exchange_weak_explicit(
	    &b->free_top, &top, nw, memory_order_acquire, memory_order_acquire));
	return (uint32_t)top;
}

int fm_bidir_init(void *region, size_t len, uint32_t nb_records, uint32_t data_size,
		  const struct fm_hash_seed *seed, struct fm_bidir **out)
{
	*out = NULL;
	if (!region || ((uintptr_t)region & 63u) || !nb_records || nb_records == FM_BIDIR_NONE ||
	    len < fm_bidir_region_size(nb_records, data_size))
		return -EINVAL;
	struct fm_bidir *b = region;
	memset(b, 0, sizeof(*b));
	b->nb_records = nb_records;
	b->nb_buckets = nb_buckets_for(nb_records);
	b->data_size = data_size;
	if (seed)
		b->hash_seed = *seed;
	b->rec_stride = rec_stride(data_size);
	b->buckets_off = sizeof(*b);
	b->records_off =
	    b->buckets_off +
	    (((uint64_t)b->nb_buckets * sizeof(struct fm_bidir_bucket) + 63u) & ~(uint64_t)63u);
	for (uint32_t i = 0; i < b->nb_buckets; i++) {
		struct fm_bidir_bucket *bk = bucket(b, i);
		atomic_init(&bk->rw, 0);
		atomic_init(&bk->head, FM_BIDIR_NONE);
	}
	atomic_init(&b->free_top, (uint64_t)FM_BIDIR_NONE);
	atomic_init(&b->in_use, 0);
	for (uint32_t i = nb_records; i-- > 0;) {
		atomic_init(&fm_bidir_rec_at(b, i)->refs, 0);
		free_push(b, i);
	}
	atomic_thread_fence(memory_order_release);
	b->magic = FM_BIDIR_MAGIC;
	*out = b;
	return 0;
}

/* ---- bucket readers-writer counter (paper §IV-D) ------------------------------------------- */

static void read_lock(struct fm_bidir_bucket *bk)
{
	int32_t v = atomic_load_explicit(&bk->rw, memory_order_relaxed);
	for (;;) {
		if (v >= 0 && atomic_compare_exchange_weak_explicit(
				  &bk->rw, &v, v + 1, memory_order_acquire, memory_order_relaxed))
			return;
		if (v < 0) {
			__builtin_ia32_pause();
			v = atomic_load_explicit(&bk->rw, memory_order_relaxed);
		}
	}
}

static void read_unlock(struct fm_bidir_bucket *bk)
{
	atomic_fetch_sub_explicit(&bk->rw, 1, memory_order_release);
}

static void write_lock(struct fm_bidir_bucket *bk)
{
	for (;;) {
		int32_t v = 0;
		if (atomic_compare_exchange_weak_explicit(&bk->rw, &v, -1, memory_order_acquire,
							  memory_order_relaxed))
			return;
		__builtin_ia32_pause();
	}
}

static void write_unlock(struct fm_bidir_bucket *bk)
{
	atomic_store_explicit(&bk->rw, 0, memory_order_release);
}

/* ---- keys ---------------------------------------------------------------------------------- */

void fm_bidir_key_from_fields(const uint64_t *v, struct fm_bidir_key *k, bool *forward)
{
	uint64_t s_hi, s_lo, d_hi, d_lo;
	memset(k, 0, sizeof(*k));
	if (v[FM_F_ETHERTYPE] == 0x86DD) {
		k->family = 6;
		s_hi = v[FM_F_IP6_SRC_HI], s_lo = v[FM_F_IP6_SRC_LO];
		d_hi = v[FM_F_IP6_DST_HI], d_lo = v[FM_F_IP6_DST_LO];
	} else {
		k->family = 4;
		s_hi = d_hi = 0;
		s_lo = v[FM_F_IP4_SRC], d_lo = v[FM_F_IP4_DST];
	}
	uint16_t sp = (uint16_t)v[FM_F_SPORT], dp = (uint16_t)v[FM_F_DPORT];
	bool fwd = s_hi != d_hi ? s_hi < d_hi : s_lo != d_lo ? s_lo < d_lo : sp <= dp;
	k->proto = (uint8_t)v[FM_F_IP_PROTO];
	if (fwd) {
		k->a_hi = s_hi, k->a_lo = s_lo, k->a_port = sp;
		k->b_hi = d_hi, k->b_lo = d_lo, k->b_port = dp;
	} else {
		k->a_hi = d_hi, k->a_lo = d_lo, k->a_port = dp;
		k->b_hi = s_hi, k->b_lo = s_lo, k->b_port = sp;
	}
	if (forward)
		*forward = fwd;
}

uint32_t fm_bidir_hash(const struct fm_bidir *b, const struct fm_bidir_key *k)
{
	uint64_t w[5] = {k->a_hi, k->a_lo, k->b_hi, k->b_lo,
			 (uint64_t)k->a_port << 32 | (uint64_t)k->b_port << 16 |
			     (uint64_t)k->proto << 8 | k->family};

	return fm_hash_words(&b->hash_seed, w, 5);
}

static inline bool key_eq(const struct fm_bidir_key *a, const struct fm_bidir_key *b)
{
	return a->a_lo == b->a_lo && a->b_lo == b->b_lo && a->a_hi == b->a_hi &&
	       a->b_hi == b->b_hi && a->a_port == b->a_port && a->b_port == b->b_port &&
	       a->proto == b->proto && a->family == b->family;
}

/* ---- attach / detach ----------------------------------------------------------------------- */

/* Scan a chain for a live record of this key and take a reference (never from 0). */
static uint32_t scan_ref(struct fm_bidir *b, struct fm_bidir_bucket *bk,
			 const struct fm_bidir_key *k, uint32_t hash)
{
	uint32_t i = atomic_load_explicit(&bk->head, memory_order_relaxed);
	while (i != FM_BIDIR_NONE) {
		struct fm_bidir_rec *r = fm_bidir_rec_at(b, i);
		if (r->hash == hash && key_eq(&r->key, k)) {
			/* An alias holds a reference on its target while it is linked. */
			uint32_t t = r->target == FM_BIDIR_NONE ? i : r->target;
			struct fm_bidir_rec *tr = fm_bidir_rec_at(b, t);
			uint32_t refs = atomic_load_explicit(&tr->refs, memory_order_relaxed);
			while (refs > 0)
				if (atomic_compare_exchange_weak_explicit(
					&tr->refs, &refs, refs + 1, memory_order_acq_rel,
					memory_order_relaxed))
					return t;
		}
		i = atomic_load_explicit(&r->next, memory_order_relaxed);
	}
	return FM_BIDIR_NONE;
}

int fm_bidir_attach(struct fm_bidir *b, const struct fm_bidir_key *k, uint32_t hash, uint32_t *rec,
		    bool *created)
{
	struct fm_bidir_bucket *bk = bucket(b, hash);
	int rc = 0;
	bool made = false;
	read_lock(bk);
	uint32_t i = scan_ref(b, bk, k, hash);
	read_unlock(bk);
	if (i != FM_BIDIR_NONE)
		goto out;
	write_lock(bk);
	i = scan_ref(b, bk, k, hash); /* the other direction may have won the race */
	if (i == FM_BIDIR_NONE) {
		i = free_pop(b);
		if (i == FM_BIDIR_NONE) {
			rc = -ENOSPC;
			goto unlock;
		}
		struct fm_bidir_rec *r = fm_bidir_rec_at(b, i);
		r->key = *k;
		r->hash = hash;
		r->target = FM_BIDIR_NONE;
		memset((uint8_t *)r + FM_BIDIR_REC_HDR, 0, b->data_size);
		atomic_store_explicit(&r->refs, 1, memory_order_relaxed);
		atomic_store_explicit(&r->next,
				      atomic_load_explicit(&bk->head, memory_order_relaxed),
				      memory_order_relaxed);
		atomic_store_explicit(&bk->head, i, memory_order_relaxed);
		atomic_fetch_add_explicit(&b->in_use, 1, memory_order_relaxed);
		made = true;
	}
unlock:
	write_unlock(bk);
out:
	*rec = i;
	if (created)
		*created = made;
	return rc;
}

int fm_bidir_detach(struct fm_bidir *b, uint32_t i)
{
	if (i >= b->nb_records)
		return -EINVAL;
	struct fm_bidir_rec *r = fm_bidir_rec_at(b, i);
	uint32_t refs = atomic_load_explicit(&r->refs, memory_order_relaxed);
	do {
		if (!refs)
			return -EINVAL;
	} while (!atomic_compare_exchange_weak_explicit(
	    &r->refs, &refs, refs - 1, memory_order_acq_rel, memory_order_relaxed));
	if (refs > 1)
		return 0;
	struct fm_bidir_bucket *bk = bucket(b, r->hash);
	write_lock(bk);
	_Atomic uint32_t *link = &bk->head;
	for (uint32_t j = atomic_load_explicit(link, memory_order_relaxed); j != FM_BIDIR_NONE;
	     j = atomic_load_explicit(link, memory_order_relaxed)) {
		if (j == i) {
			atomic_store_explicit(link,
					      atomic_load_explicit(&r->next, memory_order_relaxed),
					      memory_order_relaxed);
			break;
		}
		link = &fm_bidir_rec_at(b, j)->next;
	}
	write_unlock(bk);
	uint32_t target = r->target;
	atomic_fetch_sub_explicit(&b->in_use, 1, memory_order_relaxed);
	free_push(b, i);
	if (target != FM_BIDIR_NONE)
		fm_bidir_detach(b, target); /* the alias's reference on its session */
	return 1;
}

int fm_bidir_alias(struct fm_bidir *b, const struct fm_bidir_key *k, uint32_t hash, uint32_t target,
		   uint32_t *alias)
{
	struct fm_bidir_bucket *bk = bucket(b, hash);
	struct fm_bidir_rec *tr;
	uint32_t refs, i;
	int rc = 0;

	*alias = FM_BIDIR_NONE;
	if (target >= b->nb_records)
		return -EINVAL;
	tr = fm_bidir_rec_at(b, target);
	if (tr->target != FM_BIDIR_NONE)
		return -EINVAL; /* no alias of an alias */
	refs = atomic_load_explicit(&tr->refs, memory_order_relaxed);
	do {
		if (!refs)
			return -EINVAL;
	} while (!atomic_compare_exchange_weak_explicit(
	    &tr->refs, &refs, refs + 1, memory_order_acq_rel, memory_order_relaxed));
	write_lock(bk);
	for (i = atomic_load_explicit(&bk->head, memory_order_relaxed); i != FM_BIDIR_NONE;
	     i = atomic_load_explicit(&fm_bidir_rec_at(b, i)->next, memory_order_relaxed)) {
		struct fm_bidir_rec *r = fm_bidir_rec_at(b, i);
		if (r->hash == hash && key_eq(&r->key, k) &&
		    atomic_load_explicit(&r->refs, memory_order_relaxed) > 0) {
			rc = -EEXIST;
			goto unlock;
		}
	}
	i = free_pop(b);
	if (i == FM_BIDIR_NONE) {
		rc = -ENOSPC;
		goto unlock;
	}
	struct fm_bidir_rec *r = fm_bidir_rec_at(b, i);
	r->key = *k;
	r->hash = hash;
	r->target = target;
	atomic_store_explicit(&r->refs, 1, memory_order_relaxed);
	atomic_store_explicit(&r->next, atomic_load_explicit(&bk->head, memory_order_relaxed),
			      memory_order_relaxed);
	atomic_store_explicit(&bk->head, i, memory_order_relaxed);
	atomic_fetch_add_explicit(&b->in_use, 1, memory_order_relaxed);
	*alias = i;
unlock:
	write_unlock(bk);
	if (rc < 0)
		fm_bidir_detach(b, target);
	return rc;
}

int fm_bidir_key_of(struct fm_bidir *b, uint32_t i, struct fm_bidir_key *k)
{
	if (i >= b->nb_records)
		return -EINVAL;
	*k = fm_bidir_rec_at(b, i)->key;
	return 0;
}

bool fm_bidir_key_equal(const struct fm_bidir_key *a, const struct fm_bidir_key *b)
{
	return key_eq(a, b);
}

uint32_t fm_bidir_refs(struct fm_bidir *b, uint32_t i)
{
	return i < b->nb_records
		   ? atomic_load_explicit(&fm_bidir_rec_at(b, i)->refs, memory_order_acquire)
		   : 0;
}

uint32_t fm_bidir_in_use(const struct fm_bidir *b)
{
	return atomic_load_explicit(&((struct fm_bidir *)b)->in_use, memory_order_relaxed);
}

uint32_t fm_bidir_capacity(const struct fm_bidir *b)
{
	return b->nb_records;
}
