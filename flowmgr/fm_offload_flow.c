/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_offload_flow.c — rte_flow_validate/create of the offload rules (contract in
 * fm_offload_flow.h; the translation itself is EAL-free in flowmgr/offload).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_log.h>

#include "fm_offload_flow.h"

#include "flowmgr.h"
#include "fm_offload.h"

struct ofl_items {
	struct rte_flow_item item[6];
	struct rte_flow_item_eth eth[2];
	struct rte_flow_item_vlan vlan[2];
	struct rte_flow_item_ipv4 ip4[2];
	struct rte_flow_item_ipv6 ip6[2];
	struct rte_flow_item_tcp tcp[2];
	struct rte_flow_item_udp udp[2];
	struct rte_flow_action act[4];
	struct rte_flow_action_mark mark;
	struct rte_flow_action_queue queue;
	struct rte_flow_action_rss rss;
	uint16_t queues[RTE_MAX_QUEUES_PER_PORT];
};

static void item(struct ofl_items *x, int *n, enum rte_flow_item_type type, const void *spec,
		 const void *mask)
{
	x->item[*n] = (struct rte_flow_item){.type = type, .spec = spec, .mask = mask};
	(*n)++;
}

static void l3_items(struct ofl_items *x, int *n, const struct fm_ofl_pattern *p)
{
	if (p->l3 == 4) {
		memcpy(&x->ip4[0].hdr.src_addr, p->src, 4);
		memcpy(&x->ip4[1].hdr.src_addr, p->src_mask, 4);
		memcpy(&x->ip4[0].hdr.dst_addr, p->dst, 4);
		memcpy(&x->ip4[1].hdr.dst_addr, p->dst_mask, 4);
		x->ip4[0].hdr.next_proto_id = p->proto;
		x->ip4[1].hdr.next_proto_id = p->has_proto ? 0xff : 0;
		x->ip4[1].hdr.fragment_offset = RTE_BE16(0x3fff); /* not a fragment */
		item(x, n, RTE_FLOW_ITEM_TYPE_IPV4, &x->ip4[0], &x->ip4[1]);
	} else if (p->l3 == 6) {
		memcpy(x->ip6[0].hdr.src_addr, p->src, 16);
		memcpy(x->ip6[1].hdr.src_addr, p->src_mask, 16);
		memcpy(x->ip6[0].hdr.dst_addr, p->dst, 16);
		memcpy(x->ip6[1].hdr.dst_addr, p->dst_mask, 16);
		x->ip6[0].hdr.proto = p->proto;
		x->ip6[1].hdr.proto = p->has_proto ? 0xff : 0;
		item(x, n, RTE_FLOW_ITEM_TYPE_IPV6, &x->ip6[0], &x->ip6[1]);
	}
	if (p->l4 == 6) {
		x->tcp[0].hdr.src_port = rte_cpu_to_be_16(p->sport);
		x->tcp[1].hdr.src_port = rte_cpu_to_be_16(p->sport_mask);
		x->tcp[0].hdr.dst_port = rte_cpu_to_be_16(p->dport);
		x->tcp[1].hdr.dst_port = rte_cpu_to_be_16(p->dport_mask);
		item(x, n, RTE_FLOW_ITEM_TYPE_TCP, &x->tcp[0], &x->tcp[1]);
	} else if (p->l4 == 17) {
		x->udp[0].hdr.src_port = rte_cpu_to_be_16(p->sport);
		x->udp[1].hdr.src_port = rte_cpu_to_be_16(p->sport_mask);
		x->udp[0].hdr.dst_port = rte_cpu_to_be_16(p->dport);
		x->udp[1].hdr.dst_port = rte_cpu_to_be_16(p->dport_mask);
		item(x, n, RTE_FLOW_ITEM_TYPE_UDP, &x->udp[0], &x->udp[1]);
	}
}

/* The rule's items and actions (same meaning as fm_ofl_format_rule()'s testpmd text). */
static void ofl_items_fill(struct ofl_items *x, const struct fm_ofl_rule *r, uint16_t nb_rxq)
{
	const struct fm_ofl_pattern *p = &r->pat;
	int n = 0, a = 0;

	memset(x, 0, sizeof(*x));
	x->eth[0].hdr.ether_type = rte_cpu_to_be_16(p->eth_type);
	x->eth[1].hdr.ether_type = RTE_BE16(0xffff);
	item(x, &n, RTE_FLOW_ITEM_TYPE_ETH, &x->eth[0], &x->eth[1]);
	if (p->has_vlan) {
		x->vlan[0].hdr.vlan_tci = rte_cpu_to_be_16(p->vid);
		x->vlan[1].hdr.vlan_tci = rte_cpu_to_be_16(p->vid_mask);
		x->vlan[0].hdr.eth_proto = rte_cpu_to_be_16(p->inner_type);
		x->vlan[1].hdr.eth_proto = RTE_BE16(0xffff);
		item(x, &n, RTE_FLOW_ITEM_TYPE_VLAN, &x->vlan[0], &x->vlan[1]);
	}
	l3_items(x, &n, p);
	item(x, &n, RTE_FLOW_ITEM_TYPE_END, NULL, NULL);
	if (r->action == FM_OFL_DROP) {
		x->act[a++].type = RTE_FLOW_ACTION_TYPE_DROP;
	} else {
		x->mark.id = r->group;
		x->act[a++] = (struct rte_flow_action){RTE_FLOW_ACTION_TYPE_MARK, &x->mark};
		if (nb_rxq <= 1) {
			x->queue.index = 0;
			x->act[a++] =
			    (struct rte_flow_action){RTE_FLOW_ACTION_TYPE_QUEUE, &x->queue};
		} else {
			for (uint16_t q = 0; q < nb_rxq && q < RTE_MAX_QUEUES_PER_PORT; q++)
				x->queues[q] = q;
			x->rss.queue_num = nb_rxq;
			x->rss.queue = x->queues;
			x->act[a++] = (struct rte_flow_action){RTE_FLOW_ACTION_TYPE_RSS, &x->rss};
		}
	}
	x->act[a].type = RTE_FLOW_ACTION_TYPE_END;
}

