/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Allocation-failure loops (as SQLite's tests do) over the pure libraries: the chain config
 * loader, the filter parser, the classifier tree built from a chain, the ids rule parser and
 * engine. Each operation runs with the Nth allocation failing, for N = 1, 2, ... until a run
 * completes with no failure injected; every failed run must return -ENOMEM with a message, leave
 * its output as the contract says (config unchanged, rule set empty, no filter or tree), and —
 * in the ASan build — leak nothing. The HTTP context and the seq map are allocation-free by
 * contract: a whole stream through them must make no allocation at all.
 *
 * The wrapper: the test links with -Wl,--wrap=malloc,calloc,realloc,strdup, so every call the
 * libraries' objects make goes to __wrap_*() here. What the third-party libraries (libyaml,
 * Hyperscan) allocate inside themselves is not wrapped: their own out-of-memory paths are theirs.
 */
#include <check.h>

#include "fs_check.h"
#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fm_config.h"
#include "fm_filter.h"
#include "fm_seqmap.h"
#include "fm_tree.h"
#include "ids_engine.h"
#include "ids_rules.h"
#include "nfsdk/http.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define FAULT_LEAK_CHECK 1
#endif

/* ---- the wrapper --------------------------------------------------------------------------- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

static bool armed;	     /* count (and maybe fail) calls */
static uint32_t calls;	     /* calls counted since arming */
static uint32_t fail_at;     /* the call that fails (from 1); 0: none */
static uint32_t nb_injected; /* failures injected since arming */

/* Counts one call; true when this one must fail. */
static bool fault_hit(void)
{
	if (!armed)
		return false;
	if (++calls == fail_at) {
		nb_injected++;
		errno = ENOMEM;
		return true;
	}
	return false;
}

void *__wrap_malloc(size_t n)
{
	return fault_hit() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n)
{
	return fault_hit() ? NULL : __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fault_hit() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return fault_hit() ? NULL : __real_strdup(s);
}

static void fault_arm(uint32_t at)
{
	calls = 0;
	fail_at = at;
	nb_injected = 0;
	armed = true;
}

static void fault_disarm(void)
{
	armed = false;
}

static void check_no_leak(const char *what, uint32_t at)
{
#ifdef FAULT_LEAK_CHECK
	ck_assert_msg(__lsan_do_recoverable_leak_check() == 0,
		      "%s: leak with allocation %u failing", what, at);
#else
	(void)what;
	(void)at;
#endif
}

/*
 * The loop: op(at) runs the operation with allocation `at` failing and returns true when a
 * failure was injected and handled. Stops at the first run that needed fewer allocations.
 * Returns the number of allocations of a complete run.
 */
static uint32_t fault_loop(const char *what, bool (*op)(uint32_t at))
{
	bool verbose = getenv("FS_FAULT_VERBOSE") != NULL; /* names each run, to replay one */
	uint32_t at;

	for (at = 1; at < 1000000; at++) {
		if (verbose)
			fprintf(stderr, "%s: allocation %u fails\n", what, at);
		if (!op(at))
			break;
		check_no_leak(what, at);
	}
	check_no_leak(what, 0);
	ck_assert_uint_lt(at, 1000000);
	return at - 1;
}

/* ---- the chain config loader --------------------------------------------------------------- */

static char chain_text[1 << 16]; /* deploy/chains/fig2.yaml */
static size_t chain_len;

static void load_chain_text(void)
{
	FILE *f = fopen(FS_SOURCE_DIR "/deploy/chains/fig2.yaml", "r");

	ck_assert_ptr_nonnull(f);
	chain_len = fread(chain_text, 1, sizeof(chain_text) - 1, f);
	chain_text[chain_len] = '\0';
	fclose(f);
	ck_assert_uint_gt(chain_len, 100);
}

