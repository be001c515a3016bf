/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the firewall's TCP tracking (nfs/fw/engine/fw_track.h) on hand-built segments
 * parsed by fm_pkt_parse(), as fw sees them. Regression (issue #17 item 8): fw ended a session on
 * any RST carrying its addresses and ports; a blind RST must now be dropped (the session lives
 * on) and only an RST its receiver would act on ends it.
 */
#include <check.h>

#include "fs_check.h"
#include <string.h>

#include "fm_pkt.h"
#include "fw_track.h"
#include "fm_filter.h"

#define C_ISN 1000u
#define S_ISN 0xfffffff0u /* the responder's sequence space wraps */
#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_ACK 0x10

static uint8_t frame[1600];
static struct fm_pkt pkt;

static void wr16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void wr32(uint8_t *b, uint32_t v)
{
	wr16(b, (uint16_t)(v >> 16));
	wr16(b + 2, (uint16_t)v);
}

/* A segment from the initiator (198.18.0.1:40000) or the responder (198.18.0.2:80), with a
 * window scale option when ws >= 0. */
static const uint8_t *seg(bool from_init, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
			  uint16_t plen, int ws)
{
	uint8_t *ip = frame + 14, *tcp = ip + 20;
	uint16_t thl = ws >= 0 ? 24 : 20;

	memset(frame, 0, sizeof(frame));
	frame[12] = 0x08;
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)(20 + thl + plen));
	ip[8] = 64;
	ip[9] = 6;
	wr32(ip + 12, from_init ? 0xc6120001 : 0xc6120002);
	wr32(ip + 16, from_init ? 0xc6120002 : 0xc6120001);
	wr16(tcp, from_init ? 40000 : 80);
	wr16(tcp + 2, from_init ? 80 : 40000);
	wr32(tcp + 4, seq);
	wr32(tcp + 8, ack);
	tcp[12] = (uint8_t)((thl / 4) << 4);
	tcp[13] = flags;
	wr16(tcp + 14, win);
	if (ws >= 0) {
		tcp[20] = 1; /* NOP, WS */
		tcp[21] = 3;
		tcp[22] = 3;
		tcp[23] = (uint8_t)ws;
	}
	ck_assert_int_eq(fm_pkt_parse(frame, 14u + 20u + thl + plen + 6u /* padding */, &pkt), 0);
	return frame;
}

static enum fw_track_verdict go(struct fw_tcp *t, bool from_init, uint8_t flags, uint32_t seq,
				uint32_t ack, uint16_t win, uint16_t plen)
{
	const uint8_t *d = seg(from_init, flags, seq, ack, win, plen, -1);

	return fw_tcp_track(t, d, &pkt, from_init);
}

/* Handshake with window scale 7 on both sides, then 1000 bytes each way. */
static void established(struct fw_tcp *t)
{
	const uint8_t *d;

	fw_tcp_init(t);
	d = seg(true, F_SYN, C_ISN, 0, 65535, 0, 7);
	ck_assert_int_eq(fw_tcp_track(t, d, &pkt, true), FW_TRACK_PASS);
	d = seg(false, F_SYN | F_ACK, S_ISN, C_ISN + 1, 65535, 0, 7);
	ck_assert_int_eq(fw_tcp_track(t, d, &pkt, false), FW_TRACK_PASS);
	ck_assert_int_eq(go(t, true, F_ACK, C_ISN + 1, S_ISN + 1, 512, 0), FW_TRACK_PASS);
	ck_assert_int_eq(go(t, true, F_ACK, C_ISN + 1, S_ISN + 1, 512, 1000), FW_TRACK_PASS);
	ck_assert_int_eq(go(t, false, F_ACK, S_ISN + 1, C_ISN + 1001, 256, 1000), FW_TRACK_PASS);
	/* the client ACKs the server's 1000 bytes; window 512 << 7 = 64 KiB */
	ck_assert_int_eq(go(t, true, F_ACK, C_ISN + 1001, S_ISN + 1001, 512, 0), FW_TRACK_PASS);
	ck_assert_uint_eq(t->state, FW_ESTABLISHED);
}

