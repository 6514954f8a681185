#include "test_util.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#ifndef OKTATEL_CORPUS_DEFAULT
#define OKTATEL_CORPUS_DEFAULT "tests/corpus"
#endif
#ifndef OKTATEL_SAMPLES_DEFAULT
#define OKTATEL_SAMPLES_DEFAULT "tests/samples"
#endif

using namespace oktatel;

namespace testutil {

std::string dir_from_env(const char *var, const char *dflt)
{
    const char *v = std::getenv(var);
    return (v != nullptr && *v != '\0') ? v : dflt;
}

std::string samples_dir()
{
    return dir_from_env("OKTATEL_SAMPLES_DIR", OKTATEL_SAMPLES_DEFAULT);
}

std::string corpus_dir()
{
    return dir_from_env("OKTATEL_CORPUS_DIR", OKTATEL_CORPUS_DEFAULT);
}

std::string read_file(const std::string &path)
{
    FILE *f = std::fopen(path.c_str(), "rb");
    ck_assert_msg(f != nullptr, "cannot open %s", path.c_str());
    std::string s;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) {
        s.append(buf, n);
    }
    std::fclose(f);
    return s;
}

std::string sample(const char *name)
{
    return read_file(samples_dir() + "/" + name);
}

std::vector<std::string> list_dir(const std::string &dir)
{
    std::vector<std::string> out;
    DIR *d = opendir(dir.c_str());
    if (d == nullptr) {
        return out;
    }
    while (struct dirent *e = readdir(d)) {
        std::string path = dir + "/" + e->d_name;
        struct stat st;
        if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
            out.push_back(e->d_name);
        }
    }
    closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> hook_sample_names()
{
    std::vector<std::string> out;
    for (const std::string &n : list_dir(samples_dir())) {
        if (n.size() > 5 && n.compare(n.size() - 5, 5, ".json") == 0
            && n.compare(0, 4, "8x8-") != 0)
        {
            out.push_back(n);
        }
    }
    return out;
}

static void str_write(void *ctx, const char *s, std::size_t n)
{
    static_cast<std::string *>(ctx)->append(s, n);
}

Sink StrSink::sink()
{
    return Sink{str_write, &s};
}

std::string replace(const std::string &in, const std::string &from,
                    const std::string &to)
{
    std::size_t at = in.find(from);
    ck_assert_msg(at != std::string::npos, "'%s' not found", from.c_str());
    ck_assert_msg(in.find(from, at + 1) == std::string::npos,
                  "'%s' found twice", from.c_str());
    return in.substr(0, at) + to + in.substr(at + from.size());
}

ParseError parse(const std::string &body, RawHook *out, unsigned max_depth)
{
    HookParser p(out, nullptr, max_depth);
    if (p.feed(body.data(), body.size())) {
        p.finish();
    }
    return p.error();
}

const char *raw_diff(const RawHook &a, const RawHook &b)
{
#define CMP(f) if (a.f.view() != b.f.view()) return #f
    CMP(event_id); CMP(request_type); CMP(url_value); CMP(ip_address);
    CMP(otp_code); CMP(phone_number); CMP(delivery_channel); CMP(locale);
    CMP(msg_template); CMP(otp_expires);
#undef CMP
    if (a.present != b.present) return "present";
    if (a.wrong_type != b.wrong_type) return "wrong_type";
    if (a.too_long != b.too_long) return "too_long";
    return "";
}

bool parse_validate(const std::string &body, Hook *h, FieldError *err,
                    std::string_view default_cc)
{
    RawHook raw;
    ParseError pe = parse(body, &raw);
    ck_assert_msg(pe == ParseError::none, "parse failed: %s",
                  parse_error_text(pe));
    ValidateOptions opt{default_cc};
    return validate(raw, opt, h, err);
}

static void *c_malloc(void *ctx, std::size_t n)
{
    auto *c = static_cast<CountingAlloc *>(ctx);
    c->live++;
    c->total++;
    return std::malloc(n);
}

static void *c_realloc(void *ctx, void *p, std::size_t n)
{
    auto *c = static_cast<CountingAlloc *>(ctx);
    if (p == nullptr) {
        c->live++;
        c->total++;
    }
    return std::realloc(p, n);
}

static void c_free(void *ctx, void *p)
{
    if (p != nullptr) {
        static_cast<CountingAlloc *>(ctx)->live--;
    }
    std::free(p);
}

CountingAlloc::CountingAlloc() : live(0), total(0)
{
    af.malloc = c_malloc;
    af.realloc = c_realloc;
    af.free = c_free;
    af.ctx = this;
}

}  // namespace testutil
