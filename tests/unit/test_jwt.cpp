/* Bearer tokens: every rule, each claim wrong on its own, tampering. */

#include <set>

#include "jwt_helpers.hpp"
#include "test_util.hpp"

using namespace oktatel::jwt;
using namespace jwtest;

namespace {

KeySet *the_set;

void setup_keys()
{
    make_keys();
    if (the_set == nullptr) {
        the_set = new KeySet;
        JwksReport rep;
        std::string j = standard_jwks();
        ck_assert(parse_jwks(j, the_set, &rep, nullptr));
    }
}

Reason check(const std::string &tok, Verdict *v = nullptr,
             std::int64_t at = now)
{
    Verdict local;
    Policy p = policy();
    return verify(tok, *the_set, p, at, v ? v : &local, nullptr);
}

#define ck_reason(tok, r) do { \
        Reason got_ = check(tok); \
        ck_assert_msg(got_ == (r), "%s: got \"%s\", want \"%s\"", #tok, \
                      reason_name(got_), reason_name(r)); \
    } while (0)

}  // namespace


START_TEST(reason_names_unique)
{
    std::set<std::string> seen;
    for (int i = 0; i < static_cast<int>(Reason::count_); i++) {
        const char *n = reason_name(static_cast<Reason>(i));
        ck_assert(n != nullptr && n[0] != '\0' && n[0] != '?');
        ck_assert_msg(seen.insert(n).second, "duplicate name %s", n);
    }
    ck_assert_str_eq(reason_name(Reason::expired), "expired");
    ck_assert_str_eq(reason_name(Reason::bad_signature), "bad signature");
    ck_assert_str_eq(reason_name(Reason::unknown_kid), "unknown kid");
    ck_assert_str_eq(reason_name(Reason::wrong_aud), "wrong aud");
    ck_assert_str_eq(reason_name(Reason::alg_none), "alg none refused");
    ck_assert_str_eq(reason_name(Reason::count_), "?");
}
END_TEST

START_TEST(valid_token)
{
    Verdict v;
    ck_assert(check(token(), &v) == Reason::ok);
    ck_assert(v.reason == Reason::ok);
    sv_eq(v.kid.view(), "k1");
    sv_eq(v.iss.view(), issuer);
    sv_eq(v.cid.view(), "0oa1a2b3c4d5");
    ck_assert_int_eq(v.exp, now + 3600);
    /* the second key, the second audience and client id */
    std::string t = sign_rs256(header("k2"),
                               claims("\"aud\":\"api://other\","
                                      "\"cid\":\"0oa9z8y7\""), keys().b);
    ck_reason(t, Reason::ok);
}
END_TEST

START_TEST(claim_iss)
{
    ck_reason(token("\"iss\":\"https://acme.okta.com/oauth2/other\""),
              Reason::wrong_iss);
    ck_reason(token("\"iss\":\"https://acme.okta.com/oauth2/aus1a2b3c4/\""),
              Reason::wrong_iss);
    ck_reason(token("\"iss\":\"https://acme.okta.com/oauth2/aus1a2b3c\""),
              Reason::wrong_iss);
    ck_reason(token("\"iss\":\"HTTPS://ACME.OKTA.COM/oauth2/aus1a2b3c4\""),
              Reason::wrong_iss);
    ck_reason(token("", ",iss,"), Reason::wrong_iss);
    ck_reason(token("\"iss\":[\"x\"]"), Reason::bad_payload);
    ck_reason(token("\"iss\":null"), Reason::bad_payload);
    /* the value logged is made printable */
    Verdict v;
    ck_assert(check(token("\"iss\":\"a\\nb c\""), &v) == Reason::wrong_iss);
    sv_eq(v.iss.view(), "a?b?c");
}
END_TEST

START_TEST(claim_aud)
{
    ck_reason(token("\"aud\":\"api://okta\""), Reason::wrong_aud);
    ck_reason(token("\"aud\":\"\""), Reason::wrong_aud);
    ck_reason(token("", ",aud,"), Reason::wrong_aud);
    ck_reason(token("\"aud\":[]"), Reason::wrong_aud);
    ck_reason(token("\"aud\":[\"a\",\"b\"]"), Reason::wrong_aud);
    ck_reason(token("\"aud\":[\"a\",\"api://okta-telephony\"]"), Reason::ok);
    ck_reason(token("\"aud\":[\"api://other\"]"), Reason::ok);
    ck_reason(token("\"aud\":[\"a\",1]"), Reason::bad_payload);
    ck_reason(token("\"aud\":[[\"api://other\"]]"), Reason::bad_payload);
    ck_reason(token("\"aud\":{\"x\":\"api://other\"}"), Reason::bad_payload);
    ck_reason(token("\"aud\":7"), Reason::bad_payload);
}
END_TEST

