/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the HTTP/1.x head parser (nfsdk/http_parse.h): the exact event of every byte of
 * request and status lines and header fields (CRLF and bare LF, empty lines before a request,
 * reasons, empty values), the byte at which each kind of malformed head is refused with the state
 * left as it was, and that the state stays below HTTP_PS_COUNT and is HTTP_PS_START after a head.
 */
#include <check.h>

#include "fs_check.h"
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "nfsdk/http_parse.h"

/* One letter per event, so a head's events read as a string. */
static char ev_letter(enum http_ev ev)
{
	static const char letters[] = "!bmMtTvnVsrcCfFNaxLhH";

	_Static_assert(sizeof(letters) - 1 == HTTP_EV_HEAD_END + 1, "one letter per event");
	return letters[ev];
}

/* Feeds s (len bytes) from HTTP_PS_START; writes the events' letters; stops after an error. */
static void events(const char *s, size_t len, bool request, char *out)
{
	uint8_t st = HTTP_PS_START;

	for (size_t i = 0; i < len; i++) {
		uint8_t before = st;
		enum http_ev ev = http_parse_byte(&st, request, (uint8_t)s[i]);

		ck_assert_uint_lt(st, HTTP_PS_COUNT);
		out[i] = ev_letter(ev);
		if (ev == HTTP_EV_ERROR) {
			ck_assert_uint_eq(st, before); /* unchanged */
			out[i + 1] = 0;
			return;
		}
	}
	out[len] = 0;
	ck_assert_uint_eq(st, HTTP_PS_START); /* every case ends with a complete head */
}

START_TEST(test_http_parse_byte_request_events)
{
	static const char in[] = "\r\nGET /a HTTP/1.1\r\nHost: h\r\nX:\n\r\n";
	char got[64];

	events(in, sizeof(in) - 1, true, got);
	ck_assert_str_eq(got, "bb"
			      "mmmM"
			      "ttT"
			      "vvvvvvvncC"
			      "fFFFNaaxL"
			      "fNL"
			      "hH");
}
END_TEST

START_TEST(test_http_parse_byte_response_events)
{
	static const char in[] = "HTTP/1.0 204 No\r\nA: 1\r\n\r\n";
	static const char bare[] = "HTTP/1.1 100\nB:2\n\n";
	char got[64];

	events(in, sizeof(in) - 1, false, got);
	ck_assert_str_eq(got, "vvvvvvvnV"
			      "sss"
			      "rrrcC"
			      "fNaaxL"
			      "hH");
	events(bare, sizeof(bare) - 1, false, got);
	ck_assert_str_eq(got, "vvvvvvvnVsssC"
			      "fNaL"
			      "H");
}
END_TEST

/* Each malformed head is refused at one byte (its index), the bytes before it are accepted. */
START_TEST(test_http_parse_byte_errors_at_the_byte)
{
	static const struct {
		bool request;
		const char *in;
		size_t at;
	} cases[] = {
	    {true, " GET / HTTP/1.1\r\n", 0},		 /* no method */
	    {true, "G@T / HTTP/1.1\r\n", 1},		 /* not a tchar */
	    {true, "GET  / HTTP/1.1\r\n", 4},		 /* empty target */
	    {true, "GET /\x01 HTTP/1.1\r\n", 5},	 /* control in the target */
	    {true, "GET / http/1.1\r\n", 6},		 /* version case */
	    {true, "GET / HTTP/2.0\r\n", 11},		 /* major version */
	    {true, "GET / HTTP/1.x\r\n", 13},		 /* minor not a digit */
	    {true, "GET / HTTP/1.1x\r\n", 14},		 /* version too long */
	    {true, "GET / HTTP/1.1\rX", 15},		 /* bare CR in the start line */
	    {true, "GET / HTTP/1.1\r\n X: y\r\n", 16},	 /* obs-fold / whitespace before a name */
	    {true, "GET / HTTP/1.1\r\nX : y\r\n", 17},	 /* whitespace before ':' */
	    {true, "GET / HTTP/1.1\r\nX: a\rb\r\n", 21}, /* bare CR in a value */
	    {true, "GET / HTTP/1.1\r\n\rX", 17},	 /* bare CR in the blank line */
	    {false, "\r\nHTTP/1.1 200 OK\r\n", 0},	 /* no empty lines before a status line */
	    {false, "HTTP/1.1  200 OK\r\n", 9},		 /* two spaces */
	    {false, "HTTP/1.1 099 OK\r\n", 9},		 /* status below 100 */
	    {false, "HTTP/1.1 20 OK\r\n", 11},		 /* two digits */
	    {false, "HTTP/1.1 2000 OK\r\n", 12},	 /* four digits */
	    {false, "HTTP/1.1 200 OK\r\nA:\x01\r\n\rZ", 23}, /* controls are the caller's */
	};
	char got[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].in);

		events(cases[i].in, len, cases[i].request, got);
		ck_assert_msg(strlen(got) == cases[i].at + 1 && got[cases[i].at] == '!',
			      "case %zu: events '%s', want the error at %zu", i, got, cases[i].at);
	}
}
END_TEST

/* States a caller numbers from HTTP_PS_COUNT (its body phases) are refused, unchanged. */
START_TEST(test_http_parse_byte_foreign_state)
{
	uint8_t st = HTTP_PS_COUNT + 3;

	ck_assert_int_eq(http_parse_byte(&st, true, 'G'), HTTP_EV_ERROR);
	ck_assert_uint_eq(st, HTTP_PS_COUNT + 3);
	ck_assert(http_is_tchar('~') && http_is_tchar('Z') && !http_is_tchar(' ') &&
		  !http_is_tchar(':') && !http_is_tchar(0) && !http_is_tchar('('));
}
END_TEST

static Suite *http_parse_suite(void)
{
	Suite *s = suite_create("http_parse");
	TCase *tc = tcase_create("byte");

	tcase_add_test(tc, test_http_parse_byte_request_events);
	tcase_add_test(tc, test_http_parse_byte_response_events);
	tcase_add_test(tc, test_http_parse_byte_errors_at_the_byte);
	tcase_add_test(tc, test_http_parse_byte_foreign_state);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(http_parse_suite());
}
