#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <lift/core/error.hpp>
#include <lift/protect/rate_limit.hpp>
#include <lift/protect/rate_limit_store.hpp>

#include "fake_clock.hpp"
#include "protect_test_util.hpp"
#include "recording_connection_api.hpp"

namespace {

using lift::protect::bucket_limit;
using lift::protect::fail_mode;
using lift::protect::limit_key;
using lift::protect::limit_rule;
using lift::protect::memory_rate_limit_store;
using lift::protect::rate_limiter;
using lift::test::counting_next;

constexpr std::int64_t t0 = 1'700'000'000'000;

class failing_store final : public lift::protect::rate_limit_store {
public:
    lift::result<lift::protect::bucket_decision> take(std::string_view,
                                                      const bucket_limit&,
                                                      std::int64_t,
                                                      std::int64_t) override {
        ++calls;
        return lift::fail(lift::errc::unavailable, "store down");
    }

    int calls = 0;
};

struct rate_limit_mw : ::testing::Test {
    lift::test::fake_clock clock{t0};
    lift::test::recording_connection_api api;
    lift::context_services services{.api = &api, .clock = &clock};
    memory_rate_limit_store store;
    counting_next next;

    // Runs `mw` once for `ev`; returns the reply.
    lift::result<lift::reply> run(const lift::middleware& mw, const lift::websocket_event& ev) {
        lift::context ctx{ev, services};
        return mw(ctx, next.fn());
    }
};

// --- memory store ---------------------------------------------------------------------------

TEST(memory_rate_limit_store, keys_are_independent) {
    memory_rate_limit_store s;
    const bucket_limit l{.rate_per_second = 1, .burst = 2};
    EXPECT_TRUE(s.take("a", l, t0, 0)->admitted);
    EXPECT_TRUE(s.take("a", l, t0, 0)->admitted);
    EXPECT_FALSE(s.take("a", l, t0, 0)->admitted);
    EXPECT_TRUE(s.take("b", l, t0, 0)->admitted);
    EXPECT_TRUE(s.take("a", l, t0 + 1000, 0)->admitted);
}

TEST(memory_rate_limit_store, forgets_idle_buckets_once_they_are_full_again) {
    memory_rate_limit_store s;
    const bucket_limit l{.rate_per_second = 10, .burst = 5};  // full again after 0.5 s
    for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(s.take("k" + std::to_string(i), l, t0, 0)->admitted);
    }
    EXPECT_EQ(s.size(), 50u);
    // Each call drops a few idle buckets; after enough calls past the refill time all went.
    for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(s.take("fresh", l, t0 + 10'000 + i * 1000, 0)->admitted);
    }
    EXPECT_EQ(s.size(), 1u);
}

TEST(memory_rate_limit_store, never_holds_more_than_max_buckets) {
    memory_rate_limit_store s{{.max_buckets = 16}};
    const bucket_limit l{.rate_per_second = 0.001, .burst = 1};
    for (int i = 0; i < 1000; ++i) {
        ASSERT_TRUE(s.take("k" + std::to_string(i), l, t0, 0)->admitted);
        ASSERT_LE(s.size(), 16u);
    }
    // The most recent key is still limited.
    EXPECT_FALSE(s.take("k999", l, t0, 0)->admitted);
}

TEST(memory_rate_limit_store, concurrent_callers_never_over_admit) {
    memory_rate_limit_store s;
    const bucket_limit l{.rate_per_second = 0.001, .burst = 100};
    std::atomic<int> admitted{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 200; ++i) {
                if (s.take("shared", l, t0, 0)->admitted) {
                    ++admitted;
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(admitted.load(), 100);
}

// --- accuracy ------------------------------------------------------------------------------

// A client trying every 3 ms for 10 s of simulated time against 20/s with burst 10 gets
// rate*time + burst = 210 requests through, within 5%.
TEST_F(rate_limit_mw, admits_rate_times_time_plus_burst_over_ten_simulated_seconds) {
    auto limiter =
        rate_limiter::create(store, {.rules = {{.key = limit_key::connection, .limit = {20, 10}}}});
    ASSERT_TRUE(limiter) << limiter.error().message;
    const auto mw = limiter->middleware();
    const auto ev = lift::test::message_event("$default", "c1", "x");
    int admitted = 0;
    for (std::int64_t t = 0; t < 10'000; t += 3) {
        clock.set(t0 + t);
        auto r = run(mw, ev);
        ASSERT_TRUE(r);
        if (r->is_success()) {
            ++admitted;
        }
    }
    const double expected = 20.0 * 10 + 10;
    EXPECT_NEAR(admitted, expected, expected * 0.05) << admitted;
    EXPECT_EQ(next.calls.load(), admitted);
    // Every rejection told the client with a frame.
    EXPECT_EQ(static_cast<int>(api.posts().size()), 3334 - admitted);
}

// The same over an irregular arrival pattern and a fractional rate.
TEST(rate_limit_accuracy, fractional_rate_with_irregular_arrivals) {
    memory_rate_limit_store s;
    const bucket_limit l{.rate_per_second = 7.5, .burst = 3};
    int admitted = 0;
    std::int64_t t = 0;
    std::uint32_t x = 12345;
    while (t < 10'000) {
        if (s.take("k", l, t0 + t, 0)->admitted) {
            ++admitted;
        }
        x = x * 1103515245U + 12345U;
        t += 1 + static_cast<std::int64_t>((x >> 16) % 20);  // 1..20 ms apart
    }
    const double expected = 7.5 * 10 + 3;
    EXPECT_NEAR(admitted, expected, expected * 0.05) << admitted;
}

// --- rule configuration ---------------------------------------------------------------------

TEST(rate_limiter_create, rejects_bad_rules) {
    memory_rate_limit_store s;
    auto bad = [&](lift::protect::rate_limit_options o, std::string_view what) {
        auto r = rate_limiter::create(s, std::move(o));
        ASSERT_FALSE(r) << what;
        EXPECT_EQ(r.error().code, lift::errc::invalid_argument);
        EXPECT_NE(r.error().message.find(what), std::string::npos) << r.error().message;
    };
    bad({.rules = {{.limit = {0, 1}}}}, "rate_per_second must be > 0");
    bad({.rules = {{.limit = {1, 0.5}}}}, "burst must be >= 1");
    bad({.rules = {{.key = limit_key::user}, {.key = limit_key::user}}}, "same name");
    bad({.rules = {{.name = "a#b"}}}, "must not contain '#'");
    bad({.rules = {{.routes = {"$disconnect"}}}}, "$disconnect cannot be limited");
    bad({.rules = {}, .connect_status = 200}, "connect_status");
    auto ok = rate_limiter::create(
        s, {.rules = {{.key = limit_key::user}, {.key = limit_key::user, .name = "user2"}}});
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->options().rules[0].name, "user");
}

// --- middleware -----------------------------------------------------------------------------

TEST_F(rate_limit_mw, message_over_limit_sends_one_too_many_requests_frame) {
    auto limiter =
        rate_limiter::create(store, {.rules = {{.key = limit_key::connection, .limit = {1, 2}}}});
    const auto mw = limiter->middleware();
    const auto ev = lift::test::message_event("send", "conn-1", "{}", "req-9");
    ASSERT_TRUE(run(mw, ev)->is_success());
    ASSERT_TRUE(run(mw, ev)->is_success());
    auto r = run(mw, ev);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status_code, 429);
    EXPECT_FALSE(r->body.has_value());  // a two-way route sends nothing more
    EXPECT_EQ(next.calls.load(), 2);
    const auto posts = api.posts();
    ASSERT_EQ(posts.size(), 1u);
    EXPECT_EQ(posts[0].connection_id, "conn-1");
    EXPECT_EQ(posts[0].data,
              R"({"message":"Too Many Requests","connectionId":"conn-1","requestId":"req-9"})");
}

TEST_F(rate_limit_mw, frame_goes_into_the_reply_body_when_send_fails) {
    auto limiter = rate_limiter::create(store, {.rules = {{.limit = {1, 1}}}});
    const auto mw = limiter->middleware();
    api.fail_for("conn-2", lift::errc::gone);
    const auto ev = lift::test::message_event("send", "conn-2", "{}");
    ASSERT_TRUE(run(mw, ev)->is_success());
    auto r = run(mw, ev);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status_code, 429);
    ASSERT_TRUE(r->body);
    EXPECT_NE(r->body->find("Too Many Requests"), std::string::npos);
}

