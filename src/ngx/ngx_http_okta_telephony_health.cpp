/*
 * okta_telephony_health: a probe for a load balancer. It answers 200 or
 * 503 with a small JSON body from the breaker gauges and the last 8x8
 * reply of each channel in the metrics zone in scope (core health.cpp);
 * it places no call. The last reply is noted here when 8x8 answers or
 * times out (metrics.cpp).
 */

#include "ngx_http_okta_telephony.h"


namespace ngx_okta_telephony {

namespace om = ot::metrics;

/* 8x8's reply, or none within okta_telephony_timeout: failed is what the
   breaker counts (subrequest.cpp through metrics.cpp). */
void
ot_note_reply(ot_ctx_t *ctx, bool failed)
{
    ngx_shm_zone_t  *z = ctx->conf->metrics.zone;
    om::Block       *b;
    size_t           ch = (size_t) ctx->channel;

    b = z ? static_cast<ot_zone_t *>(z->data)->sh->metrics : NULL;
    if (b == NULL) {
        return;
    }

    __atomic_store_n(&b->last_reply[ch],
                     (uint64_t) (failed ? om::LastReply::failed
                                        : om::LastReply::ok),
                     __ATOMIC_RELAXED);
    __atomic_store_n(&b->last_reply_at[ch], (uint64_t) ngx_time(),
                     __ATOMIC_RELAXED);
}


namespace {

/* The zone's gauges, read one by one (no lock: each is one word). */
om::Health
ot_health_now(ot_loc_conf_t *conf)
{
    ot_zone_t   *z = static_cast<ot_zone_t *>(conf->metrics.zone->data);
    om::Block    copy;
    om::Block   *b = z->sh->metrics;
    size_t       i;

    om::block_init(&copy);

    if (b != NULL) {
        for (i = 0; i < om::n_channels; i++) {
            copy.breaker_open[i] = __atomic_load_n(&b->breaker_open[i],
                                                   __ATOMIC_RELAXED);
            copy.last_reply[i] = __atomic_load_n(&b->last_reply[i],
                                                 __ATOMIC_RELAXED);
            copy.last_reply_at[i] = __atomic_load_n(&b->last_reply_at[i],
                                                    __ATOMIC_RELAXED);
        }
    }

    return om::health_of(copy, (std::int64_t) ngx_time(),
                         (std::int64_t) conf->metrics.health);
}


/* The probe: 200 or 503 and the channels' state. */
ngx_int_t
ot_health_serve(ngx_http_request_t *r)
{
    ot_out_t          out = { r->pool, NULL, 0, 0, false };
    ngx_int_t         rc;
    om::Health        h;
    yajl_alloc_funcs  af;

    rc = ot_get_or_head(r);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    h = ot_health_now(static_cast<ot_loc_conf_t *>(
            ngx_http_get_module_loc_conf(r, ngx_http_okta_telephony_module)));
    af = ot_yajl_funcs(r->pool);

    if (!om::render_health(h, &af, ot_sink(&out))) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ot_metrics_send(r, h.up ? NGX_HTTP_OK : NGX_HTTP_SERVICE_UNAVAILABLE,
                           "application/json", &out);
}


/* content handler of a location with "okta_telephony_health" */
ngx_int_t
ot_health_handler(ngx_http_request_t *r)
{
    return ot_guarded(r, ot_health_serve);
}


/* okta_telephony_health [window=TIME]; the location's content handler */
char *
ot_set_health(ngx_conf_t *cf, ngx_command_t *, void *c)
{
    ot_loc_conf_t             *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_str_t                 *value = static_cast<ngx_str_t *>(
                                           cf->args->elts);
    ngx_http_core_loc_conf_t  *clcf;
    ngx_str_t                  s;
    time_t                     window = 60;

    if (conf->metrics.health) {
        return const_cast<char *>("is duplicate");
    }

    clcf = static_cast<ngx_http_core_loc_conf_t *>(
               ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module));

    if (conf->enable == 1 || clcf->handler != NULL) {
        return const_cast<char *>("cannot share a location with "
                                  "\"okta_telephony\" or another content "
                                  "handler");
    }

    if (cf->args->nelts == 2) {
        if (value[1].len <= 7
            || ngx_strncmp(value[1].data, "window=", 7) != 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\": expected "
                               "window=TIME", &value[1]);
            return static_cast<char *>(NGX_CONF_ERROR);
        }

        s.data = value[1].data + 7;
        s.len = value[1].len - 7;
        window = ngx_parse_time(&s, 1);

        if (window == (time_t) NGX_ERROR || window < 1 || window > 86400) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid window \"%V\": a time from 1s to "
                               "1d, e.g. window=60s", &s);
            return static_cast<char *>(NGX_CONF_ERROR);
        }
    }

    conf->metrics.health = window;
    conf->metrics.health_file = cf->conf_file->file.name.data;
    conf->metrics.health_line = cf->conf_file->line;
    clcf->handler = ot_health_handler;

    return NGX_CONF_OK;
}

}  // namespace


/* merge: the probe reads the metrics zone in scope, so there must be one */
char *
ot_health_merge(ngx_conf_t *cf, ot_loc_conf_t *conf)
{
    if (conf->metrics.health == 0 || conf->metrics.zone != NULL) {
        return NGX_CONF_OK;
    }

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "\"okta_telephony_health\" in %s:%ui needs an "
                  "\"okta_telephony_metrics_zone\" in scope (at the "
                  "http, server or location level): the breaker and 8x8's "
                  "last replies are kept there",
                  conf->metrics.health_file, conf->metrics.health_line);

    return static_cast<char *>(NGX_CONF_ERROR);
}


ngx_command_t  ot_health_commands[] = {

    { ngx_string("okta_telephony_health"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ot_set_health,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    ngx_null_command
};

}  // namespace ngx_okta_telephony
