#include <gtest/gtest.h>

#include <lift/protect/token_bucket.hpp>

namespace {

using lift::protect::bucket_limit;
using lift::protect::bucket_state;
using lift::protect::take_token;

TEST(token_bucket, new_bucket_is_full_and_admits_burst_then_rejects) {
    const bucket_limit limit{.rate_per_second = 2, .burst = 3};
    std::optional<bucket_state> s;
    for (int i = 0; i < 3; ++i) {
        auto d = take_token(s, limit, 1000);
        ASSERT_TRUE(d.admitted) << i;
        s = d.state;
    }
    auto d = take_token(s, limit, 1000);
    EXPECT_FALSE(d.admitted);
    EXPECT_EQ(d.retry_after_ms, 500);  // one token at 2/s
    EXPECT_NEAR(d.state.tokens, 0.0, 1e-9);
}

TEST(token_bucket, refills_with_time_up_to_burst) {
    const bucket_limit limit{.rate_per_second = 10, .burst = 5};
    bucket_state empty{0, 0};
    auto d = take_token(empty, limit, 50);  // 0.5 token
    EXPECT_FALSE(d.admitted);
    EXPECT_EQ(d.retry_after_ms, 50);
    d = take_token(empty, limit, 100);  // exactly one token
    EXPECT_TRUE(d.admitted);
    EXPECT_NEAR(d.state.tokens, 0.0, 1e-9);
    d = take_token(empty, limit, 100'000);  // capped at burst
    EXPECT_TRUE(d.admitted);
    EXPECT_NEAR(d.state.tokens, 4.0, 1e-9);
}

TEST(token_bucket, clock_going_backwards_refills_nothing) {
    const bucket_limit limit{.rate_per_second = 1, .burst = 1};
    bucket_state s{0, 10'000};
    auto d = take_token(s, limit, 5'000);
    EXPECT_FALSE(d.admitted);
    EXPECT_EQ(d.state.updated_ms, 10'000);
}

TEST(token_bucket, lowered_burst_clamps_stored_tokens) {
    bucket_state s{50, 0};
    auto d = take_token(s, bucket_limit{.rate_per_second = 1, .burst = 2}, 0);
    EXPECT_TRUE(d.admitted);
    EXPECT_NEAR(d.state.tokens, 1.0, 1e-9);
}

TEST(token_bucket, time_to_full) {
    EXPECT_EQ(lift::protect::time_to_full_ms({.rate_per_second = 4, .burst = 10}), 2500);
    EXPECT_EQ(lift::protect::time_to_full_ms({.rate_per_second = 3, .burst = 1}), 334);
}

}  // namespace
