/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hf_scan.h — streaming scanner of HTTP/1.x requests for the httpfilter VNF: finds each request's
 * target (URL) and Host header in the client's byte stream, however the stream is cut into
 * segments, and skips each request's body so that every request of a keep-alive connection is
 * seen. All state is in a fixed-size, pointer-free struct in caller memory (the session's
 * scratchpad).
 *
 * What is kept: the request target (at most HF_URL_MAX bytes) and the first Host header's value
 * (at most HF_HOST_MAX bytes, lower-cased, without a ":port" and a trailing dot), plus the few
 * bytes of a header name and of the Content-Length / Transfer-Encoding values needed to find the
 * body's end. Nothing else of the head is stored: a head of any length costs the same memory;
 * its length is bounded by the caller (max_head) and counted.
 *
 * Use: hf_scan_init(); then hf_scan_feed(s, data, len, &used) repeatedly over the stream:
 *  - HF_SCAN_MORE: all `len` bytes consumed (inside a head or a body); feed the next bytes;
 *  - HF_SCAN_LINE: the request target ended (data[used - 1] is the space after it): s->url holds
 *    it (and, for an absolute-form target, s->host its authority; hf_scan_host_known()). A
 *    decision that does not depend on the Host header can be taken now, before the server has
 *    the request line's end (a server logs a request line it received complete even when the
 *    connection is reset before the head ends: nginx does); then feed data + used onwards;
 *  - HF_SCAN_HEAD: a request head ended at data[used - 1]: s->url / s->host describe it (see
 *    hf_scan_host(); an absolute-form target "http://h/p" gives host h and URL /p). The caller
 *    decides, then feeds data + used onwards: the scanner skips the body (Content-Length, or
 *    chunked) and expects the next request;
 *  - HF_SCAN_ERROR: not a request the scanner understands (hf_scan_error(): malformed, head
 *    longer than max_head, target or Host longer than the buffers, bad Content-Length or chunk
 *    size): the stream cannot be followed further; the caller applies its default action.
 * Empty lines before a request line are skipped (RFC 9112 2.2). The syntax is nfsdk's HTTP head
 * parser's (nfsdk/http_parse.h: a method of token characters, a target without spaces or
 * controls, "HTTP/1.x", header lines "name: value", obs-fold and bare CRs refused); on top of it
 * the scanner refuses controls in header values.
 *
 * Concurrency: none needed; one state per direction, used by one thread at a time. No allocation.
 */
#ifndef HF_SCAN_H
#define HF_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#define HF_URL_MAX  256 /* request target bytes kept */
#define HF_HOST_MAX 128 /* Host value bytes kept */
#define HF_NAME_MAX 18	/* header name bytes compared ("transfer-encoding" + 1) */
#define HF_VAL_MAX  24	/* Content-Length / Transfer-Encoding value bytes kept */

enum hf_scan_rc {
	HF_SCAN_MORE = 0,
	HF_SCAN_HEAD = 1,
	HF_SCAN_LINE = 2,
	HF_SCAN_ERROR = -1,
};

enum hf_scan_err {
	HF_ERR_NONE = 0,
	HF_ERR_SYNTAX,	  /* not an HTTP/1.x request */
	HF_ERR_HEAD_LONG, /* head longer than max_head */
	HF_ERR_URL_LONG,  /* target longer than HF_URL_MAX */
	HF_ERR_HOST_LONG, /* Host longer than HF_HOST_MAX */
	HF_ERR_BODY,	  /* bad Content-Length, chunk size or an unknown transfer coding */
};

struct hf_scan {
	uint32_t head_len;  /* bytes of the current head so far */
	uint32_t max_head;  /* bound given to init */
	uint64_t body_left; /* Content-Length or chunk bytes still to skip */
	uint16_t url_len;
	uint8_t host_len;
	uint8_t state; /* internal */
	uint8_t flags; /* internal */
	uint8_t name_len;
	uint8_t val_len;
	uint8_t err;	   /* enum hf_scan_err after HF_SCAN_ERROR */
	uint32_t requests; /* heads completed on this stream */
	char name[HF_NAME_MAX];
	char val[HF_VAL_MAX];
	char url[HF_URL_MAX];
	char host[HF_HOST_MAX];
};

/** Starts a stream (the client's first byte comes next); heads longer than max_head are errors. */
void hf_scan_init(struct hf_scan *s, uint32_t max_head);

/**
 * Consumes bytes of the stream up to the end of the next request head (see above). *used: bytes
 * of data consumed by this call. After HF_SCAN_ERROR the state stays in error (every later call
 * returns it, consuming nothing).
 */
enum hf_scan_rc hf_scan_feed(struct hf_scan *s, const uint8_t *data, uint32_t len, uint32_t *used);

/** Why the last feed returned HF_SCAN_ERROR. */
static inline enum hf_scan_err hf_scan_error(const struct hf_scan *s)
{
	return (enum hf_scan_err)s->err;
}

/** True once the host of the current request is final (absolute-form target, or head ended). */
bool hf_scan_host_known(const struct hf_scan *s);

/** True while a head is partly read (the stream stopped inside a request head). */
bool hf_scan_in_head(const struct hf_scan *s);

#endif /* HF_SCAN_H */
