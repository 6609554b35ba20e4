// The connection_store contract, one typed suite run against every backend: memory_store,
// dynamodb_store on moto_server and dynamodb_store on dynalite. The DynamoDB servers are
// started once per backend (SetUpTestSuite) on free loopback ports and stopped by pid; each
// test gets a fresh table. A missing server fails the tests with a message saying how to
// install it.
#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <lift/aws/dynamodb.hpp>
#include <lift/aws/dynamodb_store.hpp>
#include <lift/aws/error.hpp>
#include <lift/aws/http.hpp>
#include <lift/core/error.hpp>
#include <lift/core/memory_store.hpp>

#include "aws_servers.hpp"
#include "fake_clock.hpp"
#include <unistd.h>

namespace {

constexpr std::int64_t start_ms = 1'700'000'000'000;
constexpr std::int64_t start_s = start_ms / 1000;
constexpr int test_page_limit = 25;

// Counts the Query and Scan requests that pass through, to prove paging happened.
class counting_transport final : public lift::aws::http_transport {
public:
    explicit counting_transport(lift::aws::http_transport& next) : next_(next) {}

    lift::result<lift::aws::http_response> send(
        const lift::aws::endpoint& to,
        const lift::aws::http_request& request,
        std::chrono::steady_clock::time_point deadline) override {
        for (const auto& h : request.headers) {
            if (h.name == "X-Amz-Target" || h.name == "x-amz-target") {
                if (h.value.ends_with(".Query")) {
                    ++queries;
                } else if (h.value.ends_with(".Scan")) {
                    ++scans;
                }
            }
        }
        return next_.send(to, request, deadline);
    }

    std::atomic<int> queries{0};
    std::atomic<int> scans{0};

private:
    lift::aws::http_transport& next_;
};

// --- backends ----------------------------------------------------------------------------

struct memory_backend {
    static constexpr const char* name = "memory";

    static void start_servers() {}

    static void stop_servers() {}

    // Empty when the backend is usable.
    std::string setup_error() const { return {}; }

    std::unique_ptr<lift::connection_store> make_store(const lift::clock& clock) {
        return std::make_unique<lift::memory_store>(clock);
    }

    // Query requests sent so far, for backends that page.
    std::optional<int> queries() const { return std::nullopt; }
};

// dynamodb_store on a server started by `Start`; one server per suite, one table per test.
template <class Server>
struct dynamodb_backend {
    static inline std::unique_ptr<lift::test::server_process> server;
    static inline std::string server_error;

    static void start_servers() {
        server_error.clear();
        server = Server::start(server_error);
    }

    static void stop_servers() { server.reset(); }

    std::string setup_error() const { return server ? std::string{} : server_error; }

    std::unique_ptr<lift::connection_store> make_store(const lift::clock& clock) {
        auto http = lift::aws::http_client::create({});
        if (!http) {
            error_ = "http_client::create: " + http.error().message;
            return nullptr;
        }
        http_ = std::move(*http);
        counter_ = std::make_unique<counting_transport>(*http_);
        lift::aws::dynamodb_config config;
        config.region = "us-east-1";
        config.endpoint_override = lift::aws::parse_endpoint(server->endpoint()).value();
        config.credentials.access_key_id = "AKIDEXAMPLE";
        config.credentials.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        client_ = std::make_unique<lift::aws::dynamodb_client>(*counter_, config);
        static std::atomic<int> serial{0};
        table_ = "contract-" + std::to_string(::getpid()) + "-" + std::to_string(++serial);
        lift::aws::connection_table_options table_options;
        table_options.poll_interval = std::chrono::milliseconds{20};
        table_options.require_ttl = false;  // dynalite has no UpdateTimeToLive
        auto created = lift::aws::create_connection_table(*client_, table_, table_options);
        if (!created) {
            error_ = "create_connection_table " + table_ + ": " + created.error().message;
            return nullptr;
        }
        counter_->queries = 0;
        counter_->scans = 0;
        lift::aws::dynamodb_store_options store_options;
        store_options.page_limit = test_page_limit;
        return std::make_unique<lift::aws::dynamodb_store>(*client_, table_, clock, store_options);
    }

