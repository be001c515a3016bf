/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A hostile VNF (tests/tools/hostile_vnf.c) next to a well-behaved one, real processes on
 * hugepages (issue #17: item 6 and "What to build" 4). For each way a VNF process can write
 * garbage where flowmgr reads — its packets' metadata, its ring entries, FCB usage counts, the
 * fields of its slot that flowmgr owns, its command mailbox — flowmgr:
 *   - never crashes and keeps forwarding the other VNF's traffic (fwd1, on a parallel path:
 *     every packet it received it sent, and flowmgr transmitted more after the attack);
 *   - counts the offence against the offender (its faults in `nfctl --json stats`) and
 *     quarantines it: state "quarantined" with the reason, its process killed (SIGKILL through
 *     the pidfd of the process that registered), its failure policy (bypass) applied to the
 *     traffic meant for it;
 *   - never signals a wrong process: a decoy the test owns, whose pid the slot mode writes into
 *     the hostile VNF's slot, survives.
 * Also: the mailbox gives a command its own reply, never a timed-out one's (slow mode), and a VNF
 * whose declared scratchpad is larger than the chain gives it is refused at registration.
 */
#include <check.h>

#include "fs_check.h"
#include <signal.h>
#include <stdbool.h>
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

static pid_t start_decoy(void)
{
	pid_t decoy = fork();

	ck_assert_int_ge(decoy, 0);
	if (decoy == 0) {
		for (;;)
			pause();
	}
	return decoy;
}

static void stop_decoy(pid_t decoy)
{
	int st;

	kill(decoy, SIGKILL);
	waitpid(decoy, &st, 0);
}

/* Starts flowmgr (fwd1 on TCP, hostile on UDP with sessions: both parallel paths to the output),
 * fwd1 and the hostile VNF in `mode`, which misbehaves once it was seen attached; returns its
 * pid. */
static pid_t start_chain(struct fs_h *h, const char *tag, const char *hostile_class,
			 const char *mode, pid_t decoy)
{
	static const char *const wait[] = {"--wait-vnfs", NULL};
	const char *args[8] = {"--", "--mode", mode, "--decoy", NULL, "--go", NULL, NULL};
	static char decoy_s[16], go[512];
	char y[2048], in[512];
	pid_t pid;

	snprintf(decoy_s, sizeof(decoy_s), "%d", (int)decoy);
	args[4] = decoy_s;
	fs_h_init(h, tag);
	snprintf(go, sizeof(go), "%s", fs_h_path(h, "go"));
	args[6] = go;
	snprintf(in, sizeof(in), "%s", fs_h_path(h, "in.pcap"));
	fs_pcap_write(in, 4096, FLOWS); /* odd flows TCP, even flows UDP */
	fs_pcap_write(fs_h_path(h, "empty.pcap"), 0, 1);
	snprintf(
	    y, sizeof(y),
	    "name: it-hostile\n"
	    "ports:\n"
	    "  - {name: p0, dev: \"net_pcap0,rx_pcap=%s,infinite_rx=1,tx_pcap=/dev/null\"}\n"
	    "  - {name: p1, dev: \"net_pcap1,rx_pcap=%s,tx_pcap=/dev/null\"}\n"
	    "vnfs:\n"
	    "  - {name: fwd1, class: tcp, policy: bypass}\n"
	    "  - {name: hostile, class: %s, session: 5tuple, timeout_ms: 500, policy: bypass}\n"
	    "graph:\n"
	    "  input: [fwd1, hostile]\n"
	    "  fwd1: [output]\n"
	    "  hostile: [output]\n",
	    in, fs_h_path(h, "empty.pcap"), hostile_class);
	fs_h_start_flowmgr(h, fs_h_write(h, "chain.yaml", y), wait);
	fs_h_start_vnf(h, "forward", "fwd1", NULL);
	pid = fs_h_start_vnf(h, "hostile_vnf", "hostile", args);
	fs_h_write(h, "go", "attack\n"); /* attached and seen running: now it misbehaves */
	return pid;
}

static uint64_t fault_of(const Flowsplice__VnfInfo *v, const char *name)
{
	for (size_t i = 0; i < v->n_faults; i++)
		if (strcmp(v->faults[i]->name, name) == 0)
			return v->faults[i]->value;
	ck_abort_msg("no fault counter %s", name);
	return 0;
}

