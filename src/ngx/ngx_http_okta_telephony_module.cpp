/*
 * ngx_http_okta_telephony_module: the nginx glue.
 *
 * Okta's telephony inline hook arrives in a location with "okta_telephony".
 * The glue checks the secret, feeds the body buffers to the core's parser,
 * asks the core what to send, and sends it to 8x8 through a background
 * subrequest to an internal location that proxy_passes to an upstream block.
 * The subrequest gets its own method, headers, variables and body: nothing
 * of Okta's request reaches 8x8. Its reply is captured by this module's own
 * filters into a capped buffer, mapped by the core to Okta's answer, and
 * sent back. A timer bounds the whole exchange by okta_telephony_timeout.
 *
 * All decisions live in src/core; this file converts between nginx and the
 * core. Every callback catches at the C boundary.
 */

#include "ngx_okta_telephony_nginx.h"

#include <exception>
#include <new>
#include <string_view>
#include <type_traits>

#include "telephony.hpp"


extern "C" {
extern ngx_module_t  ngx_http_okta_telephony_module;
}


namespace {

using std::string_view;
namespace ot = oktatel;


/* ---------------------------------------------------------------- conf -- */

enum : ngx_uint_t {
    OT_MODE_SYNC = 1,
    OT_MODE_ASYNC,

    OT_STATUS_SUCCESSFUL = 1,
    OT_STATUS_PENDING,
    OT_STATUS_FAILED
};


ngx_conf_enum_t  ot_modes[] = {
    { ngx_string("sync"), OT_MODE_SYNC },
    { ngx_string("async"), OT_MODE_ASYNC },
    { ngx_null_string, 0 }
};


ngx_conf_enum_t  ot_timeout_statuses[] = {
    { ngx_string("FAILED"), OT_STATUS_FAILED },
    { ngx_string("PENDING"), OT_STATUS_PENDING },
    { ngx_null_string, 0 }
};


ngx_conf_enum_t  ot_async_statuses[] = {
    { ngx_string("PENDING"), OT_STATUS_PENDING },
    { ngx_string("SUCCESSFUL"), OT_STATUS_SUCCESSFUL },
    { ngx_null_string, 0 }
};


struct ot_loc_conf_t {
    ngx_flag_t          enable;
    u_char             *enable_file;     /* where "okta_telephony" was set */
    ngx_uint_t          enable_line;

    ngx_str_t           auth_header;     /* lower case */
    ngx_array_t        *secrets;         /* of string_view */

    ngx_str_t           voice_location;
    ngx_str_t           sms_location;
    ngx_str_t           caller_id;       /* normalised E.164 */
    ngx_str_t           sms_sender;
    ngx_str_t           sms_template;
    ngx_str_t           voice_speed;
    ngx_int_t           voice_repetition;
    ngx_array_t        *voice_languages; /* of ot::VoiceLanguage */
    ngx_str_t           default_locale;  /* normalised */
    ngx_str_t           default_country_code;
    ngx_str_t           provider;

    ngx_msec_t          timeout;
    size_t              max_body_size;
    size_t              reply_buffer_size;
    ngx_flag_t          deliver_previews;
    ngx_uint_t          mode;
    ngx_uint_t          timeout_status;
    ngx_uint_t          async_status;

    /* derived in merge, read on every hook */
    ot::VoiceConfig     voice;
    ot::SmsConfig       sms;
};

static_assert(std::is_trivially_destructible<ot_loc_conf_t>::value,
              "conf lives in an nginx pool");


/* ------------------------------------------------------------- request -- */

enum ot_state_e : unsigned {
    OT_READING = 0,
    OT_SENDING,        /* subrequest to 8x8 in flight */
    OT_ANSWERED        /* Okta has its answer */
};


struct ot_ctx_t {
    ngx_http_request_t  *request;
    ngx_http_request_t  *subrequest;
    ot_loc_conf_t       *conf;
    ngx_event_t          timer;

    /* 8x8's reply, captured by the filters */
    u_char              *reply;
    size_t               reply_len;
    size_t               reply_size;     /* allocated, <= the cap */
    ngx_uint_t           reply_status;
    ngx_int_t            sub_rc;

    ot_state_e           state;
    unsigned             sub_done:1;
    unsigned             reply_overflow:1;
    unsigned             header_seen:1;
    unsigned             cleaned:1;

    /* for the log line; all validated or masked */
    ot::Channel          channel;
    ot::RequestType      type;
    char                 event_id[129];
    char                 masked_to[20];

    /* for the variables: the first outcome and 8x8's id */
    const char          *outcome;
    char                 txn[129];
};

static_assert(std::is_trivially_destructible<ot_ctx_t>::value,
              "request contexts live in the request pool");


ngx_http_output_header_filter_pt  ot_next_header_filter;
ngx_http_output_body_filter_pt    ot_next_body_filter;


/* --------------------------------------------------- pool-backed output -- */

/* A growing buffer in the request pool: the core's Sink. */
struct ot_out_t {
    ngx_pool_t  *pool;
    u_char      *data;
    size_t       len;
    size_t       cap;
    bool         failed;
};


void
ot_out_write(void *p, const char *s, size_t n)
{
    ot_out_t  *o = static_cast<ot_out_t *>(p);

    if (o->failed) {
        return;
    }

    if (o->len + n > o->cap) {
        size_t   cap = o->cap ? o->cap * 2 : 512;
        u_char  *d;

        while (cap < o->len + n) {
            cap *= 2;
        }

        d = static_cast<u_char *>(ngx_pnalloc(o->pool, cap));
        if (d == NULL) {
            o->failed = true;
            return;
        }

        if (o->len) {
            ngx_memcpy(d, o->data, o->len);
        }

        o->data = d;
        o->cap = cap;
    }

    ngx_memcpy(o->data + o->len, s, n);
    o->len += n;
}


ot::Sink
ot_sink(ot_out_t *o)
{
    return ot::Sink{ ot_out_write, o };
}


/* yajl allocates from the request pool; the pool frees it all at once. */

void *
ot_yajl_malloc(void *ctx, size_t size)
{
    size_t  *p;

    p = static_cast<size_t *>(ngx_palloc(static_cast<ngx_pool_t *>(ctx),
                                         size + sizeof(size_t) * 2));
    if (p == NULL) {
        return NULL;
    }

    p[0] = size;
    return p + 2;
}


void *
ot_yajl_realloc(void *ctx, void *ptr, size_t size)
{
    size_t  *old;
    void    *n;

    if (ptr == NULL) {
        return ot_yajl_malloc(ctx, size);
    }

    old = static_cast<size_t *>(ptr) - 2;
    if (size <= old[0]) {
        return ptr;
    }

    n = ot_yajl_malloc(ctx, size);
    if (n == NULL) {
        return NULL;
    }

    ngx_memcpy(n, ptr, old[0]);
    return n;
}


void
ot_yajl_free(void *, void *)
{
}


yajl_alloc_funcs
ot_yajl_funcs(ngx_pool_t *pool)
{
    yajl_alloc_funcs  af;

    af.malloc = ot_yajl_malloc;
    af.realloc = ot_yajl_realloc;
    af.free = ot_yajl_free;
    af.ctx = pool;

    return af;
}


string_view
ot_sv(const ngx_str_t &s)
{
    return string_view(reinterpret_cast<const char *>(s.data), s.len);
}


/* ------------------------------------------------------------- answers -- */

ngx_int_t
ot_send(ngx_http_request_t *r, ngx_uint_t status, ot_out_t *body)
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