    std::optional<int> queries() const { return counter_->queries.load(); }

    std::string error_;

private:
    std::unique_ptr<lift::aws::http_client> http_;
    std::unique_ptr<counting_transport> counter_;
    std::unique_ptr<lift::aws::dynamodb_client> client_;
    std::string table_;
};

struct moto {
    static constexpr const char* name = "moto_server";

    static std::unique_ptr<lift::test::server_process> start(std::string& e) {
        return lift::test::start_moto_server(e);
    }
};

struct dynalite {
    static constexpr const char* name = "dynalite";

    static std::unique_ptr<lift::test::server_process> start(std::string& e) {
        return lift::test::start_dynalite(e, 20);
    }
};

using moto_backend = dynamodb_backend<moto>;
using dynalite_backend = dynamodb_backend<dynalite>;

// --- fixture ------------------------------------------------------------------------------

template <class Backend>
class connection_store_contract : public testing::Test {
public:
    static void SetUpTestSuite() { Backend::start_servers(); }

    static void TearDownTestSuite() { Backend::stop_servers(); }

protected:
    void SetUp() override {
        const auto why = backend_.setup_error();
        ASSERT_TRUE(why.empty()) << why;
        store_ = backend_.make_store(clock_);
        if constexpr (!std::is_same_v<Backend, memory_backend>) {
            ASSERT_TRUE(store_) << backend_.error_;
        }
        ASSERT_TRUE(store_);
    }

    lift::connection_store& store() { return *store_; }

