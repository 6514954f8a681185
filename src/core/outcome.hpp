/*
 * What happened to a hook, in words the log, the variables and Okta's
 * answer share: the outcome names, and the judgement of 8x8's reply (the
 * status for Okta, the HTTP status and detail word for the log, the
 * transactionMetadata text).
 *
 * Pure C++17, no nginx header; the glue only fills a Capture with what
 * nginx saw of the 8x8 request and sends what the Judgement says.
 */

#ifndef OKTA_TELEPHONY_CORE_OUTCOME_HPP
#define OKTA_TELEPHONY_CORE_OUTCOME_HPP

#include <cstddef>
#include <cstdint>

#include "telephony.hpp"

namespace oktatel {

/*
 * A hook's outcome: outcome= in the log line and $okta_telephony_outcome.
 * The first three are Okta's statuses as answered; the others say why no
 * status was answered, or (async mode) what 8x8 did after the answer.
 */
enum class Outcome : std::uint8_t {
    successful,         /* "SUCCESSFUL" */
    pending,            /* "PENDING" */
    failed,             /* "FAILED" */
    invalid,            /* "invalid": a field failed validation */
    bad_request,        /* "bad-request": not the hook's JSON */
    rejected,           /* "rejected": body too large */
    preview,            /* "preview": Admin Console preview, not sent */
    async_accepted,     /* "async-accepted": answered, 8x8 asked */
    async_delivered,    /* "async-delivered": then 8x8 accepted */
    async_failed,       /* "async-failed": then 8x8 refused or failed */
    async_timeout,      /* "async-timeout": then 8x8 did not answer */
    blocked,            /* "blocked": an abuse rule stopped it, not sent */
    replayed,           /* "replayed": an eventId already answered got
                           the same answer again, not sent */
    count_
};

/* The fixed names above; safe to log. */
const char *outcome_name(Outcome o);

/* The outcome of answering Okta with s. */
Outcome outcome_of(Status s);

/* What nginx saw of the 8x8 request. */
struct Capture {
    bool         answered;   /* 8x8 sent a status line */
    bool         overflow;   /* the reply was larger than the buffer */
    bool         redirected; /* nginx was made to redirect the request
                                internally (X-Accel-Redirect, error_page,
                                try_files, rewrite ... last): refused */
    int          status;     /* 8x8's HTTP status; nginx's own (502,
                                504, ...) or 0 when 8x8 did not answer */
    const char  *body;       /* the captured reply; may be null */
    std::size_t  len;
};

/* What 8x8's reply means for Okta and for the log. */
struct Judgement {
    Status         status;
    int            http_status;   /* to log: 8x8's, else nginx's */
    ProviderReply  reply;         /* parsed when 8x8 answered in full */
    const char    *word;          /* the log's detail= unless it is 8x8's
                                     code: unreachable, reply-too-large,
                                     not-accepted, not-8x8-json,
                                     redirected; null otherwise */
    bool           code_detail;   /* detail= is 8x8's code (reply.code) */
    char           meta[300];     /* transactionMetadata unless successful;
                                     NUL-terminated, valid UTF-8 */

    /* The log's detail=: null when successful. Safe across copies. */
    const char *detail() const { return code_detail ? reply.code.data : word; }
};

/* Judges a captured reply; af: yajl's allocator for the reply parser. */
void judge_reply(Channel ch, const Capture &c, const yajl_alloc_funcs *af,
                 Judgement *j);

/*
 * How long the 8x8 request may take: what is left of timeout_ms once
 * elapsed_ms have passed since Okta's first byte, or 0 when that is too
 * little to hear back from 8x8 in time (under a quarter of the timeout,
 * at most min_send_ms): the hook is then answered FAILED, not sent.
 */
constexpr std::uint64_t min_send_ms = 150;
std::uint64_t send_budget(std::uint64_t timeout_ms, std::int64_t elapsed_ms);

/* "8x8 voice did not answer within 2000 ms", bounded by cap. */
void timeout_text(Channel ch, std::uint64_t ms, char *out, std::size_t cap);

/* errorSummary for an error nginx itself answered on the hook's server
   (bad framing, body or headers too large, ...): "bad request" etc. */
const char *http_error_summary(int status);

/* "voice delivery is not configured" / "SMS delivery is not configured" */
const char *not_configured_text(Channel ch);

/*
 * Okta's answer for a hook an abuse rule blocked (rule: the core's fixed
 * text, "limit number 3/10m"): FAILED with transactionMetadata "blocked:
 * <rule>" so that Okta's fallback takes over, or, with
 * okta_telephony_blocked_status SUCCESSFUL, SUCCESSFUL with
 * transactionId "blocked" (a pumping attack gets no fallback). detail is
 * the log's detail=, the rule in quotes.
 */
struct BlockedAnswer {
    Status       status;
    const char  *transaction_id;    /* "" or "blocked" */
    char         meta[64];
    char         detail[56];
};

void blocked_answer(std::string_view rule, Status blocked_status,
                    BlockedAnswer *out);

}  // namespace oktatel

#endif
