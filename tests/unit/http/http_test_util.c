/* SPDX-License-Identifier: BSD-3-Clause */
/* http_test_util.c — shared helpers of the HTTP context's test suites (see http_test_util.h). */
#include "http_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* ---- the body transformer: the rewrite engine's adapter, as nfs/rewrite uses it -------------- */

const char rep60[61] = "<<<<<<<<<<<<<<<<<<<<<<<<<<<-redacted-by-rewrite->>>>>>>>>>>>";
_Static_assert(sizeof(rep60) == 61, "a 60-byte replacement");

struct rw_rules rules[3];
struct http_body_ops ops[3];

void setup_rules(void)
{
	for (int m = 0; m < 3; m++) {
		const char *rep = m == MASK ? "XXXXXX" : m == REMOVE ? "" : rep60;

		rw_rules_init(&rules[m]);
		ck_assert_int_eq(rw_rules_add(&rules[m], (const uint8_t *)"ATTACK", 6,
					      (const uint8_t *)rep, strlen(rep)),
				 0);
		ops[m] = rw_http_body_ops(&rules[m]);
		ck_assert(ops[m].resizes == (m != MASK)); /* a mask keeps sizes */
	}
}

/* A new stream under the rules of mode m; returns the ctx for http_env.body. */
void *tx_init(struct tx *t, enum mode m)
{
	memset(t, 0, sizeof(*t));
	t->b = (struct rw_http_body){.rules = &rules[m], .st = &t->st};
	return &t->b;
}

/* The transform of a body (whole buffer) as text. */
size_t xf(enum mode m, const char *in, size_t len, char *out)
{
	size_t i = 0, o = 0;
	const char *rep = m == MASK ? "XXXXXX" : m == REMOVE ? "" : rep60;

	while (i < len) {
		if (len - i >= 6 && memcmp(in + i, "ATTACK", 6) == 0) {
			memcpy(out + o, rep, strlen(rep));
			o += strlen(rep);
			i += 6;
		} else {
			out[o++] = in[i++];
		}
	}
	return o;
}

/* ---- running a direction ------------------------------------------------------------------- */

/*
 * Feeds `in` cut at the given cut points (ncut of them, increasing), then finishes. The link is
 * copied so that each run starts from the same requests.
 */
void run_cuts(struct run *r, enum mode m, bool request, const struct http_cfg *cfg,
	      struct http_link *link, const char *in, size_t len, const size_t *cuts, size_t ncut)
{
	static uint8_t buf[BUF_MAX];
	size_t prev = 0, olen;

	memset(r, 0, sizeof(*r));
	http_dir_init(&r->h, request);
	tx_init(&r->tx, m);
	r->cfg = *cfg;
	r->env = (struct http_env){
	    .cfg = &r->cfg, .ops = &ops[m], .body = &r->tx.b, .link = link, .stats = &r->stats};
	for (size_t i = 0; i <= ncut; i++) {
		size_t end = i < ncut ? cuts[i] : len;
		size_t soft = end - prev > 1448 ? end - prev : 1448;

		REQUIRE(http_feed(&r->env, &r->h, (const uint8_t *)in + prev, end - prev, buf, soft,
				  end - prev + 600, &olen) == 0);
		REQUIRE(olen <= end - prev + 600 && r->outlen + olen <= BUF_MAX);
		memcpy(r->out + r->outlen, buf, olen);
		r->outlen += olen;
		prev = end;
	}
	REQUIRE(http_finish(&r->env, &r->h, buf, 4096, &olen) == 0);
	memcpy(r->out + r->outlen, buf, olen);
	r->outlen += olen;
	REQUIRE(r->stats.c[HTTP_STAT_ERRORS] == 0);
}

/*
 * Decodes a direction's output: heads verbatim, chunked bodies de-chunked (size lines and the
 * CRLFs after data removed; last-chunk and trailers verbatim), everything else verbatim. nobody:
 * responses (by index) that have no body (HEAD). Returns the decoded length.
 */