    lift::test::fake_clock clock_{start_ms};
    Backend backend_;
    std::unique_ptr<lift::connection_store> store_;
};

class backend_names {
public:
    template <class T>
    static std::string GetName(int) {
        if constexpr (std::is_same_v<T, memory_backend>) {
            return "memory";
        } else if constexpr (std::is_same_v<T, moto_backend>) {
            return "moto_server";
        } else {
            return "dynalite";
        }
    }
};

using backends = testing::Types<memory_backend, moto_backend, dynalite_backend>;
TYPED_TEST_SUITE(connection_store_contract, backends, backend_names);

// --- helpers ------------------------------------------------------------------------------

lift::connection_record make_record(std::string id,
                                    std::string user = "",
                                    std::string tenant = "",
                                    std::int64_t expires_at = start_s + 3600,
                                    std::int64_t connected_at = start_ms) {
    lift::connection_record r;
    r.connection_id = std::move(id);
    r.connected_at = connected_at;
    r.expires_at = expires_at;
    r.identity.subject = std::move(user);
    r.identity.tenant = std::move(tenant);
    return r;
}

std::vector<std::string> ids_of(const std::vector<lift::connection_record>& v) {
    std::vector<std::string> ids;
    ids.reserve(v.size());
    for (const auto& r : v) {
        ids.push_back(r.connection_id);
    }
    return ids;
}

// Lists through every read, unwrapping (a failed read fails the test with its message).
template <class R>
auto must(R r) {
    EXPECT_TRUE(r.has_value()) << (r.has_value() ? std::string{} : r.error().message);
    if (!r.has_value()) {
        return std::remove_cvref_t<decltype(*r)>{};
    }
    return std::move(*r);
}

// --- the contract -------------------------------------------------------------------------

TYPED_TEST(connection_store_contract, save_then_get_returns_every_field) {
    auto r = make_record("R1kmxc2VNjMCFIA=", "alice", "acme");
    r.source_ip = "192.0.2.1";
    r.user_agent = "Mozilla/5.0 (X11; Linux x86_64) lift-test";
    r.stage = "prod";
    r.domain_name = "abc123.execute-api.eu-west-1.amazonaws.com";
    r.identity.roles = {"writer", "admin", "reader"};  // order is kept
    r.identity.claims.emplace("email", "alice@example.com");
    r.identity.claims.emplace("level", 7);
    r.identity.claims.emplace("verified", true);
    r.identity.claims.emplace("score", 2.5);
    r.identity.claims.emplace("nothing", nullptr);
    r.identity.claims.emplace("groups", boost::json::array{"g1", "g2"});
    r.identity.claims.emplace("org", boost::json::object{{"id", "o-1"}, {"size", 12}});
    r.metadata = {{"room", "lobby"}, {"name", "Alice A."}, {"flags", "a,b"}};
    ASSERT_TRUE(this->store().save(r));

    auto got = must(this->store().get("R1kmxc2VNjMCFIA="));
    ASSERT_TRUE(got);
    const auto& g = *got;
    EXPECT_EQ(g.connection_id, r.connection_id);
    EXPECT_EQ(g.connected_at, r.connected_at);
    EXPECT_EQ(g.expires_at, r.expires_at);
    EXPECT_EQ(g.source_ip, r.source_ip);
    EXPECT_EQ(g.user_agent, r.user_agent);
    EXPECT_EQ(g.stage, r.stage);
    EXPECT_EQ(g.domain_name, r.domain_name);
    EXPECT_EQ(g.identity.subject, "alice");
    EXPECT_EQ(g.identity.tenant, "acme");
    EXPECT_EQ(g.identity.roles, r.identity.roles);
    EXPECT_EQ(g.identity.claims, r.identity.claims) << boost::json::serialize(g.identity.claims);
    EXPECT_EQ(g.metadata, r.metadata);
}

TYPED_TEST(connection_store_contract, record_with_only_an_id_round_trips) {
    auto r = make_record("minimal=");
    ASSERT_TRUE(this->store().save(r));
    auto got = must(this->store().get("minimal="));
    ASSERT_TRUE(got);
    EXPECT_EQ(got->connection_id, "minimal=");
    EXPECT_EQ(got->connected_at, start_ms);
    EXPECT_TRUE(got->identity.empty());
    EXPECT_TRUE(got->metadata.empty());
    EXPECT_TRUE(got->source_ip.empty());
}

TYPED_TEST(connection_store_contract, absent_record_is_nullopt) {
    auto got = must(this->store().get("nope="));
    EXPECT_FALSE(got);
}

TYPED_TEST(connection_store_contract, save_replaces_the_whole_record) {
    auto first = make_record("a=", "alice", "acme");
    first.metadata = {{"room", "lobby"}};
    ASSERT_TRUE(this->store().save(first));
    auto second = make_record("a=", "bob");
    second.metadata = {{"name", "Bob"}};
    ASSERT_TRUE(this->store().save(second));

    auto got = must(this->store().get("a="));
    ASSERT_TRUE(got);
    EXPECT_EQ(got->user_id(), "bob");
    EXPECT_EQ(got->tenant_id(), "");
    EXPECT_EQ(got->metadata, second.metadata);  // not merged with the first
    EXPECT_EQ(must(this->store().count()), 1u);
    EXPECT_TRUE(must(this->store().list_by_user("alice")).empty());
    EXPECT_TRUE(must(this->store().list_by_tenant("acme")).empty());
    EXPECT_EQ(ids_of(must(this->store().list_by_user("bob"))), std::vector<std::string>{"a="});
}

TYPED_TEST(connection_store_contract, remove_and_remove_absent_succeed) {
    ASSERT_TRUE(this->store().save(make_record("a=", "alice", "acme")));
    ASSERT_TRUE(this->store().remove("a="));
    EXPECT_FALSE(must(this->store().get("a=")));
    EXPECT_TRUE(must(this->store().list_by_user("alice")).empty());
    EXPECT_EQ(must(this->store().count()), 0u);
    EXPECT_TRUE(this->store().remove("a="));
    EXPECT_TRUE(this->store().remove("never-saved="));
    // A removed id can be saved again.
    ASSERT_TRUE(this->store().save(make_record("a=", "alice")));
    EXPECT_TRUE(must(this->store().get("a=")));
}

TYPED_TEST(connection_store_contract, empty_connection_id_is_invalid) {
    const auto save = this->store().save(make_record(""));
    ASSERT_FALSE(save);
    EXPECT_EQ(save.error().code, lift::errc::invalid_argument);
    const auto get = this->store().get("");
    ASSERT_FALSE(get);
    EXPECT_EQ(get.error().code, lift::errc::invalid_argument);
    const auto remove = this->store().remove("");
    ASSERT_FALSE(remove);
    EXPECT_EQ(remove.error().code, lift::errc::invalid_argument);
}

TYPED_TEST(connection_store_contract, update_changes_only_a_live_record) {
    auto& s = this->store();
    auto r = make_record("u=", "alice", "acme", start_s + 60);
    // Absent: nothing to update, and nothing is created.
    const auto absent = s.update(r);
    ASSERT_FALSE(absent);
    EXPECT_EQ(absent.error().code, lift::errc::gone);
    EXPECT_EQ(absent.error().code, lift::condition::gone);
    EXPECT_FALSE(must(s.get("u=")));

    ASSERT_TRUE(s.save(r));
    r.metadata["rooms"] = "lobby,r1";
    ASSERT_TRUE(s.update(r));
    auto got = must(s.get("u="));
    ASSERT_TRUE(got);
    EXPECT_EQ(got->metadata.at("rooms"), "lobby,r1");
    EXPECT_EQ(ids_of(must(s.list_by_user("alice"))), std::vector<std::string>{"u="});

    // A $disconnect removed it: a late update must not bring it back.
    ASSERT_TRUE(s.remove("u="));
    r.metadata["rooms"] = "lobby";
    const auto late = s.update(r);
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code, lift::errc::gone);
    EXPECT_FALSE(must(s.get("u=")));
    EXPECT_EQ(must(s.count()), 0u);

