/* Outcome names and the judgement of a captured 8x8 reply. */

#include <cstring>

#include "outcome.hpp"
#include "test_util.hpp"

using namespace oktatel;
using namespace testutil;

namespace {

Judgement judge(Channel ch, bool answered, bool overflow, int status,
                const std::string &body, bool redirected = false)
{
    Capture c{answered, overflow, redirected, status, body.data(),
              body.size()};
    Judgement j;
    judge_reply(ch, c, nullptr, &j);
    return j;
}

}  // namespace

START_TEST(outcome_names)
{
    /* the README's list, in the enum's order */
    const char *want[] = {
        "SUCCESSFUL", "PENDING", "FAILED", "invalid", "bad-request",
        "rejected", "preview", "async-accepted", "async-delivered",
        "async-failed", "async-timeout", "blocked", "replayed",
    };
    ck_assert_uint_eq(sizeof(want) / sizeof(want[0]),
                      static_cast<unsigned>(Outcome::count_));
    for (unsigned i = 0; i < static_cast<unsigned>(Outcome::count_); i++) {
        ck_assert_str_eq(outcome_name(static_cast<Outcome>(i)), want[i]);
    }
    ck_assert_str_eq(outcome_name(Outcome::count_), "FAILED");
    ck_assert(outcome_of(Status::successful) == Outcome::successful);
    ck_assert(outcome_of(Status::pending) == Outcome::pending);
    ck_assert(outcome_of(Status::failed) == Outcome::failed);
}
END_TEST

START_TEST(blocked_answers)
{
    BlockedAnswer a;

    blocked_answer("limit number 3/10m", Status::failed, &a);
    ck_assert(a.status == Status::failed);
    ck_assert_str_eq(a.transaction_id, "");
    ck_assert_str_eq(a.meta, "blocked: limit number 3/10m");
    ck_assert_str_eq(a.detail, "\"limit number 3/10m\"");

    blocked_answer("region JM", Status::successful, &a);
    ck_assert(a.status == Status::successful);
    ck_assert_str_eq(a.transaction_id, "blocked");
    ck_assert_str_eq(a.meta, "blocked: region JM");

    /* PENDING is not a blocked status: FAILED */
    blocked_answer("8x8 voice breaker open", Status::pending, &a);
    ck_assert(a.status == Status::failed);
    ck_assert_str_eq(a.meta, "blocked: 8x8 voice breaker open");
}
END_TEST

START_TEST(judge_accepted)
{
    Judgement j = judge(Channel::voice, true, false, 200,
                        sample("8x8-voice-created.json"));
    ck_assert(j.status == Status::successful);
    ck_assert_int_eq(j.http_status, 200);
    ck_assert_ptr_null(j.detail());
    ck_assert_str_eq(j.meta, "");
    sv_eq(j.reply.transaction_id.view(),
          "03cc8cac-376b-11ef-a28b-0582ff0039d5");

    j = judge(Channel::sms, true, false, 200, sample("8x8-sms-queued.json"));
    ck_assert(j.status == Status::successful);
    ck_assert_ptr_null(j.detail());
}
END_TEST

START_TEST(judge_refused)
{
    Judgement j = judge(Channel::voice, true, false, 422,
                        sample("8x8-voice-error-1017.json"));
    ck_assert(j.status == Status::failed);
    ck_assert_int_eq(j.http_status, 422);
    ck_assert_str_eq(j.detail(), "-1017");
    ck_assert_str_eq(j.meta, "8x8 voice HTTP 422 -1017: Invalid MSISDN "
                             "format in Destination");

    j = judge(Channel::sms, true, false, 200, sample("8x8-sms-rejected.json"));
    ck_assert(j.status == Status::failed);
    ck_assert_str_eq(j.detail(), "REJECTED");

    j = judge(Channel::voice, true, false, 500, "{}");
    ck_assert(j.status == Status::failed);
    ck_assert_str_eq(j.detail(), "not-accepted");

    j = judge(Channel::sms, true, false, 200, "<html>ok</html>");
    ck_assert(j.status == Status::failed);
    ck_assert_str_eq(j.detail(), "not-8x8-json");
    ck_assert_str_eq(j.meta, "8x8 sms HTTP 200: reply is not 8x8 JSON");
}
END_TEST

