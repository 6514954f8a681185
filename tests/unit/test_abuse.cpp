/* Abuse rules: rates, limit directives, zone keys, region and type lists,
   and the number rules' decision. */

#include <cstring>
#include <string>
#include <vector>

#include "abuse.hpp"
#include "test_util.hpp"

using namespace oktatel;

namespace {

NumberInfo info(const char *e164, const char *region, NumberType t,
                bool valid = true)
{
    NumberInfo i;
    i.e164.assign(e164, std::strlen(e164));
    i.region.assign(region, std::strlen(region));
    i.type = t;
    i.valid = valid;
    return i;
}

NumberRules no_rules()
{
    NumberRules r;
    std::memset(&r, 0, sizeof(r));
    return r;
}

}  // namespace

START_TEST(rates)
{
    struct { const char *in; unsigned n; unsigned long long ms;
             const char *text; } ok[] = {
        { "3/10m", 3, 600000, "3/10m" },
        { "20/1h", 20, 3600000, "20/1h" },
        { "1000/1d", 1000, 86400000, "1000/1d" },
        { "5/30s", 5, 30000, "5/30s" },
        { "1/1s", 1, 1000, "1/1s" },
        { "1000000/7d", 1000000, 604800000, "1000000/7d" },
        { "003/010m", 3, 600000, "3/10m" },
        { "2/168h", 2, 604800000, "2/168h" },
        { "2/604800s", 2, 604800000, "2/604800s" },
        { "1/10080m", 1, 604800000, "1/10080m" },
    };
    for (auto &c : ok) {
        Rate r;
        const char *err = nullptr;
        ck_assert_msg(parse_rate(c.in, &r, &err), "%s: %s", c.in, err);
        ck_assert_uint_eq(r.n, c.n);
        ck_assert_uint_eq(r.period_ms, c.ms);
        sv_eq(r.text.view(), c.text);
    }
    const char *form = "must be N/PERIOD, e.g. 3/10m";
    const char *nbad = "N must be a number from 1 to 1000000";
    const char *unit = "PERIOD must be digits and a unit: s, m, h or d (10m)";
    const char *range = "PERIOD must be from 1s to 7d";
    struct { const char *in, *err; } bad[] = {
        { "", form }, { "3", form }, { "3-10m", form }, { "3 per 10m", form },
        { "/10m", nbad }, { "0/10m", nbad }, { "-3/10m", nbad },
        { "+3/10m", nbad }, { "1000001/1d", nbad }, { "3.5/10m", nbad },
        { "9999999999/1d", nbad }, { " 3/10m", nbad }, { "3r/m", nbad },
        { "3/", unit }, { "3/10", unit }, { "3/m", unit }, { "3/10M", unit },
        { "3/10ms", unit }, { "3/10 m", unit }, { "3/1.5h", unit },
        { "3/10m ", unit }, { "3/-1m", unit }, { "3/10m/1h", unit },
        { "3/0s", range }, { "3/0m", range }, { "3/8d", range },
        { "3/169h", range }, { "3/604801s", range },
        { "3/9999999999d", range },
    };
    for (auto &c : bad) {
        Rate r;
        const char *err = nullptr;
        ck_assert_msg(!parse_rate(c.in, &r, &err), "%s", c.in);
        ck_assert_msg(err != nullptr && std::strcmp(err, c.err) == 0,
                      "%s: \"%s\"", c.in, err ? err : "(null)");
    }
    std::uint64_t ms;
    const char *err;
    ck_assert(parse_period("90s", &ms, &err));
    ck_assert_uint_eq(ms, 90000);
    ck_assert(!parse_period("", &ms, &err));
    ck_assert(!parse_period("500ms", &ms, &err));
}
END_TEST

