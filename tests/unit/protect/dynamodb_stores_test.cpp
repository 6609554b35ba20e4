// The DynamoDB stores of lift::protect against a scripted transport: the exact requests they
// send and the paths a real server rarely takes (contention that never ends, malformed items,
// errors). The servers themselves are exercised in tests/integration/protect_dynamodb_test.cpp.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <lift/aws/dynamodb.hpp>
#include <lift/aws/error.hpp>
#include <lift/core/ascii.hpp>
#include <lift/protect/dynamodb_idempotency_store.hpp>
#include <lift/protect/dynamodb_rate_limit_store.hpp>

#include "fake_clock.hpp"
#include "scripted_transport.hpp"

namespace {

namespace aws = lift::aws;
namespace json = boost::json;
using lift::protect::begin_state;

constexpr std::int64_t t0 = 1'700'000'000'000;
constexpr const char* conditional_failed =
    R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"})";

std::string operation(const aws::http_request& r) {
    for (const auto& h : r.headers) {
        if (lift::ascii::iequals(h.name, "X-Amz-Target")) {
            return h.value.substr(h.value.find('.') + 1);
        }
    }
    return {};
}

lift::result<aws::http_response> json_response(int status, std::string body) {
    aws::http_response r;
    r.status = status;
    r.headers.push_back({"Content-Type", "application/x-amz-json-1.0"});
    r.body = std::move(body);
    return r;
}

struct dynamodb_stores : ::testing::Test {
    lift::test::scripted_transport transport;
    lift::test::fake_clock clock{t0};
    lift::test::recording_sleeper sleeper{&clock};
    aws::retry_policy policy{aws::retry_options{.max_attempts = 2}, [] {
                                 return 1.0;
                             }};
    aws::dynamodb_config config = [] {
        aws::dynamodb_config c;
        c.credentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
        return c;
    }();
    aws::dynamodb_client client{transport, config, policy, clock, sleeper};

    std::vector<json::object> bodies(const std::string& op) const {
        std::vector<json::object> out;
        for (const auto& r : transport.requests()) {
            if (operation(r.request) == op) {
                out.push_back(json::parse(r.request.body).as_object());
            }
        }
        return out;
    }
};

TEST_F(dynamodb_stores, new_bucket_is_created_with_attribute_not_exists) {
    transport.push(json_response(200, "{}"));  // GetItem: no item
    transport.push(json_response(200, "{}"));  // UpdateItem
    lift::protect::dynamodb_rate_limit_store store{client, "tbl"};
    auto d = store.take("connection#c1", {.rate_per_second = 2, .burst = 3}, t0, 0);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_TRUE(d->admitted);
    const auto gets = bodies("GetItem");
    ASSERT_EQ(gets.size(), 1u);
    EXPECT_EQ(gets[0].at("ConsistentRead"), true);
    EXPECT_EQ(json::serialize(gets[0].at("Key")),
              R"({"pk":{"S":"RATE#connection#c1"},"sk":{"S":"RATE"}})");
    const auto updates = bodies("UpdateItem");
    ASSERT_EQ(updates.size(), 1u);
    const auto& u = updates[0];
    EXPECT_EQ(u.at("ConditionExpression"), "attribute_not_exists(#pk)");
    EXPECT_EQ(u.at("UpdateExpression"), "SET #tokens = :tokens, #ts = :ts, #v = :nv, #ttl = :ttl");
    const auto& v = u.at("ExpressionAttributeValues").as_object();
    EXPECT_EQ(v.at(":tokens").at("N"), "2.000000");
    EXPECT_EQ(v.at(":ts").at("N").as_string(), std::to_string(t0));
    EXPECT_EQ(v.at(":nv").at("N"), "1");
    // Full again 1.5 s later; + 1 s rounding + 60 s slack.
    EXPECT_EQ(v.at(":ttl").at("N").as_string(), std::to_string((t0 + 1500) / 1000 + 1 + 60));
}

TEST_F(dynamodb_stores, endless_contention_is_a_rejection_not_an_error_and_is_bounded) {
    transport.set_handler([&](const aws::http_request& r) {
        if (operation(r) == "GetItem") {
            return json_response(
                200, R"({"Item":{"pk":{"S":"RATE#k"},"sk":{"S":"RATE"},"tokens":{"N":"5"},)"
                     R"("ts":{"N":")" +
                         std::to_string(t0) + R"("},"v":{"N":"7"}}})");
        }
        return json_response(400, conditional_failed);
    });
    lift::protect::dynamodb_rate_limit_store store{client, "tbl", {.max_attempts = 3}};
    auto d = store.take("k", {.rate_per_second = 4, .burst = 10}, t0, 0);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_FALSE(d->admitted);
    EXPECT_EQ(d->retry_after_ms, 250);
    EXPECT_EQ(transport.count(), 6u);  // 3 rounds of GetItem + UpdateItem
    for (const auto& u : bodies("UpdateItem")) {
        EXPECT_EQ(u.at("ConditionExpression"), "#v = :v");
        EXPECT_EQ(u.at("ExpressionAttributeValues").at(":v").at("N"), "7");
        EXPECT_EQ(u.at("ExpressionAttributeValues").at(":nv").at("N"), "8");
        EXPECT_EQ(u.at("ExpressionAttributeValues").at(":tokens").at("N"), "4.000000");
    }
}

