/*
 * Incremental parser of 8x8's event bodies (events.hpp): yajl callbacks
 * that keep only the documented paths, keys compared ASCII
 * case-insensitively.
 */

#include <new>

#include <yajl/yajl_parse.h>

#include "core_util.hpp"
#include "events.hpp"

namespace oktatel {
namespace events {

using detail::af_free;
using detail::af_malloc;

void RawEvent::clear()
{
    for (auto &v : value) {
        v.clear();
    }
    present = 0;
    number = 0;
    wrong_type = 0;
    too_long = 0;
}

const char *event_field_path(EventField f)
{
    switch (f) {
    case EventField::ns:                return "namespace";
    case EventField::event_type:        return "eventType";
    case EventField::umid:              return "payload.umid";
    case EventField::client_message_id: return "payload.clientMessageId";
    case EventField::destination:       return "payload.destination";
    case EventField::state:             return "payload.status.state";
    case EventField::detail:            return "payload.status.detail";
    case EventField::sms_error_code:    return "payload.status.errorCode";
    case EventField::session_id:        return "payload.sessionId";
    case EventField::session_status:    return "payload.sessionStatus";
    case EventField::client_request_id: return "payload.clientRequestId";
    case EventField::voice_error_code:
        return "payload.errorDetails.errorCode";
    case EventField::call_destination:
        return "payload.details.callA.destination";
    case EventField::count_:            break;
    }
    return "?";
}

namespace {

/* The kept containers. */
enum Node : std::uint8_t { n_root, n_payload, n_status, n_error_details,
                           n_details, n_call_a, n_count };

constexpr std::uint8_t t_none = 0;
constexpr std::uint8_t container_bit = 0x80;

constexpr std::uint8_t leaf(EventField f)
{
    return static_cast<std::uint8_t>(static_cast<std::uint8_t>(f) + 1);
}

struct Child {
    const char   *name;
    std::uint8_t  len;
    std::uint8_t  target;
};

#define CHILD(lit, t) { lit, sizeof(lit) - 1, t }

const Child root_children[] = {
    CHILD("namespace", leaf(EventField::ns)),
    CHILD("eventtype", leaf(EventField::event_type)),
    CHILD("payload", container_bit | n_payload),
};
const Child payload_children[] = {
    CHILD("umid", leaf(EventField::umid)),
    CHILD("clientmessageid", leaf(EventField::client_message_id)),
    CHILD("destination", leaf(EventField::destination)),
    CHILD("status", container_bit | n_status),
    CHILD("sessionid", leaf(EventField::session_id)),
    CHILD("sessionstatus", leaf(EventField::session_status)),
    CHILD("clientrequestid", leaf(EventField::client_request_id)),
    CHILD("errordetails", container_bit | n_error_details),
    CHILD("details", container_bit | n_details),
};
const Child status_children[] = {
    CHILD("state", leaf(EventField::state)),
    CHILD("detail", leaf(EventField::detail)),
    CHILD("errorcode", leaf(EventField::sms_error_code)),
};
const Child error_details_children[] = {
    CHILD("errorcode", leaf(EventField::voice_error_code)),
};
const Child details_children[] = {
    CHILD("calla", container_bit | n_call_a),
};
const Child call_a_children[] = {
    CHILD("destination", leaf(EventField::call_destination)),
};

#undef CHILD

struct Children {
    const Child *c;
    std::size_t  n;
};

#define CHILDREN(a) { a, sizeof(a) / sizeof(a[0]) }
const Children children[n_count] = {
    CHILDREN(root_children),
    CHILDREN(payload_children),
    CHILDREN(status_children),
    CHILDREN(error_details_children),
    CHILDREN(details_children),
    CHILDREN(call_a_children),
};
#undef CHILDREN

/* k equals the lower-case name, ASCII case-insensitively */
bool key_is(const unsigned char *k, std::size_t n, const Child &c)
{
    if (n != c.len) {
        return false;
    }
    for (std::size_t i = 0; i < n; i++) {
        if (detail::lower(static_cast<char>(k[i])) != c.name[i]) {
            return false;
        }
    }
    return true;
}

}  // namespace

struct EventParser::Ctx {
    RawEvent      *out;
    unsigned       max_depth;
    unsigned       skip_depth;  /* open containers below a skipped value */
    unsigned       doc_depth;   /* open kept containers */
    std::uint8_t   frames[n_count];
    std::uint8_t   pending;     /* what the last key names */
    bool           root_done;
    std::size_t    root_end;
    void          *handle;
    ParseError     error;
    std::uint32_t  seen;        /* kept leaves and containers seen */

