// The gateway's Lambda REQUEST authorizer on $connect (aws-reference §3.3) and its Origin
// allowlist, with real WebSocket clients over loopback: in-process authorizers, and the
// example authorizer binary run out of process through function_gateway.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <lift/core/app.hpp>
#include <lift/core/authorizer.hpp>
#include <lift/core/memory_store.hpp>
#include <lift/gateway/function_gateway.hpp>
#include <lift/gateway/gateway.hpp>

#include "ws_test_client.hpp"

namespace {

namespace json = boost::json;
using lift::test::ws_client;
using namespace std::chrono_literals;

// What the app's handlers saw: the event and the identity of the context.
struct seen {
    lift::websocket_event event;
    std::string subject;
    json::object claims;
};

class recorder {
public:
    void add(seen s) {
        {
            std::lock_guard lock{mutex_};
            all_.push_back(std::move(s));
        }
        cv_.notify_all();
    }

    template <class Pred>
    std::optional<seen> wait_for(Pred pred, std::chrono::milliseconds timeout = 5s) {
        std::unique_lock lock{mutex_};
        std::optional<seen> found;
        cv_.wait_for(lock, timeout, [&] {
            for (const auto& s : all_) {
                if (pred(s.event)) {
                    found = s;
                    return true;
                }
            }
            return false;
        });
        return found;
    }

    std::size_t count(lift::event_type t) {
        std::lock_guard lock{mutex_};
        std::size_t n = 0;
        for (const auto& s : all_) {
            n += s.event.type() == t ? 1u : 0u;
        }
        return n;
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<seen> all_;
};

// An in-process authorizer whose behaviour the `mode` query parameter picks.
lift::result<lift::authorizer_response> scripted_authorizer(const lift::authorizer_request& req) {
    const std::string* m = req.query("mode");
    const std::string mode = m != nullptr ? *m : "allow";
    const std::string user = req.query("user") != nullptr ? *req.query("user") : "alice";
    if (mode == "unauthorized") {
        return lift::unauthorized();
    }
    if (mode == "deny") {
        return lift::authorizer_response::deny(user, req.method_arn);
    }
    if (mode == "error") {
        return lift::fail(lift::errc::handler_failed, "authorizer backend down");
    }
    if (mode == "throw") {
        throw std::runtime_error("authorizer threw");
    }
    if (mode == "other_stage") {
        std::string arn = req.method_arn;
        arn.replace(arn.find("/dev/"), 5, "/prod/");
        return lift::authorizer_response::allow(user, arn);
    }
    if (mode == "rest_style") {  // `.../dev/*/*` does not match a WebSocket route ARN
        return lift::authorizer_response::allow(
            user, req.method_arn.substr(0, req.method_arn.rfind('/')) + "/*/*");
    }
    if (mode == "wildcard") {
        return lift::authorizer_response::allow(user, "arn:aws:execute-api:*:*:*/dev/*",
                                                json::object{{"tenant", "acme"}});
    }
    if (mode == "big") {
        return lift::authorizer_response::allow(user, req.method_arn,
                                                json::object{{"pad", std::string(9000, 'x')}});
    }
    if (mode == "bad_context") {
        auto r = lift::authorizer_response::allow(user, req.method_arn).value();
        r.context["nested"] = json::object{{"a", 1}};
        return r;
    }
    if (mode == "slow") {
        std::this_thread::sleep_for(1500ms);
    }
    return lift::authorizer_response::allow(
        user, req.method_arn, json::object{{"role", "admin"}, {"level", 3}, {"beta", true}});
}

class authorizer_gateway_test : public ::testing::Test {
protected:
    void SetUp() override {
        app_.use_store(std::make_unique<lift::memory_store>(clock_));
        app_.use([this](lift::context& ctx, const lift::next_handler& next) {
            auto& id = ctx.identity();
            rec_.add({ctx.event(), id.subject, id.claims});
            return next(ctx);
        });
        app_.on_connect([](lift::context&) { return lift::reply::ok(); });
        app_.on_disconnect([](lift::context&) { return lift::reply::ok(); });
        app_.on("whoami",
                [](lift::context& ctx) {
                    json::object o;
                    o["subject"] = ctx.identity().subject;
                    o["authorizer"] = ctx.event().request_context.authorizer
                                          ? json::value(*ctx.event().request_context.authorizer)
                                          : json::value(nullptr);
                    return lift::reply::text(json::serialize(o));
                },
                {.two_way = true});
    }

