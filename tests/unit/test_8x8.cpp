/* 8x8 side: languages, texts, request bodies, reply parsing. */

#include <cstring>

#include <yajl/yajl_tree.h>

#include "test_util.hpp"

using namespace oktatel;
using namespace testutil;

namespace {

const VoiceLanguage langs[] = {
    { "en", "en-US-Jenny", "Your verification code is {code}." },
    { "en-gb", "en-GB-Emma", "Your code is {code}. Again: {code}." },
    { "de", "de-DE-KatjaNeural", "Ihr Code lautet {code}." },
    { "pt-br", "pt-BR-FranciscaNeural", "Seu c\xc3\xb3" "digo: {code}." },
};
const std::size_t nlangs = sizeof(langs) / sizeof(langs[0]);

VoiceConfig voice_config()
{
    return VoiceConfig{ "+6512341234", "0.8", 2, langs, nlangs, "en" };
}

SmsConfig sms_config()
{
    return SmsConfig{ "ExampleCorp", "Your code is {code}" };
}

Hook hook_of(const std::string &body, std::string_view cc = "")
{
    Hook h;
    FieldError err{};
    ck_assert_msg(parse_validate(body, &h, &err, cc), "%s %s",
                  field_path(err.field), err.reason);
    return h;
}

std::string voice_body(const Hook &h, const VoiceConfig &c)
{
    StrSink s;
    ck_assert(build_voice_request(h, c, nullptr, s.sink()));
    return s.s;
}

std::string sms_body(const Hook &h, const SmsConfig &c)
{
    StrSink s;
    ck_assert(build_sms_request(h, c, nullptr, s.sink()));
    return s.s;
}

/* the value at a path of the JSON text, as a string ("" if absent) */
std::string json_string_at(const std::string &json, const char **path)
{
    char err[128];
    yajl_val root = yajl_tree_parse(json.c_str(), err, sizeof(err));
    ck_assert_msg(root != nullptr, "output is not JSON: %s", err);
    yajl_val v = yajl_tree_get(root, path, yajl_t_string);
    std::string out = v ? YAJL_GET_STRING(v) : "";
    yajl_tree_free(root);
    return out;
}

std::size_t json_object_size(const std::string &json)
{
    char err[128];
    yajl_val root = yajl_tree_parse(json.c_str(), err, sizeof(err));
    ck_assert_msg(root != nullptr, "output is not JSON: %s", err);
    ck_assert(YAJL_IS_OBJECT(root));
    std::size_t n = YAJL_GET_OBJECT(root)->len;
    yajl_tree_free(root);
    return n;
}

}  // namespace

START_TEST(pick_language_fallbacks)
{
    struct { const char *locale, *dflt, *tag; } cases[] = {
        { "en", "en", "en" },
        { "en-gb", "en", "en-gb" },
        { "en-us", "en", "en" },          /* primary */
        { "en-au-x", "de", "en" },
        { "de-at", "en", "de" },
        { "pt-br", "en", "pt-br" },
        { "pt", "de", "de" },             /* "pt-br" is no match for "pt" */
        { "pt-pt", "de", "de" },
        { "fr-fr", "en", "en" },          /* default */
        { "fr-fr", "de-ch", "de" },       /* default's primary */
        { "fr-fr", "en-gb", "en-gb" },
        { "", "de", "de" },
        { "-fr", "de", "de" },
        { "EN", "de", "de" },             /* tags arrive normalised */
    };
    for (auto &c : cases) {
        const VoiceLanguage *l = pick_language(c.locale, langs, nlangs, c.dflt);
        sv_eq(l->tag, c.tag);
    }
    ck_assert_ptr_eq(pick_language("fr", langs, nlangs, "it"), &builtin_english);
    ck_assert_ptr_eq(pick_language("fr", langs, nlangs, ""), &builtin_english);
    ck_assert_ptr_eq(pick_language("en", nullptr, 0, "en"), &builtin_english);
    sv_eq(builtin_english.tag, "en");
    sv_eq(builtin_english.profile, "en-US-Jenny");
    sv_eq(builtin_english.text, "Your verification code is {code}.");
}
END_TEST

