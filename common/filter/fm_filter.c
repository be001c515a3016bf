/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_filter.c — filter language: tokenizer, recursive-descent parser, reference evaluation
 * (see fm_filter.h; the normal form is built in fm_filter_dnf.c). */
#include "fm_filter.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fm_err.h"
#include "fm_filter_int.h"

#define MAX_TOKENS 1024
#define MAX_DEPTH  64

enum tok_type { T_WORD, T_LPAREN, T_RPAREN, T_NOT, T_AND, T_OR, T_END };

struct tok {
	int type;
	int pos; /* 0-based */
	int len;
};

struct parser {
	const char *s;
	struct tok toks[MAX_TOKENS];
	int nt, i;
	struct fm_ast *ast;
	int nb_ast, cap_ast;
	int root;
	int depth;
	int rc;
	char *err;
	size_t errlen;
};

static void perr(struct parser *p, int pos, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (p->rc)
		return;
	p->rc = -EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fm_err_set(p->err, p->errlen, "at %d: %s", pos + 1, msg);
}

static int is_word_char(int c)
{
	return isalnum(c) || c == '.' || c == ':' || c == '/' || c == '-' || c == '_';
}

static int tokenize(struct parser *p)
{
	const char *s = p->s;
	int i = 0;
	p->nt = 0;
	for (;;) {
		while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
			i++;
		if (p->nt >= MAX_TOKENS - 1) {
			perr(p, i, "expression too long (more than %d tokens)", MAX_TOKENS - 1);
			return -1;
		}
		struct tok *t = &p->toks[p->nt++];
		t->pos = i;
		t->len = 1;
		char c = s[i];
		if (c == 0) {
			t->type = T_END;
			t->len = 0;
			return 0;
		} else if (c == '(') {
			t->type = T_LPAREN;
		} else if (c == ')') {
			t->type = T_RPAREN;
		} else if (c == '!') {
			t->type = T_NOT;
		} else if (c == '&' && s[i + 1] == '&') {
			t->type = T_AND;
			t->len = 2;
		} else if (c == '|' && s[i + 1] == '|') {
			t->type = T_OR;
			t->len = 2;
		} else if (is_word_char((unsigned char)c)) {
			int j = i;
			while (is_word_char((unsigned char)s[j]))
				j++;
			t->type = T_WORD;
			t->len = j - i;
			if (t->len == 3 && !strncmp(s + i, "and", 3))
				t->type = T_AND;
			else if (t->len == 2 && !strncmp(s + i, "or", 2))
				t->type = T_OR;
			else if (t->len == 3 && !strncmp(s + i, "not", 3))
				t->type = T_NOT;
		} else {
			perr(p, i, "unexpected character '%c'",
			     isprint((unsigned char)c) ? c : '?');
			return -1;
		}
		i += t->len;
	}
}

static struct tok *cur(struct parser *p)
{
	return &p->toks[p->i];
}

static struct tok *peek(struct parser *p, int k)
{
	int j = p->i + k;
	return j < p->nt ? &p->toks[j] : &p->toks[p->nt - 1];
}

static int tok_is(struct parser *p, const struct tok *t, const char *w)
{
	return t->type == T_WORD && (size_t)t->len == strlen(w) &&
	       !strncmp(p->s + t->pos, w, t->len);
}

/* Copy a token's text (truncated to 63 chars) for messages and number parsing. */
static const char *tok_text(struct parser *p, const struct tok *t, char *buf, size_t len)
{
	if (t->type == T_END)
		return "end of expression";
	size_t n = (size_t)t->len < len - 1 ? (size_t)t->len : len - 1;
	memcpy(buf, p->s + t->pos, n);
	buf[n] = 0;
	return buf;
}

static int new_node(struct parser *p, int op, int a, int b)
{
	if (p->rc)
		return -1;
	if (p->nb_ast == p->cap_ast) {
		int cap = p->cap_ast ? p->cap_ast * 2 : 32;
		struct fm_ast *n = realloc(p->ast, (size_t)cap * sizeof(*n));
		if (!n) {
			p->rc = -ENOMEM;
			return -1;
		}
		p->ast = n;
		p->cap_ast = cap;
	}
	struct fm_ast *n = &p->ast[p->nb_ast];
	memset(n, 0, sizeof(*n));
	n->op = (uint8_t)op;
	n->a = a;
	n->b = b;
	return p->nb_ast++;
}

