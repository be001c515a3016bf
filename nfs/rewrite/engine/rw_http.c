/* SPDX-License-Identifier: BSD-3-Clause */
/* rw_http.c — the rewrite engine as the HTTP context's body transformer (see rw_http.h). */
#include "rw_http.h"

bool rw_rules_resize(const struct rw_rules *r)
{
	for (uint32_t k = 0; k < r->n; k++)
		if (r->rep_len[k] != r->pat_len[k])
			return true;
	return false;
}

/* http_body_ops.feed: the soft budget first, then all of cap, then bypass (rw_feed_fit()). */
static int body_feed(void *ctx, const uint8_t *in, size_t inlen, uint8_t *out, size_t soft,
		     size_t cap, size_t *outlen)
{
	struct rw_http_body *b = ctx;
	bool bypassed = false;
	int rc = rw_feed_fit(b->rules, b->st, in, inlen, out, soft, cap, outlen, &bypassed);

	b->bypassed += bypassed;
	if (rc < 0)
		return rc;
	b->occurrences += (uint64_t)rc;
	return 0;
}

/* http_body_ops.flush: the body ended; 1 while bytes are still carried (no room left). */
static int body_flush(void *ctx, uint8_t *out, size_t cap, size_t *outlen)
{
	struct rw_http_body *b = ctx;
	int rc = rw_flush(b->rules, b->st, out, cap, outlen);

	if (rc < 0)
		return rc;
	b->occurrences += (uint64_t)rc;
	return rw_carried(b->st) > 0;
}

struct http_body_ops rw_http_body_ops(const struct rw_rules *r)
{
	return (struct http_body_ops){
	    .feed = body_feed, .flush = body_flush, .resizes = rw_rules_resize(r)};
}
