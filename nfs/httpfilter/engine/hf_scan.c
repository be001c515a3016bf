/* SPDX-License-Identifier: BSD-3-Clause */
/* hf_scan.c — streaming HTTP/1.x request-head scanner; see hf_scan.h. The head's syntax is
 * nfsdk's HTTP parser (nfsdk/http_parse.h); this file keeps what the filter needs of it. */
#include "hf_scan.h"

#include <string.h>

#include "nfsdk/http_parse.h"

/* States: the head's are the HTTP parser's (nfsdk/http_parse.h), then the body's. */
enum {
	S_BODY = HTTP_PS_COUNT, /* Content-Length bytes to skip */
	S_CH_SIZE,		/* chunk size (hex) */
	S_CH_EXT,		/* chunk extension, up to LF */
	S_CH_SIZE_CR,		/* CR after the chunk size */
	S_CH_DATA,		/* chunk data to skip */
	S_CH_DATA_END,		/* CRLF after the chunk data */
	S_CH_DATA_CR,		/* LF after the chunk data's CR */
	S_CH_TRAILER,		/* start of a trailer line or the final empty line */
	S_CH_TR_LINE,		/* trailer line, up to LF */
	S_CH_TR_CR,		/* CR of the final empty line */
	S_ERROR,
};

/* flags */
#define F_HOST	   0x01 /* a Host header was seen */
#define F_CL	   0x02 /* a Content-Length header was seen */
#define F_CHUNKED  0x04 /* Transfer-Encoding: chunked */
#define F_ABS	   0x08 /* absolute-form target: the host came from it */
#define F_HDR_HOST 0x10 /* the current header is Host */
#define F_HDR_CL   0x20 /* ... Content-Length */
#define F_HDR_TE   0x40 /* ... Transfer-Encoding */
#define F_HDR_MASK (F_HDR_HOST | F_HDR_CL | F_HDR_TE)

#define CHUNK_MAX (1ull << 40)

void hf_scan_init(struct hf_scan *s, uint32_t max_head)
{
	memset(s, 0, sizeof(*s));
	s->max_head = max_head;
	s->state = HTTP_PS_START;
}

bool hf_scan_host_known(const struct hf_scan *s)
{
	return (s->flags & F_ABS) || !hf_scan_in_head(s);
}

