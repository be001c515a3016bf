/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nfsdk/nf.h — the VNF side of FlowSplice.
 *
 * What: a VNF is a separate process linked to nfsdk. It declares what it wants (traffic class,
 * session, scratchpad size, timeout, flags, isolation), attaches to the running flowmgr and
 * receives packet bursts over rte_rings; its handler gives each packet a verdict. nfsdk forwards
 * each packet to the next hop of its path (read from the packet's metadata, so the VNF never
 * classifies), applies the failure policy of VNFs that are down, keeps the shared counters and
 * the progress counter flowmgr watches, and notices when flowmgr goes away.
 *
 * Life cycle:
 *	struct nf_ctx *nf;
 *	char **args;
 *	int nargs;
 *	if (nf_init(argc, argv, &decl, &nf, &nargs, &args) < 0)	// register, attach (EAL)
 *		exit(1);
 *	// parse the VNF's own options args[0..nargs), set up my_state
 *	nf_counters_register(nf, my_names, MY_COUNT, my_state.cnt);	// nfctl stats shows them
 *	nf_run(nf, &ops, &my_state);		// until nf_stop() or flowmgr exits
 *	nf_close(nf);
 *
 * Command line understood by nf_init() (the VNF's own options come after "--"):
 *	--name NAME         name in the chain config (default: decl->name)
 *	--socket PATH       flowmgr's control socket (default $FLOWSPLICE_SOCK, then
 *	                    /run/flowsplice/flowmgr.sock)
 *	--file-prefix P     flowmgr's EAL file prefix (default "flowsplice")
 *	--cpus LIST         CPUs this VNF may run on, EAL syntax (default: all)
 *	--poll              busy-poll even when idle (dedicated core); default: nap when idle
 * and, among the VNF's own options (taken out before the VNF sees them):
 *	--report FILE       the registered counters as "name value" lines, written on SIGUSR1
 *	                    (unless the VNF handles SIGUSR1 itself) and when nf_run() returns
 *
 * Multi-process safety: every function here is for the VNF's one datapath thread, except
 * nf_stop(), which is async-signal-safe.
 */
#ifndef NFSDK_NF_H
#define NFSDK_NF_H

#include <stdbool.h>
#include <stdint.h>

struct rte_mbuf;
struct nf_ctx;
struct nf_stream;

/* Declaration flags (same bits as FM_DECL_* in common/fm_decl.h). */
#define NF_FLAG_EARLY_DROP (1u << 0) /* flowmgr may drop this VNF's rejected class early */
#define NF_FLAG_IN_ORDER   (1u << 1) /* needs the TCP stream in order */
#define NF_FLAG_MAY_STALL  (1u << 2) /* may hold data */
#define NF_FLAG_RESIZE	   (1u << 3) /* may change the stream size */
#define NF_FLAG_BIDIR	   (1u << 4) /* sees both directions */
#define NF_FLAG_REWRITE	   (1u << 5) /* rewrites addresses or ports (NAT, LB) */

enum nf_isolation { NF_ISO_DIRECT = 0, NF_ISO_INDIRECT = 1 };

struct nf_decl {
	const char *name;	   /* default name in the chain config */
	const char *traffic_class; /* filter language; NULL or "" = every packet */
	const char *session;	   /* "5tuple", ...; NULL or "" = stateless */
	uint32_t scratchpad;	   /* bytes per session */
	uint32_t timeout_ms;	   /* idle timeout of a session */
	uint32_t flags;		   /* NF_FLAG_* */
	enum nf_isolation isolation;
};

enum nf_verdict {
	NF_FORWARD = 0, /* on along the packet's path (the default) */
	NF_DROP = 1,	/* free it, counted in this VNF's drops */
};

/* Verdict: leave the chain now through port `p` (0..127, flowmgr's port index), skipping the rest
 * of the path — e.g. a reply generated in place (ARP answer, TCP RST, HTTP 403). */
