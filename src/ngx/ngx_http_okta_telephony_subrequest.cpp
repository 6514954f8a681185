/*
 * The 8x8 request: a background subrequest to the internal location with
 * its own method, headers, variables and body (nothing of Okta's request
 * reaches 8x8), the timer that bounds it by okta_telephony_timeout, the
 * post handler that records how it ended, and the resume that answers
 * Okta from what the capture filter kept.
 */

#include "ngx_http_okta_telephony.h"

#include <exception>


namespace ngx_okta_telephony {

/* Milliseconds since the 8x8 subrequest started. */
uint64_t
ot_sub_elapsed(ngx_http_request_t *sr)
{
    ngx_time_t      *tp = ngx_timeofday();
    ngx_msec_int_t   ms;

    ms = (tp->sec - sr->start_sec) * 1000 + (tp->msec - sr->start_msec);

    return ms > 0 ? (uint64_t) ms : 0;
}


/* $okta_telephony_8x8_time: the 8x8 request's milliseconds, once. */
void
ot_note_8x8_time(ot_ctx_t *ctx)
{
    if (!ctx->has_provider_ms && ctx->subrequest != NULL) {
        ctx->provider_ms = (ngx_msec_t) ot_sub_elapsed(ctx->subrequest);
        ctx->has_provider_ms = 1;
    }
}


/* Closes the connection of the module's subrequest still in flight
   (8x8's, or the JWKS fetch). */
void
ot_abort_subrequest(ot_ctx_t *ctx)
{
    ngx_http_request_t   *sr = ctx->subrequest;
    ngx_http_upstream_t  *u;

    if (sr == NULL || ctx->sub_done) {
        return;
    }

    ctx->sub_done = 1;
    ctx->sub_rc = NGX_HTTP_GATEWAY_TIME_OUT;

    if (!ctx->jwks_fetch) {
        /* 8x8's request abandoned (the JWKS fetch is not 8x8's) */
        ot_count_8x8_timeout(ctx);
        ot_note_8x8_time(ctx);
    }

    u = sr->upstream;
    if (u != NULL && u->cleanup != NULL && *u->cleanup != NULL) {
        /* closes the 8x8 connection and finalizes the subrequest with
           NGX_DONE: its post handler does not run again */
        (*u->cleanup)(sr);
    }
}


namespace {

/* The core's judgement of what the capture filter and post handler saw. */
void
ot_judge(ot_ctx_t *ctx, ot::Judgement *j)
{
    yajl_alloc_funcs  af = ot_yajl_funcs(&ctx->arena);
    ot::Capture       c;

    c.answered = ctx->header_seen;
    c.overflow = ctx->reply_overflow;
    c.redirected = ctx->redirected;
    c.status = ctx->header_seen ? (int) ctx->reply_status
               : ctx->sub_rc > 0 ? (int) ctx->sub_rc : 0;
    c.body = reinterpret_cast<const char *>(ctx->reply);
    c.len = ctx->reply_len;

    ot::judge_reply(ctx->channel, c, &af, j);
    ot_count_8x8(ctx, c, *j);
    ot_note_8x8_time(ctx);
}


/* Maps what 8x8 did to Okta's answer and sends it. */
ngx_int_t
ot_answer_from_reply(ot_ctx_t *ctx)
{
    ot::Judgement  j;

    ot_judge(ctx, &j);
    ot_abuse_sent(ctx, ot::breaker_failure(j.http_status));

    if (j.status == ot::Status::successful && ctx->sub_rc == NGX_ERROR) {
        /* a complete, accepting reply, then the connection failed: 8x8 has
           the request; saying FAILED would send two codes */
        ngx_log_error(NGX_LOG_WARN, ctx->request->connection->log, 0,
                      "okta telephony: 8x8 connection failed after a "
                      "complete reply");
    }

    return ot_answer(ctx, ot::outcome_of(j.status), j.status,
                     (ngx_uint_t) j.http_status,
                     j.reply.transaction_id.view(), j.detail(), j.meta);
}


/* Async mode: Okta has its answer; logs what 8x8 did. */
void
ot_log_async_result(ot_ctx_t *ctx)
{
    ot::Judgement  j;

    ot_judge(ctx, &j);
    ot_abuse_sent(ctx, ot::breaker_failure(j.http_status));

    ot_log_outcome(ctx, j.status == ot::Status::successful
                        ? ot::Outcome::async_delivered
                        : ot::Outcome::async_failed,
                   (ngx_uint_t) j.http_status,
                   j.reply.transaction_id.view(), j.detail());
}


/* write event handler of the main request: 8x8 is done, answer Okta */
void
ot_resume(ngx_http_request_t *r)
{
    ot_ctx_t   *ctx = ot_get_ctx(r);
    ngx_int_t   rc;

    r->write_event_handler = ngx_http_request_empty_handler;

    if (ctx == NULL || ctx->state != OT_SENDING) {
        return;
    }

    if (ctx->timer.timer_set) {
        ngx_del_timer(&ctx->timer);
    }

    rc = ot_guarded(r, [](ngx_http_request_t *hr) {
             return ot_answer_from_reply(ot_get_ctx(hr));
         });

    ngx_http_finalize_request(r, ot_finish_error(r, rc));
}


/* post subrequest handler: records how the 8x8 request ended */
ngx_int_t
ot_post_subrequest(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ot_ctx_t            *ctx = static_cast<ot_ctx_t *>(data);
    ngx_http_request_t  *r = ctx->request;

    /* nginx may call this twice for one upstream failure; and any rc is
       turned into NGX_OK so a failed 8x8 request never takes Okta's
       connection down with it */

    if (ctx->sub_done) {
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

    if (ctx->state == OT_SENDING) {
        /* if posting fails (no memory), the timer answers instead */
        r->write_event_handler = ot_resume;
        (void) ngx_http_post_request(r, NULL);

        return NGX_OK;
    }

    if (ctx->state == OT_ANSWERED && ctx->conf->mode == OT_MODE_ASYNC) {
        try {
            ot_log_async_result(ctx);

        } catch (...) {
            /* nothing to answer any more */
        }
    }

    return NGX_OK;
}


/* timer event handler: okta_telephony_timeout has passed */
void
ot_timeout_handler(ngx_event_t *ev)
{
    ngx_http_request_t  *r = static_cast<ngx_http_request_t *>(ev->data);
    ngx_connection_t    *c = r->connection;
    ot_ctx_t            *ctx = ot_get_ctx(r);
    ngx_int_t            rc;

    if (ctx->state == OT_SENDING && ctx->sub_done) {
        /* 8x8 has answered but the answer was not posted */
        ot_resume(r);
        ngx_http_run_posted_requests(c);
        return;
    }

    try {
        if (ctx->state == OT_SENDING) {
            ot::Status  s = ctx->conf->timeout_answer;
            char        meta[120];

            ot_abort_subrequest(ctx);
            ot_abuse_sent(ctx, true);
            ot::timeout_text(ctx->channel, ctx->conf->timeout, meta,
                             sizeof(meta));

            r->write_event_handler = ngx_http_request_empty_handler;
            rc = ot_answer(ctx, ot::outcome_of(s), s, 0, string_view(),
                           "timeout", meta);
            ngx_http_finalize_request(r, rc);

        } else if (ctx->state == OT_ANSWERED && !ctx->sub_done) {
            /* async: give up on 8x8; this may free the request */
            ot_abuse_sent(ctx, true);
            ot_log_outcome(ctx, ot::Outcome::async_timeout, 0, string_view(),
                           "timeout");
            ot_abort_subrequest(ctx);
        }

    } catch (...) {
        ngx_log_error(NGX_LOG_ERR, c->log, 0,
                      "okta telephony: error in timeout handler");

        if (ctx->state == OT_SENDING) {
            ctx->state = OT_ANSWERED;
            rc = ot_finish_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            ngx_http_finalize_request(r, rc);
        }
    }

    ngx_http_run_posted_requests(c);
}


}  // namespace


/* The subrequest's own variables and headers: none of Okta's. Cached
   values of the parent ($http_authorization, $request_body, ...) must
   not be visible to the internal location. len < 0: a GET, no body. */
ngx_int_t
ot_own_headers(ngx_http_request_t *r, ngx_http_request_t *sr, off_t len)
{
    ngx_http_core_main_conf_t  *cmcf;
    ngx_table_elt_t            *h;

    cmcf = static_cast<ngx_http_core_main_conf_t *>(
               ngx_http_get_module_main_conf(r, ngx_http_core_module));
    sr->variables = static_cast<ngx_http_variable_value_t *>(
                        ngx_pcalloc(r->pool, cmcf->variables.nelts
                                    * sizeof(ngx_http_variable_value_t)));
    if (sr->variables == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));

