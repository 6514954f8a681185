/*
 * The metrics' label names and the rendering of a snapshot. One walk over
 * the families feeds either writer, so the text and the JSON always carry
 * the same series and the same numbers.
 */

#include <charconv>
#include <cstring>

#include "core_util.hpp"
#include "metrics.hpp"

namespace oktatel {
namespace metrics {

namespace {

template <class E, std::size_t N>
const char *name_of(E e, const char *const (&names)[N], const char *dflt)
{
    auto i = static_cast<std::size_t>(e);
    return i < N ? names[i] : dflt;
}

const char *const hook_channel_names[] = { "voice", "sms", "other" };
const char *const refused_names[] = { "method-not-allowed" };
const char *const rule_names[] = {
    "limit_number", "limit_prefix", "limit_region", "limit_all", "region",
    "number_type", "sms_number_type", "breaker", "dedupe", "other",
};
const char *const auth_names[] = { "missing", "repeated", "wrong_secret",
                                   "token" };
const char *const code_names[] = { "2xx", "3xx", "4xx", "5xx", "none" };
const char *const reply_names[] = {
    "accepted", "refused", "not_8x8_json", "reply_too_large", "redirected",
    "unreachable", "timeout",
};
const char *const delivery_names[] = {
    "delivered", "undelivered", "rejected", "expired", "unknown",
};

static_assert(sizeof(hook_channel_names) / sizeof(char *) == n_hook_channels
              && sizeof(refused_names) / sizeof(char *)
                 == static_cast<std::size_t>(Refused::count_)
              && sizeof(rule_names) / sizeof(char *) == n_rules
              && sizeof(auth_names) / sizeof(char *)
                 == static_cast<std::size_t>(AuthFailure::count_)
              && sizeof(code_names) / sizeof(char *) == n_codes
              && sizeof(reply_names) / sizeof(char *) == n_reply_statuses
              && sizeof(delivery_names) / sizeof(char *) == n_delivery_states,
              "one name per label value");

bool starts_with(std::string_view s, std::string_view prefix)
{
    return s.substr(0, prefix.size()) == prefix;
}

bool ends_with(std::string_view s, std::string_view suffix)
{
    return s.size() >= suffix.size()
           && s.substr(s.size() - suffix.size()) == suffix;
}

CodeClass class_of(int status)
{
    if (status >= 200 && status < 600) {
        return static_cast<CodeClass>(status / 100 - 2);
    }
    return CodeClass::none;
}


/* ---------------------------------------------------------- numbers -- */

/* Room for a uint64_t in decimal, or seconds with 3 decimals. */
constexpr std::size_t num_max = 24;

std::string_view integer_text(std::uint64_t v, char *buf)
{
    auto r = std::to_chars(buf, buf + num_max, v);
    return std::string_view(buf, static_cast<std::size_t>(r.ptr - buf));
}

/* ms as seconds: "1.234"; trim: "0.025", "1", "1.5" (bucket bounds). */
std::string_view seconds_text(std::uint64_t ms, char *buf, bool trim)
{
    auto r = std::to_chars(buf, buf + num_max - 4, ms / 1000);
    char *p = r.ptr;
    unsigned frac = static_cast<unsigned>(ms % 1000);
    char digits[3] = {
        static_cast<char>('0' + frac / 100),
        static_cast<char>('0' + frac / 10 % 10),
        static_cast<char>('0' + frac % 10),
    };
    std::size_t n = 3;

    if (trim) {
        while (n > 0 && digits[n - 1] == '0') {
            n--;
        }
    }
    if (n > 0) {
        *p++ = '.';
        std::memcpy(p, digits, n);
        p += n;
    }
    return std::string_view(buf, static_cast<std::size_t>(p - buf));
}


/* ---------------------------------------------------------- writers -- */

struct Label {
    const char        *name;
    std::string_view   value;
};

/* The families and their series, in order; see render_text(). */
class Writer {
public:
    virtual void family(const char *name, const char *type,
                        const char *help) = 0;
    virtual void sample(const Label *l, std::size_t n, std::uint64_t v) = 0;
    /* per_bucket: n_buckets counts, not cumulated */
    virtual void histogram(const Label *l, std::size_t n,
                           const std::uint64_t *per_bucket,
                           std::uint64_t sum_ms) = 0;
    virtual void end() = 0;

protected:
    ~Writer() = default;
};


class TextWriter final : public Writer {
public:
    explicit TextWriter(Sink out) : out_(out) {}