#define NF_TO_PORT(p)	 ((uint8_t)(0x80u | ((p)&0x7fu)))
#define NF_IS_TO_PORT(v) (((v)&0x80u) != 0)

struct nf_ops {
	/*
	 * Per-session handler (the paper's push_flow): called once per session present in a
	 * received burst, with that session's packets in arrival order and this VNF's scratchpad
	 * for the session (zeroed when the session starts; NULL for a stateless VNF or a packet of
	 * a path without session). verdicts[i] starts as NF_FORWARD. The handler may modify
	 * packets in place; it must not free or keep them. Takes precedence over on_burst.
	 */
	void (*on_session)(struct nf_ctx *nf, void *arg, void *scratchpad, struct rte_mbuf **pkts,
			   uint16_t n, uint8_t *verdicts);
	/*
	 * Called once when a session this VNF saw is released (idle timeout passed, no packet in
	 * flight), before its scratchpad is reused: return ports, close records... (optional)
	 */
	void (*on_release)(struct nf_ctx *nf, void *arg, void *scratchpad);
	/*
	 * Raw handler: each received burst (1..32 packets) at once, without session grouping.
	 * verdicts[i] starts as NF_FORWARD. Used when on_session is NULL.
	 */
	void (*on_burst)(struct nf_ctx *nf, void *arg, struct rte_mbuf **pkts, uint16_t n,
			 uint8_t *verdicts);
	/* Called when a poll found nothing (optional). Keep it short. */
	void (*on_idle)(struct nf_ctx *nf, void *arg);
	/*
	 * Called between two bursts after the process received SIGUSR1, once nfsdk wrote --report
	 * (optional): flush buffered output, dump state. Counters belong in the registry
	 * (nf_counters_register), not here. When set, nfsdk installs the SIGUSR1 handler.
	 */
	void (*on_report)(struct nf_ctx *nf, void *arg);
	/*
	 * An operator command (`nfctl cmd VNF TEXT...`), called between two bursts (optional).
	 * Write a human-readable answer of at most `len` bytes into `reply` (NUL-terminated) and
	 * return 0, or a negative errno (-EINVAL for a bad command) with the reason in `reply`.
	 * Without it the VNF answers every command with -ENOTSUP.
	 */
	int (*on_command)(struct nf_ctx *nf, void *arg, const char *cmd, char *reply, size_t len);
	/*
	 * A stream of the stream API (nfsdk/stream.h) ended: `why` is NF_STREAM_END_FIN, _RST,
	 * _CLOSE (nf_stream_close()) or _TIMEOUT (nf_stream_expire() from on_release: how a UDP
	 * stream ends). Called once per stream, from the stream call that saw it. Optional.
	 */
	void (*on_stream_end)(struct nf_ctx *nf, void *arg, struct nf_stream *s, int why);
};

/**
 * Parses nfsdk's options from argv (see above), registers with flowmgr over the control socket,
 * then attaches to its shared memory as a DPDK secondary and looks up the rings of this VNF.
 * Returns 0 and *out, or -errno after printing an actionable message on stderr ("is flowmgr
 * running?", ABI mismatch, unknown VNF name...). On return, argc_left and argv_left (if not NULL)
 * point at the VNF's own arguments (those after "--").
 */
int nf_init(int argc, char **argv, const struct nf_decl *decl, struct nf_ctx **out, int *argc_left,
	    char ***argv_left);

/**
 * Runs the receive → handler → forward loop until nf_stop() or until flowmgr goes away.
 * SIGTERM and SIGINT call nf_stop() unless the VNF installed handlers of its own.
 * Returns 0 after nf_stop(), -ENOTCONN when flowmgr went away.
 */
int nf_run(struct nf_ctx *nf, const struct nf_ops *ops, void *arg);

/** Asks nf_run() to return after the current burst. Async-signal-safe. */
void nf_stop(struct nf_ctx *nf);

/** Detaches: closes the control connection and releases DPDK resources. */
void nf_close(struct nf_ctx *nf);

