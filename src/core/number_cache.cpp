/*
 * The worker's cache of classified destinations (number.hpp): a fixed
 * table in front of classify_number().
 */

#include "number.hpp"

namespace oktatel {

namespace {

/* FNV-1a: spreads digits that differ only at the end over the slots. The
   hash only picks a slot; the key is compared in full. */
std::size_t slot_of(std::string_view key)
{
    std::uint64_t h = 14695981039346656037ULL;
    for (unsigned char c : key) {
        h = (h ^ c) * 1099511628211ULL;
    }
    return static_cast<std::size_t>(h >> 32) % NumberCache::slots;
}

bool cache_key(std::string_view in, std::string_view region,
               FixedStr<47> *key)
{
    std::size_t n = region.size() + 1 + in.size();
    if (in.empty() || n > FixedStr<47>::capacity) {
        return false;
    }
    for (std::size_t i = 0; i < region.size(); i++) {
        key->data[i] = region[i];
    }
    key->data[region.size()] = ':';
    for (std::size_t i = 0; i < in.size(); i++) {
        key->data[region.size() + 1 + i] = in[i];
    }
    key->data[n] = '\0';
    key->len = n;
    return true;
}

}  // namespace

NumberError classify_number_cached(NumberCache *c, std::string_view in,
                                   std::string_view default_region,
                                   NumberInfo *out) noexcept
{
    FixedStr<47> key;
    if (c == nullptr || !cache_key(in, default_region, &key)) {
        return classify_number(in, default_region, out);
    }

    NumberCache::Entry &e = c->entry[slot_of(key.view())];
    if (e.key.len == key.len && e.key.view() == key.view()) {
        c->hits++;
        *out = e.info;
        return e.err;
    }

    c->misses++;
    NumberError err = classify_number(in, default_region, out);
    if (err != NumberError::internal) {
        e.key = key;
        e.info = *out;
        e.err = err;
    }
    return err;
}

}  // namespace oktatel
