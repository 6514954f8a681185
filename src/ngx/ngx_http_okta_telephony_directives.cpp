/*
 * The module's directives: the command table, then the setters. Stock
 * slots wherever one fits, with a post handler that asks the core
 * (conf_values.hpp) whether the value is fine; the error names the
 * directive, what is wrong and, where it is not a secret, the value.
 */

#include "ngx_http_okta_telephony.h"


namespace ngx_okta_telephony {

namespace {

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

    /* OAuth 2.0 bearer tokens: jwt_conf.cpp */
    { ngx_string("okta_telephony_auth"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot, NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, jwt.mode), ot_auth_modes },

    { ngx_string("okta_telephony_jwt_issuer"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot, NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, jwt.issuer), &ot_issuer_post },

    { ngx_string("okta_telephony_jwt_audience"),
      OT_CONF|NGX_CONF_1MORE,
      ot_set_jwt_list, NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, jwt.audiences), NULL },

    { ngx_string("okta_telephony_jwt_client_id"),
      OT_CONF|NGX_CONF_1MORE,
      ot_set_jwt_list, NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, jwt.client_ids), NULL },

    { ngx_string("okta_telephony_jwt_scope"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot, NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, jwt.scope), NULL },

    { ngx_string("okta_telephony_jwt_leeway"),
      OT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot, NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ot_loc_conf_t, jwt.leeway), &ot_leeway_post },

    { ngx_string("okta_telephony_jwks_file"),
      OT_CONF|NGX_CONF_TAKE1,
      ot_set_jwks_file, NGX_HTTP_LOC_CONF_OFFSET, 0, NULL },

    { ngx_string("okta_telephony_jwks_location"),
      OT_CONF|NGX_CONF_TAKE1,
      ot_set_jwks_location, NGX_HTTP_LOC_CONF_OFFSET, 0, NULL },

    { ngx_string("okta_telephony_jwks_zone"),
      OT_CONF|NGX_CONF_TAKE1,
      ot_set_jwks_zone, NGX_HTTP_LOC_CONF_OFFSET, 0, NULL },

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

}  // namespace ngx_okta_telephony
