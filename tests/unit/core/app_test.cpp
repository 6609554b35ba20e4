#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <lift/core/app.hpp>
#include <lift/core/memory_store.hpp>

#include "fake_clock.hpp"
#include "recording_connection_api.hpp"

namespace {

constexpr std::int64_t connected_at = 1'718'022'903'611;

lift::websocket_event make_event(lift::event_type type,
                                 std::string route_key,
                                 std::string connection_id = "conn-1=") {
    lift::websocket_event ev;
    auto& rc = ev.request_context;
    rc.type = type;
    rc.route_key = std::move(route_key);
    rc.connection_id = std::move(connection_id);
    rc.request_id = "req=";
    rc.connected_at = connected_at;
    rc.stage = "prod";
    rc.domain_name = "abc.execute-api.eu-west-1.amazonaws.com";
    rc.identity.source_ip = "198.51.100.23";
    rc.identity.user_agent = "test-agent";
    return ev;
}

// Every operation fails as an unreachable backend would.
class failing_store final : public lift::connection_store {
public:
    lift::result<void> save(const lift::connection_record&) override { return err(); }

    lift::result<std::optional<lift::connection_record>> get(std::string_view) override {
        return err();
    }

    lift::result<void> update(const lift::connection_record&) override { return err(); }

    lift::result<void> remove(std::string_view) override { return err(); }

    lift::result<std::vector<lift::connection_record>> list_by_user(std::string_view) override {
        return err();
    }

    lift::result<std::vector<lift::connection_record>> list_by_tenant(std::string_view) override {
        return err();
    }

    lift::result<std::vector<lift::connection_record>> list_all() override { return err(); }

    lift::result<std::size_t> count() override { return err(); }

private:
    static lift::error err() { return lift::fail(lift::errc::unavailable, "backend down"); }
};

class app_test : public testing::Test {
protected:
    app_test() {
        auto store = std::make_unique<lift::memory_store>(clock_);
        store_ = store.get();
        app_.use_store(std::move(store));
    }

    lift::result<lift::reply> handle(const lift::websocket_event& ev) {
        lift::context_services s;
        s.api = &api_;
        s.store = app_.store();
        s.clock = &clock_;
        lift::context ctx{ev, s};
        return app_.handle(ctx);
    }

