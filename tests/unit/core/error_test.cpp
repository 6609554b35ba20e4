#include <set>
#include <string>

#include <boost/system/system_error.hpp>
#include <gtest/gtest.h>

#include <lift/core/error.hpp>
#include <lift/core/result.hpp>

namespace {

using lift::condition;
using lift::errc;

TEST(error, categories_have_their_names) {
    EXPECT_STREQ(lift::core_category().name(), "lift");
    EXPECT_STREQ(lift::condition_category().name(), "lift.condition");
    const boost::system::error_code ec = errc::gone;
    EXPECT_EQ(&ec.category(), &lift::core_category());
    EXPECT_EQ(ec.value(), 4);
    const boost::system::error_condition cond = condition::gone;
    EXPECT_EQ(&cond.category(), &lift::condition_category());
}

TEST(error, every_code_has_a_distinct_message) {
    std::set<std::string> seen;
    for (int i = 1; i <= 12; ++i) {
        const auto msg = lift::core_category().message(i);
        EXPECT_FALSE(msg.empty());
        EXPECT_NE(msg, lift::core_category().message(99)) << i;
        EXPECT_TRUE(seen.insert(msg).second) << "duplicate message " << msg;
    }
    EXPECT_EQ(lift::make_error_code(errc::gone).message(), "connection gone");
    EXPECT_EQ(lift::make_error_code(errc::parse_error).message(), "parse error");
    EXPECT_EQ(lift::make_error_condition(condition::retryable).message(), "retryable");
}

struct mapping {
    errc code;
    condition cond;
};

TEST(error, codes_map_to_conditions) {
    const mapping expected[] = {
        {errc::gone, condition::gone},
        {errc::not_found, condition::not_found},
        {errc::invalid_argument, condition::invalid},
        {errc::parse_error, condition::invalid},
        {errc::payload_too_large, condition::invalid},
        {errc::limit_exceeded, condition::throttled},
        {errc::unavailable, condition::retryable},
        {errc::timeout, condition::retryable},
        {errc::forbidden, condition::auth},
    };
    const condition all[] = {condition::retryable, condition::throttled, condition::gone,
                             condition::not_found, condition::invalid,   condition::auth};
    for (const auto& m : expected) {
        const boost::system::error_code ec = m.code;
        for (const auto c : all) {
            EXPECT_EQ(ec == c, c == m.cond)
                << ec.message() << " vs " << lift::make_error_condition(c).message();
        }
    }
}

TEST(error, unmapped_codes_match_no_condition) {
    const condition all[] = {condition::retryable, condition::throttled, condition::gone,
                             condition::not_found, condition::invalid,   condition::auth};
    for (const auto code : {errc::handler_failed, errc::no_route, errc::internal}) {
        const boost::system::error_code ec = code;
        for (const auto c : all) {
            EXPECT_FALSE(ec == c) << ec.message();
        }
    }
}

TEST(error, foreign_codes_match_no_condition) {
    const auto ec = boost::system::errc::make_error_code(boost::system::errc::timed_out);
    EXPECT_FALSE(ec == condition::retryable);
    EXPECT_FALSE(ec == condition::gone);
}

TEST(error, what_names_message_category_and_value) {
    const lift::error e{errc::gone, "connection closed"};
    EXPECT_EQ(e.what(), "connection closed (lift:4)");
    const lift::error empty{errc::timeout, ""};
    EXPECT_EQ(empty.what(), "timeout (lift:8)");
}

TEST(error, value_of_failed_result_throws_system_error) {
    lift::result<int> r = lift::fail(errc::not_found, "no such room");
    ASSERT_FALSE(r);
    try {
        (void)r.value();
        FAIL() << "value() did not throw";
    } catch (const boost::system::system_error& e) {
        EXPECT_EQ(e.code(), errc::not_found);
        EXPECT_NE(std::string{e.what()}.find("no such room"), std::string::npos) << e.what();
    }
}

TEST(error, fail_builds_errors_from_any_code) {
    const auto e =
        lift::fail(boost::system::errc::make_error_code(boost::system::errc::io_error), "disk");
    EXPECT_EQ(e.code, boost::system::errc::io_error);
    EXPECT_EQ(e.message, "disk");
}

}  // namespace
