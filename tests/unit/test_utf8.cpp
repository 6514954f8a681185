/* Strict UTF-8, the phone-text rules, cleaning 8x8's words, the raw-text
   scan of the hook, and the other hostile-input rules of the core. */

#include <cstring>

#include "conf_values.hpp"
#include "test_util.hpp"

using namespace oktatel;
using namespace testutil;

namespace {

bool valid(const char *s) { return utf8_valid(std::string_view(s)); }

std::string clean(const std::string &in, std::size_t cap = 200)
{
    char out[256];
    std::size_t n = utf8_clean(in, out, cap);
    ck_assert_uint_le(n, cap);
    return std::string(out, n);
}

ParseError parse_split(const std::string &body, std::size_t at)
{
    RawHook raw;
    HookParser p(&raw);
    if (!p.feed(body.data(), at) || !p.feed(body.data() + at,
                                            body.size() - at))
    {
        return p.error();
    }
    p.finish();
    return p.error();
}

/* the body refused (or accepted) whatever the split */
void expect_every_split(const std::string &body, ParseError want)
{
    for (std::size_t at = 0; at <= body.size(); at++) {
        ck_assert_msg(parse_split(body, at) == want, "split at %zu of %s",
                      at, body.c_str());
    }
}

std::string in_template(const std::string &json_text)
{
    return replace(sample("sms-password-reset.json"),
                   "\"msgTemplate\": \"", "\"msgTemplate\": \"" + json_text);
}

}  // namespace

START_TEST(decode_table)
{
    const char *good[] = { "", "a", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80",
                           "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf",
                           "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",
                           "caf\xc3\xa9 \xf0\x9f\x98\x80" };
    for (const char *s : good) {
        ck_assert_msg(valid(s), "refused %s", s);
    }
    const char *bad[] = {
        "\xc0\xaf", "\xc1\xbf", "\xc0\x8d\xc0\x8a",       /* overlong */
        "\xe0\x80\xaf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf",
        "\xed\xa0\x80", "\xed\xbf\xbf", "\xed\xb0\x80",   /* surrogates */
        "\xf4\x90\x80\x80", "\xf7\xbf\xbf\xbf", "\xf8\x88\x80\x80\x80",
        "\x80", "\xbf", "a\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xff", "\xfe",
        "\xc3\x28", "\xe2\x28\xa1",
    };
    for (const char *s : bad) {
        ck_assert_msg(!valid(s), "accepted %s", s);
    }
    std::uint32_t cp = 0;
    ck_assert_uint_eq(utf8_decode(reinterpret_cast<const unsigned char *>(
                                      "\xf0\x9f\x98\x80"), 4, &cp), 4);
    ck_assert_uint_eq(cp, 0x1F600);
    ck_assert_uint_eq(utf8_decode(reinterpret_cast<const unsigned char *>(
                                      "\xe2\x80\xae"), 3, &cp), 3);
    ck_assert_uint_eq(cp, 0x202E);
}
END_TEST

START_TEST(unsafe_code_points)
{
    std::uint32_t bad[] = { 0, 9, 0x1B, 0x7F, 0x80, 0x85, 0x9B, 0x9F,
                            0x2028, 0x2029, 0x202A, 0x202E, 0x2066, 0x2069 };
    for (std::uint32_t c : bad) {
        ck_assert_msg(utf8_unsafe(c), "U+%04X", c);
    }
    std::uint32_t ok[] = { ' ', 'a', '~', 0xA0, 0xE9, 0x2027, 0x202F,
                           0x2065, 0x206A, 0x20AC, 0xFEFF, 0x1F600 };
    for (std::uint32_t c : ok) {
        ck_assert_msg(!utf8_unsafe(c), "U+%04X", c);
    }
}
END_TEST

