/*
 * Outcome names and the judgement of 8x8's reply.
 */

#include <cstdio>

#include "outcome.hpp"

namespace oktatel {

namespace {

/* indexed by Outcome; matches the README's list */
const char *const outcome_names[] = {
    "SUCCESSFUL", "PENDING", "FAILED", "invalid", "bad-request",
    "rejected", "preview", "async-accepted", "async-delivered",
    "async-failed", "async-timeout", "blocked", "replayed",
};

static_assert(sizeof(outcome_names) / sizeof(outcome_names[0])
              == static_cast<std::size_t>(Outcome::count_),
              "one name per outcome");

}  // namespace

const char *outcome_name(Outcome o)
{
    auto i = static_cast<std::size_t>(o);
    return i < static_cast<std::size_t>(Outcome::count_) ? outcome_names[i]
                                                         : "FAILED";
}

Outcome outcome_of(Status s)
{
    switch (s) {
    case Status::successful: return Outcome::successful;
    case Status::pending:    return Outcome::pending;
    case Status::failed:     break;
    }
    return Outcome::failed;
}

void judge_reply(Channel ch, const Capture &c, const yajl_alloc_funcs *af,
                 Judgement *j)
{
    const char *name = channel_name(ch);

    j->reply = ProviderReply{};
    j->word = nullptr;
    j->code_detail = false;
    j->meta[0] = '\0';

    if (!c.answered && !c.redirected) {
        /* no reply at all: connection refused, no live upstream, ... */
        j->status = Status::failed;
        j->http_status = c.status >= 300 ? c.status : 502;
        j->word = "unreachable";
        std::snprintf(j->meta, sizeof(j->meta),
                      "8x8 %s unreachable (HTTP %d from nginx)", name,
                      j->http_status);
        return;
    }

    j->http_status = c.status;

    if (c.redirected) {
        /* 8x8 (or the location) tried to steer nginx: its reply is not
           judged, and nothing more was sent */
        j->status = Status::failed;
        j->word = "redirected";
        std::snprintf(j->meta, sizeof(j->meta),
                      "8x8 %s reply redirected inside nginx: refused", name);
        return;
    }

    if (c.overflow) {
        j->status = Status::failed;
        j->word = "reply-too-large";
        std::snprintf(j->meta, sizeof(j->meta),
                      "8x8 %s HTTP %d: reply larger than "
                      "okta_telephony_reply_buffer_size", name, c.status);
        return;
    }

    j->reply = (ch == Channel::voice)
               ? parse_voice_reply(c.status, c.body, c.len, af)
               : parse_sms_reply(c.status, c.body, c.len, af);

    j->status = decide(ch, c.status, j->reply, j->meta, sizeof(j->meta));

    if (j->status == Status::successful) {
        j->meta[0] = '\0';
        return;
    }

    if (!j->reply.code.empty()) {
        j->code_detail = true;
    } else {
        j->word = j->reply.json ? "not-accepted" : "not-8x8-json";
    }
}

std::uint64_t send_budget(std::uint64_t timeout_ms, std::int64_t elapsed_ms)
{
    std::uint64_t floor = timeout_ms / 4 < min_send_ms ? timeout_ms / 4
                                                        : min_send_ms;
    if (elapsed_ms < 0) {
        elapsed_ms = 0;
    }
    auto elapsed = static_cast<std::uint64_t>(elapsed_ms);
    if (elapsed >= timeout_ms || timeout_ms - elapsed < floor
        || timeout_ms - elapsed == 0) {
        return 0;
    }
    return timeout_ms - elapsed;
}

void timeout_text(Channel ch, std::uint64_t ms, char *out, std::size_t cap)
{
    if (cap == 0) {
        return;
    }
    std::snprintf(out, cap, "8x8 %s did not answer within %llu ms",
                  channel_name(ch), static_cast<unsigned long long>(ms));
}

const char *http_error_summary(int status)
{
    switch (status) {
    case 400: return "bad request";
    case 401: return "authentication required";
    case 403: return "forbidden";
    case 404: return "not found";
    case 405: return "only POST is allowed";
    case 408: return "request timed out";
    case 411: return "length required";
    case 413: return "request body is too large";
    case 414: return "request URI is too long";
    case 415: return "unsupported media type";
    case 429: return "too many requests";
    case 431:
    case 494: return "request headers are too large";
    case 500: return "internal error";
    case 501: return "not implemented";
    case 502:
    case 503:
    case 504: return "service unavailable";
    case 505: return "HTTP version not supported";
    default:  break;
    }
    return status >= 500 ? "internal error" : "request refused";
}

const char *not_configured_text(Channel ch)
{
    return ch == Channel::voice ? "voice delivery is not configured"
                                : "SMS delivery is not configured";
}

void blocked_answer(std::string_view rule, Status blocked_status,
                    BlockedAnswer *out)
{
    int n = static_cast<int>(rule.size() > 47 ? 47 : rule.size());

    out->status = blocked_status == Status::successful ? Status::successful
                                                       : Status::failed;
    out->transaction_id = out->status == Status::successful ? "blocked" : "";
    std::snprintf(out->meta, sizeof(out->meta), "blocked: %.*s", n,
                  rule.data());
    std::snprintf(out->detail, sizeof(out->detail), "\"%.*s\"", n,
                  rule.data());
}

}  // namespace oktatel
