/* The metrics: label sets, buckets, the block, and the two renderings. */

#include <yajl/yajl_tree.h>

#include <cstring>
#include <map>
#include <sstream>

#include "abuse.hpp"
#include "metrics.hpp"
#include "test_util.hpp"

using namespace oktatel;
using namespace oktatel::metrics;
using namespace testutil;

namespace {

std::string text_of(const Snapshot &s)
{
    StrSink out;
    render_text(s, out.sink());
    return out.s;
}

std::string json_of(const Snapshot &s)
{
    StrSink out;
    ck_assert(render_json(s, nullptr, out.sink()));
    return out.s;
}

/* "name{labels}" -> value, for every series line of the text */
std::map<std::string, std::string> text_series(const std::string &text)
{
    std::map<std::string, std::string> m;
    std::istringstream in(text);
    std::string line;

    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        std::size_t sp = line.rfind(' ');
        ck_assert(sp != std::string::npos);
        ck_assert_msg(m.emplace(line.substr(0, sp), line.substr(sp + 1))
                          .second, "series twice: %s", line.c_str());
    }
    return m;
}

std::string labels_of(yajl_val obj, const char *skip1, const char *skip2,
                      const char *skip3, const std::string &extra)
{
    std::string s;
    for (std::size_t i = 0; i < obj->u.object.len; i++) {
        const char *k = obj->u.object.keys[i];
        if (!std::strcmp(k, skip1) || !std::strcmp(k, skip2)
            || !std::strcmp(k, skip3))
        {
            continue;
        }
        ck_assert(YAJL_IS_STRING(obj->u.object.values[i]));
        s += s.empty() ? "" : ",";
        s += std::string(k) + "=\"";
        /* as the text escapes a label value */
        for (const char *p = YAJL_GET_STRING(obj->u.object.values[i]); *p;
             p++)
        {
            s += *p == '"' ? "\\\"" : *p == '\\' ? "\\\\"
                 : *p == '\n' ? "\\n" : std::string(1, *p);
        }
        s += "\"";
    }
    if (!extra.empty()) {
        s += (s.empty() ? "" : ",") + extra;
    }
    return s.empty() ? s : "{" + s + "}";
}

void put(std::map<std::string, std::string> *m, const std::string &k,
         yajl_val v)
{
    ck_assert(YAJL_IS_NUMBER(v));
    ck_assert_msg(m->emplace(k, YAJL_GET_NUMBER(v)).second, "twice: %s",
                  k.c_str());
}

/* the same map from the JSON form */
std::map<std::string, std::string> json_series(const std::string &json)
{
    std::map<std::string, std::string> m;
    char err[200];
    yajl_val root = yajl_tree_parse(json.c_str(), err, sizeof(err));

    ck_assert_msg(root != nullptr, "JSON: %s", err);
    ck_assert(YAJL_IS_OBJECT(root));
    for (std::size_t f = 0; f < root->u.object.len; f++) {
        std::string name = root->u.object.keys[f];
        yajl_val arr = root->u.object.values[f];
        ck_assert(YAJL_IS_ARRAY(arr));
        for (std::size_t i = 0; i < arr->u.array.len; i++) {
            yajl_val o = arr->u.array.values[i];
            const char *vp[] = { "value", nullptr };
            yajl_val v = yajl_tree_get(o, vp, yajl_t_any);
            if (v != nullptr) {
                put(&m, name + labels_of(o, "value", "", "", ""), v);
                continue;
            }
            const char *bp[] = { "buckets", nullptr };
            const char *sp[] = { "sum", nullptr };
            const char *cp[] = { "count", nullptr };
            yajl_val b = yajl_tree_get(o, bp, yajl_t_object);
            ck_assert(b != nullptr);
            for (std::size_t k = 0; k < b->u.object.len; k++) {
                std::string le = std::string("le=\"") + b->u.object.keys[k]
                                 + "\"";
                put(&m, name + "_bucket"
                        + labels_of(o, "buckets", "sum", "count", le),
                    b->u.object.values[k]);
            }
            put(&m, name + "_sum" + labels_of(o, "buckets", "sum", "count", ""),
                yajl_tree_get(o, sp, yajl_t_number));
            put(&m, name + "_count"
                    + labels_of(o, "buckets", "sum", "count", ""),
                yajl_tree_get(o, cp, yajl_t_number));
        }
    }
    yajl_tree_free(root);
    return m;
}

