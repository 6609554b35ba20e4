/// @file retry.hpp
/// Retries in the AWS SDKs' "standard" mode: 3 attempts, exponential backoff with full jitter,
/// a client-wide retry quota, only throttling/transient errors retried, and the whole thing
/// bounded by the invocation deadline.
///
///     lift::aws::retry_policy policy;  // built once per client, shared across calls
///     lift::aws::thread_sleeper sleeper;
///     const auto deadline = clock.now_ms() + ctx.remaining_ms();
///     auto r = lift::aws::run_with_retries(policy, deadline, clock, sleeper,
///                                          [&](int attempt) { return client.put(item); });
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string_view>
#include <type_traits>
#include <utility>

#include <lift/core/clock.hpp>
#include <lift/core/result.hpp>

namespace lift::aws {

/// How a failed attempt may be retried.
enum class retry_kind {
    none = 1,        ///< not retryable (client errors, `GoneException`, ...)
    throttling = 2,  ///< the service asked us to slow down
    transient = 3,   ///< a temporary server or network failure
};

/// Classifies an AWS error response as botocore's standard mode does.
///
/// - `none` for HTTP 410 or `GoneException`, always (a gone connection never comes back);
/// - `throttling` for the codes `Throttling`, `ThrottlingException`, `ThrottledException`,
///   `RequestThrottledException`, `TooManyRequestsException`,
///   `ProvisionedThroughputExceededException`, `TransactionInProgressException`,
///   `RequestLimitExceeded`, `BandwidthLimitExceeded`, `LimitExceededException`,
///   `RequestThrottled`, `SlowDown`, `PriorRequestNotComplete`, `EC2ThrottledException`;
/// - `transient` for HTTP 500/502/503/504, the codes `RequestTimeout`,
///   `RequestTimeoutException`, `PriorRequestNotComplete` (listed in both; throttling wins),
///   or when `connection_error` is set (no response: connect/read failure or timeout);
/// - `none` otherwise.
///
/// `error_code` is the bare code (after the last `#`, before any `:`); pass 0 as
/// `http_status` when there was no response. Pure; thread-safe.
[[nodiscard]] retry_kind classify(int http_status,
                                  std::string_view error_code,
                                  bool connection_error = false);

/// Classifies a `lift::error` by its condition: `condition::gone` → `none`,
/// `condition::throttled` → `throttling`, `condition::retryable` → `transient`, anything else
/// → `none`. Wire clients map AWS errors to codes with these conditions (e.g.
/// `errc::limit_exceeded`, `errc::unavailable`, `errc::timeout`). Pure; thread-safe.
[[nodiscard]] retry_kind classify(const error& e);

/// Whether `e` is a timeout (`errc::timeout`), which costs more retry quota. Thread-safe.
[[nodiscard]] bool is_timeout_error(const error& e);

/// Numbers of standard mode. The defaults are the SDKs'; the backoff base is 50 ms.
struct retry_options {
    int max_attempts = 3;                   ///< total attempts, including the first (>= 1)
    std::chrono::milliseconds base{50};     ///< delay ceiling after the first failure
    std::chrono::milliseconds cap{20'000};  ///< maximum delay ceiling
    int initial_quota = 500;                ///< retry quota tokens at start (also the maximum)
    int retry_cost = 5;                     ///< tokens a retry takes
    int timeout_retry_cost = 10;            ///< tokens a retry after a timeout takes
    int no_retry_increment = 1;             ///< tokens a first-attempt success gives back
};

/// Backoff and retry quota of one client. Build one per client and share it across calls.
///
/// Delay before retry number n (n = 1 after the first failure):
/// `jitter() * min(cap, base * 2^(n-1))`, truncated to whole milliseconds, where `jitter()`
/// returns a value in [0, 1) (values outside [0, 1] are clamped; 1.0 is allowed so tests can
/// ask for the ceiling).
///
/// Quota (botocore's `RetryQuotaChecker`): starts at `initial_quota`; each retry first
/// acquires `retry_cost` tokens (`timeout_retry_cost` after a timeout) and is not made if
/// fewer tokens are left. When a call finally succeeds, the tokens of its last acquired retry
/// are returned if it needed retries, otherwise `no_retry_increment` tokens are added; the
/// quota never exceeds `initial_quota`. Failed calls return nothing.
///
/// Thread-safe: the quota and the random generator are guarded by a mutex; the jitter
/// function is called with that mutex held, so it must not call back into the policy.
/// Not copyable or movable.
class retry_policy {
public:
    /// Standard mode with a `std::mt19937_64` jitter seeded from `std::random_device`.
    retry_policy();

