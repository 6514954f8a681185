/*
 * The setters and post handlers of the directives in directives.cpp's
 * table: each asks the core (conf_values.hpp) whether the value is fine;
 * the error names the directive, what is wrong and, where it is not a
 * secret, the value.
 */

#include "ngx_http_okta_telephony.h"


namespace ngx_okta_telephony {

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

}  // namespace


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


namespace {


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


}  // namespace


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

}  // namespace ngx_okta_telephony
