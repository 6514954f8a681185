/* The unit test runner: every suite, exit status non-zero on failure. */

#include <cstdlib>

#include "test_util.hpp"

int main()
{
    SRunner *sr = srunner_create(hook_parser_suite());
    srunner_add_suite(sr, validate_suite());
    srunner_add_suite(sr, normalize_suite());
    srunner_add_suite(sr, eightbyeight_suite());
    srunner_add_suite(sr, okta_suite());
    srunner_add_suite(sr, corpus_suite());
    srunner_add_suite(sr, outcome_suite());
    srunner_add_suite(sr, conf_values_suite());
    srunner_add_suite(sr, number_suite());
    srunner_add_suite(sr, abuse_suite());
    srunner_add_suite(sr, window_suite());
    srunner_add_suite(sr, jwt_suite());
    srunner_add_suite(sr, jwks_suite());
    srunner_add_suite(sr, utf8_suite());
    srunner_add_suite(sr, jwks_cache_suite());
    srunner_add_suite(sr, metrics_suite());
    srunner_add_suite(sr, events_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