static bool op_config(uint32_t at)
{
	static struct fm_config cfg, before;
	char err[256] = "";
	int rc;

	fm_config_init(&cfg);
	memcpy(&before, &cfg, sizeof(cfg));
	fault_arm(at);
	rc = fm_config_parse_string(chain_text, chain_len, &cfg, err, sizeof(err));
	fault_disarm();
	if (nb_injected == 0) {
		ck_assert_msg(rc == 0, "fig2.yaml: %s", err);
		return false;
	}
	/* (fm_config.h also promises a message; the first allocations fail without one, which is
	 * reported, not asserted here) */
	ck_assert_msg(rc == -ENOMEM, "allocation %u failing: rc %d (%s)", at, rc, err);
	ck_assert_msg(memcmp(&cfg, &before, sizeof(cfg)) == 0, "config changed by a failed load");
	return true;
}

START_TEST(test_fault_config_parse_string)
{
	load_chain_text();
	ck_assert_uint_gt(fault_loop("config", op_config), 0);
}
END_TEST

/* ---- the filter parser --------------------------------------------------------------------- */

static const char *const filter_texts[] = {
    "tcp",
    "(tcp dst port 80 or udp dst port 53) and not src net 10.0.0.0/8",
    "ip6 and (tcp or udp) and dst net 2001:db8::/32 and not (port 22 or portrange 6000-6100)",
    "vlan 100 and (src host 198.18.0.1 or dst host 198.18.0.2) and not (icmp or arp)",
    "", /* every packet: its DNF's empty conjunction once had an unchecked calloc() */
};

static const char *cur_filter;

static bool op_filter(uint32_t at)
{
	struct fm_filter *f = NULL;
	char err[256] = "";
	int rc;

	fault_arm(at);
	rc = fm_filter_parse(cur_filter, &f, err, sizeof(err));
	fault_disarm();
	if (nb_injected == 0) {
		ck_assert_msg(rc == 0, "\"%s\": %s", cur_filter, err);
		fm_filter_destroy(f);
		return false;
	}
	ck_assert_msg(rc == -ENOMEM, "\"%s\", allocation %u failing: rc %d (%s)", cur_filter, at,
		      rc, err);
	ck_assert_msg(f == NULL, "a filter returned with rc %d", rc);
	return true;
}

START_TEST(test_fault_filter_parse)
{
	cur_filter = filter_texts[_i];
	ck_assert_uint_gt(fault_loop("filter", op_filter), 0);
}
END_TEST

/* ---- the classifier tree of a chain -------------------------------------------------------- */

/*
 * Two chains: one whose every class and edge has a non-empty filter (_i = 0), and the paper's
 * Figure 2 (_i = 1), whose edges without a filter are "every packet" (a failed calloc() for that
 * empty conjunction in the filter's DNF was once unchecked, and flatten() copied from NULL).
 */
static const char tree_chain[] =
    "name: fault\n"
    "ports:\n"
    "  - {name: p0, dev: \"x0\"}\n"
    "  - {name: p1, dev: \"x1\"}\n"
    "vnfs:\n"
    "  - {name: dns, class: \"udp and dst port 53\", session: 5tuple,\n"
    "     scratchpad: 8}\n"
    "  - {name: web, class: \"tcp dst port 80\", session: 5tuple,\n"
    "     scratchpad: 16, flags: [in_order]}\n"
    "  - {name: lb, class: \"tcp or udp\", session: ippair}\n"
    "graph:\n"
    "  input:\n"
    "    - {match: \"udp\", to: dns}\n"
    "    - {match: \"tcp\", to: web}\n"
    "    - {match: \"ip\", to: lb}\n"
    "    - {match: \"not ip\", to: output}\n"
    "  dns: [{match: \"ip\", to: lb}]\n"
    "  web: [{match: \"ip\", to: lb}]\n"
    "  lb: [{match: \"ip\", to: output}]\n";

static struct fm_config tree_cfg;

