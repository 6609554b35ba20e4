// Out-of-process functions (issue 4 §3-4): function_host's Runtime API server and
// function_gateway, with tests/support/fake_bootstrap.py as the `bootstrap` (a Runtime API
// client that behaves on command) and a raw WebSocket client over real sockets.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <lift/core/log.hpp>
#include <lift/gateway/function_gateway.hpp>
#include <lift/gateway/function_host.hpp>

#include "ws_test_client.hpp"
#include <signal.h>

namespace {

namespace json = boost::json;
using lift::test::ws_client;
using namespace std::chrono_literals;

// Collects the host's log lines.
class capture_sink final : public lift::log_sink {
public:
    void write(std::string_view line) override {
        std::lock_guard lock{mutex_};
        lines_.emplace_back(line);
    }

    // True when some line holds every one of `parts` (waits up to `timeout`).
    bool has(std::initializer_list<std::string_view> parts,
             std::chrono::milliseconds timeout = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            {
                std::lock_guard lock{mutex_};
                for (const auto& l : lines_) {
                    if (std::all_of(parts.begin(), parts.end(), [&](std::string_view p) {
                            return l.find(p) != std::string::npos;
                        })) {
                        return true;
                    }
                }
            }
            if (std::chrono::steady_clock::now() > deadline) {
                return false;
            }
            std::this_thread::sleep_for(5ms);
        }
    }

    std::string dump() {
        std::lock_guard lock{mutex_};
        std::string out;
        for (const auto& l : lines_) {
            out += l + "\n";
        }
        return out;
    }

private:
    std::mutex mutex_;
    std::vector<std::string> lines_;
};

lift::gateway::function_config fake(std::string name, std::map<std::string, std::string> env = {}) {
    lift::gateway::function_config f;
    f.name = std::move(name);
    f.command = {LIFT_FAKE_BOOTSTRAP};
    f.environment = std::move(env);
    return f;
}

class function_gateway_test : public ::testing::Test {
protected:
    void start(lift::gateway::api_config api, std::int64_t init_timeout_ms = 5000) {
        lift::gateway::options o;
        o.port = 0;
        o.integration_timeout_ms = 10000;
        o.level = lift::log_level::error;
        lift::gateway::function_host_options h;
        h.sink = &log_;
        h.init_timeout_ms = init_timeout_ms;
        auto g = lift::gateway::function_gateway::start(api, std::move(o), std::move(h));
        ASSERT_TRUE(g) << g.error().message;
        gw_ = std::move(*g);
        port_ = gw_->port();
    }

    static bool is_internal_error(const std::optional<std::string>& frame) {
        return frame && frame->starts_with(R"({"message": "Internal server error", )") &&
               frame->find("\"connectionId\":\"") != std::string::npos;
    }

    capture_sink log_;
    std::unique_ptr<lift::gateway::function_gateway> gw_;
    std::uint16_t port_ = 0;
};

lift::gateway::api_config one_route(lift::gateway::function_config f,
                                    std::string route = "$default") {
    lift::gateway::api_config api;
    api.routes.push_back({.route_key = std::move(route), .function = f.name, .two_way = true});
    api.functions.push_back(std::move(f));
    return api;
}

TEST_F(function_gateway_test, echo_round_trip_and_warm_reuse) {
    start(one_route(fake("echo")));
    ws_client c{port_, "/dev"};
    ASSERT_TRUE(c.open()) << c.reply.head;
    ASSERT_TRUE(c.send_text("hello"));
    EXPECT_EQ(c.read_text(), "hello");
    std::set<std::string> pids;
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(c.send_text(R"({"cmd":"pid"})"));
        auto pid = c.read_text();
        ASSERT_TRUE(pid);
        pids.insert(*pid);
    }
    EXPECT_EQ(pids.size(), 1u) << "sequential invocations reuse the warm instance";
    EXPECT_EQ(gw_->stats().cold_starts, 1u);
    EXPECT_EQ(gw_->host().stats("echo").cold_starts, 1u);
    EXPECT_EQ(gw_->host().stats("echo").invocations, 4u);
    EXPECT_TRUE(log_.has({"function echo", "cold start #1"})) << log_.dump();
}

