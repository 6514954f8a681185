/*
 * Strict UTF-8: decoding, the unsafe code points, cleaning a peer's text,
 * and the streaming check of a JSON document's raw text.
 */

#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "utf8.hpp"

namespace oktatel {

std::size_t utf8_decode(const unsigned char *s, std::size_t n,
                        std::uint32_t *cp)
{
    if (n == 0) {
        return 0;
    }
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }

    std::size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    std::uint32_t v;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2; v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3; v = c & 0x0F;
        if (c == 0xE0) { lo = 0xA0; }           /* no overlong form */
        if (c == 0xED) { hi = 0x9F; }           /* no surrogate */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4; v = c & 0x07;
        if (c == 0xF0) { lo = 0x90; }           /* no overlong form */
        if (c == 0xF4) { hi = 0x8F; }           /* not above U+10FFFF */
    } else {
        return 0;   /* C0, C1, F5..FF, or a continuation byte */
    }
    if (n < len || s[1] < lo || s[1] > hi) {
        return 0;
    }
    v = (v << 6) | (s[1] & 0x3F);
    for (std::size_t i = 2; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    *cp = v;
    return len;
}

bool utf8_valid(std::string_view s)
{
    const unsigned char *p = reinterpret_cast<const unsigned char *>(s.data());
    std::size_t n = s.size(), i = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        std::uint32_t cp;
        std::size_t k = utf8_decode(p + i, n - i, &cp);
        if (k == 0) {
            return false;
        }
        i += k;
    }
    return true;
}

bool utf8_unsafe(std::uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)
           || cp == 0x2028 || cp == 0x2029
           || (cp >= 0x202A && cp <= 0x202E)
           || (cp >= 0x2066 && cp <= 0x2069);
}

const char *phone_text_problem(std::string_view s, bool newline_ok)
{
    const unsigned char *p = reinterpret_cast<const unsigned char *>(s.data());
    std::size_t n = s.size(), i = 0;
    while (i < n) {
        if (p[i] >= 0x20 && p[i] < 0x7F) {   /* printable ASCII: safe */
            i++;
            continue;
        }
        std::uint32_t cp;
        std::size_t k = utf8_decode(p + i, n - i, &cp);
        if (k == 0) {
            return "must be valid UTF-8";
        }
        if (utf8_unsafe(cp) && !(newline_ok && cp == '\n')) {
            return cp >= 0x2028
                   ? "must not contain line separators or bidirectional "
                     "controls"
                   : "must not contain control characters";
        }
        i += k;
    }
    return nullptr;
}

std::size_t utf8_clean(std::string_view in, char *out, std::size_t cap)
{
    const unsigned char *p = reinterpret_cast<const unsigned char *>(in.data());
    std::size_t n = in.size(), i = 0, o = 0;
    static const char fffd[] = "\xEF\xBF\xBD";
    while (i < n) {
        if (p[i] >= 0x20 && p[i] < 0x7F) {   /* printable ASCII: as is */
            if (o == cap) {
                break;
            }
            out[o++] = static_cast<char>(p[i++]);
            continue;
        }
        std::uint32_t cp;
        std::size_t k = utf8_decode(p + i, n - i, &cp);
        if (k == 0) {
            if (o + 3 > cap) {
                break;
            }
            std::memcpy(out + o, fffd, 3);
            o += 3;
            i++;
            continue;
        }
        if (o + k > cap) {
            break;
        }
        if (utf8_unsafe(cp)) {
            out[o++] = ' ';
        } else {
            std::memcpy(out + o, p + i, k);
            o += k;
        }
        i += k;
    }
    return o;
}

namespace {

int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') { return c - '0'; }
    c |= 0x20;
    if (c >= 'a' && c <= 'f') { return c - 'a' + 10; }
    return -1;
}

/* 8 bytes with no high bit and no backslash */
inline bool plain_word(const unsigned char *p)
{
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    constexpr std::uint64_t ones = 0x0101010101010101ull;
    constexpr std::uint64_t highs = 0x8080808080808080ull;
    std::uint64_t x = w ^ (ones * '\\');
    return ((w | ((x - ones) & ~x)) & highs) == 0;
}

