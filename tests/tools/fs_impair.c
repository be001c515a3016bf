/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fs_impair: an impairment bridge for the end-to-end tests (tests/integration/e2e/impair_lib.sh).
 *
 *   fs_impair [--reorder PCT] [--depth N] [--max-hold-us US] [--loss PCT] [--dup PCT]
 *             [--seed S] [--dir ab|ba|both] [--stats FILE] IF_A IF_B
 *
 * What: forwards every Ethernet frame from IF_A to IF_B and from IF_B to IF_A, and on the
 * impaired directions (--dir; "ab" is IF_A -> IF_B) drops, duplicates and reorders a chosen share
 * of them. This kernel has no netem; nftables can drop and duplicate but cannot hold a packet back,
 * so reordering needs something in the path that can: this program, in plain C without DPDK.
 *
 * Design: one AF_PACKET socket per interface, promiscuous, with PACKET_IGNORE_OUTGOING so that it
 * never reads back what it sent (frames of type PACKET_OUTGOING are skipped as well); one ppoll()
 * loop that sleeps until a frame arrives, a held frame is due or a signal comes; no threads.
 * Each frame read on an impaired direction goes through, in this order:
 *   loss     with probability --loss it is dropped (and overtakes nothing);
 *   dup      with probability --dup it is sent twice, back to back;
 *   reorder  with probability --reorder it is held back until D later frames of its direction
 *            have been sent, D drawn uniformly from 1..--depth, or until --max-hold-us have
 *            passed, whichever comes first. Held frames leave oldest first.
 * A frame that is not held is sent at once, then every held frame it completes is sent after it.
 * Percentages may have decimals (0.5). Random draws come from a generator seeded by --seed, so a
 * run with the same input is repeatable, except where --max-hold-us timing decides.
 *
 * Counters, per direction (keys "ab_NAME" and "ba_NAME"), printed on SIGTERM/SIGINT and written
 * as "key value" lines to --stats FILE at exit and on SIGUSR1 (see IMP_COUNTERS below).
 *
 * Limits:
 * * Frames up to IMP_FRAME_MAX (9018) bytes: a 9000-byte MTU plus Ethernet and one VLAN header.
 *   Longer frames are dropped and counted (oversize). A veth end hands AF_PACKET what its peer
 *   transmitted and what its own GRO merged: the bridged ends must have GRO/GSO/TSO off
 *   (`ethtool -K IF tx off gro off gso off tso off`) and their peers TX checksum offload off
 *   (which also turns TSO off), or frames are longer than the MTU (oversize) or carry partial
 *   checksums (csum_partial).
 * * A VLAN tag the kernel moved to packet metadata is put back into the frame (PACKET_AUXDATA).
 * * One syscall per frame: fine for tests (0.4-2 Gbit/s measured on veth here), not a datapath.
 * * Frames the socket buffer could not hold are lost and counted (sock_drops); a send that fails
 *   loses the frame and is counted (tx_errors).
 *
 * Exit status: 0 after SIGTERM/SIGINT, 1 on a runtime error (an interface went away), 2 on bad
 * usage or an interface that cannot be opened.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#define IMP_FRAME_MAX 9018 /* 9000 MTU + Ethernet header + one VLAN tag */
#define IMP_HOLD_MAX  64   /* held frames per direction */
#define IMP_DEPTH_MAX IMP_HOLD_MAX
#define IMP_BURST     32	/* frames read from one socket per wake-up */
#define IMP_RCVBUF    (4 << 20) /* socket receive buffer, bytes */
#define IMP_PPM	      1000000u	/* probabilities are in parts per million */

