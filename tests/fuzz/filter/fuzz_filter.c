/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Harness of the filter language (flowmgr/cls/fm_filter.h): any text as a filter and as a
 * session spec. A filter that parses must evaluate the same through its expression tree and its
 * DNF on field values aimed at its own literals (each literal's value, its complement, zeros);
 * one that does not parse must say why in a terminated message. Both results are freed, so ASan
 * reports a leak on any path.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fm_field.h"
#include "fm_filter.h"
#include "fuzz_util.h"

#define TEXT_MAX 4096 /* filters in chain files are short; longer inputs add nothing */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

static void check_eval(const struct fm_filter *f, const uint64_t *vals)
{
	bool tree = fm_filter_match_fields(f, vals);

	FZ_CHECK(tree == fm_filter_match_dnf(f, vals), "\"%s\": tree %d, DNF %d", f->text, tree,
		 !tree);
}

/* Values that make literal `l` true (and false), the other fields from `base`. */
static void check_literal(const struct fm_filter *f, const struct fm_lit *l, const uint64_t *base)
{
	uint64_t vals[FM_F_COUNT];

	FZ_CHECK(l->field < FM_F_COUNT, "field %u", l->field);
	FZ_CHECK((l->value & ~l->mask) == 0, "value outside its mask");
	memcpy(vals, base, sizeof(vals));
	vals[l->field] = l->value;
	check_eval(f, vals);
	vals[l->field] = l->value ^ fm_field_full_mask(l->field);
	check_eval(f, vals);
	for (int k = 0; k < FM_F_COUNT; k++)
		vals[k] = base[k] & fm_field_full_mask(k);
	vals[l->field] = l->value | (~l->mask & fm_field_full_mask(l->field));
	check_eval(f, vals);
}

static void check_filter(const struct fm_filter *f, const uint8_t *data, size_t size)
{
	uint64_t base[FM_F_COUNT] = {0};

	FZ_CHECK(f->nb_conj <= FM_FILTER_MAX_CONJ, "%u conjunctions", f->nb_conj);
	for (uint32_t c = 0; c < f->nb_conj; c++)
		FZ_CHECK(f->conj[c].n <= FM_FILTER_MAX_LITS &&
			     f->conj[c].first + f->conj[c].n <= f->nb_lits,
			 "conjunction %u out of range", c);
	check_eval(f, base);
	for (int k = 0; k < FM_F_COUNT; k++) /* values from the input's tail: cheap variety */
		for (size_t b = 0; b < 8 && b < size; b++)
			base[k] = base[k] << 8 | data[(size - 1 - b + (size_t)k) % size];
	for (uint32_t i = 0; i < f->nb_lits && i < 64; i++) {
		uint64_t zero[FM_F_COUNT] = {0};

		check_literal(f, &f->lits[i], zero);
		check_literal(f, &f->lits[i], base);
	}
	if (devnull != NULL)
		fm_filter_print_dnf(f, devnull);
}

static void check_session(const char *text)
{
	struct fm_session s;
	char err[128], buf[256];

	memset(err, 'x', sizeof(err));
	if (fm_session_parse(text, &s, err, sizeof(err)) == 0) {
		fm_session_format(s.fields, buf, sizeof(buf));
		FZ_CHECK(memchr(buf, '\0', sizeof(buf)) != NULL, "session format unterminated");
	} else {
		FZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL, "session error unterminated");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fm_filter *f = NULL;
	char err[128];
	char *text;
	int rc;

	if (size > TEXT_MAX)
		return -1;
	if (devnull == NULL)
		devnull = fopen("/dev/null", "w");
	text = fz_strndup(data, size);
	if (text == NULL)
		return 0;
	memset(err, 'x', sizeof(err));
	rc = fm_filter_parse(text, &f, err, sizeof(err));
	if (rc == 0) {
		FZ_CHECK(f != NULL && f->text != NULL, "no filter");
		check_filter(f, data, size);
		fm_filter_destroy(f);
	} else {
		FZ_CHECK(rc == -EINVAL || rc == -E2BIG || rc == -ENOMEM, "rc %d", rc);
		FZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0',
			 "no terminated message for rc %d", rc);
	}
	check_session(text);
	free(text);
	return 0;
}
