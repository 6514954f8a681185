/*
 * OAuth 2.0 bearer tokens from Okta: strict compact JWS parsing, JWKS
 * parsing, RS256 verification through OpenSSL's EVP API, the claim rules,
 * and a small fixed-size cache of verified tokens.
 *
 * Nothing here logs or keeps the token; a Verdict carries only what may be
 * logged (kid, iss, cid, made printable and bounded) and the token's exp.
 */

#ifndef OKTA_TELEPHONY_CORE_JWT_HPP
#define OKTA_TELEPHONY_CORE_JWT_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <yajl/yajl_common.h>

#include "telephony.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace oktatel {
namespace jwt {

/* A compact JWS larger than this is refused before anything is decoded. */
constexpr std::size_t token_max = 8192;
/* Nesting of the header, the payload and a JWKS document. */
constexpr unsigned json_max_depth = 8;
/* A JWKS document and the keys it may hold. */
constexpr std::size_t jwks_max = 256 * 1024;
constexpr std::size_t jwks_max_keys = 64;
/* RSA moduli accepted: at least 2048 bits (NIST), at most 8192 (a larger
   key makes every fresh token expensive to check). */
constexpr unsigned rsa_min_bits = 2048;
constexpr unsigned rsa_max_bits = 8192;
constexpr std::int64_t default_leeway = 120;

/* Why a token was refused; reason_name() gives the log text. */
enum class Reason : std::uint8_t {
    ok,
    no_token,           /* no "Authorization: Bearer" */
    too_large,
    malformed,          /* not three strict base64url parts */
    bad_header,         /* not a JSON object, duplicate or mistyped member,
                           "crit" */
    alg_none,
    alg_hmac,           /* HS256/384/512: key confusion */
    alg_unsupported,
    kid_missing,
    unknown_kid,
    alg_key_mismatch,   /* the kid names a key of another kty */
    bad_signature,
    bad_payload,        /* not a JSON object, duplicate or mistyped claim */
    wrong_iss,
    wrong_aud,
    wrong_cid,
    missing_scope,
    no_exp,
    expired,
    not_yet_valid,      /* nbf */
    issued_in_future,   /* iat */
    internal,           /* OpenSSL or allocation failure */
    count_
};

const char *reason_name(Reason r);

/* Key types a JWKS may hold; only RSA keys verify (RS256). */
enum class Kty : std::uint8_t { rsa, ec };

/* base64url without padding, canonical (unused bits zero); false on any
   other byte, on '=' and on an impossible length. */
bool base64url_decode(std::string_view in, std::string *out);

/* "Bearer <token>" (scheme case-insensitive, one or more spaces); false if
   the value is anything else. */
bool bearer_token(std::string_view header, std::string_view *token);

/* The three parts of a compact JWS, still encoded. */
struct Parts {
    std::string_view header, payload, signature;
    std::string_view signing_input;     /* header "." payload */
};

Reason split(std::string_view token, Parts *out);

/* The JOSE header's members that matter. */
struct Header {
    FixedStr<16>   alg;
    FixedStr<128>  kid;
    bool           has_kid;
};

/* header: the decoded JSON. */
Reason parse_header(std::string_view json, Header *out,
                    const yajl_alloc_funcs *af);

/* What the claims are checked against; views into the configuration. */
struct Policy {
    std::string_view         issuer;
    const std::string_view  *audiences;
    std::size_t              naudiences;
    const std::string_view  *client_ids;
    std::size_t              nclient_ids;
    std::string_view         scope;
    std::int64_t             leeway;     /* seconds */
};

/* The claims as parsed against a Policy: matches are decided while
   reading, so nothing unbounded is kept. */
struct Claims {
    bool           iss_ok, aud_ok, cid_ok, scope_ok;
    bool           has_exp, has_nbf, has_iat;
    std::int64_t   exp, nbf, iat;
    FixedStr<128>  iss;      /* printable, cut; for the log */
    FixedStr<64>   cid;      /* likewise */
};

/* payload: the decoded JSON. */
Reason parse_claims(std::string_view json, const Policy &p, Claims *out,
                    const yajl_alloc_funcs *af);

/* The claim rules, in the order they are checked. */
Reason check_claims(const Claims &c, const Policy &p, std::int64_t now);


/* --------------------------------------------------------------- keys -- */

struct Key {
    FixedStr<128>  kid;
    Kty            kty;
    unsigned       bits;       /* RSA modulus */
    EVP_PKEY      *pkey;       /* null for a key type that cannot verify */
};

/* The keys of one JWKS document. Owns its EVP_PKEYs. */
class KeySet {
public:
    KeySet() = default;
    ~KeySet();
    KeySet(const KeySet &) = delete;
    KeySet &operator=(const KeySet &) = delete;

