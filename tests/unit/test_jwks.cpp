/* JWKS documents, base64url, the token hash and the verified-token cache. */

#include <cstring>

#include "jwt_helpers.hpp"
#include "test_util.hpp"

using namespace oktatel::jwt;
using namespace jwtest;

namespace {

void setup_keys() { make_keys(); }

/* parses j; the number of usable keys, -1 if refused (error in *why) */
long usable(const std::string &j, const char **why = nullptr,
            JwksReport *rep_out = nullptr)
{
    KeySet set;
    JwksReport rep;
    bool ok = parse_jwks(j, &set, &rep, nullptr);
    if (why) {
        *why = rep.error;
    }
    if (rep_out) {
        *rep_out = rep;
    }
    return ok ? static_cast<long>(set.usable()) : -1;
}

std::string jwks(const std::string &keys_inside)
{
    return "{\"keys\":[" + keys_inside + "]}";
}

}  // namespace


START_TEST(jwks_several_keys)
{
    KeySet set;
    JwksReport rep;
    std::string j = standard_jwks();
    ck_assert(parse_jwks(j, &set, &rep, nullptr));
    ck_assert_ptr_null(rep.error);
    /* k1, k2 and ec1 are known; k-small (1024 bits) is skipped */
    ck_assert_uint_eq(set.size(), 3);
    ck_assert_uint_eq(set.usable(), 2);
    ck_assert_uint_eq(rep.skipped, 1);
    ck_assert_str_eq(rep.last_skip, "an RSA modulus under 2048 bits");
    ck_assert_uint_eq(set.find("k1")->bits, 2048);
    ck_assert_uint_eq(set.find("k2")->bits, 3072);
    ck_assert(set.find("ec1")->kty == Kty::ec);
    ck_assert_ptr_null(set.find("ec1")->pkey);
    ck_assert_ptr_null(set.find("k-small"));
    ck_assert_ptr_null(set.find("k"));
}
END_TEST

START_TEST(jwks_odd_members)
{
    EVP_PKEY *a = keys().a;
    JwksReport rep;
    /* members the module does not read, of every type and depth */
    std::string j = "{\"x\":[1,{\"keys\":2}],\"keys\":["
        + rsa_jwk(a, "k1", ",\"x5c\":[\"MIIB\"],\"key_ops\":[\"verify\"],"
                  "\"ext\":true,\"n2\":null,\"o\":{\"kid\":\"k9\"},"
                  "\"num\":1.5")
        + "],\"other\":{\"keys\":[]}}";
    ck_assert_int_eq(usable(j), 1);
    /* judged one by one: skipped keys do not spoil the others */
    j = jwks(rsa_jwk(a, "k1", ",\"use\":\"enc\"") + ","
             + rsa_jwk(a, "k2", ",\"alg\":\"RS512\"") + ","
             + "{\"kty\":\"oct\",\"kid\":\"h\",\"k\":\"c2VjcmV0\"}" + ","
             + "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}" + ","
             + rsa_jwk(a, "k5", ",\"kid\":\"k6\"") + ","
             + rsa_jwk(a, "k7", ",\"use\":1") + ","
             + "{\"kty\":\"RSA\",\"kid\":\"k8\",\"e\":\"AQAB\"}" + ","
             + rsa_jwk(a, "ok"));
    ck_assert_int_eq(usable(j, nullptr, &rep), 1);
    ck_assert_uint_eq(rep.skipped, 7);
    /* "use":"sig" and "alg":"RS256" are accepted */
    j = jwks(rsa_jwk(a, "k1", ",\"use\":\"sig\",\"alg\":\"RS256\""));
    ck_assert_int_eq(usable(j), 1);
    /* padding and other alphabets in n */
    std::string jwk = rsa_jwk(a, "k1");
    std::string padded = jwk;
    padded.insert(padded.find("\",\"e\""), "==");
    ck_assert_int_eq(usable(jwks(padded)), 0);
    std::string plus = jwk;
    plus[plus.find("\"n\":\"") + 6] = '+';
    ck_assert_int_eq(usable(jwks(plus)), 0);
    /* exponent 1 and an even one */
    std::string e1 = jwk.substr(0, jwk.find("\"e\":\"")) + "\"e\":\"AQ\"}";
    ck_assert_int_eq(usable(jwks(e1)), 0);
    std::string e2 = jwk.substr(0, jwk.find("\"e\":\"")) + "\"e\":\"AQAA\"}";
    ck_assert_int_eq(usable(jwks(e2)), 0);
}
END_TEST