static int lit(struct parser *p, int field, uint64_t mask, uint64_t value)
{
	int n = new_node(p, FM_AST_LIT, -1, -1);
	if (n >= 0) {
		p->ast[n].lit.field = (uint8_t)field;
		p->ast[n].lit.mask = mask;
		p->ast[n].lit.value = value & mask;
	}
	return n;
}

static int bin(struct parser *p, int op, int a, int b)
{
	if (a < 0 || b < 0)
		return -1;
	return new_node(p, op, a, b);
}

static int eth(struct parser *p, uint16_t type)
{
	return lit(p, FM_F_ETHERTYPE, 0xffff, type);
}

static int proto_lit(struct parser *p, unsigned proto)
{
	return lit(p, FM_F_IP_PROTO, 0xff, proto);
}

/* Strict unsigned decimal; returns 0 on success. */
static int parse_num(const char *s, size_t n, unsigned long *out)
{
	if (n == 0 || n > 10)
		return -1;
	unsigned long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int expect_word(struct parser *p, const char *what, const char *after)
{
	struct tok *t = cur(p);
	if (t->type == T_WORD)
		return 0;
	char b[64];
	if (t->type == T_END)
		perr(p, t->pos, "unexpected end of expression, expected %s after '%s'", what,
		     after);
	else
		perr(p, t->pos, "expected %s after '%s', got '%s'", what, after,
		     tok_text(p, t, b, sizeof(b)));
	return -1;
}

static int parse_proto_name(struct parser *p, unsigned *proto)
{
	char b[64];
	if (expect_word(p, "a protocol", "proto"))
		return -1;
	struct tok *t = cur(p);
	static const struct {
		const char *n;
		unsigned v;
	} names[] = {{"tcp", FM_PROTO_TCP},
		     {"udp", FM_PROTO_UDP},
		     {"icmp", FM_PROTO_ICMP},
		     {"icmp6", FM_PROTO_ICMP6},
		     {"sctp", FM_PROTO_SCTP}};
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		if (tok_is(p, t, names[k].n)) {
			*proto = names[k].v;
			p->i++;
			return 0;
		}
	}
	unsigned long v;
	if (!isdigit((unsigned char)p->s[t->pos])) {
		perr(p, t->pos, "unknown protocol '%s'", tok_text(p, t, b, sizeof(b)));
		return -1;
	}
	if (parse_num(p->s + t->pos, (size_t)t->len, &v) || v > 255) {
		perr(p, t->pos, "protocol %s out of range (0-255)", tok_text(p, t, b, sizeof(b)));
		return -1;
	}
	*proto = (unsigned)v;
	p->i++;
	return 0;
}

enum dir { DIR_SRC, DIR_DST, DIR_OR, DIR_AND };

/* Combine a per-side builder: side(p, is_src, ctx) returns a node. */
static int dir_combine(struct parser *p, enum dir d, int src_node, int dst_node)
{
	switch (d) {
	case DIR_SRC:
		return src_node;
	case DIR_DST:
		return dst_node;
	case DIR_OR:
		return bin(p, FM_AST_OR, src_node, dst_node);
	default:
		return bin(p, FM_AST_AND, src_node, dst_node);
	}
}

struct addr {
	int v6;
	uint64_t w[2]; /* v4: w[0] host-order address; v6: hi, lo */
	unsigned plen;
};

