#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <lift/aws/retry.hpp>

#include "fake_clock.hpp"

namespace {

using lift::aws::retry_kind;
using lift::aws::retry_options;
using lift::aws::retry_policy;
using std::chrono::milliseconds;

// Records each requested sleep and advances the fake clock by it.
class recording_sleeper final : public lift::aws::sleeper {
public:
    explicit recording_sleeper(lift::test::fake_clock& clock) : clock_(clock) {}

    void sleep_for(milliseconds duration) override {
        sleeps.push_back(duration);
        clock_.advance(duration.count());
    }

    std::vector<milliseconds> sleeps;

private:
    lift::test::fake_clock& clock_;
};

retry_policy fixed_policy(double jitter, retry_options options = {}) {
    return retry_policy(options, [jitter] { return jitter; });
}

constexpr std::int64_t far_deadline = 1'700'000'000'000 + 900'000;

TEST(retry_policy, delays_with_fixed_jitter) {
    retry_policy policy(retry_options{}, [] { return 1.0; });
    EXPECT_EQ(policy.delay(1), milliseconds(50));
    EXPECT_EQ(policy.delay(2), milliseconds(100));
    EXPECT_EQ(policy.delay(3), milliseconds(200));
    EXPECT_EQ(policy.delay(9), milliseconds(12'800));
    EXPECT_EQ(policy.delay(10), milliseconds(20'000));
    EXPECT_EQ(policy.delay(100), milliseconds(20'000));
    EXPECT_EQ(policy.max_delay(1000), milliseconds(20'000));
}

TEST(retry_policy, jitter_scales_and_is_clamped) {
    double value = 0.5;
    retry_policy policy(retry_options{}, [&value] { return value; });
    EXPECT_EQ(policy.delay(2), milliseconds(50));
    value = 0.0;
    EXPECT_EQ(policy.delay(3), milliseconds(0));
    value = -3.0;
    EXPECT_EQ(policy.delay(3), milliseconds(0));
    value = 7.0;
    EXPECT_EQ(policy.delay(3), milliseconds(200));
}

TEST(retry_policy, full_jitter_bounds_with_random_source) {
    retry_policy policy;
    for (int retry = 1; retry <= 12; ++retry) {
        const milliseconds ceiling = policy.max_delay(retry);
        milliseconds lowest = ceiling;
        milliseconds highest{0};
        for (int i = 0; i < 2000; ++i) {
            const milliseconds d = policy.delay(retry);
            ASSERT_GE(d.count(), 0);
            ASSERT_LE(d, ceiling);
            lowest = std::min(lowest, d);
            highest = std::max(highest, d);
        }
        // Full jitter spreads over the whole range, not just near the ceiling.
        EXPECT_LT(lowest.count(), ceiling.count() / 4) << "retry " << retry;
        EXPECT_GT(highest.count(), ceiling.count() * 3 / 4) << "retry " << retry;
    }
}

TEST(retry_classify, table) {
    struct row {
        int status;
        std::string code;
        bool connection_error;
        retry_kind expected;
    };

    const std::vector<row> rows{
        {400, "ThrottlingException", false, retry_kind::throttling},
        {400, "ProvisionedThroughputExceededException", false, retry_kind::throttling},
        {400, "RequestLimitExceeded", false, retry_kind::throttling},
        {400, "TransactionInProgressException", false, retry_kind::throttling},
        {429, "LimitExceededException", false, retry_kind::throttling},
        {429, "TooManyRequestsException", false, retry_kind::throttling},
        {400, "Throttling", false, retry_kind::throttling},
        {400, "ThrottledException", false, retry_kind::throttling},
        {400, "RequestThrottledException", false, retry_kind::throttling},
        {400, "BandwidthLimitExceeded", false, retry_kind::throttling},
        {400, "RequestThrottled", false, retry_kind::throttling},
        {503, "SlowDown", false, retry_kind::throttling},
        {400, "PriorRequestNotComplete", false, retry_kind::throttling},
        {400, "EC2ThrottledException", false, retry_kind::throttling},
        {500, "InternalServerError", false, retry_kind::transient},
        {502, "", false, retry_kind::transient},
        {503, "ServiceUnavailable", false, retry_kind::transient},
        {504, "", false, retry_kind::transient},
        {408, "RequestTimeout", false, retry_kind::transient},
        {400, "RequestTimeoutException", false, retry_kind::transient},
        {0, "", true, retry_kind::transient},
        {400, "ConditionalCheckFailedException", false, retry_kind::none},
        {400, "ValidationException", false, retry_kind::none},
        {400, "TransactionCanceledException", false, retry_kind::none},
        {403, "ForbiddenException", false, retry_kind::none},
        {413, "PayloadTooLargeException", false, retry_kind::none},
        {501, "", false, retry_kind::none},
        {410, "GoneException", false, retry_kind::none},
        {410, "", false, retry_kind::none},
        {410, "", true, retry_kind::none},
        {0, "GoneException", true, retry_kind::none},
        {200, "", false, retry_kind::none},
    };
    for (const row& r : rows) {
        EXPECT_EQ(lift::aws::classify(r.status, r.code, r.connection_error), r.expected)
            << r.status << " " << r.code << " " << r.connection_error;
    }
}

TEST(retry_classify, errors_by_condition) {
    EXPECT_EQ(lift::aws::classify(lift::fail(lift::errc::limit_exceeded, "")),
              retry_kind::throttling);
    EXPECT_EQ(lift::aws::classify(lift::fail(lift::errc::unavailable, "")), retry_kind::transient);
    EXPECT_EQ(lift::aws::classify(lift::fail(lift::errc::timeout, "")), retry_kind::transient);
    EXPECT_EQ(lift::aws::classify(lift::fail(lift::errc::gone, "")), retry_kind::none);
    EXPECT_EQ(lift::aws::classify(lift::fail(lift::errc::invalid_argument, "")), retry_kind::none);
    EXPECT_TRUE(lift::aws::is_timeout_error(lift::fail(lift::errc::timeout, "")));
    EXPECT_FALSE(lift::aws::is_timeout_error(lift::fail(lift::errc::unavailable, "")));
}

// Runs an operation failing with `code` for the first `failures` attempts.
struct scripted {
    int failures;
    lift::errc code;
    std::vector<int> seen{};

    lift::result<int> operator()(int attempt) {
        seen.push_back(attempt);
        if (static_cast<int>(seen.size()) <= failures) {
            return lift::fail(code, "attempt failed");
        }
        return attempt;
    }
};

TEST(retry_driver, success_first_time) {
    lift::test::fake_clock clock;
    recording_sleeper sleeper(clock);
    auto policy = fixed_policy(1.0);
    scripted op{0, lift::errc::unavailable};
    const auto r = lift::aws::run_with_retries(policy, far_deadline, clock, sleeper,
                                               [&op](int n) { return op(n); });
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 1);
    EXPECT_TRUE(sleeper.sleeps.empty());
}

TEST(retry_driver, retries_then_succeeds_with_backoff) {
    lift::test::fake_clock clock;
    recording_sleeper sleeper(clock);
    auto policy = fixed_policy(1.0);
    scripted op{2, lift::errc::limit_exceeded};
    const auto r = lift::aws::run_with_retries(policy, far_deadline, clock, sleeper,
                                               [&op](int n) { return op(n); });
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 3);
    EXPECT_EQ(op.seen, (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(sleeper.sleeps, (std::vector<milliseconds>{milliseconds(50), milliseconds(100)}));
}

TEST(retry_driver, non_retryable_stops_at_once) {
    for (const auto code :
         {lift::errc::gone, lift::errc::invalid_argument, lift::errc::forbidden}) {
        lift::test::fake_clock clock;
        recording_sleeper sleeper(clock);
        auto policy = fixed_policy(1.0);
        scripted op{5, code};
        const auto r = lift::aws::run_with_retries(policy, far_deadline, clock, sleeper,
                                                   [&op](int n) { return op(n); });
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, code);
        EXPECT_EQ(op.seen.size(), 1U);
        EXPECT_TRUE(sleeper.sleeps.empty());
        EXPECT_EQ(policy.available_quota(), 500);
    }
}

TEST(retry_driver, stops_after_three_attempts) {
    lift::test::fake_clock clock;
    recording_sleeper sleeper(clock);
    auto policy = fixed_policy(1.0);
    scripted op{10, lift::errc::unavailable};
    const auto r = lift::aws::run_with_retries(policy, far_deadline, clock, sleeper,
                                               [&op](int n) { return op(n); });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, lift::errc::unavailable);
    EXPECT_EQ(op.seen, (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(sleeper.sleeps.size(), 2U);
    EXPECT_EQ(policy.available_quota(), 490);  // two retries, nothing refunded on failure
}

TEST(retry_driver, deadline_stops_early) {
    lift::test::fake_clock clock;
    recording_sleeper sleeper(clock);
    auto policy = fixed_policy(1.0);
    scripted op{10, lift::errc::unavailable};
    // 50 ms fits before the deadline; the next 100 ms would not.
    const std::int64_t deadline = clock.now_ms() + 120;
    const auto r = lift::aws::run_with_retries(policy, deadline, clock, sleeper,
                                               [&op](int n) { return op(n); });
    ASSERT_FALSE(r);
    EXPECT_EQ(op.seen, (std::vector<int>{1, 2}));
    EXPECT_EQ(sleeper.sleeps, (std::vector<milliseconds>{milliseconds(50)}));
    EXPECT_EQ(policy.available_quota(), 495);  // the refused retry took no quota
}

TEST(retry_driver, past_deadline_runs_once) {
    lift::test::fake_clock clock;
    recording_sleeper sleeper(clock);
    auto policy = fixed_policy(1.0);
    scripted op{10, lift::errc::timeout};
    const auto r = lift::aws::run_with_retries(policy, clock.now_ms(), clock, sleeper,
                                               [&op](int n) { return op(n); });
    ASSERT_FALSE(r);
    EXPECT_EQ(op.seen.size(), 1U);
    EXPECT_TRUE(sleeper.sleeps.empty());
}

TEST(retry_driver, quota_exhaustion_and_refill) {
    lift::test::fake_clock clock;
    recording_sleeper sleeper(clock);
    retry_options options;
    options.initial_quota = 12;
    auto policy = fixed_policy(0.0, options);
    auto call = [&](int failures, lift::errc code) {
        scripted op{failures, code};
        auto r = lift::aws::run_with_retries(policy, far_deadline, clock, sleeper,
                                             [&op](int n) { return op(n); });
        return std::make_pair(std::move(r), op.seen.size());
    };

    // A timeout retry costs 10 tokens.
    auto [first, first_attempts] = call(1, lift::errc::timeout);
    ASSERT_TRUE(first);
    EXPECT_EQ(first_attempts, 2U);
    EXPECT_EQ(policy.available_quota(), 12);  // success after a retry refunds its cost

    // Two failed retries: 5 + 5 = 10 tokens gone, never refunded.
    auto [second, second_attempts] = call(10, lift::errc::unavailable);
    ASSERT_FALSE(second);
    EXPECT_EQ(second_attempts, 3U);
    EXPECT_EQ(policy.available_quota(), 2);

    // Too few tokens: no retry at all.
    auto [third, third_attempts] = call(1, lift::errc::unavailable);
    ASSERT_FALSE(third);
    EXPECT_EQ(third_attempts, 1U);
    EXPECT_EQ(policy.available_quota(), 2);

    // First-attempt successes add one token each, up to the maximum.
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(call(0, lift::errc::unavailable).first);
    }
    EXPECT_EQ(policy.available_quota(), 5);
    auto [fourth, fourth_attempts] = call(1, lift::errc::unavailable);
    ASSERT_TRUE(fourth);
    EXPECT_EQ(fourth_attempts, 2U);
    EXPECT_EQ(policy.available_quota(), 5);
    for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(call(0, lift::errc::unavailable).first);
    }
    EXPECT_EQ(policy.available_quota(), 12);
}

TEST(retry_policy, acquire_and_record_directly) {
    retry_policy policy;
    EXPECT_EQ(policy.available_quota(), 500);
    EXPECT_EQ(policy.acquire_retry(false), 5);
    EXPECT_EQ(policy.acquire_retry(true), 10);
    EXPECT_EQ(policy.available_quota(), 485);
    policy.record_success(10);
    EXPECT_EQ(policy.available_quota(), 495);
    policy.record_success(0);
    EXPECT_EQ(policy.available_quota(), 496);
}

}  // namespace

namespace {

// Runs 10,000 calls through `run_with_retries` that fail twice (throttled) and then succeed, and
// returns the delays the driver chose before retry 1 and before retry 2.
std::vector<std::vector<milliseconds>> sample_delays(retry_policy& policy) {
    lift::test::fake_clock clock;
    recording_sleeper sleeper(clock);
    std::vector<std::vector<milliseconds>> by_retry(2);
    for (int i = 0; i < 10'000; ++i) {
        sleeper.sleeps.clear();
        const auto r = lift::aws::run_with_retries(
            policy, clock.now_ms() + 60'000, clock, sleeper, [](int n) -> lift::result<int> {
                if (n < 3) {
                    return lift::fail(lift::errc::limit_exceeded, "throttled");
                }
                return n;
            });
        EXPECT_TRUE(r);
        EXPECT_EQ(sleeper.sleeps.size(), 2U);
        if (sleeper.sleeps.size() == 2) {
            by_retry[0].push_back(sleeper.sleeps[0]);
            by_retry[1].push_back(sleeper.sleeps[1]);
        }
    }
    return by_retry;
}

}  // namespace

// Full jitter means the delay before retry n is uniform on [0, min(cap, base * 2^(n-1))).
// Over 10,000 samples per retry, the mean and every tenth of the range must be within 10% of
// that distribution (a seeded source, so the check is exact and cannot flake).
TEST(retry_driver, backoff_matches_full_jitter_over_10000_samples) {
    std::mt19937_64 engine(20261127);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    retry_options options;
    options.initial_quota = 1'000'000;  // botocore returns only the last retry's cost: 5 per call
    retry_policy policy(options, [&] { return unit(engine); });
    const auto samples = sample_delays(policy);
    for (std::size_t retry = 0; retry < samples.size(); ++retry) {
        const auto& delays = samples[retry];
        ASSERT_EQ(delays.size(), 10'000U);
        const double ceiling = static_cast<double>(policy.max_delay(int(retry) + 1).count());
        std::vector<int> buckets(10, 0);
        double sum = 0;
        for (const auto d : delays) {
            ASSERT_GE(d.count(), 0);
            ASSERT_LT(static_cast<double>(d.count()), ceiling);
            sum += static_cast<double>(d.count());
            ++buckets[std::min<std::size_t>(9, std::size_t(double(d.count()) * 10 / ceiling))];
        }
        // Whole milliseconds: a uniform draw on [0, ceiling) truncates to mean (ceiling - 1) / 2.
        const double expected_mean = (ceiling - 1) / 2;
        EXPECT_NEAR(sum / 10'000, expected_mean, expected_mean * 0.10) << "retry " << retry + 1;
        for (int b = 0; b < 10; ++b) {
            EXPECT_NEAR(buckets[std::size_t(b)], 1000, 100)
                << "retry " << retry + 1 << " tenth " << b;
        }
    }
    // Each call took 2 x 5 tokens and got the last 5 back.
    EXPECT_EQ(policy.available_quota(), 1'000'000 - 10'000 * 5);
}

// The default source (std::random_device seeded) has the same mean; 10% is > 9 standard
// deviations here, so this cannot flake.
TEST(retry_driver, default_jitter_source_mean_over_10000_samples) {
    retry_options options;
    options.initial_quota = 1'000'000;
    retry_policy policy(options);
    const auto samples = sample_delays(policy);
    ASSERT_EQ(samples[0].size(), 10'000U);
    double sum = 0;
    for (const auto d : samples[0]) {
        sum += static_cast<double>(d.count());
    }
    EXPECT_NEAR(sum / 10'000, 24.5, 2.45);
}
