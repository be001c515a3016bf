/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Harness of the HTTP/1.1 context (nfsdk/include/nfsdk/http.h) with the rewrite engine as body
 * transformer, as `rewrite --http` runs it. The input chooses the configuration (every rewrite
 * mode: mask keeps sizes, remove and replace resize; Accept-Encoding stripping; responses_resize;
 * head_max; with or without a link) and then a connection: packets of either direction, each of
 * input-chosen length and output budget (soft), so heads, chunk sizes and bodies are split at
 * any byte. Checked on every call: the context returns 0 and writes at most cap bytes; it calls
 * the transformer within its contract (soft <= cap, cap >= inlen); a direction that was passing
 * before a call outputs exactly its input; http_finish() stays within cap.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "nfsdk/http.h"
#include "rw_engine.h"

#define PKT_MAX 1600
#define OUT_CAP (PKT_MAX + HTTP_SLACK + 2048)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct tx {
	const struct rw_rules *rules;
	struct rw_stream st;
};

static int tx_feed(void *ctx, const uint8_t *in, size_t inlen, uint8_t *out, size_t soft,
		   size_t cap, size_t *outlen)
{
	struct tx *t = ctx;
	bool bypassed = false;
	int rc;

	FZ_CHECK(soft <= cap && cap >= inlen, "transformer given soft %zu cap %zu for %zu", soft,
		 cap, inlen);
	rc = rw_feed_fit(t->rules, &t->st, in, inlen, out, soft, cap, outlen, &bypassed);
	FZ_CHECK(rc < 0 || *outlen <= cap, "rewrite wrote %zu of %zu", *outlen, cap);
	return rc < 0 ? rc : 0;
}

static int tx_flush(void *ctx, uint8_t *out, size_t cap, size_t *outlen)
{
	struct tx *t = ctx;
	int rc = rw_flush(t->rules, &t->st, out, cap, outlen);

	FZ_CHECK(rc < 0 || *outlen <= cap, "flush wrote %zu of %zu", *outlen, cap);
	return rc < 0 ? rc : rw_carried(&t->st) > 0;
}

static struct rw_rules rules[3]; /* mask, remove, replace */
static struct http_body_ops ops[3];

static void setup_rules(void)
{
	static const char *const rep[3] = {
	    "XXXXXX", "", "<<<<<<<<<<<<<<<<<<<<<<<<<<<-redacted-by-rewrite->>>>>>>>>>>>"};

	for (int m = 0; m < 3; m++) {
		rw_rules_init(&rules[m]);
		FZ_CHECK(rw_rules_add(&rules[m], (const uint8_t *)"ATTACK", 6,
				      (const uint8_t *)rep[m], strlen(rep[m])) == 0,
			 "rule");
		FZ_CHECK(rw_rules_add(&rules[m], (const uint8_t *)"chunked", 7,
				      (const uint8_t *)rep[m], strlen(rep[m])) == 0,
			 "rule");
		ops[m] =
		    (struct http_body_ops){.feed = tx_feed, .flush = tx_flush, .resizes = m != 0};
	}
}

struct side {
	struct http_dir h;
	struct tx tx;
	struct http_env env;
};

static void feed_packet(struct side *s, const uint8_t *pkt, size_t len, size_t soft)
{
	static uint8_t out[OUT_CAP];
	bool passing = http_is_passing(&s->h);
	size_t outlen = (size_t)-1, cap = len + HTTP_SLACK;
	int rc = http_feed(&s->env, &s->h, pkt, len, out, soft, cap, &outlen);

	FZ_CHECK(rc == 0, "http_feed rc %d", rc);
	FZ_CHECK(outlen <= cap, "wrote %zu of %zu", outlen, cap);
	if (passing)
		FZ_CHECK(outlen == len && memcmp(out, pkt, len) == 0,
			 "a passing direction changed a packet (%zu -> %zu bytes)", len, outlen);
	rc = http_feed(&s->env, &s->h, pkt, len, out, soft, len + HTTP_SLACK - 1, &outlen);
	FZ_CHECK(rc == -EINVAL, "cap below inlen + HTTP_SLACK accepted: rc %d", rc);
}

static void finish(struct side *s)
{
	static uint8_t out[OUT_CAP];
	size_t outlen = (size_t)-1, cap = HTTP_SLACK + RW_OUT_MAX;
	int rc = http_finish(&s->env, &s->h, out, cap, &outlen);

	FZ_CHECK(rc == 0 && outlen <= cap, "http_finish rc %d wrote %zu", rc, outlen);
	FZ_CHECK(http_is_passing(&s->h), "not passing after finish");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct fz_in in = {data, size};
	struct http_cfg cfg = {0};
	struct http_link link = {0};
	struct http_stats stats = {0};
	struct side side[2]; /* 0: requests, 1: responses */
	uint8_t conf, mode;

	if (!ready) {
		setup_rules();
		ready = true;
	}
	if (size > 64 * 1024)
		return -1;
	conf = fz_u8(&in);
	mode = conf % 3;
	cfg.strip_accept_encoding = conf & 0x04;
	cfg.responses_resize = mode != 0;
	cfg.head_max = conf & 0x08 ? 16u * (1 + fz_u8(&in)) : 0;
	for (int d = 0; d < 2; d++) {
		memset(&side[d], 0, sizeof(side[d]));
		if (conf & (0x10 << d))
			http_dir_init_passing(&side[d].h, d == 0);
		else
			http_dir_init(&side[d].h, d == 0);
		side[d].tx.rules = &rules[mode];
		side[d].env = (struct http_env){.cfg = &cfg,
						.ops = &ops[mode],
						.body = &side[d].tx,
						.link = conf & 0x40 ? NULL : &link,
						.stats = &stats};
	}
	while (in.n > 0) {
		uint16_t hdr = fz_u16(&in);
		size_t len = hdr % PKT_MAX, soft = 1 + (hdr >> 11) * 90;
		const uint8_t *pkt = fz_take(&in, len, &len);

		feed_packet(&side[hdr >> 15 & 1], pkt, len, soft);
	}
	finish(&side[0]);
	finish(&side[1]);
	for (int s = 0; s < HTTP_STAT_COUNT; s++)
		FZ_CHECK(http_stat_name((enum http_stat)s) != NULL, "stat %d unnamed", s);
	return 0;
}