START_TEST(test_fw_track_blind_rst_keeps_session)
{
	struct fw_tcp t;

	established(&t);
	/* RSTs from the server side with guessed sequence numbers: out of the client's window */
	ck_assert_int_eq(go(&t, false, F_RST, S_ISN + 1001 + 70000, 0, 0, 0), FW_TRACK_RST_BLIND);
	ck_assert_int_eq(go(&t, false, F_RST, S_ISN + 1001 - 1, 0, 0, 0), FW_TRACK_RST_BLIND);
	ck_assert_int_eq(go(&t, false, F_RST, 0x80000000u, 0, 0, 0), FW_TRACK_RST_BLIND);
	/* and from the client side: out of the server's window (256 << 7 from C_ISN+1001) */
	ck_assert_int_eq(go(&t, true, F_RST, C_ISN + 1001 + 256 * 128, 0, 0, 0),
			 FW_TRACK_RST_BLIND);
	/* the session lives on */
	ck_assert_int_eq(go(&t, false, F_ACK, S_ISN + 1001, C_ISN + 1001, 256, 100), FW_TRACK_PASS);
	ck_assert_int_eq(go(&t, true, F_ACK, C_ISN + 1001, S_ISN + 1101, 512, 100), FW_TRACK_PASS);
	ck_assert_uint_eq(t.rst, 0);
}
END_TEST

START_TEST(test_fw_track_rst_in_window_ends_session)
{
	struct fw_tcp t;

	established(&t);
	/* in the client's window (it acknowledged S_ISN+1001, window 64 KiB): believed */
	ck_assert_int_eq(go(&t, false, F_RST, S_ISN + 1001 + 60000, 0, 0, 0), FW_TRACK_PASS);
	ck_assert_uint_eq(t.rst, 1);
	ck_assert_int_eq(go(&t, true, F_ACK, C_ISN + 1001, S_ISN + 1001, 512, 10),
			 FW_TRACK_INVALID);
	/* exactly at what the sender has sent: believed too */
	established(&t);
	ck_assert_int_eq(go(&t, true, F_RST | F_ACK, C_ISN + 1001, S_ISN + 1001, 0, 0),
			 FW_TRACK_PASS);
	ck_assert_int_eq(go(&t, false, F_ACK, S_ISN + 1001, C_ISN + 1001, 256, 10),
			 FW_TRACK_INVALID);
}
END_TEST

START_TEST(test_fw_track_window_unscaled_without_both_options)
{
	struct fw_tcp t;
	const uint8_t *d;

	fw_tcp_init(&t);
	d = seg(true, F_SYN, C_ISN, 0, 65535, 0, 7); /* only the client offers scaling */
	ck_assert_int_eq(fw_tcp_track(&t, d, &pkt, true), FW_TRACK_PASS);
	ck_assert_int_eq(go(&t, false, F_SYN | F_ACK, S_ISN, C_ISN + 1, 65535, 0), FW_TRACK_PASS);
	ck_assert_int_eq(go(&t, true, F_ACK, C_ISN + 1, S_ISN + 1, 1000, 0), FW_TRACK_PASS);
	/* the client's window is 1000 bytes, not 1000 << 7 */
	ck_assert_int_eq(go(&t, false, F_RST, S_ISN + 1 + 2000, 0, 0, 0), FW_TRACK_RST_BLIND);
	ck_assert_int_eq(go(&t, false, F_RST, S_ISN + 1 + 999, 0, 0, 0), FW_TRACK_PASS);
}
END_TEST

START_TEST(test_fw_track_rst_to_syn_must_ack_it)
{
	struct fw_tcp t;

	fw_tcp_init(&t);
	ck_assert_int_eq(go(&t, true, F_SYN, C_ISN, 0, 65535, 0), FW_TRACK_PASS);
	ck_assert_int_eq(go(&t, false, F_RST, 0, 0, 0, 0), FW_TRACK_RST_BLIND); /* no ACK */
	ck_assert_int_eq(go(&t, false, F_RST | F_ACK, 0, C_ISN + 2, 0, 0), FW_TRACK_RST_BLIND);
	ck_assert_int_eq(go(&t, false, F_RST | F_ACK, 0, C_ISN + 1, 0, 0), FW_TRACK_PASS);
	ck_assert_uint_eq(t.state, FW_CLOSED);
}
END_TEST

