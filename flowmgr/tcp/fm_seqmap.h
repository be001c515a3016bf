/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_seqmap.h — one direction's TCP modification list: SEQ, ACK and SACK mapping between the
 * original stream (what the sender sent) and the modified stream (what the receiver gets) when
 * VNFs insert or remove bytes (paper §IV-C, Figure 11). Pure C, no DPDK.
 *
 * What: a TCP context keeps two of these, one per direction. Direction d's map translates
 *  - the SEQ (and payload length) of a segment sent in direction d, original -> modified
 *    (fm_seqmap_map_seq(), fm_seqmap_map_segment());
 *  - the ACK and each SACK block of a segment sent in the OTHER direction, which point into
 *    direction d's stream, modified -> original (fm_seqmap_unmap_ack(), fm_seqmap_unmap_sack());
 *  - and forgets what the receiver has acknowledged (fm_seqmap_prune(), fm_seqmap_ack()).
 *
 * Design: a sorted, fixed-capacity array of FM_SEQMAP_CAP entries {pos, rem, ins}: at original
 * position pos (a 32-bit sequence number), the original bytes [pos, pos+rem) are removed and ins
 * new bytes take their place. The paper's signed delta of an entry is ins - rem; keeping both
 * counts lets a replace be one entry and lets ACKs that land inside a replaced region map
 * exactly. Entries never overlap: pos_i + rem_i <= pos_{i+1}. Entries that are fully
 * acknowledged are folded into `base`, the delta of everything pruned; `floor` is the original
 * position up to which the receiver has acknowledged everything. Never a single cumulative offset
 * for everything: a retransmission of data before a still-unacknowledged modification maps with
 * the entries before it only. All comparisons are RFC 1982 serial-number comparisons (int32 of a
 * difference); every live position lies in [floor, floor + 2^31), so the stream may wrap 2^32
 * any number of times. Cost: every call walks the list, O(FM_SEQMAP_CAP); no allocation.
 *
 * Mapping rules. Give every modified byte an origin: a kept byte its own original position, an
 * inserted byte the position pos of its entry ("inserted bytes travel with original byte pos").
 *  - map(o) = ISN + number of modified bytes whose origin is < o. It is the modified position of
 *    original byte o when o is kept and nothing is inserted at o; of the first inserted byte at o
 *    otherwise; and for a removed byte, of what follows the removed run (map is flat over it).
 *  - A segment [s, s+len) goes out as [map(s), map(s+len)): it carries its kept bytes and the
 *    bytes inserted at every pos with s <= pos < s+len, at the head of the run that starts at pos.
 *    Bytes inserted at the segment's END position belong to the NEXT segment. To append at the
 *    very end of a stream, insert at the FIN's sequence number and map the FIN segment with
 *    len + 1 (FIN occupies one sequence number): its FIN goes out at map(s+len+1) - 1.
 *  - unmap(A) (cumulative ACK A in modified space) = the largest o with map(o) <= A: original
 *    byte b is acknowledged once every modified byte of origin <= b is. Consequences: an ACK
 *    that covers only part of inserted bytes maps to their position pos (the original byte at pos
 *    is not acknowledged yet); removed bytes are acknowledged as soon as everything before them
 *    (including bytes inserted in their place) is — so a sender whose last bytes were removed is
 *    not left retransmitting them forever. unmap is monotonic, unmap(map(o)) >= o and
 *    map(unmap(A)) <= A.
 *  - A SACK block [L, R) maps to [Lo, Ro) with Lo = the smallest o with map(o) >= L and
 *    Ro = unmap(R): exactly the original bytes all of whose modified bytes lie in [L, R)
 *    (conservative: the sender is never told about data the receiver lacks). A block that only
 *    covers part of an insertion maps to nothing (-ENODATA): drop it from the option.
 *
 * Worked example (Figure 11), ISN 0, original "ABCDEFGH"; remove "CD" at 2, insert "XYZ" at 5:
 *	entries {pos 2, rem 2, ins 0} {pos 5, rem 0, ins 3}
 *	original  A B C D E F G H        modified  A B E X Y Z F G H
 *	position  0 1 2 3 4 5 6 7        position  0 1 2 3 4 5 6 7 8
 *	map: 0->0 1->1 2->2 3->2 4->2 5->3 6->7 7->8 8->9
 *	segment [4,6) "EF" -> [2,7) "EXYZF" (len 2 -> 5); segment [6,8) "GH" -> [7,9)
 *	unmap: 1->1 2->4 ("CD" acked with "AB") 3..6->5 (XYZ acked in part or whole, F not) 7->6
 *9->8
 *
 * Recording modifications (fm_seqmap_insert/remove/replace): positions are original positions
 * of this direction. The common case is non-decreasing positions; any order is accepted as long
 * as the position is at or after the floor and the new operation does not overlap earlier ones:
 * -EINVAL for a zero length, a position before the floor (already acknowledged) or more than
 * 2^31 ahead of it, an insertion strictly inside a removed run of one entry, a removal of a byte
 * already removed, or a removal whose range strictly contains another entry's position.
 * -EOVERFLOW when one length exceeds FM_SEQMAP_MAX_LEN or the bytes inserted by live entries
 * would. Adjacent or same-position operations merge into one entry whenever the mapping stays
 * identical (a removal extending the removed run before it, a removal at an insertion point,
 * an insertion at a removal's position, a removal ending where a pure removal starts); otherwise
 * a new entry is needed, and -ENOSPC is returned when all FM_SEQMAP_CAP are in use. A failed call
 * changes nothing. The caller must only modify bytes that have not yet left for the receiver
 * (the map cannot know what the receiver saw): modifying bytes already emitted desynchronises the
 * two ends. On -ENOSPC the caller falls back (stops modifying this connection, or closes it).
 *
 * Pruning: fm_seqmap_prune(m, ack_orig) folds every entry that no mapping at or after ack_orig
 * needs (ack_orig >= pos + rem and ack_orig > pos) into base and raises the floor. Mappings stay
 * exact for original positions >= floor and for modified positions >= map(floor). Below that,
 * the data is acknowledged: fm_seqmap_map_segment() refuses a segment starting before the floor
 * (-ERANGE; trim its acknowledged head first), and an old ACK below map(floor) maps to a value
 * at or below the floor (the sender discards it as old). Only ACKs that passed the caller's
 * validity check (not beyond what was sent) may prune.
 *
 * Memory: the struct holds a pointer to its entries (attached by the owner): it lives in
 * flowmgr's private memory (the TCP context), never in shared memory.
 *
 * Concurrency: one writer, the lcore that owns the connection; no internal locking. The map
 * functions are const and may run concurrently with each other, never with a writer
 * (insert/remove/replace/prune/ack/init).
 */
#ifndef FM_SEQMAP_H
#define FM_SEQMAP_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

/* Entries per direction: 4096 * 12 bytes. Each live entry is one modification that the receiver
 * has not acknowledged yet (a window's worth for a rewriter of a few words per window). */
#define FM_SEQMAP_CAP 4096
/* Largest length of one operation and largest sum of bytes inserted by live entries. */
#define FM_SEQMAP_MAX_LEN (1u << 30)

/* One modification: original bytes [pos, pos+rem) removed, ins bytes inserted at pos. */
struct fm_seqmap_entry {
	uint32_t pos;
	uint32_t rem;
	uint32_t ins;
};

/* The list's entries live in an array the owner attaches (fm_seqmap_attach()): the TCP context
 * takes one from a pool when a direction records its first modification and gives it back once
 * every modification is acknowledged (n == 0), so an unmodified connection costs 24 bytes here. */
struct fm_seqmap {
	uint32_t floor;		   /* original position: everything before it is acknowledged */
	uint32_t base;		   /* delta of all pruned entries, mod 2^32 */
	uint32_t n;		   /* live entries in e[] */
	uint32_t cap;		   /* entries e[] holds (0: none attached) */
	struct fm_seqmap_entry *e; /* sorted by pos (serial order) */
};

static_assert(sizeof(struct fm_seqmap) == 16 + sizeof(void *), "fm_seqmap layout");

/* RFC 1982 serial-number comparisons of 32-bit sequence numbers. */
static inline int32_t fm_seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

static inline bool fm_seq_lt(uint32_t a, uint32_t b)
{
	return fm_seq_diff(a, b) < 0;
}

static inline bool fm_seq_leq(uint32_t a, uint32_t b)
{
	return fm_seq_diff(a, b) <= 0;
}
static inline bool fm_seq_gt(uint32_t a, uint32_t b)
{
	return fm_seq_diff(a, b) > 0;
}

/* Gives the map an entry array of `cap` entries (NULL, 0: takes it away; only with n == 0). */
void fm_seqmap_attach(struct fm_seqmap *m, struct fm_seqmap_entry *e, uint32_t cap);

/*
 * Empties the map (the attached array stays). first_seq is the sequence number of the first data
 * byte of this direction (ISN + 1): positions before it (the SYN) map unchanged.
 */
void fm_seqmap_init(struct fm_seqmap *m, uint32_t first_seq);

/* Records len bytes inserted before original byte pos. 0, -EINVAL, -EOVERFLOW or -ENOSPC (no
 * room in the attached array, or none attached). */
int fm_seqmap_insert(struct fm_seqmap *m, uint32_t pos, uint32_t len);

/* Records the removal of original bytes [pos, pos+len). 0, -EINVAL, -EOVERFLOW or -ENOSPC. */
int fm_seqmap_remove(struct fm_seqmap *m, uint32_t pos, uint32_t len);

/*
 * Records original bytes [pos, pos+rem_len) replaced by ins_len new bytes (both > 0; use insert
 * or remove otherwise). 0, -EINVAL, -EOVERFLOW or -ENOSPC.
 */
int fm_seqmap_replace(struct fm_seqmap *m, uint32_t pos, uint32_t rem_len, uint32_t ins_len);

/* Original -> modified: map(seq) as defined above. Exact for seq at or after the floor. */
uint32_t fm_seqmap_map_seq(const struct fm_seqmap *m, uint32_t seq);

/*
 * Maps a segment of this direction: [seq, seq+len) goes out as [*out_seq, *out_seq+*out_len).
 * len counts sequence space (payload, plus 1 for a FIN). 0; -ERANGE if seq is before the floor
 * (trim the acknowledged head first); -EINVAL if len >= 2^31.
 */
int fm_seqmap_map_segment(const struct fm_seqmap *m, uint32_t seq, uint32_t len, uint32_t *out_seq,
			  uint32_t *out_len);

/* Modified -> original: unmap(ack) of a cumulative ACK sent by the receiver of this direction. */
uint32_t fm_seqmap_unmap_ack(const struct fm_seqmap *m, uint32_t ack);

/*
 * Modified -> original for one SACK block [*left, *right) of the receiver of this direction,
 * rewritten in place. 0; -ENODATA if no original byte is covered (drop the block; *left and
 * *right are left unchanged).
 */
int fm_seqmap_unmap_sack(const struct fm_seqmap *m, uint32_t *left, uint32_t *right);

/*
 * The receiver has acknowledged everything before original position ack_orig: folds the entries
 * no longer needed and raises the floor. An ack_orig before the floor is ignored (old ACK).
 */
void fm_seqmap_prune(struct fm_seqmap *m, uint32_t ack_orig);

/* fm_seqmap_unmap_ack() then fm_seqmap_prune() with the result, which it returns. */
uint32_t fm_seqmap_ack(struct fm_seqmap *m, uint32_t ack);

/* Live entries. */
static inline uint32_t fm_seqmap_count(const struct fm_seqmap *m)
{
	return m->n;
}

/* True when the map is the identity from the floor on (nothing recorded or all folded, net 0). */
bool fm_seqmap_is_identity(const struct fm_seqmap *m);

/* Original position up to which everything is acknowledged. */
static inline uint32_t fm_seqmap_floor(const struct fm_seqmap *m)
{
	return m->floor;
}

#endif /* FM_SEQMAP_H */
