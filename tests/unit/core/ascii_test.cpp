#include <gtest/gtest.h>

#include <lift/core/ascii.hpp>

namespace {

TEST(ascii, iequals_folds_ascii_only) {
    EXPECT_TRUE(lift::ascii::iequals("Sec-WebSocket-Key", "sec-websocket-KEY"));
    EXPECT_FALSE(lift::ascii::iequals("Upgrade", "Upgrades"));
    EXPECT_FALSE(lift::ascii::iequals("a", "b"));
    EXPECT_FALSE(lift::ascii::iequals("\xc3\x89", "\xc3\xa9"));  // É vs é: not ASCII
    static_assert(lift::ascii::iequals("ABC", "abc"));
}

TEST(ascii, lower_and_hex_value) {
    EXPECT_EQ(lift::ascii::lower("X-Amz-Date: 20150830T123600Z"), "x-amz-date: 20150830t123600z");
    EXPECT_EQ(lift::ascii::hex_value('0'), 0);
    EXPECT_EQ(lift::ascii::hex_value('9'), 9);
    EXPECT_EQ(lift::ascii::hex_value('a'), 10);
    EXPECT_EQ(lift::ascii::hex_value('F'), 15);
    EXPECT_EQ(lift::ascii::hex_value('g'), -1);
    EXPECT_EQ(lift::ascii::hex_value('%'), -1);
}

}  // namespace