    const Key *find(std::string_view kid) const;
    std::size_t size() const { return keys_.size(); }
    std::size_t usable() const;           /* RSA keys that verify */
    const Key &at(std::size_t i) const { return keys_[i]; }

    /* false if kid is already there; takes pkey in any case */
    bool add(std::string_view kid, Kty kty, unsigned bits, EVP_PKEY *pkey);

private:
    std::vector<Key> keys_;
};

/* Outcome of parsing a JWKS: why it was refused, or what was skipped. */
struct JwksReport {
    const char    *error;      /* null: parsed */
    std::size_t    skipped;    /* keys left out (other use, kty, alg, small
                                  modulus, missing kid) */
    const char    *last_skip;  /* why the last one was left out */
};

/* Parses a JWKS document ({"keys":[...]}) into *out (which must be
   empty). false with report->error set if the document does not parse,
   holds more than jwks_max_keys keys or a kid twice; a document that
   parses but holds no usable key returns true with out->usable() == 0. */
bool parse_jwks(std::string_view json, KeySet *out, JwksReport *report,
                const yajl_alloc_funcs *af);


/* ---------------------------------------------------------- verifying -- */

/* What may be logged about a token, and its lifetime. */
struct Verdict {
    Reason         reason;
    FixedStr<128>  kid;       /* printable, cut */
    FixedStr<128>  iss;
    FixedStr<64>   cid;
    std::int64_t   exp;
};

/* RS256 over the signing input with the key (EVP_DigestVerify). */
bool verify_rs256(const Key &key, std::string_view signing_input,
                  std::string_view signature);

/* The whole check of a compact JWS: split, header, key by kid, signature,
   then the claims (parsed only once the signature holds). */
Reason verify(std::string_view token, const KeySet &keys, const Policy &p,
              std::int64_t now, Verdict *out, const yajl_alloc_funcs *af);


/* -------------------------------------------------------------- cache -- */

struct TokenHash {
    unsigned char b[32];
};

/* SHA-256 of the token (EVP). A Hasher keeps the fetched digest and its
   context, so hashing costs no allocation. */
class Hasher {
public:
    Hasher();
    ~Hasher();
    Hasher(const Hasher &) = delete;
    Hasher &operator=(const Hasher &) = delete;
    bool hash(std::string_view token, TokenHash *out);

private:
    void *md_;
    void *ctx_;
};

/* One verified token: plain data, so that it can live in shared memory. */
struct CacheEntry {
    TokenHash      hash;
    std::int64_t   until;     /* exp + leeway; 0: free */
    std::uint32_t  policy;    /* which configuration verified it */
    std::uint32_t  unused;
};

static_assert(std::is_trivially_copyable<CacheEntry>::value,
              "cache entries are plain data");

/* A small set-associative cache of CacheEntry, plain data too. */
struct TokenCache {
    static constexpr std::size_t slots = 256;
    static constexpr std::size_t ways = 4;
    CacheEntry entry[slots];

