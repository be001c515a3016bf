/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rw_engine.c — streaming leftmost-first literal rewriter (see rw_engine.h for the contract).
 *
 * One walk does everything: it goes over a contiguous view of the stream position by position,
 * deciding at each one "raw byte", "occurrence of rule k" or "cannot tell yet", and writes the
 * output until the budget is full. rw_feed() walks twice: first over the carried bytes joined
 * with the first RW_PAT_MAX - 1 bytes of the input (a small stack copy: enough look-ahead to
 * decide every carried position), then over the input in place. What remains from the position
 * where it stopped is the new carry; before committing it, the bounds are checked (a third,
 * counting-only walk over the carry gives the output it will produce).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rw_engine.h"

_Static_assert(sizeof(struct rw_stream) == 408, "the size documented in rw_engine.h");

enum rw_decision {
	RW_DEC_RAW,	  /* no rule's pattern occurs here: the byte passes */
	RW_DEC_MATCH,	  /* the highest-priority rule occurring here is known */
	RW_DEC_UNDECIDED, /* a higher-priority pattern may still occur: need more bytes */
};

enum rw_stop {
	RW_STOP_END,	   /* every position before the limit is done */
	RW_STOP_FULL,	   /* the output budget is full */
	RW_STOP_UNDECIDED, /* a position needs bytes beyond the view */
};

/* One pass over a contiguous view of the stream. */
struct rw_walk {
	const struct rw_rules *r;
	uint8_t *out; /* NULL: count only */
	size_t cap;
	size_t olen;
	uint64_t base;	   /* stream offset of the view's first byte */
	uint64_t raw_from; /* stream offset from which bytes pass unchanged (bypass) */
	uint32_t occ;	   /* occurrences begun */
	uint16_t rep_off;  /* replacement in progress at the current position: bytes out */
	uint8_t rep_rule;
	bool eos; /* the view ends where the stream ends */
};

/* ---- rules ---------------------------------------------------------------------------------- */

void rw_rules_init(struct rw_rules *r)
{
	memset(r, 0, sizeof(*r));
	r->single_first = -1;
}

int rw_rules_add(struct rw_rules *r, const uint8_t *pat, size_t patlen, const uint8_t *rep,
		 size_t replen)
{
	uint32_t k = r->n;

	if (patlen == 0 || patlen > RW_PAT_MAX || replen > RW_REP_MAX || pat == NULL ||
	    (rep == NULL && replen > 0))
		return -EINVAL;
	for (uint32_t i = 0; i < r->n; i++)
		if (r->pat_len[i] == patlen && memcmp(r->pat[i], pat, patlen) == 0)
			return -EEXIST;
	if (k >= RW_RULES_MAX)
		return -ENOSPC;
	memcpy(r->pat[k], pat, patlen);
	if (replen > 0)
		memcpy(r->rep[k], rep, replen);
	r->pat_len[k] = (uint8_t)patlen;
	r->rep_len[k] = (uint16_t)replen;
	r->first[pat[0]] |= (uint16_t)(1u << k);
	for (unsigned int b = 0; b < 256; b++) /* a 1-byte pattern accepts any second byte */
		if (patlen == 1 || b == pat[1])
			r->second[b] |= (uint16_t)(1u << k);
	if (k == 0)
		r->single_first = pat[0];
	else if (r->single_first != pat[0])
		r->single_first = -1;
	if (patlen > r->max_pat)
		r->max_pat = (uint32_t)patlen;
	r->n = k + 1;
	return 0;
}

