/*
 * The hook's content handler (and "okta_telephony", which sets it):
 * refuses what is not an authenticated POST, reads the body, and walks
 * the hook through its steps: parse, preview, validate, build the 8x8
 * request, send it (or answer at once). Each step either answers Okta
 * itself or returns NGX_DECLINED to go on.
 */

#include "ngx_http_okta_telephony.h"

#include <exception>


namespace ngx_okta_telephony {

namespace {

enum ot_feed_e { OT_FED, OT_TOO_LARGE, OT_BAD, OT_IO_ERROR };


/* Feeds one file buffer of the body through a small stack buffer. */
ot_feed_e
ot_feed_file(ngx_buf_t *b, ot::HookParser *parser, size_t *total,
    size_t max)
{
    u_char  chunk[4096];
    off_t   pos = b->file_pos;

    if ((size_t) (b->file_last - b->file_pos) > max - *total) {
        return OT_TOO_LARGE;
    }

    while (pos < b->file_last) {
        size_t   want = ngx_min((off_t) sizeof(chunk), b->file_last - pos);
        ssize_t  n = ngx_read_file(b->file, chunk, want, pos);

        if (n <= 0) {
            return OT_IO_ERROR;
        }

        *total += n;
        pos += n;

        if (!parser->feed(reinterpret_cast<const char *>(chunk), n)) {
            return OT_BAD;
        }
    }

    return OT_FED;
}


/* Feeds the request body to the parser buffer by buffer: memory buffers
   as they are, file buffers through ot_feed_file(). */
ot_feed_e
ot_feed_body(ngx_http_request_t *r, ot::HookParser *parser, size_t max)
{
    ngx_chain_t  *cl;
    size_t        total = 0;
    ot_feed_e     rc;

    if (r->request_body == NULL) {
        return OT_FED;
    }

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        ngx_buf_t  *b = cl->buf;

        if (ngx_buf_in_memory(b)) {
            size_t  n = b->last - b->pos;

            total += n;
            if (total > max) {
                return OT_TOO_LARGE;
            }

            if (n && !parser->feed(reinterpret_cast<const char *>(b->pos), n))
            {
                return OT_BAD;
            }

            continue;
        }

        if (b->in_file) {
            rc = ot_feed_file(b, parser, &total, max);
            if (rc != OT_FED) {
                return rc;
            }
        }
    }

