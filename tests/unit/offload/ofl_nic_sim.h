/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ofl_nic_sim.h — what an rte_flow NIC does with the offload rules, on raw frame bytes (test-only).
 *
 * Written from the rte_flow item semantics, not from fm_pkt: the eth item matches the outer
 * EtherType/TPID; a vlan item one 802.1Q tag (TCI, inner EtherType) right after it; ipv4/ipv6 the
 * header right after that (IPv4: fragment_offset under the rule's 0x3fff mask; IPv6: the fixed
 * header's next header); tcp/udp the header at the IPv4 IHL / right after the fixed IPv6 header,
 * present only when the frame holds it. Among the rules offloaded on a port, the NIC applies one
 * of the matching rules with the lowest priority value. The unit tests compare its verdicts with
 * the software tree's class for the same frames.
 */
#ifndef OFL_NIC_SIM_H
#define OFL_NIC_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fm_offload.h"

static inline uint16_t sim_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline bool sim_masked(const uint8_t *v, const uint8_t *spec, const uint8_t *mask, int n)
{
	for (int i = 0; i < n; i++)
		if ((v[i] & mask[i]) != (spec[i] & mask[i]))
			return false;
	return true;
}

static inline bool sim_match(const struct fm_ofl_pattern *p, const uint8_t *b, uint32_t len)
{
	uint32_t off = 14, l4;

	if (len < 14 || sim_be16(b + 12) != p->eth_type)
		return false;
	if (p->has_vlan) {
		if (len < 18 || ((sim_be16(b + 14) & p->vid_mask) != (p->vid & p->vid_mask)) ||
		    sim_be16(b + 16) != p->inner_type)
			return false;
		off = 18;
	}
	if (p->l3 == 4) {
		const uint8_t *ip = b + off;
		uint32_t ihl;
		if (len < off + 20 || (ip[0] >> 4) != 4 || (ip[0] & 0xf) < 5)
			return false;
		ihl = (ip[0] & 0xfu) * 4;
		if ((sim_be16(ip + 6) & 0x3fff) != 0 || (p->has_proto && ip[9] != p->proto) ||
		    !sim_masked(ip + 12, p->src, p->src_mask, 4) ||
		    !sim_masked(ip + 16, p->dst, p->dst_mask, 4))
			return false;
		l4 = off + ihl;
	} else if (p->l3 == 6) {
		const uint8_t *ip = b + off;
		if (len < off + 40 || (ip[0] >> 4) != 6 || (p->has_proto && ip[6] != p->proto) ||
		    !sim_masked(ip + 8, p->src, p->src_mask, 16) ||
		    !sim_masked(ip + 24, p->dst, p->dst_mask, 16))
			return false;
		l4 = off + 40;
	} else {
		return true;
	}
	if (p->l4) {
		if (len < l4 + (p->l4 == 6 ? 20u : 8u))
			return false;
		if ((sim_be16(b + l4) & p->sport_mask) != (p->sport & p->sport_mask) ||
		    (sim_be16(b + l4 + 2) & p->dport_mask) != (p->dport & p->dport_mask))
			return false;
	}
	return true;
}

/*
 * The rule the NIC applies on `port`, or -1 (no rule: the packet reaches the worker unmarked).
 * *tie is set when another matching rule of the same priority has another action or mark (the NIC
 * could apply either: a defect of the rule set).
 */
static inline int sim_nic(const struct fm_ofl_set *s, uint32_t port, const uint8_t *b, uint32_t len,
			  bool *tie)
{
	int best = -1;

	*tie = false;
	for (uint32_t i = 0; i < s->nb_rules; i++) {
		const struct fm_ofl_rule *r = &s->rules[i];
		if (fm_ofl_state(s, i, port)->state != FM_OFL_OFFLOADED ||
		    !sim_match(&r->pat, b, len))
			continue;
		if (best < 0 || r->priority < s->rules[best].priority) {
			best = (int)i;
			*tie = false;
		} else if (r->priority == s->rules[best].priority &&
			   (r->action != s->rules[best].action ||
			    (r->action == FM_OFL_MARK && r->group != s->rules[best].group))) {
			*tie = true;
		}
	}
	return best;
}

#endif /* OFL_NIC_SIM_H */
