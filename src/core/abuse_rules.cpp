/*
 * The abuse rules' configuration values and the number rules' decision.
 */

#include <cstdio>

#include "abuse.hpp"
#include "core_util.hpp"

namespace oktatel {

using detail::is_digit;

namespace {

/* Appends s to *t; false if it does not fit. */
bool append(RuleText *t, std::string_view s)
{
    if (t->len + s.size() > RuleText::capacity) {
        return false;
    }
    std::memcpy(t->data + t->len, s.data(), s.size());
    t->len += s.size();
    t->data[t->len] = '\0';
    return true;
}

bool starts_with(std::string_view s, std::string_view p)
{
    return s.size() >= p.size() && s.substr(0, p.size()) == p;
}

/* digits only, value <= max; at most 9 digits read */
bool small_number(std::string_view s, std::uint64_t max, std::uint64_t *v)
{
    if (s.empty() || s.size() > 9) {
        return false;
    }
    std::uint64_t x = 0;
    for (unsigned char c : s) {
        if (!is_digit(c)) {
            return false;
        }
        x = x * 10 + (c - '0');
    }
    *v = x;
    return x <= max;
}

}  // namespace

/* -------------------------------------------------------------- rates -- */

namespace {

/* PERIOD as digits (value) and a unit; bounds checked */
bool period_parts(std::string_view s, std::uint64_t *v, char *unit,
                  const char **err)
{
    std::uint64_t ms;
    switch (s.empty() ? '\0' : s.back()) {
    case 's': ms = 1000; break;
    case 'm': ms = 60 * 1000; break;
    case 'h': ms = 3600 * 1000; break;
    case 'd': ms = 24 * 3600 * 1000; break;
    default:
        *err = "PERIOD must be digits and a unit: s, m, h or d (10m)";
        return false;
    }
    std::string_view digits = s.substr(0, s.size() - 1);
    if (digits.empty() || digits.find_first_not_of("0123456789")
                          != std::string_view::npos)
    {
        *err = "PERIOD must be digits and a unit: s, m, h or d (10m)";
        return false;
    }
    if (!small_number(digits, rate_max_period_ms, v) || *v == 0
        || *v * ms > rate_max_period_ms)
    {
        *err = "PERIOD must be from 1s to 7d";
        return false;
    }
    *unit = s.back();
    return true;
}

std::uint64_t unit_ms(char unit)
{
    return unit == 's' ? 1000 : unit == 'm' ? 60 * 1000
           : unit == 'h' ? 3600 * 1000 : 24 * 3600 * 1000;
}

}  // namespace

bool parse_period(std::string_view s, std::uint64_t *ms, const char **err)
{
    std::uint64_t v;
    char unit;
    if (!period_parts(s, &v, &unit, err)) {
        return false;
    }
    *ms = v * unit_ms(unit);
    return true;
}

bool parse_rate(std::string_view s, Rate *out, const char **err)
{
    std::size_t slash = s.find('/');
    if (slash == std::string_view::npos) {
        *err = "must be N/PERIOD, e.g. 3/10m";
        return false;
    }
    std::uint64_t n, v;
    if (!small_number(s.substr(0, slash), rate_max_n, &n) || n == 0) {
        *err = "N must be a number from 1 to 1000000";
        return false;
    }
    char unit;
    if (!period_parts(s.substr(slash + 1), &v, &unit, err)) {
        return false;
    }
    /* canonical text: no leading zeros */
    char buf[32];
    int len = std::snprintf(buf, sizeof(buf), "%u/%llu%c",
                            static_cast<unsigned>(n),
                            static_cast<unsigned long long>(v), unit);
    if (len <= 0 || !out->text.assign(buf, static_cast<std::size_t>(len))) {
        *err = "must be N/PERIOD, e.g. 3/10m";
        return false;
    }
    out->n = static_cast<std::uint32_t>(n);
    out->period_ms = v * unit_ms(unit);
    return true;
}

/* ------------------------------------------------------------- limits -- */

const char *limit_key_name(LimitKey k)
{
    switch (k) {
    case LimitKey::number: return "number";
    case LimitKey::prefix: return "prefix";
    case LimitKey::region: return "region";
    case LimitKey::all:    break;
    }
    return "all";
}

namespace {

bool parse_key(std::string_view s, LimitKey *k)
{
    for (LimitKey c : { LimitKey::number, LimitKey::prefix, LimitKey::region,
                        LimitKey::all })
    {
        if (s == limit_key_name(c)) {
            *k = c;
            return true;
        }
    }
    return false;
}

/* one argument of okta_telephony_limit; *seen: bits 1 zone, 2 key, 4 rate,
   8 dry_run */
bool limit_arg(std::string_view a, LimitSpec *out, unsigned *seen,
               const char **err)
{
    unsigned bit;
    if (starts_with(a, "zone=")) {
        bit = 1;
        out->zone = a.substr(5);
        if (out->zone.empty()) {
            *err = "\"zone=\" needs a zone name";
            return false;
        }
    } else if (starts_with(a, "key=")) {
        bit = 2;
        if (!parse_key(a.substr(4), &out->rule.key)) {
            *err = "unknown key: use number, prefix, region or all";
            return false;
        }
    } else if (starts_with(a, "rate=")) {
        bit = 4;
        if (!parse_rate(a.substr(5), &out->rule.rate, err)) {
            return false;
        }
    } else if (a == "dry_run") {
        bit = 8;
        out->rule.dry_run = true;
    } else {
        *err = "unknown parameter: use zone=, key=, rate= or dry_run";
        return false;
    }
    if (*seen & bit) {
        *err = "parameter given twice";
        return false;
    }
    *seen |= bit;
    return true;
}

}  // namespace

bool parse_limit_args(const std::string_view *args, std::size_t n,
                      LimitSpec *out, const char **err, std::size_t *bad)
{
    unsigned seen = 0;
    out->zone = std::string_view();
    out->rule.key = LimitKey::number;
    out->rule.dry_run = false;
    out->rule.rate.n = 0;
    out->rule.rate.period_ms = 0;
    out->rule.rate.text.clear();
    out->rule.text.clear();
    for (std::size_t i = 0; i < n; i++) {
        if (!limit_arg(args[i], out, &seen, err)) {
            *bad = i;
            return false;
        }
    }
    *bad = n;
    if (!(seen & 1)) {
        *err = "\"zone=\" is missing";
        return false;
    }
    if (!(seen & 2)) {
        *err = "\"key=\" is missing";
        return false;
    }
    if (!(seen & 4)) {
        *err = "\"rate=\" is missing";
        return false;
    }
    RuleText *t = &out->rule.text;
    append(t, "limit ");
    append(t, limit_key_name(out->rule.key));
    append(t, " ");
    append(t, out->rule.rate.text.view());
    return true;
}

namespace {

/* "name=value" arguments: value of the one named, *seen updated. */
bool named_arg(std::string_view a, const char *const *names, unsigned count,
               unsigned *which, std::string_view *value, unsigned *seen,
               const char **err, const char *unknown)
{
    for (unsigned i = 0; i < count; i++) {
        std::string_view name(names[i]);
        if (starts_with(a, name)) {
            if (*seen & (1u << i)) {
                *err = "parameter given twice";
                return false;
            }
            *seen |= 1u << i;
            *which = i;
            *value = a.substr(name.size());
            return true;
        }
    }
    *err = unknown;
    return false;
}

}  // namespace

bool parse_breaker_args(const std::string_view *args, std::size_t n,
                        BreakerSpec *out, const char **err, std::size_t *bad)
{
    static const char *const names[] = { "zone=", "failures=", "open=" };
    unsigned seen = 0, which;
    std::string_view v;
    std::uint64_t x;

    *out = BreakerSpec();
    for (std::size_t i = 0; i < n; i++) {
        *bad = i;
        if (!named_arg(args[i], names, 3, &which, &v, &seen, err,
                       "unknown parameter: use zone=, failures= or open="))
        {
            return false;
        }
        if (which == 0) {
            out->zone = v;
            if (v.empty()) {
                *err = "\"zone=\" needs a zone name";
                return false;
            }
        } else if (which == 1) {
            if (!small_number(v, breaker_max_failures, &x) || x == 0) {
                *err = "failures= must be a number from 1 to 1000";
                return false;
            }
            out->config.failures = static_cast<std::uint32_t>(x);
        } else if (!parse_period(v, &out->config.open_ms, err)) {
            return false;
        }
    }
    *bad = n;
    for (unsigned i = 0; i < 3; i++) {
        if (!(seen & (1u << i))) {
            *err = i == 0 ? "\"zone=\" is missing"
                   : i == 1 ? "\"failures=\" is missing"
                   : "\"open=\" is missing";
            return false;
        }
    }
    return true;
}

bool parse_dedupe_args(const std::string_view *args, std::size_t n,
                       DedupeSpec *out, const char **err, std::size_t *bad)
{
    static const char *const names[] = { "zone=", "time=" };
    unsigned seen = 0, which;
    std::string_view v;

    *out = DedupeSpec();
    for (std::size_t i = 0; i < n; i++) {
        *bad = i;
        if (!named_arg(args[i], names, 2, &which, &v, &seen, err,
                       "unknown parameter: use zone= or time="))
        {
            return false;
        }
        if (which == 0) {
            out->zone = v;
            if (v.empty()) {
                *err = "\"zone=\" needs a zone name";
                return false;
            }
        } else if (!parse_period(v, &out->time_ms, err)) {
            return false;
        }
    }
    *bad = n;
    if (!(seen & 1)) {
        *err = "\"zone=\" is missing";
        return false;
    }
    if (!(seen & 2)) {
        *err = "\"time=\" is missing";
        return false;
    }
    return true;
}

bool limit_zone_key(const LimitRule &r, std::string_view e164,
                    const RegionCode &region, LimitZoneKey *out)
{
    if (e164.size() < 6 || e164.size() > 16 || e164[0] != '+') {
        return false;
    }
    for (std::size_t i = 1; i < e164.size(); i++) {
        if (!is_digit(static_cast<unsigned char>(e164[i]))) {
            return false;
        }
    }
    std::string_view v;
    switch (r.key) {
    case LimitKey::number: v = e164; break;
    case LimitKey::prefix: v = e164.substr(0, e164.size() - 4); break;
    case LimitKey::region: v = region.view(); break;
    case LimitKey::all:    break;
    }
    char buf[64];
    int len = std::snprintf(buf, sizeof(buf), "%c%u/%llu:%.*s",
                            limit_key_name(r.key)[0],
                            static_cast<unsigned>(r.rate.n),
                            static_cast<unsigned long long>(r.rate.period_ms),
                            static_cast<int>(v.size()), v.data());
    return len > 0 && out->assign(buf, static_cast<std::size_t>(len));
}

/* ------------------------------------------------------- number rules -- */

namespace {

/* AA..ZZ: 0..675; 001: 676; else -1 */
int region_index(const RegionCode &r)
{
    std::string_view s = r.view();
    if (s == "001") {
        return 26 * 26;
    }
    if (s.size() != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A'
        || s[1] > 'Z')
    {
        return -1;
    }
    return (s[0] - 'A') * 26 + (s[1] - 'A');
}

}  // namespace

bool region_set_add(RegionSet *s, const RegionCode &r)
{
    int i = region_index(r);
    if (i < 0) {
        return false;
    }
    s->bits[i / 64] |= std::uint64_t(1) << (i % 64);
    return true;
}

bool region_set_has(const RegionSet &s, const RegionCode &r)
{
    int i = region_index(r);
    return i >= 0 && (s.bits[i / 64] >> (i % 64)) & 1;
}

bool parse_region_list(const std::string_view *args, std::size_t n,
                       NumberRules *out, const char **err, std::size_t *bad)
{
    *bad = 0;
    ListMode mode;
    if (n > 0 && args[0] == "allow") {
        mode = ListMode::allow;
    } else if (n > 0 && args[0] == "deny") {
        mode = ListMode::deny;
    } else {
        *err = "the first parameter must be allow or deny";
        return false;
    }
    if (out->regions_mode != ListMode::none && out->regions_mode != mode) {
        *err = "allow and deny cannot be mixed in one location";
        return false;
    }
    if (n < 2) {
        *bad = n;
        *err = "no region given";
        return false;
    }
    for (std::size_t i = 1; i < n; i++) {
        RegionCode r;
        if (!parse_region(args[i], true, &r)) {
            *bad = i;
            *err = number_ready()
                   ? "unknown region: use ISO 3166 codes (US, SG) or 001"
                   : "regions cannot be checked: libphonenumber failed";
            return false;
        }
        region_set_add(&out->regions, r);
    }
    out->regions_mode = mode;
    return true;
}

bool parse_type_list(const std::string_view *args, std::size_t n, bool sms,
                     NumberRules *out, const char **err, std::size_t *bad)
{
    *bad = 0;
    if (n == 0 || args[0] != (sms ? "allow" : "deny")) {
        *err = sms ? "the first parameter must be allow"
                   : "the first parameter must be deny";
        return false;
    }
    if (n < 2) {
        *bad = n;
        *err = "no number type given";
        return false;
    }
    TypeSet set = 0;
    for (std::size_t i = 1; i < n; i++) {
        NumberType t;
        if (!number_type_from_name(args[i], &t)) {
            *bad = i;
            *err = "unknown number type: use mobile, fixed_line, "
                   "fixed_line_or_mobile, toll_free, premium_rate, "
                   "shared_cost, voip, personal_number, pager, uan, "
                   "voicemail or unknown";
            return false;
        }
        set |= type_bit(t);
    }
    (sms ? out->sms_types : out->deny_types) |= set;
    return true;
}

bool number_rules_need_info(const NumberRules &r, const LimitRule *limits,
                            std::size_t nlimits)
{
    if (r.strict || r.regions_mode != ListMode::none || r.deny_types != 0
        || r.sms_types != 0)
    {
        return true;
    }
    for (std::size_t i = 0; i < nlimits; i++) {
        if (limits[i].key == LimitKey::region) {
            return true;
        }
    }
    return false;
}

Verdict check_number(const NumberRules &r, Channel ch, NumberError e,
                     const NumberInfo &info, RuleText *text,
                     const char **reason)
{
    text->clear();
    if (r.strict && (e != NumberError::none || !info.valid)) {
        *reason = e != NumberError::none ? number_error_text(e)
                                         : number_not_valid_text;
        return Verdict::refuse;
    }
    if (r.regions_mode != ListMode::none) {
        bool in = region_set_has(r.regions, info.region);
        if (in != (r.regions_mode == ListMode::allow)) {
            append(text, "region ");
            append(text, region_index(info.region) < 0
                         || info.region.view() == "ZZ"
                         ? "unknown" : info.region.view());
            return Verdict::block;
        }
    }
    TypeSet bit = type_bit(info.type);
    if (r.deny_types & bit) {
        append(text, "number type ");
        append(text, number_type_name(info.type));
        return Verdict::block;
    }
    if (ch == Channel::sms && r.sms_types != 0 && !(r.sms_types & bit)) {
        append(text, "sms number type ");
        append(text, number_type_name(info.type));
        return Verdict::block;
    }
    return Verdict::allow;
}

}  // namespace oktatel
