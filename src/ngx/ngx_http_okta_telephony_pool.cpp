/*
 * The request pool as the core's output and as yajl's allocator: every
 * byte the core builds for a hook lives in the request pool and is freed
 * with it, so a hook makes no heap allocation of its own.
 */

#include "ngx_http_okta_telephony.h"


namespace ngx_okta_telephony {

namespace {

/* The Sink's write: grows the buffer by doubling. */
void
ot_out_write(void *p, const char *s, size_t n)
{
    ot_out_t  *o = static_cast<ot_out_t *>(p);

    if (o->failed) {
        return;
    }

    if (o->len + n > o->cap) {
        size_t   cap = o->cap ? o->cap * 2 : 512;
        u_char  *d;

        while (cap < o->len + n) {
            cap *= 2;
        }

        d = static_cast<u_char *>(ngx_pnalloc(o->pool, cap));
        if (d == NULL) {
            o->failed = true;
            return;
        }

        if (o->len) {
            ngx_memcpy(d, o->data, o->len);
        }

        o->data = d;
        o->cap = cap;
    }

    ngx_memcpy(o->data + o->len, s, n);
    o->len += n;
}


/* yajl's allocator: the size is kept before the block for realloc. */
void *
ot_yajl_malloc(void *ctx, size_t size)
{
    size_t  *p;

    p = static_cast<size_t *>(ngx_palloc(static_cast<ngx_pool_t *>(ctx),
                                         size + sizeof(size_t) * 2));
    if (p == NULL) {
        return NULL;
    }

    p[0] = size;
    return p + 2;
}


void *
ot_yajl_realloc(void *ctx, void *ptr, size_t size)
{
    size_t  *old;
    void    *n;

    if (ptr == NULL) {
        return ot_yajl_malloc(ctx, size);
    }

    old = static_cast<size_t *>(ptr) - 2;
    if (size <= old[0]) {
        return ptr;
    }

    n = ot_yajl_malloc(ctx, size);
    if (n == NULL) {
        return NULL;
    }

    ngx_memcpy(n, ptr, old[0]);
    return n;
}


/* the pool frees it all at once */
void
ot_yajl_free(void *, void *)
{
}


#define OT_ARENA_BLOCK  8192
#define OT_ARENA_HEAD   (sizeof(size_t) * 2)    /* keeps 16-byte alignment */

/* The arena's malloc: the same size header as ot_yajl_malloc; a piece
   larger than a quarter block goes to the pool on its own. */
void *
ot_arena_malloc(void *p, size_t size)
{
    ot_arena_t  *a = static_cast<ot_arena_t *>(p);
    size_t       n, *h;

    if (size > OT_ARENA_BLOCK / 4) {
        return ot_yajl_malloc(a->pool, size);
    }

    n = ngx_align(size + OT_ARENA_HEAD, 16);

    if ((size_t) (a->end - a->pos) < n) {
        a->pos = static_cast<u_char *>(ngx_palloc(a->pool, OT_ARENA_BLOCK));
        if (a->pos == NULL) {
            a->end = NULL;
            return NULL;
        }
        a->end = a->pos + OT_ARENA_BLOCK;
    }

    h = reinterpret_cast<size_t *>(a->pos);
    a->pos += n;
    h[0] = size;

    return h + 2;
}


/* Grows in place when ptr is the last piece and the block has room (a
   stack or buffer that yajl doubles), else copies. */
void *
ot_arena_realloc(void *p, void *ptr, size_t size)
{
    ot_arena_t  *a = static_cast<ot_arena_t *>(p);
    size_t      *old, n;
    u_char      *tail;
    void        *d;

    if (ptr == NULL) {
        return ot_arena_malloc(a, size);
    }

    old = static_cast<size_t *>(ptr) - 2;
    if (size <= old[0]) {
        return ptr;
    }

    tail = reinterpret_cast<u_char *>(old)
           + ngx_align(old[0] + OT_ARENA_HEAD, 16);
    n = ngx_align(size + OT_ARENA_HEAD, 16);

    if (tail == a->pos && size <= OT_ARENA_BLOCK / 4
        && (size_t) (a->end - reinterpret_cast<u_char *>(old)) >= n)
    {
        a->pos = reinterpret_cast<u_char *>(old) + n;
        old[0] = size;
        return ptr;
    }

    d = ot_arena_malloc(a, size);
    if (d == NULL) {
        return NULL;
    }

    ngx_memcpy(d, ptr, old[0]);
    return d;
}

}  // namespace


ot::Sink
ot_sink(ot_out_t *o)
{
    return ot::Sink{ ot_out_write, o };
}


yajl_alloc_funcs
ot_yajl_funcs(ngx_pool_t *pool)
{
    yajl_alloc_funcs  af;

    af.malloc = ot_yajl_malloc;
    af.realloc = ot_yajl_realloc;
    af.free = ot_yajl_free;
    af.ctx = pool;

    return af;
}


yajl_alloc_funcs
ot_yajl_funcs(ot_arena_t *arena)
{
    yajl_alloc_funcs  af;

    af.malloc = ot_arena_malloc;
    af.realloc = ot_arena_realloc;
    af.free = ot_yajl_free;
    af.ctx = arena;

    return af;
}

}  // namespace ngx_okta_telephony
