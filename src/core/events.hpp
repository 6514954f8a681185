/*
 * 8x8's delivery outcomes: the SMS delivery receipt ("DLR": namespace
 * "SMS", eventType "outbound_message_status_changed") and the voice
 * session summary ("VSS": namespace "VOICE", eventType
 * "SESSION_SUMMARY") that 8x8 POSTs to the module's events location.
 *
 * The body is hostile until read: EventParser keeps only the paths below
 * (keys compared ASCII case-insensitively: 8x8's own samples write
 * "callA" and "CallA"), each value bounded; read_event() then checks
 * every field it uses and gives an Event whose strings are all safe to
 * log (ids are [A-Za-z0-9._:-], the number is E.164, the rest fixed
 * words). Nothing 8x8 sent is ever repeated otherwise.
 *
 *   namespace, eventType
 *   payload.umid | payload.sessionId             8x8's id
 *   payload.clientMessageId | .clientRequestId   the Okta eventId
 *   payload.destination | payload.details.callA.destination
 *   payload.status.state | payload.sessionStatus
 *   payload.status.detail
 *   payload.status.errorCode | payload.errorDetails.errorCode
 *
 * 8x8 retries a receipt it got no 2xx for (after 1, 10, 30 and 90 s): a
 * ReceiptRecord in the shared zone, keyed by receipt_key() (8x8's id and
 * the state), makes a repeat count once.
 *
 * Pure C++17, no nginx header.
 */

#ifndef OKTA_TELEPHONY_CORE_EVENTS_HPP
#define OKTA_TELEPHONY_CORE_EVENTS_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "metrics.hpp"
#include "telephony.hpp"

namespace oktatel {
namespace events {

/* ------------------------------------------------------------- parse -- */

/* The paths kept; everything else is skipped (depth still bounded). */
enum class EventField : std::uint8_t {
    ns,                 /* namespace */
    event_type,         /* eventType */
    umid,               /* payload.umid */
    client_message_id,  /* payload.clientMessageId */
    destination,        /* payload.destination */
    state,              /* payload.status.state */
    detail,             /* payload.status.detail */
    sms_error_code,     /* payload.status.errorCode */
    session_id,         /* payload.sessionId */
    session_status,     /* payload.sessionStatus */
    client_request_id,  /* payload.clientRequestId */
    voice_error_code,   /* payload.errorDetails.errorCode */
    call_destination,   /* payload.details.callA.destination */
    count_
};

constexpr std::size_t n_event_fields =
    static_cast<std::size_t>(EventField::count_);

/* "payload.umid", ...: fixed text for a 400's reason. */
const char *event_field_path(EventField f);

/* The kept values as they arrived: strings, and numbers as their JSON
   text (errorCode). A null is taken as absent. */
struct RawEvent {
    FixedStr<128>  value[n_event_fields];
    std::uint32_t  present;     /* bit (1 << EventField) */
    std::uint32_t  number;      /* bit: the value was a JSON number */
    std::uint32_t  wrong_type;  /* bit: neither string nor number (nor
                                   null) */
    std::uint32_t  too_long;    /* bit: longer than 128 bytes */

    void clear();
    std::string_view get(EventField f) const
    {
        return value[static_cast<std::size_t>(f)].view();
    }
    bool has(EventField f) const
    {
        return present & (1u << static_cast<unsigned>(f));
    }
};

/*
 * Incremental parser of an event body, in pieces split anywhere (the
 * HookParser's rules: strict UTF-8, no trailing garbage, nesting capped,
 * a kept key twice is an error). Keeps no pointer into the input.
 */
class EventParser {
public:
    static constexpr unsigned default_max_depth = 16;

    EventParser(RawEvent *out, const yajl_alloc_funcs *af = nullptr,
                unsigned max_depth = default_max_depth);
    ~EventParser();

    EventParser(const EventParser &) = delete;
    EventParser &operator=(const EventParser &) = delete;

    bool feed(const char *p, std::size_t n);  /* false: error() says why */
    bool finish();
    ParseError error() const { return error_; }