/* Counters of one direction: name, meaning. */
#define IMP_COUNTERS(X)                                                                            \
	X(rx, "frames read")                                                                       \
	X(forwarded, "frames sent on (a duplicated frame counts once)")                            \
	X(reordered, "frames sent after at least one later frame of their direction")              \
	X(delayed, "held frames released by --max-hold-us before any frame overtook them")         \
	X(dropped, "frames dropped by --loss")                                                     \
	X(duplicated, "extra copies sent by --dup")                                                \
	X(hold_full, "frames that drew reorder while the hold queue was full (sent at once)")      \
	X(oversize, "frames longer than 9018 bytes, dropped (GRO/GSO/TSO on?)")                    \
	X(runt, "frames shorter than an Ethernet header, dropped")                                 \
	X(csum_partial, "frames with a partial checksum (TX checksum offload on?)")                \
	X(tx_errors, "frames lost because the send failed")                                        \
	X(sock_drops, "frames the kernel dropped because the socket buffer was full")              \
	X(max_len, "longest frame seen, bytes")

enum imp_ctr {
#define IMP_CTR_ENUM(name, help) IMP_CTR_##name,
	IMP_COUNTERS(IMP_CTR_ENUM)
#undef IMP_CTR_ENUM
	    IMP_CTR_N
};

static const char *const imp_ctr_names[IMP_CTR_N] = {
#define IMP_CTR_NAME(name, help) #name,
    IMP_COUNTERS(IMP_CTR_NAME)
#undef IMP_CTR_NAME
};

static const char *const imp_ctr_help[IMP_CTR_N] = {
#define IMP_CTR_HELP(name, help) help,
    IMP_COUNTERS(IMP_CTR_HELP)
#undef IMP_CTR_HELP
};

struct imp_held {
	uint64_t deadline_ns;
	uint16_t len;
	uint8_t left;	/* frames still to let pass before this one */
	uint8_t passed; /* frames that overtook it so far */
	bool dup;
	uint8_t data[IMP_FRAME_MAX];
};

/* One direction: frames read on rx_fd are sent on tx_fd. */
struct imp_dir {
	const char *name; /* "ab" or "ba" */
	const char *rx_if;
	unsigned int rx_ifindex;
	int rx_fd;
	int tx_fd;
	bool impaired;
	bool warned_oversize;
	unsigned int n_held;
	uint8_t order[IMP_HOLD_MAX]; /* slots in use, oldest first */
	uint8_t free[IMP_HOLD_MAX];  /* stack of free slots */
	unsigned int n_free;
	uint64_t ctr[IMP_CTR_N];
	struct imp_held slot[IMP_HOLD_MAX];
};

struct imp_cfg {
	uint32_t reorder_ppm;
	uint32_t loss_ppm;
	uint32_t dup_ppm;
	unsigned int depth;
	uint64_t max_hold_ns;
	uint64_t seed;
	const char *dir;
	const char *stats_path;
	const char *if_a;
	const char *if_b;
};

struct imp {
	struct imp_cfg cfg;
	uint64_t rng;
	struct imp_dir dir[2]; /* [0] = ab, [1] = ba */
	uint8_t rxbuf[IMP_FRAME_MAX];
};

static volatile sig_atomic_t imp_stop;
static volatile sig_atomic_t imp_dump;

static void imp_on_signal(int sig)
{
	if (sig == SIGUSR1)
		imp_dump = 1;
	else
		imp_stop = 1;
}

/* ---- small helpers ---------------------------------------------------------------------- */

static uint64_t imp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* splitmix64: small, fast, and every seed (0 included) gives a full-period sequence. */
static uint64_t imp_rand(struct imp *imp)
{
	uint64_t z = (imp->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool imp_chance(struct imp *imp, uint32_t ppm)
{
	return ppm != 0 && imp_rand(imp) % IMP_PPM < ppm;
}

/* ---- sockets ------------------------------------------------------------------------------ */

static void imp_warn_if_down(int fd, const char *ifname)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP))
		fprintf(stderr, "fs_impair: warning: interface '%s' is down (ip link set %s up)\n",
			ifname, ifname);
}

static int imp_sockopts(int fd, const char *ifname)
{
	int one = 1, rcvbuf = IMP_RCVBUF;

	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0) {
		/* Kernels before 4.20: the PACKET_OUTGOING check in imp_rx_burst() still applies.
		 */
		fprintf(stderr, "fs_impair: warning: PACKET_IGNORE_OUTGOING on %s: %s\n", ifname,
			strerror(errno));
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
		return -errno;
	return 0;
}

