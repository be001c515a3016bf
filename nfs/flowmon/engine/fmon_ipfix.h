/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fmon_ipfix.h — a minimal IPFIX (RFC 7011) exporter over UDP for flowmon.
 *
 * What: two templates, FMON_TEMPLATE_ID for IPv4 flows (sourceIPv4Address 8,
 * destinationIPv4Address 12) and FMON_TEMPLATE_ID6 for IPv6 flows (sourceIPv6Address 27,
 * destinationIPv6Address 28), otherwise the same fields (ports, protocol, delta counts, start/end
 * milliseconds, TCP flags, end reason; see fmon_ies in fmon_ipfix.c), and data records batched
 * into messages of at most FMON_MSG_MAX bytes, sent to one collector. Each data set holds the
 * records of one template; a record of the other family closes the open set and opens one.
 *
 * Design: records are encoded into one message buffer; the message is sent (one sendto) when the
 * next record does not fit, when fmon_ipfix_poll() finds it older than FMON_FLUSH_MS, and by
 * fmon_ipfix_flush(). Over UDP the collector may lose or restart, so the template set is sent in
 * the first message and again in the first message after FMON_TEMPLATE_MS or FMON_TEMPLATE_MSGS
 * messages (RFC 7011 §8.4). Sequence numbers count data records sent before the message (§3.1);
 * a message that could not be sent still advances them, so the collector sees the loss.
 *
 * Concurrency: not thread-safe; one exporter per datapath thread. Times are CLOCK_REALTIME
 * milliseconds supplied by the caller (no clock read per record).
 */
#ifndef FMON_IPFIX_H
#define FMON_IPFIX_H

#include <stdint.h>

#include <netinet/in.h>

#define FMON_TEMPLATE_ID   256	 /* IPv4 flows */
#define FMON_TEMPLATE_ID6  257	 /* IPv6 flows */
#define FMON_MSG_MAX	   1400	 /* bytes per message, below a 1500-byte path MTU */
#define FMON_FLUSH_MS	   100	 /* pending records wait at most this long (when polled) */
#define FMON_TEMPLATE_MS   10000 /* template refresh period */
#define FMON_TEMPLATE_MSGS 64	 /* ... or every this many messages */

/* flowEndReason values (IANA IE 136). */
#define FMON_END_IDLE	1
#define FMON_END_ACTIVE 2
#define FMON_END_EOF	3
#define FMON_END_FORCED 4

/* One data record, host order. */
struct fmon_record {
	uint8_t ipv6;	   /* 0: IPv4 (src, dst), 1: IPv6 (src6, dst6) */
	uint32_t src, dst; /* IPv4 */
	uint8_t src6[16];  /* IPv6, network order */
	uint8_t dst6[16];
	uint16_t sport, dport;
	uint8_t proto;
	uint8_t end_reason;
	uint16_t tcp_flags;
	uint64_t pkts, bytes; /* deltas since the previous record of the flow */
	uint64_t start_ms, end_ms;
};

struct fmon_ipfix {
	int fd;
	struct sockaddr_in collector;
	uint32_t domain;
	uint32_t seq;	  /* data records sent so far (counted at send) */
	uint32_t nb_rec;  /* records in the pending message */
	uint32_t len;	  /* bytes used in buf */
	uint32_t set_off; /* offset of the open data set header, 0 = none */
	uint16_t set_tid; /* template of the open data set */
	uint64_t pending_since_ms;
	uint64_t template_ms; /* when the template was last sent; 0 = never */
	uint32_t msgs_since_template;
	/* counters */
	uint64_t records, msgs, send_errors;
	uint8_t buf[FMON_MSG_MAX];
};

/** Opens the UDP socket towards `collector` ("A.B.C.D:PORT"). 0 or -errno. */
int fmon_ipfix_init(struct fmon_ipfix *x, const char *collector, uint32_t domain);

/** Closes the socket (does not flush). */
void fmon_ipfix_uninit(struct fmon_ipfix *x);

/** Appends one record; sends the pending message first if the record does not fit. */
void fmon_ipfix_add(struct fmon_ipfix *x, const struct fmon_record *r, uint64_t now_ms);

/** Sends the pending message if it is FMON_FLUSH_MS old, or a template refresh if due. */
void fmon_ipfix_poll(struct fmon_ipfix *x, uint64_t now_ms);

/** Sends the pending message now (if any record is pending). */
void fmon_ipfix_flush(struct fmon_ipfix *x, uint64_t now_ms);

#endif /* FMON_IPFIX_H */
