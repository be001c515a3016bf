/* SPDX-License-Identifier: BSD-3-Clause */
/* cks_stream.c — CRC-32 (zlib) by slicing-by-8; see cks_stream.h. */
#include "cks_stream.h"

#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "slicing-by-8 reads words little-endian");

#define CKS_POLY 0xEDB88320u

static uint32_t crc_tab[8][256];
static int crc_ready;

void cks_crc32_init(void)
{
	if (crc_ready)
		return;
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ CKS_POLY : c >> 1;
		crc_tab[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_tab[t][i] =
			    (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xff];
	crc_ready = 1;
}

static inline uint32_t crc_byte(uint32_t c, uint8_t b)
{
	return (c >> 8) ^ crc_tab[0][(c ^ b) & 0xff];
}

uint32_t cks_crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t c = ~crc;

	while (len > 0 && ((uintptr_t)p & 7) != 0) {
		c = crc_byte(c, *p++);
		len--;
	}
	for (; len >= 8; p += 8, len -= 8) {
		uint32_t lo, hi;

		memcpy(&lo, p, 4); /* little-endian host (x86): byte 0 in the low bits */
		memcpy(&hi, p + 4, 4);
		lo ^= c;
		c = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^
		    crc_tab[5][(lo >> 16) & 0xff] ^ crc_tab[4][lo >> 24] ^ crc_tab[3][hi & 0xff] ^
		    crc_tab[2][(hi >> 8) & 0xff] ^ crc_tab[1][(hi >> 16) & 0xff] ^
		    crc_tab[0][hi >> 24];
	}
	while (len-- > 0)
		c = crc_byte(c, *p++);
	return ~c;
}

unsigned int cks_dir_segment(struct cks_dir *d, uint8_t flags, uint32_t seq, const void *pay,
			     uint32_t len)
{
	unsigned int ev = 0;

	if (d->state == CKS_DIR_NEW) {
		cks_stream_init(&d->st);
		d->role = !(flags & CKS_TCP_SYN) ? CKS_ROLE_NONE
			  : flags & CKS_TCP_ACK	 ? CKS_ROLE_REPLY
						 : CKS_ROLE_ORIG;
		d->next_seq = seq + (flags & CKS_TCP_SYN ? 1 : 0);
		d->state = CKS_DIR_OPEN;
		ev |= CKS_EV_OPENED;
	}
	if (d->state != CKS_DIR_OPEN)
		return ev | (len > 0 && !(flags & CKS_TCP_RST) ? CKS_EV_AFTER_END : 0);
	if (flags & CKS_TCP_RST) {
		d->state = CKS_DIR_ENDED;
		return ev | CKS_EV_RST;
	}
	if (len > 0) {
		uint32_t data_seq = seq + (flags & CKS_TCP_SYN ? 1 : 0);

		if (data_seq != d->next_seq)
			ev |= CKS_EV_GAP;
		d->next_seq = data_seq + len;
		cks_stream_add(&d->st, pay, len);
	}
	if (flags & CKS_TCP_FIN) {
		d->state = CKS_DIR_ENDED;
		ev |= CKS_EV_FIN;
	}
	return ev;
}
