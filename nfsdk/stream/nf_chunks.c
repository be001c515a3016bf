/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nf_chunks.c — the pure part of the nfsdk stream API (nfsdk/stream.h): iterators over a window
 * of byte chunks (the payloads of the held packets and the current one) and the edits
 * insert/remove/replace at window positions, done in the chunks' own memory. No DPDK: unit-tested
 * against a byte model (tests/unit/stream/test_nf_chunks.c).
 */
#include <errno.h>
#include <string.h>

#include "nfsdk/stream.h"

uint32_t nf_chunks_len(const struct nf_chunk *c, unsigned int n)
{
	uint32_t t = 0;

	for (unsigned int i = 0; i < n; i++)
		t += c[i].len;
	return t;
}

/* The chunk holding byte `pos` (pos < total) and the offset in it; false when pos >= total. */
static bool locate(const struct nf_chunk *c, unsigned int n, uint32_t pos, unsigned int *k,
		   uint32_t *off)
{
	for (unsigned int i = 0; i < n; i++) {
		if (pos < c[i].len) {
			*k = i;
			*off = pos;
			return true;
		}
		pos -= c[i].len;
	}
	return false;
}

void nf_byte_iter_init(struct nf_byte_iter *it, const struct nf_chunk *c, unsigned int n,
		       uint32_t pos)
{
	it->c = c;
	it->n = n;
	if (!locate(c, n, pos, &it->k, &it->off)) {
		it->k = n;
		it->off = 0;
	}
}

int nf_byte_iter_next(struct nf_byte_iter *it)
{
	while (it->k < it->n && it->off >= it->c[it->k].len) {
		it->k++;
		it->off = 0;
	}
	if (it->k >= it->n)
		return -1;
	return it->c[it->k].data[it->off++];
}

void nf_chunk_iter_init(struct nf_chunk_iter *it, const struct nf_chunk *c, unsigned int n,
			uint32_t pos)
{
	nf_byte_iter_init(&it->b, c, n, pos);
}

bool nf_chunk_iter_next(struct nf_chunk_iter *it, const uint8_t **p, uint32_t *len)
{
	struct nf_byte_iter *b = &it->b;

	while (b->k < b->n && b->off >= b->c[b->k].len) {
		b->k++;
		b->off = 0;
	}
	if (b->k >= b->n)
		return false;
	*p = b->c[b->k].data + b->off;
	*len = b->c[b->k].len - b->off;
	b->k++;
	b->off = 0;
	return true;
}

int64_t nf_chunks_find(const struct nf_chunk *c, unsigned int n, uint32_t pos,
		       const uint8_t *needle, uint32_t nlen)
{
	uint32_t total = nf_chunks_len(c, n);
	struct nf_byte_iter it, probe;

	if (nlen == 0)
		return pos <= total ? (int64_t)pos : -1;
	nf_byte_iter_init(&it, c, n, pos);
	for (uint32_t at = pos; at + nlen <= total; at++) {
		uint32_t i = 0;

		probe = it;
		while (i < nlen && nf_byte_iter_next(&probe) == needle[i])
			i++;
		if (i == nlen)
			return at;
		nf_byte_iter_next(&it);
	}
	return -1;
}

/* Copies len bytes from src over the window from pos (crossing chunks); the range exists. */
static void write_at(struct nf_chunk *c, unsigned int n, uint32_t pos, const uint8_t *src,
		     uint32_t len)
{
	unsigned int k;
	uint32_t off;

	if (len == 0 || !locate(c, n, pos, &k, &off))
		return;
	while (len > 0 && k < n) {
		uint32_t m = c[k].len - off < len ? c[k].len - off : len;

		memcpy(c[k].data + off, src, m);
		src += m;
		len -= m;
		k++;
		off = 0;
	}
}

/*
 * Where `len` bytes inserted at window position `pos` go: the chunk holding byte pos if it has
 * the room, else a chunk that ends exactly at pos (nearest first). -ENOSPC when none has room.
 */
static int insert_slot(const struct nf_chunk *c, unsigned int n, uint32_t pos, uint32_t len,
		       unsigned int *k, uint32_t *off)
{
	uint32_t start = 0;
	int best = -1;
	uint32_t best_off = 0;

	for (unsigned int i = 0; i < n; i++) {
		uint32_t end = start + c[i].len;

		if (pos >= start && pos <= end && c[i].cap - c[i].len >= len) {
			if (pos < end) { /* holds byte pos: preferred */
				*k = i;
				*off = pos - start;
				return 0;
			}
			best = (int)i; /* ends at pos: the nearest before pos wins */
			best_off = c[i].len;
		}
		if (start > pos)
			break;
		start = end;
	}
	if (best < 0)
		return -ENOSPC;
	*k = (unsigned int)best;
	*off = best_off;
	return 0;
}

int nf_chunks_insert(struct nf_chunk *c, unsigned int n, uint32_t pos, const uint8_t *src,
		     uint32_t len)
{
	unsigned int k;
	uint32_t off;

	if (pos > nf_chunks_len(c, n))
		return -ERANGE;
	if (len == 0)
		return 0;
	if (insert_slot(c, n, pos, len, &k, &off) < 0)
		return -ENOSPC;
	memmove(c[k].data + off + len, c[k].data + off, c[k].len - off);
	memcpy(c[k].data + off, src, len);
	c[k].len += len;
	return 0;
}

int nf_chunks_remove(struct nf_chunk *c, unsigned int n, uint32_t pos, uint32_t len)
{
	unsigned int k;
	uint32_t off;

	if ((uint64_t)pos + len > nf_chunks_len(c, n))
		return -ERANGE;
	if (len == 0 || !locate(c, n, pos, &k, &off))
		return 0;
	while (len > 0 && k < n) {
		uint32_t m = c[k].len - off < len ? c[k].len - off : len;

		memmove(c[k].data + off, c[k].data + off + m, c[k].len - off - m);
		c[k].len -= m;
		len -= m;
		k++;
		off = 0;
	}
	return 0;
}

int nf_chunks_replace(struct nf_chunk *c, unsigned int n, uint32_t pos, uint32_t rem,
		      const uint8_t *src, uint32_t ins)
{
	unsigned int k;
	uint32_t off;

	if ((uint64_t)pos + rem > nf_chunks_len(c, n))
		return -ERANGE;
	if (ins <= rem) {
		write_at(c, n, pos, src, ins);
		return nf_chunks_remove(c, n, pos + ins, rem - ins);
	}
	if (insert_slot(c, n, pos + rem, ins - rem, &k, &off) < 0)
		return -ENOSPC; /* checked first: a failed call changes nothing */
	write_at(c, n, pos, src, rem);
	return nf_chunks_insert(c, n, pos + rem, src + rem, ins - rem);
}
