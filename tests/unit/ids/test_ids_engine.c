/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the ids pattern engine's streaming matcher (nfs/ids/engine/ids_engine.h; the
 * rule parser has test_ids_rules.c) against exact expectations: a word cut at every combination of
 * boundaries into 2..6 chunks, overlapping occurrences, nocase, hex and escaped contents, two rules
 * and two streams interleaved, a 64 KiB random payload fed byte by byte against a memmem count,
 * random payloads in random chunks against a linear oracle, contents ending in long runs of one
 * byte (a fuzz crash) against the oracle, 1000 interleaved streams, partial words at close, gaps,
 * overlaps, stopping, states copied between buffers and engines, and Hyperscan allocation
 * failures at every step of ids_engine_create().
 */
#include <check.h>

#include "fs_check.h"
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "ids_engine.h"
#include "ids_rules.h"

/* One reported occurrence. */
struct hit {
	uint32_t rule;
	uint64_t end;
};

/* Occurrences in report order; the callback asks to stop once stop_after are collected. */
struct hits {
	struct hit *v;
	size_t n, cap;
	size_t stop_after; /* 0: never stop */
};

static struct ids_rules rules;
static struct ids_engine *eng;
static char err[512];

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static size_t rnd_below(size_t n)
{
	return (size_t)(rnd() % n);
}

static void hits_add(struct hits *h, uint32_t rule, uint64_t end)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 64;
		h->v = realloc(h->v, h->cap * sizeof(*h->v));
		ck_assert_ptr_nonnull(h->v);
	}
	h->v[h->n].rule = rule;
	h->v[h->n].end = end;
	h->n++;
}

static void hits_free(struct hits *h)
{
	free(h->v);
	memset(h, 0, sizeof(*h));
}

static int collect(uint32_t rule, uint64_t end, void *ctx)
{
	struct hits *h = ctx;

	ck_assert_uint_lt(rule, ids_engine_rule_count(eng));
	hits_add(h, rule, end);
	return h->stop_after != 0 && h->n >= h->stop_after;
}

static int hit_cmp(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;

	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* Same multiset of (rule, end); within one end the order of rules is free. */
static void assert_same_hits(struct hits *got, struct hits *want, const char *what)
{
	if (got->n > 1)
		qsort(got->v, got->n, sizeof(*got->v), hit_cmp);
	if (want->n > 1)
		qsort(want->v, want->n, sizeof(*want->v), hit_cmp);
	ck_assert_msg(got->n == want->n, "%s: %zu matches, want %zu", what, got->n, want->n);
	for (size_t i = 0; i < got->n; i++)
		ck_assert_msg(got->v[i].rule == want->v[i].rule && got->v[i].end == want->v[i].end,
			      "%s: match %zu is rule %u end %llu, want rule %u end %llu", what, i,
			      got->v[i].rule, (unsigned long long)got->v[i].end, want->v[i].rule,
			      (unsigned long long)want->v[i].end);
}

/* Exactly the listed (rule, end) pairs, in end order. */
static void assert_hits(struct hits *got, const struct hit *want, size_t n, const char *what)
{
	struct hits w = {0};

	for (size_t i = 0; i < n; i++)
		hits_add(&w, want[i].rule, want[i].end);
	assert_same_hits(got, &w, what);
	hits_free(&w);
}

static void engine_from(const char *text)
{
	int rc = ids_rules_parse(text, &rules, err, sizeof(err));

	ck_assert_msg(rc == 0, "parse: %d %s", rc, err);
	rc = ids_engine_create(&rules, &eng, err, sizeof(err));
	ck_assert_msg(rc == 0, "create: %d %s", rc, err);
}

static void teardown(void)
{
	ids_engine_destroy(eng);
	eng = NULL;
	ids_rules_uninit(&rules);
}

static void *state_new(void)
{
	void *st = malloc(ids_engine_stream_size(eng));

	ck_assert_ptr_nonnull(st);
	ck_assert_uint_eq((uintptr_t)st % IDS_STREAM_ALIGN, 0);
	ids_stream_open(eng, st);
	return st;
}

/* Fresh stream over data cut at the increasing positions cuts[0..ncuts), then closed. */
static void scan_cuts(const uint8_t *data, size_t len, const size_t *cuts, int ncuts,
		      struct hits *h)
{
	void *st = state_new();
	size_t prev = 0;

	for (int i = 0; i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : len;

		ck_assert_int_eq(ids_stream_scan(eng, st, data + prev, to - prev, prev, collect, h),
				 0);
		prev = to;
	}
	ck_assert_uint_eq(ids_stream_offset(st), len);
	ck_assert_int_eq(ids_stream_close(eng, st, collect, h), 0);
	free(st);
}

/* Fresh stream over data in chunks of `chunk` bytes (0: one call). */
static void scan_chunked(const void *data, size_t len, size_t chunk, struct hits *h)
{
	void *st = state_new();
	const uint8_t *d = data;

	if (chunk == 0)
		chunk = len ? len : 1;
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		ck_assert_int_eq(ids_stream_scan(eng, st, d + off, n, off, collect, h), 0);
	}
	ck_assert_int_eq(ids_stream_close(eng, st, collect, h), 0);
	free(st);
}

