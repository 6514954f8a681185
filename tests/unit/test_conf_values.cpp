/* Checks of directive values. */

#include <string>

#include "conf_values.hpp"
#include "test_util.hpp"

using namespace oktatel;

START_TEST(secrets)
{
    ck_assert_ptr_null(check_secret("s3cret-0123456789"));
    ck_assert_ptr_null(check_secret("Basic dXNlcjpwYXNz"));   /* inner space */
    ck_assert_ptr_null(check_secret("a\tb"));
    ck_assert_str_eq(check_secret(""), "is empty");
    for (const char *bad : {" lead", "trail ", "\tlead", "trail\t"}) {
        ck_assert_str_eq(check_secret(bad), "a secret cannot start or end "
                         "with a space: header values are trimmed");
    }
    for (std::string bad : {std::string("a\nb"), std::string("a\rb"),
                            std::string("a\x7f"), std::string("a\0b", 3)}) {
        ck_assert_str_eq(check_secret(bad), "a secret cannot contain control "
                         "characters");
    }
}
END_TEST

START_TEST(secret_file_lines)
{
    std::string file = "# comment\n\n  first-secret  \r\n\t#not a secret\n"
                       "second secret\r\n   \nlast";
    std::size_t pos = 0;
    std::string_view s;
    ck_assert(next_secret_line(file, &pos, &s));
    sv_eq(s, "first-secret");
    ck_assert(next_secret_line(file, &pos, &s));
    sv_eq(s, "second secret");
    ck_assert(next_secret_line(file, &pos, &s));
    sv_eq(s, "last");
    ck_assert(!next_secret_line(file, &pos, &s));
    ck_assert(!next_secret_line(file, &pos, &s));

    pos = 0;
    ck_assert(!next_secret_line("", &pos, &s));
    pos = 0;
    ck_assert(!next_secret_line("# only\n\n \t \r\n", &pos, &s));
}
END_TEST

START_TEST(api_key_files)
{
    std::string_view k;

    ck_assert_ptr_null(api_key_from_file("# 8x8 key\r\n  Abc.123-_=  \r\n\n",
                                         &k));
    sv_eq(k, "Abc.123-_=");
    ck_assert_ptr_null(api_key_from_file("k3y", &k));
    sv_eq(k, "k3y");
    ck_assert_str_eq(api_key_from_file("", &k), "contains no key");
    ck_assert_str_eq(api_key_from_file("# none\n\n", &k), "contains no key");
    ck_assert_str_eq(api_key_from_file("a\nb\n", &k),
                     "contains more than one key");
    for (std::string_view bad : {std::string_view("a b"),
                                 std::string_view("a\tb"),
                                 std::string_view("a\x01" "b"),
                                 std::string_view("caf\xc3\xa9"),
                                 std::string_view("a\0b", 3)}) {
        ck_assert_str_eq(api_key_from_file(bad, &k),
                         "a key is printable ASCII without spaces");
    }
}
END_TEST

START_TEST(header_names)
{
    ck_assert_ptr_null(check_header_name("Authorization"));
    ck_assert_ptr_null(check_header_name("x-okta-key"));
    ck_assert_ptr_null(check_header_name("x_okta_key"));
    ck_assert_str_eq(check_header_name(""), "is empty");
    ck_assert_str_eq(check_header_name("x telephony"), "invalid header name");
    ck_assert_str_eq(check_header_name("x:y"), "invalid header name");
    ck_assert(header_name_has_underscore("x_okta_key"));
    ck_assert(!header_name_has_underscore("x-okta-key"));
}
END_TEST

START_TEST(locations)
{
    ck_assert_ptr_null(check_location_uri("/_8x8/voice"));
    ck_assert_ptr_null(check_location_uri("/v"));
    for (const char *bad : {"", "/", "voice", "http://voice.8x8.com/",
                            "/v?x=1", "/$uri"}) {
        ck_assert_str_eq(check_location_uri(bad),
                         "must be a location URI such as \"/_8x8/voice\"");
    }
}
END_TEST

