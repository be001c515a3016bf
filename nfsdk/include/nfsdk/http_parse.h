/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nfsdk/http_parse.h — the one HTTP/1.x head parser: the syntax of a request or status line and
 * of the header fields up to the blank line, one byte at a time, with its state in one byte of
 * caller memory. Pure C, no DPDK, no allocation.
 *
 * What: http_parse_byte() moves the state over one byte and says what the byte is (an event):
 * a method, target or version byte, the space ending the method, the CR/LF ending the start
 * line, the first byte of a field name, the ':' after it, a value byte, the end of the blank
 * line, ... or HTTP_EV_ERROR when the byte breaks the syntax (the state is then left as it was,
 * so the caller still knows where the head broke). What the bytes mean (which method, which
 * field, the Content-Length) and what to keep of them is the caller's: the HTTP context
 * (nfsdk/http.h) rewrites heads with it, the httpfilter VNF's scanner reads targets and Host
 * fields with it.
 *
 * Syntax (RFC 9112, strict where a lenient parser would let a smuggler through):
 *  * request line: empty lines before it are skipped (HTTP_EV_BLANK); method = tchars, one SP,
 *    a non-empty target of bytes above SP other than DEL, one SP, "HTTP/1." and one digit, CRLF
 *    or a bare LF;
 *  * status line: "HTTP/1." and one digit, one SP, three digits (the first one not 0), then SP
 *    and a reason (any bytes but CR and LF), or directly CRLF / LF;
 *  * header fields: a name of tchars (whitespace before the name — obs-fold — and before the ':'
 *    is an error), ':', a value of any bytes but CR and LF (the caller refuses the ones it does
 *    not want, e.g. controls), CRLF or a bare LF; a CR not followed by LF is an error;
 *  * the blank line (CRLF or LF) ends the head: HTTP_EV_HEAD_END, the state is HTTP_PS_START
 *    again (the caller moves on to the body).
 * Lengths are not bounded here: the callers bound the head, their held tokens and the target.
 *
 * State: enum http_pstate; all values are below HTTP_PS_COUNT, so a caller may keep the state
 * in the same byte as its own later phases (body, pass-through), numbered from HTTP_PS_COUNT.
 *
 * Concurrency: pure function of (state, byte).
 */
#ifndef NFSDK_HTTP_PARSE_H
#define NFSDK_HTTP_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#define HTTP_VERSION_LEN 8 /* "HTTP/1.x" */
#define HTTP_STATUS_LEN	 3

/* The states: the version and status states count the bytes seen (HTTP_PS_VERSION + i). */
enum http_pstate {
	HTTP_PS_START = 0, /* before a message's first byte */
	HTTP_PS_METHOD,	   /* request line: method (at least one byte seen) */
	HTTP_PS_TARGET0,   /* request line: target, nothing yet */
	HTTP_PS_TARGET,	   /* request line: target */
	HTTP_PS_VERSION,   /* request line: version, 0..8 bytes seen */
	HTTP_PS_RVERSION = HTTP_PS_VERSION + HTTP_VERSION_LEN + 1, /* status line: version */
	HTTP_PS_STATUS = HTTP_PS_RVERSION + HTTP_VERSION_LEN + 1,  /* status code: 0..3 digits */
	HTTP_PS_REASON = HTTP_PS_STATUS + HTTP_STATUS_LEN + 1,	   /* status line: reason */
	HTTP_PS_LINE_LF,					   /* start line: CR seen */
	HTTP_PS_FIELD,	  /* start of a field line (or of the blank line) */
	HTTP_PS_NAME,	  /* field name */
	HTTP_PS_VALUE,	  /* field value */
	HTTP_PS_VALUE_LF, /* field line: CR seen */
	HTTP_PS_HEAD_LF,  /* blank line: CR seen */
	HTTP_PS_COUNT
};

enum http_ev {
	HTTP_EV_ERROR = 0,   /* the byte breaks the syntax; state unchanged */
	HTTP_EV_BLANK,	     /* CR or LF of an empty line before a request line */
	HTTP_EV_METHOD,	     /* a method byte (the first one starts a request) */
	HTTP_EV_METHOD_END,  /* the SP after the method */
	HTTP_EV_TARGET,	     /* a target byte */
	HTTP_EV_TARGET_END,  /* the SP after the target */
	HTTP_EV_VERSION,     /* a byte of "HTTP/1." (the first one of a status line starts it) */
	HTTP_EV_MINOR,	     /* the version's minor digit */
	HTTP_EV_VERSION_END, /* the SP after a status line's version */
	HTTP_EV_STATUS,	     /* a status code digit */
	HTTP_EV_REASON,	     /* the SP after the status code, or a reason byte */
	HTTP_EV_LINE_CR,     /* the CR ending the start line */
	HTTP_EV_LINE_END,    /* the LF ending the start line */
	HTTP_EV_FIELD,	     /* the first byte of a field name: a new field */
	HTTP_EV_NAME,	     /* a further field name byte */
	HTTP_EV_NAME_END,    /* the ':' after the name */
	HTTP_EV_VALUE,	     /* a value byte (leading and trailing whitespace included) */
	HTTP_EV_VALUE_CR,    /* the CR ending a field line */
	HTTP_EV_FIELD_END,   /* the LF ending a field line */
	HTTP_EV_HEAD_CR,     /* the CR of the blank line */
	HTTP_EV_HEAD_END,    /* the LF of the blank line: the head is complete */
};

/* RFC 9110 token character (method, field name). */
static inline bool http_is_tchar(uint8_t b)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";

	if ((b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z'))
		return true;
	for (const char *p = extra; *p != 0; p++)
		if (b == (uint8_t)*p)
			return true;
	return false;
}

/*
 * One byte b of a request (request true) or response head in state *state (HTTP_PS_START for
 * a new message; below HTTP_PS_COUNT). Moves *state and returns what b is; HTTP_EV_ERROR leaves
 * *state unchanged.
 */
enum http_ev http_parse_byte(uint8_t *state, bool request, uint8_t b);

#endif /* NFSDK_HTTP_PARSE_H */
