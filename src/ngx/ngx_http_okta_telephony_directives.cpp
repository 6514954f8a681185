/*
 * The module's directives: the command table, then the setters. Stock
 * slots wherever one fits, with a post handler that asks the core
 * (conf_values.hpp) whether the value is fine; the error names the
 * directive, what is wrong and, where it is not a secret, the value.
 */

#include "ngx_http_okta_telephony.h"


namespace ngx_okta_telephony {

namespace {

char *ot_set_enable(ngx_conf_t *cf, ngx_command_t *cmd, void *c);
char *ot_set_voice_language(ngx_conf_t *cf, ngx_command_t *cmd, void *c);
char *ot_check_location(ngx_conf_t *cf, void *post, void *data);
char *ot_check_caller_id(ngx_conf_t *cf, void *post, void *data);
char *ot_check_sms_sender(ngx_conf_t *cf, void *post, void *data);
char *ot_check_sms_template(ngx_conf_t *cf, void *post, void *data);
char *ot_check_voice_speed(ngx_conf_t *cf, void *post, void *data);
char *ot_check_voice_repetition(ngx_conf_t *cf, void *post, void *data);
char *ot_check_default_locale(ngx_conf_t *cf, void *post, void *data);
char *ot_check_provider(ngx_conf_t *cf, void *post, void *data);
char *ot_check_timeout(ngx_conf_t *cf, void *post, void *data);
char *ot_check_size(ngx_conf_t *cf, void *post, void *data);


ngx_conf_post_t  ot_location_post = { ot_check_location };
ngx_conf_post_t  ot_caller_id_post = { ot_check_caller_id };
ngx_conf_post_t  ot_sms_sender_post = { ot_check_sms_sender };
ngx_conf_post_t  ot_sms_template_post = { ot_check_sms_template };
ngx_conf_post_t  ot_voice_speed_post = { ot_check_voice_speed };
ngx_conf_post_t  ot_voice_repetition_post = { ot_check_voice_repetition };
ngx_conf_post_t  ot_default_locale_post = { ot_check_default_locale };
ngx_conf_post_t  ot_provider_post = { ot_check_provider };
ngx_conf_post_t  ot_timeout_post = { ot_check_timeout };
ngx_conf_post_t  ot_size_post = { ot_check_size };


ngx_conf_enum_t  ot_modes[] = {
    { ngx_string("sync"), OT_MODE_SYNC },
    { ngx_string("async"), OT_MODE_ASYNC },
    { ngx_null_string, 0 }
};


ngx_conf_enum_t  ot_timeout_statuses[] = {
    { ngx_string("FAILED"), (ngx_uint_t) ot::Status::failed },
    { ngx_string("PENDING"), (ngx_uint_t) ot::Status::pending },
    { ngx_null_string, 0 }
};


ngx_conf_enum_t  ot_async_statuses[] = {
    { ngx_string("PENDING"), (ngx_uint_t) ot::Status::pending },
    { ngx_string("SUCCESSFUL"), (ngx_uint_t) ot::Status::successful },
    { ngx_null_string, 0 }
};


/* okta_telephony_log_level: nginx's own "info" messages carry header
   values (see the README), so the hook's line defaults to "notice" */
ngx_conf_enum_t  ot_log_levels[] = {
    { ngx_string("info"), NGX_LOG_INFO },
    { ngx_string("notice"), NGX_LOG_NOTICE },
    { ngx_string("warn"), NGX_LOG_WARN },
    { ngx_string("error"), NGX_LOG_ERR },
    { ngx_null_string, 0 }
};

}  // namespace


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

    { ngx_string("okta_telephony_8x8_api_key_file"),
      OT_CONF|NGX_CONF_TAKE1,
      ot_set_api_key_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("okta_telephony_voice_location"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, voice_location),
      &ot_location_post },

    { ngx_string("okta_telephony_sms_location"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, sms_location),
      &ot_location_post },

    { ngx_string("okta_telephony_caller_id"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, caller_id),
      &ot_caller_id_post },

    { ngx_string("okta_telephony_sms_sender"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, sms_sender),
      &ot_sms_sender_post },

    { ngx_string("okta_telephony_sms_template"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, sms_template),
      &ot_sms_template_post },

    { ngx_string("okta_telephony_voice_language"),
      OT_CONF|NGX_CONF_TAKE3,
      ot_set_voice_language,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("okta_telephony_voice_speed"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, voice_speed),
      &ot_voice_speed_post },

    { ngx_string("okta_telephony_voice_repetition"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, voice_repetition),
      &ot_voice_repetition_post },

    { ngx_string("okta_telephony_default_locale"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, default_locale),
      &ot_default_locale_post },

    { ngx_string("okta_telephony_default_country_code"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, default_country_code),
      &ot_country_code_post },

