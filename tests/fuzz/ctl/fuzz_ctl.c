/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Harness of the control messages (proto/): the protobuf-c decoder of the generated schema and
 * the server's handling of hostile datagrams. The first input byte chooses:
 *  - even: the rest is one datagram sent to a real ctl_server (a SOCK_SEQPACKET socket in a
 *    private directory, one client connection kept across runs). Every datagram must get exactly
 *    one Reply that decodes, with the seq and code the contract of ctl.h gives (OK for a Request
 *    with a body, ERR_UNKNOWN without, ERR_TRUNCATED / ERR_MALFORMED when it does not decode,
 *    seq from ctl_wire_scan() then), and the connection stays open;
 *  - odd: the rest is a Reply as a client decodes it.
 * Whatever decodes must re-encode to bytes that decode and re-encode identically (when it kept no
 * unknown field, see has_unknown()), and must not
 * be judged truncated by ctl_wire_scan() (it may be judged malformed: protobuf-c 1.4 accepts a
 * tag varint longer than 32 bits, truncating it, where the scan refuses it). With protobuf-c
 * compiled in from source (see README.md), the decoder's own branches are covered too.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_server.h"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ctl_server *srv;
static char dir[64], sock_path[96];
static int cli = -1;
static uint8_t rx[CTL_MSG_MAX + 1];

/* The handler: answers with a short text naming the body, from the connection's arena. */
static int on_request(void *arg, struct ctl_conn *conn, const Flowsplice__Request *req,
		      Flowsplice__Reply *reply)
{
	char text[64];

	(void)arg;
	FZ_CHECK(req->body_case != FLOWSPLICE__REQUEST__BODY__NOT_SET, "request without body");
	snprintf(text, sizeof(text), "body %d", (int)req->body_case);
	reply->message = ctl_reply_strdup(conn, text);
	return reply->message != NULL ? 0 : -ENOMEM;
}

static void cleanup(void)
{
	if (cli >= 0)
		close(cli);
	ctl_server_destroy(srv);
	unlink(sock_path);
	rmdir(dir);
}

static void client_connect(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (cli >= 0)
		close(cli);
	cli = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	FZ_CHECK(cli >= 0, "socket: %s", strerror(errno));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	FZ_CHECK(connect(cli, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect: %s",
		 strerror(errno));
	FZ_CHECK(ctl_server_poll(srv, 0) >= 0, "poll (accept)");
	FZ_CHECK(ctl_server_nb_conns(srv) == 1, "%u connections", ctl_server_nb_conns(srv));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ctl_server_opts opts = {.on_request = on_request};
	int rc;

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "/tmp/fs-fuzz-ctl-%d", (int)getpid());
	snprintf(sock_path, sizeof(sock_path), "%s/ctl.sock", dir);
	rc = ctl_server_create(sock_path, &opts, &srv);
	FZ_CHECK(rc == 0, "ctl_server_create %s: %d", sock_path, rc);
	atexit(cleanup);
	client_connect();
	return 0;
}

/*
 * True when m or a message inside it kept unknown fields. protobuf-c keeps them verbatim, even
 * ones it should refuse (field number 0 written as a 2-byte varint), and re-encodes them in a
 * form it then refuses: the round trip below holds for known fields only.
 */
static bool has_unknown(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	if (m->n_unknown_fields > 0)
		return true;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *)m + f->offset;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
			ProtobufCMessage *const *v = *(ProtobufCMessage *const *const *)base;

			for (size_t k = 0; k < n; k++)
				if (v[k] != NULL && has_unknown(v[k]))
					return true;
		} else {
			const ProtobufCMessage *sub = *(ProtobufCMessage *const *)base;

			if (sub != NULL &&
			    (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ||
			     *(const uint32_t *)((const char *)m + f->quantifier_offset) ==
				 f->id) &&
			    has_unknown(sub))
				return true;
		}
	}
	return false;
}

