// The local gateway against aws-reference §12, driven by a raw client over real sockets.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <lift/core/app.hpp>
#include <lift/core/ids.hpp>
#include <lift/core/json.hpp>
#include <lift/core/memory_store.hpp>
#include <lift/gateway/gateway.hpp>

#include "ws_test_client.hpp"

namespace {

namespace json = boost::json;
using lift::test::http_request;
using lift::test::ws_client;
using namespace std::chrono_literals;

// Thread-safe list of events the handlers saw.
class recorder {
public:
    void add(const lift::websocket_event& ev) {
        {
            std::lock_guard lock{mutex_};
            events_.push_back(ev);
        }
        cv_.notify_all();
    }

    // Waits until an event matching `pred` exists; returns a copy.
    template <class Pred>
    std::optional<lift::websocket_event> wait_for(Pred pred,
                                                  std::chrono::milliseconds timeout = 5s) {
        std::unique_lock lock{mutex_};
        std::optional<lift::websocket_event> found;
        cv_.wait_for(lock, timeout, [&] {
            for (const auto& e : events_) {
                if (pred(e)) {
                    found = e;
                    return true;
                }
            }
            return false;
        });
        return found;
    }

    std::vector<lift::websocket_event> all() {
        std::lock_guard lock{mutex_};
        return events_;
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<lift::websocket_event> events_;
};

// Polls `pred` until it holds or the timeout passes (for state changed by other threads after
// the event a test waited for, e.g. the store update that follows a $disconnect handler).
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

std::optional<lift::websocket_event> disconnect_of(recorder& rec, const std::string& id) {
    return rec.wait_for([&](const lift::websocket_event& e) {
        return e.type() == lift::event_type::disconnect && e.connection_id() == id;
    });
}

class gateway_test : public ::testing::Test {
protected:
    void SetUp() override {
        app_.use_store(std::make_unique<lift::memory_store>(clock_));
        app_.use([this](lift::context& ctx, const lift::next_handler& next) {
            rec_.add(ctx.event());
            return next(ctx);
        });
        app_.on_connect([](lift::context& ctx) -> lift::reply {
            if (const auto* s = ctx.event().query("status")) {
                return lift::reply::status(std::stoi(*s));
            }
            if (ctx.event().query("throw") != nullptr) {
                throw std::runtime_error("connect failed");
            }
            if (const auto* ms = ctx.event().query("sleep")) {
                std::this_thread::sleep_for(std::chrono::milliseconds{std::stoi(*ms)});
            }
            if (ctx.event().query("send_self") != nullptr) {
                auto r = ctx.send("too early");
                ctx.metadata()["send_self"] =
                    r ? "ok" : (r.error().code == lift::errc::gone ? "gone" : "other");
            }
            auto r = lift::reply::ok();
            if (const auto* p = ctx.event().header("Sec-WebSocket-Protocol")) {
                r.with_header("Sec-WebSocket-Protocol", p->substr(0, p->find(',')));
            }
            return r;
        });
        app_.on_default([](lift::context& ctx) { return ctx.send(*ctx.event().body); });
        app_.on("twoway",
                [](lift::context& ctx) { return lift::reply::text("back:" + *ctx.event().body); },
                {.two_way = true});
        app_.on("oneway", [](lift::context&) { return lift::reply::text("never sent"); });
        app_.on("boom", [](lift::context&) -> lift::reply { throw std::runtime_error("boom"); });
        app_.on("slow", [](lift::context& ctx) {
            std::this_thread::sleep_for(1500ms);
            (void)ctx.send("late");
        });
        app_.on("seq", [this](lift::context& ctx) {
            std::lock_guard lock{seq_mutex_};
            seq_.push_back(*ctx.event().body);
        });
    }

    void TearDown() override {
        if (gw_) {
            gw_->stop();
        }
    }

    void start(lift::gateway::options o = {}) {
        o.port = 0;
        if (o.integration_timeout_ms == 29000) {
            o.integration_timeout_ms = 800;
        }
        o.level = lift::log_level::error;
        auto g = lift::gateway::gateway::start(app_, std::move(o));
        ASSERT_TRUE(g) << g.error().message;
        gw_ = std::move(*g);
        port_ = gw_->port();
    }

    // Returns the connection id of the newest CONNECT event not returned before (the
    // connection just opened by `c`; tests open connections one at a time).
    std::string connect(ws_client& c) {
        EXPECT_EQ(c.reply.status, 101) << c.reply.head;
        auto unseen = [&](const lift::websocket_event& e) {
            return e.type() == lift::event_type::connect &&
                   std::find(seen_.begin(), seen_.end(), e.connection_id()) == seen_.end();
        };
        if (!rec_.wait_for(unseen)) {
            ADD_FAILURE() << "no CONNECT event";
            return {};
        }
        std::string id;
        for (const auto& e : rec_.all()) {
            if (unseen(e)) {
                id = e.connection_id();
            }
        }
        for (const auto& e : rec_.all()) {
            if (e.type() == lift::event_type::connect) {
                seen_.push_back(e.connection_id());
            }
        }
        return id;
    }

