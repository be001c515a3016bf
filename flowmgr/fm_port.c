/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_port.c — flowmgr's ports; their contract is in fm_port.h.
 */
#include <errno.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_log.h>

#include "fm_port.h"

#include "fm_cksum.h"

#include "flowmgr.h"

#define FM_RX_DESC 1024
#define FM_TX_DESC 1024

/* RSS over these where the device can (anything else it hashes is left out) */
#define FM_RSS_HF      (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP)
#define FM_RSS_KEY_MAX 128 /* 40 bytes on most NICs, 52 on i40e/ice */

/*
 * The symmetric Toeplitz key (Woo & Park, "Scalable TCP Session Monitoring with Symmetric
 * Receive-side Scaling"): 0x6d5a repeated gives hash(src, dst) == hash(dst, src), so both
 * directions of a connection land on the same queue index. It is public: the flow cache's use of
 * the hash it yields is safe only because the cache is direct-mapped and verified (fm_flow.h).
 */
static void rss_sym_key(uint8_t *key, size_t len)
{
	for (size_t i = 0; i < len; i++)
		key[i] = (i & 1) ? 0x5a : 0x6d;
}

/* A vdev whose RX queues exist from its creation and all receive (kernel fanout / channels). */
static bool queues_fixed(const char *name)
{
	return strncmp(name, "net_af_packet", 13) == 0 || strncmp(name, "eth_af_packet", 13) == 0 ||
	       strncmp(name, "net_af_xdp", 10) == 0;
}

/* How many RX and TX queues port `i` gets (fm_port.h); -ENOTSUP with the reason logged. */
static int queue_counts(const struct flowmgr *fm, int i, const char *name,
			const struct rte_eth_dev_info *info, uint16_t *nrx, uint16_t *ntx)
{
	const struct fm_port_cfg *pc = &fm->cfg->ports[i];
	unsigned int rx, tx;

	if (pc->rx_queues != 0)
		rx = pc->rx_queues;
	else if (queues_fixed(name))
		rx = RTE_MIN(info->max_rx_queues, (uint16_t)FM_MAX_QUEUES);
	else
		rx = RTE_MIN(info->max_rx_queues, (uint16_t)fm->nb_workers);
	tx = pc->tx_queues != 0 ? pc->tx_queues : fm->nb_workers;
	if (rx == 0 || rx > info->max_rx_queues) {
		RTE_LOG(ERR, USER1, "port %s: rx_queues %u, the device has %u\n", pc->name, rx,
			info->max_rx_queues);
		return -ENOTSUP;
	}
	if (tx < fm->nb_workers || tx > info->max_tx_queues) {
		RTE_LOG(ERR, USER1,
			"port %s: %u TX queues asked, the device has %u and %u workers need one "
			"each (af_packet: qpairs, pcap: tx_pcap given once per worker)\n",
			pc->name, tx, info->max_tx_queues, fm->nb_workers);
		return -ENOTSUP;
	}
	if (queues_fixed(name) && rx < info->max_rx_queues)
		RTE_LOG(WARNING, USER1,
			"port %s: %u RX queues polled of the %u the device has: the kernel hashes "
			"flows to all of them, the others' share is lost\n",
			pc->name, rx, info->max_rx_queues);
	if (rx % fm->nb_workers != 0 && rx > 1)
		RTE_LOG(WARNING, USER1,
			"port %s: %u RX queues over %u workers: the workers carry unequal shares\n",
			pc->name, rx, fm->nb_workers);
	*nrx = (uint16_t)rx;
	*ntx = (uint16_t)tx;
	return 0;
}

