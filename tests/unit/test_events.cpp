/* 8x8's delivery receipts and session summaries: parse, read, count,
   dedupe key, acknowledgement. */

#include <cstring>

#include "events.hpp"
#include "test_util.hpp"

using namespace oktatel;
using namespace oktatel::events;
using namespace testutil;

namespace {

using F = EventField;
using D = metrics::DeliveryState;

ParseError parse_ev(const std::string &body, RawEvent *raw,
                    unsigned depth = EventParser::default_max_depth)
{
    EventParser p(raw, nullptr, depth);
    if (!p.feed(body.data(), body.size())) {
        return p.error();
    }
    p.finish();
    return p.error();
}

/* parse + read; the parse must succeed */
ReadResult read_body(const std::string &body, Event *e,
                     const char **why = nullptr)
{
    RawEvent raw;
    const char *w = nullptr;
    ck_assert_int_eq((int) parse_ev(body, &raw), (int) ParseError::none);
    ReadResult r = read_event(raw, e, &w);
    if (why) {
        *why = w;
    }
    return r;
}

std::string sms(const std::string &payload)
{
    return R"({"namespace":"SMS","eventType":"outbound_message_status_changed",)"
           R"("payload":)" + payload + "}";
}

std::string voice(const std::string &payload)
{
    return R"({"namespace":"VOICE","eventType":"SESSION_SUMMARY",)"
           R"("payload":)" + payload + "}";
}

bool same_raw(const RawEvent &a, const RawEvent &b)
{
    for (std::size_t i = 0; i < n_event_fields; i++) {
        if (a.value[i].view() != b.value[i].view()) {
            return false;
        }
    }
    return a.present == b.present && a.number == b.number
        && a.wrong_type == b.wrong_type && a.too_long == b.too_long;
}

}  // namespace


START_TEST(sms_delivered_sample)
{
    Event e;
    ck_assert_int_eq((int) read_body(sample("8x8-event-sms-delivered.json"),
                                     &e), (int) ReadResult::ok);
    ck_assert(e.channel == Channel::sms);
    ck_assert(e.state == State::delivered);
    sv_eq(e.provider_id.view(), "5f2b7c1e-93aa-4d0e-8c61-0b7e2f4d9a10");
    sv_eq(e.event_id.view(), "cD3871kJThSsU8qlA1LTyy");
    sv_eq(e.e164.view(), "+12025550143");
    sv_eq(e.detail.view(), "delivered_to_recipient");
    ck_assert(!e.has_error_code);
    D d;
    ck_assert(delivery_state(e, &d));
    ck_assert(d == D::delivered);
}
END_TEST

START_TEST(sms_undelivered_sample)
{
    Event e;
    ck_assert_int_eq((int) read_body(
                         sample("8x8-event-sms-undelivered.json"), &e),
                     (int) ReadResult::ok);
    ck_assert(e.state == State::undelivered);
    ck_assert(e.has_error_code);
    ck_assert_int_eq(e.error_code, 16);
    sv_eq(e.detail.view(), "rejected_by_operator");
    D d;
    ck_assert(delivery_state(e, &d));
    ck_assert(d == D::undelivered);
}
END_TEST

START_TEST(voice_completed_sample)
{
    /* payload first, "CallA" capitalised: 8x8's own sample */
    Event e;
    ck_assert_int_eq((int) read_body(
                         sample("8x8-event-voice-completed.json"), &e),
                     (int) ReadResult::ok);
    ck_assert(e.channel == Channel::voice);
    ck_assert(e.state == State::completed);
    sv_eq(e.provider_id.view(), "3c7e9a12-0b4d-11ef-9a61-2f8d0c4b7e15");
    sv_eq(e.e164.view(), "+12025550143");
    /* the clientRequestId the module sent with the call */
    sv_eq(e.event_id.view(), "uS5871kJThSsU8qlA1LTcg");
    sv_eq(e.detail.view(), "");
    D d;
    ck_assert(delivery_state(e, &d));
    ck_assert(d == D::delivered);
}
END_TEST

