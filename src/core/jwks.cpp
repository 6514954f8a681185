/*
 * JWKS documents ({"keys":[...]}) into a KeySet. yajl reads the document
 * with callbacks; each key object's members that matter are kept bounded,
 * then the key is judged when its object closes: kept (RSA with a kid, use
 * "sig" or absent, alg RS256 or absent, a modulus of 2048 to 8192 bits;
 * EC keys are kept by kid but cannot verify), or skipped with a reason.
 * RSA keys are built from n and e with OpenSSL 3's EVP_PKEY_fromdata.
 */

#include <cstring>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <yajl/yajl_parse.h>

#include "core_util.hpp"
#include "jwt.hpp"

#if OPENSSL_VERSION_MAJOR < 3
#error "OpenSSL 3 is needed (EVP_PKEY_fromdata)"
#endif

namespace oktatel {
namespace jwt {

namespace {

enum JKey : std::uint8_t { j_none, j_kty, j_kid, j_use, j_alg, j_n, j_e,
                           j_count };

/* base64url of an 8192-bit modulus is 1366 characters */
constexpr std::size_t n_max_chars = 1400;
constexpr std::size_t e_max_chars = 12;

struct JwkRaw {
    bool          seen[j_count];
    bool          bad;            /* a member twice, or not a string */
    FixedStr<16>  kty, use, alg;
    FixedStr<128> kid;
    std::string   n, e;
};

struct JwksState {
    KeySet       *out;
    JwksReport   *report;
    unsigned      depth;
    bool          keys_pending;   /* "keys" read at depth 1 */
    bool          in_keys;        /* inside the keys array */
    bool          seen_keys;
    JKey          pending;
    std::size_t   nkeys;
    JwkRaw        jwk;
    std::size_t   root_end;
    void         *handle;
};

JwksState *js(void *ctx) { return static_cast<JwksState *>(ctx); }

int fail(JwksState *st, const char *why)
{
    if (st->report->error == nullptr) {
        st->report->error = why;
    }
    return 0;
}

void skip(JwksState *st, const char *why)
{
    st->report->skipped++;
    st->report->last_skip = why;
}

/* EVP_PKEY from the big-endian n and e, or null */
EVP_PKEY *rsa_from_ne(const std::string &n, const std::string &e)
{
    EVP_PKEY *pkey = nullptr;
    const unsigned char *un = reinterpret_cast<const unsigned char *>(
                                  n.data());
    const unsigned char *ue = reinterpret_cast<const unsigned char *>(
                                  e.data());
    BIGNUM *bn = BN_bin2bn(un, static_cast<int>(n.size()), nullptr);
    BIGNUM *be = BN_bin2bn(ue, static_cast<int>(e.size()), nullptr);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = nullptr;
    EVP_PKEY_CTX *pctx = nullptr;

    if (bn && be && bld
        && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn)
        && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be)
        && (params = OSSL_PARAM_BLD_to_param(bld)) != nullptr
        && (pctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr))
               != nullptr
        && EVP_PKEY_fromdata_init(pctx) == 1)
    {
        if (EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params)
            != 1)
        {
            pkey = nullptr;
        }
    }
    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    return pkey;
}

/* why an RSA JWK cannot verify, or null with *pkey set */
const char *rsa_key(const JwkRaw &k, EVP_PKEY **pkey, unsigned *bits)
{
    std::string n, e;
    if (!k.seen[j_n] || !k.seen[j_e]) {
        return "an RSA key without \"n\" or \"e\"";
    }
    if (k.n.size() > n_max_chars) {
        return "an RSA modulus over 8192 bits";
    }
    if (k.e.size() > e_max_chars || !base64url_decode(k.n, &n)
        || !base64url_decode(k.e, &e) || n.empty() || e.empty())
    {
        return "an RSA key whose \"n\" or \"e\" is not base64url";
    }
    /* e: odd, at least 3 */
    unsigned char last = static_cast<unsigned char>(e.back());
    if ((last & 1) == 0 || (e.find_first_not_of('\0') == e.size() - 1
                            && last < 3))
    {
        return "an RSA key with an invalid exponent";
    }
    *pkey = rsa_from_ne(n, e);
    if (*pkey == nullptr) {
        return "an RSA key OpenSSL does not accept";
    }
    int b = EVP_PKEY_get_bits(*pkey);
    if (b < static_cast<int>(rsa_min_bits)
        || b > static_cast<int>(rsa_max_bits))
    {
        EVP_PKEY_free(*pkey);
        *pkey = nullptr;
        return b < static_cast<int>(rsa_min_bits)
               ? "an RSA modulus under 2048 bits"
               : "an RSA modulus over 8192 bits";
    }
    *bits = static_cast<unsigned>(b);
    return nullptr;
}

