#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <lift/core/error.hpp>
#include <lift/protect/validation.hpp>

#include "fake_clock.hpp"
#include "protect_test_util.hpp"
#include "recording_connection_api.hpp"

namespace {

using lift::protect::request_validator;
using lift::test::counting_next;

constexpr const char* order_schema = R"({
    "type":"object",
    "required":["action","items"],
    "properties":{
        "action":{"const":"order"},
        "items":{"type":"array","minItems":1,"items":{
            "type":"object","required":["sku","qty"],
            "properties":{"sku":{"type":"string","pattern":"^[A-Z]{3}-[0-9]+$"},
                          "qty":{"type":"integer","minimum":1}},
            "additionalProperties":false}}}})";

struct validation_mw : ::testing::Test {
    lift::test::fake_clock clock;
    lift::test::recording_connection_api api;
    lift::context_services services{.api = &api, .clock = &clock};
    counting_next next;
    request_validator validator;

    void SetUp() override { ASSERT_TRUE(validator.add("order", order_schema, 256)); }

    lift::result<lift::reply> run(const lift::websocket_event& ev) {
        lift::context ctx{ev, services};
        return validator.middleware()(ctx, next.fn());
    }

    boost::json::object last_frame() {
        const auto posts = api.posts();
        EXPECT_FALSE(posts.empty());
        return posts.empty() ? boost::json::object{}
                             : boost::json::parse(posts.back().data).as_object();
    }
};

TEST_F(validation_mw, valid_body_reaches_the_handler) {
    auto r = run(lift::test::message_event(
        "order", "c1", R"({"action":"order","items":[{"sku":"ABC-1","qty":2}]})"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status_code, 200);
    EXPECT_EQ(next.calls.load(), 1);
    EXPECT_TRUE(api.posts().empty());
}

TEST_F(validation_mw, invalid_body_gets_a_frame_naming_the_path_and_no_handler_call) {
    auto r = run(lift::test::message_event(
        "order", "conn-7",
        R"({"action":"order","items":[{"sku":"ABC-1","qty":1},{"sku":"ABC-2","qty":1},{"sku":"ABC-3","qty":0}]})",
        "rq-1"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status_code, 400);
    EXPECT_FALSE(r->body);
    EXPECT_EQ(next.calls.load(), 0);
    ASSERT_EQ(api.posts().size(), 1u);
    EXPECT_EQ(api.posts()[0].data,
              R"({"message":"Invalid request body","path":"/items/2/qty","reason":"must be >= 1",)"
              R"("connectionId":"conn-7","requestId":"rq-1"})");
}

TEST_F(validation_mw, each_failure_kind_names_its_path) {
    struct tc {
        const char* body;
        const char* path;
        const char* reason;
    };

    const tc cases[] = {
        {R"({"items":[]})", "/action", "is required"},
        {R"({"action":"buy","items":[]})", "/action", R"(must be "order")"},
        {R"({"action":"order","items":[]})", "/items", "must have at least 1 items"},
        {R"({"action":"order","items":{}})", "/items", "must be of type array"},
        {R"({"action":"order","items":[{"sku":"abc-1","qty":1}]})", "/items/0/sku",
         "must match pattern ^[A-Z]{3}-[0-9]+$"},
        {R"({"action":"order","items":[{"sku":"ABC-1","qty":1,"x":1}]})", "/items/0/x",
         "is not an allowed property"},
        {R"({"action":"order","items":[{"sku":"ABC-1"}]})", "/items/0/qty", "is required"},
        {R"([1,2])", "", "must be of type object"},
    };
    for (const auto& c : cases) {
        auto r = run(lift::test::message_event("order", "c1", c.body));
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status_code, 400) << c.body;
        auto f = last_frame();
        EXPECT_EQ(f["path"], c.path) << c.body;
        EXPECT_EQ(f["reason"], c.reason) << c.body;
    }
    EXPECT_EQ(next.calls.load(), 0);
}

TEST_F(validation_mw, non_json_and_empty_bodies_are_invalid_on_a_schema_route) {
    for (const char* body : {"not json", "", "{\"action\":"}) {
        auto r = run(lift::test::message_event("order", "c1", body));
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status_code, 400);
        auto f = last_frame();
        EXPECT_EQ(f["message"], "Invalid request body");
        EXPECT_EQ(f["path"], "");
        EXPECT_EQ(f["reason"], "body is not valid JSON");
    }
    EXPECT_EQ(next.calls.load(), 0);
}

TEST_F(validation_mw, oversized_body_is_413_before_parsing) {
    std::string big = R"({"action":"order","items":[)";
    for (int i = 0; i < 40; ++i) {
        big += R"({"sku":"ABC-1","qty":1},)";
    }
    big += R"({"sku":"ABC-1","qty":1}]})";
    ASSERT_GT(big.size(), 256u);
    auto r = run(lift::test::message_event("order", "c1", big));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status_code, 413);
    auto f = last_frame();
    EXPECT_EQ(f["message"], "Request body too large");
    EXPECT_EQ(f["limit"], 256);
    EXPECT_EQ(next.calls.load(), 0);
}

TEST_F(validation_mw, routes_without_rules_pass_unless_a_default_limit_is_set) {
    EXPECT_EQ(run(lift::test::message_event("other", "c1", "anything at all"))->status_code, 200);
    validator.default_max_body_bytes(4);
    EXPECT_EQ(run(lift::test::message_event("other", "c1", "12345"))->status_code, 413);
    EXPECT_EQ(run(lift::test::message_event("other", "c1", "1234"))->status_code, 200);
    // A route's own limit wins over the default.
    validator.set("roomy", {.schema = std::nullopt, .max_body_bytes = 100});
    EXPECT_EQ(run(lift::test::message_event("roomy", "c1", "123456789"))->status_code, 200);
    EXPECT_EQ(next.calls.load(), 3);
}

TEST_F(validation_mw, connect_and_disconnect_are_not_checked) {
    validator.default_max_body_bytes(1);
    EXPECT_EQ(run(lift::test::connect_event("c1"))->status_code, 200);
    EXPECT_EQ(run(lift::test::disconnect_event("c1"))->status_code, 200);
    EXPECT_EQ(next.calls.load(), 2);
}

TEST_F(validation_mw, pre_parsed_body_is_used) {
    const auto ev = lift::test::message_event("order", "c1", "ignored text");
    lift::context ctx{ev, services};
    ctx.set_json_body(
        boost::json::parse(R"({"action":"order","items":[{"sku":"XYZ-9","qty":3}]})"));
    EXPECT_FALSE(validator.check(ctx));
}

TEST(request_validator, bad_schema_is_reported_with_the_route) {
    request_validator v;
    auto r = v.add("order", R"({"properties":{"a":{"uniqueItems":true}}})");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, lift::errc::invalid_argument);
    EXPECT_EQ(r.error().message,
              "route 'order': JSON schema: unsupported keyword 'uniqueItems' at /properties/a");
}

}  // namespace
