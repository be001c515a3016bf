/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_shm.h — names and layouts of every object flowmgr shares with VNF processes.
 *
 * What: the one header both sides of the multi-process platform agree on. flowmgr (the DPDK
 * primary) creates every object named here; nfsdk (linked into each VNF, a DPDK secondary) looks
 * them up by name and refuses to run when the magic or the ABI version differ.
 *
 * Objects:
 *   FM_SHM_ZONE          memzone holding struct fm_shm (VNF table, path table, edge matrix).
 *   FM_SHM_MBUF_POOL     the one packet mempool.
 *   FM_SHM_RING_FMT      one single-producer/single-consumer rte_ring per edge of the ring graph,
 *                        named after its producer and consumer node ids. Node 0 is flowmgr,
 *                        node i (1..FM_SHM_MAX_VNFS) is the VNF with id i. A process that dies
 *                        mid-enqueue can only wedge its own rings.
 *   FM_MBUF_DYNFIELD     struct fm_mbuf_meta in every mbuf: which FCB/path the packet follows,
 *                        which hop it is at, and which process owns it.
 *
 * Paths: classification gives each packet a path id; the path is the ordered list of VNF ids the
 * packet visits before it leaves through its egress port. Every process resolves the next hop with
 * fm_hop_resolve() (fm_hop.h), which skips VNFs that are down under the bypass policy.
 *
 * Concurrency: one writer per field, stated per block below. Fields read by another process are
 * _Atomic and accessed with explicit memory orders; blocks written by different processes sit on
 * separate cache lines. No pointers cross processes: only ids and indices.
 *
 * Versioning: FM_SHM_ABI_VERSION names the whole shared ABI: this file and the layouts it
 * includes — the FCB zone (fm_fcb.h), the common-data table (fm_bidir_layout.h) and the
 * declaration values (fm_decl.h). Bump it on any change to a layout, value or name there; the
 * static_asserts at the end of this file pin what another process reads, so such a change does
 * not build until they are re-pinned (and the version bumped) with it.
 */
#ifndef FM_SHM_H
#define FM_SHM_H

#include <assert.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "fm_bidir_layout.h"
#include "fm_decl.h"
#include "fm_fcb.h"
#include "fm_hash.h"

#define FM_SHM_MAGIC	   0x53504c46u /* "FLPS" */
#define FM_SHM_ABI_VERSION 17u

#define FM_SHM_ZONE	 "fs_shm"
#define FM_SHM_MBUF_POOL "fs_mbuf"
#define FM_SHM_RING_FMT	 "fs_e%u_%u" /* producer node id, consumer node id */
#define FM_MBUF_DYNFIELD "flowsplice_meta"
#define FM_SHM_FCB_ZONE	 "fs_fcb"   /* FCB slots (fm_fcb.h layout) */
#define FM_SHM_EVENT_FMT "fs_ev%u"  /* flowmgr → VNF i: release events (FCB slot index) */
#define FM_SHM_ACK_FMT	 "fs_ack%u" /* VNF i → flowmgr: release done (FCB slot index) */
/* Worker w >= 1 of flowmgr (worker 0 uses the names above, as node 0): */
#define FM_SHM_WRING_FMT   "fs_w%u_%u"	  /* worker w → VNF i */
#define FM_SHM_WEVENT_FMT  "fs_ev%u_w%u"  /* VNF i's release events from worker w */
#define FM_SHM_WACK_FMT	   "fs_ack%u_w%u" /* VNF i's acks to worker w */
#define FM_SHM_MAX_WORKERS 4
#define FM_SHM_BIDIR_ZONE  "fs_bidir" /* common data of both directions (fm_bidir_layout.h) */

#define FM_SHM_MAX_VNFS	    32
#define FM_SHM_MAX_NODES    (FM_SHM_MAX_VNFS + 1) /* node 0 = flowmgr */
#define FM_SHM_MAX_PATHS    1024
#define FM_SHM_MAX_HOPS	    15
#define FM_SHM_MAX_PORTS    8
#define FM_SHM_NAME_MAX	    32
#define FM_SHM_TRANSIT_MAX  64	 /* largest burst a VNF enqueues at once */
#define FM_SHM_CMD_MAX	    256	 /* operator command to a VNF (nfctl cmd) */
#define FM_SHM_REPLY_MAX    2048 /* its reply */
#define FM_SHM_COMMON_SLICE 64u	 /* bytes of common data per VNF that declared bidir */

