/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control server: listening socket, accept with peer-credential check, bounded per-poll reads,
 * decode and error replies, reply arena and fd passing. See ctl_server.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_server.h"

#define CTL_EPOLL_EVENTS 32

struct ctl_arena_blk {
	struct ctl_arena_blk *next;
	max_align_t data[];
};

struct ctl_conn {
	struct ctl_server *srv;
	struct ctl_conn *prev, *next;
	int fd;
	bool closing; /* close after the current burst */
	uint64_t id;
	struct ucred cred;
	void *user;
	/* The reply being built by on_request. */
	struct ctl_arena_blk *arena;
	int fds[CTL_MAX_FDS];
	char *fd_roles[CTL_MAX_FDS];
	size_t nb_fds;
};

struct ctl_server {
	int lfd;
	int epfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev; /* identity of our socket file, to unlink only ours */
	ino_t ino;
	struct ctl_server_opts opts;
	uid_t uids[CTL_MAX_UIDS];
	unsigned int nb_uids;
	unsigned int max_conns;
	unsigned int nb_conns;
	uint64_t next_id;
	struct ctl_conn *conns;
	struct ctl_counters cnt;
	uint8_t rx[CTL_MSG_MAX + 1];
	uint8_t tx[CTL_MSG_MAX];
};

static const char *const ctl_counter_names[] = {
#define CTL_COUNTER_NAME(e, name, doc) [CTL_CNT_##e] = name,
    CTL_COUNTERS(CTL_COUNTER_NAME)
#undef CTL_COUNTER_NAME
};

const char *ctl_counter_name(enum ctl_counter c)
{
	if ((unsigned int)c >= CTL_CNT__MAX)
		return NULL;
	return ctl_counter_names[c];
}

/* ---- socket file ------------------------------------------------------------------------- */

/* mkdir -p of the directories above @p path. */
static int ctl_mkdirs(const char *path, mode_t mode)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	mode_t old;
	char *p;
	int r;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (p == NULL || p == dir)
		return 0;
	*p = '\0';
	/* Created with exactly @p mode under a umask that lets it through: a chmod() afterwards
	 * would follow a symlink someone put there in between. */
	old = umask(~mode & 0777);
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, mode) < 0 && errno != EEXIST)
			goto err;
		*p = '/';
	}
	if (mkdir(dir, mode) < 0 && errno != EEXIST)
		goto err;
	umask(old);
	return 0;
err:
	r = -errno;
	umask(old);
	return r;
}

static int ctl_fill_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, path, strlen(path));
	return 0;
}

/* Removes a socket file nobody listens on; refuses to touch anything else. */
static int ctl_clear_stale(const char *path)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	r = ctl_fill_addr(&sa, path);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : -errno;
	close(fd);
	if (r == 0 || r == -EAGAIN)
		return -EADDRINUSE; /* a live server (maybe with a full backlog) */
	if (r != -ECONNREFUSED)
		return r;
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