START_TEST(jwks_refused)
{
    const char *why = nullptr;
    EVP_PKEY *a = keys().a;
    ck_assert_int_eq(usable("", &why), -1);
    ck_assert_int_eq(usable("not json", &why), -1);
    ck_assert_str_eq(why, "is not valid JSON");
    ck_assert_int_eq(usable("[]", &why), -1);
    ck_assert_str_eq(why, "is not a JSON object");
    ck_assert_int_eq(usable("{}", &why), -1);
    ck_assert_str_eq(why, "has no \"keys\" array");
    ck_assert_int_eq(usable("{\"keys\":{}}", &why), -1);
    ck_assert_int_eq(usable("{\"keys\":\"x\"}", &why), -1);
    ck_assert_str_eq(why, "has a \"keys\" member that is not an array");
    ck_assert_int_eq(usable("{\"keys\":[1]}", &why), -1);
    ck_assert_int_eq(usable("{\"keys\":[[]]}", &why), -1);
    ck_assert_str_eq(why, "has a \"keys\" element that is not an object");
    ck_assert_int_eq(usable("{\"keys\":[],\"keys\":[]}", &why), -1);
    ck_assert_int_eq(usable(jwks(rsa_jwk(a, "k1")) + "x", &why), -1);
    ck_assert_int_eq(usable(jwks(rsa_jwk(a, "k1") + "," + rsa_jwk(a, "k1")),
                            &why), -1);
    ck_assert_str_eq(why, "holds a \"kid\" twice");
    std::string many;
    for (int i = 0; i < 65; i++) {
        many += (i ? ",{\"kid\":\"" : "{\"kid\":\"") + std::to_string(i)
                + "\"}";
    }
    ck_assert_int_eq(usable(jwks(many), &why), -1);
    ck_assert_str_eq(why, "holds more than 64 keys");
    ck_assert_int_eq(usable("{\"keys\":[{\"a\":[[[[[[[[]]]]]]]]}]}", &why),
                     -1);
    ck_assert_str_eq(why, "is nested too deep");
    ck_assert_int_eq(usable(std::string(jwks_max + 1, ' '), &why), -1);
    /* parses, but nothing usable */
    ck_assert_int_eq(usable("{\"keys\":[]}"), 0);
    ck_assert_int_eq(usable(jwks(ec_jwk(keys().ec, "e"))), 0);
    ck_assert_int_eq(usable(jwks(rsa_jwk(keys().small, "s"))), 0);
    /* then white space is fine */
    ck_assert_int_eq(usable(" " + jwks(rsa_jwk(a, "k1")) + "\n"), 1);
}
END_TEST

START_TEST(base64url_strict)
{
    std::string out;
    std::string raw;
    for (int n = 0; n < 70; n++) {
        std::string enc = b64url(raw);
        ck_assert(base64url_decode(enc, &out));
        ck_assert(out == raw);
        raw.push_back(static_cast<char>(n * 37 + 11));
    }
    ck_assert(!base64url_decode("QQ==", &out));
    ck_assert(!base64url_decode("Q", &out));
    ck_assert(!base64url_decode("QR", &out));   /* bits left over */
    ck_assert(base64url_decode("QQ", &out));
    sv_eq(out, "A");
    ck_assert(!base64url_decode("a+b/", &out));
    ck_assert(base64url_decode("a-b_", &out));
    ck_assert(!base64url_decode("ab cd", &out));
    ck_assert(!base64url_decode("ab\ncd", &out));
    ck_assert(!base64url_decode(std::string("ab\0c", 4), &out));
}
END_TEST

