/*
 * Two filters. The capture filter: 8x8's reply to the module's own
 * subrequest is kept in a capped buffer in the ctx and never passed on,
 * so nothing of it reaches Okta's connection and an oversized reply cannot
 * terminate the main request (as an in-memory subrequest's would). Every
 * other request passes through untouched.
 *
 * The error filter: an error page nginx itself answers on a hook location
 * (bad chunk sizes, a body over client_max_body_size, a timeout), or on a
 * hook's server before a location is chosen (Content-Length with
 * Transfer-Encoding, oversized headers), is replaced by Okta's error JSON
 * with the same status: every answer Okta can get is JSON.
 */

#include "ngx_http_okta_telephony.h"


namespace ngx_okta_telephony {

namespace {

ngx_http_output_header_filter_pt  ot_next_header_filter;
ngx_http_output_body_filter_pt    ot_next_body_filter;


/* Whether r's answer should be Okta's JSON: a hook location, or its
   server before a location was chosen. */
bool
ot_hook_scope(ngx_http_request_t *r)
{
    ot_loc_conf_t             *lcf;
    ngx_http_core_srv_conf_t  *cscf;

    lcf = static_cast<ot_loc_conf_t *>(
              ngx_http_get_module_loc_conf(r, ngx_http_okta_telephony_module));
    if (lcf->enable) {
        return true;
    }

    cscf = static_cast<ngx_http_core_srv_conf_t *>(
               ngx_http_get_module_srv_conf(r, ngx_http_core_module));

    return lcf->server_hook && r->loc_conf == cscf->ctx->loc_conf;
}


/* An nginx error page on the hook's scope: swaps its headers for Okta's
   error JSON, kept in the ctx for the body filter. */
ngx_int_t
ot_replace_error_page(ngx_http_request_t *r)
{
    ngx_str_t        *ct = &r->headers_out.content_type;
    ot_ctx_t         *ctx;
    ngx_int_t         status = r->headers_out.status;
    yajl_alloc_funcs  af;
    ot_out_t          out = { r->pool, NULL, 0, 0, false };

    if (status < NGX_HTTP_BAD_REQUEST || ct->len != sizeof("text/html") - 1
        || ngx_strncmp(ct->data, "text/html", ct->len) != 0
        || !ot_hook_scope(r))
    {
        return NGX_OK;
    }

    ctx = ot_get_ctx(r);
    if (ctx == NULL) {
        ctx = ot_create_ctx(r, static_cast<ot_loc_conf_t *>(
                  ngx_http_get_module_loc_conf(
                      r, ngx_http_okta_telephony_module)));
        if (ctx == NULL) {
            return NGX_ERROR;
        }
    }

    af = ot_yajl_funcs(r->pool);
    if (!ot::build_okta_error(ot::http_error_summary((int) status), NULL, &af,
                              ot_sink(&out))
        || out.failed)
    {
        return NGX_ERROR;
    }

    ctx->json_error = 1;
    ctx->error_body = out.data;
    ctx->error_len = out.len;

    ngx_str_set(ct, "application/json");
    r->headers_out.content_type_len = ct->len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = out.len;
    r->headers_out.charset.len = 0;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    return NGX_OK;
}


/* The body of a replaced error page: nginx's HTML is dropped, the JSON
   goes out with the last buffer. */
ngx_int_t
ot_error_body(ngx_http_request_t *r, ot_ctx_t *ctx, ngx_chain_t *in)
{
    ngx_chain_t  *cl, out;
    ngx_buf_t    *b;
    bool          last = false;

    for (cl = in; cl; cl = cl->next) {
        last = last || cl->buf->last_buf || cl->buf->last_in_chain;
        cl->buf->pos = cl->buf->last;
        if (cl->buf->in_file) {
            cl->buf->file_pos = cl->buf->file_last;
        }
    }

    if (!last) {
        return NGX_OK;
    }

    ctx->json_error = 0;

    b = static_cast<ngx_buf_t *>(ngx_pcalloc(r->pool, sizeof(ngx_buf_t)));
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = ctx->error_body;
    b->last = ctx->error_body + ctx->error_len;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ot_next_body_filter(r, &out);
}


/* header filter: records 8x8's status; swaps nginx's error pages on a
   hook for JSON */
ngx_int_t
ot_header_filter(ngx_http_request_t *r)
{
    ot_ctx_t  *ctx;

    if (r == r->main) {
        if (ot_replace_error_page(r) != NGX_OK) {
            return NGX_ERROR;
        }

        return ot_next_header_filter(r);
    }

    ctx = ot_8x8_ctx(r);

    if (ctx != NULL && !ctx->header_seen && !ctx->sub_done
        && !ctx->redirected)
    {
        ctx->header_seen = 1;
        ctx->reply_status = r->headers_out.status;
    }

    return ot_next_header_filter(r);
}


/* Room for at least "need" bytes of 8x8's reply: its Content-Length when
   it sent one, else doubling; never more than the cap. A reply of a few
   hundred bytes stays inside the pool's current block (no malloc). */
ngx_int_t
ot_grow_reply(ngx_http_request_t *r, ot_ctx_t *ctx, size_t need)
{
    size_t   cap = ctx->reply_cap;
    size_t   size;
    off_t    len = r->headers_out.content_length_n;
    u_char  *p;

    if (ctx->reply == NULL && len >= (off_t) need && len <= (off_t) cap) {
        size = (size_t) len;

    } else {
        size = ngx_max(ctx->reply_size * 2, 512);
        size = ngx_min(ngx_max(size, need), cap);
    }

    p = static_cast<u_char *>(ngx_pnalloc(r->pool, size));
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (ctx->reply_len) {
        ngx_memcpy(p, ctx->reply, ctx->reply_len);
    }

    ctx->reply = p;
    ctx->reply_size = size;

    return NGX_OK;
}


/* body filter: captures up to okta_telephony_reply_buffer_size (a JWKS:
   up to its own cap), passes nothing on */
ngx_int_t
ot_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ot_ctx_t     *ctx;
    ngx_chain_t  *cl;

    if (r == r->main) {
        ctx = ot_get_ctx(r);
        if (ctx != NULL && ctx->json_error) {
            return ot_error_body(r, ctx, in);
        }

        return ot_next_body_filter(r, in);
    }

    ctx = ot_8x8_ctx(r);
    if (ctx == NULL) {
        return ot_next_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        ngx_buf_t  *b = cl->buf;
        size_t      n;

        if (!ngx_buf_in_memory(b)) {
            if (b->in_file) {
                ctx->reply_overflow = 1;
                b->file_pos = b->file_last;
            }

            continue;
        }

        n = b->last - b->pos;

        if (n && !ctx->sub_done && !ctx->reply_overflow) {
            size_t  cap = ctx->reply_cap;

            if (n > cap - ctx->reply_len) {
                ctx->reply_overflow = 1;

            } else {
                if (ctx->reply_len + n > ctx->reply_size
                    && ot_grow_reply(r, ctx, ctx->reply_len + n) != NGX_OK)
                {
                    return NGX_ERROR;
                }

                ngx_memcpy(ctx->reply + ctx->reply_len, b->pos, n);
                ctx->reply_len += n;
            }
        }

        b->pos = b->last;

        if (b->in_file) {
            b->file_pos = b->file_last;
        }
    }

    return NGX_OK;
}

}  // namespace


/* postconfiguration: puts the capture filter at the top of the chains */
ngx_int_t
ot_filter_init(ngx_conf_t *)
{
    ot_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ot_header_filter;

    ot_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ot_body_filter;

    return NGX_OK;
}

}  // namespace ngx_okta_telephony