    return ot_send(r, status, &out);
}


ngx_int_t
ot_send_action(ngx_http_request_t *r, ot::Status s, string_view provider,
    string_view transaction_id, string_view metadata)
{
    yajl_alloc_funcs  af = ot_yajl_funcs(r->pool);
    ot_out_t          out = { r->pool, NULL, 0, 0, false };

    if (!ot::build_okta_action(s, provider, transaction_id, metadata, &af,
                               ot_sink(&out)))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ot_send(r, NGX_HTTP_OK, &out);
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


ngx_msec_int_t
ot_elapsed(ngx_http_request_t *r)
{
    ngx_time_t      *tp = ngx_timeofday();
    ngx_msec_int_t   ms;

    ms = (tp->sec - r->start_sec) * 1000 + (tp->msec - r->start_msec);
    return ngx_max(ms, 0);
}


/* The one log line per hook. Only validated or masked values. */
void
ot_log_outcome(ot_ctx_t *ctx, const char *outcome, ngx_uint_t provider_status,
    string_view txn, const char *detail)
{
    ngx_http_request_t  *r = ctx->request;
    ngx_log_t           *log = r->connection->log;
    char                *action = log->action;

    if (ctx->outcome == NULL) {
        size_t  n = ngx_min(txn.size(), sizeof(ctx->txn) - 1);

        ctx->outcome = outcome;
        if (n) {
            ngx_memcpy(ctx->txn, txn.data(), n);
        }
        ctx->txn[n] = '\0';
    }

    /* no "while sending to client" on the hook's line */
    log->action = NULL;

    ngx_log_error(NGX_LOG_INFO, log, 0,
                  "okta telephony: event=%s type=%s channel=%s to=%s "
                  "outcome=%s 8x8_status=%ui txn=%*s latency=%Mms%s%s",
                  ctx->event_id[0] ? ctx->event_id : "-",
                  ot::request_type_name(ctx->type),
                  ctx->masked_to[0] ? ot::channel_name(ctx->channel) : "-",
                  ctx->masked_to[0] ? ctx->masked_to : "-",
                  outcome, provider_status,
                  txn.empty() ? 1 : txn.size(),
                  txn.empty() ? "-" : txn.data(),
                  (ngx_msec_t) ot_elapsed(r),
                  detail ? " detail=" : "", detail ? detail : "");

    log->action = action;
}


/* ---------------------------------------------------------- subrequest -- */

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

    u = sr->upstream;
    if (u != NULL && u->cleanup != NULL && *u->cleanup != NULL) {
        /* closes the 8x8 connection and finalizes the subrequest with
           NGX_DONE: its post handler does not run again */
        (*u->cleanup)(sr);
    }
}


/* The log's detail= for a refusal: 8x8's code, else what went wrong. */
const char *
ot_failure_detail(ot_ctx_t *ctx, ot::Status s, const ot::ProviderReply &rep)
{
    if (s == ot::Status::successful) {
        return NULL;
    }

    if (!ctx->header_seen) {
        return "unreachable";
    }

    if (ctx->reply_overflow) {
        return "reply-too-large";
    }

    if (!rep.code.empty()) {
        return rep.code.data;
    }

    return rep.json ? "not-accepted" : "not-8x8-json";
}


/* What 8x8's reply means for Okta: the status, 8x8's reply as parsed, the
   HTTP status to log and, unless successful, the metadata text. Shared by
   the sync answer and the async log line. */
ot::Status
ot_judge_reply(ot_ctx_t *ctx, ot::ProviderReply *rep, ngx_uint_t *status,
    char *meta, size_t cap)
{
    yajl_alloc_funcs  af = ot_yajl_funcs(ctx->request->pool);
    const char       *ch = ot::channel_name(ctx->channel);

    if (!ctx->header_seen) {
        /* no reply at all: connection refused, no live upstream, ... */
        *status = (ctx->sub_rc >= NGX_HTTP_SPECIAL_RESPONSE)
                  ? (ngx_uint_t) ctx->sub_rc : NGX_HTTP_BAD_GATEWAY;
        *ngx_snprintf(reinterpret_cast<u_char *>(meta), cap - 1,
                      "8x8 %s unreachable (HTTP %ui from nginx)",
                      ch, *status) = '\0';
        return ot::Status::failed;
    }

    *status = ctx->reply_status;

    if (ctx->reply_overflow) {
        *ngx_snprintf(reinterpret_cast<u_char *>(meta), cap - 1,
                      "8x8 %s HTTP %ui: reply larger than "
                      "okta_telephony_reply_buffer_size", ch, *status) = '\0';
        return ot::Status::failed;
    }

    const char *body = reinterpret_cast<const char *>(ctx->reply);

    *rep = (ctx->channel == ot::Channel::voice)
           ? ot::parse_voice_reply((int) *status, body, ctx->reply_len, &af)
           : ot::parse_sms_reply((int) *status, body, ctx->reply_len, &af);

    return ot::decide(ctx->channel, (int) *status, *rep, meta, cap);
}


/* Maps what 8x8 did to Okta's answer and sends it. */
ngx_int_t
ot_answer_from_reply(ot_ctx_t *ctx)
{
    ot::ProviderReply  rep{};
    ot::Status         s;
    ngx_uint_t         status;
    char               meta[300];

    s = ot_judge_reply(ctx, &rep, &status, meta, sizeof(meta));

    if (s == ot::Status::successful && ctx->sub_rc == NGX_ERROR) {
        /* a complete, accepting reply, then the connection failed: 8x8 has
           the request; saying FAILED would send two codes */
        ngx_log_error(NGX_LOG_WARN, ctx->request->connection->log, 0,
                      "okta telephony: 8x8 connection failed after a "
                      "complete reply");
    }

    ot_log_outcome(ctx, ot::status_name(s), status, rep.transaction_id.view(),
                   ot_failure_detail(ctx, s, rep));

    ctx->state = OT_ANSWERED;

    return ot_send_action(ctx->request, s, ot_sv(ctx->conf->provider),
                          rep.transaction_id.view(),
                          s == ot::Status::successful ? string_view() : meta);
}