static int ctl_listen(struct ctl_server *srv)
{
	mode_t sock_mode = srv->opts.sock_mode ? srv->opts.sock_mode : 0660, old;
	struct sockaddr_un sa;
	struct stat st;
	int r;

	r = ctl_fill_addr(&sa, srv->path);
	if (r < 0)
		return r;
	srv->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (srv->lfd < 0)
		return -errno;
	/* The socket file gets its mode at creation (umask): no chmod() on the path afterwards,
	 * which would follow a symlink put in its place between bind() and chmod(). */
	old = umask(~sock_mode & 0777);
	r = bind(srv->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	umask(old);
	if (r < 0)
		return r;
	if (lstat(srv->path, &st) < 0)
		goto err_unlink;
	if (!S_ISSOCK(st.st_mode)) { /* replaced already: not ours to listen on or to remove */
		errno = EEXIST;
		return -EEXIST;
	}
	srv->dev = st.st_dev;
	srv->ino = st.st_ino;
	if (listen(srv->lfd, SOMAXCONN) < 0)
		goto err_unlink;
	return 0;

err_unlink:
	r = -errno;
	unlink(srv->path);
	return r;
}

static int ctl_opts_apply(struct ctl_server *srv, const char *path,
			  const struct ctl_server_opts *opts)
{
	unsigned int i;

	if (opts == NULL || opts->on_request == NULL || opts->nb_allowed_uids > CTL_MAX_UIDS)
		return -EINVAL;
	if (path == NULL)
		path = CTL_DEFAULT_PATH;
	if (strlen(path) >= sizeof(srv->path))
		return -ENAMETOOLONG;
	strcpy(srv->path, path);
	srv->opts = *opts;
	srv->opts.allowed_uids = NULL; /* copied below, the caller's array may go away */
	if (opts->allowed_uids != NULL) {
		for (i = 0; i < opts->nb_allowed_uids; i++)
			srv->uids[i] = opts->allowed_uids[i];
		srv->nb_uids = opts->nb_allowed_uids;
	} else {
		srv->uids[0] = geteuid();
		srv->uids[1] = 0;
		srv->nb_uids = 2;
	}
	srv->max_conns = opts->max_conns ? opts->max_conns : CTL_MAX_CONNS;
	return 0;
}

int ctl_server_create(const char *path, const struct ctl_server_opts *opts, struct ctl_server **out)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	struct ctl_server *srv;
	int r;

	srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		return -ENOMEM;
	srv->lfd = -1;
	srv->next_id = 1;
	r = ctl_opts_apply(srv, path, opts);
	if (r < 0)
		goto err_free;
	r = ctl_mkdirs(srv->path, srv->opts.dir_mode ? srv->opts.dir_mode : 0755);
	if (r < 0)
		goto err_free;
	r = ctl_clear_stale(srv->path);
	if (r < 0)
		goto err_free;
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv->epfd < 0) {
		r = -errno;
		goto err_free;
	}
	r = ctl_listen(srv);
	if (r < 0)
		goto err_close;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->lfd, &ev) < 0) {
		r = -errno;
		unlink(srv->path);
		goto err_close;
	}
	*out = srv;
	return 0;

err_close:
	if (srv->lfd >= 0)
		close(srv->lfd);
	close(srv->epfd);
err_free:
	free(srv);
	return r;
}

/* ---- connections ------------------------------------------------------------------------- */

static void ctl_arena_free(struct ctl_conn *conn)
{
	while (conn->arena != NULL) {
		struct ctl_arena_blk *b = conn->arena;

		conn->arena = b->next;
		free(b);
	}
	conn->nb_fds = 0;
}

static void ctl_conn_free(struct ctl_conn *conn)
{
	struct ctl_server *srv = conn->srv;

	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, conn->fd, NULL);
	close(conn->fd);
	if (conn->prev != NULL)
		conn->prev->next = conn->next;
	else
		srv->conns = conn->next;
	if (conn->next != NULL)
		conn->next->prev = conn->prev;
	srv->nb_conns--;
	ctl_arena_free(conn);
	free(conn);
}

static void ctl_conn_disconnect(struct ctl_conn *conn)
{
	struct ctl_server *srv = conn->srv;

	srv->cnt.v[CTL_CNT_DISCONNECTS]++;
	if (srv->opts.on_disconnect != NULL)
		srv->opts.on_disconnect(srv->opts.arg, conn);
	ctl_conn_free(conn);
}

void ctl_server_destroy(struct ctl_server *srv)
{
	struct stat st;

	if (srv == NULL)
		return;
	while (srv->conns != NULL)
		ctl_conn_free(srv->conns);
	close(srv->lfd);
	close(srv->epfd);
	if (stat(srv->path, &st) == 0 && st.st_dev == srv->dev && st.st_ino == srv->ino)
		unlink(srv->path);
	free(srv);
}

int ctl_server_fd(const struct ctl_server *srv)
{
	return srv->epfd;
}

const struct ctl_counters *ctl_server_counters(const struct ctl_server *srv)
{
	return &srv->cnt;
}

unsigned int ctl_server_nb_conns(const struct ctl_server *srv)
{
	return srv->nb_conns;
}

void ctl_conn_set_user(struct ctl_conn *conn, void *user)
{
	conn->user = user;
}

void *ctl_conn_user(const struct ctl_conn *conn)
{
	return conn->user;
}

pid_t ctl_conn_pid(const struct ctl_conn *conn)
{
	return conn->cred.pid;
}