START_TEST(test_fw_track_states)
{
	struct fw_tcp t;

	fw_tcp_init(&t);
	ck_assert_int_eq(go(&t, false, F_SYN, S_ISN, 0, 100, 0), FW_TRACK_INVALID); /* responder */
	ck_assert_int_eq(go(&t, true, F_ACK, C_ISN, 0, 100, 10), FW_TRACK_INVALID); /* no SYN */
	ck_assert_int_eq(go(&t, true, F_RST, C_ISN, 0, 100, 0),
			 FW_TRACK_INVALID); /* nothing to reset */
	established(&t);
	ck_assert_int_eq(go(&t, true, F_SYN, C_ISN, 0, 100, 0), FW_TRACK_INVALID);
	ck_assert_int_eq(go(&t, true, F_FIN | F_ACK, C_ISN + 1001, S_ISN + 1001, 512, 0),
			 FW_TRACK_PASS);
	ck_assert_uint_eq(t.state, FW_CLOSING);
	ck_assert_int_eq(go(&t, false, F_FIN | F_ACK, S_ISN + 1001, C_ISN + 1002, 256, 0),
			 FW_TRACK_PASS);
	ck_assert_uint_eq(t.state, FW_CLOSED);
	ck_assert_int_eq(go(&t, true, F_ACK, C_ISN + 1002, S_ISN + 1002, 512, 0), FW_TRACK_PASS);
	/* FIN counted in the sequence space: an RST at the client's end after its FIN */
	ck_assert_uint_eq(t.end[0], C_ISN + 1002);
}
END_TEST

/* Regression (e2e_ipv6_chain in CI): a SYN on a session that has ended is a new connection on the
 * same addresses and ports; fw decides it anew instead of counting it invalid. Not before both
 * FINs, and only a SYN without ACK (or RST). */
START_TEST(test_fw_track_closed_session_reopens_on_syn)
{
	struct fw_tcp t;

	established(&t);
	seg(true, F_SYN, C_ISN + 5000, 0, 65535, 0, 7);
	ck_assert(!fw_tcp_reopens(&t, &pkt)); /* established: a SYN is invalid, not a reopening */
	ck_assert_int_eq(go(&t, true, F_FIN | F_ACK, C_ISN + 1001, S_ISN + 1001, 512, 0),
			 FW_TRACK_PASS);
	seg(true, F_SYN, C_ISN + 5000, 0, 65535, 0, 7);
	ck_assert(!fw_tcp_reopens(&t, &pkt)); /* one FIN: still closing */
	ck_assert_int_eq(go(&t, false, F_FIN | F_ACK, S_ISN + 1001, C_ISN + 1002, 256, 0),
			 FW_TRACK_PASS);
	ck_assert_uint_eq(t.state, FW_CLOSED);
	seg(true, F_SYN | F_ACK, C_ISN + 5000, 1, 65535, 0, 7);
	ck_assert(!fw_tcp_reopens(&t, &pkt));
	seg(true, F_ACK, C_ISN + 1002, S_ISN + 1002, 512, 0, -1);
	ck_assert(!fw_tcp_reopens(&t, &pkt));
	seg(true, F_SYN | F_RST, C_ISN + 5000, 0, 0, 0, -1);
	ck_assert(!fw_tcp_reopens(&t, &pkt));
	/* a SYN from either side opens another connection */
	seg(false, F_SYN, 77, 0, 65535, 0, 7);
	ck_assert(fw_tcp_reopens(&t, &pkt));
	seg(true, F_SYN, C_ISN + 5000, 0, 65535, 0, 7);
	ck_assert(fw_tcp_reopens(&t, &pkt));
	/* as the caller does: tracked from scratch, the handshake passes */
	fw_tcp_init(&t);
	ck_assert_int_eq(fw_tcp_track(&t, frame, &pkt, true), FW_TRACK_PASS);
	ck_assert_int_eq(go(&t, false, F_SYN | F_ACK, 900, C_ISN + 5001, 65535, 0), FW_TRACK_PASS);
	ck_assert_int_eq(go(&t, true, F_ACK, C_ISN + 5001, 901, 512, 0), FW_TRACK_PASS);
	ck_assert_uint_eq(t.state, FW_ESTABLISHED);
	/* after an accepted reset too */
	established(&t);
	ck_assert_int_eq(go(&t, true, F_RST | F_ACK, C_ISN + 1001, S_ISN + 1001, 0, 0),
			 FW_TRACK_PASS);
	seg(true, F_SYN, C_ISN + 9000, 0, 65535, 0, 7);
	ck_assert(fw_tcp_reopens(&t, &pkt));
}
END_TEST

/* IPv6 (issue #13 item 3): the same session as seg() between 2001:db8::1 port 40000 and
 * 2001:db8::2 port 80, with `ext` bytes of a destination-options header before TCP (not payload)
 * and 6 bytes of Ethernet padding after the datagram (not payload either). */
static const uint8_t c6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t s6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

