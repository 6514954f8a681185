/*
 * The module's core: everything that can be decided without nginx.
 *
 * Pure C++17, no nginx header. Functions take and return small value types;
 * nothing here allocates on the heap except yajl, and yajl takes the
 * caller's allocator (the nginx glue passes the request pool). JSON output
 * is streamed to a Sink so the caller chooses where the bytes go.
 *
 * Data flows one way: raw hook bytes -> HookParser -> RawHook -> validate()
 * -> Hook -> build_*_request() -> (8x8) -> parse_*_reply() -> decide() ->
 * build_okta_*().
 */

#ifndef OKTA_TELEPHONY_CORE_TELEPHONY_HPP
#define OKTA_TELEPHONY_CORE_TELEPHONY_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include <yajl/yajl_common.h>

#include "utf8.hpp"

namespace oktatel {

/* A fixed-capacity string: no heap, trivially destructible. */
template <std::size_t N>
struct FixedStr {
    char        data[N + 1];
    std::size_t len;

    void clear() { len = 0; data[0] = '\0'; }

    /* Returns false (and stores nothing) if n > N. */
    bool assign(const char *p, std::size_t n);

    std::string_view view() const { return std::string_view(data, len); }
    bool empty() const { return len == 0; }
    static constexpr std::size_t capacity = N;
};

template <std::size_t N>
bool FixedStr<N>::assign(const char *p, std::size_t n)
{
    if (n > N) {
        return false;
    }
    if (n > 0) {
        std::memcpy(data, p, n);   /* one call, not a loop of bytes */
    }
    data[n] = '\0';
    len = n;
    return true;
}

/* Where JSON output goes. write() must accept every byte it is given. */
struct Sink {
    void  (*write)(void *ctx, const char *s, std::size_t n);
    void   *ctx;
};


/* ---------------------------------------------------------------- hook -- */

/* The documented hook paths the module reads; everything else is ignored. */
enum class Field : std::uint8_t {
    event_id,           /* eventId */
    request_type,       /* requestType */
    url_value,          /* data.context.request.url.value */
    ip_address,         /* data.context.request.ipAddress */
    otp_code,           /* data.messageProfile.otpCode */
    phone_number,       /* data.messageProfile.phoneNumber */
    delivery_channel,   /* data.messageProfile.deliveryChannel */
    locale,             /* data.messageProfile.locale */
    msg_template,       /* data.messageProfile.msgTemplate */
    otp_expires,        /* data.messageProfile.otpExpires */
    count_
};

/* "data.messageProfile.otpCode" etc.: the location Okta's error object
   names. */
const char *field_path(Field f);

/* The hook's fields as they arrived, each bounded. */
struct RawHook {
    FixedStr<128>  event_id;
    FixedStr<96>   request_type;
    FixedStr<256>  url_value;
    FixedStr<64>   ip_address;
    FixedStr<64>   otp_code;
    FixedStr<64>   phone_number;
    FixedStr<64>   delivery_channel;
    FixedStr<64>   locale;
    FixedStr<1024> msg_template;
    FixedStr<64>   otp_expires;

    std::uint32_t  present;     /* bit (1 << Field): a string value was seen */
    std::uint32_t  wrong_type;  /* bit: the value was not a JSON string */
    std::uint32_t  too_long;    /* bit: longer than its FixedStr capacity */

    void clear();
};

enum class ParseError : std::uint8_t {
    none,
    bad_json,       /* not JSON, truncated, trailing garbage */
    bad_utf8,       /* not strict UTF-8, raw or after unescaping */
    not_object,     /* the top-level value is not an object */
    too_deep,       /* nesting deeper than the parser's cap */
    duplicate_key,  /* a documented field appears twice */
    structure       /* data / messageProfile / ... is not an object */
};

/* Short, fixed, safe to log and to send: "body is not valid JSON". */
const char *parse_error_text(ParseError e);

/*
 * Incremental parser for the hook body. Feed it the body in any number of
 * pieces split anywhere, then call finish(). Keeps no pointer into the
 * input. Lives on the caller's stack: the destructor frees yajl's handle.
 */
class HookParser {
public:
    static constexpr unsigned default_max_depth = 16;

    /* af may be null (malloc). out is cleared. */
    HookParser(RawHook *out, const yajl_alloc_funcs *af = nullptr,
               unsigned max_depth = default_max_depth);
    ~HookParser();

    HookParser(const HookParser &) = delete;
    HookParser &operator=(const HookParser &) = delete;

