/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hf_rules.h — the rules of the httpfilter VNF: which HTTP requests to block, by Host and by
 * request target (URL), and what to do with them.
 *
 * Syntax, one rule per line of a file or per --rule option ('#' starts a comment line):
 *
 *	ACTION FIELD PATTERN
 *	ACTION  allow | block | 403 | close   (block = the VNF's --action, 403 by default)
 *	FIELD   host        PATTERN is a glob (fnmatch: * ? [...]) over the lower-cased host,
 *	                    without port and trailing dot; matched case-insensitively
 *	        host-regex  PATTERN is a regular expression (Hyperscan syntax, caseless), searched
 *	                    in the host (anchor it with ^...$ for a whole match)
 *	        url         a glob over the whole request target ("/path?query"); * matches '/'
 *	        url-prefix  the target starts with PATTERN (byte-exact)
 *	        url-regex   a regular expression searched in the target
 *
 * Rules are tried in order; the first that matches decides (so `allow` rules before `block`
 * rules make exceptions); a request no rule matches is allowed. At most HF_RULES_MAX rules of at
 * most HF_PAT_MAX - 1 bytes each.
 *
 * Design: globs and prefixes are compared directly (fnmatch() does not allocate in the C locale);
 * the regexes of each field are compiled into one Hyperscan block-mode database (single-match,
 * id = rule index) scanned once per request head, with one scratch allocated at compile time.
 * Cost per request: one scan per field with regexes, plus one comparison per glob/prefix rule.
 *
 * Concurrency: hf_rules_match() uses the one scratch: one thread at a time. Loading and compiling
 * are control path.
 */
#ifndef HF_RULES_H
#define HF_RULES_H

#include <stddef.h>
#include <stdint.h>

#define HF_RULES_MAX 64
#define HF_PAT_MAX   256

enum hf_action { HF_ACT_ALLOW = 0, HF_ACT_403, HF_ACT_CLOSE };
enum hf_field { HF_F_HOST = 0, HF_F_URL };
enum hf_kind { HF_K_GLOB = 0, HF_K_PREFIX, HF_K_REGEX };

struct hf_rule {
	uint8_t action; /* enum hf_action */
	uint8_t field;	/* enum hf_field */
	uint8_t kind;	/* enum hf_kind */
	uint32_t line;	/* line in the file (0: from the command line) */
	uint16_t len;	/* pattern length */
	char pat[HF_PAT_MAX];
};

struct hf_rules {
	uint32_t count;
	struct hf_rule rule[HF_RULES_MAX];
	void *db[2];   /* hs_database_t per field, NULL without regexes */
	void *scratch; /* hs_scratch_t */
};

/** Empty rule set. */
void hf_rules_init(struct hf_rules *r);

/** Frees the compiled databases (the rules stay). */
void hf_rules_uninit(struct hf_rules *r);

/**
 * Parses one rule (syntax above) and appends it; `block` becomes block_action. line: for
 * messages. 0, or -EINVAL / -E2BIG with the reason in err.
 */
int hf_rules_add(struct hf_rules *r, const char *text, enum hf_action block_action, uint32_t line,
		 char *err, size_t errlen);

/** Adds every rule of a file ("FILE: line N: reason" in err on a bad one). 0 or -errno. */
int hf_rules_load(struct hf_rules *r, const char *path, enum hf_action block_action, char *err,
		  size_t errlen);

/** Compiles the regexes (call once after adding). 0, or -EINVAL with Hyperscan's reason. */
int hf_rules_compile(struct hf_rules *r, char *err, size_t errlen);

/** Index of the first rule matching the request, or -1. Strings need not be NUL-terminated. */
int hf_rules_match(const struct hf_rules *r, const char *host, size_t host_len, const char *url,
		   size_t url_len);

/**
 * The decision as far as it is known at the end of a request line: the index of the first rule
 * that matches when every rule before it could be evaluated (URL rules; host rules too when
 * host != NULL), -1 if no rule can match whatever the host, HF_UNDECIDED if a host rule comes
 * first and the host is not known yet. Agrees with hf_rules_match() on the complete request.
 */
#define HF_UNDECIDED (-2)
int hf_rules_match_line(const struct hf_rules *r, const char *url, size_t url_len, const char *host,
			size_t host_len);

/** "allow", "403", "close". */
const char *hf_action_name(enum hf_action a);

#endif /* HF_RULES_H */
