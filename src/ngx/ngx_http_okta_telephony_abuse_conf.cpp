/*
 * The abuse controls' directives: limits, number rules, breaker, dedupe.
 * The arguments are parsed by the core (abuse.hpp); these setters turn
 * its refusals into "nginx -t" errors that name the argument at fault,
 * and the merge inherits each setting as a whole, like limit_req.
 */

#include "ngx_http_okta_telephony.h"


namespace ngx_okta_telephony {

namespace {

constexpr std::size_t  ot_max_args = 64;


/* The directive's arguments after its name, as views. */
std::size_t
ot_arg_views(ngx_conf_t *cf, string_view *out)
{
    ngx_str_t    *value = static_cast<ngx_str_t *>(cf->args->elts);
    std::size_t   i, n = cf->args->nelts - 1;

    if (n > ot_max_args) {
        n = ot_max_args;
    }

    for (i = 0; i < n; i++) {
        out[i] = ot_sv(value[i + 1]);
    }

    return n;
}


/* "<directive>": <why> (at "<argument>") */
char *
ot_arg_error(ngx_conf_t *cf, const char *err, const string_view *args,
    std::size_t n, std::size_t bad)
{
    ngx_str_t  *name = static_cast<ngx_str_t *>(cf->args->elts);

    if (bad < n) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\": %s, at \"%*s\"",
                           name, err, args[bad].size(), args[bad].data());
    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\": %s", name, err);
    }

    return static_cast<char *>(NGX_CONF_ERROR);
}


/* libphonenumber's metadata, for the checks that need it (once; the
   workers inherit it) */
char *
ot_need_numbers(ngx_conf_t *cf)
{
    if (ot::number_init()) {
        return NGX_CONF_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"%V\": libphonenumber could not be initialised",
                       static_cast<ngx_str_t *>(cf->args->elts));

    return static_cast<char *>(NGX_CONF_ERROR);
}


/* Sorted, distinct zones of the location's limits: locked in this order
   so that every limit counts a hook or none does. */
char *
ot_limit_zones(ngx_conf_t *cf, ot_abuse_conf_t *a)
{
    ot_limit_t  *l = static_cast<ot_limit_t *>(a->limits->elts);
    ngx_uint_t   i, j, k;

    a->nlimit_zones = 0;

    for (i = 0; i < a->limits->nelts; i++) {
        for (j = 0; j < a->nlimit_zones; j++) {
            if (a->limit_zones[j] >= l[i].zone) {
                break;
            }
        }

        if (j < a->nlimit_zones && a->limit_zones[j] == l[i].zone) {
            continue;
        }

        if (a->nlimit_zones == OT_MAX_LIMIT_ZONES) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "the limits of one location may use at most "
                               "%d zones", OT_MAX_LIMIT_ZONES);
            return static_cast<char *>(NGX_CONF_ERROR);
        }

        for (k = a->nlimit_zones; k > j; k--) {
            a->limit_zones[k] = a->limit_zones[k - 1];
        }

        a->limit_zones[j] = l[i].zone;
        a->nlimit_zones++;
    }

    return NGX_CONF_OK;
}

}  // namespace


ngx_conf_enum_t  ot_number_checks[] = {
    { ngx_string("loose"), 0 },
    { ngx_string("strict"), 1 },
    { ngx_null_string, 0 }
};


ngx_conf_enum_t  ot_blocked_statuses[] = {
    { ngx_string("FAILED"), (ngx_uint_t) ot::Status::failed },
    { ngx_string("SUCCESSFUL"), (ngx_uint_t) ot::Status::successful },
    { ngx_null_string, 0 }
};


ngx_conf_post_t  ot_region_post = { ot_check_default_region };
ngx_conf_post_t  ot_country_code_post = { ot_check_country_code };


/* okta_telephony_default_country_code: stored without "+"; merge maps
   it to its main region */
char *
ot_check_country_code(ngx_conf_t *cf, void *, void *data)
{
    ngx_str_t    *v = static_cast<ngx_str_t *>(data);
    string_view   digits;

    if (!ot::parse_country_code(ot_sv(*v), &digits)) {
        return ot_bad_value(cf, "must be a country calling code such as "
                            "\"1\" or \"44\"", v);
    }

    v->data += v->len - digits.size();
    v->len = digits.size();

    return NGX_CONF_OK;
}