TEST_F(rate_limit_mw, connect_over_limit_answers_429_without_a_frame) {
    auto limiter = rate_limiter::create(
        store, {.rules = {{.key = limit_key::source_ip, .limit = {1, 2}, .routes = {"$connect"}}}});
    const auto mw = limiter->middleware();
    for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(run(mw, lift::test::connect_event("c" + std::to_string(i)))->is_success());
    }
    auto r = run(mw, lift::test::connect_event("c3"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status_code, 429);
    EXPECT_EQ(r->headers["Retry-After"], "1");  // one token at 1/s
    EXPECT_EQ(next.calls.load(), 2);
    EXPECT_TRUE(api.posts().empty());
    // Another address has its own bucket; message routes are outside this rule.
    EXPECT_TRUE(run(mw, lift::test::connect_event("c4", "198.51.100.1"))->is_success());
    EXPECT_TRUE(run(mw, lift::test::message_event("x", "c1", "{}"))->is_success());
}

TEST_F(rate_limit_mw, connection_rules_do_not_apply_to_connect_and_disconnect_is_never_limited) {
    auto limiter = rate_limiter::create(store, {.rules = {{.limit = {0.001, 1}}}});
    const auto mw = limiter->middleware();
    for (int i = 0; i < 5; ++i) {
        EXPECT_TRUE(run(mw, lift::test::connect_event("same"))->is_success());
        EXPECT_TRUE(run(mw, lift::test::disconnect_event("same"))->is_success());
    }
    EXPECT_EQ(store.size(), 0u);
}