/* Waits until flowmgr shows the hostile VNF quarantined (the attack is detected within a few
 * bursts or supervisor ticks; the bound only keeps a broken build from hanging). */
static void wait_quarantined(struct fs_h *h, const char *reason)
{
	uint64_t end = fs_h_now_ms() + 30000;

	for (;;) {
		Flowsplice__Reply *rep = fs_h_stats(h);
		const Flowsplice__VnfInfo *v = fs_h_vnf(rep, "hostile");

		if (v->state == FLOWSPLICE__VNF_STATE__VNF_QUARANTINED) {
			ck_assert_str_eq(v->quarantine_reason, reason);
			ck_assert_uint_ge(v->quarantines, 1);
			ck_assert_uint_ge(fault_of(v, reason), 1);
			ctl_reply_free(rep);
			return;
		}
		ck_assert_msg(fs_h_now_ms() < end,
			      "hostile not quarantined (state %d, faults %s=%lu)", v->state, reason,
			      (unsigned long)fault_of(v, reason));
		ctl_reply_free(rep);
		fs_h_sleep_ms(50);
	}
}

/* The hostile process was killed by flowmgr (SIGKILL), never by the test. */
static void wait_killed(pid_t hostile)
{
	uint64_t end = fs_h_now_ms() + 20000;
	int st = 0;

	while (waitpid(hostile, &st, WNOHANG) != hostile) {
		ck_assert_msg(fs_h_now_ms() < end, "the quarantined VNF was not stopped");
		fs_h_sleep_ms(20);
	}
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "hostile ended with status %#x",
		      st);
}

/*
 * After the quarantine: the traffic meant for the hostile VNF bypasses it (its policy), fwd1 is
 * untouched (running, never blamed) and, once the ports are closed and it drained, sent every
 * packet it received; flowmgr, the decoy live.
 */
static void check_after(struct fs_h *h, pid_t decoy)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__SetPorts sp = FLOWSPLICE__SET_PORTS__INIT;
	uint64_t tx, end, bypass0;
	Flowsplice__Reply *rep;

	rep = fs_h_stats(h);
	bypass0 = fs_h_vnf(rep, "hostile")->bypass_pkts;
	ctl_reply_free(rep);
	tx = wait_counter(h, "worker_tx", 0, 20000);
	wait_counter(h, "worker_tx", tx + 1000, 20000);
	end = fs_h_now_ms() + 20000;
	for (;;) { /* the policy applies to what arrives for it */
		rep = fs_h_stats(h);
		if (fs_h_vnf(rep, "hostile")->bypass_pkts > bypass0 + 100) {
			ctl_reply_free(rep);
			break;
		}
		ctl_reply_free(rep);
		ck_assert_msg(fs_h_now_ms() < end, "traffic for the quarantined VNF not bypassed");
		fs_h_sleep_ms(50);
	}
	sp.open = 0;
	req.body_case = FLOWSPLICE__REQUEST__BODY_SET_PORTS;
	req.set_ports = &sp;
	ctl_reply_free(fs_h_call(h, &req));
	end = fs_h_now_ms() + 20000;
	for (;;) {
		const Flowsplice__VnfInfo *f;

		rep = fs_h_stats(h);
		f = fs_h_vnf(rep, "fwd1");
		ck_assert_uint_eq(f->state, FLOWSPLICE__VNF_STATE__VNF_RUNNING);
		ck_assert_uint_eq(f->quarantines, 0);
		if (f->ring_count == 0 && f->rx_pkts == f->tx_pkts && f->rx_pkts > 0) {
			ctl_reply_free(rep);
			break;
		}
		ck_assert_msg(fs_h_now_ms() < end, "fwd1: in %lu, out %lu, queued %lu",
			      (unsigned long)f->rx_pkts, (unsigned long)f->tx_pkts,
			      (unsigned long)f->ring_count);
		ctl_reply_free(rep);
		fs_h_sleep_ms(50);
	}
	ck_assert_int_eq(kill(h->flowmgr, 0), 0);
	ck_assert_int_eq(waitpid(decoy, NULL, WNOHANG), 0); /* the decoy lives */
	ck_assert_int_eq(kill(decoy, 0), 0);
}

