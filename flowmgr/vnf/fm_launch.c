/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_launch.c — flowmgr as the launcher of its VNFs; the contract and design are in
 * fm_launch.h.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_log.h>

#include "fm_launch.h"

#include "flowmgr.h"
#include "fm_clock.h"
#include "fm_priv.h"

#define FM_BACKOFF_MIN_MS   100
#define FM_BACKOFF_MAX_MS   5000
#define FM_BACKOFF_RESET_MS 10000
#define FM_STOP_WAIT_MS	    3000

static void exec_path(const char *exec, char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n;

	if (strchr(exec, '/') != NULL) {
		snprintf(out, len, "%s", exec);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		snprintf(out, len, "%s", exec);
		return;
	}
	self[n] = '\0';
	snprintf(out, len, "%s/%s", dirname(self), exec);
}

static int spawn(struct flowmgr *fm, uint32_t id)
{
	const struct fm_vnf_exec *x = &fm->cfg->exec[id - 1];
	const char *name = fm->cfg->chain.vnfs[id - 1].name;
	char path[PATH_MAX];
	char *argv[FM_MAX_ARGS + 12];
	int argc = 0;
	pid_t pid;

	exec_path(x->exec, path, sizeof(path));
	argv[argc++] = path;
	argv[argc++] = "--name";
	argv[argc++] = (char *)name;
	argv[argc++] = "--socket";
	argv[argc++] = fm->cfg->socket_path;
	argv[argc++] = "--file-prefix";
	argv[argc++] = fm->file_prefix;
	argv[argc++] = "--";
	for (int i = 0; i < x->nb_args; i++)
		argv[argc++] = (char *)x->args[i];
	argv[argc] = NULL;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(1); /* flowmgr already gone */
		fm_priv_child();  /* the service user, no capabilities (fm_priv.h) */
		execv(path, argv);
		fprintf(stderr, "flowmgr: cannot start VNF %s: exec %s: %s\n", name, path,
			strerror(errno));
		_exit(127);
	}
	fm->vnf_rt[id].child = pid;
	fm->vnf_rt[id].started_ms = fm_clock_monotonic(NULL);
	RTE_LOG(NOTICE, USER1, "flowmgr: launched VNF %s: %s (pid %d)\n", name, path, (int)pid);
	return 0;
}

/* True when flowmgr launches VNF `id` (--launch and an exec in its config). */
static bool is_launched(const struct flowmgr *fm, uint32_t id)
{
	return fm->launch && fm->cfg->exec[id - 1].exec[0] != '\0';
}

int fm_launch_start_all(struct flowmgr *fm)
{
	for (uint32_t id = 1; id <= fm->nb_vnfs; id++) {
		int rc;

		if (!is_launched(fm, id))
			continue;
		fm->vnf_rt[id].backoff_ms = FM_BACKOFF_MIN_MS;
		if ((rc = spawn(fm, id)) < 0)
			return rc;
	}
	return 0;
}

/* Reaps exited children and schedules their restart. */
static void reap(struct flowmgr *fm)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (uint32_t id = 1; id <= fm->nb_vnfs; id++) {
			struct fm_vnf_rt *rt = &fm->vnf_rt[id];
			uint64_t now = fm_clock_monotonic(NULL);

			if (rt->child != pid)
				continue;
			rt->child = 0;
			if (now - rt->started_ms >= FM_BACKOFF_RESET_MS)
				rt->backoff_ms = FM_BACKOFF_MIN_MS;
			rt->restart_at_ms = now + rt->backoff_ms;
			RTE_LOG(WARNING, USER1,
				"flowmgr: VNF %s (pid %d) %s %d; restarting in %u ms\n",
				fm->cfg->chain.vnfs[id - 1].name, (int)pid,
				WIFSIGNALED(status) ? "killed by signal" : "exited with status",
				WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
				rt->backoff_ms);
			rt->backoff_ms = rt->backoff_ms * 2 > FM_BACKOFF_MAX_MS
					     ? FM_BACKOFF_MAX_MS
					     : rt->backoff_ms * 2;
		}
	}
}

void fm_launch_tick(struct flowmgr *fm)
{
	if (!fm->launch)
		return;
	reap(fm);
	for (uint32_t id = 1; id <= fm->nb_vnfs; id++) {
		struct fm_vnf_rt *rt = &fm->vnf_rt[id];

		if (!is_launched(fm, id) || rt->child != 0 ||
		    fm_clock_monotonic(NULL) < rt->restart_at_ms)
			continue;
		if (spawn(fm, id) < 0)
			rt->restart_at_ms = fm_clock_monotonic(NULL) + FM_BACKOFF_MAX_MS;
	}
}

int fm_launch_restart(struct flowmgr *fm, uint32_t id)
{
	struct fm_vnf_rt *rt = &fm->vnf_rt[id];

	if (!is_launched(fm, id))
		return -EPERM;
	rt->backoff_ms = FM_BACKOFF_MIN_MS;
	rt->restart_at_ms = 0;
	if (rt->child > 0 && kill(rt->child, SIGTERM) < 0)
		return -errno;
	return 0;
}

/*
 * Stops VNF `id`: SIGTERM, up to FM_STOP_WAIT_MS for it to exit, then SIGKILL (said in the log).
 */
static void stop_one(struct flowmgr *fm, uint32_t id)
{
	struct fm_vnf_rt *rt = &fm->vnf_rt[id];
	uint64_t end = fm_clock_monotonic(NULL) + FM_STOP_WAIT_MS;

	if (rt->child <= 0)
		return;
	kill(rt->child, SIGTERM);
	while (waitpid(rt->child, NULL, WNOHANG) != rt->child) {
		if (fm_clock_monotonic(NULL) >= end) {
			RTE_LOG(WARNING, USER1,
				"flowmgr: VNF %s (pid %d) still running %u ms after SIGTERM: "
				"SIGKILL\n",
				fm->cfg->chain.vnfs[id - 1].name, (int)rt->child, FM_STOP_WAIT_MS);
			kill(rt->child, SIGKILL);
			waitpid(rt->child, NULL, 0);
			rt->child = 0;
			return;
		}
		usleep(10000);
	}
	rt->child = 0;
}

/*
 * One VNF after the other, last first. Not all at once: a VNF that frees hugepage memory on its
 * way out (the tables of an independent VNF) shrinks the shared heap through the primary, which
 * then syncs every secondary while the freeing VNF holds the heap's spinlock and the memory
 * hotplug lock (both in shared memory). A secondary already inside rte_eal_cleanup no longer
 * answers that sync: the round trip waits out EAL's 5 s timeout, past FM_STOP_WAIT_MS, and the
 * SIGKILL then left the locks held by a dead process: flowmgr spun forever in its own
 * rte_memzone_free (rte_pdump_uninit). Stopped in turn, every other secondary is alive and
 * answers at once.
 */
void fm_launch_stop_all(struct flowmgr *fm)
{
	if (!fm->launch)
		return;
	for (uint32_t id = fm->nb_vnfs; id >= 1; id--)
		stop_one(fm, id);
}
