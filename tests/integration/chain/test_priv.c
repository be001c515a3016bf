/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Least privilege (issue #17, docs/security.md): flowmgr sets up as root, then runs as the
 * service user with only CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF and CAP_IPC_LOCK; the VNFs it
 * launches run as that user with no capability; a VNF started by hand as root still attaches;
 * traffic flows; nfctl works as root and as the service user; `--user root` (or `user: root` in
 * the chain) keeps root; a user that does not exist stops flowmgr before EAL with an error that
 * names the install step and --user root. Credentials are read from /proc/PID/status.
 */
#include <check.h>

#include "fs_check.h"
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl_client.h"
#include "fs_harness.h"
#include "fs_pcap.h"

#define FLOWS	     16
#define SERVICE_USER "flowsplice"

static const uint64_t kept_caps =
    (1ull << CAP_NET_ADMIN) | (1ull << CAP_NET_RAW) | (1ull << CAP_BPF) | (1ull << CAP_IPC_LOCK);
/* permitted, raised only around the signal to a registered VNF */
static const uint64_t bracket_caps = 1ull << CAP_KILL;

/* The value of line "KEY:\t..." of /proc/PID/status (fails the test if missing). */
static void status_field(pid_t pid, const char *key, char *out, size_t len)
{
	char path[64], line[256];
	size_t n = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot read %s", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, key, n) == 0 && line[n] == ':') {
			char *v = line + n + 1;

			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			snprintf(out, len, "%s", v);
			fclose(f);
			return;
		}
	}
	fclose(f);
	ck_abort_msg("%s has no %s line", path, key);
}

static uint64_t status_caps(pid_t pid, const char *key)
{
	char v[64];

	status_field(pid, key, v, sizeof(v));
	return strtoull(v, NULL, 16);
}

/* Real, effective, saved and filesystem ids of "Uid"/"Gid" all equal @p want. */
static void assert_ids(pid_t pid, const char *key, unsigned int want, const char *who)
{
	unsigned int id[4];
	char v[128];

	status_field(pid, key, v, sizeof(v));
	ck_assert_int_eq(sscanf(v, "%u %u %u %u", &id[0], &id[1], &id[2], &id[3]), 4);
	for (int i = 0; i < 4; i++)
		ck_assert_msg(id[i] == want, "%s: %s %s, want %u everywhere", who, key, v, want);
}

static void assert_caps(pid_t pid, uint64_t eff, uint64_t prm, uint64_t bnd, const char *who)
{
	ck_assert_msg(status_caps(pid, "CapEff") == eff, "%s: CapEff %#llx, want %#llx", who,
		      (unsigned long long)status_caps(pid, "CapEff"), (unsigned long long)eff);
	ck_assert_msg(status_caps(pid, "CapPrm") == prm, "%s: CapPrm %#llx, want %#llx", who,
		      (unsigned long long)status_caps(pid, "CapPrm"), (unsigned long long)prm);
	if (bnd != UINT64_MAX)
		ck_assert_msg(status_caps(pid, "CapBnd") == bnd, "%s: CapBnd %#llx, want %#llx",
			      who, (unsigned long long)status_caps(pid, "CapBnd"),
			      (unsigned long long)bnd);
	ck_assert_msg(status_caps(pid, "CapAmb") == 0, "%s: ambient capabilities", who);
	ck_assert_msg(status_caps(pid, "CapInh") == 0, "%s: inheritable capabilities", who);
}

static const struct passwd *service_user(void)
{
	const struct passwd *pw = getpwnam(SERVICE_USER);

	ck_assert_msg(pw != NULL, "no user %s: run deploy/install-deps.sh", SERVICE_USER);
	return pw;
}

/* Chain: p0 -> fwd (launched by flowmgr) -> hand (started by the test, as root) -> p1, on an
 * endless pcap. @p user_line: "" or "user: NAME\n". */
static const char *write_chain(struct fs_h *h, const char *user_line)
{
	char y[2048], in[512];

	snprintf(in, sizeof(in), "%s", fs_h_path(h, "in.pcap"));
	fs_pcap_write(in, 1024, FLOWS);
	fs_pcap_write(fs_h_path(h, "empty.pcap"), 0, 1);
	snprintf(y, sizeof(y),
		 "name: it-priv\n"
		 "%s"
		 "ports:\n"
		 "  - {name: p0, dev: \"net_pcap0,rx_pcap=%s,infinite_rx=1,tx_pcap=/dev/null\"}\n"
		 "  - {name: p1, dev: \"net_pcap1,rx_pcap=%s,tx_pcap=/dev/null\"}\n"
		 "vnfs:\n"
		 "  - {name: fwd, exec: forward, policy: bypass}\n"
		 "  - {name: hand, policy: bypass}\n",
		 user_line, in, fs_h_path(h, "empty.pcap"));
	return fs_h_write(h, "chain.yaml", y);
}