    lift::system_clock clock_;
    lift::app app_;
    recorder rec_;
    std::unique_ptr<lift::gateway::gateway> gw_;
    std::uint16_t port_ = 0;
    std::vector<std::string> seen_;
    std::mutex seq_mutex_;
    std::vector<std::string> seq_;
};

std::string connections_path(const std::string& id) {
    std::string enc;
    for (char c : id) {
        enc += c == '=' ? std::string{"%3D"} : std::string(1, c);
    }
    return "/dev/@connections/" + enc;
}

TEST_F(gateway_test, upgrades_at_stage_and_root_and_echoes) {
    start();
    ws_client a{port_, "/dev"};
    ASSERT_TRUE(a.open()) << a.reply.head;
    ws_client b{port_, "/"};
    ASSERT_TRUE(b.open()) << b.reply.head;
    EXPECT_EQ(a.reply.headers["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    a.send_text("hello");
    EXPECT_EQ(a.read_text(), "hello");
    b.send_text("world");
    EXPECT_EQ(b.read_text(), "world");
}

TEST_F(gateway_test, ids_events_and_headers_are_shaped_like_aws) {
    start();
    ws_client c{port_, "/dev?token=abc&tag=a&tag=b", "Origin: http://example.test\r\n"};
    const std::string id = connect(c);
    EXPECT_TRUE(lift::is_aws_shaped_id(id)) << id;
    auto conn = rec_.wait_for([&](const auto& e) { return e.connection_id() == id; });
    ASSERT_TRUE(conn);
    ASSERT_TRUE(conn->headers);
    EXPECT_EQ(lift::find_header(*conn->headers, "connection"), nullptr);
    EXPECT_EQ(lift::find_header(*conn->headers, "upgrade"), nullptr);
    ASSERT_NE(conn->header("Origin"), nullptr);
    EXPECT_EQ(*conn->header("Origin"), "http://example.test");
    EXPECT_NE(conn->header("Sec-WebSocket-Key"), nullptr);
    EXPECT_NE(conn->header("X-Forwarded-For"), nullptr);
    EXPECT_EQ(*conn->query("token"), "abc");
    EXPECT_EQ(conn->multi_value_query_string_parameters->at("tag"),
              (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(conn->request_context.identity.user_agent.value_or(""), "lift-test/1");
    EXPECT_EQ(conn->request_context.stage, "dev");
    EXPECT_EQ(conn->request_context.request_id, conn->request_context.extended_request_id);
    EXPECT_EQ(conn->request_context.api_id.size(), 10u);
    EXPECT_FALSE(conn->body.has_value());

    c.send_text(R"({"action":"nothing-matches"})");
    ASSERT_TRUE(c.read_text());
    auto msg = rec_.wait_for([&](const auto& e) { return e.type() == lift::event_type::message; });
    ASSERT_TRUE(msg);
    EXPECT_FALSE(msg->headers.has_value());
    EXPECT_FALSE(msg->query_string_parameters.has_value());
    EXPECT_TRUE(msg->request_context.message_id.has_value());
    EXPECT_TRUE(lift::is_aws_shaped_id(*msg->request_context.message_id));
    EXPECT_EQ(msg->request_context.connected_at, conn->request_context.connected_at);
    EXPECT_EQ(msg->request_context.route_key, "$default");
    EXPECT_FALSE(msg->is_base64_encoded);
    const std::string wire = lift::serialize(*msg);
    EXPECT_EQ(wire.find("\"headers\""), std::string::npos);

    c.send_close(1000, "bye");
    auto d = disconnect_of(rec_, id);
    ASSERT_TRUE(d);
    ASSERT_TRUE(d->headers);
    EXPECT_EQ(d->headers->size(), 4u);
    EXPECT_EQ(d->headers->at("x-api-key"), "");
    EXPECT_EQ(d->headers->at("X-Forwarded-For"), "");
    EXPECT_EQ(d->headers->at("x-restapi"), "");
    EXPECT_EQ(d->headers->at("Host"), d->request_context.domain_name);
    EXPECT_EQ(d->request_context.disconnect_status_code, 1000);
    EXPECT_EQ(d->request_context.connected_at, conn->request_context.connected_at);
}

TEST_F(gateway_test, connect_status_is_passed_through_and_nothing_is_stored) {
    start();
    for (int status : {400, 401, 403, 301, 500}) {
        ws_client c{port_, "/dev?status=" + std::to_string(status)};
        EXPECT_EQ(c.reply.status, status) << c.reply.head;
    }
    EXPECT_EQ(*app_.store()->count(), 0u);
    ws_client ok{port_, "/dev?status=201"};
    EXPECT_EQ(ok.reply.status, 101);
    const std::string id = connect(ok);
    EXPECT_TRUE(app_.store()->get(id)->has_value());
    EXPECT_EQ(*app_.store()->count(), 1u);
}

TEST_F(gateway_test, connect_handler_exception_is_500_and_timeout_is_502) {
    lift::gateway::options o;
    o.integration_timeout_ms = 300;
    start(o);
    ws_client thrown{port_, "/dev?throw=1"};
    EXPECT_EQ(thrown.reply.status, 500);  // Lift's recovery; the invocation itself succeeded
    EXPECT_EQ(thrown.reply.head.find("connect failed"), std::string::npos);
    EXPECT_EQ(thrown.reply.body.find("connect failed"), std::string::npos);
    ws_client slow{port_, "/dev?sleep=1000"};
    EXPECT_EQ(slow.reply.status, 502);
    EXPECT_EQ(*app_.store()->count(), 0u);
    ws_client fine{port_, "/dev"};
    EXPECT_TRUE(fine.open());
}

TEST_F(gateway_test, subprotocol_comes_from_the_connect_response) {
    start();
    ws_client c{port_, "/dev", "Sec-WebSocket-Protocol: chat.v2, other\r\n"};
    ASSERT_TRUE(c.open());
    EXPECT_EQ(c.reply.headers["sec-websocket-protocol"], "chat.v2");
}

TEST_F(gateway_test, posting_to_a_connecting_id_is_gone) {
    start();
    ws_client c{port_, "/dev?send_self=1"};
    const std::string id = connect(c);
    auto rec = app_.store()->get(id);
    ASSERT_TRUE(rec && *rec);
    EXPECT_EQ((*rec)->metadata.at("send_self"), "gone");
}

TEST_F(gateway_test, plain_get_is_426_and_unknown_paths_are_403) {
    start();
    auto r = http_request(port_, "GET", "/dev");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 426);
    auto root = http_request(port_, "GET", "/");
    ASSERT_TRUE(root);
    EXPECT_EQ(root->status, 426);
    auto other = http_request(port_, "GET", "/nope");
    ASSERT_TRUE(other);
    EXPECT_EQ(other->status, 403);
    ws_client wrong_stage{port_, "/prod"};
    EXPECT_EQ(wrong_stage.reply.status, 403);
    lift::test::tcp_conn raw{port_};
    raw.write_all(
        "GET /dev HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n");
    auto bad_version = lift::test::read_http_reply(raw);
    ASSERT_TRUE(bad_version);
    EXPECT_EQ(bad_version->status, 426);
    EXPECT_EQ(bad_version->headers["sec-websocket-version"], "13");
}

TEST_F(gateway_test, static_files_are_served_at_root) {
    lift::gateway::options o;
    o.static_files["/"] = {"text/html; charset=utf-8", "<h1>chat</h1>"};
    start(o);
    auto r = http_request(port_, "GET", "/");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "<h1>chat</h1>");
    EXPECT_EQ(r->headers["content-type"], "text/html; charset=utf-8");
    auto stage = http_request(port_, "GET", "/dev");
    EXPECT_EQ(stage->status, 426);
    ws_client c{port_, "/"};
    EXPECT_TRUE(c.open());
}

TEST_F(gateway_test, route_selection_and_the_forbidden_frame) {
    start();
    ws_client c{port_, "/dev"};
    const std::string id = connect(c);
    c.send_text("not json at all");
    EXPECT_EQ(c.read_text(), "not json at all");  // non-JSON → $default
    c.send_text(R"({"action":"twoway","x":1})");
    EXPECT_EQ(c.read_text(), R"(back:{"action":"twoway","x":1})");
    c.send_text(R"({"action":"oneway"})");
    c.send_text(R"({"action":"marker"})");  // → $default echo, proves oneway sent nothing
    EXPECT_EQ(c.read_text(), R"({"action":"marker"})");

    // Without a $default route: the Forbidden frame, exact spacing, socket open.
    lift::app bare;
    bare.on("known", [](lift::context& ctx) { return ctx.send("known!"); });
    lift::gateway::options bare_opts;
    bare_opts.port = 0;
    bare_opts.level = lift::log_level::off;
    auto g = lift::gateway::gateway::start(bare, bare_opts);
    ASSERT_TRUE(g);
    ws_client d{(*g)->port(), "/dev"};
    ASSERT_TRUE(d.open());
    d.send_text(R"({"action":"unknown"})");
    auto frame = d.read_text();
    ASSERT_TRUE(frame);
    const std::string prefix = R"({"message": "Forbidden", "connectionId":")";
    ASSERT_EQ(frame->substr(0, prefix.size()), prefix) << *frame;
    EXPECT_NE(frame->find(R"(", "requestId":")"), std::string::npos);
    auto parsed = json::parse(*frame).as_object();
    EXPECT_TRUE(lift::is_aws_shaped_id(parsed["connectionId"].as_string()));
    EXPECT_TRUE(lift::is_aws_shaped_id(parsed["requestId"].as_string()));
    d.send_text("plain text");  // not JSON and no $default → Forbidden as well
    EXPECT_NE(d.read_text()->find("Forbidden"), std::string::npos);
    d.send_text(R"({"action":"known"})");
    EXPECT_EQ(d.read_text(), "known!");
    (*g)->stop();
}

TEST_F(gateway_test, custom_route_selection_expression) {
    lift::gateway::options o;
    o.route_selection_expression = "${request.body.service}/${request.body.op}";
    app_.on("chat/join", [](lift::context& ctx) { return ctx.send("joined"); });
    start(o);
    ws_client c{port_, "/dev"};
    ASSERT_TRUE(c.open());
    c.send_text(R"({"service":"chat","op":"join"})");
    EXPECT_EQ(c.read_text(), "joined");
    c.send_text(R"({"service":"chat"})");  // "chat/" → $default
    EXPECT_EQ(c.read_text(), R"({"service":"chat"})");
}

TEST_F(gateway_test, handler_failure_sends_internal_server_error_and_keeps_the_socket) {
    start();
    ws_client c{port_, "/dev"};
    const std::string id = connect(c);
    c.send_text(R"({"action":"boom"})");
    auto frame = c.read_text();
    ASSERT_TRUE(frame);
    const std::string prefix =
        R"({"message": "Internal server error", "connectionId":")" + id + R"(", "requestId":")";
    EXPECT_EQ(frame->substr(0, prefix.size()), prefix) << *frame;
    c.send_text("still here");
    EXPECT_EQ(c.read_text(), "still here");
}

TEST_F(gateway_test, integration_timeout_answers_like_a_failure_and_drops_the_late_result) {
    lift::gateway::options o;
    o.integration_timeout_ms = 300;
    start(o);
    ws_client c{port_, "/dev"};
    connect(c);
    c.send_text(R"({"action":"slow"})");
    auto frame = c.read_text();
    ASSERT_TRUE(frame);
    EXPECT_NE(frame->find("Internal server error"), std::string::npos);
    c.send_text("next");
    EXPECT_EQ(c.read_text(), "next");  // the connection moved on while the slow one ran
    // The slow handler's own send still arrives (it posts to the connection), but nothing else.
    EXPECT_EQ(c.read_text(3000), "late");
}

TEST_F(gateway_test, limits_close_with_aws_codes_and_others_keep_working) {
    start();
    ws_client other{port_, "/dev"};
    ASSERT_TRUE(other.open());

    struct bad_case {
        const char* name;
        std::uint16_t code;
        std::function<void(ws_client&)> send;
    };

    const std::vector<bad_case> cases = {
        {"binary", 1003,
         [](ws_client& c) {
             c.send_frame(0x2, "bin");
         }},
        {"frame over 32 KiB", 1009,
         [](ws_client& c) {
             c.send_frame(0x1, std::string(32 * 1024 + 1, 'a'));
         }},
        {"message over 128 KiB", 1009,
         [](ws_client& c) {
             const std::string part(32 * 1024, 'a');
             c.send_frame(0x1, part, false);
             c.send_frame(0x0, part, false);
             c.send_frame(0x0, part, false);
             c.send_frame(0x0, part, false);
             c.send_frame(0x0, "b", true);
         }},
        {"invalid UTF-8", 1007,
         [](ws_client& c) {
             c.send_frame(0x1, "ok\xff");
         }},
        {"unmasked", 1002,
         [](ws_client& c) {
             c.send_frame(0x1, "x", true, false);
         }},
    };
    for (const auto& bc : cases) {
        ws_client c{port_, "/dev"};
        const std::string id = connect(c);
        bc.send(c);
        auto close = c.read_close();
        ASSERT_TRUE(close) << bc.name;
        EXPECT_EQ(close->close_code(), bc.code) << bc.name;
        auto d = disconnect_of(rec_, id);
        ASSERT_TRUE(d) << bc.name;
        EXPECT_EQ(d->request_context.disconnect_status_code, bc.code) << bc.name;
        other.send_text(bc.name);
        EXPECT_EQ(other.read_text(), bc.name);
    }
    // Exactly at the limits is fine: one 32 KiB frame, and 128 KiB in four frames.
    const std::string full(32 * 1024, 'z');
    other.send_text(full);
    EXPECT_EQ(other.read_text(), full);
    other.send_frame(0x1, full, false);
    other.send_frame(0x0, full, false);
    other.send_frame(0x0, full, false);
    other.send_frame(0x0, full, true);
    auto big = other.read_text();
    ASSERT_TRUE(big);
    EXPECT_EQ(big->size(), 128u * 1024u);
}

TEST_F(gateway_test, a_flood_beyond_the_pending_limit_is_answered_as_throttled) {
    lift::gateway::options o;
    o.max_pending_messages = 5;
    o.integration_timeout_ms = 5000;
    std::atomic<bool> release{false};
    app_.on("hold", [&release](lift::context& ctx) {
        for (int i = 0; i < 500 && !release.load(); ++i) {
            std::this_thread::sleep_for(10ms);
        }
        return ctx.send("held");
    });
    start(o);
    ws_client c{port_, "/dev"};
    ASSERT_TRUE(c.open());
    c.send_text(R"({"action":"hold"})");  // in flight
    for (int i = 0; i < 8; ++i) {         // 5 wait, 3 are refused
        c.send_text("m" + std::to_string(i));
    }
    for (int i = 0; i < 3; ++i) {
        auto f = c.read_text();
        ASSERT_TRUE(f);
        EXPECT_NE(f->find("Internal server error"), std::string::npos) << *f;
    }
    release = true;
    EXPECT_EQ(c.read_text(), "held");
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(c.read_text(), "m" + std::to_string(i));
    }
}

TEST_F(gateway_test, ping_is_answered_with_pong) {
    start();
    ws_client c{port_, "/dev"};
    ASSERT_TRUE(c.open());
    c.send_frame(0x9, "are you there");
    auto f = c.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->opcode, 0xA);
    EXPECT_EQ(f->payload, "are you there");
}

