/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_filter.h — the traffic-class filter language and session specifications.
 *
 * What: VNFs declare the packets they accept with a tcpdump-like expression; chain edges can add
 * one more. fm_filter_parse() turns the text into
 *   - an expression tree (AST) over atomic terms, evaluated by fm_filter_match(): the reference
 *     semantics, used by tests as the oracle and never on the datapath;
 *   - the same expression in disjunctive normal form (DNF): an OR of conjunctions of literals
 *     `(field & mask) == value` or its negation. The tree synthesis (fm_tree.h) only reads the DNF.
 *
 * Language (keywords are case-sensitive, as in tcpdump):
 *   ip | ip6 | arp | tcp | udp | sctp | icmp | icmp6
 *   ip proto P | ip6 proto P | proto P            P = number 0-255 or tcp/udp/sctp/icmp/icmp6
 *   vlan | vlan N                                  (any tag | outer tag with id N, 0-4095)
 *   [DIR] host ADDR | [DIR] net ADDR/LEN           IPv4 or IPv6; net requires zero host bits
 *   [PROTO] [DIR] port N | [PROTO] [DIR] portrange A-B     PROTO = tcp|udp|sctp (default: any of
 * them) DIR = src | dst | src or dst | src and dst     (default: src or dst) not X | !X | X and Y |
 * X && Y | X or Y | X || Y | ( X ) Precedence: not > and > or (C-like). NOTE: tcpdump gives `and`
 * and `or` equal precedence, left to right; `a or b and c` means a or (b and c) here. The empty
 * string is the always-true filter. `host`/`net` match IPv4/IPv6 packets only (not ARP, unlike
 * tcpdump).
 *
 * Errors: fm_filter_parse() writes "at COL: PROBLEM" (COL is the 1-based column of the offending
 * token, strlen+1 at end of input) into err and returns -EINVAL; -ENOMEM on allocation failure;
 * -E2BIG when the DNF would exceed FM_FILTER_MAX_CONJ conjunctions ("expression too complex").
 *
 * Sessions: fm_session_parse() reads a session specification: "" (stateless), a preset (5tuple,
 * 4tuple, ippair, srcip, dstip) or a comma list of proto, src, dst, sport, dport, vlan, ethertype.
 * Addresses are abstract (src, dst): the tree maps them to IPv4 or IPv6 fields per packet family.
 *
 * Concurrency: a parsed filter is immutable; matching is thread-safe.
 */
#ifndef FM_FILTER_H
#define FM_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fm_field.h"
#include "fm_pkt.h"

#define FM_FILTER_MAX_CONJ 4096 /* DNF size cap */
#define FM_FILTER_MAX_LITS 64	/* literals per conjunction */

/** One literal: ((pkt.field & mask) == value) XOR neg. Masks are prefix masks of the field. */
struct fm_lit {
	uint8_t field; /* enum fm_field */
	uint8_t neg;
	uint64_t mask;
	uint64_t value; /* value & ~mask == 0 */
};

/** One conjunction: lits[first .. first+n) of the filter. n == 0 is "true". */
struct fm_conj {
	uint32_t first;
	uint32_t n;
};

enum fm_ast_op { FM_AST_LIT, FM_AST_AND, FM_AST_OR, FM_AST_NOT, FM_AST_TRUE };

struct fm_ast {
	uint8_t op;
	int a, b; /* operand node indices */
	struct fm_lit lit;
};

struct fm_filter {
	char *text;
	/* expression tree (reference semantics) */
	struct fm_ast *ast;
	int nb_ast;
	int root;
	/* DNF: OR over conj[], each an AND over lits[]; nb_conj == 0 means "false" */
	struct fm_lit *lits;
	uint32_t nb_lits;
	struct fm_conj *conj;
	uint32_t nb_conj;
};

/**
 * Parse a filter. On success *out owns a new filter (fm_filter_destroy()).
 * @return 0, -EINVAL (syntax, message in err), -E2BIG (too complex, message in err), -ENOMEM.
 */
int fm_filter_parse(const char *expr, struct fm_filter **out, char *err, size_t errlen);
void fm_filter_destroy(struct fm_filter *f);

/** Reference evaluation of the expression tree on field values (fm_pkt_fields()). */
bool fm_filter_match_fields(const struct fm_filter *f, const uint64_t *vals);
/** Same on a parsed packet. */
bool fm_filter_match(const struct fm_filter *f, const struct fm_pkt *pkt);
/** Evaluation of the DNF (must equal fm_filter_match_fields; used by tests). */
bool fm_filter_match_dnf(const struct fm_filter *f, const uint64_t *vals);
/** Print the DNF, one conjunction per line. */
void fm_filter_print_dnf(const struct fm_filter *f, FILE *out);

/* Abstract session fields. */
#define FM_S_PROTO     (1u << 0)
#define FM_S_SRC       (1u << 1)
#define FM_S_DST       (1u << 2)
#define FM_S_SPORT     (1u << 3)
#define FM_S_DPORT     (1u << 4)
#define FM_S_VLAN      (1u << 5)
#define FM_S_ETHERTYPE (1u << 6)
#define FM_S_ADDRS     (FM_S_SRC | FM_S_DST)

/* Packet families for mapping abstract session fields to header fields. */
enum fm_family { FM_FAM_ANY = 0, FM_FAM_IPV4, FM_FAM_IPV6, FM_FAM_OTHER };

struct fm_session {
	uint32_t fields; /* FM_S_* ; 0 = stateless */
};

/** Parse a session specification. @return 0 or -EINVAL (message in err). */
int fm_session_parse(const char *spec, struct fm_session *out, char *err, size_t errlen);
/** Header fields (bit i = enum fm_field i) of abstract session fields `s` for a family. */
uint32_t fm_session_header_fields(uint32_t s, enum fm_family fam);
/** Format abstract session fields ("proto,src,dst,sport,dport"). */
void fm_session_format(uint32_t s, char *buf, size_t len);

#endif /* FM_FILTER_H */
