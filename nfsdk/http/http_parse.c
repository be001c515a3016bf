/* SPDX-License-Identifier: BSD-3-Clause */
/* http_parse.c — the HTTP/1.x head parser (nfsdk/http_parse.h). */
#include "nfsdk/http_parse.h"

static const char version[] = "HTTP/1.";

/* A byte of "HTTP/1.x" at index i (state base + i); returns the event or HTTP_EV_ERROR. */
static enum http_ev version_byte(uint8_t *state, uint8_t base, uint8_t b)
{
	uint8_t i = (uint8_t)(*state - base);

	if (i < HTTP_VERSION_LEN - 1) {
		if (b != (uint8_t)version[i])
			return HTTP_EV_ERROR;
		(*state)++;
		return HTTP_EV_VERSION;
	}
	if (i == HTTP_VERSION_LEN - 1 && b >= '0' && b <= '9') {
		(*state)++;
		return HTTP_EV_MINOR;
	}
	return HTTP_EV_ERROR;
}

/* CR or LF ending the start line. */
static enum http_ev line_end(uint8_t *state, uint8_t b)
{
	*state = b == '\r' ? HTTP_PS_LINE_LF : HTTP_PS_FIELD;
	return b == '\r' ? HTTP_EV_LINE_CR : HTTP_EV_LINE_END;
}

static enum http_ev request_line(uint8_t *state, uint8_t b)
{
	switch (*state) {
	case HTTP_PS_START:
		if (b == '\r' || b == '\n')
			return HTTP_EV_BLANK;
		/* fall through */
	case HTTP_PS_METHOD:
		if (b == ' ' && *state == HTTP_PS_METHOD) {
			*state = HTTP_PS_TARGET0;
			return HTTP_EV_METHOD_END;
		}
		if (!http_is_tchar(b))
			return HTTP_EV_ERROR;
		*state = HTTP_PS_METHOD;
		return HTTP_EV_METHOD;
	case HTTP_PS_TARGET0:
	case HTTP_PS_TARGET:
		if (b == ' ' && *state == HTTP_PS_TARGET) {
			*state = HTTP_PS_VERSION;
			return HTTP_EV_TARGET_END;
		}
		if (b <= ' ' || b == 0x7f)
			return HTTP_EV_ERROR;
		*state = HTTP_PS_TARGET;
		return HTTP_EV_TARGET;
	default: /* version */
		if (*state == HTTP_PS_VERSION + HTTP_VERSION_LEN)
			return b == '\r' || b == '\n' ? line_end(state, b) : HTTP_EV_ERROR;
		return version_byte(state, HTTP_PS_VERSION, b);
	}
}

static enum http_ev status_line(uint8_t *state, uint8_t b)
{
	uint8_t i;

	if (*state < HTTP_PS_RVERSION + HTTP_VERSION_LEN) {
		uint8_t st = *state == HTTP_PS_START ? (uint8_t)HTTP_PS_RVERSION : *state;
		enum http_ev ev = version_byte(&st, HTTP_PS_RVERSION, b);

		if (ev != HTTP_EV_ERROR)
			*state = st;
		return ev;
	}
	if (*state == HTTP_PS_RVERSION + HTTP_VERSION_LEN) {
		if (b != ' ')
			return HTTP_EV_ERROR;
		*state = HTTP_PS_STATUS;
		return HTTP_EV_VERSION_END;
	}
	if (*state == HTTP_PS_REASON) {
		if (b == '\r' || b == '\n')
			return line_end(state, b);
		return HTTP_EV_REASON;
	}
	i = (uint8_t)(*state - HTTP_PS_STATUS);
	if (i < HTTP_STATUS_LEN) {
		if (b < (i == 0 ? '1' : '0') || b > '9')
			return HTTP_EV_ERROR;
		(*state)++;
		return HTTP_EV_STATUS;
	}
	if (b == ' ') {
		*state = HTTP_PS_REASON;
		return HTTP_EV_REASON;
	}
	return b == '\r' || b == '\n' ? line_end(state, b) : HTTP_EV_ERROR;
}

/* A byte of a field line, of the blank line, or the LF after a line's CR. */
static enum http_ev field_line(uint8_t *state, uint8_t b)
{
	enum http_ev ev;

	switch (*state) {
	case HTTP_PS_LINE_LF:
	case HTTP_PS_VALUE_LF:
		if (b != '\n')
			return HTTP_EV_ERROR; /* a bare CR */
		ev = *state == HTTP_PS_LINE_LF ? HTTP_EV_LINE_END : HTTP_EV_FIELD_END;
		*state = HTTP_PS_FIELD;
		return ev;
	case HTTP_PS_FIELD:
		if (b == '\r') {
			*state = HTTP_PS_HEAD_LF;
			return HTTP_EV_HEAD_CR;
		}
		if (b == '\n') {
			*state = HTTP_PS_START;
			return HTTP_EV_HEAD_END;
		}
		if (!http_is_tchar(b)) /* obs-fold, whitespace before a name, ... */
			return HTTP_EV_ERROR;
		*state = HTTP_PS_NAME;
		return HTTP_EV_FIELD;
	case HTTP_PS_NAME:
		if (b == ':') {
			*state = HTTP_PS_VALUE;
			return HTTP_EV_NAME_END;
		}
		return http_is_tchar(b) ? HTTP_EV_NAME : HTTP_EV_ERROR;
	case HTTP_PS_VALUE:
		if (b == '\r') {
			*state = HTTP_PS_VALUE_LF;
			return HTTP_EV_VALUE_CR;
		}
		if (b == '\n') {
			*state = HTTP_PS_FIELD;
			return HTTP_EV_FIELD_END;
		}
		return HTTP_EV_VALUE;
	default: /* HTTP_PS_HEAD_LF */
		if (b != '\n')
			return HTTP_EV_ERROR;
		*state = HTTP_PS_START;
		return HTTP_EV_HEAD_END;
	}
}

enum http_ev http_parse_byte(uint8_t *state, bool request, uint8_t b)
{
	if (*state >= HTTP_PS_COUNT)
		return HTTP_EV_ERROR;
	if (*state >= HTTP_PS_LINE_LF)
		return field_line(state, b);
	return request ? request_line(state, b) : status_line(state, b);
}
