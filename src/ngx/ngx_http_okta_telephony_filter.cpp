/*
 * The capture filter: 8x8's reply to the module's own subrequest is kept
 * in a capped buffer in the ctx and never passed on, so nothing of it
 * reaches Okta's connection and an oversized reply cannot terminate the
 * main request (as an in-memory subrequest's would). Every other request
 * passes through untouched.
 */

#include "ngx_http_okta_telephony.h"


namespace ngx_okta_telephony {

namespace {

ngx_http_output_header_filter_pt  ot_next_header_filter;
ngx_http_output_body_filter_pt    ot_next_body_filter;


/* header filter: records 8x8's status */
ngx_int_t
ot_header_filter(ngx_http_request_t *r)
{
    ot_ctx_t  *ctx = ot_8x8_ctx(r);

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
    size_t   cap = ctx->conf->reply_buffer_size;
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


/* body filter: captures up to okta_telephony_reply_buffer_size, passes
   nothing on */
ngx_int_t
ot_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ot_ctx_t     *ctx = ot_8x8_ctx(r);
    ngx_chain_t  *cl;

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
            size_t  cap = ctx->conf->reply_buffer_size;

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