static int opt_fail(char *err, size_t errlen, int rc, const char *opt, const char *arg,
		    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int opt_fail(char *err, size_t errlen, int rc, const char *opt, const char *arg,
		    const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err == NULL || errlen == 0)
		return rc;
	n = snprintf(err, errlen, "%s %s: ", opt, arg);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Unescapes s[0..slen) into buf (cap bytes). 0 and *len; -EINVAL with *what = the reason for a
 * bad escape; -E2BIG when the result is longer than cap.
 */
static int unescape(const char *s, size_t slen, uint8_t *buf, size_t cap, size_t *len,
		    const char **what)
{
	size_t n = 0;

	for (size_t i = 0; i < slen; i++) {
		uint8_t c = (uint8_t)s[i];

		if (c == '\\') {
			int hi, lo;

			if (++i >= slen) {
				*what = "backslash at the end";
				return -EINVAL;
			}
			switch (s[i]) {
			case '\\':
			case '=':
				c = (uint8_t)s[i];
				break;
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case 'x':
				if (i + 2 >= slen || (hi = hex_digit(s[i + 1])) < 0 ||
				    (lo = hex_digit(s[i + 2])) < 0) {
					*what = "\\x needs two hex digits";
					return -EINVAL;
				}
				c = (uint8_t)(hi << 4 | lo);
				i += 2;
				break;
			default:
				*what = "unknown escape (use \\\\ \\= \\n \\r \\t \\xHH)";
				return -EINVAL;
			}
		}
		if (n == cap)
			return -E2BIG;
		buf[n++] = c;
	}
	*len = n;
	return 0;
}

/* Position of the first '=' of s that is not escaped, or NULL. */
static const char *unescaped_eq(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0')
			s++;
		else if (*s == '=')
			return s;
	}
	return NULL;
}

int rw_rules_parse_option(struct rw_rules *r, const char *opt, const char *arg, char *err,
			  size_t errlen)
{
	uint8_t pat[RW_PAT_MAX], rep[RW_REP_MAX];
	size_t patlen, replen = 0, wordlen;
	const char *eq = NULL, *what = NULL;
	bool mask = strcmp(opt, "--mask") == 0, replace = strcmp(opt, "--replace") == 0;
	int rc;

	if (!mask && !replace && strcmp(opt, "--remove") != 0)
		return -ENOENT;
	if (arg == NULL)
		return opt_fail(err, errlen, -EINVAL, opt, "", "missing argument");
	wordlen = strlen(arg);
	if (replace) {
		eq = unescaped_eq(arg);
		if (eq == NULL)
			return opt_fail(err, errlen, -EINVAL, opt, arg, "expected WORD=STRING");
		wordlen = (size_t)(eq - arg);
	}
	rc = unescape(arg, wordlen, pat, sizeof(pat), &patlen, &what);
	if (rc == -E2BIG)
		return opt_fail(err, errlen, -EINVAL, opt, arg, "WORD longer than %d bytes",
				RW_PAT_MAX);
	if (rc < 0)
		return opt_fail(err, errlen, rc, opt, arg, "%s", what);
	if (patlen == 0)
		return opt_fail(err, errlen, -EINVAL, opt, arg, "empty WORD");
	if (replace) {
		rc = unescape(eq + 1, strlen(eq + 1), rep, sizeof(rep), &replen, &what);
		if (rc == -E2BIG)
			return opt_fail(err, errlen, -EINVAL, opt, arg,
					"STRING longer than %d bytes", RW_REP_MAX);
		if (rc < 0)
			return opt_fail(err, errlen, rc, opt, arg, "%s", what);
	} else if (mask) {
		memset(rep, RW_MASK_CHAR, patlen);
		replen = patlen;
	}
	rc = rw_rules_add(r, pat, patlen, rep, replen);
	if (rc == -EEXIST)
		return opt_fail(err, errlen, rc, opt, arg, "WORD already has a rule");
	if (rc == -ENOSPC)
		return opt_fail(err, errlen, rc, opt, arg, "more than %d rules", RW_RULES_MAX);
	if (rc < 0)
		return opt_fail(err, errlen, rc, opt, arg, "invalid rule");
	return 0;
}

/* ---- matcher -------------------------------------------------------------------------------- */

