/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_mbuf_check.c — the packet pool's layout, for checking ring entries (fm_mbuf_check.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mempool.h>

#include "fm_mbuf_check.h"

struct walk {
	struct fm_mbuf_check *c;
	unsigned int cap; /* 0: count the runs only */
	uintptr_t last;	  /* the previous object */
};

/* Objects come in address order within a chunk: a new run wherever the stride breaks. */
static void one(struct rte_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	struct walk *w = arg;
	struct fm_mbuf_check *c = w->c;
	uintptr_t a = (uintptr_t)obj;

	(void)mp;
	(void)idx;
	if (c->nb > 0 && a == w->last + c->stride) {
		if (w->cap > 0)
			c->r[c->nb - 1].last = a;
	} else {
		if (w->cap > 0 && c->nb < w->cap)
			c->r[c->nb].first = c->r[c->nb].last = a;
		c->nb++;
	}
	w->last = a;
}

static int by_first(const void *x, const void *y)
{
	const struct fm_mbuf_range *a = x, *b = y;

	return a->first < b->first ? -1 : a->first > b->first;
}

int fm_mbuf_check_init(struct fm_mbuf_check *c, const struct rte_mempool *mp, int meta_off)
{
	struct rte_mempool *m = (struct rte_mempool *)(uintptr_t)mp;
	struct walk w = {.c = c, .cap = 0, .last = 0};
	unsigned int runs;

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
	rte_mempool_obj_iter(m, one, &w); /* count */
	runs = c->nb;
	c->r = calloc(runs + 1, sizeof(*c->r));
	if (c->r == NULL)
		return -ENOMEM;
	c->nb = 0;
	w.cap = runs;
	rte_mempool_obj_iter(m, one, &w); /* fill: the same walk, the same runs */
	if (c->nb != runs) {
		fm_mbuf_check_uninit(c);
		return -EINVAL;
	}
	qsort(c->r, c->nb, sizeof(*c->r), by_first);
	return 0;
}

void fm_mbuf_check_uninit(struct fm_mbuf_check *c)
{
	free(c->r);
	c->r = NULL;
	c->nb = 0;
}