TEST_F(gateway_test, client_close_codes_reach_disconnect) {
    start();
    ws_client a{port_, "/dev"};
    const std::string ida = connect(a);
    a.send_close(4000, "custom");
    auto echo = a.read_close();
    ASSERT_TRUE(echo);
    EXPECT_EQ(echo->close_code(), 4000);
    auto da = disconnect_of(rec_, ida);
    ASSERT_TRUE(da);
    EXPECT_EQ(da->request_context.disconnect_status_code, 4000);
    EXPECT_EQ(da->request_context.disconnect_reason, "custom");

    ws_client b{port_, "/dev"};
    const std::string idb = connect(b);
    b.send_close(0);
    auto db = disconnect_of(rec_, idb);
    ASSERT_TRUE(db);
    EXPECT_EQ(db->request_context.disconnect_status_code, 1005);
    EXPECT_EQ(db->request_context.disconnect_reason, "Client-side close frame status not set");

    {
        ws_client c{port_, "/dev"};
        const std::string idc = connect(c);
        c.conn().shutdown_write();  // TCP goes away without a close frame
        auto dc = disconnect_of(rec_, idc);
        ASSERT_TRUE(dc);
        EXPECT_EQ(dc->request_context.disconnect_status_code, 1006);
    }
    EXPECT_TRUE(eventually([&] { return *app_.store()->count() == 0; }));
}

