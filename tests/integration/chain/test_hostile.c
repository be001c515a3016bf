/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A hostile VNF (tests/tools/hostile_vnf.c) next to a well-behaved one, real processes on
 * hugepages. Two of the review's findings (issue #17, item 6):
 *  - a packet handed back to flowmgr with an out-of-range path id (meta->path indexed
 *    1024-entry arrays unchecked): flowmgr drops and counts it (drop_vnf_bad_meta) and keeps
 *    forwarding the other VNF's traffic;
 *  - `nfctl kill` read the pid to signal from the VNF's own writable slot: with a decoy's pid
 *    written there, the kill must reach the VNF that registered and never the decoy;
 * and item 3: a VNF whose declared scratchpad is larger than the chain gives it is refused at
 * registration (it would write its state over the next VNF's area or the next FCB).
 */
#include <check.h>

#include "fs_check.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl_client.h"
#include "fs_harness.h"
#include "fs_pcap.h"

#define FLOWS 64

static uint64_t wait_counter(struct fs_h *h, const char *name, uint64_t beyond, int ms)
{
	uint64_t end = fs_h_now_ms() + (uint64_t)ms, v;

	while ((v = fs_h_stat(h, name)) <= beyond) {
		ck_assert_msg(fs_h_now_ms() < end, "%s stays at %lu", name, (unsigned long)v);
		fs_h_sleep_ms(50);
	}
	return v;
}

static void kill_vnf(struct fs_h *h, const char *name)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__Kill k = FLOWSPLICE__KILL__INIT;
	Flowsplice__Reply *rep;

	k.name = (char *)name;
	k.signal = SIGTERM;
	req.body_case = FLOWSPLICE__REQUEST__BODY_KILL;
	req.kill = &k;
	rep = fs_h_call(h, &req);
	ck_assert_int_eq(rep->code, FLOWSPLICE__ERROR_CODE__OK);
	ctl_reply_free(rep);
}

START_TEST(test_hostile_bad_meta_and_lying_pid)
{
	static const char *const wait[] = {"--wait-vnfs", NULL};
	const char *hostile_args[4] = {"--", "--decoy", NULL, NULL};
	char y[2048], in[512], decoy_s[16];
	uint64_t tx, end;
	pid_t decoy, hostile;
	struct fs_h h;
	int st;

	decoy = fork();
	ck_assert_int_ge(decoy, 0);
	if (decoy == 0) {
		for (;;)
			pause();
	}
	snprintf(decoy_s, sizeof(decoy_s), "%d", (int)decoy);
	hostile_args[2] = decoy_s;
	fs_h_init(&h, "hos");
	snprintf(in, sizeof(in), "%s", fs_h_path(&h, "in.pcap"));
	fs_pcap_write(in, 4096, FLOWS); /* odd flows TCP, even flows UDP */
	fs_pcap_write(fs_h_path(&h, "empty.pcap"), 0, 1);
	snprintf(y, sizeof(y),
		 "name: it-hostile\n"
		 "ports:\n"
		 "  - {name: p0, dev: \"net_pcap0,rx_pcap=%s,infinite_rx=1,tx_pcap=/dev/null\"}\n"
		 "  - {name: p1, dev: \"net_pcap1,rx_pcap=%s,tx_pcap=/dev/null\"}\n"
		 "vnfs:\n"
		 "  - {name: fwd1, class: tcp, policy: bypass}\n"
		 "  - {name: hostile, class: udp, policy: bypass}\n"
		 "graph:\n"
		 "  input: [fwd1, hostile]\n"
		 "  fwd1: [output]\n"
		 "  hostile: [output]\n",
		 in, fs_h_path(&h, "empty.pcap"));
	fs_h_start_flowmgr(&h, fs_h_write(&h, "chain.yaml", y), wait);
	fs_h_start_vnf(&h, "forward", "fwd1", NULL);
	hostile = fs_h_start_vnf(&h, "hostile_vnf", "hostile", hostile_args);

	/* the hostile VNF's packets are refused, the other VNF's still leave */
	wait_counter(&h, "drop_vnf_bad_meta", 1000, 20000);
	tx = wait_counter(&h, "worker_tx", 0, 20000);
	wait_counter(&h, "worker_tx", tx + 1000, 20000);
	ck_assert_int_eq(kill(h.flowmgr, 0), 0);

	/* the kill goes to the process that registered, not to the pid in its slot */
	kill_vnf(&h, "hostile");
	end = fs_h_now_ms() + 10000;
	while (waitpid(hostile, &st, WNOHANG) != hostile) {
		ck_assert_msg(fs_h_now_ms() < end, "the hostile VNF was not signalled");
		fs_h_sleep_ms(20);
	}
	ck_assert_int_eq(waitpid(decoy, &st, WNOHANG), 0); /* the decoy lives */
	ck_assert_int_eq(kill(decoy, 0), 0);
	ck_assert_int_eq(kill(h.flowmgr, 0), 0);
	kill(decoy, SIGKILL);
	waitpid(decoy, &st, 0);
	fs_h_cleanup(&h);
}
END_TEST

