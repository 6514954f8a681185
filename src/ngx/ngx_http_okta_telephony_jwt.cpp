/*
 * okta_telephony_auth: the header secret, Okta's OAuth 2.0 bearer token,
 * both, or either. The token is checked by the core (jwt.hpp) against
 * the keys of okta_telephony_jwks_file and/or those fetched through
 * okta_telephony_jwks_location (jwks.cpp); a verified token is kept, by
 * its SHA-256, in this worker's cache until its exp, so RSA runs once per
 * token, not once per hook; the last one is also kept by its bytes, so
 * the token Okta sends again and again costs a compare, not a hash. A
 * refusal is a 401 with WWW-Authenticate and one "warn" line that says
 * why; the token itself is never logged.
 */

#include "ngx_http_okta_telephony.h"

#include <new>


namespace ngx_okta_telephony {

namespace {

/* how far a token's check got */
enum ot_token_e {
    OT_TOKEN_DONE,                       /* v->reason says how it ended */
    OT_TOKEN_FETCH,                      /* keys fetched first */
    OT_TOKEN_POLL                        /* keys awaited */
};


/* This worker's verified tokens; a new cycle (reload) starts afresh. */
struct ot_token_cache_t {
    ot::jwt::TokenCache   cache;
    ot::jwt::RecentToken  recent;
    ot::jwt::Hasher      *hasher;
    void                 *cycle;
};

ot_token_cache_t  ot_tokens;


void
ot_delete_hasher(void *data)
{
    delete static_cast<ot::jwt::Hasher *>(data);

    if (ot_tokens.hasher == data) {
        ot_tokens.hasher = NULL;
        ot_tokens.cycle = NULL;
    }
}


ot::jwt::Hasher *
ot_hasher(void)
{
    ngx_pool_cleanup_t  *cln;

    if (ot_tokens.cycle == (void *) ngx_cycle && ot_tokens.hasher) {
        return ot_tokens.hasher;
    }

    ngx_memzero(&ot_tokens.cache, sizeof(ot::jwt::TokenCache));
    ot_tokens.recent.len = 0;

    if (ot_tokens.hasher == NULL) {
        cln = ngx_pool_cleanup_add(ngx_cycle->pool, 0);
        if (cln == NULL) {
            return NULL;
        }

        ot_tokens.hasher = new (std::nothrow) ot::jwt::Hasher;
        cln->handler = ot_delete_hasher;
        cln->data = ot_tokens.hasher;
    }

    ot_tokens.cycle = (void *) ngx_cycle;

    return ot_tokens.hasher;
}


/* The token of "Authorization: Bearer ..."; empty if there is none. */
string_view
ot_bearer(ngx_http_request_t *r)
{
    static ngx_str_t  name = ngx_string("authorization");
    ngx_table_elt_t  *h = ot_find_header(r, &name);
    string_view       token;

    if (h == NULL || !ot::jwt::bearer_token(ot_sv(h->value), &token)) {
        return string_view();
    }

    return token;
}


/* The token against one set of keys. */
void
ot_verify_with(ngx_http_request_t *r, ot_jwt_conf_t *j, string_view token,
    const ot::jwt::KeySet &keys, ot::jwt::Verdict *v)
{
    yajl_alloc_funcs  af = ot_yajl_funcs(r->pool);

    ot::jwt::verify(token, keys, j->policy, (std::int64_t) ngx_time(), v,
                    &af);
}


/* Starts the fetch ot_jwks_decide() asked for. */
ot_token_e
ot_start_fetch(ngx_http_request_t *r, ot_loc_conf_t *conf,
    ot_jwks_source_t *src, ot::jwt::Fetch why, ot::jwt::Verdict *v)
{
    ot_ctx_t  *ctx = ot_get_ctx(r);

    if (ctx == NULL) {
        ctx = ot_create_ctx(r, conf);
    }

    if (ctx == NULL || ot_jwks_fetch(ctx, src, why) != NGX_OK) {
        v->reason = ot::jwt::Reason::internal;
        return OT_TOKEN_DONE;
    }

    return OT_TOKEN_FETCH;
}


/* The token against the fetched keys. With may_wait, keys that are not
   there yet or expired are fetched first, and so is a kid they do not
   hold (once per 30 s for the instance: jwks_should_fetch). */
ot_token_e
ot_verify_fetched(ngx_http_request_t *r, ot_loc_conf_t *conf,
    string_view token, bool may_wait, ot::jwt::Verdict *v)
{
    ot_jwks_source_t       *src = ot_jwks_source_of(r, conf);
    const ot::jwt::KeySet  *keys = ot_jwks_keys(src, r->connection->log);
    ot::jwt::Fetch          why = ot::jwt::Fetch::none;

    if (may_wait) {
        switch (ot_jwks_decide(src, false, keys != NULL, &why)) {
        case OT_JWKS_FETCH:
            return ot_start_fetch(r, conf, src, why, v);
        case OT_JWKS_POLL:
            return OT_TOKEN_POLL;
        default:
            break;
        }
    }

    if (keys == NULL) {
        v->reason = ot::jwt::Reason::unknown_kid;
        return OT_TOKEN_DONE;
    }

    ot_verify_with(r, &conf->jwt, token, *keys, v);

    if (may_wait && v->reason == ot::jwt::Reason::unknown_kid
        && ot_jwks_decide(src, true, true, &why) == OT_JWKS_FETCH)
    {
        return ot_start_fetch(r, conf, src, why, v);
    }

    return OT_TOKEN_DONE;
}


/* The bearer token's check; may_wait: keys may be fetched or awaited. */
ot_token_e
ot_check_token(ngx_http_request_t *r, ot_loc_conf_t *conf, bool may_wait,
    ot::jwt::Verdict *v)
{
    ot_jwt_conf_t     *j = &conf->jwt;
    string_view        token = ot_bearer(r);
    ot::jwt::Hasher   *hasher;
    ot::jwt::TokenHash th;
    std::int64_t       now = (std::int64_t) ngx_time(), until;
    ot_token_e         rc = OT_TOKEN_DONE;

    v->reason = ot::jwt::Reason::no_token;
    v->kid.clear();

    if (token.empty()) {
        return OT_TOKEN_DONE;
    }

    if (token.size() > ot::jwt::token_max) {
        v->reason = ot::jwt::Reason::too_large;
        return OT_TOKEN_DONE;
    }

    hasher = ot_hasher();
    if (hasher == NULL) {
        v->reason = ot::jwt::Reason::internal;
        return OT_TOKEN_DONE;
    }

    if (ot_tokens.recent.matches(token, j->policy_id, now)) {
        v->reason = ot::jwt::Reason::ok;
        return OT_TOKEN_DONE;
    }

    if (!hasher->hash(token, &th)) {
        v->reason = ot::jwt::Reason::internal;
        return OT_TOKEN_DONE;
    }

    if (ot_tokens.cache.find(th, j->policy_id, now, &until)) {
        ot_tokens.recent.set(token, j->policy_id, until);
        v->reason = ot::jwt::Reason::ok;
        return OT_TOKEN_DONE;
    }

    v->reason = ot::jwt::Reason::unknown_kid;

    if (j->file_keys != NULL) {
        ot_verify_with(r, j, token, *j->file_keys, v);
    }

    if (v->reason == ot::jwt::Reason::unknown_kid && j->source >= 0) {
        rc = ot_verify_fetched(r, conf, token, may_wait, v);
    }

    if (rc == OT_TOKEN_DONE && v->reason == ot::jwt::Reason::ok) {
        until = v->exp + j->policy.leeway;
        ot_tokens.cache.put(th, j->policy_id, until, now);
        ot_tokens.recent.set(token, j->policy_id, until);
    }

    return rc;
}


/* 401's WWW-Authenticate (RFC 6750): an error only if a token came. */
void
ot_challenge(ngx_http_request_t *r, bool token_sent)
{
    /* without it the 401 still goes out */
    (void) ot_push_header(&r->headers_out.headers, "WWW-Authenticate",
                          "www-authenticate",
                          token_sent ? "Bearer realm=\"okta-telephony\", "
                                       "error=\"invalid_token\""
                                     : "Bearer realm=\"okta-telephony\"");
}


void
ot_log_secret_refused(ngx_http_request_t *r, ot_loc_conf_t *conf)
{
    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "okta telephony: request without a valid \"%V\" header "
                  "refused", &conf->auth_header);
}


ot_auth_rc_e
ot_token_refused(ngx_http_request_t *r, ot_loc_conf_t *conf,
    const ot::jwt::Verdict &v, bool secret_tried)
{
    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "okta telephony: bearer token refused: %s%s%s%s",
                  ot::jwt::reason_name(v.reason),
                  v.kid.empty() ? "" : " kid=",
                  v.kid.empty() ? "" : v.kid.data,
                  secret_tried ? " (and no valid secret header)" : "");

