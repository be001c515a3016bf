/* SPDX-License-Identifier: BSD-3-Clause */
/* hf_rules.c — httpfilter rules: parsing, Hyperscan compile, first-match; see hf_rules.h. */
#include "hf_rules.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <hs.h>

static const char *const field_names[] = {"host", "host-regex", "url", "url-prefix", "url-regex"};
static const uint8_t field_of[] = {HF_F_HOST, HF_F_HOST, HF_F_URL, HF_F_URL, HF_F_URL};
static const uint8_t kind_of[] = {HF_K_GLOB, HF_K_REGEX, HF_K_GLOB, HF_K_PREFIX, HF_K_REGEX};

void hf_rules_init(struct hf_rules *r)
{
	memset(r, 0, sizeof(*r));
}

void hf_rules_uninit(struct hf_rules *r)
{
	hs_free_scratch(r->scratch);
	hs_free_database(r->db[0]);
	hs_free_database(r->db[1]);
	r->scratch = r->db[0] = r->db[1] = NULL;
}

const char *hf_action_name(enum hf_action a)
{
	return a == HF_ACT_ALLOW ? "allow" : a == HF_ACT_403 ? "403" : "close";
}

/* Next white-space-separated word of *p (in place; NUL-terminates it), or NULL. */
static char *word(char **p)
{
	char *s = *p, *w;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0')
		return NULL;
	w = s;
	while (*s != '\0' && *s != ' ' && *s != '\t')
		s++;
	if (*s != '\0')
		*s++ = '\0';
	*p = s;
	return w;
}

static int bad(char *err, size_t errlen, uint32_t line, const char *what, int rc)
{
	if (err != NULL && line > 0)
		snprintf(err, errlen, "line %u: %s", line, what);
	else if (err != NULL)
		snprintf(err, errlen, "%s", what);
	return rc;
}

int hf_rules_add(struct hf_rules *r, const char *text, enum hf_action block_action, uint32_t line,
		 char *err, size_t errlen)
{
	char buf[HF_PAT_MAX + 64], *p = buf, *act, *fld, *pat;
	struct hf_rule *ru;
	size_t f, n;

	if (strlen(text) >= sizeof(buf))
		return bad(err, errlen, line, "rule too long", -E2BIG);
	strcpy(buf, text);
	buf[strcspn(buf, "\r\n")] = '\0';
	act = word(&p);
	fld = word(&p);
	pat = word(&p);
	if (act == NULL || fld == NULL || pat == NULL || word(&p) != NULL)
		return bad(err, errlen, line,
			   "expected 'ACTION FIELD PATTERN' (no spaces in PATTERN)", -EINVAL);
	if (r->count == HF_RULES_MAX)
		return bad(err, errlen, line, "too many rules (64 at most)", -E2BIG);
	ru = &r->rule[r->count];
	memset(ru, 0, sizeof(*ru));
	if (strcmp(act, "allow") == 0)
		ru->action = HF_ACT_ALLOW;
	else if (strcmp(act, "block") == 0)
		ru->action = (uint8_t)block_action;
	else if (strcmp(act, "403") == 0)
		ru->action = HF_ACT_403;
	else if (strcmp(act, "close") == 0)
		ru->action = HF_ACT_CLOSE;
	else
		return bad(err, errlen, line, "ACTION is allow, block, 403 or close", -EINVAL);
	for (f = 0; f < sizeof(field_names) / sizeof(field_names[0]); f++)
		if (strcmp(fld, field_names[f]) == 0)
			break;
	if (f == sizeof(field_names) / sizeof(field_names[0]))
		return bad(err, errlen, line,
			   "FIELD is host, host-regex, url, url-prefix or url-regex", -EINVAL);
	n = strlen(pat);
	if (n >= HF_PAT_MAX)
		return bad(err, errlen, line, "pattern too long (255 bytes at most)", -E2BIG);
	ru->field = field_of[f];
	ru->kind = kind_of[f];
	ru->line = line;
	ru->len = (uint16_t)n;
	for (size_t i = 0; i <= n; i++) /* hosts compare lower-cased */
		ru->pat[i] = ru->field == HF_F_HOST && ru->kind == HF_K_GLOB
				 ? (char)tolower((unsigned char)pat[i])
				 : pat[i];
	r->count++;
	return 0;
}

int hf_rules_load(struct hf_rules *r, const char *path, enum hf_action block_action, char *err,
		  size_t errlen)
{
	char line[HF_PAT_MAX + 64], msg[256];
	uint32_t no = 0;
	FILE *f = fopen(path, "r");
	int rc = 0;

	if (f == NULL) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		char *s = line;

		no++;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '#' || *s == '\n' || *s == '\r' || *s == '\0')
			continue;
		rc = hf_rules_add(r, s, block_action, no, msg, sizeof(msg));
		if (rc < 0)
			snprintf(err, errlen, "%s: %s", path, msg);
	}
	fclose(f);
	return rc;
}