TEST_F(rate_limit_mw, user_and_tenant_buckets_span_connections_and_skip_anonymous_callers) {
    auto limiter =
        rate_limiter::create(store, {.rules = {{.key = limit_key::user, .limit = {0.001, 2}},
                                               {.key = limit_key::tenant, .limit = {0.001, 3}}}});
    const auto mw = limiter->middleware();
    auto as = [&](const std::string& cid, const std::string& user, const std::string& tenant) {
        const auto ev = lift::test::message_event("m", cid, "{}");
        lift::context ctx{ev, services};
        ctx.identity().subject = user;
        ctx.identity().tenant = tenant;
        return mw(ctx, next.fn())->status_code;
    };
    EXPECT_EQ(as("c1", "alice", "acme"), 200);
    EXPECT_EQ(as("c2", "alice", "acme"), 200);
    EXPECT_EQ(as("c3", "alice", "acme"), 429);  // alice's 2 used across connections
    EXPECT_EQ(as("c4", "bob", "acme"), 200);    // tenant acme: 3rd token (alice's 3rd failed
                                                // at the user rule before reaching it)
    EXPECT_EQ(as("c5", "carol", "acme"), 429);  // tenant acme exhausted
    EXPECT_EQ(as("c6", "dave", "other"), 200);
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(as("anon", "", ""), 200);  // neither rule applies without identity
    }
}

TEST_F(rate_limit_mw, route_rules_share_one_bucket_per_route_and_honour_the_route_list) {
    auto limiter = rate_limiter::create(
        store,
        {.rules = {{.key = limit_key::route, .limit = {0.001, 2}, .routes = {"expensive"}}}});
    const auto mw = limiter->middleware();
    EXPECT_EQ(run(mw, lift::test::message_event("expensive", "a", "{}"))->status_code, 200);
    EXPECT_EQ(run(mw, lift::test::message_event("expensive", "b", "{}"))->status_code, 200);
    EXPECT_EQ(run(mw, lift::test::message_event("expensive", "c", "{}"))->status_code, 429);
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(run(mw, lift::test::message_event("cheap", "a", "{}"))->status_code, 200);
    }
}

TEST_F(rate_limit_mw, store_errors_fail_open_or_closed_as_configured) {
    failing_store broken;
    const auto ev = lift::test::message_event("m", "c1", "{}");
    auto open = rate_limiter::create(broken, {.rules = {{}}, .on_store_error = fail_mode::open});
    EXPECT_EQ(run(open->middleware(), ev)->status_code, 200);
    EXPECT_EQ(next.calls.load(), 1);
    auto closed =
        rate_limiter::create(broken, {.rules = {{}}, .on_store_error = fail_mode::closed});
    EXPECT_EQ(run(closed->middleware(), ev)->status_code, 429);
    EXPECT_EQ(next.calls.load(), 1);
    EXPECT_EQ(broken.calls, 2);
    EXPECT_EQ(api.posts().size(), 1u);
}

TEST_F(rate_limit_mw, verdict_names_the_rule_and_the_retry_time) {
    auto limiter = rate_limiter::create(
        store, {.rules = {{.key = limit_key::connection, .limit = {4, 1}, .name = "per-conn"}}});
    const auto ev = lift::test::message_event("m", "c1", "{}");
    lift::context ctx{ev, services};
    EXPECT_TRUE(limiter->check(ctx).admitted);
    const auto v = limiter->check(ctx);
    EXPECT_FALSE(v.admitted);
    EXPECT_EQ(v.rule, "per-conn");
    EXPECT_EQ(v.retry_after_ms, 250);
}

}  // namespace
