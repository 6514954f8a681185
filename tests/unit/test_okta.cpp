/* Okta answers, decide(), secret comparison. */

#include <cstring>
#include <string>

#include "core_util.hpp"
#include "test_util.hpp"

using namespace oktatel;
using namespace testutil;

namespace {

std::string action(Status s, std::string_view provider, std::string_view tid,
                   std::string_view meta)
{
    StrSink out;
    ck_assert(build_okta_action(s, provider, tid, meta, nullptr, out.sink()));
    return out.s;
}

std::string error(std::string_view summary, const FieldError *cause)
{
    StrSink out;
    ck_assert(build_okta_error(summary, cause, nullptr, out.sink()));
    return out.s;
}

ProviderReply reply(Channel ch, int status, const std::string &body)
{
    return ch == Channel::voice
           ? parse_voice_reply(status, body.data(), body.size(), nullptr)
           : parse_sms_reply(status, body.data(), body.size(), nullptr);
}

}  // namespace

START_TEST(status_names)
{
    ck_assert_str_eq(status_name(Status::successful), "SUCCESSFUL");
    ck_assert_str_eq(status_name(Status::pending), "PENDING");
    ck_assert_str_eq(status_name(Status::failed), "FAILED");
}
END_TEST

START_TEST(action_bodies)
{
    sv_eq(action(Status::successful, "8x8",
                 "03cc8cac-376b-11ef-a28b-0582ff0039d5",
                 "8x8 voice HTTP 200 1: Created"),
          R"({"commands":[{"type":"com.okta.telephony.action","value":[)"
          R"({"status":"SUCCESSFUL","provider":"8x8",)"
          R"("transactionId":"03cc8cac-376b-11ef-a28b-0582ff0039d5",)"
          R"("transactionMetadata":"8x8 voice HTTP 200 1: Created"}]}]})");
    sv_eq(action(Status::failed, "8x8", "", "8x8 sms HTTP 502: x"),
          R"({"commands":[{"type":"com.okta.telephony.action","value":[)"
          R"({"status":"FAILED","provider":"8x8",)"
          R"("transactionMetadata":"8x8 sms HTTP 502: x"}]}]})");
    sv_eq(action(Status::pending, "", "", ""),
          R"({"commands":[{"type":"com.okta.telephony.action","value":[)"
          R"({"status":"PENDING"}]}]})");
    sv_eq(action(Status::failed, "8x8", "", "say \"hi\" \\ \xc3\xa9"),
          R"({"commands":[{"type":"com.okta.telephony.action","value":[)"
          R"({"status":"FAILED","provider":"8x8",)"
          "\"transactionMetadata\":\"say \\\"hi\\\" \\\\ \xc3\xa9\"}]}]}");
    StrSink out;
    ck_assert(!build_okta_action(Status::failed, "8x8", "", "bad \xc3", nullptr,
                                 out.sink()));
}
END_TEST

START_TEST(error_bodies)
{
    FieldError fe{Field::phone_number, "must have 8 to 15 digits"};
    sv_eq(error("Invalid phone number", &fe),
          R"({"error":{"errorSummary":"Invalid phone number","errorCauses":[)"
          R"({"errorSummary":"data.messageProfile.phoneNumber must have 8 to 15 digits",)"
          R"("reason":"must have 8 to 15 digits","locationType":"body",)"
          R"("location":"data.messageProfile.phoneNumber","domain":"end-user"}]}})");
    sv_eq(error("body is not valid JSON", nullptr),
          R"({"error":{"errorSummary":"body is not valid JSON"}})");
    FieldError ev{Field::event_id, "is required"};
    sv_eq(error("bad hook", &ev),
          R"({"error":{"errorSummary":"bad hook","errorCauses":[)"
          R"({"errorSummary":"eventId is required","reason":"is required",)"
          R"("locationType":"body","location":"eventId","domain":"end-user"}]}})");
}
END_TEST

START_TEST(error_from_validation)
{
    Hook h;
    FieldError err{};
    std::string body = replace(sample("voice-mfa-verification.json"),
                               "\"+6598765432\"", "\"+6512\"");
    ck_assert(!parse_validate(body, &h, &err));
    std::string out = error("Invalid request", &err);
    ck_assert(out.find(R"("errorSummary":"data.messageProfile.phoneNumber must have 8 to 15 digits")")
              != std::string::npos);
}
END_TEST