/* pack(unpack(x)) is a fixed point of unpack-then-pack (known fields only, see above). */
static void check_roundtrip(const ProtobufCMessage *msg)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	size_t n = protobuf_c_message_get_packed_size(msg), n2;
	uint8_t *a = malloc(n + 1), *b;
	ProtobufCMessage *again;

	if (has_unknown(msg)) {
		free(a);
		return;
	}
	FZ_CHECK(a != NULL, "no memory");
	FZ_CHECK(protobuf_c_message_pack(msg, a) == n, "pack size");
	again = protobuf_c_message_unpack(d, NULL, n, a);
	FZ_CHECK(again != NULL, "a packed %s does not decode", d->short_name);
	n2 = protobuf_c_message_get_packed_size(again);
	b = malloc(n2 + 1);
	FZ_CHECK(b != NULL, "no memory");
	FZ_CHECK(protobuf_c_message_pack(again, b) == n2 && n2 == n && memcmp(a, b, n) == 0,
		 "%s re-encoding differs", d->short_name);
	protobuf_c_message_free_unpacked(again, NULL);
	free(a);
	free(b);
}

/* The reply the contract of ctl.h/ctl_server.h gives for datagram data[0, len). */
static void expected_reply(const uint8_t *data, size_t len, uint64_t *seq, int *code)
{
	Flowsplice__Request *req = flowsplice__request__unpack(NULL, len, data);
	enum ctl_wire_verdict v;

	*seq = 0;
	v = ctl_wire_scan(data, len, seq);
	if (req == NULL) {
		*code = v == CTL_WIRE_TRUNCATED ? FLOWSPLICE__ERROR_CODE__ERR_TRUNCATED
						: FLOWSPLICE__ERROR_CODE__ERR_MALFORMED;
		return;
	}
	FZ_CHECK(v != CTL_WIRE_TRUNCATED, "a Request that decodes scanned as truncated");
	check_roundtrip(&req->base);
	*seq = req->seq;
	*code = req->body_case == FLOWSPLICE__REQUEST__BODY__NOT_SET
		    ? FLOWSPLICE__ERROR_CODE__ERR_UNKNOWN
		    : FLOWSPLICE__ERROR_CODE__OK;
	flowsplice__request__free_unpacked(req, NULL);
}

static void check_server(const uint8_t *data, size_t len)
{
	Flowsplice__Reply *rep;
	uint64_t seq;
	bool trunc = false;
	ssize_t n;
	int code;

	expected_reply(data, len, &seq, &code);
	FZ_CHECK(ctl_send_msg(cli, data, len, NULL, 0, 0) == 0, "send");
	FZ_CHECK(ctl_server_poll(srv, 0) >= 0, "poll");
	n = ctl_recv_msg(cli, rx, sizeof(rx), NULL, NULL, &trunc, MSG_DONTWAIT);
	FZ_CHECK(n > 0 && !trunc, "no reply (%zd)", n);
	rep = flowsplice__reply__unpack(NULL, (size_t)n, rx);
	FZ_CHECK(rep != NULL, "the server's reply does not decode");
	FZ_CHECK(rep->seq == seq && (int)rep->code == code,
		 "reply seq %llu code %d, expected seq %llu code %d", (unsigned long long)rep->seq,
		 (int)rep->code, (unsigned long long)seq, code);
	flowsplice__reply__free_unpacked(rep, NULL);
	n = ctl_recv_msg(cli, rx, sizeof(rx), NULL, NULL, &trunc, MSG_DONTWAIT);
	FZ_CHECK(n == -EAGAIN, "a second reply (%zd)", n);
	FZ_CHECK(ctl_server_nb_conns(srv) == 1 && !ctl_peer_closed(cli), "connection closed");
}

static void check_reply(const uint8_t *data, size_t len)
{
	Flowsplice__Reply *rep = flowsplice__reply__unpack(NULL, len, data);
	uint64_t seq;

	if (rep == NULL)
		return;
	FZ_CHECK(ctl_wire_scan(data, len, &seq) != CTL_WIRE_TRUNCATED,
		 "a Reply that decodes scanned as truncated");
	check_roundtrip(&rep->base);
	flowsplice__reply__free_unpacked(rep, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size - 1 > CTL_MSG_MAX)
		return -1;
	if (data[0] & 1)
		check_reply(data + 1, size - 1);
	else
		check_server(data + 1, size - 1);
	return 0;
}
