/*
 * Telling Okta from anyone else: the shared secret in a header, its
 * directives and the secret file (the bearer token: jwt.cpp). Values are
 * checked by the core (conf_values.hpp) and compared in constant time by
 * the core; a secret is never written to a log.
 */

#include "ngx_http_okta_telephony.h"


namespace ngx_okta_telephony {

/* A request header by its lower-case name; NULL if absent or repeated. */
ngx_table_elt_t *
ot_find_header(ngx_http_request_t *r, ngx_str_t *name)
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


namespace {

char *
ot_add_secret(ngx_conf_t *cf, ot_loc_conf_t *conf, ngx_command_t *cmd,
    u_char *p, size_t len)
{
    string_view   secret(reinterpret_cast<const char *>(p), len);
    string_view  *sv;
    const char   *err = ot::check_secret(secret);

    if (err != NULL) {
        /* the value itself is never repeated: it is a secret */
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           len ? "\"%V\": %s" : "\"%V\" %s", &cmd->name, err);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (len < ot::secret_min_length) {
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

    *sv = secret;

    return NGX_CONF_OK;
}


}  // namespace


namespace {

/* The open file's contents into the pool; NULL after an error. A file
   larger than *size fails; a secret one readable by everyone warns. */
u_char *
ot_read_open_file(ngx_conf_t *cf, ngx_command_t *cmd, ngx_file_t *file,
    size_t *size, bool secret)
{
    size_t            max = *size;
    ngx_file_info_t   fi;
    u_char           *buf;
    ssize_t           n;

    if (ngx_fd_info(file->fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%s\" failed", file->name.data);
        return NULL;
    }

    *size = ngx_file_size(&fi);
    if (*size > max) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" \"%s\" is larger than %uzk",
                           &cmd->name, file->name.data, max / 1024);
        return NULL;
    }

    if (secret && (fi.st_mode & S_IROTH)) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"%V\" \"%s\" is readable by everyone",
                           &cmd->name, file->name.data);
    }

    buf = static_cast<u_char *>(ngx_pnalloc(cf->pool, *size + 1));
    if (buf == NULL) {
        return NULL;
    }

    n = ngx_read_file(file, buf, *size, 0);
    if (n == NGX_ERROR || (size_t) n != *size) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_file_n " \"%s\" failed", file->name.data);
        return NULL;
    }

    return buf;
}

}  // namespace


/* A secret file (*name, made a full path) into the pool, read by the
   master at start and reload; NULL after an error. */
u_char *
ot_read_secret_file(ngx_conf_t *cf, ngx_command_t *cmd, ngx_str_t *name,
    size_t *size)
{
    *size = ot::secret_file_max;

    return ot_read_conf_file(cf, cmd, name, size, true);
}


/* A file the module reads at start and reload (*name made a full path)
   into the pool, at most *size bytes; NULL after an error. secret: warn
   when everyone may read it. */
u_char *
ot_read_conf_file(ngx_conf_t *cf, ngx_command_t *cmd, ngx_str_t *name,
    size_t *size, bool secret)
{
    ngx_file_t   file;
    u_char      *buf;

    if (ngx_conf_full_name(cf->cycle, name, 1) != NGX_OK) {
        return NULL;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.name = *name;
    file.log = cf->log;

    file.fd = ngx_open_file(name->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (file.fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%s\" failed", name->data);
        return NULL;
    }

    buf = ot_read_open_file(cf, cmd, &file, size, secret);

    if (ngx_close_file(file.fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, cf->log, ngx_errno,
                      ngx_close_file_n " \"%s\" failed", name->data);
    }

    return buf;
}


bool
ot_authenticated(ngx_http_request_t *r, ot_loc_conf_t *conf)
{
    ngx_table_elt_t  *h = ot_find_header(r, &conf->auth_header);

    if (h == NULL || conf->secrets == NULL) {
        return false;
    }

    return ot::secret_matches_any(
               ot_sv(h->value),
               static_cast<const string_view *>(conf->secrets->elts),
               conf->secrets->nelts);
}


/* Why the secret header did not authenticate the request. */
ot::metrics::AuthFailure
ot_auth_failure(ngx_http_request_t *r, ot_loc_conf_t *conf)
{
    ngx_list_part_t  *part = &r->headers_in.headers.part;
    ngx_table_elt_t  *h = static_cast<ngx_table_elt_t *>(part->elts);
    ngx_uint_t        i, n = 0;
    bool              empty = false;

    /* the token was checked (and refused) once the secret was not the
       reason: jwt, both with a good secret, either with a token sent */
    if (conf->jwt.mode == OT_AUTH_JWT
        || (conf->jwt.mode == OT_AUTH_BOTH && ot_authenticated(r, conf)))
    {
        return ot::metrics::AuthFailure::token;
    }

    if (conf->jwt.mode == OT_AUTH_EITHER && ot_bearer_sent(r)) {
        return ot::metrics::AuthFailure::token;
    }

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = static_cast<ngx_table_elt_t *>(part->elts);
            i = 0;
        }

        if (h[i].hash != 0 && h[i].key.len == conf->auth_header.len
            && ngx_strncmp(h[i].lowcase_key, conf->auth_header.data,
                           conf->auth_header.len) == 0)
        {
            n++;
            empty = (h[i].value.len == 0);
        }
    }

    return n == 0 || (n == 1 && empty) ? ot::metrics::AuthFailure::missing
           : n > 1 ? ot::metrics::AuthFailure::repeated
           : ot::metrics::AuthFailure::wrong_secret;
}


/* okta_telephony_auth_header NAME; */
char *
ot_set_auth_header(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    ot_loc_conf_t  *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_str_t      *value = static_cast<ngx_str_t *>(cf->args->elts);
    const char     *err;

    if (conf->auth_header.data) {
        return const_cast<char *>("is duplicate");
    }

    err = ot::check_header_name(ot_sv(value[1]));
    if (err != NULL) {
        if (value[1].len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" %s",
                               &cmd->name, err);
        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\": %s \"%V\"",
                               &cmd->name, err, &value[1]);
        }
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    ngx_strlow(value[1].data, value[1].data, value[1].len);
    conf->auth_header = value[1];
    conf->auth_header_file = cf->conf_file->file.name.data;
    conf->auth_header_line = cf->conf_file->line;

    return NGX_CONF_OK;
}


/* okta_telephony_secret VALUE; (may be repeated: any one matches) */
char *
ot_set_secret(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    ngx_str_t  *value = static_cast<ngx_str_t *>(cf->args->elts);

    return ot_add_secret(cf, static_cast<ot_loc_conf_t *>(c), cmd,
                         value[1].data, value[1].len);
}


/* okta_telephony_secret_file FILE; one secret per line, read by the
   master at start and reload */
char *
ot_set_secret_file(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    ot_loc_conf_t  *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_str_t       name = static_cast<ngx_str_t *>(cf->args->elts)[1];
    u_char         *buf;
    size_t          size = 0, pos = 0;
    ngx_uint_t      found = 0;
    string_view     secret;
    char           *rv;

    buf = ot_read_secret_file(cf, cmd, &name, &size);
    if (buf == NULL) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    while (ot::next_secret_line(string_view((char *) buf, size), &pos,
                                &secret))
    {
        rv = ot_add_secret(cf, conf, cmd, (u_char *) secret.data(),
                           secret.size());
        if (rv != NGX_CONF_OK) {
            return rv;
        }

        found++;
    }

    if (found == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" \"%s\" contains no secret",
                           &cmd->name, name.data);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    return NGX_CONF_OK;
}

}  // namespace ngx_okta_telephony