TEST_F(dynamodb_stores, empty_bucket_rejects_without_writing) {
    transport.push(json_response(200, R"({"Item":{"tokens":{"N":"0.25"},"ts":{"N":")" +
                                          std::to_string(t0) + R"("},"v":{"N":"3"}}})"));
    lift::protect::dynamodb_rate_limit_store store{client, "tbl"};
    auto d = store.take("k", {.rate_per_second = 1, .burst = 5}, t0 + 500, 0);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_FALSE(d->admitted);  // 0.75 tokens
    EXPECT_EQ(d->retry_after_ms, 250);
    EXPECT_EQ(transport.count(), 1u);
}

TEST_F(dynamodb_stores, malformed_items_and_service_errors_are_errors) {
    transport.push(
        json_response(200, R"({"Item":{"tokens":{"S":"lots"},"ts":{"N":"1"},"v":{"N":"1"}}})"));
    lift::protect::dynamodb_rate_limit_store store{client, "tbl"};
    auto bad = store.take("k", {}, t0, 0);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, aws::errc::bad_response);
    transport.push(json_response(
        400,
        R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"no table"})"));
    auto missing = store.take("k", {}, t0, 0);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, aws::errc::resource_not_found);
}

TEST_F(dynamodb_stores, idempotency_begin_sends_one_conditional_put) {
    transport.push(json_response(200, "{}"));
    lift::protect::dynamodb_idempotency_store store{client, "tbl"};
    auto b = store.begin("c#c1#pay#7", "owner-1", t0 + 2500, t0);
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_EQ(b->state, begin_state::acquired);
    const auto puts = bodies("PutItem");
    ASSERT_EQ(puts.size(), 1u);
    EXPECT_EQ(puts[0].at("ConditionExpression"), "attribute_not_exists(#pk) OR #exp <= :now");
    EXPECT_EQ(
        json::serialize(puts[0].at("Item")),
        json::serialize(json::parse(
            R"({"exp":{"N":"1700000002500"},"owner":{"S":"owner-1"},"pk":{"S":"IDEM#c#c1#pay#7"},)"
            R"("sk":{"S":"IDEM"},"state":{"S":"IN_PROGRESS"},"ttl":{"N":"1700000003"}})")));
    EXPECT_EQ(puts[0].at("ExpressionAttributeValues").at(":now").at("N").as_string(),
              std::to_string(t0));
}

TEST_F(dynamodb_stores, idempotency_begin_reads_back_completed_and_in_progress_items) {
    lift::protect::dynamodb_idempotency_store store{client, "tbl"};
    transport.push(json_response(400, conditional_failed));
    transport.push(
        json_response(200, R"({"Item":{"state":{"S":"COMPLETED"},"exp":{"N":"1700000100000"},)"
                           R"("status":{"N":"201"},"body":{"S":"stored"}}})"));
    auto done = store.begin("k", "o", t0 + 1000, t0);
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_EQ(done->state, begin_state::completed);
    EXPECT_EQ(done->reply.status_code, 201);
    EXPECT_EQ(done->reply.body, "stored");
    transport.push(json_response(400, conditional_failed));
    transport.push(json_response(
        200, R"({"Item":{"state":{"S":"IN_PROGRESS"},"exp":{"N":"1700000001000"}}})"));
    EXPECT_EQ(store.begin("k", "o", t0 + 1000, t0)->state, begin_state::in_progress);
}

TEST_F(dynamodb_stores, idempotency_begin_gives_up_as_in_progress_when_the_item_keeps_vanishing) {
    transport.set_handler([&](const aws::http_request& r) {
        return operation(r) == "PutItem" ? json_response(400, conditional_failed)
                                         : json_response(200, "{}");
    });
    lift::protect::dynamodb_idempotency_store store{client, "tbl", {.max_attempts = 3}};
    auto b = store.begin("k", "o", t0 + 1000, t0);
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_EQ(b->state, begin_state::in_progress);
    EXPECT_EQ(transport.count(), 6u);
}

TEST_F(dynamodb_stores, idempotency_complete_and_release_are_conditioned_on_the_owner) {
    lift::protect::dynamodb_idempotency_store store{client, "tbl"};
    transport.push(json_response(400, conditional_failed));  // taken over: not an error
    ASSERT_TRUE(store.complete("k", "o1", {200, std::string{"r"}}, t0 + 60'000));
    transport.push(json_response(400, conditional_failed));
    ASSERT_TRUE(store.release("k", "o1"));
    const auto puts = bodies("PutItem");
    ASSERT_EQ(puts.size(), 1u);
    EXPECT_EQ(puts[0].at("ConditionExpression"), "#owner = :owner AND #state = :in_progress");
    EXPECT_EQ(puts[0].at("Item").at("state").at("S"), "COMPLETED");
    EXPECT_EQ(puts[0].at("Item").at("body").at("S"), "r");
    EXPECT_EQ(puts[0].at("Item").at("status").at("N"), "200");
    const auto dels = bodies("DeleteItem");
    ASSERT_EQ(dels.size(), 1u);
    EXPECT_EQ(dels[0].at("ConditionExpression"), "#owner = :owner AND #state = :in_progress");
    // Other errors are reported.
    transport.push(json_response(
        400,
        R"({"__type":"com.amazonaws.dynamodb.v20120810#ValidationException","message":"bad"})"));
    auto r = store.complete("k", "o1", {}, t0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, aws::errc::validation);
}

}  // namespace
