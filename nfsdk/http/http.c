/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * http.c — the HTTP/1.1 context (nfsdk/http.h): one direction's incremental message transformer.
 *
 * Heads are parsed one byte at a time by a state machine (h->phase) that copies each byte to
 * the output as soon as it knows the byte stays; bodies go in runs through the body transformer
 * (Content-Length bodies, chunk data, close-delimited bodies) or are copied. A call works on a
 * `struct call`: the input, the output written so far, and the environment.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "nfsdk/http.h"

_Static_assert(sizeof(struct http_dir) == HTTP_DIR_SIZE, "documented in http.h");
_Static_assert(sizeof(struct http_link) == HTTP_LINK_SIZE, "documented in http.h");

enum phase {
	PH_START = 0, /* before a message's first byte */
	PH_METHOD,    /* request line: method */
	PH_TARGET,    /* request line: target */
	PH_VERSION,   /* request line: version */
	PH_RVERSION,  /* status line: version */
	PH_STATUS,    /* status line: code */
	PH_REASON,    /* status line: reason */
	PH_SL_LF,     /* start line: CR seen */
	PH_HSTART,    /* start of a header line (or the blank line) */
	PH_HNAME,     /* header name (held in tok while it may be a name we act on) */
	PH_HVALUE,    /* header value up to LF */
	PH_HEND_LF,   /* blank line: CR seen (held) */
	PH_BODY_CL,   /* Content-Length body: rem bytes left */
	PH_CSIZE,     /* chunk size */
	PH_CEXT,      /* chunk extension */
	PH_CSIZE_LF,  /* chunk size line: CR seen */
	PH_CDATA,     /* chunk data: rem bytes left */
	PH_CDATA_CR,  /* CRLF after chunk data */
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

#define SUB_CR	   0x80 /* the last byte of the line was CR */
#define SUB_DROP   0x40 /* the current header line is removed */
#define SUB_DIGITS 0x20 /* CL / chunk size: digits seen in the current element */
#define SUB_AFTER  0x10 /* CL: whitespace after the digits / TE: the token ended */
#define SUB_LONG   0x08 /* TE: the token is longer than tok */
#define SUB_CNT	   0x07 /* status: digits seen */

#define CHUNK_HDR_MAX 20 /* "%x\r\n" for any size_t, plus the CRLF after the data */
#define END_RESERVE   24 /* space kept for the end of a chunked body ("0\r\n\r\n") */

static const struct {
	const char *name;
	uint8_t len, hdr;
} known[] = {
    {"content-length", 14, HD_CL},
    {"transfer-encoding", 17, HD_TE},
    {"accept-encoding", 15, HD_AE},
    {"upgrade", 7, HD_UPGRADE},
};

static const char *const stat_names[HTTP_STAT_COUNT] = {
#define HTTP_X_NAME(e, s) s,
    HTTP_STATS(HTTP_X_NAME)
#undef HTTP_X_NAME
};

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

const char *http_stat_name(enum http_stat s)
{
	return (unsigned)s < HTTP_STAT_COUNT ? stat_names[s] : "?";
}

void http_dir_init(struct http_dir *h, bool request)
{
	memset(h, 0, sizeof(*h));
	h->request = request;
	h->phase = PH_START;
}

void http_dir_init_passing(struct http_dir *h, bool request)
{
	http_dir_init(h, request);
	h->phase = PH_PASS;
}

bool http_is_passing(const struct http_dir *h)
{
	return h->phase == PH_PASS;
}

static void count(struct call *c, enum http_stat s, uint64_t n)
{
	if (c->env->stats != NULL)
		c->env->stats->c[s] += n;
}

static size_t space(const struct call *c)
{
	return c->cap - c->n;
}

static size_t left(const struct call *c)
{
	return c->inlen - c->pos;
}

static unsigned int hex_len(size_t v)
{
	unsigned int n = 1;

	while (v >>= 4)
		n++;
	return n;
}

/*
 * Ends the open output chunk: writes its size into the place reserved for it (moving the data
 * when the size is shorter than reserved) and the CRLF after the data (reserved too); an empty
 * chunk is taken back.
 */
static void close_chunk(struct call *c)
{
	size_t data;
	char hdr[24];
	int hl;

	if (!c->chunk_open)
		return;
	c->chunk_open = false;
	data = c->n - c->chunk_at - c->chunk_w;
	if (data == 0) {
		c->n = c->chunk_at;
		return;
	}
	hl = (int)hex_len(data);
	for (int i = hl - 1, v = 0; i >= 0; i--, v += 4)
		hdr[i] = "0123456789abcdef"[(data >> v) & 15];
	hdr[hl++] = '\r';
	hdr[hl++] = '\n';
	if ((size_t)hl != c->chunk_w)
		memmove(c->out + c->chunk_at + hl, c->out + c->chunk_at + c->chunk_w, data);
	memcpy(c->out + c->chunk_at, hdr, (size_t)hl);
	c->n = c->chunk_at + (size_t)hl + data;
	memcpy(c->out + c->n, "\r\n", 2);
	c->n += 2;
}

/* Writes len bytes; the callers' reserves make it fit (counted as an error otherwise). */
static void emit(struct call *c, const void *p, size_t len)
{
	close_chunk(c);
	if (len > space(c)) {
		count(c, HTTP_STAT_ERRORS, 1);
		len = space(c);
	}
	memcpy(c->out + c->n, p, len);
	c->n += len;
}

static void emit_byte(struct call *c, uint8_t b)
{
	emit(c, &b, 1);
}

static void emit_str(struct call *c, const char *s)
{
	emit(c, s, strlen(s));
}

/* ---- body output ---------------------------------------------------------------------------- */

/*
 * Gives the transformer inlen body bytes (or, with in == NULL, asks it to flush) and writes its
 * output, into the packet's open chunk when `chunk` (one chunk per packet: the header is
 * written by close_chunk()). `later` bytes of space stay reserved for the rest of the packet.
 * Returns 0, 1 (a flush that did not fit) or -errno.
 */
static int xform(struct call *c, const uint8_t *in, size_t inlen, bool chunk, size_t later)
{
	const struct http_body_ops *ops = c->env->ops;
	size_t avail = space(c) > later ? space(c) - later : 0;
	size_t tail = chunk ? 2 : 0, w = chunk && !c->chunk_open ? hex_len(avail) + 2 : 0;
	size_t bcap, soft, olen = 0;
	int rc;

	if (avail < w + tail + inlen) {
		count(c, HTTP_STAT_ERRORS, 1);
		return -ENOSPC;
	}
	if (chunk && !c->chunk_open) {
		c->chunk_open = true;
		c->chunk_at = c->n;
		c->chunk_w = w;
		c->n += w;
	}
	bcap = avail - w - tail;
	soft = c->soft > c->n + tail ? c->soft - c->n - tail : 0;
	soft = soft < bcap ? soft : bcap;
	if (in != NULL)
		rc = ops->feed(c->env->body, in, inlen, c->out + c->n, soft, bcap, &olen);
	else
		rc = ops->flush(c->env->body, c->out + c->n, bcap, &olen);
	if (rc < 0) /* counted by the caller, which passes from here */
		return rc;
	if (olen > bcap) {
		count(c, HTTP_STAT_ERRORS, 1);
		return -EIO;
	}
	c->n += olen;
	return rc;
}

/* Flushes the transformer (chunked or not); 1 when it did not fit. */
static int flush_body(struct call *c, size_t later)
{
	int rc;

	do
		rc = xform(c, NULL, 0, c->h->mode == BM_CHUNK, later + END_RESERVE);
	while (rc == 1 && space(c) > later + END_RESERVE + CHUNK_HDR_MAX + 16);
	return rc;
}

static bool transforms(uint8_t mode)
{
	return mode == BM_SAME || mode == BM_CHUNK || mode == BM_CLOSE;
}

static void put_back_cl(struct call *c)
{
	char buf[48];

	snprintf(buf, sizeof(buf), "Content-Length: %llu\r\n", (unsigned long long)c->h->cl);
	emit_str(c, buf);
}

/*
 * Passes everything from here on (stat counted): a held name goes out, a removed
 * Content-Length is put back when at a line start, and what the transformer carries is flushed.
 */
static void go_pass(struct call *c, enum http_stat stat, bool flush)
{
	struct http_dir *h = c->h;
	bool line_start = h->phase == PH_HSTART || h->phase == PH_HNAME;

	count(c, stat, 1);
	if (line_start && (h->flags & HF_CL_DROP))
		put_back_cl(c);
	if (h->phase == PH_HVALUE && h->hdr == HD_CL && (h->sub & SUB_DROP)) {
		if (h->flags & HF_CL_PREV) /* an earlier field was removed */
			put_back_cl(c);
		emit(c, h->tok, h->tok_len);
	}
	if (h->phase == PH_HNAME)
		emit(c, h->tok, h->tok_len);
	if (h->phase == PH_HEND_LF)
		emit_byte(c, '\r');
	if (flush && h->phase >= PH_BODY_CL && h->phase <= PH_BODY_CLOSE && transforms(h->mode) &&
	    flush_body(c, left(c)) != 0)
		count(c, HTTP_STAT_FLUSH_LOST, 1);
	h->phase = PH_PASS;
}

/* ---- messages ------------------------------------------------------------------------------- */

static void end_message(struct call *c)
{
	struct http_dir *h = c->h;
	bool tunnel = h->flags & HF_TUNNEL;

	h->flags = 0;
	h->mode = BM_NONE;
	h->head_len = 0;
	h->status = 0;
	h->cl = 0;
	h->rem = 0;
	h->sub = 0;
	h->tok_len = 0;
	h->kind = 0;
	h->phase = PH_START;
	if (tunnel) {
		count(c, HTTP_STAT_TUNNELS, 1);
		h->phase = PH_PASS;
	}
}

/* What follows the body's last byte once the transformer is flushed. */
static void after_flush(struct call *c)
{
	struct http_dir *h = c->h;

	switch (h->after) {
	case AF_END_CHUNK:
		emit_str(c, "0\r\n\r\n");
		end_message(c);
		break;
	case AF_TRAILERS:
		emit_str(c, "0\r\n");
		h->phase = PH_TSTART;
		h->sub = 0;
		break;
	case AF_CLOSED:
		h->phase = PH_PASS;
		break;
	default:
		end_message(c);
		break;
	}
}

/* The body's last byte was consumed (for chunked: the last-chunk line). */
static void end_body(struct call *c)
{
	struct http_dir *h = c->h;
	bool chunked_in = h->flags & HF_TE_CHUNKED;
	int rc;

	if (chunked_in)
		h->after = h->mode == BM_CHUNK ? AF_TRAILERS : AF_END;
	else if (h->mode == BM_CHUNK)
		h->after = AF_END_CHUNK;
	else if (h->mode == BM_CLOSE)
		h->after = AF_CLOSED;
	else
		h->after = AF_END;
	if (chunked_in && h->mode != BM_CHUNK) { /* the raw parser continues with the trailers */
		h->phase = PH_TSTART;
		h->sub = 0;
		return;
	}
	if (transforms(h->mode)) {
		rc = flush_body(c, left(c));
		if (rc == 1 && left(c) == 0) {
			h->phase = PH_FLUSH;
			return;
		}
		if (rc != 0) {
			go_pass(c, rc == 1 ? HTTP_STAT_FLUSH_LOST : HTTP_STAT_ERRORS, false);
			return;
		}
	}
	after_flush(c);
}

/* Body bytes in[0..k) (the rest of the packet is left(c) - k bytes). */
static void body_out(struct call *c, const uint8_t *in, size_t k)
{
	struct http_dir *h = c->h;
	size_t later = left(c) - k;
	int rc;

	if (!transforms(h->mode)) {
		emit(c, in, k);
		return;
	}
	rc = xform(c, in, k, h->mode == BM_CHUNK, later + END_RESERVE);
	if (rc < 0) { /* the transformer failed: these bytes and the rest go as they are */
		emit(c, in, k);
		go_pass(c, HTTP_STAT_ERRORS, false);
	}
}

static void push_request(struct call *c)
{
	struct http_link *l = c->env->link;

	if (l == NULL)
		return;
	if (l->pushed - l->popped >= HTTP_LINK_CAP) {
		l->lost = 1;
		return;
	}
	l->kind[l->pushed % HTTP_LINK_CAP] = c->h->kind;
	l->pushed++;
}

static bool pop_request(struct call *c)
{
	struct http_link *l = c->env->link;

	if (l == NULL || l->lost || l->pushed == l->popped)
		return false;
	c->h->kind = l->kind[l->popped % HTTP_LINK_CAP];
	l->popped++;
	return true;
}

/* Does a Content-Length in this head frame a body that would be re-framed? (decided at the
 * field, so that it can be removed before it goes out) */
static bool cl_reframes(const struct call *c)
{
	const struct http_dir *h = c->h;

	if (!c->env->ops->resizes || (h->flags & HF_NOROOM))
		return false;
	if (h->request)
		return !(h->flags & HF_V10);
	if (h->status < 200 || h->status == 204 || h->status == 304)
		return false;
	if (h->kind & HTTP_KIND_HEAD)
		return false;
	return !((h->kind & HTTP_KIND_CONNECT) && h->status < 300);
}

/* Framing of a request whose head ended; returns the body phase or PH_START. */
static uint8_t request_framing(struct call *c)
{
	struct http_dir *h = c->h;
	bool resizes = c->env->ops->resizes;

	if (h->flags & HF_UPGRADE || h->kind & HTTP_KIND_CONNECT)
		h->flags |= HF_TUNNEL;
	if ((h->flags & HF_V10) && c->env->cfg->responses_resize)
		emit_str(c, "Connection: close\r\n");
	if (h->flags & HF_TE) {
		h->mode = (h->flags & HF_NOROOM) ? BM_RAW : BM_CHUNK;
		return PH_CSIZE;
	}
	if (!(h->flags & HF_CL) || h->cl == 0)
		return PH_START;
	if (!resizes) {
		h->mode = BM_SAME;
	} else if (h->flags & HF_CL_DROP) {
		emit_str(c, "Transfer-Encoding: chunked\r\n");
		h->mode = BM_CHUNK;
		count(c, HTTP_STAT_CL_TO_CHUNKED, 1);
	} else { /* HTTP/1.0 or no room: cannot be re-framed */
		h->mode = BM_RAW;
		count(c, (h->flags & HF_NOROOM) ? HTTP_STAT_NO_ROOM : HTTP_STAT_BODY_RAW, 1);
	}
	return PH_BODY_CL;
}

/* Framing of a final response whose head ended; returns the body phase or PH_START. */
static uint8_t response_framing(struct call *c)
{
	struct http_dir *h = c->h;
	bool resizes = c->env->ops->resizes;

	if (h->status == 101 || ((h->kind & HTTP_KIND_CONNECT) && h->status / 100 == 2)) {
		h->flags |= HF_TUNNEL;
		return PH_START;
	}
	if ((h->kind & HTTP_KIND_HEAD) || h->status == 204 || h->status == 304)
		return PH_START;
	if (h->flags & HF_TE && h->flags & HF_TE_CHUNKED) {
		h->mode = (h->flags & HF_NOROOM) ? BM_RAW : BM_CHUNK;
		return PH_CSIZE;
	}
	if (h->flags & HF_TE || !(h->flags & HF_CL)) {
		h->mode = BM_SAME;
		count(c, HTTP_STAT_CLOSE_DELIMITED, 1);
		return PH_BODY_CLOSE;
	}
	if (h->cl == 0)
		return PH_START;
	if (!resizes) {
		h->mode = BM_SAME;
	} else if ((h->flags & HF_CL_DROP) && ((h->flags & HF_V10) || (h->kind & HTTP_KIND_V10))) {
		emit_str(c, "Connection: close\r\n");
		h->mode = BM_CLOSE;
		count(c, HTTP_STAT_CLOSE_FALLBACK, 1);
	} else if (h->flags & HF_CL_DROP) {
		emit_str(c, "Transfer-Encoding: chunked\r\n");
		h->mode = BM_CHUNK;
		count(c, HTTP_STAT_CL_TO_CHUNKED, 1);
	} else {
		h->mode = BM_RAW;
		count(c, HTTP_STAT_NO_ROOM, 1);
	}
	return PH_BODY_CL;
}

/* The blank line ending a head (crlf: it was "\r\n") was read. */
static void head_end(struct call *c, bool crlf)
{
	struct http_dir *h = c->h;
	uint8_t next;

	if ((h->flags & HF_TE) && (h->flags & HF_CL)) { /* RFC 9112 §6.3: smuggling */
		h->phase = PH_HSTART;
		go_pass(c, HTTP_STAT_MALFORMED, false);
		emit_str(c, crlf ? "\r\n" : "\n");
		return;
	}
	if (h->request && (h->flags & HF_TE) && !(h->flags & HF_TE_CHUNKED)) {
		h->phase = PH_HSTART;
		go_pass(c, HTTP_STAT_MALFORMED, false);
		emit_str(c, crlf ? "\r\n" : "\n");
		return;
	}
	if (!h->request && h->status < 200 && h->status != 101) { /* 100 Continue & co. */
		count(c, HTTP_STAT_INTERIM, 1);
		emit_str(c, crlf ? "\r\n" : "\n");
		end_message(c);
		return;
	}
	if (h->request) {
		push_request(c);
		next = request_framing(c);
	} else {
		next = response_framing(c);
	}
	/* a removed Content-Length that frames nothing after all (CL: 0, TE too) goes back */
	if ((h->flags & HF_CL_DROP) && h->mode != BM_CHUNK && h->mode != BM_CLOSE)
		put_back_cl(c);
	if (h->mode == BM_CHUNK && (h->flags & HF_TE))
		count(c, HTTP_STAT_RECHUNKED, 1);
	emit_str(c, crlf ? "\r\n" : "\n");
	h->sub = 0;
	if (next == PH_START) {
		end_message(c);
		return;
	}
	h->phase = next;
	h->rem = next == PH_BODY_CL ? h->cl : 0;
}

/* ---- head bytes ----------------------------------------------------------------------------- */

static bool is_tchar(uint8_t b)
{
	return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
	       (b != 0 && strchr("!#$%&'*+-.^_`|~", b) != NULL);
}

static bool tok_add(struct http_dir *h, uint8_t b)
{
	if (h->tok_len >= HTTP_TOK_MAX)
		return false;
	h->tok[h->tok_len++] = b;
	return true;
}

static bool tok_is(const struct http_dir *h, const char *s)
{
	return h->tok_len == strlen(s) && strncasecmp((const char *)h->tok, s, h->tok_len) == 0;
}

/* "HTTP/1.x" in tok: 0 and *v10, or -1. */
static int parse_version(struct http_dir *h)
{
	if (h->tok_len != 8 || memcmp(h->tok, "HTTP/1.", 7) != 0 || h->tok[7] < '0' ||
	    h->tok[7] > '9')
		return -1;
	if (h->tok[7] == '0')
		h->flags |= HF_V10;
	return 0;
}

/* The start line ended. */
static void start_line_end(struct call *c)
{
	struct http_dir *h = c->h;

	h->phase = PH_HSTART;
	h->sub = 0;
	h->tok_len = 0;
	if (h->request) {
		h->kind |= HTTP_KIND_VALID | ((h->flags & HF_V10) ? HTTP_KIND_V10 : 0);
		count(c, HTTP_STAT_REQUESTS, 1);
		return;
	}
	count(c, HTTP_STAT_RESPONSES, 1);
	if (h->status >= 200 && !pop_request(c))
		go_pass(c, HTTP_STAT_UNMATCHED, false);
}

/* Is the name held in tok still a prefix of one we act on? */
static bool name_may_matter(const struct http_dir *h)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (h->tok_len <= known[i].len &&
		    strncasecmp((const char *)h->tok, known[i].name, h->tok_len) == 0)
			return true;
	return false;
}

