/*
 * Toll-fraud and abuse controls as pure functions: rule parsing, the
 * number rules' decision, sliding-window limits, the per-channel circuit
 * breaker and the eventId dedupe record.
 *
 * Every state type here is plain data of fixed size (trivially copyable,
 * no pointer): it is meant to sit in an nginx shared-memory zone and be
 * read and written under the zone's lock. Every function taking a state
 * is pure over (state, configuration, now_ms) and does not allocate, lock,
 * log or call libphonenumber, so it may run inside the locked section.
 *
 * now_ms is a monotonic clock in milliseconds shared by all workers
 * (nginx's ngx_current_msec). Workers' cached clocks may differ by a few
 * ms: a timestamp older than the state's newest one is tolerated and
 * treated conservatively (as if it were the newest).
 *
 * Per hook, the glue does, in this order (the first that blocks answers):
 *   1. dedupe_check() on the eventId's record (replay: same answer).
 *   2. if number_rules_need_info(): classify_number() (outside any lock),
 *      then check_number(): a refusal (strict) or a block by region/type.
 *   3. breaker_admit() for the hook's channel.
 *   4. limits_take() over all the location's limits, in one locked
 *      section: either every limit counts the hook, or none does. If it
 *      blocks and step 3 admitted a probe, breaker_release().
 *   5. send; breaker_report() with the outcome (breaker_failure());
 *      dedupe_fill() with the answer.
 * So a hook is counted by the limits only when it is sent, and a breaker
 * probe is never spent on a hook that is not sent. With limits in several
 * zones, lock them in one fixed order (or take each zone in turn and
 * accept that a race can count a hook in one zone and not another).
 *
 * Sizing a zone (x86-64, ngx_slab rounds a chunk up to a power of 2):
 * the glue's entry header is 72 bytes (rbtree node 40, LRU link 16,
 * expiry 8, key offset and length 8), then
 *   limit:  a WindowState (64) and the zone key (up to 47 bytes,
 *           "n3/600000:+6598765432" is 21): 256-byte chunks, about 40,000
 *           in 10m;
 *   dedupe: a DedupeRecord (176) and "e:" and the eventId (Okta's are 22
 *           bytes): 512-byte chunks, about 20,000 in 10m;
 *   breaker: one BreakerState (16) per channel.
 */

#ifndef OKTA_TELEPHONY_CORE_ABUSE_HPP
#define OKTA_TELEPHONY_CORE_ABUSE_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "number.hpp"
#include "telephony.hpp"

