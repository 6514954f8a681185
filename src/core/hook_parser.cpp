/*
 * Incremental parser of the Okta hook body: yajl callbacks that keep only
 * the documented paths.
 */

#include <new>

#include <yajl/yajl_parse.h>

#include "core_util.hpp"

namespace oktatel {

using detail::af_free;
using detail::af_malloc;

void RawHook::clear()
{
    event_id.clear();
    request_type.clear();
    url_value.clear();
    ip_address.clear();
    otp_code.clear();
    phone_number.clear();
    delivery_channel.clear();
    locale.clear();
    msg_template.clear();
    otp_expires.clear();
    present = 0;
    wrong_type = 0;
    too_long = 0;
}

const char *parse_error_text(ParseError e)
{
    switch (e) {
    case ParseError::none:          return "no error";
    case ParseError::bad_json:      return "body is not valid JSON";
    case ParseError::bad_utf8:      return "body is not valid UTF-8";
    case ParseError::not_object:    return "body is not a JSON object";
    case ParseError::too_deep:      return "body is nested too deeply";
    case ParseError::duplicate_key: return "body has a duplicate field";
    case ParseError::structure:     return "body has a non-object where an "
                                           "object is expected";
    }
    return "unknown error";
}

namespace {

/* The documented containers, in nesting order. */
enum Node : std::uint8_t { n_root, n_data, n_context, n_request, n_url,
                           n_message_profile, n_count };

/* What the last key names: nothing, a leaf Field + 1, or container_bit|Node */
constexpr std::uint8_t t_none = 0;
constexpr std::uint8_t container_bit = 0x80;

constexpr std::uint8_t leaf(Field f)
{
    return static_cast<std::uint8_t>(static_cast<std::uint8_t>(f) + 1);
}

struct Child {
    const char   *name;
    std::uint8_t  len;
    std::uint8_t  target;
};

#define CHILD(lit, t) { lit, sizeof(lit) - 1, t }

constexpr Child root_children[] = {
    CHILD("eventId", leaf(Field::event_id)),
    CHILD("requestType", leaf(Field::request_type)),
    CHILD("data", container_bit | n_data),
};
constexpr Child data_children[] = {
    CHILD("context", container_bit | n_context),
    CHILD("messageProfile", container_bit | n_message_profile),
};
constexpr Child context_children[] = {
    CHILD("request", container_bit | n_request),
};
constexpr Child request_children[] = {
    CHILD("url", container_bit | n_url),
    CHILD("ipAddress", leaf(Field::ip_address)),
};
constexpr Child url_children[] = {
    CHILD("value", leaf(Field::url_value)),
};
constexpr Child message_profile_children[] = {
    CHILD("otpCode", leaf(Field::otp_code)),
    CHILD("phoneNumber", leaf(Field::phone_number)),
    CHILD("deliveryChannel", leaf(Field::delivery_channel)),
    CHILD("locale", leaf(Field::locale)),
    CHILD("msgTemplate", leaf(Field::msg_template)),
    CHILD("otpExpires", leaf(Field::otp_expires)),
};

#undef CHILD

struct Children {
    const Child   *c;
    std::size_t    n;
    std::uint32_t  lens;   /* bit (1 << len) for each child's name */
};

template <std::size_t N>
constexpr std::uint32_t name_lengths(const Child (&a)[N])
{
    std::uint32_t m = 0;
    for (std::size_t i = 0; i < N; i++) {
        m |= 1u << a[i].len;
    }
    return m;
}

static_assert(detail::key_names_fit(root_children)
              && detail::key_names_fit(data_children)
              && detail::key_names_fit(context_children)
              && detail::key_names_fit(request_children)
              && detail::key_names_fit(url_children)
              && detail::key_names_fit(message_profile_children),
              "a documented key longer than key_max");

#define CHILDREN(a) { a, sizeof(a) / sizeof(a[0]), name_lengths(a) }
const Children children[n_count] = {
    CHILDREN(root_children),
    CHILDREN(data_children),
    CHILDREN(context_children),
    CHILDREN(request_children),
    CHILDREN(url_children),
    CHILDREN(message_profile_children),
};
#undef CHILDREN

}  // namespace

struct HookParser::State {
    RawHook      *out;
    unsigned      max_depth;
    unsigned      skip_depth;   /* open containers below an ignored value */
    unsigned      doc_depth;    /* open documented containers */
    std::uint8_t  frames[n_count];
    std::uint8_t  pending;      /* what the last key of the top frame names */
    bool          root_done;
    std::size_t   root_end;     /* bytes of the chunk up to the root's end */
    void         *handle;       /* yajl_handle, for the offset above */
    ParseError    error;
    std::uint32_t seen;         /* leaf fields and containers already seen */

