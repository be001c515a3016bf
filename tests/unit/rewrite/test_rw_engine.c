/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the rewrite VNF's streaming rewriter (nfs/rewrite/engine): rule limits and the
 * command-line rule syntax; exact outputs for a word cut at every pair of boundaries, carried
 * prefixes, rule priority; and the main property against a whole-buffer reference transform
 * (the loop of rw_engine.h, written here again): random payloads with planted occurrences (also
 * "ATTATTACK", back to back, at the very start and end), cut into random segments (1-byte ones
 * included) with random output budgets — outputs + flush equal the reference, for a mask, a
 * removal, a 60-byte replacement and random sets of overlapping rules, with the carry bounds
 * checked after every call. Then -ENOSPC (state unchanged), rw_bypass() (reference with a stop
 * offset, carry bound after it), the output bound, partial flushes, state copies and bad
 * arguments.
 */
#include <check.h>

#include "fs_check.h"
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rw_engine.h"

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
	return n == 0 ? 0 : (size_t)(rnd() % n);
}

static const uint8_t rep60[] = "<<<<<<<<<<<<<<<<<<<<<<<<<<<-redacted-by-rewrite->>>>>>>>>>>>";
_Static_assert(sizeof(rep60) == 61, "a 60-byte replacement");

/* Check's ck_assert_* record every passing check (a write per call in fork mode): too slow per
 * packet, so the per-call checks of the random runs use this. */
#define REQUIRE(c)                                                                                 \
	do {                                                                                       \
		if (!(c))                                                                          \
			ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #c);                         \
	} while (0)

/* ---- reference ------------------------------------------------------------------------------ */

/*
 * The transform of rw_engine.h over the whole buffer, rules applied at positions below `stop`
 * only (len: none stopped). Returns the output length; *occ: occurrences replaced.
 */
static size_t ref_transform(const struct rw_rules *r, const uint8_t *in, size_t len, size_t stop,
			    uint8_t *out, uint32_t *occ)
{
	size_t i = 0, o = 0;

	*occ = 0;
	while (i < len) {
		uint32_t k;

		for (k = 0; i < stop && k < r->n; k++)
			if (i + r->pat_len[k] <= len &&
			    memcmp(in + i, r->pat[k], r->pat_len[k]) == 0)
				break;
		if (i < stop && k < r->n) {
			memcpy(out + o, r->rep[k], r->rep_len[k]);
			o += r->rep_len[k];
			i += r->pat_len[k];
			(*occ)++;
		} else {
			out[o++] = in[i++];
		}
	}
	return o;
}

/* Output bound of a stream of len bytes under r. */
static size_t out_bound(const struct rw_rules *r, size_t len)
{
	size_t f = 1;

	for (uint32_t k = 0; k < r->n; k++)
		if ((size_t)(r->rep_len[k] / r->pat_len[k]) + 1 > f)
			f = (size_t)(r->rep_len[k] / r->pat_len[k]) + 1;
	return len * f + RW_STREAM_BUF * RW_REP_MAX + 64;
}

/* ---- streams -------------------------------------------------------------------------------- */

static const char *const planted[] = {"ATTACK",	     "ATTATTACK", "AATTACK", "ATTACKATTACK",
				      "ATTACKTTACK", "ATTAC",	  "TTACK",   "ATTACKER"};

/* Random payload over a near-miss alphabet with planted words, often at the start and end. */
static size_t gen_stream(uint8_t *buf, size_t maxlen)
{
	size_t len = rnd_below(maxlen + 1), words;
	static const char alpha[] = "ATCKERX";

	for (size_t i = 0; i < len; i++)
		buf[i] = rnd_below(8) == 0 ? (uint8_t)rnd() : (uint8_t)alpha[rnd_below(7)];
	words = len / 16 > 0 ? rnd_below(len / 16) : 0;
	for (size_t w = 0; w < words + 2; w++) {
		const char *s = planted[rnd_below(sizeof(planted) / sizeof(planted[0]))];
		size_t sl = strlen(s), at;

		if (sl > len)
			continue;
		at = w == 0 ? 0 : w == 1 ? len - sl : rnd_below(len - sl + 1);
		if (w < 2 && rnd_below(3) == 0)
			continue;
		memcpy(buf + at, s, sl);
	}
	return len;
}

enum seg_mode { SEG_ONE, SEG_SMALL, SEG_ANY, SEG_MIXED, SEG_MODES };
enum cap_mode { CAP_EXACT, CAP_SMALL_SLACK, CAP_ANY_SLACK, CAP_MODES };

static size_t pick_seg(int mode, size_t left)
{
	size_t s;

	switch (mode) {
	case SEG_ONE:
		s = 1;
		break;
	case SEG_SMALL:
		s = 1 + rnd_below(8);
		break;
	case SEG_ANY:
		s = 1 + rnd_below(1500);
		break;
	default:
		s = rnd_below(4) == 0 ? rnd_below(3) : 1 + rnd_below(rnd_below(2) ? 70 : 1500);
		break;
	}
	return s < left ? s : left;
}

static size_t pick_cap(int mode, size_t seg)
{
	switch (mode) {
	case CAP_EXACT:
		return seg;
	case CAP_SMALL_SLACK:
		return seg + rnd_below(65);
	default:
		return seg + rnd_below(2000);
	}
}

struct run {
	uint8_t *out;
	size_t olen;
	uint32_t occ;
	uint32_t enospc;
	uint64_t stop; /* bypass offset, or the stream length */
	size_t max_carried;
};

