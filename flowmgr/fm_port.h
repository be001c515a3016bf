/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_port.h — flowmgr's ports (struct fm_port in flowmgr.h).
 *
 * What: each port of the chain config is a DPDK vdev whose devargs fm_main.c passed to the EAL
 * (--vdev); fm_ports_init() finds each by name, gives it one RX queue and one TX queue per worker
 * (worker w transmits on queue w; the port with index p is polled by worker p % nb_workers) and
 * starts it in promiscuous mode where the PMD supports it (a bump-in-the-wire bridge).
 *
 * Concurrency: main lcore only, before the workers are launched (init) and after they stopped
 * (close); struct fm_port is read-only in between.
 */
#ifndef FM_PORT_H
#define FM_PORT_H

struct flowmgr;

/**
 * Sets up and starts every config port, in config order (fm->ports[i] is config port i).
 * @return 0, -ENODEV (a device was not probed: its devargs or interface), -ENOTSUP (fewer TX
 * queues than workers) or the driver's -errno; the reason is logged.
 */
int fm_ports_init(struct flowmgr *fm);
/** Stops and closes the ports fm_ports_init() started. */
void fm_ports_close(struct flowmgr *fm);

#endif /* FM_PORT_H */