TEST_F(gateway_test, idle_timeout_closes_with_going_away) {
    lift::gateway::options o;
    o.idle_timeout_seconds = 1;
    start(o);
    ws_client c{port_, "/dev"};
    const std::string id = connect(c);
    const auto t0 = std::chrono::steady_clock::now();
    auto close = c.read_close(4000);
    ASSERT_TRUE(close);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 900ms);
    EXPECT_EQ(close->close_code(), 1001);
    EXPECT_EQ(close->close_reason(), "Going away");
    auto d = disconnect_of(rec_, id);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->request_context.disconnect_status_code, 1001);
    EXPECT_EQ(d->request_context.disconnect_reason, "Going away");
}

TEST_F(gateway_test, activity_keeps_the_connection_until_max_lifetime) {
    lift::gateway::options o;
    o.idle_timeout_seconds = 1;
    o.max_lifetime_seconds = 2;
    start(o);
    ws_client c{port_, "/dev"};
    connect(c);
    const auto t0 = std::chrono::steady_clock::now();
    std::optional<lift::test::frame> close;
    while (!close && std::chrono::steady_clock::now() - t0 < 6s) {
        c.send_text("keepalive");  // a message every ~300 ms keeps it from idling
        for (auto f = c.read_frame(300); f; f = c.read_frame(300)) {
            if (f->opcode == 0x8) {
                close = f;
                break;
            }
        }
    }
    ASSERT_TRUE(close);
    const auto lived = std::chrono::steady_clock::now() - t0;
    EXPECT_GE(lived, 1800ms);
    EXPECT_LT(lived, 4000ms);
    EXPECT_EQ(close->close_code(), 1001);
}

