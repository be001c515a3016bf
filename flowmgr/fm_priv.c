/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_priv.c — flowmgr's drop to the service user; the contract and design are in fm_priv.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <mntent.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fm_priv.h"

#include "fm_err.h"

#define FM_PRIV_HUGE_DEFAULT "/dev/hugepages"

/* What flowmgr keeps after the drop (why: fm_priv.h): effective, and permitted only (raised
 * around the one call that needs it). */
static const int keep_caps[] = {CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF, CAP_IPC_LOCK};
static const int bracket_caps[] = {CAP_KILL};

int fm_priv_resolve(const char *user, struct fm_priv *p, char *err, size_t errlen)
{
	struct passwd *pw;

	memset(p, 0, sizeof(*p));
	snprintf(p->user, sizeof(p->user), "%s", user);
	if (strcmp(user, "root") == 0) {
		p->keep_root = true;
		if (geteuid() != 0) {
			fm_err_set(err, errlen, "--user root: flowmgr runs as uid %u, not root",
				   (unsigned int)geteuid());
			return -EPERM;
		}
		return 0;
	}
	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		fm_err_set(err, errlen,
			   "service user '%s' does not exist: create it with the install step "
			   "(deploy/install-deps.sh creates 'flowsplice'), name another one with "
			   "--user NAME (or `user:` in the chain), or keep root with --user root",
			   user);
		return -ENOENT;
	}
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	if (p->uid == 0) {
		p->keep_root = true;
		return 0;
	}
	if (geteuid() == 0) {
		p->switch_user = true;
		return 0;
	}
	if (geteuid() != p->uid) {
		fm_err_set(err, errlen,
			   "cannot become user '%s': flowmgr runs as uid %u, not root (start it as "
			   "root or as '%s')",
			   user, (unsigned int)geteuid(), user);
		return -EPERM;
	}
	return 0; /* started as the user already (systemd User=) */
}

/* The hugetlbfs mount flowmgr's pages come from: /dev/hugepages if it is one, else the first. */
static int huge_mount(char *out, size_t len)
{
	struct mntent *m;
	FILE *f = setmntent("/proc/mounts", "r");
	bool found = false;

	if (f == NULL)
		return -errno;
	while ((m = getmntent(f)) != NULL) {
		if (strcmp(m->mnt_type, "hugetlbfs") != 0)
			continue;
		if (!found || strcmp(m->mnt_dir, FM_PRIV_HUGE_DEFAULT) == 0)
			snprintf(out, len, "%s", m->mnt_dir);
		found = true;
	}
	endmntent(f);
	return found ? 0 : -ENOENT;
}

int fm_priv_prepare_huge_dir(struct fm_priv *p, bool have_huge_dir, char *err, size_t errlen)
{
	char mnt[PATH_MAX / 2];
	struct stat st;
	int rc;

	if (p->keep_root || have_huge_dir)
		return 0;
	rc = huge_mount(mnt, sizeof(mnt));
	if (rc < 0) {
		fm_err_set(err, errlen, "no hugetlbfs mount (run deploy/hugepages.sh)");
		return rc;
	}
	snprintf(p->huge_dir, sizeof(p->huge_dir), "%s/%s", mnt, p->user);
	if (p->switch_user && mkdir(p->huge_dir, 0700) < 0 && errno != EEXIST)
		goto fail;
	if (lstat(p->huge_dir, &st) < 0) {
		if (errno == ENOENT && !p->switch_user) {
			p->huge_dir[0] = '\0'; /* not root: EAL's default, as before */
			return 0;
		}
		goto fail;
	}
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		goto fail;
	}
	if (p->switch_user && (st.st_uid != p->uid || st.st_gid != p->gid) &&
	    lchown(p->huge_dir, p->uid, p->gid) < 0)
		goto fail;
	return 0;
fail:
	rc = -errno;
	fm_err_set(err, errlen, "hugepage directory %s: %s", p->huge_dir, strerror(errno));
	return rc;
}