static bool bytes_eq(const uint8_t *a, const uint8_t *b, size_t n, bool nocase)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t x = a[i], y = b[i];

		if (nocase) {
			x = (x >= 'a' && x <= 'z') ? (uint8_t)(x - 32) : x;
			y = (y >= 'a' && y <= 'z') ? (uint8_t)(y - 32) : y;
		}
		if (x != y)
			return false;
	}
	return true;
}

/* The linear oracle: every (rule, end) of every rule at every position. */
static void oracle(const uint8_t *d, size_t len, uint64_t base, struct hits *out)
{
	for (size_t end = 1; end <= len; end++) {
		for (uint32_t r = 0; r < rules.count; r++) {
			const struct ids_rule *ru = &rules.rule[r];

			if (ru->content_len <= end &&
			    bytes_eq(d + end - ru->content_len, ru->content, ru->content_len,
				     ru->nocase))
				hits_add(out, r, base + end);
		}
	}
}

/* ---- matcher ---------------------------------------------------------------------------- */

/* Every way of cutting [1, len) into k-1 cut points, k = 2..6: one match, at the right end. */
START_TEST(test_ids_engine_scan_split_word_every_boundary)
{
	static const char data[] = "xyATTACKzw"; /* ATTACK = [2, 8) */
	const size_t len = sizeof(data) - 1;
	size_t cuts[5];
	unsigned splits = 0;

	engine_from("alert tcp any any -> any any (msg:\"attack word\"; content:\"ATTACK\"; sid:1; "
		    "rev:1;)\n");
	for (int ncuts = 1; ncuts <= 5; ncuts++) {
		/* enumerate increasing cut tuples in [1, len) in lexicographic order */
		for (int i = 0; i < ncuts; i++)
			cuts[i] = (size_t)i + 1;
		for (;;) {
			struct hits h = {0};
			static const struct hit want[] = {{0, 8}};
			int i;

			scan_cuts((const uint8_t *)data, len, cuts, ncuts, &h);
			assert_hits(&h, want, 1, "split");
			hits_free(&h);
			splits++;
			for (i = ncuts - 1; i >= 0 && cuts[i] == len - (size_t)(ncuts - i); i--)
				;
			if (i < 0)
				break;
			cuts[i]++;
			for (int j = i + 1; j < ncuts; j++)
				cuts[j] = cuts[j - 1] + 1;
		}
	}
	/* C(9,1) + C(9,2) + C(9,3) + C(9,4) + C(9,5) */
	ck_assert_uint_eq(splits, 9 + 36 + 84 + 126 + 126);
}
END_TEST

/* Empty chunks are no-ops, also between the two halves of a word. */
START_TEST(test_ids_engine_scan_empty_chunks)
{
	struct hits h = {0};
	static const struct hit want[] = {{0, 6}};
	void *st;

	engine_from("alert tcp any any -> any any (content:\"ATTACK\"; sid:1;)");
	st = state_new();
	ck_assert_int_eq(ids_stream_scan(eng, st, NULL, 0, 0, collect, &h), 0);
	ck_assert_int_eq(ids_stream_scan(eng, st, (const uint8_t *)"ATT", 3, 0, collect, &h), 0);
	ck_assert_int_eq(ids_stream_scan(eng, st, NULL, 0, 3, collect, &h), 0);
	ck_assert_int_eq(ids_stream_scan(eng, st, (const uint8_t *)"ACK", 3, 3, collect, &h), 0);
	assert_hits(&h, want, 1, "empty chunks");
	ck_assert_int_eq(ids_stream_close(eng, st, collect, &h), 0);
	ck_assert_uint_eq(h.n, 1);
	free(st);
	hits_free(&h);
}
END_TEST

