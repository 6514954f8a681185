/* HookParser: pieces split anywhere, documented paths only, error kinds. */

#include <cstring>

#include "test_util.hpp"

using namespace oktatel;
using namespace testutil;

namespace {

constexpr std::uint32_t bit(Field f) { return 1u << static_cast<unsigned>(f); }

const std::uint32_t all_fields = (1u << static_cast<unsigned>(Field::count_)) - 1;

}  // namespace

START_TEST(samples_parse)
{
    std::vector<std::string> names = hook_sample_names();
    ck_assert_int_ge(names.size(), 5);
    for (const std::string &n : names) {
        RawHook raw;
        ParseError e = parse(sample(n.c_str()), &raw);
        ck_assert_msg(e == ParseError::none, "%s: %s", n.c_str(),
                      parse_error_text(e));
        ck_assert_uint_eq(raw.present, all_fields);
        ck_assert_uint_eq(raw.wrong_type, 0);
        ck_assert_uint_eq(raw.too_long, 0);
    }
}
END_TEST

START_TEST(sample_values)
{
    RawHook raw;
    ck_assert(parse(sample("voice-mfa-verification.json"), &raw)
              == ParseError::none);
    sv_eq(raw.event_id.view(), "uS5871kJThSsU8qlA1LTcg");
    sv_eq(raw.request_type.view(), "com.okta.user.telephony.mfa-verification");
    sv_eq(raw.url_value.view(), "/idp/idx/challenge/send");
    sv_eq(raw.ip_address.view(), "203.0.113.7");
    sv_eq(raw.otp_code.view(), "482913");
    sv_eq(raw.phone_number.view(), "+6598765432");
    sv_eq(raw.delivery_channel.view(), "voice call");
    sv_eq(raw.locale.view(), "en");
    sv_eq(raw.msg_template.view(), "Your code is 482913");
    sv_eq(raw.otp_expires.view(), "2026-11-28T10:05:00.000Z");
    ck_assert_uint_eq(raw.event_id.data[raw.event_id.len], 0);
}
END_TEST

/* every split offset, first piece scribbled over before the second is fed */
START_TEST(samples_split_everywhere)
{
    for (const std::string &n : hook_sample_names()) {
        std::string body = sample(n.c_str());
        RawHook ref;
        ck_assert(parse(body, &ref) == ParseError::none);
        for (std::size_t k = 0; k <= body.size(); k++) {
            std::string a = body.substr(0, k), b = body.substr(k);
            RawHook raw;
            HookParser p(&raw);
            ck_assert(p.feed(a.data(), a.size()));
            std::memset(&a[0], 'x', a.size());
            ck_assert(p.feed(b.data(), b.size()));
            std::memset(&b[0], 'y', b.size());
            ck_assert_msg(p.finish(), "%s split at %zu", n.c_str(), k);
            const char *d = raw_diff(ref, raw);
            ck_assert_msg(*d == '\0', "%s split at %zu: %s differs",
                          n.c_str(), k, d);
        }
    }
}
END_TEST

START_TEST(samples_byte_by_byte)
{
    for (const std::string &n : hook_sample_names()) {
        std::string body = sample(n.c_str());
        RawHook ref;
        ck_assert(parse(body, &ref) == ParseError::none);
        RawHook raw;
        HookParser p(&raw);
        for (char c : body) {
            char one = c;
            ck_assert(p.feed(&one, 1));
            one = '!';
        }
        ck_assert(p.finish());
        const char *d = raw_diff(ref, raw);
        ck_assert_msg(*d == '\0', "%s byte by byte: %s differs", n.c_str(), d);
    }
}
END_TEST

START_TEST(escapes_decoded)
{
    RawHook raw;
    std::string body = R"({"eventId":"a\u0062c","data":{"messageProfile":)"
                       R"({"otp\u0043ode":"1\u00322345"}}})";
    ck_assert(parse(body, &raw) == ParseError::none);
    sv_eq(raw.event_id.view(), "abc");
    sv_eq(raw.otp_code.view(), "122345");
}
END_TEST