static int parse_addr(struct parser *p, const struct tok *t, const char *txt, struct addr *a,
		      int need_prefix)
{
	char buf[80];
	char b[64];
	const char *slash = strchr(txt, '/');
	if (need_prefix && !slash) {
		perr(p, t->pos, "expected ADDR/LEN after 'net', got '%s'", txt);
		return -1;
	}
	if (!need_prefix && slash) {
		perr(p, t->pos, "invalid address '%s' (use 'net' for a prefix)", txt);
		return -1;
	}
	size_t alen = slash ? (size_t)(slash - txt) : strlen(txt);
	if (alen >= sizeof(buf)) {
		perr(p, t->pos, "invalid address '%s'", txt);
		return -1;
	}
	memcpy(buf, txt, alen);
	buf[alen] = 0;
	uint8_t raw[16];
	a->v6 = strchr(buf, ':') != NULL;
	if (inet_pton(a->v6 ? AF_INET6 : AF_INET, buf, raw) != 1) {
		perr(p, t->pos, "invalid address '%s'", buf);
		return -1;
	}
	unsigned maxlen = a->v6 ? 128 : 32;
	a->plen = maxlen;
	if (slash) {
		unsigned long l;
		if (parse_num(slash + 1, strlen(slash + 1), &l) || l > maxlen) {
			perr(p, t->pos, "prefix length '%s' out of range (0-%u)", slash + 1,
			     maxlen);
			return -1;
		}
		a->plen = (unsigned)l;
	}
	if (a->v6) {
		a->w[0] = fm_rd64be(raw);
		a->w[1] = fm_rd64be(raw + 8);
		unsigned l0 = a->plen > 64 ? 64 : a->plen, l1 = a->plen > 64 ? a->plen - 64 : 0;
		uint64_t m0 = fm_field_prefix_mask(FM_F_IP6_SRC_HI, l0);
		uint64_t m1 = fm_field_prefix_mask(FM_F_IP6_SRC_LO, l1);
		if ((a->w[0] & ~m0) || (a->w[1] & ~m1)) {
			perr(p, t->pos, "non-network bits set in '%s'",
			     tok_text(p, t, b, sizeof(b)));
			return -1;
		}
	} else {
		a->w[0] = ((uint64_t)raw[0] << 24) | ((uint64_t)raw[1] << 16) |
			  ((uint64_t)raw[2] << 8) | raw[3];
		if (a->w[0] & ~fm_field_prefix_mask(FM_F_IP4_SRC, a->plen)) {
			perr(p, t->pos, "non-network bits set in '%s'",
			     tok_text(p, t, b, sizeof(b)));
			return -1;
		}
	}
	return 0;
}

static int addr_side(struct parser *p, const struct addr *a, int src)
{
	if (!a->v6) {
		int f = src ? FM_F_IP4_SRC : FM_F_IP4_DST;
		return lit(p, f, fm_field_prefix_mask(f, a->plen), a->w[0]);
	}
	int hi = src ? FM_F_IP6_SRC_HI : FM_F_IP6_DST_HI;
	int lo = src ? FM_F_IP6_SRC_LO : FM_F_IP6_DST_LO;
	unsigned l0 = a->plen > 64 ? 64 : a->plen, l1 = a->plen > 64 ? a->plen - 64 : 0;
	int n = lit(p, hi, fm_field_prefix_mask(hi, l0), a->w[0]);
	if (l1)
		n = bin(p, FM_AST_AND, n, lit(p, lo, fm_field_prefix_mask(lo, l1), a->w[1]));
	return n;
}

static int parse_hostnet(struct parser *p, enum dir d, int is_net)
{
	char b[80];
	if (expect_word(p, is_net ? "ADDR/LEN" : "an address", is_net ? "net" : "host"))
		return -1;
	struct tok *t = cur(p);
	struct addr a;
	if (parse_addr(p, t, tok_text(p, t, b, sizeof(b)), &a, is_net))
		return -1;
	p->i++;
	int e = eth(p, a.v6 ? FM_ETH_IPV6 : FM_ETH_IPV4);
	int sides = dir_combine(p, d, d == DIR_DST ? 0 : addr_side(p, &a, 1),
				d == DIR_SRC ? 0 : addr_side(p, &a, 0));
	return bin(p, FM_AST_AND, e, sides);
}

/* OR of prefix blocks covering [lo, hi] on a port field. */
static int range_side(struct parser *p, int field, unsigned lo, unsigned hi)
{
	int acc = -1;
	unsigned long x = lo;
	while (x <= hi) {
		unsigned len = 16;
		/* largest aligned block starting at x that fits in [x, hi] */
		while (len > 0) {
			unsigned long size = 1ul << (16 - (len - 1));
			if ((x & (size - 1)) || x + size - 1 > hi)
				break;
			len--;
		}
		int n = lit(p, field, fm_field_prefix_mask(field, len), x);
		acc = acc < 0 ? n : bin(p, FM_AST_OR, acc, n);
		x += 1ul << (16 - len);
	}
	return acc;
}