START_TEST(voice_error_sample)
{
    Event e;
    ck_assert_int_eq((int) read_body(sample("8x8-event-voice-error.json"),
                                     &e), (int) ReadResult::ok);
    ck_assert(e.state == State::error);
    ck_assert(e.has_error_code);
    ck_assert_int_eq(e.error_code, -2007);
    sv_eq(e.e164.view(), "+14155550171");
    D d;
    ck_assert(delivery_state(e, &d));
    ck_assert(d == D::expired);

    /* another error: 8x8 refused to place it */
    e.error_code = -2008;
    ck_assert(delivery_state(e, &d));
    ck_assert(d == D::rejected);
}
END_TEST

START_TEST(split_everywhere)
{
    for (const char *name : { "8x8-event-sms-delivered.json",
                              "8x8-event-sms-undelivered.json",
                              "8x8-event-voice-completed.json",
                              "8x8-event-voice-error.json" })
    {
        std::string body = sample(name);
        RawEvent whole;
        ck_assert_int_eq((int) parse_ev(body, &whole), (int) ParseError::none);
        for (std::size_t cut = 0; cut <= body.size(); cut++) {
            RawEvent raw;
            EventParser p(&raw);
            ck_assert(p.feed(body.data(), cut));
            ck_assert(p.feed(body.data() + cut, body.size() - cut));
            ck_assert(p.finish());
            ck_assert_msg(same_raw(raw, whole), "%s cut at %zu", name, cut);
        }
        /* one byte at a time */
        RawEvent raw;
        EventParser p(&raw);
        for (char c : body) {
            ck_assert(p.feed(&c, 1));
        }
        ck_assert(p.finish());
        ck_assert(same_raw(raw, whole));
    }
}
END_TEST

START_TEST(keys_any_case)
{
    Event e;
    std::string body =
        R"({"NameSpace":"sms","EVENTTYPE":"Outbound_Message_Status_Changed",)"
        R"("PAYLOAD":{"UMID":"abc-1","Status":{"STATE":"Delivered"}}})";
    ck_assert_int_eq((int) read_body(body, &e), (int) ReadResult::ok);
    ck_assert(e.state == State::delivered);
    sv_eq(e.provider_id.view(), "abc-1");

    body = voice(R"({"sessionid":"s-1","SESSIONSTATUS":"no answer",)"
                 R"("Details":{"calla":{"Destination":"+12025550143"}}})");
    ck_assert_int_eq((int) read_body(body, &e), (int) ReadResult::ok);
    ck_assert(e.state == State::no_answer);
    sv_eq(e.e164.view(), "+12025550143");
}
END_TEST

START_TEST(duplicate_keys)
{
    RawEvent raw;
    /* the same key in two spellings is ambiguous: refused */
    std::string body = voice(R"({"sessionId":"s-1","sessionStatus":"BUSY",)"
                             R"("details":{"callA":{"destination":"+1"},)"
                             R"("CallA":{"destination":"+2"}}})");
    ck_assert_int_eq((int) parse_ev(body, &raw),
                     (int) ParseError::duplicate_key);
    body = sms(R"({"umid":"a","UMID":"b","status":{"state":"sent"}})");
    ck_assert_int_eq((int) parse_ev(body, &raw),
                     (int) ParseError::duplicate_key);
    /* unknown keys repeated are not ours to judge */
    body = sms(R"({"umid":"a","x":1,"x":2,"status":{"state":"sent"}})");
    ck_assert_int_eq((int) parse_ev(body, &raw), (int) ParseError::none);
}
END_TEST

