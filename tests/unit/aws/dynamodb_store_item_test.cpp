// The DynamoDB item layout of a connection record (documented in dynamodb_store.hpp), both
// ways, without a server.
#include <gtest/gtest.h>

#include <lift/aws/dynamodb_store.hpp>
#include <lift/aws/error.hpp>

namespace {

namespace aws = lift::aws;
using aws::attr::l;
using aws::attr::m;
using aws::attr::n;
using aws::attr::s;

aws::attribute_value number_text(std::string text) {
    aws::attribute_value a;
    a.type = aws::attribute_value::kind::n;
    a.text = std::move(text);
    return a;
}

lift::connection_record full_record() {
    lift::connection_record r;
    r.connection_id = "R1kmxc2VNjMCFIA=";
    r.connected_at = 1'705'751'697'419;
    r.source_ip = "192.0.2.1";
    r.user_agent = "ua";
    r.stage = "prod";
    r.domain_name = "d.example.com";
    r.identity.subject = "alice";
    r.identity.tenant = "acme";
    r.identity.roles = {"b", "a"};
    r.identity.claims.emplace("n", 3);
    r.identity.claims.emplace("f", 1.0);
    r.identity.claims.emplace("ok", true);
    r.metadata = {{"room", "lobby"}};
    return r;
}

TEST(dynamodb_store_item, layout_of_a_full_record) {
    const auto item = aws::to_connection_item(full_record(), 7800, 0);
    const aws::attribute_map want{
        {"pk", s("CONN#R1kmxc2VNjMCFIA=")},
        {"sk", s("META")},
        {"gsi1pk", s("USER#alice")},
        {"gsi1sk", s("CONN#R1kmxc2VNjMCFIA=")},
        {"gsi2pk", s("TENANT#acme")},
        {"gsi2sk", s("CONN#R1kmxc2VNjMCFIA=")},
        {"ttl", n(1'705'751'697 + 7800)},
        {"connectionId", s("R1kmxc2VNjMCFIA=")},
        {"connectedAt", n(1'705'751'697'419)},
        {"sourceIp", s("192.0.2.1")},
        {"userAgent", s("ua")},
        {"stage", s("prod")},
        {"domainName", s("d.example.com")},
        {"identity",
         m({{"subject", s("alice")},
            {"tenant", s("acme")},
            {"roles", l({s("b"), s("a")})},
            {"claims",
             m({{"n", n(3)}, {"f", number_text("1.0")}, {"ok", aws::attr::boolean(true)}})}})},
        {"metadata", m({{"room", s("lobby")}})},
    };
    EXPECT_EQ(aws::to_wire_json(item), aws::to_wire_json(want));
}

TEST(dynamodb_store_item, anonymous_record_is_in_no_index_and_expires_at_wins) {
    lift::connection_record r;
    r.connection_id = "x";
    r.connected_at = 5'000;
    r.expires_at = 99;
    const auto item = aws::to_connection_item(r, 7800, 0);
    EXPECT_EQ(item.count("gsi1pk"), 0u);
    EXPECT_EQ(item.count("gsi1sk"), 0u);
    EXPECT_EQ(item.count("gsi2pk"), 0u);
    EXPECT_EQ(item.count("gsi2sk"), 0u);
    EXPECT_EQ(item.at("ttl"), n(99));
    EXPECT_EQ(item.at("identity"), m({}));

    r.identity.tenant = "t";  // a tenant without a user: gsi2 only
    const auto t = aws::to_connection_item(r, 7800, 0);
    EXPECT_EQ(t.count("gsi1pk"), 0u);
    EXPECT_EQ(t.at("gsi2pk"), s("TENANT#t"));
}

TEST(dynamodb_store_item, round_trip_keeps_every_field) {
    const auto r = full_record();
    auto back = aws::from_connection_item(aws::to_connection_item(r, 7800, 0));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->connection_id, r.connection_id);
    EXPECT_EQ(back->connected_at, r.connected_at);
    EXPECT_EQ(back->expires_at, r.connected_at / 1000 + 7800);
    EXPECT_EQ(back->source_ip, r.source_ip);
    EXPECT_EQ(back->identity.roles, r.identity.roles);
    EXPECT_EQ(back->identity.claims, r.identity.claims);
    EXPECT_TRUE(back->identity.claims.at("f").is_double());
    EXPECT_EQ(back->metadata, r.metadata);
}

TEST(dynamodb_store_item, string_set_roles_from_other_writers_are_read) {
    aws::attribute_value roles;
    roles.type = aws::attribute_value::kind::ss;
    roles.set = {"a", "b"};
    auto back = aws::from_connection_item(
        {{"pk", s("CONN#q")}, {"sk", s("META")}, {"identity", m({{"roles", roles}})}});
    ASSERT_TRUE(back);
    EXPECT_EQ(back->connection_id, "q");  // from pk when connectionId is missing
    EXPECT_EQ(back->identity.roles, (std::vector<std::string>{"a", "b"}));
}

TEST(dynamodb_store_item, non_connection_items_are_rejected) {
    auto r = aws::from_connection_item({{"pk", s("ROOM#1")}, {"sk", s("META")}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, aws::errc::bad_response);
    EXPECT_FALSE(aws::from_connection_item({{"sk", s("META")}}));
    EXPECT_FALSE(aws::from_connection_item({{"pk", s("CONN#")}}));
}

}  // namespace
