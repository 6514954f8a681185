/*
 * bench/core_driver: runs the module's per-hook core work N times, the way
 * the nginx glue does it, so that callgrind can count the instructions.
 *
 *   core_driver [N] [hook.json] [8x8-reply.json] [stage]
 *
 * One iteration = one hook in sync mode:
 *   HookParser (feed + finish) -> is_preview -> validate -> mask_phone
 *   -> build_voice_request (the 8x8 body)
 *   -> parse_voice_reply (8x8's answer) -> decide -> build_okta_action
 *
 * Memory: like the glue, yajl and the Sinks allocate from a per-request
 * "pool" (a bump allocator reset after every iteration, with the same
 * size-header scheme as ot_yajl_malloc/ot_yajl_realloc); nothing here calls
 * malloc per iteration. The driver counts the heap allocations made during
 * the loop (malloc, calloc and realloc are interposed) and
 * prints them, so a regression to per-hook heap use shows.
 *
 * stage (default "answer") stops each iteration early, for a breakdown:
 *   parse     HookParser only
 *   validate  + is_preview, validate, mask_phone
 *   body      + build_voice_request          (the 8x8 body)
 *   reply     + parse_voice_reply            (8x8's answer)
 *   answer    + decide, build_okta_action    (Okta's answer): everything
 *   classify  validate, then classify_number() of the hook's destination
 *             (or $CORE_DRIVER_NUMBER, read in $CORE_DRIVER_REGION)
 *   rules     answer, plus what a production rule set adds per hook:
 *             classify_number, check_number (region allow-list, premium
 *             types denied), breaker_admit, limits_take over number,
 *             prefix and region limits, breaker_report, dedupe_fill
 *
 * With CORE_DRIVER_CACHE=1, classify and rules go through a NumberCache
 * as the glue's do: the first iteration fills it, so (N=1001) - (N=1)
 * counts a destination seen before.
 *
 * libphonenumber allocates on the heap inside every call and has no
 * allocator hook: classify and rules print heap_calls_in_loop, which is
 * not 0 there, and do not fail on it.
 *
 * Per-hook cost: run it under callgrind with N=1 and N=1001;
 * (Ir(1001) - Ir(1)) / 1000 removes start-up and file reading.
 * bench/run does that.
 */

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>

#include "abuse.hpp"
#include "jwt.hpp"
#include "number.hpp"
#include "telephony.hpp"

namespace ot = oktatel;

namespace {

/* ------------------------------------------------- the "request pool" -- */

struct Pool {
    unsigned char *base;
    std::size_t    size;
    std::size_t    used;
    std::size_t    peak;
    std::size_t    allocs;   /* allocations in this "request" */
};

void *pool_alloc(Pool *p, std::size_t n)
{
    std::size_t a = (p->used + 15) & ~static_cast<std::size_t>(15);
    if (a + n > p->size) {
        return nullptr;
    }
    p->used = a + n;
    p->allocs++;
    if (p->used > p->peak) {
        p->peak = p->used;
    }
    return p->base + a;
}

/* as ot_yajl_malloc: two size_t in front, the first the size */
void *yj_malloc(void *ctx, std::size_t size)
{
    std::size_t *h = static_cast<std::size_t *>(
        pool_alloc(static_cast<Pool *>(ctx), size + sizeof(std::size_t) * 2));
    if (h == nullptr) {
        return nullptr;
    }
    h[0] = size;
    return h + 2;
}

void *yj_realloc(void *ctx, void *ptr, std::size_t size)
{
    if (ptr == nullptr) {
        return yj_malloc(ctx, size);
    }
    std::size_t *old = static_cast<std::size_t *>(ptr) - 2;
    if (size <= old[0]) {
        return ptr;
    }
    void *n = yj_malloc(ctx, size);
    if (n == nullptr) {
        return nullptr;
    }
    std::memcpy(n, ptr, old[0]);
    return n;
}

void yj_free(void *, void *) {}

/* as ot_out_t / ot_out_write: a buffer in the pool, 512 then doubling */
struct Out {
    Pool          *pool;
    unsigned char *data;
    std::size_t    len;
    std::size_t    cap;
    bool           failed;
};

void out_write(void *ctx, const char *s, std::size_t n)
{
    Out *o = static_cast<Out *>(ctx);
    if (o->failed) {
        return;
    }
    if (o->len + n > o->cap) {
        std::size_t cap = o->cap ? o->cap * 2 : 512;
        while (cap < o->len + n) {
            cap *= 2;
        }
        unsigned char *d = static_cast<unsigned char *>(pool_alloc(o->pool,
                                                                   cap));
        if (d == nullptr) {
            o->failed = true;
            return;
        }
        if (o->len) {
            std::memcpy(d, o->data, o->len);
        }
        o->data = d;
        o->cap = cap;
    }
    std::memcpy(o->data + o->len, s, n);
    o->len += n;
}

/* ------------------------------------------------ heap use, counted -- */

/* malloc/realloc/calloc calls while counting is on (the loop) */
unsigned long heap_calls;
bool          counting;

std::string slurp(const char *path)
{
    std::FILE *f = std::fopen(path, "rb");
    if (f == nullptr) {
        std::perror(path);
        std::exit(2);
    }
    std::string s;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) {
        s.append(buf, n);
    }
    std::fclose(f);
    return s;
}