/**
 * Bytes of scratchpad the chain gives this VNF per session (its `scratchpad`; 0 when it has
 * none): a VNF whose session state is larger refuses to run rather than overflow it.
 */
uint32_t nf_scratchpad_size(const struct nf_ctx *nf);

/** This VNF's scratchpad for the session of packet `m` (see on_session), or NULL. */
void *nf_scratchpad(struct nf_ctx *nf, struct rte_mbuf *m);

/**
 * This VNF's 64 bytes of common data that both directions of packet `m`'s session share (paper
 * §IV-D), even when flowmgr classified them on different lcores; NULL unless this VNF declares the
 * `bidir` flag in the chain. Each bidir VNF has its own slice. Zeroed when the session's first
 * direction is seen. When a VNF on the path declares `rewrite` (NAT, LB), the reply is linked by
 * the tuple the session's first packet left the chain with, so it finds the same data.
 */
void *nf_common(struct nf_ctx *nf, struct rte_mbuf *m);

/**
 * A packet of the VNF's own (an ARP request, a TCP RST...): nf_pkt_alloc() gives an empty mbuf
 * from the platform's pool (NULL when exhausted); nf_send() hands it to flowmgr to leave through
 * `port`. Only from the handlers. nf_send() takes ownership (frees it on error, -errno).
 */
struct rte_mbuf *nf_pkt_alloc(struct nf_ctx *nf);
/** Frees a packet from nf_pkt_alloc() that will not be sent. */
void nf_pkt_free(struct nf_ctx *nf, struct rte_mbuf *m);
int nf_send(struct nf_ctx *nf, struct rte_mbuf *m, uint16_t port);

/** The port packet `m` entered the platform through (flowmgr's port index). */
uint16_t nf_in_port(const struct nf_ctx *nf, struct rte_mbuf *m);
/** The port packet `m` leaves through at the end of its path (flowmgr's port index). */
uint16_t nf_out_port(const struct nf_ctx *nf, struct rte_mbuf *m);

/** This VNF's id (1..) and name. */
uint32_t nf_id(const struct nf_ctx *nf);
const char *nf_name(const struct nf_ctx *nf);

#define NF_COUNTERS_MAX	    192 /* entries in a VNF's registry (FM_SHM_COUNTERS_MAX) */
#define NF_COUNTER_NAME_MAX 40	/* bytes of a name, NUL included (FM_SHM_COUNTER_NAME) */

/**
 * Counter registry: publishes the VNF's counters values[0..n) under names[0..n) in its slot of
 * the shared memory (common/fm_shm.h, fm_shm_counters), so that `nfctl stats` shows them and
 * --report writes them. The VNF keeps the counters in its own memory and bumps them plainly from
 * its datapath thread (gauges are set); nfsdk copies them to the slot once per loop iteration.
 * `values` must stay valid until nf_close(); names are copied (shorter than NF_COUNTER_NAME_MAX,
 * [a-z0-9_]). Each call appends; nfsdk's own counters ("nfsdk_drop_<reason>", "nfsdk_hold_<name>")
 * come first. Returns 0, -ENOSPC (NF_COUNTERS_MAX entries or 16 calls in all: nothing registered),
 * -EINVAL (an empty or too long name).
 */
int nf_counters_register(struct nf_ctx *nf, const char *const *names, unsigned int n,
			 const uint64_t *values);
/**
 * The same for a series (per rule, per backend...): counter i is named after printf(fmt, base + i),
 * fmt holding one %u ("rule_%u_hits").
 */
int nf_counters_register_fmt(struct nf_ctx *nf, const char *fmt, unsigned int base, unsigned int n,
			     const uint64_t *values) __attribute__((format(printf, 2, 0)));

/** Counters of this VNF (as flowmgr shows them). */
uint64_t nf_rx_pkts(const struct nf_ctx *nf);
uint64_t nf_tx_pkts(const struct nf_ctx *nf);

#endif /* NFSDK_NF_H */