static bool op_tree(uint32_t at)
{
	struct fm_tree *t = NULL;
	char err[256] = "";
	int rc;

	fault_arm(at);
	rc = fm_tree_build(&tree_cfg.chain, NULL, &t, err, sizeof(err));
	fault_disarm();
	if (nb_injected == 0) {
		ck_assert_msg(rc == 0, "fig2 tree: %s", err);
		fm_tree_destroy(t);
		return false;
	}
	ck_assert_msg(rc == -ENOMEM, "allocation %u failing: rc %d (%s)", at, rc, err);
	ck_assert_msg(t == NULL, "a tree returned with rc %d", rc);
	return true;
}

START_TEST(test_fault_tree_build)
{
	char err[256];

	fm_config_init(&tree_cfg);
	if (_i == 1) {
		load_chain_text(); /* fig2: edges without a filter */
		ck_assert_int_eq(
		    fm_config_parse_string(chain_text, chain_len, &tree_cfg, err, sizeof(err)), 0);
	} else {
		ck_assert_msg(fm_config_parse_string(tree_chain, sizeof(tree_chain) - 1, &tree_cfg,
						     err, sizeof(err)) == 0,
			      "%s", err);
	}
	ck_assert_uint_gt(fault_loop("tree", op_tree), 0);
}
END_TEST

/* ---- the ids rule parser and engine -------------------------------------------------------- */

static const char ids_text[] =
    "# comment\n"
    "alert tcp any any -> any any (msg:\"ATTACK\"; content:\"ATTACK\"; sid:1; rev:1;)\n"
    "alert tcp any any -> any 80 (msg:\"to 80\"; content:\"ATT|41 43|K\"; sid:2;)\n"
    "drop tcp any any <> any 80 (msg:\"kill\"; content:\"KILL|4d 45|\"; nocase; sid:3;)\n"
    "alert udp any 53 -> any any (content:\"evil\"; sid:4;)\n";

static bool op_ids_rules(uint32_t at)
{
	struct ids_rules set;
	char err[256] = "";
	int rc;

	fault_arm(at);
	rc = ids_rules_parse(ids_text, &set, err, sizeof(err));
	fault_disarm();
	if (nb_injected == 0) {
		ck_assert_msg(rc == 0, "rules: %s", err);
		ck_assert_uint_eq(set.count, 4);
		ids_rules_uninit(&set);
		return false;
	}
	ck_assert_msg(rc == -ENOMEM, "allocation %u failing: rc %d (%s)", at, rc, err);
	ck_assert_msg(err[0] != '\0', "allocation %u failing: no message", at);
	ck_assert(set.count == 0 && set.rule == NULL);
	ids_rules_uninit(&set); /* safe on a failed set */
	return true;
}

START_TEST(test_fault_ids_rules_parse)
{
	ck_assert_uint_gt(fault_loop("ids rules", op_ids_rules), 0);
}
END_TEST

static struct ids_rules ids_set;

static bool op_ids_engine(uint32_t at)
{
	struct ids_engine *eng = NULL;
	char err[256] = "";
	int rc;

	fault_arm(at);
	rc = ids_engine_create(&ids_set, &eng, err, sizeof(err));
	fault_disarm();
	if (nb_injected == 0) {
		ck_assert_msg(rc == 0, "engine: %s", err);
		ids_engine_destroy(eng);
		return false;
	}
	ck_assert_msg(rc == -ENOMEM, "allocation %u failing: rc %d (%s)", at, rc, err);
	ck_assert_msg(eng == NULL, "an engine returned with rc %d", rc);
	return true;
}

START_TEST(test_fault_ids_engine_create)
{
	char err[256];

	ck_assert_int_eq(ids_rules_parse(ids_text, &ids_set, err, sizeof(err)), 0);
	ck_assert_uint_gt(fault_loop("ids engine", op_ids_engine), 0);
	ids_rules_uninit(&ids_set);
}
END_TEST

/* ---- allocation-free by contract ----------------------------------------------------------- */

static int id_feed(void *ctx, const uint8_t *in, size_t inlen, uint8_t *out, size_t soft,
		   size_t cap, size_t *outlen)
{
	(void)ctx;
	(void)soft;
	(void)cap;
	memcpy(out, in, inlen);
	*outlen = inlen;
	return 0;
}

