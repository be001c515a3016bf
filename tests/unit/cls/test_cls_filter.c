/* SPDX-License-Identifier: BSD-3-Clause */
/* test_cls_filter.c — filter language: accepted forms, DNF shape, and malformed filters. */
#include <check.h>

#include "fs_check.h"
#include <errno.h>
#include <stdlib.h>

#include "cls_test_util.h"
#include "fm_filter.h"

static const struct {
	const char *expr;
	const char *msg;
} bad[] = {
    {"tcp and", "at 8: unexpected end of expression, expected a primitive"},
    {"not", "at 4: unexpected end of expression, expected a primitive"},
    {"foo", "at 1: unknown keyword 'foo'"},
    {"(tcp", "at 5: expected ')' to close '(' at 1"},
    {"tcp)", "at 4: unexpected ')'"},
    {"()", "at 2: unexpected ')', expected a primitive"},
    {"tcp && || udp", "at 8: unexpected '||', expected a primitive"},
    {"tcp udp", "at 5: unexpected 'udp' after expression, expected 'and', 'or' or end"},
    {"tcp $ udp", "at 5: unexpected character '$'"},
    {"& tcp", "at 1: unexpected character '&'"},
    {"host 1.2.3", "at 6: invalid address '1.2.3'"},
    {"host 1.2.3.256", "at 6: invalid address '1.2.3.256'"},
    {"host fe80::1::2", "at 6: invalid address 'fe80::1::2'"},
    {"host 10.0.0.0/8", "at 6: invalid address '10.0.0.0/8' (use 'net' for a prefix)"},
    {"net 10.0.0.0", "at 5: expected ADDR/LEN after 'net', got '10.0.0.0'"},
    {"net 10.0.0.0/33", "at 5: prefix length '33' out of range (0-32)"},
    {"net fe80::/129", "at 5: prefix length '129' out of range (0-128)"},
    {"net 10.0.0.1/8", "at 5: non-network bits set in '10.0.0.1/8'"},
    {"port", "at 5: unexpected end of expression, expected a port number after 'port'"},
    {"port 65536", "at 6: port 65536 out of range (0-65535)"},
    {"port 80x", "at 6: invalid port number '80x'"},
    {"portrange 10", "at 11: expected A-B after 'portrange', got '10'"},
    {"portrange 2000-1000", "at 11: empty port range 2000-1000"},
    {"src tcp", "at 5: expected 'host', 'net', 'port' or 'portrange' after 'src', got 'tcp'"},
    {"tcp src host 1.2.3.4", "at 9: expected 'port' or 'portrange' after 'src', got 'host'"},
    {"dst", "at 4: unexpected end of expression, expected 'host', 'net', 'port' or "
	    "'portrange' after 'dst'"},
    {"vlan 4096", "at 6: vlan id 4096 out of range (0-4095)"},
    {"ip proto 256", "at 10: protocol 256 out of range (0-255)"},
    {"ip proto foo", "at 10: unknown protocol 'foo'"},
    {"ip6 proto", "at 10: unexpected end of expression, expected a protocol after 'proto'"},
};

START_TEST(test_filter_parse_rejects_malformed)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256];
		struct fm_filter *f = NULL;
		int rc = fm_filter_parse(bad[i].expr, &f, err, sizeof(err));
		ck_assert_msg(rc == -EINVAL, "'%s' accepted (rc %d)", bad[i].expr, rc);
		ck_assert_ptr_null(f);
		ck_assert_msg(!strcmp(err, bad[i].msg), "'%s': got \"%s\", expected \"%s\"",
			      bad[i].expr, err, bad[i].msg);
	}
}
END_TEST

START_TEST(test_filter_parse_rejects_too_complex)
{
	char e[4096] = "";
	for (int i = 0; i < 14; i++) /* 2^14 terms in normal form */
		snprintf(e + strlen(e), sizeof(e) - strlen(e), "%s(not port %d or not vlan %d)",
			 i ? " and " : "", i, i);
	char err[256];
	struct fm_filter *f;
	ck_assert_int_eq(fm_filter_parse(e, &f, err, sizeof(err)), -E2BIG);
	ck_assert_ptr_nonnull(strstr(err, "expression too complex"));
	char deep[256] = "";
	for (int i = 0; i < 70; i++)
		strcat(deep, "(");
	ck_assert_int_eq(fm_filter_parse(deep, &f, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "nesting too deep"));
}
END_TEST

