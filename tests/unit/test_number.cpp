/* Number intelligence: parsing, normalisation and classification tables
   checked against libphonenumber's own answers. */

#include <cstdio>
#include <set>
#include <string>

#include <phonenumbers/phonenumberutil.h>

#include "number.hpp"
#include "test_util.hpp"

using namespace oktatel;

namespace {

namespace pn = i18n::phonenumbers;

void setup()
{
    ck_assert(number_init());
    ck_assert(number_ready());
}

struct Case {
    const char *in, *region, *e164, *where;
    NumberType  type;
    bool        valid;
};

void check_case(const Case &c)
{
    NumberInfo info;
    NumberError e = classify_number(c.in, c.region, &info);
    ck_assert_msg(e == NumberError::none, "%s in %s: error %s", c.in,
                  c.region, number_error_text(e));
    ck_assert_msg(info.e164.view() == c.e164, "%s in %s: %s, not %s", c.in,
                  c.region, info.e164.data, c.e164);
    ck_assert_msg(info.region.view() == c.where, "%s: region %s, not %s",
                  c.in, info.region.data, c.where);
    ck_assert_msg(info.type == c.type, "%s: %s, not %s", c.in,
                  number_type_name(info.type), number_type_name(c.type));
    ck_assert_msg(info.valid == c.valid, "%s: valid %d", c.in, info.valid);

    FixedStr<16> e164;
    ck_assert(number_e164(c.in, c.region, &e164) == NumberError::none);
    sv_eq(e164.view(), c.e164);
}

}  // namespace

/* one real example per type, from libphonenumber's metadata
   (GetExampleNumberForType) */
START_TEST(every_type)
{
    setup();
    const Case cases[] = {
        { "+441212345678", "", "+441212345678", "GB",
          NumberType::fixed_line, true },
        { "+447400123456", "", "+447400123456", "GB",
          NumberType::mobile, true },
        { "+12015550123", "", "+12015550123", "US",
          NumberType::fixed_line_or_mobile, true },
        { "+448001234567", "", "+448001234567", "GB",
          NumberType::toll_free, true },
        { "+449012345678", "", "+449012345678", "GB",
          NumberType::premium_rate, true },
        { "+4918012345", "", "+4918012345", "DE",
          NumberType::shared_cost, true },
        { "+445612345678", "", "+445612345678", "GB",
          NumberType::voip, true },
        { "+447012345678", "", "+447012345678", "GB",
          NumberType::personal_number, true },
        { "+447640123456", "", "+447640123456", "GB",
          NumberType::pager, true },
        { "+445512345678", "", "+445512345678", "GB",
          NumberType::uan, true },
        { "+41860123456789", "", "+41860123456789", "CH",
          NumberType::voicemail, true },
        { "+97912345678", "", "+97912345678", "001",
          NumberType::unknown, false },
        /* non-geographic ranges are region 001 */
        { "+80012345678", "", "+80012345678", "001",
          NumberType::toll_free, true },
        { "+979123456789", "", "+979123456789", "001",
          NumberType::premium_rate, true },
    };
    for (const Case &c : cases) {
        check_case(c);
    }
    /* every type has a name, and the names read back */
    for (int t = 0; t < static_cast<int>(NumberType::count_); t++) {
        NumberType back;
        const char *name = number_type_name(static_cast<NumberType>(t));
        ck_assert(number_type_from_name(name, &back));
        ck_assert_int_eq(static_cast<int>(back), t);
    }
    NumberType t;
    ck_assert(!number_type_from_name("Mobile", &t));
    ck_assert(!number_type_from_name("premium", &t));
    ck_assert(!number_type_from_name("", &t));
    ck_assert(!number_type_from_name("count_", &t));
}
END_TEST

