#include <filesystem>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <lift/core/json.hpp>

#include "test_util.hpp"

namespace {

using lift::test::compact;
using lift::test::event_fixture;
using lift::test::expect_events_equal;
using lift::test::parse_or_fail;

std::vector<std::string> keys_of(const boost::json::object& o) {
    std::vector<std::string> keys;
    for (const auto& kv : o) {
        keys.emplace_back(kv.key());
    }
    return keys;
}

void expect_parse_error(std::string_view json, std::string_view mentions) {
    auto r = lift::parse_event(json);
    ASSERT_FALSE(r) << json;
    EXPECT_EQ(r.error().code, lift::errc::parse_error);
    EXPECT_NE(r.error().message.find(mentions), std::string::npos)
        << "message '" << r.error().message << "' should mention '" << mentions << "'";
}

// A minimal valid MESSAGE event with `rc_extra` spliced into requestContext and `top_extra`
// into the top level.
std::string message_event(std::string_view rc_extra = "", std::string_view top_extra = "") {
    std::string s = R"({"requestContext":{"routeKey":"$default","eventType":"MESSAGE")";
    s += rc_extra;
    s += R"(,"connectionId":"c="})";
    s += top_extra;
    s += "}";
    return s;
}

// --- fixtures -------------------------------------------------------------------------------

TEST(json_event, connect_fixture_fields) {
    const auto ev = parse_or_fail(event_fixture("connect.json"));
    const auto& rc = ev.request_context;
    EXPECT_EQ(ev.type(), lift::event_type::connect);
    EXPECT_EQ(rc.route_key, "$connect");
    EXPECT_EQ(rc.extended_request_id, "2sCFKaXP2IHXLp8=");
    EXPECT_EQ(rc.request_id, "2sCFKaXP2IHXLp8=");
    EXPECT_EQ(rc.request_time, "10/Jun/2024:12:35:03 +0000");
    EXPECT_EQ(rc.message_direction, "IN");
    EXPECT_EQ(rc.stage, "prod");
    EXPECT_EQ(rc.connected_at, 1718022903611);
    EXPECT_EQ(rc.request_time_epoch, 1718022903612);
    EXPECT_EQ(rc.identity.source_ip, "198.51.100.23");
    ASSERT_TRUE(rc.identity.user_agent);
    EXPECT_NE(rc.identity.user_agent->find("Firefox"), std::string::npos);
    EXPECT_FALSE(rc.identity.api_key);
    EXPECT_EQ(rc.domain_name, "k3m9qz7w1p.execute-api.eu-west-1.amazonaws.com");
    EXPECT_EQ(rc.connection_id, "5A4WP_ypeW80aWw=");
    EXPECT_EQ(rc.api_id, "k3m9qz7w1p");
    EXPECT_FALSE(rc.message_id);
    EXPECT_FALSE(rc.disconnect_status_code);
    EXPECT_FALSE(rc.disconnect_reason);
    EXPECT_FALSE(rc.authorizer);
    EXPECT_TRUE(rc.extra.empty());
    ASSERT_TRUE(ev.headers);
    EXPECT_EQ(ev.headers->at("Sec-WebSocket-Version"), "13");
    ASSERT_TRUE(ev.multi_value_headers);
    EXPECT_EQ(ev.multi_value_headers->at("X-Forwarded-Port"), std::vector<std::string>{"443"});
    ASSERT_TRUE(ev.query_string_parameters);
    ASSERT_NE(ev.query("token"), nullptr);
    EXPECT_EQ(*ev.query("token"), "s3cr3t-t0ken");
    ASSERT_TRUE(ev.multi_value_query_string_parameters);
    EXPECT_EQ(ev.multi_value_query_string_parameters->at("room"),
              std::vector<std::string>{"lobby"});
    EXPECT_FALSE(ev.stage_variables);
    EXPECT_FALSE(ev.body);
    EXPECT_FALSE(ev.is_base64_encoded);
    EXPECT_TRUE(ev.extra.empty());
}

TEST(json_event, connect_without_query_string) {
    const auto ev = parse_or_fail(event_fixture("connect_no_query.json"));
    EXPECT_EQ(ev.type(), lift::event_type::connect);
    EXPECT_FALSE(ev.query_string_parameters);
    EXPECT_FALSE(ev.multi_value_query_string_parameters);
    EXPECT_EQ(ev.query("token"), nullptr);
    EXPECT_FALSE(ev.request_context.identity.user_agent);
    EXPECT_EQ(ev.header("user-agent"), nullptr);
    const auto out = lift::serialize(ev);
    EXPECT_EQ(out.find("queryStringParameters"), std::string::npos);
    EXPECT_EQ(out.find("userAgent"), std::string::npos);
}

TEST(json_event, message_fixture_fields) {
    const auto ev = parse_or_fail(event_fixture("message.json"));
    EXPECT_EQ(ev.type(), lift::event_type::message);
    EXPECT_EQ(ev.route_key(), "sendmessage");
    EXPECT_EQ(ev.request_context.message_id, "eivnFmkHRJF68eo=");
    EXPECT_FALSE(ev.headers);
    EXPECT_FALSE(ev.multi_value_headers);
    ASSERT_TRUE(ev.body);
    EXPECT_EQ(*ev.body, "{\"action\":\"sendmessage\",\"data\":\"h\xC3\xA9llo \\\"world\\\"\\n\"}");
}

TEST(json_event, disconnect_fixture_fields) {
    const auto ev = parse_or_fail(event_fixture("disconnect.json"));
    EXPECT_EQ(ev.type(), lift::event_type::disconnect);
    EXPECT_EQ(ev.request_context.disconnect_status_code, 1001);
    EXPECT_EQ(ev.request_context.disconnect_reason, "Going away");
    EXPECT_FALSE(ev.request_context.message_id);
    ASSERT_TRUE(ev.headers);
    EXPECT_EQ(ev.headers->size(), 4u);
    EXPECT_EQ(ev.headers->at("x-restapi"), "");
}

TEST(json_event, nulls_of_2021_captures_read_as_absent) {
    const auto ev = parse_or_fail(event_fixture("connect_2021_nulls.json"));
    EXPECT_EQ(ev.type(), lift::event_type::connect);
    EXPECT_FALSE(ev.request_context.message_id);
    EXPECT_FALSE(ev.request_context.disconnect_status_code);
    EXPECT_TRUE(ev.request_context.extra.empty());
}

TEST(json_event, authorizer_fixture_fields) {
    const auto ev = parse_or_fail(event_fixture("message_authorizer.json"));
    const auto& rc = ev.request_context;
    ASSERT_TRUE(rc.authorizer);
    EXPECT_EQ(rc.authorizer->at("principalId"), "user-42");
    EXPECT_EQ(rc.authorizer->at("integrationLatency"), 23);
    EXPECT_EQ(keys_of(*rc.authorizer), (std::vector<std::string>{"principalId", "tenantId", "roles",
                                                                 "plan", "integrationLatency"}));
    EXPECT_EQ(rc.identity.api_key, "kq8Yx2Lm4Nr6Tv0Wz3Bd5Fh7");
    EXPECT_EQ(rc.identity.api_key_id, "a1b2c3d4e5");
    EXPECT_EQ(ev.body, "not json at all");
}

// --- round trips ----------------------------------------------------------------------------

class canonical_fixture : public testing::TestWithParam<const char*> {};

TEST_P(canonical_fixture, serialize_is_byte_identical_to_canonical_form) {
    const auto text = event_fixture(GetParam());
    const auto ev = parse_or_fail(text);
    EXPECT_EQ(lift::serialize(ev), compact(text));
}

TEST_P(canonical_fixture, parse_serialize_parse_is_identity) {
    const auto first = parse_or_fail(event_fixture(GetParam()));
    const auto second = parse_or_fail(lift::serialize(first));
    expect_events_equal(first, second);
}

TEST_P(canonical_fixture, to_json_matches_serialize) {
    const auto ev = parse_or_fail(event_fixture(GetParam()));
    EXPECT_EQ(boost::json::serialize(lift::to_json(ev)), lift::serialize(ev));
    auto again = lift::event_from_json(lift::to_json(ev));
    ASSERT_TRUE(again);
    expect_events_equal(ev, *again);
}

INSTANTIATE_TEST_SUITE_P(fixtures,
                         canonical_fixture,
                         testing::Values("connect.json",
                                         "connect_no_query.json",
                                         "message.json",
                                         "disconnect.json",
                                         "message_authorizer.json"));

TEST(json_event, nulls_are_omitted_on_output) {
    const auto text = event_fixture("connect_2021_nulls.json");
    auto expected = boost::json::parse(text);
    auto& rc = expected.at("requestContext").as_object();
    ASSERT_TRUE(rc.at("messageId").is_null());
    ASSERT_TRUE(rc.at("disconnectStatusCode").is_null());
    // object::erase reorders members; rebuild without the nulls to keep the order.
    boost::json::object without_nulls;
    for (const auto& kv : rc) {
        if (!kv.value().is_null()) {
            without_nulls.emplace(kv.key(), kv.value());
        }
    }
    rc = std::move(without_nulls);
    const auto ev = parse_or_fail(text);
    EXPECT_EQ(lift::serialize(ev), boost::json::serialize(expected));
    expect_events_equal(ev, parse_or_fail(lift::serialize(ev)));
}

// --- member order ---------------------------------------------------------------------------

TEST(json_event, request_context_order_follows_real_captures) {
    lift::websocket_event ev;
    auto& rc = ev.request_context;
    rc.type = lift::event_type::disconnect;
    rc.disconnect_status_code = 1005;
    rc.disconnect_reason = "Client-side close frame status not set";
    rc.authorizer = boost::json::object{{"principalId", "p"}};
    rc.extra.emplace("zeta", 1);
    rc.extra.emplace("alpha", 2);
    const auto v = lift::to_json(ev);
    EXPECT_EQ(keys_of(v.at("requestContext").as_object()),
              (std::vector<std::string>{"routeKey", "disconnectStatusCode", "eventType",
                                        "extendedRequestId", "requestTime", "messageDirection",
                                        "disconnectReason", "stage", "connectedAt",
                                        "requestTimeEpoch", "identity", "requestId", "domainName",
                                        "connectionId", "apiId", "authorizer", "zeta", "alpha"}));
    rc.type = lift::event_type::message;
    rc.disconnect_status_code.reset();
    rc.disconnect_reason.reset();
    rc.message_id = "m=";
    const auto m = lift::to_json(ev);
    const auto keys = keys_of(m.at("requestContext").as_object());
    ASSERT_GE(keys.size(), 3u);
    EXPECT_EQ(keys[1], "messageId");
    EXPECT_EQ(keys[2], "eventType");
}

TEST(json_event, top_level_order_and_stage_variables_only_when_set) {
    lift::websocket_event ev;
    ev.extra.emplace("resource", "/x");
    ev.body = "b";
    ev.headers = lift::string_map{{"Host", "h"}};
    ev.multi_value_headers = lift::multi_string_map{{"Host", {"h"}}};
    ev.query_string_parameters = lift::string_map{{"q", "1"}};
    ev.multi_value_query_string_parameters = lift::multi_string_map{{"q", {"1"}}};
    EXPECT_EQ(keys_of(lift::to_json(ev).as_object()),
              (std::vector<std::string>{"headers", "multiValueHeaders", "queryStringParameters",
                                        "multiValueQueryStringParameters", "requestContext", "body",
                                        "isBase64Encoded", "resource"}));
    ev.stage_variables = boost::json::object{{"env", "dev"}};
    EXPECT_EQ(keys_of(lift::to_json(ev).as_object())[4], "stageVariables");
}

TEST(json_event, identity_order_and_extras) {
    const auto ev = parse_or_fail(message_event(
        R"(,"identity":{"caller":"c","apiKeyId":"i","sourceIp":"1.2.3.4","apiKey":"k","userAgent":"u"})"));
    EXPECT_EQ(ev.request_context.identity.extra.at("caller"), "c");
    const auto v = lift::to_json(ev);
    EXPECT_EQ(keys_of(v.at("requestContext").at("identity").as_object()),
              (std::vector<std::string>{"sourceIp", "userAgent", "apiKey", "apiKeyId", "caller"}));
}

// --- tolerance and extras -------------------------------------------------------------------

TEST(json_event, unknown_members_are_kept_and_re_emitted) {
    const auto ev = parse_or_fail(message_event(
        R"(,"status":"*","integrationLatency":"123","identity":{"sourceIp":"1.2.3.4","user":"u"})",
        R"(,"resource":"/{proxy+}","pathParameters":{"proxy":"a"})"));
    EXPECT_EQ(ev.extra.at("resource"), "/{proxy+}");
    EXPECT_EQ(ev.extra.at("pathParameters").at("proxy"), "a");
    EXPECT_EQ(ev.request_context.extra.at("status"), "*");
    EXPECT_EQ(ev.request_context.extra.at("integrationLatency"), "123");
    EXPECT_EQ(ev.request_context.identity.extra.at("user"), "u");
    const auto out = lift::serialize(ev);
    const auto v = boost::json::parse(out);
    EXPECT_EQ(v.at("resource"), "/{proxy+}");
    EXPECT_EQ(v.at("pathParameters").at("proxy"), "a");
    EXPECT_EQ(v.at("requestContext").at("status"), "*");
    EXPECT_EQ(v.at("requestContext").at("identity").at("user"), "u");
}

TEST(json_event, null_and_absent_members_read_the_same) {
    const auto absent = parse_or_fail(message_event());
    const auto nulls = parse_or_fail(message_event(
        R"(,"messageId":null,"disconnectStatusCode":null,"disconnectReason":null,"authorizer":null,"identity":{"sourceIp":"","userAgent":null,"apiKey":null})",
        R"(,"headers":null,"multiValueHeaders":null,"queryStringParameters":null,"multiValueQueryStringParameters":null,"stageVariables":null,"body":null,"isBase64Encoded":null)"));
    expect_events_equal(absent, nulls);
    EXPECT_FALSE(nulls.body);
    EXPECT_FALSE(nulls.headers);
    EXPECT_FALSE(nulls.request_context.authorizer);
    EXPECT_EQ(lift::serialize(absent), lift::serialize(nulls));
    const auto out = lift::serialize(nulls);
    for (const char* k : {"\"body\"", "\"headers\"", "\"messageId\"", "\"authorizer\"",
                          "\"stageVariables\"", "\"userAgent\"", "null"}) {
        EXPECT_EQ(out.find(k), std::string::npos) << k << " in " << out;
    }
}

TEST(json_event, large_and_negative_integers) {
    const auto ev =
        parse_or_fail(message_event(R"(,"connectedAt":9007199254740993,"requestTimeEpoch":-5)"));
    EXPECT_EQ(ev.request_context.connected_at, 9007199254740993);
    EXPECT_EQ(ev.request_context.request_time_epoch, -5);
    const auto out = lift::serialize(ev);
    EXPECT_NE(out.find("\"connectedAt\":9007199254740993"), std::string::npos) << out;
}

TEST(json_event, event_from_json_accepts_a_parsed_value) {
    const auto v = boost::json::parse(event_fixture("disconnect.json"));
    auto ev = lift::event_from_json(v);
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->request_context.disconnect_status_code, 1001);
}

