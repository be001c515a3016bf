/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control channel transport: a real server in a thread on a socket in a temp dir, hostile and
 * well-behaved clients (ctl_abuse.c), fd passing, credentials, limits, stale sockets.
 */
#include <check.h>

#include "fs_check.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl_abuse.h"
#include "ctl_client.h"
#include "ctl_server.h"

static const char fd_payload[] = "flowsplice scratchpad pool";

struct srv_fixture {
	char dir[64];
	char path[128];
	struct ctl_server *srv;
	pthread_t thread;
	atomic_bool stop;
	atomic_int disconnects;
	atomic_int last_disconnect_id;
	int memfd;
};

static struct srv_fixture fx;

static int on_request(void *arg, struct ctl_conn *conn, const Flowsplice__Request *req,
		      Flowsplice__Reply *reply)
{
	struct srv_fixture *f = arg;
	Flowsplice__StatusReply *st;
	Flowsplice__RegisterReply *rr;

	switch (req->body_case) {
	case FLOWSPLICE__REQUEST__BODY_STATUS:
		st = ctl_reply_alloc(conn, sizeof(*st));
		if (st == NULL)
			return -ENOMEM;
		flowsplice__status_reply__init(st);
		st->pid = getpid();
		if (ctl_reply_add_counters(conn, &st->counters, &st->n_counters) < 0)
			return -ENOMEM;
		reply->body_case = FLOWSPLICE__REPLY__BODY_STATUS;
		reply->status = st;
		return 0;
	case FLOWSPLICE__REQUEST__BODY_REGISTER:
		if (strcmp(req->register_->name, "fail") == 0)
			return -EIO;
		rr = ctl_reply_alloc(conn, sizeof(*rr));
		if (rr == NULL)
			return -ENOMEM;
		flowsplice__register_reply__init(rr);
		rr->vnf_id = (uint32_t)ctl_conn_id(conn);
		rr->rx_ring = ctl_reply_strdup(conn, req->register_->name);
		ctl_conn_set_user(conn, (void *)(uintptr_t)ctl_conn_id(conn));
		reply->body_case = FLOWSPLICE__REPLY__BODY_REGISTER;
		reply->register_ = rr;
		return ctl_reply_attach_fd(conn, f->memfd, "scratchpad_pool") < 0 ? -EBADF : 0;
	case FLOWSPLICE__REQUEST__BODY_KILL:
		return CTL_CLOSE;
	default:
		return ctl_reply_error(conn, reply, FLOWSPLICE__ERROR_CODE__ERR_INVALID,
				       "body %d not handled by the test", req->body_case);
	}
}

static void on_disconnect(void *arg, struct ctl_conn *conn)
{
	struct srv_fixture *f = arg;

	atomic_store(&f->last_disconnect_id, (int)(uintptr_t)ctl_conn_user(conn));
	atomic_fetch_add(&f->disconnects, 1);
}

static void *srv_loop(void *arg)
{
	struct srv_fixture *f = arg;

	while (!atomic_load(&f->stop))
		ck_assert_int_ge(ctl_server_poll(f->srv, 20), 0);
	return NULL;
}

static void srv_start_opts(struct ctl_server_opts *opts)
{
	memset(&fx, 0, sizeof(fx));
	strcpy(fx.dir, "/tmp/ctltest.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx.dir));
	ck_assert_int_eq(chmod(fx.dir, 0755), 0); /* the uid-65534 peer must traverse it */
	snprintf(fx.path, sizeof(fx.path), "%s/run/flowsplice/flowmgr.sock", fx.dir);
	fx.memfd = memfd_create("ctl-test", MFD_CLOEXEC);
	ck_assert_int_ge(fx.memfd, 0);
	ck_assert_int_eq(write(fx.memfd, fd_payload, sizeof(fd_payload)), sizeof(fd_payload));
	opts->on_request = on_request;
	opts->on_disconnect = on_disconnect;
	opts->arg = &fx;
	opts->sock_mode = 0666;
	ck_assert_int_eq(ctl_server_create(fx.path, opts, &fx.srv), 0);
	ck_assert_int_eq(pthread_create(&fx.thread, NULL, srv_loop, &fx), 0);
}

static void srv_start(void)
{
	struct ctl_server_opts opts = {0};

	srv_start_opts(&opts);
}

/* Stops the thread; counters may be read directly afterwards. */
static void srv_join(void)
{
	atomic_store(&fx.stop, true);
	pthread_join(fx.thread, NULL);
}

static void srv_stop(void)
{
	char cmd[128];

	if (!atomic_load(&fx.stop))
		srv_join();
	ctl_server_destroy(fx.srv);
	ck_assert_int_ne(access(fx.path, F_OK), 0); /* socket unlinked */
	close(fx.memfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx.dir);
	ck_assert_int_eq(system(cmd), 0);
}

static Flowsplice__Reply *call_status(struct ctl_client *cl)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__StatusRequest st = FLOWSPLICE__STATUS_REQUEST__INIT;
	Flowsplice__Reply *rep = NULL;

	req.body_case = FLOWSPLICE__REQUEST__BODY_STATUS;
	req.status = &st;
	ck_assert_int_eq(ctl_client_call(cl, &req, &rep, NULL, NULL, 2000), 0);
	ck_assert_uint_eq(rep->seq, req.seq);
	return rep;
}

