/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket's file (proto/ctl_server.c): created with exactly the requested mode
 * whatever the process umask, and never a chmod() on the path after bind(). Regression (issue
 * #17 item 8): ctl_listen() chmod()ed the path after bind(); an attacker who can write the
 * directory could put a symlink there in between, and flowmgr (root) changed the mode of the
 * symlink's target. bind() is wrapped (-Wl,--wrap=bind) to be that attacker: right after the real
 * bind() it replaces the socket file by a symlink to a victim file of mode 0600.
 */
#include <check.h>

#include "fs_check.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl_server.h"

static char dir[64], sock_path[128], victim[128];
static int attack; /* 1: replace the socket by a symlink to the victim right after bind() */

int __real_bind(int fd, const struct sockaddr *sa, socklen_t len);
int __wrap_bind(int fd, const struct sockaddr *sa, socklen_t len);

int __wrap_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	int r = __real_bind(fd, sa, len);

	if (r == 0 && attack) {
		unlink(sock_path);
		ck_assert_int_eq(symlink(victim, sock_path), 0);
	}
	return r;
}

static int on_request(void *arg, struct ctl_conn *conn, const Flowsplice__Request *req,
		      Flowsplice__Reply *reply)
{
	(void)arg;
	(void)conn;
	(void)req;
	(void)reply;
	return 0;
}

static void setup(void)
{
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/fs-ctl-listen-%d", (int)getpid());
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(sock_path, sizeof(sock_path), "%s/sub/dir/ctl.sock", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	f = fopen(victim, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(chmod(victim, 0600), 0);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static mode_t mode_of(const char *p)
{
	struct stat st;

	ck_assert_int_eq(lstat(p, &st), 0);
	return st.st_mode;
}

START_TEST(test_ctl_listen_exact_modes_whatever_the_umask)
{
	const mode_t umasks[] = {0, 022, 077};
	struct ctl_server_opts o = {.on_request = on_request, .sock_mode = 0660, .dir_mode = 0750};
	struct ctl_server *srv;
	char sub[128];

	setup();
	for (unsigned int i = 0; i < 3; i++) {
		mode_t old = umask(umasks[i]);

		ck_assert_int_eq(ctl_server_create(sock_path, &o, &srv), 0);
		umask(old);
		ck_assert(S_ISSOCK(mode_of(sock_path)));
		ck_assert_uint_eq(mode_of(sock_path) & 07777, 0660);
		snprintf(sub, sizeof(sub), "%s/sub/dir", dir);
		ck_assert_uint_eq(mode_of(sub) & 07777, 0750);
		snprintf(sub, sizeof(sub), "%s/sub", dir);
		ck_assert_uint_eq(mode_of(sub) & 07777, 0750);
		ctl_server_destroy(srv);
		snprintf(sub, sizeof(sub), "rm -rf '%s/sub'", dir);
		ck_assert_int_eq(system(sub), 0);
	}
	teardown();
}
END_TEST

START_TEST(test_ctl_listen_never_chmods_a_symlink)
{
	struct ctl_server_opts o = {.on_request = on_request, .sock_mode = 0666};
	struct ctl_server *srv = NULL;
	int rc;

	setup();
	attack = 1;
	rc = ctl_server_create(sock_path, &o, &srv);
	attack = 0;
	ck_assert_uint_eq(mode_of(victim) & 07777, 0600); /* the victim's mode untouched */
	ck_assert_int_eq(rc, -EEXIST);			  /* and the server refuses the path */
	ck_assert_ptr_null(srv);
	ck_assert(S_ISLNK(mode_of(sock_path))); /* not removed either: not ours */
	teardown();
}
END_TEST

static Suite *ctl_listen_suite(void)
{
	Suite *s = suite_create("ctl_listen");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_ctl_listen_exact_modes_whatever_the_umask);
	tcase_add_test(tc, test_ctl_listen_never_chmods_a_symlink);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(ctl_listen_suite());
}
