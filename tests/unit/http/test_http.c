/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the HTTP/1.1 context (nfsdk/http.h) with the rewrite engine (nfs/rewrite/engine)
 * as body transformer: mask (same length), remove and a 60-byte replacement of "ATTACK".
 *
 * Every case is a direction's byte stream and the exact output expected when it is fed whole
 * (one call, then http_finish()). The same stream is then fed split at every byte boundary, in
 * 1-byte pieces and in random pieces (fixed seed): the output must decode (chunked bodies
 * de-chunked, which is the only thing packet borders may change: one chunk per packet) to the
 * decoded expected output — and equal it byte for byte when no body is chunked. Cases: header
 * stripping, Content-Length -> chunked, chunked -> re-chunked (sizes, extensions, trailers, a
 * word across chunks), pipelined messages, HEAD/204/304/1xx responses matched through the link,
 * HTTP/1.0 fallbacks, close-delimited bodies, malformed and too long heads (pass-through).
 */
#include <check.h>

#include "fs_check.h"
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfsdk/http.h"
#include "rw_engine.h"
#include "rw_http.h"

#define BUF_MAX 65536

#define REQUIRE(c)                                                                                 \
	do {                                                                                       \
		if (!(c))                                                                          \
			ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #c);                         \
	} while (0)

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* ---- the body transformer: the rewrite engine's adapter, as nfs/rewrite uses it -------------- */

enum mode { MASK, REMOVE, REPLACE };

static const char rep60[] = "<<<<<<<<<<<<<<<<<<<<<<<<<<<-redacted-by-rewrite->>>>>>>>>>>>";
_Static_assert(sizeof(rep60) == 61, "a 60-byte replacement");

static struct rw_rules rules[3];
static struct http_body_ops ops[3];

static void setup_rules(void)
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

/* One direction's body transformer state: the adapter's ctx and its stream. */
struct tx {
	struct rw_http_body b;
	struct rw_stream st;
};

/* A new stream under the rules of mode m; returns the ctx for http_env.body. */
static void *tx_init(struct tx *t, enum mode m)
{
	memset(t, 0, sizeof(*t));
	t->b = (struct rw_http_body){.rules = &rules[m], .st = &t->st};
	return &t->b;
}

/* The transform of a body (whole buffer) as text. */
static size_t xf(enum mode m, const char *in, size_t len, char *out)
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

struct run {
	struct http_dir h;
	struct tx tx;
	struct http_stats stats;
	struct http_cfg cfg;
	struct http_env env;
	char out[BUF_MAX];
	size_t outlen;
};

/*
 * Feeds `in` cut at the given cut points (ncut of them, increasing), then finishes. The link is
 * copied so that each run starts from the same requests.
 */