START_TEST(claim_cid)
{
    ck_reason(token("\"cid\":\"0oa1a2b3c4d6\""), Reason::wrong_cid);
    ck_reason(token("\"cid\":\"0OA1A2B3C4D5\""), Reason::wrong_cid);
    ck_reason(token("", ",cid,"), Reason::wrong_cid);
    ck_reason(token("\"cid\":[\"0oa1a2b3c4d5\"]"), Reason::bad_payload);
    /* sub is not cid */
    ck_reason(token("\"sub\":\"0oa9z8y7\",\"cid\":\"x\""), Reason::wrong_cid);
}
END_TEST

START_TEST(claim_scope)
{
    ck_reason(token("", ",scp,"), Reason::missing_scope);
    ck_reason(token("\"scp\":[]"), Reason::missing_scope);
    ck_reason(token("\"scp\":[\"okta.telephon\",\"okta\"]"),
              Reason::missing_scope);
    ck_reason(token("\"scp\":[\"openid\",\"okta.telephony\"]"), Reason::ok);
    ck_reason(token("\"scp\":\"openid okta.telephony\""), Reason::ok);
    ck_reason(token("\"scp\":\"openid okta.telephonyx\""),
              Reason::missing_scope);
    ck_reason(token("\"scp\":[\"openid okta.telephony\"]"), Reason::ok);
    ck_reason(token("\"scp\":[true]"), Reason::bad_payload);
    /* no scope configured: none needed */
    Policy p = policy();
    p.scope = "";
    Verdict v;
    ck_assert(verify(token("", ",scp,"), *the_set, p, now, &v, nullptr)
              == Reason::ok);
}
END_TEST

START_TEST(claim_times)
{
    std::string e = "\"exp\":";
    ck_reason(token("", ",exp,"), Reason::no_exp);
    ck_reason(token(e + std::to_string(now - 121)), Reason::expired);
    ck_reason(token(e + std::to_string(now - 120)), Reason::expired);
    ck_reason(token(e + std::to_string(now - 119)), Reason::ok);
    ck_reason(token(e + std::to_string(now) + ".999"), Reason::ok);
    ck_reason(token(e + "\"" + std::to_string(now + 60) + "\""),
              Reason::bad_payload);
    ck_reason(token(e + "1e10"), Reason::bad_payload);
    ck_reason(token(e + "-1"), Reason::bad_payload);
    ck_reason(token(e + "9999999999999999"), Reason::bad_payload);

    ck_reason(token("\"nbf\":" + std::to_string(now + 121)),
              Reason::not_yet_valid);
    ck_reason(token("\"nbf\":" + std::to_string(now + 120)), Reason::ok);
    ck_reason(token("\"iat\":" + std::to_string(now + 121)),
              Reason::issued_in_future);
    ck_reason(token("\"iat\":" + std::to_string(now + 120)), Reason::ok);
    ck_reason(token("", ",iat,"), Reason::ok);
    ck_reason(token("\"iat\":null"), Reason::bad_payload);

    /* another leeway */
    Policy p = policy();
    Verdict v;
    p.leeway = 0;
    ck_assert(verify(token(e + std::to_string(now - 1)), *the_set, p, now,
                     &v, nullptr) == Reason::expired);
    ck_assert(verify(token("\"nbf\":" + std::to_string(now + 1)), *the_set,
                     p, now, &v, nullptr) == Reason::not_yet_valid);
}
END_TEST

START_TEST(claims_shape)
{
    ck_reason(token("\"exp\":1,\"exp\":" + std::to_string(now + 60)),
              Reason::bad_payload);
    ck_reason(sign_rs256(header(), "[1]", keys().a), Reason::bad_payload);
    ck_reason(sign_rs256(header(), "\"x\"", keys().a), Reason::bad_payload);
    ck_reason(sign_rs256(header(), claims() + "x", keys().a),
              Reason::bad_payload);
    ck_reason(sign_rs256(header(), claims() + " \n", keys().a), Reason::ok);
    ck_reason(sign_rs256(header(), claims() + "{}", keys().a),
              Reason::bad_payload);
    std::string deep = "\"x\":[[[[[[[[1]]]]]]]]";
    ck_reason(token(deep), Reason::bad_payload);
    ck_reason(token("\"x\":[[[[[[1]]]]]]"), Reason::ok);
    /* not UTF-8 */
    ck_reason(token("\"uid\":\"\xff\""), Reason::bad_payload);
    /* odd members are skipped */
    std::string odd = "{\"x\":{\"iss\":1,\"aud\":[{}]},\"y\":null,"
                      + claims().substr(1);
    ck_reason(sign_rs256(header(), odd, keys().a), Reason::ok);
}
END_TEST