START_TEST(decide_texts)
{
    struct {
        Channel ch;
        int status;
        const char *body_sample, *body;
        Status want;
        const char *meta;
    } cases[] = {
        { Channel::voice, 200, "8x8-voice-created.json", nullptr,
          Status::successful, "8x8 voice HTTP 200 1: Created" },
        { Channel::voice, 422, "8x8-voice-error-1017.json", nullptr,
          Status::failed,
          "8x8 voice HTTP 422 -1017: Invalid MSISDN format in Destination" },
        { Channel::voice, 401, "8x8-voice-error-401.json", nullptr,
          Status::failed, "8x8 voice HTTP 401 401: Authentication header not "
          "found or token invalid" },
        { Channel::sms, 200, "8x8-sms-queued.json", nullptr,
          Status::successful,
          "8x8 sms HTTP 200 QUEUED: SMS is accepted and queued for processing" },
        { Channel::sms, 200, "8x8-sms-rejected.json", nullptr, Status::failed,
          "8x8 sms HTTP 200 REJECTED: Destination country is not enabled for "
          "this subaccount" },
        { Channel::sms, 400, "8x8-sms-error-1002.json", nullptr, Status::failed,
          "8x8 sms HTTP 400 1002: Invalid MSISDN format (not E.164 "
          "international number)" },
        { Channel::voice, 502, nullptr, "<html>Bad Gateway</html>",
          Status::failed, "8x8 voice HTTP 502: reply is not 8x8 JSON" },
        { Channel::sms, 504, nullptr, "", Status::failed,
          "8x8 sms HTTP 504: reply is not 8x8 JSON" },
        { Channel::voice, 500, nullptr, "{}", Status::failed,
          "8x8 voice HTTP 500: not accepted" },
        { Channel::sms, 503, nullptr, R"({"message":"down"})", Status::failed,
          "8x8 sms HTTP 503: down" },
    };
    for (auto &c : cases) {
        std::string body = c.body_sample ? sample(c.body_sample) : c.body;
        ProviderReply r = reply(c.ch, c.status, body);
        char meta[256];
        std::memset(meta, 'Z', sizeof(meta));
        Status s = decide(c.ch, c.status, r, meta, sizeof(meta));
        ck_assert_msg(s == c.want, "%s", c.meta);
        ck_assert_str_eq(meta, c.meta);
    }
}
END_TEST

START_TEST(decide_bounded)
{
    std::string body = sample("8x8-voice-error-1017.json");
    ProviderReply r = reply(Channel::voice, 422, body);
    char meta[16];
    std::memset(meta, 'Z', sizeof(meta));
    ck_assert(decide(Channel::voice, 422, r, meta, sizeof(meta))
              == Status::failed);
    ck_assert_str_eq(meta, "8x8 voice HTTP ");
    char one[1] = { 'Z' };
    ck_assert(decide(Channel::voice, 422, r, one, 1) == Status::failed);
    ck_assert_int_eq(one[0], 0);
    ck_assert(decide(Channel::voice, 422, r, nullptr, 0) == Status::failed);

    /* never cut inside a UTF-8 sequence: the text goes into JSON */
    body = "{\"statusMessage\":\"\xc3\xa9\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}";
    r = reply(Channel::voice, 400, body);
    const char *full = "8x8 voice HTTP 400: \xc3\xa9\xc3\xa9\xe2\x82\xac"
                       "\xf0\x9f\x98\x80";
    std::size_t flen = std::strlen(full);
    for (std::size_t cap = 1; cap <= flen + 1; cap++) {
        char buf[64];
        decide(Channel::voice, 400, r, buf, cap);
        std::size_t n = std::strlen(buf);
        ck_assert_uint_lt(n, cap);
        ck_assert(std::memcmp(buf, full, n) == 0);
        StrSink out;
        ck_assert_msg(build_okta_action(Status::failed, "8x8", "", buf, nullptr,
                                        out.sink()), "cap %zu", cap);
    }
    char buf[64];
    decide(Channel::voice, 400, r, buf, 22);   /* room for 21 bytes */
    ck_assert_str_eq(buf, "8x8 voice HTTP 400: ");
    decide(Channel::voice, 400, r, buf, 23);
    ck_assert_str_eq(buf, "8x8 voice HTTP 400: \xc3\xa9");
}
END_TEST