static void run_mode(const char *tag, const char *mode, const char *reason)
{
	pid_t decoy = start_decoy(), hostile;
	struct fs_h h;

	hostile = start_chain(&h, tag, "udp", mode, decoy);
	wait_quarantined(&h, reason);
	wait_killed(hostile);
	check_after(&h, decoy);
	stop_decoy(decoy);
	fs_h_cleanup(&h);
}

/* meta->path out of range (it indexed 1024-entry arrays unchecked): dropped, counted
 * (drop_vnf_bad_meta), and past the threshold the VNF is quarantined. */
START_TEST(test_hostile_bad_meta_quarantined)
{
	run_mode("hme", "meta", "bad_meta");
}
END_TEST

/* Garbage pointers in its ring to flowmgr (old code: flowmgr dereferenced them and crashed). */
START_TEST(test_hostile_ring_garbage_quarantined)
{
	run_mode("hri", "ring", "bad_ring_entry");
}
END_TEST

/* Garbage FCB usage counts (old code: sessions never released, nothing counted). */
START_TEST(test_hostile_fcb_usage_quarantined)
{
	run_mode("hfc", "fcb", "bad_fcb_usage");
}
END_TEST

/* Its slot's pid, state, policy, name, counters and reply written over (old code: nothing
 * noticed; the shared state and policy it wrote were the ones producers used). The decoy whose
 * pid it wrote survives. */
START_TEST(test_hostile_slot_garbage_quarantined)
{
	run_mode("hsl", "slot", "slot_tampered");
}
END_TEST

/* `nfctl kill` once signalled, as root, the pid read from the VNF's slot: with a decoy's pid
 * written there, the signal — the operator's or the quarantine's, whichever comes first — reaches
 * the process that registered, never the decoy. */
START_TEST(test_hostile_kill_ignores_slot_pid)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__Kill k = FLOWSPLICE__KILL__INIT;
	pid_t decoy = start_decoy(), hostile;
	uint64_t end;
	Flowsplice__Reply *rep;
	struct fs_h h;
	int st;

	hostile = start_chain(&h, "hpi", "udp", "pid", decoy);
	k.name = "hostile";
	k.signal = SIGTERM;
	req.body_case = FLOWSPLICE__REQUEST__BODY_KILL;
	req.kill = &k;
	rep = fs_h_call(&h, &req);
	ck_assert(rep->code == FLOWSPLICE__ERROR_CODE__OK ||
		  rep->code == FLOWSPLICE__ERROR_CODE__ERR_INVALID); /* already quarantined */
	ctl_reply_free(rep);
	end = fs_h_now_ms() + 20000;
	while (waitpid(hostile, &st, WNOHANG) != hostile) {
		ck_assert_msg(fs_h_now_ms() < end, "the hostile VNF was not signalled");
		fs_h_sleep_ms(20);
	}
	ck_assert(WIFSIGNALED(st) || WIFEXITED(st));
	ck_assert_int_eq(waitpid(decoy, NULL, WNOHANG), 0); /* the decoy lives */
	ck_assert_int_eq(kill(decoy, 0), 0);
	ck_assert_int_eq(kill(h.flowmgr, 0), 0);
	stop_decoy(decoy);
	fs_h_cleanup(&h);
}
END_TEST

/* A reply with no end and control characters, acknowledged behind nfsdk's back: flowmgr's copy
 * is bounded (at most FM_SHM_REPLY_MAX - 1 bytes) and clean (old code: strdup() ran on into the
 * counter names), and the VNF is quarantined. */