/*
 * Feeds in[0..len) through a stream in segments of seg_mode with budgets of cap_mode, as the
 * VNF does: on -ENOSPC (checked to change nothing) it bypasses and feeds again. Then flushes with
 * random budgets. Checks the carry bounds after every call, and for one-rule sets the output
 * bound of the carry (by flushing a copy of the state).
 */
static void run_stream(const struct rw_rules *r, const uint8_t *in, size_t len, int seg_mode,
		       int cap_mode, struct run *res)
{
	struct rw_stream st, snap;
	size_t off = 0, ol, bound = out_bound(r, len);
	int rc;

	memset(res, 0, sizeof(*res));
	res->out = malloc(bound);
	ck_assert_ptr_nonnull(res->out);
	memset(&st, 0, sizeof(st)); /* zeroed memory is a new stream */
	while (off < len || rnd_below(50) == 0) {
		size_t seg = pick_seg(seg_mode, len - off), cap = pick_cap(cap_mode, seg);

		REQUIRE(res->olen + cap <= bound);
		snap = st;
		rc = rw_feed(r, &st, in + off, seg, res->out + res->olen, cap, &ol);
		if (rc == -ENOSPC) {
			REQUIRE(memcmp(&snap, &st, sizeof(st)) == 0); /* -ENOSPC changed nothing */
			REQUIRE(ol == 0 && !rw_is_bypassed(&st));
			res->enospc++;
			rw_bypass(r, &st);
			rc = rw_feed(r, &st, in + off, seg, res->out + res->olen, cap, &ol);
		}
		REQUIRE(rc >= 0 && ol <= cap);
		REQUIRE(rw_carried(&st) <=
			(rw_is_bypassed(&st) ? RW_STREAM_BUF - 1 : RW_CARRY_MAX));
		if (rw_carried(&st) > res->max_carried)
			res->max_carried = rw_carried(&st);
		REQUIRE(rw_stream_offset(&st) == off + seg);
		if (r->n == 1 && !rw_is_bypassed(&st) && rnd_below(8) == 0) {
			static uint8_t big[RW_STREAM_BUF * RW_REP_MAX];
			struct rw_stream copy = st;
			size_t fl;

			REQUIRE(rw_flush(r, &copy, big, sizeof(big), &fl) >= 0);
			REQUIRE(fl <= RW_OUT_MAX + RW_PAT_MAX - 1);
		}
		res->occ += (uint32_t)rc;
		res->olen += ol;
		off += seg;
	}
	do {
		size_t cap = rnd_below(3) == 0 ? 1 + rnd_below(8) : 1 + rnd_below(3000);

		if (res->olen + cap > bound)
			cap = bound - res->olen;
		rc = rw_flush(r, &st, res->out + res->olen, cap, &ol);
		REQUIRE(rc >= 0);
		REQUIRE(rw_carried(&st) == 0 || ol == cap); /* partial: only when full */
		res->olen += ol;
		res->occ += (uint32_t)rc;
	} while (rw_carried(&st) > 0);
	res->stop = rw_is_bypassed(&st) ? rw_bypass_offset(&st) : len;
}

/* run_stream() against the reference, n streams of up to maxlen bytes, every mode. */
static uint32_t check_random(const struct rw_rules *r, int n, size_t maxlen, bool may_enospc,
			     uint64_t *occ_total)
{
	uint8_t *in = malloc(maxlen + 1), *ref = malloc(out_bound(r, maxlen));
	uint32_t enospc = 0;

	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(ref);
	for (int i = 0; i < n; i++) {
		size_t len = gen_stream(in, maxlen), rlen;
		int seg_mode = i % SEG_MODES, cap_mode = (i / SEG_MODES) % CAP_MODES;
		struct run res;
		uint32_t occ;

		run_stream(r, in, len, seg_mode, cap_mode, &res);
		REQUIRE(res.stop <= len);
		if (!may_enospc)
			REQUIRE(res.enospc == 0 && res.max_carried <= 2 * (r->max_pat - 1));
		enospc += res.enospc;
		rlen = ref_transform(r, in, len, (size_t)res.stop, ref, &occ);
		if (res.olen != rlen || memcmp(res.out, ref, rlen) != 0)
			ck_abort_msg(
			    "stream %d (len %zu, seg %d, cap %d, stop %lu): output %zu bytes, "
			    "reference %zu",
			    i, len, seg_mode, cap_mode, (unsigned long)res.stop, res.olen, rlen);
		REQUIRE(res.occ == occ);
		*occ_total += occ;
		free(res.out);
	}
	free(in);
	free(ref);
	return enospc;
}

static void add(struct rw_rules *r, const char *pat, const char *rep)
{
	ck_assert_int_eq(
	    rw_rules_add(r, (const uint8_t *)pat, strlen(pat), (const uint8_t *)rep, strlen(rep)),
	    0);
}

/* Feeds the pieces of s cut at the given offsets (ascending) with budget = piece length, then
 * flushes; returns the output (static). */
static const char *feed_cuts(const struct rw_rules *r, const char *s, const size_t *cuts, int ncuts)
{
	static char out[4096];
	struct rw_stream st;
	size_t o = 0, prev = 0, len = strlen(s), ol;

	rw_stream_init(&st);
	for (int i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;

		ck_assert_int_ge(rw_feed(r, &st, (const uint8_t *)s + prev, end - prev,
					 (uint8_t *)out + o, end - prev, &ol),
				 0);
		o += ol;
		prev = end;
	}
	ck_assert_int_ge(rw_flush(r, &st, (uint8_t *)out + o, sizeof(out) - 1 - o, &ol), 0);
	o += ol;
	out[o] = '\0';
	return out;
}

