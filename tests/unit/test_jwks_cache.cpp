/* Fetched keys: the cache age, when a request fetches, the issuer check. */

#include "jwt.hpp"
#include "test_util.hpp"

using namespace oktatel::jwt;


START_TEST(cache_age_clamped)
{
    ck_assert_int_eq(jwks_cache_age(""), jwks_min_age);
    ck_assert_int_eq(jwks_cache_age("max-age=3600"), 3600);
    ck_assert_int_eq(jwks_cache_age("public, MAX-AGE = 7200 , must-revalidate"),
                     7200);
    ck_assert_int_eq(jwks_cache_age("max-age=\"900\""), 900);
    /* Okta's own value for /v1/keys */
    ck_assert_int_eq(jwks_cache_age("max-age=5003777, must-revalidate"),
                     jwks_max_age);
    ck_assert_int_eq(jwks_cache_age("max-age=99999999999999999999999"),
                     jwks_max_age);
    ck_assert_int_eq(jwks_cache_age("max-age=10"), jwks_min_age);
    ck_assert_int_eq(jwks_cache_age("max-age=0"), jwks_min_age);
    ck_assert_int_eq(jwks_cache_age("max-age=-5"), jwks_min_age);
    ck_assert_int_eq(jwks_cache_age("max-age=12x"), jwks_min_age);
    ck_assert_int_eq(jwks_cache_age("max-age"), jwks_min_age);
    ck_assert_int_eq(jwks_cache_age("no-cache, max-age=3600"), jwks_min_age);
    ck_assert_int_eq(jwks_cache_age("max-age=3600, no-store"), jwks_min_age);
    /* the first max-age counts */
    ck_assert_int_eq(jwks_cache_age("max-age=600, max-age=7200"), 600);
    ck_assert_int_eq(jwks_cache_age("s-maxage=7200"), jwks_min_age);
}
END_TEST


START_TEST(fetch_cold_then_fresh)
{
    JwksFetchState s{};
    ck_assert(jwks_should_fetch(s, true, 1000) == Fetch::cold);
    jwks_fetch_started(&s, Fetch::cold, 1000);
    /* one at a time */
    ck_assert(jwks_should_fetch(s, true, 1000) == Fetch::none);
    ck_assert(jwks_should_fetch(s, true, 1009) == Fetch::none);
    jwks_fetch_done(&s, true, 300, 1001);
    ck_assert_uint_eq(s.generation, 1);
    ck_assert_int_eq(s.expires_at, 1301);
    ck_assert_uint_eq(s.fetches, 1);
    /* a cold fetch does not hold an unknown-kid one */
    ck_assert(jwks_should_fetch(s, false, 1002) == Fetch::none);
    ck_assert(jwks_should_fetch(s, true, 1002) == Fetch::unknown_kid);
    ck_assert(jwks_should_fetch(s, false, 1301) == Fetch::expired);
    ck_assert_str_eq(fetch_name(Fetch::unknown_kid), "unknown kid");
}
END_TEST


START_TEST(fetch_unknown_kid_held)
{
    JwksFetchState s{};
    jwks_fetch_started(&s, Fetch::cold, 100);
    jwks_fetch_done(&s, true, 3600, 100);

    jwks_fetch_started(&s, Fetch::unknown_kid, 110);
    jwks_fetch_done(&s, true, 3600, 110);
    ck_assert_uint_eq(s.generation, 2);
    /* a burst of unknown kids: no fetch for 30 s */
    for (std::int64_t t = 110; t < 140; t++) {
        ck_assert(jwks_should_fetch(s, true, t) == Fetch::none);
    }
    ck_assert(jwks_should_fetch(s, true, 140) == Fetch::unknown_kid);
    /* a clock that went back does not hold forever */
    ck_assert(jwks_should_fetch(s, true, 50) == Fetch::unknown_kid);
}
END_TEST


START_TEST(fetch_failure_keeps_and_holds)
{
    JwksFetchState s{};
    jwks_fetch_started(&s, Fetch::cold, 100);
    jwks_fetch_done(&s, true, 300, 100);
    jwks_fetch_started(&s, Fetch::expired, 400);
    jwks_fetch_done(&s, false, 0, 401);
    /* the old document stays: same generation, still "fetched" */
    ck_assert_uint_eq(s.generation, 1);
    ck_assert_int_eq(s.fetched_at, 100);
    ck_assert_uint_eq(s.failures, 1);
    ck_assert(jwks_should_fetch(s, false, 402) == Fetch::none);
    ck_assert(jwks_should_fetch(s, true, 430) == Fetch::none);
    ck_assert(jwks_should_fetch(s, false, 431) == Fetch::expired);

    /* a cold fetch that fails is retried after the hold too */
    JwksFetchState c{};
    jwks_fetch_started(&c, Fetch::cold, 10);
    jwks_fetch_done(&c, false, 0, 11);
    ck_assert(jwks_should_fetch(c, true, 40) == Fetch::none);
    ck_assert(jwks_should_fetch(c, true, 41) == Fetch::cold);
}
END_TEST


START_TEST(fetch_lost_in_flight)
{
    JwksFetchState s{};
    jwks_fetch_started(&s, Fetch::cold, 100);
    ck_assert(jwks_should_fetch(s, true, 109) == Fetch::none);
    ck_assert(jwks_should_fetch(s, true, 110) == Fetch::cold);
}
END_TEST


START_TEST(issuer_checked)
{
    ck_assert_ptr_null(check_issuer("https://acme.okta.com/oauth2/aus1a2b3c4"));
    ck_assert_ptr_null(check_issuer("https://acme.okta.com/oauth2/default"));
    ck_assert_ptr_null(check_issuer("HTTPS://127.0.0.1:8443/oauth2/x"));
    ck_assert_str_eq(check_issuer("http://acme.okta.com/oauth2/default"),
                     "must start with \"https://\"");
    ck_assert_str_eq(check_issuer("acme.okta.com"),
                     "must start with \"https://\"");
    ck_assert_str_eq(check_issuer("https://"), "has no host");
    ck_assert_str_eq(check_issuer("https:///x"), "has no host");
    ck_assert_ptr_nonnull(check_issuer("https://a.okta.com/x?y=1"));
    ck_assert_ptr_nonnull(check_issuer("https://a.okta.com/x#y"));
    ck_assert_ptr_nonnull(check_issuer("https://u@a.okta.com/x"));
    ck_assert_ptr_nonnull(check_issuer("https://a.okta.com/ x"));
    ck_assert_ptr_nonnull(check_issuer("https://a.okta.com/oauth2/default/"));
    ck_assert_ptr_nonnull(check_issuer("https://a" + std::string(300, 'b')));
}
END_TEST


Suite *jwks_cache_suite()
{
    Suite *s = suite_create("jwks_cache");
    TCase *tc = tcase_create("fetch");
    tcase_add_test(tc, cache_age_clamped);
    tcase_add_test(tc, fetch_cold_then_fresh);
    tcase_add_test(tc, fetch_unknown_kid_held);
    tcase_add_test(tc, fetch_failure_keeps_and_holds);
    tcase_add_test(tc, fetch_lost_in_flight);
    tcase_add_test(tc, issuer_checked);
    suite_add_tcase(s, tc);
    return s;
}