/* a key object closed: keep it or count it as skipped */
int judge(JwksState *st)
{
    JwkRaw &k = st->jwk;
    EVP_PKEY *pkey = nullptr;
    unsigned bits = 0;
    Kty kty;

    if (k.bad) {
        skip(st, "a key with a member twice or not a string");
        return 1;
    }
    if (!k.seen[j_kid] || k.kid.empty()) {
        skip(st, "a key without \"kid\"");
        return 1;
    }
    if (k.seen[j_use] && !OKTATEL_EQ(k.use.view(), "sig")) {
        skip(st, "a key whose \"use\" is not \"sig\"");
        return 1;
    }
    if (OKTATEL_EQ(k.kty.view(), "RSA")) {
        if (k.seen[j_alg] && !OKTATEL_EQ(k.alg.view(), "RS256")) {
            skip(st, "an RSA key whose \"alg\" is not \"RS256\"");
            return 1;
        }
        const char *why = rsa_key(k, &pkey, &bits);
        if (why != nullptr) {
            skip(st, why);
            return 1;
        }
        kty = Kty::rsa;
    } else if (OKTATEL_EQ(k.kty.view(), "EC")) {
        /* known by kid, so that a token naming it is told apart from an
           unknown kid; it verifies nothing */
        kty = Kty::ec;
    } else {
        skip(st, "a key whose \"kty\" is neither \"RSA\" nor \"EC\"");
        return 1;
    }
    if (!st->out->add(k.kid.view(), kty, bits, pkey)) {
        return fail(st, "holds a \"kid\" twice");
    }
    return 1;
}

void jwk_clear(JwkRaw *k)
{
    std::memset(k->seen, 0, sizeof(k->seen));
    k->bad = false;
    k->kty.clear();
    k->use.clear();
    k->alg.clear();
    k->kid.clear();
    k->n.clear();
    k->e.clear();
}

template <std::size_t N>
void keep(JwkRaw *k, FixedStr<N> *f, const unsigned char *s, std::size_t n)
{
    if (!f->assign(reinterpret_cast<const char *>(s), n)) {
        k->bad = true;
    }
}

int j_value(void *ctx, const unsigned char *s, std::size_t n, bool is_str)
{
    JwksState *st = js(ctx);
    if (st->depth == 0) {
        return 0;
    }
    if (st->depth == 1 && st->keys_pending) {
        return fail(st, "has a \"keys\" member that is not an array");
    }
    if (st->depth == 2 && st->in_keys) {
        return fail(st, "has a \"keys\" element that is not an object");
    }
    JKey key = (st->depth == 3 && st->in_keys) ? st->pending : j_none;
    st->pending = j_none;
    if (key == j_none) {
        return 1;
    }
    JwkRaw *k = &st->jwk;
    if (!is_str) {
        k->bad = true;
        return 1;
    }
    switch (key) {
    case j_kty: keep(k, &k->kty, s, n); break;
    case j_kid: keep(k, &k->kid, s, n); break;
    case j_use: keep(k, &k->use, s, n); break;
    case j_alg: keep(k, &k->alg, s, n); break;
    case j_n:
        /* cut: rsa_key() refuses an over-long modulus */
        k->n.assign(reinterpret_cast<const char *>(s),
                    n > n_max_chars + 1 ? n_max_chars + 1 : n);
        break;
    case j_e:
        k->e.assign(reinterpret_cast<const char *>(s),
                    n > e_max_chars + 1 ? e_max_chars + 1 : n);
        break;
    default:
        break;
    }
    return 1;
}

int j_null(void *ctx) { return j_value(ctx, nullptr, 0, false); }
int j_bool(void *ctx, int) { return j_value(ctx, nullptr, 0, false); }
int j_number(void *ctx, const char *, std::size_t)
{
    return j_value(ctx, nullptr, 0, false);
}
int j_string(void *ctx, const unsigned char *s, std::size_t n)
{
    return j_value(ctx, s, n, true);
}

int j_open(void *ctx, bool is_map)
{
    JwksState *st = js(ctx);
    if (st->depth == 0 && !is_map) {
        return fail(st, "is not a JSON object");
    }
    if (st->depth >= json_max_depth) {
        return fail(st, "is nested too deep");
    }
    if (st->depth == 1 && st->keys_pending) {
        if (is_map) {
            return fail(st, "has a \"keys\" member that is not an array");
        }
        st->keys_pending = false;
        st->in_keys = true;
    } else if (st->depth == 2 && st->in_keys) {
        if (!is_map) {
            return fail(st, "has a \"keys\" element that is not an object");
        }
        if (++st->nkeys > jwks_max_keys) {
            return fail(st, "holds more than 64 keys");
        }
        jwk_clear(&st->jwk);
    } else if (st->depth == 3 && st->in_keys && st->pending != j_none) {
        st->jwk.bad = true;   /* kty, kid, ... as a container */
    }
    st->pending = j_none;
    st->depth++;
    return 1;
}

