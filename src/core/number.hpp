/*
 * Number intelligence: a destination read, normalised and classified the
 * way libphonenumber reads it (region, type, validity).
 *
 * The wrapper hides libphonenumber's types (its headers stay in
 * number.cpp): callers see the plain value types below. libphonenumber
 * has no allocator hook: every call below that reads a number allocates
 * on the heap internally (about 50 to 500 malloc calls per number, freed
 * before it returns) and costs about 0.1 to 0.4 M instructions; see
 * bench/README.md. Call it once per hook, only when a rule needs it, and
 * never while holding a shared-memory lock. Nothing here throws: a failure
 * inside the library (bad_alloc) is reported as NumberError::internal.
 *
 * Start-up: number_init() builds libphonenumber's metadata (about 30 M
 * instructions and 4 MB per process) and silences its logger (its default
 * one may write to stdout). The glue calls it when the configuration first
 * needs it (the config-time checks below need it too, so it then runs in
 * the master and the workers inherit it), and again at worker start
 * (a no-op then). A configuration without number rules never calls it.
 *
 * With validate(): a destination without '+' and a default region (or a
 * default country code, mapped by region_for_country_code()) is read here
 * and its E.164 written into RawHook.phone_number before validate(), which
 * then only checks it; a '+' number goes through libphonenumber only when
 * a rule needs classify_number(). classify_number() gives the E.164 too:
 * one call per hook, never both, and its E.164 is the one sent and used
 * for the limits' keys.
 */

#ifndef OKTA_TELEPHONY_CORE_NUMBER_HPP
#define OKTA_TELEPHONY_CORE_NUMBER_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "telephony.hpp"

namespace oktatel {

/* libphonenumber's PhoneNumberType, in its order. */
enum class NumberType : std::uint8_t {
    fixed_line,
    mobile,
    fixed_line_or_mobile,   /* the region cannot tell (US, CA, ...) */
    toll_free,
    premium_rate,
    shared_cost,
    voip,
    personal_number,
    pager,
    uan,
    voicemail,
    unknown,                /* no range of the region matches */
    count_
};

/* "premium_rate" etc.: fixed strings, safe to log. */
const char *number_type_name(NumberType t);

/* The reverse; exact, lower case. false: unknown name. */
bool number_type_from_name(std::string_view name, NumberType *out);

/* A set of types, bit (1 << type). */
using TypeSet = std::uint16_t;

constexpr TypeSet type_bit(NumberType t)
{
    return static_cast<TypeSet>(1u << static_cast<unsigned>(t));
}

/* "US", "JM", "001" (non-geographic ranges), "ZZ" (unknown). */
using RegionCode = FixedStr<3>;

enum class NumberError : std::uint8_t {
    none,
    syntax,                 /* not digits, " -.()" and one leading '+' */
    needs_country_code,     /* no '+' and no default region */
    invalid_country_code,
    not_a_number,
    too_short,
    too_long,               /* more than 15 digits in E.164 */
    internal                /* not initialised, or the library failed */
};

/* Reasons for Okta's errorCauses: "must be a phone number in E.164 form",
   "has an unknown country code", ... Fixed strings. */
const char *number_error_text(NumberError e);

/* Why strict mode refuses a number that libphonenumber parsed. */
extern const char *const number_not_valid_text;

/* What libphonenumber says about one destination. */
struct NumberInfo {
    FixedStr<16>  e164;     /* '+' and at most 15 digits; empty on error */
    RegionCode    region;   /* "ZZ" when unknown or on error */
    NumberType    type;     /* unknown on error */
    bool          valid;    /* IsValidNumber: false on error */
};

/* Builds the metadata, installs a null logger. true: ready. Idempotent. */
bool number_init() noexcept;
bool number_ready() noexcept;

/*
 * Reads a destination: E.164 with '+', or a national number in
 * default_region ("GB": "07911 123456"), where an international prefix is
 * understood as in that region ("0065 9876 5432" in GB is +6598765432;
 * "011 65 ..." in US likewise). Only ASCII digits, " -.()" and a '+' first
 * are accepted (libphonenumber itself would also take letters, "tel:",
 * extensions and text before the number). default_region may be empty:
 * then a number without '+' is needs_country_code.
 */
NumberError number_e164(std::string_view in, std::string_view default_region,
                        FixedStr<16> *out) noexcept;

/* number_e164 plus region, type and validity, in one pass. On error
   *out is still filled: empty e164, "ZZ", unknown, not valid. */
NumberError classify_number(std::string_view in,
                            std::string_view default_region,
                            NumberInfo *out) noexcept;

/*
 * A worker's memory of the destinations it has classified. Okta sends the
 * same numbers again and again (a user's next code, a retry, a voice call
 * after an SMS), and classify_number() is dear (see above): a number seen
 * before is answered from here, with no library call and no heap call.
 *
 * Exact: the key is the text as received and the default region, compared
 * in full, so a hit is what classify_number() said for the same input (its
 * metadata does not change while the process runs). Direct-mapped: a new
 * number replaces the one in its slot, so memory is fixed (slots entries,
 * about 120 kB), nothing is allocated and nothing expires. A flood of new
 * numbers only evicts: each then costs what it costs without the cache.
 * internal errors are never kept; text longer than a key is never cached.
 *
 * It holds numbers, as the zone's limit keys do: never logged, never in
 * shared memory, gone with the worker. Trivially destructible and valid
 * when zero-filled (a static object needs no set-up). One thread only.
 */
struct NumberCache {
    static constexpr std::size_t slots = 1024;
    struct Entry {
        FixedStr<47>  key;      /* default region, ':', the text; empty:
                                   a free slot */
        NumberInfo    info;
        NumberError   err;
    };
    Entry          entry[slots];
    std::uint64_t  hits;
    std::uint64_t  misses;      /* classify_number() ran */
};

/* classify_number(in, default_region, out), through the cache c. */
NumberError classify_number_cached(NumberCache *c, std::string_view in,
                                   std::string_view default_region,
                                   NumberInfo *out) noexcept;

/* Configuration checks (need number_init()). */

/* "us" or "US" -> "US" if libphonenumber supports the region; "001" too
   when nongeo_ok. */
bool parse_region(std::string_view in, bool nongeo_ok,
                  RegionCode *out) noexcept;

/* A default country calling code ("44", "1") -> its main region ("GB",
   "US"). false: not digits, unknown, or non-geographic ("800"). */
bool region_for_country_code(std::string_view cc, RegionCode *out) noexcept;

}  // namespace oktatel

#endif
