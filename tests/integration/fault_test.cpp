// The AWS clients under injected faults: a loopback proxy (tests/support/fault_proxy.py) sits
// between our clients and real servers (DynamoDB on moto_server, @connections on our gateway)
// and answers with throttling, 5xx, UnprocessedItems, 410 and expired-signature errors at set
// rates. The standard-mode retries must make >= 99% of operations succeed within 3 attempts,
// the rest must surface as typed errors, nothing may be dropped silently, and every 410 must
// remove exactly that connection from the store without a retry.

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <lift/aws/dynamodb.hpp>
#include <lift/aws/error.hpp>
#include <lift/aws/http.hpp>
#include <lift/aws/management_api.hpp>
#include <lift/aws/retry.hpp>
#include <lift/core/app.hpp>
#include <lift/core/memory_store.hpp>
#include <lift/gateway/gateway.hpp>

#include "aws_servers.hpp"
#include "ws_test_client.hpp"

namespace {

namespace json = boost::json;
using lift::aws::attr::s;
using namespace std::chrono_literals;

// Starts the fault proxy in front of `upstream` with extra flags.
std::unique_ptr<lift::test::server_process> start_proxy(const std::string& upstream,
                                                        std::vector<std::string> flags,
                                                        std::string& why) {
    std::vector<std::string> argv{"/usr/bin/python3", LIFT_FAULT_PROXY, "--port",        "{port}",
                                  "--upstream",       upstream,         "--max-seconds", "300"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    return lift::test::server_process::start("fault_proxy", argv, why);
}

// GET /__proxy/stats of the proxy.
json::object proxy_stats(lift::aws::http_transport& http, const lift::aws::endpoint& proxy) {
    auto r =
        http.send(proxy, {.method = "GET", .target = "/__proxy/stats", .headers = {}, .body = {}});
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    if (!r) {
        return {};
    }
    return json::parse(r->body).as_object();
}

std::int64_t injected(const json::object& stats, const char* kind) {
    return stats.at("injected").as_object().at(kind).as_int64();
}

bool is_typed_retryable(const lift::error& e) {
    return e.code.category() == lift::aws::aws_category() &&
           (e.code == lift::condition::throttled || e.code == lift::condition::retryable);
}

lift::aws::credentials test_credentials() {
    return {.access_key_id = "AKIDFAULTTEST", .secret_access_key = "secret", .session_token = {}};
}

class fault_test : public ::testing::Test {
protected:
    void SetUp() override {
        auto client = lift::aws::http_client::create({});
        ASSERT_TRUE(client) << client.error().message;
        http_ = std::move(*client);
    }

    std::unique_ptr<lift::aws::http_client> http_;
};

// DynamoDB operations through throttling (8%), 5xx (4%) and UnprocessedItems (30% of batches).
TEST_F(fault_test, dynamodb_operations_succeed_or_fail_typed_and_nothing_is_dropped) {
    std::string why;
    auto moto = lift::test::start_moto_server(why);
    ASSERT_TRUE(moto) << why;
    auto proxy = start_proxy(moto->endpoint(),
                             {"--seed", "11", "--throttle-rate", "0.08", "--error-rate", "0.04",
                              "--unprocessed-rate", "0.3"},
                             why);
    ASSERT_TRUE(proxy) << why;

    lift::aws::dynamodb_config direct_config{
        .region = "us-east-1", .endpoint_override = {}, .credentials = test_credentials()};
    direct_config.endpoint_override = lift::aws::parse_endpoint(moto->endpoint()).value();
    lift::aws::dynamodb_client direct(*http_, direct_config);
    auto faulty_config = direct_config;
    faulty_config.endpoint_override = lift::aws::parse_endpoint(proxy->endpoint()).value();
    lift::aws::dynamodb_client faulty(*http_, faulty_config);

    const std::string table = "faults";
    auto created = direct.create_table(
        {.table = table, .keys = {.partition_key = "pk", .sort_key = {}}, .indexes = {}});
    ASSERT_TRUE(created) << created.error().message;

    constexpr int puts = 600;
    constexpr int gets = 200;
    int ok = 0;
    int typed_failures = 0;
    std::set<std::string> written;
    for (int i = 0; i < puts; ++i) {
        const std::string pk = "put-" + std::to_string(i);
        auto r = faulty.put_item({.table = table,
                                  .item = {{"pk", s(pk)}, {"n", lift::aws::attr::n(i)}},
                                  .condition = {},
                                  .expr = {},
                                  .return_old = false});
        if (r) {
            ++ok;
            written.insert(pk);
        } else {
            ASSERT_TRUE(is_typed_retryable(r.error())) << r.error().what();
            ++typed_failures;
        }
    }
    for (int i = 0; i < gets; ++i) {
        const std::string pk = "put-" + std::to_string(i);
        auto r =
            faulty.get_item({.table = table, .key = {{"pk", s(pk)}}, .consistent_read = false});
        if (r) {
            ++ok;
            EXPECT_EQ(r->has_value(), written.count(pk) == 1) << pk;
        } else {
            ASSERT_TRUE(is_typed_retryable(r.error())) << r.error().what();
            ++typed_failures;
        }
    }
    // 400 items in 16 BatchWriteItem chunks, each of which may come back partly unprocessed.
    std::vector<lift::aws::write_request> batch;
    for (int i = 0; i < 400; ++i) {
        batch.push_back({.put = lift::aws::attribute_map{{"pk", s("batch-" + std::to_string(i))}},
                         .remove = {}});
    }
    auto batched = faulty.batch_write(table, batch);
    if (!batched) {
        EXPECT_TRUE(batched.error().code == lift::condition::throttled ||
                    batched.error().code == lift::condition::retryable)
            << batched.error().what();
    }

    const int operations = puts + gets;
    EXPECT_EQ(ok + typed_failures, operations);
    EXPECT_GE(ok * 100, operations * 99) << typed_failures << " of " << operations << " failed";

    // Nothing dropped: every acknowledged write is in the table (read directly, no proxy), and
    // a successful batch wrote all 400.
    auto all = direct.scan_all({.table = table});
    ASSERT_TRUE(all) << all.error().message;
    std::set<std::string> stored;
    for (const auto& item : *all) {
        stored.insert(*item.at("pk").as_string());
    }
    for (const auto& pk : written) {
        EXPECT_EQ(stored.count(pk), 1U) << pk << " acknowledged but not stored";
    }
    if (batched) {
        for (int i = 0; i < 400; ++i) {
            EXPECT_EQ(stored.count("batch-" + std::to_string(i)), 1U) << i;
        }
    }

    // The faults really happened, and no request was sent more than 3 times.
    const auto stats = proxy_stats(*http_, *lift::aws::parse_endpoint(proxy->endpoint()));
    EXPECT_GT(injected(stats, "throughput"), 0);
    EXPECT_GT(injected(stats, "throttling"), 0);
    EXPECT_GT(injected(stats, "500") + injected(stats, "503"), 0);
    EXPECT_GT(injected(stats, "unprocessed"), 0);
    for (const auto& [key, attempts] : stats.at("attempts").as_object()) {
        EXPECT_LE(attempts.as_int64(), 3) << key;
    }
}

// A clock-skew rejection is a typed auth error with AWS's message, and is not retried.
TEST_F(fault_test, expired_signature_is_a_typed_error_and_not_retried) {
    std::string why;
    auto moto = lift::test::start_moto_server(why);
    ASSERT_TRUE(moto) << why;
    auto proxy = start_proxy(moto->endpoint(), {"--signature-expired"}, why);
    ASSERT_TRUE(proxy) << why;
    lift::aws::dynamodb_config config{
        .region = "us-east-1", .endpoint_override = {}, .credentials = test_credentials()};
    config.endpoint_override = lift::aws::parse_endpoint(proxy->endpoint()).value();
    lift::aws::dynamodb_client faulty(*http_, config);
    auto r = faulty.get_item({.table = "t", .key = {{"pk", s("a")}}, .consistent_read = false});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, lift::aws::errc::invalid_signature);
    EXPECT_EQ(r.error().code, lift::condition::auth);
    EXPECT_NE(r.error().message.find("Signature expired"), std::string::npos) << r.error().message;
    const auto stats = proxy_stats(*http_, *lift::aws::parse_endpoint(proxy->endpoint()));
    EXPECT_EQ(stats.at("requests").as_int64(), 1);
}

// post_many through 429s, 5xx and 410s in front of our gateway: gone ids are pruned from the
// store exactly once each and never retried; everyone else gets the message exactly once.
TEST_F(fault_test, post_many_prunes_exactly_the_gone_connections) {
    lift::app app;
    auto owned_store = std::make_unique<lift::memory_store>();
    auto& store = *owned_store;
    app.use_store(std::move(owned_store));
    app.on_default([](lift::context&) {});
    lift::gateway::options opts;
    opts.port = 0;
    opts.level = lift::log_level::error;
    auto gw = lift::gateway::gateway::start(app, opts);
    ASSERT_TRUE(gw) << gw.error().message;
    const std::string upstream = "http://127.0.0.1:" + std::to_string((*gw)->port());

    std::string why;
    auto proxy = start_proxy(
        upstream,
        {"--seed", "5", "--throttle-rate", "0.06", "--error-rate", "0.03", "--gone-rate", "0.1"},
        why);
    ASSERT_TRUE(proxy) << why;

    constexpr int clients = 150;
    std::vector<std::unique_ptr<lift::test::ws_client>> sockets;
    for (int i = 0; i < clients; ++i) {
        sockets.push_back(std::make_unique<lift::test::ws_client>((*gw)->port()));
        ASSERT_TRUE(sockets.back()->open()) << i;
    }
    std::vector<std::string> ids;
    for (int attempt = 0; attempt < 500 && ids.size() < clients; ++attempt) {
        auto all = store.list_all();
        ASSERT_TRUE(all);
        ids.clear();
        for (const auto& rec : *all) {
            ids.push_back(rec.connection_id);
        }
        if (ids.size() < clients) {
            std::this_thread::sleep_for(10ms);
        }
    }
    ASSERT_EQ(ids.size(), std::size_t{clients});

    std::map<std::string, int> pruned;
    lift::aws::management_config config;
    config.target = lift::aws::parse_endpoint(proxy->endpoint() + "/dev").value();
    config.credentials = test_credentials();
    config.max_in_flight = 16;
    auto prune = lift::aws::prune_gone_from(store);
    config.on_gone = [&](std::string_view id) {
        ++pruned[std::string{id}];
        prune(id);
    };
    lift::aws::management_client api(*http_, config);
    const auto results = api.post_many(ids, R"({"hello":"all"})");
    ASSERT_EQ(results.size(), ids.size());

    const auto stats = proxy_stats(*http_, *lift::aws::parse_endpoint(proxy->endpoint()));
    const auto& gone_ids = stats.at("gone_ids").as_object();
    EXPECT_GT(gone_ids.size(), 0U);
    EXPECT_GT(injected(stats, "throttling"), 0);
    int delivered = 0;
    int not_gone = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const bool gone = gone_ids.contains(ids[i]);
        if (gone) {
            ASSERT_FALSE(results[i]) << ids[i];
            EXPECT_EQ(results[i].error().code, lift::condition::gone);
            EXPECT_EQ(gone_ids.at(ids[i]).as_int64(), 1) << "410 retried for " << ids[i];
            EXPECT_EQ(pruned[ids[i]], 1) << ids[i];
            auto rec = store.get(ids[i]);
            ASSERT_TRUE(rec);
            EXPECT_FALSE(rec->has_value()) << ids[i] << " still in the store";
        } else {
            ++not_gone;
            EXPECT_EQ(pruned.count(ids[i]), 0U) << ids[i];
            auto rec = store.get(ids[i]);
            ASSERT_TRUE(rec);
            EXPECT_TRUE(rec->has_value()) << ids[i] << " removed but not gone";
            if (results[i]) {
                ++delivered;
            } else {
                EXPECT_TRUE(results[i].error().code == lift::condition::throttled ||
                            results[i].error().code == lift::condition::retryable)
                    << results[i].error().what();
            }
        }
    }
    EXPECT_EQ(pruned.size(), gone_ids.size());
    EXPECT_GE(delivered * 100, not_gone * 99) << delivered << " of " << not_gone;

    // Every socket whose post succeeded got the message exactly once; gone ones got nothing
    // (the proxy never forwarded them).
    int received = 0;
    std::vector<bool> has(sockets.size(), false);
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (received < delivered && std::chrono::steady_clock::now() < until) {
        for (std::size_t i = 0; i < sockets.size(); ++i) {
            if (!has[i]) {
                if (auto text = sockets[i]->read_text(2)) {
                    EXPECT_EQ(*text, R"({"hello":"all"})");
                    has[i] = true;
                    ++received;
                }
            }
        }
    }
    EXPECT_EQ(received, delivered);
    for (auto& sock : sockets) {  // nothing more: no duplicates, nothing for gone ids
        EXPECT_FALSE(sock->read_text(5).has_value());
    }
    (*gw)->stop();
}

}  // namespace
