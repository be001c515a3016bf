/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_mbuf_check.c — the packet pool's layout, for checking ring entries (fm_mbuf_check.h).
 */
#include <errno.h>
#include <string.h>

#include <rte_mempool.h>

#include "fm_mbuf_check.h"

struct walk {
	struct fm_mbuf_check *c;
	int overflow;
};

/* Objects come in address order within a chunk: extend the current run or start a new one. */
static void one(struct rte_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	struct walk *w = arg;
	struct fm_mbuf_check *c = w->c;
	uintptr_t a = (uintptr_t)obj;

	(void)mp;
	(void)idx;
	for (unsigned int i = 0; i < c->nb; i++)
		if (a == c->r[i].last + c->stride) {
			c->r[i].last = a;
			return;
		}
	if (c->nb == FM_MBUF_RANGES) {
		w->overflow = 1;
		return;
	}
	c->r[c->nb].first = c->r[c->nb].last = a;
	c->nb++;
}

int fm_mbuf_check_init(struct fm_mbuf_check *c, const struct rte_mempool *mp, int meta_off)
{
	struct rte_mempool *m = (struct rte_mempool *)(uintptr_t)mp;
	struct walk w = {.c = c, .overflow = 0};

	memset(c, 0, sizeof(*c));
	if (mp == NULL || meta_off < 0)
		return -EINVAL;
	c->mp = mp;
	c->meta_off = meta_off;
	c->stride = (uintptr_t)mp->header_size + mp->elt_size + mp->trailer_size;
	c->buf_off = sizeof(struct rte_mbuf) + rte_pktmbuf_priv_size(m);
	c->buf_len = rte_pktmbuf_data_room_size(m);
	if (c->stride == 0)
		return -EINVAL;
	rte_mempool_obj_iter(m, one, &w);
	return w.overflow ? -E2BIG : 0;
}
