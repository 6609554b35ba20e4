#include "http_paths.hpp"

#include <gtest/gtest.h>

namespace {

using namespace lift::gateway::detail;

TEST(connections_path, accepts_every_form_api_gateway_accepts) {
    EXPECT_EQ(connections_id("/dev/@connections/R1kmxc2VNjMCFIA%3D", "dev"), "R1kmxc2VNjMCFIA=");
    EXPECT_EQ(connections_id("/@connections/R1kmxc2VNjMCFIA%3D", "dev"), "R1kmxc2VNjMCFIA=");
    EXPECT_EQ(connections_id("/dev/%40connections/R1kmxc2VNjMCFIA=", "dev"), "R1kmxc2VNjMCFIA=");
    EXPECT_EQ(connections_id("/%40connections/abc%3d", "dev"), "abc=");
    EXPECT_EQ(connections_id("/dev/@connections/", "dev"), "");
    EXPECT_FALSE(connections_id("/prod/@connections/abc", "dev"));
    EXPECT_FALSE(connections_id("/dev/connections/abc", "dev"));
    EXPECT_FALSE(connections_id("/dev", "dev"));
    EXPECT_FALSE(connections_id("/devx/@connections/abc", "dev"));
}

TEST(percent_decode, decodes_valid_escapes_only) {
    EXPECT_EQ(percent_decode("a%3Db%20c"), "a=b c");
    EXPECT_EQ(percent_decode("100%"), "100%");
    EXPECT_EQ(percent_decode("%zz"), "%zz");
    EXPECT_EQ(percent_decode("a+b"), "a+b");
}

TEST(query, single_and_multi_values) {
    lift::string_map single;
    lift::multi_string_map multi;
    parse_query("name=alice&room=a%20b&tag=1&tag=2&flag&=empty", single, multi);
    EXPECT_EQ(single["name"], "alice");
    EXPECT_EQ(single["room"], "a b");
    EXPECT_EQ(single["tag"], "2");
    EXPECT_EQ(multi["tag"], (std::vector<std::string>{"1", "2"}));
    EXPECT_EQ(single["flag"], "");
}

TEST(split_target, separates_the_query) {
    auto p = split_target("/dev?x=1");
    EXPECT_EQ(p.path, "/dev");
    EXPECT_EQ(p.query, "x=1");
    EXPECT_TRUE(p.has_query);
    auto q = split_target("/dev");
    EXPECT_FALSE(q.has_query);
}

TEST(static_path, stays_inside_the_root) {
    EXPECT_EQ(static_relative_path("/"), "index.html");
    EXPECT_EQ(static_relative_path("/app.js"), "app.js");
    EXPECT_EQ(static_relative_path("/a/b/"), "a/b/index.html");
    EXPECT_FALSE(static_relative_path("/../etc/passwd"));
    EXPECT_FALSE(static_relative_path("/a/%2e%2e/%2e%2e/x"));
    EXPECT_FALSE(static_relative_path("/a%00b"));
    EXPECT_EQ(content_type_for("index.html"), "text/html; charset=utf-8");
}

}  // namespace