START_TEST(render_texts)
{
    char buf[64];
    std::size_t n = 0;
    ck_assert(render_voice_text("Your code is {code}.", "482913", buf,
                                sizeof(buf), &n));
    sv_eq(std::string(buf, n), "Your code is 4, 8, 2, 9, 1, 3.");
    ck_assert(render_voice_text("{code}", "4", buf, sizeof(buf), &n));
    sv_eq(std::string(buf, n), "4");
    ck_assert(render_voice_text("{code}{code}", "482", buf, sizeof(buf), &n));
    sv_eq(std::string(buf, n), "4, 8, 24, 8, 2");
    ck_assert(render_voice_text("{code} {{code}} {code", "12", buf,
                                sizeof(buf), &n));
    sv_eq(std::string(buf, n), "1, 2 {1, 2} {code");
    ck_assert(!render_voice_text("no placeholder", "1234", buf, sizeof(buf), &n));
    ck_assert(!render_voice_text("{CODE}", "1234", buf, sizeof(buf), &n));
    ck_assert(!render_voice_text("", "1234", buf, sizeof(buf), &n));
    ck_assert(render_voice_text("x{code}", "12", buf, 5, &n));
    sv_eq(std::string(buf, n), "x1, 2");
    ck_assert(!render_voice_text("x{code}", "12", buf, 4, &n));
    ck_assert(!render_voice_text("x{code}y", "12", buf, 5, &n));

    ck_assert(render_sms_text("Your code is {code}", "482913", buf,
                              sizeof(buf), &n));
    sv_eq(std::string(buf, n), "Your code is 482913");
    ck_assert(render_sms_text("{code}-{code}", "1234", buf, sizeof(buf), &n));
    sv_eq(std::string(buf, n), "1234-1234");
    ck_assert(!render_sms_text("Your code", "1234", buf, sizeof(buf), &n));
    ck_assert(render_sms_text("a{code}", "1234", buf, 5, &n));
    ck_assert(!render_sms_text("a{code}", "1234", buf, 4, &n));
    ck_assert(!render_sms_text("{code}", "1234", buf, 0, &n));
}
END_TEST

START_TEST(voice_samples)
{
    VoiceConfig c = voice_config();
    sv_eq(voice_body(hook_of(sample("voice-mfa-verification.json")), c),
          R"({"validUntil":"2026-11-28T10:05:00.000Z","clientRequestId":"uS5871kJThSsU8qlA1LTcg",)"
          R"("callflow":[)"
          R"({"action":"makeCall","params":{"source":"+6512341234",)"
          R"("destination":"+6598765432"}},{"action":"say","params":)"
          R"({"text":"Your verification code is 4, 8, 2, 9, 1, 3.",)"
          R"("voiceProfile":"en-US-Jenny","repetition":2,"speed":0.8}},)"
          R"({"action":"hangup"}]})");
    /* fr-fr is not configured: the default language */
    sv_eq(voice_body(hook_of(sample("voice-pre-enrollment-fr.json")), c),
          R"({"validUntil":"2026-11-28T10:05:00.000Z","clientRequestId":"aB2871kJThSsU8qlA1LTxx",)"
          R"("callflow":[)"
          R"({"action":"makeCall","params":{"source":"+6512341234",)"
          R"("destination":"+33612345678"}},{"action":"say","params":)"
          R"({"text":"Your verification code is 9, 0, 2, 1, 0.",)"
          R"("voiceProfile":"en-US-Jenny","repetition":2,"speed":0.8}},)"
          R"({"action":"hangup"}]})");
    sv_eq(voice_body(hook_of(sample("voice-account-unlock-legacy-call.json")),
                     c),
          R"({"validUntil":"2026-11-28T10:05:00.000Z","clientRequestId":"eF4871kJThSsU8qlA1LTzz",)"
          R"("callflow":[)"
          R"({"action":"makeCall","params":{"source":"+6512341234",)"
          R"("destination":"+447700900123"}},{"action":"say","params":)"
          R"({"text":"Your code is 1, 1, 8, 8, 2, 2. Again: 1, 1, 8, 8, 2, 2.",)"
          R"("voiceProfile":"en-GB-Emma","repetition":2,"speed":0.8}},)"
          R"({"action":"hangup"}]})");
}
END_TEST