// --- errors ---------------------------------------------------------------------------------

TEST(json_event, invalid_json_is_a_parse_error) {
    expect_parse_error("{\"requestContext\":", "invalid JSON");
    expect_parse_error("", "invalid JSON");
}

TEST(json_event, shape_errors_name_the_member) {
    expect_parse_error("[]", "object");
    expect_parse_error(R"({"body":"x"})", "requestContext");
    expect_parse_error(R"({"requestContext":{"routeKey":"$default"}})", "eventType");
    expect_parse_error(R"({"requestContext":{"eventType":"PING"}})", "PING");
    expect_parse_error(R"({"requestContext":{"eventType":1}})", "requestContext.eventType");
    expect_parse_error(R"({"requestContext":[]})", "requestContext");
    expect_parse_error(message_event(R"(,"connectedAt":"1")"), "requestContext.connectedAt");
    expect_parse_error(message_event(R"(,"connectedAt":1.5)"), "requestContext.connectedAt");
    expect_parse_error(message_event(R"(,"requestTimeEpoch":18446744073709551615)"),
                       "requestContext.requestTimeEpoch");
    expect_parse_error(message_event(R"(,"disconnectStatusCode":4294967296)"),
                       "requestContext.disconnectStatusCode");
    expect_parse_error(message_event(R"(,"routeKey":5)"), "requestContext.routeKey");
    expect_parse_error(message_event(R"(,"identity":{"sourceIp":5})"),
                       "requestContext.identity.sourceIp");
    expect_parse_error(message_event(R"(,"identity":"x")"), "requestContext.identity");
    expect_parse_error(message_event(R"(,"authorizer":"x")"), "requestContext.authorizer");
    expect_parse_error(message_event("", R"(,"body":5)"), "'body'");
    expect_parse_error(message_event("", R"(,"isBase64Encoded":"false")"), "isBase64Encoded");
    expect_parse_error(message_event("", R"(,"headers":{"Host":1})"), "headers.Host");
    expect_parse_error(message_event("", R"(,"headers":[])"), "headers");
    expect_parse_error(message_event("", R"(,"multiValueHeaders":{"Host":"h"})"),
                       "multiValueHeaders.Host");
    expect_parse_error(message_event("", R"(,"multiValueQueryStringParameters":{"a":[1]})"),
                       "multiValueQueryStringParameters.a");
    expect_parse_error(message_event("", R"(,"stageVariables":[])"), "stageVariables");
}