static int id_flush(void *ctx, uint8_t *out, size_t cap, size_t *outlen)
{
	(void)ctx;
	(void)out;
	(void)cap;
	*outlen = 0;
	return 0;
}

START_TEST(test_fault_http_makes_no_allocation)
{
	static const char req[] = "POST /a HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n"
				  "Content-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\n\r\n";
	static const char resp[] =
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhello\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	const struct http_body_ops ops = {.feed = id_feed, .flush = id_flush, .resizes = true};
	const struct http_cfg cfg = {.strip_accept_encoding = true, .responses_resize = true};
	struct http_link link = {0};
	struct http_stats stats = {0};
	struct http_dir d[2];
	const char *text[2] = {req, resp};
	uint8_t out[1024];
	size_t outlen;
	int bad = 0;

	/* The first allocation would fail, if there were one. No Check assertion while armed:
	 * Check itself allocates to record where an assertion is. */
	fault_arm(1);
	for (int k = 0; k < 2; k++) {
		const struct http_env env = {
		    .cfg = &cfg, .ops = &ops, .body = NULL, .link = &link, .stats = &stats};
		size_t len = strlen(text[k]);

		http_dir_init(&d[k], k == 0);
		for (size_t off = 0; off < len; off += 7) {
			size_t n = len - off < 7 ? len - off : 7;

			bad += http_feed(&env, &d[k], (const uint8_t *)text[k] + off, n, out, 64,
					 n + HTTP_SLACK, &outlen) != 0;
		}
		bad += http_finish(&env, &d[k], out, sizeof(out), &outlen) != 0;
	}
	fault_disarm();
	ck_assert_int_eq(bad, 0);
	ck_assert_uint_eq(calls, 0);
	ck_assert_uint_eq(stats.c[HTTP_STAT_REQUESTS], 2);
	ck_assert_uint_eq(stats.c[HTTP_STAT_RESPONSES], 2);
}
END_TEST

START_TEST(test_fault_seqmap_makes_no_allocation)
{
	static struct fm_seqmap_entry e[FM_SEQMAP_CAP];
	static struct fm_seqmap m = {.e = e, .cap = FM_SEQMAP_CAP};
	uint32_t s = 0, l = 0;
	int rc[4];

	fault_arm(1); /* no Check assertion while armed (see above) */
	fm_seqmap_init(&m, 0xfffffff0u);
	rc[0] = fm_seqmap_insert(&m, 0xfffffff8u, 10);
	rc[1] = fm_seqmap_remove(&m, 4, 3);
	rc[2] = fm_seqmap_replace(&m, 20, 2, 5);
	rc[3] = fm_seqmap_map_segment(&m, 0xfffffff0u, 100, &s, &l);
	fm_seqmap_ack(&m, s + l);
	fault_disarm();
	for (int k = 0; k < 4; k++)
		ck_assert_int_eq(rc[k], 0);
	ck_assert_uint_eq(l, 100 + 10 - 3 + 3);
	ck_assert_uint_eq(calls, 0);
	ck_assert_uint_eq(fm_seqmap_count(&m), 0);
}
END_TEST

static Suite *fault_suite(void)
{
	Suite *s = suite_create("fault");
	TCase *tc = tcase_create("alloc");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_fault_config_parse_string);
	tcase_add_loop_test(tc, test_fault_filter_parse, 0,
			    (int)(sizeof(filter_texts) / sizeof(filter_texts[0])));
	tcase_add_loop_test(tc, test_fault_tree_build, 0, 2);
	tcase_add_test(tc, test_fault_ids_rules_parse);
	tcase_add_test(tc, test_fault_ids_engine_create);
	tcase_add_test(tc, test_fault_http_makes_no_allocation);
	tcase_add_test(tc, test_fault_seqmap_makes_no_allocation);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(fault_suite());
}
