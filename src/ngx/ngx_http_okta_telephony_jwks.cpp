/*
 * Keys fetched through okta_telephony_jwks_location (an internal location
 * that proxies {issuer}/v1/keys): a GET subrequest with none of Okta's
 * headers, bounded by a 1 s timer, made before the hook's body is read.
 * The JWKS text that parsed is kept in the okta_telephony_jwks_zone for
 * all workers (and across reloads), with the fetch state the core decides
 * on (jwks_should_fetch: one fetch at a time, an unknown kid at most once
 * per 30 s for the instance, a failure keeps the old keys); each worker
 * parses it again when its generation changes.
 */

#include "ngx_http_okta_telephony.h"

#include <exception>
#include <new>


namespace ngx_okta_telephony {

namespace {

/* a key fetch that takes longer is given up (the old keys stay) */
const ngx_msec_t  ot_fetch_timeout = 1000;
/* how often, and how long at most, a hook waits for another worker's
   first fetch */
const ngx_msec_t  ot_poll_interval = 50;
const ngx_msec_t  ot_poll_max = 1000;


ot_zone_t *
ot_jwks_zone(ot_jwks_source_t *src)
{
    return static_cast<ot_zone_t *>(src->zone->data);
}


/* The source's document in the zone; made when create. Zone locked. */
ot_jwks_sh_t *
ot_jwks_doc(ot_zone_t *z, ot_jwks_source_t *src, bool create)
{
    ot_jwks_sh_t  *d;

    for (d = z->sh->jwks; d; d = d->next) {
        if (d->uri_len == src->uri.len
            && ngx_memcmp(d->uri, src->uri.data, src->uri.len) == 0)
        {
            return d;
        }
    }

    if (!create || src->uri.len > sizeof(d->uri)) {
        return NULL;
    }

    d = static_cast<ot_jwks_sh_t *>(
            ngx_slab_calloc_locked(z->shpool, sizeof(ot_jwks_sh_t)));
    if (d == NULL) {
        return NULL;
    }

    d->uri_len = (u_char) src->uri.len;
    ngx_memcpy(d->uri, src->uri.data, src->uri.len);
    d->next = z->sh->jwks;
    z->sh->jwks = d;

    return d;
}


void
ot_delete_local(void *data)
{
    ot_jwks_local_t  *l = static_cast<ot_jwks_local_t *>(data);

    delete l->keys;
    l->keys = NULL;
}


ot_jwks_local_t *
ot_local(ot_jwks_source_t *src)
{
    ngx_pool_cleanup_t  *cln;

    if (src->local) {
        return src->local;
    }

    cln = ngx_pool_cleanup_add(ngx_cycle->pool, sizeof(ot_jwks_local_t));
    if (cln == NULL) {
        return NULL;
    }

    src->local = static_cast<ot_jwks_local_t *>(cln->data);
    src->local->keys = NULL;
    src->local->generation = 0;
    cln->handler = ot_delete_local;

    return src->local;
}


/* A JWKS text into a new KeySet; NULL (and *err) if it is not usable. */
ot::jwt::KeySet *
ot_parse_keys(string_view text, ngx_log_t *log, const char **err)
{
    ngx_pool_t           *pool;
    ot::jwt::KeySet      *keys;
    ot::jwt::JwksReport   rep;
    yajl_alloc_funcs      af;
    bool                  ok;

    *err = "no memory";

    pool = ngx_create_pool(4096, log);
    keys = new (std::nothrow) ot::jwt::KeySet;
    if (pool == NULL || keys == NULL) {
        delete keys;
        if (pool) {
            ngx_destroy_pool(pool);
        }
        return NULL;
    }

    af = ot_yajl_funcs(pool);

    try {
        ok = ot::jwt::parse_jwks(text, keys, &rep, &af);
        *err = ok ? "it holds no usable RS256 key" : rep.error;
        ok = ok && keys->usable() > 0;

    } catch (...) {
        ok = false;
    }

    ngx_destroy_pool(pool);

    if (!ok) {
        delete keys;
        return NULL;
    }

    *err = NULL;

    return keys;
}


/* The subrequest's reply as a new KeySet; NULL (and *err) if unusable. */
ot::jwt::KeySet *
ot_fetched_keys(ot_ctx_t *ctx, const char **err)
{
    if (ctx->redirected) {
        *err = "the subrequest was redirected";

    } else if (!ctx->header_seen) {
        *err = "no answer";

    } else if (ctx->reply_status != NGX_HTTP_OK) {
        *err = "not HTTP 200";

    } else if (ctx->reply_overflow) {
        *err = "larger than 256k";

    } else {
        return ot_parse_keys(string_view((char *) ctx->reply,
                                         ctx->reply_len),
                             ctx->request->connection->log, err);
    }

    return NULL;
}


/* Stores the fetched document for all workers (and this worker's parsed
   copy); false if the zone has no room. */
bool
ot_store_keys(ot_ctx_t *ctx, ot_jwks_source_t *src, ot::jwt::KeySet *keys)
{
    ot_zone_t        *z = ot_jwks_zone(src);
    ot_jwks_local_t  *l = ot_local(src);
    ot_jwks_sh_t     *d;
    u_char           *text;
    uint64_t          gen = 0;

    ot_zone_lock(z);

    d = ot_jwks_doc(z, src, true);
    text = d ? static_cast<u_char *>(
                   ngx_slab_alloc_locked(z->shpool, ctx->reply_len))
             : NULL;

    if (text != NULL) {
        if (d->text) {
            ngx_slab_free_locked(z->shpool, d->text);
        }

        ngx_memcpy(text, ctx->reply, ctx->reply_len);
        d->text = text;
        d->len = ctx->reply_len;
        d->keys = keys->usable();
        ot::jwt::jwks_fetch_done(&d->state, true, (std::int64_t) ctx->jwks_age,
                                 (std::int64_t) ngx_time());
        gen = d->state.generation;

    } else if (d != NULL) {
        ot::jwt::jwks_fetch_done(&d->state, false, 0,
                                 (std::int64_t) ngx_time());
    }

    ot_zone_unlock(z, ctx->request->connection->log);

    if (text == NULL || l == NULL) {
        delete keys;
        return text != NULL;
    }

    delete l->keys;
    l->keys = keys;
    l->generation = gen;

    return true;
}


/* The fetch has ended (or timed out): keys stored or the failure noted;
   the capture is made ready for the 8x8 request. */
void
ot_fetch_end(ot_ctx_t *ctx, const char *failure)
{
    ngx_http_request_t  *r = ctx->request;
    ot_jwks_source_t    *src = ot_jwks_source_of(r, ctx->conf);
    ot::jwt::KeySet     *keys = NULL;
    ot_zone_t           *z = ot_jwks_zone(src);
    ot_jwks_sh_t        *d;
    const char          *err = failure;

    if (err == NULL) {
        keys = ot_fetched_keys(ctx, &err);
    }

    if (keys != NULL && !ot_store_keys(ctx, src, keys)) {
        /* ot_store_keys noted the failure */
        keys = NULL;
        err = "no room in okta_telephony_jwks_zone";

    } else if (keys == NULL) {
        ot_zone_lock(z);
        d = ot_jwks_doc(z, src, false);
        if (d != NULL) {
            ot::jwt::jwks_fetch_done(&d->state, false, 0,
                                     (std::int64_t) ngx_time());
        }
        ot_zone_unlock(z, r->connection->log);
    }

    if (keys != NULL) {
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "okta telephony: keys fetched from \"%V\" (%s), "
                      "kept %T s", &src->uri,
                      ot::jwt::fetch_name(ctx->fetch_why), ctx->jwks_age);

    } else {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "okta telephony: key fetch from \"%V\" failed: %s "
                      "(HTTP %ui, %uz bytes); the keys held are kept, next "
                      "try in 30 s at the earliest", &src->uri, err,
                      ctx->header_seen ? ctx->reply_status : 0,
                      ctx->reply_len);
    }

