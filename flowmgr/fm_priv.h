/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_priv.h — least privilege: flowmgr sets up as root, then runs as the service user.
 *
 * What: flowmgr starts as root (EAL init maps hugepages and creates the DPDK runtime directory;
 * ports need raw sockets, promiscuous mode, XDP). Once the ports, shared memory and control
 * socket exist it hands what secondaries open to the service user (chain `user:`, `flowmgr
 * --user`, default "flowsplice", created by deploy/install-deps.sh) and becomes that user,
 * keeping only FM_PRIV_KEEP_CAPS. VNFs it launches run as that user with no capabilities at all.
 * `--user root` (or `user: root`) keeps the old behaviour: everything stays root.
 *
 * Design:
 *  - The user is resolved before anything is set up: a missing user is an error that names the
 *    install step and `--user root`, never a silent fallback to root.
 *  - Hugepage files: flowmgr keeps allocating (and freeing) hugepages after the drop, so EAL
 *    gets `--huge-dir MOUNT/USER`, a directory of the hugetlbfs mount owned by the service user
 *    (created here, or by deploy/hugepages.sh --user for the systemd unit). Secondaries learn
 *    the directory from the primary's runtime files and need no option.
 *  - Shared with secondaries (fm_priv_share()): the runtime directory RUNDIR/dpdk/PREFIX and
 *    every file in it (config, fbarray_*, mp_socket, telemetry socket), the prefix's hugepage
 *    files, the control socket and its directory (unless that is a shared directory such as
 *    /tmp: sticky or world-writable ones are left alone) are chowned to the user; RUNDIR/dpdk
 *    (root's 0700) gets o+x so the user can reach its own PREFIX directory inside, and
 *    XDG_RUNTIME_DIR=RUNDIR is exported so launched (non-root) secondaries, which look there
 *    instead of /var/run, find the primary's files.
 *  - The drop (fm_priv_drop()): bounding set reduced to FM_PRIV_KEEP_CAPS, PR_SET_KEEPCAPS,
 *    setgroups/setgid/setuid (glibc applies them to every thread), then capset() leaves
 *    FM_PRIV_KEEP_CAPS permitted and effective on the main (control) thread only — the other
 *    threads (workers, EAL's interrupt, mp and telemetry threads) lose all capabilities at the
 *    setuid. Inheritable and ambient sets are emptied and PR_SET_NO_NEW_PRIVS set, so no child
 *    can get a capability back: a non-root execve() clears the permitted set.
 *  - Started by systemd as the user already (AmbientCapabilities=), there is nothing to switch:
 *    fm_priv_drop() only narrows the capabilities to FM_PRIV_KEEP_CAPS and clears the ambient
 *    set, so launched VNFs do not inherit it.
 *
 * Why these capabilities (after start-up; docs/security.md): CAP_NET_ADMIN (ports' link flags,
 * promiscuous mode and XDP programs are changed again when ports stop or restart), CAP_NET_RAW
 * (af_packet/af_xdp sockets re-opened on a port restart), CAP_BPF (XDP maps of the offload),
 * CAP_IPC_LOCK (locked memory of AF_XDP umems and BPF maps). CAP_KILL stays permitted but not
 * effective: fm_priv_signal() raises it for the one call that signals a registered VNF (its
 * pidfd), so `nfctl kill` still reaches a VNF an operator started as root. Nothing else: no
 * CAP_SYS_ADMIN, no CAP_DAC_OVERRIDE, no CAP_SETUID.
 *
 * Concurrency: main thread, before the workers start forwarding (the drop happens before run()).
 */
#ifndef FM_PRIV_H
#define FM_PRIV_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define FM_PRIV_USER_MAX 33

struct fm_priv {
	char user[FM_PRIV_USER_MAX];
	bool keep_root;		 /* user "root": nothing changes */
	bool switch_user;	 /* started as root, becomes uid/gid */
	uid_t uid;		 /* the service user */
	gid_t gid;		 /* its primary group */
	char huge_dir[PATH_MAX]; /* --huge-dir flowmgr adds to EAL ("" = none) */
};

/**
 * Resolves @p user and decides what to do; @p err gets a one-line message on failure.
 * @return 0; -ENOENT (no such user: the message names deploy/install-deps.sh and --user root);
 *	   -EPERM (not root and not already @p user).
 */
int fm_priv_resolve(const char *user, struct fm_priv *p, char *err, size_t errlen);
/**
 * Before EAL init: unless @p have_huge_dir (the operator gave --huge-dir), makes the service
 * user's directory on the hugetlbfs mount (0700, owned by the user) and records it in
 * p->huge_dir. Does nothing for keep_root. @return 0 or -errno (message in @p err).
 */
int fm_priv_prepare_huge_dir(struct fm_priv *p, bool have_huge_dir, char *err, size_t errlen);
/**
 * After set-up, still root: gives the service user the DPDK runtime directory @p runtime_dir
 * (RUNDIR/dpdk/PREFIX) and its files, the hugepage files named @p prefix "map_*" in @p huge_dir,
 * and the control socket @p sock_path (and its directory, unless shared); exports
 * XDG_RUNTIME_DIR=RUNDIR. @return 0 or the first -errno (message in @p err).
 */
int fm_priv_share(const struct fm_priv *p, const char *runtime_dir, const char *huge_dir,
		  const char *prefix, const char *sock_path, char *err, size_t errlen);
/** Becomes the service user with FM_PRIV_KEEP_CAPS only (see above). @return 0 or -errno. */
int fm_priv_drop(const struct fm_priv *p, char *err, size_t errlen);
/**
 * Sends @p sig to a registered VNF: to @p pidfd when >= 0 (pidfd_send_signal), else to @p pid,
 * with CAP_KILL effective for that call only. @return 0 or -errno.
 */
int fm_priv_signal(int pidfd, pid_t pid, int sig);
/** In a launched child between fork() and execve(): no capability of any kind survives. */
void fm_priv_child(void);

#endif /* FM_PRIV_H */
