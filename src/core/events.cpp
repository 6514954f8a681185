/*
 * 8x8's delivery outcomes once parsed (events.hpp): the checks of every
 * field used, the states and how they are counted, the receipt's dedupe
 * key and record, and the acknowledgement sent back to 8x8.
 */

#include "core_util.hpp"
#include "events.hpp"

namespace oktatel {
namespace events {

namespace {

using F = EventField;

struct Word {
    const char *text;       /* lower case, as compared */
    State       state;
};

const Word sms_words[] = {
    { "queued", State::queued },
    { "sent", State::sent },
    { "delivered", State::delivered },
    { "undelivered", State::undelivered },
    { "rejected", State::rejected },
    { "read", State::read },
};

const Word voice_words[] = {
    { "completed", State::completed },
    { "completed_unsubscribed", State::completed_unsubscribed },
    { "completed_unsub_error", State::completed_unsub_error },
    { "unsubscribed_contact", State::unsubscribed_contact },
    { "no_answer", State::no_answer },
    { "busy", State::busy },
    { "canceled", State::canceled },
    { "failed", State::failed },
    { "error", State::error },
};

const char *const state_names[] = {
    "queued", "sent", "delivered", "undelivered", "rejected", "read",
    "completed", "completed_unsubscribed", "completed_unsub_error",
    "unsubscribed_contact", "no_answer", "busy", "canceled", "failed",
    "error", "other",
};

static_assert(sizeof(state_names) / sizeof(state_names[0])
              == static_cast<std::size_t>(State::count_),
              "a name per state");

constexpr std::size_t word_max = 32;

/* A state word: [A-Za-z_ ]{1,32}, a space read as '_' (8x8's older
   pages write "NO ANSWER"), into lower case. false: not a word. */
bool state_word(std::string_view v, char *out, std::size_t *n)
{
    if (v.empty() || v.size() > word_max) {
        return false;
    }
    for (std::size_t i = 0; i < v.size(); i++) {
        char c = detail::lower(v[i]);
        if (c == ' ') {
            c = '_';
        }
        if (!((c >= 'a' && c <= 'z') || c == '_')) {
            return false;
        }
        out[i] = c;
    }
    *n = v.size();
    return true;
}

template <std::size_t N>
State lookup(const Word (&words)[N], std::string_view w)
{
    for (const Word &x : words) {
        if (w == x.text) {
            return x.state;
        }
    }
    return State::other;
}

/* ASCII case-insensitive equality with a lower-case literal */
bool iequals(std::string_view a, const char *lit)
{
    std::size_t n = std::strlen(lit);
    if (a.size() != n) {
        return false;
    }
    for (std::size_t i = 0; i < n; i++) {
        if (detail::lower(a[i]) != lit[i]) {
            return false;
        }
    }
    return true;
}

/* A kept string value (not a number) */
bool string_of(const RawEvent &raw, F f, std::string_view *v)
{
    unsigned bit = 1u << static_cast<unsigned>(f);
    if (!(raw.present & bit) || (raw.number & bit)) {
        return false;
    }
    *v = raw.get(f);
    return true;
}

/* An error code: a JSON integer or a string of one, -999999..999999 */
bool error_code_of(const RawEvent &raw, F f, long *out)
{
    if (!raw.has(f)) {
        return false;
    }
    std::string_view v = raw.get(f);
    std::size_t i = 0;
    bool neg = false;
    if (!v.empty() && v[0] == '-') {
        neg = true;
        i = 1;
    }
    if (v.size() == i || v.size() - i > 6) {
        return false;
    }
    long n = 0;
    for (; i < v.size(); i++) {
        if (!detail::is_digit(static_cast<unsigned char>(v[i]))) {
            return false;
        }
        n = n * 10 + (v[i] - '0');
    }
    *out = neg ? -n : n;
    return true;
}

/* status.detail: [A-Za-z0-9_]{1,64}, kept in lower case */
void detail_of(const RawEvent &raw, FixedStr<64> *out)
{
    std::string_view v;
    out->clear();
    if (!string_of(raw, F::detail, &v) || v.empty()
        || v.size() > FixedStr<64>::capacity)
    {
        return;
    }
    char buf[FixedStr<64>::capacity];
    for (std::size_t i = 0; i < v.size(); i++) {
        char c = detail::lower(v[i]);
        if (!detail::is_alnum(static_cast<unsigned char>(c)) && c != '_') {
            return;
        }
        buf[i] = c;
    }
    out->assign(buf, v.size());
}

/* An optional field: kept when well-formed, else dropped */
void event_id_of(const RawEvent &raw, F f, FixedStr<128> *out)
{
    std::string_view v;
    out->clear();
    if (string_of(raw, f, &v) && event_id_ok(v)) {
        out->assign(v.data(), v.size());
    }
}

void e164_of(const RawEvent &raw, F f, FixedStr<16> *out)
{
    std::string_view v;
    const char *reason;
    out->clear();
    if (!string_of(raw, f, &v) || v.empty() || v[0] != '+'
        || !normalize_phone(v, "", out, &reason))
    {
        out->clear();
    }
}

struct Shape {
    Channel     channel;
    F           id, state, event_id, destination, error_code;
    const char *bad_id, *bad_state;
};

const Shape sms_shape = {
    Channel::sms, F::umid, F::state, F::client_message_id, F::destination,
    F::sms_error_code,
    "payload.umid is missing or not an 8x8 id",
    "payload.status.state is missing or not a state",
};

const Shape voice_shape = {
    Channel::voice, F::session_id, F::session_status, F::client_request_id,
    F::call_destination, F::voice_error_code,
    "payload.sessionId is missing or not an 8x8 id",
    "payload.sessionStatus is missing or not a state",
};

}  // namespace

const char *state_name(State s)
{
    std::size_t i = static_cast<std::size_t>(s);
    return i < static_cast<std::size_t>(State::count_) ? state_names[i]
                                                        : "other";
}

ReadResult read_event(const RawEvent &raw, Event *out, const char **why)
{
    std::string_view ns, type, v;

    if (raw.wrong_type & ((1u << static_cast<unsigned>(F::ns))
                          | (1u << static_cast<unsigned>(F::event_type))))
    {
        *why = "namespace or eventType is not a string";
        return ReadResult::invalid;
    }
    if (!string_of(raw, F::ns, &ns) || !string_of(raw, F::event_type, &type))
    {
        *why = "namespace or eventType is missing";
        return ReadResult::invalid;
    }

    const Shape *shape;
    if (iequals(ns, "sms") && iequals(type, "outbound_message_status_changed"))
    {
        shape = &sms_shape;
    } else if (iequals(ns, "voice") && iequals(type, "session_summary")) {
        shape = &voice_shape;
    } else {
        *why = "not a delivery receipt or a session summary";
        return ReadResult::unsupported;
    }

    out->channel = shape->channel;

    if (!string_of(raw, shape->id, &v) || !detail::is_token(v)) {
        *why = shape->bad_id;
        return ReadResult::invalid;
    }
    out->provider_id.assign(v.data(), v.size());

    char word[word_max];
    std::size_t wn = 0;
    if (!string_of(raw, shape->state, &v) || !state_word(v, word, &wn)) {
        *why = shape->bad_state;
        return ReadResult::invalid;
    }
    std::string_view w(word, wn);
    out->state = shape->channel == Channel::sms ? lookup(sms_words, w)
                                                : lookup(voice_words, w);

    event_id_of(raw, shape->event_id, &out->event_id);
    e164_of(raw, shape->destination, &out->e164);
    if (shape->channel == Channel::sms) {
        detail_of(raw, &out->detail);
    } else {
        out->detail.clear();
    }
    out->error_code = 0;
    out->has_error_code = error_code_of(raw, shape->error_code,
                                        &out->error_code);

    *why = nullptr;
    return ReadResult::ok;
}

bool delivery_state(const Event &e, metrics::DeliveryState *out)
{
    using D = metrics::DeliveryState;

    switch (e.state) {
    case State::queued:
    case State::sent:
    case State::read:
        return false;
    case State::delivered:
    case State::completed:
    case State::completed_unsubscribed:
    case State::completed_unsub_error:
        *out = D::delivered;
        return true;
    case State::undelivered:
    case State::no_answer:
    case State::busy:
    case State::canceled:
    case State::failed:
        *out = D::undelivered;
        return true;
    case State::error:
        /* 8x8: "The validity period of the call flow request has
           expired" (validUntil, set from Okta's otpExpires) */
        *out = (e.has_error_code && e.error_code == -2007) ? D::expired
                                                           : D::rejected;
        return true;
    case State::rejected:
    case State::unsubscribed_contact:
        *out = D::rejected;
        return true;
    case State::other:
    case State::count_:
        break;
    }
    *out = D::unknown;
    return true;
}

std::size_t receipt_key(const Event &e, char *out, std::size_t cap)
{
    const char *name = state_name(e.state);
    std::size_t nn = std::strlen(name), id = e.provider_id.len;
    std::size_t n = 4 + nn + 1 + id;

    if (n > cap || n > receipt_key_max) {
        return 0;
    }
    out[0] = 'r';
    out[1] = ':';
    out[2] = e.channel == Channel::sms ? 's' : 'v';
    out[3] = ':';
    std::memcpy(out + 4, name, nn);
    out[4 + nn] = ':';
    std::memcpy(out + 5 + nn, e.provider_id.data, id);
    return n;
}

bool receipt_first(ReceiptRecord *r, std::uint64_t now_ms,
                   std::uint64_t window_ms)
{
    /* a clock behind the record (another worker's) is not "long ago" */
    if (r->counted && now_ms <= r->counted_ms + window_ms) {
        return false;
    }
    r->counted = 1;
    r->counted_ms = now_ms;
    return true;
}

bool build_ack(bool ignored, const yajl_alloc_funcs *af, Sink out)
{
    detail::BatchedGen bg(af, out);
    detail::Gen w{bg.get(), bg.get() != nullptr};
    w.map_open();
    w.kv("status", ignored ? "ignored" : "received");
    w.map_close();
    return bg.finish(w.ok);
}

}  // namespace events
}  // namespace oktatel
