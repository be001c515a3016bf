/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_seqmap.c — per-direction TCP modification list (see fm_seqmap.h for the rules).
 */
#include <errno.h>
#include <string.h>

#include "fm_seqmap.h"

void fm_seqmap_attach(struct fm_seqmap *m, struct fm_seqmap_entry *e, uint32_t cap)
{
	m->e = e;
	m->cap = e != NULL ? cap : 0;
}

void fm_seqmap_init(struct fm_seqmap *m, uint32_t first_seq)
{
	m->floor = first_seq;
	m->base = 0;
	m->n = 0;
}

/* Index of the first entry whose pos is at or after pos (serial order). */
static uint32_t seqmap_lower_bound(const struct fm_seqmap *m, uint32_t pos)
{
	uint32_t i = 0;

	while (i < m->n && fm_seq_lt(m->e[i].pos, pos))
		i++;
	return i;
}

static uint32_t seqmap_live_ins(const struct fm_seqmap *m)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i < m->n; i++)
		sum += m->e[i].ins;
	return sum;
}

static void seqmap_delete(struct fm_seqmap *m, uint32_t i)
{
	memmove(&m->e[i], &m->e[i + 1], (m->n - i - 1) * sizeof(m->e[0]));
	m->n--;
}

/* An operation at the position of an existing entry x = e[i]: one of them may remove. */
static int seqmap_merge_same_pos(struct fm_seqmap *m, uint32_t i, uint32_t rem, uint32_t ins)
{
	struct fm_seqmap_entry *x = &m->e[i];
	struct fm_seqmap_entry *nn = i + 1 < m->n ? &m->e[i + 1] : NULL;

	if (rem && x->rem)
		return -EINVAL; /* byte pos removed twice */
	if (rem && nn && fm_seq_lt(nn->pos, x->pos + rem))
		return -EINVAL; /* the removal would swallow the next entry's position */
	x->rem += rem;
	x->ins += ins;
	/* x was a pure insertion that now removes up to a pure removal: same map as one entry. */
	if (rem && nn && nn->ins == 0 && x->pos + x->rem == nn->pos) {
		x->rem += nn->rem;
		seqmap_delete(m, i + 1);
	}
	return 0;
}

/* A new entry {pos, rem, ins} between e[i-1] and e[i], merged with them when the map allows. */
static int seqmap_add_between(struct fm_seqmap *m, uint32_t i, uint32_t pos, uint32_t rem,
			      uint32_t ins)
{
	struct fm_seqmap_entry *prev = i > 0 ? &m->e[i - 1] : NULL;
	struct fm_seqmap_entry *next = i < m->n ? &m->e[i] : NULL;
	/* A pure removal that extends the removed run of prev leaves the map unchanged. */
	bool mprev = prev && ins == 0 && prev->rem && prev->pos + prev->rem == pos;
	/* So does a removal ending where a pure removal (next) starts. */
	bool mnext = next && rem && next->ins == 0 && pos + rem == next->pos;

	if (mprev && mnext) {
		prev->rem += rem + next->rem;
		seqmap_delete(m, i);
	} else if (mprev) {
		prev->rem += rem;
	} else if (mnext) {
		next->pos = pos;
		next->rem += rem;
		next->ins = ins;
	} else {
		if (m->n >= m->cap)
			return -ENOSPC;
		memmove(&m->e[i + 1], &m->e[i], (m->n - i) * sizeof(m->e[0]));
		m->e[i] = (struct fm_seqmap_entry){.pos = pos, .rem = rem, .ins = ins};
		m->n++;
	}
	return 0;
}

/* Records {pos, rem, ins}; rem + ins > 0. Validates everything before changing anything. */
static int seqmap_record(struct fm_seqmap *m, uint32_t pos, uint32_t rem, uint32_t ins)
{
	uint32_t i;

	if (rem > FM_SEQMAP_MAX_LEN || ins > FM_SEQMAP_MAX_LEN)
		return -EOVERFLOW;
	if (fm_seq_lt(pos, m->floor) || (uint64_t)(pos - m->floor) + rem > INT32_MAX)
		return -EINVAL;
	if (ins > FM_SEQMAP_MAX_LEN - seqmap_live_ins(m))
		return -EOVERFLOW;
	i = seqmap_lower_bound(m, pos);
	if (i > 0 && fm_seq_lt(pos, m->e[i - 1].pos + m->e[i - 1].rem))
		return -EINVAL; /* pos lies strictly inside prev's removed run */
	if (i < m->n && m->e[i].pos == pos)
		return seqmap_merge_same_pos(m, i, rem, ins);
	if (rem && i < m->n && fm_seq_lt(m->e[i].pos, pos + rem))
		return -EINVAL; /* next's position lies strictly inside the new removal */
	return seqmap_add_between(m, i, pos, rem, ins);
}

