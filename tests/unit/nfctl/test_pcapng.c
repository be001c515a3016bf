/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_pcapng.c — nfctl's pcapng writer, read back by an independent block walker written here
 * from the format's description: block types and lengths (both copies, multiples of 4), the
 * section's byte-order magic, each interface's link type, name and nanosecond resolution, each
 * packet's interface, 64-bit timestamp, lengths, bytes, padding and direction flags.
 */
#include <check.h>

#include "fs_check.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng.h"

static uint8_t *buf;
static size_t len;

static uint32_t rd32(size_t off)
{
	uint32_t v;

	ck_assert_uint_le(off + 4, len);
	memcpy(&v, buf + off, 4);
	return v;
}

static uint16_t rd16(size_t off)
{
	uint16_t v;

	ck_assert_uint_le(off + 2, len);
	memcpy(&v, buf + off, 2);
	return v;
}

/* The option @p code of the options starting at @p off and ending at @p end: its offset or 0. */
static size_t find_opt(size_t off, size_t end, uint16_t code, uint16_t *olen)
{
	while (off + 4 <= end) {
		uint16_t c = rd16(off), l = rd16(off + 2);

		if (c == 0)
			return 0;
		if (c == code) {
			*olen = l;
			return off + 4;
		}
		off += 4 + ((l + 3u) & ~3u);
	}
	return 0;
}

START_TEST(test_pcapng_blocks)
{
	static const char *const names[2] = {"fw:in", "fw:out"};
	uint8_t pkt[61];
	FILE *f = open_memstream((char **)&buf, &len);
	size_t off, end;
	uint32_t blen;
	uint16_t ol;
	size_t o;

	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 7 + 1);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(pcapng_write_header(f, "nfctl test", names, 2, 1600), 0);
	ck_assert_int_eq(pcapng_write_packet(f, 0, 1700000000123456789ull, 1, pkt, 61, 61), 0);
	ck_assert_int_eq(pcapng_write_packet(f, 1, 1700000000999999999ull, 2, pkt, 60, 1514), 0);
	ck_assert_int_eq(pcapng_write_packet(f, 0, 5, 0, pkt, 0, 0), 0);
	ck_assert_int_eq(fclose(f), 0);

	/* section header */
	ck_assert_uint_eq(rd32(0), 0x0A0D0D0Au);
	blen = rd32(4);
	ck_assert_uint_eq(blen % 4, 0);
	ck_assert_uint_eq(rd32(blen - 4), blen);
	ck_assert_uint_eq(rd32(8), 0x1A2B3C4Du);
	ck_assert_uint_eq(rd16(12), 1);
	ck_assert_uint_eq(rd16(14), 0);
	o = find_opt(24, blen - 4, 4, &ol);
	ck_assert_uint_ne(o, 0);
	ck_assert_int_eq(memcmp(buf + o, "nfctl test", ol), 0);
	off = blen;
	/* two interfaces */
	for (int i = 0; i < 2; i++) {
		ck_assert_uint_eq(rd32(off), 1);
		blen = rd32(off + 4);
		ck_assert_uint_eq(blen % 4, 0);
		ck_assert_uint_eq(rd32(off + blen - 4), blen);
		ck_assert_uint_eq(rd16(off + 8), 1); /* LINKTYPE_ETHERNET */
		ck_assert_uint_eq(rd32(off + 12), 1600);
		end = off + blen - 4;
		o = find_opt(off + 16, end, 2, &ol);
		ck_assert_uint_ne(o, 0);
		ck_assert_uint_eq(ol, strlen(names[i]));
		ck_assert_int_eq(memcmp(buf + o, names[i], ol), 0);
		o = find_opt(off + 16, end, 9, &ol);
		ck_assert_uint_ne(o, 0);
		ck_assert_uint_eq(ol, 1);
		ck_assert_uint_eq(buf[o], 9); /* nanoseconds */
		off += blen;
	}
	/* three packets */
	static const struct {
		uint32_t ifc, caplen, orig, flags;
		uint64_t ts;
	} want[3] = {{0, 61, 61, 1, 1700000000123456789ull},
		     {1, 60, 1514, 2, 1700000000999999999ull},
		     {0, 0, 0, 0, 5}};
	for (int i = 0; i < 3; i++) {
		ck_assert_uint_eq(rd32(off), 6);
		blen = rd32(off + 4);
		ck_assert_uint_eq(blen % 4, 0);
		ck_assert_uint_eq(rd32(off + blen - 4), blen);
		ck_assert_uint_eq(rd32(off + 8), want[i].ifc);
		ck_assert_uint_eq(((uint64_t)rd32(off + 12) << 32) | rd32(off + 16), want[i].ts);
		ck_assert_uint_eq(rd32(off + 20), want[i].caplen);
		ck_assert_uint_eq(rd32(off + 24), want[i].orig);
		ck_assert_int_eq(memcmp(buf + off + 28, pkt, want[i].caplen), 0);
		for (uint32_t p = want[i].caplen; p % 4; p++)
			ck_assert_uint_eq(buf[off + 28 + p], 0); /* padding */
		size_t opts = off + 28 + ((want[i].caplen + 3u) & ~3u);

		o = find_opt(opts, off + blen - 4, 2, &ol);
		if (want[i].flags == 0) {
			ck_assert_uint_eq(o, 0);
			ck_assert_uint_eq(opts, off + blen - 4); /* no options at all */
		} else {
			ck_assert_uint_ne(o, 0);
			ck_assert_uint_eq(ol, 4);
			ck_assert_uint_eq(rd32(o) & 3u, want[i].flags);
		}
		off += blen;
	}
	ck_assert_uint_eq(off, len);
	free(buf);
}
END_TEST

START_TEST(test_pcapng_write_error)
{
	FILE *f = fopen("/dev/full", "wb");

	ck_assert_ptr_nonnull(f);
	setvbuf(f, NULL, _IONBF, 0); /* every write reaches the device */
	ck_assert_int_lt(pcapng_write_header(f, "x", NULL, 0, 1600), 0);
	ck_assert_int_lt(pcapng_write_packet(f, 0, 0, 1, (const uint8_t *)"abcd", 4, 4), 0);
	fclose(f);
}
END_TEST

static Suite *pcapng_suite(void)
{
	Suite *s = suite_create("pcapng");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_pcapng_blocks);
	tcase_add_test(tc, test_pcapng_write_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(pcapng_suite());
}