    { ngx_string("okta_telephony_provider"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, provider),
      &ot_provider_post },

    { ngx_string("okta_telephony_timeout"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, timeout),
      &ot_timeout_post },

    { ngx_string("okta_telephony_max_body_size"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, max_body_size),
      &ot_size_post },

    { ngx_string("okta_telephony_reply_buffer_size"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, reply_buffer_size),
      &ot_size_post },

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

    { ngx_string("okta_telephony_log_level"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, log_level),
      ot_log_levels },

    /* abuse controls: abuse_conf.cpp, zone.cpp */

    { ngx_string("okta_telephony_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ot_set_zone, 0, 0, NULL },

    { ngx_string("okta_telephony_limit"),
      OT_CONF|NGX_CONF_1MORE,
      ot_set_limit, NGX_HTTP_LOC_CONF_OFFSET, 0, NULL },

    { ngx_string("okta_telephony_regions"),
      OT_CONF|NGX_CONF_2MORE,
      ot_set_regions, NGX_HTTP_LOC_CONF_OFFSET, 0, NULL },

    { ngx_string("okta_telephony_number_types"),
      OT_CONF|NGX_CONF_2MORE,
      ot_set_number_types, NGX_HTTP_LOC_CONF_OFFSET, 0, NULL },

    { ngx_string("okta_telephony_sms_number_types"),
      OT_CONF|NGX_CONF_2MORE,
      ot_set_number_types, NGX_HTTP_LOC_CONF_OFFSET, 1, NULL },

    { ngx_string("okta_telephony_number_check"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot, NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, abuse.number_check), ot_number_checks },

    { ngx_string("okta_telephony_default_region"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot, NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, abuse.default_region), &ot_region_post },

    { ngx_string("okta_telephony_breaker"),
      OT_CONF|NGX_CONF_TAKE3,
      ot_set_breaker, NGX_HTTP_LOC_CONF_OFFSET, 0, NULL },

    { ngx_string("okta_telephony_dedupe"),
      OT_CONF|NGX_CONF_TAKE2,
      ot_set_dedupe, NGX_HTTP_LOC_CONF_OFFSET, 0, NULL },

    { ngx_string("okta_telephony_blocked_status"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot, NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, abuse.blocked_status), ot_blocked_statuses },

    ngx_null_command
};


/* "<directive>" <what>, not "<value>" */
char *
ot_bad_value(ngx_conf_t *cf, const char *what, ngx_str_t *value)
{
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" %s, not \"%V\"",
                       static_cast<ngx_str_t *>(cf->args->elts), what, value);
    return static_cast<char *>(NGX_CONF_ERROR);
}


namespace {

/* The directive's name, for post handlers. */
ngx_str_t *
ot_name(ngx_conf_t *cf)
{
    return &static_cast<ngx_str_t *>(cf->args->elts)[0];
}


/* Replaces *field by a pool copy of s. */
char *
ot_store(ngx_conf_t *cf, ngx_str_t *field, string_view s)
{
    field->data = static_cast<u_char *>(ngx_pnalloc(cf->pool, s.size()));
    if (field->data == NULL) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    ngx_memcpy(field->data, s.data(), s.size());
    field->len = s.size();

    return NGX_CONF_OK;
}


/* okta_telephony; the location's content handler */
char *
ot_set_enable(ngx_conf_t *cf, ngx_command_t *, void *c)
{
    ot_loc_conf_t             *conf = static_cast<ot_loc_conf_t *>(c);
    ot_loc_conf_t             *srv;
    ngx_http_core_loc_conf_t  *clcf;
    ngx_http_core_srv_conf_t  *cscf;

    if (conf->enable != NGX_CONF_UNSET) {
        return const_cast<char *>("is duplicate");
    }

    conf->enable = 1;
    conf->enable_file = cf->conf_file->file.name.data;
    conf->enable_line = cf->conf_file->line;

    clcf = static_cast<ngx_http_core_loc_conf_t *>(
               ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module));
    clcf->handler = ot_handler;

    /* errors nginx answers before a location is chosen (bad framing,
       oversized headers) get Okta's JSON too on this server */
    cscf = static_cast<ngx_http_core_srv_conf_t *>(
               ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module));
    srv = static_cast<ot_loc_conf_t *>(
              cscf->ctx->loc_conf[ngx_http_okta_telephony_module.ctx_index]);
    srv->server_hook = 1;

    return NGX_CONF_OK;
}


/* An internal location's URI: "/..." without arguments or variables. */
char *
ot_check_location(ngx_conf_t *cf, void *, void *data)
{
    ngx_str_t   *v = static_cast<ngx_str_t *>(data);
    const char  *err = ot::check_location_uri(ot_sv(*v));

    return err ? ot_bad_value(cf, err, v) : NGX_CONF_OK;
}