#define FM_NODE_FLOWMGR 0u
#define FM_IDX_NONE	UINT32_MAX

/* The first lcore id of VNF processes: VNF id i runs as lcore FM_VNF_LCORE_BASE + i, so that no two
 * processes share a mempool cache (DPDK-NOTES.md). flowmgr uses lcores below this base. */
#define FM_VNF_LCORE_BASE 64u

/* VNF states (written by flowmgr only). */
enum fm_vnf_state {
	FM_VNF_CONFIGURED = 0, /* in the chain, never attached */
	FM_VNF_RUNNING = 1,
	FM_VNF_DEAD = 2,
	FM_VNF_STALLED = 3,
	FM_VNF_QUARANTINED = 4, /* misbehaved through shared memory: stopped, its policy applies */
};

/* Path flags. */
#define FM_PATH_DROP	 (1u << 0) /* early drop: no VNF accepts this class */
#define FM_PATH_DROP_END (1u << 1) /* dropped after its VNFs (an explicit drop edge) */

/* Result of fm_hop_resolve(). */
#define FM_HOP_TO_OUTPUT 0u		    /* leave through meta->out_port */
#define FM_HOP_TO_DROP	 (FM_SHM_MAX_NODES) /* drop (policy or early drop) */

/*
 * Mbuf ownership stamp (fm_mbuf_meta.owner), so that flowmgr can find the mbufs a dead VNF held:
 *   node id              in the hands of that process (dequeued, being handled or staged);
 *   node id | QUEUED     in that node's input ring (set by the producer right before the
 *                        enqueue; the consumer clears the flag right after its dequeue);
 *   FM_OWNER_FREE        freed (every free path stamps it), or never classified.
 * A producer whose enqueue is partial stamps the leftovers back to itself.
 */
#define FM_OWNER_QUEUED	 0x80u
#define FM_OWNER_FREE	 0x7fu
#define FM_OWNER_NODE(o) ((o)&0x7fu)

/* Per-mbuf metadata (mbuf dynfield), written by whichever process owns the mbuf. */
struct fm_mbuf_meta {
	uint32_t fcb;	  /* FCB index, FM_IDX_NONE if none */
	uint16_t path;	  /* path id (index in fm_shm.paths) */
	uint8_t hop;	  /* index in the path of the hop the packet is at / going to */
	uint8_t owner;	  /* FM_OWNER_*: who holds the mbuf now */
	uint16_t in_port; /* ingress port id */
	uint16_t out_port;
	uint32_t rx_tsc; /* low 32 bits of the TSC at port RX (latency through the chain) */
};
static_assert(sizeof(struct fm_mbuf_meta) == 16, "fm_mbuf_meta is 16 bytes");
static_assert(FM_SHM_MAX_NODES < FM_OWNER_FREE, "node ids fit the owner stamp");

/*
 * Stream requests (nfsdk/stream.h → flowmgr's TCP context): a VNF hands flowmgr, on its ring to
 * flowmgr, an mbuf whose meta.out_port is FM_PORT_STREAM_REQ, meta.fcb FM_IDX_NONE, and whose data
 * is a struct fm_stream_req followed by a copy of the Ethernet/IP/TCP headers (IPv4 or IPv6; no
 * options needed, IP length = headers only) of the session's packet it is about. flowmgr checks
 * everything (magic, FCB slot, TCP state) and frees the request.
 *   FM_STREAM_REQ_ACK    pro-active ACK: the sender of session `fcb`'s direction is sent an ACK
 *                        up to input position `ack` (clamped to what flowmgr received); flowmgr
 *                        then retransmits the pre-ACKed bytes to the receiver itself.
 *   FM_STREAM_REQ_CLOSE  RST to both ends; the connection's later packets are dropped.
 */