/* ---- rules ---------------------------------------------------------------------------------- */

START_TEST(test_rw_rules_add_limits)
{
	static struct rw_rules r;
	uint8_t big[RW_REP_MAX + 1];
	char pat[8];

	memset(big, 'a', sizeof(big));
	rw_rules_init(&r);
	ck_assert_int_eq(rw_rules_add(&r, big, 0, NULL, 0), -EINVAL);
	ck_assert_int_eq(rw_rules_add(&r, big, RW_PAT_MAX + 1, NULL, 0), -EINVAL);
	ck_assert_int_eq(rw_rules_add(&r, big, 1, big, RW_REP_MAX + 1), -EINVAL);
	ck_assert_int_eq(rw_rules_add(&r, NULL, 1, NULL, 0), -EINVAL);
	ck_assert_int_eq(rw_rules_add(&r, big, 1, NULL, 1), -EINVAL);
	ck_assert_uint_eq(r.n, 0);
	ck_assert_int_eq(rw_rules_add(&r, big, RW_PAT_MAX, big, RW_REP_MAX), 0);
	ck_assert_int_eq(rw_rules_add(&r, big, RW_PAT_MAX, NULL, 0), -EEXIST);
	for (int i = 1; i < RW_RULES_MAX; i++) {
		snprintf(pat, sizeof(pat), "p%d", i);
		add(&r, pat, "");
	}
	ck_assert_int_eq(rw_rules_add(&r, (const uint8_t *)"zz", 2, NULL, 0), -ENOSPC);
	ck_assert_uint_eq(r.n, RW_RULES_MAX);
	ck_assert_uint_eq(r.max_pat, RW_PAT_MAX);
	ck_assert_int_eq(r.single_first, -1);
	rw_rules_init(&r);
	add(&r, "ab", "");
	add(&r, "ac", "");
	ck_assert_int_eq(r.single_first, 'a');
	ck_assert_uint_eq(r.first['a'], 3);
}
END_TEST