/* The ':' after a held name: decide what happens to the field. */
static void name_end(struct call *c)
{
	struct http_dir *h = c->h;

	h->hdr = HD_OTHER;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (tok_is(h, known[i].name))
			h->hdr = known[i].hdr;
	h->sub = 0;
	h->rem = 0;
	switch (h->hdr) {
	case HD_AE:
		if (h->request && c->env->cfg->strip_accept_encoding) {
			h->sub = SUB_DROP;
			count(c, HTTP_STAT_AE_STRIPPED, 1);
		}
		break;
	case HD_CL:
		if (cl_reframes(c)) {
			h->sub = SUB_DROP;
			h->flags |= HF_CL_DROP;
		}
		break;
	case HD_TE:
		h->flags |= HF_TE;
		h->flags &= (uint16_t)~HF_TE_CHUNKED;
		break;
	case HD_UPGRADE:
		h->flags |= HF_UPGRADE;
		break;
	}
	h->phase = PH_HVALUE;
	if (h->hdr == HD_CL && (h->sub & SUB_DROP)) { /* held whole: it may have to go back */
		tok_add(h, ':');
		return;
	}
	if (!(h->sub & SUB_DROP)) {
		emit(c, h->tok, h->tok_len);
		emit_byte(c, ':');
	}
	h->tok_len = 0;
}

