/* SPDX-License-Identifier: BSD-3-Clause */
/* Hostile-client helpers for control-channel tests. See ctl_abuse.h. */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl_abuse.h"
#include "ctl_client.h"

int ctl_abuse_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* Reads one datagram within the timeout; 0 bytes + hang-up is -ECONNRESET. */
static int ctl_abuse_recv(int sock, Flowsplice__Reply **reply)
{
	static uint8_t buf[CTL_MSG_MAX + 1];
	struct pollfd p = {.fd = sock, .events = POLLIN};
	bool trunc = false;
	ssize_t n;

	*reply = NULL;
	if (poll(&p, 1, CTL_ABUSE_TIMEOUT_MS) == 0)
		return -ETIMEDOUT;
	n = ctl_recv_msg(sock, buf, sizeof(buf), NULL, NULL, &trunc, MSG_DONTWAIT);
	if (n < 0)
		return (int)n;
	if (n == 0 && ctl_peer_closed(sock))
		return -ECONNRESET;
	if (trunc)
		return -EBADMSG;
	*reply = flowsplice__reply__unpack(NULL, (size_t)n, buf);
	return *reply != NULL ? 0 : -EBADMSG;
}

int ctl_abuse_xchg(int sock, const void *buf, size_t len, int fd, Flowsplice__Reply **reply)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	*reply = NULL;
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.b;
		msg.msg_controllen = sizeof(cbuf.b);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	/* Raw sendmsg: unlike ctl_send_msg() it does not refuse oversized datagrams. */
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		return -errno;
	return ctl_abuse_recv(sock, reply);
}

int ctl_abuse_garbage(int sock, Flowsplice__Reply **reply)
{
	static const char text[] = "garbage: this is not a protobuf message";

	return ctl_abuse_xchg(sock, text, sizeof(text) - 1, -1, reply);
}

/* Packs @p req into a malloc'ed buffer. */
static uint8_t *ctl_abuse_pack(const Flowsplice__Request *req, size_t *len)
{
	uint8_t *buf;

	*len = flowsplice__request__get_packed_size(req);
	buf = malloc(*len ? *len : 1);
	if (buf != NULL)
		flowsplice__request__pack(req, buf);
	return buf;
}

int ctl_abuse_truncated(int sock, Flowsplice__Reply **reply)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__Register reg = FLOWSPLICE__REGISTER__INIT;
	Flowsplice__Declaration decl = FLOWSPLICE__DECLARATION__INIT;
	uint8_t *buf;
	size_t len;
	int r;

	decl.traffic_class = "tcp dst port 80";
	decl.session = "5tuple";
	decl.scratchpad_size = 64;
	reg.name = "truncated-vnf";
	reg.abi_version = 1;
	reg.pid = 1;
	reg.decl = &decl;
	req.seq = CTL_ABUSE_SEQ;
	req.body_case = FLOWSPLICE__REQUEST__BODY_REGISTER;
	req.register_ = &reg;
	buf = ctl_abuse_pack(&req, &len);
	if (buf == NULL)
		return -ENOMEM;
	r = ctl_abuse_xchg(sock, buf, len - 5, -1, reply); /* cut inside Register.decl */
	free(buf);
	return r;
}

int ctl_abuse_oversized(int sock, Flowsplice__Reply **reply)
{
	uint8_t *buf = calloc(1, CTL_MSG_MAX + 1);
	int r;

	if (buf == NULL)
		return -ENOMEM;
	r = ctl_abuse_xchg(sock, buf, CTL_MSG_MAX + 1, -1, reply);
	free(buf);
	return r;
}

int ctl_abuse_empty_body(int sock, Flowsplice__Reply **reply)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	uint8_t buf[16];
	size_t len;

	req.seq = CTL_ABUSE_SEQ;
	len = flowsplice__request__pack(&req, buf);
	return ctl_abuse_xchg(sock, buf, len, -1, reply);
}

int ctl_abuse_unknown_body(int sock, Flowsplice__Reply **reply)
{
	/* seq = CTL_ABUSE_SEQ (field 1, varint), then field 99 as an empty length-delimited. */
	uint8_t buf[] = {0x08, (CTL_ABUSE_SEQ & 0x7f) | 0x80, CTL_ABUSE_SEQ >> 7, 0x9a, 0x06, 0x00};

	return ctl_abuse_xchg(sock, buf, sizeof(buf), -1, reply);
}