    lift::test::fake_clock clock_{connected_at + 5};
    lift::test::recording_connection_api api_;
    lift::app app_;
    lift::memory_store* store_ = nullptr;
};

// --- registration ---------------------------------------------------------------------------

TEST_F(app_test, custom_keys_must_not_start_with_dollar) {
    auto noop = [](lift::context&) {
    };
    EXPECT_THROW(app_.on("$custom", noop), std::invalid_argument);
    EXPECT_THROW(app_.on("$Default", noop), std::invalid_argument);
    EXPECT_THROW(app_.on("", noop), std::invalid_argument);
    EXPECT_NO_THROW(app_.on("$connect", noop));
    EXPECT_NO_THROW(app_.on("$disconnect", noop));
    EXPECT_NO_THROW(app_.on("$default", noop));
    EXPECT_NO_THROW(app_.on("send$message", noop));
    EXPECT_EQ(app_.route_keys(),
              (std::vector<std::string>{"$connect", "$default", "$disconnect", "send$message"}));
}

TEST_F(app_test, empty_handlers_and_middleware_are_rejected) {
    EXPECT_THROW(app_.on("x", lift::handler{}), std::invalid_argument);
    EXPECT_THROW(app_.use(lift::middleware{}), std::invalid_argument);
}

TEST_F(app_test, two_way_flag_is_stored_and_routes_replace) {
    app_.on("ping", [](lift::context&) { return lift::reply::text("pong"); }, {.two_way = true});
    app_.on("fire", [](lift::context&) {});
    ASSERT_NE(app_.find("ping"), nullptr);
    EXPECT_TRUE(app_.find("ping")->options.two_way);
    EXPECT_EQ(app_.find("ping")->key, "ping");
    EXPECT_FALSE(app_.find("fire")->options.two_way);
    EXPECT_EQ(app_.find("nope"), nullptr);
    app_.on("ping", [](lift::context&) { return lift::reply::text("pong2"); });
    EXPECT_FALSE(app_.find("ping")->options.two_way);
    auto r = handle(make_event(lift::event_type::message, "ping"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "pong2");
}

TEST_F(app_test, route_selection_expression) {
    EXPECT_EQ(app_.route_selection().text(), lift::route_selection_expression::default_text);
    app_.route_selection("${request.body.service}/${request.body.action}");
    EXPECT_EQ(app_.route_selection().evaluate(R"({"service":"chat","action":"join"})"),
              "chat/join");
    EXPECT_THROW(app_.route_selection("$request.header.x"), std::invalid_argument);
    EXPECT_EQ(app_.route_selection().text(), "${request.body.service}/${request.body.action}");
}

TEST_F(app_test, store_accessor) {
    EXPECT_EQ(app_.store(), store_);
    lift::app bare;
    EXPECT_EQ(bare.store(), nullptr);
}

// --- handler shapes -------------------------------------------------------------------------

TEST_F(app_test, handler_return_shapes) {
    bool called = false;
    app_.on("void", [&](lift::context&) { called = true; });
    app_.on("reply", [](lift::context&) { return lift::reply::status(202); });
    app_.on("result", [](lift::context&) -> lift::result<lift::reply> {
        return lift::fail(lift::errc::forbidden, "no");
    });
    app_.on("void_ok", [](lift::context&) -> lift::result<void> { return {}; });
    app_.on("void_err", [](lift::context&) -> lift::result<void> {
        return lift::fail(lift::errc::gone, "went away");
    });

    auto v = handle(make_event(lift::event_type::message, "void"));
    ASSERT_TRUE(v);
    EXPECT_TRUE(called);
    EXPECT_EQ(v->status_code, 200);
    EXPECT_FALSE(v->body);
    EXPECT_EQ(handle(make_event(lift::event_type::message, "reply"))->status_code, 202);
    auto e = handle(make_event(lift::event_type::message, "result"));
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().code, lift::errc::forbidden);
    EXPECT_EQ(handle(make_event(lift::event_type::message, "void_ok"))->status_code, 200);
    auto ve = handle(make_event(lift::event_type::message, "void_err"));
    ASSERT_FALSE(ve);
    EXPECT_EQ(ve.error().code, lift::errc::gone);
    EXPECT_EQ(ve.error().message, "went away");
}

TEST_F(app_test, handler_can_send_through_the_context) {
    app_.on_default([](lift::context& ctx) { return ctx.send(*ctx.event().body); });
    auto ev = make_event(lift::event_type::message, "$default");
    ev.body = "echo";
    ASSERT_TRUE(handle(ev));
    ASSERT_EQ(api_.posts().size(), 1u);
    EXPECT_EQ(api_.posts()[0].connection_id, "conn-1=");
    EXPECT_EQ(api_.posts()[0].data, "echo");
}

TEST_F(app_test, missing_message_route_is_no_route) {
    bool middleware_ran = false;
    app_.use([&](lift::context& ctx, const lift::next_handler& next) {
        middleware_ran = true;
        return next(ctx);
    });
    auto r = handle(make_event(lift::event_type::message, "unknown"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, lift::errc::no_route);
    EXPECT_FALSE(middleware_ran);
}

// --- middleware -----------------------------------------------------------------------------

TEST_F(app_test, middleware_runs_in_registration_order_outermost_first) {
    std::vector<std::string> trace;
    auto recorder = [&trace](std::string name) {
        return [&trace, name](lift::context& ctx,
                              const lift::next_handler& next) -> lift::result<lift::reply> {
            trace.push_back(name + " before");
            auto r = next(ctx);
            trace.push_back(name + " after");
            return r;
        };
    };
    app_.use(recorder("a"));
    app_.use(recorder("b"));
    app_.on("go", [&](lift::context&) { trace.push_back("handler"); });
    ASSERT_TRUE(handle(make_event(lift::event_type::message, "go")));
    EXPECT_EQ(trace,
              (std::vector<std::string>{"a before", "b before", "handler", "b after", "a after"}));
}

TEST_F(app_test, middleware_can_short_circuit) {
    bool handler_called = false;
    app_.use([](lift::context& ctx, const lift::next_handler& next) -> lift::result<lift::reply> {
        if (ctx.event().query("token") == nullptr) {
            return lift::reply::status(401);
        }
        return next(ctx);
    });
    app_.on_connect([&](lift::context&) { handler_called = true; });
    auto r = handle(make_event(lift::event_type::connect, "$connect"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status_code, 401);
    EXPECT_FALSE(handler_called);

    auto with_token = make_event(lift::event_type::connect, "$connect", "conn-2=");
    with_token.query_string_parameters = lift::string_map{{"token", "t"}};
    auto ok = handle(with_token);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status_code, 200);
    EXPECT_TRUE(handler_called);
}

TEST_F(app_test, middleware_sees_exceptions_as_handler_failed) {
    std::vector<std::string> seen;
    app_.use([&](lift::context& ctx, const lift::next_handler& next) -> lift::result<lift::reply> {
        auto r = next(ctx);
        if (!r) {
            seen.push_back(r.error().message);
            EXPECT_EQ(r.error().code, lift::errc::handler_failed);
        }
        return r;
    });
    app_.on("throws", [](lift::context&) -> lift::reply { throw std::runtime_error("boom"); });
    app_.on("throws_int", [](lift::context&) -> lift::reply { throw 42; });
    auto a = handle(make_event(lift::event_type::message, "throws"));
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().code, lift::errc::handler_failed);
    EXPECT_EQ(a.error().message, "boom");
    auto b = handle(make_event(lift::event_type::message, "throws_int"));
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().message, "unknown exception");
    EXPECT_EQ(seen, (std::vector<std::string>{"boom", "unknown exception"}));
}

