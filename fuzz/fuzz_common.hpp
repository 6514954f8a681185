/*
 * Helpers shared by the libFuzzer targets: invariant checks that abort(),
 * a Sink into a std::string, a yajl allocator that counts and tags its
 * blocks, and JSON read-back with yajl_tree.
 */

#ifndef OKTATEL_FUZZ_COMMON_HPP
#define OKTATEL_FUZZ_COMMON_HPP

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include <string_view>

#include <yajl/yajl_tree.h>

#include "telephony.hpp"

namespace fz {

[[noreturn]] inline void fail(const char *what, const char *file, int line)
{
    std::fprintf(stderr, "\nINVARIANT VIOLATED at %s:%d: %s\n", file, line,
                 what);
    std::abort();
}

#define FZ_CHECK(cond) \
    do { if (!(cond)) ::fz::fail(#cond, __FILE__, __LINE__); } while (0)

/* ------------------------------------------------------------- sinks -- */

inline void str_write(void *ctx, const char *s, std::size_t n)
{
    static_cast<std::string *>(ctx)->append(s, n);
}

inline oktatel::Sink sink(std::string *s) { return { str_write, s }; }

/* ------------------------------------------------ counting allocator -- */

/* Every block carries a header with a magic and its size: a block freed
   twice, freed by another allocator or never freed is caught. */
struct Alloc {
    yajl_alloc_funcs af;
    long             live;

    static constexpr std::uint64_t magic = 0x6f6b746174656c21ull;
    static constexpr std::size_t   hdr = 16;

    static void *m(void *ctx, std::size_t n)
    {
        auto *a = static_cast<Alloc *>(ctx);
        auto *p = static_cast<unsigned char *>(std::malloc(n + hdr));
        if (p == nullptr) {
            return nullptr;
        }
        std::uint64_t mg = magic;
        std::memcpy(p, &mg, 8);
        std::memcpy(p + 8, &n, sizeof(n) < 8 ? sizeof(n) : 8);
        a->live++;
        return p + hdr;
    }

    static unsigned char *check(void *q)
    {
        auto *p = static_cast<unsigned char *>(q) - hdr;
        std::uint64_t mg;
        std::memcpy(&mg, p, 8);
        FZ_CHECK(mg == magic);
        return p;
    }

    static void f(void *ctx, void *q)
    {
        if (q == nullptr) {
            return;
        }
        auto *a = static_cast<Alloc *>(ctx);
        unsigned char *p = check(q);
        std::memset(p, 0, 8);
        a->live--;
        FZ_CHECK(a->live >= 0);
        std::free(p);
    }

    static void *r(void *ctx, void *q, std::size_t n)
    {
        if (q == nullptr) {
            return m(ctx, n);
        }
        unsigned char *p = check(q);
        auto *np = static_cast<unsigned char *>(std::realloc(p, n + hdr));
        if (np == nullptr) {
            return nullptr;
        }
        std::memcpy(np + 8, &n, sizeof(n) < 8 ? sizeof(n) : 8);
        return np + hdr;
    }

    Alloc() : af{ m, r, f, this }, live(0) {}
    const yajl_alloc_funcs *get() const { return &af; }
};

/* ------------------------------------------------------ JSON checks -- */

/* Strict RFC 3629 UTF-8, written apart from the core's: no overlong
   form, no surrogate, nothing above U+10FFFF. Each code point is appended
   to *cps when given. */
inline bool utf8_ok(std::string_view s, std::vector<std::uint32_t> *cps =
                                            nullptr)
{
    std::size_t i = 0;
    while (i < s.size()) {
        std::uint32_t c = static_cast<unsigned char>(s[i]);
        std::size_t need;
        std::uint32_t min;
        if (c < 0x80) {
            need = 0; min = 0;
        } else if ((c & 0xE0) == 0xC0) {
            need = 1; min = 0x80; c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            need = 2; min = 0x800; c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            need = 3; min = 0x10000; c &= 0x07;
        } else {
            return false;
        }
        if (need > s.size() - i - 1) {
            return false;   /* truncated sequence */
        }
        for (std::size_t k = 1; k <= need; k++) {
            unsigned char b = static_cast<unsigned char>(s[i + k]);
            if ((b & 0xC0) != 0x80) {
                return false;
            }
            c = (c << 6) | (b & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
            return false;
        }
        if (cps != nullptr) {
            cps->push_back(c);
        }
        i += need + 1;
    }
    return true;
}

/* Strict UTF-8 with nothing that changes how a text reads: no C0 (but
   '\n' when newline_ok), DEL, C1, U+2028/9 or bidirectional control. */
inline bool safe_text(std::string_view s, bool newline_ok)
{
    std::vector<std::uint32_t> cps;
    if (!utf8_ok(s, &cps)) {
        return false;
    }
    for (std::uint32_t c : cps) {
        if ((c < 0x20 && !(newline_ok && c == '\n'))
            || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029
            || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069))
        {
            return false;
        }
    }
    return true;
}

inline bool no_ctl(std::string_view s)
{
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f) {
            return false;
        }
    }
    return true;
}

/* Parses json; must be an object. Caller frees with yajl_tree_free. */
inline yajl_val parse_object(const std::string &json)
{
    char err[256];
    err[0] = '\0';
    yajl_val v = yajl_tree_parse(json.c_str(), err, sizeof(err));
    if (v == nullptr || !YAJL_IS_OBJECT(v)) {
        std::fprintf(stderr, "\nbad JSON (%s): %s\n", err, json.c_str());
        fail("built JSON parses back as an object", __FILE__, __LINE__);
    }
    /* what goes to 8x8 and to Okta is strict UTF-8 JSON text */
    FZ_CHECK(utf8_ok(json));
    /* nothing hidden after a NUL: the document is the whole output */
    FZ_CHECK(std::strlen(json.c_str()) == json.size());
    return v;
}

/* string at path or nullptr */
inline const char *get_str(yajl_val v, std::initializer_list<const char *> p)
{
    const char *path[8];
    std::size_t n = 0;
    for (const char *s : p) {
        path[n++] = s;
    }
    path[n] = nullptr;
    yajl_val s = yajl_tree_get(v, path, yajl_t_string);
    return s ? YAJL_GET_STRING(s) : nullptr;
}

inline yajl_val get(yajl_val v, std::initializer_list<const char *> p,
                    yajl_type t)
{
    const char *path[8];
    std::size_t n = 0;
    for (const char *s : p) {
        path[n++] = s;
    }
    path[n] = nullptr;
    return yajl_tree_get(v, path, t);
}

inline bool eq(const char *a, std::string_view b)
{
    return a != nullptr && std::string_view(a) == b;
}

/* deterministic stream from a seed (splitmix64) */
struct Rng {
    std::uint64_t s;
    std::uint64_t next()
    {
        std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
};

}  // namespace fz

#endif
