/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_util.h — what every harness of tests/fuzz shares: a reader that turns the fuzz input into
 * the choices a harness makes (sizes, orders, flags) and a check that aborts with a message, so
 * that libFuzzer records the input as a crash. A reader that has run out of input returns 0s:
 * every input, however short, is a complete run.
 */
#ifndef FS_FUZZ_UTIL_H
#define FS_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The invariant must hold; otherwise the run is a crash (abort() with what failed). */
#define FZ_CHECK(cond, ...)                                                                        \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);   \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

struct fz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fz_u8(struct fz_in *in)
{
	uint8_t v = 0;

	if (in->n > 0) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

static inline uint16_t fz_u16(struct fz_in *in)
{
	return (uint16_t)(fz_u8(in) | (uint16_t)fz_u8(in) << 8);
}

static inline uint32_t fz_u32(struct fz_in *in)
{
	return (uint32_t)fz_u16(in) | (uint32_t)fz_u16(in) << 16;
}

/* A value in [0, n) (0 when n is 0). */
static inline uint32_t fz_below(struct fz_in *in, uint32_t n)
{
	return n == 0 ? 0 : (n <= 256 ? fz_u8(in) : n <= 65536 ? fz_u16(in) : fz_u32(in)) % n;
}

/* Up to `max` bytes of the input (fewer when it runs out): *len is set, the bytes returned. */
static inline const uint8_t *fz_take(struct fz_in *in, size_t max, size_t *len)
{
	const uint8_t *p = in->p;

	*len = max < in->n ? max : in->n;
	in->p += *len;
	in->n -= *len;
	return p;
}

/* A NUL-terminated copy of data[0, n) (malloc; NULL when out of memory). */
static inline char *fz_strndup(const uint8_t *data, size_t n)
{
	char *s = malloc(n + 1);

	if (s != NULL) {
		memcpy(s, data, n);
		s[n] = '\0';
	}
	return s;
}

#endif /* FS_FUZZ_UTIL_H */