TEST_F(function_gateway_test, connect_function_failures_are_502) {
    auto api = one_route(fake("chat"));
    api.routes.push_back({.route_key = "$connect", .function = "conn"});
    api.functions.push_back(fake("conn"));
    start(std::move(api));
    for (const char* cmd : {"error", "crash", "garbage"}) {
        ws_client c{port_, std::string{"/dev?cmd="} + cmd};
        EXPECT_EQ(c.reply.status, 502) << cmd << "\n" << c.reply.head;
    }
    ws_client refused{port_, "/dev?cmd=status&status=401"};
    EXPECT_EQ(refused.reply.status, 401);
    ws_client ok{port_, "/dev"};
    ASSERT_TRUE(ok.open()) << ok.reply.head;
    ASSERT_TRUE(ok.send_text("still here"));
    EXPECT_EQ(ok.read_text(), "still here");
    EXPECT_TRUE(log_.has({"function conn", "failed", "TestError"})) << log_.dump();
    EXPECT_TRUE(log_.has({"function conn", "exited (exit status 1) during invocation"}))
        << log_.dump();
}

TEST_F(function_gateway_test, message_failures_answer_the_internal_server_error_frame) {
    start(one_route(fake("f")));
    ws_client c{port_, "/dev"};
    ASSERT_TRUE(c.open());
    for (const char* cmd : {"error", "garbage", "wrongid", "crash"}) {
        ASSERT_TRUE(c.send_text(fmt::format(R"({{"cmd":"{}"}})", cmd)));
        EXPECT_TRUE(is_internal_error(c.read_text())) << cmd;
        ASSERT_TRUE(c.send_text("after " + std::string{cmd}));
        EXPECT_EQ(c.read_text(), "after " + std::string{cmd}) << "the socket stays usable";
    }
    EXPECT_TRUE(log_.has({"function f", "posted for unknown request id"})) << log_.dump();
    EXPECT_TRUE(log_.has({"function f", "exited (exit status 2)"})) << log_.dump();
    EXPECT_EQ(gw_->host().stats("f").crashes, 2u);  // wrongid exits 2, crash exits 1
    // The garbage response is a successful invocation for Lambda; the gateway rejects it.
    EXPECT_EQ(gw_->host().stats("f").errors, 3u);
    EXPECT_EQ(gw_->stats().invocation_errors, 4u);
}

TEST_F(function_gateway_test, timeout_kills_and_recycles_the_instance) {
    auto f = fake("slow");
    f.timeout_seconds = 1;
    start(one_route(std::move(f)));
    ws_client c{port_, "/dev"};
    ASSERT_TRUE(c.open());
    ASSERT_TRUE(c.send_text(R"({"cmd":"pid"})"));
    const auto first = c.read_text();
    ASSERT_TRUE(first);
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(c.send_text(R"({"cmd":"hang"})"));
    EXPECT_TRUE(is_internal_error(c.read_text(5000)));
    const auto waited = std::chrono::steady_clock::now() - t0;
    EXPECT_GE(waited, 900ms);
    EXPECT_LT(waited, 3s);
    EXPECT_TRUE(log_.has({"function slow", "timed out after 1.00 seconds", "killed"}))
        << log_.dump();
    ASSERT_TRUE(c.send_text(R"({"cmd":"pid"})"));
    const auto second = c.read_text();
    ASSERT_TRUE(second);
    EXPECT_NE(*first, *second) << "a new instance replaced the killed one";
    EXPECT_EQ(gw_->stats().cold_starts, 2u);
    EXPECT_EQ(gw_->host().stats("slow").timeouts, 1u);
    EXPECT_EQ(::kill(std::stoi(*first), 0), -1) << "the timed-out instance is gone";

    auto direct = gw_->host().invoke("slow", R"({"cmd":"hang"})");
    EXPECT_TRUE(direct.failed);
    EXPECT_EQ(direct.error_type, "Sandbox.Timeout");
    EXPECT_NE(direct.payload.find("Task timed out after 1.00 seconds"), std::string::npos)
        << direct.payload;
}