static void run_cuts(struct run *r, enum mode m, bool request, const struct http_cfg *cfg,
		     struct http_link *link, const char *in, size_t len, const size_t *cuts,
		     size_t ncut)
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
static size_t decode(const char *in, size_t len, char *out, const bool *nobody, bool request)
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
static void check_case(enum mode m, bool request, const struct http_cfg *cfg,
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

static const struct http_cfg cfg_strip = {.strip_accept_encoding = true, .responses_resize = true};
static const struct http_cfg cfg_keep = {.responses_resize = true};
static const struct http_link no_link; /* an empty link */

/* A link with the given request kinds pushed (as a request direction would). */
static struct http_link link_of(const uint8_t *kinds, int n)
{
	struct http_link l = {0};

	for (int i = 0; i < n; i++)
		l.kind[l.pushed++ % HTTP_LINK_CAP] = kinds[i] | HTTP_KIND_VALID;
	return l;
}

#define S(x) x, sizeof(x) - 1

/* ---- cases ---------------------------------------------------------------------------------- */

START_TEST(test_http_feed_strips_accept_encoding)
{
	static const char in[] = "GET /a HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, br\r\n"
				 "User-Agent: t\r\naccept-encoding:deflate\r\nAccept: */*\r\n\r\n";
	static const char want[] =
	    "GET /a HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n";
	struct http_link link = {0};
	struct http_stats st;

	for (int m = 0; m < 3; m++)
		check_case(m, true, &cfg_strip, &link, S(in), S(want), NULL, true, &st);
	ck_assert_uint_eq(st.c[HTTP_STAT_AE_STRIPPED], 2);
	ck_assert_uint_eq(st.c[HTTP_STAT_REQUESTS], 1);
	check_case(REPLACE, true, &cfg_keep, &link, S(in), S(in), NULL, true, NULL);
}
END_TEST

START_TEST(test_http_feed_pushes_request_kinds)
{
	static const char in[] = "HEAD / HTTP/1.1\r\n\r\nGET / HTTP/1.0\r\n\r\n"
				 "CONNECT h:443 HTTP/1.1\r\n\r\nGET /tunnel HTTP/1.1\r\n\r\n";
	static const char want[] =
	    "HEAD / HTTP/1.1\r\n\r\nGET / HTTP/1.0\r\nConnection: close\r\n\r\n"
	    "CONNECT h:443 HTTP/1.1\r\n\r\nGET /tunnel HTTP/1.1\r\n\r\n";
	struct http_link link = {0};
	struct run r;

	run_cuts(&r, REPLACE, true, &cfg_keep, &link, S(in), NULL, 0);
	ck_assert_uint_eq(r.outlen, sizeof(want) - 1);
	ck_assert(memcmp(r.out, want, r.outlen) == 0);
	ck_assert_uint_eq(link.pushed, 3); /* after CONNECT the direction is a tunnel */
	ck_assert_uint_eq(link.kind[0], HTTP_KIND_VALID | HTTP_KIND_HEAD);
	ck_assert_uint_eq(link.kind[1], HTTP_KIND_VALID | HTTP_KIND_V10);
	ck_assert_uint_eq(link.kind[2], HTTP_KIND_VALID | HTTP_KIND_CONNECT);
	ck_assert_uint_eq(r.stats.c[HTTP_STAT_TUNNELS], 1);
	ck_assert(http_is_passing(&r.h));
}
END_TEST

/* A response head "HTTP/1.1 200 OK\r\nContent-Length: N\r\nServer: s\r\n\r\n" + body. */
static size_t cl_response(char *buf, const char *body, size_t blen)
{
	int n = sprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nServer: s\r\n\r\n", blen);

	memcpy(buf + n, body, blen);
	return (size_t)n + blen;
}

static const char body1[] = "hello ATTACK world ATTATTACK and ATTACKATTACK end ATTA";

START_TEST(test_http_feed_cl_to_chunked)
{
	static char in[512], want[1024], tb[512];
	size_t inl = cl_response(in, S(body1)), tl, wl;
	struct http_link link = link_of((const uint8_t[]){0}, 1);
	struct http_stats st;

	for (int m = REMOVE; m <= REPLACE; m++) {
		tl = xf(m, S(body1), tb);
		wl = (size_t)sprintf(want,
				     "HTTP/1.1 200 OK\r\nServer: s\r\n"
				     "Transfer-Encoding: chunked\r\n\r\n%zx\r\n",
				     tl);
		memcpy(want + wl, tb, tl);
		wl += tl;
		memcpy(want + wl, "\r\n0\r\n\r\n", 7);
		wl += 7;
		check_case(m, false, &cfg_keep, &link, in, inl, want, wl, NULL, false, &st);
		ck_assert_uint_eq(st.c[HTTP_STAT_CL_TO_CHUNKED], 1);
		ck_assert_uint_eq(st.c[HTTP_STAT_RESPONSES], 1);
	}
}
END_TEST

START_TEST(test_http_feed_mask_keeps_content_length)
{
	static char in[512], want[512];
	size_t inl = cl_response(in, S(body1)), hl = inl - (sizeof(body1) - 1);
	struct http_link link = link_of((const uint8_t[]){0, 0}, 2);
	struct http_stats st;

	memcpy(want, in, hl);
	xf(MASK, S(body1), want + hl);
	/* two responses back to back */
	memcpy(in + inl, in, inl);
	memcpy(want + inl, want, inl);
	check_case(MASK, false, &cfg_keep, &link, in, 2 * inl, want, 2 * inl, NULL, true, &st);
	ck_assert_uint_eq(st.c[HTTP_STAT_RESPONSES], 2);
	ck_assert_uint_eq(st.c[HTTP_STAT_CL_TO_CHUNKED], 0);
}
END_TEST

START_TEST(test_http_feed_rechunks_chunked)
{
	/* "ATTACK" across chunks, extensions, upper-case hex, trailers */
	static const char in[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				 "5;ext=1\r\nab AT\r\nA\r\nTACK ATTAC\r\n1\r\nK\r\n0\r\n"
				 "X-Trailer: t\r\n\r\n";
	static const char body[] = "ab ATTACK ATTACK";
	static char want[512], tb[256];
	struct http_link link = link_of((const uint8_t[]){0}, 1);
	struct http_stats st;

	for (int m = 0; m < 3; m++) {
		size_t tl = xf(m, S(body), tb);
		size_t wl = (size_t)sprintf(
		    want, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%zx\r\n", tl);

		memcpy(want + wl, tb, tl);
		wl += tl;
		memcpy(want + wl, "\r\n0\r\nX-Trailer: t\r\n\r\n", 21);
		wl += 21;
		check_case(m, false, &cfg_keep, &link, S(in), want, wl, NULL, false, &st);
		ck_assert_uint_eq(st.c[HTTP_STAT_RECHUNKED], 1);
	}
}
END_TEST

START_TEST(test_http_feed_pipelined_requests)
{
	static const char in[] =
	    "POST /a HTTP/1.1\r\nContent-Length: 10\r\nAccept-Encoding: gzip\r\n\r\n"
	    "xATTACKyAT"
	    "GET /b HTTP/1.1\r\nHost: h\r\n\r\n"
	    "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nATT\r\n3\r\nACK\r\n0\r\n\r\n"
	    "POST /d HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
	static char want[1024], tb[256];
	struct http_link link = {0};
	struct http_stats st;
	size_t wl, tl;

	tl = xf(REPLACE, S("xATTACKyAT"), tb);
	wl = (size_t)sprintf(want, "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n%zx\r\n",
			     tl);
	memcpy(want + wl, tb, tl);
	wl += tl;
	wl += (size_t)sprintf(want + wl,
			      "\r\n0\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n"
			      "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n"
			      "%s\r\n0\r\n\r\n"
			      "POST /d HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
			      60, rep60);
	check_case(REPLACE, true, &cfg_strip, &link, S(in), want, wl, NULL, false, &st);
	ck_assert_uint_eq(st.c[HTTP_STAT_REQUESTS], 4);
	ck_assert_uint_eq(st.c[HTTP_STAT_CL_TO_CHUNKED], 1);
	ck_assert_uint_eq(st.c[HTTP_STAT_RECHUNKED], 1);
}
END_TEST

START_TEST(test_http_feed_head_and_no_body_responses)
{
	/* HEAD (Content-Length but no body), 100 Continue + 204, 304, then a body */
	static const char in[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
				 "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
				 "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n"
				 "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nATTACK";
	static char want[1024];
	const uint8_t kinds[] = {HTTP_KIND_HEAD, 0, 0, 0};
	struct http_link link = link_of(kinds, 4);
	const bool nobody[] = {true, false, false, false};
	struct http_stats st;
	size_t wl;

	wl = (size_t)sprintf(want,
			     "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
			     "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
			     "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n"
			     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s"
			     "\r\n0\r\n\r\n",
			     60, rep60);
	check_case(REPLACE, false, &cfg_keep, &link, S(in), want, wl, nobody, false, &st);
	ck_assert_uint_eq(st.c[HTTP_STAT_RESPONSES], 5);
	ck_assert_uint_eq(st.c[HTTP_STAT_INTERIM], 1);
	ck_assert_uint_eq(st.c[HTTP_STAT_CL_TO_CHUNKED], 1);
}
END_TEST

START_TEST(test_http_feed_http10_close_fallback)
{
	/* a response to an HTTP/1.0 request: close-delimited */
	static char in[512], want[512], tb[256];
	size_t inl = cl_response(in, S(body1)), tl = xf(REMOVE, S(body1), tb), wl;
	struct http_link link = link_of((const uint8_t[]){HTTP_KIND_V10}, 1);
	struct http_stats st;
	static const char in10[] = "HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nATTACK";
	static const char want10[] = "HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n";

	wl = (size_t)sprintf(want, "HTTP/1.1 200 OK\r\nServer: s\r\nConnection: close\r\n\r\n");
	memcpy(want + wl, tb, tl);
	wl += tl;
	check_case(REMOVE, false, &cfg_keep, &link, in, inl, want, wl, NULL, true, &st);
	ck_assert_uint_eq(st.c[HTTP_STAT_CLOSE_FALLBACK], 1);
	/* an HTTP/1.0 response to an HTTP/1.1 request */
	link = link_of((const uint8_t[]){0}, 1);
	check_case(REMOVE, false, &cfg_keep, &link, S(in10), S(want10), NULL, true, &st);
	ck_assert_uint_eq(st.c[HTTP_STAT_CLOSE_FALLBACK], 1);
}
END_TEST

START_TEST(test_http_feed_http10_request_body_raw)
{
	static const char in[] = "POST / HTTP/1.0\r\nContent-Length: 6\r\n\r\nATTACK";
	static const char want[] =
	    "POST / HTTP/1.0\r\nContent-Length: 6\r\nConnection: close\r\n\r\n"
	    "ATTACK";
	struct http_link link = {0};
	struct http_stats st;

	check_case(REPLACE, true, &cfg_keep, &link, S(in), S(want), NULL, true, &st);
	ck_assert_uint_eq(st.c[HTTP_STAT_BODY_RAW], 1);
}
END_TEST

START_TEST(test_http_feed_close_delimited)
{
	static const char in[] = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nab ATTACK cd ATTA";
	static char want[512];
	struct http_link link = link_of((const uint8_t[]){0}, 1);
	struct http_stats st;
	size_t wl = (size_t)sprintf(want, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");

	wl += xf(REPLACE, S("ab ATTACK cd ATTA"), want + wl);
	check_case(REPLACE, false, &cfg_keep, &link, S(in), want, wl, NULL, true, &st);
	ck_assert_uint_eq(st.c[HTTP_STAT_CLOSE_DELIMITED], 1);
}
END_TEST

START_TEST(test_http_feed_malformed_passes)
{
	static const char *const bad[] = {
	    "GET / HTTP/2.0\r\nAccept-Encoding: x\r\nContent-Length: 6\r\n\r\nATTACK",
	    "GET / HTTP/1.1\r\nHost : x\r\nContent-Length: 6\r\n\r\nATTACK",
	    "GET / HTTP/1.1\r\nX: a\r\n folded\r\nContent-Length: 6\r\n\r\nATTACK",
	    "GET /\r\n\r\nATTACK",
	    "GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nATTACK",
	    "GET / HTTP/1.1\r\nContent-Length: 6, 7\r\n\r\nATTACK",
	    "GET / HTTP/1.1\r\nContent-Length: x6\r\n\r\nATTACK",
	    "G\x01T / HTTP/1.1\r\n\r\nATTACK",
	};
	struct http_link link = {0};
	struct http_stats st;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		check_case(REPLACE, true, &cfg_strip, &link, bad[i], strlen(bad[i]), bad[i],
			   strlen(bad[i]), NULL, true, &st);
		ck_assert_msg(st.c[HTTP_STAT_MALFORMED] == 1, "case %zu", i);
	}
}
END_TEST

START_TEST(test_http_feed_smuggling_passes_with_cl_back)
{
	static const char in[] =
	    "POST / HTTP/1.1\r\nContent-Length: 6\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n6\r\nATTACK\r\n0\r\n\r\n";
	static const char want[] = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
				   "Content-Length: 6\r\n\r\n6\r\nATTACK\r\n0\r\n\r\n";
	struct http_link link = {0};
	struct http_stats st;

	check_case(REPLACE, true, &cfg_keep, &link, S(in), S(want), NULL, true, &st);
	ck_assert_uint_eq(st.c[HTTP_STAT_MALFORMED], 1);
}
END_TEST

START_TEST(test_http_feed_head_too_long_passes)
{
	static char in[4096];
	struct http_cfg cfg = {.strip_accept_encoding = true, .head_max = 200};
	struct http_link link = {0};
	struct http_stats st;
	int n = sprintf(in, "POST / HTTP/1.1\r\nX-Long: ");

	memset(in + n, 'a', 300);
	n += 300;
	n += sprintf(in + n, "\r\nAccept-Encoding: gzip\r\nContent-Length: 6\r\n\r\nATTACK");
	check_case(REPLACE, true, &cfg, &link, in, (size_t)n, in, (size_t)n, NULL, true, &st);
	ck_assert_uint_eq(st.c[HTTP_STAT_HEAD_TOO_LONG], 1);
}
END_TEST

START_TEST(test_http_feed_unmatched_response_passes)
{
	static char in[512];
	size_t inl = cl_response(in, S(body1));
	struct http_stats st;

	check_case(REPLACE, false, &cfg_keep, &no_link, in, inl, in, inl, NULL, true, &st);
	ck_assert_uint_eq(st.c[HTTP_STAT_UNMATCHED], 1);
}
END_TEST

START_TEST(test_http_feed_random_bodies)
{
	/* large bodies with many words, CL and chunked, cut randomly with MSS-like budgets */
	static char body[20000], in[60000], want[120000], tb[100000];
	struct http_link link;
	static struct run r;
	static char dw[120000], dg[120000];
	static size_t cuts[60000];

	for (int it = 0; it < 60; it++) {
		enum mode m = (enum mode)(it % 3);
		size_t bl = 1000 + rnd() % 18000, inl, wl, tl, nc = 0, dwl, dgl;
		bool chunked = it % 2;

		for (size_t i = 0; i < bl; i++)
			body[i] = (char)('a' + rnd() % 3);
		for (size_t k = 0; k < bl / 400; k++) {
			size_t p = rnd() % (bl - 6);

			memcpy(body + p, "ATTACK", 6);
		}
		if (chunked) {
			inl = (size_t)sprintf(
			    in, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
			for (size_t p = 0; p < bl;) {
				size_t k = 1 + rnd() % 3000;

				k = k < bl - p ? k : bl - p;
				inl += (size_t)sprintf(in + inl, "%zx\r\n", k);
				memcpy(in + inl, body + p, k);
				inl += k;
				memcpy(in + inl, "\r\n", 2);
				inl += 2;
				p += k;
			}
			inl += (size_t)sprintf(in + inl, "0\r\n\r\n");
		} else {
			inl = cl_response(in, body, bl);
		}
		tl = xf(m, body, bl, tb);
		if (chunked || m != MASK)
			wl = (size_t)sprintf(want,
					     "HTTP/1.1 200 OK\r\n%sTransfer-Encoding: chunked"
					     "\r\n\r\n%zx\r\n",
					     chunked ? "" : "Server: s\r\n", tl);
		else
			wl = (size_t)sprintf(want,
					     "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
					     "Server: s\r\n\r\n",
					     bl);
		memcpy(want + wl, tb, tl);
		wl += tl;
		if (chunked || m != MASK)
			wl += (size_t)sprintf(want + wl, "\r\n0\r\n\r\n");
		for (size_t p = 0;;) {
			p += 1 + rnd() % 1448;
			if (p >= inl)
				break;
			cuts[nc++] = p;
		}
		link = link_of((const uint8_t[]){0}, 1);
		run_cuts(&r, m, false, &cfg_keep, &link, in, inl, cuts, nc);
		dwl = decode(want, wl, dw, NULL, false);
		dgl = decode(r.out, r.outlen, dg, NULL, false);
		if (dgl != dwl || memcmp(dg, dw, dwl) != 0) {
			size_t d = 0;

			while (d < dgl && d < dwl && dg[d] == dw[d])
				d++;
			ck_abort_msg("it %d mode %d chunked %d: decoded output differs at %zu "
				     "(%zu/%zu bytes): got [%.*s] want [%.*s]",
				     it, m, chunked, d, dgl, dwl, 40, dg + (d > 20 ? d - 20 : 0),
				     40, dw + (d > 20 ? d - 20 : 0));
		}
	}
}
END_TEST

/* Appends printf output to buf at *n. */
#define APP(buf, n, ...) ((n) += (size_t)sprintf((buf) + (n), __VA_ARGS__))

/* A random body with some words. */
static size_t rand_body(char *b)
{
	size_t len = rnd() % 3000;

	for (size_t i = 0; i < len; i++)
		b[i] = (char)('a' + rnd() % 4);
	for (size_t k = 0; len > 6 && k < 1 + len / 300; k++)
		memcpy(b + rnd() % (len - 6), "ATTACK", 6);
	return len;
}

/* body as chunks of random sizes (the input form), then the last chunk */
static void app_chunked(char *buf, size_t *n, const char *body, size_t len)
{
	for (size_t p = 0; p < len;) {
		size_t k = 1 + rnd() % 700;

		k = k < len - p ? k : len - p;
		APP(buf, *n, "%zx%s\r\n", k, rnd() % 4 == 0 ? ";x=y" : "");
		memcpy(buf + *n, body + p, k);
		*n += k;
		APP(buf, *n, "\r\n");
		p += k;
	}
	APP(buf, *n, "0\r\n\r\n");
}

/* expected output form of a transformed body: one chunk, last chunk */
static void app_one_chunk(char *buf, size_t *n, const char *t, size_t tl)
{
	if (tl > 0) {
		APP(buf, *n, "%zx\r\n", tl);
		memcpy(buf + *n, t, tl);
		*n += tl;
		APP(buf, *n, "\r\n");
	}
	APP(buf, *n, "0\r\n\r\n");
}

START_TEST(test_http_feed_random_pipelines)
{
	/* both directions of keep-alive connections: random requests (GET, HEAD, POST with
	 * Content-Length or chunked, Accept-Encoding or not) pipelined, then their responses
	 * (HEAD answered with a Content-Length and no body), cut at random places; the response
	 * direction uses the link the request direction filled */
	static char req[200000], rsp[200000], wreq[300000], wrsp[300000], body[4000], tb[20000];
	static char dw[300000], dg[300000];
	static size_t cuts[200000];
	static struct run r;
	bool nobody[16];

	for (int it = 0; it < 150; it++) {
		enum mode m = (enum mode)(it % 3);
		size_t rq = 0, rs = 0, wq = 0, ws = 0, nc, dwl, dgl, bl, tl;
		int nmsg = 1 + (int)(rnd() % 12);
		struct http_link link = {0};

		for (int k = 0; k < nmsg; k++) {
			int kind = (int)(rnd() % 4); /* GET, HEAD, POST CL, POST chunked */
			bool ae = rnd() % 2;
			const char *meth = kind == 0 ? "GET" : kind == 1 ? "HEAD" : "POST";

			APP(req, rq, "%s /%d HTTP/1.1\r\nHost: h\r\n%s", meth, k,
			    ae ? "Accept-Encoding: gzip\r\n" : "");
			APP(wreq, wq, "%s /%d HTTP/1.1\r\nHost: h\r\n", meth, k);
			bl = kind >= 2 ? rand_body(body) : 0;
			tl = xf(m, body, bl, tb);
			if (kind == 2) {
				APP(req, rq, "Content-Length: %zu\r\n\r\n", bl);
				memcpy(req + rq, body, bl);
				rq += bl;
				if (m == MASK || bl == 0) {
					APP(wreq, wq, "Content-Length: %zu\r\n\r\n", bl);
					memcpy(wreq + wq, tb, tl);
					wq += tl;
				} else {
					APP(wreq, wq, "Transfer-Encoding: chunked\r\n\r\n");
					app_one_chunk(wreq, &wq, tb, tl);
				}
			} else if (kind == 3) {
				APP(req, rq, "Transfer-Encoding: chunked\r\n\r\n");
				app_chunked(req, &rq, body, bl);
				APP(wreq, wq, "Transfer-Encoding: chunked\r\n\r\n");
				app_one_chunk(wreq, &wq, tb, tl);
			} else {
				APP(req, rq, "\r\n");
				APP(wreq, wq, "\r\n");
			}
			/* the response */
			nobody[k] = kind == 1;
			bl = rand_body(body);
			tl = xf(m, body, bl, tb);
			if (rnd() % 2) {
				APP(rsp, rs, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", bl);
				if (kind == 1 || m == MASK || bl == 0) {
					APP(wrsp, ws,
					    "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", bl);
					if (kind != 1) {
						memcpy(wrsp + ws, tb, tl);
						ws += tl;
					}
				} else {
					APP(wrsp, ws,
					    "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
					    "chunked\r\n\r\n");
					app_one_chunk(wrsp, &ws, tb, tl);
				}
				if (kind != 1) {
					memcpy(rsp + rs, body, bl);
					rs += bl;
				}
			} else {
				APP(rsp, rs,
				    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
				APP(wrsp, ws,
				    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
				if (kind != 1) {
					app_chunked(rsp, &rs, body, bl);
					app_one_chunk(wrsp, &ws, tb, tl);
				}
			}
		}
		for (int dir = 0; dir < 2; dir++) {
			const char *in = dir == 0 ? req : rsp, *want = dir == 0 ? wreq : wrsp;
			size_t inl = dir == 0 ? rq : rs, wl = dir == 0 ? wq : ws;

			nc = 0;
			for (size_t p = 0;;) {
				p += 1 + rnd() % (rnd() % 2 ? 1448 : 40);
				if (p >= inl)
					break;
				cuts[nc++] = p;
			}
			run_cuts(&r, m, dir == 0, &cfg_strip, &link, in, inl, cuts, nc);
			REQUIRE(r.stats.c[HTTP_STAT_MALFORMED] == 0 &&
				r.stats.c[HTTP_STAT_UNMATCHED] == 0 &&
				r.stats.c[HTTP_STAT_NO_ROOM] == 0);
			REQUIRE(r.stats.c[dir == 0 ? HTTP_STAT_REQUESTS : HTTP_STAT_RESPONSES] ==
				(uint64_t)nmsg);
			dwl = decode(want, wl, dw, dir == 0 ? NULL : nobody, dir == 0);
			dgl = decode(r.out, r.outlen, dg, dir == 0 ? NULL : nobody, dir == 0);
			if (dgl != dwl || memcmp(dg, dw, dwl) != 0) {
				size_t d = 0;

				while (d < dgl && d < dwl && dg[d] == dw[d])
					d++;
				ck_abort_msg("it %d dir %d mode %d: decoded output differs at %zu "
					     "(%zu/%zu bytes): got [%.*s] want [%.*s]",
					     it, dir, m, d, dgl, dwl, 60,
					     dg + (d > 30 ? d - 30 : 0), 60,
					     dw + (d > 30 ? d - 30 : 0));
			}
		}
		REQUIRE(link.pushed == (uint32_t)nmsg && link.popped == (uint32_t)nmsg);
	}
}
END_TEST

START_TEST(test_http_feed_no_room_leaves_message_alone)
{
	/* many small re-framed requests in one packet: those starting when the space left over
	 * the rest of the input is below HTTP_MSG_RESERVE keep their framing and body */
	static char in[8192], out[16384];
	struct run r;
	size_t n = 0, olen;
	struct http_link link = {0};

	for (int k = 0; k < 40; k++)
		APP(in, n, "POST / HTTP/1.1\r\nContent-Length: 6\r\n\r\nATTACK");
	memset(&r, 0, sizeof(r));
	http_dir_init(&r.h, true);
	tx_init(&r.tx, REPLACE);
	r.env = (struct http_env){.cfg = &cfg_keep,
				  .ops = &ops[REPLACE],
				  .body = &r.tx.b,
				  .link = &link,
				  .stats = &r.stats};
	ck_assert_int_eq(http_feed(&r.env, &r.h, (const uint8_t *)in, n, (uint8_t *)out, n,
				   n + HTTP_SLACK, &olen),
			 0);
	ck_assert_uint_le(olen, n + HTTP_SLACK);
	ck_assert_uint_gt(r.stats.c[HTTP_STAT_NO_ROOM], 0);
	ck_assert_uint_gt(r.stats.c[HTTP_STAT_CL_TO_CHUNKED], 0);
	ck_assert_uint_eq(r.stats.c[HTTP_STAT_NO_ROOM] + r.stats.c[HTTP_STAT_CL_TO_CHUNKED], 40);
	ck_assert_uint_eq(r.stats.c[HTTP_STAT_ERRORS], 0);
	ck_assert_uint_eq(link.pushed, HTTP_LINK_CAP); /* then full: later responses unmatched */
	ck_assert_uint_eq(link.lost, 1);
	/* the messages left alone come last and are byte for byte the input's */
	{
		size_t raw = r.stats.c[HTTP_STAT_NO_ROOM] * (n / 40);

		ck_assert(memcmp(out + olen - raw, in + n - raw, raw) == 0);
	}
}
END_TEST

START_TEST(test_http_feed_bad_chunk_framing_passes)
{
	/* a chunk with more data than its size: the transformer is flushed into a chunk, then the
	 * rest passes as it is */
	static const char in[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				 "5\r\nATTACK\r\n0\r\n\r\n";
	static const char want[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				   "5\r\nATTAC\r\nK\r\n0\r\n\r\n";
	static const char tail[] = "K\r\n0\r\n\r\n";
	struct http_link link;
	static struct run r;
	size_t cuts[1];

	for (size_t cut = 0; cut <= sizeof(in) - 1; cut++) {
		link = link_of((const uint8_t[]){0}, 1);
		cuts[0] = cut;
		run_cuts(&r, REPLACE, false, &cfg_keep, &link, S(in), cuts, cut == 0 ? 0 : 1);
		ck_assert_uint_eq(r.stats.c[HTTP_STAT_MALFORMED], 1);
		ck_assert(r.outlen > sizeof(tail) - 1 &&
			  memcmp(r.out + r.outlen - (sizeof(tail) - 1), tail, sizeof(tail) - 1) ==
			      0);
		if (cut == 0)
			ck_assert(r.outlen == sizeof(want) - 1 &&
				  memcmp(r.out, want, r.outlen) == 0);
	}
}
END_TEST

static int fail_calls;

static int fail_feed(void *ctx, const uint8_t *in, size_t inlen, uint8_t *out, size_t soft,
		     size_t cap, size_t *outlen)
{
	(void)ctx;
	(void)soft;
	(void)cap;
	if (++fail_calls > 1)
		return -EIO;
	memcpy(out, in, inlen);
	*outlen = inlen;
	return 0;
}

static int fail_flush(void *ctx, uint8_t *out, size_t cap, size_t *outlen)
{
	(void)ctx;
	(void)out;
	(void)cap;
	*outlen = 0;
	return 0;
}

START_TEST(test_http_feed_transformer_failure_passes)
{
	/* the transformer fails on the second packet: that packet's body bytes and the rest of the
	 * stream go as they are, each once */
	static const char p1[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcde";
	static const char p2[] = "fghij";
	static const char want[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				   "5\r\nabcde\r\nfghij";
	const struct http_body_ops fops = {.feed = fail_feed, .flush = fail_flush, .resizes = true};
	struct http_link link = link_of((const uint8_t[]){0}, 1);
	struct http_stats st = {0};
	struct http_dir h;
	struct http_env env = {.cfg = &cfg_keep, .ops = &fops, .link = &link, .stats = &st};
	static uint8_t out[1024];
	size_t n = 0, ol;

	fail_calls = 0;
	http_dir_init(&h, false);
	ck_assert_int_eq(
	    http_feed(&env, &h, (const uint8_t *)p1, sizeof(p1) - 1, out, 1448, 1024, &ol), 0);
	n += ol;
	ck_assert_int_eq(
	    http_feed(&env, &h, (const uint8_t *)p2, sizeof(p2) - 1, out + n, 1448, 1024 - n, &ol),
	    0);
	n += ol;
	ck_assert_uint_eq(n, sizeof(want) - 1);
	ck_assert(memcmp(out, want, n) == 0);
	ck_assert_uint_eq(st.c[HTTP_STAT_ERRORS], 1);
	ck_assert(http_is_passing(&h));
}
END_TEST

/* A transformer that holds a whole body and writes it twice at the flush (big flushes). */
struct hold2 {
	uint8_t buf[4096];
	size_t len, out; /* held bytes; doubled bytes written by flushes so far */
};

static int hold2_feed(void *ctx, const uint8_t *in, size_t inlen, uint8_t *out, size_t soft,
		      size_t cap, size_t *outlen)
{
	struct hold2 *t = ctx;

	(void)out;
	(void)soft;
	(void)cap;
	memcpy(t->buf + t->len, in, inlen);
	t->len += inlen;
	*outlen = 0;
	return 0;
}

static int hold2_flush(void *ctx, uint8_t *out, size_t cap, size_t *outlen)
{
	struct hold2 *t = ctx;
	size_t n = 0;

	while (n < cap && t->out < 2 * t->len) {
		out[n++] = t->buf[t->out % t->len];
		t->out++;
	}
	*outlen = n;
	if (t->out < 2 * t->len)
		return 1;
	t->len = t->out = 0;
	return 0;
}

START_TEST(test_http_feed_flush_continues_in_next_packet)
{
	/* a body ending at a packet's end whose flush does not fit: finished at the start of the
	 * next call, before the next message; and by http_finish() at the end of a stream */
	static char p1[2048], body[1000], want[8192], out[8192];
	static const char p2[] = "HTTP/1.1 204 No Content\r\n\r\n";
	const struct http_body_ops hops = {
	    .feed = hold2_feed, .flush = hold2_flush, .resizes = true};
	static struct hold2 t;
	struct http_stats st = {0};
	struct http_dir h;
	struct http_link link;
	struct http_env env = {
	    .cfg = &cfg_keep, .ops = &hops, .body = &t, .link = &link, .stats = &st};
	size_t n1, n = 0, ol, wl;

	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (char)('a' + i % 26);
	n1 = (size_t)sprintf(p1, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", sizeof(body));
	memcpy(p1 + n1, body, sizeof(body));
	n1 += sizeof(body);
	wl = (size_t)sprintf(want, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%zx\r\n",
			     2 * sizeof(body));
	memcpy(want + wl, body, sizeof(body));
	memcpy(want + wl + sizeof(body), body, sizeof(body));
	wl += 2 * sizeof(body);
	wl += (size_t)sprintf(want + wl, "\r\n0\r\n\r\n%s", p2);
	for (int end = 0; end < 2; end++) {
		memset(&t, 0, sizeof(t));
		link = link_of((const uint8_t[]){0, 0}, 2);
		memset(&st, 0, sizeof(st));
		n = 0;
		http_dir_init(&h, false);
		ck_assert_int_eq(http_feed(&env, &h, (const uint8_t *)p1, n1, (uint8_t *)out, n1,
					   n1 + HTTP_SLACK, &ol),
				 0);
		n += ol;
		ck_assert(!http_is_passing(&h));
		if (end == 0) {
			ck_assert_int_eq(http_feed(&env, &h, (const uint8_t *)p2, sizeof(p2) - 1,
						   (uint8_t *)out + n, 1448, 2048, &ol),
					 0);
		} else {
			ck_assert_int_eq(http_finish(&env, &h, (uint8_t *)out + n, 2048, &ol), 0);
		}
		n += ol;
		ck_assert_uint_eq(st.c[HTTP_STAT_FLUSH_LOST] + st.c[HTTP_STAT_ERRORS], 0);
		{
			static char dg[8192], dw[8192];
			size_t wl2 = end == 0 ? wl : wl - (sizeof(p2) - 1);
			size_t dwl = decode(want, wl2, dw, NULL, false);
			size_t dgl = decode(out, n, dg, NULL, false);

			ck_assert_msg(dgl == dwl && memcmp(dg, dw, dwl) == 0, "end %d: [%.*s]", end,
				      (int)n, out);
		}
	}
}
END_TEST

/* A transformer without carry: each 'Z' doubled, each 'Q' dropped (so the output of every
 * packet is known exactly, for exact expected outputs at every split). */
static size_t zq(const char *in, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (in[i] == 'Z')
			out[o++] = 'Z';
		if (in[i] != 'Q')
			out[o++] = in[i];
	}
	return o;
}

static int zq_feed(void *ctx, const uint8_t *in, size_t inlen, uint8_t *out, size_t soft,
		   size_t cap, size_t *outlen)
{
	(void)ctx;
	(void)soft;
	(void)cap;
	*outlen = zq((const char *)in, inlen, (char *)out);
	return 0;
}

static int zq_flush(void *ctx, uint8_t *out, size_t cap, size_t *outlen)
{
	(void)ctx;
	(void)out;
	(void)cap;
	*outlen = 0;
	return 0;
}

/* appends "hex\r\n" T(body piece) "\r\n" when T is not empty */
static void app_zq_chunk(char *buf, size_t *n, const char *piece, size_t len)
{
	char t[256];
	size_t tl = zq(piece, len, t);

	if (tl == 0)
		return;
	*n += (size_t)sprintf(buf + *n, "%zx\r\n", tl);
	memcpy(buf + *n, t, tl);
	*n += tl;
	memcpy(buf + *n, "\r\n", 2);
	*n += 2;
}

START_TEST(test_http_feed_exact_chunks_at_every_split)
{
	/* exact outputs for a packet border at every byte: one chunk per packet holding that
	 * packet's transformed body bytes, the last chunk in the packet of the last body byte */
	static const char head_cl[] = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n";
	static const char body[] = "aZbQcZZdQQef";
	static const char head_out[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	static const char chunked_in[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
					 "5\r\naZbQc\r\n7\r\nZZdQQef\r\n0\r\n\r\n";
	const struct http_body_ops zops = {.feed = zq_feed, .flush = zq_flush, .resizes = true};
	static char in[256], want[1024], got[1024];
	size_t hl = sizeof(head_cl) - 1, bl = sizeof(body) - 1, inl = hl + bl;

	memcpy(in, head_cl, hl);
	memcpy(in + hl, body, bl);
	for (int chunked = 0; chunked < 2; chunked++) {
		const char *src = chunked ? chunked_in : in;
		size_t srcl = chunked ? sizeof(chunked_in) - 1 : inl;
		/* where each body byte is in src */
		size_t bpos[12];

		for (size_t i = 0; i < bl; i++) {
			const char *piece = i < 5 ? "aZbQc" : "ZZdQQef";
			size_t off = i < 5 ? i : i - 5;

			bpos[i] = chunked ? (size_t)(strstr(src, piece) - src) + off : hl + i;
		}
		for (size_t cut = 1; cut < srcl; cut++) {
			struct http_link link = link_of((const uint8_t[]){0}, 1);
			struct http_stats st = {0};
			struct http_env env = {
			    .cfg = &cfg_keep, .ops = &zops, .link = &link, .stats = &st};
			struct http_dir h;
			size_t n = 0, ol, wl = 0, b1 = 0;
			uint8_t out[1024];

			http_dir_init(&h, false);
			REQUIRE(http_feed(&env, &h, (const uint8_t *)src, cut, out, 1448, 1024,
					  &ol) == 0);
			memcpy(got, out, ol);
			n = ol;
			REQUIRE(http_feed(&env, &h, (const uint8_t *)src + cut, srcl - cut, out,
					  1448, 1024, &ol) == 0);
			memcpy(got + n, out, ol);
			n += ol;
			/* expected: the head, then packet 1's body bytes as a chunk, then packet
			 * 2's, then the end */
			memcpy(want, head_out, sizeof(head_out) - 1);
			wl = sizeof(head_out) - 1;
			while (b1 < bl && bpos[b1] < cut)
				b1++;
			app_zq_chunk(want, &wl, body, b1);
			app_zq_chunk(want, &wl, body + b1, bl - b1);
			wl += (size_t)sprintf(want + wl, "0\r\n\r\n");
			if (n != wl || memcmp(got, want, wl) != 0)
				ck_abort_msg("chunked %d cut %zu: got [%.*s] want [%.*s]", chunked,
					     cut, (int)n, got, (int)wl, want);
			REQUIRE(st.c[HTTP_STAT_ERRORS] == 0);
		}
	}
}
END_TEST

START_TEST(test_http_feed_bad_arguments)
{
	struct http_dir h;
	struct http_stats st = {0};
	struct tx t;
	struct http_env env = {
	    .cfg = &cfg_keep, .ops = &ops[0], .body = tx_init(&t, MASK), .stats = &st};
	uint8_t out[512];
	size_t ol;

	http_dir_init(&h, true);
	ck_assert_int_eq(http_feed(&env, &h, (const uint8_t *)"GET", 3, out, 3, 100, &ol), -EINVAL);
	ck_assert_int_eq(http_feed(&env, &h, NULL, 3, out, 3, 512, &ol), -EINVAL);
	ck_assert_int_eq(http_feed(NULL, &h, (const uint8_t *)"GET", 3, out, 3, 512, &ol), -EINVAL);
	ck_assert_int_eq(http_feed(&env, &h, (const uint8_t *)"GET", 3, out, 3, 512, &ol), 0);
	ck_assert_uint_eq(ol, 3);
	ck_assert_str_eq(http_stat_name(HTTP_STAT_REQUESTS), "http_requests");
	/* a direction picked up mid-stream passes everything */
	http_dir_init_passing(&h, false);
	ck_assert(http_is_passing(&h));
	ck_assert_int_eq(
	    http_feed(&env, &h, (const uint8_t *)"ATTACK\r\n\r\n", 10, out, 10, 512, &ol), 0);
	ck_assert(ol == 10 && memcmp(out, "ATTACK\r\n\r\n", 10) == 0);
	ck_assert_uint_eq(st.c[HTTP_STAT_PASS_BYTES], 10);
	ck_assert_uint_eq(sizeof(struct http_dir), HTTP_DIR_SIZE);
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("feed");

	tcase_add_unchecked_fixture(tc, setup_rules, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_http_feed_strips_accept_encoding);
	tcase_add_test(tc, test_http_feed_pushes_request_kinds);
	tcase_add_test(tc, test_http_feed_cl_to_chunked);
	tcase_add_test(tc, test_http_feed_mask_keeps_content_length);
	tcase_add_test(tc, test_http_feed_rechunks_chunked);
	tcase_add_test(tc, test_http_feed_pipelined_requests);
	tcase_add_test(tc, test_http_feed_head_and_no_body_responses);
	tcase_add_test(tc, test_http_feed_http10_close_fallback);
	tcase_add_test(tc, test_http_feed_http10_request_body_raw);
	tcase_add_test(tc, test_http_feed_close_delimited);
	tcase_add_test(tc, test_http_feed_malformed_passes);
	tcase_add_test(tc, test_http_feed_smuggling_passes_with_cl_back);
	tcase_add_test(tc, test_http_feed_bad_chunk_framing_passes);
	tcase_add_test(tc, test_http_feed_transformer_failure_passes);
	tcase_add_test(tc, test_http_feed_flush_continues_in_next_packet);
	tcase_add_test(tc, test_http_feed_exact_chunks_at_every_split);
	tcase_add_test(tc, test_http_feed_head_too_long_passes);
	tcase_add_test(tc, test_http_feed_unmatched_response_passes);
	tcase_add_test(tc, test_http_feed_random_bodies);
	tcase_add_test(tc, test_http_feed_random_pipelines);
	tcase_add_test(tc, test_http_feed_no_room_leaves_message_alone);
	tcase_add_test(tc, test_http_feed_bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(http_suite());
}