    return OT_FED;
}


/* Step 1: the body into *raw; answers 413 / 400 itself. */
ngx_int_t
ot_parse(ot_ctx_t *ctx, ot::RawHook *raw)
{
    ngx_http_request_t  *r = ctx->request;
    yajl_alloc_funcs     af = ot_yajl_funcs(&ctx->arena);
    ot::HookParser       parser(raw, &af);
    const char          *why;

    switch (ot_feed_body(r, &parser, ctx->conf->max_body_size)) {

    case OT_TOO_LARGE:
        return ot_answer_error(ctx, ot::Outcome::rejected,
                               NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                               "request body is too large", NULL,
                               "body-too-large");

    case OT_IO_ERROR:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;

    case OT_BAD:
        break;

    case OT_FED:
        parser.finish();
        break;
    }

    if (parser.error() == ot::ParseError::none) {
        return NGX_DECLINED;
    }

    why = ot::parse_error_text(parser.error());

    return ot_answer_error(ctx, ot::Outcome::bad_request, NGX_HTTP_BAD_REQUEST,
                           why, NULL, why);
}


/* Step 2: the hook's fields into *hook; answers Okta's error object for
   an invalid field. */
ngx_int_t
ot_validate(ot_ctx_t *ctx, const ot::RawHook &raw, ot::Hook *hook)
{
    ot::ValidateOptions  vopt;
    ot::FieldError       ferr;

    vopt.default_country_code = ot_sv(ctx->conf->default_country_code);

    if (!ot::validate(raw, vopt, hook, &ferr)) {
        return ot_answer_error(ctx, ot::Outcome::invalid, NGX_HTTP_OK,
                               "The hook request is invalid", &ferr,
                               ot::field_path(ferr.field));
    }

    ctx->channel = hook->channel;
    ctx->type = hook->type;
    ngx_memcpy(ctx->event_id, hook->event_id.data, hook->event_id.len + 1);
    ot::mask_phone(hook->e164.view(), ctx->masked_to,
                   sizeof(ctx->masked_to));
    ngx_memcpy(ctx->e164, hook->e164.data, hook->e164.len);
    ctx->e164[hook->e164.len] = '\0';

    return NGX_DECLINED;
}


/* Step 2b: a code that expired (beyond the clocks' skew) is not sent:
   FAILED, so that Okta does not wait for a message that would not help */
ngx_int_t
ot_check_expiry(ot_ctx_t *ctx, const ot::Hook &hook)
{
    ngx_time_t  *tp = ngx_timeofday();
    int64_t      now = (int64_t) tp->sec * 1000 + (int64_t) tp->msec;

    if (!ot::expiry_passed(hook.valid_until.view(), now,
                           ot::expiry_skew_ms))
    {
        return NGX_DECLINED;
    }

    return ot_answer(ctx, ot::Outcome::failed, ot::Status::failed, 0,
                     string_view(), "expired",
                     "otpExpires has passed: not sent to 8x8");
}


/* Step 3: the 8x8 request's location and body. */
ngx_int_t
ot_build(ot_ctx_t *ctx, const ot::Hook &hook, ngx_str_t **uri,
    ot_out_t *body)
{
    ot_loc_conf_t     *conf = ctx->conf;
    yajl_alloc_funcs   af = ot_yajl_funcs(&ctx->arena);
    bool               built;

    *uri = (hook.channel == ot::Channel::voice) ? &conf->voice_location
                                                : &conf->sms_location;

    if ((*uri)->len == 0) {
        return ot_answer(ctx, ot::Outcome::failed, ot::Status::failed, 0,
                         string_view(), "channel-not-configured",
                         ot::not_configured_text(hook.channel));
    }

    built = (hook.channel == ot::Channel::voice)
            ? ot::build_voice_request(hook, conf->voice, &af, ot_sink(body))
            : ot::build_sms_request(hook, conf->sms, &af, ot_sink(body));

    if (!built || body->failed) {
        return ot_answer(ctx, ot::Outcome::failed, ot::Status::failed, 0,
                         string_view(), "build-failed",
                         "could not build the 8x8 request");
    }

    return NGX_DECLINED;
}


/* Step 4: the subrequest within what is left of the timeout; async mode
   answers now. */
ngx_int_t
ot_send_to_8x8(ot_ctx_t *ctx, ngx_str_t *uri, ot_out_t *body)
{
    ot_loc_conf_t  *conf = ctx->conf;
    ngx_msec_t      left;

    /* Okta's wait runs from its first byte, headers and body included;
       a hook with too little of it left is not sent: FAILED, not
       PENDING, since nothing was sent */
    left = (ngx_msec_t) ot::send_budget(conf->timeout,
                                        ot_elapsed(ctx->request));
    if (left == 0) {
        return ot_answer(ctx, ot::Outcome::failed, ot::Status::failed, 0,
                         string_view(), "timeout",
                         "okta_telephony_timeout nearly passed before "
                         "sending: not sent");
    }

    if (ot_start_subrequest(ctx, uri, body) != NGX_OK) {
        return ot_answer(ctx, ot::Outcome::failed, ot::Status::failed, 0,
                         string_view(), "subrequest-failed",
                         "could not start the 8x8 request");
    }

    /* sent: its outcome counts for the breaker */
    ctx->breaker_armed = (conf->abuse.breaker_zone != NULL);

    ot_wait_for_8x8(ctx, left);

    if (conf->mode == OT_MODE_ASYNC) {
        /* nginx keeps an HTTP/1.1 connection busy until the background
           subrequest ends: "Connection: close" sends Okta's next hook to
           a new connection, answered at once */
        ctx->request->keepalive = 0;

        return ot_answer(ctx, ot::Outcome::async_accepted, conf->async_answer,
                         0, string_view(), NULL,
                         "delivery started; outcome not confirmed");
    }

    return NGX_DONE;
}


ngx_int_t
ot_process_hook(ot_ctx_t *ctx)
{
    ot::RawHook  raw;
    ot::Hook     hook;
    ot_number_t  num;
    ngx_str_t   *uri;
    ngx_int_t    rc;
    ot_out_t     body = { ctx->request->pool, NULL, 0, 0, false };

    rc = ot_parse(ctx, &raw);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    if (!ctx->conf->deliver_previews && ot::is_preview(raw)) {
        if (ot::event_id_ok(raw.event_id.view())) {
            ngx_memcpy(ctx->event_id, raw.event_id.view().data(),
                       raw.event_id.view().size());
            ctx->event_id[raw.event_id.view().size()] = '\0';
        }

        return ot_answer(ctx, ot::Outcome::preview, ot::Status::successful,
                         0, "preview", "not-sent",
                         "Preview request: not sent to 8x8");
    }

    rc = ot_abuse_number(ctx, &raw, &num);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    rc = ot_validate(ctx, raw, &hook);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    rc = ot_check_expiry(ctx, hook);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    if (num.classified && num.err == ot::NumberError::none) {
        ngx_memcpy(ctx->region, num.info.region.data, num.info.region.len);
        ctx->region[num.info.region.len] = '\0';
    }

    rc = ot_abuse_check(ctx, hook, num);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    rc = ot_build(ctx, hook, &uri, &body);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    return ot_send_to_8x8(ctx, uri, &body);
}


/* client body handler: the whole body is read */
void
ot_body_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ot_guarded(r, [](ngx_http_request_t *hr) {
             return ot_process_hook(ot_get_ctx(hr));
         });