/* Sends one abuse on a fresh raw connection, checks code and seq, returns the sock. */
static int abuse_expect(int (*abuse)(int, Flowsplice__Reply **), int code, uint64_t seq)
{
	Flowsplice__Reply *rep;
	int sock = ctl_abuse_connect(fx.path);

	ck_assert_int_ge(sock, 0);
	ck_assert_int_eq(abuse(sock, &rep), 0);
	ck_assert_str_eq(ctl_code_name(rep->code), ctl_code_name(code));
	ck_assert_uint_eq(rep->seq, seq);
	if (code != FLOWSPLICE__ERROR_CODE__OK)
		ck_assert_int_gt(strlen(rep->message), 0);
	ctl_reply_free(rep);
	/* the connection survives: a well-formed request on it is answered */
	ck_assert_int_eq(ctl_abuse_status(sock, &rep), 0);
	ck_assert_int_eq(rep->code, FLOWSPLICE__ERROR_CODE__OK);
	ctl_reply_free(rep);
	return sock;
}

/* Dropping to uid 65534 needs root; without it the credential tests are skipped, loudly. */
static bool need_root(const char *test)
{
	if (geteuid() == 0)
		return true;
	fprintf(stderr, "%s: SKIPPED (needs root to drop to uid 65534)\n", test);
	return false;
}

static uint64_t counter(enum ctl_counter c)
{
	return ctl_server_counters(fx.srv)->v[c];
}

START_TEST(test_ctl_server_poll_garbage_malformed)
{
	srv_start();
	close(abuse_expect(ctl_abuse_garbage, FLOWSPLICE__ERROR_CODE__ERR_MALFORMED, 0));
	srv_join();
	ck_assert_uint_eq(counter(CTL_CNT_MALFORMED), 1);
	ck_assert_uint_eq(counter(CTL_CNT_REQUESTS), 1);
	srv_stop();
}
END_TEST

START_TEST(test_ctl_server_poll_truncated_reply)
{
	srv_start();
	close(abuse_expect(ctl_abuse_truncated, FLOWSPLICE__ERROR_CODE__ERR_TRUNCATED,
			   CTL_ABUSE_SEQ));
	srv_join();
	ck_assert_uint_eq(counter(CTL_CNT_TRUNCATED), 1);
	ck_assert_uint_eq(counter(CTL_CNT_MALFORMED), 0);
	srv_stop();
}
END_TEST

START_TEST(test_ctl_server_poll_oversized_reply)
{
	srv_start();
	close(abuse_expect(ctl_abuse_oversized, FLOWSPLICE__ERROR_CODE__ERR_OVERSIZED, 0));
	srv_join();
	ck_assert_uint_eq(counter(CTL_CNT_OVERSIZED), 1);
	srv_stop();
}
END_TEST

START_TEST(test_ctl_server_poll_empty_body_unknown)
{
	srv_start();
	close(
	    abuse_expect(ctl_abuse_empty_body, FLOWSPLICE__ERROR_CODE__ERR_UNKNOWN, CTL_ABUSE_SEQ));
	close(abuse_expect(ctl_abuse_unknown_body, FLOWSPLICE__ERROR_CODE__ERR_UNKNOWN,
			   CTL_ABUSE_SEQ));
	srv_join();
	ck_assert_uint_eq(counter(CTL_CNT_UNKNOWN), 2);
	srv_stop();
}
END_TEST