static const uint8_t *seg6(bool from_init, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
			   uint16_t plen, uint16_t ext)
{
	uint8_t *ip = frame + 14, *tcp = ip + 40 + ext;

	memset(frame, 0, sizeof(frame));
	frame[12] = 0x86;
	frame[13] = 0xdd;
	ip[0] = 0x60;
	wr16(ip + 4, (uint16_t)(ext + 20 + plen));
	ip[6] = ext ? 60 : 6;
	ip[7] = 64;
	memcpy(ip + 8, from_init ? c6 : s6, 16);
	memcpy(ip + 24, from_init ? s6 : c6, 16);
	if (ext) {
		ip[40] = 6;
		ip[41] = (uint8_t)(ext / 8 - 1);
	}
	wr16(tcp, from_init ? 40000 : 80);
	wr16(tcp + 2, from_init ? 80 : 40000);
	wr32(tcp + 4, seq);
	wr32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	wr16(tcp + 14, win);
	ck_assert_int_eq(fm_pkt_parse(frame, 14u + 40u + ext + 20u + plen + 6u, &pkt), 0);
	ck_assert_uint_eq(pkt.l3, FM_L3_IPV6);
	return frame;
}

static enum fw_track_verdict go6(struct fw_tcp *t, bool from_init, uint8_t flags, uint32_t seq,
				 uint32_t ack, uint16_t win, uint16_t plen)
{
	const uint8_t *d = seg6(from_init, flags, seq, ack, win, plen, from_init ? 8 : 0);

	return fw_tcp_track(t, d, &pkt, from_init);
}

START_TEST(test_fw_track_ipv6_session)
{
	struct fw_tcp t;

	fw_tcp_init(&t);
	ck_assert_int_eq(go6(&t, false, F_ACK, S_ISN, C_ISN, 100, 0), FW_TRACK_INVALID);
	ck_assert_int_eq(go6(&t, true, F_SYN, C_ISN, 0, 65535, 0), FW_TRACK_PASS);
	ck_assert_int_eq(go6(&t, false, F_SYN | F_ACK, S_ISN, C_ISN + 1, 1000, 0), FW_TRACK_PASS);
	ck_assert_int_eq(go6(&t, true, F_ACK, C_ISN + 1, S_ISN + 1, 2000, 300), FW_TRACK_PASS);
	ck_assert_uint_eq(t.state, FW_ESTABLISHED);
	/* 300 payload bytes: the extension header and the padding are not counted */
	ck_assert_uint_eq(t.end[0], C_ISN + 301);
	ck_assert_int_eq(go6(&t, false, F_ACK, S_ISN + 1, C_ISN + 301, 1000, 500), FW_TRACK_PASS);
	ck_assert_uint_eq(t.end[1], S_ISN + 501);
	/* a blind RST (no window scale: the client's window is 2000 from S_ISN+1) is dropped */
	ck_assert_int_eq(go6(&t, false, F_RST, S_ISN + 1 + 5000, 0, 0, 0), FW_TRACK_RST_BLIND);
	ck_assert_int_eq(go6(&t, true, F_ACK, C_ISN + 301, S_ISN + 501, 2000, 0), FW_TRACK_PASS);
	/* an in-window one ends the session */
	ck_assert_int_eq(go6(&t, false, F_RST, S_ISN + 501, 0, 0, 0), FW_TRACK_PASS);
	ck_assert_int_eq(go6(&t, true, F_ACK, C_ISN + 301, S_ISN + 501, 2000, 1), FW_TRACK_INVALID);
}
END_TEST

START_TEST(test_fw_peer_ipv6)
{
	struct fw_peer peer;
	static const uint8_t mapped[16] = {[10] = 0xff, [11] = 0xff, 0xc6, 0x12, 0x00, 0x01};

	seg6(true, F_SYN, C_ISN, 0, 100, 0, 0);
	fw_peer_set(&peer, &pkt);
	ck_assert(fw_peer_is_src(&peer, &pkt));
	seg6(false, F_SYN | F_ACK, S_ISN, C_ISN + 1, 100, 0, 0);
	ck_assert(!fw_peer_is_src(&peer, &pkt));
	/* the same port from another IPv6 address (differs in its last byte only) */
	seg6(true, F_ACK, C_ISN + 1, S_ISN + 1, 100, 0, 0);
	frame[14 + 8 + 15] = 3;
	ck_assert_int_eq(fm_pkt_parse(frame, 14u + 40u + 20u, &pkt), 0);
	ck_assert(!fw_peer_is_src(&peer, &pkt));
	/* IPv4 198.18.0.1:40000 is not the IPv6 initiator, nor ::ffff:198.18.0.1 the IPv4 one */
	seg(true, F_SYN, C_ISN, 0, 100, 0, -1);
	ck_assert(!fw_peer_is_src(&peer, &pkt));
	fw_peer_set(&peer, &pkt);
	ck_assert(fw_peer_is_src(&peer, &pkt));
	seg6(true, F_SYN, C_ISN, 0, 100, 0, 0);
	memcpy(frame + 14 + 8, mapped, 16);
	ck_assert_int_eq(fm_pkt_parse(frame, 14u + 40u + 20u, &pkt), 0);
	ck_assert(!fw_peer_is_src(&peer, &pkt));
}
END_TEST