static int port_num(struct parser *p, const struct tok *t, const char *s, size_t n, unsigned *out)
{
	char b[64];
	unsigned long v;
	if (parse_num(s, n, &v)) {
		perr(p, t->pos, "invalid port number '%s'", tok_text(p, t, b, sizeof(b)));
		return -1;
	}
	if (v > 65535) {
		perr(p, t->pos, "port %lu out of range (0-65535)", v);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int parse_port(struct parser *p, enum dir d, int range, const unsigned *protos, int np)
{
	char b[64];
	if (expect_word(p, range ? "A-B" : "a port number", range ? "portrange" : "port"))
		return -1;
	struct tok *t = cur(p);
	const char *s = p->s + t->pos;
	unsigned lo, hi;
	if (range) {
		const char *dash = memchr(s, '-', (size_t)t->len);
		if (!dash || dash == s || dash == s + t->len - 1) {
			perr(p, t->pos, "expected A-B after 'portrange', got '%s'",
			     tok_text(p, t, b, sizeof(b)));
			return -1;
		}
		if (port_num(p, t, s, (size_t)(dash - s), &lo) ||
		    port_num(p, t, dash + 1, (size_t)(s + t->len - dash - 1), &hi))
			return -1;
		if (lo > hi) {
			perr(p, t->pos, "empty port range %s", tok_text(p, t, b, sizeof(b)));
			return -1;
		}
	} else {
		if (port_num(p, t, s, (size_t)t->len, &lo))
			return -1;
		hi = lo;
	}
	p->i++;
	int pr = -1;
	for (int k = 0; k < np; k++) {
		int n = proto_lit(p, protos[k]);
		pr = pr < 0 ? n : bin(p, FM_AST_OR, pr, n);
	}
	int src = d == DIR_DST ? 0 : range_side(p, FM_F_SPORT, lo, hi);
	int dst = d == DIR_SRC ? 0 : range_side(p, FM_F_DPORT, lo, hi);
	return bin(p, FM_AST_AND, pr, dir_combine(p, d, src, dst));
}

/* [DIR] (host|net|port|portrange) ..., optionally restricted to one L4 protocol. */
static int parse_dir_prim(struct parser *p, const unsigned *protos, int np, const char *qual)
{
	char b[64];
	enum dir d = DIR_OR;
	const char *after = qual;
	if (tok_is(p, cur(p), "src") || tok_is(p, cur(p), "dst")) {
		int src = tok_is(p, cur(p), "src");
		after = src ? "src" : "dst";
		d = src ? DIR_SRC : DIR_DST;
		p->i++;
		struct tok *t = cur(p), *t2 = peek(p, 1);
		if (src && (t->type == T_OR || t->type == T_AND) && tok_is(p, t2, "dst")) {
			d = t->type == T_OR ? DIR_OR : DIR_AND;
			after = "dst";
			p->i += 2;
		}
	}
	struct tok *t = cur(p);
	int only_ports = qual != NULL;
	if (!only_ports && tok_is(p, t, "host")) {
		p->i++;
		return parse_hostnet(p, d, 0);
	}
	if (!only_ports && tok_is(p, t, "net")) {
		p->i++;
		return parse_hostnet(p, d, 1);
	}
	if (tok_is(p, t, "port") || tok_is(p, t, "portrange")) {
		int range = tok_is(p, t, "portrange");
		p->i++;
		return parse_port(p, d, range, protos, np);
	}
	const char *what =
	    only_ports ? "'port' or 'portrange'" : "'host', 'net', 'port' or 'portrange'";
	if (t->type == T_END)
		perr(p, t->pos, "unexpected end of expression, expected %s after '%s'", what,
		     after);
	else
		perr(p, t->pos, "expected %s after '%s', got '%s'", what, after,
		     tok_text(p, t, b, sizeof(b)));
	return -1;
}

static int parse_prim(struct parser *p)
{
	static const unsigned all_l4[] = {FM_PROTO_TCP, FM_PROTO_UDP, FM_PROTO_SCTP};
	char b[64];
	struct tok *t = cur(p);
	if (tok_is(p, t, "ip") || tok_is(p, t, "ip6")) {
		int v6 = tok_is(p, t, "ip6");
		p->i++;
		int e = eth(p, v6 ? FM_ETH_IPV6 : FM_ETH_IPV4);
		if (!tok_is(p, cur(p), "proto"))
			return e;
		p->i++;
		unsigned pr;
		if (parse_proto_name(p, &pr))
			return -1;
		return bin(p, FM_AST_AND, e, proto_lit(p, pr));
	}
	if (tok_is(p, t, "arp")) {
		p->i++;
		return eth(p, FM_ETH_ARP);
	}
	if (tok_is(p, t, "vlan")) {
		p->i++;
		struct tok *n = cur(p);
		if (n->type == T_WORD && isdigit((unsigned char)p->s[n->pos])) {
			unsigned long v;
			if (parse_num(p->s + n->pos, (size_t)n->len, &v) || v > 4095) {
				perr(p, n->pos, "vlan id %s out of range (0-4095)",
				     tok_text(p, n, b, sizeof(b)));
				return -1;
			}
			p->i++;
			return lit(p, FM_F_VLAN, 0x1fff, FM_VLAN_PRESENT | v);
		}
		return lit(p, FM_F_VLAN, FM_VLAN_PRESENT, FM_VLAN_PRESENT);
	}
	if (tok_is(p, t, "tcp") || tok_is(p, t, "udp") || tok_is(p, t, "sctp")) {
		unsigned pr = tok_is(p, t, "tcp")   ? FM_PROTO_TCP
			      : tok_is(p, t, "udp") ? FM_PROTO_UDP
						    : FM_PROTO_SCTP;
		const char *q = tok_is(p, t, "tcp") ? "tcp" : tok_is(p, t, "udp") ? "udp" : "sctp";
		p->i++;
		struct tok *n = cur(p);
		if (tok_is(p, n, "src") || tok_is(p, n, "dst") || tok_is(p, n, "port") ||
		    tok_is(p, n, "portrange"))
			return parse_dir_prim(p, &pr, 1, q);
		return proto_lit(p, pr);
	}
	if (tok_is(p, t, "icmp") || tok_is(p, t, "icmp6")) {
		int v6 = tok_is(p, t, "icmp6");
		p->i++;
		return bin(p, FM_AST_AND, eth(p, v6 ? FM_ETH_IPV6 : FM_ETH_IPV4),
			   proto_lit(p, v6 ? FM_PROTO_ICMP6 : FM_PROTO_ICMP));
	}
	if (tok_is(p, t, "proto")) {
		p->i++;
		unsigned pr;
		if (parse_proto_name(p, &pr))
			return -1;
		int e = bin(p, FM_AST_OR, eth(p, FM_ETH_IPV4), eth(p, FM_ETH_IPV6));
		return bin(p, FM_AST_AND, e, proto_lit(p, pr));
	}
	if (tok_is(p, t, "src") || tok_is(p, t, "dst") || tok_is(p, t, "host") ||
	    tok_is(p, t, "net") || tok_is(p, t, "port") || tok_is(p, t, "portrange"))
		return parse_dir_prim(p, all_l4, 3, NULL);
	perr(p, t->pos, "unknown keyword '%s'", tok_text(p, t, b, sizeof(b)));
	return -1;
}

static int parse_or(struct parser *p);

static int parse_unary(struct parser *p)
{
	char b[64];
	struct tok *t = cur(p);
	if (p->depth >= MAX_DEPTH) {
		perr(p, t->pos, "nesting too deep (more than %d levels)", MAX_DEPTH);
		return -1;
	}
	switch (t->type) {
	case T_NOT: {
		p->i++;
		p->depth++;
		int a = parse_unary(p);
		p->depth--;
		return a < 0 ? -1 : new_node(p, FM_AST_NOT, a, -1);
	}
	case T_LPAREN: {
		int open = t->pos;
		p->i++;
		p->depth++;
		int a = parse_or(p);
		p->depth--;
		if (a < 0)
			return -1;
		if (cur(p)->type != T_RPAREN) {
			perr(p, cur(p)->pos, "expected ')' to close '(' at %d", open + 1);
			return -1;
		}
		p->i++;
		return a;
	}
	case T_END:
		perr(p, t->pos, "unexpected end of expression, expected a primitive");
		return -1;
	case T_WORD:
		return parse_prim(p);
	default:
		perr(p, t->pos, "unexpected '%s', expected a primitive",
		     tok_text(p, t, b, sizeof(b)));
		return -1;
	}
}

static int parse_and(struct parser *p)
{
	int a = parse_unary(p);
	while (a >= 0 && cur(p)->type == T_AND) {
		p->i++;
		a = bin(p, FM_AST_AND, a, parse_unary(p));
	}
	return a;
}

static int parse_or(struct parser *p)
{
	int a = parse_and(p);
	while (a >= 0 && cur(p)->type == T_OR) {
		p->i++;
		a = bin(p, FM_AST_OR, a, parse_and(p));
	}
	return a;
}

int fm_filter_parse(const char *expr, struct fm_filter **out, char *err, size_t errlen)
{
	struct parser *p = calloc(1, sizeof(*p));
	struct fm_filter *f = calloc(1, sizeof(*f));
	int rc = -ENOMEM;
	if (err && errlen)
		err[0] = 0;
	if (!p || !f)
		goto fail;
	p->s = expr ? expr : "";
	p->err = err;
	p->errlen = errlen;
	f->text = strdup(p->s);
	if (!f->text)
		goto fail;
	if (tokenize(p)) {
		rc = p->rc;
		goto fail;
	}
	if (cur(p)->type == T_END) {
		p->root = new_node(p, FM_AST_TRUE, -1, -1);
	} else {
		p->root = parse_or(p);
		if (p->root >= 0 && cur(p)->type != T_END) {
			char b[64];
			struct tok *t = cur(p);
			if (t->type == T_RPAREN)
				perr(p, t->pos, "unexpected ')'");
			else
				perr(
				    p, t->pos,
				    "unexpected '%s' after expression, expected 'and', 'or' or end",
				    tok_text(p, t, b, sizeof(b)));
		}
	}
	if (p->rc || p->root < 0) {
		rc = p->rc ? p->rc : -EINVAL;
		goto fail;
	}
	rc = fm_filter_dnf_build(f, p->ast, p->root);
	if (rc == -E2BIG) {
		fm_err_set(err, errlen,
			   "at 1: expression too complex (more than %d terms or %d literals per "
			   "term in normal form)",
			   FM_FILTER_MAX_CONJ, FM_FILTER_MAX_LITS);
		goto fail;
	}
	if (rc)
		goto fail;
	f->ast = p->ast;
	f->nb_ast = p->nb_ast;
	f->root = p->root;
	free(p);
	*out = f;
	return 0;
fail:
	if (rc == -ENOMEM && err && errlen && !err[0])
		fm_err_set(err, errlen, "out of memory");
	if (p)
		free(p->ast);
	free(p);
	fm_filter_destroy(f);
	return rc;
}

void fm_filter_destroy(struct fm_filter *f)
{
	if (!f)
		return;
	free(f->text);
	free(f->ast);
	free(f->lits);
	free(f->conj);
	free(f);
}

static bool ast_eval(const struct fm_ast *ast, int n, const uint64_t *v)
{
	const struct fm_ast *a = &ast[n];
	switch (a->op) {
	case FM_AST_TRUE:
		return true;
	case FM_AST_LIT:
		return (((v[a->lit.field] & a->lit.mask) == a->lit.value) ^ a->lit.neg) != 0;
	case FM_AST_NOT:
		return !ast_eval(ast, a->a, v);
	case FM_AST_AND:
		return ast_eval(ast, a->a, v) && ast_eval(ast, a->b, v);
	default:
		return ast_eval(ast, a->a, v) || ast_eval(ast, a->b, v);
	}
}

bool fm_filter_match_fields(const struct fm_filter *f, const uint64_t *vals)
{
	return ast_eval(f->ast, f->root, vals);
}

bool fm_filter_match(const struct fm_filter *f, const struct fm_pkt *pkt)
{
	uint64_t v[FM_F_COUNT];
	fm_pkt_fields(pkt, v);
	return fm_filter_match_fields(f, v);
}
