/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Harness of the TCP modification list (flowmgr/tcp/fm_seqmap.h) against a byte model, the
 * model of tests/unit/tcp/test_seqmap.c driven by the fuzz input instead of a seeded generator.
 * The input gives the ISN (so streams wrap 2^32 anywhere) and then a list of steps: record an
 * insert/remove/replace, map a segment, map a sequence number, unmap a SACK block, an old ACK, a
 * cumulative ACK (which prunes). The model keeps, for each original byte of a MODEL_N-byte
 * stream (the FIN last), whether it is kept and how many bytes are inserted before it; cum[o] =
 * modified bytes of origin < o is then map(o). Every result is checked against it, and the list's
 * own invariants (sorted, non-overlapping, non-empty entries, floor) after every step.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fm_seqmap.h"
#include "fuzz_util.h"

#define MODEL_N 1200 /* original stream bytes; byte MODEL_N is the FIN */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct model {
	uint32_t isn, floor, ack; /* floor: original; ack: highest modified ACK seen */
	uint8_t kept[MODEL_N + 1];
	uint32_t insc[MODEL_N + 1];
	uint32_t cum[MODEL_N + 2];
};

static struct model mdl;
static struct fm_seqmap_entry map_e[FM_SEQMAP_CAP];
static struct fm_seqmap map = {.e = map_e, .cap = FM_SEQMAP_CAP};

static void model_recompute(void)
{
	mdl.cum[0] = 0;
	for (uint32_t b = 0; b <= MODEL_N; b++)
		mdl.cum[b + 1] = mdl.cum[b] + mdl.kept[b] + mdl.insc[b];
}