#define FM_PORT_STREAM_REQ  0xfffeu
#define FM_STREAM_REQ_MAGIC 0x51525346u /* "FSRQ" */
enum { FM_STREAM_REQ_ACK = 1, FM_STREAM_REQ_CLOSE = 2 };
struct fm_stream_req {
	uint32_t magic;
	uint32_t op;		    /* FM_STREAM_REQ_* */
	uint32_t fcb;		    /* FCB slot of the session (one direction) */
	uint32_t ack;		    /* ACK: input position (the sender's sequence space) */
	uint16_t in_port, out_port; /* of the session's packet: towards its sender, its receiver */
	uint16_t hdr_len;	    /* bytes of headers that follow */
	uint16_t pad;
};
static_assert(sizeof(struct fm_stream_req) == 24, "fm_stream_req is 24 bytes");

/*
 * The TCP context's per-packet input position (mbuf dynfield FM_TCP_DYNFIELD, written by flowmgr
 * at ingress, read by nfsdk for pro-active ACKs): the packet's first payload byte and its payload
 * length when it entered the chain (before any VNF resized it), in the sender's sequence space.
 */
#define FM_TCP_DYNFIELD_NAME "flowsplice_tcp"
struct fm_tcp_in {
	uint32_t in_seq;
	uint16_t in_len;
	uint8_t flags;
	uint8_t fin;
};

struct fm_shm_path {
	uint8_t nb_hops;
	uint8_t flags;		       /* FM_PATH_* */
	uint8_t hops[FM_SHM_MAX_HOPS]; /* VNF node ids, in order */
};

/*
 * A VNF's counter registry (nfsdk nf_counters_register()): named uint64 counters the VNF
 * publishes so that flowmgr (nfctl stats) can show them without knowing the VNF.
 *
 * Writer: the VNF's process only. On attach it sets n = 0, then appends entries: it writes their
 * names and zeroes their values, then stores the new n (release). Values are single-writer relaxed
 * stores. Readers load n (acquire), then read names [0, n) and values (relaxed). A reader racing
 * with a restarted VNF's reset may see the previous process's entries once: counters are advisory.
 * Names are NUL-terminated, at most FM_SHM_COUNTER_NAME - 1 bytes ([a-z0-9_] by convention).
 */
#define FM_SHM_COUNTERS_MAX 192
#define FM_SHM_COUNTER_NAME 40

struct fm_shm_counters {
	alignas(64) _Atomic uint32_t n; /* entries [0, n) are valid */
	uint32_t pad[15];
	_Atomic uint64_t value[FM_SHM_COUNTERS_MAX];
	char name[FM_SHM_COUNTERS_MAX][FM_SHM_COUNTER_NAME];
};
static_assert(offsetof(struct fm_shm_counters, value) == 64, "values start on their own line");
static_assert(sizeof(struct fm_shm_counters) ==
		  64 + FM_SHM_COUNTERS_MAX * (8 + FM_SHM_COUNTER_NAME),
	      "fm_shm_counters has no hidden padding");
static_assert(sizeof(struct fm_shm_counters) % 64 == 0, "fm_shm_counters is whole cache lines");

/*
 * One VNF slot. Three cache-line blocks, each with a single writer.
 */
struct fm_shm_vnf {
	/* Written by flowmgr (control thread); read by every process. */
	alignas(64) char name[FM_SHM_NAME_MAX];
	_Atomic uint32_t state;	 /* enum fm_vnf_state */
	_Atomic uint32_t policy; /* enum fm_fail_policy (fm_decl.h) */
	_Atomic int32_t pid;
	_Atomic uint32_t generation; /* bumps on each registration */
	uint32_t restarts;
	uint32_t area_off;   /* this VNF's area in every FCB it sees (FM_IDX_NONE: none) */
	uint32_t area_size;  /* its scratchpad size */
	uint32_t isolation;  /* enum fm_isolation (fm_decl.h) */
	uint32_t common_off; /* its slice of each common-data record (FM_IDX_NONE: not bidir) */

