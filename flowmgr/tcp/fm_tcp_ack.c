/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_tcp_ack.c — ACK and SACK mapping, and which ACKs may prune (fm_tcp_int.h lists the wing). */
#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "fm_tcp_int.h"

/*
 * ACK and SACK blocks of a packet from the receiver of direction `p` (the peer): to input space.
 * Only an acceptable ACK — not beyond what left for the receiver (p->out_nxt: the receiver cannot
 * have acknowledged more) — frees p's copies and prunes p's list (fm_seqmap.h: only validated ACKs
 * may prune). Any other (a blind or forged ACK, or one for a direction flowmgr has sent nothing
 * of) is mapped without touching p's state and counted; its receiver ignores it, as RFC 9293
 * 3.10.7.4 says of an ACK of something not yet sent. Without the check, one blind ACK up to 2^31
 * ahead folded every modification into the map's base and desynchronised the connection.
 */
bool fm_tcp_map_ack(struct fm_tcp *t, struct fm_tcp_dir *p, struct fm_tcp_hdrs *h, uint8_t wscale)
{
	uint32_t ack = rte_be_to_cpu_32(h->tcp->recv_ack);
	uint32_t win = (uint32_t)rte_be_to_cpu_16(h->tcp->rx_win) << wscale;
	bool ok = p->out_valid && fm_seq_leq(ack, p->out_nxt);
	uint8_t *sack = fm_tcp_opt(h, 5, 0);

	/* The sender may have at most what flowmgr keeps copies of in flight: the receive window it
	 * is shown is clamped (SYNs excluded: their window is never scaled). */
	if (!(h->flags & RTE_TCP_SYN_FLAG) && win > FM_TCP_WIN_MAX)
		h->tcp->rx_win = rte_cpu_to_be_16((uint16_t)(FM_TCP_WIN_MAX >> wscale));
	if (!ok) {
		CNT(t, ACK_UNSENT);
		h->tcp->recv_ack = rte_cpu_to_be_32(fm_seqmap_unmap_ack(&p->map, ack));
	} else {
		if (!p->acked_valid || fm_seq_gt(ack, p->acked_out)) {
			p->acked_out = ack;
			p->acked_valid = 1;
			while (p->h_n > 0 && fm_seq_leq(fm_tcp_hist_at(t, p, 0)->out_end, ack))
				fm_tcp_hist_pop(t, p);
		}
		h->tcp->recv_ack = rte_cpu_to_be_32(fm_seqmap_ack(&p->map, ack));
		fm_tcp_map_idle(t, p); /* every modification acknowledged: the entries go back */
		p->nsack_out = 0;
	}
	for (uint32_t b = 2; sack != NULL && b + 8 <= sack[1]; b += 8) {
		uint32_t l = rte_be_to_cpu_32(*(unaligned_uint32_t *)(sack + b));
		uint32_t r = rte_be_to_cpu_32(*(unaligned_uint32_t *)(sack + b + 4));

		/* what replays need not repeat: blocks of an acceptable ACK within what was sent */
		if (ok && p->nsack_out < 4 && fm_seq_lt(l, r) && fm_seq_leq(r, p->out_nxt)) {
			p->osack_l[p->nsack_out] = l;
			p->osack_r[p->nsack_out++] = r;
		}
		if (fm_seqmap_unmap_sack(&p->map, &l, &r) < 0) {
			/* no input byte covered: an empty block (L = R) is ignored */
			l = r = fm_seqmap_unmap_ack(&p->map, ack);
			CNT(t, SACK_DROPPED);
		}
		*(unaligned_uint32_t *)(sack + b) = rte_cpu_to_be_32(l);
		*(unaligned_uint32_t *)(sack + b + 4) = rte_cpu_to_be_32(r);
	}
	return ok;
}
