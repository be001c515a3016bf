/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_mbox.c — the command mailbox (common/fm_mbox.h) between flowmgr and a VNF, issue #17
 * item 6: a command number is never reused after a timeout (the next command gets its own reply,
 * never the late one, and runs), neither text tears, flowmgr's copy of a reply is bounded and
 * clean, and acknowledgements of numbers flowmgr never posted are recognised.
 */
#include <check.h>

#include "fs_check.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fm_mbox.h"

static struct fm_shm_vnf *new_slot(void)
{
	struct fm_shm_vnf *v = aligned_alloc(64, sizeof(*v));

	ck_assert_ptr_nonnull(v);
	memset(v, 0, sizeof(*v));
	return v;
}

START_TEST(test_mbox_post_numbers_never_reused)
{
	struct fm_shm_vnf *v = new_slot();
	uint32_t last = 0, a, b, c;

	a = fm_mbox_post(v, &last, "one");
	b = fm_mbox_post(v, &last, "two"); /* "one" timed out: never answered */
	ck_assert_uint_ne(a, b);
	ck_assert_uint_eq(a % 2, 0);
	ck_assert_uint_eq(b % 2, 0);
	ck_assert_uint_ne(a, 0);
	last = UINT32_MAX - 1; /* the counter wraps past 0, which means "none" */
	c = fm_mbox_post(v, &last, "three");
	ck_assert_uint_ne(c, 0);
	ck_assert_uint_eq(c % 2, 0);
	free(v);
}
END_TEST

/* The old protocol derived the number from cmd_ack + 1: after a timeout the next command got the
 * same number, and the late answer to the first was taken as its reply. */
START_TEST(test_mbox_timeout_then_next_gets_own_reply)
{
	struct fm_shm_vnf *v = new_slot();
	char cmd[FM_SHM_CMD_MAX], out[FM_SHM_REPLY_MAX];
	uint32_t last = 0, s1, s2, got;
	bool trunc;
	int rc;

	s1 = fm_mbox_post(v, &last, "sleep");
	ck_assert(fm_mbox_take(v, cmd, &got));
	ck_assert_uint_eq(got, s1);
	ck_assert_str_eq(cmd, "sleep");
	ck_assert_int_eq(fm_mbox_collect(v, s1, out, sizeof(out), &rc, &trunc), 0); /* timeout */
	s2 = fm_mbox_post(v, &last, "echo");
	fm_mbox_answer(v, s1, 0, "slept"); /* the late answer */
	ck_assert_int_eq(fm_mbox_collect(v, s2, out, sizeof(out), &rc, &trunc), 0);
	ck_assert(!fm_mbox_ack_is_bogus(v, s2));
	ck_assert(fm_mbox_take(v, cmd, &got)); /* and the new command runs */
	ck_assert_uint_eq(got, s2);
	ck_assert_str_eq(cmd, "echo");
	fm_mbox_answer(v, s2, 0, "echo");
	ck_assert(!fm_mbox_take(v, cmd, &got)); /* answered: not run twice */
	ck_assert_int_eq(fm_mbox_collect(v, s2, out, sizeof(out), &rc, &trunc), 1);
	ck_assert_str_eq(out, "echo");
	ck_assert_int_eq(rc, 0);
	ck_assert(!trunc);
	free(v);
}
END_TEST

/* Half-written texts are not taken: a command while flowmgr writes it, a reply while the VNF
 * writes it (odd numbers). */
START_TEST(test_mbox_half_written_not_taken)
{
	struct fm_shm_vnf *v = new_slot();
	char cmd[FM_SHM_CMD_MAX], out[64];
	uint32_t last = 0, s, got;
	bool trunc;
	int rc;

	s = fm_mbox_post(v, &last, "x");
	atomic_store(&v->cmd_seq, s + 1); /* flowmgr writing the next one */
	ck_assert(!fm_mbox_take(v, cmd, &got));
	atomic_store(&v->cmd_seq, s);
	ck_assert(fm_mbox_take(v, cmd, &got));
	atomic_store(&v->cmd_ack, s - 1); /* the VNF writing its reply */
	ck_assert_int_eq(fm_mbox_collect(v, s, out, sizeof(out), &rc, &trunc), 0);
	ck_assert(!fm_mbox_ack_is_bogus(v, s));
	free(v);
}
END_TEST

/* A reply with no NUL and control characters (a hostile VNF): the copy is cut, terminated and
 * cleaned, and reported as truncated. */
START_TEST(test_mbox_collect_bounded_and_clean)
{
	struct fm_shm_vnf *v = new_slot();
	char out[FM_SHM_REPLY_MAX];
	uint32_t last = 0, s;
	bool trunc = false;
	int rc = -1;

	s = fm_mbox_post(v, &last, "status");
	for (size_t i = 0; i < sizeof(v->cmd_reply); i++)
		v->cmd_reply[i] = (char)(1 + i % 254);
	memset(&v->counters, 'A', sizeof(v->counters)); /* what follows: no NUL either */
	v->cmd_rc = 0;
	atomic_store(&v->cmd_ack, s);
	ck_assert_int_eq(fm_mbox_collect(v, s, out, sizeof(out), &rc, &trunc), 1);
	ck_assert(trunc);
	ck_assert_uint_eq(strlen(out), FM_SHM_REPLY_MAX - 1);
	for (size_t i = 0; out[i] != '\0'; i++)
		ck_assert(out[i] == '\n' || out[i] == '\t' || (out[i] >= 0x20 && out[i] < 0x7f));
	/* a smaller buffer is enough: bounded by it */
	ck_assert_int_eq(fm_mbox_collect(v, s, out, 16, &rc, &trunc), 1);
	ck_assert_uint_eq(strlen(out), 15);
	free(v);
}
END_TEST