static uint32_t model_unmap(uint32_t a) /* max o with cum[o] <= a (cum is non-decreasing) */
{
	uint32_t lo = 0, hi = MODEL_N + 1;

	while (lo < hi) {
		uint32_t mid = (lo + hi + 1) / 2;

		if (mdl.cum[mid] <= a)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

static uint32_t model_left(uint32_t l) /* min o with cum[o] >= l */
{
	uint32_t lo = 0, hi = MODEL_N + 1;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (mdl.cum[mid] >= l)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Does a removal of [p, p+rem) touch removed bytes or an insertion strictly inside? */
static int model_removal_dirty(uint32_t p, uint32_t rem)
{
	for (uint32_t b = p; b < p + rem; b++)
		if (!mdl.kept[b] || (b > p && mdl.insc[b]))
			return 1;
	return 0;
}

static uint32_t len_of(struct fz_in *in)
{
	uint8_t v = fz_u8(in);

	return v < 8 ? 0 : v < 240 ? v % 24 + 1 : 100 + v;
}

static void step_record(struct fz_in *in)
{
	uint32_t kind = fz_below(in, 3), p, rem = 0, ins = 0, before = map.n;
	int rc, zero, clean;

	if (mdl.floor > MODEL_N)
		return; /* the FIN is acknowledged: nothing left to modify */
	p = fz_u16(in) % (MODEL_N + 4);
	p = p > MODEL_N ? (mdl.floor >= 3 ? mdl.floor - (p - MODEL_N) : mdl.floor) : p;
	if (kind != 0)
		rem = len_of(in);
	if (kind != 1)
		ins = len_of(in);
	if (p + rem > MODEL_N)
		rem = MODEL_N - p; /* never remove the FIN */
	if (kind == 0)
		rc = fm_seqmap_insert(&map, mdl.isn + p, ins);
	else if (kind == 1)
		rc = fm_seqmap_remove(&map, mdl.isn + p, rem);
	else
		rc = fm_seqmap_replace(&map, mdl.isn + p, rem, ins);
	zero = (kind == 0 && !ins) || (kind == 1 && !rem) || (kind == 2 && (!rem || !ins));
	clean = !zero && p >= mdl.floor && !model_removal_dirty(p, rem) &&
		!(p > 0 && !mdl.kept[p - 1] && !mdl.kept[p]);
	if (rc == 0) {
		FZ_CHECK(!zero && p >= mdl.floor && !model_removal_dirty(p, rem),
			 "accepted bad op kind %u p %u rem %u ins %u", kind, p, rem, ins);
		for (uint32_t b = p; b < p + rem; b++)
			mdl.kept[b] = 0;
		mdl.insc[p] += ins;
		model_recompute();
	} else if (rc == -ENOSPC) {
		FZ_CHECK(before == FM_SEQMAP_CAP && map.n == before && !zero, "bad ENOSPC");
	} else {
		FZ_CHECK(rc == -EINVAL && !clean, "rc %d for op kind %u p %u rem %u ins %u", rc,
			 kind, p, rem, ins);
		FZ_CHECK(map.n == before, "failed op changed the map");
	}
}

static void step_segment(struct fz_in *in)
{
	uint32_t s = mdl.floor + fz_below(in, MODEL_N + 2 - mdl.floor);
	uint32_t len = fz_below(in, MODEL_N + 2 - s);
	uint32_t out_seq = 0, out_len = 0;
	int rc = fm_seqmap_map_segment(&map, mdl.isn + s, len, &out_seq, &out_len);

	FZ_CHECK(rc == 0, "map_segment rc %d", rc);
	FZ_CHECK(out_seq - mdl.isn == mdl.cum[s], "seq of [%u,+%u): %u, model %u", s, len,
		 out_seq - mdl.isn, mdl.cum[s]);
	FZ_CHECK(out_len == mdl.cum[s + len] - mdl.cum[s], "len of [%u,+%u): %u, model %u", s, len,
		 out_len, mdl.cum[s + len] - mdl.cum[s]);
	if (mdl.floor > 0) {
		rc = fm_seqmap_map_segment(&map, mdl.isn + mdl.floor - 1, len, &out_seq, &out_len);
		FZ_CHECK(rc == -ERANGE, "segment before the floor: rc %d", rc);
	}
}

static void step_ack(struct fz_in *in)
{
	uint32_t top = mdl.cum[MODEL_N + 1];
	uint32_t a = mdl.ack + fz_below(in, top - mdl.ack + 1);
	uint32_t want = model_unmap(a);
	uint32_t got = fm_seqmap_ack(&map, mdl.isn + a) - mdl.isn;

	FZ_CHECK(got == want, "ack %u -> %u, model %u", a, got, want);
	mdl.ack = a;
	if (want > mdl.floor)
		mdl.floor = want;
}

static void step_old_ack(struct fz_in *in)
{
	uint32_t mf = mdl.cum[mdl.floor];
	uint32_t lo = mf > 50 ? mf - 50 : 0;
	uint32_t a = lo + fz_below(in, mdl.ack - lo + 1);
	uint32_t got = fm_seqmap_unmap_ack(&map, mdl.isn + a);

	if (a >= mf)
		FZ_CHECK(got - mdl.isn == model_unmap(a), "old ack %u -> %u, model %u", a,
			 got - mdl.isn, model_unmap(a));
	else
		FZ_CHECK(fm_seq_leq(got, mdl.isn + mdl.floor), "ack %u below map(floor) -> %u", a,
			 got - mdl.isn);
}

static void step_sack(struct fz_in *in)
{
	uint32_t top = mdl.cum[MODEL_N + 1];
	uint32_t l, r, ml, mr, gl, gr;
	int rc;

	if (mdl.ack + 2 > top)
		return;
	l = mdl.ack + 1 + fz_below(in, top - 1 - mdl.ack);
	r = l + 1 + fz_below(in, top - l);
	ml = model_left(l);
	mr = model_unmap(r);
	gl = mdl.isn + l;
	gr = mdl.isn + r;
	rc = fm_seqmap_unmap_sack(&map, &gl, &gr);
	if (ml < mr)
		FZ_CHECK(rc == 0 && gl - mdl.isn == ml && gr - mdl.isn == mr,
			 "sack [%u,%u) -> rc %d [%u,%u), model [%u,%u)", l, r, rc, gl - mdl.isn,
			 gr - mdl.isn, ml, mr);
	else
		FZ_CHECK(rc == -ENODATA && gl == mdl.isn + l && gr == mdl.isn + r,
			 "sack [%u,%u) -> rc %d, model empty", l, r, rc);
}

static void step_map_seq(struct fz_in *in)
{
	uint32_t o = mdl.floor + fz_below(in, MODEL_N + 2 - mdl.floor);
	uint32_t got = fm_seqmap_map_seq(&map, mdl.isn + o) - mdl.isn;

	FZ_CHECK(got == mdl.cum[o], "map %u -> %u, model %u", o, got, mdl.cum[o]);
}

static void check_invariants(void)
{
	FZ_CHECK(map.n <= FM_SEQMAP_CAP, "n %u", map.n);
	for (uint32_t i = 0; i < map.n; i++) {
		const struct fm_seqmap_entry *x = &map.e[i];

		FZ_CHECK(x->rem + x->ins > 0, "empty entry %u", i);
		if (i + 1 < map.n)
			FZ_CHECK(fm_seq_leq(x->pos + x->rem, map.e[i + 1].pos) &&
				     fm_seq_lt(x->pos, map.e[i + 1].pos),
				 "entries %u,%u overlap", i, i + 1);
	}
	FZ_CHECK(fm_seqmap_floor(&map) == mdl.isn + mdl.floor, "floor %u, model %u",
		 fm_seqmap_floor(&map) - mdl.isn, mdl.floor);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = {data, size};

	if (size > 4096)
		return -1;
	memset(&mdl, 0, sizeof(mdl));
	memset(mdl.kept, 1, sizeof(mdl.kept));
	mdl.isn = fz_u32(&in);
	model_recompute();
	fm_seqmap_init(&map, mdl.isn);
	while (in.n > 0) {
		switch (fz_u8(&in) % 8) {
		case 0:
		case 1:
			step_record(&in);
			break;
		case 2:
			step_segment(&in);
			break;
		case 3:
			step_sack(&in);
			break;
		case 4:
			step_map_seq(&in);
			break;
		case 5:
			step_old_ack(&in);
			break;
		default:
			step_ack(&in);
			break;
		}
		check_invariants();
	}
	return 0;
}