START_TEST(phone_texts)
{
    ck_assert_ptr_null(phone_text_problem("Code 123456\ncaf\xc3\xa9", true));
    ck_assert_str_eq(phone_text_problem("a\nb", false),
                     "must not contain control characters");
    struct { const char *s, *why; } cases[] = {
        { "a\rb", "must not contain control characters" },
        { "a\x7f", "must not contain control characters" },
        { "a\xc2\x85", "must not contain control characters" },
        { "a\xc2\x9b" "31m", "must not contain control characters" },
        { "\xe2\x80\xae" "321", "must not contain line separators or "
                                "bidirectional controls" },
        { "\xe2\x81\xa6x", "must not contain line separators or "
                           "bidirectional controls" },
        { "a\xe2\x80\xa8", "must not contain line separators or "
                           "bidirectional controls" },
        { "\xc0\x8d\xc0\x8a", "must be valid UTF-8" },
        { "\xed\xa0\x80", "must be valid UTF-8" },
    };
    for (auto &c : cases) {
        const char *why = phone_text_problem(c.s, true);
        ck_assert_ptr_nonnull(why);
        ck_assert_str_eq(why, c.why);
    }
    /* configured templates: the same rules, with the length and {code} */
    ck_assert_ptr_null(template_problem("Your code {code}\n", 900));
    ck_assert_str_eq(template_problem("no code", 900),
                     "must contain \"{code}\"");
    ck_assert_str_eq(template_problem(std::string(901, 'x') + "{code}", 900),
                     "must be at most 900 bytes");
    ck_assert_str_eq(template_problem(std::string(1001, 'x'), 1000),
                     "must be at most 1000 bytes");
    ck_assert_str_eq(template_problem("\xe2\x80\xae{code}", 1000),
                     "must not contain line separators or bidirectional "
                     "controls");
}
END_TEST

START_TEST(clean_peer_text)
{
    ck_assert(clean("Invalid MSISDN") == std::string("Invalid MSISDN"));
    ck_assert(clean("a\xff" "b") == std::string("a\xef\xbf\xbd" "b"));
    ck_assert(clean("\xc0\xaf") ==
                     std::string("\xef\xbf\xbd\xef\xbf\xbd"));
    ck_assert(clean("a\xc2\x85" "b\xc2\x9b" "c") == std::string("a b c"));
    ck_assert(clean("x\xe2\x80\xa8y\xe2\x80\xaez\r\n") ==
                     std::string("x y z  "));
    ck_assert(clean("caf\xc3\xa9") == std::string("caf\xc3\xa9"));
    /* bounded, never a cut sequence */
    std::string e(300, 'x');
    ck_assert_uint_eq(clean(e).size(), 200);
    std::string eacute;
    for (int i = 0; i < 150; i++) {
        eacute += "\xc3\xa9";
    }
    std::string c = clean("x" + eacute);
    ck_assert_uint_eq(c.size(), 199);
    ck_assert(utf8_valid(c));
    std::string bad(100, '\xff');
    c = clean(bad);
    ck_assert_uint_eq(c.size(), 198);
    ck_assert(utf8_valid(c));
    /* whatever the input, the output is strict and safe */
    for (unsigned b = 0; b < 256; b++) {
        for (unsigned b2 = 0; b2 < 256; b2 += 17) {
            std::string in = {'a', static_cast<char>(b), static_cast<char>(b2),
                              '\x80', 'z'};
            std::string o = clean(in);
            ck_assert(utf8_valid(o));
            ck_assert_ptr_null(phone_text_problem(o, false));
        }
    }
}
END_TEST

