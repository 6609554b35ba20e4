#include <gtest/gtest.h>

#include <lift/core/protocol.hpp>

namespace {

TEST(protocol, forbidden_frame_has_aws_spacing) {
    EXPECT_EQ(
        lift::protocol::forbidden_frame("XDmENcnwIE0CFEQ=", "XDmGEE2RoE0FRdQ="),
        R"({"message": "Forbidden", "connectionId":"XDmENcnwIE0CFEQ=", "requestId":"XDmGEE2RoE0FRdQ="})");
}

TEST(protocol, internal_error_frame_has_aws_spacing) {
    EXPECT_EQ(
        lift::protocol::internal_error_frame("Qyi07eCbtjMCJKw=", "Qyi3UG41tjMFlUg="),
        R"({"message": "Internal server error", "connectionId":"Qyi07eCbtjMCJKw=", "requestId":"Qyi3UG41tjMFlUg="})");
}

TEST(protocol, frames_escape_odd_ids) {
    EXPECT_EQ(lift::protocol::forbidden_frame("a\"b", "c\\d"),
              R"({"message": "Forbidden", "connectionId":"a\"b", "requestId":"c\\d"})");
}

TEST(protocol, limits_match_aws) {
    EXPECT_EQ(lift::protocol::max_frame_bytes, 32768u);
    EXPECT_EQ(lift::protocol::max_message_bytes, 131072u);
    EXPECT_EQ(lift::protocol::max_post_bytes, 131072u);
    EXPECT_EQ(lift::protocol::idle_timeout_seconds, 600);
    EXPECT_EQ(lift::protocol::max_lifetime_seconds, 7200);
}

TEST(protocol, disconnect_headers_are_the_fixed_aws_set) {
    const auto h =
        lift::protocol::disconnect_headers("abc123defg.execute-api.us-east-1.amazonaws.com");
    ASSERT_EQ(h.size(), 4u);
    EXPECT_EQ(h.at("Host"), "abc123defg.execute-api.us-east-1.amazonaws.com");
    EXPECT_EQ(h.at("x-api-key"), "");
    EXPECT_EQ(h.at("X-Forwarded-For"), "");
    EXPECT_EQ(h.at("x-restapi"), "");
    const auto multi = lift::to_multi_value(h);
    ASSERT_EQ(multi.size(), 4u);
    EXPECT_EQ(multi.at("Host"), (std::vector<std::string>{h.at("Host")}));
    EXPECT_EQ(multi.at("x-restapi"), (std::vector<std::string>{""}));
}

}  // namespace
