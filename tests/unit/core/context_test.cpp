#include <limits>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <lift/core/context.hpp>
#include <lift/core/memory_store.hpp>

#include "fake_clock.hpp"
#include "recording_connection_api.hpp"

namespace {

class capture_sink final : public lift::log_sink {
public:
    void write(std::string_view line) override { lines.emplace_back(line); }

    std::vector<std::string> lines;
};

lift::websocket_event make_event(lift::event_type type,
                                 std::string route_key,
                                 std::optional<std::string> body = std::nullopt) {
    lift::websocket_event ev;
    ev.request_context.type = type;
    ev.request_context.route_key = std::move(route_key);
    ev.request_context.connection_id = "conn-1=";
    ev.request_context.request_id = "req-1=";
    ev.request_context.connected_at = 1'700'000'000'000;
    ev.body = std::move(body);
    return ev;
}

class context_test : public testing::Test {
protected:
    lift::test::fake_clock clock_{1'700'000'000'000};
    lift::test::recording_connection_api api_;
    lift::memory_store store_{clock_};
    capture_sink sink_;

    lift::context_services services() {
        lift::context_services s;
        s.api = &api_;
        s.store = &store_;
        s.clock = &clock_;
        s.sink = &sink_;
        s.level = lift::log_level::debug;
        return s;
    }
};

TEST_F(context_test, accessors_read_the_event) {
    const auto ev = make_event(lift::event_type::message, "chat");
    lift::context ctx{ev, services()};
    EXPECT_EQ(&ctx.event(), &ev);
    EXPECT_EQ(ctx.connection_id(), "conn-1=");
    EXPECT_EQ(ctx.route_key(), "chat");
    EXPECT_EQ(ctx.type(), lift::event_type::message);
    ASSERT_NE(ctx.api(), nullptr);  // a wrapper that forwards to api_ and counts broadcasts
    EXPECT_EQ(ctx.store(), &store_);
    EXPECT_EQ(&ctx.clock(), &clock_);
}

TEST_F(context_test, json_body_is_parsed_once) {
    const auto ev = make_event(lift::event_type::message, "chat", R"({"action":"chat","n":1})");
    lift::context ctx{ev, services()};
    const auto* first = ctx.json_body();
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(first->at("n"), 1);
    EXPECT_EQ(ctx.json_body(), first);
    ASSERT_NE(ctx.body_string("action"), nullptr);
    EXPECT_EQ(*ctx.body_string("action"), "chat");
    EXPECT_EQ(ctx.body_string("n"), nullptr);
    EXPECT_EQ(ctx.body_string("missing"), nullptr);
}

TEST_F(context_test, json_body_is_null_when_not_json_or_absent) {
    const auto text = make_event(lift::event_type::message, "$default", "hello");
    lift::context a{text, services()};
    EXPECT_EQ(a.json_body(), nullptr);
    EXPECT_EQ(a.body_string("x"), nullptr);
    const auto none = make_event(lift::event_type::connect, "$connect");
    lift::context b{none, services()};
    EXPECT_EQ(b.json_body(), nullptr);
    const auto array = make_event(lift::event_type::message, "$default", "[1]");
    lift::context c{array, services()};
    ASSERT_NE(c.json_body(), nullptr);
    EXPECT_EQ(c.body_string("x"), nullptr);
}

TEST_F(context_test, set_json_body_replaces_parsing) {
    const auto ev = make_event(lift::event_type::message, "$default", "not json");
    lift::context ctx{ev, services()};
    ctx.set_json_body(boost::json::parse(R"({"action":"given"})"));
    ASSERT_NE(ctx.body_string("action"), nullptr);
    EXPECT_EQ(*ctx.body_string("action"), "given");
}

TEST_F(context_test, set_identity_wins) {
    auto ev = make_event(lift::event_type::message, "chat");
    ev.request_context.authorizer = boost::json::object{{"principalId", "from-authorizer"}};
    lift::context ctx{ev, services()};
    lift::identity id;
    id.subject = "explicit";
    ctx.set_identity(id);
    EXPECT_EQ(ctx.identity().subject, "explicit");
    ctx.identity().roles.push_back("added");
    EXPECT_TRUE(ctx.identity().has_role("added"));
}

TEST_F(context_test, identity_from_authorizer) {
    auto ev = make_event(lift::event_type::message, "chat");
    ev.request_context.authorizer = boost::json::parse(
                                        R"({"principalId":"user-42","tenantId":"acme",
                                            "roles":" admin, editor ,,","plan":"pro",
                                            "integrationLatency":12})")
                                        .as_object();
    lift::context ctx{ev, services()};
    const auto& id = ctx.identity();
    EXPECT_EQ(id.subject, "user-42");
    EXPECT_EQ(id.tenant, "acme");
    EXPECT_EQ(id.roles, (std::vector<std::string>{"admin", "editor"}));
    EXPECT_EQ(id.claims.at("plan"), "pro");
    EXPECT_FALSE(id.claims.contains("integrationLatency"));
    EXPECT_FALSE(id.claims.contains("principalId"));
    EXPECT_TRUE(api_.gets().empty());
}