int fm_seqmap_insert(struct fm_seqmap *m, uint32_t pos, uint32_t len)
{
	if (len == 0)
		return -EINVAL;
	return seqmap_record(m, pos, 0, len);
}

int fm_seqmap_remove(struct fm_seqmap *m, uint32_t pos, uint32_t len)
{
	if (len == 0)
		return -EINVAL;
	return seqmap_record(m, pos, len, 0);
}

int fm_seqmap_replace(struct fm_seqmap *m, uint32_t pos, uint32_t rem_len, uint32_t ins_len)
{
	if (rem_len == 0 || ins_len == 0)
		return -EINVAL;
	return seqmap_record(m, pos, rem_len, ins_len);
}

uint32_t fm_seqmap_map_seq(const struct fm_seqmap *m, uint32_t seq)
{
	uint32_t d = m->base;

	for (uint32_t i = 0; i < m->n; i++) {
		const struct fm_seqmap_entry *x = &m->e[i];

		if (fm_seq_leq(seq, x->pos))
			break; /* x only affects positions after x->pos */
		if (fm_seq_lt(seq, x->pos + x->rem))
			return x->pos + d + x->ins; /* inside the removed run: flat */
		d += x->ins - x->rem;
	}
	return seq + d;
}

int fm_seqmap_map_segment(const struct fm_seqmap *m, uint32_t seq, uint32_t len, uint32_t *out_seq,
			  uint32_t *out_len)
{
	uint32_t start;

	if (fm_seq_lt(seq, m->floor))
		return -ERANGE;
	if (len > INT32_MAX)
		return -EINVAL;
	start = fm_seqmap_map_seq(m, seq);
	*out_seq = start;
	*out_len = fm_seqmap_map_seq(m, seq + len) - start;
	return 0;
}

uint32_t fm_seqmap_unmap_ack(const struct fm_seqmap *m, uint32_t ack)
{
	uint32_t d = m->base;

	for (uint32_t i = 0; i < m->n; i++) {
		const struct fm_seqmap_entry *x = &m->e[i];
		uint32_t start = x->pos + d; /* modified position of the insertion point */

		if (fm_seq_lt(ack, start))
			return ack - d;
		if (fm_seq_lt(ack, start + x->ins))
			return x->pos; /* inside the inserted bytes: byte pos not acknowledged */
		d += x->ins - x->rem;
	}
	return ack - d;
}

/* Smallest original o with map(o) >= left. */
static uint32_t seqmap_unmap_left(const struct fm_seqmap *m, uint32_t left)
{
	uint32_t d = m->base;

	for (uint32_t i = 0; i < m->n; i++) {
		const struct fm_seqmap_entry *x = &m->e[i];
		uint32_t start = x->pos + d;

		if (fm_seq_leq(left, start))
			return left - d;
		if (fm_seq_leq(left, start + x->ins))
			return x->pos + 1; /* starts inside the insertion: byte pos not covered */
		d += x->ins - x->rem;
	}
	return left - d;
}

int fm_seqmap_unmap_sack(const struct fm_seqmap *m, uint32_t *left, uint32_t *right)
{
	uint32_t l = seqmap_unmap_left(m, *left);
	uint32_t r = fm_seqmap_unmap_ack(m, *right);

	if (!fm_seq_lt(l, r))
		return -ENODATA;
	*left = l;
	*right = r;
	return 0;
}

void fm_seqmap_prune(struct fm_seqmap *m, uint32_t ack_orig)
{
	uint32_t k = 0;

	if (fm_seq_lt(ack_orig, m->floor))
		return;
	m->floor = ack_orig;
	while (k < m->n) {
		const struct fm_seqmap_entry *x = &m->e[k];

		/* Still needed while some position >= floor is at or before its end. */
		if (fm_seq_lt(ack_orig, x->pos + x->rem) || fm_seq_leq(ack_orig, x->pos))
			break;
		m->base += x->ins - x->rem;
		k++;
	}
	if (k == 0) /* nothing acknowledged past an entry; e may be NULL (none attached) */
		return;
	memmove(&m->e[0], &m->e[k], (m->n - k) * sizeof(m->e[0]));
	m->n -= k;
}

uint32_t fm_seqmap_ack(struct fm_seqmap *m, uint32_t ack)
{
	uint32_t orig = fm_seqmap_unmap_ack(m, ack);

	fm_seqmap_prune(m, orig);
	return orig;
}

bool fm_seqmap_is_identity(const struct fm_seqmap *m)
{
	return m->n == 0 && m->base == 0;
}
