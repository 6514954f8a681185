/*
 * RawHook -> Hook: every field checked before anything else uses it.
 */

#include <arpa/inet.h>
#include <netinet/in.h>

#include "core_util.hpp"

namespace oktatel {

using detail::is_digit;
using detail::lower;

const char *field_path(Field f)
{
    switch (f) {
    case Field::event_id:         return "eventId";
    case Field::request_type:     return "requestType";
    case Field::url_value:        return "data.context.request.url.value";
    case Field::ip_address:       return "data.context.request.ipAddress";
    case Field::otp_code:         return "data.messageProfile.otpCode";
    case Field::phone_number:     return "data.messageProfile.phoneNumber";
    case Field::delivery_channel: return "data.messageProfile.deliveryChannel";
    case Field::locale:           return "data.messageProfile.locale";
    case Field::msg_template:     return "data.messageProfile.msgTemplate";
    case Field::otp_expires:      return "data.messageProfile.otpExpires";
    case Field::count_:           break;
    }
    return "body";
}

const char *request_type_name(RequestType t)
{
    switch (t) {
    case RequestType::pre_enrollment:   return "pre-enrollment";
    case RequestType::mfa_verification: return "mfa-verification";
    case RequestType::account_unlock:   return "account-unlock";
    case RequestType::password_reset:   return "password-reset";
    case RequestType::other:            break;
    }
    return "other";
}

const char *channel_name(Channel c)
{
    return c == Channel::sms ? "sms" : "voice";
}

namespace {

/* case-insensitive ASCII search of a lower-case literal */
bool contains_ci(std::string_view s, const char *lit, std::size_t n)
{
    if (s.size() < n) {
        return false;
    }
    for (std::size_t i = 0; i + n <= s.size(); i++) {
        std::size_t j = 0;
        while (j < n && lower(s[i + j]) == lit[j]) {
            j++;
        }
        if (j == n) {
            return true;
        }
    }
    return false;
}

bool parse_channel(std::string_view s, Channel *ch)
{
    if (s.size() == 3 && lower(s[0]) == 's' && lower(s[1]) == 'm'
        && lower(s[2]) == 's')
    {
        *ch = Channel::sms;
        return true;
    }
    if (contains_ci(s, "voice", 5) || contains_ci(s, "call", 4)) {
        *ch = Channel::voice;
        return true;
    }
    return false;
}

RequestType parse_request_type(std::string_view s)
{
    constexpr std::string_view prefix = "com.okta.user.telephony.";
    if (s.size() <= prefix.size() || s.substr(0, prefix.size()) != prefix) {
        return RequestType::other;
    }
    std::string_view t = s.substr(prefix.size());
    if (OKTATEL_EQ(t, "mfa-verification")) {
        return RequestType::mfa_verification;
    }
    if (OKTATEL_EQ(t, "pre-enrollment")) {
        return RequestType::pre_enrollment;
    }
    if (OKTATEL_EQ(t, "account-unlock")) {
        return RequestType::account_unlock;
    }
    if (OKTATEL_EQ(t, "password-reset")) {
        return RequestType::password_reset;
    }
    return RequestType::other;
}

bool valid_ip(std::string_view s)
{
    /* inet_pton reads up to the NUL: a "\u0000" inside must not hide junk */
    if (s.empty() || s.size() >= INET6_ADDRSTRLEN
        || std::memchr(s.data(), '\0', s.size()) != nullptr)
    {
        return false;
    }
    char buf[INET6_ADDRSTRLEN];
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = '\0';
    unsigned char addr[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, buf, addr) == 1
        || inet_pton(AF_INET6, buf, addr) == 1;
}

struct Check {
    const RawHook &raw;
    FieldError    *err;

    bool fail(Field f, const char *reason)
    {
        err->field = f;
        err->reason = reason;
        return false;
    }

    /* false: *err set (bad type or size). */
    bool shape(Field f)
    {
        std::uint32_t bit = 1u << static_cast<unsigned>(f);
        if (raw.wrong_type & bit) {
            return fail(f, "must be a string");
        }
        if (raw.too_long & bit) {
            return fail(f, "is too long");
        }
        return true;
    }