START_TEST(limit_directive)
{
    LimitSpec s;
    const char *err;
    std::size_t bad;
    std::string_view a1[] = { "zone=okta", "key=number", "rate=3/10m" };
    ck_assert(parse_limit_args(a1, 3, &s, &err, &bad));
    sv_eq(s.zone, "okta");
    ck_assert(s.rule.key == LimitKey::number);
    ck_assert(!s.rule.dry_run);
    ck_assert_uint_eq(s.rule.rate.n, 3);
    sv_eq(s.rule.text.view(), "limit number 3/10m");

    std::string_view a2[] = { "dry_run", "rate=1000/1d", "key=prefix",
                              "zone=z" };
    ck_assert(parse_limit_args(a2, 4, &s, &err, &bad));
    ck_assert(s.rule.dry_run);
    ck_assert(s.rule.key == LimitKey::prefix);
    sv_eq(s.rule.text.view(), "limit prefix 1000/1d");

    for (const char *k : { "region", "all" }) {
        std::string key = std::string("key=") + k;
        std::string_view a[] = { "zone=z", key, "rate=20/1h" };
        ck_assert(parse_limit_args(a, 3, &s, &err, &bad));
        sv_eq(s.rule.text.view(), std::string("limit ") + k + " 20/1h");
        sv_eq(limit_key_name(s.rule.key), k);
    }

    struct { std::vector<std::string_view> a; std::size_t bad;
             const char *err; } cases[] = {
        { { "key=number", "rate=3/10m" }, 2, "\"zone=\" is missing" },
        { { "zone=z", "rate=3/10m" }, 2, "\"key=\" is missing" },
        { { "zone=z", "key=all" }, 2, "\"rate=\" is missing" },
        { {}, 0, "\"zone=\" is missing" },
        { { "zone=", "key=all", "rate=3/10m" }, 0,
          "\"zone=\" needs a zone name" },
        { { "zone=z", "key=ip", "rate=3/10m" }, 1,
          "unknown key: use number, prefix, region or all" },
        { { "zone=z", "key=Number", "rate=3/10m" }, 1,
          "unknown key: use number, prefix, region or all" },
        { { "zone=z", "key=all", "rate=3/10x" }, 2,
          "PERIOD must be digits and a unit: s, m, h or d (10m)" },
        { { "zone=z", "key=all", "rate=3/10m", "dryrun" }, 3,
          "unknown parameter: use zone=, key=, rate= or dry_run" },
        { { "zone=z", "key=all", "rate=3/10m", "rate=4/10m" }, 3,
          "parameter given twice" },
        { { "zone=z", "dry_run", "key=all", "dry_run" }, 3,
          "parameter given twice" },
        { { "zone=z", "key=all", "burst=5" }, 2,
          "unknown parameter: use zone=, key=, rate= or dry_run" },
    };
    for (auto &c : cases) {
        err = nullptr;
        bad = 99;
        ck_assert(!parse_limit_args(c.a.data(), c.a.size(), &s, &err, &bad));
        ck_assert_str_eq(err, c.err);
        ck_assert_uint_eq(bad, c.bad);
    }
}
END_TEST

START_TEST(breaker_dedupe_directives)
{
    BreakerSpec b;
    DedupeSpec d;
    const char *err;
    std::size_t bad;

    std::string_view a1[] = { "open=30s", "zone=okta", "failures=5" };
    ck_assert(parse_breaker_args(a1, 3, &b, &err, &bad));
    sv_eq(b.zone, "okta");
    ck_assert_uint_eq(b.config.failures, 5);
    ck_assert_uint_eq(b.config.open_ms, 30000);

    std::string_view a2[] = { "zone=z", "time=10m" };
    ck_assert(parse_dedupe_args(a2, 2, &d, &err, &bad));
    sv_eq(d.zone, "z");
    ck_assert_uint_eq(d.time_ms, 600000);

    struct { std::vector<std::string_view> a; std::size_t bad;
             const char *err; } bcases[] = {
        { { "failures=5", "open=30s" }, 2, "\"zone=\" is missing" },
        { { "zone=z", "open=30s" }, 2, "\"failures=\" is missing" },
        { { "zone=z", "failures=5" }, 2, "\"open=\" is missing" },
        { { "zone=z", "failures=0", "open=30s" }, 1,
          "failures= must be a number from 1 to 1000" },
        { { "zone=z", "failures=1001", "open=30s" }, 1,
          "failures= must be a number from 1 to 1000" },
        { { "zone=z", "failures=x", "open=30s" }, 1,
          "failures= must be a number from 1 to 1000" },
        { { "zone=z", "failures=3", "open=30x" }, 2,
          "PERIOD must be digits and a unit: s, m, h or d (10m)" },
        { { "zone=", "failures=3", "open=30s" }, 0,
          "\"zone=\" needs a zone name" },
        { { "zone=z", "zone=y" }, 1, "parameter given twice" },
        { { "zone=z", "probe=1" }, 1,
          "unknown parameter: use zone=, failures= or open=" },
    };
    for (auto &c : bcases) {
        err = nullptr;
        bad = 99;
        ck_assert(!parse_breaker_args(c.a.data(), c.a.size(), &b, &err,
                                      &bad));
        ck_assert_str_eq(err, c.err);
        ck_assert_uint_eq(bad, c.bad);
    }

    struct { std::vector<std::string_view> a; std::size_t bad;
             const char *err; } dcases[] = {
        { { "time=10m" }, 1, "\"zone=\" is missing" },
        { { "zone=z" }, 1, "\"time=\" is missing" },
        { { "zone=z", "time=0s" }, 1, nullptr },
        { { "zone=z", "time=10m", "time=1m" }, 2, "parameter given twice" },
        { { "zone=z", "ttl=10m" }, 1, "unknown parameter: use zone= or time=" },
    };
    for (auto &c : dcases) {
        err = nullptr;
        bad = 99;
        ck_assert(!parse_dedupe_args(c.a.data(), c.a.size(), &d, &err,
                                     &bad));
        ck_assert_ptr_nonnull(err);
        if (c.err) {
            ck_assert_str_eq(err, c.err);
        }
        ck_assert_uint_eq(bad, c.bad);
    }
}
END_TEST

