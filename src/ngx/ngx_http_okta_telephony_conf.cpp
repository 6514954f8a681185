/*
 * The location conf: created unset, merged with nginx's own macros, the
 * values the core reads on every hook derived once, and the fail-closed
 * checks of a location with "okta_telephony": no secret, no 8x8
 * location or no caller id for voice fail "nginx -t".
 */

#include "ngx_http_okta_telephony.h"


namespace ngx_okta_telephony {

namespace {

/* The core's views of the merged values: built once, read per hook. */
void
ot_derive(ot_loc_conf_t *conf)
{
    conf->timeout_answer = static_cast<ot::Status>(conf->timeout_status);
    conf->async_answer = static_cast<ot::Status>(conf->async_status);

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
}


/* nginx drops a header with "_" in its name before any module sees it
   (and logs it, value and all, at "info"): such an auth_header would
   refuse every hook. */
char *
ot_check_header_accepted(ngx_conf_t *cf, ot_loc_conf_t *conf)
{
    ngx_http_core_srv_conf_t  *cscf;

    cscf = static_cast<ngx_http_core_srv_conf_t *>(
               ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module));

    if (!ot_needs_secret(conf)
        || !ot::header_name_has_underscore(ot_sv(conf->auth_header))
        || cscf->underscores_in_headers || !cscf->ignore_invalid_headers)
    {
        return NGX_CONF_OK;
    }

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "\"okta_telephony_auth_header\" \"%V\" in %s:%ui contains "
                  "\"_\": nginx drops such headers (and logs their value) "
                  "unless \"underscores_in_headers on\" is set in the "
                  "server, and in the default server of its listen socket",
                  &conf->auth_header,
                  conf->auth_header_file ? conf->auth_header_file
                                         : conf->enable_file,
                  conf->auth_header_file ? conf->auth_header_line
                                         : conf->enable_line);

    return static_cast<char *>(NGX_CONF_ERROR);
}


/* Fail closed: an endpoint must be able to tell Okta from anyone, and
   must have somewhere to send. */
char *
ot_check_enabled(ngx_conf_t *cf, ot_loc_conf_t *conf)
{
    const char  *missing = NULL;

    if (ot_needs_secret(conf)
        && (conf->secrets == NULL || conf->secrets->nelts == 0))
    {
        missing = "has no \"okta_telephony_secret\" or "
                  "\"okta_telephony_secret_file\"";

    } else if (conf->voice_location.len == 0
               && conf->sms_location.len == 0)
    {
        missing = "has neither \"okta_telephony_voice_location\" nor "
                  "\"okta_telephony_sms_location\"";

    } else if (conf->voice_location.len && conf->caller_id.len == 0) {
        missing = "sends voice calls but has no \"okta_telephony_caller_id\"";
    }

    if (missing == NULL) {
        return ot_check_header_accepted(cf, conf);
    }

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "\"okta_telephony\" in %s:%ui %s",
                  conf->enable_file, conf->enable_line, missing);

    return static_cast<char *>(NGX_CONF_ERROR);
}

}  // namespace


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
     *     conf->api_auth = { 0, NULL };
     *     conf->voice_location = { 0, NULL };
     *     ... every ngx_str_t: unset when data == NULL
     */

    conf->enable = NGX_CONF_UNSET;
    conf->secrets = static_cast<ngx_array_t *>(NGX_CONF_UNSET_PTR);
    conf->metrics.zone = static_cast<ngx_shm_zone_t *>(NGX_CONF_UNSET_PTR);
    conf->voice_languages = static_cast<ngx_array_t *>(NGX_CONF_UNSET_PTR);
    conf->voice_repetition = NGX_CONF_UNSET;
    conf->timeout = NGX_CONF_UNSET_MSEC;
    conf->max_body_size = NGX_CONF_UNSET_SIZE;
    conf->reply_buffer_size = NGX_CONF_UNSET_SIZE;
    conf->deliver_previews = NGX_CONF_UNSET;
    conf->mode = NGX_CONF_UNSET_UINT;
    conf->timeout_status = NGX_CONF_UNSET_UINT;
    conf->async_status = NGX_CONF_UNSET_UINT;
    conf->log_level = NGX_CONF_UNSET_UINT;
    ot_abuse_create_conf(&conf->abuse);
    ot_jwt_create_conf(&conf->jwt);
    ot_events_create_conf(&conf->events);

    return conf;
}


char *
ot_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ot_loc_conf_t  *prev = static_cast<ot_loc_conf_t *>(parent);
    ot_loc_conf_t  *conf = static_cast<ot_loc_conf_t *>(child);

    /* plain values: enum constants inside the macros' ?: trip -Werror */
    ngx_uint_t      sync = OT_MODE_SYNC,
                    failed = (ngx_uint_t) ot::Status::failed,
                    pending = (ngx_uint_t) ot::Status::pending;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_str_value(conf->auth_header, prev->auth_header,
                             "authorization");
    ngx_conf_merge_ptr_value(conf->secrets, prev->secrets, NULL);
    ngx_conf_merge_ptr_value(conf->metrics.zone, prev->metrics.zone, NULL);
    ngx_conf_merge_str_value(conf->voice_location, prev->voice_location, "");
    ngx_conf_merge_str_value(conf->sms_location, prev->sms_location, "");
    ngx_conf_merge_str_value(conf->api_auth, prev->api_auth, "");
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
    ngx_conf_merge_uint_value(conf->log_level, prev->log_level,
                              NGX_LOG_NOTICE);

    if (conf->auth_header_file == NULL) {
        conf->auth_header_file = prev->auth_header_file;
        conf->auth_header_line = prev->auth_header_line;
    }

    ot_derive(conf);

    if (ot_abuse_merge_conf(cf, &conf->abuse, &prev->abuse,
                            &conf->default_country_code)
        != NGX_CONF_OK)
    {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (ot_jwt_merge_conf(cf, conf, prev) != NGX_CONF_OK
        || ot_health_merge(cf, conf) != NGX_CONF_OK
        || ot_events_merge_conf(cf, conf, prev) != NGX_CONF_OK)
    {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (!conf->enable) {
        return NGX_CONF_OK;
    }

    return ot_check_enabled(cf, conf);
}

}  // namespace ngx_okta_telephony
