/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_err.c — error messages into caller buffers (see fm_err.h). */
#include "fm_err.h"

#include <stdio.h>

void fm_err_vset(char *err, size_t errlen, const char *fmt, va_list ap)
{
	if (err == NULL || errlen == 0)
		return;
	vsnprintf(err, errlen, fmt, ap);
}

void fm_err_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fm_err_vset(err, errlen, fmt, ap);
	va_end(ap);
}
