/*
 * libFuzzer target: the input is an Okta telephony hook body.
 *
 * It is parsed in one piece, in pieces whose lengths come from a stream
 * seeded by the first input bytes, one byte at a time, and with a small
 * nesting cap; then validated with and without a default country code;
 * a valid hook is turned into both 8x8 requests and the Okta answers.
 * Any broken invariant abort()s.
 */

#include <arpa/inet.h>
#include <netinet/in.h>

#include "fuzz_common.hpp"

using namespace oktatel;
using fz::Alloc;

namespace {

#define LANGUAGES { \
    { "en", "en-US-Jenny", "Your verification code is {code}." }, \
    { "fr", "fr-FR-Denise", \
      "Votre code de v\xc3\xa9rification est {code}. Je r\xc3\xa9p\xc3\xa8te" \
      " : {code}." }, \
    { "pt-br", "pt-BR-Francisca", "Seu c\xc3\xb3" "digo \xc3\xa9 {code}." }, \
}
#define VOICE_CFG { "+14155550100", "0.8", 2, languages, 3, "fr" }
/* no languages configured: the built-in English */
#define VOICE_CFG_BUILTIN { "+14155550100", "1", 1, nullptr, 0, "" }
#define SMS_CFG { "Example", "Your code is {code}. Do not share." }
#define SMS_CFG_NOSRC { "", "{code}" }
/* longer than the generators' 1 kB batch buffer: its flush paths */
#define LONG_TEXT \
    "{code}. \xe2\x82\xac \"quoted\" \\ back\tslash / " LONG_64 LONG_64 \
    LONG_64 LONG_64 LONG_64 LONG_64 LONG_64 LONG_64 LONG_64 LONG_64 \
    LONG_64 LONG_64 LONG_64 LONG_64 LONG_64 LONG_64 "{code}"
#define LONG_64 \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n"
#define LONG_LANGUAGES { { "xx", "xx-XX-Long", LONG_TEXT } }
#define VOICE_CFG_LONG { "+14155550100", "0.75", 3, long_languages, 1, "xx" }
#define SMS_CFG_LONG { "LongSender", LONG_TEXT }

const VoiceLanguage languages[] = LANGUAGES;
const VoiceConfig voice_cfg = VOICE_CFG;
const VoiceConfig voice_cfg_builtin = VOICE_CFG_BUILTIN;
const SmsConfig sms_cfg = SMS_CFG;
const SmsConfig sms_cfg_nosrc = SMS_CFG_NOSRC;
const VoiceLanguage long_languages[] = LONG_LANGUAGES;
const VoiceConfig voice_cfg_long = VOICE_CFG_LONG;
const SmsConfig sms_cfg_long = SMS_CFG_LONG;


bool same_str(std::string_view a, std::string_view b) { return a == b; }

bool same_raw(const RawHook &a, const RawHook &b)
{
    return same_str(a.event_id.view(), b.event_id.view())
        && same_str(a.request_type.view(), b.request_type.view())
        && same_str(a.url_value.view(), b.url_value.view())
        && same_str(a.ip_address.view(), b.ip_address.view())
        && same_str(a.otp_code.view(), b.otp_code.view())
        && same_str(a.phone_number.view(), b.phone_number.view())
        && same_str(a.delivery_channel.view(), b.delivery_channel.view())
        && same_str(a.locale.view(), b.locale.view())
        && same_str(a.msg_template.view(), b.msg_template.view())
        && same_str(a.otp_expires.view(), b.otp_expires.view())
        && a.present == b.present && a.wrong_type == b.wrong_type
        && a.too_long == b.too_long;
}

bool same_hook(const Hook &a, const Hook &b)
{
    return a.channel == b.channel && a.type == b.type
        && a.preview == b.preview
        && same_str(a.event_id.view(), b.event_id.view())
        && same_str(a.otp.view(), b.otp.view())
        && same_str(a.e164.view(), b.e164.view())
        && same_str(a.locale.view(), b.locale.view())
        && same_str(a.msg_template.view(), b.msg_template.view())
        && same_str(a.valid_until.view(), b.valid_until.view())
        && same_str(a.client_ip.view(), b.client_ip.view());
}

template <std::size_t N>
void check_fixed(const FixedStr<N> &s)
{
    FZ_CHECK(s.len <= N);
    FZ_CHECK(s.data[s.len] == '\0');
}