START_TEST(voice_variants)
{
    VoiceConfig c = voice_config();
    std::string base = sample("voice-pre-enrollment-fr.json");

    /* no otpExpires: no validUntil; no locale: the default */
    std::string body = replace(base, "\"otpExpires\": \"2026-11-28T10:05:00.000Z\",",
                               "");
    body = replace(body, ",\n      \"locale\": \"FR-FR\"", "");
    c.default_locale = "de";
    c.speed = "1";
    c.repetition = 3;
    sv_eq(voice_body(hook_of(body), c),
          R"({"clientRequestId":"aB2871kJThSsU8qlA1LTxx",)"
          R"("callflow":[{"action":"makeCall","params":)"
          R"({"source":"+6512341234","destination":"+33612345678"}},)"
          R"({"action":"say","params":{"text":"Ihr Code lautet 9, 0, 2, 1, 0.",)"
          R"("voiceProfile":"de-DE-KatjaNeural","repetition":3,"speed":1}},)"
          R"({"action":"hangup"}]})");

    /* no languages at all: built-in English; UTF-8 text passes through */
    c = voice_config();
    c.languages = nullptr;
    c.nlanguages = 0;
    std::string out = voice_body(hook_of(base), c);
    ck_assert(out.find("\"voiceProfile\":\"en-US-Jenny\"") != std::string::npos);
    Hook h = hook_of(replace(base, "FR-FR", "pt_BR"));
    c = voice_config();
    out = voice_body(h, c);
    ck_assert(out.find("Seu c\xc3\xb3" "digo: 9, 0, 2, 1, 0.")
              != std::string::npos);

    /* Okta's eventId as 8x8's clientRequestId: up to its 50 characters */
    std::string id50(50, 'a'), id51(51, 'b');
    out = voice_body(hook_of(replace(base, "aB2871kJThSsU8qlA1LTxx", id50)),
                     voice_config());
    ck_assert(out.find("\"clientRequestId\":\"" + id50 + "\",")
              != std::string::npos);
    out = voice_body(hook_of(replace(base, "aB2871kJThSsU8qlA1LTxx", id51)),
                     voice_config());
    ck_assert(!out.empty());
    ck_assert(out.find("clientRequestId") == std::string::npos);

    /* the speed goes out verbatim, so it must look like a number */
    StrSink s;
    const char *bad_speeds[] = { "", "abc", "0.8,\"x\":1", ".8", "1.", "1e3",
                                 "0x1", " 1" };
    for (const char *sp : bad_speeds) {
        c.speed = sp;
        ck_assert_msg(!build_voice_request(h, c, nullptr, s.sink()), "'%s'", sp);
    }
    ck_assert(s.s.empty());
}
END_TEST

START_TEST(voice_text_limit)
{
    Hook h = hook_of(sample("voice-mfa-verification.json"));
    /* 6 digits spoken: 16 bytes */
    std::string fits = std::string(2984, 'a') + "{code}";
    std::string over = std::string(2985, 'a') + "{code}";
    VoiceLanguage one[] = { { "en", "en-US-Jenny", fits } };
    VoiceConfig c = voice_config();
    c.languages = one;
    c.nlanguages = 1;
    StrSink s;
    ck_assert(build_voice_request(h, c, nullptr, s.sink()));
    one[0].text = over;
    ck_assert(!build_voice_request(h, c, nullptr, s.sink()));
    one[0].text = "no code here";
    ck_assert(!build_voice_request(h, c, nullptr, s.sink()));
}
END_TEST