/* the same configuration as bench/nginx.conf.in's hook location */
const ot::VoiceLanguage langs[] = {
    { "fr", "fr-FR-DeniseNeural",
      "Votre code de v\xc3\xa9rification est {code}." },
};

enum Stage { st_parse, st_validate, st_body, st_reply, st_answer,
             st_classify, st_rules };

struct Result {
    std::size_t  body_len, answer_len, pool_peak, pool_allocs;
    ot::Status   status;
    std::string  body, answer;   /* only filled when asked */
};

/* A production rule set (bench/README.md): number, prefix and region
   limits, a region allow-list, premium types denied; breaker and dedupe. */
struct Rules {
    std::string_view   number, region;     /* what classify reads */
    ot::NumberRules    rules;
    ot::LimitSpec      limits[3];
    ot::WindowState    windows[3];
    ot::BreakerConfig  breaker_cfg;
    ot::BreakerState   breaker;
    ot::DedupeRecord   dedupe;
    std::uint64_t      now_ms;
    bool               cached;             /* $CORE_DRIVER_CACHE */
} rules_ctx;

ot::NumberCache numbers;                    /* as the glue's */

bool setup_rules(const char *number, const char *region)
{
    Rules *r = &rules_ctx;
    std::memset(&r->rules, 0, sizeof(r->rules));
    const char *err;
    std::size_t bad;
    std::string_view regions[] = { "allow", "US", "CA", "GB", "SG", "FR",
                                   "DE", "JM" };
    std::string_view types[] = { "deny", "premium_rate", "shared_cost",
                                 "uan", "unknown" };
    std::string_view l0[] = { "zone=okta", "key=number", "rate=3/10m" };
    std::string_view l1[] = { "zone=okta", "key=prefix", "rate=20/1h" };
    std::string_view l2[] = { "zone=okta", "key=region", "rate=1000/1h" };
    if (!ot::number_init()
        || !ot::parse_region_list(regions, 8, &r->rules, &err, &bad)
        || !ot::parse_type_list(types, 5, false, &r->rules, &err, &bad)
        || !ot::parse_limit_args(l0, 3, &r->limits[0], &err, &bad)
        || !ot::parse_limit_args(l1, 3, &r->limits[1], &err, &bad)
        || !ot::parse_limit_args(l2, 3, &r->limits[2], &err, &bad))
    {
        std::fprintf(stderr, "core_driver: rules: %s\n", err);
        return false;
    }
    for (auto &w : r->windows) {
        ot::window_init(&w);
    }
    r->breaker_cfg = ot::BreakerConfig{ 5, 30000 };
    std::memset(&r->breaker, 0, sizeof(r->breaker));
    ot::dedupe_clear(&r->dedupe);
    r->now_ms = 5000000000000ull;
    r->number = number ? number : "";
    r->region = region ? region : "";
    const char *c = std::getenv("CORE_DRIVER_CACHE");
    r->cached = c != nullptr && std::strcmp(c, "1") == 0;
    return true;
}

/* the per-hook work of the rules; false: the number was refused or
   blocked (the sample must pass) */
bool run_rules(const ot::RawHook &raw, const ot::Hook &h, ot::Status s,
               std::string_view tx, bool classify_only)
{
    Rules *r = &rules_ctx;
    ot::NumberInfo info;
    std::string_view in = r->number.empty() ? raw.phone_number.view()
                                            : r->number;
    ot::NumberError e = r->cached
        ? ot::classify_number_cached(&numbers, in, r->region, &info)
        : ot::classify_number(in, r->region, &info);
    if (classify_only) {
        return e == ot::NumberError::none;
    }
    ot::RuleText text;
    const char *reason;
    if (ot::check_number(r->rules, h.channel, e, info, &text, &reason)
        != ot::Verdict::allow)
    {
        std::fprintf(stderr, "core_driver: rules refuse the sample: %s%s\n",
                     text.data, text.empty() ? reason : "");
        return false;
    }
    /* an hour apart: the limits never fill, every hook is counted */
    r->now_ms += 3600000;
    ot::Admit a = ot::breaker_admit(&r->breaker, r->breaker_cfg, r->now_ms);
    ot::LimitCheck checks[3];
    ot::LimitZoneKey keys[3];
    for (int i = 0; i < 3; i++) {
        /* the glue hashes the key to find the entry; here the entry is
           known, the key is built as the glue must build it */
        if (!ot::limit_zone_key(r->limits[i].rule, info.e164.view(),
                                info.region, &keys[i]))
        {
            return false;
        }
        checks[i] = ot::LimitCheck{ &r->limits[i].rule, &r->windows[i] };
    }
    ot::LimitResult res;
    ot::limits_take(checks, 3, r->now_ms, &res);
    if (res.blocked >= 0 || a == ot::Admit::blocked) {
        std::fprintf(stderr, "core_driver: limits block the sample\n");
        return false;
    }
    ot::breaker_report(&r->breaker, r->breaker_cfg, a == ot::Admit::probe,
                       ot::breaker_failure(200), r->now_ms);
    ot::dedupe_claim(&r->dedupe, r->now_ms);
    return ot::dedupe_fill(&r->dedupe, s, tx, "", false, r->now_ms);
}

