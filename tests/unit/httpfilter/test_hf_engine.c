/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the httpfilter engine (nfs/httpfilter/engine). The scanner: a keep-alive stream
 * of six requests (Host with port and case, a Content-Length body that looks like a request, a
 * chunked body with extensions and a trailer, an absolute-form target, leading empty lines, LF-only
 * line ends) gives the same heads, at the same stream offsets, whole, byte by byte, and cut at
 * every pair of places; every error (syntax, TLS bytes, long head/target/Host, two Hosts,
 * Content-Length with chunked, unknown coding, bad chunk size) is reported, also when cut at every
 * byte. The rules: syntax errors, host globs and regexes (caseless), URL globs, prefixes and
 * regexes, first match wins, allow exceptions, bad regex refused.
 */
#include <check.h>

#include "fs_check.h"
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hf_rules.h"
#include "hf_scan.h"

#define REQUIRE(c)                                                                                 \
	do {                                                                                       \
		if (!(c))                                                                          \
			ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #c);                         \
	} while (0)

static const char stream[] =
    "GET /a/b?x=1 HTTP/1.1\r\nHost: Example.COM:8080\r\nAccept: */*\r\n\r\n"
    "POST /up HTTP/1.1\r\nhost: up.test\r\nContent-Length: 24\r\n\r\n"
    "GET /evil HTTP/1.1\r\n\r\n.."
    "POST /chunked HTTP/1.1\r\nHOST: c.test.\r\nTransfer-Encoding: Chunked\r\n\r\n"
    "5;ext=1\r\nGET /\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: 1\r\n\r\n"
    "GET http://Abs.Test:81/p/q HTTP/1.1\r\nHost: ignored.test\r\n\r\n"
    "\r\n\r\nHEAD /lf HTTP/1.0\nX-A:  b \n\n"
    "GET /last HTTP/1.1\r\nUser-Agent: t\r\nHost:\tlast.test \r\n\r\n";

struct head {
	const char *url, *host;
	uint32_t end; /* stream offset one past the head's last byte */
};

static struct head want[8];
static int nwant;

/* Expected heads: found by searching the head ends in the text above. */
static void setup_want(void)
{
	static const char *const urls[] = {"/a/b?x=1", "/up", "/chunked", "/p/q", "/lf", "/last"};
	static const char *const hosts[] = {"example.com", "up.test", "c.test",
					    "abs.test",	   "",	      "last.test"};
	const char *p = stream;

	nwant = 6;
	for (int i = 0; i < nwant; i++) {
		const char *e = strstr(p, i == 4 ? "\n\n" : "\r\n\r\n");

		if (i == 1)
			e = strstr(strstr(p, "Content-Length"), "\r\n\r\n");
		want[i].url = urls[i];
		want[i].host = hosts[i];
		want[i].end = (uint32_t)(e - stream) + (i == 4 ? 2 : 4);
		p = stream + want[i].end;
		if (i == 1)
			p += 24;
		if (i == 2)
			p = strstr(p, "X-Trailer: 1\r\n\r\n") + 16;
	}
}

/* Feeds the stream in pieces ending at the cut offsets; checks the heads found. */
static void run_cuts(const uint32_t *cuts, int ncuts)
{
	struct hf_scan s;
	uint32_t len = (uint32_t)strlen(stream), at = 0, used;
	int got = 0, lines = 0;

	hf_scan_init(&s, 4096);
	for (int c = 0; c <= ncuts; c++) {
		uint32_t end = c < ncuts ? cuts[c] : len;

		while (at < end) {
			enum hf_scan_rc rc =
			    hf_scan_feed(&s, (const uint8_t *)stream + at, end - at, &used);

			REQUIRE(rc != HF_SCAN_ERROR);
			at += used;
			if (rc == HF_SCAN_LINE) {
				REQUIRE(got < nwant && lines == got);
				REQUIRE(s.url_len == strlen(want[got].url));
				REQUIRE(memcmp(s.url, want[got].url, s.url_len) == 0);
				REQUIRE(hf_scan_in_head(&s));
				REQUIRE(hf_scan_host_known(&s) == (got == 3)); /* absolute form */
				lines++;
			} else if (rc == HF_SCAN_HEAD) {
				REQUIRE(lines == got + 1);
				REQUIRE(hf_scan_host_known(&s));
				REQUIRE(got < nwant);
				REQUIRE(at == want[got].end);
				REQUIRE(s.url_len == strlen(want[got].url));
				REQUIRE(memcmp(s.url, want[got].url, s.url_len) == 0);
				REQUIRE(s.host_len == strlen(want[got].host));
				REQUIRE(memcmp(s.host, want[got].host, s.host_len) == 0);
				got++;
			} else {
				REQUIRE(at == end);
			}
		}
	}
	REQUIRE(got == nwant);
	REQUIRE(s.requests == (uint32_t)nwant);
	REQUIRE(!hf_scan_in_head(&s));
}