/* The launched VNF's pid once flowmgr shows it running. */
static pid_t launched_pid(struct fs_h *h, const char *name)
{
	uint64_t end = fs_h_now_ms() + 20000;

	for (;;) {
		Flowsplice__Reply *st = fs_h_stats(h);
		const Flowsplice__VnfInfo *v = fs_h_vnf(st, name);
		pid_t pid = v->state == FLOWSPLICE__VNF_STATE__VNF_RUNNING ? v->pid : 0;

		ctl_reply_free(st);
		if (pid > 0)
			return pid;
		ck_assert_msg(fs_h_now_ms() < end, "launched VNF %s never ran (see %s)", name,
			      h->dir);
		fs_h_sleep_ms(100);
	}
}

static uint64_t vnf_tx(struct fs_h *h, const char *name)
{
	Flowsplice__Reply *st = fs_h_stats(h);
	uint64_t v = fs_h_vnf(st, name)->tx_pkts;

	ctl_reply_free(st);
	return v;
}

/* Both VNFs forward: their tx counters pass @p more beyond where they are now. */
static void assert_traffic(struct fs_h *h, uint64_t more)
{
	uint64_t f0 = vnf_tx(h, "fwd"), h0 = vnf_tx(h, "hand");
	uint64_t end = fs_h_now_ms() + 20000;

	while (vnf_tx(h, "fwd") < f0 + more || vnf_tx(h, "hand") < h0 + more)
		ck_assert_msg(fs_h_now_ms() < end, "no traffic through fwd and hand");
}

/* Starts the chain with flowmgr options @p extra, the root VNF, and waits for traffic. */
static void start(struct fs_h *h, const char *user_line, const char *const *extra, pid_t *fm,
		  pid_t *fwd, pid_t *hand)
{
	fs_h_init(h, "priv");
	*fm = fs_h_start_flowmgr(h, write_chain(h, user_line), extra);
	*fwd = launched_pid(h, "fwd");
	*hand = fs_h_start_vnf(h, "forward", "hand", NULL);
	assert_traffic(h, 10000);
}

/* Waits for the harness's child @p pid to exit by itself (a signal flowmgr sent). */
static void wait_exit(struct fs_h *h, pid_t pid)
{
	uint64_t end = fs_h_now_ms() + 10000;
	int st;

	while (waitpid(pid, &st, WNOHANG) != pid) {
		ck_assert_msg(fs_h_now_ms() < end, "pid %d was not signalled", (int)pid);
		fs_h_sleep_ms(20);
	}
	for (int i = 0; i < h->nb_procs; i++)
		if (h->procs[i] == pid)
			h->procs[i] = h->procs[--h->nb_procs];
}

