/* SPDX-License-Identifier: BSD-3-Clause */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl_client.h"
#include "fs_harness.h"

uint64_t fs_h_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void fs_h_sleep_ms(unsigned int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static struct fs_h *g_h;
static pid_t g_owner;

/* A failed ck_assert exits the test process: clean up from there too (but not from children
 * forked by the test, which inherit the handler). */
static void at_exit(void)
{
	if (g_h != NULL && getpid() == g_owner)
		fs_h_cleanup(g_h);
}

void fs_h_init(struct fs_h *h, const char *tag)
{
	const char *b = getenv("FS_BUILD_DIR");

	memset(h, 0, sizeof(*h));
	snprintf(h->prefix, sizeof(h->prefix), "fst%s%d", tag, (int)getpid());
	snprintf(h->dir, sizeof(h->dir), "/tmp/%s", h->prefix);
	snprintf(h->sock, sizeof(h->sock), "%s/fm.sock", h->dir);
	snprintf(h->bindir, sizeof(h->bindir), "%s/bin", b ? b : "build");
	ck_assert_msg(mkdir(h->dir, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", h->dir,
		      strerror(errno));
	if (g_h == NULL)
		atexit(at_exit);
	g_h = h;
	g_owner = getpid();
}

const char *fs_h_path(struct fs_h *h, const char *name)
{
	static char buf[4][512];
	static int k;
	char *p = buf[k++ % 4];

	snprintf(p, 512, "%s/%s", h->dir, name);
	return p;
}

const char *fs_h_write(struct fs_h *h, const char *name, const char *text)
{
	const char *p = fs_h_path(h, name);
	FILE *f = fopen(p, "w");

	ck_assert_msg(f != NULL, "cannot write %s", p);
	fputs(text, f);
	fclose(f);
	return p;
}

static pid_t spawn(struct fs_h *h, const char *log, char *const argv[])
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd;

		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a crashed test */
		fd = open(fs_h_path(h, log), O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	ck_assert_int_lt(h->nb_procs, FS_H_MAX_PROCS);
	h->procs[h->nb_procs++] = pid;
	return pid;
}

static bool alive(pid_t pid)
{
	int st;

	return waitpid(pid, &st, WNOHANG) == 0;
}

Flowsplice__Reply *fs_h_call(struct fs_h *h, Flowsplice__Request *req)
{
	struct ctl_client *cl;
	Flowsplice__Reply *rep = NULL;
	int rc = ctl_client_connect(h->sock, &cl);

	ck_assert_msg(rc == 0, "connect %s: %s", h->sock, strerror(-rc));
	rc = ctl_client_call(cl, req, &rep, NULL, NULL, 5000);
	ctl_client_close(cl);
	ck_assert_msg(rc == 0, "control call: %s", strerror(-rc));
	return rep;
}

void fs_h_ports(struct fs_h *h, bool open)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__SetPorts sp = FLOWSPLICE__SET_PORTS__INIT;
	Flowsplice__Reply *rep;

	sp.open = open;
	req.body_case = FLOWSPLICE__REQUEST__BODY_SET_PORTS;
	req.set_ports = &sp;
	rep = fs_h_call(h, &req);
	ck_assert_int_eq(rep->code, FLOWSPLICE__ERROR_CODE__OK);
	ctl_reply_free(rep);
}

Flowsplice__Reply *fs_h_stats(struct fs_h *h)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__StatsRequest body = FLOWSPLICE__STATS_REQUEST__INIT;
	Flowsplice__Reply *rep;

	req.body_case = FLOWSPLICE__REQUEST__BODY_STATS;
	req.stats = &body;
	rep = fs_h_call(h, &req);
	ck_assert_int_eq(rep->code, FLOWSPLICE__ERROR_CODE__OK);
	ck_assert_int_eq(rep->body_case, FLOWSPLICE__REPLY__BODY_STATS);
	return rep;
}

const Flowsplice__VnfInfo *fs_h_vnf(const Flowsplice__Reply *stats, const char *name)
{
	for (size_t i = 0; i < stats->stats->n_vnfs; i++)
		if (strcmp(stats->stats->vnfs[i]->name, name) == 0)
			return stats->stats->vnfs[i];
	ck_abort_msg("no VNF %s in stats", name);
	return NULL;
}