namespace oktatel {

/* A rule's fixed, loggable text: "region JM", "limit number 3/10m",
   "number type premium_rate", "8x8 voice breaker open". Never holds a
   number. Okta's transactionMetadata is "blocked: " and this. */
using RuleText = FixedStr<47>;


/* -------------------------------------------------------------- rates -- */

struct Rate {
    std::uint32_t  n;           /* 1 .. rate_max_n */
    std::uint64_t  period_ms;   /* rate_min_period_ms .. rate_max_period_ms */
    FixedStr<23>   text;        /* canonical: "3/10m" */
};

constexpr std::uint32_t rate_max_n = 1000000;
constexpr std::uint64_t rate_min_period_ms = 1000;
constexpr std::uint64_t rate_max_period_ms = 7 * 24 * 3600 * 1000ull;

/* "3/10m", "20/1h", "1000/1d", "5/30s": N/PERIOD, PERIOD digits then
   s, m, h or d. false: *err is a fixed text for nginx -t, such as
   "N must be a number from 1 to 1000000". */
bool parse_rate(std::string_view s, Rate *out, const char **err);

/* "30s", "10m", "1h", "1d", 1s..7d (the same grammar as PERIOD). */
bool parse_period(std::string_view s, std::uint64_t *ms, const char **err);


/* ------------------------------------------------------------- limits -- */

enum class LimitKey : std::uint8_t {
    number,     /* the E.164 destination */
    prefix,     /* the destination without its last 4 digits */
    region,     /* the classified region: needs classify_number() */
    all         /* one counter for every hook */
};

const char *limit_key_name(LimitKey k);   /* "number", ... */

struct LimitRule {
    LimitKey   key;
    bool       dry_run;     /* counts and reports, never blocks */
    Rate       rate;
    RuleText   text;        /* "limit number 3/10m" */
};

/* One okta_telephony_limit directive, parsed; zone is a view into the
   argument (the glue looks the zone up by name). */
struct LimitSpec {
    std::string_view  zone;
    LimitRule         rule;
};

/*
 * The directive's arguments (after the name): zone=NAME key=K rate=R
 * [dry_run], any order. false: *err says why ("unknown key: use number,
 * prefix, region or all", "\"rate=\" is missing", ...) and *bad is the
 * index of the argument at fault (n when one is missing).
 */
bool parse_limit_args(const std::string_view *args, std::size_t n,
                      LimitSpec *out, const char **err, std::size_t *bad);

/* The limit's key in the zone: "<key><N>/<period_ms>:<value>", e.g.
   "n3/600000:+6598765432". The rate is part of it, so a rule with another
   rate (after a reload, or in another location) never reads this state;
   the same rule in two locations shares it. Holds the number: never log
   it. false: e164 is not '+' and 5..15 digits. */
using LimitZoneKey = FixedStr<47>;
bool limit_zone_key(const LimitRule &r, std::string_view e164,
                    const RegionCode &region, LimitZoneKey *out);


/* ------------------------------------------------------- number rules -- */

/* The regions of a list: a bit for AA..ZZ, and one for "001". */
struct RegionSet {
    std::uint64_t bits[11];
};

bool region_set_add(RegionSet *s, const RegionCode &r);   /* false: bad */
bool region_set_has(const RegionSet &s, const RegionCode &r);

enum class ListMode : std::uint8_t { none, allow, deny };

/* The number rules of one location; all zero: no rule. */
struct NumberRules {
    bool       strict;          /* okta_telephony_number_check strict */
    ListMode   regions_mode;
    RegionSet  regions;
    TypeSet    deny_types;      /* okta_telephony_number_types deny */
    TypeSet    sms_types;       /* okta_telephony_sms_number_types allow;
                                   0: every type */
};

/* "allow|deny CODE...": adds to out; false if the mode differs from one
   already set ("allow and deny cannot be mixed"), or a code is unknown
   (needs number_init()). */
bool parse_region_list(const std::string_view *args, std::size_t n,
                       NumberRules *out, const char **err, std::size_t *bad);

/* "deny TYPE..." (sms false) or "allow TYPE..." (sms true). */
bool parse_type_list(const std::string_view *args, std::size_t n, bool sms,
                     NumberRules *out, const char **err, std::size_t *bad);

/* Whether classify_number() must run for this hook: any number rule, or a
   limit keyed by region. */
bool number_rules_need_info(const NumberRules &r, const LimitRule *limits,
                            std::size_t nlimits);

enum class Verdict : std::uint8_t {
    allow,
    refuse,     /* strict and not valid: an Okta error, *reason says why */
    block       /* *text names the rule */
};

/*
 * Strict validity, then the region list, then the denied types, then the
 * SMS types. e is what classify_number() returned. On refuse, *reason is
 * number_error_text(e) or number_not_valid_text; on block, *text is
 * "region JM" ("region unknown" for ZZ), "number type premium_rate" or
 * "sms number type voip".
 */
Verdict check_number(const NumberRules &r, Channel ch, NumberError e,
                     const NumberInfo &info, RuleText *text,
                     const char **reason);


/* ------------------------------------------------------ sliding window -- */

/*
 * "At most N hooks per key in any PERIOD", one state per (rule, key):
 *
 * - N <= window_exact_max: exact. The state keeps the times of the last N
 *   counted hooks; a hook is allowed iff fewer than N were counted in
 *   (now - PERIOD, now]. A hook counted at t stops counting at t + PERIOD.
 * - N > window_exact_max: 13 counters of PERIOD/12 (rounded up to a ms)
 *   each. The whole oldest bucket counts, so the span looked at is
 *   between PERIOD and 13/12 PERIOD long: a hook is allowed if fewer than
 *   N were counted in the last PERIOD, refused if N or more were counted
 *   in the last 13/12 PERIOD, and may be refused in between. After a burst
 *   of N the key is free again at most PERIOD/12 late (1000/1d: 2 hours).
 *
 * Either way no (t - PERIOD, t] ever holds more than N counted hooks of
 * a rule that is not dry_run (monotonic now_ms). A dry_run rule counts
 * every hook it sees, so it reports what the rule would have done.
 */
struct WindowState {
    std::uint64_t  last_ms;     /* newest count; 0 and all zero: empty */
    std::uint32_t  slot[13];    /* exact: low 32 bits of each time (a
                                   ring); buckets: counts (a ring) */
    std::uint8_t   head;        /* exact: the oldest slot */
    std::uint8_t   count;       /* exact: slots in use */
    std::uint8_t   pad[2];
};

static_assert(sizeof(WindowState) == 64, "64 bytes per limit entry");
static_assert(std::is_trivially_copyable<WindowState>::value
              && std::is_standard_layout<WindowState>::value,
              "shared-memory plain data");

constexpr std::uint32_t window_exact_max = 13;

/* A zero state is empty; this is the same as memset 0. */
void window_init(WindowState *w);

/* Hooks counted in the span the rule looks at (see above); in exact mode
   at most N (only the last N are kept). */
std::uint32_t window_count(const WindowState &w, const Rate &r,
                           std::uint64_t now_ms);

/* Would one more hook stay within the rate? Reads only. */
bool window_allows(const WindowState &w, const Rate &r, std::uint64_t now_ms);

/* Counts one hook at now_ms (whether allowed or not: dry_run). */
void window_record(WindowState *w, const Rate &r, std::uint64_t now_ms);

/* An entry untouched this long counts nothing any more: the zone may
   drop it at no cost (PERIOD exact, 13 buckets otherwise). */
std::uint64_t window_idle_ms(const Rate &r);

/* One limit and its state in the zone (state null: no entry could be
   made, the zone was full even after eviction: the limit is skipped). */
struct LimitCheck {
    const LimitRule *rule;
    WindowState     *state;
};

struct LimitResult {
    int       blocked;      /* index of the first blocking rule, or -1 */
    int       dry_run;      /* first dry_run rule that would block, or -1 */
    RuleText  text;         /* blocked: that rule's text; else the dry
                               run's text, or empty */
};

/* All or nothing: if no rule blocks, every state counts the hook; if one
   blocks, no state changes (dry_run rules never block). */
void limits_take(const LimitCheck *checks, std::size_t n,
                 std::uint64_t now_ms, LimitResult *res);


/* ----------------------------------------------------- circuit breaker -- */

struct BreakerConfig {
    std::uint32_t  failures;    /* consecutive failures that open it, >= 1 */
    std::uint64_t  open_ms;     /* how long it stays open */
};

enum class BreakerPhase : std::uint8_t { closed, open, half_open };

/* One per channel. Zero: closed. */
struct BreakerState {
    std::uint64_t  until_ms;    /* open: end of the open time; half_open:
                                   when the probe counts as lost */
    std::uint32_t  failures;    /* consecutive, while closed */
    std::uint8_t   phase;       /* BreakerPhase */
    std::uint8_t   pad[3];
};

static_assert(sizeof(BreakerState) == 16, "16 bytes per breaker");
static_assert(std::is_trivially_copyable<BreakerState>::value
              && std::is_standard_layout<BreakerState>::value,
              "shared-memory plain data");

enum class Admit : std::uint8_t {
    pass,       /* closed */
    probe,      /* the one hook let through after the open time */
    blocked     /* open, or another hook is the probe */
};

/* Mutates: the probe is taken by the caller that gets Admit::probe. A
   probe with no report within open_ms counts as lost (its worker died):
   the next hook becomes the probe. */
Admit breaker_admit(BreakerState *b, const BreakerConfig &c,
                    std::uint64_t now_ms);

/* A probe that was admitted but not sent (a limit blocked it): the next
   hook may probe at once. */
void breaker_release(BreakerState *b, std::uint64_t now_ms);

/* Unreachable, timed out, 5xx: http_status 0 (no reply) or >= 500. Not a
   4xx, not a 2xx that 8x8 rejected: 8x8 answered. */
bool breaker_failure(int http_status);

enum class BreakerEvent : std::uint8_t { none, opened, closed, reopened };

/* The outcome of a sent hook. While open or half-open only the probe's
   outcome counts. Returns the transition, for one log line. */
BreakerEvent breaker_report(BreakerState *b, const BreakerConfig &c,
                            bool was_probe, bool failed,
                            std::uint64_t now_ms);

/* okta_telephony_breaker zone=NAME failures=N open=TIME (any order;
   N 1..1000, TIME as parse_period). false: *err, *bad as
   parse_limit_args. */
struct BreakerSpec {
    std::string_view  zone;
    BreakerConfig     config;
};

constexpr std::uint32_t breaker_max_failures = 1000;

bool parse_breaker_args(const std::string_view *args, std::size_t n,
                        BreakerSpec *out, const char **err, std::size_t *bad);

/* "8x8 voice breaker open" / "8x8 sms breaker open" */
const char *breaker_rule_text(Channel ch);


/* -------------------------------------------------------------- dedupe -- */

enum class DedupePhase : std::uint8_t { empty, pending, answered };

/*
 * What is kept per eventId (the zone's key) to answer a replay the same
 * way: status, transactionId (up to 128 bytes, whole) and as much of
 * transactionMetadata as fits in the rest of text[] (cut at a UTF-8
 * boundary; at least 32 bytes). 176 bytes.
 */
struct DedupeRecord {
    std::uint64_t  at_ms;       /* pending: claimed; answered: answered */
    std::uint8_t   phase;       /* DedupePhase */
    std::uint8_t   status;      /* Status */
    std::uint8_t   blocked;     /* the answer was a block */
    std::uint8_t   tx_len;
    std::uint8_t   meta_len;
    std::uint8_t   pad[3];
    char           text[160];   /* transactionId, then metadata */
};

static_assert(sizeof(DedupeRecord) == 176, "176 bytes per dedupe entry");
static_assert(std::is_trivially_copyable<DedupeRecord>::value
              && std::is_standard_layout<DedupeRecord>::value,
              "shared-memory plain data");

enum class DedupeCheck : std::uint8_t {
    fresh,      /* no record, or expired: dedupe_claim() it, go on */
    in_flight,  /* the same eventId is being handled: do not send */
    replay      /* answer with dedupe_status/_tx/_meta, send nothing */
};

/* time_ms: okta_telephony_dedupe time=; pending_ms: how long a claim
   without an answer holds (the send timeout: a worker that died). */
DedupeCheck dedupe_check(const DedupeRecord &d, std::uint64_t now_ms,
                         std::uint64_t time_ms, std::uint64_t pending_ms);

void dedupe_claim(DedupeRecord *d, std::uint64_t now_ms);

/* The answer given. false (and the record cleared): tx longer than 128
   bytes. Metadata that does not fit is shortened. */
bool dedupe_fill(DedupeRecord *d, Status s, std::string_view tx,
                 std::string_view meta, bool blocked, std::uint64_t now_ms);

/* okta_telephony_dedupe zone=NAME time=TIME (either order). */
struct DedupeSpec {
    std::string_view  zone;
    std::uint64_t     time_ms;
};

bool parse_dedupe_args(const std::string_view *args, std::size_t n,
                       DedupeSpec *out, const char **err, std::size_t *bad);

/* No answer to keep (an error answer): the eventId is free again. */
void dedupe_clear(DedupeRecord *d);

Status dedupe_status(const DedupeRecord &d);
std::string_view dedupe_tx(const DedupeRecord &d);
std::string_view dedupe_meta(const DedupeRecord &d);

}  // namespace oktatel

#endif
