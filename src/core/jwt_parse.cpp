/*
 * The token's text: base64url, the three parts, the JOSE header and the
 * claims. yajl reads both JSON objects with callbacks: members that matter
 * are kept bounded or decided on the spot, the rest is skipped; nesting is
 * capped, a member given twice or with another type refuses the token.
 */

#include <cstring>

#include <yajl/yajl_parse.h>

#include "core_util.hpp"
#include "jwt.hpp"

namespace oktatel {
namespace jwt {

namespace {

/* 0..63, or -1 */
int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-') {
        return 62;
    }
    if (c == '_') {
        return 63;
    }
    return -1;
}

/* what may be logged of a claim: [A-Za-z0-9._:/@+=-], others as '?' */
template <std::size_t N>
void keep_printable(FixedStr<N> *out, const unsigned char *s, std::size_t n)
{
    std::size_t o = 0;
    for (std::size_t i = 0; i < n && o < N; i++) {
        unsigned char c = s[i];
        bool ok = detail::is_alnum(c) || c == '.' || c == '_' || c == ':'
                  || c == '/' || c == '@' || c == '+' || c == '='
                  || c == '-';
        out->data[o++] = ok ? static_cast<char>(c) : '?';
    }
    out->len = o;
    out->data[o] = '\0';
}

/* A JSON number as whole seconds: digits with an optional fraction (cut
   off), at most 15 digits before it; no sign, no exponent. */
bool parse_seconds(const char *s, std::size_t n, std::int64_t *out)
{
    std::int64_t v = 0;
    std::size_t i = 0;
    for (; i < n && detail::is_digit(static_cast<unsigned char>(s[i])); i++) {
        if (i >= 15) {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    if (i == 0) {
        return false;
    }
    if (i < n) {
        if (s[i] != '.' || i + 1 == n) {
            return false;
        }
        for (i++; i < n; i++) {
            if (!detail::is_digit(static_cast<unsigned char>(s[i]))) {
                return false;
            }
        }
    }
    *out = v;
    return true;
}

bool sv_eq(const unsigned char *s, std::size_t n, std::string_view b)
{
    return n == b.size() && (n == 0 || std::memcmp(s, b.data(), n) == 0);
}

/* Runs yajl over one whole object; false if it is not exactly one JSON
   object followed by nothing but white space. */
bool run_yajl(const yajl_callbacks *cb, void *state, std::size_t *root_end,
              void **handle, std::string_view json,
              const yajl_alloc_funcs *af)
{
    if (json.empty()) {
        return false;
    }
    yajl_handle h = yajl_alloc(cb, const_cast<yajl_alloc_funcs *>(af), state);
    if (h == nullptr) {
        return false;
    }
    *handle = h;
    *root_end = 0;
    const unsigned char *p = reinterpret_cast<const unsigned char *>(
                                 json.data());
    bool ok = yajl_parse(h, p, json.size()) == yajl_status_ok
              && yajl_complete_parse(h) == yajl_status_ok
              && *root_end > 0
              && detail::json_space_only(json.data() + *root_end,
                                         json.data() + json.size());
    yajl_free(h);
    *handle = nullptr;
    return ok;
}


/* ------------------------------------------------------------- header -- */

enum HKey : std::uint8_t { h_none, h_alg, h_kid, h_crit };

struct HeaderState {
    Header       *out;
    unsigned      depth;
    HKey          pending;
    bool          seen_alg, seen_kid, bad;
    std::size_t   root_end;
    void         *handle;
};

HeaderState *hs(void *ctx) { return static_cast<HeaderState *>(ctx); }

/* a value at depth 1 for the pending member; strings only for alg, kid */
int h_value(void *ctx, const unsigned char *s, std::size_t n, bool is_str)
{
    HeaderState *st = hs(ctx);
    if (st->depth == 0) {
        return 0;
    }
    HKey k = st->depth == 1 ? st->pending : h_none;
    st->pending = h_none;
    if (k == h_alg) {
        if (st->seen_alg || !is_str) {
            st->bad = true;
            return 0;
        }
        st->seen_alg = true;
        if (!st->out->alg.assign(reinterpret_cast<const char *>(s), n)) {
            st->out->alg.assign("?", 1);   /* not an alg we know */
        }
    } else if (k == h_kid) {
        if (st->seen_kid || !is_str
            || !st->out->kid.assign(reinterpret_cast<const char *>(s), n))
        {
            st->bad = true;
            return 0;
        }
        st->seen_kid = true;
        st->out->has_kid = true;
    }
    return 1;
}

int h_null(void *ctx) { return h_value(ctx, nullptr, 0, false); }
int h_bool(void *ctx, int) { return h_value(ctx, nullptr, 0, false); }
int h_number(void *ctx, const char *, std::size_t)
{
    return h_value(ctx, nullptr, 0, false);
}
int h_string(void *ctx, const unsigned char *s, std::size_t n)
{
    return h_value(ctx, s, n, true);
}

int h_open(void *ctx, bool is_map)
{
    HeaderState *st = hs(ctx);
    if ((st->depth == 0 && !is_map) || st->depth >= json_max_depth) {
        return 0;
    }
    if (st->depth == 1 && st->pending != h_none) {
        /* alg or kid as a container; crit in any form */
        st->bad = true;
        return 0;
    }
    st->depth++;
    return 1;
}

int h_start_map(void *ctx) { return h_open(ctx, true); }
int h_start_array(void *ctx) { return h_open(ctx, false); }

int h_end(void *ctx)
{
    HeaderState *st = hs(ctx);
    if (--st->depth == 0) {
        st->root_end = yajl_get_bytes_consumed(
                           static_cast<yajl_handle>(st->handle));
    }
    st->pending = h_none;
    return 1;
}

int h_key(void *ctx, const unsigned char *k, std::size_t n)
{
    HeaderState *st = hs(ctx);
    st->pending = h_none;
    if (st->depth != 1) {
        return 1;
    }
    if (sv_eq(k, n, "alg")) {
        st->pending = h_alg;
    } else if (sv_eq(k, n, "kid")) {
        st->pending = h_kid;
    } else if (sv_eq(k, n, "crit")) {
        /* no extension is understood (RFC 7515, 4.1.11) */
        st->bad = true;
        return 0;
    }
    return 1;
}

const yajl_callbacks header_callbacks = {
    h_null, h_bool, nullptr, nullptr, h_number, h_string,
    h_start_map, h_key, h_end, h_start_array, h_end,
};


/* ------------------------------------------------------------- claims -- */

enum CKey : std::uint8_t {
    c_none, c_iss, c_aud, c_cid, c_scp, c_exp, c_nbf, c_iat, c_count
};

struct ClaimState {
    const Policy *p;
    Claims       *out;
    unsigned      depth;
    CKey          pending;
    CKey          in_array;     /* aud or scp array at depth 2 */
    bool          seen[c_count];
    bool          bad;
    std::size_t   root_end;
    void         *handle;
};

ClaimState *cs(void *ctx) { return static_cast<ClaimState *>(ctx); }

void match_aud(ClaimState *st, const unsigned char *s, std::size_t n)
{
    for (std::size_t i = 0; i < st->p->naudiences; i++) {
        if (sv_eq(s, n, st->p->audiences[i])) {
            st->out->aud_ok = true;
        }
    }
}

/* a scope string: one scope, or several separated by spaces */
void match_scope(ClaimState *st, const unsigned char *s, std::size_t n)
{
    std::size_t i = 0;
    while (i < n) {
        std::size_t j = i;
        while (j < n && s[j] != ' ') {
            j++;
        }
        if (j > i && !st->p->scope.empty()
            && sv_eq(s + i, j - i, st->p->scope))
        {
            st->out->scope_ok = true;
        }
        i = j + 1;
    }
}

int c_string_claim(ClaimState *st, CKey k, const unsigned char *s,
                   std::size_t n)
{
    Claims *c = st->out;
    switch (k) {
    case c_iss:
        c->iss_ok = !st->p->issuer.empty() && sv_eq(s, n, st->p->issuer);
        keep_printable(&c->iss, s, n);
        return 1;
    case c_aud:
        match_aud(st, s, n);
        return 1;
    case c_cid:
        for (std::size_t i = 0; i < st->p->nclient_ids; i++) {
            if (sv_eq(s, n, st->p->client_ids[i])) {
                c->cid_ok = true;
            }
        }
        keep_printable(&c->cid, s, n);
        return 1;
    case c_scp:
        match_scope(st, s, n);
        return 1;
    default:
        st->bad = true;    /* a time as a string */
        return 0;
    }
}

int c_number_claim(ClaimState *st, CKey k, const char *s, std::size_t n)
{
    Claims *c = st->out;
    std::int64_t v;
    if ((k != c_exp && k != c_nbf && k != c_iat) || !parse_seconds(s, n, &v)) {
        st->bad = true;
        return 0;
    }
    if (k == c_exp) {
        c->has_exp = true;
        c->exp = v;
    } else if (k == c_nbf) {
        c->has_nbf = true;
        c->nbf = v;
    } else {
        c->has_iat = true;
        c->iat = v;
    }
    return 1;
}

/* kind: 's' string, 'n' number, 'o' null or boolean */
int c_value(void *ctx, const unsigned char *s, std::size_t n, char kind)
{
    ClaimState *st = cs(ctx);
    if (st->depth == 0) {
        return 0;
    }
    if (st->depth == 2 && st->in_array != c_none) {
        if (kind != 's') {
            st->bad = true;
            return 0;
        }
        return c_string_claim(st, st->in_array, s, n);
    }
    CKey k = st->depth == 1 ? st->pending : c_none;
    st->pending = c_none;
    if (k == c_none) {
        return 1;
    }
    if (kind == 's') {
        return c_string_claim(st, k, s, n);
    }
    if (kind == 'n') {
        return c_number_claim(st, k, reinterpret_cast<const char *>(s), n);
    }
    st->bad = true;
    return 0;
}

int c_null(void *ctx) { return c_value(ctx, nullptr, 0, 'o'); }
int c_bool(void *ctx, int) { return c_value(ctx, nullptr, 0, 'o'); }
int c_number(void *ctx, const char *s, std::size_t n)
{
    return c_value(ctx, reinterpret_cast<const unsigned char *>(s), n, 'n');
}
int c_string(void *ctx, const unsigned char *s, std::size_t n)
{
    return c_value(ctx, s, n, 's');
}

int c_open(void *ctx, bool is_map)
{
    ClaimState *st = cs(ctx);
    if ((st->depth == 0 && !is_map) || st->depth >= json_max_depth) {
        return 0;
    }
    if (st->depth == 1 && st->pending != c_none) {
        /* only aud and scp may be arrays, of strings */
        if (is_map || (st->pending != c_aud && st->pending != c_scp)) {
            st->bad = true;
            return 0;
        }
        st->in_array = st->pending;
    } else if (st->depth == 2 && st->in_array != c_none) {
        st->bad = true;
        return 0;
    }
    st->pending = c_none;
    st->depth++;
    return 1;
}

int c_start_map(void *ctx) { return c_open(ctx, true); }
int c_start_array(void *ctx) { return c_open(ctx, false); }

int c_end(void *ctx)
{
    ClaimState *st = cs(ctx);
    if (--st->depth == 0) {
        st->root_end = yajl_get_bytes_consumed(
                           static_cast<yajl_handle>(st->handle));
    }
    if (st->depth == 1) {
        st->in_array = c_none;
    }
    st->pending = c_none;
    return 1;
}

int c_key(void *ctx, const unsigned char *k, std::size_t n)
{
    static const struct { const char *name; CKey key; } names[] = {
        { "iss", c_iss }, { "aud", c_aud }, { "cid", c_cid },
        { "scp", c_scp }, { "exp", c_exp }, { "nbf", c_nbf },
        { "iat", c_iat },
    };
    ClaimState *st = cs(ctx);
    st->pending = c_none;
    if (st->depth != 1) {
        return 1;
    }
    for (const auto &e : names) {
        if (sv_eq(k, n, e.name)) {
            if (st->seen[e.key]) {
                st->bad = true;
                return 0;
            }
            st->seen[e.key] = true;
            st->pending = e.key;
            break;
        }
    }
    return 1;
}

const yajl_callbacks claim_callbacks = {
    c_null, c_bool, nullptr, nullptr, c_number, c_string,
    c_start_map, c_key, c_end, c_start_array, c_end,
};

}  // namespace


bool base64url_decode(std::string_view in, std::string *out)
{
    std::size_t n = in.size();
    out->clear();
    if (n % 4 == 1) {
        return false;
    }
    out->reserve(n / 4 * 3 + 2);
    std::uint32_t acc = 0;
    unsigned bits = 0;
    for (std::size_t i = 0; i < n; i++) {
        int v = b64url_value(static_cast<unsigned char>(in[i]));
        if (v < 0) {
            return false;
        }
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out->push_back(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    /* the bits left over must be zero: one encoding per byte string */
    return (acc & ((1u << bits) - 1)) == 0;
}


bool bearer_token(std::string_view h, std::string_view *token)
{
    static const char scheme[] = "bearer";
    std::size_t n = sizeof(scheme) - 1, i;
    if (h.size() <= n + 1) {
        return false;
    }
    for (i = 0; i < n; i++) {
        if (detail::lower(h[i]) != scheme[i]) {
            return false;
        }
    }
    if (h[n] != ' ') {
        return false;
    }
    for (i = n; i < h.size() && h[i] == ' '; i++) {
        /* void */
    }
    std::size_t e = h.size();
    while (e > i && h[e - 1] == ' ') {
        e--;
    }
    if (i == e) {
        return false;
    }
    *token = h.substr(i, e - i);
    return true;
}


Reason split(std::string_view t, Parts *out)
{
    if (t.size() > token_max) {
        return Reason::too_large;
    }
    std::size_t d1 = t.find('.');
    if (d1 == std::string_view::npos) {
        return Reason::malformed;
    }
    std::size_t d2 = t.find('.', d1 + 1);
    if (d2 == std::string_view::npos
        || t.find('.', d2 + 1) != std::string_view::npos)
    {
        return Reason::malformed;
    }
    out->header = t.substr(0, d1);
    out->payload = t.substr(d1 + 1, d2 - d1 - 1);
    out->signature = t.substr(d2 + 1);
    out->signing_input = t.substr(0, d2);
    /* an empty signature is left to the alg rule: "alg none refused"
       says more than "malformed" */
    if (out->header.empty() || out->payload.empty()) {
        return Reason::malformed;
    }
    return Reason::ok;
}


Reason parse_header(std::string_view json, Header *out,
                    const yajl_alloc_funcs *af)
{
    HeaderState st{};
    out->alg.clear();
    out->kid.clear();
    out->has_kid = false;
    st.out = out;
    if (!run_yajl(&header_callbacks, &st, &st.root_end, &st.handle, json, af)
        || st.bad)
    {
        return Reason::bad_header;
    }
    return Reason::ok;
}


Reason parse_claims(std::string_view json, const Policy &p, Claims *out,
                    const yajl_alloc_funcs *af)
{
    ClaimState st{};
    *out = Claims{};
    out->iss.clear();
    out->cid.clear();
    st.p = &p;
    st.out = out;
    if (!run_yajl(&claim_callbacks, &st, &st.root_end, &st.handle, json, af)
        || st.bad)
    {
        return Reason::bad_payload;
    }
    return Reason::ok;
}


Reason check_claims(const Claims &c, const Policy &p, std::int64_t now)
{
    if (!c.iss_ok) {
        return Reason::wrong_iss;
    }
    if (!c.aud_ok) {
        return Reason::wrong_aud;
    }
    if (!c.cid_ok) {
        return Reason::wrong_cid;
    }
    if (!p.scope.empty() && !c.scope_ok) {
        return Reason::missing_scope;
    }
    if (!c.has_exp) {
        return Reason::no_exp;
    }
    if (now >= c.exp + p.leeway) {
        return Reason::expired;
    }
    if (c.has_nbf && c.nbf - p.leeway > now) {
        return Reason::not_yet_valid;
    }
    if (c.has_iat && c.iat - p.leeway > now) {
        return Reason::issued_in_future;
    }
    return Reason::ok;
}

}  // namespace jwt
}  // namespace oktatel
