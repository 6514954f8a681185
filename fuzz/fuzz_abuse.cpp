/*
 * libFuzzer target for the abuse controls. The first byte picks what the
 * rest of the input is:
 *   0  directive text: a rate, a period, okta_telephony_limit's
 *      arguments, region and type lists (split at spaces)
 *   1  a destination (the second byte picks the default region), read by
 *      classify_number() and checked against libphonenumber's own calls;
 *      the worker's NumberCache must answer the same, before and after
 *      it has seen the input
 *   2  a sliding window: a rate and hooks at times from the input,
 *      checked against a brute-force model
 *   3  the breaker and the dedupe record, driven by the input
 * Any broken invariant abort()s.
 */

#include <phonenumbers/phonenumberutil.h>

#include <vector>

#include "abuse.hpp"
#include "fuzz_common.hpp"

using namespace oktatel;
namespace pn = i18n::phonenumbers;

namespace {

std::vector<std::string_view> split(std::string_view s)
{
    std::vector<std::string_view> v;
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t j = s.find(' ', i);
        if (j == std::string_view::npos) {
            j = s.size();
        }
        v.push_back(s.substr(i, j - i));
        i = j + 1;
    }
    return v;
}

template <std::size_t N>
void check_fixed(const FixedStr<N> &s)
{
    FZ_CHECK(s.len <= N);
    FZ_CHECK(s.data[s.len] == '\0');
    FZ_CHECK(std::strlen(s.data) == s.len);
}

/* ---------------------------------------------------------- 0: text -- */

void fuzz_text(std::string_view s)
{
    Rate r;
    const char *err = nullptr;
    if (parse_rate(s, &r, &err)) {
        FZ_CHECK(r.n >= 1 && r.n <= rate_max_n);
        FZ_CHECK(r.period_ms >= rate_min_period_ms
                 && r.period_ms <= rate_max_period_ms);
        check_fixed(r.text);
        Rate back;
        FZ_CHECK(parse_rate(r.text.view(), &back, &err));
        FZ_CHECK(back.n == r.n && back.period_ms == r.period_ms
                 && back.text.view() == r.text.view());
    } else {
        FZ_CHECK(err != nullptr && *err != '\0');
    }
    std::uint64_t ms;
    err = nullptr;
    if (parse_period(s, &ms, &err)) {
        FZ_CHECK(ms >= rate_min_period_ms && ms <= rate_max_period_ms);
        FZ_CHECK(ms % 1000 == 0);
    } else {
        FZ_CHECK(err != nullptr);
    }

    std::vector<std::string_view> args = split(s);
    LimitSpec spec;
    std::size_t bad = 12345;
    err = nullptr;
    if (parse_limit_args(args.data(), args.size(), &spec, &err, &bad)) {
        FZ_CHECK(!spec.zone.empty());
        check_fixed(spec.rule.text);
        FZ_CHECK(spec.rule.text.view().substr(0, 6) == "limit ");
        FZ_CHECK(spec.rule.rate.n >= 1);
        LimitZoneKey k;
        RegionCode rc;
        rc.assign("001", 3);
        FZ_CHECK(limit_zone_key(spec.rule, "+123456789012345", rc, &k));
        check_fixed(k);
    } else {
        FZ_CHECK(err != nullptr && bad <= args.size());
    }

    NumberRules rules;
    std::memset(&rules, 0, sizeof(rules));
    if (parse_region_list(args.data(), args.size(), &rules, &err, &bad)) {
        FZ_CHECK(rules.regions_mode != ListMode::none);
        for (std::size_t i = 1; i < args.size(); i++) {
            RegionCode rc;
            FZ_CHECK(parse_region(args[i], true, &rc));
            FZ_CHECK(region_set_has(rules.regions, rc));
        }
    }
    for (bool sms : { false, true }) {
        if (parse_type_list(args.data(), args.size(), sms, &rules, &err,
                            &bad))
        {
            FZ_CHECK((sms ? rules.sms_types : rules.deny_types) != 0);
            FZ_CHECK(((sms ? rules.sms_types : rules.deny_types)
                      >> static_cast<unsigned>(NumberType::count_)) == 0);
        }
    }
}

/* -------------------------------------------------------- 1: numbers -- */

const char *const regions[] = { "", "GB", "US", "IT", "SG", "DE", "FR",
                                "JM", "CA", "BR", "IN", "RU", "AU", "JP",
                                "XX", "001" };