/* Overlapping and adjacent occurrences, in one call and byte by byte. */
START_TEST(test_ids_engine_scan_overlapping)
{
	static const struct {
		const char *data;
		struct hit want[4];
		size_t n;
	} cases[] = {
	    {"ATTACKATTACK", {{0, 6}, {0, 12}}, 2},
	    {"AATTACK", {{2, 2}, {0, 7}}, 2},
	    {"BANANANA", {{1, 4}, {1, 6}, {1, 8}}, 3},
	    {"AAAA", {{2, 2}, {2, 3}, {2, 4}}, 3},
	    {"ATTACANANATTACK", {{1, 8}, {1, 10}, {0, 15}}, 3},
	};

	engine_from("alert tcp any any -> any any (content:\"ATTACK\"; sid:1;)\n"
		    "alert tcp any any -> any any (content:\"ANA\"; sid:2;)\n"
		    "alert tcp any any -> any any (content:\"AA\"; sid:3;)\n");
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (size_t chunk = 0; chunk <= 3; chunk++) {
			struct hits h = {0};

			scan_chunked(cases[c].data, strlen(cases[c].data), chunk, &h);
			assert_hits(&h, cases[c].want, cases[c].n, cases[c].data);
			hits_free(&h);
		}
	}
}
END_TEST

START_TEST(test_ids_engine_scan_nocase)
{
	static const char data[] = "AtTaCk attack ATTACK evil EVIL Evil atTACK";
	static const struct hit want[] = {{0, 6}, {0, 13}, {0, 20}, {1, 30}, {0, 42}};

	engine_from("alert tcp any any -> any any (content:\"attack\"; nocase; sid:1;)\n"
		    "alert tcp any any -> any any (content:\"EVIL\"; sid:2;)\n");
	ck_assert(rules.rule[0].nocase);
	ck_assert(!rules.rule[1].nocase);
	for (size_t chunk = 0; chunk <= 2; chunk++) {
		struct hits h = {0};

		scan_chunked(data, sizeof(data) - 1, chunk, &h);
		assert_hits(&h, want, 5, "nocase");
		hits_free(&h);
	}
}
END_TEST

/* Hex bytes (including NUL and 0xff), escaped quote, semicolon and backslash. */
START_TEST(test_ids_engine_scan_hex_and_escapes)
{
	static const uint8_t data[] = "--ATTACK--\x00\xffx\r\n--a\"b;c\\d--attack";
	static const struct hit want[] = {{0, 8}, {1, 15}, {2, 24}};

	engine_from("alert tcp any any -> any 80 (msg:\"hex\"; content:\"|41 54|TACK\"; sid:2;)\n"
		    "alert tcp any any -> any any (content:\"|00 ff|x|0D0a|\"; sid:3;)\n"
		    "alert tcp any any -> any any (content:\"a\\\"b\\;c\\\\d\"; sid:4;)\n");
	ck_assert_uint_eq(rules.rule[0].content_len, 6);
	ck_assert_mem_eq(rules.rule[0].content, "ATTACK", 6);
	ck_assert_uint_eq(rules.rule[1].content_len, 5);
	ck_assert_mem_eq(rules.rule[1].content, "\x00\xffx\r\n", 5);
	ck_assert_uint_eq(rules.rule[2].content_len, 7);
	ck_assert_mem_eq(rules.rule[2].content, "a\"b;c\\d", 7);
	for (size_t chunk = 0; chunk <= 1; chunk++) {
		struct hits h = {0};

		scan_chunked(data, sizeof(data) - 1, chunk, &h);
		assert_hits(&h, want, 3, "hex");
		hits_free(&h);
	}
}
END_TEST

/* Two rules whose occurrences overlap and alternate, then two streams fed byte by byte in turn. */
START_TEST(test_ids_engine_scan_two_rules_interleaved)
{
	static const char data[] = "ATTACKLEEVILATTACKLEVIL";
	static const struct hit want[] = {{0, 6}, {1, 8}, {2, 12}, {0, 18}, {1, 20}, {2, 23}};
	static const char s1[] = "..ATTACK..ATTACK", s2[] = "EVIL..TACKLE..EVIL";
	static const struct hit want1[] = {{0, 8}, {0, 16}}, want2[] = {{2, 4}, {1, 12}, {2, 18}};
	struct hits h1 = {0}, h2 = {0};
	void *st1, *st2;

	engine_from("alert tcp any any -> any any (content:\"ATTACK\"; sid:10;)\n"
		    "alert tcp any any -> any any (content:\"TACKLE\"; sid:20;)\n"
		    "drop tcp any any -> any any (content:\"EVIL\"; sid:30;)\n");
	for (size_t cut = 1; cut < sizeof(data) - 1; cut++) {
		struct hits h = {0};

		scan_cuts((const uint8_t *)data, sizeof(data) - 1, &cut, 1, &h);
		assert_hits(&h, want, 6, "two rules");
		hits_free(&h);
	}
	st1 = state_new();
	st2 = state_new();
	for (size_t i = 0; i < sizeof(s2) - 1; i++) {
		if (i < sizeof(s1) - 1)
			ck_assert_int_eq(
			    ids_stream_scan(eng, st1, (const uint8_t *)s1 + i, 1, i, collect, &h1),
			    0);
		ck_assert_int_eq(
		    ids_stream_scan(eng, st2, (const uint8_t *)s2 + i, 1, i, collect, &h2), 0);
	}
	ck_assert_int_eq(ids_stream_close(eng, st1, collect, &h1), 0);
	ck_assert_int_eq(ids_stream_close(eng, st2, collect, &h2), 0);
	assert_hits(&h1, want1, 2, "stream 1");
	assert_hits(&h2, want2, 3, "stream 2");
	free(st1);
	free(st2);
	hits_free(&h1);
	hits_free(&h2);
}
END_TEST

