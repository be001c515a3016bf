/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * http_head.c — the HTTP context's heads (nfsdk/http.h): each head byte goes through the HTTP
 * parser (nfsdk/http_parse.h) and out as soon as it is known to stay; the few fields the context
 * acts on (Content-Length, Transfer-Encoding, Accept-Encoding, Upgrade) are recognised while their
 * names pass, and when the head ends the message's framing is decided (http.c then moves the
 * body).
 */
#include <string.h>
#include <strings.h>

#include "http_int.h"

static const struct {
	const char *name;
	uint8_t len, hdr;
} known[] = {
    {"content-length", 14, HD_CL},
    {"transfer-encoding", 17, HD_TE},
    {"accept-encoding", 15, HD_AE},
    {"upgrade", 7, HD_UPGRADE},
};

/* ---- requests, responses and their framing -------------------------------------------------- */

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
		h->phase = HTTP_PS_FIELD;
		http_go_pass(c, HTTP_STAT_MALFORMED, false);
		emit_str(c, crlf ? "\r\n" : "\n");
		return;
	}
	if (h->request && (h->flags & HF_TE) && !(h->flags & HF_TE_CHUNKED)) {
		h->phase = HTTP_PS_FIELD;
		http_go_pass(c, HTTP_STAT_MALFORMED, false);
		emit_str(c, crlf ? "\r\n" : "\n");
		return;
	}
	if (!h->request && h->status < 200 && h->status != 101) { /* 100 Continue & co. */
		count(c, HTTP_STAT_INTERIM, 1);
		emit_str(c, crlf ? "\r\n" : "\n");
		http_end_message(c);
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
		http_put_back_cl(c);
	if (h->mode == BM_CHUNK && (h->flags & HF_TE))
		count(c, HTTP_STAT_RECHUNKED, 1);
	emit_str(c, crlf ? "\r\n" : "\n");
	h->sub = 0;
	if (next == PH_START) {
		http_end_message(c);
		return;
	}
	h->phase = next;
	h->rem = next == PH_BODY_CL ? h->cl : 0;
}

/* ---- head bytes ----------------------------------------------------------------------------- */

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

