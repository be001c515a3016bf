/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_nf_udp.c — nf_udp4_fix()/nf_udp_fix(), the header fix-up of an IPv4 or IPv6 UDP datagram
 * whose payload an edit resized (nfsdk/stream.h, UDP context in docs/streams.md): against datagrams
 * built by an independent computation (Python's, bytes below) and, on random datagrams, against a
 * reference checksum written the plain RFC 1071 way (a pseudo-header buffer, a byte loop); and the
 * TCP segments VNFs build to reset a connection or answer a request (nfsdk/nf_pkt.h) against the
 * same reference.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs_check.h"
#include "nfsdk/nf_pkt.h"
#include "nfsdk/stream.h"

/* 198.18.0.1:40000 -> 198.19.0.2:7001, "hello ATTACK world!" and "hello  world!" (checksums by
 * a separate Python implementation). */
static const uint8_t with_word[47] = {
    0x45, 0x00, 0x00, 0x2f, 0x00, 0x07, 0x00, 0x00, 0x40, 0x11, 0xee, 0x8e, 0xc6, 0x12, 0x00, 0x01,
    0xc6, 0x13, 0x00, 0x02, 0x9c, 0x40, 0x1b, 0x59, 0x00, 0x1b, 0x81, 0xd4, 0x68, 0x65, 0x6c, 0x6c,
    0x6f, 0x20, 0x41, 0x54, 0x54, 0x41, 0x43, 0x4b, 0x20, 0x77, 0x6f, 0x72, 0x6c, 0x64, 0x21};
static const uint8_t without_word[41] = {
    0x45, 0x00, 0x00, 0x29, 0x00, 0x07, 0x00, 0x00, 0x40, 0x11, 0xee, 0x94, 0xc6, 0x12,
    0x00, 0x01, 0xc6, 0x13, 0x00, 0x02, 0x9c, 0x40, 0x1b, 0x59, 0x00, 0x15, 0x5a, 0xc1,
    0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x20, 0x77, 0x6f, 0x72, 0x6c, 0x64, 0x21};

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* RFC 1071, byte by byte: the folded one's-complement sum of buf (0xffff: the checksum holds). */
static unsigned int ref_sum(const uint8_t *buf, size_t n)
{
	unsigned long s = 0;

	for (size_t i = 0; i < n; i++)
		s += (i % 2 == 0) ? (unsigned long)buf[i] * 256 : buf[i];
	while (s > 0xffff)
		s = (s & 0xffff) + (s >> 16);
	return (unsigned int)s;
}

/* The datagram at ip (IPv4 UDP) is consistent: lengths, header checksum, UDP checksum (or 0). */
static void check_valid(const uint8_t *ip, size_t l3len, int want_udp_ck)
{
	static uint8_t ph[12 + 65536];
	size_t ihl = (size_t)(ip[0] & 15) * 4, ulen = l3len - ihl;
	const uint8_t *udp = ip + ihl;

	ck_assert_uint_eq((size_t)ip[2] * 256 + ip[3], l3len);
	ck_assert_uint_eq((size_t)udp[4] * 256 + udp[5], ulen);
	ck_assert_uint_eq(ref_sum(ip, ihl), 0xffff);
	if (!want_udp_ck) {
		ck_assert(udp[6] == 0 && udp[7] == 0);
		return;
	}
	ck_assert(udp[6] != 0 || udp[7] != 0);
	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = 17;
	ph[10] = (uint8_t)(ulen >> 8);
	ph[11] = (uint8_t)ulen;
	memcpy(ph + 12, udp, ulen);
	ck_assert_uint_eq(ref_sum(ph, 12 + ulen), 0xffff);
}

START_TEST(test_nf_udp4_fix_removal_matches_reference)
{
	uint8_t d[64];

	memcpy(d, with_word, sizeof(with_word));
	memmove(d + 34, d + 40, sizeof(with_word) - 40); /* "ATTACK" out of the payload */
	ck_assert_int_eq(nf_udp4_fix(d, 41), 0);
	ck_assert_mem_eq(d, without_word, sizeof(without_word));
	check_valid(d, 41, 1);
}
END_TEST

START_TEST(test_nf_udp4_fix_growth_matches_reference)
{
	uint8_t d[64];

	memcpy(d, without_word, sizeof(without_word));
	memmove(d + 40, d + 34, sizeof(without_word) - 34);
	memcpy(d + 34, "ATTACK", 6);
	ck_assert_int_eq(nf_udp4_fix(d, 47), 0);
	ck_assert_mem_eq(d, with_word, sizeof(with_word));
}
END_TEST

START_TEST(test_nf_udp4_fix_zero_checksum_stays_zero)
{
	uint8_t d[64];

	memcpy(d, with_word, sizeof(with_word));
	d[26] = d[27] = 0; /* the sender sent no checksum */
	memmove(d + 34, d + 40, sizeof(with_word) - 40);
	ck_assert_int_eq(nf_udp4_fix(d, 41), 0);
	check_valid(d, 41, 0);
	ck_assert_mem_eq(d, without_word, 26);	 /* IPv4 header and UDP length as with a checksum */
	ck_assert_int_eq(nf_udp4_fix(d, 28), 0); /* down to an empty datagram */
	check_valid(d, 28, 0);
}
END_TEST

/* A payload whose checksum computes to 0 goes out as 0xffff (0 would mean "none"). */
START_TEST(test_nf_udp4_fix_computed_zero_sent_as_ones)
{
	uint8_t d[64];
	unsigned int w;

	for (w = 0; w < 65536; w++) {
		memcpy(d, with_word, sizeof(with_word));
		d[45] = (uint8_t)(w >> 8); /* the last two payload bytes */
		d[46] = (uint8_t)w;
		ck_assert_int_eq(nf_udp4_fix(d, 47), 0);
		if (d[26] == 0xff && d[27] == 0xff)
			break;
	}
	ck_assert_uint_lt(w, 65536);
	check_valid(d, 47, 1);
}
END_TEST

START_TEST(test_nf_udp4_fix_rejects_what_is_not_udp)
{
	uint8_t d[64];

	memcpy(d, with_word, sizeof(with_word));
	ck_assert_int_eq(nf_udp4_fix(NULL, 47), -EINVAL);
	ck_assert_int_eq(nf_udp4_fix(d, 27), -EINVAL);	  /* shorter than IPv4 + UDP headers */
	ck_assert_int_eq(nf_udp4_fix(d, 65536), -EINVAL); /* beyond an IPv4 length */
	d[9] = 6;					  /* TCP */
	ck_assert_int_eq(nf_udp4_fix(d, 47), -EINVAL);
	d[9] = 17;
	d[0] = 0x65; /* not IPv4 */
	ck_assert_int_eq(nf_udp4_fix(d, 47), -EINVAL);
	d[0] = 0x44; /* IHL 4 */
	ck_assert_int_eq(nf_udp4_fix(d, 47), -EINVAL);
	d[0] = 0x45;
	ck_assert_mem_eq(d + 1, with_word + 1, sizeof(with_word) - 1); /* nothing written */
}
END_TEST

/* Random datagrams (IPv4 options, odd lengths, payload 0..1472, checksum or none), resized by a
 * random edit: after the fix-up the reference computation must accept them. */
START_TEST(test_nf_udp4_fix_random_against_reference)
{
	static uint8_t d[60 + 8 + 2000];
	uint32_t seed = 0x5eedu;

	for (int iter = 0; iter < 3000; iter++) {
		uint32_t ihl = 20 + 4 * (rnd(&seed) % 11), plen = rnd(&seed) % 1473;
		int with_ck = rnd(&seed) % 4 != 0;

		for (uint32_t i = 0; i < ihl + 8 + plen; i++)
			d[i] = (uint8_t)rnd(&seed);
		d[0] = (uint8_t)(0x40 | ihl / 4);
		d[9] = 17;
		d[ihl + 6] = with_ck ? 0x12 : 0; /* stale, but "present" */
		d[ihl + 7] = with_ck ? 0x34 : 0;
		ck_assert_int_eq(nf_udp4_fix(d, ihl + 8 + plen), 0);
		check_valid(d, ihl + 8 + plen, with_ck);
	}
}
END_TEST

/* A TCP frame: Ethernet (+ one VLAN tag when vlan), IPv4 or IPv6, 20-byte TCP header, 5 bytes. */
static uint32_t tcp_frame(uint8_t *f, int v6, int vlan)
{
	uint32_t l3 = vlan ? 18 : 14, l4 = l3 + (v6 ? 40 : 20);

	memset(f, 0, 128);
	memcpy(f, "\x02\x00\x00\x00\x00\x0b", 6);     /* destination MAC */
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x0a", 6); /* source MAC */
	if (vlan)
		memcpy(f + 12, "\x81\x00\x00\x07", 4);
	memcpy(f + l3 - 2, v6 ? "\x86\xdd" : "\x08\x00", 2);
	if (!v6) {
		memcpy(f + l3, "\x45\x00\x00\x2d", 4);
		f[l3 + 8] = 64;
		f[l3 + 9] = 6;
		memcpy(f + l3 + 12, "\xc6\x12\x00\x01\xc6\x12\x00\x02", 8); /* 198.18.0.1 > .2 */
	} else {
		f[l3] = 0x60;
		f[l3 + 5] = 25;
		f[l3 + 6] = 6;
		f[l3 + 7] = 64;
		for (int i = 0; i < 16; i++) {
			f[l3 + 8 + i] = (uint8_t)(0x20 + i);
			f[l3 + 24 + i] = (uint8_t)(0x40 + i);
		}
	}
	memcpy(f + l4, "\x9c\x40\x00\x50", 4); /* 40000 > 80 */
	memcpy(f + l4 + 4, "\x00\x00\x10\x00\x00\x00\x20\x00", 8);
	f[l4 + 12] = 5 << 4;
	f[l4 + 13] = 0x18;
	memcpy(f + l4 + 20, "hello", 5);
	return l3;
}

/* The segment at out (l3 = its IP header) is consistent: lengths and both checksums. */
static void check_tcp_valid(const uint8_t *out, uint32_t l3, int v6, uint32_t tcp_len)
{
	static uint8_t ph[40 + 1600];
	const uint8_t *ip = out + l3, *tcp = ip + (v6 ? 40 : 20);
	uint32_t alen = v6 ? 32 : 8;

	if (!v6) {
		ck_assert_uint_eq((uint32_t)ip[2] * 256 + ip[3], 20 + tcp_len);
		ck_assert_uint_eq(ref_sum(ip, 20), 0xffff);
	} else {
		ck_assert_uint_eq((uint32_t)ip[4] * 256 + ip[5], tcp_len);
	}
	memcpy(ph, ip + (v6 ? 8 : 12), alen);
	memset(ph + alen, 0, 4);
	ph[alen + 1] = 6;
	ph[alen + 2] = (uint8_t)(tcp_len >> 8);
	ph[alen + 3] = (uint8_t)tcp_len;
	memcpy(ph + alen + 4, tcp, tcp_len);
	ck_assert_uint_eq(ref_sum(ph, alen + 4 + tcp_len), 0xffff);
}

START_TEST(test_nf_tcp_segment_back_to_sender_ipv4_vlan)
{
	uint8_t f[128], out[128];
	uint32_t l3 = tcp_frame(f, 0, 1);
	uint32_t len = nf_tcp_segment_build(f, l3, l3 + 20, false, false, 0x2000, 0x1005, 0x19, 512,
					    "403", 3, out, sizeof(out));
	const uint8_t *ip = out + l3, *tcp = ip + 20;

	ck_assert_uint_eq(len, 18 + 20 + 20 + 3);
	ck_assert_mem_eq(out, f + 6, 6); /* back to the sender's MAC */
	ck_assert_mem_eq(out + 6, f, 6);
	ck_assert_mem_eq(out + 12, f + 12, 6); /* VLAN tag and ethertype kept */
	ck_assert_mem_eq(ip + 12, "\xc6\x12\x00\x02\xc6\x12\x00\x01", 8);
	ck_assert_uint_eq(ip[8], 64);
	ck_assert_mem_eq(tcp, "\x00\x50\x9c\x40", 4);
	ck_assert_uint_eq(nf_rd32(tcp + 4), 0x2000);
	ck_assert_uint_eq(nf_rd32(tcp + 8), 0x1005);
	ck_assert_uint_eq(tcp[12], 5 << 4);
	ck_assert_uint_eq(tcp[13], 0x19);
	ck_assert_uint_eq(nf_rd16(tcp + 14), 512);
	ck_assert_mem_eq(tcp + 20, "403", 3);
	check_tcp_valid(out, l3, 0, 23);
	/* one byte short of room: nothing */
	ck_assert_uint_eq(nf_tcp_segment_build(f, l3, l3 + 20, false, false, 1, 2, 0x10, 1, "403",
					       3, out, len - 1),
			  0);
}
END_TEST

START_TEST(test_nf_tcp_segment_rst_to_receiver_ipv6)
{
	uint8_t f[128], out[128];
	uint32_t l3 = tcp_frame(f, 1, 0);
	uint32_t len = nf_tcp_segment_build(f, l3, l3 + 40, true, true, 0x1005, 0x2000, 0x14, 999,
					    NULL, 0, out, sizeof(out));
	const uint8_t *ip = out + l3, *tcp = ip + 40;

	ck_assert_uint_eq(len, 14 + 40 + 20);
	ck_assert_mem_eq(out, f, 14);		  /* same MACs, same ethertype */
	ck_assert_mem_eq(ip + 8, f + l3 + 8, 32); /* same addresses */
	ck_assert_uint_eq(ip[0], 0x60);
	ck_assert_uint_eq(ip[6], 6);
	ck_assert_mem_eq(tcp, f + l3 + 40, 4); /* same ports */
	ck_assert_uint_eq(tcp[13], 0x14);
	ck_assert_uint_eq(nf_rd16(tcp + 14), 0); /* no window on an RST */
	check_tcp_valid(out, l3, 1, 20);
}
END_TEST

START_TEST(test_nf_tcp_segment_short_frame_padded)
{
	uint8_t f[128], out[128];
	uint32_t l3 = tcp_frame(f, 0, 0), len;

	memset(out, 0xee, sizeof(out));
	len = nf_tcp_segment_build(f, l3, l3 + 20, false, true, 7, 9, 0x10, 100, NULL, 0, out,
				   sizeof(out));
	ck_assert_uint_eq(len, NF_ETH_MIN);
	for (uint32_t i = 54; i < NF_ETH_MIN; i++)
		ck_assert_uint_eq(out[i], 0);
	check_tcp_valid(out, l3, 0, 20);
	/* the fix-up alone, on a segment whose payload changed */
	out[l3 + 20 + 13] = 0x11;
	nf_tcp_fix_sums(out + l3, false, 20);
	check_tcp_valid(out, l3, 0, 20);
}
END_TEST

/* ---- IPv6 (issue #13 item 3): nf_udp_fix() on IPv6 datagrams, with or without a destination
 * options header before the UDP header ----------------------------------------------------------
 */

/* fd00:6::1:40000 -> fd00:6::12:7001 carrying pay[0..plen), ext bytes of destination options
 * (0 or 8); the UDP checksum set by the reference. Returns the datagram's length from ip. */
static size_t build6(uint8_t *ip, size_t ext, const uint8_t *pay, size_t plen);

/* The IPv6 UDP datagram at ip (UDP header at l4off) is consistent: lengths, UDP checksum over the
 * RFC 8200 pseudo-header (addresses, 32-bit upper-layer length, three zeros, 17). */
static void check_valid6(const uint8_t *ip, size_t l4off, size_t l3len)
{
	static uint8_t ph[40 + 65536];
	size_t ulen = l3len - l4off;
	const uint8_t *udp = ip + l4off;

	ck_assert_uint_eq((size_t)ip[4] * 256 + ip[5], l3len - 40);
	ck_assert_uint_eq((size_t)udp[4] * 256 + udp[5], ulen);
	ck_assert(udp[6] != 0 || udp[7] != 0);
	memcpy(ph, ip + 8, 32);
	memset(ph + 32, 0, 8);
	ph[34] = (uint8_t)(ulen >> 8);
	ph[35] = (uint8_t)ulen;
	ph[39] = 17;
	memcpy(ph + 40, udp, ulen);
	ck_assert_uint_eq(ref_sum(ph, 40 + ulen), 0xffff);
}

static size_t build6(uint8_t *ip, size_t ext, const uint8_t *pay, size_t plen)
{
	size_t l4off = 40 + ext, len = l4off + 8 + plen;
	uint8_t *udp = ip + l4off;
	static uint8_t ph[40 + 65536];
	unsigned int sum;

	memset(ip, 0, l4off + 8);
	ip[0] = 0x60;
	ip[4] = (uint8_t)((len - 40) >> 8);
	ip[5] = (uint8_t)(len - 40);
	ip[6] = ext ? 60 : 17;
	ip[7] = 64;
	memcpy(ip + 8, "\xfd\x00\x00\x06\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	memcpy(ip + 24, "\xfd\x00\x00\x06\0\0\0\0\0\0\0\0\0\0\0\x12", 16);
	if (ext)
		memcpy(ip + 40, "\x11\x00\x01\x04\x00\x00\x00\x00", 8);
	udp[0] = 0x9c, udp[1] = 0x40, udp[2] = 0x1b, udp[3] = 0x59;
	udp[4] = (uint8_t)((8 + plen) >> 8);
	udp[5] = (uint8_t)(8 + plen);
	memcpy(udp + 8, pay, plen);
	memcpy(ph, ip + 8, 32);
	memset(ph + 32, 0, 8);
	ph[34] = udp[4], ph[35] = udp[5], ph[39] = 17;
	memcpy(ph + 40, udp, 8 + plen);
	sum = ~ref_sum(ph, 48 + plen) & 0xffff;
	udp[6] = (uint8_t)(sum >> 8);
	udp[7] = (uint8_t)sum;
	check_valid6(ip, l4off, len);
	return len;
}

/* "hello ATTACK world!" -> "hello  world!" and back, as the rewrite VNF edits a datagram. */
START_TEST(test_nf_udp_fix_ipv6_remove_and_grow)
{
	static const char a[] = "hello ATTACK world!", b[] = "hello  world!";
	uint8_t d[128], want[128];

	for (size_t ext = 0; ext <= 8; ext += 8) {
		size_t l4 = 40 + ext, la = build6(d, ext, (const uint8_t *)a, 19);
		size_t lb = build6(want, ext, (const uint8_t *)b, 13);

		build6(d, ext, (const uint8_t *)a, 19);
		memmove(d + l4 + 8 + 6, d + l4 + 8 + 12, 7); /* "ATTACK" out */
		ck_assert_int_eq(nf_udp_fix(d, (uint32_t)l4, (uint32_t)lb), 0);
		check_valid6(d, l4, lb);
		ck_assert_mem_eq(d, want, lb); /* the same bytes as a datagram built that way */
		memmove(d + l4 + 8 + 12, d + l4 + 8 + 6, 7);
		memcpy(d + l4 + 8 + 6, "ATTACK", 6);
		ck_assert_int_eq(nf_udp_fix(d, (uint32_t)l4, (uint32_t)la), 0);
		build6(want, ext, (const uint8_t *)a, 19);
		ck_assert_mem_eq(d, want, la);
	}
}
END_TEST

START_TEST(test_nf_udp_fix_ipv6_random_against_reference)
{
	static uint8_t d[1600], pay[1500];
	uint32_t seed = 0x6c0ffee6;

	for (int it = 0; it < 2000; it++) {
		size_t ext = (rnd(&seed) & 1) * 8, l4 = 40 + ext;
		size_t plen = rnd(&seed) % 1400, nlen = rnd(&seed) % 1400;

		for (size_t i = 0; i < 1500; i++)
			pay[i] = (uint8_t)rnd(&seed);
		build6(d, ext, pay, plen);
		memcpy(d + l4 + 8, pay + 50, nlen); /* an edit of any length */
		ck_assert_int_eq(nf_udp_fix(d, (uint32_t)l4, (uint32_t)(l4 + 8 + nlen)), 0);
		check_valid6(d, l4, l4 + 8 + nlen);
		ck_assert_uint_eq(d[6], ext ? 60 : 17); /* the chain of headers is untouched */
	}
	/* refused: a UDP header beyond the datagram, inside the IPv6 header, IPv4 at a wrong offset
	 */
	build6(d, 0, pay, 10);
	ck_assert_int_eq(nf_udp_fix(d, 40, 47), -EINVAL);
	ck_assert_int_eq(nf_udp_fix(d, 20, 58), -EINVAL);
	memcpy(d, with_word, sizeof(with_word));
	ck_assert_int_eq(nf_udp_fix(d, 24, 47), -EINVAL);
	ck_assert_int_eq(nf_udp_fix(d, 20, 47), 0); /* and the IPv4 one through it */
	ck_assert_mem_eq(d, with_word, sizeof(with_word));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("nf_udp");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_nf_udp4_fix_removal_matches_reference);
	tcase_add_test(tc, test_nf_udp4_fix_growth_matches_reference);
	tcase_add_test(tc, test_nf_udp4_fix_zero_checksum_stays_zero);
	tcase_add_test(tc, test_nf_udp4_fix_computed_zero_sent_as_ones);
	tcase_add_test(tc, test_nf_udp4_fix_rejects_what_is_not_udp);
	tcase_add_test(tc, test_nf_udp4_fix_random_against_reference);
	tcase_add_test(tc, test_nf_tcp_segment_back_to_sender_ipv4_vlan);
	tcase_add_test(tc, test_nf_tcp_segment_rst_to_receiver_ipv6);
	tcase_add_test(tc, test_nf_tcp_segment_short_frame_padded);
	tcase_add_test(tc, test_nf_udp_fix_ipv6_remove_and_grow);
	tcase_add_test(tc, test_nf_udp_fix_ipv6_random_against_reference);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(suite());
}