START_TEST(sms_sender_and_templates)
{
    ck_assert_ptr_null(check_sms_sender("Acme"));
    ck_assert_ptr_null(check_sms_sender("+65 1234-5._x"));
    ck_assert_str_eq(check_sms_sender(""), "must be 1 to 15 characters");
    ck_assert_str_eq(check_sms_sender("0123456789abcdef"),
                     "must be 1 to 15 characters");
    ck_assert_str_eq(check_sms_sender("Acme!"),
                     "may contain letters, digits, spaces and \"+-._\" only");

    ck_assert(template_ok("Code {code}", sms_template_max));
    ck_assert(!template_ok("Code {cod}", sms_template_max));
    ck_assert(template_ok(std::string(894, 'x') + "{code}", 900));
    ck_assert(!template_ok(std::string(895, 'x') + "{code}", 900));

    ck_assert(voice_profile_ok("en-US-Jenny"));
    ck_assert(voice_profile_ok("fr_FR_1"));
    ck_assert(!voice_profile_ok(""));
    ck_assert(!voice_profile_ok("en US"));
}
END_TEST

START_TEST(voice_numbers)
{
    int h = 0;
    struct { const char *in; int want; } ok[] = {
        {"0.5", 50}, {"0.8", 80}, {"1", 100}, {"1.25", 125}, {"2", 200},
        {"2.00", 200}, {"0.50", 50},
    };
    for (auto &c : ok) {
        ck_assert_msg(parse_voice_speed(c.in, &h), "%s", c.in);
        ck_assert_int_eq(h, c.want);
    }
    for (const char *bad : {"", ".5", "0.49", "2.01", "2.5", "1.255", "1.",
                            "a", "1,5", "-1", "0x1", "0001"}) {
        ck_assert_msg(!parse_voice_speed(bad, &h), "%s", bad);
    }

    ck_assert(voice_repetition_ok(1) && voice_repetition_ok(3));
    ck_assert(!voice_repetition_ok(0) && !voice_repetition_ok(4));
    ck_assert(!voice_repetition_ok(-1));
}
END_TEST

START_TEST(country_codes_and_provider)
{
    std::string_view d;
    ck_assert(parse_country_code("44", &d));
    sv_eq(d, "44");
    ck_assert(parse_country_code("+1", &d));
    sv_eq(d, "1");
    ck_assert(parse_country_code("998", &d));
    for (const char *bad : {"", "+", "0044", "0", "1234", "4a", "++1"}) {
        ck_assert_msg(!parse_country_code(bad, &d), "%s", bad);
    }

    ck_assert_ptr_null(check_provider("8x8"));
    ck_assert_ptr_null(check_provider(std::string(64, 'p')));
    ck_assert_str_eq(check_provider(""), "must be 1 to 64 characters");
    ck_assert_str_eq(check_provider(std::string(65, 'p')),
                     "must be 1 to 64 characters");
    ck_assert_str_eq(check_provider("a\tb"),
                     "cannot contain control characters");
}
END_TEST

START_TEST(bounds)
{
    ck_assert(buffer_size_ok(1024) && buffer_size_ok(16 * 1024 * 1024));
    ck_assert(!buffer_size_ok(1023) && !buffer_size_ok(16 * 1024 * 1024 + 1));
    ck_assert(timeout_ok(1) && !timeout_ok(0));
    ck_assert(!timeout_too_long(2999) && timeout_too_long(3000));
}
END_TEST

Suite *conf_values_suite()
{
    Suite *s = suite_create("conf_values");
    TCase *tc = tcase_create("conf_values");
    tcase_add_test(tc, secrets);
    tcase_add_test(tc, secret_file_lines);
    tcase_add_test(tc, api_key_files);
    tcase_add_test(tc, header_names);
    tcase_add_test(tc, locations);
    tcase_add_test(tc, sms_sender_and_templates);
    tcase_add_test(tc, voice_numbers);
    tcase_add_test(tc, country_codes_and_provider);
    tcase_add_test(tc, bounds);
    suite_add_tcase(s, tc);
    return s;
}