/* The start line ended. */
static void start_line_end(struct call *c)
{
	struct http_dir *h = c->h;

	h->phase = HTTP_PS_FIELD;
	h->sub = 0;
	h->tok_len = 0;
	if (h->request) {
		h->kind |= HTTP_KIND_VALID | ((h->flags & HF_V10) ? HTTP_KIND_V10 : 0);
		count(c, HTTP_STAT_REQUESTS, 1);
		return;
	}
	count(c, HTTP_STAT_RESPONSES, 1);
	if (h->status >= 200 && !pop_request(c))
		http_go_pass(c, HTTP_STAT_UNMATCHED, false);
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
	h->phase = HTTP_PS_VALUE;
	if (h->hdr == HD_CL && (h->sub & SUB_DROP)) { /* held whole: it may have to go back */
		tok_add(h, ':');
		return;
	}
	if (!(h->sub & SUB_DROP)) {
		http_emit(c, h->tok, h->tok_len);
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
	h->phase = HTTP_PS_FIELD;
	return 0;
}

/* The byte b broke the head (prev: the phase before it): passes from here, b too. */
static void malformed(struct call *c, uint8_t prev, uint8_t b)
{
	c->h->phase = prev;
	http_go_pass(c, HTTP_STAT_MALFORMED, false);
	emit_byte(c, b);
}

/* A message's first byte (an empty line before a request counts). */
static void start_byte(struct call *c)
{
	struct http_dir *h = c->h;

	if (!(h->flags & HF_STARTED)) {
		h->flags |= HF_STARTED;
		if (space(c) < left(c) + 1 + HTTP_MSG_RESERVE)
			h->flags |= HF_NOROOM;
	}
	h->tok_len = 0;
}

/* A start line byte; it goes out unchanged. */
static void start_line_byte(struct call *c, enum http_ev ev, uint8_t prev, uint8_t b)
{
	struct http_dir *h = c->h;

	switch (ev) {
	case HTTP_EV_METHOD:
		if (!tok_add(h, b)) {
			malformed(c, prev, b);
			return;
		}
		break;
	case HTTP_EV_METHOD_END:
		if (tok_is(h, "HEAD"))
			h->kind |= HTTP_KIND_HEAD;
		else if (tok_is(h, "CONNECT"))
			h->kind |= HTTP_KIND_CONNECT;
		h->tok_len = 0;
		break;
	case HTTP_EV_MINOR:
		if (b == '0')
			h->flags |= HF_V10;
		break;
	case HTTP_EV_STATUS:
		h->status = (uint16_t)(h->status * 10 + (b - '0'));
		break;
	case HTTP_EV_LINE_END:
		emit_byte(c, b);
		start_line_end(c);
		return;
	default: /* empty lines, target, version, reason, the CR */
		break;
	}
	emit_byte(c, b);
}

/* The first byte of a field name: held in tok while the name may be one we act on. */
static void field_start(struct call *c, uint8_t b)
{
	struct http_dir *h = c->h;

	h->tok_len = 0;
	tok_add(h, b);
	if (!name_may_matter(h)) {
		http_emit(c, h->tok, h->tok_len);
		h->tok_len = 0;
		h->hdr = HD_OTHER;
		h->sub = SUB_AFTER; /* name goes on, not held */
	} else {
		h->sub = 0;
	}
}

/* A further field name byte. */
static void name_byte(struct call *c, uint8_t b)
{
	struct http_dir *h = c->h;
	bool added;

	if (h->sub & SUB_AFTER) {
		emit_byte(c, b);
		return;
	}
	added = tok_add(h, b);
	if (!added || !name_may_matter(h)) {
		http_emit(c, h->tok, h->tok_len);
		if (!added)
			emit_byte(c, b);
		h->tok_len = 0;
		h->sub = SUB_AFTER;
	}
}

/* The ':' after a field name. */
static void name_colon(struct call *c, uint8_t b)
{
	struct http_dir *h = c->h;

	if (h->sub & SUB_AFTER) { /* a name that did not matter */
		emit_byte(c, b);
		h->sub = 0;
		h->hdr = HD_OTHER;
		return;
	}
	name_end(c);
}

static bool held_cl(const struct http_dir *h)
{
	return h->hdr == HD_CL && (h->sub & SUB_DROP);
}

/* A value byte (not CR or LF); a removed Content-Length is held in tok until its LF. */
static void value_byte(struct call *c, uint8_t prev, uint8_t b)
{
	struct http_dir *h = c->h;

	if (held_cl(h)) {
		if (h->tok_len >= HTTP_TOK_MAX || cl_byte(h, b) < 0)
			malformed(c, prev, b);
		else
			tok_add(h, b);
		return;
	}
	if (h->hdr == HD_CL && cl_byte(h, b) < 0) {
		malformed(c, prev, b);
		return;
	}
	if (!(h->sub & SUB_DROP))
		emit_byte(c, b);
	if (h->hdr == HD_TE)
		te_byte(h, b);
}

/* The CR ending a field line. */
static void value_cr(struct call *c, uint8_t prev, uint8_t b)
{
	struct http_dir *h = c->h;

	if (held_cl(h)) {
		if (!tok_add(h, b))
			malformed(c, prev, b);
		return;
	}
	if (!(h->sub & SUB_DROP))
		emit_byte(c, b);
}

/* The LF ending a field line. */
static void field_end(struct call *c, uint8_t prev, uint8_t b)
{
	struct http_dir *h = c->h;

	if (held_cl(h)) {
		if (cl_element(h) < 0) {
			malformed(c, prev, b);
			return;
		}
		h->tok_len = 0;
		h->sub = 0;
		h->hdr = HD_OTHER;
		h->flags |= HF_CL_PREV;
		return;
	}
	if (!(h->sub & SUB_DROP))
		emit_byte(c, b);
	if (value_end(c) < 0) {
		h->phase = prev;
		http_go_pass(c, HTTP_STAT_MALFORMED, false);
	}
}

void http_head_byte(struct call *c, uint8_t b)
{
	struct http_dir *h = c->h;
	uint8_t prev = h->phase;
	enum http_ev ev;

	if (prev == HTTP_PS_START)
		start_byte(c);
	ev = http_parse_byte(&h->phase, h->request, b);
	switch (ev) {
	case HTTP_EV_ERROR:
		malformed(c, prev, b);
		break;
	case HTTP_EV_FIELD:
		field_start(c, b);
		break;
	case HTTP_EV_NAME:
		name_byte(c, b);
		break;
	case HTTP_EV_NAME_END:
		name_colon(c, b);
		break;
	case HTTP_EV_VALUE:
		value_byte(c, prev, b);
		break;
	case HTTP_EV_VALUE_CR:
		value_cr(c, prev, b);
		break;
	case HTTP_EV_FIELD_END:
		field_end(c, prev, b);
		break;
	case HTTP_EV_HEAD_CR: /* held: fields may be added before the blank line */
		break;
	case HTTP_EV_HEAD_END:
		head_end(c, prev == HTTP_PS_HEAD_LF);
		break;
	default:
		start_line_byte(c, ev, prev, b);
		break;
	}
}
