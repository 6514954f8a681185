/*
 * 8x8's delivery outcomes: the SMS delivery receipts and the voice
 * session summaries 8x8 POSTs to a location with
 * "okta_telephony_8x8_events". The request must carry the Authorization
 * value registered with 8x8 (okta_telephony_8x8_events_secret_file,
 * compared in constant time); its body is read into the core's parser
 * and answered at once: 200 and {"status":"received"}, or a JSON error
 * whose text is fixed (nothing 8x8 sent is echoed).
 *
 * Each event is one log line (masked number) and, when a metrics zone is
 * in scope, one count in okta_telephony_deliveries_total{channel,state}.
 * 8x8 retries a receipt it got no 2xx for: a record in the same zone,
 * keyed by 8x8's id and the state, counts a repeat once.
 */

#include "ngx_http_okta_telephony.h"

#include <exception>


namespace ngx_okta_telephony {

namespace {

namespace oe = ot::events;

enum ot_ev_feed_e { OT_EV_FED, OT_EV_TOO_LARGE, OT_EV_BAD, OT_EV_IO };


/* Feeds the body (memory and file buffers) to the parser, at most max
   bytes in all. */
ot_ev_feed_e
ot_events_feed(ngx_http_request_t *r, oe::EventParser *parser, size_t max)
{
    u_char        chunk[4096];
    ngx_chain_t  *cl;
    size_t        total = 0, want;
    ssize_t       n;
    off_t         pos;

    if (r->request_body == NULL) {
        return OT_EV_FED;
    }

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        ngx_buf_t  *b = cl->buf;

        if (ngx_buf_in_memory(b)) {
            n = b->last - b->pos;
            total += n;
            if (total > max) {
                return OT_EV_TOO_LARGE;
            }
            if (n && !parser->feed(reinterpret_cast<const char *>(b->pos),
                                   n))
            {
                return OT_EV_BAD;
            }
            continue;
        }

        if (!b->in_file) {
            continue;
        }

        if ((size_t) (b->file_last - b->file_pos) > max - total) {
            return OT_EV_TOO_LARGE;
        }

        for (pos = b->file_pos; pos < b->file_last; pos += n) {
            want = ngx_min((off_t) sizeof(chunk), b->file_last - pos);
            n = ngx_read_file(b->file, chunk, want, pos);
            if (n <= 0) {
                return OT_EV_IO;
            }
            total += n;
            if (!parser->feed(reinterpret_cast<const char *>(chunk), n)) {
                return OT_EV_BAD;
            }
        }
    }

    return OT_EV_FED;
}


/* {"status":"received"} (or "ignored") with 200. */
ngx_int_t
ot_events_ack(ngx_http_request_t *r, bool ignored)
{
    yajl_alloc_funcs  af = ot_yajl_funcs(r->pool);
    ot_out_t          out = { r->pool, NULL, 0, 0, false };

    if (!oe::build_ack(ignored, &af, ot_sink(&out))) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ot_send_json(r, NGX_HTTP_OK, &out);
}


/* A refusal's line, fixed text only: at "warn" for authentication (as
   the hook's), else at okta_telephony_log_level. */
void
ot_events_refused(ngx_http_request_t *r, ot_loc_conf_t *conf,
    ngx_uint_t status, const char *why)
{
    ngx_uint_t  level = (status == NGX_HTTP_UNAUTHORIZED) ? NGX_LOG_WARN
                                                          : conf->log_level;

    ngx_log_error(level, r->connection->log, 0,
                  "okta telephony: 8x8 event refused: %s", why);
}


/*
 * Counts the event once in the location's metrics zone; says how it
 * went for the log: "yes", "repeat" (8x8 sent it again), "no" (no
 * zone, or the zone has no counters) or "-" (a state that is not
 * counted: queued, sent, read).
 */
const char *
ot_events_count(ngx_http_request_t *r, ot_loc_conf_t *conf,
    const oe::Event &ev)
{
    ot::metrics::DeliveryState  state;
    ot::metrics::Block         *b;
    ot_zone_t                  *z;
    ot_entry_t                 *e;
    char                        key[oe::receipt_key_max];
    size_t                      n;
    uint64_t                    now = (uint64_t) ngx_current_msec;
    bool                        first = true;

    if (!oe::delivery_state(ev, &state)) {
        return "-";
    }

    if (conf->metrics.zone == NULL) {
        return "no";
    }

    z = static_cast<ot_zone_t *>(conf->metrics.zone->data);
    b = z->sh->metrics;
    if (b == NULL) {
        return "no";
    }

    n = oe::receipt_key(ev, key, sizeof(key));

    if (n) {
        ot_zone_lock(z);

        e = ot_zone_entry(z, string_view(key, n), sizeof(oe::ReceiptRecord),
                          true, now);
        if (e != NULL) {
            first = oe::receipt_first(&e->payload.receipt, now,
                                      oe::receipt_window_ms);
            e->expire_ms = ngx_max(e->expire_ms,
                                   e->payload.receipt.counted_ms
                                   + oe::receipt_window_ms);
        }

        ot_zone_unlock(z, r->connection->log);
    }

    /* no room for the record even after evicting: counted, possibly
       again when 8x8 retries */
    if (!first) {
        return "repeat";
    }

    __atomic_fetch_add(&b->deliveries[(size_t) ev.channel][(size_t) state],
                       1, __ATOMIC_RELAXED);

    return "yes";
}


/* The event's line: checked ids, the masked number, fixed words. */
void
ot_events_log(ngx_http_request_t *r, ot_loc_conf_t *conf,
    const oe::Event &ev, const char *counted)
{
    ngx_log_t  *log = r->connection->log;
    char       *action = log->action;
    char        masked[20];
    char        code[24];

    masked[0] = '\0';
    if (!ev.e164.empty()) {
        ot::mask_phone(ev.e164.view(), masked, sizeof(masked));
    }

    if (ev.has_error_code) {
        *ngx_snprintf((u_char *) code, sizeof(code) - 1, "%l",
                      ev.error_code) = '\0';
    } else {
        code[0] = '-';
        code[1] = '\0';
    }

    log->action = NULL;

    ngx_log_error(conf->log_level, log, 0,
                  "okta telephony: 8x8 event channel=%s state=%s event=%s "
                  "8x8_id=%s to=%s error=%s detail=%s counted=%s",
                  ot::channel_name(ev.channel), oe::state_name(ev.state),
                  ev.event_id.empty() ? "-" : ev.event_id.data,
                  ev.provider_id.data, masked[0] ? masked : "-", code,
                  ev.detail.empty() ? "-" : ev.detail.data, counted);

    log->action = action;
}


/* The whole body: parsed, read, counted, logged, answered. */
ngx_int_t
ot_events_process(ngx_http_request_t *r, ot_loc_conf_t *conf)
{
    yajl_alloc_funcs  af = ot_yajl_funcs(r->pool);
    oe::RawEvent      raw;
    oe::Event         ev;
    oe::EventParser   parser(&raw, &af);
    const char       *why = NULL;

    switch (ot_events_feed(r, &parser, conf->max_body_size)) {

    case OT_EV_TOO_LARGE:
        ot_events_refused(r, conf, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                          "request body is too large");
        return ot_send_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                             "request body is too large", NULL);

    case OT_EV_IO:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;

    case OT_EV_BAD:
        break;

    case OT_EV_FED:
        parser.finish();
        break;
    }