START_TEST(test_rw_rules_parse_option_forms)
{
	static struct rw_rules r;
	char err[160];

	rw_rules_init(&r);
	ck_assert_int_eq(rw_rules_parse_option(&r, "--mask", "ATTACK", err, sizeof(err)), 0);
	ck_assert_int_eq(rw_rules_parse_option(&r, "--remove", "evil", err, sizeof(err)), 0);
	ck_assert_int_eq(rw_rules_parse_option(&r, "--replace", "a\\=b=c=d", err, sizeof(err)), 0);
	ck_assert_int_eq(
	    rw_rules_parse_option(&r, "--replace", "\\x00\\n\\\\=\\t\\r\\x7F", err, sizeof(err)),
	    0);
	ck_assert_int_eq(rw_rules_parse_option(&r, "--replace", "gone=", err, sizeof(err)), 0);
	ck_assert_uint_eq(r.n, 5);
	ck_assert_mem_eq(r.pat[0], "ATTACK", 6);
	ck_assert_mem_eq(r.rep[0], "XXXXXX", 6);
	ck_assert_uint_eq(r.rep_len[0], 6);
	ck_assert_uint_eq(r.rep_len[1], 0);
	ck_assert_uint_eq(r.pat_len[2], 3);
	ck_assert_mem_eq(r.pat[2], "a=b", 3);
	ck_assert_uint_eq(r.rep_len[2], 3);
	ck_assert_mem_eq(r.rep[2], "c=d", 3);
	ck_assert_uint_eq(r.pat_len[3], 3);
	ck_assert_mem_eq(r.pat[3], "\0\n\\", 3);
	ck_assert_uint_eq(r.rep_len[3], 3);
	ck_assert_mem_eq(r.rep[3], "\t\r\x7f", 3);
	ck_assert_uint_eq(r.rep_len[4], 0);

	ck_assert_int_eq(rw_rules_parse_option(&r, "--dir", "both", err, sizeof(err)), -ENOENT);
	ck_assert_int_eq(rw_rules_parse_option(&r, "--replace", "noeq", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "--replace noeq: expected WORD=STRING");
	ck_assert_int_eq(rw_rules_parse_option(&r, "--mask", "", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "--mask : empty WORD");
	ck_assert_int_eq(rw_rules_parse_option(&r, "--replace", "=x", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(rw_rules_parse_option(&r, "--mask", "a\\q", err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "unknown escape"));
	ck_assert_int_eq(rw_rules_parse_option(&r, "--mask", "a\\x4", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "--mask a\\x4: \\x needs two hex digits");
	ck_assert_int_eq(rw_rules_parse_option(&r, "--mask", "a\\", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(rw_rules_parse_option(&r, "--mask", "ATTACK", err, sizeof(err)), -EEXIST);
	ck_assert_str_eq(err, "--mask ATTACK: WORD already has a rule");
	ck_assert_int_eq(rw_rules_parse_option(&r, "--remove",
					       "0123456789012345678901234567890123456789"
					       "01234567890123456789012345",
					       err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "WORD longer than 64 bytes"));
	ck_assert_int_eq(rw_rules_parse_option(&r, "--mask", "x", NULL, 0), 0);
	ck_assert_uint_eq(r.n, 6);
}
END_TEST

/* ---- exact cases ---------------------------------------------------------------------------- */

START_TEST(test_rw_feed_word_split_every_boundary)
{
	static struct rw_rules mask, rem, rep;
	const char *s = "xxATTACKyyATTATTACKzATTACK";
	size_t len = strlen(s), cuts[2];

	rw_rules_init(&mask);
	rw_rules_init(&rem);
	rw_rules_init(&rep);
	add(&mask, "ATTACK", "XXXXXX");
	add(&rem, "ATTACK", "");
	add(&rep, "ATTACK", (const char *)rep60);
	for (size_t i = 0; i <= len; i++) {
		for (size_t j = i; j <= len; j++) {
			char want[512];

			cuts[0] = i;
			cuts[1] = j;
			ck_assert_str_eq(feed_cuts(&mask, s, cuts, 2),
					 "xxXXXXXXyyATTXXXXXXzXXXXXX");
			ck_assert_str_eq(feed_cuts(&rem, s, cuts, 2), "xxyyATTz");
			snprintf(want, sizeof(want), "xx%syyATT%sz%s", rep60, rep60, rep60);
			ck_assert_str_eq(feed_cuts(&rep, s, cuts, 2), want);
		}
	}
}
END_TEST

START_TEST(test_rw_feed_carries_prefix_until_decided)
{
	static struct rw_rules r;
	struct rw_stream st;
	uint8_t out[64];
	size_t ol;

	rw_rules_init(&r);
	add(&r, "ATTACK", "XXXXXX");
	rw_stream_init(&st);
	ck_assert_int_eq(rw_feed(&r, &st, (const uint8_t *)"abATT", 5, out, 5, &ol), 0);
	ck_assert_uint_eq(ol, 2);
	ck_assert_mem_eq(out, "ab", 2);
	ck_assert_uint_eq(rw_carried(&st), 3);
	ck_assert_int_eq(rw_feed(&r, &st, (const uint8_t *)"A", 1, out, 1, &ol), 0);
	ck_assert_uint_eq(ol, 0);
	ck_assert_uint_eq(rw_carried(&st), 4);
	ck_assert_int_eq(rw_feed(&r, &st, (const uint8_t *)"CKcd", 4, out, 4, &ol), 1);
	ck_assert_uint_eq(ol, 4); /* budget: 2 bytes of the mask stay carried */
	ck_assert_mem_eq(out, "XXXX", 4);
	ck_assert_uint_eq(rw_carried(&st), 8); /* "ATTACKcd" */
	ck_assert_int_eq(rw_feed(&r, &st, (const uint8_t *)"ATTACX", 6, out, 6, &ol), 0);
	ck_assert_uint_eq(ol, 6);
	ck_assert_mem_eq(out, "XXcdAT", 6);
	ck_assert_int_eq(rw_flush(&r, &st, out, 1, &ol), 0);
	ck_assert_uint_eq(ol, 1);
	ck_assert_mem_eq(out, "T", 1);
	ck_assert_uint_eq(rw_carried(&st), 3);
	ck_assert_int_eq(rw_flush(&r, &st, out, sizeof(out), &ol), 0);
	ck_assert_uint_eq(ol, 3);
	ck_assert_mem_eq(out, "ACX", 3);
	ck_assert_uint_eq(rw_carried(&st), 0);
	ck_assert_uint_eq(rw_stream_offset(&st), 16);
	/* only what may still begin an occurrence is carried */
	ck_assert_int_eq(rw_feed(&r, &st, (const uint8_t *)"ATTAX", 5, out, 5, &ol), 0);
	ck_assert_uint_eq(ol, 5);
	ck_assert_uint_eq(rw_carried(&st), 0);
	ck_assert_int_eq(rw_feed(&r, &st, (const uint8_t *)"ATTACKAATTAC", 12, out, 64, &ol), 1);
	ck_assert_uint_eq(ol, 7);
	ck_assert_mem_eq(out, "XXXXXXA", 7);
	ck_assert_uint_eq(rw_carried(&st), 5);
	ck_assert_int_eq(rw_feed(&r, &st, (const uint8_t *)"T", 1, out, 64, &ol), 0);
	ck_assert_uint_eq(ol, 6);
	ck_assert_mem_eq(out, "ATTACT", 6);
	ck_assert_uint_eq(rw_carried(&st), 0);
	/* a prefix at the end of the stream goes out as it is */
	ck_assert_int_eq(rw_feed(&r, &st, (const uint8_t *)"ATTAC", 5, out, 5, &ol), 0);
	ck_assert_uint_eq(ol, 0);
	ck_assert_int_eq(rw_flush(&r, &st, out, sizeof(out), &ol), 0);
	ck_assert_uint_eq(ol, 5);
	ck_assert_mem_eq(out, "ATTAC", 5);
}
END_TEST

START_TEST(test_rw_feed_priority_by_rule_order)
{
	static struct rw_rules a, b;
	size_t one[1];

	rw_rules_init(&a);
	add(&a, "ATTACKER", "1");
	add(&a, "ATTACK", "2");
	add(&a, "TACK", "3");
	rw_rules_init(&b);
	add(&b, "ATTACK", "2");
	add(&b, "ATTACKER", "1");
	for (size_t i = 0; i <= 24; i++) {
		one[0] = i;
		ck_assert_str_eq(feed_cuts(&a, "ATTACKER ATTACK TACK ATTACKE", one, 1), "1 2 3 2E");
		ck_assert_str_eq(feed_cuts(&b, "ATTACKER ATTACK TACK ATTACKE", one, 1),
				 "2ER 2 TACK 2E");
	}
}
END_TEST

START_TEST(test_rw_feed_sixteenth_rule_and_undecided_minimal)
{
	static struct rw_rules r;
	struct rw_stream st;
	uint8_t out[64];
	size_t ol, one[1] = {4};
	char pat[8];

	rw_rules_init(&r);
	for (int i = 0; i < RW_RULES_MAX - 1; i++) {
		snprintf(pat, sizeof(pat), "A%02d", i);
		add(&r, pat, "");
	}
	add(&r, "ATTACK", "!");
	ck_assert_str_eq(feed_cuts(&r, "xATTACKxA07", one, 1), "x!x");
	/* decided as soon as the bytes rule out every earlier pattern */
	rw_rules_init(&r);
	add(&r, "ATTACKER", "1");
	add(&r, "AT", "<at>");
	rw_stream_init(&st);
	ck_assert_int_eq(rw_feed(&r, &st, (const uint8_t *)"ATTACKEX", 8, out, 64, &ol), 1);
	ck_assert_uint_eq(ol, 10);
	ck_assert_mem_eq(out, "<at>TACKEX", 10);
	ck_assert_uint_eq(rw_carried(&st), 0);
	ck_assert_int_eq(rw_feed(&r, &st, (const uint8_t *)"xATTACKE", 8, out, 64, &ol), 0);
	ck_assert_uint_eq(ol, 1);
	ck_assert_uint_eq(rw_carried(&st), 7);
}
END_TEST

START_TEST(test_rw_feed_no_rules_passes_everything)
{
	static struct rw_rules r;
	size_t one[1] = {3};

	rw_rules_init(&r);
	ck_assert_str_eq(feed_cuts(&r, "ATTACK", one, 1), "ATTACK");
}
END_TEST

/* ---- random against the reference ----------------------------------------------------------- */

START_TEST(test_rw_feed_random_mask_matches_reference)
{
	static struct rw_rules r;
	uint64_t occ = 0;

	rng_state = 0x9e3779b97f4a7c15ull;
	rw_rules_init(&r);
	add(&r, "ATTACK", "XXXXXX");
	check_random(&r, 1200, 4000, false, &occ);
	ck_assert_uint_gt(occ, 20000);
}
END_TEST

START_TEST(test_rw_feed_random_remove_matches_reference)
{
	static struct rw_rules r;
	uint64_t occ = 0;

	rng_state = 0x1234567887654321ull;
	rw_rules_init(&r);
	add(&r, "ATTACK", "");
	check_random(&r, 1200, 4000, false, &occ);
	ck_assert_uint_gt(occ, 20000);
}
END_TEST

START_TEST(test_rw_feed_random_replace60_matches_reference)
{
	static struct rw_rules r;
	uint64_t occ = 0;

	rng_state = 0xdeadbeefcafef00dull;
	rw_rules_init(&r);
	add(&r, "ATTACK", (const char *)rep60);
	ck_assert_uint_gt(check_random(&r, 2000, 4000, true, &occ), 0); /* bypass exercised */
	ck_assert_uint_gt(occ, 20000);
}
END_TEST

START_TEST(test_rw_feed_random_several_rules_match_reference)
{
	static struct rw_rules r;
	uint64_t occ = 0;

	rng_state = 0x0badc0ffee0ddf00ull;
	rw_rules_init(&r);
	add(&r, "ATTACKER", "[attack]");
	add(&r, "ATTACK", "XXXXXX");
	add(&r, "TACKLE", "");
	add(&r, "ATTA", "a");
	add(&r, "CK", "ck");
	add(&r, "XX", "");
	check_random(&r, 1200, 3000, false, &occ);
	ck_assert_uint_gt(occ, 20000);
}
END_TEST

/* A 64-byte pattern (and its prefixes planted): the carry must decide with 63 bytes ahead. */
START_TEST(test_rw_feed_random_longest_pattern_matches_reference)
{
	static struct rw_rules r;
	static uint8_t in[6000], ref[6000];
	static const char word[] =
	    "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789ABCDE!";
	uint64_t occ_total = 0;

	ck_assert_uint_eq(strlen(word), RW_PAT_MAX);
	rng_state = 0xabcdef0123456789ull;
	rw_rules_init(&r);
	add(&r, word, "................................................................");
	for (int i = 0; i < 600; i++) {
		size_t len = rnd_below(sizeof(in) + 1), rlen;
		struct run res;
		uint32_t occ;

		for (size_t j = 0; j < len; j++)
			in[j] = (uint8_t) "0123456789abcdef"[rnd_below(16)];
		for (size_t w = 0; len >= RW_PAT_MAX && w < 1 + len / 200; w++) {
			size_t at = rnd_below(len - RW_PAT_MAX + 1);

			memcpy(in + at, word,
			       rnd_below(3) == 0 ? RW_PAT_MAX - rnd_below(4) : RW_PAT_MAX);
		}
		run_stream(&r, in, len, i % SEG_MODES, (i / SEG_MODES) % CAP_MODES, &res);
		REQUIRE(res.enospc == 0 && res.max_carried <= 2 * (RW_PAT_MAX - 1));
		rlen = ref_transform(&r, in, len, len, ref, &occ);
		REQUIRE(res.olen == rlen && memcmp(res.out, ref, rlen) == 0 && res.occ == occ);
		occ_total += occ;
		free(res.out);
	}
	ck_assert_uint_gt(occ_total, 1000);
}
END_TEST

/* Random rule sets over {A, B} (prefixes, overlaps, 1-byte patterns, growth up to 256x). */
START_TEST(test_rw_feed_random_rule_sets_match_reference)
{
	static struct rw_rules r;
	uint32_t enospc = 0;

	rng_state = 0x5eed5eed5eed5eedull;
	for (int set = 0; set < 200; set++) {
		int n = 1 + (int)rnd_below(RW_RULES_MAX);
		bool grows = false;

		rw_rules_init(&r);
		for (int k = 0; k < n; k++) {
			uint8_t pat[RW_PAT_MAX], rep[RW_REP_MAX];
			size_t pl =
			    rnd_below(4) == 0 ? 1 + rnd_below(RW_PAT_MAX) : 1 + rnd_below(6);
			size_t rl =
			    rnd_below(3) == 0 ? rnd_below(RW_REP_MAX + 1) : rnd_below(pl + 1);

			for (size_t i = 0; i < pl; i++)
				pat[i] = rnd_below(5) == 0 ? 'B' : 'A';
			for (size_t i = 0; i < rl; i++)
				rep[i] = (uint8_t)('a' + k);
			if (rw_rules_add(&r, pat, pl, rep, rl) == 0 && rl > pl)
				grows = true;
		}
		/* the reference streams of gen_stream() hold few A/B runs: use {A, B, c} here */
		{
			uint8_t in[3000], *ref = malloc(out_bound(&r, sizeof(in)));
			struct run res;
			uint32_t occ;

			ck_assert_ptr_nonnull(ref);
			for (int i = 0; i < 24; i++) {
				size_t len = rnd_below(sizeof(in) + 1), rlen;

				for (size_t j = 0; j < len; j++)
					in[j] = "AAAABBc"[rnd_below(7)];
				run_stream(&r, in, len, i % SEG_MODES, (i / SEG_MODES) % CAP_MODES,
					   &res);
				if (!grows)
					REQUIRE(res.enospc == 0 &&
						res.max_carried <= 2 * (r.max_pat - 1));
				enospc += res.enospc;
				rlen = ref_transform(&r, in, len, (size_t)res.stop, ref, &occ);
				REQUIRE(res.olen == rlen && memcmp(res.out, ref, rlen) == 0);
				REQUIRE(res.occ == occ);
				free(res.out);
			}
			free(ref);
		}
	}
	ck_assert_uint_gt(enospc, 0); /* the bypass path was exercised */
}
END_TEST

/* ---- bounds --------------------------------------------------------------------------------- */

START_TEST(test_rw_feed_enospc_changes_nothing_then_bypass)
{
	static struct rw_rules r;
	static uint8_t in[1448 * 8], out[sizeof(in) * 10], ref[sizeof(in) * 10];
	struct rw_stream st, snap;
	size_t ol, o = 0;
	uint32_t occ;
	int rc, occ_total = 0;

	rw_rules_init(&r);
	add(&r, "ATTACK", (const char *)rep60);
	/* one occurrence per full-size packet: +54 bytes each, absorbed by the carry a while */
	memset(in, '.', sizeof(in));
	for (size_t p = 0; p < 8; p++)
		memcpy(in + p * 1448 + 700, "ATTACK", 6);
	rw_stream_init(&st);
	for (size_t p = 0; p < 8; p++) {
		snap = st;
		rc = rw_feed(&r, &st, in + p * 1448, 1448, out + o, 1448, &ol);
		if (rc == -ENOSPC) {
			ck_assert_mem_eq(&snap, &st, sizeof(st));
			ck_assert_uint_eq(p, 2); /* 2 * 54 fit in RW_CARRY_MAX, 3 * 54 do not */
			rw_bypass(&r, &st);
			ck_assert(rw_is_bypassed(&st));
			rw_bypass(&r, &st); /* idempotent */
			rc = rw_feed(&r, &st, in + p * 1448, 1448, out + o, 1448, &ol);
		}
		ck_assert_int_ge(rc, 0);
		ck_assert_uint_eq(ol, 1448);
		occ_total += rc;
		o += ol;
	}
	ck_assert_int_eq(rw_flush(&r, &st, out + o, sizeof(out) - o, &ol), 0);
	o += ol;
	ck_assert_uint_eq(rw_bypass_offset(&st), 2 * 1448 - 2 * 54);
	ck_assert_uint_eq(ref_transform(&r, in, sizeof(in), rw_bypass_offset(&st), ref, &occ), o);
	ck_assert_mem_eq(out, ref, o);
	ck_assert_int_eq(occ_total, 2);
	ck_assert_uint_eq(occ, 2);

	/* a packet full of occurrences: no room at all, bypassed from the start */
	for (size_t i = 0; i + 6 <= 1448; i += 6)
		memcpy(in + i, "ATTACK", 6);
	rw_stream_init(&st);
	ck_assert_int_eq(rw_feed(&r, &st, in, 1448, out, 1448, &ol), -ENOSPC);
	ck_assert_uint_eq(ol, 0);
	ck_assert_uint_eq(rw_carried(&st), 0);
	ck_assert_uint_eq(rw_stream_offset(&st), 0);
	rw_bypass(&r, &st);
	ck_assert_int_eq(rw_feed(&r, &st, in, 1448, out, 1448, &ol), 0);
	ck_assert_uint_eq(ol, 1448);
	ck_assert_mem_eq(out, in, 1448);
}
END_TEST

/* A replacement begun in one packet completes after rw_bypass(); the carry stays bounded. */
START_TEST(test_rw_bypass_completes_begun_replacement)
{
	static struct rw_rules r;
	static uint8_t in[4096], out[1 << 16], ref[1 << 16], rep[RW_REP_MAX];
	bool begun_seen = false;

	for (size_t i = 0; i < sizeof(rep); i++)
		rep[i] = (uint8_t)('a' + i % 26);
	rw_rules_init(&r);
	ck_assert_int_eq(rw_rules_add(&r, (const uint8_t *)"A", 1, rep, sizeof(rep)), 0);
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = i % 97 == 5 ? 'A' : 'b';
	for (rng_state = 77; rng_state < 77 + 64 && !begun_seen; rng_state++) {
		struct rw_stream st;
		size_t ol, o = 0, off = 0;
		uint64_t seed = rng_state;
		uint32_t occ;
		int rc;

		rw_stream_init(&st);
		while (off < sizeof(in)) {
			size_t seg = 1 + rnd_below(200);

			seg = seg < sizeof(in) - off ? seg : sizeof(in) - off;
			rc = rw_feed(&r, &st, in + off, seg, out + o, seg, &ol);
			if (rc == -ENOSPC) {
				uint64_t want = st.in_off + (st.rep_off > 0 ? 1 : 0);

				begun_seen |= st.rep_off > 0;
				rw_bypass(&r, &st);
				ck_assert_uint_eq(rw_bypass_offset(&st), want);
				rc = rw_feed(&r, &st, in + off, seg, out + o, seg, &ol);
			}
			ck_assert_int_ge(rc, 0);
			ck_assert_uint_le(rw_carried(&st), RW_STREAM_BUF - 1);
			o += ol;
			off += seg;
		}
		ck_assert(rw_is_bypassed(&st));
		ck_assert_int_ge(rw_flush(&r, &st, out + o, sizeof(out) - o, &ol), 0);
		ck_assert_uint_eq(rw_carried(&st), 0);
		o += ol;
		ck_assert_uint_eq(
		    ref_transform(&r, in, sizeof(in), rw_bypass_offset(&st), ref, &occ), o);
		ck_assert_mem_eq(out, ref, o);
		rng_state = seed;
	}
	ck_assert(begun_seen);
}
END_TEST

/* Few carried input bytes may stand for much output: bounded by RW_OUT_MAX. */
START_TEST(test_rw_feed_output_bound)
{
	static struct rw_rules r;
	static uint8_t rep[RW_REP_MAX];
	struct rw_stream st, snap;
	uint8_t out[8];
	size_t ol;

	memset(rep, '#', sizeof(rep));
	rw_rules_init(&r);
	ck_assert_int_eq(rw_rules_add(&r, (const uint8_t *)"A", 1, rep, sizeof(rep)), 0);
	rw_stream_init(&st);
	/* "xA": x and 3 bytes of the replacement out; 253 carried as output of 1 input byte */
	ck_assert_int_eq(rw_feed(&r, &st, (const uint8_t *)"xA", 2, out, 4, &ol), 1);
	ck_assert_uint_eq(ol, 4);
	ck_assert_uint_eq(rw_carried(&st), 1);
	/* "A": 1 more byte out, 252 + 256 = 508 carried: fits */
	ck_assert_int_eq(rw_feed(&r, &st, (const uint8_t *)"A", 1, out, 1, &ol), 0);
	ck_assert_uint_eq(rw_carried(&st), 2);
	/* "y": 1 byte out, 251 + 256 + 1 carried: fits; "A" then: 250 + 256 + 1 + 256 > 512 */
	ck_assert_int_eq(rw_feed(&r, &st, (const uint8_t *)"y", 1, out, 1, &ol), 0);
	snap = st;
	ck_assert_int_eq(rw_feed(&r, &st, (const uint8_t *)"A", 1, out, 1, &ol), -ENOSPC);
	ck_assert_mem_eq(&snap, &st, sizeof(st));
	/* exactly RW_OUT_MAX carried output fits, one byte more does not */
	{
		struct rw_stream e;

		rw_stream_init(&e);
		ck_assert_int_eq(rw_feed(&r, &e, (const uint8_t *)"AA", 2, out, 0, &ol), 0);
		ck_assert_uint_eq(rw_carried(&e), 2); /* 2 * 256 = RW_OUT_MAX */
		snap = e;
		ck_assert_int_eq(rw_feed(&r, &e, (const uint8_t *)"y", 1, out, 0, &ol), -ENOSPC);
		ck_assert_mem_eq(&snap, &e, sizeof(e));
	}
	/* with room, it drains */
	{
		static uint8_t big[2048];

		ck_assert_int_eq(
		    rw_feed(&r, &st, (const uint8_t *)"A", 1, big, sizeof(big), &ol),
		    2); /* the carried "A" and this one; the first was counted when begun */
		ck_assert_uint_eq(ol, 251 + 256 + 1 + 256);
		ck_assert_uint_eq(rw_carried(&st), 0);
	}
}
END_TEST

/* Flushes are partial and resumable, down to 1-byte budgets. */
START_TEST(test_rw_flush_partial_resumes)
{
	static struct rw_rules r;
	struct rw_stream st;
	uint8_t out[1024], got[1024];
	size_t ol, g = 0;
	int rc, occ = 0;

	rw_rules_init(&r);
	add(&r, "ATTACKER", "1");
	add(&r, "AT", "<at>");
	rw_stream_init(&st);
	/* "ATTACKE" stays undecided (ATTACKER might follow) */
	ck_assert_int_eq(rw_feed(&r, &st, (const uint8_t *)"ATTACKE", 7, out, 7, &ol), 0);
	ck_assert_uint_eq(ol, 0);
	ck_assert_uint_eq(rw_carried(&st), 7);
	do {
		rc = rw_flush(&r, &st, got + g, 1, &ol);
		ck_assert_int_ge(rc, 0);
		ck_assert_uint_eq(ol, 1);
		g += ol;
		occ += rc;
	} while (rw_carried(&st) > 0);
	ck_assert_int_eq(occ, 1); /* counted once, in the call that began it */
	ck_assert_uint_eq(g, 9);
	ck_assert_mem_eq(got, "<at>TACKE", 9);
	ck_assert_int_eq(rw_flush(&r, &st, NULL, 0, &ol), 0); /* empty: nothing to do */
	ck_assert_uint_eq(ol, 0);
}
END_TEST

/* A copy of a state is an independent fork of the stream. */
START_TEST(test_rw_stream_copy_forks)
{
	static struct rw_rules r;
	struct rw_stream a, b;
	uint8_t oa[64], ob[64];
	size_t la, lb;

	rw_rules_init(&r);
	add(&r, "ATTACK", "!");
	rw_stream_init(&a);
	ck_assert_int_eq(rw_feed(&r, &a, (const uint8_t *)"zzATTA", 6, oa, 6, &la), 0);
	memcpy(&b, &a, sizeof(a));
	ck_assert_int_eq(rw_feed(&r, &a, (const uint8_t *)"CK", 2, oa, 2, &la), 1);
	ck_assert_int_eq(rw_feed(&r, &b, (const uint8_t *)"XX", 2, ob, 8, &lb), 0);
	ck_assert_uint_eq(la, 1);
	ck_assert_mem_eq(oa, "!", 1);
	ck_assert_uint_eq(lb, 6);
	ck_assert_mem_eq(ob, "ATTAXX", 6);
}
END_TEST

START_TEST(test_rw_feed_bad_arguments)
{
	static struct rw_rules r;
	struct rw_stream st;
	uint8_t out[16];
	size_t ol = 99;

	rw_rules_init(&r);
	add(&r, "ATTACK", "X");
	rw_stream_init(&st);
	ck_assert_int_eq(rw_feed(&r, &st, NULL, 1, out, 16, &ol), -EINVAL);
	ck_assert_uint_eq(ol, 0);
	ck_assert_int_eq(rw_feed(&r, &st, (const uint8_t *)"a", 1, NULL, 16, &ol), -EINVAL);
	ck_assert_int_eq(rw_feed(&r, &st, (const uint8_t *)"a", 1, out, 16, NULL), -EINVAL);
	ck_assert_int_eq(rw_feed(&r, &st, NULL, 0, NULL, 0, &ol), 0);
	st.len = RW_CARRY_MAX + 1; /* corrupt: more than a stream not bypassed carries */
	ck_assert_int_eq(rw_feed(&r, &st, (const uint8_t *)"a", 1, out, 16, &ol), -EINVAL);
	ck_assert_int_eq(rw_flush(&r, &st, out, 16, &ol), -EINVAL);
	rw_stream_init(&st);
	st.len = 6;
	st.rep_off = 1;
	st.rep_rule = 3; /* no such rule */
	ck_assert_int_eq(rw_feed(&r, &st, (const uint8_t *)"a", 1, out, 16, &ol), -EINVAL);
	st.rep_rule = 0; /* rep_off must be below the replacement's length (1) */
	ck_assert_int_eq(rw_feed(&r, &st, (const uint8_t *)"a", 1, out, 16, &ol), -EINVAL);
	ck_assert_uint_eq(rw_bypass_offset(&st), UINT64_MAX);
}
END_TEST

static Suite *rw_engine_suite(void)
{
	Suite *s = suite_create("rw_engine");
	TCase *tr = tcase_create("rules");
	TCase *te = tcase_create("exact");
	TCase *tx = tcase_create("random");
	TCase *tb = tcase_create("bounds");

	tcase_add_test(tr, test_rw_rules_add_limits);
	tcase_add_test(tr, test_rw_rules_parse_option_forms);
	suite_add_tcase(s, tr);
	tcase_add_test(te, test_rw_feed_word_split_every_boundary);
	tcase_add_test(te, test_rw_feed_carries_prefix_until_decided);
	tcase_add_test(te, test_rw_feed_priority_by_rule_order);
	tcase_add_test(te, test_rw_feed_sixteenth_rule_and_undecided_minimal);
	tcase_add_test(te, test_rw_feed_no_rules_passes_everything);
	suite_add_tcase(s, te);
	tcase_add_test(tx, test_rw_feed_random_mask_matches_reference);
	tcase_add_test(tx, test_rw_feed_random_remove_matches_reference);
	tcase_add_test(tx, test_rw_feed_random_replace60_matches_reference);
	tcase_add_test(tx, test_rw_feed_random_several_rules_match_reference);
	tcase_add_test(tx, test_rw_feed_random_longest_pattern_matches_reference);
	tcase_add_test(tx, test_rw_feed_random_rule_sets_match_reference);
	suite_add_tcase(s, tx);
	tcase_add_test(tb, test_rw_feed_enospc_changes_nothing_then_bypass);
	tcase_add_test(tb, test_rw_bypass_completes_begun_replacement);
	tcase_add_test(tb, test_rw_feed_output_bound);
	tcase_add_test(tb, test_rw_flush_partial_resumes);
	tcase_add_test(tb, test_rw_stream_copy_forks);
	tcase_add_test(tb, test_rw_feed_bad_arguments);
	suite_add_tcase(s, tb);
	return s;
}

int main(void)
{
	return fs_check_run(rw_engine_suite());
}