void
ot_resume(ngx_http_request_t *r)
{
    ot_ctx_t   *ctx;
    ngx_int_t   rc;

    ctx = static_cast<ot_ctx_t *>(
              ngx_http_get_module_ctx(r, ngx_http_okta_telephony_module));

    r->write_event_handler = ngx_http_request_empty_handler;

    if (ctx == NULL || ctx->state != OT_SENDING) {
        return;
    }

    if (ctx->timer.timer_set) {
        ngx_del_timer(&ctx->timer);
    }

    try {
        rc = ot_answer_from_reply(ctx);

    } catch (const std::exception &e) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "okta telephony: %s", e.what());
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;

    } catch (...) {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_finalize_request(r, ot_finish_error(r, rc));
}


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

    if (!ctx->header_seen && rc == NGX_OK && sr->headers_out.status) {
        ctx->header_seen = 1;
        ctx->reply_status = sr->headers_out.status;
    }

    if (ctx->state == OT_SENDING) {
        /* if posting fails (no memory), the timer answers instead */
        r->write_event_handler = ot_resume;
        (void) ngx_http_post_request(r, NULL);

        return NGX_OK;
    }

    /* async mode: Okta already has its answer; log what 8x8 did */
    if (ctx->state == OT_ANSWERED && ctx->conf->mode == OT_MODE_ASYNC) {
        try {
            ot::ProviderReply  rep{};
            ngx_uint_t         status;
            char               meta[300];
            ot::Status         s = ot_judge_reply(ctx, &rep, &status, meta,
                                                  sizeof(meta));

            ot_log_outcome(ctx, s == ot::Status::successful
                                ? "async-delivered" : "async-failed",
                           status, rep.transaction_id.view(),
                           ot_failure_detail(ctx, s, rep));

        } catch (...) {
            /* nothing to answer any more */
        }
    }

    return NGX_OK;
}


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


/* Creates the 8x8 request as a background subrequest with its own
   method, headers, variables and body. */