TEST_F(gateway_test, messages_of_one_connection_are_handled_in_order) {
    start();
    ws_client c{port_, "/dev"};
    ASSERT_TRUE(c.open());
    for (int i = 0; i < 200; ++i) {
        c.send_text(R"({"action":"seq","n":)" + std::to_string(i) + "}");
    }
    c.send_text("done");
    EXPECT_EQ(c.read_text(), "done");
    std::lock_guard lock{seq_mutex_};
    ASSERT_EQ(seq_.size(), 200u);
    for (int i = 0; i < 200; ++i) {
        EXPECT_EQ(seq_[static_cast<std::size_t>(i)],
                  R"({"action":"seq","n":)" + std::to_string(i) + "}");
    }
}

TEST_F(gateway_test, management_api_post_get_delete) {
    start();
    ws_client c{port_, "/dev"};
    const std::string id = connect(c);
    // POST with the stage, without it, and with %40.
    auto p1 = http_request(port_, "POST", connections_path(id), "one");
    ASSERT_TRUE(p1);
    EXPECT_EQ(p1->status, 200);
    EXPECT_EQ(c.read_text(), "one");
    std::string enc = connections_path(id).substr(4);  // "/@connections/..."
    auto p2 = http_request(port_, "POST", enc, "two");
    EXPECT_EQ(p2->status, 200);
    EXPECT_EQ(c.read_text(), "two");
    auto p3 = http_request(port_, "POST", "/dev/%40connections/" + connections_path(id).substr(18),
                           "three");
    EXPECT_EQ(p3->status, 200);
    EXPECT_EQ(c.read_text(), "three");

    // A message over 32 KiB arrives in frames of at most 32 KiB.
    const std::string big(100 * 1024, 'q');
    EXPECT_EQ(http_request(port_, "POST", connections_path(id), big)->status, 200);
    std::string joined;
    for (;;) {
        auto f = c.read_frame();
        ASSERT_TRUE(f);
        EXPECT_LE(f->payload.size(), 32u * 1024u);
        joined += f->payload;
        if (f->fin) {
            break;
        }
    }
    EXPECT_EQ(joined, big);

    auto too_big = http_request(port_, "POST", connections_path(id), std::string(131073, 'x'));
    ASSERT_TRUE(too_big);
    EXPECT_EQ(too_big->status, 413);
    EXPECT_EQ(too_big->headers["x-amzn-errortype"], "PayloadTooLargeException");
    EXPECT_EQ(http_request(port_, "POST", connections_path(id), std::string(131072, 'x'))->status,
              200);
    EXPECT_EQ(c.read_text()->size(), 131072u);

    auto info = http_request(port_, "GET", connections_path(id));
    ASSERT_TRUE(info);
    EXPECT_EQ(info->status, 200);
    auto body = json::parse(info->body).as_object();
    EXPECT_EQ(body["identity"].as_object()["sourceIp"], "127.0.0.1");
    EXPECT_EQ(body["identity"].as_object()["userAgent"], "lift-test/1");
    const std::string connected_at{body["connectedAt"].as_string()};
    EXPECT_EQ(connected_at.size(), 24u) << connected_at;  // 2024-01-20T11:55:00.453Z
    EXPECT_EQ(connected_at.back(), 'Z');
    EXPECT_TRUE(body.contains("lastActiveAt"));

    auto del = http_request(port_, "DELETE", connections_path(id));
    ASSERT_TRUE(del);
    EXPECT_EQ(del->status, 204);
    auto close = c.read_close();
    ASSERT_TRUE(close);
    EXPECT_EQ(close->close_code(), 1000);
    auto d = disconnect_of(rec_, id);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->request_context.disconnect_status_code, 1000);
    EXPECT_EQ(d->request_context.disconnect_reason, "Connection Closed Normally");

    for (const char* method : {"POST", "GET", "DELETE"}) {
        auto gone = http_request(port_, method, connections_path(id), "x");
        ASSERT_TRUE(gone);
        EXPECT_EQ(gone->status, 410) << method;
        EXPECT_EQ(gone->headers["x-amzn-errortype"], "GoneException") << method;
    }
}