/* one hook; false: something failed (printed) */
bool one_hook(Pool *pool, const std::string &hook, const std::string &reply,
              Stage stage, Result *res, bool keep)
{
    yajl_alloc_funcs af = { yj_malloc, yj_realloc, yj_free, pool };
    ot::RawHook raw;
    ot::Hook h;
    ot::FieldError ferr;
    ot::ValidateOptions vopt;
    vopt.default_country_code = std::string_view();

    {
        ot::HookParser parser(&raw, &af);
        /* one body buffer, as nginx hands a small body over */
        if (!parser.feed(hook.data(), hook.size()) || !parser.finish()) {
            std::fprintf(stderr, "core_driver: parse: %s\n",
                         ot::parse_error_text(parser.error()));
            return false;
        }
    }
    res->status = ot::Status::successful;
    if (stage == st_parse) {
        return true;
    }
    if (ot::is_preview(raw)) {
        std::fprintf(stderr, "core_driver: the sample is a preview\n");
        return false;
    }
    if (!ot::validate(raw, vopt, &h, &ferr)) {
        std::fprintf(stderr, "core_driver: validate: %s %s\n",
                     ot::field_path(ferr.field), ferr.reason);
        return false;
    }
    char masked[20];
    ot::mask_phone(h.e164.view(), masked, sizeof(masked));
    if (stage == st_validate) {
        return true;
    }
    if (stage == st_classify) {
        return run_rules(raw, h, ot::Status::successful, "", true);
    }

    ot::VoiceConfig vc{ "+6512341234", "0.8", 2, langs,
                        sizeof(langs) / sizeof(langs[0]), "en" };
    Out body{ pool, nullptr, 0, 0, false };
    if (h.channel != ot::Channel::voice
        || !ot::build_voice_request(h, vc, &af, ot::Sink{ out_write, &body })
        || body.failed)
    {
        std::fprintf(stderr, "core_driver: build_voice_request failed\n");
        return false;
    }
    res->body_len = body.len;
    if (keep) {
        res->body.assign(reinterpret_cast<char *>(body.data), body.len);
    }
    if (stage == st_body) {
        return true;
    }

    ot::ProviderReply rep = ot::parse_voice_reply(200, reply.data(),
                                                  reply.size(), &af);
    if (stage == st_reply) {
        return rep.accepted;
    }
    char meta[300];
    ot::Status s = ot::decide(h.channel, 200, rep, meta, sizeof(meta));

    Out answer{ pool, nullptr, 0, 0, false };
    if (!ot::build_okta_action(s, "8x8", rep.transaction_id.view(),
                               s == ot::Status::successful
                               ? std::string_view() : std::string_view(meta),
                               &af, ot::Sink{ out_write, &answer })
        || answer.failed)
    {
        std::fprintf(stderr, "core_driver: build_okta_action failed\n");
        return false;
    }

    res->answer_len = answer.len;
    res->status = s;
    if (keep) {
        res->answer.assign(reinterpret_cast<char *>(answer.data), answer.len);
    }
    return stage != st_rules
           || run_rules(raw, h, s, rep.transaction_id.view(), false);
}

}  // namespace

/* Interposed allocation functions: count the calls made during the loop.
   glibc exports the real ones as __libc_*. */
extern "C" {

void *__libc_malloc(std::size_t);
void *__libc_calloc(std::size_t, std::size_t);
void *__libc_realloc(void *, std::size_t);
void  __libc_free(void *);

void *malloc(std::size_t n)
{
    heap_calls += counting;
    return __libc_malloc(n);
}

void *calloc(std::size_t a, std::size_t b)
{
    heap_calls += counting;
    return __libc_calloc(a, b);
}

void *realloc(void *p, std::size_t n)
{
    heap_calls += counting;
    return __libc_realloc(p, n);
}

void free(void *p)
{
    __libc_free(p);
}

}  // extern "C"

