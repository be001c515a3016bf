/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the cksum VNF's stream accounting (nfs/cksum/engine/cks_stream.h): the CRC-32 of
 * known strings; random buffers at every alignment against a bit-by-bit reference (and zlib's
 * crc32() when built with it); a stream fed in pieces cut at every position, and in random
 * pieces (1-byte ones included), gives the CRC and length of the whole.
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

static Suite *cks_suite(void)
{
	Suite *s = suite_create("cks_stream");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_cks_crc32_known_values);
	tcase_add_test(tc, test_cks_crc32_matches_reference_at_every_alignment);
	tcase_add_test(tc, test_cks_stream_add_split_at_every_position);
	tcase_add_test(tc, test_cks_stream_add_random_pieces);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(cks_suite());
}
