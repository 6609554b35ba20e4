// dynamodb_store and create_connection_table beyond the shared contract: table creation and
// its checks, the default TTL, the raw item layout as stored, and typed backend errors.
// moto_server and dynalite are started once for the suite on free loopback ports.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include <lift/aws/dynamodb.hpp>
#include <lift/aws/dynamodb_store.hpp>
#include <lift/aws/error.hpp>
#include <lift/aws/http.hpp>
#include <lift/core/error.hpp>

#include "aws_servers.hpp"
#include "fake_clock.hpp"
#include <unistd.h>

namespace {

namespace aws = lift::aws;

constexpr std::int64_t start_ms = 1'700'000'000'123;

struct client_set {
    std::unique_ptr<aws::http_client> http;
    std::unique_ptr<aws::dynamodb_client> ddb;
};

client_set make_client(const lift::test::server_process& server) {
    client_set c;
    c.http = aws::http_client::create({}).value();
    aws::dynamodb_config config;
    config.endpoint_override = aws::parse_endpoint(server.endpoint()).value();
    config.credentials.access_key_id = "AKIDEXAMPLE";
    config.credentials.secret_access_key = "secret";
    c.ddb = std::make_unique<aws::dynamodb_client>(*c.http, config);
    return c;
}

lift::connection_record record(std::string id, std::int64_t connected_at = 0) {
    lift::connection_record r;
    r.connection_id = std::move(id);
    r.connected_at = connected_at;
    return r;
}

aws::connection_table_options table_options(std::chrono::milliseconds poll,
                                            bool require_ttl,
                                            std::vector<std::string>* steps) {
    aws::connection_table_options o;
    o.poll_interval = poll;
    o.require_ttl = require_ttl;
    if (steps) {
        o.progress = [steps](std::string_view s) {
            steps->emplace_back(s);
        };
    }
    return o;
}

std::string fresh_table(const char* prefix) {
    static std::atomic<int> serial{0};
    return std::string{prefix} + "-" + std::to_string(::getpid()) + "-" + std::to_string(++serial);
}

class dynamodb_store_test : public testing::Test {
public:
    static void SetUpTestSuite() {
        moto_ = lift::test::start_moto_server(moto_error_);
        dynalite_ = lift::test::start_dynalite(dynalite_error_, 300);
    }

    static void TearDownTestSuite() {
        moto_.reset();
        dynalite_.reset();
    }

protected:
    static inline std::unique_ptr<lift::test::server_process> moto_;
    static inline std::unique_ptr<lift::test::server_process> dynalite_;
    static inline std::string moto_error_;
    static inline std::string dynalite_error_;

    lift::test::fake_clock clock_{start_ms};
};

TEST_F(dynamodb_store_test, create_table_on_moto_makes_the_layout_and_enables_ttl) {
    ASSERT_TRUE(moto_) << moto_error_;
    auto c = make_client(*moto_);
    const auto table = fresh_table("create");
    std::vector<std::string> steps;
    auto r = aws::create_connection_table(
        *c.ddb, table, table_options(std::chrono::milliseconds{500}, true, &steps));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->created);
    EXPECT_TRUE(r->ttl_changed);
    EXPECT_EQ(r->ttl_status, "ENABLED");
    EXPECT_EQ(r->description.status, "ACTIVE");
    EXPECT_EQ(r->description.billing_mode, "PAY_PER_REQUEST");
    EXPECT_EQ(r->description.keys.partition_key, "pk");
    EXPECT_EQ(r->description.keys.sort_key, "sk");
    ASSERT_EQ(r->description.indexes.size(), 2u);
    EXPECT_FALSE(steps.empty());
    auto ttl = c.ddb->describe_time_to_live(table);
    ASSERT_TRUE(ttl) << ttl.error().message;
    EXPECT_EQ(*ttl, "ENABLED");

    // Again: reported as existing, nothing changed, still fine.
    auto again = aws::create_connection_table(*c.ddb, table);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_FALSE(again->created);
    EXPECT_FALSE(again->ttl_changed);
    EXPECT_EQ(again->ttl_status, "ENABLED");
}

TEST_F(dynamodb_store_test, existing_table_with_another_layout_is_rejected) {
    ASSERT_TRUE(moto_) << moto_error_;
    auto c = make_client(*moto_);
    const auto table = fresh_table("other");
    aws::create_table_request other;
    other.table = table;
    other.keys.partition_key = "id";
    auto made = c.ddb->create_table(other);
    ASSERT_TRUE(made) << made.error().message;
    auto r = aws::create_connection_table(*c.ddb, table);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, aws::errc::resource_in_use);
    EXPECT_NE(r.error().message.find("(pk, sk)"), std::string::npos) << r.error().message;
}

