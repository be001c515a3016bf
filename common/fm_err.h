/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_err.h — the one error-message helper of the parsers (config, filter language, rules).
 *
 * What: parsers that take untrusted text report "0 / -errno" and, next to it, a human-readable
 * message in a caller buffer (`char *err, size_t errlen`). fm_err_set() writes that message.
 *
 * Design: the caller may pass err == NULL or errlen == 0 when it does not want a message; both
 * are accepted and nothing is written. A message longer than the buffer is truncated (always
 * NUL-terminated). No allocation.
 *
 * Concurrency: pure functions; thread-safe as long as callers do not share one buffer.
 */
#ifndef FM_ERR_H
#define FM_ERR_H

#include <stdarg.h>
#include <stddef.h>

/** Format a message into err[0 .. errlen) (truncated); no-op when err is NULL or errlen is 0. */
void fm_err_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Same with a va_list (for parsers' own "at LINE:COL: ..." wrappers). */
void fm_err_vset(char *err, size_t errlen, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#endif /* FM_ERR_H */
