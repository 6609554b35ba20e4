#include <algorithm>
#include <cmath>

#include <lift/protect/token_bucket.hpp>

namespace lift::protect {

bucket_decision take_token(const std::optional<bucket_state>& current,
                           const bucket_limit& limit,
                           std::int64_t now_ms) noexcept {
    bucket_state s = current.value_or(bucket_state{limit.burst, now_ms});
    if (now_ms > s.updated_ms) {
        const double elapsed_s = static_cast<double>(now_ms - s.updated_ms) / 1000.0;
        s.tokens = std::min(limit.burst, s.tokens + elapsed_s * limit.rate_per_second);
        s.updated_ms = now_ms;
    }
    // A stored value above the burst (the limit was lowered) is clamped.
    s.tokens = std::min(s.tokens, limit.burst);
    bucket_decision d;
    // The epsilon absorbs rounding of the refill product (e.g. 0.1 s * 10/s = 0.9999999).
    constexpr double epsilon = 1e-9;
    if (s.tokens + epsilon >= 1.0) {
        d.admitted = true;
        s.tokens = std::max(0.0, s.tokens - 1.0);
    } else {
        const double missing = 1.0 - s.tokens;
        d.retry_after_ms =
            static_cast<std::int64_t>(std::ceil(missing / limit.rate_per_second * 1000.0));
    }
    d.state = s;
    return d;
}

std::int64_t time_to_full_ms(const bucket_limit& limit) noexcept {
    return static_cast<std::int64_t>(std::ceil(limit.burst / limit.rate_per_second * 1000.0));
}

}  // namespace lift::protect