    if (rc == NGX_DONE) {
        /* waiting for 8x8: the reference taken by reading the body
           is released when the answer is sent */
        return;
    }

    ngx_http_finalize_request(r, ot_finish_error(r, rc));
}


}  // namespace


/* An answer before the body is read: the body is discarded. */
ngx_int_t
ot_reject(ngx_http_request_t *r, ngx_uint_t status, const char *summary)
{
    ngx_int_t  rc = ngx_http_discard_request_body(r);

    ot_count_refused(r, status);

    if (rc != NGX_OK) {
        return rc;
    }

    return ot_send_error(r, status, summary, NULL);
}


/* Creates the request's ctx, owned by the request pool. */
ot_ctx_t *
ot_create_ctx(ngx_http_request_t *r, ot_loc_conf_t *conf)
{
    ot_ctx_t            *ctx;
    ngx_pool_cleanup_t  *cln;

    ctx = static_cast<ot_ctx_t *>(ngx_pcalloc(r->pool, sizeof(ot_ctx_t)));
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (ctx == NULL || cln == NULL) {
        return NULL;
    }

    ctx->request = r;
    ctx->conf = conf;
    ctx->arena.pool = r->pool;
    ctx->state = OT_READING;
    ctx->type = ot::RequestType::other;

    cln->handler = ot_ctx_cleanup;
    cln->data = ctx;

    ngx_http_set_ctx(r, ctx, ngx_http_okta_telephony_module);

    return ctx;
}

/* Okta is authenticated (via: which credential, for the log line):
   a POST within the size limit has its body read. */
ngx_int_t
ot_accept(ngx_http_request_t *r, ot_loc_conf_t *conf, const char *via)
{
    ot_ctx_t   *ctx;
    ngx_int_t   rc;

    if (r->method != NGX_HTTP_POST) {
        return ot_reject(r, NGX_HTTP_NOT_ALLOWED, "only POST is allowed");
    }

    if (r->headers_in.content_length_n > (off_t) conf->max_body_size) {
        /* do not read what will be refused */
        r->keepalive = 0;
        r->lingering_close = 1;
        r->expect_tested = 1;
        ot_count_refused(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE);
        return ot_send_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                             "request body is too large", NULL);
    }

    ctx = ot_get_ctx(r);
    if (ctx == NULL) {
        ctx = ot_create_ctx(r, conf);
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    ctx->auth_via = via;

    rc = ngx_http_read_client_request_body(r, ot_body_handler);
    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/* content handler of a location with "okta_telephony" */
ngx_int_t
ot_handler(ngx_http_request_t *r)
{
    ot_loc_conf_t  *conf;
    const char     *via = "";

    try {
        if (r != r->main) {
            return NGX_HTTP_NOT_FOUND;
        }

        conf = static_cast<ot_loc_conf_t *>(ngx_http_get_module_loc_conf(
                   r, ngx_http_okta_telephony_module));

        switch (ot_check_auth(r, conf, &via)) {

        case OT_AUTH_OK:
            return ot_accept(r, conf, via);

        case OT_AUTH_REFUSED:
            return ot_reject(r, NGX_HTTP_UNAUTHORIZED,
                             "authentication required");

        case OT_AUTH_WAIT:
            /* the keys are fetched or awaited; that goes on (and the
               request stays until it has: the fetch is a background
               subrequest, whose end must not finalize the hook) */
            r->main->count++;
            return NGX_DONE;

        default:
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

    } catch (...) {
        return ot_finish_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}


/* okta_telephony; the location's content handler */
char *
ot_set_enable(ngx_conf_t *cf, ngx_command_t *, void *c)
{
    ot_loc_conf_t             *conf = static_cast<ot_loc_conf_t *>(c);
    ot_loc_conf_t             *srv;
    ngx_http_core_loc_conf_t  *clcf;
    ngx_http_core_srv_conf_t  *cscf;

    if (conf->enable != NGX_CONF_UNSET) {
        return const_cast<char *>("is duplicate");
    }

    conf->enable = 1;
    conf->enable_file = cf->conf_file->file.name.data;
    conf->enable_line = cf->conf_file->line;

    clcf = static_cast<ngx_http_core_loc_conf_t *>(
               ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module));
    clcf->handler = ot_handler;

    /* errors nginx answers before a location is chosen (bad framing,
       oversized headers) get Okta's JSON too on this server */
    cscf = static_cast<ngx_http_core_srv_conf_t *>(
               ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module));
    srv = static_cast<ot_loc_conf_t *>(
              cscf->ctx->loc_conf[ngx_http_okta_telephony_module.ctx_index]);
    srv->server_hook = 1;

    return NGX_CONF_OK;
}

}  // namespace ngx_okta_telephony
