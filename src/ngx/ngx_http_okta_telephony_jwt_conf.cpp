/*
 * The OAuth 2.0 directives: okta_telephony_auth, the claims a token must
 * carry, and where its keys come from (a JWKS file read by the master at
 * start and reload, and/or an internal location whose JWKS is kept in an
 * okta_telephony_zone for all workers). The merge refuses, at "nginx -t",
 * a location that verifies tokens without an issuer, audience, client id
 * or key source, and "both" with the secret in Authorization.
 */

#include "ngx_http_okta_telephony.h"

#include <new>


namespace ngx_okta_telephony {

ngx_conf_enum_t  ot_auth_modes[] = {
    { ngx_string("secret"), OT_AUTH_SECRET },
    { ngx_string("jwt"), OT_AUTH_JWT },
    { ngx_string("both"), OT_AUTH_BOTH },
    { ngx_string("either"), OT_AUTH_EITHER },
    { ngx_null_string, 0 }
};

ngx_conf_post_t  ot_issuer_post = { ot_check_issuer };
ngx_conf_post_t  ot_leeway_post = { ot_check_leeway };


namespace {

const char *const ot_mode_names[] = { "", "secret", "jwt", "both",
                                      "either" };


void
ot_delete_keys(void *data)
{
    delete static_cast<ot::jwt::KeySet *>(data);
}


/* The JWKS's keys, owned by the conf pool; NULL after an error. */
ot::jwt::KeySet *
ot_parse_jwks_file(ngx_conf_t *cf, ngx_str_t *name, u_char *buf, size_t n)
{
    ngx_pool_cleanup_t  *cln;
    ot::jwt::KeySet     *keys;
    ot::jwt::JwksReport  rep;
    yajl_alloc_funcs     af = ot_yajl_funcs(cf->temp_pool);

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    keys = new (std::nothrow) ot::jwt::KeySet;
    if (cln == NULL || keys == NULL) {
        delete keys;
        return NULL;
    }

    cln->handler = ot_delete_keys;
    cln->data = keys;

    if (!ot::jwt::parse_jwks(string_view((char *) buf, n), keys, &rep, &af)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"okta_telephony_jwks_file\" \"%s\" is not a "
                           "usable JWKS: %s", name->data, rep.error);
        return NULL;
    }

    if (keys->usable() == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"okta_telephony_jwks_file\" \"%s\" holds no "
                           "usable RS256 key%s%s", name->data,
                           rep.last_skip ? ": " : "",
                           rep.last_skip ? rep.last_skip : "");
        return NULL;
    }

    if (rep.skipped) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"okta_telephony_jwks_file\" \"%s\": %uz keys "
                           "left out (%s)", name->data, rep.skipped,
                           rep.last_skip);
    }

    return keys;
}


/* "okta_telephony" in FILE:LINE with "okta_telephony_auth MODE" WHAT */
char *
ot_jwt_refuse(ngx_conf_t *cf, ot_loc_conf_t *conf, const char *what)
{
    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "\"okta_telephony\" in %s:%ui with \"okta_telephony_auth "
                  "%s\" %s", conf->enable_file, conf->enable_line,
                  ot_mode_names[conf->jwt.mode], what);

    return static_cast<char *>(NGX_CONF_ERROR);
}


/* The fetched-key source of the location: one per jwks_location and
   zone, shared by the locations that name them. */
ngx_int_t
ot_jwks_source(ngx_conf_t *cf, ot_jwt_conf_t *j)
{
    ot_main_conf_t    *mcf;
    ot_jwks_source_t  *src;
    ngx_uint_t         i;

    mcf = static_cast<ot_main_conf_t *>(ngx_http_conf_get_module_main_conf(
              cf, ngx_http_okta_telephony_module));
    src = static_cast<ot_jwks_source_t *>(mcf->jwks_sources.elts);

    for (i = 0; i < mcf->jwks_sources.nelts; i++) {
        if (src[i].zone == j->jwks_zone
            && ot_sv(src[i].uri) == ot_sv(j->jwks_location))
        {
            return (ngx_int_t) i;
        }
    }

    src = static_cast<ot_jwks_source_t *>(
              ngx_array_push(&mcf->jwks_sources));
    if (src == NULL) {
        return NGX_ERROR;
    }

    src->uri = j->jwks_location;
    src->zone = j->jwks_zone;
    src->local = NULL;

    return (ngx_int_t) mcf->jwks_sources.nelts - 1;
}


