/*
 * The sliding window of okta_telephony_limit: exact for small N, 13
 * bucket counters beyond (abuse.hpp says what each guarantees).
 */

#include <cstring>

#include "abuse.hpp"

namespace oktatel {

namespace {

constexpr std::uint32_t nslots = 13;
constexpr std::uint32_t nbuckets = nslots - 1;   /* per PERIOD */

static_assert(sizeof(WindowState::slot) / sizeof(std::uint32_t) == nslots,
              "one slot per bucket");
static_assert(window_exact_max <= nslots, "exact mode fits the slots");
/* exact mode ages are int32 differences of the low 32 bits of ms: valid
   while every kept time is younger than 2 PERIOD (see age()) */
static_assert(2 * rate_max_period_ms < (1ull << 31), "ages fit 31 bits");

bool exact(const Rate &r)
{
    return r.n <= window_exact_max;
}

/* ------------------------------------------------------- exact mode -- */

/*
 * Every write drops the slots older than PERIOD, so a kept time is younger
 * than PERIOD + (now - last_ms); the caller treats now - last_ms >= PERIOD
 * as empty: the true age is < 2 PERIOD < 2^31 and the 32-bit difference is
 * exact. A time ahead of now (another worker's clock) counts as age 0.
 */
std::uint64_t age(std::uint32_t t, std::uint64_t now_ms)
{
    std::int32_t d = static_cast<std::int32_t>(
        static_cast<std::uint32_t>(now_ms) - t);
    return d < 0 ? 0 : static_cast<std::uint64_t>(d);
}

bool stale(const WindowState &w, std::uint64_t period, std::uint64_t now_ms)
{
    return now_ms > w.last_ms && now_ms - w.last_ms >= period;
}

std::uint32_t exact_count(const WindowState &w, const Rate &r,
                          std::uint64_t now_ms)
{
    if (w.count == 0 || stale(w, r.period_ms, now_ms)) {
        return 0;
    }
    std::uint32_t c = 0;
    for (std::uint32_t i = 0; i < w.count && i < nslots; i++) {
        c += age(w.slot[(w.head + i) % nslots], now_ms) < r.period_ms;
    }
    return c;
}

void exact_record(WindowState *w, const Rate &r, std::uint64_t now_ms)
{
    if (w->count > nslots || w->head >= nslots) {
        window_init(w);                 /* not a state of ours */
    }
    if (stale(*w, r.period_ms, now_ms)) {
        w->count = 0;
    }
    while (w->count > 0
           && age(w->slot[w->head], now_ms) >= r.period_ms)
    {
        w->head = static_cast<std::uint8_t>((w->head + 1) % nslots);
        w->count--;
    }
    if (w->count >= r.n) {              /* keep the last N only */
        w->head = static_cast<std::uint8_t>((w->head + 1) % nslots);
        w->count--;
    }
    w->slot[(w->head + w->count) % nslots] =
        static_cast<std::uint32_t>(now_ms);
    w->count++;
    if (now_ms > w->last_ms) {
        w->last_ms = now_ms;
    }
}

/* ------------------------------------------------------ bucket mode -- */

/* PERIOD / 12, rounded up: 12 buckets cover at least PERIOD */
std::uint64_t width(const Rate &r)
{
    return (r.period_ms + nbuckets - 1) / nbuckets;
}

/* the sum of buckets k-12 .. newest, k the bucket of now (at least the
   newest bucket, when now is behind) */
std::uint32_t bucket_count(const WindowState &w, const Rate &r,
                           std::uint64_t now_ms)
{
    std::uint64_t wd = width(r), newest = w.last_ms / wd, k = now_ms / wd;
    if (k < newest) {
        k = newest;
    }
    if (k - newest >= nslots) {
        return 0;
    }
    std::uint64_t first = k >= nbuckets ? k - nbuckets : 0;
    std::uint64_t sum = 0;
    for (std::uint64_t i = first; i <= newest; i++) {
        sum += w.slot[i % nslots];
    }
    return sum > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(sum);
}

void bucket_record(WindowState *w, const Rate &r, std::uint64_t now_ms)
{
    std::uint64_t wd = width(r), newest = w->last_ms / wd, k = now_ms / wd;
    if (k > newest) {
        /* the buckets between are empty; the ring reuses their slots */
        std::uint64_t gap = k - newest;
        for (std::uint64_t i = 1; i <= gap && i <= nslots; i++) {
            w->slot[(newest + i) % nslots] = 0;
        }
        w->last_ms = now_ms;
        newest = k;
    }
    std::uint32_t *s = &w->slot[newest % nslots];
    if (*s < UINT32_MAX) {
        (*s)++;
    }
}

}  // namespace

void window_init(WindowState *w)
{
    std::memset(w, 0, sizeof(*w));
}

std::uint32_t window_count(const WindowState &w, const Rate &r,
                           std::uint64_t now_ms)
{
    return exact(r) ? exact_count(w, r, now_ms) : bucket_count(w, r, now_ms);
}

bool window_allows(const WindowState &w, const Rate &r, std::uint64_t now_ms)
{
    return window_count(w, r, now_ms) < r.n;
}

void window_record(WindowState *w, const Rate &r, std::uint64_t now_ms)
{
    if (exact(r)) {
        exact_record(w, r, now_ms);
    } else {
        bucket_record(w, r, now_ms);
    }
}

std::uint64_t window_idle_ms(const Rate &r)
{
    return exact(r) ? r.period_ms : width(r) * nslots;
}

void limits_take(const LimitCheck *checks, std::size_t n,
                 std::uint64_t now_ms, LimitResult *res)
{
    res->blocked = -1;
    res->dry_run = -1;
    res->text.clear();
    for (std::size_t i = 0; i < n; i++) {
        const LimitCheck &c = checks[i];
        if (c.state == nullptr
            || window_allows(*c.state, c.rule->rate, now_ms))
        {
            continue;
        }
        if (!c.rule->dry_run) {
            res->blocked = static_cast<int>(i);
            res->text = c.rule->text;
            return;                     /* nothing counted */
        }
        if (res->dry_run < 0) {
            res->dry_run = static_cast<int>(i);
            res->text = c.rule->text;
        }
    }
    for (std::size_t i = 0; i < n; i++) {
        if (checks[i].state != nullptr) {
            window_record(checks[i].state, checks[i].rule->rate, now_ms);
        }
    }
}

}  // namespace oktatel
