/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rw_offline — the reference of the rewrite VNF for tests: applies the same rules, parsed by the
 * same code (rw_rules_parse_option()), to the whole of stdin at once and writes the result to
 * stdout, so an end-to-end test compares what a receiver got through the VNF byte for byte.
 *
 *	rw_offline [--] RULE... [--dir both|c2s|s2c] [--report FILE]
 *
 * The options are the VNF's (see rewrite.c); --dir is checked and ignored (stdin is one
 * direction). --report writes "occurrences N", "bytes_in N", "bytes_out N" and "delta N", the
 * VNF report's keys, for the same stream. The transform is the plain loop that defines it in
 * rw_engine.h, not the streaming engine: the engine's own tests compare the two.
 *
 * Exit status: 0; 2 bad arguments; 1 I/O error or out of memory.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rw_engine.h"

struct rw_buf {
	uint8_t *data;
	size_t len, cap;
};

static int buf_reserve(struct rw_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 65536;
	uint8_t *d;

	if (more > SIZE_MAX - b->len)
		return -ENOMEM;
	while (cap < b->len + more) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	if (cap == b->cap)
		return 0;
	d = realloc(b->data, cap);
	if (d == NULL)
		return -ENOMEM;
	b->data = d;
	b->cap = cap;
	return 0;
}

static int read_all(FILE *f, struct rw_buf *b)
{
	size_t n;

	do {
		if (buf_reserve(b, 65536) < 0)
			return -ENOMEM;
		n = fread(b->data + b->len, 1, b->cap - b->len, f);
		b->len += n;
	} while (n > 0);
	return ferror(f) ? -EIO : 0;
}

/* The transform of rw_engine.h over the whole input. */
static int transform(const struct rw_rules *r, const struct rw_buf *in, struct rw_buf *out,
		     uint64_t *occ)
{
	size_t i = 0;

	while (i < in->len) {
		uint32_t k;

		for (k = 0; k < r->n; k++)
			if (r->pat_len[k] <= in->len - i &&
			    memcmp(in->data + i, r->pat[k], r->pat_len[k]) == 0)
				break;
		if (buf_reserve(out, k < r->n ? r->rep_len[k] : 1) < 0)
			return -ENOMEM;
		if (k < r->n) {
			memcpy(out->data + out->len, r->rep[k], r->rep_len[k]);
			out->len += r->rep_len[k];
			i += r->pat_len[k];
			(*occ)++;
		} else {
			out->data[out->len++] = in->data[i++];
		}
	}
	return 0;
}

static int parse_args(struct rw_rules *r, const char **report, int argc, char **argv)
{
	char err[256];
	int i = argc > 1 && strcmp(argv[1], "--") == 0 ? 2 : 1;

	for (; i < argc; i += 2) {
		int rc;

		if (i + 1 >= argc) {
			fprintf(stderr, "rw_offline: %s needs a value\n", argv[i]);
			return -1;
		}
		rc = rw_rules_parse_option(r, argv[i], argv[i + 1], err, sizeof(err));
		if (rc == 0)
			continue;
		if (rc != -ENOENT) {
			fprintf(stderr, "rw_offline: %s\n", err);
			return -1;
		}
		if (strcmp(argv[i], "--dir") == 0 &&
		    (strcmp(argv[i + 1], "both") == 0 || strcmp(argv[i + 1], "c2s") == 0 ||
		     strcmp(argv[i + 1], "s2c") == 0)) {
			continue;
		} else if (strcmp(argv[i], "--report") == 0) {
			*report = argv[i + 1];
		} else {
			fprintf(stderr, "rw_offline: bad argument %s %s\n", argv[i], argv[i + 1]);
			return -1;
		}
	}
	if (r->n == 0) {
		fprintf(stderr, "rw_offline: needs at least one --mask WORD, --remove WORD or "
				"--replace WORD=STRING\n");
		return -1;
	}
	return 0;
}

static int write_report(const char *path, uint64_t occ, size_t in, size_t out)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -errno;
	fprintf(f, "occurrences %lu\nbytes_in %zu\nbytes_out %zu\ndelta %lld\n", (unsigned long)occ,
		in, out, (long long)out - (long long)in);
	return fclose(f) == 0 ? 0 : -EIO;
}

int main(int argc, char **argv)
{
	static struct rw_rules rules;
	struct rw_buf in = {0}, out = {0};
	const char *report = NULL;
	uint64_t occ = 0;
	int rc = 1;

	rw_rules_init(&rules);
	if (parse_args(&rules, &report, argc, argv) < 0)
		return 2;
	if (read_all(stdin, &in) < 0) {
		fprintf(stderr, "rw_offline: reading stdin: %s\n",
			strerror(ferror(stdin) ? EIO : ENOMEM));
		goto free_bufs;
	}
	if (transform(&rules, &in, &out, &occ) < 0) {
		fprintf(stderr, "rw_offline: out of memory\n");
		goto free_bufs;
	}
	if ((out.len > 0 && fwrite(out.data, 1, out.len, stdout) != out.len) ||
	    fflush(stdout) != 0) {
		fprintf(stderr, "rw_offline: writing stdout: %s\n", strerror(errno));
		goto free_bufs;
	}
	if (report != NULL && write_report(report, occ, in.len, out.len) < 0) {
		fprintf(stderr, "rw_offline: %s: %s\n", report, strerror(errno));
		goto free_bufs;
	}
	rc = 0;
free_bufs:
	free(in.data);
	free(out.data);
	return rc;
}
