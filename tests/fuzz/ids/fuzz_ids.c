/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Harness of the ids pattern engine (nfs/ids/engine): the input is a rule text, a NUL byte, then
 * a stream. The text goes through ids_rules_parse(); a rule set that parses must be well formed
 * (contents non-empty and terminated, sids unique and non-zero) and, compiled, must report over
 * the stream fed in input-chosen chunks exactly the occurrences a naive search finds: every
 * (rule, end) once, overlapping ones included, nocase as ASCII case folding. A text that does not
 * parse must leave an empty set and a terminated message. Everything is freed (ASan: no leak).
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "ids_engine.h"
#include "ids_rules.h"

#define TEXT_MAX   4096
#define STREAM_MAX 2048
#define RULES_MAX  64 /* rule sets compiled (Hyperscan compiles take milliseconds) */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct reports {
	uint8_t seen[RULES_MAX][STREAM_MAX + 1]; /* seen[rule][end] */
	uint32_t nb_rules;
};

static struct reports rep;

static int on_match(uint32_t rule, uint64_t end, void *ctx)
{
	struct reports *r = ctx;

	FZ_CHECK(rule < r->nb_rules && end <= STREAM_MAX, "report rule %u end %llu", rule,
		 (unsigned long long)end);
	FZ_CHECK(r->seen[rule][end] == 0, "rule %u end %llu reported twice", rule,
		 (unsigned long long)end);
	r->seen[rule][end] = 1;
	return 0;
}

static bool occurs_at(const struct ids_rule *r, const uint8_t *s, size_t end)
{
	const uint8_t *p = s + end - r->content_len;

	for (uint32_t i = 0; i < r->content_len; i++)
		if (r->nocase ? tolower(p[i]) != tolower(r->content[i]) : p[i] != r->content[i])
			return false;
	return true;
}

static void check_rules(const struct ids_rules *set)
{
	for (uint32_t i = 0; i < set->count; i++) {
		const struct ids_rule *r = &set->rule[i];

		FZ_CHECK(r->content != NULL && r->content_len >= 1 &&
			     r->content[r->content_len] == 0,
			 "rule %u content", i);
		FZ_CHECK(r->msg != NULL && r->sid >= 1, "rule %u msg/sid", i);
		for (uint32_t j = 0; j < i; j++)
			FZ_CHECK(set->rule[j].sid != r->sid, "sid %u twice", r->sid);
		(void)ids_rule_is_for_flow(r, 6, 1234, 80);
	}
}

/* Feeds the stream in chunks the input chooses; compares with the naive search. */
static void check_engine(const struct ids_rules *set, struct fz_in *in)
{
	struct ids_engine *eng = NULL;
	char err[256];
	void *state;
	size_t len, off = 0;
	const uint8_t *s;
	int rc;

	rc = ids_engine_create(set, &eng, err, sizeof(err));
	if (rc != 0) {
		FZ_CHECK(rc == -EINVAL || rc == -E2BIG || rc == -ENOMEM, "create rc %d", rc);
		return;
	}
	FZ_CHECK(ids_engine_rule_count(eng) == set->count, "rule count");
	state = aligned_alloc(IDS_STREAM_ALIGN, (ids_engine_stream_size(eng) + 7) & ~(size_t)7);
	FZ_CHECK(state != NULL, "no memory");
	ids_stream_open(eng, state);
	memset(&rep, 0, sizeof(rep));
	rep.nb_rules = set->count;
	len = fz_u16(in) % (STREAM_MAX + 1);
	s = fz_take(in, len, &len);
	while (off < len) {
		size_t chunk = 1 + fz_below(in, 600);

		if (chunk > len - off)
			chunk = len - off;
		rc = ids_stream_scan(eng, state, s + off, chunk, off, on_match, &rep);
		FZ_CHECK(rc == 0, "scan rc %d", rc);
		off += chunk;
		FZ_CHECK(ids_stream_offset(state) == off, "offset");
	}
	FZ_CHECK(ids_stream_close(eng, state, on_match, &rep) == 0, "close");
	for (uint32_t r = 0; r < set->count; r++)
		for (size_t end = 1; end <= len; end++) {
			bool want =
			    end >= set->rule[r].content_len && occurs_at(&set->rule[r], s, end);

			FZ_CHECK(want == rep.seen[r][end], "rule %u (sid %u) at end %zu: %s", r,
				 set->rule[r].sid, end, want ? "missed" : "spurious");
		}
	free(state);
	ids_engine_destroy(eng);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t tlen = nul != NULL ? (size_t)(nul - data) : size;
	struct fz_in in = {data + tlen, size - tlen};
	struct ids_rules set;
	char err[128];
	char *text;
	int rc;

	if (tlen > TEXT_MAX)
		return -1;
	fz_u8(&in); /* the NUL */
	text = fz_strndup(data, tlen);
	if (text == NULL)
		return 0;
	memset(err, 'x', sizeof(err));
	rc = ids_rules_parse(text, &set, err, sizeof(err));
	if (rc == 0) {
		check_rules(&set);
		if (set.count <= RULES_MAX)
			check_engine(&set, &in);
	} else {
		FZ_CHECK(rc == -EINVAL || rc == -ENOMEM, "rc %d", rc);
		FZ_CHECK(set.count == 0 && set.rule == NULL, "set not empty after a failure");
		FZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL, "message unterminated");
	}
	ids_rules_uninit(&set);
	free(text);
	return 0;
}