    // An expired record cannot be updated either.
    ASSERT_TRUE(s.save(r));
    this->clock_.set((start_s + 60) * 1000);
    const auto expired = s.update(r);
    ASSERT_FALSE(expired);
    EXPECT_EQ(expired.error().code, lift::errc::gone);

    const auto empty = s.update(make_record(""));
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.error().code, lift::errc::invalid_argument);
}

TYPED_TEST(connection_store_contract, lists_by_user_tenant_and_all) {
    auto& s = this->store();
    ASSERT_TRUE(s.save(make_record("a1=", "alice", "acme")));
    ASSERT_TRUE(s.save(make_record("a2=", "alice", "")));
    ASSERT_TRUE(s.save(make_record("b1=", "bob", "acme")));
    ASSERT_TRUE(s.save(make_record("anon1=", "", "")));
    ASSERT_TRUE(s.save(make_record("anon2=", "", "globex")));

    EXPECT_EQ(ids_of(must(s.list_by_user("alice"))), (std::vector<std::string>{"a1=", "a2="}));
    EXPECT_EQ(ids_of(must(s.list_by_user("bob"))), (std::vector<std::string>{"b1="}));
    EXPECT_TRUE(must(s.list_by_user("carol")).empty());
    EXPECT_TRUE(must(s.list_by_user("")).empty());  // anonymous records are in no user list
    EXPECT_EQ(ids_of(must(s.list_by_tenant("acme"))), (std::vector<std::string>{"a1=", "b1="}));
    EXPECT_EQ(ids_of(must(s.list_by_tenant("globex"))), (std::vector<std::string>{"anon2="}));
    EXPECT_TRUE(must(s.list_by_tenant("")).empty());
    EXPECT_EQ(ids_of(must(s.list_all())),
              (std::vector<std::string>{"a1=", "a2=", "anon1=", "anon2=", "b1="}));
    EXPECT_EQ(must(s.count()), 5u);
}

TYPED_TEST(connection_store_contract, lists_are_ordered_by_connect_time_then_id) {
    auto& s = this->store();
    ASSERT_TRUE(s.save(make_record("z=", "u", "t", start_s + 3600, start_ms - 2000)));
    ASSERT_TRUE(s.save(make_record("y=", "u", "t", start_s + 3600, start_ms)));
    ASSERT_TRUE(s.save(make_record("x=", "u", "t", start_s + 3600, start_ms)));
    ASSERT_TRUE(s.save(make_record("w=", "u", "t", start_s + 3600, start_ms + 5)));
    const std::vector<std::string> want{"z=", "x=", "y=", "w="};
    EXPECT_EQ(ids_of(must(s.list_by_user("u"))), want);
    EXPECT_EQ(ids_of(must(s.list_by_tenant("t"))), want);
    EXPECT_EQ(ids_of(must(s.list_all())), want);
}

