/*
 * ngx_http_okta_telephony_module: Okta's telephony inline hook, answered
 * by delivering the one-time password through 8x8.
 *
 * Okta's hook arrives in a location with "okta_telephony". The glue checks
 * the secret, feeds the body to the core's parser, asks the core what to
 * send, and sends it to 8x8 through a background subrequest to an internal
 * location that proxy_passes to an upstream block. The subrequest gets its
 * own method, headers, variables and body: nothing of Okta's request
 * reaches 8x8. Its reply is captured by this module's filter into a capped
 * buffer, judged by the core, and Okta is answered. A timer bounds the
 * whole exchange by okta_telephony_timeout.
 *
 * This file holds the module object and its init; ngx_http_okta_telephony.h
 * says which file holds what.
 */

#include "ngx_http_okta_telephony.h"


namespace ngx_okta_telephony {

namespace {

/*
 * The command table nginx reads: each file's table in turn (a file's table
 * ends with ngx_null_command), joined when the module is loaded, before
 * nginx reads any directive, so that a directive in the wrong place is
 * "not allowed here" as in any module. preconfiguration joins again (the
 * same table) and says when the tables do not fit.
 */
constexpr ngx_uint_t  ot_max_commands = 127;

ngx_command_t  *const  ot_command_tables[] = {
    ot_commands,                           /* directives.cpp */
    ot_metrics_commands,                   /* metrics.cpp */
    ot_events_commands,                    /* events.cpp */
    ot_health_commands,                    /* health.cpp */
};

ngx_command_t  ot_all_commands[ot_max_commands + 1];


bool
ot_join_commands() noexcept
{
    ngx_uint_t      n = 0;
    ngx_command_t  *cmd;

    for (ngx_command_t *table : ot_command_tables) {
        for (cmd = table; cmd->name.len; cmd++) {
            if (n == ot_max_commands) {
                return false;
            }
            ot_all_commands[n++] = *cmd;
        }
    }

    ngx_memzero(&ot_all_commands[n], sizeof(ngx_command_t));

    return true;
}


const bool  ot_commands_joined = ot_join_commands();


/* preconfiguration: the command table, then the variables (which must
   exist before log formats use them) */
ngx_int_t
ot_preconf(ngx_conf_t *cf)
{
    if (!ot_commands_joined || !ot_join_commands()) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "okta_telephony: more than %ui directives",
                           ot_max_commands);
        return NGX_ERROR;
    }

    return ot_add_variables(cf);
}


/* postconfiguration: the capture filter, the redirect guard, every
   zone=NAME defined, and delivery locations that exist */
ngx_int_t
ot_init(ngx_conf_t *cf)
{
    ngx_http_core_main_conf_t  *cmcf;
    ngx_http_handler_pt        *h;

    cmcf = static_cast<ngx_http_core_main_conf_t *>(
               ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module));

    h = static_cast<ngx_http_handler_pt *>(
            ngx_array_push(&cmcf->phases[NGX_HTTP_REWRITE_PHASE].handlers));
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ot_guard_redirect;

    if (ot_check_zone_refs(cf) != NGX_OK
        || ot_report_locations(cf) != NGX_OK
        || ot_variables_init(cf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ot_filter_init(cf);
}


#ifndef NGX_HTTP_OKTA_TELEPHONY_VERSION
#define NGX_HTTP_OKTA_TELEPHONY_VERSION  "unknown"
#endif
#ifndef NGX_HTTP_OKTA_TELEPHONY_REVISION
#define NGX_HTTP_OKTA_TELEPHONY_REVISION  "unknown"
#endif

/* init module: which build is loaded (config compiles the version in);
   the counter blocks, once the zones exist */
ngx_int_t
ot_init_module(ngx_cycle_t *cycle)
{
    ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                  "okta_telephony module " NGX_HTTP_OKTA_TELEPHONY_VERSION
                  " (revision " NGX_HTTP_OKTA_TELEPHONY_REVISION
                  "), built for nginx " NGINX_VERSION);

    return ot_metrics_init_module(cycle);
}


ngx_http_module_t  ot_module_ctx = {
    ot_preconf,                            /* preconfiguration */
    ot_init,                               /* postconfiguration */

    ot_create_main_conf,                   /* create main configuration */
    ot_check_locations,                    /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ot_create_loc_conf,                    /* create location configuration */
    ot_merge_loc_conf                      /* merge location configuration */
};

}  // namespace

}  // namespace ngx_okta_telephony


ngx_module_t  ngx_http_okta_telephony_module = {
    NGX_MODULE_V1,
    &ngx_okta_telephony::ot_module_ctx,    /* module context */
    ngx_okta_telephony::ot_all_commands,   /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_okta_telephony::ot_init_module,    /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};