START_TEST(judge_no_reply)
{
    /* no status line: nginx's own status, 502 when it gave none */
    Judgement j = judge(Channel::voice, false, false, 504, "");
    ck_assert(j.status == Status::failed);
    ck_assert_int_eq(j.http_status, 504);
    ck_assert_str_eq(j.detail(), "unreachable");
    ck_assert_str_eq(j.meta, "8x8 voice unreachable (HTTP 504 from nginx)");

    for (int st : {0, -1, 200}) {
        j = judge(Channel::sms, false, false, st, "");
        ck_assert_int_eq(j.http_status, 502);
        ck_assert_str_eq(j.meta, "8x8 sms unreachable (HTTP 502 from nginx)");
    }

    /* a body captured without a status line is not judged */
    j = judge(Channel::voice, false, false, 0,
              sample("8x8-voice-created.json"));
    ck_assert(j.status == Status::failed);
}
END_TEST

START_TEST(judge_overflow)
{
    /* an accepting body cut by the buffer is never SUCCESSFUL */
    Judgement j = judge(Channel::voice, true, true, 200,
                        sample("8x8-voice-created.json"));
    ck_assert(j.status == Status::failed);
    ck_assert_str_eq(j.detail(), "reply-too-large");
    ck_assert_str_eq(j.meta, "8x8 voice HTTP 200: reply larger than "
                             "okta_telephony_reply_buffer_size");
    ck_assert(j.reply.transaction_id.empty());
}
END_TEST

START_TEST(judge_redirected)
{
    /* whatever was captured, a redirect is refused, never SUCCESSFUL */
    for (bool answered : {false, true}) {
        Judgement j = judge(Channel::voice, answered, false, 0,
                            sample("8x8-voice-created.json"), true);
        ck_assert(j.status == Status::failed);
        ck_assert_str_eq(j.detail(), "redirected");
        ck_assert_str_eq(j.meta, "8x8 voice reply redirected inside nginx: "
                                 "refused");
        ck_assert(j.reply.transaction_id.empty());
    }
    Judgement j = judge(Channel::sms, false, true, 0, "", true);
    ck_assert_str_eq(j.detail(), "redirected");
}
END_TEST

START_TEST(budget)
{
    ck_assert_uint_eq(send_budget(2000, 0), 2000);
    ck_assert_uint_eq(send_budget(2000, -5), 2000);
    ck_assert_uint_eq(send_budget(2000, 1850), 150);     /* the floor */
    ck_assert_uint_eq(send_budget(2000, 1851), 0);
    ck_assert_uint_eq(send_budget(2000, 2000), 0);
    ck_assert_uint_eq(send_budget(2000, 99999), 0);
    /* short timeouts: a quarter of them */
    ck_assert_uint_eq(send_budget(400, 300), 100);
    ck_assert_uint_eq(send_budget(400, 301), 0);
    ck_assert_uint_eq(send_budget(1, 0), 1);
    ck_assert_uint_eq(send_budget(1, 1), 0);
    ck_assert_uint_eq(send_budget(0, 0), 0);
}
END_TEST

START_TEST(fixed_texts)
{
    char buf[120];
    timeout_text(Channel::voice, 2000, buf, sizeof(buf));
    ck_assert_str_eq(buf, "8x8 voice did not answer within 2000 ms");
    timeout_text(Channel::sms, 450, buf, 12);
    ck_assert_str_eq(buf, "8x8 sms did");
    buf[0] = 'x';
    timeout_text(Channel::sms, 450, buf, 0);
    ck_assert_int_eq(buf[0], 'x');
    ck_assert_str_eq(http_error_summary(400), "bad request");
    ck_assert_str_eq(http_error_summary(413), "request body is too large");
    ck_assert_str_eq(http_error_summary(494), "request headers are too large");
    ck_assert_str_eq(http_error_summary(418), "request refused");
    ck_assert_str_eq(http_error_summary(599), "internal error");
    ck_assert_str_eq(not_configured_text(Channel::voice),
                     "voice delivery is not configured");
    ck_assert_str_eq(not_configured_text(Channel::sms),
                     "SMS delivery is not configured");
}
END_TEST

Suite *outcome_suite()
{
    Suite *s = suite_create("outcome");
    TCase *tc = tcase_create("outcome");
    tcase_add_test(tc, outcome_names);
    tcase_add_test(tc, blocked_answers);
    tcase_add_test(tc, judge_accepted);
    tcase_add_test(tc, judge_refused);
    tcase_add_test(tc, judge_no_reply);
    tcase_add_test(tc, judge_overflow);
    tcase_add_test(tc, judge_redirected);
    tcase_add_test(tc, budget);
    tcase_add_test(tc, fixed_texts);
    suite_add_tcase(s, tc);
    return s;
}