/* Opens a promiscuous AF_PACKET socket on IFNAME. Prints why on failure. */
static int imp_socket_open(const char *ifname, unsigned int *ifindex_out, int *fd_out)
{
	struct sockaddr_ll sll;
	struct packet_mreq mr;
	unsigned int ifindex;
	int fd, rc;

	ifindex = if_nametoindex(ifname);
	if (ifindex == 0) {
		fprintf(stderr, "fs_impair: no interface '%s' (%s); see `ip link show`\n", ifname,
			strerror(errno));
		return -ENODEV;
	}
	/* Protocol 0: the socket receives nothing until bind() names the interface. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		fprintf(stderr, "fs_impair: AF_PACKET socket: %s (needs root or CAP_NET_RAW)\n",
			strerror(errno));
		return rc;
	}
	rc = imp_sockopts(fd, ifname);
	if (rc < 0)
		goto close_fd;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		rc = -errno;
		goto close_fd;
	}
	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = (int)ifindex;
	mr.mr_type = PACKET_MR_PROMISC;
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
		rc = -errno;
		goto close_fd;
	}
	imp_warn_if_down(fd, ifname);
	*ifindex_out = ifindex;
	*fd_out = fd;
	return 0;

close_fd:
	fprintf(stderr, "fs_impair: cannot set up a packet socket on '%s': %s\n", ifname,
		strerror(-rc));
	close(fd);
	return rc;
}

/* Adds the frames the kernel dropped for lack of socket buffer since the last call. */
static void imp_collect_sock_drops(struct imp_dir *d)
{
	struct tpacket_stats st;
	socklen_t len = sizeof(st);

	if (getsockopt(d->rx_fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
		d->ctr[IMP_CTR_sock_drops] += st.tp_drops;
}

/* ---- forwarding --------------------------------------------------------------------------- */

static void imp_send(struct imp_dir *d, const uint8_t *frame, size_t len, bool dup)
{
	if (send(d->tx_fd, frame, len, 0) == (ssize_t)len)
		d->ctr[IMP_CTR_forwarded]++;
	else
		d->ctr[IMP_CTR_tx_errors]++;
	if (dup) {
		if (send(d->tx_fd, frame, len, 0) == (ssize_t)len)
			d->ctr[IMP_CTR_duplicated]++;
		else
			d->ctr[IMP_CTR_tx_errors]++;
	}
}

/* Sends held frame SLOT and frees it (the caller removes it from the order). */
static void imp_release(struct imp_dir *d, uint8_t slot)
{
	struct imp_held *h = &d->slot[slot];

	imp_send(d, h->data, h->len, h->dup);
	d->ctr[h->passed > 0 ? IMP_CTR_reordered : IMP_CTR_delayed]++;
	d->free[d->n_free++] = slot;
}

/* Holds a copy of FRAME; returns false if the hold queue is full. */
static bool imp_hold(struct imp *imp, struct imp_dir *d, const uint8_t *frame, size_t len, bool dup,
		     uint64_t now)
{
	struct imp_held *h;
	uint8_t slot;

	if (d->n_free == 0)
		return false;
	slot = d->free[--d->n_free];
	h = &d->slot[slot];
	h->deadline_ns = now + imp->cfg.max_hold_ns;
	h->len = (uint16_t)len;
	h->left = (uint8_t)(1 + imp_rand(imp) % imp->cfg.depth);
	h->passed = 0;
	h->dup = dup;
	memcpy(h->data, frame, len);
	d->order[d->n_held++] = slot;
	return true;
}

/* A frame was just sent past every held frame of D: sends those whose count it completes. */
static void imp_overtake(struct imp_dir *d)
{
	unsigned int i, kept = 0;

	for (i = 0; i < d->n_held; i++) {
		uint8_t slot = d->order[i];
		struct imp_held *h = &d->slot[slot];

		h->passed++;
		if (--h->left == 0)
			imp_release(d, slot);
		else
			d->order[kept++] = slot;
	}
	d->n_held = kept;
}

/* Releases the held frames of D whose deadline is past (all of them if FORCE). */
static void imp_expire(struct imp_dir *d, uint64_t now, bool force)
{
	unsigned int i, kept = 0;

	for (i = 0; i < d->n_held; i++) {
		uint8_t slot = d->order[i];

		if (force || d->slot[slot].deadline_ns <= now)
			imp_release(d, slot);
		else
			d->order[kept++] = slot;
	}
	d->n_held = kept;
}

/* One frame read on D: loss, dup, reorder (see the header comment), then forward. */
static void imp_frame(struct imp *imp, struct imp_dir *d, const uint8_t *frame, size_t len,
		      uint64_t now)
{
	bool dup = false;

	if (d->impaired) {
		if (imp_chance(imp, imp->cfg.loss_ppm)) {
			d->ctr[IMP_CTR_dropped]++;
			return;
		}
		dup = imp_chance(imp, imp->cfg.dup_ppm);
		if (imp_chance(imp, imp->cfg.reorder_ppm)) {
			if (imp_hold(imp, d, frame, len, dup, now))
				return;
			d->ctr[IMP_CTR_hold_full]++;
		}
	}
	imp_send(d, frame, len, dup);
	imp_overtake(d);
}

static const struct tpacket_auxdata *imp_auxdata(struct msghdr *mh)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct tpacket_auxdata)))
			return (const struct tpacket_auxdata *)CMSG_DATA(c);
	}
	return NULL;
}

