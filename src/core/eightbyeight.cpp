/*
 * 8x8 side: message texts, request bodies, reply parsing.
 */

#include <yajl/yajl_parse.h>

#include "core_util.hpp"

namespace oktatel {

using detail::Gen;
using detail::is_digit;

const VoiceLanguage builtin_english = {
    "en", "en-US-Jenny", "Your verification code is {code}."
};

namespace {

const VoiceLanguage *find_tag(std::string_view tag, const VoiceLanguage *langs,
                              std::size_t n)
{
    for (std::size_t i = 0; i < n; i++) {
        if (langs[i].tag == tag) {
            return &langs[i];
        }
    }
    return nullptr;
}

const VoiceLanguage *find_locale(std::string_view locale,
                                 const VoiceLanguage *langs, std::size_t n)
{
    if (locale.empty()) {
        return nullptr;
    }
    const VoiceLanguage *l = find_tag(locale, langs, n);
    std::size_t dash = locale.find('-');
    if (l == nullptr && dash != std::string_view::npos && dash > 0) {
        l = find_tag(locale.substr(0, dash), langs, n);
    }
    return l;
}

constexpr std::string_view placeholder = "{code}";

/* tmpl with every "{code}" replaced by the digits of otp joined by sep */
bool render(std::string_view tmpl, std::string_view otp, std::string_view sep,
            char *out, std::size_t cap, std::size_t *n)
{
    std::size_t o = 0;
    bool found = false;
    auto put = [&](std::string_view s) {
        if (s.size() > cap - o) {
            return false;
        }
        if (s.empty()) {
            return true;   /* s.data() may be null */
        }
        std::memcpy(out + o, s.data(), s.size());
        o += s.size();
        return true;
    };

    std::size_t i = 0;
    for (;;) {
        std::size_t at = tmpl.find(placeholder, i);
        if (!put(tmpl.substr(i, at == std::string_view::npos ? at : at - i))) {
            return false;
        }
        if (at == std::string_view::npos) {
            break;
        }
        found = true;
        for (std::size_t k = 0; k < otp.size(); k++) {
            if ((k > 0 && !put(sep)) || !put(otp.substr(k, 1))) {
                return false;
            }
        }
        i = at + placeholder.size();
    }
    *n = o;
    return found;
}

/* what a JSON number looks like: yajl_gen_number copies it verbatim */
bool json_number(std::string_view s)
{
    std::size_t i = 0, n = s.size();
    if (i < n && s[i] == '-') {
        i++;
    }
    std::size_t d = i;
    while (i < n && is_digit(static_cast<unsigned char>(s[i]))) {
        i++;
    }
    if (i == d) {
        return false;
    }
    if (i < n && s[i] == '.') {
        d = ++i;
        while (i < n && is_digit(static_cast<unsigned char>(s[i]))) {
            i++;
        }
        if (i == d) {
            return false;
        }
    }
    return i == n;
}

}  // namespace

const VoiceLanguage *pick_language(std::string_view locale,
                                   const VoiceLanguage *langs, std::size_t n,
                                   std::string_view default_tag)
{
    const VoiceLanguage *l = find_locale(locale, langs, n);
    if (l == nullptr) {
        l = find_locale(default_tag, langs, n);
    }
    return l != nullptr ? l : &builtin_english;
}

bool render_voice_text(std::string_view tmpl, std::string_view otp,
                       char *out, std::size_t cap, std::size_t *n)
{
    return render(tmpl, otp, ", ", out, cap, n);
}

bool render_sms_text(std::string_view tmpl, std::string_view otp,
                     char *out, std::size_t cap, std::size_t *n)
{
    return render(tmpl, otp, "", out, cap, n);
}

bool build_voice_request(const Hook &h, const VoiceConfig &c,
                         const yajl_alloc_funcs *af, Sink out)
{
    if (!json_number(c.speed)) {
        return false;
    }
    const VoiceLanguage *lang =
        pick_language(h.locale.empty() ? c.default_locale : h.locale.view(),
                      c.languages, c.nlanguages, c.default_locale);

    char text[3000];   /* 8x8's limit for say.text */
    std::size_t tn;
    if (!render_voice_text(lang->text, h.otp.view(), text, sizeof(text), &tn)) {
        return false;
    }

    detail::BatchedGen bg(af, out);
    Gen g{bg.get(), bg.get() != nullptr};
    g.map_open();
    g.kv_opt("validUntil", h.valid_until.view());
    /* echoed in 8x8's session summary (okta_telephony_8x8_events), which
       then names the hook; 8x8 takes up to 50 characters */
    if (h.event_id.len <= voice_client_request_id_max) {
        g.kv_opt("clientRequestId", h.event_id.view());
    }
    g.key("callflow");
    g.array_open();

    g.map_open();
    g.kv("action", "makeCall");
    g.key("params");
    g.map_open();
    g.kv("source", c.caller_id);
    g.kv("destination", h.e164.view());
    g.map_close();
    g.map_close();

    g.map_open();
    g.kv("action", "say");
    g.key("params");
    g.map_open();
    g.kv("text", std::string_view(text, tn));
    g.kv("voiceProfile", lang->profile);
    g.key("repetition");
    g.integer(c.repetition);
    g.key("speed");
    g.number(c.speed);
    g.map_close();
    g.map_close();

    g.map_open();
    g.kv("action", "hangup");
    g.map_close();

    g.array_close();
    g.map_close();
    return bg.finish(g.ok);
}

bool build_sms_request(const Hook &h, const SmsConfig &c,
                       const yajl_alloc_funcs *af, Sink out)
{
    char buf[2048];
    std::string_view text = h.msg_template.view();
    if (text.empty() || text.find(h.otp.view()) == std::string_view::npos) {
        std::size_t tn;
        if (!render_sms_text(c.text_template, h.otp.view(), buf, sizeof(buf),
                             &tn))
        {
            return false;
        }
        text = std::string_view(buf, tn);
    }

    detail::BatchedGen bg(af, out);
    Gen g{bg.get(), bg.get() != nullptr};
    g.map_open();
    g.kv("destination", h.e164.view());
    g.kv("text", text);
    g.kv_opt("source", c.source);
    g.kv("clientMessageId", h.event_id.view());
    g.kv_opt("clientIp", h.client_ip.view());
    g.kv_opt("expiry", h.valid_until.view());
    g.map_close();
    return bg.finish(g.ok);
}


/* ------------------------------------------------------------ replies -- */

namespace {

enum Key : std::uint8_t {
    k_none,
    k_session_id, k_session_status, k_status_code, k_status_message, /* voice */
    k_umid, k_status, k_code, k_message,                             /* sms */
    k_status_code_sms, k_status_description                     /* status.* */
};

struct ReplyKey {
    const char   *name;
    std::uint8_t  len;
    std::uint8_t  key;
};

#define RK(lit, k) { lit, sizeof(lit) - 1, k }
constexpr ReplyKey voice_keys[] = {
    RK("sessionId", k_session_id),
    RK("sessionStatus", k_session_status),
    RK("statusCode", k_status_code),
    RK("statusMessage", k_status_message),
};
constexpr ReplyKey sms_keys[] = {
    RK("umid", k_umid),
    RK("status", k_status),
    RK("code", k_code),
    RK("message", k_message),
};
constexpr ReplyKey sms_status_keys[] = {
    RK("code", k_status_code_sms),
    RK("description", k_status_description),
};
#undef RK
static_assert(detail::key_names_fit(voice_keys)
              && detail::key_names_fit(sms_keys)
              && detail::key_names_fit(sms_status_keys),
              "an 8x8 key longer than key_max");

constexpr unsigned reply_max_depth = 32;

struct ReplyState {
    bool           sms;
    unsigned       depth;
    bool           in_status;   /* inside the top-level "status" object */
    std::uint8_t   pending;
    std::uint32_t  seen;        /* bit (1 << Key): documented keys seen */
    /* raw values as they came, bounded */
    FixedStr<128>  id;
    bool           id_too_long;
    FixedStr<32>   outcome;     /* sessionStatus / status.code */
    FixedStr<200>  message, status_message;
    FixedStr<32>   code, status_code;
    bool           message_long, status_message_long;
    std::size_t    root_end;    /* bytes up to the top-level value's end */
    void          *handle;      /* yajl_handle, for the offset above */