START_TEST(duplicate_leaf)
{
    RawHook raw;
    ck_assert(parse(R"({"eventId":"a","eventId":"b"})", &raw)
              == ParseError::duplicate_key);
    /* a wrong-typed first occurrence still counts */
    ck_assert(parse(R"({"eventId":1,"eventId":"b"})", &raw)
              == ParseError::duplicate_key);
    ck_assert(parse(R"({"data":{"messageProfile":{"otpCode":"1234",)"
                    R"("otpCode":"5678"}}})", &raw)
              == ParseError::duplicate_key);
    ck_assert(parse(R"({"data":{"context":{"request":{"url":{"value":"a",)"
                    R"("value":"b"}}}}})", &raw)
              == ParseError::duplicate_key);
}
END_TEST

START_TEST(duplicate_container)
{
    RawHook raw;
    ck_assert(parse(R"({"data":{"messageProfile":{"otpCode":"1234"}},)"
                    R"("data":{"messageProfile":{"phoneNumber":"+1"}}})", &raw)
              == ParseError::duplicate_key);
    ck_assert(parse(R"({"data":{"messageProfile":{},"messageProfile":{}}})",
                    &raw)
              == ParseError::duplicate_key);
}
END_TEST

START_TEST(duplicate_unknown_key_ok)
{
    RawHook raw;
    ck_assert(parse(R"({"x":1,"x":2,"data":{"userProfile":{"a":1,"a":2}}})",
                    &raw) == ParseError::none);
    ck_assert_uint_eq(raw.present, 0);
}
END_TEST

START_TEST(wrong_types)
{
    const char *values[] = { "1", "-1.5e300", "null", "true", "false",
                             "{\"a\":\"1234\"}", "[\"1234\"]", "[]", "{}",
                             "123456789012345678901234567890" };
    for (const char *v : values) {
        RawHook raw;
        std::string body = std::string(R"({"eventId":)") + v
                           + R"(,"data":{"messageProfile":{"otpCode":)" + v
                           + R"(,"phoneNumber":"+6598765432"},"context":)"
                           + R"({"request":{"ipAddress":)" + v + "}}}}";
        ck_assert_msg(parse(body, &raw) == ParseError::none, "%s", v);
        ck_assert_uint_eq(raw.wrong_type, bit(Field::event_id)
                          | bit(Field::otp_code) | bit(Field::ip_address));
        ck_assert_uint_eq(raw.present, bit(Field::phone_number));
        ck_assert(raw.otp_code.empty());
    }
}
END_TEST

START_TEST(too_long)
{
    RawHook raw;
    std::string big(1025, 'a');
    std::string fit(1024, 'b');
    std::string body = R"({"eventId":")" + std::string(129, 'e')
                       + R"(","data":{"messageProfile":{"msgTemplate":")"
                       + big + R"(","locale":")" + std::string(64, 'l')
                       + R"("}}})";
    ck_assert(parse(body, &raw) == ParseError::none);
    ck_assert_uint_eq(raw.too_long, bit(Field::event_id)
                      | bit(Field::msg_template));
    ck_assert_uint_eq(raw.present, bit(Field::locale));
    ck_assert(raw.event_id.empty());
    ck_assert(raw.msg_template.empty());

    body = R"({"data":{"messageProfile":{"msgTemplate":")" + fit + R"("}}})";
    ck_assert(parse(body, &raw) == ParseError::none);
    ck_assert_uint_eq(raw.too_long, 0);
    ck_assert_uint_eq(raw.msg_template.len, 1024);
}
END_TEST

START_TEST(undocumented_paths_ignored)
{
    RawHook raw;
    std::string body = R"({
        "otpCode": "9999", "phoneNumber": "+1", "value": "x",
        "messageProfile": {"otpCode": "1"},
        "data": {
            "otpCode": "2", "eventId": "e", "ipAddress": "1.1.1.1",
            "userProfile": {"otpCode": "3", "phoneNumber": "+4"},
            "list": [{"otpCode": "4"}, "otpCode"],
            "context": {"ipAddress": "9.9.9.9", "url": {"value": "/x"},
                        "request": {"value": "v", "otpCode": "5",
                                    "url": {"ipAddress": "8.8.8.8"}}},
            "messageProfile": {"nested": {"otpCode": "6"},
                               "arr": [{"locale": "de"}],
                               "value": "/generatePreview"}
        },
        "events": [{"eventId": "zz", "data": {"messageProfile":
                    {"otpCode": "7"}}}]
    })";
    ck_assert(parse(body, &raw) == ParseError::none);
    ck_assert_uint_eq(raw.present, 0);
    ck_assert_uint_eq(raw.wrong_type, 0);
}
END_TEST