/*
 * Checks a frame of LEN bytes in imp->rxbuf, puts back a VLAN tag the kernel moved to AUX, and
 * returns its final length, or 0 if it is to be dropped.
 */
static size_t imp_fixup(struct imp *imp, struct imp_dir *d, size_t len,
			const struct tpacket_auxdata *aux)
{
	bool vlan = aux != NULL && (aux->tp_status & TP_STATUS_VLAN_VALID);
	size_t full = len + (vlan ? 4 : 0);

	if (full > IMP_FRAME_MAX || len < ETH_HLEN) {
		d->ctr[len < ETH_HLEN ? IMP_CTR_runt : IMP_CTR_oversize]++;
		if (full > IMP_FRAME_MAX && !d->warned_oversize) {
			d->warned_oversize = true;
			fprintf(
			    stderr,
			    "fs_impair: %zu-byte frame on %s dropped: turn GRO/GSO/TSO off on "
			    "the bridged interfaces (ethtool -K %s gro off gso off tso off) "
			    "and TX checksum offload off on their peers (ethtool -K PEER tx off)\n",
			    full, d->rx_if, d->rx_if);
		}
		return 0;
	}
	if (aux != NULL && (aux->tp_status & TP_STATUS_CSUMNOTREADY))
		d->ctr[IMP_CTR_csum_partial]++;
	if (vlan) {
		uint16_t tpid =
		    (aux->tp_status & TP_STATUS_VLAN_TPID_VALID) ? aux->tp_vlan_tpid : ETH_P_8021Q;
		uint16_t tag[2] = {htons(tpid), htons(aux->tp_vlan_tci)};

		memmove(imp->rxbuf + 2 * ETH_ALEN + 4, imp->rxbuf + 2 * ETH_ALEN,
			len - 2 * ETH_ALEN);
		memcpy(imp->rxbuf + 2 * ETH_ALEN, tag, sizeof(tag));
	}
	if (full > d->ctr[IMP_CTR_max_len])
		d->ctr[IMP_CTR_max_len] = full;
	return full;
}

/* A read error on D: an interface that went away ends the run, anything else is retried. */
static int imp_rx_error(struct imp_dir *d, int err)
{
	char name[IF_NAMESIZE];

	if (err == ENETDOWN &&
	    (if_indextoname(d->rx_ifindex, name) == NULL || strcmp(name, d->rx_if) != 0)) {
		fprintf(stderr, "fs_impair: interface '%s' is gone\n", d->rx_if);
		return -err;
	}
	if (err != ENETDOWN)
		fprintf(stderr, "fs_impair: read on %s: %s\n", d->rx_if, strerror(err));
	return 0;
}