    void TearDown() override {
        if (gw_) {
            gw_->stop();
        }
    }

    lift::gateway::options base_options() {
        lift::gateway::options o;
        o.port = 0;
        o.integration_timeout_ms = 800;
        o.level = lift::log_level::off;
        return o;
    }

    void start_with_authorizer(std::vector<std::string> sources = {
                                   "route.request.querystring.token",
                                   "route.request.header.X-Client"}) {
        auto o = base_options();
        o.authorizer =
            lift::gateway::connect_authorizer{.identity_sources = std::move(sources),
                                              .invoke =
                                                  [this](const lift::authorizer_request& req) {
                                                      calls_.fetch_add(1);
                                                      {
                                                          std::lock_guard lock{last_mutex_};
                                                          last_ = req;
                                                      }
                                                      return scripted_authorizer(req);
                                                  },
                                              .name = "test-authorizer"};
        start(std::move(o));
    }

    void start(lift::gateway::options o) {
        auto g = lift::gateway::gateway::start(app_, std::move(o));
        ASSERT_TRUE(g) << g.error().message;
        gw_ = std::move(*g);
        port_ = gw_->port();
    }

    // Handshake with the identity sources present plus `query`.
    int handshake(const std::string& query, std::string headers = "X-Client: tests\r\n") {
        ws_client c{port_, "/dev?token=t0k&" + query, headers};
        return c.reply.status;
    }

    lift::system_clock clock_;
    lift::app app_;
    recorder rec_;
    std::unique_ptr<lift::gateway::gateway> gw_;
    std::uint16_t port_ = 0;
    std::atomic<int> calls_{0};
    std::mutex last_mutex_;
    std::optional<lift::authorizer_request> last_;
};

TEST_F(authorizer_gateway_test, missing_or_empty_identity_source_is_401_without_a_call) {
    start_with_authorizer();
    ws_client none{port_, "/dev", "X-Client: tests\r\n"};
    EXPECT_EQ(none.reply.status, 401) << none.reply.head;
    EXPECT_EQ(none.reply.body, R"({"message":"Unauthorized"})");
    ws_client empty{port_, "/dev?token=", "X-Client: tests\r\n"};
    EXPECT_EQ(empty.reply.status, 401);
    ws_client no_header{port_, "/dev?token=t0k"};
    EXPECT_EQ(no_header.reply.status, 401);
    ws_client wrong_case{port_, "/dev?TOKEN=t0k", "X-Client: tests\r\n"};
    EXPECT_EQ(wrong_case.reply.status, 401);  // query names are case-sensitive
    EXPECT_EQ(calls_.load(), 0);
    // Header names are not: x-client satisfies route.request.header.X-Client.
    ws_client ok{port_, "/dev?token=t0k", "x-client: tests\r\n"};
    EXPECT_EQ(ok.reply.status, 101) << ok.reply.head;
    EXPECT_EQ(calls_.load(), 1);
    EXPECT_EQ(rec_.count(lift::event_type::connect), 1u);
    EXPECT_EQ(gw_->stats().connections_rejected, 4u);
}

TEST_F(authorizer_gateway_test, outcomes_map_to_401_403_and_500) {
    start_with_authorizer();
    EXPECT_EQ(handshake("mode=unauthorized"), 401);
    EXPECT_EQ(handshake("mode=deny"), 403);
    EXPECT_EQ(handshake("mode=other_stage"), 403);
    EXPECT_EQ(handshake("mode=rest_style"), 403);
    EXPECT_EQ(handshake("mode=error"), 500);
    EXPECT_EQ(handshake("mode=throw"), 500);
    EXPECT_EQ(handshake("mode=big"), 500);
    EXPECT_EQ(handshake("mode=bad_context"), 500);
    EXPECT_EQ(calls_.load(), 8);
    // $connect never ran for a refused handshake.
    EXPECT_EQ(rec_.count(lift::event_type::connect), 0u);
    EXPECT_EQ(handshake("mode=wildcard"), 101);
    EXPECT_EQ(rec_.count(lift::event_type::connect), 1u);
}

TEST_F(authorizer_gateway_test, an_authorizer_slower_than_the_integration_timeout_is_500) {
    start_with_authorizer();
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(handshake("mode=slow"), 500);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1400ms);
    EXPECT_EQ(rec_.count(lift::event_type::connect), 0u);
}

TEST_F(authorizer_gateway_test, the_authorizer_runs_off_the_network_thread) {
    start_with_authorizer();
    // While one handshake waits on a slow authorizer, another connection is served.
    std::thread slow([this] { (void)handshake("mode=slow"); });
    std::this_thread::sleep_for(50ms);  // let the slow handshake reach the authorizer first
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(handshake("mode=allow"), 101);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 700ms);
    slow.join();
}