/* One element of a Content-Length list ended: 0, or -1 (empty, conflicting). */
static int cl_element(struct http_dir *h)
{
	if (!(h->sub & SUB_DIGITS))
		return -1;
	if ((h->flags & HF_CL) && h->cl != h->rem)
		return -1;
	h->cl = h->rem;
	h->flags |= HF_CL;
	h->rem = 0;
	h->sub &= (uint8_t) ~(SUB_DIGITS | SUB_AFTER);
	return 0;
}

static int cl_byte(struct http_dir *h, uint8_t b)
{
	if (b >= '0' && b <= '9') {
		if ((h->sub & SUB_AFTER) || h->rem > (UINT64_C(1) << 58))
			return -1;
		h->rem = h->rem * 10 + (uint64_t)(b - '0');
		h->sub |= SUB_DIGITS;
		return 0;
	}
	if (b == ' ' || b == '\t') {
		if (h->sub & SUB_DIGITS)
			h->sub |= SUB_AFTER;
		return 0;
	}
	if (b == ',')
		return cl_element(h);
	return -1;
}

/* Transfer-Encoding value byte: the last coding's name is kept in tok. */
static void te_byte(struct http_dir *h, uint8_t b)
{
	if (b == ',') {
		h->tok_len = 0;
		h->sub &= (uint8_t) ~(SUB_AFTER | SUB_LONG);
	} else if (b == ' ' || b == '\t' || b == ';') {
		if (h->tok_len > 0 || (h->sub & SUB_LONG))
			h->sub |= SUB_AFTER;
	} else if (!(h->sub & SUB_AFTER) && !tok_add(h, b)) {
		h->sub |= SUB_LONG;
	}
}

