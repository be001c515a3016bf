/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_http.c — the HTTP context (nfsdk/http.h) on one core, with the rewrite engine as body
 * transformer ("ATTACK" masked, removed, replaced by 60 bytes):
 *   1. ns per 1448-byte packet of a 64 MiB response body (random bytes, an "ATTACK" every
 *      10 KB): the engine alone (rw_feed, what `rewrite` does without --http), then through
 *      http_feed() with Content-Length (mask: no re-framing; remove/replace: re-chunked), and a
 *      chunked body (16 KiB chunks) re-chunked;
 *   2. ns per request head (curl's GET with Accept-Encoding stripped; 1448-byte packets of
 *      pipelined heads).
 * Prints the figures and writes CSV (experiment,value,unit) to argv[1]. Never asserted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nfsdk/http.h"
#include "rw_engine.h"
#include "rw_http.h"

#define PKT	 1448
#define BODY_LEN (64u << 20)

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static FILE *g_csv;

static void report(const char *exp, double value, const char *unit)
{
	printf("  %-44s %10.1f %s\n", exp, value, unit);
	if (g_csv != NULL)
		fprintf(g_csv, "%s,%.3f,%s\n", exp, value, unit);
}

/* Feeds `len` bytes of `in` in PKT-byte packets through the context; ns per packet. */
static double run_http(const struct rw_rules *r, const uint8_t *in, size_t len, bool request,
		       const struct http_cfg *cfg, uint64_t *outbytes)
{
	static uint8_t out[PKT + 534]; /* what an mbuf of the rewrite VNF holds */
	struct rw_stream rs;
	struct rw_http_body body = {.rules = r, .st = &rs};
	struct http_body_ops ops = rw_http_body_ops(r);
	struct http_link link = {0};
	struct http_stats st = {0};
	struct http_env env = {.cfg = cfg, .ops = &ops, .body = &body, .link = &link, .stats = &st};
	struct http_dir h;
	size_t olen, npkt = 0;
	double t0;

	rw_stream_init(&rs);
	http_dir_init(&h, request);
	if (!request) { /* one GET answered */
		link.kind[0] = HTTP_KIND_VALID;
		link.pushed = 1;
	}
	*outbytes = 0;
	t0 = now_ns();
	for (size_t p = 0; p < len; p += PKT, npkt++) {
		size_t k = len - p < PKT ? len - p : PKT;

		if (http_feed(&env, &h, in + p, k, out, PKT, sizeof(out), &olen) < 0)
			abort();
		*outbytes += olen;
		if (request) /* keep the link from filling: the responses would pop */
			link.popped = link.pushed;
	}
	return (now_ns() - t0) / (double)npkt;
}

static double run_engine(const struct rw_rules *r, const uint8_t *in, size_t len)
{
	static uint8_t out[PKT + 4096];
	struct rw_stream st;
	size_t olen, npkt = 0;
	double t0;

	rw_stream_init(&st);
	t0 = now_ns();
	for (size_t p = 0; p < len; p += PKT, npkt++) {
		size_t k = len - p < PKT ? len - p : PKT;
		int rc = rw_feed(r, &st, in + p, k, out, PKT, &olen);

		if (rc == -ENOSPC)
			rc = rw_feed(r, &st, in + p, k, out, sizeof(out), &olen);
		if (rc < 0)
			abort();
	}
	return (now_ns() - t0) / (double)npkt;
}