TEST_F(context_test, identity_from_authorizer_with_role_array_and_tenant_key) {
    auto ev = make_event(lift::event_type::connect, "$connect");
    ev.request_context.authorizer =
        boost::json::parse(R"({"principalId":7,"tenant":"t1","roles":["a",1,"b"]})").as_object();
    lift::context ctx{ev, services()};
    EXPECT_TRUE(ctx.identity().subject.empty());  // principalId must be a string
    EXPECT_EQ(ctx.identity().tenant, "t1");
    EXPECT_EQ(ctx.identity().roles, (std::vector<std::string>{"a", "b"}));
}

TEST_F(context_test, identity_and_metadata_from_the_stored_record) {
    lift::connection_record rec;
    rec.connection_id = "conn-1=";
    rec.identity.subject = "alice";
    rec.identity.tenant = "acme";
    rec.metadata = {{"room", "lobby"}, {"name", "Alice"}};
    ASSERT_TRUE(store_.save(rec));
    const auto ev = make_event(lift::event_type::message, "chat");
    lift::context ctx{ev, services()};
    ctx.metadata()["name"] = "set by middleware";
    EXPECT_EQ(ctx.identity().subject, "alice");
    EXPECT_EQ(ctx.identity().tenant, "acme");
    EXPECT_EQ(ctx.metadata().at("room"), "lobby");
    EXPECT_EQ(ctx.metadata().at("name"), "set by middleware");
}

TEST_F(context_test, connect_does_not_read_the_store) {
    lift::connection_record rec;
    rec.connection_id = "conn-1=";
    rec.identity.subject = "stale";
    ASSERT_TRUE(store_.save(rec));
    const auto ev = make_event(lift::event_type::connect, "$connect");
    lift::context ctx{ev, services()};
    EXPECT_TRUE(ctx.identity().empty());
    EXPECT_TRUE(ctx.metadata().empty());
}

TEST_F(context_test, identity_is_empty_without_store_or_record) {
    const auto ev = make_event(lift::event_type::message, "chat");
    auto s = services();
    s.store = nullptr;
    lift::context no_store{ev, s};
    EXPECT_TRUE(no_store.identity().empty());
    lift::context no_record{ev, services()};
    EXPECT_TRUE(no_record.identity().empty());
}

TEST_F(context_test, record_is_loaded_once) {
    lift::connection_record rec;
    rec.connection_id = "conn-1=";
    rec.metadata = {{"k", "v"}};
    ASSERT_TRUE(store_.save(rec));
    const auto ev = make_event(lift::event_type::message, "chat");
    lift::context ctx{ev, services()};
    auto first = ctx.record();
    ASSERT_TRUE(first);
    ASSERT_TRUE(*first);
    EXPECT_EQ(ctx.metadata().at("k"), "v");
    ASSERT_TRUE(store_.remove("conn-1="));
    auto second = ctx.record();
    ASSERT_TRUE(second);
    EXPECT_TRUE(*second);  // cached
}

TEST_F(context_test, record_without_store_is_unavailable) {
    const auto ev = make_event(lift::event_type::message, "chat");
    auto s = services();
    s.store = nullptr;
    lift::context ctx{ev, s};
    auto r = ctx.record();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, lift::errc::unavailable);
    EXPECT_EQ(r.error().code, lift::condition::retryable);
}