static int ctl_abuse_status_fd(int sock, int fd, Flowsplice__Reply **reply)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__StatusRequest st = FLOWSPLICE__STATUS_REQUEST__INIT;
	uint8_t buf[32];
	size_t len;

	req.seq = CTL_ABUSE_SEQ;
	req.body_case = FLOWSPLICE__REQUEST__BODY_STATUS;
	req.status = &st;
	len = flowsplice__request__pack(&req, buf);
	return ctl_abuse_xchg(sock, buf, len, fd, reply);
}

int ctl_abuse_status(int sock, Flowsplice__Reply **reply)
{
	return ctl_abuse_status_fd(sock, -1, reply);
}

int ctl_abuse_stray_fd(int sock, Flowsplice__Reply **reply)
{
	int p[2], r;

	if (pipe(p) < 0)
		return -errno;
	r = ctl_abuse_status_fd(sock, p[0], reply);
	close(p[0]);
	close(p[1]);
	return r;
}

int ctl_abuse_counter(const Flowsplice__Reply *status, const char *name, uint64_t *value)
{
	size_t i;

	if (status == NULL || status->body_case != FLOWSPLICE__REPLY__BODY_STATUS)
		return -ENOENT;
	for (i = 0; i < status->status->n_counters; i++) {
		if (strcmp(status->status->counters[i]->name, name) == 0) {
			*value = status->status->counters[i]->value;
			return 0;
		}
	}
	return -ENOENT;
}

/* The unprivileged child: reports {err, code, hung_up} on @p out and exits. */
static void __attribute__((noreturn))
ctl_abuse_child(const char *path, uid_t uid, gid_t gid, int out)
{
	int res[3] = {0, -1, 0};
	Flowsplice__Reply *rep = NULL;
	int sock, r;

	if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
		res[0] = -errno;
		goto report;
	}
	sock = ctl_abuse_connect(path); /* after dropping: SO_PEERCRED is taken at connect */
	if (sock < 0) {
		res[0] = sock;
		goto report;
	}
	r = ctl_abuse_status(sock, &rep);
	if (r == -EPIPE || r == -ECONNRESET) /* hung up before our send: the reply is queued */
		r = ctl_abuse_recv(sock, &rep);
	if (r < 0) {
		res[0] = r;
		goto report;
	}
	res[1] = rep->code;
	ctl_reply_free(rep);
	res[2] = ctl_abuse_recv(sock, &rep) == -ECONNRESET;
	ctl_reply_free(rep);
report:
	if (write(out, res, sizeof(res)) != sizeof(res))
		_exit(2);
	_exit(0);
}

int ctl_abuse_wrong_uid(const char *path, uid_t uid, gid_t gid, int *code, bool *hung_up)
{
	int p[2], res[3], st;
	ssize_t n;
	pid_t pid;

	if (pipe(p) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		close(p[0]);
		ctl_abuse_child(path, uid, gid, p[1]);
	}
	close(p[1]);
	n = read(p[0], res, sizeof(res));
	close(p[0]);
	waitpid(pid, &st, 0);
	if (n != sizeof(res))
		return -EIO;
	*code = res[1];
	*hung_up = res[2] != 0;
	return res[0];
}

/* ---- the whole sequence ------------------------------------------------------------------ */

struct ctl_abuse_run {
	int sock;
	char *err;
	size_t errlen;
};