	/* Written by the VNF process only. */
	alignas(64) _Atomic uint64_t rx_pkts;
	_Atomic uint64_t tx_pkts;
	_Atomic uint64_t drop_pkts;
	_Atomic uint64_t progress; /* bumps every loop iteration that did work or found none */

	/* Shared-core sleep (fm_stage.h, nfsdk): the VNF sets it to 1 before it sleeps on it
	 * (futex), a producer that finds it set clears it and wakes the VNF. */
	alignas(64) _Atomic uint32_t doorbell;

	/* Written by the VNF only: the burst it is enqueuing right now, so that flowmgr can free
	 * what a VNF killed in the middle of an enqueue had stamped but not published (fm_stage.h).
	 * Mbuf addresses are valid in every process (DPDK maps shared memory at one address). */
	alignas(64) _Atomic uint32_t transit_n; /* 0: no enqueue in progress */
	uint32_t transit_to;			/* consumer node id */
	uint32_t transit_head;			/* the ring's prod.tail before the enqueue */
	uint32_t transit_pad;
	uint64_t transit_pkts[FM_SHM_TRANSIT_MAX];

	/* Written by the flowmgr worker and by other VNFs' nfsdk when they resolve hops: atomic
	 * adds. */
	alignas(64) _Atomic uint64_t bypass_pkts; /* skipped while down (bypass) */
	_Atomic uint64_t policy_drop_pkts;	  /* dropped while down (drop policy) */
	_Atomic uint64_t lost_pkts;		  /* held by / queued to the VNF when it died */
	_Atomic uint64_t hold_drop_pkts;	  /* held for it while down, beyond the ring */
	_Atomic uint64_t stalls;		  /* times it was found stalled (flowmgr) */

	/* Operator command mailbox (nfctl cmd), both directions seqlocks (fm_mbox.h): flowmgr's
	 * control thread writes cmd_seq and cmd, and rings the doorbell; the VNF's nfsdk runs its
	 * on_command handler between bursts and writes cmd_ack, cmd_rc and cmd_reply. Command
	 * numbers come from flowmgr's own counter and are never reused. */
	alignas(64) _Atomic uint32_t cmd_seq;
	_Atomic uint32_t cmd_ack;
	int32_t cmd_rc; /* 0 done, negative errno */
	char cmd[FM_SHM_CMD_MAX];
	char cmd_reply[FM_SHM_REPLY_MAX];

	/* Capture (nfctl capture): flowmgr's control thread sets cap_flags (FM_CAP_IN, FM_CAP_OUT);
	 * the VNF's nfsdk reads them once per loop iteration and, while set, copies each packet it
	 * receives / emits into FM_SHM_CAP_POOL, stamped (struct fm_cap_hdr), onto FM_SHM_CAP_RING;
	 * copies the pool or ring could not take are counted in cap_dropped (by the VNF). */
	alignas(64) _Atomic uint32_t cap_flags;
	uint32_t cap_pad;
	_Atomic uint64_t cap_dropped;

	/* The VNF's registered counters (written by the VNF only, see above). */
	struct fm_shm_counters counters;
};

/* Capture copies (nfctl capture): what nfsdk writes in the private area of each copy. */
#define FM_SHM_CAP_POOL "fs_cap_pool"
#define FM_SHM_CAP_RING "fs_cap_ring"
#define FM_CAP_IN	1u /* packets the VNF receives */
#define FM_CAP_OUT	2u /* packets it emits (towards a VNF, flowmgr or a port) */
#define FM_CAP_MBUFS	4095u
struct fm_cap_hdr {
	uint64_t ts_ns;	   /* CLOCK_REALTIME when nfsdk copied it */
	uint32_t dir;	   /* FM_CAP_IN or FM_CAP_OUT */
	uint32_t vnf;	   /* the VNF's id */
	uint32_t orig_len; /* the packet's length (the copy may be shorter) */
	uint32_t pad;
};

