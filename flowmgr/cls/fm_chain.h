/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_chain.h — the chain graph as the operator wrote it (pure data, no DPDK).
 *
 * What: the VNFs of a chain with their declarations (traffic class, session, scratchpad, timeout,
 * flags, isolation) and the graph that orders them. It is filled by the YAML chain config
 * (flowmgr/config/fm_config.c) and, at run time, updated from VNF registrations; the classifier
 * (fm_tree.h) synthesises one tree from it.
 *
 * Graph semantics ("context link", DESIGN.md): every node (the port input, or a VNF) has an
 * ordered list of edges. A packet leaving a node takes the FIRST edge whose `match` filter (empty:
 * always true) AND whose target's traffic class (for a VNF target) both accept the packet. An edge
 * may lead to a VNF, to FM_HOP_OUTPUT (transmit on the egress port) or to FM_HOP_DROP (explicit
 * drop). A packet that no edge accepts is dropped early (the paper's "DROP" FCBs). A VNF node with
 * no edges forwards to FM_HOP_OUTPUT.
 *
 * Concurrency: plain data, owned by the control thread; the datapath never reads it.
 */
#ifndef FM_CHAIN_H
#define FM_CHAIN_H

#include <stdint.h>

#include "fm_decl.h"

#define FM_MAX_VNFS    32
#define FM_MAX_EDGES   16
#define FM_NAME_MAX    32
#define FM_FILTER_MAX  256
#define FM_SESSION_MAX 128

/* Edge targets other than a VNF index (>= 0). */
#define FM_HOP_OUTPUT (-1)
#define FM_HOP_DROP   (-2)

/* Declaration flags (FM_DECL_*), isolation and failure policy: common/fm_decl.h (they cross the
 * process boundary: VNFs declare them, flowmgr publishes them in shared memory). */

struct fm_decl {
	char name[FM_NAME_MAX];
	char traffic_class[FM_FILTER_MAX]; /* filter language; "" = every packet */
	char session[FM_SESSION_MAX];	   /* "5tuple", "4tuple", "ippair", "srcip", "dstip",
					      a comma list of fields, or "" (stateless) */
	uint32_t scratchpad;		   /* bytes per session */
	uint32_t timeout_ms;		   /* idle timeout */
	uint32_t flags;			   /* FM_DECL_* */
	enum fm_isolation isolation;
	enum fm_fail_policy policy;
};

struct fm_edge {
	char match[FM_FILTER_MAX]; /* extra filter on this edge; "" = none */
	int to;			   /* VNF index, FM_HOP_OUTPUT or FM_HOP_DROP */
};

struct fm_chain_node {
	int nb_edges;
	struct fm_edge edges[FM_MAX_EDGES];
};

struct fm_chain {
	char name[64];
	int nb_vnfs;
	struct fm_decl vnfs[FM_MAX_VNFS];
	struct fm_chain_node input;		 /* edges out of the ports */
	struct fm_chain_node nodes[FM_MAX_VNFS]; /* edges out of each VNF */
};

#endif /* FM_CHAIN_H */
