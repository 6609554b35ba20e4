#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <lift/core/identity.hpp>

namespace {

TEST(identity, empty_identity_is_an_empty_object) {
    const lift::identity id;
    EXPECT_TRUE(id.empty());
    EXPECT_TRUE(lift::to_json(id).empty());
}

TEST(identity, json_round_trip) {
    lift::identity id;
    id.subject = "alice";
    id.tenant = "acme";
    id.roles = {"admin", "editor"};
    id.claims.emplace("email", "alice@example.com");
    id.claims.emplace("level", 3);
    const auto o = lift::to_json(id);
    EXPECT_EQ(
        boost::json::serialize(o),
        R"({"subject":"alice","tenant":"acme","roles":["admin","editor"],"claims":{"email":"alice@example.com","level":3}})");
    const auto back = lift::identity_from_json(o);
    EXPECT_EQ(back.subject, "alice");
    EXPECT_EQ(back.tenant, "acme");
    EXPECT_EQ(back.roles, id.roles);
    EXPECT_EQ(back.claims, id.claims);
    EXPECT_TRUE(back.has_role("editor"));
    EXPECT_FALSE(back.has_role("root"));
}

TEST(identity, empty_members_are_omitted) {
    lift::identity id;
    id.subject = "bob";
    EXPECT_EQ(boost::json::serialize(lift::to_json(id)), R"({"subject":"bob"})");
}

TEST(identity, wrong_types_read_as_empty_and_unknowns_are_ignored) {
    const auto o =
        boost::json::parse(R"({"subject":1,"tenant":null,"roles":["a",2,"b"],"claims":[],"x":"y"})")
            .as_object();
    const auto id = lift::identity_from_json(o);
    EXPECT_TRUE(id.subject.empty());
    EXPECT_TRUE(id.tenant.empty());
    EXPECT_EQ(id.roles, (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(id.claims.empty());
    const auto not_array = boost::json::parse(R"({"roles":"admin"})").as_object();
    EXPECT_TRUE(lift::identity_from_json(not_array).roles.empty());
}

}  // namespace
