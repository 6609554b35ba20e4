/// @file rate_limit_store.hpp
/// Where token buckets live: the `rate_limit_store` interface and `memory_rate_limit_store`
/// (one process; thread-safe; bounded memory). `dynamodb_rate_limit_store.hpp` shares buckets
/// between Lambda instances.
///
///     lift::protect::memory_rate_limit_store store;
///     auto d = store.take("user#alice", {.rate_per_second = 5, .burst = 10}, now_ms, 0);
///     if (d && !d->admitted) ...;
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <lift/core/result.hpp>
#include <lift/protect/token_bucket.hpp>

namespace lift::protect {

/// Storage of token buckets keyed by an opaque string. Implementations are thread-safe.
class rate_limit_store {
public:
    virtual ~rate_limit_store() = default;

    /// Takes one token from the bucket `key` (a bucket never seen is full) at time `now_ms`.
    /// `deadline_ms` (epoch ms on the system clock, 0 = none) bounds any remote call. An error
    /// means the store could not decide (the middleware then applies its fail-open/fail-closed
    /// setting).
    [[nodiscard]] virtual result<bucket_decision> take(std::string_view key,
                                                       const bucket_limit& limit,
                                                       std::int64_t now_ms,
                                                       std::int64_t deadline_ms) = 0;
};

/// Settings of `memory_rate_limit_store`.
struct memory_rate_limit_options {
    /// The most buckets kept. When full, the least recently used bucket is dropped (that key
    /// then starts full again, i.e. the limit errs on the permissive side, never blocks more).
    std::size_t max_buckets = 100'000;
};

/// Token buckets in process memory: exact for one process (one gateway, one Lambda instance).
/// Buckets idle long enough to be full again are forgotten on later calls (no timers, no
/// background thread), so memory follows the number of recently active keys, capped by
/// `max_buckets`. Thread-safe (one mutex).
class memory_rate_limit_store final : public rate_limit_store {
public:
    /// A store with `options`.
    explicit memory_rate_limit_store(memory_rate_limit_options options = {});

    memory_rate_limit_store(const memory_rate_limit_store&) = delete;
    memory_rate_limit_store& operator=(const memory_rate_limit_store&) = delete;

    /// See `rate_limit_store::take`; never fails.
    [[nodiscard]] result<bucket_decision> take(std::string_view key,
                                               const bucket_limit& limit,
                                               std::int64_t now_ms,
                                               std::int64_t deadline_ms) override;

    /// Buckets currently held (for tests and metrics).
    [[nodiscard]] std::size_t size() const;

private:
    struct entry {
        bucket_state state;
        std::int64_t full_at_ms = 0;  // when the bucket is full again if left alone
        std::list<std::string>::iterator lru;
    };

    void evict_idle(std::int64_t now_ms);

    memory_rate_limit_options options_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, entry> buckets_;
    std::list<std::string> lru_;  // most recently used first
};

}  // namespace lift::protect