/* Whether a pattern may start at v[p], judging by its first two bytes (the first alone at the
 * end of the view). */
static inline bool may_start(const struct rw_rules *r, const uint8_t *v, size_t p, size_t vlen)
{
	uint32_t m = r->first[v[p]];

	return m != 0 && (p + 1 >= vlen || (m & r->second[v[p + 1]]) != 0);
}

/* First position in [p, end) where a pattern may start (view of vlen bytes), or end. */
static size_t next_candidate(const struct rw_rules *r, const uint8_t *v, size_t p, size_t end,
			     size_t vlen)
{
	const uint16_t *f = r->first;

	if (r->single_first >= 0) {
		while (p < end) {
			const uint8_t *c = memchr(v + p, r->single_first, end - p);

			if (c == NULL)
				return end;
			p = (size_t)(c - v);
			if (may_start(r, v, p, vlen))
				return p;
			p++;
		}
		return end;
	}
	if (r->n == 0)
		return end;
	while (p < end) {
		while (p + 4 <= end && (f[v[p]] | f[v[p + 1]] | f[v[p + 2]] | f[v[p + 3]]) == 0)
			p += 4;
		for (size_t stop = p + 4 < end ? p + 4 : end; p < stop; p++)
			if (may_start(r, v, p, vlen))
				return p;
	}
	return end;
}

/* What happens at s (avail >= 1 bytes of view from there; eos: the stream ends with them). */
static enum rw_decision decide(const struct rw_rules *r, const uint8_t *s, size_t avail, bool eos,
			       uint8_t *rule)
{
	uint32_t mask = r->first[s[0]];

	while (mask != 0) {
		unsigned int k = (unsigned int)__builtin_ctz(mask);
		size_t len = r->pat_len[k];

		mask &= mask - 1;
		if (avail >= len) {
			if (memcmp(s + 1, r->pat[k] + 1, len - 1) == 0) {
				*rule = (uint8_t)k;
				return RW_DEC_MATCH;
			}
		} else if (!eos && memcmp(s + 1, r->pat[k] + 1, avail - 1) == 0) {
			return RW_DEC_UNDECIDED;
		}
	}
	return RW_DEC_RAW;
}

/* ---- walk ----------------------------------------------------------------------------------- */

static void walk_init(struct rw_walk *w, const struct rw_rules *r, const struct rw_stream *st,
		      uint8_t *out, size_t cap, bool eos)
{
	memset(w, 0, sizeof(*w));
	w->r = r;
	w->out = out;
	w->cap = cap;
	w->base = st->in_off;
	w->raw_from = st->bypass ? st->bypass_from : UINT64_MAX;
	w->rep_off = st->rep_off;
	w->rep_rule = st->rep_rule;
	w->eos = eos;
}

static void emit(struct rw_walk *w, const uint8_t *src, size_t n)
{
	if (w->out != NULL && n > 0)
		memcpy(w->out + w->olen, src, n);
	w->olen += n;
}

/*
 * Writes the rest of the replacement in progress at *p (as much as fits). True when it is all
 * out (*p then moves past the occurrence), false when the budget cut it.
 */
static bool continue_rep(struct rw_walk *w, size_t *p)
{
	size_t rl = w->r->rep_len[w->rep_rule], room = w->cap - w->olen;
	size_t n = rl - w->rep_off < room ? rl - w->rep_off : room;

	emit(w, w->r->rep[w->rep_rule] + w->rep_off, n);
	w->rep_off = (uint16_t)(w->rep_off + n);
	if (w->rep_off < rl)
		return false;
	*p += w->r->pat_len[w->rep_rule];
	w->rep_off = 0;
	return true;
}

/* End (exclusive) of the positions of [p, limit) still under the rules. */
static size_t rules_end(const struct rw_walk *w, size_t limit)
{
	if (w->raw_from <= w->base)
		return 0;
	return w->raw_from - w->base < limit ? (size_t)(w->raw_from - w->base) : limit;
}