ngx_int_t
ot_start_subrequest(ot_ctx_t *ctx, ngx_str_t *uri, ot_out_t *body)
{
    ngx_http_request_t          *r = ctx->request;
    ngx_http_request_t          *sr;
    ngx_http_post_subrequest_t  *ps;
    ngx_http_request_body_t     *rb;
    ngx_http_core_main_conf_t   *cmcf;
    ngx_table_elt_t             *h;
    ngx_buf_t                   *b;
    ngx_chain_t                 *cl;

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
    ngx_http_set_ctx(sr, ctx, ngx_http_okta_telephony_module);

    sr->method = NGX_HTTP_POST;
    ngx_str_set(&sr->method_name, "POST");

    /* own variables: cached values of the parent ($http_authorization,
       $request_body, ...) must not be visible to the internal location */
    cmcf = static_cast<ngx_http_core_main_conf_t *>(
               ngx_http_get_module_main_conf(r, ngx_http_core_module));
    sr->variables = static_cast<ngx_http_variable_value_t *>(
                        ngx_pcalloc(r->pool, cmcf->variables.nelts
                                    * sizeof(ngx_http_variable_value_t)));
    if (sr->variables == NULL) {
        return NGX_ERROR;
    }

    /* own headers: none of Okta's */
    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));

    if (ngx_list_init(&sr->headers_in.headers, r->pool, 2,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    h = ot_push_header(&sr->headers_in.headers, "Content-Type",
                       "content-type", "application/json");
    if (h == NULL) {
        return NGX_ERROR;
    }

    sr->headers_in.content_type = h;

    if (ot_push_header(&sr->headers_in.headers, "Accept", "accept",
                       "application/json")
        == NULL)
    {
        return NGX_ERROR;
    }

    sr->headers_in.content_length_n = body->len;
    sr->headers_in.keep_alive_n = -1;
    sr->headers_in.server = r->headers_in.server;

    /* own body */
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

    /* the capture filter wants memory buffers */
    sr->filter_need_in_memory = 1;
    sr->header_only = 0;

    return NGX_OK;
}


/* --------------------------------------------------------------- timer -- */

void
ot_timeout_handler(ngx_event_t *ev)
{
    ngx_http_request_t  *r = static_cast<ngx_http_request_t *>(ev->data);
    ngx_connection_t    *c = r->connection;
    ot_ctx_t            *ctx;
    ngx_int_t            rc;

    ctx = static_cast<ot_ctx_t *>(
              ngx_http_get_module_ctx(r, ngx_http_okta_telephony_module));

    if (ctx->state == OT_SENDING && ctx->sub_done) {
        /* 8x8 has answered but the answer was not posted */
        ot_resume(r);
        ngx_http_run_posted_requests(c);
        return;
    }

    try {
        if (ctx->state == OT_SENDING && !ctx->sub_done) {
            ot::Status  s = (ctx->conf->timeout_status == OT_STATUS_PENDING)
                            ? ot::Status::pending : ot::Status::failed;
            u_char      meta[120];

            ot_abort_subrequest(ctx);

            *ngx_snprintf(meta, sizeof(meta) - 1,
                          "8x8 %s did not answer within %M ms",
                          ot::channel_name(ctx->channel),
                          ctx->conf->timeout) = '\0';

            ot_log_outcome(ctx, ot::status_name(s), 0, string_view(),
                           "timeout");

            ctx->state = OT_ANSWERED;
            r->write_event_handler = ngx_http_request_empty_handler;

            rc = ot_send_action(r, s, ot_sv(ctx->conf->provider),
                                string_view(),
                                reinterpret_cast<const char *>(meta));
            ngx_http_finalize_request(r, rc);

        } else if (ctx->state == OT_ANSWERED && !ctx->sub_done) {
            /* async: give up on 8x8; this may free the request */
            ot_log_outcome(ctx, "async-timeout", 0, string_view(), "timeout");
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


void
ot_ctx_cleanup(void *data)
{
    ot_ctx_t  *ctx = static_cast<ot_ctx_t *>(data);

    if (ctx->timer.timer_set) {
        ngx_del_timer(&ctx->timer);
    }
}


/* ---------------------------------------------------------- the body -- */

enum ot_feed_e { OT_FED, OT_TOO_LARGE, OT_BAD, OT_IO_ERROR };


/* Feeds the request body to the parser buffer by buffer: memory buffers
   as they are, file buffers through a small stack buffer. */
ot_feed_e
ot_feed_body(ngx_http_request_t *r, ot::HookParser *parser, size_t max)
{
    ngx_chain_t  *cl;
    size_t        total = 0;
    u_char        chunk[4096];

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
            off_t  pos = b->file_pos;

            if ((size_t) (b->file_last - b->file_pos) > max - total) {
                return OT_TOO_LARGE;
            }

            while (pos < b->file_last) {
                size_t   want = ngx_min((off_t) sizeof(chunk),
                                        b->file_last - pos);
                ssize_t  n = ngx_read_file(b->file, chunk, want, pos);

                if (n <= 0) {
                    return OT_IO_ERROR;
                }

                total += n;
                pos += n;

                if (!parser->feed(reinterpret_cast<const char *>(chunk), n)) {
                    return OT_BAD;
                }
            }
        }
    }

    return OT_FED;
}


ngx_int_t
ot_process_hook(ngx_http_request_t *r, ot_ctx_t *ctx)
{
    ot_loc_conf_t     *conf = ctx->conf;
    yajl_alloc_funcs   af = ot_yajl_funcs(r->pool);
    ot::RawHook        raw;
    ot::Hook           hook;
    ot::FieldError     ferr;
    ot::ValidateOptions vopt;
    ngx_str_t         *uri;
    ngx_msec_int_t     left;
    bool               built = false;
    ot_out_t           body = { r->pool, NULL, 0, 0, false };

    {
        ot::HookParser  parser(&raw, &af);

        switch (ot_feed_body(r, &parser, conf->max_body_size)) {

        case OT_TOO_LARGE:
            ot_log_outcome(ctx, "rejected", 0, string_view(),
                           "body-too-large");
            return ot_send_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                 "request body is too large", NULL);

        case OT_IO_ERROR:
            return NGX_HTTP_INTERNAL_SERVER_ERROR;

        case OT_BAD:
            break;

        case OT_FED:
            parser.finish();
            break;
        }

        if (parser.error() != ot::ParseError::none) {
            const char  *why = ot::parse_error_text(parser.error());

            ot_log_outcome(ctx, "bad-request", 0, string_view(), why);
            return ot_send_error(r, NGX_HTTP_BAD_REQUEST, why, NULL);
        }
    }

    if (!conf->deliver_previews && ot::is_preview(raw)) {
        ot_log_outcome(ctx, "preview", 0, string_view(), "not-sent");
        return ot_send_action(r, ot::Status::successful,
                              ot_sv(conf->provider), "preview",
                              "Preview request: not sent to 8x8");
    }

    vopt.default_country_code = ot_sv(conf->default_country_code);

    if (!ot::validate(raw, vopt, &hook, &ferr)) {
        ot_log_outcome(ctx, "invalid", 0, string_view(),
                       ot::field_path(ferr.field));
        return ot_send_error(r, NGX_HTTP_OK, "The hook request is invalid",
                             &ferr);
    }

    ctx->channel = hook.channel;
    ctx->type = hook.type;
    ngx_memcpy(ctx->event_id, hook.event_id.data, hook.event_id.len + 1);
    ot::mask_phone(hook.e164.view(), ctx->masked_to, sizeof(ctx->masked_to));

    if (hook.channel == ot::Channel::voice) {
        uri = &conf->voice_location;
        if (uri->len) {
            built = ot::build_voice_request(hook, conf->voice, &af,
                                            ot_sink(&body));
        }

    } else {
        uri = &conf->sms_location;
        if (uri->len) {
            built = ot::build_sms_request(hook, conf->sms, &af,
                                          ot_sink(&body));
        }
    }

    if (uri->len == 0) {
        ot_log_outcome(ctx, "FAILED", 0, string_view(),
                       "channel-not-configured");
        return ot_send_action(r, ot::Status::failed, ot_sv(conf->provider),
                              string_view(),
                              hook.channel == ot::Channel::voice
                              ? "voice delivery is not configured"
                              : "SMS delivery is not configured");
    }

    if (!built || body.failed) {
        ot_log_outcome(ctx, "FAILED", 0, string_view(), "build-failed");
        return ot_send_action(r, ot::Status::failed, ot_sv(conf->provider),
                              string_view(),
                              "could not build the 8x8 request");
    }

    left = (ngx_msec_int_t) conf->timeout - ot_elapsed(r);
    if (left <= 0) {
        ot::Status  s = (conf->timeout_status == OT_STATUS_PENDING)
                        ? ot::Status::pending : ot::Status::failed;

        ot_log_outcome(ctx, ot::status_name(s), 0, string_view(), "timeout");
        return ot_send_action(r, s, ot_sv(conf->provider), string_view(),
                              "okta_telephony_timeout passed before sending");
    }

    if (ot_start_subrequest(ctx, uri, &body) != NGX_OK) {
        ot_log_outcome(ctx, "FAILED", 0, string_view(), "subrequest-failed");
        return ot_send_action(r, ot::Status::failed, ot_sv(conf->provider),
                              string_view(), "could not start the 8x8 request");
    }

    ctx->timer.handler = ot_timeout_handler;
    ctx->timer.data = r;
    ctx->timer.log = r->connection->log;
    ngx_add_timer(&ctx->timer, (ngx_msec_t) left);

    if (conf->mode == OT_MODE_ASYNC) {
        ot::Status  s = (conf->async_status == OT_STATUS_SUCCESSFUL)
                        ? ot::Status::successful : ot::Status::pending;

        ctx->state = OT_ANSWERED;
        ot_log_outcome(ctx, "async-accepted", 0, string_view(), NULL);
        return ot_send_action(r, s, ot_sv(conf->provider), string_view(),
                              "delivery started; outcome not confirmed");
    }

    ctx->state = OT_SENDING;
    r->write_event_handler = ngx_http_request_empty_handler;

    return NGX_DONE;
}


void
ot_body_handler(ngx_http_request_t *r)
{
    ot_ctx_t   *ctx;
    ngx_int_t   rc;

    ctx = static_cast<ot_ctx_t *>(
              ngx_http_get_module_ctx(r, ngx_http_okta_telephony_module));

    try {
        rc = ot_process_hook(r, ctx);

    } catch (const std::exception &e) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "okta telephony: %s", e.what());
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;

    } catch (...) {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DONE) {
        /* waiting for 8x8: the reference taken by reading the body
           is released when the answer is sent */
        return;
    }

    ngx_http_finalize_request(r, ot_finish_error(r, rc));
}


/* ----------------------------------------------------------- handler -- */

/* The header Okta puts the secret in; NULL if absent or repeated. */
ngx_table_elt_t *
ot_find_auth_header(ngx_http_request_t *r, ngx_str_t *name)
{
    ngx_list_part_t  *part = &r->headers_in.headers.part;
    ngx_table_elt_t  *h = static_cast<ngx_table_elt_t *>(part->elts);
    ngx_table_elt_t  *found = NULL;
    ngx_uint_t        i;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = static_cast<ngx_table_elt_t *>(part->elts);
            i = 0;
        }

        if (h[i].hash == 0 || h[i].key.len != name->len
            || ngx_strncmp(h[i].lowcase_key, name->data, name->len) != 0)
        {
            continue;
        }

        if (found) {
            return NULL;
        }

        found = &h[i];
    }

    return found;
}


bool
ot_authenticated(ngx_http_request_t *r, ot_loc_conf_t *conf)
{
    ngx_table_elt_t  *h = ot_find_auth_header(r, &conf->auth_header);

    if (h == NULL || conf->secrets == NULL) {
        return false;
    }

    return ot::secret_matches_any(
               ot_sv(h->value),
               static_cast<const string_view *>(conf->secrets->elts),
               conf->secrets->nelts);
}


ngx_int_t
ot_reject(ngx_http_request_t *r, ngx_uint_t status, const char *summary)
{
    ngx_int_t  rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    return ot_send_error(r, status, summary, NULL);
}


