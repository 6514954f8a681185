/*
 * Okta side: the answer body and the decision behind it.
 */

#include <cstdio>

#include "core_util.hpp"

namespace oktatel {

using detail::Gen;

const char *status_name(Status s)
{
    switch (s) {
    case Status::successful: return "SUCCESSFUL";
    case Status::pending:    return "PENDING";
    case Status::failed:     break;
    }
    return "FAILED";
}

bool build_okta_action(Status s, std::string_view provider,
                       std::string_view transaction_id,
                       std::string_view metadata,
                       const yajl_alloc_funcs *af, Sink out)
{
    detail::BatchedGen bg(af, out);
    Gen g{bg.get(), bg.get() != nullptr};
    g.map_open();
    g.key("commands");
    g.array_open();
    g.map_open();
    g.kv("type", "com.okta.telephony.action");
    g.key("value");
    g.array_open();
    g.map_open();
    g.kv("status", status_name(s));
    g.kv_opt("provider", provider);
    g.kv_opt("transactionId", transaction_id);
    g.kv_opt("transactionMetadata", metadata);
    g.map_close();
    g.array_close();
    g.map_close();
    g.array_close();
    g.map_close();
    return bg.finish(g.ok);
}

bool build_okta_error(std::string_view summary, const FieldError *cause,
                      const yajl_alloc_funcs *af, Sink out)
{
    detail::BatchedGen bg(af, out);
    Gen g{bg.get(), bg.get() != nullptr};
    g.map_open();
    g.key("error");
    g.map_open();
    g.kv("errorSummary", summary);
    if (cause != nullptr) {
        const char *location = field_path(cause->field);
        const char *reason = cause->reason ? cause->reason : "is invalid";
        char text[256];
        int n = std::snprintf(text, sizeof(text), "%s %s", location, reason);
        std::size_t tn = n < 0 ? 0
                       : static_cast<std::size_t>(n) < sizeof(text)
                         ? static_cast<std::size_t>(n) : sizeof(text) - 1;

        g.key("errorCauses");
        g.array_open();
        g.map_open();
        g.kv("errorSummary", std::string_view(text, tn));
        g.kv("reason", reason);
        g.kv("locationType", "body");
        g.kv("location", location);
        g.kv("domain", "end-user");
        g.map_close();
        g.array_close();
    }
    g.map_close();
    g.map_close();
    return bg.finish(g.ok);
}

Status decide(Channel ch, int http_status, const ProviderReply &r,
              char *meta, std::size_t cap)
{
    Status s = r.accepted ? Status::successful : Status::failed;
    if (meta == nullptr || cap == 0) {
        return s;
    }

    detail::Appender a(meta, cap);
    a << "8x8 " << channel_name(ch) << " HTTP " << http_status;
    if (!r.json) {
        a << ": reply is not 8x8 JSON";
    } else {
        if (!r.code.empty()) {
            a << " " << r.code.view();
        }
        a << ": " << (r.message.empty()
                      ? std::string_view(r.accepted ? "accepted"
                                                    : "not accepted")
                      : r.message.view());
    }
    std::size_t n = a.total();

    /* a cut must not split a UTF-8 sequence: the text goes into JSON */
    if (n >= cap && cap > 1) {
        std::size_t len = cap - 1, i = len - 1;
        auto u = [&](std::size_t k) {
            return static_cast<unsigned char>(meta[k]);
        };
        while (i > 0 && (u(i) & 0xC0) == 0x80) {
            i--;
        }
        std::size_t want = u(i) < 0x80 ? 1 : u(i) >= 0xF0 ? 4
                         : u(i) >= 0xE0 ? 3 : 2;
        if (i + want > len) {
            meta[i] = '\0';
        }
    }
    return s;
}

}  // namespace oktatel