START_TEST(fixed_formatting)
{
    char t[24];
    const struct { long long v; const char *text; } nums[] = {
        { 0, "0" }, { 7, "7" }, { 200, "200" }, { -1017, "-1017" },
        { 9223372036854775807LL, "9223372036854775807" },
        { -9223372036854775807LL - 1, "-9223372036854775808" },
    };
    for (const auto &c : nums) {
        std::size_t n = oktatel::detail::format_int(c.v, t);
        std::string got(t, n);
        ck_assert_str_eq(got.c_str(), c.text);
    }

    char buf[8];
    oktatel::detail::Appender a(buf, sizeof(buf));
    a << "HTTP " << 422LL;
    ck_assert_str_eq(buf, "HTTP 42");            /* cut, NUL-terminated */
    ck_assert_uint_eq(a.total(), 8);             /* as snprintf counts */
    a << "more";
    ck_assert_str_eq(buf, "HTTP 42");
    ck_assert_uint_eq(a.total(), 12);

    char one[1];
    oktatel::detail::Appender b(one, 1);
    b << "x";
    ck_assert_str_eq(one, "");
    oktatel::detail::Appender z(nullptr, 0);     /* no room at all */
    z << "x" << 5LL;
    ck_assert_uint_eq(z.total(), 2);
}
END_TEST


START_TEST(secrets)
{
    ck_assert(secret_equal("s3cr3t-value", "s3cr3t-value"));
    ck_assert(!secret_equal("s3cr3t-valuf", "s3cr3t-value"));   /* last byte */
    ck_assert(!secret_equal("t3cr3t-value", "s3cr3t-value"));
    ck_assert(!secret_equal("s3cr3t", "s3cr3t-value"));         /* prefix */
    ck_assert(!secret_equal("s3cr3t-value2", "s3cr3t-value"));  /* longer */
    ck_assert(!secret_equal("s3cr3t-values3cr3t-value", "s3cr3t-value"));
    ck_assert(!secret_equal("", "s3cr3t-value"));
    ck_assert(!secret_equal("x", "xx"));
    ck_assert(!secret_equal("xx", "x"));
    /* an empty configured secret never matches: fail closed */
    ck_assert(!secret_equal("", ""));
    ck_assert(!secret_equal("anything", ""));
    ck_assert(secret_equal(std::string_view("a\0b", 3),
                           std::string_view("a\0b", 3)));
    ck_assert(!secret_equal(std::string_view("a\0c", 3),
                            std::string_view("a\0b", 3)));
    ck_assert(!secret_equal("Bearer abc", "abc"));

    std::string_view two[] = { "old-secret", "new-secret" };
    ck_assert(secret_matches_any("old-secret", two, 2));
    ck_assert(secret_matches_any("new-secret", two, 2));
    ck_assert(!secret_matches_any("new-secreT", two, 2));
    ck_assert(!secret_matches_any("", two, 2));
    ck_assert(!secret_matches_any("old-secret", two, 0));
    ck_assert(!secret_matches_any("old-secret", nullptr, 0));
    std::string_view with_empty[] = { "", "k" };
    ck_assert(!secret_matches_any("", with_empty, 2));
    ck_assert(secret_matches_any("k", with_empty, 2));
}
END_TEST

Suite *okta_suite()
{
    Suite *s = suite_create("okta");
    TCase *tc = tcase_create("answers");
    tcase_add_test(tc, status_names);
    tcase_add_test(tc, action_bodies);
    tcase_add_test(tc, error_bodies);
    tcase_add_test(tc, error_from_validation);
    tcase_add_test(tc, decide_texts);
    tcase_add_test(tc, decide_bounded);
    suite_add_tcase(s, tc);
    tc = tcase_create("secret");
    tcase_add_test(tc, fixed_formatting);
    tcase_add_test(tc, secrets);
    suite_add_tcase(s, tc);
    return s;
}
