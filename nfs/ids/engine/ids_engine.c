/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ids_engine.c — streaming multi-literal matcher on Hyperscan (see ids_engine.h for the
 * contract).
 *
 * Design: the caller's state is a struct ids_stream_hdr followed by the Hyperscan stream in
 * compressed form. Every call expands it into the engine's one working stream, works on that,
 * and (scan) compresses it back, so no Hyperscan stream is ever allocated per connection.
 * Matcher offsets count from the last (re)start of the matcher; hdr.base turns them into
 * stream offsets. The database is compiled with hs_compile_multi(), HS_MODE_STREAM, each
 * content rendered as an expression that matches exactly its bytes (content_expr()), without
 * HS_FLAG_SINGLEMATCH so that every occurrence is reported.
 *
 * Why not the pure-literal API (hs_compile_lit_multi): in Hyperscan 5.4.0 its runtime
 * (roseRunProgram_l) lacks instructions its compiler can emit and fails the scan with
 * HS_UNKNOWN_ERROR when it meets one (5.4.1 adds TRIGGER_SUFFIX and CATCH_UP_MPV, upstream issue
 * #303; #353 is the shape we hit). A content ending in a run of 34 or more equal bytes after 3 or
 * more other bytes, beside any other content, is such a case: the run becomes a repeat engine,
 * and the stream fails as soon as it holds the content's first bytes — on valid rules and data,
 * at scan time, where no check at create could see it coming. The full API runs every
 * instruction; it gives the same matches and the same stream sizes (measured for 1 to 40000
 * contents of up to 2000 bytes) and compiles up to ~25% slower.
 *
 * Concurrency: see ids_engine.h — one thread per engine.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "fm_err.h"
#include "ids_engine.h"

/* How contents become a database; part of the tag, as states of two schemes differ in layout. */
#define IDS_DB_SCHEME "hs_compile_multi, \\xHH"

/* hdr.st values; anything else (e.g. zeroed memory) is a state that is not open. */
#define IDS_ST_OPEN    0x1d51
#define IDS_ST_STOPPED 0x1d50

/* Head of a caller's stream state; comp[] holds len bytes of hs_compress_stream() output. */
struct ids_stream_hdr {
	uint64_t base; /* stream offset of matcher offset 0 */
	uint64_t next; /* stream offset of the next contiguous byte */
	uint32_t tag;  /* ids_engine.tag of the engine that opened it */
	uint16_t st;   /* IDS_ST_OPEN or IDS_ST_STOPPED */
	uint16_t len;  /* bytes used in comp[] */
	char comp[];
};

static_assert(sizeof(struct ids_stream_hdr) == 24, "ids stream header layout");
static_assert(IDS_STREAM_MAX ==
		  (sizeof(struct ids_stream_hdr) + UINT16_MAX + IDS_STREAM_ALIGN - 1) /
		      IDS_STREAM_ALIGN * IDS_STREAM_ALIGN,
	      "IDS_STREAM_MAX");

struct ids_engine {
	hs_database_t *db; /* NULL for an empty rule set */
	hs_scratch_t *scratch;
	hs_stream_t *work; /* every call expands the caller's state into this stream */
	size_t state_size; /* ids_engine_stream_size() */
	uint32_t nrules;
	uint32_t tag;	    /* fingerprint of the contents, flags and Hyperscan version */
	uint16_t comp_cap;  /* room for compressed state in a caller's state */
	uint16_t fresh_len; /* bytes of fresh[] */
	char fresh[];	    /* compressed image of a new stream (comp_cap bytes) */
};

/* What the Hyperscan callback needs to call the caller's. */
struct ids_scan_ctx {
	ids_match_cb *cb;
	void *ctx;
	uint64_t base;
	int stopped;
};

static uint32_t fnv1a(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
}

/* Tag of the database the rules compile to: states of equal tags are interchangeable. */
static uint32_t rules_tag(const struct ids_rules *rules)
{
	const char *ver = hs_version();
	uint32_t h = fnv1a(2166136261u, ver, strlen(ver));

	h = fnv1a(h, IDS_DB_SCHEME, sizeof(IDS_DB_SCHEME));
	h = fnv1a(h, &rules->count, sizeof(rules->count));
	for (uint32_t i = 0; i < rules->count; i++) {
		const struct ids_rule *r = &rules->rule[i];
		uint8_t nocase = r->nocase;

		h = fnv1a(h, &r->content_len, sizeof(r->content_len));
		h = fnv1a(h, &nocase, 1);
		h = fnv1a(h, r->content, r->content_len);
	}
	return h;
}

/*
 * Writes into out (4 * len + 1 bytes) an expression matching exactly the len bytes of content:
 * letters and digits as themselves, every other byte as \xHH (exactly two hex digits, so a digit
 * after it stays a literal; NUL and bytes >= 0x80 included), then a NUL. Returns the byte
 * after the NUL.
 */
static char *content_expr(const uint8_t *content, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		uint8_t c = content[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			*out++ = (char)c;
		} else {
			*out++ = '\\';
			*out++ = 'x';
			*out++ = hex[c >> 4];
			*out++ = hex[c & 0xf];
		}
	}
	*out = '\0';
	return out + 1;
}