    ctx->subrequest = NULL;
    ctx->jwks_fetch = 0;
    ctx->auth_waited = 1;
    ctx->reply = NULL;
    ctx->reply_len = 0;
    ctx->reply_size = 0;
    ctx->reply_status = 0;
    ctx->sub_rc = 0;
    ctx->sub_done = 0;
    ctx->reply_overflow = 0;
    ctx->header_seen = 0;
    ctx->sub_routed = 0;
    ctx->redirected = 0;
}


/* Goes on with the hook after the keys were fetched or awaited. */
void
ot_go_on(ngx_http_request_t *r)
{
    ngx_http_finalize_request(r, ot_finish_error(r,
                                     ot_guarded(r, ot_auth_resume)));
}


/* write event handler of the hook: the key fetch has ended */
void
ot_jwks_resume(ngx_http_request_t *r)
{
    ot_ctx_t  *ctx = ot_get_ctx(r);

    r->write_event_handler = ngx_http_request_empty_handler;

    if (ctx == NULL || !ctx->jwks_fetch) {
        return;
    }

    if (ctx->timer.timer_set) {
        ngx_del_timer(&ctx->timer);
    }

    ot_fetch_end(ctx, NULL);
    ot_go_on(r);
}


/* timer: the key fetch took longer than ot_fetch_timeout */
void
ot_jwks_timeout(ngx_event_t *ev)
{
    ngx_http_request_t  *r = static_cast<ngx_http_request_t *>(ev->data);
    ngx_connection_t    *c = r->connection;
    ot_ctx_t            *ctx = ot_get_ctx(r);

    if (ctx->sub_done) {
        /* answered, not yet posted */
        ot_jwks_resume(r);

    } else {
        ot_abort_subrequest(ctx);
        ot_fetch_end(ctx, "timed out after 1 s");
        ot_go_on(r);
    }

    ngx_http_run_posted_requests(c);
}


