/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_hash.h — the one keyed hash of every table fed by traffic, and its seed.
 *
 * What: a 128-bit seed (struct fm_hash_seed) drawn at random once per start, and
 * fm_hash_words(), a keyed hash of 64-bit words. flowmgr draws its seed at start
 * (fm_hash_seed_draw(), getrandom) and keeps it in the shared memzone (fm_shm.h, hash_seed), so
 * that every process that hashes a shared table uses the same one; a VNF's private tables may
 * draw their own. With a fixed, public hash an attacker computes offline a set of flows that all
 * land in one bucket (or one probe run of an open-addressing table) and turns every lookup into a
 * walk; with a secret seed drawn per start he cannot know which flows collide.
 *
 * Design: a multiply-fold chain (wyhash's "mum": the 128-bit product of two 64-bit words, high
 * half XOR low half). Each word is XORed with a secret word and multiplied by the running state,
 * itself seeded: the seed enters every multiplication, not only the start or the end. Whether two
 * keys collide therefore depends on the seed in a non-linear way: a set of keys that collide
 * under one seed does not collide under another (tests/unit/flow/test_flow_hash.c checks it).
 * Compare a seed merely XORed into the result of a fixed hash: keys that collide without it
 * still collide with it, whatever the seed. This is not a cryptographic PRF (SipHash would be,
 * at about twice the cost per word): it is the cheapest hash we know of whose collisions cannot
 * be built without the seed; the seed itself never leaves flowmgr's and the VNFs' memory
 * (`nfctl status` shows only a fingerprint, fm_hash_seed_id()).
 * A zero seed is valid and deterministic: unit tests and benchmarks that pass none get the same
 * buckets on every run.
 *
 * Cost: one 64x64->128 multiplication and two XORs per word, plus one for the finish (about as
 * much as the unkeyed multiply-xorshift hash it replaces; bench/run.sh classify, flowtable).
 *
 * Concurrency: pure functions; a seed is written once before any table is used, then only read.
 */
#ifndef FM_HASH_H
#define FM_HASH_H

#include <stdint.h>

struct fm_hash_seed {
	uint64_t k0, k1;
};

/* Odd constants (from wyhash) that keep the state away from zero when a seed word is zero. */
#define FM_HASH_P0 0xa0761d6478bd642full
#define FM_HASH_P1 0xe7037ed1a0b428dbull
#define FM_HASH_P2 0x8ebc6af09c88c6e3ull

static inline uint64_t fm_hash_mum(uint64_t a, uint64_t b)
{
	__extension__ unsigned __int128 r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/** Keyed hash of n 64-bit words (n >= 0). */
static inline uint32_t fm_hash_words(const struct fm_hash_seed *s, const uint64_t *w, int n)
{
	uint64_t h = s->k0 ^ FM_HASH_P0 ^ (uint64_t)n;

	for (int i = 0; i < n; i++)
		h = fm_hash_mum(w[i] ^ s->k1 ^ FM_HASH_P1, h ^ FM_HASH_P2);
	h = fm_hash_mum(h ^ s->k0, s->k1 ^ FM_HASH_P0);
	return (uint32_t)(h ^ (h >> 32));
}

/** Fill *out with random bytes (getrandom(2), no blocking once the kernel's pool is ready).
 *  @return 0 or -errno. */
int fm_hash_seed_draw(struct fm_hash_seed *out);

/** A 32-bit fingerprint of a seed that reveals nothing useful of it (to tell two starts apart). */
static inline uint32_t fm_hash_seed_id(const struct fm_hash_seed *s)
{
	static const struct fm_hash_seed fp = {0x2d358dccaa6c78a5ull, 0x8bb84b93962eacc9ull};
	uint64_t w[2] = {s->k0, s->k1};

	return fm_hash_words(&fp, w, 2);
}

#endif /* FM_HASH_H */
