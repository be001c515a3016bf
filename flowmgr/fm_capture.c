/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_capture.c — nfctl capture, flowmgr's side (contract in fm_capture.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "fm_capture.h"

#include "flowmgr.h"
#include "fm_filter.h"
#include "fm_pkt.h"

#define CAP_SNAPLEN_DEFAULT 1600
#define CAP_SNAPLEN_MAX	    RTE_MBUF_DEFAULT_DATAROOM
#define CAP_REPLY_BUDGET    (CTL_MSG_MAX - 4096) /* bytes of packet data per reply */

struct fm_capture {
	struct ctl_conn *owner;
	uint32_t vnf;
	uint32_t dirs;
	uint32_t snaplen;
	struct fm_filter *flt;
	uint64_t filtered;
	uint64_t dropped_at_start; /* the VNF's cap_dropped when the capture began */
	uint64_t invalid;	   /* ring entries that were not copies of this capture */
	uintptr_t *objs;	   /* the capture pool's objects, sorted: an entry must be one */
	unsigned int nb_objs;
};

static void collect_obj(struct rte_mempool *mp, void *opaque, void *obj, unsigned int idx)
{
	struct fm_capture *cap = opaque;

	(void)mp;
	(void)idx;
	cap->objs[cap->nb_objs++] = (uintptr_t)obj;
}

static int cmp_uptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/* A ring entry is a copy only if it is one of the pool's objects (the ring is the VNF's to
 * write: anything else is counted and never dereferenced). */
static bool is_pool_obj(const struct fm_capture *cap, const void *p)
{
	uintptr_t key = (uintptr_t)p;

	return bsearch(&key, cap->objs, cap->nb_objs, sizeof(key), cmp_uptr) != NULL;
}

/* Back to the pool without trusting the header a VNF may have written (rte_pktmbuf_free would
 * follow its next pointer and reference count). */
static void put_back(struct flowmgr *fm, struct rte_mbuf *m)
{
	m->next = NULL;
	m->nb_segs = 1;
	rte_mbuf_refcnt_set(m, 1);
	rte_mempool_put(fm->cap_pool, m);
}

/* The copy's bytes, found from the object's own address (never from the header's pointers),
 * NULL if its offsets do not fit in its buffer. */
static const uint8_t *copy_data(const struct flowmgr *fm, const struct rte_mbuf *m, uint32_t *len)
{
	uint16_t room = rte_pktmbuf_data_room_size(fm->cap_pool);
	uint16_t priv = rte_pktmbuf_priv_size(fm->cap_pool);
	uint16_t off = m->data_off, dl = m->data_len;

	if ((uint32_t)off + dl > room)
		return NULL;
	*len = dl < *len ? dl : *len;
	return (const uint8_t *)m + sizeof(struct rte_mbuf) + priv + off;
}

/* Frees what waits on the ring (copies of an earlier capture, or of a VNF slow to see the
 * flag cleared). */
static void drain(struct flowmgr *fm, const struct fm_capture *cap, uint64_t *invalid)
{
	void *objs[64];
	unsigned int n;

	while ((n = rte_ring_dequeue_burst(fm->cap_ring, objs, 64, NULL)) > 0)
		for (unsigned int i = 0; i < n; i++) {
			if (!is_pool_obj(cap, objs[i])) {
				(*invalid)++;
				continue;
			}
			put_back(fm, objs[i]);
		}
}

static void cap_end(struct flowmgr *fm)
{
	struct fm_capture *cap = fm->cap;
	uint64_t invalid = 0;

	if (cap == NULL)
		return;
	atomic_store_explicit(&fm->shm->vnfs[cap->vnf].cap_flags, 0, memory_order_release);
	drain(fm, cap, &invalid);
	RTE_LOG(NOTICE, USER1, "flowmgr: capture of VNF %s ended (%" PRIu64 " invalid entries)\n",
		fm->shm->vnfs[cap->vnf].name, cap->invalid + invalid);
	fm_filter_destroy(cap->flt);
	free(cap->objs);
	free(cap);
	fm->cap = NULL;
}

static int cap_start(struct flowmgr *fm, struct ctl_conn *c, const Flowsplice__Capture *q,
		     Flowsplice__Reply *rep)
{
	struct fm_capture *cap;
	char err[256];
	uint32_t id = 0;
	uint64_t invalid = 0;

	for (uint32_t v = 1; v <= (uint32_t)fm->cfg->chain.nb_vnfs; v++)
		if (q->vnf != NULL && strcmp(fm->cfg->chain.vnfs[v - 1].name, q->vnf) == 0)
			id = v;
	if (id == 0)
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_NOT_FOUND,
				       "no VNF named \"%s\"", q->vnf != NULL ? q->vnf : "");
	if (q->dirs == 0 || (q->dirs & ~(FM_CAP_IN | FM_CAP_OUT)) != 0)
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_INVALID,
				       "dirs: 1 (in), 2 (out) or 3 (both)");
	if (q->snaplen > CAP_SNAPLEN_MAX)
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_INVALID,
				       "snaplen: at most %u", (unsigned int)CAP_SNAPLEN_MAX);
	cap = calloc(1, sizeof(*cap));
	if (cap == NULL)
		return -ENOMEM;
	if (q->filter != NULL && q->filter[0] != '\0' &&
	    fm_filter_parse(q->filter, &cap->flt, err, sizeof(err)) < 0) {
		free(cap);
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_INVALID, "filter: %s",
				       err);
	}
	cap->objs = calloc(fm->cap_pool->size, sizeof(*cap->objs));
	if (cap->objs == NULL) {
		fm_filter_destroy(cap->flt);
		free(cap);
		return -ENOMEM;
	}
	rte_mempool_obj_iter(fm->cap_pool, collect_obj, cap);
	qsort(cap->objs, cap->nb_objs, sizeof(*cap->objs), cmp_uptr);
	cap->owner = c;
	cap->vnf = id;
	cap->dirs = q->dirs;
	cap->snaplen = q->snaplen != 0 ? q->snaplen : CAP_SNAPLEN_DEFAULT;
	drain(fm, cap, &invalid);
	cap->invalid = invalid;
	cap->dropped_at_start =
	    atomic_load_explicit(&fm->shm->vnfs[id].cap_dropped, memory_order_relaxed);
	fm->cap = cap;
	atomic_store_explicit(&fm->shm->vnfs[id].cap_flags, q->dirs, memory_order_release);
	RTE_LOG(NOTICE, USER1, "flowmgr: capture of VNF %s started (%s%s%s)\n", q->vnf,
		q->dirs == 3   ? "in and out"
		: q->dirs == 1 ? "in"
			       : "out",
		cap->flt != NULL ? ", filter " : "", cap->flt != NULL ? q->filter : "");
	return 0;
}