START_TEST(zone_keys)
{
    LimitSpec s;
    const char *err;
    std::size_t bad;
    RegionCode sg;
    sg.assign("SG", 2);
    struct { const char *key, *rate, *e164, *out; } cases[] = {
        { "number", "3/10m", "+6598765432", "n3/600000:+6598765432" },
        { "prefix", "3/10m", "+6598765432", "p3/600000:+659876" },
        { "region", "20/1h", "+6598765432", "r20/3600000:SG" },
        { "all", "1000/1d", "+6598765432", "a1000/86400000:" },
        { "number", "1000000/7d", "+123456789012345",
          "n1000000/604800000:+123456789012345" },
        { "prefix", "1/1s", "+12345678", "p1/1000:+1234" },
        { "prefix", "1/1s", "+12345", "p1/1000:+1" },
    };
    for (auto &c : cases) {
        std::string key = std::string("key=") + c.key;
        std::string rate = std::string("rate=") + c.rate;
        std::string_view a[] = { "zone=z", key, rate };
        ck_assert(parse_limit_args(a, 3, &s, &err, &bad));
        LimitZoneKey k;
        ck_assert_msg(limit_zone_key(s.rule, c.e164, sg, &k), "%s", c.out);
        sv_eq(k.view(), c.out);
    }
    /* the rate is in the key: another rate never shares a state */
    std::string_view a1[] = { "zone=z", "key=number", "rate=3/10m" };
    std::string_view a2[] = { "zone=z", "key=number", "rate=3/600s",
                              "dry_run" };
    std::string_view a3[] = { "zone=y", "key=number", "rate=4/10m" };
    LimitSpec s1, s2, s3;
    ck_assert(parse_limit_args(a1, 3, &s1, &err, &bad));
    ck_assert(parse_limit_args(a2, 4, &s2, &err, &bad));
    ck_assert(parse_limit_args(a3, 3, &s3, &err, &bad));
    LimitZoneKey k1, k2, k3;
    ck_assert(limit_zone_key(s1.rule, "+6598765432", sg, &k1));
    ck_assert(limit_zone_key(s2.rule, "+6598765432", sg, &k2));
    ck_assert(limit_zone_key(s3.rule, "+6598765432", sg, &k3));
    ck_assert(k1.view() == k2.view());      /* same window, same state */
    ck_assert(k1.view() != k3.view());
    LimitZoneKey k;
    for (const char *bad_e164 : { "", "+", "+1234", "6598765432",
                                  "+65 98765432", "+1234567890123456",
                                  "+6598765432x" }) {
        ck_assert_msg(!limit_zone_key(s1.rule, bad_e164, sg, &k), "%s",
                      bad_e164);
    }
}
END_TEST