ngx_int_t
ot_handler(ngx_http_request_t *r)
{
    ot_loc_conf_t       *conf;
    ot_ctx_t            *ctx;
    ngx_pool_cleanup_t  *cln;
    ngx_int_t            rc;

    try {
        if (r != r->main) {
            return NGX_HTTP_NOT_FOUND;
        }

        conf = static_cast<ot_loc_conf_t *>(ngx_http_get_module_loc_conf(
                   r, ngx_http_okta_telephony_module));

        if (!ot_authenticated(r, conf)) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "okta telephony: request without a valid "
                          "\"%V\" header refused", &conf->auth_header);
            return ot_reject(r, NGX_HTTP_UNAUTHORIZED,
                             "authentication required");
        }

        if (r->method != NGX_HTTP_POST) {
            return ot_reject(r, NGX_HTTP_NOT_ALLOWED,
                             "only POST is allowed");
        }

        if (r->headers_in.content_length_n > (off_t) conf->max_body_size) {
            /* do not read what will be refused */
            r->keepalive = 0;
            r->lingering_close = 1;
            r->expect_tested = 1;
            return ot_send_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                 "request body is too large", NULL);
        }

        ctx = static_cast<ot_ctx_t *>(ngx_pcalloc(r->pool, sizeof(ot_ctx_t)));
        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (ctx == NULL || cln == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->request = r;
        ctx->conf = conf;
        ctx->state = OT_READING;
        ctx->type = ot::RequestType::other;

        cln->handler = ot_ctx_cleanup;
        cln->data = ctx;

        ngx_http_set_ctx(r, ctx, ngx_http_okta_telephony_module);

        rc = ngx_http_read_client_request_body(r, ot_body_handler);
        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        return NGX_DONE;

    } catch (...) {
        return ot_finish_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}


/* ------------------------------------------------------------ filters -- */

ot_ctx_t *
ot_capture_ctx(ngx_http_request_t *r)
{
    ot_ctx_t  *ctx;

    if (r == r->main) {
        return NULL;
    }

    ctx = static_cast<ot_ctx_t *>(
              ngx_http_get_module_ctx(r, ngx_http_okta_telephony_module));

    return (ctx != NULL && ctx->subrequest == r) ? ctx : NULL;
}


ngx_int_t
ot_header_filter(ngx_http_request_t *r)
{
    ot_ctx_t  *ctx = ot_capture_ctx(r);

    if (ctx != NULL && !ctx->header_seen && !ctx->sub_done) {
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


/* Captures 8x8's reply up to okta_telephony_reply_buffer_size and passes
   nothing on: the reply never reaches Okta's connection. */
ngx_int_t
ot_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ot_ctx_t     *ctx = ot_capture_ctx(r);
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


/* ---------------------------------------------------------- variables -- */

enum ot_var_e : uintptr_t { OT_VAR_OUTCOME, OT_VAR_EVENT_ID, OT_VAR_TXN };


ngx_int_t
ot_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    ot_ctx_t    *ctx;
    const char  *s = NULL;

    ctx = static_cast<ot_ctx_t *>(
              ngx_http_get_module_ctx(r->main, ngx_http_okta_telephony_module));

    if (ctx != NULL) {
        switch (data) {
        case OT_VAR_OUTCOME:
            s = ctx->outcome;
            break;
        case OT_VAR_EVENT_ID:
            s = ctx->event_id;
            break;
        default:
            s = ctx->txn;
            break;
        }
    }

    if (s == NULL || *s == '\0') {
        v->not_found = 1;
        return NGX_OK;
    }

    /* every value is validated or fixed text: nothing to escape */
    v->data = reinterpret_cast<u_char *>(const_cast<char *>(s));
    v->len = ngx_strlen(s);
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


ngx_http_variable_t  ot_variables[] = {

    { ngx_string("okta_telephony_outcome"), NULL, ot_variable,
      OT_VAR_OUTCOME, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("okta_telephony_event_id"), NULL, ot_variable,
      OT_VAR_EVENT_ID, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("okta_telephony_transaction_id"), NULL, ot_variable,
      OT_VAR_TXN, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    ngx_http_null_variable
};


ngx_int_t
ot_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ot_variables; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


/* ------------------------------------------------------------- config -- */

void *
ot_create_loc_conf(ngx_conf_t *cf)
{
    ot_loc_conf_t  *conf;

    conf = static_cast<ot_loc_conf_t *>(
               ngx_pcalloc(cf->pool, sizeof(ot_loc_conf_t)));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->auth_header = { 0, NULL };
     *     conf->voice_location = { 0, NULL };
     *     ... every ngx_str_t: unset when data == NULL
     */

    conf->enable = NGX_CONF_UNSET;
    conf->secrets = static_cast<ngx_array_t *>(NGX_CONF_UNSET_PTR);
    conf->voice_languages = static_cast<ngx_array_t *>(NGX_CONF_UNSET_PTR);
    conf->voice_repetition = NGX_CONF_UNSET;
    conf->timeout = NGX_CONF_UNSET_MSEC;
    conf->max_body_size = NGX_CONF_UNSET_SIZE;
    conf->reply_buffer_size = NGX_CONF_UNSET_SIZE;
    conf->deliver_previews = NGX_CONF_UNSET;
    conf->mode = NGX_CONF_UNSET_UINT;
    conf->timeout_status = NGX_CONF_UNSET_UINT;
    conf->async_status = NGX_CONF_UNSET_UINT;

    return conf;
}


char *
ot_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ot_loc_conf_t  *prev = static_cast<ot_loc_conf_t *>(parent);
    ot_loc_conf_t  *conf = static_cast<ot_loc_conf_t *>(child);
    ngx_uint_t      sync = OT_MODE_SYNC, failed = OT_STATUS_FAILED,
                    pending = OT_STATUS_PENDING;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_str_value(conf->auth_header, prev->auth_header,
                             "authorization");
    ngx_conf_merge_ptr_value(conf->secrets, prev->secrets, NULL);
    ngx_conf_merge_str_value(conf->voice_location, prev->voice_location, "");
    ngx_conf_merge_str_value(conf->sms_location, prev->sms_location, "");
    ngx_conf_merge_str_value(conf->caller_id, prev->caller_id, "");
    ngx_conf_merge_str_value(conf->sms_sender, prev->sms_sender, "");
    ngx_conf_merge_str_value(conf->sms_template, prev->sms_template,
                             "Your verification code is {code}");
    ngx_conf_merge_str_value(conf->voice_speed, prev->voice_speed, "0.8");
    ngx_conf_merge_value(conf->voice_repetition, prev->voice_repetition, 2);
    ngx_conf_merge_ptr_value(conf->voice_languages, prev->voice_languages,
                             NULL);
    ngx_conf_merge_str_value(conf->default_locale, prev->default_locale, "en");
    ngx_conf_merge_str_value(conf->default_country_code,
                             prev->default_country_code, "");
    ngx_conf_merge_str_value(conf->provider, prev->provider, "8x8");
    ngx_conf_merge_msec_value(conf->timeout, prev->timeout, 2000);
    ngx_conf_merge_size_value(conf->max_body_size, prev->max_body_size,
                              8 * 1024);
    ngx_conf_merge_size_value(conf->reply_buffer_size,
                              prev->reply_buffer_size, 8 * 1024);
    ngx_conf_merge_value(conf->deliver_previews, prev->deliver_previews, 0);
    ngx_conf_merge_uint_value(conf->mode, prev->mode, sync);
    ngx_conf_merge_uint_value(conf->timeout_status, prev->timeout_status,
                              failed);
    ngx_conf_merge_uint_value(conf->async_status, prev->async_status,
                              pending);

    conf->voice.caller_id = ot_sv(conf->caller_id);
    conf->voice.speed = ot_sv(conf->voice_speed);
    conf->voice.repetition = (int) conf->voice_repetition;
    conf->voice.languages = conf->voice_languages
        ? static_cast<const ot::VoiceLanguage *>(conf->voice_languages->elts)
        : NULL;
    conf->voice.nlanguages = conf->voice_languages
                             ? conf->voice_languages->nelts : 0;
    conf->voice.default_locale = ot_sv(conf->default_locale);

    conf->sms.source = ot_sv(conf->sms_sender);
    conf->sms.text_template = ot_sv(conf->sms_template);

    if (!conf->enable) {
        return NGX_CONF_OK;
    }

    /* fail closed: an endpoint must be able to tell Okta from anyone */

    if (conf->secrets == NULL || conf->secrets->nelts == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"okta_telephony\" in %s:%ui has no "
                      "\"okta_telephony_secret\" or "
                      "\"okta_telephony_secret_file\"",
                      conf->enable_file, conf->enable_line);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (conf->voice_location.len == 0 && conf->sms_location.len == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"okta_telephony\" in %s:%ui has neither "
                      "\"okta_telephony_voice_location\" nor "
                      "\"okta_telephony_sms_location\"",
                      conf->enable_file, conf->enable_line);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (conf->voice_location.len && conf->caller_id.len == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"okta_telephony\" in %s:%ui sends voice calls but "
                      "has no \"okta_telephony_caller_id\"",
                      conf->enable_file, conf->enable_line);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    return NGX_CONF_OK;
}


char *
ot_set_enable(ngx_conf_t *cf, ngx_command_t *, void *c)
{
    ot_loc_conf_t             *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_http_core_loc_conf_t  *clcf;

    if (conf->enable != NGX_CONF_UNSET) {
        return const_cast<char *>("is duplicate");
    }

    conf->enable = 1;
    conf->enable_file = cf->conf_file->file.name.data;
    conf->enable_line = cf->conf_file->line;

    clcf = static_cast<ngx_http_core_loc_conf_t *>(
               ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module));
    clcf->handler = ot_handler;

    return NGX_CONF_OK;
}


char *
ot_add_secret(ngx_conf_t *cf, ot_loc_conf_t *conf, ngx_command_t *cmd,
    u_char *p, size_t len)
{
    string_view  *sv;
    size_t        i;

    if (len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" is empty",
                           &cmd->name);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    /* a header value: nginx strips surrounding spaces, and Okta's own
       guides use "Basic <base64>" as a secret */
    for (i = 0; i < len; i++) {
        if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": a secret cannot contain control "
                               "characters", &cmd->name);
            return static_cast<char *>(NGX_CONF_ERROR);
        }
    }

    if (p[0] == ' ' || p[0] == '\t' || p[len - 1] == ' '
        || p[len - 1] == '\t')
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": a secret cannot start or end with a "
                           "space: header values are trimmed", &cmd->name);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (len < 16) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"%V\": a secret shorter than 16 characters is "
                           "easy to guess", &cmd->name);
    }

    if (conf->secrets == NGX_CONF_UNSET_PTR) {
        conf->secrets = ngx_array_create(cf->pool, 2, sizeof(string_view));
        if (conf->secrets == NULL) {
            return static_cast<char *>(NGX_CONF_ERROR);
        }
    }

    sv = static_cast<string_view *>(ngx_array_push(conf->secrets));
    if (sv == NULL) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    *sv = string_view(reinterpret_cast<const char *>(p), len);

    return NGX_CONF_OK;
}


