/* validate(): every rule, every reason, the order of checks. */

#include <cstring>

#include "test_util.hpp"

using namespace oktatel;
using namespace testutil;

namespace {

/* a RawHook as the voice-mfa-verification sample gives it */
RawHook good_raw()
{
    RawHook r;
    r.clear();
    auto set = [&r](Field f, const char *v) {
        std::size_t n = std::strlen(v);
        switch (f) {
        case Field::event_id: r.event_id.assign(v, n); break;
        case Field::request_type: r.request_type.assign(v, n); break;
        case Field::url_value: r.url_value.assign(v, n); break;
        case Field::ip_address: r.ip_address.assign(v, n); break;
        case Field::otp_code: r.otp_code.assign(v, n); break;
        case Field::phone_number: r.phone_number.assign(v, n); break;
        case Field::delivery_channel: r.delivery_channel.assign(v, n); break;
        case Field::locale: r.locale.assign(v, n); break;
        case Field::msg_template: r.msg_template.assign(v, n); break;
        case Field::otp_expires: r.otp_expires.assign(v, n); break;
        default: break;
        }
        r.present |= 1u << static_cast<unsigned>(f);
    };
    set(Field::event_id, "uS5871kJThSsU8qlA1LTcg");
    set(Field::request_type, "com.okta.user.telephony.mfa-verification");
    set(Field::url_value, "/idp/idx/challenge/send");
    set(Field::ip_address, "203.0.113.7");
    set(Field::otp_code, "482913");
    set(Field::phone_number, "+6598765432");
    set(Field::delivery_channel, "voice call");
    set(Field::locale, "en");
    set(Field::msg_template, "Your code is 482913");
    set(Field::otp_expires, "2026-11-28T10:05:00.000Z");
    return r;
}

const std::string base_body()
{
    return sample("voice-mfa-verification.json");
}

/* body with one field's JSON text replaced */
std::string with(const char *key, const char *sample_value,
                 const std::string &json_value)
{
    return replace(base_body(),
                   std::string("\"") + key + "\": \"" + sample_value + "\"",
                   std::string("\"") + key + "\": " + json_value);
}

/* validates body; expects failure on field with reason */
void expect_error(const std::string &body, Field f, const char *reason,
                  std::string_view cc = "")
{
    Hook h;
    FieldError err{Field::count_, nullptr};
    ck_assert_msg(!parse_validate(body, &h, &err, cc), "accepted: %s",
                  body.c_str());
    ck_assert_str_eq(field_path(err.field), field_path(f));
    ck_assert_str_eq(err.reason, reason);
}

void expect_ok(const std::string &body, Hook *h, std::string_view cc = "")
{
    FieldError err{Field::count_, nullptr};
    bool ok = parse_validate(body, h, &err, cc);
    ck_assert_msg(ok, "refused: %s %s", field_path(err.field),
                  err.reason ? err.reason : "");
}

}  // namespace

