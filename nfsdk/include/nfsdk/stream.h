/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nfsdk/stream.h — the stream view of a TCP direction or a UDP session for VNFs (paper §IV-A,
 * IV-B, IV-E).
 *
 * What: a VNF on a path with the platform TCP context (it declares `in_order`, and `may_stall`
 * to hold, `resize` to change lengths) sees each payload byte of a direction once and in order.
 * This API adds, per direction:
 *  - the CONTENT OFFSET of the current packet: the stream position of its first payload byte, as
 *    this VNF receives the stream (the sum of the payload lengths before it);
 *  - a WINDOW: the payloads of the packets the VNF holds for the session, in order, followed by
 *    the current packet's; byte and chunk ITERATORS over it that cross packet borders without
 *    copying, and a search;
 *  - EDITS at window positions (insert, remove, replace), done in the packets' own mbufs: flowmgr
 *    sees each packet's length change at egress and maps SEQ/ACK/SACK (docs/streams.md);
 *  - HOLD: the current packet stays in nfsdk (the mbuf is not copied) until the VNF RELEASEs the
 *    session's held packets — they then go on along the path, in order, before the current
 *    packet; with NF_HOLD_MORE the platform sends the sender a PRO-ACTIVE ACK for the held bytes
 *    (with the receiver's last window and timestamps), so that the sender sends more, and from
 *    then on flowmgr, not the sender, retransmits those bytes to the receiver when needed;
 *  - CLOSE: the held packets are dropped and flowmgr sends an RST to both ends; every later
 *    packet of the connection is dropped;
 *  - a stream-end handler (nf_ops.on_stream_end) on FIN, RST, close or the session's timeout.
 *
 * UDP (docs/streams.md, "UDP context"): the stream of a UDP session (one direction, session
 * "5tuple") is the concatenation of its datagrams' payloads in arrival order; no platform context
 * is needed. Everything above works the same, except: an edit leaves each changed datagram
 * final (nf_udp_fix(): IP and UDP lengths, the checksums — done by nfsdk at edit time, not by
 * flowmgr); holding keeps datagrams and asks nobody for anything (NF_HOLD_MORE is ignored, empty
 * datagrams are held too, to keep their place); close drops what is held and makes every later
 * datagram of the session -EPIPE (the VNF drops it), nothing is sent to the ends; the stream ends
 * when the session is released after its idle timeout: the VNF calls nf_stream_expire() from
 * on_release (on_stream_end then runs with NF_STREAM_END_TIMEOUT).
 *
 * Use: embed one struct nf_stream per direction in the scratchpad (zeroed with it; a session is
 * one direction with session "5tuple"), call nf_stream_packet() first for EVERY packet of the
 * session, in the order on_session gives them, then use the window; set the packet's verdict to
 * what nf_stream_hold() / nf_stream_close() return; call nf_stream_expire() from on_release. A
 * packet given to nf_stream_hold() belongs to nfsdk whatever its verdict says.
 *
 * Rules and limits (docs/streams.md, "nfsdk stream API"):
 *  - at most NF_HOLD_PKTS packets held per session and NF_HOLD_TOTAL in the VNF, in at most
 *    NF_HOLD_SESSIONS sessions at once; beyond, nf_stream_hold() releases what the session holds
 *    and returns NF_FORWARD (counted);
 *  - held packets are released: by nf_stream_release(); automatically before a FIN or RST packet
 *    of the direction (nf_stream_packet()); after NF_HOLD_MAX_MS without a release (timeout,
 *    counted); they are dropped by nf_stream_close();
 *  - an insertion (or a replacement that grows) must fit the room of one packet (its mbuf's
 *    tailroom, at most NF_STREAM_GROW_MAX bytes beyond its length; a UDP datagram also stays
 *    within a frame of NF_UDP_FRAME_MAX bytes: nothing splits it): the packet holding the
 *    position, or one that ends at it; otherwise -ENOSPC and nothing changes. Removals may span
 *    packets (a packet may become empty: flowmgr then records a removal);
 *  - the iterators and positions refer to the window as it is after the edits already made; a
 *    stream function other than the iterators' own invalidates an iterator.
 *
 * Concurrency: the VNF's datapath thread only (from the handlers).
 *
 * The first part (struct nf_chunk and the nf_chunks_* / iterator functions) is pure C without
 * DPDK: the window is an array of chunks; it is what the mbuf functions below use, and what the
 * unit tests check against a byte model.
 */
#ifndef NFSDK_STREAM_H
#define NFSDK_STREAM_H

#include <stdbool.h>
#include <stdint.h>

/* ---- pure part: a window of chunks --------------------------------------------------------- */

/** A chunk of the window: `len` bytes at `data`, room for `cap` (>= len) in place. */
struct nf_chunk {
	uint8_t *data;
	uint32_t len;
	uint32_t cap;
};

/** Byte iterator (copy it to look ahead). */
struct nf_byte_iter {
	const struct nf_chunk *c;
	unsigned int n, k;
	uint32_t off;
};

/** Chunk iterator: each step gives the rest of one chunk. */
struct nf_chunk_iter {
	struct nf_byte_iter b;
};

uint32_t nf_chunks_len(const struct nf_chunk *c, unsigned int n);
/** From window position `pos` (past the end: an iterator at its end). */
void nf_byte_iter_init(struct nf_byte_iter *it, const struct nf_chunk *c, unsigned int n,
		       uint32_t pos);
/** The next byte (0..255), -1 at the end. */
int nf_byte_iter_next(struct nf_byte_iter *it);
void nf_chunk_iter_init(struct nf_chunk_iter *it, const struct nf_chunk *c, unsigned int n,
			uint32_t pos);
/** The next piece of contiguous bytes (never empty); false at the end. No copy. */
bool nf_chunk_iter_next(struct nf_chunk_iter *it, const uint8_t **p, uint32_t *len);
/** First window position >= pos where `needle` starts (it may cross chunks), -1 if none. */
int64_t nf_chunks_find(const struct nf_chunk *c, unsigned int n, uint32_t pos,
		       const uint8_t *needle, uint32_t nlen);
/**
 * Edits at window positions, in the chunks' memory. insert: `len` bytes before position pos
 * (pos == total appends); remove: bytes [pos, pos+len); replace: remove `rem` bytes at pos and
 * insert `ins` bytes there. Growth goes into one chunk: the one holding byte pos (for replace:
 * pos+rem) if it has the room, else the nearest one ending at that position.
 * @return 0; -ERANGE (outside the window), -ENOSPC (no chunk has the room). A failed call
 * changes nothing.
 */
int nf_chunks_insert(struct nf_chunk *c, unsigned int n, uint32_t pos, const uint8_t *src,
		     uint32_t len);
int nf_chunks_remove(struct nf_chunk *c, unsigned int n, uint32_t pos, uint32_t len);
int nf_chunks_replace(struct nf_chunk *c, unsigned int n, uint32_t pos, uint32_t rem,
		      const uint8_t *src, uint32_t ins);

/**
 * Fixes the headers of an IPv4 UDP datagram after its payload changed length: `ip` is its IPv4
 * header, `l3len` the bytes from there to the payload's new end. Sets the IPv4 total length and
 * header checksum, the UDP length, and the UDP checksum — recomputed over the pseudo-header and
 * the whole datagram when it was not 0, left 0 (no checksum, allowed for IPv4) when it was.
 * @return 0; -EINVAL (not IPv4 UDP, l3len shorter than the headers or above 65535: unchanged).
 */
int nf_udp4_fix(uint8_t *ip, uint32_t l3len);

/**
 * The same for an IPv4 or IPv6 UDP datagram whose UDP header is `l4off` bytes after `ip` (IPv4:
 * the header length; IPv6: 40 + its extension headers): IPv4 total length and header checksum or
 * IPv6 payload length, the UDP length, and the UDP checksum over the pseudo-header of its version
 * (IPv6: RFC 8200 8.1, the upper-layer length; the destination is the IPv6 header's, so a datagram
 * with a routing header with segments left must not be given: fm_pkt.ip6_rh). A 0 checksum stays
 * 0. @return 0; -EINVAL (not UDP at l4off, headers longer than l3len, l3len above 65535).
 */
int nf_udp_fix(uint8_t *ip, uint32_t l4off, uint32_t l3len);

/* ---- the stream of a TCP direction (nfsdk, DPDK) ------------------------------------------ */

struct nf_ctx;
struct rte_mbuf;

#define NF_HOLD_PKTS	   32	/* held packets per session */
#define NF_HOLD_SESSIONS   64	/* sessions holding packets at once, per VNF */
#define NF_HOLD_TOTAL	   1024 /* held packets per VNF */
#define NF_HOLD_MAX_MS	   2000 /* held packets not released for this long are released */
#define NF_STREAM_GROW_MAX 512	/* bytes a packet may grow by in place */
#define NF_UDP_FRAME_MAX   1514 /* a UDP datagram may grow up to this frame (MTU 1500) */

/** Per-direction state; embed it in the scratchpad (zero = not started). Opaque fields. */
struct nf_stream {
	uint64_t next_off; /* content offset after the current packet */
	uint64_t cur_off;  /* content offset of the current packet */
	uint64_t epoch;	   /* nfsdk instance that owns `hold` (a restarted VNF holds nothing) */
	uint32_t in_end;   /* flowmgr's input position after the current packet */
	uint16_t hold;	   /* hold-store slot + 1, 0: nothing held */
	uint8_t state;	   /* enum nf_stream_state */
	uint8_t cur_flags; /* TCP flags of the current packet */
	uint32_t cur_fcb;  /* session of the current packet */
	uint8_t proto;	   /* IPPROTO of the stream (6 TCP, 17 UDP), set by its first packet */
	uint8_t reserved[3];
};

enum nf_stream_state { NF_STREAM_NEW = 0, NF_STREAM_OPEN, NF_STREAM_ENDED, NF_STREAM_CLOSED };

/** Why on_stream_end runs. */
enum nf_stream_end {
	NF_STREAM_END_FIN = 1,
	NF_STREAM_END_RST = 2,
	NF_STREAM_END_CLOSE = 3,
	NF_STREAM_END_TIMEOUT = 4, /* the session was released (nf_stream_expire()) */
};

/** Verdict of a packet nf_stream_hold() kept (nf.h: NF_FORWARD 0, NF_DROP 1). */
#define NF_HOLD 2

/** nf_stream_hold() flag: send the sender a pro-active ACK for everything held. */
#define NF_HOLD_MORE 1u

/**
 * Makes `m` the current packet of stream `s` and advances the content offset. Call it for every
 * packet of the session. A FIN or RST ends the stream: on_stream_end runs (once) while the window
 * still holds the last packets (it may read and edit them), then what the session holds is
 * released before `m`.
 * A UDP datagram has no flags: it only advances the offset (by its payload, possibly 0).
 * @return the payload length (>= 0; 0 for SYN, pure ACK, FIN without data, an empty datagram);
 * -EPIPE for a packet of a stream closed with nf_stream_close() (drop it); -EPROTO for a packet
 * that is not IPv4 TCP or UDP in one mbuf segment (a UDP length that disagrees with the IPv4
 * length too), or not of the protocol the stream began with (the stream functions then do
 * nothing).
 */
int nf_stream_packet(struct nf_ctx *nf, struct nf_stream *s, struct rte_mbuf *m);

/** Content offset of the current packet's first payload byte. */
uint64_t nf_stream_offset(const struct nf_stream *s);
/** Content offset of the window's first byte (the first held packet's, else the current one's). */
uint64_t nf_stream_window_offset(struct nf_ctx *nf, struct nf_stream *s);
/** Bytes in the window (held packets and the current one, after the edits made). */
uint32_t nf_stream_window_len(struct nf_ctx *nf, struct nf_stream *s);
/** Packets held by the session of `s`. */
unsigned int nf_stream_held(struct nf_ctx *nf, struct nf_stream *s);

/** Iterators over the window from window position `pos`. */
void nf_stream_bytes(struct nf_ctx *nf, struct nf_stream *s, struct nf_byte_iter *it, uint32_t pos);
void nf_stream_chunks(struct nf_ctx *nf, struct nf_stream *s, struct nf_chunk_iter *it,
		      uint32_t pos);
int64_t nf_stream_find(struct nf_ctx *nf, struct nf_stream *s, uint32_t pos, const void *needle,
		       uint32_t nlen);

/** Edits at window positions (see nf_chunks_insert): 0, -ERANGE, -ENOSPC, -EPROTO. */
int nf_stream_insert(struct nf_ctx *nf, struct nf_stream *s, uint32_t pos, const void *src,
		     uint32_t len);
int nf_stream_remove(struct nf_ctx *nf, struct nf_stream *s, uint32_t pos, uint32_t len);
int nf_stream_replace(struct nf_ctx *nf, struct nf_stream *s, uint32_t pos, uint32_t rem,
		      const void *src, uint32_t ins);

/**
 * Holds the current packet (a data packet): returns NF_HOLD, the verdict to give it. With
 * NF_HOLD_MORE, asks flowmgr to pro-actively ACK every byte held so far. When the hold store is
 * full, releases what the session holds and returns NF_FORWARD. A VNF that did not declare
 * NF_FLAG_MAY_STALL holds nothing (NF_FORWARD, counted as hold_refused).
 */
uint8_t nf_stream_hold(struct nf_ctx *nf, struct nf_stream *s, unsigned int flags);

/**
 * The session's held packets go on along their path, in order, before the current packet (or
 * now, outside a handler). @return how many.
 */
unsigned int nf_stream_release(struct nf_ctx *nf, struct nf_stream *s);

/**
 * Closes the connection: the held packets are dropped, flowmgr sends an RST to both ends and
 * drops the rest of the connection; on_stream_end runs. UDP: the held datagrams are dropped and
 * every later datagram of the session makes nf_stream_packet() return -EPIPE (nothing is sent).
 * @return NF_DROP, the current packet's verdict.
 */
uint8_t nf_stream_close(struct nf_ctx *nf, struct nf_stream *s);

/**
 * The session of `s` is being released (call it from nf_ops.on_release, with the stream in the
 * scratchpad): a stream still open ends with NF_STREAM_END_TIMEOUT — on_stream_end runs, with an
 * empty window (a session that holds packets is never released). How a UDP stream ends; for TCP,
 * a connection that went idle without FIN or RST. The scratchpad may be reused afterwards.
 */
void nf_stream_expire(struct nf_ctx *nf, struct nf_stream *s);

/** Counters of the hold store (for reports). */
struct nf_stream_stats {
	uint64_t held, released, released_timeout, dropped_close, hold_full, hold_refused,
	    preack_requests, close_requests, request_failed, edits, edit_failed;
	uint32_t held_now;
};
void nf_stream_get_stats(struct nf_ctx *nf, struct nf_stream_stats *st);

#endif /* NFSDK_STREAM_H */
