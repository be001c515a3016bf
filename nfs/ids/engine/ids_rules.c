/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ids_rules.c — parser of the Suricata rule subset described in ids_rules.h.
 *
 * Design: one pass over the text, one line at a time; a line is parsed by a cursor (struct rp)
 * that never reads past the line's end, so every error knows its line. The first error stops
 * the parse and everything parsed so far is freed. Duplicate sids are found with a small
 * open-addressing hash of sid -> line (linear probing, at most half full).
 *
 * Concurrency: none; the parser only touches its arguments.
 */
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fm_err.h"
#include "ids_rules.h"

/* Longest token quoted back in an error message. */
#define RP_TOKEN_SHOWN 40

/* Cursor over one line of the rules text. */
struct rp {
	const char *p;	 /* next character */
	const char *end; /* end of the line (excluding "\r\n") */
	uint32_t line;
	char *err;
	size_t errlen;
};

/* A token of a line: n bytes at s (not NUL-terminated). */
struct tok {
	const char *s;
	size_t n;
};

/* Options already seen in the current rule (duplicates are errors). */
struct rp_seen {
	bool msg, content, nocase, sid, rev;
};

/* sid -> first line, to refuse duplicates. Slots with sid 0 are empty (sids are >= 1). */
struct sid_set {
	uint32_t *sid;
	uint32_t *line;
	uint32_t cap; /* power of two, or 0 */
	uint32_t n;
};

