#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include <lift/aws/dynamodb.hpp>
#include <lift/aws/error.hpp>
#include <lift/aws/retry.hpp>
#include <lift/aws/sigv4.hpp>
#include <lift/core/ascii.hpp>
#include <lift/core/error.hpp>

#include "fake_clock.hpp"
#include "scripted_transport.hpp"

// Designated initializers leave the other members at their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace {

namespace aws = lift::aws;
namespace attr = lift::aws::attr;
namespace json = boost::json;
using lift::test::fake_clock;
using lift::test::recording_sleeper;
using lift::test::scripted_transport;

constexpr std::int64_t t0 = 1'705'751'700'000;  // 2024-01-20T11:55:00Z

std::string header_of(const aws::http_request& r, std::string_view name) {
    for (const auto& h : r.headers) {
        if (lift::ascii::iequals(h.name, name)) {
            return h.value;
        }
    }
    return {};
}

int header_count(const aws::http_request& r, std::string_view name) {
    int n = 0;
    for (const auto& h : r.headers) {
        n += lift::ascii::iequals(h.name, name) ? 1 : 0;
    }
    return n;
}

json::object body_of(const aws::http_request& r) {
    return json::parse(r.body).as_object();
}

// A client with a fake clock, a recording sleeper (which advances the clock), and a retry
// policy whose jitter is 1.0 (so each delay is its ceiling: 50, 100, 200 ms ...).
struct fixture : ::testing::Test {
    scripted_transport transport;
    fake_clock clock{t0};
    recording_sleeper sleeper{&clock};
    aws::retry_policy policy{aws::retry_options{.max_attempts = 5}, [] {
                                 return 1.0;
                             }};
    aws::dynamodb_config config = [] {
        aws::dynamodb_config c;
        c.region = "us-east-1";
        c.credentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
        c.batch_max_rounds = 3;
        return c;
    }();
    std::unique_ptr<aws::dynamodb_client> client;

    void SetUp() override { make_client(); }

    void make_client() {
        client = std::make_unique<aws::dynamodb_client>(transport, config, policy, clock, sleeper);
    }

    aws::http_request last() const { return transport.requests().back().request; }
};

// --- AttributeValue wire JSON -------------------------------------------------------------

TEST(attribute_value, builders_and_accessors) {
    EXPECT_EQ(*attr::s("x").as_string(), "x");
    EXPECT_EQ(attr::n(1).as_string(), nullptr);
    EXPECT_EQ(attr::n(-42).as_int(), -42);
    EXPECT_EQ(attr::n(INT64_MAX).as_int(), INT64_MAX);
    aws::attribute_value frac;
    frac.type = aws::attribute_value::kind::n;
    frac.text = "1.5";
    EXPECT_FALSE(frac.as_int().has_value());
    frac.text = "99999999999999999999";
    EXPECT_FALSE(frac.as_int().has_value());
    EXPECT_FALSE(attr::s("1").as_int().has_value());
    EXPECT_EQ(attr::null().type, aws::attribute_value::kind::null);
    EXPECT_TRUE(attr::boolean(true).flag);
}

TEST(attribute_value, wire_json_of_each_type) {
    const aws::attribute_map item{
        {"s", attr::s("a\"b")},
        {"n", attr::n(7)},
        {"b", attr::b(std::string("\x00\xffhi", 4))},
        {"t", attr::boolean(true)},
        {"z", attr::null()},
        {"ss", attr::ss({"x", "y"})},
    };
    EXPECT_EQ(aws::to_wire_json(item),
              R"({"b":{"B":"AP9oaQ=="},"n":{"N":"7"},"s":{"S":"a\"b"},"ss":{"SS":["x","y"]},)"
              R"("t":{"BOOL":true},"z":{"NULL":true}})");
}

TEST(attribute_value, round_trip_all_types_nested) {
    aws::attribute_value ns;
    ns.type = aws::attribute_value::kind::ns;
    ns.set = {"1", "-2.5", "3e10"};
    aws::attribute_value bs;
    bs.type = aws::attribute_value::kind::bs;
    bs.set = {std::string("\x01\x02\x03", 3), "", std::string(1, '\0'), "ab", "abc"};
    aws::attribute_value big;
    big.type = aws::attribute_value::kind::n;
    big.text = "123456789012345678901234567890.5";
    const aws::attribute_map item{
        {"pk", attr::s("CONN#1")},
        {"n", big},
        {"ns", ns},
        {"bs", bs},
        {"bin", attr::b(std::string("\0\x7f\x80\xfe", 4))},
        {"empty_b", attr::b("")},
        {"f", attr::boolean(false)},
        {"nil", attr::null()},
        {"nested",
         attr::m({{"l", attr::l({attr::s("x"), attr::n(1), attr::m({{"deep", attr::l({})}}),
                                 attr::ss({"q"}), attr::b("zz")})},
                  {"m", attr::m({})}})},
    };
    const std::string wire = aws::to_wire_json(item);
    auto back = aws::from_wire_json(wire);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, item);
    EXPECT_EQ(aws::to_wire_json(*back), wire);
    // B is base64 on the wire, N stays text.
    const auto v = json::parse(wire).as_object();
    EXPECT_EQ(v.at("bin").at("B").as_string(), "AH+A/g==");
    EXPECT_EQ(v.at("n").at("N").as_string(), "123456789012345678901234567890.5");
    EXPECT_EQ(v.at("bs").at("BS").as_array().at(0).as_string(), "AQID");
}