TEST_F(authorizer_gateway_test, the_request_event_is_the_connect_context_with_method_arn) {
    start_with_authorizer();
    ws_client c{port_, "/dev?token=t0k&user=bob",
                "X-Client: tests\r\nOrigin: https://a.example\r\n"};
    ASSERT_EQ(c.reply.status, 101) << c.reply.head;
    const auto connect = rec_.wait_for(
        [](const lift::websocket_event& e) { return e.type() == lift::event_type::connect; });
    ASSERT_TRUE(connect);
    std::lock_guard lock{last_mutex_};
    ASSERT_TRUE(last_);
    EXPECT_EQ(last_->type, "REQUEST");
    const auto& rc = connect->event.request_context;
    EXPECT_EQ(last_->method_arn,
              "arn:aws:execute-api:us-east-1:123456789012:" + rc.api_id + "/dev/$connect");
    EXPECT_EQ(last_->request_context.connection_id, rc.connection_id);
    EXPECT_EQ(last_->request_context.route_key, "$connect");
    EXPECT_EQ(last_->request_context.type, lift::event_type::connect);
    EXPECT_FALSE(last_->request_context.authorizer);
    ASSERT_NE(last_->header("Connection"), nullptr);  // present for authorizers only
    ASSERT_NE(last_->header("Upgrade"), nullptr);
    EXPECT_EQ(*last_->header("content-length"), "0");
    EXPECT_EQ(*last_->header("Origin"), "https://a.example");
    EXPECT_EQ(*last_->query("user"), "bob");
    EXPECT_EQ(connect->event.header("Connection"), nullptr);
    // The JSON form parses back to the same event.
    auto again = lift::parse_authorizer_request(lift::serialize(*last_));
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->method_arn, last_->method_arn);
}

TEST_F(authorizer_gateway_test, allow_puts_principal_and_context_on_every_event) {
    start_with_authorizer();
    ws_client c{port_, "/dev?token=t0k&user=carol", "X-Client: tests\r\n"};
    ASSERT_EQ(c.reply.status, 101) << c.reply.head;
    const json::object expected{
        {"principalId", "carol"}, {"role", "admin"}, {"level", 3}, {"beta", true}};
    const auto connect = rec_.wait_for(
        [](const lift::websocket_event& e) { return e.type() == lift::event_type::connect; });
    ASSERT_TRUE(connect);
    ASSERT_TRUE(connect->event.request_context.authorizer);
    EXPECT_EQ(*connect->event.request_context.authorizer, expected);
    EXPECT_EQ(connect->subject, "carol");

    ASSERT_TRUE(c.send_text(R"({"action":"whoami"})"));
    auto f = c.read_frame();
    ASSERT_TRUE(f);
    const auto reply = json::parse(f->payload);
    EXPECT_EQ(reply.at("subject"), "carol");
    EXPECT_EQ(reply.at("authorizer"), expected);
    const auto message = rec_.wait_for(
        [](const lift::websocket_event& e) { return e.type() == lift::event_type::message; });
    ASSERT_TRUE(message);
    EXPECT_EQ(message->subject, "carol");
    EXPECT_EQ(message->claims.at("role"), "admin");

    ASSERT_TRUE(c.send_close(1000));
    const auto disconnect = rec_.wait_for(
        [](const lift::websocket_event& e) { return e.type() == lift::event_type::disconnect; });
    ASSERT_TRUE(disconnect);
    ASSERT_TRUE(disconnect->event.request_context.authorizer);
    EXPECT_EQ(*disconnect->event.request_context.authorizer, expected);
    EXPECT_EQ(disconnect->subject, "carol");
    EXPECT_EQ(disconnect->claims.at("level"), 3);
}

