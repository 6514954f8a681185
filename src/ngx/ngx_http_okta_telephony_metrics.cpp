/*
 * The metrics: counting where a hook's outcome is decided, the counter
 * block in an okta_telephony_zone, its two directives and the content
 * handler that shows it (Prometheus text, or JSON with ?format=json).
 *
 * The block (the core's metrics::Block) is allocated in the zone's slab
 * by the master once the zones exist, and found again through the zone's
 * shared part after "nginx -s reload": the counters go on. Counting is an
 * atomic add on a 64-bit counter, no lock and no allocation; the scrape
 * reads each counter with an atomic load and leaves rendering to the core.
 */

#include "ngx_http_okta_telephony.h"

#include <exception>


namespace ngx_okta_telephony {

namespace {

namespace om = ot::metrics;


inline void
ot_add(uint64_t *counter, uint64_t n)
{
    __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}


/* The block a location counts in; NULL: none. */
inline om::Block *
ot_block(ot_loc_conf_t *conf)
{
    ngx_shm_zone_t  *z = conf->metrics.zone;

    return z ? static_cast<ot_zone_t *>(z->data)->sh->metrics : NULL;
}


/* How long the 8x8 request took, and how it ended. */
void
ot_count_reply(ot_ctx_t *ctx, om::CodeClass code, om::ReplyStatus status)
{
    om::Block  *b = ot_block(ctx->conf);
    size_t      ch = (size_t) ctx->channel;
    uint64_t    ms;

    if (b == NULL || ctx->subrequest == NULL) {
        return;
    }

    ms = ot_sub_elapsed(ctx->subrequest);

    ot_add(&b->responses[ch][(size_t) code][(size_t) status], 1);
    ot_add(&b->duration[ch][om::bucket_of(ms)], 1);
    ot_add(&b->duration_sum_ms[ch], ms);
}


}  // namespace


/* ------------------------------------------------------------ counting -- */

/* Every outcome line of a hook (log.cpp). */
void
ot_count_outcome(ot_ctx_t *ctx, ot::Outcome outcome)
{
    om::Block       *b = ot_block(ctx->conf);
    om::HookChannel  ch;

    if (b == NULL) {
        return;
    }

    /* the channel is known once the hook was validated */
    ch = om::hook_channel(ctx->channel, ctx->masked_to[0] != '\0');
    ot_add(&b->hooks[(size_t) ch][om::outcome_index(outcome)], 1);
}


/* A request answered before its body was read (handler.cpp): refused
   for authentication (401), not a POST (405), too large (413). */
void
ot_count_refused(ngx_http_request_t *r, ngx_uint_t status)
{
    ot_loc_conf_t  *conf;
    om::Block      *b;
    size_t          other = (size_t) om::HookChannel::other;

    conf = static_cast<ot_loc_conf_t *>(
               ngx_http_get_module_loc_conf(r, ngx_http_okta_telephony_module));
    b = ot_block(conf);
    if (b == NULL) {
        return;
    }

    switch (status) {

    case NGX_HTTP_UNAUTHORIZED:
        ot_add(&b->auth_failures[(size_t) ot_auth_failure(r, conf)], 1);
        break;

    case NGX_HTTP_NOT_ALLOWED:
        ot_add(&b->hooks[other][om::outcome_index(
                                    om::Refused::method_not_allowed)], 1);
        break;

    default:
        ot_add(&b->hooks[other][om::outcome_index(ot::Outcome::rejected)],
               1);
        break;
    }
}


/* A hook an abuse rule blocked (abuse.cpp); the rule's kind only. */
void
ot_count_blocked(ot_ctx_t *ctx, string_view rule)
{
    om::Block  *b = ot_block(ctx->conf);

    if (b != NULL) {
        ot_add(&b->blocked[(size_t) om::blocked_rule_of(rule)], 1);
    }
}


/* The breaker's transitions (abuse.cpp): open until it closes again. */
void
ot_count_breaker(ot_ctx_t *ctx, ot::BreakerEvent ev)
{
    om::Block  *b = ot_block(ctx->conf);

    if (b == NULL || ev == ot::BreakerEvent::none) {
        return;
    }

    __atomic_store_n(&b->breaker_open[(size_t) ctx->channel],
                     ev == ot::BreakerEvent::closed ? 0 : 1,
                     __ATOMIC_RELAXED);
}


/* 8x8's reply, as judged (subrequest.cpp). */
void
ot_count_8x8(ot_ctx_t *ctx, const ot::Capture &c, const ot::Judgement &j)
{
    om::CodeClass    code;
    om::ReplyStatus  status;

    om::classify_reply(c, j, &code, &status);
    ot_count_reply(ctx, code, status);
    ot_note_reply(ctx, ot::breaker_failure(j.http_status));
}


/* The 8x8 request abandoned at okta_telephony_timeout (subrequest.cpp). */
void
ot_count_8x8_timeout(ot_ctx_t *ctx)
{
    ot_count_reply(ctx, om::CodeClass::none, om::ReplyStatus::timeout);
    ot_note_reply(ctx, true);
}


/* ---------------------------------------------------------- the block -- */

/*
 * init module (the master, once the zones exist; again at each reload):
 * a counter block in each zone that counts or is shown, unless the zone
 * kept one from the previous cycle. A zone too full for it is not
 * counted in, and says so.
 */
ngx_int_t
ot_metrics_init_module(ngx_cycle_t *cycle)
{
    ot_main_conf_t   *mcf;
    ngx_shm_zone_t  **zones;
    ot_zone_t        *z;
    om::Block        *b;
    ngx_uint_t        i;

    mcf = static_cast<ot_main_conf_t *>(ngx_http_cycle_get_module_main_conf(
              cycle, ngx_http_okta_telephony_module));
    if (mcf == NULL || mcf->metrics_zones == NULL) {
        return NGX_OK;
    }

    zones = static_cast<ngx_shm_zone_t **>(mcf->metrics_zones->elts);

    for (i = 0; i < mcf->metrics_zones->nelts; i++) {
        z = static_cast<ot_zone_t *>(zones[i]->data);

        if (z == NULL || z->sh == NULL) {
            continue;               /* not made: nginx -t failed first */
        }

        if (z->sh->metrics != NULL
            && z->sh->metrics->layout == om::block_layout())
        {
            continue;
        }

        b = static_cast<om::Block *>(ngx_slab_alloc(z->shpool,
                                                    sizeof(om::Block)));
        if (b == NULL) {
            ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                          "okta telephony: okta_telephony_zone \"%V\" has "
                          "no room for the metrics: nothing is counted in "
                          "it", &zones[i]->shm.name);
            continue;
        }

        om::block_init(b);
        z->sh->metrics = b;
    }