struct fm_shm {
	alignas(64) uint32_t magic;
	uint32_t abi_version;
	uint32_t nb_vnfs; /* VNF ids 1..nb_vnfs are configured */
	uint32_t nb_paths;
	uint32_t nb_ports;
	uint32_t meta_offset; /* dynfield offset, for the secondaries' cross-check */
	int32_t flowmgr_pid;
	uint32_t ring_size;
	uint64_t fcb_stride;	 /* bytes per FCB slot in FM_SHM_FCB_ZONE */
	uint32_t fcb_slots;	 /* slots in the zone (all workers) */
	uint32_t fcb_per_worker; /* worker w owns slots [w * fcb_per_worker, (w + 1) * ...) */
	uint32_t nb_workers;
	/* Bumped (release) after flowmgr created the rings of a VNF spliced into the running chain
	 * (docs/architecture.md, Chain generations): a VNF then looks up the rings of edge[][] it
	 * does not have yet (nfsdk, between two bursts). */
	_Atomic uint32_t edge_gen;
	uint64_t bidir_of_off; /* FM_SHM_BIDIR_ZONE: offset of the per-slot record index array */
	/* Key of every hash flowmgr computes on traffic (fm_hash.h: tree hash nodes, flow cache,
	 * common-data table), drawn at random at each start before any table exists; a VNF that
	 * hashes a shared table uses this one. Never changes while flowmgr runs. */
	struct fm_hash_seed hash_seed;
	/* edge[p][c] != 0: ring FM_SHM_RING_FMT(p, c) exists. */
	uint8_t edge[FM_SHM_MAX_NODES][FM_SHM_MAX_NODES];
	struct fm_shm_vnf vnfs[FM_SHM_MAX_NODES]; /* index 0 unused (flowmgr) */
	struct fm_shm_path paths[FM_SHM_MAX_PATHS];
};

/*
 * Header of an isolated (indirect) VNF's scratchpad pool: a memfd created by flowmgr, mapped by
 * flowmgr and that VNF only, kept by flowmgr across the VNF's restarts (so per-session state
 * survives them). The VNF allocates and frees its slots (single writer); the FCB area of an
 * indirect VNF holds the slot index (FM_IDX_NONE until the VNF first needs it).
 *   [0, 64)                      this header
 *   [64, 64 + 4 * nb_slots)      free-list links
 *   [slots_off, ...)             nb_slots slots of slot_size bytes
 */
#define FM_POOL_MAGIC 0x4c4f4f50u /* "POOL" */
struct fm_shm_pool_hdr {
	uint32_t magic;
	uint32_t slot_size;
	uint32_t nb_slots;
	uint32_t free_head; /* FM_IDX_NONE: take the next never-used slot */
	uint32_t carved;    /* slots ever handed out (high-water mark) */
	uint32_t in_use;
	uint64_t slots_off;
	uint8_t pad[32];
};
static_assert(sizeof(struct fm_shm_pool_hdr) == 64, "pool header is one cache line");

static inline uint64_t fm_shm_pool_size(uint32_t slot_size, uint32_t nb_slots, uint64_t *slots_off)
{
	uint64_t off = (64 + 4ull * nb_slots + 63) & ~63ull;

	if (slots_off != NULL)
		*slots_off = off;
	return off + (uint64_t)slot_size * nb_slots;
}

static_assert(sizeof(struct fm_shm_vnf) % 64 == 0, "fm_shm_vnf is whole cache lines");
static_assert(alignof(struct fm_shm) == 64, "fm_shm is cache aligned");

/*
 * The layouts other processes read, pinned at ABI version 17. An assert that fails here means the
 * shared ABI changed: bump FM_SHM_ABI_VERSION, then re-pin.
 */
