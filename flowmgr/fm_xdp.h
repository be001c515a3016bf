/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_xdp.h — flowmgr's XDP program on af_xdp ports (libbpf): loading, map filling, ownership,
 * counters. docs/offload.md "XDP".
 *
 * How the program gets there: for a port with `xdp: offload`, flowmgr adds `xdp_prog=OBJ` to the
 * port's af_xdp devargs (fm_xdp_devargs(); OBJ = fm_xdp.bpf.o beside the flowmgr binary, or
 * $FS_XDP_OBJ). DPDK 22.11's PMD loads that object, attaches it to the interface (netlink, flag
 * UPDATE_IF_NOEXIST) and inserts its AF_XDP socket into the object's `xsks_map`. Once the port
 * started, fm_xdp_init() finds the program on the interface (its id, then its maps by name),
 * fills the rule table from the static tree (fm_xdp_table.h), the egress devmap (two af_xdp ports:
 * the other one) and the rule count, then replaces the netlink attachment by a bpf_link owned by
 * flowmgr: the kernel removes the program when the link's last fd closes, i.e. when flowmgr stops
 * or dies (SIGKILL included). Between the detach and the link (microseconds, at start, before
 * the ports are opened to traffic) frames go to the kernel stack.
 *
 * Concurrency: control path (init/uninit on the main lcore; counters read by the control thread
 * with bpf syscalls — never the workers). The worker reads the metadata the program wrote
 * (fm_xdp_meta_group()).
 */
#ifndef FM_XDP_H
#define FM_XDP_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "fm_xdp_prog.h"

struct flowmgr;
struct fm_config;

/** Rewrite the EAL's --vdev arguments of `xdp: offload` ports (argv[from..argc)): append
 * xdp_prog=OBJ. @return 0 or -ENOENT (no object; message printed). */
int fm_xdp_devargs(const struct fm_config *cfg, char **argv, int from, int argc);

/** After the ports started and the offload rules were built (fm->ofl). @return 0 or -errno. */
int fm_xdp_init(struct flowmgr *fm);
/** Close the links (the kernel detaches the programs) and the map fds. */
void fm_xdp_uninit(struct flowmgr *fm);

/** The program's counters summed over ports and CPUs. @return 0, or -ENODEV without XDP. */
int fm_xdp_counters(const struct flowmgr *fm, uint64_t out[FM_XDP_CNT_COUNT]);
extern const char *const fm_xdp_cnt_names[FM_XDP_CNT_COUNT];

/** The XDP part of `nfctl offload` (malloc'd, or NULL when no port has XDP). */
char *fm_xdp_text(const struct flowmgr *fm);

/**
 * The metadata the program wrote before frame m (received on an `xdp: offload` port): the group,
 * FM_XDP_NO_GROUP (no rule matched), or UINT32_MAX - 1 (no metadata: not ours). Clears the magic so
 * a later frame in the same buffer cannot reuse it. Datapath: two loads and a store.
 */
#define FM_XDP_META_ABSENT (UINT32_MAX - 1)
static inline uint32_t fm_xdp_meta_group(struct rte_mbuf *m)
{
	struct fm_xdp_meta *md;

	if (rte_pktmbuf_headroom(m) < sizeof(*md))
		return FM_XDP_META_ABSENT;
	md = (struct fm_xdp_meta *)(rte_pktmbuf_mtod(m, uint8_t *) - sizeof(*md));
	if (md->magic != FM_XDP_META_MAGIC)
		return FM_XDP_META_ABSENT;
	md->magic = 0;
	return md->group;
}

#endif /* FM_XDP_H */
