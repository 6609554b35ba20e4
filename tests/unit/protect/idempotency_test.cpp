#include <barrier>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <lift/core/error.hpp>
#include <lift/protect/idempotency.hpp>
#include <lift/protect/idempotency_store.hpp>

#include "fake_clock.hpp"
#include "protect_test_util.hpp"
#include "recording_connection_api.hpp"

namespace {

using lift::protect::begin_state;
using lift::protect::idempotency;
using lift::protect::idempotency_scope;
using lift::protect::memory_idempotency_store;
using namespace std::chrono_literals;

constexpr std::int64_t t0 = 1'700'000'000'000;

struct idempotency_mw : ::testing::Test {
    lift::test::fake_clock clock{t0};
    lift::test::recording_connection_api api;
    lift::context_services services{.api = &api, .clock = &clock};
    memory_idempotency_store store;
    std::atomic<int> executions{0};

    lift::next_handler handler(std::string answer = "done") {
        return [this, answer](lift::context&) -> lift::result<lift::reply> {
            ++executions;
            return lift::reply::text(answer);
        };
    }

    lift::result<lift::reply> run(const lift::middleware& mw,
                                  const lift::websocket_event& ev,
                                  const lift::next_handler& next,
                                  std::int64_t deadline_ms = 0,
                                  std::string subject = {}) {
        lift::context ctx{ev, services, deadline_ms};
        if (!subject.empty()) {
            ctx.identity().subject = subject;
        }
        return mw(ctx, next);
    }
};

TEST(memory_idempotency_store, begin_complete_replay_release_and_expiry) {
    memory_idempotency_store s;
    auto b = s.begin("k", "o1", t0 + 100, t0);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->state, begin_state::acquired);
    EXPECT_EQ(s.begin("k", "o2", t0 + 100, t0)->state, begin_state::in_progress);
    // The lock expires: a new owner takes over, and the old owner's completion is ignored.
    EXPECT_EQ(s.begin("k", "o2", t0 + 300, t0 + 100)->state, begin_state::acquired);
    ASSERT_TRUE(s.complete("k", "o1", {200, "stale"}, t0 + 10'000));
    EXPECT_EQ(s.begin("k", "o3", t0 + 300, t0 + 150)->state, begin_state::in_progress);
    ASSERT_TRUE(s.complete("k", "o2", {201, "fresh"}, t0 + 10'000));
    auto done = s.begin("k", "o3", t0 + 300, t0 + 200);
    EXPECT_EQ(done->state, begin_state::completed);
    EXPECT_EQ(done->reply.status_code, 201);
    EXPECT_EQ(done->reply.body, "fresh");
    // Completed records expire too.
    EXPECT_EQ(s.begin("k", "o4", t0 + 20'000, t0 + 10'000)->state, begin_state::acquired);
    // Release by a non-owner does nothing; by the owner frees the key.
    ASSERT_TRUE(s.release("k", "o3"));
    EXPECT_EQ(s.begin("k", "o5", t0 + 20'000, t0 + 10'001)->state, begin_state::in_progress);
    ASSERT_TRUE(s.release("k", "o4"));
    EXPECT_EQ(s.begin("k", "o5", t0 + 20'000, t0 + 10'001)->state, begin_state::acquired);
}

TEST(memory_idempotency_store, bounded_by_max_records) {
    memory_idempotency_store s{{.max_records = 10}};
    for (int i = 0; i < 100; ++i) {
        ASSERT_EQ(s.begin("k" + std::to_string(i), "o", t0 + 1000 + i, t0)->state,
                  begin_state::acquired);
        ASSERT_LE(s.size(), 10u);
    }
}

TEST_F(idempotency_mw, duplicate_of_a_completed_message_replays_the_stored_reply) {
    auto idem = idempotency::create(store, {});
    ASSERT_TRUE(idem) << idem.error().message;
    const auto mw = idem->middleware();
    const auto ev = lift::test::message_event("pay", "c1", R"({"id":"m-1","amount":5})");
    auto first = run(mw, ev, handler("receipt-1"));
    ASSERT_TRUE(first);
    EXPECT_EQ(first->body, "receipt-1");
    auto second = run(mw, ev, handler("receipt-2"));
    ASSERT_TRUE(second);
    EXPECT_EQ(second->body, "receipt-1");
    EXPECT_EQ(second->status_code, 200);
    EXPECT_EQ(executions.load(), 1);
    // A different id, another connection, or another route runs again.
    EXPECT_EQ(run(mw, lift::test::message_event("pay", "c1", R"({"id":"m-2"})"), handler())->body,
              "done");
    EXPECT_EQ(run(mw, lift::test::message_event("pay", "c2", R"({"id":"m-1"})"), handler())->body,
              "done");
    EXPECT_EQ(run(mw, lift::test::message_event("tip", "c1", R"({"id":"m-1"})"), handler())->body,
              "done");
    EXPECT_EQ(executions.load(), 4);
    EXPECT_TRUE(api.posts().empty());
}

TEST_F(idempotency_mw, five_concurrent_duplicates_execute_exactly_once) {
    auto idem = idempotency::create(store, {});
    const auto mw = idem->middleware();
    const auto ev = lift::test::message_event("pay", "c1", R"({"id":"dup"})");
    std::barrier start{5};
    std::atomic<bool> release{false};
    std::atomic<int> in_progress_answers{0};
    const lift::next_handler slow = [&](lift::context&) -> lift::result<lift::reply> {
        ++executions;
        // Hold the lock until every other duplicate has been answered (bounded wait).
        for (int i = 0; i < 2000 && !release.load(); ++i) {
            std::this_thread::sleep_for(1ms);
        }
        return lift::reply::text("once");
    };
    std::vector<std::thread> threads;
    std::vector<lift::reply> replies(5);
    for (int t = 0; t < 5; ++t) {
        threads.emplace_back([&, t] {
            start.arrive_and_wait();
            auto r = run(mw, ev, slow);
            ASSERT_TRUE(r);
            replies[static_cast<std::size_t>(t)] = *r;
            if (r->status_code == 409) {
                if (++in_progress_answers == 4) {
                    release = true;
                }
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_EQ(executions.load(), 1);
    EXPECT_EQ(in_progress_answers.load(), 4);
    const auto posts = api.posts();
    ASSERT_EQ(posts.size(), 4u);
    for (const auto& p : posts) {
        EXPECT_EQ(boost::json::parse(p.data),
                  boost::json::parse(R"({"message":"Request already in progress","id":"dup",)"
                                     R"("connectionId":"c1","requestId":"req-1"})"));
    }
    // A later duplicate gets the stored reply.
    auto later = run(mw, ev, slow);
    EXPECT_EQ(later->body, "once");
    EXPECT_EQ(executions.load(), 1);
}

TEST_F(idempotency_mw, lock_expires_at_the_invocation_deadline_so_a_retry_runs) {
    auto idem = idempotency::create(store, {});
    const auto mw = idem->middleware();
    const auto ev = lift::test::message_event("pay", "c1", R"({"id":7})");
    // An invocation that took the lock with 500 ms left and never finished (timed out).
    lift::context first{ev, services, t0 + 500};
    auto key = idem->key_of(first);
    ASSERT_TRUE(key);
    EXPECT_EQ(*key, "c#c1#pay#7");
    ASSERT_EQ(store.begin(*key, "dead-owner", t0 + 500, t0)->state, begin_state::acquired);
    // Before the deadline a retry is told it is in progress.
    clock.set(t0 + 499);
    EXPECT_EQ(run(mw, ev, handler(), t0 + 29'000)->status_code, 409);
    EXPECT_EQ(executions.load(), 0);
    // After it, the retry runs.
    clock.set(t0 + 500);
    EXPECT_EQ(run(mw, ev, handler(), t0 + 29'500)->body, "done");
    EXPECT_EQ(executions.load(), 1);
}

TEST_F(idempotency_mw, failed_handler_releases_the_lock_and_stores_nothing) {
    auto idem = idempotency::create(store, {});
    const auto mw = idem->middleware();
    const auto ev = lift::test::message_event("pay", "c1", R"({"id":"f"})");
    const lift::next_handler failing = [&](lift::context&) -> lift::result<lift::reply> {
        ++executions;
        return lift::fail(lift::errc::handler_failed, "boom");
    };
    EXPECT_FALSE(run(mw, ev, failing));
    EXPECT_EQ(run(mw, ev, handler())->body, "done");
    EXPECT_EQ(executions.load(), 2);
}

TEST_F(idempotency_mw, user_scope_spans_connections_and_falls_back_to_the_connection) {
    auto idem = idempotency::create(store, {.scope = idempotency_scope::user});
    const auto mw = idem->middleware();
    EXPECT_EQ(
        run(mw, lift::test::message_event("m", "c1", R"({"id":"x"})"), handler("a"), 0, "alice")
            ->body,
        "a");
    EXPECT_EQ(
        run(mw, lift::test::message_event("m", "c2", R"({"id":"x"})"), handler("b"), 0, "alice")
            ->body,
        "a");
    EXPECT_EQ(run(mw, lift::test::message_event("m", "c2", R"({"id":"x"})"), handler("c"), 0, "bob")
                  ->body,
              "c");
    // Anonymous: per connection.
    EXPECT_EQ(run(mw, lift::test::message_event("m", "c3", R"({"id":"x"})"), handler("d"))->body,
              "d");
    EXPECT_EQ(run(mw, lift::test::message_event("m", "c4", R"({"id":"x"})"), handler("e"))->body,
              "e");
    EXPECT_EQ(executions.load(), 4);
}

TEST_F(idempotency_mw, custom_pointer_routes_and_missing_ids) {
    auto idem = idempotency::create(store, {.id_pointer = "/meta/msg~1id", .routes = {"pay"}});
    ASSERT_TRUE(idem);
    const auto mw = idem->middleware();
    const auto ev = lift::test::message_event("pay", "c1", R"({"meta":{"msg/id":"z"}})");
    EXPECT_EQ(run(mw, ev, handler())->body, "done");
    EXPECT_EQ(run(mw, ev, handler())->body, "done");
    EXPECT_EQ(executions.load(), 1);
    // Not covered route, no id, id of a wrong type, non-JSON: all run every time.
    for (const char* body : {R"({"meta":{}})", R"({"meta":{"msg/id":1.5}})",
                             R"({"meta":{"msg/id":""}})", "not json"}) {
        EXPECT_EQ(run(mw, lift::test::message_event("pay", "c1", body), handler())->body, "done");
        EXPECT_EQ(run(mw, lift::test::message_event("pay", "c1", body), handler())->body, "done");
    }
    const auto other = lift::test::message_event("other", "c1", R"({"meta":{"msg/id":"z"}})");
    EXPECT_EQ(run(mw, other, handler())->body, "done");
    EXPECT_EQ(run(mw, other, handler())->body, "done");
    EXPECT_EQ(executions.load(), 11);
}

TEST_F(idempotency_mw, require_id_and_long_ids_are_rejected_with_a_frame) {
    auto idem = idempotency::create(store, {.require_id = true, .max_id_bytes = 8});
    const auto mw = idem->middleware();
    auto r = run(mw, lift::test::message_event("m", "c1", R"({"x":1})"), handler());
    EXPECT_EQ(r->status_code, 400);
    r = run(mw, lift::test::message_event("m", "c1", R"({"id":"123456789"})"), handler());
    EXPECT_EQ(r->status_code, 400);
    EXPECT_EQ(executions.load(), 0);
    const auto posts = api.posts();
    ASSERT_EQ(posts.size(), 2u);
    EXPECT_NE(posts[0].data.find(R"("message":"Missing idempotency key","pointer":"/id")"),
              std::string::npos)
        << posts[0].data;
    EXPECT_NE(posts[1].data.find("Invalid idempotency key"), std::string::npos);
}

TEST_F(idempotency_mw, keys_escape_separators) {
    auto idem = idempotency::create(store, {});
    const auto ev = lift::test::message_event("a#b", "c%1", R"({"id":"x#y"})");
    lift::context ctx{ev, services};
    EXPECT_EQ(idem->key_of(ctx), "c#c%251#a%23b#x%23y");
}

TEST(idempotency_create, rejects_bad_options) {
    memory_idempotency_store s;
    EXPECT_FALSE(idempotency::create(s, {.id_pointer = "id"}));
    EXPECT_FALSE(idempotency::create(s, {.id_pointer = "/a~2"}));
    EXPECT_FALSE(idempotency::create(s, {.completed_ttl_seconds = 0}));
    EXPECT_FALSE(idempotency::create(s, {.default_lock_ms = 0}));
    EXPECT_FALSE(idempotency::create(s, {.max_id_bytes = 0}));
}

}  // namespace