START_TEST(hostile_json)
{
    RawEvent raw;
    ck_assert_int_eq((int) parse_ev("", &raw), (int) ParseError::bad_json);
    ck_assert_int_eq((int) parse_ev("[1]", &raw),
                     (int) ParseError::not_object);
    ck_assert_int_eq((int) parse_ev("\"x\"", &raw),
                     (int) ParseError::not_object);
    ck_assert_int_eq((int) parse_ev("{} {}", &raw),
                     (int) ParseError::bad_json);
    ck_assert_int_eq((int) parse_ev("{\"a\":1} x", &raw),
                     (int) ParseError::bad_json);
    ck_assert_int_eq((int) parse_ev("{\"a\":1", &raw),
                     (int) ParseError::bad_json);
    ck_assert_int_eq((int) parse_ev("{\"a\":\"\xff\"}", &raw),
                     (int) ParseError::bad_utf8);
    ck_assert_int_eq((int) parse_ev("{\"a\":\"\\ud800\"}", &raw),
                     (int) ParseError::bad_utf8);
    ck_assert_int_eq((int) parse_ev("{\"payload\":[]}", &raw),
                     (int) ParseError::structure);
    ck_assert_int_eq((int) parse_ev(sms("{\"status\":\"x\"}"), &raw),
                     (int) ParseError::structure);
    /* deep nesting under a skipped key */
    std::string deep = "{\"x\":" + std::string(100, '[')
                       + std::string(100, ']') + "}";
    ck_assert_int_eq((int) parse_ev(deep, &raw), (int) ParseError::too_deep);
    deep = "{\"x\":" + std::string(14, '[') + std::string(14, ']') + "}";
    ck_assert_int_eq((int) parse_ev(deep, &raw), (int) ParseError::none);
    ck_assert_int_eq((int) parse_ev(sms("{}"), &raw, 2),
                     (int) ParseError::none);
    ck_assert_int_eq((int) parse_ev(sms("{\"status\":{}}"), &raw, 2),
                     (int) ParseError::too_deep);
}
END_TEST