/* okta_telephony_limit zone=NAME key=K rate=N/PERIOD [dry_run]; */
char *
ot_set_limit(ngx_conf_t *cf, ngx_command_t *, void *c)
{
    ot_abuse_conf_t  *a = &static_cast<ot_loc_conf_t *>(c)->abuse;
    string_view       args[ot_max_args];
    std::size_t       n = ot_arg_views(cf, args), bad;
    const char       *err;
    ot::LimitSpec     spec;
    ot_limit_t       *l;

    if (!ot::parse_limit_args(args, n, &spec, &err, &bad)) {
        return ot_arg_error(cf, err, args, n, bad);
    }

    if (spec.rule.key == ot::LimitKey::region
        && ot_need_numbers(cf) != NGX_CONF_OK)
    {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (a->limits == NGX_CONF_UNSET_PTR) {
        a->limits = ngx_array_create(cf->pool, 2, sizeof(ot_limit_t));
        if (a->limits == NULL) {
            return static_cast<char *>(NGX_CONF_ERROR);
        }

    } else if (a->limits->nelts == OT_MAX_LIMITS) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "at most %d \"okta_telephony_limit\" rules in "
                           "one location", OT_MAX_LIMITS);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    l = static_cast<ot_limit_t *>(ngx_array_push(a->limits));
    if (l == NULL) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    l->rule = spec.rule;
    l->zone = ot_zone_ref(cf, spec.zone);

    return l->zone ? NGX_CONF_OK : static_cast<char *>(NGX_CONF_ERROR);
}


/* okta_telephony_regions allow|deny CODE...; (may be repeated) */
char *
ot_set_regions(ngx_conf_t *cf, ngx_command_t *, void *c)
{
    ot_abuse_conf_t  *a = &static_cast<ot_loc_conf_t *>(c)->abuse;
    string_view       args[ot_max_args];
    std::size_t       n = ot_arg_views(cf, args), bad;
    const char       *err;

    if (ot_need_numbers(cf) != NGX_CONF_OK) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (!ot::parse_region_list(args, n, &a->rules, &err, &bad)) {
        return ot_arg_error(cf, err, args, n, bad);
    }

    return NGX_CONF_OK;
}


/* okta_telephony_number_types deny TYPE...;
   okta_telephony_sms_number_types allow TYPE...; (cmd->offset: sms) */
char *
ot_set_number_types(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    ot_abuse_conf_t  *a = &static_cast<ot_loc_conf_t *>(c)->abuse;
    string_view       args[ot_max_args];
    std::size_t       n = ot_arg_views(cf, args), bad;
    const char       *err;

    if (ot_need_numbers(cf) != NGX_CONF_OK) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (!ot::parse_type_list(args, n, cmd->offset != 0, &a->rules, &err,
                             &bad))
    {
        return ot_arg_error(cf, err, args, n, bad);
    }

    return NGX_CONF_OK;
}


/* okta_telephony_breaker zone=NAME failures=N open=TIME; */
char *
ot_set_breaker(ngx_conf_t *cf, ngx_command_t *, void *c)
{
    ot_abuse_conf_t  *a = &static_cast<ot_loc_conf_t *>(c)->abuse;
    string_view       args[ot_max_args];
    std::size_t       n = ot_arg_views(cf, args), bad;
    const char       *err;
    ot::BreakerSpec   spec;

    if (a->breaker_zone != NGX_CONF_UNSET_PTR) {
        return const_cast<char *>("is duplicate");
    }

    if (!ot::parse_breaker_args(args, n, &spec, &err, &bad)) {
        return ot_arg_error(cf, err, args, n, bad);
    }

    a->breaker = spec.config;
    a->breaker_zone = ot_zone_ref(cf, spec.zone);

    return a->breaker_zone ? NGX_CONF_OK
                           : static_cast<char *>(NGX_CONF_ERROR);
}


/* okta_telephony_dedupe zone=NAME time=TIME; */
char *
ot_set_dedupe(ngx_conf_t *cf, ngx_command_t *, void *c)
{
    ot_abuse_conf_t  *a = &static_cast<ot_loc_conf_t *>(c)->abuse;
    string_view       args[ot_max_args];
    std::size_t       n = ot_arg_views(cf, args), bad;
    const char       *err;
    ot::DedupeSpec    spec;

    if (a->dedupe_zone != NGX_CONF_UNSET_PTR) {
        return const_cast<char *>("is duplicate");
    }

    if (!ot::parse_dedupe_args(args, n, &spec, &err, &bad)) {
        return ot_arg_error(cf, err, args, n, bad);
    }

    a->dedupe_time = (ngx_msec_t) spec.time_ms;
    a->dedupe_zone = ot_zone_ref(cf, spec.zone);

    return a->dedupe_zone ? NGX_CONF_OK : static_cast<char *>(NGX_CONF_ERROR);
}