START_TEST(documented_key_after_nested_value)
{
    /* pending key must not leak into the next value after a container */
    RawHook raw;
    ck_assert(parse(R"({"x":{"a":1},"eventId":"e1","data":{"messageProfile":)"
                    R"({"junk":[1,{"otpCode":"0"}],"otpCode":"1234"}}})", &raw)
              == ParseError::none);
    sv_eq(raw.event_id.view(), "e1");
    sv_eq(raw.otp_code.view(), "1234");
    ck_assert_uint_eq(raw.present, bit(Field::event_id) | bit(Field::otp_code));
}
END_TEST

START_TEST(structure_errors)
{
    const char *bodies[] = {
        R"({"data":"x"})",
        R"({"data":[]})",
        R"({"data":null})",
        R"({"data":{"context":1}})",
        R"({"data":{"context":{"request":[]}}})",
        R"({"data":{"context":{"request":{"url":"/generatePreview"}}}})",
        R"({"data":{"messageProfile":true}})",
    };
    for (const char *b : bodies) {
        RawHook raw;
        ck_assert_msg(parse(b, &raw) == ParseError::structure, "%s", b);
    }
}
END_TEST

START_TEST(depth_cap)
{
    RawHook raw;
    /* top-level object is depth 1: 15 arrays below it is 16 */
    std::string ok = R"({"x":)" + std::string(15, '[') + std::string(15, ']')
                     + "}";
    ck_assert(parse(ok, &raw) == ParseError::none);
    std::string deep = R"({"x":)" + std::string(16, '[')
                       + std::string(16, ']') + "}";
    ck_assert(parse(deep, &raw) == ParseError::too_deep);
    /* a huge nesting stops early, no matter how deep */
    std::string huge = R"({"x":)" + std::string(100000, '[');
    ck_assert(parse(huge, &raw) == ParseError::too_deep);
    /* under a documented leaf too */
    std::string leaf = R"({"eventId":)" + std::string(16, '[')
                       + std::string(16, ']') + "}";
    ck_assert(parse(leaf, &raw) == ParseError::too_deep);
    /* custom cap */
    std::string doc = R"({"data":{"context":{"request":{"url":{"value":"v"}}}}})";
    ck_assert(parse(doc, &raw, 5) == ParseError::none);
    ck_assert(parse(doc, &raw, 4) == ParseError::too_deep);
    ck_assert(parse("{}", &raw, 0) == ParseError::too_deep);
}
END_TEST

START_TEST(not_object)
{
    const char *bodies[] = { "[]", "[{\"eventId\":\"x\"}]", "\"str\"", "123",
                             "-1.5", "null", "true", "false" };
    for (const char *b : bodies) {
        RawHook raw;
        ck_assert_msg(parse(b, &raw) == ParseError::not_object, "%s", b);
    }
}
END_TEST

START_TEST(bad_json)
{
    const char *bodies[] = {
        "", " ", "\n\t ", "{", "{\"eventId\"", "{\"eventId\":", "{\"a\":1,}",
        "{\"a\":1} x", "{} {}", "{}[]", "{'a':1}", "{\"a\":1 /* c */}",
        "// c\n{}", "{\"a\":\"\x01\"}", "{\"a\":01}", "{\"a\":tru}",
        "{\"a\":\"\\x\"}", "{a:1}", "<html></html>", "{\"a\":\"\\u12\"}",
        /* yajl 2.1 alone accepts an unterminated string after the root */
        "{}\"", "{} \"x}", "{\"a\":1}\n\"",
    };
    for (const char *b : bodies) {
        RawHook raw;
        ck_assert_msg(parse(b, &raw) == ParseError::bad_json, "'%s'", b);
    }

    /* the same, the quote in a later piece */
    const char *pieces[][2] = {
        { "{\"a\":1}", "\"" }, { "{\"a\":1} ", " \"x" }, { "{}", "\n" },
    };
    for (std::size_t i = 0; i < 3; i++) {
        RawHook raw;
        HookParser hp(&raw);
        bool ok = hp.feed(pieces[i][0], std::strlen(pieces[i][0]))
                  && hp.feed(pieces[i][1], std::strlen(pieces[i][1]))
                  && hp.finish();
        ck_assert_msg(ok == (i == 2), "pieces %zu", i);
    }
}
END_TEST

START_TEST(truncated_samples)
{
    for (const std::string &n : hook_sample_names()) {
        std::string body = sample(n.c_str());
        std::size_t end = body.find_last_of('}');
        for (std::size_t k = 0; k < end; k++) {
            RawHook raw;
            ck_assert_msg(parse(body.substr(0, k), &raw) == ParseError::bad_json,
                          "%s cut at %zu", n.c_str(), k);
        }
    }
}
END_TEST