uint64_t fs_h_counter(const Flowsplice__Reply *stats, const char *name)
{
	for (size_t i = 0; i < stats->stats->n_counters; i++)
		if (strcmp(stats->stats->counters[i]->name, name) == 0)
			return stats->stats->counters[i]->value;
	ck_abort_msg("no counter %s", name);
	return 0;
}

uint64_t fs_h_stat(struct fs_h *h, const char *name)
{
	Flowsplice__Reply *st = fs_h_stats(h);
	uint64_t v = fs_h_counter(st, name);

	ctl_reply_free(st);
	return v;
}

uint64_t fs_h_report_value(pid_t pid, const char *path, const char *k)
{
	char line[256], key[64];
	unsigned long v;
	uint64_t end = fs_h_now_ms() + 5000;
	FILE *f;

	unlink(path);
	ck_assert_int_eq(kill(pid, SIGUSR1), 0);
	while (access(path, R_OK) != 0) {
		ck_assert_msg(fs_h_now_ms() < end, "VNF wrote no report");
		fs_h_sleep_ms(20);
	}
	fs_h_sleep_ms(50); /* written whole by then */
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%63s %lu", key, &v) == 2 && strcmp(key, k) == 0) {
			fclose(f);
			return v;
		}
	fclose(f);
	ck_abort_msg("no %s in %s", k, path);
	return 0;
}

uint64_t fs_h_vnf_counter(struct fs_h *h, const char *vnf, const char *key)
{
	Flowsplice__Reply *st = fs_h_stats(h);

	for (size_t i = 0; i < st->stats->n_vnf_counters; i++) {
		const Flowsplice__VnfCounters *vc = st->stats->vnf_counters[i];

		if (strcmp(vc->name, vnf) != 0)
			continue;
		for (size_t k = 0; k < vc->n_counters; k++) {
			if (strcmp(vc->counters[k]->name, key) == 0) {
				uint64_t v = vc->counters[k]->value;

				ctl_reply_free(st);
				return v;
			}
		}
	}
	ctl_reply_free(st);
	ck_abort_msg("VNF %s registered no counter %s", vnf, key);
	return 0;
}

uint64_t fs_h_vnf_counter_wait(struct fs_h *h, const char *vnf, const char *key, uint64_t want,
			       unsigned int ms)
{
	uint64_t end = fs_h_now_ms() + ms, v;

	while ((v = fs_h_vnf_counter(h, vnf, key)) != want && fs_h_now_ms() < end)
		fs_h_sleep_ms(20);
	return v;
}

static bool socket_answers(struct fs_h *h)
{
	struct ctl_client *cl;

	if (ctl_client_connect(h->sock, &cl) < 0)
		return false;
	ctl_client_close(cl);
	return true;
}

pid_t fs_h_start_flowmgr(struct fs_h *h, const char *cfg, const char *const *extra)
{
	char bin[300];
	char *argv[32];
	int argc = 0;
	uint64_t end;

	snprintf(bin, sizeof(bin), "%s/flowmgr", h->bindir);
	argv[argc++] = bin;
	argv[argc++] = "-c";
	argv[argc++] = (char *)cfg;
	argv[argc++] = "-s";
	argv[argc++] = h->sock;
	for (int i = 0; extra != NULL && extra[i] != NULL && argc < 24; i++)
		argv[argc++] = (char *)extra[i];
	argv[argc++] = "--";
	argv[argc++] = "--file-prefix";
	argv[argc++] = h->prefix;
	argv[argc++] = "--lcores";
	argv[argc++] = "0@0,1@1,2@0";
	argv[argc] = NULL;
	h->flowmgr = spawn(h, "flowmgr.log", argv);
	end = fs_h_now_ms() + 20000;
	while (!socket_answers(h)) {
		ck_assert_msg(alive(h->flowmgr), "flowmgr exited early (see %s/flowmgr.log)",
			      h->dir);
		ck_assert_msg(fs_h_now_ms() < end, "flowmgr did not open %s in 20 s", h->sock);
		fs_h_sleep_ms(50);
	}
	return h->flowmgr;
}

