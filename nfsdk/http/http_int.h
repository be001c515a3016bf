/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * http_int.h — private to the HTTP context (nfsdk/http.h): a direction's phases and flags, the
 * per-call state, and the output helpers the body side (http.c) and the head side (http_head.c)
 * share.
 */
#ifndef HTTP_INT_H
#define HTTP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nfsdk/http.h"
#include "nfsdk/http_parse.h"

/* A direction's phase (h->phase): in a head, the HTTP parser's state; after it, the body's. */
enum phase {
	PH_START = HTTP_PS_START,   /* before a message's first byte */
	PH_BODY_CL = HTTP_PS_COUNT, /* Content-Length body: rem bytes left */
	PH_CSIZE,		    /* chunk size */
	PH_CEXT,		    /* chunk extension */
	PH_CSIZE_LF,		    /* chunk size line: CR seen */
	PH_CDATA,		    /* chunk data: rem bytes left */
	PH_CDATA_CR,		    /* CRLF after chunk data */
	PH_CDATA_LF,
	PH_TSTART, /* start of a trailer line (or the final blank line) */
	PH_TLINE,
	PH_TEND_LF,
	PH_BODY_CLOSE, /* close-delimited body */
	PH_FLUSH,      /* the transformer's flush did not fit: finished by the next call */
	PH_PASS,       /* everything passes unchanged */
};

enum body_mode {
	BM_NONE = 0,
	BM_RAW,	  /* body untransformed, framing as it is */
	BM_SAME,  /* transformed, framing unchanged (sizes kept, or close-delimited) */
	BM_CHUNK, /* transformed, output chunked */
	BM_CLOSE, /* transformed, output close-delimited (HTTP/1.0 fallback) */
};

enum after_flush {
	AF_END = 0,   /* the message is complete */
	AF_END_CHUNK, /* write the last chunk and the blank line, then complete */
	AF_TRAILERS,  /* write the last chunk, then the trailers follow */
	AF_CLOSED,    /* close-delimited output: what follows passes unchanged */
};

enum hdr {
	HD_OTHER = 0,
	HD_CL,
	HD_TE,
	HD_AE,
	HD_UPGRADE,
};

#define HF_V10	      0x0001 /* the message is HTTP/1.0 */
#define HF_CL	      0x0002 /* a Content-Length was seen (h->cl) */
#define HF_CL_DROP    0x0004 /* its field(s) were removed */
#define HF_TE	      0x0008 /* a Transfer-Encoding was seen */
#define HF_TE_CHUNKED 0x0010 /* and its last coding is chunked */
#define HF_UPGRADE    0x0020 /* an Upgrade field was seen */
#define HF_NOROOM     0x0040 /* not re-framed: no room in the packet where it started */
#define HF_STARTED    0x0080 /* the message's first byte was seen */
#define HF_TUNNEL     0x0100 /* pass everything after this message */
#define HF_CL_PREV    0x0200 /* a removed Content-Length field was complete */

#define SUB_DROP   0x40 /* the current header line is removed */
#define SUB_DIGITS 0x20 /* CL / chunk size: digits seen in the current element */
#define SUB_AFTER  0x10 /* CL: whitespace after the digits / TE: the token ended */
#define SUB_LONG   0x08 /* TE: the token is longer than tok */

#define CHUNK_HDR_MAX 20 /* "%x\r\n" for any size_t, plus the CRLF after the data */
#define END_RESERVE   24 /* space kept for the end of a chunked body ("0\r\n\r\n") */

struct call {
	const struct http_env *env;
	struct http_dir *h;
	const uint8_t *in;
	size_t inlen, pos;
	uint8_t *out;
	size_t n, soft, cap;
	size_t chunk_at; /* the open output chunk: its header's reserved place */
	size_t chunk_w;	 /* and width */
	bool chunk_open;
};

static inline void count(struct call *c, enum http_stat s, uint64_t n)
{
	if (c->env->stats != NULL)
		c->env->stats->c[s] += n;
}

/* Output space left. */
static inline size_t space(const struct call *c)
{
	return c->cap - c->n;
}

/* Input bytes left. */
static inline size_t left(const struct call *c)
{
	return c->inlen - c->pos;
}

/* Writes len bytes; the callers' reserves make it fit (counted as an error otherwise). */
void http_emit(struct call *c, const void *p, size_t len);

static inline void emit_byte(struct call *c, uint8_t b)
{
	http_emit(c, &b, 1);
}

static inline void emit_str(struct call *c, const char *s)
{
	http_emit(c, s, strlen(s));
}

/* Puts a removed Content-Length field back (`Content-Length: N`). */
void http_put_back_cl(struct call *c);

/*
 * Passes everything from here on (stat counted): a held name goes out, a removed
 * Content-Length is put back when at a line start, and what the transformer carries is flushed.
 */
void http_go_pass(struct call *c, enum http_stat stat, bool flush);

/* The message is complete: the next one starts (or, after a tunnel's, the direction passes). */
void http_end_message(struct call *c);

/* One byte of a head (h->phase below HTTP_PS_COUNT), always consumed (http_head.c). */
void http_head_byte(struct call *c, uint8_t b);

#endif /* HTTP_INT_H */
