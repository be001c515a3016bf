/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FS_CTL_ABUSE_H
#define FS_CTL_ABUSE_H

/*
 * ctl_abuse: hostile and well-behaved control clients for tests, usable against any server on a
 * socket path — the unit test's in-process server or a real flowmgr.
 *
 * What the server under test must do for ctl_abuse_run_all() to pass: answer StatusRequest with
 * code OK and the transport counters in StatusReply.counters (ctl_reply_add_counters(), names
 * "ctl_malformed", …), and make its socket reachable by @p uid (socket mode 0666 and traversable
 * directories) while not allowing that uid (default allowed uids: the server's euid and 0).
 * Forking to drop privileges needs root.
 *
 * Concurrency: plain blocking helpers; ctl_abuse_wrong_uid() forks (the child only makes system
 * calls and _exit()s), so it is safe from a multi-threaded test.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctl.h"

#define CTL_ABUSE_SEQ	     4242 /* seq carried by the crafted requests */
#define CTL_ABUSE_TIMEOUT_MS 2000

/** Connects a raw SOCK_SEQPACKET socket. Returns the fd or -errno. */
int ctl_abuse_connect(const char *path);
/**
 * Sends @p len raw bytes (plus @p fd as SCM_RIGHTS when >= 0) and waits for one datagram, decoded
 * as a Reply (free with ctl_reply_free()). Returns 0, -ETIMEDOUT, -ECONNRESET on hang-up,
 * -EBADMSG, -errno.
 */
int ctl_abuse_xchg(int sock, const void *buf, size_t len, int fd, Flowsplice__Reply **reply);

/* Each sends one crafted datagram on @p sock and returns the Reply as ctl_abuse_xchg(). */
int ctl_abuse_garbage(int sock, Flowsplice__Reply **reply);	 /* text, not wire format */
int ctl_abuse_truncated(int sock, Flowsplice__Reply **reply);	 /* Register cut inside body */
int ctl_abuse_oversized(int sock, Flowsplice__Reply **reply);	 /* CTL_MSG_MAX + 1 bytes */
int ctl_abuse_empty_body(int sock, Flowsplice__Reply **reply);	 /* Request{seq} only */
int ctl_abuse_unknown_body(int sock, Flowsplice__Reply **reply); /* Request{seq, field 99} */
int ctl_abuse_stray_fd(int sock, Flowsplice__Reply **reply);	 /* Status with a pipe fd */
int ctl_abuse_status(int sock, Flowsplice__Reply **reply);	 /* a well-formed Status */

/** Finds counter @p name in a Status reply. Returns 0 or -ENOENT. */
int ctl_abuse_counter(const Flowsplice__Reply *status, const char *name, uint64_t *value);

/**
 * Forks a child that drops to @p uid/@p gid, then connects to @p path, sends a Status and reads.
 * *@p code gets the Reply's code (-1 when none came), *@p hung_up whether the server then closed.
 * Returns 0, or -errno of the child's failing step (-EACCES: the socket is not reachable by uid).
 */
int ctl_abuse_wrong_uid(const char *path, uid_t uid, gid_t gid, int *code, bool *hung_up);

/**
 * The whole sequence: garbage, truncated, oversized, empty body, unknown body, stray fd on one
 * connection, each checked for its code and its counter's increment; that connection still served;
 * a uid-65534 peer refused with ERR_PERMISSION and hung up; a fresh ctl_client served.
 * Returns 0, or -1 with a description of the first failed check in @p err.
 */
int ctl_abuse_run_all(const char *path, char *err, size_t errlen);

#endif /* FS_CTL_ABUSE_H */