START_TEST(samples_valid)
{
    struct {
        const char *name;
        Channel ch;
        RequestType type;
        bool preview;
        const char *e164, *locale, *otp, *event_id;
    } cases[] = {
        { "voice-mfa-verification.json", Channel::voice,
          RequestType::mfa_verification, false, "+6598765432", "en",
          "482913", "uS5871kJThSsU8qlA1LTcg" },
        { "voice-pre-enrollment-fr.json", Channel::voice,
          RequestType::pre_enrollment, false, "+33612345678", "fr-fr",
          "90210", "aB2871kJThSsU8qlA1LTxx" },
        { "voice-account-unlock-legacy-call.json", Channel::voice,
          RequestType::account_unlock, false, "+447700900123", "en-gb",
          "118822", "eF4871kJThSsU8qlA1LTzz" },
        { "sms-password-reset.json", Channel::sms,
          RequestType::password_reset, false, "+14155550123", "en-us",
          "731455", "cD3871kJThSsU8qlA1LTyy" },
        { "preview-sms.json", Channel::sms, RequestType::mfa_verification,
          true, "+19876543210", "en-us", "11111", "gH5871kJThSsU8qlA1LTpp" },
    };
    for (auto &c : cases) {
        Hook h;
        expect_ok(sample(c.name), &h, "1");
        ck_assert_msg(h.channel == c.ch, "%s", c.name);
        ck_assert_msg(h.type == c.type, "%s", c.name);
        ck_assert_msg(h.preview == c.preview, "%s", c.name);
        sv_eq(h.e164.view(), c.e164);
        sv_eq(h.locale.view(), c.locale);
        sv_eq(h.otp.view(), c.otp);
        sv_eq(h.event_id.view(), c.event_id);
        sv_eq(h.valid_until.view(), "2026-11-28T10:05:00.000Z");
        sv_eq(h.client_ip.view(), "203.0.113.7");
    }
    Hook h;
    expect_ok(sample("sms-password-reset.json"), &h);
    sv_eq(h.msg_template.view(), "Your Example Corp code is 731455");
    /* preview's placeholder number has no country code */
    expect_error(sample("preview-sms.json"), Field::phone_number,
                 "needs a country code (+...)");
}
END_TEST

START_TEST(event_ids)
{
    ck_assert(event_id_ok("gH5871kJThSsU8qlA1LTpp"));
    ck_assert(event_id_ok("a.b_c:d-e"));
    ck_assert(event_id_ok(std::string(128, 'x')));
    ck_assert(!event_id_ok(std::string(129, 'x')));
    ck_assert(!event_id_ok(""));
    ck_assert(!event_id_ok("a b"));
    ck_assert(!event_id_ok("a=b"));
    ck_assert(!event_id_ok("a\nb"));
}
END_TEST

START_TEST(channel_rules)
{
    struct { const char *in; bool ok; Channel ch; } cases[] = {
        { "SMS", true, Channel::sms }, { "sms", true, Channel::sms },
        { "sMs", true, Channel::sms }, { "voice call", true, Channel::voice },
        { "Voice", true, Channel::voice }, { "CALL", true, Channel::voice },
        { "VOICE CALL", true, Channel::voice },
        { "phone call", true, Channel::voice },
        { "xvoicex", true, Channel::voice },
        { "sms ", false, Channel::sms }, { " sms", false, Channel::sms },
        { "smss", false, Channel::sms }, { "email", false, Channel::sms },
        { "voic", false, Channel::sms }, { "cal", false, Channel::sms },
        { "text", false, Channel::sms },
    };
    for (auto &c : cases) {
        RawHook r = good_raw();
        r.delivery_channel.assign(c.in, std::strlen(c.in));
        Hook h;
        FieldError err{};
        bool ok = validate(r, ValidateOptions{}, &h, &err);
        ck_assert_msg(ok == c.ok, "'%s'", c.in);
        if (ok) {
            ck_assert_msg(h.channel == c.ch, "'%s'", c.in);
        } else {
            ck_assert(err.field == Field::delivery_channel);
            ck_assert_str_eq(err.reason, "must be SMS or voice call");
        }
    }
    expect_error(with("deliveryChannel", "voice call", "\"\""),
                 Field::delivery_channel, "is required");
    expect_error(with("deliveryChannel", "voice call", "5"),
                 Field::delivery_channel, "must be a string");
    expect_error(with("deliveryChannel", "voice call",
                      "\"" + std::string(65, 'v') + "\""),
                 Field::delivery_channel, "is too long");
    expect_error(replace(base_body(), "\"deliveryChannel\": \"voice call\",",
                         ""),
                 Field::delivery_channel, "is required");
}
END_TEST