    bool feed(const char *p, std::size_t n);  /* false: error() says why */
    bool finish();                            /* false: error() says why */
    ParseError error() const { return error_; }

    /* internal state, public for the yajl callbacks */
    struct State;

private:
    bool       text_ok(JsonTextScan::Verdict v);
    bool       feed_json(const char *p, std::size_t n);

    void      *handle_;  /* yajl_handle */
    State     *state_;   /* allocated with af (or malloc when af is null) */
    const yajl_alloc_funcs *af_;
    ParseError error_;
    JsonTextScan text_;
};


/* ---------------------------------------------------------- validation -- */

enum class Channel : std::uint8_t { sms, voice };

enum class RequestType : std::uint8_t {
    pre_enrollment,
    mfa_verification,
    account_unlock,
    password_reset,
    other   /* unknown or absent: treated like mfa-verification */
};

/* "pre-enrollment", ..., "other": fixed strings, safe to log. */
const char *request_type_name(RequestType t);
const char *channel_name(Channel c);

struct ValidateOptions {
    /* digits without '+', e.g. "1" or "44"; empty: numbers without '+'
       are refused */
    std::string_view default_country_code;
};

/* A hook that passed validation: every field is safe to use. */
struct Hook {
    Channel            channel;
    RequestType        type;
    bool               preview;         /* sent from the Admin Console
                                           preview */
    FixedStr<128>      event_id;        /* [A-Za-z0-9._:-]{1,128} */
    FixedStr<15>       otp;             /* digits, 4..10 */
    FixedStr<16>       e164;            /* '+' then 8..15 digits */
    FixedStr<35>       locale;          /* normalised, may be empty */
    FixedStr<1024>     msg_template;    /* may be empty; valid UTF-8 */
    FixedStr<24>       valid_until;     /* YYYY-MM-DDTHH:MM:SS.SSSZ or empty */
    FixedStr<45>       client_ip;       /* a valid IPv4/IPv6 literal or empty */
};

struct FieldError {
    Field       field;
    const char *reason;   /* fixed text, e.g. "must contain digits only" */
};

/*
 * Sent from the Admin Console's Preview tab (url.value ends with
 * "/generatePreview"). Known before validation: a preview carries a
 * placeholder number that would not pass it.
 */
bool is_preview(const RawHook &raw);

/* An eventId validate() would accept: [A-Za-z0-9._:-]{1,128}. For the
   log line of a hook answered before validation (a preview). */
bool event_id_ok(std::string_view v);

/* true: *out filled. false: *err names the first bad field. */
bool validate(const RawHook &raw, const ValidateOptions &opt, Hook *out,
              FieldError *err);


/* ------------------------------------------------------ normalisation -- */

/*
 * Phone number to E.164: removes spaces, '-', '.', '(', ')'; a number
 * without '+' gets default_cc (one national trunk '0' dropped); result is
 * '+' and 8..15 digits, first digit not 0. On failure *reason is set.
 */
bool normalize_phone(std::string_view in, std::string_view default_cc,
                     FixedStr<16> *out, const char **reason);

/* "+6598765432" -> "+65******32" (keeps '+', two leading, two trailing). */
void mask_phone(std::string_view e164, char *out, std::size_t cap);

/* "EN_us" -> "en-us". false if empty after trim, too long or not
   [A-Za-z0-9_-]. */
bool normalize_locale(std::string_view in, FixedStr<35> *out);

/* ISO-8601 UTC "2026-11-28T10:05:00Z" / ".0Z" / ".000Z" / ".123456Z"
   -> "2026-11-28T10:05:00.000Z". false if not a plausible UTC time. */
bool normalize_expiry(std::string_view in, FixedStr<24> *out);

/* A normalised expiry ("2026-11-28T10:05:00.000Z") in ms since the
   epoch; -1 if it is not one. */
std::int64_t expiry_epoch_ms(std::string_view valid_until);

/* Okta's clock and ours may differ by this much. */
constexpr std::int64_t expiry_skew_ms = 30000;

/* The code expired more than skew_ms before now_ms: sending it is
   useless. false for an empty valid_until. */
bool expiry_passed(std::string_view valid_until, std::int64_t now_ms,
                   std::int64_t skew_ms);


/* --------------------------------------------------------------- 8x8 -- */

/* One voice language: a normalised tag ("en", "fr-fr"), an 8x8 voice
   profile, and a text with "{code}" where the spoken code goes. */
struct VoiceLanguage {
    std::string_view tag;
    std::string_view profile;
    std::string_view text;
};

/* The built-in default: "en", "en-US-Jenny", "Your verification code is
   {code}." */
extern const VoiceLanguage builtin_english;

/*
 * Picks the entry for a normalised locale: the full tag, then its primary
 * language, then default_tag (same order), then builtin_english.
 */
const VoiceLanguage *pick_language(std::string_view locale,
                                   const VoiceLanguage *langs, std::size_t n,
                                   std::string_view default_tag);

/* "{code}" -> "4, 8, 2, 9, 1, 3". false if the result exceeds cap or the
   template has no "{code}". */
bool render_voice_text(std::string_view tmpl, std::string_view otp,
                       char *out, std::size_t cap, std::size_t *n);

/* "{code}" -> "482913". false if exceeding cap or no "{code}". */
bool render_sms_text(std::string_view tmpl, std::string_view otp,
                     char *out, std::size_t cap, std::size_t *n);

struct VoiceConfig {
    std::string_view      caller_id;    /* E.164, validated at config time */
    std::string_view      speed;        /* "0.8": a JSON number, 0.5..2 */
    int                   repetition;   /* 1..3 */
    const VoiceLanguage  *languages;
    std::size_t           nlanguages;
    std::string_view      default_locale;
};

struct SmsConfig {
    std::string_view  source;        /* may be empty */
    std::string_view  text_template; /* fallback text with "{code}" */
};

/*
 * The JSON bodies sent to 8x8, built field by field with yajl_gen. Only
 * validated Hook fields and configuration reach them. false: yajl failed
 * or a template could not be rendered. Okta's eventId goes with both: as
 * the SMS's clientMessageId, and as the call's clientRequestId when it
 * fits 8x8's 50 characters (8x8 echoes both in its delivery webhooks).
 */
constexpr std::size_t voice_client_request_id_max = 50;

bool build_voice_request(const Hook &h, const VoiceConfig &c,
                         const yajl_alloc_funcs *af, Sink out);
bool build_sms_request(const Hook &h, const SmsConfig &c,
                       const yajl_alloc_funcs *af, Sink out);

/* What 8x8 said, reduced to what the module needs. */
struct ProviderReply {
    bool           json;        /* body was 8x8's JSON object */
    bool           accepted;    /* voice CREATED / sms QUEUED (and 2xx) */
    FixedStr<128>  transaction_id;  /* sessionId / umid, [A-Za-z0-9._:-] */
    FixedStr<32>   code;        /* statusCode / code / status.code */
    FixedStr<200>  message;     /* statusMessage / message / description,
                                   through utf8_clean() */
};

/* http_status: 8x8's HTTP status. The body may be empty or anything. */
ProviderReply parse_voice_reply(int http_status, const char *body,
                                std::size_t n, const yajl_alloc_funcs *af);
ProviderReply parse_sms_reply(int http_status, const char *body,
                              std::size_t n, const yajl_alloc_funcs *af);


/* -------------------------------------------------------------- Okta -- */

enum class Status : std::uint8_t { successful, pending, failed };

const char *status_name(Status s);   /* "SUCCESSFUL", "PENDING", "FAILED" */

/* {"commands":[{"type":"com.okta.telephony.action","value":[{"status":..,
   "provider":..,"transactionId":..,"transactionMetadata":..}]}]};
   empty strings are omitted. */
bool build_okta_action(Status s, std::string_view provider,
                       std::string_view transaction_id,
                       std::string_view metadata,
                       const yajl_alloc_funcs *af, Sink out);

/* {"error":{"errorSummary":summary,"errorCauses":[{"errorSummary":..,
   "reason":..,"locationType":"body","location":..,"domain":..}]}};
   without cause: no errorCauses. */
bool build_okta_error(std::string_view summary, const FieldError *cause,
                      const yajl_alloc_funcs *af, Sink out);

/*
 * The answer for 8x8's reply: SUCCESSFUL only when 8x8 accepted; else
 * FAILED, with metadata "8x8 voice 422 -1017: Invalid MSISDN..." written
 * to meta (bounded by cap, NUL-terminated).
 */
Status decide(Channel ch, int http_status, const ProviderReply &r,
              char *meta, std::size_t cap);


/* ------------------------------------------------------------ secret -- */

/* Constant time in the contents of both; time depends only on
   secret.size(). */
bool secret_equal(std::string_view given, std::string_view secret);

/* Compares with every secret (no early exit); true if any matches. */
bool secret_matches_any(std::string_view given,
                        const std::string_view *secrets, std::size_t n);

}  // namespace oktatel

#endif
