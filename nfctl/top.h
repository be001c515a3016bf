/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * top.h — `nfctl top`: a live view of flowmgr (ports, VNFs, drops by reason, busiest sessions)
 * refreshed every interval, for a terminal over ssh as much as for a script.
 *
 *   nfctl [-s SOCKET] top [-d SECONDS] [-n FRAMES] [--once] [--sessions N]
 *
 * Each frame compares two samples one interval apart (top_model.h computes the rates and lays the
 * frame out). On a terminal: the alternate screen, repainted in place, width and height from the
 * terminal (TIOCGWINSZ, again after a resize); `q` or Ctrl-C leaves and restores the terminal
 * (stdin goes to non-canonical, no-echo mode only when it is a terminal). Anywhere else (a pipe,
 * a file, --once): plain frames without escapes, one by default, each starting with its
 * "nfctl top - " line and followed by a blank line.
 *
 * Exit status as nfctl's: 0, 1 (flowmgr answered with an error), 2 (usage), 3 (cannot reach
 * flowmgr, or it went away).
 */
#ifndef NFCTL_TOP_H
#define NFCTL_TOP_H

/** Runs `top` with its own arguments (argv[0] is "top"). @return the exit status. */
int nfctl_top(const char *sock_path, int timeout_ms, int argc, char **argv);

#endif /* NFCTL_TOP_H */