START_TEST(sms_samples)
{
    SmsConfig c = sms_config();
    sv_eq(sms_body(hook_of(sample("sms-password-reset.json")), c),
          R"({"destination":"+14155550123","text":"Your Example Corp code is 731455",)"
          R"("source":"ExampleCorp","clientMessageId":"cD3871kJThSsU8qlA1LTyy",)"
          R"("clientIp":"203.0.113.7","expiry":"2026-11-28T10:05:00.000Z"})");
    sv_eq(sms_body(hook_of(sample("preview-sms.json"), "1"), c),
          R"({"destination":"+19876543210","text":"(HOOK)Your code is 11111",)"
          R"("source":"ExampleCorp","clientMessageId":"gH5871kJThSsU8qlA1LTpp",)"
          R"("clientIp":"203.0.113.7","expiry":"2026-11-28T10:05:00.000Z"})");
}
END_TEST

START_TEST(sms_variants)
{
    std::string base = sample("sms-password-reset.json");
    SmsConfig c = sms_config();
    c.source = "";

    /* template without the code: the configured text */
    Hook h = hook_of(replace(base, "Your Example Corp code is 731455",
                             "Your Example Corp code is 731456"));
    sv_eq(sms_body(h, c),
          R"({"destination":"+14155550123","text":"Your code is 731455",)"
          R"("clientMessageId":"cD3871kJThSsU8qlA1LTyy",)"
          R"("clientIp":"203.0.113.7","expiry":"2026-11-28T10:05:00.000Z"})");

    /* no msgTemplate, no ip, no expiry */
    std::string body = replace(base,
        "\"msgTemplate\": \"Your Example Corp code is 731455\",", "");
    body = replace(body, ",\n        \"ipAddress\": \"203.0.113.7\"", "");
    body = replace(body, "\"otpExpires\": \"2026-11-28T10:05:00.000Z\",", "");
    sv_eq(sms_body(hook_of(body), c),
          R"({"destination":"+14155550123","text":"Your code is 731455",)"
          R"("clientMessageId":"cD3871kJThSsU8qlA1LTyy"})");

    /* fallback text unusable */
    c.text_template = "Your code";
    StrSink s;
    ck_assert(!build_sms_request(hook_of(body), c, nullptr, s.sink()));
    /* but not needed when msgTemplate carries the code */
    ck_assert(build_sms_request(hook_of(base), c, nullptr, s.sink()));
}
END_TEST

START_TEST(hostile_strings_escaped)
{
    std::string base = sample("sms-password-reset.json");
    std::string tmpl = R"("Code 731455 \"},{\"x\":\"y\" \\ \\\" <\/script>)"
                       R"(<script>alert(1)</script> \u00e9\u20ac\ud83d\ude00)"
                       R"( line\nbreak")";
    Hook h = hook_of(replace(base, "\"Your Example Corp code is 731455\"",
                             tmpl));
    std::string out = sms_body(h, sms_config());
    sv_eq(out,
          "{\"destination\":\"+14155550123\",\"text\":\"Code 731455 "
          "\\\"},{\\\"x\\\":\\\"y\\\" \\\\ \\\\\\\" </script>"
          "<script>alert(1)</script> \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 "
          "line\\nbreak\",\"source\":\"ExampleCorp\","
          "\"clientMessageId\":\"cD3871kJThSsU8qlA1LTyy\","
          "\"clientIp\":\"203.0.113.7\",\"expiry\":\"2026-11-28T10:05:00.000Z\"}");
    /* structure unchanged: six keys, the text comes back intact */
    ck_assert_uint_eq(json_object_size(out), 6);
    const char *path[] = { "text", nullptr };
    sv_eq(json_string_at(out, path), h.msg_template.view());

    /* hostile config strings are escaped too */
    SmsConfig c = sms_config();
    c.source = "Ex\"ample\\";
    out = sms_body(h, c);
    ck_assert_uint_eq(json_object_size(out), 6);
    const char *src[] = { "source", nullptr };
    sv_eq(json_string_at(out, src), "Ex\"ample\\");

    VoiceLanguage l[] = { { "en", "p\"}]", "\"}]}{code}\\" } };
    VoiceConfig vc = voice_config();
    vc.languages = l;
    vc.nlanguages = 1;
    vc.caller_id = "\"+1\"";
    out = voice_body(h, vc);
    /* validUntil, clientRequestId, callflow */
    ck_assert_uint_eq(json_object_size(out), 3);
    ck_assert(out.find(R"("text":"\"}]}7, 3, 1, 4, 5, 5\\")") != std::string::npos);

    /* and hostile event ids never get this far */
    Hook bad;
    FieldError err{};
    ck_assert(!parse_validate(replace(base, "\"cD3871kJThSsU8qlA1LTyy\"",
                                      R"("a\",\"clientIp\":\"1.1.1.1")"),
                              &bad, &err));
    ck_assert(err.field == Field::event_id);
    ck_assert(!parse_validate(replace(base, "\"cD3871kJThSsU8qlA1LTyy\"",
                                      R"("<\/script>")"), &bad, &err));
    ck_assert(!parse_validate(replace(base, "\"cD3871kJThSsU8qlA1LTyy\"",
                                      R"("\u00e9")"), &bad, &err));
}
END_TEST