/* LF at the end of a header line. */
static int value_end(struct call *c)
{
	struct http_dir *h = c->h;

	if (h->hdr == HD_CL && cl_element(h) < 0)
		return -1;
	if (h->hdr == HD_TE) {
		if (tok_is(h, "chunked") && !(h->sub & SUB_LONG))
			h->flags |= HF_TE_CHUNKED;
		else
			h->flags &= (uint16_t)~HF_TE_CHUNKED;
	}
	h->tok_len = 0;
	h->sub = 0;
	h->hdr = HD_OTHER;
	h->phase = PH_HSTART;
	return 0;
}

/* A byte of a Content-Length field being removed (held in tok until its LF). */
static void held_cl_byte(struct call *c, uint8_t b)
{
	struct http_dir *h = c->h;
	bool added;

	if (b == '\n') {
		if (cl_element(h) < 0) {
			go_pass(c, HTTP_STAT_MALFORMED, false);
			emit_byte(c, b);
			return;
		}
		h->tok_len = 0;
		h->sub = 0;
		h->hdr = HD_OTHER;
		h->phase = PH_HSTART;
		h->flags |= HF_CL_PREV;
		return;
	}
	added = tok_add(h, b);
	if (!added || (h->sub & SUB_CR) ||
	    (b == '\r' ? (h->sub |= SUB_CR, false) : cl_byte(h, b) < 0)) {
		go_pass(c, HTTP_STAT_MALFORMED, false); /* writes what tok holds */
		if (!added)
			emit_byte(c, b);
	}
}

