/*
 * libFuzzer target: the input is an 8x8 reply body (voice or SMS).
 *
 * The whole input is the body; its first byte also picks the HTTP status
 * ('{' -> 200, '\n' -> 400, ' ' -> 401, '\t' -> 422, '\r' -> 500: JSON may
 * start with any of them, so corpus files stay plain 8x8 bodies). Both
 * reply parsers run, then decide() with several buffer sizes, then the
 * Okta answer is built and read back. Any broken invariant abort()s.
 */

#include "fuzz_common.hpp"

using namespace oktatel;
using fz::Alloc;

namespace {

int status_from(std::uint8_t b)
{
    static const int other[] = { 200, 201, 202, 204, 299, 300, 400, 401,
                                 403, 404, 422, 429, 500, 502, 503, 0 };
    switch (b) {
    case '{':  return 200;
    case '\n': return 400;
    case ' ':  return 401;
    case '\t': return 422;
    case '\r': return 500;
    default:   return other[b % 16];
    }
}

bool is_2xx(int s) { return s >= 200 && s < 300; }

bool is_token_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == ':'
        || c == '-';
}

template <std::size_t N>
void check_fixed(const FixedStr<N> &s)
{
    FZ_CHECK(s.len <= N);
    FZ_CHECK(s.data[s.len] == '\0');
    FZ_CHECK(std::strlen(s.data) == s.len);   /* no NUL inside */
}

void check_reply(const ProviderReply &r, int status)
{
    check_fixed(r.transaction_id);
    check_fixed(r.code);
    check_fixed(r.message);

    if (!r.json) {
        FZ_CHECK(!r.accepted && r.transaction_id.empty() && r.code.empty()
                 && r.message.empty());
    }
    if (r.accepted) {
        FZ_CHECK(r.json && is_2xx(status) && !r.transaction_id.empty());
    }
    for (char c : r.transaction_id.view()) {
        FZ_CHECK(is_token_char(c));
    }
    for (char c : r.code.view()) {
        FZ_CHECK(is_token_char(c) && c != ':');
    }
    FZ_CHECK(fz::no_ctl(r.message.view()));
    FZ_CHECK(fz::safe_text(r.message.view(), false));
}

void check_action(Status s, std::string_view provider, std::string_view tid,
                  std::string_view meta)
{
    Alloc a;
    std::string out;
    bool ok = build_okta_action(s, provider, tid, meta, a.get(),
                                fz::sink(&out));
    FZ_CHECK(ok);
    FZ_CHECK(a.live == 0);
    yajl_val v = fz::parse_object(out);
    yajl_val cmds = fz::get(v, { "commands" }, yajl_t_array);
    FZ_CHECK(cmds != nullptr && YAJL_GET_ARRAY(cmds)->len == 1);
    yajl_val cmd = YAJL_GET_ARRAY(cmds)->values[0];
    yajl_val val = fz::get(cmd, { "value" }, yajl_t_array);
    FZ_CHECK(val != nullptr && YAJL_GET_ARRAY(val)->len == 1);
    yajl_val x = YAJL_GET_ARRAY(val)->values[0];
    FZ_CHECK(fz::eq(fz::get_str(x, { "status" }), status_name(s)));
    const char *t = fz::get_str(x, { "transactionId" });
    FZ_CHECK(tid.empty() ? t == nullptr : fz::eq(t, tid));
    const char *m = fz::get_str(x, { "transactionMetadata" });
    FZ_CHECK(meta.empty() ? m == nullptr : fz::eq(m, meta));
    yajl_tree_free(v);
}

void run(Channel ch, int status, const ProviderReply &r, std::size_t small)
{
    check_reply(r, status);

    /* the buffers the module uses, a small one, and none */
    char meta[300];
    Status s0 = decide(ch, status, r, nullptr, 0);
    FZ_CHECK(s0 == (r.accepted ? Status::successful : Status::failed));

    for (std::size_t cap : { sizeof(meta), std::size_t(120), small }) {
        std::memset(meta, 'X', sizeof(meta));
        Status s = decide(ch, status, r, meta, cap);
        FZ_CHECK(s == s0);
        std::size_t len = strnlen(meta, cap);
        FZ_CHECK(len < cap);
        for (std::size_t k = cap; k < sizeof(meta); k++) {
            FZ_CHECK(meta[k] == 'X');
        }
        std::string_view m(meta, len);
        FZ_CHECK(fz::no_ctl(m));
        FZ_CHECK(fz::safe_text(m, false));
        if (cap == sizeof(meta) && len > 0) {
            /* names the channel and the status */
            FZ_CHECK(m.substr(0, 4) == "8x8 ");
        }
        /* what the module sends */
        check_action(s, "8x8", r.transaction_id.view(), m);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *d, std::size_t n)
{
    int status = status_from(n ? d[0] : 0);
    std::size_t small = 1 + (n ? d[n - 1] % 64 : 0);
    const char *body = reinterpret_cast<const char *>(d);

    {
        Alloc a;
        ProviderReply v = parse_voice_reply(status, body, n, a.get());
        FZ_CHECK(a.live == 0);
        run(Channel::voice, status, v, small);

        ProviderReply s = parse_sms_reply(status, body, n, a.get());
        FZ_CHECK(a.live == 0);
        run(Channel::sms, status, s, small);

        /* (the same body may be JSON for one channel only: a key that
           channel documents, repeated, makes it not 8x8's JSON) */
        /* a different status never changes what was read */
        ProviderReply v2 = parse_voice_reply(is_2xx(status) ? 502 : 200,
                                             body, n, nullptr);
        FZ_CHECK(v2.json == v.json
                 && v2.transaction_id.view() == v.transaction_id.view()
                 && v2.code.view() == v.code.view()
                 && v2.message.view() == v.message.view());
        if (!is_2xx(status)) {
            FZ_CHECK(!v.accepted && !s.accepted);
        }

    }
    return 0;
}