TYPED_TEST(connection_store_contract, expired_records_disappear_from_every_read) {
    auto& s = this->store();
    ASSERT_TRUE(s.save(make_record("short=", "alice", "acme", start_s + 60)));
    ASSERT_TRUE(s.save(make_record("long=", "alice", "acme", start_s + 120)));
    EXPECT_EQ(must(s.count()), 2u);

    // One millisecond before expiry both are live...
    this->clock_.set((start_s + 60) * 1000 - 1);
    EXPECT_TRUE(must(s.get("short=")));
    EXPECT_EQ(ids_of(must(s.list_by_user("alice"))), (std::vector<std::string>{"long=", "short="}));
    EXPECT_EQ(must(s.count()), 2u);

    // ...at expires_at the short one is gone from every read.
    this->clock_.set((start_s + 60) * 1000);
    EXPECT_FALSE(must(s.get("short=")));
    EXPECT_TRUE(must(s.get("long=")));
    EXPECT_EQ(ids_of(must(s.list_by_user("alice"))), (std::vector<std::string>{"long="}));
    EXPECT_EQ(ids_of(must(s.list_by_tenant("acme"))), (std::vector<std::string>{"long="}));
    EXPECT_EQ(ids_of(must(s.list_all())), (std::vector<std::string>{"long="}));
    EXPECT_EQ(must(s.count()), 1u);

    this->clock_.advance(60'000);
    EXPECT_FALSE(must(s.get("long=")));
    EXPECT_TRUE(must(s.list_by_user("alice")).empty());
    EXPECT_TRUE(must(s.list_by_tenant("acme")).empty());
    EXPECT_TRUE(must(s.list_all()).empty());
    EXPECT_EQ(must(s.count()), 0u);

    // Saving again with a later expiry brings it back.
    ASSERT_TRUE(s.save(make_record("long=", "alice", "acme", start_s + 3600)));
    EXPECT_TRUE(must(s.get("long=")));
    EXPECT_EQ(must(s.count()), 1u);
}

TYPED_TEST(connection_store_contract, user_and_tenant_lists_read_every_page) {
    auto& s = this->store();
    constexpr int n = 120;
    std::vector<std::string> want;
    for (int i = 0; i < n; ++i) {
        auto id = "page-" + std::to_string(1000 + i) + "=";
        ASSERT_TRUE(s.save(make_record(id, "many", "big")));
        want.push_back(id);
    }
    // Noise on other keys and anonymous records must not leak into the lists.
    ASSERT_TRUE(s.save(make_record("other=", "few", "small")));
    ASSERT_TRUE(s.save(make_record("anon=", "", "")));
    // One expired record of the same user and tenant is filtered on some page.
    ASSERT_TRUE(s.save(make_record("expired=", "many", "big", start_s)));

    const auto before = this->backend_.queries();
    EXPECT_EQ(ids_of(must(s.list_by_user("many"))), want);
    const auto after_user = this->backend_.queries();
    EXPECT_EQ(ids_of(must(s.list_by_tenant("big"))), want);
    const auto after_tenant = this->backend_.queries();
    if (before) {
        // With Limit 25 per page, 121 index entries need at least 5 Query pages each.
        EXPECT_GE(*after_user - *before, (n + 1) / test_page_limit) << "user list pages";
        EXPECT_GE(*after_tenant - *after_user, (n + 1) / test_page_limit) << "tenant list pages";
    }
    EXPECT_EQ(must(s.count()), static_cast<std::size_t>(n + 2));
    EXPECT_EQ(must(s.list_all()).size(), static_cast<std::size_t>(n + 2));
}

}  // namespace
