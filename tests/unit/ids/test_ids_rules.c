/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the ids rule parser (nfs/ids/engine/ids_rules.h): every field, comments, CRLF,
 * every malformed case with its exact "line N: ..." message, line numbers and truncated messages,
 * many rules (the sid hash), file loading and the flow filter of a rule.
 */
#include <check.h>

#include "fs_check.h"
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ids_rules.h"

static struct ids_rules rules;
static char err[512];

static void teardown(void)
{
	ids_rules_uninit(&rules);
}

START_TEST(test_ids_rules_parse_fields)
{
	const char *text =
	    "# IDS rules\r\n"
	    "\r\n"
	    "alert tcp any any -> any any (msg:\"attack word\"; content:\"ATTACK\"; sid:1; "
	    "rev:1;)\r\n"
	    "  drop  udp any 53 <> any  8080 ( msg: \"q\\\"|x|\\;\\\\\" ;content: \"|41 54|TACK\" "
	    "; "
	    "nocase ; classtype:trojan-activity; metadata: a b, c d; reference:url,x.org/a\\;b; "
	    "sid: 4294967295 ;)\n"
	    "\talert ip any any -> any 1 (content:\"x\"; sid:3; rev:0;)   \n"
	    "alert tcp any 65535 -> any any (sid:7; content:\"tail\";)";
	const struct ids_rule *r;

	ck_assert_msg(ids_rules_parse(text, &rules, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(rules.count, 4);
	r = &rules.rule[0];
	ck_assert_uint_eq(r->action, IDS_ACTION_ALERT);
	ck_assert_uint_eq(r->proto, IDS_PROTO_TCP);
	ck_assert_uint_eq(r->dir, IDS_DIR_TO);
	ck_assert_uint_eq(r->src_port, 0);
	ck_assert_uint_eq(r->dst_port, 0);
	ck_assert_str_eq(r->msg, "attack word");
	ck_assert_uint_eq(r->content_len, 6);
	ck_assert_mem_eq(r->content, "ATTACK", 6);
	ck_assert(!r->nocase);
	ck_assert_uint_eq(r->sid, 1);
	ck_assert_uint_eq(r->rev, 1);
	ck_assert_uint_eq(r->line, 3);
	r = &rules.rule[1];
	ck_assert_uint_eq(r->action, IDS_ACTION_DROP);
	ck_assert_uint_eq(r->proto, IDS_PROTO_UDP);
	ck_assert_uint_eq(r->dir, IDS_DIR_BOTH);
	ck_assert_uint_eq(r->src_port, 53);
	ck_assert_uint_eq(r->dst_port, 8080);
	ck_assert_str_eq(r->msg, "q\"|x|;\\");
	ck_assert_uint_eq(r->content_len, 6);
	ck_assert_mem_eq(r->content, "ATTACK", 6);
	ck_assert(r->nocase);
	ck_assert_uint_eq(r->sid, 4294967295u);
	ck_assert_uint_eq(r->rev, 0);
	ck_assert_uint_eq(r->line, 4);
	r = &rules.rule[2];
	ck_assert_uint_eq(r->proto, IDS_PROTO_IP);
	ck_assert_uint_eq(r->dst_port, 1);
	ck_assert_str_eq(r->msg, "");
	ck_assert_uint_eq(r->line, 5);
	r = &rules.rule[3];
	ck_assert_uint_eq(r->src_port, 65535);
	ck_assert_uint_eq(r->sid, 7);
	ck_assert_mem_eq(r->content, "tail", 4);
	ck_assert_uint_eq(r->line, 6);
}
END_TEST

/* Every malformed case, on line 3 after a comment and a good rule: exact message, empty set. */
#define PE_HEADER "alert tcp any any -> any any"

static const struct {
	const char *rule; /* "%s" is the good header PE_HEADER */
	const char *msg;
} parse_error_cases[] = {
    {"pass tcp any any -> any any (content:\"a\"; sid:9;)",
     "line 3: unknown action 'pass' (expected alert or drop)"},
    {"(content:\"a\"; sid:9;)", "line 3: missing action"},
    {"alert", "line 3: missing protocol"},
    {"alert icmp any any -> any any (content:\"a\"; sid:9;)",
     "line 3: unknown protocol 'icmp' (expected tcp, udp or ip)"},
    {"alert tcp 10.0.0.0/8 any -> any any (content:\"a\"; sid:9;)",
     "line 3: unsupported source address '10.0.0.0/8' (only any)"},
    {"alert tcp any any -> $HOME_NET any (content:\"a\"; sid:9;)",
     "line 3: unsupported destination address '$HOME_NET' (only any)"},
    {"alert tcp any 0 -> any any (content:\"a\"; sid:9;)",
     "line 3: bad source port '0' (expected any or 1..65535)"},
    {"alert tcp any any -> any 65536 (content:\"a\"; sid:9;)",
     "line 3: bad destination port '65536' (expected any or 1..65535)"},
    {"alert tcp any any -> any [80,443] (content:\"a\"; sid:9;)",
     "line 3: bad destination port '[80,443]' (expected any or 1..65535)"},
    {"alert tcp any !80 -> any any (content:\"a\"; sid:9;)",
     "line 3: bad source port '!80' (expected any or 1..65535)"},
    {"alert tcp any any <- any any (content:\"a\"; sid:9;)",
     "line 3: bad direction '<-' (expected -> or <>)"},
    {"alert tcp any any -> any (content:\"a\"; sid:9;)", "line 3: missing destination port"},
    {"alert tcp any any ->", "line 3: missing destination address"},
    {"%s", "line 3: missing rule options (expected '(' after the header)"},
    {"%s 80 (content:\"a\"; sid:9;)", "line 3: unexpected '80' after the header (expected '(')"},
    {"%s (content:\"a\"; sid:9;", "line 3: missing ')' at the end of the rule"},
    {"%s (content:\"a\"; sid:9)", "line 3: missing ';' after option 'sid'"},
    {"%s (content:\"a\" sid:9;)", "line 3: missing ';' after option 'content'"},
    {"%s (content:\"a\"; nocase sid:9;)", "line 3: missing ';' after option 'nocase'"},
    {"%s (content:\"a\"; sid:9;) # comment", "line 3: unexpected text after ')'"},
    {"%s (content:\"abc)", "line 3: unterminated string in option 'content'"},
    {"%s (msg:\"abc; sid:9;)", "line 3: unescaped ';' in option 'msg' (write \\; or |3B|)"},
    {"%s (content:\"a;b\"; sid:9;)",
     "line 3: unescaped ';' in option 'content' (write \\; or |3B|)"},
    {"%s (content:\"a\\\\\\\"; sid:9;)", "line 3: unescaped ';' in option 'content' "
					 "(write \\; or |3B|)"},
    {"%s (content:\"ab\\", "line 3: unterminated string in option 'content'"},
    {"%s (content:\"a\\x\"; sid:9;)", "line 3: bad escape '\\x' in option 'content'"},
    {"%s (content:\"|4G|\"; sid:9;)", "line 3: bad hex character 'G' in option 'content'"},
    {"%s (content:\"|414|\"; sid:9;)", "line 3: odd number of hex digits in option 'content'"},
    {"%s (content:\"|4 1|\"; sid:9;)", "line 3: hex byte split by a blank in option 'content'"},
    {"%s (content:\"|41\"; sid:9;)", "line 3: unterminated hex block in option 'content'"},
    {"%s (content:\"||\"; sid:9;)", "line 3: empty hex block in option 'content'"},
    {"%s (content:\"\"; sid:9;)", "line 3: empty content"},
    {"%s (content:abc; sid:9;)", "line 3: option 'content' needs a quoted string"},
    {"%s (content:!\"abc\"; sid:9;)", "line 3: negated content is not supported"},
    {"%s (content:\"a\"; content:\"b\"; sid:9;)",
     "line 3: more than one content (only one per rule is supported)"},
    {"%s (msg:\"x\"; sid:9;)", "line 3: missing content"},
    {"%s (content:\"a\";)", "line 3: missing sid"},
    {"%s (content:\"a\"; sid:1;)", "line 3: duplicate sid 1 (first on line 2)"},
    {"%s (nocase; content:\"a\"; sid:9;)", "line 3: nocase without a preceding content"},
    {"%s (content:\"a\"; nocase; nocase; sid:9;)", "line 3: duplicate option 'nocase'"},
    {"%s (content:\"a\"; nocase:1; sid:9;)", "line 3: option 'nocase' takes no value"},
    {"%s (content:\"a\"; depth:4; sid:9;)", "line 3: unsupported option 'depth'"},
    {"%s (content:\"a\"; flow:established; sid:9;)", "line 3: unsupported option 'flow'"},
    {"%s (content:\"a\"; sid;)", "line 3: option 'sid' needs a value"},
    {"%s (content:\"a\"; sid:abc;)", "line 3: bad sid 'abc' (expected 1..4294967295)"},
    {"%s (content:\"a\"; sid:0;)", "line 3: bad sid '0' (expected 1..4294967295)"},
    {"%s (content:\"a\"; sid:4294967296;)",
     "line 3: bad sid '4294967296' (expected 1..4294967295)"},
    {"%s (content:\"a\"; sid:-1;)", "line 3: bad sid '-1' (expected 1..4294967295)"},
    {"%s (content:\"a\"; sid:9; rev:x;)", "line 3: bad rev 'x' (expected 0..4294967295)"},
    {"%s (content:\"a\"; sid:9; sid:10;)", "line 3: duplicate option 'sid'"},
    {"%s (msg:\"a\"; msg:\"b\"; content:\"a\"; sid:9;)", "line 3: duplicate option 'msg'"},
    {"%s (content:\"a\"; rev:1; rev:2; sid:9;)", "line 3: duplicate option 'rev'"},
    {"%s (content:\"a\"; ,sid:9;)", "line 3: expected an option name, got ','"},
    {"%s (content:\"a\"; metadata:x \"y; sid:9;)",
     "line 3: unterminated string in option 'metadata'"},
    {"%s (content:\"a\"; classtype:x)", "line 3: missing ';' after option 'classtype'"},
};

START_TEST(test_ids_rules_parse_errors)
{
	char text[512], line[256];

	for (size_t i = 0; i < sizeof(parse_error_cases) / sizeof(parse_error_cases[0]); i++) {
		int rc;

		snprintf(line, sizeof(line), parse_error_cases[i].rule, PE_HEADER);
		snprintf(
		    text, sizeof(text),
		    "# comment\r\nalert tcp any any -> any any (content:\"x\"; sid:1;)\r\n%s\r\n"
		    "alert tcp any any -> any any (content:\"y\"; sid:2;)\n",
		    line);
		memset(err, 0, sizeof(err));
		rules.rule = (void *)1; /* must be overwritten */
		rc = ids_rules_parse(text, &rules, err, sizeof(err));
		ck_assert_msg(rc == -EINVAL, "case %zu '%s': rc %d", i, line, rc);
		ck_assert_msg(strcmp(err, parse_error_cases[i].msg) == 0,
			      "case %zu '%s':\n got '%s'\nwant '%s'", i, line, err,
			      parse_error_cases[i].msg);
		ck_assert_uint_eq(rules.count, 0);
		ck_assert_ptr_null(rules.rule);
	}
}
END_TEST

/* Line numbers count every line; messages are truncated to errlen; err may be NULL. */
START_TEST(test_ids_rules_parse_error_line_and_truncation)
{
	const char *text = "\n\n#\n\nalert tcp any any -> any any (content:\"a\"; sid:1;)\n\n"
			   "alert tcp any any -> any any (content:\"a\"; sid:1;)";
	char small[8];

	ck_assert_int_eq(ids_rules_parse(text, &rules, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "line 7: duplicate sid 1 (first on line 5)");
	ck_assert_int_eq(ids_rules_parse(text, &rules, small, sizeof(small)), -EINVAL);
	ck_assert_str_eq(small, "line 7:");
	ck_assert_int_eq(ids_rules_parse(text, &rules, NULL, 0), -EINVAL);
	ck_assert_int_eq(ids_rules_parse("", &rules, err, sizeof(err)), 0);
	ck_assert_uint_eq(rules.count, 0);
}
END_TEST

/* Many rules: all sids distinct except the last, found by the sid hash. */
START_TEST(test_ids_rules_parse_many_rules)
{
	enum { N = 5000 };
	size_t cap = (size_t)N * 80, len = 0;
	char *text = malloc(cap);

	ck_assert_ptr_nonnull(text);
	for (unsigned i = 0; i < N; i++)
		len += (size_t)snprintf(text + len, cap - len,
					"alert tcp any any -> any any (content:\"w%u\"; sid:%u;)\n",
					i, 1000003u * (i + 1));
	ck_assert_msg(ids_rules_parse(text, &rules, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(rules.count, N);
	ck_assert_uint_eq(rules.rule[N - 1].sid, 1000003u * N);
	ids_rules_uninit(&rules);
	snprintf(text + len, cap - len, "alert tcp any any -> any any (content:\"z\"; sid:%u;)\n",
		 1000003u * 1234);
	ck_assert_int_eq(ids_rules_parse(text, &rules, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "line 5001: duplicate sid 1234003702 (first on line 1234)");
	free(text);
}
END_TEST

START_TEST(test_ids_rules_load_file)
{
	char path[] = "/tmp/test_ids_rules_XXXXXX";
	const char *good = "alert tcp any any -> any 80 (msg:\"m\"; content:\"GET\"; sid:5;)\n";
	const char *bad = "# x\nalert tcp any any -> any 80 (content:\"GET\";)\n";
	char want[256];
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, good, strlen(good)), (ssize_t)strlen(good));
	close(fd);
	ck_assert_msg(ids_rules_load(path, &rules, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(rules.count, 1);
	ck_assert_uint_eq(rules.rule[0].sid, 5);
	ck_assert_uint_eq(rules.rule[0].dst_port, 80);
	ids_rules_uninit(&rules);

	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
	close(fd);
	ck_assert_int_eq(ids_rules_load(path, &rules, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: line 2: missing sid", path);
	ck_assert_str_eq(err, want);
	unlink(path);

	ck_assert_int_eq(ids_rules_load(path, &rules, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s: cannot read: %s", path, strerror(ENOENT));
	ck_assert_str_eq(err, want);
	ck_assert_uint_eq(rules.count, 0);
}
END_TEST

START_TEST(test_ids_rules_is_for_flow)
{
	const struct ids_rule *to80, *both80, *ip, *from53;

	ck_assert_int_eq(ids_rules_parse("alert tcp any any -> any 80 (content:\"a\"; sid:1;)\n"
					 "alert tcp any any <> any 80 (content:\"a\"; sid:2;)\n"
					 "alert ip any any -> any any (content:\"a\"; sid:3;)\n"
					 "alert udp any 53 -> any any (content:\"a\"; sid:4;)\n",
					 &rules, err, sizeof(err)),
			 0);
	to80 = &rules.rule[0];
	both80 = &rules.rule[1];
	ip = &rules.rule[2];
	from53 = &rules.rule[3];
	ck_assert(ids_rule_is_for_flow(to80, IPPROTO_TCP, 40000, 80));
	ck_assert(!ids_rule_is_for_flow(to80, IPPROTO_TCP, 80, 40000));
	ck_assert(!ids_rule_is_for_flow(to80, IPPROTO_UDP, 40000, 80));
	ck_assert(!ids_rule_is_for_flow(to80, IPPROTO_TCP, 40000, 81));
	ck_assert(ids_rule_is_for_flow(both80, IPPROTO_TCP, 40000, 80));
	ck_assert(ids_rule_is_for_flow(both80, IPPROTO_TCP, 80, 40000));
	ck_assert(!ids_rule_is_for_flow(both80, IPPROTO_TCP, 81, 40000));
	ck_assert(ids_rule_is_for_flow(ip, IPPROTO_UDP, 1, 2));
	ck_assert(ids_rule_is_for_flow(ip, IPPROTO_TCP, 1, 2));
	ck_assert(ids_rule_is_for_flow(from53, IPPROTO_UDP, 53, 9999));
	ck_assert(!ids_rule_is_for_flow(from53, IPPROTO_UDP, 9999, 53));
	ck_assert(!ids_rule_is_for_flow(from53, IPPROTO_TCP, 53, 9999));
}
END_TEST

static Suite *ids_rules_suite(void)
{
	Suite *s = suite_create("ids_rules");
	TCase *tr = tcase_create("rules");

	tcase_add_checked_fixture(tr, NULL, teardown);
	tcase_add_test(tr, test_ids_rules_parse_fields);
	tcase_add_test(tr, test_ids_rules_parse_errors);
	tcase_add_test(tr, test_ids_rules_parse_error_line_and_truncation);
	tcase_add_test(tr, test_ids_rules_parse_many_rules);
	tcase_add_test(tr, test_ids_rules_load_file);
	tcase_add_test(tr, test_ids_rules_is_for_flow);
	suite_add_tcase(s, tr);
	return s;
}

int main(void)
{
	return fs_check_run(ids_rules_suite());
}