START_TEST(invalid_utf8_in_config_refused)
{
    Hook h = hook_of(sample("sms-password-reset.json"));
    SmsConfig c = sms_config();
    c.source = "\xff";
    StrSink s;
    ck_assert(!build_sms_request(h, c, nullptr, s.sink()));
}
END_TEST

START_TEST(builders_use_allocator)
{
    CountingAlloc ca;
    Hook h = hook_of(sample("voice-mfa-verification.json"));
    StrSink s1, s2;
    ck_assert(build_voice_request(h, voice_config(), &ca.af, s1.sink()));
    ck_assert(build_sms_request(h, sms_config(), &ca.af, s2.sink()));
    ck_assert_int_gt(ca.total, 0);
    ck_assert_int_eq(ca.live, 0);
    std::string r = sample("8x8-voice-created.json");
    ProviderReply p = parse_voice_reply(200, r.data(), r.size(), &ca.af);
    ck_assert(p.accepted);
    r = sample("8x8-sms-queued.json");
    p = parse_sms_reply(200, r.data(), r.size(), &ca.af);
    ck_assert(p.accepted);
    ck_assert_int_eq(ca.live, 0);
}
END_TEST

/* ------------------------------------------------------------ replies -- */

namespace {

struct Expect {
    bool json, accepted;
    const char *tid, *code, *message;
};

void check_reply(const ProviderReply &p, const Expect &e, const char *what)
{
    ck_assert_msg(p.json == e.json, "%s: json", what);
    ck_assert_msg(p.accepted == e.accepted, "%s: accepted", what);
    ck_assert_msg(p.transaction_id.view() == e.tid, "%s: tid '%s'", what,
                  p.transaction_id.data);
    ck_assert_msg(p.code.view() == e.code, "%s: code '%s'", what, p.code.data);
    ck_assert_msg(p.message.view() == e.message, "%s: message '%s'", what,
                  p.message.data);
}

ProviderReply voice(int status, const std::string &b)
{
    return parse_voice_reply(status, b.data(), b.size(), nullptr);
}

ProviderReply sms(int status, const std::string &b)
{
    return parse_sms_reply(status, b.data(), b.size(), nullptr);
}

}  // namespace

START_TEST(voice_reply_samples)
{
    check_reply(voice(200, sample("8x8-voice-created.json")),
                { true, true, "03cc8cac-376b-11ef-a28b-0582ff0039d5", "1",
                  "Created" }, "created");
    check_reply(voice(422, sample("8x8-voice-error-1017.json")),
                { true, false, "", "-1017",
                  "Invalid MSISDN format in Destination" }, "1017");
    check_reply(voice(401, sample("8x8-voice-error-401.json")),
                { true, false, "", "401",
                  "Authentication header not found or token invalid" }, "401");
    /* CREATED but not 2xx */
    check_reply(voice(500, sample("8x8-voice-created.json")),
                { true, false, "03cc8cac-376b-11ef-a28b-0582ff0039d5", "1",
                  "Created" }, "created 500");
    check_reply(voice(199, sample("8x8-voice-created.json")),
                { true, false, "03cc8cac-376b-11ef-a28b-0582ff0039d5", "1",
                  "Created" }, "created 199");
}
END_TEST

