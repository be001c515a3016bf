/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_bidir.h — common data for both directions of a session (paper §IV-D).
 *
 * What: the two directions of a TCP (or UDP) session may be classified on different worker
 * lcores (RSS is not symmetric, and a NAT changes the tuple). When a direction sets up its
 * session it calls fm_bidir_attach() with the session's key: the first direction creates a
 * common-data record, the other finds the same record. Each side keeps the returned record
 * index in its own FCB scratchpad, so the table is never read again for that session: it is
 * touched only at session set-up and at release (fm_bidir_detach(), from the release handler of
 * the FCB). A record is freed when both directions have detached.
 *
 * Design:
 *  - Key: the 5-tuple in canonical order (the endpoint (addr, port) that compares lower first),
 *    so both directions compute the same key; this is the paper's "look up the inverted tuple",
 *    without an ordering assumption on which side comes first (both may race).
 *  - Buckets (power of 2) of singly linked chains of record indices. Each bucket has the paper's
 *    readers-writer counter: > 0 readers, -1 one writer, 0 free. attach() scans under a read lock
 *    (no writer, many readers), and takes the write lock only to insert; detach() takes it to
 *    unlink. A record whose reference count already fell to 0 is being removed: attach() skips
 *    it (never resurrects it) and inserts a new one.
 *  - Records live in one array of fixed-size records (key, links, refs, then `data_size` bytes
 *    of common data, 64-byte aligned) inside the same region; free records form a lock-free
 *    stack (index + ABA tag in one 64-bit CAS). Capacity is fixed: attach() fails with -ENOSPC
 *    when no record is free (counted by the caller).
 *  - Everything (header, buckets, records) lies in ONE caller-provided region and holds only
 *    indices, never pointers: flowmgr puts it in a memzone and every process can use it. The
 *    layout is common/fm_bidir_layout.h, with the two calls a VNF needs (fm_bidir_lookup_region(),
 *    fm_bidir_data()); this module is flowmgr's writer side.
 *
 * Aliases: a VNF that rewrites a session's tuple (NAT, LB) makes the other direction arrive with
 * a tuple whose key differs. At the first packet of a session that leaves the chain with another
 * tuple, flowmgr adds an alias record under the egress key that points to the session's record
 * (fm_bidir_alias()); attach() resolves it. The alias holds a reference on its target and is
 * detached with the FCB that created it.
 *
 * Concurrency: attach/detach/data are safe from any number of threads or processes at once
 * (C11 atomics; acquire on lock, release on unlock). Spinning happens only when two set-ups hit
 * the same bucket at the same time. A process that dies while holding a bucket lock wedges that
 * bucket (flowmgr re-initialises the table after such a crash). fm_bidir_init() must complete
 * before any other call; fm_bidir_in_use() is a relaxed snapshot.
 */
#ifndef FM_BIDIR_H
#define FM_BIDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fm_bidir_layout.h"

/**
 * Key of a packet's session from its field values (fm_pkt_fields()). *forward is set to true
 * when the packet goes from the lower to the higher endpoint (may be NULL).
 */
void fm_bidir_key_from_fields(const uint64_t *vals, struct fm_bidir_key *k, bool *forward);
/** Hash of a canonical key: keyed by the table's seed (fm_hash.h; set by fm_bidir_init()), so
 *  nobody can build keys that chain in one bucket without it; the same in every process. */
uint32_t fm_bidir_hash(const struct fm_bidir *b, const struct fm_bidir_key *k);

/** Region bytes for nb_records records of data_size bytes (buckets = records rounded up). */
size_t fm_bidir_region_size(uint32_t nb_records, uint32_t data_size);
/**
 * Initialise a table in [region, region + len) (64-byte aligned). *out points into the region.
 * `seed` keys the bucket hash (flowmgr's per-start seed; NULL: all zero, deterministic).
 * @return 0, -EINVAL.
 */
int fm_bidir_init(void *region, size_t len, uint32_t nb_records, uint32_t data_size,
		  const struct fm_hash_seed *seed, struct fm_bidir **out);

/**
 * Find the session's record or create it; one reference per call (one per direction).
 * *created tells which (may be NULL). @return 0, -ENOSPC (no free record).
 */
int fm_bidir_attach(struct fm_bidir *b, const struct fm_bidir_key *k, uint32_t hash, uint32_t *rec,
		    bool *created);
/** Drop one reference. @return 1 if the record was freed, 0 if still referenced, -EINVAL. */
int fm_bidir_detach(struct fm_bidir *b, uint32_t rec);
/**
 * A second key for an existing record `target` (a session whose tuple a VNF rewrote: the other
 * direction arrives with the rewritten tuple, paper §III-B). attach() with `k` then finds
 * `target`. The alias holds one reference on `target` until fm_bidir_detach(alias).
 * @return 0 (*alias set), -EEXIST (a live record already has key k), -ENOSPC, -EINVAL.
 */
int fm_bidir_alias(struct fm_bidir *b, const struct fm_bidir_key *k, uint32_t hash, uint32_t target,
		   uint32_t *alias);
/** The key a record was created with. @return 0, -EINVAL. */
int fm_bidir_key_of(struct fm_bidir *b, uint32_t rec, struct fm_bidir_key *k);
bool fm_bidir_key_equal(const struct fm_bidir_key *a, const struct fm_bidir_key *b);
/** References held on a record. */
uint32_t fm_bidir_refs(struct fm_bidir *b, uint32_t rec);
/** Records in use. */
uint32_t fm_bidir_in_use(const struct fm_bidir *b);
uint32_t fm_bidir_capacity(const struct fm_bidir *b);

#endif /* FM_BIDIR_H */
