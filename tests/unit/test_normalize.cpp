/* Phone, locale and expiry normalisation tables; phone masking. */

#include <cstring>

#include "test_util.hpp"

using namespace oktatel;
using namespace testutil;

namespace {
const char *const e164_form = "must be a phone number in E.164 form";
const char *const length = "must have 8 to 15 digits";
const char *const need_cc = "needs a country code (+...)";
}

START_TEST(phone_table)
{
    struct { const char *in, *cc, *out, *reason; } cases[] = {
        { "+6598765432", "", "+6598765432", nullptr },
        { "+65 9876 5432", "", "+6598765432", nullptr },
        { "+1-415-555-0123", "", "+14155550123", nullptr },
        { "+1.415.555.0123", "", "+14155550123", nullptr },
        { "+1 (415) 555-0123", "", "+14155550123", nullptr },
        { "(+44) 7700 900123", "", "+447700900123", nullptr },
        { "  +33 6 12 34 56 78  ", "", "+33612345678", nullptr },
        { "+123456789012345", "", "+123456789012345", nullptr },
        { "+12345678", "", "+12345678", nullptr },
        /* missing '+' */
        { "4155550123", "", nullptr, need_cc },
        { "9876543210", "1", "+19876543210", nullptr },
        { "(415) 555-0123", "1", "+14155550123", nullptr },
        { "07700 900123", "44", "+447700900123", nullptr },   /* trunk 0 */
        { "0612345678", "33", "+33612345678", nullptr },
        { "00612345678", "33", "+330612345678", nullptr }, /* one 0 only */
        { "98765432", "65", "+6598765432", nullptr },
        { "1234567890123456", "1", nullptr, length },
        { "0", "65", nullptr, length },
        /* lengths */
        { "+1234567", "", nullptr, length },
        { "+1234567890123456", "", nullptr, length },
        { "+6512", "", nullptr, length },
        { "+" "99999999999999999999999999999999", "", nullptr, length },
        /* bad characters */
        { "+65 9876 543a", "", nullptr, e164_form },
        { "+65\t98765432", "", nullptr, e164_form },
        { "+65/98765432", "", nullptr, e164_form },
        { "65+98765432", "", nullptr, e164_form },
        { "+65+98765432", "", nullptr, e164_form },
        { "++6598765432", "", nullptr, e164_form },
        { "+0598765432", "", nullptr, e164_form },
        { "+", "", nullptr, e164_form },
        { "", "", nullptr, e164_form },
        { " - . ( ) ", "", nullptr, e164_form },
        { "+\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6\xd9\xa7\xd9\xa8",
          "", nullptr, e164_form },
        { "+6598765432\n", "", nullptr, e164_form },
        { "tel:+6598765432", "", nullptr, e164_form },
        { "98765432", "6x", nullptr, e164_form },
    };
    for (auto &c : cases) {
        FixedStr<16> out;
        out.clear();
        const char *reason = nullptr;
        bool ok = normalize_phone(c.in, c.cc, &out, &reason);
        if (c.out != nullptr) {
            ck_assert_msg(ok, "'%s' refused: %s", c.in, reason);
            sv_eq(out.view(), c.out);
            ck_assert_uint_eq(out.data[out.len], 0);
        } else {
            ck_assert_msg(!ok, "'%s' accepted as %s", c.in, out.data);
            ck_assert_msg(std::strcmp(reason, c.reason) == 0, "'%s': %s",
                          c.in, reason);
        }
    }
}
END_TEST

START_TEST(mask_table)
{
    struct { const char *in, *out; } cases[] = {
        { "+6598765432", "+65******32" },
        { "+14155550123", "+14*******23" },
        { "+123456789012345", "+12***********45" },
        { "+123456", "+12**56" },
        { "+12345", "+*****" },
        { "+1", "+*" },
        { "+", "+" },
        { "", "" },
        { "6598765432", "65******32" },
    };
    for (auto &c : cases) {
        char buf[32];
        std::memset(buf, 'Z', sizeof(buf));
        mask_phone(c.in, buf, sizeof(buf));
        ck_assert_str_eq(buf, c.out);
    }
    /* bounded by cap, always terminated */
    char small[6];
    std::memset(small, 'Z', sizeof(small));
    mask_phone("+6598765432", small, sizeof(small));
    ck_assert_str_eq(small, "+65**");
    char one[1] = { 'Z' };
    mask_phone("+6598765432", one, 1);
    ck_assert_int_eq(one[0], 0);
    char none[1] = { 'Z' };
    mask_phone("+6598765432", none, 0);
    ck_assert_int_eq(none[0], 'Z');
}
END_TEST

