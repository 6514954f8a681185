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
 * 8x8's delivery receipts and session summaries have a content handler of
 * their own (events), which shares auth's header lookup, answer's JSON
 * sender, zone's entries and the metrics block.
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

#include "abuse.hpp"
#include "conf_values.hpp"
#include "events.hpp"
#include "jwt.hpp"
#include "metrics.hpp"
#include "outcome.hpp"
#include "telephony.hpp"

#include "ngx_http_okta_telephony_zone.h"


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


/* A source of fetched keys: an okta_telephony_jwks_location and the zone
   its JWKS is kept in for all workers. */
struct ot_jwks_source_t {
    ngx_str_t           uri;
    ngx_shm_zone_t     *zone;
    struct ot_jwks_local_t *local;       /* this worker's parsed copy */
};

struct ot_main_conf_t {
    ngx_array_t         zone_refs;       /* of ot_zone_ref_t */
    u_char             *location_error;  /* a delivery location's
                                            mistake, told at postconf */
    ngx_array_t         jwks_sources;    /* of ot_jwks_source_t */
    uint32_t            jwt_policies;    /* locations verifying tokens */
    ngx_array_t        *metrics_zones;   /* of ngx_shm_zone_t *: those
                                            that get a counter block */
};


/* ----------------------------------------------------------------- jwt -- */

/* okta_telephony_auth */
enum ot_auth_e : ngx_uint_t {
    OT_AUTH_SECRET = 1,
    OT_AUTH_JWT,
    OT_AUTH_BOTH,
    OT_AUTH_EITHER
};

struct ot_jwt_conf_t {
    ngx_uint_t          mode;            /* ot_auth_e */
    ngx_str_t           issuer;
    ngx_array_t        *audiences;       /* of string_view */
    ngx_array_t        *client_ids;      /* of string_view */
    ngx_str_t           scope;
    time_t              leeway;
    ot::jwt::KeySet    *file_keys;       /* parsed by the master; owned by
                                            a cleanup of the conf pool */
    ngx_str_t           jwks_location;
    ngx_shm_zone_t     *jwks_zone;

    /* derived in merge, read on every hook */
    ot::jwt::Policy     policy;
    uint32_t            policy_id;       /* the token cache's */
    ngx_int_t           source;          /* in jwks_sources; -1: none */
    ngx_array_t        *metrics_zones;   /* of ngx_shm_zone_t *: those
                                            that get a counter block */
};


/* --------------------------------------------------------------- abuse -- */

/* okta_telephony_limit: a rule and its zone. */
struct ot_limit_t {
    ot::LimitRule       rule;
    ngx_shm_zone_t     *zone;
};

#define OT_MAX_LIMITS       16
#define OT_MAX_LIMIT_ZONES  4

struct ot_abuse_conf_t {
    ngx_array_t        *limits;          /* of ot_limit_t */
    ot::NumberRules     rules;           /* regions and types lists */
    ngx_uint_t          number_check;    /* strict: 1, loose: 0 */
    ngx_str_t           default_region;  /* "SG"; "" none */
    ngx_shm_zone_t     *breaker_zone;
    ot::BreakerConfig   breaker;
    ngx_shm_zone_t     *dedupe_zone;
    ngx_msec_t          dedupe_time;
    ngx_uint_t          blocked_status;  /* an ot::Status */

    /* derived in merge */
    bool                need_info;       /* classify_number() per hook */
    ngx_uint_t          nlimit_zones;
    ngx_shm_zone_t     *limit_zones[OT_MAX_LIMIT_ZONES];  /* sorted */
    u_char             *regions_file;    /* where the list was set, for */
    ngx_uint_t          regions_line;    /* "allow with deny" */
};


/* okta_telephony_metrics_zone and okta_telephony_metrics */
struct ot_metrics_conf_t {
    ngx_shm_zone_t     *zone;            /* counted in; NULL: off */
    ngx_shm_zone_t     *shown;           /* this location shows it */
    time_t              health;          /* okta_telephony_health's window;
                                            0: not a probe */
    u_char             *health_file;
    ngx_uint_t          health_line;
};


/* okta_telephony_8x8_events and its secret file */
struct ot_events_conf_t {
    ngx_flag_t          enable;
    ngx_array_t        *secrets;         /* of string_view: the
                                            Authorization values */
    u_char             *file;            /* where the location was set */
    ngx_uint_t          line;
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
    ngx_str_t           api_auth;        /* "Bearer <8x8 API key>"; "" none */
    u_char             *auth_header_file;  /* where it was set */
    ngx_uint_t          auth_header_line;