static int port_setup(struct flowmgr *fm, int i, const char *name, uint16_t pid)
{
	struct fm_port *port = &fm->ports[i];
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint8_t key[FM_RSS_KEY_MAX];
	int socket = rte_eth_dev_socket_id(pid);
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(pid, &info);
	if (rc < 0)
		return rc;
	rc = queue_counts(fm, i, name, &info, &port->nb_rxq, &port->nb_txq);
	if (rc < 0)
		return rc;
	if ((info.flow_type_rss_offloads & FM_RSS_HF) != 0) {
		/* the key length must be the device's (ethdev checks it); 40 when it says none */
		uint8_t klen = info.hash_key_size > 0 && info.hash_key_size <= FM_RSS_KEY_MAX
				   ? info.hash_key_size
				   : 40;

		rss_sym_key(key, klen);
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = key;
		conf.rx_adv_conf.rss_conf.rss_key_len = klen;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads & FM_RSS_HF;
		conf.rxmode.offloads |= info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_RSS_HASH;
		port->rss = true;
	}
	{ /* checksum offloads the device has (fm_cksum.h: software does the rest at TX) */
		uint64_t rx, tx;

		fm_cksum_port_offloads(info.rx_offload_capa, info.tx_offload_capa, &rx, &tx);
		conf.rxmode.offloads |= rx;
		conf.txmode.offloads |= tx;
	}
	rc = rte_eth_dev_configure(pid, port->nb_rxq, port->nb_txq, &conf);
	if (rc < 0 && port->rss) { /* a key or hash set the driver refuses: no RSS then */
		RTE_LOG(WARNING, USER1, "port %s: RSS with the symmetric key refused (%s)%s\n",
			fm->cfg->ports[i].name, strerror(-rc),
			port->nb_rxq > 1 ? ", falling back to one RX queue" : "");
		memset(&conf.rx_adv_conf, 0, sizeof(conf.rx_adv_conf));
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
		conf.rxmode.offloads &= ~(uint64_t)RTE_ETH_RX_OFFLOAD_RSS_HASH;
		port->rss = false;
		if (!queues_fixed(name))
			port->nb_rxq = 1;
		rc = rte_eth_dev_configure(pid, port->nb_rxq, port->nb_txq, &conf);
	}
	if (rc < 0)
		return rc;
	/* af_packet's PACKET_FANOUT_HASH is the kernel's flow hash, symmetric (fm_port.h); af_xdp
	 * gets what the kernel's queue selection gives it, not known to be; `rx_symmetric: true`:
	 * the operator vouches for the split (e.g. net_pcap captures split by a symmetric hash) */
	port->sym_rxq = port->nb_rxq == 1 || (port->rss && !queues_fixed(name)) ||
			fm->cfg->ports[i].rx_symmetric || strncmp(name, "net_af_packet", 13) == 0 ||
			strncmp(name, "eth_af_packet", 13) == 0;
	port->rx_offloads = conf.rxmode.offloads;
	port->tx_offloads = conf.txmode.offloads;
	for (uint16_t q = 0; q < port->nb_rxq; q++) {
		rc = rte_eth_rx_queue_setup(pid, q, FM_RX_DESC, socket, NULL, fm->pool);
		if (rc < 0)
			return rc;
	}
	for (uint16_t q = 0; q < port->nb_txq; q++) {
		rc = rte_eth_tx_queue_setup(pid, q, FM_TX_DESC, socket, NULL);
		if (rc < 0)
			return rc;
	}
	rc = rte_eth_dev_start(pid);
	if (rc < 0)
		return rc;
	/* Not every PMD supports it (pcap, ring); a bridge still works on those. */
	rte_eth_promiscuous_enable(pid);
	RTE_LOG(NOTICE, USER1,
		"port %s (%s, %s): %u RX / %u TX queues, RSS %s, checksum offload rx %s tx %s\n",
		fm->cfg->ports[i].name, name, port->pci ? "PCI" : "vdev", port->nb_rxq,
		port->nb_txq, port->rss ? "symmetric" : "off",
		(port->rx_offloads & FM_RX_CKSUM) ? "on" : "off",
		(port->tx_offloads & FM_TX_CKSUM) ? "on" : "off");
	return 0;
}

/* Every RX queue of every port to its worker (fm_port_queue_worker()). */
static void assign_queues(struct flowmgr *fm)
{
	for (unsigned int w = 0; w < fm->nb_workers; w++)
		fm->wk[w].nb_rxq = 0;
	for (uint16_t p = 0; p < fm->nb_ports; p++)
		for (uint16_t q = 0; q < fm->ports[p].nb_rxq; q++) {
			struct fm_wctx *wk = &fm->wk[fm_port_queue_worker(p, q, fm->ports[p].nb_rxq,
									  fm->nb_workers)];

			wk->rxq[wk->nb_rxq].port = p;
			wk->rxq[wk->nb_rxq].queue = q;
			wk->nb_rxq++;
		}
}

int fm_ports_init(struct flowmgr *fm)
{
	for (int i = 0; i < fm->cfg->nb_ports; i++) {
		const char *dev = fm->cfg->ports[i].dev;
		char name[RTE_ETH_NAME_MAX_LEN];
		bool pci = fm_config_dev_name(dev, name, sizeof(name));
		uint16_t pid;
		int rc;

		if (rte_eth_dev_get_port_by_name(name, &pid) != 0) {
			RTE_LOG(ERR, USER1,
				"port %s: device %s was not probed (check its devargs \"%s\" and "
				"that the %s exists)\n",
				fm->cfg->ports[i].name, name, dev,
				pci ? "PCI device is bound to a DPDK driver (vfio-pci)"
				    : "interface");
			return -ENODEV;
		}
		memset(&fm->ports[i], 0, sizeof(fm->ports[i]));
		fm->ports[i].pci = pci;
		rc = port_setup(fm, i, name, pid);
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
	assign_queues(fm);
	for (unsigned int w = 0; w < fm->nb_workers; w++)
		if (fm->wk[w].nb_rxq == 0)
			RTE_LOG(WARNING, USER1,
				"flowmgr: worker %u polls no RX queue (give the ports more "
				"queues: rx_queues, af_packet qpairs, af_xdp queue_count)\n",
				w);
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
