// Lambda REQUEST authorizer types: JSON both ways, builders, policy evaluation, ARN matching,
// identity sources.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <lift/core/authorizer.hpp>
#include <lift/core/json.hpp>

namespace {

namespace json = boost::json;

constexpr const char* arn = "arn:aws:execute-api:us-east-1:123456789012:abc123defg/dev/$connect";

// The AWS developer guide's WebSocket authorizer sample, shortened.
constexpr const char* sample_event = R"({
  "type": "REQUEST",
  "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123defg/dev/$connect",
  "headers": {"Connection": "upgrade", "content-length": "0", "HeaderAuth1": "headerValue1",
              "Host": "abc123defg.execute-api.us-east-1.amazonaws.com", "Upgrade": "websocket"},
  "multiValueHeaders": {"HeaderAuth1": ["headerValue1"]},
  "queryStringParameters": {"QueryString1": "queryValue1"},
  "multiValueQueryStringParameters": {"QueryString1": ["queryValue1"]},
  "stageVariables": {},
  "requestContext": {"routeKey": "$connect", "eventType": "CONNECT",
    "extendedRequestId": "XYZ=", "requestTime": "19/Feb/2024:07:11:42 +0000",
    "messageDirection": "IN", "stage": "dev", "connectedAt": 1708326702789,
    "requestTimeEpoch": 1708326702790, "identity": {"sourceIp": "203.0.113.9"},
    "requestId": "XYZ=", "domainName": "abc123defg.execute-api.us-east-1.amazonaws.com",
    "connectionId": "TXzPWdnOjoECGjA=", "apiId": "abc123defg"}
})";

TEST(authorizer_request, parses_the_aws_sample_and_round_trips) {
    auto r = lift::parse_authorizer_request(sample_event);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->type, "REQUEST");
    EXPECT_EQ(r->method_arn, arn);
    ASSERT_NE(r->header("headerauth1"), nullptr);
    EXPECT_EQ(*r->header("headerauth1"), "headerValue1");
    ASSERT_NE(r->query("QueryString1"), nullptr);
    EXPECT_EQ(r->query("querystring1"), nullptr);  // query names are case-sensitive
    EXPECT_EQ(r->request_context.connection_id, "TXzPWdnOjoECGjA=");
    EXPECT_EQ(r->request_context.type, lift::event_type::connect);
    EXPECT_TRUE(r->extra.empty());
    ASSERT_TRUE(r->stage_variables);

    const json::value out = lift::to_json(*r);
    EXPECT_EQ(out, json::parse(sample_event));
    // `type` and `methodArn` come first, as AWS writes them; no isBase64Encoded.
    const auto& o = out.as_object();
    EXPECT_EQ(o.begin()->key(), "type");
    EXPECT_EQ(std::next(o.begin())->key(), "methodArn");
    EXPECT_FALSE(o.contains("isBase64Encoded"));
    auto again = lift::parse_authorizer_request(lift::serialize(*r));
    ASSERT_TRUE(again);
    EXPECT_EQ(lift::to_json(*again), out);
}

TEST(authorizer_request, rejects_malformed_events) {
    EXPECT_EQ(lift::parse_authorizer_request("{").error().code, lift::errc::parse_error);
    EXPECT_EQ(lift::parse_authorizer_request(R"({"type":"REQUEST","requestContext":{
        "eventType":"CONNECT"}})")
                  .error()
                  .code,
              lift::errc::parse_error);  // no methodArn
    EXPECT_EQ(lift::parse_authorizer_request(R"({"methodArn":"x"})").error().code,
              lift::errc::parse_error);  // no requestContext
    EXPECT_EQ(lift::parse_authorizer_request(
                  R"({"methodArn":"x","type":7,"requestContext":{"eventType":"CONNECT"}})")
                  .error()
                  .code,
              lift::errc::parse_error);
}

TEST(authorizer_request, made_from_a_connect_event_without_its_authorizer) {
    lift::websocket_event ev;
    ev.request_context.type = lift::event_type::connect;
    ev.request_context.route_key = "$connect";
    ev.request_context.connection_id = "C=";
    ev.request_context.authorizer = json::object{{"principalId", "x"}};
    ev.headers = lift::string_map{{"Origin", "https://a.example"}};
    ev.query_string_parameters = lift::string_map{{"token", "t"}};
    const auto r = lift::make_authorizer_request(ev, arn);
    EXPECT_EQ(r.method_arn, arn);
    EXPECT_FALSE(r.request_context.authorizer);
    EXPECT_EQ(r.request_context.connection_id, "C=");
    EXPECT_EQ(*r.query("token"), "t");
    EXPECT_FALSE(lift::to_json(r).at("requestContext").as_object().contains("authorizer"));
}