START_TEST(test_ctl_server_poll_zero_length_unknown)
{
	Flowsplice__Reply *rep;
	int sock;

	srv_start();
	sock = ctl_abuse_connect(fx.path);
	ck_assert_int_ge(sock, 0);
	ck_assert_int_eq(ctl_abuse_xchg(sock, "", 0, -1, &rep), 0);
	ck_assert_int_eq(rep->code, FLOWSPLICE__ERROR_CODE__ERR_UNKNOWN);
	ctl_reply_free(rep);
	ck_assert_int_eq(ctl_abuse_status(sock, &rep), 0);
	ck_assert_int_eq(rep->code, FLOWSPLICE__ERROR_CODE__OK);
	ctl_reply_free(rep);
	close(sock);
	srv_stop();
}
END_TEST

START_TEST(test_ctl_server_poll_stray_fd_closed)
{
	srv_start();
	close(abuse_expect(ctl_abuse_stray_fd, FLOWSPLICE__ERROR_CODE__OK, CTL_ABUSE_SEQ));
	srv_join();
	ck_assert_uint_eq(counter(CTL_CNT_STRAY_FDS), 1);
	srv_stop();
}
END_TEST

START_TEST(test_ctl_server_poll_wrong_uid_refused)
{
	bool hung_up = false;
	int code = -1;

	if (!need_root(__func__))
		return;

	srv_start();
	ck_assert_int_eq(ctl_abuse_wrong_uid(fx.path, 65534, 65534, &code, &hung_up), 0);
	ck_assert_int_eq(code, FLOWSPLICE__ERROR_CODE__ERR_PERMISSION);
	ck_assert(hung_up);
	srv_join();
	ck_assert_uint_eq(counter(CTL_CNT_REFUSED_UID), 1);
	ck_assert_uint_eq(counter(CTL_CNT_ACCEPTED), 0);
	ck_assert_int_eq(atomic_load(&fx.disconnects), 0); /* refused peers never reach callbacks */
	srv_stop();
}
END_TEST

START_TEST(test_ctl_server_poll_allowed_uid_served)
{
	struct ctl_server_opts opts = {0};
	uid_t uids[] = {65534};
	bool hung_up = true;
	int code = -1;

	if (!need_root(__func__))
		return;

	opts.allowed_uids = uids;
	opts.nb_allowed_uids = 1;
	srv_start_opts(&opts);
	ck_assert_int_eq(ctl_abuse_wrong_uid(fx.path, 65534, 65534, &code, &hung_up), 0);
	ck_assert_int_eq(code, FLOWSPLICE__ERROR_CODE__OK);
	ck_assert(!hung_up);
	srv_stop();
}
END_TEST

START_TEST(test_ctl_server_poll_serves_after_abuse)
{
	char err[256] = "";
	int r;

	if (!need_root(__func__))
		return;

	srv_start();
	r = ctl_abuse_run_all(fx.path, err, sizeof(err));
	ck_assert_msg(r == 0, "ctl_abuse_run_all: %s", err);
	srv_stop();
}
END_TEST

START_TEST(test_ctl_reply_attach_fd_memfd_readable)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__Register reg = FLOWSPLICE__REGISTER__INIT;
	Flowsplice__Reply *rep = NULL;
	struct ctl_client *cl;
	char buf[64] = "";
	int fds[CTL_MAX_FDS], nb = CTL_MAX_FDS;

	srv_start();
	ck_assert_int_eq(ctl_client_connect(fx.path, &cl), 0);
	reg.name = "forward";
	req.body_case = FLOWSPLICE__REQUEST__BODY_REGISTER;
	req.register_ = &reg;
	ck_assert_int_eq(ctl_client_call(cl, &req, &rep, fds, &nb, 2000), 0);
	ck_assert_int_eq(rep->code, FLOWSPLICE__ERROR_CODE__OK);
	ck_assert_int_eq(rep->body_case, FLOWSPLICE__REPLY__BODY_REGISTER);
	ck_assert_str_eq(rep->register_->rx_ring, "forward");
	ck_assert_int_eq(nb, 1);
	ck_assert_uint_eq(rep->n_fds, 1);
	ck_assert_str_eq(rep->fds[0], "scratchpad_pool");
	ck_assert_int_eq(pread(fds[0], buf, sizeof(buf), 0), sizeof(fd_payload));
	ck_assert_str_eq(buf, fd_payload);
	ck_assert_int_ne(fds[0], fx.memfd); /* a new descriptor of the same file */
	close(fds[0]);
	ctl_reply_free(rep);
	ctl_client_close(cl);
	srv_stop();
}
END_TEST