TEST_F(context_test, management_calls_forward_to_the_api) {
    const auto ev = make_event(lift::event_type::message, "chat");
    lift::context ctx{ev, services()};
    ASSERT_TRUE(ctx.send("to me"));
    ASSERT_TRUE(ctx.send_to("other=", "to you"));
    ASSERT_TRUE(ctx.disconnect("other="));
    auto info = ctx.connection_info("other=");
    ASSERT_TRUE(info);
    EXPECT_EQ(info->source_ip, "192.0.2.1");
    const auto posts = api_.posts();
    ASSERT_EQ(posts.size(), 2u);
    EXPECT_EQ(posts[0].connection_id, "conn-1=");
    EXPECT_EQ(posts[0].data, "to me");
    EXPECT_EQ(posts[1].connection_id, "other=");
    EXPECT_EQ(posts[1].data, "to you");
    EXPECT_EQ(api_.deletes(), std::vector<std::string>{"other="});
    EXPECT_EQ(api_.gets(), std::vector<std::string>{"other="});
}

TEST_F(context_test, api_errors_come_back) {
    api_.fail_for("gone=", lift::errc::gone);
    const auto ev = make_event(lift::event_type::message, "chat");
    lift::context ctx{ev, services()};
    const auto r = ctx.send_to("gone=", "x");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, lift::condition::gone);
}

TEST_F(context_test, no_api_means_unavailable) {
    const auto ev = make_event(lift::event_type::message, "chat");
    auto s = services();
    s.api = nullptr;
    lift::context ctx{ev, s};
    EXPECT_EQ(ctx.api(), nullptr);
    EXPECT_EQ(ctx.send("x").error().code, lift::errc::unavailable);
    EXPECT_EQ(ctx.send_to("a=", "x").error().code, lift::errc::unavailable);
    EXPECT_EQ(ctx.disconnect("a=").error().code, lift::errc::unavailable);
    EXPECT_EQ(ctx.connection_info("a=").error().code, lift::errc::unavailable);
}

TEST_F(context_test, remaining_ms_uses_the_clock) {
    const auto ev = make_event(lift::event_type::message, "chat");
    lift::context none{ev, services()};
    EXPECT_EQ(none.remaining_ms(), std::numeric_limits<std::int64_t>::max());
    lift::context ctx{ev, services(), clock_.now_ms() + 3000};
    EXPECT_EQ(ctx.remaining_ms(), 3000);
    clock_.advance(3500);
    EXPECT_EQ(ctx.remaining_ms(), -500);
}

TEST_F(context_test, null_clock_means_system_clock) {
    const auto ev = make_event(lift::event_type::message, "chat");
    auto s = services();
    s.clock = nullptr;
    const lift::system_clock real;
    lift::context ctx{ev, s, real.now_ms() + 60'000};
    EXPECT_NE(&ctx.clock(), &clock_);
    EXPECT_NEAR(static_cast<double>(ctx.clock().now_ms()), static_cast<double>(real.now_ms()),
                5000.0);
    EXPECT_GT(ctx.remaining_ms(), 50'000);
    EXPECT_LE(ctx.remaining_ms(), 60'000);
}

TEST_F(context_test, logger_carries_request_fields) {
    auto ev = make_event(lift::event_type::message, "chat");
    lift::context ctx{ev, services()};
    ctx.log().debug("hello");
    ASSERT_EQ(sink_.lines.size(), 1u);
    const auto v = boost::json::parse(sink_.lines[0]);
    EXPECT_EQ(v.at("requestId"), "req-1=");
    EXPECT_EQ(v.at("connectionId"), "conn-1=");
    EXPECT_EQ(v.at("routeKey"), "chat");
    EXPECT_EQ(v.at("message"), "hello");
}

TEST_F(context_test, logger_respects_level_and_missing_sink) {
    const auto ev = make_event(lift::event_type::message, "chat");
    auto s = services();
    s.level = lift::log_level::error;
    lift::context quiet{ev, s};
    quiet.log().info("dropped");
    EXPECT_TRUE(sink_.lines.empty());
    s.sink = nullptr;
    s.level = lift::log_level::debug;
    lift::context silent{ev, s};
    EXPECT_FALSE(silent.log().enabled(lift::log_level::error));
    silent.log().error("nowhere");
    EXPECT_TRUE(sink_.lines.empty());
}

TEST_F(context_test, values_are_shared_scratch_space) {
    const auto ev = make_event(lift::event_type::message, "chat");
    lift::context ctx{ev, services()};
    ctx.values()["user"] = "u";
    EXPECT_EQ(ctx.values().at("user"), "u");
}

}  // namespace