/* One copy into a CapturedPacket, if the filter takes it; the copy goes back to the pool either
 * way. The private header and the packet are the VNF's to write: they are only values here. */
static Flowsplice__CapturedPacket *take(struct flowmgr *fm, struct fm_capture *cap,
					struct ctl_conn *c, struct rte_mbuf *m, size_t *budget)
{
	const struct fm_cap_hdr *h = rte_mbuf_to_priv(m);
	uint32_t len = cap->snaplen;
	const uint8_t *data = copy_data(fm, m, &len);
	Flowsplice__CapturedPacket *p = NULL;
	uint8_t *copy;
	struct fm_pkt pkt;

	if (data == NULL) {
		cap->invalid++;
		goto out;
	}
	if (h->vnf != cap->vnf || (h->dir & cap->dirs) == 0)
		goto out; /* a late copy of another capture */
	if (cap->flt != NULL &&
	    (fm_pkt_parse(data, len, &pkt) < 0 || !fm_filter_match(cap->flt, &pkt))) {
		cap->filtered++;
		goto out;
	}
	p = ctl_reply_alloc(c, sizeof(*p));
	copy = ctl_reply_alloc(c, len > 0 ? len : 1);
	if (p == NULL || copy == NULL) {
		p = NULL;
		goto out;
	}
	flowsplice__captured_packet__init(p);
	memcpy(copy, data, len);
	p->ts_ns = h->ts_ns;
	p->dir = h->dir;
	p->orig_len = h->orig_len > len ? h->orig_len : len;
	p->data.data = copy;
	p->data.len = len;
	*budget = *budget > len + 32 ? *budget - len - 32 : 0;
out:
	put_back(fm, m);
	return p;
}

static int cap_fetch(struct flowmgr *fm, struct ctl_conn *c, Flowsplice__Reply *rep)
{
	struct fm_capture *cap = fm->cap;
	size_t budget = CAP_REPLY_BUDGET, max = CAP_REPLY_BUDGET / 64;
	Flowsplice__CaptureData *d = ctl_reply_alloc(c, sizeof(*d));
	Flowsplice__CapturedPacket **list = ctl_reply_alloc(c, max * sizeof(*list));

	if (d == NULL || list == NULL)
		return -ENOMEM;
	flowsplice__capture_data__init(d);
	d->pkts = list;
	while (d->n_pkts < max && budget > cap->snaplen + 32) {
		void *obj;

		if (rte_ring_dequeue(fm->cap_ring, &obj) != 0)
			break;
		if (!is_pool_obj(cap, obj)) {
			cap->invalid++;
			continue;
		}
		Flowsplice__CapturedPacket *p = take(fm, cap, c, obj, &budget);

		if (p != NULL)
			list[d->n_pkts++] = p;
	}
	d->more = !rte_ring_empty(fm->cap_ring);
	d->filtered = cap->filtered;
	d->dropped =
	    atomic_load_explicit(&fm->shm->vnfs[cap->vnf].cap_dropped, memory_order_relaxed) -
	    cap->dropped_at_start;
	rep->body_case = FLOWSPLICE__REPLY__BODY_CAPTURE;
	rep->capture = d;
	return 0;
}

int fm_capture_request(struct flowmgr *fm, struct ctl_conn *c, const Flowsplice__Capture *q,
		       Flowsplice__Reply *rep)
{
	if (fm->cap != NULL && fm->cap->owner != c)
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_BUSY,
				       "a capture of VNF %s is running (one at a time)",
				       fm->shm->vnfs[fm->cap->vnf].name);
	if (q->stop) {
		if (fm->cap == NULL)
			return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_INVALID,
					       "no capture running");
		cap_end(fm);
		return 0;
	}
	if (fm->cap == NULL) {
		int rc = cap_start(fm, c, q, rep);

		if (rc < 0 || rep->code != FLOWSPLICE__ERROR_CODE__OK)
			return rc;
	}
	return cap_fetch(fm, c, rep);
}

void fm_capture_conn_closed(struct flowmgr *fm, struct ctl_conn *c)
{
	if (fm->cap != NULL && fm->cap->owner == c)
		cap_end(fm);
}

void fm_capture_stop(struct flowmgr *fm)
{
	cap_end(fm);
}