void fuzz_number(std::uint8_t pick, std::string_view in)
{
    const char *region = regions[pick % 16];
    NumberInfo info;
    NumberError e = classify_number(in, region, &info);
    /* one cache for the whole run: the inputs evict one another */
    static NumberCache cache;
    for (int i = 0; i < 2; i++) {
        NumberInfo c;
        FZ_CHECK(classify_number_cached(&cache, in, region, &c) == e);
        FZ_CHECK(c.e164.view() == info.e164.view()
                 && c.region.view() == info.region.view()
                 && c.type == info.type && c.valid == info.valid);
    }
    check_fixed(info.e164);
    check_fixed(info.region);
    FixedStr<16> e164;
    FZ_CHECK(number_e164(in, region, &e164) == e);
    FZ_CHECK(e164.view() == info.e164.view());
    FZ_CHECK(*number_error_text(e) != '\0' || e == NumberError::none);

    if (e != NumberError::none) {
        FZ_CHECK(info.e164.empty() && info.region.view() == "ZZ"
                 && info.type == NumberType::unknown && !info.valid);
        if (e == NumberError::syntax || e == NumberError::needs_country_code
            || e == NumberError::internal)
        {
            return;
        }
    }

    /* what libphonenumber says, asked directly */
    const pn::PhoneNumberUtil *u = pn::PhoneNumberUtil::GetInstance();
    pn::PhoneNumber n;
    bool plus = in.find('+') != std::string_view::npos;
    auto pe = u->Parse(std::string(in), plus ? "ZZ" : region, &n);
    std::string f;
    if (pe == pn::PhoneNumberUtil::NO_PARSING_ERROR) {
        u->Format(n, pn::PhoneNumberUtil::E164, &f);
    }
    if (e != NumberError::none) {
        FZ_CHECK(pe != pn::PhoneNumberUtil::NO_PARSING_ERROR
                 || f.size() > 16);
        return;
    }
    FZ_CHECK(pe == pn::PhoneNumberUtil::NO_PARSING_ERROR);
    FZ_CHECK(info.e164.view() == f);
    FZ_CHECK(info.e164.len >= 2 && info.e164.data[0] == '+'
             && info.e164.data[1] != '0');
    for (std::size_t i = 1; i < info.e164.len; i++) {
        FZ_CHECK(info.e164.data[i] >= '0' && info.e164.data[i] <= '9');
    }
    std::string rc;
    u->GetRegionCodeForNumber(n, &rc);
    FZ_CHECK(info.region.view() == rc);
    FZ_CHECK(static_cast<int>(info.type) == u->GetNumberType(n));
    FZ_CHECK(info.valid == u->IsValidNumber(n));
    FZ_CHECK(std::string_view(number_type_name(info.type)).size() > 2);
    RuleText t;
    const char *reason;
    NumberRules rules;
    std::memset(&rules, 0, sizeof(rules));
    rules.strict = true;
    rules.regions_mode = ListMode::deny;
    region_set_add(&rules.regions, info.region);
    Verdict v = check_number(rules, Channel::sms, e, info, &t, &reason);
    FZ_CHECK(v == (info.valid ? Verdict::block : Verdict::refuse));
    check_fixed(t);
    LimitRule lr;
    std::memset(&lr, 0, sizeof(lr));
    for (LimitKey k : { LimitKey::number, LimitKey::prefix, LimitKey::region,
                        LimitKey::all })
    {
        lr.key = k;
        LimitZoneKey zk;
        if (limit_zone_key(lr, info.e164.view(), info.region, &zk)) {
            check_fixed(zk);
        } else {
            FZ_CHECK(info.e164.len < 6);
        }
    }
}

/* --------------------------------------------------------- 2: window -- */

std::uint32_t in_span(const std::vector<std::uint64_t> &ts, std::uint64_t t,
                      std::uint64_t span)
{
    std::uint32_t n = 0;
    for (std::uint64_t x : ts) {
        n += x <= t && t - x < span;
    }
    return n;
}