TEST(attribute_value, deep_nesting_parses) {
    aws::attribute_value v = attr::s("leaf");
    for (int i = 0; i < 32; ++i) {
        v = (i % 2 == 0) ? attr::l({v}) : attr::m({{"k", v}});
    }
    const aws::attribute_map item{{"deep", v}};
    auto back = aws::from_wire_json(aws::to_wire_json(item));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, item);
}

TEST(attribute_value, malformed_wire_json_is_bad_response) {
    const char* cases[] = {
        R"({"a":{"S":"x","N":"1"}})",                  // two types
        R"({"a":{}})",                                 // no type
        R"({"a":"x"})",                                // not an object
        R"({"a":{"S":1}})",                            // S not a string
        R"({"a":{"N":"abc"}})",                        // N not a number
        R"({"a":{"N":7}})",                            // N as JSON number
        R"({"a":{"B":"***"}})",                        // bad base64
        R"({"a":{"B":"abcde"}})",                      // bad base64 length
        R"({"a":{"BOOL":"true"}})",                    // BOOL not bool
        R"({"a":{"NULL":"yes"}})",                     // NULL not bool
        R"({"a":{"L":{}}})",                           // L not an array
        R"({"a":{"M":[]}})",                           // M not an object
        R"({"a":{"SS":["x",1]}})",                     // SS element not a string
        R"({"a":{"NS":["x"]}})",                       // NS element not a number
        R"({"a":{"BS":"AQID"}})",                      // BS not an array
        R"({"a":{"X":"1"}})",                          // unknown type
        R"({"a":{"M":{"b":{"S":"x","BOOL":true}}}})",  // nested two types
        R"({"a":{"L":[{"S":"x"},3]}})",                // nested non-object
        R"([])",                                       // item not an object
        R"({"a":{"S":"x"})",                           // truncated
        "",
    };
    for (const char* c : cases) {
        auto r = aws::from_wire_json(c);
        ASSERT_FALSE(r) << c;
        EXPECT_EQ(r.error().code, aws::errc::bad_response) << c;
        EXPECT_FALSE(r.error().message.empty()) << c;
    }
    auto r = aws::from_wire_json(R"({"a":{"M":{"b":{"S":"x","BOOL":true}}}})");
    EXPECT_NE(r.error().message.find("a.b"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("more than one data type"), std::string::npos);
}

// --- request envelope and signing -------------------------------------------------------

TEST_F(fixture, default_endpoint_from_region) {
    config.region = "eu-west-1";
    make_client();
    EXPECT_TRUE(client->target().tls);
    EXPECT_EQ(client->target().host, "dynamodb.eu-west-1.amazonaws.com");
    EXPECT_EQ(client->target().port, 443);
    EXPECT_EQ(client->target().base_path, "");
}

TEST_F(fixture, envelope_headers_and_a_signature_that_verifies) {
    transport.push_json(200, "{}");
    ASSERT_TRUE(client->put_item({.table = "t", .item = {{"pk", attr::s("a")}}}));
    ASSERT_EQ(transport.count(), 1U);
    const auto rec = transport.requests().front();
    const auto& req = rec.request;
    EXPECT_EQ(rec.to.host, "dynamodb.us-east-1.amazonaws.com");
    EXPECT_EQ(req.method, "POST");
    EXPECT_EQ(req.target, "/");
    EXPECT_EQ(header_of(req, "Content-Type"), "application/x-amz-json-1.0");
    EXPECT_EQ(header_of(req, "X-Amz-Target"), "DynamoDB_20120810.PutItem");
    EXPECT_EQ(header_of(req, "Host"), "dynamodb.us-east-1.amazonaws.com");
    EXPECT_EQ(header_of(req, "X-Amz-Date"), "20240120T115500Z");
    EXPECT_EQ(header_count(req, "Authorization"), 1);
    EXPECT_EQ(header_count(req, "X-Amz-Security-Token"), 0);
    const std::string authz = header_of(req, "Authorization");
    EXPECT_EQ(authz.rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240120/us-east-1/dynamodb/"
                          "aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                          "Signature=",
                          0),
              0U)
        << authz;

    // Recompute the signature from the recorded request.
    aws::signing_request sreq{req.method, req.target, "", {}, req.body};
    for (const auto& h : req.headers) {
        if (!lift::ascii::iequals(h.name, "Authorization") &&
            !lift::ascii::iequals(h.name, "X-Amz-Date")) {
            sreq.headers.push_back(h);
        }
    }
    aws::signing_params params;
    params.region = "us-east-1";
    params.service = "dynamodb";
    params.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(t0));
    aws::signer s;
    auto expected = s.sign(sreq, config.credentials, params);
    ASSERT_TRUE(expected);
    EXPECT_EQ(authz, expected->authorization);
    // A different body would not verify.
    sreq.payload += " ";
    EXPECT_NE(authz, s.sign(sreq, config.credentials, params)->authorization);
}

// aws-reference §10.3(c): botocore's signature for these exact bytes.
TEST_F(fixture, botocore_vector_for_get_item) {
    transport.push_json(200, "{}");
    auto r = client->call("GetItem", R"({"TableName": "t", "Key": {"pk": {"S": "a"}}})");
    ASSERT_TRUE(r) << r.error().message;
    const auto authz = header_of(last(), "Authorization");
    EXPECT_NE(
        authz.find("Signature=ea0c6b48b71611fa2370c06eb0d8f7626adb0dba381d0181748645b1123b5d9b"),
        std::string::npos)
        << authz;
}