/*
 * True when an occurrence whose replacement is empty starts at p: with the budget full it can
 * still be consumed (it writes nothing), which the walk then does.
 */
static bool removal_at(const struct rw_walk *w, const uint8_t *v, size_t vlen, size_t p,
		       size_t rend)
{
	uint8_t k;

	return p < rend && w->r->first[v[p]] != 0 &&
	       decide(w->r, v + p, vlen - p, w->eos, &k) == RW_DEC_MATCH && w->r->rep_len[k] == 0;
}

/*
 * Decides and writes positions *p.. of the view v (vlen bytes) while they are below limit
 * (an occurrence may end beyond it, within the view). *p: where it stopped.
 */
static enum rw_stop walk(struct rw_walk *w, const uint8_t *v, size_t vlen, size_t *pos,
			 size_t limit)
{
	size_t p = *pos, rend = rules_end(w, limit);
	enum rw_stop stop = RW_STOP_END;

	if (w->rep_off > 0 && !continue_rep(w, &p)) {
		*pos = p;
		return RW_STOP_FULL;
	}
	while (p < limit) {
		size_t room = w->cap - w->olen, q, n;

		if (room == 0 && !removal_at(w, v, vlen, p, rend)) {
			stop = RW_STOP_FULL;
			break;
		}
		q = p < rend ? next_candidate(w->r, v, p, rend, vlen) : limit;
		if (q > p) { /* a run of raw bytes */
			n = q - p < room ? q - p : room;
			emit(w, v + p, n);
			p += n;
			continue;
		}
		switch (decide(w->r, v + p, vlen - p, w->eos, &w->rep_rule)) {
		case RW_DEC_RAW:
			emit(w, v + p, 1);
			p++;
			break;
		case RW_DEC_MATCH:
			w->occ++;
			w->rep_off = 0;
			if (!continue_rep(w, &p)) {
				*pos = p;
				return RW_STOP_FULL;
			}
			break;
		case RW_DEC_UNDECIDED:
			*pos = p;
			return RW_STOP_UNDECIDED;
		}
	}
	*pos = p;
	return stop;
}

/* ---- streams -------------------------------------------------------------------------------- */

void rw_stream_init(struct rw_stream *st)
{
	memset(st, 0, sizeof(*st));
}

static bool state_ok(const struct rw_rules *r, const struct rw_stream *st)
{
	if (st->bypass > 1 || st->len > (st->bypass ? RW_STREAM_BUF : RW_CARRY_MAX))
		return false;
	if (st->rep_off == 0)
		return true;
	return st->rep_rule < r->n && st->rep_off < r->rep_len[st->rep_rule] &&
	       st->len >= r->pat_len[st->rep_rule];
}

/*
 * Output bytes the carry `pend` (n bytes at stream offset base, after the walk `done`) produces
 * before it needs more input, counted up to RW_OUT_MAX + 1.
 */
static size_t carry_output(const struct rw_walk *done, const uint8_t *pend, size_t n, uint64_t base)
{
	struct rw_walk w = *done;
	size_t p = 0;

	w.out = NULL;
	w.cap = RW_OUT_MAX + 1;
	w.olen = 0;
	w.base = base;
	walk(&w, pend, n, &p, n);
	return w.olen;
}

