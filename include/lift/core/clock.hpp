/// @file clock.hpp
/// Wall-clock time as an interface, so TTLs and timestamps can be tested with a fake clock.
///
///     lift::system_clock clock;
///     std::int64_t now = clock.now_ms();
#pragma once

#include <cstdint>

namespace lift {

/// Source of wall-clock time in Unix epoch milliseconds. Implementations are thread-safe.
class clock {
public:
    virtual ~clock() = default;

    /// Milliseconds since the Unix epoch (UTC).
    virtual std::int64_t now_ms() const = 0;
};

/// The real system clock. Thread-safe.
class system_clock final : public clock {
public:
    std::int64_t now_ms() const override;
};

}  // namespace lift