#define FM_SHM_PIN(cond, what) static_assert(cond, what " (FM_SHM_ABI_VERSION 17)")
FM_SHM_PIN(FM_SHM_ABI_VERSION == 17, "a new version: check the pins below, then update them");
FM_SHM_PIN(FM_POOL_NONE == FM_IDX_NONE && FM_BIDIR_NONE == FM_IDX_NONE, "one 'none' index");
/* FCB zone (fm_fcb.h): nfsdk reads area_off and decrements usage through a slot index. */
FM_SHM_PIN(sizeof(struct fm_pool_slot) == FM_POOL_SLOT_HDR && FM_POOL_SLOT_HDR == 32, "slot hdr");
FM_SHM_PIN(FM_FCB_MAX_HOPS == FM_SHM_MAX_VNFS + 1, "FCB hops");
FM_SHM_PIN(sizeof(struct fm_fcb) == 96, "FCB size");
FM_SHM_PIN(offsetof(struct fm_fcb, path_id) == FM_FCB_PRIV_SIZE && FM_FCB_PRIV_SIZE == 16, "FCB");
FM_SHM_PIN(offsetof(struct fm_fcb, area_off) == 20, "FCB area_off");
FM_SHM_PIN(offsetof(struct fm_fcb, hops) == 24, "FCB hops");
FM_SHM_PIN(offsetof(struct fm_fcb, usage) == 60 && offsetof(struct fm_fcb, released) == 64,
	   "FCB usage counts (owner, others)");
FM_SHM_PIN(offsetof(struct fm_fcb, pkts) == 80 && offsetof(struct fm_fcb, bytes) == 88,
	   "FCB session counters");
FM_SHM_PIN(offsetof(struct fm_fcb, key) == 96, "FCB key words");
/* Common-data table (fm_bidir_layout.h): nfsdk checks the magic and reads record data. */
FM_SHM_PIN(sizeof(struct fm_bidir_key) == 40, "bidir key");
FM_SHM_PIN(sizeof(struct fm_bidir_rec) <= FM_BIDIR_REC_HDR && FM_BIDIR_REC_HDR == 64, "record");
FM_SHM_PIN(sizeof(struct fm_bidir_bucket) == 8, "bidir bucket");
FM_SHM_PIN(sizeof(struct fm_bidir) == 192, "bidir header");
FM_SHM_PIN(offsetof(struct fm_bidir, hash_seed) == 40 && sizeof(struct fm_hash_seed) == 16,
	   "bidir seed");
FM_SHM_PIN(offsetof(struct fm_shm, hash_seed) == 64, "shm hash seed");
FM_SHM_PIN(offsetof(struct fm_bidir, nb_records) == 4 &&
	       offsetof(struct fm_bidir, rec_stride) == 16 &&
	       offsetof(struct fm_bidir, records_off) == 32,
	   "bidir header fields");
FM_SHM_PIN(FM_BIDIR_MAGIC == 0x52494442u, "bidir magic");
/* Declaration values (fm_decl.h). */
FM_SHM_PIN(FM_ISO_DIRECT == 0 && FM_ISO_INDIRECT == 1 && FM_ISO_INDEPENDENT == 2, "isolation");
FM_SHM_PIN(FM_FAIL_BYPASS == 0 && FM_FAIL_DROP == 1 && FM_FAIL_HOLD == 2, "failure policy");
/* Capture copies (nfctl capture). */
FM_SHM_PIN(sizeof(struct fm_cap_hdr) == 24 && FM_CAP_IN == 1 && FM_CAP_OUT == 2, "capture header");
FM_SHM_PIN(FM_DECL_EARLY_DROP == 1 && FM_DECL_IN_ORDER == 2 && FM_DECL_MAY_STALL == 4 &&
	       FM_DECL_RESIZE == 8 && FM_DECL_BIDIR == 16 && FM_DECL_REWRITE == 32,
	   "declaration flags");
/* This file: VNF states, the per-packet and per-request records. */
FM_SHM_PIN(FM_VNF_RUNNING == 1 && FM_VNF_STALLED == 3 && FM_VNF_QUARANTINED == 4, "VNF states");
FM_SHM_PIN(sizeof(struct fm_mbuf_meta) == 16 && sizeof(struct fm_stream_req) == 24, "records");
FM_SHM_PIN(sizeof(struct fm_shm_pool_hdr) == 64 && sizeof(struct fm_tcp_in) == 8, "pool, tcp");
#undef FM_SHM_PIN

#endif /* FM_SHM_H */
