// The DynamoDB client against a real moto_server (started by the test on a free loopback port)
// over the real http_client.
#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <lift/aws/dynamodb.hpp>
#include <lift/aws/error.hpp>
#include <lift/aws/http.hpp>
#include <lift/aws/retry.hpp>
#include <lift/core/clock.hpp>
#include <lift/core/error.hpp>

#include "aws_servers.hpp"

// Designated initializers leave the other members at their defaults on purpose.

namespace {

namespace aws = lift::aws;
namespace attr = lift::aws::attr;

// Counts requests on their way to the real transport.
class counting_transport final : public aws::http_transport {
public:
    explicit counting_transport(aws::http_transport& inner) : inner_(inner) {}

    lift::result<aws::http_response> send(const aws::endpoint& to,
                                          const aws::http_request& request,
                                          std::chrono::steady_clock::time_point deadline) override {
        ++count_;
        return inner_.send(to, request, deadline);
    }

    [[nodiscard]] int count() const { return count_.load(); }

private:
    aws::http_transport& inner_;
    std::atomic<int> count_{0};
};

class moto : public ::testing::Test {
protected:
    static void SetUpTestSuite() { server_ = lift::test::start_moto_server(problem_); }

    static void TearDownTestSuite() { server_.reset(); }

    void SetUp() override {
        ASSERT_TRUE(server_) << problem_;
        auto http = aws::http_client::create({});
        ASSERT_TRUE(http) << http.error().message;
        http_ = std::move(*http);
        counter_ = std::make_unique<counting_transport>(*http_);
        aws::dynamodb_config config;
        config.region = "us-east-1";
        config.credentials = {"testing", "testing", ""};
        auto ep = aws::parse_endpoint(server_->endpoint());
        ASSERT_TRUE(ep) << ep.error().message;
        config.endpoint_override = *ep;
        client_ = std::make_unique<aws::dynamodb_client>(*counter_, config);
    }

    // A table with a (pk, sk) key and two GSIs, waited on until ACTIVE.
    void create_table(const std::string& name) {
        auto created = client_->create_table(
            {.table = name,
             .keys = {"pk", "sk"},
             .indexes = {{"by_room", {"room", "sk"}}, {"by_user", {"user", ""}}}});
        ASSERT_TRUE(created) << created.error().message;
        EXPECT_EQ(created->name, name);
        for (int i = 0; i < 100; ++i) {
            auto d = client_->describe_table(name);
            ASSERT_TRUE(d) << d.error().message;
            if (d->status == "ACTIVE") {
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        FAIL() << "table " << name << " did not become ACTIVE";
    }

    static inline std::unique_ptr<lift::test::server_process> server_;
    static inline std::string problem_;
    std::unique_ptr<aws::http_client> http_;
    std::unique_ptr<counting_transport> counter_;
    std::unique_ptr<aws::dynamodb_client> client_;
};

TEST_F(moto, create_and_describe_table_with_two_indexes) {
    create_table("t_describe");
    auto d = client_->describe_table("t_describe");
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->name, "t_describe");
    EXPECT_EQ(d->status, "ACTIVE");
    EXPECT_EQ(d->billing_mode, "PAY_PER_REQUEST");
    EXPECT_EQ(d->keys.partition_key, "pk");
    EXPECT_EQ(d->keys.sort_key, "sk");
    ASSERT_EQ(d->indexes.size(), 2U);
    std::set<std::string> names;
    for (const auto& idx : d->indexes) {
        names.insert(idx.name);
        if (idx.name == "by_room") {
            EXPECT_EQ(idx.keys.partition_key, "room");
            EXPECT_EQ(idx.keys.sort_key, "sk");
        } else {
            EXPECT_EQ(idx.keys.partition_key, "user");
            EXPECT_EQ(idx.keys.sort_key, "");
        }
    }
    EXPECT_EQ(names, (std::set<std::string>{"by_room", "by_user"}));

    // Creating it again and describing a missing table are typed errors.
    auto again = client_->create_table({.table = "t_describe", .keys = {"pk", ""}});
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, aws::errc::resource_in_use) << again.error().message;
    auto missing = client_->describe_table("no_such_table");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, aws::errc::resource_not_found) << missing.error().message;
    EXPECT_TRUE(missing.error().code == lift::condition::not_found);
}

