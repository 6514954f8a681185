/*
 * Keys made at test time (EVP_PKEY_keygen; no private key is committed),
 * JWKs built from them, and tokens signed with them.
 */

#ifndef OKTATEL_JWT_HELPERS_HPP
#define OKTATEL_JWT_HELPERS_HPP

#include <cstdint>
#include <string>

#include "jwt.hpp"

namespace jwtest {

/* the keys, made once in the parent process (an unchecked fixture) */
struct Keys {
    EVP_PKEY *a;        /* RSA 2048, kid "k1" */
    EVP_PKEY *b;        /* RSA 3072, kid "k2" */
    EVP_PKEY *small;    /* RSA 1024, kid "k-small" */
    EVP_PKEY *ec;       /* P-256, kid "ec1" */
};

Keys &keys();
void make_keys();       /* idempotent */

constexpr std::int64_t now = 1800000000;
extern const char *const issuer;

std::string b64url(const std::string &raw);

/* {"kty":"RSA","kid":kid,"n":..,"e":..}+extra members (", ..."), or EC */
std::string rsa_jwk(EVP_PKEY *k, const std::string &kid,
                    const std::string &extra = "");
std::string ec_jwk(EVP_PKEY *k, const std::string &kid);

/* the JWKS of a (k1), b (k2), small (k-small), ec (ec1) */
std::string standard_jwks();

/* header.payload.signature with RS256 (or HS256 with secret) */
std::string sign_rs256(const std::string &header, const std::string &payload,
                       EVP_PKEY *k);
std::string sign_hs256(const std::string &header, const std::string &payload,
                       const std::string &secret);

/* the public key of k in PEM: the secret of a key-confusion attack */
std::string public_pem(EVP_PKEY *k);

/* Okta-like claims; members replaced/added through extra: a JSON fragment
   put first, and drop: names of default members to leave out (",a,b,") */
std::string claims(const std::string &extra = "",
                   const std::string &drop = "");

std::string header(const std::string &kid = "k1",
                   const std::string &alg = "RS256");

/* a valid token signed with a, kid k1, with claims(extra, drop) */
std::string token(const std::string &extra = "",
                  const std::string &drop = "");

/* the policy the tests check against */
oktatel::jwt::Policy policy();

}  // namespace jwtest

#endif