    return NGX_OK;
}


namespace {

/* A zone=NAME of the metrics directives, remembered for its block. */
ngx_shm_zone_t *
ot_metrics_zone_ref(ngx_conf_t *cf, ngx_str_t *name)
{
    ot_main_conf_t   *mcf;
    ngx_shm_zone_t   *zone, **p;
    ngx_uint_t        i;

    zone = ot_zone_ref(cf, ot_sv(*name));
    if (zone == NULL) {
        return NULL;
    }

    mcf = static_cast<ot_main_conf_t *>(ngx_http_conf_get_module_main_conf(
              cf, ngx_http_okta_telephony_module));

    if (mcf->metrics_zones == NULL) {
        mcf->metrics_zones = ngx_array_create(cf->pool, 2,
                                              sizeof(ngx_shm_zone_t *));
        if (mcf->metrics_zones == NULL) {
            return NULL;
        }
    }

    p = static_cast<ngx_shm_zone_t **>(mcf->metrics_zones->elts);
    for (i = 0; i < mcf->metrics_zones->nelts; i++) {
        if (p[i] == zone) {
            return zone;
        }
    }

    p = static_cast<ngx_shm_zone_t **>(ngx_array_push(mcf->metrics_zones));
    if (p == NULL) {
        return NULL;
    }

    *p = zone;

    return zone;
}


/* ------------------------------------------------------------ scraping -- */

/* A copy of the block, counter by counter. */
void
ot_copy_block(const om::Block *from, om::Block *to)
{
    const uint64_t  *s = reinterpret_cast<const uint64_t *>(from);
    uint64_t        *d = reinterpret_cast<uint64_t *>(to);

    for (size_t i = 0; i < sizeof(om::Block) / sizeof(uint64_t); i++) {
        d[i] = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
    }
}






/* The shown zone's counters and every zone's figures, rendered. */
ngx_int_t
ot_metrics_render(ngx_http_request_t *r, ot_loc_conf_t *conf, bool json,
    ot_out_t *out)
{
    ot_zone_t      *z = static_cast<ot_zone_t *>(conf->metrics.shown->data);
    om::Block       copy;
    om::Snapshot    s;
    size_t          nzones;
    yajl_alloc_funcs  af;

    if (z->sh->metrics != NULL) {
        ot_copy_block(z->sh->metrics, &copy);
    } else {
        om::block_init(&copy);      /* the zone had no room: all zero */
    }

    s.block = &copy;
    s.zones = ot_zone_stats(r->pool, &nzones);
    s.nzones = nzones;
    if (s.zones == NULL) {
        return NGX_ERROR;
    }

    if (!json) {
        om::render_text(s, ot_sink(out));
        return NGX_OK;
    }

    af = ot_yajl_funcs(r->pool);

    return om::render_json(s, &af, ot_sink(out)) ? NGX_OK : NGX_ERROR;
}


/* The scrape: the shown zone's counters, as text or ?format=json. */
ngx_int_t
ot_metrics_serve(ngx_http_request_t *r)
{
    ot_loc_conf_t  *conf;
    ot_out_t        out = { r->pool, NULL, 0, 0, false };
    ngx_str_t       format;
    ngx_int_t       rc;
    bool            json;

    rc = ot_get_or_head(r);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    conf = static_cast<ot_loc_conf_t *>(ngx_http_get_module_loc_conf(
               r, ngx_http_okta_telephony_module));

    json = ngx_http_arg(r, (u_char *) "format", 6, &format) == NGX_OK
           && format.len == 4 && ngx_strncmp(format.data, "json", 4) == 0;

    if (ot_metrics_render(r, conf, json, &out) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ot_metrics_send(r, NGX_HTTP_OK,
                           json ? "application/json" : om::text_content_type,
                           &out);
}


/* content handler of a location with "okta_telephony_metrics" */
ngx_int_t
ot_metrics_handler(ngx_http_request_t *r)
{
    return ot_guarded(r, ot_metrics_serve);
}


/* ---------------------------------------------------------- directives -- */

/* okta_telephony_metrics_zone NAME | off; */
char *
ot_set_metrics_zone(ngx_conf_t *cf, ngx_command_t *, void *c)
{
    ot_loc_conf_t  *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_str_t      *value = static_cast<ngx_str_t *>(cf->args->elts);

    if (conf->metrics.zone != NGX_CONF_UNSET_PTR) {
        return const_cast<char *>("is duplicate");
    }

    if (value[1].len == 3 && ngx_strncmp(value[1].data, "off", 3) == 0) {
        conf->metrics.zone = NULL;
        return NGX_CONF_OK;
    }

    conf->metrics.zone = ot_metrics_zone_ref(cf, &value[1]);

    return conf->metrics.zone ? NGX_CONF_OK
                              : static_cast<char *>(NGX_CONF_ERROR);
}


/* okta_telephony_metrics NAME; the location's content handler */
char *
ot_set_metrics(ngx_conf_t *cf, ngx_command_t *, void *c)
{
    ot_loc_conf_t             *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_str_t                 *value = static_cast<ngx_str_t *>(
                                           cf->args->elts);
    ngx_http_core_loc_conf_t  *clcf;

    if (conf->metrics.shown != NULL) {
        return const_cast<char *>("is duplicate");
    }

    clcf = static_cast<ngx_http_core_loc_conf_t *>(
               ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module));

    if (conf->enable == 1 || clcf->handler != NULL) {
        return const_cast<char *>("cannot share a location with "
                                  "\"okta_telephony\" or another content "
                                  "handler");
    }

    conf->metrics.shown = ot_metrics_zone_ref(cf, &value[1]);
    if (conf->metrics.shown == NULL) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    clcf->handler = ot_metrics_handler;

    return NGX_CONF_OK;
}

}  // namespace


