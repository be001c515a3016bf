/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_tcp_pool.c — block pools and the mbuf budget of the TCP context (fm_tcp_pool.h). */
#include "fm_tcp_pool.h"

void fm_tcp_pool_init(struct fm_tcp_pool *p, void *mem, uint32_t *next, size_t size, uint32_t nb)
{
	p->mem = mem;
	p->next = next;
	p->size = size;
	p->nb = nb;
	p->used = p->peak = 0;
	for (uint32_t i = 0; i < nb; i++)
		next[i] = i + 1 < nb ? i + 1 : FM_TCP_POOL_NONE;
	p->free_head = nb > 0 ? 0 : FM_TCP_POOL_NONE;
}

uint32_t fm_tcp_pool_get(struct fm_tcp_pool *p)
{
	uint32_t i = p->free_head;

	if (i == FM_TCP_POOL_NONE)
		return i;
	p->free_head = p->next[i];
	p->next[i] = FM_TCP_POOL_NONE;
	if (++p->used > p->peak)
		p->peak = p->used;
	return i;
}

void fm_tcp_pool_put(struct fm_tcp_pool *p, uint32_t i)
{
	p->next[i] = p->free_head;
	p->free_head = i;
	p->used--;
}

void fm_tcp_budget_init(struct fm_tcp_budget *b, uint32_t pool_mbufs, uint32_t share_pct,
			uint32_t nb_workers, uint32_t hist_cap)
{
	uint64_t total;

	if (share_pct < FM_TCP_SHARE_MIN)
		share_pct = FM_TCP_SHARE_MIN;
	if (share_pct > FM_TCP_SHARE_MAX)
		share_pct = FM_TCP_SHARE_MAX;
	total = (uint64_t)pool_mbufs * share_pct / 100 / (nb_workers > 0 ? nb_workers : 1);
	b->total = (uint32_t)total;
	b->held_max = b->total / 4;
	b->copies_max = b->total - b->held_max;
	b->conn_cap = b->copies_max / 2;
	if (b->conn_cap > hist_cap)
		b->conn_cap = hist_cap;
	if (b->conn_cap < 64)
		b->conn_cap = 64;
	b->held = b->copies = b->inflight = 0;
	b->held_peak = b->copies_peak = 0;
}
