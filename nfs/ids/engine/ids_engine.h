/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ids_engine.h — the pattern engine of the ids VNF: finds every occurrence of every rule's
 * content in TCP byte streams delivered in arbitrary chunks, with all per-stream state in
 * caller memory (the session's scratchpad). Pure C on Hyperscan, no DPDK.
 *
 * What: ids_engine_create() compiles the contents of a parsed rule set (ids_rules.h) into one
 * Hyperscan streaming database. A stream (one direction of a connection) is a caller buffer of
 * ids_engine_stream_size() bytes: ids_stream_open() initialises it, ids_stream_scan() feeds it
 * the next bytes of the stream and calls back once per occurrence, ids_stream_close() ends it.
 * An occurrence that straddles chunk boundaries is found exactly as in one contiguous buffer;
 * overlapping occurrences are all reported ("AA" in "AAA" twice); nocase contents match ASCII
 * letters of either case. The engine does not filter on protocol, ports or direction: the
 * caller does, with ids_rule_is_for_flow() and the rule index it is given.
 *
 * Match reports: cb(rule, end, ctx), rule = index in the rule set given to create, end = stream
 * offset one past the last byte of the occurrence (the content occupies [end - content_len,
 * end)). Reports come in increasing end order within a call; each (rule, end) pair is reported
 * exactly once over the life of the stream. A non-zero return from cb stops the stream: the
 * call returns 1 and the stream reports nothing more (a drop rule closes the connection anyway).
 *
 * Stream offsets: the caller passes the stream offset of each chunk's first byte. The first
 * chunk may start anywhere (inspection starting mid-stream). A chunk at the expected offset
 * (ids_stream_offset(): the end of the previous chunk) continues the stream; a chunk after it
 * (a gap the caller could not fill) restarts matching there — an occurrence spanning the gap is
 * not reported, one after it is, at its true offset. A chunk before it (overlap,
 * retransmission) is refused with -ERANGE: trim the bytes already scanned first.
 *
 * Design: the engine owns the database, ONE Hyperscan scratch and ONE working hs_stream_t. The
 * caller's state holds a small header (offsets, database tag, open/stopped) and the matcher
 * state in Hyperscan's compressed form (hs_compress_stream). Each scan expands it into the
 * working stream (hs_reset_and_expand_stream), scans, and compresses it back: 50-150 ns per
 * call on top of the scan itself (Hyperscan 5.4, measured on a 2-vCPU VM), and in exchange the
 * state
 *  - holds no pointer: it may live in shared memory, be copied or moved (a copy is an
 *    independent fork of the stream), and be dropped without ids_stream_close() — nothing
 *    leaks, nothing to free when a VNF dies;
 *  - has a fixed size known at create time (24-byte header + hs_stream_size(): 56 to 80 bytes
 *    measured for 1 to 40000 literals of up to 2000 bytes; at most IDS_STREAM_MAX bytes).
 * The state is bound to the engine's database: a state from an engine with other contents (e.g.
 * before a rules reload) is refused with -ESTALE, detected by a 32-bit tag of the contents,
 * their flags and the Hyperscan version; engines compiled from the same contents (one per lcore)
 * accept each other's states, so a stream may move between them.
 *
 * Concurrency: an engine is single-threaded (its scratch and working stream are reused by every
 * call): one engine per lcore, or a lock around all calls. Streams are independent: any number
 * may be open at once and used in any interleaving. A state must not be used by two calls at
 * the same time. ids_engine_create/destroy are control path (compile: milliseconds to seconds
 * for large sets); open/scan/close do not allocate, lock or log.
 */
#ifndef IDS_ENGINE_H
#define IDS_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "ids_rules.h"

/* Alignment the stream state buffer needs. */
#define IDS_STREAM_ALIGN 8
/* Upper bound of ids_engine_stream_size() (create refuses a database that needs more). */
#define IDS_STREAM_MAX 65560 /* 24-byte header + at most 65535 bytes, rounded up to 8 */

struct ids_engine;

/*
 * Match callback: rule index, stream offset one past the occurrence's last byte, and the ctx
 * given to scan/close. Return 0 to continue, non-zero to stop the stream.
 */
typedef int ids_match_cb(uint32_t rule, uint64_t end, void *ctx);

/*
 * Compiles the contents of rules (one literal per rule, caseless for nocase) into a new engine
 * in *out. The rule set may be freed afterwards (the engine keeps no reference); an empty set
 * gives an engine that never reports. 0; -EINVAL (Hyperscan refused a content: "rule sid N
 * (line L): reason"), -ENOTSUP (CPU without SSSE3), -E2BIG (stream state too large) or -ENOMEM,
 * with a message in err (may be NULL; truncated to errlen).
 */
int ids_engine_create(const struct ids_rules *rules, struct ids_engine **out, char *err,
		      size_t errlen);

/* Frees the engine. Stream states opened with it become useless (not dangerous: just memory). */
void ids_engine_destroy(struct ids_engine *eng);

/* Bytes of caller memory (aligned to IDS_STREAM_ALIGN) one stream needs. */
size_t ids_engine_stream_size(const struct ids_engine *eng);

/* Number of rules compiled (rule indexes reported are below it). */
uint32_t ids_engine_rule_count(const struct ids_engine *eng);

/*
 * Initialises the state (ids_engine_stream_size() bytes) as a new stream at offset 0. No
 * allocation, cannot fail; an open state may simply be re-opened to restart it.
 */
void ids_stream_open(const struct ids_engine *eng, void *state);

/*
 * Scans the len bytes at data, which start at stream offset stream_off, calling cb (may be NULL)
 * once per occurrence that ends in them. 0; 1 if cb stopped the stream (now or before: nothing
 * is scanned); -ERANGE if stream_off is before ids_stream_offset() or stream_off + len
 * overflows; -EINVAL if the state is not open; -ESTALE if it belongs to another engine; -EIO if
 * Hyperscan failed (the stream is then stopped; defensive: rules that compiled and a state this
 * engine opened give no Hyperscan error).
 */
int ids_stream_scan(struct ids_engine *eng, void *state, const uint8_t *data, size_t len,
		    uint64_t stream_off, ids_match_cb *cb, void *ctx);

/*
 * Ends the stream: reports the matches that need the end of the stream (none for literal
 * contents; kept for later anchored patterns), then marks the state closed. 0; 1 if cb stopped;
 * -EINVAL if the state is not open; -ESTALE as for scan. A stopped stream closes with 0.
 */
int ids_stream_close(struct ids_engine *eng, void *state, ids_match_cb *cb, void *ctx);

/* Stream offset the next contiguous chunk starts at (0 after open). */
uint64_t ids_stream_offset(const void *state);

#endif /* IDS_ENGINE_H */