static size_t memmem_count(const uint8_t *d, size_t len, const char *word)
{
	size_t n = 0, wl = strlen(word);
	const uint8_t *p = d;

	while ((p = memmem(p, len - (size_t)(p - d), word, wl)) != NULL) {
		n++;
		p++;
	}
	return n;
}

/* 64 KiB of random letters with K planted words, fed one byte per call: exactly K matches. */
START_TEST(test_ids_engine_scan_random_bytewise_matches_memmem)
{
	enum { LEN = 64 * 1024, K = 100 };
	static const char alpha[] = "ATCKX";
	uint8_t *d = malloc(LEN);
	struct hits h = {0}, want = {0};
	uint8_t *p;

	ck_assert_ptr_nonnull(d);
	engine_from("alert tcp any any -> any any (content:\"ATTACK\"; sid:1;)");
	rng_state = 0x1d5e9a11ce;
	for (size_t i = 0; i < LEN; i++)
		d[i] = (uint8_t)alpha[rnd_below(5)];
	/* scrub accidental occurrences, then plant K in disjoint 64-byte slots */
	while ((p = memmem(d, LEN, "ATTACK", 6)) != NULL)
		p[5] = 'X';
	for (size_t k = 0; k < K; k++) {
		size_t slot = k * (LEN / K) + rnd_below(LEN / K - 6);

		memcpy(d + slot, "ATTACK", 6);
	}
	ck_assert_uint_eq(memmem_count(d, LEN, "ATTACK"), K);
	oracle(d, LEN, 0, &want);
	ck_assert_uint_eq(want.n, K);
	scan_chunked(d, LEN, 1, &h);
	ck_assert_uint_eq(h.n, memmem_count(d, LEN, "ATTACK"));
	assert_same_hits(&h, &want, "bytewise");
	hits_free(&h);
	hits_free(&want);
	free(d);
}
END_TEST

/* Random payloads over a small alphabet in random chunks, five rules: same as the oracle. */
START_TEST(test_ids_engine_scan_random_chunks_match_oracle)
{
	enum { LEN = 16 * 1024, ROUNDS = 40 };
	static const uint8_t alpha[] = {'A', 'T', 'C', 'K', 'a', 't', 0, 1};
	uint8_t *d = malloc(LEN);

	ck_assert_ptr_nonnull(d);
	engine_from("alert tcp any any -> any any (content:\"ATTACK\"; sid:1;)\n"
		    "alert tcp any any -> any any (content:\"attack\"; nocase; sid:2;)\n"
		    "alert tcp any any -> any any (content:\"TAT\"; sid:3;)\n"
		    "alert tcp any any -> any any (content:\"|00 01 00|\"; sid:4;)\n"
		    "alert tcp any any -> any any (content:\"K\"; sid:5;)\n");
	rng_state = 0xfeedface;
	for (int round = 0; round < ROUNDS; round++) {
		struct hits h = {0}, want = {0};
		void *st = state_new();
		size_t off = 0;

		for (size_t i = 0; i < LEN; i++)
			d[i] = alpha[rnd_below(sizeof(alpha))];
		while (off < LEN) {
			size_t n = 1 + rnd_below(round % 2 ? 16 : 1500);

			n = n > LEN - off ? LEN - off : n;
			ck_assert_int_eq(ids_stream_scan(eng, st, d + off, n, off, collect, &h), 0);
			off += n;
		}
		ck_assert_int_eq(ids_stream_close(eng, st, collect, &h), 0);
		oracle(d, LEN, 0, &want);
		ck_assert_uint_gt(want.n, 1000);
		assert_same_hits(&h, &want, "random chunks");
		free(st);
		hits_free(&h);
		hits_free(&want);
	}
	free(d);
}
END_TEST

/*
 * Regression (fuzz_ids crash, minimised, also in tests/fuzz/ids/seeds/content-ending-in-run): a
 * content ending in a long run of one byte next to another rule. Hyperscan 5.4.0's pure-literal
 * API compiled the run into a repeat engine that its literal-only runtime cannot trigger, so the
 * scan failed with HS_UNKNOWN_ERROR (-EIO here) as soon as the stream held the content's first
 * five bytes.
 */