/* Expressions of every content, in one allocation (*buf) that expr[] points into. */
static int render_exprs(const struct ids_rules *rules, const char **expr, char **buf)
{
	size_t total = 0;
	char *p;

	for (uint32_t i = 0; i < rules->count; i++) {
		size_t len = rules->rule[i].content_len;

		if (len > (SIZE_MAX - total - 1) / 4)
			return -ENOMEM;
		total += 4 * len + 1;
	}
	*buf = p = malloc(total);
	if (p == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < rules->count; i++) {
		expr[i] = p;
		p = content_expr(rules->rule[i].content, rules->rule[i].content_len, p);
	}
	return 0;
}

/* hs_compile_multi() of every content's expression; rule i has id i. */
static int compile_rules(const struct ids_rules *rules, hs_database_t **db, char *err,
			 size_t errlen)
{
	uint32_t n = rules->count;
	const char **expr = calloc(n, sizeof(*expr));
	unsigned int *flags = calloc(n, sizeof(*flags));
	unsigned int *ids = calloc(n, sizeof(*ids));
	hs_compile_error_t *ce = NULL;
	char *buf = NULL;
	int rc = 0;

	if (expr == NULL || flags == NULL || ids == NULL || render_exprs(rules, expr, &buf)) {
		fm_err_set(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out_free;
	}
	for (uint32_t i = 0; i < n; i++) {
		flags[i] = rules->rule[i].nocase ? HS_FLAG_CASELESS : 0;
		ids[i] = i;
	}
	if (hs_compile_multi(expr, flags, ids, n, HS_MODE_STREAM, NULL, db, &ce) != HS_SUCCESS) {
		if (ce != NULL && ce->expression >= 0 && (uint32_t)ce->expression < n) {
			const struct ids_rule *r = &rules->rule[ce->expression];

			fm_err_set(err, errlen, "rule sid %u (line %u): %s", r->sid, r->line,
				   ce->message);
			rc = -EINVAL;
		} else {
			fm_err_set(err, errlen, "Hyperscan: %s",
				   ce ? ce->message : "compile failed");
			/* the only whole-database failure a valid literal set can hit */
			rc = ce && strstr(ce->message, "memory") ? -ENOMEM : -EINVAL;
		}
		hs_free_compile_error(ce);
		*db = NULL;
	}
out_free:
	free(buf);
	free(expr);
	free(flags);
	free(ids);
	return rc;
}

/* Scratch, working stream and fresh image of an engine whose db is set. */
static int engine_prepare(struct ids_engine *eng, char *err, size_t errlen)
{
	size_t used;

	if (hs_alloc_scratch(eng->db, &eng->scratch) != HS_SUCCESS ||
	    hs_open_stream(eng->db, 0, &eng->work) != HS_SUCCESS) {
		fm_err_set(err, errlen, "out of memory (Hyperscan scratch or stream)");
		return -ENOMEM;
	}
	if (hs_compress_stream(eng->work, eng->fresh, eng->comp_cap, &used) != HS_SUCCESS) {
		fm_err_set(err, errlen, "Hyperscan: cannot compress a new stream (%zu bytes)",
			   used);
		return -E2BIG;
	}
	eng->fresh_len = (uint16_t)used;
	return 0;
}

int ids_engine_create(const struct ids_rules *rules, struct ids_engine **out, char *err,
		      size_t errlen)
{
	hs_database_t *db = NULL;
	struct ids_engine *eng;
	size_t ss = 0;
	int rc;

	*out = NULL;
	if (hs_valid_platform() != HS_SUCCESS) {
		fm_err_set(err, errlen, "Hyperscan needs a CPU with SSSE3");
		return -ENOTSUP;
	}
	if (rules->count > 0) {
		if ((rc = compile_rules(rules, &db, err, errlen)))
			return rc;
		if (hs_stream_size(db, &ss) != HS_SUCCESS || ss > UINT16_MAX) {
			fm_err_set(err, errlen, "stream state too large (%zu bytes, at most %u)",
				   ss, UINT16_MAX);
			hs_free_database(db);
			return -E2BIG;
		}
	}
	eng = calloc(1, sizeof(*eng) + ss);
	if (eng == NULL) {
		fm_err_set(err, errlen, "out of memory");
		hs_free_database(db);
		return -ENOMEM;
	}
	eng->db = db;
	eng->nrules = rules->count;
	eng->tag = rules_tag(rules);
	eng->comp_cap = (uint16_t)ss;
	eng->state_size = (sizeof(struct ids_stream_hdr) + ss + IDS_STREAM_ALIGN - 1) &
			  ~(size_t)(IDS_STREAM_ALIGN - 1);
	if (db != NULL && (rc = engine_prepare(eng, err, errlen))) {
		ids_engine_destroy(eng);
		return rc;
	}
	*out = eng;
	return 0;
}

void ids_engine_destroy(struct ids_engine *eng)
{
	if (eng == NULL)
		return;
	if (eng->work != NULL)
		hs_close_stream(eng->work, NULL, NULL, NULL);
	hs_free_scratch(eng->scratch);
	hs_free_database(eng->db);
	free(eng);
}

size_t ids_engine_stream_size(const struct ids_engine *eng)
{
	return eng->state_size;
}

uint32_t ids_engine_rule_count(const struct ids_engine *eng)
{
	return eng->nrules;
}

void ids_stream_open(const struct ids_engine *eng, void *state)
{
	struct ids_stream_hdr *h = state;

	h->base = 0;
	h->next = 0;
	h->tag = eng->tag;
	h->st = IDS_ST_OPEN;
	h->len = eng->fresh_len;
	memcpy(h->comp, eng->fresh, eng->fresh_len);
}

uint64_t ids_stream_offset(const void *state)
{
	const struct ids_stream_hdr *h = state;

	return h->next;
}

/* 0 for an open state of this engine, 1 for a stopped one, -EINVAL or -ESTALE. */
static int stream_check(const struct ids_engine *eng, const struct ids_stream_hdr *h)
{
	if (h->st != IDS_ST_OPEN && h->st != IDS_ST_STOPPED)
		return -EINVAL;
	if (h->tag != eng->tag)
		return -ESTALE;
	if (h->len > eng->comp_cap)
		return -EINVAL;
	return h->st == IDS_ST_STOPPED;
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
		    unsigned int flags, void *arg)
{
	struct ids_scan_ctx *sc = arg;

	(void)from;
	(void)flags;
	if (sc->cb(id, sc->base + to, sc->ctx) != 0) {
		sc->stopped = 1;
		return 1;
	}
	return 0;
}

/* Expands the caller's state into the working stream. */
static int stream_load(struct ids_engine *eng, const struct ids_stream_hdr *h)
{
	if (hs_reset_and_expand_stream(eng->work, h->comp, h->len, NULL, NULL, NULL) != HS_SUCCESS)
		return -EIO;
	return 0;
}

/* Scans len bytes through the working stream, in pieces Hyperscan's 32-bit length can take. */
static int stream_feed(struct ids_engine *eng, const uint8_t *data, size_t len,
		       struct ids_scan_ctx *sc)
{
	match_event_handler handler = sc->cb != NULL ? on_match : NULL;

	while (len > 0) {
		unsigned int piece = len > UINT_MAX ? UINT_MAX : (unsigned int)len;
		hs_error_t hr;

		hr = hs_scan_stream(eng->work, (const char *)data, piece, 0, eng->scratch, handler,
				    sc);
		if (sc->stopped)
			return 1;
		if (hr != HS_SUCCESS)
			return -EIO;
		data += piece;
		len -= piece;
	}
	return 0;
}

/* Ends the working stream's matcher (reporting end-of-stream matches) and starts a new one. */
static int stream_restart(struct ids_engine *eng, struct ids_scan_ctx *sc)
{
	match_event_handler handler = sc->cb != NULL ? on_match : NULL;

	if (hs_reset_stream(eng->work, 0, eng->scratch, handler, sc) != HS_SUCCESS)
		return sc->stopped ? 1 : -EIO;
	return sc->stopped ? 1 : 0;
}

/* Scan with a database: load, restart on a gap, feed, store. */
static int stream_scan_db(struct ids_engine *eng, struct ids_stream_hdr *h, const uint8_t *data,
			  size_t len, uint64_t stream_off, struct ids_scan_ctx *sc)
{
	size_t used;
	int rc;

	if ((rc = stream_load(eng, h)))
		return rc;
	if (stream_off != h->next) {
		if ((rc = stream_restart(eng, sc)))
			return rc;
		h->base = sc->base = stream_off;
	}
	if ((rc = stream_feed(eng, data, len, sc)))
		return rc;
	if (hs_compress_stream(eng->work, h->comp, eng->comp_cap, &used) != HS_SUCCESS)
		return -EIO; /* cannot happen: the compressed form never exceeds hs_stream_size() */
	h->len = (uint16_t)used;
	return 0;
}

int ids_stream_scan(struct ids_engine *eng, void *state, const uint8_t *data, size_t len,
		    uint64_t stream_off, ids_match_cb *cb, void *ctx)
{
	struct ids_stream_hdr *h = state;
	struct ids_scan_ctx sc = {.cb = cb, .ctx = ctx, .base = h->base};
	int rc = stream_check(eng, h);

	if (rc)
		return rc;
	if (stream_off < h->next || len > UINT64_MAX - stream_off)
		return -ERANGE;
	if (len == 0 && stream_off == h->next)
		return 0;
	if (eng->db == NULL) {
		h->base = stream_off;
	} else if ((rc = stream_scan_db(eng, h, data, len, stream_off, &sc))) {
		h->st = IDS_ST_STOPPED; /* stopped by cb (1) or broken (-EIO) */
		return rc;
	}
	h->next = stream_off + len;
	return 0;
}

int ids_stream_close(struct ids_engine *eng, void *state, ids_match_cb *cb, void *ctx)
{
	struct ids_stream_hdr *h = state;
	struct ids_scan_ctx sc = {.cb = cb, .ctx = ctx, .base = h->base};
	int rc = stream_check(eng, h);

	if (rc < 0)
		return rc;
	if (rc == 0 && eng->db != NULL) {
		rc = stream_load(eng, h);
		if (rc == 0)
			rc = stream_restart(eng, &sc);
	} else {
		rc = 0;
	}
	h->st = 0;
	return rc;
}