static void value_byte(struct call *c, uint8_t b)
{
	struct http_dir *h = c->h;
	bool drop = h->sub & SUB_DROP;

	if (drop && h->hdr == HD_CL) {
		held_cl_byte(c, b);
		return;
	}

	if (b == '\n') {
		if (!drop)
			emit_byte(c, b);
		if (value_end(c) < 0)
			go_pass(c, HTTP_STAT_MALFORMED, false);
		return;
	}
	if (h->sub & SUB_CR) {
		go_pass(c, HTTP_STAT_MALFORMED, false); /* bare CR */
		emit_byte(c, b);
		return;
	}
	if (!drop)
		emit_byte(c, b);
	if (b == '\r') {
		h->sub |= SUB_CR;
		return;
	}
	if (h->hdr == HD_CL && cl_byte(h, b) < 0)
		go_pass(c, HTTP_STAT_MALFORMED, false);
	else if (h->hdr == HD_TE)
		te_byte(h, b);
}

/* A run of bytes that just pass (target, reason, other values) up to one of the stop bytes. */
static size_t pass_run(struct call *c, const char *stop)
{
	const uint8_t *p = c->in + c->pos;
	size_t k = 0, n = left(c);

	while (k < n && strchr(stop, p[k]) == NULL)
		k++;
	emit(c, p, k);
	c->pos += k;
	c->h->head_len += (uint32_t)k;
	return k;
}