START_TEST(test_ctl_server_poll_handler_error_internal)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__Register reg = FLOWSPLICE__REGISTER__INIT;
	Flowsplice__Reply *rep = NULL;
	struct ctl_client *cl;

	srv_start();
	ck_assert_int_eq(ctl_client_connect(fx.path, &cl), 0);
	reg.name = "fail";
	req.body_case = FLOWSPLICE__REQUEST__BODY_REGISTER;
	req.register_ = &reg;
	ck_assert_int_eq(ctl_client_call(cl, &req, &rep, NULL, NULL, 2000), 0);
	ck_assert_int_eq(rep->code, FLOWSPLICE__ERROR_CODE__ERR_INTERNAL);
	ck_assert_str_eq(rep->message, strerror(EIO));
	ctl_reply_free(rep);
	ctl_reply_free(call_status(cl));
	ctl_client_close(cl);
	srv_join();
	ck_assert_uint_eq(counter(CTL_CNT_HANDLER_ERRORS), 1);
	srv_stop();
}
END_TEST

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(test_ctl_server_poll_disconnect_within_second)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__Register reg = FLOWSPLICE__REGISTER__INIT;
	Flowsplice__Reply *rep = NULL;
	struct ctl_client *cl;
	int64_t t0;
	uint32_t id;
	pid_t pid;

	srv_start();
	ck_assert_int_eq(ctl_client_connect(fx.path, &cl), 0);
	reg.name = "forward";
	req.body_case = FLOWSPLICE__REQUEST__BODY_REGISTER;
	req.register_ = &reg;
	ck_assert_int_eq(ctl_client_call(cl, &req, &rep, NULL, NULL, 2000), 0);
	id = rep->register_->vnf_id;
	ctl_reply_free(rep);
	/* A child holding a copy of the socket dies by SIGKILL: no hang-up while we hold ours. */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	usleep(100 * 1000);
	ck_assert_int_eq(atomic_load(&fx.disconnects), 0);
	t0 = now_ms();
	ctl_client_close(cl);
	while (atomic_load(&fx.disconnects) == 0 && now_ms() - t0 < 1000)
		usleep(1000);
	ck_assert_int_eq(atomic_load(&fx.disconnects), 1);
	ck_assert_int_eq(atomic_load(&fx.last_disconnect_id), (int)id); /* user pointer kept */
	srv_stop();
}
END_TEST

START_TEST(test_ctl_server_poll_ctl_close_disconnects)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__Kill k = FLOWSPLICE__KILL__INIT;
	Flowsplice__Reply *rep = NULL;
	struct ctl_client *cl;

	srv_start();
	ck_assert_int_eq(ctl_client_connect(fx.path, &cl), 0);
	k.name = "x";
	req.body_case = FLOWSPLICE__REQUEST__BODY_KILL;
	req.kill = &k;
	ck_assert_int_eq(ctl_client_call(cl, &req, &rep, NULL, NULL, 2000), 0);
	ck_assert_int_eq(rep->code, FLOWSPLICE__ERROR_CODE__OK);
	ctl_reply_free(rep);
	k.name = "y";
	ck_assert_int_lt(ctl_client_call(cl, &req, &rep, NULL, NULL, 2000), 0);
	ctl_client_close(cl);
	srv_join();
	ck_assert_int_eq(atomic_load(&fx.disconnects), 1);
	srv_stop();
}
END_TEST

START_TEST(test_ctl_server_poll_conn_limit)
{
	struct ctl_server_opts opts = {0};
	struct ctl_client *a, *b, *c;
	Flowsplice__Reply *rep;

	opts.max_conns = 2;
	srv_start_opts(&opts);
	ck_assert_int_eq(ctl_client_connect(fx.path, &a), 0);
	ck_assert_int_eq(ctl_client_connect(fx.path, &b), 0);
	ctl_reply_free(call_status(a));
	ctl_reply_free(call_status(b));
	ck_assert_int_eq(ctl_client_connect(fx.path, &c), 0);
	{
		Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
		Flowsplice__StatusRequest st = FLOWSPLICE__STATUS_REQUEST__INIT;

		req.body_case = FLOWSPLICE__REQUEST__BODY_STATUS;
		req.status = &st;
		ck_assert_int_eq(ctl_client_call(c, &req, &rep, NULL, NULL, 2000), 0);
		ck_assert_int_eq(rep->code, FLOWSPLICE__ERROR_CODE__ERR_LIMIT);
		ck_assert_uint_eq(rep->seq, 0);
		ctl_reply_free(rep);
	}
	ctl_client_close(c);
	ctl_reply_free(call_status(a)); /* the others are untouched */
	ctl_client_close(a);
	ctl_client_close(b);
	srv_join();
	ck_assert_uint_eq(counter(CTL_CNT_REFUSED_LIMIT), 1);
	srv_stop();
}
END_TEST

