/*
 * libFuzzer target: bearer tokens and JWKS documents.
 *
 * The first byte picks what the rest is: '{' or ' ' a JWKS document (so
 * corpus files stay plain JWKS), 'e' a compact JWS checked against a key
 * set made at start-up (a key made by the target, never committed), 'h'
 * a JOSE header, 'c' a claims object, anything else a base64url string.
 * Any broken invariant abort()s.
 */

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "fuzz_common.hpp"
#include "jwt.hpp"

using namespace oktatel::jwt;
using fz::Alloc;

namespace {

KeySet *keys;

const std::string_view audiences[] = { "api://okta-telephony" };
const std::string_view client_ids[] = { "0oa1a2b3c4d5" };

Policy policy()
{
    Policy p;
    p.issuer = "https://acme.okta.com/oauth2/aus1a2b3c4";
    p.audiences = audiences;
    p.naudiences = 1;
    p.client_ids = client_ids;
    p.nclient_ids = 1;
    p.scope = "okta.telephony";
    p.leeway = 120;
    return p;
}

bool printable(std::string_view s)
{
    for (char c : s) {
        if (c <= ' ' || c == '"' || c == '\\' || c == 0x7f) {
            return false;
        }
    }
    return true;
}

void check_jwks(std::string_view in)
{
    Alloc a;
    KeySet set;
    JwksReport rep;
    bool ok = parse_jwks(in, &set, &rep, a.get());
    FZ_CHECK(a.live == 0);
    FZ_CHECK(ok == (rep.error == nullptr));
    FZ_CHECK(set.size() <= jwks_max_keys);
    FZ_CHECK(set.usable() <= set.size());
    for (std::size_t i = 0; i < set.size(); i++) {
        const Key &k = set.at(i);
        FZ_CHECK(!k.kid.empty() && set.find(k.kid.view()) == &k);
        if (k.pkey != nullptr) {
            FZ_CHECK(k.kty == Kty::rsa && k.bits >= rsa_min_bits
                     && k.bits <= rsa_max_bits);
        }
    }
}

void check_token(std::string_view in)
{
    Alloc a;
    Verdict v;
    Policy p = policy();
    Reason r = verify(in, *keys, p, 1800000000, &v, a.get());
    FZ_CHECK(a.live == 0);
    FZ_CHECK(r == v.reason && r < Reason::count_);
    /* nobody holds the private key of "k1" but this target */
    FZ_CHECK(r != Reason::ok);
    FZ_CHECK(printable(v.kid.view()) && printable(v.iss.view())
             && printable(v.cid.view()));
    std::string_view t;
    if (bearer_token(in, &t)) {
        FZ_CHECK(!t.empty() && t.front() != ' ' && t.back() != ' ');
    }
}

void check_b64(std::string_view in)
{
    std::string out;
    if (!base64url_decode(in, &out)) {
        return;
    }
    FZ_CHECK(out.size() == in.size() * 3 / 4);
    /* canonical: decoding twice the same, every output byte used */
    std::string again;
    FZ_CHECK(base64url_decode(in, &again) && again == out);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    keys = new KeySet;
    EVP_PKEY *k = EVP_RSA_gen(2048);
    FZ_CHECK(k != nullptr && keys->add("k1", Kty::rsa, 2048, k));
    FZ_CHECK(keys->add("ec1", Kty::ec, 0, nullptr));
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *d, std::size_t n)
{
    if (n == 0) {
        return 0;
    }
    std::string_view all(reinterpret_cast<const char *>(d), n);
    std::string_view rest = all.substr(1);
    Policy p = policy();
    switch (d[0]) {
    case '{':
    case ' ':
        check_jwks(all);
        break;
    case 'e':
        check_token(rest);
        break;
    case 'h': {
        Alloc a;
        Header h;
        Reason r = parse_header(rest, &h, a.get());
        FZ_CHECK(a.live == 0);
        FZ_CHECK(r == Reason::ok || r == Reason::bad_header);
        FZ_CHECK(h.kid.len <= 128 && h.alg.len <= 16);
        break;
    }
    case 'c': {
        Alloc a;
        Claims c;
        Reason r = parse_claims(rest, p, &c, a.get());
        FZ_CHECK(a.live == 0);
        FZ_CHECK(r == Reason::ok || r == Reason::bad_payload);
        if (r == Reason::ok) {
            FZ_CHECK(check_claims(c, p, 1800000000) < Reason::count_);
            FZ_CHECK(!c.has_exp || c.exp >= 0);
        }
        break;
    }
    default:
        check_b64(all);
        check_token(all);
        break;
    }
    return 0;
}
