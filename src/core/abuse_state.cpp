/*
 * The per-channel circuit breaker and the eventId dedupe record.
 */

#include <cstring>

#include "abuse.hpp"

namespace oktatel {

/* ----------------------------------------------------- circuit breaker -- */

namespace {

void open_breaker(BreakerState *b, const BreakerConfig &c,
                  std::uint64_t now_ms)
{
    b->phase = static_cast<std::uint8_t>(BreakerPhase::open);
    b->until_ms = now_ms + c.open_ms;
    b->failures = 0;
}

}  // namespace

Admit breaker_admit(BreakerState *b, const BreakerConfig &c,
                    std::uint64_t now_ms)
{
    switch (static_cast<BreakerPhase>(b->phase)) {
    case BreakerPhase::closed:
        return Admit::pass;
    case BreakerPhase::open:
    case BreakerPhase::half_open:
        /* open: the open time is over; half_open: the probe is lost */
        if (now_ms < b->until_ms) {
            return Admit::blocked;
        }
        b->phase = static_cast<std::uint8_t>(BreakerPhase::half_open);
        b->until_ms = now_ms + c.open_ms;
        return Admit::probe;
    }
    /* not a state of ours: start again closed */
    std::memset(b, 0, sizeof(*b));
    return Admit::pass;
}

void breaker_release(BreakerState *b, std::uint64_t now_ms)
{
    if (b->phase == static_cast<std::uint8_t>(BreakerPhase::half_open)) {
        b->phase = static_cast<std::uint8_t>(BreakerPhase::open);
        b->until_ms = now_ms;
    }
}

bool breaker_failure(int http_status)
{
    return http_status <= 0 || http_status >= 500;
}

BreakerEvent breaker_report(BreakerState *b, const BreakerConfig &c,
                            bool was_probe, bool failed,
                            std::uint64_t now_ms)
{
    switch (static_cast<BreakerPhase>(b->phase)) {
    case BreakerPhase::closed:
        if (!failed) {
            b->failures = 0;
            return BreakerEvent::none;
        }
        if (b->failures < UINT32_MAX) {
            b->failures++;
        }
        if (b->failures < c.failures) {
            return BreakerEvent::none;
        }
        open_breaker(b, c, now_ms);
        return BreakerEvent::opened;
    case BreakerPhase::half_open:
        if (!was_probe) {
            return BreakerEvent::none;  /* sent before it opened */
        }
        if (failed) {
            open_breaker(b, c, now_ms);
            return BreakerEvent::reopened;
        }
        std::memset(b, 0, sizeof(*b));
        return BreakerEvent::closed;
    case BreakerPhase::open:
        /* a late probe (it counted as lost) or a hook sent before */
        return BreakerEvent::none;
    }
    std::memset(b, 0, sizeof(*b));
    return BreakerEvent::none;
}

const char *breaker_rule_text(Channel ch)
{
    return ch == Channel::sms ? "8x8 sms breaker open"
                              : "8x8 voice breaker open";
}

/* -------------------------------------------------------------- dedupe -- */

namespace {

constexpr std::size_t tx_max = 128;

static_assert(sizeof(DedupeRecord::text) >= tx_max + 32,
              "room for a whole transactionId and some metadata");

/* The longest prefix of s of at most cap bytes not ending inside a UTF-8
   sequence. */
std::size_t utf8_cut(std::string_view s, std::size_t cap)
{
    if (s.size() <= cap) {
        return s.size();
    }
    /* back off the continuation bytes of a cut sequence (3 at most: more
       is not UTF-8 and is cut anywhere) */
    std::size_t n = cap;
    while (n > 0 && cap - n < 3
           && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
    {
        n--;
    }
    return n;
}

}  // namespace

DedupeCheck dedupe_check(const DedupeRecord &d, std::uint64_t now_ms,
                         std::uint64_t time_ms, std::uint64_t pending_ms)
{
    /* a time ahead of now (another worker's clock) is age 0 */
    std::uint64_t age = now_ms > d.at_ms ? now_ms - d.at_ms : 0;
    switch (static_cast<DedupePhase>(d.phase)) {
    case DedupePhase::pending:
        return age < pending_ms ? DedupeCheck::in_flight : DedupeCheck::fresh;
    case DedupePhase::answered:
        return age < time_ms ? DedupeCheck::replay : DedupeCheck::fresh;
    case DedupePhase::empty:
        break;
    }
    return DedupeCheck::fresh;
}

void dedupe_claim(DedupeRecord *d, std::uint64_t now_ms)
{
    std::memset(d, 0, sizeof(*d));
    d->phase = static_cast<std::uint8_t>(DedupePhase::pending);
    d->at_ms = now_ms;
}

bool dedupe_fill(DedupeRecord *d, Status s, std::string_view tx,
                 std::string_view meta, bool blocked, std::uint64_t now_ms)
{
    std::memset(d, 0, sizeof(*d));
    if (tx.size() > tx_max) {
        return false;
    }
    std::size_t m = utf8_cut(meta, sizeof(d->text) - tx.size());
    std::memcpy(d->text, tx.data(), tx.size());
    std::memcpy(d->text + tx.size(), meta.data(), m);
    d->tx_len = static_cast<std::uint8_t>(tx.size());
    d->meta_len = static_cast<std::uint8_t>(m);
    d->status = static_cast<std::uint8_t>(s);
    d->blocked = blocked;
    d->at_ms = now_ms;
    d->phase = static_cast<std::uint8_t>(DedupePhase::answered);
    return true;
}

void dedupe_clear(DedupeRecord *d)
{
    std::memset(d, 0, sizeof(*d));
}

Status dedupe_status(const DedupeRecord &d)
{
    switch (static_cast<Status>(d.status)) {
    case Status::successful: return Status::successful;
    case Status::pending:    return Status::pending;
    case Status::failed:     break;
    }
    return Status::failed;
}

std::string_view dedupe_tx(const DedupeRecord &d)
{
    std::size_t n = d.tx_len <= tx_max ? d.tx_len : 0;
    return std::string_view(d.text, n);
}

std::string_view dedupe_meta(const DedupeRecord &d)
{
    std::size_t t = d.tx_len <= tx_max ? d.tx_len : 0;
    std::size_t n = d.meta_len <= sizeof(d.text) - t ? d.meta_len : 0;
    return std::string_view(d.text + t, n);
}

}  // namespace oktatel