    int fail(ParseError e)
    {
        error = e;
        return 0;  /* cancels yajl */
    }

    bool room() const { return doc_depth + skip_depth < max_depth; }

    /* a value for the pending key; returns the yajl verdict */
    int value(bool open_container, bool is_map,
              const unsigned char *s, std::size_t n, bool is_string);
};

namespace {

std::uint32_t seen_bit(std::uint8_t target)
{
    return (target & container_bit)
        ? (1u << (16 + (target & ~container_bit)))
        : (1u << (target - 1));
}

void store(RawHook *h, Field f, const char *p, std::size_t n)
{
    bool ok = false;
    switch (f) {
    case Field::event_id:         ok = h->event_id.assign(p, n); break;
    case Field::request_type:     ok = h->request_type.assign(p, n); break;
    case Field::url_value:        ok = h->url_value.assign(p, n); break;
    case Field::ip_address:       ok = h->ip_address.assign(p, n); break;
    case Field::otp_code:         ok = h->otp_code.assign(p, n); break;
    case Field::phone_number:     ok = h->phone_number.assign(p, n); break;
    case Field::delivery_channel: ok = h->delivery_channel.assign(p, n); break;
    case Field::locale:           ok = h->locale.assign(p, n); break;
    case Field::msg_template:     ok = h->msg_template.assign(p, n); break;
    case Field::otp_expires:      ok = h->otp_expires.assign(p, n); break;
    case Field::count_:           return;
    }
    std::uint32_t bit = 1u << static_cast<unsigned>(f);
    if (ok) {
        h->present |= bit;
    } else {
        h->too_long |= bit;
    }
}

}  // namespace

int HookParser::State::value(bool open_container, bool is_map,
                             const unsigned char *s, std::size_t n,
                             bool is_string)
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
        /* the top-level value */
        if (!is_map) {
            return fail(ParseError::not_object);
        }
        if (!room()) {
            return fail(ParseError::too_deep);
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
        Field f = static_cast<Field>(target - 1);
        if (is_string) {
            store(out, f, reinterpret_cast<const char *>(s), n);
        } else {
            out->wrong_type |= 1u << static_cast<unsigned>(f);
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

using State = HookParser::State;

State *st(void *ctx) { return static_cast<State *>(ctx); }

int cb_null(void *ctx)
{
    return st(ctx)->value(false, false, nullptr, 0, false);
}

int cb_boolean(void *ctx, int)
{
    return st(ctx)->value(false, false, nullptr, 0, false);
}

int cb_number(void *ctx, const char *, std::size_t)
{
    return st(ctx)->value(false, false, nullptr, 0, false);
}

int cb_string(void *ctx, const unsigned char *s, std::size_t n)
{
    State *t = st(ctx);
    /* most of Okta's strings are for keys the module does not read */
    if (t->skip_depth > 0 || (t->doc_depth > 0 && t->pending == t_none)) {
        return 1;
    }
    return t->value(false, false, s, n, true);
}

int cb_start_map(void *ctx)
{
    return st(ctx)->value(true, true, nullptr, 0, false);
}

int cb_start_array(void *ctx)
{
    return st(ctx)->value(true, false, nullptr, 0, false);
}

int cb_map_key(void *ctx, const unsigned char *k, std::size_t n)
{
    State *s = st(ctx);
    s->pending = t_none;
    if (s->skip_depth > 0) {
        return 1;
    }
    const Children &cs = children[s->frames[s->doc_depth - 1]];
    /* most of Okta's keys have a length that no documented one has */
    if (n > detail::key_max || !((cs.lens >> n) & 1)) {
        return 1;
    }
    for (std::size_t i = 0; i < cs.n; i++) {
        if (cs.c[i].len == n && detail::key_equal(cs.c[i].name, k, n)) {
            s->pending = cs.c[i].target;
            break;
        }
    }
    return 1;
}

int cb_end(void *ctx)
{
    State *s = st(ctx);
    if (s->skip_depth > 0) {
        s->skip_depth--;
    } else if (s->doc_depth > 0 && --s->doc_depth == 0) {
        s->root_done = true;
        /* yajl has counted the '}' already */
        s->root_end = yajl_get_bytes_consumed(
                          static_cast<yajl_handle>(s->handle));
    }
    s->pending = t_none;
    return 1;
}

const yajl_callbacks hook_callbacks = {
    cb_null, cb_boolean, nullptr, nullptr, cb_number, cb_string,
    cb_start_map, cb_map_key, cb_end, cb_start_array, cb_end,
};

}  // namespace

HookParser::HookParser(RawHook *out, const yajl_alloc_funcs *af,
                       unsigned max_depth)
    : handle_(nullptr), state_(nullptr), af_(af), error_(ParseError::none)
{
    out->clear();
    void *mem = af_malloc(af, sizeof(State));
    if (mem == nullptr) {
        error_ = ParseError::bad_json;
        return;
    }
    state_ = new (mem) State;
    State &s = *state_;
    s.out = out;
    s.max_depth = max_depth;
    s.skip_depth = 0;
    s.doc_depth = 0;
    s.pending = t_none;
    s.root_done = false;
    s.root_end = 0;
    s.handle = nullptr;
    s.error = ParseError::none;
    s.seen = 0;

    yajl_handle h = yajl_alloc(&hook_callbacks,
                               const_cast<yajl_alloc_funcs *>(af), state_);
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
    s.handle = h;
}

HookParser::~HookParser()
{
    if (handle_ != nullptr) {
        yajl_free(static_cast<yajl_handle>(handle_));
    }
    if (state_ != nullptr) {
        af_free(af_, state_);
    }
}

bool HookParser::text_ok(JsonTextScan::Verdict v)
{
    switch (v) {
    case JsonTextScan::Verdict::ok:
        return true;
    case JsonTextScan::Verdict::bad_utf8:
        break;
    }
    error_ = ParseError::bad_utf8;
    return false;
}

bool HookParser::feed(const char *p, std::size_t n)
{
    if (error_ != ParseError::none) {
        return false;
    }
    if (n == 0) {
        return true;
    }
    /* the bytes before a bad one go to yajl first: the error named is
       the first in the text, wherever the body was split */
    std::size_t good;
    JsonTextScan::Verdict text = text_.feed(
        reinterpret_cast<const unsigned char *>(p), n, &good);
    if (text != JsonTextScan::Verdict::ok) {
        if (good > 0 && !feed_json(p, good)) {
            return false;
        }
        return text_ok(text);
    }
    return feed_json(p, n);
}

bool HookParser::feed_json(const char *p, std::size_t n)
{
    bool was_done = state_->root_done;
    yajl_status rc = yajl_parse(static_cast<yajl_handle>(handle_),
                                reinterpret_cast<const unsigned char *>(p), n);
    if (rc == yajl_status_ok) {
        /* after the root only white space: yajl 2.1 takes an unterminated
           string there for more input to come, and finish() accepts it */
        if (state_->root_done
            && !detail::json_space_only(p + (was_done ? 0 : state_->root_end),
                                        p + n))
        {
            error_ = ParseError::bad_json;
            return false;
        }
        return true;
    }
    error_ = (rc == yajl_status_client_canceled
              && state_->error != ParseError::none)
             ? state_->error : ParseError::bad_json;
    return false;
}

bool HookParser::finish()
{
    if (error_ != ParseError::none) {
        return false;
    }
    if (!text_ok(text_.finish())) {
        return false;
    }
    yajl_status rc = yajl_complete_parse(static_cast<yajl_handle>(handle_));
    if (rc != yajl_status_ok) {
        error_ = (rc == yajl_status_client_canceled
                  && state_->error != ParseError::none)
                 ? state_->error : ParseError::bad_json;
        return false;
    }
    if (!state_->root_done) {
        error_ = ParseError::bad_json;
        return false;
    }
    return true;
}

}  // namespace oktatel