bool hf_scan_in_head(const struct hf_scan *s)
{
	return (s->state == HTTP_PS_START && s->head_len > 0) ||
	       (s->state > HTTP_PS_START && s->state < S_BODY);
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static enum hf_scan_rc fail(struct hf_scan *s, enum hf_scan_err e)
{
	s->state = S_ERROR;
	s->err = (uint8_t)e;
	return HF_SCAN_ERROR;
}

/* "host[:port]" or "[v6]:port" in place: drops the port and a trailing dot. */
static void strip_port(char *h, uint8_t *len)
{
	uint8_t n = *len;

	if (n > 0 && h[0] == '[') {
		for (uint8_t i = 0; i < n; i++)
			if (h[i] == ']') {
				n = (uint8_t)(i + 1);
				break;
			}
	} else {
		for (uint8_t i = 0; i < n; i++)
			if (h[i] == ':') {
				n = i;
				break;
			}
	}
	if (n > 0 && h[n - 1] == '.')
		n--;
	*len = n;
}

/* Absolute-form target "http://authority/path": the authority becomes the host (RFC 9112 3.2.2:
 * it overrides the Host header), the path the URL. */
static enum hf_scan_rc split_absolute(struct hf_scan *s)
{
	static const char *const schemes[] = {"http://", "https://"};
	uint16_t skip = 0, end;

	for (int i = 0; i < 2 && skip == 0; i++) {
		size_t n = strlen(schemes[i]);

		if (s->url_len >= n && strncasecmp(s->url, schemes[i], n) == 0)
			skip = (uint16_t)n;
	}
	if (skip == 0)
		return HF_SCAN_LINE;
	s->flags |= F_ABS;
	for (end = skip; end < s->url_len && s->url[end] != '/' && s->url[end] != '?'; end++)
		;
	if (end - skip > HF_HOST_MAX)
		return fail(s, HF_ERR_HOST_LONG);
	s->host_len = (uint8_t)(end - skip);
	for (uint16_t i = 0; i < s->host_len; i++)
		s->host[i] = (char)lower((uint8_t)s->url[skip + i]);
	strip_port(s->host, &s->host_len);
	if (end == s->url_len) {
		s->url[0] = '/';
		s->url_len = 1;
	} else {
		memmove(s->url, s->url + end, s->url_len - end);
		s->url_len = (uint16_t)(s->url_len - end);
	}
	return HF_SCAN_LINE;
}

/* End of a header value: records Host, Content-Length or chunked. */
static enum hf_scan_rc end_value(struct hf_scan *s)
{
	uint8_t f = s->flags & F_HDR_MASK;

	s->flags &= (uint8_t)~F_HDR_MASK;
	if (f == F_HDR_HOST) {
		while (s->host_len > 0 &&
		       (s->host[s->host_len - 1] == ' ' || s->host[s->host_len - 1] == '\t'))
			s->host_len--;
		strip_port(s->host, &s->host_len);
		return HF_SCAN_MORE;
	}
	if (f == 0)
		return HF_SCAN_MORE;
	while (s->val_len > 0 && (s->val[s->val_len - 1] == ' ' || s->val[s->val_len - 1] == '\t'))
		s->val_len--;
	if (f == F_HDR_CL) {
		uint64_t v = 0;

		if (s->val_len == 0 || s->val_len > 15 || (s->flags & F_CL))
			return fail(s, HF_ERR_BODY);
		for (uint8_t i = 0; i < s->val_len; i++) {
			if (s->val[i] < '0' || s->val[i] > '9')
				return fail(s, HF_ERR_BODY);
			v = v * 10 + (uint64_t)(s->val[i] - '0');
		}
		s->body_left = v;
		s->flags |= F_CL;
		return HF_SCAN_MORE;
	}
	/* Transfer-Encoding: only "chunked" is followed (anything else hides the body's end) */
	if (s->val_len != 7 || strncasecmp(s->val, "chunked", 7) != 0 || (s->flags & F_CHUNKED))
		return fail(s, HF_ERR_BODY);
	s->flags |= F_CHUNKED;
	return HF_SCAN_MORE;
}

static void start_header(struct hf_scan *s, uint8_t c)
{
	s->name_len = 1;
	s->name[0] = (char)lower(c);
	s->val_len = 0;
}

static enum hf_scan_rc end_name(struct hf_scan *s)
{
	if (s->name_len == 4 && memcmp(s->name, "host", 4) == 0) {
		if (s->flags & F_HOST)
			return fail(s, HF_ERR_SYNTAX); /* two Host headers: RFC 9112 3.2 */
		s->flags |= F_HOST;
		if (!(s->flags & F_ABS)) { /* an absolute-form target's authority wins */
			s->flags |= F_HDR_HOST;
			s->host_len = 0;
		}
	} else if (s->name_len == 14 && memcmp(s->name, "content-length", 14) == 0) {
		s->flags |= F_HDR_CL;
	} else if (s->name_len == 17 && memcmp(s->name, "transfer-encoding", 17) == 0) {
		s->flags |= F_HDR_TE;
	}
	return HF_SCAN_MORE;
}

/* A value byte: kept for Host, Content-Length and Transfer-Encoding, without leading whitespace. */
static enum hf_scan_rc value_byte(struct hf_scan *s, uint8_t c)
{
	uint8_t f = s->flags & F_HDR_MASK;

	if ((c < 0x20 && c != '\t') || c == 0x7f)
		return fail(s, HF_ERR_SYNTAX);
	if ((c == ' ' || c == '\t') && (f == F_HDR_HOST ? s->host_len : s->val_len) == 0)
		return HF_SCAN_MORE;
	if (f == F_HDR_HOST) {
		if (s->host_len == HF_HOST_MAX)
			return fail(s, HF_ERR_HOST_LONG);
		s->host[s->host_len++] = (char)lower(c);
	} else if (f != 0) {
		if (s->val_len == HF_VAL_MAX)
			return fail(s, HF_ERR_BODY);
		s->val[s->val_len++] = (char)c;
	}
	return HF_SCAN_MORE;
}

/* The empty line ended the head: set up the body and report. */
static enum hf_scan_rc end_head(struct hf_scan *s)
{
	if ((s->flags & F_CHUNKED) && (s->flags & F_CL))
		return fail(s, HF_ERR_BODY); /* both: a smuggling attempt (RFC 9112 6.1) */
	s->requests++;
	if (s->flags & F_CHUNKED) {
		s->state = S_CH_SIZE;
		s->body_left = 0;
		s->val_len = 0;
	} else {
		s->state = s->body_left > 0 ? S_BODY : HTTP_PS_START;
	}
	return HF_SCAN_HEAD;
}

static void start_request(struct hf_scan *s)
{
	s->url_len = 0;
	s->host_len = 0;
	s->flags = 0;
	s->body_left = 0;
	s->val_len = 0;
}

/* A byte of a header name (the first one starts the field). */
static void name_byte(struct hf_scan *s, uint8_t c)
{
	if (s->name_len < HF_NAME_MAX)
		s->name[s->name_len] = (char)lower(c);
	if (s->name_len < UINT8_MAX)
		s->name_len++;
}

/* One byte of a head, through the HTTP parser. HF_SCAN_HEAD when it ends the head. */
static enum hf_scan_rc head_byte(struct hf_scan *s, uint8_t c)
{
	uint8_t prev = s->state;

	if (++s->head_len > s->max_head)
		return fail(s, HF_ERR_HEAD_LONG);
	switch (http_parse_byte(&s->state, true, c)) {
	case HTTP_EV_ERROR:
		return fail(s, HF_ERR_SYNTAX);
	case HTTP_EV_METHOD:
		if (prev == HTTP_PS_START)
			start_request(s);
		return HF_SCAN_MORE;
	case HTTP_EV_TARGET:
		if (s->url_len == HF_URL_MAX)
			return fail(s, HF_ERR_URL_LONG);
		s->url[s->url_len++] = (char)c;
		return HF_SCAN_MORE;
	case HTTP_EV_TARGET_END:
		return split_absolute(s);
	case HTTP_EV_FIELD:
		start_header(s, c);
		return HF_SCAN_MORE;
	case HTTP_EV_NAME:
		name_byte(s, c);
		return HF_SCAN_MORE;
	case HTTP_EV_NAME_END:
		return end_name(s);
	case HTTP_EV_VALUE:
		return value_byte(s, c);
	case HTTP_EV_VALUE_CR:
		return end_value(s);
	case HTTP_EV_FIELD_END: /* after a CR, the value ended there */
		return prev == HTTP_PS_VALUE_LF ? HF_SCAN_MORE : end_value(s);
	case HTTP_EV_HEAD_END:
		return end_head(s);
	default: /* blank lines, version, CRs of the start and blank lines */
		return HF_SCAN_MORE;
	}
}

/* One byte of the chunked framing (not chunk data). */
static enum hf_scan_rc chunk_byte(struct hf_scan *s, uint8_t c)
{
	int h;

	switch (s->state) {
	case S_CH_SIZE:
		h = hexval(c);
		if (h >= 0) {
			s->body_left = s->body_left * 16 + (uint64_t)h;
			if (s->body_left > CHUNK_MAX)
				return fail(s, HF_ERR_BODY);
			s->val_len = 1;
			return HF_SCAN_MORE;
		}
		if (s->val_len == 0)
			return fail(s, HF_ERR_BODY);
		if (c == ';' || c == ' ' || c == '\t')
			s->state = S_CH_EXT;
		else if (c == '\r')
			s->state = S_CH_SIZE_CR;
		else if (c != '\n')
			return fail(s, HF_ERR_BODY);
		else
			s->state = s->body_left > 0 ? S_CH_DATA : S_CH_TRAILER;
		return HF_SCAN_MORE;
	case S_CH_EXT:
	case S_CH_SIZE_CR:
		if (c == '\n')
			s->state = s->body_left > 0 ? S_CH_DATA : S_CH_TRAILER;
		else if (s->state == S_CH_SIZE_CR)
			return fail(s, HF_ERR_BODY);
		return HF_SCAN_MORE;
	case S_CH_DATA_END:
		if (c == '\r') {
			s->state = S_CH_DATA_CR;
			return HF_SCAN_MORE;
		}
		/* fall through */
	case S_CH_DATA_CR:
		if (c != '\n')
			return fail(s, HF_ERR_BODY);
		s->state = S_CH_SIZE;
		s->val_len = 0;
		s->body_left = 0;
		return HF_SCAN_MORE;
	case S_CH_TRAILER:
		if (c == '\r')
			s->state = S_CH_TR_CR;
		else if (c == '\n')
			s->state = HTTP_PS_START;
		else
			s->state = S_CH_TR_LINE;
		return HF_SCAN_MORE;
	case S_CH_TR_LINE:
		if (c == '\n')
			s->state = S_CH_TRAILER;
		return HF_SCAN_MORE;
	case S_CH_TR_CR:
		if (c != '\n')
			return fail(s, HF_ERR_BODY);
		s->state = HTTP_PS_START;
		return HF_SCAN_MORE;
	default:
		return fail(s, HF_ERR_SYNTAX);
	}
}

enum hf_scan_rc hf_scan_feed(struct hf_scan *s, const uint8_t *data, uint32_t len, uint32_t *used)
{
	uint32_t i = 0;
	enum hf_scan_rc rc = HF_SCAN_MORE;

	while (i < len && rc == HF_SCAN_MORE) {
		if (s->state == S_ERROR) {
			rc = HF_SCAN_ERROR;
			break;
		}
		if (s->state == S_BODY || s->state == S_CH_DATA) {
			uint64_t n = len - i < s->body_left ? len - i : s->body_left;

			i += (uint32_t)n;
			s->body_left -= n;
			if (s->body_left == 0)
				s->state = s->state == S_BODY ? HTTP_PS_START : S_CH_DATA_END;
			continue;
		}
		if (s->state >= S_CH_SIZE)
			rc = chunk_byte(s, data[i]);
		else
			rc = head_byte(s, data[i]);
		i++;
		if (rc == HF_SCAN_HEAD)
			s->head_len = 0;
	}
	if (s->state == S_ERROR && rc != HF_SCAN_HEAD)
		rc = HF_SCAN_ERROR;
	*used = i;
	return rc;
}