/* What a location that verifies tokens must have; the core's policy. */
char *
ot_jwt_check(ngx_conf_t *cf, ot_loc_conf_t *conf)
{
    ot_jwt_conf_t   *j = &conf->jwt;
    ot_main_conf_t  *mcf;

    if (j->issuer.len == 0) {
        return ot_jwt_refuse(cf, conf, "has no \"okta_telephony_jwt_issuer\"");
    }

    if (j->audiences == NULL) {
        return ot_jwt_refuse(cf, conf,
                             "has no \"okta_telephony_jwt_audience\"");
    }

    if (j->client_ids == NULL) {
        return ot_jwt_refuse(cf, conf,
                             "has no \"okta_telephony_jwt_client_id\"");
    }

    if (j->file_keys == NULL && j->jwks_location.len == 0) {
        return ot_jwt_refuse(cf, conf, "has neither "
                             "\"okta_telephony_jwks_file\" nor "
                             "\"okta_telephony_jwks_location\"");
    }

    if ((j->jwks_location.len == 0) != (j->jwks_zone == NULL)) {
        return ot_jwt_refuse(cf, conf, "needs both "
                             "\"okta_telephony_jwks_location\" and "
                             "\"okta_telephony_jwks_zone\" to fetch keys");
    }

    if (j->mode == OT_AUTH_BOTH
        && ot_sv(conf->auth_header) == string_view("authorization"))
    {
        return ot_jwt_refuse(cf, conf, "needs the secret in another header "
                             "than Authorization, which carries the token: "
                             "set \"okta_telephony_auth_header\"");
    }

    j->policy.issuer = ot_sv(j->issuer);
    j->policy.audiences = static_cast<string_view *>(j->audiences->elts);
    j->policy.naudiences = j->audiences->nelts;
    j->policy.client_ids = static_cast<string_view *>(j->client_ids->elts);
    j->policy.nclient_ids = j->client_ids->nelts;
    j->policy.scope = ot_sv(j->scope);
    j->policy.leeway = (std::int64_t) j->leeway;

    mcf = static_cast<ot_main_conf_t *>(ngx_http_conf_get_module_main_conf(
              cf, ngx_http_okta_telephony_module));
    j->policy_id = ++mcf->jwt_policies;

    if (j->jwks_location.len) {
        j->source = ot_jwks_source(cf, j);
        if (j->source == NGX_ERROR) {
            return static_cast<char *>(NGX_CONF_ERROR);
        }
    }

    return NGX_CONF_OK;
}

}  // namespace


/* okta_telephony_jwt_issuer: https only, Okta's form */
char *
ot_check_issuer(ngx_conf_t *cf, void *, void *data)
{
    ngx_str_t   *v = static_cast<ngx_str_t *>(data);
    const char  *err = ot::jwt::check_issuer(ot_sv(*v));

    return err ? ot_bad_value(cf, err, v) : NGX_CONF_OK;
}


char *
ot_check_leeway(ngx_conf_t *cf, void *, void *data)
{
    time_t  *t = static_cast<time_t *>(data);

    if (*t > 600) {
        return ot_bad_value(cf, "must be at most 10m",
                            &static_cast<ngx_str_t *>(cf->args->elts)[1]);
    }

    return NGX_CONF_OK;
}


/* okta_telephony_jwt_audience / _client_id VALUE ...; may be repeated */
char *
ot_set_jwt_list(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    ngx_array_t  **a = reinterpret_cast<ngx_array_t **>(
                           static_cast<u_char *>(c) + cmd->offset);
    ngx_str_t     *value = static_cast<ngx_str_t *>(cf->args->elts);
    string_view   *sv;
    ngx_uint_t     i;

    if (*a == NGX_CONF_UNSET_PTR) {
        *a = ngx_array_create(cf->pool, 2, sizeof(string_view));
        if (*a == NULL) {
            return static_cast<char *>(NGX_CONF_ERROR);
        }
    }

    for (i = 1; i < cf->args->nelts; i++) {
        if (value[i].len == 0 || value[i].len > 255) {
            return ot_bad_value(cf, "must be 1 to 255 bytes", &value[i]);
        }

        sv = static_cast<string_view *>(ngx_array_push(*a));
        if (sv == NULL) {
            return static_cast<char *>(NGX_CONF_ERROR);
        }

        *sv = ot_sv(value[i]);
    }

    return NGX_CONF_OK;
}


/* okta_telephony_jwks_file FILE; parsed now: by the master, at start and
   at each reload */