    void family(const char *name, const char *type, const char *help) override
    {
        name_ = name;
        put("# HELP ");
        put(name);
        put(" ");
        put(help);
        put("\n# TYPE ");
        put(name);
        put(" ");
        put(type);
        put("\n");
    }

    void sample(const Label *l, std::size_t n, std::uint64_t v) override
    {
        char buf[num_max];

        series(nullptr, l, n, std::string_view());
        put(integer_text(v, buf));
        put("\n");
    }

    void histogram(const Label *l, std::size_t n,
                   const std::uint64_t *per_bucket,
                   std::uint64_t sum_ms) override
    {
        char           buf[num_max], le[num_max];
        std::uint64_t  cum = 0;

        for (std::size_t i = 0; i < n_buckets; i++) {
            cum += per_bucket[i];
            series("_bucket", l, n,
                   i + 1 < n_buckets ? seconds_text(bucket_ms[i], le, true)
                                     : std::string_view("+Inf"));
            put(integer_text(cum, buf));
            put("\n");
        }

        series("_sum", l, n, std::string_view());
        put(seconds_text(sum_ms, buf, false));
        put("\n");
        series("_count", l, n, std::string_view());
        put(integer_text(cum, buf));
        put("\n");
    }

    void end() override {}

private:
    void put(std::string_view s) { out_.write(out_.ctx, s.data(), s.size()); }

    /* a label value: \ " and newline escaped */
    void put_value(std::string_view v)
    {
        std::size_t from = 0;

        for (std::size_t i = 0; i < v.size(); i++) {
            const char *esc = v[i] == '\\' ? "\\\\" : v[i] == '"' ? "\\\""
                              : v[i] == '\n' ? "\\n" : nullptr;
            if (esc != nullptr) {
                put(v.substr(from, i - from));
                put(esc);
                from = i + 1;
            }
        }
        put(v.substr(from));
    }

    /* name[suffix]{labels[,le="..."]} and a space */
    void series(const char *suffix, const Label *l, std::size_t n,
                std::string_view le)
    {
        put(name_);
        if (suffix != nullptr) {
            put(suffix);
        }
        if (n > 0 || !le.empty()) {
            put("{");
            for (std::size_t i = 0; i < n; i++) {
                put(i ? "," : "");
                put(l[i].name);
                put("=\"");
                put_value(l[i].value);
                put("\"");
            }
            if (!le.empty()) {
                put(n ? ",le=\"" : "le=\"");
                put(le);
                put("\"");
            }
            put("}");
        }
        put(" ");
    }

    Sink         out_;
    const char  *name_ = "";
};


class JsonWriter final : public Writer {
public:
    explicit JsonWriter(yajl_gen g) : g_{g, true} { g_.map_open(); }

    bool ok() const { return g_.ok; }

    void family(const char *name, const char *, const char *) override
    {
        if (open_) {
            g_.array_close();
        }
        g_.key(name);
        g_.array_open();
        open_ = true;
    }

    void sample(const Label *l, std::size_t n, std::uint64_t v) override
    {
        char buf[num_max];

        g_.map_open();
        labels(l, n);
        g_.key("value");
        g_.number(integer_text(v, buf));
        g_.map_close();
    }

    void histogram(const Label *l, std::size_t n,
                   const std::uint64_t *per_bucket,
                   std::uint64_t sum_ms) override
    {
        char           buf[num_max], le[num_max];
        std::uint64_t  cum = 0;

        g_.map_open();
        labels(l, n);
        g_.key("buckets");
        g_.map_open();
        for (std::size_t i = 0; i < n_buckets; i++) {
            cum += per_bucket[i];
            g_.str(i + 1 < n_buckets ? seconds_text(bucket_ms[i], le, true)
                                     : std::string_view("+Inf"));
            g_.number(integer_text(cum, buf));
        }
        g_.map_close();
        g_.key("sum");
        g_.number(seconds_text(sum_ms, buf, false));
        g_.key("count");
        g_.number(integer_text(cum, buf));
        g_.map_close();
    }

    void end() override
    {
        if (open_) {
            g_.array_close();
        }
        g_.map_close();
    }

private:
    void labels(const Label *l, std::size_t n)
    {
        for (std::size_t i = 0; i < n; i++) {
            g_.kv(l[i].name, l[i].value);
        }
    }

