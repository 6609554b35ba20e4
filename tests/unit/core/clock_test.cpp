#include <chrono>

#include <gtest/gtest.h>

#include <lift/core/clock.hpp>

#include "fake_clock.hpp"

namespace {

TEST(clock, system_clock_is_unix_epoch_ms) {
    const lift::system_clock clock;
    const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    const auto now = clock.now_ms();
    const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    EXPECT_LE(before, now);
    EXPECT_LE(now, after);
    EXPECT_GT(now, 1'600'000'000'000);  // after 2020: milliseconds, not seconds
}

TEST(clock, fake_clock_moves_only_when_told) {
    lift::test::fake_clock clock{1000};
    const lift::clock& c = clock;
    EXPECT_EQ(c.now_ms(), 1000);
    clock.advance(500);
    EXPECT_EQ(c.now_ms(), 1500);
    clock.set(42);
    EXPECT_EQ(c.now_ms(), 42);
}

}  // namespace
