/* SPDX-License-Identifier: BSD-3-Clause */
/* Control client: connect, numbered synchronous calls, descriptors from replies. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_client.h"

struct ctl_client {
	int fd;
	uint64_t seq;
	uint8_t buf[CTL_MSG_MAX + 1];
};

int ctl_client_connect(const char *path, struct ctl_client **out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ctl_client *cl;
	int r;

	if (path == NULL)
		path = CTL_DEFAULT_PATH;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	cl = calloc(1, sizeof(*cl));
	if (cl == NULL)
		return -ENOMEM;
	cl->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (cl->fd < 0) {
		r = -errno;
		goto err_free;
	}
	do {
		r = connect(cl->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : -errno;
	} while (r == -EINTR);
	if (r < 0)
		goto err_close;
	*out = cl;
	return 0;

err_close:
	close(cl->fd);
err_free:
	free(cl);
	return r;
}

int ctl_client_fd(const struct ctl_client *cl)
{
	return cl->fd;
}

void ctl_client_close(struct ctl_client *cl)
{
	if (cl == NULL)
		return;
	close(cl->fd);
	free(cl);
}

void ctl_reply_free(Flowsplice__Reply *reply)
{
	if (reply != NULL)
		flowsplice__reply__free_unpacked(reply, NULL);
}

static int64_t ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until the socket is readable or @p deadline_ms (-1 = never) passes; polls at least once. */
static int ctl_wait_readable(int fd, int64_t deadline_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r, wait;

	for (;;) {
		wait = -1;
		if (deadline_ms >= 0) {
			int64_t left = deadline_ms - ctl_now_ms();

			wait = left < 0 ? 0 : left > 1000000 ? 1000000 : (int)left;
		}
		r = poll(&p, 1, wait);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r == 0 && deadline_ms >= 0 && ctl_now_ms() >= deadline_ms)
			return -ETIMEDOUT;
	}
}

static void ctl_close_fds(int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

/* Receives datagrams until the reply to @p seq (or a seq-0 refusal) arrives. */
static int ctl_client_wait(struct ctl_client *cl, uint64_t seq, Flowsplice__Reply **reply, int *fds,
			   size_t *nb_fds, int64_t deadline_ms)
{
	for (;;) {
		size_t cap = *nb_fds;
		bool trunc = false;
		Flowsplice__Reply *rep;
		ssize_t len;
		int r;

		r = ctl_wait_readable(cl->fd, deadline_ms);
		if (r < 0)
			return r;
		len =
		    ctl_recv_msg(cl->fd, cl->buf, sizeof(cl->buf), fds, &cap, &trunc, MSG_DONTWAIT);
		if (len == -EAGAIN)
			continue;
		if (len < 0)
			return (int)len;
		if (len == 0 && ctl_peer_closed(cl->fd))
			return -ECONNRESET;
		if (trunc || len > CTL_MSG_MAX) {
			ctl_close_fds(fds, cap);
			return -EBADMSG;
		}
		rep = flowsplice__reply__unpack(NULL, (size_t)len, cl->buf);
		if (rep == NULL) {
			ctl_close_fds(fds, cap);
			return -EBADMSG;
		}
		if (rep->seq == seq || (rep->seq == 0 && rep->code != FLOWSPLICE__ERROR_CODE__OK)) {
			*reply = rep;
			*nb_fds = cap;
			return 0;
		}
		ctl_close_fds(fds, cap); /* a late reply to a call that timed out */
		flowsplice__reply__free_unpacked(rep, NULL);
	}
}

int ctl_client_call(struct ctl_client *cl, Flowsplice__Request *req, Flowsplice__Reply **reply,
		    int *fds, int *nb_fds, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? -1 : ctl_now_ms() + timeout_ms;
	size_t len, cap = 0;
	int r;

	*reply = NULL;
	if (fds != NULL && nb_fds != NULL && *nb_fds > 0)
		cap = (size_t)*nb_fds;
	if (nb_fds != NULL)
		*nb_fds = 0;
	req->seq = ++cl->seq;
	len = flowsplice__request__get_packed_size(req);
	if (len > CTL_MSG_MAX)
		return -EMSGSIZE;
	flowsplice__request__pack(req, cl->buf);
	r = ctl_send_msg(cl->fd, cl->buf, len, NULL, 0, 0);
	if (r == -EPIPE || r == -ECONNRESET) {
		/* Refused at accept: the server's seq-0 reply may already be queued. */
		if (ctl_client_wait(cl, req->seq, reply, NULL, &cap, ctl_now_ms()) == 0)
			return 0;
		return r;
	}
	if (r < 0)
		return r;
	r = ctl_client_wait(cl, req->seq, reply, cap ? fds : NULL, &cap, deadline);
	if (r == 0 && nb_fds != NULL)
		*nb_fds = (int)cap;
	return r;
}
