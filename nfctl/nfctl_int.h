/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nfctl_int.h — what nfctl's command files share: exit statuses and the commands that live in a
 * file of their own.
 */
#ifndef NFCTL_INT_H
#define NFCTL_INT_H

#define NFCTL_EXIT_REPLY   1 /* flowmgr answered with an error */
#define NFCTL_EXIT_USAGE   2
#define NFCTL_EXIT_CONNECT 3 /* flowmgr unreachable */

/** nfctl capture (nfctl_capture.c); argv[0] is "capture". Returns the exit status. */
int nfctl_capture(const char *path, int timeout_ms, int argc, char **argv);

#endif /* NFCTL_INT_H */
