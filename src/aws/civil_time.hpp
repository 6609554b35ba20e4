// Calendar arithmetic shared by the lift::aws parsers of AWS timestamps (GetConnection's
// ISO 8601 times, X-Amz-Date). Private to src/aws.
#pragma once

#include <cstdint>

namespace lift::aws::detail {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil
// algorithm, public domain description; valid for any year that fits).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);

}  // namespace lift::aws::detail