/* Reads and handles up to IMP_BURST frames of D. Returns 0, or -errno to end the run. */
static int imp_rx_burst(struct imp *imp, struct imp_dir *d)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
		struct cmsghdr align;
	} cbuf;
	struct sockaddr_ll from;
	struct iovec iov;
	struct msghdr mh;
	int i;

	for (i = 0; i < IMP_BURST; i++) {
		ssize_t n;
		size_t len;

		iov.iov_base = imp->rxbuf;
		iov.iov_len = sizeof(imp->rxbuf);
		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &from;
		mh.msg_namelen = sizeof(from);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		/* MSG_TRUNC: the length returned is the frame's, even when it did not fit. */
		n = recvmsg(d->rx_fd, &mh, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return 0;
			return imp_rx_error(d, errno);
		}
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		d->ctr[IMP_CTR_rx]++;
		len = imp_fixup(imp, d, (size_t)n, imp_auxdata(&mh));
		if (len != 0)
			imp_frame(imp, d, imp->rxbuf, len, imp_now_ns());
	}
	return 0;
}

/* ---- counters ----------------------------------------------------------------------------- */

static void imp_write_counters(const struct imp *imp, FILE *f)
{
	int d, c;

	fprintf(f, "seed %" PRIu64 "\n", imp->cfg.seed);
	for (d = 0; d < 2; d++)
		for (c = 0; c < IMP_CTR_N; c++)
			fprintf(f, "%s_%s %" PRIu64 "\n", imp->dir[d].name, imp_ctr_names[c],
				imp->dir[d].ctr[c]);
}

/* Writes the counters to --stats FILE (through FILE.tmp and rename, so readers see whole files). */
static int imp_write_stats(struct imp *imp)
{
	char tmp[4096];
	FILE *f;

	imp_collect_sock_drops(&imp->dir[0]);
	imp_collect_sock_drops(&imp->dir[1]);
	if (imp->cfg.stats_path == NULL)
		return 0;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", imp->cfg.stats_path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (f == NULL)
		goto fail;
	imp_write_counters(imp, f);
	if (fclose(f) != 0 || rename(tmp, imp->cfg.stats_path) != 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "fs_impair: cannot write %s: %s\n", imp->cfg.stats_path, strerror(errno));
	return -errno;
}

/* ---- main loop ---------------------------------------------------------------------------- */

/* Time until the first held frame is due, or NULL (sleep until a frame or a signal). */
static struct timespec *imp_poll_timeout(const struct imp *imp, struct timespec *ts)
{
	uint64_t first = UINT64_MAX, now;
	int d;

	for (d = 0; d < 2; d++) {
		const struct imp_dir *dir = &imp->dir[d];

		/* Frames are held for the same time, so the oldest is due first. */
		if (dir->n_held > 0 && dir->slot[dir->order[0]].deadline_ns < first)
			first = dir->slot[dir->order[0]].deadline_ns;
	}
	if (first == UINT64_MAX)
		return NULL;
	now = imp_now_ns();
	first = first > now ? first - now : 0;
	ts->tv_sec = (time_t)(first / 1000000000u);
	ts->tv_nsec = (long)(first % 1000000000u);
	return ts;
}

static int imp_run(struct imp *imp, const sigset_t *wait_mask)
{
	struct pollfd pfd[2] = {{.fd = imp->dir[0].rx_fd, .events = POLLIN},
				{.fd = imp->dir[1].rx_fd, .events = POLLIN}};
	struct timespec ts;
	int d, rc = 0;

	while (!imp_stop && rc == 0) {
		int n = ppoll(pfd, 2, imp_poll_timeout(imp, &ts), wait_mask);

		if (n < 0 && errno != EINTR) {
			rc = -errno;
			fprintf(stderr, "fs_impair: ppoll: %s\n", strerror(errno));
			break;
		}
		for (d = 0; d < 2 && n > 0 && rc == 0; d++)
			if (pfd[d].revents != 0)
				rc = imp_rx_burst(imp, &imp->dir[d]);
		for (d = 0; d < 2; d++)
			imp_expire(&imp->dir[d], imp_now_ns(), false);
		if (imp_dump) {
			imp_dump = 0;
			imp_write_stats(imp);
		}
	}
	/* Held frames are not lost at exit: they leave now. */
	for (d = 0; d < 2; d++)
		imp_expire(&imp->dir[d], 0, true);
	return rc;
}