START_TEST(test_hf_scan_feed_whole_and_byte_by_byte)
{
	uint32_t len = (uint32_t)strlen(stream), cuts[sizeof(stream)];

	setup_want();
	run_cuts(NULL, 0);
	for (uint32_t i = 0; i < len; i++)
		cuts[i] = i + 1;
	run_cuts(cuts, (int)len - 1);
}
END_TEST

START_TEST(test_hf_scan_feed_cut_at_every_pair_of_places)
{
	uint32_t len = (uint32_t)strlen(stream);

	setup_want();
	for (uint32_t a = 1; a < len; a++)
		for (uint32_t b = a; b < len; b += 3) {
			uint32_t cuts[2] = {a, b};

			run_cuts(cuts, 2);
		}
}
END_TEST

/* The text gives HF_SCAN_ERROR with `err`, whole and cut at every byte. */
static void expect_error(const char *text, uint32_t max_head, enum hf_scan_err err)
{
	uint32_t len = (uint32_t)strlen(text);

	for (uint32_t step = 0; step <= 1; step++) {
		struct hf_scan s;
		uint32_t at = 0, used;
		enum hf_scan_rc rc = HF_SCAN_MORE;

		hf_scan_init(&s, max_head);
		while (at < len && rc != HF_SCAN_ERROR) {
			uint32_t n = step ? 1 : len - at;

			rc = hf_scan_feed(&s, (const uint8_t *)text + at, n, &used);
			at += used;
		}
		ck_assert_msg(rc == HF_SCAN_ERROR, "no error for %s", text);
		ck_assert_int_eq(hf_scan_error(&s), err);
		ck_assert_int_eq(hf_scan_feed(&s, (const uint8_t *)"x", 1, &used), HF_SCAN_ERROR);
		ck_assert_uint_eq(used, 0);
	}
}

START_TEST(test_hf_scan_feed_errors)
{
	char big[600];

	expect_error("\x16\x03\x01\x02\x00", 4096, HF_ERR_SYNTAX);
	expect_error("GET  / HTTP/1.1\r\n\r\n", 4096, HF_ERR_SYNTAX);
	expect_error("GET / HTTP/2.0\r\n\r\n", 4096, HF_ERR_SYNTAX);
	expect_error("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", 4096, HF_ERR_SYNTAX);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 4096, HF_ERR_SYNTAX);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nX: 1234567890123456789012345678901234567890"
		     "1234567890\r\n\r\n",
		     64, HF_ERR_HEAD_LONG);
	expect_error("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
		     4096, HF_ERR_BODY);
	expect_error("POST / HTTP/1.1\r\nContent-Length: 3x\r\n\r\n", 4096, HF_ERR_BODY);
	expect_error("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 4096,
		     HF_ERR_BODY);
	expect_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 4096,
		     HF_ERR_BODY);
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	strcpy(big + 300, " HTTP/1.1\r\n\r\n");
	expect_error(big, 4096, HF_ERR_URL_LONG);
	memset(big, 'h', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nHost: ", 22);
	strcpy(big + 22 + 200, "\r\n\r\n");
	expect_error(big, 4096, HF_ERR_HOST_LONG);
	memset(big, 'h', sizeof(big));
	memcpy(big, "GET http://", 11);
	strcpy(big + 11 + 200, "/ HTTP/1.1\r\n\r\n");
	expect_error(big, 4096, HF_ERR_HOST_LONG);
}
END_TEST

START_TEST(test_hf_scan_in_head_follows_the_stream)
{
	struct hf_scan s;
	uint32_t used;

	hf_scan_init(&s, 4096);
	ck_assert(!hf_scan_in_head(&s));
	ck_assert_int_eq(hf_scan_feed(&s, (const uint8_t *)"GET / HT", 8, &used), HF_SCAN_LINE);
	ck_assert_uint_eq(used, 6);
	ck_assert(hf_scan_in_head(&s));
	ck_assert(!hf_scan_host_known(&s));
	ck_assert_int_eq(hf_scan_feed(&s, (const uint8_t *)"HT", 2, &used), HF_SCAN_MORE);
	ck_assert(hf_scan_in_head(&s));
	ck_assert_int_eq(hf_scan_feed(&s, (const uint8_t *)"TP/1.1\r\n\r\n", 10, &used),
			 HF_SCAN_HEAD);
	ck_assert_uint_eq(used, 10);
	ck_assert(!hf_scan_in_head(&s));
	ck_assert_uint_eq(s.host_len, 0);
}
END_TEST

static struct hf_rules rules;

static void add(const char *text)
{
	char err[256];

	ck_assert_msg(hf_rules_add(&rules, text, HF_ACT_403, 0, err, sizeof(err)) == 0, "%s: %s",
		      text, err);
}