int j_start_map(void *ctx) { return j_open(ctx, true); }
int j_start_array(void *ctx) { return j_open(ctx, false); }

int j_end(void *ctx)
{
    JwksState *st = js(ctx);
    int rc = 1;
    st->depth--;
    if (st->depth == 2 && st->in_keys) {
        rc = judge(st);
    } else if (st->depth == 1) {
        st->in_keys = false;
    } else if (st->depth == 0) {
        st->root_end = yajl_get_bytes_consumed(
                           static_cast<yajl_handle>(st->handle));
    }
    st->pending = j_none;
    return rc;
}

int j_key(void *ctx, const unsigned char *k, std::size_t n)
{
    static const struct { const char *name; JKey key; } names[] = {
        { "kty", j_kty }, { "kid", j_kid }, { "use", j_use },
        { "alg", j_alg }, { "n", j_n }, { "e", j_e },
    };
    JwksState *st = js(ctx);
    st->pending = j_none;
    std::string_view key(reinterpret_cast<const char *>(k), n);
    if (st->depth == 1) {
        if (key == "keys") {
            if (st->seen_keys) {
                return fail(st, "has \"keys\" twice");
            }
            st->seen_keys = true;
            st->keys_pending = true;
        } else {
            st->keys_pending = false;
        }
        return 1;
    }
    if (st->depth != 3 || !st->in_keys) {
        return 1;
    }
    for (const auto &e : names) {
        if (key == e.name) {
            if (st->jwk.seen[e.key]) {
                st->jwk.bad = true;
            }
            st->jwk.seen[e.key] = true;
            st->pending = e.key;
            break;
        }
    }
    return 1;
}

const yajl_callbacks jwks_callbacks = {
    j_null, j_bool, nullptr, nullptr, j_number, j_string,
    j_start_map, j_key, j_end, j_start_array, j_end,
};

}  // namespace


KeySet::~KeySet()
{
    for (Key &k : keys_) {
        EVP_PKEY_free(k.pkey);
    }
}


const Key *KeySet::find(std::string_view kid) const
{
    for (const Key &k : keys_) {
        if (k.kid.view() == kid) {
            return &k;
        }
    }
    return nullptr;
}


std::size_t KeySet::usable() const
{
    std::size_t n = 0;
    for (const Key &k : keys_) {
        n += (k.kty == Kty::rsa && k.pkey != nullptr) ? 1 : 0;
    }
    return n;
}


bool KeySet::add(std::string_view kid, Kty kty, unsigned bits,
                 EVP_PKEY *pkey)
{
    if (find(kid) != nullptr) {
        EVP_PKEY_free(pkey);
        return false;
    }
    Key k;
    k.kid.clear();
    k.kid.assign(kid.data(), kid.size() > 128 ? 128 : kid.size());
    k.kty = kty;
    k.bits = bits;
    k.pkey = pkey;
    try {
        keys_.push_back(k);
    } catch (...) {
        EVP_PKEY_free(pkey);
        throw;
    }
    return true;
}


bool parse_jwks(std::string_view json, KeySet *out, JwksReport *report,
                const yajl_alloc_funcs *af)
{
    report->error = nullptr;
    report->skipped = 0;
    report->last_skip = nullptr;
    if (json.size() > jwks_max) {
        report->error = "is larger than 256k";
        return false;
    }
    JwksState st{};
    st.out = out;
    st.report = report;
    jwk_clear(&st.jwk);

    yajl_handle h = yajl_alloc(&jwks_callbacks,
                               const_cast<yajl_alloc_funcs *>(af), &st);
    if (h == nullptr) {
        report->error = "could not be parsed (out of memory)";
        return false;
    }
    st.handle = h;
    const unsigned char *p = reinterpret_cast<const unsigned char *>(
                                 json.data());
    bool ok = !json.empty()
              && yajl_parse(h, p, json.size()) == yajl_status_ok
              && yajl_complete_parse(h) == yajl_status_ok
              && st.root_end > 0
              && detail::json_space_only(json.data() + st.root_end,
                                         json.data() + json.size());
    yajl_free(h);
    if (!ok || report->error != nullptr) {
        if (report->error == nullptr) {
            report->error = "is not valid JSON";
        }
        return false;
    }
    if (!st.seen_keys) {
        report->error = "has no \"keys\" array";
        return false;
    }
    return true;
}

}  // namespace jwt
}  // namespace oktatel
