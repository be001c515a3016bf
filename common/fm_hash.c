/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_hash.c — drawing a hash seed (fm_hash.h). */
#include <errno.h>
#include <stddef.h>
#include <sys/random.h>

#include "fm_hash.h"

int fm_hash_seed_draw(struct fm_hash_seed *out)
{
	unsigned char *p = (unsigned char *)out;
	size_t got = 0;

	while (got < sizeof(*out)) {
		ssize_t n = getrandom(p + got, sizeof(*out) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		got += (size_t)n;
	}
	return 0;
}