    bool present(Field f, std::string_view v) const
    {
        return (raw.present & (1u << static_cast<unsigned>(f))) && !v.empty();
    }

    bool required(Field f, std::string_view v)
    {
        return shape(f) && (present(f, v) || fail(f, "is required"));
    }
};

}  // namespace

bool event_id_ok(std::string_view v)
{
    return !v.empty() && v.size() <= 128 && detail::is_token(v);
}

namespace {

/* The fields every hook must carry: channel, number, code, eventId. */
bool validate_required(Check &c, const RawHook &raw,
                       const ValidateOptions &opt, Hook *out)
{
    std::string_view v;

    v = raw.delivery_channel.view();
    if (!c.required(Field::delivery_channel, v)) {
        return false;
    }
    if (!parse_channel(v, &out->channel)) {
        return c.fail(Field::delivery_channel, "must be SMS or voice call");
    }

    v = raw.phone_number.view();
    if (!c.required(Field::phone_number, v)) {
        return false;
    }
    const char *reason = nullptr;
    if (!normalize_phone(v, opt.default_country_code, &out->e164, &reason)) {
        return c.fail(Field::phone_number, reason);
    }

    v = raw.otp_code.view();
    if (!c.required(Field::otp_code, v)) {
        return false;
    }
    for (unsigned char ch : v) {
        if (!is_digit(ch)) {
            return c.fail(Field::otp_code, "must contain digits only");
        }
    }
    if (v.size() < 4 || v.size() > 10) {
        return c.fail(Field::otp_code, "must be 4 to 10 digits");
    }
    out->otp.assign(v.data(), v.size());

    v = raw.event_id.view();
    if (!c.required(Field::event_id, v)) {
        return false;
    }
    if (!detail::is_token(v)) {
        return c.fail(Field::event_id,
                      "must contain only letters, digits and . _ : -");
    }
    out->event_id.assign(v.data(), v.size());
    return true;
}

/* The optional fields: each absent, or well-formed and kept. */
bool validate_optional(Check &c, const RawHook &raw, Hook *out)
{
    std::string_view v;

    out->locale.clear();
    if (!c.shape(Field::locale)) {
        return false;
    }
    v = raw.locale.view();
    if (c.present(Field::locale, v) && !normalize_locale(v, &out->locale)) {
        return c.fail(Field::locale, "must be a language tag");
    }

    out->msg_template.clear();
    if (!c.shape(Field::msg_template)) {
        return false;
    }
    v = raw.msg_template.view();
    if (const char *why = phone_text_problem(v, true)) {
        return c.fail(Field::msg_template, why);
    }
    out->msg_template.assign(v.data(), v.size());

    out->valid_until.clear();
    if (!c.shape(Field::otp_expires)) {
        return false;
    }
    v = raw.otp_expires.view();
    if (c.present(Field::otp_expires, v)
        && !normalize_expiry(v, &out->valid_until))
    {
        return c.fail(Field::otp_expires, "must be an ISO-8601 UTC time");
    }

    out->client_ip.clear();
    if (!c.shape(Field::ip_address)) {
        return false;
    }
    v = raw.ip_address.view();
    if (c.present(Field::ip_address, v)) {
        if (!valid_ip(v) || !out->client_ip.assign(v.data(), v.size())) {
            return c.fail(Field::ip_address, "must be an IP address");
        }
    }
    return true;
}

}  // namespace

bool validate(const RawHook &raw, const ValidateOptions &opt, Hook *out,
              FieldError *err)
{
    Check c{raw, err};

    if (!validate_required(c, raw, opt, out)) {
        return false;
    }

    /* an odd requestType (too long, not a string) is one Okta does not
       document: treated as unknown, like an absent one */
    out->type = c.present(Field::request_type, raw.request_type.view())
                ? parse_request_type(raw.request_type.view())
                : RequestType::other;

    if (!validate_optional(c, raw, out) || !c.shape(Field::url_value)) {
        return false;
    }
    out->preview = is_preview(raw);
    return true;
}

bool is_preview(const RawHook &raw)
{
    constexpr std::string_view preview = "/generatePreview";
    std::string_view v = raw.url_value.view();

    return v.size() >= preview.size()
           && v.substr(v.size() - preview.size()) == preview;
}

}  // namespace oktatel
