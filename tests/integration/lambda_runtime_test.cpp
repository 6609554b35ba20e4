// The Lambda custom-runtime loop (lift::runtime::run_lambda) against a fake Runtime API on
// 127.0.0.1:0 that serves scripted events and records every post; plus one process-level run of
// example-echo with AWS_LAMBDA_RUNTIME_API pointing at the fake.
#include <chrono>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <lift/aws/config.hpp>
#include <lift/core/app.hpp>
#include <lift/core/clock.hpp>
#include <lift/core/json.hpp>
#include <lift/core/memory_store.hpp>
#include <lift/runtime/lambda.hpp>

#include "http_test_server.hpp"
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>

extern char** environ;

namespace {

namespace json = boost::json;
using lift::test::server_action;
using lift::test::server_request;
namespace rt = lift::runtime;

// One event the fake serves on /next.
struct scripted_event {
    std::string id;
    std::string body;
    std::map<std::string, std::string> headers;  // Lambda-Runtime-* besides the request id
    bool unknown_id = false;                     // answer 400 InvalidRequestID to posts for this id
};

std::string http_response(int status,
                          const std::string& reason,
                          const std::string& body,
                          const std::string& extra = "") {
    return "HTTP/1.1 " + std::to_string(status) + " " + reason +
           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n" + extra + "\r\n" + body;
}

// The fake Runtime API: /next pops the script (500 when it is empty, which tells the runtime to
// exit), posts are recorded and answered like the real API (202, 400 for unknown ids, 413 for
// responses over 6291556 bytes). `/STAGE/@connections/ID` posts are recorded too (a local
// management endpoint).
class fake_runtime_api {
public:
    fake_runtime_api() : server_([this](const server_request& r) { return handle(r); }) {}

    std::string address() const { return "127.0.0.1:" + std::to_string(server_.port()); }

    void push(scripted_event ev) {
        std::lock_guard lock{mutex_};
        script_.push_back(std::move(ev));
    }

    void fail_next(int times) {
        std::lock_guard lock{mutex_};
        next_failures_ = times;
    }

    std::vector<server_request> posts() const {
        std::lock_guard lock{mutex_};
        return posts_;
    }

    int next_calls() const {
        std::lock_guard lock{mutex_};
        return next_calls_;
    }

    lift::test::http_test_server& server() { return server_; }

private:
    server_action handle(const server_request& r) {
        std::lock_guard lock{mutex_};
        if (r.method == "GET" && r.target == "/2018-06-01/runtime/invocation/next") {
            ++next_calls_;
            if (next_failures_ > 0 || script_.empty()) {
                if (next_failures_ > 0) {
                    --next_failures_;
                }
                return {http_response(500, "Internal Server Error",
                                      R"({"errorMessage":"no more events","errorType":"Stop"})")};
            }
            scripted_event ev = std::move(script_.front());
            script_.pop_front();
            std::string extra = "Lambda-Runtime-Aws-Request-Id: " + ev.id + "\r\n";
            for (const auto& [name, value] : ev.headers) {
                extra += name + ": " + value + "\r\n";
            }
            if (ev.unknown_id) {
                unknown_.insert(ev.id);
            }
            return {http_response(200, "OK", ev.body, extra)};
        }
        posts_.push_back(r);
        const std::string prefix = "/2018-06-01/runtime/invocation/";
        if (r.target.rfind(prefix, 0) == 0) {
            const std::string rest = r.target.substr(prefix.size());
            const std::string id = rest.substr(0, rest.find('/'));
            if (unknown_.count(id) != 0) {
                return {http_response(400, "Bad Request",
                                      R"({"errorMessage":"Invalid request ID","errorType":)"
                                      R"("InvalidRequestID"})")};
            }
            if (rest.ends_with("/response") && r.body.size() > rt::max_response_bytes) {
                return {http_response(413, "Request Entity Too Large",
                                      R"({"errorMessage":"Exceeded maximum allowed payload size )"
                                      R"((6291556 bytes).","errorType":"RequestEntityTooLarge"})")};
            }
            return {http_response(202, "Accepted", R"({"status":"OK"})")};
        }
        if (r.target.find("/@connections/") != std::string::npos) {
            return {http_response(200, "OK", "")};
        }
        return {http_response(202, "Accepted", R"({"status":"OK"})")};
    }

    mutable std::mutex mutex_;
    std::deque<scripted_event> script_;
    std::vector<server_request> posts_;
    std::set<std::string> unknown_;
    int next_failures_ = 0;
    int next_calls_ = 0;
    lift::test::http_test_server server_;  // last: stops (joins) before the state goes
};