void fuzz_window(const std::uint8_t *p, std::size_t n)
{
    if (n < 3) {
        return;
    }
    static const std::uint64_t periods[] = { 1000, 7000, 12000, 60000,
                                             600000, 3600000, 86400000,
                                             604800000 };
    Rate r;
    r.n = 1 + p[0] % 40;
    r.period_ms = periods[p[1] % 8];
    bool dry = p[2] & 1, jitter = p[2] & 2;
    bool exact = r.n <= window_exact_max;
    std::uint64_t wide = window_idle_ms(r);
    WindowState w;
    window_init(&w);
    std::vector<std::uint64_t> ts;
    std::uint64_t t = 5000000000000ull + (p[2] >> 2) * 977;
    for (std::size_t i = 3; i + 1 < n && ts.size() < 600; i += 2) {
        std::uint64_t g = (p[i] | (p[i + 1] << 8));
        /* gaps from 0 to about 2 PERIOD, finer near 0 */
        t += g < 0x8000 ? g % 64 : (g - 0x8000) * (r.period_ms / 16384 + 1);
        std::uint64_t now = t;
        if (jitter && (g & 7) == 0 && now > 5) {
            now -= g % 5;               /* another worker, a little behind */
        }
        bool ok = window_allows(w, r, now);
        std::uint32_t c = window_count(w, r, now);
        FZ_CHECK(ok == (c < r.n));
        if (!jitter) {
            std::uint32_t real = in_span(ts, now, r.period_ms);
            std::uint32_t wd = in_span(ts, now, wide);
            if (exact) {
                FZ_CHECK(c == (real < r.n ? real : r.n));
            } else {
                FZ_CHECK(c >= real && c <= wd);
            }
        }
        if (ok || dry) {
            window_record(&w, r, now);
            ts.push_back(now);
        }
        if (!dry && !jitter) {
            FZ_CHECK(in_span(ts, now, r.period_ms) <= r.n);
        }
        FZ_CHECK(w.count <= window_exact_max && w.head < 13);
    }
}

/* ---------------------------------------------- 3: breaker and dedupe -- */

void fuzz_state(const std::uint8_t *p, std::size_t n)
{
    BreakerConfig cfg{ 1u + (n ? p[0] % 5 : 0), 1000 };
    BreakerState b;
    std::memset(&b, 0, sizeof(b));
    std::uint64_t t = 1000000;
    bool probe_out = false;             /* a probe admitted, not settled */
    std::uint64_t probe_at = 0;
    for (std::size_t i = 1; i < n && i < 512; i++) {
        std::uint8_t op = p[i];
        t += (op >> 3) * 37;
        switch (op & 7) {
        case 0: case 1: case 2: {
            Admit a = breaker_admit(&b, cfg, t);
            if (a == Admit::probe) {
                /* a second probe only once the first counts as lost */
                FZ_CHECK(!probe_out || t >= probe_at + cfg.open_ms);
                probe_out = true;
                probe_at = t;
            }
            FZ_CHECK((a == Admit::pass)
                     == (b.phase == static_cast<std::uint8_t>(
                             BreakerPhase::closed)));
            break;
        }
        case 3:
            breaker_release(&b, t);
            probe_out = false;
            break;
        default: {
            bool failed = op & 1, was_probe = probe_out && (op & 2);
            BreakerEvent ev = breaker_report(&b, cfg, was_probe, failed, t);
            if (was_probe) {
                probe_out = false;
            }
            FZ_CHECK(ev != BreakerEvent::closed || !failed);
            FZ_CHECK(ev != BreakerEvent::opened || failed);
            break;
        }
        }
        FZ_CHECK(b.phase <= 2);
        FZ_CHECK(b.phase != 0 || b.failures < cfg.failures);
    }

    /* dedupe: the input split in two is a transactionId and metadata */
    std::string_view s(reinterpret_cast<const char *>(p), n);
    std::size_t cut = n ? p[0] % (n + 1) : 0;
    std::string_view tx = s.substr(0, cut), meta = s.substr(cut);
    DedupeRecord d;
    bool ok = dedupe_fill(&d, Status::failed, tx, meta, true, t);
    FZ_CHECK(ok == (tx.size() <= 128));
    if (ok) {
        FZ_CHECK(dedupe_tx(d) == tx);
        std::string_view m = dedupe_meta(d);
        FZ_CHECK(meta.substr(0, m.size()) == m);
        FZ_CHECK(m.size() == meta.size() || m.size() + tx.size() >= 157);
        FZ_CHECK(m.size() + tx.size() <= sizeof(d.text));
        if (fz::utf8_ok(meta)) {
            FZ_CHECK(fz::utf8_ok(m));
        }
        FZ_CHECK(dedupe_check(d, t + 5, 10, 10) == DedupeCheck::replay);
        FZ_CHECK(dedupe_check(d, t + 10, 10, 10) == DedupeCheck::fresh);
    } else {
        FZ_CHECK(dedupe_check(d, t, 10, 10) == DedupeCheck::fresh);
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    if (!number_init()) {
        std::abort();
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data,
                                      std::size_t size)
{
    if (size < 1) {
        return 0;
    }
    std::string_view rest(reinterpret_cast<const char *>(data + 1),
                          size - 1);
    switch (data[0] % 4) {
    case 0:
        fuzz_text(rest);
        break;
    case 1:
        if (size >= 2) {
            fuzz_number(data[1], rest.substr(1));
        }
        break;
    case 2:
        fuzz_window(data + 1, size - 1);
        break;
    default:
        fuzz_state(data + 1, size - 1);
        break;
    }
    return 0;
}
