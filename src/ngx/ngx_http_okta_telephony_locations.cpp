/*
 * "nginx -t" catches a mistyped okta_telephony_voice_location or
 * okta_telephony_sms_location: the URI must land, in the hook's server,
 * in a location that exists, is "internal" and is not the hook itself.
 * Otherwise every hook would be answered FAILED ("HTTP 404 from nginx")
 * or, worse, loop into the hook or reach a public location.
 *
 * Run as the module's init_main_conf: the core module's location confs
 * are merged by then and the servers' location queues are still as
 * parsed (ngx_http_init_locations() comes after). This module's own
 * confs are not merged yet, so the inherited values are carried down.
 */

#include "ngx_http_okta_telephony.h"


namespace ngx_okta_telephony {

namespace {

/* What a level passes down to the locations inside it. */
struct ot_inherited_t {
    ngx_flag_t   enable;
    u_char      *file;
    ngx_uint_t   line;
    ngx_str_t    voice;
    ngx_str_t    sms;
};


bool
ot_prefix_of(ngx_str_t *name, ngx_str_t *uri)
{
    return name->len <= uri->len
           && ngx_strncmp(uri->data, name->data, name->len) == 0;
}


/*
 * The location under pclcf a request for uri lands in, found the way
 * ngx_http_core_find_location() does: an exact match, else the longest
 * prefix and the locations nested in it, else (unless "^~") the first
 * matching regex. NULL: none.
 */
ngx_http_core_loc_conf_t *
ot_find_location(ngx_http_core_loc_conf_t *pclcf, ngx_str_t *uri)
{
    ngx_queue_t                *q;
    ngx_http_location_queue_t  *lq;
    ngx_http_core_loc_conf_t   *clcf, *best = NULL, *nested;

    if (pclcf->locations == NULL) {
        return NULL;
    }

    for (q = ngx_queue_head(pclcf->locations);
         q != ngx_queue_sentinel(pclcf->locations);
         q = ngx_queue_next(q))
    {
        lq = reinterpret_cast<ngx_http_location_queue_t *>(q);
        clcf = lq->exact ? lq->exact : lq->inclusive;

        if (clcf->named || clcf->noname || clcf->regex
            || !ot_prefix_of(&clcf->name, uri))
        {
            continue;
        }

        if (clcf->exact_match) {
            if (clcf->name.len == uri->len) {
                return clcf;
            }
            continue;
        }

        if (best == NULL || clcf->name.len > best->name.len) {
            best = clcf;
        }
    }

    if (best) {
        nested = ot_find_location(best, uri);
        if (nested || best->noregex) {
            return nested ? nested : best;
        }
    }

#if (NGX_PCRE)
    for (q = ngx_queue_head(pclcf->locations);
         q != ngx_queue_sentinel(pclcf->locations);
         q = ngx_queue_next(q))
    {
        lq = reinterpret_cast<ngx_http_location_queue_t *>(q);
        clcf = lq->exact ? lq->exact : lq->inclusive;

        if (clcf->regex && !clcf->noname
            && ngx_regex_exec(clcf->regex->regex, uri, NULL, 0) >= 0)
        {
            return clcf;
        }
    }
#endif

    return best;
}


/* One delivery location of a hook: what is wrong with it, in the pool,
   or NULL. */
u_char *
ot_check_target(ngx_conf_t *cf, ngx_http_core_loc_conf_t *srv,
    ngx_http_core_loc_conf_t *hook, const ot_inherited_t *in,
    const char *directive, ngx_str_t *uri)
{
    ngx_http_core_loc_conf_t  *found;
    u_char                    *buf, *p;
    size_t                     len;

    if (uri->len == 0) {
        return NULL;
    }

    found = ot_find_location(srv, uri);

    if (found && found != hook && found->internal == 1) {
        return NULL;
    }

    len = 256 + uri->len + ngx_strlen(in->file)
          + (found ? found->name.len : 0);
    buf = static_cast<u_char *>(ngx_pnalloc(cf->pool, len));
    if (buf == NULL) {
        return NULL;
    }

    p = ngx_snprintf(buf, len - 1,
                     "\"%s\" \"%V\" of \"okta_telephony\" in %s:%ui ",
                     directive, uri, in->file, in->line);

    if (found == NULL) {
        p = ngx_snprintf(p, len - 1 - (p - buf),
                         "names no location of its server");

    } else if (found == hook) {
        p = ngx_snprintf(p, len - 1 - (p - buf),
                         "is the hook's own location");

    } else {
        p = ngx_snprintf(p, len - 1 - (p - buf),
                         "is served by location \"%V\", which is not "
                         "\"internal\"", &found->name);
    }

    *p = '\0';

    return buf;
}


/* clcf (its modules' confs: loc_conf) and the locations inside it, with
   what the levels above set; the first mistake found goes to *err. */
void
ot_check_level(ngx_conf_t *cf, ngx_http_core_loc_conf_t *srv,
    ngx_http_core_loc_conf_t *clcf, void **loc_conf, ot_inherited_t in,
    u_char **err)
{
    ot_loc_conf_t              *conf;
    ngx_queue_t                *q;
    ngx_http_location_queue_t  *lq;
    ngx_http_core_loc_conf_t   *child;

    conf = static_cast<ot_loc_conf_t *>(
               loc_conf[ngx_http_okta_telephony_module.ctx_index]);

    if (conf->enable != NGX_CONF_UNSET) {
        in.enable = conf->enable;
        in.file = conf->enable_file;
        in.line = conf->enable_line;
    }

    if (conf->voice_location.data) {
        in.voice = conf->voice_location;
    }

    if (conf->sms_location.data) {
        in.sms = conf->sms_location;
    }

    if (in.enable == 1 && clcf != srv && !clcf->noname) {
        *err = ot_check_target(cf, srv, clcf, &in,
                               "okta_telephony_voice_location", &in.voice);
        if (*err == NULL) {
            *err = ot_check_target(cf, srv, clcf, &in,
                                   "okta_telephony_sms_location", &in.sms);
        }
    }

    if (clcf->locations == NULL) {
        return;
    }

    for (q = ngx_queue_head(clcf->locations);
         *err == NULL && q != ngx_queue_sentinel(clcf->locations);
         q = ngx_queue_next(q))
    {
        lq = reinterpret_cast<ngx_http_location_queue_t *>(q);
        child = lq->exact ? lq->exact : lq->inclusive;
        ot_check_level(cf, srv, child, child->loc_conf, in, err);
    }
}

}  // namespace


/*
 * init_main_conf: every hook of every server. The first mistake is kept
 * and told by ot_report_locations() at postconfiguration, so that the
 * merge's own checks (no secret, no location at all) are told first.
 */
char *
ot_check_locations(ngx_conf_t *cf, void *c)
{
    ot_main_conf_t              *mcf = static_cast<ot_main_conf_t *>(c);
    ngx_http_conf_ctx_t         *ctx;
    ngx_http_core_main_conf_t   *cmcf;
    ngx_http_core_srv_conf_t   **cscfp;
    ngx_http_core_loc_conf_t    *srv;
    ot_loc_conf_t               *http;
    ot_inherited_t               in;
    ngx_uint_t                   s;

    ctx = static_cast<ngx_http_conf_ctx_t *>(cf->ctx);
    cmcf = static_cast<ngx_http_core_main_conf_t *>(
               ctx->main_conf[ngx_http_core_module.ctx_index]);
    http = static_cast<ot_loc_conf_t *>(
               ctx->loc_conf[ngx_http_okta_telephony_module.ctx_index]);

    ngx_memzero(&in, sizeof(ot_inherited_t));
    in.enable = NGX_CONF_UNSET;

    if (http->voice_location.data) {
        in.voice = http->voice_location;
    }

    if (http->sms_location.data) {
        in.sms = http->sms_location;
    }

    cscfp = static_cast<ngx_http_core_srv_conf_t **>(cmcf->servers.elts);

    for (s = 0; mcf->location_error == NULL && s < cmcf->servers.nelts;
         s++)
    {
        srv = static_cast<ngx_http_core_loc_conf_t *>(
                  cscfp[s]->ctx->loc_conf[ngx_http_core_module.ctx_index]);
        ot_check_level(cf, srv, srv, cscfp[s]->ctx->loc_conf, in,
                       &mcf->location_error);
    }

    return NGX_CONF_OK;
}


/* postconfiguration: the first mistake ot_check_locations() found. */
ngx_int_t
ot_report_locations(ngx_conf_t *cf)
{
    ot_main_conf_t  *mcf = static_cast<ot_main_conf_t *>(
                               ngx_http_conf_get_module_main_conf(
                                   cf, ngx_http_okta_telephony_module));

    if (mcf->location_error == NULL) {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0, "%s", mcf->location_error);

    return NGX_ERROR;
}

}  // namespace ngx_okta_telephony