    struct Ctx;   /* internal, public for the yajl callbacks */

private:
    bool feed_json(const char *p, std::size_t n);

    void      *handle_;
    Ctx       *ctx_;
    const yajl_alloc_funcs *af_;
    ParseError error_;
    JsonTextScan text_;
};


/* -------------------------------------------------------------- read -- */

/* What 8x8 said of the message or the call, one list for both. */
enum class State : std::uint8_t {
    /* SMS: status.state */
    queued, sent, delivered, undelivered, rejected, read,
    /* voice: sessionStatus */
    completed, completed_unsubscribed, completed_unsub_error,
    unsubscribed_contact, no_answer, busy, canceled, failed, error,
    other,              /* a word this list does not know */
    count_
};

/* "queued", ..., "no_answer", "other": fixed words, safe to log. */
const char *state_name(State s);

/* A read event: every string is checked, safe to log. */
struct Event {
    Channel        channel;
    State          state;
    FixedStr<128>  provider_id;     /* umid / sessionId: [A-Za-z0-9._:-] */
    FixedStr<128>  event_id;        /* Okta's eventId or empty */
    FixedStr<16>   e164;            /* the destination or empty */
    FixedStr<64>   detail;          /* status.detail, [a-z0-9_], or empty */
    bool           has_error_code;
    long           error_code;      /* -999999..999999 */
};

enum class ReadResult : std::uint8_t {
    ok,
    unsupported,    /* another namespace / eventType: not an outcome */
    invalid         /* *why names what is wrong */
};

/*
 * The event in raw, checked. invalid: the id or state is missing or not
 * one 8x8 sends (a state word that is well-formed but unknown is
 * State::other, not an error); *why is fixed text. Optional fields that
 * are malformed are dropped, never an error: the outcome still counts.
 */
ReadResult read_event(const RawEvent &raw, Event *out, const char **why);

/*
 * The delivery state counted for it, okta_telephony_deliveries_total:
 *   SMS delivered -> delivered; undelivered -> undelivered;
 *   rejected -> rejected; queued, sent, read -> not counted (steps on
 *   the way, and "read" follows "delivered");
 *   voice COMPLETED (and its opt-out variants) -> delivered;
 *   NO_ANSWER, BUSY, CANCELED, FAILED -> undelivered;
 *   ERROR with 8x8's -2007 (the call's validity passed) -> expired;
 *   other ERROR, UNSUBSCRIBED_CONTACT -> rejected;
 *   an unknown word -> unknown.
 * false: not counted.
 */
bool delivery_state(const Event &e, metrics::DeliveryState *out);


/* ------------------------------------------------------------ dedupe -- */

/* How long a counted receipt's key is kept: 8x8's last retry comes
   131 s after the first try. */
constexpr std::uint64_t receipt_window_ms = 10 * 60 * 1000;

/* The zone's key of an event: "r:" channel ('s'/'v') ':' state ':' id;
   at most receipt_key_max bytes. */
constexpr std::size_t receipt_key_max = 2 + 2 + 32 + 128;

std::size_t receipt_key(const Event &e, char *out, std::size_t cap);

/* Per key in the zone (plain data, 16 bytes). */
struct ReceiptRecord {
    std::uint64_t  counted_ms;
    std::uint8_t   counted;     /* 0: not yet */
    std::uint8_t   pad[7];
};

static_assert(sizeof(ReceiptRecord) == 16, "16 bytes per receipt");
static_assert(std::is_trivially_copyable<ReceiptRecord>::value
              && std::is_standard_layout<ReceiptRecord>::value,
              "shared-memory plain data");

/* true: first seen (or seen longer than window_ms ago): count it, the
   record now says so. false: a repeat. */
bool receipt_first(ReceiptRecord *r, std::uint64_t now_ms,
                   std::uint64_t window_ms);


/* ------------------------------------------------------------ answer -- */

/* {"status":"received"} or {"status":"ignored"} */
bool build_ack(bool ignored, const yajl_alloc_funcs *af, Sink out);

}  // namespace events
}  // namespace oktatel

#endif