static int match(const char *host, const char *url)
{
	return hf_rules_match(&rules, host, strlen(host), url, strlen(url));
}

START_TEST(test_hf_rules_match_first_rule_wins)
{
	char err[256];

	hf_rules_init(&rules);
	add("allow url-prefix /public/");
	add("block host *.blocked.test");
	add("close url /*.php");
	add("403 url-regex ^/admin(/|$)");
	add("block host-regex ^ads[0-9]+\\.");
	add("block host exact.test");
	ck_assert_int_eq(hf_rules_compile(&rules, err, sizeof(err)), 0);
	ck_assert_int_eq(rules.rule[1].action, HF_ACT_403);
	ck_assert_int_eq(rules.rule[2].action, HF_ACT_CLOSE);
	ck_assert_int_eq(match("www.blocked.test", "/"), 1);
	ck_assert_int_eq(match("www.blocked.test", "/public/x"), 0);
	ck_assert_int_eq(match("blocked.test", "/"), -1);
	ck_assert_int_eq(match("ok.test", "/x/y.php"), 2);
	ck_assert_int_eq(match("ok.test", "/x/y.php?a=1"), -1);
	ck_assert_int_eq(match("ok.test", "/admin"), 3);
	ck_assert_int_eq(match("ok.test", "/admin/users"), 3);
	ck_assert_int_eq(match("ok.test", "/administrator"), -1);
	ck_assert_int_eq(match("ADS12.example", "/"), 4); /* regexes on hosts are caseless */
	ck_assert_int_eq(match("xads12.example", "/"), -1);
	ck_assert_int_eq(match("exact.test", "/"), 5);
	ck_assert_int_eq(match("exact.test.org", "/"), -1);
	ck_assert_int_eq(match("", "/"), -1);
	/* at the end of the request line: URL rules decide until the first host rule */
	ck_assert_int_eq(hf_rules_match_line(&rules, "/public/a", 9, NULL, 0), 0);
	ck_assert_int_eq(hf_rules_match_line(&rules, "/x.php", 6, NULL, 0), HF_UNDECIDED);
	ck_assert_int_eq(hf_rules_match_line(&rules, "/x.php", 6, "ok.test", 7), 2);
	ck_assert_int_eq(hf_rules_match_line(&rules, "/x", 2, "a.blocked.test", 14), 1);
	ck_assert_int_eq(hf_rules_match_line(&rules, "/x", 2, "ok.test", 7), -1);
	hf_rules_uninit(&rules);
	hf_rules_init(&rules);
	add("block url-prefix /secret/");
	add("allow host trusted.test");
	ck_assert_int_eq(hf_rules_compile(&rules, err, sizeof(err)), 0);
	ck_assert_int_eq(hf_rules_match_line(&rules, "/secret/a", 9, NULL, 0), 0);
	ck_assert_int_eq(hf_rules_match_line(&rules, "/open", 5, NULL, 0), HF_UNDECIDED);
	hf_rules_uninit(&rules);
}
END_TEST

START_TEST(test_hf_rules_add_refuses_bad_rules)
{
	static const char *const bad[] = {
	    "deny host x",    "block hostname x", "block host", "block host a b", "",
	    "block url-regex"};
	char err[256];
	char longpat[400];

	hf_rules_init(&rules);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(hf_rules_add(&rules, bad[i], HF_ACT_403, 3, err, sizeof(err)),
				 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "line 3"));
	memset(longpat, 'a', sizeof(longpat));
	memcpy(longpat, "block url ", 10);
	longpat[10 + 300] = '\0';
	ck_assert_int_eq(hf_rules_add(&rules, longpat, HF_ACT_403, 0, err, sizeof(err)), -E2BIG);
	ck_assert_uint_eq(rules.count, 0);
	for (int i = 0; i < HF_RULES_MAX; i++)
		add("block url /x");
	ck_assert_int_eq(hf_rules_add(&rules, "block url /y", HF_ACT_403, 0, err, sizeof(err)),
			 -E2BIG);
	hf_rules_init(&rules);
	add("block url-regex a(b");
	ck_assert_int_eq(hf_rules_compile(&rules, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "rule 1"));
	hf_rules_uninit(&rules);
}
END_TEST

static Suite *hf_suite(void)
{
	Suite *s = suite_create("hf_engine");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_hf_scan_feed_whole_and_byte_by_byte);
	tcase_add_test(tc, test_hf_scan_feed_cut_at_every_pair_of_places);
	tcase_add_test(tc, test_hf_scan_feed_errors);
	tcase_add_test(tc, test_hf_scan_in_head_follows_the_stream);
	tcase_add_test(tc, test_hf_rules_match_first_rule_wins);
	tcase_add_test(tc, test_hf_rules_add_refuses_bad_rules);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(hf_suite());
}