START_TEST(test_hostile_mailbox_garbage_quarantined)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__VnfCommand cmd = FLOWSPLICE__VNF_COMMAND__INIT;
	pid_t decoy = start_decoy(), hostile;
	Flowsplice__Reply *rep;
	struct fs_h h;
	size_t len;

	hostile = start_chain(&h, "hmb", "udp", "mbox", decoy);
	cmd.name = "hostile";
	cmd.text = "status";
	req.body_case = FLOWSPLICE__REQUEST__BODY_COMMAND;
	req.command = &cmd;
	rep = fs_h_call(&h, &req);
	ck_assert_int_eq(rep->code, FLOWSPLICE__ERROR_CODE__OK);
	ck_assert_int_eq(rep->body_case, FLOWSPLICE__REPLY__BODY_TEXT);
	len = strlen(rep->text->text);
	ck_assert_uint_le(len, 2047);
	for (size_t i = 0; i < len; i++)
		ck_assert_msg(rep->text->text[i] >= 0x20 || rep->text->text[i] == '\n' ||
				  rep->text->text[i] == '\t',
			      "control character %#x at %zu of the reply", rep->text->text[i], i);
	ctl_reply_free(rep);
	wait_quarantined(&h, "bad_mailbox");
	wait_killed(hostile);
	check_after(&h, decoy);
	stop_decoy(decoy);
	fs_h_cleanup(&h);
}
END_TEST

static Flowsplice__Reply *command(struct fs_h *h, const char *text)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__VnfCommand cmd = FLOWSPLICE__VNF_COMMAND__INIT;

	cmd.name = "hostile";
	cmd.text = (char *)text;
	req.body_case = FLOWSPLICE__REQUEST__BODY_COMMAND;
	req.command = &cmd;
	return fs_h_call(h, &req);
}

/*
 * A command that times out (its handler takes 3 s, flowmgr waits 1 s) must not hand its reply to
 * the next command, and the next command must run: each later attempt either times out too or
 * returns exactly its own text. Old code: the next command reused the number of the one that
 * timed out and got "slept". The VNF gets no traffic (class icmp), so it is never stalled.
 */
START_TEST(test_hostile_mailbox_no_stale_reply)
{
	pid_t decoy = start_decoy();
	Flowsplice__Reply *rep;
	struct fs_h h;
	bool done = false;

	start_chain(&h, "hsw", "icmp", "slow", decoy);
	rep = command(&h, "sleep");
	ck_assert_int_ne(rep->code, FLOWSPLICE__ERROR_CODE__OK); /* timed out */
	ctl_reply_free(rep);
	for (int k = 0; k < 30 && !done; k++) {
		char text[32];

		snprintf(text, sizeof(text), "echo %d", k);
		rep = command(&h, text);
		if (rep->code == FLOWSPLICE__ERROR_CODE__OK) {
			ck_assert_int_eq(rep->body_case, FLOWSPLICE__REPLY__BODY_TEXT);
			ck_assert_str_eq(rep->text->text, text);
			done = true;
		}
		ctl_reply_free(rep);
	}
	ck_assert_msg(done, "no command answered after the slow one");
	rep = fs_h_stats(&h);
	ck_assert_uint_eq(fs_h_vnf(rep, "hostile")->quarantines, 0); /* slow is not hostile */
	ctl_reply_free(rep);
	ck_assert_int_eq(kill(h.flowmgr, 0), 0);
	stop_decoy(decoy);
	fs_h_cleanup(&h);
}
END_TEST

/*
 * Supervision follows the restart policy: flowmgr launched the hostile VNF (--launch), so after
 * the quarantine it starts it again (with back-off), the new process misbehaves again and is
 * quarantined again; fwd1 keeps forwarding throughout and flowmgr lives.
 */