    ot_abuse_conf_t     abuse;
    ot_jwt_conf_t       jwt;
    ot_metrics_conf_t   metrics;
    ot_events_conf_t    events;

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


/* One hook's yajl memory: parsers, generators and their stacks (about
   4 kB in some 20 pieces) bumped out of 8 kB blocks of the request pool,
   one pool allocation instead of twenty. Freed with the pool. */
struct ot_arena_t {
    ngx_pool_t  *pool;
    u_char      *pos;
    u_char      *end;
};


struct ot_ctx_t {
    ngx_http_request_t  *request;
    ngx_http_request_t  *subrequest;
    ot_loc_conf_t       *conf;
    ot_arena_t           arena;          /* yajl's, in request's pool */
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
    unsigned             dedupe_claimed:1;  /* this hook owns its eventId's
                                               dedupe record */
    unsigned             breaker_probe:1;   /* this hook is the probe */
    unsigned             breaker_armed:1;   /* sent: its outcome counts */
    unsigned             jwks_fetch:1;      /* the subrequest fetches keys */

    /* which credential okta_telephony_auth either accepted (" auth=jwt"),
       for the log line; "" otherwise */
    const char          *auth_via;
    size_t               reply_cap;      /* of the subrequest's reply */
    ot::jwt::Fetch       fetch_why;
    time_t               jwks_age;       /* the fetched JWKS's max-age */
    ngx_msec_t           auth_wait;      /* since when keys are awaited */
    unsigned             auth_waited:1;  /* keys fetched or awaited once */

    /* for the log line; all validated or masked */
    ot::Channel          channel;
    ot::RequestType      type;
    char                 event_id[129];
    char                 masked_to[20];

    /* Okta's error JSON in place of nginx's error page */
    u_char              *error_body;
    size_t               error_len;

    /* $okta_telephony_block: the rule that blocked it (or "dry_run: "
       and the rule that would have) */
    char                *block;          /* in the request pool; NULL:
                                            none */

