/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Framing and helpers shared by the control server and client: datagrams with SCM_RIGHTS, the
 * schema-less wire scan that tells truncated from malformed, error code strings.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl.h"

static const char *const ctl_code_text[] = {
    [FLOWSPLICE__ERROR_CODE__OK] = "success",
    [FLOWSPLICE__ERROR_CODE__ERR_MALFORMED] = "malformed message (does not decode)",
    [FLOWSPLICE__ERROR_CODE__ERR_TRUNCATED] = "truncated message",
    [FLOWSPLICE__ERROR_CODE__ERR_OVERSIZED] = "message larger than the 64 KiB limit",
    [FLOWSPLICE__ERROR_CODE__ERR_UNKNOWN] = "unknown or missing request body",
    [FLOWSPLICE__ERROR_CODE__ERR_PERMISSION] = "permission denied (peer uid not allowed)",
    [FLOWSPLICE__ERROR_CODE__ERR_INVALID] = "invalid request",
    [FLOWSPLICE__ERROR_CODE__ERR_ABI] = "shared-memory ABI version mismatch",
    [FLOWSPLICE__ERROR_CODE__ERR_BUSY] = "busy (already registered by a live process)",
    [FLOWSPLICE__ERROR_CODE__ERR_NOT_FOUND] = "no such VNF",
    [FLOWSPLICE__ERROR_CODE__ERR_INTERNAL] = "internal error in flowmgr",
    [FLOWSPLICE__ERROR_CODE__ERR_LIMIT] = "too many control connections",
};

const char *ctl_code_str(int code)
{
	if (code < 0 || (size_t)code >= sizeof(ctl_code_text) / sizeof(ctl_code_text[0]) ||
	    ctl_code_text[code] == NULL)
		return "unknown error code";
	return ctl_code_text[code];
}

const char *ctl_code_name(int code)
{
	const ProtobufCEnumValue *v =
	    protobuf_c_enum_descriptor_get_value(&flowsplice__error_code__descriptor, code);

	return v != NULL ? v->name : "?";
}

const char *ctl_connect_strerror(int err, const char *path, char *buf, size_t len)
{
	const char *hint = "";

	if (err < 0)
		err = -err;
	if (err == ENOENT || err == ECONNREFUSED)
		hint = " — is flowmgr running?";
	else if (err == EACCES || err == EPERM)
		hint = " — run as root or as a user flowmgr allows (socket mode, allowed uids)";
	else if (err == ENAMETOOLONG)
		hint = " — socket paths are limited to 107 bytes";
	snprintf(buf, len, "cannot connect to %s: %s%s", path ? path : CTL_DEFAULT_PATH,
		 strerror(err), hint);
	return buf;
}

int ctl_send_msg(int fd, const void *buf, size_t len, const int *fds, size_t nb_fds, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * CTL_MAX_FDS)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (len > CTL_MSG_MAX || nb_fds > CTL_MAX_FDS)
		return -EMSGSIZE;
	if (nb_fds > 0) {
		struct cmsghdr *c;

		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nb_fds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nb_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nb_fds);
	}
	do {
		n = sendmsg(fd, &msg, MSG_NOSIGNAL | flags);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* Stores the SCM_RIGHTS descriptors of @p msg in @p fds, closes whatever does not fit. */
static void ctl_take_fds(struct msghdr *msg, int *fds, size_t *nb_fds)
{
	size_t cap = (fds != NULL && nb_fds != NULL) ? *nb_fds : 0, got = 0;
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		size_t i, n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int one;

			memcpy(&one, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (got < cap)
				fds[got++] = one;
			else
				close(one);
		}
	}
	if (nb_fds != NULL)
		*nb_fds = got;
}

ssize_t ctl_recv_msg(int fd, void *buf, size_t cap, int *fds, size_t *nb_fds, bool *truncated,
		     int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * CTL_MAX_FDS * 2)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr msg = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = cbuf.buf,
	    .msg_controllen = sizeof(cbuf.buf),
	};
	ssize_t n;

	do {
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | flags);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (nb_fds != NULL)
			*nb_fds = 0;
		return -errno;
	}
	ctl_take_fds(&msg, fds, nb_fds);
	if (truncated != NULL)
		*truncated = (msg.msg_flags & MSG_TRUNC) != 0 || (size_t)n > cap;
	return n;
}

bool ctl_peer_closed(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLRDHUP};

	if (poll(&p, 1, 0) < 0)
		return false;
	return (p.revents & (POLLHUP | POLLRDHUP | POLLERR)) != 0;
}

/* Reads one varint at *pos; 0, 1 when the buffer ends inside it, 2 when longer than 10 bytes. */
static int ctl_wire_varint(const uint8_t *buf, size_t len, size_t *pos, uint64_t *out)
{
	uint64_t v = 0;
	unsigned int shift;

	for (shift = 0; shift < 70; shift += 7) {
		uint8_t b;

		if (*pos >= len)
			return CTL_WIRE_TRUNCATED;
		b = buf[(*pos)++];
		v |= (uint64_t)(b & 0x7f) << (shift < 64 ? shift : 63);
		if ((b & 0x80) == 0) {
			*out = v;
			return CTL_WIRE_OK;
		}
	}
	return CTL_WIRE_BAD;
}

enum ctl_wire_verdict ctl_wire_scan(const uint8_t *buf, size_t len, uint64_t *seq)
{
	size_t pos = 0;

	while (pos < len) {
		uint64_t key, val;
		int r = ctl_wire_varint(buf, len, &pos, &key);

		if (r != CTL_WIRE_OK)
			return r;
		if ((key >> 3) == 0 || (key >> 3) > 0x1fffffff)
			return CTL_WIRE_BAD;
		switch (key & 7) {
		case 0: /* varint */
			r = ctl_wire_varint(buf, len, &pos, &val);
			if (r != CTL_WIRE_OK)
				return r;
			if ((key >> 3) == 1 && seq != NULL)
				*seq = val;
			break;
		case 1: /* fixed64 */
			if (len - pos < 8)
				return CTL_WIRE_TRUNCATED;
			pos += 8;
			break;
		case 2: /* length-delimited */
			r = ctl_wire_varint(buf, len, &pos, &val);
			if (r != CTL_WIRE_OK)
				return r;
			if (val > len - pos)
				return CTL_WIRE_TRUNCATED;
			pos += val;
			break;
		case 5: /* fixed32 */
			if (len - pos < 4)
				return CTL_WIRE_TRUNCATED;
			pos += 4;
			break;
		default: /* groups (3, 4) are not used by proto3; 6, 7 do not exist */
			return CTL_WIRE_BAD;
		}
	}
	return CTL_WIRE_OK;
}
