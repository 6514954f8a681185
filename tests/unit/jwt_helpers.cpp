/* Test keys, JWKs and signed tokens (see jwt_helpers.hpp). */

#include <check.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "jwt_helpers.hpp"

namespace jwtest {

const char *const issuer = "https://acme.okta.com/oauth2/aus1a2b3c4";

namespace {

Keys the_keys;

EVP_PKEY *rsa(unsigned bits)
{
    EVP_PKEY *k = EVP_RSA_gen(bits);
    ck_assert_ptr_nonnull(k);
    return k;
}

std::string bn_param(EVP_PKEY *k, const char *name)
{
    BIGNUM *bn = nullptr;
    ck_assert_int_eq(EVP_PKEY_get_bn_param(k, name, &bn), 1);
    std::string raw(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char *>(&raw[0]));
    BN_free(bn);
    return raw;
}

const std::string audiences[] = { "api://okta-telephony", "api://other" };
const std::string client_ids[] = { "0oa1a2b3c4d5", "0oa9z8y7" };
std::string_view aud_views[] = { audiences[0], audiences[1] };
std::string_view cid_views[] = { client_ids[0], client_ids[1] };

}  // namespace


Keys &keys() { return the_keys; }


void make_keys()
{
    if (the_keys.a != nullptr) {
        return;
    }
    the_keys.a = rsa(2048);
    the_keys.b = rsa(3072);
    the_keys.small = rsa(1024);
    the_keys.ec = EVP_EC_gen("P-256");
    ck_assert_ptr_nonnull(the_keys.ec);
}


std::string b64url(const std::string &raw)
{
    static const char a[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::uint32_t acc = 0;
    unsigned bits = 0;
    for (unsigned char c : raw) {
        acc = (acc << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(a[(acc >> bits) & 63]);
        }
    }
    if (bits > 0) {
        out.push_back(a[(acc << (6 - bits)) & 63]);
    }
    return out;
}


std::string rsa_jwk(EVP_PKEY *k, const std::string &kid,
                    const std::string &extra)
{
    return "{\"kty\":\"RSA\",\"kid\":\"" + kid + "\",\"n\":\""
           + b64url(bn_param(k, OSSL_PKEY_PARAM_RSA_N)) + "\",\"e\":\""
           + b64url(bn_param(k, OSSL_PKEY_PARAM_RSA_E)) + "\"" + extra + "}";
}


std::string ec_jwk(EVP_PKEY *k, const std::string &kid)
{
    return "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"" + kid
           + "\",\"x\":\"" + b64url(bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X))
           + "\",\"y\":\"" + b64url(bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y))
           + "\",\"use\":\"sig\"}";
}


std::string standard_jwks()
{
    Keys &k = keys();
    return "{\"keys\":[" + rsa_jwk(k.a, "k1", ",\"alg\":\"RS256\",\"use\":\"sig\"")
           + "," + rsa_jwk(k.b, "k2") + "," + rsa_jwk(k.small, "k-small")
           + "," + ec_jwk(k.ec, "ec1") + "]}";
}


std::string sign_rs256(const std::string &h, const std::string &p,
                       EVP_PKEY *k)
{
    std::string input = b64url(h) + "." + b64url(p);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    std::size_t n = 0;
    ck_assert_int_eq(EVP_DigestSignInit_ex(ctx, nullptr, "SHA256", nullptr,
                                           nullptr, k, nullptr), 1);
    const unsigned char *in = reinterpret_cast<const unsigned char *>(
                                  input.data());
    ck_assert_int_eq(EVP_DigestSign(ctx, nullptr, &n, in, input.size()), 1);
    std::string sig(n, '\0');
    ck_assert_int_eq(EVP_DigestSign(ctx,
                         reinterpret_cast<unsigned char *>(&sig[0]), &n, in,
                         input.size()), 1);
    sig.resize(n);
    EVP_MD_CTX_free(ctx);
    return input + "." + b64url(sig);
}


std::string sign_hs256(const std::string &h, const std::string &p,
                       const std::string &secret)
{
    std::string input = b64url(h) + "." + b64url(p);
    unsigned char mac[64];
    std::size_t n = 0;
    ck_assert_ptr_nonnull(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256",
                              nullptr, secret.data(), secret.size(),
                              reinterpret_cast<const unsigned char *>(
                                  input.data()),
                              input.size(), mac, sizeof(mac), &n));
    return input + "." + b64url(std::string(reinterpret_cast<char *>(mac), n));
}


std::string public_pem(EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    ck_assert_int_eq(PEM_write_bio_PUBKEY(b, k), 1);
    char *data = nullptr;
    long n = BIO_get_mem_data(b, &data);
    std::string s(data, static_cast<std::size_t>(n));
    BIO_free(b);
    return s;
}


std::string claims(const std::string &extra, const std::string &drop)
{
    struct { const char *name; std::string value; } m[] = {
        { "ver", "1" },
        { "jti", "\"AT.abc\"" },
        { "iss", std::string("\"") + issuer + "\"" },
        { "aud", "\"api://okta-telephony\"" },
        { "iat", std::to_string(now - 10) },
        { "exp", std::to_string(now + 3600) },
        { "cid", "\"0oa1a2b3c4d5\"" },
        { "uid", "\"00u1\"" },
        { "scp", "[\"okta.telephony\"]" },
        { "sub", "\"0oa1a2b3c4d5\"" },
    };
    std::string out = "{" + extra;
    bool first = extra.empty();
    for (auto &e : m) {
        if (drop.find(std::string(",") + e.name + ",") != std::string::npos) {
            continue;
        }
        /* a member given in extra replaces the default */
        if (extra.find(std::string("\"") + e.name + "\":")
            != std::string::npos)
        {
            continue;
        }
        out += (first ? "\"" : ",\"") + std::string(e.name) + "\":"
               + e.value;
        first = false;
    }
    return out + "}";
}


std::string header(const std::string &kid, const std::string &alg)
{
    return "{\"kid\":\"" + kid + "\",\"alg\":\"" + alg + "\"}";
}


std::string token(const std::string &extra, const std::string &drop)
{
    return sign_rs256(header(), claims(extra, drop), keys().a);
}


oktatel::jwt::Policy policy()
{
    oktatel::jwt::Policy p;
    p.issuer = issuer;
    p.audiences = aud_views;
    p.naudiences = 2;
    p.client_ids = cid_views;
    p.nclient_ids = 2;
    p.scope = "okta.telephony";
    p.leeway = 120;
    return p;
}

}  // namespace jwtest