START_TEST(test_ids_engine_scan_fuzz_content_ending_in_run)
{
	static const char data[] = "aA1aA";
	static const struct hit want[] = {{0, 2}, {0, 5}};

	engine_from(
	    "alert ip any any -> any any(content:\"A\";sid:1;)\n"
	    "alert tcp any any -> any 8(content:\"|41|a1aAAAAaAAaaaaaaaAAaaaaAAAAaaaaAAAaa\"; "
	    "nocase;sid:7;)");
	for (size_t chunk = 0; chunk <= 1; chunk++) {
		struct hits h = {0};

		scan_chunked(data, sizeof(data) - 1, chunk, &h);
		assert_hits(&h, want, 2, "fuzz input");
		hits_free(&h);
	}
}
END_TEST

/*
 * Contents "xyz" + a run of 20..60 'q' (the run becomes a repeat engine from about 34 on), with
 * and without nocase, next to a one-byte content: streams made of the content, its prefixes and
 * noise, in random chunks, report exactly what the oracle finds.
 */
START_TEST(test_ids_engine_scan_contents_ending_in_runs_match_oracle)
{
	enum { LEN = 4096, RUN_MIN = 20, RUN_MAX = 60 };
	uint8_t *d = malloc(LEN);
	char text[512], word[80];

	ck_assert_ptr_nonnull(d);
	rng_state = 0x5eed0f1d5;
	for (int run = RUN_MIN; run <= RUN_MAX; run++) {
		struct hits h = {0}, want = {0};
		size_t wl = 3 + (size_t)run, off = 0;
		void *st;

		memcpy(word, "xyz", 3);
		memset(word + 3, run % 2 ? 'Q' : 'q', (size_t)run);
		snprintf(text, sizeof(text),
			 "alert tcp any any -> any any (content:\"K\"; sid:1;)\n"
			 "alert tcp any any -> any any (content:\"%.*s\";%s sid:2;)\n",
			 (int)wl, word, run % 3 ? " nocase;" : "");
		engine_from(text);
		/* the whole content, or a prefix of it, or a noise byte, until LEN */
		while (off < LEN) {
			size_t n = rnd_below(3) ? 1 + rnd_below(wl) : wl;

			if (rnd_below(4) == 0) {
				d[off++] = "Kqx"[rnd_below(3)];
				continue;
			}
			n = n > LEN - off ? LEN - off : n;
			for (size_t i = 0; i < n; i++)
				d[off + i] =
				    rnd_below(2) ? (uint8_t)word[i] : (uint8_t)(word[i] ^ 0x20);
			off += n;
		}
		st = state_new();
		for (off = 0; off < LEN;) {
			size_t n = 1 + rnd_below(run % 2 ? 8 : 300);

			n = n > LEN - off ? LEN - off : n;
			ck_assert_msg(ids_stream_scan(eng, st, d + off, n, off, collect, &h) == 0,
				      "run %d: scan at %zu failed", run, off);
			off += n;
		}
		ck_assert_int_eq(ids_stream_close(eng, st, collect, &h), 0);
		oracle(d, LEN, 0, &want);
		assert_same_hits(&h, &want, "content ending in a run");
		free(st);
		hits_free(&h);
		hits_free(&want);
		teardown();
	}
	free(d);
}
END_TEST

/* A word cut short by the end of the stream is not a match. */
START_TEST(test_ids_engine_close_after_partial_word)
{
	struct hits h = {0};
	void *st;

	engine_from("alert tcp any any -> any any (content:\"ATTACK\"; sid:1;)");
	st = state_new();
	ck_assert_int_eq(ids_stream_scan(eng, st, (const uint8_t *)"xxATTA", 6, 0, collect, &h), 0);
	ck_assert_int_eq(ids_stream_scan(eng, st, (const uint8_t *)"C", 1, 6, collect, &h), 0);
	ck_assert_int_eq(ids_stream_close(eng, st, collect, &h), 0);
	ck_assert_uint_eq(h.n, 0);
	/* closed: refused; reopened: a new stream that knows nothing of "ATTAC" */
	ck_assert_int_eq(ids_stream_scan(eng, st, (const uint8_t *)"K", 1, 7, collect, &h),
			 -EINVAL);
	ck_assert_int_eq(ids_stream_close(eng, st, collect, &h), -EINVAL);
	ids_stream_open(eng, st);
	ck_assert_uint_eq(ids_stream_offset(st), 0);
	ck_assert_int_eq(ids_stream_scan(eng, st, (const uint8_t *)"K", 1, 0, collect, &h), 0);
	ck_assert_int_eq(ids_stream_close(eng, st, collect, &h), 0);
	ck_assert_uint_eq(h.n, 0);
	free(st);
}
END_TEST