int rw_feed(const struct rw_rules *r, struct rw_stream *st, const uint8_t *in, size_t inlen,
	    uint8_t *out, size_t outcap, size_t *outlen)
{
	uint8_t join[RW_STREAM_BUF + RW_PAT_MAX - 1], pend[RW_STREAM_BUF];
	size_t n = st->len, p = 0, q = 0, pend_len, consumed;
	enum rw_stop stop = RW_STOP_END;
	struct rw_walk w;

	if (outlen == NULL)
		return -EINVAL;
	*outlen = 0;
	if ((in == NULL && inlen > 0) || (out == NULL && outcap > 0) || !state_ok(r, st))
		return -EINVAL;
	walk_init(&w, r, st, out, outcap, false);
	if (n > 0) { /* the carry, with enough input to decide each of its positions */
		size_t head = inlen < RW_PAT_MAX - 1 ? inlen : RW_PAT_MAX - 1;

		memcpy(join, st->buf, n);
		if (head > 0)
			memcpy(join + n, in, head);
		stop = walk(&w, join, n + head, &p, n);
	}
	if (stop == RW_STOP_END) { /* the input in place */
		q = p - n;
		w.base = st->in_off + n;
		stop = walk(&w, in, inlen, &q, inlen);
		pend_len = inlen - q;
		consumed = n + q;
	} else {
		pend_len = n - p + inlen;
		consumed = p;
	}
	if (pend_len > (st->bypass ? RW_STREAM_BUF : RW_CARRY_MAX))
		return -ENOSPC;
	if (consumed <= n) {
		memcpy(pend, st->buf + consumed, n - consumed);
		if (inlen > 0)
			memcpy(pend + n - consumed, in, inlen);
	} else if (pend_len > 0) {
		memcpy(pend, in + (consumed - n), pend_len);
	}
	if (!st->bypass && stop == RW_STOP_FULL &&
	    carry_output(&w, pend, pend_len, st->in_off + consumed) > RW_OUT_MAX)
		return -ENOSPC;
	memcpy(st->buf, pend, pend_len);
	st->len = (uint16_t)pend_len;
	st->in_off += consumed;
	st->rep_off = w.rep_off;
	st->rep_rule = w.rep_off > 0 ? w.rep_rule : 0;
	*outlen = w.olen;
	return (int)w.occ;
}

int rw_flush(const struct rw_rules *r, struct rw_stream *st, uint8_t *out, size_t outcap,
	     size_t *outlen)
{
	struct rw_walk w;
	size_t p = 0;

	if (outlen == NULL)
		return -EINVAL;
	*outlen = 0;
	if ((out == NULL && outcap > 0) || !state_ok(r, st))
		return -EINVAL;
	walk_init(&w, r, st, out, outcap, true);
	walk(&w, st->buf, st->len, &p, st->len);
	memmove(st->buf, st->buf + p, st->len - p);
	st->len = (uint16_t)(st->len - p);
	st->in_off += p;
	st->rep_off = w.rep_off;
	st->rep_rule = w.rep_off > 0 ? w.rep_rule : 0;
	*outlen = w.olen;
	return (int)w.occ;
}

void rw_bypass(const struct rw_rules *r, struct rw_stream *st)
{
	uint64_t from = st->in_off;

	if (st->bypass)
		return;
	if (st->rep_off > 0 && st->rep_rule < r->n)
		from += r->pat_len[st->rep_rule];
	st->bypass_from = from;
	st->bypass = 1;
}

bool rw_is_bypassed(const struct rw_stream *st)
{
	return st->bypass != 0;
}

uint64_t rw_bypass_offset(const struct rw_stream *st)
{
	return st->bypass ? st->bypass_from : UINT64_MAX;
}

size_t rw_carried(const struct rw_stream *st)
{
	return st->len;
}

uint64_t rw_stream_offset(const struct rw_stream *st)
{
	return st->in_off + st->len;
}

int rw_feed_fit(const struct rw_rules *r, struct rw_stream *st, const uint8_t *in, size_t inlen,
		uint8_t *out, size_t soft, size_t cap, size_t *outlen, bool *bypassed)
{
	int rc = rw_feed(r, st, in, inlen, out, soft, outlen);

	if (rc == -ENOSPC && cap > soft)
		rc = rw_feed(r, st, in, inlen, out, cap, outlen);
	if (rc == -ENOSPC) {
		rw_bypass(r, st);
		*bypassed = true;
		rc = rw_feed(r, st, in, inlen, out, cap, outlen);
	}
	return rc;
}
