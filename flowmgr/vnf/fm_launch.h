/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_launch.h — flowmgr as the launcher of its chain's VNFs (flowmgr --launch).
 *
 * What: every VNF whose config names an `exec` is started by flowmgr as
 *	EXEC --name NAME --socket SOCK --file-prefix PREFIX -- ARGS...
 * (EXEC without a '/' is looked up next to the flowmgr binary) and started again after it dies,
 * after a back-off that doubles from FM_BACKOFF_MIN_MS up to FM_BACKOFF_MAX_MS and resets once
 * the VNF stayed up FM_BACKOFF_RESET_MS (100 ms, 5 s, 10 s: fm_launch.c). A child gets
 * PR_SET_PDEATHSIG=SIGTERM: if flowmgr dies its VNFs stop too (DPDK cannot restart a primary
 * under live secondaries). The launcher only starts processes; whether a VNF is alive is the
 * supervisor's call (fm_super.h), from its registration and its pidfd. Without --launch every
 * function here does nothing.
 *
 * Concurrency: main lcore only. The launcher reaps every child of flowmgr (waitpid(-1)): flowmgr
 * MUST NOT start other children it expects to wait for itself.
 */
#ifndef FM_LAUNCH_H
#define FM_LAUNCH_H

#include <stdint.h>

struct flowmgr;

/** Starts every VNF that names an exec. @return 0, or the first fork's -errno. */
int fm_launch_start_all(struct flowmgr *fm);
/** Every main-loop iteration: reaps exited children, starts those whose back-off has passed. */
void fm_launch_tick(struct flowmgr *fm);
/**
 * `nfctl restart`: SIGTERM to VNF `id`'s process, restarted at the next tick without back-off.
 * @return 0, -EPERM (flowmgr does not launch that VNF) or kill()'s -errno.
 */
int fm_launch_restart(struct flowmgr *fm, uint32_t id);
/**
 * Before the shared memory goes: stops the launched VNFs one at a time, last first (SIGTERM,
 * SIGKILL if still alive after FM_STOP_WAIT_MS = 3 s, said in the log; why one at a time:
 * fm_launch.c); returns once all are reaped.
 */
void fm_launch_stop_all(struct flowmgr *fm);

#endif /* FM_LAUNCH_H */