/* Blocks the signals we handle; ppoll() unblocks them (WAIT_MASK) only while it sleeps. */
static void imp_signals(sigset_t *wait_mask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = imp_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, wait_mask);
	sigdelset(wait_mask, SIGTERM);
	sigdelset(wait_mask, SIGINT);
	sigdelset(wait_mask, SIGUSR1);
}

/* ---- options ------------------------------------------------------------------------------ */

static void usage(FILE *f)
{
	int c;

	fprintf(
	    f,
	    "usage: fs_impair [OPTIONS] IF_A IF_B\n"
	    "Bridges every frame IF_A <-> IF_B and impairs the chosen directions.\n"
	    "  --reorder PCT      hold back PCT%% of the frames (default 0)\n"
	    "  --depth N          ... until 1..N later frames passed (default 3, max %d)\n"
	    "  --max-hold-us US   ... or at most US microseconds (default 1000)\n"
	    "  --loss PCT         drop PCT%% of the frames (default 0)\n"
	    "  --dup PCT          send PCT%% of the frames twice (default 0)\n"
	    "  --seed S           random seed (default 1)\n"
	    "  --dir ab|ba|both   impaired direction(s), ab = IF_A -> IF_B (default both)\n"
	    "  --stats FILE       write 'key value' counters at exit and on SIGUSR1\n"
	    "The bridged interfaces need GRO/GSO/TSO off, their peers TX checksum offload off.\n"
	    "Counters, per direction (ab_NAME, ba_NAME):\n",
	    IMP_DEPTH_MAX);
	for (c = 0; c < IMP_CTR_N; c++)
		fprintf(f, "  %-13s %s\n", imp_ctr_names[c], imp_ctr_help[c]);
}

/* Parses a percentage 0..100 (decimals allowed) into parts per million. */
static int imp_parse_pct(const char *opt, const char *s, uint32_t *ppm)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0.0 && v <= 100.0)) {
		fprintf(stderr, "fs_impair: --%s: '%s' is not a percentage 0..100\n", opt, s);
		return -EINVAL;
	}
	*ppm = (uint32_t)(v * (IMP_PPM / 100) + 0.5);
	return 0;
}