    if (parser.error() != ot::ParseError::none) {
        why = ot::parse_error_text(parser.error());
        ot_events_refused(r, conf, NGX_HTTP_BAD_REQUEST, why);
        return ot_send_error(r, NGX_HTTP_BAD_REQUEST, why, NULL);
    }

    switch (oe::read_event(raw, &ev, &why)) {

    case oe::ReadResult::unsupported:
        ot_events_refused(r, conf, NGX_HTTP_OK, "ignored: not a delivery "
                          "receipt or a session summary");
        return ot_events_ack(r, true);

    case oe::ReadResult::invalid:
        ot_events_refused(r, conf, NGX_HTTP_BAD_REQUEST, why);
        return ot_send_error(r, NGX_HTTP_BAD_REQUEST, why, NULL);

    case oe::ReadResult::ok:
        break;
    }

    ot_events_log(r, conf, ev, ot_events_count(r, conf, ev));

    return ot_events_ack(r, false);
}


void
ot_events_body_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ot_guarded(r, [](ngx_http_request_t *er) {
             return ot_events_process(er, static_cast<ot_loc_conf_t *>(
                        ngx_http_get_module_loc_conf(
                            er, ngx_http_okta_telephony_module)));
         });

    ngx_http_finalize_request(r, ot_finish_error(r, rc));
}


/* The Authorization header matches one of the configured values. */
bool
ot_events_authenticated(ngx_http_request_t *r, ot_loc_conf_t *conf)
{
    static ngx_str_t  name = ngx_string("authorization");
    ngx_table_elt_t  *h = ot_find_header(r, &name);

    if (h == NULL || conf->events.secrets == NULL) {
        return false;
    }

    return ot::secret_matches_any(
               ot_sv(h->value),
               static_cast<const string_view *>(conf->events.secrets->elts),
               conf->events.secrets->nelts);
}


/* An answer before the body is read. */
ngx_int_t
ot_events_reject(ngx_http_request_t *r, ot_loc_conf_t *conf,
    ngx_uint_t status, const char *summary)
{
    ngx_int_t  rc = ngx_http_discard_request_body(r);

    ot_events_refused(r, conf, status, summary);

    if (rc != NGX_OK) {
        return rc;
    }

    return ot_send_error(r, status, summary, NULL);
}


