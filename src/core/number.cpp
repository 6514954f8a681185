/*
 * The libphonenumber wrapper: the only file that includes its headers.
 */

#include <cstring>
#include <string>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumberutil.h>

#include "core_util.hpp"
#include "number.hpp"

namespace oktatel {

namespace pn = i18n::phonenumbers;
using detail::is_digit;

namespace {

const char *const type_names[] = {
    "fixed_line", "mobile", "fixed_line_or_mobile", "toll_free",
    "premium_rate", "shared_cost", "voip", "personal_number", "pager", "uan",
    "voicemail", "unknown"
};

static_assert(sizeof(type_names) / sizeof(type_names[0])
              == static_cast<std::size_t>(NumberType::count_),
              "a name per type");
static_assert(static_cast<int>(pn::PhoneNumberUtil::UNKNOWN)
              == static_cast<int>(NumberType::unknown)
              && static_cast<int>(pn::PhoneNumberUtil::PREMIUM_RATE)
              == static_cast<int>(NumberType::premium_rate)
              && static_cast<int>(pn::PhoneNumberUtil::VOICEMAIL)
              == static_cast<int>(NumberType::voicemail),
              "NumberType follows libphonenumber's order");

const pn::PhoneNumberUtil *util;    /* set by number_init() */

void set_region(RegionCode *r, const char *s, std::size_t n)
{
    if (!r->assign(s, n)) {
        r->assign("ZZ", 2);
    }
}

void clear_info(NumberInfo *out)
{
    out->e164.clear();
    set_region(&out->region, "ZZ", 2);
    out->type = NumberType::unknown;
    out->valid = false;
}

/*
 * The characters normalize_phone() accepts, '+' only before the first
 * digit; at least one digit. *plus: the number starts with '+'.
 */
bool plain_number(std::string_view in, bool *plus)
{
    bool digit = false;
    *plus = false;
    for (char c : in) {
        if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') {
            continue;
        }
        if (c == '+' && !digit && !*plus) {
            *plus = true;
        } else if (is_digit(static_cast<unsigned char>(c))) {
            digit = true;
        } else {
            return false;
        }
    }
    return digit;
}

NumberError from_parse_error(pn::PhoneNumberUtil::ErrorType e)
{
    switch (e) {
    case pn::PhoneNumberUtil::NO_PARSING_ERROR:
        return NumberError::none;
    case pn::PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
        return NumberError::invalid_country_code;
    case pn::PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
    case pn::PhoneNumberUtil::TOO_SHORT_NSN:
        return NumberError::too_short;
    case pn::PhoneNumberUtil::TOO_LONG_NSN:
        return NumberError::too_long;
    case pn::PhoneNumberUtil::NOT_A_NUMBER:
        break;
    }
    return NumberError::not_a_number;
}

/* Parse and format as E.164; throws what libphonenumber throws. */
NumberError parse(std::string_view in, std::string_view region,
                  pn::PhoneNumber *num, FixedStr<16> *e164)
{
    bool plus;
    if (in.size() > 64 || !plain_number(in, &plus)) {
        return NumberError::syntax;
    }
    if (!plus && region.empty()) {
        return NumberError::needs_country_code;
    }
    if (util == nullptr) {
        return NumberError::internal;
    }
    std::string s(in), r(plus ? std::string_view("ZZ") : region);
    NumberError e = from_parse_error(util->Parse(s, r, num));
    if (e != NumberError::none) {
        return e;
    }
    std::string f;
    util->Format(*num, pn::PhoneNumberUtil::E164, &f);
    if (f.size() < 2 || f[0] != '+' || f[1] == '0') {
        return NumberError::not_a_number;
    }
    if (!e164->assign(f.data(), f.size())) {
        return NumberError::too_long;
    }
    return NumberError::none;
}

}  // namespace

const char *const number_not_valid_text =
    "is not a valid phone number for its country";

const char *number_type_name(NumberType t)
{
    std::size_t i = static_cast<std::size_t>(t);
    return i < static_cast<std::size_t>(NumberType::count_) ? type_names[i]
                                                          : "unknown";
}

