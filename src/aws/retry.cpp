#include <algorithm>
#include <array>
#include <thread>

#include <lift/aws/error.hpp>
#include <lift/aws/retry.hpp>

namespace lift::aws {

namespace {

// botocore retries/standard.py: ThrottlingErrorDetector / TransientRetryableChecker.
constexpr std::array<std::string_view, 14> throttling_codes{
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
};

constexpr std::array<std::string_view, 3> transient_codes{
    "RequestTimeout",
    "RequestTimeoutException",
    "PriorRequestNotComplete",
};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& codes, std::string_view code) {
    return std::find(codes.begin(), codes.end(), code) != codes.end();
}

}  // namespace

retry_kind classify(int http_status, std::string_view error_code, bool connection_error) {
    if (http_status == 410 || error_code == "GoneException") {
        return retry_kind::none;
    }
    if (contains(throttling_codes, error_code)) {
        return retry_kind::throttling;
    }
    if (connection_error || contains(transient_codes, error_code)) {
        return retry_kind::transient;
    }
    switch (http_status) {
        case 500:
        case 502:
        case 503:
        case 504:
            return retry_kind::transient;
        default:
            return retry_kind::none;
    }
}

retry_kind classify(const error& e) {
    if (e.code == condition::gone) {
        return retry_kind::none;
    }
    if (e.code == condition::throttled) {
        return retry_kind::throttling;
    }
    if (e.code == condition::retryable) {
        return retry_kind::transient;
    }
    return retry_kind::none;
}

bool is_timeout_error(const error& e) {
    return e.code == lift::errc::timeout || e.code == lift::aws::errc::timeout;
}

retry_policy::retry_policy() : retry_policy(retry_options{}) {}

retry_policy::retry_policy(retry_options options, std::function<double()> jitter)
    : options_(options),
      jitter_(std::move(jitter)),
      quota_(options.initial_quota) {
    if (!jitter_) {
        std::random_device device;
        engine_.seed((static_cast<std::uint64_t>(device()) << 32U) ^ device());
    }
}

std::chrono::milliseconds retry_policy::max_delay(int retry) const noexcept {
    const std::int64_t cap = options_.cap.count();
    std::int64_t ceiling = options_.base.count();
    // Doubling stops once past the cap, so the product never overflows.
    for (int i = 1; i < retry && ceiling < cap; ++i) {
        ceiling *= 2;
    }
    return std::chrono::milliseconds(std::min(ceiling, cap));
}

std::chrono::milliseconds retry_policy::delay(int retry) {
    const auto ceiling = static_cast<double>(max_delay(retry).count());
    double fraction = 0.0;
    {
        const std::lock_guard lock(mutex_);
        if (jitter_) {
            fraction = jitter_();
        } else {
            fraction = std::uniform_real_distribution<double>(0.0, 1.0)(engine_);
        }
    }
    fraction = std::clamp(fraction, 0.0, 1.0);
    return std::chrono::milliseconds(static_cast<std::int64_t>(fraction * ceiling));
}

std::optional<int> retry_policy::acquire_retry(bool after_timeout) {
    const int cost = after_timeout ? options_.timeout_retry_cost : options_.retry_cost;
    const std::lock_guard lock(mutex_);
    if (cost > quota_) {
        return std::nullopt;
    }
    quota_ -= cost;
    return cost;
}

void retry_policy::record_success(int acquired) {
    const int refund = acquired > 0 ? acquired : options_.no_retry_increment;
    const std::lock_guard lock(mutex_);
    quota_ = std::min(options_.initial_quota, quota_ + refund);
}

int retry_policy::available_quota() const {
    const std::lock_guard lock(mutex_);
    return quota_;
}

void thread_sleeper::sleep_for(std::chrono::milliseconds duration) {
    std::this_thread::sleep_for(duration);
}

}  // namespace lift::aws