/* One block-mode database of the regexes of `field`; *db stays NULL without any. */
static int compile_field(struct hf_rules *r, uint8_t field, char *err, size_t errlen)
{
	const char *expr[HF_RULES_MAX];
	unsigned int flags[HF_RULES_MAX], ids[HF_RULES_MAX], n = 0;
	hs_compile_error_t *ce = NULL;
	hs_database_t *db = NULL;

	for (uint32_t i = 0; i < r->count; i++) {
		if (r->rule[i].field != field || r->rule[i].kind != HF_K_REGEX)
			continue;
		expr[n] = r->rule[i].pat;
		flags[n] = HS_FLAG_SINGLEMATCH | HS_FLAG_DOTALL |
			   (field == HF_F_HOST ? HS_FLAG_CASELESS : 0);
		ids[n++] = i;
	}
	if (n == 0)
		return 0;
	if (hs_compile_multi(expr, flags, ids, n, HS_MODE_BLOCK, NULL, &db, &ce) != HS_SUCCESS) {
		int bad_i = ce != NULL && ce->expression >= 0 ? ce->expression : 0;

		snprintf(err, errlen, "rule %u (line %u): %s", ids[bad_i] + 1,
			 r->rule[ids[bad_i]].line, ce != NULL ? ce->message : "compile error");
		hs_free_compile_error(ce);
		return -EINVAL;
	}
	r->db[field] = db;
	if (hs_alloc_scratch(db, (hs_scratch_t **)&r->scratch) != HS_SUCCESS) {
		snprintf(err, errlen, "cannot allocate Hyperscan scratch");
		return -ENOMEM;
	}
	return 0;
}

int hf_rules_compile(struct hf_rules *r, char *err, size_t errlen)
{
	int rc;

	if (hs_valid_platform() != HS_SUCCESS) {
		snprintf(err, errlen, "Hyperscan does not run on this CPU (needs SSSE3)");
		return -ENOTSUP;
	}
	rc = compile_field(r, HF_F_HOST, err, errlen);
	if (rc == 0)
		rc = compile_field(r, HF_F_URL, err, errlen);
	if (rc < 0)
		hf_rules_uninit(r);
	return rc;
}

static int on_hit(unsigned int id, unsigned long long from, unsigned long long to,
		  unsigned int flags, void *ctx)
{
	(void)from;
	(void)to;
	(void)flags;
	*(uint64_t *)ctx |= 1ull << (id % 64);
	return 0;
}

/* Bit i set: regex rule i matches. */
static uint64_t regex_hits(const struct hf_rules *r, uint8_t field, const char *s, size_t len)
{
	uint64_t hits = 0;

	if (r->db[field] != NULL)
		hs_scan(r->db[field], s, (unsigned int)len, 0, r->scratch, on_hit, &hits);
	return hits;
}

static bool rule_matches(const struct hf_rule *ru, const char *s, size_t len, uint64_t hits,
			 uint32_t idx)
{
	char z[HF_PAT_MAX + 1];

	switch (ru->kind) {
	case HF_K_PREFIX:
		return len >= ru->len && memcmp(s, ru->pat, ru->len) == 0;
	case HF_K_REGEX:
		return (hits >> idx) & 1;
	default:
		if (len > HF_PAT_MAX)
			len = HF_PAT_MAX; /* cannot happen: the scanner keeps at most 256 bytes */
		memcpy(z, s, len);
		z[len] = '\0';
		return fnmatch(ru->pat, z, 0) == 0;
	}
}

int hf_rules_match(const struct hf_rules *r, const char *host, size_t host_len, const char *url,
		   size_t url_len)
{
	uint64_t hits[2] = {regex_hits(r, HF_F_HOST, host, host_len),
			    regex_hits(r, HF_F_URL, url, url_len)};

	for (uint32_t i = 0; i < r->count; i++) {
		const struct hf_rule *ru = &r->rule[i];
		bool host_rule = ru->field == HF_F_HOST;

		if (rule_matches(ru, host_rule ? host : url, host_rule ? host_len : url_len,
				 hits[ru->field], i))
			return (int)i;
	}
	return -1;
}

int hf_rules_match_line(const struct hf_rules *r, const char *url, size_t url_len, const char *host,
			size_t host_len)
{
	uint64_t hits[2] = {host != NULL ? regex_hits(r, HF_F_HOST, host, host_len) : 0,
			    regex_hits(r, HF_F_URL, url, url_len)};

	for (uint32_t i = 0; i < r->count; i++) {
		const struct hf_rule *ru = &r->rule[i];
		bool host_rule = ru->field == HF_F_HOST;

		if (host_rule && host == NULL)
			return HF_UNDECIDED;
		if (rule_matches(ru, host_rule ? host : url, host_rule ? host_len : url_len,
				 hits[ru->field], i))
			return (int)i;
	}
	return -1;
}
