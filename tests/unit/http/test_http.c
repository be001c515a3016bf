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
 * HTTP/1.0 fallbacks, close-delimited bodies, malformed and too long heads (pass-through), no
 * room, bad chunk framing, transformer failures and flushes across packets. Random streams are
 * in test_http_random.c; the helpers both use in http_test_util.h.
 */
#include <check.h>

#include "fs_check.h"
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_test_util.h"

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
	tcase_add_test(tc, test_http_feed_no_room_leaves_message_alone);
	tcase_add_test(tc, test_http_feed_bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(http_suite());
}