static int imp_parse_uint(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "fs_impair: --%s: '%s' is not a number %" PRIu64 "..%" PRIu64 "\n",
			opt, s, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int imp_parse_opt(struct imp_cfg *cfg, const char *name, const char *arg)
{
	uint64_t v;
	int rc;

	if (strcmp(name, "reorder") == 0)
		return imp_parse_pct(name, arg, &cfg->reorder_ppm);
	if (strcmp(name, "loss") == 0)
		return imp_parse_pct(name, arg, &cfg->loss_ppm);
	if (strcmp(name, "dup") == 0)
		return imp_parse_pct(name, arg, &cfg->dup_ppm);
	if (strcmp(name, "depth") == 0) {
		rc = imp_parse_uint(name, arg, 1, IMP_DEPTH_MAX, &v);
		cfg->depth = (unsigned int)v;
		return rc;
	}
	if (strcmp(name, "max-hold-us") == 0) {
		rc = imp_parse_uint(name, arg, 1, 10000000, &v);
		cfg->max_hold_ns = v * 1000;
		return rc;
	}
	if (strcmp(name, "seed") == 0)
		return imp_parse_uint(name, arg, 0, UINT64_MAX, &cfg->seed);
	if (strcmp(name, "stats") == 0) {
		cfg->stats_path = arg;
		return 0;
	}
	if (strcmp(name, "dir") == 0) {
		cfg->dir = arg;
		if (strcmp(arg, "ab") == 0 || strcmp(arg, "ba") == 0 || strcmp(arg, "both") == 0)
			return 0;
		fprintf(stderr, "fs_impair: --dir: '%s' is not ab, ba or both\n", arg);
		return -EINVAL;
	}
	return -EINVAL;
}

/* Returns 0, 1 for --help, or -EINVAL (after saying why). */
static int imp_parse_args(int argc, char **argv, struct imp_cfg *cfg)
{
	static const struct option opts[] = {{"reorder", required_argument, NULL, 0},
					     {"depth", required_argument, NULL, 0},
					     {"max-hold-us", required_argument, NULL, 0},
					     {"loss", required_argument, NULL, 0},
					     {"dup", required_argument, NULL, 0},
					     {"seed", required_argument, NULL, 0},
					     {"dir", required_argument, NULL, 0},
					     {"stats", required_argument, NULL, 0},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c, idx;

	*cfg = (struct imp_cfg){.depth = 3, .max_hold_ns = 1000000, .seed = 1, .dir = "both"};
	while ((c = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
		if (c == 'h')
			return 1;
		if (c != 0 || imp_parse_opt(cfg, opts[idx].name, optarg) < 0)
			return -EINVAL;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "fs_impair: need two interfaces, IF_A and IF_B\n");
		return -EINVAL;
	}
	cfg->if_a = argv[optind];
	cfg->if_b = argv[optind + 1];
	if (strcmp(cfg->if_a, cfg->if_b) == 0) {
		fprintf(stderr, "fs_impair: IF_A and IF_B are both '%s'\n", cfg->if_a);
		return -EINVAL;
	}
	return 0;
}

static void imp_dir_init(struct imp_dir *d, const char *name, const char *rx_if, bool impaired)
{
	unsigned int i;

	d->name = name;
	d->rx_if = rx_if;
	d->impaired = impaired;
	d->n_free = IMP_HOLD_MAX;
	for (i = 0; i < IMP_HOLD_MAX; i++)
		d->free[i] = (uint8_t)(IMP_HOLD_MAX - 1 - i);
}

/* Opens both sockets and wires the two directions. */
static int imp_open(struct imp *imp)
{
	const struct imp_cfg *cfg = &imp->cfg;
	struct imp_dir *ab = &imp->dir[0], *ba = &imp->dir[1];
	int rc;

	imp_dir_init(ab, "ab", cfg->if_a, strcmp(cfg->dir, "ba") != 0);
	imp_dir_init(ba, "ba", cfg->if_b, strcmp(cfg->dir, "ab") != 0);
	rc = imp_socket_open(cfg->if_a, &ab->rx_ifindex, &ab->rx_fd);
	if (rc < 0)
		return rc;
	rc = imp_socket_open(cfg->if_b, &ba->rx_ifindex, &ba->rx_fd);
	if (rc < 0) {
		close(ab->rx_fd);
		return rc;
	}
	ab->tx_fd = ba->rx_fd;
	ba->tx_fd = ab->rx_fd;
	return 0;
}

int main(int argc, char **argv)
{
	static struct imp imp; /* 1.2 MB of hold slots: not on the stack */
	sigset_t wait_mask;
	int rc;

	rc = imp_parse_args(argc, argv, &imp.cfg);
	if (rc != 0) {
		if (rc > 0)
			usage(stdout);
		else
			fprintf(stderr,
				"fs_impair: usage: fs_impair [OPTIONS] IF_A IF_B (--help)\n");
		return rc > 0 ? 0 : 2;
	}
	imp.rng = imp.cfg.seed;
	imp_signals(&wait_mask);
	if (imp_open(&imp) < 0)
		return 2;
	printf("fs_impair: ready: %s <-> %s, dir %s, reorder %.4g%% depth %u max-hold %" PRIu64
	       " us, loss %.4g%%, dup %.4g%%, seed %" PRIu64 "\n",
	       imp.cfg.if_a, imp.cfg.if_b, imp.cfg.dir, imp.cfg.reorder_ppm / 1e4, imp.cfg.depth,
	       imp.cfg.max_hold_ns / 1000, imp.cfg.loss_ppm / 1e4, imp.cfg.dup_ppm / 1e4,
	       imp.cfg.seed);
	fflush(stdout);
	rc = imp_run(&imp, &wait_mask);
	imp_write_stats(&imp);
	imp_write_counters(&imp, stdout);
	close(imp.dir[0].rx_fd);
	close(imp.dir[1].rx_fd);
	return rc < 0 ? 1 : 0;
}