START_TEST(test_ctl_server_create_stale_socket_replaced)
{
	struct ctl_server_opts opts = {0};
	struct ctl_server *second = NULL;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	srv_start();
	/* a live server keeps its socket */
	opts.on_request = on_request;
	ck_assert_int_eq(ctl_server_create(fx.path, &opts, &second), -EADDRINUSE);
	srv_stop();
	/* a dead one's socket file is replaced */
	srv_start();
	srv_join();
	ctl_server_destroy(fx.srv);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	strcpy(sa.sun_path, fx.path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd); /* bound, never listened: connect gets ECONNREFUSED */
	ck_assert_int_eq(ctl_server_create(fx.path, &opts, &second), 0);
	ctl_server_destroy(second);
	/* a regular file is never removed */
	fd = open(fx.path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	ck_assert_int_eq(ctl_server_create(fx.path, &opts, &second), -EEXIST);
	ck_assert_int_eq(access(fx.path, F_OK), 0);
	unlink(fx.path);
	fx.srv = NULL;
	close(fx.memfd);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", fx.dir);
		ck_assert_int_eq(system(cmd), 0);
	}
}
END_TEST

START_TEST(test_ctl_server_create_modes)
{
	struct stat st;
	char dir[160];

	srv_start();
	ck_assert_int_eq(stat(fx.path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0666);
	snprintf(dir, sizeof(dir), "%s/run/flowsplice", fx.dir);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0755);
	srv_stop();
}
END_TEST

START_TEST(test_ctl_client_connect_no_server_hint)
{
	struct ctl_client *cl = NULL;
	char msg[256];
	int r;

	r = ctl_client_connect("/tmp/ctltest-nonexistent/flowmgr.sock", &cl);
	ck_assert_int_eq(r, -ENOENT);
	ctl_connect_strerror(r, "/tmp/ctltest-nonexistent/flowmgr.sock", msg, sizeof(msg));
	ck_assert_str_eq(msg, "cannot connect to /tmp/ctltest-nonexistent/flowmgr.sock: No such "
			      "file or directory — is flowmgr running?");
}
END_TEST