TEST_F(authorizer_gateway_test, connections_without_an_authorizer_carry_none) {
    start(base_options());
    ws_client c{port_, "/dev"};
    ASSERT_EQ(c.reply.status, 101);
    ASSERT_TRUE(c.send_text(R"({"action":"whoami"})"));
    auto f = c.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(json::parse(f->payload).at("authorizer"), nullptr);
}

TEST_F(authorizer_gateway_test, bad_configuration_fails_start) {
    auto o = base_options();
    o.authorizer = lift::gateway::connect_authorizer{
        .identity_sources = {"route.request.body.token"}, .invoke = scripted_authorizer};
    auto g = lift::gateway::gateway::start(app_, o);
    ASSERT_FALSE(g);
    EXPECT_EQ(g.error().code, lift::errc::invalid_argument);
    EXPECT_NE(g.error().message.find("route.request.body.token"), std::string::npos);
    o.authorizer = lift::gateway::connect_authorizer{};
    EXPECT_FALSE(lift::gateway::gateway::start(app_, o));
    auto bad_origin = base_options();
    bad_origin.allowed_origins = {"https://app.example.com/"};
    auto g2 = lift::gateway::gateway::start(app_, bad_origin);
    ASSERT_FALSE(g2);
    EXPECT_EQ(g2.error().code, lift::errc::invalid_argument);
    bad_origin.allowed_origins = {"app.example.com"};
    EXPECT_FALSE(lift::gateway::gateway::start(app_, bad_origin));
}

// ---- Origin allowlist -----------------------------------------------------------------------

TEST_F(authorizer_gateway_test, origin_allowlist_refuses_other_origins_before_connect) {
    auto o = base_options();
    o.allowed_origins = {"https://app.example.com", "http://localhost:5173"};
    start(std::move(o));
    ws_client allowed{port_, "/dev", "Origin: https://app.example.com\r\n"};
    EXPECT_EQ(allowed.reply.status, 101) << allowed.reply.head;
    ws_client port_too{port_, "/dev", "Origin: http://localhost:5173\r\n"};
    EXPECT_EQ(port_too.reply.status, 101);
    ws_client host_case{port_, "/dev", "Origin: HTTPS://App.Example.com\r\n"};
    EXPECT_EQ(host_case.reply.status, 101);  // scheme and host compare case-insensitively
    ws_client absent{port_, "/dev"};
    EXPECT_EQ(absent.reply.status, 101);  // non-browser clients send no Origin
    EXPECT_EQ(rec_.count(lift::event_type::connect), 4u);

    for (const char* bad :
         {"https://evil.example.com", "http://app.example.com", "https://app.example.com:8443",
          "https://app.example.com.evil.io", "http://localhost:5174", "null"}) {
        ws_client refused{port_, "/dev", std::string{"Origin: "} + bad + "\r\n"};
        EXPECT_EQ(refused.reply.status, 403) << bad;
        EXPECT_EQ(refused.reply.body, R"({"message":"Forbidden"})");
    }
    EXPECT_EQ(rec_.count(lift::event_type::connect), 4u);  // $connect never ran for them
}

TEST_F(authorizer_gateway_test, require_origin_refuses_handshakes_without_one) {
    auto o = base_options();
    o.allowed_origins = {"https://app.example.com"};
    o.require_origin = true;
    start(std::move(o));
    ws_client absent{port_, "/dev"};
    EXPECT_EQ(absent.reply.status, 403);
    ws_client allowed{port_, "/dev", "Origin: https://app.example.com\r\n"};
    EXPECT_EQ(allowed.reply.status, 101);
}

TEST_F(authorizer_gateway_test, origin_is_checked_before_the_authorizer) {
    auto o = base_options();
    o.allowed_origins = {"https://app.example.com"};
    o.authorizer =
        lift::gateway::connect_authorizer{.identity_sources = {"route.request.querystring.token"},
                                          .invoke = [this](const lift::authorizer_request& req) {
                                              calls_.fetch_add(1);
                                              return scripted_authorizer(req);
                                          }};
    start(std::move(o));
    ws_client refused{port_, "/dev?token=t", "Origin: https://evil.example.com\r\n"};
    EXPECT_EQ(refused.reply.status, 403);
    EXPECT_EQ(calls_.load(), 0);
    ws_client ok{port_, "/dev?token=t", "Origin: https://app.example.com\r\n"};
    EXPECT_EQ(ok.reply.status, 101);
    EXPECT_EQ(calls_.load(), 1);
}