void check_raw(const RawHook &r)
{
    check_fixed(r.event_id);
    check_fixed(r.request_type);
    check_fixed(r.url_value);
    check_fixed(r.ip_address);
    check_fixed(r.otp_code);
    check_fixed(r.phone_number);
    check_fixed(r.delivery_channel);
    check_fixed(r.locale);
    check_fixed(r.msg_template);
    check_fixed(r.otp_expires);
    constexpr std::uint32_t all = (1u << unsigned(Field::count_)) - 1;
    FZ_CHECK((r.present & ~all) == 0);
    FZ_CHECK((r.wrong_type & ~all) == 0);
    FZ_CHECK((r.too_long & ~all) == 0);
    /* one value per field (duplicates are refused) */
    FZ_CHECK((r.present & r.wrong_type) == 0);
    FZ_CHECK((r.present & r.too_long) == 0);
    FZ_CHECK((r.wrong_type & r.too_long) == 0);
}

struct Parsed {
    RawHook    raw;
    bool       ok;
    ParseError err;
};

/* split: piece lengths drawn from it; bytewise: one byte a piece;
   neither: one piece */
void parse(const std::uint8_t *d, std::size_t n, fz::Rng *split,
           bool bytewise, const yajl_alloc_funcs *af, unsigned depth,
           Parsed *out)
{
    HookParser p(&out->raw, af, depth);
    bool ok = true;
    std::size_t i = 0;
    while (ok && i < n) {
        std::size_t len = n - i;
        if (bytewise) {
            len = 1;
        } else if (split != nullptr) {
            std::uint64_t r = split->next();
            /* mostly short pieces, sometimes empty, sometimes long */
            std::size_t want = (r & 3) == 0 ? (r >> 8) % 256
                             : (r & 3) == 1 ? 0 : 1 + (r >> 8) % 8;
            len = want < len ? want : len;
        }
        ok = p.feed(reinterpret_cast<const char *>(d) + i, len);
        i += len;
    }
    ok = ok && p.finish();
    out->ok = ok;
    out->err = p.error();
    FZ_CHECK(ok == (out->err == ParseError::none));
    FZ_CHECK(std::strlen(parse_error_text(out->err)) > 0);
    if (ok) {
        /* an accepted body is strict UTF-8 after unescaping: every field
           kept holds nothing else */
        const RawHook &r = out->raw;
        for (std::string_view v : { r.event_id.view(), r.request_type.view(),
                                    r.url_value.view(), r.ip_address.view(),
                                    r.otp_code.view(), r.phone_number.view(),
                                    r.delivery_channel.view(),
                                    r.locale.view(), r.msg_template.view(),
                                    r.otp_expires.view() })
        {
            FZ_CHECK(fz::utf8_ok(v));
        }
        /* and so was its raw text */
        FZ_CHECK(fz::utf8_ok(std::string_view(
                     reinterpret_cast<const char *>(d), n)));
    }
}

bool is_e164(std::string_view s)
{
    if (s.size() < 9 || s.size() > 16 || s[0] != '+' || s[1] == '0') {
        return false;
    }
    for (std::size_t i = 1; i < s.size(); i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    return true;
}

/* What normalize_phone should give, computed the slow way. */
std::string expected_e164(std::string_view in, std::string_view cc)
{
    std::string s;
    for (char c : in) {
        if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
            s += c;
        }
    }
    if (!s.empty() && s[0] == '+') {
        return s;
    }
    if (!s.empty() && s[0] == '0') {
        s.erase(0, 1);
    }
    return "+" + std::string(cc) + s;
}

void check_mask(std::string_view e164)
{
    char out[24];
    for (std::size_t cap : { std::size_t(0), std::size_t(1), std::size_t(2),
                             std::size_t(5), std::size_t(8),
                             std::size_t(20), sizeof(out) })
    {
        std::memset(out, 'X', sizeof(out));
        mask_phone(e164, out, cap);
        if (cap == 0) {
            FZ_CHECK(out[0] == 'X');
            continue;
        }
        std::size_t len = strnlen(out, cap);
        FZ_CHECK(len < cap);
        for (std::size_t k = cap; k < sizeof(out); k++) {
            FZ_CHECK(out[k] == 'X');   /* nothing written past cap */
        }
        std::size_t shown = 0;
        for (std::size_t k = 0; k < len; k++) {
            FZ_CHECK(out[k] == '+' ? k == 0
                     : out[k] == '*' || (out[k] >= '0' && out[k] <= '9'));
            shown += out[k] >= '0' && out[k] <= '9';
        }
        FZ_CHECK(shown <= 4);
        if (cap > e164.size()) {
            FZ_CHECK(len == e164.size());
            /* at least half the digits hidden */
            FZ_CHECK(shown * 2 <= e164.size());
        }
    }
}