START_TEST(hash_sha256)
{
    Hasher h;
    TokenHash th;
    ck_assert(h.hash("abc", &th));
    static const unsigned char want[8] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea
    };
    ck_assert(std::memcmp(th.b, want, sizeof(want)) == 0);
    TokenHash again;
    ck_assert(h.hash("abc", &again));
    ck_assert(std::memcmp(th.b, again.b, 32) == 0);
    ck_assert(h.hash("abd", &again));
    ck_assert(std::memcmp(th.b, again.b, 32) != 0);
}
END_TEST

START_TEST(cache_entries)
{
    static TokenCache c;    /* zeroed: every entry free */
    Hasher hs;
    TokenHash a, b;
    ck_assert(hs.hash("token-a", &a));
    ck_assert(hs.hash("token-b", &b));
    ck_assert(!c.find(a, 1, now));
    c.put(a, 1, now + 100, now);
    ck_assert(c.find(a, 1, now));
    ck_assert(c.find(a, 1, now + 99));
    ck_assert(!c.find(a, 1, now + 100));     /* until is exclusive */
    ck_assert(!c.find(a, 2, now));           /* another configuration */
    ck_assert(!c.find(b, 1, now));
    /* put again: updated in place, not twice */
    c.put(a, 1, now + 200, now);
    ck_assert(c.find(a, 1, now + 150));

    /* a full set evicts the entry that expires first */
    TokenHash h[TokenCache::ways + 1];
    for (std::size_t i = 0; i <= TokenCache::ways; i++) {
        h[i] = a;
        h[i].b[31] = static_cast<unsigned char>(i + 1);   /* same set */
        c.put(h[i], 7, now + 1000 - static_cast<long>(i), now);
    }
    std::size_t found = 0;
    for (std::size_t i = 0; i <= TokenCache::ways; i++) {
        found += c.find(h[i], 7, now) ? 1 : 0;
    }
    ck_assert_uint_eq(found, TokenCache::ways);
    ck_assert(c.find(h[TokenCache::ways], 7, now));
    ck_assert(c.find(h[0], 7, now));
}
END_TEST


START_TEST(recent_token)
{
    static RecentToken t;   /* zeroed: none */
    std::string a(850, 'x');
    a[0] = 'e';
    ck_assert(!t.matches(a, 1, now));
    ck_assert(!t.matches("", 1, now));
    t.set(a, 1, now + 100);
    ck_assert(t.matches(a, 1, now));
    ck_assert(t.matches(a, 1, now + 99));
    ck_assert(!t.matches(a, 1, now + 100));          /* until is exclusive */
    ck_assert(!t.matches(a, 2, now));                /* another policy */
    for (std::size_t i : {std::size_t(0), std::size_t(7), std::size_t(8),
                          std::size_t(423), std::size_t(848),
                          std::size_t(849)}) {
        std::string b = a;
        b[i] ^= 1;                                   /* one bit anywhere */
        ck_assert_msg(!t.matches(b, 1, now), "byte %zu", i);
    }
    ck_assert(!t.matches(a.substr(0, 849), 1, now)); /* a prefix */
    ck_assert(!t.matches(a + "x", 1, now));
    /* too long to keep: forgets the one it had */
    t.set(std::string(token_max + 1, 'y'), 1, now + 100);
    ck_assert(!t.matches(a, 1, now));
    t.set(std::string(token_max, 'y'), 1, now + 100);
    ck_assert(t.matches(std::string(token_max, 'y'), 1, now));
    t.set("", 1, now + 100);
    ck_assert(!t.matches("", 1, now));

    const unsigned char p[] = "0123456789abcdefg", q[] = "0123456789abcdefh";
    ck_assert(same_bytes(p, q, 16));
    ck_assert(!same_bytes(p, q, 17));
    ck_assert(same_bytes(p, q, 0));
}
END_TEST

Suite *jwks_suite()
{
    Suite *s = suite_create("jwks");
    TCase *tc = tcase_create("keys");
    tcase_add_unchecked_fixture(tc, setup_keys, nullptr);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, jwks_several_keys);
    tcase_add_test(tc, jwks_odd_members);
    tcase_add_test(tc, jwks_refused);
    tcase_add_test(tc, base64url_strict);
    tcase_add_test(tc, hash_sha256);
    tcase_add_test(tc, cache_entries);
    tcase_add_test(tc, recent_token);
    suite_add_tcase(s, tc);
    return s;
}