char *
ot_set_jwks_file(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    ot_loc_conf_t  *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_str_t      *value = static_cast<ngx_str_t *>(cf->args->elts);
    ngx_str_t       name = value[1];
    u_char         *buf;
    size_t          size = ot::jwt::jwks_max;

    if (conf->jwt.file_keys != NGX_CONF_UNSET_PTR) {
        return const_cast<char *>("is duplicate");
    }

    buf = ot_read_conf_file(cf, cmd, &name, &size, false);
    if (buf == NULL) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    conf->jwt.file_keys = ot_parse_jwks_file(cf, &name, buf, size);

    return conf->jwt.file_keys ? NGX_CONF_OK
                               : static_cast<char *>(NGX_CONF_ERROR);
}


/* okta_telephony_jwks_location URI; an internal location that proxies
   {issuer}/v1/keys */
char *
ot_set_jwks_location(ngx_conf_t *cf, ngx_command_t *, void *c)
{
    ot_loc_conf_t  *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_str_t      *value = static_cast<ngx_str_t *>(cf->args->elts);
    const char     *err;

    if (conf->jwt.jwks_location.data) {
        return const_cast<char *>("is duplicate");
    }

    err = ot::check_location_uri(ot_sv(value[1]));
    if (err != NULL) {
        return ot_bad_value(cf, err, &value[1]);
    }

    conf->jwt.jwks_location = value[1];

    return NGX_CONF_OK;
}


/* okta_telephony_jwks_zone NAME; an okta_telephony_zone */
char *
ot_set_jwks_zone(ngx_conf_t *cf, ngx_command_t *, void *c)
{
    ot_loc_conf_t  *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_str_t      *value = static_cast<ngx_str_t *>(cf->args->elts);

    if (conf->jwt.jwks_zone != NGX_CONF_UNSET_PTR) {
        return const_cast<char *>("is duplicate");
    }

    conf->jwt.jwks_zone = ot_zone_ref(cf, ot_sv(value[1]));

    return conf->jwt.jwks_zone ? NGX_CONF_OK
                               : static_cast<char *>(NGX_CONF_ERROR);
}


/* The key source a location fetches from (okta_telephony_jwks_location). */
ot_jwks_source_t *
ot_jwks_source_of(ngx_http_request_t *r, ot_loc_conf_t *conf)
{
    ot_main_conf_t  *mcf;

    mcf = static_cast<ot_main_conf_t *>(
              ngx_http_get_module_main_conf(r, ngx_http_okta_telephony_module));

    return &static_cast<ot_jwks_source_t *>(mcf->jwks_sources.elts)
                [conf->jwt.source];
}


void
ot_jwt_create_conf(ot_jwt_conf_t *j)
{
    j->mode = NGX_CONF_UNSET_UINT;
    j->audiences = static_cast<ngx_array_t *>(NGX_CONF_UNSET_PTR);
    j->client_ids = static_cast<ngx_array_t *>(NGX_CONF_UNSET_PTR);
    j->leeway = NGX_CONF_UNSET;
    j->file_keys = static_cast<ot::jwt::KeySet *>(NGX_CONF_UNSET_PTR);
    j->jwks_zone = static_cast<ngx_shm_zone_t *>(NGX_CONF_UNSET_PTR);
    j->source = -1;
}


/* Whether the location checks the header secret. */
bool
ot_needs_secret(const ot_loc_conf_t *conf)
{
    return conf->jwt.mode != OT_AUTH_JWT;
}


/* After the location's own merge (auth_header and enable are merged). */
char *
ot_jwt_merge_conf(ngx_conf_t *cf, ot_loc_conf_t *conf, ot_loc_conf_t *prev)
{
    ot_jwt_conf_t  *j = &conf->jwt, *p = &prev->jwt;
    ngx_uint_t      secret = OT_AUTH_SECRET;

    ngx_conf_merge_uint_value(j->mode, p->mode, secret);
    ngx_conf_merge_str_value(j->issuer, p->issuer, "");
    ngx_conf_merge_ptr_value(j->audiences, p->audiences, NULL);
    ngx_conf_merge_ptr_value(j->client_ids, p->client_ids, NULL);
    ngx_conf_merge_str_value(j->scope, p->scope, "");
    ngx_conf_merge_sec_value(j->leeway, p->leeway, ot::jwt::default_leeway);
    ngx_conf_merge_ptr_value(j->file_keys, p->file_keys, NULL);
    ngx_conf_merge_str_value(j->jwks_location, p->jwks_location, "");
    ngx_conf_merge_ptr_value(j->jwks_zone, p->jwks_zone, NULL);

    if (!conf->enable || j->mode == OT_AUTH_SECRET) {
        return NGX_CONF_OK;
    }

    return ot_jwt_check(cf, conf);
}

}  // namespace ngx_okta_telephony