uid_t ctl_conn_uid(const struct ctl_conn *conn)
{
	return conn->cred.uid;
}

gid_t ctl_conn_gid(const struct ctl_conn *conn)
{
	return conn->cred.gid;
}

uint64_t ctl_conn_id(const struct ctl_conn *conn)
{
	return conn->id;
}

/* ---- reply building ---------------------------------------------------------------------- */

void *ctl_reply_alloc(struct ctl_conn *conn, size_t size)
{
	struct ctl_arena_blk *b;

	if (size > CTL_MSG_MAX * 16)
		return NULL;
	b = calloc(1, sizeof(*b) + size);
	if (b == NULL)
		return NULL;
	b->next = conn->arena;
	conn->arena = b;
	return b->data;
}

char *ctl_reply_strdup(struct ctl_conn *conn, const char *s)
{
	size_t len = strlen(s) + 1;
	char *d = ctl_reply_alloc(conn, len);

	if (d != NULL)
		memcpy(d, s, len);
	return d;
}

int ctl_reply_attach_fd(struct ctl_conn *conn, int fd, const char *role)
{
	char *r;

	if (conn->nb_fds >= CTL_MAX_FDS)
		return -ENOSPC;
	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	r = ctl_reply_strdup(conn, role != NULL ? role : "");
	if (r == NULL)
		return -ENOMEM;
	conn->fds[conn->nb_fds] = fd;
	conn->fd_roles[conn->nb_fds] = r;
	return (int)conn->nb_fds++;
}

int ctl_reply_error(struct ctl_conn *conn, Flowsplice__Reply *reply, Flowsplice__ErrorCode code,
		    const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	reply->code = code;
	reply->message = ctl_reply_strdup(conn, buf);
	if (reply->message == NULL) {
		reply->message = (char *)ctl_code_str(code);
		return -ENOMEM;
	}
	return 0;
}

int ctl_reply_add_counters(struct ctl_conn *conn, Flowsplice__Counter ***list, size_t *n)
{
	const struct ctl_counters *cnt = &conn->srv->cnt;
	Flowsplice__Counter **l, *c;
	size_t i;

	l = ctl_reply_alloc(conn, (*n + CTL_CNT__MAX) * sizeof(*l));
	c = ctl_reply_alloc(conn, CTL_CNT__MAX * sizeof(*c));
	if (l == NULL || c == NULL)
		return -ENOMEM;
	if (*n > 0)
		memcpy(l, *list, *n * sizeof(*l));
	for (i = 0; i < CTL_CNT__MAX; i++) {
		flowsplice__counter__init(&c[i]);
		c[i].name = (char *)ctl_counter_names[i];
		c[i].value = cnt->v[i];
		l[*n + i] = &c[i];
	}
	*list = l;
	*n += CTL_CNT__MAX;
	return 0;
}

/* ---- sending ----------------------------------------------------------------------------- */

/* Packs and sends @p reply with the attached fds, then frees the arena. */
static void ctl_reply_send(struct ctl_conn *conn, Flowsplice__Reply *reply)
{
	struct ctl_server *srv = conn->srv;
	size_t len;
	int r;

	reply->fds = conn->fd_roles;
	reply->n_fds = conn->nb_fds;
	len = flowsplice__reply__get_packed_size(reply);
	if (len > CTL_MSG_MAX) {
		uint64_t seq = reply->seq;

		flowsplice__reply__init(reply);
		reply->seq = seq;
		reply->code = FLOWSPLICE__ERROR_CODE__ERR_INTERNAL;
		reply->message = "reply larger than CTL_MSG_MAX";
		conn->nb_fds = 0;
		srv->cnt.v[CTL_CNT_HANDLER_ERRORS]++;
		len = flowsplice__reply__get_packed_size(reply);
	}
	flowsplice__reply__pack(reply, srv->tx);
	r = ctl_send_msg(conn->fd, srv->tx, len, conn->fds, conn->nb_fds, MSG_DONTWAIT);
	if (r < 0) {
		srv->cnt.v[CTL_CNT_SEND_FAILED]++;
		conn->closing = true; /* gone, or not reading its replies */
	}
	ctl_arena_free(conn);
}