bool has_line(const std::string &text, const std::string &line)
{
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

/* a block with a known mix */
void fill(Block *b)
{
    block_init(b);
    b->hooks[(int) HookChannel::voice][outcome_index(Outcome::successful)] = 3;
    b->hooks[(int) HookChannel::sms][outcome_index(Outcome::failed)] = 2;
    b->hooks[(int) HookChannel::other]
            [outcome_index(Refused::method_not_allowed)] = 1;
    b->blocked[(int) BlockedRule::limit_number] = 4;
    b->auth_failures[(int) AuthFailure::wrong_secret] = 5;
    b->responses[(int) Channel::voice][(int) CodeClass::c2xx]
                [(int) ReplyStatus::accepted] = 3;
    b->responses[(int) Channel::sms][(int) CodeClass::none]
                [(int) ReplyStatus::timeout] = 1;
    b->duration[(int) Channel::voice][bucket_of(10)]++;
    b->duration[(int) Channel::voice][bucket_of(30)]++;
    b->duration[(int) Channel::voice][bucket_of(3500)]++;
    b->duration_sum_ms[(int) Channel::voice] = 3540;
    b->breaker_open[(int) Channel::sms] = 1;
    b->deliveries[(int) Channel::sms][(int) DeliveryState::expired] = 7;
}

}  // namespace


START_TEST(label_names)
{
    ck_assert_str_eq(hook_channel_name(HookChannel::voice), "voice");
    ck_assert_str_eq(hook_channel_name(HookChannel::sms), "sms");
    ck_assert_str_eq(hook_channel_name(HookChannel::other), "other");
    ck_assert(hook_channel(Channel::voice, true) == HookChannel::voice);
    ck_assert(hook_channel(Channel::sms, true) == HookChannel::sms);
    ck_assert(hook_channel(Channel::voice, false) == HookChannel::other);

    ck_assert_uint_eq(n_outcomes, 14);
    for (std::size_t i = 0; i < (std::size_t) Outcome::count_; i++) {
        ck_assert_str_eq(outcome_label(i), outcome_name((Outcome) i));
    }
    ck_assert_str_eq(outcome_label(outcome_index(Refused::method_not_allowed)),
                     "method-not-allowed");

    ck_assert_str_eq(blocked_rule_name(BlockedRule::limit_number),
                     "limit_number");
    ck_assert_str_eq(blocked_rule_name(BlockedRule::dedupe), "dedupe");
    ck_assert_str_eq(blocked_rule_name(BlockedRule::other), "other");
    ck_assert_str_eq(auth_failure_name(AuthFailure::missing), "missing");
    ck_assert_str_eq(auth_failure_name(AuthFailure::repeated), "repeated");
    ck_assert_str_eq(auth_failure_name(AuthFailure::wrong_secret),
                     "wrong_secret");
    ck_assert_str_eq(auth_failure_name(AuthFailure::token), "token");
    ck_assert_str_eq(code_class_name(CodeClass::c2xx), "2xx");
    ck_assert_str_eq(code_class_name(CodeClass::none), "none");
    ck_assert_str_eq(reply_status_name(ReplyStatus::not_8x8_json),
                     "not_8x8_json");
    ck_assert_str_eq(reply_status_name(ReplyStatus::timeout), "timeout");
    ck_assert_str_eq(delivery_state_name(DeliveryState::delivered),
                     "delivered");
}
END_TEST