bool number_type_from_name(std::string_view name, NumberType *out)
{
    for (std::size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]);
         i++)
    {
        if (name == type_names[i]) {
            *out = static_cast<NumberType>(i);
            return true;
        }
    }
    return false;
}

const char *number_error_text(NumberError e)
{
    switch (e) {
    case NumberError::none:                 return "";
    case NumberError::syntax:
        return "must be a phone number in E.164 form";
    case NumberError::needs_country_code:
        return "needs a country code (+...)";
    case NumberError::invalid_country_code:
        return "has an unknown country code";
    case NumberError::not_a_number:
        return "is not a phone number";
    case NumberError::too_short:
        return "is too short for a phone number";
    case NumberError::too_long:
        return "is too long for a phone number";
    case NumberError::internal:
        break;
    }
    return "could not be read as a phone number";
}

bool number_init() noexcept
{
    if (util != nullptr) {
        return true;
    }
    try {
        pn::PhoneNumberUtil *u = pn::PhoneNumberUtil::GetInstance();
        if (u == nullptr) {
            return false;
        }
        u->SetLogger(new pn::NullLogger());     /* u takes ownership */
        util = u;
        return true;
    } catch (...) {
        return false;
    }
}

bool number_ready() noexcept
{
    return util != nullptr;
}

NumberError number_e164(std::string_view in, std::string_view default_region,
                        FixedStr<16> *out) noexcept
{
    out->clear();
    try {
        pn::PhoneNumber num;
        NumberError e = parse(in, default_region, &num, out);
        if (e != NumberError::none) {
            out->clear();
        }
        return e;
    } catch (...) {
        out->clear();
        return NumberError::internal;
    }
}

NumberError classify_number(std::string_view in,
                            std::string_view default_region,
                            NumberInfo *out) noexcept
{
    clear_info(out);
    try {
        pn::PhoneNumber num;
        NumberError e = parse(in, default_region, &num, &out->e164);
        if (e != NumberError::none) {
            out->e164.clear();
            return e;
        }
        std::string r;
        util->GetRegionCodeForNumber(num, &r);
        set_region(&out->region, r.data(), r.size());
        int t = util->GetNumberType(num);
        if (t < 0 || t > static_cast<int>(NumberType::unknown)) {
            t = static_cast<int>(NumberType::unknown);
        }
        out->type = static_cast<NumberType>(t);
        /* IsValidNumber() is "region known and type not UNKNOWN"; asking
           it would find the region a third time (the dearest step for
           +1 and +44). The unit tests and the fuzzer check it agrees. */
        out->valid = out->type != NumberType::unknown;
        return NumberError::none;
    } catch (...) {
        clear_info(out);
        return NumberError::internal;
    }
}

bool parse_region(std::string_view in, bool nongeo_ok,
                  RegionCode *out) noexcept
{
    if (in == "001") {
        if (!nongeo_ok) {
            return false;
        }
        out->assign("001", 3);
        return true;
    }
    if (in.size() != 2 || util == nullptr) {
        return false;
    }
    char c[2];
    for (int i = 0; i < 2; i++) {
        c[i] = static_cast<char>(in[i] & ~0x20);
        if (c[i] < 'A' || c[i] > 'Z') {
            return false;
        }
    }
    try {
        /* GetCountryCodeForRegion is 0 for a region it has no data for */
        if (util->GetCountryCodeForRegion(std::string(c, 2)) == 0) {
            return false;
        }
    } catch (...) {
        return false;
    }
    out->assign(c, 2);
    return true;
}

bool region_for_country_code(std::string_view cc, RegionCode *out) noexcept
{
    if (cc.empty() || cc.size() > 3 || util == nullptr) {
        return false;
    }
    int code = 0;
    for (unsigned char ch : cc) {
        if (!is_digit(ch)) {
            return false;
        }
        code = code * 10 + (ch - '0');
    }
    try {
        std::string r;
        util->GetRegionCodeForCountryCode(code, &r);
        if (r.size() != 2 || r == "ZZ") {
            return false;           /* unknown, or "001" */
        }
        out->assign(r.data(), r.size());
        return true;
    } catch (...) {
        return false;
    }
}

}  // namespace oktatel
