/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_fcb_pool.c — fixed-size FCB slots in one region (fm_fcb_pool.h). */
#include "fm_fcb_pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct fm_fcb_pool {
	uint8_t *region;
	size_t stride;
	size_t obj_size;
	uint32_t max;
	uint32_t base;
	uint32_t hwm;	    /* slots [0, hwm) have been carved */
	uint32_t free_head; /* local index, FM_POOL_NONE */
	uint32_t in_use;    /* IN_USE + DRAINING */
	uint32_t draining;
};

size_t fm_fcb_pool_stride(size_t obj_size)
{
	return fm_fcb_slot_stride(obj_size);
}

size_t fm_fcb_pool_region_size(size_t obj_size, uint32_t max)
{
	return fm_fcb_pool_stride(obj_size) * (size_t)max;
}

int fm_fcb_pool_create(void *region, size_t len, size_t obj_size, uint32_t max, uint32_t base_index,
		       struct fm_fcb_pool **out)
{
	*out = NULL;
	if (!region || !obj_size || !max || ((uintptr_t)region & 63u) ||
	    len < fm_fcb_pool_region_size(obj_size, max) ||
	    (uint64_t)base_index + max > FM_POOL_NONE)
		return -EINVAL;
	struct fm_fcb_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->region = region;
	p->stride = fm_fcb_pool_stride(obj_size);
	p->obj_size = obj_size;
	p->max = max;
	p->base = base_index;
	p->free_head = FM_POOL_NONE;
	*out = p;
	return 0;
}

void fm_fcb_pool_destroy(struct fm_fcb_pool *p)
{
	free(p);
}

static inline struct fm_pool_slot *slot_at(const struct fm_fcb_pool *p, uint32_t local)
{
	return (struct fm_pool_slot *)(p->region + (size_t)local * p->stride);
}

void *fm_fcb_pool_get(struct fm_fcb_pool *p)
{
	uint32_t i = p->free_head;
	struct fm_pool_slot *s;
	if (i != FM_POOL_NONE) {
		s = slot_at(p, i);
		p->free_head = s->next;
	} else if (p->hwm < p->max) {
		i = p->hwm++;
		s = slot_at(p, i);
		s->gen = 0;
	} else {
		return NULL;
	}
	s->state = FM_SLOT_IN_USE;
	s->flags = 0;
	s->list = 0;
	s->prev = s->next = FM_POOL_NONE;
	s->aux = 0;
	s->created = 0;
	p->in_use++;
	/* the slot the next get hands out, for writing (the tree copies a template into it): its
	 * lines arrive while this one is being filled */
	uint32_t nx = p->free_head != FM_POOL_NONE ? p->free_head : p->hwm < p->max ? p->hwm : i;
	if (nx != i) {
		const uint8_t *q = (const uint8_t *)slot_at(p, nx);
		for (size_t off = 0; off < p->stride; off += 64)
			__builtin_prefetch(q + off, 1);
	}
	return (uint8_t *)s + FM_POOL_SLOT_HDR;
}

void fm_fcb_pool_put(struct fm_fcb_pool *p, void *obj)
{
	struct fm_pool_slot *s = fm_fcb_pool_slot_of(obj);
	if (s->state == FM_SLOT_DRAINING)
		p->draining--;
	s->state = FM_SLOT_FREE;
	s->gen++;
	s->next = p->free_head;
	p->free_head = fm_fcb_pool_local(p, obj);
	p->in_use--;
}

void fm_fcb_pool_drain(struct fm_fcb_pool *p, void *obj)
{
	struct fm_pool_slot *s = fm_fcb_pool_slot_of(obj);
	if (s->state != FM_SLOT_IN_USE)
		return;
	s->state = FM_SLOT_DRAINING;
	p->draining++;
}

static void *hook_alloc(void *opaque, size_t size)
{
	struct fm_fcb_pool *p = opaque;
	if (size > p->obj_size)
		return NULL;
	return fm_fcb_pool_get(p);
}

static void hook_free(void *opaque, void *ptr, size_t size)
{
	(void)size;
	fm_fcb_pool_put(opaque, ptr);
}

struct fm_alloc fm_fcb_pool_alloc(struct fm_fcb_pool *p)
{
	struct fm_alloc a = {hook_alloc, hook_free, p};
	return a;
}

uint32_t fm_fcb_pool_local(const struct fm_fcb_pool *p, const void *obj)
{
	return (uint32_t)(((const uint8_t *)obj - FM_POOL_SLOT_HDR - p->region) / p->stride);
}

uint32_t fm_fcb_pool_index(const struct fm_fcb_pool *p, const void *obj)
{
	return p->base + fm_fcb_pool_local(p, obj);
}

void *fm_fcb_pool_ptr(const struct fm_fcb_pool *p, uint32_t index)
{
	if (index < p->base || index - p->base >= p->hwm)
		return NULL;
	return p->region + (size_t)(index - p->base) * p->stride + FM_POOL_SLOT_HDR;
}

void *fm_fcb_pool_local_ptr(const struct fm_fcb_pool *p, uint32_t local)
{
	return p->region + (size_t)local * p->stride + FM_POOL_SLOT_HDR;
}

bool fm_fcb_pool_owns(const struct fm_fcb_pool *p, const void *obj)
{
	const uint8_t *o = obj;
	if (o < p->region + FM_POOL_SLOT_HDR || o >= p->region + (size_t)p->max * p->stride)
		return false;
	return (size_t)(o - FM_POOL_SLOT_HDR - p->region) % p->stride == 0;
}

uint32_t fm_fcb_pool_in_use(const struct fm_fcb_pool *p)
{
	return p->in_use;
}
uint32_t fm_fcb_pool_draining(const struct fm_fcb_pool *p)
{
	return p->draining;
}
uint32_t fm_fcb_pool_capacity(const struct fm_fcb_pool *p)
{
	return p->max;
}
uint32_t fm_fcb_pool_carved(const struct fm_fcb_pool *p)
{
	return p->hwm;
}
bool fm_fcb_pool_is_full(const struct fm_fcb_pool *p)
{
	return p->in_use >= p->max;
}
size_t fm_fcb_pool_obj_size(const struct fm_fcb_pool *p)
{
	return p->obj_size;
}
size_t fm_fcb_pool_slot_stride(const struct fm_fcb_pool *p)
{
	return p->stride;
}
void *fm_fcb_pool_region(const struct fm_fcb_pool *p)
{
	return p->region;
}
