/*
 * okta_telephony_health: whether this instance can deliver, from the
 * breaker gauges and the last 8x8 reply of each channel in a metrics
 * block, as a small JSON body.
 */

#include "core_util.hpp"
#include "metrics.hpp"

namespace oktatel {
namespace metrics {

namespace {

const char *last_reply_name(LastReply r)
{
    switch (r) {
    case LastReply::ok:
        return "ok";
    case LastReply::failed:
        return "failed";
    case LastReply::none:
        break;
    }
    return "none";
}

void gen_channel(detail::Gen &g, const char *name, const ChannelHealth &c)
{
    g.key(name);
    g.map_open();
    g.kv("state", c.down ? "down" : "up");
    g.kv("breaker", c.breaker_open ? "open" : "closed");
    g.kv("last_8x8", last_reply_name(c.last));
    if (c.age >= 0) {
        g.key("last_8x8_age");
        g.integer(c.age);
    }
    g.map_close();
}

}  // namespace

Health health_of(const Block &b, std::int64_t now, std::int64_t window)
{
    Health h;
    h.up = true;
    for (std::size_t i = 0; i < n_channels; i++) {
        ChannelHealth &c = h.channel[i];
        std::uint64_t last = b.last_reply[i];
        std::int64_t at = static_cast<std::int64_t>(b.last_reply_at[i]);

        c.breaker_open = b.breaker_open[i] != 0;
        c.last = last == static_cast<std::uint64_t>(LastReply::ok)
                     ? LastReply::ok
                 : last == static_cast<std::uint64_t>(LastReply::failed)
                     ? LastReply::failed
                     : LastReply::none;
        c.age = (at > 0 && c.last != LastReply::none)
                    ? (now > at ? now - at : 0) : -1;
        c.down = c.age >= 0 && c.age < window
                 && (c.breaker_open || c.last == LastReply::failed);
        h.up = h.up && !c.down;
    }
    return h;
}

bool render_health(const Health &h, const yajl_alloc_funcs *af, Sink out)
{
    detail::BatchedGen bg(af, out);
    detail::Gen g{bg.get(), bg.get() != nullptr};
    g.map_open();
    g.kv("status", h.up ? "up" : "down");
    for (std::size_t i = 0; i < n_channels; i++) {
        gen_channel(g, channel_name(static_cast<Channel>(i)), h.channel[i]);
    }
    g.map_close();
    return bg.finish(g.ok);
}

}  // namespace metrics
}  // namespace oktatel
