/// @file identity_cache.hpp
/// A per-container cache of connection identities loaded from the connection store, so that
/// message and `$disconnect` events of a warm container do not read the store every time.
/// Entries live for a short TTL (30 s by default), the cache holds a bounded number of them,
/// and `$disconnect` drops the connection's entry. `lift::app` owns one; contexts reach it
/// through `app::handle`.
///
///     lift::identity_cache cache{{.ttl_ms = 30'000, .max_entries = 10'000}};
///     cache.put("conn-1", id, clock.now_ms());
///     if (auto hit = cache.find("conn-1", clock.now_ms())) { /* use *hit */ }
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <lift/core/identity.hpp>

namespace lift {

/// Settings of an `identity_cache`.
struct identity_cache_options {
    /// How long an entry is used after it was loaded, in milliseconds; 0 turns the cache off.
    std::int64_t ttl_ms = 30'000;
    /// Most entries kept; the oldest entry is dropped to make room. 0 turns the cache off.
    std::size_t max_entries = 10'000;
};

/// Identities by connection id with a TTL and a size bound. Thread-safe (one mutex); time is
/// passed in by the caller (`clock::now_ms()`), so tests drive expiry with a fake clock.
class identity_cache {
public:
    /// A cache with `options`.
    explicit identity_cache(identity_cache_options options = {}) : options_(options) {}

    identity_cache(const identity_cache&) = delete;
    identity_cache& operator=(const identity_cache&) = delete;

    /// The identity cached for `connection_id` if it was put less than `ttl_ms` before
    /// `now_ms`; nullopt otherwise (an expired entry is dropped).
    [[nodiscard]] std::optional<identity> find(std::string_view connection_id, std::int64_t now_ms);

    /// Caches `id` for `connection_id` from `now_ms` on, replacing an earlier entry. Drops
    /// expired entries and, when full, the oldest entry. Does nothing when the cache is off.
    void put(std::string_view connection_id, const identity& id, std::int64_t now_ms);

    /// Drops the entry of `connection_id` (called for `$disconnect`).
    void erase(std::string_view connection_id);

    /// Drops every entry.
    void clear();

    /// Entries currently held (expired ones not yet dropped included).
    [[nodiscard]] std::size_t size() const;

    /// The settings in use.
    [[nodiscard]] identity_cache_options options() const {
        const std::lock_guard<std::mutex> lock(mutex_);
        return options_;
    }

    /// Replaces the settings and drops every entry.
    void configure(identity_cache_options options);

private:
    struct entry {
        std::string connection_id;
        identity id;
        std::int64_t expires_at_ms = 0;
    };

    // Entries in insertion order; with one TTL for all, that is also expiry order.
    using list_type = std::list<entry>;

    void drop_expired(std::int64_t now_ms);

    identity_cache_options options_;
    mutable std::mutex mutex_;
    list_type entries_;
    std::unordered_map<std::string, list_type::iterator> index_;
};

}  // namespace lift