    /* for the variables: the first outcome, 8x8's id, status and time,
       the destination's E.164 (never logged) and region */
    ot::Outcome          outcome;
    char                 txn[129];
    char                 detail[64];
    ngx_uint_t           provider_status;
    ngx_msec_t           provider_ms;
    unsigned             has_provider_ms:1;
    char                 e164[17];
    char                 region[4];
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
yajl_alloc_funcs ot_yajl_funcs(ot_arena_t *arena);

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

/* handler.cpp */
ngx_int_t ot_accept(ngx_http_request_t *r, ot_loc_conf_t *conf,
    const char *via);
ngx_int_t ot_reject(ngx_http_request_t *r, ngx_uint_t status,
    const char *summary);
char *ot_set_enable(ngx_conf_t *cf, ngx_command_t *cmd, void *c);

/* auth.cpp */
bool ot_authenticated(ngx_http_request_t *r, ot_loc_conf_t *conf);
ot::metrics::AuthFailure ot_auth_failure(ngx_http_request_t *r,
    ot_loc_conf_t *conf);
ngx_table_elt_t *ot_find_header(ngx_http_request_t *r, ngx_str_t *name);
char *ot_set_auth_header(ngx_conf_t *cf, ngx_command_t *cmd, void *c);
char *ot_set_secret(ngx_conf_t *cf, ngx_command_t *cmd, void *c);
char *ot_set_secret_file(ngx_conf_t *cf, ngx_command_t *cmd, void *c);
u_char *ot_read_secret_file(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *name, size_t *size);
u_char *ot_read_conf_file(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *name, size_t *size, bool secret);

/* locations.cpp */
char *ot_check_locations(ngx_conf_t *cf, void *c);
ngx_int_t ot_report_locations(ngx_conf_t *cf);

/* keys.cpp */
char *ot_set_api_key_file(ngx_conf_t *cf, ngx_command_t *cmd, void *c);
ngx_int_t ot_add_api_key(ngx_http_request_t *sr, ot_loc_conf_t *conf);

/* jwt.cpp: okta_telephony_auth; what the handler does next */
enum ot_auth_rc_e {
    OT_AUTH_OK,
    OT_AUTH_REFUSED,                     /* logged; 401 to send */
    OT_AUTH_WAIT,                        /* keys are being fetched */
    OT_AUTH_ERROR
};

ot_auth_rc_e ot_check_auth(ngx_http_request_t *r, ot_loc_conf_t *conf,
    const char **via);
ngx_int_t ot_auth_resume(ngx_http_request_t *r);
bool ot_bearer_sent(ngx_http_request_t *r);

/* jwks.cpp: keys fetched through the internal location, kept in a zone */
struct ot_jwks_local_t {
    ot::jwt::KeySet    *keys;            /* NULL: none parsed yet */
    uint64_t            generation;
};

/* how ot_jwks_decide() says to go on */
enum ot_jwks_step_e {
    OT_JWKS_USE,                         /* verify with what there is */
    OT_JWKS_FETCH,                       /* fetch first (started) */
    OT_JWKS_POLL                         /* another worker fetches */
};

const ot::jwt::KeySet *ot_jwks_keys(ot_jwks_source_t *src, ngx_log_t *log);
ot_jwks_step_e ot_jwks_decide(ot_jwks_source_t *src, bool unknown_kid,
    bool have_keys, ot::jwt::Fetch *why);
ngx_int_t ot_jwks_fetch(ot_ctx_t *ctx, ot_jwks_source_t *src,
    ot::jwt::Fetch why);
void ot_jwks_poll(ot_ctx_t *ctx);
ngx_int_t ot_jwks_post_subrequest(ngx_http_request_t *sr, void *data,
    ngx_int_t rc);
ot_jwks_source_t *ot_jwks_source_of(ngx_http_request_t *r,
    ot_loc_conf_t *conf);

/* jwt_conf.cpp */
char *ot_set_jwt_list(ngx_conf_t *cf, ngx_command_t *cmd, void *c);
char *ot_set_jwks_file(ngx_conf_t *cf, ngx_command_t *cmd, void *c);
char *ot_set_jwks_location(ngx_conf_t *cf, ngx_command_t *cmd, void *c);
char *ot_set_jwks_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *c);
char *ot_check_issuer(ngx_conf_t *cf, void *post, void *data);
char *ot_check_leeway(ngx_conf_t *cf, void *post, void *data);
extern ngx_conf_enum_t  ot_auth_modes[];
extern ngx_conf_post_t  ot_issuer_post;
extern ngx_conf_post_t  ot_leeway_post;
void ot_jwt_create_conf(ot_jwt_conf_t *j);
char *ot_jwt_merge_conf(ngx_conf_t *cf, ot_loc_conf_t *conf,
    ot_loc_conf_t *prev);
bool ot_needs_secret(const ot_loc_conf_t *conf);

/* subrequest.cpp */
void ot_abort_subrequest(ot_ctx_t *ctx);
void ot_note_8x8_time(ot_ctx_t *ctx);
ngx_int_t ot_own_headers(ngx_http_request_t *r, ngx_http_request_t *sr,
    off_t len);
ngx_table_elt_t *ot_push_header(ngx_list_t *headers, const char *key,
    const char *lowcase, const char *value);
ngx_int_t ot_start_subrequest(ot_ctx_t *ctx, ngx_str_t *uri,
    ot_out_t *body);
void ot_wait_for_8x8(ot_ctx_t *ctx, ngx_msec_t left);
void ot_ctx_cleanup(void *data);
ot_ctx_t *ot_8x8_ctx(ngx_http_request_t *r);
ngx_int_t ot_guard_redirect(ngx_http_request_t *r);

/* filter.cpp */
ngx_int_t ot_filter_init(ngx_conf_t *cf);

/* abuse.cpp */
struct ot_number_t {
    ot::NumberInfo      info;
    ot::NumberError     err;
    bool                classified;      /* info is libphonenumber's */
};

ngx_int_t ot_abuse_number(ot_ctx_t *ctx, ot::RawHook *raw,
    ot_number_t *num);
ngx_int_t ot_abuse_check(ot_ctx_t *ctx, const ot::Hook &hook,
    const ot_number_t &num);
void ot_abuse_answered(ot_ctx_t *ctx, bool keep, ot::Status s,
    string_view txn, string_view meta, bool blocked);
void ot_abuse_sent(ot_ctx_t *ctx, bool failed);
ot::NumberError ot_classify(string_view phone, string_view region,
    ot::NumberInfo *info);

/* zone.cpp */
char *ot_set_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *c);
ngx_shm_zone_t *ot_zone_ref(ngx_conf_t *cf, string_view name);
ngx_int_t ot_check_zone_refs(ngx_conf_t *cf);
void *ot_create_main_conf(ngx_conf_t *cf);
ot_entry_t *ot_zone_entry(ot_zone_t *z, string_view key, size_t payload,
    bool create, uint64_t now);