START_TEST(locale_table)
{
    struct { const char *in, *out; } cases[] = {
        { "EN-US", "en-us" }, { "en_GB", "en-gb" }, { "FR-FR", "fr-fr" },
        { "en", "en" }, { "zh_Hant_TW", "zh-hant-tw" }, { "-", "-" },
        { "x-Private-1", "x-private-1" },
        { "abcdefghijklmnopqrstuvwxyz012345678", "abcdefghijklmnopqrstuvwxyz012345678" },
        { "", nullptr }, { " en", nullptr }, { "en ", nullptr },
        { "en-US;q=1", nullptr }, { "en.US", nullptr }, { "en/us", nullptr },
        { "fr\xc3\xa9", nullptr }, { "abcdefghijklmnopqrstuvwxyz0123456789", nullptr },
        { "en\nus", nullptr },
    };
    for (auto &c : cases) {
        FixedStr<35> out;
        out.clear();
        bool ok = normalize_locale(c.in, &out);
        if (c.out != nullptr) {
            ck_assert_msg(ok, "'%s'", c.in);
            sv_eq(out.view(), c.out);
            ck_assert_uint_eq(out.data[out.len], 0);
        } else {
            ck_assert_msg(!ok, "'%s'", c.in);
        }
    }
}
END_TEST

START_TEST(expiry_table)
{
    struct { const char *in, *out; } cases[] = {
        { "2026-11-28T10:05:00.000Z", "2026-11-28T10:05:00.000Z" },
        { "2026-11-28T10:05:00Z", "2026-11-28T10:05:00.000Z" },
        { "2026-11-28T10:05:00.0Z", "2026-11-28T10:05:00.000Z" },
        { "2026-11-28T10:05:00.12Z", "2026-11-28T10:05:00.120Z" },
        { "2026-11-28T10:05:00.123456Z", "2026-11-28T10:05:00.123Z" },
        { "2026-11-28T10:05:00.987654321Z", "2026-11-28T10:05:00.987Z" },
        { "2026-12-31T23:59:60Z", "2026-12-31T23:59:60.000Z" },
        { "2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000Z" },
        { "2026-11-28T10:05:00.9876543210Z", nullptr },
        { "2026-11-28T10:05:00.Z", nullptr },
        { "2026-11-28T10:05:00", nullptr },
        { "2026-11-28T10:05:00.000", nullptr },
        { "2026-11-28T10:05:00+00:00", nullptr },
        { "2026-11-28T10:05:00.000+01:00", nullptr },
        { "2026-11-28t10:05:00Z", nullptr },
        { "2026-11-28T10:05:00z", nullptr },
        { "2026-11-28 10:05:00Z", nullptr },
        { "2026-13-28T10:05:00Z", nullptr },
        { "2026-00-28T10:05:00Z", nullptr },
        { "2026-11-00T10:05:00Z", nullptr },
        { "2026-11-32T10:05:00Z", nullptr },
        { "2026-11-28T24:05:00Z", nullptr },
        { "2026-11-28T10:60:00Z", nullptr },
        { "2026-11-28T10:05:61Z", nullptr },
        { "2026-11-28T1:05:00Z", nullptr },
        { "26-11-28T10:05:00Z", nullptr },
        { "2026/11/28T10:05:00Z", nullptr },
        { "2026-11-28T10:05:00.1a3Z", nullptr },
        { "2026-1a-28T10:05:00Z", nullptr },
        { " 2026-11-28T10:05:00Z", nullptr },
        { "2026-11-28T10:05:00Z ", nullptr },
        { "", nullptr }, { "Z", nullptr }, { "1764324300", nullptr },
        /* the calendar: days that do not exist */
        { "2026-02-31T10:05:00Z", nullptr },
        { "2026-02-29T10:05:00Z", nullptr },
        { "2027-02-29T10:05:00Z", nullptr },
        { "2100-02-29T10:05:00Z", nullptr },
        { "2026-04-31T10:05:00Z", nullptr },
        { "2026-11-31T10:05:00Z", nullptr },
        { "1969-12-31T23:59:59Z", nullptr },
        { "0000-01-01T00:00:00Z", nullptr },
        { "2028-02-29T10:05:00Z", "2028-02-29T10:05:00.000Z" },
        { "2000-02-29T00:00:00Z", "2000-02-29T00:00:00.000Z" },
        { "2026-12-31T10:05:00Z", "2026-12-31T10:05:00.000Z" },
    };
    for (auto &c : cases) {
        FixedStr<24> out;
        out.clear();
        bool ok = normalize_expiry(c.in, &out);
        if (c.out != nullptr) {
            ck_assert_msg(ok, "'%s'", c.in);
            sv_eq(out.view(), c.out);
            ck_assert_uint_eq(out.data[out.len], 0);
        } else {
            ck_assert_msg(!ok, "'%s' accepted", c.in);
        }
    }
}
END_TEST

Suite *normalize_suite()
{
    Suite *s = suite_create("normalize");
    TCase *tc = tcase_create("tables");
    tcase_add_test(tc, phone_table);
    tcase_add_test(tc, mask_table);
    tcase_add_test(tc, locale_table);
    tcase_add_test(tc, expiry_table);
    suite_add_tcase(s, tc);
    return s;
}
