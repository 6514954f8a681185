/*
 * okta_telephony_zone: the shared memory that the abuse controls (and the
 * counters) keep their state in, shared by all workers and kept across
 * "nginx -s reload" when its size is unchanged, as nginx's own zones.
 *
 * The layout is limit_req's: a slab pool, one mutex (the pool's), an
 * rbtree of entries keyed by a CRC32 of their key with the key compared
 * on collision, and an LRU queue (most recently used first). An entry
 * that counts nothing any more (expire_ms passed) is freed when new ones
 * are made; when the zone is full the least recently used entries are
 * evicted, with one "warn" a minute, and the hook goes on.
 */

#include "ngx_http_okta_telephony.h"


namespace ngx_okta_telephony {

namespace {

/* Where an entry's key is: after its payload. */
u_char *
ot_entry_key(ot_entry_t *e)
{
    return reinterpret_cast<u_char *>(e) + e->key_offset;
}


void
ot_rbtree_insert(ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t  **p;
    ot_entry_t          *e, *t;

    e = reinterpret_cast<ot_entry_t *>(node);

    for ( ;; ) {

        if (node->key != temp->key) {
            p = (node->key < temp->key) ? &temp->left : &temp->right;

        } else {
            t = reinterpret_cast<ot_entry_t *>(temp);
            p = (ngx_memn2cmp(ot_entry_key(e), ot_entry_key(t), e->key_len,
                              t->key_len) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


ot_entry_t *
ot_zone_lookup(ot_zone_t *z, uint32_t hash, string_view key)
{
    ngx_rbtree_node_t  *node = z->sh->rbtree.root;
    ngx_rbtree_node_t  *sentinel = z->sh->rbtree.sentinel;
    ot_entry_t         *e;
    ngx_int_t           rc;

    while (node != sentinel) {

        if (hash != node->key) {
            node = (hash < node->key) ? node->left : node->right;
            continue;
        }

        e = reinterpret_cast<ot_entry_t *>(node);
        rc = ngx_memn2cmp(reinterpret_cast<u_char *>(
                              const_cast<char *>(key.data())),
                          ot_entry_key(e), key.size(), e->key_len);
        if (rc == 0) {
            return e;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


}  // namespace


/* Frees an entry. Zone locked. */
void
ot_zone_remove(ot_zone_t *z, ot_entry_t *e)
{
    ngx_queue_remove(&e->queue);
    ngx_rbtree_delete(&z->sh->rbtree, &e->node);
    ngx_slab_free_locked(z->shpool, e);
    z->sh->entries--;
}


namespace {


/* Frees up to n of the least recently used entries: expired ones only,
   or (force) whatever they are, counted as evictions. */
void
ot_zone_expire(ot_zone_t *z, ngx_uint_t n, bool force, uint64_t now)
{
    ngx_queue_t  *q;
    ot_entry_t   *e;

    while (n-- && !ngx_queue_empty(&z->sh->queue)) {
        q = ngx_queue_last(&z->sh->queue);
        e = ngx_queue_data(q, ot_entry_t, queue);

        if (e->expire_ms > now) {
            if (!force) {
                return;
            }
            z->sh->evictions++;
            z->evicted = 1;
        }

        ot_zone_remove(z, e);
    }
}


/* init of the shared zone: a new one, or the previous cycle's kept */
ngx_int_t
ot_zone_init(ngx_shm_zone_t *shm_zone, void *data)
{
    ot_zone_t  *oz = static_cast<ot_zone_t *>(data);
    ot_zone_t  *z = static_cast<ot_zone_t *>(shm_zone->data);
    size_t      len;

    if (oz) {
        z->sh = oz->sh;
        z->shpool = oz->shpool;
        return NGX_OK;
    }

    z->shpool = reinterpret_cast<ngx_slab_pool_t *>(shm_zone->shm.addr);

    if (shm_zone->shm.exists) {
        z->sh = static_cast<ot_zone_sh_t *>(z->shpool->data);
        return NGX_OK;
    }

    z->sh = static_cast<ot_zone_sh_t *>(
                ngx_slab_calloc(z->shpool, sizeof(ot_zone_sh_t)));
    if (z->sh == NULL) {
        return NGX_ERROR;
    }

    z->shpool->data = z->sh;

    ngx_rbtree_init(&z->sh->rbtree, &z->sh->sentinel, ot_rbtree_insert);
    ngx_queue_init(&z->sh->queue);

    len = sizeof(" in okta_telephony_zone \"\"") + shm_zone->shm.name.len;

    z->shpool->log_ctx = static_cast<u_char *>(
                             ngx_slab_alloc(z->shpool, len));
    if (z->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(z->shpool->log_ctx, " in okta_telephony_zone \"%V\"%Z",
                &shm_zone->shm.name);

    /* a full zone evicts: it is not an error */
    z->shpool->log_nomem = 0;

    return NGX_OK;
}

}  // namespace


/* okta_telephony_zone NAME SIZE; */
char *
ot_set_zone(ngx_conf_t *cf, ngx_command_t *, void *)
{
    ngx_str_t       *value = static_cast<ngx_str_t *>(cf->args->elts);
    ssize_t          size;
    ngx_shm_zone_t  *shm_zone;
    ot_zone_t       *z;

    size = ngx_parse_size(&value[2]);
    if (size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"okta_telephony_zone\" \"%V\": invalid size "
                           "\"%V\"", &value[1], &value[2]);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"okta_telephony_zone\" \"%V\" is too small: "
                           "at least %uzk", &value[1],
                           (size_t) (8 * ngx_pagesize) / 1024);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    z = static_cast<ot_zone_t *>(ngx_pcalloc(cf->pool, sizeof(ot_zone_t)));
    if (z == NULL) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    shm_zone = ngx_shared_memory_add(cf, &value[1], size,
                                     &ngx_http_okta_telephony_module);
    if (shm_zone == NULL) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"okta_telephony_zone\" \"%V\" is duplicate",
                           &value[1]);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    z->shm_zone = shm_zone;
    shm_zone->init = ot_zone_init;
    shm_zone->data = z;

    return NGX_CONF_OK;
}


/* A directive's zone=NAME: the zone, which may be defined later in the
   file; ot_check_zone_refs() refuses one that never is. */
ngx_shm_zone_t *
ot_zone_ref(ngx_conf_t *cf, string_view name)
{
    ot_main_conf_t  *mcf;
    ot_zone_ref_t   *ref;
    ngx_str_t        s;
    ngx_shm_zone_t  *shm_zone;

    s.data = reinterpret_cast<u_char *>(const_cast<char *>(name.data()));
    s.len = name.size();

    shm_zone = ngx_shared_memory_add(cf, &s, 0,
                                     &ngx_http_okta_telephony_module);
    if (shm_zone == NULL) {
        return NULL;
    }

    mcf = static_cast<ot_main_conf_t *>(ngx_http_conf_get_module_main_conf(
              cf, ngx_http_okta_telephony_module));

    ref = static_cast<ot_zone_ref_t *>(ngx_array_push(&mcf->zone_refs));
    if (ref == NULL) {
        return NULL;
    }

    ref->zone = shm_zone;
    ref->directive = static_cast<ngx_str_t *>(cf->args->elts)[0];
    ref->file = cf->conf_file->file.name.data;
    ref->line = cf->conf_file->line;

    return shm_zone;
}


/* postconfiguration: every zone=NAME names an okta_telephony_zone */
ngx_int_t
ot_check_zone_refs(ngx_conf_t *cf)
{
    ot_main_conf_t  *mcf;
    ot_zone_ref_t   *ref;
    ngx_uint_t       i;

    mcf = static_cast<ot_main_conf_t *>(ngx_http_conf_get_module_main_conf(
              cf, ngx_http_okta_telephony_module));
    ref = static_cast<ot_zone_ref_t *>(mcf->zone_refs.elts);

    for (i = 0; i < mcf->zone_refs.nelts; i++) {
        if (ref[i].zone->data != NULL) {
            continue;
        }

        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"%V\" in %s:%ui names zone \"%V\", which no "
                      "\"okta_telephony_zone\" defines", &ref[i].directive,
                      ref[i].file, ref[i].line, &ref[i].zone->shm.name);
        return NGX_ERROR;
    }

    return NGX_OK;
}


void *
ot_create_main_conf(ngx_conf_t *cf)
{
    ot_main_conf_t  *mcf;

    mcf = static_cast<ot_main_conf_t *>(
              ngx_pcalloc(cf->pool, sizeof(ot_main_conf_t)));
    if (mcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&mcf->zone_refs, cf->pool, 4, sizeof(ot_zone_ref_t))
        != NGX_OK)
    {
        return NULL;
    }

    if (ngx_array_init(&mcf->jwks_sources, cf->pool, 1,
                       sizeof(ot_jwks_source_t))
        != NGX_OK)
    {
        return NULL;
    }

    return mcf;
}


/*
 * The entry for key, made (zeroed payload) when create and absent. Call
 * with the zone locked. NULL: absent, or no memory even after evicting.
 * Moves the entry to the front of the LRU queue and keeps it for at least
 * a second: making the next entry must not free one the caller holds.
 */
ot_entry_t *
ot_zone_entry(ot_zone_t *z, string_view key, size_t payload, bool create,
    uint64_t now)
{
    uint32_t     hash;
    size_t       size;
    ot_entry_t  *e;
    ngx_uint_t   tries;

    hash = ngx_crc32_short(reinterpret_cast<u_char *>(
                               const_cast<char *>(key.data())), key.size());

    e = ot_zone_lookup(z, hash, key);
    if (e != NULL) {
        ngx_queue_remove(&e->queue);
        ngx_queue_insert_head(&z->sh->queue, &e->queue);
        /* in use: not expired while the caller holds it */
        e->expire_ms = ngx_max(e->expire_ms, now + 1000);
        return e;
    }

    if (!create || key.size() > 255) {
        return NULL;
    }

    /* what no longer counts makes room first */
    ot_zone_expire(z, 2, false, now);

    size = offsetof(ot_entry_t, payload) + payload + key.size();

    for (tries = 0; tries < 8; tries++) {
        e = static_cast<ot_entry_t *>(ngx_slab_alloc_locked(z->shpool, size));
        if (e != NULL) {
            break;
        }
        ot_zone_expire(z, 1, true, now);
    }

    if (e == NULL) {
        return NULL;
    }

    ngx_memzero(e, offsetof(ot_entry_t, payload) + payload);
    e->expire_ms = now + 1000;
    e->node.key = hash;
    e->key_len = (u_char) key.size();
    e->key_offset = (uint16_t) (offsetof(ot_entry_t, payload) + payload);
    ngx_memcpy(ot_entry_key(e), key.data(), key.size());

    ngx_rbtree_insert(&z->sh->rbtree, &e->node);
    ngx_queue_insert_head(&z->sh->queue, &e->queue);
    z->sh->entries++;

    return e;
}


void
ot_zone_lock(ot_zone_t *z)
{
    z->evicted = 0;
    ngx_shmtx_lock(&z->shpool->mutex);
}


/* Unlocks; says once a minute (per worker) that a full zone evicted. */
void
ot_zone_unlock(ot_zone_t *z, ngx_log_t *log)
{
    bool  evicted = z->evicted;

    ngx_shmtx_unlock(&z->shpool->mutex);

    if (evicted && ngx_current_msec - z->warned_at >= 60000) {
        z->warned_at = ngx_current_msec;
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "okta telephony: okta_telephony_zone \"%V\" is full: "
                      "the least recently used entries were evicted",
                      &z->shm_zone->shm.name);
    }
}


/* ------------------------------------------------------------ figures -- */

namespace om = ot::metrics;

/* One zone's figures; its fetched keys read under the zone's lock. */
static void
ot_zone_stat(ot_zone_t *z, string_view name, om::ZoneStat *st)
{
    ot_jwks_sh_t  *j;
    int64_t        now = (int64_t) ngx_time(), oldest = now;

    *st = om::ZoneStat();
    st->name = name;
    st->entries = __atomic_load_n(&z->sh->entries, __ATOMIC_RELAXED);
    st->evictions = __atomic_load_n(&z->sh->evictions, __ATOMIC_RELAXED);

    if (z->sh->jwks == NULL) {
        return;
    }

    ot_zone_lock(z);

    for (j = z->sh->jwks; j; j = j->next) {
        st->jwks_fetches += j->state.fetches;
        st->jwks_failures += j->state.failures;

        if (j->text != NULL) {
            st->jwks_documents++;
            st->jwks_keys += j->keys;
            oldest = ngx_min(oldest, j->state.fetched_at);
        }
    }

    ot_zone_unlock(z, ngx_cycle->log);

    st->jwks_age = now - oldest;
}


/* Every okta_telephony_zone of this configuration: entries, evictions. */
om::ZoneStat *
ot_zone_stats(ngx_pool_t *pool, size_t *n)
{
    ngx_list_part_t  *part;
    ngx_shm_zone_t   *shm;
    om::ZoneStat     *stats;
    ot_zone_t        *z;
    ngx_uint_t        i, pass;

    stats = NULL;

    /* pass 0 counts, pass 1 fills */
    for (pass = 0; pass < 2; pass++) {
        *n = 0;
        part = &const_cast<ngx_cycle_t *>(ngx_cycle)->shared_memory.part;
        shm = static_cast<ngx_shm_zone_t *>(part->elts);

        for (i = 0; /* void */; i++) {

            if (i >= part->nelts) {
                if (part->next == NULL) {
                    break;
                }
                part = part->next;
                shm = static_cast<ngx_shm_zone_t *>(part->elts);
                i = 0;
            }

            if (shm[i].tag != &ngx_http_okta_telephony_module
                || shm[i].data == NULL)
            {
                continue;
            }

            if (pass == 1) {
                z = static_cast<ot_zone_t *>(shm[i].data);
                ot_zone_stat(z, ot_sv(shm[i].shm.name), &stats[*n]);
            }

            (*n)++;
        }

        if (pass == 0) {
            stats = static_cast<om::ZoneStat *>(
                        ngx_palloc(pool, (*n + 1) * sizeof(om::ZoneStat)));
            if (stats == NULL) {
                return NULL;
            }
        }
    }

    return stats;
}

}  // namespace ngx_okta_telephony