void ot_zone_remove(ot_zone_t *z, ot_entry_t *e);
void ot_zone_lock(ot_zone_t *z);
void ot_zone_unlock(ot_zone_t *z, ngx_log_t *log);
ot::metrics::ZoneStat *ot_zone_stats(ngx_pool_t *pool, size_t *n);

/* metrics.cpp: counting (a few atomic adds, no lock), the block's
   allocation, the directives and the /metrics content handler */
void ot_count_outcome(ot_ctx_t *ctx, ot::Outcome outcome);
void ot_count_refused(ngx_http_request_t *r, ngx_uint_t status);
void ot_count_blocked(ot_ctx_t *ctx, string_view rule);
void ot_count_breaker(ot_ctx_t *ctx, ot::BreakerEvent ev);
void ot_count_8x8(ot_ctx_t *ctx, const ot::Capture &c,
    const ot::Judgement &j);
void ot_count_8x8_timeout(ot_ctx_t *ctx);
uint64_t ot_sub_elapsed(ngx_http_request_t *sr);
ngx_int_t ot_metrics_init_module(ngx_cycle_t *cycle);
ngx_int_t ot_metrics_send(ngx_http_request_t *r, ngx_uint_t status,
    const char *type, ot_out_t *body);
ngx_int_t ot_get_or_head(ngx_http_request_t *r);
extern ngx_command_t  ot_metrics_commands[];

/* health.cpp: okta_telephony_health */
void ot_note_reply(ot_ctx_t *ctx, bool failed);
char *ot_health_merge(ngx_conf_t *cf, ot_loc_conf_t *conf);
extern ngx_command_t  ot_health_commands[];

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
ngx_int_t ot_guarded(ngx_http_request_t *r,
    ngx_int_t (*step)(ngx_http_request_t *r)) noexcept;
ngx_int_t ot_send_json(ngx_http_request_t *r, ngx_uint_t status,
    ot_out_t *body);

/* log.cpp */
void ot_log_outcome(ot_ctx_t *ctx, ot::Outcome outcome,
    ngx_uint_t provider_status, string_view txn, const char *detail);
ngx_msec_int_t ot_elapsed(ngx_http_request_t *r);
ngx_int_t ot_add_variables(ngx_conf_t *cf);
ngx_int_t ot_variables_init(ngx_conf_t *cf);


/* events.cpp: 8x8's delivery receipts and session summaries */
extern ngx_command_t  ot_events_commands[];
void ot_events_create_conf(ot_events_conf_t *ev);
char *ot_events_merge_conf(ngx_conf_t *cf, ot_loc_conf_t *conf,
    ot_loc_conf_t *prev);


/* ---------------------------------------------------------- directives -- */

/* directives.cpp */
extern ngx_command_t  ot_commands[];

/* conf.cpp */
void *ot_create_loc_conf(ngx_conf_t *cf);
char *ot_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child);

/* abuse_conf.cpp */
char *ot_set_limit(ngx_conf_t *cf, ngx_command_t *cmd, void *c);
char *ot_set_regions(ngx_conf_t *cf, ngx_command_t *cmd, void *c);
char *ot_set_number_types(ngx_conf_t *cf, ngx_command_t *cmd, void *c);
char *ot_set_breaker(ngx_conf_t *cf, ngx_command_t *cmd, void *c);
char *ot_set_dedupe(ngx_conf_t *cf, ngx_command_t *cmd, void *c);
char *ot_check_default_region(ngx_conf_t *cf, void *post, void *data);
char *ot_check_country_code(ngx_conf_t *cf, void *post, void *data);
extern ngx_conf_enum_t  ot_number_checks[];
extern ngx_conf_enum_t  ot_blocked_statuses[];
extern ngx_conf_post_t  ot_region_post;
extern ngx_conf_post_t  ot_country_code_post;

/* directives.cpp */
char *ot_bad_value(ngx_conf_t *cf, const char *what, ngx_str_t *value);

/* values.cpp: setters and post handlers of directives.cpp's table */
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
void ot_abuse_create_conf(ot_abuse_conf_t *a);
char *ot_abuse_merge_conf(ngx_conf_t *cf, ot_abuse_conf_t *a,
    ot_abuse_conf_t *prev, ngx_str_t *default_country_code);

}  // namespace ngx_okta_telephony

#pragma GCC visibility pop

#endif