    (void) conf;
    ot_challenge(r, v.reason != ot::jwt::Reason::no_token);

    return v.reason == ot::jwt::Reason::internal ? OT_AUTH_ERROR
                                                 : OT_AUTH_REFUSED;
}


/* The whole decision; may_wait: false once keys were fetched or awaited. */
ot_auth_rc_e
ot_decide_auth(ngx_http_request_t *r, ot_loc_conf_t *conf, bool may_wait,
    const char **via)
{
    ngx_uint_t        mode = conf->jwt.mode;
    bool              secret = false;
    ot::jwt::Verdict  v;
    ot_ctx_t         *ctx;

    if (mode != OT_AUTH_JWT) {
        secret = ot_authenticated(r, conf);

        if (mode == OT_AUTH_SECRET || (mode == OT_AUTH_BOTH && !secret)) {
            if (!secret) {
                ot_log_secret_refused(r, conf);
                return OT_AUTH_REFUSED;
            }

            return OT_AUTH_OK;
        }

        if (mode == OT_AUTH_EITHER && secret) {
            *via = " auth=secret";
            return OT_AUTH_OK;
        }
    }

    switch (ot_check_token(r, conf, may_wait, &v)) {

    case OT_TOKEN_FETCH:
        return OT_AUTH_WAIT;

    case OT_TOKEN_POLL:
        ctx = ot_get_ctx(r);
        if (ctx == NULL) {
            ctx = ot_create_ctx(r, conf);
            if (ctx == NULL) {
                return OT_AUTH_ERROR;
            }
        }

        ot_jwks_poll(ctx);
        return OT_AUTH_WAIT;

    default:
        break;
    }

    if (v.reason != ot::jwt::Reason::ok) {
        return ot_token_refused(r, conf, v, mode == OT_AUTH_EITHER);
    }

    *via = mode == OT_AUTH_BOTH ? " auth=both" : " auth=jwt";

    return OT_AUTH_OK;
}

}  // namespace


