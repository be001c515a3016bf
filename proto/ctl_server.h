/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FS_CTL_SERVER_H
#define FS_CTL_SERVER_H

/*
 * ctl_server: flowmgr's end of the control channel.
 *
 * What
 * ----
 * A listening Unix SOCK_SEQPACKET socket and its connections, driven by the owner's loop through
 * ctl_server_poll(). The server does the transport work — accept, peer credentials, framing,
 * decoding, error replies, fd passing, hang-up detection — and hands each well-formed Request to
 * the owner's on_request callback, which fills the Reply. It knows nothing of VNFs or DPDK.
 *
 * Design
 * ------
 * One epoll instance holds the listening socket and every connection; ctl_server_fd() returns it
 * so the owner can nest it in its own poll set. All sockets are non-blocking: a poll never waits
 * on one peer. Per call, a connection gets at most CTL_CONN_BURST datagrams (the rest wait for the
 * next poll, epoll being level-triggered), and at most CTL_ACCEPT_BURST connections are accepted.
 *
 * Peer credentials (SO_PEERCRED, taken at connect time) are checked at accept: a uid that is not
 * allowed (default: the server's euid and 0) gets a Reply{seq 0, ERR_PERMISSION}, and the server
 * shuts the socket down, discards whatever the peer already sent and closes it. Above max_conns
 * connections a new peer gets ERR_LIMIT the same way. Neither reaches the callbacks.
 *
 * Bad input is answered, counted and survived: a datagram that does not decode gets ERR_MALFORMED
 * or ERR_TRUNCATED (see ctl.h), one larger than CTL_MSG_MAX gets ERR_OVERSIZED, a Request without
 * a known body gets ERR_UNKNOWN; the connection stays open. Descriptors a client sends are closed.
 * A peer whose receive queue is full when its reply is sent (it does not read its replies) is
 * disconnected, as is one whose socket reports an error.
 *
 * Reply memory: the Reply handed to on_request starts as FLOWSPLICE__REPLY__INIT with seq set.
 * The handler points its fields at memory that lives until it returns, typically taken from the
 * connection's reply arena (ctl_reply_alloc/ctl_reply_strdup), which the server frees after
 * sending. Descriptors attached with ctl_reply_attach_fd() are sent with the reply and stay owned
 * by the caller (the server neither dups nor closes them).
 *
 * Concurrency
 * -----------
 * A server is single-threaded: every function taking a struct ctl_server or struct ctl_conn must
 * be called from the thread that calls ctl_server_poll() (the callbacks run in it). Counters are
 * plain integers written by that thread; read them from it (e.g. in a handler answering Status).
 * Callbacks must not call ctl_server_poll() or ctl_server_destroy().
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctl.h"

#define CTL_MAX_CONNS	 256 /* default bound on simultaneous connections */
#define CTL_CONN_BURST	 8   /* datagrams read per connection per poll */
#define CTL_ACCEPT_BURST 16  /* connections accepted per poll */
#define CTL_MAX_UIDS	 16  /* allowed uids a server remembers */

/* Server counters: X(enum suffix, name exported to operators, meaning). */
#define CTL_COUNTERS(X)                                                                            \
	X(ACCEPTED, "ctl_accepted", "connections accepted and allowed")                            \
	X(REFUSED_UID, "ctl_refused_uid", "connections refused: peer uid not allowed")             \
	X(REFUSED_LIMIT, "ctl_refused_limit", "connections refused: max_conns reached")            \
	X(DISCONNECTS, "ctl_disconnects", "allowed connections closed")                            \
	X(REQUESTS, "ctl_requests", "well-formed requests handed to on_request")                   \
	X(MALFORMED, "ctl_malformed", "datagrams that did not decode")                             \
	X(TRUNCATED, "ctl_truncated", "datagrams that ended inside an element")                    \
	X(OVERSIZED, "ctl_oversized", "datagrams larger than CTL_MSG_MAX")                         \
	X(UNKNOWN, "ctl_unknown", "requests with no or an unknown body")                           \
	X(HANDLER_ERRORS, "ctl_handler_errors", "on_request returned an error")                    \
	X(STRAY_FDS, "ctl_stray_fds", "datagrams from clients carrying descriptors (closed)")      \
	X(SEND_FAILED, "ctl_send_failed", "replies that could not be sent (peer dropped)")

enum ctl_counter {
#define CTL_COUNTER_ENUM(e, name, doc) CTL_CNT_##e,
	CTL_COUNTERS(CTL_COUNTER_ENUM)
#undef CTL_COUNTER_ENUM
	    CTL_CNT__MAX
};

struct ctl_counters {
	uint64_t v[CTL_CNT__MAX];
};

/** Exported name of counter @p c ("ctl_malformed"), NULL when out of range. */
const char *ctl_counter_name(enum ctl_counter c);

