/* Sliding-window arithmetic at exact boundaries, checked against a brute
   force model; limits_take; the circuit breaker; the dedupe record. */

#include <cstring>
#include <string>
#include <vector>

#include "abuse.hpp"
#include "test_util.hpp"

using namespace oktatel;

namespace {

/* past 2^32 ms, so the exact mode's 32-bit times wrap in the tests */
constexpr std::uint64_t T0 = 5000000000000ull;

Rate rate(const char *s)
{
    Rate r;
    const char *err;
    ck_assert_msg(parse_rate(s, &r, &err), "%s", s);
    return r;
}

WindowState empty()
{
    WindowState w;
    window_init(&w);
    return w;
}

/* take: allowed then counted, as a rule that is not dry_run */
bool take(WindowState *w, const Rate &r, std::uint64_t t)
{
    if (!window_allows(*w, r, t)) {
        return false;
    }
    window_record(w, r, t);
    return true;
}

/* counted hooks in (t - span, t] */
std::uint32_t in_span(const std::vector<std::uint64_t> &ts, std::uint64_t t,
                      std::uint64_t span)
{
    std::uint32_t n = 0;
    for (std::uint64_t x : ts) {
        n += x <= t && t - x < span;
    }
    return n;
}

std::uint64_t w_last(const WindowState &w)
{
    return w.last_ms;
}

std::uint64_t rnd(std::uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

}  // namespace

START_TEST(exact_boundaries)
{
    Rate r = rate("3/10m");
    WindowState w = empty();
    ck_assert(take(&w, r, T0));
    ck_assert(take(&w, r, T0 + 1000));
    ck_assert(take(&w, r, T0 + 2000));
    ck_assert_uint_eq(window_count(w, r, T0 + 2000), 3);
    ck_assert(!window_allows(w, r, T0 + 2001));
    ck_assert(!window_allows(w, r, T0 + 599999));
    /* the hook at T0 stops counting at exactly T0 + PERIOD */
    ck_assert(window_allows(w, r, T0 + 600000));
    ck_assert_uint_eq(window_count(w, r, T0 + 600000), 2);
    ck_assert(take(&w, r, T0 + 600000));
    ck_assert(!window_allows(w, r, T0 + 600999));
    ck_assert(window_allows(w, r, T0 + 601000));
    ck_assert_uint_eq(window_count(w, r, T0 + 1200000), 0);
    ck_assert_uint_eq(window_count(w, r, T0 + 1199999), 1);

    /* N = 1 and the largest exact N */
    Rate one = rate("1/1s");
    w = empty();
    ck_assert(take(&w, one, T0));
    ck_assert(!take(&w, one, T0 + 999));
    ck_assert(take(&w, one, T0 + 1000));
    ck_assert(!take(&w, one, T0 + 1999));
    Rate max = rate("13/1h");
    w = empty();
    for (int i = 0; i < 13; i++) {
        ck_assert(take(&w, max, T0 + i));
    }
    ck_assert(!take(&w, max, T0 + 3599999));
    ck_assert(take(&w, max, T0 + 3600000));
    ck_assert(!take(&w, max, T0 + 3600000));
    ck_assert(take(&w, max, T0 + 3600001));
}
END_TEST

START_TEST(exact_clock)
{
    Rate r = rate("2/1d");
    /* across the 2^32 boundary of the low 32 bits */
    std::uint64_t t = (1ull << 32) - 1000;
    WindowState w = empty();
    ck_assert(take(&w, r, t));
    ck_assert(take(&w, r, t + 2000));
    ck_assert(!window_allows(w, r, t + 86399999));
    ck_assert(window_allows(w, r, t + 86400000));
    /* idle longer than 2^32 ms: the old times alias to young ages in 32
       bits, but the state is stale */
    w = empty();
    ck_assert(take(&w, r, T0));
    ck_assert(take(&w, r, T0 + 1));
    ck_assert(window_allows(w, r, T0 + (1ull << 32) + 5));
    ck_assert_uint_eq(window_count(w, r, T0 + (1ull << 32) + 5), 0);
    ck_assert(take(&w, r, T0 + (1ull << 32) + 5));
    ck_assert_uint_eq(window_count(w, r, T0 + (1ull << 32) + 5), 1);

    /* another worker's clock a little behind: the newer time counts as
       age 0, the newest time is kept */
    w = empty();
    ck_assert(take(&w, r, T0 + 10));
    ck_assert_uint_eq(window_count(w, r, T0 + 5), 1);
    ck_assert(take(&w, r, T0 + 5));
    ck_assert_uint_eq(w.last_ms, T0 + 10);
    ck_assert(!window_allows(w, r, T0 + 7));
    ck_assert(!window_allows(w, r, T0 + 86400004));
    ck_assert(window_allows(w, r, T0 + 86400010));

    /* dry run: every hook counted, the last N kept */
    w = empty();
    for (int i = 0; i < 5; i++) {
        window_record(&w, r, T0 + i * 1000);
    }
    ck_assert_uint_eq(w.count, 2);
    ck_assert_uint_eq(window_count(w, r, T0 + 4000), 2);
    ck_assert(!window_allows(w, r, T0 + 86400000 + 2999));
    ck_assert(window_allows(w, r, T0 + 86400000 + 3000));

    /* a state that is not ours (zone garbage) is reset, not trusted */
    std::memset(&w, 0xff, sizeof(w));
    window_record(&w, r, T0);
    ck_assert_uint_eq(w.count, 1);
}
END_TEST

START_TEST(buckets)
{
    /* 14/12s: buckets of 1s */
    Rate r = rate("14/12s");
    WindowState w = empty();
    for (int i = 0; i < 14; i++) {
        ck_assert(take(&w, r, T0));
    }
    ck_assert(!window_allows(w, r, T0 + 11999));
    /* the bucket of T0 counts whole until T0's bucket + 13 */
    ck_assert(!window_allows(w, r, T0 + 12000));
    ck_assert(!window_allows(w, r, T0 + 12999));
    ck_assert(window_allows(w, r, T0 + 13000));
    ck_assert_uint_eq(window_count(w, r, T0 + 13000), 0);

    /* a burst at a bucket's end is free again 1 ms after PERIOD */
    w = empty();
    for (int i = 0; i < 14; i++) {
        ck_assert(take(&w, r, T0 + 999));
    }
    ck_assert(!window_allows(w, r, T0 + 999 + 12000));
    ck_assert(window_allows(w, r, T0 + 13000));

    /* spread out: allowed whenever fewer than N in the last PERIOD */
    w = empty();
    for (int i = 0; i < 13; i++) {
        ck_assert(take(&w, r, T0 + i * 1000));
    }
    ck_assert(take(&w, r, T0 + 12500));
    ck_assert(!window_allows(w, r, T0 + 12999));
    ck_assert(window_allows(w, r, T0 + 13000));   /* T0's bucket gone */

    /* 1000/1d: buckets of 2 hours */
    Rate d = rate("1000/1d");
    w = empty();
    for (int i = 0; i < 1000; i++) {
        ck_assert(take(&w, d, T0 + i));
    }
    ck_assert(!window_allows(w, d, T0 + 1000));
    ck_assert(!window_allows(w, d, T0 + 86400000 + 1000));
    ck_assert(window_allows(w, d, T0 + 86400000 + 7200000));
    ck_assert_uint_eq(window_idle_ms(d), 13 * 7200000ull);
    ck_assert_uint_eq(window_idle_ms(rate("3/10m")), 600000);
    /* PERIOD not divisible by 12: buckets rounded up */
    ck_assert_uint_eq(window_idle_ms(rate("100/1s")), 13 * 84ull);

    /* a long gap empties it */
    ck_assert_uint_eq(window_count(w, d, T0 + 40ull * 86400000), 0);
    ck_assert(take(&w, d, T0 + 40ull * 86400000));
    ck_assert_uint_eq(window_count(w, d, T0 + 40ull * 86400000), 1);

    /* clock behind: counted in the newest bucket */
    w = empty();
    ck_assert(take(&w, r, T0 + 5000));
    window_record(&w, r, T0 + 3000);
    ck_assert_uint_eq(window_count(w, r, T0 + 5000), 2);
    ck_assert_uint_eq(window_count(w, r, T0 + 17999), 2);
    ck_assert_uint_eq(window_count(w, r, T0 + 18000), 0);

    /* counters saturate */
    w = empty();
    window_record(&w, r, T0);
    for (auto &s : w.slot) {
        s = UINT32_MAX;
    }
    window_record(&w, r, T0);
    ck_assert_uint_eq(window_count(w, r, T0), UINT32_MAX);
}
END_TEST

/* random traffic against a brute-force model, both modes */
START_TEST(model)
{
    const char *rates[] = { "1/1s", "3/10s", "13/1m", "14/12s", "20/7s",
                            "50/1m", "100/13s" };
    std::uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (const char *rs : rates) {
        Rate r = rate(rs);
        bool exact = r.n <= window_exact_max;
        std::uint64_t span13 = window_idle_ms(r);
        for (int round = 0; round < 20; round++) {
            WindowState w = empty();
            std::vector<std::uint64_t> ts;
            std::uint64_t t = T0 + rnd(&seed) % 100000;
            std::uint64_t mean = r.period_ms / r.n * (1 + round % 4);
            for (int i = 0; i < 400; i++) {
                t += rnd(&seed) % (2 * mean + 1);
                std::uint32_t real = in_span(ts, t, r.period_ms);
                std::uint32_t wide = in_span(ts, t, span13);
                bool ok = window_allows(w, r, t);
                if (exact) {
                    ck_assert_msg(ok == (real < r.n), "%s at %d", rs, i);
                    ck_assert_uint_eq(window_count(w, r, t), real);
                } else {
                    /* allowed if < N in PERIOD; refused if >= N in 13/12 */
                    ck_assert_msg(!(real >= r.n) || !ok, "%s at %d", rs, i);
                    ck_assert_msg(!(wide < r.n) || ok, "%s at %d", rs, i);
                    ck_assert_uint_ge(window_count(w, r, t), real);
                    ck_assert_uint_le(window_count(w, r, t), wide);
                }
                if (ok) {
                    window_record(&w, r, t);
                    ts.push_back(t);
                }
                /* never more than N in any (t - PERIOD, t] */
                ck_assert_uint_le(in_span(ts, t, r.period_ms), r.n);
            }
        }
    }
}
END_TEST

START_TEST(take_all_or_nothing)
{
    const char *err;
    std::size_t bad;
    LimitSpec num, pre, dry;
    std::string_view a1[] = { "zone=z", "key=number", "rate=2/10m" };
    std::string_view a2[] = { "zone=z", "key=prefix", "rate=3/10m" };
    std::string_view a3[] = { "zone=z", "key=all", "rate=1/10m", "dry_run" };
    ck_assert(parse_limit_args(a1, 3, &num, &err, &bad));
    ck_assert(parse_limit_args(a2, 3, &pre, &err, &bad));
    ck_assert(parse_limit_args(a3, 4, &dry, &err, &bad));
    WindowState wn = empty(), wp = empty(), wd = empty(), wn2 = empty();
    LimitCheck c[] = { { &num.rule, &wn }, { &pre.rule, &wp },
                       { &dry.rule, &wd } };
    LimitResult res;

    limits_take(c, 3, T0, &res);
    ck_assert_int_eq(res.blocked, -1);
    ck_assert_int_eq(res.dry_run, -1);
    ck_assert(res.text.empty());
    /* the dry run would block the second hook, and still counts it */
    limits_take(c, 3, T0 + 1, &res);
    ck_assert_int_eq(res.blocked, -1);
    ck_assert_int_eq(res.dry_run, 2);
    sv_eq(res.text.view(), "limit all 1/10m");
    ck_assert_uint_eq(w_last(wd), T0 + 1);     /* counted (the last N kept) */
    /* the third hook: the number limit blocks, nothing counts */
    limits_take(c, 3, T0 + 2, &res);
    ck_assert_int_eq(res.blocked, 0);
    sv_eq(res.text.view(), "limit number 2/10m");
    ck_assert_uint_eq(window_count(wn, num.rule.rate, T0 + 2), 2);
    ck_assert_uint_eq(window_count(wp, pre.rule.rate, T0 + 2), 2);
    ck_assert_uint_eq(w_last(wd), T0 + 1);
    /* another number under the same prefix: the prefix blocks */
    LimitCheck c2[] = { { &num.rule, &wn2 }, { &pre.rule, &wp } };
    limits_take(c2, 2, T0 + 3, &res);
    ck_assert_int_eq(res.blocked, -1);
    limits_take(c2, 2, T0 + 4, &res);
    ck_assert_int_eq(res.blocked, 1);
    sv_eq(res.text.view(), "limit prefix 3/10m");
    ck_assert_uint_eq(window_count(wn2, num.rule.rate, T0 + 4), 1);
    /* a limit without a state (zone full) is skipped */
    LimitCheck c3[] = { { &num.rule, nullptr }, { &pre.rule, &wp } };
    limits_take(c3, 1, T0 + 5, &res);
    ck_assert_int_eq(res.blocked, -1);
    limits_take(nullptr, 0, T0, &res);
    ck_assert_int_eq(res.blocked, -1);
}
END_TEST

START_TEST(breaker)
{
    BreakerConfig cfg{ 3, 30000 };
    BreakerState b;
    std::memset(&b, 0, sizeof(b));
    ck_assert(breaker_admit(&b, cfg, T0) == Admit::pass);
    ck_assert(breaker_report(&b, cfg, false, true, T0) == BreakerEvent::none);
    ck_assert(breaker_report(&b, cfg, false, true, T0) == BreakerEvent::none);
    /* a success in between starts the count again */
    ck_assert(breaker_report(&b, cfg, false, false, T0) == BreakerEvent::none);
    ck_assert(breaker_report(&b, cfg, false, true, T0) == BreakerEvent::none);
    ck_assert(breaker_report(&b, cfg, false, true, T0) == BreakerEvent::none);
    ck_assert(breaker_admit(&b, cfg, T0) == Admit::pass);
    ck_assert(breaker_report(&b, cfg, false, true, T0 + 10)
              == BreakerEvent::opened);
    ck_assert(breaker_admit(&b, cfg, T0 + 10) == Admit::blocked);
    ck_assert(breaker_admit(&b, cfg, T0 + 30009) == Admit::blocked);
    /* hooks sent before it opened report late: ignored */
    ck_assert(breaker_report(&b, cfg, false, false, T0 + 20)
              == BreakerEvent::none);
    ck_assert(breaker_admit(&b, cfg, T0 + 30009) == Admit::blocked);
    /* exactly one probe */
    ck_assert(breaker_admit(&b, cfg, T0 + 30010) == Admit::probe);
    ck_assert(breaker_admit(&b, cfg, T0 + 30010) == Admit::blocked);
    ck_assert(breaker_admit(&b, cfg, T0 + 30500) == Admit::blocked);
    ck_assert(breaker_report(&b, cfg, false, false, T0 + 30600)
              == BreakerEvent::none);
    /* the probe fails: open again for the whole time */
    ck_assert(breaker_report(&b, cfg, true, true, T0 + 31000)
              == BreakerEvent::reopened);
    ck_assert(breaker_admit(&b, cfg, T0 + 60999) == Admit::blocked);
    ck_assert(breaker_admit(&b, cfg, T0 + 61000) == Admit::probe);
    /* the probe was not sent (a limit blocked it): the next hook probes */
    breaker_release(&b, T0 + 61001);
    ck_assert(breaker_admit(&b, cfg, T0 + 61002) == Admit::probe);
    /* the probe is lost (its worker died): another after open_ms */
    ck_assert(breaker_admit(&b, cfg, T0 + 91001) == Admit::blocked);
    ck_assert(breaker_admit(&b, cfg, T0 + 91002) == Admit::probe);
    /* success closes */
    ck_assert(breaker_report(&b, cfg, true, false, T0 + 91100)
              == BreakerEvent::closed);
    ck_assert(breaker_admit(&b, cfg, T0 + 91101) == Admit::pass);
    ck_assert_uint_eq(b.failures, 0);
    breaker_release(&b, T0);            /* closed: no effect */
    ck_assert(breaker_admit(&b, cfg, T0 + 91102) == Admit::pass);
    /* a probe's report after its time still closes while half-open */
    BreakerConfig one{ 1, 1000 };
    std::memset(&b, 0, sizeof(b));
    ck_assert(breaker_report(&b, one, false, true, T0)
              == BreakerEvent::opened);
    ck_assert(breaker_admit(&b, one, T0 + 1000) == Admit::probe);
    ck_assert(breaker_report(&b, one, true, false, T0 + 3000)
              == BreakerEvent::closed);

    ck_assert(breaker_failure(0));
    ck_assert(breaker_failure(-1));
    ck_assert(breaker_failure(500));
    ck_assert(breaker_failure(502));
    ck_assert(breaker_failure(504));
    ck_assert(!breaker_failure(200));
    ck_assert(!breaker_failure(400));
    ck_assert(!breaker_failure(401));
    ck_assert(!breaker_failure(422));
    ck_assert(!breaker_failure(429));
    ck_assert_str_eq(breaker_rule_text(Channel::voice),
                     "8x8 voice breaker open");
    ck_assert_str_eq(breaker_rule_text(Channel::sms), "8x8 sms breaker open");

    std::memset(&b, 0x7f, sizeof(b));   /* zone garbage: closed again */
    ck_assert(breaker_admit(&b, cfg, T0) == Admit::pass);
    ck_assert_uint_eq(b.phase, 0);
}
END_TEST

START_TEST(dedupe)
{
    DedupeRecord d;
    dedupe_clear(&d);
    const std::uint64_t time = 300000, pending = 10000;
    ck_assert(dedupe_check(d, T0, time, pending) == DedupeCheck::fresh);
    dedupe_claim(&d, T0);
    ck_assert(dedupe_check(d, T0 + 9999, time, pending)
              == DedupeCheck::in_flight);
    ck_assert(dedupe_check(d, T0 + 10000, time, pending)
              == DedupeCheck::fresh);
    ck_assert(dedupe_fill(&d, Status::successful,
                          "03cc8cac-376b-11ef-a28b-0582ff0039d5", "", false,
                          T0 + 500));
    ck_assert(dedupe_check(d, T0 + 500 + 299999, time, pending)
              == DedupeCheck::replay);
    ck_assert(dedupe_check(d, T0 + 500 + 300000, time, pending)
              == DedupeCheck::fresh);
    ck_assert(dedupe_check(d, T0, time, pending) == DedupeCheck::replay);
    ck_assert(dedupe_status(d) == Status::successful);
    sv_eq(dedupe_tx(d), "03cc8cac-376b-11ef-a28b-0582ff0039d5");
    sv_eq(dedupe_meta(d), "");
    ck_assert(!d.blocked);

    ck_assert(dedupe_fill(&d, Status::failed, "",
                          "blocked: limit number 3/10m", true, T0));
    ck_assert(dedupe_status(d) == Status::failed);
    sv_eq(dedupe_tx(d), "");
    sv_eq(dedupe_meta(d), "blocked: limit number 3/10m");
    ck_assert(d.blocked);

    /* the longest transactionId is kept whole, metadata shortened at a
       character boundary */
    std::string tx(128, 'a');
    std::string meta = "8x8 voice 422: ";
    while (meta.size() < 64) {
        meta += "\xc3\xa9";         /* é */
    }
    ck_assert(dedupe_fill(&d, Status::failed, tx, meta, false, T0));
    sv_eq(dedupe_tx(d), tx);
    ck_assert_uint_eq(dedupe_meta(d).size(), 31);
    sv_eq(dedupe_meta(d), meta.substr(0, 31));
    std::string m2 = meta.substr(0, 31) + "x";
    ck_assert(dedupe_fill(&d, Status::failed, tx, m2, false, T0));
    sv_eq(dedupe_meta(d), m2);
    ck_assert(!dedupe_fill(&d, Status::failed, std::string(129, 'a'), "",
                           false, T0));
    ck_assert(dedupe_check(d, T0, time, pending) == DedupeCheck::fresh);
    sv_eq(dedupe_tx(d), "");

    /* zone garbage reads as nothing out of bounds */
    std::memset(&d, 0xff, sizeof(d));
    ck_assert(dedupe_status(d) == Status::failed);
    ck_assert_uint_eq(dedupe_tx(d).size(), 0);
    ck_assert_uint_eq(dedupe_meta(d).size(), 0);
    ck_assert(dedupe_check(d, T0, time, pending) == DedupeCheck::fresh);
}
END_TEST

Suite *window_suite()
{
    Suite *s = suite_create("window");
    TCase *tc = tcase_create("state");
    tcase_add_test(tc, exact_boundaries);
    tcase_add_test(tc, exact_clock);
    tcase_add_test(tc, buckets);
    tcase_add_test(tc, model);
    tcase_add_test(tc, take_all_or_nothing);
    tcase_add_test(tc, breaker);
    tcase_add_test(tc, dedupe);
    suite_add_tcase(s, tc);
    return s;
}