static void start_byte(struct call *c, uint8_t b)
{
	struct http_dir *h = c->h;

	if (!(h->flags & HF_STARTED)) {
		h->flags |= HF_STARTED;
		if (space(c) < left(c) + 1 + HTTP_MSG_RESERVE)
			h->flags |= HF_NOROOM;
	}
	if (h->request && (b == '\r' || b == '\n')) { /* empty lines before a request line */
		emit_byte(c, b);
		return;
	}
	h->phase = h->request ? PH_METHOD : PH_RVERSION;
	h->tok_len = 0;
}

/* One head (or start line) byte; returns false when it was not consumed (re-dispatch). */
static bool head_byte(struct call *c, uint8_t b)
{
	struct http_dir *h = c->h;

	switch (h->phase) {
	case PH_START:
		start_byte(c, b);
		return h->phase == PH_START;
	case PH_METHOD:
		if (b == ' ' && h->tok_len > 0) {
			if (tok_is(h, "HEAD"))
				h->kind |= HTTP_KIND_HEAD;
			else if (tok_is(h, "CONNECT"))
				h->kind |= HTTP_KIND_CONNECT;
			h->phase = PH_TARGET;
			h->tok_len = 0;
		} else if (!is_tchar(b) || !tok_add(h, b)) {
			go_pass(c, HTTP_STAT_MALFORMED, false);
		}
		emit_byte(c, b);
		return true;
	case PH_TARGET:
		if (b == ' ' && h->tok_len > 0) {
			h->phase = PH_VERSION;
			h->tok_len = 0;
		} else if (b <= ' ' || b == 0x7f) {
			go_pass(c, HTTP_STAT_MALFORMED, false);
		} else {
			h->tok_len = 1; /* the target is not empty */
		}
		emit_byte(c, b);
		return true;
	case PH_VERSION:
		emit_byte(c, b);
		if (b == '\r' || b == '\n') {
			if (parse_version(h) < 0)
				go_pass(c, HTTP_STAT_MALFORMED, false);
			else if (b == '\r')
				h->phase = PH_SL_LF;
			else
				start_line_end(c);
		} else if (!tok_add(h, b)) {
			go_pass(c, HTTP_STAT_MALFORMED, false);
		}
		return true;
	case PH_RVERSION:
		emit_byte(c, b);
		if (b == ' ') {
			if (parse_version(h) < 0)
				go_pass(c, HTTP_STAT_MALFORMED, false);
			h->phase = h->phase == PH_PASS ? PH_PASS : PH_STATUS;
			h->sub = 0;
		} else if (!tok_add(h, b)) {
			go_pass(c, HTTP_STAT_MALFORMED, false);
		}
		return true;
	case PH_STATUS:
		emit_byte(c, b);
		if (b >= '0' && b <= '9' && (h->sub & SUB_CNT) < 3) {
			h->status = (uint16_t)(h->status * 10 + (b - '0'));
			h->sub++;
		} else if ((h->sub & SUB_CNT) == 3 && h->status >= 100 &&
			   (b == ' ' || b == '\r' || b == '\n')) {
			h->phase = b == ' ' ? PH_REASON : b == '\r' ? PH_SL_LF : PH_HSTART;
			if (b == '\n')
				start_line_end(c);
		} else {
			go_pass(c, HTTP_STAT_MALFORMED, false);
		}
		return true;
	case PH_REASON:
		emit_byte(c, b);
		if (b == '\r')
			h->phase = PH_SL_LF;
		else if (b == '\n')
			start_line_end(c);
		return true;
	case PH_SL_LF:
		emit_byte(c, b);
		if (b == '\n')
			start_line_end(c);
		else
			go_pass(c, HTTP_STAT_MALFORMED, false);
		return true;
	case PH_HSTART:
		if (b == '\r') {
			h->phase = PH_HEND_LF; /* held: fields may be added before the blank line */
		} else if (b == '\n') {
			head_end(c, false);
		} else if (!is_tchar(b)) { /* obs-fold, whitespace before a name, ... */
			go_pass(c, HTTP_STAT_MALFORMED, false);
			emit_byte(c, b);
		} else {
			h->phase = PH_HNAME;
			h->tok_len = 0;
			tok_add(h, b);
			if (!name_may_matter(h)) {
				emit(c, h->tok, h->tok_len);
				h->tok_len = 0;
				h->hdr = HD_OTHER;
				h->sub = SUB_AFTER; /* name goes on, not held */
			} else {
				h->sub = 0;
			}
		}
		return true;
	case PH_HNAME:
		if (b == ':') {
			if (h->sub & SUB_AFTER) { /* a name that did not matter */
				emit_byte(c, b);
				h->sub = 0;
				h->hdr = HD_OTHER;
				h->phase = PH_HVALUE;
			} else {
				name_end(c);
			}
		} else if (!is_tchar(b)) {
			go_pass(c, HTTP_STAT_MALFORMED, false);
			emit_byte(c, b);
		} else if (h->sub & SUB_AFTER) {
			emit_byte(c, b);
		} else {
			bool added = tok_add(h, b);

			if (!added || !name_may_matter(h)) {
				emit(c, h->tok, h->tok_len);
				if (!added)
					emit_byte(c, b);
				h->tok_len = 0;
				h->sub = SUB_AFTER;
			}
		}
		return true;
	case PH_HVALUE:
		value_byte(c, b);
		return true;
	case PH_HEND_LF:
		if (b == '\n') {
			head_end(c, true);
		} else {
			go_pass(c, HTTP_STAT_MALFORMED, false);
			emit_byte(c, b);
		}
		return true;
	default:
		return false;
	}
}

