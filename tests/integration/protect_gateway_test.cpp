// lift::protect middleware through the in-process gateway with a real WebSocket client: a
// one-way route over its rate gets the Too Many Requests frame, an invalid body gets the frame
// naming its path, `$connect` over its limit gets 429, and a two-way route's rejection is one
// frame only.
#include <memory>
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <lift/core/app.hpp>
#include <lift/core/memory_store.hpp>
#include <lift/gateway/gateway.hpp>
#include <lift/protect/rate_limit.hpp>
#include <lift/protect/rate_limit_store.hpp>
#include <lift/protect/validation.hpp>

#include "ws_test_client.hpp"

namespace {

using lift::test::ws_client;
namespace json = boost::json;

class protect_gateway : public ::testing::Test {
protected:
    void SetUp() override {
        auto limiter = lift::protect::rate_limiter::create(
            buckets_, {.rules = {{.key = lift::protect::limit_key::source_ip,
                                  .limit = {.rate_per_second = 0.001, .burst = 3},
                                  .routes = {"$connect"}},
                                 {.key = lift::protect::limit_key::connection,
                                  .limit = {.rate_per_second = 0.001, .burst = 2},
                                  .routes = {"oneway", "twoway"}}}});
        ASSERT_TRUE(limiter) << limiter.error().message;
        ASSERT_TRUE(validator_.add("order", R"({
            "type":"object","required":["items"],
            "properties":{"items":{"type":"array","items":{
                "type":"object","required":["qty"],
                "properties":{"qty":{"type":"integer","minimum":1}}}}}})"));
        app_.use_store(std::make_unique<lift::memory_store>());
        app_.use(limiter->middleware());
        app_.use(validator_.middleware());
        app_.on("oneway", [](lift::context& ctx) { return ctx.send("handled"); });
        app_.on("twoway", [](lift::context&) { return lift::reply::text("two-way reply"); },
                {.two_way = true});
        app_.on("ping", [](lift::context&) { return lift::reply::text("pong"); },
                {.two_way = true});
        app_.on("order", [](lift::context& ctx) { return ctx.send("order accepted"); });
        lift::gateway::options o;
        o.port = 0;
        o.level = lift::log_level::error;
        auto g = lift::gateway::gateway::start(app_, std::move(o));
        ASSERT_TRUE(g) << g.error().message;
        gw_ = std::move(*g);
    }

    void TearDown() override {
        if (gw_) {
            gw_->stop();
        }
    }

    std::uint16_t port() const { return gw_->port(); }

    lift::protect::memory_rate_limit_store buckets_;
    lift::protect::request_validator validator_;
    lift::app app_;
    std::unique_ptr<lift::gateway::gateway> gw_;
};

json::object frame_object(const std::optional<std::string>& text) {
    EXPECT_TRUE(text) << "no frame";
    if (!text) {
        return {};
    }
    auto v = json::parse(*text);
    EXPECT_TRUE(v.is_object()) << *text;
    return v.is_object() ? v.as_object() : json::object{};
}

TEST_F(protect_gateway, one_way_route_over_its_rate_gets_too_many_requests) {
    ws_client c{port()};
    ASSERT_TRUE(c.open()) << c.reply.head;
    for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(c.send_text(R"({"action":"oneway"})"));
        EXPECT_EQ(c.read_text(), "handled");
    }
    ASSERT_TRUE(c.send_text(R"({"action":"oneway"})"));
    auto f = frame_object(c.read_text());
    EXPECT_EQ(f["message"], "Too Many Requests");
    EXPECT_TRUE(f["connectionId"].is_string());
    EXPECT_FALSE(f["connectionId"].as_string().empty());
    EXPECT_TRUE(f["requestId"].is_string());
    // The two-way route shares the exhausted bucket: exactly one frame, then the next answer.
    ASSERT_TRUE(c.send_text(R"({"action":"twoway"})"));
    auto g = frame_object(c.read_text());
    EXPECT_EQ(g["message"], "Too Many Requests");
    ASSERT_TRUE(c.send_text(R"({"action":"ping"})"));
    EXPECT_EQ(c.read_text(), "pong");
    // Another connection has its own bucket.
    ws_client d{port()};
    ASSERT_TRUE(d.open());
    ASSERT_TRUE(d.send_text(R"({"action":"twoway"})"));
    EXPECT_EQ(d.read_text(), "two-way reply");
}

TEST_F(protect_gateway, invalid_body_gets_the_frame_naming_the_path) {
    ws_client c{port()};
    ASSERT_TRUE(c.open()) << c.reply.head;
    ASSERT_TRUE(c.send_text(R"({"action":"order","items":[{"qty":1},{"qty":2},{"qty":0}]})"));
    auto f = frame_object(c.read_text());
    EXPECT_EQ(f["message"], "Invalid request body");
    EXPECT_EQ(f["path"], "/items/2/qty");
    EXPECT_EQ(f["reason"], "must be >= 1");
    EXPECT_TRUE(f["connectionId"].is_string());
    ASSERT_TRUE(c.send_text(R"({"action":"order","items":[{"qty":1}]})"));
    EXPECT_EQ(c.read_text(), "order accepted");
}

TEST_F(protect_gateway, connect_over_its_limit_gets_429) {
    std::vector<std::unique_ptr<ws_client>> open;
    for (int i = 0; i < 3; ++i) {
        open.push_back(std::make_unique<ws_client>(port()));
        ASSERT_TRUE(open.back()->open()) << open.back()->reply.head;
    }
    ws_client refused{port()};
    EXPECT_EQ(refused.reply.status, 429) << refused.reply.head;
    EXPECT_FALSE(refused.open());
    EXPECT_EQ(gw_->stats().connections_rejected, 1u);
}

}  // namespace