/* chown of one entry of @p dirfd, never through a symlink. */
static int give(const struct fm_priv *p, int dirfd, const char *name)
{
	if (fchownat(dirfd, name, p->uid, p->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

/* The directory @p path and every entry in it whose name starts with @p prefix ("" = all). */
static int give_dir(const struct fm_priv *p, const char *path, const char *prefix, bool self)
{
	struct dirent *d;
	DIR *dir;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (self && fchown(fd, p->uid, p->gid) < 0)
		rc = -errno;
	dir = fdopendir(fd);
	if (dir == NULL) {
		close(fd);
		return rc < 0 ? rc : -errno;
	}
	while (rc == 0 && (d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (strncmp(d->d_name, prefix, strlen(prefix)) == 0)
			rc = give(p, dirfd(dir), d->d_name);
	}
	closedir(dir);
	return rc;
}

/* "/a/b/c" -> "/a/b" in @p out; "" when there is no parent. */
static void parent_of(const char *path, char *out, size_t len)
{
	char *slash;

	snprintf(out, len, "%s", path);
	slash = strrchr(out, '/');
	if (slash == NULL)
		out[0] = '\0';
	else if (slash == out)
		out[1] = '\0';
	else
		*slash = '\0';
}

/* The control socket, and its directory when it is flowmgr's own (not /, not sticky, not
 * world-writable, owned by root): the user must unlink the socket at exit and VNFs must reach
 * it. A socket in a directory the user cannot search stays out of the VNFs' reach: the
 * operator picks the directory (-s, `socket:`). */
static int give_socket(const struct fm_priv *p, const char *sock_path)
{
	const char *name = strrchr(sock_path, '/') ? strrchr(sock_path, '/') + 1 : sock_path;
	char dir[PATH_MAX];
	struct stat st;
	int fd, rc = 0;

	parent_of(sock_path, dir, sizeof(dir));
	if (dir[0] == '\0')
		snprintf(dir, sizeof(dir), "."); /* a relative "-s fm.sock" */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (st.st_uid == 0 && !(st.st_mode & (S_ISVTX | S_IWOTH)) && strcmp(dir, "/") != 0 &&
		 fchown(fd, p->uid, p->gid) < 0)
		rc = -errno;
	if (rc == 0)
		rc = give(p, fd, name);
	close(fd);
	return rc;
}

/* RUNDIR/dpdk is root's 0700: o+x lets the user reach its own PREFIX directory in it. */
static int open_runtime_base(const char *runtime_dir, char *base, size_t len)
{
	char dpdk[PATH_MAX];
	struct stat st;

	parent_of(runtime_dir, dpdk, sizeof(dpdk));
	parent_of(dpdk, base, len);
	if (lstat(dpdk, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (!(st.st_mode & S_IXOTH) && chmod(dpdk, (st.st_mode & 07777) | S_IXOTH) < 0)
		return -errno;
	return 0;
}

int fm_priv_share(const struct fm_priv *p, const char *runtime_dir, const char *huge_dir,
		  const char *prefix, const char *sock_path, char *err, size_t errlen)
{
	char base[PATH_MAX], pfx[128];
	const char *what;
	int rc;

	if (!p->switch_user)
		return 0;
	what = runtime_dir;
	rc = open_runtime_base(runtime_dir, base, sizeof(base));
	if (rc == 0)
		rc = give_dir(p, runtime_dir, "", true);
	if (rc == 0 && huge_dir != NULL && huge_dir[0] != '\0') {
		what = huge_dir;
		snprintf(pfx, sizeof(pfx), "%smap_", prefix);
		rc = give_dir(p, huge_dir, pfx, false);
	}
	if (rc == 0) {
		what = sock_path;
		rc = give_socket(p, sock_path);
	}
	if (rc == 0 && setenv("XDG_RUNTIME_DIR", base, 1) < 0)
		rc = -errno;
	if (rc < 0)
		fm_err_set(err, errlen, "cannot hand %s to user '%s': %s", what, p->user,
			   strerror(-rc));
	return rc;
}

/* Permitted: keep_caps and bracket_caps; effective: keep_caps (none of either if !keep). */
static int capset_keep(bool keep, bool raise_bracket)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	struct __user_cap_data_struct cur[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, cur) < 0)
		return -errno;
	memset(data, 0, sizeof(data));
	for (size_t i = 0; keep && i < sizeof(keep_caps) / sizeof(keep_caps[0]); i++) {
		data[CAP_TO_INDEX(keep_caps[i])].permitted |= CAP_TO_MASK(keep_caps[i]);
		data[CAP_TO_INDEX(keep_caps[i])].effective |= CAP_TO_MASK(keep_caps[i]);
	}
	for (size_t i = 0; keep && i < sizeof(bracket_caps) / sizeof(bracket_caps[0]); i++) {
		data[CAP_TO_INDEX(bracket_caps[i])].permitted |= CAP_TO_MASK(bracket_caps[i]);
		if (raise_bracket)
			data[CAP_TO_INDEX(bracket_caps[i])].effective |=
			    CAP_TO_MASK(bracket_caps[i]);
	}
	for (int k = 0; k < _LINUX_CAPABILITY_U32S_3; k++) { /* never more than it has */
		data[k].permitted &= cur[k].permitted;
		data[k].effective &= data[k].permitted;
	}
	return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

static bool is_kept(int cap)
{
	for (size_t i = 0; i < sizeof(keep_caps) / sizeof(keep_caps[0]); i++)
		if (keep_caps[i] == cap)
			return true;
	for (size_t i = 0; i < sizeof(bracket_caps) / sizeof(bracket_caps[0]); i++)
		if (bracket_caps[i] == cap)
			return true;
	return false;
}

/* Every capability but the kept ones out of the bounding set (needs CAP_SETPCAP: still root). */
static int bound_drop(void)
{
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (!is_kept(cap) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -errno;
	return 0;
}

static int switch_user(const struct fm_priv *p)
{
	int pdeath = 0;

	/* The kernel clears the parent-death signal on a credential change: keep the one flowmgr
	 * was started with (a supervisor that wants flowmgr gone with it). */
	if (prctl(PR_GET_PDEATHSIG, &pdeath, 0, 0, 0) < 0)
		return -errno;
	if (bound_drop() < 0 || prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return -errno;
	if (initgroups(p->user, p->gid) < 0 || setgid(p->gid) < 0 || setuid(p->uid) < 0)
		return -errno;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 || prctl(PR_SET_PDEATHSIG, pdeath, 0, 0, 0) < 0)
		return -errno;
	return getuid() == p->uid && geteuid() == p->uid && getegid() == p->gid ? 0 : -EPERM;
}

int fm_priv_drop(const struct fm_priv *p, char *err, size_t errlen)
{
	int rc = 0;

	if (p->keep_root)
		return 0;
	if (p->switch_user)
		rc = switch_user(p);
	if (rc == 0)
		rc = capset_keep(true, false);
	if (rc == 0 && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		rc = -errno;
	if (rc == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		rc = -errno;
	if (rc == 0 && p->switch_user && setuid(0) == 0) /* root must be out of reach for good */
		rc = -EPERM;
	if (rc < 0)
		fm_err_set(err, errlen, "cannot drop to user '%s': %s", p->user, strerror(-rc));
	return rc;
}

void fm_priv_child(void)
{
	if (getuid() == 0)
		return; /* --user root: VNFs stay root, as flowmgr */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	capset_keep(false, false);
}

int fm_priv_signal(int pidfd, pid_t pid, int sig)
{
	bool raise = geteuid() != 0;
	int rc;

	if (raise)
		capset_keep(true, true); /* CAP_KILL if permitted */
	if (pidfd >= 0)
		rc = (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
	else
		rc = kill(pid, sig);
	rc = rc < 0 ? -errno : 0;
	if (raise)
		capset_keep(true, false);
	return rc;
}