/* 1000 streams with their own payloads, fed in random chunks in random order, states in one
 * caller array. */
START_TEST(test_ids_engine_scan_1000_streams_interleaved)
{
	enum { NS = 1000, LEN = 2048 };
	static const char alpha[] = "ATCKEVILx";
	uint8_t *data = malloc((size_t)NS * LEN);
	size_t *off = calloc(NS, sizeof(*off));
	struct hits *h = calloc(NS, sizeof(*h));
	size_t ss, left = NS, total = 0;
	uint8_t *states;

	engine_from("alert tcp any any -> any any (content:\"ATTACK\"; sid:1;)\n"
		    "alert tcp any any -> any any (content:\"EVIL\"; nocase; sid:2;)\n");
	ss = ids_engine_stream_size(eng);
	ck_assert_uint_eq(ss % IDS_STREAM_ALIGN, 0);
	states = aligned_alloc(IDS_STREAM_ALIGN, ss * NS);
	ck_assert(data != NULL && off != NULL && h != NULL && states != NULL);
	rng_state = 0xabcdef12345;
	for (size_t s = 0; s < NS; s++) {
		uint8_t *d = data + s * LEN;

		for (size_t i = 0; i < LEN; i++)
			d[i] = (uint8_t)alpha[rnd_below(sizeof(alpha) - 1)];
		for (size_t k = rnd_below(8); k > 0; k--)
			memcpy(d + rnd_below(LEN - 6), k % 2 ? "ATTACK" : "evil", k % 2 ? 6 : 4);
		ids_stream_open(eng, states + s * ss);
	}
	while (left > 0) {
		size_t s = rnd_below(NS), n;

		if (off[s] == LEN)
			continue;
		n = 1 + rnd_below(48);
		n = n > LEN - off[s] ? LEN - off[s] : n;
		ck_assert_int_eq(ids_stream_scan(eng, states + s * ss, data + s * LEN + off[s], n,
						 off[s], collect, &h[s]),
				 0);
		off[s] += n;
		left -= off[s] == LEN;
	}
	for (size_t s = 0; s < NS; s++) {
		struct hits want = {0};

		ck_assert_int_eq(ids_stream_close(eng, states + s * ss, collect, &h[s]), 0);
		oracle(data + s * LEN, LEN, 0, &want);
		assert_same_hits(&h[s], &want, "1000 streams");
		total += want.n;
		hits_free(&want);
		hits_free(&h[s]);
	}
	ck_assert_uint_gt(total, 2000);
	free(states);
	free(h);
	free(off);
	free(data);
}
END_TEST

/* Gaps restart the matcher at the new offset; overlaps are refused and change nothing. */
START_TEST(test_ids_engine_scan_gap_and_overlap)
{
	struct hits h = {0};
	static const struct hit want[] = {{0, 206}, {0, 1006}, {0, 1012}};
	void *st;

	engine_from("alert tcp any any -> any any (content:\"ATTACK\"; sid:1;)");
	st = state_new();
	ck_assert_int_eq(ids_stream_scan(eng, st, (const uint8_t *)"xxATT", 5, 0, collect, &h), 0);
	ck_assert_int_eq(ids_stream_scan(eng, st, (const uint8_t *)"ACKyy", 5, 100, collect, &h),
			 0);
	ck_assert_uint_eq(h.n, 0);
	ck_assert_uint_eq(ids_stream_offset(st), 105);
	ck_assert_int_eq(ids_stream_scan(eng, st, (const uint8_t *)"ATTACK", 6, 200, collect, &h),
			 0);
	ck_assert_int_eq(ids_stream_scan(eng, st, (const uint8_t *)"ATTACK", 6, 205, collect, &h),
			 -ERANGE);
	ck_assert_int_eq(ids_stream_scan(eng, st, (const uint8_t *)"x", 1, UINT64_MAX, collect, &h),
			 -ERANGE);
	ck_assert_uint_eq(ids_stream_offset(st), 206);
	ck_assert_int_eq(ids_stream_close(eng, st, collect, &h), 0);
	/* a stream first seen mid-way: offsets are stream offsets */
	ids_stream_open(eng, st);
	ck_assert_int_eq(
	    ids_stream_scan(eng, st, (const uint8_t *)"ATTACKATT", 9, 1000, collect, &h), 0);
	ck_assert_int_eq(ids_stream_scan(eng, st, (const uint8_t *)"ACK", 3, 1009, collect, &h), 0);
	ck_assert_int_eq(ids_stream_close(eng, st, collect, &h), 0);
	assert_hits(&h, want, 3, "gap");
	free(st);
	hits_free(&h);
}
END_TEST