static void ctl_reply_code(struct ctl_conn *conn, uint64_t seq, Flowsplice__ErrorCode code,
			   enum ctl_counter cnt, const char *fmt, size_t len)
{
	Flowsplice__Reply reply = FLOWSPLICE__REPLY__INIT;

	conn->srv->cnt.v[cnt]++;
	reply.seq = seq;
	ctl_reply_error(conn, &reply, code, fmt, len);
	ctl_reply_send(conn, &reply);
}

/* Hands a decoded Request with a body to on_request and sends its reply. */
static void ctl_dispatch(struct ctl_conn *conn, const Flowsplice__Request *req)
{
	struct ctl_server *srv = conn->srv;
	Flowsplice__Reply reply = FLOWSPLICE__REPLY__INIT;
	int r;

	srv->cnt.v[CTL_CNT_REQUESTS]++;
	reply.seq = req->seq;
	r = srv->opts.on_request(srv->opts.arg, conn, req, &reply);
	if (r < 0) {
		srv->cnt.v[CTL_CNT_HANDLER_ERRORS]++;
		if (reply.code == FLOWSPLICE__ERROR_CODE__OK)
			ctl_reply_error(conn, &reply, FLOWSPLICE__ERROR_CODE__ERR_INTERNAL, "%s",
					strerror(-r));
	}
	reply.seq = req->seq;
	ctl_reply_send(conn, &reply);
	if (r == CTL_CLOSE)
		conn->closing = true;
}

/* Validates and answers one received datagram of @p len bytes in srv->rx. */
static void ctl_handle_datagram(struct ctl_conn *conn, size_t len, bool truncated)
{
	struct ctl_server *srv = conn->srv;
	Flowsplice__Request *req;
	uint64_t seq = 0;

	if (truncated || len > CTL_MSG_MAX) {
		ctl_wire_scan(srv->rx, CTL_MSG_MAX, &seq);
		ctl_reply_code(conn, seq, FLOWSPLICE__ERROR_CODE__ERR_OVERSIZED, CTL_CNT_OVERSIZED,
			       "datagram larger than %zu bytes", (size_t)CTL_MSG_MAX);
		return;
	}
	req = flowsplice__request__unpack(NULL, len, srv->rx);
	if (req == NULL) {
		if (ctl_wire_scan(srv->rx, len, &seq) == CTL_WIRE_TRUNCATED)
			ctl_reply_code(conn, seq, FLOWSPLICE__ERROR_CODE__ERR_TRUNCATED,
				       CTL_CNT_TRUNCATED,
				       "datagram of %zu bytes ends inside a field", len);
		else
			ctl_reply_code(conn, seq, FLOWSPLICE__ERROR_CODE__ERR_MALFORMED,
				       CTL_CNT_MALFORMED,
				       "datagram of %zu bytes does not decode as a Request", len);
		return;
	}
	if (req->body_case == FLOWSPLICE__REQUEST__BODY__NOT_SET)
		ctl_reply_code(conn, req->seq, FLOWSPLICE__ERROR_CODE__ERR_UNKNOWN, CTL_CNT_UNKNOWN,
			       "request (%zu bytes) has no body this server knows", len);
	else
		ctl_dispatch(conn, req);
	flowsplice__request__free_unpacked(req, NULL);
}

/*
 * Reads up to CTL_CONN_BURST datagrams. Returns how many were answered; sets conn->closing on
 * end of file or a socket error.
 */
static int ctl_conn_read(struct ctl_conn *conn, bool *drained)
{
	struct ctl_server *srv = conn->srv;
	int n, handled = 0;

	*drained = false;
	for (n = 0; n < CTL_CONN_BURST && !conn->closing; n++) {
		int fds[CTL_MAX_FDS];
		size_t nb_fds = CTL_MAX_FDS, i;
		bool trunc = false;
		ssize_t len;

		len = ctl_recv_msg(conn->fd, srv->rx, sizeof(srv->rx), fds, &nb_fds, &trunc,
				   MSG_DONTWAIT);
		if (len == -EAGAIN) {
			*drained = true;
			break;
		}
		if (len < 0 || (len == 0 && !trunc && ctl_peer_closed(conn->fd))) {
			conn->closing = true;
			break;
		}
		for (i = 0; i < nb_fds; i++)
			close(fds[i]);
		if (nb_fds > 0)
			srv->cnt.v[CTL_CNT_STRAY_FDS]++;
		ctl_handle_datagram(conn, (size_t)len, trunc);
		handled++;
	}
	return handled;
}