    void clear()
    {
        root_end = 0;
        handle = nullptr;
        depth = 0;
        in_status = false;
        pending = k_none;
        seen = 0;
        id.clear();
        id_too_long = false;
        outcome.clear();
        message.clear();
        status_message.clear();
        code.clear();
        status_code.clear();
        message_long = false;
        status_message_long = false;
    }
};

ReplyState *rs(void *ctx) { return static_cast<ReplyState *>(ctx); }

/* keep [A-Za-z0-9_.-], at most 32 */
void keep_code(FixedStr<32> *out, const unsigned char *s, std::size_t n)
{
    std::size_t o = 0;
    for (std::size_t i = 0; i < n && o < FixedStr<32>::capacity; i++) {
        unsigned char c = s[i];
        if (detail::is_alnum(c) || c == '_' || c == '.' || c == '-') {
            out->data[o++] = static_cast<char>(c);
        }
    }
    out->len = o;
    out->data[o] = '\0';
}

/* at most 200 bytes of strict UTF-8: bad bytes become U+FFFD, control,
   line-separator and bidirectional characters a space */
void keep_message(FixedStr<200> *out, const unsigned char *s, std::size_t n)
{
    out->len = utf8_clean(std::string_view(reinterpret_cast<const char *>(s),
                                           n),
                          out->data, FixedStr<200>::capacity);
    out->data[out->len] = '\0';
}

/* a documented key seen twice: not 8x8's JSON (which value would count?) */
bool first_time(ReplyState *r, std::uint8_t k)
{
    std::uint32_t bit = 1u << k;
    if (r->seen & bit) {
        return false;
    }
    r->seen |= bit;
    return true;
}

int reply_scalar(void *ctx, const unsigned char *s, std::size_t n,
                 bool is_string, bool is_number)
{
    ReplyState *r = rs(ctx);
    if (r->depth == 0) {
        return 0;   /* top level must be an object */
    }
    std::uint8_t k = r->pending;
    r->pending = k_none;
    if (k != k_none && !first_time(r, k)) {
        return 0;
    }
    switch (k) {
    case k_session_id:
    case k_umid:
        if (is_string && !r->id.assign(reinterpret_cast<const char *>(s), n)) {
            r->id_too_long = true;
        }
        break;
    case k_session_status:
    case k_status_code_sms:
        if (is_string) {
            r->outcome.clear();
            r->outcome.assign(reinterpret_cast<const char *>(s), n);
            keep_code(&r->status_code, s, n);
        }
        break;
    case k_status_code:
    case k_code:
        if (is_string || is_number) {
            keep_code(&r->code, s, n);
        }
        break;
    case k_status_message:
    case k_message:
        if (is_string) {
            keep_message(&r->message, s, n);
        }
        break;
    case k_status_description:
        if (is_string) {
            keep_message(&r->status_message, s, n);
        }
        break;
    default:
        break;
    }
    return 1;
}

int rcb_null(void *ctx) { return reply_scalar(ctx, nullptr, 0, false, false); }

int rcb_boolean(void *ctx, int)
{
    return reply_scalar(ctx, nullptr, 0, false, false);
}

int rcb_number(void *ctx, const char *s, std::size_t n)
{
    return reply_scalar(ctx, reinterpret_cast<const unsigned char *>(s), n,
                        false, true);
}

int rcb_string(void *ctx, const unsigned char *s, std::size_t n)
{
    return reply_scalar(ctx, s, n, true, false);
}

int rcb_open(void *ctx, bool is_map)
{
    ReplyState *r = rs(ctx);
    if ((r->depth == 0 && !is_map) || r->depth >= reply_max_depth) {
        return 0;
    }
    if (r->pending != k_none && !first_time(r, r->pending)) {
        return 0;
    }
    if (r->depth == 1 && is_map && r->pending == k_status) {
        r->in_status = true;
    }
    r->pending = k_none;
    r->depth++;
    return 1;
}

int rcb_start_map(void *ctx) { return rcb_open(ctx, true); }
int rcb_start_array(void *ctx) { return rcb_open(ctx, false); }

int rcb_end(void *ctx)
{
    ReplyState *r = rs(ctx);
    if (--r->depth <= 1) {
        r->in_status = false;
    }
    if (r->depth == 0) {
        r->root_end = yajl_get_bytes_consumed(
                          static_cast<yajl_handle>(r->handle));
    }
    r->pending = k_none;
    return 1;
}

int rcb_map_key(void *ctx, const unsigned char *k, std::size_t n)
{
    ReplyState *r = rs(ctx);
    const ReplyKey *keys = nullptr;
    std::size_t nkeys = 0;
    r->pending = k_none;
    if (n > detail::key_max) {
        return 1;
    }
    if (r->depth == 1) {
        keys = r->sms ? sms_keys : voice_keys;
        nkeys = r->sms ? sizeof(sms_keys) / sizeof(sms_keys[0])
                       : sizeof(voice_keys) / sizeof(voice_keys[0]);
    } else if (r->depth == 2 && r->in_status) {
        keys = sms_status_keys;
        nkeys = sizeof(sms_status_keys) / sizeof(sms_status_keys[0]);
    }
    for (std::size_t i = 0; i < nkeys; i++) {
        if (keys[i].len == n && detail::key_equal(keys[i].name, k, n)) {
            r->pending = keys[i].key;
            break;
        }
    }
    return 1;
}

const yajl_callbacks reply_callbacks = {
    rcb_null, rcb_boolean, nullptr, nullptr, rcb_number, rcb_string,
    rcb_start_map, rcb_map_key, rcb_end, rcb_start_array, rcb_end,
};

/* false: not a complete JSON object */
bool parse_reply(ReplyState *r, const char *body, std::size_t n,
                 const yajl_alloc_funcs *af)
{
    r->clear();
    if (n == 0) {
        return false;
    }
    yajl_handle h = yajl_alloc(&reply_callbacks,
                               const_cast<yajl_alloc_funcs *>(af), r);
    if (h == nullptr) {
        return false;
    }
    r->handle = h;
    /* yajl's own UTF-8 check is loose; what is repeated of 8x8's strings
       is cleaned strictly (keep_message), the rest compared or dropped */
    yajl_config(h, yajl_dont_validate_strings, 1);
    /* after the object only white space: yajl 2.1 takes an unterminated
       string there for more input to come, and completes without it */
    bool ok = yajl_parse(h, reinterpret_cast<const unsigned char *>(body), n)
                  == yajl_status_ok
              && yajl_complete_parse(h) == yajl_status_ok
              && r->depth == 0 && r->root_end > 0
              && detail::json_space_only(body + r->root_end, body + n);
    yajl_free(h);
    return ok;
}

ProviderReply empty_reply()
{
    ProviderReply p;
    p.json = false;
    p.accepted = false;
    p.transaction_id.clear();
    p.code.clear();
    p.message.clear();
    return p;
}

bool is_2xx(int status) { return status >= 200 && status < 300; }

}  // namespace

ProviderReply parse_voice_reply(int http_status, const char *body,
                                std::size_t n, const yajl_alloc_funcs *af)
{
    ProviderReply p = empty_reply();
    ReplyState r;
    r.sms = false;
    if (!parse_reply(&r, body, n, af)) {
        return p;
    }
    p.json = true;
    if (!r.id_too_long && detail::is_token(r.id.view())) {
        p.transaction_id = r.id;
    }
    p.code = r.code;
    p.message = r.message;
    p.accepted = is_2xx(http_status) && OKTATEL_EQ(r.outcome.view(), "CREATED")
                 && !p.transaction_id.empty();
    return p;
}

ProviderReply parse_sms_reply(int http_status, const char *body,
                              std::size_t n, const yajl_alloc_funcs *af)
{
    ProviderReply p = empty_reply();
    ReplyState r;
    r.sms = true;
    if (!parse_reply(&r, body, n, af)) {
        return p;
    }
    p.json = true;
    if (!r.id_too_long && detail::is_token(r.id.view())) {
        p.transaction_id = r.id;
    }
    /* 2xx carries status.{code,description}; errors the top-level pair */
    bool ok = is_2xx(http_status);
    const FixedStr<32> &c1 = ok ? r.status_code : r.code;
    const FixedStr<32> &c2 = ok ? r.code : r.status_code;
    const FixedStr<200> &m1 = ok ? r.status_message : r.message;
    const FixedStr<200> &m2 = ok ? r.message : r.status_message;
    p.code = c1.empty() ? c2 : c1;
    p.message = m1.empty() ? m2 : m1;
    p.accepted = ok && OKTATEL_EQ(r.outcome.view(), "QUEUED")
                 && !p.transaction_id.empty();
    return p;
}

}  // namespace oktatel