/* +1 is 25 countries */
START_TEST(nanp)
{
    setup();
    const Case cases[] = {
        { "+18765551234", "", "+18765551234", "JM",
          NumberType::mobile, true },
        { "+1 876 210 1234", "", "+18762101234", "JM",
          NumberType::mobile, true },
        { "+19005551234", "", "+19005551234", "US",
          NumberType::premium_rate, true },
        { "+19002345678", "", "+19002345678", "US",
          NumberType::premium_rate, true },
        { "+14165551234", "", "+14165551234", "CA",
          NumberType::fixed_line_or_mobile, true },
        { "+1 (415) 555-0123", "", "+14155550123", "US",
          NumberType::fixed_line_or_mobile, true },
        { "+18002345678", "", "+18002345678", "US",
          NumberType::toll_free, true },
        { "+12684801234", "", "+12684801234", "AG",
          NumberType::voip, true },
        /* national, read in US: with and without the trunk 1 */
        { "(415) 555-0123", "US", "+14155550123", "US",
          NumberType::fixed_line_or_mobile, true },
        { "1 415 555 0123", "US", "+14155550123", "US",
          NumberType::fixed_line_or_mobile, true },
        { "876 555 1234", "US", "+18765551234", "JM",
          NumberType::mobile, true },
    };
    for (const Case &c : cases) {
        check_case(c);
    }
}
END_TEST

START_TEST(national_and_prefixes)
{
    setup();
    const Case cases[] = {
        /* Italy keeps its leading 0 */
        { "0612345678", "IT", "+390612345678", "IT",
          NumberType::fixed_line, true },
        { "+39 06 1234 5678", "", "+390612345678", "IT",
          NumberType::fixed_line, true },
        { "312 345 6789", "IT", "+393123456789", "IT",
          NumberType::mobile, true },
        /* trunk prefixes */
        { "07400 123456", "GB", "+447400123456", "GB",
          NumberType::mobile, true },
        { "030 123456", "DE", "+4930123456", "DE",
          NumberType::fixed_line, true },
        { "06 12 34 56 78", "FR", "+33612345678", "FR",
          NumberType::mobile, true },
        { "8123 4567", "SG", "+6581234567", "SG",
          NumberType::mobile, true },
        { "98765432", "SG", "+6598765432", "SG",
          NumberType::mobile, true },
        /* the UK's "(0)" after the country code */
        { "+44 (0) 7400 123456", "", "+447400123456", "GB",
          NumberType::mobile, true },
        /* international prefixes as the region dials them */
        { "0065 9876 5432", "GB", "+6598765432", "SG",
          NumberType::mobile, true },
        { "011 65 9876 5432", "US", "+6598765432", "SG",
          NumberType::mobile, true },
        { "00 33 6 12 34 56 78", "DE", "+33612345678", "FR",
          NumberType::mobile, true },
        { "0044 7400 123456", "FR", "+447400123456", "GB",
          NumberType::mobile, true },
        /* a '+' number ignores the default region */
        { "+6598765432", "GB", "+6598765432", "SG",
          NumberType::mobile, true },
        /* Crown dependencies have their own regions */
        { "+447911123456", "", "+447911123456", "GG",
          NumberType::mobile, true },
        { "07911 123456", "GB", "+447911123456", "GG",
          NumberType::mobile, true },
    };
    for (const Case &c : cases) {
        check_case(c);
    }
}
END_TEST

START_TEST(errors)
{
    setup();
    struct { const char *in, *region; NumberError e; } cases[] = {
        { "", "", NumberError::syntax },
        { "   ", "GB", NumberError::syntax },
        { "+", "", NumberError::syntax },
        { "tel:+6598765432", "", NumberError::syntax },
        { "1800 MICROSOFT", "US", NumberError::syntax },
        { "+65 9876 5432 ext 12", "", NumberError::syntax },
        { "+65 9876 5432;ext=12", "", NumberError::syntax },
        { "++6598765432", "", NumberError::syntax },
        { "+65+98765432", "", NumberError::syntax },
        { "65+98765432", "", NumberError::syntax },
        { "+65\t98765432", "", NumberError::syntax },
        { "+6598765432\n", "", NumberError::syntax },
        { "+65/9876/5432", "", NumberError::syntax },
        { "\xef\xbc\x8b\xef\xbc\x96\xef\xbc\x95\xef\xbc\x99\xef\xbc\x98"
          "\xef\xbc\x97\xef\xbc\x96\xef\xbc\x95\xef\xbc\x94", "",
          NumberError::syntax },                /* full-width "+65987654" */
        { "+\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6\xd9\xa7", "",
          NumberError::syntax },                /* Arabic-Indic digits */
        { "98765432", "", NumberError::needs_country_code },
        { "+999 1234 5678", "", NumberError::invalid_country_code },
        { "98765432", "XX", NumberError::invalid_country_code },
        { "+1", "", NumberError::not_a_number },
        { "+44 1", "", NumberError::too_short },
        { "+44 7400 123456 789012 3456", "", NumberError::too_long },
        { "+44 7400 1234567890", "", NumberError::too_long }, /* 16 digits */
        { "12345678901234567890123456789012345678901234567890123456789012345",
          "GB", NumberError::syntax },          /* 65 characters */
    };
    for (auto &c : cases) {
        NumberInfo info;
        NumberError e = classify_number(c.in, c.region, &info);
        ck_assert_msg(e == c.e, "\"%s\" in %s: %s, not %s", c.in, c.region,
                      number_error_text(e), number_error_text(c.e));
        ck_assert(info.e164.empty());
        sv_eq(info.region.view(), "ZZ");
        ck_assert(info.type == NumberType::unknown);
        ck_assert(!info.valid);
        FixedStr<16> e164;
        ck_assert(number_e164(c.in, c.region, &e164) == c.e);
        ck_assert(e164.empty());
        ck_assert(number_error_text(e)[0] != '\0');
    }
    ck_assert_str_eq(number_error_text(NumberError::syntax),
                     "must be a phone number in E.164 form");
    ck_assert_str_eq(number_error_text(NumberError::none), "");
    ck_assert_str_eq(number_error_text(NumberError::internal),
                     "could not be read as a phone number");
}
END_TEST