TEST_F(app_test, throwing_middleware_is_contained) {
    app_.use([](lift::context&, const lift::next_handler&) -> lift::result<lift::reply> {
        throw std::logic_error("middleware bug");
    });
    app_.on("x", [](lift::context&) {});
    auto r = handle(make_event(lift::event_type::message, "x"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, lift::errc::handler_failed);
    EXPECT_EQ(r.error().message, "middleware bug");
}

TEST_F(app_test, middleware_can_replace_the_reply) {
    app_.use([](lift::context& ctx, const lift::next_handler& next) -> lift::result<lift::reply> {
        auto r = next(ctx);
        if (r) {
            r->with_header("X-Seen", "1");
        }
        return r;
    });
    app_.on("x", [](lift::context&) { return lift::reply::text("body"); });
    auto r = handle(make_event(lift::event_type::message, "x"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->headers.at("X-Seen"), "1");
    EXPECT_EQ(r->body, "body");
}

// --- lifecycle and the store ----------------------------------------------------------------

TEST_F(app_test, connect_without_route_answers_200_through_middleware) {
    int runs = 0;
    app_.use([&](lift::context& ctx, const lift::next_handler& next) {
        ++runs;
        return next(ctx);
    });
    auto r = handle(make_event(lift::event_type::connect, "$connect"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status_code, 200);
    EXPECT_EQ(runs, 1);
    EXPECT_TRUE(*store_->get("conn-1="));
    auto d = handle(make_event(lift::event_type::disconnect, "$disconnect"));
    ASSERT_TRUE(d);
    EXPECT_EQ(d->status_code, 200);
    EXPECT_EQ(runs, 2);
    EXPECT_FALSE(*store_->get("conn-1="));
}

TEST_F(app_test, rejected_connect_stores_nothing) {
    app_.on_connect([](lift::context&) { return lift::reply::status(401); });
    auto r = handle(make_event(lift::event_type::connect, "$connect"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status_code, 401);
    EXPECT_EQ(*store_->count(), 0u);
}

TEST_F(app_test, failed_connect_stores_nothing) {
    app_.on_connect([](lift::context&) -> lift::reply { throw std::runtime_error("db down"); });
    auto r = handle(make_event(lift::event_type::connect, "$connect"));
    ASSERT_TRUE(r);  // recovered
    EXPECT_EQ(r->status_code, 500);
    EXPECT_EQ(*store_->count(), 0u);
    app_.recover(false);
    auto raw = handle(make_event(lift::event_type::connect, "$connect"));
    ASSERT_FALSE(raw);
    EXPECT_EQ(raw.error().code, lift::errc::handler_failed);
    EXPECT_EQ(*store_->count(), 0u);
}

TEST_F(app_test, successful_connect_saves_identity_metadata_and_ttl) {
    app_.use([](lift::context& ctx, const lift::next_handler& next) -> lift::result<lift::reply> {
        lift::identity id;
        id.subject = "alice";
        id.tenant = "acme";
        id.roles = {"admin"};
        ctx.set_identity(id);
        return next(ctx);
    });
    app_.on_connect([](lift::context& ctx) {
        ctx.metadata()["room"] = "lobby";
        return lift::reply::status(201);
    });
    auto r = handle(make_event(lift::event_type::connect, "$connect"));
    ASSERT_TRUE(r);
    auto rec = store_->get("conn-1=");
    ASSERT_TRUE(rec);
    ASSERT_TRUE(*rec);
    const auto& s = **rec;
    EXPECT_EQ(s.connection_id, "conn-1=");
    EXPECT_EQ(s.connected_at, connected_at);
    EXPECT_EQ(s.expires_at, connected_at / 1000 + lift::default_record_ttl_seconds);
    EXPECT_EQ(s.source_ip, "198.51.100.23");
    EXPECT_EQ(s.user_agent, "test-agent");
    EXPECT_EQ(s.stage, "prod");
    EXPECT_EQ(s.domain_name, "abc.execute-api.eu-west-1.amazonaws.com");
    EXPECT_EQ(s.identity.subject, "alice");
    EXPECT_EQ(s.identity.tenant, "acme");
    EXPECT_EQ(s.identity.roles, std::vector<std::string>{"admin"});
    EXPECT_EQ(s.metadata.at("room"), "lobby");
    EXPECT_EQ(store_->list_by_user("alice")->size(), 1u);
}

TEST_F(app_test, record_ttl_is_configurable_and_expires) {
    app_.record_ttl_seconds(60);
    ASSERT_TRUE(handle(make_event(lift::event_type::connect, "$connect")));
    EXPECT_EQ((*store_->get("conn-1="))->expires_at, connected_at / 1000 + 60);
    clock_.set((connected_at / 1000 + 60) * 1000);
    EXPECT_FALSE(*store_->get("conn-1="));
}

TEST_F(app_test, connect_identity_from_authorizer_is_saved) {
    auto ev = make_event(lift::event_type::connect, "$connect");
    ev.request_context.authorizer =
        boost::json::parse(R"({"principalId":"bob","tenantId":"t"})").as_object();
    ASSERT_TRUE(handle(ev));
    EXPECT_EQ((*store_->get("conn-1="))->identity.subject, "bob");
    EXPECT_EQ((*store_->get("conn-1="))->identity.tenant, "t");
}

TEST_F(app_test, disconnect_removes_the_record_whatever_the_handler_does) {
    ASSERT_TRUE(handle(make_event(lift::event_type::connect, "$connect")));
    ASSERT_TRUE(*store_->get("conn-1="));
    std::string seen_subject = "unset";
    app_.on_disconnect([&](lift::context& ctx) -> lift::reply {
        seen_subject = ctx.identity().subject;  // the record is still there while handling
        EXPECT_TRUE(*ctx.store()->get(ctx.connection_id()));
        throw std::runtime_error("handler failed");
    });
    auto r = handle(make_event(lift::event_type::disconnect, "$disconnect"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, lift::errc::handler_failed);
    EXPECT_EQ(seen_subject, "");
    EXPECT_FALSE(*store_->get("conn-1="));
}

TEST_F(app_test, record_connections_off_leaves_the_store_alone) {
    app_.record_connections(false);
    ASSERT_TRUE(handle(make_event(lift::event_type::connect, "$connect")));
    EXPECT_EQ(*store_->count(), 0u);
    lift::connection_record rec;
    rec.connection_id = "conn-1=";
    ASSERT_TRUE(store_->save(rec));
    ASSERT_TRUE(handle(make_event(lift::event_type::disconnect, "$disconnect")));
    EXPECT_EQ(*store_->count(), 1u);
}

TEST_F(app_test, save_failure_fails_the_connect) {
    lift::app app;
    app.use_store(std::make_unique<failing_store>());
    const auto ev = make_event(lift::event_type::connect, "$connect");
    lift::context_services s;
    s.store = app.store();
    lift::context ctx{ev, s};
    auto recovered = app.handle(ctx);
    ASSERT_TRUE(recovered);
    EXPECT_EQ(recovered->status_code, 500);
    app.recover(false);
    lift::context ctx1{ev, s};
    auto r = app.handle(ctx1);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, lift::errc::unavailable);
    app.recover(true);

    // A rejected connect never touches the store, so it cannot fail on it.
    app.on_connect([](lift::context&) { return lift::reply::status(403); });
    lift::context ctx2{ev, s};
    auto rejected = app.handle(ctx2);
    ASSERT_TRUE(rejected);
    EXPECT_EQ(rejected->status_code, 403);

    // $disconnect is best effort: a failing remove does not fail the event.
    const auto dc = make_event(lift::event_type::disconnect, "$disconnect");
    lift::context ctx3{dc, s};
    EXPECT_TRUE(app.handle(ctx3));
}

TEST_F(app_test, app_without_store_handles_lifecycle) {
    lift::app app;
    const auto ev = make_event(lift::event_type::connect, "$connect");
    lift::context_services s;
    lift::context ctx{ev, s};
    auto r = app.handle(ctx);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status_code, 200);
}

TEST_F(app_test, message_identity_from_authorizer_else_from_store) {
    std::vector<std::string> subjects;
    std::vector<std::string> rooms;
    app_.on_connect([](lift::context& ctx) {
        ctx.identity().subject = "stored-user";
        ctx.metadata()["room"] = "blue";
    });
    app_.on("who", [&](lift::context& ctx) {
        subjects.push_back(ctx.identity().subject);
        auto it = ctx.metadata().find("room");
        rooms.push_back(it != ctx.metadata().end() ? it->second : "");
    });
    ASSERT_TRUE(handle(make_event(lift::event_type::connect, "$connect")));

    ASSERT_TRUE(handle(make_event(lift::event_type::message, "who")));
    auto with_auth = make_event(lift::event_type::message, "who");
    with_auth.request_context.authorizer = boost::json::object{{"principalId", "auth-user"}};
    ASSERT_TRUE(handle(with_auth));
    ASSERT_TRUE(handle(make_event(lift::event_type::message, "who", "unknown=")));
    EXPECT_EQ(subjects, (std::vector<std::string>{"stored-user", "auth-user", ""}));
    EXPECT_EQ(rooms, (std::vector<std::string>{"blue", "", ""}));
}

}  // namespace

namespace {

class capture_sink final : public lift::log_sink {
public:
    void write(std::string_view line) override { lines.emplace_back(line); }

    std::vector<std::string> lines;
};

struct observed {
    lift::result<lift::reply> result;
    std::vector<boost::json::object> logs;
    lift::metrics metrics;
    std::vector<std::string> emf;
};

class observability_test : public app_test {
protected:
    observed run(const lift::websocket_event& ev,
                 lift::log_level level = lift::log_level::info,
                 lift::log_buffer* buffer = nullptr) {
        capture_sink sink;
        observed o{lift::fail(lift::errc::internal, "unset"), {}, lift::metrics{&config_}, {}};
        lift::context_services s;
        s.api = &api_;
        s.store = app_.store();
        s.clock = &clock_;
        s.sink = &sink;
        s.level = level;
        s.metrics = &o.metrics;
        s.log_buffer = buffer;
        s.function_name = "fn";
        s.cold_start = true;
        lift::context ctx{ev, s};
        o.result = app_.handle(ctx);
        for (const auto& l : sink.lines) {
            o.logs.push_back(boost::json::parse(l).as_object());
        }
        o.emf = o.metrics.serialize(1);
        return o;
    }

    // The EMF document holding metric `name`, if any.
    static std::optional<boost::json::object> find_metric_doc(const observed& o,
                                                              std::string_view name) {
        for (const auto& d : o.emf) {
            auto parsed = boost::json::parse(d).as_object();
            if (parsed.contains(name)) {
                return parsed;
            }
        }
        return std::nullopt;
    }

    lift::metrics_config config_{"Test", "svc", {}, true};
};

TEST_F(observability_test, handler_exception_is_logged_with_details_and_counted) {
    app_.on("boom", [](lift::context&) -> lift::reply {
        throw std::out_of_range("secret internal detail 42");
    });
    auto o = run(make_event(lift::event_type::message, "boom"));
    ASSERT_FALSE(o.result);
    EXPECT_EQ(o.result.error().code, lift::errc::handler_failed);
    ASSERT_EQ(o.logs.size(), 1u);
    const auto& line = o.logs[0];
    EXPECT_EQ(line.at("level"), "ERROR");
    EXPECT_EQ(line.at("errorType"), "Exception");
    EXPECT_EQ(line.at("exceptionType"), "std::out_of_range");
    EXPECT_EQ(line.at("errorMessage"), "secret internal detail 42");
    EXPECT_EQ(line.at("routeKey"), "boom");
    EXPECT_EQ(line.at("requestId"), "req=");
    EXPECT_EQ(line.at("functionName"), "fn");
    EXPECT_EQ(line.at("coldStart"), true);
    const auto errors = find_metric_doc(o, "Errors");
    ASSERT_TRUE(errors);
    EXPECT_EQ(errors->at("errorType"), "Exception");
    EXPECT_EQ(errors->at("service"), "svc");
}

TEST_F(observability_test, connect_exception_becomes_a_bare_500) {
    app_.on_connect(
        [](lift::context&) -> lift::reply { throw std::runtime_error("db password wrong"); });
    auto o = run(make_event(lift::event_type::connect, "$connect"));
    ASSERT_TRUE(o.result);
    EXPECT_EQ(o.result->status_code, 500);
    EXPECT_FALSE(o.result->body);
    EXPECT_TRUE(o.result->headers.empty());
    ASSERT_EQ(o.logs.size(), 1u);
    EXPECT_EQ(o.logs[0].at("errorMessage"), "db password wrong");
    EXPECT_EQ(find_metric_doc(o, "ConnectionsOpened"), std::nullopt);
    EXPECT_NE(find_metric_doc(o, "Errors"), std::nullopt);
}

TEST_F(observability_test, returned_errors_are_typed_by_code) {
    app_.on("busy", [](lift::context&) -> lift::result<lift::reply> {
        return lift::fail(lift::errc::unavailable, "downstream");
    });
    auto o = run(make_event(lift::event_type::message, "busy"));
    ASSERT_FALSE(o.result);
    ASSERT_EQ(o.logs.size(), 1u);
    EXPECT_EQ(o.logs[0].at("errorType"), "Unavailable");
    EXPECT_EQ(o.logs[0].at("exceptionType"), "");
    auto nr = run(make_event(lift::event_type::message, "nothing-here"));
    ASSERT_FALSE(nr.result);
    const auto doc = find_metric_doc(nr, "Errors");
    ASSERT_TRUE(doc);
    EXPECT_EQ(doc->at("errorType"), "NoRoute");
}

TEST_F(observability_test, standard_metrics_per_event_type) {
    app_.on("chat", [](lift::context&) {});
    auto c = run(make_event(lift::event_type::connect, "$connect"));
    ASSERT_TRUE(c.result);
    EXPECT_NE(find_metric_doc(c, "ConnectionsOpened"), std::nullopt);
    EXPECT_NE(find_metric_doc(c, "HandlerLatency"), std::nullopt);
    auto ev = make_event(lift::event_type::message, "chat");
    ev.body = R"({"action":"chat","text":"hello"})";
    auto m = run(ev);
    ASSERT_TRUE(m.result);
    const auto doc = find_metric_doc(m, "Messages");
    ASSERT_TRUE(doc);
    EXPECT_EQ(doc->at("route"), "chat");
    EXPECT_EQ(doc->at("Messages"), 1);
    EXPECT_EQ(doc->at("MessageBytes"), static_cast<std::int64_t>(ev.body->size()));
    EXPECT_GE(doc->at("HandlerLatency").to_number<double>(), 0.0);
    EXPECT_EQ(find_metric_doc(m, "Errors"), std::nullopt);
    auto d = run(make_event(lift::event_type::disconnect, "$disconnect"));
    EXPECT_NE(find_metric_doc(d, "ConnectionsClosed"), std::nullopt);
    app_.standard_metrics(false);
    auto none = run(ev);
    EXPECT_TRUE(none.emf.empty());
}

TEST_F(observability_test, handler_metrics_and_broadcast_counts) {
    app_.on("fanout", [](lift::context& ctx) {
        ctx.metrics().add("Custom", 2, lift::metric_unit::count);
        const std::vector<std::string> ids{"a=", "b=", "c="};
        (void)ctx.api()->post_many(ids, "x");
    });
    api_.fail_for("b=", lift::errc::gone);
    api_.fail_for("c=", lift::errc::unavailable);
    auto o = run(make_event(lift::event_type::message, "fanout"));
    ASSERT_TRUE(o.result);
    const auto custom = find_metric_doc(o, "Custom");
    ASSERT_TRUE(custom);
    EXPECT_EQ(custom->at("Custom"), 2);
    const auto b = find_metric_doc(o, "BroadcastDelivered");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->at("BroadcastDelivered"), 1);
    EXPECT_EQ(b->at("BroadcastGone"), 1);
    EXPECT_EQ(b->at("BroadcastFailed"), 1);
}

TEST_F(observability_test, event_is_logged_redacted_into_the_debug_buffer) {
    app_.on_connect([](lift::context& ctx) {
        ctx.log().debug("handler debug");
        return lift::reply::ok();
    });
    auto ev = make_event(lift::event_type::connect, "$connect");
    ev.headers = lift::string_map{{"Authorization", "Bearer hdr-secret-1"},
                                  {"Sec-WebSocket-Protocol", "proto-secret-2"}};
    ev.query_string_parameters = lift::string_map{{"token", "query-secret-3"}};
    lift::log_buffer buffer;
    auto o = run(ev, lift::log_level::info, &buffer);
    ASSERT_TRUE(o.result);
    EXPECT_TRUE(o.logs.empty());  // info level: debug lines only buffered
    EXPECT_EQ(buffer.size(), 2u);
    capture_sink flushed;
    buffer.flush_to(flushed);
    ASSERT_EQ(flushed.lines.size(), 2u);
    for (const auto& l : flushed.lines) {
        for (const char* secret : {"hdr-secret-1", "proto-secret-2", "query-secret-3"}) {
            EXPECT_EQ(l.find(secret), std::string::npos) << l;
        }
    }
    const auto first = boost::json::parse(flushed.lines[0]);
    EXPECT_EQ(first.at("message"), "event");
    EXPECT_EQ(first.at("event").at("headers").at("Authorization"), "[REDACTED]");
    EXPECT_EQ(first.at("event").at("query").at("token"), "[REDACTED]");
    // Debug level: written straight away.
    auto d = run(ev, lift::log_level::debug);
    EXPECT_EQ(d.logs.size(), 2u);
}

}  // namespace
