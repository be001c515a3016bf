/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_config.h — the YAML chain config file (pure C, libyaml, no DPDK).
 *
 * What: reads the operator's chain file into a struct fm_config: the platform settings (control
 * socket, mbuf pool size, per-edge ring size, ports and their mode) and the chain itself (struct
 * fm_chain, fm_chain.h: VNF declarations plus the graph of ordered first-match edges), together
 * with what flowmgr needs to spawn each VNF (exec, args). deploy/chains/ holds examples:
 *
 *	name: demo                         # required, <= 63 bytes
 *	socket: /run/flowsplice/flowmgr.sock   # optional, <= 107 bytes (sun_path)
 *	user: flowsplice                   # optional: the user flowmgr and its VNFs run as once
 *	                                   # set up (docs/security.md); root = keep root
 *	mbufs: 16383                       # optional, FM_CONFIG_MBUFS_MIN..MAX
 *	ring_size: 1024                    # optional, power of 2, FM_CONFIG_RING_MIN..MAX
 *	ports:                             # required, 1..FM_MAX_PORTS
 *	  - {name: p0, dev: "net_af_packet0,iface=fsd-pa"}   # dev: DPDK vdev devargs
 *	  - {name: p1, dev: "net_af_packet1,iface=fsd-pb"}
 *	  # a port may say `reverse: true`: packets received on it visit the VNFs of their path in
 *	  # the reverse order (the reply direction of a NAT/LB chain: lb, ..., nat, fw)
 *	  # dev may also be a PCI address ("0000:3b:00.0", devargs after a comma): flowmgr then
 *	  # allow-lists it (-a) instead of adding --no-pci (fm_config_eal_ports())
 *	  # xdp: offload (af_xdp ports only; default off): flowmgr's XDP program classifies the
 *	  # static levels in the kernel (docs/offload.md "XDP")
 *	  # rx_queues: N / tx_queues: N (1..FM_MAX_QUEUES, optional; 0/absent: auto, fm_port.h)
 *	  # rx_symmetric: true — the operator vouches that both directions of a connection arrive on
 *	  # the same RX queue index (e.g. net_pcap with one capture per queue split by a symmetric
 *	  # hash): lets a stream chain run with --workers N on queues flowmgr cannot hash itself
 *	mode: bridge                       # optional; the only mode: p0 <-> p1 (1 port: hairpin)
 *	sessions: 65536                    # optional: concurrent sessions bound (FCB pool)
 *	exhaust: drop                      # optional: drop | evict (the oldest idle session)
 *	cache: 4096                        # optional: RSS-hash cache entries, 0 | power of 2
 *	sweep_ms: 15000                    # optional: periodic full sweep of idle sessions
 *	syn_timeout_ms: 10000              # optional: idle timeout of a TCP session that has seen
 *	                                   # only SYN/RST packets (capped by its path's timeout);
 *	                                   # such sessions are evicted first when the pool is
 *	                                   # full (docs/flowtable.md "Embryonic"); 0 = rule off
 *	live_area: 256                     # optional: live chain changes (nfctl chain add|remove,
 *	                                   # VNFs not in this file registering): a second FCB bank
 *	                                   # and this many spare area bytes per FCB; 0 = off
 *	metrics: 127.0.0.1:9469            # optional: Prometheus endpoint (IPv4:PORT, [IPv6]:PORT)
 *	fragments: drop                    # optional: drop | reassemble | pass (see below)
 *	latency_budget_us: 200             # optional: what idle handling may add to a packet's
 *	                                   # time in the platform, µs (doorbell moderation, naps)
 *	stream_mbufs: 50                   # optional: % of the mbuf pool the TCP context may keep
 *	                                   # (held segments, copies; docs/streams.md), 5..80
 *	vnfs:                              # optional, 0..FM_MAX_VNFS, in chain order
 *	  - name: fwd1                     # required, unique, [A-Za-z][A-Za-z0-9_-]*
 *	    exec: forward                  # optional: binary flowmgr may spawn
 *	    args: []                       # optional: its arguments
 *	    class: "ip"                    # optional filter string ("" = every packet)
 *	    session: "5tuple"              # optional ("" = stateless)
 *	    scratchpad: 16                 # optional, bytes per session (0)
 *	    timeout_ms: 30000              # optional, > 0 (30000)
 *	    flags: [early_drop, in_order, may_stall, resize, bidir]   # optional
 *	    isolation: direct              # optional: direct | indirect (direct)
 *	    policy: bypass                 # optional: bypass | drop | hold (bypass)
 *	graph:                             # optional, see below
 *	  input:
 *	    - {match: "tcp dst port 80", to: fwd1}   # edge with an extra filter
 *	    - drop                         # bare target = {to: drop}
 *	  fwd1: [output]
 *
 * Design: the file is loaded whole (at most FM_CONFIG_FILE_MAX bytes) into a libyaml document,
 * then walked with a fixed schema. The parser is strict, because a typo in a chain file must not
 * pass silently: unknown keys, duplicate keys, a wrong type (a quoted "16" where a number is
 * expected, a list where a string is expected), out-of-range numbers, over-long strings, names
 * outside [A-Za-z][A-Za-z0-9_-]*, duplicate VNF or port names, graph edges to unknown nodes,
 * cycles, empty edge lists, and edges that can never be taken (after an unconditional edge to
 * output, drop or a VNF without a class) are all errors. Every error message is one line,
 * "FILE:LINE:COLUMN: problem", where FILE is the path given to fm_config_load() or "<string>".
 * Filter strings (class, match) and session strings are stored verbatim; the classifier's filter
 * parser reads them and reports their errors.
 *
 * Graph: the keys are "input" (the ports) or a VNF name; each value is an ordered edge list whose
 * targets are a VNF name, "output" or "drop" (semantics in fm_chain.h). A VNF missing from the
 * graph has no edges, i.e. goes to output. When "graph" is absent the chain is linear in the
 * order of "vnfs", with context-link skipping: the edges out of the input and out of VNF i are
 * [vnf i+1, vnf i+2, ..., output], cut after the first VNF with an empty class (which accepts
 * every packet, so later edges could never be taken). A packet thus visits, in order, every VNF
 * whose class accepts it and is never dropped for lack of an edge; with class-less VNFs (the
 * usual case) this is exactly input -> vnfs[0] -> vnfs[1] -> ... -> output.
 *
 * Fragments: on a chain with stream VNFs (in_order/resize: the TCP context or a UDP datagram
 * editor), IP fragments of TCP/UDP and frames whose transport the parser cannot reach (fm_pkt.h:
 * ip_frag, l4_hidden) would otherwise be inspected in part or not at all. `fragments` says what
 * flowmgr does with them (fm_frag.h): `drop` (the default: fail-closed, counted),
 * `reassemble` (rte_ip_frag, then classified like any packet; hidden transports stay dropped)
 * or `pass` (today's classification on what is parseable: the operator accepts the bypass).
 * Chains without stream VNFs ignore it.
 *
 * Ports: chain files name their devices by devargs. flowmgr's --port NAME=DEVARGS option maps to
 * fm_config_set_port(), which replaces one port's devargs after loading, so one chain file serves
 * any interface names (deploy/chains/ use fsd-pa/fsd-pb, the names deploy/demo.sh creates).
 *
 * Versioning: none yet; new optional keys may be added, existing keys keep their meaning.
 *
 * Concurrency: plain functions over caller-owned memory; no global state, thread-safe as long as
 * two threads do not share one struct fm_config. struct fm_config is large (~200 KiB): allocate
 * it statically or on the heap.
 */
#ifndef FM_CONFIG_H
#define FM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fm_chain.h"

#define FM_MAX_PORTS	   2
#define FM_DEVARGS_MAX	   256 /* port "dev" string, NUL included */
#define FM_MAX_QUEUES	   16  /* rx_queues / tx_queues of one port */
#define FM_SOCKET_PATH_MAX 108 /* sizeof(sockaddr_un.sun_path), NUL included */
#define FM_USER_MAX	   33  /* a user name (useradd: <= 32 bytes), NUL included */
#define FM_EXEC_MAX	   256 /* VNF "exec", NUL included */
#define FM_MAX_ARGS	   16  /* VNF "args" entries */
#define FM_ARG_MAX	   128 /* one argument, NUL included */
#define FM_CONFIG_FILE_MAX (1u << 20)

#define FM_CONFIG_SOCKET_DEFAULT   "/run/flowsplice/flowmgr.sock"
#define FM_CONFIG_USER_DEFAULT	   "flowsplice" /* created by deploy/install-deps.sh */
#define FM_CONFIG_MBUFS_DEFAULT	   16383
#define FM_CONFIG_MBUFS_MIN	   512
#define FM_CONFIG_MBUFS_MAX	   (1u << 24)
#define FM_CONFIG_RING_DEFAULT	   1024
#define FM_CONFIG_RING_MIN	   64
#define FM_CONFIG_RING_MAX	   (1u << 20)
#define FM_CONFIG_TIMEOUT_DEFAULT  30000
#define FM_CONFIG_SESSIONS_DEFAULT 65536 /* concurrent sessions (FCB pool bound) */
#define FM_CONFIG_SESSIONS_MIN	   64
#define FM_CONFIG_SESSIONS_MAX	   (1u << 24)
#define FM_CONFIG_CACHE_DEFAULT	   4096 /* RSS-hash cache entries, 0 = off */
#define FM_CONFIG_CACHE_MAX	   (1u << 22)
#define FM_CONFIG_SWEEP_DEFAULT	   15000 /* full sweep period, ms */
#define FM_CONFIG_SYN_DEFAULT	   10000 /* embryonic TCP sessions' timeout (fm_flow.h), ms */
#define FM_CONFIG_LATENCY_DEFAULT  200	 /* latency budget of idle handling, µs */
#define FM_CONFIG_LATENCY_MIN	   20
#define FM_CONFIG_LATENCY_MAX	   100000
#define FM_CONFIG_SCRATCHPAD_MAX   (1u << 16) /* sanity bound per VNF and session */

enum fm_port_mode { FM_MODE_BRIDGE = 0 };

/* What a chain with stream VNFs does with fragments and hidden transports (fm_frag.h). */
enum fm_frag_policy {
	FM_FRAGS_DROP = 0,   /* fail-closed: dropped and counted (default) */
	FM_FRAGS_REASSEMBLE, /* rte_ip_frag, then classified; hidden transports dropped */
	FM_FRAGS_PASS,	     /* classified on what is parseable: may bypass stream VNFs */
};

struct fm_port_cfg {
	char name[FM_NAME_MAX];	  /* "p0": how the graph and nfctl name the port */
	char dev[FM_DEVARGS_MAX]; /* vdev devargs, e.g. "net_af_packet0,iface=fsd-pa" */
	bool reverse;		  /* packets received here walk their path backwards */
	uint16_t rx_queues;	  /* RX queues to poll, 0: auto (fm_port.h) */
	uint16_t tx_queues;	  /* TX queues, 0: one per worker */
	bool rx_symmetric; /* the operator vouches: RX queues split connections symmetrically */
	bool xdp; /* `xdp: offload`: flowmgr's XDP program on this af_xdp port (docs/offload.md) */
};

/* How flowmgr may start a VNF (a later issue); exec "" = started by the operator. */
struct fm_vnf_exec {
	char exec[FM_EXEC_MAX];
	int nb_args;
	char args[FM_MAX_ARGS][FM_ARG_MAX];
};

#define FM_METRICS_ADDR_MAX 64 /* "HOST:PORT" of the Prometheus endpoint, NUL included */

struct fm_config {
	char socket_path[FM_SOCKET_PATH_MAX];
	char user[FM_USER_MAX];		   /* service user after set-up; "root" = keep root */
	char metrics[FM_METRICS_ADDR_MAX]; /* "127.0.0.1:9469", "[::1]:9469"; "" = no endpoint */
	uint32_t mbufs;			   /* mbuf pool size */
	uint32_t ring_size;		   /* per-edge rte_ring size, power of 2 */
	uint32_t sessions;  /* concurrent sessions bound (FCB pool and scratchpad pools) */
	bool exhaust_evict; /* pool full: evict the oldest idle session (else drop the new one) */
	uint32_t cache;	    /* RSS-hash cache entries (power of 2), 0 = off */
	uint32_t sweep_ms;  /* periodic full sweep of idle sessions */
	uint32_t live_area; /* live chain changes: spare FCB area bytes, 0 = off (fm_live.h) */
	uint32_t syn_timeout_ms;       /* idle timeout of embryonic TCP sessions, 0 = rule off */
	uint32_t latency_budget_us;    /* what doorbell moderation and naps may add (fm_idle.h) */
	enum fm_frag_policy fragments; /* fragments / hidden transports on stream chains */
	uint32_t stream_mbufs; /* % of the mbuf pool the TCP context may keep (0: default) */
	enum fm_port_mode mode;
	int nb_ports;
	struct fm_port_cfg ports[FM_MAX_PORTS];
	struct fm_chain chain;		      /* name, VNF declarations, graph */
	struct fm_vnf_exec exec[FM_MAX_VNFS]; /* parallel to chain.vnfs[] */
};

struct sockaddr_storage;

/*
 * "A.B.C.D:PORT" or "[IPv6]:PORT" (a numeric address, PORT 1..65535) into *ss and *len.
 * Returns 0 or -EINVAL. The `metrics:` key and flowmgr --metrics take this form.
 */
int fm_config_parse_addr(const char *s, struct sockaddr_storage *ss, unsigned int *len);

/*
 * Sets every field to its default: empty chain and ports, FM_CONFIG_*_DEFAULT settings.
 */
void fm_config_init(struct fm_config *cfg);

/*
 * Reads and checks the chain file at `path`. On success fills *cfg (defaults for what the file
 * leaves out) and returns 0. On failure returns -errno (-ENOENT, -EACCES... from opening or
 * reading the file, -EFBIG over FM_CONFIG_FILE_MAX, -ENOMEM, -EINVAL for any content error),
 * writes a one-line "PATH:LINE:COL: problem" message to err (truncated to errlen; err may be
 * NULL) and leaves *cfg unchanged.
 */
int fm_config_load(const char *path, struct fm_config *cfg, char *err, size_t errlen);

/*
 * Same as fm_config_load() on `len` bytes of YAML text (need not be NUL-terminated); messages
 * name the source "<string>".
 */
int fm_config_parse_string(const char *yaml, size_t len, struct fm_config *cfg, char *err,
			   size_t errlen);

/*
 * Replaces the devargs of one port from a "NAME=DEVARGS" spec (flowmgr's --port option).
 * Returns 0; 1 when the port had `xdp: offload` and the new devargs are not af_xdp (the offload
 * is turned off for it); or -EINVAL with a message (no '=', unknown port name, devargs empty or too
 * long); *cfg is unchanged on failure.
 */
int fm_config_set_port(struct fm_config *cfg, const char *spec, char *err, size_t errlen);

/*
 * The EAL device name of a port's `dev` (fm_config_eal.c): a PCI address ("0000:3b:00.0" or
 * "3b:00.0", hex digits, devargs may follow a comma) gives its canonical form "0000:3b:00.0"
 * (the name of its ethdev) and returns true; anything else is a vdev (or another bus's device
 * name) and gives the text before the first comma, returning false. `name` gets at most size - 1
 * bytes.
 */
bool fm_config_dev_name(const char *dev, char *name, size_t size);

/*
 * Appends to argv (room for `max` entries) the EAL arguments of the config's ports: "-a DEV" for
 * each PCI port (the EAL then probes only the listed PCI devices), "--vdev DEV" for the others,
 * and "--no-pci" when no port is a PCI device and `no_pci_given` is false (the caller's own EAL
 * arguments lack it). The entries point into cfg (and static strings).
 * Returns the number of entries appended, -EINVAL when a port is a PCI device while --no-pci was
 * given (the device could never be probed), or -E2BIG; with a message in err.
 */
int fm_config_eal_ports(const struct fm_config *cfg, bool no_pci_given, char **argv, int max,
			char *err, size_t errlen);

/*
 * Index of the VNF called `name` in cfg->chain.vnfs, or -1.
 */
int fm_config_vnf_index(const struct fm_config *cfg, const char *name);

/*
 * Writes the whole config as YAML that fm_config_parse_string() reads back into an identical
 * struct (every setting explicit, strings double-quoted, the graph always written out).
 */
void fm_config_print(const struct fm_config *cfg, FILE *out);
/* Only the chain of it: the `vnfs:` and `graph:` sections, as fm_config_print() writes them. */
void fm_config_print_chain(const struct fm_config *cfg, FILE *out);

/*
 * Does the declaration a VNF sent at registration (`sent`: name ignored) conflict with its entry in
 * the chain config (`chain`)? The chain config may narrow and tune a VNF (traffic class, timeout,
 * failure policy, extra flags, a larger scratchpad are its choice); it conflicts when it would not
 * give the VNF what the VNF declared it relies on:
 *   - a scratchpad smaller than declared;
 *   - an isolation other than the one declared (a declared `direct`, the default, takes any);
 *   - unless the chain gives isolation independent (the VNF keeps its own state):
 *     no session (stateless) for a VNF that declared a session and a scratchpad; the flags bidir
 *     or rewrite declared but not in the chain;
 *   - unknown flag bits or isolation value.
 * Returns true with the reason (one line, names the VNF) in why, else false.
 */
bool fm_config_decl_conflict(const struct fm_decl *chain, const struct fm_decl *sent, char *why,
			     size_t len);

/*
 * nfctl reload: can the config `next` (a new chain file) replace the running one `run` without a
 * restart? Today only the VNFs' failure policies change live. Not compared: the process settings
 * the command line may override (socket, user, metrics) and the ports' devargs (flowmgr --port);
 * everything else is compared as fm_config_print() writes it. Returns 0 when `next` changes
 * nothing else — policy_changed[i] (FM_MAX_VNFS entries) tells which VNF's policy it changes —,
 * 1 when it does, with the first difference in why (one line), -ENOMEM.
 */
/*
 * Live chain changes (live_area): the traffic classes of `next` that differ from the running
 * config's, VNF by VNF (same index and name), are marked in class_changed (FM_MAX_VNFS entries)
 * and set back to the running ones in `next`, so that fm_config_reload_diff() then compares the
 * rest. @return how many changed.
 */
int fm_config_reload_classes(const struct fm_config *run, struct fm_config *next,
			     bool *class_changed);

int fm_config_reload_diff(const struct fm_config *run, const struct fm_config *next,
			  bool *policy_changed, char *why, size_t len);

/* Names used in the file for enum values and flags (also handy for nfctl and logs). */
const char *fm_config_isolation_name(enum fm_isolation iso);
const char *fm_config_policy_name(enum fm_fail_policy policy);
const char *fm_config_mode_name(enum fm_port_mode mode);
const char *fm_config_frag_name(enum fm_frag_policy policy);
/* Name of one FM_DECL_* bit, or NULL if `bit` is not exactly one known flag. */
const char *fm_config_flag_name(uint32_t bit);

#endif /* FM_CONFIG_H */
