/* SPDX-License-Identifier: BSD-3-Clause */
/* fmon_ipfix.c — IPFIX message encoding and UDP export (see fmon_ipfix.h). */
#include "fmon_ipfix.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define IPFIX_VERSION	   10
#define IPFIX_HDR_LEN	   16
#define IPFIX_SET_HDR_LEN  4
#define IPFIX_SET_TEMPLATE 2

/* The templates: IANA information element id and encoded length, in record order; the IPv6
 * template has the IPv6 address elements in place of the first two. */
static const struct {
	uint16_t id, len;
} fmon_ies[] = {
    {8, 4},   /* sourceIPv4Address (IPv6: sourceIPv6Address 27, 16 bytes) */
    {12, 4},  /* destinationIPv4Address (IPv6: destinationIPv6Address 28, 16 bytes) */
    {7, 2},   /* sourceTransportPort */
    {11, 2},  /* destinationTransportPort */
    {4, 1},   /* protocolIdentifier */
    {2, 8},   /* packetDeltaCount */
    {1, 8},   /* octetDeltaCount */
    {152, 8}, /* flowStartMilliseconds */
    {153, 8}, /* flowEndMilliseconds */
    {6, 2},   /* tcpControlBits */
    {136, 1}, /* flowEndReason */
};

#define NB_IES		 (sizeof(fmon_ies) / sizeof(fmon_ies[0]))
#define RECORD_LEN	 (4 + 4 + 2 + 2 + 1 + 8 + 8 + 8 + 8 + 2 + 1)
#define RECORD_LEN6	 (RECORD_LEN + 2 * 12)
#define TEMPLATE_SET_LEN (IPFIX_SET_HDR_LEN + 2 * (4 + 4 * NB_IES))

_Static_assert(IPFIX_HDR_LEN + TEMPLATE_SET_LEN + IPFIX_SET_HDR_LEN + RECORD_LEN6 <= FMON_MSG_MAX,
	       "a message must hold the templates and one record");

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	return put16(put16(p, (uint16_t)(v >> 16)), (uint16_t)v);
}

static uint8_t *put64(uint8_t *p, uint64_t v)
{
	return put32(put32(p, (uint32_t)(v >> 32)), (uint32_t)v);
}

int fmon_ipfix_init(struct fmon_ipfix *x, const char *collector, uint32_t domain)
{
	char host[64];
	const char *colon = strrchr(collector, ':');
	char *end;
	unsigned long port;

	memset(x, 0, sizeof(*x));
	x->fd = -1;
	if (colon == NULL || (size_t)(colon - collector) >= sizeof(host))
		return -EINVAL;
	memcpy(host, collector, (size_t)(colon - collector));
	host[colon - collector] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || port == 0 || port > 65535)
		return -EINVAL;
	x->collector.sin_family = AF_INET;
	x->collector.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &x->collector.sin_addr) != 1)
		return -EINVAL;
	x->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (x->fd < 0)
		return -errno;
	x->domain = domain;
	return 0;
}

void fmon_ipfix_uninit(struct fmon_ipfix *x)
{
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
}

static bool template_due(const struct fmon_ipfix *x, uint64_t now_ms)
{
	return x->template_ms == 0 || now_ms - x->template_ms >= FMON_TEMPLATE_MS ||
	       x->msgs_since_template >= FMON_TEMPLATE_MSGS;
}

/* Starts a message in buf: header space, the template set if due. */
static void begin_msg(struct fmon_ipfix *x, uint64_t now_ms)
{
	uint8_t *p = x->buf + IPFIX_HDR_LEN;

	x->len = IPFIX_HDR_LEN;
	x->nb_rec = 0;
	x->set_off = 0;
	if (!template_due(x, now_ms))
		return;
	p = put16(p, IPFIX_SET_TEMPLATE);
	p = put16(p, (uint16_t)TEMPLATE_SET_LEN);
	for (int v6 = 0; v6 <= 1; v6++) {
		p = put16(p, v6 ? FMON_TEMPLATE_ID6 : FMON_TEMPLATE_ID);
		p = put16(p, (uint16_t)NB_IES);
		for (size_t i = 0; i < NB_IES; i++) {
			p = put16(p, v6 && i < 2 ? (uint16_t)(i == 0 ? 27 : 28) : fmon_ies[i].id);
			p = put16(p, v6 && i < 2 ? 16 : fmon_ies[i].len);
		}
	}
	x->len += TEMPLATE_SET_LEN;
	x->template_ms = now_ms;
	x->msgs_since_template = 0;
}

