/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fs_harness.h — integration-test harness: real flowmgr and VNF processes on real hugepages.
 *
 * Each test run gets a unique DPDK file prefix and a private directory (socket, configs,
 * pcaps, logs). Processes are started with fork/exec from $FS_BUILD_DIR/bin and stopped by
 * PID (SIGTERM, then SIGKILL after a timeout). fs_h_cleanup() stops what is left and removes the
 * hugepage files and /var/run/dpdk/PREFIX.
 */
#ifndef FS_HARNESS_H
#define FS_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "flowsplice.pb-c.h"

#define FS_H_MAX_PROCS 16

struct fs_h {
	char prefix[32];  /* DPDK --file-prefix */
	char dir[256];	  /* private directory */
	char sock[300];	  /* control socket */
	char bindir[256]; /* build/bin */
	pid_t procs[FS_H_MAX_PROCS];
	int nb_procs;
	pid_t flowmgr;
};

/* Sets up the run directory and names. Fails the test (ck_abort) on error. */
void fs_h_init(struct fs_h *h, const char *tag);
/* Writes a file in the run directory; returns its path (static buffer per call site is not
 * kept: copy it). */
const char *fs_h_write(struct fs_h *h, const char *name, const char *text);
const char *fs_h_path(struct fs_h *h, const char *name);

/* Starts flowmgr with config file `cfg` (+ extra flowmgr args, NULL-terminated) and waits until
 * its control socket answers. */
pid_t fs_h_start_flowmgr(struct fs_h *h, const char *cfg, const char *const *extra);
/* Starts VNF binary `bin` (in build/bin) as `name`, waits until flowmgr shows it RUNNING. */
pid_t fs_h_start_vnf(struct fs_h *h, const char *bin, const char *name, const char *const *extra);

/* Stops one process: SIGTERM, wait up to timeout_ms, then SIGKILL. Returns its exit status. */
int fs_h_stop(struct fs_h *h, pid_t pid, int timeout_ms);
/* Stops everything still running (VNFs first) and removes the prefix's DPDK files. */
void fs_h_stop_all(struct fs_h *h);
/* fs_h_stop_all(), then removes the run directory (kept when FS_KEEP_LOGS is set). Also
 * run at exit. Stops everything still running and removes DPDK files of the prefix and the run
 * directory. */
void fs_h_cleanup(struct fs_h *h);

/* Control calls (fail the test on transport errors). Free with ctl_reply_free(). */
Flowsplice__Reply *fs_h_call(struct fs_h *h, Flowsplice__Request *req);
Flowsplice__Reply *fs_h_stats(struct fs_h *h);
/* Opens or closes flowmgr's ports (SetPorts); the reply must be OK. */
void fs_h_ports(struct fs_h *h, bool open);
const Flowsplice__VnfInfo *fs_h_vnf(const Flowsplice__Reply *stats, const char *name);
uint64_t fs_h_counter(const Flowsplice__Reply *stats, const char *name);

/* One global counter of flowmgr (status/stats counters), fetched now. */
uint64_t fs_h_stat(struct fs_h *h, const char *name);
/* Sends SIGUSR1 to a VNF started with `-- --report PATH` (nfsdk writes its registered counters
 * there, "name value" lines), waits for the file and returns the value of `key` in it. */
uint64_t fs_h_report_value(pid_t pid, const char *path, const char *key);
/* One of a VNF's registered counters (nfsdk's registry, as `nfctl stats` shows it), fetched now;
 * fails the test when the VNF or the counter is not there. */
uint64_t fs_h_vnf_counter(struct fs_h *h, const char *vnf, const char *key);
/* Waits up to `ms` for a VNF's registered counter to reach `want` (published once per loop
 * iteration of the VNF) and returns its value then. */
uint64_t fs_h_vnf_counter_wait(struct fs_h *h, const char *vnf, const char *key, uint64_t want,
			       unsigned int ms);

uint64_t fs_h_now_ms(void);
void fs_h_sleep_ms(unsigned int ms);

#endif /* FS_HARNESS_H */