    /* true if hash was verified under policy and now < until; the
       entry's until in *until if given */
    bool find(const TokenHash &h, std::uint32_t policy, std::int64_t now,
              std::int64_t *until = nullptr) const;
    /* replaces a free or expired entry of the set, else the one that
       expires first */
    void put(const TokenHash &h, std::uint32_t policy, std::int64_t until,
             std::int64_t now);
};

static_assert(std::is_trivially_copyable<TokenCache>::value,
              "the cache is plain data");

/* The token this worker verified last, by its own bytes. Okta sends one
   token on every hook until it expires, so a hook that brings it again is
   known by a word-wise constant-time compare (about 1 instruction a byte)
   instead of a SHA-256 (about 30). The length is compared first: a
   token's length follows from its claims and is no secret. Plain data,
   held in the worker only (never in shared memory). */
struct RecentToken {
    unsigned char  b[token_max];
    std::uint32_t  len;       /* 0: none */
    std::uint32_t  policy;
    std::int64_t   until;     /* exp + leeway */

    bool matches(std::string_view token, std::uint32_t policy,
                 std::int64_t now) const;
    /* a token longer than token_max is not kept */
    void set(std::string_view token, std::uint32_t policy,
             std::int64_t until);
};

static_assert(std::is_trivially_copyable<RecentToken>::value,
              "the recent token is plain data");

/* Constant-time equality of n bytes, 8 at a time. */
bool same_bytes(const unsigned char *a, const unsigned char *b,
                std::size_t n);

/* ------------------------------------------------------ fetched keys -- */

/* How long a fetched JWKS is kept: its Cache-Control max-age, clamped. */
constexpr std::int64_t jwks_min_age = 300;          /* 5 minutes */
constexpr std::int64_t jwks_max_age = 86400;        /* 24 hours */
/* At most one fetch for an unknown kid (or after a failed fetch) in this
   many seconds, for the whole instance. */
constexpr std::int64_t jwks_refetch_interval = 30;
/* A fetch still marked in flight after this long was lost (a worker that
   exited mid-fetch): another may start. */
constexpr std::int64_t jwks_fetch_lost = 10;

/* The max-age of a Cache-Control header value clamped to [jwks_min_age,
   jwks_max_age]; jwks_min_age without one, or with no-cache / no-store
   (keys are still needed: they are kept the shortest time). */
std::int64_t jwks_cache_age(std::string_view cache_control);

/* Where fetching a JWKS stands, for the whole instance: plain data, kept
   in shared memory. Times in seconds; 0: never. */
struct JwksFetchState {
    std::int64_t   fetched_at;       /* last document stored */
    std::int64_t   expires_at;       /* fetched_at + its cache age */
    std::int64_t   fetching_since;   /* a fetch in flight since */
    std::int64_t   held_since;       /* last unknown-kid fetch or failure */
    std::uint64_t  generation;       /* +1 per document stored */
    std::uint32_t  fetches;
    std::uint32_t  failures;
};

static_assert(std::is_trivially_copyable<JwksFetchState>::value,
              "the fetch state lives in shared memory");

/* Why a request fetches the keys now (none: it does not). */
enum class Fetch : std::uint8_t { none, cold, expired, unknown_kid };

const char *fetch_name(Fetch f);

/* Whether a request should fetch: no document yet, an expired one, or a
   kid the document does not hold (unknown_kid). One fetch at a time; an
   unknown kid or a failed fetch holds further such fetches for
   jwks_refetch_interval. */
Fetch jwks_should_fetch(const JwksFetchState &s, bool unknown_kid,
                        std::int64_t now);

/* The caller starts the fetch decided by jwks_should_fetch(). */
void jwks_fetch_started(JwksFetchState *s, Fetch why, std::int64_t now);

/* The fetch ended: stored a new document (ok, kept for age seconds), or
   failed (the old document is kept). */
void jwks_fetch_done(JwksFetchState *s, bool ok, std::int64_t age,
                     std::int64_t now);

/* okta_telephony_jwt_issuer: https://host[/path], no query, fragment,
   user info or trailing "/"; NULL if fine, else what is wrong. */
const char *check_issuer(std::string_view iss);

}  // namespace jwt
}  // namespace oktatel

#endif