START_TEST(config_values)
{
    setup();
    RegionCode r;
    struct { const char *in; bool nongeo; const char *out; } ok[] = {
        { "US", false, "US" }, { "us", false, "US" }, { "sG", false, "SG" },
        { "GG", false, "GG" }, { "AC", false, "AC" }, { "001", true, "001" },
    };
    for (auto &c : ok) {
        ck_assert_msg(parse_region(c.in, c.nongeo, &r), "%s", c.in);
        sv_eq(r.view(), c.out);
    }
    for (const char *bad : { "ZZ", "XX", "UK", "USA", "U", "", "1", "00",
                             "0001", "U1", "@A", "001 " }) {
        ck_assert_msg(!parse_region(bad, true, &r), "%s", bad);
    }
    ck_assert(!parse_region("001", false, &r));

    struct { const char *cc, *region; } map[] = {
        { "44", "GB" }, { "1", "US" }, { "39", "IT" }, { "7", "RU" },
        { "65", "SG" }, { "262", "RE" }, { "61", "AU" },
    };
    for (auto &m : map) {
        ck_assert_msg(region_for_country_code(m.cc, &r), "%s", m.cc);
        sv_eq(r.view(), m.region);
    }
    for (const char *bad : { "", "800", "979", "999", "0", "4a", "+44",
                             "0044", "1234" }) {
        ck_assert_msg(!region_for_country_code(bad, &r), "%s", bad);
    }
}
END_TEST

/*
 * classify_number() derives validity from the type (libphonenumber's
 * IsValidNumber is "region known and type not UNKNOWN"). Checked here on
 * every example number of every region and type, and on each region's
 * invalid example, against libphonenumber's own calls.
 */
START_TEST(agrees_with_libphonenumber)
{
    setup();
    const pn::PhoneNumberUtil *u = pn::PhoneNumberUtil::GetInstance();
    std::set<std::string> regions;
    u->GetSupportedRegions(&regions);
    ck_assert_int_ge(regions.size(), 240);
    int checked = 0;
    auto check = [&](const pn::PhoneNumber &n) {
        std::string e164, region;
        u->Format(n, pn::PhoneNumberUtil::E164, &e164);
        if (e164.size() > 16) {
            return;
        }
        u->GetRegionCodeForNumber(n, &region);
        NumberInfo info;
        ck_assert(classify_number(e164, "", &info) == NumberError::none);
        sv_eq(info.e164.view(), e164);
        sv_eq(info.region.view(), region);
        ck_assert_int_eq(static_cast<int>(info.type), u->GetNumberType(n));
        ck_assert_msg(info.valid == u->IsValidNumber(n), "%s", e164.c_str());
        checked++;
    };
    for (const std::string &r : regions) {
        RegionCode rc;
        ck_assert_msg(parse_region(r, false, &rc), "%s", r.c_str());
        for (int t = 0; t <= pn::PhoneNumberUtil::VOICEMAIL; t++) {
            pn::PhoneNumber n;
            if (u->GetExampleNumberForType(
                    r, static_cast<pn::PhoneNumberUtil::PhoneNumberType>(t),
                    &n))
            {
                check(n);
            }
        }
        pn::PhoneNumber bad;
        if (u->GetInvalidExampleNumber(r, &bad)) {
            check(bad);
        }
    }
    std::set<int> codes;
    u->GetSupportedGlobalNetworkCallingCodes(&codes);
    for (int cc : codes) {
        pn::PhoneNumber n;
        if (u->GetExampleNumberForNonGeoEntity(cc, &n)) {
            check(n);
        }
    }
    ck_assert_int_ge(checked, 1500);
}
END_TEST

