/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the HTTP/1.1 context (nfsdk/http.h) on random streams, with the rewrite engine's
 * adapter as body transformer: large Content-Length and chunked bodies with many words cut with
 * MSS-like budgets, and both directions of keep-alive connections (GET, HEAD, POST with
 * Content-Length or chunked bodies, Accept-Encoding or not, pipelined, then their responses
 * matched through the link) cut at random places, against the decoded expected output built with
 * the reference transform (fixed seed).
 */
#include <check.h>

#include "fs_check.h"
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_test_util.h"

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

/* Both directions of one random keep-alive connection: inputs and expected outputs. */
struct pipeline {
	char req[200000], rsp[200000], wreq[300000], wrsp[300000];
	size_t rq, rs, wq, ws;
	bool nobody[16]; /* responses without a body (to HEAD) */
};

/* A random request (GET, HEAD, POST with Content-Length or chunked, Accept-Encoding or not). */
static int gen_request(struct pipeline *p, enum mode m, int k)
{
	static char body[4000], tb[20000];
	int kind = (int)(rnd() % 4); /* GET, HEAD, POST CL, POST chunked */
	bool ae = rnd() % 2;
	const char *meth = kind == 0 ? "GET" : kind == 1 ? "HEAD" : "POST";
	size_t bl, tl;

	APP(p->req, p->rq, "%s /%d HTTP/1.1\r\nHost: h\r\n%s", meth, k,
	    ae ? "Accept-Encoding: gzip\r\n" : "");
	APP(p->wreq, p->wq, "%s /%d HTTP/1.1\r\nHost: h\r\n", meth, k);
	bl = kind >= 2 ? rand_body(body) : 0;
	tl = xf(m, body, bl, tb);
	if (kind == 2) {
		APP(p->req, p->rq, "Content-Length: %zu\r\n\r\n", bl);
		memcpy(p->req + p->rq, body, bl);
		p->rq += bl;
		if (m == MASK || bl == 0) {
			APP(p->wreq, p->wq, "Content-Length: %zu\r\n\r\n", bl);
			memcpy(p->wreq + p->wq, tb, tl);
			p->wq += tl;
		} else {
			APP(p->wreq, p->wq, "Transfer-Encoding: chunked\r\n\r\n");
			app_one_chunk(p->wreq, &p->wq, tb, tl);
		}
	} else if (kind == 3) {
		APP(p->req, p->rq, "Transfer-Encoding: chunked\r\n\r\n");
		app_chunked(p->req, &p->rq, body, bl);
		APP(p->wreq, p->wq, "Transfer-Encoding: chunked\r\n\r\n");
		app_one_chunk(p->wreq, &p->wq, tb, tl);
	} else {
		APP(p->req, p->rq, "\r\n");
		APP(p->wreq, p->wq, "\r\n");
	}
	return kind;
}

/* The response to a request of that kind (HEAD: a Content-Length and no body). */
static void gen_response(struct pipeline *p, enum mode m, int k, int kind)
{
	static char body[4000], tb[20000];
	size_t bl, tl;

	p->nobody[k] = kind == 1;
	bl = rand_body(body);
	tl = xf(m, body, bl, tb);
	if (rnd() % 2) {
		APP(p->rsp, p->rs, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", bl);
		if (kind == 1 || m == MASK || bl == 0) {
			APP(p->wrsp, p->ws, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", bl);
			if (kind != 1) {
				memcpy(p->wrsp + p->ws, tb, tl);
				p->ws += tl;
			}
		} else {
			APP(p->wrsp, p->ws,
			    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
			app_one_chunk(p->wrsp, &p->ws, tb, tl);
		}
		if (kind != 1) {
			memcpy(p->rsp + p->rs, body, bl);
			p->rs += bl;
		}
	} else {
		APP(p->rsp, p->rs, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
		APP(p->wrsp, p->ws, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
		if (kind != 1) {
			app_chunked(p->rsp, &p->rs, body, bl);
			app_one_chunk(p->wrsp, &p->ws, tb, tl);
		}
	}
}

/* Feeds one direction cut at random places and compares its decoded output with the expected. */
static void check_pipeline_dir(const struct pipeline *p, enum mode m, int it, int dir, int nmsg,
			       struct http_link *link)
{
	static char dw[300000], dg[300000];
	static size_t cuts[200000];
	static struct run r;
	const char *in = dir == 0 ? p->req : p->rsp, *want = dir == 0 ? p->wreq : p->wrsp;
	size_t inl = dir == 0 ? p->rq : p->rs, wl = dir == 0 ? p->wq : p->ws, nc = 0, dwl, dgl;
	const bool *nobody = dir == 0 ? NULL : p->nobody;

	for (size_t q = 0;;) {
		q += 1 + rnd() % (rnd() % 2 ? 1448 : 40);
		if (q >= inl)
			break;
		cuts[nc++] = q;
	}
	run_cuts(&r, m, dir == 0, &cfg_strip, link, in, inl, cuts, nc);
	REQUIRE(r.stats.c[HTTP_STAT_MALFORMED] == 0 && r.stats.c[HTTP_STAT_UNMATCHED] == 0 &&
		r.stats.c[HTTP_STAT_NO_ROOM] == 0);
	REQUIRE(r.stats.c[dir == 0 ? HTTP_STAT_REQUESTS : HTTP_STAT_RESPONSES] == (uint64_t)nmsg);
	dwl = decode(want, wl, dw, nobody, dir == 0);
	dgl = decode(r.out, r.outlen, dg, nobody, dir == 0);
	if (dgl != dwl || memcmp(dg, dw, dwl) != 0) {
		size_t d = 0;

		while (d < dgl && d < dwl && dg[d] == dw[d])
			d++;
		ck_abort_msg("it %d dir %d mode %d: decoded output differs at %zu (%zu/%zu bytes): "
			     "got [%.*s] want [%.*s]",
			     it, dir, m, d, dgl, dwl, 60, dg + (d > 30 ? d - 30 : 0), 60,
			     dw + (d > 30 ? d - 30 : 0));
	}
}

START_TEST(test_http_feed_random_pipelines)
{
	/* both directions of keep-alive connections: random requests pipelined, then their
	 * responses, cut at random places; the response direction uses the link the request
	 * direction filled */
	static struct pipeline p;

	for (int it = 0; it < 150; it++) {
		enum mode m = (enum mode)(it % 3);
		int nmsg = 1 + (int)(rnd() % 12);
		struct http_link link = {0};

		p.rq = p.rs = p.wq = p.ws = 0;
		for (int k = 0; k < nmsg; k++)
			gen_response(&p, m, k, gen_request(&p, m, k));
		for (int dir = 0; dir < 2; dir++)
			check_pipeline_dir(&p, m, it, dir, nmsg, &link);
		REQUIRE(link.pushed == (uint32_t)nmsg && link.popped == (uint32_t)nmsg);
	}
}
END_TEST

static Suite *http_random_suite(void)
{
	Suite *s = suite_create("http_random");
	TCase *tc = tcase_create("feed");

	tcase_add_unchecked_fixture(tc, setup_rules, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_http_feed_random_bodies);
	tcase_add_test(tc, test_http_feed_random_pipelines);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(http_random_suite());
}