int main(int argc, char **argv)
{
	static const char *const names[3] = {"mask", "remove", "replace"};
	static const char *const reps[3] = {
	    "XXXXXX", "", "<<<<<<<<<<<<<<<<<<<<<<<<<<<-redacted-by-rewrite->>>>>>>>>>>>"};
	static const char head[] = "GET /some/file.bin HTTP/1.1\r\nHost: 198.18.0.2:8080\r\n"
				   "User-Agent: curl/7.88.1\r\nAccept: */*\r\n"
				   "Accept-Encoding: deflate, gzip, br, zstd\r\n\r\n";
	const struct http_cfg cfg = {.strip_accept_encoding = true};
	static struct rw_rules rules[3];
	uint8_t *body, *msg, *chunked, *heads;
	size_t hl, ml, cl = 0, nheads, headslen = 0;
	uint64_t ob;
	char name[96];

	g_csv = argc > 1 ? fopen(argv[1], "w") : NULL;
	body = malloc(BODY_LEN);
	msg = malloc(BODY_LEN + 256);
	chunked = malloc(BODY_LEN + BODY_LEN / 1024 + 256);
	heads = malloc(BODY_LEN);
	if (body == NULL || msg == NULL || chunked == NULL || heads == NULL)
		return 1;
	srand(7);
	for (size_t i = 0; i < BODY_LEN; i += 4) {
		uint32_t v = (uint32_t)rand() * 2654435761u;

		memcpy(body + i, &v, 4);
	}
	for (size_t i = 5000; i + 6 < BODY_LEN; i += 10000)
		memcpy(body + i, "ATTACK", 6);
	hl =
	    (size_t)sprintf((char *)msg, "HTTP/1.1 200 OK\r\nContent-Length: %u\r\n\r\n", BODY_LEN);
	memcpy(msg + hl, body, BODY_LEN);
	ml = hl + BODY_LEN;
	cl = (size_t)sprintf((char *)chunked,
			     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (size_t p = 0; p < BODY_LEN; p += 16384) {
		cl += (size_t)sprintf((char *)chunked + cl, "4000\r\n");
		memcpy(chunked + cl, body + p, 16384);
		cl += 16384;
		memcpy(chunked + cl, "\r\n", 2);
		cl += 2;
	}
	cl += (size_t)sprintf((char *)chunked + cl, "0\r\n\r\n");
	for (nheads = 0; headslen + sizeof(head) < BODY_LEN / 8; nheads++) {
		memcpy(heads + headslen, head, sizeof(head) - 1);
		headslen += sizeof(head) - 1;
	}

	printf("bench_http: %u MiB body in %d-byte packets, one core\n", BODY_LEN >> 20, PKT);
	for (int m = 0; m < 3; m++) {
		rw_rules_init(&rules[m]);
		rw_rules_add(&rules[m], (const uint8_t *)"ATTACK", 6, (const uint8_t *)reps[m],
			     strlen(reps[m]));
	}
	for (int m = 0; m < 3; m++) {
		/* each twice, the second counts (same buffers, warm) */
		double e = (run_engine(&rules[m], msg + hl, BODY_LEN),
			    run_engine(&rules[m], msg + hl, BODY_LEN));
		double c = (run_http(&rules[m], msg, ml, false, &cfg, &ob),
			    run_http(&rules[m], msg, ml, false, &cfg, &ob));
		double k = (run_http(&rules[m], chunked, cl, false, &cfg, &ob),
			    run_http(&rules[m], chunked, cl, false, &cfg, &ob));

		snprintf(name, sizeof(name), "%s engine alone (ns/packet)", names[m]);
		report(name, e, "ns");
		snprintf(name, sizeof(name), "%s http Content-Length body (ns/packet)", names[m]);
		report(name, c, "ns");
		snprintf(name, sizeof(name), "%s http chunked body re-chunked (ns/packet)",
			 names[m]);
		report(name, k, "ns");
		snprintf(name, sizeof(name), "%s http Content-Length body (GB/s)", names[m]);
		report(name, PKT / c, "GB/s");
	}
	{
		double t = run_http(&rules[2], heads, headslen, true, &cfg, &ob);
		double per_head = t * (double)((headslen + PKT - 1) / PKT) / (double)nheads;

		report("request head parsed + Accept-Encoding stripped (ns/head)", per_head, "ns");
		report("request heads (MB/s)", (double)PKT / t * 1e3, "MB/s");
	}
	if (g_csv != NULL)
		fclose(g_csv);
	free(body);
	free(msg);
	free(chunked);
	free(heads);
	return 0;
}
