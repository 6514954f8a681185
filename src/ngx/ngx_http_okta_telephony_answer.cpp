/*
 * Okta's answers: the action (SUCCESSFUL / PENDING / FAILED) and every
 * error reply, always JSON built by the core. ot_answer*() record the
 * outcome, write the hook's log line and send, in that order, so no
 * answer goes out unlogged.
 */

#include "ngx_http_okta_telephony.h"


namespace ngx_okta_telephony {

/* Sends a JSON body with status; 405 also gets "Allow: POST". */
ngx_int_t
ot_send_json(ngx_http_request_t *r, ngx_uint_t status, ot_out_t *body)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    if (body->failed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = status;
    r->headers_out.content_length_n = body->len;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    if (status == NGX_HTTP_NOT_ALLOWED) {
        ngx_table_elt_t  *h = static_cast<ngx_table_elt_t *>(
                                  ngx_list_push(&r->headers_out.headers));
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->hash = 1;
#if (nginx_version >= 1023000)
        h->next = NULL;
#endif
        ngx_str_set(&h->key, "Allow");
        ngx_str_set(&h->value, "POST");
    }

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = static_cast<ngx_buf_t *>(ngx_pcalloc(r->pool, sizeof(ngx_buf_t)));
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


namespace {

ngx_int_t
ot_send_action(ot_ctx_t *ctx, ot::Status s, string_view provider,
    string_view transaction_id, string_view metadata)
{
    ngx_http_request_t  *r = ctx->request;
    yajl_alloc_funcs     af = ot_yajl_funcs(&ctx->arena);
    ot_out_t             out = { r->pool, NULL, 0, 0, false };

    if (!ot::build_okta_action(s, provider, transaction_id, metadata, &af,
                               ot_sink(&out)))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ot_send_json(r, NGX_HTTP_OK, &out);
}

}  // namespace


/* An error before or instead of parsing: {"error":{"errorSummary":...}} */
ngx_int_t
ot_send_error(ngx_http_request_t *r, ngx_uint_t status, const char *summary,
    const ot::FieldError *cause)
{
    yajl_alloc_funcs  af = ot_yajl_funcs(r->pool);
    ot_out_t          out = { r->pool, NULL, 0, 0, false };

    if (!ot::build_okta_error(summary, cause, &af, ot_sink(&out))) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ot_send_json(r, status, &out);
}


/* After an error status or an exception: a JSON 500 while nothing was
   sent yet, so Okta always gets a well-formed answer. */
ngx_int_t
ot_finish_error(ngx_http_request_t *r, ngx_int_t rc)
{
    if (rc < NGX_HTTP_SPECIAL_RESPONSE || r->header_sent) {
        return rc;
    }

    return ot_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR, "internal error",
                         NULL);
}


/* One step of a request, run so that no exception leaves it: one
   "error" line and NGX_HTTP_INTERNAL_SERVER_ERROR instead (every event
   handler and content handler of the module goes through here). */
ngx_int_t
ot_guarded(ngx_http_request_t *r, ngx_int_t (*step)(ngx_http_request_t *r))
    noexcept
{
    try {
        return step(r);

    } catch (const std::exception &e) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "okta telephony: %s", e.what());

    } catch (...) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "okta telephony: unknown exception");
    }

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/* Okta's action answer for the hook: logged, recorded, sent. */
ngx_int_t
ot_answer(ot_ctx_t *ctx, ot::Outcome outcome, ot::Status s,
    ngx_uint_t provider_status, string_view txn, const char *detail,
    string_view metadata)
{
    ot_log_outcome(ctx, outcome, provider_status, txn, detail);
    ctx->state = OT_ANSWERED;
    ot_abuse_answered(ctx, true, s, txn, metadata,
                      outcome == ot::Outcome::blocked);

    return ot_send_action(ctx, s, ot_sv(ctx->conf->provider), txn, metadata);
}


/* An error object instead of an action: logged, recorded, sent. */
ngx_int_t
ot_answer_error(ot_ctx_t *ctx, ot::Outcome outcome, ngx_uint_t status,
    const char *summary, const ot::FieldError *cause, const char *detail)
{
    ot_log_outcome(ctx, outcome, 0, string_view(), detail);
    ctx->state = OT_ANSWERED;
    ot_abuse_answered(ctx, false, ot::Status::failed, string_view(),
                      string_view(), false);

    return ot_send_error(ctx->request, status, summary, cause);
}

}  // namespace ngx_okta_telephony