START_TEST(test_mbox_bogus_acks)
{
	struct fm_shm_vnf *v = new_slot();
	uint32_t last = 0, s;

	fm_mbox_post(v, &last, "a");
	s = fm_mbox_post(v, &last, "b");
	atomic_store(&v->cmd_ack, s - 2); /* the earlier one's answer */
	ck_assert(!fm_mbox_ack_is_bogus(v, s));
	atomic_store(&v->cmd_ack, s - 3); /* writing the earlier one's answer */
	ck_assert(!fm_mbox_ack_is_bogus(v, s));
	atomic_store(&v->cmd_ack, s);
	ck_assert(!fm_mbox_ack_is_bogus(v, s));
	atomic_store(&v->cmd_ack, s + 1);
	ck_assert(fm_mbox_ack_is_bogus(v, s));
	atomic_store(&v->cmd_ack, s + 2);
	ck_assert(fm_mbox_ack_is_bogus(v, s));
	atomic_store(&v->cmd_ack, s + 0x10000000u);
	ck_assert(fm_mbox_ack_is_bogus(v, s));
	free(v);
}
END_TEST

/* A command a previous process of the VNF left unanswered is not run by the next one. */
START_TEST(test_mbox_attach_skips_stale)
{
	struct fm_shm_vnf *v = new_slot();
	char cmd[FM_SHM_CMD_MAX];
	uint32_t last = 0, s, got;

	fm_mbox_post(v, &last, "old");
	fm_mbox_attach(v);
	ck_assert(!fm_mbox_take(v, cmd, &got));
	s = fm_mbox_post(v, &last, "new");
	ck_assert(fm_mbox_take(v, cmd, &got));
	ck_assert_uint_eq(got, s);
	ck_assert_str_eq(cmd, "new");
	free(v);
}
END_TEST

/*
 * Two threads, any interleaving: flowmgr posts self-consistent texts ("n-n-n-..."), sometimes
 * waiting for the reply, sometimes giving up at once (a timeout); the VNF answers each command
 * with its own text. Every command the VNF takes is whole, every reply flowmgr takes is the
 * reply to the command it waits for. The verdict depends on no timing.
 */
#define RACE_CMDS 20000

static struct fm_shm_vnf *g_v;
static _Atomic int g_stop;
static _Atomic int g_torn;

static bool consistent(const char *t, unsigned int *n)
{
	unsigned int first;
	const char *p = t;

	if (sscanf(p, "%u", &first) != 1)
		return false;
	while ((p = strchr(p, '-')) != NULL) {
		unsigned int k;

		p++;
		if (sscanf(p, "%u", &k) != 1 || k != first)
			return false;
	}
	*n = first;
	return true;
}

static void *vnf_thread(void *arg)
{
	char cmd[FM_SHM_CMD_MAX];
	uint32_t s;
	unsigned int n;

	(void)arg;
	while (!atomic_load(&g_stop)) {
		if (!fm_mbox_take(g_v, cmd, &s))
			continue;
		if (!consistent(cmd, &n))
			atomic_fetch_add(&g_torn, 1);
		fm_mbox_answer(g_v, s, 0, cmd);
	}
	return NULL;
}

START_TEST(test_mbox_race_never_torn_never_stale)
{
	char text[FM_SHM_CMD_MAX], out[FM_SHM_REPLY_MAX];
	unsigned int answered = 0;
	uint32_t last = 0;
	pthread_t t;

	g_v = new_slot();
	atomic_store(&g_stop, 0);
	atomic_store(&g_torn, 0);
	ck_assert_int_eq(pthread_create(&t, NULL, vnf_thread, NULL), 0);
	for (unsigned int i = 0; i < RACE_CMDS; i++) {
		size_t len = 0;
		uint32_t s;
		bool trunc;
		int rc;

		for (unsigned int k = 0; k < 1 + i % 20 && len + 12 < sizeof(text); k++)
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%u",
						k ? "-" : "", i);
		s = fm_mbox_post(g_v, &last, text);
		if (i % 3 == 0)
			continue; /* gave up at once: the next post must not get this one's reply */
		while (fm_mbox_collect(g_v, s, out, sizeof(out), &rc, &trunc) != 1)
			;
		ck_assert_str_eq(out, text);
		answered++;
	}
	atomic_store(&g_stop, 1);
	pthread_join(t, NULL);
	ck_assert_int_eq(atomic_load(&g_torn), 0);
	ck_assert_uint_gt(answered, 0);
	free(g_v);
}
END_TEST

static Suite *mbox_suite(void)
{
	Suite *s = suite_create("mbox");
	TCase *tc = tcase_create("mbox");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_mbox_post_numbers_never_reused);
	tcase_add_test(tc, test_mbox_timeout_then_next_gets_own_reply);
	tcase_add_test(tc, test_mbox_half_written_not_taken);
	tcase_add_test(tc, test_mbox_collect_bounded_and_clean);
	tcase_add_test(tc, test_mbox_bogus_acks);
	tcase_add_test(tc, test_mbox_attach_skips_stale);
	tcase_add_test(tc, test_mbox_race_never_torn_never_stale);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(mbox_suite());
}