/* Runs VNF binary `bin` as `name` to its end (at most 20 s); returns its exit status and leaves
 * what it printed in out[]. */
static int run_vnf(struct fs_h *h, const char *bin, const char *name, char *out, size_t outlen)
{
	char path[300], logp[512];
	uint64_t end = fs_h_now_ms() + 20000;
	pid_t pid;
	int st = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", h->bindir, bin);
	snprintf(logp, sizeof(logp), "%s", fs_h_path(h, "refused.log"));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (freopen(logp, "w", stderr) == NULL || dup2(fileno(stderr), 1) < 0)
			_exit(127);
		execl(path, path, "--name", name, "--socket", h->sock, "--file-prefix", h->prefix,
		      (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, WNOHANG) != pid) {
		if (fs_h_now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			ck_abort_msg("%s still running after 20 s: it was not refused", name);
		}
		fs_h_sleep_ms(20);
	}
	f = fopen(logp, "r");
	ck_assert_ptr_nonnull(f);
	out[fread(out, 1, outlen - 1, f)] = 0;
	fclose(f);
	return st;
}

START_TEST(test_hostile_scratchpad_too_small_refused)
{
	static const char *const wait[] = {"--wait-vnfs", NULL};
	char y[1024], out[4096];
	Flowsplice__Reply *rep;
	struct fs_h h;
	int st;

	fs_h_init(&h, "hsp");
	fs_pcap_write(fs_h_path(&h, "empty.pcap"), 0, 1);
	snprintf(y, sizeof(y),
		 "name: it-scratchpad\n"
		 "ports:\n"
		 "  - {name: p0, dev: \"net_pcap0,rx_pcap=%s,tx_pcap=/dev/null\"}\n"
		 "  - {name: p1, dev: \"net_pcap1,rx_pcap=%s,tx_pcap=/dev/null\"}\n"
		 "vnfs:\n"
		 "  - {name: ctr, session: 5tuple, scratchpad: 16, timeout_ms: 300}\n",
		 fs_h_path(&h, "empty.pcap"), fs_h_path(&h, "empty.pcap"));
	fs_h_start_flowmgr(&h, fs_h_write(&h, "chain.yaml", y), wait);
	/* counter keeps 24 bytes per session */
	st = run_vnf(&h, "counter", "ctr", out, sizeof(out));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) != 0, "counter was not refused: %s", out);
	ck_assert_msg(strstr(out, "needs 24 bytes of scratchpad per session, the chain gives 16") !=
			  NULL,
		      "no reason given: %s", out);
	rep = fs_h_stats(&h);
	ck_assert_uint_eq(fs_h_vnf(rep, "ctr")->state, FLOWSPLICE__VNF_STATE__VNF_CONFIGURED);
	ctl_reply_free(rep);
	ck_assert_int_eq(kill(h.flowmgr, 0), 0);
	fs_h_cleanup(&h);
}
END_TEST

static Suite *hostile_suite(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc = tcase_create("hostile");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_hostile_bad_meta_and_lying_pid);
	tcase_add_test(tc, test_hostile_scratchpad_too_small_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(hostile_suite());
}