struct ofl_ctx {
	struct flowmgr *fm;
	struct rte_flow **flows; /* [rule * FM_OFL_MAX_PORTS + port] */
};

static struct ofl_ctx g_ofl;

static int ofl_try(void *arg, const struct fm_ofl_rule *r, uint32_t port, int *err, char *msg,
		   size_t msglen)
{
	struct ofl_ctx *c = arg;
	struct fm_ofl_set *s = c->fm->ofl;
	uint16_t pid = c->fm->ports[port].port_id;
	const struct rte_flow_attr attr = {.priority = r->priority, .ingress = 1};
	struct ofl_items *x = malloc(sizeof(*x));
	struct rte_flow_error fe;
	struct rte_flow *flow;
	int rc;

	if (x == NULL) {
		*err = -ENOMEM;
		snprintf(msg, msglen, "out of memory");
		return FM_OFL_R_refused;
	}
	ofl_items_fill(x, r, s->port_rxq[port]);
	memset(&fe, 0, sizeof(fe)); /* some PMDs leave the message NULL */
	rc = rte_flow_validate(pid, &attr, x->item, x->act, &fe);
	if (rc < 0) {
		*err = rc;
		snprintf(msg, msglen, "%s", fe.message ? fe.message : strerror(-rc));
		free(x);
		return (rc == -ENOSYS || rc == -ENOTSUP) ? FM_OFL_R_unsupported : FM_OFL_R_refused;
	}
	memset(&fe, 0, sizeof(fe));
	flow = rte_flow_create(pid, &attr, x->item, x->act, &fe);
	free(x);
	if (flow == NULL) {
		*err = -rte_errno;
		snprintf(msg, msglen, "%s", fe.message ? fe.message : rte_strerror(rte_errno));
		return FM_OFL_R_create_failed;
	}
	c->flows[(size_t)r->id * FM_OFL_MAX_PORTS + port] = flow;
	return 0;
}

int fm_offload_flow_init(struct flowmgr *fm)
{
	char err[256];
	int rc;

	rc = fm_ofl_build(fm->tree, &fm->ofl, err, sizeof(err));
	if (rc < 0) {
		RTE_LOG(ERR, USER1, "flowmgr: %s\n", err);
		return rc;
	}
	g_ofl.fm = fm;
	g_ofl.flows = calloc((fm->ofl->nb_rules ? fm->ofl->nb_rules : 1) * (size_t)FM_OFL_MAX_PORTS,
			     sizeof(*g_ofl.flows));
	if (g_ofl.flows == NULL) {
		fm_ofl_destroy(fm->ofl);
		fm->ofl = NULL;
		return -ENOMEM;
	}
	for (uint16_t i = 0; i < fm->nb_ports && i < FM_OFL_MAX_PORTS; i++) {
		struct rte_eth_dev_info info;
		uint16_t rxq = 1;
		uint32_t on;

		if (rte_eth_dev_info_get(fm->ports[i].port_id, &info) == 0 && info.nb_rx_queues)
			rxq = info.nb_rx_queues;
		fm_ofl_port_add(fm->ofl, fm->ports[i].name, rxq);
		on = fm_ofl_place(fm->ofl, i, fm->offload_off ? NULL : ofl_try, &g_ofl);
		RTE_LOG(NOTICE, USER1,
			"flowmgr: port %s: %u of %u offload rules on the NIC, %u in software "
			"(nfctl offload)\n",
			fm->ports[i].name, on, fm->ofl->nb_rules, fm->ofl->nb_rules - on);
	}
	return 0;
}

void fm_offload_flow_uninit(struct flowmgr *fm)
{
	struct rte_flow_error fe;

	if (fm->ofl == NULL)
		return;
	for (uint32_t r = 0; g_ofl.flows && r < fm->ofl->nb_rules; r++)
		for (uint32_t p = 0; p < fm->ofl->nb_ports; p++) {
			struct rte_flow **f = &g_ofl.flows[(size_t)r * FM_OFL_MAX_PORTS + p];
			if (*f == NULL)
				continue;
			memset(&fe, 0, sizeof(fe));
			rte_flow_destroy(fm->ports[p].port_id, *f, &fe);
			*f = NULL;
		}
	free(g_ofl.flows);
	g_ofl.flows = NULL;
	fm_ofl_destroy(fm->ofl);
	fm->ofl = NULL;
}

char *fm_offload_flow_text(struct flowmgr *fm)
{
	if (fm->ofl == NULL)
		return strdup("offload: not set up\n");
	return fm_ofl_format_state(fm->ofl, fm->tree);
}