START_TEST(hook_raw_text_strict)
{
    const char *bad[] = {
        "\xc0\xaf", "\xc0\x8d\xc0\x8a", "\xed\xa0\x80", "\xf7\xbf\xbf\xbf",
        "\xf4\x90\x80\x80", "\xe0\x80\xaf",
        "\\udc00", "\\ud800", "\\ud800x", "\\ud800\\u0041", "\\ud800\\ud800",
        "\\udbff\\n", "\\uDFFF", "\\ud83d\\ude00\\ude00",
    };
    for (const char *b : bad) {
        ck_assert_msg(parse_split(in_template(b), 0) == ParseError::bad_utf8,
                      "%s", b);
    }
    /* in a key, in an ignored field, in a nested ignored value */
    expect_every_split("{\"k\xed\xa0\x80\":1}", ParseError::bad_utf8);
    expect_every_split("{\"k\\ud800\":1}", ParseError::bad_utf8);
    expect_every_split("{\"x\":[\"\\udc00\"]}", ParseError::bad_utf8);
    expect_every_split("{\"x\":{\"y\":\"\xc0\xaf\"}}", ParseError::bad_utf8);
    /* what is fine stays fine, split anywhere */
    expect_every_split("{\"x\":\"\\ud83d\\ude00 \xf0\x9f\x98\x80 \\\\ud800 "
                       "\\u00e9 \\\"\"}", ParseError::none);
    expect_every_split("{\"x\":\"\\uD83D\\uDE00\",\"y\":\"\\u0000\"}",
                       ParseError::none);
    /* the first error in the text is the one named, however it is split */
    expect_every_split("{\"d\": ]\xa2", ParseError::bad_json);
    expect_every_split("{\"d\": \"\xa2\" ]", ParseError::bad_utf8);
    /* cut inside a sequence or a surrogate pair */
    RawHook raw;
    HookParser p(&raw);
    ck_assert(p.feed("{\"x\":\"\xc3", 7));
    ck_assert(!p.finish());
    ck_assert(p.error() == ParseError::bad_utf8);
    HookParser q(&raw);
    ck_assert(q.feed("{\"x\":\"\\ud83d", 12));
    ck_assert(!q.finish());
    ck_assert(q.error() == ParseError::bad_utf8 || q.error()
              == ParseError::bad_json);
    ck_assert_str_eq(parse_error_text(ParseError::bad_utf8),
                     "body is not valid UTF-8");
}
END_TEST

START_TEST(template_rules_from_hook)
{
    RawHook raw;
    Hook h;
    FieldError err{};
    const char *why_ctl = "must not contain control characters";
    const char *why_bidi = "must not contain line separators or "
                           "bidirectional controls";
    struct { const char *json, *why; } cases[] = {
        { "\\u202e", why_bidi }, { "\\u2066", why_bidi },
        { "\\u2028", why_bidi }, { "\\u0085", why_ctl },
        { "\\u009b", why_ctl }, { "\\u007f", why_ctl },
        { "\xc2\x85", why_ctl }, { "\xe2\x80\xae", why_bidi },
    };
    for (auto &c : cases) {
        ck_assert(parse(in_template(c.json), &raw) == ParseError::none);
        ck_assert_msg(!validate(raw, ValidateOptions{}, &h, &err), "%s",
                      c.json);
        ck_assert(err.field == Field::msg_template);
        ck_assert_str_eq(err.reason, c.why);
    }
    ck_assert(parse(in_template("caf\\u00e9 \xe2\x82\xac "), &raw)
              == ParseError::none);
    ck_assert(validate(raw, ValidateOptions{}, &h, &err));
}
END_TEST

START_TEST(expiry_passed_rule)
{
    ck_assert_int_eq(expiry_epoch_ms("1970-01-01T00:00:00.000Z"), 0);
    ck_assert_int_eq(expiry_epoch_ms("2026-11-28T10:05:00.250Z"),
                     1795860300250LL);
    ck_assert_int_eq(expiry_epoch_ms("2028-02-29T00:00:00.000Z"),
                     1835395200000LL);
    ck_assert_int_eq(expiry_epoch_ms("nonsense"), -1);
    std::int64_t t = 1795860300000LL;
    const char *v = "2026-11-28T10:05:00.000Z";
    ck_assert(!expiry_passed(v, t, expiry_skew_ms));
    ck_assert(!expiry_passed(v, t + 30000, expiry_skew_ms));
    ck_assert(expiry_passed(v, t + 30001, expiry_skew_ms));
    ck_assert(expiry_passed(v, t + 120000, expiry_skew_ms));
    ck_assert(!expiry_passed(v, t - 3600000, expiry_skew_ms));
    ck_assert(!expiry_passed("", t + 999999999, expiry_skew_ms));
}
END_TEST

