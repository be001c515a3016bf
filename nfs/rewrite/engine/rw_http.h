/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rw_http.h — the rewrite engine as the body transformer of the HTTP/1.1 context
 * (struct http_body_ops of nfsdk/http.h): what `rewrite --http` runs, and what the HTTP context's
 * tests and benchmark drive it with, so all three test the same adapter.
 *
 * What: rw_http_body_ops(r) gives the ops; their ctx is a struct rw_http_body naming the rule set
 * and the direction's stream. The feed takes the HTTP context's two budgets as rw_feed_fit()
 * does (the soft budget first, then all of cap, then the stream is bypassed); the flush ends the
 * body with rw_flush() and reports 1 while the stream still carries bytes (the context calls it
 * again with more room). The ops resize exactly when a rule's replacement and pattern differ in
 * length (rw_rules_resize()): a set of masks keeps Content-Length bodies as they are.
 *
 * Counters: each call adds the occurrences whose replacement began, and the feeds that had to
 * bypass the stream, to the ctx (the caller folds them into its own counters when it likes).
 *
 * Concurrency: as rw_engine.h — the ctx and its stream belong to one direction, one thread.
 */
#ifndef RW_HTTP_H
#define RW_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "nfsdk/http.h"
#include "rw_engine.h"

/* The ops' ctx: one direction's stream under a rule set, and what the calls counted. */
struct rw_http_body {
	const struct rw_rules *rules;
	struct rw_stream *st;
	uint64_t occurrences; /* replacements begun (added to by feed and flush) */
	uint64_t bypassed;    /* feeds that bypassed the stream (the carry could not fit) */
};

/* True when some rule's replacement is not as long as its pattern (the output may resize). */
bool rw_rules_resize(const struct rw_rules *r);

/* The body transformer for rule set r (ops.resizes = rw_rules_resize(r)); ctx: rw_http_body. */
struct http_body_ops rw_http_body_ops(const struct rw_rules *r);

#endif /* RW_HTTP_H */