/* ---- chunked bodies and trailers ------------------------------------------------------------ */

static int hex_digit(uint8_t b)
{
	if (b >= '0' && b <= '9')
		return b - '0';
	if (b >= 'a' && b <= 'f')
		return b - 'a' + 10;
	if (b >= 'A' && b <= 'F')
		return b - 'A' + 10;
	return -1;
}

static void chunk_size_end(struct call *c)
{
	struct http_dir *h = c->h;

	if (!(h->sub & SUB_DIGITS)) {
		go_pass(c, HTTP_STAT_MALFORMED, true);
		return;
	}
	h->sub = 0;
	if (h->rem == 0) {
		end_body(c);
		return;
	}
	h->phase = PH_CDATA;
}

/* One framing byte of a chunked body or its trailers (copied when the body goes raw). */
static void chunk_byte(struct call *c, uint8_t b)
{
	struct http_dir *h = c->h;
	bool raw = h->mode != BM_CHUNK || h->phase >= PH_TSTART;
	int d;

	if (raw)
		emit_byte(c, b);
	switch (h->phase) {
	case PH_CSIZE:
		d = hex_digit(b);
		if (d >= 0 && h->rem < (UINT64_C(1) << 56)) {
			h->rem = h->rem * 16 + (uint64_t)d;
			h->sub |= SUB_DIGITS;
		} else if (d < 0 && (b == ';' || b == ' ' || b == '\t')) {
			h->phase = PH_CEXT;
		} else if (b == '\r') {
			h->phase = PH_CSIZE_LF;
		} else if (b == '\n') {
			chunk_size_end(c);
		} else {
			go_pass(c, HTTP_STAT_MALFORMED, true);
		}
		break;
	case PH_CEXT:
		if (b == '\r')
			h->phase = PH_CSIZE_LF;
		else if (b == '\n')
			chunk_size_end(c);
		break;
	case PH_CSIZE_LF:
		if (b == '\n')
			chunk_size_end(c);
		else
			go_pass(c, HTTP_STAT_MALFORMED, true);
		break;
	case PH_CDATA_CR:
		if (b == '\r')
			h->phase = PH_CDATA_LF;
		else if (b == '\n')
			h->phase = PH_CSIZE;
		else
			go_pass(c, HTTP_STAT_MALFORMED, true);
		h->rem = 0;
		h->sub = 0;
		break;
	case PH_CDATA_LF:
		if (b == '\n')
			h->phase = PH_CSIZE;
		else
			go_pass(c, HTTP_STAT_MALFORMED, true);
		break;
	case PH_TSTART:
		if (b == '\r')
			h->phase = PH_TEND_LF;
		else if (b == '\n')
			end_message(c);
		else
			h->phase = PH_TLINE;
		break;
	case PH_TLINE:
		if (b == '\n')
			h->phase = PH_TSTART;
		break;
	case PH_TEND_LF:
		if (b == '\n')
			end_message(c);
		else
			go_pass(c, HTTP_STAT_MALFORMED, false);
		break;
	}
	if (!raw && h->phase == PH_PASS) /* bad framing: the byte goes as it is, like the rest */
		emit_byte(c, b);
}

