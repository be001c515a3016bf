/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fragments and hidden transports (issue #17, finding 4): what the parser reports (fm_pkt.h:
 * ip_frag for every IP fragment, first or not; l4_hidden for a third VLAN tag and for an IPv6
 * extension-header chain longer than FM_PKT_EXT_MAX) and what flowmgr decides for it
 * (fm_frag.h), on hand-built frames, against the table in fm_frag.h written out as an oracle.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fm_frag.h"
#include "fm_pkt.h"
#include "fs_check.h"

#define F_MF	      0x2000
#define F_DF	      0x4000
#define V6_EXT_DSTOPT 60

/* A frame under construction. */
struct tf {
	uint8_t b[512];
	uint32_t n;
};

static void put(struct tf *f, const void *p, uint32_t n)
{
	ck_assert_uint_le(f->n + n, sizeof(f->b));
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void put16(struct tf *f, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	put(f, x, 2);
}

/* Ethernet header with `vlans` tags (alternating 0x88a8 / 0x8100) and ethertype `et`. */
static void eth(struct tf *f, int vlans, uint16_t et)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};

	f->n = 0;
	put(f, macs, 12);
	for (int i = 0; i < vlans; i++) {
		put16(f, i == 0 && vlans > 1 ? FM_ETH_QINQ : FM_ETH_VLAN);
		put16(f, (uint16_t)(100 + i));
	}
	put16(f, et);
}

/* L4 header of `proto` (TCP 20 bytes, UDP 8) then `plen` payload bytes. */
static void l4(struct tf *f, uint8_t proto, uint32_t plen)
{
	uint8_t h[20] = {0x9c, 0x40, 0x00, 0x50}; /* 40000 -> 80 */

	if (proto == FM_PROTO_TCP) {
		h[12] = 5 << 4;
		h[13] = 0x18;
		put(f, h, 20);
	} else if (proto == FM_PROTO_UDP) {
		h[4] = (uint8_t)((8 + plen) >> 8);
		h[5] = (uint8_t)(8 + plen);
		put(f, h, 8);
	}
	for (uint32_t i = 0; i < plen; i++)
		put(f, "A", 1);
}

/* Ethernet/IPv4 with fragment field `frag`; `with_l4`: the L4 header is in this fragment. */
static void ipv4(struct tf *f, int vlans, uint8_t proto, uint16_t frag, bool with_l4)
{
	uint32_t l3;

	eth(f, vlans, FM_ETH_IPV4);
	l3 = f->n;
	put(f, (uint8_t[20]){0x45,
			     0,
			     0,
			     0,
			     0,
			     1,
			     (uint8_t)(frag >> 8),
			     (uint8_t)frag,
			     64,
			     proto,
			     0,
			     0,
			     198,
			     18,
			     0,
			     1,
			     198,
			     18,
			     0,
			     2},
	    20);
	if (with_l4)
		l4(f, proto, 16);
	else
		l4(f, 0, 24);
	f->b[l3 + 2] = (uint8_t)((f->n - l3) >> 8);
	f->b[l3 + 3] = (uint8_t)(f->n - l3);
}

/*
 * Ethernet/IPv6 with `ext` destination-options headers, then (if frag_off >= 0) a fragment
 * header with offset `frag_off` (8-byte units) and M = `more`, then `proto`'s header if the
 * fragment is the first (or there is none).
 */
static void ipv6(struct tf *f, int ext, int frag_off, bool more, uint8_t proto)
{
	uint32_t l3;
	uint8_t *nh;

	eth(f, 0, FM_ETH_IPV6);
	l3 = f->n;
	put(f, (uint8_t[8]){0x60, 0, 0, 0, 0, 0, 0, 64}, 8);
	for (int i = 0; i < 32; i++)
		put(f, (uint8_t[1]){(uint8_t)(i < 16 ? 0x20 : 0x30)}, 1);
	nh = &f->b[l3 + 6];
	for (int i = 0; i < ext; i++) {
		*nh = V6_EXT_DSTOPT;
		nh = &f->b[f->n];
		put(f, (uint8_t[8]){0, 0, 1, 4, 0, 0, 0, 0}, 8); /* PadN */
	}
	if (frag_off >= 0) {
		uint16_t fo = (uint16_t)((frag_off << 3) | (more ? 1 : 0));

		*nh = 44;
		nh = &f->b[f->n];
		put(f, (uint8_t[8]){0, 0, (uint8_t)(fo >> 8), (uint8_t)fo, 0, 0, 0, 7}, 8);
	}
	*nh = proto;
	if (frag_off <= 0)
		l4(f, proto, 16);
	else
		l4(f, 0, 24);
	f->b[l3 + 4] = (uint8_t)((f->n - l3 - 40) >> 8);
	f->b[l3 + 5] = (uint8_t)(f->n - l3 - 40);
}

static struct fm_pkt parse_ok(const struct tf *f)
{
	struct fm_pkt p;

	ck_assert_int_eq(fm_pkt_parse(f->b, f->n, &p), 0);
	return p;
}

