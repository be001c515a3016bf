/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_port.c — flowmgr's ports; their contract is in fm_port.h.
 */
#include <errno.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_log.h>

#include "fm_port.h"

#include "flowmgr.h"

#define FM_RX_DESC 1024
#define FM_TX_DESC 1024

static int port_setup(struct flowmgr *fm, uint16_t pid)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(pid, &info);
	if (rc < 0)
		return rc;
	if (info.max_tx_queues < fm->nb_workers) {
		RTE_LOG(ERR, USER1, "port %u: %u TX queues, %u workers need one each\n", pid,
			info.max_tx_queues, fm->nb_workers);
		return -ENOTSUP;
	}
	rc = rte_eth_dev_configure(pid, 1, (uint16_t)fm->nb_workers, &conf);
	if (rc < 0)
		return rc;
	rc = rte_eth_rx_queue_setup(pid, 0, FM_RX_DESC, rte_eth_dev_socket_id(pid), NULL, fm->pool);
	if (rc < 0)
		return rc;
	for (uint16_t q = 0; q < fm->nb_workers; q++) {
		rc = rte_eth_tx_queue_setup(pid, q, FM_TX_DESC, rte_eth_dev_socket_id(pid), NULL);
		if (rc < 0)
			return rc;
	}
	rc = rte_eth_dev_start(pid);
	if (rc < 0)
		return rc;
	/* Not every PMD supports it (pcap, ring); a bridge still works on those. */
	rte_eth_promiscuous_enable(pid);
	return 0;
}

int fm_ports_init(struct flowmgr *fm)
{
	for (int i = 0; i < fm->cfg->nb_ports; i++) {
		const char *dev = fm->cfg->ports[i].dev;
		char name[RTE_ETH_NAME_MAX_LEN];
		size_t n = strcspn(dev, ",");
		uint16_t pid;
		int rc;

		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, dev, n);
		name[n] = '\0';
		if (rte_eth_dev_get_port_by_name(name, &pid) != 0) {
			RTE_LOG(ERR, USER1,
				"port %s: device %s was not probed (check its devargs \"%s\" and "
				"that the interface exists)\n",
				fm->cfg->ports[i].name, name, dev);
			return -ENODEV;
		}
		rc = port_setup(fm, pid);
		if (rc < 0) {
			RTE_LOG(ERR, USER1, "port %s (%s): setup failed: %s\n",
				fm->cfg->ports[i].name, name, strerror(-rc));
			return rc;
		}
		fm->ports[i].port_id = pid;
		fm->ports[i].reverse = fm->cfg->ports[i].reverse;
		snprintf(fm->ports[i].name, sizeof(fm->ports[i].name), "%s",
			 fm->cfg->ports[i].name);
		fm->nb_ports++;
	}
	fm->shm->nb_ports = fm->nb_ports;
	return 0;
}

void fm_ports_close(struct flowmgr *fm)
{
	for (uint16_t i = 0; i < fm->nb_ports; i++) {
		rte_eth_dev_stop(fm->ports[i].port_id);
		rte_eth_dev_close(fm->ports[i].port_id);
	}
	fm->nb_ports = 0;
}