TEST_F(fixture, session_token_is_sent_and_signed) {
    config.credentials.session_token = "FQoGZXIvYXdzEXAMPLETOKEN";
    make_client();
    transport.push_json(200, "{}");
    ASSERT_TRUE(client->get_item({.table = "t", .key = {{"pk", attr::s("a")}}}));
    EXPECT_EQ(header_of(last(), "X-Amz-Security-Token"), "FQoGZXIvYXdzEXAMPLETOKEN");
    EXPECT_NE(header_of(last(), "Authorization").find("x-amz-security-token"), std::string::npos);
}

TEST_F(fixture, endpoint_override_with_base_path_and_port) {
    config.endpoint_override = aws::endpoint{false, "127.0.0.1", 8000, "/ddb"};
    make_client();
    transport.push_json(200, "{}");
    ASSERT_TRUE(client->get_item({.table = "t", .key = {{"pk", attr::s("a")}}}));
    const auto rec = transport.requests().front();
    EXPECT_EQ(rec.request.target, "/ddb/");
    EXPECT_EQ(rec.to.port, 8000);
    EXPECT_EQ(header_of(rec.request, "Host"), "127.0.0.1:8000");
}

// --- request bodies per operation -------------------------------------------------------

TEST_F(fixture, put_item_body_and_old_item) {
    transport.push_json(200, R"({"Attributes":{"pk":{"S":"a"},"v":{"N":"1"}}})");
    auto r = client->put_item(
        {.table = "conns",
         .item = {{"pk", attr::s("a")}, {"v", attr::n(2)}},
         .condition = "attribute_not_exists(#p) OR #v < :v",
         .expr = {.names = {{"#p", "pk"}, {"#v", "v"}}, .values = {{":v", attr::n(2)}}},
         .return_old = true});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->at("v"), attr::n(1));
    EXPECT_EQ(
        json::value(body_of(last())),
        json::parse(R"({"TableName":"conns","Item":{"pk":{"S":"a"},"v":{"N":"2"}},)"
                    R"("ConditionExpression":"attribute_not_exists(#p) OR #v < :v",)"
                    R"("ExpressionAttributeNames":{"#p":"pk","#v":"v"},)"
                    R"("ExpressionAttributeValues":{":v":{"N":"2"}},"ReturnValues":"ALL_OLD"})"));
}

TEST_F(fixture, put_item_minimal_body) {
    transport.push_json(200, "{}");
    auto r = client->put_item({.table = "t", .item = {{"pk", attr::s("a")}}});
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->empty());
    EXPECT_EQ(json::value(body_of(last())),
              json::parse(R"({"TableName":"t","Item":{"pk":{"S":"a"}}})"));
}

TEST_F(fixture, get_item_found_and_not_found) {
    transport.push_json(200, R"({"Item":{"pk":{"S":"a"},"l":{"L":[{"BOOL":false}]}}})");
    transport.push_json(200, "{}");
    auto found =
        client->get_item({.table = "t", .key = {{"pk", attr::s("a")}}, .consistent_read = true});
    ASSERT_TRUE(found) << found.error().message;
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((**found).at("l"), attr::l({attr::boolean(false)}));
    EXPECT_EQ(json::value(body_of(last())),
              json::parse(R"({"TableName":"t","Key":{"pk":{"S":"a"}},"ConsistentRead":true})"));
    auto missing = client->get_item({.table = "t", .key = {{"pk", attr::s("b")}}});
    ASSERT_TRUE(missing);
    EXPECT_FALSE(missing->has_value());
    EXPECT_FALSE(body_of(last()).contains("ConsistentRead"));
}

TEST_F(fixture, delete_item_body) {
    transport.push_json(200, R"({"Attributes":{"pk":{"S":"a"}}})");
    auto r = client->delete_item({.table = "t",
                                  .key = {{"pk", attr::s("a")}},
                                  .condition = "attribute_exists(pk)",
                                  .return_old = true});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->at("pk"), attr::s("a"));
    EXPECT_EQ(header_of(last(), "X-Amz-Target"), "DynamoDB_20120810.DeleteItem");
    EXPECT_EQ(
        json::value(body_of(last())),
        json::parse(R"({"TableName":"t","Key":{"pk":{"S":"a"}},)"
                    R"j("ConditionExpression":"attribute_exists(pk)","ReturnValues":"ALL_OLD"})j"));
}