static int rp_fail(struct rp *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes "line N: <message>" and returns -EINVAL. */
static int rp_fail(struct rp *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fm_err_set(c->err, c->errlen, "line %u: %s", c->line, msg);
	return -EINVAL;
}

static int rp_nomem(struct rp *c)
{
	fm_err_set(c->err, c->errlen, "out of memory");
	return -ENOMEM;
}

/* Length of a token as shown in messages ("%.*s"). */
static int tok_shown(struct tok t)
{
	return t.n > RP_TOKEN_SHOWN ? RP_TOKEN_SHOWN : (int)t.n;
}

static bool tok_is(struct tok t, const char *word)
{
	return t.n == strlen(word) && memcmp(t.s, word, t.n) == 0;
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static void skip_blank(struct rp *c)
{
	while (c->p < c->end && is_blank(*c->p))
		c->p++;
}

/* Next header token: blanks skipped, then everything up to a blank or '('. */
static struct tok next_token(struct rp *c)
{
	struct tok t;

	skip_blank(c);
	t.s = c->p;
	while (c->p < c->end && !is_blank(*c->p) && *c->p != '(')
		c->p++;
	t.n = (size_t)(c->p - t.s);
	return t;
}

/* Next header token, which must be present ("missing <what>" otherwise). */
static int need_token(struct rp *c, const char *what, struct tok *t)
{
	*t = next_token(c);
	if (t->n == 0)
		return rp_fail(c, "missing %s", what);
	return 0;
}

/* Decimal value of a token: 0 when it is all digits and fits in 32 bits, -1 otherwise. */
static int tok_u32(struct tok t, uint32_t *out)
{
	uint64_t v = 0;

	if (t.n == 0 || t.n > 10)
		return -1;
	for (size_t i = 0; i < t.n; i++) {
		if (!isdigit((unsigned char)t.s[i]))
			return -1;
		v = v * 10 + (uint64_t)(t.s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_addr(struct rp *c, const char *what)
{
	struct tok t;
	int rc = need_token(c, what, &t);

	if (rc)
		return rc;
	if (!tok_is(t, "any"))
		return rp_fail(c, "unsupported %s '%.*s' (only any)", what, tok_shown(t), t.s);
	return 0;
}

static int parse_port(struct rp *c, const char *what, uint16_t *port)
{
	struct tok t;
	uint32_t v;
	int rc = need_token(c, what, &t);

	if (rc)
		return rc;
	if (tok_is(t, "any")) {
		*port = 0;
		return 0;
	}
	if (tok_u32(t, &v) || v == 0 || v > UINT16_MAX)
		return rp_fail(c, "bad %s '%.*s' (expected any or 1..65535)", what, tok_shown(t),
			       t.s);
	*port = (uint16_t)v;
	return 0;
}

/* action proto src_addr src_port dir dst_addr dst_port */
static int parse_header(struct rp *c, struct ids_rule *r)
{
	struct tok t;
	int rc;

	if ((rc = need_token(c, "action", &t)))
		return rc;
	if (tok_is(t, "alert"))
		r->action = IDS_ACTION_ALERT;
	else if (tok_is(t, "drop"))
		r->action = IDS_ACTION_DROP;
	else
		return rp_fail(c, "unknown action '%.*s' (expected alert or drop)", tok_shown(t),
			       t.s);
	if ((rc = need_token(c, "protocol", &t)))
		return rc;
	if (tok_is(t, "tcp"))
		r->proto = IDS_PROTO_TCP;
	else if (tok_is(t, "udp"))
		r->proto = IDS_PROTO_UDP;
	else if (tok_is(t, "ip"))
		r->proto = IDS_PROTO_IP;
	else
		return rp_fail(c, "unknown protocol '%.*s' (expected tcp, udp or ip)", tok_shown(t),
			       t.s);
	if ((rc = parse_addr(c, "source address")) ||
	    (rc = parse_port(c, "source port", &r->src_port)))
		return rc;
	if ((rc = need_token(c, "direction", &t)))
		return rc;
	if (tok_is(t, "->"))
		r->dir = IDS_DIR_TO;
	else if (tok_is(t, "<>"))
		r->dir = IDS_DIR_BOTH;
	else
		return rp_fail(c, "bad direction '%.*s' (expected -> or <>)", tok_shown(t), t.s);
	if ((rc = parse_addr(c, "destination address")))
		return rc;
	return parse_port(c, "destination port", &r->dst_port);
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* A |..| block of hex bytes, the opening '|' consumed; appends the bytes to buf at *n. */
static int parse_hex(struct rp *c, struct tok name, uint8_t *buf, size_t *n)
{
	size_t start = *n;
	int hi = -1;

	for (;;) {
		char ch;
		int v;

		if (c->p == c->end || *c->p == '"')
			return rp_fail(c, "unterminated hex block in option '%.*s'",
				       tok_shown(name), name.s);
		ch = *c->p++;
		if (ch == '|')
			break;
		if (is_blank(ch)) {
			if (hi >= 0)
				return rp_fail(c, "hex byte split by a blank in option '%.*s'",
					       tok_shown(name), name.s);
			continue;
		}
		v = hex_value(ch);
		if (v < 0)
			return rp_fail(c, "bad hex character '%c' in option '%.*s'", ch,
				       tok_shown(name), name.s);
		if (hi < 0) {
			hi = v;
		} else {
			buf[(*n)++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		return rp_fail(c, "odd number of hex digits in option '%.*s'", tok_shown(name),
			       name.s);
	if (*n == start)
		return rp_fail(c, "empty hex block in option '%.*s'", tok_shown(name), name.s);
	return 0;
}

/* Body of a quoted string, the opening '"' consumed, up to and including the closing '"'. */
static int parse_string_body(struct rp *c, struct tok name, bool hex, uint8_t *buf, size_t *n)
{
	for (;;) {
		char ch;
		int rc;

		if (c->p == c->end)
			return rp_fail(c, "unterminated string in option '%.*s'", tok_shown(name),
				       name.s);
		ch = *c->p++;
		if (ch == '"')
			return 0;
		if (ch == ';')
			return rp_fail(c, "unescaped ';' in option '%.*s' (write \\; or |3B|)",
				       tok_shown(name), name.s);
		if (hex && ch == '|') {
			if ((rc = parse_hex(c, name, buf, n)))
				return rc;
			continue;
		}
		if (ch == '\\') {
			if (c->p == c->end)
				return rp_fail(c, "unterminated string in option '%.*s'",
					       tok_shown(name), name.s);
			ch = *c->p++;
			if (ch != '"' && ch != ';' && ch != '\\')
				return rp_fail(c, "bad escape '\\%c' in option '%.*s'", ch,
					       tok_shown(name), name.s);
		}
		buf[(*n)++] = (uint8_t)ch;
	}
}

/*
 * A quoted string value (blanks before it skipped), unescaped into a new NUL-terminated buffer
 * (*out, *len bytes before the NUL). hex: |..| blocks are hex bytes (content), else literal.
 */
static int parse_string(struct rp *c, struct tok name, bool hex, uint8_t **out, size_t *len)
{
	uint8_t *buf;
	size_t n = 0;
	int rc;

	skip_blank(c);
	if (c->p == c->end || *c->p != '"')
		return rp_fail(c, "option '%.*s' needs a quoted string", tok_shown(name), name.s);
	c->p++;
	/* unescaping only shrinks: the rest of the line bounds the result */
	buf = malloc((size_t)(c->end - c->p) + 1);
	if (buf == NULL)
		return rp_nomem(c);
	rc = parse_string_body(c, name, hex, buf, &n);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* A decimal value of option name, in [min, UINT32_MAX]. */
static int parse_number(struct rp *c, struct tok name, uint32_t min, uint32_t *out)
{
	struct tok t;

	skip_blank(c);
	t.s = c->p;
	while (c->p < c->end && *c->p != ';' && *c->p != ')' && !is_blank(*c->p))
		c->p++;
	t.n = (size_t)(c->p - t.s);
	if (tok_u32(t, out) || *out < min)
		return rp_fail(c, "bad %.*s '%.*s' (expected %u..4294967295)", tok_shown(name),
			       name.s, tok_shown(t), t.s, min);
	return 0;
}

/* The value of an ignored option: up to the next ';' outside quotes and escapes. */
static int skip_value(struct rp *c, struct tok name)
{
	bool quoted = false;

	while (c->p < c->end) {
		if (*c->p == '\\' && c->p + 1 < c->end) {
			c->p += 2;
			continue;
		}
		if (*c->p == '"')
			quoted = !quoted;
		else if (*c->p == ';' && !quoted)
			return 0;
		c->p++;
	}
	if (quoted)
		return rp_fail(c, "unterminated string in option '%.*s'", tok_shown(name), name.s);
	return rp_fail(c, "missing ';' after option '%.*s'", tok_shown(name), name.s);
}

static int option_once(struct rp *c, struct tok name, bool *seen)
{
	if (*seen)
		return rp_fail(c, "duplicate option '%.*s'", tok_shown(name), name.s);
	*seen = true;
	return 0;
}

static int parse_content(struct rp *c, struct ids_rule *r, struct tok name, struct rp_seen *s)
{
	size_t len;
	int rc;

	if (s->content)
		return rp_fail(c, "more than one content (only one per rule is supported)");
	skip_blank(c);
	if (c->p < c->end && *c->p == '!')
		return rp_fail(c, "negated content is not supported");
	if ((rc = parse_string(c, name, true, &r->content, &len)))
		return rc;
	s->content = true;
	if (len == 0)
		return rp_fail(c, "empty content");
	if (len > UINT32_MAX)
		return rp_fail(c, "content too long");
	r->content_len = (uint32_t)len;
	return 0;
}

/* One option; the cursor is after "name:" (has_value) or before the ';' of "name;". */
static int parse_option(struct rp *c, struct ids_rule *r, struct tok name, bool has_value,
			struct rp_seen *s)
{
	size_t len;
	int rc;

	if (tok_is(name, "nocase")) {
		if (has_value)
			return rp_fail(c, "option 'nocase' takes no value");
		if (!s->content)
			return rp_fail(c, "nocase without a preceding content");
		if ((rc = option_once(c, name, &s->nocase)))
			return rc;
		r->nocase = true;
		return 0;
	}
	if (!tok_is(name, "msg") && !tok_is(name, "content") && !tok_is(name, "sid") &&
	    !tok_is(name, "rev") && !tok_is(name, "classtype") && !tok_is(name, "metadata") &&
	    !tok_is(name, "reference"))
		return rp_fail(c, "unsupported option '%.*s'", tok_shown(name), name.s);
	if (!has_value)
		return rp_fail(c, "option '%.*s' needs a value", tok_shown(name), name.s);
	if (tok_is(name, "content"))
		return parse_content(c, r, name, s);
	if (tok_is(name, "msg")) {
		uint8_t *msg;

		if ((rc = option_once(c, name, &s->msg)))
			return rc;
		if ((rc = parse_string(c, name, false, &msg, &len)))
			return rc;
		r->msg = (char *)msg;
		return 0;
	}
	if (tok_is(name, "sid")) {
		if ((rc = option_once(c, name, &s->sid)))
			return rc;
		return parse_number(c, name, 1, &r->sid);
	}
	if (tok_is(name, "rev")) {
		if ((rc = option_once(c, name, &s->rev)))
			return rc;
		return parse_number(c, name, 0, &r->rev);
	}
	return skip_value(c, name); /* classtype, metadata, reference */
}

/* Option name: letters, digits, '_', '-', '.'. */
static struct tok option_name(struct rp *c)
{
	struct tok t = {.s = c->p};

	while (c->p < c->end &&
	       (isalnum((unsigned char)*c->p) || *c->p == '_' || *c->p == '-' || *c->p == '.'))
		c->p++;
	t.n = (size_t)(c->p - t.s);
	return t;
}

/* The cursor is on '(': options up to ')', then nothing but blanks. */
static int parse_option_list(struct rp *c, struct ids_rule *r)
{
	struct rp_seen seen = {0};
	int rc;

	c->p++;
	for (;;) {
		struct tok name;
		bool has_value;

		skip_blank(c);
		if (c->p == c->end)
			return rp_fail(c, "missing ')' at the end of the rule");
		if (*c->p == ')')
			break;
		name = option_name(c);
		if (name.n == 0)
			return rp_fail(c, "expected an option name, got '%c'", *c->p);
		skip_blank(c);
		has_value = c->p < c->end && *c->p == ':';
		if (!has_value && (c->p == c->end || *c->p != ';'))
			return rp_fail(c, "missing ';' after option '%.*s'", tok_shown(name),
				       name.s);
		c->p += has_value;
		if ((rc = parse_option(c, r, name, has_value, &seen)))
			return rc;
		skip_blank(c);
		if (c->p == c->end || *c->p != ';')
			return rp_fail(c, "missing ';' after option '%.*s'", tok_shown(name),
				       name.s);
		c->p++;
	}
	c->p++;
	skip_blank(c);
	if (c->p != c->end)
		return rp_fail(c, "unexpected text after ')'");
	if (!seen.content)
		return rp_fail(c, "missing content");
	if (!seen.sid)
		return rp_fail(c, "missing sid");
	return 0;
}

static int parse_rule(struct rp *c, struct ids_rule *r)
{
	struct tok t;
	int rc;

	if ((rc = parse_header(c, r)))
		return rc;
	skip_blank(c);
	if (c->p == c->end)
		return rp_fail(c, "missing rule options (expected '(' after the header)");
	if (*c->p != '(') {
		t = next_token(c);
		return rp_fail(c, "unexpected '%.*s' after the header (expected '(')", tok_shown(t),
			       t.s);
	}
	if ((rc = parse_option_list(c, r)))
		return rc;
	if (r->msg == NULL && (r->msg = strdup("")) == NULL)
		return rp_nomem(c);
	return 0;
}

static void rule_free(struct ids_rule *r)
{
	free(r->content);
	free(r->msg);
	memset(r, 0, sizeof(*r));
}

static uint32_t sid_hash(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

/* Slot of sid: where it is, or the empty slot where it would go. */
static uint32_t sid_slot(const struct sid_set *h, uint32_t sid)
{
	uint32_t i = sid_hash(sid) & (h->cap - 1);

	while (h->sid[i] != 0 && h->sid[i] != sid)
		i = (i + 1) & (h->cap - 1);
	return i;
}

static int sid_grow(struct sid_set *h)
{
	struct sid_set g = {.cap = h->cap ? h->cap * 2 : 64};

	g.sid = calloc(g.cap, sizeof(*g.sid));
	g.line = calloc(g.cap, sizeof(*g.line));
	if (g.sid == NULL || g.line == NULL) {
		free(g.sid);
		free(g.line);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < h->cap; i++) {
		if (h->sid[i] != 0) {
			uint32_t j = sid_slot(&g, h->sid[i]);

			g.sid[j] = h->sid[i];
			g.line[j] = h->line[i];
		}
	}
	g.n = h->n;
	free(h->sid);
	free(h->line);
	*h = g;
	return 0;
}

/* 0 when sid was added; 1 when it was already there (*first = its line); -ENOMEM. */
static int sid_insert(struct sid_set *h, uint32_t sid, uint32_t line, uint32_t *first)
{
	uint32_t i;

	if (2 * (h->n + 1) > h->cap && sid_grow(h))
		return -ENOMEM;
	i = sid_slot(h, sid);
	if (h->sid[i] == sid) {
		*first = h->line[i];
		return 1;
	}
	h->sid[i] = sid;
	h->line[i] = line;
	h->n++;
	return 0;
}

/* Parser of a whole text: the growing rule array and the sids seen. */
struct parser {
	struct ids_rule *rule;
	uint32_t count;
	uint32_t cap;
	struct sid_set sids;
};

static int parser_add_slot(struct parser *ps)
{
	if (ps->count == ps->cap) {
		uint32_t cap = ps->cap ? ps->cap * 2 : 16;
		struct ids_rule *n;

		if (cap <= ps->cap)
			return -ENOMEM;
		n = realloc(ps->rule, cap * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		ps->rule = n;
		ps->cap = cap;
	}
	memset(&ps->rule[ps->count], 0, sizeof(ps->rule[0]));
	return 0;
}

/* One line [p, end): blank, comment or rule. */
static int parse_line(struct parser *ps, struct rp *c)
{
	struct ids_rule *r;
	uint32_t first;
	int rc;

	skip_blank(c);
	if (c->p == c->end || *c->p == '#')
		return 0;
	if (parser_add_slot(ps))
		return rp_nomem(c);
	r = &ps->rule[ps->count];
	r->line = c->line;
	rc = parse_rule(c, r);
	if (rc == 0) {
		rc = sid_insert(&ps->sids, r->sid, r->line, &first);
		if (rc < 0)
			rc = rp_nomem(c);
		else if (rc > 0)
			rc = rp_fail(c, "duplicate sid %u (first on line %u)", r->sid, first);
	}
	if (rc) {
		rule_free(r);
		return rc;
	}
	ps->count++;
	return 0;
}

int ids_rules_parse(const char *text, struct ids_rules *set, char *err, size_t errlen)
{
	struct parser ps = {0};
	struct rp c = {.err = err, .errlen = errlen};
	const char *p = text;
	int rc = 0;

	set->rule = NULL;
	set->count = 0;
	if (strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3; /* UTF-8 byte order mark */
	while (*p != '\0') {
		const char *eol = strchr(p, '\n');

		if (eol == NULL)
			eol = p + strlen(p);
		c.line++;
		c.p = p;
		c.end = eol;
		if (c.end > c.p && c.end[-1] == '\r')
			c.end--;
		if ((rc = parse_line(&ps, &c)))
			break;
		p = *eol != '\0' ? eol + 1 : eol;
	}
	free(ps.sids.sid);
	free(ps.sids.line);
	if (rc) {
		set->rule = ps.rule;
		set->count = ps.count;
		ids_rules_uninit(set);
		return rc;
	}
	set->rule = ps.rule;
	set->count = ps.count;
	return 0;
}

/* Reads the whole file into a NUL-terminated buffer. */
static int read_file(const char *path, char **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;

	if (f == NULL) {
		rc = -errno;
		fm_err_set(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return rc;
	}
	for (;;) {
		size_t got;

		if (cap - len < 4096) {
			char *n = realloc(buf, cap ? cap * 2 : 65536);

			if (n == NULL) {
				rc = -ENOMEM;
				fm_err_set(err, errlen, "%s: out of memory", path);
				goto out_free;
			}
			buf = n;
			cap = cap ? cap * 2 : 65536;
		}
		got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		rc = -EIO;
		fm_err_set(err, errlen, "%s: cannot read: %s", path, strerror(EIO));
		goto out_free;
	}
	if (memchr(buf, '\0', len) != NULL) {
		rc = -EINVAL;
		fm_err_set(err, errlen, "%s: contains a NUL byte (not a rules file)", path);
		goto out_free;
	}
	buf[len] = '\0';
	*out = buf;
	fclose(f);
	return 0;

out_free:
	free(buf);
	fclose(f);
	return rc;
}

int ids_rules_load(const char *path, struct ids_rules *set, char *err, size_t errlen)
{
	char msg[320];
	char *text = NULL;
	int rc;

	set->rule = NULL;
	set->count = 0;
	if ((rc = read_file(path, &text, err, errlen)))
		return rc;
	rc = ids_rules_parse(text, set, msg, sizeof(msg));
	free(text);
	if (rc)
		fm_err_set(err, errlen, "%s: %s", path, msg);
	return rc;
}

void ids_rules_uninit(struct ids_rules *set)
{
	for (uint32_t i = 0; i < set->count; i++)
		rule_free(&set->rule[i]);
	free(set->rule);
	set->rule = NULL;
	set->count = 0;
}

static bool port_is(uint16_t rule_port, uint16_t port)
{
	return rule_port == 0 || rule_port == port;
}

bool ids_rule_is_for_flow(const struct ids_rule *r, uint8_t ip_proto, uint16_t sport,
			  uint16_t dport)
{
	if (r->proto == IDS_PROTO_TCP && ip_proto != IPPROTO_TCP)
		return false;
	if (r->proto == IDS_PROTO_UDP && ip_proto != IPPROTO_UDP)
		return false;
	if (port_is(r->src_port, sport) && port_is(r->dst_port, dport))
		return true;
	return r->dir == IDS_DIR_BOTH && port_is(r->src_port, dport) && port_is(r->dst_port, sport);
}