START_TEST(test_frag_parse_ipv4_fragments)
{
	struct tf f;
	struct fm_pkt p;

	/* First fragment: the TCP header is there (ports valid) but not the whole segment. */
	ipv4(&f, 0, FM_PROTO_TCP, F_MF, true);
	p = parse_ok(&f);
	ck_assert(p.ip_frag && !p.is_frag && p.has_l4 && !p.l4_hidden);
	ck_assert_uint_eq(p.dport, 80);
	/* Non-first fragments, the last one (MF clear) included: no L4 header. */
	ipv4(&f, 0, FM_PROTO_TCP, F_MF | 3, false);
	p = parse_ok(&f);
	ck_assert(p.ip_frag && p.is_frag && !p.has_l4 && p.proto == FM_PROTO_TCP);
	ipv4(&f, 0, FM_PROTO_TCP, 3, false);
	p = parse_ok(&f);
	ck_assert(p.ip_frag && p.is_frag);
	/* DF alone, or nothing: not a fragment. */
	ipv4(&f, 0, FM_PROTO_TCP, F_DF, true);
	p = parse_ok(&f);
	ck_assert(!p.ip_frag && !p.is_frag && p.has_l4);
	ipv4(&f, 2, FM_PROTO_UDP, 0, true);
	p = parse_ok(&f);
	ck_assert(!p.ip_frag && p.has_l4 && p.has_vlan == 2 && !p.l4_hidden);
}
END_TEST

START_TEST(test_frag_parse_ipv6_fragments)
{
	struct tf f;
	struct fm_pkt p;

	ipv6(&f, 0, 0, true, FM_PROTO_TCP); /* first */
	p = parse_ok(&f);
	ck_assert(p.ip_frag && !p.is_frag && p.has_l4 && p.proto == FM_PROTO_TCP);
	ipv6(&f, 2, 5, true, FM_PROTO_TCP); /* middle, behind two extension headers */
	p = parse_ok(&f);
	ck_assert(p.ip_frag && p.is_frag && !p.has_l4 && p.proto == FM_PROTO_TCP);
	ipv6(&f, 0, 5, false, FM_PROTO_UDP); /* last */
	p = parse_ok(&f);
	ck_assert(p.ip_frag && p.is_frag);
	ipv6(&f, 0, 0, false, FM_PROTO_TCP); /* atomic fragment (RFC 6946): whole */
	p = parse_ok(&f);
	ck_assert(!p.ip_frag && !p.is_frag && p.has_l4);
}
END_TEST

/* Finding 4: a third VLAN tag hid the IP packet behind it (classified as non-IP). */
START_TEST(test_frag_parse_third_vlan_tag_hides_l4)
{
	struct tf f;
	struct fm_pkt p;

	for (int v = 0; v <= FM_PKT_VLAN_MAX + 1; v++) {
		ipv4(&f, v, FM_PROTO_TCP, 0, true);
		p = parse_ok(&f);
		ck_assert_int_eq(p.l4_hidden, v > FM_PKT_VLAN_MAX);
		ck_assert_int_eq(p.has_l4, v <= FM_PKT_VLAN_MAX);
		ck_assert_int_eq(p.l3, v <= FM_PKT_VLAN_MAX ? FM_L3_IPV4 : FM_L3_NONE);
	}
}
END_TEST

/* Finding 4: more than 8 IPv6 extension headers hid the transport (proto 60, no ports). */
START_TEST(test_frag_parse_long_ipv6_ext_chain_hides_l4)
{
	struct tf f;
	struct fm_pkt p;

	for (int e = 0; e <= FM_PKT_EXT_MAX + 2; e++) {
		ipv6(&f, e, -1, false, FM_PROTO_TCP);
		p = parse_ok(&f);
		ck_assert_msg(p.l4_hidden == (e > FM_PKT_EXT_MAX), "%d extension headers", e);
		ck_assert_int_eq(p.has_l4, e <= FM_PKT_EXT_MAX);
		ck_assert_int_eq(p.proto, e <= FM_PKT_EXT_MAX ? FM_PROTO_TCP : V6_EXT_DSTOPT);
		ck_assert(!p.ip_frag);
	}
	/* The fragment header counts as one of them: 8 options + fragment = hidden. */
	ipv6(&f, FM_PKT_EXT_MAX, 0, true, FM_PROTO_TCP);
	p = parse_ok(&f);
	ck_assert(p.l4_hidden && !p.has_l4);
	/* Truncated inside the chain: malformed, not hidden. */
	ipv6(&f, 3, -1, false, FM_PROTO_TCP);
	ck_assert_int_eq(fm_pkt_parse(f.b, 14 + 40 + 20, &(struct fm_pkt){0}), -EINVAL);
}
END_TEST