TEST_F(fixture, update_item_body) {
    transport.push_json(200, R"({"Attributes":{"n":{"N":"3"}}})");
    auto r =
        client->update_item({.table = "t",
                             .key = {{"pk", attr::s("a")}, {"sk", attr::s("b")}},
                             .update = "SET #n = #n + :one",
                             .condition = "attribute_exists(pk)",
                             .expr = {.names = {{"#n", "n"}}, .values = {{":one", attr::n(1)}}},
                             .return_values = "UPDATED_NEW"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->at("n").as_int(), 3);
    EXPECT_EQ(header_of(last(), "X-Amz-Target"), "DynamoDB_20120810.UpdateItem");
    EXPECT_EQ(json::value(body_of(last())),
              json::parse(R"({"TableName":"t","Key":{"pk":{"S":"a"},"sk":{"S":"b"}},)"
                          R"("UpdateExpression":"SET #n = #n + :one",)"
                          R"j("ConditionExpression":"attribute_exists(pk)",)j"
                          R"("ExpressionAttributeNames":{"#n":"n"},)"
                          R"("ExpressionAttributeValues":{":one":{"N":"1"}},)"
                          R"("ReturnValues":"UPDATED_NEW"})"));
}

TEST_F(fixture, query_body_and_page) {
    transport.push_json(
        200,
        R"({"Items":[{"pk":{"S":"a"}}],"Count":1,"ScannedCount":4,"LastEvaluatedKey":{"pk":{"S":"a"}}})");
    auto r = client->query({.table = "t",
                            .index = "gsi1",
                            .key_condition = "gpk = :g",
                            .filter = "#ttl > :now",
                            .expr = {.names = {{"#ttl", "ttl"}},
                                     .values = {{":g", attr::s("G")}, {":now", attr::n(5)}}},
                            .limit = 2,
                            .consistent_read = false,
                            .forward = false,
                            .exclusive_start = {{"pk", attr::s("z")}}});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->items.size(), 1U);
    EXPECT_EQ(r->scanned_count, 4);
    EXPECT_EQ(r->last_evaluated_key.at("pk"), attr::s("a"));
    EXPECT_EQ(header_of(last(), "X-Amz-Target"), "DynamoDB_20120810.Query");
    EXPECT_EQ(
        json::value(body_of(last())),
        json::parse(R"({"TableName":"t","IndexName":"gsi1","KeyConditionExpression":"gpk = :g",)"
                    R"("FilterExpression":"#ttl > :now","ExpressionAttributeNames":{"#ttl":"ttl"},)"
                    R"("ExpressionAttributeValues":{":g":{"S":"G"},":now":{"N":"5"}},)"
                    R"("Limit":2,"ScanIndexForward":false,"ExclusiveStartKey":{"pk":{"S":"z"}}})"));
}

TEST_F(fixture, scan_body_ignores_query_only_members) {
    transport.push_json(200, R"({"Items":[],"Count":0,"ScannedCount":0})");
    auto r = client->scan(
        {.table = "t", .key_condition = "ignored", .consistent_read = true, .forward = false});
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->items.empty());
    EXPECT_TRUE(r->last_evaluated_key.empty());
    EXPECT_EQ(header_of(last(), "X-Amz-Target"), "DynamoDB_20120810.Scan");
    EXPECT_EQ(json::value(body_of(last())),
              json::parse(R"({"TableName":"t","ConsistentRead":true})"));
}