/* A callback that returns non-zero stops the stream for good. */
START_TEST(test_ids_engine_scan_callback_stops)
{
	struct hits h = {.stop_after = 1};
	static const struct hit want[] = {{0, 6}};
	void *st;

	engine_from("drop tcp any any -> any any (content:\"ATTACK\"; sid:1;)");
	st = state_new();
	ck_assert_int_eq(
	    ids_stream_scan(eng, st, (const uint8_t *)"ATTACK ATTACK", 13, 0, collect, &h), 1);
	h.stop_after = 0;
	ck_assert_int_eq(ids_stream_scan(eng, st, (const uint8_t *)"ATTACK", 6, 13, collect, &h),
			 1);
	assert_hits(&h, want, 1, "stop");
	ck_assert_int_eq(ids_stream_close(eng, st, collect, &h), 0);
	ck_assert_uint_eq(h.n, 1);
	ck_assert_int_eq(ids_stream_scan(eng, st, (const uint8_t *)"ATTACK", 6, 19, collect, &h),
			 -EINVAL);
	/* a NULL callback scans without reporting */
	ids_stream_open(eng, st);
	ck_assert_int_eq(ids_stream_scan(eng, st, (const uint8_t *)"ATTACK", 6, 0, NULL, NULL), 0);
	ck_assert_int_eq(ids_stream_close(eng, st, NULL, NULL), 0);
	free(st);
	hits_free(&h);
}
END_TEST

/* The state is plain bytes: copies are independent forks, and another engine compiled from the
 * same contents takes it; one with other contents refuses it. */
START_TEST(test_ids_engine_state_copy_and_engines)
{
	const char *text = "alert tcp any any -> any any (content:\"ATTACK\"; sid:1;)";
	struct ids_rules other_rules, same_rules;
	struct ids_engine *other, *same;
	struct hits h1 = {0}, h2 = {0}, h3 = {0};
	static const struct hit want1[] = {{0, 8}};
	size_t ss;
	uint8_t *a, *b, *c, *zero;

	engine_from(text);
	ss = ids_engine_stream_size(eng);
	ck_assert_uint_le(ss, IDS_STREAM_MAX);
	a = state_new();
	b = malloc(ss);
	c = malloc(ss);
	zero = calloc(1, ss);
	ck_assert(b != NULL && c != NULL && zero != NULL);
	ck_assert_int_eq(ids_stream_scan(eng, a, (const uint8_t *)"xxATT", 5, 0, collect, &h1), 0);
	memcpy(b, a, ss);
	memcpy(c, a, ss);
	memset(a, 0xa5, ss); /* the original is gone */
	ck_assert_int_eq(ids_stream_scan(eng, b, (const uint8_t *)"ACK", 3, 5, collect, &h1), 0);
	ck_assert_int_eq(ids_stream_scan(eng, c, (const uint8_t *)"ICK", 3, 5, collect, &h2), 0);
	assert_hits(&h1, want1, 1, "fork b");
	ck_assert_uint_eq(h2.n, 0);
	ck_assert_int_eq(ids_stream_scan(eng, a, (const uint8_t *)"x", 1, 8, collect, &h1),
			 -EINVAL);
	ck_assert_int_eq(ids_stream_scan(eng, zero, (const uint8_t *)"x", 1, 0, collect, &h1),
			 -EINVAL);
	ck_assert_int_eq(ids_stream_close(eng, zero, collect, &h1), -EINVAL);

	ck_assert_int_eq(ids_rules_parse(text, &same_rules, err, sizeof(err)), 0);
	ck_assert_int_eq(ids_engine_create(&same_rules, &same, err, sizeof(err)), 0);
	ids_rules_uninit(&same_rules); /* the engine keeps no reference */
	memcpy(c, b, ss);
	ck_assert_int_eq(ids_stream_scan(same, c, (const uint8_t *)"ATTACK", 6, 8, collect, &h3),
			 0);
	ck_assert_uint_eq(h3.n, 1);
	ck_assert_uint_eq(h3.v[0].end, 14);

	ck_assert_int_eq(
	    ids_rules_parse("alert tcp any any -> any any (content:\"ATTACK\"; nocase; "
			    "sid:1;)",
			    &other_rules, err, sizeof(err)),
	    0);
	ck_assert_int_eq(ids_engine_create(&other_rules, &other, err, sizeof(err)), 0);
	ck_assert_int_eq(ids_stream_scan(other, b, (const uint8_t *)"x", 1, 8, collect, &h3),
			 -ESTALE);
	ck_assert_int_eq(ids_stream_close(other, b, collect, &h3), -ESTALE);
	ck_assert_int_eq(ids_stream_close(eng, b, collect, &h3), 0);
	ids_engine_destroy(other);
	ids_engine_destroy(same);
	ids_rules_uninit(&other_rules);
	free(a);
	free(b);
	free(c);
	free(zero);
	hits_free(&h1);
	hits_free(&h2);
	hits_free(&h3);
}
END_TEST