    /// Custom numbers; `jitter` returns values in [0, 1), or is empty for the default random
    /// source. Precondition: `options.max_attempts >= 1`, non-negative durations and costs.
    explicit retry_policy(retry_options options, std::function<double()> jitter = {});

    retry_policy(const retry_policy&) = delete;
    retry_policy& operator=(const retry_policy&) = delete;

    /// The numbers in use.
    [[nodiscard]] const retry_options& options() const noexcept { return options_; }

    /// The upper bound of the delay before retry number `retry` (1-based):
    /// `min(cap, base * 2^(retry-1))`.
    [[nodiscard]] std::chrono::milliseconds max_delay(int retry) const noexcept;

    /// Draws the jittered delay before retry number `retry` (1-based).
    [[nodiscard]] std::chrono::milliseconds delay(int retry);

    /// Takes quota for one retry; returns the tokens taken, or `std::nullopt` (taking none)
    /// when too few are left.
    [[nodiscard]] std::optional<int> acquire_retry(bool after_timeout);

    /// Records a successful call: returns `acquired` tokens (the last retry's cost) when
    /// positive, else adds `no_retry_increment`; capped at `initial_quota`.
    void record_success(int acquired);

    /// Tokens left in the quota.
    [[nodiscard]] int available_quota() const;

private:
    retry_options options_;
    std::function<double()> jitter_;
    mutable std::mutex mutex_;
    std::mt19937_64 engine_;
    int quota_;
};

/// Waits between attempts; an interface so tests do not sleep.
class sleeper {
public:
    virtual ~sleeper() = default;

    /// Blocks the calling thread for `duration` (or pretends to).
    virtual void sleep_for(std::chrono::milliseconds duration) = 0;
};

/// Sleeps with `std::this_thread::sleep_for`. Thread-safe.
class thread_sleeper final : public sleeper {
public:
    /// Blocks the calling thread for `duration`.
    void sleep_for(std::chrono::milliseconds duration) override;
};

/// Runs `attempt(n)` (n = 1, 2, ...; returns a `lift::result<T>`) until it succeeds or one of
/// these stops it, returning the last result unchanged:
/// - the error is not retryable (`classify(const error&)` gives `none`);
/// - `policy.options().max_attempts` attempts were made;
/// - the next retry would start at or after `deadline_ms` (Unix epoch ms on `clk`): now plus
///   the drawn delay is checked before sleeping;
/// - the retry quota has too few tokens.
/// The first attempt always runs. On success the quota is refilled per `retry_policy`.
/// `policy`, `clk` and `sleep` are used only during the call. Thread-safe if `attempt` and
/// `sleep` are (the policy is).
template <class F>
auto run_with_retries(retry_policy& policy,
                      std::int64_t deadline_ms,
                      const lift::clock& clk,
                      sleeper& sleep,
                      F attempt) -> std::invoke_result_t<F&, int> {
    int acquired = 0;
    for (int n = 1;; ++n) {
        auto outcome = attempt(n);
        if (outcome.has_value()) {
            policy.record_success(acquired);
            return outcome;
        }
        if (n >= policy.options().max_attempts || classify(outcome.error()) == retry_kind::none) {
            return outcome;
        }
        const std::chrono::milliseconds wait = policy.delay(n);
        if (clk.now_ms() + wait.count() >= deadline_ms) {
            return outcome;
        }
        const std::optional<int> cost = policy.acquire_retry(is_timeout_error(outcome.error()));
        if (!cost) {
            return outcome;
        }
        acquired = *cost;
        sleep.sleep_for(wait);
    }
}

}  // namespace lift::aws