START_TEST(lists)
{
    ck_assert(number_init());
    NumberRules r = no_rules();
    const char *err;
    std::size_t bad;
    std::string_view allow[] = { "allow", "US", "ca", "SG", "001" };
    ck_assert(parse_region_list(allow, 5, &r, &err, &bad));
    ck_assert(r.regions_mode == ListMode::allow);
    for (const char *in : { "US", "CA", "SG", "001" }) {
        RegionCode c;
        c.assign(in, std::strlen(in));
        ck_assert_msg(region_set_has(r.regions, c), "%s", in);
    }
    for (const char *out : { "JM", "GB", "ZZ", "AA", "", "U", "0001" }) {
        RegionCode c;
        c.assign(out, std::strlen(out));
        ck_assert_msg(!region_set_has(r.regions, c), "%s", out);
    }
    std::string_view more[] = { "allow", "GB" };
    ck_assert(parse_region_list(more, 2, &r, &err, &bad));
    std::string_view deny[] = { "deny", "JM" };
    ck_assert(!parse_region_list(deny, 2, &r, &err, &bad));
    ck_assert_str_eq(err, "allow and deny cannot be mixed in one location");

    NumberRules d = no_rules();
    std::string_view unknown[] = { "deny", "JM", "XX" };
    ck_assert(!parse_region_list(unknown, 3, &d, &err, &bad));
    ck_assert_uint_eq(bad, 2);
    ck_assert_str_eq(err, "unknown region: use ISO 3166 codes (US, SG) or 001");
    std::string_view none[] = { "deny" };
    ck_assert(!parse_region_list(none, 1, &d, &err, &bad));
    ck_assert_str_eq(err, "no region given");
    std::string_view nomode[] = { "JM" };
    ck_assert(!parse_region_list(nomode, 1, &d, &err, &bad));
    ck_assert_str_eq(err, "the first parameter must be allow or deny");
    ck_assert(!parse_region_list(nullptr, 0, &d, &err, &bad));

    NumberRules t = no_rules();
    std::string_view types[] = { "deny", "premium_rate", "shared_cost" };
    ck_assert(parse_type_list(types, 3, false, &t, &err, &bad));
    ck_assert_uint_eq(t.deny_types, type_bit(NumberType::premium_rate)
                                    | type_bit(NumberType::shared_cost));
    std::string_view sms[] = { "allow", "mobile", "fixed_line_or_mobile" };
    ck_assert(parse_type_list(sms, 3, true, &t, &err, &bad));
    ck_assert_uint_eq(t.sms_types,
                      type_bit(NumberType::mobile)
                      | type_bit(NumberType::fixed_line_or_mobile));
    ck_assert(!parse_type_list(sms, 3, false, &t, &err, &bad));
    ck_assert_str_eq(err, "the first parameter must be deny");
    ck_assert(!parse_type_list(types, 3, true, &t, &err, &bad));
    ck_assert_str_eq(err, "the first parameter must be allow");
    std::string_view badtype[] = { "deny", "premium", "voip" };
    ck_assert(!parse_type_list(badtype, 3, false, &t, &err, &bad));
    ck_assert_uint_eq(bad, 1);
    ck_assert(std::strncmp(err, "unknown number type: use mobile", 31) == 0);
    std::string_view notype[] = { "deny" };
    ck_assert(!parse_type_list(notype, 1, false, &t, &err, &bad));
    ck_assert_str_eq(err, "no number type given");
}
END_TEST

START_TEST(decision_regions)
{
    NumberRules r = no_rules();
    RuleText text;
    const char *reason = nullptr;
    NumberInfo jm = info("+18765551234", "JM", NumberType::mobile);
    NumberInfo prem = info("+19005551234", "US", NumberType::premium_rate);
    NumberInfo bad = info("+97912345678", "001", NumberType::unknown, false);
    NumberInfo none = info("", "ZZ", NumberType::unknown, false);

    /* no rule: everything passes, even a number that did not parse */
    ck_assert(check_number(r, Channel::sms, NumberError::none, bad, &text,
                           &reason) == Verdict::allow);
    ck_assert(text.empty());
    ck_assert(check_number(r, Channel::sms, NumberError::invalid_country_code,
                           none, &text, &reason) == Verdict::allow);

    r.strict = true;
    ck_assert(check_number(r, Channel::sms, NumberError::none, bad, &text,
                           &reason) == Verdict::refuse);
    ck_assert_str_eq(reason, number_not_valid_text);
    ck_assert(check_number(r, Channel::voice, NumberError::too_long, none,
                           &text, &reason) == Verdict::refuse);
    ck_assert_str_eq(reason, "is too long for a phone number");
    ck_assert(check_number(r, Channel::voice, NumberError::none, jm, &text,
                           &reason) == Verdict::allow);

    RegionCode c;
    r = no_rules();
    r.regions_mode = ListMode::allow;
    c.assign("US", 2);
    region_set_add(&r.regions, c);
    ck_assert(check_number(r, Channel::sms, NumberError::none, jm, &text,
                           &reason) == Verdict::block);
    sv_eq(text.view(), "region JM");
    ck_assert(check_number(r, Channel::sms, NumberError::none, prem, &text,
                           &reason) == Verdict::allow);
    ck_assert(check_number(r, Channel::sms, NumberError::not_a_number, none,
                           &text, &reason) == Verdict::block);
    sv_eq(text.view(), "region unknown");
    ck_assert(check_number(r, Channel::sms, NumberError::none, bad, &text,
                           &reason) == Verdict::block);
    sv_eq(text.view(), "region 001");

    r.regions_mode = ListMode::deny;
    ck_assert(check_number(r, Channel::sms, NumberError::none, jm, &text,
                           &reason) == Verdict::allow);
    ck_assert(check_number(r, Channel::sms, NumberError::none, prem, &text,
                           &reason) == Verdict::block);
    sv_eq(text.view(), "region US");
    ck_assert(check_number(r, Channel::sms, NumberError::not_a_number, none,
                           &text, &reason) == Verdict::allow);

}
END_TEST