START_TEST(test_hostile_launched_restarted_after_quarantine)
{
	static const char *const opts[] = {"--wait-vnfs", "--launch", NULL};
	char y[2048], in[512];
	uint64_t end = 0, tx;
	struct fs_h h;

	fs_h_init(&h, "hla");
	snprintf(in, sizeof(in), "%s", fs_h_path(&h, "in.pcap"));
	fs_pcap_write(in, 4096, FLOWS);
	fs_pcap_write(fs_h_path(&h, "empty.pcap"), 0, 1);
	snprintf(y, sizeof(y),
		 "name: it-hostile-launch\n"
		 "ports:\n"
		 "  - {name: p0, dev: \"net_pcap0,rx_pcap=%s,infinite_rx=1,tx_pcap=/dev/null\"}\n"
		 "  - {name: p1, dev: \"net_pcap1,rx_pcap=%s,tx_pcap=/dev/null\"}\n"
		 "vnfs:\n"
		 "  - {name: fwd1, class: tcp, exec: forward, policy: bypass}\n"
		 "  - {name: hostile, class: udp, exec: hostile_vnf, args: [--mode, ring],\n"
		 "     policy: bypass}\n"
		 "graph:\n"
		 "  input: [fwd1, hostile]\n"
		 "  fwd1: [output]\n"
		 "  hostile: [output]\n",
		 in, fs_h_path(&h, "empty.pcap"));
	fs_h_start_flowmgr(&h, fs_h_write(&h, "chain.yaml", y), opts);
	end = fs_h_now_ms() + 60000;
	for (;;) {
		Flowsplice__Reply *rep = fs_h_stats(&h);
		const Flowsplice__VnfInfo *v = fs_h_vnf(rep, "hostile");
		bool again = v->quarantines >= 2 && v->restarts >= 1;

		if (again)
			ck_assert_str_eq(v->quarantine_reason, "bad_ring_entry");
		ctl_reply_free(rep);
		if (again)
			break;
		ck_assert_msg(fs_h_now_ms() < end,
			      "the hostile VNF was not restarted and quarantined");
		fs_h_sleep_ms(50);
	}
	tx = wait_counter(&h, "worker_tx", 0, 20000);
	wait_counter(&h, "worker_tx", tx + 1000, 20000);
	ck_assert_int_eq(kill(h.flowmgr, 0), 0);
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

/* A VNF whose declaration conflicts with its chain entry is refused with the reason, and the chain
 * entry stays unattached: fw declares bidir (it keeps its state in the common data), the chain
 * does not give it. */
START_TEST(test_hostile_decl_conflict_refused)
{
	static const char *const nowait[] = {NULL};
	char y[1024], out[4096];
	Flowsplice__Reply *rep;
	struct fs_h h;
	int st;

	fs_h_init(&h, "adecl");
	fs_pcap_write(fs_h_path(&h, "empty.pcap"), 0, 1);
	snprintf(y, sizeof(y),
		 "name: it-decl\n"
		 "ports:\n"
		 "  - {name: p0, dev: \"net_pcap0,rx_pcap=%s,tx_pcap=/dev/null\"}\n"
		 "  - {name: p1, dev: \"net_pcap1,rx_pcap=%s,tx_pcap=/dev/null\"}\n"
		 "vnfs:\n"
		 "  - {name: fw1, class: \"tcp\", session: 5tuple, timeout_ms: 300}\n",
		 fs_h_path(&h, "empty.pcap"), fs_h_path(&h, "empty.pcap"));
	fs_h_start_flowmgr(&h, fs_h_write(&h, "chain.yaml", y), nowait);
	st = run_vnf(&h, "fw", "fw1", out, sizeof(out));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) != 0, "fw was not refused: %s", out);
	ck_assert_msg(strstr(out, "ERR_INVALID: VNF \"fw1\" declares flag bidir, the chain does "
				  "not give it") != NULL,
		      "no reason given: %s", out);
	rep = fs_h_stats(&h);
	ck_assert_uint_eq(fs_h_vnf(rep, "fw1")->state, FLOWSPLICE__VNF_STATE__VNF_CONFIGURED);
	ctl_reply_free(rep);
	ck_assert_int_eq(kill(h.flowmgr, 0), 0);
	fs_h_cleanup(&h);
}
END_TEST

static Suite *hostile_suite(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc = tcase_create("hostile");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_hostile_bad_meta_quarantined);
	tcase_add_test(tc, test_hostile_ring_garbage_quarantined);
	tcase_add_test(tc, test_hostile_fcb_usage_quarantined);
	tcase_add_test(tc, test_hostile_slot_garbage_quarantined);
	tcase_add_test(tc, test_hostile_kill_ignores_slot_pid);
	tcase_add_test(tc, test_hostile_mailbox_garbage_quarantined);
	tcase_add_test(tc, test_hostile_mailbox_no_stale_reply);
	tcase_add_test(tc, test_hostile_launched_restarted_after_quarantine);
	tcase_add_test(tc, test_hostile_scratchpad_too_small_refused);
	tcase_add_test(tc, test_hostile_decl_conflict_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(hostile_suite());
}