/* An AH header (RFC 4302, length in 4-byte units + 2) is walked: the TCP behind it is seen. */
START_TEST(test_frag_parse_ipv6_ah_is_walked)
{
	struct tf f;
	struct fm_pkt p;

	eth(&f, 0, FM_ETH_IPV6);
	put(&f, (uint8_t[8]){0x60, 0, 0, 0, 0, 36, 51, 64}, 8);
	for (int i = 0; i < 32; i++)
		put(&f, (uint8_t[1]){1}, 1);
	put(&f, (uint8_t[16]){FM_PROTO_TCP, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}, 16); /* 16 bytes */
	l4(&f, FM_PROTO_TCP, 0);
	p = parse_ok(&f);
	ck_assert(p.has_l4 && p.proto == FM_PROTO_TCP && !p.l4_hidden && p.dport == 80);
}
END_TEST

/* The kinds of frame the decision distinguishes, and the oracle of fm_frag.h's table. */
enum kind {
	K_TCP,
	K_UDP,
	K_TCP_FIRST_FRAG,
	K_TCP_LATER_FRAG,
	K_UDP_FRAG,
	K_ICMP_FRAG,
	K_V6_TCP_FRAG,
	K_V6_UNKNOWN_FRAG, /* IPv6 non-first fragment whose next header is another extension */
	K_VLAN3,
	K_V6_EXT9,
	K_NB
};

static void build(enum kind k, struct tf *f)
{
	switch (k) {
	case K_TCP:
		ipv4(f, 1, FM_PROTO_TCP, F_DF, true);
		break;
	case K_UDP:
		ipv4(f, 0, FM_PROTO_UDP, 0, true);
		break;
	case K_TCP_FIRST_FRAG:
		ipv4(f, 0, FM_PROTO_TCP, F_MF, true);
		break;
	case K_TCP_LATER_FRAG:
		ipv4(f, 2, FM_PROTO_TCP, 7, false);
		break;
	case K_UDP_FRAG:
		ipv4(f, 0, FM_PROTO_UDP, F_MF | 9, false);
		break;
	case K_ICMP_FRAG:
		ipv4(f, 0, FM_PROTO_ICMP, F_MF, true);
		break;
	case K_V6_TCP_FRAG:
		ipv6(f, 1, 0, true, FM_PROTO_TCP);
		break;
	case K_V6_UNKNOWN_FRAG:
		ipv6(f, 0, 4, true, V6_EXT_DSTOPT);
		break;
	case K_VLAN3:
		ipv4(f, 3, FM_PROTO_TCP, 0, true);
		break;
	default:
		ipv6(f, 9, -1, false, FM_PROTO_TCP);
		break;
	}
}

static enum fm_frag_verdict oracle(enum kind k, enum fm_frag_policy pol, bool stream)
{
	bool hidden = k == K_VLAN3 || k == K_V6_EXT9;
	bool frag = k != K_TCP && k != K_UDP && k != K_ICMP_FRAG && !hidden;

	if (!stream || pol == FM_FRAGS_PASS || (!hidden && !frag))
		return FM_FRAG_CLASSIFY;
	if (hidden)
		return FM_FRAG_DROP_HIDDEN;
	return pol == FM_FRAGS_REASSEMBLE ? FM_FRAG_REASSEMBLE : FM_FRAG_DROP;
}

START_TEST(test_frag_decide_matches_table)
{
	for (int k = 0; k < K_NB; k++) {
		struct tf f;
		struct fm_pkt p;

		build((enum kind)k, &f);
		p = parse_ok(&f);
		for (int pol = FM_FRAGS_DROP; pol <= FM_FRAGS_PASS; pol++)
			for (int stream = 0; stream < 2; stream++)
				ck_assert_msg(
				    fm_frag_decide(&p, (enum fm_frag_policy)pol, stream) ==
					oracle((enum kind)k, (enum fm_frag_policy)pol, stream),
				    "kind %d policy %d stream %d: %d", k, pol, stream,
				    fm_frag_decide(&p, (enum fm_frag_policy)pol, stream));
	}
}
END_TEST

/* The default is fail-closed: on a stream chain no fragment and no hidden transport is ever
 * classified (and so can never take a path around the stream VNFs). */
START_TEST(test_frag_decide_default_never_classifies_exposed)
{
	struct fm_config cfg;

	fm_config_init(&cfg);
	ck_assert_int_eq(cfg.fragments, FM_FRAGS_DROP);
	for (int k = 0; k < K_NB; k++) {
		struct tf f;
		struct fm_pkt p;

		build((enum kind)k, &f);
		p = parse_ok(&f);
		ck_assert_int_eq(fm_frag_decide(&p, cfg.fragments, true) == FM_FRAG_CLASSIFY,
				 !fm_frag_is_exposed(&p));
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("frag");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_frag_parse_ipv4_fragments);
	tcase_add_test(tc, test_frag_parse_ipv6_fragments);
	tcase_add_test(tc, test_frag_parse_third_vlan_tag_hides_l4);
	tcase_add_test(tc, test_frag_parse_long_ipv6_ext_chain_hides_l4);
	tcase_add_test(tc, test_frag_parse_ipv6_ah_is_walked);
	tcase_add_test(tc, test_frag_decide_matches_table);
	tcase_add_test(tc, test_frag_decide_default_never_classifies_exposed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(suite());
}