static int ctl_abuse_fail(struct ctl_abuse_run *run, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(run->err, run->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Reads counter @p name through a Status on the run's connection. */
static int ctl_abuse_get(struct ctl_abuse_run *run, const char *name, uint64_t *v)
{
	Flowsplice__Reply *rep;
	int r = ctl_abuse_status(run->sock, &rep);

	if (r < 0)
		return ctl_abuse_fail(run, "status: %s", strerror(-r));
	if (rep->code != FLOWSPLICE__ERROR_CODE__OK)
		r = ctl_abuse_fail(run, "status: code %s", ctl_code_name(rep->code));
	else if (ctl_abuse_counter(rep, name, v) < 0)
		r = ctl_abuse_fail(run, "status reply lacks counter %s", name);
	ctl_reply_free(rep);
	return r;
}

/* Runs one abuse, checks the reply's code and that counter @p name grew by one. */
static int ctl_abuse_check(struct ctl_abuse_run *run, const char *what,
			   int (*abuse)(int, Flowsplice__Reply **), int code, const char *name)
{
	Flowsplice__Reply *rep;
	uint64_t before, after;
	int r;

	if (ctl_abuse_get(run, name, &before) < 0)
		return -1;
	r = abuse(run->sock, &rep);
	if (r < 0)
		return ctl_abuse_fail(run, "%s: no reply: %s", what, strerror(-r));
	r = (int)rep->code == code ? 0
				   : ctl_abuse_fail(run, "%s: got %s, want %s", what,
						    ctl_code_name(rep->code), ctl_code_name(code));
	ctl_reply_free(rep);
	if (r < 0 || ctl_abuse_get(run, name, &after) < 0)
		return -1;
	if (after != before + 1)
		return ctl_abuse_fail(run, "%s: %s went %llu -> %llu", what, name,
				      (unsigned long long)before, (unsigned long long)after);
	return 0;
}

static int ctl_abuse_fresh_client(struct ctl_abuse_run *run, const char *path)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__StatusRequest st = FLOWSPLICE__STATUS_REQUEST__INIT;
	Flowsplice__Reply *rep = NULL;
	struct ctl_client *cl;
	int r;

	r = ctl_client_connect(path, &cl);
	if (r < 0)
		return ctl_abuse_fail(run, "fresh client: connect: %s", strerror(-r));
	req.body_case = FLOWSPLICE__REQUEST__BODY_STATUS;
	req.status = &st;
	r = ctl_client_call(cl, &req, &rep, NULL, NULL, CTL_ABUSE_TIMEOUT_MS);
	if (r < 0)
		r = ctl_abuse_fail(run, "fresh client: call: %s", strerror(-r));
	else if (rep->code != FLOWSPLICE__ERROR_CODE__OK || rep->seq != req.seq)
		r = ctl_abuse_fail(run, "fresh client: code %s seq %llu", ctl_code_name(rep->code),
				   (unsigned long long)rep->seq);
	ctl_reply_free(rep);
	ctl_client_close(cl);
	return r;
}

int ctl_abuse_run_all(const char *path, char *err, size_t errlen)
{
	struct ctl_abuse_run run = {.err = err, .errlen = errlen};
	uint64_t before = 0, after = 0;
	bool hung_up = false;
	int r, code = -1;

	run.sock = ctl_abuse_connect(path);
	if (run.sock < 0)
		return ctl_abuse_fail(&run, "connect %s: %s", path, strerror(-run.sock));
	r = ctl_abuse_check(&run, "garbage", ctl_abuse_garbage,
			    FLOWSPLICE__ERROR_CODE__ERR_MALFORMED, "ctl_malformed");
	r = r
		?: ctl_abuse_check(&run, "truncated", ctl_abuse_truncated,
				   FLOWSPLICE__ERROR_CODE__ERR_TRUNCATED, "ctl_truncated");
	r = r
		?: ctl_abuse_check(&run, "oversized", ctl_abuse_oversized,
				   FLOWSPLICE__ERROR_CODE__ERR_OVERSIZED, "ctl_oversized");
	r = r
		?: ctl_abuse_check(&run, "empty body", ctl_abuse_empty_body,
				   FLOWSPLICE__ERROR_CODE__ERR_UNKNOWN, "ctl_unknown");
	r = r
		?: ctl_abuse_check(&run, "unknown body", ctl_abuse_unknown_body,
				   FLOWSPLICE__ERROR_CODE__ERR_UNKNOWN, "ctl_unknown");
	r = r
		?: ctl_abuse_check(&run, "stray fd", ctl_abuse_stray_fd, FLOWSPLICE__ERROR_CODE__OK,
				   "ctl_stray_fds");
	r = r ?: ctl_abuse_get(&run, "ctl_refused_uid", &before);
	if (r == 0) {
		r = ctl_abuse_wrong_uid(path, 65534, 65534, &code, &hung_up);
		if (r < 0)
			r = ctl_abuse_fail(&run, "wrong uid: %s", strerror(-r));
		else if (code != FLOWSPLICE__ERROR_CODE__ERR_PERMISSION || !hung_up)
			r = ctl_abuse_fail(&run, "wrong uid: code %s, hung up %d",
					   ctl_code_name(code), hung_up);
	}
	r = r ?: ctl_abuse_get(&run, "ctl_refused_uid", &after);
	if (r == 0 && after != before + 1)
		r = ctl_abuse_fail(&run, "ctl_refused_uid went %llu -> %llu",
				   (unsigned long long)before, (unsigned long long)after);
	close(run.sock);
	return r ?: ctl_abuse_fresh_client(&run, path);
}