/* Sends body with status and content type; 405 says "Allow: GET, HEAD". */
ngx_int_t
ot_metrics_send(ngx_http_request_t *r, ngx_uint_t status, const char *type,
    ot_out_t *body)
{
    ngx_int_t         rc;
    ngx_buf_t        *b;
    ngx_chain_t       out;
    ngx_table_elt_t  *h;

    if (body->failed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = status;
    r->headers_out.content_length_n = body->len;
    r->headers_out.content_type.data = (u_char *) type;
    r->headers_out.content_type.len = ngx_strlen(type);
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    h = static_cast<ngx_table_elt_t *>(ngx_list_push(&r->headers_out.headers));
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    if (status == NGX_HTTP_NOT_ALLOWED) {
        ngx_str_set(&h->key, "Allow");
        ngx_str_set(&h->value, "GET, HEAD");
    } else {
        ngx_str_set(&h->key, "Cache-Control");
        ngx_str_set(&h->value, "no-store");
    }

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only || body->len == 0) {
        return rc;
    }

    b = static_cast<ngx_buf_t *>(ngx_calloc_buf(r->pool));
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = body->data;
    b->last = body->data + body->len;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* GET and HEAD only, the body discarded: NGX_DECLINED to go on, else
   what the content handler returns (a 405 with "Allow: GET, HEAD" is
   sent). For /metrics and the health probe. */
ngx_int_t
ot_get_or_head(ngx_http_request_t *r)
{
    ot_out_t   out = { r->pool, NULL, 0, 0, false };
    ot::Sink   sink = ot_sink(&out);
    ngx_int_t  rc;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (r->method & (NGX_HTTP_GET | NGX_HTTP_HEAD)) {
        return NGX_DECLINED;
    }

    sink.write(sink.ctx, "only GET and HEAD are allowed\n", 30);

    return ot_metrics_send(r, NGX_HTTP_NOT_ALLOWED, "text/plain", &out);
}


ngx_command_t  ot_metrics_commands[] = {

    { ngx_string("okta_telephony_metrics_zone"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ot_set_metrics_zone,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("okta_telephony_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ot_set_metrics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    ngx_null_command
};

}  // namespace ngx_okta_telephony
