/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cks_stream.h — checksum and length of one TCP stream direction, computed incrementally.
 *
 * What: the CRC-32 of the byte stream (the IEEE 802.3 / zlib polynomial 0xEDB88320, reflected,
 * initial and final XOR 0xFFFFFFFF: cks_crc32(0, buf, len) equals Python's zlib.crc32(buf)) and
 * the number of bytes. The cksum VNF keeps one `struct cks_stream` per direction in the session's
 * scratchpad and feeds it every payload byte of the direction exactly once and in order (which
 * the platform's TCP context promises to `in_order` VNFs); when the direction ends the value is
 * that of the whole stream.
 *
 * Design: slicing-by-8 tables (8 KB, built once by cks_crc32_init(); thread-safe after it), one
 * table look-up per byte on the unaligned head and tail. The running value is kept finalised
 * (XOR-ed out) between calls, so cks_crc32(cks_crc32(0, a), b) == cks_crc32(0, a || b), as with
 * zlib's crc32().
 *
 * The stream state is pointer-free (it lives in shared memory and survives a restart of the
 * VNF). No allocation; no DPDK.
 */
#ifndef CKS_STREAM_H
#define CKS_STREAM_H

#include <stddef.h>
#include <stdint.h>

/** Builds the tables; call once before any other function (idempotent, not thread-safe). */
void cks_crc32_init(void);

/** CRC-32 of buf[0..len) continuing from crc (0 to start): zlib's crc32(crc, buf, len). */
uint32_t cks_crc32(uint32_t crc, const void *buf, size_t len);

/** State of one stream direction; all zero is a valid empty stream. */
struct cks_stream {
	uint64_t bytes; /* stream bytes seen */
	uint32_t crc;	/* CRC-32 of those bytes */
	uint32_t pad;
};

static inline void cks_stream_init(struct cks_stream *s)
{
	s->bytes = 0;
	s->crc = 0;
	s->pad = 0;
}

/** Appends buf[0..len) to the stream. */
static inline void cks_stream_add(struct cks_stream *s, const void *buf, size_t len)
{
	s->crc = cks_crc32(s->crc, buf, len);
	s->bytes += len;
}

#endif /* CKS_STREAM_H */
