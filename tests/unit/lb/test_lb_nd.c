/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the load balancer's IPv6 side (nfs/lb/engine/lb_nd.h, issue #13 item 3): the
 * neighbour advertisement it makes of a solicitation for its VIP, the solicitation it sends for a
 * backend, the advertisements it reads, and the rewrite of IPv6 TCP/UDP packets to a backend and
 * back. Every checksum is verified by an independent computation (the RFC 8200 §8.1 pseudo-header
 * laid out in a separate buffer and summed byte pair by byte pair), not by lb_nd_l4_sum().
 */
#include <check.h>

#include "fs_check.h"
#include <string.h>

#include "fm_pkt.h"
#include "lb_nd.h"

static const uint8_t lb_mac[6] = {0x02, 0x00, 0x00, 0x00, 0xfe, 0x02};
static const uint8_t cl_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0xc1};
static const uint8_t be_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0xb2};
static const uint8_t vip6[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0x01, [15] = 0x00};
static const uint8_t cl6[16] = {0x20, 0x01, 0x0d, 0xb8, [8] = 0xab, [15] = 0x01};
static const uint8_t be6[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, [13] = 0x12, 0x34, 0x56};

static uint8_t frame[256];
static struct fm_pkt pkt;

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Independent: the pseudo-header as RFC 8200 §8.1 draws it, then the upper-layer packet. */
static uint16_t ref_sum(const uint8_t *ip6)
{
	uint8_t buf[40 + 256];
	uint32_t len = rd16(ip6 + 4), s = 0;

	memcpy(buf, ip6 + 8, 32);
	buf[32] = (uint8_t)(len >> 24);
	buf[33] = (uint8_t)(len >> 16);
	buf[34] = (uint8_t)(len >> 8);
	buf[35] = (uint8_t)len;
	buf[36] = buf[37] = buf[38] = 0;
	buf[39] = ip6[6];
	memcpy(buf + 40, ip6 + 40, len);
	if (len & 1)
		buf[40 + len++] = 0;
	for (uint32_t i = 0; i < 40 + len; i += 2)
		s += (uint32_t)buf[i] << 8 | buf[i + 1];
	while (s > 0xffff)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Sets the ICMPv6/L4 checksum field at `ck` (offset in the IPv6 payload) by ref_sum. */
static void ref_fill(uint8_t *ip6, uint32_t ck)
{
	wr16(ip6 + 40 + ck, 0);
	wr16(ip6 + 40 + ck, ref_sum(ip6));
}

/* A neighbour solicitation from the client for `target`, hop limit `hl`, with an SLLA option. */
static uint32_t ns(const uint8_t target[16], uint8_t hl, bool slla, const uint8_t *src)
{
	uint8_t *ip = frame + 14, *icmp = ip + 40;
	uint16_t plen = slla ? 32 : 24;

	memset(frame, 0, sizeof(frame));
	frame[0] = 0x33, frame[1] = 0x33, frame[2] = 0xff;
	memcpy(frame + 3, target + 13, 3);
	memcpy(frame + 6, cl_mac, 6);
	wr16(frame + 12, 0x86dd);
	ip[0] = 0x60;
	wr16(ip + 4, plen);
	ip[6] = 58;
	ip[7] = hl;
	memcpy(ip + 8, src, 16);
	ip[24] = 0xff, ip[25] = 0x02, ip[35] = 1, ip[36] = 0xff;
	memcpy(ip + 37, target + 13, 3);
	icmp[0] = 135;
	memcpy(icmp + 8, target, 16);
	if (slla) {
		icmp[24] = 1, icmp[25] = 1;
		memcpy(icmp + 26, cl_mac, 6);
	}
	ref_fill(ip, 2);
	ck_assert_int_eq(fm_pkt_parse(frame, 14u + 40u + plen, &pkt), 0);
	return 14u + 40u + plen;
}

START_TEST(test_lb_nd_answers_vip)
{
	uint8_t *ip = frame + 14, *icmp = ip + 40;

	ns(vip6, 255, true, cl6);
	ck_assert_uint_eq(lb_nd_answer(frame, sizeof(frame), &pkt, vip6, lb_mac), LB_ND_FRAME_LEN);
	ck_assert_mem_eq(frame, cl_mac, 6);
	ck_assert_mem_eq(frame + 6, lb_mac, 6);
	ck_assert_uint_eq(rd16(frame + 12), 0x86dd);
	ck_assert_mem_eq(ip + 8, vip6, 16);
	ck_assert_mem_eq(ip + 24, cl6, 16);
	ck_assert_uint_eq(ip[7], 255);
	ck_assert_uint_eq(rd16(ip + 4), 32);
	ck_assert_uint_eq(icmp[0], 136);
	ck_assert_uint_eq(icmp[1], 0);
	ck_assert_uint_eq(icmp[4], 0x60); /* solicited, override; not a router */
	ck_assert_mem_eq(icmp + 8, vip6, 16);
	ck_assert_uint_eq(icmp[24], 2);
	ck_assert_uint_eq(icmp[25], 1);
	ck_assert_mem_eq(icmp + 26, lb_mac, 6);
	ck_assert_uint_eq(ref_sum(ip), 0); /* the checksum is right */
	ck_assert_int_eq(fm_pkt_parse(frame, LB_ND_FRAME_LEN, &pkt), 0);
}
END_TEST

START_TEST(test_lb_nd_refuses_others)
{
	static const uint8_t unspec[16];
	uint8_t copy[256];
	uint32_t n;

	n = ns(be6, 255, true, cl6); /* not the VIP */
	memcpy(copy, frame, sizeof(copy));
	ck_assert_uint_eq(lb_nd_answer(frame, sizeof(frame), &pkt, vip6, lb_mac), 0);
	ck_assert_mem_eq(frame, copy, n);
	ns(vip6, 64, true, cl6); /* hop limit: from beyond a router */
	ck_assert_uint_eq(lb_nd_answer(frame, sizeof(frame), &pkt, vip6, lb_mac), 0);
	ns(vip6, 255, false, cl6); /* no source link-layer address */
	ck_assert_uint_eq(lb_nd_answer(frame, sizeof(frame), &pkt, vip6, lb_mac), 0);
	ns(vip6, 255, false, unspec); /* duplicate address detection */
	ck_assert_uint_eq(lb_nd_answer(frame, sizeof(frame), &pkt, vip6, lb_mac), 0);
	ns(vip6, 255, true, cl6); /* a bad checksum */
	frame[14 + 40 + 2] ^= 1;
	ck_assert_uint_eq(lb_nd_answer(frame, sizeof(frame), &pkt, vip6, lb_mac), 0);
	ns(vip6, 255, true, cl6); /* no room for the answer */
	ck_assert_uint_eq(lb_nd_answer(frame, LB_ND_FRAME_LEN - 1, &pkt, vip6, lb_mac), 0);
}
END_TEST

START_TEST(test_lb_nd_solicit_and_advert)
{
	uint8_t *ip = frame + 14, *icmp = ip + 40, target[16], tlla[6];
	static const uint8_t snm[16] = {0xff, 0x02, [11] = 1, 0xff, 0x12, 0x34, 0x56};
	static const uint8_t snm_mac[6] = {0x33, 0x33, 0xff, 0x12, 0x34, 0x56};

	memset(frame, 0xaa, sizeof(frame));
	ck_assert_uint_eq(lb_nd_solicit(frame, lb_mac, vip6, be6), LB_ND_FRAME_LEN);
	ck_assert_int_eq(fm_pkt_parse(frame, LB_ND_FRAME_LEN, &pkt), 0);
	ck_assert_uint_eq(pkt.proto, 58);
	ck_assert_mem_eq(frame, snm_mac, 6);
	ck_assert_mem_eq(ip + 8, vip6, 16);
	ck_assert_mem_eq(ip + 24, snm, 16);
	ck_assert_uint_eq(ip[7], 255);
	ck_assert_uint_eq(icmp[0], 135);
	ck_assert_mem_eq(icmp + 8, be6, 16);
	ck_assert_mem_eq(icmp + 26, lb_mac, 6);
	ck_assert_uint_eq(ref_sum(ip), 0);

	/* the backend's advertisement, as Linux sends it (solicited, override) */
	memcpy(frame, lb_mac, 6);
	memcpy(frame + 6, be_mac, 6);
	memcpy(ip + 24, vip6, 16);
	memcpy(ip + 8, be6, 16);
	icmp[0] = 136;
	icmp[4] = 0x60;
	icmp[24] = 2;
	memcpy(icmp + 26, be_mac, 6);
	ref_fill(ip, 2);
	ck_assert_int_eq(fm_pkt_parse(frame, LB_ND_FRAME_LEN, &pkt), 0);
	ck_assert_int_eq(lb_nd_advert(frame, &pkt, target, tlla), 0);
	ck_assert_mem_eq(target, be6, 16);
	ck_assert_mem_eq(tlla, be_mac, 6);
	/* a solicitation is no advertisement; a forged one from beyond a router is none either */
	icmp[0] = 135;
	ref_fill(ip, 2);
	ck_assert_int_ne(lb_nd_advert(frame, &pkt, target, tlla), 0);
	icmp[0] = 136;
	ip[7] = 254;
	ref_fill(ip, 2);
	ck_assert_int_ne(lb_nd_advert(frame, &pkt, target, tlla), 0);
	/* without a target link-layer address option */
	ip[7] = 255;
	wr16(ip + 4, 24);
	ref_fill(ip, 2);
	ck_assert_int_eq(fm_pkt_parse(frame, 14 + 40 + 24, &pkt), 0);
	ck_assert_int_ne(lb_nd_advert(frame, &pkt, target, tlla), 0);
}
END_TEST

/* A TCP (or UDP) packet client -> VIP:80 with `plen` payload bytes and a correct checksum. */
static uint32_t l4pkt(uint8_t proto, uint16_t plen)
{
	uint8_t *ip = frame + 14, *l4 = ip + 40;
	uint16_t hl = proto == 6 ? 20 : 8;

	memset(frame, 0, sizeof(frame));
	wr16(frame + 12, 0x86dd);
	ip[0] = 0x60;
	wr16(ip + 4, (uint16_t)(hl + plen));
	ip[6] = proto;
	ip[7] = 64;
	memcpy(ip + 8, cl6, 16);
	memcpy(ip + 24, vip6, 16);
	wr16(l4, 51234);
	wr16(l4 + 2, 80);
	if (proto == 6) {
		l4[12] = 5 << 4;
		l4[13] = 0x18;
		wr16(l4 + 14, 502);
	} else {
		wr16(l4 + 4, (uint16_t)(8 + plen));
	}
	for (uint16_t i = 0; i < plen; i++)
		l4[hl + i] = (uint8_t)(i * 37 + 11);
	ref_fill(ip, proto == 6 ? 16 : 6);
	ck_assert_uint_eq(ref_sum(ip), 0);
	return 14u + 40u + hl + plen;
}

START_TEST(test_lb_nd_rewrite_checksums)
{
	uint8_t *ip = frame + 14, *l4 = ip + 40;
	static const uint8_t protos[] = {6, 17};

	for (int k = 0; k < 2; k++) {
		for (uint16_t plen = 0; plen < 40; plen += 13) {
			l4pkt(protos[k], plen);
			/* to the backend: destination address and port */
			lb_nd_rewrite(ip, l4, protos[k], 24, 2, be6, 8080);
			ck_assert_mem_eq(ip + 24, be6, 16);
			ck_assert_mem_eq(ip + 8, cl6, 16);
			ck_assert_uint_eq(rd16(l4 + 2), 8080);
			ck_assert_uint_eq(ref_sum(ip), 0);
			/* the backend's reply gets the VIP back as its source */
			memcpy(ip + 8, be6, 16);
			memcpy(ip + 24, cl6, 16);
			wr16(l4, 8080);
			wr16(l4 + 2, 51234);
			ref_fill(ip, protos[k] == 6 ? 16 : 6);
			lb_nd_rewrite(ip, l4, protos[k], 8, 0, vip6, 80);
			ck_assert_mem_eq(ip + 8, vip6, 16);
			ck_assert_uint_eq(rd16(l4), 80);
			ck_assert_uint_eq(ref_sum(ip), 0);
			ck_assert_uint_ne(rd16(l4 + (protos[k] == 6 ? 16 : 6)), 0);
		}
	}
}
END_TEST

static Suite *lb_nd_suite(void)
{
	Suite *s = suite_create("lb_nd");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_lb_nd_answers_vip);
	tcase_add_test(tc, test_lb_nd_refuses_others);
	tcase_add_test(tc, test_lb_nd_solicit_and_advert);
	tcase_add_test(tc, test_lb_nd_rewrite_checksums);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(lb_nd_suite());
}