pid_t fs_h_start_vnf(struct fs_h *h, const char *binname, const char *name,
		     const char *const *extra)
{
	char bin[300], log[64];
	char *argv[32];
	int argc = 0;
	pid_t pid;
	uint64_t end;

	snprintf(bin, sizeof(bin), "%s/%s", h->bindir, binname);
	snprintf(log, sizeof(log), "%s.log", name);
	argv[argc++] = bin;
	argv[argc++] = "--name";
	argv[argc++] = (char *)name;
	argv[argc++] = "--socket";
	argv[argc++] = h->sock;
	argv[argc++] = "--file-prefix";
	argv[argc++] = h->prefix;
	for (int i = 0; extra != NULL && extra[i] != NULL && argc < 30; i++)
		argv[argc++] = (char *)extra[i];
	argv[argc] = NULL;
	pid = spawn(h, log, argv);
	end = fs_h_now_ms() + 20000;
	for (;;) {
		Flowsplice__Reply *st = fs_h_stats(h);
		const Flowsplice__VnfInfo *v = NULL;
		bool up;

		for (size_t i = 0; i < st->stats->n_vnfs; i++) /* a spliced VNF: once registered */
			if (strcmp(st->stats->vnfs[i]->name, name) == 0)
				v = st->stats->vnfs[i];
		up = v != NULL && v->state == FLOWSPLICE__VNF_STATE__VNF_RUNNING && v->pid == pid;

		ctl_reply_free(st);
		if (up)
			break;
		ck_assert_msg(alive(pid), "VNF %s exited early (see %s/%s)", name, h->dir, log);
		ck_assert_msg(fs_h_now_ms() < end, "VNF %s not running after 20 s", name);
		fs_h_sleep_ms(50);
	}
	/* Registration precedes the EAL attach: give the VNF time to reach its loop. */
	fs_h_sleep_ms(300);
	return pid;
}

int fs_h_stop(struct fs_h *h, pid_t pid, int timeout_ms)
{
	uint64_t end = fs_h_now_ms() + (uint64_t)timeout_ms;
	int st = 0;

	for (int i = 0; i < h->nb_procs; i++)
		if (h->procs[i] == pid)
			h->procs[i] = h->procs[--h->nb_procs];
	if (kill(pid, SIGTERM) < 0 && errno == ESRCH) {
		waitpid(pid, &st, 0);
		return st;
	}
	while (fs_h_now_ms() < end) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		fs_h_sleep_ms(20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return st;
}

void fs_h_stop_all(struct fs_h *h)
{
	char pat[512], cmd[300];
	glob_t g;

	/* VNFs first: DPDK cannot restart a primary under live secondaries. */
	while (h->nb_procs > 0) {
		pid_t pid = h->procs[h->nb_procs - 1];

		if (pid == h->flowmgr && h->nb_procs > 1) {
			h->procs[h->nb_procs - 1] = h->procs[0];
			h->procs[0] = pid;
			continue;
		}
		fs_h_stop(h, pid, 5000);
	}
	/* flowmgr's pages: in the service user's directory of the mount (fm_priv.h), or at the
	 * top of it with --user root. */
	for (int d = 0; d < 2; d++) {
		snprintf(pat, sizeof(pat),
			 d ? "/dev/hugepages/*/%smap_*" : "/dev/hugepages/%smap_*", h->prefix);
		if (glob(pat, 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++)
				unlink(g.gl_pathv[i]);
			globfree(&g);
		}
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '/var/run/dpdk/%s'", h->prefix);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup: %s failed\n", cmd);
}

void fs_h_cleanup(struct fs_h *h)
{
	char cmd[700];

	if (h->dir[0] == '\0')
		return;
	fs_h_stop_all(h);
	if (getenv("FS_KEEP_LOGS") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '/var/run/dpdk/%s' '%s'", h->prefix, h->dir);
	} else {
		snprintf(cmd, sizeof(cmd), "rm -rf '/var/run/dpdk/%s'", h->prefix);
	}
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup: %s failed\n", cmd);
	h->dir[0] = '\0';
	/* The at-exit hook must not touch `h` any more: it usually lives in a test's stack frame
	 * that is gone by the time the process exits. */
	if (g_h == h)
		g_h = NULL;
}