    int fail(ParseError e)
    {
        error = e;
        return 0;
    }

    bool room() const { return doc_depth + skip_depth < max_depth; }

    int value(bool open_container, bool is_map, const unsigned char *s,
              std::size_t n, char kind);
};

namespace {

std::uint32_t seen_bit(std::uint8_t target)
{
    return (target & container_bit)
        ? (1u << (16 + (target & ~container_bit)))
        : (1u << (target - 1));
}

}  // namespace

/* kind: 's' string, 'n' number, '0' null, 'x' anything else */
int EventParser::Ctx::value(bool open_container, bool is_map,
                            const unsigned char *s, std::size_t n, char kind)
{
    if (skip_depth > 0) {
        if (open_container) {
            if (!room()) {
                return fail(ParseError::too_deep);
            }
            skip_depth++;
        }
        return 1;
    }

    if (doc_depth == 0) {
        if (!is_map) {
            return fail(ParseError::not_object);
        }
        frames[doc_depth++] = n_root;
        pending = t_none;
        return 1;
    }

    std::uint8_t target = pending;
    pending = t_none;

    if (target != t_none) {
        std::uint32_t bit = seen_bit(target);
        if (seen & bit) {
            return fail(ParseError::duplicate_key);
        }
        seen |= bit;
    }

    if (target & container_bit) {
        if (kind == '0') {
            return 1;           /* null: absent */
        }
        if (!is_map) {
            return fail(ParseError::structure);
        }
        if (!room()) {
            return fail(ParseError::too_deep);
        }
        frames[doc_depth++] = target & ~container_bit;
        return 1;
    }

    if (target != t_none) {
        unsigned f = target - 1u;
        std::uint32_t bit = 1u << f;
        if (kind == 's' || kind == 'n') {
            if (out->value[f].assign(reinterpret_cast<const char *>(s), n)) {
                out->present |= bit;
                if (kind == 'n') {
                    out->number |= bit;
                }
            } else {
                out->too_long |= bit;
            }
        } else if (kind != '0') {
            out->wrong_type |= bit;
        }
    }

    if (open_container) {
        if (!room()) {
            return fail(ParseError::too_deep);
        }
        skip_depth++;
    }
    return 1;
}

namespace {

using Ctx = EventParser::Ctx;

Ctx *cx(void *ctx) { return static_cast<Ctx *>(ctx); }

int cb_null(void *ctx)
{
    return cx(ctx)->value(false, false, nullptr, 0, '0');
}

int cb_boolean(void *ctx, int)
{
    return cx(ctx)->value(false, false, nullptr, 0, 'x');
}

int cb_number(void *ctx, const char *s, std::size_t n)
{
    return cx(ctx)->value(false, false,
                          reinterpret_cast<const unsigned char *>(s), n, 'n');
}

int cb_string(void *ctx, const unsigned char *s, std::size_t n)
{
    return cx(ctx)->value(false, false, s, n, 's');
}

int cb_start_map(void *ctx)
{
    return cx(ctx)->value(true, true, nullptr, 0, 'x');
}

int cb_start_array(void *ctx)
{
    return cx(ctx)->value(true, false, nullptr, 0, 'x');
}

int cb_map_key(void *ctx, const unsigned char *k, std::size_t n)
{
    Ctx *c = cx(ctx);
    c->pending = t_none;
    if (c->skip_depth > 0) {
        return 1;
    }
    const Children &cs = children[c->frames[c->doc_depth - 1]];
    for (std::size_t i = 0; i < cs.n; i++) {
        if (key_is(k, n, cs.c[i])) {
            c->pending = cs.c[i].target;
            break;
        }
    }
    return 1;
}

int cb_end(void *ctx)
{
    Ctx *c = cx(ctx);
    if (c->skip_depth > 0) {
        c->skip_depth--;
    } else if (c->doc_depth > 0 && --c->doc_depth == 0) {
        c->root_done = true;
        c->root_end = yajl_get_bytes_consumed(
                          static_cast<yajl_handle>(c->handle));
    }
    c->pending = t_none;
    return 1;
}

/* numbers arrive as text (yajl_number): nothing is converted by yajl */
const yajl_callbacks event_callbacks = {
    cb_null, cb_boolean, nullptr, nullptr, cb_number, cb_string,
    cb_start_map, cb_map_key, cb_end, cb_start_array, cb_end,
};

}  // namespace

EventParser::EventParser(RawEvent *out, const yajl_alloc_funcs *af,
                         unsigned max_depth)
    : handle_(nullptr), ctx_(nullptr), af_(af), error_(ParseError::none)
{
    out->clear();
    void *mem = af_malloc(af, sizeof(Ctx));
    if (mem == nullptr) {
        error_ = ParseError::bad_json;
        return;
    }
    ctx_ = new (mem) Ctx;
    Ctx &c = *ctx_;
    c.out = out;
    c.max_depth = max_depth == 0 ? 1 : max_depth;
    c.skip_depth = 0;
    c.doc_depth = 0;
    c.pending = t_none;
    c.root_done = false;
    c.root_end = 0;
    c.handle = nullptr;
    c.error = ParseError::none;
    c.seen = 0;

    yajl_handle h = yajl_alloc(&event_callbacks,
                               const_cast<yajl_alloc_funcs *>(af), ctx_);
    if (h == nullptr) {
        error_ = ParseError::bad_json;
        return;
    }
    yajl_config(h, yajl_allow_comments, 0);
    yajl_config(h, yajl_dont_validate_strings, 0);
    yajl_config(h, yajl_allow_trailing_garbage, 0);
    yajl_config(h, yajl_allow_multiple_values, 0);
    yajl_config(h, yajl_allow_partial_values, 0);
    handle_ = h;
    c.handle = h;
}

EventParser::~EventParser()
{
    if (handle_ != nullptr) {
        yajl_free(static_cast<yajl_handle>(handle_));
    }
    if (ctx_ != nullptr) {
        af_free(af_, ctx_);
    }
}

bool EventParser::feed(const char *p, std::size_t n)
{
    if (error_ != ParseError::none) {
        return false;
    }
    if (n == 0) {
        return true;
    }
    std::size_t good;
    JsonTextScan::Verdict v = text_.feed(
        reinterpret_cast<const unsigned char *>(p), n, &good);
    if (v != JsonTextScan::Verdict::ok) {
        if (good > 0 && !feed_json(p, good)) {
            return false;
        }
        error_ = ParseError::bad_utf8;
        return false;
    }
    return feed_json(p, n);
}

bool EventParser::feed_json(const char *p, std::size_t n)
{
    bool was_done = ctx_->root_done;
    yajl_status rc = yajl_parse(static_cast<yajl_handle>(handle_),
                                reinterpret_cast<const unsigned char *>(p), n);
    if (rc == yajl_status_ok) {
        if (ctx_->root_done
            && !detail::json_space_only(p + (was_done ? 0 : ctx_->root_end),
                                        p + n))
        {
            error_ = ParseError::bad_json;
            return false;
        }
        return true;
    }
    error_ = (rc == yajl_status_client_canceled
              && ctx_->error != ParseError::none)
             ? ctx_->error : ParseError::bad_json;
    return false;
}

bool EventParser::finish()
{
    if (error_ != ParseError::none) {
        return false;
    }
    if (text_.finish() != JsonTextScan::Verdict::ok) {
        error_ = ParseError::bad_utf8;
        return false;
    }
    yajl_status rc = yajl_complete_parse(static_cast<yajl_handle>(handle_));
    if (rc != yajl_status_ok) {
        error_ = (rc == yajl_status_client_canceled
                  && ctx_->error != ParseError::none)
                 ? ctx_->error : ParseError::bad_json;
        return false;
    }
    if (!ctx_->root_done) {
        error_ = ParseError::bad_json;
        return false;
    }
    return true;
}

}  // namespace events
}  // namespace oktatel