TEST_F(gateway_test, in_process_post_many_delivers_to_each_and_reports_each) {
    start();
    ws_client a{port_, "/dev"};
    const std::string id_a = connect(a);
    ws_client b{port_, "/dev"};
    const std::string id_b = connect(b);
    ws_client c{port_, "/dev"};
    const std::string id_c = connect(c);
    c.send_close(1000);
    ASSERT_TRUE(c.read_close());
    ASSERT_TRUE(disconnect_of(rec_, id_c));

    const std::vector<std::string> ids{id_a, id_c, id_b, "nosuchid0000=", id_a};
    auto results = gw_->connections().post_many(ids, "to many");
    ASSERT_EQ(results.size(), ids.size());
    EXPECT_TRUE(results[0]);
    ASSERT_FALSE(results[1]);
    EXPECT_EQ(results[1].error().code, lift::errc::gone);
    EXPECT_NE(results[1].error().message.find(id_c), std::string::npos);
    EXPECT_TRUE(results[2]);
    ASSERT_FALSE(results[3]);
    EXPECT_EQ(results[3].error().code, lift::errc::gone);
    EXPECT_TRUE(results[4]);
    EXPECT_EQ(a.read_text(), "to many");
    EXPECT_EQ(a.read_text(), "to many");  // listed twice, sent twice
    EXPECT_EQ(b.read_text(), "to many");
    EXPECT_EQ(gw_->stats().messages_out, 3u);

    // Too large for PostToConnection: every id fails alike and nothing is sent.
    auto big = gw_->connections().post_many(ids, std::string(131073, 'x'));
    ASSERT_EQ(big.size(), ids.size());
    for (const auto& r : big) {
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, lift::errc::payload_too_large);
    }
    EXPECT_TRUE(gw_->connections().post_many(std::span<const std::string>{}, "x").empty());
    EXPECT_TRUE(gw_->connections().post_to_connection(id_b, "after"));
    EXPECT_EQ(b.read_text(), "after");
}

TEST_F(gateway_test, a_full_outbound_queue_answers_429) {
    lift::gateway::options o;
    o.outbound_queue_limit = 256 * 1024;
    start(o);
    ws_client slow{port_, "/dev", {}, 4096};  // never reads, tiny receive buffer
    const std::string id = connect(slow);
    const std::string chunk(100 * 1024, 'p');
    int status = 0;
    int sent = 0;
    for (; sent < 400 && status != 429; ++sent) {
        auto r = http_request(port_, "POST", connections_path(id), chunk);
        ASSERT_TRUE(r);
        status = r->status;
        if (status == 429) {
            EXPECT_EQ(r->headers["x-amzn-errortype"], "LimitExceededException");
        } else {
            ASSERT_EQ(status, 200);
        }
    }
    EXPECT_EQ(status, 429) << "after " << sent << " posts";
}

