/*
 * Helpers shared by the core's .cpp files. Not part of the public API.
 */

#ifndef OKTA_TELEPHONY_CORE_CORE_UTIL_HPP
#define OKTA_TELEPHONY_CORE_CORE_UTIL_HPP

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <yajl/yajl_gen.h>

#include "telephony.hpp"

namespace oktatel {
namespace detail {

inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

inline bool is_alnum(unsigned char c)
{
    return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

inline char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
}

/* [A-Za-z0-9._:-]{1,128}: event ids and 8x8 transaction ids */
inline bool is_token(std::string_view s)
{
    if (s.empty() || s.size() > 128) {
        return false;
    }
    for (unsigned char c : s) {
        if (!is_alnum(c) && c != '.' && c != '_' && c != ':' && c != '-') {
            return false;
        }
    }
    return true;
}

inline bool equals(std::string_view a, const char *lit, std::size_t n)
{
    return a.size() == n && std::memcmp(a.data(), lit, n) == 0;
}

/* The first and the last sizeof(W) bytes of a and b alike: all n of
   them, for n in [sizeof(W), 2 * sizeof(W)]. */
template <class W>
inline bool same_ends(const char *a, const char *b, std::size_t n)
{
    W a0, a1, b0, b1;
    std::memcpy(&a0, a, sizeof(W));
    std::memcpy(&b0, b, sizeof(W));
    std::memcpy(&a1, a + n - sizeof(W), sizeof(W));
    std::memcpy(&b1, b + n - sizeof(W), sizeof(W));
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

/* The longest key name key_equal() compares. */
constexpr std::size_t key_max = 16;

/* memcmp(a, b, n) == 0, for n <= key_max: the short keys of a hook or of
   8x8's reply, by loads of fixed sizes rather than a call per key; not
   constant-time, so never for a secret */
inline bool key_equal(const void *pa, const void *pb, std::size_t n)
{
    const char *a = static_cast<const char *>(pa);
    const char *b = static_cast<const char *>(pb);
    if (n >= 8) {
        return same_ends<std::uint64_t>(a, b, n);
    }
    if (n >= 4) {
        return same_ends<std::uint32_t>(a, b, n);
    }
    if (n >= 2) {
        return same_ends<std::uint16_t>(a, b, n);
    }
    return n == 0 || a[0] == b[0];
}

/* every name of a key table fits key_equal() */
template <class T, std::size_t N>
constexpr bool key_names_fit(const T (&a)[N])
{
    for (std::size_t i = 0; i < N; i++) {
        if (a[i].len > key_max) {
            return false;
        }
    }
    return true;
}

/* a literal: length known at compile time */
#define OKTATEL_EQ(sv, lit) \
    ::oktatel::detail::equals((sv), (lit), sizeof(lit) - 1)

inline void *af_malloc(const yajl_alloc_funcs *af, std::size_t n)
{
    return af ? af->malloc(af->ctx, n) : std::malloc(n);
}

inline void af_free(const yajl_alloc_funcs *af, void *p)
{
    if (af) {
        af->free(af->ctx, p);
    } else {
        std::free(p);
    }
}

/*
 * A yajl_gen whose output is gathered in a buffer and passed to the Sink
 * in pieces of up to 1 KB. yajl prints a quote, a colon or a comma and
 * each string's text as separate calls, four or five per string; the Sink
 * then sees one call per piece. finish() passes on what is left.
 */
class BatchedGen {
public:
    BatchedGen(const yajl_alloc_funcs *af, Sink out)
        : out_(out), p_(buf_)
    {
        /* yajl_gen_alloc takes a non-const pointer but only copies it */
        g_ = yajl_gen_alloc(const_cast<yajl_alloc_funcs *>(af));
        if (g_ != nullptr
            && (!yajl_gen_config(g_, yajl_gen_print_callback, put, this)
                || !yajl_gen_config(g_, yajl_gen_validate_utf8, 1)))
        {
            yajl_gen_free(g_);
            g_ = nullptr;
        }
    }
    ~BatchedGen()
    {
        if (g_ != nullptr) {
            yajl_gen_free(g_);
        }
    }
    BatchedGen(const BatchedGen &) = delete;
    BatchedGen &operator=(const BatchedGen &) = delete;

    yajl_gen get() const { return g_; }

    /* ok: the document is complete; false if it is not, or the generator
       could not be made */
    bool finish(bool ok)
    {
        if (!ok || g_ == nullptr) {
            return false;
        }
        flush();
        return true;
    }

private:
    /* yajl's print callback: most pieces are a quote, a colon, a comma
       or a short key, copied here by loads and stores of fixed sizes
       (overlapping for lengths in between); the rest goes to put_long() */
    static void put(void *ctx, const char *s, std::size_t n)
    {
        BatchedGen *b = static_cast<BatchedGen *>(ctx);
        char *d = b->p_;
        char *end = b->buf_ + sizeof(b->buf_);
        if (n == 1 && d != end) {
            d[0] = s[0];
            b->p_ = d + 1;
            return;
        }
        if (n > 16 || n > static_cast<std::size_t>(end - d)) {
            b->put_long(s, n);
            return;
        }
        b->p_ = d + n;
        if (n >= 8) {
            copy_two<std::uint64_t>(d, s, n);
        } else if (n >= 4) {
            copy_two<std::uint32_t>(d, s, n);
        } else if (n >= 2) {
            copy_two<std::uint16_t>(d, s, n);
        }
    }
    /* the first and the last sizeof(W) bytes: all n, for n in
       [sizeof(W), 2 * sizeof(W)] */
    template <class W>
    static void copy_two(char *d, const char *s, std::size_t n)
    {
        W a, z;
        std::memcpy(&a, s, sizeof(W));
        std::memcpy(&z, s + n - sizeof(W), sizeof(W));
        std::memcpy(d, &a, sizeof(W));
        std::memcpy(d + n - sizeof(W), &z, sizeof(W));
    }
    __attribute__((noinline)) void put_long(const char *s, std::size_t n)
    {
        if (n > static_cast<std::size_t>(buf_ + sizeof(buf_) - p_)) {
            flush();
            if (n > sizeof(buf_)) {
                out_.write(out_.ctx, s, n);
                return;
            }
        }
        std::memcpy(p_, s, n);
        p_ += n;
    }
    void flush()
    {
        if (p_ != buf_) {
            out_.write(out_.ctx, buf_, static_cast<std::size_t>(p_ - buf_));
            p_ = buf_;
        }
    }

    yajl_gen     g_;
    Sink         out_;
    char        *p_;           /* the end of what buf_ holds */
    char         buf_[1024];
};

/* Decimal text of v into out (at least 21 bytes); returns its length.
   For the few numbers on a hook's path, without snprintf's cost. */
inline std::size_t format_int(long long v, char *out)
{
    char tmp[20];
    std::size_t n = 0;
    unsigned long long u = v < 0 ? 0ULL - static_cast<unsigned long long>(v)
                                 : static_cast<unsigned long long>(v);
    do {
        tmp[n++] = static_cast<char>('0' + u % 10);
        u /= 10;
    } while (u != 0);
    std::size_t len = 0;
    if (v < 0) {
        out[len++] = '-';
    }
    while (n > 0) {
        out[len++] = tmp[--n];
    }
    return len;
}

/* Text appended to a fixed buffer and cut at its end, NUL-terminated;
   total() is what the whole text would take, as snprintf's result. */
class Appender {
public:
    Appender(char *buf, std::size_t cap) : buf_(buf), cap_(cap), n_(0)
    {
        if (cap_ > 0) {
            buf_[0] = '\0';
        }
    }
    Appender &operator<<(std::string_view s)
    {
        if (n_ + 1 < cap_) {
            std::size_t room = cap_ - 1 - n_;
            std::size_t k = s.size() < room ? s.size() : room;
            std::memcpy(buf_ + n_, s.data(), k);
            buf_[n_ + k] = '\0';
        }
        n_ += s.size();
        return *this;
    }
    Appender &operator<<(long long v)
    {
        char t[24];
        return *this << std::string_view(t, format_int(v, t));
    }
    std::size_t total() const { return n_; }

private:
    char        *buf_;
    std::size_t  cap_;
    std::size_t  n_;
};

/* Generator calls chained with &=: once one fails the JSON is void. */
struct Gen {
    yajl_gen g;
    bool     ok;

    void str(std::string_view s)
    {
        ok = ok && yajl_gen_string(g,
                        reinterpret_cast<const unsigned char *>(s.data()),
                        s.size()) == yajl_gen_status_ok;
    }
    void key(const char *lit) { str(std::string_view(lit)); }
    void kv(const char *k, std::string_view v) { key(k); str(v); }
    void kv_opt(const char *k, std::string_view v)
    {
        if (!v.empty()) {
            kv(k, v);
        }
    }
    void map_open() { ok = ok && yajl_gen_map_open(g) == yajl_gen_status_ok; }
    void map_close() { ok = ok && yajl_gen_map_close(g) == yajl_gen_status_ok; }
    void array_open()
    {
        ok = ok && yajl_gen_array_open(g) == yajl_gen_status_ok;
    }
    void array_close()
    {
        ok = ok && yajl_gen_array_close(g) == yajl_gen_status_ok;
    }
    void integer(long long v)
    {
        /* yajl_gen_integer formats with sprintf */
        char t[24];
        std::size_t n = format_int(v, t);
        ok = ok && yajl_gen_number(g, t, n) == yajl_gen_status_ok;
    }
    void number(std::string_view s)
    {
        ok = ok && yajl_gen_number(g, s.data(), s.size()) == yajl_gen_status_ok;
    }
};

/* [p, e) holds only JSON white space */
inline bool json_space_only(const char *p, const char *e)
{
    for (; p < e; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            return false;
        }
    }
    return true;
}

}  // namespace detail
}  // namespace oktatel

#endif
