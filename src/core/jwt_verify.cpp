/*
 * A token's verdict: the alg and key rules, RS256 through
 * EVP_DigestVerify, then the claims; the reasons' names; SHA-256 of a
 * token and the cache of verified tokens.
 */

#include <cstring>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core_util.hpp"
#include "jwt.hpp"

namespace oktatel {
namespace jwt {

namespace {

const char *const reason_names[] = {
    "ok",
    "no bearer token",
    "token too large",
    "malformed token",
    "bad header",
    "alg none refused",
    "alg HS* refused",
    "alg not supported",
    "kid missing",
    "unknown kid",
    "alg does not match the key",
    "bad signature",
    "bad payload",
    "wrong iss",
    "wrong aud",
    "wrong cid",
    "scope missing",
    "exp missing",
    "expired",
    "not yet valid",
    "issued in the future",
    "internal error",
};

static_assert(sizeof(reason_names) / sizeof(reason_names[0])
                  == static_cast<std::size_t>(Reason::count_),
              "one name per reason");

template <std::size_t N>
void printable(FixedStr<N> *out, std::string_view s)
{
    std::size_t o = 0;
    for (std::size_t i = 0; i < s.size() && o < N; i++) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        bool ok = detail::is_alnum(c) || c == '.' || c == '_' || c == ':'
                  || c == '/' || c == '@' || c == '+' || c == '='
                  || c == '-';
        out->data[o++] = ok ? static_cast<char>(c) : '?';
    }
    out->len = o;
    out->data[o] = '\0';
}

/* alg: RS256 only; none and HS* by name, for the log */
Reason check_alg(std::string_view alg)
{
    if (OKTATEL_EQ(alg, "RS256")) {
        return Reason::ok;
    }
    if (alg.size() == 4 && detail::lower(alg[0]) == 'n'
        && detail::lower(alg[1]) == 'o' && detail::lower(alg[2]) == 'n'
        && detail::lower(alg[3]) == 'e')
    {
        return Reason::alg_none;
    }
    if (alg.size() >= 2 && detail::lower(alg[0]) == 'h'
        && detail::lower(alg[1]) == 's')
    {
        return Reason::alg_hmac;
    }
    return Reason::alg_unsupported;
}

std::size_t set_of(const TokenHash &h)
{
    std::size_t v = static_cast<std::size_t>(h.b[0])
                    | static_cast<std::size_t>(h.b[1]) << 8;
    return (v % (TokenCache::slots / TokenCache::ways)) * TokenCache::ways;
}

bool same_hash(const TokenHash &a, const TokenHash &b)
{
    return CRYPTO_memcmp(a.b, b.b, sizeof(a.b)) == 0;
}

}  // namespace


const char *reason_name(Reason r)
{
    std::size_t i = static_cast<std::size_t>(r);
    return i < static_cast<std::size_t>(Reason::count_) ? reason_names[i]
                                                         : "?";
}


bool verify_rs256(const Key &key, std::string_view input,
                  std::string_view sig)
{
    if (key.kty != Kty::rsa || key.pkey == nullptr
        || sig.size() != (key.bits + 7) / 8)
    {
        return false;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == nullptr) {
        return false;
    }
    bool ok = EVP_DigestVerifyInit_ex(ctx, nullptr, "SHA256", nullptr,
                                      nullptr, key.pkey, nullptr) == 1
              && EVP_DigestVerify(
                     ctx, reinterpret_cast<const unsigned char *>(sig.data()),
                     sig.size(),
                     reinterpret_cast<const unsigned char *>(input.data()),
                     input.size()) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}


Reason verify(std::string_view token, const KeySet &keys, const Policy &p,
              std::int64_t now, Verdict *v, const yajl_alloc_funcs *af)
{
    Parts parts;
    Header h;
    Claims c;
    std::string header, payload, sig;

    v->kid.clear();
    v->iss.clear();
    v->cid.clear();
    v->exp = 0;

    v->reason = split(token, &parts);
    if (v->reason != Reason::ok) {
        return v->reason;
    }
    if (!base64url_decode(parts.header, &header)) {
        return v->reason = Reason::malformed;
    }
    if ((v->reason = parse_header(header, &h, af)) != Reason::ok) {
        return v->reason;
    }
    printable(&v->kid, h.kid.view());
    if ((v->reason = check_alg(h.alg.view())) != Reason::ok) {
        return v->reason;
    }
    if (!h.has_kid) {
        return v->reason = Reason::kid_missing;
    }
    const Key *key = keys.find(h.kid.view());
    if (key == nullptr) {
        return v->reason = Reason::unknown_kid;
    }
    if (key->kty != Kty::rsa || key->pkey == nullptr) {
        return v->reason = Reason::alg_key_mismatch;
    }
    if (!base64url_decode(parts.payload, &payload)
        || !base64url_decode(parts.signature, &sig) || sig.empty())
    {
        return v->reason = Reason::malformed;
    }
    if (!verify_rs256(*key, parts.signing_input, sig)) {
        return v->reason = Reason::bad_signature;
    }

    /* signed by the issuer's key: only now is the payload read */
    if ((v->reason = parse_claims(payload, p, &c, af)) != Reason::ok) {
        return v->reason;
    }
    v->iss = c.iss;
    v->cid = c.cid;
    v->exp = c.exp;
    return v->reason = check_claims(c, p, now);
}


Hasher::Hasher()
    : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx_(EVP_MD_CTX_new())
{
}


Hasher::~Hasher()
{
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX *>(ctx_));
    EVP_MD_free(static_cast<EVP_MD *>(md_));
}