TEST_F(gateway_test, stop_closes_everyone_with_1001_and_delivers_disconnects) {
    start();
    std::vector<std::unique_ptr<ws_client>> clients;
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        clients.push_back(std::make_unique<ws_client>(port_, "/dev"));
        ids.push_back(connect(*clients.back()));
    }
    std::thread closer{[&] {
        for (auto& c : clients) {
            auto f = c->read_close();
            if (f) {
                c->send_close(f->close_code());
            }
        }
    }};
    const auto t0 = std::chrono::steady_clock::now();
    gw_->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2000ms);
    closer.join();
    for (const auto& id : ids) {
        auto d = disconnect_of(rec_, id);
        ASSERT_TRUE(d);
        EXPECT_EQ(d->request_context.disconnect_status_code, 1001);
    }
    EXPECT_EQ(*app_.store()->count(), 0u);
    gw_.reset();
}

TEST_F(gateway_test, stats_count_what_happened) {
    start();
    {
        ws_client c{port_, "/dev"};
        connect(c);
        c.send_text("x");
        EXPECT_EQ(c.read_text(), "x");
        ws_client r{port_, "/dev?status=401"};
    }
    auto s = gw_->stats();
    EXPECT_EQ(s.connections_opened, 1u);
    EXPECT_EQ(s.connections_rejected, 1u);
    EXPECT_GE(s.messages_in, 1u);
    EXPECT_GE(s.messages_out, 1u);
}

// options::authorize_management sees the raw target and headers; a refusal is sent as is.
TEST_F(gateway_test, authorize_management_can_refuse_with_an_aws_error) {
    std::mutex m;
    std::vector<std::string> targets;
    std::vector<std::string> denied_header;
    lift::gateway::options o;
    o.authorize_management = [&](const lift::gateway::management_call& call)
        -> std::optional<lift::gateway::management_refusal> {
        std::lock_guard lock{m};
        targets.emplace_back(call.target);
        for (const auto& [name, value] : call.headers) {
            if (name == "X-Deny") {
                denied_header.emplace_back(value);
                return lift::gateway::management_refusal{403, "InvalidSignatureException",
                                                         R"({"message":"no"})"};
            }
        }
        EXPECT_EQ(call.method, "POST");
        EXPECT_EQ(call.body, "hi");
        return std::nullopt;
    };
    start(std::move(o));
    ws_client c{port_, "/dev"};
    const std::string id = connect(c);
    auto ok = http_request(port_, "POST", connections_path(id), "hi");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
    EXPECT_EQ(c.read_text(), "hi");
    auto no = http_request(port_, "POST", connections_path(id), "hi", "X-Deny: yes\r\n");
    ASSERT_TRUE(no);
    EXPECT_EQ(no->status, 403);
    EXPECT_EQ(no->headers["x-amzn-errortype"], "InvalidSignatureException");
    EXPECT_EQ(no->body, R"({"message":"no"})");
    // Non-@connections paths are not checked.
    EXPECT_EQ(http_request(port_, "GET", "/nope")->status, 403);
    std::lock_guard lock{m};
    ASSERT_EQ(targets.size(), 2u);
    EXPECT_EQ(targets[0], connections_path(id));  // raw: `%3D` not decoded
    EXPECT_NE(targets[0].find("%3D"), std::string::npos);
    EXPECT_EQ(denied_header, std::vector<std::string>{"yes"});
}

// options::handler_connection_api replaces what handlers' ctx.send uses.
TEST_F(gateway_test, handler_connection_api_replaces_the_handlers_api) {
    class counting_api final : public lift::connection_api {
    public:
        counting_api(lift::connection_api& inner, std::atomic<int>& posts)
            : inner_(inner),
              posts_(posts) {}

        lift::result<void> post_to_connection(std::string_view id, std::string_view data) override {
            posts_.fetch_add(1);
            return inner_.post_to_connection(id, std::string{"via:"} + std::string{data});
        }

        lift::result<lift::connection_info> get_connection(std::string_view id) override {
            return inner_.get_connection(id);
        }

        lift::result<void> delete_connection(std::string_view id) override {
            return inner_.delete_connection(id);
        }

    private:
        lift::connection_api& inner_;
        std::atomic<int>& posts_;
    };

    std::atomic<int> posts{0};
    std::string url_seen;
    lift::gateway::options o;
    o.handler_connection_api = [&](const std::string& url, lift::connection_api& in_process)
        -> lift::result<std::unique_ptr<lift::connection_api>> {
        url_seen = url;
        return std::make_unique<counting_api>(in_process, posts);
    };
    start(std::move(o));
    EXPECT_EQ(url_seen, gw_->management_url());
    ws_client c{port_, "/dev"};
    (void)connect(c);
    c.send_text("echo me");
    EXPECT_EQ(c.read_text(), "via:echo me");
    EXPECT_EQ(posts.load(), 1);
}