START_TEST(test_ids_engine_create_empty_set)
{
	struct hits h = {0};
	void *st;

	engine_from("# nothing but comments\n\n   \n\t# indented comment\r\n");
	ck_assert_uint_eq(rules.count, 0);
	ck_assert_ptr_null(rules.rule);
	ck_assert_uint_eq(ids_engine_rule_count(eng), 0);
	st = state_new();
	ck_assert_int_eq(ids_stream_scan(eng, st, (const uint8_t *)"ATTACK", 6, 0, collect, &h), 0);
	ck_assert_int_eq(ids_stream_scan(eng, st, (const uint8_t *)"ATTACK", 6, 10, collect, &h),
			 0);
	ck_assert_uint_eq(ids_stream_offset(st), 16);
	ck_assert_int_eq(ids_stream_scan(eng, st, (const uint8_t *)"A", 1, 3, collect, &h),
			 -ERANGE);
	ck_assert_int_eq(ids_stream_close(eng, st, collect, &h), 0);
	ck_assert_uint_eq(h.n, 0);
	free(st);
}
END_TEST

/* Hyperscan allocation n fails, for every n until create succeeds: -ENOMEM, nothing leaks. */
static long alloc_countdown;
static unsigned alloc_failures;

static void *failing_malloc(size_t n)
{
	if (alloc_countdown-- == 0) {
		alloc_failures++;
		return NULL;
	}
	return malloc(n);
}

START_TEST(test_ids_engine_create_allocation_failures)
{
	struct ids_engine *e = NULL;
	int rc = -1;

	ck_assert_int_eq(
	    ids_rules_parse("alert tcp any any -> any any (content:\"ATTACK\"; sid:1;)\n"
			    "alert tcp any any -> any any (content:\"evil\"; nocase; "
			    "sid:2;)\n",
			    &rules, err, sizeof(err)),
	    0);
	ck_assert_int_eq(hs_set_allocator(failing_malloc, free), HS_SUCCESS);
	for (long n = 0; n < 100 && rc != 0; n++) {
		alloc_countdown = n;
		err[0] = '\0';
		rc = ids_engine_create(&rules, &e, err, sizeof(err));
		ck_assert_msg(rc == 0 || rc == -ENOMEM, "n=%ld rc=%d %s", n, rc, err);
		if (rc)
			ck_assert_ptr_null(e);
	}
	alloc_countdown = -1;
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_ge(alloc_failures, 3); /* database, scratch, stream at least */
	eng = e;
	{
		struct hits h = {0};
		static const struct hit want[] = {{0, 6}, {1, 10}};

		scan_chunked("ATTACKEvIl", 10, 3, &h);
		assert_hits(&h, want, 2, "after failures");
		hits_free(&h);
	}
	hs_set_allocator(NULL, NULL);
}
END_TEST

static Suite *ids_engine_suite(void)
{
	Suite *s = suite_create("ids_engine");
	TCase *tm = tcase_create("matcher");

	tcase_add_checked_fixture(tm, NULL, teardown);
	tcase_add_test(tm, test_ids_engine_scan_split_word_every_boundary);
	tcase_add_test(tm, test_ids_engine_scan_empty_chunks);
	tcase_add_test(tm, test_ids_engine_scan_overlapping);
	tcase_add_test(tm, test_ids_engine_scan_nocase);
	tcase_add_test(tm, test_ids_engine_scan_hex_and_escapes);
	tcase_add_test(tm, test_ids_engine_scan_two_rules_interleaved);
	tcase_add_test(tm, test_ids_engine_scan_random_bytewise_matches_memmem);
	tcase_add_test(tm, test_ids_engine_scan_random_chunks_match_oracle);
	tcase_add_test(tm, test_ids_engine_scan_fuzz_content_ending_in_run);
	tcase_add_test(tm, test_ids_engine_scan_contents_ending_in_runs_match_oracle);
	tcase_add_test(tm, test_ids_engine_close_after_partial_word);
	tcase_add_test(tm, test_ids_engine_scan_1000_streams_interleaved);
	tcase_add_test(tm, test_ids_engine_scan_gap_and_overlap);
	tcase_add_test(tm, test_ids_engine_scan_callback_stops);
	tcase_add_test(tm, test_ids_engine_state_copy_and_engines);
	tcase_add_test(tm, test_ids_engine_create_empty_set);
	tcase_add_test(tm, test_ids_engine_create_allocation_failures);
	suite_add_tcase(s, tm);
	return s;
}

int main(void)
{
	return fs_check_run(ids_engine_suite());
}
