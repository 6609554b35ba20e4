/// @file token_bucket.hpp
/// The token-bucket arithmetic shared by every rate-limit backend: a bucket holds up to `burst`
/// tokens, refills continuously at `rate_per_second`, and each admitted request takes one.
///
///     lift::protect::bucket_limit limit{.rate_per_second = 5, .burst = 10};
///     auto d = lift::protect::take_token(std::nullopt, limit, now_ms);  // a new bucket is full
///     if (!d.admitted) retry_after(d.retry_after_ms);
#pragma once

#include <cstdint>
#include <optional>

namespace lift::protect {

/// Rate and capacity of one bucket.
struct bucket_limit {
    double rate_per_second = 10;  ///< refill rate in tokens per second; must be > 0
    double burst = 20;            ///< capacity (the most requests admitted at once); must be >= 1
};

/// The stored state of one bucket.
struct bucket_state {
    double tokens = 0;            ///< tokens left at `updated_ms`
    std::int64_t updated_ms = 0;  ///< epoch ms of the last refill
};

/// What one attempt to take a token decided.
struct bucket_decision {
    bool admitted = false;  ///< a token was taken
    /// The state after refilling to `now_ms` and, when admitted, after taking the token. A
    /// rejection needs no write: refilling is a pure function of the stored state and time.
    bucket_state state;
    /// Milliseconds until one token is available again (0 when admitted).
    std::int64_t retry_after_ms = 0;
};

/// Refills `current` (nullopt = a bucket never used, which is full) up to `now_ms` and takes
/// one token if there is one. A clock that went backwards (several hosts, small skew) refills
/// nothing and keeps the newer timestamp. Pure; thread-safe.
[[nodiscard]] bucket_decision take_token(const std::optional<bucket_state>& current,
                                         const bucket_limit& limit,
                                         std::int64_t now_ms) noexcept;

/// Milliseconds an untouched bucket needs to become full again from empty:
/// `ceil(burst / rate * 1000)`. After that long, a bucket is the same as a missing one, which
/// is what lets backends forget idle buckets without changing any decision. Pure.
[[nodiscard]] std::int64_t time_to_full_ms(const bucket_limit& limit) noexcept;

}  // namespace lift::protect