START_TEST(blocked_rules_from_the_cores_texts)
{
    const char *keys[] = { "number", "prefix", "region", "all" };
    BlockedRule want[] = { BlockedRule::limit_number,
                           BlockedRule::limit_prefix,
                           BlockedRule::limit_region, BlockedRule::limit_all };

    /* the limits' texts as the core makes them */
    for (int i = 0; i < 4; i++) {
        std::string key = std::string("key=") + keys[i];
        std::string_view args[] = { "zone=okta", key, "rate=3/10m" };
        LimitSpec s;
        const char *err = nullptr;
        std::size_t bad = 0;
        ck_assert(parse_limit_args(args, 3, &s, &err, &bad));
        ck_assert(blocked_rule_of(s.rule.text.view()) == want[i]);
    }

    ck_assert(blocked_rule_of(breaker_rule_text(Channel::voice))
              == BlockedRule::breaker);
    ck_assert(blocked_rule_of(breaker_rule_text(Channel::sms))
              == BlockedRule::breaker);
    ck_assert(blocked_rule_of("region JM") == BlockedRule::region);
    ck_assert(blocked_rule_of("region unknown") == BlockedRule::region);
    ck_assert(blocked_rule_of("number type premium_rate")
              == BlockedRule::number_type);
    ck_assert(blocked_rule_of("sms number type voip")
              == BlockedRule::sms_number_type);
    ck_assert(blocked_rule_of("duplicate eventId in flight")
              == BlockedRule::dedupe);
    ck_assert(blocked_rule_of("") == BlockedRule::other);
    ck_assert(blocked_rule_of("regions") == BlockedRule::other);
    ck_assert(blocked_rule_of("8x8 voice") == BlockedRule::other);
}
END_TEST

START_TEST(buckets)
{
    ck_assert_uint_eq(n_buckets, 12);
    ck_assert_uint_eq(bucket_ms[0], 25);
    ck_assert_uint_eq(bucket_ms[n_buckets - 2], 3000);
    ck_assert_uint_eq(bucket_of(0), 0);
    ck_assert_uint_eq(bucket_of(25), 0);
    ck_assert_uint_eq(bucket_of(26), 1);
    ck_assert_uint_eq(bucket_of(1000), 7);
    ck_assert_uint_eq(bucket_of(3000), 10);
    ck_assert_uint_eq(bucket_of(3001), 11);
    ck_assert_uint_eq(bucket_of(~0ull), 11);
    for (std::size_t i = 1; i + 1 < n_buckets; i++) {
        ck_assert_uint_lt(bucket_ms[i - 1], bucket_ms[i]);
    }
}
END_TEST

START_TEST(block_layout_and_init)
{
    Block b;
    std::memset(&b, 0xff, sizeof(b));
    block_init(&b);
    ck_assert_uint_eq(b.layout, block_layout());
    ck_assert_uint_eq(block_layout() & 0xffffffffu, sizeof(Block));
    const std::uint64_t *w = reinterpret_cast<const std::uint64_t *>(&b);
    for (std::size_t i = 1; i < sizeof(b) / 8; i++) {
        ck_assert_uint_eq(w[i], 0);
    }
    /* a block fits one 2 KB slab chunk, the auth reasons have room */
    ck_assert_uint_le(sizeof(Block), 2048);
    ck_assert_uint_gt(auth_failure_slots, (unsigned) AuthFailure::count_);
}
END_TEST

START_TEST(replies_classified)
{
    struct Case {
        Channel ch; bool answered; bool overflow; bool redirected;
        int status; const char *body; CodeClass code; ReplyStatus st;
    } cases[] = {
        { Channel::voice, true, false, false, 200, "8x8-voice-created.json",
          CodeClass::c2xx, ReplyStatus::accepted },
        { Channel::voice, true, false, false, 422, "8x8-voice-error-1017.json",
          CodeClass::c4xx, ReplyStatus::refused },
        { Channel::voice, true, false, false, 401, "8x8-voice-error-401.json",
          CodeClass::c4xx, ReplyStatus::refused },
        { Channel::sms, true, false, false, 200, "8x8-sms-queued.json",
          CodeClass::c2xx, ReplyStatus::accepted },
        { Channel::sms, true, false, false, 200, "8x8-sms-rejected.json",
          CodeClass::c2xx, ReplyStatus::refused },
        { Channel::sms, true, false, false, 502, nullptr,
          CodeClass::c5xx, ReplyStatus::not_8x8_json },
        { Channel::sms, true, true, false, 200, "8x8-sms-queued.json",
          CodeClass::c2xx, ReplyStatus::reply_too_large },
        { Channel::sms, false, false, false, 502, nullptr,
          CodeClass::none, ReplyStatus::unreachable },
        { Channel::voice, false, false, true, 502, nullptr,
          CodeClass::none, ReplyStatus::redirected },
        { Channel::voice, true, false, false, 302, nullptr,
          CodeClass::c3xx, ReplyStatus::not_8x8_json },
        { Channel::voice, true, false, false, 999, nullptr,
          CodeClass::none, ReplyStatus::not_8x8_json },
    };

    for (const Case &k : cases) {
        std::string body = k.body ? sample(k.body) : "<html>bad gateway</html>";
        Capture c{k.answered, k.overflow, k.redirected, k.status, body.data(),
                  body.size()};
        Judgement j;
        CodeClass code;
        ReplyStatus st;

        judge_reply(k.ch, c, nullptr, &j);
        classify_reply(c, j, &code, &st);
        ck_assert_msg(code == k.code && st == k.st, "%s %d: %s %s",
                      k.body ? k.body : "-", k.status, code_class_name(code),
                      reply_status_name(st));
    }
}
END_TEST