// --- reply ----------------------------------------------------------------------------------

TEST(json_reply, status_code_number_string_or_missing) {
    auto a = lift::parse_reply(R"({"statusCode":401})");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status_code, 401);
    auto b = lift::parse_reply(R"({"statusCode":"403"})");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->status_code, 403);
    auto c = lift::parse_reply(R"({"body":"hi"})");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->status_code, 200);
    EXPECT_EQ(c->body, "hi");
    auto d = lift::parse_reply(R"({"statusCode":null})");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->status_code, 200);
    auto e = lift::parse_reply("{}");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->status_code, 200);
    EXPECT_FALSE(e->body);
}

TEST(json_reply, bad_status_codes_fail) {
    for (const char* bad :
         {R"({"statusCode":"abc"})", R"({"statusCode":"20x"})", R"({"statusCode":""})",
          R"({"statusCode":true})", R"({"statusCode":-1})", R"({"statusCode":200.5})",
          R"({"statusCode":{}})"}) {
        auto r = lift::parse_reply(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, lift::errc::parse_error);
        EXPECT_NE(r.error().message.find("statusCode"), std::string::npos) << bad;
    }
}

TEST(json_reply, all_members) {
    auto r = lift::parse_reply(
        R"({"statusCode":200,"headers":{"Sec-WebSocket-Protocol":"chat"},"multiValueHeaders":{"Set-Cookie":["a=1","b=2"]},"body":"ok","isBase64Encoded":true,"cookies":["ignored"]})");
    ASSERT_TRUE(r) << r.error().what();
    EXPECT_EQ(r->headers.at("Sec-WebSocket-Protocol"), "chat");
    EXPECT_EQ(r->multi_value_headers.at("Set-Cookie"), (std::vector<std::string>{"a=1", "b=2"}));
    EXPECT_EQ(r->body, "ok");
    EXPECT_TRUE(r->is_base64_encoded);
}