START_TEST(decision_types)
{
    RuleText text;
    const char *reason = nullptr;
    RegionCode c;
    NumberInfo jm = info("+18765551234", "JM", NumberType::mobile);
    NumberInfo prem = info("+19005551234", "US", NumberType::premium_rate);
    NumberInfo voip = info("+445612345678", "GB", NumberType::voip);
    NumberInfo bad = info("+97912345678", "001", NumberType::unknown, false);

    NumberRules r = no_rules();
    r.deny_types = type_bit(NumberType::premium_rate)
                   | type_bit(NumberType::unknown);
    ck_assert(check_number(r, Channel::voice, NumberError::none, prem, &text,
                           &reason) == Verdict::block);
    sv_eq(text.view(), "number type premium_rate");
    ck_assert(check_number(r, Channel::voice, NumberError::none, bad, &text,
                           &reason) == Verdict::block);
    sv_eq(text.view(), "number type unknown");
    ck_assert(check_number(r, Channel::voice, NumberError::none, jm, &text,
                           &reason) == Verdict::allow);

    /* the SMS list applies to SMS only */
    r.sms_types = type_bit(NumberType::mobile)
                  | type_bit(NumberType::fixed_line_or_mobile);
    ck_assert(check_number(r, Channel::sms, NumberError::none, voip, &text,
                           &reason) == Verdict::block);
    sv_eq(text.view(), "sms number type voip");
    ck_assert(check_number(r, Channel::voice, NumberError::none, voip, &text,
                           &reason) == Verdict::allow);
    ck_assert(check_number(r, Channel::sms, NumberError::none, jm, &text,
                           &reason) == Verdict::allow);
    /* the deny list comes first */
    ck_assert(check_number(r, Channel::sms, NumberError::none, prem, &text,
                           &reason) == Verdict::block);
    sv_eq(text.view(), "number type premium_rate");

    /* the first blocking rule wins: region before type */
    r.regions_mode = ListMode::deny;
    c.assign("US", 2);
    region_set_add(&r.regions, c);
    ck_assert(check_number(r, Channel::sms, NumberError::none, prem, &text,
                           &reason) == Verdict::block);
    sv_eq(text.view(), "region US");
    /* the longest texts fit */
    r = no_rules();
    r.sms_types = type_bit(NumberType::mobile);
    NumberInfo flm = info("+12015550123", "US",
                          NumberType::fixed_line_or_mobile);
    ck_assert(check_number(r, Channel::sms, NumberError::none, flm, &text,
                           &reason) == Verdict::block);
    sv_eq(text.view(), "sms number type fixed_line_or_mobile");
}
END_TEST

START_TEST(need_info)
{
    NumberRules r = no_rules();
    LimitRule l[2];
    std::memset(l, 0, sizeof(l));
    l[0].key = LimitKey::number;
    l[1].key = LimitKey::prefix;
    ck_assert(!number_rules_need_info(r, nullptr, 0));
    ck_assert(!number_rules_need_info(r, l, 2));
    l[1].key = LimitKey::region;
    ck_assert(number_rules_need_info(r, l, 2));
    ck_assert(!number_rules_need_info(r, l, 1));
    r.strict = true;
    ck_assert(number_rules_need_info(r, nullptr, 0));
    r = no_rules();
    r.regions_mode = ListMode::deny;
    ck_assert(number_rules_need_info(r, nullptr, 0));
    r = no_rules();
    r.deny_types = type_bit(NumberType::voip);
    ck_assert(number_rules_need_info(r, nullptr, 0));
    r = no_rules();
    r.sms_types = type_bit(NumberType::mobile);
    ck_assert(number_rules_need_info(r, nullptr, 0));
}
END_TEST

Suite *abuse_suite()
{
    Suite *s = suite_create("abuse");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, rates);
    tcase_add_test(tc, limit_directive);
    tcase_add_test(tc, zone_keys);
    tcase_add_test(tc, breaker_dedupe_directives);
    tcase_add_test(tc, lists);
    tcase_add_test(tc, decision_regions);
    tcase_add_test(tc, decision_types);
    tcase_add_test(tc, need_info);
    suite_add_tcase(s, tc);
    return s;
}