START_TEST(text_format)
{
    Block b;
    ZoneStat zones[] = { { "okta", 12, 3 }, { "other", 0, 0 } };
    fill(&b);
    std::string t = text_of(Snapshot{&b, zones, 2});

    ck_assert(t.back() == '\n');
    ck_assert(has_line(t, "# HELP okta_telephony_hooks_total Hooks answered "
                          "(and async deliveries ended), by channel and "
                          "outcome."));
    ck_assert(has_line(t, "# TYPE okta_telephony_hooks_total counter"));
    ck_assert(has_line(t, "okta_telephony_hooks_total{channel=\"voice\","
                          "outcome=\"SUCCESSFUL\"} 3"));
    ck_assert(has_line(t, "okta_telephony_hooks_total{channel=\"sms\","
                          "outcome=\"FAILED\"} 2"));
    ck_assert(has_line(t, "okta_telephony_hooks_total{channel=\"other\","
                          "outcome=\"method-not-allowed\"} 1"));
    ck_assert(has_line(t, "okta_telephony_hooks_total{channel=\"voice\","
                          "outcome=\"blocked\"} 0"));
    ck_assert(has_line(t, "okta_telephony_blocked_total{rule=\"limit_number\"} 4"));
    ck_assert(has_line(t, "okta_telephony_auth_failures_total"
                          "{reason=\"wrong_secret\"} 5"));
    ck_assert(has_line(t, "okta_telephony_8x8_responses_total{channel=\"voice\","
                          "code=\"2xx\",status=\"accepted\"} 3"));
    ck_assert(has_line(t, "okta_telephony_8x8_responses_total{channel=\"sms\","
                          "code=\"none\",status=\"timeout\"} 1"));
    ck_assert(has_line(t, "# TYPE okta_telephony_8x8_duration_seconds "
                          "histogram"));
    ck_assert(has_line(t, "okta_telephony_8x8_duration_seconds_bucket"
                          "{channel=\"voice\",le=\"0.025\"} 1"));
    ck_assert(has_line(t, "okta_telephony_8x8_duration_seconds_bucket"
                          "{channel=\"voice\",le=\"0.05\"} 2"));
    ck_assert(has_line(t, "okta_telephony_8x8_duration_seconds_bucket"
                          "{channel=\"voice\",le=\"0.75\"} 2"));
    ck_assert(has_line(t, "okta_telephony_8x8_duration_seconds_bucket"
                          "{channel=\"voice\",le=\"3\"} 2"));
    ck_assert(has_line(t, "okta_telephony_8x8_duration_seconds_bucket"
                          "{channel=\"voice\",le=\"+Inf\"} 3"));
    ck_assert(has_line(t, "okta_telephony_8x8_duration_seconds_sum"
                          "{channel=\"voice\"} 3.540"));
    ck_assert(has_line(t, "okta_telephony_8x8_duration_seconds_count"
                          "{channel=\"voice\"} 3"));
    ck_assert(has_line(t, "okta_telephony_8x8_duration_seconds_sum"
                          "{channel=\"sms\"} 0.000"));
    ck_assert(has_line(t, "okta_telephony_breaker_open{channel=\"sms\"} 1"));
    ck_assert(has_line(t, "okta_telephony_breaker_open{channel=\"voice\"} 0"));
    ck_assert(has_line(t, "okta_telephony_deliveries_total{channel=\"sms\","
                          "state=\"expired\"} 7"));
    ck_assert(has_line(t, "okta_telephony_zone_entries{zone=\"okta\"} 12"));
    ck_assert(has_line(t, "okta_telephony_zone_evictions_total"
                          "{zone=\"okta\"} 3"));
    ck_assert(has_line(t, "okta_telephony_zone_entries{zone=\"other\"} 0"));

    /* every series of the fixed sets, zeros included */
    std::map<std::string, std::string> m = text_series(t);
    std::size_t want = 3 * 14 + 10 + 4 + 2 * 5 * 7 + 2 * (12 + 2) + 2
                       + 2 * 5 + 2 * 2;
    ck_assert_uint_eq(m.size(), want);
    for (auto &kv : m) {
        ck_assert_msg(kv.first.rfind("okta_telephony_", 0) == 0, "%s",
                      kv.first.c_str());
        ck_assert(!kv.second.empty());
        ck_assert(kv.second.find_first_not_of("0123456789.") ==
                  std::string::npos);
    }
}
END_TEST