TEST_F(dynamodb_store_test, dynalite_waits_for_active_and_reports_missing_ttl_support) {
    ASSERT_TRUE(dynalite_) << dynalite_error_;
    auto c = make_client(*dynalite_);
    const auto table = fresh_table("dl");
    std::vector<std::string> steps;
    auto r = aws::create_connection_table(
        *c.ddb, table, table_options(std::chrono::milliseconds{50}, false, &steps));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->created);
    EXPECT_EQ(r->description.status, "ACTIVE");
    EXPECT_EQ(r->ttl_status, "UNSUPPORTED");
    // dynalite keeps new tables CREATING for 300 ms: the wait saw both states.
    const auto saw = [&](std::string_view what) {
        return std::any_of(steps.begin(), steps.end(),
                           [&](const std::string& s) { return s.find(what) != std::string::npos; });
    };
    EXPECT_TRUE(saw("CREATING"));
    EXPECT_TRUE(saw("ACTIVE"));

    // With require_ttl (the default) the same endpoint is an error that says why.
    auto strict = aws::create_connection_table(*c.ddb, table);
    ASSERT_FALSE(strict);
    EXPECT_NE(strict.error().message.find("TTL"), std::string::npos) << strict.error().message;
}

TEST_F(dynamodb_store_test, default_ttl_is_connect_time_plus_ttl_seconds) {
    ASSERT_TRUE(moto_) << moto_error_;
    auto c = make_client(*moto_);
    const auto table = fresh_table("ttl");
    ASSERT_TRUE(aws::create_connection_table(*c.ddb, table));
    aws::dynamodb_store_options options;
    options.ttl_seconds = 600;
    aws::dynamodb_store store{*c.ddb, table, clock_, options};

    ASSERT_TRUE(store.save(record("t1=", start_ms - 5'000)));
    ASSERT_TRUE(store.save(record("t2=")));

    const std::int64_t want = (start_ms - 5'000) / 1000 + 600;
    auto got = store.get("t1=");
    ASSERT_TRUE(got && *got);
    EXPECT_EQ((*got)->expires_at, want);
    auto got2 = store.get("t2=");
    ASSERT_TRUE(got2 && *got2);
    EXPECT_EQ((*got2)->expires_at, start_ms / 1000 + 600);  // from the clock

    aws::get_item_request get;
    get.table = table;
    get.key = {{"pk", aws::attr::s("CONN#t1=")}, {"sk", aws::attr::s("META")}};
    auto raw = c.ddb->get_item(get);
    ASSERT_TRUE(raw && *raw);
    EXPECT_EQ((**raw).at("ttl"), aws::attr::n(want));
    EXPECT_EQ((**raw).count("gsi1pk"), 0u);  // anonymous: not in the user index
    EXPECT_EQ((**raw).count("gsi2pk"), 0u);

    clock_.set(want * 1000);
    auto gone = store.get("t1=");
    ASSERT_TRUE(gone);
    EXPECT_FALSE(*gone);
    EXPECT_EQ(*store.count(), 1u);
}

TEST_F(dynamodb_store_test, backend_errors_are_typed_and_say_what_failed) {
    ASSERT_TRUE(moto_) << moto_error_;
    auto c = make_client(*moto_);
    aws::dynamodb_store store{*c.ddb, "no-such-table", clock_};
    auto r = store.save(record("x="));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, aws::errc::resource_not_found);
    EXPECT_EQ(r.error().code, lift::condition::not_found);
    EXPECT_NE(r.error().message.find("save x="), std::string::npos) << r.error().message;
    auto l = store.list_by_user("alice");
    ASSERT_FALSE(l);
    EXPECT_EQ(l.error().code, aws::errc::resource_not_found);
}

TEST_F(dynamodb_store_test, foreign_items_in_the_table_fail_list_all_clearly) {
    ASSERT_TRUE(moto_) << moto_error_;
    auto c = make_client(*moto_);
    const auto table = fresh_table("foreign");
    ASSERT_TRUE(aws::create_connection_table(*c.ddb, table));
    // An item with sk META but a pk that is not a connection key.
    aws::put_item_request put_req;
    put_req.table = table;
    put_req.item = {{"pk", aws::attr::s("ROOM#1")},
                    {"sk", aws::attr::s("META")},
                    {"ttl", aws::attr::n(start_ms / 1000 + 60)}};
    auto put = c.ddb->put_item(put_req);
    ASSERT_TRUE(put) << put.error().message;
    aws::dynamodb_store store{*c.ddb, table, clock_};
    auto all = store.list_all();
    ASSERT_FALSE(all);
    EXPECT_EQ(all.error().code, aws::errc::bad_response);
    EXPECT_NE(all.error().message.find("ROOM#1"), std::string::npos) << all.error().message;
}

}  // namespace
