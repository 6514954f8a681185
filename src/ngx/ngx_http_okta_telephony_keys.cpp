/*
 * The 8x8 API key out of nginx.conf: okta_telephony_8x8_api_key_file is
 * read by the master at start and reload (like the secret file), and the
 * module adds "Authorization: Bearer <key>" to its own 8x8 subrequest.
 * The key is in no directive's value, so "nginx -T" never shows it, and
 * it is never written to a log. A "proxy_set_header Authorization" in the
 * internal location still wins: proxy replaces a header it sets itself.
 */

#include "ngx_http_okta_telephony.h"


namespace ngx_okta_telephony {

namespace {

const char  ot_bearer[] = "Bearer ";

/* "Bearer <key>" from the file's contents into conf; an error or OK. */
char *
ot_take_api_key(ngx_conf_t *cf, ngx_command_t *cmd, ot_loc_conf_t *conf,
    ngx_str_t *name, u_char *buf, size_t size)
{
    string_view   key;
    const char   *err;
    u_char       *p;

    err = ot::api_key_from_file(string_view((char *) buf, size), &key);
    if (err != NULL) {
        /* the contents are never repeated: they are a secret */
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" \"%s\" %s",
                           &cmd->name, name->data, err);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    conf->api_auth.len = sizeof(ot_bearer) - 1 + key.size();
    p = static_cast<u_char *>(ngx_pnalloc(cf->pool, conf->api_auth.len));
    if (p == NULL) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    conf->api_auth.data = p;
    p = ngx_cpymem(p, ot_bearer, sizeof(ot_bearer) - 1);
    ngx_memcpy(p, key.data(), key.size());

    /* the file's copy of the key is not kept */
    ngx_explicit_memzero(buf, size);

    return NGX_CONF_OK;
}

}  // namespace


/* okta_telephony_8x8_api_key_file FILE; */
char *
ot_set_api_key_file(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    ot_loc_conf_t  *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_str_t       name = static_cast<ngx_str_t *>(cf->args->elts)[1];
    u_char         *buf;
    size_t          size = 0;

    if (conf->api_auth.data) {
        return const_cast<char *>("is duplicate");
    }

    buf = ot_read_secret_file(cf, cmd, &name, &size);
    if (buf == NULL) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    return ot_take_api_key(cf, cmd, conf, &name, buf, size);
}


/* The module's own Authorization header on its 8x8 subrequest, when an
   API key file is configured. */
ngx_int_t
ot_add_api_key(ngx_http_request_t *sr, ot_loc_conf_t *conf)
{
    ngx_table_elt_t  *h;

    if (conf->api_auth.len == 0) {
        return NGX_OK;
    }

    h = static_cast<ngx_table_elt_t *>(ngx_list_push(&sr->headers_in.headers));
    if (h == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&h->key, "Authorization");
    h->value = conf->api_auth;
    h->lowcase_key = (u_char *) "authorization";
    h->hash = ngx_hash_key(h->lowcase_key, h->key.len);
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    sr->headers_in.authorization = h;

    return NGX_OK;
}

}  // namespace ngx_okta_telephony
