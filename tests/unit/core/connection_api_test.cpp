#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <lift/core/connection_api.hpp>

#include "recording_connection_api.hpp"

namespace {

TEST(connection_api, default_post_many_posts_each_id_in_order) {
    lift::test::recording_connection_api api;
    api.fail_for("gone=", lift::errc::gone);
    const std::vector<std::string> ids{"a=", "gone=", "b="};
    lift::connection_api& base = api;
    const auto results = base.post_many(ids, "payload");
    ASSERT_EQ(results.size(), 3u);
    EXPECT_TRUE(results[0]);
    ASSERT_FALSE(results[1]);
    EXPECT_EQ(results[1].error().code, lift::condition::gone);
    EXPECT_TRUE(results[2]);
    const auto posts = api.posts();
    ASSERT_EQ(posts.size(), 2u);
    EXPECT_EQ(posts[0].connection_id, "a=");
    EXPECT_EQ(posts[1].connection_id, "b=");
    EXPECT_EQ(posts[1].data, "payload");
}

TEST(connection_api, post_many_with_no_ids) {
    lift::test::recording_connection_api api;
    EXPECT_TRUE(api.post_many({}, "x").empty());
    EXPECT_TRUE(api.posts().empty());
}

}  // namespace
