#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <lift/core/memory_store.hpp>

#include "fake_clock.hpp"

namespace {

constexpr std::int64_t start_ms = 1'700'000'000'000;

lift::connection_record make_record(std::string id,
                                    std::string user = "",
                                    std::string tenant = "",
                                    std::int64_t expires_at = 0) {
    lift::connection_record r;
    r.connection_id = std::move(id);
    r.connected_at = start_ms;
    r.expires_at = expires_at;
    r.identity.subject = std::move(user);
    r.identity.tenant = std::move(tenant);
    return r;
}

std::vector<std::string> ids_of(const std::vector<lift::connection_record>& v) {
    std::vector<std::string> ids;
    for (const auto& r : v) {
        ids.push_back(r.connection_id);
    }
    return ids;
}

class memory_store_test : public testing::Test {
protected:
    lift::test::fake_clock clock_{start_ms};
    lift::memory_store store_{clock_};
};

TEST_F(memory_store_test, save_then_get_returns_every_field) {
    auto r = make_record("a=", "alice", "acme");
    r.source_ip = "192.0.2.1";
    r.user_agent = "ua";
    r.stage = "prod";
    r.domain_name = "d.example.com";
    r.identity.roles = {"admin"};
    r.identity.claims.emplace("k", "v");
    r.metadata = {{"room", "lobby"}};
    ASSERT_TRUE(store_.save(r));
    auto got = store_.get("a=");
    ASSERT_TRUE(got);
    ASSERT_TRUE(*got);
    const auto& g = **got;
    EXPECT_EQ(g.connection_id, "a=");
    EXPECT_EQ(g.connected_at, start_ms);
    EXPECT_EQ(g.source_ip, "192.0.2.1");
    EXPECT_EQ(g.user_agent, "ua");
    EXPECT_EQ(g.stage, "prod");
    EXPECT_EQ(g.domain_name, "d.example.com");
    EXPECT_EQ(g.user_id(), "alice");
    EXPECT_EQ(g.tenant_id(), "acme");
    EXPECT_EQ(g.identity.roles, std::vector<std::string>{"admin"});
    EXPECT_EQ(g.identity.claims.at("k"), "v");
    EXPECT_EQ(g.metadata.at("room"), "lobby");
}

TEST_F(memory_store_test, absent_record_is_nullopt) {
    auto got = store_.get("nope=");
    ASSERT_TRUE(got);
    EXPECT_FALSE(*got);
}

TEST_F(memory_store_test, save_replaces) {
    ASSERT_TRUE(store_.save(make_record("a=", "alice")));
    ASSERT_TRUE(store_.save(make_record("a=", "bob")));
    EXPECT_EQ((*store_.get("a="))->user_id(), "bob");
    EXPECT_EQ(*store_.count(), 1u);
}

TEST_F(memory_store_test, remove_and_remove_absent_succeed) {
    ASSERT_TRUE(store_.save(make_record("a=")));
    EXPECT_TRUE(store_.remove("a="));
    EXPECT_FALSE(*store_.get("a="));
    EXPECT_TRUE(store_.remove("a="));
    EXPECT_TRUE(store_.remove("never="));
    EXPECT_EQ(*store_.count(), 0u);
}

TEST_F(memory_store_test, empty_connection_id_is_invalid) {
    const auto save = store_.save(make_record(""));
    ASSERT_FALSE(save);
    EXPECT_EQ(save.error().code, lift::errc::invalid_argument);
    EXPECT_EQ(store_.get("").error().code, lift::errc::invalid_argument);
    EXPECT_EQ(store_.remove("").error().code, lift::errc::invalid_argument);
    EXPECT_EQ(*store_.count(), 0u);
}

TEST_F(memory_store_test, lists_by_user_tenant_and_all) {
    ASSERT_TRUE(store_.save(make_record("a=", "alice", "acme")));
    ASSERT_TRUE(store_.save(make_record("b=", "bob", "acme")));
    ASSERT_TRUE(store_.save(make_record("c=", "alice", "other")));
    ASSERT_TRUE(store_.save(make_record("d=")));
    EXPECT_EQ(ids_of(*store_.list_by_user("alice")), (std::vector<std::string>{"a=", "c="}));
    EXPECT_EQ(ids_of(*store_.list_by_user("bob")), (std::vector<std::string>{"b="}));
    EXPECT_TRUE(store_.list_by_user("carol")->empty());
    EXPECT_TRUE(store_.list_by_user("")->empty());  // anonymous connections have no user
    EXPECT_EQ(ids_of(*store_.list_by_tenant("acme")), (std::vector<std::string>{"a=", "b="}));
    EXPECT_TRUE(store_.list_by_tenant("")->empty());
    EXPECT_EQ(ids_of(*store_.list_all()), (std::vector<std::string>{"a=", "b=", "c=", "d="}));
    EXPECT_EQ(*store_.count(), 4u);
}

TEST_F(memory_store_test, lists_are_ordered_by_connect_time) {
    auto late = make_record("a=");
    late.connected_at = start_ms + 10;
    ASSERT_TRUE(store_.save(late));
    ASSERT_TRUE(store_.save(make_record("z=")));
    EXPECT_EQ(ids_of(*store_.list_all()), (std::vector<std::string>{"z=", "a="}));
}

TEST_F(memory_store_test, records_expire_at_the_boundary) {
    const std::int64_t expires = start_ms / 1000 + 60;
    ASSERT_TRUE(store_.save(make_record("a=", "alice", "acme", expires)));
    ASSERT_TRUE(store_.save(make_record("forever=", "alice", "acme", 0)));

    clock_.set(expires * 1000 - 1);  // last millisecond alive
    EXPECT_TRUE(*store_.get("a="));
    EXPECT_EQ(store_.list_by_user("alice")->size(), 2u);
    EXPECT_EQ(store_.list_by_tenant("acme")->size(), 2u);
    EXPECT_EQ(store_.list_all()->size(), 2u);
    EXPECT_EQ(*store_.count(), 2u);

    clock_.set(expires * 1000);  // expired from here on
    EXPECT_FALSE(*store_.get("a="));
    EXPECT_EQ(ids_of(*store_.list_by_user("alice")), std::vector<std::string>{"forever="});
    EXPECT_EQ(ids_of(*store_.list_by_tenant("acme")), std::vector<std::string>{"forever="});
    EXPECT_EQ(ids_of(*store_.list_all()), std::vector<std::string>{"forever="});
    EXPECT_EQ(*store_.count(), 1u);

    // Dropped, not just hidden: turning the clock back does not revive it.
    clock_.set(start_ms);
    EXPECT_FALSE(*store_.get("a="));
    EXPECT_EQ(*store_.count(), 1u);
}

TEST_F(memory_store_test, each_read_hides_expired_records) {
    const std::int64_t expires = start_ms / 1000 + 1;
    auto fresh = [&] {
        ASSERT_TRUE(store_.save(make_record("a=", "u", "t", expires)));
        clock_.set(expires * 1000 + 5);
    };
    fresh();
    EXPECT_FALSE(*store_.get("a="));
    clock_.set(start_ms);
    fresh();
    EXPECT_TRUE(store_.list_by_user("u")->empty());
    clock_.set(start_ms);
    fresh();
    EXPECT_TRUE(store_.list_by_tenant("t")->empty());
    clock_.set(start_ms);
    fresh();
    EXPECT_TRUE(store_.list_all()->empty());
    clock_.set(start_ms);
    fresh();
    EXPECT_EQ(*store_.count(), 0u);
}

TEST_F(memory_store_test, far_future_expiry_does_not_overflow) {
    ASSERT_TRUE(store_.save(make_record("a=", "", "", std::numeric_limits<std::int64_t>::max())));
    EXPECT_TRUE(*store_.get("a="));
}

TEST_F(memory_store_test, concurrent_use_is_safe) {
    constexpr int threads = 4;
    constexpr int per_thread = 200;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([this, t] {
            for (int i = 0; i < per_thread; ++i) {
                const auto id = std::to_string(t) + "-" + std::to_string(i) + "=";
                EXPECT_TRUE(store_.save(make_record(id, "u" + std::to_string(t))));
                EXPECT_TRUE(*store_.get(id));
                (void)store_.list_by_user("u0");
                (void)store_.count();
                if (i % 2 == 0) {
                    EXPECT_TRUE(store_.remove(id));
                }
            }
        });
    }
    for (auto& w : workers) {
        w.join();
    }
    EXPECT_EQ(*store_.count(), static_cast<std::size_t>(threads * per_thread / 2));
    EXPECT_EQ(store_.list_by_user("u1")->size(), static_cast<std::size_t>(per_thread / 2));
}

}  // namespace