/* An ICMPv6 message of `type` from the responder (s6 -> c6) or the initiator. */
static void icmp6(bool from_init, uint8_t type)
{
	uint8_t *ip = frame + 14;

	memset(frame, 0, sizeof(frame));
	frame[12] = 0x86;
	frame[13] = 0xdd;
	ip[0] = 0x60;
	wr16(ip + 4, 8);
	ip[6] = FM_PROTO_ICMP6;
	ip[7] = 64;
	memcpy(ip + 8, from_init ? c6 : s6, 16);
	memcpy(ip + 24, from_init ? s6 : c6, 16);
	ip[40] = type;
	ck_assert_int_eq(fm_pkt_parse(frame, 14u + 48u, &pkt), 0);
}

START_TEST(test_fw_icmp6_reverse_request)
{
	icmp6(false, 128); /* echo request from the responder: a session of its own */
	ck_assert(fw_icmp_reverse_request(frame, &pkt, false));
	icmp6(false, 129); /* echo reply: part of the initiator's session */
	ck_assert(!fw_icmp_reverse_request(frame, &pkt, false));
	icmp6(true, 128);
	ck_assert(!fw_icmp_reverse_request(frame, &pkt, true));
	icmp6(false, 8); /* ICMP's echo request type means nothing in ICMPv6 */
	ck_assert(!fw_icmp_reverse_request(frame, &pkt, false));
}
END_TEST

/* The rules fw parses (the filter language) decide IPv6 sessions by prefix, port and protocol. */
START_TEST(test_fw_rules_ipv6)
{
	static const char *const rules[] = {
	    "ip6 and src net 2001:db8::/32 and tcp dst port 80", /* 0: matches */
	    "ip6 and src net 2001:db9::/32",			 /* 1: another prefix */
	    "ip and tcp dst port 80",				 /* 2: IPv4 only */
	    "dst host 2001:db8::2 and tcp port 80",		 /* 3: matches */
	    "dst host 2001:db8::3",				 /* 4: another host */
	    "icmp6",						 /* 5: another protocol */
	    "src net 2001:db8::/127 and udp",			 /* 6: UDP only */
	};
	static const bool want[] = {true, false, false, true, false, false, false};
	char err[256];

	seg6(true, F_SYN, C_ISN, 0, 100, 0, 8);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		struct fm_filter *f;

		ck_assert_msg(fm_filter_parse(rules[i], &f, err, sizeof(err)) == 0, "%s: %s",
			      rules[i], err);
		ck_assert_msg(fm_filter_match(f, &pkt) == want[i], "rule %s", rules[i]);
		fm_filter_destroy(f);
	}
	icmp6(false, 128);
	{
		struct fm_filter *f;

		ck_assert_int_eq(
		    fm_filter_parse("icmp6 and src host 2001:db8::2", &f, err, sizeof(err)), 0);
		ck_assert(fm_filter_match(f, &pkt));
		fm_filter_destroy(f);
	}
}
END_TEST

static Suite *fw_track_suite(void)
{
	Suite *s = suite_create("fw_track");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_fw_track_blind_rst_keeps_session);
	tcase_add_test(tc, test_fw_track_rst_in_window_ends_session);
	tcase_add_test(tc, test_fw_track_window_unscaled_without_both_options);
	tcase_add_test(tc, test_fw_track_rst_to_syn_must_ack_it);
	tcase_add_test(tc, test_fw_track_states);
	tcase_add_test(tc, test_fw_track_closed_session_reopens_on_syn);
	tcase_add_test(tc, test_fw_track_ipv6_session);
	tcase_add_test(tc, test_fw_peer_ipv6);
	tcase_add_test(tc, test_fw_icmp6_reverse_request);
	tcase_add_test(tc, test_fw_rules_ipv6);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(fw_track_suite());
}