#if defined(__SSE2__)
/* the same for 16 bytes, in one SSE2 compare (x86-64 always has it) */
inline bool plain_block(const unsigned char *p)
{
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    __m128i bs = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
    return _mm_movemask_epi8(_mm_or_si128(v, bs)) == 0;
}
#endif

}  // namespace

JsonTextScan::Verdict JsonTextScan::escape_byte(unsigned char c)
{
    switch (esc_) {
    case 1:
        if (c == 'u') {
            esc_ = 2; hex_ = 0; unit_ = 0;
        } else if (want_low_) {
            return Verdict::bad_utf8;
        } else {
            esc_ = 0;
        }
        return Verdict::ok;
    case 2: {
        int h = hex_value(c);
        if (h < 0) {
            esc_ = 0;   /* the parser refuses the bad escape */
            return Verdict::ok;
        }
        unit_ = (unit_ << 4) | static_cast<std::uint32_t>(h);
        if (++hex_ < 4) {
            return Verdict::ok;
        }
        esc_ = 0;
        bool high = unit_ >= 0xD800 && unit_ <= 0xDBFF;
        bool low = unit_ >= 0xDC00 && unit_ <= 0xDFFF;
        if (want_low_) {
            want_low_ = false;
            return low ? Verdict::ok : Verdict::bad_utf8;
        }
        if (low) {
            return Verdict::bad_utf8;
        }
        if (high) {
            want_low_ = true;
            esc_ = 3;
        }
        return Verdict::ok;
    }
    case 3:
        if (c != '\\') {
            return Verdict::bad_utf8;
        }
        esc_ = 1;
        return Verdict::ok;
    }
    return Verdict::ok;
}

JsonTextScan::Verdict JsonTextScan::byte(unsigned char c)
{
    if (need_ > 0) {
        if (c < lo_ || c > hi_) {
            return Verdict::bad_utf8;
        }
        need_--;
        lo_ = 0x80;
        hi_ = 0xBF;
        return Verdict::ok;
    }
    if (esc_ != 0) {
        if (c >= 0x80) {
            return Verdict::bad_utf8;   /* never part of an escape */
        }
        return escape_byte(c);
    }
    if (c == '\\') {
        esc_ = 1;
        return Verdict::ok;
    }
    if (c < 0x80) {
        return Verdict::ok;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        need_ = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need_ = 2;
        if (c == 0xE0) { lo_ = 0xA0; }
        if (c == 0xED) { hi_ = 0x9F; }
    } else if (c >= 0xF0 && c <= 0xF4) {
        need_ = 3;
        if (c == 0xF0) { lo_ = 0x90; }
        if (c == 0xF4) { hi_ = 0x8F; }
    } else {
        return Verdict::bad_utf8;
    }
    return Verdict::ok;
}

JsonTextScan::Verdict JsonTextScan::feed(const unsigned char *p,
                                         std::size_t n, std::size_t *good)
{
    *good = 0;
    if (verdict_ != Verdict::ok) {
        return verdict_;
    }
    std::size_t i = 0;
    while (i < n) {
        if (need_ == 0 && esc_ == 0) {
#if defined(__SSE2__)
            while (i + 16 <= n && plain_block(p + i)) {
                i += 16;
            }
#endif
            while (i + 8 <= n && plain_word(p + i)) {
                i += 8;
            }
            if (i == n) {
                break;
            }
        }
        Verdict v = byte(p[i]);
        if (v != Verdict::ok) {
            *good = i;
            verdict_ = v;
            return v;
        }
        i++;
    }
    *good = n;
    return Verdict::ok;
}

JsonTextScan::Verdict JsonTextScan::finish() const
{
    if (verdict_ != Verdict::ok) {
        return verdict_;
    }
    return (need_ > 0 || want_low_) ? Verdict::bad_utf8 : Verdict::ok;
}

}  // namespace oktatel
