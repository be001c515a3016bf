/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * http.c — the HTTP/1.1 context (nfsdk/http.h): one direction's incremental message transformer.
 *
 * Heads are parsed one byte at a time by the HTTP parser (nfsdk/http_parse.h, h->phase is its
 * state) and each byte is copied to the output as soon as it is known to stay (http_head.c);
 * bodies go in runs through the body transformer (Content-Length bodies, chunk data,
 * close-delimited bodies) or are copied, and chunked framing is parsed here. A call works on a
 * `struct call` (http_int.h): the input, the output written so far, and the environment.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "http_int.h"

_Static_assert(sizeof(struct http_dir) == HTTP_DIR_SIZE, "documented in http.h");
_Static_assert(sizeof(struct http_link) == HTTP_LINK_SIZE, "documented in http.h");

static const char *const stat_names[HTTP_STAT_COUNT] = {
#define HTTP_X_NAME(e, s) s,
    HTTP_STATS(HTTP_X_NAME)
#undef HTTP_X_NAME
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

void http_emit(struct call *c, const void *p, size_t len)
{
	close_chunk(c);
	if (len > space(c)) {
		count(c, HTTP_STAT_ERRORS, 1);
		len = space(c);
	}
	memcpy(c->out + c->n, p, len);
	c->n += len;
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

void http_put_back_cl(struct call *c)
{
	char buf[48];

	snprintf(buf, sizeof(buf), "Content-Length: %llu\r\n", (unsigned long long)c->h->cl);
	emit_str(c, buf);
}

void http_go_pass(struct call *c, enum http_stat stat, bool flush)
{
	struct http_dir *h = c->h;
	bool line_start = h->phase == HTTP_PS_FIELD || h->phase == HTTP_PS_NAME;
	bool in_value = h->phase == HTTP_PS_VALUE || h->phase == HTTP_PS_VALUE_LF;

	count(c, stat, 1);
	if (line_start && (h->flags & HF_CL_DROP))
		http_put_back_cl(c);
	if (in_value && h->hdr == HD_CL && (h->sub & SUB_DROP)) {
		if (h->flags & HF_CL_PREV) /* an earlier field was removed */
			http_put_back_cl(c);
		http_emit(c, h->tok, h->tok_len);
	}
	if (h->phase == HTTP_PS_NAME)
		http_emit(c, h->tok, h->tok_len);
	if (h->phase == HTTP_PS_HEAD_LF)
		emit_byte(c, '\r');
	if (flush && h->phase >= PH_BODY_CL && h->phase <= PH_BODY_CLOSE && transforms(h->mode) &&
	    flush_body(c, left(c)) != 0)
		count(c, HTTP_STAT_FLUSH_LOST, 1);
	h->phase = PH_PASS;
}

/* ---- messages ------------------------------------------------------------------------------- */

void http_end_message(struct call *c)
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
		http_end_message(c);
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
		http_end_message(c);
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
			http_go_pass(c, rc == 1 ? HTTP_STAT_FLUSH_LOST : HTTP_STAT_ERRORS, false);
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
		http_emit(c, in, k);
		return;
	}
	rc = xform(c, in, k, h->mode == BM_CHUNK, later + END_RESERVE);
	if (rc < 0) { /* the transformer failed: these bytes and the rest go as they are */
		http_emit(c, in, k);
		http_go_pass(c, HTTP_STAT_ERRORS, false);
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
		http_go_pass(c, HTTP_STAT_MALFORMED, true);
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
			http_go_pass(c, HTTP_STAT_MALFORMED, true);
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
			http_go_pass(c, HTTP_STAT_MALFORMED, true);
		break;
	case PH_CDATA_CR:
		if (b == '\r')
			h->phase = PH_CDATA_LF;
		else if (b == '\n')
			h->phase = PH_CSIZE;
		else
			http_go_pass(c, HTTP_STAT_MALFORMED, true);
		h->rem = 0;
		h->sub = 0;
		break;
	case PH_CDATA_LF:
		if (b == '\n')
			h->phase = PH_CSIZE;
		else
			http_go_pass(c, HTTP_STAT_MALFORMED, true);
		break;
	case PH_TSTART:
		if (b == '\r')
			h->phase = PH_TEND_LF;
		else if (b == '\n')
			http_end_message(c);
		else
			h->phase = PH_TLINE;
		break;
	case PH_TLINE:
		if (b == '\n')
			h->phase = PH_TSTART;
		break;
	case PH_TEND_LF:
		if (b == '\n')
			http_end_message(c);
		else
			http_go_pass(c, HTTP_STAT_MALFORMED, false);
		break;
	}
	if (!raw && h->phase == PH_PASS) /* bad framing: the byte goes as it is, like the rest */
		emit_byte(c, b);
}

/* ---- calls ---------------------------------------------------------------------------------- */

static bool is_head_phase(uint8_t ph)
{
	return ph < HTTP_PS_COUNT;
}

/* A run of bytes that just pass (target, reason, other values) up to one of the stop bytes. */
static size_t pass_run(struct call *c, const char *stop)
{
	const uint8_t *p = c->in + c->pos;
	size_t k = 0, n = left(c);

	while (k < n && strchr(stop, p[k]) == NULL)
		k++;
	http_emit(c, p, k);
	c->pos += k;
	c->h->head_len += (uint32_t)k;
	return k;
}

static void step(struct call *c)
{
	struct http_dir *h = c->h;
	size_t k;

	switch (h->phase) {
	case PH_PASS:
		k = left(c);
		http_emit(c, c->in + c->pos, k);
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
	case HTTP_PS_TARGET0:
	case HTTP_PS_TARGET:
		if (pass_run(c, " \r\n\t") > 0) {
			h->phase = HTTP_PS_TARGET; /* not empty */
			break;
		}
		/* fall through */
	default:
		/* runs of bytes the parser would only pass on: target, reason, other fields */
		if ((h->phase == HTTP_PS_REASON && pass_run(c, "\r\n") > 0) ||
		    (h->phase == HTTP_PS_NAME && (h->sub & SUB_AFTER) &&
		     pass_run(c, " \t:\r\n") > 0) ||
		    (h->phase == HTTP_PS_VALUE && h->hdr == HD_OTHER && !(h->sub & SUB_DROP) &&
		     pass_run(c, "\r\n") > 0))
			break;
		if (is_head_phase(h->phase)) {
			http_head_byte(c, c->in[c->pos++]);
			if (h->phase != PH_START)
				h->head_len++;
		} else {
			chunk_byte(c, c->in[c->pos++]);
			if (h->phase >= PH_TSTART && h->phase <= PH_TEND_LF)
				h->head_len++;
		}
		break;
	}
	if (h->head_len > (c->env->cfg->head_max ? c->env->cfg->head_max : HTTP_HEAD_MAX) &&
	    h->phase != PH_PASS)
		http_go_pass(c, HTTP_STAT_HEAD_TOO_LONG, true);
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
		http_go_pass(c, rc == 1 ? HTTP_STAT_FLUSH_LOST : HTTP_STAT_ERRORS, false);
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
	} else if (h->phase == HTTP_PS_NAME) {
		http_emit(&c, h->tok, h->tok_len);
	} else if (h->phase == HTTP_PS_HEAD_LF) {
		emit_byte(&c, '\r');
	}
	close_chunk(&c);
	h->phase = PH_PASS;
	*outlen = c.n;
	return 0;
}
