/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ids_rules.h — the rules of the ids VNF: a subset of the Suricata rule language, parsed into an
 * array of rules that ids_engine.h compiles. Pure C, no DPDK.
 *
 * What: the subset is chosen so that the SAME rules file can be given to Suricata (for the
 * benchmark) and means the same thing there. One rule per line; blank lines and lines whose
 * first non-blank character is '#' are skipped; a trailing '\r' is ignored (CRLF files):
 *
 *	alert tcp any any -> any any (msg:"attack word"; content:"ATTACK"; sid:1; rev:1;)
 *	drop tcp any any <> any 80 (msg:"hex"; content:"|41 54|TACK"; nocase; sid:2;)
 *
 *  - action: alert (report) or drop (the ids VNF closes the connection);
 *  - protocol: tcp, udp or ip (any IP protocol);
 *  - addresses: only `any`. Anything else (CIDR, lists, $HOME_NET) is refused with an error
 *    rather than ignored, since ignoring it would make a rule match more than in Suricata;
 *  - ports: `any` (stored as 0) or one decimal port 1..65535; lists, ranges, negations and
 *    variables are refused;
 *  - direction: `->` (source to destination) or `<>` (either way);
 *  - options, each `name:value;` or `name;`, the last one also ending with ';' before ')':
 *    msg:"text" (at most once), content:"bytes" (exactly once), nocase (after the content it
 *    modifies, at most once), sid:N (required, 1..4294967295, unique in the set), rev:N (at most
 *    once, default 0); classtype, metadata and reference are accepted and ignored. Any other
 *    option (depth, offset, flow, pcre, a negated content, ...) is refused: silently dropping
 *    it would change what the rule matches.
 *  - strings (msg and content) are double-quoted; inside them `\"`, `\;` and `\\` stand for
 *    the character after the backslash, any other backslash sequence and a bare ';' are errors
 *    (as in Suricata). In content, `|..|` encloses hex bytes, pairs of hex digits optionally
 *    separated by spaces (|41 54|, |4154|, |0d 0A|); `|` is literal in msg.
 *  - rules span one line (no trailing-backslash continuation) and nothing may follow ')'.
 *
 * Errors: every malformed line makes ids_rules_parse() return -EINVAL with one message
 * "line N: problem" (N counts from 1, blank and comment lines included) for the first bad line;
 * the set is then empty. -ENOMEM on allocation failure.
 *
 * Design: the set is a plain array in file order; rule i's index is what ids_engine.h reports
 * on a match. Each rule owns its msg and content (heap); ids_rules_uninit() frees them.
 *
 * Concurrency: a parsed set is immutable; readers may share it freely. Parsing is control-path
 * (allocates), never per packet.
 */
#ifndef IDS_RULES_H
#define IDS_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ids_action {
	IDS_ACTION_ALERT = 0, /* report the match */
	IDS_ACTION_DROP = 1,  /* report the match and close the connection */
};

enum ids_proto {
	IDS_PROTO_IP = 0, /* any IP protocol */
	IDS_PROTO_TCP = 1,
	IDS_PROTO_UDP = 2,
};

enum ids_dir {
	IDS_DIR_TO = 0,	  /* "->": source address/port to destination address/port */
	IDS_DIR_BOTH = 1, /* "<>": either way */
};

struct ids_rule {
	uint8_t *content;     /* content_len bytes after unescaping (may hold NULs), then a NUL */
	char *msg;	      /* NUL-terminated; "" when the rule has no msg */
	uint32_t content_len; /* >= 1 */
	uint32_t sid;	      /* >= 1, unique in the set */
	uint32_t rev;	      /* 0 when absent */
	uint32_t line;	      /* line of the rule in the text, from 1 */
	uint16_t src_port;    /* host order; 0 = any */
	uint16_t dst_port;    /* host order; 0 = any */
	uint8_t action;	      /* enum ids_action */
	uint8_t proto;	      /* enum ids_proto */
	uint8_t dir;	      /* enum ids_dir */
	bool nocase;	      /* content matches case-insensitively (ASCII letters) */
};

struct ids_rules {
	struct ids_rule *rule; /* count rules in file order; NULL when count is 0 */
	uint32_t count;
};

/*
 * Parses the NUL-terminated text into set (overwritten; it need not be initialised). 0 on
 * success (an empty text or one with only comments gives count 0); -EINVAL with "line N:
 * problem" in err, or -ENOMEM with "out of memory", and set empty on failure. err may be NULL;
 * the message is truncated to errlen. Release the set with ids_rules_uninit().
 */
int ids_rules_parse(const char *text, struct ids_rules *set, char *err, size_t errlen);

/*
 * ids_rules_parse() of the file at path. Messages are prefixed with the path
 * ("PATH: line N: problem"); -errno of open/read errors ("PATH: cannot read: reason").
 */
int ids_rules_load(const char *path, struct ids_rules *set, char *err, size_t errlen);

/* Frees what the set owns and empties it. Safe on an empty or failed set. */
void ids_rules_uninit(struct ids_rules *set);

/*
 * True when rule r applies to a packet or stream direction of IP protocol ip_proto (IPPROTO_*)
 * from port sport to port dport (host order): the protocol matches (ip matches any) and the
 * ports match in the rule's direction, or in either one for "<>". Addresses are always `any`.
 */
bool ids_rule_is_for_flow(const struct ids_rule *r, uint8_t ip_proto, uint16_t sport,
			  uint16_t dport);

#endif /* IDS_RULES_H */
