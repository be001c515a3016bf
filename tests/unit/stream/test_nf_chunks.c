/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_nf_chunks.c — the pure part of the nfsdk stream API (nfsdk/stream.h) against a byte
 * model: a window cut into random chunks with random room, random inserts, removals and
 * replacements at random positions; after each, the chunks read back (byte iterator, chunk
 * iterator, concatenation) must equal the model, searches must agree with a naive search, and a
 * failed edit must change nothing and fail only when the placement rule leaves no room.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_check.h"
#include "nfsdk/stream.h"

#define MAXC   33
#define MAXCAP 1600
#define MODEL  (MAXC * MAXCAP)

struct win {
	struct nf_chunk c[MAXC];
	unsigned int n;
	uint8_t mem[MAXC][MAXCAP];
	uint8_t model[MODEL];
	uint32_t mlen;
};

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void concat(const struct win *w, uint8_t *out, uint32_t *len)
{
	uint32_t t = 0;

	for (unsigned int i = 0; i < w->n; i++) {
		memcpy(out + t, w->c[i].data, w->c[i].len);
		t += w->c[i].len;
	}
	*len = t;
}

static void check_same(const struct win *w, uint32_t *seed)
{
	static uint8_t buf[MODEL];
	struct nf_byte_iter bi;
	struct nf_chunk_iter ci;
	const uint8_t *p;
	uint32_t len, pos, t = 0;
	int b;

	concat(w, buf, &len);
	ck_assert_uint_eq(len, w->mlen);
	ck_assert_uint_eq(nf_chunks_len(w->c, w->n), w->mlen);
	ck_assert(memcmp(buf, w->model, len) == 0);
	pos = w->mlen ? rnd(seed) % (w->mlen + 1) : 0;
	nf_byte_iter_init(&bi, w->c, w->n, pos);
	for (uint32_t i = pos; i < w->mlen; i++)
		ck_assert_int_eq(nf_byte_iter_next(&bi), w->model[i]);
	b = nf_byte_iter_next(&bi);
	ck_assert_int_eq(b, -1);
	nf_chunk_iter_init(&ci, w->c, w->n, pos);
	while (nf_chunk_iter_next(&ci, &p, &len)) {
		ck_assert_uint_gt(len, 0);
		ck_assert(memcmp(p, w->model + pos + t, len) == 0);
		t += len;
	}
	ck_assert_uint_eq(pos + t, w->mlen);
	for (unsigned int i = 0; i < w->n; i++)
		ck_assert_uint_le(w->c[i].len, w->c[i].cap);
}

static void setup_win(struct win *w, uint32_t *seed)
{
	w->n = 1 + rnd(seed) % MAXC;
	w->mlen = 0;
	for (unsigned int i = 0; i < w->n; i++) {
		uint32_t len = rnd(seed) % 4 == 0 ? rnd(seed) % 4 : rnd(seed) % 1449;
		uint32_t room = rnd(seed) % 3 == 0 ? 0 : rnd(seed) % 120;

		w->c[i].data = w->mem[i];
		w->c[i].len = len;
		w->c[i].cap = len + room;
		for (uint32_t k = 0; k < len; k++)
			w->mem[i][k] =
			    (uint8_t)('a' + rnd(seed) % 4); /* small alphabet: finds hit */
		memcpy(w->model + w->mlen, w->mem[i], len);
		w->mlen += len;
	}
}

/* The placement rule, independently: some chunk holding byte pos, or ending at pos, has room. */
static bool room_for(const struct win *w, uint32_t pos, uint32_t len)
{
	uint32_t start = 0;

	for (unsigned int i = 0; i < w->n; i++) {
		uint32_t end = start + w->c[i].len;

		if (pos >= start && pos <= end && w->c[i].cap - w->c[i].len >= len)
			return true;
		start = end;
	}
	return false;
}

static void model_edit(struct win *w, uint32_t pos, uint32_t rem, const uint8_t *src, uint32_t ins)
{
	memmove(w->model + pos + ins, w->model + pos + rem, w->mlen - pos - rem);
	memcpy(w->model + pos, src, ins);
	w->mlen = w->mlen - rem + ins;
}

