/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FS_CTL_CLIENT_H
#define FS_CTL_CLIENT_H

/*
 * ctl_client: the clients' end of the control channel (nfsdk in every VNF, nfctl).
 *
 * What
 * ----
 * A connected SOCK_SEQPACKET socket to flowmgr and a synchronous call: send one Request, wait for
 * the Reply with the same seq, collect the descriptors that came with it.
 *
 * Design
 * ------
 * The client numbers its requests (seq from 1, never 0). Replies with another seq — late answers
 * to calls that timed out — are discarded. A Reply with seq 0 and an error code is the server's
 * connection-level refusal (ERR_PERMISSION, ERR_LIMIT) and ends the call like a matching reply.
 * A VNF keeps its client open for its whole life: flowmgr takes the socket's hang-up as the VNF's
 * death, so ctl_client_fd() lets nfsdk poll it (readable with nothing to read = flowmgr is gone).
 *
 * Errors: connect failures return -errno; turn them into an operator-facing sentence with
 * ctl_connect_strerror() (ctl.h). A transport failure in a call (-ETIMEDOUT, -EPIPE/-ECONNRESET
 * when flowmgr went away, -EBADMSG for a reply that does not decode) leaves the client usable only
 * for ctl_client_close() unless it is -ETIMEDOUT.
 *
 * Concurrency
 * -----------
 * A client is not thread-safe: one call at a time (a VNF's control thread, or serialize calls).
 * Distinct clients are independent. The socket is close-on-exec.
 */

#include "ctl.h"

struct ctl_client;

/**
 * Connects to the server at @p path (NULL = CTL_DEFAULT_PATH).
 * Returns 0 and *@p out, or -errno (-ENOENT/-ECONNREFUSED: flowmgr is not running; -EACCES:
 * socket file permissions), -ENOMEM, -ENAMETOOLONG.
 */
int ctl_client_connect(const char *path, struct ctl_client **out);

/**
 * Sends @p req (its seq is overwritten with the next sequence number) and waits up to
 * @p timeout_ms (-1 = forever) for its Reply. On success *@p reply is the decoded Reply (free it
 * with ctl_reply_free(); check its code), and when @p fds is not NULL the received descriptors
 * are stored there: *@p nb_fds is their capacity on entry and their count on return (they belong
 * to the caller; extra ones and all of them when fds is NULL are closed).
 * Returns 0, -EMSGSIZE (request larger than CTL_MSG_MAX), -ETIMEDOUT, -EPIPE/-ECONNRESET (server
 * gone), -EBADMSG (reply did not decode or was oversized), -ENOMEM, or another -errno.
 */
int ctl_client_call(struct ctl_client *cl, Flowsplice__Request *req, Flowsplice__Reply **reply,
		    int *fds, int *nb_fds, int timeout_ms);

/** Frees a Reply returned by ctl_client_call(); NULL is fine. */
void ctl_reply_free(Flowsplice__Reply *reply);

/** The connected socket, to poll for hang-up; owned by the client. */
int ctl_client_fd(const struct ctl_client *cl);

/** Closes the connection (the server sees a hang-up) and frees @p cl; NULL is fine. */
void ctl_client_close(struct ctl_client *cl);

#endif /* FS_CTL_CLIENT_H */
