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

/*
 * One TCP stream direction as the cksum VNF follows it: opened by its first segment (the SYN's
 * sender is the connection's originator, the SYN-ACK's the replier; a direction picked up
 * mid-stream has no role), every payload byte added once in the order given (the platform's
 * in-order contract), ended by a FIN (its payload counted) or an RST (its payload not counted:
 * receivers discard it). Payload after the end is not counted. All zero is a direction not seen
 * yet (nfsdk zeroes scratchpads).
 */
enum cks_dir_state { CKS_DIR_NEW = 0, CKS_DIR_OPEN, CKS_DIR_ENDED };
enum cks_role { CKS_ROLE_NONE = 0, CKS_ROLE_ORIG, CKS_ROLE_REPLY };

#define CKS_TCP_FIN 0x01
#define CKS_TCP_SYN 0x02
#define CKS_TCP_RST 0x04
#define CKS_TCP_ACK 0x10

struct cks_dir {
	struct cks_stream st;
	uint32_t next_seq; /* sequence number of the next payload byte expected */
	uint8_t state;	   /* enum cks_dir_state */
	uint8_t role;	   /* enum cks_role */
	uint8_t pad[2];
};

/* What a segment did (bits of the result of cks_dir_segment). */
#define CKS_EV_OPENED	 0x01 /* the direction was opened by this segment */
#define CKS_EV_FIN	 0x02 /* ... ended by its FIN */
#define CKS_EV_RST	 0x04 /* ... ended by its RST */
#define CKS_EV_GAP	 0x08 /* payload not at the expected sequence number (still counted) */
#define CKS_EV_AFTER_END 0x10 /* payload after the end: not counted */

/** Accounts one segment (TCP flags byte, sequence number, payload) of direction d. */
unsigned int cks_dir_segment(struct cks_dir *d, uint8_t flags, uint32_t seq, const void *pay,
			     uint32_t len);

#endif /* CKS_STREAM_H */