// ---- out of process: example-authorizer through function_gateway -----------------------------

class function_authorizer_test : public ::testing::Test {
protected:
    void TearDown() override {
        if (gw_) {
            gw_->stop();
        }
    }

    void start(std::map<std::string, std::string> authorizer_env) {
        lift::gateway::api_config api;
        api.name = "authz";
        lift::gateway::function_config auth;
        auth.name = "auth";
        auth.command = {LIFT_EXAMPLE_AUTHORIZER};
        auth.environment = std::move(authorizer_env);
        lift::gateway::function_config app;
        app.name = "app";
        app.command = {LIFT_FAKE_BOOTSTRAP};
        api.functions = {auth, app};
        api.routes = {{.route_key = "$connect", .function = "app"},
                      {.route_key = "event", .function = "app", .two_way = true}};
        api.authorizer = lift::gateway::authorizer_binding{
            .function = "auth", .identity_sources = {"route.request.querystring.user"}};
        lift::gateway::options o;
        o.port = 0;
        o.integration_timeout_ms = 10000;
        o.level = lift::log_level::off;
        lift::gateway::function_host_options h;
        h.level = lift::log_level::off;
        auto g = lift::gateway::function_gateway::start(api, o, h);
        ASSERT_TRUE(g) << g.error().message;
        gw_ = std::move(*g);
    }

    std::uint64_t authorizer_calls() { return gw_->host().stats("auth").invocations; }

    std::unique_ptr<lift::gateway::function_gateway> gw_;
};

TEST_F(function_authorizer_test, example_authorizer_decides_every_outcome) {
    start({{"LIFT_AUTHORIZER_TOKEN", "s3cret"}});
    const auto port = gw_->port();
    ws_client no_source{port, "/dev?token=s3cret"};
    EXPECT_EQ(no_source.reply.status, 401);
    EXPECT_EQ(authorizer_calls(), 0u);

    ws_client no_token{port, "/dev?user=dave"};  // the function answers Unauthorized
    EXPECT_EQ(no_token.reply.status, 401) << no_token.reply.head;
    EXPECT_EQ(authorizer_calls(), 1u);

    ws_client wrong{port, "/dev?user=dave&token=guess"};
    EXPECT_EQ(wrong.reply.status, 403) << wrong.reply.head;

    ws_client bearer{port, "/dev?user=erin", "Authorization: Bearer s3cret\r\n"};
    EXPECT_EQ(bearer.reply.status, 101) << bearer.reply.head;
    EXPECT_EQ(authorizer_calls(), 3u);

    ws_client ok{port, "/dev?user=dave&token=s3cret"};
    ASSERT_EQ(ok.reply.status, 101) << ok.reply.head;
    ASSERT_TRUE(ok.send_text(R"({"action":"event","cmd":"event"})"));
    auto f = ok.read_frame(10000);
    ASSERT_TRUE(f);
    const auto event = json::parse(f->payload);
    EXPECT_EQ(
        event.at("requestContext").at("authorizer"),
        (json::object{
            {"principalId", "dave"}, {"role", "member"}, {"authorizedBy", "example-authorizer"}}));
}

TEST_F(function_authorizer_test, a_failing_authorizer_function_is_500) {
    start({});  // LIFT_AUTHORIZER_TOKEN unset: the example reports an error
    ws_client c{gw_->port(), "/dev?user=dave&token=x"};
    EXPECT_EQ(c.reply.status, 500) << c.reply.head;
    EXPECT_EQ(authorizer_calls(), 1u);
}

TEST(function_authorizer, an_unknown_authorizer_function_fails_start) {
    lift::gateway::api_config api;
    lift::gateway::function_config app;
    app.name = "app";
    app.command = {LIFT_FAKE_BOOTSTRAP};
    api.functions = {app};
    api.routes = {{.route_key = "$connect", .function = "app"}};
    api.authorizer = lift::gateway::authorizer_binding{.function = "nope"};
    auto g = lift::gateway::function_gateway::start(api, {.port = 0}, {});
    ASSERT_FALSE(g);
    EXPECT_NE(g.error().message.find("nope"), std::string::npos);
}

}  // namespace