TEST(authorizer_response, allow_builds_the_documented_shape) {
    auto r = lift::authorizer_response::allow(
        "alice", arn, json::object{{"role", "admin"}, {"level", 3}, {"beta", true}});
    ASSERT_TRUE(r) << r.error().message;
    const json::value expected = json::parse(R"({"principalId":"alice","policyDocument":{
        "Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow",
        "Resource":"arn:aws:execute-api:us-east-1:123456789012:abc123defg/dev/$connect"}]},
        "context":{"role":"admin","level":3,"beta":true}})");
    EXPECT_EQ(lift::to_json(*r), expected);
    auto back = lift::parse_authorizer_response(lift::serialize(*r));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(lift::to_json(*back), expected);
    EXPECT_EQ(lift::evaluate_policy(*back, arn), lift::policy_decision::allowed);
}

TEST(authorizer_response, deny_and_unauthorized) {
    const auto d = lift::authorizer_response::deny("mallory", arn);
    const auto j = lift::to_json(d);
    EXPECT_EQ(j.at("policyDocument").at("Statement").at(0).at("Effect"), "Deny");
    EXPECT_FALSE(j.as_object().contains("context"));
    EXPECT_EQ(lift::evaluate_policy(d, arn), lift::policy_decision::explicitly_denied);
    const lift::error u = lift::unauthorized();
    EXPECT_EQ(u.code, lift::errc::unauthorized);
    EXPECT_EQ(u.message, "Unauthorized");
    EXPECT_TRUE(u.code == lift::condition::auth);
}

TEST(authorizer_response, context_values_must_be_scalars) {
    for (const char* bad : {R"({"a":{"b":1}})", R"({"a":[1]})", R"({"a":null})"}) {
        auto r = lift::authorizer_response::allow("p", arn, json::parse(bad).as_object());
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, lift::errc::invalid_argument);
        EXPECT_NE(r.error().message.find("'a'"), std::string::npos) << r.error().message;
        const std::string doc =
            std::string{R"({"principalId":"p","policyDocument":{"Version":"2012-10-17",)"
                        R"("Statement":[{"Action":"execute-api:Invoke","Effect":"Allow",)"
                        R"("Resource":"*"}]},"context":)"} +
            bad + "}";
        auto parsed = lift::parse_authorizer_response(doc);
        ASSERT_FALSE(parsed) << doc;
        EXPECT_EQ(parsed.error().code, lift::errc::parse_error);
    }
}

TEST(authorizer_response, parses_single_values_and_lists_and_rejects_bad_shapes) {
    auto r = lift::parse_authorizer_response(
        R"({"principalId":"u","policyDocument":{"Version":"2012-10-17","Statement":{
            "Action":["execute-api:*"],"Effect":"Allow","Resource":["arn:x","*"]}},
            "usageIdentifierKey":"k"})");
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->statements.size(), 1u);
    EXPECT_EQ(r->statements[0].resources.size(), 2u);
    EXPECT_EQ(r->usage_identifier_key, "k");
    EXPECT_EQ(lift::evaluate_policy(*r, arn), lift::policy_decision::allowed);

    for (const char* bad : {
             R"([])",
             R"({"policyDocument":{"Statement":[]}})",  // no principalId
             R"({"principalId":"u"})",                  // no policyDocument
             R"({"principalId":"u","policyDocument":{}})",
             R"({"principalId":"u","policyDocument":{"Statement":[{"Effect":"allow",)"
             R"("Action":"execute-api:Invoke","Resource":"*"}]}})",  // Effect is case-sensitive
             R"({"principalId":"u","policyDocument":{"Statement":[{"Effect":"Allow",)"
             R"("Resource":"*"}]}})",  // no Action
             R"({"principalId":"u","policyDocument":{"Statement":[{"Effect":"Allow",)"
             R"("Action":"execute-api:Invoke","Resource":5}]}})",
             R"({"principalId":{},"policyDocument":{"Statement":[]}})",
         }) {
        EXPECT_FALSE(lift::parse_authorizer_response(bad)) << bad;
    }
}

TEST(arn_matching, iam_style_globs) {
    EXPECT_TRUE(lift::arn_matches(arn, arn));
    EXPECT_TRUE(lift::arn_matches("*", arn));
    EXPECT_TRUE(lift::arn_matches("arn:aws:execute-api:us-east-1:123456789012:abc123defg/*", arn));
    EXPECT_TRUE(
        lift::arn_matches("arn:aws:execute-api:us-east-1:123456789012:abc123defg/dev/*", arn));
    EXPECT_TRUE(lift::arn_matches("arn:aws:execute-api:*:*:*", arn));
    EXPECT_TRUE(lift::arn_matches("arn:aws:execute-api:us-east-?:*:abc123defg/dev/$connect", arn));
    EXPECT_TRUE(lift::arn_matches("arn:aws:execute-api:us-east-1:123456789012:*/dev/$*", arn));
    // WebSocket route ARNs have no HTTP verb: the REST-style `*/*` needs one more segment.
    EXPECT_FALSE(
        lift::arn_matches("arn:aws:execute-api:us-east-1:123456789012:abc123defg/dev/*/*", arn));
    EXPECT_FALSE(lift::arn_matches(
        "arn:aws:execute-api:us-east-1:123456789012:abc123defg/dev/GET/$connect", arn));
    EXPECT_FALSE(
        lift::arn_matches("arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/*", arn));
    EXPECT_FALSE(
        lift::arn_matches("arn:aws:execute-api:us-east-1:999999999999:abc123defg/dev/*", arn));
    EXPECT_FALSE(lift::arn_matches(
        "arn:aws:execute-api:us-east-1:123456789012:abc123defg/dev/$CONNECT", arn));  // case
    EXPECT_FALSE(
        lift::arn_matches("arn:aws:execute-api:us-east-1:123456789012:abc123defg/dev", arn));
    // A `*` in the region field does not swallow the colons of the next fields.
    EXPECT_FALSE(lift::arn_matches("arn:aws:execute-api:*:abc123defg/dev/$connect", arn));
    EXPECT_FALSE(lift::arn_matches("", arn));
}

