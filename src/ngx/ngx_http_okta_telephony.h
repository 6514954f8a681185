/*
 * ngx_http_okta_telephony_module: the glue's internal header.
 *
 * The conf and request types and the functions that cross the glue's
 * files, in the order a hook travels through them:
 *
 *   directives -> conf (create/merge, fail-closed checks)
 *   handler (content handler) -> auth -> handler (body, hook steps)
 *     -> subrequest (start, timer, post handler, resume) <- filter
 *     -> answer (Okta's answer, errors) + log (line, variables)
 *   pool: the request-pool sink and yajl allocators used by all of them.
 *
 * Every decision is the core's (src/core); these files convert between
 * nginx and the core. Everything here has hidden visibility: the module
 * object is the only symbol the .so exports besides nginx's tables.
 */

#ifndef NGX_HTTP_OKTA_TELEPHONY_H
#define NGX_HTTP_OKTA_TELEPHONY_H

#include "ngx_okta_telephony_nginx.h"

#include <string_view>
#include <type_traits>

#include "conf_values.hpp"
#include "outcome.hpp"
#include "telephony.hpp"


extern "C" {
extern ngx_module_t  ngx_http_okta_telephony_module;
}


#pragma GCC visibility push(hidden)

namespace ngx_okta_telephony {

using std::string_view;
namespace ot = oktatel;


/* ---------------------------------------------------------------- conf -- */

/* okta_telephony_mode */
enum ot_mode_e : ngx_uint_t {
    OT_MODE_SYNC = 1,
    OT_MODE_ASYNC
};


struct ot_loc_conf_t {
    ngx_flag_t          enable;
    ngx_flag_t          server_hook;     /* server level: a location of
                                            this server is a hook; not
                                            inherited */
    u_char             *enable_file;     /* where "okta_telephony" was set */
    ngx_uint_t          enable_line;

    ngx_str_t           auth_header;     /* lower case */
    ngx_array_t        *secrets;         /* of string_view */

    ngx_str_t           voice_location;
    ngx_str_t           sms_location;
    ngx_str_t           caller_id;       /* normalised E.164 */
    ngx_str_t           sms_sender;
    ngx_str_t           sms_template;
    ngx_str_t           voice_speed;
    ngx_int_t           voice_repetition;
    ngx_array_t        *voice_languages; /* of ot::VoiceLanguage */
    ngx_str_t           default_locale;  /* normalised */
    ngx_str_t           default_country_code;
    ngx_str_t           provider;

    ngx_msec_t          timeout;
    size_t              max_body_size;
    size_t              reply_buffer_size;
    ngx_flag_t          deliver_previews;
    ngx_uint_t          mode;            /* ot_mode_e */
    ngx_uint_t          timeout_status;  /* an ot::Status, as set */
    ngx_uint_t          async_status;    /* an ot::Status, as set */
    ngx_uint_t          log_level;       /* of the hook's log line */
    u_char             *auth_header_file;  /* where it was set */
    ngx_uint_t          auth_header_line;

    /* derived in merge, read on every hook */
    ot::Status          timeout_answer;
    ot::Status          async_answer;
    ot::VoiceConfig     voice;
    ot::SmsConfig       sms;
};

static_assert(std::is_trivially_destructible<ot_loc_conf_t>::value,
              "conf lives in an nginx pool");


/* ------------------------------------------------------------- request -- */

/*
 * Where a hook is. Changed only by ot_wait_for_8x8() (READING -> SENDING)
 * and ot_answer*() (-> ANSWERED):
 *
 *   READING    the body is being read and parsed; no answer yet
 *   SENDING    sync mode: the 8x8 subrequest is in flight, Okta waits
 *   ANSWERED   Okta has its answer; in async mode the 8x8 subrequest may
 *              still be in flight (sub_done tells)
 */
enum ot_state_e : unsigned {
    OT_READING = 0,
    OT_SENDING,
    OT_ANSWERED
};


struct ot_ctx_t {
    ngx_http_request_t  *request;
    ngx_http_request_t  *subrequest;
    ot_loc_conf_t       *conf;
    ngx_event_t          timer;

    /* 8x8's reply, captured by the filters */
    u_char              *reply;
    size_t               reply_len;
    size_t               reply_size;     /* allocated, <= the cap */
    ngx_uint_t           reply_status;
    ngx_int_t            sub_rc;