namespace {

/* "jwt": a fresh OAuth 2.0 token's check (split, header, key, RSA,
   claims), n times over the keys of $CORE_DRIVER_JWKS, the token in
   $CORE_DRIVER_TOKEN (files); what the module does once per token. */
int verify_tokens(long n)
{
    const char *jp = std::getenv("CORE_DRIVER_JWKS");
    const char *tp = std::getenv("CORE_DRIVER_TOKEN");
    if (jp == nullptr || tp == nullptr) {
        std::fprintf(stderr, "jwt: set CORE_DRIVER_JWKS and "
                     "CORE_DRIVER_TOKEN\n");
        return 2;
    }
    std::string jwks = slurp(jp), token = slurp(tp);
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) {
        token.pop_back();
    }
    static unsigned char arena[64 * 1024];
    Pool pool{ arena, sizeof(arena), 0, 0, 0 };
    yajl_alloc_funcs af = { yj_malloc, yj_realloc, yj_free, &pool };

    ot::jwt::KeySet keys;
    ot::jwt::JwksReport report{};
    if (!ot::jwt::parse_jwks(jwks, &keys, &report, nullptr)) {
        std::fprintf(stderr, "jwt: %s\n", report.error);
        return 1;
    }
    std::string_view aud[] = { "api://okta-telephony" };
    std::string_view cid[] = { "0oa1a2b3c4d5" };
    ot::jwt::Policy p{ "https://acme.okta.com/oauth2/aus1a2b3c4", aud, 1,
                       cid, 1, "okta.telephony", 120 };
    ot::jwt::Verdict v{};
    ot::jwt::Reason r = ot::jwt::Reason::internal;
    for (long i = 0; i < n; i++) {
        pool.used = 0;
        r = ot::jwt::verify(token, keys, p, std::time(nullptr), &v, &af);
    }
    std::printf("stage=jwt tokens=%ld reason=%s\n", n,
                ot::jwt::reason_name(r));
    return r == ot::jwt::Reason::ok ? 0 : 1;
}

}  // namespace

int main(int argc, char **argv)
{
    long n = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 1;
    const char *hook_path = argc > 2 ? argv[2]
                          : "tests/samples/voice-mfa-verification.json";
    const char *reply_path = argc > 3 ? argv[3]
                           : "tests/samples/8x8-voice-created.json";
    const char *stage_name = argc > 4 ? argv[4] : "answer";
    if (std::strcmp(stage_name, "jwt") == 0) {
        return verify_tokens(n);
    }
    static const char *const stages[] = { "parse", "validate", "body",
                                          "reply", "answer", "classify",
                                          "rules" };
    int stage = -1;
    for (int i = 0; i < 7; i++) {
        if (std::strcmp(stage_name, stages[i]) == 0) {
            stage = i;
        }
    }
    if (n < 1 || stage < 0) {
        std::fprintf(stderr, "usage: core_driver [N>=1] [hook] [reply] "
                     "[parse|validate|body|reply|answer|classify|rules|jwt]\n");
        return 2;
    }
    bool rules = stage >= st_classify;
    if (rules && !setup_rules(std::getenv("CORE_DRIVER_NUMBER"),
                              std::getenv("CORE_DRIVER_REGION")))
    {
        return 1;
    }
    std::string hook = slurp(hook_path);
    std::string reply = slurp(reply_path);

    /* nginx's request pool is 4k blocks; the size here only needs to hold
       one hook's allocations */
    static unsigned char arena[64 * 1024];
    Pool pool{ arena, sizeof(arena), 0, 0, 0 };

    Result first{}, res{};
    if (!one_hook(&pool, hook, reply, static_cast<Stage>(stage), &first,
                  true))
    {
        return 1;
    }
    std::size_t first_peak = pool.peak, first_allocs = pool.allocs;

    counting = true;
    for (long i = 1; i < n; i++) {
        pool.used = 0;      /* the pool is destroyed with the request */
        pool.allocs = 0;
        if (!one_hook(&pool, hook, reply, static_cast<Stage>(stage), &res,
                      false)) {
            return 1;
        }
    }
    counting = false;

    std::printf("stage=%s hooks=%ld status=%s body_bytes=%zu answer_bytes=%zu "
                "pool_bytes=%zu pool_allocs=%zu heap_calls_in_loop=%lu\n",
                stage_name, n, ot::status_name(first.status), first.body_len,
                first.answer_len, first_peak, first_allocs, heap_calls);
    if (std::getenv("CORE_DRIVER_PRINT")) {
        std::printf("8x8 body: %s\nokta answer: %s\n", first.body.c_str(),
                    first.answer.c_str());
    }
    return first.status == ot::Status::successful
           && (heap_calls == 0 || rules) ? 0 : 1;
}
