/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_port.h — flowmgr's ports (struct fm_port in flowmgr.h).
 *
 * What: each port of the chain config is an EAL device whose arguments fm_main.c passed to the
 * EAL (--vdev for a vdev, -a for a PCI device: fm_config_eal_ports()); fm_ports_init() finds each
 * by name and sets it up:
 *   RX queues  the config's `rx_queues`, else (auto) every queue an af_packet/af_xdp vdev was
 *              created with (`qpairs`, `queue_count`: the kernel spreads packets over all of them,
 *              an unpolled one would lose its share), else one per worker, at most what the
 *              device has;
 *   TX queues  the config's `tx_queues` (at least one per worker), else one per worker: worker w
 *              transmits on queue w of every port;
 *   RSS        where the device hashes (flow_type_rss_offloads), over IP/TCP/UDP with the
 *              symmetric key FM_RSS_SYM_KEY (0x6d5a repeated: both directions of a connection
 *              hash alike, so they reach the same queue index on both ports), and the hash is
 *              delivered in the mbuf (RTE_ETH_RX_OFFLOAD_RSS_HASH) where it can be: the flow
 *              cache uses it (flowmgr/flow/fm_flow.h says why that is safe);
 *   checksums  RX IPv4/TCP/UDP checksum offload and the TX ones where the device has them;
 *   promiscuous where the PMD supports it (a bump-in-the-wire bridge).
 * The af_packet (PACKET_FANOUT hash) and af_xdp vdevs on multi-queue veths are the test stand-ins
 * for a multi-queue NIC: the kernel, not RSS, spreads the flows there.
 *
 * Workers per queue: RX queue q of port p is polled by worker fm_port_queue_worker(p, q, nq, N);
 * a port with one queue per worker has queue w on worker w, so a flow whose two directions hash
 * to the same queue index stays on one worker; a single-queue port p is polled by worker p % N
 * (both directions then on different workers: the bidir common record links them).
 *
 * Concurrency: main lcore only, before the workers are launched (init) and after they stopped
 * (close); struct fm_port and the workers' queue lists are read-only in between.
 */
#ifndef FM_PORT_H
#define FM_PORT_H

#include <stdint.h>

struct flowmgr;

/** The worker that polls RX queue q of port p (nq queues) among nw workers. */
static inline unsigned int fm_port_queue_worker(unsigned int p, unsigned int q, unsigned int nq,
						unsigned int nw)
{
	return (p * nq + q) % nw;
}

/**
 * Sets up and starts every config port, in config order (fm->ports[i] is config port i), and
 * gives every worker its RX queues (fm->wk[w].rxq). After the workers' lcores are picked.
 * @return 0, -ENODEV (a device was not probed: its devargs or interface), -ENOTSUP (fewer queues
 * than asked or than workers) or the driver's -errno; the reason is logged.
 */
int fm_ports_init(struct flowmgr *fm);
/** Stops and closes the ports fm_ports_init() started. */
void fm_ports_close(struct flowmgr *fm);

#endif /* FM_PORT_H */