static void one_edit(struct win *w, uint32_t *seed)
{
	static uint8_t before[MODEL];
	uint8_t src[200];
	uint32_t op = rnd(seed) % 3, pos = rnd(seed) % (w->mlen + 1), blen, ins, rem;
	bool fits;
	int rc;

	concat(w, before, &blen);
	ins = rnd(seed) % 5 == 0 ? rnd(seed) % 200 : rnd(seed) % 12;
	rem = w->mlen - pos ? rnd(seed) % (w->mlen - pos + 1) : 0;
	if (rnd(seed) % 2)
		rem = rem % 20;
	for (uint32_t i = 0; i < ins; i++)
		src[i] = (uint8_t)('A' + rnd(seed) % 26);
	if (op == 0) {
		fits = ins == 0 || room_for(w, pos, ins);
		rc = nf_chunks_insert(w->c, w->n, pos, src, ins);
		rem = 0;
	} else if (op == 1) {
		fits = true;
		rc = nf_chunks_remove(w->c, w->n, pos, rem);
		ins = 0;
	} else {
		fits = ins <= rem || room_for(w, pos + rem, ins - rem);
		rc = nf_chunks_replace(w->c, w->n, pos, rem, src, ins);
	}
	if (fits) {
		ck_assert_int_eq(rc, 0);
		model_edit(w, pos, rem, src, ins);
	} else {
		static uint8_t after[MODEL];
		uint32_t alen;

		ck_assert_int_eq(rc, -ENOSPC);
		concat(w, after, &alen);
		ck_assert_uint_eq(alen, blen);
		ck_assert(memcmp(after, before, alen) == 0);
	}
	check_same(w, seed);
}

static void check_find(const struct win *w, uint32_t *seed)
{
	uint8_t needle[6];
	uint32_t nlen = 1 + rnd(seed) % 5, pos = rnd(seed) % (w->mlen + 1);
	int64_t want = -1, got;

	if (w->mlen >= nlen && rnd(seed) % 2) { /* a needle taken from the model */
		uint32_t at = rnd(seed) % (w->mlen - nlen + 1);

		memcpy(needle, w->model + at, nlen);
	} else {
		for (uint32_t i = 0; i < nlen; i++)
			needle[i] = (uint8_t)('a' + rnd(seed) % 4);
	}
	for (uint32_t i = pos; i + nlen <= w->mlen && want < 0; i++)
		if (memcmp(w->model + i, needle, nlen) == 0)
			want = i;
	got = nf_chunks_find(w->c, w->n, pos, needle, nlen);
	ck_assert_int_eq(got, want);
}

START_TEST(test_nf_chunks_edit_model_random)
{
	static struct win w;

	for (uint32_t round = 0; round < 120; round++) {
		uint32_t seed = 0x9e3779b9u ^ (round * 2654435761u);

		if (seed == 0)
			seed = 1;
		setup_win(&w, &seed);
		check_same(&w, &seed);
		for (int e = 0; e < 40; e++) {
			one_edit(&w, &seed);
			check_find(&w, &seed);
		}
	}
}
END_TEST

START_TEST(test_nf_chunks_insert_boundary_prefers_holder)
{
	uint8_t a[8] = "abc", b[8] = "def";
	struct nf_chunk c[2] = {{a, 3, 8}, {b, 3, 8}};

	ck_assert_int_eq(nf_chunks_insert(c, 2, 3, (const uint8_t *)"XY", 2), 0);
	/* position 3 is byte 'd' of chunk 1, which has room: the insertion goes there */
	ck_assert_uint_eq(c[0].len, 3);
	ck_assert_uint_eq(c[1].len, 5);
	ck_assert(memcmp(b, "XYdef", 5) == 0);
	c[1].cap = 5; /* full: the next insertion at the border goes to the end of chunk 0 */
	ck_assert_int_eq(nf_chunks_insert(c, 2, 3, (const uint8_t *)"Z", 1), 0);
	ck_assert(memcmp(a, "abcZ", 4) == 0);
	ck_assert_int_eq(nf_chunks_insert(c, 2, 10, (const uint8_t *)"Q", 1), -ERANGE);
	ck_assert_int_eq(nf_chunks_remove(c, 2, 2, 4), 0); /* across the border: "ab" "Ydef" -> */
	ck_assert_uint_eq(c[0].len, 2);
	ck_assert(memcmp(b, "def", 3) == 0);
	ck_assert_uint_eq(c[1].len, 3);
}
END_TEST

START_TEST(test_nf_chunks_find_across_chunks)
{
	uint8_t a[] = "xx\r", b[] = "\n\r", d[] = "\nyy";
	struct nf_chunk c[3] = {{a, 3, 3}, {b, 2, 2}, {d, 3, 3}};

	ck_assert_int_eq(nf_chunks_find(c, 3, 0, (const uint8_t *)"\r\n\r\n", 4), 2);
	ck_assert_int_eq(nf_chunks_find(c, 3, 3, (const uint8_t *)"\r\n\r\n", 4), -1);
	ck_assert_int_eq(nf_chunks_find(c, 3, 0, (const uint8_t *)"yy", 2), 6);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("nf_chunks");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 300);

	tcase_add_test(tc, test_nf_chunks_edit_model_random);
	tcase_add_test(tc, test_nf_chunks_insert_boundary_prefers_holder);
	tcase_add_test(tc, test_nf_chunks_find_across_chunks);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(suite());
}