void check_hook(const Hook &h, const RawHook &raw, std::string_view cc)
{
    FZ_CHECK(is_e164(h.e164.view()));
    FZ_CHECK(h.e164.view() == expected_e164(raw.phone_number.view(), cc));

    std::string_view otp = h.otp.view();
    FZ_CHECK(otp.size() >= 4 && otp.size() <= 10);
    for (char c : otp) {
        FZ_CHECK(c >= '0' && c <= '9');
    }
    FZ_CHECK(otp == raw.otp_code.view());

    std::string_view id = h.event_id.view();
    FZ_CHECK(!id.empty() && id.size() <= 128 && id == raw.event_id.view());
    for (char c : id) {
        FZ_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
                 || (c >= 'A' && c <= 'Z') || c == '.' || c == '_'
                 || c == ':' || c == '-');
    }

    FZ_CHECK(h.locale.view().size() == raw.locale.view().size());
    for (char c : h.locale.view()) {
        FZ_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
                 || c == '-');
    }

    FZ_CHECK(h.msg_template.view() == raw.msg_template.view());
    for (unsigned char c : h.msg_template.view()) {
        FZ_CHECK(c >= 0x20 || c == '\n');
    }
    FZ_CHECK(fz::safe_text(h.msg_template.view(), true));

    std::string_view vu = h.valid_until.view();
    if (!vu.empty()) {
        FZ_CHECK(vu.size() == 24 && vu[4] == '-' && vu[7] == '-'
                 && vu[10] == 'T' && vu[13] == ':' && vu[16] == ':'
                 && vu[19] == '.' && vu[23] == 'Z');
        FZ_CHECK(vu.substr(0, 19) == raw.otp_expires.view().substr(0, 19));
    } else {
        FZ_CHECK(raw.otp_expires.empty());
    }

    std::string_view ip = h.client_ip.view();
    if (!ip.empty()) {
        unsigned char a[sizeof(struct in6_addr)];
        FZ_CHECK(ip == raw.ip_address.view());
        FZ_CHECK(inet_pton(AF_INET, h.client_ip.data, a) == 1
                 || inet_pton(AF_INET6, h.client_ip.data, a) == 1);
    } else {
        FZ_CHECK(raw.ip_address.empty());
    }

    std::string_view ch = raw.delivery_channel.view();
    if (h.channel == Channel::sms) {
        FZ_CHECK(ch.size() == 3);
    }
    FZ_CHECK(h.preview == is_preview(raw));
    FZ_CHECK(std::strlen(request_type_name(h.type)) > 0);
}

void check_voice(const Hook &h, const VoiceConfig &c)
{
    Alloc a;
    std::string out;
    bool ok = build_voice_request(h, c, a.get(), fz::sink(&out));
    FZ_CHECK(ok);
    FZ_CHECK(a.live == 0);

    yajl_val v = fz::parse_object(out);
    yajl_val flow = fz::get(v, { "callflow" }, yajl_t_array);
    FZ_CHECK(flow != nullptr && YAJL_GET_ARRAY(flow)->len == 3);
    yajl_val *st = YAJL_GET_ARRAY(flow)->values;
    FZ_CHECK(fz::eq(fz::get_str(st[0], { "action" }), "makeCall"));
    FZ_CHECK(fz::eq(fz::get_str(st[0], { "params", "destination" }),
                    h.e164.view()));
    FZ_CHECK(fz::eq(fz::get_str(st[0], { "params", "source" }),
                    c.caller_id));
    FZ_CHECK(fz::eq(fz::get_str(st[1], { "action" }), "say"));
    const char *text = fz::get_str(st[1], { "params", "text" });
    FZ_CHECK(text != nullptr && std::strstr(text, "{code}") == nullptr);
    /* the code is spoken digit by digit */
    std::string spoken;
    for (char d : h.otp.view()) {
        spoken += spoken.empty() ? "" : ", ";
        spoken += d;
    }
    FZ_CHECK(std::strstr(text, spoken.c_str()) != nullptr);
    FZ_CHECK(fz::get(st[1], { "params", "speed" }, yajl_t_number) != nullptr);
    FZ_CHECK(fz::eq(fz::get_str(st[2], { "action" }), "hangup"));
    const char *vu = fz::get_str(v, { "validUntil" });
    FZ_CHECK(h.valid_until.empty() ? vu == nullptr
                                   : fz::eq(vu, h.valid_until.view()));
    yajl_tree_free(v);
}