START_TEST(reply_repeated_keys)
{
    const char *voice[] = {
        R"({"sessionId":"a","sessionStatus":"NOT_CREATED","sessionStatus":"CREATED"})",
        R"({"sessionId":"a","sessionId":"b","sessionStatus":"CREATED"})",
        R"({"sessionId":"a","sessionStatus":"CREATED","statusMessage":"x","statusMessage":"y"})",
    };
    for (const char *b : voice) {
        ProviderReply p = parse_voice_reply(200, b, std::strlen(b), nullptr);
        ck_assert_msg(!p.json && !p.accepted, "%s", b);
    }
    const char *sms[] = {
        R"({"umid":"u","umid":"v","status":{"code":"QUEUED"}})",
        R"({"umid":"u","status":{"code":"FAILED","code":"QUEUED"}})",
        R"({"umid":"u","status":{"code":"QUEUED"},"status":{"code":"QUEUED"}})",
    };
    for (const char *b : sms) {
        ProviderReply p = parse_sms_reply(200, b, std::strlen(b), nullptr);
        ck_assert_msg(!p.json && !p.accepted, "%s", b);
    }
    /* the same names deeper or undocumented are not repeats */
    const char *ok = R"({"sessionId":"a","sessionStatus":"CREATED",)"
                     R"("x":{"sessionStatus":"NO"},"y":1,"y":2})";
    ProviderReply p = parse_voice_reply(200, ok, std::strlen(ok), nullptr);
    ck_assert(p.json && p.accepted);
}
END_TEST

START_TEST(reply_words_cleaned)
{
    std::string b = "{\"sessionStatus\":\"NOT_CREATED\",\"statusCode\":"
                    "\"-1017\",\"statusMessage\":\"Bad\xff\xc2\x85 number"
                    "\xe2\x80\xae\xe2\x80\xa8\xc0\xaf\"}";
    ProviderReply p = parse_voice_reply(422, b.data(), b.size(), nullptr);
    ck_assert(p.json && !p.accepted);
    ck_assert(utf8_valid(p.message.view()));
    ck_assert_str_eq(p.message.data,
                     "Bad\xef\xbf\xbd  number  \xef\xbf\xbd\xef\xbf\xbd");
    std::string longm = "{\"status\":{\"code\":\"REJECTED\",\"description\":\"";
    for (int i = 0; i < 300; i++) {
        longm += "\xc3\xa9";
    }
    longm += "\"}}";
    ProviderReply q = parse_sms_reply(200, longm.data(), longm.size(), nullptr);
    ck_assert(q.json);
    ck_assert_uint_eq(q.message.len, 200);
    ck_assert(utf8_valid(q.message.view()));
    char meta[300];
    decide(Channel::voice, 422, p, meta, sizeof(meta));
    ck_assert(utf8_valid(meta));
    ck_assert_ptr_null(phone_text_problem(meta, false));
}
END_TEST

Suite *utf8_suite()
{
    Suite *s = suite_create("utf8");
    TCase *tc = tcase_create("strict");
    tcase_add_test(tc, decode_table);
    tcase_add_test(tc, unsafe_code_points);
    tcase_add_test(tc, phone_texts);
    tcase_add_test(tc, clean_peer_text);
    tcase_add_test(tc, hook_raw_text_strict);
    tcase_add_test(tc, template_rules_from_hook);
    tcase_add_test(tc, expiry_passed_rule);
    tcase_add_test(tc, reply_repeated_keys);
    tcase_add_test(tc, reply_words_cleaned);
    suite_add_tcase(s, tc);
    return s;
}
