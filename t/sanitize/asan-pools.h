/*
 * Force-included (-include) into the module's sources by
 * `./build.sh test --asan`; never part of a normal build.
 *
 * The module takes most of its memory from nginx pools, and a pool hands
 * out slices of one big block: AddressSanitizer cannot see an overflow from
 * one slice into the next, or a use after the pool is gone. Here the
 * module's own ngx_palloc/ngx_pnalloc/ngx_pcalloc calls become
 * ngx_pmemalign(), which gives every allocation its own malloc()ed block
 * (with ASan's redzones) that the pool still frees when it is destroyed,
 * so the lifetime is unchanged. Allocations made inside nginx itself
 * (ngx_create_temp_buf, ngx_array_push, ...) keep the usual pool slices.
 */

#ifndef OKTATEL_ASAN_POOLS_H
#define OKTATEL_ASAN_POOLS_H

#ifdef __cplusplus
extern "C" {
#endif
#include <ngx_config.h>
#include <ngx_core.h>
#ifdef __cplusplus
}
#endif

static inline void *
oktatel_asan_palloc(ngx_pool_t *pool, size_t size)
{
    return ngx_pmemalign(pool, size, NGX_ALIGNMENT);
}

static inline void *
oktatel_asan_pcalloc(ngx_pool_t *pool, size_t size)
{
    void  *p = ngx_pmemalign(pool, size, NGX_ALIGNMENT);

    if (p != NULL) {
        ngx_memzero(p, size);
    }
    return p;
}

#define ngx_palloc(pool, size)   oktatel_asan_palloc(pool, size)
#define ngx_pnalloc(pool, size)  oktatel_asan_palloc(pool, size)
#define ngx_pcalloc(pool, size)  oktatel_asan_pcalloc(pool, size)

#endif
