/*
 * Constant-time comparison of the shared secret Okta sends.
 */

#include "core_util.hpp"

namespace oktatel {

bool secret_equal(std::string_view given, std::string_view secret)
{
    /* the loop runs over the secret only; given is read modulo its length
       so a short or empty value costs the same and reads nothing outside */
    std::size_t gn = given.size(), sn = secret.size();
    unsigned diff = (gn != sn) | (sn == 0);
    std::size_t gi = 0;
    for (std::size_t i = 0; i < sn; i++) {
        unsigned char g = gn ? static_cast<unsigned char>(given[gi]) : 0;
        diff |= g ^ static_cast<unsigned char>(secret[i]);
        gi = (gi + 1 == gn) ? 0 : gi + 1;
    }
    /* keep the compiler from turning the fold into an early exit */
    volatile unsigned sink = diff;
    return sink == 0;
}

bool secret_matches_any(std::string_view given,
                        const std::string_view *secrets, std::size_t n)
{
    unsigned any = 0;
    for (std::size_t i = 0; i < n; i++) {
        any |= secret_equal(given, secrets[i]) ? 1u : 0u;
    }
    return any != 0;
}

}  // namespace oktatel