TEST(json_reply, errors) {
    EXPECT_EQ(lift::parse_reply("nope").error().code, lift::errc::parse_error);
    EXPECT_EQ(lift::parse_reply("\"x\"").error().code, lift::errc::parse_error);
    auto h = lift::parse_reply(R"({"headers":{"a":1}})");
    ASSERT_FALSE(h);
    EXPECT_NE(h.error().message.find("headers.a"), std::string::npos);
    EXPECT_FALSE(lift::parse_reply(R"({"body":1})"));
}

TEST(json_reply, serialize_omits_empty_members) {
    EXPECT_EQ(lift::serialize(lift::reply::ok()), R"({"statusCode":200,"isBase64Encoded":false})");
    auto r = lift::reply::text("hello");
    r.status_code = 201;
    r.with_header("Sec-WebSocket-Protocol", "chat");
    r.multi_value_headers["X-A"] = {"1", "2"};
    EXPECT_EQ(
        lift::serialize(r),
        R"({"statusCode":201,"headers":{"Sec-WebSocket-Protocol":"chat"},"multiValueHeaders":{"X-A":["1","2"]},"body":"hello","isBase64Encoded":false})");
    EXPECT_EQ(boost::json::serialize(lift::to_json(r)), lift::serialize(r));
    auto back = lift::reply_from_json(lift::to_json(r));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->status_code, 201);
    EXPECT_EQ(back->headers, r.headers);
    EXPECT_EQ(back->multi_value_headers, r.multi_value_headers);
    EXPECT_EQ(back->body, r.body);
}

// --- shared AWS captures (optional extra check) ---------------------------------------------

TEST(json_event, shared_aws_captures_round_trip) {
    const std::filesystem::path dir = LIFT_SHARED_EVENTS_DIR;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        GTEST_SKIP() << "no shared AWS events at " << dir;
    }
    int parsed = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".json") {
            continue;
        }
        SCOPED_TRACE(entry.path().string());
        const auto text = lift::test::read_text_file(entry.path().string());
        const auto first = parse_or_fail(text);
        EXPECT_FALSE(first.connection_id().empty());
        const auto second = parse_or_fail(lift::serialize(first));
        expect_events_equal(first, second);
        // Nothing is lost: every member of the capture comes back (order may differ).
        EXPECT_EQ(boost::json::parse(lift::serialize(first)), boost::json::parse(text));
        ++parsed;
    }
    if (parsed == 0) {
        GTEST_SKIP() << "no .json files in " << dir;
    }
}

}  // namespace