START_TEST(phone_rules)
{
    Hook h;
    expect_ok(with("phoneNumber", "+6598765432", "\"+65 9876-5432\""), &h);
    sv_eq(h.e164.view(), "+6598765432");
    expect_error(with("phoneNumber", "+6598765432", "\"\""),
                 Field::phone_number, "is required");
    expect_error(with("phoneNumber", "+6598765432", "null"),
                 Field::phone_number, "must be a string");
    expect_error(with("phoneNumber", "+6598765432", "6598765432"),
                 Field::phone_number, "must be a string");
    expect_error(with("phoneNumber", "+6598765432", "\"98765432\""),
                 Field::phone_number, "needs a country code (+...)");
    expect_error(with("phoneNumber", "+6598765432", "\"+65 9876x432\""),
                 Field::phone_number, "must be a phone number in E.164 form");
    expect_error(with("phoneNumber", "+6598765432", "\"+6512\""),
                 Field::phone_number, "must have 8 to 15 digits");
    expect_ok(with("phoneNumber", "+6598765432", "\"098765432\""), &h, "65");
    sv_eq(h.e164.view(), "+6598765432");
}
END_TEST

START_TEST(otp_rules)
{
    struct { const char *in; const char *reason; } cases[] = {
        { "1234", nullptr }, { "0000", nullptr }, { "1234567890", nullptr },
        { "123", "must be 4 to 10 digits" },
        { "12345678901", "must be 4 to 10 digits" },
        { "12a45", "must contain digits only" },
        { " 12345", "must contain digits only" },
        { "12345 ", "must contain digits only" },
        { "-1234", "must contain digits only" },
        { "\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4", "must contain digits only" },
        { "", "is required" },
    };
    for (auto &c : cases) {
        RawHook r = good_raw();
        r.otp_code.assign(c.in, std::strlen(c.in));
        Hook h;
        FieldError err{};
        bool ok = validate(r, ValidateOptions{}, &h, &err);
        if (c.reason == nullptr) {
            ck_assert_msg(ok, "'%s'", c.in);
            sv_eq(h.otp.view(), c.in);
        } else {
            ck_assert_msg(!ok, "'%s'", c.in);
            ck_assert(err.field == Field::otp_code);
            ck_assert_str_eq(err.reason, c.reason);
        }
    }
    expect_error(with("otpCode", "482913", "482913"), Field::otp_code,
                 "must be a string");
    expect_error(with("otpCode", "482913", "[\"482913\"]"), Field::otp_code,
                 "must be a string");
    expect_error(with("otpCode", "482913",
                      "\"" + std::string(65, '1') + "\""),
                 Field::otp_code, "is too long");
    expect_error(replace(base_body(), "\"otpCode\": \"482913\",", ""),
                 Field::otp_code, "is required");
}
END_TEST

