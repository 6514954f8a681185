/*
 * Phone numbers, locales and timestamps to one canonical form each.
 */

#include "core_util.hpp"

namespace oktatel {

using detail::is_alnum;
using detail::is_digit;
using detail::lower;

bool normalize_phone(std::string_view in, std::string_view default_cc,
                     FixedStr<16> *out, const char **reason)
{
    static const char *const not_e164 = "must be a phone number in E.164 form";
    static const char *const bad_length = "must have 8 to 15 digits";

    /* more than 15 digits is refused anyway: count them, keep 16 */
    char digits[16];
    std::size_t nd = 0, total = 0;
    bool plus = false, first = true;

    for (char c : in) {
        if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') {
            continue;
        }
        if (c == '+' && first) {
            plus = true;
        } else if (is_digit(static_cast<unsigned char>(c))) {
            if (nd < sizeof(digits)) {
                digits[nd++] = c;
            }
            total++;
        } else {
            *reason = not_e164;
            return false;
        }
        first = false;
    }

    if (total == 0) {
        *reason = not_e164;
        return false;
    }

    const char *d = digits;
    std::string_view cc;
    if (!plus) {
        if (default_cc.empty()) {
            *reason = "needs a country code (+...)";
            return false;
        }
        for (unsigned char c : default_cc) {
            if (!is_digit(c)) {
                *reason = not_e164;
                return false;
            }
        }
        cc = default_cc;
        if (d[0] == '0') {   /* national trunk prefix */
            d++;
            nd--;
            total--;
        }
    }

    total += cc.size();
    if (total < 8 || total > 15) {
        *reason = bad_length;
        return false;
    }
    if ((cc.empty() ? d[0] : cc[0]) == '0') {
        *reason = not_e164;
        return false;
    }

    out->data[0] = '+';
    char *o = out->data + 1;
    for (char c : cc) {
        *o++ = c;
    }
    std::memcpy(o, d, nd);
    out->len = 1 + total;
    out->data[out->len] = '\0';
    return true;
}

void mask_phone(std::string_view e164, char *out, std::size_t cap)
{
    if (cap == 0) {
        return;
    }
    std::size_t i = 0, o = 0;
    if (!e164.empty() && e164[0] == '+' && o + 1 < cap) {
        out[o++] = '+';
        i = 1;
    }
    std::size_t nd = e164.size() - i;
    for (std::size_t k = 0; i < e164.size() && o + 1 < cap; i++, k++) {
        bool keep = nd >= 6 && (k < 2 || k >= nd - 2);
        out[o++] = keep ? e164[i] : '*';
    }
    out[o] = '\0';
}

bool normalize_locale(std::string_view in, FixedStr<35> *out)
{
    if (in.empty() || in.size() > FixedStr<35>::capacity) {
        return false;
    }
    for (std::size_t i = 0; i < in.size(); i++) {
        char c = in[i];
        if (c == '_') {
            c = '-';
        } else if (c != '-' && !is_alnum(static_cast<unsigned char>(c))) {
            return false;
        }
        out->data[i] = lower(c);
    }
    out->len = in.size();
    out->data[out->len] = '\0';
    return true;
}

namespace {

/* n digits at s[at] into *v; false if not all digits or v outside lo..hi.
   Inlined: with n known at each call the loop unrolls. */
__attribute__((always_inline)) inline
bool num(std::string_view s, std::size_t at, std::size_t n, int lo, int hi,
         int *v = nullptr)
{
    int x = 0;
    for (std::size_t i = at; i < at + n; i++) {
        if (!is_digit(static_cast<unsigned char>(s[i]))) {
            return false;
        }
        x = x * 10 + (s[i] - '0');
    }
    if (v != nullptr) {
        *v = x;
    }
    return x >= lo && x <= hi;
}

}  // namespace

namespace {

int digits_at(std::string_view s, std::size_t at, std::size_t n)
{
    int v = 0;
    for (std::size_t i = 0; i < n; i++) {
        v = v * 10 + (s[at + i] - '0');
    }
    return v;
}

bool leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int y, int m)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
                                   30, 31 };
    return (m == 2 && leap_year(y)) ? 29 : days[m - 1];
}

/* "2026-02-31": the digits are checked already, the calendar here */
bool day_exists(std::string_view s)
{
    int y = digits_at(s, 0, 4), m = digits_at(s, 5, 2);
    return y >= 1970 && digits_at(s, 8, 2) <= days_in_month(y, m);
}

/* days since 1970-01-01 of a proleptic Gregorian date (Hinnant's) */
std::int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    std::int64_t yoe = y - era * 400;
    std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

}  // namespace

std::int64_t expiry_epoch_ms(std::string_view v)
{
    if (v.size() != 24) {
        return -1;
    }
    std::int64_t days = days_from_civil(digits_at(v, 0, 4),
                                        digits_at(v, 5, 2),
                                        digits_at(v, 8, 2));
    std::int64_t secs = days * 86400 + digits_at(v, 11, 2) * 3600
                        + digits_at(v, 14, 2) * 60 + digits_at(v, 17, 2);
    return secs * 1000 + digits_at(v, 20, 3);
}

bool expiry_passed(std::string_view valid_until, std::int64_t now_ms,
                   std::int64_t skew_ms)
{
    if (valid_until.empty()) {
        return false;
    }
    std::int64_t t = expiry_epoch_ms(valid_until);
    return t >= 0 && t + skew_ms < now_ms;
}

bool normalize_expiry(std::string_view in, FixedStr<24> *out)
{
    /* 2026-11-28T10:05:00 */
    constexpr std::size_t base = 19;
    if (in.size() < base + 1 || in.size() > base + 1 + 9 + 1) {
        return false;
    }
    if (!num(in, 0, 4, 0, 9999) || in[4] != '-' || !num(in, 5, 2, 1, 12)
        || in[7] != '-' || !num(in, 8, 2, 1, 31) || in[10] != 'T'
        || !num(in, 11, 2, 0, 23) || in[13] != ':' || !num(in, 14, 2, 0, 59)
        || in[16] != ':' || !num(in, 17, 2, 0, 60))
    {
        return false;
    }
    if (in.back() != 'Z' || !day_exists(in)) {
        return false;
    }
    std::string_view frac = in.substr(base, in.size() - base - 1);
    if (!frac.empty()) {
        if (frac.size() < 2 || frac[0] != '.'
            || !num(frac, 1, frac.size() - 1, 0, 999999999))
        {
            return false;
        }
        frac.remove_prefix(1);
    }

    std::memcpy(out->data, in.data(), base);
    out->data[base] = '.';
    for (std::size_t i = 0; i < 3; i++) {
        out->data[base + 1 + i] = i < frac.size() ? frac[i] : '0';
    }
    out->data[23] = 'Z';
    out->data[24] = '\0';
    out->len = 24;
    return true;
}

}  // namespace oktatel