START_TEST(invalid_utf8)
{
    const char *bodies[] = {
        "{\"eventId\":\"\xff\"}",
        "{\"eventId\":\"a\xc3\"}",
        "{\"eventId\":\"\xc3\x28\"}",
        "{\"x\":\"\xe2\x82\"}",
        "{\"\xf0\x28\x8c\xbc\":1}",
        "{\"data\":{\"messageProfile\":{\"msgTemplate\":\"\x80\"}}}",
    };
    for (const char *b : bodies) {
        RawHook raw;
        ck_assert_msg(parse(b, &raw) == ParseError::bad_utf8, "%s", b);
    }
    RawHook raw;
    ck_assert(parse("{\"data\":{\"messageProfile\":{\"msgTemplate\":"
                    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}}}", &raw)
              == ParseError::none);
    sv_eq(raw.msg_template.view(), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}
END_TEST

START_TEST(big_numbers_ignored)
{
    RawHook raw;
    std::string body = R"({"n":)" + std::string(400, '9') + R"(,"f":1e999,)"
                       R"("m":-0.000000000000000000000001,"eventId":"e"})";
    ck_assert(parse(body, &raw) == ParseError::none);
    sv_eq(raw.event_id.view(), "e");
}
END_TEST

START_TEST(errors_stick)
{
    RawHook raw;
    HookParser p(&raw);
    ck_assert(!p.feed("[", 1));
    ck_assert(p.error() == ParseError::not_object);
    ck_assert(!p.feed("{}", 2));
    ck_assert(!p.finish());
    ck_assert(p.error() == ParseError::not_object);
}
END_TEST

START_TEST(out_cleared)
{
    RawHook raw;
    ck_assert(parse(sample("voice-mfa-verification.json"), &raw)
              == ParseError::none);
    ck_assert(parse("{}", &raw) == ParseError::none);
    ck_assert_uint_eq(raw.present, 0);
    ck_assert(raw.event_id.empty());
}
END_TEST

START_TEST(allocator_used)
{
    CountingAlloc ca;
    {
        RawHook raw;
        HookParser p(&raw, &ca.af);
        std::string body = sample("sms-password-reset.json");
        ck_assert(p.feed(body.data(), body.size()));
        ck_assert(p.finish());
        ck_assert_int_gt(ca.total, 1);
    }
    ck_assert_int_eq(ca.live, 0);
}
END_TEST

START_TEST(error_texts)
{
    ck_assert_str_eq(parse_error_text(ParseError::bad_json),
                     "body is not valid JSON");
    ParseError all[] = { ParseError::none, ParseError::bad_json,
                         ParseError::bad_utf8,
                         ParseError::not_object, ParseError::too_deep,
                         ParseError::duplicate_key, ParseError::structure };
    for (ParseError e : all) {
        ck_assert_ptr_nonnull(parse_error_text(e));
    }
}
END_TEST

Suite *hook_parser_suite()
{
    Suite *s = suite_create("hook_parser");
    TCase *tc = tcase_create("parse");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, samples_parse);
    tcase_add_test(tc, sample_values);
    tcase_add_test(tc, samples_split_everywhere);
    tcase_add_test(tc, samples_byte_by_byte);
    tcase_add_test(tc, escapes_decoded);
    tcase_add_test(tc, duplicate_leaf);
    tcase_add_test(tc, duplicate_container);
    tcase_add_test(tc, duplicate_unknown_key_ok);
    tcase_add_test(tc, wrong_types);
    tcase_add_test(tc, too_long);
    tcase_add_test(tc, undocumented_paths_ignored);
    tcase_add_test(tc, documented_key_after_nested_value);
    tcase_add_test(tc, structure_errors);
    tcase_add_test(tc, depth_cap);
    tcase_add_test(tc, not_object);
    tcase_add_test(tc, bad_json);
    tcase_add_test(tc, truncated_samples);
    tcase_add_test(tc, invalid_utf8);
    tcase_add_test(tc, big_numbers_ignored);
    tcase_add_test(tc, errors_stick);
    tcase_add_test(tc, out_cleared);
    tcase_add_test(tc, allocator_used);
    tcase_add_test(tc, error_texts);
    suite_add_tcase(s, tc);
    return s;
}