TEST_F(moto, put_get_update_delete_and_conditional_put) {
    create_table("t_items");
    const aws::attribute_map key{{"pk", attr::s("CONN#1")}, {"sk", attr::s("META")}};
    aws::attribute_map item = key;
    item["room"] = attr::s("lobby");
    item["n"] = attr::n(41);
    item["bin"] = attr::b(std::string("\0\x01\xff", 3));
    item["tags"] = attr::ss({"a", "b"});
    item["doc"] = attr::m({{"list", attr::l({attr::boolean(true), attr::null(), attr::n(-3)})},
                           {"s", attr::s("x y")}});
    auto put = client_->put_item({.table = "t_items", .item = item});
    ASSERT_TRUE(put) << put.error().message;
    EXPECT_TRUE(put->empty());

    auto got = client_->get_item({.table = "t_items", .key = key, .consistent_read = true});
    ASSERT_TRUE(got) << got.error().message;
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ(**got, item);

    // A conditional put on an existing key fails with the typed code.
    auto cond = client_->put_item(
        {.table = "t_items", .item = item, .condition = "attribute_not_exists(pk)"});
    ASSERT_FALSE(cond);
    EXPECT_EQ(cond.error().code, aws::errc::conditional_check_failed) << cond.error().message;
    EXPECT_NE(cond.error().message.find("DynamoDB PutItem: ConditionalCheckFailedException"),
              std::string::npos)
        << cond.error().message;

    auto upd =
        client_->update_item({.table = "t_items",
                              .key = key,
                              .update = "SET #n = #n + :one",
                              .condition = "attribute_exists(pk)",
                              .expr = {.names = {{"#n", "n"}}, .values = {{":one", attr::n(1)}}},
                              .return_values = "UPDATED_NEW"});
    ASSERT_TRUE(upd) << upd.error().message;
    EXPECT_EQ(upd->at("n").as_int(), 42);

    // A failed update condition.
    auto upd_fail = client_->update_item(
        {.table = "t_items",
         .key = key,
         .update = "SET #n = :v",
         .condition = "#n = :old",
         .expr = {.names = {{"#n", "n"}}, .values = {{":v", attr::n(0)}, {":old", attr::n(7)}}}});
    ASSERT_FALSE(upd_fail);
    EXPECT_EQ(upd_fail.error().code, aws::errc::conditional_check_failed);

    auto old = client_->delete_item({.table = "t_items", .key = key, .return_old = true});
    ASSERT_TRUE(old) << old.error().message;
    EXPECT_EQ(old->at("n").as_int(), 42);
    auto gone = client_->get_item({.table = "t_items", .key = key});
    ASSERT_TRUE(gone);
    EXPECT_FALSE(gone->has_value());

    // A request DynamoDB rejects: validation, not retried.
    const int before = counter_->count();
    auto invalid = client_->put_item({.table = "t_items", .item = {{"pk", attr::s("only")}}});
    ASSERT_FALSE(invalid);
    EXPECT_EQ(invalid.error().code, aws::errc::validation) << invalid.error().message;
    EXPECT_EQ(counter_->count(), before + 1);
}

TEST_F(moto, query_on_an_index_in_pages_of_two) {
    create_table("t_query");
    for (int i = 0; i < 5; ++i) {
        auto r = client_->put_item({.table = "t_query",
                                    .item = {{"pk", attr::s("CONN#" + std::to_string(i))},
                                             {"sk", attr::s("S" + std::to_string(i))},
                                             {"room", attr::s("lobby")}}});
        ASSERT_TRUE(r) << r.error().message;
    }
    ASSERT_TRUE(client_->put_item(
        {.table = "t_query",
         .item = {{"pk", attr::s("OTHER")}, {"sk", attr::s("S9")}, {"room", attr::s("attic")}}}));
    aws::query_request q{.table = "t_query",
                         .index = "by_room",
                         .key_condition = "room = :r",
                         .expr = {.values = {{":r", attr::s("lobby")}}},
                         .limit = 2};
    auto first = client_->query(q);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->items.size(), 2U);
    EXPECT_FALSE(first->last_evaluated_key.empty());

    const int before = counter_->count();
    auto all = client_->query_all(q);
    ASSERT_TRUE(all) << all.error().message;
    ASSERT_EQ(all->size(), 5U);
    EXPECT_GE(counter_->count() - before, 3);  // 2 + 2 + 1 (+ maybe an empty last page)
    for (std::size_t i = 0; i < all->size(); ++i) {
        EXPECT_EQ(all->at(i).at("sk"), attr::s("S" + std::to_string(i)));  // sorted by sk
    }
    q.forward = false;
    auto reversed = client_->query_all(q);
    ASSERT_TRUE(reversed);
    ASSERT_EQ(reversed->size(), 5U);
    EXPECT_EQ(reversed->front().at("sk"), attr::s("S4"));
}

TEST_F(moto, batch_write_sixty_then_scan_all) {
    create_table("t_batch");
    std::vector<aws::write_request> writes;
    for (int i = 0; i < 60; ++i) {
        aws::write_request w;
        w.put = aws::attribute_map{
            {"pk", attr::s("P" + std::to_string(i))}, {"sk", attr::s("S")}, {"i", attr::n(i)}};
        writes.push_back(std::move(w));
    }
    const int before = counter_->count();
    auto r = client_->batch_write("t_batch", writes);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(counter_->count() - before, 3);  // 25 + 25 + 10
    auto all = client_->scan_all({.table = "t_batch", .limit = 7});
    ASSERT_TRUE(all) << all.error().message;
    ASSERT_EQ(all->size(), 60U);
    std::set<std::int64_t> seen;
    for (const auto& item : *all) {
        seen.insert(item.at("i").as_int().value_or(-1));
    }
    EXPECT_EQ(seen.size(), 60U);
    EXPECT_EQ(*seen.begin(), 0);
    EXPECT_EQ(*seen.rbegin(), 59);

    // Deletes through batch_write too.
    std::vector<aws::write_request> deletes;
    for (int i = 0; i < 30; ++i) {
        aws::write_request w;
        w.remove =
            aws::attribute_map{{"pk", attr::s("P" + std::to_string(i))}, {"sk", attr::s("S")}};
        deletes.push_back(std::move(w));
    }
    ASSERT_TRUE(client_->batch_write("t_batch", deletes));
    auto rest = client_->scan_all({.table = "t_batch"});
    ASSERT_TRUE(rest);
    EXPECT_EQ(rest->size(), 30U);
}

TEST_F(moto, time_to_live_enable_and_describe) {
    create_table("t_ttl");
    auto before = client_->describe_time_to_live("t_ttl");
    ASSERT_TRUE(before) << before.error().message;
    EXPECT_EQ(*before, "DISABLED");
    auto r = client_->update_time_to_live("t_ttl", "ttl", true);
    ASSERT_TRUE(r) << r.error().message;
    auto after = client_->describe_time_to_live("t_ttl");
    ASSERT_TRUE(after) << after.error().message;
    EXPECT_TRUE(*after == "ENABLED" || *after == "ENABLING") << *after;
}

}  // namespace
