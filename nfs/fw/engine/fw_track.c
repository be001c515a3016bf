/* SPDX-License-Identifier: BSD-3-Clause */
/* fw_track.c — the firewall's TCP tracking (fw_track.h). */
#include "fw_track.h"

#include "nfsdk/nf_pkt.h"

#include <assert.h>
#include <string.h>

static_assert(sizeof(struct fw_tcp) == 28, "fw_tcp fits the session's common data");

static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

void fw_tcp_init(struct fw_tcp *t)
{
	memset(t, 0, sizeof(*t));
	t->ws[0] = t->ws[1] = FW_WS_NONE;
}

bool fw_tcp_reopens(const struct fw_tcp *t, const struct fm_pkt *p)
{
	return t->state == FW_CLOSED && (p->tcp_flags & (0x02 | 0x04 | 0x10)) == 0x02;
}

void fw_peer_set(struct fw_peer *peer, const struct fm_pkt *p)
{
	memset(peer, 0, sizeof(*peer));
	peer->l3 = p->l3;
	peer->port = p->sport;
	if (p->l3 == FM_L3_IPV6)
		memcpy(peer->addr, p->ip6_src, 16);
	else
		nf_wr32(peer->addr, p->ip4_src);
}

bool fw_peer_is_src(const struct fw_peer *peer, const struct fm_pkt *p)
{
	if (peer->l3 != p->l3 || peer->port != p->sport)
		return false;
	if (p->l3 == FM_L3_IPV6)
		return memcmp(peer->addr, p->ip6_src, 16) == 0;
	return nf_rd32(peer->addr) == p->ip4_src;
}

bool fw_icmp_reverse_request(const uint8_t *data, const struct fm_pkt *p, bool from_init)
{
	if (from_init || p->is_frag || p->l4_off >= p->len)
		return false;
	if (p->l3 == FM_L3_IPV4 && p->proto == FM_PROTO_ICMP)
		return data[p->l4_off] == 8;
	if (p->l3 == FM_L3_IPV6 && p->proto == FM_PROTO_ICMP6)
		return data[p->l4_off] == 128;
	return false;
}

/* Payload bytes of the segment: from the IP length, not the frame (Ethernet padding). IPv6:
 * the end of the payload-length field's extent, minus what precedes the TCP payload. */
static uint32_t payload_len(const uint8_t *data, const struct fm_pkt *p)
{
	uint32_t ip_end = p->l3 == FM_L3_IPV4 ? p->l3_off + nf_rd16(data + p->l3_off + 2)
					      : p->l3_off + 40u + nf_rd16(data + p->l3_off + 4);

	return ip_end > p->payload_off && ip_end <= p->len ? ip_end - p->payload_off : 0;
}

/* The window scale option of a SYN (kind 3), FW_WS_NONE without it. */
static uint8_t syn_wscale(const uint8_t *data, const struct fm_pkt *p)
{
	const uint8_t *o = data + p->l4_off + 20;
	uint32_t n = p->payload_off > p->l4_off + 20u ? p->payload_off - p->l4_off - 20u : 0;

	for (uint32_t i = 0; i < n;) {
		if (o[i] == 0)
			break;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
			break;
		if (o[i] == 3 && o[i + 1] == 3)
			return o[i + 2] > 14 ? 14 : o[i + 2];
		i += o[i + 1];
	}
	return FW_WS_NONE;
}

/* Is an RST from side d with this SEQ (and ACK) one its receiver would act on? */
static bool rst_in_window(const struct fw_tcp *t, int d, uint32_t seq, bool has_ack, uint32_t ack)
{
	int r = d ^ 1;
	uint32_t wnd;

	if (t->state == FW_SYN_SENT && d == 1) /* the answer to the SYN: it must ACK it exactly */
		return has_ack && ack == t->end[0];
	if (seq == t->end[d])
		return true; /* exactly where d's stream stands */
	if (!(t->seen & (1u << r)))
		return false; /* nothing known of the receiver's window */
	wnd = t->win[r];
	if (t->ws[0] != FW_WS_NONE && t->ws[1] != FW_WS_NONE)
		wnd <<= t->ws[r];
	if (wnd == 0)
		wnd = 1;
	return !seq_lt(seq, t->ack[r]) && seq_lt(seq, t->ack[r] + wnd);
}

