/*
 * Checks of directive values, run once at "nginx -t". Each check returns
 * nullptr when the value is fine, else a fixed phrase saying what is
 * wrong; the glue puts the directive's name (and, where it is not a
 * secret, the value) around it.
 *
 * Pure C++17, no nginx header.
 */

#ifndef OKTA_TELEPHONY_CORE_CONF_VALUES_HPP
#define OKTA_TELEPHONY_CORE_CONF_VALUES_HPP

#include <cstddef>
#include <string_view>

namespace oktatel {

/* Secrets shorter than this draw a warning. */
constexpr std::size_t secret_min_length = 16;
/* A secret file larger than this is refused. */
constexpr std::size_t secret_file_max = 64 * 1024;

/* A secret is a header value: not empty, no control characters (tab
   allowed inside), no space or tab at either end (nginx trims them). */
const char *check_secret(std::string_view s);

/*
 * The next secret of a secret file's contents: one per line, surrounding
 * spaces, tabs and CRs trimmed, blank lines and lines starting with '#'
 * skipped. *pos is where to continue (start at 0). false at the end.
 */
bool next_secret_line(std::string_view file, std::size_t *pos,
                      std::string_view *secret);

/*
 * The 8x8 API key of an API key file: exactly one key line (read as by
 * next_secret_line()), a valid header value without spaces or tabs.
 * nullptr and *key set when fine, else what is wrong (never the key).
 */
const char *api_key_from_file(std::string_view file, std::string_view *key);

/* A header name nginx parses: [A-Za-z0-9_-]+. */
const char *check_header_name(std::string_view s);

/* Whether nginx refuses a header of this name while
   "underscores_in_headers" is off. */
bool header_name_has_underscore(std::string_view s);

/* An internal location's URI: "/..." of two or more bytes, no '?' or '$'. */
const char *check_location_uri(std::string_view s);

/* An SMS sender id: 1 to 15 of letters, digits, spaces and "+-._". */
const char *check_sms_sender(std::string_view s);

/* A text template with "{code}", at most max bytes. */
bool template_ok(std::string_view s, std::size_t max);

constexpr std::size_t sms_template_max = 900;
constexpr std::size_t voice_text_max = 1000;

/* Why a text template cannot be used, or null: template_ok(), and the
   text rules of a phone (phone_text_problem(), newlines allowed). */
const char *template_problem(std::string_view s, std::size_t max);

/* An 8x8 voice profile: [A-Za-z0-9_-]+. */
bool voice_profile_ok(std::string_view s);

/* "0.8": 0.5 to 2, at most two decimals; *hundredths set when fine. */
bool parse_voice_speed(std::string_view s, int *hundredths);

/* 1, 2 or 3 */
bool voice_repetition_ok(long n);

/* A country calling code, "+" optional: 1 to 3 digits, not starting with
   0. *digits: the code without "+". */
bool parse_country_code(std::string_view s, std::string_view *digits);

/* The provider name sent to Okta: 1 to 64 bytes, no control characters. */
const char *check_provider(std::string_view s);

/* okta_telephony_max_body_size / _reply_buffer_size: 1k to 16m. */
bool buffer_size_ok(std::size_t n);

/* okta_telephony_timeout: positive; and whether it leaves Okta (which
   waits 3 s) too little time. */
bool timeout_ok(unsigned long ms);
bool timeout_too_long(unsigned long ms);

}  // namespace oktatel

#endif