void check_sms(const Hook &h, const SmsConfig &c)
{
    Alloc a;
    std::string out;
    bool ok = build_sms_request(h, c, a.get(), fz::sink(&out));
    FZ_CHECK(ok);
    FZ_CHECK(a.live == 0);

    yajl_val v = fz::parse_object(out);
    FZ_CHECK(fz::eq(fz::get_str(v, { "destination" }), h.e164.view()));
    FZ_CHECK(fz::eq(fz::get_str(v, { "clientMessageId" }),
                    h.event_id.view()));
    const char *text = fz::get_str(v, { "text" });
    FZ_CHECK(text != nullptr
             && std::strstr(text, std::string(h.otp.view()).c_str())
                != nullptr);
    const char *src = fz::get_str(v, { "source" });
    FZ_CHECK(c.source.empty() ? src == nullptr : fz::eq(src, c.source));
    const char *ip = fz::get_str(v, { "clientIp" });
    FZ_CHECK(h.client_ip.empty() ? ip == nullptr
                                 : fz::eq(ip, h.client_ip.view()));
    const char *exp = fz::get_str(v, { "expiry" });
    FZ_CHECK(h.valid_until.empty() ? exp == nullptr
                                   : fz::eq(exp, h.valid_until.view()));
    yajl_tree_free(v);
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
    FZ_CHECK(fz::eq(fz::get_str(cmd, { "type" }),
                    "com.okta.telephony.action"));
    yajl_val val = fz::get(cmd, { "value" }, yajl_t_array);
    FZ_CHECK(val != nullptr && YAJL_GET_ARRAY(val)->len == 1);
    yajl_val x = YAJL_GET_ARRAY(val)->values[0];
    FZ_CHECK(fz::eq(fz::get_str(x, { "status" }), status_name(s)));
    const char *t = fz::get_str(x, { "transactionId" });
    FZ_CHECK(tid.empty() ? t == nullptr : fz::eq(t, tid));
    yajl_tree_free(v);
}

void check_error(std::string_view summary, const FieldError *cause)
{
    Alloc a;
    std::string out;
    bool ok = build_okta_error(summary, cause, a.get(), fz::sink(&out));
    FZ_CHECK(ok);
    FZ_CHECK(a.live == 0);
    yajl_val v = fz::parse_object(out);
    FZ_CHECK(fz::eq(fz::get_str(v, { "error", "errorSummary" }), summary));
    yajl_val causes = fz::get(v, { "error", "errorCauses" }, yajl_t_array);
    if (cause == nullptr) {
        FZ_CHECK(causes == nullptr);
    } else {
        FZ_CHECK(causes != nullptr && YAJL_GET_ARRAY(causes)->len == 1);
        yajl_val c = YAJL_GET_ARRAY(causes)->values[0];
        FZ_CHECK(fz::eq(fz::get_str(c, { "location" }),
                        field_path(cause->field)));
        FZ_CHECK(fz::eq(fz::get_str(c, { "reason" }), cause->reason));
    }
    yajl_tree_free(v);
}