START_TEST(event_id_rules)
{
    const char *bad = "must contain only letters, digits and . _ : -";
    struct { const char *in; const char *reason; } cases[] = {
        { "a", nullptr }, { "A-z_0.9:x", nullptr },
        { "abc def", bad }, { "abc\"def", bad }, { "abc\\def", bad },
        { "abc/def", bad }, { "</script>", bad }, { "caf\xc3\xa9", bad },
        { "", "is required" },
    };
    for (auto &c : cases) {
        RawHook r = good_raw();
        r.event_id.assign(c.in, std::strlen(c.in));
        Hook h;
        FieldError err{};
        bool ok = validate(r, ValidateOptions{}, &h, &err);
        if (c.reason == nullptr) {
            ck_assert_msg(ok, "'%s'", c.in);
            sv_eq(h.event_id.view(), c.in);
        } else {
            ck_assert_msg(!ok, "'%s'", c.in);
            ck_assert(err.field == Field::event_id);
            ck_assert_str_eq(err.reason, c.reason);
        }
    }
    std::string id128(128, 'a');
    Hook h;
    expect_ok(with("eventId", "uS5871kJThSsU8qlA1LTcg", "\"" + id128 + "\""),
              &h);
    sv_eq(h.event_id.view(), id128);
    expect_error(with("eventId", "uS5871kJThSsU8qlA1LTcg",
                      "\"" + id128 + "a\""), Field::event_id, "is too long");
    expect_error(with("eventId", "uS5871kJThSsU8qlA1LTcg", "\"a\\u0000b\""),
                 Field::event_id, bad);
    expect_error(with("eventId", "uS5871kJThSsU8qlA1LTcg",
                      R"("x\",\"injected\":\"y")"), Field::event_id, bad);
    expect_error(with("eventId", "uS5871kJThSsU8qlA1LTcg", "{}"),
                 Field::event_id, "must be a string");
    expect_error(replace(base_body(),
                         "\"eventId\": \"uS5871kJThSsU8qlA1LTcg\",", ""),
                 Field::event_id, "is required");
}
END_TEST

START_TEST(request_types)
{
    struct { const char *in; RequestType t; } cases[] = {
        { "com.okta.user.telephony.pre-enrollment", RequestType::pre_enrollment },
        { "com.okta.user.telephony.mfa-verification",
          RequestType::mfa_verification },
        { "com.okta.user.telephony.account-unlock", RequestType::account_unlock },
        { "com.okta.user.telephony.password-reset", RequestType::password_reset },
        { "com.okta.user.telephony.something-new", RequestType::other },
        { "com.okta.user.telephony.", RequestType::other },
        { "COM.OKTA.USER.TELEPHONY.PASSWORD-RESET", RequestType::other },
        { "mfa-verification", RequestType::other },
        { "", RequestType::other },
    };
    for (auto &c : cases) {
        RawHook r = good_raw();
        r.request_type.assign(c.in, std::strlen(c.in));
        Hook h;
        FieldError err{};
        ck_assert(validate(r, ValidateOptions{}, &h, &err));
        ck_assert_msg(h.type == c.t, "'%s'", c.in);
    }
    RawHook r = good_raw();
    r.request_type.clear();
    r.present &= ~(1u << static_cast<unsigned>(Field::request_type));
    Hook h;
    FieldError err{};
    ck_assert(validate(r, ValidateOptions{}, &h, &err));
    ck_assert(h.type == RequestType::other);

    /* not a string, or too long: unknown, like an absent one */
    {
        Hook h2;
        expect_ok(with("requestType", "com.okta.user.telephony.mfa-verification",
                       "7"), &h2);
        ck_assert(h2.type == RequestType::other);
        expect_ok(with("requestType", "com.okta.user.telephony.mfa-verification",
                       "{\"a\":[1]}"), &h2);
        ck_assert(h2.type == RequestType::other);
        expect_ok(with("requestType", "com.okta.user.telephony.mfa-verification",
                       "\"" + std::string(300, 'x') + "\""), &h2);
        ck_assert(h2.type == RequestType::other);
    }
    ck_assert_str_eq(request_type_name(RequestType::pre_enrollment),
                     "pre-enrollment");
    ck_assert_str_eq(request_type_name(RequestType::mfa_verification),
                     "mfa-verification");
    ck_assert_str_eq(request_type_name(RequestType::account_unlock),
                     "account-unlock");
    ck_assert_str_eq(request_type_name(RequestType::password_reset),
                     "password-reset");
    ck_assert_str_eq(request_type_name(RequestType::other), "other");
    ck_assert_str_eq(channel_name(Channel::sms), "sms");
    ck_assert_str_eq(channel_name(Channel::voice), "voice");
}
END_TEST

START_TEST(optional_fields)
{
    Hook h;
    /* all optional fields absent */
    std::string body = R"({"eventId":"e1","data":{"messageProfile":{)"
                       R"("otpCode":"1234","phoneNumber":"+6598765432",)"
                       R"("deliveryChannel":"SMS"}}})";
    expect_ok(body, &h);
    ck_assert(h.locale.empty());
    ck_assert(h.msg_template.empty());
    ck_assert(h.valid_until.empty());
    ck_assert(h.client_ip.empty());
    ck_assert(!h.preview);
    ck_assert(h.type == RequestType::other);

    /* empty strings count as absent */
    expect_ok(with("locale", "en", "\"\""), &h);
    ck_assert(h.locale.empty());
    expect_ok(with("ipAddress", "203.0.113.7", "\"\""), &h);
    ck_assert(h.client_ip.empty());
}
END_TEST

START_TEST(locale_rules)
{
    Hook h;
    expect_ok(with("locale", "en", "\"EN_us\""), &h);
    sv_eq(h.locale.view(), "en-us");
    expect_error(with("locale", "en", "\"en us\""), Field::locale,
                 "must be a language tag");
    expect_error(with("locale", "en", "\"" + std::string(36, 'a') + "\""),
                 Field::locale, "must be a language tag");
    expect_error(with("locale", "en", "\"" + std::string(65, 'a') + "\""),
                 Field::locale, "is too long");
    expect_error(with("locale", "en", "false"), Field::locale,
                 "must be a string");
}
END_TEST

START_TEST(msg_template_rules)
{
    Hook h;
    expect_ok(with("msgTemplate", "Your code is 482913",
                   R"("Line one\nline two 482913")"), &h);
    sv_eq(h.msg_template.view(), "Line one\nline two 482913");
    expect_ok(with("msgTemplate", "Your code is 482913",
                   R"("\"q\" \\ <\/script> \u00e9 \ud83d\ude00")"), &h);
    sv_eq(h.msg_template.view(),
          "\"q\" \\ </script> \xc3\xa9 \xf0\x9f\x98\x80");
    const char *ctl[] = { R"("a\tb")", R"("a\rb")", R"("a\u0000b")",
                          R"("a\u001bb")", R"("\b")", R"("\f")" };
    for (const char *c : ctl) {
        expect_error(with("msgTemplate", "Your code is 482913", c),
                     Field::msg_template, "must not contain control characters");
    }
    expect_error(with("msgTemplate", "Your code is 482913",
                      "\"" + std::string(1025, 'm') + "\""),
                 Field::msg_template, "is too long");
    expect_error(with("msgTemplate", "Your code is 482913", "{\"a\":1}"),
                 Field::msg_template, "must be a string");
}
END_TEST

START_TEST(expiry_rules)
{
    Hook h;
    expect_ok(with("otpExpires", "2026-11-28T10:05:00.000Z",
                   "\"2026-11-28T10:05:00Z\""), &h);
    sv_eq(h.valid_until.view(), "2026-11-28T10:05:00.000Z");
    expect_error(with("otpExpires", "2026-11-28T10:05:00.000Z",
                      "\"2026-11-28 10:05:00Z\""),
                 Field::otp_expires, "must be an ISO-8601 UTC time");
    expect_error(with("otpExpires", "2026-11-28T10:05:00.000Z", "1764324300"),
                 Field::otp_expires, "must be a string");
}
END_TEST

START_TEST(ip_rules)
{
    const char *good[] = { "203.0.113.7", "0.0.0.0", "::1", "2001:db8::1",
                           "::ffff:192.0.2.1",
                           "2001:0db8:0000:0000:0000:ff00:0042:8329" };
    for (const char *ip : good) {
        Hook h;
        expect_ok(with("ipAddress", "203.0.113.7",
                       std::string("\"") + ip + "\""), &h);
        sv_eq(h.client_ip.view(), ip);
    }
    const char *bad[] = { "\"203.0.113\"", "\"203.0.113.256\"",
                          "\"example.com\"", "\"1.2.3.4 \"", "\" 1.2.3.4\"",
                          "\"fe80::1%eth0\"", "\"1.2.3.4\\u0000junk\"",
                          "\"1.2.3.4, 5.6.7.8\"", "\"2001:db8:::1\"" };
    for (const char *ip : bad) {
        expect_error(with("ipAddress", "203.0.113.7", ip), Field::ip_address,
                     "must be an IP address");
    }
    expect_error(with("ipAddress", "203.0.113.7", "[1,2,3,4]"),
                 Field::ip_address, "must be a string");
    expect_error(with("ipAddress", "203.0.113.7",
                      "\"" + std::string(65, '1') + "\""),
                 Field::ip_address, "is too long");
}
END_TEST

START_TEST(url_rules)
{
    Hook h;
    expect_ok(with("value", "/idp/idx/challenge/send",
                   "\"/api/x/generatePreview\""), &h);
    ck_assert(h.preview);
    expect_ok(with("value", "/idp/idx/challenge/send",
                   "\"/generatePreview\""), &h);
    ck_assert(h.preview);
    expect_ok(with("value", "/idp/idx/challenge/send",
                   "\"/generatePreview/x\""), &h);
    ck_assert(!h.preview);
    expect_ok(with("value", "/idp/idx/challenge/send",
                   "\"/generatepreview\""), &h);
    ck_assert(!h.preview);
    expect_error(with("value", "/idp/idx/challenge/send", "1"),
                 Field::url_value, "must be a string");
    expect_error(with("value", "/idp/idx/challenge/send",
                      "\"/" + std::string(256, 'u') + "\""),
                 Field::url_value, "is too long");

    /* known before validation: the preview's placeholder number fails it */
    RawHook raw;
    ck_assert(parse(sample("preview-sms.json"), &raw) == ParseError::none);
    ck_assert(is_preview(raw));
    ck_assert(parse(base_body(), &raw) == ParseError::none);
    ck_assert(!is_preview(raw));
}
END_TEST

START_TEST(check_order)
{
    /* every required field bad: delivery channel is reported first */
    std::string body = R"({"eventId":"bad id","data":{"messageProfile":{)"
                       R"("otpCode":"x","phoneNumber":"1",)"
                       R"("deliveryChannel":"fax","locale":"??"}}})";
    expect_error(body, Field::delivery_channel, "must be SMS or voice call");
    body = replace(body, "\"fax\"", "\"sms\"");
    expect_error(body, Field::phone_number, "needs a country code (+...)");
    body = replace(body, "\"1\"", "\"+6598765432\"");
    expect_error(body, Field::otp_code, "must contain digits only");
    body = replace(body, "\"x\"", "\"1234\"");
    expect_error(body, Field::event_id,
                 "must contain only letters, digits and . _ : -");
    body = replace(body, "\"bad id\"", "\"ok\"");
    expect_error(body, Field::locale, "must be a language tag");
    body = replace(body, "\"??\"", "\"de\"");
    Hook h;
    expect_ok(body, &h);
}
END_TEST

START_TEST(field_paths)
{
    struct { Field f; const char *p; } cases[] = {
        { Field::event_id, "eventId" },
        { Field::request_type, "requestType" },
        { Field::url_value, "data.context.request.url.value" },
        { Field::ip_address, "data.context.request.ipAddress" },
        { Field::otp_code, "data.messageProfile.otpCode" },
        { Field::phone_number, "data.messageProfile.phoneNumber" },
        { Field::delivery_channel, "data.messageProfile.deliveryChannel" },
        { Field::locale, "data.messageProfile.locale" },
        { Field::msg_template, "data.messageProfile.msgTemplate" },
        { Field::otp_expires, "data.messageProfile.otpExpires" },
    };
    for (auto &c : cases) {
        ck_assert_str_eq(field_path(c.f), c.p);
    }
}
END_TEST

Suite *validate_suite()
{
    Suite *s = suite_create("validate");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, samples_valid);
    tcase_add_test(tc, event_ids);
    tcase_add_test(tc, channel_rules);
    tcase_add_test(tc, phone_rules);
    tcase_add_test(tc, otp_rules);
    tcase_add_test(tc, event_id_rules);
    tcase_add_test(tc, request_types);
    tcase_add_test(tc, optional_fields);
    tcase_add_test(tc, locale_rules);
    tcase_add_test(tc, msg_template_rules);
    tcase_add_test(tc, expiry_rules);
    tcase_add_test(tc, ip_rules);
    tcase_add_test(tc, url_rules);
    tcase_add_test(tc, check_order);
    tcase_add_test(tc, field_paths);
    suite_add_tcase(s, tc);
    return s;
}
