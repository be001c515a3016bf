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

#define FM_MAX_VNFS    32
#define FM_MAX_EDGES   16
#define FM_NAME_MAX    32
#define FM_FILTER_MAX  256
#define FM_SESSION_MAX 128

/* Edge targets other than a VNF index (>= 0). */
#define FM_HOP_OUTPUT (-1)
#define FM_HOP_DROP   (-2)

/* Declaration flags (mirrored by NF_FLAG_* in nfsdk/include/nfsdk/nf.h). */
#define FM_DECL_EARLY_DROP (1u << 0) /* may drop early: its drops may be done by flowmgr */
#define FM_DECL_IN_ORDER   (1u << 1) /* needs in-order TCP stream */
#define FM_DECL_MAY_STALL  (1u << 2) /* may hold data (pro-active ACK) */
#define FM_DECL_RESIZE	   (1u << 3) /* may change the stream size */
#define FM_DECL_BIDIR	   (1u << 4) /* sees both directions of a session */
#define FM_DECL_REWRITE                                                                            \
	(1u << 5) /* rewrites addresses/ports: link the reply by its egress tuple                  \
		   */

/* independent: the VNF classifies on its own (nfsdk's own flow table; benchmark baseline) */
enum fm_isolation { FM_ISO_DIRECT = 0, FM_ISO_INDIRECT = 1, FM_ISO_INDEPENDENT = 2 };
enum fm_fail_policy { FM_FAIL_BYPASS = 0, FM_FAIL_DROP = 1, FM_FAIL_HOLD = 2 };

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
