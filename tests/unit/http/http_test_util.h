/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * http_test_util.h — what the HTTP context's test suites (test_http.c: exact cases;
 * test_http_random.c: random streams) share: the rewrite engine's adapter as body transformer
 * (mask, remove and a 60-byte replacement of "ATTACK"), a reference transform, running a
 * direction cut at given places, decoding chunked output, and the whole/split/random check of
 * one case.
 */
#ifndef HTTP_TEST_UTIL_H
#define HTTP_TEST_UTIL_H

#include <check.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nfsdk/http.h"
#include "rw_engine.h"
#include "rw_http.h"

#define BUF_MAX 65536

#define REQUIRE(c)                                                                                 \
	do {                                                                                       \
		if (!(c))                                                                          \
			ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #c);                         \
	} while (0)

/* A string literal and its length. */
#define S(x) x, sizeof(x) - 1

/* Appends printf output to buf at *n. */
#define APP(buf, n, ...) ((n) += (size_t)sprintf((buf) + (n), __VA_ARGS__))

/* Fixed-seed xorshift (each forked test starts from the same seed). */
uint64_t rnd(void);

/* ---- the body transformer: the rewrite engine's adapter, as nfs/rewrite uses it ------------- */

enum mode { MASK, REMOVE, REPLACE };

extern const char rep60[61];
extern struct rw_rules rules[3];
extern struct http_body_ops ops[3];

/* Fills rules[] and ops[] (the suites' unchecked fixture). */
void setup_rules(void);

/* One direction's body transformer state: the adapter's ctx and its stream. */
struct tx {
	struct rw_http_body b;
	struct rw_stream st;
};

/* A new stream under the rules of mode m; returns the ctx for http_env.body. */
void *tx_init(struct tx *t, enum mode m);

/* The reference transform of a whole body under mode m; returns the output length. */
size_t xf(enum mode m, const char *in, size_t len, char *out);

/* ---- running a direction -------------------------------------------------------------------- */

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
void run_cuts(struct run *r, enum mode m, bool request, const struct http_cfg *cfg,
	      struct http_link *link, const char *in, size_t len, const size_t *cuts, size_t ncut);

/*
 * Decodes a direction's output: heads verbatim, chunked bodies de-chunked (size lines and the
 * CRLFs after data removed; last-chunk and trailers verbatim), everything else verbatim. nobody:
 * responses (by index) that have no body (HEAD). Returns the decoded length.
 */
size_t decode(const char *in, size_t len, char *out, const bool *nobody, bool request);

/*
 * The case's checks: whole feed == expected; every split / 1-byte / random pieces decode like
 * the expected output (and equal it when `exact`, i.e. no chunked output). Returns the stats of
 * the whole run in *st.
 */
void check_case(enum mode m, bool request, const struct http_cfg *cfg,
		const struct http_link *link0, const char *in, size_t len, const char *want,
		size_t wantlen, const bool *nobody, bool exact, struct http_stats *st);

extern const struct http_cfg cfg_strip; /* strip Accept-Encoding, responses resize */
extern const struct http_cfg cfg_keep;	/* responses resize */
extern const struct http_link no_link;	/* an empty link */

/* A link with the given request kinds pushed (as a request direction would). */
struct http_link link_of(const uint8_t *kinds, int n);

/* "HTTP/1.1 200 OK" with Content-Length, a Server field and the body; returns the length. */
size_t cl_response(char *buf, const char *body, size_t blen);

#endif /* HTTP_TEST_UTIL_H */