START_TEST(alg_rules)
{
    std::string c = claims();
    ck_reason(sign_rs256(header("k1", "none"), c, keys().a), Reason::alg_none);
    ck_reason(sign_rs256(header("k1", "NONE"), c, keys().a), Reason::alg_none);
    ck_reason(b64url(header("k1", "none")) + "." + b64url(c) + ".",
              Reason::alg_none);
    ck_reason(sign_rs256(header("k1", "RS512"), c, keys().a),
              Reason::alg_unsupported);
    ck_reason(sign_rs256(header("k1", "ES256"), c, keys().a),
              Reason::alg_unsupported);
    ck_reason(sign_rs256(header("k1", "PS256"), c, keys().a),
              Reason::alg_unsupported);
    ck_reason(sign_rs256(header("k1", "rs256"), c, keys().a),
              Reason::alg_unsupported);
    ck_reason(sign_rs256("{\"kid\":\"k1\"}", c, keys().a),
              Reason::alg_unsupported);
    ck_reason(sign_rs256(header("k1", std::string(40, 'R')), c, keys().a),
              Reason::alg_unsupported);
    ck_reason(sign_rs256("{\"kid\":\"k1\",\"alg\":256}", c, keys().a),
              Reason::bad_header);
    /* an alg that does not fit the key's kty */
    ck_reason(sign_rs256(header("ec1"), c, keys().a),
              Reason::alg_key_mismatch);
}
END_TEST

START_TEST(key_confusion)
{
    /* HS256 with the RSA public key (PEM, or the JWK's n) as the secret */
    std::string c = claims();
    std::string pem = public_pem(keys().a);
    ck_reason(sign_hs256(header("k1", "HS256"), c, pem), Reason::alg_hmac);
    ck_reason(sign_hs256(header("k1", "HS512"), c, pem), Reason::alg_hmac);
    ck_reason(sign_hs256("{\"alg\":\"HS256\"}", c, pem), Reason::alg_hmac);
    ck_reason(sign_hs256(header("k1", "HS256"), c, rsa_jwk(keys().a, "k1")),
              Reason::alg_hmac);
    /* the HMAC put under an RS256 header */
    std::string t = sign_hs256(header(), c, pem);
    ck_reason(t, Reason::bad_signature);
}
END_TEST

START_TEST(kid_rules)
{
    std::string c = claims();
    ck_reason(sign_rs256("{\"alg\":\"RS256\"}", c, keys().a),
              Reason::kid_missing);
    ck_reason(sign_rs256(header("k3"), c, keys().a), Reason::unknown_kid);
    ck_reason(sign_rs256(header(""), c, keys().a), Reason::unknown_kid);
    ck_reason(sign_rs256(header("K1"), c, keys().a), Reason::unknown_kid);
    /* a key refused by the JWKS rules is unknown */
    ck_reason(sign_rs256(header("k-small"), c, keys().small),
              Reason::unknown_kid);
    /* the wrong key for the kid */
    ck_reason(sign_rs256(header("k1"), c, keys().b), Reason::bad_signature);
    ck_reason(sign_rs256(header("k2"), c, keys().a), Reason::bad_signature);
    ck_reason(sign_rs256("{\"alg\":\"RS256\",\"kid\":[\"k1\"]}", c, keys().a),
              Reason::bad_header);
    ck_reason(sign_rs256("{\"alg\":\"RS256\",\"kid\":\"k1\",\"kid\":\"k2\"}",
                         c, keys().a), Reason::bad_header);
    Verdict v;
    ck_assert(check(sign_rs256(header("k\\\"3"), c, keys().a), &v)
              == Reason::unknown_kid);
    sv_eq(v.kid.view(), "k?3");
}
END_TEST