/* Stored as normalised E.164. */
char *
ot_check_caller_id(ngx_conf_t *cf, void *, void *data)
{
    ngx_str_t         *v = static_cast<ngx_str_t *>(data);
    ot::FixedStr<16>   e164;
    const char        *reason = "";

    if (v->len == 0 || v->data[0] != '+'
        || !ot::normalize_phone(ot_sv(*v), "", &e164, &reason))
    {
        return ot_bad_value(cf, "must be a phone number in E.164 form "
                            "such as \"+6512341234\"", v);
    }

    return ot_store(cf, v, e164.view());
}


char *
ot_check_sms_sender(ngx_conf_t *cf, void *, void *data)
{
    ngx_str_t   *v = static_cast<ngx_str_t *>(data);
    const char  *err = ot::check_sms_sender(ot_sv(*v));

    if (err != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" %s", ot_name(cf),
                           err);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    return NGX_CONF_OK;
}


char *
ot_check_sms_template(ngx_conf_t *cf, void *, void *data)
{
    ngx_str_t   *v = static_cast<ngx_str_t *>(data);
    const char  *why = ot::template_problem(ot_sv(*v), ot::sms_template_max);

    if (why != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" %s", ot_name(cf), why);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    return NGX_CONF_OK;
}


char *
ot_check_voice_speed(ngx_conf_t *cf, void *, void *data)
{
    ngx_str_t  *v = static_cast<ngx_str_t *>(data);
    int         hundredths;

    if (!ot::parse_voice_speed(ot_sv(*v), &hundredths)) {
        return ot_bad_value(cf, "must be a number from 0.5 to 2 with at "
                            "most two decimals", v);
    }

    return NGX_CONF_OK;
}


char *
ot_check_voice_repetition(ngx_conf_t *cf, void *, void *data)
{
    ngx_int_t  *n = static_cast<ngx_int_t *>(data);

    if (!ot::voice_repetition_ok(*n)) {
        return ot_bad_value(cf, "must be 1, 2 or 3",
                            &static_cast<ngx_str_t *>(cf->args->elts)[1]);
    }

    return NGX_CONF_OK;
}


/* A language tag, stored normalised ("EN_us" -> "en-us"). */
char *
ot_locale(ngx_conf_t *cf, ngx_str_t *in, ngx_str_t *out)
{
    ot::FixedStr<35>  tag;

    if (!ot::normalize_locale(ot_sv(*in), &tag)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": invalid language tag \"%V\"",
                           ot_name(cf), in);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    return ot_store(cf, out, tag.view());
}


char *
ot_check_default_locale(ngx_conf_t *cf, void *, void *data)
{
    ngx_str_t  *v = static_cast<ngx_str_t *>(data);
    ngx_str_t   in = *v;

    return ot_locale(cf, &in, v);
}


char *
ot_check_provider(ngx_conf_t *cf, void *, void *data)
{
    ngx_str_t   *v = static_cast<ngx_str_t *>(data);
    const char  *err = ot::check_provider(ot_sv(*v));

    if (err != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" %s", ot_name(cf),
                           err);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    return NGX_CONF_OK;
}


char *
ot_check_timeout(ngx_conf_t *cf, void *, void *data)
{
    ngx_msec_t  *ms = static_cast<ngx_msec_t *>(data);

    if (!ot::timeout_ok(*ms)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" must be positive",
                           ot_name(cf));
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (ot::timeout_too_long(*ms)) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"%V\" of %M ms leaves Okta no time: Okta waits "
                           "3 s for the answer", ot_name(cf), *ms);
    }

    return NGX_CONF_OK;
}


char *
ot_check_size(ngx_conf_t *cf, void *, void *data)
{
    size_t  *sp = static_cast<size_t *>(data);

    if (!ot::buffer_size_ok(*sp)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must be between 1k and 16m", ot_name(cf));
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    return NGX_CONF_OK;
}


/* okta_telephony_voice_language TAG PROFILE TEXT; TEXT has "{code}" */
char *
ot_set_voice_language(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    ot_loc_conf_t       *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_str_t           *value = static_cast<ngx_str_t *>(cf->args->elts);
    ngx_str_t            tag;
    ot::VoiceLanguage   *lang;
    ngx_uint_t           i;
    const char          *why;

    if (ot_locale(cf, &value[1], &tag) != NGX_CONF_OK) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (value[2].len && !ot::voice_profile_ok(ot_sv(value[2]))) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": invalid voice profile \"%V\"",
                           &cmd->name, &value[2]);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    why = ot::template_problem(ot_sv(value[3]), ot::voice_text_max);
    if (value[2].len == 0 || why != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" needs a voice profile and a text with "
                           "\"{code}\": the text %s", &cmd->name,
                           why ? why : "is fine but the profile is empty");
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

}  // namespace

}  // namespace ngx_okta_telephony
