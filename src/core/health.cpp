/*
 * okta_telephony_health: whether this instance can deliver, from the
 * breaker gauges and the last 8x8 reply of each channel in a metrics
 * block, as a small JSON body.
 */

#include <cstring>

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

bool gen_str(yajl_gen g, const char *s)
{
    return yajl_gen_string(g, reinterpret_cast<const unsigned char *>(s),
                           std::strlen(s)) == yajl_gen_status_ok;
}

bool gen_channel(yajl_gen g, const char *name, const ChannelHealth &c)
{
    return gen_str(g, name)
           && yajl_gen_map_open(g) == yajl_gen_status_ok
           && gen_str(g, "state") && gen_str(g, c.down ? "down" : "up")
           && gen_str(g, "breaker")
           && gen_str(g, c.breaker_open ? "open" : "closed")
           && gen_str(g, "last_8x8") && gen_str(g, last_reply_name(c.last))
           && (c.age < 0
               || (gen_str(g, "last_8x8_age")
                   && yajl_gen_integer(g, c.age) == yajl_gen_status_ok))
           && yajl_gen_map_close(g) == yajl_gen_status_ok;
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
    yajl_gen g = detail::gen_open(af, out);
    if (g == nullptr) {
        return false;
    }
    bool ok = yajl_gen_map_open(g) == yajl_gen_status_ok
              && gen_str(g, "status") && gen_str(g, h.up ? "up" : "down");
    for (std::size_t i = 0; ok && i < n_channels; i++) {
        ok = gen_channel(g, channel_name(static_cast<Channel>(i)),
                         h.channel[i]);
    }
    ok = ok && yajl_gen_map_close(g) == yajl_gen_status_ok;
    yajl_gen_free(g);
    return ok;
}

}  // namespace metrics
}  // namespace oktatel
