/*
 * The abuse controls on a hook's path, in abuse.hpp's order: the number
 * read and classified (once, outside any lock), then after validation
 * the dedupe record, the number rules, the channel's breaker and the
 * limits; after the answer the dedupe record is filled, and a sent
 * hook's outcome is reported to the breaker. The decisions are the
 * core's; this file finds the state in the zones and holds their locks.
 */

#include "ngx_http_okta_telephony.h"


namespace ngx_okta_telephony {

namespace {

constexpr ngx_uint_t  ot_max_limits = OT_MAX_LIMITS;


inline ot_zone_t *
ot_zone(ngx_shm_zone_t *shm_zone)
{
    return static_cast<ot_zone_t *>(shm_zone->data);
}


inline uint64_t
ot_now()
{
    return (uint64_t) ngx_current_msec;
}


/* The dedupe record's key: "e:" and the (validated) eventId. */
string_view
ot_dedupe_key(ot_ctx_t *ctx, char *buf)
{
    size_t  n = ngx_strlen(ctx->event_id);

    buf[0] = 'e';
    buf[1] = ':';
    ngx_memcpy(buf + 2, ctx->event_id, n);

    return string_view(buf, n + 2);
}


/* $okta_telephony_block: prefix and rule, a copy in the request pool
   (only a blocked or dry-run hook pays for it) */
void
ot_set_block(ot_ctx_t *ctx, string_view prefix, string_view rule)
{
    size_t  n = prefix.size() + rule.size();
    char   *p = static_cast<char *>(ngx_pnalloc(ctx->request->pool, n + 1));

    if (p == NULL) {
        return;
    }

    ngx_memcpy(p, prefix.data(), prefix.size());
    ngx_memcpy(p + prefix.size(), rule.data(), rule.size());
    p[n] = '\0';
    ctx->block = p;
}


/* A block: not sent; Okta's answer names the rule. */
ngx_int_t
ot_block(ot_ctx_t *ctx, string_view rule)
{
    ot::BlockedAnswer  b;

    ot_set_block(ctx, "", rule);
    ot_count_blocked(ctx, rule);

    ot::blocked_answer(rule,
                       static_cast<ot::Status>(ctx->conf->abuse.blocked_status),
                       &b);

    return ot_answer(ctx, ot::Outcome::blocked, b.status, 0,
                     b.transaction_id, b.detail, b.meta);
}


/* Step 1: a replayed eventId gets its answer again; a new one is claimed. */
ngx_int_t
ot_dedupe(ot_ctx_t *ctx)
{
    ot_abuse_conf_t  *a = &ctx->conf->abuse;
    ot_zone_t        *z = ot_zone(a->dedupe_zone);
    char              key[2 + 129], tx[129], meta[161];
    ot_entry_t       *e;
    ot::DedupeCheck   check = ot::DedupeCheck::fresh;
    ot::Status        s = ot::Status::failed;
    uint64_t          now = ot_now();
    string_view       v;
    size_t            txn = 0, metan = 0;

    ot_zone_lock(z);

    e = ot_zone_entry(z, ot_dedupe_key(ctx, key), sizeof(ot::DedupeRecord),
                      true, now);
    if (e != NULL) {
        check = ot::dedupe_check(e->payload.dedupe, now, a->dedupe_time,
                                 ctx->conf->timeout);

        if (check == ot::DedupeCheck::fresh) {
            ot::dedupe_claim(&e->payload.dedupe, now);
            e->expire_ms = now + ngx_max(a->dedupe_time, ctx->conf->timeout);
            ctx->dedupe_claimed = 1;

        } else if (check == ot::DedupeCheck::replay) {
            s = ot::dedupe_status(e->payload.dedupe);
            v = ot::dedupe_tx(e->payload.dedupe);
            txn = ngx_min(v.size(), sizeof(tx) - 1);
            ngx_memcpy(tx, v.data(), txn);
            v = ot::dedupe_meta(e->payload.dedupe);
            metan = ngx_min(v.size(), sizeof(meta) - 1);
            ngx_memcpy(meta, v.data(), metan);
        }
    }

    ot_zone_unlock(z, ctx->request->connection->log);

    if (check == ot::DedupeCheck::replay) {
        return ot_answer(ctx, ot::Outcome::replayed, s, 0,
                         string_view(tx, txn), "dedupe",
                         string_view(meta, metan));
    }

    if (check == ot::DedupeCheck::in_flight) {
        return ot_block(ctx, "duplicate eventId in flight");
    }

    return NGX_DECLINED;
}


/* Step 3: the channel's breaker; the one probe is marked. */
ngx_int_t
ot_breaker(ot_ctx_t *ctx)
{
    ot_abuse_conf_t  *a = &ctx->conf->abuse;
    ot_zone_t        *z = ot_zone(a->breaker_zone);
    ot::Admit         admit;

    ot_zone_lock(z);
    admit = ot::breaker_admit(&z->sh->breaker[(int) ctx->channel],
                              a->breaker, ot_now());
    ot_zone_unlock(z, ctx->request->connection->log);

    if (admit == ot::Admit::blocked) {
        return ot_block(ctx, ot::breaker_rule_text(ctx->channel));
    }

    ctx->breaker_probe = (admit == ot::Admit::probe);

    return NGX_DECLINED;
}


/* Step 4, locked: each limit's window, then all or nothing. */
void
ot_take_limits(ot_ctx_t *ctx, const ot::LimitZoneKey *keys,
    const bool *have, ot::LimitResult *res)
{
    ot_abuse_conf_t   *a = &ctx->conf->abuse;
    ot_limit_t        *l = static_cast<ot_limit_t *>(a->limits->elts);
    ot::LimitCheck     checks[ot_max_limits];
    ot_entry_t        *e[ot_max_limits];
    ngx_uint_t         i, n = ngx_min(a->limits->nelts, ot_max_limits);
    uint64_t           now = ot_now();

    for (i = 0; i < a->nlimit_zones; i++) {
        ot_zone_lock(ot_zone(a->limit_zones[i]));
    }

    for (i = 0; i < n; i++) {
        e[i] = have[i] ? ot_zone_entry(ot_zone(l[i].zone), keys[i].view(),
                                       sizeof(ot::WindowState), true, now)
                       : NULL;
        checks[i].rule = &l[i].rule;
        checks[i].state = e[i] ? &e[i]->payload.window : NULL;
    }

    ot::limits_take(checks, n, now, res);

    for (i = 0; i < n; i++) {
        if (e[i] && res->blocked < 0) {
            e[i]->expire_ms = now + ot::window_idle_ms(l[i].rule.rate);
        }
    }

    for (i = a->nlimit_zones; i-- > 0; /* void */) {
        ot_zone_unlock(ot_zone(a->limit_zones[i]),
                       ctx->request->connection->log);
    }
}


/* Step 4: the limits; a dry run is logged and goes on. */
ngx_int_t
ot_limits(ot_ctx_t *ctx, const ot::Hook &hook, const ot_number_t &num)
{
    ot_abuse_conf_t   *a = &ctx->conf->abuse;
    ot_limit_t        *l = static_cast<ot_limit_t *>(a->limits->elts);
    ot::LimitZoneKey   keys[ot_max_limits];
    bool               have[ot_max_limits];
    ot::LimitResult    res;
    ngx_uint_t         i, n = ngx_min(a->limits->nelts, ot_max_limits);

    for (i = 0; i < n; i++) {
        have[i] = ot::limit_zone_key(l[i].rule, hook.e164.view(),
                                     num.info.region, &keys[i]);
    }

    ot_take_limits(ctx, keys, have, &res);

    if (res.blocked >= 0) {
        if (ctx->breaker_probe) {
            ot_zone_t  *z = ot_zone(a->breaker_zone);

            ot_zone_lock(z);
            ot::breaker_release(&z->sh->breaker[(int) ctx->channel],
                                ot_now());
            ot_zone_unlock(z, ctx->request->connection->log);
            ctx->breaker_probe = 0;
        }

        return ot_block(ctx, res.text.view());
    }

    if (res.dry_run >= 0) {
        ot_set_block(ctx, "dry_run: ", res.text.view());
        ngx_log_error(NGX_LOG_NOTICE, ctx->request->connection->log, 0,
                      "okta telephony: dry run: \"%s\" would have blocked "
                      "event=%s", res.text.data, ctx->event_id);
    }

    return NGX_DECLINED;
}


/* A probe that was not sent frees the breaker for the next hook. */
void
ot_release_unsent_probe(ot_ctx_t *ctx)
{
    ot_zone_t  *z;

    if (!ctx->breaker_probe || ctx->breaker_armed) {
        return;
    }

    z = ot_zone(ctx->conf->abuse.breaker_zone);
    ctx->breaker_probe = 0;

    ot_zone_lock(z);
    ot::breaker_release(&z->sh->breaker[(int) ctx->channel], ot_now());
    ot_zone_unlock(z, ctx->request->connection->log);
}

}  // namespace


/* The worker's classified destinations (number.hpp): zero-filled, one per
   process, untouched (and so not resident) where no rule classifies */
static ot::NumberCache  ot_numbers;


ot::NumberError
ot_classify(string_view phone, string_view region, ot::NumberInfo *info)
{
    return ot::classify_number_cached(&ot_numbers, phone, region, info);
}


/*
 * Before validation: a number without '+' is read in the default region
 * (libphonenumber understands "00" and "011" there), and the destination
 * is classified when a rule needs it, once per hook; its E.164 replaces
 * the raw number. Answers Okta's field error for a number it cannot read.
 */
ngx_int_t
ot_abuse_number(ot_ctx_t *ctx, ot::RawHook *raw, ot_number_t *num)
{
    ot_abuse_conf_t  *a = &ctx->conf->abuse;
    string_view       phone = raw->phone_number.view();
    string_view       region = ot_sv(a->default_region);
    bool              national = !phone.empty() && phone[0] != '+';
    ot::FieldError    ferr;
    ot::FixedStr<16>  e164;

    num->classified = false;
    num->err = ot::NumberError::none;

    if (phone.empty() || (national && region.empty())) {
        return NGX_DECLINED;        /* validate() says what is wrong */
    }

    if (a->need_info) {
        num->err = ot_classify(phone, region, &num->info);
        num->classified = true;
        e164 = num->info.e164;

    } else if (national) {
        num->err = ot::number_e164(phone, region, &e164);

    } else {
        return NGX_DECLINED;
    }

    if (num->err == ot::NumberError::none) {
        raw->phone_number.assign(e164.data, e164.len);
        return NGX_DECLINED;
    }

    if (!national && !a->rules.strict) {
        return NGX_DECLINED;        /* loose: today's E.164 check decides */
    }

    ferr.field = ot::Field::phone_number;
    ferr.reason = ot::number_error_text(num->err);

    return ot_answer_error(ctx, ot::Outcome::invalid, NGX_HTTP_OK,
                           "The hook request is invalid", &ferr,
                           ot::field_path(ferr.field));
}


/* After validation: dedupe, number rules, breaker, limits; each either
   answers (NGX_DECLINED: go on and send). */
ngx_int_t
ot_abuse_check(ot_ctx_t *ctx, const ot::Hook &hook, const ot_number_t &num)
{
    ot_abuse_conf_t  *a = &ctx->conf->abuse;
    ngx_int_t         rc;
    ot::RuleText      text;
    const char       *reason = NULL;
    ot::FieldError    ferr;

    if (a->dedupe_zone) {
        rc = ot_dedupe(ctx);
        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    if (num.classified) {
        switch (ot::check_number(a->rules, hook.channel, num.err, num.info,
                                 &text, &reason))
        {
        case ot::Verdict::refuse:
            ferr.field = ot::Field::phone_number;
            ferr.reason = reason;
            return ot_answer_error(ctx, ot::Outcome::invalid, NGX_HTTP_OK,
                                   "The hook request is invalid", &ferr,
                                   ot::field_path(ferr.field));
        case ot::Verdict::block:
            return ot_block(ctx, text.view());
        case ot::Verdict::allow:
            break;
        }
    }

    if (a->breaker_zone) {
        rc = ot_breaker(ctx);
        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    if (a->limits) {
        return ot_limits(ctx, hook, num);
    }

    return NGX_DECLINED;
}


/* Okta's answer is out: the claimed eventId's record keeps it for a
   replay (keep), or is freed (an error answer: nothing to replay). */
void
ot_abuse_answered(ot_ctx_t *ctx, bool keep, ot::Status s, string_view txn,
    string_view meta, bool blocked)
{
    ot_zone_t   *z;
    ot_entry_t  *e;
    char         key[2 + 129];
    uint64_t     now = ot_now();

    ot_release_unsent_probe(ctx);

    if (!ctx->dedupe_claimed) {
        return;
    }

    ctx->dedupe_claimed = 0;
    z = ot_zone(ctx->conf->abuse.dedupe_zone);

    ot_zone_lock(z);

    e = ot_zone_entry(z, ot_dedupe_key(ctx, key), sizeof(ot::DedupeRecord),
                      false, now);
    if (e != NULL) {
        if (keep && ot::dedupe_fill(&e->payload.dedupe, s, txn, meta,
                                    blocked, now))
        {
            e->expire_ms = now + ctx->conf->abuse.dedupe_time;

        } else {
            ot_zone_remove(z, e);
        }
    }

    ot_zone_unlock(z, ctx->request->connection->log);
}


/* What 8x8 did with a sent hook, for the breaker: one report per hook. */
void
ot_abuse_sent(ot_ctx_t *ctx, bool failed)
{
    ot_abuse_conf_t   *a = &ctx->conf->abuse;
    ot_zone_t         *z;
    ot::BreakerEvent   ev;
    static const char *const  says[] = {
        NULL, "opened", "closed", "opened again"
    };

    if (!ctx->breaker_armed) {
        return;
    }

    ctx->breaker_armed = 0;
    z = ot_zone(a->breaker_zone);

    ot_zone_lock(z);
    ev = ot::breaker_report(&z->sh->breaker[(int) ctx->channel], a->breaker,
                            ctx->breaker_probe, failed, ot_now());
    ot_zone_unlock(z, ctx->request->connection->log);
    ctx->breaker_probe = 0;
    ot_count_breaker(ctx, ev);

    if (ev != ot::BreakerEvent::none) {
        ngx_log_t   *log = ctx->request->connection->log;
        char        *action = log->action;
        ngx_uint_t   level = (ev == ot::BreakerEvent::closed) ? NGX_LOG_NOTICE
                                                              : NGX_LOG_WARN;

        log->action = NULL;
        ngx_log_error(level, log, 0, "okta telephony: 8x8 %s breaker %s",
                      ot::channel_name(ctx->channel), says[(int) ev]);
        log->action = action;
    }
}

}  // namespace ngx_okta_telephony