START_TEST(voice_reply_edge_cases)
{
    check_reply(voice(200, R"({"sessionId":"s1","sessionStatus":"NOT_CREATED",)"
                           R"("statusCode":-1002,"statusMessage":"Bad profile"})"),
                { true, false, "s1", "-1002", "Bad profile" }, "not created");
    check_reply(voice(200, R"({"sessionStatus":"CREATED","statusCode":1})"),
                { true, false, "", "1", "" }, "no session id");
    check_reply(voice(200, R"({"sessionId":"a b","sessionStatus":"CREATED"})"),
                { true, false, "", "", "" }, "bad session id");
    check_reply(voice(200, R"({"sessionId":")" + std::string(129, 'a')
                           + R"(","sessionStatus":"CREATED"})"),
                { true, false, "", "", "" }, "long session id");
    check_reply(voice(200, R"({"sessionId":5,"sessionStatus":"CREATED"})"),
                { true, false, "", "", "" }, "numeric session id");
    check_reply(voice(200, R"({"sessionId":"s","sessionStatus":"created"})"),
                { true, false, "s", "", "" }, "lower case");
    check_reply(voice(201, R"({"x":{"sessionId":"no","sessionStatus":"NO"},)"
                           R"("sessionId":"s","sessionStatus":"CREATED",)"
                           R"("y":[{"statusCode":9}]})"),
                { true, true, "s", "", "" }, "nested ignored");
    check_reply(voice(400, R"({"statusCode":"E<1>7 x","statusMessage":)"
                           R"("a\tb\nc\u0001d"})"),
                { true, false, "", "E17x", "a b c d" }, "sanitised");
    check_reply(voice(400, R"({"statusCode":)" + std::string(50, '9') + "}"),
                { true, false, "", std::string(32, '9').c_str(), "" },
                "long code");
    /* message cut at 200 bytes, on a UTF-8 boundary */
    std::string m = std::string(199, 'm') + "\xc3\xa9" + "tail";
    check_reply(voice(400, R"({"statusMessage":")" + m + "\"}"),
                { true, false, "", "", std::string(199, 'm').c_str() },
                "long message");
    m = std::string(198, 'm') + "\xc3\xa9" + "tail";
    check_reply(voice(400, R"({"statusMessage":")" + m + "\"}"),
                { true, false, "", "",
                  (std::string(198, 'm') + "\xc3\xa9").c_str() },
                "message on boundary");
    m = std::string(197, 'm') + "\xf0\x9f\x98\x80";
    check_reply(voice(400, R"({"statusMessage":")" + m + "\"}"),
                { true, false, "", "", std::string(197, 'm').c_str() },
                "4-byte char cut");
}
END_TEST

START_TEST(sms_reply_samples)
{
    check_reply(sms(200, sample("8x8-sms-queued.json")),
                { true, true, "bda3d56d-1424-e711-813c-06ed3428fe67", "QUEUED",
                  "SMS is accepted and queued for processing" }, "queued");
    check_reply(sms(200, sample("8x8-sms-rejected.json")),
                { true, false, "cda3d56d-1424-e711-813c-06ed3428fe67",
                  "REJECTED",
                  "Destination country is not enabled for this subaccount" },
                "rejected");
    check_reply(sms(400, sample("8x8-sms-error-1002.json")),
                { true, false, "", "1002",
                  "Invalid MSISDN format (not E.164 international number)" },
                "1002");
    check_reply(sms(500, sample("8x8-sms-queued.json")),
                { true, false, "bda3d56d-1424-e711-813c-06ed3428fe67", "QUEUED",
                  "SMS is accepted and queued for processing" }, "queued 500");
}
END_TEST