TEST(policy, explicit_deny_wins_and_resource_mismatch_is_not_allowed) {
    auto allow_all = lift::authorizer_response::allow("u", "*").value();
    EXPECT_EQ(lift::evaluate_policy(allow_all, arn), lift::policy_decision::allowed);
    allow_all.statements.push_back(lift::authorizer_response::deny("u", arn).statements.front());
    EXPECT_EQ(lift::evaluate_policy(allow_all, arn), lift::policy_decision::explicitly_denied);

    const auto rest_style =
        lift::authorizer_response::allow(
            "u", "arn:aws:execute-api:us-east-1:123456789012:abc123defg/dev/*/*")
            .value();
    EXPECT_EQ(lift::evaluate_policy(rest_style, arn), lift::policy_decision::not_allowed);

    auto other_action = lift::authorizer_response::allow("u", arn).value();
    other_action.statements[0].actions = {"execute-api:ManageConnections"};
    EXPECT_EQ(lift::evaluate_policy(other_action, arn), lift::policy_decision::not_allowed);
    other_action.statements[0].actions = {"EXECUTE-API:invoke"};  // actions: case-insensitive
    EXPECT_EQ(lift::evaluate_policy(other_action, arn), lift::policy_decision::allowed);

    lift::authorizer_response empty;
    empty.principal_id = "u";
    EXPECT_EQ(lift::evaluate_policy(empty, arn), lift::policy_decision::not_allowed);
}

TEST(policy, authorizer_context_has_the_principal_and_the_context) {
    auto r = lift::authorizer_response::allow(
                 "alice", arn, json::object{{"tenant", "acme"}, {"principalId", "spoof"}, {"n", 2}})
                 .value();
    const auto ctx = lift::authorizer_context(r);
    EXPECT_EQ(ctx.at("principalId"), "alice");
    EXPECT_EQ(ctx.at("tenant"), "acme");
    EXPECT_EQ(ctx.at("n"), 2);
    EXPECT_EQ(ctx.size(), 3u);
}

TEST(identity_source, parses_header_and_querystring_sources) {
    auto h = lift::identity_source::parse("route.request.header.Authorization");
    ASSERT_TRUE(h);
    EXPECT_EQ(h->where, lift::identity_source::location::header);
    EXPECT_EQ(h->name, "Authorization");
    EXPECT_EQ(h->to_string(), "route.request.header.Authorization");
    auto q = lift::identity_source::parse("route.request.querystring.token");
    ASSERT_TRUE(q);
    EXPECT_EQ(q->where, lift::identity_source::location::querystring);
    auto d = lift::identity_source::parse("$request.querystring.token");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->to_string(), "route.request.querystring.token");
    for (const char* bad :
         {"", "route.request.header.", "route.request.body.token", "stageVariables.x", "context.x",
          "header.Authorization", "route.request.querystring"}) {
        auto r = lift::identity_source::parse(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, lift::errc::invalid_argument);
    }
}

TEST(identity_source, presence_requires_a_non_empty_value) {
    lift::websocket_event ev;
    ev.headers = lift::string_map{{"Authorization", "Bearer x"}, {"X-Empty", ""}};
    ev.query_string_parameters = lift::string_map{{"token", "t"}, {"blank", ""}};
    const auto src = [](const char* s) {
        return lift::identity_source::parse(s).value();
    };
    EXPECT_TRUE(src("route.request.header.authorization").present_in(ev));
    EXPECT_FALSE(src("route.request.header.X-Empty").present_in(ev));
    EXPECT_FALSE(src("route.request.header.X-Missing").present_in(ev));
    EXPECT_TRUE(src("route.request.querystring.token").present_in(ev));
    EXPECT_FALSE(src("route.request.querystring.Token").present_in(ev));
    EXPECT_FALSE(src("route.request.querystring.blank").present_in(ev));
    lift::websocket_event none;
    EXPECT_FALSE(src("route.request.querystring.token").present_in(none));
}

}  // namespace