char *
ot_set_secret(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    ngx_str_t  *value = static_cast<ngx_str_t *>(cf->args->elts);

    return ot_add_secret(cf, static_cast<ot_loc_conf_t *>(c), cmd,
                         value[1].data, value[1].len);
}


/* One secret per line; blank lines and lines starting with '#' skipped. */
char *
ot_set_secret_file(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    ot_loc_conf_t   *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_str_t       *value = static_cast<ngx_str_t *>(cf->args->elts);
    ngx_str_t        name = value[1];
    ngx_file_t       file;
    ngx_file_info_t  fi;
    u_char          *buf, *p, *end, *eol, *last;
    ssize_t          n;
    size_t           size;
    ngx_uint_t       found = 0;
    char            *rv = NGX_CONF_OK;

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.name = name;
    file.log = cf->log;
    file.fd = ngx_open_file(name.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (file.fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%s\" failed", name.data);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (ngx_fd_info(file.fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%s\" failed", name.data);
        rv = static_cast<char *>(NGX_CONF_ERROR);
        goto done;
    }

    size = ngx_file_size(&fi);
    if (size > 64 * 1024) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" \"%s\" is larger than 64k",
                           &cmd->name, name.data);
        rv = static_cast<char *>(NGX_CONF_ERROR);
        goto done;
    }

    if (fi.st_mode & S_IROTH) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"%V\" \"%s\" is readable by everyone",
                           &cmd->name, name.data);
    }

    buf = static_cast<u_char *>(ngx_pnalloc(cf->pool, size + 1));
    if (buf == NULL) {
        rv = static_cast<char *>(NGX_CONF_ERROR);
        goto done;
    }

    n = ngx_read_file(&file, buf, size, 0);
    if (n == NGX_ERROR || (size_t) n != size) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_file_n " \"%s\" failed", name.data);
        rv = static_cast<char *>(NGX_CONF_ERROR);
        goto done;
    }

    end = buf + size;

    for (p = buf; p < end; p = eol + 1) {
        eol = static_cast<u_char *>(ngx_strlchr(p, end, '\n'));
        if (eol == NULL) {
            eol = end;
        }

        last = eol;
        while (last > p && (last[-1] == '\r' || last[-1] == ' '
                            || last[-1] == '\t'))
        {
            last--;
        }

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == last || *p == '#') {
            continue;
        }

        rv = ot_add_secret(cf, conf, cmd, p, last - p);
        if (rv != NGX_CONF_OK) {
            goto done;
        }

        found++;
    }

    if (found == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" \"%s\" contains no secret",
                           &cmd->name, name.data);
        rv = static_cast<char *>(NGX_CONF_ERROR);
    }