START_TEST(text_escapes_zone_names)
{
    Block b;
    ZoneStat zones[] = { { "a\"b\\c\nd", 1, 0 } };
    block_init(&b);
    std::string t = text_of(Snapshot{&b, zones, 1});
    ck_assert(has_line(t, "okta_telephony_zone_entries{zone=\"a\\\"b\\\\c\\nd\"} 1"));

    /* no zone: the families are still declared */
    t = text_of(Snapshot{&b, nullptr, 0});
    ck_assert(has_line(t, "# TYPE okta_telephony_zone_entries gauge"));
    ck_assert(t.find("okta_telephony_zone_entries{") == std::string::npos);
}
END_TEST

START_TEST(json_same_numbers)
{
    Block b;
    ZoneStat zones[] = { { "okta", 12, 3 }, { "q\"uote", 1, 2 } };
    fill(&b);
    b.duration_sum_ms[(int) Channel::sms] = 12345678901ull;
    b.hooks[0][0] = ~0ull;
    Snapshot s{&b, zones, 2};

    std::string j = json_of(s);
    ck_assert(j.find("\"okta_telephony_hooks_total\":[{\"channel\":\"voice\","
                     "\"outcome\":\"SUCCESSFUL\",\"value\":18446744073709551615}")
              != std::string::npos);
    ck_assert(j.find("\"buckets\":{\"0.025\":1,\"0.05\":2,") != std::string::npos);
    ck_assert(j.find("\"sum\":12345678.901,\"count\":0") != std::string::npos);

    /* every series of the text is in the JSON with the same number */
    std::map<std::string, std::string> a = text_series(text_of(s));
    std::map<std::string, std::string> js = json_series(j);
    ck_assert_uint_eq(a.size(), js.size());
    for (auto &kv : a) {
        auto it = js.find(kv.first);
        ck_assert_msg(it != js.end(), "not in JSON: %s", kv.first.c_str());
        ck_assert_msg(it->second == kv.second, "%s: %s vs %s",
                      kv.first.c_str(), kv.second.c_str(), it->second.c_str());
    }
}
END_TEST

START_TEST(json_allocator)
{
    Block b;
    CountingAlloc ca;
    StrSink out;
    fill(&b);
    ck_assert(render_json(Snapshot{&b, nullptr, 0}, &ca.af, out.sink()));
    ck_assert_int_eq(ca.live, 0);
    ck_assert_int_gt(ca.total, 0);
}
END_TEST