START_TEST(test_ctl_wire_scan_truncated_vs_bad)
{
	const uint8_t varint_cut[] = {0x08, 0x80};		  /* seq varint never ends */
	const uint8_t len_cut[] = {0x08, 0x07, 0x52, 0x05, 0x0a}; /* field 10, 5 bytes, 1 there */
	const uint8_t long_varint[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
				       0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	const uint8_t group[] = {0x0b};		       /* field 1, start group */
	const uint8_t field0[] = {0x00, 0x01};	       /* field number 0 */
	const uint8_t ok[] = {0x08, 0x07, 0x62, 0x00}; /* seq 7, field 12 empty */
	uint64_t seq = 0;

	ck_assert_int_eq(ctl_wire_scan(varint_cut, sizeof(varint_cut), &seq), CTL_WIRE_TRUNCATED);
	ck_assert_int_eq(ctl_wire_scan(len_cut, sizeof(len_cut), &seq), CTL_WIRE_TRUNCATED);
	ck_assert_uint_eq(seq, 7);
	ck_assert_int_eq(ctl_wire_scan(long_varint, sizeof(long_varint), NULL), CTL_WIRE_BAD);
	ck_assert_int_eq(ctl_wire_scan(group, sizeof(group), NULL), CTL_WIRE_BAD);
	ck_assert_int_eq(ctl_wire_scan(field0, sizeof(field0), NULL), CTL_WIRE_BAD);
	ck_assert_int_eq(ctl_wire_scan(ok, sizeof(ok), NULL), CTL_WIRE_OK);
	ck_assert_int_eq(ctl_wire_scan(NULL, 0, NULL), CTL_WIRE_OK);
}
END_TEST

/* Every enum value of the protocol has its name, one table for nfctl, its top view and telemetry
 * (top and telemetry had no name for "quarantined"). */
START_TEST(test_ctl_enum_names)
{
	static const char *const states[] = {"configured", "running", "dead", "stalled",
					     "quarantined"};
	const ProtobufCEnumDescriptor *sd = &flowsplice__vnf_state__descriptor;

	ck_assert_uint_eq(sd->n_values, sizeof(states) / sizeof(states[0]));
	for (unsigned int i = 0; i < sd->n_values; i++)
		ck_assert_str_eq(ctl_vnf_state_name(sd->values[i].value), states[i]);
	ck_assert_str_eq(ctl_vnf_state_name(99), "unknown");
	ck_assert_str_eq(ctl_policy_name(FLOWSPLICE__FAIL_POLICY__FAIL_BYPASS), "bypass");
	ck_assert_str_eq(ctl_policy_name(FLOWSPLICE__FAIL_POLICY__FAIL_DROP), "drop");
	ck_assert_str_eq(ctl_policy_name(FLOWSPLICE__FAIL_POLICY__FAIL_HOLD), "hold");
	ck_assert_str_eq(ctl_policy_name(-1), "unknown");
	ck_assert_uint_eq(flowsplice__fail_policy__descriptor.n_values, 3);
	ck_assert_str_eq(ctl_isolation_name(FLOWSPLICE__ISOLATION__ISOLATION_DIRECT), "direct");
	ck_assert_str_eq(ctl_isolation_name(FLOWSPLICE__ISOLATION__ISOLATION_INDIRECT), "indirect");
	ck_assert_str_eq(ctl_isolation_name(FLOWSPLICE__ISOLATION__ISOLATION_INDEPENDENT),
			 "independent");
	ck_assert_uint_eq(flowsplice__isolation__descriptor.n_values, 3);
}
END_TEST

START_TEST(test_ctl_code_str_all_codes)
{
	int c;

	for (c = 0; c <= FLOWSPLICE__ERROR_CODE__ERR_LIMIT; c++) {
		ck_assert_str_ne(ctl_code_str(c), "unknown error code");
		ck_assert_str_ne(ctl_code_name(c), "?");
	}
	ck_assert_str_eq(ctl_code_str(1000), "unknown error code");
	ck_assert_str_eq(ctl_code_str(-1), "unknown error code");
	ck_assert_str_eq(ctl_code_name(FLOWSPLICE__ERROR_CODE__ERR_TRUNCATED), "ERR_TRUNCATED");
	ck_assert_str_eq(ctl_counter_name(CTL_CNT_MALFORMED), "ctl_malformed");
	ck_assert_ptr_null(ctl_counter_name(CTL_CNT__MAX));
}
END_TEST

static Suite *ctl_suite(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("ctl");

	tcase_add_test(tc, test_ctl_server_poll_garbage_malformed);
	tcase_add_test(tc, test_ctl_server_poll_truncated_reply);
	tcase_add_test(tc, test_ctl_server_poll_oversized_reply);
	tcase_add_test(tc, test_ctl_server_poll_empty_body_unknown);
	tcase_add_test(tc, test_ctl_server_poll_zero_length_unknown);
	tcase_add_test(tc, test_ctl_server_poll_stray_fd_closed);
	tcase_add_test(tc, test_ctl_server_poll_wrong_uid_refused);
	tcase_add_test(tc, test_ctl_server_poll_allowed_uid_served);
	tcase_add_test(tc, test_ctl_server_poll_serves_after_abuse);
	tcase_add_test(tc, test_ctl_reply_attach_fd_memfd_readable);
	tcase_add_test(tc, test_ctl_server_poll_handler_error_internal);
	tcase_add_test(tc, test_ctl_server_poll_disconnect_within_second);
	tcase_add_test(tc, test_ctl_server_poll_ctl_close_disconnects);
	tcase_add_test(tc, test_ctl_server_poll_conn_limit);
	tcase_add_test(tc, test_ctl_server_create_stale_socket_replaced);
	tcase_add_test(tc, test_ctl_server_create_modes);
	tcase_add_test(tc, test_ctl_client_connect_no_server_hint);
	tcase_add_test(tc, test_ctl_wire_scan_truncated_vs_bad);
	tcase_add_test(tc, test_ctl_code_str_all_codes);
	tcase_add_test(tc, test_ctl_enum_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(ctl_suite());
}