struct ctl_server;
struct ctl_conn;

/** on_request may return this (instead of 0) to have the connection closed after the reply. */
#define CTL_CLOSE 1

struct ctl_server_opts {
	/*
	 * Called with each decoded Request that has a body. Fill @p reply (code OK by default).
	 * Return 0, CTL_CLOSE, or -errno: then, unless the handler set an error code itself, the
	 * reply becomes ERR_INTERNAL with strerror as message. The Request is freed on return.
	 * Required.
	 */
	int (*on_request)(void *arg, struct ctl_conn *conn, const Flowsplice__Request *req,
			  Flowsplice__Reply *reply);
	/*
	 * Called once when an allowed connection ends (peer hang-up, error, CTL_CLOSE), before its
	 * memory is freed; not called by ctl_server_destroy(). Optional.
	 */
	void (*on_disconnect)(void *arg, struct ctl_conn *conn);
	void *arg;
	mode_t sock_mode;	   /* socket file mode; 0 = 0660 */
	mode_t dir_mode;	   /* mode of parent directories created; 0 = 0755 */
	const uid_t *allowed_uids; /* NULL = { geteuid(), 0 } */
	unsigned int nb_allowed_uids;
	bool allow_any_uid;	/* skip the uid check (filesystem permissions still apply) */
	unsigned int max_conns; /* 0 = CTL_MAX_CONNS */
};

/**
 * Creates the parent directories of @p path (NULL = CTL_DEFAULT_PATH) when missing, removes a
 * stale socket left by a dead server, binds, sets the socket's mode and listens.
 * Returns 0 and *@p out, or -errno: -EADDRINUSE when a live server answers on @p path, -EEXIST
 * when @p path exists and is not a socket (never removed), -ENAMETOOLONG, -EINVAL (no on_request,
 * too many uids).
 */
int ctl_server_create(const char *path, const struct ctl_server_opts *opts,
		      struct ctl_server **out);

/** Closes every connection (no on_disconnect), the socket, and unlinks it if it is still ours. */
void ctl_server_destroy(struct ctl_server *srv);

/** The epoll descriptor: readable when ctl_server_poll() has work. Owned by the server. */
int ctl_server_fd(const struct ctl_server *srv);

/**
 * Waits up to @p timeout_ms (0 = do not wait, -1 = forever) for activity, then accepts, reads,
 * answers and detects hang-ups, in bounded bursts (see Design).
 * Returns the number of datagrams handled (answered, well-formed or not), or -errno if epoll fails.
 */
int ctl_server_poll(struct ctl_server *srv, int timeout_ms);

/** Counters since creation. Valid until destroy; read from the server's thread. */
const struct ctl_counters *ctl_server_counters(const struct ctl_server *srv);
/** Number of open (allowed) connections. */
unsigned int ctl_server_nb_conns(const struct ctl_server *srv);

/*
 * Connections. Valid from accept until on_disconnect returns; only inside callbacks (or from the
 * server's thread while the connection is known to be open).
 */
void ctl_conn_set_user(struct ctl_conn *conn, void *user);
void *ctl_conn_user(const struct ctl_conn *conn);
pid_t ctl_conn_pid(const struct ctl_conn *conn); /* peer pid at connect (SO_PEERCRED) */
uid_t ctl_conn_uid(const struct ctl_conn *conn);
gid_t ctl_conn_gid(const struct ctl_conn *conn);
uint64_t ctl_conn_id(const struct ctl_conn *conn); /* unique per server, from 1 */

/*
 * Building the reply, inside on_request only.
 */
/** Zeroed memory freed after the reply is sent; NULL when out of memory. */
void *ctl_reply_alloc(struct ctl_conn *conn, size_t size);
/** Copy of @p s in the reply arena; NULL when out of memory. */
char *ctl_reply_strdup(struct ctl_conn *conn, const char *s);
/**
 * Sends @p fd (not dup'ed, not closed: it must stay open until on_request returns) with the
 * reply as SCM_RIGHTS, and lists @p role in Reply.fds at the same index.
 * Returns the index, -ENOSPC beyond CTL_MAX_FDS, -EBADF, -ENOMEM.
 */
int ctl_reply_attach_fd(struct ctl_conn *conn, int fd, const char *role);
/** Sets @p reply's code and a printf-formatted message (in the arena). Returns 0 or -ENOMEM. */
int ctl_reply_error(struct ctl_conn *conn, Flowsplice__Reply *reply, Flowsplice__ErrorCode code,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/**
 * Appends the server's counters (named as in CTL_COUNTERS) to a counter list, e.g. StatusReply's
 * counters/n_counters. Returns 0 or -ENOMEM (list unchanged).
 */
int ctl_reply_add_counters(struct ctl_conn *conn, Flowsplice__Counter ***list, size_t *n);

#endif /* FS_CTL_SERVER_H */
