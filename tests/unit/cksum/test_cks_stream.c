/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the cksum VNF's stream accounting (nfs/cksum/engine/cks_stream.h): the CRC-32 of
 * known strings; random buffers at every alignment against a bit-by-bit reference (and zlib's
 * crc32() when built with it); a stream fed in pieces cut at every position, and in random
 * pieces (1-byte ones included), gives the CRC and length of the whole. The direction's
 * accounting: roles from the SYN flags, payload across the 2^32 wrap, FIN payload counted, RST
 * payload and payload after the end not counted, gaps reported, mid-stream pick-up.
 */
#include <check.h>

#include "fs_check.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef CKS_TEST_ZLIB
#include <zlib.h>
#endif

#include "cks_stream.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void fill(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rnd();
}

/* The definition: one bit at a time. */
static uint32_t ref_crc32(const uint8_t *b, size_t n)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= b[i];
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
	}
	return ~c;
}

START_TEST(test_cks_crc32_known_values)
{
	cks_crc32_init();
	ck_assert_uint_eq(cks_crc32(0, "", 0), 0);
	ck_assert_uint_eq(cks_crc32(0, "123456789", 9), 0xCBF43926u);
	ck_assert_uint_eq(cks_crc32(0, "a", 1), 0xE8B7BE43u);
	ck_assert_uint_eq(cks_crc32(0, "The quick brown fox jumps over the lazy dog", 43),
			  0x414FA339u);
}
END_TEST

START_TEST(test_cks_crc32_matches_reference_at_every_alignment)
{
	static uint8_t buf[4096 + 8];

	cks_crc32_init();
	fill(buf, sizeof(buf));
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len < 80; len++)
			ck_assert_uint_eq(cks_crc32(0, buf + off, len), ref_crc32(buf + off, len));
	for (int i = 0; i < 200; i++) {
		size_t off = rnd() % 8, len = rnd() % 4096;

		ck_assert_uint_eq(cks_crc32(0, buf + off, len), ref_crc32(buf + off, len));
#ifdef CKS_TEST_ZLIB
		ck_assert_uint_eq(cks_crc32(0, buf + off, len),
				  (uint32_t)crc32(0, buf + off, (uInt)len));
#endif
	}
}
END_TEST

START_TEST(test_cks_stream_add_split_at_every_position)
{
	static uint8_t buf[600];
	uint32_t whole;

	cks_crc32_init();
	fill(buf, sizeof(buf));
	whole = ref_crc32(buf, sizeof(buf));
	for (size_t a = 0; a <= sizeof(buf); a++) {
		struct cks_stream s;

		cks_stream_init(&s);
		cks_stream_add(&s, buf, a);
		cks_stream_add(&s, buf + a, sizeof(buf) - a);
		ck_assert_uint_eq(s.crc, whole);
		ck_assert_uint_eq(s.bytes, sizeof(buf));
	}
}
END_TEST

START_TEST(test_cks_stream_add_random_pieces)
{
	static uint8_t buf[1 << 16];

	cks_crc32_init();
	for (int round = 0; round < 50; round++) {
		size_t len = rnd() % sizeof(buf), at = 0;
		struct cks_stream s = {0};

		fill(buf, len);
		while (at < len) {
			size_t piece = rnd() % 4 == 0 ? 1 : rnd() % 3000;

			if (piece > len - at)
				piece = len - at;
			cks_stream_add(&s, buf + at, piece);
			at += piece;
		}
		ck_assert_uint_eq(s.bytes, len);
		ck_assert_uint_eq(s.crc, ref_crc32(buf, len));
	}
}
END_TEST

#define F CKS_TCP_FIN
#define S CKS_TCP_SYN
#define R CKS_TCP_RST
#define A CKS_TCP_ACK

START_TEST(test_cks_dir_segment_open_data_fin)
{
	static const char a[] = "hello ", b[] = "world";
	struct cks_dir d = {0};

	cks_crc32_init();
	ck_assert_uint_eq(cks_dir_segment(&d, S, 0xfffffffe, NULL, 0), CKS_EV_OPENED);
	ck_assert_uint_eq(d.role, CKS_ROLE_ORIG);
	ck_assert_uint_eq(cks_dir_segment(&d, A, 0xffffffff, a, 6), 0); /* across 2^32 */
	ck_assert_uint_eq(cks_dir_segment(&d, A, 5, NULL, 0), 0);	/* pure ACK */
	ck_assert_uint_eq(cks_dir_segment(&d, A | F, 5, b, 5), CKS_EV_FIN);
	ck_assert_uint_eq(d.st.bytes, 11);
	ck_assert_uint_eq(d.st.crc, ref_crc32((const uint8_t *)"hello world", 11));
	ck_assert_uint_eq(cks_dir_segment(&d, A, 10, "x", 1), CKS_EV_AFTER_END);
	ck_assert_uint_eq(cks_dir_segment(&d, A | F, 10, NULL, 0), 0); /* FIN retransmitted */
	ck_assert_uint_eq(d.st.bytes, 11);
}
END_TEST

START_TEST(test_cks_dir_segment_roles_gaps_and_rst)
{
	struct cks_dir d = {0}, m = {0}, r = {0};

	cks_crc32_init();
	ck_assert_uint_eq(cks_dir_segment(&d, S | A, 100, NULL, 0), CKS_EV_OPENED);
	ck_assert_uint_eq(d.role, CKS_ROLE_REPLY);
	ck_assert_uint_eq(cks_dir_segment(&d, A, 101, "ab", 2), 0);
	ck_assert_uint_eq(cks_dir_segment(&d, A, 200, "cd", 2), CKS_EV_GAP); /* counted anyway */
	ck_assert_uint_eq(cks_dir_segment(&d, A | R, 202, "zz", 2), CKS_EV_RST);
	ck_assert_uint_eq(d.st.bytes, 4); /* an RST's payload is not counted */
	ck_assert_uint_eq(d.st.crc, ref_crc32((const uint8_t *)"abcd", 4));
	ck_assert_uint_eq(cks_dir_segment(&d, A | R, 202, "zz", 2), 0);
	/* picked up mid-stream: no role, the first payload byte is offset 0 */
	ck_assert_uint_eq(cks_dir_segment(&m, A, 7, "xyz", 3), CKS_EV_OPENED);
	ck_assert_uint_eq(m.role, CKS_ROLE_NONE);
	ck_assert_uint_eq(m.st.bytes, 3);
	/* a SYN with data (TFO): the data follows the SYN's sequence number */
	ck_assert_uint_eq(cks_dir_segment(&r, S, 50, "q", 1), CKS_EV_OPENED);
	ck_assert_uint_eq(cks_dir_segment(&r, A, 52, "r", 1), 0);
	ck_assert_uint_eq(r.st.crc, ref_crc32((const uint8_t *)"qr", 2));
}
END_TEST

static Suite *cks_suite(void)
{
	Suite *s = suite_create("cks_stream");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_cks_crc32_known_values);
	tcase_add_test(tc, test_cks_crc32_matches_reference_at_every_alignment);
	tcase_add_test(tc, test_cks_stream_add_split_at_every_position);
	tcase_add_test(tc, test_cks_stream_add_random_pieces);
	tcase_add_test(tc, test_cks_dir_segment_open_data_fin);
	tcase_add_test(tc, test_cks_dir_segment_roles_gaps_and_rst);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(cks_suite());
}
