/// @file ids.hpp
/// Identifiers shaped like API Gateway's: 16 characters, 15 of URL-safe base64 and one `=`
/// (connection ids, request ids, message ids), and 10-character `[a-z0-9]` API ids.
///
///     lift::id_generator ids;
///     std::string cid = ids.next();   // e.g. "R1kmxc2VNjMCFIA="
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace lift {

/// Random AWS-shaped ids. Not thread-safe: give each thread its own generator.
class id_generator {
public:
    /// Seeded from std::random_device.
    id_generator();

    /// Seeded deterministically (tests).
    explicit id_generator(std::uint64_t seed) : rng_(seed) {}

    /// A new 16-character id: 11 random bytes in URL-safe base64, ending in `=`.
    std::string next();

    /// A new 10-character `[a-z0-9]` API id.
    std::string next_api_id();

private:
    std::mt19937_64 rng_;
};

/// True when `id` has the 16-character connection id shape.
bool is_aws_shaped_id(std::string_view id) noexcept;

/// `requestTime` format: "20/Jan/2024:11:55:00 +0000" (UTC, English month names).
std::string format_request_time(std::int64_t epoch_ms);

/// ISO 8601 with milliseconds as GetConnection uses: "2024-01-20T11:55:00.453Z".
std::string format_iso8601_ms(std::int64_t epoch_ms);

}  // namespace lift
