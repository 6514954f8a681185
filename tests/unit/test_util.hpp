/* Helpers shared by the unit tests. */

#ifndef OKTATEL_TEST_UTIL_HPP
#define OKTATEL_TEST_UTIL_HPP

#include <check.h>

#include <string>
#include <vector>

#include "telephony.hpp"

Suite *hook_parser_suite();
Suite *validate_suite();
Suite *normalize_suite();
Suite *eightbyeight_suite();
Suite *okta_suite();
Suite *corpus_suite();
Suite *outcome_suite();
Suite *conf_values_suite();
Suite *number_suite();
Suite *abuse_suite();
Suite *window_suite();
Suite *jwt_suite();
Suite *jwks_suite();
Suite *utf8_suite();
Suite *jwks_cache_suite();
Suite *metrics_suite();
Suite *events_suite();

namespace testutil {

/* env var, else the default */
std::string dir_from_env(const char *var, const char *dflt);
std::string samples_dir();
std::string corpus_dir();

/* whole file; fails the test if unreadable */
std::string read_file(const std::string &path);
std::string sample(const char *name);

/* regular files in dir, sorted; empty if dir is absent */
std::vector<std::string> list_dir(const std::string &dir);

/* the Okta hook samples (every sample not named 8x8-*) */
std::vector<std::string> hook_sample_names();

/* a Sink appending to a std::string */
struct StrSink {
    std::string s;
    oktatel::Sink sink();
};

/* replaces the single occurrence of from; fails the test otherwise */
std::string replace(const std::string &in, const std::string &from,
                    const std::string &to);

/* parse a whole body in one piece */
oktatel::ParseError parse(const std::string &body, oktatel::RawHook *out,
                          unsigned max_depth =
                              oktatel::HookParser::default_max_depth);

/* field by field; "" when equal, else the name of the first difference */
const char *raw_diff(const oktatel::RawHook &a, const oktatel::RawHook &b);

/* parse + validate a body; false: parse or validation failed */
bool parse_validate(const std::string &body, oktatel::Hook *h,
                    oktatel::FieldError *err,
                    std::string_view default_cc = "");

/* yajl allocator that counts, for leak and ownership checks */
struct CountingAlloc {
    yajl_alloc_funcs af;
    long live;
    long total;
    CountingAlloc();
};

}  // namespace testutil

/* named copies: ck_assert_str_eq keeps its arguments past the statement */
#define sv_eq(a, b) do { \
        std::string sv_eq_a_(a), sv_eq_b_(b); \
        ck_assert_str_eq(sv_eq_a_.c_str(), sv_eq_b_.c_str()); \
    } while (0)

#endif