static int run_cmd(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(test_priv_default_drops_to_service_user)
{
	static const char *const extra[] = {"--launch", "--wait-vnfs", NULL};
	const struct passwd *pw = service_user();
	struct fs_h h;
	pid_t fm, fwd, hand;
	char cmd[1024], v[16];

	start(&h, "", extra, &fm, &fwd, &hand);
	assert_ids(fm, "Uid", pw->pw_uid, "flowmgr");
	assert_ids(fm, "Gid", pw->pw_gid, "flowmgr");
	assert_caps(fm, kept_caps, kept_caps | bracket_caps, kept_caps | bracket_caps, "flowmgr");
	status_field(fm, "NoNewPrivs", v, sizeof(v));
	ck_assert_str_eq(v, "1");

	/* The launched VNF: the service user, no capability it could use or regain. */
	assert_ids(fwd, "Uid", pw->pw_uid, "launched VNF");
	assert_ids(fwd, "Gid", pw->pw_gid, "launched VNF");
	assert_caps(fwd, 0, 0, UINT64_MAX, "launched VNF");
	status_field(fwd, "NoNewPrivs", v, sizeof(v));
	ck_assert_str_eq(v, "1");

	/* The operator's VNF started by hand as root attached and forwards (assert_traffic), and
	 * `nfctl kill` still reaches it (CAP_KILL raised for that call). */
	assert_ids(hand, "Uid", 0, "hand-started VNF");
	snprintf(cmd, sizeof(cmd), "%s/nfctl -s %s kill hand >/dev/null", h.bindir, h.sock);
	ck_assert_int_eq(run_cmd(cmd), 0);
	wait_exit(&h, hand);
	ck_assert_int_eq(status_caps(fm, "CapEff"), kept_caps);
	hand = fs_h_start_vnf(&h, "forward", "hand", NULL);

	/* flowmgr (the service user) keeps allocating hugepages in its own directory, and the
	 * restarted VNF attaches again. */
	snprintf(cmd, sizeof(cmd), "%s/nfctl -s %s restart fwd >/dev/null", h.bindir, h.sock);
	ck_assert_int_eq(run_cmd(cmd), 0);
	fs_h_sleep_ms(300);
	fwd = launched_pid(&h, "fwd");
	assert_ids(fwd, "Uid", pw->pw_uid, "restarted VNF");
	assert_traffic(&h, 10000);

	/* nfctl as root and as the service user. */
	snprintf(cmd, sizeof(cmd), "%s/nfctl -s %s vnfs >/dev/null", h.bindir, h.sock);
	ck_assert_int_eq(run_cmd(cmd), 0);
	snprintf(cmd, sizeof(cmd),
		 "setpriv --reuid %u --regid %u --clear-groups %s/nfctl -s %s vnfs "
		 ">/dev/null",
		 (unsigned int)pw->pw_uid, (unsigned int)pw->pw_gid, h.bindir, h.sock);
	ck_assert_int_eq(run_cmd(cmd), 0);
	fs_h_cleanup(&h);
}
END_TEST

/* `--user root` (_i = 0) and `user: root` in the chain (_i = 1) keep everything root. */
START_TEST(test_priv_user_root_keeps_root)
{
	static const char *const cli[] = {"--launch", "--wait-vnfs", "--user", "root", NULL};
	static const char *const yaml[] = {"--launch", "--wait-vnfs", NULL};
	uint64_t own = status_caps(getpid(), "CapEff");
	struct fs_h h;
	pid_t fm, fwd, hand;

	start(&h, _i == 0 ? "" : "user: root\n", _i == 0 ? cli : yaml, &fm, &fwd, &hand);
	assert_ids(fm, "Uid", 0, "flowmgr");
	ck_assert_msg(status_caps(fm, "CapEff") == own, "flowmgr lost capabilities as root");
	assert_ids(fwd, "Uid", 0, "launched VNF");
	fs_h_cleanup(&h);
}
END_TEST

/* A user that does not exist: flowmgr stops before EAL init and says how to fix it. */
START_TEST(test_priv_missing_user_is_a_clear_error)
{
	struct fs_h h;
	char cmd[2048], log[600], text[4096], rundir[300];
	size_t n;
	FILE *f;

	fs_h_init(&h, "privx");
	snprintf(log, sizeof(log), "%s", fs_h_path(&h, "flowmgr.log"));
	snprintf(cmd, sizeof(cmd),
		 "%s/flowmgr -c %s -s %s --user fs-no-such-user -- --file-prefix %s "
		 ">%s 2>&1",
		 h.bindir, write_chain(&h, ""), h.sock, h.prefix, log);
	ck_assert_int_eq(run_cmd(cmd), 1);
	f = fopen(log, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	ck_assert_msg(strstr(text, "'fs-no-such-user' does not exist") != NULL, "message: %s",
		      text);
	ck_assert_msg(strstr(text, "deploy/install-deps.sh") != NULL, "no install step: %s", text);
	ck_assert_msg(strstr(text, "--user root") != NULL, "no --user root: %s", text);
	ck_assert_msg(strstr(text, "EAL") == NULL, "EAL started: %s", text);
	snprintf(rundir, sizeof(rundir), "/var/run/dpdk/%s", h.prefix);
	ck_assert_msg(access(rundir, F_OK) != 0, "%s exists: EAL ran", rundir);
	fs_h_cleanup(&h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("priv");
	TCase *tc = tcase_create("priv");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_priv_default_drops_to_service_user);
	tcase_add_loop_test(tc, test_priv_user_root_keeps_root, 0, 2);
	tcase_add_test(tc, test_priv_missing_user_is_a_clear_error);
	suite_add_tcase(s, tc);
	return fs_check_run(s);
}