/* okta_telephony_default_region SG; post handler of the str slot */
char *
ot_check_default_region(ngx_conf_t *cf, void *, void *data)
{
    ngx_str_t       *v = static_cast<ngx_str_t *>(data);
    ot::RegionCode   r;

    if (ot_need_numbers(cf) != NGX_CONF_OK) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (!ot::parse_region(ot_sv(*v), false, &r)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"okta_telephony_default_region\" must be a "
                           "region libphonenumber knows, as an ISO 3166 "
                           "code such as \"SG\", not \"%V\"", v);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    v->data = static_cast<u_char *>(ngx_pnalloc(cf->pool, r.len));
    if (v->data == NULL) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    ngx_memcpy(v->data, r.data, r.len);
    v->len = r.len;

    return NGX_CONF_OK;
}


void
ot_abuse_create_conf(ot_abuse_conf_t *a)
{
    /* ngx_pcalloc: rules all zero (no list), need_info false */
    a->limits = static_cast<ngx_array_t *>(NGX_CONF_UNSET_PTR);
    a->number_check = NGX_CONF_UNSET_UINT;
    a->breaker_zone = static_cast<ngx_shm_zone_t *>(NGX_CONF_UNSET_PTR);
    a->dedupe_zone = static_cast<ngx_shm_zone_t *>(NGX_CONF_UNSET_PTR);
    a->dedupe_time = NGX_CONF_UNSET_MSEC;
    a->blocked_status = NGX_CONF_UNSET_UINT;
}


/* Each setting inherited as a whole; default_country_code mapped to its
   main region when no default region is set. */
char *
ot_abuse_merge_conf(ngx_conf_t *cf, ot_abuse_conf_t *a, ot_abuse_conf_t *prev,
    ngx_str_t *default_country_code)
{
    ngx_uint_t  failed = (ngx_uint_t) ot::Status::failed;

    ngx_conf_merge_ptr_value(a->limits, prev->limits, NULL);
    ngx_conf_merge_uint_value(a->number_check, prev->number_check, 0);
    ngx_conf_merge_str_value(a->default_region, prev->default_region, "");
    ngx_conf_merge_ptr_value(a->breaker_zone, prev->breaker_zone, NULL);
    ngx_conf_merge_ptr_value(a->dedupe_zone, prev->dedupe_zone, NULL);
    ngx_conf_merge_msec_value(a->dedupe_time, prev->dedupe_time, 0);
    ngx_conf_merge_uint_value(a->blocked_status, prev->blocked_status,
                              failed);

    if (a->breaker_zone == prev->breaker_zone) {
        a->breaker = prev->breaker;
    }

    if (a->rules.regions_mode == ot::ListMode::none) {
        a->rules.regions_mode = prev->rules.regions_mode;
        a->rules.regions = prev->rules.regions;
    }

    if (a->rules.deny_types == 0) {
        a->rules.deny_types = prev->rules.deny_types;
    }

    if (a->rules.sms_types == 0) {
        a->rules.sms_types = prev->rules.sms_types;
    }

    a->rules.strict = (a->number_check == 1);

    if (a->default_region.len == 0 && default_country_code->len) {
        ot::RegionCode  r;

        if (ot_need_numbers(cf) != NGX_CONF_OK
            || !ot::region_for_country_code(ot_sv(*default_country_code),
                                            &r))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"okta_telephony_default_country_code\" "
                               "\"%V\" is not the code of a region; use "
                               "\"okta_telephony_default_region\"",
                               default_country_code);
            return static_cast<char *>(NGX_CONF_ERROR);
        }

        a->default_region.data = static_cast<u_char *>(
                                     ngx_pnalloc(cf->pool, r.len));
        if (a->default_region.data == NULL) {
            return static_cast<char *>(NGX_CONF_ERROR);
        }

        ngx_memcpy(a->default_region.data, r.data, r.len);
        a->default_region.len = r.len;
    }

    if (a->limits != NULL && ot_limit_zones(cf, a) != NGX_CONF_OK) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (a->limits != NULL) {
        ot_limit_t   *l = static_cast<ot_limit_t *>(a->limits->elts);
        ngx_uint_t    i;

        a->need_info = ot::number_rules_need_info(a->rules, NULL, 0);
        for (i = 0; i < a->limits->nelts; i++) {
            a->need_info |= ot::number_rules_need_info(a->rules, &l[i].rule,
                                                       1);
        }

    } else {
        a->need_info = ot::number_rules_need_info(a->rules, NULL, 0);
    }

    if ((a->need_info || a->default_region.len)
        && ot_need_numbers(cf) != NGX_CONF_OK)
    {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    return NGX_CONF_OK;
}

}  // namespace ngx_okta_telephony
