// A settable clock for tests: time moves only when the test says so. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>

#include <lift/core/clock.hpp>

namespace lift::test {

class fake_clock final : public lift::clock {
public:
    explicit fake_clock(std::int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}

    std::int64_t now_ms() const override { return now_.load(); }

    void set(std::int64_t ms) { now_.store(ms); }

    void advance(std::int64_t ms) { now_.fetch_add(ms); }

private:
    std::atomic<std::int64_t> now_;
};

}  // namespace lift::test
