/*
 * The module's metrics: the fixed label sets, the counter block that
 * sits in an okta_telephony_zone, the histogram's buckets, and the
 * rendering of a snapshot as Prometheus text (exposition format 0.0.4)
 * and as JSON with the same numbers.
 *
 * Every label value comes from a fixed set below (or, for the zone
 * entries, from a zone name in nginx.conf): never a number, an id or a
 * region from a request. Every series of the fixed sets is rendered,
 * zeros included, so a rate() sees the first event.
 *
 * The block is plain data (trivially copyable, no pointer) of 64-bit
 * counters: the glue adds to them with atomic adds, without a lock, and
 * renders a copy taken with atomic loads. Counting is a few adds per hook;
 * rendering (off the hot path) is the only thing that formats text.
 *
 * Pure C++17, no nginx header.
 */

#ifndef OKTA_TELEPHONY_CORE_METRICS_HPP
#define OKTA_TELEPHONY_CORE_METRICS_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "outcome.hpp"
#include "telephony.hpp"

namespace oktatel {
namespace metrics {

/* ------------------------------------------------------- label sets -- */

/* okta_telephony_hooks_total{channel}: "other" until the hook's channel
   is known (a body that does not parse, a refused method). */
enum class HookChannel : std::uint8_t { voice, sms, other, count_ };

const char *hook_channel_name(HookChannel c);      /* "voice", ... */

inline HookChannel hook_channel(Channel c, bool known)
{
    return !known ? HookChannel::other
           : c == Channel::voice ? HookChannel::voice : HookChannel::sms;
}

/* okta_telephony_hooks_total{outcome}: every Outcome (outcome_name()),
   then the requests refused before a hook was read. Not counted here:
   requests refused for authentication (okta_telephony_auth_failures). */
enum class Refused : std::uint8_t {
    method_not_allowed,     /* "method-not-allowed": not a POST */
    count_
};

constexpr std::size_t n_outcomes = static_cast<std::size_t>(Outcome::count_)
                                   + static_cast<std::size_t>(Refused::count_);

inline std::size_t outcome_index(Outcome o)
{
    return static_cast<std::size_t>(o);
}

inline std::size_t outcome_index(Refused r)
{
    return static_cast<std::size_t>(Outcome::count_)
           + static_cast<std::size_t>(r);
}

const char *outcome_label(std::size_t i);       /* "SUCCESSFUL", ... */

/* okta_telephony_blocked_total{rule}: the kind of abuse rule, never its
   arguments (no rate, no region). */
enum class BlockedRule : std::uint8_t {
    limit_number,           /* "limit_number" */
    limit_prefix,           /* "limit_prefix" */
    limit_region,           /* "limit_region" */
    limit_all,              /* "limit_all" */
    region,                 /* "region": okta_telephony_regions */
    number_type,            /* "number_type" */
    sms_number_type,        /* "sms_number_type" */
    breaker,                /* "breaker": the channel's breaker is open */
    dedupe,                 /* "dedupe": the same eventId is in flight */
    other,                  /* "other": a rule text this list misses */
    count_
};

const char *blocked_rule_name(BlockedRule r);

/* The kind of the rule from its fixed text (RuleText, breaker_rule_text(),
   "duplicate eventId in flight"): "limit number 3/10m" -> limit_number. */
BlockedRule blocked_rule_of(std::string_view rule_text);

/* okta_telephony_auth_failures_total{reason}. Room is left in the block
   for more reasons (the OAuth 2.0 ones): add them before count_. */
enum class AuthFailure : std::uint8_t {
    missing,                /* "missing": no secret header */
    repeated,               /* "repeated": the header sent twice */
    wrong_secret,           /* "wrong_secret": no configured secret matches */
    token,                  /* "token": the OAuth 2.0 bearer token refused */
    count_
};

constexpr std::size_t auth_failure_slots = 16;
static_assert(static_cast<std::size_t>(AuthFailure::count_)
              <= auth_failure_slots, "room for the auth failure reasons");

const char *auth_failure_name(AuthFailure a);

/* okta_telephony_8x8_responses_total{channel,code,status}: the HTTP
   status class of 8x8's reply ("none": 8x8 sent no status line) and what
   the module made of it. */
enum class CodeClass : std::uint8_t { c2xx, c3xx, c4xx, c5xx, none, count_ };

const char *code_class_name(CodeClass c);       /* "2xx", ..., "none" */

enum class ReplyStatus : std::uint8_t {
    accepted,               /* "accepted": CREATED / QUEUED */
    refused,                /* "refused": 8x8's JSON, not accepted */
    not_8x8_json,           /* "not_8x8_json" */
    reply_too_large,        /* "reply_too_large" */
    redirected,             /* "redirected": refused inside nginx */
    unreachable,            /* "unreachable": no reply from 8x8 */
    timeout,                /* "timeout": okta_telephony_timeout passed */
    count_
};

const char *reply_status_name(ReplyStatus s);

/* The labels of a judged reply (judge_reply()'s input and output). */
void classify_reply(const Capture &c, const Judgement &j, CodeClass *code,
                    ReplyStatus *status);

/* okta_telephony_deliveries_total{channel,state}: 8x8's delivery
   receipts. The fixed set is counted once receipts are read. */
enum class DeliveryState : std::uint8_t {
    delivered, undelivered, rejected, expired, unknown, count_
};

const char *delivery_state_name(DeliveryState s);

/* okta_telephony_8x8_duration_seconds: from the 8x8 request's start to
   its end, in ms. Buckets (upper bounds, ms) from 25 ms to 3 s, Okta's
   whole wait; the last slot is +Inf. */
constexpr std::uint32_t bucket_ms[] = {
    25, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000
};
constexpr std::size_t n_buckets = sizeof(bucket_ms) / sizeof(bucket_ms[0])
                                  + 1;

/* The slot of a duration: the first bucket that holds it (le). */
inline std::size_t bucket_of(std::uint64_t ms)
{
    std::size_t i = 0;
    while (i < n_buckets - 1 && ms > bucket_ms[i]) {
        i++;
    }
    return i;
}


/* ------------------------------------------------------------ block -- */

constexpr std::size_t n_hook_channels =
    static_cast<std::size_t>(HookChannel::count_);
constexpr std::size_t n_channels = 2;           /* by Channel */
constexpr std::size_t n_rules = static_cast<std::size_t>(BlockedRule::count_);
constexpr std::size_t n_codes = static_cast<std::size_t>(CodeClass::count_);
constexpr std::size_t n_reply_statuses =
    static_cast<std::size_t>(ReplyStatus::count_);
constexpr std::size_t n_delivery_states =
    static_cast<std::size_t>(DeliveryState::count_);

/*
 * The counters of one zone. Channel-indexed arrays use Channel's values
 * (sms 0, voice 1). duration[][] counts per bucket (not cumulated): the
 * renderer cumulates, and the histogram's _count is the sum, so the two
 * always agree. breaker_open is a gauge (0 or 1).
 */
struct Block {
    std::uint64_t  layout;          /* block_layout(): another build's
                                       block is not reused */
    std::uint64_t  hooks[n_hook_channels][n_outcomes];
    std::uint64_t  blocked[n_rules];
    std::uint64_t  auth_failures[auth_failure_slots];
    std::uint64_t  responses[n_channels][n_codes][n_reply_statuses];
    std::uint64_t  duration[n_channels][n_buckets];
    std::uint64_t  duration_sum_ms[n_channels];
    std::uint64_t  breaker_open[n_channels];
    std::uint64_t  deliveries[n_channels][n_delivery_states];
    std::uint64_t  last_reply[n_channels];      /* LastReply */
    std::uint64_t  last_reply_at[n_channels];   /* Unix seconds; 0: none */
};

static_assert(std::is_trivially_copyable<Block>::value
              && std::is_standard_layout<Block>::value,
              "shared-memory plain data");
static_assert(sizeof(Block) % sizeof(std::uint64_t) == 0,
              "an array of 64-bit counters");
static_assert(sizeof(Block) <= 2048, "one slab chunk, half a page");

constexpr std::uint64_t block_layout()
{
    return (std::uint64_t{0x6f74'6d01} << 32) | sizeof(Block);
}

/* A zeroed block with its layout set. */
void block_init(Block *b);


/* ----------------------------------------------------------- health -- */

/* A channel's last 8x8 reply, for okta_telephony_health: failed is what
   the breaker counts (no reply, a timeout, a 5xx), not 8x8 refusing one
   number. */
enum class LastReply : std::uint64_t { none, ok, failed };

/* A channel is down while its breaker is open or its last 8x8 reply
   failed, for window seconds after that reply: an instance that gets no
   hooks is not kept out of a load balancer's pool for good. */
struct ChannelHealth {
    bool           down;
    bool           breaker_open;
    LastReply      last;
    std::int64_t   age;        /* seconds since the last reply; -1: none */
};

struct Health {
    bool           up;         /* no channel is down */
    ChannelHealth  channel[n_channels];
};

Health health_of(const Block &b, std::int64_t now, std::int64_t window);

/* {"status":"up"|"down","sms":{"state":...,"breaker":"open"|"closed",
   "last_8x8":"none"|"ok"|"failed","last_8x8_age":N},"voice":{...}};
   false: the generator failed (allocation). */
bool render_health(const Health &h, const yajl_alloc_funcs *af, Sink out);


/* --------------------------------------------------------- snapshot -- */

/* An okta_telephony_zone's own figures: okta_telephony_zone_entries and
   okta_telephony_zone_evictions_total{zone}. */
struct ZoneStat {
    std::string_view  name;     /* from nginx.conf */
    std::uint64_t     entries;
    std::uint64_t     evictions;
    /* okta_telephony_jwks_*{zone}: the keys fetched into the zone
       (okta_telephony_jwks_zone), shown only when jwks_documents > 0 */
    std::uint64_t     jwks_documents = 0;
    std::uint64_t     jwks_keys = 0;    /* usable keys, all documents */
    std::int64_t      jwks_age = 0;     /* seconds since the oldest
                                           document was fetched */
    std::uint64_t     jwks_fetches = 0;
    std::uint64_t     jwks_failures = 0;
};

/* What one scrape shows: a copy of a block and every zone's figures. */
struct Snapshot {
    const Block     *block;
    const ZoneStat  *zones;
    std::size_t      nzones;
};

/* "text/plain; version=0.0.4" */
constexpr const char *text_content_type = "text/plain; version=0.0.4";

/* Prometheus text: # HELP and # TYPE, then one line per series. */
void render_text(const Snapshot &s, Sink out);

/* The same numbers as JSON: {"<metric>":[{<labels>,"value":N},...],...};
   a histogram's entries are {<labels>,"buckets":{"0.025":N,...,"+Inf":N},
   "sum":S,"count":N}. false: the generator failed (allocation). */
bool render_json(const Snapshot &s, const yajl_alloc_funcs *af, Sink out);

}  // namespace metrics
}  // namespace oktatel

#endif
