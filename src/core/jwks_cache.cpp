/*
 * Fetched keys: how long a JWKS is kept (Cache-Control max-age, clamped),
 * when a request may fetch it (one at a time, an unknown kid at most once
 * per 30 s for the whole instance, a failure keeping the old keys), and
 * the check of the configured issuer.
 */

#include "core_util.hpp"
#include "jwt.hpp"

namespace oktatel {
namespace jwt {

namespace {

bool ieq(std::string_view a, const char *lit)
{
    std::size_t n = std::strlen(lit);
    if (a.size() != n) {
        return false;
    }
    for (std::size_t i = 0; i < n; i++) {
        if (detail::lower(a[i]) != lit[i]) {
            return false;
        }
    }
    return true;
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

/* digits only, saturating at jwks_max_age + 1 */
bool seconds(std::string_view s, std::int64_t *out)
{
    std::int64_t v = 0;
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
        s = s.substr(1, s.size() - 2);
    }
    if (s.empty()) {
        return false;
    }
    for (char c : s) {
        if (!detail::is_digit(static_cast<unsigned char>(c))) {
            return false;
        }
        v = v * 10 + (c - '0');
        if (v > jwks_max_age) {
            v = jwks_max_age + 1;
        }
    }
    *out = v;
    return true;
}

const char *const fetch_names[] = { "none", "cold", "expired",
                                    "unknown kid" };

}  // namespace


std::int64_t jwks_cache_age(std::string_view cc)
{
    std::int64_t age = -1;
    bool no_cache = false;

    while (!cc.empty()) {
        std::size_t comma = cc.find(',');
        std::string_view d = trim(cc.substr(0, comma));
        cc = comma == std::string_view::npos ? std::string_view()
                                             : cc.substr(comma + 1);
        std::size_t eq = d.find('=');
        std::string_view name = trim(d.substr(0, eq));
        if (ieq(name, "no-cache") || ieq(name, "no-store")) {
            no_cache = true;
        } else if (ieq(name, "max-age") && eq != std::string_view::npos) {
            std::int64_t v;
            if (seconds(trim(d.substr(eq + 1)), &v) && age < 0) {
                age = v;
            }
        }
    }

    if (no_cache || age < jwks_min_age) {
        return jwks_min_age;
    }
    return age > jwks_max_age ? jwks_max_age : age;
}


const char *fetch_name(Fetch f)
{
    std::size_t i = static_cast<std::size_t>(f);
    return i < sizeof(fetch_names) / sizeof(fetch_names[0]) ? fetch_names[i]
                                                            : "?";
}


Fetch jwks_should_fetch(const JwksFetchState &s, bool unknown_kid,
                        std::int64_t now)
{
    bool held = s.held_since != 0
                && now - s.held_since < jwks_refetch_interval
                && now >= s.held_since;

    if (s.fetching_since != 0 && now - s.fetching_since < jwks_fetch_lost
        && now >= s.fetching_since)
    {
        return Fetch::none;
    }
    if (held) {
        return Fetch::none;
    }
    if (s.fetched_at == 0) {
        return Fetch::cold;
    }
    if (unknown_kid) {
        return Fetch::unknown_kid;
    }
    return now >= s.expires_at ? Fetch::expired : Fetch::none;
}


void jwks_fetch_started(JwksFetchState *s, Fetch why, std::int64_t now)
{
    s->fetching_since = now;
    s->fetches++;
    if (why == Fetch::unknown_kid) {
        s->held_since = now;
    }
}


void jwks_fetch_done(JwksFetchState *s, bool ok, std::int64_t age,
                     std::int64_t now)
{
    s->fetching_since = 0;
    if (!ok) {
        s->failures++;
        s->held_since = now;
        return;
    }
    s->fetched_at = now;
    s->expires_at = now + age;
    s->generation++;
}


const char *check_issuer(std::string_view iss)
{
    constexpr std::string_view https = "https://";

    if (iss.size() < https.size() || !ieq(iss.substr(0, 8), "https://")) {
        return "must start with \"https://\"";
    }
    std::string_view rest = iss.substr(https.size());
    if (rest.empty() || rest.front() == '/') {
        return "has no host";
    }
    if (iss.size() > 255) {
        return "is longer than 255 bytes";
    }
    for (unsigned char c : rest) {
        if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#' || c == '@'
            || c == '"' || c == '\\')
        {
            return "must be an https URL without query, fragment, user or "
                   "spaces";
        }
    }
    if (rest.back() == '/') {
        return "must not end with \"/\" (Okta's iss does not)";
    }
    return nullptr;
}

}  // namespace jwt
}  // namespace oktatel
