/*
 * Strict UTF-8 (RFC 3629) and the characters that must not reach a phone,
 * Okta or a log line. Pure C++17, no allocation.
 */

#ifndef OKTA_TELEPHONY_CORE_UTF8_HPP
#define OKTA_TELEPHONY_CORE_UTF8_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace oktatel {

/*
 * The code point at s[0..n): its length (1..4) and *cp, or 0 when s does
 * not start with a well-formed sequence (overlong forms, surrogates,
 * above U+10FFFF, a stray continuation byte, a cut sequence).
 */
std::size_t utf8_decode(const unsigned char *s, std::size_t n,
                        std::uint32_t *cp);

/* Every byte of s is part of a well-formed sequence. */
bool utf8_valid(std::string_view s);

/*
 * A code point that can change how a text reads or where it breaks:
 * C0 controls, DEL, C1 controls, U+2028 and U+2029, the bidirectional
 * embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069).
 */
bool utf8_unsafe(std::uint32_t cp);

/*
 * Why s cannot be sent to a phone, or null when it can: strict UTF-8 and
 * no code point utf8_unsafe() names except '\n' (when newline_ok). The
 * reasons are fixed texts ("must be valid UTF-8", ...).
 */
const char *phone_text_problem(std::string_view s, bool newline_ok);

/*
 * A text from a peer made safe to repeat: a byte that does not start a
 * well-formed sequence becomes U+FFFD, an unsafe code point a space; at
 * most cap bytes, never a cut sequence. Returns the bytes written (no NUL).
 */
std::size_t utf8_clean(std::string_view in, char *out, std::size_t cap);

/*
 * The raw text of a JSON document, checked as it streams in pieces split
 * anywhere: strict UTF-8, and \u escapes that a strict decoder accepts
 * (a high surrogate escape followed by a low one, no lone low one).
 * \u0000 is a code point like any other: the fields' rules refuse it.
 * Outside strings a backslash is a JSON syntax error the parser
 * reports, so every backslash is taken as an escape.
 */
class JsonTextScan {
public:
    enum class Verdict : std::uint8_t { ok, bad_utf8 };

    JsonTextScan() = default;

    /* *good: the bytes before the first bad one (n when all are) */
    Verdict feed(const unsigned char *p, std::size_t n, std::size_t *good);
    Verdict finish() const;   /* bad_utf8 when cut inside a sequence */

private:
    Verdict byte(unsigned char c);
    Verdict escape_byte(unsigned char c);

    /* UTF-8: continuation bytes still wanted, and the range of the next */
    std::uint8_t  need_ = 0;
    std::uint8_t  lo_ = 0x80;
    std::uint8_t  hi_ = 0xBF;
    /* escapes: 0 plain, 1 after '\', 2 in \uXXXX, 3 wants the '\' of a
       low surrogate (whose 'u' state 1 then requires: want_low_) */
    std::uint8_t  esc_ = 0;
    std::uint8_t  hex_ = 0;     /* hex digits read */
    bool          want_low_ = false;
    std::uint32_t unit_ = 0;
    Verdict       verdict_ = Verdict::ok;
};

}  // namespace oktatel

#endif