/* Whether the request carries "Authorization: Bearer ..." (metrics). */
bool
ot_bearer_sent(ngx_http_request_t *r)
{
    return !ot_bearer(r).empty();
}


/* okta_telephony_auth, before the body is read */
ot_auth_rc_e
ot_check_auth(ngx_http_request_t *r, ot_loc_conf_t *conf, const char **via)
{
    *via = "";

    if (conf->jwt.mode == OT_AUTH_SECRET) {
        if (!ot_authenticated(r, conf)) {
            ot_log_secret_refused(r, conf);
            return OT_AUTH_REFUSED;
        }

        return OT_AUTH_OK;
    }

    return ot_decide_auth(r, conf, true, via);
}


/* After the keys were fetched or awaited: decides with what there is
   now and goes on as the content handler would (an rc to finalize). */
ngx_int_t
ot_auth_resume(ngx_http_request_t *r)
{
    ot_ctx_t       *ctx = ot_get_ctx(r);
    ot_loc_conf_t  *conf = ctx->conf;
    const char     *via = "";

    switch (ot_decide_auth(r, conf, false, &via)) {

    case OT_AUTH_OK:
        return ot_accept(r, conf, via);

    case OT_AUTH_REFUSED:
        return ot_reject(r, NGX_HTTP_UNAUTHORIZED, "authentication required");

    default:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
}

}  // namespace ngx_okta_telephony
