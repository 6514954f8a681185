/*
 * ngx_http_okta_telephony_module: the shared-memory types of an
 * okta_telephony_zone (zone.cpp): its shared part, the entries of its
 * rbtree and LRU queue, and the fetched key documents kept there. All of
 * it is plain data, as anything in shared memory must be.
 */

#ifndef NGX_HTTP_OKTA_TELEPHONY_ZONE_H
#define NGX_HTTP_OKTA_TELEPHONY_ZONE_H

#include "ngx_okta_telephony_nginx.h"

#include <cstddef>

#include "abuse.hpp"
#include "events.hpp"
#include "jwt.hpp"
#include "metrics.hpp"


#pragma GCC visibility push(hidden)

namespace ngx_okta_telephony {

namespace ot = oktatel;


/* ---------------------------------------------------------------- zone -- */

/* An okta_telephony_zone's shared part (in the slab pool). */
struct ot_zone_sh_t {
    ngx_rbtree_t        rbtree;
    ngx_rbtree_node_t   sentinel;
    ngx_queue_t         queue;           /* LRU: most recently used first */
    ot::BreakerState    breaker[2];      /* by ot::Channel */
    uint64_t            entries;
    uint64_t            evictions;
    struct ot_jwks_sh_t *jwks;           /* fetched key documents */
    ot::metrics::Block *metrics;         /* the counters (metrics.cpp) */
};

/* A fetched JWKS kept for all workers (okta_telephony_jwks_zone): one per
   key location, never evicted; its text is re-allocated per document. */
struct ot_jwks_sh_t {
    ot_jwks_sh_t           *next;
    ot::jwt::JwksFetchState state;
    u_char                 *text;        /* the last document that parsed */
    size_t                  len;
    size_t                  keys;        /* its usable keys */
    u_char                  uri_len;
    u_char                  uri[255];
};

/* One entry: the rbtree node first, then the payload (a WindowState, a
   DedupeRecord or an 8x8 ReceiptRecord), then the key. */
struct ot_entry_t {
    ngx_rbtree_node_t   node;            /* key: CRC32 of the key */
    ngx_queue_t         queue;
    uint64_t            expire_ms;       /* counts nothing after this */
    uint16_t            key_offset;
    u_char              key_len;
    u_char              pad[5];
    union {
        ot::WindowState   window;
        ot::DedupeRecord  dedupe;
        ot::events::ReceiptRecord  receipt;
    }                   payload;
};

static_assert(sizeof(void *) != 8 || offsetof(ot_entry_t, payload) == 72,
              "the entry header the README's zone sizing counts");

/* A zone in this cycle (shm_zone->data); sh and shpool are shared. */
struct ot_zone_t {
    ngx_shm_zone_t     *shm_zone;
    ngx_slab_pool_t    *shpool;
    ot_zone_sh_t       *sh;
    ngx_msec_t          warned_at;       /* this worker's last "full" warn */
    unsigned            evicted:1;       /* in the locked section */
};

/* A zone=NAME seen in a directive, checked once the file is read. */
struct ot_zone_ref_t {
    ngx_shm_zone_t     *zone;
    ngx_str_t           directive;
    u_char             *file;
    ngx_uint_t          line;
};

}  // namespace ngx_okta_telephony

#pragma GCC visibility pop

#endif