/* timer: is another worker's first fetch done? */
void
ot_jwks_poll_handler(ngx_event_t *ev)
{
    ngx_http_request_t  *r = static_cast<ngx_http_request_t *>(ev->data);
    ngx_connection_t    *c = r->connection;
    ot_ctx_t            *ctx = ot_get_ctx(r);
    ot_jwks_source_t    *src = ot_jwks_source_of(r, ctx->conf);
    ot_zone_t           *z = ot_jwks_zone(src);
    ot_jwks_sh_t        *d;
    bool                 wait;
    time_t               now = ngx_time();

    ot_zone_lock(z);
    d = ot_jwks_doc(z, src, false);
    wait = d != NULL && d->text == NULL && d->state.fetching_since != 0
           && now - d->state.fetching_since < ot::jwt::jwks_fetch_lost;
    ot_zone_unlock(z, c->log);

    if (wait && ngx_current_msec - ctx->auth_wait < ot_poll_max) {
        ngx_add_timer(&ctx->timer, ot_poll_interval);
        return;
    }

    ctx->auth_waited = 1;
    ot_go_on(r);
    ngx_http_run_posted_requests(c);
}

}  // namespace


/* This worker's parsed copy of the zone's document, parsed again when
   another worker stored a new one; NULL while there is none. */
const ot::jwt::KeySet *
ot_jwks_keys(ot_jwks_source_t *src, ngx_log_t *log)
{
    ot_zone_t        *z = ot_jwks_zone(src);
    ot_jwks_local_t  *l = ot_local(src);
    ot_jwks_sh_t     *d;
    ot::jwt::KeySet  *keys;
    u_char           *copy = NULL;
    size_t            len = 0;
    uint64_t          gen = 0;
    const char       *err;

    if (l == NULL) {
        return NULL;
    }

    ot_zone_lock(z);

    d = ot_jwks_doc(z, src, false);
    if (d != NULL && d->text != NULL && d->state.generation != l->generation)
    {
        copy = static_cast<u_char *>(ngx_alloc(d->len, log));
        if (copy != NULL) {
            ngx_memcpy(copy, d->text, d->len);
            len = d->len;
            gen = d->state.generation;
        }
    }

    ot_zone_unlock(z, log);

    if (copy == NULL) {
        return l->keys;
    }

    keys = ot_parse_keys(string_view((char *) copy, len), log, &err);
    ngx_free(copy);

    if (keys != NULL) {
        delete l->keys;
        l->keys = keys;
        l->generation = gen;
    }

    return l->keys;
}


/* Whether this hook fetches the keys first (started: counted in the
   zone), waits for another worker's first fetch, or goes on. */