void check_secret(const std::uint8_t *d, std::size_t n)
{
    std::string_view all(reinterpret_cast<const char *>(d), n);
    std::size_t cut = n ? d[n - 1] % (n + 1) : 0;
    std::string_view a = all.substr(0, cut), b = all.substr(cut);
    FZ_CHECK(secret_equal(a, b) == (a == b && !b.empty()));
    FZ_CHECK(secret_equal(b, b) == !b.empty());
    FZ_CHECK(secret_equal(a, a) == !a.empty());
    std::string_view both[] = { a, b };
    FZ_CHECK(secret_matches_any(a, both, 2) == !a.empty());
    FZ_CHECK(secret_matches_any(b, both, 1) == (a == b && !a.empty()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *d, std::size_t n)
{
    /* one piece, default allocator */
    static Parsed one, split, bytes, shallow, deep;
    parse(d, n, nullptr, false, nullptr, HookParser::default_max_depth, &one);
    check_raw(one.raw);

    /* pieces from a stream seeded by the first bytes, counting allocator */
    std::uint64_t seed = n;
    for (std::size_t i = 0; i < n && i < 8; i++) {
        seed = seed * 131 + d[i];
    }
    fz::Rng rng{ seed };
    {
        Alloc a;
        parse(d, n, &rng, false, a.get(), HookParser::default_max_depth,
              &split);
        FZ_CHECK(a.live == 0);
    }
    FZ_CHECK(split.ok == one.ok && split.err == one.err);
    FZ_CHECK(!one.ok || same_raw(split.raw, one.raw));

    /* every byte a piece: each token split at each of its positions */
    if (n <= 1024 || (seed & 7) == 0) {
        parse(d, n, nullptr, true, nullptr, HookParser::default_max_depth,
              &bytes);
        FZ_CHECK(bytes.ok == one.ok && bytes.err == one.err);
        FZ_CHECK(!one.ok || same_raw(bytes.raw, one.raw));
    }

    /* a smaller nesting cap can only refuse more, never read differently */
    unsigned depth = 1 + static_cast<unsigned>(seed % 8);
    parse(d, n, nullptr, false, nullptr, depth, &shallow);
    if (shallow.ok) {
        FZ_CHECK(one.ok && same_raw(shallow.raw, one.raw));
    } else if (one.ok) {
        FZ_CHECK(shallow.err == ParseError::too_deep);
    }

    /* a larger one (the container stack grows past its first 32) reads
       the same unless the default cap was what stopped it */
    unsigned deep_cap = 17 + static_cast<unsigned>((seed >> 8) % 300);
    parse(d, n, &rng, false, nullptr, deep_cap, &deep);
    if (one.err != ParseError::too_deep) {
        FZ_CHECK(deep.ok == one.ok && deep.err == one.err);
        FZ_CHECK(!one.ok || same_raw(deep.raw, one.raw));
    }

    check_secret(d, n);

    if (!one.ok) {
        check_error(parse_error_text(one.err), nullptr);
        return 0;
    }

    const RawHook &raw = one.raw;
    bool preview = is_preview(raw);
    if (preview) {
        check_action(Status::successful, "8x8", "preview",
                     "Preview request: not sent to 8x8");
    }

    static Hook h_plain, h_cc;
    FieldError e_plain{}, e_cc{};
    std::string_view cc = (seed & 0x100) ? "44" : "1";
    bool ok_plain = validate(raw, ValidateOptions{ "" }, &h_plain, &e_plain);
    bool ok_cc = validate(raw, ValidateOptions{ cc }, &h_cc, &e_cc);

    if (ok_plain) {
        /* a number with '+' never uses the default country code */
        FZ_CHECK(ok_cc && same_hook(h_plain, h_cc));
        check_hook(h_plain, raw, "");
    }
    if (ok_cc) {
        check_hook(h_cc, raw, cc);
        if (!ok_plain) {
            FZ_CHECK(e_plain.field == Field::phone_number);
        }
    } else {
        /* the default cc only makes a number acceptable */
        FZ_CHECK(e_cc.field == e_plain.field || e_plain.field ==
                 Field::phone_number);
    }

    for (int k = 0; k < 2; k++) {
        bool ok = k ? ok_cc : ok_plain;
        const Hook &h = k ? h_cc : h_plain;
        const FieldError &e = k ? e_cc : e_plain;
        if (!ok) {
            FZ_CHECK(e.reason != nullptr && std::strlen(e.reason) > 0);
            FZ_CHECK(e.field < Field::count_);
            check_error("The hook request is invalid", &e);
            continue;
        }
        check_mask(h.e164.view());
        check_voice(h, voice_cfg);
        check_voice(h, voice_cfg_builtin);
        check_voice(h, voice_cfg_long);
        check_sms(h, sms_cfg);
        check_sms(h, sms_cfg_nosrc);
        check_sms(h, sms_cfg_long);
        check_action(Status::successful, "8x8", h.event_id.view(),
                     h.msg_template.view());
    }
    return 0;
}