done:

    if (ngx_close_file(file.fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, cf->log, ngx_errno,
                      ngx_close_file_n " \"%s\" failed", name.data);
    }

    return rv;
}


char *
ot_set_auth_header(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    ot_loc_conf_t  *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_str_t      *value = static_cast<ngx_str_t *>(cf->args->elts);
    size_t          i;

    if (conf->auth_header.data) {
        return const_cast<char *>("is duplicate");
    }

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" is empty",
                           &cmd->name);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    for (i = 0; i < value[1].len; i++) {
        u_char  ch = value[1].data[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
              || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": invalid header name \"%V\"",
                               &cmd->name, &value[1]);
            return static_cast<char *>(NGX_CONF_ERROR);
        }

        value[1].data[i] = ngx_tolower(ch);
    }

    conf->auth_header = value[1];

    return NGX_CONF_OK;
}


/* An internal location's URI: "/..." without arguments. */
char *
ot_set_location(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    ngx_str_t  *value = static_cast<ngx_str_t *>(cf->args->elts);
    ngx_str_t  *field;

    field = reinterpret_cast<ngx_str_t *>(static_cast<u_char *>(c)
                                          + cmd->offset);

    if (field->data) {
        return const_cast<char *>("is duplicate");
    }

    if (value[1].len < 2 || value[1].data[0] != '/'
        || ngx_strlchr(value[1].data, value[1].data + value[1].len, '?')
        || ngx_strlchr(value[1].data, value[1].data + value[1].len, '$'))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must be a location URI such as "
                           "\"/_8x8/voice\", not \"%V\"",
                           &cmd->name, &value[1]);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    *field = value[1];

    return NGX_CONF_OK;
}


char *
ot_set_caller_id(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    ot_loc_conf_t     *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_str_t         *value = static_cast<ngx_str_t *>(cf->args->elts);
    ot::FixedStr<16>   e164;
    const char        *reason = "";

    if (conf->caller_id.data) {
        return const_cast<char *>("is duplicate");
    }

    if (value[1].len == 0 || value[1].data[0] != '+'
        || !ot::normalize_phone(ot_sv(value[1]), "", &e164, &reason))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must be a phone number in E.164 form "
                           "such as \"+6512341234\", not \"%V\"",
                           &cmd->name, &value[1]);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    conf->caller_id.len = e164.len;
    conf->caller_id.data = static_cast<u_char *>(
                               ngx_pnalloc(cf->pool, e164.len));
    if (conf->caller_id.data == NULL) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    ngx_memcpy(conf->caller_id.data, e164.data, e164.len);

    return NGX_CONF_OK;
}


char *
ot_set_sms_sender(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    ot_loc_conf_t  *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_str_t      *value = static_cast<ngx_str_t *>(cf->args->elts);
    size_t          i;

    if (conf->sms_sender.data) {
        return const_cast<char *>("is duplicate");
    }

    if (value[1].len == 0 || value[1].len > 15) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must be 1 to 15 characters", &cmd->name);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    for (i = 0; i < value[1].len; i++) {
        u_char  ch = value[1].data[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
              || (ch >= '0' && ch <= '9') || ch == '+' || ch == ' '
              || ch == '-' || ch == '.' || ch == '_'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" may contain letters, digits, "
                               "spaces and \"+-._\" only", &cmd->name);
            return static_cast<char *>(NGX_CONF_ERROR);
        }
    }

    conf->sms_sender = value[1];

    return NGX_CONF_OK;
}


bool
ot_has_code(const ngx_str_t &s)
{
    return ot_sv(s).find("{code}") != string_view::npos;
}


char *
ot_set_sms_template(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    ot_loc_conf_t  *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_str_t      *value = static_cast<ngx_str_t *>(cf->args->elts);

    if (conf->sms_template.data) {
        return const_cast<char *>("is duplicate");
    }

    if (!ot_has_code(value[1]) || value[1].len > 900) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must contain \"{code}\" and be at most "
                           "900 bytes", &cmd->name);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    conf->sms_template = value[1];

    return NGX_CONF_OK;
}


char *
ot_set_voice_speed(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    ot_loc_conf_t  *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_str_t      *value = static_cast<ngx_str_t *>(cf->args->elts);
    ngx_int_t       hundredths;

    if (conf->voice_speed.data) {
        return const_cast<char *>("is duplicate");
    }

    hundredths = ngx_atofp(value[1].data, value[1].len, 2);

    if (hundredths == NGX_ERROR || hundredths < 50 || hundredths > 200
        || value[1].data[0] == '.')
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must be a number from 0.5 to 2 with at "
                           "most two decimals, not \"%V\"",
                           &cmd->name, &value[1]);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    conf->voice_speed = value[1];

    return NGX_CONF_OK;
}


char *
ot_set_voice_repetition(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    ot_loc_conf_t  *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_str_t      *value = static_cast<ngx_str_t *>(cf->args->elts);
    ngx_int_t       n;

    if (conf->voice_repetition != NGX_CONF_UNSET) {
        return const_cast<char *>("is duplicate");
    }

    n = ngx_atoi(value[1].data, value[1].len);
    if (n < 1 || n > 3) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must be 1, 2 or 3, not \"%V\"",
                           &cmd->name, &value[1]);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    conf->voice_repetition = n;

    return NGX_CONF_OK;
}


char *
ot_set_locale(ngx_conf_t *cf, ngx_command_t *cmd, ngx_str_t *in,
    ngx_str_t *out)
{
    ot::FixedStr<35>  tag;

    if (!ot::normalize_locale(ot_sv(*in), &tag)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": invalid language tag \"%V\"",
                           &cmd->name, in);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    out->len = tag.len;
    out->data = static_cast<u_char *>(ngx_pnalloc(cf->pool, tag.len));
    if (out->data == NULL) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    ngx_memcpy(out->data, tag.data, tag.len);

    return NGX_CONF_OK;
}


char *
ot_set_default_locale(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    ot_loc_conf_t  *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_str_t      *value = static_cast<ngx_str_t *>(cf->args->elts);

    if (conf->default_locale.data) {
        return const_cast<char *>("is duplicate");
    }

    return ot_set_locale(cf, cmd, &value[1], &conf->default_locale);
}