/* content handler of a location with "okta_telephony_8x8_events" */
ngx_int_t
ot_events_handler(ngx_http_request_t *r)
{
    ot_loc_conf_t  *conf;
    ngx_int_t       rc;

    try {
        if (r != r->main) {
            return NGX_HTTP_NOT_FOUND;
        }

        conf = static_cast<ot_loc_conf_t *>(ngx_http_get_module_loc_conf(
                   r, ngx_http_okta_telephony_module));

        if (!ot_events_authenticated(r, conf)) {
            return ot_events_reject(r, conf, NGX_HTTP_UNAUTHORIZED,
                                    "authentication required");
        }

        if (r->method != NGX_HTTP_POST) {
            return ot_events_reject(r, conf, NGX_HTTP_NOT_ALLOWED,
                                    "only POST is allowed");
        }

        if (r->headers_in.content_length_n > (off_t) conf->max_body_size) {
            /* do not read what will be refused */
            r->keepalive = 0;
            r->lingering_close = 1;
            r->expect_tested = 1;
            ot_events_refused(r, conf, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                              "request body is too large");
            return ot_send_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                 "request body is too large", NULL);
        }

        rc = ngx_http_read_client_request_body(r, ot_events_body_handler);
        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        return NGX_DONE;

    } catch (...) {
        return ot_finish_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}


/* ---------------------------------------------------------- directives -- */

/* okta_telephony_8x8_events; the location's content handler */
char *
ot_set_events(ngx_conf_t *cf, ngx_command_t *, void *c)
{
    ot_loc_conf_t             *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_http_core_loc_conf_t  *clcf;

    if (conf->events.enable != NGX_CONF_UNSET) {
        return const_cast<char *>("is duplicate");
    }

    clcf = static_cast<ngx_http_core_loc_conf_t *>(
               ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module));

    if (conf->enable == 1 || clcf->handler != NULL) {
        return const_cast<char *>("cannot share a location with "
                                  "\"okta_telephony\" or another content "
                                  "handler");
    }

    conf->events.enable = 1;
    conf->events.file = cf->conf_file->file.name.data;
    conf->events.line = cf->conf_file->line;
    clcf->handler = ot_events_handler;

    return NGX_CONF_OK;
}


/* okta_telephony_8x8_events_secret_file FILE; one Authorization value
   per line (two during a rotation), read by the master at start and
   reload */
char *
ot_set_events_secret_file(ngx_conf_t *cf, ngx_command_t *cmd, void *c)
{
    ot_loc_conf_t  *conf = static_cast<ot_loc_conf_t *>(c);
    ngx_str_t       name = static_cast<ngx_str_t *>(cf->args->elts)[1];
    u_char         *buf;
    size_t          size = 0, pos = 0;
    string_view     secret, *sv;
    const char     *err;

    if (conf->events.secrets != NGX_CONF_UNSET_PTR) {
        return const_cast<char *>("is duplicate");
    }

    buf = ot_read_secret_file(cf, cmd, &name, &size);
    if (buf == NULL) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    conf->events.secrets = ngx_array_create(cf->pool, 2,
                                            sizeof(string_view));
    if (conf->events.secrets == NULL) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    while (ot::next_secret_line(string_view((char *) buf, size), &pos,
                                &secret))
    {
        err = ot::check_secret(secret);
        if (err != NULL) {
            /* the value itself is never repeated: it is a secret */
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" \"%s\": %s",
                               &cmd->name, name.data, err);
            return static_cast<char *>(NGX_CONF_ERROR);
        }

        if (secret.size() < ot::secret_min_length) {
            ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                               "\"%V\": a value shorter than 16 characters "
                               "is easy to guess", &cmd->name);
        }

        sv = static_cast<string_view *>(ngx_array_push(conf->events.secrets));
        if (sv == NULL) {
            return static_cast<char *>(NGX_CONF_ERROR);
        }

        *sv = secret;
    }

    if (conf->events.secrets->nelts == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" \"%s\" contains no Authorization value",
                           &cmd->name, name.data);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    return NGX_CONF_OK;
}

}  // namespace


void
ot_events_create_conf(ot_events_conf_t *ev)
{
    ev->enable = NGX_CONF_UNSET;
    ev->secrets = static_cast<ngx_array_t *>(NGX_CONF_UNSET_PTR);
}


/* The secret file is inherited; the endpoint is not. Fail closed: an
   endpoint without a secret fails "nginx -t". conf's hook switch is
   merged already. */
char *
ot_events_merge_conf(ngx_conf_t *cf, ot_loc_conf_t *conf,
    ot_loc_conf_t *prev)
{
    ot_events_conf_t  *ev = &conf->events;
    const char        *why;

    ngx_conf_merge_ptr_value(ev->secrets, prev->events.secrets, NULL);

    if (ev->enable == NGX_CONF_UNSET) {
        ev->enable = 0;
    }

    if (!ev->enable) {
        return NGX_CONF_OK;
    }

    if (conf->enable == 1) {
        why = "cannot share a location with \"okta_telephony\"";

    } else if (ev->secrets == NULL) {
        why = "has no \"okta_telephony_8x8_events_secret_file\"";

    } else {
        return NGX_CONF_OK;
    }

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "\"okta_telephony_8x8_events\" in %s:%ui %s",
                  ev->file, ev->line, why);

    return static_cast<char *>(NGX_CONF_ERROR);
}


ngx_command_t  ot_events_commands[] = {

    { ngx_string("okta_telephony_8x8_events"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ot_set_events,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("okta_telephony_8x8_events_secret_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ot_set_events_secret_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    ngx_null_command
};

}  // namespace ngx_okta_telephony