START_TEST(header_shape)
{
    std::string c = claims();
    EVP_PKEY *a = keys().a;
    ck_reason(sign_rs256("{\"alg\":\"RS256\",\"kid\":\"k1\",\"crit\":[\"x\"]}",
                         c, a), Reason::bad_header);
    ck_reason(sign_rs256("{\"alg\":\"RS256\",\"alg\":\"RS256\",\"kid\":\"k1\"}",
                         c, a), Reason::bad_header);
    ck_reason(sign_rs256("[\"RS256\"]", c, a), Reason::bad_header);
    ck_reason(sign_rs256(header() + "x", c, a), Reason::bad_header);
    ck_reason(sign_rs256("{\"alg\":\"RS256\",\"kid\":\"k1\"", c, a),
              Reason::bad_header);
    ck_reason(sign_rs256("", c, a), Reason::malformed);
    ck_reason(sign_rs256("{\"typ\":\"JWT\",\"x\":{\"alg\":\"none\"},"
                         "\"alg\":\"RS256\",\"kid\":\"k1\"}", c, a),
              Reason::ok);
    ck_reason(sign_rs256("{\"alg\":\"RS256\",\"kid\":\"k1\",\"x\":"
                         "[[[[[[[[]]]]]]]]}", c, a), Reason::bad_header);
}
END_TEST

START_TEST(split_parts)
{
    std::string t = token();
    std::size_t d1 = t.find('.'), d2 = t.rfind('.');
    ck_reason(t.substr(0, d2), Reason::malformed);
    ck_reason(t + ".", Reason::malformed);
    ck_reason(t + ".x", Reason::malformed);
    ck_reason("." + t.substr(d1), Reason::malformed);
    ck_reason(t.substr(0, d1) + ".." + t.substr(d2 + 1), Reason::malformed);
    ck_reason(t.substr(0, d2 + 1), Reason::malformed);
    ck_reason(t + "=", Reason::malformed);
    ck_reason(" " + t, Reason::malformed);
    ck_reason("", Reason::malformed);
    ck_reason(std::string(token_max + 1, 'a'), Reason::too_large);
    /* every prefix of a valid token fails */
    for (std::size_t i = 0; i < t.size(); i++) {
        ck_assert(check(t.substr(0, i)) != Reason::ok);
    }
}
END_TEST

START_TEST(tampered_everywhere)
{
    std::string t = token();
    /* every character changed to another base64url character */
    for (std::size_t i = 0; i < t.size(); i++) {
        if (t[i] == '.') {
            continue;
        }
        std::string u = t;
        u[i] = (t[i] == 'A') ? 'B' : 'A';
        Reason r = check(u);
        ck_assert_msg(r != Reason::ok, "byte %zu changed, still valid", i);
    }
    /* the payload of another token signed by the same key */
    std::string other = token("\"cid\":\"0oa9z8y7\"");
    std::size_t d1 = t.find('.'), d2 = t.rfind('.');
    std::size_t o1 = other.find('.'), o2 = other.rfind('.');
    ck_reason(t.substr(0, d1 + 1) + other.substr(o1 + 1, o2 - o1 - 1)
              + t.substr(d2), Reason::bad_signature);
    /* the signature one character short or long */
    ck_assert(check(t.substr(0, t.size() - 1)) != Reason::ok);
    ck_assert(check(t + "A") != Reason::ok);
}
END_TEST

START_TEST(bearer_header)
{
    std::string_view t;
    ck_assert(bearer_token("Bearer abc", &t));
    sv_eq(t, "abc");
    ck_assert(bearer_token("bEARER   abc  ", &t));
    sv_eq(t, "abc");
    ck_assert(!bearer_token("Bearer", &t));
    ck_assert(!bearer_token("Bearer ", &t));
    ck_assert(!bearer_token("Bearer    ", &t));
    ck_assert(!bearer_token("Bearerabc", &t));
    ck_assert(!bearer_token("Basic abc", &t));
    ck_assert(!bearer_token("Bearer\tabc", &t));
    ck_assert(!bearer_token("", &t));
}
END_TEST


Suite *jwt_suite()
{
    Suite *s = suite_create("jwt");
    TCase *tc = tcase_create("tokens");
    /* the keys are made once, before the tests fork */
    tcase_add_unchecked_fixture(tc, setup_keys, nullptr);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, reason_names_unique);
    tcase_add_test(tc, valid_token);
    tcase_add_test(tc, claim_iss);
    tcase_add_test(tc, claim_aud);
    tcase_add_test(tc, claim_cid);
    tcase_add_test(tc, claim_scope);
    tcase_add_test(tc, claim_times);
    tcase_add_test(tc, claims_shape);
    tcase_add_test(tc, alg_rules);
    tcase_add_test(tc, key_confusion);
    tcase_add_test(tc, kid_rules);
    tcase_add_test(tc, header_shape);
    tcase_add_test(tc, split_parts);
    tcase_add_test(tc, tampered_everywhere);
    tcase_add_test(tc, bearer_header);
    suite_add_tcase(s, tc);
    return s;
}