ot_jwks_step_e
ot_jwks_decide(ot_jwks_source_t *src, bool unknown_kid, bool have_keys,
    ot::jwt::Fetch *why)
{
    ot_zone_t       *z = ot_jwks_zone(src);
    ot_jwks_sh_t    *d;
    ot_jwks_step_e   step = OT_JWKS_USE;
    std::int64_t     now = (std::int64_t) ngx_time();

    ot_zone_lock(z);

    d = ot_jwks_doc(z, src, true);
    if (d != NULL) {
        *why = ot::jwt::jwks_should_fetch(d->state, unknown_kid, now);

        if (*why != ot::jwt::Fetch::none) {
            ot::jwt::jwks_fetch_started(&d->state, *why, now);
            step = OT_JWKS_FETCH;

        } else if (!have_keys && d->state.fetching_since != 0
                   && now - d->state.fetching_since
                      < ot::jwt::jwks_fetch_lost)
        {
            step = OT_JWKS_POLL;
        }
    }

    ot_zone_unlock(z, ngx_cycle->log);

    return step;
}


/* The GET to the key location: none of Okta's headers, no body. */
ngx_int_t
ot_jwks_fetch(ot_ctx_t *ctx, ot_jwks_source_t *src, ot::jwt::Fetch why)
{
    ngx_http_request_t          *r = ctx->request;
    ngx_http_request_t          *sr;
    ngx_http_post_subrequest_t  *ps;

    ps = static_cast<ngx_http_post_subrequest_t *>(
             ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t)));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ot_jwks_post_subrequest;
    ps->data = ctx;

    if (ngx_http_subrequest(r, &src->uri, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_BACKGROUND)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->subrequest = sr;
    ctx->jwks_fetch = 1;
    ctx->fetch_why = why;
    ctx->reply_cap = ot::jwt::jwks_max;
    ngx_http_set_ctx(sr, ctx, ngx_http_okta_telephony_module);

    if (ot_own_headers(r, sr, -1) != NGX_OK) {
        return NGX_ERROR;
    }

    /* an empty body: the proxy must not read Okta's */
    sr->request_body = static_cast<ngx_http_request_body_t *>(
                           ngx_pcalloc(r->pool,
                                       sizeof(ngx_http_request_body_t)));
    if (sr->request_body == NULL) {
        return NGX_ERROR;
    }

    sr->filter_need_in_memory = 1;
    sr->header_only = 0;

    ctx->timer.handler = ot_jwks_timeout;
    ctx->timer.data = r;
    ctx->timer.log = r->connection->log;
    ngx_add_timer(&ctx->timer, ot_fetch_timeout);

    r->write_event_handler = ngx_http_request_empty_handler;

    return NGX_OK;
}


/* Another worker makes the first fetch: look again every 50 ms. */
void
ot_jwks_poll(ot_ctx_t *ctx)
{
    ngx_http_request_t  *r = ctx->request;

    ctx->auth_wait = ngx_current_msec;
    ctx->timer.handler = ot_jwks_poll_handler;
    ctx->timer.data = r;
    ctx->timer.log = r->connection->log;
    ngx_add_timer(&ctx->timer, ot_poll_interval);

    r->write_event_handler = ngx_http_request_empty_handler;
}


/* post subrequest handler of the key fetch: records how it ended */
ngx_int_t
ot_jwks_post_subrequest(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ot_ctx_t            *ctx = static_cast<ot_ctx_t *>(data);
    ngx_http_request_t  *r = ctx->request;
    ngx_list_part_t     *part = &sr->headers_out.headers.part;
    ngx_table_elt_t     *h = static_cast<ngx_table_elt_t *>(part->elts);
    string_view          cc;
    ngx_uint_t           i;

    if (ctx->sub_done || !ctx->jwks_fetch) {
        return NGX_OK;
    }

    ctx->sub_done = 1;
    ctx->sub_rc = rc;

    if (!ctx->header_seen && !ctx->redirected && rc == NGX_OK
        && sr->headers_out.status)
    {
        ctx->header_seen = 1;
        ctx->reply_status = sr->headers_out.status;
    }

    for (i = 0; /* void */; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }
            part = part->next;
            h = static_cast<ngx_table_elt_t *>(part->elts);
            i = 0;
        }

        if (h[i].hash && h[i].key.len == sizeof("Cache-Control") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "Cache-Control",
                               h[i].key.len) == 0)
        {
            cc = ot_sv(h[i].value);
            break;
        }
    }

    ctx->jwks_age = (time_t) ot::jwt::jwks_cache_age(cc);

    r->write_event_handler = ot_jwks_resume;
    (void) ngx_http_post_request(r, NULL);

    return NGX_OK;
}

}  // namespace ngx_okta_telephony