START_TEST(health_rules)
{
    static Block b;
    block_init(&b);
    const std::int64_t now = 1800000000, window = 60;
    const std::size_t sms = 0, voice = 1;

    Health h = health_of(b, now, window);          /* nothing sent yet */
    ck_assert(h.up);
    ck_assert(!h.channel[sms].down && h.channel[sms].age == -1);
    ck_assert(h.channel[sms].last == LastReply::none);

    b.last_reply[sms] = static_cast<std::uint64_t>(LastReply::ok);
    b.last_reply_at[sms] = now - 5;
    h = health_of(b, now, window);
    ck_assert(h.up && h.channel[sms].age == 5);

    /* a failed voice reply: down within the window, up after it */
    b.last_reply[voice] = static_cast<std::uint64_t>(LastReply::failed);
    b.last_reply_at[voice] = now - 59;
    h = health_of(b, now, window);
    ck_assert(!h.up && h.channel[voice].down && !h.channel[sms].down);
    h = health_of(b, now + 1, window);
    ck_assert(h.up && !h.channel[voice].down);

    /* an open breaker: down, even after an accepted reply */
    b.last_reply[voice] = static_cast<std::uint64_t>(LastReply::ok);
    b.last_reply_at[voice] = now - 1;
    b.breaker_open[voice] = 1;
    h = health_of(b, now, window);
    ck_assert(!h.up && h.channel[voice].down && h.channel[voice].breaker_open);

    /* a clock that went back: age 0, never negative */
    b.last_reply_at[voice] = now + 100;
    h = health_of(b, now, window);
    ck_assert(h.channel[voice].age == 0 && h.channel[voice].down);

    /* an unknown value in the block reads as none */
    b.last_reply[sms] = 77;
    h = health_of(b, now, window);
    ck_assert(h.channel[sms].last == LastReply::none);

    StrSink out;
    b.last_reply[sms] = static_cast<std::uint64_t>(LastReply::ok);
    b.last_reply_at[voice] = now - 3;
    ck_assert(render_health(health_of(b, now, window), nullptr, out.sink()));
    ck_assert_str_eq(out.s.c_str(),
        "{\"status\":\"down\","
        "\"sms\":{\"state\":\"up\",\"breaker\":\"closed\","
        "\"last_8x8\":\"ok\",\"last_8x8_age\":5},"
        "\"voice\":{\"state\":\"down\",\"breaker\":\"open\","
        "\"last_8x8\":\"ok\",\"last_8x8_age\":3}}");

    StrSink none;
    block_init(&b);
    ck_assert(render_health(health_of(b, now, window), nullptr, none.sink()));
    ck_assert_str_eq(none.s.c_str(),
        "{\"status\":\"up\","
        "\"sms\":{\"state\":\"up\",\"breaker\":\"closed\","
        "\"last_8x8\":\"none\"},"
        "\"voice\":{\"state\":\"up\",\"breaker\":\"closed\","
        "\"last_8x8\":\"none\"}}");
}
END_TEST

START_TEST(jwks_families)
{
    static Block b;
    block_init(&b);
    ZoneStat z[2] = {};
    z[0].name = "plain";
    z[1].name = "keys";
    std::string t = text_of(Snapshot{&b, z, 2});
    ck_assert(t.find("okta_telephony_jwks") == std::string::npos);

    z[1].jwks_documents = 1;
    z[1].jwks_keys = 2;
    z[1].jwks_age = 42;
    z[1].jwks_fetches = 3;
    z[1].jwks_failures = 1;
    t = text_of(Snapshot{&b, z, 2});
    auto series = text_series(t);
    ck_assert_str_eq(series["okta_telephony_jwks_keys{zone=\"keys\"}"].c_str(), "2");
    ck_assert_str_eq(series["okta_telephony_jwks_age_seconds{zone=\"keys\"}"].c_str(), "42");
    ck_assert_str_eq(series["okta_telephony_jwks_fetches_total{zone=\"keys\"}"].c_str(), "3");
    ck_assert_str_eq(series["okta_telephony_jwks_fetch_failures_total{zone=\"keys\"}"].c_str(), "1");
    ck_assert(series.find("okta_telephony_jwks_keys{zone=\"plain\"}") == series.end());
    ck_assert(t.find("# TYPE okta_telephony_jwks_age_seconds gauge\n") != std::string::npos);

    /* a clock that went back shows 0, never a huge unsigned age */
    z[1].jwks_age = -5;
    series = text_series(text_of(Snapshot{&b, z, 2}));
    ck_assert_str_eq(series["okta_telephony_jwks_age_seconds{zone=\"keys\"}"].c_str(), "0");

    /* the JSON has the same numbers */
    std::string j = json_of(Snapshot{&b, z, 2});
    ck_assert(j.find("\"okta_telephony_jwks_keys\":[{\"zone\":\"keys\",\"value\":2}]") != std::string::npos);
}
END_TEST

Suite *metrics_suite()
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("metrics");
    tcase_add_test(tc, label_names);
    tcase_add_test(tc, blocked_rules_from_the_cores_texts);
    tcase_add_test(tc, buckets);
    tcase_add_test(tc, block_layout_and_init);
    tcase_add_test(tc, replies_classified);
    tcase_add_test(tc, text_format);
    tcase_add_test(tc, text_escapes_zone_names);
    tcase_add_test(tc, json_same_numbers);
    tcase_add_test(tc, json_allocator);
    tcase_add_test(tc, health_rules);
    tcase_add_test(tc, jwks_families);
    suite_add_tcase(s, tc);
    return s;
}
