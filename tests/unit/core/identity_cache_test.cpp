// The per-container identity cache: TTL, size bound, $disconnect, and the store path through
// lift::app::handle with a fake clock.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <lift/core/app.hpp>
#include <lift/core/identity_cache.hpp>
#include <lift/core/memory_store.hpp>

#include "counting_store.hpp"
#include "fake_clock.hpp"

namespace {

using lift::test::counting_store;

lift::identity make_identity(std::string subject) {
    lift::identity id;
    id.subject = std::move(subject);
    id.tenant = "acme";
    id.roles = {"admin"};
    return id;
}

TEST(identity_cache, hit_until_the_ttl_then_miss) {
    lift::identity_cache cache{{.ttl_ms = 30'000, .max_entries = 10}};
    cache.put("c1", make_identity("alice"), 1'000);
    auto hit = cache.find("c1", 1'000 + 29'999);
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->subject, "alice");
    EXPECT_FALSE(cache.find("c1", 1'000 + 30'000));
    EXPECT_EQ(cache.size(), 0u);  // the expired entry was dropped
    EXPECT_FALSE(cache.find("other", 0));
}

TEST(identity_cache, bounded_size_drops_the_oldest) {
    lift::identity_cache cache{{.ttl_ms = 30'000, .max_entries = 3}};
    for (int i = 0; i < 5; ++i) {
        cache.put("c" + std::to_string(i), make_identity("u" + std::to_string(i)), 100 + i);
    }
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_FALSE(cache.find("c0", 200));
    EXPECT_FALSE(cache.find("c1", 200));
    ASSERT_TRUE(cache.find("c4", 200));
    // Replacing an entry does not grow the cache.
    cache.put("c4", make_identity("again"), 300);
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_EQ(cache.find("c4", 301)->subject, "again");
}

TEST(identity_cache, erase_clear_and_off) {
    lift::identity_cache cache;
    cache.put("c1", make_identity("a"), 0);
    cache.put("c2", make_identity("b"), 0);
    cache.erase("c1");
    EXPECT_FALSE(cache.find("c1", 1));
    EXPECT_TRUE(cache.find("c2", 1));
    cache.clear();
    EXPECT_EQ(cache.size(), 0u);
    cache.configure({.ttl_ms = 0});
    cache.put("c3", make_identity("c"), 0);
    EXPECT_EQ(cache.size(), 0u);
}

TEST(identity_cache, concurrent_use_is_safe) {
    lift::identity_cache cache{{.ttl_ms = 1'000'000, .max_entries = 64}};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&cache, t] {
            for (int i = 0; i < 2000; ++i) {
                const std::string id = "c" + std::to_string((i * 7 + t) % 100);
                cache.put(id, make_identity(id), i);
                (void)cache.find(id, i);
                if (i % 13 == 0) {
                    cache.erase(id);
                }
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_LE(cache.size(), 64u);
}

lift::websocket_event event(lift::event_type type, std::string route) {
    lift::websocket_event ev;
    ev.request_context.type = type;
    ev.request_context.route_key = std::move(route);
    ev.request_context.connection_id = "conn-A=";
    ev.request_context.request_id = "req";
    ev.request_context.connected_at = 1'700'000'000'000;
    return ev;
}

class app_identity_test : public testing::Test {
protected:
    void SetUp() override {
        auto store = std::make_unique<counting_store>(clock_);
        store_ = store.get();
        app_.use_store(std::move(store));
        app_.identity_cache_options({.ttl_ms = 30'000, .max_entries = 100});
        app_.on_connect([](lift::context& ctx) {
            ctx.set_identity(make_identity("alice"));
            ctx.identity().claims["email"] = "alice@example.test";
        });
        app_.on("whoami", [this](lift::context& ctx) {
            seen_.push_back(ctx.identity());
            return lift::reply::ok();
        });
        app_.on_disconnect([this](lift::context& ctx) { seen_.push_back(ctx.identity()); });
    }

    lift::result<lift::reply> handle(lift::event_type type, std::string route) {
        const auto ev = event(type, std::move(route));
        lift::context_services s;
        s.store = app_.store();
        s.clock = &clock_;
        lift::context ctx{ev, s};
        return app_.handle(ctx);
    }

    lift::test::fake_clock clock_{1'700'000'000'000};
    lift::app app_;
    counting_store* store_ = nullptr;
    std::vector<lift::identity> seen_;
};

TEST_F(app_identity_test, custom_route_sees_the_connect_identity_and_the_cache_expires) {
    ASSERT_TRUE(handle(lift::event_type::connect, "$connect"));
    const int after_connect = store_->gets.load();

    ASSERT_TRUE(handle(lift::event_type::message, "whoami"));
    ASSERT_EQ(seen_.size(), 1u);
    EXPECT_EQ(seen_[0].subject, "alice");
    EXPECT_EQ(seen_[0].tenant, "acme");
    EXPECT_EQ(seen_[0].roles, std::vector<std::string>{"admin"});
    EXPECT_EQ(seen_[0].claims.at("email"), "alice@example.test");
    EXPECT_EQ(store_->gets.load(), after_connect + 1);  // loaded from the store once
    EXPECT_EQ(app_.identities().size(), 1u);

    clock_.advance(29'000);
    ASSERT_TRUE(handle(lift::event_type::message, "whoami"));
    EXPECT_EQ(seen_.back().subject, "alice");
    EXPECT_EQ(store_->gets.load(), after_connect + 1);  // from the cache

    clock_.advance(1'000);  // 30 s after loading: expired
    ASSERT_TRUE(handle(lift::event_type::message, "whoami"));
    EXPECT_EQ(seen_.back().subject, "alice");
    EXPECT_EQ(store_->gets.load(), after_connect + 2);  // read again

    ASSERT_TRUE(handle(lift::event_type::disconnect, "$disconnect"));
    EXPECT_EQ(seen_.back().subject, "alice");  // $disconnect still sees it
    EXPECT_EQ(app_.identities().size(), 0u);   // and drops the entry
}

TEST_F(app_identity_test, an_authorizer_identity_wins_over_cache_and_store) {
    ASSERT_TRUE(handle(lift::event_type::connect, "$connect"));
    auto ev = event(lift::event_type::message, "whoami");
    ev.request_context.authorizer = boost::json::object{{"principalId", "bob"}};
    lift::context_services s;
    s.store = app_.store();
    s.clock = &clock_;
    lift::context ctx{ev, s};
    ASSERT_TRUE(app_.handle(ctx));
    EXPECT_EQ(seen_.back().subject, "bob");
    EXPECT_EQ(app_.identities().size(), 0u);
}

}  // namespace