    if (ngx_list_init(&sr->headers_in.headers, r->pool, 2,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (len >= 0) {
        h = ot_push_header(&sr->headers_in.headers, "Content-Type",
                           "content-type", "application/json");
        if (h == NULL) {
            return NGX_ERROR;
        }

        sr->headers_in.content_type = h;
    }

    if (ot_push_header(&sr->headers_in.headers, "Accept", "accept",
                       "application/json")
        == NULL)
    {
        return NGX_ERROR;
    }

    sr->headers_in.content_length_n = len;
    sr->headers_in.keep_alive_n = -1;
    sr->headers_in.server = r->headers_in.server;

    return NGX_OK;
}


namespace {

/* The subrequest's own body: the one the core built. */
ngx_int_t
ot_own_body(ngx_http_request_t *r, ngx_http_request_t *sr, ot_out_t *body)
{
    ngx_http_request_body_t  *rb;
    ngx_buf_t                *b;
    ngx_chain_t              *cl;

    b = static_cast<ngx_buf_t *>(ngx_pcalloc(r->pool, sizeof(ngx_buf_t)));
    cl = ngx_alloc_chain_link(r->pool);
    rb = static_cast<ngx_http_request_body_t *>(
             ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t)));
    if (b == NULL || cl == NULL || rb == NULL) {
        return NGX_ERROR;
    }

    b->start = b->pos = body->data;
    b->end = b->last = body->data + body->len;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    cl->buf = b;
    cl->next = NULL;

    rb->bufs = cl;
    rb->rest = 0;
    sr->request_body = rb;

    return NGX_OK;
}

}  // namespace


ngx_table_elt_t *
ot_push_header(ngx_list_t *headers, const char *key, const char *lowcase,
    const char *value)
{
    ngx_table_elt_t  *h = static_cast<ngx_table_elt_t *>(
                              ngx_list_push(headers));

    if (h == NULL) {
        return NULL;
    }

    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);
    h->value.data = (u_char *) value;
    h->value.len = ngx_strlen(value);
    h->lowcase_key = (u_char *) lowcase;
    h->hash = ngx_hash_key(h->lowcase_key, h->key.len);
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return h;
}