    detail::Gen  g_;
    bool         open_ = false;
};


/* ------------------------------------------------------------- walk -- */

/* Channels in the order they are shown. */
constexpr Channel shown_channels[] = { Channel::voice, Channel::sms };

inline std::size_t ci(Channel c) { return static_cast<std::size_t>(c); }

void walk_hooks(const Block &b, Writer &w)
{
    w.family("okta_telephony_hooks_total", "counter",
             "Hooks answered (and async deliveries ended), by channel and "
             "outcome.");
    for (std::size_t c = 0; c < n_hook_channels; c++) {
        for (std::size_t o = 0; o < n_outcomes; o++) {
            Label l[] = { { "channel", hook_channel_names[c] },
                          { "outcome", outcome_label(o) } };
            w.sample(l, 2, b.hooks[c][o]);
        }
    }

    w.family("okta_telephony_blocked_total", "counter",
             "Hooks an abuse rule blocked, by kind of rule.");
    for (std::size_t r = 0; r < n_rules; r++) {
        Label l[] = { { "rule", rule_names[r] } };
        w.sample(l, 1, b.blocked[r]);
    }

    w.family("okta_telephony_auth_failures_total", "counter",
             "Requests refused for authentication, by reason.");
    for (std::size_t a = 0; a < static_cast<std::size_t>(AuthFailure::count_);
         a++)
    {
        Label l[] = { { "reason", auth_names[a] } };
        w.sample(l, 1, b.auth_failures[a]);
    }
}

void walk_8x8(const Block &b, Writer &w)
{
    w.family("okta_telephony_8x8_responses_total", "counter",
             "8x8 requests ended, by channel, HTTP status class and what "
             "8x8 said.");
    for (Channel ch : shown_channels) {
        for (std::size_t k = 0; k < n_codes; k++) {
            for (std::size_t s = 0; s < n_reply_statuses; s++) {
                Label l[] = { { "channel", channel_name(ch) },
                              { "code", code_names[k] },
                              { "status", reply_names[s] } };
                w.sample(l, 3, b.responses[ci(ch)][k][s]);
            }
        }
    }

    w.family("okta_telephony_8x8_duration_seconds", "histogram",
             "Time from the start of the 8x8 request to its end.");
    for (Channel ch : shown_channels) {
        Label l[] = { { "channel", channel_name(ch) } };
        w.histogram(l, 1, b.duration[ci(ch)], b.duration_sum_ms[ci(ch)]);
    }

    w.family("okta_telephony_breaker_open", "gauge",
             "1 while the channel's breaker is open or half-open.");
    for (Channel ch : shown_channels) {
        Label l[] = { { "channel", channel_name(ch) } };
        w.sample(l, 1, b.breaker_open[ci(ch)] ? 1 : 0);
    }

    w.family("okta_telephony_deliveries_total", "counter",
             "8x8 delivery receipts, by channel and state.");
    for (Channel ch : shown_channels) {
        for (std::size_t s = 0; s < n_delivery_states; s++) {
            Label l[] = { { "channel", channel_name(ch) },
                          { "state", delivery_names[s] } };
            w.sample(l, 2, b.deliveries[ci(ch)][s]);
        }
    }
}

/* The fetched keys of the zones that hold some (okta_telephony_jwks_zone). */
void walk_jwks(const Snapshot &s, Writer &w)
{
    struct Family {
        const char *name, *type, *help;
    };
    static const Family fam[] = {
        { "okta_telephony_jwks_keys", "gauge",
          "Usable signing keys fetched into the zone." },
        { "okta_telephony_jwks_age_seconds", "gauge",
          "Seconds since the oldest key document in the zone was fetched." },
        { "okta_telephony_jwks_fetches_total", "counter",
          "Key fetches started through okta_telephony_jwks_location." },
        { "okta_telephony_jwks_fetch_failures_total", "counter",
          "Key fetches that failed (the keys already held stay in use)." },
    };
    std::size_t shown = 0;
    for (std::size_t i = 0; i < s.nzones; i++) {
        shown += s.zones[i].jwks_documents ? 1 : 0;
    }
    if (shown == 0) {
        return;
    }
    for (std::size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
        w.family(fam[f].name, fam[f].type, fam[f].help);
        for (std::size_t i = 0; i < s.nzones; i++) {
            const ZoneStat &z = s.zones[i];
            if (z.jwks_documents == 0) {
                continue;
            }
            Label l[] = { { "zone", z.name } };
            std::uint64_t v = f == 0 ? z.jwks_keys
                              : f == 1 ? static_cast<std::uint64_t>(
                                             z.jwks_age > 0 ? z.jwks_age : 0)
                              : f == 2 ? z.jwks_fetches : z.jwks_failures;
            w.sample(l, 1, v);
        }
    }
}

void walk_zones(const Snapshot &s, Writer &w)
{
    w.family("okta_telephony_zone_entries", "gauge",
             "Entries in the okta_telephony_zone.");
    for (std::size_t i = 0; i < s.nzones; i++) {
        Label l[] = { { "zone", s.zones[i].name } };
        w.sample(l, 1, s.zones[i].entries);
    }

    w.family("okta_telephony_zone_evictions_total", "counter",
             "Entries evicted from the full okta_telephony_zone while they "
             "still counted.");
    for (std::size_t i = 0; i < s.nzones; i++) {
        Label l[] = { { "zone", s.zones[i].name } };
        w.sample(l, 1, s.zones[i].evictions);
    }

    walk_jwks(s, w);
}

void walk(const Snapshot &s, Writer &w)
{
    walk_hooks(*s.block, w);
    walk_8x8(*s.block, w);
    walk_zones(s, w);
    w.end();
}

}  // namespace


const char *hook_channel_name(HookChannel c)
{
    return name_of(c, hook_channel_names, "other");
}

const char *outcome_label(std::size_t i)
{
    constexpr std::size_t n = static_cast<std::size_t>(Outcome::count_);

    if (i < n) {
        return outcome_name(static_cast<Outcome>(i));
    }
    return i - n < sizeof(refused_names) / sizeof(char *)
           ? refused_names[i - n] : "FAILED";
}

const char *blocked_rule_name(BlockedRule r)
{
    return name_of(r, rule_names, "other");
}

const char *auth_failure_name(AuthFailure a)
{
    return name_of(a, auth_names, "missing");
}

const char *code_class_name(CodeClass c)
{
    return name_of(c, code_names, "none");
}

const char *reply_status_name(ReplyStatus s)
{
    return name_of(s, reply_names, "unreachable");
}

const char *delivery_state_name(DeliveryState s)
{
    return name_of(s, delivery_names, "unknown");
}

BlockedRule blocked_rule_of(std::string_view t)
{
    struct Prefix { const char *text; BlockedRule rule; };
    static const Prefix prefixes[] = {
        { "limit number ", BlockedRule::limit_number },
        { "limit prefix ", BlockedRule::limit_prefix },
        { "limit region ", BlockedRule::limit_region },
        { "limit all ", BlockedRule::limit_all },
        { "region ", BlockedRule::region },
        { "number type ", BlockedRule::number_type },
        { "sms number type ", BlockedRule::sms_number_type },
        { "duplicate eventId", BlockedRule::dedupe },
    };

    for (const Prefix &p : prefixes) {
        if (starts_with(t, p.text)) {
            return p.rule;
        }
    }
    if (starts_with(t, "8x8 ") && ends_with(t, " breaker open")) {
        return BlockedRule::breaker;
    }
    return BlockedRule::other;
}

void classify_reply(const Capture &c, const Judgement &j, CodeClass *code,
                    ReplyStatus *status)
{
    *code = c.answered ? class_of(c.status) : CodeClass::none;

    if (!c.answered && !c.redirected) {
        *status = ReplyStatus::unreachable;
    } else if (c.redirected) {
        *status = ReplyStatus::redirected;
    } else if (c.overflow) {
        *status = ReplyStatus::reply_too_large;
    } else if (j.status == Status::successful) {
        *status = ReplyStatus::accepted;
    } else if (!j.reply.json) {
        *status = ReplyStatus::not_8x8_json;
    } else {
        *status = ReplyStatus::refused;
    }
}

void block_init(Block *b)
{
    std::memset(b, 0, sizeof(*b));
    b->layout = block_layout();
}

void render_text(const Snapshot &s, Sink out)
{
    TextWriter w(out);
    walk(s, w);
}

bool render_json(const Snapshot &s, const yajl_alloc_funcs *af, Sink out)
{
    detail::BatchedGen bg(af, out);
    if (bg.get() == nullptr) {
        return false;
    }
    JsonWriter w(bg.get());
    walk(s, w);
    return bg.finish(w.ok());
}

}  // namespace metrics
}  // namespace oktatel