TEST_F(fixture, create_table_body) {
    transport.push_json(200, R"({"TableDescription":{"TableName":"conns","TableStatus":"CREATING",
        "BillingModeSummary":{"BillingMode":"PAY_PER_REQUEST"},
        "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
        "GlobalSecondaryIndexes":[{"IndexName":"by_user","KeySchema":[{"AttributeName":"user","KeyType":"HASH"}]}],
        "ItemCount":0}})");
    auto r =
        client->create_table({.table = "conns",
                              .keys = {"pk", "sk"},
                              .indexes = {{"by_user", {"user", ""}}, {"by_room", {"room", "pk"}}}});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, "CREATING");
    EXPECT_EQ(r->billing_mode, "PAY_PER_REQUEST");
    EXPECT_EQ(r->keys.sort_key, "sk");
    EXPECT_EQ(header_of(last(), "X-Amz-Target"), "DynamoDB_20120810.CreateTable");
    EXPECT_EQ(json::value(body_of(last())),
              json::parse(
                  R"({"TableName":"conns","BillingMode":"PAY_PER_REQUEST",
            "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
              {"AttributeName":"sk","AttributeType":"S"},{"AttributeName":"user","AttributeType":"S"},
              {"AttributeName":"room","AttributeType":"S"}],
            "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
            "GlobalSecondaryIndexes":[
              {"IndexName":"by_user","KeySchema":[{"AttributeName":"user","KeyType":"HASH"}],
               "Projection":{"ProjectionType":"ALL"}},
              {"IndexName":"by_room","KeySchema":[{"AttributeName":"room","KeyType":"HASH"},
               {"AttributeName":"pk","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}]})"));
}

TEST_F(fixture, describe_table_parses_and_tolerates_missing_members) {
    transport.push_json(200, R"({"Table":{"TableName":"t","TableStatus":"ACTIVE",
        "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"ItemCount":12,
        "GlobalSecondaryIndexes":[{"IndexName":"g","KeySchema":[{"AttributeName":"a","KeyType":"HASH"},
          {"AttributeName":"b","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}]}})");
    auto r = client->describe_table("t");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(json::value(body_of(last())), json::parse(R"({"TableName":"t"})"));
    EXPECT_EQ(r->name, "t");
    EXPECT_EQ(r->status, "ACTIVE");
    EXPECT_EQ(r->billing_mode, "PROVISIONED");  // no BillingModeSummary
    EXPECT_EQ(r->keys.partition_key, "pk");
    EXPECT_EQ(r->keys.sort_key, "");
    ASSERT_EQ(r->indexes.size(), 1U);
    EXPECT_EQ(r->indexes[0].name, "g");
    EXPECT_EQ(r->indexes[0].keys.sort_key, "b");
    EXPECT_EQ(r->item_count, 12);

    transport.push_json(200, R"({"Table":{"TableName":"t","KeySchema":"x"}})");
    auto bad = client->describe_table("t");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, aws::errc::bad_response);
    transport.push_json(200, R"({})");
    EXPECT_EQ(client->describe_table("t").error().code, aws::errc::bad_response);
}

TEST_F(fixture, time_to_live) {
    transport.push_json(200,
                        R"({"TimeToLiveSpecification":{"Enabled":true,"AttributeName":"ttl"}})");
    ASSERT_TRUE(client->update_time_to_live("t", "ttl", true));
    EXPECT_EQ(header_of(last(), "X-Amz-Target"), "DynamoDB_20120810.UpdateTimeToLive");
    EXPECT_EQ(
        json::value(body_of(last())),
        json::parse(
            R"({"TableName":"t","TimeToLiveSpecification":{"Enabled":true,"AttributeName":"ttl"}})"));
    transport.push_json(
        200, R"({"TimeToLiveDescription":{"TimeToLiveStatus":"ENABLED","AttributeName":"ttl"}})");
    auto st = client->describe_time_to_live("t");
    ASSERT_TRUE(st);
    EXPECT_EQ(*st, "ENABLED");
    EXPECT_EQ(header_of(last(), "X-Amz-Target"), "DynamoDB_20120810.DescribeTimeToLive");
    transport.push_json(200, R"({"TimeToLiveDescription":{}})");
    EXPECT_EQ(client->describe_time_to_live("t").error().code, aws::errc::bad_response);
}

// --- errors -------------------------------------------------------------------------------

struct error_case {
    const char* type;
    int status;
    aws::errc expected;
};

TEST_F(fixture, error_types_map_to_codes_with_clear_messages) {
    const error_case cases[] = {
        {"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", 400,
         aws::errc::conditional_check_failed},
        {"com.amazon.coral.validate#ValidationException", 400, aws::errc::validation},
        {"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", 400,
         aws::errc::resource_not_found},
        {"com.amazonaws.dynamodb.v20120810#ResourceInUseException", 400,
         aws::errc::resource_in_use},
        {"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", 400,
         aws::errc::throughput_exceeded},
        {"com.amazonaws.dynamodb.v20120810#ThrottlingException", 400, aws::errc::throttling},
        {"com.amazonaws.dynamodb.v20120810#RequestLimitExceeded", 400,
         aws::errc::request_limit_exceeded},
        {"com.amazonaws.dynamodb.v20120810#TransactionCanceledException", 400,
         aws::errc::transaction_canceled},
        {"com.amazonaws.dynamodb.v20120810#TransactionInProgressException", 400,
         aws::errc::throttling},
        {"com.amazonaws.dynamodb.v20120810#TransactionConflictException", 400,
         aws::errc::transaction_conflict},
        {"com.amazonaws.dynamodb.v20120810#ItemCollectionSizeLimitExceededException", 400,
         aws::errc::item_collection_size_exceeded},
        {"com.amazonaws.dynamodb.v20120810#InternalServerError", 500,
         aws::errc::internal_server_error},
        {"com.amazon.coral.service#InvalidSignatureException", 400, aws::errc::invalid_signature},
        {"com.amazon.coral.service#UnrecognizedClientException", 400,
         aws::errc::unrecognized_client},
        {"com.amazon.coral.service#IncompleteSignatureException", 400,
         aws::errc::missing_authentication},
        {"com.amazon.coral.service#MissingAuthenticationTokenException", 400,
         aws::errc::missing_authentication},
        {"com.amazon.coral.service#AccessDeniedException", 400, aws::errc::access_denied},
        {"com.amazon.coral.service#ExpiredTokenException", 400, aws::errc::expired_token},
        {"com.amazonaws.dynamodb.v20120810#SomethingNew", 400, aws::errc::unknown_service_error},
    };
    aws::retry_policy once{aws::retry_options{.max_attempts = 1}, [] {
                               return 1.0;
                           }};
    aws::dynamodb_client c(transport, config, once, clock, sleeper);
    for (const auto& e : cases) {
        transport.push_json(
            e.status, std::string(R"({"__type":")") + e.type + R"(","message":"it went wrong"})");
        auto r = c.put_item({.table = "t", .item = {{"pk", attr::s("a")}}});
        ASSERT_FALSE(r) << e.type;
        EXPECT_EQ(r.error().code, e.expected) << e.type << " -> " << r.error().message;
        const std::string bare = std::string(aws::bare_error_code(e.type));
        EXPECT_EQ(r.error().message, "DynamoDB PutItem: " + bare + ": it went wrong (HTTP " +
                                         std::to_string(e.status) + ")");
    }
}

TEST_F(fixture, conditional_check_failed_message_format_and_capital_message) {
    transport.push_json(
        400,
        R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"})");
    auto r = client->put_item({.table = "t", .item = {{"pk", attr::s("a")}}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message,
              "DynamoDB PutItem: ConditionalCheckFailedException: The conditional request failed "
              "(HTTP 400)");
    EXPECT_TRUE(r.error().code == lift::condition::invalid);
    EXPECT_EQ(transport.count(), 1U);  // not retried

    transport.push_json(
        400,
        R"({"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled"})");
    auto t = client->call("TransactWriteItems", "{}");
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().message,
              "DynamoDB TransactWriteItems: TransactionCanceledException: Transaction cancelled "
              "(HTTP 400)");
}

TEST_F(fixture, error_type_from_header_and_non_json_error_bodies) {
    aws::retry_policy once{aws::retry_options{.max_attempts = 1}, [] {
                               return 1.0;
                           }};
    aws::dynamodb_client c(transport, config, once, clock, sleeper);
    transport.push_json(
        400, "<html>nope</html>",
        {{"x-amzn-ErrorType", "UnrecognizedClientException:http://internal.amazon.com/coral/"}},
        "text/html");
    auto r = c.get_item({.table = "t", .key = {{"pk", attr::s("a")}}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, aws::errc::unrecognized_client);
    EXPECT_EQ(r.error().message,
              "DynamoDB GetItem: UnrecognizedClientException: <html>nope</html> (HTTP 400)");

    transport.push_json(500, "Internal failure, \x01 not JSON", {}, "text/plain");
    r = c.get_item({.table = "t", .key = {{"pk", attr::s("a")}}});
    EXPECT_EQ(r.error().code, aws::errc::internal_server_error);
    EXPECT_NE(r.error().message.find("(HTTP 500)"), std::string::npos);
    transport.push_json(503, "", {}, "");
    r = c.get_item({.table = "t", .key = {{"pk", attr::s("a")}}});
    EXPECT_EQ(r.error().code, aws::errc::service_unavailable);
    EXPECT_EQ(r.error().message, "DynamoDB GetItem: error (HTTP 503)");
    transport.push_json(400, "", {}, "");
    r = c.get_item({.table = "t", .key = {{"pk", attr::s("a")}}});
    EXPECT_EQ(r.error().code, aws::errc::unknown_service_error);
}

// --- retries ------------------------------------------------------------------------------

TEST_F(fixture, retries_throttles_and_server_errors_then_succeeds) {
    transport.push_json(
        400,
        R"({"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow"})");
    transport.push_json(
        400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"x"})");
    transport.push_json(500,
                        R"({"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError"})");
    transport.push(lift::fail(aws::errc::timeout, "read timed out"));
    transport.push_json(200, R"({"Item":{"pk":{"S":"a"}}})");
    auto r = client->get_item({.table = "t", .key = {{"pk", attr::s("a")}}});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->has_value());
    EXPECT_EQ(transport.count(), 5U);
    using ms = std::chrono::milliseconds;
    EXPECT_EQ(sleeper.sleeps(), (std::vector<ms>{ms(50), ms(100), ms(200), ms(400)}));
    // Each attempt is signed anew with the clock's current time.
    const auto reqs = transport.requests();
    EXPECT_EQ(header_of(reqs[0].request, "X-Amz-Date"), "20240120T115500Z");
    EXPECT_EQ(header_of(reqs[4].request, "X-Amz-Date"), "20240120T115500Z");  // +750 ms
}

TEST_F(fixture, retries_stop_at_max_attempts) {
    for (int i = 0; i < 6; ++i) {
        transport.push_json(503, "{}");
    }
    auto r = client->get_item({.table = "t", .key = {{"pk", attr::s("a")}}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, aws::errc::service_unavailable);
    EXPECT_EQ(transport.count(), 5U);
}

TEST_F(fixture, no_retry_on_validation_or_conditional_failure) {
    transport.push_json(
        400, R"({"__type":"com.amazon.coral.validate#ValidationException","message":"bad"})");
    auto r = client->put_item({.table = "t", .item = {{"pk", attr::s("a")}}});
    EXPECT_EQ(r.error().code, aws::errc::validation);
    EXPECT_EQ(transport.count(), 1U);
    transport.push_json(
        400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"})");
    r = client->put_item({.table = "t", .item = {{"pk", attr::s("a")}}});
    EXPECT_EQ(r.error().code, aws::errc::conditional_check_failed);
    EXPECT_EQ(transport.count(), 2U);
    EXPECT_TRUE(sleeper.sleeps().empty());
}

TEST_F(fixture, deadline_stops_retries) {
    for (int i = 0; i < 5; ++i) {
        transport.push_json(500, "{}");
    }
    // Delays are 50 then 100 ms; the second retry would start at +150 ms, past +120 ms.
    auto r =
        client->get_item({.table = "t", .key = {{"pk", attr::s("a")}}}, {.deadline_ms = t0 + 120});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, aws::errc::internal_server_error);
    EXPECT_EQ(transport.count(), 2U);

    // A deadline already past: no request at all, a timeout.
    auto late = client->get_item({.table = "t", .key = {{"pk", attr::s("a")}}},
                                 {.deadline_ms = clock.now_ms()});
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code, aws::errc::timeout);
    EXPECT_EQ(transport.count(), 2U);
}

TEST_F(fixture, default_deadline_is_the_call_budget) {
    config.call_budget = std::chrono::milliseconds(60);
    make_client();
    for (int i = 0; i < 5; ++i) {
        transport.push_json(500, "{}");
    }
    auto r = client->get_item({.table = "t", .key = {{"pk", attr::s("a")}}});
    ASSERT_FALSE(r);
    EXPECT_EQ(transport.count(), 2U);  // 50 ms fits in 60, the next 100 does not
}

// --- paging -------------------------------------------------------------------------------

TEST_F(fixture, query_all_follows_last_evaluated_key_through_an_empty_page) {
    transport.push_json(200, R"({"Items":[{"pk":{"S":"1"}},{"pk":{"S":"2"}}],"Count":2,
        "ScannedCount":2,"LastEvaluatedKey":{"pk":{"S":"2"}}})");
    transport.push_json(
        200, R"({"Items":[],"Count":0,"ScannedCount":2,"LastEvaluatedKey":{"pk":{"S":"4"}}})");
    transport.push_json(200, R"({"Items":[{"pk":{"S":"5"}}],"Count":1,"ScannedCount":1})");
    auto r = client->query_all({.table = "t", .key_condition = "pk = :p", .limit = 2});
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->size(), 3U);
    EXPECT_EQ(r->at(2).at("pk"), attr::s("5"));
    const auto reqs = transport.requests();
    ASSERT_EQ(reqs.size(), 3U);
    EXPECT_FALSE(body_of(reqs[0].request).contains("ExclusiveStartKey"));
    EXPECT_EQ(body_of(reqs[1].request).at("ExclusiveStartKey"), json::parse(R"({"pk":{"S":"2"}})"));
    EXPECT_EQ(body_of(reqs[2].request).at("ExclusiveStartKey"), json::parse(R"({"pk":{"S":"4"}})"));
    EXPECT_EQ(body_of(reqs[2].request).at("Limit"), 2);
}

TEST_F(fixture, scan_all_and_a_repeating_key_is_bad_response) {
    transport.push_json(200, R"({"Items":[{"pk":{"S":"1"}}],"LastEvaluatedKey":{"pk":{"S":"1"}}})");
    transport.push_json(200, R"({"Items":[{"pk":{"S":"2"}}]})");
    auto ok = client->scan_all({.table = "t"});
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->size(), 2U);
    EXPECT_EQ(header_of(last(), "X-Amz-Target"), "DynamoDB_20120810.Scan");

    transport.set_handler([](const aws::http_request&) -> lift::result<aws::http_response> {
        aws::http_response resp;
        resp.status = 200;
        resp.headers = {{"Content-Type", "application/x-amz-json-1.0"}};
        resp.body = R"({"Items":[],"LastEvaluatedKey":{"pk":{"S":"same"}}})";
        return resp;
    });
    auto loop = client->scan_all({.table = "t"});
    ASSERT_FALSE(loop);
    EXPECT_EQ(loop.error().code, aws::errc::bad_response);
    EXPECT_NE(loop.error().message.find("same LastEvaluatedKey"), std::string::npos);
    EXPECT_EQ(transport.count(), 4U);
}

// --- batch writes -------------------------------------------------------------------------

std::vector<aws::write_request> make_writes(int n) {
    std::vector<aws::write_request> w;
    for (int i = 0; i < n; ++i) {
        aws::write_request r;
        if (i % 10 == 9) {
            r.remove = aws::attribute_map{{"pk", attr::s("k" + std::to_string(i))}};
        } else {
            r.put = aws::attribute_map{{"pk", attr::s("k" + std::to_string(i))}, {"v", attr::n(i)}};
        }
        w.push_back(std::move(r));
    }
    return w;
}

TEST_F(fixture, batch_write_chunks_and_resends_unprocessed_items) {
    // First try of each chunk (more than 3 requests): the last 3 come back unprocessed.
    std::set<std::string> seen_first;
    transport.set_handler([&](const aws::http_request& req) -> lift::result<aws::http_response> {
        const auto body = json::parse(req.body).as_object();
        const auto& list = body.at("RequestItems").at("conns").as_array();
        const std::string first = json::serialize(list.at(0));
        json::object out{{"UnprocessedItems", json::object{}}};
        if (seen_first.insert(first).second && list.size() > 3) {
            json::array rest(list.end() - 3, list.end());
            out["UnprocessedItems"] = json::object{{"conns", rest}};
        }
        aws::http_response resp;
        resp.status = 200;
        resp.headers = {{"Content-Type", "application/x-amz-json-1.0"}};
        resp.body = json::serialize(out);
        return resp;
    });
    const auto writes = make_writes(60);
    auto r = client->batch_write("conns", writes);
    ASSERT_TRUE(r) << r.error().message;
    const auto reqs = transport.requests();
    ASSERT_EQ(reqs.size(), 6U);
    const std::size_t sizes[] = {25, 3, 25, 3, 10, 3};
    std::size_t total_first = 0;
    for (std::size_t i = 0; i < reqs.size(); ++i) {
        EXPECT_EQ(header_of(reqs[i].request, "X-Amz-Target"), "DynamoDB_20120810.BatchWriteItem");
        const auto list = body_of(reqs[i].request).at("RequestItems").at("conns").as_array();
        EXPECT_EQ(list.size(), sizes[i]) << i;
        if (i % 2 == 0) {
            total_first += list.size();
        } else {
            // The re-send is exactly the tail of the previous request.
            const auto prev =
                body_of(reqs[i - 1].request).at("RequestItems").at("conns").as_array();
            EXPECT_EQ(json::array(prev.end() - 3, prev.end()), list);
        }
    }
    EXPECT_EQ(total_first, 60U);
    // Shape of put and delete requests.
    const auto first = body_of(reqs[0].request).at("RequestItems").at("conns").as_array();
    EXPECT_EQ(first.at(0),
              json::parse(R"({"PutRequest":{"Item":{"pk":{"S":"k0"},"v":{"N":"0"}}}})"));
    EXPECT_EQ(first.at(9), json::parse(R"({"DeleteRequest":{"Key":{"pk":{"S":"k9"}}}})"));
    using ms = std::chrono::milliseconds;
    EXPECT_EQ(sleeper.sleeps(), (std::vector<ms>{ms(50), ms(50), ms(50)}));
}

TEST_F(fixture, batch_write_that_never_drains_fails_typed_with_count) {
    transport.set_handler([](const aws::http_request& req) -> lift::result<aws::http_response> {
        const auto body = json::parse(req.body).as_object();
        aws::http_response resp;
        resp.status = 200;
        resp.headers = {{"Content-Type", "application/x-amz-json-1.0"}};
        resp.body = json::serialize(json::object{{"UnprocessedItems", body.at("RequestItems")}});
        return resp;
    });
    auto r = client->batch_write("conns", make_writes(7));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, aws::errc::throughput_exceeded);
    EXPECT_TRUE(r.error().code == lift::condition::throttled);
    EXPECT_NE(r.error().message.find("7 of 7 requests still unprocessed"), std::string::npos)
        << r.error().message;
    EXPECT_EQ(transport.count(), 1U + config.batch_max_rounds);
    using ms = std::chrono::milliseconds;
    EXPECT_EQ(sleeper.sleeps(), (std::vector<ms>{ms(50), ms(100), ms(200)}));
}

TEST_F(fixture, batch_write_chunk_call_is_retried_and_errors_propagate) {
    transport.push_json(
        400,
        R"({"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"})");
    transport.push_json(200, R"({"UnprocessedItems":{}})");
    transport.push_json(
        400,
        R"({"__type":"com.amazon.coral.validate#ValidationException","message":"Too many items"})");
    auto r = client->batch_write("conns", make_writes(30));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, aws::errc::validation);
    EXPECT_EQ(transport.count(), 3U);

    aws::write_request both;
    both.put = aws::attribute_map{};
    both.remove = aws::attribute_map{};
    EXPECT_EQ(client->batch_write("conns", {both}).error().code, lift::errc::invalid_argument);
    EXPECT_EQ(transport.count(), 3U);
    EXPECT_TRUE(client->batch_write("conns", {}));
}

// --- malformed responses ------------------------------------------------------------------

TEST_F(fixture, malformed_responses_are_typed_errors) {
    const auto get = [&] {
        return client->get_item({.table = "t", .key = {{"pk", attr::s("a")}}});
    };
    const auto expect_bad = [&](lift::result<std::optional<aws::attribute_map>> r,
                                std::string_view needle) {
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, aws::errc::bad_response);
        EXPECT_TRUE(r.error().code == lift::condition::invalid);
        EXPECT_NE(r.error().message.find("DynamoDB GetItem"), std::string::npos)
            << r.error().message;
        EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
    };
    transport.push_json(200, R"({"Item":{"pk":{"S":"a"})");
    expect_bad(get(), "not valid JSON (HTTP 200): {\"Item\"");
    transport.push_json(200, "<html><body>Welcome</body></html>", {}, "text/html; charset=utf-8");
    expect_bad(get(), "unexpected Content-Type \"text/html; charset=utf-8\" (HTTP 200): <html>");
    transport.push_json(200, "<html><body>Welcome</body></html>");
    expect_bad(get(), "not valid JSON");
    transport.push_json(200, R"({"Item":{}})", {}, "text/plain");
    expect_bad(get(), "unexpected Content-Type");
    transport.push_json(200, "");
    expect_bad(get(), "empty response body (HTTP 200)");
    transport.push_json(200, "[1,2]");
    expect_bad(get(), "not a JSON object");
    transport.push_json(200, R"({"Item":{"pk":{"S":"a","N":"1"}}})");
    expect_bad(get(), "Item.pk");
    transport.push_json(200, R"({"Item":[]})");
    expect_bad(get(), "Item");
    transport.push_json(200, std::string(500, 'x'));
    expect_bad(get(), "...");
    EXPECT_EQ(transport.count(), 9U);  // none retried

    // application/json is accepted, as is a missing Content-Type.
    transport.push_json(200, R"({"Item":{"pk":{"S":"a"}}})", {}, "application/json");
    EXPECT_TRUE(get());
    transport.push_json(200, R"({})", {}, "");
    auto none = get();
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->has_value());

    transport.push_json(200, R"({"Items":{"pk":{"S":"a"}}})");
    auto q = client->query({.table = "t", .key_condition = "pk = :p"});
    ASSERT_FALSE(q);
    EXPECT_EQ(q.error().code, aws::errc::bad_response);
    EXPECT_NE(q.error().message.find("Items is not an array"), std::string::npos);
    transport.push_json(200, R"({"Items":[{"pk":{"S":"a"}},7]})");
    q = client->query({.table = "t", .key_condition = "pk = :p"});
    EXPECT_NE(q.error().message.find("Items[1]"), std::string::npos) << q.error().message;
    transport.push_json(200, R"({"Items":[],"LastEvaluatedKey":"x"})");
    EXPECT_EQ(client->query({.table = "t"}).error().code, aws::errc::bad_response);
    transport.push_json(200, R"({"UnprocessedItems":{"conns":[{"PutRequest":{}}]}})");
    EXPECT_EQ(client->batch_write("conns", make_writes(1)).error().code, aws::errc::bad_response);
}

TEST_F(fixture, transport_errors_keep_their_code) {
    aws::retry_policy once{aws::retry_options{.max_attempts = 1}, [] {
                               return 1.0;
                           }};
    aws::dynamodb_client c(transport, config, once, clock, sleeper);
    transport.push(lift::fail(aws::errc::connect_failed, "connect 127.0.0.1:1: refused"));
    auto r = c.get_item({.table = "t", .key = {{"pk", attr::s("a")}}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, aws::errc::connect_failed);
    EXPECT_EQ(r.error().message, "DynamoDB GetItem: connect 127.0.0.1:1: refused");
}

}  // namespace