    ot_state_e           state;
    unsigned             sub_done:1;
    unsigned             reply_overflow:1;
    unsigned             header_seen:1;
    unsigned             has_outcome:1;
    unsigned             sub_routed:1;   /* 8x8 subrequest found its location */
    unsigned             redirected:1;   /* ... and was redirected: refused */
    unsigned             json_error:1;   /* nginx's own error page replaced */

    /* for the log line; all validated or masked */
    ot::Channel          channel;
    ot::RequestType      type;
    char                 event_id[129];
    char                 masked_to[20];

    /* Okta's error JSON in place of nginx's error page */
    u_char              *error_body;
    size_t               error_len;

    /* for the variables: the first outcome and 8x8's id */
    ot::Outcome          outcome;
    char                 txn[129];
};

static_assert(std::is_trivially_destructible<ot_ctx_t>::value,
              "request contexts live in the request pool");


/* ---------------------------------------------------------------- pool -- */

/* A growing buffer in the request pool: the core's Sink. */
struct ot_out_t {
    ngx_pool_t  *pool;
    u_char      *data;
    size_t       len;
    size_t       cap;
    bool         failed;
};

ot::Sink ot_sink(ot_out_t *o);
yajl_alloc_funcs ot_yajl_funcs(ngx_pool_t *pool);

inline string_view
ot_sv(const ngx_str_t &s)
{
    return string_view(reinterpret_cast<const char *>(s.data), s.len);
}

inline ot_ctx_t *
ot_get_ctx(ngx_http_request_t *r)
{
    return static_cast<ot_ctx_t *>(
               ngx_http_get_module_ctx(r, ngx_http_okta_telephony_module));
}


/* ------------------------------------------------------------ handlers -- */

/* handler.cpp */
ngx_int_t ot_handler(ngx_http_request_t *r);

/* auth.cpp */
bool ot_authenticated(ngx_http_request_t *r, ot_loc_conf_t *conf);
char *ot_set_auth_header(ngx_conf_t *cf, ngx_command_t *cmd, void *c);
char *ot_set_secret(ngx_conf_t *cf, ngx_command_t *cmd, void *c);
char *ot_set_secret_file(ngx_conf_t *cf, ngx_command_t *cmd, void *c);

/* subrequest.cpp */
ngx_int_t ot_start_subrequest(ot_ctx_t *ctx, ngx_str_t *uri,
    ot_out_t *body);
void ot_wait_for_8x8(ot_ctx_t *ctx, ngx_msec_t left);
void ot_ctx_cleanup(void *data);
ot_ctx_t *ot_8x8_ctx(ngx_http_request_t *r);
ngx_int_t ot_guard_redirect(ngx_http_request_t *r);

/* filter.cpp */
ngx_int_t ot_filter_init(ngx_conf_t *cf);

/* handler.cpp */
ot_ctx_t *ot_create_ctx(ngx_http_request_t *r, ot_loc_conf_t *conf);

/* answer.cpp */
ngx_int_t ot_answer(ot_ctx_t *ctx, ot::Outcome outcome, ot::Status s,
    ngx_uint_t provider_status, string_view txn, const char *detail,
    string_view metadata);
ngx_int_t ot_answer_error(ot_ctx_t *ctx, ot::Outcome outcome,
    ngx_uint_t status, const char *summary, const ot::FieldError *cause,
    const char *detail);
ngx_int_t ot_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *summary, const ot::FieldError *cause);
ngx_int_t ot_finish_error(ngx_http_request_t *r, ngx_int_t rc);

/* log.cpp */
void ot_log_outcome(ot_ctx_t *ctx, ot::Outcome outcome,
    ngx_uint_t provider_status, string_view txn, const char *detail);
ngx_msec_int_t ot_elapsed(ngx_http_request_t *r);
ngx_int_t ot_add_variables(ngx_conf_t *cf);


/* ---------------------------------------------------------- directives -- */

/* directives.cpp */
extern ngx_command_t  ot_commands[];

/* conf.cpp */
void *ot_create_loc_conf(ngx_conf_t *cf);
char *ot_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child);

}  // namespace ngx_okta_telephony

#pragma GCC visibility pop

#endif
