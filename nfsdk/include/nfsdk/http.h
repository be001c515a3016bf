/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nfsdk/http.h — the HTTP/1.1 context: an incremental transformer of ONE direction of an HTTP/1.1
 * connection (requests client → server, or responses server → client), fed the direction's
 * stream bytes packet by packet, in order and exactly once (the TCP context guarantees that), and
 * writing the bytes each packet must carry instead. Pure C, no DPDK, no allocation; all state in
 * a fixed-size struct in caller memory (a session scratchpad). Used by `rewrite --http`.
 *
 * What it does to a message:
 *  * Heads (start line + header fields) are parsed byte by byte by the HTTP head parser
 *    (nfsdk/http_parse.h), split at any byte across packets, and go out byte-identical except:
 *    the request's `Accept-Encoding` fields are removed when http_cfg.strip_accept_encoding is
 *    set, and the framing fixes below. Nothing of a head is
 *    buffered except the start of a header name while it could still be one of the names the
 *    context acts on (at most HTTP_TOK_MAX bytes) and a Content-Length field that is dropped.
 *  * Bodies go through the caller's body transformer (struct http_body_ops: feed/flush, may carry
 *    bytes across packets) — the concatenation of a message's body output is the transformer's
 *    output for that body alone (it is flushed at the body's end). Framing:
 *	- transformer keeps sizes (ops->resizes false): `Content-Length: N` stays, the body's bytes
 *	  are transformed in place (output per packet may still shift by what the transformer
 *	  carries); close-delimited bodies stay so;
 *	- transformer may resize, message is HTTP/1.1 on both sides (request HTTP/1.1; for a
 *	  response, the request it answers and the response itself): `Content-Length: N` is removed
 *	  and `Transfer-Encoding: chunked` added before the blank line; each packet's transformed
 *	  body bytes become one chunk; after the N-th original body byte the transformer is flushed
 *	  (one more chunk) and `0\r\n\r\n` ends the body;
 *	- already chunked bodies (Transfer-Encoding ending in `chunked`, any transformer): decoded
 *	  (sizes, extensions, CRLFs, trailers parsed across packets) and re-chunked the same way,
 *	  one chunk per packet; chunk extensions are dropped, trailer fields pass unchanged;
 *	- HTTP/1.0 (no chunked): a response with `Content-Length: N` to an HTTP/1.0 request, or an
 *	  HTTP/1.0 response, becomes close-delimited: Content-Length removed, `Connection: close`
 *	  added (a client takes the last Connection option). So that the server does close, every
 *	  HTTP/1.0 request gets `Connection: close` added when cfg->responses_resize. Bytes after
 *	  such a body pass unchanged (http_pass_bytes). An HTTP/1.0 request body cannot be
 *	  re-framed (neither chunked nor a close can delimit it): it passes untransformed
 *	  (http_body_raw);
 *	- close-delimited response bodies (no Content-Length, no Transfer-Encoding, or one not
 *	  ending in chunked) are transformed until http_finish() (the FIN) and stay close-delimited;
 *	- no body (RFC 9112 §6.3): requests without Content-Length/Transfer-Encoding, responses to
 *	  HEAD, 1xx, 204, 304 (their Content-Length stays as it is); Content-Length: 0.
 *  * Several messages per connection (keep-alive, pipelining): after a body the next head is
 *    parsed again. Interim 1xx responses (100 Continue) are skipped over.
 *  * Tunnels: after a 101 response, a 2xx answer to CONNECT, or a request with Upgrade or
 *    CONNECT, the direction passes unchanged (tunnels).
 *  * Malformed heads (bad start line, whitespace before ':', obs-fold, bare CR, conflicting
 *    Content-Lengths, both Content-Length and Transfer-Encoding, a request Transfer-Encoding not
 *    ending in chunked, a method, version or removed Content-Length field longer than
 *    HTTP_TOK_MAX bytes) and heads longer than cfg->head_max (trailers included):
 *    the direction passes unchanged from there for the rest of the stream (a Content-Length
 *    already dropped is put back first, as `Content-Length: N`), counted. Malformed chunk framing
 *    in a body: the transformer is flushed into the output framing and the rest passes unchanged.
 *
 * Responses and their requests: a response's framing depends on its request (HEAD, CONNECT,
 * HTTP/1.0). The request direction pushes one byte per request head into a struct http_link
 * both directions share (40 bytes, e.g. in a session's common data); the response direction pops
 * one per final (non-1xx) response. Without a link, or when it is empty (more than HTTP_LINK_CAP
 * requests outstanding, an unsolicited response), the response direction passes unchanged from
 * that response on (http_unmatched_responses): a HEAD response is never mistaken for one with a
 * body.
 *
 * Output space: http_feed() writes at most `cap` bytes and prefers at most `soft` (a packet's
 * MSS: the body transformer is given the soft budget first). The caller must give
 * cap >= inlen + HTTP_SLACK. Framing adds bytes (a Transfer-Encoding field, chunk headers,
 * terminators); a message that starts in a packet with less than HTTP_MSG_RESERVE bytes of space
 * left over its remaining input is not re-framed and its body passes untransformed
 * (http_no_room: only with many small pipelined messages in one packet). A flush that does not
 * fit is finished by the next call when the body ended at the packet's end; otherwise the
 * direction passes unchanged from there (http_flush_lost).
 *
 * State: struct http_dir has no pointer, a fixed size (HTTP_DIR_SIZE bytes, static-asserted) and
 * may be copied. http_dir_init() makes a new one (request or response direction);
 * http_dir_init_passing() one that passes everything (a stream picked up mid-way). The body
 * transformer's own state (e.g. struct rw_stream) is the caller's, passed as ops' ctx.
 *
 * Concurrency: none needed — one direction's calls come from one thread; the two directions of a
 * connection share the link, so they must be driven by the same thread (a VNF's datapath thread).
 */
#ifndef NFSDK_HTTP_H
#define NFSDK_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_TOK_MAX	 32    /* bytes of a held name or start-line token */
#define HTTP_LINK_CAP	 28    /* requests outstanding that a link remembers */
#define HTTP_HEAD_MAX	 32768 /* default head_max (0 in the config) */
#define HTTP_SLACK	 256   /* cap >= inlen + HTTP_SLACK */
#define HTTP_MSG_RESERVE 96    /* space over the remaining input a re-framed message needs */
#define HTTP_DIR_SIZE	 64    /* sizeof(struct http_dir) */
#define HTTP_LINK_SIZE	 40    /* sizeof(struct http_link) */

/* The body transformer: ctx is the caller's per-direction state (passed through). */
struct http_body_ops {
	/*
	 * Transforms the next inlen body bytes into out: at most cap bytes, preferably at most
	 * soft (soft <= cap); cap >= inlen always. Must take all the input (it may carry bytes to
	 * later calls). 0, or a negative errno (the direction then passes unchanged).
	 */
	int (*feed)(void *ctx, const uint8_t *in, size_t inlen, uint8_t *out, size_t soft,
		    size_t cap, size_t *outlen);
	/* The body ended: writes what is carried (at most cap). 0 done, 1 more to come, -errno. */
	int (*flush)(void *ctx, uint8_t *out, size_t cap, size_t *outlen);
	bool resizes; /* may the output length differ from the input's */
};

struct http_cfg {
	uint32_t head_max;	    /* longest head passed through the parser (0: HTTP_HEAD_MAX) */
	bool strip_accept_encoding; /* remove Accept-Encoding from requests */
	bool responses_resize;	    /* the response direction's transformer resizes: HTTP/1.0
				     * requests get `Connection: close` (see above) */
};

#define HTTP_STATS(X)                                                                              \
	X(REQUESTS, "http_requests")                                                               \
	X(RESPONSES, "http_responses")                                                             \
	X(INTERIM, "http_interim_responses")                                                       \
	X(AE_STRIPPED, "http_accept_encoding_stripped")                                            \
	X(CL_TO_CHUNKED, "http_cl_to_chunked")                                                     \
	X(RECHUNKED, "http_rechunked")                                                             \
	X(CLOSE_FALLBACK, "http_close_fallback")                                                   \
	X(CLOSE_DELIMITED, "http_close_delimited")                                                 \
	X(BODY_RAW, "http_body_raw")                                                               \
	X(NO_ROOM, "http_no_room")                                                                 \
	X(HEAD_TOO_LONG, "http_head_too_long")                                                     \
	X(MALFORMED, "http_malformed")                                                             \
	X(UNMATCHED, "http_unmatched_responses")                                                   \
	X(TUNNELS, "http_tunnels")                                                                 \
	X(FLUSH_LOST, "http_flush_lost")                                                           \
	X(ERRORS, "http_errors")                                                                   \
	X(PASS_BYTES, "http_pass_bytes")
#define HTTP_X_ENUM(e, s) HTTP_STAT_##e,
enum http_stat { HTTP_STATS(HTTP_X_ENUM) HTTP_STAT_COUNT };
#undef HTTP_X_ENUM

/* Counters the calls add to (the caller's, e.g. one per VNF). */
struct http_stats {
	uint64_t c[HTTP_STAT_COUNT];
};

/* Shared by the two directions of a connection: the requests not answered yet. All zeroes: empty.
 */
struct http_link {
	uint32_t pushed, popped;
	uint8_t kind[HTTP_LINK_CAP]; /* HTTP_KIND_* of request pushed % HTTP_LINK_CAP */
	uint8_t lost;		     /* a request could not be pushed: responses unmatched */
	uint8_t pad[3];
};

/* One direction. Fields are private to http.c. */
struct http_dir {
	uint64_t rem;	   /* body bytes left (Content-Length body, or current chunk) */
	uint64_t cl;	   /* Content-Length value of the current head */
	uint32_t head_len; /* bytes of the current head so far */
	uint16_t status;   /* response status */
	uint16_t flags;	   /* HF_* of the current message */
	uint8_t request;   /* 1: the request direction */
	uint8_t phase;	   /* in a head the parser's HTTP_PS_*, then a body phase */
	uint8_t mode;	   /* BM_*: how the body goes out */
	uint8_t kind;	   /* HTTP_KIND_* of the request (pushed, or popped for a response) */
	uint8_t hdr;	   /* which field the current header line is (HD_*) */
	uint8_t sub;	   /* per-phase detail (field held or dropped, digits, TE matcher) */
	uint8_t after;	   /* what follows a pending flush (AF_*) */
	uint8_t tok_len;
	uint8_t tok[HTTP_TOK_MAX];
};

#define HTTP_KIND_HEAD	  0x01
#define HTTP_KIND_CONNECT 0x02
#define HTTP_KIND_V10	  0x04
#define HTTP_KIND_VALID	  0x80

/* Makes *h a new direction: request (client → server) or response. */
void http_dir_init(struct http_dir *h, bool request);

/*
 * Makes *h a direction that passes everything unchanged, e.g. one picked up in the middle of
 * its stream (no SYN seen): where its messages begin is unknown.
 */
void http_dir_init_passing(struct http_dir *h, bool request);

/* Per-call environment: the configuration, the transformer, the link (may be NULL), counters. */
struct http_env {
	const struct http_cfg *cfg;
	const struct http_body_ops *ops;
	void *body; /* the transformer's ctx for this direction */
	struct http_link *link;
	struct http_stats *stats;
};

/*
 * Feeds the next inlen bytes of the direction and writes to out what the packet must carry
 * (*outlen bytes, at most cap, preferably at most soft; see "Output space"). Returns 0, or
 * -EINVAL for NULL pointers or cap < inlen + HTTP_SLACK (nothing done).
 */
int http_feed(const struct http_env *env, struct http_dir *h, const uint8_t *in, size_t inlen,
	      uint8_t *out, size_t soft, size_t cap, size_t *outlen);

/*
 * The stream ends (FIN): a close-delimited body is complete, anything else is cut. Writes what
 * is still held or carried (at most cap). 0, or -EINVAL as http_feed(). The direction passes
 * unchanged afterwards.
 */
int http_finish(const struct http_env *env, struct http_dir *h, uint8_t *out, size_t cap,
		size_t *outlen);

/* Name of a counter ("http_requests", ...). */
const char *http_stat_name(enum http_stat s);

/* True when the direction passes everything unchanged from now on. */
bool http_is_passing(const struct http_dir *h);

#endif /* NFSDK_HTTP_H */
