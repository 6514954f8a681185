/*
 * Checks of directive values (see conf_values.hpp).
 */

#include "conf_values.hpp"
#include "utf8.hpp"

#include "core_util.hpp"

namespace oktatel {

using detail::is_alnum;
using detail::is_digit;

namespace {

bool is_name_char(unsigned char c)
{
    return is_alnum(c) || c == '-' || c == '_';
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

const char *check_secret(std::string_view s)
{
    if (s.empty()) {
        return "is empty";
    }
    for (unsigned char c : s) {
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return "a secret cannot contain control characters";
        }
    }
    if (is_blank(s.front()) || is_blank(s.back())) {
        return "a secret cannot start or end with a space: header values "
               "are trimmed";
    }
    return nullptr;
}

bool next_secret_line(std::string_view file, std::size_t *pos,
                      std::string_view *secret)
{
    while (*pos < file.size()) {
        std::size_t start = *pos;
        std::size_t eol = file.find('\n', start);
        if (eol == std::string_view::npos) {
            eol = file.size();
        }
        *pos = eol + 1;

        std::size_t last = eol;
        while (last > start && (file[last - 1] == '\r'
                                || is_blank(file[last - 1]))) {
            last--;
        }
        while (start < last && is_blank(file[start])) {
            start++;
        }
        if (start == last || file[start] == '#') {
            continue;
        }
        *secret = file.substr(start, last - start);
        return true;
    }
    return false;
}

const char *api_key_from_file(std::string_view file, std::string_view *key)
{
    std::size_t pos = 0;
    std::string_view k, more;

    if (!next_secret_line(file, &pos, &k)) {
        return "contains no key";
    }
    if (next_secret_line(file, &pos, &more)) {
        return "contains more than one key";
    }
    for (unsigned char c : k) {
        if (c <= 0x20 || c >= 0x7f) {
            return "a key is printable ASCII without spaces";
        }
    }
    *key = k;
    return nullptr;
}

const char *check_header_name(std::string_view s)
{
    if (s.empty()) {
        return "is empty";
    }
    for (unsigned char c : s) {
        if (!is_name_char(c)) {
            return "invalid header name";
        }
    }
    return nullptr;
}

bool header_name_has_underscore(std::string_view s)
{
    return s.find('_') != std::string_view::npos;
}

const char *check_location_uri(std::string_view s)
{
    if (s.size() < 2 || s[0] != '/'
        || s.find('?') != std::string_view::npos
        || s.find('$') != std::string_view::npos) {
        return "must be a location URI such as \"/_8x8/voice\"";
    }
    return nullptr;
}

const char *check_sms_sender(std::string_view s)
{
    if (s.empty() || s.size() > 15) {
        return "must be 1 to 15 characters";
    }
    for (unsigned char c : s) {
        if (!(is_alnum(c) || c == '+' || c == ' ' || c == '-' || c == '.'
              || c == '_')) {
            return "may contain letters, digits, spaces and \"+-._\" only";
        }
    }
    return nullptr;
}

bool template_ok(std::string_view s, std::size_t max)
{
    return s.size() <= max && s.find("{code}") != std::string_view::npos;
}

const char *template_problem(std::string_view s, std::size_t max)
{
    if (s.size() > max) {
        return max == sms_template_max ? "must be at most 900 bytes"
                                       : "must be at most 1000 bytes";
    }
    if (s.find("{code}") == std::string_view::npos) {
        return "must contain \"{code}\"";
    }
    return phone_text_problem(s, true);
}

bool voice_profile_ok(std::string_view s)
{
    if (s.empty()) {
        return false;
    }
    for (unsigned char c : s) {
        if (!is_name_char(c)) {
            return false;
        }
    }
    return true;
}

bool parse_voice_speed(std::string_view s, int *hundredths)
{
    /* digits, then optionally '.' and one or two digits */
    std::size_t i = 0;
    long v = 0;
    while (i < s.size() && is_digit(static_cast<unsigned char>(s[i]))) {
        if (i >= 3) {
            return false;
        }
        v = v * 10 + (s[i] - '0');
        i++;
    }
    if (i == 0) {
        return false;
    }
    v *= 100;
    if (i < s.size()) {
        /* "2." is not a JSON number: refused like ".5" */
        if (s[i] != '.' || s.size() - i - 1 > 2 || s.size() - i - 1 == 0) {
            return false;
        }
        long scale = 10;
        for (i++; i < s.size(); i++, scale /= 10) {
            if (!is_digit(static_cast<unsigned char>(s[i]))) {
                return false;
            }
            v += (s[i] - '0') * scale;
        }
    }
    if (v < 50 || v > 200) {
        return false;
    }
    *hundredths = static_cast<int>(v);
    return true;
}

bool voice_repetition_ok(long n)
{
    return n >= 1 && n <= 3;
}

bool parse_country_code(std::string_view s, std::string_view *digits)
{
    if (!s.empty() && s[0] == '+') {
        s.remove_prefix(1);
    }
    if (s.empty() || s.size() > 3 || s[0] == '0') {
        return false;
    }
    for (unsigned char c : s) {
        if (!is_digit(c)) {
            return false;
        }
    }
    *digits = s;
    return true;
}

const char *check_provider(std::string_view s)
{
    if (s.empty() || s.size() > 64) {
        return "must be 1 to 64 characters";
    }
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f) {
            return "cannot contain control characters";
        }
    }
    return nullptr;
}

bool buffer_size_ok(std::size_t n)
{
    return n >= 1024 && n <= 16 * 1024 * 1024;
}

bool timeout_ok(unsigned long ms)
{
    return ms > 0;
}

bool timeout_too_long(unsigned long ms)
{
    return ms >= 3000;
}

}  // namespace oktatel