/* What side d has now used of its sequence space, and what it acknowledges of the other's. */
static void note_segment(struct fw_tcp *t, int d, const uint8_t *data, const struct fm_pkt *p)
{
	const uint8_t *th = data + p->l4_off;
	uint8_t f = p->tcp_flags;
	uint32_t seq = nf_rd32(th + 4);
	uint32_t end = seq + payload_len(data, p) + ((f & 0x02) ? 1u : 0u) + ((f & 0x01) ? 1u : 0u);

	if (f & 0x02)
		t->ws[d] = syn_wscale(data, p);
	if (!(t->seen & (4u << d)) || seq_lt(t->end[d], end))
		t->end[d] = end;
	t->seen |= (uint8_t)(4u << d);
	if (f & 0x10) {
		t->ack[d] = nf_rd32(th + 8);
		t->win[d] = nf_rd16(th + 14);
		t->seen |= (uint8_t)(1u << d);
	}
}

static enum fw_track_verdict state_step(struct fw_tcp *t, uint8_t f, bool from_initiator)
{
	bool syn = f & 0x02, ack = f & 0x10;

	switch (t->state) {
	case FW_NEW:
		if (!(syn && !ack && from_initiator))
			return FW_TRACK_INVALID; /* a session must open with the initiator's SYN */
		t->state = FW_SYN_SENT;
		return FW_TRACK_PASS;
	case FW_SYN_SENT:
		if (from_initiator)
			return syn && !ack ? FW_TRACK_PASS : FW_TRACK_INVALID; /* retransmission */
		if (!(syn && ack))
			return FW_TRACK_INVALID;
		t->state = FW_SYN_RECV;
		return FW_TRACK_PASS;
	case FW_SYN_RECV:
		if (!from_initiator)
			return syn && ack ? FW_TRACK_PASS : FW_TRACK_INVALID;
		if (syn || !ack)
			return FW_TRACK_INVALID;
		t->state = FW_ESTABLISHED;
		break;
	case FW_ESTABLISHED:
	case FW_CLOSING:
		if (syn)
			return FW_TRACK_INVALID;
		break;
	default: /* closed by FINs: late ACKs and retransmissions pass */
		return syn ? FW_TRACK_INVALID : FW_TRACK_PASS;
	}
	if (f & 0x01) {
		t->fin_mask |= from_initiator ? 1 : 2;
		t->state = t->fin_mask == 3 ? FW_CLOSED : FW_CLOSING;
	}
	return FW_TRACK_PASS;
}

enum fw_track_verdict fw_tcp_track(struct fw_tcp *t, const uint8_t *data, const struct fm_pkt *p,
				   bool from_initiator)
{
	const uint8_t *th = data + p->l4_off;
	int d = from_initiator ? 0 : 1;
	enum fw_track_verdict v;

	if (t->rst)
		return FW_TRACK_INVALID; /* nothing after a reset */
	if (p->tcp_flags & 0x04) {
		if (t->state == FW_NEW ||
		    !rst_in_window(t, d, nf_rd32(th + 4), p->tcp_flags & 0x10, nf_rd32(th + 8)))
			return t->state == FW_NEW ? FW_TRACK_INVALID : FW_TRACK_RST_BLIND;
		t->rst = 1;
		t->state = FW_CLOSED;
		return FW_TRACK_PASS;
	}
	v = state_step(t, p->tcp_flags, from_initiator);
	if (v == FW_TRACK_PASS)
		note_segment(t, d, data, p);
	return v;
}
