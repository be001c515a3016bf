/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_bidir_layout.h — layout of the common-data table both directions of a session share.
 *
 * What: FM_SHM_BIDIR_ZONE (fm_shm.h) holds one table of common-data records (paper §IV-D): the
 * two directions of a session, classified by different flowmgr workers, attach to the same
 * record, and each VNF that declared FM_DECL_BIDIR gets a FM_SHM_COMMON_SLICE-byte slice of it
 * (fm_shm_vnf.common_off). flowmgr attaches, aliases and detaches records
 * (flowmgr/flow/fm_bidir.h); a VNF only reads the record index of an FCB slot (the array at
 * fm_shm.bidir_of_off) and reaches its slice with fm_bidir_data().
 *
 * Layout of the table (indices and offsets only, so every process can map it anywhere):
 *
 *     [0, sizeof(struct fm_bidir))    the header below (three cache lines, one per writer kind)
 *     [buckets_off, ...)              nb_buckets struct fm_bidir_bucket (power of 2)
 *     [records_off, ...)              nb_records records, rec_stride bytes apart:
 *         [0, FM_BIDIR_REC_HDR)       struct fm_bidir_rec (key, links, references)
 *         [FM_BIDIR_REC_HDR, ...)     data_size bytes of common data (64-byte aligned)
 *
 * Versioning: this layout is part of the ABI that FM_SHM_ABI_VERSION names; fm_shm.h pins the
 * sizes and offsets next to the version. The header's magic is written last by fm_bidir_init().
 *
 * Concurrency: the bucket locks, the links and the free stack are flowmgr's (fm_bidir.h states
 * their protocol); a record's data belongs to the VNFs whose slice it is, from the time its
 * index is published in the FCB slot's entry until the FCB is released.
 */
#ifndef FM_BIDIR_LAYOUT_H
#define FM_BIDIR_LAYOUT_H

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "fm_hash.h"

#define FM_BIDIR_MAGIC	 0x52494442u /* "BDIR" */
#define FM_BIDIR_NONE	 UINT32_MAX
#define FM_BIDIR_REC_HDR 64u /* bytes of record header before the common data */

/* Canonical session key (both directions give the same key). */
struct fm_bidir_key {
	uint64_t a_hi, a_lo; /* lower endpoint address (IPv4 in a_lo) */
	uint64_t b_hi, b_lo; /* higher endpoint address */
	uint16_t a_port, b_port;
	uint8_t proto;
	uint8_t family; /* 4 or 6 */
	uint16_t pad;
};

struct fm_bidir_bucket {
	_Atomic int32_t rw;    /* > 0 readers, -1 writer, 0 free */
	_Atomic uint32_t head; /* first record index, FM_BIDIR_NONE */
};

struct fm_bidir_rec {
	struct fm_bidir_key key;
	uint32_t hash;
	_Atomic uint32_t next;	    /* chain link (written under the bucket's write lock) */
	_Atomic uint32_t refs;	    /* directions (and aliases) attached */
	_Atomic uint32_t free_next; /* free-stack link */
	/* FM_BIDIR_NONE for a session's record; for an alias, the record it stands for */
	uint32_t target;
	/* data follows at FM_BIDIR_REC_HDR */
};

struct fm_bidir {
	alignas(64) uint32_t magic; /* FM_BIDIR_MAGIC once initialised */
	uint32_t nb_records;
	uint32_t nb_buckets; /* power of 2 */
	uint32_t data_size;
	uint64_t rec_stride;
	uint64_t buckets_off; /* from the start of the table */
	uint64_t records_off;
	struct fm_hash_seed
	    hash_seed; /* key of the bucket hash (fm_hash.h), set by fm_bidir_init() */
	alignas(64) _Atomic uint64_t free_top; /* tag << 32 | index */
	alignas(64) _Atomic uint32_t in_use;
};

/** Record i's header. */
static inline struct fm_bidir_rec *fm_bidir_rec_at(struct fm_bidir *b, uint32_t i)
{
	return (struct fm_bidir_rec *)((uint8_t *)b + b->records_off + (uint64_t)i * b->rec_stride);
}

/** A table initialised (by flowmgr) in a region mapped here. @return 0, -EINVAL (no magic). */
static inline int fm_bidir_lookup_region(void *region, struct fm_bidir **out)
{
	struct fm_bidir *b = region;

	*out = NULL;
	if (b == NULL || b->magic != FM_BIDIR_MAGIC)
		return -EINVAL;
	*out = b;
	return 0;
}

/** The record's common data (data_size bytes, 64-byte aligned), NULL for a bad index. */
static inline void *fm_bidir_data(struct fm_bidir *b, uint32_t i)
{
	return i < b->nb_records ? (uint8_t *)fm_bidir_rec_at(b, i) + FM_BIDIR_REC_HDR : NULL;
}

#endif /* FM_BIDIR_LAYOUT_H */