static bool m(const char *expr, const struct tframe *tf)
{
	struct fm_filter *f;
	struct fm_pkt p;
	char err[256];
	ck_assert_msg(fm_filter_parse(expr, &f, err, sizeof(err)) == 0, "%s: %s", expr, err);
	ck_assert_int_eq(tframe_parse(tf, &p), 0);
	bool r = fm_filter_match(f, &p);
	uint64_t v[FM_F_COUNT];
	fm_pkt_fields(&p, v);
	ck_assert_int_eq(r, fm_filter_match_dnf(f, v));
	fm_filter_destroy(f);
	return r;
}

START_TEST(test_filter_match_primitives)
{
	struct tframe u = {-1, 4, "10.0.0.5", "10.0.0.27", 17, 5555, 6970, 0};
	ck_assert(m("", &u));
	ck_assert(m("ip", &u) && !m("ip6", &u) && !m("arp", &u));
	ck_assert(m("udp and dst host 10.0.0.27 and dst port 6970", &u));
	ck_assert(m("udp dst port 6970", &u) && !m("tcp dst port 6970", &u));
	ck_assert(m("src net 10.0.0.0/24", &u) && !m("dst net 10.0.1.0/24", &u));
	ck_assert(m("portrange 6000-7000", &u) && !m("src portrange 6000-7000", &u));
	ck_assert(m("src or dst port 5555", &u) && !m("src and dst port 5555", &u));
	ck_assert(m("ip proto udp && ! tcp", &u) && m("proto 17", &u));
	ck_assert(!m("vlan", &u) && m("not vlan", &u));
	ck_assert(m("tcp or udp and port 6970", &u)); /* and binds tighter */
	ck_assert(!m("(tcp or udp) and port 80", &u));
	struct tframe v6 = {3, 6, "2001:db8::1", "2001:db8:1::27", 6, 1000, 443, 0};
	ck_assert(m("ip6 and vlan 3 and tcp port 443", &v6) && !m("vlan 4", &v6));
	ck_assert(m("dst net 2001:db8:1::/48", &v6) && !m("src net 2001:db8:1::/48", &v6));
	ck_assert(m("host 2001:db8::1", &v6) && !m("host 10.0.0.5", &v6));
	ck_assert(m("dst net 2001:db8:1::20/123", &v6) && !m("dst net 2001:db8:1::/124", &v6));
	struct tframe arp = {-1, 0, "10.0.0.1", "10.0.0.2", 0, 0, 0, 0};
	ck_assert(m("arp", &arp) && !m("ip", &arp) && !m("host 10.0.0.1", &arp));
	struct tframe icmp = {-1, 4, "10.0.0.1", "10.0.0.2", 1, 0, 0, 0};
	ck_assert(m("icmp", &icmp) && !m("port 0", &icmp) && !m("icmp6", &icmp));
}
END_TEST

START_TEST(test_session_parse_presets_and_lists)
{
	struct fm_session s;
	char err[256];
	ck_assert_int_eq(fm_session_parse("5tuple", &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.fields, FM_S_PROTO | FM_S_SRC | FM_S_DST | FM_S_SPORT | FM_S_DPORT);
	ck_assert_int_eq(fm_session_parse("", &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.fields, 0);
	ck_assert_int_eq(fm_session_parse("src, dport,vlan", &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.fields, FM_S_SRC | FM_S_DPORT | FM_S_VLAN);
	ck_assert_uint_eq(fm_session_header_fields(FM_S_SRC | FM_S_DST, FM_FAM_IPV6),
			  (1u << FM_F_IP6_SRC_HI) | (1u << FM_F_IP6_SRC_LO) |
			      (1u << FM_F_IP6_DST_HI) | (1u << FM_F_IP6_DST_LO));
	ck_assert_int_eq(fm_session_parse("ippair,bogus", &s, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "at 8: unknown session field 'bogus' (expected 5tuple, 4tuple, "
			      "ippair, srcip, dstip or a list of proto, src, dst, sport, dport, "
			      "vlan, ethertype)");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cls_filter");
	TCase *tc = tcase_create("filter");
	tcase_add_test(tc, test_filter_parse_rejects_malformed);
	tcase_add_test(tc, test_filter_parse_rejects_too_complex);
	tcase_add_test(tc, test_filter_match_primitives);
	tcase_add_test(tc, test_session_parse_presets_and_lists);
	suite_add_tcase(s, tc);
	return fs_check_run(s);
}