TEST_F(function_gateway_test, crashed_instance_is_restarted_on_next_use) {
    start(one_route(fake("f")));
    ws_client c{port_, "/dev"};
    ASSERT_TRUE(c.open());
    ASSERT_TRUE(c.send_text(R"({"cmd":"pid"})"));
    const auto first = c.read_text();
    ASSERT_TRUE(first);
    auto crashed = gw_->host().invoke("f", R"({"cmd":"crash"})");
    EXPECT_TRUE(crashed.failed);
    EXPECT_EQ(crashed.error_type, "Runtime.ExitError");
    EXPECT_NE(crashed.payload.find("Runtime exited with error: exit status 1"), std::string::npos)
        << crashed.payload;
    ASSERT_TRUE(c.send_text(R"({"cmd":"pid"})"));
    const auto second = c.read_text();
    ASSERT_TRUE(second);
    EXPECT_NE(*first, *second);
    EXPECT_EQ(gw_->host().stats("f").crashes, 1u);
    EXPECT_EQ(gw_->host().stats("f").cold_starts, 2u);
}

// Three clients whose invocations overlap: one instance each, up to max_concurrency.
void overlapping(std::uint16_t port, int clients, std::set<std::string>& pids) {
    std::vector<std::unique_ptr<ws_client>> cs;
    for (int i = 0; i < clients; ++i) {
        cs.push_back(std::make_unique<ws_client>(port, "/dev"));
        ASSERT_TRUE(cs.back()->open());
    }
    for (auto& c : cs) {
        ASSERT_TRUE(c->send_text(R"({"cmd":"sleep","ms":1500})"));
    }
    for (auto& c : cs) {
        auto pid = c->read_text(10000);
        ASSERT_TRUE(pid);
        pids.insert(*pid);
    }
}

TEST_F(function_gateway_test, overlapping_invocations_start_more_instances) {
    start(one_route(fake("f")));
    std::set<std::string> pids;
    overlapping(port_, 3, pids);
    EXPECT_EQ(pids.size(), 3u);
    EXPECT_EQ(gw_->stats().cold_starts, 3u);
    // Warm now: the same three again start nothing new.
    std::set<std::string> again;
    overlapping(port_, 3, again);
    EXPECT_EQ(gw_->stats().cold_starts, 3u);
    EXPECT_EQ(again, pids);
}

TEST_F(function_gateway_test, concurrency_is_capped_per_function) {
    auto f = fake("f");
    f.max_concurrency = 2;
    start(one_route(std::move(f)));
    std::set<std::string> pids;
    overlapping(port_, 3, pids);  // the third waits for a free instance, then succeeds
    EXPECT_EQ(pids.size(), 2u);
    EXPECT_EQ(gw_->stats().cold_starts, 2u);
}

TEST_F(function_gateway_test, bad_bootstraps_fail_their_route_and_others_keep_working) {
    lift::gateway::api_config api;
    for (const char* name : {"dead", "mute", "initerr", "good"}) {
        api.routes.push_back({.route_key = name, .function = name, .two_way = true});
    }
    api.functions.push_back(fake("dead", {{"FAKE_STARTUP", "exit"}}));
    api.functions.push_back(fake("mute", {{"FAKE_STARTUP", "never-poll"}}));
    api.functions.push_back(fake("initerr", {{"FAKE_STARTUP", "init-error"}}));
    api.functions.push_back(fake("good"));
    start(std::move(api), 800);
    ws_client c{port_, "/dev"};
    ASSERT_TRUE(c.open());
    for (const char* name : {"dead", "mute", "initerr"}) {
        ASSERT_TRUE(c.send_text(fmt::format(R"({{"action":"{}"}})", name)));
        EXPECT_TRUE(is_internal_error(c.read_text(5000))) << name;
        ASSERT_TRUE(c.send_text(R"({"action":"good","cmd":"pid"})"));
        EXPECT_TRUE(c.read_text()) << "the good route keeps working after " << name;
    }
    EXPECT_TRUE(log_.has({"function dead", "exited at start-up (exit status 3)"})) << log_.dump();
    EXPECT_TRUE(log_.has({"function mute", "did not poll /next within 800 ms"})) << log_.dump();
    EXPECT_TRUE(log_.has({"function initerr", "init error", "cannot load config"})) << log_.dump();
    auto r = gw_->host().invoke("initerr", "{}");
    EXPECT_TRUE(r.failed);
    EXPECT_EQ(r.error_type, "Runtime.ConfigInvalid");
    EXPECT_NE(r.payload.find("cannot load config"), std::string::npos) << r.payload;
    EXPECT_EQ(gw_->host().stats("good").cold_starts, 1u);
}