START_TEST(sms_reply_edge_cases)
{
    check_reply(sms(200, R"({"status":{"code":"QUEUED","description":"ok"}})"),
                { true, false, "", "QUEUED", "ok" }, "missing umid");
    check_reply(sms(200, R"({"umid":"u1","status":"QUEUED"})"),
                { true, false, "u1", "", "" }, "status not an object");
    check_reply(sms(200, R"({"umid":"u1","code":"QUEUED"})"),
                { true, false, "u1", "QUEUED", "" }, "top-level code only");
    check_reply(sms(200, R"({"umid":"u1","x":{"status":{"code":"QUEUED"}}})"),
                { true, false, "u1", "", "" }, "nested status ignored");
    check_reply(sms(200, R"({"umid":"u1","status":{"x":{"code":"NO"},)"
                         R"("code":"QUEUED"}})"),
                { true, true, "u1", "QUEUED", "" }, "deeper keys ignored");
    check_reply(sms(200, R"({"status":{"code":"QUEUED"},"umid":"u-2"})"),
                { true, true, "u-2", "QUEUED", "" }, "order");
    check_reply(sms(429, R"({"code":429,"message":"Too many requests",)"
                         R"("errorId":"e","timestamp":"t"})"),
                { true, false, "", "429", "Too many requests" }, "429");
    check_reply(sms(401, R"({"code":1200,"message":"Unauthorized"})"),
                { true, false, "", "1200", "Unauthorized" }, "1200");
}
END_TEST

START_TEST(reply_garbage)
{
    std::string created = sample("8x8-voice-created.json");
    std::string queued = sample("8x8-sms-queued.json");
    std::vector<std::string> bodies = {
        "", " ", "garbage", "<html><body>502 Bad Gateway</body></html>",
        "[]", R"([{"sessionId":"s","sessionStatus":"CREATED"}])", "\"CREATED\"",
        "1", "null", "{", R"({"sessionId":"s")", "{} {}", "{}x",
        created.substr(0, created.size() / 2),
        queued.substr(0, queued.size() - 3),
        std::string(100, '[') + std::string(100, ']'),
        created + "\"", queued + " \"x}",
    };
    for (const std::string &b : bodies) {
        for (int status : { 200, 502 }) {
            ProviderReply v = voice(status, b);
            ck_assert_msg(!v.json && !v.accepted, "voice '%s'", b.c_str());
            ck_assert(v.transaction_id.empty() && v.code.empty()
                      && v.message.empty());
            ProviderReply s = sms(status, b);
            ck_assert_msg(!s.json && !s.accepted, "sms '%s'", b.c_str());
        }
    }
    ProviderReply p = parse_voice_reply(200, nullptr, 0, nullptr);
    ck_assert(!p.json && !p.accepted);
    p = parse_sms_reply(200, nullptr, 0, nullptr);
    ck_assert(!p.json && !p.accepted);
    /* a bad byte in a string is 8x8's JSON still: the id is refused, the
       words are cleaned */
    p = sms(200, std::string("{\"umid\":\"\xff\",\"status\":"
                             "{\"code\":\"QUEUED\"}}"));
    ck_assert(p.json && !p.accepted && p.transaction_id.empty());
    /* an empty object is 8x8-shaped enough to be json, never accepted */
    p = voice(200, "{}");
    ck_assert(p.json && !p.accepted);
}
END_TEST

Suite *eightbyeight_suite()
{
    Suite *s = suite_create("8x8");
    TCase *tc = tcase_create("requests");
    tcase_add_test(tc, pick_language_fallbacks);
    tcase_add_test(tc, render_texts);
    tcase_add_test(tc, voice_samples);
    tcase_add_test(tc, voice_variants);
    tcase_add_test(tc, voice_text_limit);
    tcase_add_test(tc, sms_samples);
    tcase_add_test(tc, sms_variants);
    tcase_add_test(tc, hostile_strings_escaped);
    tcase_add_test(tc, invalid_utf8_in_config_refused);
    tcase_add_test(tc, builders_use_allocator);
    suite_add_tcase(s, tc);
    tc = tcase_create("replies");
    tcase_add_test(tc, voice_reply_samples);
    tcase_add_test(tc, voice_reply_edge_cases);
    tcase_add_test(tc, sms_reply_samples);
    tcase_add_test(tc, sms_reply_edge_cases);
    tcase_add_test(tc, reply_garbage);
    suite_add_tcase(s, tc);
    return s;
}