/* ---- accepting --------------------------------------------------------------------------- */

/* Tells a refused peer why, then hangs up without reading what it sent. */
static void ctl_refuse(struct ctl_server *srv, int fd, Flowsplice__ErrorCode code, const char *why)
{
	Flowsplice__Reply reply = FLOWSPLICE__REPLY__INIT;
	size_t len;

	reply.code = code;
	reply.message = (char *)why;
	len = flowsplice__reply__pack(&reply, srv->tx);
	ctl_send_msg(fd, srv->tx, len, NULL, 0, MSG_DONTWAIT);
	/*
	 * Closing a socket with unread data makes the peer's next recv fail with ECONNRESET before
	 * it sees our reply: shut down first (no more data can arrive), drain, then close.
	 */
	shutdown(fd, SHUT_RDWR);
	while (ctl_recv_msg(fd, srv->rx, sizeof(srv->rx), NULL, NULL, NULL, MSG_DONTWAIT) > 0)
		;
	close(fd);
}

static bool ctl_uid_allowed(const struct ctl_server *srv, uid_t uid)
{
	unsigned int i;

	if (srv->opts.allow_any_uid)
		return true;
	for (i = 0; i < srv->nb_uids; i++)
		if (srv->uids[i] == uid)
			return true;
	return false;
}

static int ctl_conn_add(struct ctl_server *srv, int fd, const struct ucred *cred)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP};
	struct ctl_conn *conn = calloc(1, sizeof(*conn));

	if (conn == NULL)
		return -ENOMEM;
	conn->srv = srv;
	conn->fd = fd;
	conn->cred = *cred;
	conn->id = srv->next_id++;
	ev.data.ptr = conn;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(conn);
		return -errno;
	}
	conn->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = conn;
	srv->conns = conn;
	srv->nb_conns++;
	srv->cnt.v[CTL_CNT_ACCEPTED]++;
	return 0;
}

static void ctl_accept_burst(struct ctl_server *srv)
{
	int n;

	for (n = 0; n < CTL_ACCEPT_BURST; n++) {
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		int fd = accept4(srv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return; /* EAGAIN, or EMFILE & co: retried at the next poll */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
		    !ctl_uid_allowed(srv, cred.uid)) {
			srv->cnt.v[CTL_CNT_REFUSED_UID]++;
			ctl_refuse(srv, fd, FLOWSPLICE__ERROR_CODE__ERR_PERMISSION,
				   "peer uid not allowed on this control socket");
		} else if (srv->nb_conns >= srv->max_conns) {
			srv->cnt.v[CTL_CNT_REFUSED_LIMIT]++;
			ctl_refuse(srv, fd, FLOWSPLICE__ERROR_CODE__ERR_LIMIT,
				   "too many control connections");
		} else if (ctl_conn_add(srv, fd, &cred) < 0) {
			ctl_refuse(srv, fd, FLOWSPLICE__ERROR_CODE__ERR_INTERNAL,
				   "out of memory accepting the connection");
		}
	}
}

int ctl_server_poll(struct ctl_server *srv, int timeout_ms)
{
	struct epoll_event ev[CTL_EPOLL_EVENTS];
	int n, i, handled = 0;

	n = epoll_wait(srv->epfd, ev, CTL_EPOLL_EVENTS, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		struct ctl_conn *conn = ev[i].data.ptr;
		bool drained = false;

		if (conn == NULL) {
			ctl_accept_burst(srv);
			continue;
		}
		if (ev[i].events & EPOLLIN)
			handled += ctl_conn_read(conn, &drained);
		else
			drained = true;
		/* Hang-up: disconnect once what the peer sent before it is answered. */
		if ((ev[i].events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)) && drained)
			conn->closing = true;
		if (conn->closing)
			ctl_conn_disconnect(conn);
	}
	return handled;
}