/* okta_telephony_voice_language <tag> <voiceProfile> <text with {code}>; */
char *
ot_set_voice_language(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    ot_loc_conf_t       *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_str_t           *value = static_cast<ngx_str_t *>(cf->args->elts);
    ngx_str_t            tag;
    ot::VoiceLanguage   *lang;
    ngx_uint_t           i;
    char                *rv;

    rv = ot_set_locale(cf, cmd, &value[1], &tag);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    for (i = 0; i < value[2].len; i++) {
        u_char  ch = value[2].data[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
              || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": invalid voice profile \"%V\"",
                               &cmd->name, &value[2]);
            return static_cast<char *>(NGX_CONF_ERROR);
        }
    }

    if (value[2].len == 0 || !ot_has_code(value[3]) || value[3].len > 1000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" needs a voice profile and a text with "
                           "\"{code}\" of at most 1000 bytes", &cmd->name);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (conf->voice_languages == NGX_CONF_UNSET_PTR) {
        conf->voice_languages = ngx_array_create(cf->pool, 4,
                                                 sizeof(ot::VoiceLanguage));
        if (conf->voice_languages == NULL) {
            return static_cast<char *>(NGX_CONF_ERROR);
        }
    }

    lang = static_cast<ot::VoiceLanguage *>(conf->voice_languages->elts);
    for (i = 0; i < conf->voice_languages->nelts; i++) {
        if (lang[i].tag == ot_sv(tag)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" for \"%V\" is duplicate",
                               &cmd->name, &value[1]);
            return static_cast<char *>(NGX_CONF_ERROR);
        }
    }

    lang = static_cast<ot::VoiceLanguage *>(
               ngx_array_push(conf->voice_languages));
    if (lang == NULL) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    lang->tag = ot_sv(tag);
    lang->profile = ot_sv(value[2]);
    lang->text = ot_sv(value[3]);

    return NGX_CONF_OK;
}


char *
ot_set_country_code(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    ot_loc_conf_t  *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_str_t      *value = static_cast<ngx_str_t *>(cf->args->elts);
    ngx_str_t       cc = value[1];

    if (conf->default_country_code.data) {
        return const_cast<char *>("is duplicate");
    }

    if (cc.len && cc.data[0] == '+') {
        cc.data++;
        cc.len--;
    }

    if (cc.len < 1 || cc.len > 3 || cc.data[0] == '0'
        || ngx_atoi(cc.data, cc.len) == NGX_ERROR)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must be a country calling code such as "
                           "\"1\" or \"44\", not \"%V\"",
                           &cmd->name, &value[1]);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    conf->default_country_code = cc;

    return NGX_CONF_OK;
}


char *
ot_set_provider(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    ot_loc_conf_t  *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_str_t      *value = static_cast<ngx_str_t *>(cf->args->elts);
    size_t          i;

    if (conf->provider.data) {
        return const_cast<char *>("is duplicate");
    }

    if (value[1].len == 0 || value[1].len > 64) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must be 1 to 64 characters", &cmd->name);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    for (i = 0; i < value[1].len; i++) {
        if (value[1].data[i] < 0x20 || value[1].data[i] == 0x7f) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" cannot contain control characters",
                               &cmd->name);
            return static_cast<char *>(NGX_CONF_ERROR);
        }
    }

    conf->provider = value[1];

    return NGX_CONF_OK;
}


char *
ot_set_timeout(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    ot_loc_conf_t  *conf = static_cast<ot_loc_conf_t *>(c);
    char           *rv = ngx_conf_set_msec_slot(cf, cmd, c);

    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (conf->timeout == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" must be positive",
                           &cmd->name);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (conf->timeout >= 3000) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"%V\" of %M ms leaves Okta no time: Okta waits "
                           "3 s for the answer", &cmd->name, conf->timeout);
    }

    return NGX_CONF_OK;
}


char *
ot_set_size(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    char    *rv = ngx_conf_set_size_slot(cf, cmd, c);
    size_t  *sp = reinterpret_cast<size_t *>(static_cast<u_char *>(c)
                                             + cmd->offset);

    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (*sp < 1024 || *sp > 16 * 1024 * 1024) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must be between 1k and 16m", &cmd->name);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    return NGX_CONF_OK;
}


#define OT_CONF  (NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF)

ngx_command_t  ot_commands[] = {

    { ngx_string("okta_telephony"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ot_set_enable,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("okta_telephony_auth_header"),
      OT_CONF|NGX_CONF_TAKE1,
      ot_set_auth_header,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("okta_telephony_secret"),
      OT_CONF|NGX_CONF_TAKE1,
      ot_set_secret,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("okta_telephony_secret_file"),
      OT_CONF|NGX_CONF_TAKE1,
      ot_set_secret_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("okta_telephony_voice_location"),
      OT_CONF|NGX_CONF_TAKE1,
      ot_set_location,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, voice_location),
      NULL },

    { ngx_string("okta_telephony_sms_location"),
      OT_CONF|NGX_CONF_TAKE1,
      ot_set_location,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, sms_location),
      NULL },

    { ngx_string("okta_telephony_caller_id"),
      OT_CONF|NGX_CONF_TAKE1,
      ot_set_caller_id,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("okta_telephony_sms_sender"),
      OT_CONF|NGX_CONF_TAKE1,
      ot_set_sms_sender,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("okta_telephony_sms_template"),
      OT_CONF|NGX_CONF_TAKE1,
      ot_set_sms_template,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("okta_telephony_voice_language"),
      OT_CONF|NGX_CONF_TAKE3,
      ot_set_voice_language,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("okta_telephony_voice_speed"),
      OT_CONF|NGX_CONF_TAKE1,
      ot_set_voice_speed,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("okta_telephony_voice_repetition"),
      OT_CONF|NGX_CONF_TAKE1,
      ot_set_voice_repetition,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("okta_telephony_default_locale"),
      OT_CONF|NGX_CONF_TAKE1,
      ot_set_default_locale,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("okta_telephony_default_country_code"),
      OT_CONF|NGX_CONF_TAKE1,
      ot_set_country_code,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("okta_telephony_provider"),
      OT_CONF|NGX_CONF_TAKE1,
      ot_set_provider,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("okta_telephony_timeout"),
      OT_CONF|NGX_CONF_TAKE1,
      ot_set_timeout,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, timeout),
      NULL },

    { ngx_string("okta_telephony_max_body_size"),
      OT_CONF|NGX_CONF_TAKE1,
      ot_set_size,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, max_body_size),
      NULL },

    { ngx_string("okta_telephony_reply_buffer_size"),
      OT_CONF|NGX_CONF_TAKE1,
      ot_set_size,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, reply_buffer_size),
      NULL },

    { ngx_string("okta_telephony_deliver_previews"),
      OT_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, deliver_previews),
      NULL },

    { ngx_string("okta_telephony_mode"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, mode),
      ot_modes },

    { ngx_string("okta_telephony_timeout_status"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, timeout_status),
      ot_timeout_statuses },

    { ngx_string("okta_telephony_async_status"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, async_status),
      ot_async_statuses },

    ngx_null_command
};


ngx_int_t
ot_init(ngx_conf_t *)
{
    ot_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ot_header_filter;

    ot_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ot_body_filter;

    return NGX_OK;
}


ngx_http_module_t  ot_module_ctx = {
    ot_add_variables,                      /* preconfiguration */
    ot_init,                               /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ot_create_loc_conf,                    /* create location configuration */
    ot_merge_loc_conf                      /* merge location configuration */
};

}  // namespace


ngx_module_t  ngx_http_okta_telephony_module = {
    NGX_MODULE_V1,
    &ot_module_ctx,                        /* module context */
    ot_commands,                           /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};