/* ---- calls ---------------------------------------------------------------------------------- */

static bool is_head_phase(uint8_t ph)
{
	return ph <= PH_HEND_LF;
}

static void step(struct call *c)
{
	struct http_dir *h = c->h;
	size_t k;

	switch (h->phase) {
	case PH_PASS:
		k = left(c);
		emit(c, c->in + c->pos, k);
		count(c, HTTP_STAT_PASS_BYTES, k);
		c->pos += k;
		return;
	case PH_BODY_CL:
	case PH_CDATA:
		k = left(c) < h->rem ? left(c) : (size_t)h->rem;
		body_out(c, c->in + c->pos, k);
		c->pos += k;
		h->rem -= k;
		if (h->rem > 0 || h->phase == PH_PASS) /* PASS: the transformer failed */
			return;
		if (h->phase == PH_CDATA)
			h->phase = PH_CDATA_CR;
		else
			end_body(c);
		return;
	case PH_BODY_CLOSE:
		k = left(c);
		body_out(c, c->in + c->pos, k);
		c->pos += k;
		return;
	case PH_TARGET:
		if (pass_run(c, " \r\n\t") > 0) {
			h->tok_len = 1;
			break;
		}
		/* fall through */
	default:
		if ((h->phase == PH_REASON && pass_run(c, "\r\n") > 0) ||
		    (h->phase == PH_HNAME && (h->sub & SUB_AFTER) && pass_run(c, " \t:\r\n") > 0) ||
		    (h->phase == PH_HVALUE && h->hdr == HD_OTHER && !(h->sub & SUB_DROP) &&
		     !(h->sub & SUB_CR) && pass_run(c, "\r\n") > 0))
			break;
		if (is_head_phase(h->phase)) {
			uint8_t b = c->in[c->pos];

			if (head_byte(c, b)) {
				c->pos++;
				if (h->phase != PH_START)
					h->head_len++;
			}
		} else {
			chunk_byte(c, c->in[c->pos++]);
			if (h->phase >= PH_TSTART && h->phase <= PH_TEND_LF)
				h->head_len++;
		}
		break;
	}
	if (h->head_len > (c->env->cfg->head_max ? c->env->cfg->head_max : HTTP_HEAD_MAX) &&
	    h->phase != PH_PASS)
		go_pass(c, HTTP_STAT_HEAD_TOO_LONG, true);
}

static int check_env(const struct http_env *env, const struct http_dir *h, const void *out)
{
	if (env == NULL || env->cfg == NULL || env->ops == NULL || env->ops->feed == NULL ||
	    env->ops->flush == NULL || h == NULL || out == NULL)
		return -EINVAL;
	return 0;
}

/* A flush left over by the previous call. */
static void finish_flush(struct call *c)
{
	int rc = flush_body(c, left(c));

	if (rc == 0)
		after_flush(c);
	else
		go_pass(c, rc == 1 ? HTTP_STAT_FLUSH_LOST : HTTP_STAT_ERRORS, false);
}

int http_feed(const struct http_env *env, struct http_dir *h, const uint8_t *in, size_t inlen,
	      uint8_t *out, size_t soft, size_t cap, size_t *outlen)
{
	struct call c = {
	    .env = env, .h = h, .in = in, .inlen = inlen, .out = out, .soft = soft, .cap = cap};

	if (outlen == NULL || check_env(env, h, out) < 0 || (in == NULL && inlen > 0) ||
	    cap < inlen + HTTP_SLACK)
		return -EINVAL;
	*outlen = 0;
	if (h->phase == PH_FLUSH)
		finish_flush(&c);
	while (c.pos < c.inlen)
		step(&c);
	close_chunk(&c);
	*outlen = c.n;
	return 0;
}

int http_finish(const struct http_env *env, struct http_dir *h, uint8_t *out, size_t cap,
		size_t *outlen)
{
	struct call c = {.env = env, .h = h, .out = out, .cap = cap};

	if (outlen == NULL || check_env(env, h, out) < 0)
		return -EINVAL;
	*outlen = 0;
	if (h->phase == PH_FLUSH) {
		if (flush_body(&c, 0) != 0)
			count(&c, HTTP_STAT_FLUSH_LOST, 1);
		if (h->after == AF_END_CHUNK)
			emit_str(&c, "0\r\n\r\n");
		else if (h->after == AF_TRAILERS)
			emit_str(&c, "0\r\n\r\n");
	} else if (h->phase >= PH_BODY_CL && h->phase <= PH_BODY_CLOSE && transforms(h->mode)) {
		if (flush_body(&c, 0) != 0)
			count(&c, HTTP_STAT_FLUSH_LOST, 1);
	} else if (h->phase == PH_HNAME) {
		emit(&c, h->tok, h->tok_len);
	} else if (h->phase == PH_HEND_LF) {
		emit_byte(&c, '\r');
	}
	close_chunk(&c);
	h->phase = PH_PASS;
	*outlen = c.n;
	return 0;
}
