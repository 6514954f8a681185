/*
 * libFuzzer target: the input is an 8x8 event body (an SMS delivery
 * receipt or a voice session summary, as POSTed to
 * okta_telephony_8x8_events).
 *
 * It is parsed in one piece, in two pieces cut where the first byte says,
 * one byte at a time and with a small nesting cap: the three full parses
 * must agree. A parsed event is read; what read_event() gives must be
 * safe to log (ids are tokens, the number E.164, the detail [a-z0-9_],
 * fixed words elsewhere), its dedupe key bounded and well-formed, its
 * counted state in range, the acknowledgement valid JSON. Any broken
 * invariant abort()s.
 */

#include "events.hpp"
#include "fuzz_common.hpp"

using namespace oktatel;
using namespace oktatel::events;
using fz::Alloc;

namespace {

template <std::size_t N>
void check_fixed(const FixedStr<N> &s)
{
    FZ_CHECK(s.len <= N);
    FZ_CHECK(s.data[s.len] == '\0');
    FZ_CHECK(std::strlen(s.data) == s.len);
}

bool token_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == ':'
        || c == '-';
}

bool all(std::string_view s, bool (*ok)(char))
{
    for (char c : s) {
        if (!ok(c)) {
            return false;
        }
    }
    return true;
}

bool same(const RawEvent &a, const RawEvent &b)
{
    for (std::size_t i = 0; i < n_event_fields; i++) {
        if (a.value[i].view() != b.value[i].view()) {
            return false;
        }
    }
    return a.present == b.present && a.number == b.number
        && a.wrong_type == b.wrong_type && a.too_long == b.too_long;
}

ParseError parse(const std::uint8_t *data, std::size_t size, RawEvent *raw,
                 std::size_t cut, bool bytewise, unsigned depth,
                 Alloc *alloc)
{
    EventParser p(raw, alloc->get(), depth);
    const char *s = reinterpret_cast<const char *>(data);
    bool ok = true;
    if (bytewise) {
        for (std::size_t i = 0; ok && i < size; i++) {
            ok = p.feed(s + i, 1);
        }
    } else {
        ok = p.feed(s, cut) && p.feed(s + cut, size - cut);
    }
    if (ok) {
        p.finish();
    }
    return p.error();
}

void check_raw(const RawEvent &raw)
{
    for (std::size_t i = 0; i < n_event_fields; i++) {
        /* raw values may hold a NUL (\u0000): read_event() refuses it */
        FZ_CHECK(raw.value[i].len <= 128);
        FZ_CHECK(raw.value[i].data[raw.value[i].len] == '\0');
        std::uint32_t bit = 1u << i;
        /* a value is kept, too long, of the wrong type, or none of these */
        FZ_CHECK(!((raw.present & bit) && (raw.too_long & bit)));
        FZ_CHECK(!(raw.number & bit) || (raw.present & bit));
        if (!(raw.present & bit)) {
            FZ_CHECK(raw.value[i].empty());
        }
    }
    FZ_CHECK((raw.present >> n_event_fields) == 0);
}

void check_event(const Event &e)
{
    check_fixed(e.provider_id);
    check_fixed(e.event_id);
    check_fixed(e.e164);
    check_fixed(e.detail);

    FZ_CHECK(!e.provider_id.empty());
    FZ_CHECK(all(e.provider_id.view(), token_char));
    FZ_CHECK(all(e.event_id.view(), token_char));
    if (!e.e164.empty()) {
        FZ_CHECK(e.e164.data[0] == '+' && e.e164.len >= 9);
        FZ_CHECK(all(e.e164.view().substr(1),
                     [](char c) { return c >= '0' && c <= '9'; }));
    }
    FZ_CHECK(all(e.detail.view(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '_';
    }));
    FZ_CHECK(e.channel == Channel::sms || e.channel == Channel::voice);
    FZ_CHECK(static_cast<std::size_t>(e.state)
             < static_cast<std::size_t>(State::count_));
    FZ_CHECK(std::strlen(state_name(e.state)) > 0);
    if (e.has_error_code) {
        FZ_CHECK(e.error_code >= -999999 && e.error_code <= 999999);
    }

    metrics::DeliveryState d;
    if (delivery_state(e, &d)) {
        FZ_CHECK(static_cast<std::size_t>(d) < metrics::n_delivery_states);
    }

    char key[receipt_key_max];
    std::size_t n = receipt_key(e, key, sizeof(key));
    FZ_CHECK(n > 0 && n <= receipt_key_max && n <= 255);
    std::string_view k(key, n);
    FZ_CHECK(k.substr(0, 2) == "r:");
    FZ_CHECK(k.substr(k.size() - e.provider_id.len) == e.provider_id.view());

    ReceiptRecord r{};
    FZ_CHECK(receipt_first(&r, 1000, receipt_window_ms));
    FZ_CHECK(!receipt_first(&r, 2000, receipt_window_ms));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data,
                                      std::size_t size)
{
    Alloc alloc;
    RawEvent whole, split, bytes, shallow;
    std::size_t cut = size ? data[0] % (size + 1) : 0;

    ParseError e1 = parse(data, size, &whole, size, false,
                          EventParser::default_max_depth, &alloc);
    ParseError e2 = parse(data, size, &split, cut, false,
                          EventParser::default_max_depth, &alloc);
    ParseError e3 = parse(data, size, &bytes, 0, true,
                          EventParser::default_max_depth, &alloc);
    (void) parse(data, size, &shallow, size, false, 3, &alloc);
    FZ_CHECK(alloc.live == 0);

    /* wherever the body is cut, the same verdict and values */
    FZ_CHECK(e1 == e2 && e1 == e3);
    if (e1 != ParseError::none) {
        return 0;
    }
    FZ_CHECK(same(whole, split) && same(whole, bytes));
    check_raw(whole);

    Event ev;
    const char *why = nullptr;
    switch (read_event(whole, &ev, &why)) {
    case ReadResult::ok:
        FZ_CHECK(why == nullptr);
        check_event(ev);
        break;
    case ReadResult::unsupported:
    case ReadResult::invalid:
        FZ_CHECK(why != nullptr && fz::utf8_ok(why));
        break;
    }

    for (bool ignored : { false, true }) {
        std::string ack;
        FZ_CHECK(build_ack(ignored, alloc.get(), fz::sink(&ack)));
        FZ_CHECK(ack == (ignored ? "{\"status\":\"ignored\"}"
                                 : "{\"status\":\"received\"}"));
    }
    FZ_CHECK(alloc.live == 0);
    return 0;
}