TEST(function_host_test, runtime_api_headers_errors_and_environment) {
    ::setenv("AWS_ACCESS_KEY_ID", "AKIDFUNCTIONHOST", 1);
    auto f = fake("probe", {{"AWS_LAMBDA_FUNCTION_NAME", "not-allowed"}});
    f.memory_mb = 256;
    f.handler = "index.handler";
    capture_sink log;
    auto host = lift::gateway::function_host::start({f}, {.region = "eu-west-1", .sink = &log});
    ASSERT_TRUE(host) << host.error().message;
    const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    auto r = (*host)->invoke("probe", R"({"cmd":"probe"})");
    ::unsetenv("AWS_ACCESS_KEY_ID");
    ASSERT_FALSE(r.failed) << r.payload;
    auto v = json::parse(r.payload).as_object();
    const auto& h = v["headers"].as_object();
    EXPECT_EQ(h.at("lambda-runtime-aws-request-id").as_string(), r.request_id);
    EXPECT_TRUE(std::regex_match(
        r.request_id, std::regex{"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                 "[0-9a-f]{12}"}))
        << r.request_id;
    const auto deadline = std::stoll(std::string{h.at("lambda-runtime-deadline-ms").as_string()});
    EXPECT_GE(deadline, before + 3000);
    EXPECT_LE(deadline, before + 3000 + 5000);
    EXPECT_EQ(h.at("lambda-runtime-invoked-function-arn").as_string(),
              "arn:aws:lambda:eu-west-1:123456789012:function:probe");
    EXPECT_TRUE(std::regex_match(std::string{h.at("lambda-runtime-trace-id").as_string()},
                                 std::regex{"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};"
                                            "Sampled=0"}));
    EXPECT_EQ(h.at("content-type").as_string(), "application/json");
    EXPECT_FALSE(h.contains("lambda-runtime-client-context")) << "only set when non-empty";

    EXPECT_EQ(v["next_while_busy"].as_array()[0].as_int64(), 403);
    EXPECT_EQ(v["next_while_busy"].as_array()[1].as_object().at("errorType"),
              "InvalidStateTransition");
    EXPECT_EQ(v["wrong_id"].as_array()[0].as_int64(), 400);
    EXPECT_EQ(v["wrong_id"].as_array()[1].as_object().at("errorType"), "InvalidRequestID");
    EXPECT_EQ(v["unknown_path"].as_int64(), 404);
    EXPECT_TRUE(v["garbage_http"].as_string().starts_with("HTTP/1.1 400"))
        << v["garbage_http"].as_string();

    const auto& env = v["env"].as_object();
    const auto dir = std::filesystem::absolute(LIFT_FAKE_BOOTSTRAP).parent_path().string();
    EXPECT_TRUE(std::regex_match(std::string{env.at("AWS_LAMBDA_RUNTIME_API").as_string()},
                                 std::regex{"127\\.0\\.0\\.1:[0-9]+"}));
    EXPECT_EQ(env.at("_HANDLER"), "index.handler");
    EXPECT_EQ(env.at("LAMBDA_TASK_ROOT").as_string(), dir);
    EXPECT_EQ(v["cwd"].as_string(), dir);
    EXPECT_EQ(env.at("AWS_REGION"), "eu-west-1");
    EXPECT_EQ(env.at("AWS_DEFAULT_REGION"), "eu-west-1");
    EXPECT_EQ(env.at("AWS_LAMBDA_FUNCTION_NAME"), "probe");
    EXPECT_EQ(env.at("AWS_LAMBDA_FUNCTION_VERSION"), "$LATEST");
    EXPECT_EQ(env.at("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), "256");
    EXPECT_EQ(env.at("AWS_LAMBDA_LOG_GROUP_NAME"), "/aws/lambda/probe");
    EXPECT_TRUE(
        std::regex_match(std::string{env.at("AWS_LAMBDA_LOG_STREAM_NAME").as_string()},
                         std::regex{"[0-9]{4}/[0-9]{2}/[0-9]{2}/\\[\\$LATEST\\][0-9a-f]{32}"}));
    EXPECT_EQ(env.at("AWS_LAMBDA_INITIALIZATION_TYPE"), "on-demand");
    EXPECT_EQ(env.at("AWS_ACCESS_KEY_ID"), "AKIDFUNCTIONHOST");
    EXPECT_EQ(env.at("TZ"), "UTC");
    EXPECT_EQ(env.at("LANG"), "en_US.UTF-8");
    EXPECT_TRUE(env.contains("PATH"));

    // Over 6291556 bytes: 413 to the runtime, Function.ResponseSizeTooLarge to the caller, and
    // the instance goes on; posting again for that request id is then a state error.
    auto big = (*host)->invoke("probe", R"({"cmd":"big"})");
    EXPECT_TRUE(big.failed);
    EXPECT_EQ(big.error_type, "Function.ResponseSizeTooLarge");
    auto again = (*host)->invoke("probe", R"({"cmd":"probe"})");
    ASSERT_FALSE(again.failed) << again.payload;
    auto v2 = json::parse(again.payload).as_object();
    EXPECT_EQ(v2["previous_id"].as_array()[0].as_int64(), 403);
    EXPECT_EQ((*host)->stats("probe").cold_starts, 1u);

    auto unknown = (*host)->invoke("nope", "{}");
    EXPECT_TRUE(unknown.failed);
    EXPECT_EQ(unknown.error_type, "ResourceNotFoundException");
    (*host)->stop();
    auto late = (*host)->invoke("probe", "{}");
    EXPECT_TRUE(late.failed);
    EXPECT_EQ(late.error_type, "ServiceException");
}

TEST(function_host_test, function_environment_is_passed_but_cannot_override_reserved) {
    auto f = fake("envcheck", {{"FAKE_SETTING", "42"}, {"AWS_REGION", "mars-1"}});
    capture_sink log;
    auto host = lift::gateway::function_host::start({f}, {.sink = &log});
    ASSERT_TRUE(host);
    auto r = (*host)->invoke("envcheck", R"({"cmd":"probe"})");
    ASSERT_FALSE(r.failed) << r.payload;
    auto v = json::parse(r.payload).as_object();
    EXPECT_EQ(v["env"].as_object().at("FAKE_SETTING"), "42");
    EXPECT_EQ(v["env"].as_object().at("AWS_REGION"), "us-east-1");
}

TEST(function_host_test, bad_configurations_are_refused) {
    auto f = fake("a");
    EXPECT_FALSE(lift::gateway::function_host::start({f, f}, {}));
    auto no_cmd = fake("b");
    no_cmd.command.clear();
    EXPECT_FALSE(lift::gateway::function_host::start({no_cmd}, {}));
    auto zero = fake("c");
    zero.timeout_seconds = 0;
    EXPECT_FALSE(lift::gateway::function_host::start({zero}, {}));

    auto host = lift::gateway::function_host::start({fake("a")}, {});
    ASSERT_TRUE(host);
    lift::gateway::api_config api;
    api.functions.push_back(fake("a"));
    api.routes.push_back({.route_key = "$default", .function = "missing"});
    auto app = lift::gateway::make_function_app(api, **host);
    ASSERT_FALSE(app);
    EXPECT_NE(app.error().message.find("missing"), std::string::npos);
    api.routes = {{.route_key = "$bad", .function = "a"}};
    EXPECT_FALSE(lift::gateway::make_function_app(api, **host));
}

TEST(function_host_test, a_missing_bootstrap_fails_the_invocation_with_a_clear_message) {
    lift::gateway::function_config f;
    f.name = "ghost";
    f.command = {"/nonexistent/dir/bootstrap"};
    f.task_root = "/";
    capture_sink log;
    auto host = lift::gateway::function_host::start({f}, {.sink = &log});
    ASSERT_TRUE(host);
    auto r = (*host)->invoke("ghost", "{}");
    EXPECT_TRUE(r.failed);
    EXPECT_EQ(r.error_type, "Runtime.InvalidEntrypoint");
    EXPECT_TRUE(log.has({"function ghost", "cannot start", "/nonexistent/dir/bootstrap"}))
        << log.dump();
}

}  // namespace