TEST_F(gateway_test, handler_connection_api_failure_fails_start) {
    lift::gateway::options o;
    o.port = 0;
    o.handler_connection_api =
        [](const std::string&,
           lift::connection_api&) -> lift::result<std::unique_ptr<lift::connection_api>> {
        return lift::fail(lift::errc::invalid_argument, "bad endpoint");
    };
    auto g = lift::gateway::gateway::start(app_, std::move(o));
    ASSERT_FALSE(g);
    EXPECT_EQ(g.error().message, "bad endpoint");
}

}  // namespace

namespace {

TEST_F(gateway_test, recovery_never_sends_exception_text_to_the_client) {
    const std::string secret = "SECRET-detail-7f3a at db.internal:5432";
    app_.on("leak1", [secret](lift::context&) -> lift::reply { throw std::runtime_error(secret); });
    app_.on("leak2", [secret](lift::context&) -> lift::reply { throw std::logic_error(secret); },
            {.two_way = true});
    app_.on("leak3",
            [secret](lift::context&) -> lift::result<lift::reply> {
                return lift::fail(lift::errc::unavailable, secret);
            },
            {.two_way = true});
    start();
    ws_client c{port_, "/dev"};
    const std::string id = connect(c);
    const std::string prefix =
        R"({"message": "Internal server error", "connectionId":")" + id + R"(", "requestId":")";
    for (const char* route : {"leak1", "leak2", "leak3"}) {
        c.send_text(std::string{R"({"action":")"} + route + R"("})");
        auto frame = c.read_text();
        ASSERT_TRUE(frame) << route;
        EXPECT_EQ(frame->substr(0, prefix.size()), prefix) << *frame;
        EXPECT_EQ(frame->find("SECRET"), std::string::npos) << *frame;
        EXPECT_EQ(frame->find("5432"), std::string::npos) << *frame;
    }
    c.send_text("still open");
    EXPECT_EQ(c.read_text(), "still open");
    EXPECT_FALSE(c.read_text(200).has_value());  // nothing else was sent

    ws_client refused{port_, "/dev?throw=1"};
    EXPECT_EQ(refused.reply.status, 500);
    EXPECT_EQ(refused.reply.head.find("connect failed"), std::string::npos);
    EXPECT_EQ(refused.reply.body.find("connect failed"), std::string::npos);
    EXPECT_GE(gw_->stats().invocation_errors, 4u);
}

TEST_F(gateway_test, metric_totals_are_served_at_lift_metrics) {
    app_.on("fan", [](lift::context& ctx) {
        const std::vector<std::string> ids{ctx.connection_id(), "nosuchid0000="};
        (void)ctx.api()->post_many(ids, "fanned");
    });
    start();
    ws_client a{port_, "/dev"};
    connect(a);
    ws_client b{port_, "/dev"};
    connect(b);
    a.send_text("one");
    EXPECT_EQ(a.read_text(), "one");
    a.send_text("two!");
    EXPECT_EQ(a.read_text(), "two!");
    b.send_text(R"({"action":"fan"})");
    EXPECT_EQ(b.read_text(), "fanned");
    b.send_text(R"({"action":"boom"})");
    ASSERT_TRUE(b.read_text());

    json::value totals;
    auto have = [&] {
        auto r = http_request(port_, "GET", "/_lift/metrics");
        if (!r || r->status != 200) {
            return false;
        }
        totals = json::parse(r->body);
        const auto& m = totals.at("metrics").as_object();
        return m.contains("Errors") && m.contains("BroadcastGone") &&
               m.at("Messages").at("sum").to_number<double>() >= 4;
    };
    ASSERT_TRUE(eventually(have)) << json::serialize(totals);
    const auto& m = totals.at("metrics");
    EXPECT_EQ(m.at("ConnectionsOpened").at("sum").to_number<double>(), 2);
    EXPECT_EQ(m.at("ConnectionsOpened").at("unit"), "Count");
    EXPECT_EQ(m.at("Messages").at("sum").to_number<double>(), 4);
    EXPECT_EQ(m.at("MessageBytes").at("sum").to_number<double>(),
              3 + 4 + 16 + 17);  // "one", "two!", {"action":"fan"}, {"action":"boom"}
    EXPECT_EQ(m.at("MessageBytes").at("unit"), "Bytes");
    EXPECT_EQ(m.at("Errors").at("sum").to_number<double>(), 1);
    EXPECT_EQ(m.at("BroadcastDelivered").at("sum").to_number<double>(), 1);
    EXPECT_EQ(m.at("BroadcastGone").at("sum").to_number<double>(), 1);
    EXPECT_EQ(m.at("HandlerLatency").at("unit"), "Milliseconds");
    EXPECT_GE(m.at("HandlerLatency").at("count").to_number<double>(), 6);
    EXPECT_GE(m.at("ColdStart").at("sum").to_number<double>(), 1);
    EXPECT_LE(m.at("ColdStart").at("sum").to_number<double>(), 4);  // at most one per worker
    EXPECT_GE(totals.at("invocations").to_number<double>(), 6);
}

}  // namespace