/* Closes the data set, fills the header and sends buf; the buffer is then empty. */
static void send_msg(struct fmon_ipfix *x, uint64_t now_ms)
{
	uint8_t *p = x->buf;

	if (x->set_off != 0)
		put16(x->buf + x->set_off + 2, (uint16_t)(x->len - x->set_off));
	p = put16(p, IPFIX_VERSION);
	p = put16(p, (uint16_t)x->len);
	p = put32(p, (uint32_t)(now_ms / 1000));
	p = put32(p, x->seq);
	put32(p, x->domain);
	if (sendto(x->fd, x->buf, x->len, 0, (const struct sockaddr *)&x->collector,
		   sizeof(x->collector)) != (ssize_t)x->len)
		x->send_errors++;
	x->seq += x->nb_rec;
	x->records += x->nb_rec;
	x->msgs++;
	x->msgs_since_template++;
	x->len = 0;
	x->nb_rec = 0;
	x->set_off = 0;
}

static void encode(uint8_t *p, const struct fmon_record *r)
{
	if (r->ipv6) {
		memcpy(p, r->src6, 16);
		memcpy(p + 16, r->dst6, 16);
		p += 32;
	} else {
		p = put32(p, r->src);
		p = put32(p, r->dst);
	}
	p = put16(p, r->sport);
	p = put16(p, r->dport);
	*p++ = r->proto;
	p = put64(p, r->pkts);
	p = put64(p, r->bytes);
	p = put64(p, r->start_ms);
	p = put64(p, r->end_ms);
	p = put16(p, r->tcp_flags);
	*p = r->end_reason;
}

void fmon_ipfix_add(struct fmon_ipfix *x, const struct fmon_record *r, uint64_t now_ms)
{
	uint16_t tid = r->ipv6 ? FMON_TEMPLATE_ID6 : FMON_TEMPLATE_ID;
	uint32_t rlen = r->ipv6 ? RECORD_LEN6 : RECORD_LEN;
	bool new_set = x->set_off == 0 || x->set_tid != tid;
	uint32_t need = rlen + (new_set ? IPFIX_SET_HDR_LEN : 0);

	if (x->len != 0 && x->len + need > FMON_MSG_MAX) {
		send_msg(x, now_ms);
		new_set = true;
	}
	if (x->len == 0) {
		begin_msg(x, now_ms);
		x->pending_since_ms = now_ms;
	}
	if (new_set) {
		if (x->set_off != 0) /* close the other family's set */
			put16(x->buf + x->set_off + 2, (uint16_t)(x->len - x->set_off));
		x->set_off = x->len;
		x->set_tid = tid;
		put16(put16(x->buf + x->len, tid), 0); /* length when closed */
		x->len += IPFIX_SET_HDR_LEN;
	}
	encode(x->buf + x->len, r);
	x->len += rlen;
	x->nb_rec++;
}

void fmon_ipfix_flush(struct fmon_ipfix *x, uint64_t now_ms)
{
	if (x->len != 0)
		send_msg(x, now_ms);
}

void fmon_ipfix_poll(struct fmon_ipfix *x, uint64_t now_ms)
{
	if (x->len != 0) {
		if (now_ms - x->pending_since_ms >= FMON_FLUSH_MS)
			send_msg(x, now_ms);
		return;
	}
	if (template_due(x, now_ms)) {
		begin_msg(x, now_ms); /* a template-only message */
		send_msg(x, now_ms);
	}
}