// Collects log lines.
class capture_sink final : public lift::log_sink {
public:
    void write(std::string_view line) override {
        std::lock_guard lock{mutex_};
        lines_.emplace_back(line);
    }

    bool contains(std::string_view text) const {
        std::lock_guard lock{mutex_};
        for (const auto& l : lines_) {
            if (l.find(text) != std::string::npos) {
                return true;
            }
        }
        return false;
    }

    std::vector<std::string> lines() const {
        std::lock_guard lock{mutex_};
        return lines_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::string> lines_;
};

lift::websocket_event make_event(lift::event_type type,
                                 const std::string& route,
                                 const std::string& body = "") {
    lift::websocket_event ev;
    auto& rc = ev.request_context;
    rc.route_key = route;
    rc.type = type;
    rc.stage = "prod";
    rc.request_id = "apigw-req-1";
    rc.extended_request_id = "apigw-req-1";
    rc.request_time = "20/Jan/2024:11:55:00 +0000";
    rc.request_time_epoch = 1705751700000;
    rc.connected_at = lift::system_clock{}.now_ms();  // records must not be expired already
    rc.domain_name = "abc123.execute-api.eu-west-1.amazonaws.com";
    rc.connection_id = "Conn1dAAAA=";
    rc.api_id = "abc123";
    rc.identity.source_ip = "198.51.100.7";
    if (type == lift::event_type::message) {
        rc.message_id = "msg-1";
        ev.body = body;
    } else {
        ev.headers = lift::string_map{{"Host", rc.domain_name}};
    }
    return ev;
}

std::string deadline_in(std::int64_t ms) {
    return std::to_string(lift::system_clock{}.now_ms() + ms);
}

scripted_event scripted(const std::string& id, const lift::websocket_event& ev) {
    return {id, lift::serialize(ev), {{"Lambda-Runtime-Deadline-Ms", deadline_in(30'000)}}};
}

lift::aws::map_environment base_env() {
    return lift::aws::map_environment{{{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                                       {"AWS_SECRET_ACCESS_KEY", "secret-example"},
                                       {"AWS_REGION", "eu-west-1"}}};
}

struct harness {
    fake_runtime_api api;
    capture_sink sink;
    lift::aws::map_environment env = base_env();
    rt::lambda_options options;

    harness() {
        options.runtime_api = api.address();
        options.sink = &sink;
        options.backoff = std::chrono::milliseconds{1};
        options.post_timeout = std::chrono::milliseconds{10'000};
    }

    int run(lift::app& app, std::size_t invocations) {
        options.max_invocations = invocations;
        return rt::run_lambda(app, env, options);
    }
};

const server_request* find_post(const std::vector<server_request>& posts,
                                const std::string& target) {
    for (const auto& p : posts) {
        if (p.target == target) {
            return &p;
        }
    }
    return nullptr;
}

TEST(LambdaRuntime, MessageEventPostsTheProxyResponse) {
    harness h;
    lift::app app;
    std::optional<lift::invocation_info> seen;
    std::int64_t remaining = 0;
    std::string trace_env;
    std::string route_seen;
    app.on("ping",
           [&](lift::context& ctx) {
               seen = *ctx.invocation();
               remaining = ctx.remaining_ms();
               const char* t = std::getenv("_X_AMZN_TRACE_ID");
               trace_env = t != nullptr ? t : "(unset)";
               route_seen = ctx.route_key();
               return lift::reply::text(R"({"pong":true})");
           },
           {.two_way = true});
    auto ev =
        scripted("req-1", make_event(lift::event_type::message, "ping", R"({"action":"ping"})"));
    ev.headers["Lambda-Runtime-Invoked-Function-Arn"] =
        "arn:aws:lambda:eu-west-1:123456789012:function:echo:live";
    ev.headers["Lambda-Runtime-Trace-Id"] = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1";
    ev.headers["Lambda-Runtime-Client-Context"] = R"({"client":{"app_title":"t"}})";
    ev.headers["Lambda-Runtime-Cognito-Identity"] = R"({"cognitoIdentityId":"id-1"})";
    h.api.push(ev);
    // A second event without a trace id: the variable must not keep the first one's value.
    auto second = scripted("req-2", make_event(lift::event_type::message, "ping", "{}"));
    h.api.push(second);

    EXPECT_EQ(h.run(app, 1), rt::exit_status::done);
    ASSERT_TRUE(seen.has_value());
    EXPECT_EQ(seen->request_id, "req-1");
    EXPECT_EQ(seen->function_arn, "arn:aws:lambda:eu-west-1:123456789012:function:echo:live");
    EXPECT_EQ(seen->client_context, R"({"client":{"app_title":"t"}})");
    EXPECT_EQ(seen->cognito_identity, R"({"cognitoIdentityId":"id-1"})");
    EXPECT_EQ(seen->deadline_ms, std::stoll(ev.headers["Lambda-Runtime-Deadline-Ms"]));
    EXPECT_GT(remaining, 20'000);
    EXPECT_LE(remaining, 30'000);
    EXPECT_EQ(trace_env, "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1");
    EXPECT_EQ(route_seen, "ping");

    const auto posts = h.api.posts();
    ASSERT_EQ(posts.size(), 1u);
    EXPECT_EQ(posts[0].method, "POST");
    EXPECT_EQ(posts[0].target, "/2018-06-01/runtime/invocation/req-1/response");
    auto reply = lift::parse_reply(posts[0].body);
    ASSERT_TRUE(reply) << posts[0].body;
    EXPECT_EQ(reply->status_code, 200);
    ASSERT_TRUE(reply->body.has_value());
    EXPECT_EQ(*reply->body, R"({"pong":true})");
    // Exactly what serialising the handler's reply gives (the gateway sends its body back).
    EXPECT_EQ(posts[0].body, lift::serialize(lift::reply::text(R"({"pong":true})")));

    h.run(app, 1);
    EXPECT_EQ(trace_env, "(unset)");
}

TEST(LambdaRuntime, UnknownRouteKeyFallsBackToDefaultLikeTheGateway) {
    harness h;
    lift::app app;
    std::string route_seen;
    app.on_default([&](lift::context& ctx) {
        route_seen = ctx.route_key();
        return lift::reply::text("default");
    });
    h.api.push(scripted("r", make_event(lift::event_type::message, "nosuchroute", "{}")));
    EXPECT_EQ(h.run(app, 1), rt::exit_status::done);
    EXPECT_EQ(route_seen, "$default");
    const auto posts = h.api.posts();
    ASSERT_EQ(posts.size(), 1u);
    EXPECT_EQ(posts[0].target, "/2018-06-01/runtime/invocation/r/response");
}

TEST(LambdaRuntime, NoRouteAndNoDefaultIsAnError) {
    harness h;
    lift::app app;
    app.on("other", [](lift::context&) { return lift::reply::ok(); });
    h.api.push(scripted("r", make_event(lift::event_type::message, "nosuchroute", "{}")));
    EXPECT_EQ(h.run(app, 1), rt::exit_status::done);
    const auto posts = h.api.posts();
    ASSERT_EQ(posts.size(), 1u);
    EXPECT_EQ(posts[0].target, "/2018-06-01/runtime/invocation/r/error");
    EXPECT_EQ(posts[0].headers.at("lambda-runtime-function-error-type"), "Lift.NoRoute");
}

TEST(LambdaRuntime, ConnectRejectedWith401IsNotStored) {
    harness h;
    lift::app app;
    app.on_connect([](lift::context& ctx) {
        return ctx.event().query("deny") != nullptr ? lift::reply::status(401) : lift::reply::ok();
    });
    auto denied = make_event(lift::event_type::connect, "$connect");
    denied.query_string_parameters = lift::string_map{{"deny", "1"}};
    denied.request_context.connection_id = "denied=";
    h.api.push(scripted("c1", denied));
    auto accepted = make_event(lift::event_type::connect, "$connect");
    accepted.request_context.connection_id = "accepted=";
    h.api.push(scripted("c2", accepted));

    EXPECT_EQ(h.run(app, 2), rt::exit_status::done);
    const auto posts = h.api.posts();
    ASSERT_EQ(posts.size(), 2u);
    EXPECT_EQ(posts[0].target, "/2018-06-01/runtime/invocation/c1/response");
    auto r1 = lift::parse_reply(posts[0].body);
    ASSERT_TRUE(r1);
    EXPECT_EQ(r1->status_code, 401);
    auto r2 = lift::parse_reply(posts[1].body);
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->status_code, 200);
    // No store configured: the loop installed a memory store (with a warning), as `run` does.
    ASSERT_NE(app.store(), nullptr);
    EXPECT_TRUE(h.sink.contains("in-memory connection store"));
    EXPECT_FALSE(app.store()->get("denied=")->has_value());
    EXPECT_TRUE(app.store()->get("accepted=")->has_value());
}

TEST(LambdaRuntime, HandlerExceptionPostsAnError) {
    harness h;
    lift::app app;
    app.on("fail", [](lift::context&) -> lift::reply { throw std::runtime_error("boom"); });
    h.api.push(scripted("e1", make_event(lift::event_type::message, "fail", "{}")));
    EXPECT_EQ(h.run(app, 1), rt::exit_status::done);
    const auto posts = h.api.posts();
    ASSERT_EQ(posts.size(), 1u);
    EXPECT_EQ(posts[0].target, "/2018-06-01/runtime/invocation/e1/error");
    EXPECT_EQ(posts[0].headers.at("lambda-runtime-function-error-type"), "Lift.HandlerFailed");
    const json::value body = json::parse(posts[0].body);
    EXPECT_EQ(body.at("errorMessage").as_string(), "boom");
    EXPECT_EQ(body.at("errorType").as_string(), "Lift.HandlerFailed");
    EXPECT_TRUE(body.at("stackTrace").as_array().empty());
}

// Log lines (JSON objects without `_aws`) and EMF documents (with it) from a capture.
struct split_output {
    std::vector<json::object> logs;
    std::vector<json::object> emf;
};

split_output split(const capture_sink& sink) {
    split_output out;
    for (const auto& l : sink.lines()) {
        auto v = json::parse(l).as_object();
        (v.contains("_aws") ? out.emf : out.logs).push_back(std::move(v));
    }
    return out;
}

TEST(LambdaRuntime, LogLinesCarryTraceIdFunctionNameAndColdStart) {
    harness h;
    h.env.set("AWS_LAMBDA_FUNCTION_NAME", "chat-fn");
    lift::app app;
    app.on("ping", [](lift::context& ctx) { ctx.log().info("handled"); });
    auto first = scripted("inv-1", make_event(lift::event_type::message, "ping", "{}"));
    first.headers["Lambda-Runtime-Trace-Id"] = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1";
    h.api.push(first);
    h.api.push(scripted("inv-2", make_event(lift::event_type::message, "ping", "{}")));
    EXPECT_EQ(h.run(app, 2), rt::exit_status::done);
    std::vector<json::object> handled;
    for (const auto& l : split(h.sink).logs) {
        if (l.at("message") == "handled") {
            handled.push_back(l);
        }
    }
    ASSERT_EQ(handled.size(), 2u);
    EXPECT_EQ(handled[0].at("requestId"), "apigw-req-1");  // API Gateway's id from the event
    EXPECT_EQ(handled[0].at("traceId"), "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1");
    EXPECT_EQ(handled[0].at("functionName"), "chat-fn");
    EXPECT_EQ(handled[0].at("coldStart"), true);
    EXPECT_EQ(handled[0].at("connectionId"), "Conn1dAAAA=");
    EXPECT_EQ(handled[0].at("routeKey"), "ping");
    EXPECT_EQ(handled[1].at("coldStart"), false);
    EXPECT_EQ(handled[1].count("traceId"), 0u);
}

TEST(LambdaRuntime, MetricsAreWrittenOncePerInvocationAsEmf) {
    harness h;
    h.env.set("AWS_LAMBDA_FUNCTION_NAME", "chat-fn");
    h.env.set("LIFT_METRICS_NAMESPACE", "ChatApp");
    h.env.set("LIFT_METRICS_DIMENSIONS", "stage=prod");
    lift::app app;
    app.on("ping", [](lift::context& ctx) {
        ctx.metrics().add("Pings", 1);
        return lift::reply::ok();
    });
    h.api.push(scripted("inv-1", make_event(lift::event_type::message, "ping", "{}")));
    h.api.push(scripted("inv-2", make_event(lift::event_type::message, "ping", R"({"a":1})")));
    EXPECT_EQ(h.run(app, 2), rt::exit_status::done);
    const auto out = split(h.sink);
    ASSERT_EQ(out.emf.size(), 2u);  // one document per invocation here
    const auto& a = out.emf[0];
    const auto& b = out.emf[1];
    const auto& dir = a.at("_aws").at("CloudWatchMetrics").as_array();
    EXPECT_EQ(dir[0].at("Namespace"), "ChatApp");
    EXPECT_EQ(a.at("service"), "chat-fn");  // LIFT_METRICS_SERVICE unset: the function name
    EXPECT_EQ(a.at("stage"), "prod");
    EXPECT_EQ(a.at("ColdStart"), 1);
    EXPECT_EQ(b.count("ColdStart"), 0u);
    EXPECT_EQ(a.at("Pings"), 1);
    EXPECT_EQ(a.at("Messages"), 1);
    EXPECT_EQ(a.at("route"), "ping");
    EXPECT_EQ(a.at("MessageBytes"), 2);
    EXPECT_EQ(b.at("MessageBytes"), 7);
    EXPECT_EQ(a.at("requestId"), "inv-1");
    EXPECT_EQ(b.at("requestId"), "inv-2");
    EXPECT_EQ(a.at("connectionId"), "Conn1dAAAA=");
    const auto ts = a.at("_aws").at("Timestamp").to_number<std::int64_t>();
    EXPECT_LE(std::abs(ts - lift::system_clock{}.now_ms()), 60'000);
}

TEST(LambdaRuntime, BadMetricsConfigurationIsAnInitError) {
    harness h;
    h.env.set("LIFT_METRICS_DIMENSIONS", "no-equals-sign");
    lift::app app;
    EXPECT_EQ(h.run(app, 1), rt::exit_status::init_failed);
    const auto posts = h.api.posts();
    ASSERT_EQ(posts.size(), 1u);
    EXPECT_EQ(posts[0].target, "/2018-06-01/runtime/init/error");
    EXPECT_NE(posts[0].body.find("LIFT_METRICS_DIMENSIONS"), std::string::npos);
}

TEST(LambdaRuntime, DebugLinesAreWrittenOnlyForFailedInvocations) {
    harness h;
    h.env.set("LIFT_LOG_LEVEL", "info");
    lift::app app;
    app.on("ok", [](lift::context& ctx) { ctx.log().debug("debug-of-ok"); });
    app.on("fail", [](lift::context& ctx) -> lift::reply {
        ctx.log().debug("debug-of-fail");
        throw std::runtime_error("kaput");
    });
    app.on_connect([](lift::context& ctx) -> lift::reply {
        ctx.log().debug("debug-of-connect");
        throw std::runtime_error("connect kaput");
    });
    h.api.push(scripted("i1", make_event(lift::event_type::message, "ok", "{}")));
    h.api.push(scripted("i2", make_event(lift::event_type::message, "fail", "{}")));
    h.api.push(scripted("i3", make_event(lift::event_type::connect, "$connect")));
    EXPECT_EQ(h.run(app, 3), rt::exit_status::done);
    EXPECT_FALSE(h.sink.contains("debug-of-ok"));
    EXPECT_TRUE(h.sink.contains("debug-of-fail"));
    EXPECT_TRUE(h.sink.contains("debug-of-connect"));
    // The event itself is among the buffered lines, with the request id.
    bool event_line = false;
    for (const auto& l : split(h.sink).logs) {
        if (l.at("message") == "event" && l.at("routeKey") == "fail") {
            event_line = true;
            EXPECT_EQ(l.at("level"), "DEBUG");
        }
    }
    EXPECT_TRUE(event_line);
}

TEST(LambdaRuntime, ConnectExceptionIsRecoveredAs500) {
    harness h;
    lift::app app;
    app.on_connect([](lift::context&) -> lift::reply {
        throw std::runtime_error("internal detail: db at 10.0.0.7 refused");
    });
    h.api.push(scripted("c1", make_event(lift::event_type::connect, "$connect")));
    EXPECT_EQ(h.run(app, 1), rt::exit_status::done);
    const auto posts = h.api.posts();
    ASSERT_EQ(posts.size(), 1u);
    EXPECT_EQ(posts[0].target, "/2018-06-01/runtime/invocation/c1/response");
    auto r = lift::parse_reply(posts[0].body);
    ASSERT_TRUE(r) << posts[0].body;
    EXPECT_EQ(r->status_code, 500);
    EXPECT_EQ(posts[0].body.find("10.0.0.7"), std::string::npos);
    bool detail_logged = false;
    for (const auto& l : split(h.sink).logs) {
        if (l.at("level") == "ERROR" && l.contains("errorMessage")) {
            detail_logged = true;
            EXPECT_EQ(l.at("errorMessage"), "internal detail: db at 10.0.0.7 refused");
            EXPECT_EQ(l.at("exceptionType"), "std::runtime_error");
            EXPECT_EQ(l.at("routeKey"), "$connect");
            EXPECT_EQ(l.at("requestId"), "apigw-req-1");
        }
    }
    EXPECT_TRUE(detail_logged);
    const auto out = split(h.sink);
    ASSERT_FALSE(out.emf.empty());
    bool error_metric = false;
    for (const auto& d : out.emf) {
        if (d.contains("Errors")) {
            error_metric = true;
            EXPECT_EQ(d.at("errorType"), "Exception");
        }
    }
    EXPECT_TRUE(error_metric);
}

TEST(LambdaRuntime, InvalidEventPostsAnError) {
    harness h;
    lift::app app;
    app.on_default([](lift::context&) { return lift::reply::ok(); });
    h.api.push({"bad", "this is not json", {}});
    h.api.push({"bad2", R"({"requestContext":"not an object"})", {}});
    EXPECT_EQ(h.run(app, 2), rt::exit_status::done);
    const auto posts = h.api.posts();
    ASSERT_EQ(posts.size(), 2u);
    for (const auto& p : posts) {
        EXPECT_TRUE(p.target.ends_with("/error")) << p.target;
        EXPECT_EQ(p.headers.at("lambda-runtime-function-error-type"), "Runtime.InvalidEvent");
    }
}

TEST(LambdaRuntime, InitErrorIsPostedAndExitsNonZero) {
    harness h;
    h.env.set("LIFT_CONNECTION_STORE", "dynamodb");  // no LIFT_DYNAMODB_TABLE
    lift::app app;
    app.on_default([](lift::context&) { return lift::reply::ok(); });
    h.api.push(scripted("never", make_event(lift::event_type::message, "$default", "{}")));
    const int status = h.run(app, 1);
    EXPECT_EQ(status, rt::exit_status::init_failed);
    EXPECT_NE(status, 0);
    EXPECT_EQ(h.api.next_calls(), 0);
    const auto posts = h.api.posts();
    ASSERT_EQ(posts.size(), 1u);
    EXPECT_EQ(posts[0].target, "/2018-06-01/runtime/init/error");
    EXPECT_EQ(posts[0].headers.at("lambda-runtime-function-error-type"), "Runtime.ConfigInvalid");
    const json::value body = json::parse(posts[0].body);
    EXPECT_NE(std::string{body.at("errorMessage").as_string()}.find("LIFT_DYNAMODB_TABLE"),
              std::string::npos);
}

TEST(LambdaRuntime, MissingCredentialsIsAnInitError) {
    harness h;
    h.env.unset("AWS_SECRET_ACCESS_KEY");
    h.env.set("HOME", "/nonexistent-lift-test-home");
    lift::app app;
    EXPECT_EQ(h.run(app, 1), rt::exit_status::init_failed);
    const auto posts = h.api.posts();
    ASSERT_EQ(posts.size(), 1u);
    EXPECT_EQ(posts[0].target, "/2018-06-01/runtime/init/error");
    EXPECT_NE(posts[0].body.find("credentials"), std::string::npos);
}

TEST(LambdaRuntime, BadLogLevelIsAnInitError) {
    harness h;
    h.env.set("LIFT_LOG_LEVEL", "loud");
    lift::app app;
    EXPECT_EQ(h.run(app, 1), rt::exit_status::init_failed);
    const auto posts = h.api.posts();
    ASSERT_EQ(posts.size(), 1u);
    EXPECT_EQ(posts[0].target, "/2018-06-01/runtime/init/error");
}

TEST(LambdaRuntime, ResponseOver6MiBBecomesAnErrorAndTheLoopContinues) {
    harness h;
    lift::app app;
    app.on("big", [](lift::context&) {
        return lift::reply::text(std::string(rt::max_response_bytes + 100, 'x'));
    });
    app.on("small", [](lift::context&) { return lift::reply::text("ok"); });
    h.api.push(scripted("big1", make_event(lift::event_type::message, "big", "{}")));
    h.api.push(scripted("small1", make_event(lift::event_type::message, "small", "{}")));
    EXPECT_EQ(h.run(app, 2), rt::exit_status::done);
    const auto posts = h.api.posts();
    ASSERT_EQ(posts.size(), 3u);
    EXPECT_EQ(posts[0].target, "/2018-06-01/runtime/invocation/big1/response");
    EXPECT_EQ(posts[1].target, "/2018-06-01/runtime/invocation/big1/error");
    EXPECT_EQ(posts[1].headers.at("lambda-runtime-function-error-type"),
              "Function.ResponseSizeTooLarge");
    EXPECT_NE(posts[1].body.find("6291556"), std::string::npos);
    EXPECT_EQ(posts[2].target, "/2018-06-01/runtime/invocation/small1/response");
    EXPECT_TRUE(h.sink.contains("exceeded maximum allowed payload size"));
}

// Decision: a deadline already in the past still runs the handler (the platform owns the
// timeout; clocks may be skewed); ctx.remaining_ms() reports it as <= 0 and a warning is logged.
TEST(LambdaRuntime, DeadlineAlreadyPassedStillRunsTheHandler) {
    harness h;
    lift::app app;
    std::optional<std::int64_t> remaining;
    app.on_default([&](lift::context& ctx) {
        remaining = ctx.remaining_ms();
        return lift::reply::text("late");
    });
    auto ev = scripted("late1", make_event(lift::event_type::message, "$default", "x"));
    ev.headers["Lambda-Runtime-Deadline-Ms"] = deadline_in(-5'000);
    h.api.push(ev);
    EXPECT_EQ(h.run(app, 1), rt::exit_status::done);
    ASSERT_TRUE(remaining.has_value());
    EXPECT_LE(*remaining, -5'000);
    EXPECT_TRUE(h.sink.contains("deadline already passed"));
    const auto posts = h.api.posts();
    ASSERT_EQ(posts.size(), 1u);
    EXPECT_EQ(posts[0].target, "/2018-06-01/runtime/invocation/late1/response");
}

TEST(LambdaRuntime, NextAnswering500IsRetriedThenTheLoopExits) {
    harness h;
    lift::app app;
    app.on_default([](lift::context&) { return lift::reply::ok(); });
    // The script is empty: every /next answers 500.
    EXPECT_EQ(h.run(app, 0), rt::exit_status::api_failed);
    EXPECT_EQ(h.api.next_calls(), h.options.max_attempts);
    EXPECT_TRUE(h.sink.contains("Runtime API unavailable after 3 attempts"));
}

TEST(LambdaRuntime, TransientNextFailuresAreRetried) {
    harness h;
    lift::app app;
    app.on_default([](lift::context&) { return lift::reply::text("ok"); });
    h.api.fail_next(2);
    h.api.push(scripted("after-retries", make_event(lift::event_type::message, "$default", "x")));
    EXPECT_EQ(h.run(app, 1), rt::exit_status::done);
    EXPECT_EQ(h.api.next_calls(), 3);
    const auto posts = h.api.posts();
    ASSERT_EQ(posts.size(), 1u);
    EXPECT_EQ(posts[0].target, "/2018-06-01/runtime/invocation/after-retries/response");
}

TEST(LambdaRuntime, ConnectionRefusedExitsAfterBoundedRetries) {
    // A port nobody listens on: bind one, note it, close it.
    std::uint16_t port = 0;
    {
        lift::test::http_test_server tmp([](const server_request&) { return server_action{}; });
        port = tmp.port();
    }
    capture_sink sink;
    rt::lambda_options options;
    options.runtime_api = "127.0.0.1:" + std::to_string(port);
    options.sink = &sink;
    options.backoff = std::chrono::milliseconds{1};
    lift::app app;
    const auto env = base_env();
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(rt::run_lambda(app, env, options), rt::exit_status::api_failed);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds{10});
    EXPECT_TRUE(sink.contains("Runtime API unavailable"));
}

TEST(LambdaRuntime, MissingRuntimeApiIsReported) {
    capture_sink sink;
    rt::lambda_options options;
    options.sink = &sink;
    lift::app app;
    const auto env = base_env();
    EXPECT_EQ(rt::run_lambda(app, env, options), rt::exit_status::no_runtime_api);
    EXPECT_TRUE(sink.contains("AWS_LAMBDA_RUNTIME_API"));
}

TEST(LambdaRuntime, PostForUnknownRequestIdIsLoggedAndTheLoopContinues) {
    harness h;
    lift::app app;
    app.on_default([](lift::context&) { return lift::reply::text("ok"); });
    auto first = scripted("ghost", make_event(lift::event_type::message, "$default", "x"));
    first.unknown_id = true;
    h.api.push(first);
    h.api.push(scripted("real", make_event(lift::event_type::message, "$default", "y")));
    EXPECT_EQ(h.run(app, 2), rt::exit_status::done);
    const auto posts = h.api.posts();
    ASSERT_EQ(posts.size(), 2u);
    EXPECT_EQ(posts[0].target, "/2018-06-01/runtime/invocation/ghost/response");
    EXPECT_EQ(posts[1].target, "/2018-06-01/runtime/invocation/real/response");
    EXPECT_TRUE(h.sink.contains("InvalidRequestID"));
}

TEST(LambdaRuntime, ApiIsAManagementClientForTheOverrideEndpoint) {
    harness h;
    h.env.set("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", "http://" + h.api.address() + "/local");
    lift::app app;
    app.on_default([](lift::context& ctx) -> lift::result<lift::reply> {
        auto sent = ctx.send("hello");
        if (!sent) {
            return sent.error();
        }
        return lift::reply::ok();
    });
    h.api.push(scripted("m1", make_event(lift::event_type::message, "$default", "x")));
    h.api.push(scripted("m2", make_event(lift::event_type::message, "$default", "y")));
    EXPECT_EQ(h.run(app, 2), rt::exit_status::done);
    const auto posts = h.api.posts();
    ASSERT_EQ(posts.size(), 4u);
    EXPECT_EQ(posts[0].target, "/local/@connections/Conn1dAAAA%3D");
    EXPECT_EQ(posts[0].body, "hello");
    EXPECT_NE(posts[0].headers.at("authorization").find("AKIDEXAMPLE/"), std::string::npos);
    EXPECT_EQ(posts[1].target, "/2018-06-01/runtime/invocation/m1/response");
    EXPECT_EQ(posts[2].target, "/local/@connections/Conn1dAAAA%3D");
}

TEST(LambdaRuntime, ManagementUrlComesFromTheEventUnlessOverridden) {
    const auto ev = make_event(lift::event_type::message, "$default", "x");
    lift::aws::map_environment env;
    EXPECT_EQ(rt::management_url_for(env, ev),
              "https://abc123.execute-api.eu-west-1.amazonaws.com/prod");
    env.set("AWS_ENDPOINT_URL", "http://127.0.0.1:4566");
    EXPECT_EQ(rt::management_url_for(env, ev), "http://127.0.0.1:4566");
    env.set("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", "http://127.0.0.1:9/x");
    EXPECT_EQ(rt::management_url_for(env, ev), "http://127.0.0.1:9/x");
    lift::aws::map_environment empty;
    auto no_domain = ev;
    no_domain.request_context.domain_name.clear();
    EXPECT_EQ(rt::management_url_for(empty, no_domain), "");
}

// example-echo as a real bootstrap process: serves one `ping` (two-way, {"pong":true}), then the
// fake's 500 on /next makes it exit non-zero after its bounded retries.
TEST(LambdaRuntimeProcess, ExampleEchoServesThroughTheRuntimeApi) {
    fake_runtime_api api;
    api.push(scripted("p1", make_event(lift::event_type::message, "ping", R"({"action":"ping"})")));
    std::vector<std::string> vars = {"AWS_LAMBDA_RUNTIME_API=" + api.address(),
                                     "AWS_ACCESS_KEY_ID=AKIDEXAMPLE",
                                     "AWS_SECRET_ACCESS_KEY=secret-example",
                                     "AWS_REGION=eu-west-1",
                                     "LIFT_LOG_LEVEL=info",
                                     "HOME=/nonexistent-lift-test-home"};
    std::vector<char*> envp;
    for (auto& v : vars) {
        envp.push_back(v.data());
    }
    envp.push_back(nullptr);
    std::string path = LIFT_ECHO_BIN;
    char* argv[] = {path.data(), nullptr};
    pid_t pid = 0;
    ASSERT_EQ(::posix_spawn(&pid, path.c_str(), nullptr, nullptr, argv, envp.data()), 0);
    int status = 0;
    bool exited = false;
    for (int i = 0; i < 2000 && !exited; ++i) {  // bounded: 20 s
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        exited = r == pid;
        if (!exited) {
            std::this_thread::sleep_for(std::chrono::milliseconds{10});
        }
    }
    if (!exited) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        FAIL() << "example-echo did not exit";
    }
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), rt::exit_status::api_failed);
    const auto posts = api.posts();
    const auto* response = find_post(posts, "/2018-06-01/runtime/invocation/p1/response");
    ASSERT_NE(response, nullptr);
    auto reply = lift::parse_reply(response->body);
    ASSERT_TRUE(reply) << response->body;
    ASSERT_TRUE(reply->body.has_value());
    EXPECT_EQ(json::parse(*reply->body), json::parse(R"({"pong":true})"));
    EXPECT_EQ(api.next_calls(), 1 + 3);  // the event, then three failed attempts
}

}  // namespace