START_TEST(hostile_fields)
{
    Event e;
    const char *why = nullptr;

    /* an id that is too long, or not a token */
    std::string big(200, 'a');
    ck_assert_int_eq((int) read_body(sms("{\"umid\":\"" + big
                                         + "\",\"status\":{\"state\":\"sent\"}}"),
                                     &e, &why), (int) ReadResult::invalid);
    ck_assert_str_eq(why, "payload.umid is missing or not an 8x8 id");
    for (const char *bad : { "a b", "a\\u0000b", "a\\nb", "\xc3\xa9t\xc3\xa9",
                             "", "a\\u202eb" })
    {
        std::string body = sms(std::string("{\"umid\":\"") + bad
                               + "\",\"status\":{\"state\":\"sent\"}}");
        ck_assert_int_eq((int) read_body(body, &e), (int) ReadResult::invalid);
    }
    ck_assert_int_eq((int) read_body(sms("{\"umid\":5,\"status\":{\"state\":"
                                         "\"sent\"}}"), &e),
                     (int) ReadResult::invalid);

    /* a state that is no word */
    for (const char *bad : { "\"de\\nlivered\"", "\"\"", "7", "true",
                             "\"d\xc3\xa9livr\xc3\xa9\"",
                             "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"" })
    {
        std::string body = sms(std::string("{\"umid\":\"u1\",\"status\":"
                                           "{\"state\":") + bad + "}}");
        ck_assert_int_eq((int) read_body(body, &e, &why),
                         (int) ReadResult::invalid);
        ck_assert_str_eq(why, "payload.status.state is missing or not a state");
    }

    /* optional fields malformed: dropped, the receipt still reads */
    std::string body = sms(
        R"({"umid":"u1","clientMessageId":"x\ny","destination":"+1 202 555",)"
        R"("status":{"state":"delivered","detail":"de tail","errorCode":12345678}})");
    ck_assert_int_eq((int) read_body(body, &e), (int) ReadResult::ok);
    sv_eq(e.event_id.view(), "");
    sv_eq(e.e164.view(), "");
    sv_eq(e.detail.view(), "");
    ck_assert(!e.has_error_code);

    body = sms(R"({"umid":"u1","destination":"12025550143",)"
               R"("status":{"state":"sent","errorCode":"-42"}})");
    ck_assert_int_eq((int) read_body(body, &e), (int) ReadResult::ok);
    sv_eq(e.e164.view(), "");           /* no '+': not taken */
    ck_assert(e.has_error_code);
    ck_assert_int_eq(e.error_code, -42);

    for (const char *bad : { "1.5", "1e3", "\"\"", "\"-\"", "\"12a\"",
                             "-1234567" })
    {
        body = sms(std::string(R"({"umid":"u1","status":{"state":"sent",)")
                   + "\"errorCode\":" + bad + "}}");
        ck_assert_int_eq((int) read_body(body, &e), (int) ReadResult::ok);
        ck_assert_msg(!e.has_error_code, "%s", bad);
    }

    /* a huge string in a kept field: too long, never stored */
    RawEvent raw;
    body = sms("{\"umid\":\"" + std::string(100000, 'u')
               + "\",\"status\":{\"state\":\"sent\"}}");
    ck_assert_int_eq((int) parse_ev(body, &raw), (int) ParseError::none);
    ck_assert(raw.too_long & (1u << (unsigned) F::umid));
    ck_assert(!raw.has(F::umid));
}
END_TEST

START_TEST(unknown_and_unsupported)
{
    Event e;
    const char *why = nullptr;

    /* a new word from 8x8: counted as unknown */
    ck_assert_int_eq((int) read_body(sms(R"({"umid":"u1","status":)"
                                         R"({"state":"expired_soon"}})"), &e),
                     (int) ReadResult::ok);
    ck_assert(e.state == State::other);
    ck_assert_str_eq(state_name(e.state), "other");
    D d;
    ck_assert(delivery_state(e, &d));
    ck_assert(d == D::unknown);

    /* a voice word in a receipt is not a receipt's state */
    ck_assert_int_eq((int) read_body(sms(R"({"umid":"u1","status":)"
                                         R"({"state":"completed"}})"), &e),
                     (int) ReadResult::ok);
    ck_assert(e.state == State::other);

    ck_assert_int_eq((int) read_body(
                         R"({"namespace":"SMS","eventType":)"
                         R"("inbound_message_received","payload":{}})", &e,
                         &why), (int) ReadResult::unsupported);
    ck_assert_int_eq((int) read_body(
                         R"({"namespace":"VOICE","eventType":"CALL_STATUS"})",
                         &e), (int) ReadResult::unsupported);
    ck_assert_int_eq((int) read_body(R"({"eventType":"SESSION_SUMMARY"})", &e,
                                     &why), (int) ReadResult::invalid);
    ck_assert_str_eq(why, "namespace or eventType is missing");
    ck_assert_int_eq((int) read_body(R"({"namespace":1,"eventType":"x"})",
                                     &e), (int) ReadResult::invalid);
    ck_assert_int_eq((int) read_body(R"({"namespace":["SMS"],)"
                                     R"("eventType":"x"})", &e, &why),
                     (int) ReadResult::invalid);
    ck_assert_str_eq(why, "namespace or eventType is not a string");
    /* voice without its id */
    ck_assert_int_eq((int) read_body(voice(R"({"sessionStatus":"BUSY"})"), &e,
                                     &why), (int) ReadResult::invalid);
    ck_assert_str_eq(why, "payload.sessionId is missing or not an 8x8 id");
    /* null is absent */
    ck_assert_int_eq((int) read_body(voice(R"({"sessionId":"s","sessionStatus")"
                                           R"(:"BUSY","clientRequestId":null,)"
                                           R"("errorDetails":null})"), &e),
                     (int) ReadResult::ok);
    ck_assert(e.state == State::busy);
}
END_TEST

START_TEST(delivery_states)
{
    struct { State s; bool counted; D d; } table[] = {
        { State::queued, false, D::unknown },
        { State::sent, false, D::unknown },
        { State::read, false, D::unknown },
        { State::delivered, true, D::delivered },
        { State::undelivered, true, D::undelivered },
        { State::rejected, true, D::rejected },
        { State::completed, true, D::delivered },
        { State::completed_unsubscribed, true, D::delivered },
        { State::completed_unsub_error, true, D::delivered },
        { State::unsubscribed_contact, true, D::rejected },
        { State::no_answer, true, D::undelivered },
        { State::busy, true, D::undelivered },
        { State::canceled, true, D::undelivered },
        { State::failed, true, D::undelivered },
        { State::error, true, D::rejected },
        { State::other, true, D::unknown },
    };
    ck_assert_int_eq(sizeof(table) / sizeof(table[0]), (int) State::count_);
    Event e{};
    for (const auto &t : table) {
        e.state = t.s;
        D d = D::count_;
        ck_assert_int_eq(delivery_state(e, &d), t.counted);
        if (t.counted) {
            ck_assert_msg(d == t.d, "%s", state_name(t.s));
        }
    }
}
END_TEST

START_TEST(receipt_keys)
{
    Event e{};
    e.channel = Channel::sms;
    e.state = State::delivered;
    e.provider_id.assign("umid-1", 6);
    char key[receipt_key_max];
    std::size_t n = receipt_key(e, key, sizeof(key));
    sv_eq(std::string_view(key, n), "r:s:delivered:umid-1");

    e.channel = Channel::voice;
    e.state = State::no_answer;
    n = receipt_key(e, key, sizeof(key));
    sv_eq(std::string_view(key, n), "r:v:no_answer:umid-1");

    /* the longest: fits, and never over the zone's 255 */
    std::string id(128, 'x');
    e.provider_id.assign(id.data(), id.size());
    e.state = State::completed_unsubscribed;
    n = receipt_key(e, key, sizeof(key));
    ck_assert_uint_gt(n, 128);
    ck_assert_uint_le(n, 255);
    ck_assert_uint_eq(receipt_key(e, key, 10), 0);
}
END_TEST

START_TEST(receipt_once)
{
    ReceiptRecord r{};
    ck_assert(receipt_first(&r, 5000, receipt_window_ms));
    /* 8x8's retries: 1, 10, 30, 90 s later */
    for (std::uint64_t later : { 1000, 10000, 30000, 90000 }) {
        ck_assert(!receipt_first(&r, 5000 + later, receipt_window_ms));
    }
    /* a worker whose clock lags */
    ck_assert(!receipt_first(&r, 4990, receipt_window_ms));
    ck_assert(!receipt_first(&r, 5000 + receipt_window_ms,
                             receipt_window_ms));
    /* the window over: a new count */
    ck_assert(receipt_first(&r, 5001 + receipt_window_ms,
                            receipt_window_ms));
    ck_assert_uint_eq(r.counted_ms, 5001 + receipt_window_ms);
    /* a record from the clock's start (0) is still a record */
    ReceiptRecord z{};
    ck_assert(receipt_first(&z, 0, 1000));
    ck_assert(!receipt_first(&z, 0, 1000));
}
END_TEST

START_TEST(ack_body)
{
    StrSink s;
    ck_assert(build_ack(false, nullptr, s.sink()));
    sv_eq(s.s, "{\"status\":\"received\"}");
    StrSink t;
    ck_assert(build_ack(true, nullptr, t.sink()));
    sv_eq(t.s, "{\"status\":\"ignored\"}");
}
END_TEST

START_TEST(allocator_balanced)
{
    CountingAlloc a;
    {
        RawEvent raw;
        EventParser p(&raw, &a.af);
        std::string body = sample("8x8-event-voice-completed.json");
        ck_assert(p.feed(body.data(), body.size()));
        ck_assert(p.finish());
    }
    {
        RawEvent raw;
        EventParser p(&raw, &a.af);
        ck_assert(!p.feed("{\"a\":[[[[[[[[[[[[[[[[[[[[", 24));
    }
    ck_assert_int_eq(a.live, 0);
    ck_assert_int_gt(a.total, 0);
    StrSink s;
    ck_assert(build_ack(false, &a.af, s.sink()));
    ck_assert_int_eq(a.live, 0);
}
END_TEST

START_TEST(field_paths)
{
    for (std::size_t i = 0; i < n_event_fields; i++) {
        ck_assert_str_ne(event_field_path(static_cast<F>(i)), "?");
    }
    ck_assert_str_eq(event_field_path(F::call_destination),
                     "payload.details.callA.destination");
}
END_TEST

Suite *events_suite()
{
    Suite *s = suite_create("events");
    TCase *tc = tcase_create("events");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, sms_delivered_sample);
    tcase_add_test(tc, sms_undelivered_sample);
    tcase_add_test(tc, voice_completed_sample);
    tcase_add_test(tc, voice_error_sample);
    tcase_add_test(tc, split_everywhere);
    tcase_add_test(tc, keys_any_case);
    tcase_add_test(tc, duplicate_keys);
    tcase_add_test(tc, hostile_json);
    tcase_add_test(tc, hostile_fields);
    tcase_add_test(tc, unknown_and_unsupported);
    tcase_add_test(tc, delivery_states);
    tcase_add_test(tc, receipt_keys);
    tcase_add_test(tc, receipt_once);
    tcase_add_test(tc, ack_body);
    tcase_add_test(tc, allocator_balanced);
    tcase_add_test(tc, field_paths);
    suite_add_tcase(s, tc);
    return s;
}
