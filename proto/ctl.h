/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FS_CTL_H
#define FS_CTL_H

/*
 * ctl: the FlowSplice control channel, shared part (framing, limits, error codes).
 *
 * What
 * ----
 * flowmgr and its clients (VNFs through nfsdk, the operator through nfctl) exchange protobuf-c
 * messages defined in proto/flowsplice.proto over a Unix SOCK_SEQPACKET socket. This header holds
 * what both ends share; ctl_server.h is flowmgr's end, ctl_client.h the clients' end.
 *
 * Design
 * ------
 * Framing is the socket's: one datagram carries exactly one serialized Request (client to server)
 * or Reply (server to client), at most CTL_MSG_MAX bytes. Receivers read into CTL_MSG_MAX + 1
 * bytes so an oversized datagram is seen (MSG_TRUNC or a full buffer) and refused, never parsed.
 * File descriptors travel beside a Reply as one SCM_RIGHTS control message, at most CTL_MAX_FDS,
 * named in order by Reply.fds. The server never accepts descriptors from clients: any it receives
 * are closed unread.
 *
 * Every Request gets exactly one Reply with the same seq. A datagram the server cannot attribute
 * to a Request (does not decode) is answered with seq taken from the datagram when its field 1
 * could still be read, 0 otherwise. Connection-level refusals (uid not allowed, too many
 * connections) are sent with seq 0 right after accept, then the server hangs up.
 *
 * Telling truncated from malformed: protobuf-c only says "does not decode". ctl_wire_scan() walks
 * the top level of the wire format without the schema: a datagram that ends inside an element (a
 * varint, a fixed field or a length-delimited field running past the end) was truncated; any
 * other failure is malformed. A datagram cut exactly at a field boundary is a shorter valid
 * message and is treated as such (usually ERR_UNKNOWN: its body is missing).
 *
 * Versioning
 * ----------
 * The schema evolves by adding fields and oneof members with new numbers only (proto3 rules):
 * old peers ignore new fields, and a server answers a body it does not know with ERR_UNKNOWN.
 *
 * Concurrency
 * -----------
 * Functions here keep no state and are safe from any thread. ctl_send_msg()/ctl_recv_msg() on
 * one socket from two threads at once interleave whole datagrams, never bytes, but pairing
 * requests with replies is then the callers' problem: give each thread its own connection.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "flowsplice.pb-c.h"

/** Largest datagram (one serialized message) either side sends or accepts. */
#define CTL_MSG_MAX (64 * 1024)
/** Most file descriptors one Reply carries. */
#define CTL_MAX_FDS 8
/** Socket path used when none is configured; nfctl also reads CTL_ENV_SOCK. */
#define CTL_DEFAULT_PATH "/run/flowsplice/flowmgr.sock"
#define CTL_ENV_SOCK	 "FLOWSPLICE_SOCK"

/** Human-readable text for a Flowsplice__ErrorCode (strerror-like, never NULL). */
const char *ctl_code_str(int code);
/** Symbolic name of a Flowsplice__ErrorCode ("ERR_MALFORMED"), "?" when unknown. */
const char *ctl_code_name(int code);
/** How outputs name a Flowsplice__VnfState ("running", "quarantined"...), "unknown" otherwise. */
const char *ctl_vnf_state_name(int state);
/** Flowsplice__FailPolicy: "bypass", "drop", "hold"; "unknown" otherwise. */
const char *ctl_policy_name(int policy);
/** Flowsplice__Isolation: "direct", "indirect", "independent"; "unknown" otherwise. */
const char *ctl_isolation_name(int isolation);

/**
 * Formats why connecting to @p path failed with errno @p err, with a hint an operator can act
 * on ("cannot connect to PATH: No such file or directory — is flowmgr running?").
 * Returns @p buf.
 */
const char *ctl_connect_strerror(int err, const char *path, char *buf, size_t len);

/**
 * Sends one datagram of @p len bytes and, when @p nb_fds > 0, the descriptors @p fds as
 * SCM_RIGHTS (the caller keeps ownership of them). Never raises SIGPIPE. @p flags are added to
 * sendmsg's (e.g. MSG_DONTWAIT).
 * Returns 0, -EMSGSIZE when len > CTL_MSG_MAX or nb_fds > CTL_MAX_FDS, or -errno.
 */
int ctl_send_msg(int fd, const void *buf, size_t len, const int *fds, size_t nb_fds, int flags);

/**
 * Receives one datagram into @p buf (@p cap bytes, CTL_MSG_MAX + 1 to detect oversized ones).
 * Descriptors that came with it are stored in @p fds (up to @p *nb_fds, which is updated to the
 * number stored; extra ones are closed); pass fds NULL to close them all. Received descriptors are
 * close-on-exec. *@p truncated is set when the datagram did not fit in @p cap.
 * Returns the number of bytes stored (0 is an empty datagram or end of file: the caller tells them
 * apart with ctl_peer_closed()), or -errno (-EAGAIN when non-blocking and nothing is queued).
 */
ssize_t ctl_recv_msg(int fd, void *buf, size_t cap, int *fds, size_t *nb_fds, bool *truncated,
		     int flags);

/** True when the peer of connected socket @p fd has hung up (POLLHUP/POLLRDHUP, no wait). */
bool ctl_peer_closed(int fd);

enum ctl_wire_verdict {
	CTL_WIRE_OK = 0,	/* every top-level element is complete */
	CTL_WIRE_TRUNCATED = 1, /* the buffer ends inside an element */
	CTL_WIRE_BAD = 2,	/* not protobuf wire format (bad wire type, field 0, long varint) */
};

/**
 * Walks the top level of protobuf wire data without a schema (see Design). When a varint field 1
 * (seq, in both Request and Reply) is seen before the scan stops, *@p seq is set to it.
 */
enum ctl_wire_verdict ctl_wire_scan(const uint8_t *buf, size_t len, uint64_t *seq);

#endif /* FS_CTL_H */