size_t decode(const char *in, size_t len, char *out, const bool *nobody, bool request)
{
	size_t i = 0, o = 0;
	int msg = 0;

	while (i < len) {
		const char *end = memmem(in + i, len - i, "\r\n\r\n", 4);
		size_t hl, cl = 0;
		bool chunked, has_cl, body;
		int status = 0;

		if (end == NULL)
			break;
		hl = (size_t)(end - (in + i)) + 4;
		memcpy(out + o, in + i, hl);
		o += hl;
		chunked = memmem(in + i, hl, "Transfer-Encoding: chunked", 26) != NULL ||
			  memmem(in + i, hl, "transfer-encoding: chunked", 26) != NULL;
		{
			const char *p = memmem(in + i, hl, "Content-Length:", 15);

			has_cl = p != NULL;
			if (has_cl)
				cl = strtoull(p + 15, NULL, 10);
		}
		if (!request)
			status = atoi(in + i + 9);
		i += hl;
		if (!request && status < 200)
			continue;
		body = !(nobody && nobody[msg]) && status != 204 && status != 304;
		msg++;
		if (!body)
			continue;
		if (chunked) {
			for (;;) {
				char *e;
				unsigned long n = strtoul(in + i, &e, 16);
				const char *lf = memchr(in + i, '\n', len - i);

				REQUIRE(lf != NULL && e != in + i);
				if (n == 0) { /* last chunk, trailers: verbatim */
					const char *t = memmem(in + i, len - i, "\r\n\r\n", 4);

					REQUIRE(t != NULL);
					memcpy(out + o, in + i, (size_t)(t + 4 - (in + i)));
					o += (size_t)(t + 4 - (in + i));
					i = (size_t)(t + 4 - in);
					break;
				}
				i = (size_t)(lf + 1 - in);
				REQUIRE(i + n + 2 <= len);
				memcpy(out + o, in + i, n);
				o += n;
				i += n;
				REQUIRE(in[i] == '\r' && in[i + 1] == '\n');
				i += 2;
			}
		} else if (has_cl) {
			REQUIRE(i + cl <= len);
			memcpy(out + o, in + i, cl);
			o += cl;
			i += cl;
		} else if (!request) { /* close-delimited */
			memcpy(out + o, in + i, len - i);
			o += len - i;
			i = len;
		}
	}
	memcpy(out + o, in + i, len - i);
	return o + len - i;
}

/*
 * The case's checks: whole feed == expected; every split / 1-byte / random pieces decode like
 * the expected output (and equal it when `exact`, i.e. no chunked output). Returns the stats of
 * the whole run in *st.
 */
void check_case(enum mode m, bool request, const struct http_cfg *cfg,
		const struct http_link *link0, const char *in, size_t len, const char *want,
		size_t wantlen, const bool *nobody, bool exact, struct http_stats *st)
{
	static struct run r;
	static char dw[BUF_MAX], dg[BUF_MAX];
	static size_t cuts[BUF_MAX];
	struct http_link link;
	size_t dwl, dgl;

	link = *link0;
	run_cuts(&r, m, request, cfg, &link, in, len, NULL, 0);
	if (r.outlen != wantlen || memcmp(r.out, want, wantlen) != 0)
		ck_abort_msg("whole: got %zu bytes [%.*s], want %zu [%.*s]", r.outlen,
			     (int)r.outlen, r.out, wantlen, (int)wantlen, want);
	if (st != NULL)
		*st = r.stats;
	dwl = decode(want, wantlen, dw, nobody, request);
	for (size_t mode = 0; mode < 3; mode++) {
		size_t iters = mode == 0 ? len : mode == 1 ? 1 : 200;

		for (size_t it = 0; it < iters; it++) {
			size_t nc = 0;

			if (mode == 0) {
				cuts[nc++] = it;
			} else if (mode == 1) {
				for (size_t k = 1; k < len; k++)
					cuts[nc++] = k;
			} else {
				for (size_t k = 1; k < len; k++)
					if (rnd() % 23 == 0)
						cuts[nc++] = k;
			}
			link = *link0;
			run_cuts(&r, m, request, cfg, &link, in, len, cuts, nc);
			if (exact && (r.outlen != wantlen || memcmp(r.out, want, wantlen) != 0))
				ck_abort_msg("split %zu/%zu: got [%.*s]", mode, it, (int)r.outlen,
					     r.out);
			dgl = decode(r.out, r.outlen, dg, nobody, request);
			if (dgl != dwl || memcmp(dg, dw, dwl) != 0)
				ck_abort_msg("split %zu/%zu: decoded [%.*s], want [%.*s]", mode, it,
					     (int)dgl, dg, (int)dwl, dw);
		}
	}
}

const struct http_cfg cfg_strip = {.strip_accept_encoding = true, .responses_resize = true};
const struct http_cfg cfg_keep = {.responses_resize = true};
const struct http_link no_link; /* an empty link */

/* A link with the given request kinds pushed (as a request direction would). */
struct http_link link_of(const uint8_t *kinds, int n)
{
	struct http_link l = {0};

	for (int i = 0; i < n; i++)
		l.kind[l.pushed++ % HTTP_LINK_CAP] = kinds[i] | HTTP_KIND_VALID;
	return l;
}

size_t cl_response(char *buf, const char *body, size_t blen)
{
	int n = sprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nServer: s\r\n\r\n", blen);

	memcpy(buf + n, body, blen);
	return (size_t)n + blen;
}