/* the worker's cache answers exactly what classify_number() says, keeps
   the default region apart, survives eviction and skips what it cannot
   key */
static void same_info(const NumberInfo &a, const NumberInfo &b, const char *in)
{
    ck_assert_msg(a.e164.view() == b.e164.view(), "%s: e164", in);
    ck_assert_msg(a.region.view() == b.region.view(), "%s: region", in);
    ck_assert_msg(a.type == b.type && a.valid == b.valid, "%s: type", in);
}

START_TEST(cache)
{
    setup();
    static NumberCache c;           /* zero-filled, as the glue's is */
    struct { const char *in, *region; } cases[] = {
        { "+6598765432", "" }, { "+18765551234", "" },
        { "+447400123456", "" }, { "07400 123456", "GB" },
        { "07400 123456", "" }, { "0065 9876 5432", "GB" },
        { "+999 1234 5678", "" }, { "+44 1", "" }, { "abc", "GB" },
    };
    for (int round = 0; round < 2; round++) {
        for (auto &k : cases) {
            NumberInfo want, got;
            NumberError we = classify_number(k.in, k.region, &want);
            std::uint64_t hits = c.hits, misses = c.misses;
            NumberError ge = classify_number_cached(&c, k.in, k.region,
                                                    &got);
            ck_assert_msg(ge == we, "%s in %s: %s, not %s", k.in, k.region,
                          number_error_text(ge), number_error_text(we));
            same_info(got, want, k.in);
            /* the first round classifies, the second only reads */
            ck_assert_uint_eq(c.hits, hits + (round == 1));
            ck_assert_uint_eq(c.misses, misses + (round == 0));
        }
    }
    /* the region is part of the key: the same text, read in GB and in no
       region, gave two answers above and still does */
    NumberInfo gb, none;
    ck_assert(classify_number_cached(&c, "07400 123456", "GB", &gb)
              == NumberError::none);
    ck_assert(classify_number_cached(&c, "07400 123456", "", &none)
              == NumberError::needs_country_code);
    sv_eq(gb.e164.view(), "+447400123456");

    /* three times as many numbers as slots: evictions, never a wrong
       answer */
    char buf[32];
    for (int i = 0; i < 3 * static_cast<int>(NumberCache::slots); i++) {
        std::snprintf(buf, sizeof(buf), "+6598%06d", i * 7);
        NumberInfo want, got;
        NumberError ge = classify_number_cached(&c, buf, "", &got);
        ck_assert(ge == classify_number(buf, "", &want));
        same_info(got, want, buf);
        if (i % 97 == 0) {
            std::snprintf(buf, sizeof(buf), "+6598%06d", (i / 2) * 7);
            ge = classify_number_cached(&c, buf, "", &got);
            ck_assert(ge == classify_number(buf, "", &want));
            same_info(got, want, buf);
        }
    }

    /* text longer than a key, and no cache: classified every time */
    std::uint64_t hits = c.hits, misses = c.misses;
    const char *longer = "+65 9876 5432                                   ";
    NumberInfo info;
    ck_assert(classify_number_cached(&c, longer, "", &info)
              == classify_number(longer, "", &info));
    ck_assert(classify_number_cached(&c, longer, "", &info)
              == NumberError::none);
    ck_assert(classify_number_cached(nullptr, "+6598765432", "", &info)
              == NumberError::none);
    sv_eq(info.region.view(), "SG");
    ck_assert_uint_eq(c.hits, hits);
    ck_assert_uint_eq(c.misses, misses);
}
END_TEST

Suite *number_suite()
{
    Suite *s = suite_create("number");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, every_type);
    tcase_add_test(tc, nanp);
    tcase_add_test(tc, national_and_prefixes);
    tcase_add_test(tc, errors);
    tcase_add_test(tc, config_values);
    tcase_add_test(tc, agrees_with_libphonenumber);
    tcase_add_test(tc, cache);
    suite_add_tcase(s, tc);
    return s;
}