/* Creates the 8x8 request as a background subrequest to uri. */
ngx_int_t
ot_start_subrequest(ot_ctx_t *ctx, ngx_str_t *uri, ot_out_t *body)
{
    ngx_http_request_t          *r = ctx->request;
    ngx_http_request_t          *sr;
    ngx_http_post_subrequest_t  *ps;

    ps = static_cast<ngx_http_post_subrequest_t *>(
             ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t)));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ot_post_subrequest;
    ps->data = ctx;

    if (ngx_http_subrequest(r, uri, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_BACKGROUND)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->subrequest = sr;
    ctx->reply_cap = ctx->conf->reply_buffer_size;
    ngx_http_set_ctx(sr, ctx, ngx_http_okta_telephony_module);

    sr->method = NGX_HTTP_POST;
    ngx_str_set(&sr->method_name, "POST");

    if (ot_own_headers(r, sr, body->len) != NGX_OK
        || ot_add_api_key(sr, ctx->conf) != NGX_OK
        || ot_own_body(r, sr, body) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the capture filter wants memory buffers */
    sr->filter_need_in_memory = 1;
    sr->header_only = 0;

    return NGX_OK;
}


/*
 * The ctx when r is the module's 8x8 subrequest (or its JWKS fetch), else
 * NULL. Found through
 * the post handler, which nginx keeps across an internal redirect (the
 * module ctx it clears): whatever happens to the subrequest inside nginx,
 * its output is still captured and never reaches Okta's connection.
 */
ot_ctx_t *
ot_8x8_ctx(ngx_http_request_t *r)
{
    ot_ctx_t  *ctx;

    if (r == r->main || r->post_subrequest == NULL
        || (r->post_subrequest->handler != ot_post_subrequest
            && r->post_subrequest->handler != ot_jwks_post_subrequest))
    {
        return NULL;
    }

    ctx = static_cast<ot_ctx_t *>(r->post_subrequest->data);

    return ctx->subrequest == r ? ctx : NULL;
}


/*
 * rewrite phase handler: the 8x8 subrequest passes once, in the location
 * it was sent to. Passing again means nginx redirected it internally
 * (X-Accel-Redirect or X-Accel-Redirect to @named from the upstream,
 * error_page, try_files, rewrite ... last): that is refused before any
 * handler of the new location runs, so the call-flow body is never sent
 * again, to 8x8 or anywhere else, and the subrequest ends with an empty
 * 502 that the capture filter swallows.
 */
ngx_int_t
ot_guard_redirect(ngx_http_request_t *r)
{
    ot_ctx_t   *ctx = ot_8x8_ctx(r);
    ngx_int_t   rc;

    if (ctx == NULL) {
        return NGX_DECLINED;
    }

    if (!ctx->sub_routed) {
        ctx->sub_routed = 1;
        return NGX_DECLINED;
    }

    /* an internal redirect cleared it */
    ngx_http_set_ctx(r, ctx, ngx_http_okta_telephony_module);

    if (!ctx->redirected) {
        ctx->redirected = 1;
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "okta telephony: internal redirect of the %s %s "
                      "request refused (X-Accel-Redirect, error_page, "
                      "try_files or rewrite ... last)",
                      ctx->jwks_fetch ? "JWKS" : "8x8",
                      ctx->jwks_fetch ? "key"
                                      : ot::channel_name(ctx->channel));
    }

    if (r->header_sent) {
        return NGX_HTTP_BAD_GATEWAY;
    }

    r->headers_out.status = NGX_HTTP_BAD_GATEWAY;
    r->headers_out.content_length_n = 0;
    r->header_only = 1;

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK) {
        return rc;
    }

    return ngx_http_send_special(r, NGX_HTTP_LAST);
}


/* Arms the timer for what is left of okta_telephony_timeout; in sync mode
   Okta's answer now waits for 8x8 (or the timer). */
void
ot_wait_for_8x8(ot_ctx_t *ctx, ngx_msec_t left)
{
    ngx_http_request_t  *r = ctx->request;

    ctx->timer.handler = ot_timeout_handler;
    ctx->timer.data = r;
    ctx->timer.log = r->connection->log;
    ngx_add_timer(&ctx->timer, left);

    if (ctx->conf->mode == OT_MODE_SYNC) {
        ctx->state = OT_SENDING;
        r->write_event_handler = ngx_http_request_empty_handler;
    }
}


/* request pool cleanup: the timer must not outlive the request */
void
ot_ctx_cleanup(void *data)
{
    ot_ctx_t  *ctx = static_cast<ot_ctx_t *>(data);

    if (ctx->timer.timer_set) {
        ngx_del_timer(&ctx->timer);
    }
}

}  // namespace ngx_okta_telephony