bool Hasher::hash(std::string_view token, TokenHash *out)
{
    EVP_MD_CTX *ctx = static_cast<EVP_MD_CTX *>(ctx_);
    unsigned int n = 0;
    if (md_ == nullptr || ctx == nullptr) {
        return false;
    }
    return EVP_DigestInit_ex(ctx, static_cast<EVP_MD *>(md_), nullptr) == 1
           && EVP_DigestUpdate(ctx, token.data(), token.size()) == 1
           && EVP_DigestFinal_ex(ctx, out->b, &n) == 1
           && n == sizeof(out->b);
}


bool TokenCache::find(const TokenHash &h, std::uint32_t policy,
                      std::int64_t now, std::int64_t *until) const
{
    std::size_t s = set_of(h);
    for (std::size_t i = s; i < s + ways; i++) {
        const CacheEntry &e = entry[i];
        if (e.until > now && e.policy == policy && same_hash(e.hash, h)) {
            if (until != nullptr) {
                *until = e.until;
            }
            return true;
        }
    }
    return false;
}


void TokenCache::put(const TokenHash &h, std::uint32_t policy,
                     std::int64_t until, std::int64_t now)
{
    std::size_t s = set_of(h), victim = s;
    for (std::size_t i = s; i < s + ways; i++) {
        CacheEntry &e = entry[i];
        if (e.policy == policy && same_hash(e.hash, h)) {
            victim = i;
            break;
        }
        if (e.until <= now) {
            victim = i;
            continue;
        }
        if (entry[victim].until > now && e.until < entry[victim].until) {
            victim = i;
        }
    }
    CacheEntry &e = entry[victim];
    e.hash = h;
    e.until = until;
    e.policy = policy;
    e.unused = 0;
}


bool same_bytes(const unsigned char *a, const unsigned char *b,
                std::size_t n)
{
    std::uint64_t diff = 0;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t x, y;
        std::memcpy(&x, a + i, 8);
        std::memcpy(&y, b + i, 8);
        diff |= x ^ y;
    }
    for (; i < n; i++) {
        diff |= static_cast<std::uint64_t>(a[i] ^ b[i]);
    }
    /* keep the compiler from turning the fold into an early exit */
    volatile std::uint64_t sink = diff;
    return sink == 0;
}


bool RecentToken::matches(std::string_view token, std::uint32_t p,
                          std::int64_t now) const
{
    if (len == 0 || token.size() != len || policy != p || until <= now) {
        return false;
    }
    return same_bytes(b, reinterpret_cast<const unsigned char *>(
                             token.data()), len);
}


void RecentToken::set(std::string_view token, std::uint32_t p,
                      std::int64_t u)
{
    if (token.empty() || token.size() > sizeof(b)) {
        len = 0;
        return;
    }
    std::memcpy(b, token.data(), token.size());
    len = static_cast<std::uint32_t>(token.size());
    policy = p;
    until = u;
}

}  // namespace jwt
}  // namespace oktatel
