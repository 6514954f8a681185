/* Replays fuzzer regression inputs: nothing may crash or leak. */

#include "events.hpp"
#include "jwt.hpp"
#include "test_util.hpp"

using namespace oktatel;
using namespace testutil;

START_TEST(replay_corpus)
{
    std::string dir = corpus_dir();
    for (const std::string &name : list_dir(dir)) {
        std::string body = read_file(dir + "/" + name);

        RawHook raw;
        {
            HookParser p(&raw);
            if (p.feed(body.data(), body.size()) && p.finish()) {
                Hook h;
                FieldError err{};
                ValidateOptions opt{"1"};
                (void) validate(raw, opt, &h, &err);
            }
        }
        /* split in two at the middle too: same outcome either way */
        {
            RawHook raw2;
            HookParser p(&raw2);
            std::size_t mid = body.size() / 2;
            bool ok = p.feed(body.data(), mid)
                      && p.feed(body.data() + mid, body.size() - mid)
                      && p.finish();
            (void) ok;
        }
        {
            namespace jwt = oktatel::jwt;
            jwt::KeySet set;
            jwt::JwksReport rep;
            jwt::Header h;
            jwt::Claims c;
            jwt::Policy pol{};
            std::string_view all(body), rest(all.substr(all.empty() ? 0 : 1));
            (void) jwt::parse_jwks(all, &set, &rep, nullptr);
            (void) jwt::parse_header(rest, &h, nullptr);
            (void) jwt::parse_claims(rest, pol, &c, nullptr);
            ck_assert(set.usable() <= set.size());
        }
        {
            namespace ev = oktatel::events;
            ev::RawEvent re;
            ev::EventParser p(&re);
            if (p.feed(body.data(), body.size()) && p.finish()) {
                ev::Event e;
                const char *why = nullptr;
                (void) ev::read_event(re, &e, &why);
            }
        }
        for (int status : { 200, 400 }) {
            ProviderReply v = parse_voice_reply(status, body.data(),
                                                body.size(), nullptr);
            ProviderReply s = parse_sms_reply(status, body.data(),
                                              body.size(), nullptr);
            char meta[128];
            decide(Channel::voice, status, v, meta, sizeof(meta));
            decide(Channel::sms, status, s, meta, sizeof(meta));
        }
    }
}
END_TEST

Suite *corpus_suite()
{
    Suite *s = suite_create("corpus");
    TCase *tc = tcase_create("replay");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, replay_corpus);
    suite_add_tcase(s, tc);
    return s;
}
