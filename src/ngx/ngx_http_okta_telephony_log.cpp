/*
 * The hook's log line and the variables for access logs. Only validated
 * or masked values reach either: the event id is [A-Za-z0-9._:-], the
 * number is masked, 8x8's id is checked by the core, the rest is fixed
 * text.
 */

#include "ngx_http_okta_telephony.h"


namespace ngx_okta_telephony {

namespace {

enum ot_var_e : uintptr_t {
    OT_VAR_OUTCOME, OT_VAR_EVENT_ID, OT_VAR_TXN, OT_VAR_BLOCK,
    OT_VAR_CHANNEL, OT_VAR_DETAIL, OT_VAR_8X8_STATUS, OT_VAR_8X8_TIME,
    OT_VAR_REGION
};


/* $okta_telephony_region: the region a rule found, or libphonenumber's
   for the validated destination (its metadata is loaded at start when a
   log format names the variable: ot_variables_init) */
const char *
ot_region(ot_ctx_t *ctx)
{
    ot::NumberInfo  info;

    if (ctx->region[0] || ctx->e164[0] == '\0' || !ot::number_ready()) {
        return ctx->region;
    }

    if (ot_classify(ctx->e164, string_view(), &info)
        == ot::NumberError::none)
    {
        ngx_memcpy(ctx->region, info.region.data, info.region.len);
        ctx->region[info.region.len] = '\0';
    }

    return ctx->region;
}


/* the numbers, printed into the request pool */
ngx_int_t
ot_number_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    ngx_uint_t n)
{
    u_char  *p = static_cast<u_char *>(ngx_pnalloc(r->pool, NGX_INT_T_LEN));

    if (p == NULL) {
        return NGX_ERROR;
    }

    v->data = p;
    v->len = ngx_sprintf(p, "%ui", n) - p;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


const char *
ot_variable_text(ot_ctx_t *ctx, uintptr_t data)
{
    switch (data) {
    case OT_VAR_OUTCOME:
        return ctx->has_outcome ? ot::outcome_name(ctx->outcome) : NULL;
    case OT_VAR_EVENT_ID:
        return ctx->event_id;
    case OT_VAR_BLOCK:
        return ctx->block;
    case OT_VAR_CHANNEL:
        return ctx->masked_to[0] ? ot::channel_name(ctx->channel) : NULL;
    case OT_VAR_DETAIL:
        return ctx->detail;
    case OT_VAR_REGION:
        return ot_region(ctx);
    case OT_VAR_TXN:
        return ctx->txn;
    default:
        return NULL;            /* a number, and none here */
    }
}


/* $okta_telephony_*: read from the main request's ctx. */
ngx_int_t
ot_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    ot_ctx_t    *ctx = ot_get_ctx(r->main);
    const char  *s = NULL;

    if (ctx != NULL) {
        if (data == OT_VAR_8X8_STATUS && ctx->provider_status) {
            return ot_number_variable(r, v, ctx->provider_status);
        }

        if (data == OT_VAR_8X8_TIME && ctx->has_provider_ms) {
            return ot_number_variable(r, v, ctx->provider_ms);
        }

        s = ot_variable_text(ctx, data);
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

    { ngx_string("okta_telephony_block"), NULL, ot_variable,
      OT_VAR_BLOCK, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("okta_telephony_channel"), NULL, ot_variable,
      OT_VAR_CHANNEL, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("okta_telephony_detail"), NULL, ot_variable,
      OT_VAR_DETAIL, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("okta_telephony_8x8_status"), NULL, ot_variable,
      OT_VAR_8X8_STATUS, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("okta_telephony_8x8_time"), NULL, ot_variable,
      OT_VAR_8X8_TIME, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("okta_telephony_region"), NULL, ot_variable,
      OT_VAR_REGION, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    ngx_http_null_variable
};

}  // namespace


/* Milliseconds since the request's first byte. */
ngx_msec_int_t
ot_elapsed(ngx_http_request_t *r)
{
    ngx_time_t      *tp = ngx_timeofday();
    ngx_msec_int_t   ms;

    ms = (tp->sec - r->start_sec) * 1000 + (tp->msec - r->start_msec);
    return ngx_max(ms, 0);
}


/* The one log line per hook (and, async, per 8x8 outcome); the first
   outcome and 8x8's id are kept for the variables. */
void
ot_log_outcome(ot_ctx_t *ctx, ot::Outcome outcome,
    ngx_uint_t provider_status, string_view txn, const char *detail)
{
    ngx_http_request_t  *r = ctx->request;
    ngx_log_t           *log = r->connection->log;
    char                *action = log->action;

    ot_count_outcome(ctx, outcome);

    if (!ctx->has_outcome) {
        size_t  n = ngx_min(txn.size(), sizeof(ctx->txn) - 1);

        ctx->has_outcome = 1;
        ctx->outcome = outcome;
        if (n) {
            ngx_memcpy(ctx->txn, txn.data(), n);
        }
        ctx->txn[n] = '\0';

        n = detail ? ngx_min(ngx_strlen(detail), sizeof(ctx->detail) - 1)
                   : 0;
        if (n) {
            ngx_memcpy(ctx->detail, detail, n);
        }
        ctx->detail[n] = '\0';
        ctx->provider_status = provider_status;
    }

    /* no "while sending to client" on the hook's line */
    log->action = NULL;

    ngx_log_error(ctx->conf->log_level, log, 0,
                  "okta telephony: event=%s type=%s channel=%s to=%s "
                  "outcome=%s 8x8_status=%ui txn=%*s latency=%Mms%s%s%s",
                  ctx->event_id[0] ? ctx->event_id : "-",
                  ot::request_type_name(ctx->type),
                  ctx->masked_to[0] ? ot::channel_name(ctx->channel) : "-",
                  ctx->masked_to[0] ? ctx->masked_to : "-",
                  ot::outcome_name(outcome), provider_status,
                  txn.empty() ? 1 : txn.size(),
                  txn.empty() ? "-" : txn.data(),
                  (ngx_msec_t) ot_elapsed(r),
                  detail ? " detail=" : "", detail ? detail : "",
                  ctx->auth_via ? ctx->auth_via : "");

    log->action = action;
}


/* preconfiguration: the variables must exist before log formats use them */
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



/* postconfiguration: a log format that names $okta_telephony_region needs
   libphonenumber's metadata, loaded once here (the workers inherit it) */
ngx_int_t
ot_variables_init(ngx_conf_t *cf)
{
    ngx_http_core_main_conf_t  *cmcf;
    ngx_http_variable_t        *v;
    ngx_uint_t                  i;
    static ngx_str_t            region = ngx_string("okta_telephony_region");

    cmcf = static_cast<ngx_http_core_main_conf_t *>(
               ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module));
    v = static_cast<ngx_http_variable_t *>(cmcf->variables.elts);

    for (i = 0; i < cmcf->variables.nelts; i++) {
        if (v[i].name.len == region.len
            && ngx_strncasecmp(v[i].name.data, region.data, region.len) == 0)
        {
            if (ot::number_init()) {
                return NGX_OK;
            }

            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "$okta_telephony_region: libphonenumber "
                               "could not be initialised");
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}

}  // namespace ngx_okta_telephony
